package report

import (
	"fmt"
	"slices"
	"strings"

	"github.com/wardsec/ward/internal/inventory"
)

// Widths of the columns of the top findings, before the title.
const (
	topIndent = 2
	topSep    = 2
	topSevW   = 8 // "CRITICAL"
	topPHIW   = 3 // "PHI"
)

func (t *textWriter) top(r *inventory.ScanResult, n int) {
	if n == 0 {
		n = DefaultTop
	}
	if n < 0 || len(r.Findings) == 0 {
		if len(r.Findings) == 0 {
			t.line(t.p.bold("Top findings") + ": none")
			t.line("")
		}
		return
	}
	fs := sortedFindings(r.Findings, compareTop)
	fs = fs[:min(n, len(fs))]
	states := changeStates(r.Changes)
	t.line(t.p.bold(fmt.Sprintf("Top findings (%d of %d)", len(fs), len(r.Findings))))

	// Each finding takes two lines: what and where on the first, with the
	// rule ID and account never cut; the title below it. Only the
	// resource and the title give way to the line width.
	titleIndent := findingIndent()
	for _, f := range fs {
		t.line(t.findingHead(f))
		title := clean(f.Title)
		if st := states[f.Fingerprint]; st == stateNew || st == stateReopened {
			title = "[" + st + "] " + title
		}
		t.line(titleIndent + truncEnd(title, textWidth-width(titleIndent)))
		if f.Suppression != nil {
			t.para(titleIndent, width(titleIndent), suppressionText(f.Suppression))
		}
	}
	t.line("")
}

// findingIndent is the indent of the lines under a finding's first line.
func findingIndent() string {
	return strings.Repeat(" ", topIndent+topSevW+topSep+topPHIW+topSep)
}

// findingHead is the first line of a finding in a list: severity, PHI,
// rule, account or source, and resource.
func (t *textWriter) findingHead(f inventory.Finding) string {
	indent := strings.Repeat(" ", topIndent)
	sev := t.p.severity(f.Severity, pad(strings.ToUpper(clean(string(f.Severity))), topSevW))
	phi := "   "
	if f.PHI {
		phi = t.p.paint(magenta, "PHI")
	}
	lead := topIndent + topSevW + topPHIW + 2*topSep
	rule := truncEnd(clean(f.RuleID), textWidth-lead-40)
	subj := truncMiddle(clean(findingSubject(f)), textWidth-lead-width(rule)-2-topSep-12)
	head := rule + "  " + subj
	used := lead + width(head) + topSep
	res := ""
	if f.Resource != "" {
		res = truncMiddle(clean(f.Resource), max(textWidth-used, 12))
	}
	sep := strings.Repeat(" ", topSep)
	return strings.TrimRight(indent+sev+sep+phi+sep+head+sep+res, " ")
}

// uncovered is one line of the Not covered section: the source, what was
// not covered, and an optional follow-up such as the grant that enables a
// check.
type uncovered struct {
	source, text, enable string
}

func (t *textWriter) notCovered(r *inventory.ScanResult) {
	items := uncoveredItems(r)
	t.line(t.p.bold("Not covered"))
	switch {
	case len(r.Sources) == 0:
		t.line("  everything: no source was scanned")
	case len(items) == 0:
		t.line("  nothing: every database was scanned and every check ran")
	}
	for _, it := range items {
		t.para("  "+truncMiddle(clean(it.source), 24)+": ", 6, it.text)
		if it.enable != "" {
			t.para("    enable: ", 12, it.enable)
		}
	}
	t.line("")
}

// uncoveredItems lists, source by source, what a scan did not cover: a
// failed source, databases not scanned, checks that could not run with the
// grant that would let them run, and rules left unevaluated.
func uncoveredItems(r *inventory.ScanResult) []uncovered {
	var items []uncovered
	for _, s := range sortedSources(r.Sources) {
		if s.Status == inventory.StatusFailed {
			items = append(items, uncovered{source: s.Name,
				text: "source failed; nothing was collected"})
		}
		snap := snapshotOf(s)
		for _, d := range sortedDatabases(snap.Databases) {
			if d.Scanned {
				continue
			}
			items = append(items, uncovered{source: s.Name, text: fmt.Sprintf(
				"database %s not scanned: %s", d.Name, or(d.Reason, "no reason given"))})
		}
		for _, g := range sortedGaps(snap.Gaps) {
			items = append(items, uncovered{source: s.Name,
				text:   fmt.Sprintf("check %q could not run: %s", g.Check, g.Reason),
				enable: or(g.Enable, "no grant known to enable it")})
		}
		if len(s.UncheckedRules) > 0 {
			items = append(items, uncovered{source: s.Name, text: fmt.Sprintf(
				"rules not evaluated: %s; their earlier findings are not resolved",
				strings.Join(slices.Sorted(slices.Values(s.UncheckedRules)), ", "))})
		}
	}
	return items
}

// or returns s, or def when s is empty.
func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
