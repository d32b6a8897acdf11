package watch

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/wardsec/ward/internal/inventory"
	"github.com/wardsec/ward/internal/watch/alert"
)

// canaries are FAKE PHI and secret values written where a log puts
// statement text; none may reach an alert.
var canaries = []string{"000-00-0000", "FAKE-PHI-Jane-Doe", "FAKE-secret-pw", "WHERE ssn"}

// withCanaries fills every free-text field of an event with canaries.
func withCanaries(ev *inventory.Event) {
	ev.Statement = "SELECT * FROM clinical.patient WHERE ssn = '000-00-0000' AND name = " +
		"'FAKE-PHI-Jane-Doe' -- FAKE-secret-pw"
	ev.Message = "duplicate key value: (ssn)=(000-00-0000)"
	ev.Detail = "Key (name)=(FAKE-PHI-Jane-Doe) already exists; FAKE-secret-pw"
	ev.Parameters = "$1 = '000-00-0000', $2 = 'FAKE-PHI-Jane-Doe'"
	ev.Audit.Parameter = "000-00-0000,FAKE-PHI-Jane-Doe"
	ev.StatementSHA256 = "0000"
}

func TestAlertsCarryNoStatementText(t *testing.T) {
	e, rec, clk := testEngine(t, Config{VolumeFactor: 2, VolumeMin: 5, VolumeMinutes: 10})
	at := learn(e, "etl_svc")
	c := withCanaries
	feed := []inventory.Event{
		event(at, "etl_svc", withApp("psql"), c),                              // interactive
		event(at, "etl_svc", withAddr("192.0.2.7"), withSession("n"), c),      // new address
		event(at, "etl_svc", withApp("reportgen"), withSession("m"), c),       // new program
		event(at, "etl_svc", withObject("clinical.patient"), c),               // PHI touch
		event(at.Add(12*time.Hour), "etl_svc", c),                             // off hours
		event(at, "etl_svc", withStatement("GRANT", "GRANT x TO etl_svc"), c), // role change
	}
	for i := range 6 {
		feed = append(feed, event(at.Add(time.Duration(i)), "etl_svc",
			withAction(inventory.ActionAuthFailed), c))
	}
	for i := range 30 {
		feed = append(feed, event(at.Add(12*time.Hour+time.Minute+time.Duration(i)),
			"etl_svc", c))
	}
	for _, ev := range feed {
		e.Handle(ev)
	}
	clk.t = clk.t.Add(time.Hour)
	e.Tick()
	e.Flush()

	got := map[string]bool{}
	for _, a := range rec.all() {
		got[a.Detector] = true
		body, err := json.Marshal(a)
		if err != nil {
			t.Fatal(err)
		}
		syslog := alert.FormatRFC5424(alert.Header{Hostname: "h", AppName: "ward"}, a)
		for _, out := range []string{string(body), string(syslog)} {
			for _, c := range canaries {
				if strings.Contains(out, c) {
					t.Errorf("%s alert holds %q: %s", a.Detector, c, out)
				}
			}
		}
	}
	for _, d := range []string{DetectInteractive, DetectNewAddress, DetectNewProgram,
		DetectPHITouch, DetectOffHours, DetectRoleChange, DetectFailedLogin,
		DetectVolumeSpike} {
		if !got[d] {
			t.Errorf("no %s alert: the test covers every detector", d)
		}
	}
}
