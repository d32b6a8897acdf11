package phi

import (
	"fmt"
	"strings"
)

// pattern is one configured PHI pattern: one glob per name level, lowercased.
// When withDB is false the pattern has no database part and matches in
// every database.
type pattern struct {
	reason string // `table pattern "clinical.*"`
	parts  []string
	withDB bool
}

// patternForm describes the accepted shapes of one kind of pattern.
type patternForm struct {
	kind     string // "table" or "column"
	min, max int    // number of parts
	expected string // the forms, for messages
}

var (
	tableForm = patternForm{"table", 2, 3,
		"schema.table or database.schema.table, such as clinical.*"}
	columnForm = patternForm{"column", 3, 4,
		"schema.table.column or database.schema.table.column, such as *.*.ssn"}
)

// parsePattern checks raw against form and compiles it.
func parsePattern(raw string, form patternForm) (pattern, error) {
	fail := func(why string) (pattern, error) {
		return pattern{}, fmt.Errorf("%s pattern %q: %s; write %s "+
			"(one part per name level, * matches within one part)",
			form.kind, raw, why, form.expected)
	}

	switch {
	case raw == "":
		return fail("is empty")
	case strings.TrimSpace(raw) != raw:
		return fail("has leading or trailing space")
	case strings.ContainsAny(raw, "?[]"):
		return fail("uses ?, [ or ], but only * is a wildcard")
	}
	parts := strings.Split(strings.ToLower(raw), ".")
	if len(parts) < form.min || len(parts) > form.max {
		return fail(fmt.Sprintf("has %d parts", len(parts)))
	}
	for _, p := range parts {
		if p == "" {
			return fail("has an empty part")
		}
	}
	return pattern{
		reason: fmt.Sprintf("%s pattern %q", form.kind, raw),
		parts:  parts,
		withDB: len(parts) == form.max,
	}, nil
}

// match reports whether the lowercased name levels match the pattern. names
// always starts with the database; a pattern without a database part skips
// it.
func (p pattern) match(names ...string) bool {
	if !p.withDB {
		names = names[1:]
	}
	if len(names) != len(p.parts) {
		return false
	}
	for i, part := range p.parts {
		if !glob(part, names[i]) {
			return false
		}
	}
	return true
}

// glob matches s against pat, where * stands for any run of characters,
// possibly empty, and every other character stands for itself. It runs in
// O(len(pat)*len(s)) at worst, with no recursion.
func glob(pat, s string) bool {
	p, i := 0, 0
	star, mark := -1, 0 // position after the last *, and where s resumed
	for i < len(s) {
		switch {
		case p < len(pat) && pat[p] == '*':
			p++
			star, mark = p, i
		case p < len(pat) && pat[p] == s[i]:
			p++
			i++
		case star >= 0:
			mark++
			p, i = star, mark
		default:
			return false
		}
	}
	for p < len(pat) && pat[p] == '*' {
		p++
	}
	return p == len(pat)
}
