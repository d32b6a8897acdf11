package store

import (
	"cmp"
	"slices"
	"strings"

	"github.com/wardsec/ward/internal/inventory"
)

// grants lists the grants that accounts present in both scans gained or
// lost, leaving out the databases that either scan could not read.
//
// Two grants are the same when every field but PHI is the same, a nil and
// an empty path being the same path; a grant listed twice counts once,
// PHI if either copy is. Both lists are sorted by account, resource,
// privilege, via and path (as its stored JSON), then by the other fields.
func (d *differ) grants(sc *inventory.SourceChanges, prev int64, cur coverage) error {
	prevCov, err := d.coverageIn(prev)
	if err != nil {
		return err
	}
	skipped := slices.Concat(cur.skipped, prevCov.skipped)
	slices.Sort(skipped)
	skipped = slices.Compact(skipped)
	if len(skipped) > 0 {
		sc.Notes = append(sc.Notes, "grants on databases that one of the two scans could "+
			"not read are not compared: "+strings.Join(skipped, ", "))
	}

	m, err := d.matcher(prev)
	if err != nil {
		return err
	}
	const pairs = `SELECT a.account_id, a.grant_list, b.grant_list
		FROM accounts a JOIN accounts b ON b.scan_seq = ?2 AND b.account_id = a.account_id
		WHERE a.scan_seq = ?1 AND a.source = ?3
		ORDER BY a.account_id`
	rows, err := d.tx.QueryContext(d.ctx, pairs, d.seq, prev, d.source)
	if err != nil {
		return err
	}
	defer rows.Close()

	var added, removed []grantChange
	for rows.Next() {
		var id string
		var curList, prevList []byte
		if err := rows.Scan(&id, &curList, &prevList); err != nil {
			return err
		}
		if added, removed, err = m.diff(id, curList, prevList, skipped, added,
			removed); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	sc.AddedGrants = sortedChanges(added)
	sc.RemovedGrants = sortedChanges(removed)
	return nil
}

// matcher returns what compares the grants of this scan with those of the
// scan numbered prev, reading the dictionaries of both once.
func (d *differ) matcher(prev int64) (*grantMatcher, error) {
	if m, ok := d.matchers[prev]; ok {
		return m, nil
	}
	cur, err := readGrantDict(d.ctx, d.tx, d.seq)
	if err != nil {
		return nil, err
	}
	old, err := readGrantDict(d.ctx, d.tx, prev)
	if err != nil {
		return nil, err
	}
	m := newGrantMatcher(cur, old)
	d.matchers[prev] = m
	return m, nil
}

// grantMatcher numbers the grants of two scans alike: equal grants of
// either scan get the same key (resource number << 32 | shape number), so
// that two lists compare as integers.
type grantMatcher struct {
	cur, prev *grantDict
	// curShape maps each shape of the current scan to the first one equal
	// to it (nil and empty paths are equal).
	curShape []uint32
	// prevResource and prevShape map the numbers of the previous scan to
	// those of the current one, or to numbers past them when the current
	// scan has no equal.
	prevResource, prevShape []uint32

	// Scratch space reused from one account to the next.
	curRefs, prevRefs []grantRef
	curKeys, prevKeys []uint64
	curSet, prevSet   map[uint64]bool
}

// shapeKey is what makes two shapes of different scans the same.
type shapeKey struct {
	privilege, resourceType, via, path string
	setRoleOnly, grantable             bool
}

func (d *grantDict) shapeKey(i int) shapeKey {
	s := &d.shapes[i]
	return shapeKey{privilege: s.privilege, resourceType: s.resourceType, via: s.via,
		path: d.pathKeys[i], setRoleOnly: s.setRoleOnly, grantable: s.grantable}
}

func newGrantMatcher(cur, prev *grantDict) *grantMatcher {
	m := &grantMatcher{cur: cur, prev: prev,
		curSet: map[uint64]bool{}, prevSet: map[uint64]bool{}}

	resources := make(map[string]uint32, len(cur.names))
	for i, name := range cur.names {
		resources[name] = uint32(i)
	}
	m.prevResource = make([]uint32, len(prev.names))
	for i, name := range prev.names {
		id, ok := resources[name]
		if !ok {
			id = uint32(len(cur.names) + i)
		}
		m.prevResource[i] = id
	}

	shapes := make(map[shapeKey]uint32, len(cur.shapes))
	m.curShape = make([]uint32, len(cur.shapes))
	for i := range cur.shapes {
		k := cur.shapeKey(i)
		id, ok := shapes[k]
		if !ok {
			id = uint32(i)
			shapes[k] = id
		}
		m.curShape[i] = id
	}
	m.prevShape = make([]uint32, len(prev.shapes))
	for i := range prev.shapes {
		id, ok := shapes[prev.shapeKey(i)]
		if !ok {
			id = uint32(len(cur.shapes) + i)
		}
		m.prevShape[i] = id
	}
	return m
}

// grantChange is a changed grant with its path as stored, to sort by.
type grantChange struct {
	inventory.GrantChange
	pathKey string
}

// diff compares the stored grant lists of one account in the two scans
// and appends what was gained to added and what was lost to removed.
// Grants on the databases skipped are left out.
func (m *grantMatcher) diff(account string, curList, prevList []byte, skipped []string,
	added, removed []grantChange) ([]grantChange, []grantChange, error) {
	var err error
	m.curRefs, _, err = decodeGrantList(curList, len(m.cur.names), len(m.cur.shapes), m.curRefs)
	if err != nil {
		return nil, nil, storedGrantsError(account, err)
	}
	m.prevRefs, _, err = decodeGrantList(prevList, len(m.prev.names), len(m.prev.shapes),
		m.prevRefs)
	if err != nil {
		return nil, nil, storedGrantsError(account, err)
	}

	m.curKeys = m.curKeys[:0]
	for _, r := range m.curRefs {
		m.curKeys = append(m.curKeys, uint64(r.resource)<<32|uint64(m.curShape[r.shape]))
	}
	m.prevKeys = m.prevKeys[:0]
	for _, r := range m.prevRefs {
		m.prevKeys = append(m.prevKeys,
			uint64(m.prevResource[r.resource])<<32|uint64(m.prevShape[r.shape]))
	}
	// Most accounts do not change from one scan to the next.
	if slices.Equal(m.curKeys, m.prevKeys) {
		return added, removed, nil
	}

	fillSet(m.curSet, m.curKeys, m.curRefs)
	fillSet(m.prevSet, m.prevKeys, m.prevRefs)
	added = m.onlyIn(m.cur, m.curKeys, m.curRefs, m.curSet, m.prevSet, account, skipped, added)
	removed = m.onlyIn(m.prev, m.prevKeys, m.prevRefs, m.prevSet, m.curSet, account, skipped,
		removed)
	return added, removed, nil
}

// fillSet sets set to the keys of one list, each true when any grant with
// that key is on PHI.
func fillSet(set map[uint64]bool, keys []uint64, refs []grantRef) {
	clear(set)
	for i, k := range keys {
		set[k] = set[k] || refs[i].phi
	}
}

// onlyIn appends to out, in list order and once each, the grants of one
// side whose keys the other side lacks. It empties set of what it emits.
func (m *grantMatcher) onlyIn(dict *grantDict, keys []uint64, refs []grantRef,
	set, other map[uint64]bool, account string, skipped []string,
	out []grantChange) []grantChange {
	for i, k := range keys {
		if _, both := other[k]; both {
			continue
		}
		phi, pending := set[k]
		if !pending {
			continue // listed twice: emitted already
		}
		delete(set, k)
		r := refs[i]
		name := dict.names[r.resource]
		if inDatabase(name, skipped) {
			continue
		}
		s := &dict.shapes[r.shape]
		g := inventory.Grant{Privilege: s.privilege, Resource: name,
			ResourceType: s.resourceType, PHI: phi, Via: s.via,
			SetRoleOnly: s.setRoleOnly, Grantable: s.grantable}
		if len(s.path) > 0 {
			g.Path = s.path
		}
		out = append(out, grantChange{
			GrantChange: inventory.GrantChange{AccountID: account, Grant: g},
			pathKey:     dict.pathKeys[r.shape],
		})
	}
	return out
}

// sortedChanges sorts changes by account, resource, privilege, via and
// path, then by the other fields, and returns them without their sort
// keys; never nil.
func sortedChanges(changes []grantChange) []inventory.GrantChange {
	slices.SortFunc(changes, func(a, b grantChange) int {
		return cmp.Or(
			strings.Compare(a.AccountID, b.AccountID),
			strings.Compare(a.Resource, b.Resource),
			strings.Compare(a.Privilege, b.Privilege),
			strings.Compare(a.Via, b.Via),
			strings.Compare(a.pathKey, b.pathKey),
			strings.Compare(a.ResourceType, b.ResourceType),
			cmpBool(a.SetRoleOnly, b.SetRoleOnly),
			cmpBool(a.Grantable, b.Grantable),
		)
	})
	out := make([]inventory.GrantChange, len(changes))
	for i := range changes {
		out[i] = changes[i].GrantChange
	}
	return out
}

// cmpBool orders false before true.
func cmpBool(a, b bool) int {
	return cmp.Compare(boolInt(a), boolInt(b))
}
