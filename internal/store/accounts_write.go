package store

import (
	"fmt"

	"github.com/wardsec/ward/internal/inventory"
)

// insertAccounts writes accounts and their grants with prepared statements
// reused for every row.
func (w *scanWriter) insertAccounts(accounts []inventory.Account) error {
	const insertAccount = `INSERT INTO accounts
		(scan_seq, account_id, source, name, kind, kind_reasons, owner, purpose,
		 attributes, memberships)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	const insertGrant = `INSERT INTO grants
		(account_seq, ord, privilege, resource, resource_type, phi, via, path,
		 set_role_only, grantable)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

	as, err := w.tx.PrepareContext(w.ctx, insertAccount)
	if err != nil {
		return err
	}
	defer as.Close()
	gs, err := w.tx.PrepareContext(w.ctx, insertGrant)
	if err != nil {
		return err
	}
	defer gs.Close()

	for _, a := range accounts {
		reasons, err := jsonText(a.KindReasons)
		if err != nil {
			return fmt.Errorf("account %s: %w", a.ID, err)
		}
		attrs, err := jsonText(a.Attributes)
		if err != nil {
			return fmt.Errorf("account %s: %w", a.ID, err)
		}
		members, err := jsonText(a.Memberships)
		if err != nil {
			return fmt.Errorf("account %s: %w", a.ID, err)
		}

		res, err := as.ExecContext(w.ctx, w.scanSeq, a.ID, a.Source, a.Name, a.Kind,
			reasons, a.Owner, a.Purpose, attrs, members)
		if err != nil {
			return fmt.Errorf("account %s: %w", a.ID, err)
		}
		seq, err := res.LastInsertId()
		if err != nil {
			return fmt.Errorf("account %s: %w", a.ID, err)
		}

		for i, g := range a.Grants {
			path, err := jsonText(g.Path)
			if err != nil {
				return fmt.Errorf("account %s: grant %d: %w", a.ID, i, err)
			}
			_, err = gs.ExecContext(w.ctx, seq, i, g.Privilege, g.Resource, g.ResourceType,
				boolInt(g.PHI), g.Via, path, boolInt(g.SetRoleOnly), boolInt(g.Grantable))
			if err != nil {
				return fmt.Errorf("account %s: grant %d: %w", a.ID, i, err)
			}
		}
	}
	return nil
}
