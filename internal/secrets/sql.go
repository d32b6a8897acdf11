package secrets

import (
	"regexp"
	"strings"
)

// roleRE finds CREATE/ALTER ROLE|USER name ... PASSWORD 'literal', as SQL
// scripts, migrations and PostgreSQL's own logs write it.
// The literal after PASSWORD is read by sqlLiteral: '…', E'…', U&'…' or
// $tag$…$tag$.
var roleRE = regexp.MustCompile(`(?is)\b(?:create|alter)\s+(?:role|user)\s+(?:if\s+not\s+exists\s+)?` +
	`("(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*)[^;']{0,200}?\bpassword\s+`)

// identifiedRE finds MySQL's CREATE/ALTER USER 'u'@'h' IDENTIFIED BY 'p'.
var identifiedRE = regexp.MustCompile(`(?is)\b(?:create|alter)\s+user\s+(?:if\s+not\s+exists\s+)?` +
	"['\"`]?([^'\"`@\\s]+)['\"`]?(?:@['\"`]?([^'\"`\\s]+)['\"`]?)?\\s+identified\\s+" +
	`(?:with\s+\S+\s+)?by\s+'((?:[^']|'')*)'`)

// mappingRE finds CREATE/ALTER USER MAPPING ... OPTIONS (... password '...').
var mappingRE = regexp.MustCompile(`(?is)\b(?:create|alter)\s+user\s+mapping\s+(?:if\s+not\s+exists\s+)?` +
	`for\s+("(?:[^"]|"")+"|\S+)\s+server\s+("(?:[^"]|"")+"|[^\s(]+)\s+options\s*\(([^)]{0,1000})\)`)

var optionRE = regexp.MustCompile(`(?i)(?:add\s+|set\s+)?(user|password)\s+'((?:[^']|'')*)'`)

// detectSQL finds passwords set in SQL statements: role passwords, MySQL
// users and foreign-server user mappings.
func detectSQL(d *doc, w window, emit func(candidate)) {
	// A statement may start a few lines above its PASSWORD clause.
	for i := 0; i < 3 && w.start > 0; i++ {
		s, _ := lineBounds(d.text, w.start-1, maxWindow)
		w.start = s
	}
	text := string(d.text[w.start:w.end])
	for _, m := range roleRE.FindAllStringSubmatchIndex(text, -1) {
		pw, vs, ok := sqlLiteral(text, m[1])
		if !ok || isVerifier(pw) {
			continue
		}
		c := candidate{rule: RuleDBPassword, kind: "role password in SQL", prio: 20,
			secret: pw, at: w.start + vs}
		c.id.User = unquoteIdent(text[m[2]:m[3]])
		emit(c)
	}
	for _, m := range identifiedRE.FindAllStringSubmatchIndex(text, -1) {
		c := candidate{rule: RuleDBPassword, kind: "user password in SQL", prio: 20,
			secret: strings.ReplaceAll(text[m[6]:m[7]], "''", "'"), at: w.start + m[6]}
		c.id.User = text[m[2]:m[3]]
		if m[4] >= 0 && text[m[4]:m[5]] != "%" {
			c.id.Hosts = []string{text[m[4]:m[5]]}
		}
		emit(c)
	}
	for _, m := range mappingRE.FindAllStringSubmatchIndex(text, -1) {
		opts := text[m[6]:m[7]]
		c := candidate{rule: RuleDBPassword, kind: "user mapping password in SQL", prio: 20}
		c.id.Label = "user mapping for " + unquoteIdent(text[m[2]:m[3]]) + " on server " +
			unquoteIdent(text[m[4]:m[5]])
		for _, o := range optionRE.FindAllStringSubmatchIndex(opts, -1) {
			v := strings.ReplaceAll(opts[o[4]:o[5]], "''", "'")
			if strings.EqualFold(opts[o[2]:o[3]], "user") {
				c.id.User = v
			} else {
				c.secret, c.at = v, w.start+m[6]+o[4]
			}
		}
		if c.secret != "" {
			emit(c)
		}
	}
}

// isVerifier reports whether a role "password" is a stored hash: SCRAM or
// md5 verifiers pass through CREATE ROLE unchanged.
func isVerifier(pw string) bool {
	l := strings.ToLower(pw)
	return strings.HasPrefix(l, "scram-sha-256$") ||
		len(l) == 35 && strings.HasPrefix(l, "md5") && isHex(l[3:])
}

func unquoteIdent(s string) string {
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		return strings.ReplaceAll(s[1:len(s)-1], `""`, `"`)
	}
	return strings.ToLower(s)
}

// sqlLiteral reads the SQL string literal at text[i]: '…' with doubled
// quotes, E'…' with backslash escapes, U&'…' (its escapes are kept as
// written) or a dollar-quoted $tag$…$tag$. It returns the value and the
// offset where it starts; ok is false for anything else (NULL, a
// parameter) and for a literal that does not end within text.
func sqlLiteral(text string, i int) (val string, start int, ok bool) {
	rest := text[i:]
	switch {
	case strings.HasPrefix(rest, "'"):
		return quotedSQL(text, i+1, false)
	case len(rest) > 1 && (rest[0] == 'E' || rest[0] == 'e') && rest[1] == '\'':
		return quotedSQL(text, i+2, true)
	case len(rest) > 2 && (rest[0] == 'U' || rest[0] == 'u') && rest[1:3] == "&'":
		return quotedSQL(text, i+3, false)
	case strings.HasPrefix(rest, "$"):
		end := strings.IndexByte(rest[1:], '$')
		if end < 0 {
			return "", 0, false
		}
		tag := rest[:end+2]
		if !isDollarTag(tag[1 : len(tag)-1]) {
			return "", 0, false
		}
		body := rest[len(tag):]
		close := strings.Index(body, tag)
		if close < 0 {
			return "", 0, false
		}
		return body[:close], i + len(tag), true
	}
	return "", 0, false
}

// quotedSQL reads a single-quoted literal whose content starts at
// text[i]; backslash enables E-string escapes.
func quotedSQL(text string, i int, backslash bool) (string, int, bool) {
	var b strings.Builder
	for k := i; k < len(text); k++ {
		c := text[k]
		switch {
		case backslash && c == '\\' && k+1 < len(text):
			k++
			switch text[k] {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case 'r':
				b.WriteByte('\r')
			case 'b':
				b.WriteByte('\b')
			case 'f':
				b.WriteByte('\f')
			default:
				b.WriteByte(text[k])
			}
		case c == '\'' && k+1 < len(text) && text[k+1] == '\'':
			b.WriteByte('\'')
			k++
		case c == '\'':
			return b.String(), i, true
		default:
			b.WriteByte(c)
		}
	}
	return "", 0, false
}

// isDollarTag reports whether t may sit between the dollars of a
// dollar quote: empty, or an identifier that does not start with a digit.
func isDollarTag(t string) bool {
	if t == "" {
		return true
	}
	if t[0] >= '0' && t[0] <= '9' {
		return false
	}
	for i := 0; i < len(t); i++ {
		c := t[i]
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			c >= 0x80) {
			return false
		}
	}
	return true
}
