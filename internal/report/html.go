package report

import (
	"bufio"
	"embed"
	"fmt"
	"html/template"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/wardsec/ward/internal/inventory"
)

//go:embed templates/report.html.tmpl templates/report.css templates/report.js
var templateFS embed.FS

// parseHTML parses the embedded report template. It is parsed on each call
// rather than kept in a package variable; a report is written once per run.
func parseHTML() (*template.Template, error) {
	t, err := template.New("report.html.tmpl").Funcs(template.FuncMap{
		"join":   strings.Join,
		"plural": plural,
	}).ParseFS(templateFS, "templates/*")
	if err != nil {
		return nil, fmt.Errorf("parse html template: %w", err)
	}
	return t, nil
}

// WriteHTML writes r as one self-contained HTML page: header, findings by
// severity and by HIPAA citation, what changed since the previous scan
// (when r has changes), the scope of the scan, the findings with their
// suppressions, and the inventory of accounts with their grants. It loads nothing from
// elsewhere; its small script only adds filters, and every section reads
// and prints without it. All text from the scan is escaped by html/template.
// r is not modified.
func WriteHTML(w io.Writer, r *inventory.ScanResult) error {
	if r == nil {
		return errNilResult
	}
	t, err := parseHTML()
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	if err := t.Execute(bw, buildPage(r)); err != nil {
		return fmt.Errorf("write html report: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write html report: %w", err)
	}
	return nil
}

// page is what the HTML template shows.
type page struct {
	ID          string
	WardVersion string
	Started     string
	Finished    string
	Duration    string
	ConfigPath  string
	ConfigHash  string
	Partial     bool
	Total       int
	Severities  []severityRow
	Citations   []citationRow
	Uncited     int
	Sources     []sourceView
	Findings    []findingView
	Accounts    []accountView
	PHIAccounts int
	// Suppressed counts the findings under a suppression that applies.
	Suppressed int
	// Changes is nil when the scan was not compared with earlier ones.
	Changes []changeView
}

type severityRow struct {
	Badge badge
	Count int
}

// badge is a severity as shown: its name and a CSS class chosen from a
// fixed set, never taken from the input.
type badge struct {
	Name  string
	Class string
	Rank  int
}

func badgeOf(s inventory.Severity) badge {
	if s.Rank() < 0 {
		return badge{Name: string(s), Class: "unrated", Rank: -1}
	}
	return badge{Name: string(s), Class: string(s), Rank: s.Rank()}
}

type citationRow struct {
	Citation string
	Count    int
	PHI      int
	Highest  badge
	Rules    []string
}

type sourceView struct {
	Name       string
	Type       string
	Status     string
	Error      string
	Scanner    string
	Privileges []string
	Databases  []inventory.DatabaseCoverage
	Skipped    int
	Gaps       []inventory.Gap
	Unchecked  []string
	Postgres   *inventory.PGSettings
	Accounts   int
	Findings   int
	Unlisted   bool
}

type findingView struct {
	inventory.Finding
	Badge         badge
	Anchor        string
	AccountAnchor string
	FirstSeen     string
	// State is new, reopened, unchanged, or empty when not compared.
	State string
	// SuppressionText describes the suppression, active or expired.
	SuppressionText string
}

type accountView struct {
	inventory.Account
	Anchor string
	// Flags are the attributes worth a badge: powers beyond grants, and
	// nologin or noinherit.
	Flags []string
	// Login is "login" or "nologin".
	Login      string
	ValidUntil string
	GrantRows  []grantRow
	PHIGrants  int
	Findings   int
	// Reach says what the account reaches beyond its listed grants.
	Reach string
}

// grantRow is the privileges an account holds on one resource through one
// path, so that a table with four privileges takes one row, not four.
type grantRow struct {
	Resource   string
	Type       string
	Privileges string
	Via        string
	PHI        bool
}

func buildPage(r *inventory.ScanResult) page {
	c := countFindings(r.Findings)
	p := page{
		ID:          r.ID,
		WardVersion: r.WardVersion,
		Started:     formatTime(r.StartedAt),
		Finished:    formatTime(r.FinishedAt),
		ConfigPath:  r.ConfigPath,
		ConfigHash:  r.ConfigHash,
		Partial:     r.Partial(),
		Total:       c.Total,
		Suppressed:  c.Suppressed,
		Changes:     changeViews(r),
	}
	if !r.StartedAt.IsZero() && !r.FinishedAt.IsZero() {
		p.Duration = r.FinishedAt.Sub(r.StartedAt).Round(time.Second).String()
	}
	for _, s := range severities {
		p.Severities = append(p.Severities, severityRow{Badge: badgeOf(s), Count: c.of(s)})
	}
	if c.Other > 0 {
		p.Severities = append(p.Severities,
			severityRow{Badge: badge{Name: "unrated", Class: "unrated", Rank: -1}, Count: c.Other})
	}
	p.Citations, p.Uncited = citationSummary(r.Findings)
	p.Sources = sourceViews(r)

	anchors := map[string]string{}
	findingsPer := map[string]int{}
	for _, f := range r.Findings {
		findingsPer[f.AccountID]++
	}
	for i, a := range sortedAccounts(r.Accounts) {
		v := accountViewOf(a, fmt.Sprintf("a%d", i+1), findingsPer[a.ID])
		anchors[a.ID] = v.Anchor
		if v.PHIGrants > 0 {
			p.PHIAccounts++
		}
		p.Accounts = append(p.Accounts, v)
	}
	states := changeStates(r.Changes)
	for i, f := range sortedFindings(r.Findings, compareFindings) {
		v := findingView{
			Finding:       f,
			Badge:         badgeOf(f.Severity),
			Anchor:        fmt.Sprintf("f%d", i+1),
			AccountAnchor: anchors[f.AccountID],
			FirstSeen:     formatTime(f.FirstSeen),
			State:         states[f.Fingerprint],
		}
		if f.Suppression != nil {
			v.SuppressionText = suppressionText(f.Suppression)
		}
		p.Findings = append(p.Findings, v)
	}
	return p
}

// citationSummary groups findings by HIPAA citation, in citation order. It
// also returns how many findings cite nothing, so none goes unseen.
func citationSummary(fs []inventory.Finding) ([]citationRow, int) {
	byCite := map[string]*citationRow{}
	uncited := 0
	for _, f := range fs {
		if len(f.Citations) == 0 {
			uncited++
		}
		seen := map[string]bool{}
		for _, cite := range f.Citations {
			if seen[cite] {
				continue
			}
			seen[cite] = true
			row := byCite[cite]
			if row == nil {
				row = &citationRow{Citation: cite, Highest: badgeOf(f.Severity)}
				byCite[cite] = row
			}
			row.Count++
			if f.PHI {
				row.PHI++
			}
			if f.Severity.Rank() > row.Highest.Rank {
				row.Highest = badgeOf(f.Severity)
			}
			if !slices.Contains(row.Rules, f.RuleID) {
				row.Rules = append(row.Rules, f.RuleID)
			}
		}
	}
	rows := make([]citationRow, 0, len(byCite))
	for _, row := range byCite {
		slices.Sort(row.Rules)
		rows = append(rows, *row)
	}
	slices.SortFunc(rows, func(a, b citationRow) int {
		return strings.Compare(a.Citation, b.Citation)
	})
	return rows, uncited
}

func sourceViews(r *inventory.ScanResult) []sourceView {
	accounts, findings := perSource(r)
	var out []sourceView
	for _, s := range sortedSources(r.Sources) {
		snap := snapshotOf(s)
		v := sourceView{
			Name:       s.Name,
			Type:       s.Type,
			Status:     s.Status,
			Error:      s.Error,
			Scanner:    snap.Scanner,
			Privileges: slices.Sorted(slices.Values(snap.ScannerPrivileges)),
			Databases:  sortedDatabases(snap.Databases),
			Gaps:       sortedGaps(snap.Gaps),
			Unchecked:  slices.Sorted(slices.Values(s.UncheckedRules)),
			Postgres:   snap.Postgres,
			Accounts:   accounts[s.Name],
			Findings:   findings[s.Name],
		}
		for _, d := range v.Databases {
			if !d.Scanned {
				v.Skipped++
			}
		}
		out = append(out, v)
	}
	for _, name := range unlistedSources(r) {
		out = append(out, sourceView{Name: name, Status: "unlisted", Unlisted: true,
			Accounts: accounts[name], Findings: findings[name]})
	}
	return out
}

func accountViewOf(a inventory.Account, anchor string, findings int) accountView {
	v := accountView{Account: a, Anchor: anchor, Findings: findings, Login: "nologin"}
	if a.Attributes.CanLogin {
		v.Login = "login"
	}
	at := a.Attributes
	for _, f := range []struct {
		on   bool
		name string
	}{
		{at.Superuser, "superuser"}, {at.Bootstrap, "bootstrap"}, {at.CreateRole, "createrole"},
		{at.CreateDB, "createdb"}, {at.Replication, "replication"}, {at.BypassRLS, "bypassrls"},
		{!at.CanLogin, "nologin"}, {!at.Inherit, "noinherit"},
	} {
		if f.on {
			v.Flags = append(v.Flags, f.name)
		}
	}
	if at.ValidUntil != nil {
		v.ValidUntil = formatTime(*at.ValidUntil)
	}
	v.GrantRows, v.PHIGrants = grantRows(a.Grants)
	v.Reach = sweepingReach(a)
	return v
}

// grantRows groups grants by resource and path, PHI resources first.
func grantRows(gs []inventory.Grant) ([]grantRow, int) {
	type key struct{ resource, typ, via string }
	index := map[key]int{}
	var rows []grantRow
	phi := 0
	for _, g := range sortedGrants(gs) {
		if g.PHI {
			phi++
		}
		k := key{g.Resource, g.ResourceType, viaText(g)}
		priv := g.Privilege
		if g.Grantable {
			priv += " (grantable)"
		}
		if i, ok := index[k]; ok {
			rows[i].Privileges += ", " + priv
			rows[i].PHI = rows[i].PHI || g.PHI
			continue
		}
		index[k] = len(rows)
		rows = append(rows, grantRow{Resource: g.Resource, Type: g.ResourceType,
			Privileges: priv, Via: k.via, PHI: g.PHI})
	}
	slices.SortStableFunc(rows, func(a, b grantRow) int { return boolFirst(a.PHI, b.PHI) })
	return rows, phi
}

// viaText says how a grant is held: directly, as owner, through PUBLIC or
// through a chain of roles.
func viaText(g inventory.Grant) string {
	via := g.Via
	if len(g.Path) > 0 {
		chain := g.Path
		if chain[len(chain)-1] != g.Via {
			chain = append(slices.Clone(chain), g.Via)
		}
		via = strings.Join(chain, " → ")
	}
	if g.SetRoleOnly {
		via += " (after SET ROLE)"
	}
	return via
}

// plural writes n and noun, adding an s unless n is 1.
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// formatTime writes t in UTC, or nothing for the zero time.
func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}
