package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/wardsec/ward/internal/inventory"
)

// ScanSummary describes one stored scan without its accounts and findings.
type ScanSummary struct {
	ID          string
	StartedAt   time.Time
	FinishedAt  time.Time
	WardVersion string
	ConfigPath  string
	ConfigHash  string
	// Sources are the scan's sources with their status and error; their
	// Snapshot is nil.
	Sources []inventory.SourceResult
	// Accounts, Grants and Findings count what the scan stored; Findings
	// counts distinct fingerprints.
	Accounts int
	Grants   int
	Findings int
}

// FindingRecord is a tracked finding: the finding as its latest scan
// reported it, with its first and last seen times, and its status.
type FindingRecord struct {
	inventory.Finding
	// Status is FindingOpen or FindingResolved.
	Status string
	// ResolvedAt is when a complete scan of the source stopped reporting the
	// finding; zero while it is open. Finding.ResolvedAt holds the same.
	ResolvedAt time.Time
}

// FindingFilter selects tracked findings. Zero fields select everything.
type FindingFilter struct {
	Source string
	// MinSeverity keeps findings at or above it.
	MinSeverity inventory.Severity
	RuleID      string
	// Status is FindingOpen, FindingResolved, or empty for both.
	Status string
	// AccountID keeps the findings about one account.
	AccountID string
}

// latestSeq and latestTime stand for "no upper bound" when looking back.
const (
	latestSeq  = math.MaxInt64
	latestTime = "9999-12-31T23:59:59.999999999Z"
)

// LatestScan returns the most recent stored scan by start time. It returns
// an error wrapping ErrNotFound when the store holds no scan.
func (s *Store) LatestScan(ctx context.Context) (*ScanSummary, error) {
	sum, err := s.previousScan(ctx, "", "")
	if err != nil {
		return nil, fmt.Errorf("latest scan: %w", err)
	}
	return sum, nil
}

// PreviousScan returns the most recent scan that started before the scan
// beforeScanID and in which source was scanned, completely or in part (a
// failed source does not count). An empty beforeScanID looks back from now.
// The summary's Sources say whether the source was complete, which a diff
// should check. It returns an error wrapping ErrNotFound when there is no
// such scan, or when beforeScanID is not stored.
func (s *Store) PreviousScan(ctx context.Context, source, beforeScanID string) (
	*ScanSummary, error) {
	sum, err := s.previousScan(ctx, source, beforeScanID)
	if err != nil {
		return nil, fmt.Errorf("previous scan of %s: %w", source, err)
	}
	return sum, nil
}

// previousScan finds the latest scan before beforeScanID (any, when empty)
// that has source not failed (any scan, when source is empty).
func (s *Store) previousScan(ctx context.Context, source, beforeScanID string) (
	*ScanSummary, error) {
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()

	bound, boundSeq := latestTime, int64(latestSeq)
	if beforeScanID != "" {
		const at = `SELECT started_at, seq FROM scans WHERE id = ? AND complete = 1`
		err := tx.QueryRowContext(ctx, at, beforeScanID).Scan(&bound, &boundSeq)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("scan %s: %w", beforeScanID, ErrNotFound)
		}
		if err != nil {
			return nil, err
		}
	}

	seq, err := previousSeq(ctx, tx, source, bound, boundSeq)
	if err != nil {
		return nil, err
	}
	return scanSummary(ctx, tx, seq)
}

// previousSeq returns the row number of the latest complete scan that
// started before bound (or at bound with a lower number than boundSeq) and
// in which source was not failed; any scan when source is empty. It returns
// ErrNotFound when there is none.
func previousSeq(ctx context.Context, tx *sql.Tx, source, bound string, boundSeq int64) (
	int64, error) {
	const find = `SELECT s.seq FROM scans s
		WHERE s.complete = 1
		  AND (s.started_at < ? OR (s.started_at = ? AND s.seq < ?))
		  AND (? = '' OR EXISTS (SELECT 1 FROM scan_sources ss
		       WHERE ss.scan_seq = s.seq AND ss.name = ? AND ss.status <> 'failed'))
		ORDER BY s.started_at DESC, s.seq DESC
		LIMIT 1`
	var seq int64
	err := tx.QueryRowContext(ctx, find, bound, bound, boundSeq, source, source).Scan(&seq)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, ErrNotFound
	}
	return seq, err
}

// scanSummary reads the summary of the scan numbered seq.
func scanSummary(ctx context.Context, tx *sql.Tx, seq int64) (*ScanSummary, error) {
	const scan = `SELECT id, started_at, finished_at, ward_version, config_path, config_hash,
		(SELECT count(*) FROM accounts WHERE scan_seq = s.seq),
		(SELECT COALESCE(sum(grant_count), 0) FROM accounts WHERE scan_seq = s.seq),
		(SELECT count(*) FROM finding_occurrences WHERE scan_seq = s.seq)
		FROM scans s WHERE seq = ?`
	var sum ScanSummary
	var started, finished sql.NullString
	err := tx.QueryRowContext(ctx, scan, seq).Scan(&sum.ID, &started, &finished,
		&sum.WardVersion, &sum.ConfigPath, &sum.ConfigHash,
		&sum.Accounts, &sum.Grants, &sum.Findings)
	if err != nil {
		return nil, err
	}
	if sum.StartedAt, err = parseTime(started); err != nil {
		return nil, err
	}
	if sum.FinishedAt, err = parseTime(finished); err != nil {
		return nil, err
	}

	const sources = `SELECT name, type, status, error FROM scan_sources
		WHERE scan_seq = ? ORDER BY rowid`
	rows, err := tx.QueryContext(ctx, sources, seq)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var src inventory.SourceResult
		if err := rows.Scan(&src.Name, &src.Type, &src.Status, &src.Error); err != nil {
			return nil, err
		}
		sum.Sources = append(sum.Sources, src)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return &sum, nil
}

// Findings returns the tracked findings that f selects, most severe first,
// each as the latest scan that had it reported it.
func (s *Store) Findings(ctx context.Context, f FindingFilter) ([]FindingRecord, error) {
	minRank := 0
	if f.MinSeverity != "" {
		if minRank = f.MinSeverity.Rank(); minRank < 0 {
			return nil, fmt.Errorf("findings: unknown severity %q", f.MinSeverity)
		}
	}
	switch f.Status {
	case "", FindingOpen, FindingResolved:
	default:
		return nil, fmt.Errorf("findings: unknown status %q: use open or resolved", f.Status)
	}

	const query = `SELECT d.detail, f.status, f.first_seen, f.last_seen, f.resolved_at
		FROM findings f
		JOIN finding_occurrences o
		  ON o.scan_seq = f.last_scan_seq AND o.fingerprint = f.fingerprint
		JOIN finding_details d ON d.id = o.detail_id
		WHERE (? = '' OR f.source = ?)
		  AND (? = '' OR f.rule_id = ?)
		  AND (? = '' OR f.status = ?)
		  AND (? = '' OR f.account_id = ?)
		  AND f.severity_rank >= ?
		ORDER BY f.severity_rank DESC, f.source, f.account_id, f.rule_id, f.resource,
		  f.fingerprint`
	rows, err := s.db.QueryContext(ctx, query, f.Source, f.Source, f.RuleID, f.RuleID,
		f.Status, f.Status, f.AccountID, f.AccountID, minRank)
	if err != nil {
		return nil, fmt.Errorf("findings: %w", err)
	}
	defer rows.Close()

	var out []FindingRecord
	for rows.Next() {
		rec, err := scanFinding(rows)
		if err != nil {
			return nil, fmt.Errorf("findings: %w", err)
		}
		out = append(out, rec)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("findings: %w", err)
	}
	return out, nil
}

// scanFinding reads one row of the Findings query.
func scanFinding(rows *sql.Rows) (FindingRecord, error) {
	var rec FindingRecord
	var detail string
	var first, last, resolved sql.NullString
	if err := rows.Scan(&detail, &rec.Status, &first, &last, &resolved); err != nil {
		return rec, err
	}
	if err := json.Unmarshal([]byte(detail), &rec.Finding); err != nil {
		return rec, fmt.Errorf("stored finding: %w", err)
	}

	var err error
	if rec.FirstSeen, err = parseTime(first); err != nil {
		return rec, err
	}
	if rec.LastSeen, err = parseTime(last); err != nil {
		return rec, err
	}
	if rec.ResolvedAt, err = parseTime(resolved); err != nil {
		return rec, err
	}
	rec.Finding.ResolvedAt = rec.ResolvedAt
	return rec, nil
}

// Finding returns the tracked finding with fingerprint fp, as its latest
// scan reported it. It returns an error wrapping ErrUnknownFinding when
// the store has no such finding.
func (s *Store) Finding(ctx context.Context, fp string) (*FindingRecord, error) {
	const query = `SELECT d.detail, f.status, f.first_seen, f.last_seen, f.resolved_at
		FROM findings f
		JOIN finding_occurrences o
		  ON o.scan_seq = f.last_scan_seq AND o.fingerprint = f.fingerprint
		JOIN finding_details d ON d.id = o.detail_id
		WHERE f.fingerprint = ?`
	rows, err := s.db.QueryContext(ctx, query, fp)
	if err != nil {
		return nil, fmt.Errorf("finding %s: %w", fp, err)
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("finding %s: %w", fp, err)
		}
		return nil, fmt.Errorf("finding %s: %w", fp, ErrUnknownFinding)
	}
	rec, err := scanFinding(rows)
	if err != nil {
		return nil, fmt.Errorf("finding %s: %w", fp, err)
	}
	return &rec, nil
}
