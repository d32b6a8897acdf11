package secrets

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/wardsec/ward/internal/inventory"
)

// corpusDir returns $WARD_CORPUS/sub, skipping the test, saying so, when
// the shared corpus is not there.
func corpusDir(t *testing.T, sub string) string {
	t.Helper()
	root := os.Getenv("WARD_CORPUS")
	if root == "" {
		root = "/work/shared/corpus"
	}
	dir := filepath.Join(root, sub)
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("CORPUS ABSENT: %s not found (set WARD_CORPUS to the shared corpus): %v", dir, err)
	}
	return dir
}

func scanDir(t *testing.T, dir string) []Secret {
	t.Helper()
	s := newTestScanner(t, Options{})
	res, err := s.ScanPath(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	return res.Secrets
}

var blockRE = regexp.MustCompile(`^### \[(\d+)\]`)

// TestGroundTruth checks every block of the synthetic ground-truth file:
// each credential block is found, with the identity its header names, and
// nothing is reported in the placeholder block.
func TestGroundTruth(t *testing.T) {
	dir := corpusDir(t, "secrets")
	const name = "synthetic-service-account-creds.txt"
	f, err := os.Open(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	blockOf := map[int]int{} // line → block
	block, line := 0, 0
	for sc := bufio.NewScanner(f); sc.Scan(); {
		line++
		if m := blockRE.FindStringSubmatch(sc.Text()); m != nil {
			block, _ = strconv.Atoi(m[1])
		}
		blockOf[line] = block
	}

	// The identity each block's header names, in ward's form.
	want := map[int]struct {
		identity string
		rule     string
		severity inventory.Severity
	}{
		1:  {"svc_billing@pg-billing.internal:5432/billing", RuleDBPassword, inventory.SeverityHigh},
		2:  {"svc_ehr_reader@ehr-db.internal:5432/ehr", RuleDBPassword, inventory.SeverityHigh},
		3:  {"svc_reports@reports-db.internal:3306/reports", RuleDBPassword, inventory.SeverityHigh},
		4:  {"svc_claims@claims-sql.internal:1433/claims", RuleDBPassword, inventory.SeverityHigh},
		5:  {"svc_audit@audit-db.internal:3306/audit", RuleDBPassword, inventory.SeverityHigh},
		6:  {"svc_hl7_bridge@hl7-db.internal", RuleDBPassword, inventory.SeverityHigh},
		8:  {"serviceaccount ehr-prod/claims-sync", RuleCloudKey, inventory.SeverityHigh},
		9:  {"serviceaccount ehr-prod/claims-sync", RuleCloudKey, inventory.SeverityHigh},
		10: {"AKIAIOSFODNN7EXAMPLE", RuleCloudKey, inventory.SeverityInfo},
		11: {"app 00000000-0000-4000-8000-000000000001", RuleCloudKey, inventory.SeverityHigh},
	}
	found := map[int]bool{}
	for _, s := range scanDir(t, dir) {
		if s.Path != name {
			continue
		}
		b := blockOf[s.Line]
		w, ok := want[b]
		if !ok {
			t.Errorf("line %d (block %d): unexpected %s for %q (%s)", s.Line, b, s.RuleID,
				s.Identity.String(), s.Kind)
			continue
		}
		found[b] = true
		if s.Identity.String() != w.identity || s.RuleID != w.rule || s.Severity != w.severity {
			t.Errorf("line %d (block %d): %s %s %q, want %s %s %q", s.Line, b, s.RuleID,
				s.Severity, s.Identity.String(), w.rule, w.severity, w.identity)
		}
		if !strings.Contains(s.Value().Reveal(), "FAKE") && b <= 6 {
			t.Errorf("line %d: the value found is not the block's FAKE password", s.Line)
		}
	}
	for b := range want {
		if !found[b] {
			t.Errorf("block %d: nothing found, want %s", b, want[b].identity)
		}
	}
}

// TestScannerFixtures checks the other corpus files: what each should
// and should not give.
func TestScannerFixtures(t *testing.T) {
	dir := corpusDir(t, "secrets")
	type hit struct {
		line     int
		rule     string
		severity inventory.Severity
		identity string
	}
	want := map[string][]hit{
		"gitleaks-nogit.env.prod": {{4, RuleDBPassword, inventory.SeverityHigh,
			"postgres@example.com:443/best_db"}},
		"gitleaks-symlinks-id_ed25519": {{1, RulePrivateKey, inventory.SeverityHigh,
			"SHA256:Y4QQr8tPaQWaVQ1kWMgSycSx3VaAMXHC/H88PFPzvCw"}},
		// Armour around a body that is not a key: reported, at the lowest level.
		"detect-secrets-private_key": {{1, RulePrivateKey, inventory.SeverityLow, ""}},
		// No certificate URL field: still a GCP key, named by client_email,
		// and one finding, not a second one for the embedded PEM.
		"google-api-python-client-service_account.json": {{5, RuleCloudKey,
			inventory.SeverityHigh, "service-account@example.com key 1"}},
		// password= is a weak real password; the pragma line, the *_id key
		// and the 10-character aws_secret_key are not reported.
		"detect-secrets-config.ini": {
			{2, RuleDBPassword, inventory.SeverityHigh, "password"},
			{32, RuleCloudKey, inventory.SeverityHigh, "real_secret_which_isnt_an_i_d"}},
		"detect-secrets-config.yaml": nil,
		// The nested Travis `secure:` value under password:.
		"detect-secrets-middle_line.yml": {{4, RuleDBPassword, inventory.SeverityHigh, "aaronloo"}},
	}
	got := map[string][]hit{}
	for _, s := range scanDir(t, dir) {
		got[s.Path] = append(got[s.Path], hit{s.Line, s.RuleID, s.Severity, s.Identity.String()})
	}
	for file, w := range want {
		t.Run(file, func(t *testing.T) {
			g := got[file]
			if len(g) != len(w) {
				t.Fatalf("got %v, want %v", g, w)
			}
			for i := range w {
				if g[i] != w[i] {
					t.Errorf("got %v, want %v", g[i], w[i])
				}
			}
		})
	}
}

// TestPGLogCanaries checks that the cleartext canary passwords that
// PostgreSQL and pgaudit wrote into the corpus logs are found, in each of
// the three formats, with the role they belong to.
func TestPGLogCanaries(t *testing.T) {
	dir := corpusDir(t, "pg-logs")
	canaries := []struct{ phase, value, user string }{
		{"02", "leak-test-3", "app_svc"},
		{"03", "contractor-pass-9", "temp_contractor"},
		{"03", "legacy-pass-1", "legacy_md5_svc"},
		{"06", "CANARY-multi-stmt-1", "canary_one"},
		{"07", "CANARY-user-mapping-3", "remote_user"},
	}
	secs := scanDir(t, dir)
	for _, c := range canaries {
		for _, ext := range []string{".log", ".csv", ".json"} {
			t.Run(c.value+ext, func(t *testing.T) {
				for _, s := range secs {
					if strings.HasPrefix(s.Path, "pg15-pgaudit17-"+c.phase) &&
						strings.HasSuffix(s.Path, ext) && s.Value().Reveal() == c.value {
						if s.Identity.User != c.user || s.RuleID != RuleDBPassword {
							t.Errorf("%s: %s for %q, want %s for %s", s.Path, s.RuleID,
								s.Identity.User, RuleDBPassword, c.user)
						}
						return
					}
				}
				t.Errorf("canary not found in phase %s %s", c.phase, ext)
			})
		}
	}
	for _, s := range secs {
		if strings.Contains(s.Value().Reveal(), "REDACTED") {
			t.Errorf("%s:%d: pgaudit's <REDACTED> marker reported as a password", s.Path, s.Line)
		}
	}
}
