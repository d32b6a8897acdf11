package rules

import (
	"strings"
	"testing"
	"time"

	"github.com/wardsec/ward/internal/inventory"
)

// viaRole is a grant that reaches an account through the roles in path.
func viaRole(priv, typ, res string, phi bool, path ...string) inventory.Grant {
	return inventory.Grant{Privilege: priv, Resource: res, ResourceType: typ, PHI: phi,
		Via: path[len(path)-1], Path: path}
}

func grantable(g inventory.Grant) inventory.Grant {
	g.Grantable = true
	return g
}

// writer is the corpus's app_svc: a member of clinical_write, which is a
// member of clinical_read.
func writer(name string) inventory.Account {
	return with(svc(name), func(a *inventory.Account) {
		a.Memberships = []inventory.Membership{
			{Role: "clinical_write", Path: []string{"clinical_write"}, Inherit: true},
			{Role: "clinical_read", Path: []string{"clinical_write", "clinical_read"},
				Inherit: true},
		}
		a.Grants = []inventory.Grant{
			viaRole("USAGE", "schema", "ehr.clinical", false, "clinical_write", "clinical_read"),
			viaRole("SELECT", "table", "ehr.clinical.encounter", true, "clinical_write",
				"clinical_read"),
			viaRole("INSERT", "table", "ehr.clinical.encounter", true, "clinical_write"),
			viaRole("UPDATE", "table", "ehr.clinical.encounter", true, "clinical_write"),
			viaRole("USAGE", "sequence", "ehr.clinical.encounter_id_seq", false, "clinical_write"),
		}
	})
}

// clinicalSnap is a snapshot of the given accounts with the clinical
// encounter table (PHI, row-level security).
func clinicalSnap(accounts ...inventory.Account) *inventory.Snapshot {
	s := snap(accounts...)
	s.Resources = []inventory.Resource{
		{Name: "ehr.clinical.encounter", Type: "table", PHI: true, RLS: true,
			Policies: []string{"enc_write"}},
		{Name: "ehr.app.queue", Type: "table"},
	}
	return s
}

// worked is a month of logs in which user logged in and ran the rows.
func worked(user string, rows ...[3]string) []inventory.Event {
	evs := quietLogs(40)
	evs = append(evs, login(ago(2*day), user, "api", "10.0.0.5"))
	for i, r := range rows {
		evs = append(evs, auditRow(ago(2*day).Add(time.Minute), user, "s1", int64(i+1), r[0], r[1],
			"TABLE", r[2]))
	}
	return evs
}

var (
	insertEnc = [3]string{"WRITE", "INSERT", "clinical.encounter"}
	updateEnc = [3]string{"WRITE", "UPDATE", "clinical.encounter"}
	selectEnc = [3]string{"READ", "SELECT", "clinical.encounter"}
	selectQ   = [3]string{"READ", "SELECT", "app.queue"}
)

func TestGrantUnused(t *testing.T) {
	const id = "DB-GRANT-UNUSED"
	low, med, high := inventory.SeverityLow, inventory.SeverityMedium, inventory.SeverityHigh
	runUsageRule(t, id, []usageCase{
		{
			name:   "every privilege used",
			snap:   clinicalSnap(writer("app_svc")),
			events: worked("app_svc", insertEnc, updateEnc, selectEnc),
		},
		{
			// Write on PHI: medium, raised for PHI.
			name:   "UPDATE on PHI never used",
			snap:   clinicalSnap(writer("app_svc")),
			events: worked("app_svc", insertEnc, selectEnc),
			want:   []got{{"ehr/app_svc", "grants", high}},
		},
		{
			// Only a read went unused: low, raised for PHI.
			name: "SELECT on PHI never used",
			snap: clinicalSnap(with(svc("app_svc"), grants(
				viaRole("SELECT", "table", "ehr.clinical.encounter", true, "clinical_read"),
				viaRole("INSERT", "table", "ehr.clinical.encounter", true, "clinical_read")))),
			events: worked("app_svc", insertEnc),
			want:   []got{{"ehr/app_svc", "grants", med}},
		},
		{
			name: "SELECT on a table without PHI never used",
			snap: clinicalSnap(with(svc("app_svc"), grants(direct("SELECT", "table", "ehr.app.queue"),
				direct("INSERT", "table", "ehr.app.queue")))),
			events: worked("app_svc", [3]string{"WRITE", "INSERT", "app.queue"}),
			want:   []got{{"ehr/app_svc", "grants", low}},
		},
		{
			// An UPDATE reads the columns of its WHERE clause.
			name:   "SELECT needed by UPDATE",
			snap:   clinicalSnap(writer("app_svc")),
			events: worked("app_svc", insertEnc, updateEnc),
		},
		{
			name:   "no session in the logs",
			snap:   clinicalSnap(writer("app_svc")),
			events: quietLogs(40),
		},
		{
			name: "reads are not recorded",
			snap: func() *inventory.Snapshot {
				s := clinicalSnap(writer("app_svc"))
				s.Postgres.PgauditLog = "write,ddl"
				return s
			}(),
			events: worked("app_svc", insertEnc, updateEnc),
		},
		{
			name: "pgaudit switched off for the account",
			snap: func() *inventory.Snapshot {
				s := clinicalSnap(writer("app_svc"))
				setting("app_svc", "", "pgaudit.log", "none")(s.Postgres)
				return s
			}(),
			events: worked("app_svc", selectEnc),
		},
		{
			name: "pgaudit switched off in another database only",
			snap: func() *inventory.Snapshot {
				s := clinicalSnap(writer("app_svc"))
				setting("app_svc", "research", "pgaudit.log", "none")(s.Postgres)
				return s
			}(),
			events: worked("app_svc", insertEnc, selectEnc),
			want:   []got{{"ehr/app_svc", "grants", high}},
		},
		{
			name:   "a person's login",
			snap:   clinicalSnap(with(writer("alice"), kind(inventory.KindHuman))),
			events: worked("alice", selectEnc),
		},
		{
			name: "owned and PUBLIC privileges are not the account's grants",
			snap: clinicalSnap(with(svc("app_svc"), grants(
				inventory.Grant{Privilege: "DELETE", Resource: "ehr.app.queue", ResourceType: "table",
					Via: inventory.ViaOwner},
				inventory.Grant{Privilege: "SELECT", Resource: "ehr.app.queue", ResourceType: "table",
					Via: inventory.ViaPublic}))),
			events: worked("app_svc", selectEnc),
		},
		{
			name: "a column grant follows its table",
			snap: clinicalSnap(with(svc("app_svc"), grants(
				direct("SELECT", "column", "ehr.app.queue.payload")))),
			events: worked("app_svc", selectQ),
		},
		{
			name: "a column grant on a table never read",
			snap: clinicalSnap(with(svc("app_svc"), grants(
				direct("SELECT", "column", "ehr.app.queue.payload")))),
			events: worked("app_svc", selectEnc),
			want:   []got{{"ehr/app_svc", "grants", low}},
		},
		{
			name:   "CREATE on a schema never used",
			snap:   clinicalSnap(with(svc("app_svc"), grants(direct("CREATE", "schema", "ehr.app")))),
			events: worked("app_svc", selectQ),
			want:   []got{{"ehr/app_svc", "grants", med}},
		},
		{
			name:   "CREATE on a schema used by a CREATE TABLE",
			snap:   clinicalSnap(with(svc("app_svc"), grants(direct("CREATE", "schema", "ehr.app")))),
			events: worked("app_svc", [3]string{"DDL", "CREATE TABLE", "app.tmp"}),
		},
		{
			name:   "logs with no audit row",
			snap:   clinicalSnap(writer("app_svc")),
			events: append(quietLogs(40), login(ago(2*day), "app_svc", "api", "10.0.0.5")),
		},
	})
}

// fixOf returns the DB-GRANT-UNUSED finding of app_svc in s after evs.
func fixOf(t *testing.T, s *inventory.Snapshot, evs []inventory.Event) inventory.Finding {
	t.Helper()
	return findUsage(t, s, evs, "DB-GRANT-UNUSED", "ehr/app_svc", "grants")
}

func TestGrantUnusedFix(t *testing.T) {
	// A short window: provisional.
	evs := worked("app_svc", insertEnc, selectEnc)
	evs = without(evs, ago(40*day), ago(3*day))
	f := fixOf(t, clinicalSnap(writer("app_svc")), evs)
	for _, want := range []string{
		"PROVISIONAL: the logs cover 2 days, less than policy.min_observation (30 days)",
		"1 of the 3 privileges of app_svc whose use the logs record were not used from " +
			"2026-12-01T16:00:00Z to 2026-12-04T04:00:00Z (2 days of logs):",
		"UPDATE on table ehr.clinical.encounter (PHI), through clinical_write",
		"used: INSERT on table ehr.clinical.encounter (PHI): used once, last at " +
			"2026-12-02T10:01:00Z; SELECT on table ehr.clinical.encounter (PHI): used once",
		"not judged: 2 privileges whose use pgaudit's rows do not show",
	} {
		if !hasEvidence(f, want) {
			t.Errorf("evidence lacks %q:\n%s", want, strings.Join(f.Evidence, "\n"))
		}
	}
	if f.Fix == nil {
		t.Fatalf("no fix: %v", f.Evidence)
	}
	apply := f.Fix.Apply
	for _, want := range []string{
		"BEGIN;\nDO $ward$",
		"CREATE ROLE \"app_svc_min\" NOLOGIN;",
		"GRANT USAGE ON SCHEMA \"clinical\" TO \"app_svc_min\";\n" +
			"GRANT INSERT ON TABLE \"clinical\".\"encounter\" TO \"app_svc_min\";\n" +
			"GRANT SELECT ON TABLE \"clinical\".\"encounter\" TO \"app_svc_min\";\n" +
			"GRANT USAGE ON SEQUENCE \"clinical\".\"encounter_id_seq\" TO \"app_svc_min\";\n",
		"WHERE pol.roles && ARRAY['clinical_read', 'clinical_write']::name[]",
		"AND (pol.schemaname, pol.tablename) IN (('clinical', 'encounter'))",
		"GRANT \"app_svc_min\" TO \"app_svc\";\nREVOKE \"clinical_write\" FROM \"app_svc\";\nCOMMIT;\n",
	} {
		if !strings.Contains(apply, want) {
			t.Errorf("apply lacks %q:\n%s", want, apply)
		}
	}
	if strings.Contains(apply, "FROM \"clinical_write\"") || strings.Contains(apply, "UPDATE ON") {
		t.Errorf("the fix changes the group role or grants what was unused:\n%s", apply)
	}
	rollback := f.Fix.Rollback
	for _, want := range []string{
		"BEGIN;\nGRANT \"clinical_write\" TO \"app_svc\";\nDO $ward$",
		"pg_catalog.array_remove(p.roles, 'app_svc_min'::name)",
		"REVOKE \"app_svc_min\" FROM \"app_svc\";\n" +
			"REVOKE USAGE ON SCHEMA \"clinical\" FROM \"app_svc_min\";",
	} {
		if !strings.Contains(rollback, want) {
			t.Errorf("rollback lacks %q:\n%s", want, rollback)
		}
	}
	for _, want := range []string{
		"Rests on 2 days of logs, from 2026-12-01T16:00:00Z to 2026-12-04T04:00:00Z.",
		"PROVISIONAL",
		"The group role clinical_write is not changed, since other members may use it: " +
			"app_svc's membership in it is revoked instead",
		"Row-level security policies on ehr.clinical.encounter that name clinical_read, " +
			"clinical_write are made to name app_svc_min too",
		"Run connected to database ehr",
	} {
		if !strings.Contains(f.Fix.Notes, want) {
			t.Errorf("notes lack %q:\n%s", want, f.Fix.Notes)
		}
	}

	t.Run("long enough", func(t *testing.T) {
		f := fixOf(t, clinicalSnap(writer("app_svc")), worked("app_svc", insertEnc, selectEnc))
		if hasEvidence(f, "PROVISIONAL") || strings.Contains(f.Fix.Notes, "PROVISIONAL") {
			t.Errorf("40 days of logs marked provisional: %v", f.Evidence)
		}
	})
}

func TestGrantUnusedDirectGrants(t *testing.T) {
	a := with(svc("app_svc"), grants(
		direct("SELECT", "table", "ehr.app.queue"),
		grantable(direct("DELETE", "table", "ehr.app.queue")),
		direct("USAGE", "schema", "ehr.app")))
	f := fixOf(t, clinicalSnap(a), worked("app_svc", selectQ))
	want := "BEGIN;\n" + createGroupSQL("app_svc_min") + "\n" +
		"GRANT SELECT ON TABLE \"app\".\"queue\" TO \"app_svc_min\";\n" +
		"GRANT \"app_svc_min\" TO \"app_svc\";\n" +
		"REVOKE SELECT ON TABLE \"app\".\"queue\" FROM \"app_svc\";\n" +
		"REVOKE DELETE ON TABLE \"app\".\"queue\" FROM \"app_svc\";\n" +
		"COMMIT;\n"
	if f.Fix == nil || f.Fix.Apply != want {
		t.Fatalf("apply =\n%v\nwant\n%s", f.Fix, want)
	}
	// The schema's USAGE is the account's own grant, not judged: it stays.
	wantBack := "BEGIN;\n" +
		"GRANT SELECT ON TABLE \"app\".\"queue\" TO \"app_svc\";\n" +
		"GRANT DELETE ON TABLE \"app\".\"queue\" TO \"app_svc\" WITH GRANT OPTION;\n" +
		"REVOKE \"app_svc_min\" FROM \"app_svc\";\n" +
		"REVOKE SELECT ON TABLE \"app\".\"queue\" FROM \"app_svc_min\";\n" +
		"COMMIT;\n"
	if f.Fix.Rollback != wantBack {
		t.Errorf("rollback =\n%s\nwant\n%s", f.Fix.Rollback, wantBack)
	}
	if !strings.Contains(f.Fix.Notes, "dependent privileges exist") {
		t.Errorf("notes do not warn about the grant option: %s", f.Fix.Notes)
	}

	t.Run("only unused grants", func(t *testing.T) {
		a := with(svc("app_svc"), grants(direct("DELETE", "table", "ehr.app.queue")))
		f := fixOf(t, clinicalSnap(a), worked("app_svc", selectEnc))
		want := "BEGIN;\nREVOKE DELETE ON TABLE \"app\".\"queue\" FROM \"app_svc\";\nCOMMIT;\n"
		if f.Fix == nil || f.Fix.Apply != want {
			t.Errorf("apply = %v, want %q", f.Fix, want)
		}
	})
}

func TestGrantUnusedKeptMemberships(t *testing.T) {
	tests := []struct {
		name   string
		change func(*inventory.Account)
		why    string
	}{
		{"admin option", func(a *inventory.Account) { a.Memberships[0].Admin = true },
			"the membership in clinical_write is kept: the account holds it WITH ADMIN OPTION"},
		{"set role only", func(a *inventory.Account) {
			a.Memberships[1].Inherit = false
			for i := range a.Grants {
				if a.Grants[i].Via == "clinical_read" {
					a.Grants[i].SetRoleOnly = true
				}
			}
		}, "clinical_read is reached only with SET ROLE"},
		{"a predefined role beyond", func(a *inventory.Account) {
			a.Memberships = append(a.Memberships, inventory.Membership{Role: "pg_read_all_stats",
				Path: []string{"clinical_write", "pg_read_all_stats"}, Inherit: true})
		}, "it also gives pg_read_all_stats, which a minimal role cannot stand in for"},
		{"a function", func(a *inventory.Account) {
			a.Grants = append(a.Grants, viaRole("EXECUTE", "function",
				"ehr.clinical.lookup(text)", false, "clinical_write"))
		}, "it also gives EXECUTE on function ehr.clinical.lookup(text), which ward cannot re-grant"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := fixOf(t, clinicalSnap(with(writer("app_svc"), tt.change)),
				worked("app_svc", insertEnc, selectEnc))
			if !hasEvidence(f, tt.why) {
				t.Errorf("evidence lacks %q:\n%s", tt.why, strings.Join(f.Evidence, "\n"))
			}
			if f.Fix != nil || !hasEvidence(f, "no fix generated: every membership") {
				t.Errorf("fix %+v, evidence %v", f.Fix, f.Evidence)
			}
		})
	}

	t.Run("noinherit", func(t *testing.T) {
		f := fixOf(t, clinicalSnap(with(writer("app_svc"), func(a *inventory.Account) {
			a.Attributes.Inherit = false
		})), worked("app_svc", insertEnc, selectEnc))
		if f.Fix != nil || !hasEvidence(f, "no fix generated: the account is NOINHERIT") {
			t.Errorf("fix %+v, evidence %v", f.Fix, f.Evidence)
		}
	})

	t.Run("two databases", func(t *testing.T) {
		a := with(svc("app_svc"), grants(direct("DELETE", "table", "ehr.app.queue"),
			direct("DELETE", "table", "research.study.cohort")))
		f := fixOf(t, clinicalSnap(a), worked("app_svc", selectEnc))
		if f.Fix != nil || !hasEvidence(f, "no fix generated: the privileges span databases "+
			"ehr, research") {
			t.Errorf("fix %+v, evidence %v", f.Fix, f.Evidence)
		}
	})
}
