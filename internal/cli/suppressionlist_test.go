package cli

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestRevokeCommand(t *testing.T) {
	future := time.Now().UTC().AddDate(0, 6, 0).Format("2006-01-02")
	cfg := seedStore(t, fmt.Sprintf(`suppressions:
  - fingerprint: %s
    reason: VPN only
    until: %s
    by: ciso@clinic.example
`, fpDirect, future))
	t.Setenv("USER", "FAKE-user-alice")
	if code, _, stderr := run(t, "suppress", "-c", cfg, fpSuper, "--reason", "legacy",
		"--until", future); code != ExitOK {
		t.Fatalf("suppress: exit %d\n%s", code, stderr)
	}

	refused := []struct {
		name string
		args []string
		want string
	}{
		{"not a fingerprint", []string{"--revoke", "etl_loader", "--reason", "r"}, "is not a fingerprint"},
		{"no reason", []string{"--revoke", fpSuper}, "--reason is required"},
		{"with until", []string{"--revoke", fpSuper, "--reason", "r", "--until", future}, "no --until"},
		{"with an argument", []string{"--revoke", fpSuper, "--reason", "r", fpSuper}, "unknown command"},
		{"config one", []string{"--revoke", fpDirect, "--reason", "r"}, "ward.yaml:12: it cannot be revoked by command; remove it from the file"},
		{"none to revoke", []string{"--revoke", fpUnknown, "--reason", "r"}, "no suppression recorded"},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := run(t, append([]string{"suppress", "-c", cfg}, tt.args...)...)
			if code != ExitError || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, %q; want 2 and %q", code, stderr, tt.want)
			}
		})
	}

	code, stdout, stderr := run(t, "suppress", "-c", cfg, "--revoke", fpSuper, "--reason",
		"control removed", "--by", "ciso@clinic.example")
	if code != ExitOK || !strings.Contains(stdout, "Revoked the suppression of "+fpSuper) {
		t.Fatalf("revoke: exit %d\n%s%s", code, stdout, stderr)
	}
	// The finding counts again, and a second revoke has nothing to end.
	if code, _, _ := run(t, "findings", "-c", cfg, "--severity", "critical", "--fail-on", "critical"); code != ExitFindings {
		t.Errorf("--fail-on critical after the revoke: exit %d, want %d", code, ExitFindings)
	}
	if code, _, _ := run(t, "suppress", "-c", cfg, "--revoke", fpSuper, "--reason", "r"); code != ExitError {
		t.Errorf("second revoke: exit %d, want %d", code, ExitError)
	}

	// The revoked one is history: hidden by default, listed with --all.
	_, stdout, _ = run(t, "suppressions", "-c", cfg)
	if strings.Contains(stdout, fpSuper) || !strings.Contains(stdout, fpDirect) {
		t.Errorf("default list shows the revoked one or lacks the active one:\n%s", stdout)
	}
	_, stdout, _ = run(t, "suppressions", "-c", cfg, "--all", "--format", "json")
	var got struct{ Suppressions []suppressionRow }
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatalf("json: %v\n%s", err, stdout)
	}
	var found bool
	for _, r := range got.Suppressions {
		if r.Fingerprint == fpSuper {
			found = true
			if r.State != stateRevoked || r.RevokedBy != "ciso@clinic.example" ||
				r.RevokeReason != "control removed" || r.By != "FAKE-user-alice" {
				t.Errorf("revoked row = %+v", r)
			}
		}
	}
	if !found {
		t.Errorf("--all lacks the revoked suppression:\n%s", stdout)
	}
}

func TestSuppressionsCommand(t *testing.T) {
	future := time.Now().UTC().AddDate(0, 6, 0).Format("2006-01-02")
	cfg := seedStore(t, fmt.Sprintf(`suppressions:
  - fingerprint: %s
    reason: "=HYPERLINK(\"http://127.0.0.1/\")"
    until: %s
    by: "@ciso"
  - fingerprint: %s
    reason: expired one
    until: 2020-01-31
    by: ciso@clinic.example
  - fingerprint: %s
    reason: names nothing
    until: %s
    by: ciso@clinic.example
`, fpSuper, future, fpDirect, fpUnknown, future))

	tests := []struct {
		name    string
		args    []string
		want    []string // fingerprints listed
		wantNot []string
	}{
		{"active only", nil, []string{fpSuper, fpUnknown}, []string{fpDirect}},
		{"all", []string{"--all"}, []string{fpSuper, fpUnknown, fpDirect}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := run(t, append([]string{"suppressions", "-c", cfg}, tt.args...)...)
			if code != ExitOK {
				t.Fatalf("exit %d\n%s", code, stderr)
			}
			for _, fp := range tt.want {
				if !strings.Contains(stdout, fp) {
					t.Errorf("lacks %s:\n%s", fp, stdout)
				}
			}
			for _, fp := range tt.wantNot {
				if strings.Contains(stdout, fp) {
					t.Errorf("lists %s:\n%s", fp, stdout)
				}
			}
			// seedStore writes 11 lines first; the third entry starts on line 20.
			if !strings.Contains(stderr, "ward.yaml:20: the suppression of "+fpUnknown+" names no finding") {
				t.Errorf("no warning naming the config line:\n%s", stderr)
			}
		})
	}

	_, stdout, _ := run(t, "suppressions", "-c", cfg, "--all", "--format", "csv")
	recs, err := csv.NewReader(strings.NewReader(stdout)).ReadAll()
	if err != nil {
		t.Fatalf("csv: %v\n%s", err, stdout)
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	rows := map[string][]string{}
	for _, r := range recs[1:] {
		rows[r[col["fingerprint"]]] = r
	}
	checks := []struct {
		name, fp, column, want string
	}{
		{"formula reason is quoted", fpSuper, "reason", `'=HYPERLINK("http://127.0.0.1/")`},
		{"at-sign author is quoted", fpSuper, "by", "'@ciso"},
		{"rule from the store", fpSuper, "rule_id", "PG-SUPERUSER-SERVICE"},
		{"account from the store", fpSuper, "account_id", "ehr/legacy_if"},
		{"finding open", fpSuper, "finding_open", "yes"},
		{"origin", fpSuper, "origin", "config"},
		{"expired", fpDirect, "state", "expired"},
		{"unknown finding", fpUnknown, "finding_open", "unknown"},
		{"config line", fpUnknown, "config_line", "20"},
	}
	for _, tt := range checks {
		t.Run(tt.name, func(t *testing.T) {
			r, ok := rows[tt.fp]
			if !ok {
				t.Fatalf("no row for %s", tt.fp)
			}
			if got := r[col[tt.column]]; got != tt.want {
				t.Errorf("%s = %q, want %q", tt.column, got, tt.want)
			}
		})
	}

	if code, _, stderr := run(t, "suppressions", "-c", cfg, "--format", "sarif"); code != ExitError ||
		!strings.Contains(stderr, "unknown format") {
		t.Errorf("--format sarif: exit %d, %q", code, stderr)
	}
}

func TestScanWarnsOfOrphanConfigSuppression(t *testing.T) {
	setupEstate(t)
	dir := t.TempDir()
	t.Setenv("WARD_TEST_SCANNER_PW", scannerPW)
	cfg := writeConfig(t, dir, fmt.Sprintf(`store: ward.db
sources:
  - name: clinic
    type: postgres
    dsn: postgres://ward_scanner@127.0.0.1:%d/clinic?sslmode=disable
    password: ${env:WARD_TEST_SCANNER_PW}
suppressions:
  - fingerprint: %s
    reason: names nothing
    until: 2099-01-31
    by: ciso@clinic.example
`, srv.Port, fpUnknown))
	code, _, stderr := run(t, "scan", "-c", cfg)
	if code == ExitError {
		t.Fatalf("scan: exit %d\n%s", code, stderr)
	}
	want := "ward.yaml:8: the suppression of " + fpUnknown + " names no finding in the store"
	if !strings.Contains(stderr, want) {
		t.Errorf("scan does not warn %q:\n%s", want, stderr)
	}
}
