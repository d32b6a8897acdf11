package report

import (
	"fmt"
	"html/template"
	"regexp"
	"strings"
	"testing"

	"github.com/wardsec/ward/internal/inventory"
)

const xss = "<script>alert(1)</script>"

// section returns the HTML of the section with the given id.
func section(t *testing.T, page, id string) string {
	t.Helper()
	_, rest, ok := strings.Cut(page, `<section id="`+id+`">`)
	if !ok {
		t.Fatalf("page has no section %q", id)
	}
	body, _, ok := strings.Cut(rest, "</section>")
	if !ok {
		t.Fatalf("section %q is not closed", id)
	}
	return body
}

func TestHTMLEscapesScanText(t *testing.T) {
	r := sampleScan()
	r.Accounts[0].Name = xss
	r.Accounts[0].ID = "ehr/" + xss
	r.Accounts[0].Owner = `"><img src=x onerror=alert(1)>`
	r.Findings[0].Evidence = append(r.Findings[0].Evidence, xss)
	r.Findings[2].Fix.Apply = "</pre>" + xss
	r.Findings[1].Severity = `critical" onmouseover="alert(1)`
	r.Sources[0].Error = xss
	r.Sources[1].Snapshot.Gaps = []inventory.Gap{{Check: xss, Reason: xss, Enable: xss}}

	page := string(render(t, r, WriteHTML))
	if strings.Contains(page, xss) {
		t.Errorf("page contains the raw string %s", xss)
	}
	escaped := template.HTMLEscapeString(xss)
	if n := strings.Count(page, escaped); n != 7 {
		t.Errorf("escaped form %s appears %d times, want 7 "+
			"(account id, evidence, fix, source error, gap check, reason, enable)", escaped, n)
	}
	for _, bad := range []string{`<img src=x`, `onmouseover="alert`, "</pre></pre>"} {
		if strings.Contains(page, bad) {
			t.Errorf("page contains injected markup %q", bad)
		}
	}
	if got := strings.Count(page, "<script>"); got != 1 {
		t.Errorf("page has %d <script> elements, want exactly ward's own", got)
	}
}

func TestHTMLIsSelfContained(t *testing.T) {
	page := string(render(t, sampleScan(), WriteHTML))
	external := regexp.MustCompile(`(?i)(\ssrc\s*=|href\s*=\s*["']?\s*(https?:|//)|` +
		`@import|url\(|<link\b|<iframe\b|<object\b|<embed\b)`)
	if m := external.FindAllString(page, -1); len(m) > 0 {
		t.Errorf("page refers to external resources: %q", m)
	}
	for _, href := range regexp.MustCompile(`href="([^"]*)"`).FindAllStringSubmatch(page, -1) {
		if !strings.HasPrefix(href[1], "#") {
			t.Errorf("link %q leaves the page", href[1])
		}
	}
}

func TestHTMLCitationSummary(t *testing.T) {
	r := sampleScan()
	page := string(render(t, r, WriteHTML))
	summary := section(t, page, "citations")

	tests := []struct {
		citation string
		count    int
		rules    string
	}{
		{citation: citeAccessControl, count: 3, rules: "PG-HBA-003, PG-PRIV-002, PG-SUPER-001"},
		{citation: citeUniqueUser, count: 1, rules: "PG-SUPER-001"},
		{citation: citeAudit, count: 1, rules: "PG-AUDIT-001"},
		{citation: citeTransmission, count: 1, rules: "PG-HBA-003"},
	}
	for _, tt := range tests {
		t.Run(tt.citation, func(t *testing.T) {
			row := fmt.Sprintf(`<tr><td>%s</td><td class="num">%d</td>`,
				template.HTMLEscapeString(tt.citation), tt.count)
			if !strings.Contains(summary, row) {
				t.Errorf("citation summary lacks %q", row)
			}
			if !strings.Contains(summary, tt.rules) {
				t.Errorf("citation summary lacks the rules %q", tt.rules)
			}
		})
	}

	// Every citation of every finding is in the summary.
	for _, f := range r.Findings {
		for _, c := range f.Citations {
			if !strings.Contains(summary, "<td>"+template.HTMLEscapeString(c)+"</td>") {
				t.Errorf("citation %q of %s is missing from the summary", c, f.RuleID)
			}
		}
	}
}

func TestHTMLUncitedFindingsAreCounted(t *testing.T) {
	r := sampleScan()
	r.Findings[0].Citations = nil
	r.Findings = append(r.Findings, inventory.Finding{RuleID: "X", Severity: inventory.SeverityLow})
	summary := section(t, string(render(t, r, WriteHTML)), "citations")
	if want := "2 findings without a HIPAA citation."; !strings.Contains(summary, want) {
		t.Errorf("citation summary lacks %q", want)
	}
}

func TestHTMLSections(t *testing.T) {
	r := sampleScan()
	page := string(render(t, r, WriteHTML))
	tests := []struct {
		section string
		want    []string
	}{
		{section: "summary", want: []string{
			`<span class="sev critical">critical</span></td><td class="num">1</td>`,
			`<span class="sev high">high</span></td><td class="num">2</td>`,
			`<th>Total</th><th class="num">4</th>`,
		}},
		{section: "scope", want: []string{
			"permission denied for database archive",
			"<code>GRANT SELECT ON pg_catalog.pg_hba_file_rules TO ward_scanner</code>",
			`<span class="status failed">failed</span>`,
			"connect to 127.0.0.1:5433: connection refused",
			"<code>pg_read_all_settings</code>",
			"<code>PG-HBA-001</code>, <code>PG-HBA-003</code>. They lacked data",
			"scram-sha-256",
		}},
		{section: "findings", want: []string{
			"<pre>ALTER ROLE &#34;etl_loader&#34; NOSUPERUSER;</pre>",
			"<h4>Rollback</h4>\n<pre>ALTER ROLE &#34;etl_loader&#34; SUPERUSER;</pre>",
			"<li>rolsuper = true</li>",
			`<span class="phi">PHI</span>`,
			"AC-6(5), AC-2",
			"(the source as a whole)",
		}},
		{section: "inventory", want: []string{
			`<summary><strong>ehr/etl_loader</strong>`,
			`<span class="flag">superuser</span>`,
			`<span class="flag danger">pg_read_server_files</span>`,
			"<tr><td>ehr.clinical.patients<td>table<td>SELECT, UPDATE<td>app_rw<td><b>PHI</b>\n",
			"<td>SELECT (grantable)<td>",
			"name matches *_loader; no password expiry",
			"<dt>Attributes</dt><dd>login, superuser</dd>",
			"· 4 grants, <span class=\"phi\">2 on PHI</span>, <span class=\"phi\">sweeping reach</span> · 1 finding <span",
			"<dt>Reaches</dt><dd class=\"warn-text\">superuser: every object",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.section, func(t *testing.T) {
			body := section(t, page, tt.section)
			for _, w := range tt.want {
				if !strings.Contains(body, w) {
					t.Errorf("section %s lacks %q", tt.section, w)
				}
			}
		})
	}
}

// TestHTMLReadableWithoutScript checks that only the filter controls,
// which need the script, start hidden, and that findings are not folded.
func TestHTMLReadableWithoutScript(t *testing.T) {
	page := string(render(t, sampleScan(), WriteHTML))
	hidden := regexp.MustCompile(`<[^>]*\shidden[\s>][^>]*>?`).FindAllString(page, -1)
	for _, h := range hidden {
		if !strings.Contains(h, `class="filters"`) {
			t.Errorf("element hidden without the script: %s", h)
		}
	}
	if len(hidden) != 2 {
		t.Errorf("found %d hidden elements, want the 2 filter bars", len(hidden))
	}
	if strings.Contains(section(t, page, "findings"), "<details") {
		t.Error("findings are folded in <details>; they must show and print without a click")
	}
}

func TestGrantRows(t *testing.T) {
	gs := []inventory.Grant{
		{Privilege: "SELECT", Resource: "d.s.b", ResourceType: "table", Via: "direct"},
		{Privilege: "INSERT", Resource: "d.s.a", ResourceType: "table", Via: "direct"},
		{Privilege: "SELECT", Resource: "d.s.a", ResourceType: "table", Via: "direct"},
		{Privilege: "SELECT", Resource: "d.s.a", ResourceType: "table", Via: "r2", Path: []string{"r1", "r2"}},
		{Privilege: "SELECT", Resource: "d.s.z", ResourceType: "table", Via: "r", SetRoleOnly: true, PHI: true},
	}
	rows, phi := grantRows(gs)
	want := []grantRow{
		{Resource: "d.s.z", Type: "table", Privileges: "SELECT", Via: "r (after SET ROLE)", PHI: true},
		{Resource: "d.s.a", Type: "table", Privileges: "INSERT, SELECT", Via: "direct"},
		{Resource: "d.s.a", Type: "table", Privileges: "SELECT", Via: "r1 → r2"},
		{Resource: "d.s.b", Type: "table", Privileges: "SELECT", Via: "direct"},
	}
	if phi != 1 {
		t.Errorf("PHI grants = %d, want 1", phi)
	}
	if fmt.Sprint(rows) != fmt.Sprint(want) {
		t.Errorf("grantRows =\n%v\nwant\n%v", rows, want)
	}
}

// largeEstate builds a scan of accounts accounts, each with tables tables
// and four privileges on each, a quarter of the tables PHI.
func largeEstate(accounts, tables int) *inventory.ScanResult {
	r := &inventory.ScanResult{ID: "large", Sources: []inventory.SourceResult{
		{Name: "ehr", Type: "postgres", Status: inventory.StatusComplete}}}
	for a := range accounts {
		name := fmt.Sprintf("svc_%04d", a)
		acct := inventory.Account{ID: "ehr/" + name, Source: "ehr", Name: name,
			Kind: inventory.KindService, KindReasons: []string{"name matches svc_*"},
			Owner: "team@example.org", Attributes: inventory.Attributes{CanLogin: true, Inherit: true}}
		for tb := range tables {
			for _, p := range []string{"SELECT", "INSERT", "UPDATE", "DELETE"} {
				acct.Grants = append(acct.Grants, inventory.Grant{Privilege: p,
					Resource: fmt.Sprintf("ehr.clinical.table_%03d", tb), ResourceType: "table",
					PHI: tb%4 == 0, Via: "app_rw", Path: []string{"app_rw"}})
			}
		}
		r.Accounts = append(r.Accounts, acct)
	}
	return r
}

// TestHTMLSizeOfLargeEstate holds the page for the largest estate ward is
// sized for, 2,000 accounts with 100 grants each, under 6 MiB. Grants are
// grouped per resource, so 100 grants on 25 tables take 25 rows of about
// 100 bytes: 2,000 x 25 x 100 is 5 MB, and the rest of the page is small.
func TestHTMLSizeOfLargeEstate(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a 200,000-grant estate")
	}
	const limit = 6 << 20
	n := len(render(t, largeEstate(2000, 25), WriteHTML))
	if n > limit {
		t.Errorf("page is %d bytes, want at most %d", n, limit)
	}
}

func BenchmarkWriteHTMLLargeEstate(b *testing.B) {
	r := largeEstate(2000, 25)
	for b.Loop() {
		var sb strings.Builder
		if err := WriteHTML(&sb, r); err != nil {
			b.Fatal(err)
		}
		b.SetBytes(int64(sb.Len()))
	}
}

func BenchmarkWriteJSONLargeEstate(b *testing.B) {
	r := largeEstate(2000, 25)
	for b.Loop() {
		var sb strings.Builder
		if err := WriteJSON(&sb, r); err != nil {
			b.Fatal(err)
		}
		b.SetBytes(int64(sb.Len()))
	}
}
