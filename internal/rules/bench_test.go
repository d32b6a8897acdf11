package rules

import (
	"fmt"
	"testing"
	"time"

	"github.com/wardsec/ward/internal/inventory"
)

// BenchmarkEvaluate measures one evaluation over a large source: 1,000
// logins with 20 grants each, half of them direct, and 200 pg_hba.conf
// lines.
func BenchmarkEvaluate(b *testing.B) {
	s := snap()
	for i := range 1000 {
		a := svc(fmt.Sprintf("svc_%04d", i))
		if i%10 == 0 {
			a.Owner, a.Attributes.Superuser = "", true
		}
		for j := range 20 {
			g := direct("SELECT", "table", fmt.Sprintf("ehr.app.t%03d", j))
			if j%2 == 0 {
				g.Via = "readers"
			}
			g.PHI = j%5 == 0
			a.Grants = append(a.Grants, g)
		}
		s.Accounts = append(s.Accounts, a)
	}
	for i := range 200 {
		method := []string{"scram-sha-256", "md5", "trust", "password"}[i%4]
		s.Postgres.HBA = append(s.Postgres.HBA,
			hba(100+i, "host", "all", fmt.Sprintf("u%d", i), fmt.Sprintf("10.%d.0.0/16", i), method))
	}
	in := Input{Snapshot: s}

	b.ReportAllocs()
	for b.Loop() {
		if len(Evaluate(in)) == 0 {
			b.Fatal("no findings")
		}
	}
}

// BenchmarkEvaluateObjects measures the rules that read objects, sessions
// and pg_hba order: 1,000 logins (every tenth one BYPASSRLS), 5,000 PHI
// tables owned by 50 of them with row-level security on every other one,
// PUBLIC grants on 100 tables, 200 SECURITY DEFINER functions, 500 open
// sessions, and 200 pg_hba.conf lines that all name every user, so each
// password line is checked against every line above it.
func BenchmarkEvaluateObjects(b *testing.B) {
	s := snap()
	s.StartedAt = scanStart
	for i := range 1000 {
		a := svc(fmt.Sprintf("svc_%04d", i))
		a.Attributes.BypassRLS = i%10 == 0
		a.Memberships = []inventory.Membership{{Role: "readers", Path: []string{"readers"}, Inherit: true}}
		for j := range 20 {
			a.Grants = append(a.Grants, phiGrant(fmt.Sprintf("ehr.clinical.t%04d", i*5+j)))
		}
		if i%2 == 0 {
			s.Sessions = append(s.Sessions, session(i, a.Name, scanStart.Add(-time.Hour)))
			a.Attributes.CanLogin = i%4 != 0
		}
		s.Accounts = append(s.Accounts, a)
	}
	for i := range 5000 {
		t := phiTable(fmt.Sprintf("ehr.clinical.t%04d", i), fmt.Sprintf("svc_%04d", i%50))
		t.RLS = i%2 == 0
		s.Resources = append(s.Resources, t)
		if i%50 == 0 {
			s.PublicGrants = append(s.PublicGrants, pub("SELECT", "table", t.Name))
		}
	}
	for i := range 200 {
		f := definer(fmt.Sprintf("ehr.app.f%03d(text)", i), "readers")
		if i%2 == 0 {
			f.Executors = append(f.Executors, "PUBLIC")
		}
		s.Functions = append(s.Functions, f)
	}
	s.Postgres.HBA = nil
	for i := range 200 {
		method := []string{"scram-sha-256", "reject", "cert", "md5"}[i%4]
		s.Postgres.HBA = append(s.Postgres.HBA,
			hba(100+i, "host", "all", "all", fmt.Sprintf("10.%d.0.0/16", i), method))
	}
	in := Input{Snapshot: s}

	b.ReportAllocs()
	for b.Loop() {
		if len(Evaluate(in)) == 0 {
			b.Fatal("no findings")
		}
	}
}
