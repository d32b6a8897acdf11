package rules

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/wardsec/ward/internal/inventory"
)

func direct(priv, typ, res string) inventory.Grant {
	return inventory.Grant{Privilege: priv, Resource: res, ResourceType: typ, Via: inventory.ViaDirect}
}

func via(g inventory.Grant, v string) inventory.Grant {
	g.Via = v
	return g
}

func TestDirectGrants(t *testing.T) {
	const id = "PG-DIRECT-GRANTS"
	low, med := inventory.SeverityLow, inventory.SeverityMedium
	phiDirect := direct("SELECT", "table", "ehr.clinical.patient")
	phiDirect.PHI = true
	many := make([]inventory.Grant, 15)
	for i := range many {
		many[i] = direct("SELECT", "table", fmt.Sprintf("ehr.app.t%02d", i))
	}

	runRule(t, id, []ruleCase{
		{name: "no grants", snap: snap(svc("app_svc"))},
		{
			name: "direct table grant",
			snap: snap(with(svc("app_svc"), grants(direct("SELECT", "table", "ehr.app.orders")))),
			want: []got{{"ehr/app_svc", "ehr", low}},
		},
		{
			name: "direct grant on PHI",
			snap: snap(with(svc("app_svc"), grants(phiDirect))),
			want: []got{{"ehr/app_svc", "ehr", med}},
		},
		{
			name: "every kind of object",
			snap: snap(with(svc("app_svc"), grants(
				direct("CONNECT", "database", "ehr"),
				direct("USAGE", "schema", "ehr.app"),
				direct("SELECT", "column", "ehr.app.orders.total"),
				direct("USAGE", "sequence", "ehr.app.orders_id_seq"),
				direct("EXECUTE", "function", "ehr.app.f(integer)"),
			))),
			want: []got{{"ehr/app_svc", "ehr", low}},
		},
		{
			name: "one finding per database",
			snap: snap(with(svc("app_svc"), grants(direct("SELECT", "table", "ehr.app.a"),
				direct("SELECT", "table", "billing.app.b")))),
			want: []got{{"ehr/app_svc", "billing", low}, {"ehr/app_svc", "ehr", low}},
		},
		{
			name: "through a group, owner or PUBLIC",
			snap: snap(with(svc("app_svc"), grants(
				phiGrant("ehr.clinical.patient"),
				via(direct("INSERT", "table", "ehr.app.a"), inventory.ViaOwner),
				via(direct("CONNECT", "database", "ehr"), inventory.ViaPublic),
				via(direct("TEMPORARY", "database", "ehr"), inventory.ViaPublic),
			))),
		},
		{
			name: "human login",
			snap: snap(with(svc("alice"), kind(inventory.KindHuman),
				grants(direct("SELECT", "table", "ehr.app.a")))),
			want: []got{{"ehr/alice", "ehr", low}},
		},
		{
			name: "group role",
			snap: snap(with(svc("readers"), nologin, grants(direct("SELECT", "table", "ehr.app.a")))),
		},
		{
			name: "many grants",
			snap: snap(with(svc("app_svc"), grants(many...))),
			want: []got{{"ehr/app_svc", "ehr", low}},
		},
	})
}

func TestDirectGrantsEvidenceCap(t *testing.T) {
	many := make([]inventory.Grant, 15)
	for i := range many {
		many[i] = direct("SELECT", "table", fmt.Sprintf("ehr.app.t%02d", i))
	}
	f := findOne(t, Evaluate(Input{Snapshot: snap(with(svc("app_svc"), grants(many...)))}),
		"PG-DIRECT-GRANTS", "ehr/app_svc", "ehr")
	const head = "15 privileges granted straight to app_svc in database ehr, " +
		"not through a group role"
	if f.Evidence[0] != head {
		t.Errorf("first evidence = %q", f.Evidence[0])
	}
	// Header, 10 grants, "and 5 more".
	if len(f.Evidence) != 12 || f.Evidence[11] != "and 5 more" {
		t.Errorf("evidence = %q", f.Evidence)
	}
	if f.Evidence[1] != "SELECT on table ehr.app.t00" || f.Evidence[10] != "SELECT on table ehr.app.t09" {
		t.Errorf("grants are not listed in order: %q", f.Evidence[1:11])
	}
}

func TestDirectGrantsFix(t *testing.T) {
	name := `Weird "App" svc`
	g := direct("SELECT", "column", `ehr.My Schema.pa"tient.ssn`)
	g.Grantable = true
	s := snap(with(svc(name), grants(
		g,
		direct("connect", "database", "ehr"),
		direct("EXECUTE", "function", "ehr.app.f(integer)"),
	)))
	f := findOne(t, Evaluate(Input{Snapshot: s}), "PG-DIRECT-GRANTS", "ehr/"+name, "ehr")
	if f.Fix == nil {
		t.Fatalf("no fix; evidence %v", f.Evidence)
	}

	want := `BEGIN;
DO $ward$
BEGIN
  IF EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'Weird "App" svc_access'
             AND (rolcanlogin OR rolsuper OR rolcreaterole OR rolbypassrls OR rolreplication)) THEN
    RAISE EXCEPTION 'role % exists and can log in or has elevated attributes', 'Weird "App" svc_access';
  END IF;
  IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'Weird "App" svc_access') THEN
    CREATE ROLE "Weird ""App"" svc_access" NOLOGIN;
  END IF;
END
$ward$;
GRANT CONNECT ON DATABASE "ehr" TO "Weird ""App"" svc_access";
GRANT SELECT ("ssn") ON TABLE "My Schema"."pa""tient" TO "Weird ""App"" svc_access" WITH GRANT OPTION;
GRANT "Weird ""App"" svc_access" TO "Weird ""App"" svc";
REVOKE CONNECT ON DATABASE "ehr" FROM "Weird ""App"" svc";
REVOKE SELECT ("ssn") ON TABLE "My Schema"."pa""tient" FROM "Weird ""App"" svc";
COMMIT;
`
	if f.Fix.Apply != want {
		t.Errorf("apply =\n%s\nwant\n%s", f.Fix.Apply, want)
	}
	wantRollback := `BEGIN;
GRANT CONNECT ON DATABASE "ehr" TO "Weird ""App"" svc";
GRANT SELECT ("ssn") ON TABLE "My Schema"."pa""tient" TO "Weird ""App"" svc" WITH GRANT OPTION;
REVOKE "Weird ""App"" svc_access" FROM "Weird ""App"" svc";
COMMIT;
`
	if f.Fix.Rollback != wantRollback {
		t.Errorf("rollback =\n%s\nwant\n%s", f.Fix.Rollback, wantRollback)
	}
	if !strings.Contains(f.Fix.Notes, "EXECUTE on function ehr.app.f(integer)") {
		t.Errorf("notes do not list the grant left for a person: %q", f.Fix.Notes)
	}
	if !strings.Contains(f.Fix.Notes, "connected to database ehr") {
		t.Errorf("notes do not say where to run it: %q", f.Fix.Notes)
	}
}

func TestDirectGrantsFixNoInherit(t *testing.T) {
	noinherit := func(a *inventory.Account) { a.Attributes.Inherit = false }
	tests := []struct {
		name    string
		version int
		wantFix bool
	}{
		{"PostgreSQL 15", 150018, false},
		{"version unknown", 0, false},
		{"PostgreSQL 16", 160004, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := snap(with(svc("app_svc"), noinherit, grants(direct("SELECT", "table", "ehr.app.a"))))
			s.Postgres.ServerVersionNum = tc.version
			f := findOne(t, Evaluate(Input{Snapshot: s}), "PG-DIRECT-GRANTS", "ehr/app_svc", "ehr")
			if !tc.wantFix {
				if f.Fix != nil || !hasEvidence(f, "NOINHERIT") {
					t.Errorf("want no fix and a NOINHERIT note; fix %+v, evidence %v", f.Fix, f.Evidence)
				}
				return
			}
			if f.Fix == nil || !strings.Contains(f.Fix.Apply,
				`GRANT "app_svc_access" TO "app_svc" WITH INHERIT TRUE;`) {
				t.Errorf("want a membership WITH INHERIT TRUE, got %+v", f.Fix)
			}
		})
	}
}

func TestDirectGrantsNoFixable(t *testing.T) {
	s := snap(with(svc("app_svc"), grants(
		direct("EXECUTE", "function", "ehr.app.f(integer)"),
		direct("SELECT", "table", "ehr.dotted.sch.t"), // a dot in a name: ambiguous
		direct("FROBNICATE", "table", "ehr.app.t"),    // unknown privilege
	)))
	f := findOne(t, Evaluate(Input{Snapshot: s}), "PG-DIRECT-GRANTS", "ehr/app_svc", "ehr")
	if f.Fix != nil {
		t.Errorf("want no fix, got %q", f.Fix.Apply)
	}
	if !hasEvidence(f, "no fix generated") {
		t.Errorf("evidence does not say why there is no fix: %v", f.Evidence)
	}
}

func TestGroupRoleName(t *testing.T) {
	long := strings.Repeat("é", 40) // 80 bytes
	tests := []struct{ in, want string }{
		{"app_svc", "app_svc_access"},
		{strings.Repeat("a", 63), strings.Repeat("a", 56) + "_access"},
		{long, strings.Repeat("é", 28) + "_access"},
	}
	for _, tc := range tests {
		got := groupRoleName(tc.in)
		if got != tc.want {
			t.Errorf("groupRoleName(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if len(got) > 63 || !utf8.ValidString(got) {
			t.Errorf("groupRoleName(%q) = %q: %d bytes, valid UTF-8 %v", tc.in, got, len(got),
				utf8.ValidString(got))
		}
	}
}
