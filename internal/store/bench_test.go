package store

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/wardsec/ward/internal/inventory"
)

// largeEstate builds a scan of one source with accounts accounts of grants
// grants each, resources distinct tables, and one finding per account.
func largeEstate(id string, at time.Time, accounts, grants int) *inventory.ScanResult {
	r := newScan(id, at, map[string]string{"ehr": complete})
	const tables = 500
	for i := 0; i < tables; i++ {
		r.Sources[0].Snapshot.Resources = append(r.Sources[0].Snapshot.Resources,
			inventory.Resource{Name: fmt.Sprintf("ehr.public.t%03d", i), Type: "table",
				Owner: "app", PHI: i%5 == 0})
	}

	privileges := []string{"SELECT", "INSERT", "UPDATE", "DELETE"}
	for a := 0; a < accounts; a++ {
		name := fmt.Sprintf("svc_%04d", a)
		acc := inventory.Account{
			ID: inventory.AccountID("ehr", name), Source: "ehr", Name: name,
			Kind: inventory.KindService, KindReasons: []string{"name starts with svc_"},
			Attributes:  inventory.Attributes{CanLogin: true, Inherit: true, ConnLimit: -1},
			Memberships: []inventory.Membership{{Role: "readers", Path: []string{"readers"}, Inherit: true}},
		}
		for g := 0; g < grants; g++ {
			acc.Grants = append(acc.Grants, inventory.Grant{
				Privilege:    privileges[g%len(privileges)],
				Resource:     fmt.Sprintf("ehr.public.t%03d", (a+g)%tables),
				ResourceType: "table",
				PHI:          (a+g)%tables%5 == 0,
				Via:          "readers",
				Path:         []string{"readers"},
			})
		}
		r.Accounts = append(r.Accounts, acc)
		r.Findings = append(r.Findings,
			newFinding("PG-010", "ehr", name, "", inventory.SeverityMedium))
	}
	return r
}

// BenchmarkSaveScan saves an estate of 2,000 accounts with 100 grants each
// into a store that already holds the previous day's scan, so that the
// findings are updated rather than only inserted.
func BenchmarkSaveScan(b *testing.B) {
	ctx := context.Background()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		s, err := Open(ctx, filepath.Join(b.TempDir(), "ward.db"))
		if err != nil {
			b.Fatal(err)
		}
		if err := s.SaveScan(ctx, largeEstate("yesterday", t0, 2000, 100)); err != nil {
			b.Fatal(err)
		}
		r := largeEstate("today", t0.Add(24*time.Hour), 2000, 100)
		b.StartTimer()

		if err := s.SaveScan(ctx, r); err != nil {
			b.Fatal(err)
		}

		b.StopTimer()
		s.Close()
		b.StartTimer()
	}
}

// BenchmarkAccounts reads back the accounts and grants of a scan of 2,000
// accounts with 100 grants each.
func BenchmarkAccounts(b *testing.B) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(b.TempDir(), "ward.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	if err := s.SaveScan(ctx, largeEstate("today", t0, 2000, 100)); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()

	for i := 0; i < b.N; i++ {
		accounts, err := s.Accounts(ctx, "today")
		if err != nil {
			b.Fatal(err)
		}
		if len(accounts) != 2000 || len(accounts[1999].Grants) != 100 {
			b.Fatalf("read %d accounts, want 2000 with 100 grants each", len(accounts))
		}
	}
}
