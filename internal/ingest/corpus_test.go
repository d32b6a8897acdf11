package ingest

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/wardsec/ward/internal/inventory"
	"github.com/wardsec/ward/internal/logtail"
	"github.com/wardsec/ward/internal/pglog"
)

// corpusFiles lists the corpus logs: seven phases, each as .log, .csv and
// .json.
func corpusFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	for _, ext := range []string{"*.log", "*.csv", "*.json"} {
		m, err := filepath.Glob(filepath.Join(dir, ext))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, m...)
	}
	sort.Strings(out)
	if len(out) != 21 {
		t.Fatalf("%d corpus logs in %s, want 21 (7 phases x 3 formats)", len(out), dir)
	}
	return out
}

// parseDirect parses one file with pglog alone.
func parseDirect(t *testing.T, path string) ([]inventory.Event, []inventory.Exposure) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	p, err := pglog.New(pglog.Options{Source: "x"})
	if err != nil {
		t.Fatal(err)
	}
	var evs []inventory.Event
	var xs []inventory.Exposure
	_, err = p.Parse(context.Background(), bytes.NewReader(data), path, pglog.Sink{
		Event:    func(e inventory.Event) error { evs = append(evs, e); return nil },
		Exposure: func(x inventory.Exposure) error { xs = append(xs, x); return nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	return evs, xs
}

// TestIngestCorpusFiles ingests each corpus log on its own: the store
// holds the events and exposures pglog finds in it, with their fields, and
// a second ingest adds nothing.
func TestIngestCorpusFiles(t *testing.T) {
	dir := corpusDir(t)
	for _, path := range corpusFiles(t, dir) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			st := openStore(t, filepath.Join(t.TempDir(), "ward.db"))
			wantEvs, wantXs := parseDirect(t, path)
			s := ingest(t, st, "ehr", path)
			if s.Events != int64(len(wantEvs)) || s.Exposures != int64(len(wantXs)) ||
				s.Duplicates != 0 {
				t.Fatalf("stored %d events, %d exposures, %d duplicates; pglog finds %d, %d",
					s.Events, s.Exposures, s.Duplicates, len(wantEvs), len(wantXs))
			}
			got := storedEvents(t, st, "ehr")
			compareStored(t, path, wantEvs, got)

			again := ingest(t, st, "ehr", path)
			if again.Events != 0 || again.Exposures != 0 || again.Bytes != 0 ||
				again.Files[0].Status != logtail.StatusUnchanged {
				t.Errorf("second ingest: %d events, %d exposures, %d bytes, %s; want nothing",
					again.Events, again.Exposures, again.Bytes, again.Files[0].Status)
			}
		})
	}
}

// compareStored checks that the stored events are the parsed ones on the
// fields the store keeps as they are.
func compareStored(t *testing.T, path string, want, got []inventory.Event) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("read back %d events, want %d", len(got), len(want))
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	byOffset := map[int64]inventory.Event{}
	for _, e := range want {
		byOffset[e.Pos.Offset] = e
	}
	for _, g := range got {
		w, ok := byOffset[g.Pos.Offset]
		if !ok {
			t.Fatalf("stored event at offset %d: pglog has none there", g.Pos.Offset)
		}
		if g.Time != w.Time || g.User != w.User || g.Database != w.Database ||
			g.Action != w.Action || g.Command != w.Command || g.ObjectName != w.ObjectName ||
			g.ObjectType != w.ObjectType || g.Outcome != w.Outcome || g.ClientAddr != w.ClientAddr ||
			g.Application != w.Application || g.SessionID != w.SessionID || g.PID != w.PID ||
			g.SQLState != w.SQLState || g.Audit.Class != w.Audit.Class ||
			g.Audit.Rows != w.Audit.Rows || g.Pos.File != path {
			t.Errorf("offset %d: stored\n%+v\nparsed\n%+v", g.Pos.Offset, g, w)
		}
		// The stored line is counted from the file itself.
		if line := int64(bytes.Count(data[:g.Pos.Offset], []byte{'\n'})) + 1; g.Pos.Line != line {
			t.Errorf("offset %d: line %d, want %d", g.Pos.Offset, g.Pos.Line, line)
		}
		if (w.Statement == "") != (g.Statement == "") && !w.Audit.PreviouslyLogged {
			t.Errorf("offset %d: statement shape %q for statement %q", g.Pos.Offset,
				g.Statement, w.Statement)
		}
	}
}

// secretsAndPHI are what must never be stored: the corpus canaries
// (corpus/SOURCES.md) and the synthetic patient values of its workload.
var secretsAndPHI = []string{"leak-test-3", "contractor-pass-9", "legacy-pass-1",
	"CANARY-multi-stmt-1", "CANARY-user-mapping-3", "000-00-000", "MRN00", "Test Patient One",
	"Doe, Jane"}

// TestCorpusLeavesNoSecretInStore ingests the whole corpus and greps the
// store's files, byte by byte, for the canaries and the patient values the
// logs hold.
func TestCorpusLeavesNoSecretInStore(t *testing.T) {
	dir := corpusDir(t)
	var logs []byte
	for _, f := range corpusFiles(t, dir) {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		logs = append(logs, data...)
	}
	for _, s := range secretsAndPHI {
		if !bytes.Contains(logs, []byte(s)) {
			t.Fatalf("the corpus no longer holds %q: update this test", s)
		}
	}

	tmp := t.TempDir()
	db := filepath.Join(tmp, "ward.db")
	st := openStore(t, db)
	var exposures int64
	for _, ext := range []string{"log", "csv", "json"} {
		// One source per format, so each is read (a directory gives one).
		s := ingest(t, st, "corpus-"+ext, filepath.Join(dir, "*."+ext))
		if s.Events == 0 {
			t.Fatalf("%s: no events stored", ext)
		}
		exposures += s.Exposures
	}
	if exposures < 3*5 {
		t.Errorf("%d exposures stored, want at least one per canary in each format", exposures)
	}
	st.Close()

	files, _ := filepath.Glob(db + "*")
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range secretsAndPHI {
			if i := bytes.Index(data, []byte(s)); i >= 0 {
				t.Errorf("%s holds %q at byte %d", filepath.Base(f), s, i)
			}
		}
	}
	if !strings.HasSuffix(files[0], "ward.db") {
		t.Errorf("store files %v", files)
	}
}
