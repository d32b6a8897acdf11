package inventory

import "time"

// Source status values of a scan.
const (
	StatusComplete = "complete"
	StatusPartial  = "partial"
	StatusFailed   = "failed"
)

// SourceResult is the outcome of scanning one source.
type SourceResult struct {
	Name string `json:"name"`
	Type string `json:"type"`
	// Status is complete, partial (some databases or checks missing) or
	// failed (nothing collected).
	Status string `json:"status"`
	// Error says, without any secret, why the source failed or is partial.
	Error string `json:"error,omitempty"`
	// UncheckedRules lists rules that could not be evaluated on this
	// source for lack of data (such as the pg_hba rules); their earlier
	// findings must not be taken as resolved.
	UncheckedRules []string  `json:"unchecked_rules,omitempty"`
	Snapshot       *Snapshot `json:"-"`
}

// ScanResult is one run of ward scan over every configured source.
type ScanResult struct {
	ID          string         `json:"id"`
	StartedAt   time.Time      `json:"started_at"`
	FinishedAt  time.Time      `json:"finished_at"`
	WardVersion string         `json:"ward_version"`
	ConfigPath  string         `json:"config_path"`
	ConfigHash  string         `json:"config_hash"`
	Sources     []SourceResult `json:"sources"`
	Accounts    []Account      `json:"accounts"`
	Findings    []Finding      `json:"findings"`
	// Changes is what changed in each source since its previous scan; nil
	// until the scan has been stored and compared.
	Changes *Changes `json:"changes,omitempty"`
}

// Partial reports whether any source failed or was scanned only in part.
func (r *ScanResult) Partial() bool {
	for _, s := range r.Sources {
		if s.Status != StatusComplete {
			return true
		}
	}
	return false
}
