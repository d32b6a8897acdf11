package watch

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/wardsec/ward/internal/inventory"
	"github.com/wardsec/ward/internal/watch/alert"
)

// t0 is the time of the first event of most tests.
var t0 = time.Date(2026, 3, 2, 14, 0, 0, 0, time.UTC)

// recorder is a sink that keeps what it is sent.
type recorder struct {
	mu     sync.Mutex
	alerts []alert.Alert
	ch     chan alert.Alert
}

func newRecorder() *recorder { return &recorder{ch: make(chan alert.Alert, 10_000)} }

func (r *recorder) Send(a alert.Alert) {
	r.mu.Lock()
	r.alerts = append(r.alerts, a)
	r.mu.Unlock()
	r.ch <- a
}

func (r *recorder) Close(context.Context) error { return nil }

func (r *recorder) all() []alert.Alert {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]alert.Alert(nil), r.alerts...)
}

// byDetector returns the alerts of one detector.
func (r *recorder) byDetector(d string) []alert.Alert {
	var out []alert.Alert
	for _, a := range r.all() {
		if a.Detector == d {
			out = append(out, a)
		}
	}
	return out
}

// sinkFunc is a sink made of a function.
type sinkFunc func(alert.Alert)

func (f sinkFunc) Send(a alert.Alert)          { f(a) }
func (f sinkFunc) Close(context.Context) error { return nil }

// clock is a settable clock.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

// kinds maps user names to kinds; others are unknown.
type kinds map[string]inventory.Kind

func (k kinds) kind(_, user string) inventory.Kind {
	if kind, ok := k[user]; ok {
		return kind
	}
	return inventory.KindUnknown
}

var testKinds = kinds{
	"etl_svc": inventory.KindService, "app_svc": inventory.KindService,
	"alice": inventory.KindHuman, "postgres": inventory.KindHuman,
}

// phiTables are the PHI relations of the tests.
var phiTables = map[string]bool{"ehr.clinical.patient": true, "ehr.clinical.encounter": true}

// testEngine is an engine with a 90-minute learning period, the test
// kinds and PHI tables, and a recorder.
func testEngine(t *testing.T, cfg Config) (*Engine, *recorder, *clock) {
	t.Helper()
	if cfg.Learning == 0 {
		cfg.Learning = 90 * time.Minute
	}
	rec := newRecorder()
	clk := &clock{t: t0}
	e := NewEngine(EngineOptions{Config: cfg, Kind: testKinds.kind,
		PHI:  func(_, key string) bool { return phiTables[key] },
		Sink: rec, Now: clk.now})
	return e, rec, clk
}

// event builds an event of user at t with the usual fields.
func event(t time.Time, user string, mods ...func(*inventory.Event)) inventory.Event {
	ev := inventory.Event{Time: t, Source: "ehr", User: user, Database: "ehr",
		Action: inventory.ActionAudit, Outcome: inventory.OutcomeSuccess,
		ClientAddr: "10.0.0.1", Application: "ehr-api/2.3.1", SessionID: "s1", PID: 100,
		Pos: inventory.Position{File: "/log/pg.csv", Offset: 1, Line: 1}}
	for _, m := range mods {
		m(&ev)
	}
	return ev
}

func withAddr(a string) func(*inventory.Event) {
	return func(ev *inventory.Event) { ev.ClientAddr = a }
}

func withApp(a string) func(*inventory.Event) {
	return func(ev *inventory.Event) { ev.Application = a }
}

func withSession(s string) func(*inventory.Event) {
	return func(ev *inventory.Event) { ev.SessionID = s }
}

func withAction(a inventory.Action) func(*inventory.Event) {
	return func(ev *inventory.Event) { ev.Action = a }
}

func withObject(name string) func(*inventory.Event) {
	return func(ev *inventory.Event) {
		ev.Command, ev.ObjectType, ev.ObjectName = "SELECT", "TABLE", name
	}
}

func withStatement(cmd, stmt string) func(*inventory.Event) {
	return func(ev *inventory.Event) {
		ev.Command, ev.Statement = cmd, stmt
		ev.Audit.Class = "ROLE"
	}
}

// learn feeds user's usual behaviour over two hours, past the 90-minute
// learning period (so each hour it uses is known by the time it has
// learned): one event a minute in hours 14 and 15 UTC, from 10.0.0.1 with
// ehr-api, on public.lookup. It returns a time in hour 15 after the last.
func learn(e *Engine, user string) time.Time {
	var t time.Time
	for i := 0; i < 120; i++ {
		t = t0.Add(time.Duration(i) * time.Minute)
		e.Handle(event(t, user, withObject("public.lookup")))
	}
	return t.Add(30 * time.Second)
}
