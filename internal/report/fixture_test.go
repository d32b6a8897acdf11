package report

import (
	"time"

	"github.com/wardsec/ward/internal/inventory"
)

// Citations used by the fixture; the HTML test checks each one is in the
// citation summary.
const (
	citeAccessControl = "HIPAA 164.312(a)(1)"
	citeAudit         = "HIPAA 164.312(b)"
	citeUniqueUser    = "HIPAA 164.312(a)(2)(i)"
	citeTransmission  = "HIPAA 164.312(e)(1)"
)

// sampleScan builds a scan of three sources: ehr is complete, billing is
// partial (one database skipped, one check that could not run and the rules
// that needed it), and lab failed. It has PHI grants, a source-level finding, a finding with a fix,
// and deliberately unsorted accounts, findings and grants.
func sampleScan() *inventory.ScanResult {
	start := time.Date(2025, 3, 14, 9, 30, 0, 0, time.FixedZone("EST", -5*3600))
	end := start.Add(42 * time.Second)
	validUntil := time.Date(2025, 12, 31, 0, 0, 0, 0, time.UTC)

	etl := inventory.Account{
		ID: "ehr/etl_loader", Source: "ehr", Name: "etl_loader",
		Kind: inventory.KindService, KindReasons: []string{"name matches *_loader", "no password expiry"},
		Owner: "data-platform@example.org", Purpose: "nightly load from the lab system",
		Attributes: inventory.Attributes{CanLogin: true, Inherit: true, ConnLimit: -1,
			Superuser: true, DangerousRoles: []string{"pg_read_server_files"}},
		Memberships: []inventory.Membership{{Role: "app_rw", Path: []string{"app_rw"}, Inherit: true}},
		Grants: []inventory.Grant{
			{Privilege: "UPDATE", Resource: "ehr.clinical.patients", ResourceType: "table", PHI: true,
				Via: "app_rw", Path: []string{"app_rw"}},
			{Privilege: "SELECT", Resource: "ehr.clinical.patients", ResourceType: "table", PHI: true,
				Via: "app_rw", Path: []string{"app_rw"}},
			{Privilege: "SELECT", Resource: "ehr.public.lookup_codes", ResourceType: "table",
				Via: inventory.ViaPublic},
			{Privilege: "CONNECT", Resource: "ehr", ResourceType: "database", Via: inventory.ViaDirect},
		},
	}
	report := inventory.Account{
		ID: "ehr/reporting", Source: "ehr", Name: "reporting", Kind: inventory.KindUnknown,
		KindReasons: []string{"no rule matched"},
		Attributes:  inventory.Attributes{CanLogin: true, ConnLimit: 5, ValidUntil: &validUntil},
		Grants: []inventory.Grant{
			{Privilege: "SELECT", Resource: "ehr.clinical.patients.ssn", ResourceType: "column",
				PHI: true, Via: inventory.ViaDirect, Grantable: true},
		},
	}
	clerk := inventory.Account{
		ID: "billing/clerk", Source: "billing", Name: "clerk", Kind: inventory.KindHuman,
		Owner: "finance@example.org",
		// KindReasons, Memberships and Grants are nil on purpose: the JSON
		// must still show [].
		Attributes: inventory.Attributes{CanLogin: true, Inherit: true, ConnLimit: -1},
	}

	findings := []inventory.Finding{
		{
			Fingerprint: inventory.Fingerprint("PG-AUDIT-001", "ehr", "", "ehr"),
			RuleID:      "PG-AUDIT-001", Severity: inventory.SeverityMedium,
			Title:  "Audit logging of statements is off",
			Source: "ehr", Resource: "ehr",
			Evidence:    []string{"pgaudit is not in shared_preload_libraries"},
			Citations:   []string{citeAudit},
			Controls:    []string{"AU-2", "AU-12"},
			Remediation: "Load pgaudit and set pgaudit.log to at least 'role, ddl, write'.",
		},
		{
			Fingerprint: inventory.Fingerprint("PG-PRIV-002", "ehr", "reporting",
				"ehr.clinical.patients.ssn"),
			RuleID: "PG-PRIV-002", Severity: inventory.SeverityHigh,
			Title:  "Grant on a PHI column can be passed on",
			Source: "ehr", AccountID: "ehr/reporting", Resource: "ehr.clinical.patients.ssn", PHI: true,
			Evidence:  []string{"SELECT on ehr.clinical.patients.ssn WITH GRANT OPTION"},
			Citations: []string{citeAccessControl},
			Controls:  []string{"AC-6"},
		},
		{
			Fingerprint: inventory.Fingerprint("PG-SUPER-001", "ehr", "etl_loader", ""),
			RuleID:      "PG-SUPER-001", Severity: inventory.SeverityCritical,
			Title:  "Service account is a superuser",
			Source: "ehr", AccountID: "ehr/etl_loader", PHI: true,
			Evidence: []string{"rolsuper = true", "logged in 212 times in 30 days",
				"needs only SELECT, UPDATE on ehr.clinical.patients"},
			Citations:   []string{citeAccessControl, citeUniqueUser},
			Controls:    []string{"AC-6(5)", "AC-2"},
			Remediation: "Remove SUPERUSER and grant only the privileges the load uses.",
			Fix: &inventory.Fix{
				Language: "sql",
				Apply:    "ALTER ROLE \"etl_loader\" NOSUPERUSER;",
				Rollback: "ALTER ROLE \"etl_loader\" SUPERUSER;",
				Notes:    "Usage observed over 30 days.",
			},
			FirstSeen: start.Add(-72 * time.Hour), LastSeen: start,
		},
		{
			Fingerprint: inventory.Fingerprint("PG-HBA-003", "ehr", "", "pg_hba.conf:12"),
			RuleID:      "PG-HBA-003", Severity: inventory.SeverityHigh,
			Title:  "Password sent in clear text from any address",
			Source: "ehr", Resource: "pg_hba.conf:12",
			Evidence:  []string{"line 12: host all all 0.0.0.0/0 password"},
			Citations: []string{citeTransmission, citeAccessControl},
			Controls:  []string{"SC-8"},
		},
	}

	return &inventory.ScanResult{
		ID: "scan-20250314-0001", StartedAt: start, FinishedAt: end,
		WardVersion: "0.1.0-test", ConfigPath: "/etc/ward/ward.yaml",
		ConfigHash: "9f2c1d7e5b3a4c6d8e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d",
		Sources: []inventory.SourceResult{
			{Name: "lab", Type: "postgres", Status: inventory.StatusFailed,
				Error: "connect to 127.0.0.1:5433: connection refused"},
			{Name: "ehr", Type: "postgres", Status: inventory.StatusComplete, Snapshot: &inventory.Snapshot{
				Source: "ehr", Type: "postgres", StartedAt: start, FinishedAt: start.Add(20 * time.Second),
				Scanner: "ward_scanner", ScannerPrivileges: []string{"pg_read_all_settings", "pg_monitor"},
				Databases: []inventory.DatabaseCoverage{{Name: "ehr", Scanned: true}},
				Postgres: &inventory.PGSettings{
					ServerVersion: "16.4", ServerVersionNum: 160004, PasswordEncryption: "scram-sha-256",
					SSL: "on", LogConnections: "on", PgauditLog: "",
					HBA: []inventory.HBARule{
						{Line: 1, Type: "local", Database: []string{"all"},
							User: []string{"postgres"}, Method: "peer"},
						{Line: 4, Type: "hostssl", Database: []string{"ehr"}, User: []string{"all"},
							Address: "10.0.0.0/8", Method: "scram-sha-256"},
						{Line: 12, Type: "host", Database: []string{"all"}, User: []string{"all"},
							Address: "0.0.0.0/0", Method: "password"},
					},
					HBAFrom: "pg_hba_file_rules",
				},
			}},
			{Name: "billing", Type: "postgres", Status: inventory.StatusPartial,
				Error:          "1 database not scanned",
				UncheckedRules: []string{"PG-HBA-003", "PG-HBA-001"},
				Snapshot: &inventory.Snapshot{
					Source: "billing", Type: "postgres",
					StartedAt: start, FinishedAt: start.Add(30 * time.Second),
					Scanner: "ward_scanner", ScannerPrivileges: []string{"pg_monitor"},
					Databases: []inventory.DatabaseCoverage{
						{Name: "invoices", Scanned: true},
						{Name: "archive", Scanned: false, Reason: "permission denied for database archive"},
					},
					Gaps: []inventory.Gap{{
						Check:  "pg_hba rules",
						Reason: "pg_hba_file_rules is not readable by the scanner",
						Enable: "GRANT SELECT ON pg_catalog.pg_hba_file_rules TO ward_scanner",
					}},
					Postgres: &inventory.PGSettings{ServerVersion: "15.8", ServerVersionNum: 150008,
						PasswordEncryption: "md5", SSL: "off", LogConnections: "off"},
				}},
		},
		Accounts: []inventory.Account{report, clerk, etl},
		Findings: findings,
	}
}
