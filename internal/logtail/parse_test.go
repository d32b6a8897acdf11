package logtail

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wardsec/ward/internal/inventory"
	"github.com/wardsec/ward/internal/pglog"
)

// corpusLogs returns the corpus's PostgreSQL logs, skipping the test when
// the corpus is not there.
func corpusLogs(t *testing.T) []string {
	t.Helper()
	root := os.Getenv("WARD_CORPUS")
	if root == "" {
		t.Skip("WARD_CORPUS is not set: the corpus tests need the shared corpus " +
			"(make test sets it to ../shared/corpus)")
	}
	files, err := filepath.Glob(filepath.Join(root, "pg-logs", "*.*"))
	if err != nil {
		t.Fatal(err)
	}
	var logs []string
	for _, f := range files {
		if _, ext := logStem(f); ext != "" {
			logs = append(logs, f)
		}
	}
	if len(logs) == 0 {
		t.Skipf("no logs in %s/pg-logs", root)
	}
	return logs
}

// TestSegmentsParseLikeWholeFiles checks that a parser fed a file segment
// by segment, in tiny chunks, finds the same events as one fed the whole
// file: segments never cut a record.
func TestSegmentsParseLikeWholeFiles(t *testing.T) {
	for _, path := range corpusLogs(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			want := parseAll(t, [][]byte{data}, []int64{0}, []int64{0})

			tl, err := New(Options{Paths: []string{path}, ChunkBytes: 700, Settle: 1}, nil)
			if err != nil {
				t.Fatal(err)
			}
			var chunks [][]byte
			var offs, lines []int64
			_, err = tl.Scan(context.Background(), func(_ context.Context, seg *Segment) error {
				chunks = append(chunks, bytes.Clone(seg.Data))
				offs = append(offs, seg.Start.Offset)
				lines = append(lines, seg.Start.Line)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(chunks) < 3 {
				t.Fatalf("only %d segments", len(chunks))
			}
			got := parseAll(t, chunks, offs, lines)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("events differ (-whole +segments):\n%s", diff)
			}
		})
	}
}

// parseAll parses chunks in order with one parser, placing positions at
// the chunks' offsets and lines.
func parseAll(t *testing.T, chunks [][]byte, offs, lines []int64) []inventory.Event {
	t.Helper()
	p, err := pglog.New(pglog.Options{Source: "corpus"})
	if err != nil {
		t.Fatal(err)
	}
	var evs []inventory.Event
	for i, c := range chunks {
		_, err := p.Parse(context.Background(), bytes.NewReader(c), "f", pglog.Sink{
			Event: func(e inventory.Event) error {
				e.Pos.Offset += offs[i]
				e.Pos.Line += lines[i]
				evs = append(evs, e)
				return nil
			},
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return evs
}
