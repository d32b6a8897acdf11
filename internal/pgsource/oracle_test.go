package pgsource

import (
	"context"
	"slices"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/wardsec/ward/internal/inventory"
)

// oracleQuery asks the server, for every login role that is not a
// superuser, every object of the current database and every privilege
// that applies to it:
//
//   - held: the has_*_privilege() answer, with OIDs (edge 22);
//   - reachable: whether some role the account may SET ROLE to (itself
//     included) holds it;
//   - special_held / special_reach: whether pg_read_all_data or
//     pg_write_all_data gives it, which ward reports as a dangerous role
//     rather than as per-object grants.
//
// $1 is the database name used in ward's resource names.
const oracleQuery = `
WITH accts AS (SELECT oid, rolname FROM pg_roles WHERE rolcanlogin AND NOT rolsuper),
objs AS (
  SELECT 'rel' AS kind, c.oid, 0::int2 AS attnum,
         $1 || '.' || n.nspname || '.' || c.relname AS res,
         CASE WHEN c.relkind = 'S' THEN ARRAY['USAGE','SELECT','UPDATE']
              ELSE ARRAY['SELECT','INSERT','UPDATE','DELETE','TRUNCATE','REFERENCES','TRIGGER']
         END AS privs
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind IN ('r','p','v','m','f','S')
    AND n.nspname <> 'information_schema' AND n.nspname !~ '^pg_'
  UNION ALL
  SELECT 'col', c.oid, a.attnum, $1 || '.' || n.nspname || '.' || c.relname || '.' || a.attname,
         ARRAY['SELECT','INSERT','UPDATE','REFERENCES']
  FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE a.attacl IS NOT NULL AND a.attnum > 0 AND NOT a.attisdropped
    AND n.nspname <> 'information_schema' AND n.nspname !~ '^pg_'
  UNION ALL
  SELECT 'nsp', n.oid, 0, $1 || '.' || n.nspname, ARRAY['USAGE','CREATE']
  FROM pg_namespace n WHERE n.nspname <> 'information_schema' AND n.nspname !~ '^pg_'
  UNION ALL
  SELECT 'db', d.oid, 0, d.datname, ARRAY['CONNECT','TEMPORARY','CREATE']
  FROM pg_database d WHERE d.datname = current_database()
  UNION ALL
  SELECT 'fn', p.oid, 0,
         $1 || '.' || n.nspname || '.' || p.proname || '(' || oidvectortypes(p.proargtypes) || ')',
         ARRAY['EXECUTE']
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
  WHERE n.nspname <> 'information_schema' AND n.nspname !~ '^pg_'
),
checks AS (
  SELECT a.oid AS acct, a.rolname, o.kind, o.oid, o.attnum, o.res, p.priv
  FROM accts a CROSS JOIN objs o CROSS JOIN LATERAL unnest(o.privs) AS p(priv)
)
SELECT k.rolname, k.res, k.priv,
  CASE k.kind
    WHEN 'rel' THEN (SELECT CASE c.relkind WHEN 'S'
                       THEN has_sequence_privilege(k.acct, k.oid, k.priv)
                       ELSE has_table_privilege(k.acct, k.oid, k.priv) END
                     FROM pg_class c WHERE c.oid = k.oid)
    WHEN 'col' THEN has_column_privilege(k.acct, k.oid, k.attnum::int2, k.priv)
    WHEN 'nsp' THEN has_schema_privilege(k.acct, k.oid, k.priv)
    WHEN 'db'  THEN has_database_privilege(k.acct, k.oid, k.priv)
    WHEN 'fn'  THEN has_function_privilege(k.acct, k.oid, k.priv)
  END AS held,
  EXISTS (
    SELECT 1 FROM pg_roles s
    WHERE pg_has_role(k.acct, s.oid, 'MEMBER') AND
      CASE k.kind
        WHEN 'rel' THEN (SELECT CASE c.relkind WHEN 'S'
                           THEN has_sequence_privilege(s.oid, k.oid, k.priv)
                           ELSE has_table_privilege(s.oid, k.oid, k.priv) END
                         FROM pg_class c WHERE c.oid = k.oid)
        WHEN 'col' THEN has_column_privilege(s.oid, k.oid, k.attnum::int2, k.priv)
        WHEN 'nsp' THEN has_schema_privilege(s.oid, k.oid, k.priv)
        WHEN 'db'  THEN has_database_privilege(s.oid, k.oid, k.priv)
        WHEN 'fn'  THEN has_function_privilege(s.oid, k.oid, k.priv)
      END) AS reachable,
  k.kind IN ('rel','col','nsp') AND (
    (k.priv IN ('SELECT','USAGE') AND pg_has_role(k.acct, 'pg_read_all_data', 'USAGE')) OR
    (k.priv IN ('INSERT','UPDATE','DELETE','USAGE')
       AND pg_has_role(k.acct, 'pg_write_all_data', 'USAGE'))) AS special_held,
  k.kind IN ('rel','col','nsp') AND (
    (k.priv IN ('SELECT','USAGE') AND pg_has_role(k.acct, 'pg_read_all_data', 'MEMBER')) OR
    (k.priv IN ('INSERT','UPDATE','DELETE','USAGE')
       AND pg_has_role(k.acct, 'pg_write_all_data', 'MEMBER'))) AS special_reach
FROM checks k`

// access is what ward computed for one account, resource and privilege.
type access struct{ held, reachable bool }

// computedAccess indexes a snapshot's grants: each account's own, and
// PUBLIC's, which every account holds. A column privilege is also given
// by the same privilege on its table, as PostgreSQL does.
func computedAccess(snap *inventory.Snapshot) map[[3]string]access {
	out := map[[3]string]access{}
	for _, a := range snap.Accounts {
		for _, g := range slices.Concat(a.Grants, snap.PublicGrants) {
			k := [3]string{a.Name, g.Resource, g.Privilege}
			v := out[k]
			v.reachable = true
			v.held = v.held || !g.SetRoleOnly
			out[k] = v
		}
	}
	for _, r := range snap.Resources {
		if r.Type != "column" {
			continue
		}
		table := r.Name[:lastDot(r.Name)]
		for _, a := range snap.Accounts {
			for _, p := range []string{"SELECT", "INSERT", "UPDATE", "REFERENCES"} {
				t := out[[3]string{a.Name, table, p}]
				if !t.reachable {
					continue
				}
				k := [3]string{a.Name, r.Name, p}
				c := out[k]
				c.held = c.held || t.held
				c.reachable = true
				out[k] = c
			}
		}
	}
	return out
}

func lastDot(s string) int {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == '.' {
			return i
		}
	}
	return len(s)
}

// TestOracleHasPrivilege compares ward's Go computation with the server's
// own privilege checks, for every login role (superusers excepted), every
// object (extension functions included) and every privilege of every
// scanned database. What ward computes is an account's grants together
// with the snapshot's PublicGrants: PUBLIC's built-in defaults are kept
// only there. It covers edges
// 15 (column grants), 16 (inherited grants), 18 (pg_database_owner) and
// 22 (OID-based checks) at once, and the SET ROLE reach of NOINHERIT
// memberships.
func TestOracleHasPrivilege(t *testing.T) {
	snap := scanAs(t, "ward_scanner")
	computed := computedAccess(snap)

	// The least each database must contribute: the comparison has to cover
	// real ground, with many privileges both held and not.
	minimum := map[string][2]int{"postgres": {50, 20}, "ehr": {1000, 100}, "research": {150, 40}}
	for _, db := range []string{"postgres", "ehr", "research"} {
		t.Run(db, func(t *testing.T) {
			ctx := context.Background()
			conn, err := pgx.Connect(ctx, srv.SuperDSN(db))
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close(ctx)
			rows, err := conn.Query(ctx, oracleQuery, db)
			if err != nil {
				t.Fatal(err)
			}
			var name, res, priv string
			var held, reach, specialHeld, specialReach bool
			var n, trues int
			_, err = pgx.ForEachRow(rows, []any{&name, &res, &priv, &held, &reach,
				&specialHeld, &specialReach}, func() error {
				n++
				if held {
					trues++
				}
				got := computed[[3]string{name, res, priv}]
				if !specialHeld && got.held != held {
					t.Errorf("%s %s on %s: ward says held=%v, has_*_privilege says %v",
						name, priv, res, got.held, held)
				}
				if !specialReach && got.reachable != reach {
					t.Errorf("%s %s on %s: ward says reachable=%v, SET ROLE oracle says %v",
						name, priv, res, got.reachable, reach)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if m := minimum[db]; n < m[0] || trues < m[1] {
				t.Errorf("oracle compared %d checks with %d true, want at least %d and %d",
					n, trues, m[0], m[1])
			}
			t.Logf("%s: %d checks compared, %d held", db, n, trues)
		})
	}
}
