package report

import (
	"bufio"
	"fmt"
	"io"
	"time"

	"github.com/wardsec/ward/internal/inventory"
)

// ListOptions shape the terminal output of the commands that read the
// store (findings, inventory, explain).
type ListOptions struct {
	// Color adds ANSI colours. Set it only when writing to a terminal.
	Color bool
	// Notes are written first, one paragraph each: which scan the list
	// comes from, sources that failed in it.
	Notes []string
}

// listWriter starts a textWriter for a listing and writes its notes.
func listWriter(w io.Writer, opt ListOptions) (*textWriter, *bufio.Writer) {
	bw := bufio.NewWriter(w)
	t := &textWriter{w: bw, p: painter{on: opt.Color}}
	for _, n := range opt.Notes {
		t.para("", 0, n)
	}
	if len(opt.Notes) > 0 {
		t.line("")
	}
	return t, bw
}

// finish flushes a listing and wraps its first error with what.
func (t *textWriter) finish(bw *bufio.Writer, what string) error {
	if t.err != nil {
		return fmt.Errorf("write %s: %w", what, t.err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write %s: %w", what, err)
	}
	return nil
}

// WriteFindingsText writes tracked findings, as `ward findings` lists
// them, most severe first: severity, PHI, rule, account and resource on a
// first line; fingerprint, status and title on the second; the
// suppression, active or expired, on a third. It ends with the counts.
// Names from a source are escaped as in WriteText.
func WriteFindingsText(w io.Writer, fs []inventory.Finding, opt ListOptions) error {
	t, bw := listWriter(w, opt)
	indent := findingIndent()
	resolved, suppressed := 0, 0
	for _, f := range sortedFindings(fs, compareFindings) {
		t.line(t.findingHead(f))
		status := "open, first seen " + dayOr(f.FirstSeen)
		if !f.ResolvedAt.IsZero() {
			status = "resolved " + dayOr(f.ResolvedAt)
			resolved++
		}
		if f.Suppression.Active() {
			suppressed++
		}
		second := fmt.Sprintf("%s  %s  %s", clean(f.Fingerprint), status, clean(f.Title))
		t.line(indent + truncEnd(second, textWidth-width(indent)))
		if f.Suppression != nil {
			t.para(indent, width(indent), suppressionText(f.Suppression))
		}
	}

	if len(fs) == 0 {
		t.line("No finding matches.")
	} else {
		t.line("")
		t.line(fmt.Sprintf("%s: %d suppressed, %d resolved.", plural(len(fs), "finding"),
			suppressed, resolved))
	}
	return t.finish(bw, "findings")
}

// dayOr writes the day of t, UTC, or "unknown" for the zero time.
func dayOr(t time.Time) string {
	if t.IsZero() {
		return "unknown"
	}
	return dateOf(t)
}
