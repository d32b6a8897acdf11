package estategen

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
)

// tablesPerBatch bounds the tables created in one transaction: each new
// table, its TOAST table and index take a lock until commit, and the
// server's lock table holds max_locks_per_transaction × max_connections
// (6,400 by default).
const tablesPerBatch = 400

// plan is the SQL that builds an estate, in the order it must run.
type plan struct {
	shape Shape
	// cluster creates the roles and memberships, on any database.
	cluster string
	// batches holds, for each of Databases, the transactions that fill
	// it.
	batches [][]string
	stats   Stats
}

// Stats counts what an estate holds.
type Stats struct {
	// Memberships counts role-to-member grants.
	Memberships int
	// ACLEntries counts the (grantee, privilege) items the estate grants on
	// schemas, tables and columns, the owners' own entries not included.
	ACLEntries int
	// ColumnEntries is the part of ACLEntries on single columns.
	ColumnEntries int
	// PublicTables counts tables granted to PUBLIC.
	PublicTables int
	Functions    int
	RLSTables    int
}

var (
	serviceWords = []string{"etl", "api", "report", "sync", "export", "loader", "billing",
		"scheduler"}
	areaWords = []string{"clinical", "billing", "research", "lab", "scheduling", "pharmacy",
		"staging", "reference"}
	phiKinds   = []string{"patient", "encounter", "claim", "lab_result"}
	plainKinds = []string{"ref_code", "invoice_batch", "schedule_slot", "audit_event"}
	phiColumns = []string{"id bigint", "mrn text", "full_name text", "dob date", "note text",
		"updated_at timestamptz"}
	plainColumns = []string{"id bigint", "code text", "label text", "amount numeric",
		"created_at timestamptz", "updated_by text"}
)

// roles names every role of an estate by tier.
type roles struct {
	divisions, departments, teams, services, people []string
}

func newRoles(s Shape) *roles {
	r := &roles{}
	for i := range s.Divisions {
		r.divisions = append(r.divisions, fmt.Sprintf("div_%02d", i))
	}
	for i := range s.Departments {
		r.departments = append(r.departments, fmt.Sprintf("dept_%03d", i))
	}
	for i := range s.Teams {
		r.teams = append(r.teams, fmt.Sprintf("team_%03d", i))
	}
	for i := range s.Services {
		if i < s.Schemas {
			r.services = append(r.services, fmt.Sprintf("svc_migrate_%02d", i))
			continue
		}
		r.services = append(r.services,
			fmt.Sprintf("svc_%s_%04d", serviceWords[i%len(serviceWords)], i))
	}
	for i := range s.Logins - s.Services {
		r.people = append(r.people, fmt.Sprintf("u_%04d", i))
	}
	return r
}

func ident(parts ...string) string { return pgx.Identifier(parts).Sanitize() }

func pick[T any](rng *rand.Rand, xs []T) T { return xs[rng.IntN(len(xs))] }

// newPlan lays out the estate of shape s for seed.
func newPlan(s Shape, seed uint64) *plan {
	rng := rand.New(rand.NewPCG(seed, 0x77617264))
	r := newRoles(s)
	p := &plan{shape: s, batches: make([][]string, len(Databases))}
	p.cluster = p.clusterSQL(rng, r)

	perSchema := s.Tables / s.Schemas
	extra := s.Tables % s.Schemas
	for i := range s.Schemas {
		n := perSchema
		if i < extra {
			n++
		}
		db := i % len(Databases)
		p.batches[db] = append(p.batches[db], p.schemaSQL(rng, r, i, n)...)
	}
	return p
}

// clusterSQL creates the roles and the membership tree.
func (p *plan) clusterSQL(rng *rand.Rand, r *roles) string {
	var b strings.Builder
	for _, g := range slices.Concat(r.divisions, r.departments, r.teams) {
		fmt.Fprintf(&b, "CREATE ROLE %s NOLOGIN;\n", ident(g))
	}
	for i, name := range slices.Concat(r.services, r.people) {
		opts := "LOGIN"
		if i%20 == 7 {
			opts += " NOINHERIT"
		}
		if i < len(r.services) && i%10 == 3 {
			opts += " CONNECTION LIMIT 20"
		}
		if i >= len(r.services) && i%10 == 5 {
			opts += " VALID UNTIL '2027-01-01 00:00:00+00'"
		}
		fmt.Fprintf(&b, "CREATE ROLE %s %s;\n", ident(name), opts)
	}

	members := map[string][]string{}
	var order []string
	add := func(role, member string) {
		if slices.Contains(members[role], member) {
			return
		}
		if members[role] == nil {
			order = append(order, role)
		}
		members[role] = append(members[role], member)
		p.stats.Memberships++
	}
	for _, d := range r.departments {
		add(pick(rng, r.divisions), d)
	}
	for _, t := range r.teams {
		add(pick(rng, r.departments), t)
		if rng.IntN(10) == 0 {
			add(pick(rng, r.departments), t)
		}
	}
	// Schema owners (the migration accounts) are in no group.
	logins := slices.Concat(r.services[p.shape.Schemas:], r.people)
	for _, l := range logins {
		add(pick(rng, r.teams), l)
		if rng.IntN(10) < 3 {
			add(pick(rng, r.teams), l)
		}
	}
	for _, role := range order {
		quoted := make([]string, len(members[role]))
		for i, m := range members[role] {
			quoted[i] = ident(m)
		}
		fmt.Fprintf(&b, "GRANT %s TO %s;\n", ident(role), strings.Join(quoted, ", "))
	}
	return b.String()
}

// pool is who may be granted access in one schema.
type pool struct {
	readers, writers, departments, services []string
	division                                string
}

func newPool(rng *rand.Rand, r *roles, schemas int) pool {
	p := pool{division: pick(rng, r.divisions)}
	for range 4 {
		p.readers = append(p.readers, pick(rng, r.teams))
	}
	for range 2 {
		p.writers = append(p.writers, pick(rng, r.teams))
		p.departments = append(p.departments, pick(rng, r.departments))
	}
	others := r.services[schemas:]
	for range 3 {
		p.services = append(p.services, pick(rng, others))
	}
	return p
}

// grantees lists the pool's roles once each.
func (p pool) grantees() []string {
	var out []string
	for _, g := range slices.Concat(p.readers, p.writers, p.departments, p.services,
		[]string{p.division}) {
		if !slices.Contains(out, g) {
			out = append(out, g)
		}
	}
	return out
}

// tableGrants collects table-level grants of one batch by grantee and
// privilege list, so each becomes one GRANT over many tables.
type tableGrants struct {
	tables map[[2]string][]string
	order  [][2]string
}

func (g *tableGrants) add(table, grantee string, privs ...string) {
	k := [2]string{grantee, strings.Join(privs, ", ")}
	if g.tables == nil {
		g.tables = map[[2]string][]string{}
	}
	if _, ok := g.tables[k]; !ok {
		g.order = append(g.order, k)
	}
	g.tables[k] = append(g.tables[k], table)
}

func (g *tableGrants) write(b *strings.Builder) {
	for _, k := range g.order {
		grantee := ident(k[0])
		if k[0] == "PUBLIC" {
			grantee = "PUBLIC"
		}
		fmt.Fprintf(b, "GRANT %s ON TABLE %s TO %s;\n", k[1],
			strings.Join(g.tables[k], ", "), grantee)
	}
}

// schemaSQL creates schema i with n tables, its grants, function,
// default privileges and policies, in batches of tablesPerBatch tables.
func (p *plan) schemaSQL(rng *rand.Rand, r *roles, i, n int) []string {
	schema := fmt.Sprintf("%s_%02d", areaWords[i%len(areaWords)], i)
	owner := r.services[i]
	pl := newPool(rng, r, p.shape.Schemas)

	var out []string
	var b strings.Builder
	fmt.Fprintf(&b, "CREATE SCHEMA %s AUTHORIZATION %s;\n", ident(schema), ident(owner))
	gs := pl.grantees()
	quoted := make([]string, len(gs))
	for k, g := range gs {
		quoted[k] = ident(g)
	}
	fmt.Fprintf(&b, "GRANT USAGE ON SCHEMA %s TO %s;\n", ident(schema),
		strings.Join(quoted, ", "))
	p.stats.ACLEntries += len(gs)

	fmt.Fprintf(&b, "SET ROLE %s;\n", ident(owner))
	fmt.Fprintf(&b, "ALTER DEFAULT PRIVILEGES IN SCHEMA %s GRANT SELECT ON TABLES TO %s;\n",
		ident(schema), ident(pl.readers[0]))
	fmt.Fprintf(&b, "CREATE FUNCTION %s(p_id bigint) RETURNS text LANGUAGE sql "+
		"SECURITY DEFINER AS 'SELECT p_id::text';\n", ident(schema, "lookup_"+schema))
	fmt.Fprintf(&b, "RESET ROLE;\n")
	p.stats.Functions++

	for start := 0; start < n; start += tablesPerBatch {
		if start > 0 {
			out = append(out, b.String())
			b.Reset()
		}
		p.tablesSQL(&b, rng, pl, schema, owner, start, min(n, start+tablesPerBatch))
	}
	return append(out, b.String())
}

// tablesSQL creates tables [from, to) of a schema and their grants.
func (p *plan) tablesSQL(b *strings.Builder, rng *rand.Rand, pl pool, schema, owner string,
	from, to int) {
	var grants tableGrants
	var extra strings.Builder
	fmt.Fprintf(b, "SET ROLE %s;\n", ident(owner))
	for t := from; t < to; t++ {
		phi := t%2 == 0
		kind, cols := pick(rng, plainKinds), plainColumns
		if phi {
			kind, cols = pick(rng, phiKinds), phiColumns
		}
		name := ident(schema, fmt.Sprintf("%s_%04d", kind, t))
		fmt.Fprintf(b, "CREATE TABLE %s (%s);\n", name, strings.Join(cols, ", "))

		// Table-level grants, deduplicated per grantee.
		entries := map[string][]string{}
		var order []string
		grant := func(grantee string, privs ...string) {
			if entries[grantee] == nil {
				order = append(order, grantee)
			}
			for _, pv := range privs {
				if !slices.Contains(entries[grantee], pv) {
					entries[grantee] = append(entries[grantee], pv)
				}
			}
		}
		// The owner's default privileges give the first reader SELECT on
		// every table it creates: counted, but not granted again.
		grant(pl.readers[0], "SELECT")
		grant(pick(rng, pl.readers), "SELECT")
		grant(pick(rng, pl.writers), "SELECT", "INSERT", "UPDATE")
		grant(pick(rng, pl.services), "SELECT", "INSERT", "UPDATE", "DELETE")
		if rng.IntN(4) == 0 {
			grant(pick(rng, pl.departments), "SELECT")
		}
		if rng.IntN(20) == 0 {
			grant(pl.division, "SELECT")
		}
		if rng.IntN(1000) == 0 {
			grant("PUBLIC", "SELECT")
			p.stats.PublicTables++
		}
		for _, g := range order {
			p.stats.ACLEntries += len(entries[g])
			privs := entries[g]
			if g == pl.readers[0] {
				privs = privs[1:] // SELECT came from the default privileges
			}
			if len(privs) > 0 {
				grants.add(name, g, privs...)
			}
		}

		if rng.IntN(4) == 0 {
			c := colNames(cols)
			fmt.Fprintf(&extra, "GRANT SELECT (%s, %s, %s) ON %s TO %s;\n",
				c[0], c[1], c[2], name, ident(pick(rng, pl.readers)))
			fmt.Fprintf(&extra, "GRANT UPDATE (%s) ON %s TO %s;\n", c[5], name,
				ident(pick(rng, pl.services)))
			p.stats.ACLEntries += 4
			p.stats.ColumnEntries += 4
		}
		if phi && rng.IntN(20) == 0 {
			fmt.Fprintf(&extra, "ALTER TABLE %s ENABLE ROW LEVEL SECURITY;\n", name)
			fmt.Fprintf(&extra, "CREATE POLICY own_rows ON %s USING (updated_at IS NOT NULL);\n",
				name)
			p.stats.RLSTables++
		}
	}
	fmt.Fprintf(b, "RESET ROLE;\n")
	grants.write(b)
	b.WriteString(extra.String())
}

// colNames returns the names of "name type" column definitions.
func colNames(defs []string) []string {
	out := make([]string, len(defs))
	for i, d := range defs {
		out[i], _, _ = strings.Cut(d, " ")
	}
	return out
}
