package report

import (
	"slices"
	"strings"

	"github.com/wardsec/ward/internal/inventory"
)

// suppressionJSON is a finding's suppression in the JSON report.
type suppressionJSON struct {
	Reason string `json:"reason"`
	// Until is the last day it applies, YYYY-MM-DD (UTC).
	Until     string   `json:"until"`
	By        string   `json:"by"`
	Origin    string   `json:"origin"`
	CreatedAt jsonTime `json:"created_at"`
	Expired   bool     `json:"expired"`
}

func suppressionToJSON(s *inventory.Suppression) *suppressionJSON {
	if s == nil {
		return nil
	}
	return &suppressionJSON{Reason: s.Reason, Until: dateOf(s.Until), By: s.By,
		Origin: originCode(s), CreatedAt: jsonTime(s.CreatedAt), Expired: s.Expired}
}

// changesJSON is scan.changes: what changed in each source since its
// previous scan.
type changesJSON struct {
	Sources []sourceChangesJSON `json:"sources"`
}

type sourceChangesJSON struct {
	Source            string                  `json:"source"`
	Comparison        string                  `json:"comparison"`
	Status            string                  `json:"status"`
	PreviousScanID    string                  `json:"previous_scan_id"`
	PreviousStartedAt jsonTime                `json:"previous_started_at"`
	PreviousStatus    string                  `json:"previous_status"`
	Notes             []string                `json:"notes"`
	New               []inventory.FindingRef  `json:"new_findings"`
	Unchanged         []inventory.FindingRef  `json:"unchanged_findings"`
	Resolved          []inventory.FindingRef  `json:"resolved_findings"`
	AddedAccounts     []inventory.AccountRef  `json:"added_accounts"`
	RemovedAccounts   []inventory.AccountRef  `json:"removed_accounts"`
	AddedGrants       []inventory.GrantChange `json:"added_grants"`
	RemovedGrants     []inventory.GrantChange `json:"removed_grants"`
}

// changesToJSON copies c with its sources sorted by name and no null
// arrays; nil stays nil (null in the report).
func changesToJSON(c *inventory.Changes) *changesJSON {
	if c == nil {
		return nil
	}
	out := &changesJSON{Sources: []sourceChangesJSON{}}
	srcs := slices.Clone(c.Sources)
	slices.SortStableFunc(srcs, func(a, b inventory.SourceChanges) int {
		return strings.Compare(a.Source, b.Source)
	})
	for _, s := range srcs {
		out.Sources = append(out.Sources, sourceChangesJSON{
			Source: s.Source, Comparison: s.Comparison, Status: s.Status,
			PreviousScanID: s.PreviousScanID, PreviousStartedAt: jsonTime(s.PreviousStartedAt),
			PreviousStatus:  s.PreviousStatus,
			Notes:           nonNil(slices.Clone(s.Notes)),
			New:             nonNil(slices.Clone(s.New)),
			Unchanged:       nonNil(slices.Clone(s.Unchanged)),
			Resolved:        nonNil(slices.Clone(s.Resolved)),
			AddedAccounts:   nonNil(slices.Clone(s.AddedAccounts)),
			RemovedAccounts: nonNil(slices.Clone(s.RemovedAccounts)),
			AddedGrants:     grantChangesJSON(s.AddedGrants),
			RemovedGrants:   grantChangesJSON(s.RemovedGrants),
		})
	}
	return out
}

// grantChangesJSON copies gs with no null paths.
func grantChangesJSON(gs []inventory.GrantChange) []inventory.GrantChange {
	out := make([]inventory.GrantChange, 0, len(gs))
	for _, g := range gs {
		g.Path = slices.Clone(g.Path)
		out = append(out, g)
	}
	return out
}

// trackedJSON is a finding as `ward findings` lists it: the finding of
// the JSON report with its status in the store.
type trackedJSON struct {
	findingJSON
	Status     string   `json:"status"`
	ResolvedAt jsonTime `json:"resolved_at"`
}

// trackedDocument is the JSON of `ward findings`.
type trackedDocument struct {
	Findings []trackedJSON `json:"findings"`
}

func trackedToJSON(fs []inventory.Finding) trackedDocument {
	doc := trackedDocument{Findings: []trackedJSON{}}
	for _, f := range sortedFindings(fs, compareFindings) {
		status := "open"
		if !f.ResolvedAt.IsZero() {
			status = "resolved"
		}
		doc.Findings = append(doc.Findings, trackedJSON{findingJSON: findingToJSON(f),
			Status: status, ResolvedAt: jsonTime(f.ResolvedAt)})
	}
	return doc
}
