package watch

import (
	"fmt"
	"sort"
	"time"

	"github.com/wardsec/ward/internal/watch/alert"
)

// grouper sends the first alert of each detector, account and key at
// once, counts its repeats for the group window, and sends one summary
// of them when the window ends. A window of 0 sends every alert.
type grouper struct {
	window time.Duration
	send   func(alert.Alert)
	groups map[string]*group
	// repeats counts alerts folded into summaries.
	repeats int64
}

type group struct {
	first alert.Alert
	// sent is when first was sent; the window ends at expires.
	sent, expires time.Time
	count         int
	// firstRepeat and lastRepeat are the event times of the repeats.
	firstRepeat, lastRepeat time.Time
}

func groupKey(a *alert.Alert) string {
	return a.Detector + "\x00" + a.Account + "\x00" + a.Key
}

// offer sends a, or counts it as a repeat of an open group.
func (g *grouper) offer(a alert.Alert, now time.Time) {
	if g.window <= 0 {
		g.send(a)
		return
	}
	k := groupKey(&a)
	if gr := g.groups[k]; gr != nil {
		if now.Before(gr.expires) {
			if gr.count == 0 || a.Time.Before(gr.firstRepeat) {
				gr.firstRepeat = a.Time
			}
			if a.Time.After(gr.lastRepeat) {
				gr.lastRepeat = a.Time
			}
			gr.count++
			g.repeats++
			return
		}
		g.close(k, gr, now)
	}
	g.groups[k] = &group{first: a, sent: now, expires: now.Add(g.window)}
	g.send(a)
}

// SavedGroup is an open alert group as the state file keeps it, so that
// a restart inside the group window neither sends its first alert again
// nor loses the count of its repeats.
type SavedGroup struct {
	// First is the alert sent when the group opened; its detector,
	// account and key are the group's key.
	First alert.Alert `json:"first"`
	// Sent is when First was sent, by ward's clock; the window runs from
	// it.
	Sent time.Time `json:"sent"`
	// Count is the number of repeats counted so far; FirstRepeat and
	// LastRepeat are their event times.
	Count       int       `json:"count"`
	FirstRepeat time.Time `json:"first_repeat,omitzero"`
	LastRepeat  time.Time `json:"last_repeat,omitzero"`
}

// save returns the open groups, ordered by key.
func (g *grouper) save() []SavedGroup {
	keys := make([]string, 0, len(g.groups))
	for k := range g.groups {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]SavedGroup, 0, len(keys))
	for _, k := range keys {
		gr := g.groups[k]
		out = append(out, SavedGroup{First: gr.first, Sent: gr.sent, Count: gr.count,
			FirstRepeat: gr.firstRepeat, LastRepeat: gr.lastRepeat})
	}
	return out
}

// restore reopens saved groups, their windows running from when their
// first alert was sent, then closes those whose window has ended by now,
// sending their summaries. A group already open is kept as it is. With
// grouping off, every restored group is closed at once.
func (g *grouper) restore(saved []SavedGroup, now time.Time) {
	defer func() {
		if g.window <= 0 {
			g.flush(now)
		}
	}()
	for _, sg := range saved {
		k := groupKey(&sg.First)
		if g.groups[k] != nil {
			continue
		}
		g.groups[k] = &group{first: sg.First, sent: sg.Sent, expires: sg.Sent.Add(g.window),
			count: sg.Count, firstRepeat: sg.FirstRepeat, lastRepeat: sg.LastRepeat}
	}
	g.tick(now)
}

// tick closes the groups whose window has ended.
func (g *grouper) tick(now time.Time) {
	for k, gr := range g.groups {
		if !now.Before(gr.expires) {
			g.close(k, gr, now)
		}
	}
}

// flush closes every group, as at shutdown.
func (g *grouper) flush(now time.Time) {
	for k, gr := range g.groups {
		g.close(k, gr, now)
	}
}

// close forgets a group and sends the summary of its repeats, if any.
func (g *grouper) close(k string, gr *group, now time.Time) {
	delete(g.groups, k)
	if gr.count == 0 {
		return
	}
	s := gr.first
	s.ID = alertID(s.ID, "group", fmt.Sprint(gr.count))
	s.Raised = now
	s.Time, s.LastTime = gr.firstRepeat, gr.lastRepeat
	s.Count = gr.count
	s.Grouped, s.GroupOf = true, gr.first.ID
	times := "times"
	if gr.count == 1 {
		times = "time"
	}
	s.Summary = fmt.Sprintf("repeated %d more %s within %s: %s", gr.count, times,
		g.window, gr.first.Summary)
	g.send(s)
}
