package report

import (
	"bytes"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/wardsec/ward/internal/inventory"
)

// trackedFindings are the history scan's findings as the store lists them:
// the source finding resolved a day later.
func trackedFindings() []inventory.Finding {
	fs := historyScan().Findings
	fs[0].ResolvedAt = time.Date(2025, 3, 15, 9, 0, 0, 0, time.UTC)
	return fs
}

func sampleInventory() Inventory {
	return Inventory{Accounts: sampleScan().Accounts,
		OpenFindings: map[string]int{"ehr/etl_loader": 1, "ehr/reporting": 1}}
}

func sampleExplanation() Explanation {
	r := historyScan()
	e := Explanation{Account: r.Accounts[2], ScanID: r.ID, ScannedAt: r.StartedAt,
		PublicGrants: []inventory.Grant{
			{Privilege: "SELECT", Resource: "ehr.public.lookup_codes", ResourceType: "table",
				Via: inventory.ViaPublic},
			{Privilege: "SELECT", Resource: "ehr.clinical.diagnoses", ResourceType: "table",
				PHI: true, Via: inventory.ViaPublic},
			{Privilege: "EXECUTE", Resource: "ehr.public.f()", ResourceType: "function",
				Via: inventory.ViaPublic},
			{Privilege: "EXECUTE", Resource: "ehr.public.g()", ResourceType: "function",
				Via: inventory.ViaPublic},
		}}
	e.Account.Grants = append(e.Account.Grants, inventory.Grant{Privilege: "DELETE",
		Resource: "ehr.clinical.patients", ResourceType: "table", PHI: true, Via: "admins",
		Path: []string{"admins"}, SetRoleOnly: true})
	e.Account.Memberships = append(e.Account.Memberships, inventory.Membership{Role: "admins",
		Path: []string{"admins"}, Admin: true})
	for _, f := range r.Findings {
		if f.AccountID == e.Account.ID {
			e.Findings = append(e.Findings, f)
		}
	}
	return e
}

func TestListGolden(t *testing.T) {
	tests := []struct {
		name  string
		write func(w io.Writer) error
	}{
		{"findings.txt", func(w io.Writer) error {
			return WriteFindingsText(w, trackedFindings(), ListOptions{
				Notes: []string{"Findings of the store at /var/lib/ward/ward.db."}})
		}},
		{"findings.json", func(w io.Writer) error { return WriteFindingsJSON(w, trackedFindings()) }},
		{"findings-none.txt", func(w io.Writer) error {
			return WriteFindingsText(w, nil, ListOptions{})
		}},
		{"inventory.txt", func(w io.Writer) error {
			return WriteInventoryText(w, sampleInventory(), ListOptions{})
		}},
		{"inventory.json", func(w io.Writer) error { return WriteInventoryJSON(w, sampleInventory()) }},
		{"inventory.csv", func(w io.Writer) error { return WriteInventoryCSV(w, sampleInventory()) }},
		{"explain.txt", func(w io.Writer) error {
			return WriteExplainText(w, sampleExplanation(), ListOptions{})
		}},
		{"explain.json", func(w io.Writer) error { return WriteExplainJSON(w, sampleExplanation()) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := tt.write(&buf); err != nil {
				t.Fatal(err)
			}
			golden(t, "list/"+tt.name, buf.Bytes())
			if strings.HasSuffix(tt.name, ".json") && !json.Valid(buf.Bytes()) {
				t.Error("output is not valid JSON")
			}
		})
	}
}

func TestFindingsTextShowsSuppressionAndStatus(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteFindingsText(&buf, trackedFindings(), ListOptions{}); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{
		"suppressed until 2025-06-30 by ciso@clinic.example (ward suppress)",
		"suppression expired after 2025-02-28",
		"resolved 2025-03-15",
		"open, first seen 2025-03-11",
		"4 findings: 1 suppressed, 1 resolved.",
		inventory.Fingerprint("PG-SUPER-001", "ehr", "etl_loader", ""),
	} {
		if !strings.Contains(out, want) {
			t.Errorf("findings list lacks %q:\n%s", want, out)
		}
	}
}

func TestExplainText(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteExplainText(&buf, sampleExplanation(), ListOptions{Color: true}); err != nil {
		t.Fatal(err)
	}
	out := ansi.ReplaceAllString(buf.String(), "")
	for _, want := range []string{
		"Grants held directly or inherited (4 grants, 2 on PHI)",
		"PHI  ehr.clinical.patients (table): SELECT, UPDATE via app_rw",
		"Reachable only after SET ROLE (1 grant, 1 on PHI)",
		"ehr.clinical.patients (table): DELETE via admins (after SET ROLE)",
		"admins: SET ROLE only: its privileges need SET ROLE; with ADMIN OPTION",
		"Held by every role through PUBLIC, on PHI (1 grant, 1 on PHI)",
		"PUBLIC also holds: EXECUTE on function ×2, SELECT on table ×1",
		`    ALTER ROLE "etl_loader" NOSUPERUSER;`,
		"rollback:",
		"suppressed until 2025-06-30",
		"- rolsuper = true",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("explanation lacks %q:\n%s", want, out)
		}
	}
	for i, line := range strings.Split(out, "\n") {
		if n := utf8.RuneCountInString(line); n > textWidth {
			t.Errorf("line %d is %d columns: %q", i+1, n, line)
		}
	}
}

func TestListsEscapeNames(t *testing.T) {
	fs := []inventory.Finding{{Fingerprint: "f", RuleID: "R\x1b[2J", Severity: inventory.SeverityLow,
		Source: "s", AccountID: "s/a\u202e", Title: "t\x07"}}
	acc := inventory.Account{ID: "s/a\x1b]0;x\x07", Source: "s", Name: "a", Owner: "o\x1b[31m",
		KindReasons: []string{"r\x1b[1m"}}
	var buf bytes.Buffer
	if err := WriteFindingsText(&buf, fs, ListOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := WriteInventoryText(&buf, Inventory{Accounts: []inventory.Account{acc}}, ListOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := WriteExplainText(&buf, Explanation{Account: acc, Findings: fs}, ListOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"\x1b", "\x07", "\u202e"} {
		if strings.Contains(buf.String(), bad) {
			t.Errorf("output holds the raw character %q", bad)
		}
	}
}

func TestInventoryCSVIsFormulaSafe(t *testing.T) {
	inv := Inventory{Accounts: []inventory.Account{{ID: "ehr/=cmd", Source: "ehr", Name: "=cmd",
		Owner: "@evil", Purpose: "+1"}}}
	var buf bytes.Buffer
	if err := WriteInventoryCSV(&buf, inv); err != nil {
		t.Fatal(err)
	}
	rows := readCSV(t, buf.Bytes())
	if rows[0]["name"] != "'=cmd" || rows[0]["owner"] != "'@evil" || rows[0]["purpose"] != "'+1" {
		t.Errorf("row = %v, want formula-like cells quoted", rows[0])
	}
}

func TestInventoryTextSweepingReach(t *testing.T) {
	grant := inventory.Grant{Resource: "ehr.public.visits", Privilege: "SELECT", PHI: true}
	tests := []struct {
		name       string
		roles      []string
		want, omit []string
	}{
		{name: "pg_read_all_data", roles: []string{"pg_read_all_data"},
			want: []string{"all     all      all",
				"Reach: reads every table, PHI included (pg_read_all_data); 1 grant listed.",
				"1 with sweeping reach."}},
		// A cloud administrator role does not read every table by itself:
		// the counts stay, the note says what the role is.
		{name: "cloud administrator", roles: []string{"rds_superuser"},
			want: []string{"1       1        1",
				"Reach: the cloud provider's administrator role (rds_superuser)"},
			omit: []string{"all"}},
		{name: "plain account", want: []string{"1       1        1"},
			omit: []string{"Reach:", "sweeping"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			acc := inventory.Account{ID: "ehr/x", Source: "ehr", Name: "x",
				Attributes: inventory.Attributes{CanLogin: true, DangerousRoles: tt.roles},
				Grants:     []inventory.Grant{grant}}
			var buf bytes.Buffer
			if err := WriteInventoryText(&buf, Inventory{Accounts: []inventory.Account{acc}},
				ListOptions{}); err != nil {
				t.Fatal(err)
			}
			got := buf.String()
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("output lacks %q:\n%s", w, got)
				}
			}
			for _, o := range tt.omit {
				if strings.Contains(got, o) {
					t.Errorf("output has %q:\n%s", o, got)
				}
			}
		})
	}
}
