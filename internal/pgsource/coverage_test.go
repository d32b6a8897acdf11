package pgsource

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"

	"github.com/wardsec/ward/internal/config"
	"github.com/wardsec/ward/internal/inventory"
)

// gap returns the gap for check, failing the test when there is none.
func gap(t *testing.T, snap *inventory.Snapshot, check string) inventory.Gap {
	t.Helper()
	for _, g := range snap.Gaps {
		if g.Check == check {
			return g
		}
	}
	t.Fatalf("no gap %q in %+v", check, snap.Gaps)
	return inventory.Gap{}
}

// TestScanBareScannerListsGaps scans as a login with no grants at all: the
// scan still works, and every check it could not run is a gap with the
// grant that would enable it.
func TestScanBareScannerListsGaps(t *testing.T) {
	snap := scanAs(t, "ward_bare")

	tests := []struct {
		check string
		want  []string
	}{
		{"shared_preload_libraries", []string{`GRANT pg_read_all_settings TO "ward_bare";`}},
		{"pg_hba rules", []string{`in database "postgres"`,
			`GRANT SELECT ON pg_catalog.pg_hba_file_rules TO "ward_bare";`,
			`GRANT EXECUTE ON FUNCTION pg_catalog.pg_hba_file_rules() TO "ward_bare";`}},
		{"open sessions", []string{`GRANT pg_read_all_stats TO "ward_bare";`, "WARNING"}},
		{"database hardened", []string{`GRANT CONNECT ON DATABASE "hardened" TO "ward_bare";`}},
	}
	for _, tt := range tests {
		t.Run(tt.check, func(t *testing.T) {
			g := gap(t, snap, tt.check)
			for _, w := range tt.want {
				if !strings.Contains(g.Enable, w) {
					t.Errorf("gap enable %q lacks %q", g.Enable, w)
				}
			}
		})
	}
	if len(snap.Gaps) != len(tests) {
		t.Errorf("%d gaps, want %d: %+v", len(snap.Gaps), len(tests), snap.Gaps)
	}

	pg := snap.Postgres
	if pg.PreloadLibraries != "" || !pg.PgauditLoaded {
		t.Errorf("preload %q loaded %v: want hidden, and pgaudit inferred from its settings",
			pg.PreloadLibraries, pg.PgauditLoaded)
	}
	if pg.HBA != nil || pg.HBAFrom != "" {
		t.Errorf("hba = %v from %q, want none", pg.HBA, pg.HBAFrom)
	}
	if len(snap.ScannerPrivileges) != 0 {
		t.Errorf("scanner privileges = %v, want none", snap.ScannerPrivileges)
	}
	// The catalogs themselves are PUBLIC: accounts and grants are complete.
	if got := grantLines(account(t, snap, "deep_svc"), "ehr.billing.claim", false); len(got) != 2 {
		t.Errorf("bare scanner saw deep_svc grants %v, want 2", got)
	}
}

// hbaLines is a pg_hba.conf that exercises the parser's forms. Every
// address is from documentation ranges, so no line matches a test login.
var hbaLines = []string{
	"# ward test rules",
	"local   all   all   peer",
	`host    all,ehr   +clinical_read,alice   192.0.2.0/24   scram-sha-256  # trailing`,
	"host    all   all   192.0.2.10 255.255.255.255   md5",
	"host    all   all   2001:db8::/32   scram-sha-256",
	"host    replication   repl_svc   198.51.100.0/24   scram-sha-256",
	"host    all   all   192.0.2.0/24   ident map=omicron",
	"hostnossl  ehr,research  app_svc  203.0.113.7/32  reject",
	`host    "my db"  "Mixed.Case svc"  192.0.2.99/32  password`,
}

// TestScanHBAFromFileMatchesView reads pg_hba.conf through the view and,
// for a scanner without the view grants, from the file; both must agree.
func TestScanHBAFromFileMatchesView(t *testing.T) {
	estate(t)
	ctx := context.Background()
	if err := srv.WriteHBA(ctx, hbaLines); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.WriteHBA(context.Background(), nil) })

	fromView := scanAs(t, "ward_scanner")
	fromFile := scanAs(t, "ward_bare", func(s *config.Source) {
		s.HBAFile = filepath.Join(srv.Dir, "pg_hba.conf")
	})

	if fromView.Postgres.HBAFrom != "view" || fromFile.Postgres.HBAFrom != "file" {
		t.Fatalf("HBAFrom = %q and %q, want view and file",
			fromView.Postgres.HBAFrom, fromFile.Postgres.HBAFrom)
	}
	if n := len(fromView.Postgres.HBA); n != len(hbaLines) {
		t.Errorf("view has %d rules, want %d", n, len(hbaLines))
	}
	for _, r := range fromView.Postgres.HBA {
		if r.Error != "" {
			t.Errorf("line %d is invalid for the server: %s", r.Line, r.Error)
		}
	}
	if diff := cmp.Diff(fromView.Postgres.HBA, fromFile.Postgres.HBA); diff != "" {
		t.Errorf("file rules differ from the view (-view +file):\n%s", diff)
	}
	for _, g := range fromFile.Gaps {
		if g.Check == "pg_hba rules" {
			t.Errorf("gap %+v although the file was read", g)
		}
	}
}

// TestScanHBAFileMissing checks that a configured file that cannot be read
// is a gap, not a failure.
func TestScanHBAFileMissing(t *testing.T) {
	snap := scanAs(t, "ward_bare", func(s *config.Source) {
		s.HBAFile = filepath.Join(t.TempDir(), "absent.conf")
	})
	g := gap(t, snap, "pg_hba rules")
	if !strings.Contains(g.Reason, "absent.conf") || !strings.Contains(g.Enable, "GRANT SELECT") {
		t.Errorf("gap = %+v, want the file named and the grant", g)
	}
}

// TestScanSessionsWithReadAllStats opens a session as alice and checks
// that a scanner with pg_read_all_stats lists it, without its own.
func TestScanSessionsWithReadAllStats(t *testing.T) {
	estate(t)
	ctx := context.Background()
	cfg, err := pgx.ParseConfig(srv.DSN("alice", rolePassword, "ehr"))
	if err != nil {
		t.Fatal(err)
	}
	cfg.RuntimeParams["application_name"] = "ehr-api/2.3.1"
	alice, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer alice.Close(ctx)

	before := time.Now().Add(-time.Minute)
	snap := scanAs(t, "ward_stats")
	var found bool
	for _, s := range snap.Sessions {
		// Other tests' scanner sessions may still be closing; only this
		// scan's own session must be left out.
		if s.User == "ward_stats" {
			t.Errorf("the scanner's own session is listed: %+v", s)
		}
		if s.User == "alice" && s.Application == "ehr-api/2.3.1" {
			found = true
			if s.Database != "ehr" || s.ClientAddr != "127.0.0.1" || s.Started.Before(before) {
				t.Errorf("alice's session = %+v", s)
			}
		}
	}
	if !found {
		t.Errorf("alice's session not in %+v", snap.Sessions)
	}
	for _, g := range snap.Gaps {
		if g.Check == "open sessions" {
			t.Errorf("sessions gap %+v for a scanner with pg_read_all_stats", g)
		}
	}
}

// TestScanAsSuperuserWarns checks that a superuser scanner works, covers
// every database, and is told it holds more than it needs.
func TestScanAsSuperuserWarns(t *testing.T) {
	estate(t)
	c := newConnector(t, "postgres", srv.Password(), "postgres")
	snap, err := c.Scan(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.ScannerPrivileges) == 0 ||
		!strings.Contains(snap.ScannerPrivileges[0], "superuser (WARNING") {
		t.Errorf("scanner privileges %v lack the superuser warning", snap.ScannerPrivileges)
	}
	if !snap.Complete() {
		t.Errorf("superuser scan not complete: %+v", snap.Databases)
	}
	var vault bool
	for _, r := range snap.Resources {
		vault = vault || r.Name == "hardened.public.vault_keys"
	}
	if !vault {
		t.Error("the superuser scan did not read the objects of the hardened database")
	}
}

// TestEdge22NameBasedCheckFails shows why ward reads ACLs instead of
// calling has_table_privilege with names: as the minimal scanner, the name
// form fails on a schema it cannot use, and the OID form does not.
func TestEdge22NameBasedCheckFails(t *testing.T) {
	estate(t)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, srv.DSN("ward_scanner", scannerPassword, "ehr"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)

	var ok bool
	err = conn.QueryRow(ctx,
		`SELECT has_table_privilege('alice', 'clinical.patient', 'SELECT')`).Scan(&ok)
	if err == nil || !strings.Contains(err.Error(), "permission denied for schema clinical") {
		t.Errorf("name-based check gave %v, %v; want permission denied for schema", ok, err)
	}
	err = conn.QueryRow(ctx, `
SELECT has_column_privilege(r.oid, c.oid, 'ssn', 'SELECT')
FROM pg_roles r, pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE r.rolname = 'app_svc' AND n.nspname = 'clinical' AND c.relname = 'patient'`).Scan(&ok)
	if err != nil || !ok {
		t.Errorf("OID-based check gave %v, %v; want true", ok, err)
	}
}

// TestMembershipCycleRefused checks that PostgreSQL refuses a membership
// cycle, so a live catalog never holds one; the graph code still stops on
// cycles (see TestRoleGraphCycleFixture).
func TestMembershipCycleRefused(t *testing.T) {
	estate(t)
	err := srv.Exec(context.Background(), "postgres", "GRANT tier1 TO tier3")
	if err == nil {
		t.Fatal("PostgreSQL accepted a membership cycle")
	}
	if !strings.Contains(err.Error(), "is a member of role") {
		t.Errorf("cycle refused with %v", err)
	}
}

// TestScannerRoleDocCheckQuery runs the check query of
// docs/scanner-role.md against the role built from the same page and
// expects what the page says.
func TestScannerRoleDocCheckQuery(t *testing.T) {
	estate(t)
	q, err := docSQL("ward:scanner-role-check")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, srv.SuperDSN("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var name string
	var super, view, fn bool
	var config, memberOf []string
	if err := conn.QueryRow(ctx, q).Scan(&name, &super, &config, &memberOf,
		&view, &fn); err != nil {
		t.Fatal(err)
	}
	if super || !view || !fn {
		t.Errorf("rolsuper=%v hba_view=%v hba_fn=%v, want f, t, t", super, view, fn)
	}
	if diff := cmp.Diff([]string{"pg_read_all_settings"}, memberOf); diff != "" {
		t.Errorf("member_of (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"default_transaction_read_only=on"}, config); diff != "" {
		t.Errorf("rolconfig (-want +got):\n%s", diff)
	}
}
