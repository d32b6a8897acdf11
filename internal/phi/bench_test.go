package phi

import (
	"fmt"
	"testing"

	"github.com/wardsec/ward/internal/config"
	"github.com/wardsec/ward/internal/inventory"
)

// bigSnapshot builds a snapshot of tables x columns resources and accounts
// x grants grants, with names in the mix a clinical database has. Two thirds
// of the column names repeat across tables, as id and created_at do in real
// schemas; the rest are unique.
func bigSnapshot(tables, columns, accounts, grants int) *inventory.Snapshot {
	words := []string{"patient", "order", "invoice", "lab_result", "label", "queue", "audit",
		"Encounter", "config", "concept", "notebook", "claims", "staff", "event", "VitalSign"}
	cols := []string{"id", "created_at", "updated_at", "status", "amount", "patient_id",
		"description", "code", "LabelText", "birthDate", "note_text", "version", "owner_id",
		"value_as_number", "unit_concept_id", "ssn", "type", "source_value", "ssn_hash", "flag"}

	s := &inventory.Snapshot{Source: "bench"}
	tableNames := make([]string, 0, tables)
	for i := range tables {
		name := fmt.Sprintf("ehr.s%d.%s_%s_%d", i%40, words[i%len(words)], words[(i/7)%len(words)], i)
		tableNames = append(tableNames, name)
		s.Resources = append(s.Resources, inventory.Resource{Name: name, Type: "table"})
		for j := range columns {
			col := fmt.Sprintf("%s.%s%d", name, cols[(i+j)%len(cols)], j)
			if j%3 == 0 { // a third of the column names are unique to their table
				col = fmt.Sprintf("%s.%s_%d_%d", name, cols[(i+j)%len(cols)], i, j)
			}
			s.Resources = append(s.Resources, inventory.Resource{Name: col, Type: "column"})
		}
	}
	for a := range accounts {
		acct := inventory.Account{ID: fmt.Sprintf("bench/u%d", a), Name: fmt.Sprintf("u%d", a)}
		for g := range grants {
			t := tableNames[(a*grants+g*31)%len(tableNames)]
			gr := inventory.Grant{Privilege: "SELECT", Resource: t, ResourceType: "table"}
			switch g % 10 {
			case 0:
				gr.Privilege, gr.Resource, gr.ResourceType = "USAGE", "ehr.s1", "schema"
			case 1:
				gr.Resource, gr.ResourceType = t+".ssn_extra", "column" // not listed
			case 2:
				gr.Resource = fmt.Sprintf("ehr.other.unlisted_%d", g) // not listed
			}
			acct.Grants = append(acct.Grants, gr)
		}
		s.Accounts = append(s.Accounts, acct)
	}
	return s
}

// BenchmarkMark marks 20,000 tables of 15 columns and 2,000 accounts of
// 100 grants each.
func BenchmarkMark(b *testing.B) {
	m, err := NewMatcher(config.PHIPatterns{
		Tables:  []string{"s3.*", "ehr.s7.order*"},
		Columns: []string{"*.*.ssn_hash*", "ehr.*.*.flag*"},
	})
	if err != nil {
		b.Fatal(err)
	}
	s := bigSnapshot(20000, 15, 2000, 100)
	b.ResetTimer()
	for b.Loop() {
		m.Mark(s)
	}
}

func BenchmarkTokens(b *testing.B) {
	for b.Loop() {
		Tokens("PatientSSNHash_lab_result2024")
	}
}
