package phi

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/wardsec/ward/internal/config"
	"github.com/wardsec/ward/internal/inventory"
)

// testSnapshot is a small EHR: a patient table, a billing table PHI only
// through one column, a vocabulary table, and things that are never marked.
func testSnapshot() *inventory.Snapshot {
	res := func(name, typ string) inventory.Resource { return inventory.Resource{Name: name, Type: typ} }
	grant := func(priv, resource, typ string) inventory.Grant {
		return inventory.Grant{Privilege: priv, Resource: resource, ResourceType: typ, Via: inventory.ViaDirect}
	}
	stale := res("ehr.vocab.concept", "table")
	stale.PHI, stale.PHIReason = true, "stale mark from an earlier run"
	schema := res("ehr.clinical", "schema")
	schema.PHI = true

	return &inventory.Snapshot{
		Source: "ehr",
		Resources: []inventory.Resource{
			res("ehr.clinical.patient", "table"),
			res("ehr.clinical.patient.id", "column"),
			res("ehr.clinical.patient.created_at", "column"),
			res("ehr.billing.invoice", "table"),
			res("ehr.billing.invoice.amount", "column"),
			res("ehr.billing.invoice.patient_id", "column"),
			res("ehr.billing.invoice.MemberNo", "column"),
			stale,
			res("ehr.vocab.concept.concept_name", "column"),
			res("ehr.research.cohort", "view"),
			res("ehr.clinical.patient_id_seq", "sequence"),
			schema,
			res("crm.public.label", "table"),
			res("crm.public.label.text", "column"),
		},
		Accounts: []inventory.Account{{
			ID: "ehr/app_svc", Name: "app_svc",
			Grants: []inventory.Grant{
				grant("SELECT", "ehr.billing.invoice", "table"),
				grant("SELECT", "ehr.billing.invoice.amount", "column"),
				grant("SELECT", "ehr.billing.invoice.patient_id", "column"),
				grant("USAGE", "ehr.clinical", "schema"),
				grant("CONNECT", "ehr", "database"),
				grant("SELECT", "ehr.clinical.lab_result", "table"),
				grant("SELECT", "ehr.clinical.lab_result.value", "column"),
				grant("SELECT", "ehr.ops.queue", "table"),
				grant("USAGE", "ehr.clinical.patient_id_seq", "sequence"),
				grant("SELECT", "crm.public.label", "table"),
			},
		}},
	}
}

func TestMark(t *testing.T) {
	m := newMatcher(t, config.PHIPatterns{Tables: []string{"research.*"}})
	s := testSnapshot()
	m.Mark(s)

	type mark struct {
		Name   string
		PHI    bool
		Reason string
	}
	want := []mark{
		{"ehr.clinical.patient", true, `table name token "patient"`},
		{"ehr.clinical.patient.id", true, `in PHI table: table name token "patient"`},
		{"ehr.clinical.patient.created_at", true, `in PHI table: table name token "patient"`},
		{"ehr.billing.invoice", true, `column "patient_id": column name token "patient"`},
		{"ehr.billing.invoice.amount", false, ""},
		{"ehr.billing.invoice.patient_id", true, `column name token "patient"`},
		{"ehr.billing.invoice.MemberNo", true, `column name token "member"`},
		{"ehr.vocab.concept", false, ""},
		{"ehr.vocab.concept.concept_name", false, ""},
		{"ehr.research.cohort", true, `table pattern "research.*"`},
		{"ehr.clinical.patient_id_seq", false, ""},
		{"ehr.clinical", false, ""},
		{"crm.public.label", false, ""},
		{"crm.public.label.text", false, ""},
	}
	var got []mark
	for _, r := range s.Resources {
		got = append(got, mark{r.Name, r.PHI, r.PHIReason})
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("resource marks (-want +got):\n%s", diff)
	}

	wantGrants := map[string]bool{
		"ehr.billing.invoice":            true,  // PHI through a column
		"ehr.billing.invoice.amount":     false, // column grant on a non-PHI column
		"ehr.billing.invoice.patient_id": true,
		"ehr.clinical":                   false, // schema grants are never marked
		"ehr":                            false,
		"ehr.clinical.lab_result":        true, // not listed: judged by name
		"ehr.clinical.lab_result.value":  true, // not listed: in a PHI-named table
		"ehr.ops.queue":                  false,
		"ehr.clinical.patient_id_seq":    false,
		"crm.public.label":               false,
	}
	for _, g := range s.Accounts[0].Grants {
		if g.PHI != wantGrants[g.Resource] {
			t.Errorf("grant %s on %s: PHI = %v, want %v", g.Privilege, g.Resource, g.PHI, wantGrants[g.Resource])
		}
	}
}

func TestMarkIsIdempotent(t *testing.T) {
	m := newMatcher(t, config.PHIPatterns{})
	once := testSnapshot()
	m.Mark(once)
	twice := testSnapshot()
	m.Mark(twice)
	m.Mark(twice)
	if diff := cmp.Diff(once, twice); diff != "" {
		t.Errorf("marking twice differs from once (-once +twice):\n%s", diff)
	}
}

func TestMarkDropsMarksOfRemovedPatterns(t *testing.T) {
	s := testSnapshot()
	newMatcher(t, config.PHIPatterns{Tables: []string{"vocab.*"}}).Mark(s)
	if !s.Resources[7].PHI {
		t.Fatalf("%s not marked by vocab.*", s.Resources[7].Name)
	}
	newMatcher(t, config.PHIPatterns{}).Mark(s)
	if r := s.Resources[7]; r.PHI || r.PHIReason != "" {
		t.Errorf("%s kept its mark without the pattern: %v %q", r.Name, r.PHI, r.PHIReason)
	}
}

func TestIndexOf(t *testing.T) {
	s := testSnapshot()
	newMatcher(t, config.PHIPatterns{}).Mark(s)
	x := IndexOf(s)

	if !x.Any() {
		t.Error("Any() = false for a snapshot with PHI")
	}
	if diff := cmp.Diff([]string{"ehr"}, x.Databases()); diff != "" {
		t.Errorf("Databases() (-want +got):\n%s", diff)
	}
	tests := []struct {
		db, schema string
		want       bool
	}{
		{"ehr", "clinical", true},
		{"ehr", "billing", true},
		{"ehr", "vocab", false},
		{"ehr", "ops", false},
		{"crm", "public", false},
	}
	for _, tt := range tests {
		t.Run(tt.db+"."+tt.schema, func(t *testing.T) {
			if got := x.Schema(tt.db, tt.schema); got != tt.want {
				t.Errorf("Schema(%q, %q) = %v, want %v", tt.db, tt.schema, got, tt.want)
			}
		})
	}
	if x.Database("crm") {
		t.Error(`Database("crm") = true, but crm holds no PHI`)
	}

	var empty *Index
	if empty.Any() || empty.Database("ehr") || empty.Databases() != nil {
		t.Error("a nil Index should know no PHI")
	}
}

func TestReachesPHI(t *testing.T) {
	phiGrant := inventory.Grant{Privilege: "SELECT", Resource: "ehr.clinical.patient",
		ResourceType: "table", PHI: true}
	plainGrant := inventory.Grant{Privilege: "SELECT", Resource: "ehr.ops.queue", ResourceType: "table"}
	setRoleGrant := phiGrant
	setRoleGrant.SetRoleOnly = true

	withPHI := &Index{databases: map[string]bool{"ehr": true}, schemas: map[string]bool{"ehr.clinical": true}}
	noPHI := &Index{databases: map[string]bool{}, schemas: map[string]bool{}}

	tests := []struct {
		name    string
		account inventory.Account
		index   *Index
		want    bool
		wantWhy string
	}{
		{"PHI grant", inventory.Account{Grants: []inventory.Grant{plainGrant, phiGrant}}, noPHI,
			true, "SELECT on PHI table ehr.clinical.patient"},
		{"no PHI grant", inventory.Account{Grants: []inventory.Grant{plainGrant}}, withPHI, false, ""},
		{"PHI grant after SET ROLE", inventory.Account{Grants: []inventory.Grant{setRoleGrant}}, nil,
			true, "SELECT on PHI table ehr.clinical.patient after SET ROLE"},
		{"superuser where PHI exists", inventory.Account{Attributes: inventory.Attributes{Superuser: true}},
			withPHI, true, "superuser: reaches every table, including PHI in ehr"},
		{"superuser without PHI", inventory.Account{Attributes: inventory.Attributes{Superuser: true}},
			noPHI, false, ""},
		{"superuser, nil index", inventory.Account{Attributes: inventory.Attributes{Superuser: true}},
			nil, false, ""},
		{"pg_read_all_data", inventory.Account{Attributes: inventory.Attributes{
			DangerousRoles: []string{"pg_monitor", "pg_read_all_data"}}}, withPHI,
			true, "pg_read_all_data: reaches every table, including PHI in ehr"},
		{"pg_write_all_data inherited", inventory.Account{Memberships: []inventory.Membership{
			{Role: "pg_write_all_data", Inherit: true}}}, withPHI,
			true, "pg_write_all_data: reaches every table, including PHI in ehr"},
		{"pg_read_all_data by SET ROLE", inventory.Account{Memberships: []inventory.Membership{
			{Role: "pg_read_all_data", Inherit: false}}}, withPHI,
			true, "pg_read_all_data: reaches every table, including PHI in ehr, after SET ROLE"},
		{"pg_read_all_data without PHI", inventory.Account{Attributes: inventory.Attributes{
			DangerousRoles: []string{"pg_read_all_data"}}}, noPHI, false, ""},
		{"other dangerous role", inventory.Account{Attributes: inventory.Attributes{
			DangerousRoles: []string{"pg_monitor"}}}, withPHI, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, why := ReachesPHI(tt.account, tt.index)
			if got != tt.want || why != tt.wantWhy {
				t.Errorf("ReachesPHI() = %v, %q; want %v, %q", got, why, tt.want, tt.wantWhy)
			}
		})
	}
}

// TestMarkPublicGrants checks that PUBLIC's privileges are marked like an
// account's: a report must show that everyone can read a PHI table.
func TestMarkPublicGrants(t *testing.T) {
	m := newMatcher(t, config.PHIPatterns{})
	s := testSnapshot()
	s.PublicGrants = []inventory.Grant{
		{Privilege: "SELECT", Resource: "ehr.clinical.patient", ResourceType: "table", Via: "PUBLIC"},
		{Privilege: "CONNECT", Resource: "ehr", ResourceType: "database", Via: "PUBLIC"},
	}
	m.Mark(s)
	if !s.PublicGrants[0].PHI || s.PublicGrants[1].PHI {
		t.Errorf("PUBLIC grants marked %v, %v; want true (patient table), false (database)",
			s.PublicGrants[0].PHI, s.PublicGrants[1].PHI)
	}
}
