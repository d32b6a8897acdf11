package store

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/wardsec/ward/internal/inventory"
)

func TestAddSuppression(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	f := letterFinding('A')
	r := newScan("s1", t0, map[string]string{"ehr": complete})
	r.Findings = []inventory.Finding{f, letterFinding('B')}
	save(t, s, r)

	june := time.Date(2026, 6, 30, 0, 0, 0, 0, time.UTC)
	at := hoursAfter(2)
	if err := s.AddSuppression(ctx, f.Fingerprint, " VPN only; CC-12 ", june, "alice", at); err != nil {
		t.Fatalf("AddSuppression: %v", err)
	}
	want := []Suppression{{Fingerprint: f.Fingerprint, Suppression: inventory.Suppression{
		Reason: "VPN only; CC-12", Until: june, By: "alice", CreatedAt: at,
		Source: inventory.SuppressionFromCommand}}}
	got, err := s.Suppressions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Suppressions (-want +got):\n%s", diff)
	}

	// A later suppression of the same finding takes over, even with an
	// earlier date: it shortens the accepted risk.
	may := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	if err := s.AddSuppression(ctx, f.Fingerprint, "shortened", may, "bob", hoursAfter(3)); err != nil {
		t.Fatal(err)
	}
	got, err = s.Suppressions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Reason != "shortened" || !got[0].Until.Equal(may) || got[0].By != "bob" {
		t.Errorf("after a second suppression, Suppressions = %+v, want bob's only", got)
	}
	var rows int
	if err := s.db.QueryRow(`SELECT count(*) FROM suppressions`).Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if rows != 2 {
		t.Errorf("suppressions rows = %d, want 2: the history is kept", rows)
	}
}

func TestAddSuppressionRefuses(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	f := letterFinding('A')
	r := newScan("s1", t0, map[string]string{"ehr": complete})
	r.Findings = []inventory.Finding{f}
	save(t, s, r)
	until := time.Date(2026, 6, 30, 0, 0, 0, 0, time.UTC)

	tests := []struct {
		name, fp, reason, by string
		unknown              bool
	}{
		{name: "unknown fingerprint", fp: "0000000000000000", reason: "r", by: "a", unknown: true},
		{name: "no reason", fp: f.Fingerprint, reason: "  ", by: "a"},
		{name: "no author", fp: f.Fingerprint, reason: "r", by: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := s.AddSuppression(ctx, tt.fp, tt.reason, until, tt.by, t0)
			if err == nil {
				t.Fatal("accepted, want an error")
			}
			if got := errors.Is(err, ErrUnknownFinding); got != tt.unknown {
				t.Errorf("errors.Is(%v, ErrUnknownFinding) = %v, want %v", err, got, tt.unknown)
			}
		})
	}
	if got, err := s.Suppressions(ctx); err != nil || len(got) != 0 {
		t.Errorf("Suppressions = %v, %v; want none stored", got, err)
	}
}

// TestSuppressionIsNotStoredWithTheFinding checks that a suppression set
// on a finding when it is saved does not stick to the stored finding: it
// must be applied afresh, so that expiry and revocation take effect.
func TestSuppressionIsNotStoredWithTheFinding(t *testing.T) {
	s := openTest(t)
	f := letterFinding('A')
	f.Suppression = &inventory.Suppression{Reason: "FAKE", By: "x", Source: "config"}
	f.ResolvedAt = t0
	r := newScan("s1", t0, map[string]string{"ehr": complete})
	r.Findings = []inventory.Finding{f}
	save(t, s, r)

	got := tracked(t, s, f.Fingerprint)
	if got.Suppression != nil || !got.Finding.ResolvedAt.IsZero() {
		t.Errorf("stored finding kept suppression %+v and resolved time %v",
			got.Suppression, got.Finding.ResolvedAt)
	}
}

func TestFindingByFingerprint(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	f := letterFinding('A')
	r := newScan("s1", t0, map[string]string{"ehr": complete})
	r.Findings = []inventory.Finding{f}
	save(t, s, r)
	save(t, s, newScan("s2", hoursAfter(1), map[string]string{"ehr": complete}))

	got, err := s.Finding(ctx, f.Fingerprint)
	if err != nil {
		t.Fatal(err)
	}
	if got.RuleID != "PG-A" || got.Status != FindingResolved ||
		!got.Finding.ResolvedAt.Equal(hoursAfter(1)) {
		t.Errorf("Finding = %+v, want PG-A resolved at s2 with ResolvedAt set on the finding", got)
	}
	if _, err := s.Finding(ctx, "0000000000000000"); !errors.Is(err, ErrUnknownFinding) {
		t.Errorf("Finding(unknown) error = %v, want ErrUnknownFinding", err)
	}
}

func TestFindingsByAccount(t *testing.T) {
	s := openTest(t)
	r := newScan("s1", t0, map[string]string{"ehr": complete})
	r.Findings = []inventory.Finding{letterFinding('A'), letterFinding('B')}
	save(t, s, r)
	got, err := s.Findings(context.Background(), FindingFilter{AccountID: "ehr/acct_B"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].RuleID != "PG-B" {
		t.Errorf("Findings(account acct_B) = %+v, want PG-B only", got)
	}
}

func TestRevokeSuppression(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	f, g := letterFinding('A'), letterFinding('B')
	r := newScan("s1", t0, map[string]string{"ehr": complete})
	r.Findings = []inventory.Finding{f, g}
	save(t, s, r)
	june := time.Date(2026, 6, 30, 0, 0, 0, 0, time.UTC)

	if err := s.RevokeSuppression(ctx, f.Fingerprint, "why", "bob", hoursAfter(1)); !errors.Is(err, ErrNoSuppression) {
		t.Errorf("revoking with no suppression: %v, want ErrNoSuppression", err)
	}
	for _, fp := range []string{f.Fingerprint, g.Fingerprint} {
		if err := s.AddSuppression(ctx, fp, "VPN only", june, "alice", hoursAfter(2)); err != nil {
			t.Fatal(err)
		}
	}
	for _, tt := range []struct{ name, reason, by string }{
		{"no reason", " ", "bob"}, {"no author", "control removed", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if err := s.RevokeSuppression(ctx, f.Fingerprint, tt.reason, tt.by, t0); err == nil {
				t.Error("accepted, want an error")
			}
		})
	}
	at := hoursAfter(3)
	if err := s.RevokeSuppression(ctx, f.Fingerprint, " control removed ", "bob", at); err != nil {
		t.Fatalf("RevokeSuppression: %v", err)
	}
	if err := s.RevokeSuppression(ctx, f.Fingerprint, "again", "bob", at); !errors.Is(err, ErrNoSuppression) {
		t.Errorf("revoking twice: %v, want ErrNoSuppression", err)
	}

	inForce, err := s.Suppressions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(inForce) != 1 || inForce[0].Fingerprint != g.Fingerprint {
		t.Errorf("Suppressions = %+v, want only %s's: a revoked one is not in force", inForce, g.Fingerprint)
	}
	latest, err := s.LatestSuppressions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var got *Suppression
	for i := range latest {
		if latest[i].Fingerprint == f.Fingerprint {
			got = &latest[i]
		}
	}
	if got == nil || !got.Revoked() || !got.RevokedAt.Equal(at) || got.RevokedBy != "bob" ||
		got.RevokeReason != "control removed" || got.Reason != "VPN only" {
		t.Errorf("LatestSuppressions keeps %+v, want the revoked one with bob's revocation", got)
	}

	// A later suppress records a new suppression, in force again.
	if err := s.AddSuppression(ctx, f.Fingerprint, "new control", june, "carol", hoursAfter(4)); err != nil {
		t.Fatal(err)
	}
	if inForce, err = s.Suppressions(ctx); err != nil || len(inForce) != 2 {
		t.Errorf("after a new suppress, %d in force (%v), want 2", len(inForce), err)
	}
}
