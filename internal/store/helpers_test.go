package store

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/wardsec/ward/internal/inventory"
)

// t0 is the start of the first test scan; later scans are hours after it.
var t0 = time.Date(2025, 3, 1, 9, 30, 0, 123456789, time.UTC)

func hoursAfter(h int) time.Time { return t0.Add(time.Duration(h) * time.Hour) }

// openTest opens a new store in a temporary directory and closes it at the
// end of the test.
func openTest(t *testing.T) *Store {
	t.Helper()
	return openAt(t, filepath.Join(t.TempDir(), "ward.db"))
}

func openAt(t *testing.T, path string) *Store {
	t.Helper()
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// newScan builds a scan result with one source per name: status pairs.
func newScan(id string, at time.Time, sources map[string]string) *inventory.ScanResult {
	r := &inventory.ScanResult{
		ID:          id,
		StartedAt:   at,
		FinishedAt:  at.Add(time.Minute),
		WardVersion: "test",
		ConfigPath:  "/etc/ward/ward.yaml",
		ConfigHash:  "abc123",
	}
	for _, name := range sortedKeys(sources) {
		src := inventory.SourceResult{Name: name, Type: "postgres", Status: sources[name]}
		if src.Status != inventory.StatusFailed {
			src.Snapshot = &inventory.Snapshot{Source: name, Type: "postgres", StartedAt: at}
		} else {
			src.Error = "connect: connection refused"
		}
		r.Sources = append(r.Sources, src)
	}
	return r
}

func sortedKeys(m map[string]string) []string {
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	for i := 1; i < len(keys); i++ {
		for j := i; j > 0 && keys[j] < keys[j-1]; j-- {
			keys[j], keys[j-1] = keys[j-1], keys[j]
		}
	}
	return keys
}

// newFinding builds a finding with the fingerprint the rules package would
// give it.
func newFinding(rule, source, account, resource string, sev inventory.Severity) inventory.Finding {
	id := ""
	if account != "" {
		id = inventory.AccountID(source, account)
	}
	return inventory.Finding{
		Fingerprint: inventory.Fingerprint(rule, source, account, resource),
		RuleID:      rule,
		Severity:    sev,
		Title:       rule + " on " + source,
		Source:      source,
		AccountID:   id,
		Resource:    resource,
		Evidence:    []string{"seen in " + source},
	}
}

func save(t *testing.T, s *Store, r *inventory.ScanResult) {
	t.Helper()
	if err := s.SaveScan(context.Background(), r); err != nil {
		t.Fatalf("SaveScan(%s): %v", r.ID, err)
	}
}

// tracked returns the stored record of the finding with fingerprint fp.
func tracked(t *testing.T, s *Store, fp string) FindingRecord {
	t.Helper()
	all, err := s.Findings(context.Background(), FindingFilter{})
	if err != nil {
		t.Fatalf("Findings: %v", err)
	}
	for _, f := range all {
		if f.Fingerprint == fp {
			return f
		}
	}
	t.Fatalf("finding %s is not stored", fp)
	return FindingRecord{}
}

// rowCounts counts the rows of every table a scan writes.
func rowCounts(t *testing.T, s *Store) map[string]int {
	t.Helper()
	queries := map[string]string{
		"scans":               `SELECT count(*) FROM scans`,
		"scan_sources":        `SELECT count(*) FROM scan_sources`,
		"accounts":            `SELECT count(*) FROM accounts`,
		"grant_resources":     `SELECT count(*) FROM grant_resources`,
		"grant_shapes":        `SELECT count(*) FROM grant_shapes`,
		"findings":            `SELECT count(*) FROM findings`,
		"finding_occurrences": `SELECT count(*) FROM finding_occurrences`,
		"finding_details":     `SELECT count(*) FROM finding_details`,
	}
	counts := make(map[string]int)
	for table, q := range queries {
		var n int
		if err := s.db.QueryRow(q).Scan(&n); err != nil {
			t.Fatalf("count %s: %v", table, err)
		}
		counts[table] = n
	}
	return counts
}
