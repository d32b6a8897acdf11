package rules

import (
	"testing"

	"github.com/wardsec/ward/internal/config"
	"github.com/wardsec/ward/internal/inventory"
)

func unowned(a *inventory.Account) { a.Owner = "" }

func TestNoOwner(t *testing.T) {
	const id = "ACCT-NO-OWNER"
	med, high := inventory.SeverityMedium, inventory.SeverityHigh
	runRule(t, id, []ruleCase{
		{name: "owned", snap: snap(svc("app_svc"))},
		{
			name: "no owner",
			snap: snap(with(svc("app_svc"), unowned)),
			want: []got{{"ehr/app_svc", "owner", med}},
		},
		{
			name: "no owner, reaches PHI",
			snap: snap(with(svc("app_svc"), unowned, grants(phiGrant("ehr.clinical.patient")))),
			want: []got{{"ehr/app_svc", "owner", high}},
		},
		{
			name: "whitespace is no owner",
			snap: snap(with(svc("app_svc"), func(a *inventory.Account) { a.Owner = "  " })),
			want: []got{{"ehr/app_svc", "owner", med}},
		},
		{
			name:   "owner in the owners file by account ID",
			snap:   snap(with(svc("app_svc"), unowned)),
			owners: []config.Owner{{Account: "ehr/app_svc", Owner: "team-a"}},
		},
		{
			// Accounts are named by ID in the owners file, as classify reads it.
			name:   "owners entry naming only the native name",
			snap:   snap(with(svc("app_svc"), unowned)),
			owners: []config.Owner{{Account: "app_svc", Owner: "team-a"}},
			want:   []got{{"ehr/app_svc", "owner", med}},
		},
		{
			name:   "owners entry without an owner",
			snap:   snap(with(svc("app_svc"), unowned)),
			owners: []config.Owner{{Account: "ehr/app_svc", Needs: []string{"replication"}, Line: 12}},
			want:   []got{{"ehr/app_svc", "owner", med}},
		},
		{
			name:   "owners entry for an account of another source",
			snap:   snap(with(svc("app_svc"), unowned)),
			owners: []config.Owner{{Account: "billing/app_svc", Owner: "team-b"}},
			want:   []got{{"ehr/app_svc", "owner", med}},
		},
		{
			// Only service accounts need an owner entry; an unclassified
			// login (the bootstrap superuser, say) is not flagged.
			name: "unknown kind is not covered",
			snap: snap(with(svc("x"), unowned, kind(inventory.KindUnknown))),
		},
		{name: "human", snap: snap(with(svc("alice"), unowned, kind(inventory.KindHuman)))},
		{name: "group role", snap: snap(with(svc("readers"), unowned, nologin))},
	})
}

func TestNoOwnerEvidence(t *testing.T) {
	s := snap(with(svc("app_svc"), unowned))
	owners := []config.Owner{{Account: "ehr/app_svc", Line: 12}}
	f := findOne(t, Evaluate(Input{Snapshot: s, Owners: owners}), "ACCT-NO-OWNER", "ehr/app_svc", "owner")
	if !hasEvidence(f, "owners file lists the account (line 12) without an owner") {
		t.Errorf("evidence = %v", f.Evidence)
	}
	if !hasEvidence(f, "kind = service (name ends in _svc)") {
		t.Errorf("evidence does not say why ward counts it as a service: %v", f.Evidence)
	}
	if f.Fix != nil {
		t.Errorf("an owner cannot be made up; want no fix, got %+v", f.Fix)
	}
}
