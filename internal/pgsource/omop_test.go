package pgsource

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wardsec/ward/internal/inventory"
)

// omopDDL is the OMOP CDM 5.4 DDL in the shared corpus, relative to it.
const omopDDL = "schemas/OMOPCDM_postgresql_5.4_ddl.sql"

// corpusDir is $WARD_CORPUS, else ../shared/corpus beside the repository
// (../../../shared/corpus from this package's directory).
func corpusDir() string {
	if d := os.Getenv("WARD_CORPUS"); d != "" {
		return d
	}
	return filepath.Join("..", "..", "..", "shared", "corpus")
}

// omopRoles are the cluster-wide roles of the OMOP estate. Their names
// start with omop_ so they cannot clash with the other tests' roles, and
// they are dropped when the test ends.
const omopRoles = `
CREATE ROLE omop_cdm_reader NOLOGIN;
CREATE ROLE omop_analyst LOGIN;
GRANT omop_cdm_reader TO omop_analyst;
CREATE ROLE omop_etl LOGIN;
CREATE ROLE omop_api_svc LOGIN;
CREATE ROLE omop_bypass_svc LOGIN BYPASSRLS;
`

// omopGrants is layered on the loaded DDL, in database omop. Each block
// says which findings the rules should make of it (asserted by the rules
// tests, not here), given the built-in PHI tokens person, death, note and
// visit:
//
//   - the ETL owner (omop_etl) owns schema cdm and, having loaded the DDL,
//     every table but two: PG-SERVICE-OWNS-PHI for omop_etl on
//     omop.cdm.person and the other PHI tables, if omop_etl is classified
//     as a service account (its name carries "etl").
//   - omop_api_svc owns cdm.note and cdm.death: PG-SERVICE-OWNS-PHI for
//     omop_api_svc on both.
//   - cdm.note has row-level security without FORCE and the policy
//     note_by_provider. omop_api_svc owns it, so it bypasses RLS;
//     omop_bypass_svc has BYPASSRLS and SELECT on it: PG-RLS-BYPASS-SERVICE
//     for both (and for super_svc of the package's estate, a superuser
//     service account, which bypasses RLS everywhere). omop_analyst reads
//     note through omop_cdm_reader under the policy: no
//     PG-RLS-BYPASS-SERVICE for it.
//   - omop_cdm_reader gets USAGE on cdm and SELECT on three columns of
//     person, not its source values; omop_analyst inherits them. No
//     finding by itself.
//   - cdm.person_source_lookup(integer) is SECURITY DEFINER, owned by the
//     superuser postgres, search_path not pinned, EXECUTE left to PUBLIC,
//     and returns person_source_value, which omop_cdm_reader may not read:
//     PG-SECURITY-DEFINER-EXPOSED on it.
//   - GRANT USAGE ON SCHEMA cdm and SELECT ON cdm.visit_occurrence TO
//     PUBLIC: PG-PUBLIC-PHI-ACCESS on omop.cdm.visit_occurrence.
//   - ALTER DEFAULT PRIVILEGES FOR ROLE omop_etl IN SCHEMA cdm GRANT SELECT
//     ON TABLES TO omop_cdm_reader: no finding (a fact for future tables).
const omopGrants = `
ALTER TABLE cdm.note OWNER TO omop_api_svc;
ALTER TABLE cdm.death OWNER TO omop_api_svc;

ALTER TABLE cdm.note ENABLE ROW LEVEL SECURITY;
CREATE POLICY note_by_provider ON cdm.note FOR SELECT
  USING (provider_id = current_setting('omop.provider_id', true)::integer);
GRANT SELECT ON cdm.note TO omop_bypass_svc, omop_cdm_reader;

GRANT USAGE ON SCHEMA cdm TO omop_cdm_reader, omop_bypass_svc;
GRANT SELECT (person_id, gender_concept_id, year_of_birth) ON cdm.person
  TO omop_cdm_reader;

CREATE FUNCTION cdm.person_source_lookup(p_person_id integer) RETURNS varchar
  LANGUAGE sql SECURITY DEFINER
  AS $$SELECT person_source_value FROM cdm.person WHERE person_id = p_person_id$$;

GRANT USAGE ON SCHEMA cdm TO PUBLIC;
GRANT SELECT ON cdm.visit_occurrence TO PUBLIC;

ALTER DEFAULT PRIVILEGES FOR ROLE omop_etl IN SCHEMA cdm
  GRANT SELECT ON TABLES TO omop_cdm_reader;
`

// TestScanOMOPCDM loads the real OMOP CDM 5.4 DDL from the corpus into a
// database, layers roles and grants on it, scans it as the minimal
// scanner and checks the facts the rules need.
func TestScanOMOPCDM(t *testing.T) {
	dir := corpusDir()
	path := filepath.Join(dir, omopDDL)
	raw, err := os.ReadFile(path)
	if err != nil {
		abs, _ := filepath.Abs(path)
		t.Skipf("the shared corpus is missing: cannot read the OMOP CDM DDL at %s (%v); "+
			"set WARD_CORPUS to the corpus directory", abs, err)
	}
	// The file uses the SqlRender placeholder; it is filled here, not
	// edited in the corpus.
	ddl := strings.ReplaceAll(string(raw), "@cdmDatabaseSchema", "cdm")
	tables := len(regexp.MustCompile(`(?i)CREATE TABLE cdm\.`).FindAllString(ddl, -1))
	if tables < 30 {
		t.Fatalf("the DDL at %s holds %d tables, want the 39 of OMOP CDM 5.4", path, tables)
	}

	estate(t)
	srv.MustExec(t, "postgres", omopRoles)
	t.Cleanup(func() {
		// DROP DATABASE cannot share a multi-statement string.
		for _, sql := range []string{"DROP DATABASE IF EXISTS omop",
			"DROP ROLE omop_analyst, omop_cdm_reader, omop_etl, omop_api_svc, omop_bypass_svc"} {
			if err := srv.Exec(context.Background(), "postgres", sql); err != nil {
				t.Errorf("drop the OMOP estate: %v", err)
			}
		}
	})
	srv.MustExec(t, "postgres", "CREATE DATABASE omop")
	srv.MustExec(t, "omop", "CREATE SCHEMA cdm AUTHORIZATION omop_etl; SET ROLE omop_etl;\n"+
		ddl+"\nRESET ROLE;")
	srv.MustExec(t, "omop", omopGrants)

	snap := scanAs(t, "ward_scanner")
	if d := coverage(t, snap, "omop"); !d.Scanned {
		t.Fatalf("omop not scanned: %+v", d)
	}

	t.Run("tables and owners", func(t *testing.T) {
		n := 0
		byName := map[string]inventory.Resource{}
		for _, r := range snap.Resources {
			if strings.HasPrefix(r.Name, "omop.cdm.") && r.Type == "table" {
				n++
			}
			byName[r.Name] = r
		}
		if n != tables {
			t.Errorf("%d tables in omop.cdm, the DDL creates %d", n, tables)
		}
		want := []inventory.Resource{
			{Name: "omop.cdm.person", Type: "table", Owner: "omop_etl"},
			{Name: "omop.cdm.person.person_source_value", Type: "column", Owner: "omop_etl"},
			{Name: "omop.cdm.death", Type: "table", Owner: "omop_api_svc"},
			{Name: "omop.cdm.note", Type: "table", Owner: "omop_api_svc", RLS: true,
				Policies: []string{"note_by_provider"}},
			{Name: "omop.cdm.note.note_text", Type: "column", Owner: "omop_api_svc"},
			{Name: "omop.cdm.visit_occurrence", Type: "table", Owner: "omop_etl"},
		}
		for _, w := range want {
			if diff := cmp.Diff(w, byName[w.Name]); diff != "" {
				t.Errorf("resource %s (-want +got):\n%s", w.Name, diff)
			}
		}
	})

	t.Run("security definer function", func(t *testing.T) {
		var got []inventory.Function
		for _, f := range snap.Functions {
			if strings.HasPrefix(f.Name, "omop.") {
				got = append(got, f)
			}
		}
		want := []inventory.Function{{Name: "omop.cdm.person_source_lookup(integer)",
			Owner: "postgres", OwnerSuperuser: true, SecurityDefiner: true, Language: "sql",
			Executors: []string{"PUBLIC", "postgres"}}}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("functions (-want +got):\n%s", diff)
		}
	})

	t.Run("public grants", func(t *testing.T) {
		var got []string
		for _, g := range snap.PublicGrants {
			if strings.HasPrefix(g.Resource, "omop") {
				got = append(got, g.Resource+" "+g.Privilege)
			}
		}
		want := []string{"omop CONNECT", "omop TEMPORARY", "omop.cdm USAGE",
			"omop.cdm.person_source_lookup(integer) EXECUTE",
			"omop.cdm.visit_occurrence SELECT", "omop.public USAGE"}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("PUBLIC's grants on omop (-want +got):\n%s", diff)
		}
	})

	tests := []struct {
		name, account, prefix string
		want                  []string
	}{
		{
			// Column grants through the group, the explicit PUBLIC grants
			// on the account, RLS-bound SELECT on note through the group.
			name: "Analyst", account: "omop_analyst", prefix: "omop.cdm",
			want: []string{
				"omop.cdm USAGE via PUBLIC",
				"omop.cdm USAGE via omop_cdm_reader [omop_cdm_reader]",
				"omop.cdm.note SELECT via omop_cdm_reader [omop_cdm_reader]",
				"omop.cdm.person.gender_concept_id SELECT via omop_cdm_reader [omop_cdm_reader]",
				"omop.cdm.person.person_id SELECT via omop_cdm_reader [omop_cdm_reader]",
				"omop.cdm.person.year_of_birth SELECT via omop_cdm_reader [omop_cdm_reader]",
				"omop.cdm.visit_occurrence SELECT via PUBLIC",
			},
		},
		{
			name: "ServiceOwningNote", account: "omop_api_svc", prefix: "omop.cdm.note",
			want: []string{
				"omop.cdm.note DELETE via owner grantable",
				"omop.cdm.note INSERT via owner grantable",
				"omop.cdm.note REFERENCES via owner grantable",
				"omop.cdm.note SELECT via owner grantable",
				"omop.cdm.note TRIGGER via owner grantable",
				"omop.cdm.note TRUNCATE via owner grantable",
				"omop.cdm.note UPDATE via owner grantable",
			},
		},
		{
			name: "BypassRLSService", account: "omop_bypass_svc", prefix: "omop.cdm.note",
			want: []string{"omop.cdm.note SELECT via direct"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := grantLines(account(t, snap, tt.account), tt.prefix, true)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("grants of %s (-want +got):\n%s", tt.account, diff)
			}
		})
	}

	t.Run("bypassrls attribute", func(t *testing.T) {
		if !account(t, snap, "omop_bypass_svc").Attributes.BypassRLS {
			t.Error("omop_bypass_svc lacks BypassRLS")
		}
	})

	t.Run("default privileges", func(t *testing.T) {
		want := inventory.DefaultPrivilege{Database: "omop", ForRole: "omop_etl",
			Schema: "cdm", ObjectType: "table", Grantee: "omop_cdm_reader",
			Privileges: []string{"SELECT"}}
		if !slices.ContainsFunc(snap.DefaultPrivileges, func(d inventory.DefaultPrivilege) bool {
			return cmp.Equal(d, want)
		}) {
			t.Errorf("default privileges %+v lack %+v", snap.DefaultPrivileges, want)
		}
	})
}
