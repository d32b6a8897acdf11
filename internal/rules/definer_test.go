package rules

import (
	"strings"
	"testing"

	"github.com/wardsec/ward/internal/inventory"
)

// definer builds a SECURITY DEFINER function owned by a superuser,
// executable by the given roles, with search_path not pinned.
func definer(name string, executors ...string) inventory.Function {
	return inventory.Function{Name: name, Owner: "postgres", OwnerSuperuser: true,
		SecurityDefiner: true, Language: "plpgsql", Executors: append([]string{"postgres"}, executors...)}
}

func withFuncs(s *inventory.Snapshot, fs ...inventory.Function) *inventory.Snapshot {
	s.Functions = append(s.Functions, fs...)
	return s
}

func pinned(f inventory.Function) inventory.Function {
	f.SearchPathPinned = true
	return f
}

func ownedBy(f inventory.Function, owner string) inventory.Function {
	f.Owner, f.OwnerSuperuser = owner, false
	return f
}

func TestSecurityDefinerExposed(t *testing.T) {
	const id = "PG-SECURITY-DEFINER-EXPOSED"
	med, high, crit := inventory.SeverityMedium, inventory.SeverityHigh, inventory.SeverityCritical
	const fn = "ehr.clinical.lookup_ssn(text)"
	patient := phiTable("ehr.clinical.patient", "ehr_owner")
	owner := with(svc("ehr_owner"), nologin, kind(inventory.KindUnknown))
	reader := with(svc("phi_reader"), nologin, kind(inventory.KindUnknown),
		grants(phiGrant("ehr.clinical.patient")))

	runRule(t, id, []ruleCase{
		{name: "no functions", snap: snap(svc("app_svc"))},
		{
			name: "superuser-owned, PUBLIC may execute",
			snap: withFuncs(snap(svc("app_svc")), definer(fn, "PUBLIC")),
			want: []got{{"", fn, high}},
		},
		{
			name: "superuser-owned on a source that holds PHI",
			snap: withFuncs(withTables(snap(svc("app_svc")), patient), definer(fn, "PUBLIC")),
			want: []got{{"", fn, crit}},
		},
		{
			name: "not SECURITY DEFINER",
			snap: withFuncs(snap(svc("app_svc")), func() inventory.Function {
				f := definer(fn, "PUBLIC")
				f.SecurityDefiner = false
				return f
			}()),
		},
		{
			name: "belongs to an extension",
			snap: withFuncs(snap(svc("app_svc")), func() inventory.Function {
				f := pinned(definer("ehr.public.pgaudit_ddl_command_end()", "PUBLIC"))
				f.Extension = "pgaudit"
				return f
			}()),
		},
		{
			name: "EXECUTE revoked from PUBLIC, granted to no service",
			snap: withFuncs(snap(svc("app_svc"), with(svc("alice"), kind(inventory.KindHuman))),
				definer(fn, "alice")),
		},
		{
			name: "owner without privileges lends nothing",
			snap: withFuncs(withTables(snap(svc("app_svc"), with(svc("plain"), nologin)), patient),
				ownedBy(definer(fn, "PUBLIC"), "plain")),
		},
		{
			name: "owner owns PHI tables",
			snap: withFuncs(withTables(snap(svc("app_svc"), owner), patient),
				ownedBy(definer(fn, "PUBLIC"), "ehr_owner")),
			want: []got{{"", fn, crit}},
		},
		{
			name: "owner holds grants on PHI",
			snap: withFuncs(withTables(snap(svc("app_svc"), reader), patient),
				ownedBy(definer(fn, "PUBLIC"), "phi_reader")),
			want: []got{{"", fn, crit}},
		},
		{
			name: "owner reads every table of a PHI source",
			snap: withFuncs(withTables(snap(svc("app_svc"),
				with(svc("etl_owner"), nologin, dangerous("pg_read_all_data"))), patient),
				ownedBy(definer(fn, "PUBLIC"), "etl_owner")),
			want: []got{{"", fn, crit}},
		},
		{
			name: "granted to a service, search_path not pinned",
			snap: withFuncs(snap(svc("app_svc")), definer(fn, "app_svc")),
			want: []got{{"", fn, high}},
		},
		{
			name: "granted to a service, search_path pinned",
			snap: withFuncs(snap(svc("app_svc")), pinned(definer(fn, "app_svc"))),
			want: []got{{"", fn, med}},
		},
		{
			name: "granted to a group a service belongs to",
			snap: withFuncs(snap(with(svc("app_svc"), memberOf("lookup_grp")),
				with(svc("lookup_grp"), nologin)), pinned(definer(fn, "lookup_grp"))),
			want: []got{{"", fn, med}},
		},
		{
			name: "PUBLIC with a pinned search_path",
			snap: withFuncs(snap(svc("app_svc")), pinned(definer(fn, "PUBLIC"))),
			want: []got{{"", fn, high}},
		},
		{
			name: "granted to a person only",
			snap: withFuncs(snap(with(svc("alice"), kind(inventory.KindHuman))), definer(fn, "alice")),
		},
		{
			// A superuser caller gains nothing from a superuser's function.
			name: "granted to a superuser service only",
			snap: withFuncs(snap(with(svc("app_svc"), superuser)), definer(fn, "app_svc")),
		},
		{
			name: "granted to a member of the owner role only",
			snap: withFuncs(withTables(snap(with(svc("app_svc"), memberOf("ehr_owner")), owner),
				patient), ownedBy(definer(fn, "app_svc"), "ehr_owner")),
		},
		{
			name: "each function is its own finding",
			snap: withFuncs(snap(svc("app_svc")), definer(fn, "PUBLIC"),
				definer("ehr.clinical.lookup_dob(text)", "PUBLIC")),
			want: []got{{"", "ehr.clinical.lookup_dob(text)", high}, {"", fn, high}},
		},
	})
}

func TestSecurityDefinerEvidence(t *testing.T) {
	const fn = "ehr.clinical.lookup_ssn(text)"
	s := withFuncs(snap(
		with(svc("app_svc"), memberOf("lookup_grp")),
		with(svc("etl_svc"), memberOf("lookup_grp"),
			func(a *inventory.Account) { a.Memberships[0].Inherit = false }),
		with(svc("lookup_grp"), nologin, kind(inventory.KindUnknown)),
		svc("batch_svc"),
	), definer(fn, "PUBLIC", "lookup_grp", "batch_svc"))
	f := findOne(t, Evaluate(Input{Snapshot: s}), "PG-SECURITY-DEFINER-EXPOSED", "", fn)
	for _, want := range []string{
		"SECURITY DEFINER function " + fn + " runs with the rights of its owner postgres",
		"the owner postgres is a superuser",
		"EXECUTE is held by PUBLIC",
		"service accounts that can call it: app_svc (through lookup_grp), batch_svc (directly), " +
			"etl_svc (through lookup_grp, after SET ROLE)",
		"search_path is not pinned",
		"pgaudit logs the call of a SECURITY DEFINER function made by another role, not the tables",
	} {
		if !hasEvidence(f, want) {
			t.Errorf("evidence lacks %q:\n%s", want, strings.Join(f.Evidence, "\n"))
		}
	}
}

func TestSecurityDefinerFix(t *testing.T) {
	const fn = `ehr.Clinical.lookup_ssn(text, "My Type"[], character varying)`
	sig := `"Clinical"."lookup_ssn"(text, "My Type"[], character varying)`

	t.Run("PUBLIC and search_path", func(t *testing.T) {
		s := withFuncs(snap(svc("app_svc")), definer(fn, "PUBLIC"))
		f := findOne(t, Evaluate(Input{Snapshot: s}), "PG-SECURITY-DEFINER-EXPOSED", "", fn)
		wantApply := "BEGIN;\nREVOKE EXECUTE ON ROUTINE " + sig + " FROM PUBLIC;\n" +
			"ALTER ROUTINE " + sig + ` SET search_path = pg_catalog, "Clinical", pg_temp;` +
			"\nCOMMIT;\n"
		wantRollback := "BEGIN;\nGRANT EXECUTE ON ROUTINE " + sig + " TO PUBLIC;\n" +
			"ALTER ROUTINE " + sig + " RESET search_path;\nCOMMIT;\n"
		if f.Fix == nil || f.Fix.Apply != wantApply || f.Fix.Rollback != wantRollback {
			t.Fatalf("fix = %+v\nwant apply %q\nrollback %q", f.Fix, wantApply, wantRollback)
		}
		if !strings.Contains(f.Fix.Notes, "qualify any other object") {
			t.Errorf("notes do not warn that pinning can break the body: %s", f.Fix.Notes)
		}
	})

	t.Run("schema writable by PUBLIC is left out", func(t *testing.T) {
		s := withPublic(withFuncs(snap(svc("app_svc")), definer(fn, "PUBLIC")),
			pub("CREATE", "schema", "ehr.Clinical"))
		f := findOne(t, Evaluate(Input{Snapshot: s}), "PG-SECURITY-DEFINER-EXPOSED", "", fn)
		if f.Fix == nil || !strings.Contains(f.Fix.Apply, "SET search_path = pg_catalog, pg_temp;") {
			t.Errorf("fix = %+v", f.Fix)
		}
	})

	t.Run("pinned, PUBLIC only revoked", func(t *testing.T) {
		s := withFuncs(snap(svc("app_svc")), pinned(definer(fn, "PUBLIC")))
		f := findOne(t, Evaluate(Input{Snapshot: s}), "PG-SECURITY-DEFINER-EXPOSED", "", fn)
		want := "BEGIN;\nREVOKE EXECUTE ON ROUTINE " + sig + " FROM PUBLIC;\nCOMMIT;\n"
		if f.Fix == nil || f.Fix.Apply != want {
			t.Errorf("fix = %+v, want apply %q", f.Fix, want)
		}
	})

	t.Run("granted and pinned has nothing to run", func(t *testing.T) {
		s := withFuncs(snap(svc("app_svc")), pinned(definer(fn, "app_svc")))
		f := findOne(t, Evaluate(Input{Snapshot: s}), "PG-SECURITY-DEFINER-EXPOSED", "", fn)
		if f.Fix != nil || !hasEvidence(f, "no fix generated: EXECUTE was granted") {
			t.Errorf("fix = %+v, evidence %v", f.Fix, f.Evidence)
		}
	})
}

func TestSplitFunction(t *testing.T) {
	tests := []struct {
		in                     string
		db, schema, name, args string
		ok                     bool
	}{
		{"ehr.app.f()", "ehr", "app", "f", "", true},
		{"ehr.app.f(text, integer)", "ehr", "app", "f", "text, integer", true},
		{`ehr.app.f("a""b", numeric[])`, "ehr", "app", "f", `"a""b", numeric[]`, true},
		{`ehr.app.f("x); DROP TABLE t; --")`, "ehr", "app", "f", `"x); DROP TABLE t; --"`, true},
		{"ehr.app.f(mrn text, OUT ssn text)", "ehr", "app", "f", "mrn text, OUT ssn text", true},
		{"ehr.app.f(text); DROP TABLE t; --()", "", "", "", "", false},
		{"ehr.app.f(text) --", "", "", "", "", false},
		{"ehr.app.f('x')", "", "", "", "", false},
		{`ehr.app.f("open)`, "", "", "", "", false},
		{"ehr.app.f(a))(b)", "", "", "", "", false},
		{"ehr.app.f(text$$)", "", "", "", "", false},
		{"ehr.a.b.f(text)", "", "", "", "", false},
		{"app.f(text)", "", "", "", "", false},
		{"ehr.app.f", "", "", "", "", false},
		{"ehr..f()", "", "", "", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			db, schema, name, args, ok := splitFunction(tc.in)
			if ok != tc.ok || db != tc.db || schema != tc.schema || name != tc.name || args != tc.args {
				t.Errorf("splitFunction(%q) = %q, %q, %q, %q, %v; want %q, %q, %q, %q, %v", tc.in,
					db, schema, name, args, ok, tc.db, tc.schema, tc.name, tc.args, tc.ok)
			}
		})
	}
}
