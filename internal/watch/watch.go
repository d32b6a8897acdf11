// Package watch is the engine of `ward watch`: it learns from events what
// each account usually does (its addresses, programs, hours of day,
// objects and volume), runs detectors against that baseline, and sends
// alerts, with repeats grouped.
//
// The detectors, with their alert's Detector name:
//
//   - interactive_use: a service account used from an interactive tool
//     (psql, DBeaver, pgAdmin, DataGrip…), once per session.
//   - role_change: a change of roles or privileges (GRANT, REVOKE, CREATE,
//     ALTER or DROP ROLE…) made by a service account or naming one.
//   - failed_login_burst: Config.FailedLogins refused logins of one
//     account within Config.FailedWindow.
//   - new_address, new_program: an address or program the account has not
//     used before (programs are compared by family, as usage.Family makes
//     them: "api/2.3.1" and "api/2.4.0" are one program).
//   - phi_first_touch: the first use by the account of a relation that
//     holds PHI.
//   - off_hours: activity in an hour of day (UTC) in which the account has
//     not been active before.
//   - volume_spike: more events in one minute than Config.VolumeFactor
//     times the account's usual rate per active minute, and at least
//     Config.VolumeMin.
//
// The first three need no baseline and fire from the first event. The
// others fire only once the account has been observed for
// Config.Learning (by the events' own times), so that a new deployment
// of ward does not report everything as new; a value that fired joins the
// baseline, so each new value is reported once.
//
// Alerts never carry statement, message or parameter text: the log
// parser redacts credentials but not PHI written in a query, so only
// names, addresses and counts leave this package.
package watch

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"

	"github.com/wardsec/ward/internal/inventory"
	"github.com/wardsec/ward/internal/usage"
	"github.com/wardsec/ward/internal/watch/alert"
)

// Defaults of Config.
const (
	DefaultLearning      = 7 * 24 * time.Hour
	DefaultGroupWindow   = 5 * time.Minute
	DefaultFailedLogins  = 5
	DefaultFailedWindow  = time.Minute
	DefaultVolumeFactor  = 10
	DefaultVolumeMin     = 300
	DefaultVolumeMinutes = 30
)

// Detector names.
const (
	DetectInteractive = "interactive_use"
	DetectRoleChange  = "role_change"
	DetectFailedLogin = "failed_login_burst"
	DetectNewAddress  = "new_address"
	DetectNewProgram  = "new_program"
	DetectPHITouch    = "phi_first_touch"
	DetectOffHours    = "off_hours"
	DetectVolumeSpike = "volume_spike"
)

// Config holds the thresholds of the detectors. Zero values take the
// defaults; a negative GroupWindow sends every alert ungrouped.
type Config struct {
	// Learning is how long an account is observed before the baseline
	// detectors report anything about it.
	Learning time.Duration
	// GroupWindow is how long repeats of an alert (same detector, account
	// and key) are counted into one summary instead of sent.
	GroupWindow time.Duration
	// FailedLogins refused logins within FailedWindow make a burst.
	FailedLogins int
	FailedWindow time.Duration
	// A minute is a spike when its events reach VolumeFactor times the
	// usual events per active minute and at least VolumeMin, once
	// VolumeMinutes active minutes have been learned.
	VolumeFactor  float64
	VolumeMin     int
	VolumeMinutes int64
}

func (c Config) withDefaults() Config {
	if c.Learning <= 0 {
		c.Learning = DefaultLearning
	}
	switch {
	case c.GroupWindow == 0:
		c.GroupWindow = DefaultGroupWindow
	case c.GroupWindow < 0:
		c.GroupWindow = 0
	}
	if c.FailedLogins <= 0 {
		c.FailedLogins = DefaultFailedLogins
	}
	if c.FailedWindow <= 0 {
		c.FailedWindow = DefaultFailedWindow
	}
	if c.VolumeFactor <= 0 {
		c.VolumeFactor = DefaultVolumeFactor
	}
	if c.VolumeMin <= 0 {
		c.VolumeMin = DefaultVolumeMin
	}
	if c.VolumeMinutes <= 0 {
		c.VolumeMinutes = DefaultVolumeMinutes
	}
	return c
}

// EngineOptions wire an Engine.
type EngineOptions struct {
	Config Config
	// Kind tells an account's kind; nil takes every account as unknown.
	Kind func(source, user string) inventory.Kind
	// PHI tells whether a relation ("db.schema.table") of a source holds
	// PHI; nil means none does.
	PHI func(source, key string) bool
	// Interactive tells whether an application_name is an interactive
	// tool; nil uses usage.Interactive, the list rule SA-INTERACTIVE-USE
	// uses.
	Interactive func(app string) bool
	// Baseline is the learned state to continue from; nil starts empty.
	Baseline *Baseline
	// Sink receives the alerts.
	Sink alert.Sink
	// Now is the clock of Raised and of the group windows; nil is
	// time.Now.
	Now func() time.Time
}

// EngineStats count what an engine did.
type EngineStats struct {
	Events int64 `json:"events"`
	// Alerts counts detections; Repeats those folded into summaries.
	Alerts  int64 `json:"alerts"`
	Repeats int64 `json:"repeats"`
}

// Engine runs the detectors over events. It is not safe for concurrent
// use: the caller serialises Handle, Tick, Flush and reads of Baseline.
type Engine struct {
	cfg         Config
	kind        func(source, user string) inventory.Kind
	phi         func(source, key string) bool
	interactive func(app string) bool
	base        *Baseline
	group       *grouper
	now         func() time.Time

	// sessions already reported for interactive use; roleSeen the role
	// statements already reported (pgaudit writes an OBJECT and a SESSION
	// row for one statement).
	sessions *boundedSet
	roleSeen *boundedSet
	// failures holds the recent refused logins per account ID.
	failures map[string][]time.Time
	// latest is the latest event time seen.
	latest time.Time
	stats  EngineStats
}

// NewEngine returns an engine wired by o.
func NewEngine(o EngineOptions) *Engine {
	e := &Engine{cfg: o.Config.withDefaults(), kind: o.Kind, phi: o.PHI,
		interactive: o.Interactive, base: o.Baseline, now: o.Now,
		sessions: newBoundedSet(20_000), roleSeen: newBoundedSet(20_000),
		failures: map[string][]time.Time{}}
	if e.kind == nil {
		e.kind = func(string, string) inventory.Kind { return inventory.KindUnknown }
	}
	if e.phi == nil {
		e.phi = func(string, string) bool { return false }
	}
	if e.interactive == nil {
		e.interactive = func(app string) bool {
			_, ok := usage.Interactive(app)
			return ok
		}
	}
	if e.base == nil {
		e.base = NewBaseline()
	}
	if e.now == nil {
		e.now = time.Now
	}
	send := func(alert.Alert) {}
	if o.Sink != nil {
		send = o.Sink.Send
	}
	e.group = &grouper{window: e.cfg.GroupWindow, send: send, groups: map[string]*group{}}
	return e
}

// Baseline returns the engine's baseline, for saving.
func (e *Engine) Baseline() *Baseline { return e.base }

// Stats returns what the engine has done so far.
func (e *Engine) Stats() EngineStats {
	st := e.stats
	st.Repeats = e.group.repeats
	return st
}

// Tick closes the group windows that have ended and forgets refused
// logins older than the failed-login window (by event time). Call it
// every second or so.
func (e *Engine) Tick() {
	e.group.tick(e.now())
	for id, ts := range e.failures {
		if len(ts) == 0 || ts[len(ts)-1].Before(e.latest.Add(-e.cfg.FailedWindow)) {
			delete(e.failures, id)
		}
	}
}

// Flush sends the summaries of every open group. Run does not call it at
// shutdown: it saves the open groups instead, so that a restart inside a
// window does not send their first alerts again.
func (e *Engine) Flush() { e.group.flush(e.now()) }

// openGroups returns the open alert groups, for saving.
func (e *Engine) openGroups() []SavedGroup { return e.group.save() }

// restoreGroups reopens saved alert groups and sends the summaries of
// those whose window has ended.
func (e *Engine) restoreGroups(gs []SavedGroup) { e.group.restore(gs, e.now()) }

// alertID derives a stable alert ID from its parts.
func alertID(parts ...string) string {
	h := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(h[:16])
}

// boundedSet remembers up to max keys, forgetting the oldest first.
type boundedSet struct {
	max  int
	m    map[string]struct{}
	ring []string
	next int
}

func newBoundedSet(max int) *boundedSet {
	return &boundedSet{max: max, m: make(map[string]struct{}), ring: make([]string, max)}
}

// add records k and reports whether it was new.
func (s *boundedSet) add(k string) bool {
	if _, ok := s.m[k]; ok {
		return false
	}
	if old := s.ring[s.next]; old != "" {
		delete(s.m, old)
	}
	s.ring[s.next] = k
	s.next = (s.next + 1) % s.max
	s.m[k] = struct{}{}
	return true
}
