package secrets

import (
	"testing"

	"github.com/wardsec/ward/internal/inventory"
)

func TestSQLLiterals(t *testing.T) {
	const high = inventory.SeverityHigh
	tests := []struct {
		name, text string
		want       []want
	}{
		{"plain", "CREATE ROLE svc_a LOGIN PASSWORD 'FAKE-''q''-57';\n",
			[]want{{RuleDBPassword, "svc_a", high, "FAKE-'q'-57", 1}}},
		{"E-string", "CREATE ROLE svc_e PASSWORD E'FAKE\\'e\\\\-58';\n",
			[]want{{RuleDBPassword, "svc_e", high, `FAKE'e\-58`, 1}}},
		{"dollar quoted", "ALTER ROLE svc_d PASSWORD $$FAKE-d'59$$;\n",
			[]want{{RuleDBPassword, "svc_d", high, "FAKE-d'59", 1}}},
		{"tagged dollar quote", "CREATE USER \"Svc_T\" WITH LOGIN\n  PASSWORD $pw$FAKE-$$-60$pw$;\n",
			[]want{{RuleDBPassword, "Svc_T", high, "FAKE-$$-60", 2}}},
		{"Unicode escape string", "ALTER USER svc_u PASSWORD U&'FAKE-u-61';\n",
			[]want{{RuleDBPassword, "svc_u", high, "FAKE-u-61", 1}}},
	}
	s := newTestScanner(t, Options{})
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			checkSecrets(t, s.ScanBytes("roles.sql", []byte(tc.text)), tc.want)
		})
	}
}

func TestSQLLiteralsNotFindings(t *testing.T) {
	tests := []struct{ name, text string }{
		{"NULL", "ALTER ROLE svc_n PASSWORD NULL;\n"},
		{"parameter", "ALTER ROLE svc_p PASSWORD $1;\n"},
		{"dollar verifier", "ALTER ROLE svc_v PASSWORD $$SCRAM-SHA-256$4096:FAKE$salt:key$$;\n"},
		{"E-string verifier", "ALTER ROLE svc_v PASSWORD E'md5e8a48653851e28c69d0506508fb27fc5';\n"},
		{"unterminated dollar quote", "ALTER ROLE svc_o PASSWORD $x$FAKE-open-62\n"},
		{"psql variable", "ALTER ROLE svc_v PASSWORD :'pw';\n"},
	}
	s := newTestScanner(t, Options{})
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, g := range s.ScanBytes("roles.sql", []byte(tc.text)) {
				t.Errorf("found %s %q line %d (%s)", g.RuleID, g.Identity.String(), g.Line, g.Kind)
			}
		})
	}
}
