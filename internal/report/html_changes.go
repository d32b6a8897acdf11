package report

import (
	"github.com/wardsec/ward/internal/inventory"
)

// htmlChangesCap is the most items of each list of changes the HTML page
// shows per source; the JSON report has every one.
const htmlChangesCap = 100

// changeView is what the page shows of the changes of one source.
type changeView struct {
	Source          string
	Comparison      string
	Status          string
	PreviousScanID  string
	PreviousStarted string
	PreviousStatus  string
	Notes           []string

	NewCount, UnchangedCount, ResolvedCount int
	AddedAccountCount, RemovedAccountCount  int
	AddedGrantCount, RemovedGrantCount      int
	New, Resolved                           []findingRefView
	AddedAccounts, RemovedAccounts          []inventory.AccountRef
	AddedGrants, RemovedGrants              []grantChangeView
	// Omitted counts the items of all lists left out by htmlChangesCap.
	Omitted int
}

type findingRefView struct {
	inventory.FindingRef
	Badge   badge
	Subject string
}

type grantChangeView struct {
	AccountID, Privilege, Resource, Type, Via string
	PHI                                       bool
}

// changeViews builds the changes section, nil when r was not compared.
func changeViews(r *inventory.ScanResult) []changeView {
	if r.Changes == nil {
		return nil
	}
	out := []changeView{}
	for _, s := range sortedChanges(r.Changes.Sources) {
		v := changeView{
			Source: s.Source, Comparison: s.Comparison, Status: s.Status,
			PreviousScanID: s.PreviousScanID, PreviousStarted: formatTime(s.PreviousStartedAt),
			PreviousStatus: s.PreviousStatus, Notes: s.Notes,
			NewCount: len(s.New), UnchangedCount: len(s.Unchanged),
			ResolvedCount: len(s.Resolved), AddedAccountCount: len(s.AddedAccounts),
			RemovedAccountCount: len(s.RemovedAccounts), AddedGrantCount: len(s.AddedGrants),
			RemovedGrantCount: len(s.RemovedGrants),
		}
		v.New = refViews(capped(s.New, &v.Omitted))
		v.Resolved = refViews(capped(s.Resolved, &v.Omitted))
		v.AddedAccounts = capped(s.AddedAccounts, &v.Omitted)
		v.RemovedAccounts = capped(s.RemovedAccounts, &v.Omitted)
		v.AddedGrants = grantChangeViews(capped(s.AddedGrants, &v.Omitted))
		v.RemovedGrants = grantChangeViews(capped(s.RemovedGrants, &v.Omitted))
		out = append(out, v)
	}
	return out
}

// capped returns the first htmlChangesCap items and adds the number left
// out to omitted.
func capped[T any](items []T, omitted *int) []T {
	if len(items) <= htmlChangesCap {
		return items
	}
	*omitted += len(items) - htmlChangesCap
	return items[:htmlChangesCap]
}

func refViews(refs []inventory.FindingRef) []findingRefView {
	var out []findingRefView
	for _, f := range refs {
		subj := f.AccountID
		if subj == "" {
			subj = f.Resource
		}
		out = append(out, findingRefView{FindingRef: f, Badge: badgeOf(f.Severity), Subject: subj})
	}
	return out
}

func grantChangeViews(gs []inventory.GrantChange) []grantChangeView {
	var out []grantChangeView
	for _, g := range gs {
		out = append(out, grantChangeView{AccountID: g.AccountID, Privilege: g.Privilege,
			Resource: g.Resource, Type: g.ResourceType, Via: viaText(g.Grant), PHI: g.PHI})
	}
	return out
}
