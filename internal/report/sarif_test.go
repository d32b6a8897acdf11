package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wardsec/ward/internal/inventory"
	"github.com/wardsec/ward/internal/rules"
)

// testCatalog describes one of the sample's rules, so that the golden
// files show both a catalogued rule and one described from its finding,
// and do not change when the real catalogue's wording does.
func testCatalog() []rules.Rule {
	return []rules.Rule{{
		ID: "PG-SUPER-001", Title: "Service login holds superuser",
		Detects:  "A login used by software is a superuser.",
		Severity: inventory.SeverityHigh, Citations: []string{citeAccessControl},
		Controls: []string{"AC-6"}, Remediation: "Remove SUPERUSER.",
	}}
}

func sarifFunc(catalog []rules.Rule) Func {
	return func(w io.Writer, r *inventory.ScanResult) error { return writeSARIF(w, r, catalog) }
}

func TestWriteSARIFGolden(t *testing.T) {
	for _, tt := range []struct {
		name string
		scan *inventory.ScanResult
	}{
		{"sample", sampleScan()},
		{"history", historyScan()},
		{"empty", &inventory.ScanResult{}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			golden(t, tt.name+"/report.sarif", render(t, tt.scan, sarifFunc(testCatalog())))
		})
	}
}

// sarifDoc decodes a SARIF log into generic JSON values.
func sarifDoc(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var doc map[string]any
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("SARIF is not valid JSON: %v", err)
	}
	return doc
}

// checkSARIFStructure checks doc against the properties the SARIF 2.1.0
// schema requires and the enumerations it fixes, as far as this writer
// uses them, and returns every violation.
func checkSARIFStructure(doc map[string]any) []string {
	var errs []string
	fail := func(format string, args ...any) {
		errs = append(errs, fmt.Sprintf(format, args...))
	}
	str := func(m map[string]any, key string) (string, bool) {
		s, ok := m[key].(string)
		return s, ok
	}
	obj := func(v any) map[string]any { m, _ := v.(map[string]any); return m }
	arr := func(v any) []any { a, _ := v.([]any); return a }
	datetime := func(where string, v any) {
		if v == nil {
			return
		}
		s, _ := v.(string)
		if _, err := time.Parse(time.RFC3339Nano, s); err != nil {
			fail("%s: %q is not a date-time", where, s)
		}
	}

	if v, ok := doc["version"].(string); !ok || v != "2.1.0" {
		fail("version = %v, want \"2.1.0\"", doc["version"])
	}
	if s, ok := str(doc, "$schema"); !ok {
		fail("$schema missing")
	} else if u, err := url.Parse(s); err != nil || !u.IsAbs() {
		fail("$schema %q is not an absolute URI", s)
	}
	runs, ok := doc["runs"].([]any)
	if !ok {
		fail("runs is not an array")
	}
	for i, rv := range runs {
		run := obj(rv)
		driver := obj(obj(run["tool"])["driver"])
		if name, _ := str(driver, "name"); name == "" {
			fail("runs[%d].tool.driver.name missing", i)
		}
		ruleIDs := []string{}
		for j, rl := range arr(driver["rules"]) {
			rule := obj(rl)
			id, ok := str(rule, "id")
			if !ok {
				fail("rule %d has no id", j)
			}
			ruleIDs = append(ruleIDs, id)
			for _, k := range []string{"shortDescription", "fullDescription", "help"} {
				if m := obj(rule[k]); rule[k] != nil {
					if _, ok := str(m, "text"); !ok {
						fail("rule %s: %s has no text", id, k)
					}
				}
			}
			level, _ := str(obj(rule["defaultConfiguration"]), "level")
			if !slices.Contains([]string{"none", "note", "warning", "error"}, level) {
				fail("rule %s: defaultConfiguration.level %q", id, level)
			}
		}
		for j, iv := range arr(run["invocations"]) {
			inv := obj(iv)
			if _, ok := inv["executionSuccessful"].(bool); !ok {
				fail("invocation %d: executionSuccessful is not a boolean", j)
			}
			datetime("startTimeUtc", inv["startTimeUtc"])
			datetime("endTimeUtc", inv["endTimeUtc"])
			for _, nv := range arr(inv["toolExecutionNotifications"]) {
				n := obj(nv)
				if text, _ := str(obj(n["message"]), "text"); text == "" {
					fail("notification without message text")
				}
				if lv, _ := str(n, "level"); !slices.Contains([]string{"none", "note", "warning", "error"}, lv) {
					fail("notification level %q", lv)
				}
			}
		}
		for j, rv := range arr(run["results"]) {
			res := obj(rv)
			if text, _ := str(obj(res["message"]), "text"); text == "" {
				fail("result %d: message.text missing", j)
			}
			id, _ := str(res, "ruleId")
			idx, ok := res["ruleIndex"].(float64)
			if !ok || int(idx) < 0 || int(idx) >= len(ruleIDs) || ruleIDs[int(idx)] != id {
				fail("result %d: ruleIndex %v does not point at rule %q", j, res["ruleIndex"], id)
			}
			if lv, _ := str(res, "level"); !slices.Contains([]string{"none", "note", "warning", "error"}, lv) {
				fail("result %d: level %q", j, lv)
			}
			if bs, has := res["baselineState"]; has && !slices.Contains(
				[]any{"new", "unchanged", "updated", "absent"}, bs) {
				fail("result %d: baselineState %v", j, bs)
			}
			for k, v := range obj(res["partialFingerprints"]) {
				if _, ok := v.(string); !ok {
					fail("result %d: partialFingerprints[%s] is not a string", j, k)
				}
			}
			for _, lv := range arr(res["locations"]) {
				for _, ll := range arr(obj(lv)["logicalLocations"]) {
					if _, ok := str(obj(ll), "fullyQualifiedName"); !ok {
						fail("result %d: logical location without fullyQualifiedName", j)
					}
				}
			}
			for _, sv := range arr(res["suppressions"]) {
				s := obj(sv)
				if k, _ := str(s, "kind"); k != "inSource" && k != "external" {
					fail("result %d: suppression kind %q", j, k)
				}
				if st, has := s["status"]; has && !slices.Contains(
					[]any{"accepted", "underReview", "rejected"}, st) {
					fail("result %d: suppression status %v", j, st)
				}
			}
		}
	}
	return errs
}

func TestSARIFStructure(t *testing.T) {
	for _, tt := range []struct {
		name string
		scan *inventory.ScanResult
	}{
		{"sample", sampleScan()},
		{"history", historyScan()},
		{"hostile", hostileScan()},
		{"empty", &inventory.ScanResult{}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			doc := sarifDoc(t, render(t, tt.scan, WriteSARIF))
			for _, e := range checkSARIFStructure(doc) {
				t.Error(e)
			}
			results := lookup(t, doc, "runs.0.results").([]any)
			if len(results) != len(tt.scan.Findings) {
				t.Errorf("%d results, want one per finding (%d)", len(results), len(tt.scan.Findings))
			}
		})
	}
}

// TestSARIFStructureCheckFails shows the structure check rejects what it
// is meant to reject.
func TestSARIFStructureCheckFails(t *testing.T) {
	for _, tt := range []struct {
		name string
		edit func(doc map[string]any)
	}{
		{"wrong version", func(d map[string]any) { d["version"] = "2.0.0" }},
		{"no schema", func(d map[string]any) { delete(d, "$schema") }},
		{"no driver name", func(d map[string]any) {
			delete(lookupMap(d, "runs.0.tool.driver"), "name")
		}},
		{"bad level", func(d map[string]any) { lookupMap(d, "runs.0.results.0")["level"] = "fatal" }},
		{"no message", func(d map[string]any) { delete(lookupMap(d, "runs.0.results.0"), "message") }},
		{"bad suppression kind", func(d map[string]any) {
			for _, r := range lookupMap(d, "runs.0")["results"].([]any) {
				for _, s := range asSlice(r.(map[string]any)["suppressions"]) {
					s.(map[string]any)["kind"] = "external-ish"
				}
			}
		}},
		{"rule index off", func(d map[string]any) {
			lookupMap(d, "runs.0.results.0")["ruleIndex"] = float64(99)
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			doc := sarifDoc(t, render(t, historyScan(), WriteSARIF))
			tt.edit(doc)
			if errs := checkSARIFStructure(doc); len(errs) == 0 {
				t.Error("the broken document passed the structure check")
			}
		})
	}
}

func asSlice(v any) []any { a, _ := v.([]any); return a }

// lookupMap follows a dotted path like lookup and returns the object there.
func lookupMap(v any, path string) map[string]any {
	for _, part := range strings.Split(path, ".") {
		switch c := v.(type) {
		case map[string]any:
			v = c[part]
		case []any:
			i := 0
			_ = json.Unmarshal([]byte(part), &i)
			v = c[i]
		}
	}
	return v.(map[string]any)
}

func TestSARIFResults(t *testing.T) {
	doc := sarifDoc(t, render(t, historyScan(), sarifFunc(testCatalog())))
	results := lookup(t, doc, "runs.0.results").([]any)
	byRule := map[string]map[string]any{}
	for _, r := range results {
		m := r.(map[string]any)
		byRule[m["ruleId"].(string)] = m
	}

	tests := []struct {
		name, path string
		want       any
	}{
		{"critical is an error", "PG-SUPER-001.level", "error"},
		{"medium is a warning", "PG-AUDIT-001.level", "warning"},
		{"fingerprint", "PG-SUPER-001.partialFingerprints.wardFindingFingerprint/v1",
			inventory.Fingerprint("PG-SUPER-001", "ehr", "etl_loader", "")},
		{"account location", "PG-SUPER-001.locations.0.logicalLocations.0.fullyQualifiedName",
			"ehr/etl_loader"},
		{"account kind", "PG-SUPER-001.locations.0.logicalLocations.0.kind", "account"},
		{"source location for a source finding",
			"PG-AUDIT-001.locations.0.logicalLocations.0.kind", "source"},
		{"resource location", "PG-PRIV-002.locations.0.logicalLocations.1.name",
			"ehr.clinical.patients.ssn"},
		{"active suppression is external", "PG-SUPER-001.suppressions.0.kind", "external"},
		{"accepted", "PG-SUPER-001.suppressions.0.status", "accepted"},
		{"justification is the reason", "PG-SUPER-001.suppressions.0.justification",
			"legacy loader; replacement scheduled, ticket SEC-42"},
		{"until", "PG-SUPER-001.suppressions.0.properties.until", "2025-06-30"},
		{"expired suppression is described",
			"PG-HBA-003.properties.expiredSuppression.until", "2025-02-28"},
		{"new", "PG-PRIV-002.baselineState", "new"},
		{"reopened is new", "PG-HBA-003.baselineState", "new"},
		{"unchanged", "PG-AUDIT-001.baselineState", "unchanged"},
		{"citations", "PG-SUPER-001.properties.citations.1", citeUniqueUser},
		{"fix", "PG-SUPER-001.properties.fix.apply", `ALTER ROLE "etl_loader" NOSUPERUSER;`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rule, rest, _ := strings.Cut(tt.path, ".")
			var got any
			if strings.Contains(rest, "wardFindingFingerprint/v1") {
				got = byRule[rule]["partialFingerprints"].(map[string]any)["wardFindingFingerprint/v1"]
			} else {
				got = lookup(t, byRule[rule], rest)
			}
			if got != tt.want {
				t.Errorf("%s = %v, want %v", tt.path, got, tt.want)
			}
		})
	}
	if _, has := byRule["PG-HBA-003"]["suppressions"]; has {
		t.Error("an expired suppression is written as a SARIF suppression")
	}
}

// TestSARIFRuleMetadataFromCatalog checks a rule of the real catalogue is
// described with the catalogue's own title, text and citations.
func TestSARIFRuleMetadataFromCatalog(t *testing.T) {
	cat := rules.Catalog()
	if len(cat) == 0 {
		t.Fatal("empty catalogue")
	}
	want := cat[0]
	r := &inventory.ScanResult{Findings: []inventory.Finding{{
		Fingerprint: "0123456789abcdef", RuleID: want.ID, Severity: want.Severity,
		Title: "the finding's own title", Source: "ehr", AccountID: "ehr/app",
	}}}
	doc := sarifDoc(t, render(t, r, WriteSARIF))
	rule := lookup(t, doc, "runs.0.tool.driver.rules.0").(map[string]any)

	if got := lookup(t, rule, "shortDescription.text"); got != want.Title {
		t.Errorf("shortDescription = %v, want the catalogue title %q", got, want.Title)
	}
	if got := lookup(t, rule, "fullDescription.text"); got != want.Detects {
		t.Errorf("fullDescription = %v, want the catalogue's detects text", got)
	}
	help, _ := lookup(t, rule, "help.text").(string)
	if !strings.HasPrefix(help, want.Remediation) {
		t.Errorf("help does not start with the remediation:\n%s", help)
	}
	for _, c := range want.Citations {
		if !strings.Contains(help, c) {
			t.Errorf("help lacks citation %q", c)
		}
	}
	var cites []string
	for _, c := range lookup(t, rule, "properties.citations").([]any) {
		cites = append(cites, c.(string))
	}
	if !slices.Equal(cites, want.Citations) {
		t.Errorf("properties.citations = %v, want %v", cites, want.Citations)
	}
	if got := lookup(t, rule, "defaultConfiguration.level"); got != SARIFLevel(want.Severity) {
		t.Errorf("defaultConfiguration.level = %v, want %s", got, SARIFLevel(want.Severity))
	}
}

func TestSARIFLevels(t *testing.T) {
	tests := []struct {
		sev  inventory.Severity
		want string
	}{
		{inventory.SeverityCritical, "error"},
		{inventory.SeverityHigh, "error"},
		{inventory.SeverityMedium, "warning"},
		{inventory.SeverityLow, "note"},
		{inventory.SeverityInfo, "note"},
		{inventory.Severity("bogus"), "note"},
	}
	for _, tt := range tests {
		t.Run(string(tt.sev), func(t *testing.T) {
			if got := SARIFLevel(tt.sev); got != tt.want {
				t.Errorf("SARIFLevel(%s) = %s, want %s", tt.sev, got, tt.want)
			}
		})
	}
}

// TestSARIFNotifications checks what the scan did not cover is in the
// invocation, and that a partial scan is not reported successful.
func TestSARIFNotifications(t *testing.T) {
	doc := sarifDoc(t, render(t, sampleScan(), WriteSARIF))
	inv := lookup(t, doc, "runs.0.invocations.0").(map[string]any)
	if inv["executionSuccessful"] != false {
		t.Error("a partial scan is reported as a successful execution")
	}
	var texts []string
	for _, n := range inv["toolExecutionNotifications"].([]any) {
		m := n.(map[string]any)
		texts = append(texts, m["level"].(string)+" "+m["message"].(map[string]any)["text"].(string))
	}
	all := strings.Join(texts, "\n")
	for _, want := range []string{
		"error source lab: source failed",
		"warning source billing: database archive not scanned",
		"enable: GRANT SELECT ON pg_catalog.pg_hba_file_rules TO ward_scanner",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("notifications lack %q:\n%s", want, all)
		}
	}
}
