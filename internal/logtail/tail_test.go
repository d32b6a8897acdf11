package logtail

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// consumer stands for the store: it keeps the content of each file as
// delivered, and the checkpoints, giving each a key when first saved.
type consumer struct {
	nextID  int64
	content map[int64]*bytes.Buffer
	saved   map[int64]Checkpoint
	segs    int
}

func newConsumer() *consumer {
	return &consumer{content: map[int64]*bytes.Buffer{}, saved: map[int64]Checkpoint{}}
}

func (c *consumer) fn(_ context.Context, seg *Segment) error {
	if seg.End.ID == 0 {
		c.nextID++
		seg.End.ID = c.nextID
		c.content[seg.End.ID] = &bytes.Buffer{}
	}
	if got := int64(c.content[seg.End.ID].Len()); got != seg.Start.Offset {
		return fmt.Errorf("segment of %s starts at %d, %d bytes delivered before", seg.Path,
			seg.Start.Offset, got)
	}
	c.content[seg.End.ID].Write(seg.Data)
	c.saved[seg.End.ID] = seg.End
	c.segs++
	return nil
}

func (c *consumer) checkpoints() []Checkpoint {
	var out []Checkpoint
	for _, cp := range c.saved {
		out = append(out, cp)
	}
	return out
}

// scan runs one Scan as a new process would: a new Tailer from the saved
// checkpoints.
func (c *consumer) scan(t *testing.T, opts Options) map[string]FileReport {
	t.Helper()
	tl, err := New(opts, c.checkpoints())
	if err != nil {
		t.Fatal(err)
	}
	reports, err := tl.Scan(context.Background(), c.fn)
	if err != nil {
		t.Fatalf("Scan: %v", err)
	}
	out := map[string]FileReport{}
	for _, r := range reports {
		out[filepath.Base(r.Path)] = r
	}
	return out
}

func stderrLines(from, n int) string {
	var b strings.Builder
	for i := from; i < from+n; i++ {
		fmt.Fprintf(&b, "2026-12-04 15:%02d:%02d.000 UTC [%d] LOG:  statement: SELECT %d\n",
			i/60%60, i%60, 100+i, i)
	}
	return b.String()
}

func writeFile(t *testing.T, path, data string, mtime time.Time) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(path, mtime, mtime); err != nil {
		t.Fatal(err)
	}
}

func appendFile(t *testing.T, path, data string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(data); err != nil {
		t.Fatal(err)
	}
}

func gzipFile(t *testing.T, src, dst string) {
	t.Helper()
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write(data)
	zw.Close()
	if err := os.WriteFile(dst, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
}

// settled is a time old enough for any held line to be read.
var settled = time.Now().Add(-time.Hour)

func TestScanResumesAndHolds(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "postgresql.log")
	writeFile(t, log, stderrLines(0, 50), settled)
	c := newConsumer()
	opts := Options{Paths: []string{dir}, ChunkBytes: 512}

	r := c.scan(t, opts)["postgresql.log"]
	if r.Status != StatusNew || r.Bytes != int64(len(stderrLines(0, 50))) {
		t.Fatalf("first scan: %+v", r)
	}
	if c.segs < 2 {
		t.Errorf("a 512-byte chunk should give several segments, got %d", c.segs)
	}
	if r := c.scan(t, opts)["postgresql.log"]; r.Status != StatusUnchanged || r.Bytes != 0 {
		t.Fatalf("second scan: %+v", r)
	}

	// An appended message and half of another, just written: the half is
	// held back.
	more := stderrLines(50, 2)
	appendFile(t, log, more[:len(more)-20])
	r = c.scan(t, opts)["postgresql.log"]
	if r.Status != StatusResumed || r.Bytes != int64(strings.Index(more, "\n")+1) || r.Held == 0 {
		t.Fatalf("after append: %+v", r)
	}
	appendFile(t, log, more[len(more)-20:])
	c.scan(t, opts)
	want := stderrLines(0, 52)
	if got := c.content[1].String(); got != want {
		t.Fatalf("content delivered differs from the file:\n%q\nwant\n%q", got, want)
	}
	if cp := c.saved[1]; cp.Offset != int64(len(want)) || cp.Line != 52 {
		t.Errorf("checkpoint offset %d line %d, want %d, 52", cp.Offset, cp.Line, len(want))
	}
}

func TestScanSettledPartialLine(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "a.log")
	data := stderrLines(0, 3) + "2026-12-04 15:00:03.000 UTC [9] LOG:  trunc"
	writeFile(t, log, data, settled)
	c := newConsumer()
	r := c.scan(t, Options{Paths: []string{log}})["a.log"]
	if r.Bytes != int64(len(data)) || r.Held != 0 {
		t.Fatalf("a settled file is read to its end, partial line included: %+v", r)
	}
}

func TestScanRotation(t *testing.T) {
	tests := []struct {
		name   string
		rotate func(t *testing.T, dir string)
		// want maps each file to its status after the rotation.
		want map[string]Status
		// total is the content delivered over both scans.
		total string
	}{
		{
			name: "rename and new file",
			rotate: func(t *testing.T, dir string) {
				os.Rename(filepath.Join(dir, "pg.log"), filepath.Join(dir, "pg.log.1"))
				appendFile(t, filepath.Join(dir, "pg.log.1"), stderrLines(10, 2))
				writeFile(t, filepath.Join(dir, "pg.log"), stderrLines(12, 3), time.Now())
			},
			want:  map[string]Status{"pg.log.1": StatusResumed, "pg.log": StatusNew},
			total: stderrLines(0, 15),
		},
		{
			name: "copy, then truncate and rewrite in place",
			rotate: func(t *testing.T, dir string) {
				appendFile(t, filepath.Join(dir, "pg.log"), stderrLines(10, 2))
				data, _ := os.ReadFile(filepath.Join(dir, "pg.log"))
				writeFile(t, filepath.Join(dir, "pg.log.1"), string(data), settled)
				os.Truncate(filepath.Join(dir, "pg.log"), 0)
				appendFile(t, filepath.Join(dir, "pg.log"), stderrLines(12, 3))
			},
			// The copy takes over the checkpoint (and its inode), so the
			// rewritten file is simply new.
			want:  map[string]Status{"pg.log.1": StatusCopy, "pg.log": StatusNew},
			total: stderrLines(0, 15),
		},
		{
			name: "truncate and rewrite in place",
			rotate: func(t *testing.T, dir string) {
				os.Truncate(filepath.Join(dir, "pg.log"), 0)
				appendFile(t, filepath.Join(dir, "pg.log"), stderrLines(12, 3))
			},
			want:  map[string]Status{"pg.log": StatusRewritten},
			total: stderrLines(0, 10) + stderrLines(12, 3),
		},
		{
			name: "gzip of a file read to its end",
			rotate: func(t *testing.T, dir string) {
				gzipFile(t, filepath.Join(dir, "pg.log"), filepath.Join(dir, "pg.log.1.gz"))
				os.Remove(filepath.Join(dir, "pg.log"))
			},
			want:  map[string]Status{"pg.log.1.gz": StatusCopy},
			total: stderrLines(0, 10),
		},
		{
			name: "gzip of a file that grew after it was read",
			rotate: func(t *testing.T, dir string) {
				appendFile(t, filepath.Join(dir, "pg.log"), stderrLines(10, 4))
				gzipFile(t, filepath.Join(dir, "pg.log"), filepath.Join(dir, "pg.log.1.gz"))
				os.Remove(filepath.Join(dir, "pg.log"))
			},
			want:  map[string]Status{"pg.log.1.gz": StatusCopy},
			total: stderrLines(0, 14),
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, filepath.Join(dir, "pg.log"), stderrLines(0, 10), settled)
			c := newConsumer()
			opts := Options{Paths: []string{dir}, Settle: time.Nanosecond}
			c.scan(t, opts)
			tc.rotate(t, dir)
			got := c.scan(t, opts)
			for name, want := range tc.want {
				if got[name].Status != want {
					t.Errorf("%s: status %q, want %q (%+v)", name, got[name].Status, want, got[name])
				}
			}
			var all strings.Builder
			for id := int64(1); id <= c.nextID; id++ {
				all.WriteString(c.content[id].String())
			}
			if all.String() != tc.total {
				t.Errorf("delivered\n%s\nwant\n%s", all.String(), tc.total)
			}
			// A third scan finds nothing new anywhere.
			for name, r := range c.scan(t, opts) {
				if r.Status != StatusUnchanged || r.Bytes != 0 {
					t.Errorf("third scan: %s: %+v", name, r)
				}
			}
		})
	}
}

func TestScanOneFormatPerLog(t *testing.T) {
	dir := t.TempDir()
	for _, ext := range []string{".log", ".csv", ".json"} {
		writeFile(t, filepath.Join(dir, "postgresql-Mon"+ext), csvRow1, settled)
	}
	writeFile(t, filepath.Join(dir, "notes.txt"), "not a log\n", settled)
	got := newConsumer().scan(t, Options{Paths: []string{dir}})
	if len(got) != 3 || got["postgresql-Mon.csv"].Status != StatusNew ||
		got["postgresql-Mon.log"].Status != StatusOtherFormat ||
		got["postgresql-Mon.json"].Status != StatusOtherFormat {
		t.Errorf("reports: %+v", got)
	}
}

func TestScanProblems(t *testing.T) {
	dir := t.TempDir()
	got := newConsumer().scan(t, Options{Paths: []string{
		filepath.Join(dir, "missing.log"), filepath.Join(dir, "*.csv")}})
	if len(got) != 2 || got["missing.log"].Status != StatusFailed || got["*.csv"].Status != StatusFailed {
		t.Errorf("reports: %+v", got)
	}
}

func TestShrunkFileKeepsCheckpoint(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "a.log")
	writeFile(t, log, stderrLines(0, 100), settled)
	c := newConsumer()
	opts := Options{Paths: []string{log}}
	c.scan(t, opts)
	os.Truncate(log, 5000)
	r := c.scan(t, opts)["a.log"]
	if r.Status != StatusFailed || c.saved[1].Offset != int64(len(stderrLines(0, 100))) {
		t.Errorf("shrunk file: %+v, checkpoint %+v", r, c.saved[1])
	}
}

func TestFollow(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "pg-1.log")
	writeFile(t, log, stderrLines(0, 3), time.Now())
	c := newConsumer()
	got := make(chan string, 100)
	fn := func(ctx context.Context, seg *Segment) error {
		if err := c.fn(ctx, seg); err != nil {
			return err
		}
		if len(seg.Data) > 0 {
			got <- string(seg.Data)
		}
		return nil
	}
	tl, err := New(Options{Paths: []string{filepath.Join(dir, "pg-*.log")}, Poll: 5 * time.Millisecond}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- tl.Follow(ctx, fn) }()

	want := []string{stderrLines(0, 3), stderrLines(3, 1), stderrLines(4, 2)}
	next := func(i int) {
		t.Helper()
		select {
		case s := <-got:
			if s != want[i] {
				t.Fatalf("delivery %d: %q, want %q", i, s, want[i])
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("delivery %d did not come", i)
		}
	}
	next(0)
	appendFile(t, log, want[1])
	next(1)
	// PostgreSQL starts a new file by log_filename.
	writeFile(t, filepath.Join(dir, "pg-2.log"), want[2], time.Now().Add(time.Second))
	next(2)
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Follow: %v", err)
	}
}
