package usage

import (
	"context"
	"errors"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wardsec/ward/internal/inventory"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// at returns t0 plus d.
func at(d time.Duration) time.Time { return t0.Add(d) }

// connect is a successful login of user from app and addr in session sess.
func connect(tm time.Time, user, app, addr, sess string) inventory.Event {
	return inventory.Event{Time: tm, Source: "ehr", User: user, Database: "ehr",
		Action: inventory.ActionConnect, Outcome: inventory.OutcomeSuccess,
		Application: app, ClientAddr: addr, SessionID: sess}
}

// row is a pgaudit row of session sess.
func row(tm time.Time, user, sess string, stmt int64, typ, class, cmd, obj string) inventory.Event {
	return inventory.Event{Time: tm, Source: "ehr", User: user, Database: "ehr",
		Action: inventory.ActionAudit, Outcome: inventory.OutcomeSuccess, Command: cmd,
		ObjectType: "TABLE", ObjectName: obj, SessionID: sess,
		Audit: inventory.AuditFields{Type: typ, StatementID: stmt, SubstatementID: 1, Class: class}}
}

func failed(tm time.Time, user, addr string) inventory.Event {
	return inventory.Event{Time: tm, Source: "ehr", User: user, Database: "ehr",
		Action: inventory.ActionAuthFailed, Outcome: inventory.OutcomeFailure,
		SQLState: "28P01", ClientAddr: addr}
}

func build(opt Options, evs ...inventory.Event) *Usage {
	b := NewBuilder("ehr", opt)
	for _, ev := range evs {
		b.Add(ev)
	}
	return b.Usage()
}

// useLines renders an account's uses as "object privilege count".
func useLines(a *Account) []string {
	var out []string
	for _, u := range a.Uses {
		out = append(out, u.Object+" "+u.Privilege+" "+strconv.FormatInt(u.Count, 10))
	}
	return out
}

func TestAuditRowsCountOncePerStatement(t *testing.T) {
	tests := []struct {
		name string
		evs  []inventory.Event
		want []string
	}{
		{
			name: "object and session rows of one statement",
			evs: []inventory.Event{
				row(at(0), "app", "s1", 1, "OBJECT", "READ", "SELECT", "clinical.patient"),
				row(at(0), "app", "s1", 1, "SESSION", "READ", "SELECT", "clinical.patient"),
			},
			want: []string{"clinical.patient SELECT 1"},
		},
		{
			name: "two statements",
			evs: []inventory.Event{
				row(at(0), "app", "s1", 1, "SESSION", "READ", "SELECT", "clinical.patient"),
				row(at(1), "app", "s1", 2, "SESSION", "READ", "SELECT", "clinical.patient"),
			},
			want: []string{"clinical.patient SELECT 2"},
		},
		{
			name: "same statement number in two sessions",
			evs: []inventory.Event{
				row(at(0), "app", "s1", 1, "SESSION", "READ", "SELECT", "clinical.patient"),
				row(at(0), "app", "s2", 1, "SESSION", "READ", "SELECT", "clinical.patient"),
			},
			want: []string{"clinical.patient SELECT 2"},
		},
		{
			name: "one statement, two relations",
			evs: []inventory.Event{
				row(at(0), "app", "s1", 1, "SESSION", "WRITE", "INSERT", "clinical.encounter"),
				row(at(0), "app", "s1", 1, "SESSION", "READ", "INSERT", "clinical.patient"),
			},
			want: []string{"clinical.encounter INSERT 1", "clinical.patient SELECT 1"},
		},
		{
			name: "interleaved sessions keep their own last row",
			evs: []inventory.Event{
				row(at(0), "app", "s1", 1, "OBJECT", "READ", "SELECT", "clinical.patient"),
				row(at(0), "app", "s2", 7, "SESSION", "READ", "SELECT", "clinical.patient"),
				row(at(0), "app", "s1", 1, "SESSION", "READ", "SELECT", "clinical.patient"),
			},
			want: []string{"clinical.patient SELECT 2"},
		},
		{
			name: "a session's statement numbers restart after it ends",
			evs: []inventory.Event{
				row(at(0), "app", "s1", 1, "SESSION", "READ", "SELECT", "clinical.patient"),
				{Time: at(1), Source: "ehr", User: "app", SessionID: "s1",
					Action: inventory.ActionDisconnect},
				row(at(2), "app", "s1", 1, "SESSION", "READ", "SELECT", "clinical.patient"),
			},
			want: []string{"clinical.patient SELECT 2"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := build(Options{}, tt.evs...).Account("app")
			if d := cmp.Diff(tt.want, useLines(a)); d != "" {
				t.Errorf("uses (-want +got):\n%s", d)
			}
		})
	}
}

func TestAccountDetails(t *testing.T) {
	read := row(at(2*time.Hour), "app", "s2", 1, "SESSION", "READ", "SELECT", "clinical.patient")
	read.Application, read.ClientAddr = "ehr-api/2.4", "10.0.0.5"
	read.Audit.Rows, read.Audit.HasRows = 40, true
	// A refused statement of a session whose login is in no log: it
	// carries neither program nor address.
	denied := inventory.Event{Time: at(3 * time.Hour), Source: "ehr", User: "app",
		Database: "ehr", Action: inventory.ActionStatement, Outcome: inventory.OutcomeFailure,
		SQLState: "42501", Command: "DELETE", ObjectType: "TABLE", ObjectName: "patient",
		SessionID: "s9"}
	u := build(Options{},
		connect(at(0), "app", "ehr-api/2.3", "10.0.0.5", "s1"),
		connect(at(2*time.Hour), "app", "ehr-api/2.4", "10.0.0.5", "s2"),
		read,
		connect(at(3*time.Hour), "app", "psql", "192.0.2.7", "s3"),
		denied,
		failed(at(4*time.Hour), "app", "192.0.2.7"),
		failed(at(4*time.Hour), "app", "192.0.2.7"),
		failed(at(5*time.Hour), "app", "192.0.2.8"),
	)
	h := func(n int) time.Time { return at(time.Duration(n) * time.Hour) }
	want := &Account{
		Name: "app", FirstSeen: h(0), LastSeen: h(5), LastActive: h(3), Events: 8, Rows: 40,
		Logins: Logins{Sessions: 3, First: h(0), Last: h(3), Failed: 3,
			FirstFailed: h(4), LastFailed: h(5)},
		Uses: []Use{{Database: "ehr", ObjectType: "TABLE", Object: "clinical.patient",
			Privilege: "SELECT", Count: 1, First: h(2), Last: h(2)}},
		Denied: []Use{{Database: "ehr", ObjectType: "TABLE", Object: "patient",
			Privilege: "DELETE", Count: 1, First: h(3), Last: h(3)}},
		Programs: []Program{
			{Name: "ehr-api/2.3", Family: "ehr-api", Addresses: []string{"10.0.0.5"},
				Seen: Seen{Sessions: 1, Events: 1, First: h(0), Last: h(0)}},
			{Name: "ehr-api/2.4", Family: "ehr-api", Addresses: []string{"10.0.0.5"},
				Seen: Seen{Sessions: 1, Events: 2, First: h(2), Last: h(2)}},
			{Name: "psql", Family: "psql", Interactive: true, Addresses: []string{"192.0.2.7"},
				Seen: Seen{Sessions: 1, Events: 1, First: h(3), Last: h(3)}},
		},
		Addresses: []Address{
			{Addr: "10.0.0.5", Seen: Seen{Sessions: 2, Events: 3, First: h(0), Last: h(2)}},
			{Addr: "192.0.2.7", Seen: Seen{Sessions: 1, Events: 1, First: h(3), Last: h(3)}},
		},
		FailedFrom: []Address{
			{Addr: "192.0.2.7", Seen: Seen{Events: 2, First: h(4), Last: h(4)}},
			{Addr: "192.0.2.8", Seen: Seen{Events: 1, First: h(5), Last: h(5)}},
		},
		Failures: []FailureCount{{Time: h(4), Count: 2}, {Time: h(5), Count: 1}},
	}
	// t0 is 09:00 UTC.
	want.Hours[9], want.Hours[11], want.Hours[12], want.Hours[13], want.Hours[14] = 1, 2, 2, 2, 1
	if d := cmp.Diff(want, u.Account("app")); d != "" {
		t.Errorf("account (-want +got):\n%s", d)
	}
}

func TestWindowAndGaps(t *testing.T) {
	evs := []inventory.Event{
		connect(at(0), "app", "api", "10.0.0.5", "a"),
		connect(at(90*time.Minute), "app", "api", "10.0.0.5", "b"),
		// 30 hours of silence, then two events in one hour.
		connect(at(120*time.Hour), "app", "api", "10.0.0.5", "c"),
		connect(at(120*time.Hour+10*time.Minute), "app", "api", "10.0.0.5", "d"),
		// Exactly 24 hours later: a gap at the threshold counts.
		connect(at(144*time.Hour+10*time.Minute), "app", "api", "10.0.0.5", "e"),
	}
	// 23h59m later: not a gap.
	evs = append(evs, connect(at(168*time.Hour+9*time.Minute), "app", "api", "10.0.0.5", "f"))
	want := Window{
		Start: at(0), End: at(168*time.Hour + 9*time.Minute), Events: 6,
		GapAfter: DefaultGapAfter,
		Gaps: []Gap{
			{Start: at(90 * time.Minute), End: at(120 * time.Hour)},
			{Start: at(120*time.Hour + 10*time.Minute), End: at(144*time.Hour + 10*time.Minute)},
		},
	}
	u := build(Options{}, evs...)
	if d := cmp.Diff(want, u.Window); d != "" {
		t.Errorf("window (-want +got):\n%s", d)
	}

	t.Run("any order", func(t *testing.T) {
		r := rand.New(rand.NewPCG(1, 2))
		shuffled := append([]inventory.Event{}, evs...)
		r.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		if d := cmp.Diff(u, build(Options{}, shuffled...)); d != "" {
			t.Errorf("usage depends on event order (-sorted +shuffled):\n%s", d)
		}
	})

	t.Run("covered", func(t *testing.T) {
		w := u.Window
		tests := []struct {
			name     string
			from, to time.Time
			want     time.Duration
		}{
			{"whole window", w.Start, w.End, w.Span() - (120*time.Hour - 90*time.Minute) -
				24*time.Hour},
			{"before the window", at(-48 * time.Hour), at(-time.Hour), 0},
			{"first 90 minutes", at(-time.Hour), at(90 * time.Minute), 90 * time.Minute},
			{"inside the first gap", at(10 * time.Hour), at(20 * time.Hour), 0},
			{"across the end", at(168 * time.Hour), at(200 * time.Hour), 9 * time.Minute},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if got := w.Covered(tt.from, tt.to); got != tt.want {
					t.Errorf("Covered = %v, want %v", got, tt.want)
				}
			})
		}
		if (Window{}).Covered(at(0), at(time.Hour)) != 0 {
			t.Error("an empty window covers something")
		}
	})

	t.Run("gap threshold", func(t *testing.T) {
		u := build(Options{GapAfter: time.Minute}, evs...)
		if u.Window.GapAfter != MinGapAfter {
			t.Errorf("GapAfter = %v, want the minimum %v", u.Window.GapAfter, MinGapAfter)
		}
		if len(u.Window.Gaps) != 3 {
			t.Errorf("gaps of 2h or more = %d, want 3: %+v", len(u.Window.Gaps), u.Window.Gaps)
		}
	})
}

func TestScannerAndForeignEvents(t *testing.T) {
	evs := []inventory.Event{
		connect(at(0), "ward_scanner", ScannerApplication, "10.9.9.9", "a"),
		connect(at(time.Hour), "app", ScannerApplication, "10.0.0.5", "b"),
		connect(at(2*time.Hour), "app", "api", "10.0.0.5", "c"),
		{Time: at(3 * time.Hour), Source: "other", User: "app", Action: inventory.ActionConnect},
	}
	tests := []struct {
		name     string
		opt      Options
		accounts []string
		excluded int64
	}{
		{"by application name", Options{}, nil, 2},
		{"only the scanner's logins", Options{ScannerUsers: []string{"ward_scanner"}},
			[]string{"app"}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := build(tt.opt, evs...)
			var names []string
			for _, a := range u.Accounts {
				names = append(names, a.Name)
			}
			if tt.accounts == nil {
				tt.accounts = []string{"app"}
			}
			if d := cmp.Diff(tt.accounts, names); d != "" {
				t.Errorf("accounts (-want +got):\n%s", d)
			}
			if u.Excluded != tt.excluded || u.Foreign != 1 {
				t.Errorf("excluded %d, foreign %d; want %d, 1", u.Excluded, u.Foreign, tt.excluded)
			}
			// Scanner sessions show the log was written: the window keeps
			// them; the other source's event is not counted.
			if !u.Window.Start.Equal(at(0)) || u.Window.Events != 3 {
				t.Errorf("window %+v", u.Window)
			}
			sessions := int64(1)
			if len(tt.opt.ScannerUsers) > 0 {
				sessions = 2
			}
			if got := u.Account("app").Logins.Sessions; got != sessions {
				t.Errorf("app sessions = %d, want %d", got, sessions)
			}
		})
	}
}

func TestOneAccountOption(t *testing.T) {
	u := build(Options{Account: "app"},
		connect(at(0), "other", "api", "10.0.0.9", "a"),
		connect(at(time.Hour), "app", "api", "10.0.0.5", "b"))
	if len(u.Accounts) != 1 || u.Accounts[0].Name != "app" {
		t.Errorf("accounts = %+v, want app only", u.Accounts)
	}
	if !u.Window.Start.Equal(at(0)) {
		t.Errorf("window start %v: the other account's event must still count", u.Window.Start)
	}
}

func TestExposuresOfThisSourceOnly(t *testing.T) {
	b := NewBuilder("ehr", Options{})
	b.AddExposures([]inventory.Exposure{
		{Kind: inventory.ExposureRolePassword, Account: "app", Source: "ehr"},
		{Kind: inventory.ExposureDSN, Source: "billing"},
		{Kind: inventory.ExposureURI, Account: "etl"},
	})
	var got []string
	for _, x := range b.Usage().Exposures {
		got = append(got, x.Account)
	}
	if d := cmp.Diff([]string{"app", "etl"}, got); d != "" {
		t.Errorf("exposures (-want +got):\n%s", d)
	}
}

func TestBuildFromIterator(t *testing.T) {
	evs := []inventory.Event{connect(at(0), "app", "api", "10.0.0.5", "a")}
	each := func(_ context.Context, source string, fn func(inventory.Event) error) error {
		if source != "ehr" {
			t.Errorf("asked for source %q", source)
		}
		for _, ev := range evs {
			if err := fn(ev); err != nil {
				return err
			}
		}
		return nil
	}
	u, err := Build(context.Background(), "ehr", Options{}, each, nil)
	if err != nil || u.Account("app") == nil {
		t.Fatalf("Build = %+v, %v", u, err)
	}

	boom := errors.New("store closed")
	_, err = Build(context.Background(), "ehr", Options{},
		func(context.Context, string, func(inventory.Event) error) error { return boom }, nil)
	if !errors.Is(err, boom) {
		t.Errorf("err = %v, want one wrapping %v", err, boom)
	}
}
