package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/wardsec/ward/internal/inventory"
)

// dateLayout is how a suppression's last day is stored.
const dateLayout = "2006-01-02"

// Suppression is a suppression recorded in the store for one finding.
type Suppression struct {
	Fingerprint string
	// Suppression holds the reason, last day, author and time; its Source
	// is inventory.SuppressionFromCommand and Expired is left false (it
	// depends on when it is read).
	inventory.Suppression
	// RevokedAt is when `ward suppress --revoke` ended the suppression;
	// zero while it is not revoked.
	RevokedAt time.Time
	// RevokedBy is who revoked it; empty while it is not revoked.
	RevokedBy string
	// RevokeReason is why it was revoked; empty while it is not revoked.
	RevokeReason string
}

// Revoked reports whether the suppression was ended by a revocation.
func (s Suppression) Revoked() bool { return !s.RevokedAt.IsZero() }

// ErrNoSuppression is wrapped by RevokeSuppression when the finding has no
// suppression recorded with `ward suppress` that is not revoked already.
var ErrNoSuppression = errors.New("no suppression to revoke")

// AddSuppression records that the risk of the tracked finding fp is
// accepted until the end of the day until (UTC), by by, for reason. A
// later suppression of the same finding takes over from an earlier one;
// both stay in the store. It fails with an error wrapping
// ErrUnknownFinding when the store tracks no finding fp, and refuses an
// empty reason or author. It does not judge the date: the caller decides
// whether a past day makes sense.
func (s *Store) AddSuppression(ctx context.Context, fp, reason string, until time.Time,
	by string, at time.Time) error {
	reason, by = strings.TrimSpace(reason), strings.TrimSpace(by)
	switch {
	case reason == "":
		return errors.New("add suppression: no reason given")
	case by == "":
		return errors.New("add suppression: no author given")
	}

	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("add suppression: %w", err)
	}
	defer tx.Rollback()

	var known bool
	const find = `SELECT EXISTS (SELECT 1 FROM findings WHERE fingerprint = ?)`
	if err := tx.QueryRowContext(ctx, find, fp).Scan(&known); err != nil {
		return fmt.Errorf("add suppression: %w", err)
	}
	if !known {
		return fmt.Errorf("add suppression for %s: %w", fp, ErrUnknownFinding)
	}

	const insert = `INSERT INTO suppressions (fingerprint, reason, until, created_by, created_at)
		VALUES (?, ?, ?, ?, ?)`
	_, err = tx.ExecContext(ctx, insert, fp, reason, until.UTC().Format(dateLayout), by,
		formatTime(at))
	if err != nil {
		return fmt.Errorf("add suppression for %s: %w", fp, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("add suppression for %s: commit: %w", fp, err)
	}
	return nil
}

// Suppressions returns the suppression in force for each finding that has
// one, the latest recorded, sorted by fingerprint. A finding whose latest
// suppression was revoked has none. Expired ones are included; the caller
// judges expiry against its own clock.
func (s *Store) Suppressions(ctx context.Context) ([]Suppression, error) {
	all, err := s.LatestSuppressions(ctx)
	if err != nil {
		return nil, err
	}
	out := all[:0]
	for _, sp := range all {
		if !sp.Revoked() {
			out = append(out, sp)
		}
	}
	return out, nil
}

// LatestSuppressions returns the latest suppression recorded for each
// finding, revoked or not, sorted by fingerprint.
func (s *Store) LatestSuppressions(ctx context.Context) ([]Suppression, error) {
	const query = `SELECT s.fingerprint, s.reason, s.until, s.created_by, s.created_at,
			r.reason, r.revoked_by, r.revoked_at
		FROM suppressions s
		LEFT JOIN suppression_revocations r ON r.suppression_seq = s.seq
		WHERE s.seq = (SELECT max(seq) FROM suppressions l WHERE l.fingerprint = s.fingerprint)
		ORDER BY s.fingerprint`
	rows, err := s.db.QueryContext(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("suppressions: %w", err)
	}
	defer rows.Close()

	var out []Suppression
	for rows.Next() {
		var sp Suppression
		var until string
		var at, rReason, rBy, rAt sql.NullString
		if err := rows.Scan(&sp.Fingerprint, &sp.Reason, &until, &sp.By, &at,
			&rReason, &rBy, &rAt); err != nil {
			return nil, fmt.Errorf("suppressions: %w", err)
		}
		if sp.Until, err = time.Parse(dateLayout, until); err != nil {
			return nil, fmt.Errorf("suppressions: stored date %q: %w", until, err)
		}
		if sp.CreatedAt, err = parseTime(at); err != nil {
			return nil, fmt.Errorf("suppressions: %w", err)
		}
		if sp.RevokedAt, err = parseTime(rAt); err != nil {
			return nil, fmt.Errorf("suppressions: %w", err)
		}
		sp.RevokedBy, sp.RevokeReason = rBy.String, rReason.String
		sp.Source = inventory.SuppressionFromCommand
		out = append(out, sp)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("suppressions: %w", err)
	}
	return out, nil
}

// RevokeSuppression ends at at the suppression of finding fp recorded with
// `ward suppress`, by by, for reason. The suppression stays in the store
// with its revocation. It fails with an error wrapping ErrNoSuppression
// when fp has no such suppression, or its latest one is revoked already,
// and refuses an empty reason or author.
func (s *Store) RevokeSuppression(ctx context.Context, fp, reason, by string,
	at time.Time) error {
	reason, by = strings.TrimSpace(reason), strings.TrimSpace(by)
	switch {
	case reason == "":
		return errors.New("revoke suppression: no reason given")
	case by == "":
		return errors.New("revoke suppression: no author given")
	}

	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("revoke suppression: %w", err)
	}
	defer tx.Rollback()

	var seq int64
	var revoked bool
	const find = `SELECT s.seq, r.suppression_seq IS NOT NULL
		FROM suppressions s
		LEFT JOIN suppression_revocations r ON r.suppression_seq = s.seq
		WHERE s.fingerprint = ? ORDER BY s.seq DESC LIMIT 1`
	err = tx.QueryRowContext(ctx, find, fp).Scan(&seq, &revoked)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && revoked) {
		return fmt.Errorf("revoke suppression of %s: %w", fp, ErrNoSuppression)
	}
	if err != nil {
		return fmt.Errorf("revoke suppression of %s: %w", fp, err)
	}
	const insert = `INSERT INTO suppression_revocations
		(suppression_seq, reason, revoked_by, revoked_at) VALUES (?, ?, ?, ?)`
	if _, err := tx.ExecContext(ctx, insert, seq, reason, by, formatTime(at)); err != nil {
		return fmt.Errorf("revoke suppression of %s: %w", fp, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("revoke suppression of %s: commit: %w", fp, err)
	}
	return nil
}
