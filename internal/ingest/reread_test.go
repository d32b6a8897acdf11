package ingest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wardsec/ward/internal/config"
	"github.com/wardsec/ward/internal/inventory"
	"github.com/wardsec/ward/internal/logtail"
	"github.com/wardsec/ward/internal/store"
)

// keyedRow is a csvlog row of session sess, its line n, n seconds after
// 15:00; a row whose n is in leak sets a (fake) password.
func keyedRow(sess string, n int, leak map[int]bool) string {
	stmt := fmt.Sprintf("SELECT %d FROM patients WHERE id = %d", n, n*7)
	if leak[n] {
		stmt = fmt.Sprintf("ALTER ROLE etl_loader PASSWORD 'FAKE-CANARY-%d'", n)
	}
	ts := time.Date(2026, 12, 4, 15, 0, 0, 0, time.UTC).Add(time.Duration(n) * time.Second)
	return ts.Format("2006-01-02 15:04:05.000 MST") + `,"etl_loader","ehr",25965,` +
		`"10.0.0.5:33990",` + sess + `,` + fmt.Sprint(n) + `,"SELECT",` +
		`2026-12-04 15:00:00 UTC,3/53,0,LOG,00000,"statement: ` + stmt + `",,,,,,,,,` +
		`"psql","client backend",,0` + "\n"
}

// keyedLog is rows from to to-1 of session sess, as a csvlog.
func keyedLog(sess string, from, to int, leak map[int]bool) []string {
	var rows []string
	for n := from; n < to; n++ {
		rows = append(rows, keyedRow(sess, n, leak))
	}
	return rows
}

// without returns rows without the one of line n (rows start at line 1).
func without(rows []string, n int) []string {
	out := append([]string(nil), rows[:n-1]...)
	return append(out, rows[n:]...)
}

// eventKeys returns the stored events of ehr as session/line, sorted.
func eventKeys(t *testing.T, st *store.Store) []string {
	t.Helper()
	var keys []string
	for _, e := range storedEvents(t, st, "ehr") {
		keys = append(keys, fmt.Sprintf("%s/%d", e.SessionID, e.SessionLine))
	}
	sort.Strings(keys)
	return keys
}

// exposureKeys returns the stored exposures of ehr as session/time, sorted.
func exposureKeys(t *testing.T, st *store.Store) []string {
	t.Helper()
	var keys []string
	err := st.Exposures(context.Background(), "ehr", func(x inventory.Exposure) error {
		keys = append(keys, x.SessionID+"/"+x.Time.UTC().Format(time.RFC3339))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(keys)
	return keys
}

// union merges sorted key lists, each key once.
func union(lists ...[]string) []string {
	seen := map[string]bool{}
	var out []string
	for _, l := range lists {
		for _, k := range l {
			if !seen[k] {
				seen[k] = true
				out = append(out, k)
			}
		}
	}
	sort.Strings(out)
	return out
}

// writeLog writes rows to path: in place (same inode, as `cat t > f`) or,
// with replace, as a new file renamed over it (as `sed -i`). Its time is
// set in the past, so the last row is taken as complete.
func writeLog(t *testing.T, path string, rows []string, replace bool) {
	t.Helper()
	data := []byte(strings.Join(rows, ""))
	target := path
	if replace {
		target = path + ".tmp"
	}
	f, err := os.OpenFile(target, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(data); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if replace {
		if err := os.Rename(target, path); err != nil {
			t.Fatal(err)
		}
	}
	past := time.Now().Add(-time.Hour)
	os.Chtimes(path, past, past)
}

// cleanKeys ingests each content once into a fresh store and returns the
// union of the event and exposure keys stored.
func cleanKeys(t *testing.T, contents ...[]string) (events, exposures []string) {
	t.Helper()
	for i, rows := range contents {
		dir := t.TempDir()
		path := filepath.Join(dir, fmt.Sprintf("clean-%d.csv", i))
		writeLog(t, path, rows, false)
		st := openStore(t, filepath.Join(dir, "clean.db"))
		ingest(t, st, "ehr", path)
		events = union(events, eventKeys(t, st))
		exposures = union(exposures, exposureKeys(t, st))
	}
	return events, exposures
}

// TestRereadEditedLogs edits, shortens and copies a csvlog already read,
// as an operator scrubbing a leaked password does: afterwards the store
// holds each record of the log's history once, what the first read stored
// (the scrubbed row included: that is history) and everything the final
// content holds, each exposure once.
func TestRereadEditedLogs(t *testing.T) {
	const sess = "6b12d83e.656d"
	// Rows are about 250 bytes: row 5 is in the first 4 KiB, row 60 not.
	leak := map[int]bool{5: true, 60: true, 90: true}
	v1 := keyedLog(sess, 1, 101, leak)
	more := keyedLog(sess, 101, 141, leak)
	other := append(append([]string(nil), v1[:60]...), keyedLog("6b12d9aa.1f00", 1, 80, nil)...)
	short := append(append([]string(nil), v1[:60]...), keyedLog("6b12d9aa.1f00", 1, 10, nil)...)

	tests := []struct {
		name string
		// steps change the logs after the first ingest of live.csv (v1);
		// ingest runs after each. final is the content of the logs then.
		steps []func(t *testing.T, dir string)
		final [][]string
		// status is the report of live.csv after the first step.
		status logtail.Status
	}{{
		name: "scrubbed in place in the first 4 KiB",
		steps: []func(*testing.T, string){
			func(t *testing.T, dir string) { writeLog(t, live(dir), without(v1, 5), false) },
			func(t *testing.T, dir string) {
				writeLog(t, live(dir), append(without(v1, 5), more...), false)
			},
		},
		final:  [][]string{append(without(v1, 5), more...)},
		status: logtail.StatusRewritten,
	}, {
		name: "scrubbed with sed -i",
		steps: []func(*testing.T, string){
			func(t *testing.T, dir string) { writeLog(t, live(dir), without(v1, 5), true) },
			func(t *testing.T, dir string) {
				writeLog(t, live(dir), append(without(v1, 5), more...), false)
			},
		},
		final:  [][]string{append(without(v1, 5), more...)},
		status: logtail.StatusNew,
	}, {
		name: "row after 4 KiB removed, then the log grows",
		steps: []func(*testing.T, string){
			func(t *testing.T, dir string) { writeLog(t, live(dir), without(v1, 60), false) },
			func(t *testing.T, dir string) {
				writeLog(t, live(dir), append(without(v1, 60), more...), false)
			},
		},
		final:  [][]string{append(without(v1, 60), more...)},
		status: logtail.StatusRewritten,
	}, {
		name: "row after 4 KiB removed and the log grows past the checkpoint unread",
		steps: []func(*testing.T, string){
			func(t *testing.T, dir string) {
				writeLog(t, live(dir), append(without(v1, 60), more...), false)
			},
		},
		final:  [][]string{append(without(v1, 60), more...)},
		status: logtail.StatusRewritten,
	}, {
		name: "another log starting like it, longer",
		steps: []func(*testing.T, string){
			func(t *testing.T, dir string) {
				writeLog(t, filepath.Join(dir, "other.csv"), other, false)
			},
		},
		final:  [][]string{v1, other},
		status: logtail.StatusUnchanged,
	}, {
		name: "another log starting like it, shorter",
		steps: []func(*testing.T, string){
			func(t *testing.T, dir string) {
				writeLog(t, filepath.Join(dir, "other.csv"), short, false)
			},
		},
		final:  [][]string{v1, short},
		status: logtail.StatusUnchanged,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			writeLog(t, live(dir), v1, false)
			st := openStore(t, filepath.Join(t.TempDir(), "ward.db"))
			first := ingest(t, st, "ehr", dir)
			if first.Events != int64(len(v1)) {
				t.Fatalf("first ingest stored %d events, want %d", first.Events, len(v1))
			}
			for i, step := range tt.steps {
				step(t, dir)
				s := ingest(t, st, "ehr", dir)
				if i == 0 && fileStatus(s, live(dir)) != tt.status {
					t.Errorf("after the edit live.csv is %q, want %q: %+v",
						fileStatus(s, live(dir)), tt.status, s.Files)
				}
			}
			wantEv, wantExp := cleanKeys(t, append([][]string{v1}, tt.final...)...)
			if diff := cmp.Diff(wantEv, eventKeys(t, st)); diff != "" {
				t.Errorf("events (session/line) differ from the history read once "+
					"(-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(wantExp, exposureKeys(t, st)); diff != "" {
				t.Errorf("exposures differ from the history read once (-want +got):\n%s", diff)
			}
			again := ingest(t, st, "ehr", dir)
			if again.Events != 0 || again.Duplicates != 0 || again.Exposures != 0 {
				t.Errorf("a further ingest stored %d events, %d duplicates, %d exposures; "+
					"want nothing read", again.Events, again.Duplicates, again.Exposures)
			}
		})
	}
}

func live(dir string) string { return filepath.Join(dir, "live.csv") }

func fileStatus(s Stats, path string) logtail.Status {
	for _, f := range s.Files {
		if f.Path == path {
			return f.Status
		}
	}
	return ""
}

// TestRereadCountsDuplicates checks that a log read again from its start
// counts what it already stored as duplicates, not as events or errors.
func TestRereadCountsDuplicates(t *testing.T) {
	dir := t.TempDir()
	rows := keyedLog("6b12d83e.656d", 1, 51, nil)
	writeLog(t, live(dir), rows, false)
	st := openStore(t, filepath.Join(t.TempDir(), "ward.db"))
	ingest(t, st, "ehr", dir)
	writeLog(t, live(dir), without(rows, 3), false)
	s := ingest(t, st, "ehr", dir)
	if s.Events != 0 || s.Duplicates != int64(len(rows)-1) {
		t.Errorf("re-read stored %d events and counted %d duplicates, want 0 and %d",
			s.Events, s.Duplicates, len(rows)-1)
	}
}

// TestUnkeyedLogLeftAsRead edits a stderr log whose prefix names no
// session line: ingest cannot tell the records it stored, so it neither
// reads the log again nor resumes it in the middle of a record, and says
// so.
func TestUnkeyedLogLeftAsRead(t *testing.T) {
	line := func(n int) string {
		ts := time.Date(2026, 12, 4, 15, 0, 0, 0, time.UTC).Add(time.Duration(n) * time.Second)
		return ts.Format("2006-01-02 15:04:05.000 MST") +
			fmt.Sprintf(" [2596%d] LOG:  statement: SELECT %d FROM patients\n", n%10, n)
	}
	var v1, more []string
	for n := 1; n <= 100; n++ {
		v1 = append(v1, line(n))
	}
	for n := 101; n <= 160; n++ {
		more = append(more, line(n))
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "live.log")
	writeLog(t, path, v1, false)
	st := openStore(t, filepath.Join(t.TempDir(), "ward.db"))
	src := config.Source{Name: "ehr", Type: "postgres", LogFormat: "stderr",
		LogLinePrefix: "%m [%p] "}
	run := func() Stats {
		t.Helper()
		s, err := Run(context.Background(), st, Options{Source: src, Paths: []string{dir},
			Settle: time.Nanosecond})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	if s := run(); s.Events != 100 {
		t.Fatalf("first ingest stored %d events, want 100", s.Events)
	}
	writeLog(t, path, append(without(v1, 60), more...), false)
	s := run()
	if len(s.Failed()) != 1 || !errors.Is(s.Failed()[0].Err, logtail.ErrCannotReread) {
		t.Errorf("edited stderr log: %+v, want it failed with %v", s.Files, logtail.ErrCannotReread)
	}
	if s.Events != 0 || s.Skipped != 0 {
		t.Errorf("edited stderr log: %d events, %d skipped; want it left as read", s.Events,
			s.Skipped)
	}
	if n := len(storedEvents(t, st, "ehr")); n != 100 {
		t.Errorf("%d events stored, want the 100 first read, none twice", n)
	}
}
