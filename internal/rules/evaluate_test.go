package rules

import (
	"encoding/json"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wardsec/ward/internal/config"
	"github.com/wardsec/ward/internal/inventory"
)

// busy builds a snapshot on which every rule fires at least once.
func busy() *inventory.Snapshot {
	s := snap(
		with(svc("app_svc"), superuser, unowned, grants(phiGrant("ehr.clinical.patient"),
			direct("INSERT", "table", "ehr.app.queue"))),
		with(svc("etl_svc"), dangerous("pg_read_all_data"), replication),
		with(svc("alice"), kind(inventory.KindHuman), grants(direct("SELECT", "table", "ehr.app.kpi"))),
		with(svc("x"), kind(inventory.KindUnknown), unowned),
	)
	s.StartedAt = time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	s.Accounts = append(s.Accounts,
		with(svc("owner_svc"), grants(phiGrant("ehr.clinical.visit"))),
		with(svc("gone_svc"), nologin),
	)
	s.Resources = []inventory.Resource{
		{Name: "ehr.clinical.patient", Type: "table", PHI: true, Owner: "owner_svc", RLS: true},
		{Name: "ehr.clinical.visit", Type: "table", PHI: true, Owner: "owner_svc"},
	}
	s.PublicGrants = []inventory.Grant{
		{Privilege: "SELECT", Resource: "ehr.clinical.patient", ResourceType: "table",
			Via: inventory.ViaPublic},
	}
	s.Functions = []inventory.Function{{Name: "ehr.clinical.lookup(text)", Owner: "postgres",
		OwnerSuperuser: true, SecurityDefiner: true, Executors: []string{"PUBLIC"}}}
	s.Sessions = []inventory.Session{{PID: 4242, User: "gone_svc", Database: "ehr",
		Application: "worker", ClientAddr: "10.1.2.3", Started: s.StartedAt.Add(-time.Hour)}}
	p := s.Postgres
	p.PasswordEncryption, p.SSL, p.LogConnections, p.PgauditLog = "md5", "off", "off", "ddl"
	p.HBA = append(p.HBA,
		hba(10, "host", "all", "all", "192.0.2.0/24", "trust"),
		hba(11, "local", "all", "all", "", "trust"),
		hba(12, "host", "ehr", "legacy", "10.0.0.0/8", "md5"),
		hba(13, "hostnossl", "all", "all", "samenet", "password"),
	)
	setting("app_svc", "", "pgaudit.log", "none")(p)
	setting("x", "ehr", "password_encryption", "md5")(p)
	return s
}

func TestEvaluateEveryRuleFires(t *testing.T) {
	s, u := busyInput() // the busy snapshot, and what its logs show
	fs := Evaluate(Input{Snapshot: s, Usage: u})
	for _, r := range Catalog() {
		if r.EvaluatedBy != "" {
			continue // not evaluated on snapshots
		}
		if len(only(fs, r.ID)) == 0 {
			t.Errorf("rule %s did not fire on the busy snapshot", r.ID)
		}
	}
}

func TestEvaluateLeavesInputAlone(t *testing.T) {
	s := busy()
	before, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	Evaluate(Input{Snapshot: s})
	after, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(before), string(after)); diff != "" {
		t.Errorf("Evaluate changed its input (-before +after):\n%s", diff)
	}
}

func TestEvaluateNilSnapshot(t *testing.T) {
	if fs := Evaluate(Input{}); fs != nil {
		t.Errorf("Evaluate with no snapshot = %v, want nil", fs)
	}
}

func TestFindingsCarryMetadata(t *testing.T) {
	rules := map[string]Rule{}
	for _, r := range Catalog() {
		rules[r.ID] = r
	}
	s, u := busyInput()
	for _, f := range Evaluate(Input{Snapshot: s, Usage: u}) {
		r := rules[f.RuleID]
		if f.Title != r.Title || f.Remediation != r.Remediation ||
			!slices.Equal(f.Citations, r.Citations) || !slices.Equal(f.Controls, r.Controls) {
			t.Errorf("%s %s: metadata differs from the catalogue", f.RuleID, f.Resource)
		}
		if f.Source != "ehr" {
			t.Errorf("%s: source %q, want ehr", f.RuleID, f.Source)
		}
		name := strings.TrimPrefix(f.AccountID, "ehr/")
		if f.AccountID == "" {
			name = ""
		}
		if want := inventory.Fingerprint(f.RuleID, "ehr", name, f.Resource); f.Fingerprint != want {
			t.Errorf("%s %s: fingerprint %s, want %s", f.RuleID, f.Resource, f.Fingerprint, want)
		}
		if len(f.Evidence) == 0 {
			t.Errorf("%s %s: no evidence", f.RuleID, f.Resource)
		}
		if f.Severity.Rank() < r.Severity.Rank()-2 || f.Severity.Rank() < 0 {
			t.Errorf("%s: severity %s is not derived from the base %s", f.RuleID, f.Severity, r.Severity)
		}
	}
}

func TestFingerprintsUnique(t *testing.T) {
	seen := map[string]inventory.Finding{}
	for _, f := range Evaluate(Input{Snapshot: busy()}) {
		if prev, ok := seen[f.Fingerprint]; ok {
			t.Errorf("fingerprint %s shared by %s/%s/%s and %s/%s/%s", f.Fingerprint,
				prev.RuleID, prev.AccountID, prev.Resource, f.RuleID, f.AccountID, f.Resource)
		}
		seen[f.Fingerprint] = f
	}
}

func TestFingerprintStable(t *testing.T) {
	byKey := func(fs []inventory.Finding) map[string]string {
		m := map[string]string{}
		for _, f := range fs {
			m[f.RuleID+"|"+f.AccountID+"|"+f.Resource] = f.Fingerprint
		}
		return m
	}
	base := byKey(Evaluate(Input{Snapshot: busy()}))

	t.Run("same input", func(t *testing.T) {
		if diff := cmp.Diff(base, byKey(Evaluate(Input{Snapshot: busy()}))); diff != "" {
			t.Errorf("fingerprints changed between two runs (-first +second):\n%s", diff)
		}
	})

	t.Run("evidence changes", func(t *testing.T) {
		s := busy()
		// Lines move down the file, reasons and grants change, the server is
		// upgraded, PHI appears: the problems are the same problems.
		for i := range s.Postgres.HBA {
			s.Postgres.HBA[i].Line += 40
		}
		s.Postgres.ServerVersionNum = 160004
		for i := range s.Accounts {
			s.Accounts[i].KindReasons = []string{"another reason"}
			s.Accounts[i].Grants = append(s.Accounts[i].Grants, direct("SELECT", "table", "ehr.app.new"))
		}
		s.Resources = append(s.Resources, inventory.Resource{Name: "ehr.clinical.visit", PHI: true})
		after := byKey(Evaluate(Input{Snapshot: s}))
		for k, fp := range base {
			if after[k] != fp {
				t.Errorf("%s: fingerprint %s became %q", k, fp, after[k])
			}
		}
	})

	t.Run("different source", func(t *testing.T) {
		s := busy()
		s.Source = "ehr-staging"
		for _, f := range Evaluate(Input{Snapshot: s}) {
			if slices.Contains(valuesOf(base), f.Fingerprint) {
				t.Errorf("%s %s kept its fingerprint on another source", f.RuleID, f.Resource)
			}
		}
	})
}

func valuesOf(m map[string]string) []string {
	var out []string
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

func TestEvaluateDeterministic(t *testing.T) {
	want := Evaluate(Input{Snapshot: busy()})
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 5 {
		s := busy()
		ac := s.Accounts
		rng.Shuffle(len(ac), func(a, b int) { ac[a], ac[b] = ac[b], ac[a] })
		ov := s.Postgres.Overrides
		rng.Shuffle(len(ov), func(a, b int) { ov[a], ov[b] = ov[b], ov[a] })
		if diff := cmp.Diff(want, Evaluate(Input{Snapshot: s})); diff != "" {
			t.Fatalf("shuffle %d changed the findings (-want +got):\n%s", i, diff)
		}
	}
}

func TestNoSecretsInFindings(t *testing.T) {
	s := busy()
	s.Accounts[0].Attributes.Config = []string{
		"app.db_password=CANARY-rolconfig-pw",
		"myapp.api_key=CANARY-rolconfig-key",
		"pgaudit.log=none",
	}
	s.Accounts[0].Attributes.Comment = "password is CANARY-comment"
	s.Accounts[0].Purpose = "CANARY-purpose"
	s.Postgres.HBA = append(s.Postgres.HBA,
		hba(20, "host", "all", "all", "10.9.0.0/16", "ldap", "ldapbindpasswd=CANARY-hba-ldap"),
		hba(21, "host", "all", "all", "10.8.0.0/16", "radius", "radiusservers=r.example.org",
			"radiussecrets=CANARY-hba-radius"),
	)
	setting("app_svc", "", "app.secret_token", "CANARY-override")(s.Postgres)

	owners := []config.Owner{{Account: "ehr/etl_svc", Purpose: "CANARY-owners"}}
	fs := Evaluate(Input{Snapshot: s, Owners: owners})
	data, err := json.Marshal(fs)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(strings.ToUpper(string(data)), "CANARY") {
		t.Errorf("a secret canary reached the findings: %s", data)
	}
	if !strings.Contains(string(data), "ldapbindpasswd=[REDACTED]") {
		t.Error("the ldap line should be shown with its secret redacted")
	}
}

func TestShowSetting(t *testing.T) {
	tests := []struct{ name, value, want string }{
		{"pgaudit.log", "none", "pgaudit.log=none"},
		{"password_encryption", "md5", "password_encryption=md5"},
		{"app.db_password", "CANARY", "app.db_password=[REDACTED]"},
		{"App.Secret", "CANARY", "App.Secret=[REDACTED]"},
		{"service.api_key", "CANARY", "service.api_key=[REDACTED]"},
		{"x.pwd", "CANARY", "x.pwd=[REDACTED]"},
	}
	for _, tc := range tests {
		if got := showSetting(tc.name, tc.value); got != tc.want {
			t.Errorf("showSetting(%q) = %q, want %q", tc.name, got, tc.want)
		}
	}
}

// TestFixShape checks what every SQL fix promises: one transaction per
// apply and rollback, except ALTER SYSTEM, which PostgreSQL refuses inside
// a transaction block.
func TestFixShape(t *testing.T) {
	s, u := busyInput()
	for _, f := range Evaluate(Input{Snapshot: s, Usage: u}) {
		if f.Fix == nil {
			continue
		}
		name := f.RuleID + " " + f.AccountID + " " + f.Resource
		switch f.Fix.Language {
		case "sql":
			sqls := []string{f.Fix.Apply}
			if f.Fix.Rollback != "" {
				sqls = append(sqls, f.Fix.Rollback)
			}
			for _, sql := range sqls {
				system := strings.Contains(sql, "ALTER SYSTEM")
				tx := strings.HasPrefix(sql, "BEGIN;\n") && strings.HasSuffix(sql, "COMMIT;\n")
				if system == tx {
					t.Errorf("%s: ALTER SYSTEM %v, in a transaction %v:\n%s", name, system, tx, sql)
				}
			}
		case "text":
			if !strings.Contains(f.Fix.Apply, "SELECT pg_reload_conf();") ||
				!strings.Contains(f.Fix.Rollback, "SELECT pg_reload_conf();") {
				t.Errorf("%s: a pg_hba.conf edit must end with a reload", name)
			}
		default:
			t.Errorf("%s: fix language %q", name, f.Fix.Language)
		}
		if f.Fix.Notes == "" {
			t.Errorf("%s: fix lacks notes", name)
		}
		// A fix may lack a rollback only when nothing can undo it, and
		// then its notes must say so.
		if f.Fix.Rollback == "" && !strings.Contains(f.Fix.Notes, "No rollback") {
			t.Errorf("%s: fix lacks a rollback, and its notes do not say why", name)
		}
	}
}
