// Package estategen builds a large synthetic PostgreSQL estate on a test
// server, for ward's scale benchmark: at scale 1, 2,000 login and group
// roles with memberships three deep, 20,000 tables in 50 schemas across 4
// databases, and about 200,000 ACL entries, column grants included.
//
// It writes a great deal (roles, databases, tables, grants), so it is
// meant only for a throwaway server such as the ones internal/pgtest
// starts: it refuses a host that is not the loopback address and a server
// that already holds one of its databases. The estate is the same for a
// given scale and seed.
//
// Shape of the estate at scale s (rounded, with small minimums so that
// s = 0.01 still has every feature):
//
//   - groups in three tiers: 50 s divisions, 150 s departments, 300 s
//     teams; every team belongs to a department (one in ten to two), every
//     department to a division;
//   - 1,500 s logins: 60 % service accounts (svc_*), the first of which own
//     one schema each (svc_migrate_*), and 40 % people (u_*); each login is
//     in one team (three in ten in two), so login → team → department →
//     division is three hops deep; one in twenty logins is NOINHERIT;
//   - 4 databases (est_ehr, est_billing, est_research, est_lab) sharing
//     50 s schemas, 20,000 s tables of six columns, half with PHI-like
//     names (patient_*, encounter_*, claim_*, lab_result_*);
//   - per schema, USAGE to a pool of teams, departments, one division and
//     three service accounts; per table, SELECT to a team, SELECT, INSERT
//     and UPDATE to another, SELECT, INSERT, UPDATE and DELETE to a
//     service account, SELECT to a department (one in four), to a
//     division (one in twenty) and to PUBLIC (one in a thousand), SELECT
//     to the schema's first team through its owner's default privileges,
//     and on one table in four column grants (SELECT on three columns to
//     a team, UPDATE on one to a service account);
//   - per schema a SECURITY DEFINER lookup function and default
//     privileges for the schema's owner; row-level security with a policy
//     on one PHI table in twenty.
package estategen

import "math"

// Databases are the databases the estate creates, in this order.
var Databases = []string{"est_ehr", "est_billing", "est_research", "est_lab"}

// Shape is the size of an estate.
type Shape struct {
	Divisions   int
	Departments int
	Teams       int
	Logins      int
	Services    int
	Schemas     int
	Tables      int
	// Columns is the number of columns of every table.
	Columns int
}

// Roles is the number of roles the estate creates.
func (s Shape) Roles() int { return s.Divisions + s.Departments + s.Teams + s.Logins }

// ShapeFor returns the shape of an estate at scale (1 is the benchmark
// estate).
func ShapeFor(scale float64) Shape {
	n := func(base float64, least int) int {
		return max(least, int(math.Round(base*scale)))
	}
	s := Shape{
		Divisions:   n(50, 2),
		Departments: n(150, 3),
		Teams:       n(300, 6),
		Logins:      n(1500, 12),
		Schemas:     n(50, len(Databases)),
		Columns:     6,
	}
	s.Services = max(s.Schemas+3, s.Logins*6/10)
	s.Logins = max(s.Logins, s.Services+3)
	s.Tables = max(4*s.Schemas, n(20000, 0))
	return s
}
