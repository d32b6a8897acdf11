package rules

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wardsec/ward/internal/config"
	"github.com/wardsec/ward/internal/inventory"
	"github.com/wardsec/ward/internal/usage"
)

var update = flag.Bool("update", false, "rewrite the expected.json golden files")

// goldenInput is testdata/<rule>/<case>/input.json. Usage is what the
// source's logs showed, for the usage rules; absent for the others.
type goldenInput struct {
	Snapshot *inventory.Snapshot `json:"snapshot"`
	Owners   []config.Owner      `json:"owners"`
	Usage    *usage.Usage        `json:"usage"`
}

// TestGolden evaluates each testdata/<rule>/<case>/input.json and compares
// that rule's findings, in full (evidence, citations, fix), with
// expected.json. Run with -update to rewrite the expected files, then
// review the diff.
func TestGolden(t *testing.T) {
	inputs, err := filepath.Glob(filepath.Join("testdata", "*", "*", "input.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(inputs) == 0 {
		t.Fatal("no golden inputs found under testdata")
	}
	known := map[string]bool{}
	for _, r := range Catalog() {
		if r.EvaluatedBy == "" {
			known[r.ID] = true // the others have their tests where they are evaluated
		}
	}

	covered := map[string]int{}
	for _, in := range inputs {
		dir := filepath.Dir(in)
		rule := filepath.Base(filepath.Dir(dir))
		covered[rule]++
		t.Run(rule+"/"+filepath.Base(dir), func(t *testing.T) {
			if !known[rule] {
				t.Fatalf("testdata folder %s names no rule", rule)
			}
			fs := only(Evaluate(readGolden(t, in)), rule)
			if fs == nil {
				fs = []inventory.Finding{}
			}
			got, err := json.MarshalIndent(fs, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			if bytes.Contains(bytes.ToUpper(got), []byte("CANARY")) {
				t.Errorf("a canary secret from the input reached the findings:\n%s", got)
			}

			exp := filepath.Join(dir, "expected.json")
			if *update {
				if err := os.WriteFile(exp, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(exp)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				t.Errorf("%s (-want +got):\n%s", exp, diff)
			}
		})
	}
	for id := range known {
		if covered[id] < 2 {
			t.Errorf("rule %s has %d golden cases; want a triggering and a clean one", id, covered[id])
		}
	}
}

func readGolden(t *testing.T, path string) Input {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var g goldenInput
	if err := dec.Decode(&g); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if g.Snapshot == nil || !strings.EqualFold(g.Snapshot.Type, "postgres") {
		t.Fatalf("%s: want a postgres snapshot", path)
	}
	return Input{Snapshot: g.Snapshot, Owners: g.Owners, Usage: g.Usage}
}
