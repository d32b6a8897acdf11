package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"

	"github.com/wardsec/ward/internal/inventory"
)

// The resources of a source are kept as one blob in
// scan_sources.resource_list (migration 0004), NULL for a nil list: a
// large estate has a hundred thousand of them, mostly columns whose names
// repeat their table's, and a row each cost more than the grants do now.
//
//	byte     format version, resourceListFormat
//	uvarint  number of strings in the table below
//	         each: uvarint length, bytes; the types, owners, PHI reasons
//	         and policy names, each once
//	uvarint  number of resources
//	per resource, in order:
//	  uvarint  bytes of the name shared with the previous name
//	  uvarint  length of the rest, then the rest
//	  uvarint  type, owner and PHI reason, as numbers in the table
//	  byte     flags: PHI, RLS, FORCE RLS, policies not nil
//	  with policies: uvarint count, then a number in the table for each

// resourceListFormat is the version byte of an encoded resource list.
const resourceListFormat = 1

// Flags of a stored resource.
const (
	resourcePHI = 1 << iota
	resourceRLS
	resourceForceRLS
	resourcePolicies
)

// encodeResources encodes rs; nil gives nil.
func encodeResources(rs []inventory.Resource) []byte {
	if rs == nil {
		return nil
	}
	var table []string
	index := map[string]uint64{}
	num := func(s string) uint64 {
		n, ok := index[s]
		if !ok {
			n = uint64(len(table))
			index[s] = n
			table = append(table, s)
		}
		return n
	}

	var body []byte
	body = binary.AppendUvarint(body, uint64(len(rs)))
	prev := ""
	for i := range rs {
		r := &rs[i]
		shared := commonPrefix(prev, r.Name)
		body = binary.AppendUvarint(body, uint64(shared))
		body = binary.AppendUvarint(body, uint64(len(r.Name)-shared))
		body = append(body, r.Name[shared:]...)
		prev = r.Name

		body = binary.AppendUvarint(body, num(r.Type))
		body = binary.AppendUvarint(body, num(r.Owner))
		body = binary.AppendUvarint(body, num(r.PHIReason))
		// In the order of the flag bits.
		body = append(body, boolBits(r.PHI, r.RLS, r.ForceRLS, r.Policies != nil))
		if r.Policies != nil {
			body = binary.AppendUvarint(body, uint64(len(r.Policies)))
			for _, p := range r.Policies {
				body = binary.AppendUvarint(body, num(p))
			}
		}
	}

	out := []byte{resourceListFormat}
	out = binary.AppendUvarint(out, uint64(len(table)))
	for _, s := range table {
		out = binary.AppendUvarint(out, uint64(len(s)))
		out = append(out, s...)
	}
	return append(out, body...)
}

// commonPrefix returns how many leading bytes a and b share.
func commonPrefix(a, b string) int {
	n := min(len(a), len(b))
	for i := 0; i < n; i++ {
		if a[i] != b[i] {
			return i
		}
	}
	return n
}

// errResourcesCorrupt is returned for a stored resource list that cannot
// be read.
var errResourcesCorrupt = errors.New("stored resource list is corrupt")

// resourceReader reads an encoded resource list.
type resourceReader struct{ rest []byte }

func (r *resourceReader) uvarint() (uint64, error) {
	v, k := binary.Uvarint(r.rest)
	if k <= 0 {
		return 0, errResourcesCorrupt
	}
	r.rest = r.rest[k:]
	return v, nil
}

// bytes returns the next n bytes.
func (r *resourceReader) bytes(n uint64) ([]byte, error) {
	if n > uint64(len(r.rest)) {
		return nil, errResourcesCorrupt
	}
	b := r.rest[:n]
	r.rest = r.rest[n:]
	return b, nil
}

// index reads a number in a table of n strings.
func (r *resourceReader) index(n int) (int, error) {
	v, err := r.uvarint()
	if err != nil || v >= uint64(n) {
		return 0, errResourcesCorrupt
	}
	return int(v), nil
}

// decodeResources decodes a list written by encodeResources. The names
// share one backing string.
func decodeResources(blob []byte) ([]inventory.Resource, error) {
	if blob == nil {
		return nil, nil
	}
	if len(blob) == 0 || blob[0] != resourceListFormat {
		return nil, errors.New("stored resource list has an unknown format")
	}
	r := &resourceReader{rest: blob[1:]}
	table, err := r.table()
	if err != nil {
		return nil, err
	}

	n, err := r.uvarint()
	// A resource takes at least six bytes: refuse a count the blob cannot
	// hold before allocating for it.
	if err != nil || n > uint64(len(r.rest)/6) {
		return nil, errResourcesCorrupt
	}
	out := make([]inventory.Resource, n)
	var names strings.Builder
	ends := make([]int, n)
	var name []byte // the previous name, then the current one
	for i := range out {
		if name, err = r.name(name); err != nil {
			return nil, fmt.Errorf("resource %d: %w", i, err)
		}
		names.Write(name)
		ends[i] = names.Len()
		if err := r.fields(&out[i], table); err != nil {
			return nil, fmt.Errorf("resource %d: %w", i, err)
		}
	}
	if len(r.rest) != 0 {
		return nil, errResourcesCorrupt
	}

	all, start := names.String(), 0
	for i := range out {
		out[i].Name = all[start:ends[i]]
		start = ends[i]
	}
	return out, nil
}

// table reads the string table.
func (r *resourceReader) table() ([]string, error) {
	n, err := r.uvarint()
	if err != nil || n > uint64(len(r.rest)) {
		return nil, errResourcesCorrupt
	}
	table := make([]string, n)
	for i := range table {
		size, err := r.uvarint()
		if err != nil {
			return nil, err
		}
		b, err := r.bytes(size)
		if err != nil {
			return nil, err
		}
		table[i] = string(b)
	}
	return table, nil
}

// name reads the next name over prev, the previous one, whose leading
// bytes it shares, and returns it.
func (r *resourceReader) name(prev []byte) ([]byte, error) {
	shared, err := r.uvarint()
	if err != nil || shared > uint64(len(prev)) {
		return nil, errResourcesCorrupt
	}
	size, err := r.uvarint()
	if err != nil {
		return nil, err
	}
	rest, err := r.bytes(size)
	if err != nil {
		return nil, err
	}
	return append(prev[:shared], rest...), nil
}

// fields reads the fields after the name into res.
func (r *resourceReader) fields(res *inventory.Resource, table []string) error {
	var idx [3]int
	for i := range idx {
		var err error
		if idx[i], err = r.index(len(table)); err != nil {
			return err
		}
	}
	res.Type, res.Owner, res.PHIReason = table[idx[0]], table[idx[1]], table[idx[2]]

	flags, err := r.bytes(1)
	if err != nil {
		return err
	}
	res.PHI = flags[0]&resourcePHI != 0
	res.RLS = flags[0]&resourceRLS != 0
	res.ForceRLS = flags[0]&resourceForceRLS != 0
	if flags[0]&resourcePolicies == 0 {
		return nil
	}
	count, err := r.uvarint()
	if err != nil || count > uint64(len(r.rest)) {
		return errResourcesCorrupt
	}
	res.Policies = make([]string, count)
	for i := range res.Policies {
		j, err := r.index(len(table))
		if err != nil {
			return err
		}
		res.Policies[i] = table[j]
	}
	return nil
}
