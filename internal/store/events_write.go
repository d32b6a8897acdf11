package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/wardsec/ward/internal/inventory"
	"github.com/wardsec/ward/internal/logtail"
	"github.com/wardsec/ward/internal/sqlshape"
)

// Limits of what is stored of an event's text.
const (
	// MaxStatementShape bounds a stored statement shape, in bytes.
	MaxStatementShape = 8 << 10
	// MaxMessageShape bounds a stored message shape, in bytes.
	MaxMessageShape = 1 << 10
)

// eventColumns are the columns an insert into events names, in order.
var eventColumns = []string{"source_id", "time_us", "file_id", "byte_offset", "line",
	"action_id", "outcome_id", "user_id", "database_id", "command_id", "object_type_id",
	"object_name_id", "client_addr_id", "client_port", "application_id", "via_pooler",
	"session_id", "session_derived", "session_line", "pid", "replication", "auth_method_id",
	"identity_id", "sqlstate_id", "message_id", "statement_id", "statement_truncated",
	"duration_ms",
	"audit_type_id", "audit_class_id", "audit_statement_no", "audit_substatement_no",
	"audit_rows", "audit_previously_logged", "keyed"}

// rowsPerInsert is how many events one INSERT statement carries.
const rowsPerInsert = 32

// Bounds of the writer's caches, past which they are cleared.
const (
	maxCachedStrings    = 200_000
	maxCachedStatements = 100_000
)

// LogWriter writes what is read from the logs of one source, one batch
// (one transaction) per logtail segment. It caches the keys of the strings
// and statement shapes it has stored, so most events cost one row. A
// LogWriter is not safe for concurrent use; one process at a time should
// write the logs of a source.
type LogWriter struct {
	s      *Store
	source string
	strs   map[string]int64
	// shapes maps the SHA-256 of a statement shape to its key, and raw the
	// parser's hash of a redacted statement to the key of its shape.
	shapes map[[sha256.Size]byte]int64
	raw    map[string]cachedShape
	args   []any
	now    func() time.Time
	// keyed says the source's log names each record (see SetRecordKeys).
	keyed bool
}

// LogWriter returns a writer for the logs of source.
func (s *Store) LogWriter(source string) *LogWriter {
	w := &LogWriter{s: s, source: source, now: time.Now}
	w.reset()
	return w
}

// SetRecordKeys says whether the source's log names each of its records
// by session ID and line number within the session (csvlog, jsonlog,
// stderr with %c and %l in log_line_prefix). Events and exposures that
// carry both are then stored once whatever file or offset they are read
// from, so that reading an edited, rewritten or copied log again from its
// start stores nothing twice; those met again are counted as Duplicates.
// Off, only the file and offset tell records apart.
func (w *LogWriter) SetRecordKeys(on bool) { w.keyed = on }

// reset forgets the cached keys, which a rolled back batch may have made
// wrong.
func (w *LogWriter) reset() {
	w.strs = map[string]int64{}
	w.shapes = map[[sha256.Size]byte]int64{}
	w.raw = map[string]cachedShape{}
}

// BatchStats count what one batch stored.
type BatchStats struct {
	// Events counts the events stored; Duplicates those already stored
	// from the same record: the same file and offset or, with record keys
	// (SetRecordKeys), the same session and line, as when a log edited in
	// place is read again from its start.
	Events     int64
	Duplicates int64
	Exposures  int64
}

// LogBatch is one transaction of a LogWriter: the events and exposures of
// one segment, committed with the segment's end checkpoint so that a crash
// loses or repeats nothing.
type LogBatch struct {
	w        *LogWriter
	ctx      context.Context
	tx       *sql.Tx
	seg      *logtail.Segment
	fileID   int64
	sourceID int64
	many     *sql.Stmt
	one      *sql.Stmt
	rows     []any // the pending rows' arguments, len(eventColumns) each
	pending  []int64
	hours    map[int64]int64
	// recount lists hours whose count must be read back, after an insert
	// found duplicates.
	recount map[int64]bool
	expSeq  map[int64]int
	stats   BatchStats
	done    bool
}

// Begin starts the batch of seg. A checkpoint never stored (seg.End.ID 0)
// is stored first, and seg.End.ID set to its key.
func (w *LogWriter) Begin(ctx context.Context, seg *logtail.Segment) (*LogBatch, error) {
	tx, err := w.s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("begin log batch: %w", err)
	}
	b := &LogBatch{w: w, ctx: ctx, tx: tx, seg: seg, hours: map[int64]int64{},
		expSeq: map[int64]int{}}
	if err := b.begin(); err != nil {
		b.Rollback()
		return nil, err
	}
	return b, nil
}

func (b *LogBatch) begin() error {
	if b.seg.End.ID == 0 {
		id, err := insertCheckpoint(b.ctx, b.tx, b.w.source, &b.seg.Start, b.w.now())
		if err != nil {
			return err
		}
		b.seg.End.ID = id
	}
	b.fileID = b.seg.End.ID
	var err error
	if b.sourceID, err = b.w.stringID(b.ctx, b.tx, b.w.source); err != nil {
		return err
	}
	if b.many, err = b.tx.PrepareContext(b.ctx, insertEvents(rowsPerInsert)); err != nil {
		return fmt.Errorf("prepare event insert: %w", err)
	}
	if b.one, err = b.tx.PrepareContext(b.ctx, insertEvents(1)); err != nil {
		return fmt.Errorf("prepare event insert: %w", err)
	}
	return nil
}

// insertEvents is the INSERT of n events; a record already stored, by
// file and offset or by its key, is left as it is.
func insertEvents(n int) string {
	row := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(eventColumns)), ", ") + ")"
	return "INSERT INTO events (" + strings.Join(eventColumns, ", ") + ") VALUES " +
		strings.TrimSuffix(strings.Repeat(row+", ", n), ", ") +
		" ON CONFLICT DO NOTHING"
}

// AddEvent stores ev, which must come from the batch's segment, with its
// position in the file's content (Pos.Offset and Pos.Line counted from
// the start of the file, not of the segment). Its statement and message
// are stored as shapes (see package sqlshape); its parameters and detail
// are not stored.
func (b *LogBatch) AddEvent(ev *inventory.Event) error {
	start := len(b.rows)
	b.rows = append(b.rows, make([]any, len(eventColumns))...)
	if err := b.w.eventRow(b.ctx, b.tx, b.rows[start:], ev, b.sourceID, b.fileID); err != nil {
		b.rows = b.rows[:start]
		return err
	}
	b.pending = append(b.pending, hourOf(ev.Time))
	if len(b.pending) == rowsPerInsert {
		return b.flush()
	}
	return nil
}

func hourOf(t time.Time) int64 { return t.UnixMicro() / int64(time.Hour/time.Microsecond) }

// flush inserts the pending events.
func (b *LogBatch) flush() error {
	n := len(b.pending)
	if n == 0 {
		return nil
	}
	var res sql.Result
	var err error
	if n == rowsPerInsert {
		res, err = b.many.ExecContext(b.ctx, b.rows...)
	} else {
		for i := 0; i < n && err == nil; i++ {
			var r sql.Result
			r, err = b.one.ExecContext(b.ctx, b.rows[i*len(eventColumns):(i+1)*len(eventColumns)]...)
			if err == nil {
				var k int64
				k, err = r.RowsAffected()
				b.countRows(b.pending[i:i+1], k)
			}
		}
	}
	if err != nil {
		return fmt.Errorf("store events: %w", err)
	}
	if res != nil {
		k, err := res.RowsAffected()
		if err != nil {
			return fmt.Errorf("store events: %w", err)
		}
		b.countRows(b.pending, k)
	}
	clear(b.rows)
	b.rows, b.pending = b.rows[:0], b.pending[:0]
	return nil
}

// countRows counts the events of hours, of which stored were stored.
func (b *LogBatch) countRows(hours []int64, stored int64) {
	b.stats.Events += stored
	b.stats.Duplicates += int64(len(hours)) - stored
	for _, h := range hours {
		if stored < int64(len(hours)) {
			if b.recount == nil {
				b.recount = map[int64]bool{}
			}
			b.recount[h] = true
		}
		b.hours[h]++
	}
}

// AddExposure stores x, a credential found in the batch's segment, at its
// position in the file's content. The credential itself is never part of
// an Exposure. With record keys (SetRecordKeys) an exposure already stored
// from the same session, time and credential is not stored again.
func (b *LogBatch) AddExposure(x *inventory.Exposure) error {
	seq := b.expSeq[x.Pos.Offset]
	b.expSeq[x.Pos.Offset] = seq + 1
	const stmt = `INSERT INTO log_exposures (source, file_id, byte_offset, line, seq, time,
		kind, account, server, remote_user, host, command, verifier, field, session_user,
		database, session_id, client_addr, application, keyed)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT DO NOTHING`
	res, err := b.tx.ExecContext(b.ctx, stmt, b.w.source, b.fileID, x.Pos.Offset, x.Pos.Line,
		seq, formatTime(x.Time), string(x.Kind), x.Account, x.Server, x.RemoteUser, x.Host,
		x.Command, boolInt(x.Verifier), x.Field, x.SessionUser, x.Database, x.SessionID,
		x.ClientAddr, x.Application, boolInt(b.w.keyed && x.SessionID != ""))
	if err != nil {
		return fmt.Errorf("store exposure: %w", err)
	}
	if n, err := res.RowsAffected(); err == nil {
		b.stats.Exposures += n
	}
	return nil
}

// Commit stores the pending events, the hour counts and the segment's end
// checkpoint, and commits.
func (b *LogBatch) Commit() (BatchStats, error) {
	if b.done {
		return b.stats, errors.New("log batch already ended")
	}
	err := b.commit()
	if err != nil {
		b.Rollback()
		return BatchStats{}, err
	}
	return b.stats, nil
}

func (b *LogBatch) commit() error {
	if err := b.flush(); err != nil {
		return err
	}
	b.many.Close()
	b.one.Close()
	if err := b.writeHours(); err != nil {
		return err
	}
	if err := updateCheckpoint(b.ctx, b.tx, b.w.source, &b.seg.End, b.w.now()); err != nil {
		return err
	}
	b.done = true
	if err := b.tx.Commit(); err != nil {
		b.w.reset()
		return fmt.Errorf("commit log batch: %w", err)
	}
	return nil
}

// writeHours adds the batch's events to the hour counts; an hour where
// duplicates were met is counted again from the events.
func (b *LogBatch) writeHours() error {
	const add = `INSERT INTO event_hours (source_id, hour, events) VALUES (?, ?, ?)
		ON CONFLICT (source_id, hour) DO UPDATE SET events = events + excluded.events`
	const set = `INSERT INTO event_hours (source_id, hour, events)
		SELECT ?, ?, COUNT(*) FROM events WHERE source_id = ? AND time_us >= ? AND time_us < ?
		ON CONFLICT (source_id, hour) DO UPDATE SET events = excluded.events`
	us := int64(time.Hour / time.Microsecond)
	for h, n := range b.hours {
		var err error
		if b.recount[h] {
			_, err = b.tx.ExecContext(b.ctx, set, b.sourceID, h, b.sourceID, h*us, (h+1)*us)
		} else {
			_, err = b.tx.ExecContext(b.ctx, add, b.sourceID, h, n)
		}
		if err != nil {
			return fmt.Errorf("count events by hour: %w", err)
		}
	}
	return nil
}

// Rollback abandons the batch; nothing of it is stored. It is safe to call
// after Commit.
func (b *LogBatch) Rollback() {
	if b.done {
		return
	}
	b.done = true
	b.tx.Rollback()
	b.w.reset()
}

// eventRow fills row (len(eventColumns) values) from ev.
func (w *LogWriter) eventRow(ctx context.Context, tx *sql.Tx, row []any, ev *inventory.Event,
	sourceID, fileID int64) error {
	var err error
	id := func(s string) any {
		if s == "" || err != nil {
			return nil
		}
		var k int64
		k, err = w.stringID(ctx, tx, s)
		return k
	}
	outcome := ev.Outcome
	if outcome == "" {
		outcome = inventory.OutcomeSuccess
	}
	row[0], row[1], row[2], row[3], row[4] = sourceID, ev.Time.UnixMicro(), fileID,
		ev.Pos.Offset, ev.Pos.Line
	row[5], row[6] = id(string(ev.Action)), id(string(outcome))
	row[7], row[8], row[9] = id(ev.User), id(ev.Database), id(ev.Command)
	row[10], row[11], row[12] = id(ev.ObjectType), id(ev.ObjectName), id(ev.ClientAddr)
	row[13], row[14] = nullInt(int64(ev.ClientPort)), id(ev.Application)
	row[15], row[16] = boolInt(ev.ViaPooler), nullString(ev.SessionID)
	row[17], row[18] = boolInt(ev.SessionDerived), nullInt(ev.SessionLine)
	row[19], row[20], row[21] = nullInt(int64(ev.PID)), boolInt(ev.Replication), id(ev.AuthMethod)
	row[22], row[23] = id(ev.Identity), id(ev.SQLState)
	if ev.Message != "" {
		row[24] = id(sqlshape.Message(ev.Message, MaxMessageShape))
	} else {
		row[24] = nil
	}
	if err != nil {
		return err
	}
	stmt, cut, err := w.statementID(ctx, tx, ev)
	if err != nil {
		return err
	}
	row[25], row[26] = stmt, boolInt(cut || ev.StatementTruncated)
	row[27] = nullFloat(ev.DurationMS)
	a := &ev.Audit
	row[28], row[29] = id(a.Type), id(a.Class)
	row[30], row[31] = nullInt(a.StatementID), nullInt(a.SubstatementID)
	row[32] = nil
	if a.HasRows {
		row[32] = a.Rows
	}
	row[33] = boolInt(a.PreviouslyLogged)
	row[34] = boolInt(w.keyed && !ev.SessionDerived && ev.SessionID != "" && ev.SessionLine != 0)
	return err
}

// stringID returns the key of s in event_strings, storing it if needed.
func (w *LogWriter) stringID(ctx context.Context, tx *sql.Tx, s string) (int64, error) {
	if id, ok := w.strs[s]; ok {
		return id, nil
	}
	const stmt = `INSERT INTO event_strings (value) VALUES (?)
		ON CONFLICT (value) DO UPDATE SET value = excluded.value RETURNING id`
	var id int64
	if err := tx.QueryRowContext(ctx, stmt, s).Scan(&id); err != nil {
		return 0, fmt.Errorf("store event string: %w", err)
	}
	if len(w.strs) >= maxCachedStrings {
		clear(w.strs)
	}
	w.strs[s] = id
	return id, nil
}

// statementID returns the key of the shape of ev's statement, storing it
// if needed, or nil when ev has none, and whether the shape was cut. A
// pgaudit row whose statement was "<previously logged>" gets the shape of
// the earlier row when this writer stored it.
func (w *LogWriter) statementID(ctx context.Context, tx *sql.Tx,
	ev *inventory.Event) (any, bool, error) {
	if ev.StatementSHA256 != "" {
		if s, ok := w.raw[ev.StatementSHA256]; ok {
			return s.id, s.cut, nil
		}
	}
	if ev.Statement == "" {
		return nil, false, nil
	}
	shape, cut := sqlshape.Statement(ev.Statement, MaxStatementShape)
	sum := sha256.Sum256([]byte(shape))
	id, ok := w.shapes[sum]
	if !ok {
		const stmt = `INSERT INTO event_statements (sha256, shape, truncated) VALUES (?, ?, ?)
			ON CONFLICT (sha256) DO UPDATE SET sha256 = excluded.sha256 RETURNING id`
		if err := tx.QueryRowContext(ctx, stmt, sum[:], shape, boolInt(cut)).Scan(&id); err != nil {
			return nil, false, fmt.Errorf("store statement shape: %w", err)
		}
		if len(w.shapes) >= maxCachedStatements {
			clear(w.shapes)
		}
		w.shapes[sum] = id
	}
	if ev.StatementSHA256 != "" {
		if len(w.raw) >= maxCachedStatements {
			clear(w.raw)
		}
		w.raw[ev.StatementSHA256] = cachedShape{id, cut}
	}
	return id, cut, nil
}

// cachedShape is the stored shape of a statement.
type cachedShape struct {
	id  int64
	cut bool
}

func nullInt(n int64) any {
	if n == 0 {
		return nil
	}
	return n
}

func nullFloat(f float64) any {
	if f == 0 {
		return nil
	}
	return f
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}
