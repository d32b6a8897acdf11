package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/wardsec/ward/internal/inventory"
)

// Sources returns the sources of the scan scanID (the latest scan when
// empty) with their snapshots as stored: coverage, gaps, scanner privileges,
// settings, resources, sessions, PUBLIC's grants, functions and default
// privileges, and the rules it could not evaluate. A snapshot's Accounts
// are left empty;
// Accounts returns them. A source that had no snapshot has a nil Snapshot.
// It returns an error wrapping ErrNotFound when there is no such scan.
func (s *Store) Sources(ctx context.Context, scanID string) ([]inventory.SourceResult, error) {
	sources, err := s.sources(ctx, scanID)
	if err != nil {
		if scanID == "" {
			return nil, fmt.Errorf("sources of the latest scan: %w", err)
		}
		return nil, fmt.Errorf("sources of scan %s: %w", scanID, err)
	}
	return sources, nil
}

func (s *Store) sources(ctx context.Context, scanID string) ([]inventory.SourceResult, error) {
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()

	scanSeq, err := findScan(ctx, tx, scanID)
	if err != nil {
		return nil, err
	}

	const query = `SELECT name, type, status, error, has_snapshot, started_at, finished_at,
		scanner, scanner_privileges, databases, gaps, settings, sessions,
		unchecked_rules, public_grants, functions, default_privileges
		FROM scan_sources WHERE scan_seq = ? ORDER BY rowid`
	rows, err := tx.QueryContext(ctx, query, scanSeq)
	if err != nil {
		return nil, err
	}
	defer rows.Close()

	var out []inventory.SourceResult
	for rows.Next() {
		src, err := scanSource(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, src)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}

	for i := range out {
		if out[i].Snapshot == nil {
			continue
		}
		out[i].Snapshot.Resources, err = readResources(ctx, tx, scanSeq, out[i].Name)
		if err != nil {
			return nil, fmt.Errorf("source %s: %w", out[i].Name, err)
		}
	}
	return out, nil
}

// findScan returns the row number of the complete scan scanID, or of the
// latest complete scan when scanID is empty.
func findScan(ctx context.Context, tx *sql.Tx, scanID string) (int64, error) {
	const byID = `SELECT seq FROM scans WHERE complete = 1 AND (id = ? OR ? = '')
		ORDER BY started_at DESC, seq DESC LIMIT 1`
	var seq int64
	err := tx.QueryRowContext(ctx, byID, scanID, scanID).Scan(&seq)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, ErrNotFound
	}
	return seq, err
}

// scanSource reads one row of scan_sources.
func scanSource(rows *sql.Rows) (inventory.SourceResult, error) {
	var src inventory.SourceResult
	var hasSnapshot bool
	var started, finished, privs, dbs, gaps, settings, sessions sql.NullString
	var unchecked, public, funcs, defaults sql.NullString
	snap := &inventory.Snapshot{}
	err := rows.Scan(&src.Name, &src.Type, &src.Status, &src.Error, &hasSnapshot,
		&started, &finished, &snap.Scanner, &privs, &dbs, &gaps, &settings, &sessions,
		&unchecked, &public, &funcs, &defaults)
	if err != nil {
		return src, err
	}
	if err := readJSON(unchecked, &src.UncheckedRules); err != nil {
		return src, fmt.Errorf("source %s: %w", src.Name, err)
	}
	if !hasSnapshot {
		return src, nil
	}

	snap.Source, snap.Type = src.Name, src.Type
	if snap.StartedAt, err = parseTime(started); err != nil {
		return src, err
	}
	if snap.FinishedAt, err = parseTime(finished); err != nil {
		return src, err
	}
	var set sourceSettings
	for _, c := range []struct {
		v   sql.NullString
		dst any
	}{
		{privs, &snap.ScannerPrivileges}, {dbs, &snap.Databases}, {gaps, &snap.Gaps},
		{settings, &set}, {sessions, &snap.Sessions}, {public, &snap.PublicGrants},
		{funcs, &snap.Functions}, {defaults, &snap.DefaultPrivileges},
	} {
		if err := readJSON(c.v, c.dst); err != nil {
			return src, fmt.Errorf("source %s: %w", src.Name, err)
		}
	}
	snap.Postgres = set.Postgres
	src.Snapshot = snap
	return src, nil
}

// readResources reads the resources of one source of a scan, in order.
func readResources(ctx context.Context, tx *sql.Tx, scanSeq int64, source string) (
	[]inventory.Resource, error) {
	const query = `SELECT resource_list FROM scan_sources WHERE scan_seq = ? AND name = ?`
	var list []byte
	if err := tx.QueryRowContext(ctx, query, scanSeq, source).Scan(&list); err != nil {
		return nil, err
	}
	return decodeResources(list)
}
