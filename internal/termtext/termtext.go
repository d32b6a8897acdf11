// Package termtext makes text read from sources and files safe to print on
// a terminal. Role names, application names and file paths are chosen by
// whoever controls a source or a repository; printed raw, they could move
// the cursor, clear the screen or reorder what a reviewer reads.
package termtext

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Clean returns s with control characters and invalid UTF-8 bytes written
// as \xNN, and other control and bidirectional marks as \uNNNN. Text that
// needs nothing is returned as it is.
func Clean(s string) string {
	if !needsClean(s) {
		return s
	}
	var b strings.Builder
	for i, r := range s {
		switch {
		case r == utf8.RuneError && !strings.HasPrefix(s[i:], "\uFFFD"):
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r < 0x80 && unicode.IsControl(r):
			fmt.Fprintf(&b, `\x%02x`, r)
		case unicode.IsControl(r) || isBidi(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func needsClean(s string) bool {
	if !utf8.ValidString(s) {
		return true
	}
	for _, r := range s {
		if unicode.IsControl(r) || isBidi(r) {
			return true
		}
	}
	return false
}

// isBidi reports whether r is a bidirectional embedding, override,
// isolate or mark, which can show text in an order other than stored.
func isBidi(r rune) bool {
	return (r >= 0x202A && r <= 0x202E) || (r >= 0x2066 && r <= 0x2069) ||
		r == 0x200E || r == 0x200F || r == 0x061C
}
