package pgsource

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wardsec/ward/internal/inventory"
)

// catalogFixture is a set of catalog rows saved as JSON under testdata/.
type catalogFixture struct {
	Version int             `json:"server_version_num"`
	Roles   []roleRow       `json:"roles"`
	Members []authMemberRow `json:"auth_members"`
	Objects []aclObject     `json:"objects"`
}

func loadFixture(t *testing.T, name string) catalogFixture {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var f catalogFixture
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return f
}

// fixtureResult computes, for every login role of a fixture, its
// memberships and grants as readable lines.
func fixtureResult(f catalogFixture, version int) (map[string][]string, map[string][]string) {
	g := newRoleGraph(version, f.Roles, f.Members)
	var accounts []uint32
	for _, r := range f.Roles {
		if r.CanLogin {
			accounts = append(accounts, r.OID)
		}
	}
	grants, _ := computeGrants(accounts, []aclBatch{{graph: g, objects: f.Objects}})
	members := map[string][]string{}
	lines := map[string][]string{}
	for _, oid := range accounts {
		name := g.name(oid)
		for _, m := range g.memberships(oid) {
			line := g.name(m.role)
			if m.inherit {
				line += " inherit"
			}
			if m.admin {
				line += " admin"
			}
			members[name] = append(members[name], line)
		}
		lines[name] = grantLines(inventory.Account{Grants: grants[oid]}, "", true)
	}
	return members, lines
}

// TestRoleGraphPG16Fixture checks the PostgreSQL 16+ membership rules on
// catalog rows: per-grant inherit and set options, several grants per pair
// united, and rolinherit no longer deciding inheritance.
func TestRoleGraphPG16Fixture(t *testing.T) {
	f := loadFixture(t, "pg16-auth-members-fixture.json")
	members, grants := fixtureResult(f, f.Version)

	tests := []struct {
		account     string
		memberships []string
		grants      []string
	}{
		{
			// Two grants of clinical_write (one INHERIT FALSE SET TRUE from
			// postgres, one INHERIT TRUE SET FALSE WITH ADMIN from admin_bob):
			// the options are their union.
			account:     "svc_union",
			memberships: []string{"clinical_write inherit admin", "clinical_read inherit"},
			grants: []string{
				"ehr.clinical.encounter INSERT via clinical_write [clinical_write]",
				"ehr.clinical.patient SELECT via clinical_read [clinical_write>clinical_read]",
			},
		},
		{
			// NOINHERIT attribute, but the grant says INHERIT TRUE: from 16
			// on the grant decides.
			account:     "svc_noinherit_attr",
			memberships: []string{"clinical_read inherit"},
			grants:      []string{"ehr.clinical.patient SELECT via clinical_read [clinical_read]"},
		},
		{
			// INHERIT TRUE, SET FALSE: privileges held, no SET ROLE needed.
			account:     "svc_noset",
			memberships: []string{"clinical_write inherit", "clinical_read inherit"},
			grants: []string{
				"ehr.clinical.encounter INSERT via clinical_write [clinical_write]",
				"ehr.clinical.patient SELECT via clinical_read [clinical_write>clinical_read]",
			},
		},
		{
			// INHERIT FALSE, SET FALSE: a member that can use nothing.
			account:     "svc_neither",
			memberships: []string{"clinical_write", "clinical_read"},
			grants:      nil,
		},
		{
			// INHERIT FALSE, SET TRUE: everything only after SET ROLE.
			account:     "svc_setonly",
			memberships: []string{"clinical_write", "clinical_read"},
			grants: []string{
				"ehr.clinical.encounter INSERT via clinical_write [clinical_write] set-role-only",
				"ehr.clinical.patient SELECT via clinical_read [clinical_write>clinical_read] " +
					"set-role-only",
			},
		},
		{
			// SET ROLE gate16 is allowed; gate16 then inherits
			// clinical_write, to which svc_chain itself may not SET ROLE.
			account:     "svc_chain",
			memberships: []string{"gate16", "clinical_write", "clinical_read"},
			grants: []string{
				"ehr.clinical.encounter INSERT via clinical_write [gate16>clinical_write] " +
					"set-role-only",
				"ehr.clinical.patient SELECT via clinical_read " +
					"[gate16>clinical_write>clinical_read] set-role-only",
			},
		},
		{
			account: "postgres",
		},
	}
	for _, tt := range tests {
		t.Run(tt.account, func(t *testing.T) {
			if diff := cmp.Diff(tt.memberships, members[tt.account]); diff != "" {
				t.Errorf("memberships (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.grants, grants[tt.account]); diff != "" {
				t.Errorf("grants (-want +got):\n%s", diff)
			}
		})
	}
}

// TestRoleGraphVersionSwitchFixture reads the same PG16 rows with the
// PostgreSQL 15 rules, where the member's rolinherit decides and every
// membership allows SET ROLE, and checks that the answers differ as they
// should.
func TestRoleGraphVersionSwitchFixture(t *testing.T) {
	f := loadFixture(t, "pg16-auth-members-fixture.json")
	_, pg15 := fixtureResult(f, 150018)
	_, pg16 := fixtureResult(f, f.Version)

	tests := []struct {
		account    string
		pg15, pg16 string // the grant line on ehr.clinical.patient
	}{
		{"svc_noinherit_attr",
			"ehr.clinical.patient SELECT via clinical_read [clinical_read] set-role-only",
			"ehr.clinical.patient SELECT via clinical_read [clinical_read]"},
		{"svc_neither",
			"ehr.clinical.patient SELECT via clinical_read [clinical_write>clinical_read]",
			""},
	}
	line := func(lines []string) string {
		for _, l := range lines {
			if len(l) > 20 && l[:20] == "ehr.clinical.patient" {
				return l
			}
		}
		return ""
	}
	for _, tt := range tests {
		t.Run(tt.account, func(t *testing.T) {
			if got := line(pg15[tt.account]); got != tt.pg15 {
				t.Errorf("PG15 rules: %q, want %q", got, tt.pg15)
			}
			if got := line(pg16[tt.account]); got != tt.pg16 {
				t.Errorf("PG16 rules: %q, want %q", got, tt.pg16)
			}
		})
	}
}

// TestRoleGraphCycleFixture checks that a membership cycle in the catalog
// rows ends the walk with each role listed once.
func TestRoleGraphCycleFixture(t *testing.T) {
	f := loadFixture(t, "cycle-auth-members-fixture.json")
	members, grants := fixtureResult(f, f.Version)

	wantMembers := []string{"a inherit admin", "b inherit", "c inherit"}
	if diff := cmp.Diff(wantMembers, members["x"]); diff != "" {
		t.Errorf("memberships (-want +got):\n%s", diff)
	}
	wantGrants := []string{"db.s.t SELECT via c [a>b>c] grantable"}
	if diff := cmp.Diff(wantGrants, grants["x"]); diff != "" {
		t.Errorf("grants (-want +got):\n%s", diff)
	}
}

// TestComputeGrantsMergesGrantors checks that two ACL entries for the same
// grantee and privilege, from different grantors, become one grant that
// keeps the grant option.
func TestComputeGrantsMergesGrantors(t *testing.T) {
	roles := []roleRow{
		{OID: 100, Name: "owner_role", CanLogin: true, Inherit: true},
		{OID: 101, Name: "app", CanLogin: true, Inherit: true},
	}
	objs := []aclObject{{Resource: "db.s.t", ResourceType: "table", Owner: 100, ACL: []aclEntry{
		{Grantee: 101, Privilege: "SELECT"},
		{Grantee: 101, Privilege: "SELECT", Grantable: true},
		{Grantee: 101, Privilege: "INSERT"},
	}}}
	got, _ := computeGrants([]uint32{100, 101},
		[]aclBatch{{graph: newRoleGraph(150000, roles, nil), objects: objs}})
	lines := grantLines(inventory.Account{Grants: got[101]}, "", true)
	sort.Strings(lines)
	want := []string{"db.s.t INSERT via direct", "db.s.t SELECT via direct grantable"}
	if diff := cmp.Diff(want, lines); diff != "" {
		t.Errorf("grants (-want +got):\n%s", diff)
	}
	if len(got[100]) != 0 {
		t.Errorf("owner got %v from entries that are not its own", got[100])
	}
}
