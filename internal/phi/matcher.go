// Package phi marks the tables, columns and grants of an inventory that hold
// or reach protected health information. A name is PHI when one of its
// tokens is a built-in PHI token (tokens.txt: patient, ssn, diagnosis…) or
// when it matches a pattern of the configuration (phi.tables, phi.columns).
//
// Tokens are whole words of a name, never substrings: "lab_result" and
// "LabResult" hold "lab", "label" does not. A table is PHI when its name or
// a table pattern says so, or when one of its columns is PHI; a column is
// PHI when its name or a column pattern says so, or when its table is PHI by
// name or pattern. Marking errs towards PHI: a false mark raises a finding's
// severity, a missed one hides a risk.
package phi

import (
	_ "embed"
	"errors"
	"fmt"
	"strings"

	"github.com/wardsec/ward/internal/config"
)

//go:embed tokens.txt
var builtinTokens string

// Matcher decides whether tables and columns are PHI. It is safe for
// concurrent use once built; Mark changes only the snapshot it is given.
type Matcher struct {
	vocab   *vocabulary
	tables  []pattern
	columns []pattern
}

// NewMatcher builds a Matcher from the built-in tokens and the configured
// patterns. It checks every pattern and returns one error naming each bad
// pattern and the expected form.
func NewMatcher(p config.PHIPatterns) (*Matcher, error) {
	vocab, err := parseVocabulary(builtinTokens)
	if err != nil {
		return nil, fmt.Errorf("built-in phi tokens: %w", err)
	}
	m := &Matcher{vocab: vocab}

	var errs []error
	for _, raw := range p.Tables {
		pat, err := parsePattern(raw, tableForm)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		m.tables = append(m.tables, pat)
	}
	for _, raw := range p.Columns {
		pat, err := parsePattern(raw, columnForm)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		m.columns = append(m.columns, pat)
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("phi patterns: %w", errors.Join(errs...))
	}
	return m, nil
}

// Table reports whether the table (or view) db.schema.table is PHI by its
// name or by a table pattern, and why. It does not know the table's
// columns; Mark adds what they say.
func (m *Matcher) Table(db, schema, table string) (bool, string) {
	return m.table(strings.ToLower(db), strings.ToLower(schema), table)
}

// table takes the database and schema already lowercased.
func (m *Matcher) table(db, schema, table string) (bool, string) {
	lt := strings.ToLower(table)
	for _, p := range m.tables {
		if p.match(db, schema, lt) {
			return true, p.reason
		}
	}
	if why, ok := m.vocab.match(Tokens(table)); ok {
		return true, "table name " + why
	}
	return false, ""
}

// Column reports whether a column is PHI, and why: by a column pattern, by
// its name, or because its table is PHI by name or by a table pattern.
func (m *Matcher) Column(db, schema, table, column string) (bool, string) {
	ldb, lschema := strings.ToLower(db), strings.ToLower(schema)
	if ok, why := m.columnPattern(ldb, lschema, table, column); ok {
		return true, why
	}
	if ok, why := m.columnName(column); ok {
		return true, why
	}
	if ok, why := m.table(ldb, lschema, table); ok {
		return true, inTable(why)
	}
	return false, ""
}

// columnPattern takes the database and schema already lowercased.
func (m *Matcher) columnPattern(db, schema, table, column string) (bool, string) {
	if len(m.columns) == 0 {
		return false, ""
	}
	lt, lc := strings.ToLower(table), strings.ToLower(column)
	for _, p := range m.columns {
		if p.match(db, schema, lt, lc) {
			return true, p.reason
		}
	}
	return false, ""
}

func (m *Matcher) columnName(column string) (bool, string) {
	if why, ok := m.vocab.match(Tokens(column)); ok {
		return true, "column name " + why
	}
	return false, ""
}

// inTable is the reason of a column that is PHI because its table is.
func inTable(tableReason string) string { return "in PHI table: " + tableReason }
