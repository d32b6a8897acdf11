package inventory

import "time"

// Comparison values of SourceChanges: how a source of a scan was compared
// with its previous scan.
const (
	// ComparedWithPrevious: the source was compared with the last earlier
	// scan that collected it (complete or partial; failed ones are
	// skipped).
	ComparedWithPrevious = "compared"
	// ComparedFirstScan: no earlier scan collected the source. Every
	// finding is new; accounts and grants are not listed as added.
	ComparedFirstScan = "first"
	// ComparedNotAtAll: the source failed in this scan, so there is
	// nothing to compare; its findings are kept as they were.
	ComparedNotAtAll = "failed"
)

// Changes is what changed in each source of a scan since the previous scan
// of that source.
type Changes struct {
	// Sources has one entry per source of the scan, sorted by name.
	Sources []SourceChanges `json:"sources"`
}

// SourceChanges is what changed in one source since its previous scan.
//
// Findings are classified by their tracked lifecycle, not by a plain
// difference with the previous scan: a finding is new when no earlier scan
// had it or an earlier complete scan had resolved it (then Reopened is
// set); unchanged when it was open; resolved when this scan resolved it,
// which only a complete scan of the source does. So a database skipped by
// one partial scan neither makes its findings look resolved nor, when it is
// scanned again, new.
//
// Accounts and grants are compared with the previous scan. Grants are
// listed only for accounts present in both scans (an added or removed
// account carries its grant counts), and only on databases that both scans
// read: a database skipped by either scan is left out and named in Notes.
type SourceChanges struct {
	Source string `json:"source"`
	// Comparison is ComparedWithPrevious, ComparedFirstScan or
	// ComparedNotAtAll.
	Comparison string `json:"comparison"`
	// Status is the source's status in this scan.
	Status string `json:"status"`
	// PreviousScanID, PreviousStartedAt and PreviousStatus describe the
	// scan compared with; empty unless Comparison is ComparedWithPrevious.
	PreviousScanID    string    `json:"previous_scan_id,omitempty"`
	PreviousStartedAt time.Time `json:"previous_started_at,omitzero"`
	PreviousStatus    string    `json:"previous_status,omitempty"`
	// Notes say what limits the comparison, such as databases left out.
	Notes []string `json:"notes,omitempty"`

	New       []FindingRef `json:"new_findings"`
	Unchanged []FindingRef `json:"unchanged_findings"`
	Resolved  []FindingRef `json:"resolved_findings"`

	AddedAccounts   []AccountRef  `json:"added_accounts"`
	RemovedAccounts []AccountRef  `json:"removed_accounts"`
	AddedGrants     []GrantChange `json:"added_grants"`
	RemovedGrants   []GrantChange `json:"removed_grants"`
}

// FindingRef names a finding in a list of changes.
type FindingRef struct {
	Fingerprint string   `json:"fingerprint"`
	RuleID      string   `json:"rule_id"`
	Severity    Severity `json:"severity"`
	Title       string   `json:"title"`
	AccountID   string   `json:"account_id"`
	Resource    string   `json:"resource"`
	PHI         bool     `json:"phi"`
	// Reopened is set on a new finding that an earlier complete scan had
	// resolved: it is back.
	Reopened bool `json:"reopened,omitempty"`
}

// AccountRef names an account added or removed between two scans, with
// the size of what it can reach.
type AccountRef struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	Kind      Kind   `json:"kind"`
	Owner     string `json:"owner"`
	CanLogin  bool   `json:"can_login"`
	Grants    int    `json:"grants"`
	PHIGrants int    `json:"phi_grants"`
}

// GrantChange is a grant that one account gained or lost between two
// scans. Two grants are the same when every field but PHI is the same; PHI
// is as the later scan of the two marked it.
type GrantChange struct {
	AccountID string `json:"account_id"`
	Grant
}

// Source returns the changes of the named source, or nil.
func (c *Changes) Source(name string) *SourceChanges {
	if c == nil {
		return nil
	}
	for i := range c.Sources {
		if c.Sources[i].Source == name {
			return &c.Sources[i]
		}
	}
	return nil
}

// NewFingerprints returns the fingerprints of every new finding, reopened
// ones included. It is empty for nil Changes.
func (c *Changes) NewFingerprints() map[string]bool {
	out := map[string]bool{}
	if c == nil {
		return out
	}
	for _, s := range c.Sources {
		for _, f := range s.New {
			out[f.Fingerprint] = true
		}
	}
	return out
}
