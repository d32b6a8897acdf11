package report

import (
	"fmt"
	"strings"
	"testing"

	"github.com/wardsec/ward/internal/inventory"
)

func TestHTMLChangesAndSuppressions(t *testing.T) {
	page := string(render(t, historyScan(), WriteHTML))
	tests := []struct {
		section string
		want    []string
	}{
		{section: "summary", want: []string{
			"1 finding under a suppression that applies",
		}},
		{section: "changes", want: []string{
			"Compared with scan <code>scan-20250313-0001</code> of 2025-03-13 14:30:00 UTC.",
			"<tr><td>New findings</td><td class=\"num\">2</td></tr>",
			"<tr><td>Resolved findings</td><td class=\"num\">1</td></tr>",
			"<code>PG-HBA-003</code> <span class=\"tag new\">reopened</span>",
			"<td><code>PG-OLD-004</code></td><td>ehr/old_etl</td>",
			"<tr><td>added</td><td>ehr/reporting</td>",
			"<tr><td>removed</td><td>ehr/old_etl</td>",
			"<tr><td>added<td>ehr/etl_loader<td>UPDATE<td>ehr.clinical.patients<td>app_rw<td><b>PHI</b>",
			"Not compared: the source failed in this scan.",
			"(that scan was partial)",
			"not compared: archive",
		}},
		{section: "findings", want: []string{
			`<article class="finding suppressed"`,
			`<span class="tag suppressed">suppressed</span>`,
			`<span class="tag expired">suppression expired</span>`,
			`<span class="tag new">new</span>`,
			"<dt>Suppression</dt><dd>suppressed until 2025-06-30 by ciso@clinic.example " +
				"(ward suppress): legacy loader; replacement scheduled, ticket SEC-42</dd>",
			"suppression expired after 2025-02-28",
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
	if !strings.Contains(page, `<a href="#changes">Changes</a>`) {
		t.Error("the navigation does not link the changes")
	}
}

func TestHTMLWithoutChangesHasNoChangesSection(t *testing.T) {
	page := string(render(t, sampleScan(), WriteHTML))
	if strings.Contains(page, `id="changes"`) || strings.Contains(page, "#changes") {
		t.Error("a scan that was not compared shows a changes section")
	}
}

// TestHTMLChangesAreCapped checks a long list of changes is cut at
// htmlChangesCap with a count of what was left out.
func TestHTMLChangesAreCapped(t *testing.T) {
	r := historyScan()
	ehr := r.Changes.Source("ehr")
	ehr.AddedGrants = nil
	for i := range htmlChangesCap + 7 {
		ehr.AddedGrants = append(ehr.AddedGrants, inventory.GrantChange{AccountID: "ehr/x",
			Grant: inventory.Grant{Privilege: "SELECT", Resource: fmt.Sprintf("ehr.s.t%03d", i),
				ResourceType: "table", Via: "direct"}})
	}
	body := section(t, string(render(t, r, WriteHTML)), "changes")
	if n := strings.Count(body, "<tr><td>added<td>ehr/x"); n != htmlChangesCap {
		t.Errorf("%d added grants shown, want %d", n, htmlChangesCap)
	}
	if !strings.Contains(body, "7 more changes are not shown here") {
		t.Error("the page does not say how many changes it left out")
	}
	if !strings.Contains(body, fmt.Sprintf("<tr><td>Grants added</td><td class=\"num\">%d</td>",
		htmlChangesCap+7)) {
		t.Error("the count of added grants is not the full count")
	}
}
