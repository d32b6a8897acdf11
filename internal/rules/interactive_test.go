package rules

import (
	"strings"
	"testing"
	"time"

	"github.com/wardsec/ward/internal/inventory"
)

// daily returns one login a day of user from app and addr for n days
// before scanStart.
func daily(user, app, addr string, n int) []inventory.Event {
	var out []inventory.Event
	for i := n; i >= 1; i-- {
		out = append(out, login(ago(time.Duration(i)*day), user, app, addr))
	}
	return out
}

func TestInteractiveUse(t *testing.T) {
	const id = "SA-INTERACTIVE-USE"
	med, high, crit := inventory.SeverityMedium, inventory.SeverityHigh, inventory.SeverityCritical
	plus := func(evs []inventory.Event, more ...inventory.Event) []inventory.Event {
		return append(append([]inventory.Event{}, evs...), more...)
	}
	api := daily("app_svc", "ehr-api/2.3", "10.0.0.5", 30)
	runUsageRule(t, id, []usageCase{
		{name: "only its program", snap: snap(svc("app_svc")), events: api},
		{
			name:   "psql",
			snap:   snap(svc("app_svc")),
			events: plus(api, login(ago(time.Hour), "app_svc", "psql", "10.0.0.5")),
			want:   []got{{"ehr/app_svc", "interactive-programs", high}},
		},
		{
			name:   "DBeaver",
			snap:   snap(svc("app_svc")),
			events: plus(api, login(ago(time.Hour), "app_svc", "DBeaver 23.1.0 - Main", "10.0.0.5")),
			want:   []got{{"ehr/app_svc", "interactive-programs", high}},
		},
		{
			name: "pgAdmin, reaching PHI",
			snap: snap(with(svc("app_svc"), grants(phiGrant("ehr.clinical.patient")))),
			events: plus(api,
				login(ago(time.Hour), "app_svc", "pgAdmin 4 - CONN:1234567", "10.0.0.5")),
			want: []got{{"ehr/app_svc", "interactive-programs", crit}},
		},
		{
			name:   "a person using psql",
			snap:   snap(with(svc("alice"), kind(inventory.KindHuman))),
			events: daily("alice", "psql", "10.9.9.9", 30),
		},
		{
			// A driver named like a tool is not the tool.
			name:   "psqlodbc",
			snap:   snap(svc("app_svc")),
			events: plus(api, login(ago(time.Hour), "app_svc", "psqlodbc", "10.0.0.5")),
		},
		{
			name:   "an address outside its usual set",
			snap:   snap(svc("app_svc")),
			events: plus(api, login(ago(time.Hour), "app_svc", "ehr-api/2.3", "192.0.2.7")),
			want:   []got{{"ehr/app_svc", "unusual-addresses", med}},
		},
		{
			name:   "both",
			snap:   snap(svc("app_svc")),
			events: plus(api, login(ago(time.Hour), "app_svc", "psql", "192.0.2.7")),
			want: []got{{"ehr/app_svc", "interactive-programs", high},
				{"ehr/app_svc", "unusual-addresses", med}},
		},
		{
			// A week of history is not yet a baseline to judge against.
			name: "a new address before the baseline is complete",
			snap: snap(svc("app_svc")),
			events: plus(daily("app_svc", "ehr-api/2.3", "10.0.0.5", 5),
				login(ago(time.Hour), "app_svc", "ehr-api/2.3", "192.0.2.7")),
		},
	})
}

func TestInteractiveUseEvidence(t *testing.T) {
	evs := append(daily("app_svc", "ehr-api/2.3", "10.0.0.5", 30),
		login(ago(2*time.Hour), "app_svc", "psql", "10.0.0.5"),
		login(ago(time.Hour), "app_svc", "psql", "192.0.2.7"))
	s := snap(svc("app_svc"))
	f := findUsage(t, s, evs, "SA-INTERACTIVE-USE", "ehr/app_svc", "interactive-programs")
	for _, want := range []string{
		"2 sessions of app_svc came from interactive tools, which people use by hand:",
		`"psql": 2 sessions from 10.0.0.5, 192.0.2.7, first at 2026-12-04T08:00:00Z, ` +
			"last at 2026-12-04T09:00:00Z",
		`its other programs: "ehr-api/2.3"`,
		"application_name is set by the client",
	} {
		if !hasEvidence(f, want) {
			t.Errorf("evidence lacks %q:\n%s", want, strings.Join(f.Evidence, "\n"))
		}
	}
	g := findUsage(t, s, evs, "SA-INTERACTIVE-USE", "ehr/app_svc", "unusual-addresses")
	for _, want := range []string{
		"app_svc logged in from 1 address outside its usual set (10.0.0.5: the addresses " +
			"of its sessions from 2026-11-04T10:00:00Z to 2026-11-11T10:00:00Z",
		"192.0.2.7: 1 session of 32, first at 2026-12-04T09:00:00Z",
	} {
		if !hasEvidence(g, want) {
			t.Errorf("evidence lacks %q:\n%s", want, strings.Join(g.Evidence, "\n"))
		}
	}
	if f.Fix != nil || g.Fix != nil {
		t.Error("interactive use has no SQL fix; the remediation says what to do")
	}
}
