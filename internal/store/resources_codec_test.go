package store

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/wardsec/ward/internal/inventory"
)

func TestResourceListsRoundTrip(t *testing.T) {
	var columns []inventory.Resource
	for i := range 200 {
		columns = append(columns, inventory.Resource{
			Name: fmt.Sprintf("ehr.public.patients.c%03d", i), Type: "column", Owner: "app",
			PHI: i%2 == 0, PHIReason: "column name matches ssn"})
	}
	tests := []struct {
		name string
		rs   []inventory.Resource
	}{
		{"nil", nil},
		{"empty", []inventory.Resource{}},
		{"every field", []inventory.Resource{{Name: "ehr.public.patients", Type: "table",
			Owner: "app", PHI: true, PHIReason: "table name matches patient*", RLS: true,
			ForceRLS: true, Policies: []string{"own_clinic", "audit"}}}},
		{"nil and empty policies apart", []inventory.Resource{
			{Name: "a", Type: "table"}, {Name: "b", Type: "table", Policies: []string{}}}},
		{"names out of order and nested", []inventory.Resource{
			{Name: "ehr.public.visits"}, {Name: "ehr.public.patients.ssn"},
			{Name: "ehr.public.patients"}, {Name: "ehr"}, {Name: ""}, {Name: "ehr"},
			{Name: "lab.x"}}},
		{"names beyond ASCII", []inventory.Resource{{Name: "ehr.öffentlich.patiënten"},
			{Name: "ehr.öffentlich.patiënten.naïve"}}},
		{"two hundred columns", columns},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodeResources(encodeResources(tt.rs))
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			if diff := cmp.Diff(tt.rs, got); diff != "" {
				t.Errorf("resources differ (-encoded +decoded):\n%s", diff)
			}
		})
	}
}

func TestResourceListIsCompact(t *testing.T) {
	var rs []inventory.Resource
	for i := range 1000 {
		rs = append(rs, inventory.Resource{Name: fmt.Sprintf("ehr.clinical.lab_result.c%04d", i),
			Type: "column", Owner: "app"})
	}
	// Each name shares all but its last one or two digits with the one
	// before: about eight bytes a resource, against some forty of name.
	if got := len(encodeResources(rs)); got > 8*len(rs) {
		t.Errorf("%d resources take %d bytes, want at most %d", len(rs), got, 8*len(rs))
	}
}

func TestDecodeResourcesRejectsCorrupt(t *testing.T) {
	valid := encodeResources([]inventory.Resource{{Name: "ehr.a", Type: "table",
		Policies: []string{"p"}}, {Name: "ehr.b", Type: "table"}})
	tests := []struct {
		name string
		blob []byte
	}{
		{"empty", []byte{}},
		{"unknown format", []byte{7, 0, 0}},
		{"truncated", valid[:len(valid)-1]},
		{"bytes left over", append(append([]byte{}, valid...), 0)},
		{"table larger than the blob", []byte{resourceListFormat, 200, 1, 'a'}},
		{"count larger than the blob", []byte{resourceListFormat, 0, 100, 0}},
		// One string in the table, one resource that shares 3 bytes with
		// no previous name.
		{"shares more than the previous name", []byte{resourceListFormat, 1, 0, 1, 3, 0,
			0, 0, 0, 0}},
		{"string number out of range", []byte{resourceListFormat, 1, 0, 1, 0, 1, 'x',
			5, 0, 0, 0}},
		{"policy count beyond the blob", []byte{resourceListFormat, 1, 0, 1, 0, 1, 'x',
			0, 0, 0, resourcePolicies, 50}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if rs, err := decodeResources(tt.blob); err == nil {
				t.Errorf("decoded %x as %+v, want an error", tt.blob, rs)
			}
		})
	}
}

// FuzzDecodeResources checks that no stored bytes make the decoder panic,
// and that what it accepts encodes back to a list that decodes the same.
func FuzzDecodeResources(f *testing.F) {
	f.Add(encodeResources([]inventory.Resource{{Name: "ehr.public.patients", Type: "table",
		Owner: "app", PHI: true, RLS: true, Policies: []string{"p"}},
		{Name: "ehr.public.patients.ssn", Type: "column"}}))
	f.Add(encodeResources([]inventory.Resource{}))
	f.Add([]byte{resourceListFormat, 1, 0, 1, 0, 1, 'x', 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, blob []byte) {
		rs, err := decodeResources(blob)
		if err != nil || rs == nil {
			return
		}
		again, err := decodeResources(encodeResources(rs))
		if err != nil {
			t.Fatalf("re-encoded list does not decode: %v", err)
		}
		if diff := cmp.Diff(rs, again); diff != "" {
			t.Fatalf("re-encoded list differs:\n%s", diff)
		}
	})
}
