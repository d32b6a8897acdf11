package store

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/wardsec/ward/internal/inventory"
)

// Accounts returns the accounts of the scan scanID with their grants, in the
// order the scan listed them. An empty scanID means the latest scan. It
// returns an error wrapping ErrNotFound when there is no such scan.
func (s *Store) Accounts(ctx context.Context, scanID string) ([]inventory.Account, error) {
	accounts, err := s.accounts(ctx, scanID)
	if err != nil {
		if scanID == "" {
			return nil, fmt.Errorf("accounts of the latest scan: %w", err)
		}
		return nil, fmt.Errorf("accounts of scan %s: %w", scanID, err)
	}
	return accounts, nil
}

func (s *Store) accounts(ctx context.Context, scanID string) ([]inventory.Account, error) {
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()

	scanSeq, err := findScan(ctx, tx, scanID)
	if err != nil {
		return nil, err
	}

	accounts, index, err := readAccounts(ctx, tx, scanSeq)
	if err != nil {
		return nil, err
	}
	if err := readGrants(ctx, tx, scanSeq, accounts, index); err != nil {
		return nil, err
	}
	return accounts, nil
}

// readAccounts reads the accounts of a scan without their grants, and
// returns with them the position of each by its row number.
func readAccounts(ctx context.Context, tx *sql.Tx, scanSeq int64) (
	[]inventory.Account, map[int64]int, error) {
	const query = `SELECT seq, account_id, source, name, kind, kind_reasons, owner, purpose,
		attributes, memberships
		FROM accounts WHERE scan_seq = ? ORDER BY seq`
	rows, err := tx.QueryContext(ctx, query, scanSeq)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()

	var accounts []inventory.Account
	index := make(map[int64]int)
	for rows.Next() {
		var a inventory.Account
		var seq int64
		var reasons, attrs, members sql.NullString
		err := rows.Scan(&seq, &a.ID, &a.Source, &a.Name, &a.Kind, &reasons, &a.Owner,
			&a.Purpose, &attrs, &members)
		if err != nil {
			return nil, nil, err
		}
		for _, c := range []struct {
			v   sql.NullString
			dst any
		}{{reasons, &a.KindReasons}, {attrs, &a.Attributes}, {members, &a.Memberships}} {
			if err := readJSON(c.v, c.dst); err != nil {
				return nil, nil, fmt.Errorf("account %s: %w", a.ID, err)
			}
		}
		index[seq] = len(accounts)
		accounts = append(accounts, a)
	}
	return accounts, index, rows.Err()
}

// readGrants reads the grants of a scan's accounts into them.
func readGrants(ctx context.Context, tx *sql.Tx, scanSeq int64,
	accounts []inventory.Account, index map[int64]int) error {
	const query = `SELECT g.account_seq, g.privilege, g.resource, g.resource_type, g.phi,
		g.via, g.path, g.set_role_only, g.grantable
		FROM grants g JOIN accounts a ON a.seq = g.account_seq
		WHERE a.scan_seq = ? ORDER BY g.account_seq, g.ord`
	rows, err := tx.QueryContext(ctx, query, scanSeq)
	if err != nil {
		return err
	}
	defer rows.Close()

	for rows.Next() {
		var g inventory.Grant
		var seq int64
		var path sql.NullString
		err := rows.Scan(&seq, &g.Privilege, &g.Resource, &g.ResourceType, &g.PHI, &g.Via,
			&path, &g.SetRoleOnly, &g.Grantable)
		if err != nil {
			return err
		}
		a := &accounts[index[seq]]
		if err := readJSON(path, &g.Path); err != nil {
			return fmt.Errorf("account %s: grant: %w", a.ID, err)
		}
		a.Grants = append(a.Grants, g)
	}
	return rows.Err()
}
