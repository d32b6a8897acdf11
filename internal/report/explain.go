package report

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/wardsec/ward/internal/inventory"
	"github.com/wardsec/ward/internal/usage"
)

// Explanation is what `ward explain` shows of one account.
type Explanation struct {
	Account inventory.Account
	// Findings are the account's open findings, with their suppressions.
	Findings []inventory.Finding
	// PublicGrants are what PUBLIC holds in the account's source: every
	// role holds them too.
	PublicGrants []inventory.Grant
	// ScanID and ScannedAt say which stored scan the account comes from.
	ScanID    string
	ScannedAt time.Time
	// Window is what the ingested logs of the account's source cover,
	// empty when none were ingested; Usage is what they show the account
	// did, nil when they show nothing of it.
	Window usage.Window
	Usage  *usage.Account
}

// WriteExplainText writes everything ward knows about one account: its
// kind and why, owner, attributes, memberships, every grant with the path
// that gives it (PHI first, those reachable only after SET ROLE apart),
// what it holds through PUBLIC, what the source's logs show it used of
// its grants (first and last use, counts) and its logins, programs and
// addresses, and its open findings with their evidence, fixes and
// suppressions. Names from a source are escaped as in WriteText.
func WriteExplainText(w io.Writer, e Explanation, opt ListOptions) error {
	t, bw := listWriter(w, opt)
	a := e.Account
	t.line(t.p.bold(clean(a.ID)) + "  " + clean(string(a.Kind)))
	t.para("  scan        ", 14, fmt.Sprintf("%s (%s)", or(e.ScanID, "-"),
		or(formatTime(e.ScannedAt), "time unknown")))
	t.para("  kind        ", 14, kindText(a))
	t.para("  owner       ", 14, or(a.Owner, "none recorded"))
	if a.Purpose != "" {
		t.para("  purpose     ", 14, a.Purpose)
	}
	t.para("  attributes  ", 14, attributesText(a.Attributes))
	t.para("  password    ", 14, validUntilText(a.Attributes.ValidUntil))
	if reach := sweepingReach(a); reach != "" {
		t.para("  reaches     ", 14, reach)
	}
	if len(a.Attributes.DangerousRoles) > 0 {
		t.para("  dangerous   ", 14, strings.Join(a.Attributes.DangerousRoles, ", "))
	}
	if len(a.Attributes.Config) > 0 {
		t.para("  settings    ", 14, strings.Join(a.Attributes.Config, "; "))
	}
	if a.Attributes.Comment != "" {
		t.para("  comment     ", 14, a.Attributes.Comment)
	}
	t.line("")

	t.memberships(a.Memberships)
	var held, setRole []inventory.Grant
	for _, g := range a.Grants {
		if g.SetRoleOnly {
			setRole = append(setRole, g)
		} else {
			held = append(held, g)
		}
	}
	t.grantSection("Grants held directly or inherited", held)
	t.grantSection("Reachable only after SET ROLE", setRole)
	t.publicSection(e.PublicGrants)
	t.usageSection(e)
	t.explainFindings(e.Findings)
	return t.finish(bw, "explanation")
}

func kindText(a inventory.Account) string {
	if len(a.KindReasons) == 0 {
		return string(a.Kind)
	}
	return string(a.Kind) + ": " + strings.Join(a.KindReasons, "; ")
}

func attributesText(at inventory.Attributes) string {
	parts := []string{"nologin"}
	if at.CanLogin {
		parts[0] = "login"
	}
	for _, f := range []struct {
		on   bool
		name string
	}{
		{at.Superuser, "superuser"}, {at.Bootstrap, "bootstrap superuser"},
		{at.CreateRole, "createrole"}, {at.CreateDB, "createdb"},
		{at.Replication, "replication"}, {at.BypassRLS, "bypassrls"},
		{at.Inherit, "inherit"}, {!at.Inherit, "noinherit"},
	} {
		if f.on {
			parts = append(parts, f.name)
		}
	}
	limit := "no connection limit"
	if at.ConnLimit >= 0 {
		limit = fmt.Sprintf("connection limit %d", at.ConnLimit)
	}
	return strings.Join(parts, ", ") + "; " + limit
}

func validUntilText(t *time.Time) string {
	if t == nil {
		return "valid forever (no VALID UNTIL)"
	}
	return "valid until " + formatTime(*t)
}

func (t *textWriter) memberships(ms []inventory.Membership) {
	t.line(t.p.bold(fmt.Sprintf("Member of (%d)", len(ms))))
	if len(ms) == 0 {
		t.line("  no role")
	}
	for _, m := range ms {
		how := "inherits its privileges"
		if !m.Inherit {
			how = "SET ROLE only: its privileges need SET ROLE"
		}
		if len(m.Path) > 1 {
			how = "through " + strings.Join(m.Path[:len(m.Path)-1], " → ") + "; " + how
		}
		if m.Admin {
			how += "; with ADMIN OPTION"
		}
		t.para("  "+truncEnd(clean(m.Role), 30)+": ", 6, how)
	}
	t.line("")
}

// grantSection lists grants grouped by resource and path, PHI first.
func (t *textWriter) grantSection(title string, gs []inventory.Grant) {
	rows, phi := grantRows(gs)
	t.line(t.p.bold(fmt.Sprintf("%s (%s, %d on PHI)", title, plural(len(gs), "grant"), phi)))
	if len(rows) == 0 {
		t.line("  none")
	}
	for _, r := range rows {
		mark := "     "
		if r.PHI {
			mark = t.p.paint(magenta, "PHI") + "  "
		}
		t.para("  "+mark, 7, fmt.Sprintf("%s (%s): %s via %s", r.Resource, r.Type,
			r.Privileges, r.Via))
	}
	t.line("")
}

// publicSection lists what PUBLIC holds on PHI in full and the rest as
// counts by privilege and type, since every role holds it.
func (t *textWriter) publicSection(gs []inventory.Grant) {
	if len(gs) == 0 {
		return
	}
	var phi []inventory.Grant
	other := map[string]int{}
	for _, g := range gs {
		if g.PHI {
			phi = append(phi, g)
			continue
		}
		other[g.Privilege+" on "+g.ResourceType]++
	}
	t.grantSection("Held by every role through PUBLIC, on PHI", phi)
	if len(other) > 0 {
		var parts []string
		for _, k := range slices.Sorted(maps.Keys(other)) {
			parts = append(parts, fmt.Sprintf("%s ×%d", k, other[k]))
		}
		t.para("  PUBLIC also holds: ", 4, strings.Join(parts, ", "))
		t.line("")
	}
}

// explainFindings lists the account's findings with everything needed to
// act on them.
func (t *textWriter) explainFindings(fs []inventory.Finding) {
	t.line(t.p.bold(fmt.Sprintf("Open findings (%d)", len(fs))))
	if len(fs) == 0 {
		t.line("  none")
	}
	indent := findingIndent()
	n := width(indent)
	for _, f := range sortedFindings(fs, compareFindings) {
		t.line(t.findingHead(f))
		t.para(indent, n, f.Title)
		t.para(indent, n, fmt.Sprintf("fingerprint %s, first seen %s", f.Fingerprint,
			dayOr(f.FirstSeen)))
		if f.Suppression != nil {
			t.para(indent, n, suppressionText(f.Suppression))
		}
		for _, ev := range f.Evidence {
			t.para(indent+"- ", n+2, ev)
		}
		if len(f.Citations) > 0 {
			t.para(indent+"cites: ", n+7, strings.Join(f.Citations, "; "))
		}
		if f.Remediation != "" {
			t.para(indent+"fix: ", n+5, f.Remediation)
		}
		if f.Fix != nil {
			t.code(indent, fmt.Sprintf("apply (%s):", f.Fix.Language), f.Fix.Apply)
			if f.Fix.Rollback != "" {
				t.code(indent, "rollback:", f.Fix.Rollback)
			}
			if f.Fix.Notes != "" {
				t.para(indent+"note: ", n+6, f.Fix.Notes)
			}
		}
		t.line("")
	}
}

// code writes a fix as it is, line by line, so that it can be copied;
// control characters are escaped, lines are not wrapped.
func (t *textWriter) code(indent, label, body string) {
	t.line(indent + label)
	for _, l := range strings.Split(strings.TrimRight(body, "\n"), "\n") {
		t.line(indent + "    " + clean(l))
	}
}

// explanationJSON is the JSON of `ward explain`.
type explanationJSON struct {
	ScanID       string            `json:"scan_id"`
	ScannedAt    jsonTime          `json:"scanned_at"`
	Account      inventory.Account `json:"account"`
	PublicGrants []inventory.Grant `json:"public_grants"`
	// Usage is present when logs of the source were ingested.
	Usage    *usageJSON    `json:"usage,omitempty"`
	Findings []findingJSON `json:"findings"`
}

// WriteExplainJSON writes the explanation as one object: scan_id,
// scanned_at, account (as in the JSON report), public_grants, usage (when
// logs were ingested: the window, the account's usage, each grant with its
// status used, unused or not_recorded and its count and first and last
// use, and what it used without a grant of its own) and the open findings
// (as in the JSON report).
func WriteExplainJSON(w io.Writer, e Explanation) error {
	doc := explanationJSON{
		ScanID: e.ScanID, ScannedAt: jsonTime(e.ScannedAt),
		Account:      normalizeAccount(e.Account),
		PublicGrants: nonNil(sortedGrants(e.PublicGrants)),
		Usage:        usageToJSON(e),
		Findings:     []findingJSON{},
	}
	for _, f := range sortedFindings(e.Findings, compareFindings) {
		doc.Findings = append(doc.Findings, findingToJSON(f))
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("write json explanation: %w", err)
	}
	return nil
}
