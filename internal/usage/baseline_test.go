package usage

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wardsec/ward/internal/inventory"
)

const day = 24 * time.Hour

// sessions returns n logins of app, one a day from start, from addr.
func sessions(start time.Duration, n int, addr string) []inventory.Event {
	return sessionsEvery(start, day, n, addr)
}

// sessionsEvery returns n logins of app, every interval from start.
func sessionsEvery(start, every time.Duration, n int, addr string) []inventory.Event {
	var out []inventory.Event
	for i := range n {
		out = append(out, connect(at(start+time.Duration(i)*every), "app", "api", addr, ""))
	}
	return out
}

func TestBaseline(t *testing.T) {
	var b Baseline // the defaults: 7 days, 20 %, 10 sessions
	tests := []struct {
		name    string
		evs     []inventory.Event
		judged  bool
		unusual []string
	}{
		{
			name:    "one address",
			evs:     sessions(0, 20, "10.0.0.5"),
			judged:  true,
			unusual: nil,
		},
		{
			name: "a new address after the first week, once",
			evs: append(sessions(0, 20, "10.0.0.5"),
				connect(at(12*day), "app", "api", "192.0.2.7", "")),
			judged:  true,
			unusual: []string{"192.0.2.7"},
		},
		{
			name: "two addresses from the start",
			evs: append(sessions(0, 20, "10.0.0.5"),
				sessions(time.Hour, 3, "10.0.0.6")...),
			judged: true,
		},
		{
			// A new application server that took over: a fifth of the
			// sessions or more makes it usual.
			name:   "a new address carrying many sessions",
			evs:    append(sessions(0, 20, "10.0.0.5"), sessions(10*day, 6, "10.0.0.7")...),
			judged: true,
		},
		{
			name:   "too few sessions",
			evs:    append(sessions(0, 5, "10.0.0.5"), connect(at(12*day), "app", "api", "192.0.2.7", "")),
			judged: false,
		},
		{
			name: "history shorter than the baseline",
			evs: append(sessionsEvery(0, time.Hour, 12, "10.0.0.5"),
				connect(at(6*day), "app", "api", "192.0.2.7", "")),
			judged: false,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := build(Options{}, tt.evs...).Account("app")
			if got := b.Judged(a); got != tt.judged {
				t.Errorf("Judged = %v, want %v", got, tt.judged)
			}
			var got []string
			for _, ad := range b.Unusual(a) {
				got = append(got, ad.Addr)
			}
			if d := cmp.Diff(tt.unusual, got); d != "" {
				t.Errorf("unusual (-want +got):\n%s", d)
			}
		})
	}
	t.Run("never seen", func(t *testing.T) {
		a := build(Options{}, sessions(0, 20, "10.0.0.5")...).Account("app")
		if b.Usual(a, "10.0.0.99") {
			t.Error("an address never seen is usual")
		}
	})
}

func TestFailureBursts(t *testing.T) {
	fails := func(offsets ...time.Duration) *Account {
		var evs []inventory.Event
		for _, o := range offsets {
			evs = append(evs, failed(at(o), "app", "192.0.2.7"))
		}
		return build(Options{}, evs...).Account("app")
	}
	m := time.Minute
	tests := []struct {
		name string
		a    *Account
		want []Burst
	}{
		{"four in ten minutes", fails(0, m, 2*m, 3*m), nil},
		{"five in ten minutes", fails(0, m, 2*m, 3*m, 9*m),
			[]Burst{{Start: at(0), End: at(9 * m), Count: 5}}},
		{"five spread over eleven minutes", fails(0, 3*m, 6*m, 9*m, 11*m), nil},
		{"five in one second", fails(0, 0, 0, 0, 0), []Burst{{Start: at(0), End: at(0), Count: 5}}},
		// Windows from 0 and from 4 minutes both hold five; they merge.
		{"a long run merges", fails(0, m, 2*m, 3*m, 4*m, 8*m, 9*m, 10*m, 11*m),
			[]Burst{{Start: at(0), End: at(11 * m), Count: 9}}},
		// The last three are not five within ten minutes of anything.
		{"a tail outside the window", fails(0, m, 2*m, 3*m, 4*m, 8*m, 12*m, 13*m, 14*m),
			[]Burst{{Start: at(0), End: at(8 * m), Count: 6}}},
		{"two runs apart", fails(0, m, 2*m, 3*m, 4*m, 60*m, 61*m, 62*m, 63*m, 64*m),
			[]Burst{{Start: at(0), End: at(4 * m), Count: 5},
				{Start: at(60 * m), End: at(64 * m), Count: 5}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if d := cmp.Diff(tt.want, tt.a.FailureBursts(5, 10*m)); d != "" {
				t.Errorf("bursts (-want +got):\n%s", d)
			}
		})
	}
	if fails(0).FailureBursts(0, time.Minute) != nil {
		t.Error("a zero threshold found bursts")
	}
}
