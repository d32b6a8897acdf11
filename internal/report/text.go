package report

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/wardsec/ward/internal/inventory"
)

// DefaultTop is the number of findings the terminal summary lists when
// TextOptions.Top is zero.
const DefaultTop = 10

// textWidth is the width, in columns, that the terminal summary fits in.
const textWidth = 100

// TextOptions shape the terminal summary.
type TextOptions struct {
	// Color adds ANSI colours. Set it only when writing to a terminal.
	Color bool
	// Top is the most findings listed; 0 means DefaultTop and a negative
	// value lists none.
	Top int
	// ReportPath is the file where the full report was written; the
	// summary points to it, or says that none was written when it is "".
	ReportPath string
}

// WriteText writes a summary of r for a person at a terminal: the counts of
// findings by severity and by source, the status of each source, what
// changed since the previous scan (when r has changes), the top findings
// with their suppressions, everything that was not covered (databases skipped, checks that
// could not run and the grant that would let them run) and where the full
// report is. Lines fit in 100 columns. Control characters in names coming
// from a source are shown escaped, so a hostile role name cannot drive the
// terminal. r is not modified.
func WriteText(w io.Writer, r *inventory.ScanResult, opt TextOptions) error {
	if r == nil {
		return errNilResult
	}
	bw := bufio.NewWriter(w)
	t := &textWriter{w: bw, p: painter{on: opt.Color}}

	t.header(r)
	t.counts(r)
	t.sources(r)
	t.changes(r)
	t.top(r, opt.Top)
	t.notCovered(r)
	t.reports(opt.ReportPath)

	if t.err != nil {
		return fmt.Errorf("write text report: %w", t.err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write text report: %w", err)
	}
	return nil
}

// textWriter writes lines and keeps the first error, so the sections need
// not check every write.
type textWriter struct {
	w   io.Writer
	p   painter
	err error
}

func (t *textWriter) line(s string) {
	if t.err == nil {
		_, t.err = io.WriteString(t.w, s+"\n")
	}
}

// para writes text wrapped to textWidth, the first line after first and the
// others indented by indent spaces.
func (t *textWriter) para(first string, indent int, text string) {
	lines := wrap(clean(text), textWidth-indent, textWidth-width(first))
	for i, l := range lines {
		if i == 0 {
			t.line(first + l)
			continue
		}
		t.line(strings.Repeat(" ", indent) + l)
	}
}

func (t *textWriter) header(r *inventory.ScanResult) {
	t.line(t.p.bold("ward scan report"))
	t.para("  scan     ", 11, fmt.Sprintf("%s (ward %s)", or(r.ID, "-"), or(r.WardVersion, "-")))
	t.para("  time     ", 11, scanTime(r.StartedAt, r.FinishedAt))
	t.para("  config   ", 11, or(r.ConfigPath, "-"))
	t.para("  sha256   ", 11, or(r.ConfigHash, "-"))

	incomplete := 0
	for _, s := range r.Sources {
		if s.Status != inventory.StatusComplete {
			incomplete++
		}
	}
	result := t.p.paint(green, "complete: every source was fully scanned")
	switch {
	case len(r.Sources) == 0:
		result = t.p.paint(yellow, "no source was scanned")
	case incomplete > 0:
		result = t.p.paint(yellow, fmt.Sprintf("PARTIAL: %d of %d sources not fully scanned",
			incomplete, len(r.Sources)))
	}
	t.line("  result   " + result)
	t.line("")
}

// scanTime describes when a scan ran.
func scanTime(start, end time.Time) string {
	if start.IsZero() {
		return "unknown"
	}
	s := start.UTC().Format(time.RFC3339)
	if end.IsZero() {
		return s
	}
	return fmt.Sprintf("%s to %s (%s)", s, end.UTC().Format(time.RFC3339),
		end.Sub(start).Round(time.Second))
}

func (t *textWriter) counts(r *inventory.ScanResult) {
	c := countFindings(r.Findings)
	var b strings.Builder
	fmt.Fprintf(&b, "%s %d total", t.p.bold("Findings:"), c.Total)
	for _, s := range severities {
		label := fmt.Sprintf("%s %d", s, c.of(s))
		if c.of(s) > 0 {
			label = t.p.severity(s, label)
		}
		b.WriteString("   " + label)
	}
	if c.Other > 0 {
		fmt.Fprintf(&b, "   unrated %d", c.Other)
	}
	t.line(b.String())
	if c.Suppressed > 0 {
		t.line(fmt.Sprintf("  %s suppressed: shown, but not counted for --fail-on",
			plural(c.Suppressed, "finding")))
	}
	t.line("")
}

func (t *textWriter) sources(r *inventory.ScanResult) {
	t.line(t.p.bold("Sources"))
	if len(r.Sources) == 0 {
		t.line("  none")
		t.line("")
		return
	}
	accounts, findings := perSource(r)
	nameW, typeW := len("SOURCE"), len("TYPE")
	for _, s := range r.Sources {
		nameW = max(nameW, min(width(clean(s.Name)), 30))
		typeW = max(typeW, min(width(clean(s.Type)), 12))
	}
	row := func(name, typ, status, acc, fnd string, statusColor string) string {
		st := pad(status, 8)
		if statusColor != "" {
			st = t.p.paint(statusColor, st)
		}
		return fmt.Sprintf("  %s  %s  %s  %8s  %8s",
			pad(name, nameW), pad(typ, typeW), st, acc, fnd)
	}
	t.line(row("SOURCE", "TYPE", "STATUS", "ACCOUNTS", "FINDINGS", ""))
	for _, s := range sortedSources(r.Sources) {
		name := truncMiddle(clean(s.Name), nameW)
		typ := truncEnd(clean(s.Type), typeW)
		t.line(row(name, typ, s.Status, fmt.Sprint(accounts[s.Name]),
			fmt.Sprint(findings[s.Name]), statusColor(s.Status)))
		if s.Error != "" {
			t.para("    error: ", 11, s.Error)
		}
	}
	for _, name := range unlistedSources(r) {
		t.line(row(truncMiddle(clean(name), nameW), "?", "unlisted",
			fmt.Sprint(accounts[name]), fmt.Sprint(findings[name]), yellow))
	}
	t.line("")
}

func statusColor(status string) string {
	switch status {
	case inventory.StatusComplete:
		return green
	case inventory.StatusPartial:
		return yellow
	}
	return red
}

func (t *textWriter) reports(path string) {
	if path == "" {
		t.line("Full report: none written; ask for one with --format html, json, sarif or csv.")
		return
	}
	t.para("Full report: ", 13, path)
}
