package store

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/wardsec/ward/internal/inventory"
)

func TestOpenCreatesPrivateFiles(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ward.db")
	s := openAt(t, path)

	r := newScan("s1", t0, map[string]string{"ehr": inventory.StatusComplete})
	r.Accounts = []inventory.Account{{ID: "ehr/etl", Source: "ehr", Name: "etl"}}
	save(t, s, r)

	// The WAL and shared-memory files exist while the store is open.
	for _, name := range []string{"ward.db", "ward.db-wal", "ward.db-shm"} {
		t.Run(name, func(t *testing.T) {
			info, err := os.Stat(filepath.Join(dir, name))
			if err != nil {
				t.Fatal(err)
			}
			if got := info.Mode().Perm(); got != 0o600 {
				t.Errorf("mode of %s = %v, want -rw-------", name, got)
			}
		})
	}
}

func TestOpenSettings(t *testing.T) {
	s := openTest(t)
	tests := []struct {
		pragma string
		want   string
	}{
		{"journal_mode", "wal"},
		{"foreign_keys", "1"},
		{"busy_timeout", "15000"},
	}
	for _, tt := range tests {
		t.Run(tt.pragma, func(t *testing.T) {
			var got string
			// PRAGMA names cannot be bound; these are constants of the test.
			if err := s.db.QueryRow("PRAGMA " + tt.pragma).Scan(&got); err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("PRAGMA %s = %q, want %q", tt.pragma, got, tt.want)
			}
		})
	}
}

func TestOpenPaths(t *testing.T) {
	tests := []struct {
		name string
		dir  string
	}{
		{"plain", "state"},
		{"spaces", "ward state"},
		{"uri characters", "a?b#c%20d&e=f"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			parent := t.TempDir()
			dir := filepath.Join(parent, tt.dir)
			if err := os.Mkdir(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, "ward.db")
			s := openAt(t, path)
			save(t, s, newScan("s1", t0, nil))
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}

			// A misread URI would have cut the path at '?' or '#' and
			// put a file beside dir.
			entries, err := os.ReadDir(parent)
			if err != nil {
				t.Fatal(err)
			}
			if len(entries) != 1 || entries[0].Name() != tt.dir {
				var names []string
				for _, e := range entries {
					names = append(names, e.Name())
				}
				t.Errorf("files beside the store's directory = %q, want only %q", names, tt.dir)
			}

			s2 := openAt(t, path)
			sum, err := s2.LatestScan(context.Background())
			if err != nil {
				t.Fatalf("LatestScan after reopen: %v", err)
			}
			if sum.ID != "s1" {
				t.Errorf("LatestScan().ID = %q, want s1", sum.ID)
			}
		})
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.db")
	if err := os.WriteFile(garbage, []byte("this is not an SQLite file, FAKE\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name string
		path string
	}{
		{"empty path", ""},
		{"missing directory", filepath.Join(dir, "missing", "ward.db")},
		{"not a database", garbage},
		{"a directory", dir},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Open(context.Background(), tt.path)
			if err == nil {
				s.Close()
				t.Fatalf("Open(%q) succeeded, want an error", tt.path)
			}
		})
	}

	t.Run("missing directory is not created", func(t *testing.T) {
		_, err := os.Stat(filepath.Join(dir, "missing"))
		if !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Stat(missing) = %v, want not exist", err)
		}
	})
}

func TestConcurrentWritersShareOneFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ward.db")
	stores := []*Store{openAt(t, path), openAt(t, path)}

	// Each writer stands for a ward process; SQLite's locks and the busy
	// timeout must queue their transactions rather than fail one.
	const perWriter = 5
	errs := make(chan error, len(stores)*perWriter)
	for w, s := range stores {
		go func() {
			for i := 0; i < perWriter; i++ {
				r := largeEstate(fmt.Sprintf("w%d-%d", w, i), hoursAfter(w*100+i), 50, 20)
				errs <- s.SaveScan(context.Background(), r)
			}
		}()
	}
	for i := 0; i < len(stores)*perWriter; i++ {
		if err := <-errs; err != nil {
			t.Errorf("SaveScan: %v", err)
		}
	}

	if n := rowCounts(t, stores[0])["scans"]; n != len(stores)*perWriter {
		t.Errorf("%d scans stored, want %d", n, len(stores)*perWriter)
	}
}
