package pglog

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestPositionsPointAtTheirLine checks, for every corpus file, that each
// event's line number is the line its byte offset falls on. jsonlog once
// drifted after statements holding escaped newlines, because the scanner
// unescapes in place before the line ends are counted.
func TestPositionsPointAtTheirLine(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(corpusDir(t), "*.*"))
	for _, path := range files {
		ext := filepath.Ext(path)
		if ext != ".json" && ext != ".csv" && ext != ".log" {
			continue
		}
		t.Run(filepath.Base(path), func(t *testing.T) {
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range parseFile(t, path).events {
				want := int64(bytes.Count(data[:e.Pos.Offset], []byte{'\n'})) + 1
				if e.Pos.Line != want {
					t.Fatalf("event at offset %d: line %d, want %d", e.Pos.Offset, e.Pos.Line, want)
				}
			}
		})
	}
}
