package secrets

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBaseline records a tree's secrets, then checks that the entries
// hold no secret, survive the lines moving, and do not accept a new or
// changed secret.
func TestBaseline(t *testing.T) {
	dir := t.TempDir()
	const kept = "FAKE-baseline-pass-1"
	writeFile(t, dir, "app.env", []byte("PGUSER=svc_b\nPGPASSWORD="+kept+"\n"))
	s := newTestScanner(t, Options{})
	scan := func() []Secret {
		t.Helper()
		res, err := s.ScanPath(context.Background(), dir)
		if err != nil {
			t.Fatal(err)
		}
		return res.Secrets
	}

	b, err := NewBaseline()
	if err != nil {
		t.Fatal(err)
	}
	b.Iterations = 1000 // the format's work factor is tested below, not its speed
	if err := b.Add(scan()); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "baseline.json")
	if err := b.Write(file); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(data), kept) || strings.Contains(string(data), "baseline-pass") {
		t.Fatal("the baseline file holds the secret")
	}
	if fi, _ := os.Stat(file); fi.Mode().Perm() != 0o600 {
		t.Errorf("baseline mode %v, want 0600", fi.Mode().Perm())
	}
	loaded, err := LoadBaseline(file)
	if err != nil {
		t.Fatal(err)
	}

	// Moved lines: still accepted.
	writeFile(t, dir, "app.env", []byte("# header\n\nPGUSER=svc_b\nPGPASSWORD="+kept+"\n"))
	left, accepted, err := loaded.Filter(scan())
	if err != nil {
		t.Fatal(err)
	}
	if len(left) != 0 || accepted != 1 {
		t.Errorf("after moving lines: %d left, %d accepted; want 0 and 1", len(left), accepted)
	}

	// A rotated (changed) secret and a new file: both reported.
	writeFile(t, dir, "app.env", []byte("PGUSER=svc_b\nPGPASSWORD=FAKE-baseline-pass-2\n"))
	writeFile(t, dir, "new.env", []byte("PGUSER=svc_b\nPGPASSWORD="+kept+"\n"))
	left, accepted, err = loaded.Filter(scan())
	if err != nil {
		t.Fatal(err)
	}
	if len(left) != 2 || accepted != 0 {
		t.Errorf("changed secret and new file: %d left, %d accepted; want 2 and 0", len(left), accepted)
	}

	if NewBaselineIterations := BaselineIterations; NewBaselineIterations < 100_000 {
		t.Errorf("baseline work factor %d is below 100,000 PBKDF2 iterations", NewBaselineIterations)
	}
	writeFile(t, dir, "bad.json", []byte(`{"version": 2}`))
	if _, err := LoadBaseline(filepath.Join(dir, "bad.json")); err == nil {
		t.Error("a baseline of another version loaded without error")
	}
}
