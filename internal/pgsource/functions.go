package pgsource

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/wardsec/ward/internal/inventory"
)

// readFunctions reads the functions, procedures and aggregates of user
// schemas: their ACL (PUBLIC's default EXECUTE included, from acldefault
// when proacl is NULL) and, as inventory.Function, what makes one
// dangerous: SECURITY DEFINER, its owner and whether that owner is a
// superuser, a pinned search_path, and who may execute it.
func readFunctions(ctx context.Context, tx pgx.Tx, db *dbScope, o *dbObjects) error {
	rows, err := tx.Query(ctx, `
SELECT n.nspname, p.proname, oidvectortypes(p.proargtypes), p.prokind::text, p.proowner,
       p.prosecdef, coalesce(l.lanname, ''),
       coalesce((SELECT bool_or(c LIKE 'search\_path=%') FROM unnest(p.proconfig) c), false),
       coalesce((SELECT e.extname FROM pg_depend d
                 JOIN pg_extension e ON e.oid = d.refobjid
                 WHERE d.classid = 'pg_catalog.pg_proc'::regclass AND d.objid = p.oid
                   AND d.refclassid = 'pg_catalog.pg_extension'::regclass
                   AND d.deptype = 'e' LIMIT 1), ''),
       a.grantees, a.privileges, a.grantable
FROM pg_proc p
JOIN pg_namespace n ON n.oid = p.pronamespace
LEFT JOIN pg_language l ON l.oid = p.prolang`+
		fmt.Sprintf(aclColumns, "coalesce(p.proacl, acldefault('f', p.proowner))")+`
WHERE `+userSchemas+`
ORDER BY n.nspname, p.proname, 3`)
	if err != nil {
		return err
	}
	var schema, fn, args, kind, lang, ext string
	var owner uint32
	var secdef, pinned bool
	var acl aclArrays
	_, err = pgx.ForEachRow(rows, []any{&schema, &fn, &args, &kind, &owner, &secdef, &lang,
		&pinned, &ext, &acl.grantees, &acl.privileges, &acl.grantable}, func() error {
		name := db.name + "." + schema + "." + fn + "(" + args + ")"
		obj := aclObject{Resource: name, ResourceType: procKinds[kind], Owner: owner,
			ACL: mergeEntries(acl.entries())}
		o.acl = append(o.acl, obj)

		f := inventory.Function{
			Name:             name,
			Owner:            db.ownerName(owner),
			SecurityDefiner:  secdef,
			SearchPathPinned: pinned,
			Language:         lang,
			Extension:        ext,
			Executors:        executors(db.graph, obj.ACL),
		}
		if r := db.ownerRole(owner); r != nil {
			f.OwnerSuperuser = r.Super
		}
		o.functions = append(o.functions, f)
		return nil
	})
	return err
}

// executors names the grantees of EXECUTE in a merged ACL, "PUBLIC"
// included, sorted.
func executors(g *roleGraph, acl []aclEntry) []string {
	out := []string{}
	for _, e := range acl {
		if e.Privilege == "EXECUTE" {
			out = append(out, g.name(e.Grantee))
		}
	}
	slices.Sort(out)
	return out
}

// defaultObjectTypes maps pg_default_acl.defaclobjtype to ward's words.
var defaultObjectTypes = map[string]string{
	"r": "table",
	"S": "sequence",
	"f": "function",
	"T": "type",
	"n": "schema",
}

// builtinPublic is what PUBLIC gets on new objects of a type when no
// default privilege says otherwise: EXECUTE on functions and USAGE on
// types (acldefault); nothing on tables, sequences and schemas.
var builtinPublic = map[string]string{"f": "EXECUTE", "T": "USAGE"}

// readDefaultPrivileges reads pg_default_acl (ALTER DEFAULT PRIVILEGES).
// A row applies only to objects that its FOR role creates later, in one
// schema or (defaclnamespace 0) anywhere in the database; several rows may
// share an object type (edge 13), so rows are read one by one.
//
// A database-wide row replaces the built-in default ACL of its type, so
// a grantee of the built-in default that is missing from it has lost its
// privilege: for PUBLIC on functions and types this is how
// "REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC" shows (edge 14), and it is
// reported as an entry for PUBLIC with no privileges. A per-schema row
// only adds to the database-wide one. The FOR role's own privileges on
// its future objects are not listed: an owner can always grant them back.
func readDefaultPrivileges(ctx context.Context, tx pgx.Tx, db *dbScope, o *dbObjects) error {
	rows, err := tx.Query(ctx, `
SELECT d.defaclrole, coalesce(n.nspname, ''), d.defaclobjtype::text,
       a.grantees, a.privileges, a.grantable
FROM pg_default_acl d
LEFT JOIN pg_namespace n ON n.oid = d.defaclnamespace`+
		fmt.Sprintf(aclColumns, "d.defaclacl")+`
ORDER BY 1, 2, 3`)
	if err != nil {
		return err
	}
	var role uint32
	var schema, typ string
	var acl aclArrays
	_, err = pgx.ForEachRow(rows, []any{&role, &schema, &typ, &acl.grantees, &acl.privileges,
		&acl.grantable}, func() error {
		o.defaults = append(o.defaults, defaultEntries(db, role, schema, typ, acl.entries())...)
		acl = aclArrays{}
		return nil
	})
	return err
}

// defaultEntries turns one pg_default_acl row into entries, one per
// grantee other than the FOR role, in grantee order, PUBLIC first.
func defaultEntries(db *dbScope, role uint32, schema, typ string,
	acl []aclEntry) []inventory.DefaultPrivilege {
	byGrantee := map[uint32][]string{}
	var order []uint32
	for _, e := range acl {
		if e.Grantee == role {
			continue
		}
		if _, seen := byGrantee[e.Grantee]; !seen {
			order = append(order, e.Grantee)
		}
		if !slices.Contains(byGrantee[e.Grantee], e.Privilege) {
			byGrantee[e.Grantee] = append(byGrantee[e.Grantee], e.Privilege)
		}
	}
	if _, pub := byGrantee[publicOID]; !pub && schema == "" && builtinPublic[typ] != "" {
		// Revoked from PUBLIC: an entry with no privileges says so.
		byGrantee[publicOID] = []string{}
		order = append(order, publicOID)
	}
	slices.SortFunc(order, func(a, b uint32) int {
		switch {
		case a == b:
			return 0
		case a == publicOID:
			return -1
		case b == publicOID:
			return 1
		}
		return strings.Compare(db.graph.name(a), db.graph.name(b))
	})

	objType := defaultObjectTypes[typ]
	if objType == "" {
		objType = typ
	}
	out := make([]inventory.DefaultPrivilege, 0, len(order))
	for _, g := range order {
		privs := byGrantee[g]
		slices.Sort(privs)
		out = append(out, inventory.DefaultPrivilege{
			Database:   db.name,
			ForRole:    db.graph.name(role),
			Schema:     schema,
			ObjectType: objType,
			Grantee:    db.graph.name(g),
			Privileges: privs,
		})
	}
	return out
}
