package watch

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/wardsec/ward/internal/inventory"
)

// detectorCase feeds events to a fresh engine and counts one detector's
// alerts.
type detectorCase struct {
	name string
	// feed sends the events; it may call learn first.
	feed func(e *Engine)
	want int
}

func runDetectorCases(t *testing.T, detector string, cfg Config, cases []detectorCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e, rec, _ := testEngine(t, cfg)
			tc.feed(e)
			got := rec.byDetector(detector)
			if len(got) != tc.want {
				t.Errorf("%d %s alerts, want %d: %+v", len(got), detector, tc.want, got)
			}
		})
	}
}

func TestInteractiveUse(t *testing.T) {
	runDetectorCases(t, DetectInteractive, Config{}, []detectorCase{
		{"service account from psql", func(e *Engine) {
			e.Handle(event(t0, "etl_svc", withApp("psql"), withAction(inventory.ActionConnect)))
		}, 1},
		{"service account from DBeaver", func(e *Engine) {
			e.Handle(event(t0, "app_svc", withApp("DBeaver 23.1.0 - Main")))
		}, 1},
		{"once per session", func(e *Engine) {
			for i := range 5 {
				e.Handle(event(t0.Add(time.Duration(i)), "etl_svc", withApp("psql")))
			}
		}, 1},
		{"each session", func(e *Engine) {
			e.Handle(event(t0, "etl_svc", withApp("pgAdmin 4"), withSession("a")))
			e.Handle(event(t0, "etl_svc", withApp("pgAdmin 4"), withSession("b")))
			// the second session is a repeat within the group window
		}, 1},
		{"a person from psql", func(e *Engine) {
			e.Handle(event(t0, "alice", withApp("psql")))
		}, 0},
		{"service account from its program", func(e *Engine) {
			e.Handle(event(t0, "etl_svc", withApp("ehr-api/2.3.1")))
		}, 0},
		{"a driver named like a tool", func(e *Engine) {
			e.Handle(event(t0, "etl_svc", withApp("psqlodbc")))
		}, 0},
		{"authenticated line alone", func(e *Engine) {
			e.Handle(event(t0, "etl_svc", withApp("psql"),
				withAction(inventory.ActionAuthenticated)))
		}, 0},
	})
}

func TestInteractiveUseGroupedPerSession(t *testing.T) {
	e, rec, clk := testEngine(t, Config{})
	e.Handle(event(t0, "etl_svc", withApp("psql"), withSession("a")))
	e.Handle(event(t0, "etl_svc", withApp("psql"), withSession("b")))
	e.Handle(event(t0, "etl_svc", withApp("psql"), withSession("c")))
	clk.t = clk.t.Add(DefaultGroupWindow)
	e.Tick()
	got := rec.byDetector(DetectInteractive)
	if len(got) != 2 || got[1].Count != 2 || !got[1].Grouped || got[1].GroupOf != got[0].ID {
		t.Fatalf("got %+v, want one alert then a summary of 2 repeats", got)
	}
}

func TestRoleChange(t *testing.T) {
	role := func(user, cmd, stmt string, mods ...func(*inventory.Event)) inventory.Event {
		return event(t0, user, append([]func(*inventory.Event){withApp("psql"),
			withStatement(cmd, stmt)}, mods...)...)
	}
	runDetectorCases(t, DetectRoleChange, Config{}, []detectorCase{
		{"grant by a service account", func(e *Engine) {
			e.Handle(role("app_svc", "GRANT", "GRANT SELECT ON clinical.patient TO alice"))
		}, 1},
		{"alter role on a service account", func(e *Engine) {
			e.Handle(role("postgres", "ALTER ROLE", "ALTER ROLE etl_svc PASSWORD <REDACTED>"))
		}, 1},
		{"grant role to a service account", func(e *Engine) {
			e.Handle(role("postgres", "GRANT ROLE", "GRANT clinical_write TO etl_svc;"))
		}, 1},
		{"log_statement line without audit class", func(e *Engine) {
			ev := role("postgres", "", "revoke all on clinical.patient from etl_svc")
			ev.Action, ev.Audit.Class = inventory.ActionStatement, ""
			e.Handle(ev)
		}, 1},
		{"grant between people", func(e *Engine) {
			e.Handle(role("postgres", "GRANT ROLE", "GRANT clinical_read TO alice"))
		}, 0},
		{"create role of a person", func(e *Engine) {
			e.Handle(role("postgres", "CREATE ROLE", "CREATE ROLE bob LOGIN"))
		}, 0},
		{"select by a service account", func(e *Engine) {
			e.Handle(event(t0, "etl_svc", withObject("clinical.patient")))
		}, 0},
		{"object and session rows of one statement", func(e *Engine) {
			for _, typ := range []string{"OBJECT", "SESSION"} {
				ev := role("app_svc", "GRANT", "GRANT SELECT ON t TO alice")
				ev.Audit.Type, ev.Audit.StatementID, ev.Audit.SubstatementID = typ, 4, 1
				e.Handle(ev)
			}
		}, 1},
	})
}

func TestRoleChangeFields(t *testing.T) {
	e, rec, _ := testEngine(t, Config{})
	ev := event(t0, "postgres", withStatement("GRANT ROLE",
		"GRANT clinical_write, pg_read_all_data TO etl_svc, current_user"))
	ev.Outcome = inventory.OutcomeFailure
	e.Handle(ev)
	got := rec.byDetector(DetectRoleChange)
	if len(got) != 1 {
		t.Fatalf("got %d alerts", len(got))
	}
	a := got[0]
	if a.Command != "GRANT ROLE" || !slices.Equal(a.Targets, []string{"etl_svc", "postgres"}) ||
		a.Severity != inventory.SeverityMedium || a.Outcome != inventory.OutcomeFailure {
		t.Errorf("alert = %+v", a)
	}
}

func TestFailedLoginBurst(t *testing.T) {
	fail := func(t time.Time, user string) inventory.Event {
		return event(t, user, withAction(inventory.ActionAuthFailed), withSession(""))
	}
	runDetectorCases(t, DetectFailedLogin, Config{FailedLogins: 5, FailedWindow: time.Minute},
		[]detectorCase{
			{"five in a minute", func(e *Engine) {
				for i := range 5 {
					e.Handle(fail(t0.Add(time.Duration(i)*time.Second), "etl_svc"))
				}
			}, 1},
			{"an unknown role too", func(e *Engine) {
				for i := range 5 {
					e.Handle(fail(t0.Add(time.Duration(i)*time.Second), "ghost"))
				}
			}, 1},
			{"four in a minute", func(e *Engine) {
				for i := range 4 {
					e.Handle(fail(t0.Add(time.Duration(i)*time.Second), "etl_svc"))
				}
			}, 0},
			{"five spread over five minutes", func(e *Engine) {
				for i := range 5 {
					e.Handle(fail(t0.Add(time.Duration(i)*70*time.Second), "etl_svc"))
				}
			}, 0},
			{"five across two accounts", func(e *Engine) {
				for i := range 5 {
					e.Handle(fail(t0.Add(time.Duration(i)*time.Second), fmt.Sprint("u", i%2)))
				}
			}, 0},
		})
}

func TestNewAddress(t *testing.T) {
	runDetectorCases(t, DetectNewAddress, Config{}, []detectorCase{
		{"after learning", func(e *Engine) {
			e.Handle(event(learn(e, "etl_svc"), "etl_svc", withAddr("192.0.2.9")))
		}, 1},
		{"reported once", func(e *Engine) {
			at := learn(e, "etl_svc")
			e.Handle(event(at, "etl_svc", withAddr("192.0.2.9"), withSession("x")))
			e.Handle(event(at, "etl_svc", withAddr("192.0.2.9"), withSession("y")))
		}, 1},
		{"usual address", func(e *Engine) {
			e.Handle(event(learn(e, "etl_svc"), "etl_svc"))
		}, 0},
		{"while learning", func(e *Engine) {
			e.Handle(event(t0, "etl_svc"))
			e.Handle(event(t0.Add(30*time.Minute), "etl_svc", withAddr("192.0.2.9")))
		}, 0},
	})
}

func TestNewProgram(t *testing.T) {
	runDetectorCases(t, DetectNewProgram, Config{}, []detectorCase{
		{"after learning", func(e *Engine) {
			e.Handle(event(learn(e, "etl_svc"), "etl_svc", withApp("reportgen")))
		}, 1},
		{"an upgrade is not new", func(e *Engine) {
			e.Handle(event(learn(e, "etl_svc"), "etl_svc", withApp("ehr-api/2.4.0")))
		}, 0},
		{"an interactive tool is reported as such, not as new", func(e *Engine) {
			e.Handle(event(learn(e, "etl_svc"), "etl_svc", withApp("psql")))
		}, 0},
		{"no program", func(e *Engine) {
			e.Handle(event(learn(e, "etl_svc"), "etl_svc", withApp("")))
		}, 0},
	})
}

func TestPHIFirstTouch(t *testing.T) {
	runDetectorCases(t, DetectPHITouch, Config{}, []detectorCase{
		{"first touch of a PHI table", func(e *Engine) {
			e.Handle(event(learn(e, "etl_svc"), "etl_svc", withObject("clinical.patient")))
		}, 1},
		{"denied touch counts too", func(e *Engine) {
			ev := event(learn(e, "etl_svc"), "etl_svc", withObject("clinical.encounter"))
			ev.Action, ev.Outcome = inventory.ActionStatement, inventory.OutcomeFailure
			e.Handle(ev)
		}, 1},
		{"second touch", func(e *Engine) {
			at := learn(e, "etl_svc")
			e.Handle(event(at, "etl_svc", withObject("clinical.patient")))
			e.Handle(event(at, "etl_svc", withObject("clinical.patient"), withSession("z")))
		}, 1},
		{"not PHI", func(e *Engine) {
			e.Handle(event(learn(e, "etl_svc"), "etl_svc", withObject("public.codes")))
		}, 0},
		{"while learning", func(e *Engine) {
			e.Handle(event(t0, "etl_svc", withObject("clinical.patient")))
		}, 0},
		{"a function is not a relation", func(e *Engine) {
			ev := event(learn(e, "etl_svc"), "etl_svc")
			ev.ObjectType, ev.ObjectName = "FUNCTION", "clinical.patient"
			e.Handle(ev)
		}, 0},
	})
}

func TestOffHours(t *testing.T) {
	runDetectorCases(t, DetectOffHours, Config{}, []detectorCase{
		{"at three in the morning", func(e *Engine) {
			learn(e, "etl_svc")
			e.Handle(event(time.Date(2026, 3, 3, 3, 10, 0, 0, time.UTC), "etl_svc"))
		}, 1},
		{"at a usual hour", func(e *Engine) {
			learn(e, "etl_svc")
			e.Handle(event(time.Date(2026, 3, 3, 14, 10, 0, 0, time.UTC), "etl_svc"))
		}, 0},
		{"while learning", func(e *Engine) {
			e.Handle(event(t0, "etl_svc"))
			e.Handle(event(t0.Add(-10*time.Hour), "etl_svc"))
		}, 0},
	})
}

func TestOffHoursAlert(t *testing.T) {
	e, rec, _ := testEngine(t, Config{})
	learn(e, "alice")
	e.Handle(event(time.Date(2026, 3, 3, 3, 10, 0, 0, time.UTC), "alice"))
	got := rec.byDetector(DetectOffHours)
	if len(got) != 1 || got[0].HourUTC == nil || *got[0].HourUTC != 3 || got[0].Key != "03" ||
		got[0].Severity != inventory.SeverityLow {
		t.Fatalf("got %+v", got)
	}
}

func TestVolumeSpike(t *testing.T) {
	cfg := Config{VolumeFactor: 5, VolumeMin: 10, VolumeMinutes: 30}
	// burst sends n events in the minute after learning (two per minute
	// for two hours: a usual rate of 2).
	burst := func(n int) func(e *Engine) {
		return func(e *Engine) {
			for i := 0; i < 120; i++ {
				at := t0.Add(time.Duration(i) * time.Minute)
				e.Handle(event(at, "etl_svc"))
				e.Handle(event(at.Add(time.Second), "etl_svc"))
			}
			at := t0.Add(120 * time.Minute)
			for i := 0; i < n; i++ {
				e.Handle(event(at.Add(time.Duration(i)*time.Millisecond), "etl_svc"))
			}
		}
	}
	runDetectorCases(t, DetectVolumeSpike, cfg, []detectorCase{
		{"ten times the usual", burst(20), 1},
		{"at the threshold", burst(10), 1},
		{"below the threshold", burst(9), 0},
		{"not enough history", func(e *Engine) {
			for i := 0; i < 20; i++ {
				e.Handle(event(t0.Add(time.Duration(i)*time.Millisecond), "etl_svc"))
			}
		}, 0},
	})
}

func TestVolumeSpikeAlert(t *testing.T) {
	e, rec, _ := testEngine(t, Config{VolumeFactor: 5, VolumeMin: 10, VolumeMinutes: 30})
	for i := 0; i < 120; i++ {
		at := t0.Add(time.Duration(i) * time.Minute)
		e.Handle(event(at, "etl_svc"))
		e.Handle(event(at.Add(time.Second), "etl_svc"))
	}
	for i := 0; i < 50; i++ {
		e.Handle(event(t0.Add(120*time.Minute), "etl_svc"))
	}
	got := rec.byDetector(DetectVolumeSpike)
	if len(got) != 1 || got[0].Observed != 10 || got[0].Threshold != 10 {
		t.Fatalf("got %+v, want one alert at 10 events (5 × the usual 2)", got)
	}
}

func TestEventsWithoutUser(t *testing.T) {
	e, rec, _ := testEngine(t, Config{})
	e.Handle(event(t0, "", withApp("psql"), withAction(inventory.ActionAuthFailed)))
	if len(rec.all()) != 0 || len(e.Baseline().Accounts) != 0 || e.Stats().Events != 1 {
		t.Errorf("alerts %v, accounts %d, stats %+v", rec.all(), len(e.Baseline().Accounts),
			e.Stats())
	}
}
