package rules

import (
	"fmt"
	"testing"
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
