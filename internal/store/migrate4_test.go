package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/wardsec/ward/internal/inventory"
)

// migrateBefore applies the shipped migrations older than version to db.
func migrateBefore(t *testing.T, db *sql.DB, version int) {
	t.Helper()
	ms, err := loadMigrations(migrationFiles)
	if err != nil {
		t.Fatal(err)
	}
	old := fstest.MapFS{}
	for _, m := range ms[:version-1] {
		body, err := fs.ReadFile(migrationFiles, m.name)
		if err != nil {
			t.Fatal(err)
		}
		old[m.name] = &fstest.MapFile{Data: body}
	}
	if err := migrate(context.Background(), db, old); err != nil {
		t.Fatalf("migrate to version %d: %v", version-1, err)
	}
}

// oldWriter writes scans as ward wrote them before migration 0004: a row
// per grant and per resource, and each occurrence with its detail.
type oldWriter struct {
	t  *testing.T
	db *sql.DB
}

func (w oldWriter) exec(query string, args ...any) sql.Result {
	w.t.Helper()
	res, err := w.db.Exec(query, args...)
	if err != nil {
		w.t.Fatalf("%s: %v", strings.Fields(query)[:3], err)
	}
	return res
}

func (w oldWriter) jsonOf(v any) any {
	w.t.Helper()
	s, err := jsonText(v)
	if err != nil {
		w.t.Fatal(err)
	}
	return s
}

// scan writes r, which has one source, with its findings open.
func (w oldWriter) scan(seq int64, r *inventory.ScanResult) {
	w.t.Helper()
	at := formatTime(r.StartedAt)
	w.exec(`INSERT INTO scans (seq, id, started_at, ward_version, config_path, config_hash,
		complete) VALUES (?, ?, ?, 'old', 'c', 'h', 1)`, seq, r.ID, at)
	src := r.Sources[0]
	w.exec(`INSERT INTO scan_sources (scan_seq, name, type, status, has_snapshot)
		VALUES (?, ?, 'postgres', ?, 1)`, seq, src.Name, src.Status)
	for i, res := range src.Snapshot.Resources {
		w.exec(`INSERT INTO resources (scan_seq, source, ord, name, type, owner, phi,
			phi_reason, rls, force_rls, policies) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			seq, src.Name, i, res.Name, res.Type, res.Owner, res.PHI, res.PHIReason, res.RLS,
			res.ForceRLS, w.jsonOf(res.Policies))
	}
	for _, a := range r.Accounts {
		acc := w.exec(`INSERT INTO accounts (scan_seq, account_id, source, name, kind,
			kind_reasons, owner, purpose, attributes, memberships)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, seq, a.ID, a.Source, a.Name, a.Kind,
			w.jsonOf(a.KindReasons), a.Owner, a.Purpose, w.jsonOf(a.Attributes),
			w.jsonOf(a.Memberships))
		accSeq, err := acc.LastInsertId()
		if err != nil {
			w.t.Fatal(err)
		}
		for i, g := range a.Grants {
			w.exec(`INSERT INTO grants (account_seq, ord, privilege, resource, resource_type,
				phi, via, path, set_role_only, grantable) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				accSeq, i, g.Privilege, g.Resource, g.ResourceType, g.PHI, g.Via,
				w.jsonOf(g.Path), g.SetRoleOnly, g.Grantable)
		}
	}
	for _, f := range r.Findings {
		// The detail as the old SaveScan rendered it: json.Marshal of the
		// finding without its times and suppression.
		f.FirstSeen, f.LastSeen, f.Suppression = time.Time{}, time.Time{}, nil
		detail, err := json.Marshal(f)
		if err != nil {
			w.t.Fatal(err)
		}
		w.exec(`INSERT INTO findings (fingerprint, rule_id, source, account_id, resource,
			severity, severity_rank, status, first_seen, last_seen, last_scan_seq)
			VALUES (?, ?, ?, ?, ?, ?, ?, 'open', ?, ?, ?)
			ON CONFLICT (fingerprint) DO UPDATE SET last_seen = excluded.last_seen,
			  last_scan_seq = excluded.last_scan_seq`,
			f.Fingerprint, f.RuleID, f.Source, f.AccountID, f.Resource, f.Severity,
			f.Severity.Rank(), at, at, seq)
		w.exec(`INSERT INTO finding_occurrences (scan_seq, fingerprint, severity, detail)
			VALUES (?, ?, ?, ?)`, seq, f.Fingerprint, f.Severity, string(detail))
	}
}

// TestMigration4ConvertsOldScans writes two scans in the layout before
// migration 0004, upgrades the store, and checks that everything reads
// back as it was written, that a scan saved after the upgrade compares
// with the converted one, and that the old tables are gone.
func TestMigration4ConvertsOldScans(t *testing.T) {
	ctx := context.Background()
	db := rawDB(t)
	migrateBefore(t, db, 4)
	old := oldWriter{t, db}

	resources := []inventory.Resource{
		{Name: "ehr.public.patients", Type: "table", Owner: "app", PHI: true,
			PHIReason: "table name matches patient*", RLS: true, Policies: []string{"own"}},
		{Name: "ehr.public.audit", Type: "table", Owner: "app", Policies: []string{}},
	}
	finding := newFinding("PG-A", "ehr", "etl_loader", "", inventory.SeverityHigh)
	s1 := newScan("s1", hoursAfter(0), map[string]string{"ehr": complete})
	s1.Sources[0].Snapshot.Resources = resources
	s1.Accounts = sampleAccounts()
	s1.Findings = []inventory.Finding{finding}
	old.scan(1, s1)
	// A scan with no grants at all and no resources.
	empty := newScan("s0", hoursAfter(-1), map[string]string{"ehr": complete})
	empty.Accounts = sampleAccounts()[1:]
	old.scan(2, empty)

	if err := migrate(ctx, db, migrationFiles); err != nil {
		t.Fatalf("migrate to the current schema: %v", err)
	}
	s := &Store{db: db}

	t.Run("accounts", func(t *testing.T) {
		got, err := s.Accounts(ctx, "s1")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(sampleAccounts(), got); diff != "" {
			t.Errorf("converted accounts (-written +read):\n%s", diff)
		}
		got, err = s.Accounts(ctx, "s0")
		if err != nil || len(got) != 1 || got[0].Grants != nil {
			t.Errorf("accounts of the scan without grants: %+v, %v", got, err)
		}
	})
	t.Run("resources", func(t *testing.T) {
		srcs, err := s.Sources(ctx, "s1")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(resources, srcs[0].Snapshot.Resources); diff != "" {
			t.Errorf("converted resources (-written +read):\n%s", diff)
		}
		srcs, err = s.Sources(ctx, "s0")
		if err != nil || srcs[0].Snapshot.Resources != nil {
			t.Errorf("resources of the scan without any: %+v, %v", srcs, err)
		}
	})
	t.Run("finding", func(t *testing.T) {
		rec, err := s.Finding(ctx, finding.Fingerprint)
		if err != nil {
			t.Fatal(err)
		}
		// The store keeps the times on the finding's lifecycle row.
		times := cmpopts.IgnoreFields(inventory.Finding{}, "FirstSeen", "LastSeen")
		if diff := cmp.Diff(finding, rec.Finding, times); diff != "" {
			t.Errorf("converted finding (-written +read):\n%s", diff)
		}
	})

	// A scan saved after the upgrade: etl_loader lost its UPDATE on the
	// ssn column and the finding is unchanged.
	s2 := newScan("s2", hoursAfter(24), map[string]string{"ehr": complete})
	s2.Sources[0].Snapshot.Resources = resources
	s2.Accounts = sampleAccounts()
	lost := s2.Accounts[0].Grants[2]
	s2.Accounts[0].Grants = append(s2.Accounts[0].Grants[:2:2], s2.Accounts[0].Grants[3:]...)
	s2.Findings = []inventory.Finding{finding}
	save(t, s, s2)

	t.Run("changes across the upgrade", func(t *testing.T) {
		c, err := s.Changes(ctx, "s2")
		if err != nil {
			t.Fatal(err)
		}
		ehr := c.Source("ehr")
		want := []inventory.GrantChange{{AccountID: "ehr/etl_loader", Grant: lost}}
		if diff := cmp.Diff(want, ehr.RemovedGrants); diff != "" {
			t.Errorf("removed grants (-want +got):\n%s", diff)
		}
		if len(ehr.AddedGrants) != 0 || len(ehr.Unchanged) != 1 {
			t.Errorf("added grants %+v, unchanged findings %+v; want none and one",
				ehr.AddedGrants, ehr.Unchanged)
		}
	})
	t.Run("old layout gone, detail kept once", func(t *testing.T) {
		for _, table := range []string{"grants", "resources"} {
			if tableExists(t, db, table) {
				t.Errorf("table %s is still there", table)
			}
		}
		var n int
		err := db.QueryRow(`SELECT count(*) FROM pragma_table_info('finding_occurrences')
			WHERE name = 'detail'`).Scan(&n)
		if err != nil || n != 0 {
			t.Errorf("finding_occurrences.detail: %d columns, %v; want it dropped", n, err)
		}
		// The converted detail and the one saved after the upgrade are the
		// same text, kept once.
		err = db.QueryRow(`SELECT count(*) FROM finding_details`).Scan(&n)
		if err != nil || n != 1 {
			t.Errorf("finding_details has %d rows, %v; want 1", n, err)
		}
	})
}

// TestOpenReclaimsFreedSpace checks that Open rebuilds a file that is
// mostly free pages, as a converted store is, and leaves others alone.
func TestOpenReclaimsFreedSpace(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ward.db")
	s := openAt(t, path)
	pages := func(db *sql.DB) (free, total int) {
		t.Helper()
		if err := db.QueryRow(`PRAGMA freelist_count`).Scan(&free); err != nil {
			t.Fatal(err)
		}
		if err := db.QueryRow(`PRAGMA page_count`).Scan(&total); err != nil {
			t.Fatal(err)
		}
		return free, total
	}
	// About 8 MiB of rows, then dropped: the pages stay in the file.
	_, err := s.db.Exec(`CREATE TABLE bulk AS
		WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000)
		SELECT i, randomblob(4000) AS b FROM n`)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.db.Exec(`DROP TABLE bulk`); err != nil {
		t.Fatal(err)
	}
	free, total := pages(s.db)
	if free < 1024 || free*2 < total {
		t.Fatalf("before reopening: %d of %d pages free, want most", free, total)
	}
	s.Close()

	s = openAt(t, path)
	if free, after := pages(s.db); free != 0 || after >= total/2 {
		t.Errorf("after reopening: %d of %d pages free (%d before), want the file rebuilt",
			free, after, total)
	}
}
