package report

import (
	"strings"
	"unicode/utf8"

	"github.com/wardsec/ward/internal/inventory"
	"github.com/wardsec/ward/internal/termtext"
)

// ANSI colour codes used by the painter.
const (
	bold    = "1"
	red     = "31"
	boldRed = "1;31"
	green   = "32"
	yellow  = "33"
	magenta = "35"
	cyan    = "36"
	dim     = "2"
)

// painter wraps text in ANSI colour codes when on, and leaves it alone
// otherwise.
type painter struct{ on bool }

func (p painter) paint(code, s string) string {
	if !p.on || code == "" {
		return s
	}
	return "\x1b[" + code + "m" + s + "\x1b[0m"
}

func (p painter) bold(s string) string { return p.paint(bold, s) }

// severity colours s by the severity sev.
func (p painter) severity(sev inventory.Severity, s string) string {
	switch sev {
	case inventory.SeverityCritical:
		return p.paint(boldRed, s)
	case inventory.SeverityHigh:
		return p.paint(red, s)
	case inventory.SeverityMedium:
		return p.paint(yellow, s)
	case inventory.SeverityLow:
		return p.paint(cyan, s)
	case inventory.SeverityInfo:
		return p.paint(dim, s)
	}
	return s
}

// clean makes s safe to print on a terminal (see termtext.Clean).
func clean(s string) string { return termtext.Clean(s) }

// width is the number of columns s takes, counting one per rune. Wide East
// Asian characters take two on most terminals; names with them may push a
// line past the limit.
func width(s string) int { return utf8.RuneCountInString(s) }

// pad fills s with spaces up to w columns.
func pad(s string, w int) string {
	if n := width(s); n < w {
		return s + strings.Repeat(" ", w-n)
	}
	return s
}

// truncEnd shortens s to w columns, ending in an ellipsis when cut.
func truncEnd(s string, w int) string {
	if width(s) <= w {
		return s
	}
	if w <= 1 {
		return string([]rune(s)[:max(w, 0)])
	}
	return string([]rune(s)[:w-1]) + "…"
}

// truncMiddle shortens s to w columns by cutting its middle, so both the
// source name and the account name of an ID stay readable.
func truncMiddle(s string, w int) string {
	if width(s) <= w {
		return s
	}
	if w <= 3 {
		return truncEnd(s, w)
	}
	rs := []rune(s)
	head := (w - 1) / 2
	tail := w - 1 - head
	return string(rs[:head]) + "…" + string(rs[len(rs)-tail:])
}

// wrap breaks s into lines at spaces: the first at most firstW columns, the
// others at most w. A word longer than a line is cut.
func wrap(s string, w, firstW int) []string {
	var lines []string
	limit := max(firstW, 1)
	var cur []rune
	flush := func() {
		lines = append(lines, string(cur))
		cur = cur[:0]
		limit = max(w, 1)
	}
	for _, word := range strings.Fields(s) {
		rw := []rune(word)
		switch {
		case len(cur) == 0:
		case len(cur)+1+len(rw) <= limit:
			cur = append(cur, ' ')
		default:
			flush()
		}
		for len(cur)+len(rw) > limit {
			n := limit - len(cur)
			cur = append(cur, rw[:n]...)
			rw = rw[n:]
			flush()
		}
		cur = append(cur, rw...)
	}
	if len(cur) > 0 || len(lines) == 0 {
		lines = append(lines, string(cur))
	}
	return lines
}
