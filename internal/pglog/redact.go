package pglog

import (
	"bytes"
	"sort"

	"github.com/wardsec/ward/internal/inventory"
)

// Redacted is what replaces a credential in redacted text.
const Redacted = "<REDACTED>"

// Leak describes one credential found in a text: whose it was and in which
// command. It never holds the credential itself.
type Leak struct {
	Kind inventory.ExposureKind
	// Account is the native name of the account whose credential it was,
	// empty when the text does not name it.
	Account string
	// Server is the foreign server of a user mapping.
	Server string
	// RemoteUser is the remote login of a user mapping.
	RemoteUser string
	// Host is the host of a connection string or URI.
	Host string
	// Command is the command that carried it ("ALTER ROLE"), when known.
	Command string
	// Verifier is true when the value was a stored password verifier
	// (SCRAM-SHA-256 or md5 hash) rather than the password itself.
	Verifier bool
}

// Redact returns text with every credential it recognises replaced by
// <REDACTED>, and one Leak per credential. sessionUser names the login that
// wrote the text; it resolves CURRENT_USER and the like. Recognised: the
// PASSWORD clause of CREATE/ALTER ROLE, USER and GROUP (plain, E-string
// and dollar-quoted values), the password option of CREATE/ALTER USER MAPPING,
// password=… in keyword/value connection strings, JSON "password": "…",
// and the password of scheme://user:password@host URIs.
func Redact(text, sessionUser string) (string, []Leak) {
	var r redactor
	b := []byte(text)
	spans := r.scan(b, sessionUser)
	if len(spans) == 0 {
		return text, nil
	}
	out := make([]byte, 0, len(b))
	out = appendRedacted(out, b, spans, len(b)+len(spans)*len(Redacted))
	leaks := make([]Leak, len(spans))
	for i, s := range spans {
		leaks[i] = s.leak
	}
	clear(b)
	return string(out), leaks
}

// span is one byte range of a text to replace, with what it leaked.
type span struct {
	start, end int
	repl       string
	leak       Leak
	// kw is where the keyword (or the URI's "://") is; sep says the value
	// followed "=" or ":". Both serve attribution only.
	kw  int
	sep bool
}

// redactor finds credentials; its buffers are reused between texts.
type redactor struct {
	spans []span
}

// mayHold is the fast test: false means text holds nothing scan would find.
func mayHold(text []byte) bool {
	if bytes.Contains(text, []byte("://")) {
		return true
	}
	for _, c := range [...]byte{'p', 'P'} {
		for i := 0; ; {
			j := bytes.IndexByte(text[i:], c)
			if j < 0 {
				break
			}
			i += j
			if kw := keywordAt(text, i); kw > 0 {
				return true
			}
			i++
		}
	}
	return false
}

// keywordAt returns the length of a password keyword (password, passwd,
// pwd, any case) at text[i], or 0.
func keywordAt(text []byte, i int) int {
	if i+2 >= len(text) {
		return 0
	}
	if c := text[i+1] | 0x20; c != 'a' && c != 'w' {
		return 0
	}
	for _, kw := range [...]string{"password", "passwd", "pwd"} {
		if hasFoldPrefix(text[i:], kw) {
			return len(kw)
		}
	}
	return 0
}

// hasFoldPrefix reports whether b starts with the lower-case ASCII word w,
// ignoring ASCII case.
func hasFoldPrefix(b []byte, w string) bool {
	if len(b) < len(w) {
		return false
	}
	for i := 0; i < len(w); i++ {
		if b[i]|0x20 != w[i] {
			return false
		}
	}
	return true
}

// scan returns the credential spans of text, sorted and not overlapping,
// each attributed. The slice is reused by the next call.
func (r *redactor) scan(text []byte, sessionUser string) []span {
	r.spans = r.spans[:0]
	if !mayHold(text) {
		return nil
	}
	r.findKeywords(text)
	r.findURIs(text)
	if len(r.spans) == 0 {
		return nil
	}
	sort.Slice(r.spans, func(i, j int) bool { return r.spans[i].start < r.spans[j].start })
	kept := r.spans[:1]
	for _, s := range r.spans[1:] {
		last := &kept[len(kept)-1]
		if s.start < last.end {
			if s.end > last.end {
				last.end = s.end
			}
			continue
		}
		kept = append(kept, s)
	}
	r.spans = kept
	for i := range r.spans {
		attribute(text, &r.spans[i], sessionUser)
	}
	return r.spans
}

// findKeywords adds a span for each value that follows a password keyword.
// The two passes (lower and upper case initial) may overlap; scan merges.
func (r *redactor) findKeywords(text []byte) {
	for _, c := range [...]byte{'p', 'P'} {
		for i := 0; i < len(text); {
			j := bytes.IndexByte(text[i:], c)
			if j < 0 {
				break
			}
			i += j
			kw := keywordAt(text, i)
			if kw == 0 {
				i++
				continue
			}
			bare := kw == len("password")
			s, ok := valueAfter(text, i+kw, bare, bare && inRoleStatement(text, i))
			if !ok {
				i += kw
				continue
			}
			s.kw = i
			r.spans = append(r.spans, s)
			i = s.end
		}
	}
}

func isIdentByte(c byte) bool {
	return c == '_' || c == '$' || c >= '0' && c <= '9' || c|0x20 >= 'a' && c|0x20 <= 'z' ||
		c >= 0x80
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' }

// inRoleStatement reports whether the keyword at text[i] sits in a CREATE
// or ALTER ROLE, USER or GROUP statement, where PASSWORD takes its value
// however it is written: a server that rejects PASSWORD "x" or PASSWORD x
// as a syntax error still logs the statement, secret included.
func inRoleStatement(text []byte, i int) bool {
	from := bytes.LastIndexByte(text[:i], ';') + 1
	from = max(from, i-1024)
	stmt := text[from:i]
	for _, verb := range [...]string{"create", "alter"} {
		at := indexFold(stmt, verb)
		if at < 0 {
			continue
		}
		rest := bytes.TrimLeft(stmt[at+len(verb):], " \t\r\n")
		for _, obj := range [...]string{"role", "user", "group"} {
			if hasFoldPrefix(rest, obj) {
				return true
			}
		}
	}
	return false
}

// indexFold returns the index of the first occurrence in b of the
// lower-case ASCII word w, ignoring ASCII case, or -1.
func indexFold(b []byte, w string) int {
	for i := 0; i+len(w) <= len(b); i++ {
		if b[i]|0x20 == w[0] && hasFoldPrefix(b[i:], w) {
			return i
		}
	}
	return -1
}

// valueAfter looks for a credential value after a keyword that ends at
// text[j]. bareKeyword allows the SQL form PASSWORD 'value' with no
// separator; otherwise "=" or ":" must follow. In a role statement
// (roleStmt) a double-quoted or bare value counts too, NULL excepted.
func valueAfter(text []byte, j int, bareKeyword, roleStmt bool) (span, bool) {
	if j < len(text) && isIdentByte(text[j]) {
		return span{}, false
	}
	// A quoted key: "password": "x" or 'password' = 'x'.
	if j < len(text) && (text[j] == '"' || text[j] == '\'') {
		k := skipSpaces(text, j+1)
		if k < len(text) && (text[k] == ':' || text[k] == '=') {
			j++
		}
	}
	j = skipSpaces(text, j)
	sep := false
	if j < len(text) && (text[j] == '=' || text[j] == ':') {
		if j+1 < len(text) && text[j+1] == ':' {
			return span{}, false // a cast, password::text
		}
		sep = true
		j++
		if j < len(text) && text[j] == '>' {
			j++
		}
		j = skipSpaces(text, j)
	}
	if !sep && !bareKeyword {
		return span{}, false
	}
	if j >= len(text) {
		return span{}, false
	}
	end, vs, ve, ok := literalAt(text, j, sep || roleStmt)
	if !ok {
		return span{}, false
	}
	v := text[vs:ve]
	if !sep && roleStmt && bytes.EqualFold(v, []byte("null")) {
		return span{}, false
	}
	if len(v) == 0 || bytes.Equal(v, []byte(Redacted)) || isPlaceholder(v) {
		return span{}, false
	}
	s := span{start: j, end: end, sep: sep}
	s.leak.Verifier = isVerifier(v)
	if end-j == ve-vs {
		s.repl = Redacted
	} else {
		s.repl = string(text[j:vs]) + Redacted + string(text[ve:end])
	}
	return s, true
}

func skipSpaces(text []byte, j int) int {
	for j < len(text) && isSpace(text[j]) {
		j++
	}
	return j
}

// isPlaceholder reports whether v is not a secret but a stand-in: a bind
// parameter ($1), NULL, or a mask of stars.
func isPlaceholder(v []byte) bool {
	if len(v) >= 2 && v[0] == '$' && v[1] >= '0' && v[1] <= '9' {
		return true
	}
	if len(v) == 4 && hasFoldPrefix(v, "null") {
		return true
	}
	return len(bytes.Trim(v, "*")) == 0
}

// isVerifier reports whether v looks like a stored password verifier.
func isVerifier(v []byte) bool {
	if bytes.HasPrefix(v, []byte("SCRAM-SHA-256$")) {
		return true
	}
	if len(v) != 35 || !bytes.HasPrefix(v, []byte("md5")) {
		return false
	}
	for _, c := range v[3:] {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// literalAt reads the value that starts at text[j]: a SQL literal ('…',
// E'…', U&'…', $tag$…$tag$), a SQL-escaped quoted connection-string value
// (a value between doubled quotes), a double-quoted value, or, when sep is set, a bare word. It
// returns the end of the whole token and the bounds of the value inside
// it. An unterminated quote runs to the end of the text.
func literalAt(text []byte, j int, sep bool) (end, vs, ve int, ok bool) {
	c := text[j]
	switch {
	case c == '\'' && j+1 < len(text) && text[j+1] == '\'' && sep:
		// password=''x'' inside a SQL literal, or an empty literal.
		k := j + 2
		if k >= len(text) || isValueStop(text[k]) {
			return 0, 0, 0, false
		}
		e := bytes.Index(text[k:], []byte("''"))
		if e < 0 {
			return len(text), k, len(text), true
		}
		return k + e + 2, k, k + e, true
	case c == '\'':
		e := closeQuote(text, j+1, false)
		return closeEnd(text, e), j + 1, e, true
	case (c == 'E' || c == 'e') && j+1 < len(text) && text[j+1] == '\'':
		e := closeQuote(text, j+2, true)
		return closeEnd(text, e), j + 2, e, true
	case (c == 'U' || c == 'u') && j+2 < len(text) && text[j+1] == '&' && text[j+2] == '\'':
		e := closeQuote(text, j+3, false)
		return closeEnd(text, e), j + 3, e, true
	case c == '$':
		tagEnd := dollarTag(text, j)
		if tagEnd < 0 {
			return 0, 0, 0, false
		}
		tag := text[j:tagEnd]
		e := bytes.Index(text[tagEnd:], tag)
		if e < 0 {
			return len(text), tagEnd, len(text), true
		}
		return tagEnd + e + len(tag), tagEnd, tagEnd + e, true
	case c == '"' && sep:
		k := j + 1
		for k < len(text) && text[k] != '"' {
			if text[k] == '\\' {
				k++
			}
			k++
		}
		if k >= len(text) {
			return len(text), j + 1, len(text), true
		}
		return k + 1, j + 1, k, true
	case sep && !isValueStop(c):
		k := j
		for k < len(text) && !isValueStop(text[k]) {
			k++
		}
		return k, j, k, true
	}
	return 0, 0, 0, false
}

// closeEnd is the end of a quoted token whose closing quote is at e (or
// which runs to the end of the text when e is len(text)).
func closeEnd(text []byte, e int) int {
	if e >= len(text) {
		return len(text)
	}
	return e + 1
}

// isValueStop ends a bare value.
func isValueStop(c byte) bool {
	switch c {
	case ' ', '\t', '\n', '\r', '\'', '"', ';', '&', ',', ')', '}', ']':
		return true
	}
	return false
}

// closeQuote returns the index of the quote that closes a single-quoted
// literal whose content starts at k, or len(text). Doubled quotes are
// escapes; backslashes escape too when backslash is set (E-strings).
func closeQuote(text []byte, k int, backslash bool) int {
	for k < len(text) {
		c := text[k]
		if backslash && c == '\\' {
			k += 2
			continue
		}
		if c == '\'' {
			if k+1 < len(text) && text[k+1] == '\'' {
				k += 2
				continue
			}
			return k
		}
		k++
	}
	return len(text)
}

// dollarTag returns the end of a dollar-quote opening tag ($$ or $tag$)
// at text[j], or -1.
func dollarTag(text []byte, j int) int {
	k := j + 1
	if k < len(text) && text[k] >= '0' && text[k] <= '9' {
		return -1
	}
	for k < len(text) && text[k] != '$' {
		if !isIdentByte(text[k]) || text[k] == '$' {
			return -1
		}
		k++
	}
	if k >= len(text) {
		return -1
	}
	return k + 1
}

// findURIs adds a span for the password of each scheme://user:pw@host.
func (r *redactor) findURIs(text []byte) {
	for i := 0; ; {
		j := bytes.Index(text[i:], []byte("://"))
		if j < 0 {
			return
		}
		i += j + 3
		auth := i
		for auth < len(text) && !isAuthorityStop(text[auth]) {
			auth++
		}
		at := bytes.LastIndexByte(text[i:auth], '@')
		if at < 0 {
			continue
		}
		userinfo := text[i : i+at]
		colon := bytes.IndexByte(userinfo, ':')
		if colon < 0 || colon == len(userinfo)-1 {
			continue
		}
		pw := userinfo[colon+1:]
		if bytes.Equal(pw, []byte(Redacted)) || isPlaceholder(pw) {
			continue
		}
		s := span{start: i + colon + 1, end: i + at, repl: Redacted, kw: i - 3}
		s.leak.Kind = inventory.ExposureURI
		s.leak.Account = string(userinfo[:colon])
		s.leak.Host = uriHost(text[i+at+1 : auth])
		r.spans = append(r.spans, s)
	}
}

func isAuthorityStop(c byte) bool {
	switch c {
	case '/', '?', '#', ' ', '\t', '\n', '\r', '\'', '"', ';', ')', ',':
		return true
	}
	return false
}

// uriHost strips the port from a URI's host[:port] (keeping [v6] whole).
func uriHost(hp []byte) string {
	if len(hp) > 0 && hp[0] == '[' {
		if e := bytes.IndexByte(hp, ']'); e > 0 {
			return string(hp[:e+1])
		}
	}
	if c := bytes.IndexByte(hp, ':'); c >= 0 {
		hp = hp[:c]
	}
	return string(hp)
}

// appendRedacted appends text with spans replaced to out, stopping once
// out holds limit bytes past its initial length; it reports nothing about
// the cut, the caller measures.
func appendRedacted(out, text []byte, spans []span, limit int) []byte {
	base := len(out)
	prev := 0
	put := func(b []byte) bool {
		room := limit - (len(out) - base)
		if room <= 0 {
			return false
		}
		if len(b) > room {
			out = append(out, b[:room]...)
			return false
		}
		out = append(out, b...)
		return true
	}
	for _, s := range spans {
		if !put(text[prev:s.start]) || !put([]byte(s.repl)) {
			return out
		}
		prev = s.end
	}
	put(text[prev:])
	return out
}

// redactedLen is the length of text once spans are replaced.
func redactedLen(text []byte, spans []span) int {
	n := len(text)
	for _, s := range spans {
		n += len(s.repl) - (s.end - s.start)
	}
	return n
}
