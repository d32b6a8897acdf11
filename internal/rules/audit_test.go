package rules

import (
	"slices"
	"strings"
	"testing"

	"github.com/wardsec/ward/internal/inventory"
)

func setting(role, db, name, value string) func(*inventory.PGSettings) {
	return func(p *inventory.PGSettings) {
		p.Overrides = append(p.Overrides, inventory.RoleSetting{Role: role, Database: db,
			Name: name, Value: value})
	}
}

func TestAuditLogging(t *testing.T) {
	const id = "AUDIT-LOGGING-OFF"
	high, crit, med := inventory.SeverityHigh, inventory.SeverityCritical, inventory.SeverityMedium
	pg := func(f func(*inventory.PGSettings), accounts ...inventory.Account) *inventory.Snapshot {
		return withPG(snap(accounts...), f)
	}
	auditLog := func(v string) func(*inventory.PGSettings) {
		return func(p *inventory.PGSettings) { p.PgauditLog = v }
	}
	runRule(t, id, []ruleCase{
		{name: "clean", snap: snap()},
		{
			name: "log_connections off",
			snap: pg(func(p *inventory.PGSettings) { p.LogConnections = "off" }),
			want: []got{{"", "log_connections", high}},
		},
		{
			name: "log_connections off on a PHI source",
			snap: withPHIResource(pg(func(p *inventory.PGSettings) { p.LogConnections = "off" })),
			want: []got{{"", "log_connections", crit}},
		},
		{
			name: "log_connections not read",
			snap: pg(func(p *inventory.PGSettings) { p.LogConnections = "" }),
		},
		{
			name: "pgaudit not loaded",
			snap: pg(func(p *inventory.PGSettings) {
				p.PgauditLoaded, p.PreloadLibraries, p.PgauditLog = false, "pg_stat_statements", ""
			}),
			want: []got{{"", "pgaudit", high}},
		},
		{
			name: "pgaudit in shared_preload_libraries counts as loaded",
			snap: pg(func(p *inventory.PGSettings) {
				p.PgauditLoaded, p.PreloadLibraries = false, "pg_stat_statements, pgaudit"
			}),
		},
		{name: "pgaudit.log missing read and role", snap: pg(auditLog("write, ddl")),
			want: []got{{"", "pgaudit.log", high}}},
		{name: "pgaudit.log none", snap: pg(auditLog("none")), want: []got{{"", "pgaudit.log", high}}},
		{name: "pgaudit.log empty", snap: pg(auditLog("")), want: []got{{"", "pgaudit.log", high}}},
		{name: "pgaudit.log all", snap: pg(auditLog("all"))},
		{name: "pgaudit.log all but misc", snap: pg(auditLog("ALL, -misc"))},
		{name: "pgaudit.log all but read", snap: pg(auditLog("all,-read")),
			want: []got{{"", "pgaudit.log", high}}},
		{
			name: "per-role pgaudit.log none",
			snap: pg(setting("app_svc", "", "pgaudit.log", "none"), svc("app_svc")),
			want: []got{{"ehr/app_svc", "pgaudit.log", high}},
		},
		{
			name: "per-role override of an account that reaches PHI",
			snap: pg(setting("app_svc", "", "pgaudit.log", "none"),
				with(svc("app_svc"), grants(phiGrant("ehr.clinical.patient")))),
			want: []got{{"ehr/app_svc", "pgaudit.log", crit}},
		},
		{
			name: "per-role override in rolconfig only",
			snap: snap(with(svc("app_svc"), func(a *inventory.Account) {
				a.Attributes.Config = []string{"search_path=app", "pgaudit.log=none"}
			})),
			want: []got{{"ehr/app_svc", "pgaudit.log", high}},
		},
		{
			name: "the same override in both places is one finding",
			snap: pg(setting("app_svc", "", "pgaudit.log", "none"), with(svc("app_svc"),
				func(a *inventory.Account) { a.Attributes.Config = []string{"pgaudit.log=none"} })),
			want: []got{{"ehr/app_svc", "pgaudit.log", high}},
		},
		{
			name: "per-role override that keeps the classes",
			snap: pg(setting("app_svc", "", "pgaudit.log", "read,write,role,ddl,function"), svc("app_svc")),
		},
		{
			name: "override of a human is covered",
			snap: pg(setting("alice", "", "pgaudit.log", "none"),
				with(svc("alice"), kind(inventory.KindHuman))),
			want: []got{{"ehr/alice", "pgaudit.log", high}},
		},
		{
			name: "override of a role not in the snapshot",
			snap: pg(setting("ghost", "", "pgaudit.log", "none")),
			want: []got{{"ehr/ghost", "pgaudit.log", high}},
		},
		{
			name: "override of a group role is never applied",
			snap: pg(setting("readers", "", "pgaudit.log", "none"), with(svc("readers"), nologin)),
		},
		{
			name: "per-role-in-database override",
			snap: pg(setting("app_svc", "ehr", "pgaudit.log", "none"), svc("app_svc")),
			want: []got{{"ehr/app_svc", "pgaudit.log in database ehr", high}},
		},
		{
			name: "per-database override",
			snap: pg(setting("", "ehr", "pgaudit.log", "none")),
			want: []got{{"", "database ehr: pgaudit.log", high}},
		},
		{
			name: "log_statement lowered below the server",
			snap: pg(setting("app_svc", "", "log_statement", "none"), svc("app_svc")),
			want: []got{{"ehr/app_svc", "log_statement", med}},
		},
		{
			name: "log_statement raised",
			snap: pg(setting("app_svc", "", "log_statement", "all"), svc("app_svc")),
		},
		{
			name: "log_statement none with the server level unknown",
			snap: pg(func(p *inventory.PGSettings) {
				p.Other = nil
				setting("app_svc", "", "log_statement", "none")(p)
			}, svc("app_svc")),
			want: []got{{"ehr/app_svc", "log_statement", med}},
		},
		{
			name: "log_statement ddl with the server level unknown",
			snap: pg(func(p *inventory.PGSettings) {
				p.Other = nil
				setting("app_svc", "", "log_statement", "ddl")(p)
			}, svc("app_svc")),
		},
		{
			name: "log_connections off for a role",
			snap: pg(setting("app_svc", "", "log_connections", "off"), svc("app_svc")),
			want: []got{{"ehr/app_svc", "log_connections", high}},
		},
		{
			name: "an unrelated override",
			snap: pg(setting("app_svc", "", "work_mem", "64MB"), svc("app_svc")),
		},
	})
}

func TestAuditClasses(t *testing.T) {
	tests := []struct {
		in      string
		missing []string
		fixed   string
	}{
		{"", []string{"read", "write", "role", "ddl"}, "read,write,role,ddl"},
		{"none", []string{"read", "write", "role", "ddl"}, "read,write,role,ddl"},
		{"write, ddl", []string{"read", "role"}, "write,ddl,read,role"},
		{"all", nil, "all"},
		{"all, -read, misc_set", []string{"read"}, "all,misc_set"},
		{"-read, all", nil, "all"},
		{"'read,write'", []string{"role", "ddl"}, "read,write,role,ddl"},
		{"READ,Write,ROLE,ddl,misc", nil, "read,write,role,ddl,misc"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			if got := missingClasses(tc.in); !slices.Equal(got, tc.missing) {
				t.Errorf("missingClasses(%q) = %v, want %v", tc.in, got, tc.missing)
			}
			fixed := fixedAuditLog(tc.in)
			if fixed != tc.fixed {
				t.Errorf("fixedAuditLog(%q) = %q, want %q", tc.in, fixed, tc.fixed)
			}
			if m := missingClasses(fixed); len(m) != 0 {
				t.Errorf("the fixed value %q still misses %v", fixed, m)
			}
		})
	}
}

func TestAuditEvidenceAndFix(t *testing.T) {
	s := withPG(snap(svc("app_svc")), func(p *inventory.PGSettings) {
		p.PgauditLog = "write,ddl"
		setting("app_svc", "", "pgaudit.log", "none")(p)
	})
	fs := Evaluate(Input{Snapshot: s})

	srv := findOne(t, fs, "AUDIT-LOGGING-OFF", "", "pgaudit.log")
	if !hasEvidence(srv, "pgaudit.log = 'write,ddl': missing classes read, role") {
		t.Errorf("evidence does not name the missing classes: %v", srv.Evidence)
	}
	if srv.Fix == nil || srv.Fix.Apply != "ALTER SYSTEM SET pgaudit.log = 'write,ddl,read,role';\n"+
		"SELECT pg_reload_conf();\n" {
		t.Errorf("server fix = %+v", srv.Fix)
	}

	role := findOne(t, fs, "AUDIT-LOGGING-OFF", "ehr/app_svc", "pgaudit.log")
	if !hasEvidence(role, "ALTER ROLE app_svc SET pgaudit.log=none") {
		t.Errorf("evidence does not show the override: %v", role.Evidence)
	}
	wantApply := "BEGIN;\nALTER ROLE \"app_svc\" RESET pgaudit.log;\nCOMMIT;\n"
	wantRollback := "BEGIN;\nALTER ROLE \"app_svc\" SET pgaudit.log = 'none';\nCOMMIT;\n"
	if role.Fix == nil || role.Fix.Apply != wantApply || role.Fix.Rollback != wantRollback {
		t.Errorf("role fix = %+v", role.Fix)
	}
}

func TestAuditPgauditLoadFix(t *testing.T) {
	s := withPG(snap(), func(p *inventory.PGSettings) {
		p.PgauditLoaded, p.PreloadLibraries = false, "pg_stat_statements"
	})
	f := findOne(t, Evaluate(Input{Snapshot: s}), "AUDIT-LOGGING-OFF", "", "pgaudit")
	if f.Fix == nil {
		t.Fatal("no fix")
	}
	if !strings.HasPrefix(f.Fix.Apply,
		"ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements,pgaudit';") {
		t.Errorf("apply = %q", f.Fix.Apply)
	}
	if !strings.Contains(f.Fix.Apply, "restart") || strings.Contains(f.Fix.Apply, "pg_reload_conf") {
		t.Errorf("shared_preload_libraries needs a restart, not a reload: %q", f.Fix.Apply)
	}

	// Unknown libraries: overwriting the setting could drop others, so no fix.
	s.Postgres.PreloadLibraries = ""
	f = findOne(t, Evaluate(Input{Snapshot: s}), "AUDIT-LOGGING-OFF", "", "pgaudit")
	if f.Fix != nil {
		t.Errorf("with shared_preload_libraries unknown there must be no fix, got %q", f.Fix.Apply)
	}
}
