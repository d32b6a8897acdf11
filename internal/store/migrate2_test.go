package store

import (
	"context"
	"io/fs"
	"testing"
	"testing/fstest"
)

// TestMigration2Backfills upgrades a store written by the first schema
// and checks that the rows migration 0002 derives from the old ones are
// right: the first occurrence of each finding is new, later ones open, and
// the recorded resolution is kept.
func TestMigration2Backfills(t *testing.T) {
	ctx := context.Background()
	db := rawDB(t)
	first, err := fs.ReadFile(migrationFiles, "migrations/0001_initial.sql")
	if err != nil {
		t.Fatal(err)
	}
	if err := migrate(ctx, db, fstest.MapFS{"migrations/0001_initial.sql": {Data: first}}); err != nil {
		t.Fatalf("migrate to 0001: %v", err)
	}

	// Two scans of ehr: A seen in both, B only in the first and resolved
	// by the second, C only in the second.
	const old = `
	INSERT INTO scans (seq, id, started_at, ward_version, config_path, config_hash, complete)
	VALUES (1, 's1', '2025-03-01T00:00:00.000000000Z', 't', 'c', 'h', 1),
	       (2, 's2', '2025-03-02T00:00:00.000000000Z', 't', 'c', 'h', 1);
	INSERT INTO scan_sources (scan_seq, name, type, status) VALUES
	       (1, 'ehr', 'postgres', 'complete'), (2, 'ehr', 'postgres', 'complete');
	INSERT INTO findings (fingerprint, rule_id, source, severity, severity_rank, status,
	       first_seen, last_seen, last_scan_seq, resolved_at, resolved_scan_seq) VALUES
	 ('a', 'PG-A', 'ehr', 'low', 1, 'open', '2025-03-01T00:00:00.000000000Z',
	  '2025-03-02T00:00:00.000000000Z', 2, NULL, NULL),
	 ('b', 'PG-B', 'ehr', 'low', 1, 'resolved', '2025-03-01T00:00:00.000000000Z',
	  '2025-03-01T00:00:00.000000000Z', 1, '2025-03-02T00:00:00.000000000Z', 2),
	 ('c', 'PG-C', 'ehr', 'low', 1, 'open', '2025-03-02T00:00:00.000000000Z',
	  '2025-03-02T00:00:00.000000000Z', 2, NULL, NULL);
	INSERT INTO finding_occurrences (scan_seq, fingerprint, severity, detail) VALUES
	 (1, 'a', 'low', '{}'), (1, 'b', 'low', '{}'), (2, 'a', 'low', '{}'), (2, 'c', 'low', '{}');`
	if _, err := db.Exec(old); err != nil {
		t.Fatal(err)
	}

	if err := migrate(ctx, db, migrationFiles); err != nil {
		t.Fatalf("migrate to the current schema: %v", err)
	}

	got := map[string]string{}
	rows, err := db.Query(`SELECT scan_seq, fingerprint, change FROM finding_occurrences`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var seq int
		var fp, change string
		if err := rows.Scan(&seq, &fp, &change); err != nil {
			t.Fatal(err)
		}
		got[fp+string(rune('0'+seq))] = change
	}
	want := map[string]string{"a1": "new", "b1": "new", "a2": "open", "c2": "new"}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("occurrence %s: change %q, want %q", k, got[k], w)
		}
	}

	var seq int
	var fp string
	err = db.QueryRow(`SELECT scan_seq, fingerprint FROM finding_resolutions`).Scan(&seq, &fp)
	if err != nil || seq != 2 || fp != "b" {
		t.Errorf("finding_resolutions = (%d, %q), %v; want (2, b)", seq, fp, err)
	}
}
