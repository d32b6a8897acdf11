package report

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/wardsec/ward/internal/inventory"
)

// longHistory is the history scan with names long enough to need cutting,
// a control character in an account ID and more changes than the
// terminal lists.
func longHistory() *inventory.ScanResult {
	r := historyScan()
	ehr := r.Changes.Source("ehr")
	long := "ehr/" + strings.Repeat("very_long_service_account_name_", 4)
	for i := range 12 {
		ehr.New = append(ehr.New, inventory.FindingRef{Fingerprint: fmt.Sprint(i),
			RuleID: "PG-VERY-LONG-RULE-IDENTIFIER-042", Severity: inventory.SeverityLow,
			AccountID: long})
		ehr.AddedGrants = append(ehr.AddedGrants, inventory.GrantChange{AccountID: long,
			Grant: inventory.Grant{Privilege: "SELECT", ResourceType: "table", Via: "direct",
				Resource: "ehr." + strings.Repeat("schema_", 8) + ".table"}})
	}
	ehr.AddedAccounts = append(ehr.AddedAccounts, inventory.AccountRef{ID: "ehr/e\x1b[2J",
		Kind: inventory.KindService})
	return r
}

func TestTextChangesFitAndAreEscaped(t *testing.T) {
	out := string(render(t, longHistory(), textWriteFunc(TextOptions{Color: true})))
	for i, line := range strings.Split(out, "\n") {
		if n := utf8.RuneCountInString(ansi.ReplaceAllString(line, "")); n > textWidth {
			t.Errorf("line %d is %d columns: %q", i+1, n, line)
		}
	}
	if strings.Contains(ansi.ReplaceAllString(out, ""), "\x1b") {
		t.Error("an account ID drives the terminal")
	}
	if !strings.Contains(out, `ehr/e\x1b[2J`) {
		t.Error("the escaped account ID is missing")
	}
}

func TestTextChangesAreCapped(t *testing.T) {
	out := string(render(t, longHistory(), textWriteFunc(TextOptions{})))
	_, section, _ := strings.Cut(out, "Changes since the previous scan\n")
	section, _, _ = strings.Cut(section, "\n\n")
	if n := strings.Count(section, "    new       ") + strings.Count(section, "    reopened  "); n != textNewCap {
		t.Errorf("listed %d new findings, want the cap %d", n, textNewCap)
	}
	if n := strings.Count(section, "    + grant"); n != textChangesCap {
		t.Errorf("listed %d added grants, want the cap %d", n, textChangesCap)
	}
	// 14 new findings (10 shown) and 13 added grants (5 shown).
	if !strings.Contains(section, "… 12 more; the json, html and sarif reports list every change") {
		t.Errorf("the section does not count what it left out:\n%s", section)
	}
	flat := strings.Join(strings.Fields(section), " ")
	if !strings.Contains(flat, "findings 14 new, 2 unchanged, 1 resolved; accounts +2 -1; grants +13 -1") {
		t.Errorf("the counts are not the full counts:\n%s", section)
	}
}

func TestTextWithoutChangesHasNoChangesSection(t *testing.T) {
	out := string(render(t, sampleScan(), textWriteFunc(TextOptions{})))
	if strings.Contains(out, "Changes since") {
		t.Error("a scan that was not compared shows a changes section")
	}
}
