package secrets

import (
	"testing"

	"github.com/wardsec/ward/internal/config"
	"github.com/wardsec/ward/internal/inventory"
)

func TestLink(t *testing.T) {
	snaps := []*inventory.Snapshot{
		{Source: "ehr", Type: "postgres", Accounts: []inventory.Account{
			{ID: "ehr/svc_billing", Name: "svc_billing"},
			{ID: "ehr/etl_loader", Name: "etl_loader", Grants: []inventory.Grant{
				{Privilege: "SELECT", Resource: "ehr.clinical.patient", PHI: true}}},
		}},
		{Source: "reports", Type: "postgres", Accounts: []inventory.Account{
			{ID: "reports/svc_billing", Name: "svc_billing"},
			{ID: "reports/svc_reports", Name: "svc_reports"},
		}},
	}
	srcs := []config.Source{
		{Name: "ehr", Type: "postgres", DSN: "postgres://ward@pg-billing.internal:5432/ehr"},
		{Name: "reports", Type: "postgres", DSN: "host=reports-db.internal port=5433 user=ward"},
		{Name: "absent", Type: "postgres", DSN: "postgres://ward@nowhere/x"},
	}
	targets := TargetsFrom(srcs, snaps)
	if len(targets) != 2 {
		t.Fatalf("%d targets, want 2 (the source without a snapshot is left out)", len(targets))
	}

	s := newTestScanner(t, Options{})
	tests := []struct {
		name, path, text, account string
		sev                       inventory.Severity
	}{
		{"user and host", "a.env",
			"DATABASE_URL=postgres://svc_billing:FAKE-l1@pg-billing.internal:5432/billing\n",
			"ehr/svc_billing", inventory.SeverityHigh},
		{"same user on another server", "b.env",
			"DATABASE_URL=postgres://svc_billing:FAKE-l2@reports-db.internal:5433/r\n",
			"reports/svc_billing", inventory.SeverityHigh},
		{"port differs", "c.env",
			"DATABASE_URL=postgres://svc_billing:FAKE-l3@reports-db.internal:6432/r\n", "", inventory.SeverityHigh},
		{"no host, one source has the role, which reaches PHI", "d.sql",
			"ALTER ROLE etl_loader PASSWORD 'FAKE-l4-pass';\n", "ehr/etl_loader", inventory.SeverityCritical},
		{"no host, two sources have the role", "e.sql",
			"ALTER ROLE svc_billing PASSWORD 'FAKE-l5-pass';\n", "", inventory.SeverityHigh},
		{"unknown host", "f.env",
			"DATABASE_URL=postgres://svc_reports:FAKE-l6@elsewhere.internal/r\n", "", inventory.SeverityHigh},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			secs := s.ScanBytes(tc.path, []byte(tc.text))
			if len(secs) != 1 {
				t.Fatalf("found %d secrets, want 1", len(secs))
			}
			fs := s.Findings(secs)
			linked := Link(fs, secs, targets)
			if fs[0].AccountID != "" {
				t.Error("Link changed its input")
			}
			if got := linked[0].AccountID; got != tc.account || linked[0].Severity != tc.sev {
				t.Errorf("linked to %q at %s, want %q at %s", got, linked[0].Severity, tc.account, tc.sev)
			}
		})
	}
}
