package pglog

import (
	"strings"
	"testing"

	"github.com/wardsec/ward/internal/inventory"
)

// The traps of db-realities §2.5, each with its own test. Inputs are lines
// in the shape of the corpus (synthetic values).

// byAction returns the events of one action.
func byAction(evs []inventory.Event, a inventory.Action) []inventory.Event {
	var out []inventory.Event
	for _, e := range evs {
		if e.Action == a {
			out = append(out, e)
		}
	}
	return out
}

func TestTrapCommaInApplicationName(t *testing.T) {
	cases := []struct {
		name, log string
	}{
		{"stderr pgBadger prefix", "" +
			"2026-12-04 15:12:49 UTC [27297]: user=[unknown],db=[unknown],app=[unknown],client=127.0.0.1 LOG:  connection received: host=127.0.0.1 port=59668\n" +
			"2026-12-04 15:12:49 UTC [27297]: user=app_svc,db=ehr,app=[unknown],client=127.0.0.1 LOG:  connection authorized: user=app_svc database=ehr application_name=nightly,report\n" +
			"2026-12-04 15:12:49 UTC [27297]: user=app_svc,db=ehr,app=nightly,report,client=127.0.0.1 LOG:  AUDIT: SESSION,1,1,READ,SELECT,TABLE,public.lookup_codes,SELECT 1,<none>\n"},
		{"csvlog", "" +
			`2026-12-04 15:11:58.511 UTC,"legacy_md5_svc","ehr",25972,"127.0.0.1:34028",6b12d83e.6574,3,"authentication",2026-12-04 15:11:58 UTC,3/77,0,LOG,00000,"connection authorized: user=legacy_md5_svc database=ehr application_name=nightly,report",,,,,,,,,"","client backend",,0` + "\n" +
			`2026-12-04 15:11:58.513 UTC,"legacy_md5_svc","ehr",25972,"127.0.0.1:34028",6b12d83e.6574,4,"SELECT",2026-12-04 15:11:58 UTC,3/78,0,LOG,00000,"AUDIT: SESSION,1,1,READ,SELECT,TABLE,public.lookup_codes,SELECT count(*) FROM lookup_codes,<not logged>",,,,,,,,,"nightly,report","client backend",,0` + "\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out := parseBytes(t, Options{}, "t", []byte(tc.log))
			if len(out.events) != 2 {
				t.Fatalf("%d events, want 2: %+v", len(out.events), out.events)
			}
			for _, e := range out.events {
				if e.Application != "nightly,report" || e.ClientAddr != "127.0.0.1" {
					t.Errorf("%s: app %q client %q, want nightly,report from 127.0.0.1",
						e.Action, e.Application, e.ClientAddr)
				}
			}
		})
	}
}

func TestTrapPrefixChangeMidFile(t *testing.T) {
	log := "" +
		"2026-12-04 15:14:51.721 UTC [12400] LOG:  connection received: host=[local]\n" +
		"2026-12-04 15:14:51.721 UTC [12400] LOG:  connection authorized: user=postgres database=ehr application_name=psql\n" +
		// The postmaster stops at %q, so this line also fits the old prefix.
		"2026-12-04 15:14:51.724 UTC [5563] LOG:  parameter \"log_line_prefix\" changed to \"%m [%p] %q%u@%d/%a %r %c \"\n" +
		// A backend that has not reloaded yet still writes the old prefix.
		"2026-12-04 15:14:51.725 UTC [12400] LOG:  disconnection: session time: 0:00:00.004 user=postgres database=ehr host=[local]\n" +
		"2026-12-04 15:14:53.822 UTC [12431] [unknown]@[unknown]/[unknown] 127.0.0.1(44454) 6b12d8ed.308f LOG:  connection received: host=127.0.0.1 port=44454\n" +
		"2026-12-04 15:14:53.830 UTC [12431] app_svc@ehr/[unknown] 127.0.0.1(44454) 6b12d8ed.308f LOG:  connection authorized: user=app_svc database=ehr application_name=ehr-api/2.3.1\n" +
		"2026-12-04 15:14:53.833 UTC [12431] app_svc@ehr/ehr-api/2.3.1 127.0.0.1(44454) 6b12d8ed.308f LOG:  AUDIT: OBJECT,1,1,READ,SELECT,TABLE,clinical.patient,\"SELECT mrn, ssn FROM clinical.patient\",<none>,2\n"
	out := parseBytes(t, Options{Prefix: "%m [%p] "}, "t", []byte(log))
	if out.stats.Skipped != 0 {
		t.Fatalf("skipped %d lines, first at %+v", out.stats.Skipped, out.stats.FirstSkipped)
	}
	if out.stats.Prefix != "%m [%p] %q%u@%d/%a %r %c " {
		t.Errorf("prefix at the end = %q", out.stats.Prefix)
	}
	audit := byAction(out.events, inventory.ActionAudit)
	if len(audit) != 1 {
		t.Fatalf("%d audit events, want 1", len(audit))
	}
	a := audit[0]
	if a.User != "app_svc" || a.Database != "ehr" || a.Application != "ehr-api/2.3.1" ||
		a.SessionID != "6b12d8ed.308f" || a.ClientPort != 44454 || a.SessionDerived {
		t.Errorf("audit event after the change: %+v", a)
	}
	if d := byAction(out.events, inventory.ActionDisconnect); len(d) != 1 || d[0].User != "postgres" {
		t.Errorf("old-prefix line after the change: %+v", d)
	}
}

func TestTrapUnknownUserBeforeAuth(t *testing.T) {
	log := "" +
		"2026-12-04 15:13:25.081 UTC [27912] [unknown]@[unknown] LOG:  connection received: host=127.0.0.1 port=53160\n" +
		"2026-12-04 15:13:25.081 UTC [27912] [unknown]@[unknown] FATAL:  password authentication failed for user \"ghost\"\n" +
		"2026-12-04 15:13:26.081 UTC [27913] [unknown]@[unknown] LOG:  connection received: host=127.0.0.1 port=53162\n" +
		"2026-12-04 15:13:26.082 UTC [27913] alice@ehr LOG:  connection authenticated: identity=\"alice\" method=scram-sha-256 (/srv/pg/data/pg_hba.conf:96)\n" +
		"2026-12-04 15:13:26.082 UTC [27913] alice@ehr LOG:  connection authorized: user=alice database=ehr application_name=psql\n"
	out := parseBytes(t, Options{Prefix: "%m [%p] %q%u@%d "}, "t", []byte(log))
	if len(out.events) != 3 {
		t.Fatalf("%d events, want 3", len(out.events))
	}
	for _, e := range out.events {
		if strings.Contains(e.User+e.Database+e.Application, "[unknown]") {
			t.Errorf("%s event keeps [unknown]: %+v", e.Action, e)
		}
	}
	f := byAction(out.events, inventory.ActionAuthFailed)
	if len(f) != 1 || f[0].User != "ghost" || f[0].SQLState != "28P01" ||
		f[0].ClientAddr != "127.0.0.1" || f[0].Outcome != inventory.OutcomeFailure {
		t.Errorf("failed login = %+v, want ghost from 127.0.0.1, 28P01", f)
	}
	c := byAction(out.events, inventory.ActionConnect)
	if len(c) != 1 || c[0].AuthMethod != "scram-sha-256" {
		t.Errorf("connect = %+v, want the method of the authenticated line", c)
	}
}

func TestTrapExtendedProtocolParameters(t *testing.T) {
	p := "2026-12-04 15:12:49 UTC [27300]: user=app_svc,db=ehr,app=pgbench-ext,client=127.0.0.1 "
	log := "" +
		p + "LOG:  duration: 0.645 ms  parse <unnamed>: SELECT mrn FROM clinical.patient WHERE patient_id = $1;\n" +
		p + "LOG:  duration: 0.544 ms  bind <unnamed>: SELECT mrn FROM clinical.patient WHERE patient_id = $1;\n" +
		p + "DETAIL:  parameters: $1 = '2'\n" +
		p + "LOG:  duration: 0.026 ms  execute <unnamed>: SELECT mrn FROM clinical.patient WHERE patient_id = $1;\n" +
		p + "DETAIL:  parameters: $1 = '2'\n"
	out := parseBytes(t, Options{}, "t", []byte(log))
	if len(out.events) != 1 {
		t.Fatalf("%d events, want 1 (execute only): %+v", len(out.events), out.events)
	}
	e := out.events[0]
	if e.Action != inventory.ActionStatement || e.Command != "SELECT" ||
		e.Parameters != "$1 = '2'" || e.DurationMS != 0.026 ||
		e.Statement != "SELECT mrn FROM clinical.patient WHERE patient_id = $1;" {
		t.Errorf("execute event = %+v", e)
	}
	if out.stats.Records != 3 {
		t.Errorf("records = %d, want 3 (the DETAIL lines belong to their message)",
			out.stats.Records)
	}
}

func TestTrapPreviouslyLoggedAndRows(t *testing.T) {
	p := "2026-12-04 15:14:53.919 UTC [12435] alice@ehr/DBeaver 23.1.0 - Main 127.0.0.1(44464) 6b12d8ed.3093 "
	log := "" +
		p + "LOG:  AUDIT: SESSION,1,1,READ,SELECT,TABLE,clinical.patient,\"SELECT p.mrn FROM clinical.patient p JOIN clinical.encounter e USING (patient_id)\",<none>,2\n" +
		p + "LOG:  AUDIT: OBJECT,1,1,READ,SELECT,TABLE,clinical.encounter,<previously logged>,<previously logged>,0\n"
	out := parseBytes(t, Options{}, "t", []byte(log))
	if len(out.events) != 2 {
		t.Fatalf("%d events, want 2", len(out.events))
	}
	first, prev := out.events[0], out.events[1]
	if !first.Audit.HasRows || first.Audit.Rows != 2 || first.Audit.Type != "SESSION" {
		t.Errorf("ROWS field: %+v", first.Audit)
	}
	if !prev.Audit.PreviouslyLogged || prev.Statement != "" || !prev.Audit.HasRows ||
		prev.Audit.Rows != 0 || prev.Audit.Type != "OBJECT" {
		t.Errorf("<previously logged> row: %+v", prev)
	}
	if prev.StatementSHA256 == "" || prev.StatementSHA256 != first.StatementSHA256 {
		t.Errorf("previously logged hash %q, want the first row's %q", prev.StatementSHA256,
			first.StatementSHA256)
	}
}

func TestTrapMultiLineStatement(t *testing.T) {
	want := "INSERT INTO clinical.encounter (patient_id, reason)\nVALUES (1, 'follow-up, \"routine\"\nsecond line of reason');"
	cases := map[string]string{
		"stderr": "" +
			"2026-12-04 15:11:58.408 UTC [25967] LOG:  AUDIT: SESSION,1,1,WRITE,INSERT,TABLE,clinical.encounter,\"INSERT INTO clinical.encounter (patient_id, reason)\n" +
			"\tVALUES (1, 'follow-up, \"\"routine\"\"\n" +
			"\tsecond line of reason');\",<not logged>\n",
		"csvlog": `2026-12-04 15:11:58.408 UTC,"app_svc","ehr",25967,"127.0.0.1:34006",6b12d83e.656f,5,"INSERT",2026-12-04 15:11:58 UTC,3/60,0,LOG,00000,"AUDIT: SESSION,1,1,WRITE,INSERT,TABLE,clinical.encounter,""INSERT INTO clinical.encounter (patient_id, reason)` + "\n" +
			`VALUES (1, 'follow-up, """"routine""""` + "\n" +
			`second line of reason');"",<not logged>",,,,,,,,,"ehr-api/2.3.1","client backend",,0` + "\n",
		"jsonlog": `{"timestamp":"2026-12-04 15:11:58.408 UTC","user":"app_svc","dbname":"ehr","pid":25967,"session_id":"6b12d83e.656f","line_num":5,"error_severity":"LOG","message":"AUDIT: SESSION,1,1,WRITE,INSERT,TABLE,clinical.encounter,\"INSERT INTO clinical.encounter (patient_id, reason)\nVALUES (1, 'follow-up, \"\"routine\"\"\nsecond line of reason');\",<not logged>"}` + "\n",
	}
	var hashes []string
	for name, log := range cases {
		t.Run(name, func(t *testing.T) {
			out := parseBytes(t, Options{}, "t", []byte(log))
			if len(out.events) != 1 {
				t.Fatalf("%d events, want 1", len(out.events))
			}
			if got := out.events[0].Statement; got != want {
				t.Errorf("statement = %q, want %q", got, want)
			}
			hashes = append(hashes, out.events[0].StatementSHA256)
		})
	}
	for _, h := range hashes[1:] {
		if h != hashes[0] {
			t.Errorf("the formats hash the statement differently: %v", hashes)
		}
	}
}

func TestTrapLocalSocket(t *testing.T) {
	cases := map[string]string{
		"stderr %r": "2026-12-04 15:14:52.763 UTC [12423] postgres@ehr/psql [local] 6b12d8ec.3087 LOG:  disconnection: session time: 0:00:00.002 user=postgres database=ehr host=[local]\n",
		"stderr received": "2026-12-04 15:11:10.747 UTC [6448] LOG:  connection received: host=[local]\n" +
			"2026-12-04 15:11:10.748 UTC [6448] LOG:  connection authorized: user=postgres database=postgres application_name=psql\n",
		"csvlog":  `2026-12-04 15:17:16.066 UTC,"postgres","ehr",3584,"[local]",6b12d97b.e00,9,"idle",2026-12-04 15:17:15 UTC,,0,LOG,00000,"disconnection: session time: 0:00:00.212 user=postgres database=ehr host=[local]",,,,,,,,,"psql","client backend",,0` + "\n",
		"jsonlog": `{"timestamp":"2026-12-04 15:17:16.066 UTC","user":"postgres","dbname":"ehr","pid":3584,"remote_host":"[local]","session_id":"6b12d97b.e00","line_num":9,"error_severity":"LOG","message":"disconnection: session time: 0:00:00.212 user=postgres database=ehr host=[local]"}` + "\n",
	}
	for name, log := range cases {
		t.Run(name, func(t *testing.T) {
			out := parseBytes(t, Options{}, "t", []byte(log))
			if len(out.events) != 1 {
				t.Fatalf("%d events, want 1", len(out.events))
			}
			if e := out.events[0]; e.ClientAddr != "[local]" || e.ClientPort != 0 || e.User != "postgres" {
				t.Errorf("event = %+v, want postgres over [local]", e)
			}
		})
	}
}

func TestTrapMultiStatementPassword(t *testing.T) {
	log := "2026-12-04 15:16:08.724 UTC [19950] admin_bob@ehr LOG:  AUDIT: SESSION,2,1,ROLE,GRANT ROLE,,,CREATE ROLE canary_one LOGIN PASSWORD 'FAKE-multi-1'; GRANT clinical_read TO canary_one;,<none>\n"
	out := parseBytes(t, Options{}, "t", []byte(log))
	if len(out.events) != 1 || len(out.exposures) != 1 {
		t.Fatalf("%d events %d exposures, want 1 and 1", len(out.events), len(out.exposures))
	}
	e, x := out.events[0], out.exposures[0]
	if strings.Contains(e.Statement, "FAKE-multi-1") {
		t.Fatalf("password kept: %q", e.Statement)
	}
	if e.Command != "GRANT ROLE" || !strings.Contains(e.Statement, "GRANT clinical_read TO canary_one") {
		t.Errorf("event = %+v", e)
	}
	if x.Account != "canary_one" || x.SessionUser != "admin_bob" || x.Pos.Line != 1 {
		t.Errorf("exposure = %+v, want canary_one's password written by admin_bob", x)
	}
}
