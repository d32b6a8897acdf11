package report

import (
	"bytes"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/wardsec/ward/internal/inventory"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// golden compares got with testdata/name, or rewrites the file with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run go test ./internal/report -update to create it): %v", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s differs from the golden file (-want +got):\n%s", path, diff)
	}
}

// render writes r with write and returns the bytes.
func render(t *testing.T, r *inventory.ScanResult, write Func) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := write(&buf, r); err != nil {
		t.Fatalf("write report: %v", err)
	}
	return buf.Bytes()
}

func textWriteFunc(opt TextOptions) Func {
	return func(w io.Writer, r *inventory.ScanResult) error { return WriteText(w, r, opt) }
}

func TestWriter(t *testing.T) {
	tests := []struct {
		name    string
		format  string
		wantErr string
	}{
		{name: "json", format: "json"},
		{name: "html", format: "html"},
		{name: "sarif", format: "sarif"},
		{name: "csv", format: "csv"},
		{name: "unknown lists the known formats", format: "pdf",
			wantErr: `unknown report format "pdf": use csv, html, json or sarif`},
		{name: "case matters", format: "JSON", wantErr: "use csv, html, json or sarif"},
		{name: "empty", format: "", wantErr: "use csv, html, json or sarif"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, err := Writer(tt.format)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Writer(%q) error = %v, want it to contain %q", tt.format, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Writer(%q): %v", tt.format, err)
			}
			got := render(t, sampleScan(), w)
			direct := map[string]Func{"json": WriteJSON, "html": WriteHTML,
				"sarif": WriteSARIF, "csv": WriteCSV}[tt.format]
			if want := render(t, sampleScan(), direct); !bytes.Equal(got, want) {
				t.Errorf("Writer(%q) does not write what the %s writer writes", tt.format, tt.format)
			}
		})
	}
}

func TestOrList(t *testing.T) {
	tests := []struct {
		in   []string
		want string
	}{
		{in: nil, want: ""},
		{in: []string{"json"}, want: "json"},
		{in: []string{"html", "json"}, want: "html or json"},
		{in: []string{"csv", "html", "json"}, want: "csv, html or json"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := orList(tt.in); got != tt.want {
				t.Errorf("orList(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestFormatsAreUnique(t *testing.T) {
	seen := map[string]bool{}
	for _, f := range formats() {
		if seen[f.name] {
			t.Errorf("format %q is registered twice", f.name)
		}
		seen[f.name] = true
	}
}

func TestNilResult(t *testing.T) {
	writers := allWriters()
	for name, w := range writers {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := w(&buf, nil); err == nil {
				t.Error("writing a nil scan returned no error")
			}
		})
	}
}

// TestInputUnchanged checks that no writer sorts or fills in the caller's
// ScanResult.
func TestInputUnchanged(t *testing.T) {
	writers := allWriters()
	for name, w := range writers {
		t.Run(name, func(t *testing.T) {
			r := sampleScan()
			render(t, r, w)
			if diff := cmp.Diff(sampleScan(), r); diff != "" {
				t.Errorf("writer changed its input (-before +after):\n%s", diff)
			}
		})
	}
}

// shuffled returns the sample scan with every list the writers sort
// reversed, to show that output does not depend on input order.
func shuffled() *inventory.ScanResult {
	r := sampleScan()
	reverse(r.Sources)
	reverse(r.Accounts)
	reverse(r.Findings)
	for i := range r.Accounts {
		reverse(r.Accounts[i].Grants)
	}
	for _, s := range r.Sources {
		if s.Snapshot != nil {
			reverse(s.Snapshot.Databases)
			reverse(s.Snapshot.ScannerPrivileges)
		}
	}
	return r
}

func reverse[T any](s []T) {
	for i, j := 0, len(s)-1; i < j; i, j = i+1, j-1 {
		s[i], s[j] = s[j], s[i]
	}
}

func TestOutputIgnoresInputOrder(t *testing.T) {
	writers := allWriters()
	for name, w := range writers {
		t.Run(name, func(t *testing.T) {
			a, b := render(t, sampleScan(), w), render(t, shuffled(), w)
			if diff := cmp.Diff(string(a), string(b)); diff != "" {
				t.Errorf("output depends on input order (-sample +shuffled):\n%s", diff)
			}
		})
	}
}

// allWriters are every writer of a scan, the terminal summary included.
func allWriters() map[string]Func {
	return map[string]Func{
		"json": WriteJSON, "html": WriteHTML, "text": textWriteFunc(TextOptions{}),
		"sarif": WriteSARIF, "csv": WriteCSV,
	}
}
