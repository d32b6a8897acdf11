package rules

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/wardsec/ward/internal/inventory"
)

// grantPlan is what a DB-GRANT-UNUSED fix changes. The account gets a
// minimal group role (<account>_min) holding what it used; its
// memberships that carry unused privileges are revoked, and so are its
// own grants that the logs judge (the used ones move to the minimal role).
// Group roles themselves are never changed: other members use them.
type grantPlan struct {
	account *inventory.Account
	minRole string
	// revokeRoles are the memberships revoked; keptRoles those left.
	revokeRoles []string
	// revokeDirect are the account's own grants revoked.
	revokeDirect []inventory.Grant
	// toMin are the grants the minimal role gets.
	toMin []inventory.Grant
	// lostRoles are the roles the account no longer belongs to after the
	// fix; rlsTables the tables with row-level security the minimal role
	// gets privileges on, whose policies naming lost roles must name it too.
	lostRoles []string
	rlsTables []string
	// blocked says why a membership with unused privileges is kept.
	blocked []string
	// none says why there is no fix at all.
	none string
}

// planGrantFix decides what the fix for a's unused grants changes.
func (e *eval) planGrantFix(a *inventory.Account, uses []grantUse) grantPlan {
	p := grantPlan{account: a, minRole: suffixedRole(a.Name, "_min")}
	if !validName(a.Name) {
		p.none = "the account name cannot be written in SQL"
		return p
	}
	if _, why := e.inheritClause(a); why != "" {
		p.none = why
		return p
	}

	bySource := map[string][]grantUse{}
	for _, gu := range uses {
		bySource[gu.source] = append(bySource[gu.source], gu)
	}
	sources := make([]string, 0, len(bySource))
	for s := range bySource {
		if s != "" {
			sources = append(sources, s)
		}
	}
	slices.Sort(sources)
	for _, s := range sources {
		if !slices.ContainsFunc(bySource[s], isUnused) {
			continue
		}
		if why := e.membershipBlocked(a, s, bySource[s]); why != "" {
			p.blocked = append(p.blocked, why)
			continue
		}
		p.revokeRoles = append(p.revokeRoles, s)
	}

	kept := p.keptHoldings(uses)
	unusedDirect := false
	for _, gu := range uses {
		switch {
		case gu.source == "" && gu.judged:
			if _, _, ok := grantSQL(gu.g); !ok {
				continue
			}
			p.revokeDirect = append(p.revokeDirect, gu.g)
			unusedDirect = unusedDirect || !gu.used
			if gu.used {
				p.addToMin(gu.g, kept)
			}
		case slices.Contains(p.revokeRoles, gu.source) && !isUnused(gu):
			p.addToMin(gu.g, kept)
		}
	}
	if len(p.revokeRoles) == 0 && !unusedDirect {
		p.none = "every membership that carries an unused privilege must stay"
		p.revokeDirect, p.toMin = nil, nil
		return p
	}
	p.trimSchemaUsage()
	p.lostRoles = lostRoles(a, p.revokeRoles)
	p.rlsTables = e.rlsTables(p.toMin)
	return p
}

// membershipBlocked says why the membership in role cannot be revoked,
// or "" when it can. It cannot when the account administers the role,
// when privileges through it need SET ROLE (the application may switch to
// it), when it leads to a predefined or sweeping role that a group grant
// cannot replace, or when it gives something ward cannot re-grant.
func (e *eval) membershipBlocked(a *inventory.Account, role string, gs []grantUse) string {
	for _, m := range a.Memberships {
		if len(m.Path) == 0 || m.Path[0] != role {
			continue
		}
		switch {
		case m.Role == role && m.Admin:
			return fmt.Sprintf("the membership in %s is kept: the account holds it WITH ADMIN "+
				"OPTION", role)
		case !m.Inherit:
			return fmt.Sprintf("the membership in %s is kept: %s is reached only with SET "+
				"ROLE, which the application may do", role, m.Role)
		case strings.HasPrefix(m.Role, "pg_") || containsFold(e.allData, m.Role) ||
			containsFold(a.Attributes.DangerousRoles, m.Role):
			return fmt.Sprintf("the membership in %s is kept: it also gives %s, which a "+
				"minimal role cannot stand in for", role, m.Role)
		}
	}
	for _, gu := range gs {
		if isUnused(gu) {
			continue
		}
		if gu.g.SetRoleOnly {
			return fmt.Sprintf("the membership in %s is kept: its privileges need SET ROLE",
				role)
		}
		if _, _, ok := grantSQL(gu.g); !ok {
			return fmt.Sprintf("the membership in %s is kept: it also gives %s, which ward "+
				"cannot re-grant", role, grantText(gu.g))
		}
	}
	return ""
}

// keptHoldings are the privileges the account keeps after the fix
// without the minimal role: through memberships not revoked, and its own
// grants the fix does not touch.
func (p *grantPlan) keptHoldings(uses []grantUse) map[[2]string]bool {
	kept := map[[2]string]bool{}
	for _, gu := range uses {
		direct := gu.source == ""
		if (direct && !gu.judged) || (!direct && !slices.Contains(p.revokeRoles, gu.source)) {
			kept[grantKey(gu.g)] = true
		}
	}
	return kept
}

func grantKey(g inventory.Grant) [2]string {
	return [2]string{strings.ToUpper(g.Privilege), g.Resource}
}

func sameGrant(x, y inventory.Grant) bool { return grantKey(x) == grantKey(y) }

// addToMin adds g to the minimal role's grants, once per privilege and
// object (with the grant option if any path had it), unless the account
// keeps it another way.
func (p *grantPlan) addToMin(g inventory.Grant, kept map[[2]string]bool) {
	if kept[grantKey(g)] {
		return
	}
	for i := range p.toMin {
		if sameGrant(p.toMin[i], g) {
			p.toMin[i].Grantable = p.toMin[i].Grantable || g.Grantable
			return
		}
	}
	g.Via, g.Path, g.SetRoleOnly = "", nil, false
	p.toMin = append(p.toMin, g)
}

// trimSchemaUsage drops USAGE on schemas the minimal role holds nothing
// in, and sorts its grants.
func (p *grantPlan) trimSchemaUsage() {
	holds := map[string]bool{}
	for _, g := range p.toMin {
		if !strings.EqualFold(g.ResourceType, "schema") &&
			!strings.EqualFold(g.ResourceType, "database") {
			holds[schemaOf(g.Resource)] = true
		}
	}
	p.toMin = slices.DeleteFunc(p.toMin, func(g inventory.Grant) bool {
		return strings.EqualFold(g.ResourceType, "schema") &&
			strings.EqualFold(g.Privilege, "USAGE") && !holds[g.Resource]
	})
	slices.SortFunc(p.toMin, func(x, y inventory.Grant) int {
		return cmp.Or(cmp.Compare(grantDatabase(x), grantDatabase(y)),
			cmp.Compare(typeOrder(x.ResourceType), typeOrder(y.ResourceType)),
			cmp.Compare(x.Resource, y.Resource), cmp.Compare(x.Privilege, y.Privilege))
	})
}

// typeOrder puts containers before their contents, so the script grants
// a schema's USAGE before its tables.
func typeOrder(typ string) int {
	switch strings.ToLower(typ) {
	case "database":
		return 0
	case "schema":
		return 1
	}
	return 2
}

// lostRoles are the roles a reaches only through the revoked memberships.
func lostRoles(a *inventory.Account, revoked []string) []string {
	keep := map[string]bool{}
	for _, m := range a.Memberships {
		if len(m.Path) > 0 && !slices.Contains(revoked, m.Path[0]) {
			keep[m.Role] = true
		}
	}
	var out []string
	for _, m := range a.Memberships {
		if len(m.Path) > 0 && slices.Contains(revoked, m.Path[0]) && !keep[m.Role] {
			out = appendNew(out, m.Role)
		}
	}
	slices.Sort(out)
	return out
}

// rlsTables are the tables with row-level security among gs (a column's
// table counts), sorted.
func (e *eval) rlsTables(gs []inventory.Grant) []string {
	var out []string
	for _, g := range gs {
		name := g.Resource
		switch {
		case isColumn(g.ResourceType):
			name = tableOf(name)
		case !isRelation(g.ResourceType):
			continue
		}
		if r, ok := e.byResource[name]; ok && r.RLS {
			out = appendNew(out, name)
		}
	}
	slices.Sort(out)
	return out
}

// fix writes the plan as SQL, and returns the evidence lines about what
// the fix leaves in place or why there is none.
func (p grantPlan) fix(e *eval, from, to time.Time, covered time.Duration,
	provisional bool) (*inventory.Fix, []string) {
	notes := slices.Clone(p.blocked)
	if p.none != "" {
		return nil, append(notes, "no fix generated: "+p.none)
	}
	dbs := p.databases()
	if len(dbs) > 1 {
		return nil, append(notes, "no fix generated: the privileges span databases "+
			strings.Join(dbs, ", ")+"; revoke them database by database")
	}
	db := ""
	if len(dbs) == 1 {
		db = dbs[0]
	}
	apply, rollback := p.statements()
	text := fmt.Sprintf("Rests on %s of logs, from %s to %s.", span(covered), stamp(from),
		stamp(to))
	if provisional {
		text += fmt.Sprintf(" PROVISIONAL: shorter than policy.min_observation (%s); a "+
			"monthly or quarterly job may need what looks unused. Wait for a longer window, "+
			"or check with the account's owner, before applying.",
			span(e.policy.MinObservation))
	}
	text += " " + p.explain(db)
	return sqlFix(apply, rollback, text), notes
}

// databases are the databases whose objects the plan grants or revokes.
func (p grantPlan) databases() []string {
	var out []string
	for _, gs := range [][]inventory.Grant{p.toMin, p.revokeDirect} {
		for _, g := range gs {
			if !strings.EqualFold(g.ResourceType, "database") {
				out = appendNew(out, grantDatabase(g))
			}
		}
	}
	slices.Sort(out)
	return out
}

// statements returns the apply and rollback statements, in order.
func (p grantPlan) statements() (apply, rollback []string) {
	acct, min := quoteIdent(p.account.Name), quoteIdent(p.minRole)
	var toMin, fromMin []string
	for _, g := range p.toMin {
		priv, on, _ := grantSQL(g)
		toMin = appendNew(toMin, fmt.Sprintf("GRANT %s ON %s TO %s%s;", priv, on, min,
			grantOption(g)))
		fromMin = appendNew(fromMin, fmt.Sprintf("REVOKE %s ON %s FROM %s;", priv, on, min))
	}
	var revoke, restore []string
	for _, g := range p.revokeDirect {
		priv, on, _ := grantSQL(g)
		revoke = appendNew(revoke, fmt.Sprintf("REVOKE %s ON %s FROM %s;", priv, on, acct))
		restore = appendNew(restore, fmt.Sprintf("GRANT %s ON %s TO %s%s;", priv, on, acct,
			grantOption(g)))
	}
	var leave, rejoin []string
	for _, r := range p.revokeRoles {
		leave = append(leave, fmt.Sprintf("REVOKE %s FROM %s;", quoteIdent(r), acct))
		rejoin = append(rejoin, fmt.Sprintf("GRANT %s TO %s;", quoteIdent(r), acct))
	}
	policies := len(p.toMin) > 0 && len(p.rlsTables) > 0 && len(p.lostRoles) > 0

	if len(p.toMin) > 0 {
		apply = append(apply, createGroupSQL(p.minRole))
		apply = append(apply, toMin...)
		if policies {
			apply = append(apply, p.policySQL(true))
		}
		apply = append(apply, fmt.Sprintf("GRANT %s TO %s;", min, acct))
	}
	apply = append(apply, leave...)
	apply = append(apply, revoke...)

	rollback = append(rollback, rejoin...)
	rollback = append(rollback, restore...)
	if len(p.toMin) > 0 {
		if policies {
			rollback = append(rollback, p.policySQL(false))
		}
		rollback = append(rollback, fmt.Sprintf("REVOKE %s FROM %s;", min, acct))
		rollback = append(rollback, fromMin...)
	}
	return apply, rollback
}

func grantOption(g inventory.Grant) string {
	if g.Grantable {
		return " WITH GRANT OPTION"
	}
	return ""
}

// policySQL adds the minimal role to (add) or removes it from the
// row-level security policies of the plan's tables that name a lost
// role, so that the account sees and writes the same rows as before. It
// reads the policies when it runs: the snapshot names policies, not the
// roles they apply to.
func (p grantPlan) policySQL(add bool) string {
	min := quoteLiteral(p.minRole)
	lost := make([]string, len(p.lostRoles))
	for i, r := range p.lostRoles {
		lost[i] = quoteLiteral(r)
	}
	tables := make([]string, len(p.rlsTables))
	for i, t := range p.rlsTables {
		_, schema, table, _ := relationParts(t)
		tables[i] = "(" + quoteLiteral(schema) + ", " + quoteLiteral(table) + ")"
	}
	match := fmt.Sprintf("pol.roles && ARRAY[%s]::name[]\n      AND NOT %s = ANY (pol.roles)",
		strings.Join(lost, ", "), min)
	roles := fmt.Sprintf("p.roles || %s::name", min)
	if !add {
		match = fmt.Sprintf("%s = ANY (pol.roles) AND pg_catalog.cardinality(pol.roles) > 1", min)
		roles = fmt.Sprintf("pg_catalog.array_remove(p.roles, %s::name)", min)
	}
	body := fmt.Sprintf(`
DECLARE
  p record;
BEGIN
  FOR p IN
    SELECT pol.schemaname, pol.tablename, pol.policyname, pol.roles
    FROM pg_catalog.pg_policies AS pol
    WHERE %s
      AND (pol.schemaname, pol.tablename) IN (%s)
  LOOP
    EXECUTE pg_catalog.format('ALTER POLICY %%I ON %%I.%%I TO %%s',
      p.policyname, p.schemaname, p.tablename,
      (SELECT pg_catalog.string_agg(pg_catalog.quote_ident(r), ', ')
       FROM pg_catalog.unnest(%s) AS r));
  END LOOP;
END
`, match, strings.Join(tables, ", "), roles)
	return "DO " + dollarQuote(body) + ";"
}

// explain is the fix's notes: what it changes, what it leaves, how to
// run it and undo it.
func (p grantPlan) explain(db string) string {
	var b strings.Builder
	acct := p.account.Name
	if n := len(p.revokeRoles); n > 0 {
		role, it := "role "+p.revokeRoles[0]+" is", "it"
		if n > 1 {
			role, it = "roles "+strings.Join(p.revokeRoles, ", ")+" are", "them"
		}
		fmt.Fprintf(&b, "The group %s not changed, since other members may use %s: %s's "+
			"membership in %s is revoked instead, and %s grants %s what it used through %s, "+
			"with the privileges whose use the logs do not show (sequences, functions, "+
			"schema USAGE), which are kept. ", role, it, acct, it, p.minRole, acct, it)
	}
	if len(p.revokeDirect) > 0 {
		fmt.Fprintf(&b, "%s's own grants on the objects judged are revoked; those it used "+
			"move to %s. ", acct, p.minRole)
	}
	if len(p.rlsTables) > 0 && len(p.lostRoles) > 0 {
		fmt.Fprintf(&b, "Row-level security policies on %s that name %s are made to name %s "+
			"too, so %s keeps seeing and writing the same rows. ",
			strings.Join(p.rlsTables, ", "), strings.Join(p.lostRoles, ", "), p.minRole, acct)
	}
	if slices.ContainsFunc(p.revokeDirect, func(g inventory.Grant) bool { return g.Grantable }) {
		fmt.Fprintf(&b, "If %s passed a privilege on with its grant option, REVOKE fails "+
			"with \"dependent privileges exist\" and nothing is changed: move those grants "+
			"first, or add CASCADE knowingly. ", acct)
	}
	b.WriteString("Column grants stay as they are: pgaudit names the table, not the " +
		"columns, so using a table keeps every column grant on it. ")
	if db != "" {
		fmt.Fprintf(&b, "Run connected to database %s, ", db)
	} else {
		b.WriteString("Run ")
	}
	b.WriteString("as a superuser or a role that owns the objects and has ADMIN OPTION on " +
		"the group roles. If another role granted a privilege, REVOKE leaves that grant: " +
		"add GRANTED BY that role. The rollback restores the memberships and grants and " +
		"empties " + p.minRole + "; drop it with DROP ROLE once nobody is a member.")
	return b.String()
}
