package pgsource

import (
	"slices"
	"sort"
	"time"
)

// Well-known role OIDs of every PostgreSQL cluster.
const (
	// bootstrapOID is the role created by initdb, usually "postgres".
	bootstrapOID uint32 = 10
	// publicOID is the grantee PUBLIC in an ACL.
	publicOID uint32 = 0
	// databaseOwnerOID is pg_database_owner (PostgreSQL 14+), whose only
	// implicit member is the owner of the current database.
	databaseOwnerOID uint32 = 6171
)

// pg16 is the first server_version_num with per-grant inherit and set
// options in pg_auth_members.
const pg16 = 160000

// roleRow is one row of pg_roles. The JSON tags name the catalog columns so
// catalog fixtures can be written as plain rows.
type roleRow struct {
	OID         uint32     `json:"oid"`
	Name        string     `json:"rolname"`
	CanLogin    bool       `json:"rolcanlogin"`
	Super       bool       `json:"rolsuper"`
	CreateRole  bool       `json:"rolcreaterole"`
	CreateDB    bool       `json:"rolcreatedb"`
	Replication bool       `json:"rolreplication"`
	BypassRLS   bool       `json:"rolbypassrls"`
	Inherit     bool       `json:"rolinherit"`
	ConnLimit   int        `json:"rolconnlimit"`
	ValidUntil  *time.Time `json:"rolvaliduntil"`
	Config      []string   `json:"rolconfig"`
	Comment     string     `json:"comment"`
}

// authMemberRow is one row of pg_auth_members. InheritOption and SetOption
// exist from PostgreSQL 16 on and are nil before.
type authMemberRow struct {
	RoleID        uint32 `json:"roleid"`
	Member        uint32 `json:"member"`
	Grantor       uint32 `json:"grantor"`
	AdminOption   bool   `json:"admin_option"`
	InheritOption *bool  `json:"inherit_option"`
	SetOption     *bool  `json:"set_option"`
}

// edge is the union of every grant of one role to one member.
type edge struct {
	role    uint32
	inherit bool // the member holds the role's privileges without SET ROLE
	set     bool // the member may SET ROLE to the role
	admin   bool
}

// roleGraph is the membership graph of a cluster, with the semantics of
// the server version already applied to each edge.
type roleGraph struct {
	roles map[uint32]*roleRow
	// up maps a member to the roles granted to it.
	up map[uint32][]edge
}

// newRoleGraph builds the graph from catalog rows. Before PostgreSQL 16 a
// hop confers privileges only when its member side has rolinherit, and any
// membership allows SET ROLE. From 16 on, each grant carries its own
// inherit and set options, a pair may have several grants (one per
// grantor) and the options of a pair are the union of its grants.
func newRoleGraph(version int, roles []roleRow, members []authMemberRow) *roleGraph {
	g := &roleGraph{
		roles: make(map[uint32]*roleRow, len(roles)),
		up:    make(map[uint32][]edge),
	}
	for i := range roles {
		g.roles[roles[i].OID] = &roles[i]
	}

	type pair struct{ role, member uint32 }
	merged := make(map[pair]edge, len(members))
	var order []pair
	for _, m := range members {
		e := edge{role: m.RoleID, admin: m.AdminOption}
		if version >= pg16 {
			e.inherit = m.InheritOption != nil && *m.InheritOption
			e.set = m.SetOption != nil && *m.SetOption
		} else {
			member := g.roles[m.Member]
			e.inherit = member != nil && member.Inherit
			e.set = true
		}
		p := pair{m.RoleID, m.Member}
		old, seen := merged[p]
		if !seen {
			order = append(order, p)
		}
		old.role = e.role
		old.inherit = old.inherit || e.inherit
		old.set = old.set || e.set
		old.admin = old.admin || e.admin
		merged[p] = old
	}

	for _, p := range order {
		g.up[p.member] = append(g.up[p.member], merged[p])
	}
	for m := range g.up {
		es := g.up[m]
		sort.Slice(es, func(i, j int) bool { return g.name(es[i].role) < g.name(es[j].role) })
	}
	return g
}

// withDatabaseOwner returns a graph in which dba is an implicit member of
// pg_database_owner, as it is inside the database dba owns. The receiver
// is not changed.
func (g *roleGraph) withDatabaseOwner(version int, dba uint32) *roleGraph {
	if _, ok := g.roles[databaseOwnerOID]; !ok || dba == 0 {
		return g
	}
	c := &roleGraph{roles: g.roles, up: make(map[uint32][]edge, len(g.up))}
	for k, v := range g.up {
		c.up[k] = v
	}
	e := edge{role: databaseOwnerOID, set: true, inherit: true}
	if version < pg16 {
		// Before 16 the implicit membership is expanded only for a dba
		// that inherits, like any other hop.
		r := g.roles[dba]
		e.inherit = r != nil && r.Inherit
	}
	c.up[dba] = append(append([]edge(nil), g.up[dba]...), e)
	return c
}

// name returns the role's name, or its OID in brackets for a role that is
// not in the catalog rows (dropped concurrently).
func (g *roleGraph) name(oid uint32) string {
	if oid == publicOID {
		return "PUBLIC"
	}
	if r, ok := g.roles[oid]; ok {
		return r.Name
	}
	return "[role " + uitoa(oid) + "]"
}

func uitoa(v uint32) string {
	var b [10]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + v%10)
		v /= 10
		if v == 0 {
			return string(b[i:])
		}
	}
}

// hop is how a role was reached in a walk: the role before it and the
// edge that was followed.
type hop struct {
	from uint32
	edge edge
}

// walk is a breadth-first walk up the graph from one role. It records the
// first (shortest, then alphabetical) way each role was reached, which is
// also what keeps membership cycles from looping.
type walk struct {
	start uint32
	via   map[uint32]hop
	order []uint32 // reached roles in walk order, start excluded
}

// walkUp follows the edges that follow accepts, starting at start.
func (g *roleGraph) walkUp(start uint32, follow func(edge) bool) *walk {
	w := &walk{start: start, via: map[uint32]hop{start: {}}}
	queue := []uint32{start}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		for _, e := range g.up[cur] {
			if !follow(e) {
				continue
			}
			if _, seen := w.via[e.role]; seen {
				continue
			}
			w.via[e.role] = hop{from: cur, edge: e}
			w.order = append(w.order, e.role)
			queue = append(queue, e.role)
		}
	}
	return w
}

// path returns the role names from the first role after the start up to
// and including to; nil for the start itself. The slice is clipped, so a
// caller appending to it cannot write into a path shared by other grants.
func (w *walk) path(g *roleGraph, to uint32) []string {
	var rev []string
	for cur := to; cur != w.start; cur = w.via[cur].from {
		rev = append(rev, g.name(cur))
	}
	slices.Reverse(rev)
	return slices.Clip(rev)
}

func followAll(edge) bool       { return true }
func followInherit(e edge) bool { return e.inherit }
func followSet(e edge) bool     { return e.set }

// reach is how an account gets a role's privileges.
type reach struct {
	role uint32
	// path is the chain of role names from the account to role; nil when
	// role is the account itself.
	path []string
	// setRoleOnly is true when the privileges are reachable only after
	// SET ROLE, because some hop does not inherit.
	setRoleOnly bool
}

// reachable lists the roles whose privileges account can use: first the
// roles it holds through inheritance (the account itself included), then
// those it can only use after SET ROLE. After SET ROLE r the session has
// the privileges of r and of what r inherits, so the second set is the
// inheritance closure of every role the account may SET ROLE to.
func (g *roleGraph) reachable(account uint32) []reach {
	inh := g.walkUp(account, followInherit)
	out := make([]reach, 0, len(inh.order)+1)
	out = append(out, reach{role: account})
	for _, r := range inh.order {
		out = append(out, reach{role: r, path: inh.path(g, r)})
	}

	set := g.walkUp(account, followSet)
	if len(set.order) == 0 {
		return out
	}
	seen := make(map[uint32]bool, len(inh.via))
	for r := range inh.via {
		seen[r] = true
	}
	for _, s := range set.order {
		head := set.path(g, s)
		if !seen[s] {
			seen[s] = true
			out = append(out, reach{role: s, path: head, setRoleOnly: true})
		}
		from := g.walkUp(s, followInherit)
		for _, r := range from.order {
			if seen[r] {
				continue
			}
			seen[r] = true
			p := slices.Concat(head, from.path(g, r))
			out = append(out, reach{role: r, path: p, setRoleOnly: true})
		}
	}
	return out
}

// membership is one role an account belongs to, directly or not.
type membership struct {
	role    uint32
	path    []string
	inherit bool
	admin   bool
}

// memberships lists every role account is a member of through any chain
// of grants, whatever their options. Inherit says whether the account
// holds the role's privileges without SET ROLE; admin is the ADMIN OPTION
// of the last hop of the path.
func (g *roleGraph) memberships(account uint32) []membership {
	all := g.walkUp(account, followAll)
	inh := g.walkUp(account, followInherit)
	out := make([]membership, 0, len(all.order))
	for _, r := range all.order {
		_, inherited := inh.via[r]
		out = append(out, membership{
			role:    r,
			path:    all.path(g, r),
			inherit: inherited,
			admin:   all.via[r].edge.admin,
		})
	}
	return out
}
