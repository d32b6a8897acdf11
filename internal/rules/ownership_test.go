package rules

import (
	"strings"
	"testing"

	"github.com/wardsec/ward/internal/inventory"
)

func TestServiceOwnsPHI(t *testing.T) {
	const id = "PG-SERVICE-OWNS-PHI"
	high := inventory.SeverityHigh
	runRule(t, id, []ruleCase{
		{
			name: "PHI owned by a role that cannot log in",
			snap: withTables(snap(svc("app_svc"), with(svc("ehr_owner"), nologin)),
				phiTable("ehr.clinical.patient", "ehr_owner")),
		},
		{
			name: "service owns a PHI table",
			snap: withTables(snap(svc("app_svc")), phiTable("ehr.clinical.patient", "app_svc")),
			want: []got{{"ehr/app_svc", "ehr.clinical", high}},
		},
		{
			name: "service owns tables that are not PHI",
			snap: withTables(snap(svc("app_svc")), plainTable("ehr.app.kpi", "app_svc")),
		},
		{
			name: "one finding per schema",
			snap: withTables(snap(svc("app_svc")),
				phiTable("ehr.clinical.patient", "app_svc"),
				phiTable("ehr.clinical.visit", "app_svc"),
				phiTable("ehr.lab.result", "app_svc"),
				phiTable("research.clinical.cohort", "app_svc")),
			want: []got{
				{"ehr/app_svc", "ehr.clinical", high},
				{"ehr/app_svc", "ehr.lab", high},
				{"ehr/app_svc", "research.clinical", high},
			},
		},
		{
			// Columns carry their table's owner; the table is the object.
			name: "a PHI column alone is not an owned object",
			snap: withTables(snap(svc("app_svc")), inventory.Resource{
				Name: "ehr.app.kpi.ssn", Type: "column", Owner: "app_svc", PHI: true}),
		},
		{
			name: "unknown kind is covered",
			snap: withTables(snap(with(svc("legacy"), kind(inventory.KindUnknown))),
				phiTable("ehr.clinical.patient", "legacy")),
			want: []got{{"ehr/legacy", "ehr.clinical", high}},
		},
		{
			name: "a person owning PHI is not covered",
			snap: withTables(snap(with(svc("dba_ann"), kind(inventory.KindHuman))),
				phiTable("ehr.clinical.patient", "dba_ann")),
		},
		{
			name: "bootstrap superuser of unknown kind",
			snap: withTables(snap(with(svc("postgres"), superuser, kind(inventory.KindUnknown),
				func(a *inventory.Account) { a.Attributes.Bootstrap = true })),
				phiTable("ehr.clinical.patient", "postgres")),
		},
		{
			name: "bootstrap superuser used by an application",
			snap: withTables(snap(with(svc("postgres"), superuser,
				func(a *inventory.Account) { a.Attributes.Bootstrap = true })),
				phiTable("ehr.clinical.patient", "postgres")),
			want: []got{{"ehr/postgres", "ehr.clinical", high}},
		},
	})
}

func TestServiceOwnsPHIEvidence(t *testing.T) {
	rs := []inventory.Resource{phiTable("ehr.clinical.patient", "app_svc")}
	rs[0].RLS = true
	for i := range 12 {
		rs = append(rs, phiTable("ehr.clinical.t"+string(rune('a'+i)), "app_svc"))
	}
	s := withTables(snap(svc("app_svc")), rs...)
	f := findOne(t, Evaluate(Input{Snapshot: s}), "PG-SERVICE-OWNS-PHI", "ehr/app_svc", "ehr.clinical")
	for _, want := range []string{
		"app_svc owns 13 PHI objects in schema ehr.clinical",
		"table ehr.clinical.patient",
		"and 3 more",
		"policies do not apply to the owner, on: ehr.clinical.patient",
		"severity raised from medium to high: owns 13 PHI objects",
	} {
		if !hasEvidence(f, want) {
			t.Errorf("evidence lacks %q:\n%s", want, strings.Join(f.Evidence, "\n"))
		}
	}
}

func TestServiceOwnsPHIFix(t *testing.T) {
	view := inventory.Resource{Name: "ehr.clinical.v_patient", Type: "view", Owner: "app_svc", PHI: true}
	visit := phiTable("ehr.clinical.visit", "app_svc")
	visit.RLS = true
	s := withTables(snap(svc("app_svc")),
		phiTable("ehr.clinical.patient", "app_svc"), visit, view)
	f := findOne(t, Evaluate(Input{Snapshot: s}), "PG-SERVICE-OWNS-PHI", "ehr/app_svc", "ehr.clinical")
	if f.Fix == nil {
		t.Fatalf("no fix: %v", f.Evidence)
	}
	for _, want := range []string{
		`CREATE ROLE "app_svc_owner" NOLOGIN;`,
		`CREATE ROLE "app_svc_access" NOLOGIN;`,
		`IF pg_catalog.pg_has_role('app_svc', 'app_svc_owner', 'MEMBER') THEN`,
		`ALTER TABLE "clinical"."patient" OWNER TO "app_svc_owner";`,
		`ALTER TABLE "clinical"."visit" OWNER TO "app_svc_owner";`,
		`GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE "clinical"."patient" TO "app_svc_access";`,
		`d.refobjid IN ('"clinical"."patient"'::regclass, '"clinical"."visit"'::regclass)`,
		`'GRANT USAGE, SELECT ON SEQUENCE %s TO %I', seq, 'app_svc_access'`,
		`GRANT "app_svc_access" TO "app_svc";`,
	} {
		if !strings.Contains(f.Fix.Apply, want) {
			t.Errorf("apply lacks %q:\n%s", want, f.Fix.Apply)
		}
	}
	if strings.Contains(f.Fix.Apply, "v_patient") {
		t.Errorf("a view must not move: its rights would change\n%s", f.Fix.Apply)
	}
	// Ownership moves before the group is granted, and the membership
	// comes last, so the account never holds both.
	if strings.Index(f.Fix.Apply, "OWNER TO") > strings.Index(f.Fix.Apply, "GRANT SELECT") ||
		strings.Index(f.Fix.Apply, `GRANT "app_svc_access" TO`) < strings.Index(f.Fix.Apply, "pg_depend") {
		t.Errorf("apply statements out of order:\n%s", f.Fix.Apply)
	}

	wantRollback := "BEGIN;\n" +
		`ALTER TABLE "clinical"."patient" OWNER TO "app_svc";` + "\n" +
		`ALTER TABLE "clinical"."visit" OWNER TO "app_svc";` + "\n" +
		`REVOKE SELECT, INSERT, UPDATE, DELETE ON TABLE "clinical"."patient" FROM "app_svc_access";` + "\n" +
		`REVOKE SELECT, INSERT, UPDATE, DELETE ON TABLE "clinical"."visit" FROM "app_svc_access";` + "\n" +
		`REVOKE "app_svc_access" FROM "app_svc";` + "\nCOMMIT;\n"
	if f.Fix.Rollback != wantRollback {
		t.Errorf("rollback =\n%s\nwant\n%s", f.Fix.Rollback, wantRollback)
	}
	for _, want := range []string{
		"Run connected to database ehr",
		"view ehr.clinical.v_patient",
		"Row-level security is enabled on ehr.clinical.visit",
		"migrations as a separate login",
	} {
		if !strings.Contains(f.Fix.Notes, want) {
			t.Errorf("notes lack %q: %s", want, f.Fix.Notes)
		}
	}
}

func TestServiceOwnsPHIFixKeepsWhatWasThere(t *testing.T) {
	// The account already belongs to its group, and the group already holds
	// SELECT on patient: the rollback must leave both.
	group := with(svc("app_svc_access"), nologin,
		grants(direct("SELECT", "table", "ehr.clinical.patient")))
	s := withTables(snap(with(svc("app_svc"), memberOf("app_svc_access")), group),
		phiTable("ehr.clinical.patient", "app_svc"))
	f := findOne(t, Evaluate(Input{Snapshot: s}), "PG-SERVICE-OWNS-PHI", "ehr/app_svc", "ehr.clinical")
	want := "BEGIN;\n" +
		`ALTER TABLE "clinical"."patient" OWNER TO "app_svc";` + "\n" +
		`REVOKE INSERT, UPDATE, DELETE ON TABLE "clinical"."patient" FROM "app_svc_access";` +
		"\nCOMMIT;\n"
	if f.Fix == nil || f.Fix.Rollback != want {
		t.Errorf("rollback = %+v\nwant %q", f.Fix, want)
	}
}

func TestServiceOwnsPHINoFix(t *testing.T) {
	tests := []struct {
		name string
		acct inventory.Account
		res  inventory.Resource
		pg   int
		want string
	}{
		{
			name: "only views",
			acct: svc("app_svc"),
			res:  inventory.Resource{Name: "ehr.clinical.v", Type: "view", Owner: "app_svc", PHI: true},
			want: "none of the objects is a table",
		},
		{
			name: "NOINHERIT before PostgreSQL 16",
			acct: with(svc("app_svc"), func(a *inventory.Account) { a.Attributes.Inherit = false }),
			res:  phiTable("ehr.clinical.patient", "app_svc"),
			want: "NOINHERIT",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := withTables(snap(tc.acct), tc.res)
			f := findOne(t, Evaluate(Input{Snapshot: s}), "PG-SERVICE-OWNS-PHI", "ehr/app_svc", "ehr.clinical")
			if f.Fix != nil {
				t.Errorf("want no fix, got %q", f.Fix.Apply)
			}
			if !hasEvidence(f, tc.want) {
				t.Errorf("evidence lacks %q: %v", tc.want, f.Evidence)
			}
		})
	}

	t.Run("NOINHERIT on PostgreSQL 16", func(t *testing.T) {
		s := withPG(withTables(snap(with(svc("app_svc"),
			func(a *inventory.Account) { a.Attributes.Inherit = false })),
			phiTable("ehr.clinical.patient", "app_svc")),
			func(p *inventory.PGSettings) { p.ServerVersionNum = 160004 })
		f := findOne(t, Evaluate(Input{Snapshot: s}), "PG-SERVICE-OWNS-PHI", "ehr/app_svc", "ehr.clinical")
		if f.Fix == nil || !strings.Contains(f.Fix.Apply,
			`GRANT "app_svc_access" TO "app_svc" WITH INHERIT TRUE;`) {
			t.Errorf("fix = %+v", f.Fix)
		}
	})
}
