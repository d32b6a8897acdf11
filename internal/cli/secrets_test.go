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

// TestSecretsScanOutputFile checks that -o writes the report 0600, as
// ward scan does, replaces an existing file whatever its mode, and leaves
// no temporary file behind.
func TestSecretsScanOutputFile(t *testing.T) {
	tree := t.TempDir()
	if err := os.WriteFile(filepath.Join(tree, "app.env"),
		[]byte("DB_PASSWORD=FAKE-out-file-54\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		existing bool
	}{
		{"new file", false},
		{"replaces a 0644 file", true},
	}
	// A device is written in place, never renamed over.
	if code, _, errOut := run(t, "secrets", "scan", "-o", os.DevNull, tree); code != ExitFindings {
		t.Fatalf("-o %s: exit %d (%s), want 1", os.DevNull, code, errOut)
	}
	if fi, err := os.Stat(os.DevNull); err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		t.Fatalf("%s is no longer a device: %v %v", os.DevNull, fi, err)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			out := filepath.Join(dir, "secrets.json")
			if tc.existing {
				if err := os.WriteFile(out, []byte("old"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			code, _, errOut := run(t, "secrets", "scan", "--format", "json", "-o", out, tree)
			if code != ExitFindings {
				t.Fatalf("exit %d (%s), want 1", code, errOut)
			}
			fi, err := os.Stat(out)
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode().Perm() != 0o600 {
				t.Errorf("report mode %v, want 0600", fi.Mode().Perm())
			}
			body, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(body), `"findings"`) ||
				strings.Contains(string(body), "FAKE-out-file-54") {
				t.Errorf("report lacks findings or shows the secret:\n%s", body)
			}
			entries, err := os.ReadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			if len(entries) != 1 {
				t.Errorf("%d files in the output directory, want only the report", len(entries))
			}
		})
	}
}
