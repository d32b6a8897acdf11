package rules

import (
	"slices"
	"strings"

	"github.com/wardsec/ward/internal/inventory"
)

// isRelation reports whether a resource type holds rows: a table, view,
// materialized view, foreign table or partitioned table.
func isRelation(typ string) bool {
	switch strings.ToLower(typ) {
	case "table", "view", "materialized view", "foreign table", "partitioned table":
		return true
	}
	return false
}

// isPlainTable reports whether a resource type is a table whose ownership
// can move without changing what it does: a table or a partitioned table.
// A view runs with its owner's rights and a materialized view can be
// refreshed only by its owner, so moving those changes behaviour.
func isPlainTable(typ string) bool {
	t := strings.ToLower(typ)
	return t == "table" || t == "partitioned table"
}

func isColumn(typ string) bool { return strings.EqualFold(typ, "column") }

// relationParts splits "database.schema.table" into its parts; ok is false
// when the name does not have exactly three parts that can be written in
// SQL (a name with a dot inside an identifier is ambiguous).
func relationParts(name string) (db, schema, table string, ok bool) {
	parts := strings.Split(name, ".")
	if len(parts) != 3 {
		return "", "", "", false
	}
	for _, p := range parts {
		if !validName(p) {
			return "", "", "", false
		}
	}
	return parts[0], parts[1], parts[2], true
}

// schemaOf returns "database.schema" of a relation or column name: its
// first two dot-separated parts.
func schemaOf(name string) string {
	db, rest, _ := strings.Cut(name, ".")
	schema, _, _ := strings.Cut(rest, ".")
	return db + "." + schema
}

// tableOf returns the table of a column name "database.schema.table.column".
func tableOf(column string) string {
	i := strings.LastIndexByte(column, '.')
	if i < 0 {
		return column
	}
	return column[:i]
}

// byResourceName orders resources by name, for slices.SortFunc.
func byResourceName(x, y *inventory.Resource) int { return strings.Compare(x.Name, y.Name) }

// dataPrivileges are the privileges that read or change a table's rows, in
// the order PostgreSQL lists them.
func dataPrivileges() []string {
	return []string{"SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE"}
}

// isPHI reports whether the table, view or column a grant names is PHI:
// marked on the grant, on the snapshot's resource, or, for a column the
// snapshot does not list, on its table.
func (e *eval) isPHI(g inventory.Grant) bool {
	if g.PHI {
		return true
	}
	if r, ok := e.byResource[g.Resource]; ok {
		return r.PHI
	}
	if isColumn(g.ResourceType) {
		if r, ok := e.byResource[tableOf(g.Resource)]; ok {
			return r.PHI
		}
	}
	return false
}

// phiReason returns why a resource is PHI, as the phi package recorded it.
func (e *eval) phiReason(name string) string {
	if r, ok := e.byResource[name]; ok {
		return r.PHIReason
	}
	return ""
}

// inherits reports whether a holds role's privileges without SET ROLE.
func inherits(a *inventory.Account, role string) bool {
	m := membership(a, role)
	return m != nil && m.Inherit
}

// ownsOrInherits reports whether a is owner, or holds owner's privileges
// through an inherited membership; PostgreSQL then treats it as the owner.
func ownsOrInherits(a *inventory.Account, owner string) bool {
	return owner != "" && (a.Name == owner || inherits(a, owner))
}

// publicHolds reports whether the snapshot lists priv on resource among
// PUBLIC's privileges.
func (e *eval) publicHolds(priv, resource string) bool {
	return e.public[[2]string{strings.ToUpper(priv), resource}]
}

// memberRef is one account's membership in a role.
type memberRef struct {
	account *inventory.Account
	m       *inventory.Membership
}

// membersOf returns the accounts that belong to role, directly or through
// other roles, in snapshot order.
func (e *eval) membersOf(role string) []memberRef {
	if e.members == nil {
		e.members = map[string][]memberRef{}
		for i := range e.snap.Accounts {
			a := &e.snap.Accounts[i]
			for j := range a.Memberships {
				m := &a.Memberships[j]
				e.members[m.Role] = append(e.members[m.Role], memberRef{account: a, m: m})
			}
		}
	}
	return e.members[role]
}

// schemaUsersOf returns, sorted, the logins that hold USAGE on a schema
// ("database.schema") by a grant of any path.
func (e *eval) schemaUsersOf(schema string) []string {
	if e.schemaUsers == nil {
		e.schemaUsers = map[string][]string{}
		for i := range e.snap.Accounts {
			a := &e.snap.Accounts[i]
			if !e.isLogin(a) {
				continue
			}
			seen := map[string]bool{}
			for _, g := range a.Grants {
				if strings.EqualFold(g.ResourceType, "schema") &&
					strings.EqualFold(g.Privilege, "USAGE") && !seen[g.Resource] {
					seen[g.Resource] = true
					e.schemaUsers[g.Resource] = append(e.schemaUsers[g.Resource], a.Name)
				}
			}
		}
		for _, names := range e.schemaUsers {
			slices.Sort(names)
		}
	}
	return e.schemaUsers[schema]
}
