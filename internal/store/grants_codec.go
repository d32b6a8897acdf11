package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/maphash"
	"slices"

	"github.com/wardsec/ward/internal/inventory"
)

// How grants are stored (migration 0004). A large estate gives each
// account hundreds of grants that differ mostly by resource: the benchmark
// estate's million grants name 40,000 resources and have fewer than 2,000
// distinct shapes, so a row per grant repeated the same strings a million
// times a scan. Instead, each scan keeps two dictionaries:
//
//   - grant_resources numbers the resources its grants name, in name
//     order;
//   - grant_shapes numbers what a grant says besides its resource and PHI
//     marking: privilege, resource type, via, path, set-role-only and
//     grant option;
//
// and each account keeps its grants, in order, as one small blob of those
// numbers in accounts.grant_list (NULL for a nil list):
//
//	byte      format version, grantListFormat
//	uvarint   number of grants
//	per grant varint  resource number minus the previous grant's (the
//	                  first is taken from 0); grants come sorted by
//	                  resource, so this is mostly 0 or 1
//	          uvarint shape number << 1 | PHI
//
// A grant costs about three bytes instead of a hundred-odd.

// grantListFormat is the version byte of an encoded grant list.
const grantListFormat = 1

// grantShape is the part of a grant that many grants share.
type grantShape struct {
	privilege, resourceType, via string
	// path is kept as given: nil and empty survive the round trip apart.
	path                   []string
	setRoleOnly, grantable bool
}

func shapeOf(g *inventory.Grant) grantShape {
	return grantShape{privilege: g.Privilege, resourceType: g.ResourceType, via: g.Via,
		path: g.Path, setRoleOnly: g.SetRoleOnly, grantable: g.Grantable}
}

func (s *grantShape) equal(o *grantShape) bool {
	return s.privilege == o.privilege && s.resourceType == o.resourceType && s.via == o.via &&
		s.setRoleOnly == o.setRoleOnly && s.grantable == o.grantable &&
		(s.path == nil) == (o.path == nil) && slices.Equal(s.path, o.path)
}

// grantEncoder builds the dictionaries of one scan and encodes the grant
// lists of its accounts against them. Every resource must be added before
// seal; shapes are numbered as they are met. It copies no strings: the
// dictionaries refer to those of the grants.
type grantEncoder struct {
	resourceIDs map[string]uint32
	names       []string // by number, after seal
	sealed      bool

	shapes   []grantShape
	shapeIDs map[uint64][]uint32 // hash of a shape → numbers of the shapes with it
	hash     maphash.Hash        // seeded at random on first use
}

func newGrantEncoder() *grantEncoder {
	return &grantEncoder{
		resourceIDs: make(map[string]uint32),
		shapeIDs:    make(map[uint64][]uint32),
	}
}

// addResource records a resource name that some grant names.
func (e *grantEncoder) addResource(name string) {
	if _, ok := e.resourceIDs[name]; !ok {
		e.resourceIDs[name] = 0
	}
}

// addResources records the resources of the grants of accounts.
func (e *grantEncoder) addResources(accounts []inventory.Account) {
	for i := range accounts {
		for j := range accounts[i].Grants {
			e.addResource(accounts[i].Grants[j].Resource)
		}
	}
}

// seal numbers the resources in name order. No resource may be added
// after it.
func (e *grantEncoder) seal() {
	e.names = make([]string, 0, len(e.resourceIDs))
	for name := range e.resourceIDs {
		e.names = append(e.names, name)
	}
	slices.Sort(e.names)
	for i, name := range e.names {
		e.resourceIDs[name] = uint32(i)
	}
	e.sealed = true
}

// shapeID returns the number of s, giving it the next one when it is new.
func (e *grantEncoder) shapeID(s grantShape) uint32 {
	e.hash.Reset()
	for _, f := range []string{s.privilege, s.resourceType, s.via} {
		e.hash.WriteString(f)
		e.hash.WriteByte(0)
	}
	for _, p := range s.path {
		e.hash.WriteString(p)
		e.hash.WriteByte(0)
	}
	e.hash.WriteByte(boolBits(s.path == nil, s.setRoleOnly, s.grantable))
	h := e.hash.Sum64()

	for _, id := range e.shapeIDs[h] {
		if e.shapes[id].equal(&s) {
			return id
		}
	}
	id := uint32(len(e.shapes))
	e.shapes = append(e.shapes, s)
	e.shapeIDs[h] = append(e.shapeIDs[h], id)
	return id
}

// encode appends the encoded list of grants to dst and returns it with
// the number of grants on PHI.
func (e *grantEncoder) encode(dst []byte, grants []inventory.Grant) ([]byte, int, error) {
	if !e.sealed {
		return dst, 0, errors.New("grant encoder used before its resources were sealed")
	}
	dst = append(dst, grantListFormat)
	dst = binary.AppendUvarint(dst, uint64(len(grants)))
	phi := 0
	prev := int64(0)
	for i := range grants {
		g := &grants[i]
		id, ok := e.resourceIDs[g.Resource]
		if !ok {
			return dst, 0, fmt.Errorf("grant %d: resource %q was not recorded", i, g.Resource)
		}
		dst = binary.AppendVarint(dst, int64(id)-prev)
		prev = int64(id)

		shape := uint64(e.shapeID(shapeOf(g))) << 1
		if g.PHI {
			shape |= 1
			phi++
		}
		dst = binary.AppendUvarint(dst, shape)
	}
	return dst, phi, nil
}

// boolBits packs up to eight flags into a byte, the first in bit 0.
func boolBits(flags ...bool) byte {
	var b byte
	for i, f := range flags {
		if f {
			b |= 1 << i
		}
	}
	return b
}

// grantRef is a decoded grant: its resource and shape numbers and its
// PHI marking.
type grantRef struct {
	resource, shape uint32
	phi             bool
}

// decodeGrantList decodes an encoded grant list into dst (reused) and
// checks each number against the sizes of the dictionaries. A nil blob
// (SQL NULL) gives nil and isNil true.
func decodeGrantList(blob []byte, resources, shapes int, dst []grantRef) (
	refs []grantRef, isNil bool, err error) {
	if blob == nil {
		return dst[:0], true, nil
	}
	if len(blob) == 0 || blob[0] != grantListFormat {
		return nil, false, errors.New("stored grant list has an unknown format")
	}
	rest := blob[1:]
	n, k := binary.Uvarint(rest)
	if k <= 0 {
		return nil, false, errors.New("stored grant list is truncated")
	}
	rest = rest[k:]
	// Each grant takes at least two bytes: refuse a count the blob cannot
	// hold before allocating for it.
	if n > uint64(len(rest)/2) {
		return nil, false, fmt.Errorf("stored grant list claims %d grants in %d bytes",
			n, len(rest))
	}

	refs = slices.Grow(dst[:0], int(n))
	res := int64(0)
	for i := uint64(0); i < n; i++ {
		delta, k := binary.Varint(rest)
		if k <= 0 {
			return nil, false, fmt.Errorf("stored grant %d is truncated", i)
		}
		rest = rest[k:]
		res += delta
		shape, k := binary.Uvarint(rest)
		if k <= 0 {
			return nil, false, fmt.Errorf("stored grant %d is truncated", i)
		}
		rest = rest[k:]
		if res < 0 || res >= int64(resources) || shape>>1 >= uint64(shapes) {
			return nil, false, fmt.Errorf("stored grant %d names an unknown resource or shape", i)
		}
		refs = append(refs, grantRef{resource: uint32(res), shape: uint32(shape >> 1),
			phi: shape&1 == 1})
	}
	if len(rest) != 0 {
		return nil, false, fmt.Errorf("stored grant list has %d bytes too many", len(rest))
	}
	return refs, false, nil
}
