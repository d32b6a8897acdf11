// Package sqlshape reduces SQL statements and server messages to their
// shape: every literal value replaced by ?, comments dropped, white space
// collapsed, identifiers and keywords kept as written.
//
// ward stores shapes rather than statements because a statement logged by
// PostgreSQL carries the values it was run with, and in a hospital those
// are patient data: the raw line stays in the server's log, referenced by
// file and offset, and ward's store keeps only what was done to which
// object. A shape is also free of credentials, which are always literals.
package sqlshape

import (
	"strings"
	"unicode/utf8"
)

// Placeholder replaces each literal.
const Placeholder = "?"

// Statement returns the shape of a SQL text: quoted strings (with their
// E, B, X, N or U& prefix), dollar-quoted bodies and numbers become ?,
// comments are dropped and runs of white space become one space. Quoted
// identifiers, keywords and $1 parameters are kept. A literal that is not
// closed runs to the end of the text, so a text cut in the middle of a
// value yields no part of it. The shape is cut at max bytes on a character
// boundary, and truncated reports it; max <= 0 means no limit.
func Statement(sql string, max int) (shape string, truncated bool) {
	w := writer{max: max}
	w.b.Grow(min(len(sql), capHint(max)))
	for i := 0; i < len(sql) && !w.full; {
		c := sql[i]
		switch {
		case isSpace(c):
			w.space()
			i++
		case c == '-' && i+1 < len(sql) && sql[i+1] == '-':
			i = lineCommentEnd(sql, i)
			w.space()
		case c == '/' && i+1 < len(sql) && sql[i+1] == '*':
			i = blockCommentEnd(sql, i)
			w.space()
		case c == '\'':
			i = quoteEnd(sql, i+1, false)
			w.literal()
		case c == '"':
			i = w.quotedIdent(sql, i, i+1)
		case c == '$':
			i = w.dollar(sql, i)
		case isDigit(c) || c == '.' && i+1 < len(sql) && isDigit(sql[i+1]):
			i = numberEnd(sql, i)
			w.literal()
		case isIdentStart(c):
			i = w.word(sql, i)
		default:
			w.text(sql[i : i+1])
			i++
		}
	}
	return w.result()
}

// Message returns the shape of a server message: the parts in double or
// single quotes become "?" and numbers become ?, since PostgreSQL quotes
// the values it complains about ("invalid input syntax for type integer:
// "…""). The shape is cut at max bytes like Statement's.
func Message(msg string, max int) string {
	w := writer{max: max}
	w.b.Grow(min(len(msg), capHint(max)))
	for i := 0; i < len(msg) && !w.full; {
		c := msg[i]
		switch {
		case isSpace(c):
			w.space()
			i++
		case c == '"' || c == '\'':
			end := strings.IndexByte(msg[i+1:], c)
			if end < 0 {
				i = len(msg)
			} else {
				i += end + 2
			}
			w.text(string(c) + Placeholder + string(c))
		case isDigit(c):
			i = numberEnd(msg, i)
			w.literal()
		case isIdentStart(c):
			j := i + 1
			for j < len(msg) && isIdentByte(msg[j]) {
				j++
			}
			w.text(msg[i:j])
			i = j
		default:
			w.text(msg[i : i+1])
			i++
		}
	}
	s, _ := w.result()
	return s
}

func capHint(max int) int {
	if max <= 0 {
		return 1 << 30
	}
	return max
}

// writer builds a shape, collapsing white space and stopping at max bytes.
type writer struct {
	b       strings.Builder
	max     int
	pending bool // a space is due before the next text
	full    bool
}

func (w *writer) space() { w.pending = w.b.Len() > 0 }

func (w *writer) literal() { w.text(Placeholder) }

// text appends s, cutting it on a character boundary at the limit.
func (w *writer) text(s string) {
	if w.full {
		return
	}
	if w.pending {
		w.pending = false
		w.text(" ")
	}
	if w.max > 0 && w.b.Len()+len(s) > w.max {
		room := w.max - w.b.Len()
		for room > 0 && !utf8.RuneStart(s[room]) {
			room--
		}
		w.b.WriteString(s[:room])
		w.full = true
		return
	}
	w.b.WriteString(s)
}

func (w *writer) result() (string, bool) { return w.b.String(), w.full }

// word copies an identifier or keyword starting at i, or replaces a
// prefixed string literal (E'…', B'…', X'…', N'…', U&'…') that starts with
// it. It returns where the word or literal ends.
func (w *writer) word(sql string, i int) int {
	j := i + 1
	for j < len(sql) && isIdentByte(sql[j]) {
		j++
	}
	word := sql[i:j]
	if j < len(sql) && sql[j] == '\'' && len(word) == 1 {
		switch word[0] | 0x20 {
		case 'e':
			w.literal()
			return quoteEnd(sql, j+1, true)
		case 'b', 'x', 'n':
			w.literal()
			return quoteEnd(sql, j+1, false)
		}
	}
	if (word == "U" || word == "u") && strings.HasPrefix(sql[j:], "&'") {
		w.literal()
		return quoteEnd(sql, j+2, false)
	}
	if (word == "U" || word == "u") && strings.HasPrefix(sql[j:], "&\"") {
		return w.quotedIdent(sql, i, j+2)
	}
	w.text(word)
	return j
}

// dollar handles a $ at i: a dollar-quoted literal ($$…$$, $tag$…$tag$)
// becomes ?, a parameter ($1) is kept. It returns where it ends.
func (w *writer) dollar(sql string, i int) int {
	j := i + 1
	if j < len(sql) && isDigit(sql[j]) {
		for j < len(sql) && isDigit(sql[j]) {
			j++
		}
		w.text(sql[i:j])
		return j
	}
	for j < len(sql) && isIdentByte(sql[j]) && sql[j] != '$' {
		j++
	}
	if j >= len(sql) || sql[j] != '$' {
		w.text("$")
		return i + 1
	}
	tag := sql[i : j+1]
	w.literal()
	end := strings.Index(sql[j+1:], tag)
	if end < 0 {
		return len(sql)
	}
	return j + 1 + end + len(tag)
}

// quoteEnd returns the index after the quote that closes a string literal
// whose content starts at i; ” is an escaped quote, and so is \' when
// backslash is set. An unclosed literal ends with the text.
func quoteEnd(sql string, i int, backslash bool) int {
	for i < len(sql) {
		switch sql[i] {
		case '\\':
			if backslash {
				i += 2
				continue
			}
		case '\'':
			if i+1 < len(sql) && sql[i+1] == '\'' {
				i += 2
				continue
			}
			return i + 1
		}
		i++
	}
	return len(sql)
}

// quotedIdent copies the quoted identifier sql[start:] whose content
// begins at i. One that is not closed is not an identifier but a broken
// text, maybe cut inside a value: it becomes "?".
func (w *writer) quotedIdent(sql string, start, i int) int {
	end, closed := doubleQuoteEnd(sql, i)
	if !closed {
		w.text(`"` + Placeholder + `"`)
		return end
	}
	w.text(sql[start:end])
	return end
}

// doubleQuoteEnd returns the index after the quote that closes a quoted
// identifier whose content starts at i ("" is an escaped quote), and
// whether it was closed.
func doubleQuoteEnd(sql string, i int) (int, bool) {
	for i < len(sql) {
		if sql[i] == '"' {
			if i+1 < len(sql) && sql[i+1] == '"' {
				i += 2
				continue
			}
			return i + 1, true
		}
		i++
	}
	return len(sql), false
}

func lineCommentEnd(sql string, i int) int {
	if n := strings.IndexByte(sql[i:], '\n'); n >= 0 {
		return i + n + 1
	}
	return len(sql)
}

// blockCommentEnd returns the index after a /* */ comment starting at i;
// PostgreSQL's block comments nest.
func blockCommentEnd(sql string, i int) int {
	depth := 0
	for i < len(sql) {
		switch {
		case strings.HasPrefix(sql[i:], "/*"):
			depth++
			i += 2
		case strings.HasPrefix(sql[i:], "*/"):
			depth--
			i += 2
			if depth == 0 {
				return i
			}
		default:
			i++
		}
	}
	return len(sql)
}

// numberEnd returns the index after a numeric constant starting at i:
// digits, a fraction, an exponent, and the 0x/0o/0b forms and digit
// separators of PostgreSQL 16. Letters run on ("1abc") are taken too, so
// that nothing of the value is left behind.
func numberEnd(s string, i int) int {
	for i < len(s) {
		c := s[i]
		switch {
		case isIdentByte(c) || c == '.':
			i++
		case (c == '+' || c == '-') && i > 1 && (s[i-1]|0x20) == 'e' && isDigit(s[i-2]):
			i++
		default:
			return i
		}
	}
	return i
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// isIdentStart reports whether c can start an identifier; bytes of
// multi-byte characters can.
func isIdentStart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c >= 0x80
}

func isIdentByte(c byte) bool { return isIdentStart(c) || isDigit(c) || c == '$' }
