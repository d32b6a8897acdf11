package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSecretsScanExitCodes checks the exit status a pre-commit hook and
// CI read: 1 on findings by default, 0 with none, --fail-on raising the
// bar, the baseline accepting recorded secrets, and 2 for usage errors.
func TestSecretsScanExitCodes(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("clean.env", "DB_PASSWORD=${DB_PASSWORD}\n")
	if code, _, errOut := run(t, "secrets", "scan", dir); code != ExitOK {
		t.Fatalf("clean tree: exit %d (%s), want 0", code, errOut)
	}

	write("local.env", "DATABASE_URL=postgres://svc_cli:FAKE-cli-pass-1@localhost/dev\n")
	code, out, _ := run(t, "secrets", "scan", dir)
	if code != ExitFindings || !strings.Contains(out, "SECRET-HARDCODED-DB-PASSWORD") {
		t.Fatalf("exit %d, output %q; want 1 and the finding", code, out)
	}
	if strings.Contains(out, "FAKE-cli-pass-1") {
		t.Error("the table shows the secret")
	}
	// The loopback credential is low: --fail-on high passes.
	if code, _, _ := run(t, "secrets", "scan", "--fail-on", "high", dir); code != ExitOK {
		t.Errorf("--fail-on high with a low finding: exit %d, want 0", code)
	}

	base := filepath.Join(t.TempDir(), "baseline.json")
	if code, _, errOut := run(t, "secrets", "scan", "--baseline", base, "--update-baseline", dir); code != ExitOK {
		t.Fatalf("--update-baseline: exit %d (%s)", code, errOut)
	}
	if code, out, _ := run(t, "secrets", "scan", "--baseline", base, dir); code != ExitOK ||
		!strings.Contains(out, "1 accepted by the baseline") {
		t.Errorf("with the baseline: exit %d, output %q; want 0 and one accepted", code, out)
	}

	for _, args := range [][]string{
		{"secrets", "scan", "--fail-on", "severe", dir},
		{"secrets", "scan", "--since", "HEAD", dir},
		{"secrets", "scan", "--format", "xml", dir},
		{"secrets", "scan", filepath.Join(dir, "missing")},
	} {
		if code, _, _ := run(t, args...); code != ExitError {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
}
