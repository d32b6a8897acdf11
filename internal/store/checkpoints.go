package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/wardsec/ward/internal/logtail"
	"github.com/wardsec/ward/internal/pglog"
)

// LogCheckpoints returns the checkpoints of the log files read for
// source, for a logtail.Tailer to continue from.
func (s *Store) LogCheckpoints(ctx context.Context, source string) ([]logtail.Checkpoint, error) {
	const query = `SELECT id, path, device, inode, head_sha256, head_len, format, compressed,
		byte_offset, line, size, mtime, complete, tail_sha256, tail_len
		FROM log_files WHERE source = ? ORDER BY id`
	rows, err := s.db.QueryContext(ctx, query, source)
	if err != nil {
		return nil, fmt.Errorf("read log checkpoints of %s: %w", source, err)
	}
	defer rows.Close()
	var out []logtail.Checkpoint
	for rows.Next() {
		var cp logtail.Checkpoint
		var head, tail []byte
		var format, mtime string
		var dev, ino int64
		err := rows.Scan(&cp.ID, &cp.Path, &dev, &ino, &head, &cp.HeadLen, &format,
			&cp.Compressed, &cp.Offset, &cp.Line, &cp.Size, &mtime, &cp.Complete,
			&tail, &cp.TailLen)
		if err != nil {
			return nil, fmt.Errorf("read log checkpoints of %s: %w", source, err)
		}
		cp.Device, cp.Inode = uint64(dev), uint64(ino)
		copy(cp.Head[:], head)
		copy(cp.Tail[:], tail)
		cp.Format = pglog.Format(format)
		if cp.ModTime, err = time.Parse(time.RFC3339Nano, mtime); err != nil {
			return nil, fmt.Errorf("read log checkpoints of %s: mtime %q: %w", source, mtime, err)
		}
		out = append(out, cp)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read log checkpoints of %s: %w", source, err)
	}
	return out, nil
}

// insertCheckpoint stores a new checkpoint for source and returns its ID.
func insertCheckpoint(ctx context.Context, tx *sql.Tx, source string, cp *logtail.Checkpoint,
	now time.Time) (int64, error) {
	const stmt = `INSERT INTO log_files (source, path, device, inode, head_sha256, head_len,
		format, compressed, byte_offset, line, size, mtime, complete, first_read, last_read,
		tail_sha256, tail_len)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`
	var id int64
	err := tx.QueryRowContext(ctx, stmt, checkpointArgs(source, cp, now, now)...).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("save checkpoint of %s: %w", cp.Path, err)
	}
	return id, nil
}

// updateCheckpoint stores cp over its earlier state.
func updateCheckpoint(ctx context.Context, tx *sql.Tx, source string, cp *logtail.Checkpoint,
	now time.Time) error {
	const stmt = `UPDATE log_files SET source = ?, path = ?, device = ?, inode = ?,
		head_sha256 = ?, head_len = ?, format = ?, compressed = ?, byte_offset = ?, line = ?,
		size = ?, mtime = ?, complete = ?, last_read = ?, tail_sha256 = ?, tail_len = ?
		WHERE id = ?`
	args := checkpointArgs(source, cp, now, now)
	args = append(args[:13], args[14], args[15], args[16], cp.ID)
	res, err := tx.ExecContext(ctx, stmt, args...)
	if err != nil {
		return fmt.Errorf("save checkpoint of %s: %w", cp.Path, err)
	}
	if n, err := res.RowsAffected(); err == nil && n != 1 {
		return fmt.Errorf("save checkpoint of %s: no checkpoint %d in the store", cp.Path, cp.ID)
	}
	return nil
}

// checkpointArgs lists the columns of log_files from source to last_read,
// then tail_sha256 and tail_len.
func checkpointArgs(source string, cp *logtail.Checkpoint, first, last time.Time) []any {
	return []any{source, cp.Path, int64(cp.Device), int64(cp.Inode), cp.Head[:], cp.HeadLen,
		string(cp.Format), boolInt(cp.Compressed), cp.Offset, cp.Line, cp.Size,
		cp.ModTime.UTC().Format(time.RFC3339Nano), boolInt(cp.Complete),
		formatTime(first), formatTime(last), cp.Tail[:], cp.TailLen}
}
