package phi

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/wardsec/ward/internal/inventory"
)

// Predefined PostgreSQL roles that read or write every table of every
// database, whatever the tables' ACLs say.
var allDataRoles = []string{"pg_read_all_data", "pg_write_all_data"}

// Index tells which databases and schemas of a marked snapshot hold PHI. It
// knows only what was scanned: a database the connector could not read
// counts as holding none.
type Index struct {
	databases map[string]bool // database name
	schemas   map[string]bool // "database.schema"
}

// IndexOf builds the Index of a snapshot that Mark has marked, from its PHI
// resources and from its accounts' PHI grants (which may name resources the
// snapshot does not list).
func IndexOf(s *inventory.Snapshot) *Index {
	x := &Index{databases: map[string]bool{}, schemas: map[string]bool{}}
	for _, r := range s.Resources {
		if r.PHI {
			x.add(r.Name)
		}
	}
	for _, a := range s.Accounts {
		for _, g := range a.Grants {
			if g.PHI {
				x.add(g.Resource)
			}
		}
	}
	return x
}

func (x *Index) add(name string) {
	db, rest, ok := strings.Cut(name, ".")
	if !ok {
		return
	}
	schema, _, ok := strings.Cut(rest, ".")
	if !ok {
		return
	}
	x.databases[db] = true
	x.schemas[db+"."+schema] = true
}

// Any reports whether the snapshot holds any PHI.
func (x *Index) Any() bool { return x != nil && len(x.databases) > 0 }

// Database reports whether the database holds a PHI table or column. Names
// are compared exactly, as the connector reported them.
func (x *Index) Database(db string) bool { return x != nil && x.databases[db] }

// Schema reports whether the schema of the database holds a PHI table or
// column.
func (x *Index) Schema(db, schema string) bool {
	return x != nil && x.schemas[db+"."+schema]
}

// Databases returns the names of the databases that hold PHI, sorted.
func (x *Index) Databases() []string {
	if x == nil {
		return nil
	}
	out := make([]string, 0, len(x.databases))
	for db := range x.databases {
		out = append(out, db)
	}
	sort.Strings(out)
	return out
}

// ReachesPHI reports whether the account can read or change PHI, with a
// reason for the report. It needs the snapshot's Index because some powers
// reach every table without a grant on any: an account reaches PHI when
//
//   - one of its grants is PHI-marked (a grant usable only after SET ROLE
//     counts, and the reason says so), or
//   - it is a superuser, or holds pg_read_all_data or pg_write_all_data
//     (directly, through roles, or by SET ROLE), and the snapshot holds PHI.
//
// A nil Index means no PHI is known outside the grants. CREATEROLE, which in
// PostgreSQL 15 lets a role grant itself pg_read_all_data, is a path to PHI
// rather than reach; rules report it on their own.
func ReachesPHI(a inventory.Account, x *Index) (bool, string) {
	if x.Any() {
		where := strings.Join(x.Databases(), ", ")
		if a.Attributes.Superuser {
			return true, "superuser: reaches every table, including PHI in " + where
		}
		if role, setRole, ok := allDataRole(a); ok {
			why := fmt.Sprintf("%s: reaches every table, including PHI in %s", role, where)
			if setRole {
				why += ", after SET ROLE"
			}
			return true, why
		}
	}

	var later *inventory.Grant
	for i := range a.Grants {
		g := &a.Grants[i]
		switch {
		case !g.PHI:
		case !g.SetRoleOnly:
			return true, fmt.Sprintf("%s on PHI %s %s", g.Privilege, g.ResourceType, g.Resource)
		case later == nil:
			later = g
		}
	}
	if later != nil {
		return true, fmt.Sprintf("%s on PHI %s %s after SET ROLE", later.Privilege,
			later.ResourceType, later.Resource)
	}
	return false, ""
}

// allDataRole returns the first of allDataRoles the account holds, and
// whether it holds it only through a NOINHERIT membership (usable after SET
// ROLE). DangerousRoles does not say how a role is held, so a role listed
// there without an inheriting membership counts as held directly.
func allDataRole(a inventory.Account) (role string, setRole, ok bool) {
	for _, role := range allDataRoles {
		inherited, member := false, false
		for _, m := range a.Memberships {
			if m.Role == role {
				member = true
				inherited = inherited || m.Inherit
			}
		}
		if inherited || slices.Contains(a.Attributes.DangerousRoles, role) {
			return role, false, true
		}
		if member {
			return role, true, true
		}
	}
	return "", false, false
}
