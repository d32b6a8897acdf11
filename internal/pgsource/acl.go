package pgsource

import (
	"slices"
	"strings"

	"github.com/wardsec/ward/internal/inventory"
)

// aclEntry is one row of aclexplode(): one privilege given to one grantee.
// Grantee 0 is PUBLIC.
type aclEntry struct {
	Grantee   uint32 `json:"grantee"`
	Privilege string `json:"privilege_type"`
	Grantable bool   `json:"is_grantable"`
}

// aclObject is an object with its exploded ACL. A NULL ACL must already be
// replaced by acldefault() for the object's type and owner.
type aclObject struct {
	// Resource is the ward name of the object ("db", "db.schema",
	// "db.schema.table", "db.schema.table.column", "db.schema.fn(args)").
	Resource     string `json:"resource"`
	ResourceType string `json:"resource_type"`
	Owner        uint32 `json:"owner"`
	// PublicSchema is set on the schema named public, whose USAGE for
	// PUBLIC is a built-in default (see ambientPublic).
	PublicSchema bool       `json:"public_schema,omitempty"`
	ACL          []aclEntry `json:"acl"`
}

// ambientPublic reports whether PUBLIC holding priv on o is one of the
// privileges every PostgreSQL role has out of the box: CONNECT and
// TEMPORARY on databases, EXECUTE on functions and procedures, USAGE on
// the schema named public. Those are kept once, in the snapshot's
// PublicGrants, instead of being copied onto every account: they would
// be most of the grants of a large estate and say nothing about a role.
//
// Any other privilege of PUBLIC exists only because someone ran
// GRANT ... TO PUBLIC (on a table, column, sequence, schema, or CREATE on
// a database). Those are rare and are exactly what a reviewer must see
// on each account, PHI reach included, so they are kept in PublicGrants
// and on every account as well.
func ambientPublic(o *aclObject, priv string) bool {
	switch o.ResourceType {
	case "database":
		return priv == "CONNECT" || priv == "TEMPORARY"
	case "function", "procedure", "aggregate", "window function":
		return priv == "EXECUTE"
	case "schema":
		return o.PublicSchema && priv == "USAGE"
	}
	return false
}

// aclBatch is the objects of one database, with the membership graph
// that applies inside it (where pg_database_owner stands for the
// database's owner).
type aclBatch struct {
	graph   *roleGraph
	objects []aclObject
}

// grantSet holds the computed grants of the accounts of one cluster.
type grantSet struct {
	// accounts are the login roles whose grants are computed; superusers
	// are left out (see computeGrants).
	accounts []uint32
	// grants are the results, by index into accounts. counting is set
	// during the first pass, which only sizes them.
	grants   [][]inventory.Grant
	counts   []int
	counting bool
	// public holds what PUBLIC itself holds, once per object and
	// privilege.
	public []inventory.Grant
}

// batchIndex is the reverse index of one batch's graph: for every role,
// the accounts that reach it.
type batchIndex struct {
	g      *roleGraph
	byRole map[uint32][]reachRef
}

// reachRef says that account reaches a role, and how.
type reachRef struct {
	account int32 // index into grantSet.accounts
	path    []string
	setOnly bool
}

// newGrantSet picks the accounts whose grants are computed. Superusers
// are not enumerated: a superuser passes every privilege check, so
// listing each object would only repeat the Superuser attribute that
// rules already read.
func newGrantSet(g *roleGraph, accounts []uint32) *grantSet {
	s := &grantSet{}
	for _, a := range accounts {
		if r := g.roles[a]; r != nil && !r.Super {
			s.accounts = append(s.accounts, a)
		}
	}
	s.grants = make([][]inventory.Grant, len(s.accounts))
	s.counts = make([]int, len(s.accounts))
	return s
}

// index builds the reverse index of graph g for the set's accounts.
func (s *grantSet) index(g *roleGraph) *batchIndex {
	x := &batchIndex{g: g, byRole: make(map[uint32][]reachRef, len(g.roles))}
	for i, a := range s.accounts {
		for _, rc := range g.reachable(a) {
			x.byRole[rc.role] = append(x.byRole[rc.role],
				reachRef{account: int32(i), path: rc.path, setOnly: rc.setRoleOnly})
		}
	}
	return x
}

// computeGrants turns the ACLs of the objects of every batch into
// per-account grants, and returns them keyed by account OID, each
// account's grants in the order of sortGrants, together with the
// privileges PUBLIC holds (Via "PUBLIC", in object order).
//
// An account gets an ACL entry's privilege when the grantee is the
// account itself or a role it reaches, or when the grantee is PUBLIC and
// the privilege is not one of PUBLIC's built-in defaults (ambientPublic):
// those are only in the returned PUBLIC list, which every role holds.
// Via is "owner" when the account owns the object and the entry is its
// own, "direct" for other entries naming the account, "PUBLIC", or else
// the role named in the entry with Path holding the chain of roles from
// the account to it. A privilege reachable only through a NOINHERIT hop
// is marked SetRoleOnly. Grantable is the entry's grant option, or true
// when the account holds the owner's privileges, since owners may always
// grant. Several ACL entries for the same grantee and privilege (one per
// grantor) become one grant; the objects' ACLs are merged in place.
//
// Superusers get no grants here (see newGrantSet), and neither do the
// blanket powers of pg_read_all_data and pg_write_all_data, which are
// reported as dangerous roles instead of being copied onto every table.
//
// The objects are walked twice, first to size each account's slice and
// then to fill it, so each account's grants are one allocation of the
// exact size: on a large estate the grants are most of the memory.
func computeGrants(accounts []uint32, batches []aclBatch) (map[uint32][]inventory.Grant,
	[]inventory.Grant) {
	if len(batches) == 0 {
		return map[uint32][]inventory.Grant{}, nil
	}
	s := newGrantSet(batches[0].graph, accounts)
	indexes := make([]*batchIndex, len(batches))
	for i, b := range batches {
		indexes[i] = s.index(b.graph)
		for j := range b.objects {
			b.objects[j].ACL = mergeEntries(b.objects[j].ACL)
		}
	}
	for _, counting := range []bool{true, false} {
		s.counting = counting
		if !counting {
			for i, n := range s.counts {
				s.grants[i] = make([]inventory.Grant, 0, n)
			}
		}
		for i, b := range batches {
			for j := range b.objects {
				s.add(indexes[i], &b.objects[j])
			}
		}
	}
	out := make(map[uint32][]inventory.Grant, len(s.accounts))
	for i, a := range s.accounts {
		if len(s.grants[i]) > 0 {
			sortGrants(s.grants[i])
			out[a] = s.grants[i]
		}
	}
	return out, s.public
}

// add computes the grants that one object gives, from its merged ACL.
func (s *grantSet) add(x *batchIndex, o *aclObject) {
	for _, e := range o.ACL {
		if e.Grantee == publicOID {
			if s.counting {
				s.public = append(s.public, inventory.Grant{Privilege: e.Privilege,
					Resource: o.Resource, ResourceType: o.ResourceType,
					Via: inventory.ViaPublic})
			}
			if ambientPublic(o, e.Privilege) {
				continue
			}
			for i := range s.accounts {
				s.emit(int32(i), o, e, inventory.ViaPublic, nil, false, e.Grantable)
			}
			continue
		}
		for _, ref := range x.byRole[e.Grantee] {
			a := s.accounts[ref.account]
			via := ""
			switch {
			case e.Grantee == a && a == o.Owner:
				via = inventory.ViaOwner
			case e.Grantee == a:
				via = inventory.ViaDirect
			default:
				via = x.g.name(e.Grantee)
			}
			grantable := e.Grantable || x.holdsOwner(ref.account, o.Owner, ref.setOnly)
			s.emit(ref.account, o, e, via, ref.path, ref.setOnly, grantable)
		}
	}
}

// holdsOwner reports whether the account has the owner's privileges, with
// or without SET ROLE as setOnly allows.
func (x *batchIndex) holdsOwner(account int32, owner uint32, setOnly bool) bool {
	for _, ref := range x.byRole[owner] {
		if ref.account == account && (!ref.setOnly || setOnly) {
			return true
		}
	}
	return false
}

func (s *grantSet) emit(account int32, o *aclObject, e aclEntry, via string, path []string,
	setOnly, grantable bool) {
	if s.counting {
		s.counts[account]++
		return
	}
	s.grants[account] = append(s.grants[account], inventory.Grant{
		Privilege:    e.Privilege,
		Resource:     o.Resource,
		ResourceType: o.ResourceType,
		Via:          via,
		Path:         path,
		SetRoleOnly:  setOnly,
		Grantable:    grantable,
	})
}

// sortGrants orders grants by resource, privilege, held before
// SET ROLE only, then route. The order is total, so equal-looking grants
// cannot swap between runs.
func sortGrants(gs []inventory.Grant) {
	slices.SortFunc(gs, func(a, b inventory.Grant) int {
		if c := strings.Compare(a.Resource, b.Resource); c != 0 {
			return c
		}
		if c := strings.Compare(a.Privilege, b.Privilege); c != 0 {
			return c
		}
		if a.SetRoleOnly != b.SetRoleOnly {
			if a.SetRoleOnly {
				return 1
			}
			return -1
		}
		if c := strings.Compare(a.Via, b.Via); c != 0 {
			return c
		}
		return slices.Compare(a.Path, b.Path)
	})
}

// mergeEntries folds entries that differ only by grantor into one, keeping
// the grant option if any of them has it. The order of first appearance is
// kept.
func mergeEntries(acl []aclEntry) []aclEntry {
	if !hasDuplicates(acl) {
		return acl
	}
	type key struct {
		grantee uint32
		priv    string
	}
	out := make([]aclEntry, 0, len(acl))
	at := make(map[key]int, len(acl))
	for _, e := range acl {
		k := key{e.Grantee, e.Privilege}
		if i, ok := at[k]; ok {
			out[i].Grantable = out[i].Grantable || e.Grantable
			continue
		}
		at[k] = len(out)
		out = append(out, e)
	}
	return out
}

// hasDuplicates reports whether two entries may share grantee and
// privilege. ACLs are short, so a quadratic scan beats building a map;
// a long one is simply reported as possibly holding duplicates.
func hasDuplicates(acl []aclEntry) bool {
	if len(acl) > 64 {
		return true // let mergeEntries use its map
	}
	for i := range acl {
		for j := i + 1; j < len(acl); j++ {
			if acl[i].Grantee == acl[j].Grantee && acl[i].Privilege == acl[j].Privilege {
				return true
			}
		}
	}
	return false
}
