package pgsource

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"

	"github.com/wardsec/ward/internal/inventory"
)

// TestScanFunctions checks the facts collected on every function and
// procedure of the estate: SECURITY DEFINER, owner and whether it is a
// superuser, pinned search_path, language, extension, and who holds
// EXECUTE directly (PUBLIC's default included).
func TestScanFunctions(t *testing.T) {
	snap := scanAs(t, "ward_scanner")

	want := []inventory.Function{
		{Name: "ehr.clinical.lookup_ssn(text)", Owner: "postgres", OwnerSuperuser: true,
			SecurityDefiner: true, Language: "sql", Executors: []string{"PUBLIC", "postgres"}},
		{Name: "ehr.clinical.safe_lookup(text)", Owner: "postgres", OwnerSuperuser: true,
			SecurityDefiner: true, SearchPathPinned: true, Language: "sql",
			Executors: []string{"app_svc", "postgres"}},
		{Name: "ehr.etl.by_postgres_fn()", Owner: "postgres", OwnerSuperuser: true,
			Language: "sql", Executors: []string{"PUBLIC", "postgres"}},
		// Created by etl_owner after its default privileges revoked
		// PUBLIC's EXECUTE (edge 14).
		{Name: "ehr.etl.reload()", Owner: "etl_owner", Language: "plpgsql",
			Executors: []string{"etl_owner"}},
		{Name: "ehr.etl.transform()", Owner: "etl_owner", Language: "sql",
			Executors: []string{"etl_owner"}},
		{Name: "ehr.public.file_fdw_handler()", Owner: "postgres", OwnerSuperuser: true,
			Language: "c", Extension: "file_fdw", Executors: []string{"PUBLIC", "postgres"}},
		{Name: "ehr.public.file_fdw_validator(text[], oid)", Owner: "postgres",
			OwnerSuperuser: true, Language: "c", Extension: "file_fdw",
			Executors: []string{"PUBLIC", "postgres"}},
	}
	if diff := cmp.Diff(want, snap.Functions); diff != "" {
		t.Errorf("functions (-want +got):\n%s", diff)
	}

	tests := []struct {
		name, account, prefix string
		want                  []string
	}{
		{"ProcedureOwner", "etl_owner", "ehr.etl.reload",
			[]string{"ehr.etl.reload() EXECUTE via owner grantable"}},
		{"DefinerGrantedToService", "app_svc", "ehr.clinical.safe_lookup",
			[]string{"ehr.clinical.safe_lookup(text) EXECUTE via direct"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := grantLines(account(t, snap, tt.account), tt.prefix, true)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("grants (-want +got):\n%s", diff)
			}
		})
	}

	t.Run("procedure resource type", func(t *testing.T) {
		for _, g := range account(t, snap, "etl_owner").Grants {
			if g.Resource == "ehr.etl.reload()" && g.ResourceType != "procedure" {
				t.Errorf("reload() has type %q, want procedure", g.ResourceType)
			}
		}
	})
}

// TestScanDefaultPrivileges checks pg_default_acl: two database-wide rows
// of the same object type (edge 13), revocations from PUBLIC shown as
// entries without privileges (edge 14), a per-schema grant, and a grant to
// PUBLIC on future sequences.
func TestScanDefaultPrivileges(t *testing.T) {
	snap := scanAs(t, "ward_scanner")

	got := slices.Clone(snap.DefaultPrivileges)
	slices.SortFunc(got, func(a, b inventory.DefaultPrivilege) int {
		return strings.Compare(a.ForRole+"|"+a.Schema+"|"+a.ObjectType+"|"+a.Grantee,
			b.ForRole+"|"+b.Schema+"|"+b.ObjectType+"|"+b.Grantee)
	})
	want := []inventory.DefaultPrivilege{
		{Database: "ehr", ForRole: "etl_owner", Schema: "etl", ObjectType: "table",
			Grantee: "clinical_read", Privileges: []string{"SELECT"}},
		{Database: "ehr", ForRole: "etl_owner", ObjectType: "function", Grantee: "PUBLIC",
			Privileges: []string{}},
		{Database: "ehr", ForRole: "etl_owner", ObjectType: "sequence", Grantee: "PUBLIC",
			Privileges: []string{"USAGE"}},
		{Database: "ehr", ForRole: "research_owner", ObjectType: "function",
			Grantee: "PUBLIC", Privileges: []string{}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("default privileges (-want +got):\n%s", diff)
	}
}

// TestDefaultEntries checks the translation of pg_default_acl rows on
// rows that the estate does not hold.
func TestDefaultEntries(t *testing.T) {
	roles := []roleRow{{OID: 100, Name: "owner_role"}, {OID: 101, Name: "app"},
		{OID: 102, Name: "bi"}}
	db := &dbScope{name: "db", graph: newRoleGraph(150000, roles, nil)}
	tests := []struct {
		name   string
		schema string
		typ    string
		acl    []aclEntry
		want   []string
	}{
		{name: "built-in kept for functions", typ: "f",
			acl: []aclEntry{{Grantee: 0, Privilege: "EXECUTE"},
				{Grantee: 100, Privilege: "EXECUTE"}},
			want: []string{"function PUBLIC [EXECUTE]"}},
		{name: "types revoked from PUBLIC", typ: "T",
			acl:  []aclEntry{{Grantee: 100, Privilege: "USAGE"}},
			want: []string{"type PUBLIC []"}},
		{name: "tables have no PUBLIC default to revoke", typ: "r",
			acl: []aclEntry{{Grantee: 102, Privilege: "SELECT"},
				{Grantee: 101, Privilege: "UPDATE"}, {Grantee: 101, Privilege: "INSERT"}},
			want: []string{"table app [INSERT UPDATE]", "table bi [SELECT]"}},
		{name: "per-schema rows only add", schema: "s", typ: "f",
			acl:  []aclEntry{{Grantee: 102, Privilege: "EXECUTE"}},
			want: []string{"function bi [EXECUTE]"}},
		{name: "owner revoking its own", typ: "r", acl: nil, want: []string{}},
		{name: "schemas", typ: "n",
			acl:  []aclEntry{{Grantee: 101, Privilege: "USAGE"}},
			want: []string{"schema app [USAGE]"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := []string{}
			for _, d := range defaultEntries(db, 100, tt.schema, tt.typ, tt.acl) {
				if d.ForRole != "owner_role" || d.Schema != tt.schema || d.Database != "db" {
					t.Errorf("entry %+v: wrong role, schema or database", d)
				}
				got = append(got, fmt.Sprintf("%s %s %v", d.ObjectType, d.Grantee, d.Privileges))
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("entries (-want +got):\n%s", diff)
			}
		})
	}
}

// TestEdge10ExpiredRoleSessionsVisible opens sessions as three roles,
// then, from the superuser, gives one an expired VALID UNTIL, takes LOGIN
// from another and does both to the third. Neither ends the open sessions, and the minimal scanner
// (no pg_read_all_stats) still sees whose they are and where.
func TestEdge10ExpiredRoleSessionsVisible(t *testing.T) {
	estate(t)
	ctx := context.Background()
	srv.MustExec(t, "postgres", `
CREATE ROLE edge10_expired LOGIN PASSWORD 'FAKE-role-pw-2';
CREATE ROLE edge10_nologin LOGIN PASSWORD 'FAKE-role-pw-2';
CREATE ROLE edge10_both LOGIN PASSWORD 'FAKE-role-pw-2';`)
	t.Cleanup(func() {
		_ = srv.Exec(context.Background(), "postgres",
			"DROP ROLE IF EXISTS edge10_expired, edge10_nologin, edge10_both")
	})

	roles := []string{"edge10_expired", "edge10_nologin", "edge10_both"}
	for _, role := range roles {
		cfg, err := pgx.ParseConfig(srv.DSN(role, rolePassword, "ehr"))
		if err != nil {
			t.Fatal(err)
		}
		cfg.RuntimeParams["application_name"] = "nightly-export"
		conn, err := pgx.ConnectConfig(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		// Closed before the cleanup above drops the roles.
		t.Cleanup(func() { conn.Close(context.Background()) })
	}
	srv.MustExec(t, "postgres", `
ALTER ROLE edge10_expired VALID UNTIL '2000-01-01 00:00:00+00';
ALTER ROLE edge10_nologin NOLOGIN;
ALTER ROLE edge10_both VALID UNTIL '2000-01-01 00:00:00+00' NOLOGIN;`)

	snap := scanAs(t, "ward_scanner")
	for _, role := range roles {
		t.Run(role, func(t *testing.T) {
			var found []inventory.Session
			for _, s := range snap.Sessions {
				if s.User == role {
					found = append(found, s)
				}
			}
			want := []inventory.Session{{User: role, Database: "ehr",
				Application: "nightly-export"}}
			if diff := cmp.Diff(want, found); diff != "" {
				t.Errorf("sessions of %s (-want +got):\n%s", role, diff)
			}
		})
	}

	expired := account(t, snap, "edge10_expired").Attributes.ValidUntil
	if expired == nil || !expired.Equal(time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("edge10_expired valid until %v, want 2000-01-01", expired)
	}
	for _, a := range snap.Accounts {
		if a.Name == "edge10_nologin" || a.Name == "edge10_both" {
			t.Errorf("NOLOGIN role %s is listed as an account; its session must stand alone",
				a.Name)
		}
	}
}
