package ingest

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/wardsec/ward/internal/config"
	"github.com/wardsec/ward/internal/inventory"
	"github.com/wardsec/ward/internal/store"
)

// corpusDir returns the corpus's pg-logs directory, skipping the test
// with the reason when $WARD_CORPUS is not set.
func corpusDir(t testing.TB) string {
	t.Helper()
	root := os.Getenv("WARD_CORPUS")
	if root == "" {
		t.Skip("WARD_CORPUS is not set: this test reads the real PostgreSQL logs of the " +
			"shared corpus (make test sets WARD_CORPUS=../shared/corpus)")
	}
	dir := filepath.Join(root, "pg-logs")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("WARD_CORPUS=%s has no pg-logs directory: %v", root, err)
	}
	return dir
}

func openStore(t testing.TB, path string) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// ingest runs one ingest of paths as source name, failing the test on an
// error.
func ingest(t testing.TB, st *store.Store, name string, paths ...string) Stats {
	t.Helper()
	s, err := Run(context.Background(), st, Options{
		Source: config.Source{Name: name, Type: "postgres"}, Paths: paths, Settle: time.Nanosecond})
	if err != nil {
		t.Fatalf("ingest %v: %v", paths, err)
	}
	for _, f := range s.Failed() {
		t.Errorf("ingest %s: %v", f.Path, f.Err)
	}
	return s
}

// storedEvents reads back every event of source.
func storedEvents(t testing.TB, st *store.Store, source string) []inventory.Event {
	t.Helper()
	var evs []inventory.Event
	err := st.Events(context.Background(), source, func(e inventory.Event) error {
		evs = append(evs, e)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

func copyFile(t testing.TB, src, dst string) {
	t.Helper()
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, data, 0o600); err != nil {
		t.Fatal(err)
	}
}
