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
}

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
// one, the latest recorded, sorted by fingerprint. Expired ones are
// included; the caller judges expiry against its own clock.
func (s *Store) Suppressions(ctx context.Context) ([]Suppression, error) {
	const query = `SELECT fingerprint, reason, until, created_by, created_at
		FROM suppressions s
		WHERE seq = (SELECT max(seq) FROM suppressions l WHERE l.fingerprint = s.fingerprint)
		ORDER BY fingerprint`
	rows, err := s.db.QueryContext(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("suppressions: %w", err)
	}
	defer rows.Close()

	var out []Suppression
	for rows.Next() {
		var sp Suppression
		var until string
		var at sql.NullString
		if err := rows.Scan(&sp.Fingerprint, &sp.Reason, &until, &sp.By, &at); err != nil {
			return nil, fmt.Errorf("suppressions: %w", err)
		}
		if sp.Until, err = time.Parse(dateLayout, until); err != nil {
			return nil, fmt.Errorf("suppressions: stored date %q: %w", until, err)
		}
		if sp.CreatedAt, err = parseTime(at); err != nil {
			return nil, fmt.Errorf("suppressions: %w", err)
		}
		sp.Source = inventory.SuppressionFromCommand
		out = append(out, sp)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("suppressions: %w", err)
	}
	return out, nil
}
