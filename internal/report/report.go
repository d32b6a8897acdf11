package report

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/wardsec/ward/internal/inventory"
)

// Func writes one scan in one format.
type Func func(w io.Writer, r *inventory.ScanResult) error

// format is one entry of the registry of machine formats.
type format struct {
	name  string
	write Func
}

// formats lists the formats that Writer knows, one entry each; a test
// checks that no name is registered twice.
func formats() []format {
	return []format{
		{name: "csv", write: WriteCSV},
		{name: "html", write: WriteHTML},
		{name: "json", write: WriteJSON},
		{name: "sarif", write: WriteSARIF},
	}
}

// Formats returns the names that Writer accepts, sorted.
func Formats() []string {
	var names []string
	for _, f := range formats() {
		names = append(names, f.name)
	}
	slices.Sort(names)
	return names
}

// Writer returns the writer of the named format ("csv", "html", "json" or
// "sarif"). The
// terminal summary is not in the registry because it takes options; call
// WriteText for it.
func Writer(name string) (Func, error) {
	for _, f := range formats() {
		if f.name == name {
			return f.write, nil
		}
	}
	return nil, fmt.Errorf("unknown report format %q: use %s", name, orList(Formats()))
}

// orList writes names as "a or b" or "a, b or c".
func orList(names []string) string {
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// errNilResult is returned by every writer given no scan.
var errNilResult = errors.New("no scan result to report")

// severities lists the known severities, highest first, as reports show them.
var severities = []inventory.Severity{
	inventory.SeverityCritical,
	inventory.SeverityHigh,
	inventory.SeverityMedium,
	inventory.SeverityLow,
	inventory.SeverityInfo,
}

// counts holds the number of findings per severity.
type counts struct {
	Total    int `json:"total"`
	Critical int `json:"critical"`
	High     int `json:"high"`
	Medium   int `json:"medium"`
	Low      int `json:"low"`
	Info     int `json:"info"`
	// Suppressed counts the findings, of any severity, under a suppression
	// that applies; they are included in the other counts.
	Suppressed int `json:"suppressed"`
	// Other counts findings whose severity is none of the five; rules
	// should never produce them, but a report must not hide them.
	Other int `json:"-"`
}

// countFindings counts fs by severity.
func countFindings(fs []inventory.Finding) counts {
	var c counts
	for _, f := range fs {
		c.Total++
		if f.Suppression.Active() {
			c.Suppressed++
		}
		switch f.Severity {
		case inventory.SeverityCritical:
			c.Critical++
		case inventory.SeverityHigh:
			c.High++
		case inventory.SeverityMedium:
			c.Medium++
		case inventory.SeverityLow:
			c.Low++
		case inventory.SeverityInfo:
			c.Info++
		default:
			c.Other++
		}
	}
	return c
}

// of returns the count of one severity.
func (c counts) of(s inventory.Severity) int {
	switch s {
	case inventory.SeverityCritical:
		return c.Critical
	case inventory.SeverityHigh:
		return c.High
	case inventory.SeverityMedium:
		return c.Medium
	case inventory.SeverityLow:
		return c.Low
	case inventory.SeverityInfo:
		return c.Info
	}
	return 0
}

// compareFindings is the order of findings in the JSON and HTML reports:
// severity (highest first), rule, account, resource, then source and
// fingerprint so that equal keys still sort the same way every time.
func compareFindings(a, b inventory.Finding) int {
	return cmp.Or(
		cmp.Compare(b.Severity.Rank(), a.Severity.Rank()),
		strings.Compare(a.RuleID, b.RuleID),
		strings.Compare(a.AccountID, b.AccountID),
		strings.Compare(a.Resource, b.Resource),
		strings.Compare(a.Source, b.Source),
		strings.Compare(a.Fingerprint, b.Fingerprint),
	)
}

// compareTop is the order of the terminal's top findings: severity, then
// findings that touch PHI, then rule, then the order of compareFindings.
func compareTop(a, b inventory.Finding) int {
	return cmp.Or(
		cmp.Compare(b.Severity.Rank(), a.Severity.Rank()),
		boolFirst(a.PHI, b.PHI),
		compareFindings(a, b),
	)
}

// boolFirst orders true before false.
func boolFirst(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return -1
	}
	return 1
}

// sortedFindings returns a sorted copy of fs; fs is left as it was.
func sortedFindings(fs []inventory.Finding,
	order func(a, b inventory.Finding) int) []inventory.Finding {
	out := slices.Clone(fs)
	slices.SortStableFunc(out, order)
	return out
}

// sortedAccounts returns a copy of as sorted by ID.
func sortedAccounts(as []inventory.Account) []inventory.Account {
	out := slices.Clone(as)
	slices.SortStableFunc(out, func(a, b inventory.Account) int {
		return strings.Compare(a.ID, b.ID)
	})
	return out
}

// sortedSources returns a copy of ss sorted by name, so that sources
// scanned in parallel are reported in the same order every time.
func sortedSources(ss []inventory.SourceResult) []inventory.SourceResult {
	out := slices.Clone(ss)
	slices.SortStableFunc(out, func(a, b inventory.SourceResult) int {
		return cmp.Or(strings.Compare(a.Name, b.Name), strings.Compare(a.Type, b.Type))
	})
	return out
}

// sortedGrants returns a copy of gs sorted by resource, privilege and path.
func sortedGrants(gs []inventory.Grant) []inventory.Grant {
	out := slices.Clone(gs)
	slices.SortStableFunc(out, func(a, b inventory.Grant) int {
		return cmp.Or(
			strings.Compare(a.Resource, b.Resource),
			strings.Compare(a.Privilege, b.Privilege),
			strings.Compare(a.Via, b.Via),
			slices.Compare(a.Path, b.Path),
			boolFirst(!a.SetRoleOnly, !b.SetRoleOnly),
			boolFirst(!a.Grantable, !b.Grantable),
		)
	})
	return out
}

// sortedDatabases returns a copy of ds sorted by name.
func sortedDatabases(ds []inventory.DatabaseCoverage) []inventory.DatabaseCoverage {
	out := slices.Clone(ds)
	slices.SortStableFunc(out, func(a, b inventory.DatabaseCoverage) int {
		return strings.Compare(a.Name, b.Name)
	})
	return out
}

// sortedGaps returns a copy of gs sorted by check.
func sortedGaps(gs []inventory.Gap) []inventory.Gap {
	out := slices.Clone(gs)
	slices.SortStableFunc(out, func(a, b inventory.Gap) int {
		return cmp.Or(strings.Compare(a.Check, b.Check), strings.Compare(a.Reason, b.Reason))
	})
	return out
}

// snapshotOf returns the snapshot of s, or an empty one when the source
// failed, so callers need not check for nil.
func snapshotOf(s inventory.SourceResult) *inventory.Snapshot {
	if s.Snapshot == nil {
		return &inventory.Snapshot{}
	}
	return s.Snapshot
}

// findingSubject is what a finding is about: its account, or its source for
// findings about a source as a whole.
func findingSubject(f inventory.Finding) string {
	if f.AccountID != "" {
		return f.AccountID
	}
	return f.Source
}

// perSource counts accounts and findings for each source name.
func perSource(r *inventory.ScanResult) (accounts, findings map[string]int) {
	accounts = map[string]int{}
	findings = map[string]int{}
	for _, a := range r.Accounts {
		accounts[a.Source]++
	}
	for _, f := range r.Findings {
		findings[f.Source]++
	}
	return accounts, findings
}

// unlistedSources returns the source names that accounts or findings refer
// to but the scan's source list lacks, sorted. A sound scan has none; the
// reports show them rather than drop their counts.
func unlistedSources(r *inventory.ScanResult) []string {
	known := map[string]bool{}
	for _, s := range r.Sources {
		known[s.Name] = true
	}
	seen := map[string]bool{}
	var out []string
	add := func(name string) {
		if !known[name] && !seen[name] {
			seen[name] = true
			out = append(out, name)
		}
	}
	for _, a := range r.Accounts {
		add(a.Source)
	}
	for _, f := range r.Findings {
		add(f.Source)
	}
	slices.Sort(out)
	return out
}
