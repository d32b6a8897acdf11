package pgsource

import (
	"math/rand/v2"
	"strconv"
	"testing"
)

// syntheticEstate generates a large cluster in memory: roles logins
// (every twentieth an object owner) and groups nested up to a few levels,
// each login in one to three groups, some NOINHERIT; tables each with the
// owner's seven default privileges and extra grants to groups or logins
// until entries ACL entries exist, and SELECT for PUBLIC on one table in
// a thousand (explicit grants to PUBLIC are copied onto every account).
func syntheticEstate(roles, tables, entries int) (*roleGraph, []uint32, []aclObject) {
	rng := rand.New(rand.NewPCG(1, 2))
	groups := roles / 4
	logins := roles - groups

	rows := make([]roleRow, 0, roles)
	var members []authMemberRow
	for i := range groups {
		rows = append(rows, roleRow{OID: uint32(20000 + i), Name: "grp_" + strconv.Itoa(i),
			Inherit: true})
		// Nest into up to two later groups, so the graph is a DAG a few
		// levels deep.
		for range rng.IntN(3) {
			if parent := i + 1 + rng.IntN(groups); parent < groups {
				members = append(members, authMemberRow{RoleID: uint32(20000 + parent),
					Member: uint32(20000 + i)})
			}
		}
	}
	accounts := make([]uint32, 0, logins)
	for i := range logins {
		oid := uint32(40000 + i)
		rows = append(rows, roleRow{OID: oid, Name: "login_" + strconv.Itoa(i),
			CanLogin: true, Inherit: i%10 != 0})
		accounts = append(accounts, oid)
		for range 1 + rng.IntN(3) {
			members = append(members, authMemberRow{RoleID: uint32(20000 + rng.IntN(groups)),
				Member: oid})
		}
	}
	g := newRoleGraph(150018, rows, members)

	tablePrivs := []string{"SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES",
		"TRIGGER"}
	objs := make([]aclObject, tables)
	extra := entries/tables - len(tablePrivs)
	for i := range objs {
		owner := uint32(40000 + 20*rng.IntN(logins/20))
		acl := make([]aclEntry, 0, len(tablePrivs)+extra)
		for _, p := range tablePrivs {
			acl = append(acl, aclEntry{Grantee: owner, Privilege: p})
		}
		for range extra {
			grantee := uint32(20000 + rng.IntN(groups))
			if rng.IntN(100) >= 80 {
				grantee = uint32(40000 + rng.IntN(logins))
			}
			acl = append(acl, aclEntry{Grantee: grantee,
				Privilege: tablePrivs[rng.IntN(4)]})
		}
		// Explicit grants to PUBLIC are rare: one table in a thousand.
		if i%1000 == 0 {
			acl = append(acl, aclEntry{Grantee: publicOID, Privilege: "SELECT"})
		}
		objs[i] = aclObject{
			Resource:     "ehr.s" + strconv.Itoa(i%50) + ".t" + strconv.Itoa(i),
			ResourceType: "table",
			Owner:        owner,
			ACL:          acl,
		}
	}
	return g, accounts, objs
}

// BenchmarkComputeGrants measures the pure-Go privilege computation on
// 2,000 roles, 20,000 tables and 200,000 ACL entries.
func BenchmarkComputeGrants(b *testing.B) {
	g, accounts, objs := syntheticEstate(2000, 20000, 200000)
	n := 0
	for _, o := range objs {
		n += len(o.ACL)
	}
	b.ReportMetric(float64(n), "acl-entries")
	b.ReportAllocs()
	b.ResetTimer()
	var grants, public int
	for b.Loop() {
		out, pub := computeGrants(accounts, []aclBatch{{graph: g, objects: objs}})
		grants, public = 0, len(pub)
		for _, gs := range out {
			grants += len(gs)
		}
	}
	b.ReportMetric(float64(grants), "grants")
	b.ReportMetric(float64(public), "public-grants")
}
