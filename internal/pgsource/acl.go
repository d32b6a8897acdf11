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
	// SkipPublic drops the PUBLIC entries, for extension functions whose
	// default EXECUTE would only add noise.
	SkipPublic bool       `json:"skip_public,omitempty"`
	ACL        []aclEntry `json:"acl"`
}

// grantSet holds the computed grants of the accounts of one cluster.
type grantSet struct {
	g *roleGraph
	// accounts are the login roles whose grants are computed; superusers
	// are left out (see computeGrants).
	accounts []uint32
	// byRole lists, for every role, the accounts that reach it.
	byRole map[uint32][]reachRef
	// grants are the results, by index into accounts. counting is set
	// during the first pass, which only sizes them.
	grants   [][]inventory.Grant
	counts   []int
	counting bool
}

// reachRef says that account reaches a role, and how.
type reachRef struct {
	account int32 // index into grantSet.accounts
	path    []string
	setOnly bool
}

// newGrantSet prepares the reverse index from each role to the accounts
// that reach it. Superusers are not enumerated: a superuser passes every
// privilege check, so listing each object would only repeat the
// Superuser attribute that rules already read.
func newGrantSet(g *roleGraph, accounts []uint32) *grantSet {
	s := &grantSet{g: g, byRole: make(map[uint32][]reachRef, len(g.roles))}
	for _, a := range accounts {
		if r := g.roles[a]; r == nil || r.Super {
			continue
		}
		idx := int32(len(s.accounts))
		s.accounts = append(s.accounts, a)
		for _, rc := range g.reachable(a) {
			s.byRole[rc.role] = append(s.byRole[rc.role],
				reachRef{account: idx, path: rc.path, setOnly: rc.setRoleOnly})
		}
	}
	s.grants = make([][]inventory.Grant, len(s.accounts))
	s.counts = make([]int, len(s.accounts))
	return s
}

// computeGrants turns the ACLs of objects into per-account grants using
// the membership graph of g, and returns them keyed by account OID, each
// account's grants in the order of sortGrants.
//
// An account gets an ACL entry's privilege when the grantee is PUBLIC, the
// account itself, or a role it reaches. Via is "owner" when the account
// owns the object and the entry is its own, "direct" for other entries
// naming the account, "PUBLIC", or else the role named in the entry with
// Path holding the chain of roles from the account to it. A privilege
// reachable only through a NOINHERIT hop is marked SetRoleOnly. Grantable
// is the entry's grant option, or true when the account holds the owner's
// privileges, since owners may always grant. Several ACL entries for the
// same grantee and privilege (one per grantor) become one grant.
//
// Superusers get no grants here (see newGrantSet), and neither do the
// blanket powers of pg_read_all_data and pg_write_all_data, which are
// reported as dangerous roles instead of being copied onto every table.
//
// The objects are walked twice, first to size each account's slice and
// then to fill it, which keeps peak memory close to the size of the
// result on large estates.
func computeGrants(g *roleGraph, accounts []uint32,
	objects []aclObject) map[uint32][]inventory.Grant {
	s := newGrantSet(g, accounts)
	merged := make([][]aclEntry, len(objects))
	for i := range objects {
		merged[i] = mergeEntries(objects[i].ACL)
	}
	for _, counting := range []bool{true, false} {
		s.counting = counting
		if !counting {
			for i, n := range s.counts {
				s.grants[i] = make([]inventory.Grant, 0, n)
			}
		}
		for i := range objects {
			s.add(&objects[i], merged[i])
		}
	}
	out := make(map[uint32][]inventory.Grant, len(s.accounts))
	for i, a := range s.accounts {
		if len(s.grants[i]) > 0 {
			sortGrants(s.grants[i])
			out[a] = s.grants[i]
		}
	}
	return out
}

// add computes the grants that one object gives, from its merged ACL.
func (s *grantSet) add(o *aclObject, acl []aclEntry) {
	for _, e := range acl {
		if e.Grantee == publicOID {
			if o.SkipPublic {
				continue
			}
			for i := range s.accounts {
				s.emit(int32(i), o, e, inventory.ViaPublic, nil, false, e.Grantable)
			}
			continue
		}
		for _, ref := range s.byRole[e.Grantee] {
			a := s.accounts[ref.account]
			via := ""
			switch {
			case e.Grantee == a && a == o.Owner:
				via = inventory.ViaOwner
			case e.Grantee == a:
				via = inventory.ViaDirect
			default:
				via = s.g.name(e.Grantee)
			}
			grantable := e.Grantable || s.holdsOwner(ref.account, o.Owner, ref.setOnly)
			s.emit(ref.account, o, e, via, ref.path, ref.setOnly, grantable)
		}
	}
}

// holdsOwner reports whether the account has the owner's privileges, with
// or without SET ROLE as setOnly allows.
func (s *grantSet) holdsOwner(account int32, owner uint32, setOnly bool) bool {
	for _, ref := range s.byRole[owner] {
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
	if len(acl) < 2 {
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
