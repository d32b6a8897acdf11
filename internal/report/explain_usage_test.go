package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/wardsec/ward/internal/inventory"
	"github.com/wardsec/ward/internal/usage"
)

// usageExplanation is an account with grants of every status, and the
// usage of 30 days of its logs.
func usageExplanation() Explanation {
	a := inventory.Account{ID: "ehr/app_svc", Source: "ehr", Name: "app_svc",
		Kind: inventory.KindService, Attributes: inventory.Attributes{CanLogin: true,
			Inherit: true, ConnLimit: -1},
		Memberships: []inventory.Membership{{Role: "clinical_write",
			Path: []string{"clinical_write"}, Inherit: true}},
		Grants: []inventory.Grant{
			{Privilege: "INSERT", Resource: "ehr.clinical.encounter", ResourceType: "table",
				PHI: true, Via: "clinical_write", Path: []string{"clinical_write"}},
			{Privilege: "UPDATE", Resource: "ehr.clinical.encounter", ResourceType: "table",
				PHI: true, Via: "clinical_write", Path: []string{"clinical_write"}},
			{Privilege: "SELECT", Resource: "ehr.clinical.patient.ssn", ResourceType: "column",
				PHI: true, Via: "clinical_write", Path: []string{"clinical_write"}},
			{Privilege: "USAGE", Resource: "ehr.clinical.encounter_id_seq",
				ResourceType: "sequence", Via: "clinical_write", Path: []string{"clinical_write"}},
			{Privilege: "SELECT", Resource: "ehr.public.lookup_codes", ResourceType: "table",
				Via: inventory.ViaPublic},
		}}
	start := time.Date(2026, 11, 4, 9, 0, 0, 0, time.UTC)
	b := usage.NewBuilder("ehr", usage.Options{})
	row := func(at time.Time, stmt int64, class, cmd, obj string) inventory.Event {
		return inventory.Event{Time: at, Source: "ehr", User: "app_svc", Database: "ehr",
			Action: inventory.ActionAudit, Command: cmd, ObjectType: "TABLE", ObjectName: obj,
			SessionID: "s", Audit: inventory.AuditFields{Type: "SESSION", StatementID: stmt,
				Class: class}}
	}
	for d := range 30 {
		at := start.Add(time.Duration(d) * 24 * time.Hour)
		b.Add(inventory.Event{Time: at, Source: "ehr", User: "app_svc", Database: "ehr",
			Action: inventory.ActionConnect, Application: "ehr-api/2.3", ClientAddr: "10.0.0.5"})
		b.Add(row(at, int64(2*d+1), "WRITE", "INSERT", "clinical.encounter"))
		b.Add(row(at, int64(2*d+2), "READ", "SELECT", "clinical.patient"))
	}
	b.Add(inventory.Event{Time: start.Add(29*24*time.Hour + time.Hour), Source: "ehr",
		User: "app_svc", Database: "ehr", Action: inventory.ActionConnect, Application: "psql",
		ClientAddr: "192.0.2.7"})
	// Another account's sessions every six hours: the logs have no gap.
	for at := start; at.Before(start.Add(30 * 24 * time.Hour)); at = at.Add(6 * time.Hour) {
		b.Add(inventory.Event{Time: at, Source: "ehr", User: "monitor",
			Action: inventory.ActionConnect})
	}
	b.Add(row(start.Add(10*24*time.Hour), 99, "WRITE", "INSERT", "public.etl_staging"))
	b.Add(row(start.Add(11*24*time.Hour), 1, "ROLE", "ALTER ROLE", ""))
	u := b.Usage()
	return Explanation{Account: a, ScanID: "20261204T100000Z-abcdef",
		ScannedAt: time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC), Window: u.Window,
		Usage: u.Account("app_svc")}
}

func TestExplainUsageGolden(t *testing.T) {
	e := usageExplanation()
	var txt, js bytes.Buffer
	if err := WriteExplainText(&txt, e, ListOptions{}); err != nil {
		t.Fatal(err)
	}
	golden(t, "list/explain-usage.txt", txt.Bytes())
	if err := WriteExplainJSON(&js, e); err != nil {
		t.Fatal(err)
	}
	golden(t, "list/explain-usage.json", js.Bytes())

	for _, want := range []string{
		"Granted vs used (logs from 2026-11-04 09:00:00 UTC to 2026-12-04 03:00:00 UTC, 29 days)",
		"logins      31 sessions, first 2026-11-04 09:00:00 UTC, last 2026-12-03 10:00:00 UTC; " +
			"0 failed logins",
		`programs    "ehr-api/2.3" (30 sessions), "psql" (1 session, interactive)`,
		"INSERT on table ehr.clinical.encounter (via clinical_write): used 30 times, first " +
			"2026-11-04 09:00:00 UTC, last 2026-12-03 09:00:00 UTC",
		"UPDATE on table ehr.clinical.encounter (via clinical_write): not used in these logs",
		"SELECT on column ehr.clinical.patient.ssn (via clinical_write): used 30 times",
		"USAGE on sequence ehr.clinical.encounter_id_seq (via clinical_write): its use is not " +
			"in pgaudit's rows",
		"used without a grant of its own (owner, PUBLIC): INSERT on ehr.public.etl_staging ×1",
		"commands    ALTER ROLE ×1",
	} {
		// The text wraps long lines: compare with the spacing flattened.
		if !strings.Contains(flat(txt.String()), flat(want)) {
			t.Errorf("text lacks %q:\n%s", want, txt.String())
		}
	}
	var doc struct {
		Usage struct {
			Grants []struct {
				Privilege, Resource, Status string
				Count                       int64
			}
		}
	}
	if err := json.Unmarshal(js.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, g := range doc.Usage.Grants {
		got = append(got, g.Privilege+" "+g.Resource+" "+g.Status)
	}
	want := "INSERT ehr.clinical.encounter used|UPDATE ehr.clinical.encounter unused|" +
		"SELECT ehr.clinical.patient.ssn used|USAGE ehr.clinical.encounter_id_seq not_recorded"
	if strings.Join(got, "|") != want {
		t.Errorf("json grants = %v, want %s", got, want)
	}
}

func TestExplainUsageWithoutSessions(t *testing.T) {
	e := usageExplanation()
	e.Usage = nil
	var txt bytes.Buffer
	if err := WriteExplainText(&txt, e, ListOptions{}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(flat(txt.String()), "no session, failed login or statement of this "+
		"account in these logs") {
		t.Errorf("text:\n%s", txt.String())
	}
}

// flat collapses every run of white space to one space.
func flat(s string) string { return strings.Join(strings.Fields(s), " ") }
