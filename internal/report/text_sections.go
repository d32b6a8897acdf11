package report

import (
	"fmt"
	"slices"
	"strings"

	"github.com/wardsec/ward/internal/inventory"
)

// Widths of the columns of the top findings, before the title.
const (
	topIndent   = 2
	topSep      = 2
	topSevW     = 8 // "CRITICAL"
	topPHIW     = 3 // "PHI"
	topRuleMax  = 14
	topTitleMin = 24
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
	t.line(t.p.bold(fmt.Sprintf("Top findings (%d of %d)", len(fs), len(r.Findings))))

	rows := make([][4]string, 0, len(fs))
	for _, f := range fs {
		rows = append(rows, [4]string{clean(f.RuleID), clean(findingSubject(f)),
			clean(f.Resource), clean(f.Title)})
	}
	ruleW, subjW, resW, titleW := topWidths(rows)
	line := func(sev, phi, rule, subj, res, title string) string {
		cols := []string{sev, phi, pad(truncEnd(rule, ruleW), ruleW),
			pad(truncMiddle(subj, subjW), subjW), pad(truncMiddle(res, resW), resW),
			truncEnd(title, titleW)}
		return strings.TrimRight(strings.Repeat(" ", topIndent)+
			strings.Join(cols, strings.Repeat(" ", topSep)), " ")
	}
	t.line(line(pad("SEVERITY", topSevW), "PHI", "RULE", "ACCOUNT/SOURCE", "RESOURCE", "TITLE"))
	for i, f := range fs {
		sev := t.p.severity(f.Severity, pad(strings.ToUpper(clean(string(f.Severity))), topSevW))
		phi := "   "
		if f.PHI {
			phi = t.p.paint(magenta, "PHI")
		}
		row := rows[i]
		t.line(line(sev, phi, row[0], row[1], row[2], row[3]))
	}
	t.line("")
}

// topWidths shares the width of a line between the rule, subject, resource
// and title columns: each takes what it needs, the title keeps at least
// topTitleMin columns, and when the subject and resource do not both fit
// the longer of the two gives way first.
func topWidths(rows [][4]string) (rule, subj, res, title int) {
	rule, subj, res = len("RULE"), len("ACCOUNT/SOURCE"), len("RESOURCE")
	for _, r := range rows {
		rule = max(rule, width(r[0]))
		subj = max(subj, width(r[1]))
		res = max(res, width(r[2]))
	}
	rule = min(rule, topRuleMax)

	free := textWidth - topIndent - topSevW - topPHIW - 5*topSep - rule
	avail := free - topTitleMin
	if subj+res > avail {
		s := min(subj, max(avail/2, avail-res))
		res = min(res, avail-s)
		subj = s
	}
	return rule, subj, res, free - subj - res
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
