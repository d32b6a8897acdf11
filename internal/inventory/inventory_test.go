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
