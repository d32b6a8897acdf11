package usage

import (
	"slices"
	"strings"
	"time"
)

// Baseline says how an account's usual client addresses are learned.
//
// An account's baseline is made of its first Days days of sessions: every
// address seen then is usual. An address first seen later is usual too
// when it carries at least UsualShare of all the account's sessions (a new
// application server that took over). Any other address is unusual.
// Addresses are judged only once the account has at least MinSessions
// sessions and its sessions span more than Days, so that the baseline is
// complete and something came after it.
type Baseline struct {
	Days        int
	UsualShare  float64
	MinSessions int64
}

// DefaultBaseline is the baseline ward uses unless told otherwise: one
// week, 20 % of sessions, at least 10 sessions.
func DefaultBaseline() Baseline {
	return Baseline{Days: 7, UsualShare: 0.20, MinSessions: 10}
}

// withDefaults fills the zero fields of b from DefaultBaseline.
func (b Baseline) withDefaults() Baseline {
	d := DefaultBaseline()
	if b.Days <= 0 {
		b.Days = d.Days
	}
	if b.UsualShare <= 0 {
		b.UsualShare = d.UsualShare
	}
	if b.MinSessions <= 0 {
		b.MinSessions = d.MinSessions
	}
	return b
}

// Period returns the baseline period of an account: its first session
// and the end of its first Days days.
func (b Baseline) Period(a *Account) (from, to time.Time) {
	b = b.withDefaults()
	from = a.Logins.First
	return from, from.Add(time.Duration(b.Days) * 24 * time.Hour)
}

// Judged reports whether a has enough history for its addresses to be
// judged: MinSessions sessions, spanning more than the baseline period.
func (b Baseline) Judged(a *Account) bool {
	b = b.withDefaults()
	_, end := b.Period(a)
	return a.Logins.Sessions >= b.MinSessions && a.Logins.Last.After(end)
}

// Usual reports whether addr is one of a's usual addresses. It is false
// for an address a never logged in from.
func (b Baseline) Usual(a *Account, addr string) bool {
	b = b.withDefaults()
	i, ok := slices.BinarySearchFunc(a.Addresses, addr, func(x Address, s string) int {
		return strings.Compare(x.Addr, s)
	})
	if !ok || a.Addresses[i].Sessions == 0 {
		return false
	}
	ad := a.Addresses[i]
	_, end := b.Period(a)
	if !ad.First.After(end) {
		return true
	}
	return a.Logins.Sessions > 0 &&
		float64(ad.Sessions)/float64(a.Logins.Sessions) >= b.UsualShare
}

// Unusual returns the addresses a logged in from that are not usual, in
// address order; nil when a's addresses cannot be judged yet.
func (b Baseline) Unusual(a *Account) []Address {
	if !b.Judged(a) {
		return nil
	}
	var out []Address
	for _, ad := range a.Addresses {
		if ad.Sessions > 0 && !b.Usual(a, ad.Addr) {
			out = append(out, ad)
		}
	}
	return out
}

// Burst is a run of failed logins: at least the threshold within the
// window, with overlapping runs merged.
type Burst struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	Count int64     `json:"count"`
}

// FailureBursts returns the bursts of a's failed logins: every stretch in
// which at least threshold failures fall within window of each other,
// with overlapping stretches merged. Count is the number of failures from
// Start to End. Times are to the second.
func (a *Account) FailureBursts(threshold int64, window time.Duration) []Burst {
	fs := a.Failures
	if threshold <= 0 || window <= 0 || len(fs) == 0 {
		return nil
	}
	var out []Burst
	j, inWin := 0, int64(0)
	for i := range fs {
		// Grow the window [fs[i], fs[i]+window) as far as it goes.
		if j < i {
			j, inWin = i, 0
		}
		for j < len(fs) && fs[j].Time.Sub(fs[i].Time) < window {
			inWin += fs[j].Count
			j++
		}
		if inWin >= threshold {
			start, end := fs[i].Time, fs[j-1].Time
			if n := len(out); n > 0 && !start.After(out[n-1].End) {
				out[n-1].End = later(out[n-1].End, end)
			} else {
				out = append(out, Burst{Start: start, End: end})
			}
		}
		inWin -= fs[i].Count
	}
	for k := range out {
		out[k].Count = a.failuresBetween(out[k].Start, out[k].End)
	}
	return out
}

// failuresBetween adds the failures from start to end, both included.
func (a *Account) failuresBetween(start, end time.Time) int64 {
	var n int64
	for _, f := range a.Failures {
		if !f.Time.Before(start) && !f.Time.After(end) {
			n += f.Count
		}
	}
	return n
}
