package logtail

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/wardsec/ward/internal/pglog"
)

// FuzzSegments reads arbitrary content in tiny chunks, in each format: the
// segments must add up to the content, in order, each starting where the
// last ended, with line counts that match. Seeds are in
// testdata/fuzz/FuzzSegments.
func FuzzSegments(f *testing.F) {
	f.Add([]byte(csvRow1+csvRow2), uint8(0))
	f.Add([]byte(stderrLines(0, 5)+"\tcontinued\n2026-12-04 [1] DETAIL:  x\n"), uint8(1))
	f.Add([]byte("{\"a\":1}\n{\"b\":\"x\\ny\"}\n{"), uint8(2))
	f.Fuzz(func(t *testing.T, data []byte, which uint8) {
		format := []pglog.Format{pglog.FormatCSV, pglog.FormatStderr, pglog.FormatJSON}[which%3]
		path := filepath.Join(t.TempDir(), "f.log")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		past := time.Now().Add(-time.Hour)
		os.Chtimes(path, past, past)
		tl, err := New(Options{Paths: []string{path}, Format: format, ChunkBytes: 16,
			MaxRecord: 64}, nil)
		if err != nil {
			t.Fatal(err)
		}
		var got bytes.Buffer
		var line int64
		_, err = tl.Scan(context.Background(), func(_ context.Context, seg *Segment) error {
			if seg.Start.Offset != int64(got.Len()) || seg.Start.Line != line {
				t.Fatalf("segment starts at %d line %d after %d bytes, %d lines",
					seg.Start.Offset, seg.Start.Line, got.Len(), line)
			}
			got.Write(seg.Data)
			line += int64(bytes.Count(seg.Data, []byte{'\n'}))
			if seg.End.Offset != int64(got.Len()) || seg.End.Line != line {
				t.Fatalf("segment ends at %d line %d, want %d, %d", seg.End.Offset,
					seg.End.Line, got.Len(), line)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Bytes(), data) {
			t.Fatalf("segments hold %q, the file %q", got.Bytes(), data)
		}
	})
}
