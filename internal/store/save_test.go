package store

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/wardsec/ward/internal/inventory"
)

const (
	complete = inventory.StatusComplete
	partial  = inventory.StatusPartial
	failed   = inventory.StatusFailed
)

func TestSaveScanFillsSeenTimes(t *testing.T) {
	s := openTest(t)
	f := newFinding("PG-001", "ehr", "etl", "", inventory.SeverityHigh)

	r1 := newScan("s1", hoursAfter(0), map[string]string{"ehr": complete})
	r1.Findings = []inventory.Finding{f}
	save(t, s, r1)
	if !r1.Findings[0].FirstSeen.Equal(hoursAfter(0)) || !r1.Findings[0].LastSeen.Equal(hoursAfter(0)) {
		t.Errorf("after scan 1, seen = %v .. %v, want both %v",
			r1.Findings[0].FirstSeen, r1.Findings[0].LastSeen, hoursAfter(0))
	}

	r2 := newScan("s2", hoursAfter(24), map[string]string{"ehr": complete})
	r2.Findings = []inventory.Finding{f}
	save(t, s, r2)
	if got := r2.Findings[0].FirstSeen; !got.Equal(hoursAfter(0)) {
		t.Errorf("after scan 2, FirstSeen = %v, want %v (from scan 1)", got, hoursAfter(0))
	}
	if got := r2.Findings[0].LastSeen; !got.Equal(hoursAfter(24)) {
		t.Errorf("after scan 2, LastSeen = %v, want %v", got, hoursAfter(24))
	}
}

// step is one scan of a lifecycle test: the status of source ehr and
// whether the tracked finding is in it.
type step struct {
	status  string
	present bool
}

// want is the tracked finding's state after the last step.
type want struct {
	status    string
	firstSeen int // hours after t0
	lastSeen  int
	// resolvedAt is hours after t0, or -1 for never.
	resolvedAt int
}

func TestFindingLifecycle(t *testing.T) {
	tests := []struct {
		name  string
		steps []step
		want  want
	}{
		{"seen twice keeps first seen",
			[]step{{complete, true}, {complete, true}},
			want{FindingOpen, 0, 24, -1}},
		{"absent from a complete scan is resolved",
			[]step{{complete, true}, {complete, false}},
			want{FindingResolved, 0, 0, 24}},
		{"absent from a partial scan stays open",
			[]step{{complete, true}, {partial, false}},
			want{FindingOpen, 0, 0, -1}},
		{"absent from a failed scan stays open",
			[]step{{complete, true}, {failed, false}},
			want{FindingOpen, 0, 0, -1}},
		{"seen in a partial scan moves last seen",
			[]step{{complete, true}, {partial, true}},
			want{FindingOpen, 0, 24, -1}},
		{"reappearing is reopened with its first seen",
			[]step{{complete, true}, {complete, false}, {complete, true}},
			want{FindingOpen, 0, 48, -1}},
		{"resolved stays resolved through a failed scan",
			[]step{{complete, true}, {complete, false}, {failed, false}},
			want{FindingResolved, 0, 0, 24}},
		{"resolved once, not again",
			[]step{{complete, true}, {complete, false}, {complete, false}},
			want{FindingResolved, 0, 0, 24}},
		{"first seen in a later scan",
			[]step{{complete, false}, {complete, true}},
			want{FindingOpen, 24, 24, -1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openTest(t)
			f := newFinding("PG-001", "ehr", "etl", "ehr.public.patients", inventory.SeverityHigh)
			// other is always present, so no scan is empty of findings.
			other := newFinding("PG-002", "ehr", "app", "", inventory.SeverityLow)

			for i, st := range tt.steps {
				r := newScan("s"+string(rune('1'+i)), hoursAfter(24*i),
					map[string]string{"ehr": st.status})
				r.Findings = []inventory.Finding{other}
				if st.present {
					r.Findings = append(r.Findings, f)
				}
				save(t, s, r)
			}

			got := tracked(t, s, f.Fingerprint)
			if got.Status != tt.want.status {
				t.Errorf("Status = %q, want %q", got.Status, tt.want.status)
			}
			if !got.FirstSeen.Equal(hoursAfter(tt.want.firstSeen)) {
				t.Errorf("FirstSeen = %v, want %v", got.FirstSeen, hoursAfter(tt.want.firstSeen))
			}
			if !got.LastSeen.Equal(hoursAfter(tt.want.lastSeen)) {
				t.Errorf("LastSeen = %v, want %v", got.LastSeen, hoursAfter(tt.want.lastSeen))
			}
			switch {
			case tt.want.resolvedAt < 0 && !got.ResolvedAt.IsZero():
				t.Errorf("ResolvedAt = %v, want none", got.ResolvedAt)
			case tt.want.resolvedAt >= 0 && !got.ResolvedAt.Equal(hoursAfter(tt.want.resolvedAt)):
				t.Errorf("ResolvedAt = %v, want %v", got.ResolvedAt, hoursAfter(tt.want.resolvedAt))
			}
		})
	}
}

func TestResolutionIsPerSource(t *testing.T) {
	s := openTest(t)
	ehr := newFinding("PG-001", "ehr", "etl", "", inventory.SeverityHigh)
	billing := newFinding("PG-001", "billing", "etl", "", inventory.SeverityHigh)
	lab := newFinding("PG-001", "lab", "etl", "", inventory.SeverityHigh)

	r1 := newScan("s1", hoursAfter(0),
		map[string]string{"ehr": complete, "billing": complete, "lab": complete})
	r1.Findings = []inventory.Finding{ehr, billing, lab}
	save(t, s, r1)

	// Nothing is reported: ehr was scanned completely, billing in part, and
	// lab not at all (it left the configuration).
	r2 := newScan("s2", hoursAfter(24), map[string]string{"ehr": complete, "billing": partial})
	save(t, s, r2)

	tests := []struct {
		name string
		fp   string
		want string
	}{
		{"complete source", ehr.Fingerprint, FindingResolved},
		{"partial source", billing.Fingerprint, FindingOpen},
		{"source not scanned", lab.Fingerprint, FindingOpen},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tracked(t, s, tt.fp).Status; got != tt.want {
				t.Errorf("Status = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestSaveScanOutOfOrder(t *testing.T) {
	s := openTest(t)
	f := newFinding("PG-001", "ehr", "etl", "", inventory.SeverityHigh)

	newer := newScan("s2", hoursAfter(24), map[string]string{"ehr": complete})
	newer.Findings = []inventory.Finding{f}
	save(t, s, newer)

	// An older scan saved afterwards did not see the finding; it must not
	// resolve what a newer scan saw, but it does not move last seen back.
	older := newScan("s1", hoursAfter(0), map[string]string{"ehr": complete})
	save(t, s, older)

	got := tracked(t, s, f.Fingerprint)
	if got.Status != FindingOpen {
		t.Errorf("Status = %q, want open", got.Status)
	}
	if !got.LastSeen.Equal(hoursAfter(24)) {
		t.Errorf("LastSeen = %v, want %v", got.LastSeen, hoursAfter(24))
	}
}

func TestSaveScanDuplicateFingerprints(t *testing.T) {
	s := openTest(t)
	low := newFinding("PG-001", "ehr", "etl", "", inventory.SeverityLow)
	high := low
	high.Severity = inventory.SeverityHigh
	high.Title = "the severe one"

	r := newScan("s1", t0, map[string]string{"ehr": complete})
	r.Findings = []inventory.Finding{low, high}
	save(t, s, r)

	got := tracked(t, s, low.Fingerprint)
	if got.Severity != inventory.SeverityHigh || got.Title != "the severe one" {
		t.Errorf("stored %s %q, want the high one", got.Severity, got.Title)
	}
	for i, f := range r.Findings {
		if !f.FirstSeen.Equal(t0) {
			t.Errorf("Findings[%d].FirstSeen = %v, want %v", i, f.FirstSeen, t0)
		}
	}
}

func TestSaveScanRejectsInvalidResults(t *testing.T) {
	valid := func() *inventory.ScanResult {
		r := newScan("s1", t0, map[string]string{"ehr": complete})
		r.Findings = []inventory.Finding{newFinding("PG-001", "ehr", "etl", "", "high")}
		return r
	}
	tests := []struct {
		name   string
		mutate func(r *inventory.ScanResult) *inventory.ScanResult
		want   string
	}{
		{"nil", func(*inventory.ScanResult) *inventory.ScanResult { return nil }, "no scan result"},
		{"no ID", func(r *inventory.ScanResult) *inventory.ScanResult {
			r.ID = ""
			return r
		}, "no ID"},
		{"no start time", func(r *inventory.ScanResult) *inventory.ScanResult {
			r.StartedAt = time.Time{}
			return r
		}, "no start time"},
		{"unknown source status", func(r *inventory.ScanResult) *inventory.ScanResult {
			r.Sources[0].Status = "done"
			return r
		}, `unknown status "done"`},
		{"finding without fingerprint", func(r *inventory.ScanResult) *inventory.ScanResult {
			r.Findings[0].Fingerprint = ""
			return r
		}, "no fingerprint"},
		{"unknown severity", func(r *inventory.ScanResult) *inventory.ScanResult {
			r.Findings[0].Severity = "severe"
			return r
		}, `unknown severity "severe"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openTest(t)
			err := s.SaveScan(context.Background(), tt.mutate(valid()))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("SaveScan error = %v, want one containing %q", err, tt.want)
			}
			if n := rowCounts(t, s)["scans"]; n != 0 {
				t.Errorf("%d scans stored after a rejected save", n)
			}
		})
	}

	t.Run("same ID twice", func(t *testing.T) {
		s := openTest(t)
		save(t, s, valid())
		err := s.SaveScan(context.Background(), valid())
		if err == nil || !strings.Contains(err.Error(), "already stored") {
			t.Fatalf("second SaveScan error = %v, want already stored", err)
		}
	})
}

func TestSaveScanIsAtomic(t *testing.T) {
	prior := newFinding("PG-001", "ehr", "etl", "", inventory.SeverityHigh)
	fresh := newFinding("PG-009", "ehr", "app", "", inventory.SeverityMedium)

	// second is a scan that, saved in full, would resolve prior, add fresh,
	// and write sources, resources, accounts and grants.
	second := func() *inventory.ScanResult {
		r := newScan("s2", hoursAfter(24), map[string]string{"ehr": complete})
		r.Sources[0].Snapshot.Resources = []inventory.Resource{{Name: "ehr.public.patients"}}
		r.Accounts = []inventory.Account{
			{ID: "ehr/app", Source: "ehr", Name: "app",
				Grants: []inventory.Grant{{Privilege: "SELECT", Resource: "ehr"}}},
			{ID: "ehr/etl", Source: "ehr", Name: "etl"},
		}
		r.Findings = []inventory.Finding{fresh}
		return r
	}

	tests := []struct {
		name string
		// prepare returns the context and result to save, and may set the
		// store's step hook.
		prepare func(s *Store) (context.Context, *inventory.ScanResult)
	}{
		{"context cancelled before", func(*Store) (context.Context, *inventory.ScanResult) {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			return ctx, second()
		}},
		{"context cancelled after accounts", func(s *Store) (context.Context, *inventory.ScanResult) {
			ctx, cancel := context.WithCancel(context.Background())
			s.afterStep = func(step string) {
				if step == "accounts" {
					cancel()
				}
			}
			return ctx, second()
		}},
		{"context cancelled before commit", func(s *Store) (context.Context, *inventory.ScanResult) {
			ctx, cancel := context.WithCancel(context.Background())
			s.afterStep = func(step string) {
				if step == "resolve" {
					cancel()
				}
			}
			return ctx, second()
		}},
		{"write fails midway", func(*Store) (context.Context, *inventory.ScanResult) {
			r := second()
			// The second copy of an account breaks a unique key after the
			// scan, its sources and the first accounts are written.
			r.Accounts = append(r.Accounts, r.Accounts[0])
			return context.Background(), r
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openTest(t)
			first := newScan("s1", hoursAfter(0), map[string]string{"ehr": complete})
			first.Findings = []inventory.Finding{prior}
			save(t, s, first)
			before := rowCounts(t, s)
			priorBefore := tracked(t, s, prior.Fingerprint)

			ctx, r := tt.prepare(s)
			if err := s.SaveScan(ctx, r); err == nil {
				t.Fatal("SaveScan succeeded, want an error")
			}
			s.afterStep = nil

			if diff := cmp.Diff(before, rowCounts(t, s)); diff != "" {
				t.Errorf("rows changed by a failed save (-before +after):\n%s", diff)
			}
			if diff := cmp.Diff(priorBefore, tracked(t, s, prior.Fingerprint)); diff != "" {
				t.Errorf("tracked finding changed by a failed save (-before +after):\n%s", diff)
			}
			sum, err := s.LatestScan(context.Background())
			if err != nil || sum.ID != "s1" {
				t.Errorf("LatestScan = %v, %v; want s1", sum, err)
			}
			if !r.Findings[0].FirstSeen.IsZero() {
				t.Errorf("FirstSeen filled in by a failed save: %v", r.Findings[0].FirstSeen)
			}

			// The same scan saves in full once nothing gets in its way.
			save(t, s, second())
			if got := tracked(t, s, prior.Fingerprint).Status; got != FindingResolved {
				t.Errorf("after the retry, prior finding is %q, want resolved", got)
			}
		})
	}
}

// TestUncheckedRulesAreNotResolved covers a complete scan that could not
// evaluate a rule (the pg_hba view was not readable, say): that rule's
// earlier findings stay open until a scan evaluates it again.
func TestUncheckedRulesAreNotResolved(t *testing.T) {
	s := openTest(t)
	f := newFinding("PG-HBA-TRUST", "ehr", "", "pg_hba.conf:3", inventory.SeverityCritical)

	r1 := newScan("s1", hoursAfter(0), map[string]string{"ehr": complete})
	r1.Findings = []inventory.Finding{f}
	save(t, s, r1)

	r2 := newScan("s2", hoursAfter(1), map[string]string{"ehr": complete})
	r2.Sources[0].UncheckedRules = []string{"PG-HBA-TRUST"}
	save(t, s, r2)
	if got := tracked(t, s, f.Fingerprint); got.Status != FindingOpen {
		t.Fatalf("after a scan that could not check the rule, status = %q, want open", got.Status)
	}

	r3 := newScan("s3", hoursAfter(2), map[string]string{"ehr": complete})
	save(t, s, r3)
	if got := tracked(t, s, f.Fingerprint); got.Status != FindingResolved {
		t.Errorf("after a scan that checked the rule, status = %q, want resolved", got.Status)
	}
}
