package store

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/wardsec/ward/internal/inventory"
)

// insertAccounts writes accounts with their grant lists encoded against
// the scan's grant dictionaries, then the dictionaries (grants_codec.go
// describes the layout). It encodes one account at a time into one reused
// buffer, so saving a million grants allocates next to nothing.
func (w *scanWriter) insertAccounts(accounts []inventory.Account) error {
	const insertAccount = `INSERT INTO accounts
		(scan_seq, account_id, source, name, kind, kind_reasons, owner, purpose,
		 attributes, memberships, grant_count, phi_grant_count, grant_list)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

	enc := newGrantEncoder()
	enc.addResources(accounts)
	enc.seal()

	as, err := w.tx.PrepareContext(w.ctx, insertAccount)
	if err != nil {
		return err
	}
	defer as.Close()

	var buf []byte
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

		var list any // NULL for a nil list
		phi := 0
		if a.Grants != nil {
			buf, phi, err = enc.encode(buf[:0], a.Grants)
			if err != nil {
				return fmt.Errorf("account %s: %w", a.ID, err)
			}
			list = buf
		}
		_, err = as.ExecContext(w.ctx, w.scanSeq, a.ID, a.Source, a.Name, a.Kind,
			reasons, a.Owner, a.Purpose, attrs, members, len(a.Grants), phi, list)
		if err != nil {
			return fmt.Errorf("account %s: %w", a.ID, err)
		}
	}
	return writeGrantDict(w.ctx, w.tx, w.scanSeq, enc)
}

// writeGrantDict stores the dictionaries that the grant lists of the scan
// numbered scanSeq were encoded against.
func writeGrantDict(ctx context.Context, tx *sql.Tx, scanSeq int64, enc *grantEncoder) error {
	const insertResource = `INSERT INTO grant_resources (scan_seq, id, name) VALUES (?, ?, ?)`
	const insertShape = `INSERT INTO grant_shapes
		(scan_seq, id, privilege, resource_type, via, path, set_role_only, grantable)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`

	rs, err := tx.PrepareContext(ctx, insertResource)
	if err != nil {
		return err
	}
	defer rs.Close()
	for id, name := range enc.names {
		if _, err := rs.ExecContext(ctx, scanSeq, id, name); err != nil {
			return fmt.Errorf("grant resource %s: %w", name, err)
		}
	}

	ss, err := tx.PrepareContext(ctx, insertShape)
	if err != nil {
		return err
	}
	defer ss.Close()
	for id, s := range enc.shapes {
		path, err := jsonText(s.path)
		if err != nil {
			return fmt.Errorf("grant shape %d: %w", id, err)
		}
		_, err = ss.ExecContext(ctx, scanSeq, id, s.privilege, s.resourceType, s.via, path,
			boolInt(s.setRoleOnly), boolInt(s.grantable))
		if err != nil {
			return fmt.Errorf("grant shape %d: %w", id, err)
		}
	}
	return nil
}
