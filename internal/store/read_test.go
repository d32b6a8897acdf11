package store

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/wardsec/ward/internal/inventory"
)

func sampleAccounts() []inventory.Account {
	until := time.Date(2026, 1, 1, 0, 0, 0, 0, time.FixedZone("CET", 3600))
	return []inventory.Account{
		{
			ID: "ehr/etl_loader", Source: "ehr", Name: "etl_loader",
			Kind: inventory.KindService, KindReasons: []string{"name matches etl_*", "no password expiry"},
			Owner: "data-platform", Purpose: "nightly load",
			Attributes: inventory.Attributes{
				CanLogin: true, CreateDB: true, Inherit: true, ConnLimit: -1,
				ValidUntil: &until, Config: []string{"pgaudit.log=none"},
				DangerousRoles: []string{"pg_read_all_data"},
			},
			Memberships: []inventory.Membership{
				{Role: "loaders", Path: []string{"loaders"}, Inherit: true},
				{Role: "pg_read_all_data", Path: []string{"loaders", "pg_read_all_data"}, Inherit: true},
			},
			Grants: []inventory.Grant{
				{Privilege: "CONNECT", Resource: "ehr", ResourceType: "database", Via: inventory.ViaPublic},
				{Privilege: "SELECT", Resource: "ehr.public.patients", ResourceType: "table",
					PHI: true, Via: "loaders", Path: []string{"loaders"}, Grantable: true},
				{Privilege: "UPDATE", Resource: "ehr.public.patients.ssn", ResourceType: "column",
					PHI: true, Via: "admins", Path: []string{"admins"}, SetRoleOnly: true},
				{Privilege: "USAGE", Resource: "ehr.public", ResourceType: "schema",
					Via: inventory.ViaDirect, Path: []string{}},
			},
		},
		{
			ID: "ehr/alice", Source: "ehr", Name: "alice", Kind: inventory.KindHuman,
			Attributes: inventory.Attributes{CanLogin: true, Superuser: true, Bootstrap: true},
		},
	}
}

func TestAccountsRoundTrip(t *testing.T) {
	s := openTest(t)
	r := newScan("s1", t0, map[string]string{"ehr": complete})
	r.Accounts = sampleAccounts()
	save(t, s, r)

	got, err := s.Accounts(context.Background(), "s1")
	if err != nil {
		t.Fatalf("Accounts: %v", err)
	}
	if diff := cmp.Diff(sampleAccounts(), got); diff != "" {
		t.Errorf("Accounts differ from what was saved (-saved +read):\n%s", diff)
	}
}

func TestAccountsByScan(t *testing.T) {
	s := openTest(t)
	r1 := newScan("s1", hoursAfter(0), map[string]string{"ehr": complete})
	r1.Accounts = sampleAccounts()
	save(t, s, r1)
	r2 := newScan("s2", hoursAfter(24), map[string]string{"ehr": complete})
	r2.Accounts = sampleAccounts()[1:]
	save(t, s, r2)

	tests := []struct {
		scanID  string
		wantIDs []string
		wantErr error
	}{
		{"s1", []string{"ehr/etl_loader", "ehr/alice"}, nil},
		{"s2", []string{"ehr/alice"}, nil},
		{"", []string{"ehr/alice"}, nil},
		{"no-such-scan", nil, ErrNotFound},
	}
	for _, tt := range tests {
		t.Run("scan "+tt.scanID, func(t *testing.T) {
			got, err := s.Accounts(context.Background(), tt.scanID)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Accounts(%q) error = %v, want %v", tt.scanID, err, tt.wantErr)
			}
			var ids []string
			for _, a := range got {
				ids = append(ids, a.ID)
			}
			if diff := cmp.Diff(tt.wantIDs, ids); diff != "" {
				t.Errorf("account IDs (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLatestScan(t *testing.T) {
	s := openTest(t)
	if _, err := s.LatestScan(context.Background()); !errors.Is(err, ErrNotFound) {
		t.Fatalf("LatestScan on an empty store: error = %v, want ErrNotFound", err)
	}

	r1 := newScan("s1", hoursAfter(0), map[string]string{"ehr": complete})
	save(t, s, r1)
	r2 := newScan("s2", hoursAfter(24), map[string]string{"ehr": complete, "lab": failed})
	r2.Accounts = sampleAccounts()
	r2.Findings = []inventory.Finding{
		newFinding("PG-001", "ehr", "etl_loader", "", inventory.SeverityHigh),
		newFinding("PG-002", "ehr", "", "", inventory.SeverityLow),
	}
	save(t, s, r2)

	got, err := s.LatestScan(context.Background())
	if err != nil {
		t.Fatalf("LatestScan: %v", err)
	}
	want := &ScanSummary{
		ID: "s2", StartedAt: hoursAfter(24), FinishedAt: hoursAfter(24).Add(time.Minute),
		WardVersion: "test", ConfigPath: "/etc/ward/ward.yaml", ConfigHash: "abc123",
		Sources: []inventory.SourceResult{
			{Name: "ehr", Type: "postgres", Status: complete},
			{Name: "lab", Type: "postgres", Status: failed, Error: "connect: connection refused"},
		},
		Accounts: 2, Grants: 4, Findings: 2,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("LatestScan (-want +got):\n%s", diff)
	}
}

func TestPreviousScan(t *testing.T) {
	s := openTest(t)
	for i, sources := range []map[string]string{
		{"ehr": complete, "lab": complete}, // s1
		{"ehr": failed, "lab": partial},    // s2
		{"ehr": partial},                   // s3
		{"ehr": complete},                  // s4
	} {
		save(t, s, newScan("s"+string(rune('1'+i)), hoursAfter(24*i), sources))
	}

	tests := []struct {
		name, source, before string
		want                 string
		wantErr              error
	}{
		{"skips a failed source", "ehr", "s3", "s1", nil},
		{"takes a partial source", "ehr", "s4", "s3", nil},
		{"from now", "ehr", "", "s4", nil},
		{"skips scans without the source", "lab", "s4", "s2", nil},
		{"nothing before the first", "ehr", "s1", "", ErrNotFound},
		{"unknown source", "billing", "", "", ErrNotFound},
		{"unknown scan", "ehr", "s9", "", ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.PreviousScan(context.Background(), tt.source, tt.before)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("PreviousScan(%q, %q) error = %v, want %v", tt.source, tt.before, err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if got.ID != tt.want {
				t.Errorf("PreviousScan(%q, %q) = %s, want %s", tt.source, tt.before, got.ID, tt.want)
			}
		})
	}
}

func TestFindingsFilter(t *testing.T) {
	s := openTest(t)
	crit := newFinding("PG-001", "ehr", "etl", "", inventory.SeverityCritical)
	high := newFinding("PG-002", "ehr", "app", "", inventory.SeverityHigh)
	low := newFinding("PG-001", "lab", "etl", "", inventory.SeverityLow)
	gone := newFinding("PG-003", "lab", "old", "", inventory.SeverityMedium)

	r1 := newScan("s1", hoursAfter(0), map[string]string{"ehr": complete, "lab": complete})
	r1.Findings = []inventory.Finding{crit, high, low, gone}
	save(t, s, r1)
	r2 := newScan("s2", hoursAfter(24), map[string]string{"ehr": complete, "lab": complete})
	r2.Findings = []inventory.Finding{crit, high, low}
	save(t, s, r2)

	tests := []struct {
		name   string
		filter FindingFilter
		want   []string
	}{
		{"all, most severe first", FindingFilter{},
			[]string{crit.Fingerprint, high.Fingerprint, gone.Fingerprint, low.Fingerprint}},
		{"source", FindingFilter{Source: "lab"}, []string{gone.Fingerprint, low.Fingerprint}},
		{"min severity", FindingFilter{MinSeverity: inventory.SeverityHigh},
			[]string{crit.Fingerprint, high.Fingerprint}},
		{"rule", FindingFilter{RuleID: "PG-001"}, []string{crit.Fingerprint, low.Fingerprint}},
		{"open", FindingFilter{Status: FindingOpen},
			[]string{crit.Fingerprint, high.Fingerprint, low.Fingerprint}},
		{"resolved", FindingFilter{Status: FindingResolved}, []string{gone.Fingerprint}},
		{"combined", FindingFilter{Source: "ehr", RuleID: "PG-001", Status: FindingOpen,
			MinSeverity: inventory.SeverityCritical}, []string{crit.Fingerprint}},
		{"no match", FindingFilter{Source: "billing"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.Findings(context.Background(), tt.filter)
			if err != nil {
				t.Fatalf("Findings: %v", err)
			}
			var fps []string
			for _, f := range got {
				fps = append(fps, f.Fingerprint)
			}
			if diff := cmp.Diff(tt.want, fps); diff != "" {
				t.Errorf("fingerprints (-want +got):\n%s", diff)
			}
		})
	}

	for _, bad := range []FindingFilter{{MinSeverity: "severe"}, {Status: "closed"}} {
		if _, err := s.Findings(context.Background(), bad); err == nil {
			t.Errorf("Findings(%+v) succeeded, want an error", bad)
		}
	}
}

func TestFindingsShowLatestDetail(t *testing.T) {
	s := openTest(t)
	f := newFinding("PG-001", "ehr", "etl", "ehr.public.patients", inventory.SeverityMedium)
	f.Citations = []string{"45 CFR 164.312(a)(1)"}
	f.Controls = []string{"AC-6"}
	f.Remediation = "Revoke the grant."
	f.PHI = true
	f.Fix = &inventory.Fix{Language: "sql", Apply: `REVOKE SELECT ON public.patients FROM etl;`}

	r1 := newScan("s1", hoursAfter(0), map[string]string{"ehr": complete})
	r1.Findings = []inventory.Finding{f}
	save(t, s, r1)

	// The second scan raises the severity and changes the evidence.
	f.Severity = inventory.SeverityHigh
	f.Evidence = []string{"SELECT on ehr.public.patients via loaders"}
	r2 := newScan("s2", hoursAfter(24), map[string]string{"ehr": complete})
	r2.Findings = []inventory.Finding{f}
	save(t, s, r2)

	want := FindingRecord{Finding: f, Status: FindingOpen}
	want.FirstSeen, want.LastSeen = hoursAfter(0), hoursAfter(24)
	if diff := cmp.Diff(want, tracked(t, s, f.Fingerprint)); diff != "" {
		t.Errorf("stored finding (-want +got):\n%s", diff)
	}
	got, err := s.Findings(context.Background(), FindingFilter{MinSeverity: inventory.SeverityHigh})
	if err != nil || len(got) != 1 {
		t.Errorf("Findings(min high) = %d findings, %v; want the raised one", len(got), err)
	}
}

func TestSourcesRoundTrip(t *testing.T) {
	s := openTest(t)
	r := newScan("s1", t0, map[string]string{"ehr": partial, "lab": failed})
	r.Sources[0].Error = "database billing: permission denied"
	r.Sources[0].Snapshot = &inventory.Snapshot{
		Source: "ehr", Type: "postgres",
		StartedAt: t0, FinishedAt: t0.Add(3 * time.Second),
		Scanner:           "ward_scanner",
		ScannerPrivileges: []string{"pg_read_all_settings", "CONNECT on ehr"},
		Resources: []inventory.Resource{
			{Name: "ehr.public.patients", Type: "table", Owner: "app", PHI: true,
				PHIReason: "table name matches patient*", RLS: true, ForceRLS: true,
				Policies: []string{"own_clinic"}},
			{Name: "ehr.public.audit", Type: "table", Owner: "app"},
		},
		Postgres: &inventory.PGSettings{
			ServerVersion: "16.4", ServerVersionNum: 160004, PasswordEncryption: "md5",
			SSL: "off", LogConnections: "on", PgauditLog: "none",
			Overrides: []inventory.RoleSetting{{Role: "etl", Name: "pgaudit.log", Value: "none"}},
			HBA: []inventory.HBARule{{Line: 3, Type: "host", Database: []string{"all"},
				User: []string{"all"}, Address: "0.0.0.0/0", Method: "trust"}},
			HBAFrom: "pg_hba_file_rules",
		},
		Databases: []inventory.DatabaseCoverage{
			{Name: "ehr", Scanned: true},
			{Name: "billing", Scanned: false, Reason: "permission denied"},
		},
		Gaps: []inventory.Gap{{Check: "credentials", Reason: "pg_authid not readable",
			Enable: "GRANT pg_read_all_settings TO ward_scanner"}},
		Sessions: []inventory.Session{{User: "etl", Database: "ehr", Application: "loader",
			ClientAddr: "10.0.0.8", Started: t0.Add(-time.Hour)}},
		PublicGrants: []inventory.Grant{{Privilege: "SELECT", Resource: "ehr.public.patients",
			ResourceType: "table", PHI: true, Via: inventory.ViaPublic}},
		Functions: []inventory.Function{{Name: "ehr.public.f(integer)", Owner: "app",
			SecurityDefiner: true, Executors: []string{"PUBLIC"}}},
		DefaultPrivileges: []inventory.DefaultPrivilege{{Database: "ehr", ForRole: "app",
			ObjectType: "table", Grantee: "PUBLIC", Privileges: []string{"SELECT"}}},
	}
	r.Sources[0].UncheckedRules = []string{"PG-HBA-TRUST"}
	save(t, s, r)

	got, err := s.Sources(context.Background(), "")
	if err != nil {
		t.Fatalf("Sources: %v", err)
	}
	if diff := cmp.Diff(r.Sources, got); diff != "" {
		t.Errorf("Sources differ from what was saved (-saved +read):\n%s", diff)
	}
	if _, err := s.Sources(context.Background(), "no-such-scan"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Sources of an unknown scan: error = %v, want ErrNotFound", err)
	}
}
