package rules

import (
	"strings"
	"testing"
)

// nastyNames are role and object names that break naive quoting.
var nastyNames = []string{
	"app_svc",
	"App_Svc",
	"with space",
	`quo"te`,
	`""`,
	`a""b`,
	"o'brien",
	`back\slash`,
	"pacienté_ñ_患者",
	"select",
	`x"; DROP ROLE postgres; --`,
	"$ward$",
	"tab\tand\nnewline",
}

// unquoteIdent reads one double-quoted identifier the way PostgreSQL's
// lexer does and returns it with the rest of the input.
func unquoteIdent(t *testing.T, s string) (string, string) {
	t.Helper()
	if !strings.HasPrefix(s, `"`) {
		t.Fatalf("%q does not start with a double quote", s)
	}
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		if s[i] != '"' {
			b.WriteByte(s[i])
			continue
		}
		if i+1 < len(s) && s[i+1] == '"' {
			b.WriteByte('"')
			i++
			continue
		}
		return b.String(), s[i+1:]
	}
	t.Fatalf("unterminated identifier in %q", s)
	return "", ""
}

// unquoteLiteral reads one string literal ('...' or E'...') the way
// PostgreSQL's lexer does with standard_conforming_strings on.
func unquoteLiteral(t *testing.T, s string) (string, string) {
	t.Helper()
	escape := strings.HasPrefix(s, "E'")
	if escape {
		s = s[1:]
	}
	if !strings.HasPrefix(s, "'") {
		t.Fatalf("%q does not start with a quote", s)
	}
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch {
		case escape && s[i] == '\\' && i+1 < len(s):
			b.WriteByte(s[i+1])
			i++
		case s[i] == '\'' && i+1 < len(s) && s[i+1] == '\'':
			b.WriteByte('\'')
			i++
		case s[i] == '\'':
			return b.String(), s[i+1:]
		default:
			b.WriteByte(s[i])
		}
	}
	t.Fatalf("unterminated literal in %q", s)
	return "", ""
}

func TestQuoteIdent(t *testing.T) {
	fixed := []struct{ in, want string }{
		{"app_svc", `"app_svc"`},
		{"App_Svc", `"App_Svc"`},
		{`quo"te`, `"quo""te"`},
		{`""`, `""""""`},
		{"with space", `"with space"`},
		{"pacienté", `"pacienté"`},
	}
	for _, tc := range fixed {
		if got := quoteIdent(tc.in); got != tc.want {
			t.Errorf("quoteIdent(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
	for _, name := range nastyNames {
		t.Run(name, func(t *testing.T) {
			q := quoteIdent(name)
			back, rest := unquoteIdent(t, q)
			if back != name || rest != "" {
				t.Errorf("quoteIdent(%q) = %s reads back as %q with %q left", name, q, back, rest)
			}
		})
	}
}

func TestQuoteIdents(t *testing.T) {
	got := quoteIdents("my schema", `ta"ble`)
	if want := `"my schema"."ta""ble"`; got != want {
		t.Errorf("quoteIdents = %s, want %s", got, want)
	}
}

func TestQuoteLiteral(t *testing.T) {
	fixed := []struct{ in, want string }{
		{"md5", `'md5'`},
		{"o'brien", `'o''brien'`},
		{`back\slash`, `E'back\\slash'`},
		{`it's\`, `E'it''s\\'`},
	}
	for _, tc := range fixed {
		if got := quoteLiteral(tc.in); got != tc.want {
			t.Errorf("quoteLiteral(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
	for _, name := range nastyNames {
		t.Run(name, func(t *testing.T) {
			q := quoteLiteral(name)
			back, rest := unquoteLiteral(t, q)
			if back != name || rest != "" {
				t.Errorf("quoteLiteral(%q) = %s reads back as %q with %q left", name, q, back, rest)
			}
		})
	}
}

func TestDollarQuote(t *testing.T) {
	tests := []struct{ name, body, wantTag string }{
		{"plain", "BEGIN NULL; END", "$ward$"},
		{"tag inside", "SELECT '$ward$'", "$ward1$"},
		{"tag prefix at end", "SELECT 1 -- $ward", "$ward1$"},
		{"two tags inside", "$ward$ $ward1$", "$ward2$"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := dollarQuote(tc.body)
			if !strings.HasPrefix(got, tc.wantTag) || !strings.HasSuffix(got, tc.wantTag) {
				t.Fatalf("dollarQuote(%q) = %q, want tag %s", tc.body, got, tc.wantTag)
			}
			// The lexer ends the string at the first closing tag after the
			// opening one: that must be the last one.
			inner := got[len(tc.wantTag):]
			if end := strings.Index(inner, tc.wantTag); end != len(tc.body) {
				t.Errorf("closing tag found at %d, want %d", end, len(tc.body))
			}
		})
	}
}

func TestValidName(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"app_svc", true},
		{"pacienté", true},
		{"", false},
		{"nul\x00byte", false},
		{"bad\xffutf8", false},
	}
	for _, tc := range tests {
		if got := validName(tc.in); got != tc.want {
			t.Errorf("validName(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}
