package estategen

import (
	"context"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/wardsec/ward/internal/config"
	"github.com/wardsec/ward/internal/inventory"
	"github.com/wardsec/ward/internal/pgsource"
	"github.com/wardsec/ward/internal/pgtest"
	"github.com/wardsec/ward/internal/secret"
)

var srv *pgtest.Server

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m, &srv)) }

// scannerPassword is the FAKE password of the test scanner login.
const scannerPassword = "FAKE-estate-scanner-pw"

var smallOnce sync.Once
var smallResult *Result
var smallErr error

// smallEstate builds the scale 0.01 estate on the package's server once.
func smallEstate(t *testing.T) *Result {
	t.Helper()
	smallOnce.Do(func() {
		ctx := context.Background()
		smallResult, smallErr = Generate(ctx, Config{Scale: 0.01, Seed: 1,
			DSN: srv.SuperDSN, DataDir: srv.Dir})
		if smallErr == nil {
			smallErr = CreateScanner(ctx, srv.SuperDSN("postgres"), "ward_scanner",
				scannerPassword)
		}
	})
	if smallErr != nil {
		t.Fatalf("generate the small estate: %v", smallErr)
	}
	return smallResult
}

// queryInt runs a query returning one integer as the superuser on db.
func queryInt(t *testing.T, db, sql string) int {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, srv.SuperDSN(db))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var n int
	if err := conn.QueryRow(ctx, sql).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

// userSchemas keeps the estate's schemas, as pgsource does.
const userSchemas = `n.nspname <> 'information_schema' AND n.nspname !~ '^pg_'
  AND n.nspname <> 'public'`

// aclEntriesQuery counts the (grantee, privilege) items on schemas,
// relations and columns that are not the owner's own.
const aclEntriesQuery = `
SELECT (SELECT count(*) FROM pg_namespace n, aclexplode(n.nspacl) x
        WHERE ` + userSchemas + ` AND x.grantee <> n.nspowner)
     + (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace,
               aclexplode(c.relacl) x
        WHERE ` + userSchemas + ` AND x.grantee <> c.relowner)`

const columnEntriesQuery = `
SELECT count(*) FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace, aclexplode(a.attacl) x
WHERE ` + userSchemas + ` AND a.attnum > 0`

// TestGenerateSmall builds the estate at scale 0.01 and checks it on the
// server's catalogs against the shape and the counts the generator
// reports.
func TestGenerateSmall(t *testing.T) {
	res := smallEstate(t)
	s := res.Shape
	if s != ShapeFor(0.01) {
		t.Errorf("shape %+v, want ShapeFor(0.01) = %+v", s, ShapeFor(0.01))
	}

	depth := `
WITH RECURSIVE up(member, role, depth) AS (
  SELECT member, roleid, 1 FROM pg_auth_members
  UNION ALL
  SELECT up.member, am.roleid, up.depth + 1 FROM up JOIN pg_auth_members am
    ON am.member = up.role)
SELECT max(depth) FROM up`
	var schemas, tables, entries, columns int
	for _, db := range Databases {
		schemas += queryInt(t, db, `SELECT count(*) FROM pg_namespace n WHERE `+userSchemas)
		tables += queryInt(t, db, `SELECT count(*) FROM pg_class c
			JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'r' AND `+
			userSchemas)
		entries += queryInt(t, db, aclEntriesQuery)
		columns += queryInt(t, db, columnEntriesQuery)
	}

	tests := []struct {
		name      string
		got, want int
	}{
		{"roles", queryInt(t, "postgres", `SELECT count(*) FROM pg_roles
			WHERE rolname ~ '^(div|dept|team|svc|u)_'`), s.Roles()},
		{"logins", queryInt(t, "postgres", `SELECT count(*) FROM pg_roles
			WHERE rolcanlogin AND rolname ~ '^(svc|u)_'`), s.Logins},
		{"memberships", queryInt(t, "postgres", `SELECT count(*) FROM pg_auth_members am
			JOIN pg_roles r ON r.oid = am.roleid WHERE r.rolname ~ '^(div|dept|team)_'`),
			res.Stats.Memberships},
		// Three hops from a login to a division, never more.
		{"membership depth", queryInt(t, "postgres", depth), 3},
		{"databases", queryInt(t, "postgres", `SELECT count(*) FROM pg_database
			WHERE datname LIKE 'est\_%'`), len(Databases)},
		{"schemas", schemas, s.Schemas},
		{"tables", tables, s.Tables},
		{"acl entries", entries + columns, res.Stats.ACLEntries},
		{"column entries", columns, res.Stats.ColumnEntries},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("%s = %d, want %d", tt.name, tt.got, tt.want)
			}
		})
	}
	// Ten entries a table, as at scale 1, give or take the draw.
	if per := float64(res.Stats.ACLEntries) / float64(s.Tables); per < 8 || per > 12 {
		t.Errorf("%.1f ACL entries a table, want about 10", per)
	}
	if res.Stats.ColumnEntries == 0 || res.Stats.Functions != s.Schemas {
		t.Errorf("stats %+v: want column grants and one function a schema", res.Stats)
	}
}

// TestGenerateRefusals checks the generator's guards.
func TestGenerateRefusals(t *testing.T) {
	smallEstate(t)
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"not loopback", Config{Scale: 0.01, DSN: func(string) string {
			return "postgres://u@192.0.2.1:5432/postgres"
		}}, `refusing host "192.0.2.1"`},
		{"estate exists", Config{Scale: 0.01, DSN: srv.SuperDSN}, "already holds est_"},
		{"no room", Config{Scale: 1e9, DSN: srv.SuperDSN, DataDir: srv.Dir},
			"free some space"},
		{"bad scale", Config{Scale: 0, DSN: srv.SuperDSN}, "scale must be positive"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_, err := Generate(ctx, tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Generate error = %v, want %q", err, tt.want)
			}
		})
	}
}

// scan scans the estate on server s as the minimal scanner.
func scan(tb testing.TB, s *pgtest.Server) *inventory.Snapshot {
	tb.Helper()
	c, err := pgsource.New(config.Source{Name: "estate", Type: pgsource.SourceType,
		DSN: s.DSN("ward_scanner", "", "postgres"), Password: secret.New(scannerPassword)}, nil)
	if err != nil {
		tb.Fatal(err)
	}
	snap, err := c.Scan(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	return snap
}

// TestScanSmallEstate scans the small estate with the real connector and
// checks that it covers all of it.
func TestScanSmallEstate(t *testing.T) {
	res := smallEstate(t)
	snap := scan(t, srv)
	if !snap.Complete() {
		t.Fatalf("scan not complete: %+v", snap.Databases)
	}
	tables, columns := 0, 0
	for _, r := range snap.Resources {
		switch r.Type {
		case "table":
			tables++
		case "column":
			columns++
		}
	}
	if tables != res.Shape.Tables || columns != res.Shape.Tables*res.Shape.Columns {
		t.Errorf("%d tables and %d columns, want %d and %d", tables, columns,
			res.Shape.Tables, res.Shape.Tables*res.Shape.Columns)
	}
	// Every login of the estate, the bootstrap superuser and the scanner.
	if n := len(snap.Accounts); n != res.Shape.Logins+2 {
		t.Errorf("%d accounts, want %d", n, res.Shape.Logins+2)
	}
	if n := len(snap.Functions); n != res.Stats.Functions {
		t.Errorf("%d functions, want %d", n, res.Stats.Functions)
	}
}

// BenchmarkScanEstate scans the benchmark estate with the real connector.
// It needs WARD_BENCH_ESTATE=1 (building the estate takes a minute or two
// and about a gigabyte); WARD_BENCH_SCALE changes the scale (default 1).
// It starts its own server, so the small test estate is not in the way.
func BenchmarkScanEstate(b *testing.B) {
	if os.Getenv("WARD_BENCH_ESTATE") != "1" {
		b.Skip("set WARD_BENCH_ESTATE=1 to build the scale-1 estate and scan it")
	}
	scale := 1.0
	if v := os.Getenv("WARD_BENCH_SCALE"); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f <= 0 {
			b.Fatalf("WARD_BENCH_SCALE=%q: want a positive number", v)
		}
		scale = f
	}
	ctx := context.Background()
	s, err := pgtest.Start(ctx, pgtest.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = s.Stop() })
	res, err := Generate(ctx, Config{Scale: scale, Seed: 1, DSN: s.SuperDSN, DataDir: s.Dir})
	if err != nil {
		b.Fatal(err)
	}
	if err := CreateScanner(ctx, s.SuperDSN("postgres"), "ward_scanner",
		scannerPassword); err != nil {
		b.Fatal(err)
	}
	b.Logf("estate: %+v %+v, built in %s", res.Shape, res.Stats, res.Elapsed.Round(time.Second))

	b.ReportAllocs()
	b.ResetTimer()
	var grants, resources int
	for b.Loop() {
		snap := scan(b, s)
		grants, resources = 0, len(snap.Resources)
		for _, a := range snap.Accounts {
			grants += len(a.Grants)
		}
	}
	b.ReportMetric(float64(grants), "grants")
	b.ReportMetric(float64(resources), "resources")
}
