package inventory

import "testing"

func TestSeverityRaise(t *testing.T) {
	tests := []struct{ in, want Severity }{
		{SeverityInfo, SeverityLow},
		{SeverityLow, SeverityMedium},
		{SeverityMedium, SeverityHigh},
		{SeverityHigh, SeverityCritical},
		{SeverityCritical, SeverityCritical}, // never above critical
		{Severity("bogus"), Severity("bogus")},
	}
	for _, tt := range tests {
		if got := tt.in.Raise(); got != tt.want {
			t.Errorf("%s.Raise() = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestParseSeverity(t *testing.T) {
	if s, err := ParseSeverity(" HIGH "); err != nil || s != SeverityHigh {
		t.Errorf("ParseSeverity(HIGH) = %q, %v", s, err)
	}
	if _, err := ParseSeverity("severe"); err == nil {
		t.Errorf("ParseSeverity(severe) accepted")
	}
	if !SeverityHigh.AtLeast(SeverityMedium) || SeverityLow.AtLeast(SeverityMedium) {
		t.Errorf("AtLeast ordering is wrong")
	}
}

// TestFingerprint checks the fingerprint depends on each of its four parts
// and that the parts cannot be shifted into one another.
func TestFingerprint(t *testing.T) {
	base := Fingerprint("R", "src", "acct", "res")
	if base != Fingerprint("R", "src", "acct", "res") {
		t.Fatal("fingerprint is not stable")
	}
	for name, other := range map[string]string{
		"rule":     Fingerprint("R2", "src", "acct", "res"),
		"source":   Fingerprint("R", "src2", "acct", "res"),
		"account":  Fingerprint("R", "src", "acct2", "res"),
		"resource": Fingerprint("R", "src", "acct", "res2"),
		"shifted":  Fingerprint("R", "srca", "cct", "res"),
	} {
		if other == base {
			t.Errorf("changing the %s kept the fingerprint", name)
		}
	}
}

func TestCompleteAndPartial(t *testing.T) {
	s := &Snapshot{Databases: []DatabaseCoverage{{Name: "a", Scanned: true}, {Name: "b"}}}
	if s.Complete() {
		t.Errorf("snapshot with an unscanned database is complete")
	}
	r := &ScanResult{Sources: []SourceResult{{Status: StatusComplete}, {Status: StatusFailed}}}
	if !r.Partial() {
		t.Errorf("result with a failed source is not partial")
	}
}

func TestRedactSecrets(t *testing.T) {
	const canary = "CANARY-ldap-bind-77"
	s := &Snapshot{
		Postgres: &PGSettings{
			HBA: []HBARule{{Method: "ldap", Options: []string{
				"ldapserver=ldap.example", "ldapbindpasswd=" + canary}}},
			Overrides: []RoleSetting{{Role: "app", Name: "app.api_key", Value: canary},
				{Role: "app", Name: "pgaudit.log", Value: "none"}},
			Other: map[string]string{"password_encryption": "md5"},
		},
		Accounts: []Account{{Attributes: Attributes{Config: []string{
			"app.secret_token=" + canary, "search_path=app"}}}},
	}
	s.RedactSecrets()
	got := []string{s.Postgres.HBA[0].Options[1], s.Postgres.Overrides[0].Value,
		s.Accounts[0].Attributes.Config[0]}
	for _, g := range got {
		if g == canary || len(g) > 0 && g[len(g)-len(Redacted):] != Redacted {
			t.Errorf("not redacted: %q", g)
		}
	}
	kept := []string{s.Postgres.HBA[0].Options[0], s.Postgres.Overrides[1].Value,
		s.Accounts[0].Attributes.Config[1], s.Postgres.Other["password_encryption"]}
	want := []string{"ldapserver=ldap.example", "none", "search_path=app", "md5"}
	for i := range kept {
		if kept[i] != want[i] {
			t.Errorf("harmless value changed: %q, want %q", kept[i], want[i])
		}
	}
}
