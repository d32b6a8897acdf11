package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/wardsec/ward/internal/inventory"
)

// Finding status values in the store.
const (
	FindingOpen     = "open"
	FindingResolved = "resolved"
)

// SaveScan writes r in one transaction: the scan, its sources with what
// their snapshots said about coverage, gaps and settings, its accounts with
// their grants, and its findings. Either all of it is stored or, when ctx is
// cancelled or a write fails, none of it.
//
// Findings are tracked by fingerprint. A finding in r is open with its last
// seen time set to r.StartedAt, keeping the first seen time of the earliest
// scan that had it; a resolved finding that appears again is reopened. An
// open finding absent from r is resolved only when r scanned its source
// completely: a partial or failed source leaves its findings as they were,
// and so does a source r did not scan at all.
//
// Each occurrence records what it was to the finding's lifecycle (new,
// reopened or still open), and each resolution is kept, so that Changes can
// later tell what this scan changed.
//
// When several findings in r share a fingerprint they are one finding; the
// most severe (the first of equals) is the one stored. After a successful
// save, SaveScan sets FirstSeen and LastSeen of every finding in r.
// SaveScan stores r.Accounts; the accounts inside the snapshots are taken to
// be the same and are not stored twice.
func (s *Store) SaveScan(ctx context.Context, r *inventory.ScanResult) (err error) {
	if err := validateScan(r); err != nil {
		return fmt.Errorf("save scan: %w", err)
	}
	defer func() {
		if err != nil {
			err = fmt.Errorf("save scan %s: %w", r.ID, err)
		}
	}()

	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tx.Rollback()
		}
	}()

	w := &scanWriter{ctx: ctx, tx: tx, at: formatTime(r.StartedAt)}
	seen, err := s.writeScan(w, r)
	if err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}

	for i := range r.Findings {
		f := &r.Findings[i]
		f.FirstSeen, f.LastSeen = seen[f.Fingerprint].first, seen[f.Fingerprint].last
	}
	return nil
}

// writeScan runs the steps of SaveScan inside w's transaction and returns
// the seen times of the findings by fingerprint.
func (s *Store) writeScan(w *scanWriter, r *inventory.ScanResult) (map[string]seenTimes, error) {
	if err := w.insertScan(r); err != nil {
		return nil, err
	}
	s.step("scan")

	for _, src := range r.Sources {
		if err := w.insertSource(src); err != nil {
			return nil, fmt.Errorf("source %s: %w", src.Name, err)
		}
	}
	s.step("sources")

	if err := w.insertAccounts(r.Accounts); err != nil {
		return nil, err
	}
	s.step("accounts")

	seen, err := w.upsertFindings(distinctFindings(r.Findings))
	if err != nil {
		return nil, err
	}
	s.step("findings")

	for _, src := range r.Sources {
		if src.Status != inventory.StatusComplete {
			continue
		}
		if err := w.resolveAbsent(src.Name, src.UncheckedRules); err != nil {
			return nil, fmt.Errorf("source %s: %w", src.Name, err)
		}
	}
	s.step("resolve")

	// Last of all: only a scan whose every row is written is complete.
	const done = `UPDATE scans SET complete = 1 WHERE seq = ?`
	if _, err := w.tx.ExecContext(w.ctx, done, w.scanSeq); err != nil {
		return nil, fmt.Errorf("mark complete: %w", err)
	}
	return seen, nil
}

// validateScan rejects a result that cannot be stored faithfully, before
// anything is written.
func validateScan(r *inventory.ScanResult) error {
	if r == nil {
		return errors.New("no scan result")
	}
	if r.ID == "" {
		return errors.New("scan has no ID")
	}
	if r.StartedAt.IsZero() {
		return fmt.Errorf("scan %s has no start time", r.ID)
	}
	for _, src := range r.Sources {
		switch src.Status {
		case inventory.StatusComplete, inventory.StatusPartial, inventory.StatusFailed:
		default:
			return fmt.Errorf("scan %s: source %q has unknown status %q",
				r.ID, src.Name, src.Status)
		}
	}
	for i, f := range r.Findings {
		if f.Fingerprint == "" {
			return fmt.Errorf("scan %s: finding %d (rule %s) has no fingerprint", r.ID, i, f.RuleID)
		}
		if f.Severity.Rank() < 0 {
			return fmt.Errorf("scan %s: finding %s has unknown severity %q",
				r.ID, f.Fingerprint, f.Severity)
		}
	}
	return nil
}

// distinctFindings returns one finding per fingerprint, the most severe of
// those sharing it and the first of equals, in the order of fs.
func distinctFindings(fs []inventory.Finding) []*inventory.Finding {
	at := make(map[string]int, len(fs))
	var out []*inventory.Finding
	for i := range fs {
		f := &fs[i]
		j, dup := at[f.Fingerprint]
		switch {
		case !dup:
			at[f.Fingerprint] = len(out)
			out = append(out, f)
		case f.Severity.Rank() > out[j].Severity.Rank():
			out[j] = f
		}
	}
	return out
}

// scanWriter writes the rows of one scan inside one transaction.
type scanWriter struct {
	ctx context.Context
	tx  *sql.Tx
	// at is the scan's time as stored.
	at      string
	scanSeq int64
}

func (w *scanWriter) insertScan(r *inventory.ScanResult) error {
	var exists bool
	const find = `SELECT EXISTS (SELECT 1 FROM scans WHERE id = ?)`
	if err := w.tx.QueryRowContext(w.ctx, find, r.ID).Scan(&exists); err != nil {
		return err
	}
	if exists {
		return errors.New("a scan with this ID is already stored")
	}

	const insert = `INSERT INTO scans
		(id, started_at, finished_at, ward_version, config_path, config_hash, complete)
		VALUES (?, ?, ?, ?, ?, ?, 0)`
	res, err := w.tx.ExecContext(w.ctx, insert, r.ID, w.at, nullTime(r.FinishedAt),
		r.WardVersion, r.ConfigPath, r.ConfigHash)
	if err != nil {
		return fmt.Errorf("insert scan: %w", err)
	}
	w.scanSeq, err = res.LastInsertId()
	return err
}

func (w *scanWriter) insertSource(src inventory.SourceResult) error {
	snap := src.Snapshot
	if snap == nil {
		snap = &inventory.Snapshot{}
	}
	var settings *sourceSettings
	if snap.Postgres != nil {
		settings = &sourceSettings{Postgres: snap.Postgres}
	}
	var cols [9]any
	for i, v := range []any{
		snap.ScannerPrivileges, snap.Databases, snap.Gaps, settings, snap.Sessions,
		src.UncheckedRules, snap.PublicGrants, snap.Functions, snap.DefaultPrivileges,
	} {
		var err error
		if cols[i], err = jsonText(v); err != nil {
			return err
		}
	}

	const insert = `INSERT INTO scan_sources
		(scan_seq, name, type, status, error, has_snapshot, started_at, finished_at,
		 scanner, scanner_privileges, databases, gaps, settings, sessions,
		 unchecked_rules, public_grants, functions, default_privileges, resource_list)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	var resources any // NULL for a nil list
	if list := encodeResources(snap.Resources); list != nil {
		resources = list
	}
	_, err := w.tx.ExecContext(w.ctx, insert, w.scanSeq, src.Name, src.Type, src.Status,
		src.Error, boolInt(src.Snapshot != nil), nullTime(snap.StartedAt),
		nullTime(snap.FinishedAt), snap.Scanner, cols[0], cols[1], cols[2], cols[3], cols[4],
		cols[5], cols[6], cols[7], cols[8], resources)
	return err
}

// sourceSettings is the JSON of scan_sources.settings: the security settings
// of a source, one field per kind of source, so that each kind can add its
// own without a migration.
type sourceSettings struct {
	Postgres *inventory.PGSettings `json:"postgres,omitempty"`
}

// seenTimes are the first and last seen times of a finding after a save.
type seenTimes struct{ first, last time.Time }

// upsertFindings records the occurrence of each finding in this scan and
// updates its lifecycle row, and returns the resulting seen times.
func (w *scanWriter) upsertFindings(fs []*inventory.Finding) (map[string]seenTimes, error) {
	// In the SET clause, bare column names are the row's values before the
	// update; excluded.* are the values of this scan. A scan older than the
	// row's last sighting (saved out of order) only widens first_seen.
	const upsert = `INSERT INTO findings
		(fingerprint, rule_id, source, account_id, resource, severity, severity_rank,
		 status, first_seen, last_seen, last_scan_seq)
		VALUES (?, ?, ?, ?, ?, ?, ?, 'open', ?, ?, ?)
		ON CONFLICT (fingerprint) DO UPDATE SET
		 first_seen = min(first_seen, excluded.first_seen),
		 last_seen = max(last_seen, excluded.last_seen),
		 last_scan_seq = CASE WHEN excluded.last_seen >= last_seen
		   THEN excluded.last_scan_seq ELSE last_scan_seq END,
		 severity = CASE WHEN excluded.last_seen >= last_seen
		   THEN excluded.severity ELSE severity END,
		 severity_rank = CASE WHEN excluded.last_seen >= last_seen
		   THEN excluded.severity_rank ELSE severity_rank END,
		 status = CASE WHEN resolved_at IS NULL OR resolved_at <= excluded.last_seen
		   THEN 'open' ELSE status END,
		 resolved_scan_seq = CASE WHEN resolved_at <= excluded.last_seen
		   THEN NULL ELSE resolved_scan_seq END,
		 resolved_at = CASE WHEN resolved_at <= excluded.last_seen
		   THEN NULL ELSE resolved_at END
		RETURNING first_seen, last_seen`
	const occur = `INSERT INTO finding_occurrences
		(scan_seq, fingerprint, severity, detail_id, change)
		VALUES (?, ?, ?, ?, ?)`
	const prior = `SELECT first_seen, status, resolved_at FROM findings WHERE fingerprint = ?`

	up, err := w.tx.PrepareContext(w.ctx, upsert)
	if err != nil {
		return nil, err
	}
	defer up.Close()
	oc, err := w.tx.PrepareContext(w.ctx, occur)
	if err != nil {
		return nil, err
	}
	defer oc.Close()
	pr, err := w.tx.PrepareContext(w.ctx, prior)
	if err != nil {
		return nil, err
	}
	defer pr.Close()
	details, err := newDetailWriter(w.ctx, w.tx)
	if err != nil {
		return nil, err
	}
	defer details.Close()

	seen := make(map[string]seenTimes, len(fs))
	for _, f := range fs {
		change, err := w.changeOf(pr, f.Fingerprint)
		if err != nil {
			return nil, fmt.Errorf("finding %s: %w", f.Fingerprint, err)
		}

		var first, last sql.NullString
		err = up.QueryRowContext(w.ctx, f.Fingerprint, f.RuleID, f.Source, f.AccountID,
			f.Resource, f.Severity, f.Severity.Rank(), w.at, w.at, w.scanSeq).Scan(&first, &last)
		if err != nil {
			return nil, fmt.Errorf("finding %s: %w", f.Fingerprint, err)
		}

		detail, err := details.id(*f)
		if err != nil {
			return nil, fmt.Errorf("finding %s: %w", f.Fingerprint, err)
		}
		_, err = oc.ExecContext(w.ctx, w.scanSeq, f.Fingerprint, f.Severity, detail, change)
		if err != nil {
			return nil, fmt.Errorf("finding %s: %w", f.Fingerprint, err)
		}

		var st seenTimes
		if st.first, err = parseTime(first); err != nil {
			return nil, err
		}
		if st.last, err = parseTime(last); err != nil {
			return nil, err
		}
		seen[f.Fingerprint] = st
	}
	return seen, nil
}

// Changes of an occurrence, as finding_occurrences.change stores them.
const (
	changeNew      = "new"
	changeReopened = "reopened"
	changeOpen     = "open"
)

// changeOf says what this scan's occurrence of the finding fp is to its
// lifecycle, from the finding's row before this scan touches it: new when
// no scan had it (or only later ones, for a scan saved out of order),
// reopened when it was resolved, open otherwise.
func (w *scanWriter) changeOf(prior *sql.Stmt, fp string) (string, error) {
	var first, status string
	var resolvedAt sql.NullString
	err := prior.QueryRowContext(w.ctx, fp).Scan(&first, &status, &resolvedAt)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return changeNew, nil
	case err != nil:
		return "", err
	case first > w.at:
		return changeNew, nil
	case status == FindingResolved && resolvedAt.Valid && resolvedAt.String <= w.at:
		return changeReopened, nil
	}
	return changeOpen, nil
}

// resolveAbsent resolves the open findings of source that this scan did not
// report. The caller has checked that the source was scanned completely.
// Findings of the unchecked rules, which this scan could not evaluate, are
// left open: their absence says nothing.
func (w *scanWriter) resolveAbsent(source string, unchecked []string) error {
	const resolve = `UPDATE findings
		SET status = 'resolved', resolved_at = ?, resolved_scan_seq = ?
		WHERE source = ? AND status = 'open' AND last_seen <= ?
		  AND rule_id NOT IN (SELECT value FROM json_each(?))
		  AND NOT EXISTS (SELECT 1 FROM finding_occurrences o
		                  WHERE o.scan_seq = ? AND o.fingerprint = findings.fingerprint)`
	if unchecked == nil {
		unchecked = []string{}
	}
	skip, err := json.Marshal(unchecked)
	if err != nil {
		return err
	}
	_, err = w.tx.ExecContext(w.ctx, resolve, w.at, w.scanSeq, source, w.at, string(skip), w.scanSeq)
	if err != nil {
		return err
	}

	// Kept apart from the findings row, whose resolution a later scan may
	// clear by reopening the finding.
	const record = `INSERT INTO finding_resolutions (scan_seq, fingerprint)
		SELECT ?, fingerprint FROM findings WHERE resolved_scan_seq = ? AND source = ?`
	_, err = w.tx.ExecContext(w.ctx, record, w.scanSeq, w.scanSeq, source)
	return err
}
