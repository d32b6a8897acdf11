package report

import (
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wardsec/ward/internal/inventory"
)

func TestWriteJSONGolden(t *testing.T) {
	tests := []struct {
		name string
		scan *inventory.ScanResult
	}{
		{name: "sample", scan: sampleScan()},
		{name: "empty", scan: &inventory.ScanResult{}},
		{name: "history", scan: historyScan()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			golden(t, tt.name+"/report.json", render(t, tt.scan, WriteJSON))
		})
	}
}

func decode(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatalf("report is not valid JSON: %v", err)
	}
	return doc
}

func TestJSONTopLevel(t *testing.T) {
	doc := decode(t, render(t, sampleScan(), WriteJSON))
	keys := slices.Sorted(func(yield func(string) bool) {
		for k := range doc {
			if !yield(k) {
				return
			}
		}
	})
	if want := []string{"accounts", "findings", "scan"}; !slices.Equal(keys, want) {
		t.Errorf("top-level members = %v, want exactly %v", keys, want)
	}
}

// nullable lists the members that may be null: times when unknown, a
// finding's fix when the rule has none, its suppression when none names
// it, and the scan's changes before it is compared.
var nullable = map[string]bool{
	"started_at": true, "finished_at": true, "first_seen": true, "last_seen": true, "fix": true,
	"changes": true, "suppression": true, "previous_started_at": true, "created_at": true,
	"resolved_at": true,
}

// checkNoNull fails for every null in v except the nullable members.
func checkNoNull(t *testing.T, path string, v any) {
	t.Helper()
	switch v := v.(type) {
	case nil:
		if !nullable[path[strings.LastIndex(path, ".")+1:]] {
			t.Errorf("%s is null", path)
		}
	case map[string]any:
		for k, e := range v {
			checkNoNull(t, path+"."+k, e)
		}
	case []any:
		for i, e := range v {
			checkNoNull(t, path+"["+strconv.Itoa(i)+"]", e)
		}
	}
}

func TestJSONArraysAreNeverNull(t *testing.T) {
	failedOnly := &inventory.ScanResult{
		Sources: []inventory.SourceResult{{Name: "lab", Type: "postgres",
			Status: inventory.StatusFailed, Error: "connection refused"}},
		Accounts: []inventory.Account{{ID: "lab/x", Source: "lab", Name: "x"}},
		Findings: []inventory.Finding{{RuleID: "R", Severity: inventory.SeverityLow, Source: "lab"}},
	}
	emptyHBA := sampleScan()
	emptyHBA.Sources[1].Snapshot.Postgres.HBA = []inventory.HBARule{{Line: 3, Error: "bad line"}}

	tests := []struct {
		name string
		scan *inventory.ScanResult
		// arrays are paths that must be [] in this scan.
		arrays []string
	}{
		{name: "empty scan", scan: &inventory.ScanResult{},
			arrays: []string{"accounts", "findings", "scan.sources"}},
		{name: "failed source and bare account and finding", scan: failedOnly,
			arrays: []string{"scan.sources.0.databases", "scan.sources.0.gaps",
				"scan.sources.0.scanner_privileges", "accounts.0.kind_reasons",
				"accounts.0.memberships", "accounts.0.grants", "findings.0.evidence",
				"findings.0.citations", "findings.0.controls"}},
		{name: "sample", scan: sampleScan(),
			arrays: []string{"accounts.0.kind_reasons", "accounts.0.grants", "scan.sources.1.gaps"}},
		{name: "hba line without database or user", scan: emptyHBA,
			arrays: []string{"scan.sources.1.settings.postgres.hba.0.database",
				"scan.sources.1.settings.postgres.hba.0.user"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := decode(t, render(t, tt.scan, WriteJSON))
			checkNoNull(t, "$", doc)
			for _, p := range tt.arrays {
				v := lookup(t, doc, p)
				arr, ok := v.([]any)
				if !ok || len(arr) != 0 {
					t.Errorf("%s = %#v, want []", p, v)
				}
			}
		})
	}
}

// lookup follows a dotted path of member names and array indexes.
func lookup(t *testing.T, v any, path string) any {
	t.Helper()
	for _, part := range strings.Split(path, ".") {
		switch c := v.(type) {
		case map[string]any:
			v = c[part]
		case []any:
			i := 0
			if err := json.Unmarshal([]byte(part), &i); err != nil || i >= len(c) {
				t.Fatalf("%s: bad index %q", path, part)
			}
			v = c[i]
		default:
			t.Fatalf("%s: cannot follow %q", path, part)
		}
	}
	return v
}

func TestJSONTimesAreUTC(t *testing.T) {
	r := sampleScan() // its times are in a -05:00 zone
	doc := decode(t, render(t, r, WriteJSON))
	tests := []struct {
		path string
		want time.Time
	}{
		{path: "scan.started_at", want: r.StartedAt},
		{path: "scan.finished_at", want: r.FinishedAt},
		{path: "findings.0.first_seen", want: r.Findings[2].FirstSeen},
		{path: "accounts.2.attributes.valid_until",
			want: *r.Accounts[0].Attributes.ValidUntil},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			got, _ := lookup(t, doc, tt.path).(string)
			if want := tt.want.UTC().Format(time.RFC3339); got != want {
				t.Errorf("%s = %q, want %q", tt.path, got, want)
			}
		})
	}
}

func TestJSONOrder(t *testing.T) {
	doc := decode(t, render(t, sampleScan(), WriteJSON))
	tests := []struct {
		name  string
		items string
		field string
		want  []string
	}{
		{name: "sources by name", items: "scan.sources", field: "name",
			want: []string{"billing", "ehr", "lab"}},
		{name: "accounts by id", items: "accounts", field: "id",
			want: []string{"billing/clerk", "ehr/etl_loader", "ehr/reporting"}},
		{name: "findings by severity then rule", items: "findings", field: "rule_id",
			want: []string{"PG-SUPER-001", "PG-HBA-003", "PG-PRIV-002", "PG-AUDIT-001"}},
		{name: "grants by resource then privilege", items: "accounts.1.grants", field: "privilege",
			want: []string{"CONNECT", "SELECT", "UPDATE", "SELECT"}},
		{name: "databases by name", items: "scan.sources.0.databases", field: "name",
			want: []string{"archive", "invoices"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, it := range lookup(t, doc, tt.items).([]any) {
				got = append(got, it.(map[string]any)[tt.field].(string))
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("%s.%s = %v, want %v", tt.items, tt.field, got, tt.want)
			}
		})
	}
}

// TestSchemaDocumentsEveryField checks that SCHEMA.md names every member
// the writer emits, with every optional member of the inventory types set.
func TestSchemaDocumentsEveryField(t *testing.T) {
	schema, err := os.ReadFile("SCHEMA.md")
	if err != nil {
		t.Fatal(err)
	}
	documented := map[string]bool{}
	for _, m := range regexp.MustCompile("`([a-z_]+)`").FindAllStringSubmatch(string(schema), -1) {
		documented[m[1]] = true
	}

	r := historyScan()
	pg := r.Sources[1].Snapshot.Postgres
	pg.LogDisconnections, pg.PreloadLibraries = "on", "pgaudit"
	pg.Other = map[string]string{"x": "y"}
	pg.Overrides = []inventory.RoleSetting{{Role: "r", Database: "d", Name: "n", Value: "v"}}
	pg.HBA[0].Netmask, pg.HBA[0].Options, pg.HBA[0].Error = "255.0.0.0", []string{"o"}, "e"
	a := &r.Accounts[2].Attributes
	a.Config, a.Comment, a.Bootstrap = []string{"c"}, "c", true
	r.Accounts[2].Grants[0].SetRoleOnly, r.Accounts[2].Grants[0].Grantable = true, true

	keys := map[string]bool{}
	collectKeys(decode(t, render(t, r, WriteJSON)), keys, false)
	for k := range keys {
		if !documented[k] {
			t.Errorf("JSON member %q is not documented in SCHEMA.md", k)
		}
	}
}

// collectKeys adds the member names of v to keys, except the names inside
// settings.postgres.other, which are data.
func collectKeys(v any, keys map[string]bool, skip bool) {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			if !skip {
				keys[k] = true
			}
			collectKeys(e, keys, k == "other")
		}
	case []any:
		for _, e := range v {
			collectKeys(e, keys, false)
		}
	}
}
