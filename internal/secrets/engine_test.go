package secrets

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func writeFile(t *testing.T, dir, name string, data []byte) {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestBadInput scans a tree of hostile files: binary, invalid UTF-8,
// oversized, a symlink loop, a FIFO and a file that cannot be read. Each
// is skipped with its reason or scanned without harm.
func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "binary.bin", []byte("DB_PASSWORD=FAKE-in-binary-1\x00\x01\x02"))
	writeFile(t, dir, "latin1.env", []byte("DB_USER=svc_l\xe9\nDB_PASSWORD=FAKE-\xff\xfe-pass-2\n"))
	writeFile(t, dir, "big.env", append(bytes.Repeat([]byte("x"), 2000), "\nPGPASSWORD=FAKE-big-3\n"...))
	writeFile(t, dir, "ok.env", []byte("PGPASSWORD=FAKE-ok-pass-4\n"))
	if err := os.Symlink("loop-b", filepath.Join(dir, "loop-a")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("loop-a", filepath.Join(dir, "loop-b")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(".", filepath.Join(dir, "self")); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(dir, "fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	// A directory that cannot be listed. Root reads it anyway (the tests
	// may run as root), so its count is checked only when it took effect.
	writeFile(t, dir, "locked/inner.env", []byte("PGPASSWORD=FAKE-locked-5\n"))
	if err := os.Chmod(filepath.Join(dir, "locked"), 0); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.Chmod(filepath.Join(dir, "locked"), 0o755) })
	_, lockErr := os.ReadDir(filepath.Join(dir, "locked"))

	s := newTestScanner(t, Options{MaxFileSize: 1024})
	res, err := s.ScanPath(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	var vals []string
	for _, sc := range res.Secrets {
		vals = append(vals, sc.Path+"="+strings.ToValidUTF8(sc.Value().Reveal(), "?"))
	}
	// ToValidUTF8 turns the run of two invalid bytes into one "?".
	wantVals := []string{"latin1.env=FAKE-?-pass-2", "ok.env=FAKE-ok-pass-4"}
	if lockErr == nil {
		wantVals = append(wantVals[:1], "locked/inner.env=FAKE-locked-5", wantVals[1])
	}
	if strings.Join(vals, " ") != strings.Join(wantVals, " ") {
		t.Errorf("found %v, want %v", vals, wantVals)
	}
	want := map[string]int{SkipBinary: 1, SkipOversized: 1, SkipSymlink: 3, SkipSpecial: 1}
	if lockErr != nil {
		want[SkipUnreadable] = 1
	}
	for reason, n := range want {
		if res.Stats.Skipped[reason] != n {
			t.Errorf("skipped %q: %d, want %d (all: %v)", reason, res.Stats.Skipped[reason], n,
				res.Stats.Skipped)
		}
	}
}

// TestLongLine checks that a single long line dense with keywords is
// scanned (each detector looks at a bounded window around its hits) and
// that a secret at its end is still found.
func TestLongLine(t *testing.T) {
	var b bytes.Buffer
	for b.Len() < 512<<10 {
		b.WriteString("password token secret postgres:// eyJ AKIA ")
	}
	b.WriteString(`password="FAKE-end-of-long-line-6"`)
	s := newTestScanner(t, Options{})
	got := s.ScanBytes("long.txt", b.Bytes())
	if len(got) != 1 || got[0].Value().Reveal() != "FAKE-end-of-long-line-6" {
		t.Fatalf("found %d secrets, want the one at the end", len(got))
	}
}

// TestNoSecretInOutput renders a scan in every format and looks for the
// secrets: none may appear whole.
func TestNoSecretInOutput(t *testing.T) {
	dir := t.TempDir()
	const long, short = "FAKE-long-output-secret-7", "FAKE-s8"
	writeFile(t, dir, "a.env", []byte("DB_USER=svc_o\nDB_PASSWORD="+long+"\nOTHER_PASSWORD="+short+"\n"))
	s := newTestScanner(t, Options{})
	res, err := s.ScanPath(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Secrets) != 2 {
		t.Fatalf("found %d secrets, want 2", len(res.Secrets))
	}
	rep := &Report{Secrets: res.Secrets, Findings: s.Findings(res.Secrets), Stats: res.Stats}
	for _, format := range Formats {
		var out bytes.Buffer
		if err := Write(&out, format, rep); err != nil {
			t.Fatal(err)
		}
		for _, v := range []string{long, short, "long-output-secret", "t-secret-"} {
			if strings.Contains(out.String(), v) {
				t.Errorf("%s output holds %q", format, v)
			}
		}
	}
	for _, sc := range res.Secrets {
		v, want := sc.Value().Reveal(), "…"
		if len(v) >= 12 {
			want = v[:2] + "…" + v[len(v)-2:]
		}
		if sc.Redacted != want {
			t.Errorf("redacted %q, want %q", sc.Redacted, want)
		}
	}
	j, err := json.Marshal(res.Secrets[0])
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(j), long) {
		t.Error("a Secret marshals its value")
	}
}

// TestFingerprints checks what a fingerprint depends on: not the line,
// but the rule, identity, path and the secret (through the keyed hash),
// and the key.
func TestFingerprints(t *testing.T) {
	s := newTestScanner(t, Options{})
	fp := func(s *Scanner, path, text string) string {
		t.Helper()
		got := s.ScanBytes(path, []byte(text))
		if len(got) != 1 {
			t.Fatalf("%q: found %d secrets, want 1", text, len(got))
		}
		return got[0].Fingerprint
	}
	base := fp(s, "a.env", "PGUSER=svc_f\nPGPASSWORD=FAKE-fp-pass-9\n")
	if moved := fp(s, "a.env", "# new first line\n\nPGUSER=svc_f\nPGPASSWORD=FAKE-fp-pass-9\n"); moved != base {
		t.Error("moving the secret down changed its fingerprint")
	}
	for name, text := range map[string]string{
		"other secret": "PGUSER=svc_f\nPGPASSWORD=FAKE-fp-pass-10\n",
		"other user":   "PGUSER=svc_g\nPGPASSWORD=FAKE-fp-pass-9\n",
	} {
		if fp(s, "a.env", text) == base {
			t.Errorf("%s: same fingerprint", name)
		}
	}
	if fp(s, "b.env", "PGUSER=svc_f\nPGPASSWORD=FAKE-fp-pass-9\n") == base {
		t.Error("other path: same fingerprint")
	}
	other := newTestScanner(t, Options{Key: []byte("another-FAKE-key-0123456789")})
	if fp(other, "a.env", "PGUSER=svc_f\nPGPASSWORD=FAKE-fp-pass-9\n") == base {
		t.Error("another key: same fingerprint")
	}
}

func TestAllowlist(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "testdata/fixture.env", []byte("PGPASSWORD=FAKE-fixture-1\n"))
	writeFile(t, dir, "sub/example.env", []byte("PGPASSWORD=FAKE-example-2\n"))
	writeFile(t, dir, "app.env", []byte("PGPASSWORD=FAKE-kept-3\nAPI_PASSWORD=SAMPLE-dropped-4\n"))
	writeFile(t, dir, AllowlistFile, []byte("paths: [\"testdata/\", \"*example*\"]\npatterns: [\"^SAMPLE-\"]\n"))
	allow, err := LoadAllowlist(filepath.Join(dir, AllowlistFile))
	if err != nil {
		t.Fatal(err)
	}
	s := newTestScanner(t, Options{Allow: allow})
	res, err := s.ScanPath(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Secrets) != 1 || res.Secrets[0].Value().Reveal() != "FAKE-kept-3" {
		t.Errorf("found %d secrets, want only FAKE-kept-3", len(res.Secrets))
	}
	if res.Stats.Allowed != 1 || res.Stats.Skipped[SkipAllowed] != 1 {
		t.Errorf("allowed %d, path-skipped %d; want 1 and 1 (testdata/ is not entered)",
			res.Stats.Allowed, res.Stats.Skipped[SkipAllowed])
	}
	for _, bad := range []string{"patterns: [\"(\"]\n", "paths: [\"[\"]\n", "pathz: []\n"} {
		writeFile(t, dir, "bad.yaml", []byte(bad))
		if _, err := LoadAllowlist(filepath.Join(dir, "bad.yaml")); err == nil {
			t.Errorf("allowlist %q: no error", bad)
		}
	}
}
