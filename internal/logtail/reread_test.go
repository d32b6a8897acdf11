package logtail

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wardsec/ward/internal/pglog"
)

// TestChangedBeforeCheckpoint edits a file read to its end so that its
// start stays the same but the content before the checkpoint changes (a
// line removed after the first 4 KiB), then lets it grow: with record keys
// the file is delivered again from its start, whole; without, it is left
// as read and reported, never resumed in the middle of a line.
func TestChangedBeforeCheckpoint(t *testing.T) {
	v1 := stderrLines(0, 100) // about 6 KiB
	removed := strings.Replace(v1, stderrLines(80, 1), "", 1)
	tests := []struct {
		name string
		keys bool
		// edited is the content after the edit; grown that after growth.
		edited, grown string
		// after the edit and after the growth
		status     [2]Status
		wantReread bool
	}{
		{"shrunk, keyed", true, removed, removed + stderrLines(100, 10),
			[2]Status{StatusRewritten, StatusResumed}, true},
		{"shrunk, unkeyed", false, removed, removed + stderrLines(100, 10),
			[2]Status{StatusFailed, StatusFailed}, false},
		{"grown past the checkpoint, keyed", true, removed + stderrLines(100, 10), "",
			[2]Status{StatusRewritten}, true},
		{"grown past the checkpoint, unkeyed", false, removed + stderrLines(100, 10), "",
			[2]Status{StatusFailed}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			log := filepath.Join(t.TempDir(), "a.log")
			writeFile(t, log, v1, settled)
			opts := Options{Paths: []string{log}}
			if tt.keys {
				opts.RecordKeys = func(f pglog.Format) bool { return f == pglog.FormatStderr }
			}
			c := newConsumer()
			c.scan(t, opts)
			final := tt.edited
			for i, content := range []string{tt.edited, tt.grown} {
				if content == "" {
					break
				}
				final = content
				f, err := os.OpenFile(log, os.O_WRONLY|os.O_TRUNC, 0) // same inode
				if err != nil {
					t.Fatal(err)
				}
				f.WriteString(content)
				f.Close()
				os.Chtimes(log, settled, settled)
				r := c.scan(t, opts)["a.log"]
				if r.Status != tt.status[i] {
					t.Errorf("step %d: %+v, want %s", i, r, tt.status[i])
				}
				if r.Status == StatusFailed && !errors.Is(r.Err, ErrCannotReread) {
					t.Errorf("step %d: %v, want %v", i, r.Err, ErrCannotReread)
				}
			}
			if got := c.content[1].String(); got != v1 {
				t.Errorf("first read delivered %d bytes, want the %d of the file", len(got),
					len(v1))
			}
			if tt.wantReread {
				if len(c.content) != 2 || c.content[2].String() != final {
					t.Errorf("re-read delivered %d files; want the final content whole",
						len(c.content))
				}
			} else if len(c.content) != 1 || c.saved[1].Offset != int64(len(v1)) {
				t.Errorf("unkeyed: %d files delivered, checkpoint at %d; want it left as read",
					len(c.content), c.saved[1].Offset)
			}
		})
	}
}

// TestCopyDiffersBeyondStart reads a file, then another whose first lines
// are the same but not the rest: with record keys the other is read whole;
// without, a longer one is reported and a shorter one taken for an older
// copy.
func TestCopyDiffersBeyondStart(t *testing.T) {
	v1 := stderrLines(0, 100)
	longer := stderrLines(0, 80) + stderrLines(1000, 60) // 80 lines: past 4 KiB
	shorter := stderrLines(0, 80) + stderrLines(1000, 5)
	tests := []struct {
		name   string
		keys   bool
		other  string
		status Status
		read   bool
	}{
		{"longer, keyed", true, longer, StatusNew, true},
		{"shorter, keyed", true, shorter, StatusNew, true},
		{"longer, unkeyed", false, longer, StatusFailed, false},
		{"shorter, unkeyed", false, shorter, StatusUnchanged, false},
		{"same start and more, unkeyed", false, v1 + stderrLines(100, 5), StatusCopy, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, filepath.Join(dir, "a.log"), v1, settled)
			opts := Options{Paths: []string{dir}}
			if tt.keys {
				opts.RecordKeys = func(pglog.Format) bool { return true }
			}
			c := newConsumer()
			c.scan(t, opts)
			writeFile(t, filepath.Join(dir, "b.log"), tt.other, settled)
			r := c.scan(t, opts)["b.log"]
			if r.Status != tt.status {
				t.Errorf("other log: %+v, want %s", r, tt.status)
			}
			var delivered string
			for id, b := range c.content {
				if id != 1 {
					delivered = b.String()
				}
			}
			if tt.status == StatusCopy {
				delivered = c.content[1].String()[len(v1):]
				if want := stderrLines(100, 5); delivered != want {
					t.Errorf("copy: delivered %q, want what it holds beyond the checkpoint", delivered)
				}
				return
			}
			if tt.read != (delivered == tt.other) || !tt.read && delivered != "" {
				t.Errorf("other log delivered %d bytes, read whole = %v", len(delivered), tt.read)
			}
		})
	}
}
