package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/wardsec/ward/internal/pgtest"
)

var srv *pgtest.Server

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m, &srv)) }

const scannerPW = "FAKE-cli-scanner-pw"

// estate is a small clinic on the test server: a superuser integration,
// a contractor with direct grants on PHI, an owned ETL service and the
// minimal scanner role of docs/scanner-role.md.
const estate = `
CREATE ROLE ward_scanner LOGIN PASSWORD '` + scannerPW + `';
GRANT pg_read_all_settings TO ward_scanner;
CREATE ROLE legacy_interface LOGIN SUPERUSER PASSWORD 'FAKE-legacy';
CREATE ROLE contractor_jsmith LOGIN PASSWORD 'FAKE-contractor';
CREATE ROLE etl_loader LOGIN PASSWORD 'FAKE-etl';
CREATE ROLE clinical_read NOLOGIN;
`

// clinicSchema runs in the clinic database, the one the scanner's DSN
// names: the pg_hba_file_rules grants belong there (catalog views are per
// database).
const clinicSchema = `
GRANT SELECT ON pg_hba_file_rules TO ward_scanner;
GRANT EXECUTE ON FUNCTION pg_hba_file_rules() TO ward_scanner;
CREATE SCHEMA clinical;
CREATE TABLE clinical.patient (patient_id bigint PRIMARY KEY, mrn text, ssn text, full_name text);
GRANT USAGE ON SCHEMA clinical TO clinical_read, contractor_jsmith;
GRANT SELECT ON clinical.patient TO clinical_read;
GRANT SELECT (mrn, ssn) ON clinical.patient TO contractor_jsmith;
GRANT clinical_read TO etl_loader;
`

var estateOnce sync.Once

func setupEstate(t *testing.T) {
	t.Helper()
	estateOnce.Do(func() { loadEstate(t) })
}

func loadEstate(t *testing.T) {
	t.Helper()
	srv.MustExec(t, "postgres", "CREATE DATABASE clinic")
	srv.MustExec(t, "postgres", estate)
	srv.MustExec(t, "clinic", clinicSchema)
	if err := srv.WriteHBA(context.Background(), []string{
		"host all all 192.0.2.0/24 trust",
		"host clinic legacy_interface 192.0.2.10/32 md5",
	}); err != nil {
		t.Fatal(err)
	}
}

func writeConfig(t *testing.T, dir, body string) string {
	t.Helper()
	p := filepath.Join(dir, "ward.yaml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func run(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = Execute(context.Background(), Env{Version: "test", Stdout: &out, Stderr: &errb, Args: args})
	return code, out.String(), errb.String()
}

type jsonReport struct {
	Scan struct {
		Sources []struct {
			Name, Status, Error string
		}
	}
	Accounts []struct {
		ID, Kind string
		Grants   []struct {
			Privilege, Resource, Via string
			PHI                      bool
		}
	}
	Findings []struct {
		RuleID    string `json:"rule_id"`
		AccountID string `json:"account_id"`
		Resource  string
		Severity  string
		Fix       *struct{ Apply, Rollback string }
	}
}

func has(r jsonReport, rule, account string) bool {
	for _, f := range r.Findings {
		if f.RuleID == rule && f.AccountID == account {
			return true
		}
	}
	return false
}

// TestScanEndToEnd scans a real server as the documented minimal scanner
// and checks the findings the "done when" names: the legacy
// superuser, the trust and md5 lines, the contractor's direct grants and
// the service accounts without owners.
func TestScanEndToEnd(t *testing.T) {
	setupEstate(t)
	dir := t.TempDir()
	t.Setenv("WARD_TEST_SCANNER_PW", scannerPW)
	cfg := writeConfig(t, dir, fmt.Sprintf(`store: ward.db
sources:
  - name: clinic
    type: postgres
    dsn: postgres://ward_scanner@127.0.0.1:%d/clinic?sslmode=disable
    password: ${env:WARD_TEST_SCANNER_PW}
owners:
  - account: clinic/ward_scanner
    owner: security@clinic.example
`, srv.Port))
	out := filepath.Join(dir, "scan.json")

	code, stdout, stderr := run(t, "scan", "-c", cfg, "--format", "json", "-o", out)
	if code != ExitOK {
		t.Fatalf("exit %d, want 0 (no --fail-on)\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "Full report: "+out) {
		t.Errorf("summary does not say where the report is:\n%s", stdout)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var r jsonReport
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}

	for _, want := range []struct{ rule, account string }{
		{"PG-SUPERUSER-SERVICE", "clinic/legacy_interface"},
		{"PG-HBA-TRUST", ""},
		{"PG-MD5-PASSWORD", ""},
		{"PG-DIRECT-GRANTS", "clinic/contractor_jsmith"},
		{"ACCT-NO-OWNER", "clinic/etl_loader"},
		{"ACCT-NO-OWNER", "clinic/legacy_interface"},
	} {
		if !has(r, want.rule, want.account) {
			t.Errorf("no %s finding on %q", want.rule, want.account)
		}
	}
	if has(r, "ACCT-NO-OWNER", "clinic/ward_scanner") {
		t.Errorf("ward_scanner has an owner in ward.yaml but was flagged ACCT-NO-OWNER")
	}

	// etl_loader reads the PHI table through clinical_read: the grant says
	// so and is marked PHI.
	found := false
	for _, a := range r.Accounts {
		if a.ID != "clinic/etl_loader" {
			continue
		}
		for _, g := range a.Grants {
			if g.Resource == "clinic.clinical.patient" && g.Privilege == "SELECT" {
				found = true
				if g.Via != "clinical_read" || !g.PHI {
					t.Errorf("etl_loader SELECT on patient: via %q phi %v, want clinical_read, true", g.Via, g.PHI)
				}
			}
		}
	}
	if !found {
		t.Errorf("etl_loader has no SELECT grant on clinic.clinical.patient")
	}
	if bytes.Contains(b, []byte(scannerPW)) || strings.Contains(stdout+stderr, scannerPW) {
		t.Errorf("the scanner's password appears in the output")
	}

	// --fail-on: the legacy superuser is critical, so --fail-on critical exits 1.
	code, _, stderr = run(t, "scan", "-c", cfg, "--fail-on", "critical")
	if code != ExitFindings {
		t.Errorf("--fail-on critical: exit %d, want 1\n%s", code, stderr)
	}
}

// TestScanUnreachableSourceStillScansOthers points one source at a closed
// port: the scan names it, still scans the other source, and exits 2.
func TestScanUnreachableSourceStillScansOthers(t *testing.T) {
	setupEstate(t)
	dir := t.TempDir()
	t.Setenv("WARD_TEST_SCANNER_PW", scannerPW)
	cfg := writeConfig(t, dir, fmt.Sprintf(`sources:
  - name: down
    type: postgres
    dsn: postgres://ward_scanner@127.0.0.1:1/clinic?sslmode=disable&connect_timeout=3
    password: ${env:WARD_TEST_SCANNER_PW}
  - name: clinic
    type: postgres
    dsn: postgres://ward_scanner@127.0.0.1:%d/clinic?sslmode=disable
    password: ${env:WARD_TEST_SCANNER_PW}
`, srv.Port))
	out := filepath.Join(dir, "scan.json")
	code, stdout, stderr := run(t, "scan", "-c", cfg, "--format", "json", "-o", out)
	if code != ExitError {
		t.Fatalf("exit %d, want 2 for a partial scan\n%s\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stderr, "source down") {
		t.Errorf("stderr does not name the failed source:\n%s", stderr)
	}
	var r jsonReport
	b, _ := os.ReadFile(out)
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	status := map[string]string{}
	for _, s := range r.Scan.Sources {
		status[s.Name] = s.Status
	}
	if status["down"] != "failed" || status["clinic"] != "complete" {
		t.Errorf("source status = %v, want down failed and clinic complete", status)
	}
	if !has(r, "PG-SUPERUSER-SERVICE", "clinic/legacy_interface") {
		t.Errorf("the reachable source was not evaluated")
	}
}

// TestScanWrongPasswordIsClear checks the message for a wrong password
// names the source and never shows the password tried.
func TestScanWrongPasswordIsClear(t *testing.T) {
	setupEstate(t)
	dir := t.TempDir()
	const wrong = "CANARY-wrong-password-91"
	t.Setenv("WARD_TEST_WRONG_PW", wrong)
	cfg := writeConfig(t, dir, fmt.Sprintf(`sources:
  - name: clinic
    type: postgres
    dsn: postgres://ward_scanner@127.0.0.1:%d/clinic?sslmode=disable
    password: ${env:WARD_TEST_WRONG_PW}
`, srv.Port))
	code, stdout, stderr := run(t, "scan", "-c", cfg)
	if code != ExitError {
		t.Errorf("exit %d, want 2", code)
	}
	if strings.Contains(stdout+stderr, wrong) {
		t.Errorf("output reveals the password:\n%s\n%s", stdout, stderr)
	}
	if !strings.Contains(stderr, "clinic") || !strings.Contains(strings.ToLower(stderr), "password") {
		t.Errorf("message does not name the source and the cause:\n%s", stderr)
	}
}

func TestConfigErrorsExit2(t *testing.T) {
	dir := t.TempDir()
	cfg := writeConfig(t, dir, "sources:\n  - name: a\n    type: postgres\n    dsn: postgres://u:CANARY-x@h/db\n")
	code, _, stderr := run(t, "scan", "-c", cfg)
	if code != ExitError {
		t.Errorf("exit %d, want 2", code)
	}
	if !strings.Contains(stderr, "ward.yaml:4") || strings.Contains(stderr, "CANARY-x") {
		t.Errorf("message should name line 4 and hide the password:\n%s", stderr)
	}
	if code, _, _ := run(t, "scan", "--format", "pdf", "-c", cfg); code != ExitError {
		t.Errorf("unknown format: exit %d, want 2", code)
	}
	if code, _, _ := run(t, "scan", "--fail-on", "severe", "-c", cfg); code != ExitError {
		t.Errorf("unknown severity: exit %d, want 2", code)
	}
	if code, _, _ := run(t, "frobnicate"); code != ExitError {
		t.Errorf("unknown command: exit %d, want 2", code)
	}
}

func TestInitWritesLoadableConfig(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "ward.yaml")
	if code, _, stderr := run(t, "init", "-c", p); code != ExitOK {
		t.Fatalf("init: exit %d: %s", code, stderr)
	}
	if code, _, stderr := run(t, "init", "-c", p); code != ExitError || !strings.Contains(stderr, "--force") {
		t.Errorf("second init: exit %d, %q; want 2 and a hint about --force", code, stderr)
	}
	fi, err := os.Stat(p)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("ward.yaml mode = %v, want 0600", fi.Mode().Perm())
	}
	// The template references ${env:WARD_EHR_PASSWORD}; with it set the
	// file must load as it is.
	t.Setenv("WARD_EHR_PASSWORD", "FAKE-init")
	b, _ := os.ReadFile(p)
	if _, err := parseForTest(p, b); err != nil {
		t.Errorf("the init template does not load: %v", err)
	}
}

func TestVersion(t *testing.T) {
	code, out, _ := run(t, "version")
	if code != ExitOK || out != "ward test\n" {
		t.Errorf("version: exit %d, %q", code, out)
	}
}

// TestOutputPathCheckedBeforeScanning: a report path that cannot be
// written is refused at once, not after minutes of scanning.
func TestOutputPathCheckedBeforeScanning(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "nope", "r.html")
	code, _, stderr := run(t, "scan", "-c", filepath.Join(dir, "absent.yaml"), "-o", missing)
	if code != ExitError || !strings.Contains(stderr, "does not exist: create it first") {
		t.Errorf("missing directory: exit %d, %q", code, stderr)
	}
	code, _, stderr = run(t, "scan", "-c", filepath.Join(dir, "absent.yaml"), "-o", dir)
	if code != ExitError || !strings.Contains(stderr, "is a directory") {
		t.Errorf("directory as output: exit %d, %q", code, stderr)
	}
}

// TestTextSummaryToFile: -o with the default text format writes the
// summary to the file, as --help says.
func TestTextSummaryToFile(t *testing.T) {
	setupEstate(t)
	dir := t.TempDir()
	t.Setenv("WARD_TEST_SCANNER_PW", scannerPW)
	cfg := writeConfig(t, dir, fmt.Sprintf(`sources:
  - name: clinic
    type: postgres
    dsn: postgres://ward_scanner@127.0.0.1:%d/clinic?sslmode=disable
    password: ${env:WARD_TEST_SCANNER_PW}
`, srv.Port))
	out := filepath.Join(dir, "summary.txt")
	code, stdout, stderr := run(t, "scan", "-c", cfg, "-o", out, "--fail-on", "critical")
	if code != ExitFindings {
		t.Fatalf("exit %d, want 1\n%s", code, stderr)
	}
	b, err := os.ReadFile(out)
	if err != nil || !strings.Contains(string(b), "PG-SUPERUSER-SERVICE") {
		t.Errorf("summary file: %v, %q", err, b)
	}
	if !strings.Contains(stdout, "summary written to "+out) {
		t.Errorf("stdout does not say where the summary went: %q", stdout)
	}
	if !strings.Contains(stderr, "at or above critical (--fail-on): exit 1") {
		t.Errorf("stderr does not say why the exit is 1: %q", stderr)
	}
}

// TestScanCodeSourceLinksSecrets plants a FAKE password of a real login
// in a code tree: `ward scan` reports it on that login's account, and
// never shows it.
func TestScanCodeSourceLinksSecrets(t *testing.T) {
	setupEstate(t)
	dir := t.TempDir()
	const planted = "FAKE-etl-loader-pw-in-code"
	tree := filepath.Join(dir, "deploy", "etl")
	if err := os.MkdirAll(tree, 0o755); err != nil {
		t.Fatal(err)
	}
	env := fmt.Sprintf("DATABASE_URL=postgres://etl_loader:%s@127.0.0.1:%d/clinic\n", planted, srv.Port)
	if err := os.WriteFile(filepath.Join(tree, ".env"), []byte(env), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("WARD_TEST_SCANNER_PW", scannerPW)
	cfg := writeConfig(t, dir, fmt.Sprintf(`sources:
  - name: clinic
    type: postgres
    dsn: postgres://ward_scanner@127.0.0.1:%d/clinic?sslmode=disable
    password: ${env:WARD_TEST_SCANNER_PW}
  - name: repo
    type: code
    path: deploy
`, srv.Port))
	out := filepath.Join(dir, "scan.json")
	code, stdout, stderr := run(t, "scan", "-c", cfg, "--format", "json", "-o", out)
	if code != ExitOK {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	b, _ := os.ReadFile(out)
	var r jsonReport
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	if !has(r, "SECRET-HARDCODED-DB-PASSWORD", "clinic/etl_loader") {
		t.Errorf("the planted password is not reported on clinic/etl_loader: %+v", r.Findings)
	}
	db, _ := os.ReadFile(filepath.Join(dir, "ward.db"))
	wal, _ := os.ReadFile(filepath.Join(dir, "ward.db-wal"))
	db = append(db, wal...)
	if bytes.Contains(b, []byte(planted)) || bytes.Contains(db, []byte(planted)) ||
		strings.Contains(stdout+stderr, planted) {
		t.Errorf("the planted password appears in an output or the store")
	}
}

// TestWriteFileAtomicKeepsDevices: -o naming a pipe (as -o /dev/null or
// /dev/stdout does a device) writes into it instead of renaming a file
// over it. A FIFO in a temporary directory stands in for /dev/null, so a
// regression cannot damage the machine running the tests.
func TestWriteFileAtomicKeepsDevices(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "pipe")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("cannot make a FIFO here: %v", err)
	}
	got := make(chan []byte)
	go func() {
		b, _ := os.ReadFile(fifo)
		got <- b
	}()
	err := writeFileAtomic(fifo, func(f *os.File) error {
		_, err := f.WriteString("report")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if b := <-got; string(b) != "report" {
		t.Errorf("read %q from the pipe, want %q", b, "report")
	}
	fi, err := os.Lstat(fifo)
	if err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
		t.Errorf("the pipe was replaced: %v %v", fi.Mode(), err)
	}
}
