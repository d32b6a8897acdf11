package rules

import (
	"strings"
	"testing"
	"time"

	"github.com/wardsec/ward/internal/inventory"
)

func TestSharedCredential(t *testing.T) {
	const id = "ACCT-SHARED-CREDENTIAL"
	high := inventory.SeverityHigh
	at := ago(time.Hour)
	runUsageRule(t, id, []usageCase{
		{
			name: "one program from two hosts (replicas)",
			snap: snap(svc("app_svc")),
			events: []inventory.Event{login(at, "app_svc", "ehr-api/2.3", "10.0.0.5"),
				login(at, "app_svc", "ehr-api/2.4", "10.0.0.6")},
		},
		{
			name: "two programs on one host",
			snap: snap(svc("app_svc")),
			events: []inventory.Event{login(at, "app_svc", "ehr-api/2.3", "10.0.0.5"),
				login(at, "app_svc", "nightly-report", "10.0.0.5")},
		},
		{
			name: "two programs from hosts they do not share",
			snap: snap(svc("app_svc")),
			events: []inventory.Event{login(at, "app_svc", "ehr-api/2.3", "10.0.0.5"),
				login(at, "app_svc", "billing-sync", "10.0.9.9")},
			want: []got{{"ehr/app_svc", "clients", high}},
		},
		{
			// The report ran on the API host once: the two are related.
			name: "linked through a shared host",
			snap: snap(svc("app_svc")),
			events: []inventory.Event{login(at, "app_svc", "ehr-api/2.3", "10.0.0.5"),
				login(at, "app_svc", "report", "10.0.9.9"),
				login(at, "app_svc", "report", "10.0.0.5")},
		},
		{
			// Interactive use is SA-INTERACTIVE-USE's.
			name: "a program and a person's tool",
			snap: snap(svc("app_svc")),
			events: []inventory.Event{login(at, "app_svc", "ehr-api/2.3", "10.0.0.5"),
				login(at, "app_svc", "psql", "192.0.2.7")},
		},
		{
			name: "a person's login",
			snap: snap(with(svc("bob"), kind(inventory.KindHuman))),
			events: []inventory.Event{login(at, "bob", "ehr-api/2.3", "10.0.0.5"),
				login(at, "bob", "billing-sync", "10.0.9.9")},
		},
		{
			name: "no application_name is a program of its own",
			snap: snap(svc("app_svc")),
			events: []inventory.Event{login(at, "app_svc", "ehr-api/2.3", "10.0.0.5"),
				login(at, "app_svc", "", "10.0.9.9")},
			want: []got{{"ehr/app_svc", "clients", high}},
		},
	})
}

func TestSharedCredentialEvidence(t *testing.T) {
	at := ago(time.Hour)
	evs := []inventory.Event{login(at, "app_svc", "ehr-api/2.3", "10.0.0.5"),
		login(at, "app_svc", "ehr-api/2.4", "10.0.0.6"),
		login(at, "app_svc", "report", "10.0.0.6"),
		login(at, "app_svc", "billing-sync", "10.0.9.9"),
		login(at, "app_svc", "", "[local]")}
	f := findUsage(t, snap(svc("app_svc")), evs, "ACCT-SHARED-CREDENTIAL", "ehr/app_svc", "clients")
	for _, want := range []string{
		"app_svc was used by 3 unrelated clients: different programs from addresses they " +
			"do not share",
		`"no application_name": 1 session from [local]`,
		`"billing-sync": 1 session from 10.0.9.9`,
		`"ehr-api", "report": 3 sessions from 10.0.0.5, 10.0.0.6`,
	} {
		if !hasEvidence(f, want) {
			t.Errorf("evidence lacks %q:\n%s", want, strings.Join(f.Evidence, "\n"))
		}
	}
}
