package rules

import (
	"fmt"
	"strings"

	"github.com/wardsec/ward/internal/inventory"
	"github.com/wardsec/ward/internal/usage"
)

// checkInteractiveUse is SA-INTERACTIVE-USE: a service account whose
// sessions came from a tool people use by hand (psql, DBeaver, pgAdmin,
// DataGrip..., the list in the usage package's programs.txt), or from a
// client address outside its usual set (usage.DefaultBaseline: the
// addresses of its first week, or those carrying a fifth of its sessions;
// judged once it has ten sessions spanning more than that week). Two
// findings at most per account: its interactive programs, and its unusual
// addresses, the latter at the lower "address" level since a new address
// alone may be a new server.
func checkInteractiveUse(e *eval, r Rule) []inventory.Finding {
	if e.usage == nil {
		return nil
	}
	var out []inventory.Finding
	for i := range e.snap.Accounts {
		a := &e.snap.Accounts[i]
		ua := e.usageAccount(a.Name)
		if !e.covers(r, a) || ua == nil {
			continue
		}
		phi, why := e.phiReach(a)
		if t, ok := interactiveTarget(a, ua); ok {
			t.phi, t.phiWhy = phi, why
			out = append(out, e.finding(r, t))
		}
		if t, ok := unusualAddressTarget(a, ua); ok {
			t.phi, t.phiWhy = phi, why
			out = append(out, e.finding(r, t))
		}
	}
	return out
}

func interactiveTarget(a *inventory.Account, ua *usage.Account) (target, bool) {
	var tools, programs []string
	var sessions int64
	for _, p := range ua.Programs {
		if p.Sessions == 0 {
			continue
		}
		if !p.Interactive {
			programs = append(programs, fmt.Sprintf("%q", redactApp(p.Name)))
			continue
		}
		sessions += p.Sessions
		tools = append(tools, fmt.Sprintf("%q: %s from %s, first at %s, last at %s",
			redactApp(p.Name), plural(int(p.Sessions), "session"), addressList(p.Addresses),
			stamp(p.First), stamp(p.Last)))
	}
	if len(tools) == 0 {
		return target{}, false
	}
	ev := []string{fmt.Sprintf("%s of %s came from interactive tools, which people use by "+
		"hand:", plural(int(sessions), "session"), a.Name)}
	ev = append(ev, capList(tools)...)
	if len(programs) > 0 {
		ev = append(ev, "its other programs: "+strings.Join(capList(programs), ", "))
	}
	ev = append(ev, "application_name is set by the client: the tool's name is a strong "+
		"hint, not proof, and a person can also hide behind a program's name",
		kindEvidence(a))
	return target{account: a, resource: "interactive-programs", evidence: ev}, true
}

func unusualAddressTarget(a *inventory.Account, ua *usage.Account) (target, bool) {
	var b usage.Baseline
	unusual := b.Unusual(ua)
	if len(unusual) == 0 {
		return target{}, false
	}
	from, to := b.Period(ua)
	var usual []string
	for _, ad := range ua.Addresses {
		if b.Usual(ua, ad.Addr) {
			usual = append(usual, ad.Addr)
		}
	}
	ev := []string{fmt.Sprintf("%s logged in from %s outside its usual set (%s: the "+
		"addresses of its sessions from %s to %s, or carrying a fifth of its sessions):",
		a.Name, plural(len(unusual), "address"), strings.Join(capList(usual), ", "),
		stamp(from), stamp(to))}
	items := make([]string, len(unusual))
	for i, ad := range unusual {
		items[i] = fmt.Sprintf("%s: %s of %d, first at %s, last at %s", ad.Addr,
			plural(int(ad.Sessions), "session"), ua.Logins.Sessions, stamp(ad.First),
			stamp(ad.Last))
	}
	ev = append(ev, capList(items)...)
	ev = append(ev, kindEvidence(a))
	return target{account: a, resource: "unusual-addresses", variant: "address",
		evidence: ev}, true
}

// addressList names the addresses of a program's sessions.
func addressList(addrs []string) string {
	switch len(addrs) {
	case 0:
		return "an address the log does not give"
	case 1:
		return addrs[0]
	}
	return strings.Join(capList(addrs), ", ")
}
