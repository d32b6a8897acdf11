package watch

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/wardsec/ward/internal/watch/alert"
)

func TestGrouper(t *testing.T) {
	mk := func(detector, account, key string, at time.Time) alert.Alert {
		return alert.Alert{ID: detector + account + key + at.String(), Detector: detector,
			Account: account, Key: key, Time: at, Count: 1, Summary: "s"}
	}
	w := 5 * time.Minute
	tests := []struct {
		name string
		// steps offer alerts at clock offsets; a nil alert ticks.
		steps []step
		flush bool
		// want lists the sent alerts as "key:count:grouped".
		want []string
	}{
		{
			name: "repeats within the window make one summary",
			steps: []step{
				{0, ptr(mk("d", "x", "k", t0))},
				{time.Minute, ptr(mk("d", "x", "k", t0.Add(time.Minute)))},
				{2 * time.Minute, ptr(mk("d", "x", "k", t0.Add(2*time.Minute)))},
				{w, nil},
			},
			want: []string{"k:1:false", "k:2:true"},
		},
		{
			name: "other keys and accounts are separate",
			steps: []step{
				{0, ptr(mk("d", "x", "k", t0))},
				{0, ptr(mk("d", "x", "j", t0))},
				{0, ptr(mk("d", "y", "k", t0))},
				{0, ptr(mk("e", "x", "k", t0))},
				{w, nil},
			},
			want: []string{"k:1:false", "j:1:false", "k:1:false", "k:1:false"},
		},
		{
			name: "after the window a repeat is new",
			steps: []step{
				{0, ptr(mk("d", "x", "k", t0))},
				{w + time.Second, ptr(mk("d", "x", "k", t0.Add(w)))},
			},
			want: []string{"k:1:false", "k:1:false"},
		},
		{
			name: "no repeats, no summary",
			steps: []step{
				{0, ptr(mk("d", "x", "k", t0))},
				{w, nil},
			},
			want: []string{"k:1:false"},
		},
		{
			name: "flush sends open summaries",
			steps: []step{
				{0, ptr(mk("d", "x", "k", t0))},
				{time.Second, ptr(mk("d", "x", "k", t0))},
			},
			flush: true,
			want:  []string{"k:1:false", "k:1:true"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []alert.Alert
			g := &grouper{window: w, groups: map[string]*group{},
				send: func(a alert.Alert) { got = append(got, a) }}
			for _, s := range tt.steps {
				if s.a == nil {
					g.tick(t0.Add(s.at))
					continue
				}
				g.offer(*s.a, t0.Add(s.at))
			}
			if tt.flush {
				g.flush(t0.Add(time.Hour))
			}
			var desc []string
			for _, a := range got {
				desc = append(desc, fmt.Sprintf("%s:%d:%v", a.Key, a.Count, a.Grouped))
			}
			if strings.Join(desc, " ") != strings.Join(tt.want, " ") {
				t.Errorf("sent %v, want %v", desc, tt.want)
			}
		})
	}
}

func TestGroupSummary(t *testing.T) {
	var got []alert.Alert
	g := &grouper{window: time.Minute, groups: map[string]*group{},
		send: func(a alert.Alert) { got = append(got, a) }}
	first := alert.Alert{ID: "first", Detector: "d", Account: "x", Summary: "x did d", Count: 1,
		Time: t0}
	g.offer(first, t0)
	for i := 1; i <= 3; i++ {
		a := first
		a.Time = t0.Add(time.Duration(i) * time.Second)
		g.offer(a, t0)
	}
	g.tick(t0.Add(time.Minute))
	if len(got) != 2 {
		t.Fatalf("sent %d", len(got))
	}
	s := got[1]
	if s.ID == "first" || s.GroupOf != "first" || s.Count != 3 ||
		!s.Time.Equal(t0.Add(time.Second)) || !s.LastTime.Equal(t0.Add(3*time.Second)) ||
		s.Summary != "repeated 3 more times within 1m0s: x did d" || g.repeats != 3 {
		t.Errorf("summary = %+v", s)
	}
}

func TestNoGrouping(t *testing.T) {
	var n int
	e := NewEngine(EngineOptions{Config: Config{GroupWindow: -1}, Kind: testKinds.kind,
		Sink: sinkFunc(func(alert.Alert) { n++ })})
	for _, s := range []string{"a", "b", "c"} {
		e.Handle(event(t0, "etl_svc", withApp("psql"), withSession(s)))
	}
	if n != 3 {
		t.Errorf("sent %d alerts, want 3 without grouping", n)
	}
}

// step offers an alert at a clock offset; a nil alert ticks instead.
type step struct {
	at time.Duration
	a  *alert.Alert
}

func ptr(a alert.Alert) *alert.Alert { return &a }

func TestGrouperSaveRestore(t *testing.T) {
	first := alert.Alert{ID: "first", Detector: "d", Account: "x", Key: "k", Summary: "x did d",
		Count: 1, Time: t0}
	repeat := first
	repeat.Time = t0.Add(time.Second)
	w := 5 * time.Minute
	tests := []struct {
		name   string
		window time.Duration
		// restoreAt is when the saved group is restored, after t0.
		restoreAt time.Duration
		// then offers the same alert again at restoreAt when set.
		then bool
		// want lists the sent alerts as "id:count:grouped" after restore,
		// and after a tick at the end of the window.
		want, wantAfter []string
	}{
		{name: "inside the window a repeat is counted", window: w, restoreAt: time.Minute,
			then: true, wantAfter: []string{"group_of=first:2:true"}},
		{name: "inside the window the saved count is kept", window: w, restoreAt: time.Minute,
			wantAfter: []string{"group_of=first:1:true"}},
		{name: "after the window the summary is sent at restore", window: w,
			restoreAt: w + time.Second, want: []string{"group_of=first:1:true"}},
		{name: "after the window a repeat is new", window: w, restoreAt: w + time.Second,
			then: true, want: []string{"group_of=first:1:true", "first:1:false"}},
		{name: "grouping off sends the summary at once", window: 0, restoreAt: time.Second,
			want: []string{"group_of=first:1:true"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := &grouper{window: w, groups: map[string]*group{},
				send: func(alert.Alert) {}}
			before.offer(first, t0)
			before.offer(repeat, t0.Add(time.Second))
			saved := before.save()
			if len(saved) != 1 || saved[0].Count != 1 || !saved[0].Sent.Equal(t0) ||
				saved[0].First.ID != "first" {
				t.Fatalf("saved %+v, want the group of first with 1 repeat", saved)
			}

			var got []string
			g := &grouper{window: tt.window, groups: map[string]*group{},
				send: func(a alert.Alert) {
					id := a.ID
					if a.Grouped {
						id = "group_of=" + a.GroupOf
					}
					got = append(got, fmt.Sprintf("%s:%d:%v", id, a.Count, a.Grouped))
				}}
			g.restore(saved, t0.Add(tt.restoreAt))
			if tt.then {
				g.offer(first, t0.Add(tt.restoreAt))
			}
			if strings.Join(got, " ") != strings.Join(tt.want, " ") {
				t.Errorf("after restore sent %v, want %v", got, tt.want)
			}
			got = nil
			g.tick(t0.Add(tt.restoreAt).Add(w))
			if strings.Join(got, " ") != strings.Join(tt.wantAfter, " ") {
				t.Errorf("after the window sent %v, want %v", got, tt.wantAfter)
			}
		})
	}
}
