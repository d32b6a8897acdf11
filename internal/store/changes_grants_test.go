package store

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/wardsec/ward/internal/inventory"
)

// TestChangesGrantEdgeCases compares grant lists that differ in order,
// repeat a grant, or mark PHI differently between two copies.
func TestChangesGrantEdgeCases(t *testing.T) {
	sel := func(res string, phi bool) inventory.Grant {
		return grant("SELECT", res, phi, "readers", "readers")
	}
	setOnly := sel("ehr.public.a", false)
	setOnly.SetRoleOnly = true
	asColumn := sel("ehr.public.a", false)
	asColumn.ResourceType = "column"

	tests := []struct {
		name                string
		before, after       []inventory.Grant
		wantAdded, wantLost []inventory.Grant
	}{
		{"same grants in another order",
			[]inventory.Grant{sel("ehr.public.a", false), sel("ehr.public.b", false)},
			[]inventory.Grant{sel("ehr.public.b", false), sel("ehr.public.a", false)},
			nil, nil},
		{"a grant listed twice is one grant",
			[]inventory.Grant{sel("ehr.public.a", false)},
			[]inventory.Grant{sel("ehr.public.a", false), sel("ehr.public.a", false)},
			nil, nil},
		{"an added grant listed twice is added once, PHI if either copy is",
			nil,
			[]inventory.Grant{sel("ehr.public.a", false), sel("ehr.public.a", true)},
			[]inventory.Grant{sel("ehr.public.a", true)}, nil},
		{"set-role-only and resource type make a grant different",
			[]inventory.Grant{sel("ehr.public.a", false)},
			[]inventory.Grant{asColumn, setOnly},
			[]inventory.Grant{asColumn, setOnly}, []inventory.Grant{sel("ehr.public.a", false)}},
		{"a resource only one scan names",
			[]inventory.Grant{sel("ehr.public.gone", true)},
			[]inventory.Grant{sel("ehr.public.new", false)},
			[]inventory.Grant{sel("ehr.public.new", false)},
			[]inventory.Grant{sel("ehr.public.gone", true)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openTest(t)
			for i, gs := range [][]inventory.Grant{tt.before, tt.after} {
				r := newScan([]string{"s1", "s2"}[i], hoursAfter(i),
					map[string]string{"ehr": complete})
				r.Accounts = []inventory.Account{{ID: "ehr/etl", Source: "ehr", Name: "etl",
					Grants: gs}}
				save(t, s, r)
			}
			c, err := s.Changes(context.Background(), "s2")
			if err != nil {
				t.Fatal(err)
			}
			ehr := c.Source("ehr")
			sides := []struct {
				name string
				want []inventory.Grant
				got  []inventory.GrantChange
			}{
				{"added", tt.wantAdded, ehr.AddedGrants},
				{"removed", tt.wantLost, ehr.RemovedGrants},
			}
			for _, side := range sides {
				want := []inventory.GrantChange{}
				for _, g := range side.want {
					want = append(want, inventory.GrantChange{AccountID: "ehr/etl", Grant: g})
				}
				if diff := cmp.Diff(want, side.got); diff != "" {
					t.Errorf("%s grants (-want +got):\n%s", side.name, diff)
				}
			}
		})
	}
}
