package secrets

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestTableEscapesWhere(t *testing.T) {
	long := strings.Repeat("deep/", 60) + "app.env"
	tests := []struct {
		name, path string
		mustHave   []string
		mustNot    []string
	}{
		{"escape sequence", "evil\x1b[2J\x1b]0;pwned\x07.env",
			[]string{`evil\x1b[2J\x1b]0;pwned\x07.env:1`}, []string{"\x1b", "\x07"}},
		{"newline", "a\nSEVERITY fake row.env", []string{`a\x0aSEVERITY fake row.env:1`},
			[]string{"a\nSEVERITY"}},
		{"bidi override", "cfg\u202egnp.env", []string{`cfg\u202egnp.env:1`}, []string{"\u202e"}},
		{"invalid UTF-8", "bad\xff.env", []string{`bad\xff.env:1`}, []string{"\xff"}},
		{"long path cut in the middle", long,
			[]string{"deep/deep/", "…", "deep/app.env:1"}, []string{long}},
	}
	s := newTestScanner(t, Options{})
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			secs := s.ScanBytes(tc.path, []byte("DB_PASSWORD=FAKE-where-52\n"))
			if len(secs) != 1 {
				t.Fatalf("found %d secrets, want 1", len(secs))
			}
			rep := &Report{Secrets: secs, Findings: s.Findings(secs)}
			var out bytes.Buffer
			if err := Write(&out, "table", rep); err != nil {
				t.Fatal(err)
			}
			got := out.String()
			for _, w := range tc.mustHave {
				if !strings.Contains(got, w) {
					t.Errorf("table lacks %q:\n%s", w, got)
				}
			}
			for _, w := range tc.mustNot {
				if strings.Contains(got, w) {
					t.Errorf("table holds %q:\n%s", w, got)
				}
			}
			if n := strings.Count(got, "\n"); n != 3 {
				t.Errorf("table has %d lines, want header, one row and summary:\n%s", n, got)
			}
		})
	}
}

func TestCapMiddle(t *testing.T) {
	tests := []struct {
		name, in string
		n        int
		want     string
	}{
		{"short kept", "a/b.env:1", 20, "a/b.env:1"},
		{"exact kept", "abcdef", 6, "abcdef"},
		{"cut", "abcdefghij", 7, "ab…ghij"},
		{"runes counted", "ééééééééé", 4, "é…éé"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := capMiddle(tc.in, tc.n); got != tc.want {
				t.Errorf("capMiddle(%q, %d) = %q, want %q", tc.in, tc.n, got, tc.want)
			}
		})
	}
}

func TestJSONTimesNullWhenZero(t *testing.T) {
	s := newTestScanner(t, Options{})
	secs := s.ScanBytes("app.env", []byte("DB_PASSWORD=FAKE-json-53\n"))
	rep := &Report{Secrets: secs, Findings: s.Findings(secs)}
	var out bytes.Buffer
	if err := Write(&out, "json", rep); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Findings []map[string]json.RawMessage `json:"findings"`
	}
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Findings) != 1 {
		t.Fatalf("%d findings, want 1", len(doc.Findings))
	}
	if got := string(doc.Findings[0]["rule_id"]); got != `"`+RuleDBPassword+`"` {
		t.Errorf("rule_id = %s, want the finding's fields beside the times", got)
	}
	for _, k := range []string{"first_seen", "last_seen"} {
		if got := string(doc.Findings[0][k]); got != "null" {
			t.Errorf("%s = %s, want null", k, got)
		}
	}
	if strings.Contains(out.String(), "0001-01-01") {
		t.Errorf("zero time written:\n%s", out.String())
	}
}
