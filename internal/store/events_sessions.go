package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// LogSession is a database session open where the logs of a source were
// last read: who it belongs to, by backend pid. It lets a later run name
// the user of a session whose connection lines it did not read, as in a
// stderr log whose log_line_prefix lacks %u.
type LogSession struct {
	PID         int
	SessionID   string
	Derived     bool
	Replication bool
	User        string
	Database    string
	Application string
	ClientAddr  string
	ClientPort  int
	Started     time.Time
	// LastSeen is the time of the session's latest event read.
	LastSeen time.Time
}

// LogSessions returns the sessions of source open where its logs were
// last read.
func (s *Store) LogSessions(ctx context.Context, source string) ([]LogSession, error) {
	const query = `SELECT pid, session_id, derived, replication, user_name, database, application,
		client_addr, client_port, started_at, last_seen FROM log_sessions WHERE source = ?`
	rows, err := s.db.QueryContext(ctx, query, source)
	if err != nil {
		return nil, fmt.Errorf("read log sessions of %s: %w", source, err)
	}
	defer rows.Close()
	var out []LogSession
	for rows.Next() {
		var ls LogSession
		var started, seen sql.NullString
		err := rows.Scan(&ls.PID, &ls.SessionID, &ls.Derived, &ls.Replication, &ls.User, &ls.Database,
			&ls.Application, &ls.ClientAddr, &ls.ClientPort, &started, &seen)
		if err == nil {
			ls.Started, err = parseTime(started)
		}
		if err == nil {
			ls.LastSeen, err = parseTime(seen)
		}
		if err != nil {
			return nil, fmt.Errorf("read log sessions of %s: %w", source, err)
		}
		out = append(out, ls)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read log sessions of %s: %w", source, err)
	}
	return out, nil
}

// PutSession records ls as open, replacing any session of the same pid.
func (b *LogBatch) PutSession(ls LogSession) error {
	const stmt = `INSERT INTO log_sessions (source, pid, session_id, derived, replication,
		user_name, database, application, client_addr, client_port, started_at, last_seen)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (source, pid) DO UPDATE SET session_id = excluded.session_id,
		derived = excluded.derived, replication = excluded.replication,
		user_name = excluded.user_name,
		database = excluded.database, application = excluded.application,
		client_addr = excluded.client_addr, client_port = excluded.client_port,
		started_at = excluded.started_at, last_seen = excluded.last_seen`
	_, err := b.tx.ExecContext(b.ctx, stmt, b.w.source, ls.PID, ls.SessionID, boolInt(ls.Derived),
		boolInt(ls.Replication), ls.User, ls.Database, ls.Application, ls.ClientAddr, ls.ClientPort,
		formatTime(ls.Started), formatTime(ls.LastSeen))
	if err != nil {
		return fmt.Errorf("store log session: %w", err)
	}
	return nil
}

// EndSession records that the session of pid ended.
func (b *LogBatch) EndSession(pid int) error {
	_, err := b.tx.ExecContext(b.ctx, `DELETE FROM log_sessions WHERE source = ? AND pid = ?`,
		b.w.source, pid)
	if err != nil {
		return fmt.Errorf("end log session: %w", err)
	}
	return nil
}

// PruneLogSessions forgets the sessions of source not seen since before:
// sessions whose end was never logged (a crash, a lost file), which would
// otherwise stay until their pid is used again.
func (s *Store) PruneLogSessions(ctx context.Context, source string, before time.Time) error {
	_, err := s.db.ExecContext(ctx, `DELETE FROM log_sessions WHERE source = ? AND last_seen < ?`,
		source, formatTime(before))
	if err != nil {
		return fmt.Errorf("prune log sessions of %s: %w", source, err)
	}
	return nil
}
