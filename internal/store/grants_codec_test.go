package store

import (
	"context"
	"encoding/binary"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/wardsec/ward/internal/inventory"
)

// manyGrants returns n grants on n distinct tables, listed from the last
// table to the first, so that resource numbers go down and take more than
// one byte.
func manyGrants(n int) []inventory.Grant {
	out := make([]inventory.Grant, 0, n)
	for i := n - 1; i >= 0; i-- {
		out = append(out, inventory.Grant{Privilege: "SELECT",
			Resource: fmt.Sprintf("ehr.public.t%04d", i), ResourceType: "table",
			PHI: i%3 == 0, Via: "readers", Path: []string{"readers"}})
	}
	return out
}

func TestGrantListsRoundTrip(t *testing.T) {
	g := func(priv, res string, phi bool, via string, path ...string) inventory.Grant {
		return inventory.Grant{Privilege: priv, Resource: res, ResourceType: "table",
			PHI: phi, Via: via, Path: path}
	}
	setOnly := g("UPDATE", "ehr.public.notes", true, "admins", "admins")
	setOnly.SetRoleOnly, setOnly.Grantable = true, true
	emptyPath := g("USAGE", "ehr.public", false, inventory.ViaDirect)
	emptyPath.Path = []string{}

	tests := []struct {
		name   string
		grants []inventory.Grant
	}{
		{"nil list", nil},
		{"empty list", []inventory.Grant{}},
		{"nil and empty paths apart",
			[]inventory.Grant{g("USAGE", "ehr.public", false, inventory.ViaDirect), emptyPath}},
		{"flags", []inventory.Grant{setOnly, g("UPDATE", "ehr.public.notes", true, "admins",
			"admins")}},
		{"resources out of order", []inventory.Grant{g("SELECT", "ehr.public.z", false, "a", "a"),
			g("SELECT", "ehr.public.a", true, "a", "a"), g("SELECT", "ehr.public.m", false, "a")}},
		{"a grant listed twice", []inventory.Grant{g("SELECT", "ehr.public.a", true, "r", "r"),
			g("SELECT", "ehr.public.a", true, "r", "r")}},
		{"same resource, PHI differs", []inventory.Grant{g("SELECT", "ehr.public.a", true, "r"),
			g("SELECT", "ehr.public.a", false, "r")}},
		{"long chains", []inventory.Grant{g("SELECT", "ehr.public.a", false, "c", "a", "b", "c"),
			g("SELECT", "ehr.public.a", false, "c", "a", "c")}},
		{"three hundred tables", manyGrants(300)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openTest(t)
			r := newScan("s1", t0, map[string]string{"ehr": complete})
			r.Accounts = []inventory.Account{
				{ID: "ehr/a", Source: "ehr", Name: "a", Grants: tt.grants},
				// A second account shares the dictionaries.
				{ID: "ehr/b", Source: "ehr", Name: "b",
					Grants: []inventory.Grant{g("SELECT", "ehr.public.shared", false, "r", "r")}},
			}
			save(t, s, r)

			got, err := s.Accounts(context.Background(), "s1")
			if err != nil {
				t.Fatalf("Accounts: %v", err)
			}
			if diff := cmp.Diff(r.Accounts, got); diff != "" {
				t.Errorf("grants differ from what was saved (-saved +read):\n%s", diff)
			}
		})
	}
}

func TestGrantListSize(t *testing.T) {
	enc := newGrantEncoder()
	grants := manyGrants(1000)
	for _, g := range grants {
		enc.addResource(g.Resource)
	}
	enc.seal()
	list, phi, err := enc.encode(nil, grants)
	if err != nil {
		t.Fatal(err)
	}
	if want := 334; phi != want { // t0000, t0003, ... t0999
		t.Errorf("PHI grants = %d, want %d", phi, want)
	}
	// One format byte and two of count; the first grant steps from 0 to
	// 999 (two bytes), each next one by -1 (one byte); one byte of shape.
	if want := 1 + 2 + (2 + 1) + 999*(1+1); len(list) != want {
		t.Errorf("encoded size = %d bytes, want %d", len(list), want)
	}
	if len(enc.shapes) != 1 {
		t.Errorf("shapes = %d, want 1", len(enc.shapes))
	}
}

func TestEncodeRefusesUnrecordedResource(t *testing.T) {
	enc := newGrantEncoder()
	if _, _, err := enc.encode(nil, manyGrants(1)); err == nil {
		t.Error("encode before seal succeeded")
	}
	enc.addResource("ehr.public.other")
	enc.seal()
	_, _, err := enc.encode(nil, manyGrants(1))
	if err == nil || !strings.Contains(err.Error(), "was not recorded") {
		t.Errorf("encode of an unrecorded resource: error = %v", err)
	}
}

func TestDecodeGrantListRejectsCorrupt(t *testing.T) {
	// A valid list of two grants over 3 resources and 2 shapes.
	valid := []byte{grantListFormat, 2, 2 /* +1 */, 0 << 1, 2 /* +1 */, 1<<1 | 1}
	if refs, _, err := decodeGrantList(valid, 3, 2, nil); err != nil || len(refs) != 2 ||
		refs[1] != (grantRef{resource: 2, shape: 1, phi: true}) {
		t.Fatalf("valid list: %+v, %v", refs, err)
	}

	huge := binary.AppendUvarint([]byte{grantListFormat}, 1<<40)
	tests := []struct {
		name string
		blob []byte
	}{
		{"empty", []byte{}},
		{"unknown format", []byte{9, 0}},
		{"no count", []byte{grantListFormat}},
		{"count beyond the blob", huge},
		{"truncated grant", valid[:5]},
		{"bytes left over", append(append([]byte{}, valid...), 0)},
		{"resource out of range", []byte{grantListFormat, 1, 6 /* +3 */, 0}},
		{"resource below zero", []byte{grantListFormat, 1, 1 /* -1 */, 0}},
		{"shape out of range", []byte{grantListFormat, 1, 0, 2 << 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if refs, _, err := decodeGrantList(tt.blob, 3, 2, nil); err == nil {
				t.Errorf("decoded %x as %+v, want an error", tt.blob, refs)
			}
		})
	}
}

// FuzzDecodeGrantList checks that no stored bytes make the decoder panic
// or return numbers outside the dictionaries.
func FuzzDecodeGrantList(f *testing.F) {
	f.Add([]byte{grantListFormat, 2, 2, 0, 2, 3}, uint16(3), uint16(2))
	f.Add([]byte{grantListFormat, 0}, uint16(0), uint16(0))
	f.Add([]byte{grantListFormat, 1, 1, 0}, uint16(5), uint16(5))
	f.Fuzz(func(t *testing.T, blob []byte, resources, shapes uint16) {
		refs, _, err := decodeGrantList(blob, int(resources), int(shapes), nil)
		if err != nil {
			return
		}
		for _, r := range refs {
			if int(r.resource) >= int(resources) || int(r.shape) >= int(shapes) {
				t.Fatalf("decoded %+v outside %d resources, %d shapes", r, resources, shapes)
			}
		}
	})
}
