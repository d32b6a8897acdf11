package rules

import (
	"fmt"
	"strings"

	"github.com/wardsec/ward/internal/inventory"
)

// checkAuthFailures is AUTH-FAILURES-SA: a service account (or one ward
// cannot classify) with at least policy.auth_failures failed logins within
// policy.auth_failure_window: a broken deployment with a stale password,
// or someone guessing. One finding per account, listing the bursts.
func checkAuthFailures(e *eval, r Rule) []inventory.Finding {
	if e.usage == nil {
		return nil
	}
	n, win := int64(e.policy.AuthFailures), e.policy.AuthFailureWindow
	var out []inventory.Finding
	for i := range e.snap.Accounts {
		a := &e.snap.Accounts[i]
		ua := e.usageAccount(a.Name)
		if !e.covers(r, a) || ua == nil {
			continue
		}
		bursts := ua.FailureBursts(n, win)
		if len(bursts) == 0 {
			continue
		}
		ev := []string{fmt.Sprintf("%s: %d or more failed logins within %s "+
			"(policy.auth_failures, policy.auth_failure_window); %d failed logins in all",
			plural(len(bursts), "burst"), n, win, ua.Logins.Failed)}
		items := make([]string, len(bursts))
		for i, b := range bursts {
			items[i] = fmt.Sprintf("%d failed logins from %s to %s", b.Count, stamp(b.Start),
				stamp(b.End))
		}
		ev = append(ev, capList(items)...)
		var from []string
		for _, ad := range ua.FailedFrom {
			from = append(from, fmt.Sprintf("%s (%d)", ad.Addr, ad.Events))
		}
		if len(from) > 0 {
			ev = append(ev, "failed from: "+strings.Join(capList(from), ", "))
		}
		last := bursts[len(bursts)-1]
		if ua.Logins.Last.After(last.End) {
			ev = append(ev, "a successful login followed at "+stamp(ua.Logins.Last))
		} else {
			ev = append(ev, "no successful login after the last burst")
		}
		ev = append(ev, kindEvidence(a))
		t := target{account: a, resource: "failed-logins", evidence: ev}
		t.phi, t.phiWhy = e.phiReach(a)
		out = append(out, e.finding(r, t))
	}
	return out
}
