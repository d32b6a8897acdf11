package pglog

import (
	"bytes"
	"fmt"
	"strings"
)

// commonPrefixes are the log_line_prefix values tried, in order, when the
// caller gives none: PostgreSQL's default, the Debian and pgBadger styles,
// managed-service styles, and an empty prefix.
var commonPrefixes = []string{
	"%m [%p] ",
	"%m [%p] %q%u@%d ",
	"%m [%p] %q%u@%d/%a %r %c ",
	"%t [%p]: user=%u,db=%d,app=%a,client=%h ",
	"%t [%p]: [%l-1] user=%u,db=%d,app=%a,client=%h ",
	"%m [%p]: [%l-1] user=%u,db=%d,app=%a,client=%h ",
	"%t [%p]: [%l-1] ",
	"%m [%p] %q[user=%u,db=%d,app=%a] ",
	"%t [%p-%l] %q%u@%d ",
	"%m [%p-%l] %q%u@%d ",
	"%t:%r:%u@%d:[%p]:",
	"%m:%r:%u@%d:[%p]:",
	"%t [%p] ",
	"%m ",
	"%t ",
	"",
}

// prefixToken is one piece of a compiled log_line_prefix: a literal, or
// an escape letter.
type prefixToken struct {
	lit []byte
	esc byte
}

// prefixMatcher matches the prefix of stderr log lines for one
// log_line_prefix value.
type prefixMatcher struct {
	src  string
	toks []prefixToken
}

// prefixFields are the values a prefix gave for one line; slices of it.
type prefixFields struct {
	time, start, pid, user, db, app, host, remote, session, line, sqlstate []byte
	// sev is the severity word; msg the index where the message starts.
	sev []byte
	msg int
}

// compilePrefix turns a log_line_prefix value into a matcher. Padding
// (%-10u) is accepted and the padding trimmed. Unknown escapes are an error.
func compilePrefix(s string) (*prefixMatcher, error) {
	m := &prefixMatcher{src: s}
	var lit []byte
	flush := func() {
		if len(lit) > 0 {
			m.toks = append(m.toks, prefixToken{lit: lit})
			lit = nil
		}
	}
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			lit = append(lit, s[i])
			continue
		}
		i++
		for i < len(s) && (s[i] == '-' || s[i] >= '0' && s[i] <= '9') {
			i++
		}
		if i >= len(s) {
			return nil, fmt.Errorf("log_line_prefix %q ends inside an escape", s)
		}
		c := s[i]
		switch c {
		case '%':
			lit = append(lit, '%')
			continue
		case 'a', 'u', 'd', 'r', 'h', 'b', 'p', 'P', 't', 'm', 'n', 'i', 'e', 'c', 'l',
			's', 'v', 'x', 'q', 'Q':
		default:
			return nil, fmt.Errorf("log_line_prefix %q: unknown escape %%%c", s, c)
		}
		flush()
		m.toks = append(m.toks, prefixToken{esc: c})
	}
	flush()
	return m, nil
}

// match matches line against the prefix and a severity after it.
func (m *prefixMatcher) match(line []byte, f *prefixFields) bool {
	*f = prefixFields{}
	return m.matchAt(line, 0, 0, f)
}

func (m *prefixMatcher) matchAt(line []byte, ti, pos int, f *prefixFields) bool {
	if ti == len(m.toks) {
		return severityAt(line, pos, f)
	}
	t := m.toks[ti]
	switch {
	case t.esc == 0:
		return bytes.HasPrefix(line[pos:], t.lit) && m.matchAt(line, ti+1, pos+len(t.lit), f)
	case t.esc == 'q':
		saved := *f
		if m.matchAt(line, ti+1, pos, f) {
			return true
		}
		*f = saved
		return severityAt(line, pos, f)
	}
	if n, fixed := fixedLen(t.esc, line[pos:]); fixed {
		if n < 0 {
			return false
		}
		setField(f, t.esc, line[pos:pos+n])
		return m.matchAt(line, ti+1, pos+n, f)
	}
	// Free text: try each end that lets the rest match, shortest first.
	var next []byte
	if ti+1 < len(m.toks) && m.toks[ti+1].esc == 0 {
		next = m.toks[ti+1].lit
	}
	for end := pos; end <= len(line); end++ {
		if next != nil {
			k := bytes.Index(line[end:], next)
			if k < 0 {
				return false
			}
			end += k
		}
		v := line[pos:end]
		if (t.esc == 'r' || t.esc == 'h') && bytes.IndexByte(v, ' ') >= 0 {
			return false
		}
		saved := *f
		setField(f, t.esc, bytes.TrimSpace(v))
		if m.matchAt(line, ti+1, end, f) {
			return true
		}
		*f = saved
	}
	return false
}

// fixedLen measures an escape whose value has a fixed shape; fixed is
// false for free-text escapes. n is -1 when the shape does not match.
func fixedLen(esc byte, b []byte) (n int, fixed bool) {
	switch esc {
	case 'p', 'P', 'l', 'x', 'Q':
		i := 0
		if esc == 'Q' && len(b) > 0 && b[0] == '-' {
			i++
		}
		i = digits(b, i)
		if i == 0 && esc != 'P' {
			return -1, true
		}
		return i, true
	case 'm', 't', 's':
		return timestampLen(b), true
	case 'n':
		i := digits(b, 0)
		if i == 0 {
			return -1, true
		}
		if i < len(b) && b[i] == '.' {
			i = digits(b, i+1)
		}
		return i, true
	case 'c':
		i := hexLen(b, 0)
		if i == 0 || i >= len(b) || b[i] != '.' {
			return -1, true
		}
		j := hexLen(b, i+1)
		if j == i+1 {
			return -1, true
		}
		return j, true
	case 'v':
		i := digits(b, 0)
		if i > 0 && i < len(b) && b[i] == '/' {
			return digits(b, i+1), true
		}
		return 0, true
	case 'e':
		if len(b) >= 5 {
			for _, c := range b[:5] {
				if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z') {
					return -1, true
				}
			}
			return 5, true
		}
		return -1, true
	}
	return 0, false
}

func hexLen(b []byte, i int) int {
	for i < len(b) && (b[i] >= '0' && b[i] <= '9' || b[i] >= 'a' && b[i] <= 'f') {
		i++
	}
	return i
}

// timestampLen measures "YYYY-MM-DD HH:MM:SS[.fff] ZONE" at the start of b.
func timestampLen(b []byte) int {
	if len(b) < 19 || b[4] != '-' || b[7] != '-' || b[10] != ' ' || b[13] != ':' ||
		b[16] != ':' {
		return -1
	}
	i := 19
	if i < len(b) && b[i] == '.' {
		i = digits(b, i+1)
	}
	if i < len(b) && b[i] == ' ' && i+1 < len(b) && isZoneByte(b[i+1]) {
		i++
		for i < len(b) && isZoneByte(b[i]) {
			i++
		}
	}
	return i
}

func isZoneByte(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' ||
		c == '-' || c == ':'
}

func setField(f *prefixFields, esc byte, v []byte) {
	switch esc {
	case 'm', 't', 'n':
		f.time = v
	case 's':
		f.start = v
	case 'p':
		f.pid = v
	case 'u':
		f.user = v
	case 'd':
		f.db = v
	case 'a':
		f.app = v
	case 'h':
		f.host = v
	case 'r':
		f.remote = v
	case 'c':
		f.session = v
	case 'l':
		f.line = v
	case 'e':
		f.sqlstate = v
	}
}

// severities are the words PostgreSQL writes before ":  " (in English).
var severities = [...]string{
	"LOG", "ERROR", "FATAL", "PANIC", "WARNING", "NOTICE", "INFO", "DEBUG1", "DEBUG2",
	"DEBUG3", "DEBUG4", "DEBUG5", "DEBUG", "DETAIL", "HINT", "QUERY", "CONTEXT", "LOCATION",
	"STATEMENT",
}

// severityAt checks for "SEVERITY:  " at line[pos:] and records it.
func severityAt(line []byte, pos int, f *prefixFields) bool {
	rest := line[pos:]
	for _, s := range severities {
		if len(rest) >= len(s)+3 && string(rest[:len(s)]) == s &&
			rest[len(s)] == ':' && rest[len(s)+1] == ' ' && rest[len(s)+2] == ' ' {
			f.sev = rest[:len(s)]
			f.msg = pos + len(s) + 3
			return true
		}
	}
	return false
}

const prefixMarker = `parameter "log_line_prefix" changed to "`

// prefixChange extracts the new value from PostgreSQL's own line
// `parameter "log_line_prefix" changed to "…"`, found anywhere in line.
func prefixChange(line []byte) (string, bool) {
	i := bytes.Index(line, []byte(prefixMarker))
	if i < 0 {
		return "", false
	}
	v := line[i+len(prefixMarker):]
	e := bytes.LastIndexByte(v, '"')
	if e < 0 {
		return "", false
	}
	return string(v[:e]), true
}

// inferPrefix picks, from candidates, the prefix that matches most of the
// sample lines; among those that match as many, the one that reads more
// fields from them (a looser prefix can swallow a stricter one's fields
// into one free-text value), then the earlier. ok is false when none
// matches any line.
func inferPrefix(sample [][]byte, candidates []string) (*prefixMatcher, bool) {
	var best *prefixMatcher
	bestN, bestFields := 0, 0
	var f prefixFields
	for _, c := range candidates {
		m, err := compilePrefix(c)
		if err != nil {
			continue
		}
		n, fields := 0, 0
		for _, l := range sample {
			if m.match(l, &f) {
				n++
				fields += f.count()
			}
		}
		if n > bestN || n == bestN && n > 0 && fields > bestFields {
			best, bestN, bestFields = m, n, fields
		}
	}
	return best, best != nil
}

// count is the number of fields a match filled.
func (f *prefixFields) count() int {
	n := 0
	for _, v := range [...][]byte{f.time, f.start, f.pid, f.user, f.db, f.app, f.host,
		f.remote, f.session, f.line, f.sqlstate} {
		if len(v) > 0 {
			n++
		}
	}
	return n
}

// describe names a prefix for Stats, quoting it.
func describe(m *prefixMatcher) string {
	if m == nil {
		return ""
	}
	return strings.Clone(m.src)
}
