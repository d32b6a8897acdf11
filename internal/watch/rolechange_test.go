package watch

import (
	"slices"
	"testing"

	"github.com/wardsec/ward/internal/inventory"
)

func TestRoleChangeOf(t *testing.T) {
	tests := []struct {
		name    string
		command string
		stmt    string
		class   string
		action  inventory.Action
		ok      bool
		wantCmd string
		targets []string
	}{
		{"grant privileges", "GRANT",
			`GRANT SELECT (patient_id, mrn) ON clinical.patient TO clinical_read;`, "ROLE",
			inventory.ActionAudit, true, "GRANT", []string{"clinical_read"}},
		{"grant roles to several", "GRANT ROLE",
			`GRANT pg_monitor, pg_read_all_stats TO scanner, "Odd ""Name""" WITH ADMIN OPTION`,
			"ROLE", inventory.ActionAudit, true, "GRANT ROLE",
			[]string{"scanner", `Odd "Name"`}},
		{"grant to group", "GRANT", "GRANT x TO GROUP staff", "ROLE",
			inventory.ActionAudit, true, "GRANT", []string{"staff"}},
		{"revoke", "REVOKE", "REVOKE ALL ON SCHEMA s FROM etl_svc CASCADE", "ROLE",
			inventory.ActionAudit, true, "REVOKE", []string{"etl_svc"}},
		{"alter role with redacted password", "ALTER ROLE",
			"ALTER ROLE app_svc PASSWORD <REDACTED>", "ROLE",
			inventory.ActionAudit, true, "ALTER ROLE", []string{"app_svc"}},
		{"alter current user", "ALTER ROLE", "ALTER USER CURRENT_USER SET work_mem = '1GB'",
			"ROLE", inventory.ActionAudit, true, "ALTER ROLE", []string{"actor"}},
		{"create role", "CREATE ROLE", "CREATE ROLE etl_svc LOGIN IN ROLE clinical_read",
			"ROLE", inventory.ActionAudit, true, "CREATE ROLE", []string{"etl_svc"}},
		{"drop roles", "DROP ROLE", "DROP ROLE IF EXISTS a, b", "ROLE",
			inventory.ActionAudit, true, "DROP ROLE", []string{"a", "b"}},
		{"alter group add user", "ALTER GROUP", "ALTER GROUP staff ADD USER a, b", "ROLE",
			inventory.ActionAudit, true, "ALTER GROUP", []string{"staff", "a", "b"}},
		{"default privileges", "ALTER DEFAULT PRIVILEGES",
			"ALTER DEFAULT PRIVILEGES IN SCHEMA s GRANT SELECT ON TABLES TO reader", "ROLE",
			inventory.ActionAudit, true, "ALTER DEFAULT PRIVILEGES", []string{"reader"}},
		{"statement line, command from the text", "",
			"/* c */ grant usage on schema s to public", "", inventory.ActionStatement,
			true, "GRANT", []string{"PUBLIC"}},
		{"literals never become targets", "GRANT",
			"GRANT x TO $$000-00-0000$$, 'FAKE', e'x', r", "ROLE",
			inventory.ActionAudit, true, "GRANT", []string{"r"}},
		{"previously logged", "GRANT", "", "ROLE", inventory.ActionAudit, true, "GRANT", nil},
		{"select is not a role change", "SELECT", "SELECT 1", "READ",
			inventory.ActionAudit, false, "", nil},
		{"a connection is not", "", "", "", inventory.ActionConnect, false, "", nil},
		{"set role is not", "SET", "SET ROLE admin", "MISC", inventory.ActionAudit, false, "",
			nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := inventory.Event{User: "actor", Action: tt.action, Command: tt.command,
				Statement: tt.stmt}
			ev.Audit.Class = tt.class
			rc, ok := roleChangeOf(&ev)
			if ok != tt.ok {
				t.Fatalf("ok = %v, want %v", ok, tt.ok)
			}
			if rc.command != tt.wantCmd || !slices.Equal(rc.targets, tt.targets) {
				t.Errorf("got %q %q, want %q %q", rc.command, rc.targets, tt.wantCmd, tt.targets)
			}
		})
	}
}

func TestSQLTokensDropLiterals(t *testing.T) {
	toks := sqlTokens(`GRANT a TO b -- 'x'
	, c /* d */; SELECT 'FAKE-000-00-0000', E'\'q', $t$body$t$, 42, $1`, 100)
	var words []string
	for _, tk := range toks {
		if !tk.punct {
			words = append(words, tk.text)
		}
	}
	want := []string{"grant", "a", "to", "b", "c", "select"}
	if !slices.Equal(words, want) {
		t.Errorf("words = %q, want %q", words, want)
	}
}

func FuzzRoleChangeOf(f *testing.F) {
	f.Add("GRANT", "GRANT a, \"B\" TO c WITH ADMIN OPTION")
	f.Add("", "revoke all on t from $$x$$, 'y', z cascade")
	f.Add("ALTER GROUP", "ALTER GROUP g ADD USER")
	f.Add("DROP ROLE", "DROP ROLE IF")
	f.Fuzz(func(t *testing.T, command, stmt string) {
		ev := inventory.Event{User: "actor", Action: inventory.ActionAudit, Command: command,
			Statement: stmt}
		ev.Audit.Class = "ROLE"
		rc, ok := roleChangeOf(&ev)
		if !ok {
			t.Fatal("a ROLE record is always a role change")
		}
		if len(rc.targets) > maxTargets || rc.command == "" {
			t.Errorf("got %q with %d targets", rc.command, len(rc.targets))
		}
		for _, tg := range rc.targets {
			if tg == "" {
				t.Errorf("empty target from %q", stmt)
			}
		}
	})
}
