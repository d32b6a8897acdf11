package rules

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// validName reports whether s can be written as a PostgreSQL identifier or
// string literal in generated SQL: not empty, valid UTF-8, no NUL byte.
// Names read from the catalog always pass; a name that does not is never
// quoted "as best we can", because a changed name would target another
// object.
func validName(s string) bool {
	return s != "" && utf8.ValidString(s) && !strings.ContainsRune(s, 0)
}

// quoteIdent quotes s as a PostgreSQL identifier: wrapped in double quotes,
// inner double quotes doubled. Quoting always, even for plain lower-case
// names, keeps case and avoids reserved words. Callers check validName
// first.
func quoteIdent(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// quoteIdents quotes each part and joins them with dots, for qualified
// names such as schema.table.
func quoteIdents(parts ...string) string {
	q := make([]string, len(parts))
	for i, p := range parts {
		q[i] = quoteIdent(p)
	}
	return strings.Join(q, ".")
}

// quoteLiteral quotes s as a SQL string literal. Single quotes are doubled.
// A backslash switches to the E” form with doubled backslashes, so the
// literal means the same whatever standard_conforming_strings is.
func quoteLiteral(s string) string {
	q := strings.ReplaceAll(s, `'`, `''`)
	if strings.Contains(s, `\`) {
		return `E'` + strings.ReplaceAll(q, `\`, `\\`) + `'`
	}
	return `'` + q + `'`
}

// dollarQuote wraps body in a dollar-quoted string for DO blocks. The tag is
// chosen so that its first occurrence after the opening tag is the closing
// one, also when body ends with a prefix of it ("...$ward").
func dollarQuote(body string) string {
	tag := "$ward$"
	for i := 1; strings.Index(body+tag, tag) != len(body); i++ {
		tag = "$ward" + strconv.Itoa(i) + "$"
	}
	return tag + body + tag
}
