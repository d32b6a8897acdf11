package rules

import (
	"strings"
	"testing"
	"time"

	"github.com/wardsec/ward/internal/config"
	"github.com/wardsec/ward/internal/inventory"
)

// failures returns a failed login of user at each offset after start.
func failures(user string, start time.Time, offsets ...time.Duration) []inventory.Event {
	var out []inventory.Event
	for _, o := range offsets {
		out = append(out, failure(start.Add(o), user, "192.0.2.9"))
	}
	return out
}

func TestAuthFailures(t *testing.T) {
	const id = "AUTH-FAILURES-SA"
	med, high := inventory.SeverityMedium, inventory.SeverityHigh
	m := time.Minute
	start := ago(day)
	runUsageRule(t, id, []usageCase{
		{name: "four in ten minutes", snap: snap(svc("app_svc")),
			events: failures("app_svc", start, 0, m, 2*m, 3*m)},
		{name: "five in ten minutes", snap: snap(svc("app_svc")),
			events: failures("app_svc", start, 0, m, 2*m, 3*m, 9*m),
			want:   []got{{"ehr/app_svc", "failed-logins", med}}},
		{name: "five over an hour", snap: snap(svc("app_svc")),
			events: failures("app_svc", start, 0, 15*m, 30*m, 45*m, 60*m)},
		{name: "a lower threshold", snap: snap(svc("app_svc")),
			events: failures("app_svc", start, 0, m, 2*m),
			policy: config.Policy{AuthFailures: 3},
			want:   []got{{"ehr/app_svc", "failed-logins", med}}},
		{name: "a longer window", snap: snap(svc("app_svc")),
			events: failures("app_svc", start, 0, 15*m, 30*m, 45*m, 59*m),
			policy: config.Policy{AuthFailureWindow: time.Hour},
			want:   []got{{"ehr/app_svc", "failed-logins", med}}},
		{name: "an account ward cannot classify", snap: snap(with(svc("x9"), kind(inventory.KindUnknown))),
			events: failures("x9", start, 0, 0, 0, 0, 0),
			want:   []got{{"ehr/x9", "failed-logins", med}}},
		{name: "a person mistyping", snap: snap(with(svc("alice"), kind(inventory.KindHuman))),
			events: failures("alice", start, 0, 0, 0, 0, 0)},
		{name: "a role that does not exist", snap: snap(svc("app_svc")),
			events: failures("ghost", start, 0, 0, 0, 0, 0)},
		{name: "reaches PHI", snap: snap(with(svc("app_svc"), grants(phiGrant("ehr.clinical.patient")))),
			events: failures("app_svc", start, 0, 0, 0, 0, 0),
			want:   []got{{"ehr/app_svc", "failed-logins", high}}},
	})
}

func TestAuthFailuresEvidence(t *testing.T) {
	m := time.Minute
	evs := failures("app_svc", ago(day), 0, m, 2*m, 3*m, 4*m)
	evs = append(evs, failure(ago(day).Add(5*m), "app_svc", "10.0.0.5"),
		login(ago(day).Add(30*m), "app_svc", "api", "10.0.0.5"))
	f := findUsage(t, snap(svc("app_svc")), evs, "AUTH-FAILURES-SA", "ehr/app_svc", "failed-logins")
	for _, want := range []string{
		"1 burst: 5 or more failed logins within 10m0s (policy.auth_failures, " +
			"policy.auth_failure_window); 6 failed logins in all",
		"6 failed logins from 2026-12-03T10:00:00Z to 2026-12-03T10:05:00Z",
		"failed from: 10.0.0.5 (1), 192.0.2.9 (5)",
		"a successful login followed at 2026-12-03T10:30:00Z",
	} {
		if !hasEvidence(f, want) {
			t.Errorf("evidence lacks %q:\n%s", want, strings.Join(f.Evidence, "\n"))
		}
	}
}
