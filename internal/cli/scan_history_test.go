package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestScanNewOnlyAndChanges scans the test server three times into one
// store: the first scan finds everything new, the second nothing new (so
// --new-only --fail-on passes while plain --fail-on still fails), and a
// third, after a new superuser login appears, fails --new-only on it and
// lists it among the changes.
func TestScanNewOnlyAndChanges(t *testing.T) {
	setupEstate(t)
	dir := t.TempDir()
	t.Setenv("WARD_TEST_SCANNER_PW", scannerPW)
	cfg := writeConfig(t, dir, fmt.Sprintf(`store: ward.db
sources:
  - name: clinic
    type: postgres
    dsn: postgres://ward_scanner@127.0.0.1:%d/clinic?sslmode=disable
    password: ${env:WARD_TEST_SCANNER_PW}
`, srv.Port))

	code, _, stderr := run(t, "scan", "-c", cfg, "--new-only")
	if code != ExitError || !strings.Contains(stderr, "--new-only needs --fail-on") {
		t.Errorf("--new-only alone: exit %d, %q; want 2", code, stderr)
	}

	code, stdout, stderr := run(t, "scan", "-c", cfg, "--new-only", "--fail-on", "critical")
	if code != ExitFindings {
		t.Fatalf("first scan, --new-only --fail-on critical: exit %d, want 1 (all is new)\n%s%s",
			code, stdout, stderr)
	}
	if !strings.Contains(stdout, "first scan of this source") {
		t.Errorf("the first scan's summary does not say it is the first:\n%s", stdout)
	}

	code, stdout, stderr = run(t, "scan", "-c", cfg, "--new-only", "--fail-on", "critical")
	if code != ExitOK {
		t.Fatalf("second scan, --new-only --fail-on critical: exit %d, want 0 (nothing new)\n%s%s",
			code, stdout, stderr)
	}
	if !strings.Contains(flat(stdout), "findings 0 new") {
		t.Errorf("the second scan's summary does not show the changes:\n%s", stdout)
	}
	if code, _, _ := run(t, "scan", "-c", cfg, "--fail-on", "critical"); code != ExitFindings {
		t.Errorf("plain --fail-on critical: exit %d, want 1 (the old finding still counts)", code)
	}

	const role = "newonly_legacy_su"
	srv.MustExec(t, "postgres", "CREATE ROLE "+role+" LOGIN SUPERUSER PASSWORD 'FAKE-newonly'")
	t.Cleanup(func() { srv.MustExec(t, "postgres", "DROP ROLE IF EXISTS "+role) })

	out := filepath.Join(dir, "scan.json")
	code, _, stderr = run(t, "scan", "-c", cfg, "--new-only", "--fail-on", "high",
		"--format", "json", "-o", out)
	if code != ExitFindings {
		t.Fatalf("after a new superuser, --new-only --fail-on high: exit %d, want 1\n%s", code, stderr)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Scan struct {
			Changes struct {
				Sources []struct {
					Source     string
					Comparison string
					New        []struct {
						AccountID string `json:"account_id"`
					} `json:"new_findings"`
					AddedAccounts []struct{ ID string } `json:"added_accounts"`
				}
			}
		}
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Scan.Changes.Sources) != 1 || doc.Scan.Changes.Sources[0].Comparison != "compared" {
		t.Fatalf("changes = %+v, want clinic compared", doc.Scan.Changes)
	}
	c := doc.Scan.Changes.Sources[0]
	newOnRole := false
	for _, f := range c.New {
		newOnRole = newOnRole || f.AccountID == "clinic/"+role
	}
	added := len(c.AddedAccounts) == 1 && c.AddedAccounts[0].ID == "clinic/"+role
	if !newOnRole || !added {
		t.Errorf("changes do not show the new role: new findings %+v, added accounts %+v",
			c.New, c.AddedAccounts)
	}
}
