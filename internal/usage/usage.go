package usage

import (
	"slices"
	"strings"
	"time"

	"github.com/wardsec/ward/internal/inventory"
)

// Usage is what the accounts of one source did over an observation window.
type Usage struct {
	Source string `json:"source"`
	Window Window `json:"window"`
	// Accounts are sorted by name. An account is every login user named by
	// an event, including failed logins of roles that do not exist.
	Accounts []*Account `json:"accounts"`
	// Exposures are the credentials the logs held in clear text, as the
	// parser reported them (never the credential itself).
	Exposures []inventory.Exposure `json:"exposures,omitempty"`
	// AuditRecords counts the pgaudit rows read. Zero means the logs hold no
	// audit record, so no privilege use could be observed at all.
	AuditRecords int64 `json:"audit_records"`
	// Excluded counts the events of ward's own scanner sessions, which are
	// left out of the accounts.
	Excluded int64 `json:"excluded"`
	// Foreign counts events of another source, which were ignored.
	Foreign int64 `json:"foreign,omitempty"`
}

// Account returns the usage of the login called name, or nil when no event
// names it.
func (u *Usage) Account(name string) *Account {
	if u == nil {
		return nil
	}
	i, ok := slices.BinarySearchFunc(u.Accounts, name, func(a *Account, n string) int {
		return strings.Compare(a.Name, n)
	})
	if !ok {
		return nil
	}
	return u.Accounts[i]
}

// Window is the stretch of time a source's events cover.
type Window struct {
	// Start and End are the times of the earliest and latest event; both
	// are zero when there was none.
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	// Events counts every event read, ward's own scanner sessions included.
	Events int64 `json:"events"`
	// GapAfter is the shortest silence counted as a gap.
	GapAfter time.Duration `json:"gap_after"`
	// Gaps are the silences of at least GapAfter between Start and End, in
	// time order.
	Gaps []Gap `json:"gaps,omitempty"`
}

// Gap is a silence in a source's logs: no event at all between Start (the
// last event before it) and End (the first event after it). A server that
// was down, a log file that is missing or was not ingested, or a quiet
// night all look the same.
type Gap struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

// Duration is how long the gap lasted.
func (g Gap) Duration() time.Duration { return g.End.Sub(g.Start) }

// Empty reports whether the window holds no event.
func (w Window) Empty() bool { return w.Events == 0 || w.Start.IsZero() }

// Span is the time from the first to the last event.
func (w Window) Span() time.Duration {
	if w.Empty() {
		return 0
	}
	return w.End.Sub(w.Start)
}

// Covered returns how much of [from, to] the logs cover: the part inside
// the window, less the gaps. It is zero when the window is empty or does
// not meet [from, to].
func (w Window) Covered(from, to time.Time) time.Duration {
	if w.Empty() {
		return 0
	}
	from, to = later(from, w.Start), earlier(to, w.End)
	if !from.Before(to) {
		return 0
	}
	d := to.Sub(from)
	for _, g := range w.Gaps {
		s, e := later(g.Start, from), earlier(g.End, to)
		if s.Before(e) {
			d -= e.Sub(s)
		}
	}
	return d
}

// Account is what one login did.
type Account struct {
	Name string `json:"name"`
	// FirstSeen and LastSeen are the times of its first and last event.
	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
	// LastActive is the time of its last event other than a failed
	// login: a session, a statement, a disconnection.
	LastActive time.Time `json:"last_active,omitzero"`
	// Events is its volume: every event of its sessions.
	Events int64 `json:"events"`
	// Rows adds the row counts pgaudit reported (pgaudit.log_rows).
	Rows   int64  `json:"rows,omitempty"`
	Logins Logins `json:"logins"`
	// Uses are the privileges used, and commands run, per object, sorted
	// by database, object, privilege.
	Uses []Use `json:"uses,omitempty"`
	// Denied are statements refused for lack of a privilege, per object.
	Denied []Use `json:"denied,omitempty"`
	// Programs are the application_name values of its sessions, by name.
	Programs []Program `json:"programs,omitempty"`
	// Addresses are the client addresses of its sessions, by address.
	// Sockets show as "[local]"; events whose address the log does not
	// give are not counted here.
	Addresses []Address `json:"addresses,omitempty"`
	// FailedFrom are the client addresses of its failed logins.
	FailedFrom []Address `json:"failed_from,omitempty"`
	// Hours counts its events by hour of the day, UTC.
	Hours [24]int64 `json:"hours"`
	// Failures counts its failed logins per second, in time order.
	Failures []FailureCount `json:"failures,omitempty"`
}

// Logins counts an account's sessions and refused logins.
type Logins struct {
	// Sessions counts successful logins ("connection authorized").
	Sessions int64     `json:"sessions"`
	First    time.Time `json:"first,omitzero"`
	Last     time.Time `json:"last,omitzero"`
	// Failed counts refused logins: wrong password, pg_hba.conf rejection,
	// unknown role.
	Failed      int64     `json:"failed"`
	FirstFailed time.Time `json:"first_failed,omitzero"`
	LastFailed  time.Time `json:"last_failed,omitzero"`
}

// Use is one privilege (or command) used on one object.
type Use struct {
	Database string `json:"database"`
	// ObjectType is as pgaudit or the error wrote it: TABLE, VIEW, SCHEMA,
	// DATABASE, FUNCTION...; empty for commands on no object.
	ObjectType string `json:"object_type,omitempty"`
	// Object is the object's name as logged: "schema.table" for relations,
	// the schema name for SCHEMA, the database name for DATABASE.
	Object string `json:"object,omitempty"`
	// Privilege is a privilege keyword (SELECT, INSERT, CREATE...) or,
	// for rows that need no grant, the command (ALTER TABLE, CREATE ROLE).
	Privilege string    `json:"privilege"`
	Count     int64     `json:"count"`
	First     time.Time `json:"first"`
	Last      time.Time `json:"last"`
}

// Resource returns the object's name in the form grants use:
// "database.schema.table" for a relation, "database.schema" for a schema,
// "database" for a database; empty for a command on no object.
func (u Use) Resource() string {
	switch {
	case u.Object == "":
		return ""
	case strings.EqualFold(u.ObjectType, "DATABASE"):
		return u.Object
	case u.Database == "":
		return u.Object
	}
	return u.Database + "." + u.Object
}

// Seen counts the sessions and events of one program or address.
type Seen struct {
	// Sessions counts the successful logins that carried it.
	Sessions int64     `json:"sessions"`
	Events   int64     `json:"events"`
	First    time.Time `json:"first"`
	Last     time.Time `json:"last"`
}

// Program is one application_name an account's sessions used.
type Program struct {
	// Name is the application_name as logged; empty when none was set.
	Name string `json:"name"`
	// Family groups the names of one program: an interactive tool's name
	// ("dbeaver"), or the name without its version ("ehr-api").
	Family string `json:"family"`
	// Interactive is true for a tool people use by hand (psql, DBeaver,
	// pgAdmin, DataGrip...), from the list in programs.txt.
	Interactive bool `json:"interactive"`
	// Addresses are the client addresses of its sessions, sorted; at most
	// MaxProgramAddresses are kept.
	Addresses []string `json:"addresses,omitempty"`
	Seen
}

// MaxProgramAddresses bounds the addresses kept per program.
const MaxProgramAddresses = 64

// Address is one client address an account came from.
type Address struct {
	Addr string `json:"addr"`
	Seen
}

// FailureCount is the number of failed logins in one second.
type FailureCount struct {
	Time  time.Time `json:"time"`
	Count int64     `json:"count"`
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func earlier(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// UseOf returns the use that shows privilege priv was exercised on a
// grant's resource ("database.schema.table", or a column
// "database.schema.table.column", judged by its table: pgaudit names the
// table, not the columns). ok is false when the logs show no such use.
func (a *Account) UseOf(priv, resourceType, resource string) (use Use, ok bool) {
	if a == nil {
		return Use{}, false
	}
	priv = strings.ToUpper(priv)
	if strings.EqualFold(resourceType, "column") {
		if i := strings.LastIndexByte(resource, '.'); i >= 0 {
			resource = resource[:i]
		}
	}
	for _, u := range a.Uses {
		if u.Privilege == priv && u.Resource() == resource {
			return u, true
		}
	}
	return Use{}, false
}
