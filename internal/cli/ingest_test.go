package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// ingestLog is a small csvlog: a login, a statement and a logout.
const ingestLog = `2026-12-04 15:11:58.353 UTC,"etl_loader","ehr",25965,"10.0.0.5:33990",6b12d83e.656d,1,"authentication",2026-12-04 15:11:58 UTC,3/52,0,LOG,00000,"connection authorized: user=etl_loader database=ehr application_name=psql",,,,,,,,,"","client backend",,0
2026-12-04 15:11:59.000 UTC,"etl_loader","ehr",25965,"10.0.0.5:33990",6b12d83e.656d,2,"SELECT",2026-12-04 15:11:58 UTC,3/53,0,LOG,00000,"statement: SELECT * FROM clinical.patient WHERE mrn = 'MRN-FAKE-1'",,,,,,,,,"psql","client backend",,0
2026-12-04 15:12:00.000 UTC,"etl_loader","ehr",25965,"10.0.0.5:33990",6b12d83e.656d,3,"idle",2026-12-04 15:11:58 UTC,,0,LOG,00000,"disconnection: session time: 0:00:01.647 user=etl_loader database=ehr host=10.0.0.5 port=33990",,,,,,,,,"psql","client backend",,0
`

func ingestConfig(t *testing.T, extra string) (dir, cfg string) {
	t.Helper()
	dir = t.TempDir()
	logs := filepath.Join(dir, "pg_log")
	if err := os.Mkdir(logs, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(logs, "postgresql-Mon.csv"), []byte(ingestLog), 0o600); err != nil {
		t.Fatal(err)
	}
	// Written an hour ago: settled, so its last line is read at once.
	past := time.Now().Add(-time.Hour)
	os.Chtimes(filepath.Join(logs, "postgresql-Mon.csv"), past, past)
	cfg = writeConfig(t, dir, `store: ward.db
sources:
  - name: ehr
    type: postgres
    dsn: postgres://ward_scanner@127.0.0.1:5432/ehr
    logs: [pg_log]
`+extra)
	return dir, cfg
}

func TestIngestCommand(t *testing.T) {
	dir, cfg := ingestConfig(t, "")
	code, out, errOut := run(t, "ingest", "-c", cfg)
	if code != ExitOK || !strings.Contains(out, "ehr: 1 file (1 new), 3 lines, 3 events, 0 exposures") {
		t.Fatalf("ingest: exit %d\n%s%s", code, out, errOut)
	}
	code, out, _ = run(t, "ingest", "-c", cfg, "--format", "json")
	var js []struct {
		Source string
		Events int64
		Files  []struct{ Path, Status string }
	}
	if err := json.Unmarshal([]byte(out), &js); err != nil || code != ExitOK {
		t.Fatalf("json: exit %d, %v\n%s", code, err, out)
	}
	if len(js) != 1 || js[0].Events != 0 || js[0].Files[0].Status != "unchanged" {
		t.Errorf("second ingest: %+v, want nothing new", js)
	}
	data, err := os.ReadFile(filepath.Join(dir, "ward.db"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(data), "MRN-FAKE-1") {
		t.Error("the store holds a literal value of a logged statement")
	}
}

func TestIngestCommandErrors(t *testing.T) {
	_, cfg := ingestConfig(t, `  - name: lab
    type: postgres
    dsn: postgres://ward_scanner@127.0.0.1:5433/lab
`)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"which source", []string{"some.csv"}, "--source ehr or --source lab"},
		{"unknown source", []string{"--source", "nope"}, "no such source"},
		{"source without logs", []string{"--source", "lab"}, "source lab lists no logs"},
		{"missing file", []string{"--source", "lab", "/nonexistent/x.csv"}, "cannot read /nonexistent/x.csv"},
		{"bad format", []string{"--format", "xml"}, "unknown format"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := run(t, append([]string{"ingest", "-c", cfg}, tc.args...)...)
			if code != ExitError || !strings.Contains(out+errOut, tc.want) {
				t.Errorf("exit %d, want %d with %q:\n%s%s", code, ExitError, tc.want, out, errOut)
			}
		})
	}
}
