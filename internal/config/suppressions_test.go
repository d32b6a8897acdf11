package config

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestSuppressions(t *testing.T) {
	body := `suppressions:
  - fingerprint: 0123456789abcdef
    reason: read replica only reachable from the VPN; compensating control CC-12
    until: 2026-06-30
    by: ciso@clinic.example
  - fingerprint: fedcba9876543210
    reason: vendor fix due
    until: 2020-01-31
    by: alice
`
	c, err := Parse("/tmp/w/ward.yaml", []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	want := []Suppression{
		{Fingerprint: "0123456789abcdef",
			Reason: "read replica only reachable from the VPN; compensating control CC-12",
			Until:  time.Date(2026, 6, 30, 0, 0, 0, 0, time.UTC), By: "ciso@clinic.example", Line: 2},
		// A date in the past loads: the suppression has expired, which
		// reports show, rather than the file failing to load.
		{Fingerprint: "fedcba9876543210", Reason: "vendor fix due",
			Until: time.Date(2020, 1, 31, 0, 0, 0, 0, time.UTC), By: "alice", Line: 6},
	}
	if len(c.Suppressions) != len(want) {
		t.Fatalf("got %d suppressions, want %d", len(c.Suppressions), len(want))
	}
	for i, w := range want {
		if got := c.Suppressions[i]; got != w {
			t.Errorf("suppression %d = %+v, want %+v", i, got, w)
		}
	}
}

func TestSuppressionsRejects(t *testing.T) {
	entry := func(fp, reason, until, by string) string {
		return fmt.Sprintf("suppressions:\n  - fingerprint: %s\n    reason: %s\n    until: %s\n    by: %s\n",
			fp, reason, until, by)
	}
	cases := []struct {
		name, body, want string
		line             int
	}{
		{"no fingerprint", "suppressions:\n  - reason: r\n    until: 2026-01-01\n    by: a\n",
			"suppressions[0].fingerprint: missing", 2},
		{"bad fingerprint", entry(canary, "r", "2026-01-01", "a"),
			"suppressions[0].fingerprint: not a fingerprint", 2},
		{"upper-case fingerprint", entry("0123456789ABCDEF", "r", "2026-01-01", "a"),
			"not a fingerprint", 2},
		{"no reason", "suppressions:\n  - fingerprint: 0123456789abcdef\n    until: 2026-01-01\n    by: a\n",
			"suppressions[0].reason: missing", 2},
		{"blank reason", entry("0123456789abcdef", `"  "`, "2026-01-01", "a"),
			"suppressions[0].reason: missing", 2},
		{"no by", "suppressions:\n  - fingerprint: 0123456789abcdef\n    reason: r\n    until: 2026-01-01\n",
			"suppressions[0].by: missing", 2},
		{"no until", "suppressions:\n  - fingerprint: 0123456789abcdef\n    reason: r\n    by: a\n",
			"suppressions[0].until: missing", 2},
		{"bad date", entry("0123456789abcdef", "r", "30/06/2026", "a"),
			"suppressions[0].until: not a date", 4},
		{"impossible date", entry("0123456789abcdef", "r", "2026-02-30", "a"),
			"not a date", 4},
		{"secret as date", entry("0123456789abcdef", "r", canary, "a"), "not a date", 4},
		{"duplicate", entry("0123456789abcdef", "r", "2026-01-01", "a") +
			"  - fingerprint: 0123456789abcdef\n    reason: r\n    until: 2026-01-01\n    by: a\n",
			"already suppressed on line 2", 6},
		{"misspelt key", "suppressions:\n  - fingerprint: 0123456789abcdef\n    reson: r\n",
			`unknown key "reson": the keys here are fingerprint, reason, until, by`, 3},
		{"not a list", "suppressions: yes\n", "expected a list of suppressions", 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("/tmp/w/ward.yaml", []byte(tc.body))
			if err == nil {
				t.Fatal("accepted, want an error")
			}
			msg := err.Error()
			if !strings.Contains(msg, tc.want) {
				t.Errorf("error %q does not contain %q", msg, tc.want)
			}
			if strings.Contains(msg, canary) {
				t.Errorf("error echoes a value from the file: %q", msg)
			}
			if !strings.Contains(msg, fmt.Sprintf("ward.yaml:%d:", tc.line)) {
				t.Errorf("error %q does not name line %d", msg, tc.line)
			}
		})
	}
}

func TestParseDateAndFingerprint(t *testing.T) {
	if d, err := ParseDate(" 2026-06-30 "); err != nil || !d.Equal(time.Date(2026, 6, 30, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("ParseDate = %v, %v", d, err)
	}
	for _, bad := range []string{"", "2026-6-30", "2026-06-30T00:00:00Z", "tomorrow"} {
		if _, err := ParseDate(bad); err == nil {
			t.Errorf("ParseDate(%q) accepted", bad)
		}
	}
	if !ValidFingerprint("0123456789abcdef") || ValidFingerprint("0123456789abcde") ||
		ValidFingerprint("0123456789abcdeg") {
		t.Error("ValidFingerprint misjudges its input")
	}
}

// TestLoadWithoutSecrets checks the store-reading commands can load a
// configuration whose password variable is not set, and still refuse a
// literal password.
func TestLoadWithoutSecrets(t *testing.T) {
	dir := t.TempDir()
	ref := write(t, dir, "ref.yaml", `sources:
  - name: ehr
    type: postgres
    dsn: postgres://ward_scanner@127.0.0.1/ehr
    password: ${env:WARD_SURELY_UNSET_VAR}
`)
	if _, err := Load(ref); err == nil {
		t.Fatal("Load accepted an unset variable")
	}
	c, err := LoadWithoutSecrets(ref)
	if err != nil {
		t.Fatalf("LoadWithoutSecrets: %v", err)
	}
	if c.Sources[0].Password.Reveal() != "" {
		t.Error("a password was read")
	}

	literal := write(t, dir, "literal.yaml", `sources:
  - name: ehr
    type: postgres
    dsn: postgres://ward_scanner@127.0.0.1/ehr
    password: `+canary+"\n")
	_, err = LoadWithoutSecrets(literal)
	if err == nil || !strings.Contains(err.Error(), "literal secret is refused") {
		t.Errorf("LoadWithoutSecrets with a literal password: %v, want it refused", err)
	}
	if err != nil && strings.Contains(err.Error(), canary) {
		t.Error("the error echoes the password")
	}
	if _, err := LoadWithoutSecrets(dir + "/missing.yaml"); err == nil ||
		!strings.Contains(err.Error(), "ward init") {
		t.Errorf("missing file: %v, want a hint to run ward init", err)
	}
}
