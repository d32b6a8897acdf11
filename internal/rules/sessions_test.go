package rules

import (
	"strings"
	"testing"
	"time"

	"github.com/wardsec/ward/internal/inventory"
)

var scanStart = time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)

// withSessions sets the scan's start and adds open sessions.
func withSessions(s *inventory.Snapshot, ss ...inventory.Session) *inventory.Snapshot {
	s.StartedAt = scanStart
	s.Sessions = append(s.Sessions, ss...)
	return s
}

func session(pid int, user string, started time.Time) inventory.Session {
	return inventory.Session{PID: pid, User: user, Database: "ehr", Application: "worker",
		ClientAddr: "10.1.2.3", Started: started}
}

func TestExpiredRoleActive(t *testing.T) {
	const id = "PG-EXPIRED-ROLE-ACTIVE"
	high, crit := inventory.SeverityHigh, inventory.SeverityCritical
	dayAgo, hourAgo := scanStart.Add(-24*time.Hour), scanStart.Add(-time.Hour)
	expired := validUntil(hourAgo)

	runRule(t, id, []ruleCase{
		{
			name: "a valid role with a session",
			snap: withSessions(snap(svc("app_svc")), session(10, "app_svc", dayAgo)),
		},
		{
			name: "expired role with a session",
			snap: withSessions(snap(with(svc("app_svc"), expired)), session(10, "app_svc", dayAgo)),
			want: []got{{"ehr/app_svc", "sessions", high}},
		},
		{
			name: "expired role without sessions",
			snap: withSessions(snap(with(svc("app_svc"), expired)), session(10, "other", dayAgo)),
		},
		{
			name: "expiry after the scan started",
			snap: withSessions(snap(with(svc("app_svc"), validUntil(scanStart.Add(time.Minute)))),
				session(10, "app_svc", dayAgo)),
		},
		{
			// Without the scan's start ward cannot tell expiry from the
			// clock, and does not try.
			name: "expired, scan start unknown",
			snap: func() *inventory.Snapshot {
				s := withSessions(snap(with(svc("app_svc"), expired)), session(10, "app_svc", dayAgo))
				s.StartedAt = time.Time{}
				return s
			}(),
		},
		{
			name: "NOLOGIN role with a session",
			snap: withSessions(snap(with(svc("app_svc"), nologin)), session(10, "app_svc", dayAgo)),
			want: []got{{"ehr/app_svc", "sessions", high}},
		},
		{
			name: "several sessions make one finding",
			snap: withSessions(snap(with(svc("app_svc"), nologin)),
				session(10, "app_svc", dayAgo), session(11, "app_svc", hourAgo)),
			want: []got{{"ehr/app_svc", "sessions", high}},
		},
		{
			name: "reaches PHI",
			snap: withSessions(snap(with(svc("app_svc"), expired, grants(phiGrant("ehr.clinical.patient")))),
				session(10, "app_svc", dayAgo)),
			want: []got{{"ehr/app_svc", "sessions", crit}},
		},
		{
			name: "a person's expired role",
			snap: withSessions(snap(with(svc("alice"), expired, kind(inventory.KindHuman))),
				session(10, "alice", dayAgo)),
			want: []got{{"ehr/alice", "sessions", high}},
		},
		{
			name: "a session of a role the snapshot does not list",
			snap: withSessions(snap(), session(10, "ghost", dayAgo)),
		},
		{
			name: "no sessions read",
			snap: withSessions(snap(with(svc("app_svc"), nologin))),
		},
	})
}

func TestExpiredRoleEvidenceAndFix(t *testing.T) {
	until := scanStart.Add(-2 * time.Hour)
	late := session(0, "app_svc", scanStart.Add(-time.Hour))
	late.ClientAddr, late.Application = "", "psql"
	s := withSessions(snap(with(svc("app_svc"), validUntil(until), nologin)),
		session(4242, "app_svc", scanStart.Add(-48*time.Hour)), late,
		inventory.Session{PID: 7, User: "app_svc", Application: "job password=CANARY-app",
			Started: scanStart.Add(-72 * time.Hour)})
	s.Sessions = append(s.Sessions, inventory.Session{PID: 9, User: "app_svc", Database: "ehr",
		Application: "cron"})
	f := findOne(t, Evaluate(Input{Snapshot: s}), "PG-EXPIRED-ROLE-ACTIVE", "ehr/app_svc", "sessions")
	for _, want := range []string{
		`session pid 9: database ehr, application "cron", from an address hidden from the ` +
			"scanner or the local socket, start time hidden from the scanner",
		"the role cannot log in (NOLOGIN)",
		"the role's password expired at 2026-12-04T08:00:00Z (VALID UNTIL), before the scan " +
			"started at 2026-12-04T10:00:00Z",
		"4 sessions still open",
		`session pid 4242: database ehr, application "worker", from 10.1.2.3, started 2026-12-02T10:00:00Z`,
		`session: database ehr, application "psql", from the local socket, started ` +
			"2026-12-04T09:00:00Z (opened after the expiry)",
		"logged in by a method that does not check VALID UNTIL",
		"or the date was set later to a time already past",
		`application "[REDACTED]"`,
	} {
		if !hasEvidence(f, want) {
			t.Errorf("evidence lacks %q:\n%s", want, strings.Join(f.Evidence, "\n"))
		}
	}
	if strings.Contains(strings.Join(f.Evidence, "\n"), "CANARY") {
		t.Errorf("an application name holding a secret reached the evidence")
	}

	want := "BEGIN;\nSELECT pg_catalog.pg_terminate_backend(s.pid)\n" +
		"FROM pg_catalog.pg_stat_activity AS s\n" +
		"JOIN pg_catalog.pg_roles AS r ON r.oid = s.usesysid\n" +
		"WHERE r.rolname = 'app_svc'\n" +
		"  AND (NOT r.rolcanlogin OR r.rolvaliduntil < pg_catalog.now())\n" +
		"  AND s.pid <> pg_catalog.pg_backend_pid();\nCOMMIT;\n"
	if f.Fix == nil || f.Fix.Apply != want {
		t.Fatalf("fix = %+v\nwant %q", f.Fix, want)
	}
	if f.Fix.Rollback != "" || !strings.Contains(f.Fix.Notes, "No rollback") {
		t.Errorf("ending a session cannot be undone; rollback %q, notes %q", f.Fix.Rollback, f.Fix.Notes)
	}

	t.Run("quoted role name", func(t *testing.T) {
		s := withSessions(snap(with(svc("o'brien"), nologin)), session(1, "o'brien", scanStart))
		f := findOne(t, Evaluate(Input{Snapshot: s}), "PG-EXPIRED-ROLE-ACTIVE", "ehr/o'brien", "sessions")
		if f.Fix == nil || !strings.Contains(f.Fix.Apply, "WHERE r.rolname = 'o''brien'") {
			t.Errorf("fix = %+v", f.Fix)
		}
	})
}
