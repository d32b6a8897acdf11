package secrets

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// sarifOf scans the corpus (or a small tree) and renders SARIF.
func sarifOf(t *testing.T) []byte {
	t.Helper()
	dir := t.TempDir()
	writeFile(t, dir, "deploy/my app/.env", []byte("PGUSER=svc_s\nPGHOST=db.internal\nPGPASSWORD=FAKE-sarif-1\n"))
	writeFile(t, dir, "k8s/values.yaml", []byte("db:\n  password: FAKE-sarif-2\n"))
	s := newTestScanner(t, Options{})
	res, err := s.ScanPath(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	rep := &Report{Secrets: res.Secrets, Findings: s.Findings(res.Secrets), Stats: res.Stats,
		Version: "test"}
	if err := Write(&out, "sarif", rep); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func TestSARIFStructure(t *testing.T) {
	var doc struct {
		Version string
		Runs    []struct {
			Tool struct {
				Driver struct{ Rules []struct{ ID string } }
			}
			Results []struct {
				RuleID    string
				RuleIndex int
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct{ URI string }
						Region           struct{ StartLine int }
					}
				}
				PartialFingerprints map[string]string
			}
		}
	}
	if err := json.Unmarshal(sarifOf(t), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Version != "2.1.0" || len(doc.Runs) != 1 {
		t.Fatalf("version %q, %d runs", doc.Version, len(doc.Runs))
	}
	run := doc.Runs[0]
	if len(run.Results) != 2 {
		t.Fatalf("%d results, want 2", len(run.Results))
	}
	got := map[string]string{}
	for _, r := range run.Results {
		if run.Tool.Driver.Rules[r.RuleIndex].ID != r.RuleID {
			t.Errorf("result %s points at rule %d", r.RuleID, r.RuleIndex)
		}
		loc := r.Locations[0].PhysicalLocation
		got[loc.ArtifactLocation.URI] = r.RuleID
		if loc.Region.StartLine < 1 || r.PartialFingerprints[sarifFingerprintKey] == "" {
			t.Errorf("%s: line %d, fingerprint %v", r.RuleID, loc.Region.StartLine, r.PartialFingerprints)
		}
	}
	want := map[string]string{"deploy/my%20app/.env": RuleDBPassword, "k8s/values.yaml": RuleManifest}
	for uri, rule := range want {
		if got[uri] != rule {
			t.Errorf("%s: rule %q, want %s (all: %v)", uri, got[uri], rule, got)
		}
	}
}

// TestSARIFValidatesAgainstSchema validates the SARIF against the official
// 2.1.0 schema that `make test` fetches ($WARD_SARIF_SCHEMA), with Python's
// jsonschema package (Debian: python3-jsonschema, which `make test`
// installs). Outside make a missing schema or validator skips the test,
// saying so; under CI ($CI set) it fails, so the check cannot silently drop
// out, as in internal/report.
func TestSARIFValidatesAgainstSchema(t *testing.T) {
	schema := os.Getenv("WARD_SARIF_SCHEMA")
	if schema == "" {
		missingValidator(t, "SARIF SCHEMA ABSENT: set WARD_SARIF_SCHEMA to the SARIF 2.1.0 "+
			"JSON schema (make test does)")
	}
	if _, err := os.Stat(schema); err != nil {
		missingValidator(t, "SARIF SCHEMA ABSENT: WARD_SARIF_SCHEMA names no readable file: "+
			err.Error())
	}
	// The python3 on the PATH first, then Debian's, where
	// python3-jsonschema installs when another python3 comes first.
	python := ""
	for _, p := range []string{"python3", "/usr/bin/python3"} {
		if exec.Command(p, "-c", "import jsonschema").Run() == nil {
			python = p
			break
		}
	}
	if python == "" {
		missingValidator(t, "JSONSCHEMA ABSENT: python3 with the jsonschema package validates "+
			"the SARIF (apt-get install python3-jsonschema; make test installs it)")
	}
	file := filepath.Join(t.TempDir(), "out.sarif")
	if err := os.WriteFile(file, sarifOf(t), 0o644); err != nil {
		t.Fatal(err)
	}
	const check = `import json, sys, jsonschema
schema = json.load(open(sys.argv[1]))
doc = json.load(open(sys.argv[2]))
errs = list(jsonschema.Draft4Validator(schema, format_checker=jsonschema.FormatChecker()).iter_errors(doc))
for e in errs: print(list(e.path), e.message)
sys.exit(1 if errs else 0)`
	out, err := exec.Command(python, "-c", check, schema, file).CombinedOutput()
	if err != nil {
		t.Errorf("SARIF does not validate: %v\n%s", err, out)
	}
	// The validator must also reject a broken log.
	if err := os.WriteFile(file, []byte(`{"version": "2.1.0", "runs": [{"results": []}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if exec.Command("python3", "-c", check, schema, file).Run() == nil {
		t.Error("the validator accepted a log without a tool")
	}
}

// missingValidator skips the test outside CI and fails it under CI.
func missingValidator(t *testing.T, msg string) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatal(msg + " (required under CI)")
	}
	t.Skip(msg)
}
