package rules

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wardsec/ward/internal/config"
	"github.com/wardsec/ward/internal/inventory"
)

// onlyHBA replaces the snapshot's pg_hba lines.
func onlyHBA(s *inventory.Snapshot, lines ...inventory.HBARule) *inventory.Snapshot {
	s.Postgres.HBA = lines
	return s
}

func validUntil(t time.Time) func(*inventory.Account) {
	return func(a *inventory.Account) { a.Attributes.ValidUntil = &t }
}

func TestNoExpiryUnmanaged(t *testing.T) {
	const id = "CRED-NO-EXPIRY-UNMANAGED"
	med, high := inventory.SeverityMedium, inventory.SeverityHigh
	want := []got{{"ehr/app_svc", "valid_until", med}}
	const net, sc = "10.0.0.0/8", "scram-sha-256"
	scram := hba(9, "hostssl", "all", "all", net, sc)
	reject := func(typ, db, user, addr string) inventory.HBARule {
		return hba(1, typ, db, user, addr, "reject")
	}
	unknownHBA := snap(svc("app_svc"))
	unknownHBA.Postgres.HBA = nil

	runRule(t, id, []ruleCase{
		{name: "password login, no expiry, no rotation", snap: snap(svc("app_svc")), want: want},
		{
			name: "VALID UNTIL set",
			snap: snap(with(svc("app_svc"), validUntil(time.Date(2027, 6, 1, 0, 0, 0, 0, time.UTC)))),
		},
		{
			name:   "rotation recorded in the owners file",
			snap:   snap(svc("app_svc")),
			owners: []config.Owner{{Account: "ehr/app_svc", Owner: "t", Rotation: "vault dynamic secret"}},
		},
		{
			name:   "owners entry without rotation",
			snap:   snap(svc("app_svc")),
			owners: []config.Owner{{Account: "ehr/app_svc", Owner: "t"}},
			want:   want,
		},
		{
			name:   "blank rotation is no record",
			snap:   snap(svc("app_svc")),
			owners: []config.Owner{{Account: "ehr/app_svc", Owner: "t", Rotation: "  "}},
			want:   want,
		},
		{
			name: "reaches PHI",
			snap: snap(with(svc("app_svc"), grants(phiGrant("ehr.clinical.patient")))),
			want: []got{{"ehr/app_svc", "valid_until", high}},
		},
		{name: "pg_hba not readable", snap: unknownHBA},
		{
			name: "no password method",
			snap: onlyHBA(snap(svc("app_svc")), hba(1, "local", "all", "all", "", "peer"),
				hba(2, "hostssl", "all", "all", "0.0.0.0/0", "cert"),
				hba(3, "host", "all", "all", net, "ldap")),
		},
		{
			name: "md5 counts",
			snap: onlyHBA(snap(svc("app_svc")), hba(1, "host", "all", "all", net, "md5")),
			want: want,
		},
		{
			name: "cleartext password counts",
			snap: onlyHBA(snap(svc("app_svc")), hba(1, "local", "all", "all", "", "password")),
			want: want,
		},
		{
			name: "a line for another user",
			snap: onlyHBA(snap(svc("app_svc")), hba(1, "hostssl", "all", "bob", net, sc)),
		},
		{
			name: "a line naming the account",
			snap: onlyHBA(snap(svc("app_svc")), hba(1, "hostssl", "all", "app_svc", net, sc)),
			want: want,
		},
		{
			name: "a +group line for a group of the account",
			snap: onlyHBA(snap(with(svc("app_svc"), memberOf("apps", "web", "apps"))),
				hba(1, "hostssl", "all", "+apps", net, sc)),
			want: want,
		},
		{
			name: "a +group line for another group",
			snap: onlyHBA(snap(with(svc("app_svc"), memberOf("web"))),
				hba(1, "hostssl", "all", "+apps", net, sc)),
		},
		{
			name: "a regular expression that matches",
			snap: onlyHBA(snap(svc("app_svc")), hba(1, "hostssl", "all", "/^app_", net, sc)),
			want: want,
		},
		{
			name: "a regular expression that does not match",
			snap: onlyHBA(snap(svc("app_svc")), hba(1, "hostssl", "all", "/^etl_", net, sc)),
		},
		{
			name: "a quoted keyword is a role of that name",
			snap: onlyHBA(snap(svc("app_svc")), hba(1, "hostssl", "all", `"all"`, net, sc)),
		},
		{
			name: "an @file list ward cannot read counts",
			snap: onlyHBA(snap(svc("app_svc")), hba(1, "hostssl", "all", "@apps.txt", net, sc)),
			want: want,
		},
		{
			name: "a replication line without REPLICATION",
			snap: onlyHBA(snap(svc("app_svc")), hba(1, "hostssl", "replication", "all", net, sc)),
		},
		{
			name: "a replication line for a replication client",
			snap: onlyHBA(snap(with(svc("app_svc"), replication)),
				reject("host", "all", "all", "0.0.0.0/0"),
				hba(2, "hostssl", "replication", "all", net, sc)),
			want: want,
		},
		{
			name: "an earlier reject takes every connection",
			snap: onlyHBA(snap(svc("app_svc")), reject("host", "all", "all", "0.0.0.0/0"), scram),
		},
		{
			name: "an earlier reject for a narrower network",
			snap: onlyHBA(snap(svc("app_svc")), reject("host", "all", "all", "10.1.0.0/16"), scram),
			want: want,
		},
		{
			name: "an earlier reject for another user",
			snap: onlyHBA(snap(svc("app_svc")), reject("host", "all", "bob", "0.0.0.0/0"), scram),
			want: want,
		},
		{
			name: "an earlier reject for the account's group",
			snap: onlyHBA(snap(with(svc("app_svc"), memberOf("blocked"))),
				reject("host", "all", "+blocked", "0.0.0.0/0"), scram),
		},
		{
			name: "an earlier reject for one database",
			snap: onlyHBA(snap(svc("app_svc")), reject("host", "ehr", "all", "0.0.0.0/0"), scram),
			want: want,
		},
		{
			// hostssl matches only TLS connections; the host line after it
			// still takes the others.
			name: "an earlier hostssl reject does not cover host",
			snap: onlyHBA(snap(svc("app_svc")), reject("hostssl", "all", "all", "0.0.0.0/0"),
				hba(2, "host", "all", "all", net, sc)),
			want: want,
		},
		{
			name: "an earlier cert line takes every connection",
			snap: onlyHBA(snap(svc("app_svc")), hba(1, "hostssl", "all", "all", net, "cert"), scram),
		},
		{
			name: "an earlier local line does not cover TCP",
			snap: onlyHBA(snap(svc("app_svc")), hba(1, "local", "all", "all", "", "reject"), scram),
			want: want,
		},
		{name: "a person is not covered", snap: snap(with(svc("alice"), kind(inventory.KindHuman)))},
		{name: "a group role is not covered", snap: snap(with(svc("readers"), nologin))},
		{
			name: "unknown kind is covered",
			snap: snap(with(svc("x"), kind(inventory.KindUnknown))),
			want: []got{{"ehr/x", "valid_until", med}},
		},
		{
			name: "bootstrap superuser of unknown kind",
			snap: snap(with(svc("postgres"), superuser, kind(inventory.KindUnknown),
				func(a *inventory.Account) { a.Attributes.Bootstrap = true })),
		},
	})
}

func TestNoExpiryEvidenceAndFix(t *testing.T) {
	s := onlyHBA(snap(svc("app_svc")),
		hba(1, "host", "all", "all", "0.0.0.0/0", "reject"),
		hba(2, "hostssl", "all", "all", "10.0.0.0/8", "scram-sha-256"),
		hba(3, "hostssl", "all", "@apps", "192.0.2.0/24", "md5"))
	s.Postgres.HBA[0].Address = "10.9.0.0/16" // narrower: does not shadow
	s.StartedAt = time.Date(2026, 12, 4, 10, 30, 0, 0, time.UTC)
	owners := []config.Owner{{Account: "ehr/app_svc", Owner: "team", Line: 7}}
	f := findOne(t, Evaluate(Input{Snapshot: s, Owners: owners}),
		"CRED-NO-EXPIRY-UNMANAGED", "ehr/app_svc", "valid_until")
	for _, want := range []string{
		"VALID UNTIL is not set",
		"the owners file lists the account (line 7) without a rotation record",
		"pg_hba.conf line 2: hostssl all all 10.0.0.0/8 scram-sha-256: accepts app_svc's password",
		"pg_hba.conf line 3 names users ward cannot resolve (@apps)",
	} {
		if !hasEvidence(f, want) {
			t.Errorf("evidence lacks %q:\n%s", want, strings.Join(f.Evidence, "\n"))
		}
	}
	if hasEvidence(f, "line 1") {
		t.Errorf("a reject line is not a way in: %v", f.Evidence)
	}

	wantApply := "BEGIN;\nALTER ROLE \"app_svc\" VALID UNTIL '2027-12-04';\nCOMMIT;\n"
	wantRollback := "BEGIN;\nALTER ROLE \"app_svc\" VALID UNTIL 'infinity';\nCOMMIT;\n"
	if f.Fix == nil || f.Fix.Apply != wantApply || f.Fix.Rollback != wantRollback {
		t.Fatalf("fix = %+v\nwant apply %q\nrollback %q", f.Fix, wantApply, wantRollback)
	}
	if !strings.Contains(f.Fix.Notes, "placeholder 365 days after the scan, not a HIPAA figure") {
		t.Errorf("notes must say the date is a placeholder, not HIPAA's: %s", f.Fix.Notes)
	}

	t.Run("no scan time, no date", func(t *testing.T) {
		s := snap(svc("app_svc"))
		f := findOne(t, Evaluate(Input{Snapshot: s}), "CRED-NO-EXPIRY-UNMANAGED",
			"ehr/app_svc", "valid_until")
		if f.Fix != nil || !hasEvidence(f, "no fix generated") {
			t.Errorf("fix = %+v, evidence %v", f.Fix, f.Evidence)
		}
	})

	t.Run("not in the owners file", func(t *testing.T) {
		f := findOne(t, Evaluate(Input{Snapshot: s}), "CRED-NO-EXPIRY-UNMANAGED",
			"ehr/app_svc", "valid_until")
		if !hasEvidence(f, "not in the owners file, so no rotation is recorded") {
			t.Errorf("evidence = %v", f.Evidence)
		}
	})
}

func TestUncheckedRuleLists(t *testing.T) {
	if !slices.Contains(HBARules(), "CRED-NO-EXPIRY-UNMANAGED") {
		t.Errorf("HBARules() = %v: CRED-NO-EXPIRY-UNMANAGED needs pg_hba lines", HBARules())
	}
	if !slices.Contains(SettingsRules(), "CRED-NO-EXPIRY-UNMANAGED") {
		t.Errorf("SettingsRules() = %v lacks the pg_hba rules", SettingsRules())
	}
	if got := SessionRules(); !slices.Equal(got, []string{"PG-EXPIRED-ROLE-ACTIVE"}) {
		t.Errorf("SessionRules() = %v", got)
	}
	ids := map[string]bool{}
	for _, r := range Catalog() {
		ids[r.ID] = true
	}
	for _, id := range slices.Concat(SettingsRules(), SessionRules()) {
		if !ids[id] {
			t.Errorf("%s is not a rule of the catalogue", id)
		}
	}
}
