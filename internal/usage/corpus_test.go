package usage

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/wardsec/ward/internal/inventory"
	"github.com/wardsec/ward/internal/pglog"
)

// corpusLogs returns the directory of the corpus PostgreSQL logs:
// $WARD_CORPUS/pg-logs, else ../shared/corpus/pg-logs beside the
// repository. It skips the test, saying so, when the corpus is absent.
func corpusLogs(t *testing.T) string {
	t.Helper()
	root := os.Getenv("WARD_CORPUS")
	if root == "" {
		root = filepath.Join("..", "..", "..", "shared", "corpus")
	}
	dir := filepath.Join(root, "pg-logs")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("CORPUS ABSENT: %s not found (set WARD_CORPUS to the shared corpus); "+
			"this test reads the real PostgreSQL logs of the corpus", dir)
	}
	return dir
}

// corpusUsage parses every corpus phase in one format (".csv", ".json" or
// ".log") with one parser, oldest first, into a usage of source "corpus".
func corpusUsage(t *testing.T, dir, ext string) *Usage {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "pg15-pgaudit17-*"+ext))
	if err != nil || len(files) == 0 {
		t.Fatalf("no %s files in %s: %v", ext, dir, err)
	}
	sort.Strings(files)
	p, err := pglog.New(pglog.Options{Source: "corpus"})
	if err != nil {
		t.Fatal(err)
	}
	b := NewBuilder("corpus", Options{})
	for _, f := range files {
		r, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		_, err = p.Parse(context.Background(), r, filepath.Base(f), pglog.Sink{
			Event:    func(ev inventory.Event) error { b.Add(ev); return nil },
			Exposure: func(x inventory.Exposure) error { b.AddExposure(x); return nil },
		})
		r.Close()
		if err != nil {
			t.Fatalf("parse %s: %v", f, err)
		}
	}
	return b.Usage()
}

// The credentials the corpus logs hold in clear text on purpose
// (corpus/SOURCES.md), and the passwords its setup script sets.
var corpusSecrets = []string{
	"leak-test-3", "contractor-pass-9", "legacy-pass-1", "CANARY-multi-stmt-1",
	"CANARY-user-mapping-3", "CANARY-do-block-2",
	"scanner-pass-1", "app-svc-pass-1", "alice-pass-1", "noinh-pass-1", "repl-pass-1",
	"bypass-pass-1", "bob-pass-1", "reader-pass-1",
}

// TestCorpusFormatsAgree builds the usage of the seven corpus phases from
// each of the three formats; they must agree. What differs by nature is
// left out of the comparison: where each exposure sits in its file; with
// stderr, the sub-second part of times (phase 03's prefix prints %t, whole
// seconds), and the program of a session whose connection lines are in no
// file of the corpus (stderr lines carry no application_name of their own,
// pglog's corpus test says the same).
func TestCorpusFormatsAgree(t *testing.T) {
	dir := corpusLogs(t)
	csv := corpusUsage(t, dir, ".csv")
	noPos := cmpopts.IgnoreFields(inventory.Exposure{}, "Pos")

	t.Run("json", func(t *testing.T) {
		if d := cmp.Diff(csv, corpusUsage(t, dir, ".json"), noPos); d != "" {
			t.Errorf("csvlog and jsonlog usage differ (-csv +json):\n%s", d)
		}
	})
	t.Run("stderr", func(t *testing.T) {
		sec := cmp.Transformer("second", func(t time.Time) time.Time {
			return t.Truncate(time.Second)
		})
		headless := cmpopts.IgnoreFields(Program{}, "Seen.Events")
		if d := cmp.Diff(csv, corpusUsage(t, dir, ".log"), noPos, sec, headless); d != "" {
			t.Errorf("csvlog and stderr usage differ (-csv +stderr):\n%s", d)
		}
	})
}

// TestCorpusUsage checks what the corpus shows of its accounts against
// the workload scripts that produced it (pg-logs/workload/).
func TestCorpusUsage(t *testing.T) {
	u := corpusUsage(t, corpusLogs(t), ".csv")

	t.Run("window", func(t *testing.T) {
		// The first line of phase 01 and the last of phase 07; six minutes,
		// so no gap.
		w := u.Window
		want := Window{
			Start:    time.Date(2026, 12, 4, 15, 11, 10, 748e6, time.UTC),
			End:      time.Date(2026, 12, 4, 15, 17, 23, 576e6, time.UTC),
			Events:   w.Events,
			GapAfter: DefaultGapAfter,
		}
		if d := cmp.Diff(want, w); d != "" {
			t.Errorf("window (-want +got):\n%s", d)
		}
		if u.AuditRecords == 0 || u.Excluded != 0 {
			// The corpus scanner ran psql, not ward: nothing is excluded.
			t.Errorf("audit records %d, excluded %d", u.AuditRecords, u.Excluded)
		}
	})

	t.Run("app_svc privileges", func(t *testing.T) {
		a := u.Account("app_svc")
		if a == nil {
			t.Fatal("no usage for app_svc")
		}
		// workload.sh (phase 02): INSERT encounter; UPDATE patient; SELECT
		// mrn, ssn (an OBJECT and a SESSION row, one statement); COPY
		// patient TO STDOUT; INSERT etl_staging; a DO block reading
		// encounter; PREPARE and EXECUTE q1 (patient); a CREATE TABLE AS
		// that read patient before failing on CREATE; pgbench twice (SELECT
		// and UPDATE patient). workload_b.sh (03): INSERT encounter,
		// PREPARE/EXECUTE q1, pgbench once. Phase 04: SELECT encounter.
		// workload_c.sh (05): SELECT mrn, ssn, seen through its OBJECT row
		// only (app_svc's pgaudit.log is none by then).
		want := []string{
			"ehr   ALTER ROLE 1", "ehr   PREPARE 2",
			"ehr TABLE clinical.encounter INSERT 2",
			"ehr TABLE clinical.encounter SELECT 2",
			"ehr TABLE clinical.patient SELECT 9",
			"ehr TABLE clinical.patient UPDATE 4",
			"ehr TABLE public.etl_staging INSERT 1",
		}
		var got []string
		for _, us := range a.Uses {
			got = append(got, fmt.Sprintf("%s %s %s %s %d", us.Database, us.ObjectType,
				us.Object, us.Privilege, us.Count))
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("uses (-want +got):\n%s", d)
		}
		if len(a.Denied) != 1 || a.Denied[0].Resource() != "ehr.public" ||
			a.Denied[0].Privilege != "CREATE TABLE" {
			t.Errorf("denied = %+v, want the CREATE TABLE AS refused in schema public", a.Denied)
		}
		first := time.Date(2026, 12, 4, 15, 11, 58, 407e6, time.UTC)
		if ins := a.Uses[2]; !ins.First.Equal(first) {
			t.Errorf("first INSERT on encounter at %v, want %v", ins.First, first)
		}
	})

	t.Run("sessions and programs", func(t *testing.T) {
		type prog struct {
			Name        string
			Interactive bool
			Sessions    int64
		}
		tests := []struct {
			account  string
			sessions int64
			failed   int64
			programs []prog
		}{
			// ehr-api: 02, 04 and twice in 05; pgbench-ext: its probe and
			// its run, in 02 and 03; psql in phase 07.
			{"app_svc", 10, 0, []prog{{"ehr-api/2.3.1", false, 4},
				{"nightly,report", false, 1}, {"pgbench-ext", false, 4}, {"psql", true, 1}}},
			// The nightly report in 02, then three psql sessions in 04.
			{"legacy_md5_svc", 4, 0, []prog{{"nightly,report", false, 1}, {"psql", true, 3}}},
			// DBeaver in 02, 03, 05; psql to a database that does not
			// exist (authorized, then refused); one wrong password.
			{"alice", 4, 1, []prog{{"DBeaver 23.1.0 - Main", true, 3}, {"psql", true, 1}}},
			// A role that does not exist still names an account.
			{"ghost", 0, 1, []prog{}},
		}
		for _, tt := range tests {
			t.Run(tt.account, func(t *testing.T) {
				a := u.Account(tt.account)
				if a == nil {
					t.Fatalf("no usage for %s", tt.account)
				}
				if a.Logins.Sessions != tt.sessions || a.Logins.Failed != tt.failed {
					t.Errorf("sessions %d, failed %d; want %d, %d", a.Logins.Sessions,
						a.Logins.Failed, tt.sessions, tt.failed)
				}
				got := []prog{}
				for _, p := range a.Programs {
					got = append(got, prog{p.Name, p.Interactive, p.Sessions})
				}
				if d := cmp.Diff(tt.programs, got); d != "" {
					t.Errorf("programs (-want +got):\n%s", d)
				}
			})
		}
	})

	t.Run("exposures", func(t *testing.T) {
		// One per canary of SOURCES.md, naming whose credential it is.
		var got []string
		for _, x := range u.Exposures {
			got = append(got, string(x.Kind)+" "+x.Account)
		}
		want := []string{"role_password app_svc", "role_password temp_contractor",
			"role_password legacy_md5_svc", "role_password canary_one", "user_mapping app_svc"}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("exposures (-want +got):\n%s", d)
		}
	})

	t.Run("no secret", func(t *testing.T) {
		b, err := json.Marshal(u)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range corpusSecrets {
			if strings.Contains(string(b), s) {
				t.Errorf("the usage holds %q", s)
			}
		}
	})
}
