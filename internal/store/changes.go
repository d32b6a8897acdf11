package store

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/wardsec/ward/internal/inventory"
)

// Changes compares each source of the stored scan scanID (the latest scan
// when empty) with the previous scan of that source, the last earlier scan
// in which it did not fail. It reads stored rows only, so the changes of
// any stored scan can be read back later.
//
// How each case is decided (inventory.SourceChanges says the same):
//   - A source that failed in this scan has no comparison
//     (inventory.ComparedNotAtAll): nothing was collected.
//   - A source no earlier scan collected is a first scan
//     (inventory.ComparedFirstScan): its findings are all new; accounts and
//     grants are not listed as added.
//   - Findings follow their tracked lifecycle: new (or reopened),
//     unchanged, or resolved by this scan. A partial scan resolves nothing.
//   - Grants are compared only on databases that both scans read; the
//     others are named in Notes.
//
// It returns an error wrapping ErrNotFound when there is no such scan.
func (s *Store) Changes(ctx context.Context, scanID string) (*inventory.Changes, error) {
	c, err := s.changes(ctx, scanID)
	if err != nil {
		if scanID == "" {
			return nil, fmt.Errorf("changes of the latest scan: %w", err)
		}
		return nil, fmt.Errorf("changes of scan %s: %w", scanID, err)
	}
	return c, nil
}

func (s *Store) changes(ctx context.Context, scanID string) (*inventory.Changes, error) {
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()

	seq, err := findScan(ctx, tx, scanID)
	if err != nil {
		return nil, err
	}
	var started string
	const at = `SELECT started_at FROM scans WHERE seq = ?`
	if err := tx.QueryRowContext(ctx, at, seq).Scan(&started); err != nil {
		return nil, err
	}

	srcs, err := coverages(ctx, tx, seq)
	if err != nil {
		return nil, err
	}
	out := &inventory.Changes{Sources: []inventory.SourceChanges{}}
	for _, src := range srcs {
		d := differ{ctx: ctx, tx: tx, seq: seq, started: started, source: src.name}
		sc, err := d.compare(src)
		if err != nil {
			return nil, fmt.Errorf("source %s: %w", src.name, err)
		}
		out.Sources = append(out.Sources, sc)
	}
	return out, nil
}

// coverage is a source of a scan with its status and the databases it
// could not read.
type coverage struct {
	name, status string
	skipped      []string
	unchecked    []string
}

// coverages reads the sources of the scan numbered seq, sorted by name.
func coverages(ctx context.Context, tx *sql.Tx, seq int64) ([]coverage, error) {
	const query = `SELECT name, status, databases, unchecked_rules FROM scan_sources
		WHERE scan_seq = ? ORDER BY name`
	rows, err := tx.QueryContext(ctx, query, seq)
	if err != nil {
		return nil, err
	}
	defer rows.Close()

	var out []coverage
	for rows.Next() {
		var c coverage
		var dbs, unchecked sql.NullString
		if err := rows.Scan(&c.name, &c.status, &dbs, &unchecked); err != nil {
			return nil, err
		}
		if err := readJSON(unchecked, &c.unchecked); err != nil {
			return nil, fmt.Errorf("source %s: %w", c.name, err)
		}
		var list []inventory.DatabaseCoverage
		if err := readJSON(dbs, &list); err != nil {
			return nil, fmt.Errorf("source %s: %w", c.name, err)
		}
		for _, d := range list {
			if !d.Scanned {
				c.skipped = append(c.skipped, d.Name)
			}
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// differ compares one source of the scan numbered seq with its previous
// scan.
type differ struct {
	ctx     context.Context
	tx      *sql.Tx
	seq     int64
	started string
	source  string
}

func (d *differ) compare(cur coverage) (inventory.SourceChanges, error) {
	sc := inventory.SourceChanges{
		Source: d.source, Status: cur.status,
		New: []inventory.FindingRef{}, Unchanged: []inventory.FindingRef{},
		Resolved:      []inventory.FindingRef{},
		AddedAccounts: []inventory.AccountRef{}, RemovedAccounts: []inventory.AccountRef{},
		AddedGrants: []inventory.GrantChange{}, RemovedGrants: []inventory.GrantChange{},
	}
	if cur.status == inventory.StatusFailed {
		sc.Comparison = inventory.ComparedNotAtAll
		sc.Notes = []string{"the source failed in this scan: nothing was collected, so " +
			"nothing is compared; its findings are kept as they were"}
		return sc, nil
	}

	if err := d.findings(&sc); err != nil {
		return sc, err
	}
	if err := d.resolved(&sc); err != nil {
		return sc, err
	}
	if cur.status == inventory.StatusPartial {
		sc.Notes = append(sc.Notes, "the source was scanned in part: findings this scan "+
			"could not see stay open, none is resolved")
	}
	if len(cur.unchecked) > 0 {
		sc.Notes = append(sc.Notes, "rules this scan could not evaluate, whose earlier "+
			"findings stay open: "+strings.Join(cur.unchecked, ", "))
	}

	prev, err := previousSeq(d.ctx, d.tx, d.source, d.started, d.seq)
	if errors.Is(err, ErrNotFound) {
		sc.Comparison = inventory.ComparedFirstScan
		sc.Notes = append(sc.Notes, "no earlier scan collected this source: every finding "+
			"is new; accounts and grants are not listed as added")
		return sc, nil
	}
	if err != nil {
		return sc, err
	}
	sc.Comparison = inventory.ComparedWithPrevious
	if err := d.previous(&sc, prev); err != nil {
		return sc, err
	}
	if err := d.accounts(&sc, prev); err != nil {
		return sc, err
	}
	return sc, d.grants(&sc, prev, cur)
}

// findings sorts this scan's findings of the source into new and
// unchanged by the change recorded when the scan was saved.
func (d *differ) findings(sc *inventory.SourceChanges) error {
	const query = `SELECT o.change, o.detail FROM finding_occurrences o
		JOIN findings f ON f.fingerprint = o.fingerprint
		WHERE o.scan_seq = ? AND f.source = ?`
	rows, err := d.tx.QueryContext(d.ctx, query, d.seq, d.source)
	if err != nil {
		return err
	}
	defer rows.Close()

	for rows.Next() {
		var change, detail string
		if err := rows.Scan(&change, &detail); err != nil {
			return err
		}
		ref, err := refOf(detail)
		if err != nil {
			return err
		}
		switch change {
		case changeNew:
			sc.New = append(sc.New, ref)
		case changeReopened:
			ref.Reopened = true
			sc.New = append(sc.New, ref)
		default:
			sc.Unchanged = append(sc.Unchanged, ref)
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	sortRefs(sc.New)
	sortRefs(sc.Unchanged)
	return nil
}

// resolved lists the findings of the source that this scan resolved, each
// as the last scan before this one reported it.
func (d *differ) resolved(sc *inventory.SourceChanges) error {
	const query = `SELECT f.fingerprint, f.rule_id, f.account_id, f.resource, f.severity,
		(SELECT o.detail FROM finding_occurrences o JOIN scans s ON s.seq = o.scan_seq
		 WHERE o.fingerprint = r.fingerprint
		   AND (s.started_at < ? OR (s.started_at = ? AND s.seq < ?))
		 ORDER BY s.started_at DESC, s.seq DESC LIMIT 1)
		FROM finding_resolutions r JOIN findings f ON f.fingerprint = r.fingerprint
		WHERE r.scan_seq = ? AND f.source = ?`
	rows, err := d.tx.QueryContext(d.ctx, query, d.started, d.started, d.seq, d.seq, d.source)
	if err != nil {
		return err
	}
	defer rows.Close()

	for rows.Next() {
		var ref inventory.FindingRef
		var detail sql.NullString
		err := rows.Scan(&ref.Fingerprint, &ref.RuleID, &ref.AccountID, &ref.Resource,
			&ref.Severity, &detail)
		if err != nil {
			return err
		}
		if detail.Valid {
			if ref, err = refOf(detail.String); err != nil {
				return err
			}
		}
		sc.Resolved = append(sc.Resolved, ref)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	sortRefs(sc.Resolved)
	return nil
}

// refOf reads the stored detail of a finding as a reference to it.
func refOf(detail string) (inventory.FindingRef, error) {
	var f inventory.Finding
	if err := json.Unmarshal([]byte(detail), &f); err != nil {
		return inventory.FindingRef{}, fmt.Errorf("stored finding: %w", err)
	}
	return inventory.FindingRef{Fingerprint: f.Fingerprint, RuleID: f.RuleID,
		Severity: f.Severity, Title: f.Title, AccountID: f.AccountID, Resource: f.Resource,
		PHI: f.PHI}, nil
}

// sortRefs orders findings as reports do: most severe first, then rule,
// account, resource and fingerprint.
func sortRefs(refs []inventory.FindingRef) {
	slices.SortFunc(refs, func(a, b inventory.FindingRef) int {
		return cmp.Or(
			cmp.Compare(b.Severity.Rank(), a.Severity.Rank()),
			strings.Compare(a.RuleID, b.RuleID),
			strings.Compare(a.AccountID, b.AccountID),
			strings.Compare(a.Resource, b.Resource),
			strings.Compare(a.Fingerprint, b.Fingerprint),
		)
	})
}

// previous fills in the scan compared with.
func (d *differ) previous(sc *inventory.SourceChanges, prev int64) error {
	const query = `SELECT s.id, s.started_at, ss.status FROM scans s
		JOIN scan_sources ss ON ss.scan_seq = s.seq AND ss.name = ?
		WHERE s.seq = ?`
	var started sql.NullString
	err := d.tx.QueryRowContext(d.ctx, query, d.source, prev).Scan(&sc.PreviousScanID,
		&started, &sc.PreviousStatus)
	if err != nil {
		return err
	}
	sc.PreviousStartedAt, err = parseTime(started)
	return err
}

// accounts lists the accounts of the source in one scan and not the other.
func (d *differ) accounts(sc *inventory.SourceChanges, prev int64) error {
	var err error
	if sc.AddedAccounts, err = d.accountsOnlyIn(d.seq, prev); err != nil {
		return err
	}
	sc.RemovedAccounts, err = d.accountsOnlyIn(prev, d.seq)
	return err
}

// accountsOnlyIn returns the accounts of the source in scan in that scan
// notIn lacks, sorted by ID, with their grant counts in scan in.
func (d *differ) accountsOnlyIn(in, notIn int64) ([]inventory.AccountRef, error) {
	const query = `SELECT a.account_id, a.name, a.kind, a.owner,
		  COALESCE(json_extract(a.attributes, '$.can_login'), 0),
		  (SELECT count(*) FROM grants g WHERE g.account_seq = a.seq),
		  (SELECT count(*) FROM grants g WHERE g.account_seq = a.seq AND g.phi = 1)
		FROM accounts a
		WHERE a.scan_seq = ? AND a.source = ?
		  AND NOT EXISTS (SELECT 1 FROM accounts b
		                  WHERE b.scan_seq = ? AND b.account_id = a.account_id)
		ORDER BY a.account_id`
	rows, err := d.tx.QueryContext(d.ctx, query, in, d.source, notIn)
	if err != nil {
		return nil, err
	}
	defer rows.Close()

	out := []inventory.AccountRef{}
	for rows.Next() {
		var a inventory.AccountRef
		err := rows.Scan(&a.ID, &a.Name, &a.Kind, &a.Owner, &a.CanLogin, &a.Grants, &a.PHIGrants)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// grants lists the grants that accounts present in both scans gained or
// lost, leaving out the databases that either scan could not read.
func (d *differ) grants(sc *inventory.SourceChanges, prev int64, cur coverage) error {
	prevCov, err := d.coverageIn(prev)
	if err != nil {
		return err
	}
	skipped := slices.Concat(cur.skipped, prevCov.skipped)
	slices.Sort(skipped)
	skipped = slices.Compact(skipped)
	if len(skipped) > 0 {
		sc.Notes = append(sc.Notes, "grants on databases that one of the two scans could "+
			"not read are not compared: "+strings.Join(skipped, ", "))
	}

	// One pass over both scans' grants: a grant whose key appears on one
	// side only was added (side 1) or removed (side 2). SQLite sorts the
	// groups with a temporary index, so large estates need no Go map.
	const query = `SELECT min(side), account_id, privilege, resource, resource_type, via,
		  path, set_role_only, grantable, max(phi)
		FROM (
		  SELECT 1 AS side, a.account_id, g.privilege, g.resource, g.resource_type, g.via,
		    COALESCE(NULLIF(g.path, '[]'), '') AS path, g.set_role_only, g.grantable, g.phi
		  FROM grants g JOIN accounts a ON a.seq = g.account_seq
		  WHERE a.scan_seq = ?1 AND a.source = ?3
		    AND a.account_id IN (SELECT account_id FROM accounts WHERE scan_seq = ?2)
		  UNION ALL
		  SELECT 2, a.account_id, g.privilege, g.resource, g.resource_type, g.via,
		    COALESCE(NULLIF(g.path, '[]'), ''), g.set_role_only, g.grantable, g.phi
		  FROM grants g JOIN accounts a ON a.seq = g.account_seq
		  WHERE a.scan_seq = ?2 AND a.source = ?3
		    AND a.account_id IN (SELECT account_id FROM accounts WHERE scan_seq = ?1)
		)
		GROUP BY account_id, privilege, resource, resource_type, via, path,
		  set_role_only, grantable
		HAVING min(side) = max(side)
		ORDER BY account_id, resource, privilege, via, path`
	rows, err := d.tx.QueryContext(d.ctx, query, d.seq, prev, d.source)
	if err != nil {
		return err
	}
	defer rows.Close()

	for rows.Next() {
		var side int
		var path string
		var g inventory.GrantChange
		err := rows.Scan(&side, &g.AccountID, &g.Privilege, &g.Resource, &g.ResourceType,
			&g.Via, &path, &g.SetRoleOnly, &g.Grantable, &g.PHI)
		if err != nil {
			return err
		}
		if inDatabase(g.Resource, skipped) {
			continue
		}
		if path != "" {
			if err := json.Unmarshal([]byte(path), &g.Path); err != nil {
				return fmt.Errorf("account %s: stored grant path: %w", g.AccountID, err)
			}
		}
		if side == 1 {
			sc.AddedGrants = append(sc.AddedGrants, g)
		} else {
			sc.RemovedGrants = append(sc.RemovedGrants, g)
		}
	}
	return rows.Err()
}

// coverageIn reads the coverage of the source in the scan numbered seq.
func (d *differ) coverageIn(seq int64) (coverage, error) {
	all, err := coverages(d.ctx, d.tx, seq)
	if err != nil {
		return coverage{}, err
	}
	for _, c := range all {
		if c.name == d.source {
			return c, nil
		}
	}
	return coverage{}, fmt.Errorf("scan %d has no source %s", seq, d.source)
}

// inDatabase reports whether resource ("db", "db.schema", ...) lies in one
// of the databases dbs.
func inDatabase(resource string, dbs []string) bool {
	for _, db := range dbs {
		if resource == db || strings.HasPrefix(resource, db+".") {
			return true
		}
	}
	return false
}
