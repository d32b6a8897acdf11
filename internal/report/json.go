package report

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/wardsec/ward/internal/inventory"
)

// SchemaVersion is the version of the JSON contract, written as
// scan.schema_version. It changes only when a field is removed, renamed or
// changes meaning; added fields keep the version.
const SchemaVersion = 1

// document is the top-level JSON object.
type document struct {
	Scan     scanJSON            `json:"scan"`
	Accounts []inventory.Account `json:"accounts"`
	Findings []findingJSON       `json:"findings"`
}

type scanJSON struct {
	SchemaVersion int          `json:"schema_version"`
	ID            string       `json:"id"`
	StartedAt     jsonTime     `json:"started_at"`
	FinishedAt    jsonTime     `json:"finished_at"`
	WardVersion   string       `json:"ward_version"`
	ConfigPath    string       `json:"config_path"`
	ConfigHash    string       `json:"config_hash"`
	Partial       bool         `json:"partial"`
	Counts        counts       `json:"counts"`
	Sources       []sourceJSON `json:"sources"`
	Changes       *changesJSON `json:"changes"`
}

type sourceJSON struct {
	Name              string         `json:"name"`
	Type              string         `json:"type"`
	Status            string         `json:"status"`
	Error             string         `json:"error"`
	StartedAt         jsonTime       `json:"started_at"`
	FinishedAt        jsonTime       `json:"finished_at"`
	Scanner           string         `json:"scanner"`
	ScannerPrivileges []string       `json:"scanner_privileges"`
	Databases         []databaseJSON `json:"databases"`
	Gaps              []gapJSON      `json:"gaps"`
	UncheckedRules    []string       `json:"unchecked_rules"`
	Settings          settingsJSON   `json:"settings"`
}

type databaseJSON struct {
	Name    string `json:"name"`
	Scanned bool   `json:"scanned"`
	Reason  string `json:"reason"`
}

type gapJSON struct {
	Check  string `json:"check"`
	Reason string `json:"reason"`
	Enable string `json:"enable"`
}

// settingsJSON holds the security settings of a source, one member per kind
// of server; members a source does not have are omitted.
type settingsJSON struct {
	Postgres *inventory.PGSettings `json:"postgres,omitempty"`
}

type findingJSON struct {
	Fingerprint string   `json:"fingerprint"`
	RuleID      string   `json:"rule_id"`
	Severity    string   `json:"severity"`
	Title       string   `json:"title"`
	Source      string   `json:"source"`
	AccountID   string   `json:"account_id"`
	Resource    string   `json:"resource"`
	PHI         bool     `json:"phi"`
	Evidence    []string `json:"evidence"`
	Citations   []string `json:"citations"`
	Controls    []string `json:"controls"`
	Remediation string   `json:"remediation"`
	Fix         *fixJSON `json:"fix"`
	FirstSeen   jsonTime `json:"first_seen"`
	LastSeen    jsonTime `json:"last_seen"`
	// Suppression is null when no suppression names the finding.
	Suppression *suppressionJSON `json:"suppression"`
}

type fixJSON struct {
	Language string `json:"language"`
	Apply    string `json:"apply"`
	Rollback string `json:"rollback"`
	Notes    string `json:"notes"`
}

// jsonTime is a time written in UTC as RFC 3339, or null when zero.
type jsonTime time.Time

// MarshalJSON writes t in UTC, or null for the zero time.
func (t jsonTime) MarshalJSON() ([]byte, error) {
	tt := time.Time(t)
	if tt.IsZero() {
		return []byte("null"), nil
	}
	return json.Marshal(tt.UTC().Format(time.RFC3339Nano))
}

// WriteJSON writes r as the JSON document described in SCHEMA.md: one
// object with the members scan, accounts and findings, indented, ending in
// a newline. Arrays are never null, times are UTC, and the order of every
// array is fixed so that two reports of the same estate diff cleanly. r is
// not modified.
func WriteJSON(w io.Writer, r *inventory.ScanResult) error {
	if r == nil {
		return errNilResult
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(buildDocument(r)); err != nil {
		return fmt.Errorf("write json report: %w", err)
	}
	return nil
}

func buildDocument(r *inventory.ScanResult) document {
	doc := document{
		Scan: scanJSON{
			SchemaVersion: SchemaVersion,
			ID:            r.ID,
			StartedAt:     jsonTime(r.StartedAt),
			FinishedAt:    jsonTime(r.FinishedAt),
			WardVersion:   r.WardVersion,
			ConfigPath:    r.ConfigPath,
			ConfigHash:    r.ConfigHash,
			Partial:       r.Partial(),
			Counts:        countFindings(r.Findings),
			Sources:       []sourceJSON{},
			Changes:       changesToJSON(r.Changes),
		},
		Accounts: []inventory.Account{},
		Findings: []findingJSON{},
	}
	for _, s := range sortedSources(r.Sources) {
		doc.Scan.Sources = append(doc.Scan.Sources, sourceToJSON(s))
	}
	for _, a := range sortedAccounts(r.Accounts) {
		doc.Accounts = append(doc.Accounts, normalizeAccount(a))
	}
	for _, f := range sortedFindings(r.Findings, compareFindings) {
		doc.Findings = append(doc.Findings, findingToJSON(f))
	}
	return doc
}

func sourceToJSON(s inventory.SourceResult) sourceJSON {
	snap := snapshotOf(s)
	out := sourceJSON{
		Name:              s.Name,
		Type:              s.Type,
		Status:            s.Status,
		Error:             s.Error,
		StartedAt:         jsonTime(snap.StartedAt),
		FinishedAt:        jsonTime(snap.FinishedAt),
		Scanner:           snap.Scanner,
		ScannerPrivileges: nonNil(slices.Sorted(slices.Values(snap.ScannerPrivileges))),
		Databases:         []databaseJSON{},
		Gaps:              []gapJSON{},
		UncheckedRules:    nonNil(slices.Sorted(slices.Values(s.UncheckedRules))),
		Settings:          settingsJSON{Postgres: normalizePostgres(snap.Postgres)},
	}
	for _, d := range sortedDatabases(snap.Databases) {
		out.Databases = append(out.Databases, databaseJSON(d))
	}
	for _, g := range sortedGaps(snap.Gaps) {
		out.Gaps = append(out.Gaps, gapJSON(g))
	}
	return out
}

// normalizePostgres returns a copy of p whose HBA rules have no null
// arrays; the order of the rules is the order of pg_hba.conf and is kept.
func normalizePostgres(p *inventory.PGSettings) *inventory.PGSettings {
	if p == nil {
		return nil
	}
	out := *p
	if p.HBA != nil {
		out.HBA = make([]inventory.HBARule, 0, len(p.HBA))
		for _, h := range p.HBA {
			h.Database = nonNil(slices.Clone(h.Database))
			h.User = nonNil(slices.Clone(h.User))
			out.HBA = append(out.HBA, h)
		}
	}
	return &out
}

// normalizeAccount returns a copy of a whose arrays are not nil, whose
// grants are sorted and whose times are UTC.
func normalizeAccount(a inventory.Account) inventory.Account {
	a.KindReasons = nonNil(slices.Clone(a.KindReasons))
	a.Grants = nonNil(sortedGrants(a.Grants))
	ms := make([]inventory.Membership, 0, len(a.Memberships))
	for _, m := range a.Memberships {
		m.Path = nonNil(slices.Clone(m.Path))
		ms = append(ms, m)
	}
	a.Memberships = ms
	if a.Attributes.ValidUntil != nil {
		t := a.Attributes.ValidUntil.UTC()
		a.Attributes.ValidUntil = &t
	}
	a.Attributes.Config = slices.Clone(a.Attributes.Config)
	a.Attributes.DangerousRoles = slices.Clone(a.Attributes.DangerousRoles)
	return a
}

func findingToJSON(f inventory.Finding) findingJSON {
	out := findingJSON{
		Fingerprint: f.Fingerprint,
		RuleID:      f.RuleID,
		Severity:    string(f.Severity),
		Title:       f.Title,
		Source:      f.Source,
		AccountID:   f.AccountID,
		Resource:    f.Resource,
		PHI:         f.PHI,
		Evidence:    nonNil(slices.Clone(f.Evidence)),
		Citations:   nonNil(slices.Clone(f.Citations)),
		Controls:    nonNil(slices.Clone(f.Controls)),
		Remediation: f.Remediation,
		FirstSeen:   jsonTime(f.FirstSeen),
		LastSeen:    jsonTime(f.LastSeen),
		Suppression: suppressionToJSON(f.Suppression),
	}
	if f.Fix != nil {
		out.Fix = &fixJSON{
			Language: f.Fix.Language,
			Apply:    f.Fix.Apply,
			Rollback: f.Fix.Rollback,
			Notes:    f.Fix.Notes,
		}
	}
	return out
}

// WriteFindingsJSON writes tracked findings, as `ward findings` lists
// them: {"findings": [...]}, each finding as in the JSON report with its
// status ("open" or "resolved") and resolved_at (null while open).
func WriteFindingsJSON(w io.Writer, fs []inventory.Finding) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(trackedToJSON(fs)); err != nil {
		return fmt.Errorf("write json findings: %w", err)
	}
	return nil
}

// nonNil returns s, or an empty slice in place of nil so that JSON shows [].
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
