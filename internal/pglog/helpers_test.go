package pglog

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/wardsec/ward/internal/inventory"
)

// corpusDir returns the pg-logs directory of the shared corpus, skipping
// the test when it is not there.
func corpusDir(t testing.TB) string {
	t.Helper()
	root := os.Getenv("WARD_CORPUS")
	if root == "" {
		root = "/work/shared/corpus"
	}
	dir := filepath.Join(root, "pg-logs")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("corpus not found at %s (set WARD_CORPUS to the shared corpus): %v", dir, err)
	}
	return dir
}

// parsed is what one Parse call produced.
type parsed struct {
	events    []inventory.Event
	exposures []inventory.Exposure
	stats     Stats
}

// parseBytes parses data with a fresh Parser.
func parseBytes(t testing.TB, opts Options, name string, data []byte) parsed {
	t.Helper()
	p, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return parseWith(t, p, name, data)
}

// parseWith parses data with p.
func parseWith(t testing.TB, p *Parser, name string, data []byte) parsed {
	t.Helper()
	var out parsed
	sink := Sink{
		Event:    func(e inventory.Event) error { out.events = append(out.events, e); return nil },
		Exposure: func(x inventory.Exposure) error { out.exposures = append(out.exposures, x); return nil },
	}
	st, err := p.Parse(context.Background(), bytes.NewReader(data), name, sink)
	if err != nil {
		t.Fatalf("Parse %s: %v", name, err)
	}
	out.stats = st
	return out
}

// parseFile parses one corpus file with a fresh Parser.
func parseFile(t testing.TB, path string) parsed {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return parseBytes(t, Options{Source: "corpus"}, filepath.Base(path), data)
}
