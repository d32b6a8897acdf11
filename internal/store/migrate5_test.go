package store

import (
	"context"
	"testing"
)

// TestMigration5RemovesDuplicates writes, as ward did before migration
// 0005, a csvlog read twice (its events and exposures stored under two
// file checkpoints) and a stderr log: the migration keeps the first copy
// of each csvlog record, leaves the stderr rows alone, recounts the hours
// and refuses a keyed record stored again.
func TestMigration5RemovesDuplicates(t *testing.T) {
	db := rawDB(t)
	migrateBefore(t, db, 5)
	w := oldWriter{t, db}
	const file = `INSERT INTO log_files (id, source, path, device, inode, head_sha256,
		head_len, format, compressed, byte_offset, line, size, mtime, complete, first_read,
		last_read) VALUES (?, 'ehr', ?, 1, ?, x'00', 1, ?, 0, 0, 0, 0, '', 0, '', '')`
	w.exec(file, 1, "a.csv", 10, "csvlog")
	w.exec(file, 2, "a.csv", 11, "csvlog") // the same log read again
	w.exec(file, 3, "b.log", 12, "stderr")
	w.exec(`INSERT INTO event_strings (id, value) VALUES (1, 'ehr'), (2, 'query'), (3, 's')`)
	const event = `INSERT INTO events (source_id, time_us, file_id, byte_offset, line,
		action_id, outcome_id, via_pooler, session_id, session_derived, session_line,
		replication, statement_truncated, audit_previously_logged)
		VALUES (1, ?, ?, ?, 1, 2, 3, 0, ?, 0, ?, 0, 0, 0)`
	const hour = int64(3_600_000_000)
	for _, file := range []int{1, 2} {
		for line := 1; line <= 3; line++ {
			w.exec(event, int64(line)*hour, file, line*100, "6b12d83e.656d", line)
		}
	}
	// stderr rows whose session lines were counted by the parser: equal
	// keys, different records.
	w.exec(event, 5*hour, 3, 0, "6b12d83e.1", 1)
	w.exec(event, 5*hour, 3, 100, "6b12d83e.1", 1)
	w.exec(`INSERT INTO event_hours (source_id, hour, events) VALUES (1, 1, 2), (1, 5, 2)`)
	const exposure = `INSERT INTO log_exposures (source, file_id, byte_offset, line, seq,
		time, kind, account, server, remote_user, host, command, verifier, field,
		session_user, database, session_id, client_addr, application)
		VALUES ('ehr', ?, 100, 1, 0, '2026-12-04T15:00:00Z', 'password', 'etl_loader', '', '',
		'', 'ALTER ROLE', 0, 'statement', '', '', '6b12d83e.656d', '', '')`
	w.exec(exposure, 1)
	w.exec(exposure, 2)

	if err := migrate(context.Background(), db, migrationFiles); err != nil {
		t.Fatal(err)
	}
	count := func(query string) int64 {
		t.Helper()
		var n int64
		if err := db.QueryRow(query).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	checks := []struct {
		name  string
		query string
		want  int64
	}{
		{"csvlog events kept once", `SELECT count(*) FROM events WHERE file_id IN (1, 2)`, 3},
		{"first copy kept", `SELECT count(*) FROM events WHERE file_id = 1`, 3},
		{"csvlog events keyed", `SELECT count(*) FROM events WHERE keyed = 1`, 3},
		{"stderr events untouched", `SELECT count(*) FROM events WHERE file_id = 3`, 2},
		{"hours recounted", `SELECT sum(events) FROM event_hours`, 5},
		{"hour 1 recounted", `SELECT events FROM event_hours WHERE hour = 1`, 1},
		{"exposure kept once", `SELECT count(*) FROM log_exposures`, 1},
		{"tail unknown", `SELECT count(*) FROM log_files WHERE tail_len = 0`, 3},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			if got := count(c.query); got != c.want {
				t.Errorf("%s = %d, want %d", c.query, got, c.want)
			}
		})
	}
	t.Run("keyed record refused again", func(t *testing.T) {
		res, err := db.Exec(`INSERT INTO events (source_id, time_us, file_id, byte_offset, line,
			action_id, outcome_id, via_pooler, session_id, session_derived, session_line,
			replication, statement_truncated, audit_previously_logged, keyed)
			VALUES (1, 0, 4, 0, 1, 2, 3, 0, '6b12d83e.656d', 0, 1, 0, 0, 0, 1)
			ON CONFLICT DO NOTHING`)
		if err != nil {
			t.Fatal(err)
		}
		if n, _ := res.RowsAffected(); n != 0 {
			t.Errorf("a keyed record stored again from another file: %d rows", n)
		}
	})
}
