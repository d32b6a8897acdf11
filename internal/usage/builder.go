package usage

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/wardsec/ward/internal/inventory"
)

// Defaults of Options.
const (
	// DefaultGapAfter is the shortest silence of a source's logs reported
	// as a gap.
	DefaultGapAfter = 24 * time.Hour
	// MinGapAfter is the shortest GapAfter accepted: gaps are found from
	// the hours that hold events, which sees every silence of two hours or
	// more.
	MinGapAfter = 2 * time.Hour
	// ScannerApplication is the application_name of ward's own scanner
	// sessions (pgsource.ApplicationName).
	ScannerApplication = "ward-scanner"
)

// Options configure a Builder. The zero value works.
type Options struct {
	// GapAfter is the shortest silence counted as a gap (default 24 h, at
	// least MinGapAfter).
	GapAfter time.Duration
	// ScannerApplication is the application_name of ward's scanner
	// sessions, which are left out of the accounts (default
	// "ward-scanner").
	ScannerApplication string
	// ScannerUsers, when set, are the only logins whose scanner sessions
	// are left out; another login using the scanner's application_name is
	// counted like any session.
	ScannerUsers []string
	// Account, when set, keeps the details of that login only; the events
	// of the others still count towards the window. It bounds the memory
	// of a question about one account.
	Account string
}

// Builder accumulates the events of one source into a Usage. Events may
// come in any order; memory grows with the accounts, objects, programs,
// addresses and active hours seen, not with the number of events. A
// Builder is not safe for concurrent use.
type Builder struct {
	source   string
	opt      Options
	accounts map[string]*builderAccount
	// hours maps an hour (Unix time / 3600) to the first and last event
	// in it, for the gaps.
	hours     map[int64][2]time.Time
	win       Window
	audit     int64
	excluded  int64
	foreign   int64
	exposures []inventory.Exposure
	// lastAudit holds, per session, the last audit row counted, so that
	// the OBJECT and SESSION rows of one statement count once.
	lastAudit map[string]auditKey
}

// auditKey identifies the rows pgaudit writes for one statement and
// relation.
type auditKey struct {
	statement, substatement int64
	class, command, object  string
}

type builderAccount struct {
	a         Account
	uses      map[useKey]*Use
	denied    map[useKey]*Use
	programs  map[string]*Program
	addresses map[string]*Address
	failedAt  map[string]*Address
	failures  map[int64]int64
}

type useKey struct {
	db, typ, obj, priv string
}

// NewBuilder returns a Builder for the events of source.
func NewBuilder(source string, opt Options) *Builder {
	if opt.GapAfter <= 0 {
		opt.GapAfter = DefaultGapAfter
	}
	opt.GapAfter = max(opt.GapAfter, MinGapAfter)
	if opt.ScannerApplication == "" {
		opt.ScannerApplication = ScannerApplication
	}
	return &Builder{
		source:    source,
		opt:       opt,
		accounts:  map[string]*builderAccount{},
		hours:     map[int64][2]time.Time{},
		lastAudit: map[string]auditKey{},
		win:       Window{GapAfter: opt.GapAfter},
	}
}

// Build reads every event of source through each, which calls fn once per
// event (as the store's event iterator does), and returns the usage with
// the given exposures.
func Build(ctx context.Context, source string, opt Options,
	each func(ctx context.Context, source string, fn func(inventory.Event) error) error,
	exposures []inventory.Exposure) (*Usage, error) {
	b := NewBuilder(source, opt)
	err := each(ctx, source, func(ev inventory.Event) error {
		b.Add(ev)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read events of %s: %w", source, err)
	}
	b.AddExposures(exposures)
	return b.Usage(), nil
}

// AddExposures records credentials the source's logs held.
func (b *Builder) AddExposures(xs []inventory.Exposure) {
	for _, x := range xs {
		if x.Source == "" || x.Source == b.source {
			b.exposures = append(b.exposures, x)
		}
	}
}

// AddExposure records one credential the source's logs held.
func (b *Builder) AddExposure(x inventory.Exposure) { b.AddExposures([]inventory.Exposure{x}) }

// Add counts one event. Events without a time, and events of another
// source, are not counted.
func (b *Builder) Add(ev inventory.Event) {
	if ev.Source != "" && ev.Source != b.source {
		b.foreign++
		return
	}
	if ev.Time.IsZero() {
		return
	}
	t := ev.Time.UTC()
	b.window(t)
	if ev.Action == inventory.ActionAudit {
		b.audit++
	}
	if ev.Action == inventory.ActionDisconnect {
		defer delete(b.lastAudit, sessionOf(ev))
	}
	if ev.User == "" {
		return
	}
	if b.scanner(ev) {
		b.excluded++
		return
	}
	if b.opt.Account != "" && ev.User != b.opt.Account {
		return
	}
	b.account(ev.User).add(b, ev, t)
}

// scanner reports whether ev comes from one of ward's scanner sessions.
func (b *Builder) scanner(ev inventory.Event) bool {
	if ev.Application != b.opt.ScannerApplication {
		return false
	}
	return len(b.opt.ScannerUsers) == 0 || slices.Contains(b.opt.ScannerUsers, ev.User)
}

// window widens the window to t and notes t's hour.
func (b *Builder) window(t time.Time) {
	b.win.Events++
	if b.win.Start.IsZero() || t.Before(b.win.Start) {
		b.win.Start = t
	}
	if t.After(b.win.End) {
		b.win.End = t
	}
	h := floorDiv(t.Unix(), 3600)
	span, ok := b.hours[h]
	if !ok {
		b.hours[h] = [2]time.Time{t, t}
		return
	}
	if t.Before(span[0]) {
		span[0] = t
	}
	if t.After(span[1]) {
		span[1] = t
	}
	b.hours[h] = span
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

func (b *Builder) account(name string) *builderAccount {
	ba, ok := b.accounts[name]
	if !ok {
		ba = &builderAccount{
			a:         Account{Name: name},
			uses:      map[useKey]*Use{},
			denied:    map[useKey]*Use{},
			programs:  map[string]*Program{},
			addresses: map[string]*Address{},
			failedAt:  map[string]*Address{},
			failures:  map[int64]int64{},
		}
		b.accounts[name] = ba
	}
	return ba
}

// sessionOf names an event's session for the audit-row join: its session
// ID, or its process ID when the log has none.
func sessionOf(ev inventory.Event) string {
	if ev.SessionID != "" {
		return ev.SessionID
	}
	return fmt.Sprintf("pid %d", ev.PID)
}

// add counts one event of the account.
func (ba *builderAccount) add(b *Builder, ev inventory.Event, t time.Time) {
	a := &ba.a
	a.Events++
	a.Hours[t.Hour()]++
	if a.FirstSeen.IsZero() || t.Before(a.FirstSeen) {
		a.FirstSeen = t
	}
	if t.After(a.LastSeen) {
		a.LastSeen = t
	}

	switch ev.Action {
	case inventory.ActionAuthFailed:
		a.Logins.Failed++
		a.Logins.FirstFailed, a.Logins.LastFailed = widen(a.Logins.FirstFailed,
			a.Logins.LastFailed, t)
		ba.failures[t.Unix()]++
		if ev.ClientAddr != "" {
			seeAddress(ba.failedAt, ev.ClientAddr, t, false)
		}
		return
	case inventory.ActionConnect:
		a.Logins.Sessions++
		a.Logins.First, a.Logins.Last = widen(a.Logins.First, a.Logins.Last, t)
	}
	if t.After(a.LastActive) {
		a.LastActive = t
	}
	login := ev.Action == inventory.ActionConnect
	if ev.ClientAddr != "" {
		seeAddress(ba.addresses, ev.ClientAddr, t, login)
	}
	if login || ev.Application != "" {
		// The lines before a session's login carry no application_name
		// yet; they are not a program of their own.
		p := ba.seeProgram(ev.Application, t, login)
		if login && ev.ClientAddr != "" && !slices.Contains(p.Addresses, ev.ClientAddr) &&
			len(p.Addresses) < MaxProgramAddresses {
			p.Addresses = append(p.Addresses, ev.ClientAddr)
		}
	}

	switch {
	case ev.Action == inventory.ActionAudit:
		ba.audit(b, ev, t)
	case denied(ev):
		k := useKey{ev.Database, strings.ToUpper(ev.ObjectType), ev.ObjectName,
			strings.ToUpper(ev.Command)}
		count(ba.denied, k, t, 1)
	}
}

// denied reports whether ev is a statement refused for lack of a privilege
// on a named object: SQLSTATE 42501, or, in a stderr log whose prefix
// does not print the SQLSTATE, PostgreSQL's "permission denied" message
// (lc_messages=C).
func denied(ev inventory.Event) bool {
	if ev.Outcome != inventory.OutcomeFailure || ev.ObjectName == "" {
		return false
	}
	if ev.SQLState != "" {
		return ev.SQLState == "42501"
	}
	return strings.HasPrefix(ev.Message, "permission denied")
}

// audit counts the uses of one pgaudit row, once per statement and
// relation: pgaudit writes an OBJECT row and a SESSION row for a statement
// that both audit, one after the other in the session.
func (ba *builderAccount) audit(b *Builder, ev inventory.Event, t time.Time) {
	k := auditKey{ev.Audit.StatementID, ev.Audit.SubstatementID, ev.Audit.Class,
		ev.Command, ev.ObjectName}
	sess := sessionOf(ev)
	if last, ok := b.lastAudit[sess]; ok && last == k && k.statement > 0 {
		return
	}
	b.lastAudit[sess] = k
	if ev.Audit.HasRows {
		ba.a.Rows += ev.Audit.Rows
	}
	for _, o := range objectUses(ev) {
		count(ba.uses, useKey{ev.Database, o.objType, o.object, o.privilege}, t, 1)
	}
}

func count(m map[useKey]*Use, k useKey, t time.Time, n int64) {
	u, ok := m[k]
	if !ok {
		m[k] = &Use{Database: k.db, ObjectType: k.typ, Object: k.obj, Privilege: k.priv,
			Count: n, First: t, Last: t}
		return
	}
	u.Count += n
	u.First, u.Last = widen(u.First, u.Last, t)
}

func widen(first, last, t time.Time) (time.Time, time.Time) {
	if first.IsZero() || t.Before(first) {
		first = t
	}
	if t.After(last) {
		last = t
	}
	return first, last
}

func seeAddress(m map[string]*Address, addr string, t time.Time, login bool) {
	ad, ok := m[addr]
	if !ok {
		ad = &Address{Addr: addr, Seen: Seen{First: t, Last: t}}
		m[addr] = ad
	}
	ad.see(t, login)
}

func (ba *builderAccount) seeProgram(app string, t time.Time, login bool) *Program {
	p, ok := ba.programs[app]
	if !ok {
		fam, inter := Interactive(app)
		if !inter {
			fam = Family(app)
		}
		p = &Program{Name: app, Family: fam, Interactive: inter, Seen: Seen{First: t, Last: t}}
		ba.programs[app] = p
	}
	p.see(t, login)
	return p
}

func (s *Seen) see(t time.Time, login bool) {
	s.Events++
	if login {
		s.Sessions++
	}
	s.First, s.Last = widen(s.First, s.Last, t)
}

// Usage returns what the events added so far show. The Builder may go on
// taking events; a later call includes them.
func (b *Builder) Usage() *Usage {
	u := &Usage{
		Source:       b.source,
		Window:       b.win,
		AuditRecords: b.audit,
		Excluded:     b.excluded,
		Foreign:      b.foreign,
		Exposures:    slices.Clone(b.exposures),
		Accounts:     make([]*Account, 0, len(b.accounts)),
	}
	u.Window.Gaps = b.gaps()
	for _, ba := range b.accounts {
		u.Accounts = append(u.Accounts, ba.finish())
	}
	slices.SortFunc(u.Accounts, func(x, y *Account) int { return strings.Compare(x.Name, y.Name) })
	return u
}

// gaps finds the silences of at least GapAfter from the hours that hold
// events: between two such hours, the silence runs from the last event of
// the earlier to the first event of the later.
func (b *Builder) gaps() []Gap {
	hs := make([]int64, 0, len(b.hours))
	for h := range b.hours {
		hs = append(hs, h)
	}
	slices.Sort(hs)
	var out []Gap
	for i := 1; i < len(hs); i++ {
		prev, next := b.hours[hs[i-1]][1], b.hours[hs[i]][0]
		if next.Sub(prev) >= b.opt.GapAfter {
			out = append(out, Gap{Start: prev, End: next})
		}
	}
	return out
}

// finish copies an account's maps into sorted slices.
func (ba *builderAccount) finish() *Account {
	a := ba.a
	a.Uses = sortedUses(ba.uses)
	a.Denied = sortedUses(ba.denied)
	a.Programs = make([]Program, 0, len(ba.programs))
	for _, p := range ba.programs {
		prog := *p
		prog.Addresses = slices.Sorted(slices.Values(p.Addresses))
		a.Programs = append(a.Programs, prog)
	}
	slices.SortFunc(a.Programs, func(x, y Program) int { return strings.Compare(x.Name, y.Name) })
	a.Addresses = sortedAddresses(ba.addresses)
	a.FailedFrom = sortedAddresses(ba.failedAt)
	a.Failures = make([]FailureCount, 0, len(ba.failures))
	for s, n := range ba.failures {
		a.Failures = append(a.Failures, FailureCount{Time: time.Unix(s, 0).UTC(), Count: n})
	}
	slices.SortFunc(a.Failures, func(x, y FailureCount) int { return x.Time.Compare(y.Time) })
	return &a
}

func sortedUses(m map[useKey]*Use) []Use {
	out := make([]Use, 0, len(m))
	for _, u := range m {
		out = append(out, *u)
	}
	slices.SortFunc(out, func(x, y Use) int {
		return cmp.Or(cmp.Compare(x.Database, y.Database), cmp.Compare(x.Object, y.Object),
			cmp.Compare(x.ObjectType, y.ObjectType), cmp.Compare(x.Privilege, y.Privilege))
	})
	return out
}

func sortedAddresses(m map[string]*Address) []Address {
	out := make([]Address, 0, len(m))
	for _, a := range m {
		out = append(out, *a)
	}
	slices.SortFunc(out, func(x, y Address) int { return strings.Compare(x.Addr, y.Addr) })
	return out
}
