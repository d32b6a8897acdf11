package ingest

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/wardsec/ward/internal/config"
	"github.com/wardsec/ward/internal/ingest/loggen"
	"github.com/wardsec/ward/internal/inventory"
	"github.com/wardsec/ward/internal/logtail"
	"github.com/wardsec/ward/internal/pglog"
)

// benchLog generates the benchmark csvlog, WARD_BENCH_BYTES long (default
// 64 MiB), after checking the disk has room for it and a store.
func benchLog(b *testing.B) (path string, size int64) {
	b.Helper()
	size = 64 << 20
	if v := os.Getenv("WARD_BENCH_BYTES"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			b.Fatalf("WARD_BENCH_BYTES=%q: want a positive byte count", v)
		}
		size = n
	}
	dir := b.TempDir()
	var fs syscall.Statfs_t
	if err := syscall.Statfs(dir, &fs); err != nil {
		b.Fatal(err)
	}
	if free := int64(fs.Bavail) * int64(fs.Bsize); free < 3*size {
		b.Skipf("%s has %d bytes free; the log and its store need about %d", dir, free, 3*size)
	}
	path = generate(b, loggen.CSV, size)
	st, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	return path, st.Size()
}

// BenchmarkParseOnly is the parser alone on the benchmark log: the
// ceiling of an ingest.
func BenchmarkParseOnly(b *testing.B) {
	path, size := benchLog(b)
	b.SetBytes(size)
	var events int64
	for b.Loop() {
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		p, _ := pglog.New(pglog.Options{Source: "bench", MaxRecord: MaxRecord})
		st, err := p.Parse(context.Background(), f, path, pglog.Sink{
			Event: func(inventory.Event) error { return nil }})
		f.Close()
		if err != nil {
			b.Fatal(err)
		}
		events = st.Events
	}
	b.ReportMetric(float64(events)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkTailParse adds the reading in segments of whole records.
func BenchmarkTailParse(b *testing.B) {
	path, size := benchLog(b)
	b.SetBytes(size)
	var events int64
	for b.Loop() {
		p, _ := pglog.New(pglog.Options{Source: "bench", MaxRecord: MaxRecord})
		tl, err := logtail.New(logtail.Options{Paths: []string{path}, MaxRecord: MaxRecord,
			Settle: time.Nanosecond}, nil)
		if err != nil {
			b.Fatal(err)
		}
		events = 0
		_, err = tl.Scan(context.Background(), func(ctx context.Context, seg *logtail.Segment) error {
			st, err := p.Parse(ctx, bytesReader(seg.Data), seg.Path, pglog.Sink{
				Event: func(inventory.Event) error { return nil }})
			events += st.Events
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(events)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkIngest is a whole ingest of the benchmark log into a new store.
func BenchmarkIngest(b *testing.B) {
	path, size := benchLog(b)
	b.SetBytes(size)
	var events int64
	for b.Loop() {
		st := openStore(b, filepath.Join(b.TempDir(), "ward.db"))
		s, err := Run(context.Background(), st, Options{Source: config.Source{Name: "bench"},
			Paths: []string{path}, Settle: time.Nanosecond})
		if err != nil {
			b.Fatal(err)
		}
		if s.Skipped != 0 || s.Duplicates != 0 {
			b.Fatalf("skipped %d, duplicates %d", s.Skipped, s.Duplicates)
		}
		events = s.Events
		st.Close()
	}
	b.ReportMetric(float64(events)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }
