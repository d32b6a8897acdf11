package store

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wardsec/ward/internal/inventory"
	"github.com/wardsec/ward/internal/logtail"
	"github.com/wardsec/ward/internal/pglog"
)

var evT0 = time.Date(2026, 12, 4, 15, 0, 0, 123456000, time.UTC)

// segment returns a segment of a new file for tests: content offsets
// [from, to).
func segment(path string, from, to int64) *logtail.Segment {
	cp := logtail.Checkpoint{Path: path, Device: 1, Inode: 42, HeadLen: 10,
		Format: pglog.FormatCSV, Offset: from, Size: to, ModTime: evT0}
	end := cp
	end.Offset = to
	return &logtail.Segment{Path: path, Format: cp.Format, Start: cp, End: end}
}

func fullEvent(off int64) inventory.Event {
	return inventory.Event{
		Time: evT0.Add(time.Duration(off) * time.Second), Source: "ehr", User: "etl_loader",
		Database: "ehr", Action: inventory.ActionAudit, Command: "SELECT", ObjectType: "TABLE",
		ObjectName: "clinical.patient", Outcome: inventory.OutcomeFailure, SQLState: "42501",
		Message:    `permission denied for table "patient" at 000-00-0001`,
		Detail:     "Key (ssn)=(000-00-0001) already exists.",
		ClientAddr: "10.0.0.5", ClientPort: 5432, Application: "ehr-api/2.3.1",
		SessionID: "6b12d83e.656d", SessionDerived: true, SessionLine: 7, PID: 25965,
		Replication: true, AuthMethod: "scram-sha-256", Identity: "etl_loader",
		Statement:          "SELECT * FROM clinical.patient WHERE ssn = '000-00-0001'",
		StatementTruncated: true, StatementSHA256: "abc", Parameters: "$1 = 'MRN001'",
		DurationMS: 1.5, ViaPooler: true,
		Audit: inventory.AuditFields{Type: "OBJECT", StatementID: 3, SubstatementID: 1,
			Class: "READ", Parameter: "MRN001", Rows: 2, HasRows: true},
		Pos: inventory.Position{File: "/logs/a.csv", Offset: off, Line: off/10 + 1},
	}
}

// writeBatch stores evs as the batch of seg and returns its stats.
func writeBatch(t *testing.T, w *LogWriter, seg *logtail.Segment, evs ...inventory.Event) BatchStats {
	t.Helper()
	b, err := w.Begin(context.Background(), seg)
	if err != nil {
		t.Fatal(err)
	}
	for i := range evs {
		if err := b.AddEvent(&evs[i]); err != nil {
			t.Fatal(err)
		}
	}
	bs, err := b.Commit()
	if err != nil {
		t.Fatal(err)
	}
	return bs
}

func readEvents(t *testing.T, s *Store, source string) []inventory.Event {
	t.Helper()
	var out []inventory.Event
	if err := s.Events(context.Background(), source, func(e inventory.Event) error {
		out = append(out, e)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestEventRoundTrip(t *testing.T) {
	s := openTest(t)
	w := s.LogWriter("ehr")
	seg := segment("/logs/a.csv", 0, 1000)
	ev := fullEvent(100)
	if bs := writeBatch(t, w, seg, ev); bs.Events != 1 || seg.End.ID == 0 {
		t.Fatalf("stats %+v, checkpoint ID %d", bs, seg.End.ID)
	}
	got := readEvents(t, s, "ehr")
	want := ev
	// Stored as shapes, or not at all: no literal survives.
	want.Statement = "SELECT * FROM clinical.patient WHERE ssn = ?"
	want.Message = `permission denied for table "?" at ?-?-?`
	want.StatementSHA256, want.Parameters, want.Detail, want.Audit.Parameter = "", "", "", ""
	if diff := cmp.Diff([]inventory.Event{want}, got); diff != "" {
		t.Errorf("read back (-want +got):\n%s", diff)
	}
}

func TestEventMinimalRoundTrip(t *testing.T) {
	s := openTest(t)
	ev := inventory.Event{Time: evT0, Source: "ehr", Action: inventory.ActionConnect,
		Pos: inventory.Position{File: "/logs/a.csv", Offset: 5, Line: 2}}
	writeBatch(t, s.LogWriter("ehr"), segment("/logs/a.csv", 0, 10), ev)
	ev.Outcome = inventory.OutcomeSuccess // an empty outcome is stored as success
	if diff := cmp.Diff([]inventory.Event{ev}, readEvents(t, s, "ehr")); diff != "" {
		t.Errorf("read back (-want +got):\n%s", diff)
	}
}

func TestPreviouslyLoggedGetsShape(t *testing.T) {
	s := openTest(t)
	first := fullEvent(10)
	first.StatementSHA256 = "sha-of-statement"
	second := fullEvent(20)
	second.Statement, second.StatementSHA256 = "", "sha-of-statement"
	second.Audit.PreviouslyLogged = true
	writeBatch(t, s.LogWriter("ehr"), segment("/logs/a.csv", 0, 100), first, second)
	got := readEvents(t, s, "ehr")
	if len(got) != 2 || got[1].Statement == "" || got[1].Statement != got[0].Statement {
		t.Errorf("statements %q, %q; want the earlier shape on the later row",
			got[0].Statement, got[1].Statement)
	}
}

func TestDuplicateRecordStoredOnce(t *testing.T) {
	s := openTest(t)
	w := s.LogWriter("ehr")
	seg := segment("/logs/a.csv", 0, 100)
	writeBatch(t, w, seg, fullEvent(10), fullEvent(20))

	again := &logtail.Segment{Path: seg.Path, Start: seg.End, End: seg.End}
	dup := fullEvent(20)
	bs := writeBatch(t, w, again, dup, fullEvent(30))
	if bs.Events != 1 || bs.Duplicates != 1 {
		t.Errorf("stats %+v, want one stored and one duplicate", bs)
	}
	win, err := s.Window(context.Background(), "ehr")
	if err != nil {
		t.Fatal(err)
	}
	if n := len(readEvents(t, s, "ehr")); n != 3 || win.Events != 3 {
		t.Errorf("%d events, window counts %d; want 3", n, win.Events)
	}
}

func TestRollbackStoresNothing(t *testing.T) {
	s := openTest(t)
	w := s.LogWriter("ehr")
	seg := segment("/logs/a.csv", 0, 100)
	b, err := w.Begin(context.Background(), seg)
	if err != nil {
		t.Fatal(err)
	}
	ev := fullEvent(10)
	if err := b.AddEvent(&ev); err != nil {
		t.Fatal(err)
	}
	b.Rollback()
	cps, err := s.LogCheckpoints(context.Background(), "ehr")
	if err != nil {
		t.Fatal(err)
	}
	if len(cps) != 0 || len(readEvents(t, s, "ehr")) != 0 {
		t.Fatalf("after rollback: %d checkpoints, events stored", len(cps))
	}

	// The writer forgot the keys of the rolled back strings.
	seg = segment("/logs/a.csv", 0, 100)
	writeBatch(t, w, seg, fullEvent(10))
	if got := readEvents(t, s, "ehr"); len(got) != 1 || got[0].User != "etl_loader" {
		t.Errorf("after a rollback the next batch stored %+v", got)
	}
}

func TestCheckpointRoundTrip(t *testing.T) {
	s := openTest(t)
	seg := segment("/logs/a.csv.1.gz", 0, 4096)
	seg.End.Head = logtail.Head{1, 2, 3}
	seg.End.Compressed, seg.End.Complete, seg.End.Line = true, true, 31
	seg.End.Device, seg.End.Inode = 1<<63+5, 77
	writeBatch(t, s.LogWriter("ehr"), seg)
	got, err := s.LogCheckpoints(context.Background(), "ehr")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]logtail.Checkpoint{seg.End}, got); diff != "" {
		t.Errorf("checkpoints (-want +got):\n%s", diff)
	}
	if other, _ := s.LogCheckpoints(context.Background(), "other"); len(other) != 0 {
		t.Errorf("another source sees %d checkpoints", len(other))
	}
}

func TestWindowAndRetention(t *testing.T) {
	s := openTest(t)
	hour := func(h, m int, off int64) inventory.Event {
		e := fullEvent(off)
		e.Time = evT0.Truncate(time.Hour).Add(time.Duration(h)*time.Hour +
			time.Duration(m)*time.Minute)
		return e
	}
	writeBatch(t, s.LogWriter("ehr"), segment("/logs/a.csv", 0, 100),
		hour(0, 1, 1), hour(1, 1, 2), hour(1, 5, 3), hour(30, 1, 4), hour(31, 1, 5))
	w, err := s.Window(context.Background(), "ehr")
	if err != nil {
		t.Fatal(err)
	}
	base := evT0.Truncate(time.Hour)
	want := EventWindow{Source: "ehr", Events: 5, First: base.Add(time.Minute),
		Last: base.Add(31*time.Hour + time.Minute),
		Gaps: []EventGap{{From: base.Add(2 * time.Hour), To: base.Add(30 * time.Hour)}}}
	if diff := cmp.Diff(want, w); diff != "" {
		t.Errorf("window (-want +got):\n%s", diff)
	}
	if c := w.Covered(); c != 3*time.Hour {
		t.Errorf("covered %v, want 3h", c)
	}

	n, err := s.DeleteEventsBefore(context.Background(), "ehr", base.Add(time.Hour+2*time.Minute))
	if err != nil || n != 2 {
		t.Fatalf("deleted %d, %v; want 2", n, err)
	}
	w, _ = s.Window(context.Background(), "ehr")
	if w.Events != 3 || !w.First.Equal(base.Add(time.Hour+5*time.Minute)) {
		t.Errorf("after retention: %+v", w)
	}
	if none, _ := s.Window(context.Background(), "nothing"); none.Events != 0 || !none.First.IsZero() {
		t.Errorf("window of an unknown source: %+v", none)
	}
}

func TestExposuresRoundTrip(t *testing.T) {
	s := openTest(t)
	seg := segment("/logs/a.csv", 0, 100)
	b, err := s.LogWriter("ehr").Begin(context.Background(), seg)
	if err != nil {
		t.Fatal(err)
	}
	x := inventory.Exposure{Kind: inventory.ExposureRolePassword, Account: "legacy_md5_svc",
		Command: "ALTER ROLE", Verifier: true, Field: "statement", Source: "ehr", Time: evT0,
		SessionUser: "postgres", Database: "ehr", SessionID: "6b.1", ClientAddr: "[local]",
		Application: "psql", Pos: inventory.Position{File: "/logs/a.csv", Offset: 40, Line: 3}}
	y := x
	y.Kind, y.Account = inventory.ExposureDSN, "etl"
	for _, e := range []*inventory.Exposure{&x, &y} {
		if err := b.AddExposure(e); err != nil {
			t.Fatal(err)
		}
	}
	if bs, err := b.Commit(); err != nil || bs.Exposures != 2 {
		t.Fatalf("commit: %+v, %v", bs, err)
	}
	var got []inventory.Exposure
	s.Exposures(context.Background(), "ehr", func(e inventory.Exposure) error {
		got = append(got, e)
		return nil
	})
	if diff := cmp.Diff([]inventory.Exposure{x, y}, got); diff != "" {
		t.Errorf("exposures (-want +got):\n%s", diff)
	}
}

func TestLogSessions(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	b, err := s.LogWriter("ehr").Begin(ctx, segment("/logs/a.log", 0, 10))
	if err != nil {
		t.Fatal(err)
	}
	a := LogSession{PID: 7, SessionID: "x.7", Derived: true, Replication: true, User: "alice",
		Database: "ehr", Application: "DBeaver", ClientAddr: "10.0.0.1", ClientPort: 5000,
		Started: evT0, LastSeen: evT0.Add(time.Hour)}
	c := a
	c.PID, c.User, c.LastSeen = 8, "bob", evT0
	for _, ls := range []LogSession{a, c} {
		if err := b.PutSession(ls); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	got, err := s.LogSessions(ctx, "ehr")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]LogSession{a, c}, got); diff != "" {
		t.Errorf("sessions (-want +got):\n%s", diff)
	}

	b, _ = s.LogWriter("ehr").Begin(ctx, &logtail.Segment{Start: *new(logtail.Checkpoint),
		End: logtail.Checkpoint{ID: 1, Path: "/logs/a.log", ModTime: evT0}})
	if err := b.EndSession(7); err != nil {
		t.Fatal(err)
	}
	b.Commit()
	if err := s.PruneLogSessions(ctx, "ehr", evT0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.LogSessions(ctx, "ehr"); len(got) != 0 {
		t.Errorf("after end and prune: %+v", got)
	}
}
