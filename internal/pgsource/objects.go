package pgsource

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/wardsec/ward/internal/inventory"
)

// userSchemas is the filter that keeps system schemas out: pg_catalog,
// pg_toast*, pg_temp_* (PostgreSQL reserves the pg_ prefix) and
// information_schema.
const userSchemas = `n.nspname <> 'information_schema' AND n.nspname !~ '^pg_'`

// relKinds maps pg_class.relkind to ward's resource types.
var relKinds = map[string]string{
	"r": "table",
	"p": "partitioned table",
	"v": "view",
	"m": "materialized view",
	"f": "foreign table",
	"S": "sequence",
}

// procKinds maps pg_proc.prokind to ward's resource types.
var procKinds = map[string]string{
	"f": "function",
	"p": "procedure",
	"a": "aggregate",
	"w": "window function",
}

// dbObjects is what one database holds: its objects with ACLs, and the
// tables and columns as resources.
type dbObjects struct {
	acl       []aclObject
	resources []inventory.Resource
}

// readObjects reads the schemas, relations, columns and functions of the
// database the transaction runs in.
func readObjects(ctx context.Context, tx pgx.Tx, db string,
	names func(uint32) string) (*dbObjects, error) {
	o := &dbObjects{}
	steps := []struct {
		what string
		fn   func(context.Context, pgx.Tx, string, func(uint32) string, *dbObjects) error
	}{
		{"schemas", readSchemas},
		{"relations", readRelations},
		{"columns", readColumns},
		{"functions", readFunctions},
	}
	for _, s := range steps {
		if err := s.fn(ctx, tx, db, names, o); err != nil {
			return nil, fmt.Errorf("read %s of database %s: %w", s.what, db, err)
		}
	}
	return o, nil
}

func readSchemas(ctx context.Context, tx pgx.Tx, db string, _ func(uint32) string,
	o *dbObjects) error {
	rows, err := tx.Query(ctx, `
SELECT n.nspname, n.nspowner, a.grantees, a.privileges, a.grantable
FROM pg_namespace n
CROSS JOIN LATERAL (
  SELECT array_agg(x.grantee) AS grantees, array_agg(x.privilege_type) AS privileges,
         array_agg(x.is_grantable) AS grantable
  FROM aclexplode(coalesce(n.nspacl, acldefault('n', n.nspowner))) x) a
WHERE `+userSchemas+`
ORDER BY n.nspname`)
	if err != nil {
		return err
	}
	var name string
	var owner uint32
	var acl aclArrays
	_, err = pgx.ForEachRow(rows, []any{&name, &owner, &acl.grantees, &acl.privileges,
		&acl.grantable}, func() error {
		o.acl = append(o.acl, aclObject{Resource: db + "." + name, ResourceType: "schema",
			Owner: owner, ACL: acl.entries()})
		return nil
	})
	return err
}

func readRelations(ctx context.Context, tx pgx.Tx, db string, names func(uint32) string,
	o *dbObjects) error {
	rows, err := tx.Query(ctx, `
SELECT n.nspname, c.relname, c.relkind::text, c.relowner, c.relrowsecurity,
       a.grantees, a.privileges, a.grantable
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
CROSS JOIN LATERAL (
  SELECT array_agg(x.grantee) AS grantees, array_agg(x.privilege_type) AS privileges,
         array_agg(x.is_grantable) AS grantable
  FROM aclexplode(coalesce(c.relacl,
         acldefault(CASE WHEN c.relkind = 'S' THEN 's' ELSE 'r' END::"char",
                    c.relowner))) x) a
WHERE c.relkind IN ('r','p','v','m','f','S') AND `+userSchemas+`
ORDER BY n.nspname, c.relname`)
	if err != nil {
		return err
	}
	var schema, rel, kind string
	var owner uint32
	var rls bool
	var acl aclArrays
	_, err = pgx.ForEachRow(rows, []any{&schema, &rel, &kind, &owner, &rls,
		&acl.grantees, &acl.privileges, &acl.grantable}, func() error {
		name := db + "." + schema + "." + rel
		typ := relKinds[kind]
		o.acl = append(o.acl, aclObject{Resource: name, ResourceType: typ, Owner: owner,
			ACL: acl.entries()})
		o.resources = append(o.resources, inventory.Resource{Name: name, Type: typ,
			Owner: names(owner), RLS: rls})
		return nil
	})
	return err
}

// readColumns lists every column of the relations that have columns, and
// the column-level ACLs (attacl) where there are any. A NULL attacl means
// no column grant, not a default: the table's ACL covers the column.
func readColumns(ctx context.Context, tx pgx.Tx, db string, names func(uint32) string,
	o *dbObjects) error {
	rows, err := tx.Query(ctx, `
SELECT n.nspname, c.relname, a.attname, c.relowner, g.grantees, g.privileges, g.grantable
FROM pg_attribute a
JOIN pg_class c ON c.oid = a.attrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
CROSS JOIN LATERAL (
  SELECT array_agg(x.grantee) AS grantees, array_agg(x.privilege_type) AS privileges,
         array_agg(x.is_grantable) AS grantable
  FROM aclexplode(a.attacl) x) g
WHERE a.attnum > 0 AND NOT a.attisdropped
  AND c.relkind IN ('r','p','v','m','f') AND `+userSchemas+`
ORDER BY n.nspname, c.relname, a.attnum`)
	if err != nil {
		return err
	}
	var schema, rel, col string
	var owner uint32
	var acl aclArrays
	_, err = pgx.ForEachRow(rows, []any{&schema, &rel, &col, &owner,
		&acl.grantees, &acl.privileges, &acl.grantable}, func() error {
		name := db + "." + schema + "." + rel + "." + col
		o.resources = append(o.resources, inventory.Resource{Name: name, Type: "column",
			Owner: names(owner)})
		if len(acl.grantees) > 0 {
			o.acl = append(o.acl, aclObject{Resource: name, ResourceType: "column",
				Owner: owner, ACL: acl.entries()})
		}
		return nil
	})
	return err
}

// readFunctions reads the functions of user schemas. Functions that belong
// to an extension keep their explicit grants but drop the PUBLIC EXECUTE
// that every function has by default, which would only add noise.
func readFunctions(ctx context.Context, tx pgx.Tx, db string, _ func(uint32) string,
	o *dbObjects) error {
	rows, err := tx.Query(ctx, `
SELECT n.nspname, p.proname, oidvectortypes(p.proargtypes), p.prokind::text, p.proowner,
       EXISTS (SELECT 1 FROM pg_depend d
               WHERE d.classid = 'pg_catalog.pg_proc'::regclass AND d.objid = p.oid
                 AND d.deptype = 'e'),
       a.grantees, a.privileges, a.grantable
FROM pg_proc p
JOIN pg_namespace n ON n.oid = p.pronamespace
CROSS JOIN LATERAL (
  SELECT array_agg(x.grantee) AS grantees, array_agg(x.privilege_type) AS privileges,
         array_agg(x.is_grantable) AS grantable
  FROM aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) x) a
WHERE `+userSchemas+`
ORDER BY n.nspname, p.proname, 3`)
	if err != nil {
		return err
	}
	var schema, fn, args, kind string
	var owner uint32
	var ext bool
	var acl aclArrays
	_, err = pgx.ForEachRow(rows, []any{&schema, &fn, &args, &kind, &owner, &ext,
		&acl.grantees, &acl.privileges, &acl.grantable}, func() error {
		o.acl = append(o.acl, aclObject{
			Resource:     db + "." + schema + "." + fn + "(" + args + ")",
			ResourceType: procKinds[kind],
			Owner:        owner,
			SkipPublic:   ext,
			ACL:          acl.entries(),
		})
		return nil
	})
	return err
}
