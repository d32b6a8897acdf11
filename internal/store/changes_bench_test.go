package store

import (
	"context"
	"path/filepath"
	"testing"
	"time"
)

// BenchmarkChanges compares two scans of 2,000 accounts with 100 grants
// each (200,000 grants a scan), where one grant in ten changed its path
// and ten accounts were replaced.
func BenchmarkChanges(b *testing.B) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(b.TempDir(), "ward.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	if err := s.SaveScan(ctx, largeEstate("yesterday", t0, 2000, 100)); err != nil {
		b.Fatal(err)
	}
	today := largeEstate("today", t0.Add(24*time.Hour), 2000, 100)
	for i := range today.Accounts {
		for j := range today.Accounts[i].Grants {
			if j%10 == 0 {
				today.Accounts[i].Grants[j].Via = "writers"
			}
		}
	}
	for i := 0; i < 10; i++ {
		today.Accounts[i].ID += "_new"
	}
	if err := s.SaveScan(ctx, today); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()

	for i := 0; i < b.N; i++ {
		c, err := s.Changes(ctx, "today")
		if err != nil {
			b.Fatal(err)
		}
		ehr := c.Source("ehr")
		// 1,990 accounts in both scans, 10 changed grants each, each
		// counted once as added and once as removed.
		if len(ehr.AddedGrants) != 19900 || len(ehr.RemovedGrants) != 19900 ||
			len(ehr.AddedAccounts) != 10 || len(ehr.RemovedAccounts) != 10 {
			b.Fatalf("changes: +%d -%d grants, +%d -%d accounts", len(ehr.AddedGrants),
				len(ehr.RemovedGrants), len(ehr.AddedAccounts), len(ehr.RemovedAccounts))
		}
	}
}
