package phi

import (
	"strings"
	"testing"

	"github.com/wardsec/ward/internal/config"
)

// FuzzMatcher feeds arbitrary patterns and names to the matcher. A pattern
// is either refused or compiled; a compiled pattern without * matches the
// names it spells, whatever their case; a verdict always carries a reason.
func FuzzMatcher(f *testing.F) {
	f.Add("clinical.*", "*.*.ssn", "ehr", "clinical", "patient", "ssn")
	f.Add("ehr.billing.inv*", "a.b.c.d", "EHR", "Billing", "Invoice", "amount")
	f.Add("", ".", "", "", "", "")
	f.Fuzz(func(t *testing.T, tablePat, columnPat, db, schema, table, column string) {
		m, err := NewMatcher(config.PHIPatterns{Tables: []string{tablePat}, Columns: []string{columnPat}})
		if err != nil {
			if !strings.Contains(err.Error(), "pattern") {
				t.Fatalf("error does not say which pattern: %v", err)
			}
			return
		}

		tphi, twhy := m.Table(db, schema, table)
		cphi, cwhy := m.Column(db, schema, table, column)
		if tphi != (twhy != "") || cphi != (cwhy != "") {
			t.Fatalf("verdict and reason disagree: %v %q, %v %q", tphi, twhy, cphi, cwhy)
		}
		if tphi && !cphi {
			t.Fatalf("column of PHI table %q not PHI", table)
		}

		if strings.Contains(tablePat, "*") {
			return
		}
		parts := strings.Split(asciiUpper(tablePat), ".")
		if len(parts) == 2 {
			parts = append([]string{db}, parts...)
		}
		if ok, _ := m.Table(parts[0], parts[1], parts[2]); !ok {
			t.Fatalf("literal table pattern %q does not match its own parts %q", tablePat, parts)
		}
	})
}

// asciiUpper uppercases ASCII letters only, as PostgreSQL does not fold
// other letters of unquoted names either.
func asciiUpper(s string) string {
	return strings.Map(func(r rune) rune {
		if 'a' <= r && r <= 'z' {
			return r - 'a' + 'A'
		}
		return r
	}, s)
}
