package pgsource

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/wardsec/ward/internal/config"
	"github.com/wardsec/ward/internal/inventory"
	"github.com/wardsec/ward/internal/pgtest"
	"github.com/wardsec/ward/internal/secret"
)

var srv *pgtest.Server

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m, &srv)) }

// Test passwords. They are FAKE, and the CANARY one must never show up in
// any error or log.
const (
	scannerPassword = "FAKE-scanner-pw-1"
	rolePassword    = "FAKE-role-pw-2"
	canaryPassword  = "CANARY-wrong-pw-7f3a"
)

// The cluster-wide part of the estate, run on the postgres database.
const estateRoles = `
CREATE ROLE clinical_read NOLOGIN;
CREATE ROLE clinical_write NOLOGIN;
GRANT clinical_read TO clinical_write;

CREATE ROLE app_svc LOGIN PASSWORD 'FAKE-role-pw-2' CONNECTION LIMIT 20
  VALID UNTIL '2027-06-30 00:00:00+00';
COMMENT ON ROLE app_svc IS 'owner: ehr-api team; service account';
ALTER ROLE app_svc SET pgaudit.log = 'none';
GRANT clinical_write TO app_svc;

CREATE ROLE alice LOGIN PASSWORD 'FAKE-role-pw-2';
GRANT clinical_read TO alice;
CREATE ROLE team_lead LOGIN;
GRANT clinical_read TO team_lead WITH ADMIN OPTION;

CREATE ROLE noinherit_svc LOGIN NOINHERIT;
GRANT clinical_write TO noinherit_svc;
CREATE ROLE gate NOLOGIN NOINHERIT;
GRANT clinical_write TO gate;
CREATE ROLE gated_svc LOGIN;
GRANT gate TO gated_svc;

CREATE ROLE etl_owner LOGIN;
CREATE ROLE super_svc LOGIN SUPERUSER;
CREATE ROLE repl_svc LOGIN REPLICATION;
CREATE ROLE reader_all LOGIN;
GRANT pg_read_all_data TO reader_all;

CREATE ROLE tier3 NOLOGIN;
CREATE ROLE tier2 NOLOGIN;
CREATE ROLE tier1 NOLOGIN;
GRANT tier3 TO tier2;
GRANT tier2 TO tier1;
CREATE ROLE deep_svc LOGIN;
GRANT tier1 TO deep_svc;

CREATE ROLE ops NOLOGIN;
GRANT pg_execute_server_program TO ops;
CREATE ROLE ops_svc LOGIN;
GRANT ops TO ops_svc;

CREATE ROLE research_owner LOGIN;
CREATE ROLE "Mixed.Case svc" LOGIN VALID UNTIL 'infinity';

CREATE ROLE ward_bare LOGIN PASSWORD 'FAKE-scanner-pw-1';

CREATE ROLE ward_stats LOGIN PASSWORD 'FAKE-scanner-pw-1';
GRANT pg_read_all_settings, pg_read_all_stats TO ward_stats;
GRANT SELECT ON pg_catalog.pg_hba_file_rules TO ward_stats;
GRANT EXECUTE ON FUNCTION pg_catalog.pg_hba_file_rules() TO ward_stats;
`

// Database settings, run once the databases exist.
const estateDatabases = `
REVOKE CONNECT ON DATABASE hardened FROM PUBLIC;
ALTER DATABASE ehr SET log_statement = 'ddl';
ALTER ROLE alice IN DATABASE ehr SET pgaudit.log = 'read';
`

// The clinical database.
const estateEHR = `
CREATE SCHEMA clinical;
CREATE TABLE clinical.patient (
  patient_id bigserial PRIMARY KEY, mrn text NOT NULL, full_name text, ssn text, dob date);
CREATE TABLE clinical.encounter (
  encounter_id bigserial PRIMARY KEY, patient_id bigint REFERENCES clinical.patient,
  clinician text, note text);
ALTER TABLE clinical.encounter ENABLE ROW LEVEL SECURITY;
CREATE VIEW clinical.patient_directory AS
  SELECT patient_id, mrn, full_name FROM clinical.patient;
CREATE TABLE clinical.vitals (patient_id bigint, taken date, pulse int)
  PARTITION BY RANGE (taken);
CREATE TABLE clinical.vitals_2026 PARTITION OF clinical.vitals
  FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
CREATE MATERIALIZED VIEW clinical.visit_counts AS
  SELECT patient_id, count(*) AS visits FROM clinical.encounter GROUP BY 1;

GRANT USAGE ON SCHEMA clinical TO clinical_read;
GRANT SELECT ON clinical.encounter, clinical.patient_directory TO clinical_read;
GRANT SELECT (patient_id, mrn, full_name) ON clinical.patient TO clinical_read;
GRANT INSERT, UPDATE ON clinical.encounter TO clinical_write;
GRANT USAGE ON SEQUENCE clinical.encounter_encounter_id_seq TO clinical_write;
GRANT SELECT (ssn) ON clinical.patient TO app_svc;
GRANT SELECT ON clinical.encounter TO team_lead WITH GRANT OPTION;

CREATE FUNCTION clinical.lookup_ssn(p_mrn text) RETURNS text
  LANGUAGE sql SECURITY DEFINER
  AS $$SELECT ssn FROM clinical.patient WHERE mrn = p_mrn$$;

CREATE SCHEMA billing;
CREATE TABLE billing.claim (
  claim_id bigserial PRIMARY KEY, patient_id bigint, amount numeric, diagnosis_code text);
GRANT SELECT ON billing.claim TO alice;
GRANT SELECT, UPDATE ON billing.claim TO tier3;
GRANT USAGE ON SCHEMA billing TO tier2;

CREATE SCHEMA etl AUTHORIZATION etl_owner;
SET ROLE etl_owner;
CREATE TABLE etl.staging (id int, payload text);
RESET ROLE;
CREATE EXTENSION file_fdw;
CREATE SERVER files FOREIGN DATA WRAPPER file_fdw;
CREATE FOREIGN TABLE etl.import_feed (line text) SERVER files OPTIONS (filename '/dev/null');
ALTER FOREIGN TABLE etl.import_feed OWNER TO etl_owner;
GRANT SELECT ON etl.import_feed TO PUBLIC;

-- Row-level security: encounter has it without FORCE (its owner bypasses
-- it), patient has it with FORCE; both have named policies.
CREATE POLICY clinician_rows ON clinical.encounter USING (clinician = current_user);
ALTER TABLE clinical.patient ENABLE ROW LEVEL SECURITY;
ALTER TABLE clinical.patient FORCE ROW LEVEL SECURITY;
CREATE POLICY registrar_all ON clinical.patient TO clinical_write USING (true);
CREATE POLICY by_mrn ON clinical.patient FOR SELECT USING (mrn IS NOT NULL);

-- A sequence granted to PUBLIC by hand: an explicit PUBLIC grant.
GRANT SELECT ON SEQUENCE clinical.encounter_encounter_id_seq TO PUBLIC;

-- A SECURITY DEFINER function done right: search_path pinned, EXECUTE
-- taken from PUBLIC and given to one service.
CREATE FUNCTION clinical.safe_lookup(p_mrn text) RETURNS text
  LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
  AS $$SELECT full_name FROM clinical.patient WHERE mrn = p_mrn$$;
REVOKE EXECUTE ON FUNCTION clinical.safe_lookup(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION clinical.safe_lookup(text) TO app_svc;

-- Default privileges. Two database-wide rows for functions (edge 13),
-- both revoking PUBLIC's EXECUTE (edge 14); a per-schema grant of SELECT
-- on etl_owner's future tables; PUBLIC USAGE on its future sequences.
ALTER DEFAULT PRIVILEGES FOR ROLE etl_owner REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;
ALTER DEFAULT PRIVILEGES FOR ROLE research_owner REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;
ALTER DEFAULT PRIVILEGES FOR ROLE etl_owner IN SCHEMA etl
  GRANT SELECT ON TABLES TO clinical_read;
ALTER DEFAULT PRIVILEGES FOR ROLE etl_owner GRANT USAGE ON SEQUENCES TO PUBLIC;

-- Objects created after them: by etl_owner, the defaults apply; by
-- postgres in the same schema, they do not.
SET ROLE etl_owner;
CREATE TABLE etl.loaded (id int);
CREATE FUNCTION etl.transform() RETURNS int LANGUAGE sql AS 'SELECT 1';
CREATE PROCEDURE etl.reload() LANGUAGE plpgsql AS $$BEGIN NULL; END$$;
RESET ROLE;
CREATE TABLE etl.by_postgres (id int);
CREATE FUNCTION etl.by_postgres_fn() RETURNS int LANGUAGE sql AS 'SELECT 2';
`

// The research database, owned by a login role.
const estateResearch = `
CREATE SCHEMA study;
CREATE TABLE study.cohort (subject_id int, mrn text, dob date);
GRANT USAGE ON SCHEMA study TO clinical_read;
GRANT SELECT ON study.cohort TO clinical_read;
-- Owned by pg_database_owner: research_owner holds it as the database's
-- owner (edge 18).
CREATE TABLE study.consent (subject_id int, signed date);
ALTER TABLE study.consent OWNER TO pg_database_owner;
`

const estateHardened = `CREATE TABLE public.vault_keys (id int);`

// scannerRoleDoc is the page whose SQL creates ward_scanner, so that the
// tests run with exactly the documented grants.
const scannerRoleDoc = "../../docs/scanner-role.md"

// docSQL returns the SQL block that follows marker in the scanner role
// documentation.
func docSQL(marker string) (string, error) {
	b, err := os.ReadFile(scannerRoleDoc)
	if err != nil {
		return "", err
	}
	_, rest, ok := strings.Cut(string(b), "<!-- "+marker+" -->")
	if !ok {
		return "", fmt.Errorf("%s: no marker %s", scannerRoleDoc, marker)
	}
	_, rest, ok = strings.Cut(rest, "```sql\n")
	if !ok {
		return "", fmt.Errorf("%s: no sql block after %s", scannerRoleDoc, marker)
	}
	sql, _, ok := strings.Cut(rest, "```")
	if !ok {
		return "", fmt.Errorf("%s: unterminated sql block after %s", scannerRoleDoc, marker)
	}
	return sql, nil
}

var estateOnce sync.Once
var estateErr error

// estate builds the test estate once per package run.
func estate(t *testing.T) {
	t.Helper()
	estateOnce.Do(func() {
		ctx := context.Background()
		var cluster, dsnDB string
		if cluster, estateErr = docSQL("ward:scanner-role-cluster"); estateErr != nil {
			return
		}
		if dsnDB, estateErr = docSQL("ward:scanner-role-dsn-database"); estateErr != nil {
			return
		}
		steps := []struct{ db, sql string }{
			{"postgres", estateRoles},
			// The documented scanner role; the tests' dsn names postgres.
			{"postgres", cluster},
			{"postgres", dsnDB},
			{"postgres", "ALTER ROLE ward_scanner PASSWORD '" + scannerPassword + "'"},
			// CREATE DATABASE cannot run in the implicit transaction of a
			// multi-statement string.
			{"postgres", "CREATE DATABASE ehr"},
			{"postgres", "CREATE DATABASE research OWNER research_owner"},
			{"postgres", "CREATE DATABASE hardened"},
			{"postgres", estateDatabases},
			{"ehr", estateEHR},
			{"research", estateResearch},
			{"hardened", estateHardened},
		}
		for _, s := range steps {
			if estateErr = srv.Exec(ctx, s.db, s.sql); estateErr != nil {
				return
			}
		}
	})
	if estateErr != nil {
		t.Fatalf("build estate: %v", estateErr)
	}
}

// newConnector makes a connector for user on db, with the given password.
func newConnector(t *testing.T, user, password, db string, mod ...func(*config.Source)) *Connector {
	t.Helper()
	src := config.Source{
		Name:     "ehr-prod",
		Type:     SourceType,
		DSN:      srv.DSN(user, "", db),
		Password: secret.New(password),
	}
	for _, m := range mod {
		m(&src)
	}
	c, err := New(src, slog.New(slog.NewTextHandler(&testWriter{t}, nil)))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// scanAs runs a full scan as user (password scannerPassword) from the
// postgres database, as docs/scanner-role.md recommends.
func scanAs(t *testing.T, user string, mod ...func(*config.Source)) *inventory.Snapshot {
	t.Helper()
	estate(t)
	c := newConnector(t, user, scannerPassword, "postgres", mod...)
	snap, err := c.Scan(context.Background())
	if err != nil {
		t.Fatalf("scan as %s: %v", user, err)
	}
	return snap
}

// testWriter sends log output to t.Log and fails the test if a test
// password ever shows up in it.
type testWriter struct{ t *testing.T }

func (w *testWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	s := string(p)
	for _, pw := range []string{scannerPassword, rolePassword, canaryPassword} {
		if strings.Contains(s, pw) {
			w.t.Errorf("a password was logged: %s", s)
		}
	}
	w.t.Log(strings.TrimRight(s, "\n"))
	return len(p), nil
}

// account returns the named account of a snapshot.
func account(t *testing.T, snap *inventory.Snapshot, name string) inventory.Account {
	t.Helper()
	for _, a := range snap.Accounts {
		if a.Name == name {
			return a
		}
	}
	t.Fatalf("no account %q in snapshot", name)
	return inventory.Account{}
}

// grantLines renders an account's grants on resources under prefix, one
// line each, for readable comparisons. PUBLIC grants are left out unless
// withPublic is set.
func grantLines(a inventory.Account, prefix string, withPublic bool) []string {
	var out []string
	for _, g := range a.Grants {
		if !strings.HasPrefix(g.Resource, prefix) {
			continue
		}
		if g.Via == inventory.ViaPublic && !withPublic {
			continue
		}
		line := g.Resource + " " + g.Privilege + " via " + g.Via
		if len(g.Path) > 0 {
			line += " [" + strings.Join(g.Path, ">") + "]"
		}
		if g.SetRoleOnly {
			line += " set-role-only"
		}
		if g.Grantable {
			line += " grantable"
		}
		out = append(out, line)
	}
	return out
}
