package pglog

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wardsec/ward/internal/inventory"
)

// corpusPhases lists the phase names of the corpus (file names without
// extension), in the order the server wrote them.
func corpusPhases(t *testing.T, dir string) []string {
	t.Helper()
	csvs, err := filepath.Glob(filepath.Join(dir, "*.csv"))
	if err != nil || len(csvs) == 0 {
		t.Fatalf("no csvlog files in %s: %v", dir, err)
	}
	var phases []string
	for _, c := range csvs {
		phases = append(phases, strings.TrimSuffix(filepath.Base(c), ".csv"))
	}
	sort.Strings(phases)
	return phases
}

// parseCorpus parses every phase in one format with one Parser, oldest
// first, as the rotated files of one server are parsed.
func parseCorpus(t *testing.T, dir string, phases []string, ext string) map[string]parsed {
	t.Helper()
	p, err := New(Options{Source: "corpus"})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]parsed{}
	for _, ph := range phases {
		name := ph + ext
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		out[ph] = parseWith(t, p, name, data)
	}
	return out
}

// view is the part of an event that the three formats must agree on.
// Pos differs by nature; SessionDerived says how stderr got its id.
type view struct {
	Time                       time.Time
	User, Database, App        string
	Action                     inventory.Action
	Command, ObjType, ObjName  string
	Audit                      inventory.AuditFields
	SessionID                  string
	SessionLine                int64
	Outcome                    inventory.Outcome
	SQLState                   string
	Client                     string
	Port                       int
	Statement, SHA, Parameters string
	Truncated, Replication     bool
	AuthMethod, Identity       string
	Message, Detail            string
	DurationMS                 float64
}

func viewOf(e inventory.Event) view {
	return view{
		Time: e.Time, User: e.User, Database: e.Database, App: e.Application,
		Action: e.Action, Command: e.Command, ObjType: e.ObjectType, ObjName: e.ObjectName,
		Audit: e.Audit, SessionID: e.SessionID, SessionLine: e.SessionLine,
		Outcome: e.Outcome, SQLState: e.SQLState, Client: e.ClientAddr, Port: e.ClientPort,
		Statement: e.Statement, SHA: e.StatementSHA256, Parameters: e.Parameters,
		Truncated: e.StatementTruncated, Replication: e.Replication,
		AuthMethod: e.AuthMethod, Identity: e.Identity, Message: e.Message,
		Detail: e.Detail, DurationMS: e.DurationMS,
	}
}

// forStderr removes from a csvlog view what a stderr line cannot carry,
// judged from the stderr event itself:
//   - %t prints whole seconds: the time is compared to the second;
//   - the database of a failed login or of a replication (walsender)
//     session is printed only by a %d prefix (no message names it);
//   - the SQLSTATE of a failure is printed only by %e (ward fills it in
//     for the login failures, whose codes are fixed);
//   - without %c, a session is known from its "connection received" line;
//     for a session whose connection lines are in no parsed file (headless:
//     the corpus lacks the file between phases 05 and 06), stderr cannot
//     know its id, line numbers or program.
func forStderr(c, s view, walsenders, headless map[string]bool) view {
	if s.SessionID == "" && headless[c.SessionID] {
		c.SessionID, c.SessionLine, c.App = "", 0, s.App
	}
	if s.Time.Nanosecond() == 0 {
		c.Time = c.Time.Truncate(time.Second)
	}
	if s.Database == "" && (c.Action == inventory.ActionAuthFailed || walsenders[c.SessionID]) {
		c.Database = ""
	}
	if s.SQLState == "" {
		c.SQLState = ""
	}
	return c
}

func views(evs []inventory.Event) []view {
	out := make([]view, len(evs))
	for i, e := range evs {
		out[i] = viewOf(e)
	}
	return out
}

func TestCorpusFormatsAgree(t *testing.T) {
	dir := corpusDir(t)
	phases := corpusPhases(t, dir)
	csvOut := parseCorpus(t, dir, phases, ".csv")
	jsonOut := parseCorpus(t, dir, phases, ".json")
	logOut := parseCorpus(t, dir, phases, ".log")
	// Sessions whose first csvlog event in the whole corpus is not a login.
	headless := map[string]bool{}
	seen := map[string]bool{}
	for _, ph := range phases {
		for _, e := range csvOut[ph].events {
			if seen[e.SessionID] {
				continue
			}
			seen[e.SessionID] = true
			switch e.Action {
			case inventory.ActionAuthenticated, inventory.ActionConnect, inventory.ActionAuthFailed:
			default:
				headless[e.SessionID] = true
			}
		}
	}
	for _, ph := range phases {
		t.Run(ph, func(t *testing.T) {
			c, j, l := csvOut[ph], jsonOut[ph], logOut[ph]
			for name, o := range map[string]parsed{"csv": c, "json": j, "log": l} {
				if o.stats.Skipped != 0 {
					t.Errorf("%s: %d skipped, first at %+v", name, o.stats.Skipped,
						o.stats.FirstSkipped)
				}
			}
			if len(c.events) == 0 {
				t.Fatal("csvlog gave no events")
			}
			if d := cmp.Diff(views(c.events), views(j.events)); d != "" {
				t.Errorf("csvlog and jsonlog differ (-csv +json):\n%s", d)
			}
			walsenders := map[string]bool{}
			for _, e := range c.events {
				if e.Replication {
					walsenders[e.SessionID] = true
				}
			}
			if len(c.events) != len(l.events) {
				t.Fatalf("csvlog %d events, stderr %d", len(c.events), len(l.events))
			}
			for i := range c.events {
				s := viewOf(l.events[i])
				cv := forStderr(viewOf(c.events[i]), s, walsenders, headless)
				if d := cmp.Diff(cv, s); d != "" {
					t.Errorf("event %d (csv line %d, stderr line %d) differs (-csv +stderr):\n%s",
						i, c.events[i].Pos.Line, l.events[i].Pos.Line, d)
				}
			}
		})
	}
}

// TestCorpusEveryEventHasAccount checks the session join: every event of
// every corpus file names its login user.
func TestCorpusEveryEventHasAccount(t *testing.T) {
	dir := corpusDir(t)
	phases := corpusPhases(t, dir)
	for _, ext := range []string{".csv", ".json", ".log"} {
		for ph, out := range parseCorpus(t, dir, phases, ext) {
			for _, e := range out.events {
				if e.User == "" {
					t.Errorf("%s%s line %d: %s event without a user", ph, ext, e.Pos.Line, e.Action)
				}
			}
		}
	}
}

// sourceCanaries reads the canary passwords that corpus/SOURCES.md lists
// for pg-logs, with the phase each is in.
func sourceCanaries(t *testing.T, dir string) map[string]string {
	t.Helper()
	src, err := os.ReadFile(filepath.Join(filepath.Dir(dir), "SOURCES.md"))
	if err != nil {
		t.Fatalf("read SOURCES.md: %v", err)
	}
	i := bytes.Index(src, []byte("cleartext canary passwords"))
	if i < 0 {
		t.Fatal("SOURCES.md no longer lists the pg-logs canaries")
	}
	para := src[i:]
	if e := bytes.Index(para, []byte("\n")); e > 0 {
		para = para[:e]
	}
	out := map[string]string{}
	re := regexp.MustCompile("`([^`]+)`(?: and `([^`]+)`)? \\((\\d\\d):")
	for _, m := range re.FindAllSubmatch(para, -1) {
		out[string(m[1])] = string(m[3])
		if len(m[2]) > 0 {
			out[string(m[2])] = string(m[3])
		}
	}
	return out
}

func TestCorpusCanariesRedacted(t *testing.T) {
	dir := corpusDir(t)
	// Whose credential each canary is, read from the workload SQL.
	want := map[string]inventory.Exposure{
		"leak-test-3":           {Kind: inventory.ExposureRolePassword, Account: "app_svc"},
		"contractor-pass-9":     {Kind: inventory.ExposureRolePassword, Account: "temp_contractor"},
		"legacy-pass-1":         {Kind: inventory.ExposureRolePassword, Account: "legacy_md5_svc"},
		"CANARY-multi-stmt-1":   {Kind: inventory.ExposureRolePassword, Account: "canary_one"},
		"CANARY-user-mapping-3": {Kind: inventory.ExposureUserMapping, Account: "app_svc"},
	}
	listed := sourceCanaries(t, dir)
	if len(listed) != len(want) {
		t.Fatalf("SOURCES.md lists %d canaries %v, the test knows %d", len(listed), listed,
			len(want))
	}
	for c := range listed {
		if _, ok := want[c]; !ok {
			t.Fatalf("SOURCES.md canary %q has no expected account here", c)
		}
	}
	phases := corpusPhases(t, dir)
	total := 0
	for _, ext := range []string{".csv", ".json", ".log"} {
		outs := parseCorpus(t, dir, phases, ext)
		for _, ph := range phases {
			out := outs[ph]
			raw, err := os.ReadFile(filepath.Join(dir, ph+ext))
			if err != nil {
				t.Fatal(err)
			}
			dump, err := json.Marshal(out.events)
			if err != nil {
				t.Fatal(err)
			}
			dumpX, err := json.Marshal(out.exposures)
			if err != nil {
				t.Fatal(err)
			}
			total += len(out.exposures)
			for canary, phase := range listed {
				t.Run(canary+"/"+ph+ext, func(t *testing.T) {
					if bytes.Contains(dump, []byte(canary)) || bytes.Contains(dumpX, []byte(canary)) {
						t.Fatalf("canary %q appears in parser output", canary)
					}
					at := bytes.Index(raw, []byte(canary))
					if !strings.Contains(ph, "-"+phase+"-") {
						if at >= 0 {
							t.Fatalf("canary %q found in an unexpected phase", canary)
						}
						return
					}
					if at < 0 {
						t.Fatalf("canary %q not in %s: the corpus changed", canary, ph+ext)
					}
					checkExposure(t, out.exposures, want[canary], int64(at))
				})
			}
		}
	}
	if total != 3*len(want) {
		t.Errorf("%d exposures in the corpus, want %d (one per canary per format)", total,
			3*len(want))
	}
}

// checkExposure finds the exposure whose record holds the canary at byte
// offset at and checks whose credential it names.
func checkExposure(t *testing.T, xs []inventory.Exposure, want inventory.Exposure, at int64) {
	t.Helper()
	var got *inventory.Exposure
	for i, x := range xs {
		if x.Pos.Offset <= at && at-x.Pos.Offset < 2048 {
			got = &xs[i]
		}
	}
	if got == nil {
		t.Fatalf("no exposure for the record at offset %d; have %+v", at, xs)
	}
	if got.Kind != want.Kind || got.Account != want.Account {
		t.Errorf("exposure = %s of %q, want %s of %q", got.Kind, got.Account, want.Kind,
			want.Account)
	}
	if got.SessionUser == "" || got.Field == "" || got.Time.IsZero() {
		t.Errorf("exposure lacks its context: %+v", got)
	}
}
