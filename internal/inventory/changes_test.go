package inventory

import (
	"testing"
	"time"
)

func TestSuppressionExpiry(t *testing.T) {
	s := &Suppression{Until: time.Date(2026, 6, 30, 0, 0, 0, 0, time.UTC)}
	tests := []struct {
		name string
		now  time.Time
		want bool
	}{
		{"the day before", time.Date(2026, 6, 29, 12, 0, 0, 0, time.UTC), false},
		{"the last day, late", time.Date(2026, 6, 30, 23, 59, 59, 0, time.UTC), false},
		{"the next day starts", time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC), true},
		{"in another zone, still June 30 UTC", time.Date(2026, 7, 1, 1, 0, 0, 0,
			time.FixedZone("CEST", 2*3600)), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := s.ExpiredAt(tt.now); got != tt.want {
				t.Errorf("ExpiredAt(%v) = %v, want %v", tt.now, got, tt.want)
			}
		})
	}

	var none *Suppression
	if none.Active() {
		t.Error("a nil suppression is active")
	}
	if !(&Suppression{}).Active() || (&Suppression{Expired: true}).Active() {
		t.Error("Active does not follow Expired")
	}
}

func TestChangesLookups(t *testing.T) {
	c := &Changes{Sources: []SourceChanges{
		{Source: "ehr", New: []FindingRef{{Fingerprint: "a"}, {Fingerprint: "b", Reopened: true}},
			Unchanged: []FindingRef{{Fingerprint: "c"}}},
		{Source: "lab", New: []FindingRef{{Fingerprint: "d"}}},
	}}
	got := c.NewFingerprints()
	for fp, want := range map[string]bool{"a": true, "b": true, "d": true, "c": false} {
		if got[fp] != want {
			t.Errorf("NewFingerprints()[%s] = %v, want %v", fp, got[fp], want)
		}
	}
	if s := c.Source("lab"); s == nil || len(s.New) != 1 {
		t.Errorf("Source(lab) = %+v", s)
	}
	if c.Source("nope") != nil {
		t.Error("Source(nope) is not nil")
	}
	var none *Changes
	if len(none.NewFingerprints()) != 0 || none.Source("ehr") != nil {
		t.Error("nil Changes is not empty")
	}
}
