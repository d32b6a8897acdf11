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
	matchers := map[int64]*grantMatcher{}
	for _, src := range srcs {
		d := differ{ctx: ctx, tx: tx, seq: seq, started: started, source: src.name,
			matchers: matchers}
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
	// matchers holds, by previous scan, what compares the grants of the
	// two scans; the sources of a scan mostly share their previous scan.
	matchers map[int64]*grantMatcher
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
	const query = `SELECT o.change, ` + refFields + ` FROM finding_occurrences o
		JOIN findings f ON f.fingerprint = o.fingerprint
		JOIN finding_details d ON d.id = o.detail_id
		WHERE o.scan_seq = ? AND f.source = ?`
	rows, err := d.tx.QueryContext(d.ctx, query, d.seq, d.source)
	if err != nil {
		return err
	}
	defer rows.Close()

	for rows.Next() {
		var change, fields string
		if err := rows.Scan(&change, &fields); err != nil {
			return err
		}
		ref, err := refOf(fields)
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
		(SELECT ` + refFields + ` FROM finding_occurrences o JOIN scans s ON s.seq = o.scan_seq
		 JOIN finding_details d ON d.id = o.detail_id
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
		var fields sql.NullString
		err := rows.Scan(&ref.Fingerprint, &ref.RuleID, &ref.AccountID, &ref.Resource,
			&ref.Severity, &fields)
		if err != nil {
			return err
		}
		if fields.Valid {
			if ref, err = refOf(fields.String); err != nil {
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

// refFields is an SQL expression that gives, as one JSON array, the
// fields of the stored detail d.detail that a reference to the finding
// needs, in the order refOf reads them. SQLite extracts them, so the
// details, which can be large, are not copied out.
const refFields = `json_extract(d.detail, '$.fingerprint', '$.rule_id', '$.severity',
	'$.title', '$.account_id', '$.resource', '$.phi')`

// refOf reads the fields that refFields gave as a reference to a finding.
func refOf(fields string) (inventory.FindingRef, error) {
	var ref inventory.FindingRef
	dst := []any{&ref.Fingerprint, &ref.RuleID, &ref.Severity, &ref.Title, &ref.AccountID,
		&ref.Resource, &ref.PHI}
	if err := json.Unmarshal([]byte(fields), &dst); err != nil {
		return inventory.FindingRef{}, fmt.Errorf("stored finding: %w", err)
	}
	return ref, nil
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
		  a.grant_count, a.phi_grant_count
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
