package store

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/wardsec/ward/internal/inventory"
)

// grantDict is the pair of grant dictionaries of one stored scan, read
// back to decode its grant lists.
type grantDict struct {
	names  []string
	shapes []grantShape
	// pathKeys holds the stored JSON of each shape's path, "" for a nil or
	// empty path: how Changes compares and orders paths.
	pathKeys []string
}

// readGrantDict reads the grant dictionaries of the scan numbered scanSeq.
// Shapes with equal paths share one path slice.
func readGrantDict(ctx context.Context, tx *sql.Tx, scanSeq int64) (*grantDict, error) {
	d := &grantDict{}
	const resources = `SELECT id, name FROM grant_resources WHERE scan_seq = ? ORDER BY id`
	rows, err := tx.QueryContext(ctx, resources, scanSeq)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id int
		var name string
		if err := rows.Scan(&id, &name); err != nil {
			return nil, err
		}
		if id != len(d.names) {
			return nil, fmt.Errorf("grant resources of scan %d: number %d out of sequence",
				scanSeq, id)
		}
		d.names = append(d.names, name)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()

	if err := d.readShapes(ctx, tx, scanSeq); err != nil {
		return nil, fmt.Errorf("grant shapes of scan %d: %w", scanSeq, err)
	}
	return d, nil
}

func (d *grantDict) readShapes(ctx context.Context, tx *sql.Tx, scanSeq int64) error {
	const shapes = `SELECT id, privilege, resource_type, via, path, set_role_only, grantable
		FROM grant_shapes WHERE scan_seq = ? ORDER BY id`
	rows, err := tx.QueryContext(ctx, shapes, scanSeq)
	if err != nil {
		return err
	}
	defer rows.Close()

	paths := map[string][]string{}
	for rows.Next() {
		var id int
		var s grantShape
		var path sql.NullString
		err := rows.Scan(&id, &s.privilege, &s.resourceType, &s.via, &path, &s.setRoleOnly,
			&s.grantable)
		if err != nil {
			return err
		}
		if id != len(d.shapes) {
			return fmt.Errorf("number %d out of sequence", id)
		}
		key := ""
		if path.Valid {
			p, seen := paths[path.String]
			if !seen {
				if err := readJSON(path, &p); err != nil {
					return fmt.Errorf("shape %d: %w", id, err)
				}
				paths[path.String] = p
			}
			s.path = p
			if len(p) > 0 {
				key = path.String
			}
		}
		d.shapes = append(d.shapes, s)
		d.pathKeys = append(d.pathKeys, key)
	}
	return rows.Err()
}

// decode decodes a stored grant list into grants; refs is scratch space,
// returned for reuse. The grants of one shape share its path slice.
func (d *grantDict) decode(blob []byte, refs []grantRef) ([]inventory.Grant, []grantRef, error) {
	refs, isNil, err := decodeGrantList(blob, len(d.names), len(d.shapes), refs)
	if err != nil || isNil {
		return nil, refs, err
	}
	grants := make([]inventory.Grant, len(refs))
	for i, r := range refs {
		s := &d.shapes[r.shape]
		grants[i] = inventory.Grant{
			Privilege:    s.privilege,
			Resource:     d.names[r.resource],
			ResourceType: s.resourceType,
			PHI:          r.phi,
			Via:          s.via,
			Path:         s.path,
			SetRoleOnly:  s.setRoleOnly,
			Grantable:    s.grantable,
		}
	}
	return grants, refs, nil
}

// storedGrantsError says whose stored grant list could not be read.
func storedGrantsError(account string, err error) error {
	return fmt.Errorf("account %s: %w", account, err)
}
