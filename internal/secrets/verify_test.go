package secrets

import (
	"context"
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/wardsec/ward/internal/config"
	"github.com/wardsec/ward/internal/inventory"
)

// attemptLog records the logins verify would have made, and answers each
// with the error the test gives for its password.
type attemptLog struct {
	cfgs    []*pgconn.Config
	answers map[string]error
}

func (l *attemptLog) connect(_ context.Context, cfg *pgconn.Config) error {
	l.cfgs = append(l.cfgs, cfg)
	return l.answers[cfg.Password]
}

var verifySources = []config.Source{
	{Name: "code", Type: config.TypeCode, Path: "/src"},
	{Name: "ehr", Type: "postgres",
		DSN: "postgres://ward@127.0.0.1:5544/ehr?sslmode=disable&application_name=ward"},
	{Name: "billing", Type: "postgres", DSN: "host=pg-billing.internal port=5432 dbname=billing " +
		"user=ward sslmode=require"},
	{Name: "nohost", Type: "postgres", DSN: "dbname=x user=ward"},
}

func TestVerifyPicksConfiguredSources(t *testing.T) {
	s := newTestScanner(t, Options{})
	tests := []struct {
		name, path, text string
		// source, host and port of the attempt; "" when none is made.
		source, host string
		port         uint16
	}{
		{"loopback name goes to the source's address", "a.env",
			"DATABASE_URL=postgres://svc_a:FAKE-v1@localhost:5544/ehr\n", "ehr", "127.0.0.1", 5544},
		{"host without port", "b.env",
			"DATABASE_URL=postgres://svc_b:FAKE-v2@pg-billing.internal/billing\n",
			"billing", "pg-billing.internal", 5432},
		{"port differs", "c.env",
			"DATABASE_URL=postgres://svc_c:FAKE-v3@127.0.0.1:6000/ehr\n", "", "", 0},
		{"host not configured", "d.env",
			"DATABASE_URL=postgres://svc_d:FAKE-v4@db.elsewhere.example:5432/ehr\n", "", "", 0},
		{"no host", "e.sql", "ALTER ROLE svc_e PASSWORD 'FAKE-v5-pass';\n", "", "", 0},
		{"another engine on a configured host", "f.env",
			"DATABASE_URL=mysql://svc_f:FAKE-v6@pg-billing.internal:5432/billing\n", "", "", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			secs := s.ScanBytes(tc.path, []byte(tc.text))
			if len(secs) != 1 {
				t.Fatalf("found %d secrets, want 1", len(secs))
			}
			log := &attemptLog{}
			got, err := verify(context.Background(), secs, verifySources, VerifyOptions{}, log.connect)
			if err != nil {
				t.Fatal(err)
			}
			if secs[0].Verification != nil {
				t.Error("verify changed its input")
			}
			if tc.source == "" {
				if len(log.cfgs) != 0 || got[0].Verification != nil {
					t.Fatalf("%d attempts, verification %+v; want none", len(log.cfgs), got[0].Verification)
				}
				return
			}
			if len(log.cfgs) != 1 {
				t.Fatalf("%d attempts, want 1", len(log.cfgs))
			}
			c := log.cfgs[0]
			if c.Host != tc.host || c.Port != tc.port || len(c.Fallbacks) != 0 && c.Fallbacks[0].Host != tc.host {
				t.Errorf("attempt to %s:%d, want %s:%d", c.Host, c.Port, tc.host, tc.port)
			}
			if c.User != secs[0].Identity.User || c.Password != secs[0].Value().Reveal() {
				t.Errorf("attempt as %q, want the secret's user %q and its password", c.User,
					secs[0].Identity.User)
			}
			v := got[0].Verification
			if v == nil || v.Source != tc.source || v.Status != VerifyLive {
				t.Errorf("verification %+v, want live on %s", v, tc.source)
			}
		})
	}
}

func TestVerifyLoginSettings(t *testing.T) {
	s := newTestScanner(t, Options{})
	secs := s.ScanBytes("a.env", []byte(
		"A=postgres://svc_a:FAKE-s1@127.0.0.1:5544/other\n"+
			"B=postgres://svc_b:FAKE-s2@pg-billing.internal:5432/billing\n"))
	log := &attemptLog{}
	if _, err := verify(context.Background(), secs, verifySources, VerifyOptions{}, log.connect); err != nil {
		t.Fatal(err)
	}
	if len(log.cfgs) != 2 {
		t.Fatalf("%d attempts, want 2", len(log.cfgs))
	}
	for _, c := range log.cfgs {
		if c.ConnectTimeout != DefaultVerifyTimeout {
			t.Errorf("connect timeout %v, want %v", c.ConnectTimeout, DefaultVerifyTimeout)
		}
		if len(c.RuntimeParams) != 1 || c.RuntimeParams["application_name"] != VerifyApplicationName {
			t.Errorf("runtime parameters %v, want only application_name=%s", c.RuntimeParams,
				VerifyApplicationName)
		}
		if c.ValidateConnect != nil || c.AfterConnect != nil {
			t.Error("an attempt would run something after logging in")
		}
	}
	ehr, billing := log.cfgs[0], log.cfgs[1]
	if ehr.Database != "ehr" || billing.Database != "billing" {
		t.Errorf("databases %q, %q; want the sources' ehr and billing", ehr.Database, billing.Database)
	}
	if ehr.TLSConfig != nil || billing.TLSConfig == nil {
		t.Errorf("TLS %v / %v, want none for sslmode=disable and some for sslmode=require",
			ehr.TLSConfig != nil, billing.TLSConfig != nil)
	}
}

func TestVerifyOncePerAccountAndSecret(t *testing.T) {
	s := newTestScanner(t, Options{})
	var secs []Secret
	for i, text := range []string{
		"DATABASE_URL=postgres://svc_o:FAKE-same@127.0.0.1:5544/ehr\n",
		"DATABASE_URL=postgres://svc_o:FAKE-same@localhost:5544/ehr\n",
		"DATABASE_URL=postgres://svc_o:FAKE-other@127.0.0.1:5544/ehr\n",
		"DATABASE_URL=postgres://svc_p:FAKE-same@127.0.0.1:5544/ehr\n",
	} {
		secs = append(secs, s.ScanBytes(fmt.Sprintf("f%d.env", i), []byte(text))...)
	}
	bad := &pgconn.PgError{Code: "28P01", Message: `password authentication failed for user "svc_o"`}
	log := &attemptLog{answers: map[string]error{"FAKE-other": bad}}
	got, err := verify(context.Background(), secs, verifySources, VerifyOptions{}, log.connect)
	if err != nil {
		t.Fatal(err)
	}
	if len(log.cfgs) != 3 {
		t.Fatalf("%d attempts, want 3: the same user and password twice is tried once", len(log.cfgs))
	}
	want := []string{VerifyLive, VerifyLive, VerifyDead, VerifyLive}
	for i, sc := range got {
		if sc.Verification == nil || sc.Verification.Status != want[i] {
			t.Errorf("secret %d: %+v, want %s", i, sc.Verification, want[i])
		}
	}
	if got[0].Verification != got[1].Verification {
		t.Error("the repeated secret does not share the one attempt's record")
	}
}

func TestVerifyCancelled(t *testing.T) {
	s := newTestScanner(t, Options{})
	secs := s.ScanBytes("a.env", []byte("U=postgres://svc_a:FAKE-c1@127.0.0.1:5544/ehr\n"))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	log := &attemptLog{}
	if _, err := verify(ctx, secs, verifySources, VerifyOptions{}, log.connect); err == nil ||
		len(log.cfgs) != 0 {
		t.Errorf("error %v after %d attempts, want the context's error and none", err, len(log.cfgs))
	}
}

func TestLoginOutcome(t *testing.T) {
	const pw = "FAKE-outcome-pw"
	tests := []struct {
		name   string
		err    error
		status string
		reason string
	}{
		{"success", nil, VerifyLive, ""},
		{"wrong password", &pgconn.PgError{Code: "28P01", Message: "password authentication failed"},
			VerifyDead, "SQLSTATE 28P01: password authentication failed"},
		{"not allowed", &pgconn.PgError{Code: "28000", Message: `role "x" is not permitted to log in`},
			VerifyUnknown, `SQLSTATE 28000: role "x" is not permitted to log in`},
		{"too many clients", &pgconn.PgError{Code: "53300", Message: "sorry, too many clients already"},
			VerifyUnknown, "SQLSTATE 53300: sorry, too many clients already"},
		{"refused", fmt.Errorf("dial postgres://u:%s@h: %w", pw, syscall.ECONNREFUSED),
			VerifyUnknown, "connection refused"},
		{"deadline", fmt.Errorf("connect postgres://u:%s@h: %w", pw, context.DeadlineExceeded),
			VerifyUnknown, "timed out"},
		{"other", fmt.Errorf("tls: handshake with postgres://u:%s@h", pw),
			VerifyUnknown, "could not connect (network or TLS error)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, reason := loginOutcome(tc.err)
			if status != tc.status || reason != tc.reason {
				t.Errorf("got %s %q, want %s %q", status, reason, tc.status, tc.reason)
			}
		})
	}
}

func TestVerificationInFindingsAndLink(t *testing.T) {
	s := newTestScanner(t, Options{})
	at := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	snaps := []*inventory.Snapshot{{Source: "ehr", Type: "postgres", Accounts: []inventory.Account{
		{ID: "ehr/svc_phi", Name: "svc_phi", Grants: []inventory.Grant{
			{Privilege: "SELECT", Resource: "ehr.clinical.patient", PHI: true}}},
		{ID: "ehr/svc_plain", Name: "svc_plain"},
	}}}
	targets := TargetsFrom(verifySources, snaps)
	tests := []struct {
		name, text string
		v          *Verification
		evidence   string
		sev        inventory.Severity
	}{
		{"live on a PHI account", "U=postgres://svc_phi:FAKE-f1@localhost:5544/ehr\n",
			&Verification{Status: VerifyLive, Source: "ehr", At: at},
			"verified live at 2026-03-02T10:00:00Z against source ehr", inventory.SeverityCritical},
		{"dead on a PHI account", "U=postgres://svc_phi:FAKE-f2@localhost:5544/ehr\n",
			&Verification{Status: VerifyDead, Source: "ehr", At: at, Reason: "SQLSTATE 28P01: no"},
			"verified dead at 2026-03-02T10:00:00Z against source ehr (SQLSTATE 28P01: no)",
			inventory.SeverityMedium},
		{"live without PHI", "U=postgres://svc_plain:FAKE-f3@localhost:5544/ehr\n",
			&Verification{Status: VerifyLive, Source: "ehr", At: at},
			"verified live at 2026-03-02T10:00:00Z against source ehr", inventory.SeverityLow},
		{"unknown", "U=postgres://svc_phi:FAKE-f4@localhost:5544/ehr\n",
			&Verification{Status: VerifyUnknown, Source: "ehr", At: at, Reason: "timed out"},
			"verification against source ehr at 2026-03-02T10:00:00Z was inconclusive (timed out)",
			inventory.SeverityMedium},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			secs := s.ScanBytes("a.env", []byte(tc.text))
			if len(secs) != 1 || secs[0].Severity != inventory.SeverityLow {
				t.Fatalf("found %d secrets (%v), want 1 loopback one at low", len(secs), secs)
			}
			secs[0].Verification = tc.v
			fs := Link(s.Findings(secs), secs, targets)
			if !containsLine(fs[0].Evidence, tc.evidence) {
				t.Errorf("evidence %q lacks %q", fs[0].Evidence, tc.evidence)
			}
			if fs[0].Severity != tc.sev {
				t.Errorf("severity %s, want %s", fs[0].Severity, tc.sev)
			}
		})
	}
}

func containsLine(lines []string, want string) bool {
	for _, l := range lines {
		if strings.TrimSpace(l) == want {
			return true
		}
	}
	return false
}
