package rules

import (
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wardsec/ward/internal/config"
	"github.com/wardsec/ward/internal/inventory"
	"github.com/wardsec/ward/internal/usage"
)

// day is 24 hours.
const day = 24 * time.Hour

// ago returns scanStart minus d.
func ago(d time.Duration) time.Time { return scanStart.Add(-d) }

// login is a successful login of user from app and addr.
func login(at time.Time, user, app, addr string) inventory.Event {
	return inventory.Event{Time: at, Source: "ehr", User: user, Database: "ehr",
		Action: inventory.ActionConnect, Outcome: inventory.OutcomeSuccess, Application: app,
		ClientAddr: addr, SessionID: user + at.Format(time.RFC3339Nano)}
}

// auditRow is a pgaudit SESSION row of statement stmt in session sess.
func auditRow(at time.Time, user, sess string, stmt int64, class, cmd, typ,
	obj string) inventory.Event {
	return inventory.Event{Time: at, Source: "ehr", User: user, Database: "ehr",
		Action: inventory.ActionAudit, Outcome: inventory.OutcomeSuccess, Command: cmd,
		ObjectType: typ, ObjectName: obj, SessionID: sess, Application: "api",
		ClientAddr: "10.0.0.5",
		Audit: inventory.AuditFields{Type: "SESSION", StatementID: stmt, SubstatementID: 1,
			Class: class}}
}

// failure is a refused login of user from addr.
func failure(at time.Time, user, addr string) inventory.Event {
	return inventory.Event{Time: at, Source: "ehr", User: user, Database: "ehr",
		Action: inventory.ActionAuthFailed, Outcome: inventory.OutcomeFailure, SQLState: "28P01",
		ClientAddr: addr}
}

// usageOf builds the usage of source "ehr" from events and exposures.
func usageOf(evs []inventory.Event, xs ...inventory.Exposure) *usage.Usage {
	b := usage.NewBuilder("ehr", usage.Options{})
	for _, ev := range evs {
		b.Add(ev)
	}
	b.AddExposures(xs)
	return b.Usage()
}

// quietLogs returns a login of "heartbeat" every six hours for the days
// before scanStart, so that the logs cover that stretch without gaps.
func quietLogs(days int) []inventory.Event {
	var out []inventory.Event
	for i := days * 4; i >= 1; i-- {
		out = append(out, login(ago(time.Duration(i)*6*time.Hour), "heartbeat", "monitor",
			"10.0.0.1"))
	}
	return out
}

// usageCase is one must-trigger or must-not-trigger case of a usage rule.
type usageCase struct {
	name   string
	snap   *inventory.Snapshot
	events []inventory.Event
	xs     []inventory.Exposure
	policy config.Policy
	want   []got
}

// runUsageRule evaluates each case with its usage and compares the rule's
// findings by account, resource and severity.
func runUsageRule(t *testing.T, ruleID string, cases []usageCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.snap.StartedAt.IsZero() {
				tc.snap.StartedAt = scanStart
			}
			in := Input{Snapshot: tc.snap, Policy: tc.policy, Usage: usageOf(tc.events, tc.xs...)}
			fs := only(Evaluate(in), ruleID)
			var have []got
			for _, f := range fs {
				have = append(have, got{Account: f.AccountID, Resource: f.Resource, Severity: f.Severity})
			}
			if diff := cmp.Diff(tc.want, have); diff != "" {
				t.Errorf("findings of %s (-want +got):\n%s\nevidence: %v", ruleID, diff,
					evidenceOf(fs))
			}
		})
	}
}

// findUsage evaluates s with the usage of evs and returns the one finding
// of ruleID on account and resource.
func findUsage(t *testing.T, s *inventory.Snapshot, evs []inventory.Event, ruleID, account,
	resource string, xs ...inventory.Exposure) inventory.Finding {
	t.Helper()
	if s.StartedAt.IsZero() {
		s.StartedAt = scanStart
	}
	return findOne(t, Evaluate(Input{Snapshot: s, Usage: usageOf(evs, xs...)}), ruleID, account,
		resource)
}

func TestUsageRulesNeedUsage(t *testing.T) {
	s, _ := busyInput()
	for _, in := range []Input{
		{Snapshot: s},
		// A usage of another source is not this source's.
		{Snapshot: s, Usage: &usage.Usage{Source: "billing", Exposures: []inventory.Exposure{
			{Kind: inventory.ExposureRolePassword, Account: "app_svc"}}}},
	} {
		for _, f := range Evaluate(in) {
			if slices.Contains(UsageRules(), f.RuleID) {
				t.Errorf("%s fired without this source's usage", f.RuleID)
			}
		}
	}
	var ids []string
	for _, r := range Catalog() {
		ids = append(ids, r.ID)
	}
	for _, id := range UsageRules() {
		if !slices.Contains(ids, id) {
			t.Errorf("UsageRules names %s, which is not in the catalogue", id)
		}
	}
}

func TestPolicyDefaults(t *testing.T) {
	got := withDefaults(config.Policy{AuthFailures: 8})
	want := config.Policy{UnusedAfter: config.DefaultUnusedAfter,
		MinObservation: config.DefaultMinObservation, AuthFailures: 8,
		AuthFailureWindow: config.DefaultAuthFailureWindow}
	if got != want {
		t.Errorf("withDefaults = %+v, want %+v", got, want)
	}
}

// busyInput is the busy snapshot with a usage on which every usage rule
// fires, and the batch_svc account that DB-GRANT-UNUSED needs (the busy
// snapshot's pgaudit.log records DDL only).
func busyInput() (*inventory.Snapshot, *usage.Usage) {
	s := busy()
	s.Accounts = append(s.Accounts, with(svc("batch_svc"),
		grants(direct("CREATE", "schema", "ehr.stage"))))
	evs := quietLogs(100)
	evs = append(evs,
		// etl_svc logged in once, 100 days ago: unused.
		login(ago(100*day), "etl_svc", "loader", "10.0.0.3"),
		// app_svc: three unrelated programs, one of them interactive.
		login(ago(2*day), "app_svc", "ehr-api/2.3", "10.0.0.5"),
		login(ago(day), "app_svc", "billing-sync/1.0", "10.0.9.9"),
		login(ago(time.Hour), "app_svc", "psql", "192.0.2.7"),
		login(ago(day), "batch_svc", "batch", "10.0.0.6"),
		auditRow(ago(day), "batch_svc", "b1", 1, "READ", "SELECT", "TABLE", "stage.input"),
	)
	for i := range 5 {
		evs = append(evs, failure(ago(time.Hour).Add(time.Duration(i)*time.Second), "x", "192.0.2.9"))
	}
	return s, usageOf(evs, inventory.Exposure{Kind: inventory.ExposureRolePassword,
		Account: "app_svc", Command: "ALTER ROLE", Field: "statement", Source: "ehr",
		Time: ago(day), SessionUser: "app_svc", Pos: inventory.Position{File: "pg.csv", Line: 7}})
}

func TestBusyUsageFindings(t *testing.T) {
	s, u := busyInput()
	fs := Evaluate(Input{Snapshot: s, Usage: u})
	var have []string
	for _, f := range fs {
		if slices.Contains(UsageRules(), f.RuleID) {
			have = append(have, f.RuleID+" "+f.AccountID+" "+f.Resource+" "+string(f.Severity))
		}
	}
	// app_svc is a superuser on a source with PHI (raised to critical);
	// etl_svc holds pg_read_all_data and REPLICATION (privileged, and
	// raised for PHI); alice, owner_svc (PHI grants) and x never log in
	// during the 100 days; gone_svc cannot log in.
	want := []string{
		"ACCT-SHARED-CREDENTIAL ehr/app_svc clients critical",
		"ACCT-UNUSED ehr/alice logins medium",
		"ACCT-UNUSED ehr/etl_svc logins critical",
		"ACCT-UNUSED ehr/owner_svc logins high",
		"ACCT-UNUSED ehr/x logins medium",
		"AUTH-FAILURES-SA ehr/x failed-logins medium",
		"CRED-EXPOSED-IN-LOGS ehr/app_svc role_password at pg.csv:7 critical",
		"DB-GRANT-UNUSED ehr/batch_svc grants medium",
		"SA-INTERACTIVE-USE ehr/app_svc interactive-programs critical",
	}
	if d := cmp.Diff(want, have); d != "" {
		t.Errorf("usage findings on the busy input (-want +got):\n%s", d)
	}
}
