package pglog

import (
	"bytes"

	"github.com/wardsec/ward/internal/inventory"
)

// sqlContext returns, for position p of a SQL text, the bounds of the
// statement around it (split at top-level semicolons) and, when p lies in
// a string literal, the bounds of the literal's content (else -1, -1).
func sqlContext(text []byte, p int) (segStart, segEnd, litStart, litEnd int) {
	litStart, litEnd = -1, -1
	for i := 0; i < len(text); {
		c := text[i]
		switch {
		case c == '\'':
			backslash := i > 0 && (text[i-1] == 'E' || text[i-1] == 'e') &&
				(i < 2 || !isIdentByte(text[i-2]))
			e := closeQuote(text, i+1, backslash)
			end := closeEnd(text, e)
			if p >= i && p < end {
				litStart, litEnd = i+1, e
			}
			i = end
		case c == '"':
			i = closeDouble(text, i+1)
		case c == '-' && i+1 < len(text) && text[i+1] == '-':
			e := bytes.IndexByte(text[i:], '\n')
			if e < 0 {
				i = len(text)
			} else {
				i += e + 1
			}
		case c == '/' && i+1 < len(text) && text[i+1] == '*':
			e := bytes.Index(text[i+2:], []byte("*/"))
			if e < 0 {
				i = len(text)
			} else {
				i += e + 4
			}
		case c == '$' && (i == 0 || !isIdentByte(text[i-1])):
			tagEnd := dollarTag(text, i)
			if tagEnd < 0 {
				i++
				continue
			}
			e := bytes.Index(text[tagEnd:], text[i:tagEnd])
			end := len(text)
			if e >= 0 {
				end = tagEnd + e + (tagEnd - i)
			}
			if p >= i && p < end {
				litStart, litEnd = tagEnd, min(end, tagEnd+max(e, 0))
				if e < 0 {
					litEnd = len(text)
				}
			}
			i = end
		case c == ';':
			if i >= p {
				return segStart, i, litStart, litEnd
			}
			segStart = i + 1
			i++
		default:
			i++
		}
	}
	return segStart, len(text), litStart, litEnd
}

// closeDouble returns the index just past the quote closing a
// double-quoted identifier whose content starts at k.
func closeDouble(text []byte, k int) int {
	for k < len(text) {
		if text[k] == '"' {
			if k+1 < len(text) && text[k+1] == '"' {
				k += 2
				continue
			}
			return k + 1
		}
		k++
	}
	return len(text)
}

// sqlWord is one token of the start of a statement.
type sqlWord struct {
	// text is the lower-cased bare word, the unquoted identifier, or the
	// punctuation character; empty for a string literal.
	text   string
	quoted bool
	lit    bool
}

// leadingWords returns up to n tokens from the start of seg, skipping
// spaces and comments. String literals are returned without their value.
func leadingWords(seg []byte, n int) []sqlWord {
	var out []sqlWord
	i := 0
	for i < len(seg) && len(out) < n {
		c := seg[i]
		switch {
		case isSpace(c):
			i++
		case c == '-' && i+1 < len(seg) && seg[i+1] == '-':
			e := bytes.IndexByte(seg[i:], '\n')
			if e < 0 {
				return out
			}
			i += e + 1
		case c == '/' && i+1 < len(seg) && seg[i+1] == '*':
			e := bytes.Index(seg[i+2:], []byte("*/"))
			if e < 0 {
				return out
			}
			i += e + 4
		case c == '"':
			e := closeDouble(seg, i+1)
			inner := seg[i+1 : max(i+1, e-1)]
			out = append(out, sqlWord{
				text: string(bytes.ReplaceAll(inner, []byte(`""`), []byte(`"`))), quoted: true,
			})
			i = e
		case c == '\'':
			out = append(out, sqlWord{lit: true})
			i = closeEnd(seg, closeQuote(seg, i+1, false))
		case isIdentByte(c) && c != '$':
			k := i
			for k < len(seg) && isIdentByte(seg[k]) {
				k++
			}
			out = append(out, sqlWord{text: lowerASCII(seg[i:k])})
			i = k
		default:
			out = append(out, sqlWord{text: string(c)})
			i++
		}
	}
	return out
}

// lowerASCII folds ASCII letters to lower case, as PostgreSQL folds
// unquoted identifiers.
func lowerASCII(b []byte) string {
	out := make([]byte, len(b))
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		out[i] = c
	}
	return string(out)
}

// attribute fills in whose credential span s exposed, from the statement
// around it. sessionUser resolves CURRENT_USER and the like.
func attribute(text []byte, s *span, sessionUser string) {
	segStart, segEnd, litStart, _ := sqlContext(text, s.kw)
	seg := text[segStart:segEnd]
	ws := leadingWords(seg, 12)
	s.leak.Command = commandOf(ws)
	if s.leak.Kind == inventory.ExposureURI {
		return
	}
	inLit := litStart >= 0
	if !inLit && len(ws) >= 3 && (ws[0].text == "create" || ws[0].text == "alter") {
		switch {
		case ws[1].text == "user" && ws[2].text == "mapping":
			s.leak.Kind = inventory.ExposureUserMapping
			for i := 3; i+1 < len(ws); i++ {
				switch ws[i].text {
				case "for":
					s.leak.Account = roleName(ws[i+1], sessionUser)
				case "server":
					s.leak.Server = ws[i+1].text
				}
			}
			s.leak.RemoteUser = optionValue(seg, "user")
			return
		case ws[1].text == "role" || ws[1].text == "user" || ws[1].text == "group":
			s.leak.Kind = inventory.ExposureRolePassword
			s.leak.Account = roleName(ws[2], sessionUser)
			return
		}
	}
	ctx := seg
	if inLit {
		_, _, ls, le := sqlContext(text, s.kw)
		ctx = text[ls:le]
	}
	user := dsnValue(ctx, "user")
	host := dsnValue(ctx, "host")
	if host == "" {
		host = dsnValue(ctx, "hostaddr")
	}
	if s.sep && (user != "" || host != "") {
		s.leak.Kind = inventory.ExposureDSN
		s.leak.Account, s.leak.Host = user, host
		return
	}
	s.leak.Kind = inventory.ExposurePassword
}

// roleName resolves a role specification to a role name.
func roleName(w sqlWord, sessionUser string) string {
	if w.quoted {
		return w.text
	}
	switch w.text {
	case "current_user", "current_role", "session_user", "user":
		return sessionUser
	case "public":
		return "PUBLIC"
	}
	return w.text
}

// commandOf names the command of a statement from its first words:
// "SELECT", "ALTER ROLE", "CREATE USER MAPPING".
func commandOf(ws []sqlWord) string {
	if len(ws) == 0 || ws[0].quoted || ws[0].lit {
		return ""
	}
	first := ws[0].text
	switch first {
	case "create", "alter", "drop":
	default:
		return upperCommand(first)
	}
	rest := ws[1:]
	if len(rest) >= 2 && rest[0].text == "or" && rest[1].text == "replace" {
		rest = rest[2:]
	}
	if len(rest) == 0 || rest[0].quoted || rest[0].lit {
		return upperCommand(first)
	}
	obj := rest[0].text
	switch obj {
	case "unique", "temp", "temporary", "unlogged", "materialized", "foreign", "event",
		"default", "text", "trusted", "procedural", "recursive", "global", "local":
		if len(rest) >= 2 && !rest[1].quoted && !rest[1].lit {
			obj += " " + rest[1].text
		}
	case "user":
		if len(rest) >= 2 && rest[1].text == "mapping" {
			obj = "user mapping"
		}
	}
	return upperCommand(first + " " + obj)
}

// upperCommand upper-cases an ASCII command name.
func upperCommand(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'z' {
			b[i] = c - ('a' - 'A')
		}
	}
	return string(b)
}

// optionValue finds "key 'value'" (as in OPTIONS (user 'x')) in seg and
// returns the value.
func optionValue(seg []byte, key string) string {
	for i := 0; i+len(key) <= len(seg); i++ {
		if !hasFoldPrefix(seg[i:], key) || (i > 0 && isIdentByte(seg[i-1])) {
			continue
		}
		k := i + len(key)
		if k >= len(seg) || !isSpace(seg[k]) {
			continue
		}
		k = skipSpaces(seg, k)
		if k < len(seg) && seg[k] == '\'' {
			e := closeQuote(seg, k+1, false)
			return string(bytes.ReplaceAll(seg[k+1:e], []byte("''"), []byte("'")))
		}
	}
	return ""
}

// dsnValue finds key=value in a keyword/value connection string and
// returns the value, unquoted.
func dsnValue(ctx []byte, key string) string {
	for i := 0; i+len(key) < len(ctx); i++ {
		if !hasFoldPrefix(ctx[i:], key) || (i > 0 && isIdentByte(ctx[i-1])) {
			continue
		}
		k := skipSpaces(ctx, i+len(key))
		if k >= len(ctx) || ctx[k] != '=' {
			continue
		}
		k = skipSpaces(ctx, k+1)
		if k >= len(ctx) {
			return ""
		}
		if ctx[k] == '\'' {
			q := k + 1
			if q < len(ctx) && ctx[q] == '\'' {
				q++
			}
			e := q
			for e < len(ctx) && ctx[e] != '\'' {
				e++
			}
			return string(ctx[q:e])
		}
		e := k
		for e < len(ctx) && !isValueStop(ctx[e]) {
			e++
		}
		return string(ctx[k:e])
	}
	return ""
}
