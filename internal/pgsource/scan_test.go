package pgsource

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wardsec/ward/internal/inventory"
)

// TestScanEstate scans the estate as the documented minimal scanner role
// (not a superuser) and checks what it finds.
func TestScanEstate(t *testing.T) {
	snap := scanAs(t, "ward_scanner")

	t.Run("coverage", func(t *testing.T) {
		want := []inventory.DatabaseCoverage{
			{Name: "postgres", Scanned: true},
			{Name: "ehr", Scanned: true},
			{Name: "hardened", Reason: "the scanner has no CONNECT privilege on this " +
				`database; fix: GRANT CONNECT ON DATABASE "hardened" TO "ward_scanner";`},
			{Name: "research", Scanned: true},
		}
		if diff := cmp.Diff(want, snap.Databases); diff != "" {
			t.Errorf("databases (-want +got):\n%s", diff)
		}
		if snap.Scanner != "ward_scanner" {
			t.Errorf("scanner = %q", snap.Scanner)
		}
		wantPrivs := []string{"member of pg_read_all_settings",
			"SELECT on pg_hba_file_rules and EXECUTE on pg_hba_file_rules()"}
		if diff := cmp.Diff(wantPrivs, snap.ScannerPrivileges); diff != "" {
			t.Errorf("scanner privileges (-want +got):\n%s", diff)
		}
	})

	t.Run("gaps", func(t *testing.T) {
		var checks []string
		for _, g := range snap.Gaps {
			checks = append(checks, g.Check)
		}
		// The documented role lacks pg_read_all_stats (on purpose) and
		// CONNECT on the hardened database; everything else is readable.
		want := []string{"open sessions", "database hardened"}
		if diff := cmp.Diff(want, checks); diff != "" {
			t.Fatalf("gaps (-want +got):\n%s", diff)
		}
		sessions := snap.Gaps[0].Enable
		for _, part := range []string{`GRANT pg_read_all_stats TO "ward_scanner"`,
			"WARNING", "pg_stat_statements", "passwords"} {
			if !strings.Contains(sessions, part) {
				t.Errorf("sessions gap %q lacks %q", sessions, part)
			}
		}
		// Without pg_read_all_stats other users' sessions are listed, but
		// their client address and start time stay hidden.
		for _, s := range snap.Sessions {
			if s.User != "ward_scanner" && (s.ClientAddr != "" || !s.Started.IsZero()) {
				t.Errorf("session details read without pg_read_all_stats: %+v", s)
			}
		}
	})

	t.Run("accounts are login roles only", func(t *testing.T) {
		var names []string
		for _, a := range snap.Accounts {
			names = append(names, a.Name)
			if a.ID != "ehr-prod/"+a.Name {
				t.Errorf("account %q has ID %q", a.Name, a.ID)
			}
		}
		want := []string{"Mixed.Case svc", "alice", "app_svc", "deep_svc", "etl_owner",
			"gated_svc", "noinherit_svc", "ops_svc", "postgres", "reader_all", "repl_svc",
			"research_owner", "super_svc", "team_lead", "ward_bare", "ward_scanner",
			"ward_stats"}
		if diff := cmp.Diff(want, names); diff != "" {
			t.Errorf("accounts (-want +got):\n%s", diff)
		}
	})

	t.Run("attributes", func(t *testing.T) {
		until := time.Date(2027, 6, 30, 0, 0, 0, 0, time.UTC)
		tests := []struct {
			name string
			want inventory.Attributes
		}{
			{"app_svc", inventory.Attributes{CanLogin: true, Inherit: true, ConnLimit: 20,
				ValidUntil: &until, Config: []string{"pgaudit.log=none"},
				Comment: "owner: ehr-api team; service account"}},
			{"postgres", inventory.Attributes{CanLogin: true, Superuser: true,
				CreateRole: true, CreateDB: true, Replication: true, BypassRLS: true,
				Inherit: true, ConnLimit: -1, Bootstrap: true}},
			{"super_svc", inventory.Attributes{CanLogin: true, Superuser: true,
				Inherit: true, ConnLimit: -1}},
			{"repl_svc", inventory.Attributes{CanLogin: true, Replication: true,
				Inherit: true, ConnLimit: -1}},
			{"noinherit_svc", inventory.Attributes{CanLogin: true, ConnLimit: -1}},
			{"reader_all", inventory.Attributes{CanLogin: true, Inherit: true,
				ConnLimit: -1, DangerousRoles: []string{"pg_read_all_data"}}},
			{"ops_svc", inventory.Attributes{CanLogin: true, Inherit: true,
				ConnLimit: -1, DangerousRoles: []string{"pg_execute_server_program"}}},
			// VALID UNTIL 'infinity' never expires.
			{"Mixed.Case svc", inventory.Attributes{CanLogin: true, Inherit: true,
				ConnLimit: -1}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got := account(t, snap, tt.name).Attributes
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("attributes (-want +got):\n%s", diff)
				}
			})
		}
	})

	t.Run("memberships", func(t *testing.T) {
		tests := []struct {
			name string
			want []inventory.Membership
		}{
			{"deep_svc", []inventory.Membership{
				{Role: "tier1", Path: []string{"tier1"}, Inherit: true},
				{Role: "tier2", Path: []string{"tier1", "tier2"}, Inherit: true},
				{Role: "tier3", Path: []string{"tier1", "tier2", "tier3"}, Inherit: true},
			}},
			{"team_lead", []inventory.Membership{
				{Role: "clinical_read", Path: []string{"clinical_read"}, Inherit: true,
					Admin: true},
			}},
			// NOINHERIT login: members, but nothing held without SET ROLE.
			{"noinherit_svc", []inventory.Membership{
				{Role: "clinical_write", Path: []string{"clinical_write"}},
				{Role: "clinical_read", Path: []string{"clinical_write", "clinical_read"}},
			}},
			// NOINHERIT in the middle: gate is held, what is above it is not.
			{"gated_svc", []inventory.Membership{
				{Role: "gate", Path: []string{"gate"}, Inherit: true},
				{Role: "clinical_write", Path: []string{"gate", "clinical_write"}},
				{Role: "clinical_read", Path: []string{"gate", "clinical_write",
					"clinical_read"}},
			}},
			{"reader_all", []inventory.Membership{
				{Role: "pg_read_all_data", Path: []string{"pg_read_all_data"}, Inherit: true},
			}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got := account(t, snap, tt.name).Memberships
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("memberships (-want +got):\n%s", diff)
				}
			})
		}
	})

	t.Run("settings", func(t *testing.T) {
		pg := snap.Postgres
		if pg.ServerVersionNum/10000 != srv.Version {
			t.Errorf("server_version_num %d, server major %d", pg.ServerVersionNum, srv.Version)
		}
		checks := map[string][2]string{
			"password_encryption":      {pg.PasswordEncryption, "scram-sha-256"},
			"log_connections":          {pg.LogConnections, "on"},
			"log_disconnections":       {pg.LogDisconnections, "on"},
			"shared_preload_libraries": {pg.PreloadLibraries, "pgaudit"},
			"pgaudit.log":              {pg.PgauditLog, "read,write,role,ddl,misc_set"},
			"ssl":                      {pg.SSL, "off"},
		}
		for name, c := range checks {
			if c[0] != c[1] {
				t.Errorf("%s = %q, want %q", name, c[0], c[1])
			}
		}
		if !pg.PgauditLoaded {
			t.Error("pgaudit not seen as loaded")
		}
	})

	t.Run("overrides", func(t *testing.T) {
		want := []inventory.RoleSetting{
			{Database: "ehr", Name: "log_statement", Value: "ddl"},
			{Role: "alice", Database: "ehr", Name: "pgaudit.log", Value: "read"},
			{Role: "app_svc", Name: "pgaudit.log", Value: "none"},
			{Role: "ward_scanner", Name: "default_transaction_read_only", Value: "on"},
		}
		if diff := cmp.Diff(want, snap.Postgres.Overrides); diff != "" {
			t.Errorf("overrides (-want +got):\n%s", diff)
		}
	})

	t.Run("hba from the view", func(t *testing.T) {
		want := []inventory.HBARule{{Line: 1, Type: "host", Database: []string{"all"},
			User: []string{"all"}, Address: "127.0.0.1", Netmask: "255.255.255.255",
			Method: "scram-sha-256"}}
		if snap.Postgres.HBAFrom != "view" {
			t.Errorf("HBAFrom = %q, want view", snap.Postgres.HBAFrom)
		}
		if diff := cmp.Diff(want, snap.Postgres.HBA); diff != "" {
			t.Errorf("hba (-want +got):\n%s", diff)
		}
	})

	t.Run("resources", func(t *testing.T) {
		byName := map[string]inventory.Resource{}
		for _, r := range snap.Resources {
			byName[r.Name] = r
		}
		want := []inventory.Resource{
			{Name: "ehr.clinical.patient", Type: "table", Owner: "postgres", RLS: true,
				ForceRLS: true, Policies: []string{"by_mrn", "registrar_all"}},
			{Name: "ehr.clinical.patient.ssn", Type: "column", Owner: "postgres"},
			{Name: "ehr.clinical.encounter", Type: "table", Owner: "postgres", RLS: true,
				Policies: []string{"clinician_rows"}},
			{Name: "ehr.clinical.patient_directory", Type: "view", Owner: "postgres"},
			{Name: "ehr.clinical.vitals", Type: "partitioned table", Owner: "postgres"},
			{Name: "ehr.clinical.vitals_2026", Type: "table", Owner: "postgres"},
			{Name: "ehr.clinical.visit_counts", Type: "materialized view", Owner: "postgres"},
			{Name: "ehr.clinical.encounter_encounter_id_seq", Type: "sequence",
				Owner: "postgres"},
			{Name: "ehr.etl.import_feed", Type: "foreign table", Owner: "etl_owner"},
			{Name: "ehr.etl.staging", Type: "table", Owner: "etl_owner"},
			{Name: "ehr.etl.staging.payload", Type: "column", Owner: "etl_owner"},
			{Name: "research.study.cohort.mrn", Type: "column", Owner: "postgres"},
			// Owned by pg_database_owner: named after the database's owner.
			{Name: "research.study.consent", Type: "table", Owner: "research_owner"},
			{Name: "research.study.consent.signed", Type: "column", Owner: "research_owner"},
		}
		for _, w := range want {
			if diff := cmp.Diff(w, byName[w.Name]); diff != "" {
				t.Errorf("resource %s (-want +got):\n%s", w.Name, diff)
			}
		}
		for name := range byName {
			if strings.HasPrefix(name, "hardened.") {
				t.Errorf("resource %s of an unscanned database", name)
			}
			for _, sys := range []string{".pg_catalog.", ".information_schema.", ".pg_toast"} {
				if strings.Contains(name, sys) {
					t.Errorf("system resource %s", name)
				}
			}
		}
	})
}

// TestScanGrants checks the exact grants, with their routes, of chosen
// accounts.
func TestScanGrants(t *testing.T) {
	snap := scanAs(t, "ward_scanner")

	tests := []struct {
		name, account, prefix string
		public                bool
		want                  []string
	}{
		{
			// Edge 15: a column-only grant on ssn; no table-level SELECT.
			name: "Edge15ColumnOnlyGrant", account: "app_svc", prefix: "ehr.clinical.patient",
			want: []string{
				"ehr.clinical.patient.full_name SELECT via clinical_read " +
					"[clinical_write>clinical_read]",
				"ehr.clinical.patient.mrn SELECT via clinical_read [clinical_write>clinical_read]",
				"ehr.clinical.patient.patient_id SELECT via clinical_read " +
					"[clinical_write>clinical_read]",
				"ehr.clinical.patient.ssn SELECT via direct",
				"ehr.clinical.patient_directory SELECT via clinical_read " +
					"[clinical_write>clinical_read]",
			},
		},
		{
			// Edge 16: privileges held through a group, not in any ACL entry
			// naming the account.
			name: "Edge16InheritedThroughGroup", account: "alice", prefix: "ehr.",
			want: []string{
				"ehr.billing.claim SELECT via direct",
				"ehr.clinical USAGE via clinical_read [clinical_read]",
				"ehr.clinical.encounter SELECT via clinical_read [clinical_read]",
				"ehr.clinical.patient.full_name SELECT via clinical_read [clinical_read]",
				"ehr.clinical.patient.mrn SELECT via clinical_read [clinical_read]",
				"ehr.clinical.patient.patient_id SELECT via clinical_read [clinical_read]",
				"ehr.clinical.patient_directory SELECT via clinical_read [clinical_read]",
				// From etl_owner's default privileges in schema etl.
				"ehr.etl.loaded SELECT via clinical_read [clinical_read]",
			},
		},
		{
			name: "NoinheritServiceSetRoleOnly", account: "noinherit_svc", prefix: "ehr.",
			want: []string{
				"ehr.clinical USAGE via clinical_read [clinical_write>clinical_read] " +
					"set-role-only",
				"ehr.clinical.encounter INSERT via clinical_write [clinical_write] set-role-only",
				"ehr.clinical.encounter SELECT via clinical_read [clinical_write>clinical_read] " +
					"set-role-only",
				"ehr.clinical.encounter UPDATE via clinical_write [clinical_write] set-role-only",
				"ehr.clinical.encounter_encounter_id_seq USAGE via clinical_write " +
					"[clinical_write] set-role-only",
				"ehr.clinical.patient.full_name SELECT via clinical_read " +
					"[clinical_write>clinical_read] set-role-only",
				"ehr.clinical.patient.mrn SELECT via clinical_read " +
					"[clinical_write>clinical_read] set-role-only",
				"ehr.clinical.patient.patient_id SELECT via clinical_read " +
					"[clinical_write>clinical_read] set-role-only",
				"ehr.clinical.patient_directory SELECT via clinical_read " +
					"[clinical_write>clinical_read] set-role-only",
				"ehr.etl.loaded SELECT via clinical_read [clinical_write>clinical_read] " +
					"set-role-only",
			},
		},
		{
			name: "NestedGroupsThreeDeep", account: "deep_svc", prefix: "ehr.",
			want: []string{
				"ehr.billing USAGE via tier2 [tier1>tier2]",
				"ehr.billing.claim SELECT via tier3 [tier1>tier2>tier3]",
				"ehr.billing.claim UPDATE via tier3 [tier1>tier2>tier3]",
			},
		},
		{
			// A NULL relacl means the owner's defaults: all seven table
			// privileges, with the owner's implicit grant option.
			name: "OwnerOfTableWithNullACL", account: "etl_owner", prefix: "ehr.etl.staging",
			public: true,
			want: []string{
				"ehr.etl.staging DELETE via owner grantable",
				"ehr.etl.staging INSERT via owner grantable",
				"ehr.etl.staging REFERENCES via owner grantable",
				"ehr.etl.staging SELECT via owner grantable",
				"ehr.etl.staging TRIGGER via owner grantable",
				"ehr.etl.staging TRUNCATE via owner grantable",
				"ehr.etl.staging UPDATE via owner grantable",
			},
		},
		{
			name: "GrantOptionAndGroup", account: "team_lead", prefix: "ehr.clinical.encounter",
			want: []string{
				"ehr.clinical.encounter SELECT via clinical_read [clinical_read]",
				"ehr.clinical.encounter SELECT via direct grantable",
			},
		},
		{
			// Edge 18: pg_database_owner stands for the database's owner.
			name: "Edge18DatabaseOwnerRole", account: "research_owner", prefix: "research",
			want: []string{
				"research CONNECT via owner grantable",
				"research CREATE via owner grantable",
				"research TEMPORARY via owner grantable",
				"research.public CREATE via pg_database_owner [pg_database_owner] grantable",
				"research.public USAGE via pg_database_owner [pg_database_owner] grantable",
				"research.study.consent DELETE via pg_database_owner [pg_database_owner] grantable",
				"research.study.consent INSERT via pg_database_owner [pg_database_owner] grantable",
				"research.study.consent REFERENCES via pg_database_owner [pg_database_owner] " +
					"grantable",
				"research.study.consent SELECT via pg_database_owner [pg_database_owner] grantable",
				"research.study.consent TRIGGER via pg_database_owner [pg_database_owner] " +
					"grantable",
				"research.study.consent TRUNCATE via pg_database_owner [pg_database_owner] " +
					"grantable",
				"research.study.consent UPDATE via pg_database_owner [pg_database_owner] grantable",
			},
		},
		{
			// Only explicit grants to PUBLIC are copied onto each account;
			// PUBLIC's built-in defaults are in PublicGrants alone (see
			// TestScanPublicGrants).
			name: "ExplicitPublicGrantOnAccount", account: "Mixed.Case svc", prefix: "",
			public: true,
			want: []string{"ehr.clinical.encounter_encounter_id_seq SELECT via PUBLIC",
				"ehr.etl.import_feed SELECT via PUBLIC"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := grantLines(account(t, snap, tt.account), tt.prefix, tt.public)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("grants of %s on %s* (-want +got):\n%s", tt.account, tt.prefix, diff)
			}
		})
	}

	t.Run("superusers are not enumerated", func(t *testing.T) {
		for _, name := range []string{"postgres", "super_svc"} {
			if a := account(t, snap, name); len(a.Grants) != 0 {
				t.Errorf("%s has %d grants, want none (its power is the attribute)",
					name, len(a.Grants))
			}
		}
	})

	t.Run("resource types", func(t *testing.T) {
		types := map[string]string{}
		for _, a := range snap.Accounts {
			for _, g := range a.Grants {
				types[g.Resource] = g.ResourceType
			}
		}
		for _, g := range snap.PublicGrants {
			types[g.Resource] = g.ResourceType
		}
		want := map[string]string{
			"ehr":                      "database",
			"ehr.clinical":             "schema",
			"ehr.clinical.encounter":   "table",
			"ehr.clinical.patient.ssn": "column",
			"ehr.clinical.encounter_encounter_id_seq": "sequence",
			"ehr.clinical.lookup_ssn(text)":           "function",
			"ehr.etl.import_feed":                     "foreign table",
		}
		for res, typ := range want {
			if types[res] != typ {
				t.Errorf("resource type of %s = %q, want %q", res, types[res], typ)
			}
		}
		if typ := types["ehr.public.file_fdw_handler()"]; typ != "function" {
			t.Errorf("extension function type = %q, want function", typ)
		}
	})
}

// TestScanDangerousRoleList checks that the embedded list holds the roles
// the brief names, and that a superuser role counts as dangerous for its
// members.
func TestScanDangerousRoleList(t *testing.T) {
	c := newConnector(t, "ward_scanner", scannerPassword, "postgres")
	for _, r := range []string{"pg_read_all_data", "pg_write_all_data",
		"pg_execute_server_program", "pg_read_server_files", "pg_write_server_files",
		"rds_superuser", "azure_pg_admin", "cloudsqlsuperuser"} {
		if !slices.Contains(c.dangerous, r) {
			t.Errorf("dangerous role list lacks %s", r)
		}
	}
	got := c.dangerousRoles([]roleRow{{Name: "postgres", Super: true}, {Name: "app"}})
	if !got["postgres"] || got["app"] {
		t.Errorf("dangerousRoles = %v, want postgres in and app out", got)
	}
}

// TestScanPublicGrants checks what PUBLIC holds, kept once in the
// snapshot rather than on every account.
func TestScanPublicGrants(t *testing.T) {
	snap := scanAs(t, "ward_scanner")

	var got []string
	for _, g := range snap.PublicGrants {
		if g.Via != inventory.ViaPublic || len(g.Path) > 0 || g.SetRoleOnly || g.Grantable {
			t.Errorf("public grant %+v: want Via PUBLIC and nothing else", g)
		}
		got = append(got, g.Resource+" "+g.Privilege)
	}
	// Edge 19: a fresh PostgreSQL 15 cluster gives PUBLIC USAGE but not
	// CREATE on schema public. PUBLIC keeps its default EXECUTE on
	// functions, extension functions included, and CONNECT on databases
	// that did not revoke it; hardened keeps TEMPORARY. The explicit
	// grants to PUBLIC on etl.import_feed and the encounter sequence are
	// here too. etl_owner's functions, created after it revoked PUBLIC's
	// EXECUTE by default privileges, are not (edge 14); the function
	// postgres created in the same schema is.
	want := []string{
		"ehr CONNECT",
		"ehr TEMPORARY",
		"ehr.clinical.encounter_encounter_id_seq SELECT",
		"ehr.clinical.lookup_ssn(text) EXECUTE",
		"ehr.etl.by_postgres_fn() EXECUTE",
		"ehr.etl.import_feed SELECT",
		"ehr.public USAGE",
		"ehr.public.file_fdw_handler() EXECUTE",
		"ehr.public.file_fdw_validator(text[], oid) EXECUTE",
		"hardened TEMPORARY",
		"postgres CONNECT",
		"postgres TEMPORARY",
		"postgres.public USAGE",
		"research CONNECT",
		"research TEMPORARY",
		"research.public USAGE",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("public grants (-want +got):\n%s", diff)
	}

	// The built-in defaults are not copied onto accounts.
	explicit := map[string]bool{"ehr.etl.import_feed": true,
		"ehr.clinical.encounter_encounter_id_seq": true}
	for _, a := range snap.Accounts {
		for _, g := range a.Grants {
			if g.Via == inventory.ViaPublic && !explicit[g.Resource] {
				t.Errorf("%s holds %s on %s via PUBLIC: a built-in default copied onto "+
					"the account", a.Name, g.Privilege, g.Resource)
			}
		}
	}
}
