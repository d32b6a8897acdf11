package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
)

// appliedVersions lists the versions recorded in schema_migrations, with
// the times they were applied.
func appliedVersions(t *testing.T, db *sql.DB) map[int]string {
	t.Helper()
	rows, err := db.Query(`SELECT version, applied_at FROM schema_migrations`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	got := make(map[int]string)
	for rows.Next() {
		var v int
		var at string
		if err := rows.Scan(&v, &at); err != nil {
			t.Fatal(err)
		}
		got[v] = at
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return got
}

func shippedVersions(t *testing.T) int {
	t.Helper()
	ms, err := loadMigrations(migrationFiles)
	if err != nil {
		t.Fatalf("shipped migrations: %v", err)
	}
	if len(ms) == 0 {
		t.Fatal("no migrations are embedded")
	}
	return len(ms)
}

func TestMigrationsApplyOnceAndSurviveReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ward.db")
	n := shippedVersions(t)

	s := openAt(t, path)
	first := appliedVersions(t, s.db)
	if len(first) != n {
		t.Fatalf("after first open, %d versions recorded, want %d", len(first), n)
	}
	for v := 1; v <= n; v++ {
		if _, ok := first[v]; !ok {
			t.Errorf("version %d is not recorded", v)
		}
	}
	save(t, s, newScan("s1", t0, nil))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = openAt(t, path)
	again := appliedVersions(t, s.db)
	for v, at := range first {
		if again[v] != at {
			t.Errorf("version %d applied at %q, after reopen %q: applied twice", v, at, again[v])
		}
	}
	if len(again) != n {
		t.Errorf("after reopen, %d versions recorded, want %d", len(again), n)
	}
	if _, err := s.LatestScan(context.Background()); err != nil {
		t.Errorf("LatestScan after reopen: %v", err)
	}
}

func TestOpenRefusesNewerStore(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ward.db")
	n := shippedVersions(t)
	s := openAt(t, path)
	_, err := s.db.Exec(`INSERT INTO schema_migrations (version, name, applied_at)
		VALUES (?, 'from the future', '2030-01-01T00:00:00.000000000Z')`, n+1)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()

	s2, err := Open(context.Background(), path)
	if err == nil {
		s2.Close()
		t.Fatal("Open of a newer store succeeded, want an error")
	}
	if !errors.Is(err, ErrNewerSchema) {
		t.Errorf("Open error = %v, want one wrapping ErrNewerSchema", err)
	}
	for _, want := range []string{fmt.Sprint(n + 1), fmt.Sprint(n), "upgrade ward"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Open error %q does not mention %q", err, want)
		}
	}
}

// rawDB opens an SQLite file without migrating it.
func rawDB(t *testing.T) *sql.DB {
	t.Helper()
	dsn, err := dataSourceName(filepath.Join(t.TempDir(), "raw.db"))
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func tableExists(t *testing.T, db *sql.DB, name string) bool {
	t.Helper()
	var n int
	err := db.QueryRow(`SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = ?`,
		name).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	return n == 1
}

func TestMigrateUpgradesOldStore(t *testing.T) {
	ctx := context.Background()
	db := rawDB(t)
	v1 := fstest.MapFS{
		"migrations/0001_first.sql": {Data: []byte(`CREATE TABLE a (x INTEGER);`)},
	}
	if err := migrate(ctx, db, v1); err != nil {
		t.Fatalf("migrate v1: %v", err)
	}
	if _, err := db.Exec(`INSERT INTO a (x) VALUES (?)`, 7); err != nil {
		t.Fatal(err)
	}

	v2 := fstest.MapFS{
		"migrations/0001_first.sql": v1["migrations/0001_first.sql"],
		"migrations/0002_second.sql": {Data: []byte(`
			CREATE TABLE b (y INTEGER);
			INSERT INTO b (y) SELECT x * 2 FROM a;`)},
	}
	if err := migrate(ctx, db, v2); err != nil {
		t.Fatalf("migrate v2: %v", err)
	}

	if got := appliedVersions(t, db); len(got) != 2 {
		t.Errorf("versions recorded = %v, want 1 and 2", got)
	}
	var y int
	if err := db.QueryRow(`SELECT y FROM b`).Scan(&y); err != nil {
		t.Fatalf("read table of migration 2: %v", err)
	}
	if y != 14 {
		t.Errorf("migration 2 copied %d, want 14", y)
	}
}

func TestMigrateFailureRollsBack(t *testing.T) {
	ctx := context.Background()
	db := rawDB(t)
	files := fstest.MapFS{
		"migrations/0001_first.sql": {Data: []byte(`CREATE TABLE a (x INTEGER);`)},
		"migrations/0002_broken.sql": {Data: []byte(`
			CREATE TABLE b (y INTEGER);
			INSERT INTO no_such_table VALUES (1);`)},
	}
	err := migrate(ctx, db, files)
	if err == nil {
		t.Fatal("migrate with a broken migration succeeded")
	}
	if !strings.Contains(err.Error(), "0002_broken.sql") {
		t.Errorf("error %q does not name the broken migration", err)
	}

	if got := appliedVersions(t, db); len(got) != 1 || got[1] == "" {
		t.Errorf("versions recorded = %v, want only 1", got)
	}
	if !tableExists(t, db, "a") {
		t.Error("table of migration 1 is missing")
	}
	if tableExists(t, db, "b") {
		t.Error("table b of the failed migration 2 was kept")
	}
}

func TestLoadMigrationsRejectsBadSets(t *testing.T) {
	sql := &fstest.MapFile{Data: []byte(`SELECT 1;`)}
	tests := []struct {
		name  string
		files fstest.MapFS
		want  string
	}{
		{"no number", fstest.MapFS{"migrations/first.sql": sql}, "NNNN_description"},
		{"zero", fstest.MapFS{"migrations/0000_zero.sql": sql}, "NNNN_description"},
		{"gap", fstest.MapFS{
			"migrations/0001_a.sql": sql,
			"migrations/0003_c.sql": sql,
		}, "expected version 2"},
		{"duplicate", fstest.MapFS{
			"migrations/0001_a.sql":  sql,
			"migrations/0001_aa.sql": sql,
		}, "expected version 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := loadMigrations(fs.FS(tt.files))
			if err == nil {
				t.Fatal("loadMigrations succeeded, want an error")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
		})
	}
}
