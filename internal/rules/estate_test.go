package rules

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/wardsec/ward/internal/classify"
	"github.com/wardsec/ward/internal/config"
	"github.com/wardsec/ward/internal/inventory"
	"github.com/wardsec/ward/internal/pglog"
	"github.com/wardsec/ward/internal/pgsource"
	"github.com/wardsec/ward/internal/pgtest"
	"github.com/wardsec/ward/internal/phi"
	"github.com/wardsec/ward/internal/secret"
	"github.com/wardsec/ward/internal/usage"
)

// The credentials the corpus logs hold on purpose (corpus/SOURCES.md).
var corpusCanaries = []string{"leak-test-3", "contractor-pass-9", "legacy-pass-1",
	"CANARY-multi-stmt-1", "CANARY-user-mapping-3"}

// The passwords the corpus setup script gives its roles: throwaway
// values, but they must not reach any output either.
var setupPasswords = []string{"scanner-pass-1", "app-svc-pass-1", "alice-pass-1",
	"noinh-pass-1", "repl-pass-1", "bypass-pass-1", "bob-pass-1", "legacy-pass-1"}

// FAKE passwords this test sets on the rebuilt server.
const (
	estateScannerPW = "FAKE-estate-scanner-9"
	estateAppPW     = "FAKE-estate-app-4"
)

// corpusUsageCSV parses the csvlog files of the seven corpus phases, in
// order, into the usage of source "corpus", and returns the file names.
func corpusUsageCSV(t *testing.T, dir string) (*usage.Usage, []string) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "pg15-pgaudit17-*.csv"))
	if err != nil || len(files) != 7 {
		t.Fatalf("want the 7 csvlog phases in %s, found %v (%v)", dir, files, err)
	}
	sort.Strings(files)
	p, err := pglog.New(pglog.Options{Source: "corpus"})
	if err != nil {
		t.Fatal(err)
	}
	b := usage.NewBuilder("corpus", usage.Options{})
	for _, f := range files {
		r, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		_, err = p.Parse(context.Background(), r, filepath.Base(f), pglog.Sink{
			Event:    func(ev inventory.Event) error { b.Add(ev); return nil },
			Exposure: func(x inventory.Exposure) error { b.AddExposure(x); return nil },
		})
		r.Close()
		if err != nil {
			t.Fatal(err)
		}
	}
	return b.Usage(), files
}

// replay runs a SQL script of the corpus workload statement by statement
// on one connection (it sets session settings), starting in database db;
// a CREATE DATABASE statement is followed by a switch to that database,
// as the run that made the corpus did.
func replay(t *testing.T, srv *pgtest.Server, db, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, srv.SuperDSN(db))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { conn.Close(ctx) }()
	for _, stmt := range strings.SplitAfter(string(b), ";\n") {
		if strings.TrimSpace(stmt) == "" {
			continue
		}
		if _, err := conn.Exec(ctx, stmt, pgx.QueryExecModeSimpleProtocol); err != nil {
			// The statement may hold a password: name only its start.
			t.Fatalf("%s: %.30s...: %v", filepath.Base(path), stmt, err)
		}
		var name string
		if _, err := fmt.Sscanf(stmt, "CREATE DATABASE %s", &name); err == nil {
			conn.Close(ctx)
			db = name
			if conn, err = pgx.Connect(ctx, srv.SuperDSN(db)); err != nil {
				t.Fatal(err)
			}
		}
	}
	return db
}

// scannerSQL returns the SQL block after marker in docs/scanner-role.md.
func scannerSQL(t *testing.T, marker string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "docs", "scanner-role.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(b), "<!-- "+marker+" -->")
	_, rest, ok2 := strings.Cut(rest, "```sql\n")
	sql, _, ok3 := strings.Cut(rest, "```")
	if !ok || !ok2 || !ok3 {
		t.Fatalf("docs/scanner-role.md: no sql block after %s", marker)
	}
	return sql
}

// scanEstate scans the server as the documented minimal scanner role.
func scanEstate(t *testing.T, srv *pgtest.Server) *inventory.Snapshot {
	t.Helper()
	c, err := pgsource.New(config.Source{Name: "corpus", Type: pgsource.SourceType,
		DSN: srv.DSN("ward_scanner", "", "postgres"), Password: secret.New(estateScannerPW)},
		slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	snap, err := c.Scan(context.Background())
	if err != nil {
		t.Fatalf("scan: %v", err)
	}
	snap.Source, snap.Type = "corpus", pgsource.SourceType
	snap.RedactSecrets()
	m, err := phi.NewMatcher(config.PHIPatterns{})
	if err != nil {
		t.Fatal(err)
	}
	m.Mark(snap)
	return snap
}

// TestCorpusEstate rebuilds the corpus server's estate from
// pg-logs/workload/ on a test server, scans it with the documented scanner
// role, reads the corpus logs, and runs the rules with the usage. It then
// applies the DB-GRANT-UNUSED fix of app_svc to the server, checks that
// app_svc can still do everything the logs show it doing and nothing it
// did not, and rolls the fix back.
func TestCorpusEstate(t *testing.T) {
	root := os.Getenv("WARD_CORPUS")
	if root == "" {
		root = filepath.Join("..", "..", "..", "shared", "corpus")
	}
	if _, err := os.Stat(filepath.Join(root, "pg-logs", "workload")); err != nil {
		t.Skipf("CORPUS ABSENT: %s not found (set WARD_CORPUS to the shared corpus); this "+
			"test rebuilds the corpus server from pg-logs/workload and reads its logs",
			filepath.Join(root, "pg-logs"))
	}
	if testing.Short() {
		t.Skip("starts a PostgreSQL server")
	}
	u, files := corpusUsageCSV(t, filepath.Join(root, "pg-logs"))

	ctx := context.Background()
	srv, err := pgtest.Start(ctx, pgtest.Options{Settings: []string{
		"pgaudit.log = 'read,write,ddl,role'", "pgaudit.log_relation = on"}})
	if err != nil {
		t.Fatalf("start a test server: %v", err)
	}
	t.Cleanup(func() { srv.Stop() })
	work := filepath.Join(root, "pg-logs", "workload")
	db := replay(t, srv, "postgres", filepath.Join(work, "01_setup.sql"))
	if db != "ehr" {
		t.Fatalf("01_setup.sql ended in database %q, want ehr", db)
	}
	replay(t, srv, "ehr", filepath.Join(work, "02_schema.sql"))
	srv.MustExec(t, "postgres", scannerSQL(t, "ward:scanner-role-cluster"))
	srv.MustExec(t, "postgres", scannerSQL(t, "ward:scanner-role-dsn-database"))
	srv.MustExec(t, "postgres", "ALTER ROLE ward_scanner PASSWORD '"+estateScannerPW+"'")

	snap := scanEstate(t, srv)
	classify.ClassifyUsage(snap, nil, u)
	// "Now" is an hour after the last corpus line, so the run is the same
	// whatever the clock says.
	snap.StartedAt = u.Window.End.Add(time.Hour)
	fs := Evaluate(Input{Snapshot: snap, Usage: u})

	t.Run("no secret in any output", func(t *testing.T) {
		out, err := json.Marshal(struct {
			F []inventory.Finding
			U *usage.Usage
			A []inventory.Account
		}{fs, u, snap.Accounts})
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range append(slices.Clone(corpusCanaries), setupPasswords...) {
			if strings.Contains(string(out), s) {
				t.Errorf("%q reached the findings, the usage or the accounts", s)
			}
		}
	})

	t.Run("every canary is an exposure finding", func(t *testing.T) {
		for _, c := range corpusCanaries {
			places := grepLines(t, files, c)
			if len(places) == 0 {
				t.Fatalf("canary %q is in no csvlog file", c)
			}
			for _, at := range places {
				n := 0
				for _, f := range only(fs, "CRED-EXPOSED-IN-LOGS") {
					if strings.HasSuffix(f.Resource, " at "+at) {
						n++
					}
				}
				if n != 1 {
					t.Errorf("canary %q at %s: %d CRED-EXPOSED-IN-LOGS findings, want 1", c, at, n)
				}
			}
		}
		// The five canaries, on the accounts whose credentials they are.
		var got []string
		for _, f := range only(fs, "CRED-EXPOSED-IN-LOGS") {
			got = append(got, f.AccountID+" "+strings.SplitN(f.Resource, " ", 2)[0])
		}
		want := []string{"corpus/app_svc role_password", "corpus/app_svc user_mapping",
			"corpus/canary_one role_password", "corpus/legacy_md5_svc role_password",
			"corpus/temp_contractor role_password"}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("exposure findings (-want +got):\n%s", d)
		}
	})

	t.Run("interactive use of service accounts", func(t *testing.T) {
		var got []string
		for _, f := range only(fs, "SA-INTERACTIVE-USE") {
			got = append(got, f.AccountID+" "+f.Resource)
		}
		// psql: app_svc in phase 07, legacy_md5_svc in 04, and the corpus's
		// own scanner login, run by hand with psql in 04 and 07 (SOURCES.md).
		// alice's DBeaver is a person's tool in a person's hands.
		want := []string{"corpus/app_svc interactive-programs",
			"corpus/legacy_md5_svc interactive-programs", "corpus/scanner interactive-programs"}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("SA-INTERACTIVE-USE findings (-want +got):\n%s", d)
		}
	})

	t.Run("no finding the window cannot support", func(t *testing.T) {
		for _, id := range []string{"ACCT-UNUSED", "AUTH-FAILURES-SA", "ACCT-SHARED-CREDENTIAL"} {
			if n := len(only(fs, id)); n != 0 {
				t.Errorf("%s: %d findings over seven minutes of logs from one host", id, n)
			}
		}
	})

	t.Run("use after SET ROLE counts for the login", func(t *testing.T) {
		// workload_d.sh: noinherit_svc inserts after SET ROLE clinical_write.
		f := findOne(t, fs, "DB-GRANT-UNUSED", "corpus/noinherit_svc", "grants")
		for _, want := range []string{
			"INSERT on table ehr.clinical.encounter (PHI): used once",
			"no fix generated: the account is NOINHERIT",
		} {
			if !hasEvidence(f, want) {
				t.Errorf("evidence lacks %q:\n%s", want, strings.Join(f.Evidence, "\n"))
			}
		}
	})

	f := findOne(t, fs, "DB-GRANT-UNUSED", "corpus/app_svc", "grants")
	t.Run("app_svc's unused grants", func(t *testing.T) {
		for _, want := range []string{
			"PROVISIONAL: the logs cover 6 minutes",
			"INSERT on table ehr.clinical.patient (PHI), through clinical_write",
			"UPDATE on table ehr.clinical.encounter (PHI), through clinical_write",
			"INSERT on table ehr.clinical.encounter (PHI): used 2 times",
			"UPDATE on table ehr.clinical.patient (PHI): used 4 times",
		} {
			if !hasEvidence(f, want) {
				t.Errorf("evidence lacks %q:\n%s", want, strings.Join(f.Evidence, "\n"))
			}
		}
		if !hasEvidence(f, "2 of the ") {
			t.Errorf("want exactly two unused privileges:\n%s", strings.Join(f.Evidence, "\n"))
		}
		if f.Fix == nil {
			t.Fatal("no fix")
		}
	})
	if f.Fix == nil {
		return
	}
	applyGrantFix(t, srv, snap, f.Fix)
}

// grepLines returns "file:line" for every line of files holding s.
func grepLines(t *testing.T, files []string, s string) []string {
	t.Helper()
	var out []string
	for _, f := range files {
		r, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(r)
		sc.Buffer(nil, 1<<20)
		for n := 1; sc.Scan(); n++ {
			if strings.Contains(sc.Text(), s) {
				out = append(out, fmt.Sprintf("%s:%d", filepath.Base(f), n))
			}
		}
		r.Close()
	}
	return out
}

// appWorkload is what the corpus logs show app_svc doing (workload.sh,
// workload_b.sh, workload_c.sh, pgbench_ext.sql), less the statements
// that failed then (the CREATE TABLE AS) or change roles (its password).
var appWorkload = []string{
	"INSERT INTO clinical.encounter (patient_id, reason) VALUES (1, 'follow-up')",
	"UPDATE clinical.patient SET notes = 'called' WHERE mrn = 'MRN001'",
	"SELECT mrn, ssn FROM clinical.patient WHERE mrn = 'MRN002'",
	"INSERT INTO etl_staging VALUES (1, '{\"a\": \"x,y\"}')",
	"DO $$ BEGIN PERFORM count(*) FROM clinical.encounter; END $$",
	"PREPARE q1(text) AS SELECT full_name FROM clinical.patient WHERE mrn = $1",
	"EXECUTE q1('MRN002')",
	"DEALLOCATE q1",
	"SELECT mrn, full_name FROM clinical.patient WHERE patient_id = 1",
	"UPDATE clinical.patient SET dob = dob WHERE patient_id = 1",
	"SELECT mrn, ssn FROM clinical.patient",
}

// runAsApp runs the workload as app_svc and returns how many encounter
// rows it sees (row-level security shows it its own).
func runAsApp(t *testing.T, srv *pgtest.Server) int {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, srv.DSN("app_svc", estateAppPW, "ehr"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	for _, stmt := range appWorkload {
		if _, err := conn.Exec(ctx, stmt, pgx.QueryExecModeSimpleProtocol); err != nil {
			t.Errorf("as app_svc: %s: %v", stmt, err)
		}
	}
	if _, err := conn.PgConn().CopyTo(ctx, io.Discard,
		"COPY clinical.patient (mrn, full_name) TO STDOUT"); err != nil {
		t.Errorf("as app_svc: COPY: %v", err)
	}
	var n int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM clinical.encounter").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// denied reports whether stmt, run as app_svc, is refused for lack of a
// privilege.
func denied(t *testing.T, srv *pgtest.Server, stmt string) bool {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, srv.DSN("app_svc", estateAppPW, "ehr"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, stmt)
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "42501"
}

// policyRoles lists each policy of clinical.encounter with its roles.
func policyRoles(t *testing.T, srv *pgtest.Server) []string {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, srv.SuperDSN("ehr"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT policyname || ' ' || array_to_string(roles, ',')
		FROM pg_policies WHERE tablename = 'encounter' ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// applyGrantFix applies fix (app_svc's DB-GRANT-UNUSED fix) and its
// rollback on the server, checking each step.
func applyGrantFix(t *testing.T, srv *pgtest.Server, before *inventory.Snapshot,
	fix *inventory.Fix) {
	srv.MustExec(t, "postgres", "ALTER ROLE app_svc PASSWORD '"+estateAppPW+"'")
	policies := policyRoles(t, srv)
	seen := runAsApp(t, srv)
	if seen == 0 {
		t.Fatal("app_svc sees none of its own encounter rows before the fix")
	}
	// What app_svc did not use works before the fix.
	unused := []string{
		"INSERT INTO clinical.patient (mrn, full_name) VALUES ('MRN-FIX-1', 'Fix Test')",
		"UPDATE clinical.encounter SET reason = reason WHERE false",
	}
	for _, stmt := range unused {
		if denied(t, srv, stmt) {
			t.Fatalf("before the fix app_svc may not run %s", stmt)
		}
	}

	t.Run("apply", func(t *testing.T) {
		// Twice: a fix may be run again without harm.
		srv.MustExec(t, "ehr", fix.Apply)
		srv.MustExec(t, "ehr", fix.Apply)
		for _, stmt := range unused {
			if !denied(t, srv, stmt) {
				t.Errorf("after the fix app_svc may still run %s", stmt)
			}
		}
		// What it used still works, and it sees the same rows, plus the
		// one its workload adds now.
		if got := runAsApp(t, srv); got != seen+1 {
			t.Errorf("app_svc sees %d encounter rows after the fix, want %d", got, seen+1)
		}
	})

	t.Run("rollback", func(t *testing.T) {
		srv.MustExec(t, "ehr", fix.Rollback)
		srv.MustExec(t, "ehr", fix.Rollback)
		for _, stmt := range unused {
			if denied(t, srv, stmt) {
				t.Errorf("after the rollback app_svc may not run %s", stmt)
			}
		}
		if d := cmp.Diff(policies, policyRoles(t, srv)); d != "" {
			t.Errorf("policies after the rollback (-before +after):\n%s", d)
		}
		after := scanEstate(t, srv)
		for _, name := range []string{"app_svc", "alice", "noinherit_svc"} {
			b, a := accountNamed(before, name), accountNamed(after, name)
			if d := cmp.Diff(b.Grants, a.Grants); d != "" {
				t.Errorf("%s's grants after the rollback (-before +after):\n%s", name, d)
			}
			if d := cmp.Diff(b.Memberships, a.Memberships); d != "" {
				t.Errorf("%s's memberships after the rollback (-before +after):\n%s", name, d)
			}
		}
	})
}

func accountNamed(s *inventory.Snapshot, name string) inventory.Account {
	for _, a := range s.Accounts {
		if a.Name == name {
			return a
		}
	}
	return inventory.Account{}
}
