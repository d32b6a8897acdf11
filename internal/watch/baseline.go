package watch

import (
	"time"

	"github.com/wardsec/ward/internal/inventory"
)

// Bounds of a baseline. A set that reaches its bound stops learning and
// its detector stops firing for that account: an account seen from 1,000
// addresses has no usual address.
const (
	maxAccounts  = 100_000
	maxAddresses = 1000
	maxPrograms  = 200
	maxObjects   = 5000
)

// volumeAlpha weighs the latest active minute in the running mean of
// events per active minute (an exponentially weighted mean).
const volumeAlpha = 0.05

// Baseline is what ward has learned of each account's usual behaviour
// from its events. It is saved between runs. It is not safe for concurrent
// use.
type Baseline struct {
	// Accounts maps an account ID ("ehr/etl_loader") to its baseline.
	Accounts map[string]*Account `json:"accounts"`
}

// Account is the learned behaviour of one account. The sets map a value
// to the number of events that showed it.
type Account struct {
	FirstSeen time.Time        `json:"first_seen"`
	LastSeen  time.Time        `json:"last_seen"`
	Events    int64            `json:"events"`
	Addresses map[string]int64 `json:"addresses,omitempty"`
	Programs  map[string]int64 `json:"programs,omitempty"`
	// Objects are the relations touched, as "database.schema.table".
	Objects map[string]int64 `json:"objects,omitempty"`
	// Hours counts events per hour of day, UTC.
	Hours [24]int64 `json:"hours"`
	// Minute is the minute being counted and MinuteEvents its events so
	// far; VolumeMean is the mean of events per active minute over
	// VolumeMinutes minutes.
	Minute        time.Time `json:"minute"`
	MinuteEvents  int       `json:"minute_events"`
	VolumeMean    float64   `json:"volume_mean"`
	VolumeMinutes int64     `json:"volume_minutes"`
}

// NewBaseline returns an empty baseline.
func NewBaseline() *Baseline { return &Baseline{Accounts: map[string]*Account{}} }

// account returns the baseline of id, creating it at t; nil when the
// baseline is full.
func (b *Baseline) account(id string, t time.Time) *Account {
	if a := b.Accounts[id]; a != nil {
		return a
	}
	if len(b.Accounts) >= maxAccounts {
		return nil
	}
	a := &Account{FirstSeen: t, LastSeen: t}
	b.Accounts[id] = a
	return a
}

// learned reports whether the account has been observed for the learning
// period by t (event time).
func (a *Account) learned(t time.Time, period time.Duration) bool {
	return a != nil && t.Sub(a.FirstSeen) >= period
}

// isNew reports whether v is a value the set has not seen, in a set that
// still learns.
func isNew(set map[string]int64, v string, max int) bool {
	if v == "" {
		return false
	}
	_, seen := set[v]
	return !seen && len(set) < max
}

// add counts v in *set, creating the set; a full set only counts values
// it has.
func add(set *map[string]int64, v string, max int) {
	if v == "" {
		return
	}
	if *set == nil {
		*set = map[string]int64{}
	}
	if _, seen := (*set)[v]; seen || len(*set) < max {
		(*set)[v]++
	}
}

// minuteCount advances the volume counter to ev's minute and counts ev. It
// returns the events of the current minute so far. A late event (from an
// earlier minute) counts in the current one.
func (a *Account) minuteCount(t time.Time) int {
	m := t.Truncate(time.Minute)
	if m.After(a.Minute) {
		if a.MinuteEvents > 0 && !a.Minute.IsZero() {
			a.foldMinute()
		}
		a.Minute, a.MinuteEvents = m, 0
	}
	a.MinuteEvents++
	return a.MinuteEvents
}

// foldMinute adds the finished minute to the running mean.
func (a *Account) foldMinute() {
	n := float64(a.MinuteEvents)
	if a.VolumeMinutes == 0 {
		a.VolumeMean = n
	} else {
		a.VolumeMean += volumeAlpha * (n - a.VolumeMean)
	}
	a.VolumeMinutes++
}

// observe adds ev to the account's baseline. objectKey is the relation
// the event touched, "" when none.
func (a *Account) observe(ev *inventory.Event, objectKey string) {
	if ev.Time.Before(a.FirstSeen) {
		a.FirstSeen = ev.Time
	}
	if ev.Time.After(a.LastSeen) {
		a.LastSeen = ev.Time
	}
	a.Events++
	add(&a.Addresses, ev.ClientAddr, maxAddresses)
	add(&a.Programs, programOf(ev.Application), maxPrograms)
	add(&a.Objects, objectKey, maxObjects)
	a.Hours[ev.Time.UTC().Hour()]++
}
