package report

import (
	"fmt"
	"slices"
	"strings"

	"github.com/wardsec/ward/internal/inventory"
)

// Caps of the lists in the terminal's changes section; the JSON, HTML and
// SARIF reports carry every change.
const (
	textNewCap     = 10
	textChangesCap = 5
)

// changes writes what changed in each source since its previous scan:
// counts, then the first few new and resolved findings, accounts and
// grants. It writes nothing when the scan has not been compared.
func (t *textWriter) changes(r *inventory.ScanResult) {
	if r.Changes == nil {
		return
	}
	t.line(t.p.bold("Changes since the previous scan"))
	if len(r.Changes.Sources) == 0 {
		t.line("  none: no source was scanned")
	}
	for _, s := range sortedChanges(r.Changes.Sources) {
		t.sourceChanges(s)
	}
	t.line("")
}

func sortedChanges(ss []inventory.SourceChanges) []inventory.SourceChanges {
	out := slices.Clone(ss)
	slices.SortStableFunc(out, func(a, b inventory.SourceChanges) int {
		return strings.Compare(a.Source, b.Source)
	})
	return out
}

func (t *textWriter) sourceChanges(s inventory.SourceChanges) {
	head := "  " + truncMiddle(clean(s.Source), 24) + ": "
	switch s.Comparison {
	case inventory.ComparedNotAtAll:
		t.para(head, 4, "not compared: the source failed in this scan; its findings "+
			"are kept as they were")
		return
	case inventory.ComparedFirstScan:
		t.para(head, 4, fmt.Sprintf("first scan of this source: %s, all new",
			plural(len(s.New), "finding")))
	default:
		prev := s.PreviousScanID
		if !s.PreviousStartedAt.IsZero() {
			prev += " of " + formatTime(s.PreviousStartedAt)
		}
		if s.PreviousStatus != "" && s.PreviousStatus != inventory.StatusComplete {
			prev += ", " + s.PreviousStatus
		}
		t.para(head, 4, fmt.Sprintf("since %s: findings %d new, %d unchanged, %d resolved; "+
			"accounts +%d -%d; grants +%d -%d", prev, len(s.New), len(s.Unchanged),
			len(s.Resolved), len(s.AddedAccounts), len(s.RemovedAccounts),
			len(s.AddedGrants), len(s.RemovedGrants)))
	}
	for _, n := range s.Notes {
		if s.Comparison == inventory.ComparedFirstScan && strings.HasPrefix(n, "no earlier scan") {
			continue // the headline says it
		}
		t.para("    note: ", 10, n)
	}

	more := 0
	more += t.findingRefs("new", s.New, textNewCap)
	more += t.findingRefs("resolved", s.Resolved, textChangesCap)
	more += listCapped(t, s.AddedAccounts, textChangesCap, func(a inventory.AccountRef) {
		t.accountRef("+ account", a)
	})
	more += listCapped(t, s.RemovedAccounts, textChangesCap, func(a inventory.AccountRef) {
		t.accountRef("- account", a)
	})
	more += listCapped(t, s.AddedGrants, textChangesCap, func(g inventory.GrantChange) {
		t.grantChange("+ grant", g)
	})
	more += listCapped(t, s.RemovedGrants, textChangesCap, func(g inventory.GrantChange) {
		t.grantChange("- grant", g)
	})
	if more > 0 {
		t.line(fmt.Sprintf("    … %d more; the json, html and sarif reports list every change",
			more))
	}
}

// listCapped calls show for the first n items and returns how many it
// left out.
func listCapped[T any](t *textWriter, items []T, n int, show func(T)) int {
	for i, it := range items {
		if i == n {
			return len(items) - n
		}
		show(it)
	}
	return 0
}

// findingRefs lists up to n findings under label and returns how many it
// left out.
func (t *textWriter) findingRefs(label string, refs []inventory.FindingRef, n int) int {
	return listCapped(t, refs, n, func(f inventory.FindingRef) {
		l := label
		if f.Reopened {
			l = "reopened"
		}
		sev := t.p.severity(f.Severity, pad(strings.ToUpper(clean(string(f.Severity))), topSevW))
		phi := "   "
		if f.PHI {
			phi = t.p.paint(magenta, "PHI")
		}
		rule := truncEnd(clean(f.RuleID), 30)
		subj := f.AccountID
		if subj == "" {
			subj = f.Resource
		}
		lead := 4 + 8 + 2 + topSevW + 2 + topPHIW + 2
		subj = truncMiddle(clean(subj), max(textWidth-lead-width(rule)-2, 12))
		t.line(strings.TrimRight(fmt.Sprintf("    %s  %s  %s  %s  %s", pad(l, 8), sev, phi,
			rule, subj), " "))
	})
}

func (t *textWriter) accountRef(label string, a inventory.AccountRef) {
	detail := fmt.Sprintf("%s, %s", or(string(a.Kind), "unknown kind"), plural(a.Grants, "grant"))
	if a.PHIGrants > 0 {
		detail += fmt.Sprintf(", %d on PHI", a.PHIGrants)
	}
	id := truncMiddle(clean(a.ID), textWidth-4-len(label)-2-width(detail)-2)
	t.line(fmt.Sprintf("    %s  %s  %s", label, id, detail))
}

// grantChange writes one grant gained or lost; para escapes the names.
func (t *textWriter) grantChange(label string, g inventory.GrantChange) {
	what := g.Privilege + " on " + g.Resource
	if g.PHI {
		what += " (PHI)"
	}
	t.para(fmt.Sprintf("    %s  ", label), 13, what+" to "+g.AccountID+" via "+viaText(g.Grant))
}
