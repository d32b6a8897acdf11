package report

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/wardsec/ward/internal/inventory"
)

func TestWriteTextGolden(t *testing.T) {
	tests := []struct {
		name string
		scan *inventory.ScanResult
		opt  TextOptions
	}{
		{name: "sample", scan: sampleScan(),
			opt: TextOptions{ReportPath: "/var/lib/ward/reports/scan-20250314-0001.html"}},
		{name: "empty", scan: &inventory.ScanResult{}},
		{name: "history", scan: historyScan()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			golden(t, tt.name+"/summary.txt", render(t, tt.scan, textWriteFunc(tt.opt)))
		})
	}
}

var ansi = regexp.MustCompile("\x1b\\[[0-9;]*m")

// hostileScan is the sample scan with names long enough to need cutting
// and an account name that tries to clear the terminal.
func hostileScan() *inventory.ScanResult {
	r := sampleScan()
	long := strings.Repeat("very_long_service_account_name_", 4)
	r.Findings = append(r.Findings,
		inventory.Finding{RuleID: "PG-VERY-LONG-RULE-IDENTIFIER-042", Severity: inventory.SeverityLow,
			Source: "ehr", AccountID: "ehr/" + long,
			Resource: "ehr." + strings.Repeat("schema_", 8) + ".table",
			Title:    strings.Repeat("A title that goes on and on ", 6)},
		inventory.Finding{RuleID: "PG-X", Severity: inventory.SeverityInfo, Source: "ehr",
			AccountID: "ehr/e\x1b[2J", Resource: "r\u202eab", Title: "bell\aand\nnewline"},
	)
	r.Sources[1].Snapshot.Gaps = append(r.Sources[1].Snapshot.Gaps, inventory.Gap{
		Check: "role settings", Reason: strings.Repeat("a long reason that must wrap ", 8)},
		inventory.Gap{Check: "sessions", Reason: "hidden\n    enable: GRANT FAKE TO nobody"})
	return r
}

func TestTextFitsIn100Columns(t *testing.T) {
	for _, color := range []bool{false, true} {
		t.Run(fmt.Sprintf("color=%v", color), func(t *testing.T) {
			out := string(render(t, hostileScan(), textWriteFunc(TextOptions{Color: color})))
			for i, line := range strings.Split(out, "\n") {
				if n := utf8.RuneCountInString(ansi.ReplaceAllString(line, "")); n > textWidth {
					t.Errorf("line %d is %d columns: %q", i+1, n, line)
				}
			}
		})
	}
}

func TestTextColor(t *testing.T) {
	tests := []struct {
		name      string
		color     bool
		wantANSI  bool
		wantPlain string
	}{
		{name: "off", color: false, wantANSI: false, wantPlain: "CRITICAL"},
		{name: "on", color: true, wantANSI: true, wantPlain: "CRITICAL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := string(render(t, sampleScan(), textWriteFunc(TextOptions{Color: tt.color})))
			if got := strings.Contains(out, "\x1b["); got != tt.wantANSI {
				t.Errorf("output has ANSI codes = %v, want %v", got, tt.wantANSI)
			}
			if tt.color && !strings.Contains(out, "\x1b[1;31mCRITICAL") {
				t.Error("critical finding is not shown in bold red")
			}
			plain := ansi.ReplaceAllString(out, "")
			if !strings.Contains(plain, tt.wantPlain) {
				t.Errorf("output lacks %q", tt.wantPlain)
			}
		})
	}
}

func TestTextEscapesControlCharacters(t *testing.T) {
	out := string(render(t, hostileScan(), textWriteFunc(TextOptions{})))
	for _, bad := range []string{"\x1b", "\a", "\u202e"} {
		if strings.Contains(out, bad) {
			t.Errorf("output contains the raw character %q", bad)
		}
	}
	if strings.Contains(out, "\n    enable: GRANT FAKE") {
		t.Error("a newline in a gap's reason made a line of its own")
	}
	for _, want := range []string{`\x1b[2J`, `\u202e`, `bell\x07and\x0anewline`,
		`hidden\x0a enable: GRANT FAKE TO nobody`} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks the escaped form %q", want)
		}
	}
}

func TestClean(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{name: "plain", in: "ehr/etl_loader", want: "ehr/etl_loader"},
		{name: "unicode letters kept", in: "pacient_ñandú", want: "pacient_ñandú"},
		{name: "escape", in: "a\x1b[31mb", want: `a\x1b[31mb`},
		{name: "newline and tab", in: "a\nb\tc", want: `a\x0ab\x09c`},
		{name: "C1 control", in: "a\u009bb", want: `a\u009bb`},
		{name: "bidi override", in: "abc\u202edcba", want: `abc\u202edcba`},
		{name: "invalid utf-8", in: "a\xffb", want: `a\xffb`},
		{name: "replacement char kept", in: "a\uFFFDb", want: "a\uFFFDb"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := clean(tt.in); got != tt.want {
				t.Errorf("clean(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// manyFindings returns a scan with n findings of rotating severity.
func manyFindings(n int) *inventory.ScanResult {
	r := &inventory.ScanResult{}
	for i := range n {
		r.Findings = append(r.Findings, inventory.Finding{
			RuleID: fmt.Sprintf("R-%03d", i), Severity: severities[i%len(severities)],
			Source: "ehr", AccountID: fmt.Sprintf("ehr/a%d", i), Title: "t",
		})
	}
	return r
}

// topRules returns the rule IDs of the top findings listed in out.
func topRules(out string) []string {
	_, section, ok := strings.Cut(out, "Top findings (")
	if !ok {
		return nil
	}
	var rules []string
	for _, line := range strings.Split(section, "\n")[1:] {
		if line == "" {
			break
		}
		// A finding's first line starts at the indent; its title line is
		// indented further.
		if strings.HasPrefix(line, "   ") {
			continue
		}
		f := strings.Fields(line)
		if f[1] == "PHI" {
			rules = append(rules, f[2])
		} else {
			rules = append(rules, f[1])
		}
	}
	return rules
}

func TestTextTopCount(t *testing.T) {
	tests := []struct {
		name     string
		findings int
		top      int
		want     int
		header   string
	}{
		{name: "default is 10", findings: 15, top: 0, want: 10, header: "Top findings (10 of 15)"},
		{name: "fewer than the limit", findings: 3, top: 0, want: 3, header: "Top findings (3 of 3)"},
		{name: "custom limit", findings: 15, top: 2, want: 2, header: "Top findings (2 of 15)"},
		{name: "negative lists none", findings: 15, top: -1, want: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := string(render(t, manyFindings(tt.findings), textWriteFunc(TextOptions{Top: tt.top})))
			if got := len(topRules(out)); got != tt.want {
				t.Errorf("listed %d findings, want %d", got, tt.want)
			}
			if tt.header != "" && !strings.Contains(out, tt.header) {
				t.Errorf("output lacks %q", tt.header)
			}
		})
	}
}

func TestTextTopOrder(t *testing.T) {
	f := func(rule string, sev inventory.Severity, phi bool) inventory.Finding {
		return inventory.Finding{RuleID: rule, Severity: sev, PHI: phi, Source: "s", Title: "t"}
	}
	r := &inventory.ScanResult{Findings: []inventory.Finding{
		f("A-LOW", inventory.SeverityLow, true),
		f("B-HIGH", inventory.SeverityHigh, false),
		f("C-HIGH-PHI", inventory.SeverityHigh, true),
		f("A-HIGH", inventory.SeverityHigh, false),
		f("Z-CRIT", inventory.SeverityCritical, false),
		f("A-INFO", inventory.SeverityInfo, false),
	}}
	got := topRules(string(render(t, r, textWriteFunc(TextOptions{}))))
	want := []string{"Z-CRIT", "C-HIGH-PHI", "A-HIGH", "B-HIGH", "A-LOW", "A-INFO"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("top findings in order %v, want %v", got, want)
	}
}

func TestTextNotCovered(t *testing.T) {
	r := sampleScan()
	r.Sources[1].Snapshot.Gaps = append(r.Sources[1].Snapshot.Gaps,
		inventory.Gap{Check: "sessions", Reason: "pg_stat_activity hides other users"})
	out := string(render(t, r, textWriteFunc(TextOptions{})))
	_, section, _ := strings.Cut(out, "Not covered\n")
	for _, want := range []string{
		"database archive not scanned: permission denied for database archive",
		`check "pg_hba rules" could not run`,
		"enable: GRANT SELECT ON pg_catalog.pg_hba_file_rules TO ward_scanner",
		`check "sessions" could not run`,
		"enable: no grant known to enable it",
		"lab: source failed",
		"billing: rules not evaluated: PG-HBA-001, PG-HBA-003; their earlier findings are not resolved",
	} {
		if !strings.Contains(section, want) {
			t.Errorf("Not covered section lacks %q:\n%s", want, section)
		}
	}
}

func TestTextReportPaths(t *testing.T) {
	long := "/var/lib/ward/" + strings.Repeat("reports/", 12) + "r.html"
	tests := []struct {
		name string
		path string
		want string
	}{
		{name: "none", want: "Full report: none written"},
		{name: "one", path: "/tmp/r.html", want: "Full report: /tmp/r.html\n"},
		{name: "long path is cut, not wrapped at a slash", path: long,
			want: "Full report: " + long[:87] + "\n             " + long[87:] + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opt := TextOptions{ReportPath: tt.path}
			out := string(render(t, &inventory.ScanResult{}, textWriteFunc(opt)))
			if !strings.Contains(out, tt.want) {
				t.Errorf("output lacks %q:\n%s", tt.want, out)
			}
		})
	}
}

func TestTruncAndWrap(t *testing.T) {
	tests := []struct{ name, got, want string }{
		{name: "end fits", got: truncEnd("abcdef", 6), want: "abcdef"},
		{name: "end cut", got: truncEnd("abcdefgh", 6), want: "abcde…"},
		{name: "middle cut", got: truncMiddle("ehr/very_long_name", 9), want: "ehr/…name"},
		{name: "middle multibyte", got: truncMiddle("ñññññññññ", 5), want: "ññ…ññ"},
		{name: "wrap", got: strings.Join(wrap("aa bb cc dd", 5, 5), "|"), want: "aa bb|cc dd"},
		{name: "wrap narrower first", got: strings.Join(wrap("aa bb cc", 5, 2), "|"), want: "aa|bb cc"},
		{name: "wrap cuts long word", got: strings.Join(wrap("abcdefgh", 3, 3), "|"), want: "abc|def|gh"},
		{name: "wrap empty", got: strings.Join(wrap("", 3, 3), "|"), want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got %q, want %q", tt.got, tt.want)
			}
		})
	}
}
