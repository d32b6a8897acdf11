package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/wardsec/ward/internal/inventory"
)

// GapThreshold is the shortest stretch without any event that Window
// reports as a gap: a server with connection logging on is not silent for
// a day, so a longer silence means logs missing, not a quiet system.
const GapThreshold = 24 * time.Hour

// EventWindow is what the stored events of a source cover.
type EventWindow struct {
	Source string
	// Events counts the stored events; First and Last are the earliest and
	// latest (zero when there are none).
	Events int64
	First  time.Time
	Last   time.Time
	// Gaps are the stretches between First and Last of at least
	// GapThreshold, to the hour, with no event: logs not ingested, or a
	// server down.
	Gaps []EventGap
}

// EventGap is a stretch of time without events, From inclusive, To
// exclusive.
type EventGap struct {
	From time.Time
	To   time.Time
}

// Covered returns how much of the window the events cover: Last - First
// less the gaps.
func (w EventWindow) Covered() time.Duration {
	d := w.Last.Sub(w.First)
	for _, g := range w.Gaps {
		d -= g.To.Sub(g.From)
	}
	return max(d, 0)
}

// Events calls fn with each stored event of source, in time order (events
// of the same microsecond in the order they were stored). It stops at the
// first error from fn and returns it.
//
// The events read back differ from those stored: Statement and Message
// hold their shapes (literals replaced by ?, see package sqlshape), and
// StatementSHA256, Parameters, Detail and Audit.Parameter are empty, as
// they are not stored. Pos.File is the path the file was last read from.
func (s *Store) Events(ctx context.Context, source string, fn func(inventory.Event) error) error {
	return s.EventsBetween(ctx, source, time.Time{}, time.Time{}, fn)
}

// EventsBetween is Events limited to the events at or after from and
// before to; a zero time leaves that end open.
func (s *Store) EventsBetween(ctx context.Context, source string, from, to time.Time,
	fn func(inventory.Event) error) error {
	err := s.eachEvent(ctx, source, from, to, fn)
	if err != nil {
		return fmt.Errorf("read events of %s: %w", source, err)
	}
	return nil
}

func (s *Store) eachEvent(ctx context.Context, source string, from, to time.Time,
	fn func(inventory.Event) error) error {
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return err
	}
	defer tx.Rollback()
	srcID, ok, err := lookupString(ctx, tx, source)
	if err != nil || !ok {
		return err
	}
	strs, err := loadStrings(ctx, tx)
	if err != nil {
		return err
	}
	files, err := loadFilePaths(ctx, tx, source)
	if err != nil {
		return err
	}

	lo, hi := int64(-1<<63), int64(1<<63-1)
	if !from.IsZero() {
		lo = from.UnixMicro()
	}
	if !to.IsZero() {
		hi = to.UnixMicro()
	}
	const query = `SELECT e.time_us, e.file_id, e.byte_offset, e.line, e.action_id,
		e.outcome_id, e.user_id, e.database_id, e.command_id, e.object_type_id,
		e.object_name_id, e.client_addr_id, e.client_port, e.application_id, e.via_pooler,
		e.session_id, e.session_derived, e.session_line, e.pid, e.replication,
		e.auth_method_id, e.identity_id, e.sqlstate_id, e.message_id, st.shape,
		e.statement_truncated, e.duration_ms, e.audit_type_id, e.audit_class_id,
		e.audit_statement_no, e.audit_substatement_no, e.audit_rows,
		e.audit_previously_logged
		FROM events e LEFT JOIN event_statements st ON st.id = e.statement_id
		WHERE e.source_id = ? AND e.time_us >= ? AND e.time_us < ?
		ORDER BY e.time_us, e.id`
	rows, err := tx.QueryContext(ctx, query, srcID, lo, hi)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		ev, err := scanEvent(rows, strs, files)
		if err != nil {
			return err
		}
		ev.Source = source
		if err := fn(ev); err != nil {
			return err
		}
	}
	return rows.Err()
}

// scanEvent reads one row of eachEvent's query.
func scanEvent(rows *sql.Rows, strs, files map[int64]string) (inventory.Event, error) {
	var ev inventory.Event
	var tus, fileID int64
	var action, outcome, user, db, cmd, otype, oname, addr, app, method, ident, state,
		msg, atype, aclass sql.NullInt64
	var port, sline, pid, stmtNo, substmtNo, arows, truncated sql.NullInt64
	var session, shape sql.NullString
	var dur sql.NullFloat64
	err := rows.Scan(&tus, &fileID, &ev.Pos.Offset, &ev.Pos.Line, &action, &outcome, &user,
		&db, &cmd, &otype, &oname, &addr, &port, &app, &ev.ViaPooler, &session,
		&ev.SessionDerived, &sline, &pid, &ev.Replication, &method, &ident, &state, &msg,
		&shape, &truncated, &dur, &atype, &aclass, &stmtNo, &substmtNo, &arows,
		&ev.Audit.PreviouslyLogged)
	if err != nil {
		return ev, err
	}
	str := func(id sql.NullInt64) string { return strs[id.Int64] }
	ev.Time = time.UnixMicro(tus).UTC()
	ev.Pos.File = files[fileID]
	ev.Action, ev.Outcome = inventory.Action(str(action)), inventory.Outcome(str(outcome))
	ev.User, ev.Database, ev.Command = str(user), str(db), str(cmd)
	ev.ObjectType, ev.ObjectName, ev.ClientAddr = str(otype), str(oname), str(addr)
	ev.ClientPort, ev.Application = int(port.Int64), str(app)
	ev.SessionID, ev.SessionLine, ev.PID = session.String, sline.Int64, int(pid.Int64)
	ev.AuthMethod, ev.Identity, ev.SQLState, ev.Message = str(method), str(ident), str(state), str(msg)
	ev.Statement, ev.StatementTruncated = shape.String, truncated.Int64 == 1
	ev.DurationMS = dur.Float64
	ev.Audit.Type, ev.Audit.Class = str(atype), str(aclass)
	ev.Audit.StatementID, ev.Audit.SubstatementID = stmtNo.Int64, substmtNo.Int64
	ev.Audit.Rows, ev.Audit.HasRows = arows.Int64, arows.Valid
	return ev, nil
}

// lookupString returns the key of s in event_strings; ok is false when s
// was never stored.
func lookupString(ctx context.Context, tx *sql.Tx, s string) (int64, bool, error) {
	var id int64
	err := tx.QueryRowContext(ctx, `SELECT id FROM event_strings WHERE value = ?`, s).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	return id, err == nil, err
}

func loadStrings(ctx context.Context, tx *sql.Tx) (map[int64]string, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id, value FROM event_strings`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	m := map[int64]string{}
	for rows.Next() {
		var id int64
		var v string
		if err := rows.Scan(&id, &v); err != nil {
			return nil, err
		}
		m[id] = v
	}
	return m, rows.Err()
}

func loadFilePaths(ctx context.Context, tx *sql.Tx, source string) (map[int64]string, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id, path FROM log_files WHERE source = ?`, source)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	m := map[int64]string{}
	for rows.Next() {
		var id int64
		var p string
		if err := rows.Scan(&id, &p); err != nil {
			return nil, err
		}
		m[id] = p
	}
	return m, rows.Err()
}

// Exposures calls fn with each credential the logs of source exposed, in
// time order. It stops at the first error from fn and returns it.
func (s *Store) Exposures(ctx context.Context, source string, fn func(inventory.Exposure) error) error {
	const query = `SELECT x.time, x.kind, x.account, x.server, x.remote_user, x.host,
		x.command, x.verifier, x.field, x.session_user, x.database, x.session_id,
		x.client_addr, x.application, f.path, x.byte_offset, x.line
		FROM log_exposures x JOIN log_files f ON f.id = x.file_id
		WHERE x.source = ? ORDER BY x.time, x.id`
	rows, err := s.db.QueryContext(ctx, query, source)
	if err != nil {
		return fmt.Errorf("read exposures of %s: %w", source, err)
	}
	defer rows.Close()
	for rows.Next() {
		x := inventory.Exposure{Source: source}
		var at sql.NullString
		var kind string
		err := rows.Scan(&at, &kind, &x.Account, &x.Server, &x.RemoteUser, &x.Host, &x.Command,
			&x.Verifier, &x.Field, &x.SessionUser, &x.Database, &x.SessionID, &x.ClientAddr,
			&x.Application, &x.Pos.File, &x.Pos.Offset, &x.Pos.Line)
		if err != nil {
			return fmt.Errorf("read exposures of %s: %w", source, err)
		}
		x.Kind = inventory.ExposureKind(kind)
		if x.Time, err = parseTime(at); err != nil {
			return fmt.Errorf("read exposures of %s: %w", source, err)
		}
		if err := fn(x); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read exposures of %s: %w", source, err)
	}
	return nil
}

// Window returns what the stored events of source cover: how many, the
// earliest and latest, and the gaps of GapThreshold or more. A source
// without events has a zero window.
func (s *Store) Window(ctx context.Context, source string) (EventWindow, error) {
	w, err := s.window(ctx, source)
	if err != nil {
		return EventWindow{}, fmt.Errorf("read event window of %s: %w", source, err)
	}
	return w, nil
}

func (s *Store) window(ctx context.Context, source string) (EventWindow, error) {
	w := EventWindow{Source: source}
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return w, err
	}
	defer tx.Rollback()
	srcID, ok, err := lookupString(ctx, tx, source)
	if err != nil || !ok {
		return w, err
	}
	var first, last int64
	const ends = `SELECT
		(SELECT time_us FROM events WHERE source_id = ?1 ORDER BY time_us LIMIT 1),
		(SELECT time_us FROM events WHERE source_id = ?1 ORDER BY time_us DESC LIMIT 1)`
	var f, l sql.NullInt64
	if err := tx.QueryRowContext(ctx, ends, srcID).Scan(&f, &l); err != nil {
		return w, err
	}
	if !f.Valid {
		return w, nil
	}
	first, last = f.Int64, l.Int64
	w.First, w.Last = time.UnixMicro(first).UTC(), time.UnixMicro(last).UTC()

	rows, err := tx.QueryContext(ctx,
		`SELECT hour, events FROM event_hours WHERE source_id = ? AND events > 0 ORDER BY hour`, srcID)
	if err != nil {
		return w, err
	}
	defer rows.Close()
	var prev int64
	for seen := false; rows.Next(); seen = true {
		var h, n int64
		if err := rows.Scan(&h, &n); err != nil {
			return w, err
		}
		w.Events += n
		if seen && time.Duration(h-prev-1)*time.Hour >= GapThreshold {
			w.Gaps = append(w.Gaps, EventGap{From: hourTime(prev + 1), To: hourTime(h)})
		}
		prev = h
	}
	return w, rows.Err()
}

func hourTime(h int64) time.Time { return time.Unix(h*3600, 0).UTC() }

// DeleteEventsBefore deletes the events of source older than before, the
// event retention, and returns how many. The exposures stay: each is a
// credential to rotate, whatever its age.
func (s *Store) DeleteEventsBefore(ctx context.Context, source string, before time.Time) (int64, error) {
	n, err := s.deleteEventsBefore(ctx, source, before)
	if err != nil {
		return 0, fmt.Errorf("delete events of %s before %s: %w", source,
			before.UTC().Format(time.RFC3339), err)
	}
	return n, nil
}

func (s *Store) deleteEventsBefore(ctx context.Context, source string,
	before time.Time) (n int64, err error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer func() {
		if err != nil {
			tx.Rollback()
		}
	}()
	srcID, ok, err := lookupString(ctx, tx, source)
	if err != nil || !ok {
		return 0, err
	}
	cut := before.UnixMicro()
	res, err := tx.ExecContext(ctx, `DELETE FROM events WHERE source_id = ? AND time_us < ?`, srcID, cut)
	if err != nil {
		return 0, err
	}
	if n, err = res.RowsAffected(); err != nil {
		return 0, err
	}
	h := hourOf(before)
	if _, err := tx.ExecContext(ctx, `DELETE FROM event_hours WHERE source_id = ? AND hour < ?`,
		srcID, h); err != nil {
		return 0, err
	}
	us := int64(time.Hour / time.Microsecond)
	const recount = `UPDATE event_hours SET events = (SELECT COUNT(*) FROM events
		WHERE source_id = ?1 AND time_us >= ?2 AND time_us < ?3) WHERE source_id = ?1 AND hour = ?4`
	if _, err := tx.ExecContext(ctx, recount, srcID, h*us, (h+1)*us, h); err != nil {
		return 0, err
	}
	return n, tx.Commit()
}
