package rules

import (
	"fmt"
	"slices"
	"strings"

	"github.com/wardsec/ward/internal/inventory"
)

// bypass is one PHI table whose row-level security an account bypasses.
type bypass struct {
	table *inventory.Resource
	// how says, for the evidence, why the policies do not apply.
	how string
	// owner is true when the account bypasses as the table's owner.
	owner bool
}

// checkRLSBypass is PG-RLS-BYPASS-SERVICE: a covered login that can read a
// PHI table with row-level security enabled, and is not bound by its
// policies: it is a superuser, has BYPASSRLS, or owns the table (or
// inherits its owner role) while FORCE ROW LEVEL SECURITY is off. It can
// read the table as a superuser or its owner, through pg_read_all_data, or
// by a SELECT grant on the table or one of its columns that it holds
// without SET ROLE, PUBLIC's included.
//
// Role attributes are never inherited, so a group's BYPASSRLS counts only
// after SET ROLE; PG-SUPERUSER-SERVICE reports that case. row_security =
// off is not a bypass: a query the policies would filter fails instead.
//
// The findings are grouped per account and database, as PG-DIRECT-GRANTS
// groups them: the fix runs in one database.
func checkRLSBypass(e *eval, r Rule) []inventory.Finding {
	if !e.postgres {
		return nil
	}
	var tables []*inventory.Resource
	for i := range e.snap.Resources {
		res := &e.snap.Resources[i]
		if res.RLS && res.PHI && isRelation(res.Type) {
			tables = append(tables, res)
		}
	}
	if len(tables) == 0 {
		return nil
	}
	slices.SortFunc(tables, byResourceName)

	byOwner := map[string][]*inventory.Resource{}
	for _, t := range tables {
		byOwner[t.Owner] = append(byOwner[t.Owner], t)
	}
	publicReads := readableTables(e.snap.PublicGrants)

	var out []inventory.Finding
	for i := range e.snap.Accounts {
		a := &e.snap.Accounts[i]
		if !e.covers(r, a) {
			continue
		}
		var reads map[string]bool // built only when a grant decides
		byDB := map[string][]bypass{}
		for _, t := range rlsCandidates(a, tables, byOwner) {
			b, ok := rlsBypass(a, t)
			if !ok {
				continue
			}
			if !a.Attributes.Superuser && !b.owner && !readsAll(a) {
				if reads == nil {
					reads = readableTables(a.Grants)
				}
				if !reads[t.Name] && !publicReads[t.Name] {
					continue
				}
			}
			db, _, _ := strings.Cut(t.Name, ".")
			byDB[db] = append(byDB[db], b)
		}
		dbs := make([]string, 0, len(byDB))
		for db := range byDB {
			dbs = append(dbs, db)
		}
		slices.Sort(dbs)
		for _, db := range dbs {
			out = append(out, e.finding(r, e.rlsTarget(a, db, byDB[db])))
		}
	}
	return out
}

// rlsCandidates are the tables a may bypass: all of them for a superuser
// or a BYPASSRLS role, otherwise those it owns or whose owner role it
// inherits, in name order.
func rlsCandidates(a *inventory.Account, tables []*inventory.Resource,
	byOwner map[string][]*inventory.Resource) []*inventory.Resource {
	if a.Attributes.Superuser || a.Attributes.BypassRLS {
		return tables
	}
	out := slices.Clone(byOwner[a.Name])
	for _, m := range a.Memberships {
		if m.Inherit && m.Role != a.Name {
			out = append(out, byOwner[m.Role]...)
		}
	}
	slices.SortFunc(out, byResourceName)
	return slices.Compact(out)
}

// readsAll reports whether a reads every table through pg_read_all_data,
// which does not bypass row-level security by itself.
func readsAll(a *inventory.Account) bool {
	return slices.Contains(a.Attributes.DangerousRoles, "pg_read_all_data")
}

// readableTables returns the tables that grants let their holder read
// without SET ROLE: SELECT on the table, or on one of its columns.
func readableTables(gs []inventory.Grant) map[string]bool {
	out := map[string]bool{}
	for _, g := range gs {
		if !strings.EqualFold(g.Privilege, "SELECT") || g.SetRoleOnly {
			continue
		}
		if isColumn(g.ResourceType) {
			out[tableOf(g.Resource)] = true
		} else {
			out[g.Resource] = true
		}
	}
	return out
}

// rlsBypass says whether and how a is not bound by t's policies.
func rlsBypass(a *inventory.Account, t *inventory.Resource) (bypass, bool) {
	owner := !t.ForceRLS && ownsOrInherits(a, t.Owner)
	switch {
	case a.Attributes.Superuser:
		return bypass{table: t, how: "as a superuser"}, true
	case a.Attributes.BypassRLS && owner:
		return bypass{table: t, how: "with BYPASSRLS, and as its owner or a member of it, " +
			"FORCE ROW LEVEL SECURITY not set", owner: true}, true
	case a.Attributes.BypassRLS:
		return bypass{table: t, how: "with BYPASSRLS"}, true
	case owner && a.Name == t.Owner:
		return bypass{table: t, how: "as its owner, FORCE ROW LEVEL SECURITY not set",
			owner: true}, true
	case owner:
		return bypass{table: t, how: "as a member of its owner " + t.Owner +
			", FORCE ROW LEVEL SECURITY not set", owner: true}, true
	}
	return bypass{}, false
}

func (e *eval) rlsTarget(a *inventory.Account, db string, bs []bypass) target {
	items := make([]string, len(bs))
	for i, b := range bs {
		pol := "no policies, so roles that do not bypass see no rows"
		if len(b.table.Policies) > 0 {
			p := slices.Clone(b.table.Policies)
			slices.Sort(p)
			pol = "policies " + strings.Join(capList(p), ", ")
		}
		items[i] = fmt.Sprintf("%s (%s): %s", b.table.Name, pol, b.how)
	}
	ev := []string{fmt.Sprintf("%s reads %s with row-level security enabled in database %s, "+
		"and its policies do not apply to it: it sees and changes every row",
		a.Name, plural(len(bs), "PHI table"), db)}
	ev = append(ev, capList(items)...)
	ev = append(ev, kindEvidence(a))

	fix, why := rlsFix(a, db, bs)
	if why != "" {
		ev = append(ev, "no fix generated: "+why)
	}
	return target{
		account:  a,
		resource: db,
		evidence: ev,
		fix:      fix,
		phi:      true,
		phiWhy:   "bypasses row-level security on " + plural(len(bs), "PHI table"),
	}
}

// rlsFix removes BYPASSRLS and forces row-level security on the tables the
// account bypasses as owner. ALTER ROLE and ALTER TABLE with these
// keywords are idempotent, so the fix and its rollback can run again. A
// superuser gets no fix here: nothing but removing SUPERUSER binds it.
func rlsFix(a *inventory.Account, db string, bs []bypass) (*inventory.Fix, string) {
	if a.Attributes.Superuser {
		return nil, "a superuser is bound by no policy, FORCE ROW LEVEL SECURITY included: " +
			"remove SUPERUSER (see PG-SUPERUSER-SERVICE)"
	}
	if !validName(a.Name) || !validName(db) {
		return nil, "the account or database name cannot be written in SQL"
	}
	var apply, rollback, skipped []string
	if a.Attributes.BypassRLS {
		role := quoteIdent(a.Name)
		apply = append(apply, fmt.Sprintf("ALTER ROLE %s NOBYPASSRLS;", role))
		rollback = append(rollback, fmt.Sprintf("ALTER ROLE %s BYPASSRLS;", role))
	}
	for _, b := range bs {
		if !b.owner {
			continue
		}
		_, s, t, ok := relationParts(b.table.Name)
		if !ok {
			skipped = append(skipped, b.table.Name)
			continue
		}
		q := quoteIdents(s, t)
		apply = append(apply, fmt.Sprintf("ALTER TABLE %s FORCE ROW LEVEL SECURITY;", q))
		rollback = append(rollback, fmt.Sprintf("ALTER TABLE %s NO FORCE ROW LEVEL SECURITY;", q))
	}
	if len(apply) == 0 {
		return nil, "the tables' names cannot be split into schema and table unambiguously"
	}

	notes := fmt.Sprintf("Run connected to database %s as a superuser (ALTER ROLE ... "+
		"NOBYPASSRLS needs one; FORCE needs the table's owner). Check first that the "+
		"policies give %s the rows it needs: once it no longer bypasses them they apply to "+
		"it, and where no policy matches it sees and changes no rows.", db, a.Name)
	if slices.ContainsFunc(bs, func(b bypass) bool { return b.owner }) {
		notes += " FORCE also binds the owner's own backups: pg_dump run as the owner then " +
			"fails on these tables, so back up with a role that has BYPASSRLS. The lasting " +
			"fix for owned tables is to move their ownership (PG-SERVICE-OWNS-PHI)."
	}
	if len(skipped) > 0 {
		notes += " Not changed, do these by hand: " + strings.Join(capList(skipped), "; ") + "."
	}
	return sqlFix(apply, rollback, notes), ""
}
