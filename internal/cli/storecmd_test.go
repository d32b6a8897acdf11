package cli

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wardsec/ward/internal/inventory"
	"github.com/wardsec/ward/internal/store"
)

// The estate of the store-command tests, built by hand and saved with
// store.SaveScan: no server is involved.
var (
	storeT0 = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

	fpSuper   = inventory.Fingerprint("PG-SUPERUSER-SERVICE", "ehr", "legacy_if", "")
	fpDirect  = inventory.Fingerprint("PG-DIRECT-GRANTS", "ehr", "contractor", "ehr.clinical.patient")
	fpOwner   = inventory.Fingerprint("ACCT-NO-OWNER", "ehr", "etl_loader", "")
	fpGone    = inventory.Fingerprint("ACCT-NO-OWNER", "ehr", "old_job", "")
	fpLab     = inventory.Fingerprint("ACCT-NO-OWNER", "lab", "etl_loader", "")
	fpUnknown = "0000000000000000"
)

func storeFinding(rule, source, account, resource string, sev inventory.Severity) inventory.Finding {
	f := inventory.Finding{
		Fingerprint: inventory.Fingerprint(rule, source, account, resource),
		RuleID:      rule, Severity: sev, Title: rule + " title", Source: source,
		Resource: resource, Evidence: []string{"evidence of " + rule},
		Citations: []string{"HIPAA 164.312(a)(1)"}, Remediation: "fix " + rule,
	}
	if account != "" {
		f.AccountID = inventory.AccountID(source, account)
	}
	return f
}

func storeAccount(source, name string, kind inventory.Kind, grants ...inventory.Grant) inventory.Account {
	return inventory.Account{ID: inventory.AccountID(source, name), Source: source, Name: name,
		Kind: kind, KindReasons: []string{"test says " + string(kind)},
		Attributes: inventory.Attributes{CanLogin: true, Inherit: true, ConnLimit: -1},
		Grants:     grants}
}

func storeScan(id string, at time.Time, status map[string]string) *inventory.ScanResult {
	r := &inventory.ScanResult{ID: id, StartedAt: at, FinishedAt: at.Add(time.Minute),
		WardVersion: "test", ConfigPath: "ward.yaml", ConfigHash: "h"}
	for _, name := range []string{"ehr", "lab"} {
		st, ok := status[name]
		if !ok {
			continue
		}
		src := inventory.SourceResult{Name: name, Type: "postgres", Status: st}
		if st == inventory.StatusFailed {
			src.Error = "connect: connection refused"
		} else {
			src.Snapshot = &inventory.Snapshot{Source: name, Type: "postgres", StartedAt: at,
				Databases: []inventory.DatabaseCoverage{{Name: name, Scanned: true}}}
		}
		r.Sources = append(r.Sources, src)
	}
	return r
}

// seedStore writes a ward.yaml whose password variable is unset (the
// store commands must not need it) with extra appended, and a store of two
// scans: s1 has both sources, s2 has ehr and a failed lab. Between them
// old_job's finding is resolved and the contractor's is new.
func seedStore(t *testing.T, extra string) string {
	t.Helper()
	dir := t.TempDir()
	cfg := writeConfig(t, dir, `store: ward.db
sources:
  - name: ehr
    type: postgres
    dsn: postgres://ward_scanner@127.0.0.1:1/ehr
    password: ${env:WARD_TEST_SURELY_UNSET}
  - name: lab
    type: postgres
    dsn: postgres://ward_scanner@127.0.0.1:1/lab
    password: ${env:WARD_TEST_SURELY_UNSET}
`+extra)

	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(dir, "ward.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()

	patient := inventory.Grant{Privilege: "SELECT", Resource: "ehr.clinical.patient",
		ResourceType: "table", PHI: true, Via: "clinical_read", Path: []string{"clinical_read"}}
	s1 := storeScan("s1", storeT0, map[string]string{"ehr": "complete", "lab": "complete"})
	s1.Accounts = []inventory.Account{
		storeAccount("ehr", "etl_loader", inventory.KindService, patient),
		storeAccount("ehr", "legacy_if", inventory.KindService),
		storeAccount("ehr", "old_job", inventory.KindService),
		storeAccount("lab", "etl_loader", inventory.KindService),
	}
	s1.Findings = []inventory.Finding{
		storeFinding("PG-SUPERUSER-SERVICE", "ehr", "legacy_if", "", inventory.SeverityCritical),
		storeFinding("ACCT-NO-OWNER", "ehr", "etl_loader", "", inventory.SeverityMedium),
		storeFinding("ACCT-NO-OWNER", "ehr", "old_job", "", inventory.SeverityMedium),
		storeFinding("ACCT-NO-OWNER", "lab", "etl_loader", "", inventory.SeverityMedium),
	}
	if err := st.SaveScan(ctx, s1); err != nil {
		t.Fatal(err)
	}

	s2 := storeScan("s2", storeT0.Add(24*time.Hour), map[string]string{"ehr": "complete", "lab": "failed"})
	setRole := inventory.Grant{Privilege: "DELETE", Resource: "ehr.clinical.patient",
		ResourceType: "table", PHI: true, Via: "admins", Path: []string{"admins"}, SetRoleOnly: true}
	etl := storeAccount("ehr", "etl_loader", inventory.KindService, patient, setRole)
	etl.Memberships = []inventory.Membership{{Role: "clinical_read", Path: []string{"clinical_read"},
		Inherit: true}, {Role: "admins", Path: []string{"admins"}}}
	s2.Accounts = []inventory.Account{
		etl,
		storeAccount("ehr", "legacy_if", inventory.KindService),
		storeAccount("ehr", "contractor", inventory.KindHuman, inventory.Grant{Privilege: "SELECT",
			Resource: "ehr.clinical.patient.ssn", ResourceType: "column", PHI: true, Via: "direct"}),
	}
	s2.Sources[0].Snapshot.PublicGrants = []inventory.Grant{{Privilege: "SELECT",
		Resource: "ehr.public.visits", ResourceType: "table", PHI: true, Via: "PUBLIC"}}
	super := storeFinding("PG-SUPERUSER-SERVICE", "ehr", "legacy_if", "", inventory.SeverityCritical)
	super.Fix = &inventory.Fix{Language: "sql", Apply: `ALTER ROLE "legacy_if" NOSUPERUSER;`}
	s2.Findings = []inventory.Finding{
		super,
		storeFinding("PG-DIRECT-GRANTS", "ehr", "contractor", "ehr.clinical.patient", inventory.SeverityHigh),
		storeFinding("ACCT-NO-OWNER", "ehr", "etl_loader", "", inventory.SeverityMedium),
	}
	if err := st.SaveScan(ctx, s2); err != nil {
		t.Fatal(err)
	}
	return cfg
}

func TestStoreCommandsNeedAScan(t *testing.T) {
	commands := [][]string{
		{"findings"}, {"inventory"}, {"explain", "ehr/etl_loader"},
		{"suppress", fpSuper, "--reason", "r", "--until", "2999-01-01", "--allow-long"},
	}
	t.Run("no store file", func(t *testing.T) {
		dir := t.TempDir()
		cfg := writeConfig(t, dir, "store: ward.db\n")
		for _, args := range commands {
			code, _, stderr := run(t, append(args, "-c", cfg)...)
			if code != ExitError || !strings.Contains(stderr, "run `ward scan` first") {
				t.Errorf("%v: exit %d, %q; want 2 and a hint to run ward scan", args, code, stderr)
			}
		}
		if _, err := os.Stat(filepath.Join(dir, "ward.db")); err == nil {
			t.Error("a read command created the store file")
		}
	})
	t.Run("store without a scan", func(t *testing.T) {
		dir := t.TempDir()
		cfg := writeConfig(t, dir, "store: ward.db\n")
		st, err := store.Open(context.Background(), filepath.Join(dir, "ward.db"))
		if err != nil {
			t.Fatal(err)
		}
		st.Close()
		for _, args := range commands {
			code, _, stderr := run(t, append(args, "-c", cfg)...)
			if code != ExitError || !strings.Contains(stderr, "holds no scan yet: run `ward scan` first") {
				t.Errorf("%v: exit %d, %q; want 2 and a hint to run ward scan", args, code, stderr)
			}
		}
	})
}

func TestFindingsCommand(t *testing.T) {
	cfg := seedStore(t, "")
	tests := []struct {
		name       string
		args       []string
		code       int
		want, omit []string
		errs       []string // in stderr
	}{
		{name: "open by default", args: nil,
			want: []string{fpSuper, fpDirect, fpOwner, fpLab, "4 findings: 0 suppressed, 0 resolved."},
			omit: []string{fpGone}},
		{name: "all", args: []string{"--status", "all"},
			want: []string{fpGone, "resolved 2026-03-02", "5 findings: 0 suppressed, 1 resolved."}},
		{name: "resolved", args: []string{"--status", "resolved"},
			want: []string{fpGone}, omit: []string{fpSuper}},
		{name: "severity is a minimum", args: []string{"--severity", "high"},
			want: []string{fpSuper, fpDirect}, omit: []string{fpOwner}},
		{name: "rule", args: []string{"--rule", "ACCT-NO-OWNER"},
			want: []string{fpOwner, fpLab}, omit: []string{fpSuper}},
		{name: "source", args: []string{"--source", "lab"},
			want: []string{fpLab}, omit: []string{fpOwner}},
		{name: "rule in lower case", args: []string{"--rule", "acct-no-owner"},
			want: []string{fpOwner, fpLab}, omit: []string{fpSuper}},
		{name: "none match", args: []string{"--rule", "PG-HBA-TRUST"},
			want: []string{"No finding matches."}},
		{name: "unknown rule", args: []string{"--rule", "NOPE"}, code: ExitError,
			errs: []string{`--rule: unknown rule "NOPE"`, "ACCT-NO-OWNER", "SA-INTERACTIVE-USE"}},
		{name: "status in capitals", args: []string{"--status", "Resolved"},
			want: []string{fpGone}, omit: []string{fpSuper}},
		{name: "severity in capitals", args: []string{"--severity", "HIGH"},
			want: []string{fpSuper, fpDirect}, omit: []string{fpOwner}},
		{name: "fail-on counts open findings", args: []string{"--fail-on", "critical"},
			code: ExitFindings},
		{name: "fail-on below everything", args: []string{"--rule", "ACCT-NO-OWNER",
			"--fail-on", "high"}, code: ExitOK},
		{name: "bad status", args: []string{"--status", "closed"}, code: ExitError},
		{name: "bad severity", args: []string{"--severity", "severe"}, code: ExitError},
		{name: "bad format", args: []string{"--format", "html"}, code: ExitError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := run(t, append([]string{"findings", "-c", cfg}, tt.args...)...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d\n%s%s", code, tt.code, stdout, stderr)
			}
			for _, w := range tt.errs {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr)
				}
			}
			for _, w := range tt.want {
				if !strings.Contains(stdout, w) {
					t.Errorf("output lacks %q:\n%s", w, stdout)
				}
			}
			for _, o := range tt.omit {
				if strings.Contains(stdout, o) {
					t.Errorf("output has %q:\n%s", o, stdout)
				}
			}
		})
	}
}

func TestFindingsFormats(t *testing.T) {
	cfg := seedStore(t, "")

	t.Run("json", func(t *testing.T) {
		code, stdout, _ := run(t, "findings", "-c", cfg, "--status", "all", "--format", "json")
		var doc struct {
			Findings []struct {
				Fingerprint string
				Status      string
				ResolvedAt  *string `json:"resolved_at"`
			}
		}
		if err := json.Unmarshal([]byte(stdout), &doc); err != nil || code != ExitOK {
			t.Fatalf("exit %d, %v:\n%s", code, err, stdout)
		}
		status := map[string]string{}
		for _, f := range doc.Findings {
			status[f.Fingerprint] = f.Status
			if (f.Status == "resolved") != (f.ResolvedAt != nil) {
				t.Errorf("%s: status %s with resolved_at %v", f.Fingerprint, f.Status, f.ResolvedAt)
			}
		}
		if status[fpGone] != "resolved" || status[fpSuper] != "open" || len(status) != 5 {
			t.Errorf("statuses = %v", status)
		}
	})
	t.Run("csv", func(t *testing.T) {
		code, stdout, _ := run(t, "findings", "-c", cfg, "--format", "csv")
		rows, err := csv.NewReader(strings.NewReader(stdout)).ReadAll()
		if err != nil || code != ExitOK {
			t.Fatalf("exit %d, %v", code, err)
		}
		if len(rows) != 5 || rows[0][0] != "fingerprint" {
			t.Errorf("rows = %d, header %v; want a header and 4 findings", len(rows), rows[0])
		}
	})
	t.Run("sarif", func(t *testing.T) {
		code, stdout, _ := run(t, "findings", "-c", cfg, "--format", "sarif", "--status", "all")
		var log struct {
			Version string
			Runs    []struct {
				Results []struct {
					RuleID        string `json:"ruleId"`
					BaselineState string `json:"baselineState"`
				}
			}
		}
		if err := json.Unmarshal([]byte(stdout), &log); err != nil || code != ExitOK {
			t.Fatalf("exit %d, %v", code, err)
		}
		if log.Version != "2.1.0" || len(log.Runs) != 1 || len(log.Runs[0].Results) != 5 {
			t.Fatalf("log = %+v", log)
		}
		absent := 0
		for _, r := range log.Runs[0].Results {
			if r.BaselineState == "absent" {
				absent++
			}
		}
		if absent != 1 {
			t.Errorf("%d results absent, want the one resolved finding", absent)
		}
	})
}

func TestSuppressCommand(t *testing.T) {
	cfg := seedStore(t, "")
	t.Setenv("USER", "FAKE-user-alice")
	future := time.Now().UTC().AddDate(1, 0, 0).Format("2006-01-02")
	past := time.Now().UTC().AddDate(0, 0, -1).Format("2006-01-02")
	today := time.Now().UTC().Format("2006-01-02")
	tooFar := time.Now().UTC().AddDate(1, 0, 2).Format("2006-01-02")

	refused := []struct {
		name string
		args []string
		want string
	}{
		{"unknown fingerprint", []string{fpUnknown, "--reason", "r", "--until", future},
			"list the fingerprints with `ward findings --status all`"},
		{"not a fingerprint", []string{"etl_loader", "--reason", "r", "--until", future},
			"is not a fingerprint"},
		{"no reason", []string{fpSuper, "--until", future}, "--reason is required"},
		{"blank reason", []string{fpSuper, "--reason", "  ", "--until", future}, "--reason is required"},
		{"no until", []string{fpSuper, "--reason", "r"}, "--until is required"},
		{"bad date", []string{fpSuper, "--reason", "r", "--until", "31/12/2099"}, "not a date"},
		{"past date", []string{fpSuper, "--reason", "r", "--until", past}, "is in the past"},
		{"beyond a year", []string{fpSuper, "--reason", "r", "--until", tooFar},
			"--allow-long"},
		{"no fingerprint", []string{"--reason", "r", "--until", future}, "accepts 1 arg"},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := run(t, append([]string{"suppress", "-c", cfg}, tt.args...)...)
			if code != ExitError || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, %q; want 2 and %q", code, stderr, tt.want)
			}
		})
	}

	code, stdout, stderr := run(t, "suppress", "-c", cfg, fpSuper, "--reason",
		"legacy interface; replacement in SEC-42", "--until", future)
	if code != ExitOK {
		t.Fatalf("suppress: exit %d\n%s", code, stderr)
	}
	if !strings.Contains(stdout, "Suppressed "+fpSuper+" (PG-SUPERUSER-SERVICE on \"ehr/legacy_if\")") ||
		!strings.Contains(stdout, "by FAKE-user-alice") {
		t.Errorf("suppress output:\n%s", stdout)
	}

	// The finding is still listed, marked, and no longer counts.
	code, stdout, _ = run(t, "findings", "-c", cfg, "--severity", "critical", "--fail-on", "critical")
	if code != ExitOK {
		t.Errorf("--fail-on critical with the only critical finding suppressed: exit %d, want 0", code)
	}
	want := fmt.Sprintf("suppressed until %s by FAKE-user-alice (ward suppress): legacy interface;", future)
	if !strings.Contains(stdout, fpSuper) || !strings.Contains(flat(stdout), want) {
		t.Errorf("findings does not show the suppressed finding with %q:\n%s", want, stdout)
	}

	// A suppression may end today, and --allow-long lifts the one-year cap.
	for _, args := range [][]string{{"--until", today}, {"--until", tooFar, "--allow-long"}} {
		code, _, stderr := run(t, append([]string{"suppress", "-c", cfg, fpDirect,
			"--reason", "r"}, args...)...)
		if code != ExitOK {
			t.Errorf("suppress %v: exit %d, want 0\n%s", args, code, stderr)
		}
	}

	// --by overrides $USER, and the later suppression replaces the earlier.
	code, _, _ = run(t, "suppress", "-c", cfg, fpSuper, "--reason", "shortened", "--until",
		future, "--by", "ciso@clinic.example")
	_, stdout, _ = run(t, "findings", "-c", cfg, "--format", "json")
	if code != ExitOK || !strings.Contains(stdout, `"by": "ciso@clinic.example"`) ||
		!strings.Contains(stdout, `"reason": "shortened"`) {
		t.Errorf("the second suppression does not replace the first (exit %d):\n%s", code, stdout)
	}
}

func TestConfigSuppressions(t *testing.T) {
	future := time.Now().UTC().AddDate(1, 0, 0).Format("2006-01-02")
	tests := []struct {
		name     string
		until    string
		failCode int
		want     string
	}{
		{"active", future, ExitOK,
			"suppressed until " + future + " by ciso@clinic.example (ward.yaml): VPN only"},
		{"expired", "2020-01-31", ExitFindings,
			"suppression expired after 2020-01-31 (by ciso@clinic.example in ward.yaml; it counts again)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := seedStore(t, fmt.Sprintf(`suppressions:
  - fingerprint: %s
    reason: VPN only, compensating control CC-12
    until: %s
    by: ciso@clinic.example
`, fpSuper, tt.until))
			code, stdout, stderr := run(t, "findings", "-c", cfg, "--fail-on", "critical")
			if code != tt.failCode {
				t.Errorf("--fail-on critical: exit %d, want %d\n%s", code, tt.failCode, stderr)
			}
			if !strings.Contains(flat(stdout), tt.want) {
				t.Errorf("findings lacks %q:\n%s", tt.want, stdout)
			}
			_, js, _ := run(t, "findings", "-c", cfg, "--format", "json")
			if !strings.Contains(js, `"origin": "config"`) {
				t.Errorf("JSON does not say the suppression comes from the configuration:\n%s", js)
			}
		})
	}
}

func TestInventoryCommand(t *testing.T) {
	cfg := seedStore(t, "")
	tests := []struct {
		name       string
		args       []string
		code       int
		want, omit []string
	}{
		{name: "all", want: []string{"ehr/etl_loader", "ehr/contractor", "lab/etl_loader",
			"Source lab failed in the latest scan; its accounts are from scan s1",
			"4 accounts: 3 service, 2 with grants on PHI."},
			omit: []string{"ehr/old_job"}},
		{name: "kind", args: []string{"--kind", "human"}, want: []string{"ehr/contractor"},
			omit: []string{"ehr/etl_loader"}},
		{name: "kind in capitals", args: []string{"--kind", "Human"},
			want: []string{"ehr/contractor"}, omit: []string{"ehr/etl_loader"}},
		{name: "source", args: []string{"--source", "ehr"}, want: []string{"ehr/etl_loader"},
			omit: []string{"lab/etl_loader", "Source lab failed"}},
		{name: "unknown source", args: []string{"--source", "billing"}, code: ExitError},
		{name: "unknown kind", args: []string{"--kind", "robot"}, code: ExitError},
		{name: "sarif is for findings", args: []string{"--format", "sarif"}, code: ExitError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := run(t, append([]string{"inventory", "-c", cfg}, tt.args...)...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d\n%s%s", code, tt.code, stdout, stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(stdout, w) {
					t.Errorf("output lacks %q:\n%s", w, stdout)
				}
			}
			for _, o := range tt.omit {
				if strings.Contains(stdout, o) {
					t.Errorf("output has %q:\n%s", o, stdout)
				}
			}
		})
	}

	t.Run("json", func(t *testing.T) {
		code, stdout, stderr := run(t, "inventory", "-c", cfg, "--format", "json")
		var doc struct {
			Accounts []struct {
				ID           string
				PHIGrants    int      `json:"phi_grants"`
				SetRoleOnly  int      `json:"set_role_only_grants"`
				PHIResources []string `json:"phi_resources"`
				OpenFindings int      `json:"open_findings"`
			}
		}
		if err := json.Unmarshal([]byte(stdout), &doc); err != nil || code != ExitOK {
			t.Fatalf("exit %d, %v", code, err)
		}
		var etl *struct {
			ID           string
			PHIGrants    int      `json:"phi_grants"`
			SetRoleOnly  int      `json:"set_role_only_grants"`
			PHIResources []string `json:"phi_resources"`
			OpenFindings int      `json:"open_findings"`
		}
		for i := range doc.Accounts {
			if doc.Accounts[i].ID == "ehr/etl_loader" {
				etl = &doc.Accounts[i]
			}
		}
		if etl == nil || etl.PHIGrants != 2 || etl.SetRoleOnly != 1 || etl.OpenFindings != 1 ||
			len(etl.PHIResources) != 1 {
			t.Errorf("ehr/etl_loader = %+v, want 2 PHI grants on 1 resource, 1 SET ROLE only, "+
				"1 open finding", etl)
		}
		if !strings.Contains(stderr, "Source lab failed in the latest scan") {
			t.Errorf("a machine format hides that lab failed; stderr:\n%s", stderr)
		}
	})
	t.Run("csv", func(t *testing.T) {
		code, stdout, _ := run(t, "inventory", "-c", cfg, "--format", "csv", "--kind", "service")
		rows, err := csv.NewReader(strings.NewReader(stdout)).ReadAll()
		if err != nil || code != ExitOK || len(rows) != 4 {
			t.Errorf("exit %d, %v, %d rows; want a header and 3 service accounts", code, err, len(rows))
		}
	})
}

func TestExplainCommand(t *testing.T) {
	cfg := seedStore(t, "")
	tests := []struct {
		name string
		args []string
		code int
		want []string
	}{
		{name: "by ID", args: []string{"ehr/etl_loader"}, want: []string{
			"ehr/etl_loader  service",
			"Grants held directly or inherited (1 grant, 1 on PHI)",
			"PHI  ehr.clinical.patient (table): SELECT via clinical_read",
			"Reachable only after SET ROLE (1 grant, 1 on PHI)",
			"ehr.clinical.patient (table): DELETE via admins (after SET ROLE)",
			"admins: SET ROLE only",
			"Held by every role through PUBLIC, on PHI (1 grant, 1 on PHI)",
			"Open findings (1)", fpOwner,
		}},
		{name: "by name when one source has it", args: []string{"legacy_if"}, want: []string{
			"ehr/legacy_if", fpSuper, `ALTER ROLE "legacy_if" NOSUPERUSER;`,
		}},
		{name: "from the last scan that collected the source", args: []string{"lab/etl_loader"},
			want: []string{"Source lab failed in the latest scan; its accounts are from scan s1",
				"scan        s1 "}},
		{name: "case-insensitive", args: []string{"EHR/Contractor"}, want: []string{"ehr/contractor"}},
		{name: "ambiguous name", args: []string{"etl_loader"}, code: ExitError,
			want: []string{`names 2 accounts: "ehr/etl_loader", "lab/etl_loader"; write SOURCE/NAME`}},
		{name: "unknown with close matches", args: []string{"ehr/etl_loadr"}, code: ExitError,
			want: []string{`no account "ehr/etl_loadr" in the latest scan; did you mean "ehr/etl_loader"`}},
		{name: "unknown without match", args: []string{"zzzzzzzzzz"}, code: ExitError,
			want: []string{`no account "zzzzzzzzzz"`, "ward inventory lists them all"}},
		{name: "gone in the latest scan", args: []string{"ehr/old_job"}, code: ExitError,
			want: []string{`no account "ehr/old_job"`}},
		{name: "bad format", args: []string{"ehr/etl_loader", "--format", "csv"}, code: ExitError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := run(t, append([]string{"explain", "-c", cfg}, tt.args...)...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d\n%s%s", code, tt.code, stdout, stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(stdout+stderr, w) {
					t.Errorf("output lacks %q:\n%s%s", w, stdout, stderr)
				}
			}
		})
	}

	t.Run("json", func(t *testing.T) {
		code, stdout, _ := run(t, "explain", "-c", cfg, "ehr/etl_loader", "--format", "json")
		var doc struct {
			ScanID  string `json:"scan_id"`
			Account struct {
				ID     string
				Grants []struct {
					SetRoleOnly bool `json:"set_role_only"`
				}
			}
			PublicGrants []struct{ Resource string } `json:"public_grants"`
			Findings     []struct{ Fingerprint string }
		}
		if err := json.Unmarshal([]byte(stdout), &doc); err != nil || code != ExitOK {
			t.Fatalf("exit %d, %v", code, err)
		}
		if doc.ScanID != "s2" || doc.Account.ID != "ehr/etl_loader" || len(doc.Account.Grants) != 2 ||
			len(doc.PublicGrants) != 1 || len(doc.Findings) != 1 || doc.Findings[0].Fingerprint != fpOwner {
			t.Errorf("explanation = %+v", doc)
		}
	})
}

// flat joins the words of s with single spaces, so that a check does not
// depend on where the terminal output wraps.
func flat(s string) string { return strings.Join(strings.Fields(s), " ") }
