package rules

import (
	"strings"
	"testing"

	"github.com/wardsec/ward/internal/inventory"
)

func pub(priv, typ, res string) inventory.Grant {
	return inventory.Grant{Privilege: priv, Resource: res, ResourceType: typ,
		Via: inventory.ViaPublic}
}

// publicFinding returns the PG-PUBLIC-PHI-ACCESS finding on resource.
func publicFinding(t *testing.T, s *inventory.Snapshot, resource string) inventory.Finding {
	t.Helper()
	return findOne(t, Evaluate(Input{Snapshot: s}), "PG-PUBLIC-PHI-ACCESS", "", resource)
}

// withPublic adds PUBLIC's privileges to the snapshot.
func withPublic(s *inventory.Snapshot, gs ...inventory.Grant) *inventory.Snapshot {
	s.PublicGrants = append(s.PublicGrants, gs...)
	return s
}

// withTables adds resources to the snapshot.
func withTables(s *inventory.Snapshot, rs ...inventory.Resource) *inventory.Snapshot {
	s.Resources = append(s.Resources, rs...)
	return s
}

func phiTable(name, owner string) inventory.Resource {
	return inventory.Resource{Name: name, Type: "table", Owner: owner, PHI: true,
		PHIReason: "table token patient"}
}

func plainTable(name, owner string) inventory.Resource {
	return inventory.Resource{Name: name, Type: "table", Owner: owner}
}

func TestPublicPHIAccess(t *testing.T) {
	const id = "PG-PUBLIC-PHI-ACCESS"
	crit := inventory.SeverityCritical
	const pt = "ehr.clinical.patient"
	patient := phiTable(pt, "ehr_owner")
	mysql := withPublic(withTables(snap(), patient), pub("SELECT", "table", pt))
	mysql.Type, mysql.Postgres = "mysql", nil
	viaAccount := withTables(snap(with(svc("app_svc"),
		grants(pub("SELECT", "table", pt))), svc("etl_svc")), patient)

	runRule(t, id, []ruleCase{
		{name: "no PUBLIC privileges", snap: withTables(snap(), patient)},
		{
			name: "SELECT on a PHI table",
			snap: withPublic(withTables(snap(), patient), pub("SELECT", "table", pt)),
			want: []got{{"", pt, crit}},
		},
		{
			name: "privileges of one object make one finding",
			snap: withPublic(withTables(snap(), patient), pub("UPDATE", "table", pt),
				pub("SELECT", "table", pt), pub("select", "table", pt)),
			want: []got{{"", pt, crit}},
		},
		{
			name: "write only is change",
			snap: withPublic(withTables(snap(), patient), pub("TRUNCATE", "table", pt)),
			want: []got{{"", pt, crit}},
		},
		{
			name: "SELECT on a table that is not PHI",
			snap: withPublic(withTables(snap(), plainTable("ehr.app.kpi", "o")),
				pub("SELECT", "table", "ehr.app.kpi")),
		},
		{
			// The column is not listed as a resource: its table decides.
			name: "column of a PHI table",
			snap: withPublic(withTables(snap(), patient), pub("SELECT", "column", pt+".ssn")),
			want: []got{{"", pt + ".ssn", crit}},
		},
		{
			name: "table and column are separate findings",
			snap: withPublic(withTables(snap(), patient), pub("SELECT", "column", pt+".ssn"),
				pub("INSERT", "table", pt)),
			want: []got{{"", pt, crit}, {"", pt + ".ssn", crit}},
		},
		{
			name: "a view marked PHI",
			snap: withPublic(withTables(snap(), inventory.Resource{Name: "ehr.clinical.v_patient",
				Type: "view", PHI: true}), pub("SELECT", "view", "ehr.clinical.v_patient")),
			want: []got{{"", "ehr.clinical.v_patient", crit}},
		},
		{
			name: "PHI marked on the grant alone",
			snap: withPublic(snap(), func() inventory.Grant {
				g := pub("SELECT", "table", "ehr.clinical.dx")
				g.PHI = true
				return g
			}()),
			want: []got{{"", "ehr.clinical.dx", crit}},
		},
		{
			name: "privileges that neither read nor change rows",
			snap: withPublic(withTables(snap(), patient),
				pub("REFERENCES", "table", pt),
				pub("TRIGGER", "table", pt),
				pub("USAGE", "schema", "ehr.clinical"),
				pub("CONNECT", "database", "ehr"),
				pub("EXECUTE", "function", "ehr.clinical.f(text)")),
		},
		{
			// A connector may keep PUBLIC's explicit grants on the accounts
			// only; two accounts holding it still make one finding.
			name: "kept on the accounts only",
			snap: func() *inventory.Snapshot {
				s := viaAccount
				s.Accounts[1].Grants = s.Accounts[0].Grants
				return s
			}(),
			want: []got{{"", pt, crit}},
		},
		{
			name: "a direct grant on PHI is not PUBLIC's",
			snap: withTables(snap(with(svc("app_svc"),
				grants(direct("SELECT", "table", pt)))), patient),
		},
		{name: "not a PostgreSQL source", snap: mysql},
	})
}

func TestPublicPHIEvidence(t *testing.T) {
	patient := phiTable("ehr.clinical.patient", "ehr_owner")
	tests := []struct {
		name   string
		public []inventory.Grant
		want   string
	}{
		{
			name: "PUBLIC can connect and use the schema",
			public: []inventory.Grant{pub("CONNECT", "database", "ehr"),
				pub("USAGE", "schema", "ehr.clinical")},
			want: "any login that can authenticate to the server can use these privileges " +
				"(2 login roles in this snapshot)",
		},
		{
			name:   "PUBLIC uses the schema, connecting needs a grant",
			public: []inventory.Grant{pub("USAGE", "schema", "ehr.clinical")},
			want:   "CONNECT on database ehr is not PUBLIC's",
		},
		{
			name:   "PUBLIC lacks schema USAGE",
			public: []inventory.Grant{pub("CONNECT", "database", "ehr")},
			want: "PUBLIC does not hold USAGE on schema ehr.clinical: the privileges work for " +
				"every role that is given USAGE on it by another grant: app_svc",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := withTables(snap(
				with(svc("app_svc"), grants(via(direct("USAGE", "schema", "ehr.clinical"), "readers"))),
				svc("etl_svc"),
				with(svc("readers"), nologin)), patient)
			s = withPublic(s, append(tc.public, pub("SELECT", "table", "ehr.clinical.patient"))...)
			f := publicFinding(t, s, "ehr.clinical.patient")
			if !hasEvidence(f, tc.want) {
				t.Errorf("evidence lacks %q:\n%s", tc.want, strings.Join(f.Evidence, "\n"))
			}
			if !hasEvidence(f, "marked PHI: table token patient") {
				t.Errorf("evidence does not say why the table is PHI: %v", f.Evidence)
			}
			if !hasEvidence(f, "severity raised from high to critical: table ehr.clinical.patient is PHI") {
				t.Errorf("evidence does not explain the raise: %v", f.Evidence)
			}
		})
	}

	t.Run("no login has schema USAGE", func(t *testing.T) {
		s := withPublic(withTables(snap(svc("app_svc")), patient),
			pub("CONNECT", "database", "ehr"), pub("SELECT", "table", "ehr.clinical.patient"))
		f := publicFinding(t, s, "ehr.clinical.patient")
		if !hasEvidence(f, "no login in this snapshot has it yet") {
			t.Errorf("evidence = %v", f.Evidence)
		}
	})
}

func TestPublicPHIFix(t *testing.T) {
	s := withPublic(withTables(snap(),
		phiTable(`ehr.Clinical "X".patient`, "o"),
		phiTable("ehr.clinical.patient", "o"),
		phiTable("ehr.odd.dotted.name", "o")),
		pub("UPDATE", "table", `ehr.Clinical "X".patient`),
		pub("SELECT", "table", `ehr.Clinical "X".patient`),
		pub("SELECT", "column", "ehr.clinical.patient.ssn"),
		pub("SELECT", "table", "ehr.odd.dotted.name"),
	)
	fs := Evaluate(Input{Snapshot: s})

	f := findOne(t, fs, "PG-PUBLIC-PHI-ACCESS", "", `ehr.Clinical "X".patient`)
	wantApply := "BEGIN;\n" +
		`REVOKE SELECT ON TABLE "Clinical ""X"""."patient" FROM PUBLIC;` + "\n" +
		`REVOKE UPDATE ON TABLE "Clinical ""X"""."patient" FROM PUBLIC;` + "\nCOMMIT;\n"
	wantRollback := "BEGIN;\n" +
		`GRANT SELECT ON TABLE "Clinical ""X"""."patient" TO PUBLIC;` + "\n" +
		`GRANT UPDATE ON TABLE "Clinical ""X"""."patient" TO PUBLIC;` + "\nCOMMIT;\n"
	if f.Fix == nil || f.Fix.Apply != wantApply || f.Fix.Rollback != wantRollback {
		t.Fatalf("fix = %+v\nwant apply %q\nrollback %q", f.Fix, wantApply, wantRollback)
	}
	if !strings.Contains(f.Fix.Notes, "Run connected to database ehr") {
		t.Errorf("notes do not name the database: %q", f.Fix.Notes)
	}

	f = findOne(t, fs, "PG-PUBLIC-PHI-ACCESS", "", "ehr.clinical.patient.ssn")
	if f.Fix == nil || !strings.Contains(f.Fix.Apply,
		`REVOKE SELECT ("ssn") ON TABLE "clinical"."patient" FROM PUBLIC;`) {
		t.Errorf("column fix = %+v", f.Fix)
	}

	f = findOne(t, fs, "PG-PUBLIC-PHI-ACCESS", "", "ehr.odd.dotted.name")
	if f.Fix != nil {
		t.Errorf("a name with four parts for a table must get no fix, got %q", f.Fix.Apply)
	}
	if !hasEvidence(f, "no fix generated") {
		t.Errorf("evidence does not say why there is no fix: %v", f.Evidence)
	}
}
