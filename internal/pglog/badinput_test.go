package pglog

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/wardsec/ward/internal/inventory"
)

const (
	goodCSV = `2026-12-04 15:11:58.413 UTC,"app_svc","ehr",25967,"127.0.0.1:34006",6b12d83e.656f,12,"DO",2026-12-04 15:11:58 UTC,3/65,0,LOG,00000,"AUDIT: SESSION,6,1,READ,SELECT,TABLE,clinical.encounter,SELECT count(*) FROM clinical.encounter,<not logged>",,,,,,,,,"ehr-api/2.3.1","client backend",,0` + "\n"
	goodLog = "2026-12-04 15:11:58.413 UTC [25967] LOG:  AUDIT: SESSION,6,1,READ,SELECT,TABLE,clinical.encounter,SELECT count(*) FROM clinical.encounter,<not logged>\n"
)

func TestBadInput(t *testing.T) {
	garbage := make([]byte, 64<<10)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range garbage {
		garbage[i] = byte(rng.Uint32())
	}
	cases := []struct {
		name         string
		opts         Options
		in           string
		events       int64
		skipped      int64
		firstSkipped int64 // line
		repaired     bool
	}{
		{"empty file", Options{}, "", 0, 0, 0, false},
		{"blank lines", Options{}, "\n\n  \n", 0, 0, 0, false},
		{"csv truncated inside a quote", Options{}, goodCSV + goodCSV[:200], 1, 1, 2, false},
		{"csv without final newline", Options{}, goodCSV + strings.TrimSuffix(goodCSV, "\n"), 2, 0, 0, false},
		{"csv wrong field count", Options{}, goodCSV + "2026-12-04 15:11:58.413 UTC,a,b\n" + goodCSV,
			2, 1, 2, false},
		{"json truncated", Options{}, `{"timestamp":"2026-12-04 15:11:58.413 UTC","error_severity":"LOG","message":"AUDIT: SESSION,1,1,READ,SELECT,,,x,<none>"}` +
			"\n" + `{"timestamp":"2026-12-04 15:11:58.4`, 1, 1, 2, false},
		{"stderr truncated line", Options{}, goodLog + goodLog[:40], 1, 1, 2, false},
		{"unknown prefix", Options{}, "hello world\nthis is not a log\n", 0, 2, 1, false},
		{"foreign lines among records", Options{}, goodLog + "cp: cannot stat 'x': No such file\n" + goodLog,
			2, 1, 2, false},
		{"binary garbage", Options{Format: FormatStderr}, string(garbage), 0, -1, 1, false},
		{"binary garbage as csv", Options{Format: FormatCSV}, string(garbage), 0, -1, 1, false},
		{"binary garbage as json", Options{Format: FormatJSON}, string(garbage), 0, -1, 1, false},
		{"invalid utf-8 in a statement", Options{},
			strings.Replace(goodLog, "count(*)", "count(\xff\xfe)", 1), 1, 0, 0, true},
		{"record over MaxRecord", Options{MaxRecord: 1024},
			goodLog + "2026-12-04 15:11:58.413 UTC [25967] LOG:  statement: SELECT '" +
				strings.Repeat("x", 600<<10) + "'\n" + goodLog, 2, 1, 2, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out := parseBytes(t, tc.opts, "bad.log", []byte(tc.in))
			st := out.stats
			if st.Events != tc.events || int64(len(out.events)) != tc.events {
				t.Errorf("events = %d (%d sent), want %d", st.Events, len(out.events), tc.events)
			}
			switch {
			case tc.skipped < 0 && st.Skipped == 0:
				t.Errorf("nothing skipped in garbage")
			case tc.skipped >= 0 && st.Skipped != tc.skipped:
				t.Errorf("skipped = %d, want %d (first at %+v)", st.Skipped, tc.skipped,
					st.FirstSkipped)
			}
			if tc.firstSkipped > 0 && (st.FirstSkipped.Line != tc.firstSkipped ||
				st.FirstSkipped.File != "bad.log") {
				t.Errorf("first skipped at %+v, want bad.log:%d", st.FirstSkipped, tc.firstSkipped)
			}
			if (st.Repaired > 0) != tc.repaired {
				t.Errorf("repaired = %d, want repaired %v", st.Repaired, tc.repaired)
			}
			if tc.repaired && st.FirstRepaired.Line != 1 {
				t.Errorf("first repaired at %+v, want line 1", st.FirstRepaired)
			}
			for _, e := range out.events {
				if !utf8.ValidString(e.Statement) || !utf8.ValidString(e.User) {
					t.Errorf("invalid UTF-8 left in %+v", e)
				}
			}
		})
	}
}

func TestGzipTransparent(t *testing.T) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write([]byte(goodCSV + goodCSV)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	gz := buf.Bytes()
	cases := []struct {
		name    string
		in      []byte
		events  int64
		skipped bool
	}{
		{"whole", gz, 2, false},
		{"cut short", gz[:len(gz)-12], -1, true},
		{"bad header", append([]byte{0x1f, 0x8b, 0}, gz[3:]...), 0, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out := parseBytes(t, Options{}, "x.csv.gz", tc.in)
			if tc.events >= 0 && out.stats.Events != tc.events {
				t.Errorf("events = %d, want %d", out.stats.Events, tc.events)
			}
			if (out.stats.Skipped > 0) != tc.skipped {
				t.Errorf("skipped = %d, want skipped %v", out.stats.Skipped, tc.skipped)
			}
		})
	}
}

// stallReader returns its data and then empty reads forever.
type stallReader struct{ data []byte }

func (s *stallReader) Read(p []byte) (int, error) {
	n := copy(p, s.data)
	s.data = s.data[n:]
	return n, nil
}

func TestNeverStalls(t *testing.T) {
	p, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := p.Parse(context.Background(), &stallReader{data: []byte(goodLog)}, "s", Sink{})
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, io.ErrNoProgress) {
			t.Errorf("err = %v, want io.ErrNoProgress", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Parse did not return from a reader that makes no progress")
	}
}

func TestSinkErrorStops(t *testing.T) {
	p, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	stop := errors.New("stop")
	n := 0
	_, err = p.Parse(context.Background(), strings.NewReader(goodCSV+goodCSV+goodCSV), "s",
		Sink{Event: func(inventory.Event) error { n++; return stop }})
	if !errors.Is(err, stop) || n != 1 {
		t.Errorf("err = %v after %d events, want stop after 1", err, n)
	}
}

// TestHugeStatement parses a 10 MB statement in each format: the event
// keeps 64 KiB of it, flags the cut, hashes the whole, redacts a password
// at its very end, and the heap (garbage not yet collected included)
// grows by less than four times the record: the read buffer doubles, so
// while it is copied the old and new buffers (about 2.4× the record) are
// both live.
func TestHugeStatement(t *testing.T) {
	const size = 10 << 20
	body := strings.Repeat("SELECT 1 AS a_rather_long_column_name, ", size/40)
	tail := " ; ALTER ROLE big PASSWORD 'FAKE-huge'"
	stmt := body + tail
	cases := map[string]string{
		"stderr": "2026-12-04 15:11:58.413 UTC [25967] LOG:  statement: " + stmt + "\n",
		"csvlog": `2026-12-04 15:11:58.413 UTC,"app_svc","ehr",25967,"127.0.0.1:34006",6b12d83e.656f,12,"SELECT",2026-12-04 15:11:58 UTC,3/65,0,LOG,00000,"statement: ` +
			stmt + `",,,,,,,,,"x","client backend",,0` + "\n",
		"jsonlog": `{"timestamp":"2026-12-04 15:11:58.413 UTC","pid":1,"error_severity":"LOG","message":"statement: ` +
			stmt + `"}` + "\n",
	}
	for name, log := range cases {
		t.Run(name, func(t *testing.T) {
			data := []byte(log)
			var peak atomic.Uint64
			runtime.GC()
			base := heapObjects()
			stopSampling := sampleHeap(&peak)
			out := parseBytes(t, Options{}, "big", data)
			stopSampling()
			if len(out.events) != 1 || len(out.exposures) != 1 {
				t.Fatalf("%d events %d exposures, want 1 and 1", len(out.events), len(out.exposures))
			}
			e := out.events[0]
			if !e.StatementTruncated || len(e.Statement) != DefaultMaxStatement {
				t.Errorf("statement kept %d bytes, truncated %v; want %d, true", len(e.Statement),
					e.StatementTruncated, DefaultMaxStatement)
			}
			if out.exposures[0].Account != "big" {
				t.Errorf("exposure = %+v", out.exposures[0])
			}
			grown := float64(peak.Load()-min(base, peak.Load())) / float64(len(data))
			t.Logf("heap grew by %.2f× the record", grown)
			if grown > 4 {
				t.Errorf("heap grew by %.2f× a %d-byte record, want under 4×", grown, len(data))
			}
		})
	}
}

func heapObjects() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// sampleHeap records the peak of the heap's object bytes until stopped.
func sampleHeap(peak *atomic.Uint64) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		for {
			metrics.Read(s)
			if v := s[0].Value.Uint64(); v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-done:
				return
			case <-time.After(200 * time.Microsecond):
			}
		}
	}()
	return func() { close(done); <-finished }
}
