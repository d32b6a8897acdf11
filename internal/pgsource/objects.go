package pgsource

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/wardsec/ward/internal/inventory"
)

// userSchemas is the filter that keeps system schemas out: pg_catalog,
// pg_toast*, pg_temp_* (PostgreSQL reserves the pg_ prefix) and
// information_schema.
const userSchemas = `n.nspname <> 'information_schema' AND n.nspname !~ '^pg_'`

// aclColumns aggregates the exploded ACL named by the expression in %s
// into three parallel arrays, one row per object.
const aclColumns = `
CROSS JOIN LATERAL (
  SELECT array_agg(x.grantee) AS grantees, array_agg(x.privilege_type) AS privileges,
         array_agg(x.is_grantable) AS grantable
  FROM aclexplode(%s) x) a`

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

// dbScope is what the readers of one database need to know about it.
type dbScope struct {
	name  string
	dba   uint32
	graph *roleGraph
}

// ownerName names the owner of an object of the database. An object owned
// by pg_database_owner is named after the database's owner, who is the
// one role that holds its rights.
func (d *dbScope) ownerName(oid uint32) string {
	if oid == databaseOwnerOID && d.dba != 0 {
		oid = d.dba
	}
	return d.graph.name(oid)
}

// ownerRole is ownerName's role row, nil when unknown.
func (d *dbScope) ownerRole(oid uint32) *roleRow {
	if oid == databaseOwnerOID && d.dba != 0 {
		oid = d.dba
	}
	return d.graph.roles[oid]
}

// relation is what columns need to know of their table.
type relation struct {
	name  string
	owner uint32
}

// dbObjects is what one database holds: its objects with ACLs, the tables
// and columns as resources, its functions and default privileges, and the
// parts that could not be read.
type dbObjects struct {
	acl       []aclObject
	resources []inventory.Resource
	functions []inventory.Function
	defaults  []inventory.DefaultPrivilege
	relations map[uint32]relation
	failed    []stepFailure
}

// stepFailure is one catalog read of a database that failed.
type stepFailure struct {
	what string
	err  error
}

// objectStep reads one kind of object into a dbObjects.
type objectStep struct {
	what string
	fn   func(context.Context, pgx.Tx, *dbScope, *dbObjects) error
	// needs names a step whose result this one requires.
	needs string
}

var objectSteps = []objectStep{
	{what: "schemas", fn: readSchemas},
	{what: "relations", fn: readRelations},
	{what: "columns", fn: readColumns, needs: "relations"},
	{what: "functions", fn: readFunctions},
	{what: "default privileges", fn: readDefaultPrivileges},
}

// errSkipped marks a step not run because one it needs failed.
var errSkipped = errors.New("not read, because an earlier read it needs failed")

// readObjects reads the schemas, relations, columns, functions and
// default privileges of the database the transaction runs in. Each read
// runs in its own savepoint: one that fails (a catalog made unreadable, a
// timeout) is recorded in failed, and the others still run, so the
// result says exactly which parts of the database it covers.
func readObjects(ctx context.Context, tx pgx.Tx, db *dbScope) *dbObjects {
	o := &dbObjects{relations: map[uint32]relation{}}
	failed := map[string]bool{}
	for _, s := range objectSteps {
		var err error
		if s.needs != "" && failed[s.needs] {
			err = errSkipped
		} else {
			err = optional(ctx, tx, func(sp pgx.Tx) error { return s.fn(ctx, sp, db, o) })
		}
		if err != nil {
			failed[s.what] = true
			o.failed = append(o.failed, stepFailure{what: s.what, err: err})
		}
	}
	return o
}

// stepHint suggests the grant that lets a failed catalog read run.
func stepHint(err error, db, scanner string) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "42501" {
		const prefix = "permission denied for table "
		if t, ok := strings.CutPrefix(pgErr.Message, prefix); ok {
			return fmt.Sprintf("in database %s: GRANT SELECT ON pg_catalog.%s TO %s;",
				quoteIdent(db), quoteIdent(t), quoteIdent(scanner))
		}
		return "give the scanner back the catalog privilege named in the error"
	}
	return hintFor(err)
}

func readSchemas(ctx context.Context, tx pgx.Tx, db *dbScope, o *dbObjects) error {
	rows, err := tx.Query(ctx, `
SELECT n.nspname, n.nspowner, a.grantees, a.privileges, a.grantable
FROM pg_namespace n`+fmt.Sprintf(aclColumns, "coalesce(n.nspacl, acldefault('n', n.nspowner))")+`
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
		o.acl = append(o.acl, aclObject{Resource: db.name + "." + name, ResourceType: "schema",
			Owner: owner, PublicSchema: name == "public", ACL: acl.entries()})
		return nil
	})
	return err
}

// readRelations reads the tables, views, materialized views, foreign
// tables and sequences, with their owner, row-level security flags and
// policy names (policies are listed even while RLS is disabled).
func readRelations(ctx context.Context, tx pgx.Tx, db *dbScope, o *dbObjects) error {
	rows, err := tx.Query(ctx, `
SELECT c.oid, n.nspname, c.relname, c.relkind::text, c.relowner, c.relrowsecurity,
       c.relforcerowsecurity, p.policies, a.grantees, a.privileges, a.grantable
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace`+fmt.Sprintf(aclColumns, `coalesce(c.relacl,
         acldefault(CASE WHEN c.relkind = 'S' THEN 's' ELSE 'r' END::"char", c.relowner))`)+`
LEFT JOIN LATERAL (
  SELECT array_agg(pol.polname::text ORDER BY pol.polname) AS policies
  FROM pg_policy pol WHERE pol.polrelid = c.oid) p ON c.relkind IN ('r','p')
WHERE c.relkind IN ('r','p','v','m','f','S') AND `+userSchemas+`
ORDER BY n.nspname, c.relname`)
	if err != nil {
		return err
	}
	var oid, owner uint32
	var schema, rel, kind string
	var rls, force bool
	var policies []string
	var acl aclArrays
	_, err = pgx.ForEachRow(rows, []any{&oid, &schema, &rel, &kind, &owner, &rls, &force,
		&policies, &acl.grantees, &acl.privileges, &acl.grantable}, func() error {
		name := db.name + "." + schema + "." + rel
		typ := relKinds[kind]
		o.acl = append(o.acl, aclObject{Resource: name, ResourceType: typ, Owner: owner,
			ACL: acl.entries()})
		o.resources = append(o.resources, inventory.Resource{Name: name, Type: typ,
			Owner: db.ownerName(owner), RLS: rls, ForceRLS: force, Policies: policies})
		o.relations[oid] = relation{name: name, owner: owner}
		policies = nil
		return nil
	})
	return err
}

// readColumns lists every column of the relations that have columns, and
// the column-level ACLs (attacl) where there are any. A NULL attacl means
// no column grant, not a default: the table's ACL covers the column.
// Columns are matched to the relations read before by OID.
func readColumns(ctx context.Context, tx pgx.Tx, db *dbScope, o *dbObjects) error {
	rows, err := tx.Query(ctx, `
SELECT a.attrelid, a.attname, g.grantees, g.privileges, g.grantable
FROM pg_attribute a
JOIN pg_class c ON c.oid = a.attrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN LATERAL (
  SELECT array_agg(x.grantee) AS grantees, array_agg(x.privilege_type) AS privileges,
         array_agg(x.is_grantable) AS grantable
  FROM aclexplode(a.attacl) x) g ON a.attacl IS NOT NULL
WHERE a.attnum > 0 AND NOT a.attisdropped
  AND c.relkind IN ('r','p','v','m','f') AND `+userSchemas+`
ORDER BY a.attrelid, a.attnum`)
	if err != nil {
		return err
	}
	var relid uint32
	var col string
	var acl aclArrays
	_, err = pgx.ForEachRow(rows, []any{&relid, &col, &acl.grantees, &acl.privileges,
		&acl.grantable}, func() error {
		rel, ok := o.relations[relid]
		if !ok {
			// Created after the relations were read; the same snapshot
			// makes this impossible, but a missing name must not panic.
			return nil
		}
		name := rel.name + "." + col
		o.resources = append(o.resources, inventory.Resource{Name: name, Type: "column",
			Owner: db.ownerName(rel.owner)})
		if len(acl.grantees) > 0 {
			o.acl = append(o.acl, aclObject{Resource: name, ResourceType: "column",
				Owner: rel.owner, ACL: acl.entries()})
		}
		acl = aclArrays{}
		return nil
	})
	return err
}
