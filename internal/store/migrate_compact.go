package store

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/wardsec/ward/internal/inventory"
)

// convertStorage completes migration 0004: it rewrites the grants and
// resources rows of every stored scan as SaveScan now writes them (grant
// dictionaries and lists, resource lists) and keeps each distinct finding
// detail once, then drops what the new layout replaces. It runs inside the
// migration's transaction, so a store is converted whole or not at all.
// What read back as nil before (an account without grant rows, a source
// without resource rows) is left NULL and still reads back as nil.
func convertStorage(ctx context.Context, tx *sql.Tx) error {
	scans, err := scanSeqs(ctx, tx, `SELECT seq FROM scans ORDER BY seq`)
	if err != nil {
		return err
	}
	for _, seq := range scans {
		if err := convertScanGrants(ctx, tx, seq); err != nil {
			return fmt.Errorf("convert the grants of scan %d: %w", seq, err)
		}
		if err := convertScanResources(ctx, tx, seq); err != nil {
			return fmt.Errorf("convert the resources of scan %d: %w", seq, err)
		}
	}
	if err := convertFindingDetails(ctx, tx); err != nil {
		return fmt.Errorf("convert the finding details: %w", err)
	}

	for _, drop := range []string{
		`DROP TABLE grants`,
		`DROP TABLE resources`,
		`ALTER TABLE finding_occurrences DROP COLUMN detail`,
	} {
		if _, err := tx.ExecContext(ctx, drop); err != nil {
			return fmt.Errorf("%s: %w", drop, err)
		}
	}
	return nil
}

// convertScanGrants converts the grant rows of the scan numbered seq, one
// account at a time.
func convertScanGrants(ctx context.Context, tx *sql.Tx, seq int64) error {
	enc := newGrantEncoder()
	const resources = `SELECT DISTINCT g.resource
		FROM grants g JOIN accounts a ON a.seq = g.account_seq WHERE a.scan_seq = ?`
	if err := eachString(ctx, tx, resources, seq, enc.addResource); err != nil {
		return err
	}
	enc.seal()
	if len(enc.names) == 0 {
		return nil
	}

	accounts, err := scanSeqs(ctx, tx, `SELECT seq FROM accounts WHERE scan_seq = ? ORDER BY seq`,
		seq)
	if err != nil {
		return err
	}

	const update = `UPDATE accounts SET grant_list = ?, grant_count = ?, phi_grant_count = ?
		WHERE seq = ?`
	paths := map[string][]string{}
	var list []byte
	for _, acc := range accounts {
		grants, err := readOldGrants(ctx, tx, acc, paths)
		if err != nil {
			return fmt.Errorf("account %d: %w", acc, err)
		}
		if len(grants) == 0 {
			continue
		}
		var phi int
		if list, phi, err = enc.encode(list[:0], grants); err != nil {
			return fmt.Errorf("account %d: %w", acc, err)
		}
		if _, err := tx.ExecContext(ctx, update, list, len(grants), phi, acc); err != nil {
			return fmt.Errorf("account %d: %w", acc, err)
		}
	}
	return writeGrantDict(ctx, tx, seq, enc)
}

// readOldGrants reads the grant rows of one account of the first schema
// in their order. Equal paths share one slice, kept in paths by their JSON.
func readOldGrants(ctx context.Context, tx *sql.Tx, account int64,
	paths map[string][]string) ([]inventory.Grant, error) {
	const query = `SELECT privilege, resource, resource_type, phi, via, path, set_role_only,
		grantable FROM grants WHERE account_seq = ? ORDER BY ord`
	rows, err := tx.QueryContext(ctx, query, account)
	if err != nil {
		return nil, err
	}
	defer rows.Close()

	var grants []inventory.Grant
	for rows.Next() {
		var g inventory.Grant
		var path sql.NullString
		err := rows.Scan(&g.Privilege, &g.Resource, &g.ResourceType, &g.PHI, &g.Via, &path,
			&g.SetRoleOnly, &g.Grantable)
		if err != nil {
			return nil, err
		}
		if path.Valid {
			p, seen := paths[path.String]
			if !seen {
				if err := readJSON(path, &p); err != nil {
					return nil, err
				}
				paths[path.String] = p
			}
			g.Path = p
		}
		grants = append(grants, g)
	}
	return grants, rows.Err()
}

// eachString calls fn with the first column, as text, of each row of query.
func eachString(ctx context.Context, tx *sql.Tx, query string, arg any,
	fn func(string)) error {
	rows, err := tx.QueryContext(ctx, query, arg)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return err
		}
		fn(s)
	}
	return rows.Err()
}

// scanSeqs returns the first column of each row of query as a number.
func scanSeqs(ctx context.Context, tx *sql.Tx, query string, args ...any) ([]int64, error) {
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var n int64
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// convertScanResources encodes the resource rows of each source of the
// scan numbered seq into its resource list.
func convertScanResources(ctx context.Context, tx *sql.Tx, seq int64) error {
	var sources []string
	const names = `SELECT name FROM scan_sources WHERE scan_seq = ? ORDER BY name`
	if err := eachString(ctx, tx, names, seq, func(s string) {
		sources = append(sources, s)
	}); err != nil {
		return err
	}

	const query = `SELECT name, type, owner, phi, phi_reason, rls, force_rls, policies
		FROM resources WHERE scan_seq = ? AND source = ? ORDER BY ord`
	const update = `UPDATE scan_sources SET resource_list = ? WHERE scan_seq = ? AND name = ?`
	for _, source := range sources {
		rows, err := tx.QueryContext(ctx, query, seq, source)
		if err != nil {
			return err
		}
		var rs []inventory.Resource
		for rows.Next() {
			var r inventory.Resource
			var policies sql.NullString
			err := rows.Scan(&r.Name, &r.Type, &r.Owner, &r.PHI, &r.PHIReason, &r.RLS,
				&r.ForceRLS, &policies)
			if err == nil {
				err = readJSON(policies, &r.Policies)
			}
			if err != nil {
				rows.Close()
				return fmt.Errorf("source %s: %w", source, err)
			}
			rs = append(rs, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("source %s: %w", source, err)
		}
		if rs == nil {
			continue
		}
		if _, err := tx.ExecContext(ctx, update, encodeResources(rs), seq, source); err != nil {
			return fmt.Errorf("source %s: %w", source, err)
		}
	}
	return nil
}

// convertFindingDetails stores the detail of every occurrence once in
// finding_details and points the occurrence at it. It holds one detail at
// a time, and the numbers.
func convertFindingDetails(ctx context.Context, tx *sql.Tx) error {
	details, err := newDetailWriter(ctx, tx)
	if err != nil {
		return err
	}
	defer details.Close()

	type occurrence struct {
		scan     int64
		fp       string
		detailID int64
	}
	var occs []occurrence
	rows, err := tx.QueryContext(ctx,
		`SELECT scan_seq, fingerprint, detail FROM finding_occurrences`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var o occurrence
		var detail []byte
		if err := rows.Scan(&o.scan, &o.fp, &detail); err != nil {
			rows.Close()
			return err
		}
		if o.detailID, err = details.store(detail); err != nil {
			rows.Close()
			return err
		}
		occs = append(occs, o)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}

	const update = `UPDATE finding_occurrences SET detail_id = ?
		WHERE scan_seq = ? AND fingerprint = ?`
	stmt, err := tx.PrepareContext(ctx, update)
	if err != nil {
		return err
	}
	defer stmt.Close()
	for _, o := range occs {
		if _, err := stmt.ExecContext(ctx, o.detailID, o.scan, o.fp); err != nil {
			return err
		}
	}
	return nil
}
