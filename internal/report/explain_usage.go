package report

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/wardsec/ward/internal/inventory"
	"github.com/wardsec/ward/internal/usage"
)

// Use statuses of a grant in `ward explain`.
const (
	// useUsed: the logs show the privilege used.
	useUsed = "used"
	// useUnused: the logs could show its use and show none.
	useUnused = "unused"
	// useNotRecorded: pgaudit's rows do not show the use of this kind of
	// privilege (sequences, functions, schema USAGE, CONNECT...).
	useNotRecorded = "not_recorded"
)

// grantUse is one grant of an explained account with what the logs show.
type grantUse struct {
	Grant  inventory.Grant
	Status string
	Use    usage.Use
}

// grantUses pairs each grant of a (not those through PUBLIC, listed
// apart) with its use: a relation or column privilege, or CREATE on a
// schema or database, is used or unused; any other is not recorded. A
// column grant counts as used when its table was, since pgaudit names
// tables, not columns. PHI first, then by resource and privilege.
func grantUses(a inventory.Account, ua *usage.Account) []grantUse {
	var out []grantUse
	for _, g := range sortedGrants(a.Grants) {
		if g.Via == inventory.ViaPublic {
			continue
		}
		gu := grantUse{Grant: g, Status: useNotRecorded}
		if recorded(g) {
			gu.Status = useUnused
			if u, ok := ua.UseOf(g.Privilege, g.ResourceType, g.Resource); ok {
				gu.Status, gu.Use = useUsed, u
			}
		}
		out = append(out, gu)
	}
	slices.SortStableFunc(out, func(x, y grantUse) int {
		return boolFirst(x.Grant.PHI, y.Grant.PHI)
	})
	return out
}

// recorded reports whether pgaudit rows show the use of g's privilege.
func recorded(g inventory.Grant) bool {
	typ, priv := strings.ToLower(g.ResourceType), strings.ToUpper(g.Privilege)
	switch typ {
	case "schema", "database":
		return priv == "CREATE"
	case "sequence", "function", "procedure", "aggregate", "type", "domain", "language",
		"server", "foreign server", "foreign data wrapper", "tablespace", "large object":
		return false
	}
	switch priv {
	case "SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER":
		return true
	}
	return false
}

// usedElsewise returns the uses of privileges the account holds by no
// grant of its own: as an owner, through PUBLIC, or not at all any more.
func usedElsewise(a inventory.Account, ua *usage.Account) []usage.Use {
	if ua == nil {
		return nil
	}
	var out []usage.Use
	for _, u := range ua.Uses {
		if u.Resource() == "" || !isPrivilege(u.Privilege) {
			continue
		}
		if !slices.ContainsFunc(a.Grants, func(g inventory.Grant) bool {
			if g.Via == inventory.ViaPublic {
				return false
			}
			got, ok := ua.UseOf(g.Privilege, g.ResourceType, g.Resource)
			return ok && got == u
		}) {
			out = append(out, u)
		}
	}
	return out
}

// isPrivilege reports whether a usage entry names a privilege rather than
// a command run on an object.
func isPrivilege(p string) bool {
	switch p {
	case "SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "CREATE", "EXECUTE":
		return true
	}
	return false
}

// usageSection writes what the account's logs show against what it is
// granted.
func (t *textWriter) usageSection(e Explanation) {
	w := e.Window
	if w.Empty() {
		t.line(t.p.bold("Granted vs used"))
		t.line("  no logs of this source were ingested: run `ward ingest` with its logs")
		t.line("")
		return
	}
	head := fmt.Sprintf("Granted vs used (logs from %s to %s, %s", formatTime(w.Start),
		formatTime(w.End), spanText(w.Span()))
	if n := len(w.Gaps); n > 0 {
		head += ", " + plural(n, "gap")
	}
	t.line(t.p.bold(head + ")"))
	ua := e.Usage
	if ua == nil {
		t.line("  no session, failed login or statement of this account in these logs")
		t.line("")
		return
	}
	t.para("  logins      ", 14, loginsText(ua.Logins))
	if len(ua.Programs) > 0 {
		t.para("  programs    ", 14, programsText(ua.Programs))
	}
	if len(ua.Addresses) > 0 {
		t.para("  addresses   ", 14, addressesText(ua.Addresses))
	}
	for _, gu := range grantUses(e.Account, ua) {
		mark := "     "
		if gu.Grant.PHI {
			mark = t.p.paint(magenta, "PHI") + "  "
		}
		g := gu.Grant
		t.para("  "+mark, 7, fmt.Sprintf("%s on %s %s (via %s): %s", g.Privilege,
			g.ResourceType, g.Resource, viaText(g), useStatusText(gu)))
	}
	if other := usedElsewise(e.Account, ua); len(other) > 0 {
		var parts []string
		for _, u := range other {
			parts = append(parts, fmt.Sprintf("%s on %s ×%d", u.Privilege, u.Resource(), u.Count))
		}
		t.para("  used without a grant of its own (owner, PUBLIC): ", 4, strings.Join(parts, ", "))
	}
	if cmds := commandsText(ua.Uses); cmds != "" {
		t.para("  commands    ", 14, cmds)
	}
	if len(ua.Denied) > 0 {
		var parts []string
		for _, u := range ua.Denied {
			parts = append(parts, fmt.Sprintf("%s on %s ×%d", u.Privilege, u.Resource(), u.Count))
		}
		t.para("  refused     ", 14, strings.Join(parts, ", "))
	}
	t.line("")
}

func useStatusText(gu grantUse) string {
	switch gu.Status {
	case useUsed:
		u := gu.Use
		return fmt.Sprintf("used %s, first %s, last %s", timesText(u.Count),
			formatTime(u.First), formatTime(u.Last))
	case useUnused:
		return "not used in these logs"
	}
	return "its use is not in pgaudit's rows"
}

func timesText(n int64) string {
	if n == 1 {
		return "once"
	}
	return fmt.Sprintf("%d times", n)
}

func loginsText(l usage.Logins) string {
	s := plural(int(l.Sessions), "session")
	if l.Sessions > 0 {
		s += fmt.Sprintf(", first %s, last %s", formatTime(l.First), formatTime(l.Last))
	}
	s += "; " + plural(int(l.Failed), "failed login")
	if l.Failed > 0 {
		s += ", last " + formatTime(l.LastFailed)
	}
	return s
}

func programsText(ps []usage.Program) string {
	var parts []string
	for _, p := range ps {
		name := p.Name
		if name == "" {
			name = "(no application_name)"
		}
		s := fmt.Sprintf("%q (%s", name, plural(int(p.Sessions), "session"))
		if p.Interactive {
			s += ", interactive"
		}
		parts = append(parts, s+")")
	}
	return strings.Join(parts, ", ")
}

func addressesText(as []usage.Address) string {
	var parts []string
	for _, a := range as {
		parts = append(parts, fmt.Sprintf("%s (%s)", a.Addr, plural(int(a.Sessions), "session")))
	}
	return strings.Join(parts, ", ")
}

// commandsText counts the commands run that are not privileges (ALTER
// TABLE, GRANT, CREATE ROLE...).
func commandsText(us []usage.Use) string {
	counts := map[string]int64{}
	var names []string
	for _, u := range us {
		if isPrivilege(u.Privilege) && u.Resource() != "" {
			continue
		}
		if _, ok := counts[u.Privilege]; !ok {
			names = append(names, u.Privilege)
		}
		counts[u.Privilege] += u.Count
	}
	slices.Sort(names)
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = fmt.Sprintf("%s ×%d", n, counts[n])
	}
	return strings.Join(parts, ", ")
}

// spanText says how long d is in the largest unit that fits.
func spanText(d time.Duration) string {
	switch {
	case d >= 48*time.Hour:
		return fmt.Sprintf("%d days", int64(d/(24*time.Hour)))
	case d >= 2*time.Hour:
		return fmt.Sprintf("%d hours", int64(d/time.Hour))
	case d >= 2*time.Minute:
		return fmt.Sprintf("%d minutes", int64(d/time.Minute))
	}
	return fmt.Sprintf("%d seconds", int64(d/time.Second))
}

// usageJSON is the usage member of `ward explain --format json`.
type usageJSON struct {
	Window  usage.Window   `json:"window"`
	Account *usage.Account `json:"account"`
	Grants  []grantUseJSON `json:"grants"`
	Other   []usage.Use    `json:"used_without_grant"`
}

// grantUseJSON is one grant with its use.
type grantUseJSON struct {
	Privilege    string `json:"privilege"`
	Resource     string `json:"resource"`
	ResourceType string `json:"resource_type"`
	Via          string `json:"via"`
	PHI          bool   `json:"phi"`
	// Status is used, unused or not_recorded.
	Status string   `json:"status"`
	Count  int64    `json:"count"`
	First  jsonTime `json:"first"`
	Last   jsonTime `json:"last"`
}

// usageToJSON builds the usage member, nil when no logs were ingested.
func usageToJSON(e Explanation) *usageJSON {
	if e.Window.Empty() {
		return nil
	}
	doc := &usageJSON{Window: e.Window, Account: e.Usage, Grants: []grantUseJSON{},
		Other: nonNil(usedElsewise(e.Account, e.Usage))}
	if e.Usage == nil {
		return doc
	}
	for _, gu := range grantUses(e.Account, e.Usage) {
		g := gu.Grant
		doc.Grants = append(doc.Grants, grantUseJSON{Privilege: g.Privilege, Resource: g.Resource,
			ResourceType: g.ResourceType, Via: viaText(g), PHI: g.PHI, Status: gu.Status,
			Count: gu.Use.Count, First: jsonTime(gu.Use.First), Last: jsonTime(gu.Use.Last)})
	}
	return doc
}
