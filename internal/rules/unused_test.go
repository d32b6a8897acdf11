package rules

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/wardsec/ward/internal/config"
	"github.com/wardsec/ward/internal/inventory"
	"github.com/wardsec/ward/internal/pglog"
	"github.com/wardsec/ward/internal/usage"
)

// without drops the events between from and to.
func without(evs []inventory.Event, from, to time.Time) []inventory.Event {
	var out []inventory.Event
	for _, ev := range evs {
		if ev.Time.Before(from) || ev.Time.After(to) {
			out = append(out, ev)
		}
	}
	return out
}

func TestUnused(t *testing.T) {
	const id = "ACCT-UNUSED"
	med, high := inventory.SeverityMedium, inventory.SeverityHigh
	plus := func(evs []inventory.Event, more ...inventory.Event) []inventory.Event {
		return append(append([]inventory.Event{}, evs...), more...)
	}
	runUsageRule(t, id, []usageCase{
		{
			name:   "no login in 100 days of logs",
			snap:   snap(svc("app_svc")),
			events: quietLogs(100),
			want:   []got{{"ehr/app_svc", "logins", med}},
		},
		{
			// The logs reach back 60 days: nothing can be said yet.
			name:   "logs shorter than the period",
			snap:   snap(svc("app_svc")),
			events: quietLogs(60),
		},
		{
			name:   "last login 100 days ago",
			snap:   snap(svc("app_svc")),
			events: plus(quietLogs(120), login(ago(100*day), "app_svc", "api", "10.0.0.5")),
			want:   []got{{"ehr/app_svc", "logins", med}},
		},
		{
			name:   "last login 30 days ago",
			snap:   snap(svc("app_svc")),
			events: plus(quietLogs(120), login(ago(30*day), "app_svc", "api", "10.0.0.5")),
		},
		{
			name:   "a shorter policy",
			snap:   snap(svc("app_svc")),
			events: plus(quietLogs(40), login(ago(35*day), "app_svc", "api", "10.0.0.5")),
			policy: config.Policy{UnusedAfter: 30 * day},
			want:   []got{{"ehr/app_svc", "logins", med}},
		},
		{
			// 100 days of logs, but 20 of them missing: 80 days covered.
			name:   "a gap in the logs",
			snap:   snap(svc("app_svc")),
			events: without(quietLogs(100), ago(60*day), ago(40*day)),
		},
		{
			name:   "failed logins are not logins",
			snap:   snap(svc("app_svc")),
			events: plus(quietLogs(100), failure(ago(10*day), "app_svc", "10.0.0.5")),
			want:   []got{{"ehr/app_svc", "logins", med}},
		},
		{
			name:   "a login after the scan started",
			snap:   snap(svc("app_svc")),
			events: plus(quietLogs(100), login(scanStart.Add(time.Hour), "app_svc", "api", "10.0.0.5")),
		},
		{
			name:   "a role that cannot log in",
			snap:   snap(with(svc("app_svc"), nologin)),
			events: quietLogs(100),
		},
		{
			name:   "a person's login",
			snap:   snap(with(svc("alice"), kind(inventory.KindHuman))),
			events: quietLogs(100),
			want:   []got{{"ehr/alice", "logins", med}},
		},
		{
			name:   "privileged",
			snap:   snap(with(svc("app_svc"), superuser)),
			events: quietLogs(100),
			want:   []got{{"ehr/app_svc", "logins", high}},
		},
		{
			name:   "reaches PHI",
			snap:   snap(with(svc("app_svc"), grants(phiGrant("ehr.clinical.patient")))),
			events: quietLogs(100),
			want:   []got{{"ehr/app_svc", "logins", high}},
		},
	})
}

func TestUnusedEvidenceAndFix(t *testing.T) {
	evs := append(quietLogs(120), login(ago(100*day), "app_svc", "ehr-api/2.3", "10.0.0.5"),
		failure(ago(50*day), "app_svc", "192.0.2.7"))
	// The logs end five days before the scan.
	evs = without(evs, ago(5*day), scanStart)
	s := snap(svc("app_svc"))
	f := findUsage(t, s, evs, "ACCT-UNUSED", "ehr/app_svc", "logins")
	for _, want := range []string{
		"no successful login from 2026-08-26T10:00:00Z to 2026-11-29T04:00:00Z: 94 days of " +
			"logs, more than policy.unused_after (90 days)",
		`last successful login at 2026-08-26T10:00:00Z (program "ehr-api/2.3" from 10.0.0.5)`,
		"1 failed login since then, the last at 2026-10-15T10:00:00Z",
		"the logs end at 2026-11-29T04:00:00Z, 5 days before the scan",
		"kind = service",
	} {
		if !hasEvidence(f, want) {
			t.Errorf("evidence lacks %q:\n%s", want, strings.Join(f.Evidence, "\n"))
		}
	}
	want := &inventory.Fix{Language: "sql",
		Apply:    "BEGIN;\nALTER ROLE \"app_svc\" NOLOGIN;\nCOMMIT;\n",
		Rollback: "BEGIN;\nALTER ROLE \"app_svc\" LOGIN;\nCOMMIT;\n"}
	if f.Fix == nil || f.Fix.Apply != want.Apply || f.Fix.Rollback != want.Rollback {
		t.Errorf("fix = %+v, want %+v", f.Fix, want)
	}

	t.Run("scan start unknown", func(t *testing.T) {
		s := snap(svc("app_svc"))
		fs := Evaluate(Input{Snapshot: s, Usage: usageOf(quietLogs(100))})
		if len(only(fs, "ACCT-UNUSED")) != 0 {
			t.Error("ACCT-UNUSED fired without a scan time to judge against")
		}
	})
}

// csvLine writes one csvlog record (PostgreSQL 15, 26 fields).
func csvLine(b *bytes.Buffer, at time.Time, user, pid, session string, line int,
	msg, app string) {
	fmt.Fprintf(b, "%s,%q,\"ehr\",%s,\"10.0.0.5:40000\",%s,%d,\"authentication\",%s,"+
		"3/1,0,LOG,00000,%q,,,,,,,,,%q,\"client backend\",,0\n",
		at.UTC().Format("2006-01-02 15:04:05.000 MST"), user, pid, session, line,
		at.UTC().Format("2006-01-02 15:04:05 MST"), msg, app)
}

// generatedLog writes a csvlog of days days before scanStart: a login of
// monitor every six hours and one login of app_svc at the start.
func generatedLog(days int) []byte {
	var b bytes.Buffer
	n := 0
	add := func(at time.Time, user, app string) {
		n++
		pid, sess := fmt.Sprint(1000+n), fmt.Sprintf("%x.%x", at.Unix(), 1000+n)
		csvLine(&b, at, user, pid, sess, 1, "connection received: host=10.0.0.5 port=40000", "")
		csvLine(&b, at, user, pid, sess, 2, fmt.Sprintf("connection authorized: user=%s "+
			"database=ehr application_name=%s", user, app), "")
		csvLine(&b, at.Add(time.Second), user, pid, sess, 3, fmt.Sprintf("disconnection: "+
			"session time: 0:00:01.000 user=%s database=ehr host=10.0.0.5 port=40000", user), app)
	}
	start := ago(time.Duration(days) * day)
	add(start, "app_svc", "ehr-api/2.3")
	for at := start.Add(6 * time.Hour); at.Before(scanStart); at = at.Add(6 * time.Hour) {
		add(at, "monitor", "collector")
	}
	return b.Bytes()
}

// TestUnusedFromGeneratedLog parses generated csvlog files through pglog
// and the usage builder: app_svc last logged in at the start of the file.
// Spanning more than policy.unused_after (90 days) the rule fires; over a
// shorter span it does not.
func TestUnusedFromGeneratedLog(t *testing.T) {
	tests := []struct {
		days int
		want bool
	}{
		{100, true},
		{91, true},
		{89, false},
		{30, false},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d days", tt.days), func(t *testing.T) {
			p, err := pglog.New(pglog.Options{Source: "ehr"})
			if err != nil {
				t.Fatal(err)
			}
			b := usage.NewBuilder("ehr", usage.Options{})
			st, err := p.Parse(context.Background(), bytes.NewReader(generatedLog(tt.days)),
				"generated.csv", pglog.Sink{Event: func(ev inventory.Event) error {
					b.Add(ev)
					return nil
				}})
			if err != nil || st.Skipped != 0 || st.Format != pglog.FormatCSV {
				t.Fatalf("parse: %+v, %v", st, err)
			}
			u := b.Usage()
			if a := u.Account("app_svc"); a == nil || a.Logins.Sessions != 1 {
				t.Fatalf("app_svc usage = %+v", a)
			}
			s := snap(svc("app_svc"), svc("monitor"))
			s.StartedAt = scanStart
			fs := only(Evaluate(Input{Snapshot: s, Usage: u}), "ACCT-UNUSED")
			fired := len(fs) == 1 && fs[0].AccountID == "ehr/app_svc"
			if fired != tt.want || len(fs) > 1 {
				t.Errorf("findings %v, want app_svc flagged: %v", evidenceOf(fs), tt.want)
			}
		})
	}
}

func TestUnusedNeedsLoginRecords(t *testing.T) {
	// log_connections off: the logs hold statements but no login at all.
	var evs []inventory.Event
	for i := 100; i >= 1; i-- {
		evs = append(evs, auditRow(ago(time.Duration(i)*day), "etl_svc", "s", int64(i), "READ",
			"SELECT", "TABLE", "app.queue"))
		evs = append(evs, auditRow(ago(time.Duration(i)*day-12*time.Hour), "etl_svc", "s",
			int64(1000+i), "READ", "SELECT", "TABLE", "app.queue"))
	}
	s := snap(svc("app_svc"), svc("etl_svc"))
	s.StartedAt = scanStart
	if fs := only(Evaluate(Input{Snapshot: s, Usage: usageOf(evs)}), "ACCT-UNUSED"); len(fs) != 0 {
		t.Errorf("ACCT-UNUSED fired on logs without login records: %v", evidenceOf(fs))
	}

	t.Run("activity of a session logged in before the logs", func(t *testing.T) {
		evs := append(quietLogs(100), auditRow(ago(10*day), "app_svc", "old", 7, "READ", "SELECT",
			"TABLE", "app.queue"))
		if fs := only(Evaluate(Input{Snapshot: s, Usage: usageOf(evs)}), "ACCT-UNUSED"); len(fs) != 1 ||
			fs[0].AccountID != "ehr/etl_svc" {
			t.Errorf("want only etl_svc flagged: %v", evidenceOf(fs))
		}
	})
}
