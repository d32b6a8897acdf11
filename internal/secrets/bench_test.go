package secrets

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// goSrc is the Go distribution's source tree, the workload peers were
// measured on (shared/research/peer-baselines.md).
func goSrc(b *testing.B) string {
	b.Helper()
	dir := filepath.Join(runtime.GOROOT(), "src")
	if _, err := os.Stat(dir); err != nil {
		b.Skipf("GO SRC ABSENT: %s: %v", dir, err)
	}
	return dir
}

// BenchmarkScanGoSrc scans the Go distribution's src tree with every
// core; b.SetBytes makes the MB/s column the bytes of files read.
func BenchmarkScanGoSrc(b *testing.B) {
	dir := goSrc(b)
	s := newTestScanner(b, Options{})
	var bytes int64
	for b.Loop() {
		res, err := s.ScanPath(context.Background(), dir)
		if err != nil {
			b.Fatal(err)
		}
		bytes = res.Stats.Bytes
	}
	b.SetBytes(bytes)
}

// BenchmarkHistory scans the history of the repository named by
// $WARD_BENCH_REPO (make bench-secrets generates one of 20,000 commits);
// the MB/s column is bytes of added lines.
func BenchmarkHistory(b *testing.B) {
	repo := os.Getenv("WARD_BENCH_REPO")
	if repo == "" {
		b.Skip("WARD_BENCH_REPO not set: run `make bench-secrets`, which generates the repository")
	}
	s := newTestScanner(b, Options{})
	var bytes int64
	for b.Loop() {
		res, err := s.ScanHistory(context.Background(), repo, "")
		if err != nil {
			b.Fatal(err)
		}
		bytes = res.Stats.Bytes
	}
	b.SetBytes(bytes)
}

// BenchmarkMatcher measures the keyword automaton alone over Go source.
func BenchmarkMatcher(b *testing.B) {
	data, err := os.ReadFile(filepath.Join(goSrc(b), "net", "http", "server.go"))
	if err != nil {
		b.Skip(err)
	}
	m, err := newDetectorMatcher()
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		m.scan(data, func(int, uint64) bool { return true })
	}
}
