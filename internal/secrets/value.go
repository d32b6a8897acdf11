package secrets

import (
	"math"
	"strings"
	"unicode/utf8"
)

// placeholderWords are values that stand for a secret rather than being
// one. A weak real password ("postgres", "hunter2", "Summer2024!") is not
// here: it is a finding however common the word.
var placeholderWords = map[string]bool{
	"password": true, "passwd": true, "pass": true, "pwd": true, "secret": true,
	"changeme": true, "change_me": true, "change-me": true, "changeit": true,
	"placeholder": true, "redacted": true, "[redacted]": true, "hidden": true,
	"null": true, "nil": true, "none": true, "undefined": true, "true": true,
	"false": true, "yes": true, "no": true, "todo": true, "fixme": true, "tbd": true,
	"replaceme": true, "replace_me": true, "replace-me": true, "example": true,
	"sample": true, "token": true, "apikey": true, "api_key": true, "~": true,
	"<redacted>": true, "not-a-real-password": true, "dummy": true,
}

// isPlaceholder reports whether v is a template, a reference or a word
// that stands in for a secret: ${VAR}, $VAR, %VAR%, {{ x }}, <password>,
// changeme, xxxx, ****, "password", or empty.
func isPlaceholder(v string) bool {
	t := strings.TrimSpace(v)
	if t == "" {
		return true
	}
	l := strings.ToLower(t)
	if placeholderWords[l] {
		return true
	}
	for _, p := range []string{"${", "$(", "{{", "<%", "#{", "%(", "[[", "@@"} {
		if strings.Contains(t, p) {
			return true
		}
	}
	switch {
	case t[0] == '$' && len(t) > 1 && isIdentByte(t[1]):
		return true // $VAR, $env:X
	case len(t) > 2 && t[0] == '%' && t[len(t)-1] == '%':
		return true // %VAR%
	case len(t) > 2 && t[0] == '<' && t[len(t)-1] == '>':
		return true // <password>
	case len(t) > 2 && t[0] == '@' && t[len(t)-1] == '@':
		return true // @password@ (Maven filtering)
	case len(t) > 2 && t[0] == '{' && t[len(t)-1] == '}' && isIdent(t[1:len(t)-1]):
		return true // {password}
	case sameByte(l):
		return true // xxxx, ****, ....
	case strings.HasPrefix(l, "your") || strings.HasPrefix(l, "<your") ||
		strings.HasPrefix(l, "insert") || strings.HasPrefix(l, "enter_") ||
		strings.HasPrefix(l, "enter-") || strings.HasPrefix(l, "replace"):
		return mentionsSecret(l) || strings.Contains(l, "here")
	case strings.HasSuffix(l, "_here") || strings.HasSuffix(l, "-here"):
		return true
	case isEnvName(t) && mentionsSecret(l):
		return true // DB_PASSWORD as a value names a variable
	}
	return false
}

func mentionsSecret(l string) bool {
	for _, w := range []string{"pass", "secret", "token", "key", "pwd"} {
		if strings.Contains(l, w) {
			return true
		}
	}
	return false
}

func sameByte(s string) bool {
	if len(s) < 3 {
		return false
	}
	switch s[0] {
	case 'x', '*', '.', '#', '-', '_', '?', '0':
	default:
		return false
	}
	return strings.Count(s, s[:1]) == len(s)
}

func isIdentByte(b byte) bool {
	return b == '_' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '{'
}

func isIdent(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		b := s[i]
		if !(b == '_' || b == '.' || b == '-' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' ||
			b >= '0' && b <= '9') {
			return false
		}
	}
	return true
}

// isEnvName reports whether s looks like an environment variable name:
// upper-case letters, digits and underscores, with at least one underscore.
func isEnvName(s string) bool {
	if !strings.Contains(s, "_") {
		return false
	}
	for i := 0; i < len(s); i++ {
		b := s[i]
		if !(b == '_' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9') {
			return false
		}
	}
	return true
}

// entropy is the Shannon entropy of s in bits per byte.
func entropy(s string) float64 {
	if s == "" {
		return 0
	}
	var counts [256]int
	for i := 0; i < len(s); i++ {
		counts[s[i]]++
	}
	n := float64(len(s))
	var h float64
	for _, c := range counts {
		if c > 0 {
			p := float64(c) / n
			h -= p * math.Log2(p)
		}
	}
	return h
}

// redact shows at most the first and last two characters of a secret of
// 12 characters or more, and nothing of a shorter one.
func redact(s string) string {
	s = strings.ToValidUTF8(s, "?")
	if utf8.RuneCountInString(s) < 12 {
		return "…"
	}
	r := []rune(s)
	return string(r[:2]) + "…" + string(r[len(r)-2:])
}

// quoted parses a quoted literal at the start of s (", ' or `) and returns
// its content and the rest of s after the closing quote. Backslash
// escapes are undone for double quotes; a doubled single quote is one
// quote, as in YAML and SQL. ok is false when the literal does not close
// on s.
func quoted(s string) (val, rest string, ok bool) {
	if s == "" {
		return "", s, false
	}
	q := s[0]
	if q != '"' && q != '\'' && q != '`' {
		return "", s, false
	}
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && q == '"' && i+1 < len(s):
			i++
			switch s[i] {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			default:
				b.WriteByte(s[i])
			}
		case c == q && q == '\'' && i+1 < len(s) && s[i+1] == '\'':
			b.WriteByte('\'')
			i++
		case c == q:
			return b.String(), s[i+1:], true
		default:
			b.WriteByte(c)
		}
	}
	return "", s, false
}

// bare returns an unquoted value at the start of s: up to whitespace, a
// semicolon or a quote, without trailing commas or closing brackets.
func bare(s string) string {
	end := strings.IndexAny(s, " \t\r\n;\"'`")
	if end < 0 {
		end = len(s)
	}
	return strings.TrimRight(s[:end], ",)]}")
}
