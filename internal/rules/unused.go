package rules

import (
	"fmt"
	"slices"
	"time"

	"github.com/wardsec/ward/internal/inventory"
	"github.com/wardsec/ward/internal/usage"
)

// checkUnused is ACCT-UNUSED: a login with no successful login for longer
// than policy.unused_after, judged only over time the logs cover.
//
// The judged stretch runs from the account's last activity (a successful
// login, or any event of a session whose login is in no log read; when
// the logs show none, from the start of the logs) to the end of the logs,
// or the scan's start if that is earlier. The account is unused when the
// logs cover at least unused_after of that stretch, gaps not counted. So
// the rule needs logs reaching back at least unused_after before the scan,
// and says nothing about an account whose logs are shorter. It does not
// run without a scan start time, nor on logs that hold no successful login
// at all (log_connections off): there, no login would show either.
func checkUnused(e *eval, r Rule) []inventory.Finding {
	u, now := e.usage, e.snap.StartedAt
	if u == nil || u.Window.Empty() || now.IsZero() || !slices.ContainsFunc(u.Accounts,
		func(a *usage.Account) bool { return a.Logins.Sessions > 0 }) {
		return nil
	}
	end := u.Window.End
	if now.Before(end) {
		end = now
	}
	var out []inventory.Finding
	for i := range e.snap.Accounts {
		a := &e.snap.Accounts[i]
		if !e.covers(r, a) {
			continue
		}
		t, ok := e.unusedTarget(a, e.usageAccount(a.Name), end, now)
		if ok {
			out = append(out, e.finding(r, t))
		}
	}
	return out
}

// unusedTarget judges one account; ok is false when it is not unused or
// the logs do not cover enough to tell.
func (e *eval) unusedTarget(a *inventory.Account, ua *usage.Account,
	end, now time.Time) (target, bool) {
	w := e.usage.Window
	after := e.policy.UnusedAfter
	var last time.Time
	if ua != nil {
		last = ua.LastActive
	}
	if last.After(end) {
		return target{}, false
	}
	from := w.Start
	if last.After(from) {
		from = last
	}
	covered := w.Covered(from, end)
	if covered < after {
		return target{}, false
	}

	ev := []string{fmt.Sprintf("no successful login from %s to %s: %s of logs, more than "+
		"policy.unused_after (%s)", stamp(from), stamp(end), span(covered), span(after))}
	if last.IsZero() {
		ev = append(ev, fmt.Sprintf("no successful login in all the logs read, which start at %s",
			stamp(w.Start)))
	} else if last.Equal(ua.Logins.Last) {
		ev = append(ev, "last successful login at "+stamp(last)+lastClient(ua, last))
	} else {
		ev = append(ev, "last activity at "+stamp(last)+", in a session whose login is in "+
			"no log read")
	}
	if n := failedSince(ua, from); n > 0 {
		ev = append(ev, fmt.Sprintf("%s since then, the last at %s: someone still tries "+
			"to use it", plural(n, "failed login"), stamp(ua.Logins.LastFailed)))
	}
	if g := gapsText(w, from, end); g != "" {
		ev = append(ev, g)
	}
	if lag := now.Sub(w.End); lag > 24*time.Hour {
		ev = append(ev, fmt.Sprintf("the logs end at %s, %s before the scan: logins after "+
			"that are not known", stamp(w.End), span(lag)))
	}
	ev = append(ev, kindEvidence(a))

	t := target{account: a, resource: "logins", evidence: ev, fix: disableFix(a)}
	if privilegedRole(a) {
		t.variant = "privileged"
	}
	t.phi, t.phiWhy = e.phiReach(a)
	return t, true
}

// failedSince counts the failed logins of ua after t.
func failedSince(ua *usage.Account, t time.Time) int {
	if ua == nil {
		return 0
	}
	n := 0
	for _, f := range ua.Failures {
		if f.Time.After(t) {
			n += int(f.Count)
		}
	}
	return n
}

// lastClient names the program and address of an account's sessions seen
// at t, when the usage says.
func lastClient(ua *usage.Account, t time.Time) string {
	app, addr := "", ""
	for _, p := range ua.Programs {
		if p.Sessions > 0 && p.Last.Equal(t) {
			app = p.Name
		}
	}
	for _, ad := range ua.Addresses {
		if ad.Sessions > 0 && ad.Last.Equal(t) {
			addr = ad.Addr
		}
	}
	switch {
	case app != "" && addr != "":
		return fmt.Sprintf(" (program %q from %s)", redactApp(app), addr)
	case addr != "":
		return " (from " + addr + ")"
	}
	return ""
}

// redactApp hides an application_name that looks like it holds a secret:
// clients set it freely.
func redactApp(app string) string {
	if sensitiveName(app) {
		return redactedValue
	}
	return app
}

// privilegedRole reports whether a holds an attribute or role that
// bypasses ordinary privileges.
func privilegedRole(a *inventory.Account) bool {
	at := a.Attributes
	return at.Superuser || at.CreateRole || at.BypassRLS || at.Replication ||
		len(at.DangerousRoles) > 0
}

// disableFix stops new logins of the account and keeps everything else,
// so that the rollback restores it exactly. Open sessions are not ended.
func disableFix(a *inventory.Account) *inventory.Fix {
	if !validName(a.Name) {
		return nil
	}
	role := quoteIdent(a.Name)
	return sqlFix([]string{"ALTER ROLE " + role + " NOLOGIN;"},
		[]string{"ALTER ROLE " + role + " LOGIN;"},
		"Confirm with the account's owner first. NOLOGIN stops new logins and keeps the "+
			"role's grants, so the rollback restores it as it was; sessions already open go "+
			"on until they end. Once nobody has asked for it back, revoke its privileges and "+
			"drop it.")
}
