package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFixesResolveAndRollBack applies every SQL fix a scan proposes to a
// real server, rescans, and checks that the findings are gone; it applies
// them a second time (they must be safe to re-run), then applies the
// rollbacks and checks that the findings come back.
func TestFixesResolveAndRollBack(t *testing.T) {
	ctx := context.Background()
	srv.MustExec(t, "postgres", "CREATE DATABASE fixdb")
	srv.MustExec(t, "postgres", `
CREATE ROLE fix_scanner LOGIN PASSWORD '`+scannerPW+`';
GRANT pg_read_all_settings TO fix_scanner;
CREATE ROLE fix_legacy_svc LOGIN SUPERUSER;
CREATE ROLE fix_report_svc LOGIN;
ALTER ROLE fix_report_svc SET pgaudit.log = 'none';
CREATE ROLE "Fix ""Odd"" Contractor" LOGIN;
CREATE ROLE fix_owner_svc LOGIN;`)
	srv.MustExec(t, "fixdb", `
GRANT SELECT ON pg_hba_file_rules TO fix_scanner;
GRANT EXECUTE ON FUNCTION pg_hba_file_rules() TO fix_scanner;
CREATE SCHEMA ward_fix;
CREATE TABLE ward_fix.patient (id int, ssn text, mrn text);
GRANT USAGE ON SCHEMA ward_fix TO "Fix ""Odd"" Contractor", fix_report_svc;
GRANT SELECT ON ward_fix.patient TO "Fix ""Odd"" Contractor";
GRANT UPDATE (mrn) ON ward_fix.patient TO "Fix ""Odd"" Contractor";
CREATE TABLE ward_fix.encounter (id serial PRIMARY KEY, patient_id int, note text);
ALTER TABLE ward_fix.encounter OWNER TO fix_owner_svc;
ALTER TABLE ward_fix.encounter ENABLE ROW LEVEL SECURITY;
GRANT USAGE ON SCHEMA ward_fix TO fix_owner_svc;
CREATE TABLE ward_fix.diagnosis (id int, patient_id int, icd10 text);
GRANT SELECT ON ward_fix.diagnosis TO PUBLIC;
CREATE FUNCTION ward_fix.lookup_ssn(text) RETURNS text LANGUAGE sql SECURITY DEFINER
  AS 'SELECT ssn FROM ward_fix.patient WHERE mrn = $1';`)

	dir := t.TempDir()
	t.Setenv("WARD_TEST_SCANNER_PW", scannerPW)
	cfg := writeConfig(t, dir, fmt.Sprintf(`sources:
  - name: fix
    type: postgres
    dsn: postgres://fix_scanner@127.0.0.1:%d/fixdb?sslmode=disable
    password: ${env:WARD_TEST_SCANNER_PW}
`, srv.Port))

	type sqlFix struct{ rule, account, db, apply, rollback string }
	scanFixes := func() (map[string]bool, []sqlFix) {
		t.Helper()
		out := filepath.Join(dir, "scan.json")
		if code, _, stderr := run(t, "scan", "-c", cfg, "--format", "json", "-o", out); code != ExitOK {
			t.Fatalf("scan: exit %d\n%s", code, stderr)
		}
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		var r struct {
			Findings []struct {
				RuleID    string `json:"rule_id"`
				AccountID string `json:"account_id"`
				Resource  string
				Fix       *struct{ Language, Apply, Rollback string }
			}
		}
		if err := json.Unmarshal(b, &r); err != nil {
			t.Fatal(err)
		}
		keys := map[string]bool{}
		var fixes []sqlFix
		for _, f := range r.Findings {
			ours := strings.HasPrefix(f.AccountID, "fix/fix_") || strings.HasPrefix(f.AccountID, "fix/Fix") ||
				f.AccountID == "" && strings.HasPrefix(f.Resource, "fixdb.")
			if !ours {
				continue
			}
			key := f.RuleID + " " + f.AccountID + " " + f.Resource
			keys[key] = true
			if f.Fix == nil || f.Fix.Language != "sql" {
				continue
			}
			// A fix about objects runs in their database, the first part
			// of the resource; role-wide fixes run anywhere.
			db := "postgres"
			if first, _, _ := strings.Cut(f.Resource, "."); first == "fixdb" {
				db = "fixdb"
			}
			fixes = append(fixes, sqlFix{f.RuleID, f.AccountID, db, f.Fix.Apply, f.Fix.Rollback})
		}
		return keys, fixes
	}

	before, fixes := scanFixes()
	for _, want := range []string{
		"PG-SUPERUSER-SERVICE fix/fix_legacy_svc superuser",
		"AUDIT-LOGGING-OFF fix/fix_report_svc pgaudit.log",
		`PG-DIRECT-GRANTS fix/Fix "Odd" Contractor fixdb`,
		"PG-SERVICE-OWNS-PHI fix/fix_owner_svc fixdb.ward_fix",
		"PG-RLS-BYPASS-SERVICE fix/fix_owner_svc fixdb",
		"PG-PUBLIC-PHI-ACCESS  fixdb.ward_fix.diagnosis",
		"PG-SECURITY-DEFINER-EXPOSED  fixdb.ward_fix.lookup_ssn(text)",
	} {
		if !before[want] {
			t.Fatalf("expected finding %q before fixing; have %v", want, before)
		}
	}
	if len(fixes) < 7 {
		t.Fatalf("want at least 7 SQL fixes, got %d", len(fixes))
	}

	for round := 1; round <= 2; round++ {
		for _, f := range fixes {
			if err := srv.Exec(ctx, f.db, f.apply); err != nil {
				t.Fatalf("apply (round %d) fix for %s %s: %v\n%s", round, f.rule, f.account, err, f.apply)
			}
		}
	}
	after, _ := scanFixes()
	for _, f := range fixes {
		for k := range after {
			if strings.HasPrefix(k, f.rule+" "+f.account+" ") {
				t.Errorf("finding %q remains after its fix", k)
			}
		}
	}

	for _, f := range fixes {
		if err := srv.Exec(ctx, f.db, f.rollback); err != nil {
			t.Fatalf("rollback for %s %s: %v\n%s", f.rule, f.account, err, f.rollback)
		}
	}
	rolledBack, _ := scanFixes()
	for k := range before {
		if !rolledBack[k] {
			t.Errorf("finding %q did not come back after the rollbacks", k)
		}
	}
}
