package watch

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/wardsec/ward/internal/inventory"
	"github.com/wardsec/ward/internal/usage"
	"github.com/wardsec/ward/internal/watch/alert"
)

// check is one event on its way through the detectors.
type check struct {
	ev      *inventory.Event
	id      string // account ID
	kind    inventory.Kind
	acct    *Account // nil before the account's first event
	learned bool
	object  string // "db.schema.table" touched, or ""
	program string // the application's family (usage.Family)
	now     time.Time
}

func (c *check) service() bool { return c.kind == inventory.KindService }

// bySeverity picks the severity for a service account or for others.
func (c *check) bySeverity(service, other inventory.Severity) inventory.Severity {
	if c.service() {
		return service
	}
	return other
}

// Handle runs the detectors over one event, then adds it to the baseline.
// Events without a user are counted and otherwise ignored.
func (e *Engine) Handle(ev inventory.Event) {
	e.stats.Events++
	if ev.User == "" {
		return
	}
	if ev.Time.After(e.latest) {
		e.latest = ev.Time
	}
	c := &check{ev: &ev, id: inventory.AccountID(ev.Source, ev.User), now: e.now()}
	c.kind = e.kind(ev.Source, ev.User)
	if ev.Action == inventory.ActionAuthFailed {
		e.failedLogin(c)
		return
	}
	c.acct = e.base.Accounts[c.id]
	c.learned = c.acct.learned(ev.Time, e.cfg.Learning)
	c.object = objectKey(&ev)
	c.program = programOf(ev.Application)

	// "connection authenticated" precedes "connection authorized" with
	// the same fields; the detectors look at the second only.
	if ev.Action != inventory.ActionAuthenticated {
		interactive := e.interactiveUse(c)
		e.roleChange(c)
		if c.learned {
			e.newAddress(c)
			if !interactive {
				e.newProgram(c)
			}
			e.phiFirstTouch(c)
			e.offHours(c)
		}
	}

	if c.acct == nil {
		if c.acct = e.base.account(c.id, ev.Time); c.acct == nil {
			return
		}
	}
	n := c.acct.minuteCount(ev.Time)
	if c.learned {
		e.volumeSpike(c, n)
	}
	c.acct.observe(&ev, c.object)
}

// raise builds an alert from the check's event and offers it to the
// grouper. Only names, addresses and counts are copied.
func (e *Engine) raise(c *check, detector string, sev inventory.Severity, key, summary string,
	extra func(*alert.Alert)) {
	ev := c.ev
	a := alert.Alert{
		Raised: c.now, Time: ev.Time, Detector: detector, Severity: sev,
		Source: alert.Clean(ev.Source), Account: alert.Clean(c.id), User: alert.Clean(ev.User),
		Kind: c.kind, Key: alert.Clean(key), Summary: alert.Clean(summary), Count: 1,
		Database: alert.Clean(ev.Database), ClientAddr: alert.Clean(ev.ClientAddr),
		Application: alert.Clean(ev.Application), SessionID: alert.Clean(ev.SessionID),
		Outcome: ev.Outcome,
		Pos: inventory.Position{File: alert.Clean(ev.Pos.File), Offset: ev.Pos.Offset,
			Line: ev.Pos.Line},
	}
	if extra != nil {
		extra(&a)
	}
	a.ID = alertID(detector, c.id, key, ev.Pos.File, strconv.FormatInt(ev.Pos.Offset, 10),
		ev.Time.Format(time.RFC3339Nano))
	e.stats.Alerts++
	e.group.offer(a, c.now)
}

// interactiveUse reports a service account used from an interactive
// tool, once per session. It returns whether the program is interactive.
func (e *Engine) interactiveUse(c *check) bool {
	ev := c.ev
	if !c.service() || !e.interactive(ev.Application) {
		return false
	}
	session := ev.SessionID
	if session == "" && ev.PID != 0 {
		session = "pid:" + strconv.Itoa(ev.PID)
	}
	if session != "" && !e.sessions.add(ev.Source+"/"+session) {
		return true
	}
	summary := fmt.Sprintf("service account %s used from interactive program %q", ev.User,
		alert.Clean(ev.Application))
	if ev.ClientAddr != "" {
		summary += " at " + ev.ClientAddr
	}
	e.raise(c, DetectInteractive, inventory.SeverityHigh, c.program, summary, nil)
	return true
}

// roleChange reports a change of roles or privileges made by a service
// account or acting on one.
func (e *Engine) roleChange(c *check) {
	ev := c.ev
	rc, ok := roleChangeOf(ev)
	if !ok {
		return
	}
	var services []string
	for _, t := range rc.targets {
		if t != "PUBLIC" && t != "ALL" && e.kind(ev.Source, t) == inventory.KindService {
			services = append(services, t)
		}
	}
	if !c.service() && len(services) == 0 {
		return
	}
	dedupe := ev.Source + "/" + ev.SessionID + "/" + ev.StatementSHA256
	if ev.Action == inventory.ActionAudit && ev.Audit.StatementID > 0 {
		dedupe = fmt.Sprintf("%s/%s/audit/%d/%d", ev.Source, ev.SessionID,
			ev.Audit.StatementID, ev.Audit.SubstatementID)
	}
	if ev.SessionID != "" && !e.roleSeen.add(dedupe) {
		return
	}
	on := "roles not named in the log"
	if len(rc.targets) > 0 {
		on = strings.Join(rc.targets, ", ")
	}
	var summary string
	sev := inventory.SeverityMedium
	if c.service() {
		sev = inventory.SeverityHigh
		summary = fmt.Sprintf("service account %s ran %s on %s", ev.User, rc.command, on)
	} else {
		summary = fmt.Sprintf("%s ran %s on service account(s) %s", ev.User, rc.command,
			strings.Join(services, ", "))
	}
	if ev.Outcome == inventory.OutcomeFailure {
		summary += " (refused)"
	}
	key := rc.command + ":" + strings.Join(rc.targets, ",")
	e.raise(c, DetectRoleChange, sev, key, summary, func(a *alert.Alert) {
		a.Command = rc.command
		for _, t := range rc.targets {
			a.Targets = append(a.Targets, alert.Clean(t))
		}
	})
}

// failedLogin counts a refused login and reports a burst.
func (e *Engine) failedLogin(c *check) {
	ts := append(e.failures[c.id], c.ev.Time)
	cut := 0
	for cut < len(ts) && c.ev.Time.Sub(ts[cut]) > e.cfg.FailedWindow {
		cut++
	}
	ts = ts[cut:]
	if len(ts) < e.cfg.FailedLogins {
		e.failures[c.id] = ts
		return
	}
	delete(e.failures, c.id)
	summary := fmt.Sprintf("%d refused logins for %s within %s", len(ts), c.ev.User,
		e.cfg.FailedWindow)
	if c.ev.ClientAddr != "" {
		summary += ", the last from " + c.ev.ClientAddr
	}
	e.raise(c, DetectFailedLogin, c.bySeverity(inventory.SeverityHigh, inventory.SeverityMedium),
		"", summary, func(a *alert.Alert) {
			a.Observed, a.Threshold = len(ts), e.cfg.FailedLogins
		})
}

// newAddress reports an address the account has not used before.
func (e *Engine) newAddress(c *check) {
	addr := c.ev.ClientAddr
	if !isNew(c.acct.Addresses, addr, maxAddresses) {
		return
	}
	e.raise(c, DetectNewAddress, c.bySeverity(inventory.SeverityMedium, inventory.SeverityLow),
		addr, fmt.Sprintf("%s used from a new address %s", c.ev.User, addr), nil)
}

// newProgram reports a program the account has not used before.
func (e *Engine) newProgram(c *check) {
	if !isNew(c.acct.Programs, c.program, maxPrograms) {
		return
	}
	e.raise(c, DetectNewProgram, c.bySeverity(inventory.SeverityMedium, inventory.SeverityLow),
		c.program, fmt.Sprintf("%s used from a new program %q", c.ev.User,
			alert.Clean(c.ev.Application)), nil)
}

// phiFirstTouch reports the first use of a PHI relation by the account.
func (e *Engine) phiFirstTouch(c *check) {
	if !isNew(c.acct.Objects, c.object, maxObjects) || !e.phi(c.ev.Source, c.object) {
		return
	}
	what := c.ev.Command
	if what == "" {
		what = string(c.ev.Action)
	}
	summary := fmt.Sprintf("%s used PHI %s %s for the first time (%s)", c.ev.User,
		strings.ToLower(c.ev.ObjectType), c.object, what)
	if c.ev.Outcome == inventory.OutcomeFailure {
		summary += ", refused"
	}
	e.raise(c, DetectPHITouch, c.bySeverity(inventory.SeverityHigh, inventory.SeverityMedium),
		c.object, summary, func(a *alert.Alert) {
			a.ObjectType, a.Object = alert.Clean(c.ev.ObjectType), alert.Clean(c.object)
			a.Command = alert.Clean(c.ev.Command)
		})
}

// offHours reports activity in an hour of day (UTC) the account has not
// been active in.
func (e *Engine) offHours(c *check) {
	h := c.ev.Time.UTC().Hour()
	if c.acct.Hours[h] > 0 {
		return
	}
	e.raise(c, DetectOffHours, c.bySeverity(inventory.SeverityMedium, inventory.SeverityLow),
		fmt.Sprintf("%02d", h),
		fmt.Sprintf("%s active at %02d:00-%02d:59 UTC, outside its usual hours", c.ev.User, h, h),
		func(a *alert.Alert) { a.HourUTC = &h })
}

// volumeSpike reports the moment a minute's events reach the spike
// threshold; n is the count of the event's minute so far.
func (e *Engine) volumeSpike(c *check, n int) {
	a := c.acct
	if a.VolumeMinutes < e.cfg.VolumeMinutes {
		return
	}
	th := max(e.cfg.VolumeMin, int(math.Ceil(e.cfg.VolumeFactor*a.VolumeMean)))
	if n != th {
		return
	}
	summary := fmt.Sprintf("%s logged %d events in the minute from %s UTC, usually %.0f "+
		"per active minute", c.ev.User, n, a.Minute.UTC().Format("15:04"), a.VolumeMean)
	e.raise(c, DetectVolumeSpike, c.bySeverity(inventory.SeverityMedium, inventory.SeverityLow),
		"", summary, func(al *alert.Alert) { al.Observed, al.Threshold = n, th })
}

// programOf returns the family of an application_name (usage.Family):
// the tool for an interactive one, else the name without its version, so
// that an upgrade is not a new program.
func programOf(app string) string {
	return alert.Clean(usage.Family(app))
}
