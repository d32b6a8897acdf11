package cli

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

// TestSecretsScanVerify plants FAKE passwords in a tree and runs
// `ward secrets scan --verify` against the test server: the right password
// of a role is live, a wrong one dead, and a credential for a server that
// ward.yaml does not name is never tried, neither there nor on the
// configured server.
func TestSecretsScanVerify(t *testing.T) {
	const (
		liveRole, livePW = "ward_verify_live", "FAKE-verify-live-pw"
		deadRole, deadPW = "ward_verify_dead", "FAKE-verify-wrong-pw"
		offRole, offPW   = "ward_verify_off", "FAKE-verify-off-pw"
	)
	srv.MustExec(t, "postgres", fmt.Sprintf(`
CREATE ROLE %s LOGIN PASSWORD '%s';
CREATE ROLE %s LOGIN PASSWORD 'FAKE-verify-right-pw';
CREATE ROLE %s LOGIN PASSWORD '%s';`, liveRole, livePW, deadRole, offRole, offPW))
	t.Cleanup(func() {
		srv.MustExec(t, "postgres", "DROP ROLE "+liveRole+"; DROP ROLE "+deadRole+"; DROP ROLE "+offRole)
	})

	// An unconfigured server on this machine that counts connections.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	var accepted atomic.Int32
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			c.Close()
		}
	}()
	offPort := ln.Addr().(*net.TCPAddr).Port

	dir := t.TempDir()
	tree := filepath.Join(dir, "tree")
	if err := os.MkdirAll(tree, 0o755); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"live.env": fmt.Sprintf("DATABASE_URL=postgres://%s:%s@localhost:%d/postgres\n",
			liveRole, livePW, srv.Port),
		"dead.env": fmt.Sprintf("DATABASE_URL=postgres://%s:%s@127.0.0.1:%d/postgres\n",
			deadRole, deadPW, srv.Port),
		"off.env": fmt.Sprintf("DATABASE_URL=postgres://%s:%s@127.0.0.1:%d/postgres\n",
			offRole, offPW, offPort),
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(tree, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cfg := writeConfig(t, dir, fmt.Sprintf(`sources:
  - name: testpg
    type: postgres
    dsn: postgres://ward_scanner@127.0.0.1:%d/postgres?sslmode=disable
`, srv.Port))

	t.Run("without a configuration it is a usage error", func(t *testing.T) {
		t.Setenv("WARD_CONFIG", "")
		code, _, errOut := run(t, "secrets", "scan", "--verify", tree)
		if code != ExitError || !strings.Contains(errOut, "--verify needs --config") {
			t.Errorf("exit %d, %q; want 2 and the reason", code, errOut)
		}
		if accepted.Load() != 0 {
			t.Error("a usage error made a connection")
		}
	})

	out := filepath.Join(dir, "secrets.json")
	code, stdout, stderr := run(t, "secrets", "scan", "--verify", "-c", cfg, "--format", "json",
		"-o", out, tree)
	if code != ExitFindings {
		t.Fatalf("exit %d, want 1\n%s\n%s", code, stdout, stderr)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, pw := range []string{livePW, deadPW, offPW} {
		if strings.Contains(string(b)+stdout+stderr, pw) {
			t.Errorf("a planted password appears in the output")
		}
	}
	var rep struct {
		Secrets []struct {
			Path         string
			Verification *struct{ Status, Source, Reason string }
		}
		Findings []struct {
			Resource string
			Evidence []string
		}
	}
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"live.env": "live", "dead.env": "dead", "off.env": ""}
	for _, sc := range rep.Secrets {
		got := ""
		if sc.Verification != nil {
			got = sc.Verification.Status
			if sc.Verification.Source != "testpg" {
				t.Errorf("%s: verified on %q, want testpg", sc.Path, sc.Verification.Source)
			}
		}
		if w, ok := want[sc.Path]; !ok || got != w {
			t.Errorf("%s: verification %q, want %q", sc.Path, got, w)
		}
		delete(want, sc.Path)
		if sc.Path == "dead.env" && !strings.Contains(sc.Verification.Reason, "28P01") {
			t.Errorf("dead.env: reason %q, want SQLSTATE 28P01", sc.Verification.Reason)
		}
	}
	if len(want) != 0 {
		t.Errorf("secrets not reported: %v", want)
	}
	for _, f := range rep.Findings {
		ev := strings.Join(f.Evidence, "\n")
		if f.Resource == "live.env" && !strings.Contains(ev, "verified live at ") {
			t.Errorf("live.env evidence %q lacks the verification", ev)
		}
	}
	if n := accepted.Load(); n != 0 {
		t.Errorf("the unconfigured server received %d connection(s), want none", n)
	}
	if !strings.Contains(stderr, "2 login(s) tried: 1 live, 1 dead, 0 unknown") {
		t.Errorf("stderr %q lacks the summary of two attempts", stderr)
	}
}
