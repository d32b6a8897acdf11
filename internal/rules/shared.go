package rules

import (
	"fmt"
	"slices"
	"strings"

	"github.com/wardsec/ward/internal/inventory"
	"github.com/wardsec/ward/internal/usage"
)

// checkSharedCredential is ACCT-SHARED-CREDENTIAL: one service account
// used by unrelated clients. Its sessions' programs are grouped by family
// (a program's name without its version); two families are related when
// some address ran both, and related families form one client. Two or
// more clients, with no address in common, are unrelated workloads
// sharing one credential, and what either did can no longer be told
// apart. Interactive tools are left to SA-INTERACTIVE-USE.
func checkSharedCredential(e *eval, r Rule) []inventory.Finding {
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
		clients := clientsOf(ua)
		if len(clients) < 2 {
			continue
		}
		items := make([]string, len(clients))
		for i, c := range clients {
			items[i] = c.text()
		}
		ev := []string{fmt.Sprintf("%s was used by %d unrelated clients: different programs "+
			"from addresses they do not share", a.Name, len(clients))}
		ev = append(ev, capList(items)...)
		ev = append(ev, "application_name is set by the client, so a program's name is a "+
			"hint; the addresses are what the server saw", kindEvidence(a))
		t := target{account: a, resource: "clients", evidence: ev}
		t.phi, t.phiWhy = e.phiReach(a)
		out = append(out, e.finding(r, t))
	}
	return out
}

// client is a group of program families that share addresses.
type client struct {
	families  []string
	addresses []string
	sessions  int64
}

func (c client) text() string {
	fams := make([]string, len(c.families))
	for i, f := range c.families {
		if f == "" {
			f = "no application_name"
		}
		fams[i] = fmt.Sprintf("%q", redactApp(f))
	}
	return fmt.Sprintf("%s: %s from %s", strings.Join(fams, ", "),
		plural(int(c.sessions), "session"), strings.Join(capList(c.addresses), ", "))
}

// clientsOf groups an account's non-interactive sessions into clients,
// sorted by their first family. Programs whose sessions carry no address
// cannot be placed and are left out.
func clientsOf(ua *usage.Account) []client {
	type fam struct {
		addrs    []string
		sessions int64
	}
	fams := map[string]*fam{}
	for _, p := range ua.Programs {
		if p.Interactive || p.Sessions == 0 || len(p.Addresses) == 0 {
			continue
		}
		f, ok := fams[p.Family]
		if !ok {
			f = &fam{}
			fams[p.Family] = f
		}
		f.sessions += p.Sessions
		for _, ad := range p.Addresses {
			f.addrs = appendNew(f.addrs, ad)
		}
	}

	var out []client
	names := make([]string, 0, len(fams))
	for n := range fams {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		f := fams[n]
		// Merge every client this family shares an address with.
		merged := client{families: []string{n}, addresses: slices.Clone(f.addrs),
			sessions: f.sessions}
		var rest []client
		for _, c := range out {
			if overlaps(c.addresses, merged.addresses) {
				merged.families = append(merged.families, c.families...)
				for _, ad := range c.addresses {
					merged.addresses = appendNew(merged.addresses, ad)
				}
				merged.sessions += c.sessions
				continue
			}
			rest = append(rest, c)
		}
		out = append(rest, merged)
	}
	for i := range out {
		slices.Sort(out[i].families)
		slices.Sort(out[i].addresses)
	}
	slices.SortFunc(out, func(x, y client) int {
		return strings.Compare(x.families[0], y.families[0])
	})
	return out
}

func overlaps(a, b []string) bool {
	return slices.ContainsFunc(a, func(s string) bool { return slices.Contains(b, s) })
}
