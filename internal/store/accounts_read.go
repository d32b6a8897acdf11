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

	dict, err := readGrantDict(ctx, tx, scanSeq)
	if err != nil {
		return nil, err
	}
	return readAccounts(ctx, tx, scanSeq, dict)
}

// readAccounts reads the accounts of a scan with their grants, decoded
// against the scan's grant dictionaries.
func readAccounts(ctx context.Context, tx *sql.Tx, scanSeq int64, dict *grantDict) (
	[]inventory.Account, error) {
	const query = `SELECT account_id, source, name, kind, kind_reasons, owner, purpose,
		attributes, memberships, grant_list
		FROM accounts WHERE scan_seq = ? ORDER BY seq`
	rows, err := tx.QueryContext(ctx, query, scanSeq)
	if err != nil {
		return nil, err
	}
	defer rows.Close()

	var accounts []inventory.Account
	var refs []grantRef
	for rows.Next() {
		var a inventory.Account
		var reasons, attrs, members sql.NullString
		var list []byte
		err := rows.Scan(&a.ID, &a.Source, &a.Name, &a.Kind, &reasons, &a.Owner,
			&a.Purpose, &attrs, &members, &list)
		if err != nil {
			return nil, err
		}
		for _, c := range []struct {
			v   sql.NullString
			dst any
		}{{reasons, &a.KindReasons}, {attrs, &a.Attributes}, {members, &a.Memberships}} {
			if err := readJSON(c.v, c.dst); err != nil {
				return nil, fmt.Errorf("account %s: %w", a.ID, err)
			}
		}
		if a.Grants, refs, err = dict.decode(list, refs); err != nil {
			return nil, fmt.Errorf("account %s: %w", a.ID, err)
		}
		accounts = append(accounts, a)
	}
	return accounts, rows.Err()
}
