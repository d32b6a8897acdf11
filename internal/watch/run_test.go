package watch

import (
	"context"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wardsec/ward/internal/watch/alert"
	"github.com/wardsec/ward/internal/watch/watchtest"
)

func appendFile(t *testing.T, path, text string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(text); err != nil {
		t.Fatal(err)
	}
}

// psqlSession is the connection of etl_svc from psql, in session pid.
func psqlSession(pid int) string {
	return watchtest.Connect(t0, "etl_svc", "ehr", "psql", "10.0.0.5", pid).CSV()
}

// runWatch starts Run in the background, with the options changed by
// mods; stop cancels it and returns its result.
func runWatch(t *testing.T, logDir, state string, rec *recorder,
	mods ...func(*RunOptions)) (stop func() (Summary, error)) {
	t.Helper()
	o := RunOptions{
		Sources:   []LogSource{{Name: "ehr", Paths: []string{logDir}}},
		StatePath: state,
		Engine:    EngineOptions{Kind: testKinds.kind, Sink: rec},
		SaveEvery: 50 * time.Millisecond, Poll: 5 * time.Millisecond,
		Settle: time.Second,
	}
	for _, m := range mods {
		m(&o)
	}
	ctx, cancel := context.WithCancel(context.Background())
	type result struct {
		s   Summary
		err error
	}
	done := make(chan result, 1)
	go func() {
		s, err := Run(ctx, o)
		done <- result{s, err}
	}()
	stopped := false
	stop = func() (Summary, error) {
		if stopped {
			return Summary{}, nil
		}
		stopped = true
		cancel()
		r := <-done
		return r.s, r.err
	}
	t.Cleanup(func() { stop() })
	return stop
}

// ungrouped turns the group window off, so that every session of psql
// makes an alert.
func ungrouped(o *RunOptions) { o.Engine.Config.GroupWindow = -1 }

func waitAlert(t *testing.T, rec *recorder) alert.Alert {
	t.Helper()
	select {
	case a := <-rec.ch:
		return a
	case <-time.After(5 * time.Second):
		t.Fatal("no alert within 5 s")
	}
	return alert.Alert{}
}

func noAlert(t *testing.T, rec *recorder) {
	t.Helper()
	select {
	case a := <-rec.ch:
		t.Fatalf("unexpected alert %+v", a)
	case <-time.After(200 * time.Millisecond):
	}
}

func TestRunRestart(t *testing.T) {
	dir := t.TempDir()
	logDir := filepath.Join(dir, "log")
	if err := os.Mkdir(logDir, 0o700); err != nil {
		t.Fatal(err)
	}
	logFile := filepath.Join(logDir, "postgresql-2026-03-02_140000.csv")
	state := StatePath(filepath.Join(dir, "ward.db"))
	// History before the first run is not alerted on.
	appendFile(t, logFile, psqlSession(1))

	rec := newRecorder()
	stop := runWatch(t, logDir, state, rec, ungrouped)
	time.Sleep(100 * time.Millisecond)
	noAlert(t, rec)
	before, _ := os.Stat(logFile)
	appendFile(t, logFile, psqlSession(2))
	a := waitAlert(t, rec)
	if a.Detector != DetectInteractive || a.Pos.File != logFile ||
		a.Pos.Offset != before.Size() || a.Pos.Line != 2 {
		t.Errorf("alert = %+v, want interactive use at offset %d, line 2", a, before.Size())
	}
	sum, err := stop()
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if sum.Engine.Alerts != 1 || sum.Sources["ehr"].Events != 1 ||
		sum.Sources["ehr"].SkippedAtStart != before.Size() {
		t.Errorf("summary = %+v", sum)
	}
	st, err := LoadState(state)
	if err != nil || len(st.Checkpoints["ehr"]) != 1 {
		t.Fatalf("saved state: %+v, %v", st, err)
	}
	size, _ := os.Stat(logFile)
	if cp := st.Checkpoints["ehr"][0]; cp.Offset != size.Size() || cp.Line != 2 {
		t.Errorf("saved checkpoint %+v, want offset %d after 2 lines", cp, size.Size())
	}

	// While ward is stopped a new session arrives; after the restart it is
	// reported, and the one already reported is not.
	appendFile(t, logFile, psqlSession(3))
	rec2 := newRecorder()
	stop2 := runWatch(t, logDir, state, rec2, ungrouped)
	a2 := waitAlert(t, rec2)
	if a2.SessionID == a.SessionID || a2.Pos.Offset != size.Size() {
		t.Errorf("after restart: %+v, want the session written while stopped", a2)
	}
	noAlert(t, rec2)
	if _, err := stop2(); err != nil {
		t.Fatal(err)
	}
}

func TestRunFromStart(t *testing.T) {
	dir := t.TempDir()
	logFile := filepath.Join(dir, "postgresql.csv")
	appendFile(t, logFile, psqlSession(1))
	rec := newRecorder()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := Run(ctx, RunOptions{Sources: []LogSource{{Name: "ehr", Paths: []string{logFile}}},
			StatePath: StatePath(filepath.Join(dir, "ward.db")), FromStart: true,
			Engine: EngineOptions{Kind: testKinds.kind, Sink: rec}, Poll: 5 * time.Millisecond})
		done <- err
	}()
	if a := waitAlert(t, rec); a.Detector != DetectInteractive || a.Pos.Offset != 0 {
		t.Errorf("alert = %+v, want the session already in the log", a)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestRunCrashResume(t *testing.T) {
	// The state saved while running is consistent: a run that resumes from
	// it, as after a crash that lost the final save, repeats no alert and
	// loses none.
	dir := t.TempDir()
	logFile := filepath.Join(dir, "postgresql.csv")
	state := StatePath(filepath.Join(dir, "ward.db"))
	appendFile(t, logFile, "")
	rec := newRecorder()
	stop := runWatch(t, logFile, state, rec, ungrouped)
	time.Sleep(50 * time.Millisecond)
	appendFile(t, logFile, psqlSession(1)+psqlSession(2))
	waitAlert(t, rec)
	time.Sleep(200 * time.Millisecond) // several periodic saves
	crashed, err := os.ReadFile(state)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := stop(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(state, crashed, 0o600); err != nil {
		t.Fatal(err)
	}

	appendFile(t, logFile, psqlSession(3))
	rec2 := newRecorder()
	stop2 := runWatch(t, logFile, state, rec2, ungrouped)
	if a := waitAlert(t, rec2); a.SessionID != sessionOf(3) {
		t.Errorf("after the crash: alert of session %s, want %s", a.SessionID, sessionOf(3))
	}
	noAlert(t, rec2)
	if _, err := stop2(); err != nil {
		t.Fatal(err)
	}
}

// sessionOf is the session ID of psqlSession(pid).
func sessionOf(pid int) string {
	return watchtest.Connect(t0, "etl_svc", "ehr", "psql", "10.0.0.5", pid).SessionID()
}

// syncClock is a clock that tests move while Run reads it.
type syncClock struct{ ns atomic.Int64 }

func newSyncClock(t time.Time) *syncClock {
	c := &syncClock{}
	c.ns.Store(t.UnixNano())
	return c
}

func (c *syncClock) now() time.Time          { return time.Unix(0, c.ns.Load()).UTC() }
func (c *syncClock) advance(d time.Duration) { c.ns.Add(int64(d)) }
func (c *syncClock) runOption(o *RunOptions) { o.Engine.Now = c.now }

func TestRunRestartKeepsGroups(t *testing.T) {
	// The open alert groups survive a restart: the same alert (another
	// psql session of the same account) inside the window is counted, not
	// sent again, and the summary is sent once the window has ended.
	dir := t.TempDir()
	logFile := filepath.Join(dir, "postgresql.csv")
	state := StatePath(filepath.Join(dir, "ward.db"))
	appendFile(t, logFile, "")
	clk := newSyncClock(time.Now())

	rec := newRecorder()
	stop := runWatch(t, logFile, state, rec, clk.runOption)
	time.Sleep(50 * time.Millisecond)
	appendFile(t, logFile, psqlSession(1))
	first := waitAlert(t, rec)
	if _, err := stop(); err != nil {
		t.Fatal(err)
	}
	st, err := LoadState(state)
	if err != nil || len(st.Groups) != 1 || st.Groups[0].First.ID != first.ID ||
		st.Groups[0].Count != 0 {
		t.Fatalf("saved groups = %+v, %v; want the group of %s", st.Groups, err, first.ID)
	}

	// Restarted a minute later, inside the window.
	clk.advance(time.Minute)
	appendFile(t, logFile, psqlSession(2))
	rec2 := newRecorder()
	stop2 := runWatch(t, logFile, state, rec2, clk.runOption)
	noAlert(t, rec2)
	sum, err := stop2()
	if err != nil {
		t.Fatal(err)
	}
	if sum.Engine.Alerts != 1 || sum.Engine.Repeats != 1 {
		t.Errorf("engine = %+v, want the second session read and counted as a repeat",
			sum.Engine)
	}
	st, err = LoadState(state)
	if err != nil || len(st.Groups) != 1 || st.Groups[0].Count != 1 {
		t.Fatalf("saved groups = %+v, %v; want the group with 1 repeat", st.Groups, err)
	}

	// Restarted after the window: the summary is sent at start.
	clk.advance(DefaultGroupWindow)
	rec3 := newRecorder()
	stop3 := runWatch(t, logFile, state, rec3, clk.runOption)
	s := waitAlert(t, rec3)
	if !s.Grouped || s.GroupOf != first.ID || s.Count != 1 || s.SessionID != first.SessionID {
		t.Errorf("after the window: %+v, want the summary of 1 repeat of %s", s, first.ID)
	}
	noAlert(t, rec3)
	if _, err := stop3(); err != nil {
		t.Fatal(err)
	}
	if st, err := LoadState(state); err != nil || len(st.Groups) != 0 {
		t.Errorf("saved groups = %+v, %v; want none once the summary is sent", st.Groups, err)
	}
}
