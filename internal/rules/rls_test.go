package rules

import (
	"strings"
	"testing"

	"github.com/wardsec/ward/internal/inventory"
)

// rlsTable is a PHI table with row-level security enabled and one policy.
func rlsTable(name, owner string) inventory.Resource {
	r := phiTable(name, owner)
	r.RLS, r.Policies = true, []string{"own_rows"}
	return r
}

func forced(r inventory.Resource) inventory.Resource {
	r.ForceRLS = true
	return r
}

func bypassrls(a *inventory.Account) { a.Attributes.BypassRLS = true }

func TestRLSBypassService(t *testing.T) {
	const id = "PG-RLS-BYPASS-SERVICE"
	high := inventory.SeverityHigh
	patient := rlsTable("ehr.clinical.patient", "ehr_owner")
	reads := grants(phiGrant("ehr.clinical.patient"))

	runRule(t, id, []ruleCase{
		{
			name: "reader bound by the policies",
			snap: withTables(snap(with(svc("app_svc"), reads)), patient),
		},
		{
			name: "BYPASSRLS reader",
			snap: withTables(snap(with(svc("app_svc"), reads, bypassrls)), patient),
			want: []got{{"ehr/app_svc", "ehr", high}},
		},
		{
			name: "BYPASSRLS without a way to read the table",
			snap: withTables(snap(with(svc("app_svc"), bypassrls)), patient),
		},
		{
			name: "BYPASSRLS reading one column",
			snap: withTables(snap(with(svc("app_svc"), bypassrls, grants(inventory.Grant{
				Privilege: "SELECT", Resource: "ehr.clinical.patient.ssn", ResourceType: "column",
				PHI: true, Via: inventory.ViaDirect}))), patient),
			want: []got{{"ehr/app_svc", "ehr", high}},
		},
		{
			name: "BYPASSRLS reading through PUBLIC",
			snap: withPublic(withTables(snap(with(svc("app_svc"), bypassrls)), patient),
				pub("SELECT", "table", "ehr.clinical.patient")),
			want: []got{{"ehr/app_svc", "ehr", high}},
		},
		{
			// Reaching SELECT only after SET ROLE: the account does not
			// read the table as itself.
			name: "BYPASSRLS with SELECT only after SET ROLE",
			snap: withTables(snap(with(svc("app_svc"), bypassrls, grants(func() inventory.Grant {
				g := phiGrant("ehr.clinical.patient")
				g.SetRoleOnly = true
				return g
			}()))), patient),
		},
		{
			name: "superuser",
			snap: withTables(snap(with(svc("app_svc"), superuser)), patient),
			want: []got{{"ehr/app_svc", "ehr", high}},
		},
		{
			name: "superuser and FORCE",
			snap: withTables(snap(with(svc("app_svc"), superuser)), forced(patient)),
			want: []got{{"ehr/app_svc", "ehr", high}},
		},
		{
			name: "owner without FORCE",
			snap: withTables(snap(svc("app_svc")), rlsTable("ehr.clinical.patient", "app_svc")),
			want: []got{{"ehr/app_svc", "ehr", high}},
		},
		{
			name: "owner with FORCE",
			snap: withTables(snap(svc("app_svc")), forced(rlsTable("ehr.clinical.patient", "app_svc"))),
		},
		{
			name: "inherits the owner role",
			snap: withTables(snap(with(svc("app_svc"), memberOf("ehr_owner")),
				with(svc("ehr_owner"), nologin)), patient),
			want: []got{{"ehr/app_svc", "ehr", high}},
		},
		{
			name: "member of the owner role without INHERIT",
			snap: withTables(snap(with(svc("app_svc"), memberOf("ehr_owner"),
				func(a *inventory.Account) { a.Memberships[0].Inherit = false }),
				with(svc("ehr_owner"), nologin)), patient),
		},
		{
			// Attributes are not inherited: PG-SUPERUSER-SERVICE reports
			// a group's BYPASSRLS reachable by SET ROLE.
			name: "group with BYPASSRLS",
			snap: withTables(snap(with(svc("app_svc"), reads, memberOf("bypass_grp")),
				with(svc("bypass_grp"), nologin, bypassrls)), patient),
		},
		{
			name: "row_security = off is not a bypass",
			snap: withTables(snap(with(svc("app_svc"), reads,
				func(a *inventory.Account) { a.Attributes.Config = []string{"row_security=off"} })),
				patient),
		},
		{
			name: "RLS not enabled",
			snap: withTables(snap(with(svc("app_svc"), reads, bypassrls)),
				phiTable("ehr.clinical.patient", "ehr_owner")),
		},
		{
			name: "table not PHI",
			snap: withTables(snap(with(svc("app_svc"), bypassrls,
				grants(direct("SELECT", "table", "ehr.app.kpi")))),
				inventory.Resource{Name: "ehr.app.kpi", Type: "table", RLS: true}),
		},
		{
			name: "one finding per database",
			snap: withTables(snap(with(svc("app_svc"), superuser)), patient,
				rlsTable("ehr.clinical.visit", "ehr_owner"), rlsTable("research.cohort.member", "r")),
			want: []got{{"ehr/app_svc", "ehr", high}, {"ehr/app_svc", "research", high}},
		},
		{
			name: "a person is not covered",
			snap: withTables(snap(with(svc("alice"), reads, bypassrls, kind(inventory.KindHuman))), patient),
		},
		{
			name: "unknown kind is covered",
			snap: withTables(snap(with(svc("x"), reads, bypassrls, kind(inventory.KindUnknown))), patient),
			want: []got{{"ehr/x", "ehr", high}},
		},
	})
}

func TestRLSBypassEvidenceAndFix(t *testing.T) {
	noPolicy := rlsTable("ehr.clinical.visit", "app_svc")
	noPolicy.Policies = nil
	s := withTables(snap(with(svc("app_svc"), bypassrls, grants(phiGrant("ehr.clinical.patient")))),
		rlsTable("ehr.clinical.patient", "ehr_owner"), noPolicy)
	f := findOne(t, Evaluate(Input{Snapshot: s}), "PG-RLS-BYPASS-SERVICE", "ehr/app_svc", "ehr")
	for _, want := range []string{
		"app_svc reads 2 PHI tables with row-level security enabled in database ehr",
		"ehr.clinical.patient (policies own_rows): with BYPASSRLS",
		"ehr.clinical.visit (no policies, so roles that do not bypass see no rows): with " +
			"BYPASSRLS, and as its owner",
		"severity raised from medium to high: bypasses row-level security on 2 PHI tables",
	} {
		if !hasEvidence(f, want) {
			t.Errorf("evidence lacks %q:\n%s", want, strings.Join(f.Evidence, "\n"))
		}
	}
	// visit is owned by the account: after NOBYPASSRLS it would still
	// bypass as owner, so the fix forces RLS there too.
	wantApply := "BEGIN;\nALTER ROLE \"app_svc\" NOBYPASSRLS;\n" +
		"ALTER TABLE \"clinical\".\"visit\" FORCE ROW LEVEL SECURITY;\nCOMMIT;\n"
	wantRollback := "BEGIN;\nALTER ROLE \"app_svc\" BYPASSRLS;\n" +
		"ALTER TABLE \"clinical\".\"visit\" NO FORCE ROW LEVEL SECURITY;\nCOMMIT;\n"
	if f.Fix == nil || f.Fix.Apply != wantApply || f.Fix.Rollback != wantRollback {
		t.Fatalf("fix = %+v\nwant apply %q\nrollback %q", f.Fix, wantApply, wantRollback)
	}
	if !strings.Contains(f.Fix.Notes, "pg_dump") {
		t.Errorf("notes do not warn about backups run as the owner: %s", f.Fix.Notes)
	}

	t.Run("superuser gets no fix", func(t *testing.T) {
		s := withTables(snap(with(svc("app_svc"), superuser)), rlsTable("ehr.clinical.patient", "o"))
		f := findOne(t, Evaluate(Input{Snapshot: s}), "PG-RLS-BYPASS-SERVICE", "ehr/app_svc", "ehr")
		if f.Fix != nil || !hasEvidence(f, "remove SUPERUSER (see PG-SUPERUSER-SERVICE)") {
			t.Errorf("fix = %+v, evidence %v", f.Fix, f.Evidence)
		}
		if !hasEvidence(f, "as a superuser") {
			t.Errorf("evidence does not say how: %v", f.Evidence)
		}
	})
}
