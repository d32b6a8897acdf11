package cli

import (
	"strings"
	"testing"
	"time"

	"github.com/wardsec/ward/internal/config"
	"github.com/wardsec/ward/internal/inventory"
	"github.com/wardsec/ward/internal/store"
)

func day(s string) time.Time {
	d, err := config.ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

func TestSuppressionIndex(t *testing.T) {
	now := time.Date(2026, 6, 15, 12, 0, 0, 0, time.UTC)
	cfgSup := func(until string) []config.Suppression {
		return []config.Suppression{{Fingerprint: "a", Reason: "cfg", Until: day(until), By: "c"}}
	}
	cmdSup := func(until string) []store.Suppression {
		return []store.Suppression{{Fingerprint: "a", Suppression: inventory.Suppression{
			Reason: "cmd", Until: day(until), By: "u", Source: inventory.SuppressionFromCommand}}}
	}
	tests := []struct {
		name        string
		cfg         []config.Suppression
		cmd         []store.Suppression
		wantReason  string
		wantExpired bool
	}{
		{"config alone", cfgSup("2026-12-31"), nil, "cfg", false},
		{"command alone", nil, cmdSup("2026-12-31"), "cmd", false},
		{"the last day still applies", nil, cmdSup("2026-06-15"), "cmd", false},
		{"the day before has expired", nil, cmdSup("2026-06-14"), "cmd", true},
		{"active beats expired", cfgSup("2026-01-01"), cmdSup("2026-07-01"), "cmd", false},
		{"later end wins", cfgSup("2026-08-01"), cmdSup("2026-07-01"), "cfg", false},
		{"config wins a tie", cfgSup("2026-07-01"), cmdSup("2026-07-01"), "cfg", false},
		{"both expired: the later is shown", cfgSup("2026-01-01"), cmdSup("2026-03-01"), "cmd", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := suppressionIndex(tt.cfg, tt.cmd, now)["a"]
			if !ok {
				t.Fatal("no suppression for a")
			}
			if got.Reason != tt.wantReason || got.Expired != tt.wantExpired {
				t.Errorf("got %s expired=%v, want %s expired=%v", got.Reason, got.Expired,
					tt.wantReason, tt.wantExpired)
			}
		})
	}
}

func TestApplySuppressionsAndFailing(t *testing.T) {
	now := time.Date(2026, 6, 15, 12, 0, 0, 0, time.UTC)
	fs := []inventory.Finding{
		{Fingerprint: "crit-suppressed", Severity: inventory.SeverityCritical},
		{Fingerprint: "crit-expired", Severity: inventory.SeverityCritical},
		{Fingerprint: "high-old", Severity: inventory.SeverityHigh},
		{Fingerprint: "high-new", Severity: inventory.SeverityHigh},
		{Fingerprint: "low-new", Severity: inventory.SeverityLow},
		{Fingerprint: "crit-new-suppressed", Severity: inventory.SeverityCritical},
	}
	idx := suppressionIndex([]config.Suppression{
		{Fingerprint: "crit-suppressed", Reason: "r", Until: day("2026-12-31"), By: "a"},
		{Fingerprint: "crit-expired", Reason: "r", Until: day("2026-01-31"), By: "a"},
		{Fingerprint: "crit-new-suppressed", Reason: "r", Until: day("2026-12-31"), By: "a"},
	}, nil, now)
	applySuppressions(fs, idx)

	if !fs[0].Suppression.Active() || fs[1].Suppression == nil || fs[1].Suppression.Active() ||
		fs[2].Suppression != nil {
		t.Fatalf("suppressions applied wrongly: %+v %+v %+v", fs[0].Suppression,
			fs[1].Suppression, fs[2].Suppression)
	}
	if fs[0].Suppression == fs[5].Suppression {
		t.Error("two findings share one suppression value")
	}

	changes := &inventory.Changes{Sources: []inventory.SourceChanges{{
		New: []inventory.FindingRef{{Fingerprint: "high-new"}, {Fingerprint: "low-new"},
			{Fingerprint: "crit-new-suppressed", Reopened: true}},
	}}}
	tests := []struct {
		name    string
		min     inventory.Severity
		newOnly bool
		changes *inventory.Changes
		want    string
	}{
		{"critical: the expired one counts", inventory.SeverityCritical, false, changes, "crit-expired"},
		{"high", inventory.SeverityHigh, false, changes, "crit-expired high-old high-new"},
		{"high, new only", inventory.SeverityHigh, true, changes, "high-new"},
		{"low, new only", inventory.SeverityLow, true, changes, "high-new low-new"},
		{"critical, new only: the new one is suppressed", inventory.SeverityCritical, true,
			changes, ""},
		{"new only without changes counts nothing", inventory.SeverityLow, true, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, f := range failing(fs, tt.min, tt.newOnly, tt.changes) {
				got = append(got, f.Fingerprint)
			}
			if strings.Join(got, " ") != tt.want {
				t.Errorf("failing = %q, want %q", strings.Join(got, " "), tt.want)
			}
		})
	}
}

func TestCheckSuppress(t *testing.T) {
	now := time.Date(2026, 6, 15, 23, 59, 0, 0, time.UTC)
	t.Setenv("USER", "FAKE-env-user")
	tests := []struct {
		name, until, by, wantBy, wantErr string
		allowLong                        bool
	}{
		{name: "tomorrow", until: "2026-06-16", wantBy: "FAKE-env-user"},
		{name: "explicit author", until: "2027-01-01", by: " bob ", wantBy: "bob"},
		// It applies until the end of today (UTC).
		{name: "today", until: "2026-06-15", wantBy: "FAKE-env-user"},
		{name: "yesterday", until: "2026-06-14", wantErr: "is in the past"},
		{name: "one year ahead", until: "2027-06-15", wantBy: "FAKE-env-user"},
		{name: "beyond a year", until: "2027-06-16", wantErr: "more than one year ahead: by policy"},
		{name: "beyond a year, allowed", until: "2030-01-01", allowLong: true,
			wantBy: "FAKE-env-user"},
		{name: "impossible date", until: "2026-02-30", wantErr: "such as 2026-09-15"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, by, err := checkSuppress(&suppressFlags{reason: "r", until: tt.until, by: tt.by,
				allowLong: tt.allowLong},
				"0123456789abcdef", now)
			switch {
			case tt.wantErr != "":
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("err = %v, want %q", err, tt.wantErr)
				}
			case err != nil:
				t.Errorf("err = %v", err)
			case by != tt.wantBy:
				t.Errorf("by = %q, want %q", by, tt.wantBy)
			}
		})
	}
}

func TestEditDistance(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"abc", "abc", 0}, {"etl_loadr", "etl_loader", 1},
		{"kitten", "sitting", 3}, {"", "abc", 3}, {"ñandú", "nandu", 2},
	}
	for _, tt := range tests {
		t.Run(tt.a+"/"+tt.b, func(t *testing.T) {
			if got := editDistance(tt.a, tt.b); got != tt.want {
				t.Errorf("editDistance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
			}
		})
	}
}
