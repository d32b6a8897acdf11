package pgsource

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
)

// cluster holds what the shared catalogs say, read once per scan on the
// first database.
type cluster struct {
	version     string
	versionNum  int
	scanner     string
	scannerOID  uint32
	scannerSU   bool
	roles       []roleRow
	members     []authMemberRow
	databases   []database
	databaseACL map[uint32][]aclEntry
}

// database is one row of pg_database that the scan covers.
type database struct {
	oid  uint32
	name string
	dba  uint32
	// canConnect is has_database_privilege(current_user, oid, 'CONNECT'),
	// nil when the database was dropped after the list was read.
	canConnect *bool
}

func readCluster(ctx context.Context, tx pgx.Tx) (*cluster, error) {
	c := &cluster{}
	err := tx.QueryRow(ctx, `
SELECT current_setting('server_version'), current_setting('server_version_num')::int,
       r.rolname, r.oid, r.rolsuper
FROM pg_roles r WHERE r.rolname = current_user`).Scan(
		&c.version, &c.versionNum, &c.scanner, &c.scannerOID, &c.scannerSU)
	if err != nil {
		return nil, fmt.Errorf("read server version and scanner role: %w", err)
	}
	if c.roles, err = readRoles(ctx, tx); err != nil {
		return nil, err
	}
	if c.members, err = readAuthMembers(ctx, tx, c.versionNum); err != nil {
		return nil, err
	}
	if c.databases, c.databaseACL, err = readDatabases(ctx, tx); err != nil {
		return nil, err
	}
	return c, nil
}

// readRoles reads every role, predefined ones included: they are nodes of
// the membership graph. pg_roles is readable by PUBLIC; rolpassword is not
// selected (it is always masked there anyway).
func readRoles(ctx context.Context, tx pgx.Tx) ([]roleRow, error) {
	rows, err := tx.Query(ctx, `
SELECT r.oid, r.rolname, r.rolcanlogin, r.rolsuper, r.rolcreaterole, r.rolcreatedb,
       r.rolreplication, r.rolbypassrls, r.rolinherit, r.rolconnlimit,
       r.rolvaliduntil, r.rolconfig, shobj_description(r.oid, 'pg_authid')
FROM pg_roles r
ORDER BY r.rolname`)
	if err != nil {
		return nil, fmt.Errorf("read roles: %w", err)
	}
	var out []roleRow
	for rows.Next() {
		var r roleRow
		var until pgtype.Timestamptz
		var comment *string
		if err := rows.Scan(&r.OID, &r.Name, &r.CanLogin, &r.Super, &r.CreateRole,
			&r.CreateDB, &r.Replication, &r.BypassRLS, &r.Inherit, &r.ConnLimit,
			&until, &r.Config, &comment); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read roles: %w", err)
		}
		r.ValidUntil = validUntil(until)
		if comment != nil {
			r.Comment = *comment
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read roles: %w", err)
	}
	return out, nil
}

// validUntil maps rolvaliduntil to a time, nil for NULL and 'infinity'
// (never expires); '-infinity' is the zero time (always expired).
func validUntil(t pgtype.Timestamptz) *time.Time {
	switch {
	case !t.Valid, t.InfinityModifier == pgtype.Infinity:
		return nil
	case t.InfinityModifier == pgtype.NegativeInfinity:
		return &time.Time{}
	}
	v := t.Time.UTC()
	return &v
}

// readAuthMembers reads pg_auth_members, with the per-grant options of
// PostgreSQL 16 and later when the server has them.
func readAuthMembers(ctx context.Context, tx pgx.Tx, versionNum int) ([]authMemberRow, error) {
	q := `SELECT roleid, member, grantor, admin_option, NULL::bool, NULL::bool
FROM pg_auth_members ORDER BY roleid, member, grantor`
	if versionNum >= pg16 {
		q = `SELECT roleid, member, grantor, admin_option, inherit_option, set_option
FROM pg_auth_members ORDER BY roleid, member, grantor`
	}
	rows, err := tx.Query(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("read role memberships: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (authMemberRow, error) {
		var m authMemberRow
		err := r.Scan(&m.RoleID, &m.Member, &m.Grantor, &m.AdminOption,
			&m.InheritOption, &m.SetOption)
		return m, err
	})
	if err != nil {
		return nil, fmt.Errorf("read role memberships: %w", err)
	}
	return out, nil
}

// readDatabases lists the databases a scan covers (connectable, not
// templates) with their ACLs.
func readDatabases(ctx context.Context, tx pgx.Tx) ([]database, map[uint32][]aclEntry, error) {
	rows, err := tx.Query(ctx, `
SELECT d.oid, d.datname, d.datdba, has_database_privilege(d.oid, 'CONNECT'),
       a.grantees, a.privileges, a.grantable
FROM pg_database d
CROSS JOIN LATERAL (
  SELECT array_agg(x.grantee) AS grantees, array_agg(x.privilege_type) AS privileges,
         array_agg(x.is_grantable) AS grantable
  FROM aclexplode(coalesce(d.datacl, acldefault('d', d.datdba))) x) a
WHERE d.datallowconn AND NOT d.datistemplate
ORDER BY d.datname`)
	if err != nil {
		return nil, nil, fmt.Errorf("read databases: %w", err)
	}
	defer rows.Close()
	var dbs []database
	acls := map[uint32][]aclEntry{}
	for rows.Next() {
		var d database
		var acl aclArrays
		if err := rows.Scan(&d.oid, &d.name, &d.dba, &d.canConnect,
			&acl.grantees, &acl.privileges, &acl.grantable); err != nil {
			return nil, nil, fmt.Errorf("read databases: %w", err)
		}
		dbs = append(dbs, d)
		acls[d.oid] = acl.entries()
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("read databases: %w", err)
	}
	return dbs, acls, nil
}

// aclArrays are the three parallel arrays that the catalog queries
// aggregate from aclexplode().
type aclArrays struct {
	grantees   []uint32
	privileges []string
	grantable  []bool
}

func (a aclArrays) entries() []aclEntry {
	n := min(len(a.grantees), len(a.privileges), len(a.grantable))
	out := make([]aclEntry, n)
	for i := range n {
		out[i] = aclEntry{Grantee: a.grantees[i], Privilege: internPrivilege(a.privileges[i]),
			Grantable: a.grantable[i]}
	}
	return out
}

// internPrivilege returns the constant string for a privilege name, so
// that the hundreds of thousands of ACL entries and grants of a large
// estate share a dozen strings instead of holding one copy each.
func internPrivilege(p string) string {
	switch p {
	case "SELECT":
		return "SELECT"
	case "INSERT":
		return "INSERT"
	case "UPDATE":
		return "UPDATE"
	case "DELETE":
		return "DELETE"
	case "TRUNCATE":
		return "TRUNCATE"
	case "REFERENCES":
		return "REFERENCES"
	case "TRIGGER":
		return "TRIGGER"
	case "USAGE":
		return "USAGE"
	case "CREATE":
		return "CREATE"
	case "CONNECT":
		return "CONNECT"
	case "TEMPORARY":
		return "TEMPORARY"
	case "EXECUTE":
		return "EXECUTE"
	}
	return p
}
