package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/json"
	"errors"
	"time"

	"github.com/wardsec/ward/internal/inventory"
)

// The detail of a finding (its JSON, less what belongs to its lifecycle)
// is kept once in finding_details, under the SHA-256 of its text, and each
// occurrence refers to it (migration 0004). A finding that a daily scan
// reports unchanged, as most are, so adds no text to the store; some
// details carry a fix script of hundreds of kilobytes.

// detailWriter stores the details of one scan's findings.
type detailWriter struct {
	ctx          context.Context
	find, insert *sql.Stmt
	buf          bytes.Buffer
	enc          *json.Encoder
}

func newDetailWriter(ctx context.Context, tx *sql.Tx) (*detailWriter, error) {
	const find = `SELECT id FROM finding_details WHERE digest = ?`
	const insert = `INSERT INTO finding_details (digest, detail) VALUES (?, ?) RETURNING id`
	d := &detailWriter{ctx: ctx}
	d.enc = json.NewEncoder(&d.buf)
	var err error
	if d.find, err = tx.PrepareContext(ctx, find); err != nil {
		return nil, err
	}
	if d.insert, err = tx.PrepareContext(ctx, insert); err != nil {
		d.find.Close()
		return nil, err
	}
	return d, nil
}

func (d *detailWriter) Close() {
	d.find.Close()
	d.insert.Close()
}

// id returns the number of the stored detail of f, storing it first when
// no finding had it yet. The detail is all of f but the seen and resolved
// times, which belong to the finding's lifecycle row, and the
// suppression, which is applied afresh whenever a finding is reported.
func (d *detailWriter) id(f inventory.Finding) (int64, error) {
	f.FirstSeen, f.LastSeen, f.ResolvedAt = time.Time{}, time.Time{}, time.Time{}
	f.Suppression = nil
	d.buf.Reset()
	if err := d.enc.Encode(f); err != nil {
		return 0, err
	}
	// Encode escapes as Marshal does and ends with a newline Marshal lacks.
	text := bytes.TrimSuffix(d.buf.Bytes(), []byte("\n"))
	return d.store(text)
}

// store returns the number of the detail text, storing it when new.
func (d *detailWriter) store(text []byte) (int64, error) {
	digest := sha256.Sum256(text)
	var id int64
	err := d.find.QueryRowContext(d.ctx, digest[:]).Scan(&id)
	if !errors.Is(err, sql.ErrNoRows) {
		return id, err
	}
	err = d.insert.QueryRowContext(d.ctx, digest[:], string(text)).Scan(&id)
	return id, err
}
