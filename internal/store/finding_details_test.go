package store

import (
	"context"
	"testing"

	"github.com/wardsec/ward/internal/inventory"
)

func TestFindingDetailsStoredOnce(t *testing.T) {
	s := openTest(t)
	f := newFinding("PG-A", "ehr", "etl", "", inventory.SeverityHigh)
	detailRows := func() int {
		t.Helper()
		var n int
		if err := s.db.QueryRow(`SELECT count(*) FROM finding_details`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}

	scans := []struct {
		id       string
		evidence string
		want     int
	}{
		{"s1", "seen in ehr", 1},
		{"s2", "seen in ehr", 1}, // the same text: kept once
		{"s3", "seen again", 2},  // changed: a second text
		{"s4", "seen in ehr", 2}, // back to the first text
	}
	for i, sc := range scans {
		r := newScan(sc.id, hoursAfter(i), map[string]string{"ehr": complete})
		g := f
		g.Evidence = []string{sc.evidence}
		r.Findings = []inventory.Finding{g}
		save(t, s, r)
		if got := detailRows(); got != sc.want {
			t.Errorf("after %s: %d stored details, want %d", sc.id, got, sc.want)
		}
		rec, err := s.Finding(context.Background(), f.Fingerprint)
		if err != nil {
			t.Fatal(err)
		}
		if len(rec.Evidence) != 1 || rec.Evidence[0] != sc.evidence {
			t.Errorf("after %s: evidence %q, want %q", sc.id, rec.Evidence, sc.evidence)
		}
	}
}
