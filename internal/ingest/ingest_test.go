package ingest

import (
	"bytes"
	"compress/gzip"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wardsec/ward/internal/config"
	"github.com/wardsec/ward/internal/logtail"
)

const (
	phase02CSV = "pg15-pgaudit17-02-workload-default-prefix.csv"
	phase02Log = "pg15-pgaudit17-02-workload-default-prefix.log"
)

func TestRotatedGzipAddsNothing(t *testing.T) {
	dir := corpusDir(t)
	logs := t.TempDir()
	live := filepath.Join(logs, "postgresql-Mon.csv")
	copyFile(t, filepath.Join(dir, phase02CSV), live)
	st := openStore(t, filepath.Join(t.TempDir(), "ward.db"))
	first := ingest(t, st, "ehr", logs)
	if first.Events == 0 {
		t.Fatal("no events")
	}

	// logrotate: the file is compressed and the original removed.
	data, _ := os.ReadFile(live)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(data)
	zw.Close()
	if err := os.WriteFile(live+".1.gz", gz.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	os.Remove(live)

	again := ingest(t, st, "ehr", logs)
	if again.Events != 0 || again.Exposures != 0 || len(again.Files) != 1 ||
		again.Files[0].Status != logtail.StatusCopy {
		t.Fatalf("after gzip: %d events, %d exposures, files %+v; want nothing new from a copy",
			again.Events, again.Exposures, again.Files)
	}
	if n := len(storedEvents(t, st, "ehr")); int64(n) != first.Events {
		t.Errorf("%d events stored, want %d", n, first.Events)
	}
	third := ingest(t, st, "ehr", logs)
	if third.Files[0].Status != logtail.StatusUnchanged {
		t.Errorf("third ingest: %+v, want the compressed copy skipped", third.Files[0])
	}
}

// TestSessionsAcrossRuns ingests a stderr log whose prefix names no user
// in two runs, the second starting in the middle of sessions the first
// saw open: the second run names their users from the stored sessions, as
// one parse of the whole log does.
func TestSessionsAcrossRuns(t *testing.T) {
	dir := corpusDir(t)
	whole, err := os.ReadFile(filepath.Join(dir, phase02Log))
	if err != nil {
		t.Fatal(err)
	}
	auth := bytes.Index(whole, []byte("connection authorized: user=alice"))
	cut := auth + bytes.Index(whole[auth:], []byte("\n2026")) + 1
	cut += bytes.Index(whole[cut:], []byte("AUDIT:"))
	cut = bytes.LastIndexByte(whole[:cut], '\n') + 1
	if auth < 0 || cut <= auth {
		t.Fatal("the corpus log no longer has alice's session")
	}

	logs := t.TempDir()
	first := filepath.Join(logs, "postgresql-1.log")
	second := filepath.Join(logs, "postgresql-2.log")
	if err := os.WriteFile(first, whole[:cut], 0o600); err != nil {
		t.Fatal(err)
	}
	st := openStore(t, filepath.Join(t.TempDir(), "ward.db"))
	ingest(t, st, "ehr", logs)
	if err := os.WriteFile(second, whole[cut:], 0o600); err != nil {
		t.Fatal(err)
	}
	os.Chtimes(second, time.Now().Add(time.Minute), time.Now().Add(time.Minute))
	s := ingest(t, st, "ehr", logs)
	if s.Filled == 0 {
		t.Fatal("the second run filled no user from a stored session")
	}

	want, _ := parseDirect(t, filepath.Join(dir, phase02Log))
	got := storedEvents(t, st, "ehr")
	users := map[int64]string{}
	for _, e := range want {
		users[e.Pos.Offset] = e.User
	}
	for _, e := range got {
		off := e.Pos.Offset
		if e.Pos.File == second {
			off += int64(cut)
		}
		if users[off] != e.User {
			t.Errorf("%s:%d %s: user %q, one parse of the whole log says %q",
				filepath.Base(e.Pos.File), e.Pos.Line, e.Action, e.User, users[off])
		}
	}
}

func TestRetention(t *testing.T) {
	dir := corpusDir(t)
	path := filepath.Join(dir, phase02CSV)
	evs, _ := parseDirect(t, path)
	first, last := evs[0].Time, evs[0].Time
	for _, e := range evs {
		if e.Time.Before(first) {
			first = e.Time
		}
		if e.Time.After(last) {
			last = e.Time
		}
	}
	mid := first.Add(last.Sub(first) / 2)
	var older int64
	for _, e := range evs {
		if e.Time.Before(mid) {
			older++
		}
	}
	if older == 0 || older == int64(len(evs)) {
		t.Fatalf("the corpus phase spans no time: %v to %v", first, last)
	}

	st := openStore(t, filepath.Join(t.TempDir(), "ward.db"))
	now := last.Add(time.Hour)
	s, err := Run(context.Background(), st, Options{Source: config.Source{Name: "ehr"},
		Paths: []string{path}, Retention: now.Sub(mid), Now: func() time.Time { return now },
		Settle: time.Nanosecond})
	if err != nil {
		t.Fatal(err)
	}
	if s.Expired != older || s.Events != int64(len(evs))-older {
		t.Errorf("expired %d, stored %d; want %d, %d", s.Expired, s.Events, older,
			int64(len(evs))-older)
	}
	for _, e := range storedEvents(t, st, "ehr") {
		if e.Time.Before(mid) {
			t.Fatalf("event of %v stored, older than the retention", e.Time)
		}
	}

	// A later run deletes what has aged past the retention since.
	later := now.Add(last.Sub(mid))
	s, err = Run(context.Background(), st, Options{Source: config.Source{Name: "ehr"},
		Paths: []string{path}, Retention: now.Sub(mid), Now: func() time.Time { return later }})
	if err != nil {
		t.Fatal(err)
	}
	left := int64(len(storedEvents(t, st, "ehr")))
	if s.Deleted == 0 || left+s.Deleted != int64(len(evs))-older {
		t.Errorf("deleted %d, %d left; want them to add up to %d", s.Deleted, left,
			int64(len(evs))-older)
	}
}

func TestPoolers(t *testing.T) {
	p := newPoolers([]string{"10.0.5.7", "10.9.0.0/16", "pgbouncer-edge.internal", "mypooler"})
	tests := []struct {
		name, addr, app string
		want            bool
	}{
		{"configured address", "10.0.5.7", "ehr-api/2.3.1", true},
		{"configured prefix", "10.9.44.1", "", true},
		{"configured host name", "PgBouncer-Edge.internal", "psql", true},
		{"loopback with a known pooler", "127.0.0.1", "pgbouncer", true},
		{"unix socket with a configured program", "[local]", "MyPooler 1.2", true},
		{"IPv6 loopback", "::1", "pgpool-II", true},
		{"loopback without a pooler's name", "127.0.0.1", "psql", false},
		{"remote with a pooler's name", "10.0.0.9", "pgbouncer", false},
		{"unknown address", "", "pgbouncer", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := p.via(tc.addr, tc.app); got != tc.want {
				t.Errorf("via(%q, %q) = %v, want %v", tc.addr, tc.app, got, tc.want)
			}
		})
	}
}

// TestPoolerMarkStored checks the mark reaches the store.
func TestPoolerMarkStored(t *testing.T) {
	dir := corpusDir(t)
	st := openStore(t, filepath.Join(t.TempDir(), "ward.db"))
	_, err := Run(context.Background(), st, Options{
		Source: config.Source{Name: "ehr", Poolers: []string{"127.0.0.1"}},
		Paths:  []string{filepath.Join(dir, phase02CSV)}, Settle: time.Nanosecond})
	if err != nil {
		t.Fatal(err)
	}
	var via, direct int
	for _, e := range storedEvents(t, st, "ehr") {
		switch {
		case e.ClientAddr == "127.0.0.1" && e.ViaPooler:
			via++
		case e.ViaPooler:
			t.Fatalf("event from %q marked as through a pooler", e.ClientAddr)
		case strings.HasPrefix(e.ClientAddr, "["):
			direct++
		}
	}
	if via == 0 || direct == 0 {
		t.Errorf("%d events through the pooler, %d over a socket; want both", via, direct)
	}
}

func TestLineCounter(t *testing.T) {
	data := []byte("a\nbb\n\nccc\n")
	var lc lineCounter
	lc.reset(data, 10)
	for _, tc := range []struct{ off, want int64 }{{0, 11}, {2, 12}, {5, 13}, {6, 14}, {2, 12}, {10, 15}} {
		if got := lc.at(tc.off); got != tc.want {
			t.Errorf("at(%d) = %d, want %d", tc.off, got, tc.want)
		}
	}
}
