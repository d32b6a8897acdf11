package pglog

import (
	"strings"
	"testing"
)

// TestRedactRoleStatementUnquoted: a server rejects PASSWORD "x" and
// PASSWORD x as syntax errors but still logs the statement, and the error
// message quotes the token, so both must be redacted and reported.
func TestRedactRoleStatementUnquoted(t *testing.T) {
	cases := []struct {
		name, text, secret, account string
	}{
		{"double-quoted", `ALTER ROLE app_svc PASSWORD "CANARY-F5-dq"`, "CANARY-F5-dq", "app_svc"},
		{"bare", `CREATE ROLE bad_svc PASSWORD CANARY-B2-unquoted;`, "CANARY-B2-unquoted", "bad_svc"},
		{"with options", `create user u2 with login password FAKEbare99 valid until 'infinity'`,
			"FAKEbare99", "u2"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, leaks := Redact(tc.text, "admin")
			if strings.Contains(out, tc.secret) {
				t.Errorf("not redacted: %q", out)
			}
			if len(leaks) != 1 || leaks[0].Account != tc.account {
				t.Errorf("leaks = %+v, want one on %s", leaks, tc.account)
			}
		})
	}
	// Not secrets: PASSWORD NULL, and "password" in prose.
	for _, text := range []string{
		`ALTER ROLE app_svc PASSWORD NULL`,
		`password authentication failed for user "app_svc"`,
		`SELECT 'reset the password now'`,
	} {
		if out, leaks := Redact(text, "admin"); out != text || len(leaks) != 0 {
			t.Errorf("%q changed to %q (%d leaks)", text, out, len(leaks))
		}
	}
}

// TestSyntaxErrorEchoRedacted parses a csvlog error whose message quotes
// the password token of the failing statement.
func TestSyntaxErrorEchoRedacted(t *testing.T) {
	line := `2026-12-04 15:11:58.420 UTC,"admin","ehr",25967,"127.0.0.1:34006",6b12d83e.656f,18,` +
		`"idle",2026-12-04 15:11:58 UTC,3/70,0,ERROR,42601,"syntax error at or near ""CANARY-F5-dq""",` +
		`,,,,,"ALTER ROLE app_svc PASSWORD ""CANARY-F5-dq""",30,,"psql","client backend",,0` + "\n"
	got := parseBytes(t, Options{Source: "t"}, "x.csv", []byte(line))
	if got.stats.Events == 0 {
		t.Fatalf("no event parsed: %+v", got.stats)
	}
	for _, e := range got.events {
		all := e.Message + e.Detail + e.Statement
		if strings.Contains(all, "CANARY-F5-dq") {
			t.Errorf("secret survives in event: %+v", e)
		}
	}
	if len(got.exposures) == 0 || got.exposures[0].Account != "app_svc" {
		t.Errorf("exposures = %+v, want one on app_svc", got.exposures)
	}
}
