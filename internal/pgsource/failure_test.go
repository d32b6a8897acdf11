package pgsource

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/wardsec/ward/internal/inventory"
)

// coverage returns the coverage entry of db, failing when there is none.
func coverage(t *testing.T, snap *inventory.Snapshot, db string) inventory.DatabaseCoverage {
	t.Helper()
	for _, d := range snap.Databases {
		if d.Name == db {
			return d
		}
	}
	t.Fatalf("database %s not in coverage %+v", db, snap.Databases)
	return inventory.DatabaseCoverage{}
}

// hasResource reports whether the snapshot lists a resource named name.
func hasResource(snap *inventory.Snapshot, name string) bool {
	for _, r := range snap.Resources {
		if r.Name == name {
			return true
		}
	}
	return false
}

// TestScanDatabaseChangedMidScan changes the server between two databases
// of one scan, from another session, and checks that the snapshot says
// exactly what it covered: the changed database is not scanned (with why
// and the fix), the others are complete.
func TestScanDatabaseChangedMidScan(t *testing.T) {
	estate(t)
	tests := []struct {
		name string
		// change runs on the superuser's connection to postgres just
		// before the scanner connects to database midscan.
		change     string
		wantReason string
		wantFix    string
	}{
		{
			name:       "connect revoked",
			change:     "REVOKE CONNECT ON DATABASE midscan FROM PUBLIC",
			wantReason: "permission denied for database",
			wantFix:    `GRANT CONNECT ON DATABASE "midscan" TO "ward_scanner";`,
		},
		{
			name:       "connections refused",
			change:     "ALTER DATABASE midscan ALLOW_CONNECTIONS false",
			wantReason: "not currently accepting connections",
			wantFix:    "ALLOW_CONNECTIONS false",
		},
		{
			name:       "connection limit zero",
			change:     "ALTER DATABASE midscan CONNECTION LIMIT 0",
			wantReason: "too many connections",
			wantFix:    "retry later",
		},
		{
			name:       "dropped",
			change:     "DROP DATABASE midscan",
			wantReason: "does not exist (it may have been dropped during the scan)",
			wantFix:    "re-run the scan",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			srv.MustExec(t, "postgres", "CREATE DATABASE midscan")
			t.Cleanup(func() {
				_ = srv.Exec(context.Background(), "postgres", "DROP DATABASE IF EXISTS midscan")
			})
			srv.MustExec(t, "midscan", "CREATE TABLE seen_only_if_scanned (id int)")

			c := newConnector(t, "ward_scanner", scannerPassword, "postgres")
			changed := false
			c.beforeDatabase = func(ctx context.Context, db string) error {
				if db != "midscan" {
					return nil
				}
				changed = true
				return srv.Exec(ctx, "postgres", tt.change)
			}
			snap, err := c.Scan(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if !changed {
				t.Fatal("the scan never reached database midscan")
			}

			d := coverage(t, snap, "midscan")
			if d.Scanned || !strings.Contains(d.Reason, tt.wantReason) ||
				!strings.Contains(d.Reason, tt.wantFix) {
				t.Errorf("coverage %+v, want not scanned, %q and %q", d, tt.wantReason,
					tt.wantFix)
			}
			g := gap(t, snap, "database midscan")
			if !strings.Contains(g.Enable, tt.wantFix) {
				t.Errorf("gap %+v, want fix %q", g, tt.wantFix)
			}
			if hasResource(snap, "midscan.public.seen_only_if_scanned") {
				t.Error("a table of the unscanned database is listed")
			}
			for _, db := range []string{"ehr", "research"} {
				if !coverage(t, snap, db).Scanned {
					t.Errorf("%s not scanned after midscan failed", db)
				}
			}
			if !hasResource(snap, "research.study.cohort") {
				t.Error("the database after midscan was not read")
			}
		})
	}
}

// TestScanCatalogRevokedMidScan takes SELECT on pg_proc from PUBLIC in
// one database just before the scanner reaches it: the functions of that
// database are missing, and the snapshot says so, while its tables,
// columns, grants and default privileges are kept.
func TestScanCatalogRevokedMidScan(t *testing.T) {
	estate(t)
	ctx := context.Background()
	srv.MustExec(t, "postgres", "CREATE DATABASE partial_mid")
	t.Cleanup(func() {
		_ = srv.Exec(context.Background(), "postgres", "DROP DATABASE IF EXISTS partial_mid")
	})
	srv.MustExec(t, "partial_mid", `
CREATE TABLE kept (id int, ssn text);
GRANT SELECT (ssn) ON kept TO app_svc;
CREATE FUNCTION lost() RETURNS int LANGUAGE sql AS 'SELECT 1';`)

	c := newConnector(t, "ward_scanner", scannerPassword, "postgres")
	c.beforeDatabase = func(ctx context.Context, db string) error {
		if db != "partial_mid" {
			return nil
		}
		return srv.Exec(ctx, "partial_mid", "REVOKE SELECT ON pg_catalog.pg_proc FROM PUBLIC")
	}
	snap, err := c.Scan(ctx)
	if err != nil {
		t.Fatal(err)
	}

	d := coverage(t, snap, "partial_mid")
	if d.Scanned || !strings.Contains(d.Reason, "partly scanned: functions could not be read") {
		t.Errorf("coverage %+v, want partly scanned without functions", d)
	}
	g := gap(t, snap, "database partial_mid: functions")
	wantFix := `in database "partial_mid": ` +
		`GRANT SELECT ON pg_catalog."pg_proc" TO "ward_scanner";`
	if !strings.Contains(g.Reason, "permission denied for table pg_proc") ||
		g.Enable != wantFix {
		t.Errorf("gap %+v", g)
	}
	for _, f := range snap.Functions {
		if strings.HasPrefix(f.Name, "partial_mid.") {
			t.Errorf("function %s listed although pg_proc was unreadable", f.Name)
		}
	}
	if !hasResource(snap, "partial_mid.public.kept.ssn") {
		t.Error("the columns read before the failure were dropped")
	}
	got := grantLines(account(t, snap, "app_svc"), "partial_mid.", false)
	if want := "partial_mid.public.kept.ssn SELECT via direct"; !strings.Contains(
		strings.Join(got, "\n"), want) {
		t.Errorf("app_svc grants %v lack %q", got, want)
	}
	if !coverage(t, snap, "ehr").Scanned {
		t.Error("ehr not scanned")
	}
}

// TestScanScannerPrivilegesRevokedMidScan revokes the scanner's
// pg_read_all_settings and pg_hba grants during the scan. Revoked while
// the first database is being read, the checks that need them become
// gaps and the recorded scanner privileges match; revoked between
// databases, what was already read stays, and the later databases (whose
// catalogs need no such grant) are complete.
func TestScanScannerPrivilegesRevokedMidScan(t *testing.T) {
	estate(t)
	const revoke = `
REVOKE pg_read_all_settings FROM ward_midscan;
REVOKE SELECT ON pg_catalog.pg_hba_file_rules FROM ward_midscan;
REVOKE EXECUTE ON FUNCTION pg_catalog.pg_hba_file_rules() FROM ward_midscan;`
	tests := []struct {
		name string
		// when is "first" (just after the first database's transaction
		// began) or the database before which to revoke.
		when     string
		wantGaps []string
		privs    int
	}{
		{name: "while reading the first database", when: "first",
			wantGaps: []string{"shared_preload_libraries", "pg_hba rules"}},
		{name: "between databases", when: "ehr", privs: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv.MustExec(t, "postgres", `
CREATE ROLE ward_midscan LOGIN PASSWORD 'FAKE-scanner-pw-1';
GRANT pg_read_all_settings TO ward_midscan;
GRANT SELECT ON pg_catalog.pg_hba_file_rules TO ward_midscan;
GRANT EXECUTE ON FUNCTION pg_catalog.pg_hba_file_rules() TO ward_midscan;`)
			t.Cleanup(func() {
				_ = srv.Exec(context.Background(), "postgres", revoke+
					"DROP ROLE IF EXISTS ward_midscan;")
			})

			c := newConnector(t, "ward_midscan", scannerPassword, "postgres")
			revoked := false
			c.afterBegin = func(ctx context.Context, db string, tx pgx.Tx) error {
				if tt.when != "first" || db != "postgres" {
					return nil
				}
				// Take the snapshot, then revoke from another session.
				if _, err := tx.Exec(ctx, "SELECT 1"); err != nil {
					return err
				}
				revoked = true
				return srv.Exec(ctx, "postgres", revoke)
			}
			c.beforeDatabase = func(ctx context.Context, db string) error {
				if db != tt.when {
					return nil
				}
				revoked = true
				return srv.Exec(ctx, "postgres", revoke)
			}
			snap, err := c.Scan(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if !revoked {
				t.Fatal("the privileges were never revoked")
			}

			var gaps []string
			for _, g := range snap.Gaps {
				switch g.Check {
				case "open sessions", "database hardened":
				default:
					gaps = append(gaps, g.Check)
				}
			}
			if strings.Join(gaps, ",") != strings.Join(tt.wantGaps, ",") {
				t.Errorf("gaps %v, want %v", gaps, tt.wantGaps)
			}
			if len(snap.ScannerPrivileges) != tt.privs {
				t.Errorf("scanner privileges %v, want %d", snap.ScannerPrivileges, tt.privs)
			}
			pg := snap.Postgres
			if (tt.privs > 0) != (pg.PreloadLibraries == "pgaudit" && pg.HBAFrom == "view") {
				t.Errorf("preload %q hba from %q with %d scanner privileges",
					pg.PreloadLibraries, pg.HBAFrom, tt.privs)
			}
			for _, db := range []string{"postgres", "ehr", "research"} {
				if !coverage(t, snap, db).Scanned {
					t.Errorf("%s not scanned", db)
				}
			}
		})
	}
}
