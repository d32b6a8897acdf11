package config

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const canary = "CANARY-config-pw-7f3a"

func write(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadExample(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "pw", canary+"\n")
	t.Setenv("WARD_TEST_PW", canary)
	p := write(t, dir, "ward.yaml", `store: ward.db
policy:
  unused_after: 30d
phi:
  tables: ["clinical.*"]
  columns: ["*.*.ssn"]
sources:
  - name: ehr
    type: postgres
    dsn: postgres://ward_scanner@127.0.0.1:5432/ehr?sslmode=disable
    password: ${env:WARD_TEST_PW}
  - name: lab
    type: postgres
    dsn: host=127.0.0.1 port=5433 user=ward_scanner dbname=lab
    password: ${file:pw}
owners:
  - account: ehr/etl_loader
    owner: data-eng@clinic.example
    purpose: nightly claims ETL
    needs: [replication]
`)
	c, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	if c.Store != filepath.Join(dir, "ward.db") {
		t.Errorf("store = %q, want it next to the config file", c.Store)
	}
	if c.Policy.UnusedAfter != 30*24*time.Hour {
		t.Errorf("unused_after = %v, want 720h", c.Policy.UnusedAfter)
	}
	if len(c.Sources) != 2 || c.Sources[0].Password.Reveal() != canary ||
		c.Sources[1].Password.Reveal() != canary {
		t.Fatalf("sources not resolved: %+v", c.Sources)
	}
	if c.Sources[1].Line != 12 {
		t.Errorf("second source line = %d, want 12", c.Sources[1].Line)
	}
	if got := fmt.Sprintf("%v %+v %#v", c.Sources[0], c.Sources[0], c.Sources[0]); strings.Contains(got, canary) {
		t.Errorf("printing a source reveals its password: %s", got)
	}
	if len(c.Owners) != 1 || c.Owners[0].Needs[0] != "replication" {
		t.Errorf("owners = %+v", c.Owners)
	}
	if len(c.Hash) != 64 {
		t.Errorf("hash = %q, want hex sha256", c.Hash)
	}
}

func TestDefaults(t *testing.T) {
	c, err := Parse("/etc/ward/ward.yaml", []byte("sources: []\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Policy.UnusedAfter != DefaultUnusedAfter || c.Store != "/etc/ward/ward.db" {
		t.Errorf("defaults: %+v", c)
	}
}

// TestRejects checks each refused form names the line and field and
// never echoes a secret.
func TestRejects(t *testing.T) {
	cases := []struct {
		name, body, want string
		line             int
	}{
		{"literal password", "sources:\n  - name: ehr\n    type: postgres\n    dsn: postgres://u@h/db\n    password: " + canary + "\n",
			"sources[0].password: a literal secret is refused", 5},
		{"password in URL", "sources:\n  - name: ehr\n    type: postgres\n    dsn: postgres://u:" + canary + "@h/db\n",
			"sources[0].dsn: holds a password", 4},
		{"password in URL query", "sources:\n  - name: ehr\n    type: postgres\n    dsn: postgres://u@h/db?password=" + canary + "\n",
			"holds a password parameter", 4},
		{"password in key=value", "sources:\n  - name: ehr\n    type: postgres\n    dsn: host=h user=u password=" + canary + "\n",
			"holds password=", 4},
		{"slash in name", "sources:\n  - name: ehr/prod\n    type: postgres\n    dsn: postgres://u@h/db\n",
			"cannot hold '/'", 2},
		{"unknown type", "sources:\n  - name: ehr\n    type: oracle\n    dsn: x\n",
			`"oracle" is not a known source type`, 3},
		{"duplicate name", "sources:\n  - name: a\n    type: postgres\n    dsn: postgres://u@h/d\n  - name: a\n    type: postgres\n    dsn: postgres://u@h/d\n",
			"already the name of the source on line 2", 5},
		{"misspelt key", "sources:\n  - name: a\n    type: postgres\n    dns: postgres://u@h/d\n",
			`unknown key "dns": the keys here are name, type, dsn`, 4},
		{"bad duration", "policy:\n  unused_after: 90 days\n", "policy.unused_after", 2},
		{"bad yaml", "sources: [\n", "not valid YAML", 0},
		{"bad owner id", "owners:\n  - account: etl_loader\n", "not an account ID", 2},
		{"owner of unknown source", "owners:\n  - account: nope/etl\n", `source "nope" is not defined`, 2},
		{"secret in wrong place", "sources: " + canary + "\n", "expected a list of sources", 1},
		{"duplicate key", "store: a.db\nstore: b.db\n", `mapping key "store" already defined at line 1`, 2},
		{"empty env", "sources:\n  - name: ehr\n    type: postgres\n    dsn: postgres://u@h/db\n    password: ${env:WARD_TEST_EMPTY}\n",
			"is set but empty", 5},
		{"unknown reference", "sources:\n  - name: ehr\n    type: postgres\n    dsn: postgres://u@h/db\n    password: ${vault:kv/ehr}\n",
			"${vault:…} is not a reference ward knows", 5},
		{"blank source name", "sources:\n  - name: \" \"\n    type: postgres\n    dsn: postgres://u@h/db\n",
			"use 1 to 63 letters", 2},
		{"control character in name", "sources:\n  - name: \"a\\x07b\"\n    type: postgres\n    dsn: postgres://u@h/db\n",
			"use 1 to 63 letters", 2},
		{"duplicate owner", "sources:\n  - name: a\n    type: postgres\n    dsn: postgres://u@h/d\nowners:\n  - account: a/x\n  - account: a/x\n",
			"already listed on line 6", 7},
		{"phi pattern", "phi:\n  tables: [\"clinical\"]\n", "phi.tables[0]", 2},
		{"unset env", "sources:\n  - name: ehr\n    type: postgres\n    dsn: postgres://u@h/db\n    password: ${env:WARD_SURELY_UNSET_VAR}\n",
			"WARD_SURELY_UNSET_VAR is not set", 5},
		{"missing file", "sources:\n  - name: ehr\n    type: postgres\n    dsn: postgres://u@h/db\n    password: ${file:nope.txt}\n",
			"cannot read secret file", 5},
	}
	t.Setenv("WARD_TEST_EMPTY", "")
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("/tmp/w/ward.yaml", []byte(tc.body))
			if err == nil {
				t.Fatal("accepted, want an error")
			}
			msg := err.Error()
			if !strings.Contains(msg, tc.want) {
				t.Errorf("error %q does not contain %q", msg, tc.want)
			}
			if strings.Contains(msg, canary) {
				t.Errorf("error reveals the secret: %q", msg)
			}
			if tc.line > 0 && !strings.Contains(msg, fmt.Sprintf("ward.yaml:%d:", tc.line)) {
				t.Errorf("error %q does not name line %d", msg, tc.line)
			}
		})
	}
}

func TestLoadMissingFileSaysWhatToDo(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "ward.yaml"))
	if err == nil || !strings.Contains(err.Error(), "ward init") {
		t.Errorf("err = %v, want a hint to run ward init", err)
	}
}

func TestResolve(t *testing.T) {
	t.Setenv(EnvVar, "")
	if got := Resolve(""); got != DefaultFile {
		t.Errorf("Resolve() = %q, want %q", got, DefaultFile)
	}
	t.Setenv(EnvVar, "/x/env.yaml")
	if got := Resolve(""); got != "/x/env.yaml" {
		t.Errorf("env not used: %q", got)
	}
	if got := Resolve("flag.yaml"); got != "flag.yaml" {
		t.Errorf("flag not preferred: %q", got)
	}
}

func TestErrorsCollectsAll(t *testing.T) {
	_, err := Parse("w.yaml", []byte("sources:\n  - name: a/b\n    type: nope\n    dsn: x\n"))
	var es Errors
	if !errors.As(err, &es) || len(es) != 2 {
		t.Fatalf("err = %v, want two errors together", err)
	}
}

// FuzzParse checks that no input makes Parse panic, and that a value the
// validation refuses is never echoed back in the message.
func FuzzParse(f *testing.F) {
	f.Add([]byte("store: ward.db\nsources:\n  - name: ehr\n    type: postgres\n    dsn: postgres://u@h/db\n"))
	f.Add([]byte("sources:\n  - name: x\n    type: postgres\n    dsn: postgres://u:CANARY@h/d\n"))
	f.Add([]byte("sources: CANARY\n"))
	f.Add([]byte("policy: {unused_after: 9x}\nphi: {tables: [a.b.c.d]}\n"))
	f.Add([]byte("owners: [{account: a/b}]\n"))
	f.Add([]byte("- [\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, err := Parse("f.yaml", data)
		if err == nil {
			return
		}
		var ce *Error
		var ces Errors
		if !errors.As(err, &ce) && !errors.As(err, &ces) {
			t.Fatalf("error is not a config error: %v", err)
		}
		if bytes.Contains(data, []byte("CANARY")) && strings.Contains(err.Error(), "CANARY") &&
			!strings.Contains(err.Error(), "not valid YAML") {
			t.Errorf("error echoes a value from the file: %v", err)
		}
	})
}

// TestUnknownKeysAllReported checks that two misspelt keys are reported
// together, each with its own line.
func TestUnknownKeysAllReported(t *testing.T) {
	_, err := Parse("w.yaml", []byte("sourcez: []\nsources:\n  - name: a\n    colour: red\n"))
	var es Errors
	if !errors.As(err, &es) || len(es) != 2 || es[0].Line != 1 || es[1].Line != 4 {
		t.Fatalf("err = %v, want two errors on lines 1 and 4", err)
	}
	if !strings.Contains(es[0].Error(), "the keys here are store, policy, phi, sources, owners") {
		t.Errorf("top-level message does not list the keys: %v", es[0])
	}
}
