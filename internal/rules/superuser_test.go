package rules

import (
	"testing"

	"github.com/wardsec/ward/internal/config"
	"github.com/wardsec/ward/internal/inventory"
)

func superuser(a *inventory.Account)   { a.Attributes.Superuser = true }
func replication(a *inventory.Account) { a.Attributes.Replication = true }
func nologin(a *inventory.Account)     { a.Attributes.CanLogin = false }

func kind(k inventory.Kind) func(*inventory.Account) {
	return func(a *inventory.Account) { a.Kind = k }
}

func dangerous(roles ...string) func(*inventory.Account) {
	return func(a *inventory.Account) {
		a.Attributes.DangerousRoles = append(a.Attributes.DangerousRoles, roles...)
		for _, r := range roles {
			a.Memberships = append(a.Memberships, inventory.Membership{
				Role: r, Path: []string{r}, Inherit: true})
		}
	}
}

func memberOf(role string, path ...string) func(*inventory.Account) {
	return func(a *inventory.Account) {
		if len(path) == 0 {
			path = []string{role}
		}
		a.Memberships = append(a.Memberships, inventory.Membership{Role: role, Path: path, Inherit: true})
	}
}

func grants(gs ...inventory.Grant) func(*inventory.Account) {
	return func(a *inventory.Account) { a.Grants = append(a.Grants, gs...) }
}

// withPHIResource marks the snapshot as holding a PHI table that no
// account has a grant on.
func withPHIResource(s *inventory.Snapshot) *inventory.Snapshot {
	s.Resources = append(s.Resources, inventory.Resource{
		Name: "ehr.clinical.patient", Type: "table", PHI: true, PHIReason: "token ssn"})
	return s
}

func TestSuperuserService(t *testing.T) {
	const id = "PG-SUPERUSER-SERVICE"
	high, crit := inventory.SeverityHigh, inventory.SeverityCritical
	admin := with(svc("admin_grp"), nologin, superuser, kind(inventory.KindUnknown))
	mysql := snap(with(svc("app_svc"), superuser))
	mysql.Type, mysql.Postgres = "mysql", nil

	runRule(t, id, []ruleCase{
		{name: "clean service", snap: snap(svc("app_svc"))},
		{
			name: "superuser service",
			snap: snap(with(svc("app_svc"), superuser)),
			want: []got{{"ehr/app_svc", "superuser", high}},
		},
		{
			// A superuser has every other power anyway; one finding on
			// superuser is the whole story (the bootstrap postgres role
			// has all four attributes).
			name: "superuser implies the other attributes",
			snap: snap(with(svc("app_svc"), superuser, replication, func(a *inventory.Account) {
				a.Attributes.CreateRole, a.Attributes.BypassRLS = true, true
			})),
			want: []got{{"ehr/app_svc", "superuser", high}},
		},
		{
			name: "superuser with PHI grant is raised",
			snap: snap(with(svc("app_svc"), superuser, grants(phiGrant("ehr.clinical.patient")))),
			want: []got{{"ehr/app_svc", "superuser", crit}},
		},
		{
			name: "superuser on a source holding PHI reaches it",
			snap: withPHIResource(snap(with(svc("app_svc"), superuser))),
			want: []got{{"ehr/app_svc", "superuser", crit}},
		},
		{
			name: "each attribute is its own finding",
			snap: snap(with(svc("app_svc"), func(a *inventory.Account) {
				a.Attributes.CreateRole, a.Attributes.BypassRLS = true, true
			})),
			want: []got{{"ehr/app_svc", "bypassrls", high}, {"ehr/app_svc", "createrole", high}},
		},
		{
			name:   "replication declared in needs",
			snap:   snap(with(svc("repl_svc"), replication)),
			owners: []config.Owner{{Account: "ehr/repl_svc", Owner: "dba", Needs: []string{"replication"}}},
		},
		{
			name:   "needs match without regard to case",
			snap:   snap(with(svc("repl_svc"), replication)),
			owners: []config.Owner{{Account: "ehr/repl_svc", Owner: "dba", Needs: []string{"REPLICATION"}}},
		},
		{
			// The owners file names accounts by ID, as classify reads it.
			name:   "an entry naming only the native name does not match",
			snap:   snap(with(svc("repl_svc"), replication)),
			owners: []config.Owner{{Account: "repl_svc", Owner: "dba", Needs: []string{"replication"}}},
			want:   []got{{"ehr/repl_svc", "replication", high}},
		},
		{
			name: "needs of another account do not count",
			snap: snap(with(svc("repl_svc"), replication)),
			owners: []config.Owner{{Account: "ehr/other_svc", Owner: "dba",
				Needs: []string{"replication"}}},
			want: []got{{"ehr/repl_svc", "replication", high}},
		},
		{
			name: "the first entry for an account wins",
			snap: snap(with(svc("repl_svc"), replication)),
			owners: []config.Owner{
				{Account: "ehr/repl_svc", Owner: "dba", Needs: []string{"pg_monitor"}},
				{Account: "ehr/repl_svc", Owner: "dba", Needs: []string{"replication"}},
			},
			want: []got{{"ehr/repl_svc", "replication", high}},
		},
		{
			name: "replication on a PHI source reaches PHI",
			snap: withPHIResource(snap(with(svc("repl_svc"), replication))),
			want: []got{{"ehr/repl_svc", "replication", crit}},
		},
		{
			name: "dangerous role",
			snap: snap(with(svc("etl_svc"), dangerous("pg_read_all_data"))),
			want: []got{{"ehr/etl_svc", "pg_read_all_data", high}},
		},
		{
			name: "all-data role on a PHI source",
			snap: withPHIResource(snap(with(svc("etl_svc"), dangerous("pg_read_all_data")))),
			want: []got{{"ehr/etl_svc", "pg_read_all_data", crit}},
		},
		{
			name: "dangerous role declared in needs",
			snap: snap(with(svc("etl_svc"), dangerous("pg_read_all_data"))),
			owners: []config.Owner{{Account: "ehr/etl_svc", Owner: "d",
				Needs: []string{"pg_read_all_data"}}},
		},
		{
			name: "member of a superuser group",
			snap: snap(with(svc("app_svc"), memberOf("admin_grp")), admin),
			want: []got{{"ehr/app_svc", "admin_grp", high}},
		},
		{
			name: "membership in a plain group",
			snap: snap(with(svc("app_svc"), memberOf("readers")),
				with(svc("readers"), nologin, kind(inventory.KindUnknown))),
		},
		{
			name: "unknown kind is covered",
			snap: snap(with(svc("x"), superuser, kind(inventory.KindUnknown))),
			want: []got{{"ehr/x", "superuser", high}},
		},
		{
			name: "human is not covered",
			snap: snap(with(svc("alice"), superuser, kind(inventory.KindHuman))),
		},
		{name: "group role without login", snap: snap(admin)},
		{
			name: "bootstrap superuser of unknown kind",
			snap: snap(with(svc("postgres"), superuser, kind(inventory.KindUnknown),
				func(a *inventory.Account) { a.Attributes.Bootstrap = true })),
		},
		{
			name: "bootstrap superuser used by an application",
			snap: snap(with(svc("postgres"), superuser,
				func(a *inventory.Account) { a.Attributes.Bootstrap = true })),
			want: []got{{"ehr/postgres", "superuser", high}},
		},
		{name: "not a PostgreSQL source", snap: mysql},
		{
			name:   "needs may use the pg_roles column name",
			snap:   snap(with(svc("app_svc"), superuser)),
			owners: []config.Owner{{Account: "ehr/app_svc", Owner: "d", Needs: []string{"rolsuper"}}},
		},
		{
			name:   "needs listing the group covers a powerful membership",
			snap:   snap(with(svc("app_svc"), memberOf("admin_grp")), admin),
			owners: []config.Owner{{Account: "ehr/app_svc", Owner: "d", Needs: []string{"admin_grp"}}},
		},
		{
			name: "superuser group reached through a chain",
			snap: snap(with(svc("app_svc"), memberOf("ops"), memberOf("admin_grp", "ops", "admin_grp")),
				admin, with(svc("ops"), nologin, kind(inventory.KindUnknown))),
			want: []got{{"ehr/app_svc", "admin_grp", high}},
		},
		{
			name: "a superuser group on a PHI source reaches PHI",
			snap: withPHIResource(snap(with(svc("app_svc"), memberOf("admin_grp")), admin)),
			want: []got{{"ehr/app_svc", "admin_grp", crit}},
		},
		{
			name: "CREATEROLE on PostgreSQL 15 reaches PHI",
			snap: withPHIResource(snap(with(svc("app_svc"),
				func(a *inventory.Account) { a.Attributes.CreateRole = true }))),
			want: []got{{"ehr/app_svc", "createrole", crit}},
		},
		{
			name: "CREATEROLE on PostgreSQL 16 does not by itself",
			snap: withPG(withPHIResource(snap(with(svc("app_svc"),
				func(a *inventory.Account) { a.Attributes.CreateRole = true }))),
				func(p *inventory.PGSettings) { p.ServerVersionNum = 160004 }),
			want: []got{{"ehr/app_svc", "createrole", high}},
		},
	})
}

func TestSuperuserFix(t *testing.T) {
	s := snap(
		with(svc(`App "Svc"`), superuser),
		with(svc("etl_svc"), dangerous("pg_read_all_data")),
		with(svc("nested_svc"), memberOf("pg_write_all_data", "writers", "pg_write_all_data"),
			func(a *inventory.Account) { a.Attributes.DangerousRoles = []string{"pg_write_all_data"} }),
		with(svc("postgres"), superuser, func(a *inventory.Account) { a.Attributes.Bootstrap = true }),
	)
	fs := Evaluate(Input{Snapshot: s})

	f := findOne(t, fs, "PG-SUPERUSER-SERVICE", `ehr/App "Svc"`, "superuser")
	if f.Fix == nil || f.Fix.Language != "sql" {
		t.Fatalf("want a SQL fix, got %+v", f.Fix)
	}
	if want := "BEGIN;\nALTER ROLE \"App \"\"Svc\"\"\" NOSUPERUSER;\nCOMMIT;\n"; f.Fix.Apply != want {
		t.Errorf("apply = %q, want %q", f.Fix.Apply, want)
	}
	if want := "BEGIN;\nALTER ROLE \"App \"\"Svc\"\"\" SUPERUSER;\nCOMMIT;\n"; f.Fix.Rollback != want {
		t.Errorf("rollback = %q, want %q", f.Fix.Rollback, want)
	}

	f = findOne(t, fs, "PG-SUPERUSER-SERVICE", "ehr/etl_svc", "pg_read_all_data")
	if f.Fix == nil || f.Fix.Apply != "BEGIN;\nREVOKE \"pg_read_all_data\" FROM \"etl_svc\";\nCOMMIT;\n" {
		t.Errorf("direct role fix = %+v", f.Fix)
	}
	if f.Fix != nil && f.Fix.Rollback != "BEGIN;\nGRANT \"pg_read_all_data\" TO \"etl_svc\";\nCOMMIT;\n" {
		t.Errorf("direct role rollback = %q", f.Fix.Rollback)
	}

	f = findOne(t, fs, "PG-SUPERUSER-SERVICE", "ehr/nested_svc", "pg_write_all_data")
	if f.Fix != nil {
		t.Errorf("a role held through writers must get no automatic fix, got %q", f.Fix.Apply)
	}
	if !hasEvidence(f, "through writers → pg_write_all_data") {
		t.Errorf("evidence does not show the path: %v", f.Evidence)
	}

	for _, f := range fs {
		if f.AccountID == "ehr/postgres" && f.Fix != nil {
			t.Errorf("the bootstrap superuser cannot lose SUPERUSER; got fix %q", f.Fix.Apply)
		}
	}
}

func TestRoleResourceAvoidsAttributeNames(t *testing.T) {
	if got := roleResource("superuser"); got != "role:superuser" {
		t.Errorf("roleResource(superuser) = %q", got)
	}
	if got := roleResource("pg_read_all_data"); got != "pg_read_all_data" {
		t.Errorf("roleResource(pg_read_all_data) = %q", got)
	}
}
