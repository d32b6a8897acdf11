package rules

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/wardsec/ward/internal/inventory"
)

// checkExpiredRoleActive is PG-EXPIRED-ROLE-ACTIVE: a role whose password
// expired before the scan started (VALID UNTIL) or that can no longer log
// in (NOLOGIN), and that still has open sessions. PostgreSQL checks both
// only when a session starts, so access that was meant to end goes on.
// Expiry is judged against the snapshot's start, not the clock, so the
// same snapshot always gives the same findings; without a start time only
// NOLOGIN is judged. One finding per role.
func checkExpiredRoleActive(e *eval, r Rule) []inventory.Finding {
	if !e.postgres || len(e.snap.Sessions) == 0 {
		return nil
	}
	byUser := map[string][]inventory.Session{}
	for _, s := range e.snap.Sessions {
		byUser[s.User] = append(byUser[s.User], s)
	}

	var out []inventory.Finding
	for user, ss := range byUser {
		a, ok := e.byName[user]
		if !ok || !r.Applies(a.Kind) {
			continue
		}
		why := e.disabledWhy(a)
		if len(why) == 0 {
			continue
		}
		t := e.expiredTarget(a, why, ss)
		t.phi, t.phiWhy = e.phiReach(a)
		out = append(out, e.finding(r, t))
	}
	return out
}

// disabledWhy says why a may not open sessions any more; empty when it may.
func (e *eval) disabledWhy(a *inventory.Account) []string {
	var why []string
	if !a.Attributes.CanLogin {
		why = append(why, "the role cannot log in (NOLOGIN)")
	}
	if e.expired(a) {
		why = append(why, fmt.Sprintf("the role's password expired at %s (VALID UNTIL), "+
			"before the scan started at %s", stamp(*a.Attributes.ValidUntil),
			stamp(e.snap.StartedAt)))
	}
	return why
}

// expired reports whether a's VALID UNTIL lies before the scan's start.
func (e *eval) expired(a *inventory.Account) bool {
	v := a.Attributes.ValidUntil
	return v != nil && !e.snap.StartedAt.IsZero() && v.Before(e.snap.StartedAt)
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func (e *eval) expiredTarget(a *inventory.Account, why []string,
	ss []inventory.Session) target {
	ss = slices.Clone(ss)
	slices.SortFunc(ss, func(x, y inventory.Session) int {
		return cmp.Or(x.Started.Compare(y.Started), cmp.Compare(x.PID, y.PID))
	})

	ev := slices.Clone(why)
	ev = append(ev, fmt.Sprintf("%s still open: PostgreSQL checks VALID UNTIL and LOGIN "+
		"only when a session starts, so open sessions keep the role's privileges until "+
		"they end", plural(len(ss), "session")))
	items := make([]string, len(ss))
	late := false
	for i, s := range ss {
		items[i] = sessionText(s)
		if v := a.Attributes.ValidUntil; e.expired(a) && s.Started.After(*v) {
			items[i] += " (opened after the expiry)"
			late = true
		}
	}
	ev = append(ev, capList(items)...)
	if late {
		ev = append(ev, "a session opened after the expiry date either logged in by a "+
			"method that does not check VALID UNTIL (certificate, peer, ident, LDAP, "+
			"trust...), and then new logins will follow until the role is set NOLOGIN, or "+
			"the date was set later to a time already past")
	}
	ev = append(ev, kindEvidence(a))

	t := target{account: a, resource: "sessions", evidence: ev, fix: terminateFix(a)}
	if t.fix == nil {
		t.evidence = append(t.evidence, "no fix generated: the role name cannot be written in SQL")
	}
	return t
}

// sessionText describes one session for evidence. An application name that
// looks like it holds a secret is redacted: clients set it freely.
func sessionText(s inventory.Session) string {
	from := s.ClientAddr
	if from == "" {
		from = "the local socket"
	}
	app := s.Application
	if sensitiveName(app) {
		app = redactedValue
	}
	pid := "session"
	if s.PID > 0 {
		pid = fmt.Sprintf("session pid %d", s.PID)
	}
	started := "start time hidden from the scanner"
	if !s.Started.IsZero() {
		started = "started " + stamp(s.Started)
	}
	if s.ClientAddr == "" && s.Started.IsZero() {
		from = "an address hidden from the scanner or the local socket"
	}
	return fmt.Sprintf("%s: database %s, application %q, from %s, %s",
		pid, s.Database, app, from, started)
}

// terminateFix ends the role's sessions. It selects them by role, not by
// the process IDs seen in the scan: an ID may belong to another session by
// the time the fix runs. It re-checks the role when it runs, so it ends
// nothing once the role has been renewed, and running it again is safe.
// There is no rollback.
func terminateFix(a *inventory.Account) *inventory.Fix {
	if !validName(a.Name) {
		return nil
	}
	stmt := fmt.Sprintf(`SELECT pg_catalog.pg_terminate_backend(s.pid)
FROM pg_catalog.pg_stat_activity AS s
JOIN pg_catalog.pg_roles AS r ON r.oid = s.usesysid
WHERE r.rolname = %s
  AND (NOT r.rolcanlogin OR r.rolvaliduntil < pg_catalog.now())
  AND s.pid <> pg_catalog.pg_backend_pid();`, quoteLiteral(a.Name))
	return &inventory.Fix{
		Language: "sql",
		Apply:    transaction([]string{stmt}),
		Notes: "Run as a superuser, or as a member of pg_signal_backend (which cannot end " +
			"a superuser's sessions). No rollback: an ended session cannot be restored; " +
			"its open transaction is rolled back and the client has to log in again. If the " +
			"role must keep no access at all, also revoke its privileges and memberships.",
	}
}
