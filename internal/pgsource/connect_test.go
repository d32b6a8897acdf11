package pgsource

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/wardsec/ward/internal/config"
)

// closedPort returns a loopback port that nothing listens on.
func closedPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	return port
}

// TestConnectErrorsAreClearAndSecretFree checks that failed connections
// say what failed and what to do, and never carry the password.
func TestConnectErrorsAreClearAndSecretFree(t *testing.T) {
	estate(t)
	addr := fmt.Sprintf("%s:%d", srv.Host, srv.Port)
	port := closedPort(t)
	tests := []struct {
		name     string
		user, db string
		dsn      string
		password string // canaryPassword when empty
		want     []string
	}{
		{
			name: "wrong password", user: "ward_scanner", db: "postgres",
			want: []string{"source ehr-prod", "connect to " + addr, "database postgres",
				"as ward_scanner", "password authentication failed",
				"check the password reference in ward.yaml"},
		},
		{
			name: "unreachable port", user: "ward_scanner", db: "postgres",
			dsn: fmt.Sprintf("postgres://ward_scanner@127.0.0.1:%d/postgres?sslmode=disable",
				port),
			want: []string{"source ehr-prod", fmt.Sprintf("connect to 127.0.0.1:%d", port),
				"connection refused", "check the host and port"},
		},
		{
			name: "unknown database", user: "ward_scanner", db: "no_such_db",
			password: scannerPassword,
			want:     []string{"database no_such_db", "does not exist"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pw := tt.password
			if pw == "" {
				pw = canaryPassword
			}
			c := newConnector(t, tt.user, pw, tt.db, func(s *config.Source) {
				if tt.dsn != "" {
					s.DSN = tt.dsn
				}
			})
			c.ConnectTimeout = 5 * time.Second
			_, err := c.Scan(context.Background())
			if err == nil {
				t.Fatal("scan succeeded, want an error")
			}
			msg := err.Error()
			if strings.Contains(msg, canaryPassword) || strings.Contains(msg, "CANARY") {
				t.Fatalf("error holds the password: %s", msg)
			}
			if s := fmt.Sprintf("%+v %#v", err, err); strings.Contains(s, canaryPassword) {
				t.Fatalf("formatted error holds the password: %s", s)
			}
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q lacks %q", msg, w)
				}
			}
			var ce *ConnectError
			if !errors.As(err, &ce) {
				t.Errorf("error is %T, want *ConnectError", err)
			}
		})
	}
}

// TestNewRejectsBadSources checks the source validation of New, and that
// a malformed DSN is not echoed (it could hold a password).
func TestNewRejectsBadSources(t *testing.T) {
	tests := []struct {
		name string
		src  config.Source
		want string
	}{
		{"wrong type", config.Source{Name: "x", Type: "mysql", DSN: "postgres://a@b/c"},
			`type "mysql" is not "postgres"`},
		{"empty dsn", config.Source{Name: "x", Type: SourceType}, "dsn is empty"},
		{"malformed dsn", config.Source{Name: "x", Type: SourceType,
			DSN: "postgres://u:CANARY-in-dsn@host:notaport/db"}, "dsn cannot be parsed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.src, nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("New error = %v, want it to contain %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "CANARY") {
				t.Errorf("error echoes the dsn's password: %v", err)
			}
		})
	}
}

// TestScanSessionIsReadOnly checks, from inside the connector's own
// transactions, that every session is read-only, carries the timeouts and
// application name, and is the only scanner session open.
func TestScanSessionIsReadOnly(t *testing.T) {
	estate(t)
	ctx := context.Background()
	super, err := pgx.Connect(ctx, srv.SuperDSN("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer super.Close(ctx)

	c := newConnector(t, "ward_scanner", scannerPassword, "postgres")
	c.StatementTimeout = 12 * time.Second
	c.LockTimeout = 3 * time.Second
	var seen []string
	c.afterBegin = func(ctx context.Context, db string, tx pgx.Tx) error {
		seen = append(seen, db)
		settings := map[string]string{
			"transaction_read_only":         "on",
			"default_transaction_read_only": "on",
			"transaction_isolation":         "repeatable read",
			"application_name":              ApplicationName,
			"statement_timeout":             "12s",
			"lock_timeout":                  "3s",
		}
		for name, want := range settings {
			var got string
			if err := tx.QueryRow(ctx, "SELECT current_setting($1)", name).Scan(&got); err != nil {
				return err
			}
			if got != want {
				t.Errorf("%s: %s = %q, want %q", db, name, got, want)
			}
		}

		// A write must be refused by the server.
		err := optional(ctx, tx, func(sp pgx.Tx) error {
			_, err := sp.Exec(ctx, "CREATE TEMP TABLE ward_must_not_exist (x int)")
			return err
		})
		var pgErr *pgconn.PgError
		if !errors.As(err, &pgErr) || pgErr.Code != "25006" {
			t.Errorf("%s: write in the scan transaction gave %v, want read_only_sql_transaction",
				db, err)
		}

		// One connection at a time: this one. A session closed a moment
		// ago may still be listed while its backend exits, so wait a
		// little for it to go; a connection still open would stay.
		var n int
		for try := 0; try < 50; try++ {
			err = super.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity
				WHERE application_name = $1`, ApplicationName).Scan(&n)
			if err != nil || n == 1 {
				break
			}
			time.Sleep(40 * time.Millisecond)
		}
		if err != nil {
			return err
		}
		if n != 1 {
			t.Errorf("%s: %d scanner sessions open, want 1", db, n)
		}
		return nil
	}
	if _, err := c.Scan(ctx); err != nil {
		t.Fatal(err)
	}
	want := []string{"postgres", "ehr", "research"}
	if strings.Join(seen, ",") != strings.Join(want, ",") {
		t.Errorf("transactions on %v, want %v", seen, want)
	}
}

// TestScanDatabaseDroppedMidScan drops a database after the scan listed it
// and checks that it is recorded as not scanned while the rest is.
func TestScanDatabaseDroppedMidScan(t *testing.T) {
	estate(t)
	ctx := context.Background()
	if err := srv.Exec(ctx, "postgres", "CREATE DATABASE doomed"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Exec(ctx, "postgres", "DROP DATABASE IF EXISTS doomed") })

	c := newConnector(t, "ward_scanner", scannerPassword, "postgres")
	c.afterBegin = func(ctx context.Context, db string, tx pgx.Tx) error {
		if db != "postgres" {
			return nil
		}
		// Take the transaction's snapshot first, so the list of databases
		// still shows doomed, then drop it from another session.
		if _, err := tx.Exec(ctx, "SELECT 1"); err != nil {
			return err
		}
		return srv.Exec(ctx, "postgres", "DROP DATABASE doomed")
	}
	snap, err := c.Scan(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var doomed, ehr bool
	for _, d := range snap.Databases {
		switch d.Name {
		case "doomed":
			doomed = true
			if d.Scanned || !strings.Contains(d.Reason, "does not exist") {
				t.Errorf("doomed coverage = %+v, want not scanned, does not exist", d)
			}
		case "ehr":
			ehr = d.Scanned
		}
	}
	if !doomed || !ehr {
		t.Errorf("databases %+v: want doomed recorded and ehr scanned", snap.Databases)
	}
	if snap.Complete() {
		t.Error("snapshot with a database not scanned says it is complete")
	}
}

// TestScanAuditTrailShowsReadsOnly scans with pg_read_all_stats and then
// reads the server's own csvlog, where pgaudit records every statement of
// the scanner's sessions: all must be reads, none may touch
// pg_stat_statements or the query text of pg_stat_activity.
func TestScanAuditTrailShowsReadsOnly(t *testing.T) {
	snap := scanAs(t, "ward_stats")
	for _, g := range snap.Gaps {
		if g.Check == "open sessions" {
			t.Fatal("the sessions query did not run, so the test would prove nothing")
		}
	}

	var audit []string
	for try := 0; try < 50 && len(audit) == 0; try++ {
		audit = scannerAuditRows(t, "ward_stats")
		if len(audit) == 0 {
			time.Sleep(100 * time.Millisecond)
		}
	}
	if len(audit) == 0 {
		t.Fatal("no pgaudit rows for the scanner's sessions in the server log")
	}
	sawActivity := false
	for _, msg := range audit {
		fields := strings.SplitN(strings.TrimPrefix(msg, "AUDIT: "), ",", 5)
		if len(fields) < 5 || fields[3] != "READ" {
			t.Errorf("scanner statement audited as other than READ: %s", msg)
		}
		if strings.Contains(msg, "pg_stat_statements") {
			t.Errorf("scanner read pg_stat_statements: %s", msg)
		}
		if strings.Contains(msg, "pg_stat_activity") {
			sawActivity = true
			if strings.Contains(msg, "query") {
				t.Errorf("scanner selected from pg_stat_activity with query: %s", msg)
			}
		}
	}
	if !sawActivity {
		t.Error("the sessions query is not in the audit trail")
	}
	t.Logf("%d audited scanner statements checked", len(audit))
}

// scannerAuditRows returns the pgaudit messages logged for user's
// ward-scanner sessions in the test server's csvlog files.
func scannerAuditRows(t *testing.T, user string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(srv.Dir, "log", "*.csv"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		r := csv.NewReader(f)
		r.FieldsPerRecord = -1
		for {
			rec, err := r.Read()
			if err != nil {
				break
			}
			// csvlog columns: 1 user_name, 13 message, 22 application_name.
			if len(rec) > 22 && rec[1] == user && rec[22] == ApplicationName &&
				strings.HasPrefix(rec[13], "AUDIT: ") {
				out = append(out, rec[13])
			}
		}
		f.Close()
	}
	return out
}
