package phi

import (
	"strings"
	"testing"

	"github.com/wardsec/ward/internal/config"
)

func newMatcher(t *testing.T, p config.PHIPatterns) *Matcher {
	t.Helper()
	m, err := NewMatcher(p)
	if err != nil {
		t.Fatalf("NewMatcher(%+v): %v", p, err)
	}
	return m
}

func TestTableBuiltinTokens(t *testing.T) {
	m := newMatcher(t, config.PHIPatterns{})
	tests := []struct {
		table   string
		want    bool
		wantWhy string
	}{
		// Whole tokens in any spelling.
		{"patient", true, `table name token "patient"`},
		{"patients", true, `table name token "patients" (patient*)`},
		{"PatientVisit", true, `table name token "patient"`},
		{"patientid_map", true, `table name token "patientid" (patient*)`},
		{"lab_result", true, `table name token "lab"`},
		{"LabResult", true, `table name token "lab"`},
		{"labs", true, `table name token "labs" (lab)`},
		{"clinical_notes", true, `table name token "clinical"`},
		{"notes", true, `table name token "notes" (note)`},
		{"claims", true, `table name token "claims" (claim*)`},
		{"diagnoses_icd", true, `table name token "diagnoses" (diagnos*)`},
		{"allergies", true, `table name token "allergies" (allerg*)`},
		{"vitals2024", true, `table name token "vitals" (vital)`},
		{"visit_occurrence", true, `table name token "visit"`},
		{"PERSON", true, `table name token "person"`},
		{"admissions", true, `table name token "admissions" (admission*)`},
		{"member_eligibility", true, `table name token "member"`},
		{"contact_first_name", true, `table name tokens "first name"`},
		{"FirstNames", true, `table name tokens "first name"`},
		{"social_security_numbers", true, `table name tokens "social security"`},
		// Substrings and look-alikes are not tokens.
		{"label", false, ""},
		{"labels", false, ""},
		{"collaborate", false, ""},
		{"notebook", false, ""}, // one token "notebook": a notebook is not a note
		{"denote", false, ""},
		{"personnel", false, ""},
		{"memberships", false, ""},
		{"conditional_rule", false, ""},
		{"dobby", false, ""},
		{"first_day", false, ""},
		{"name_last", false, ""}, // the phrase is "last name", in that order
		{"provider", false, ""},  // clinicians, not patients: see tokens.txt
		{"concept", false, ""},
		{"", false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.table, func(t *testing.T) {
			got, why := m.Table("ehr", "public", tt.table)
			if got != tt.want || why != tt.wantWhy {
				t.Errorf("Table(%q) = %v, %q; want %v, %q", tt.table, got, why, tt.want, tt.wantWhy)
			}
		})
	}
}

func TestTablePatterns(t *testing.T) {
	m := newMatcher(t, config.PHIPatterns{
		Tables: []string{"clinical.*", "ehr.billing.inv*", "*.x*y", "ehr.*"},
	})
	tests := []struct {
		name              string
		db, schema, table string
		want              bool
		wantWhy           string
	}{
		{"schema wildcard", "crm", "clinical", "orders", true, `table pattern "clinical.*"`},
		{"case insensitive", "crm", "Clinical", "Orders", true, `table pattern "clinical.*"`},
		{"any database", "other", "clinical", "orders", true, `table pattern "clinical.*"`},
		{"other schema", "ehr", "clinic", "orders", false, ""},
		{"with database", "ehr", "billing", "invoice", true, `table pattern "ehr.billing.inv*"`},
		{"wrong database", "crm", "billing", "invoice", false, ""},
		{"star inside part", "db", "s", "xmiddley", true, `table pattern "*.x*y"`},
		{"star does not end a part early", "db", "s", "x.y.z", false, ""},
		// "ehr.*" names schema ehr: its * cannot take "sales.orders".
		{"star does not span levels", "ehr", "sales", "orders", false, ""},
		{"two parts skip the database", "any", "ehr", "orders", true, `table pattern "ehr.*"`},
		{"token wins where no pattern", "crm", "billing", "patient", true, `table name token "patient"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, why := m.Table(tt.db, tt.schema, tt.table)
			if got != tt.want || why != tt.wantWhy {
				t.Errorf("Table(%q, %q, %q) = %v, %q; want %v, %q",
					tt.db, tt.schema, tt.table, got, why, tt.want, tt.wantWhy)
			}
		})
	}
}

func TestColumn(t *testing.T) {
	m := newMatcher(t, config.PHIPatterns{
		Tables:  []string{"research.*"},
		Columns: []string{"*.*.ssn_hash", "ehr.ops.staff.badge_*", "ehr.*.badge"},
	})
	tests := []struct {
		name                      string
		db, schema, table, column string
		want                      bool
		wantWhy                   string
	}{
		{"column token", "ehr", "ops", "invoice", "patient_id", true, `column name token "patient"`},
		{"camel column token", "ehr", "ops", "invoice", "birthDate", true, `column name token "birth"`},
		{"plain column", "ehr", "ops", "invoice", "amount", false, ""},
		{"column pattern", "ehr", "ops", "invoice", "SSN_HASH", true, `column pattern "*.*.ssn_hash"`},
		{"column pattern with database", "ehr", "ops", "staff", "badge_no", true,
			`column pattern "ehr.ops.staff.badge_*"`},
		{"column pattern other database", "crm", "ops", "staff", "badge_no", false, ""},
		// "ehr.*.badge" names schema ehr: its * cannot take "ops.staff".
		{"star does not span levels", "ehr", "ops", "staff", "badge", false, ""},
		{"in PHI table by name", "ehr", "ops", "patient", "created_at", true,
			`in PHI table: table name token "patient"`},
		{"in PHI table by pattern", "ehr", "research", "cohort", "id", true,
			`in PHI table: table pattern "research.*"`},
		{"own reason first", "ehr", "ops", "patient", "ssn", true, `column name token "ssn"`},
		{"label is not lab", "ehr", "ops", "printer", "label_text", false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, why := m.Column(tt.db, tt.schema, tt.table, tt.column)
			if got != tt.want || why != tt.wantWhy {
				t.Errorf("Column(%q) = %v, %q; want %v, %q",
					strings.Join([]string{tt.db, tt.schema, tt.table, tt.column}, "."),
					got, why, tt.want, tt.wantWhy)
			}
		})
	}
}

func TestNewMatcherErrors(t *testing.T) {
	_, err := NewMatcher(config.PHIPatterns{
		Tables:  []string{"clinical.*", "clinical", "a.b.c.d"},
		Columns: []string{"*.*.ssn", "ssn"},
	})
	if err == nil {
		t.Fatal("NewMatcher accepted bad patterns")
	}
	msg := err.Error()
	for _, want := range []string{
		`table pattern "clinical": has 1 parts`,
		`table pattern "a.b.c.d": has 4 parts`,
		`column pattern "ssn": has 1 parts`,
		"schema.table or database.schema.table",
		"schema.table.column or database.schema.table.column",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not contain %q", msg, want)
		}
	}
	for _, good := range []string{`"clinical.*"`, `"*.*.ssn"`} {
		if strings.Contains(msg, good) {
			t.Errorf("error %q names the valid pattern %s", msg, good)
		}
	}
}
