package rules

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/wardsec/ward/internal/inventory"
)

// publicObject is one PHI table, view or column on which PUBLIC holds
// privileges that read or change rows.
type publicObject struct {
	resource string
	typ      string
	// grants holds one grant per privilege, in dataPrivileges order.
	grants []inventory.Grant
}

// checkPublicPHI is PG-PUBLIC-PHI-ACCESS: one finding about the source per
// PHI object on which PUBLIC can read or change rows. PUBLIC's privileges
// come from the snapshot's PublicGrants and, for connectors that keep them
// only there, from account grants whose path is PUBLIC.
func checkPublicPHI(e *eval, r Rule) []inventory.Finding {
	if !e.postgres {
		return nil
	}
	var out []inventory.Finding
	for _, o := range e.publicPHIObjects() {
		out = append(out, e.finding(r, e.publicTarget(o)))
	}
	return out
}

// publicPHIObjects collects PUBLIC's data privileges on PHI objects, one
// entry per object, sorted by name.
func (e *eval) publicPHIObjects() []publicObject {
	byRes := map[string]*publicObject{}
	add := func(g inventory.Grant) {
		priv := strings.ToUpper(strings.TrimSpace(g.Privilege))
		if !slices.Contains(dataPrivileges(), priv) {
			return
		}
		if !isRelation(g.ResourceType) && !isColumn(g.ResourceType) {
			return
		}
		if !e.isPHI(g) {
			return
		}
		o, ok := byRes[g.Resource]
		if !ok {
			o = &publicObject{resource: g.Resource, typ: strings.ToLower(g.ResourceType)}
			byRes[g.Resource] = o
		}
		if !slices.ContainsFunc(o.grants, func(h inventory.Grant) bool {
			return strings.EqualFold(h.Privilege, priv)
		}) {
			g.Privilege = priv
			o.grants = append(o.grants, g)
		}
	}
	for _, g := range e.snap.PublicGrants {
		add(g)
	}
	for _, a := range e.snap.Accounts {
		for _, g := range a.Grants {
			if g.Via == inventory.ViaPublic {
				add(g)
			}
		}
	}

	out := make([]publicObject, 0, len(byRes))
	for _, o := range byRes {
		slices.SortFunc(o.grants, func(x, y inventory.Grant) int {
			return cmp.Compare(slices.Index(dataPrivileges(), x.Privilege),
				slices.Index(dataPrivileges(), y.Privilege))
		})
		out = append(out, *o)
	}
	slices.SortFunc(out, func(x, y publicObject) int { return cmp.Compare(x.resource, y.resource) })
	return out
}

func (e *eval) publicTarget(o publicObject) target {
	privs := make([]string, len(o.grants))
	for i, g := range o.grants {
		privs[i] = g.Privilege
	}
	them := "it"
	if len(privs) > 1 {
		them = "them"
	}
	ev := []string{fmt.Sprintf("PUBLIC holds %s on %s %s: every role of the server has %s, "+
		"including roles created later, without a grant of its own",
		strings.Join(privs, ", "), o.typ, o.resource, them)}
	if why := e.phiReason(o.resource); why != "" {
		ev = append(ev, "marked PHI: "+why)
	}
	ev = append(ev, e.publicReach(o.resource)...)

	db, _, _ := strings.Cut(o.resource, ".")
	fix, why := publicFix(db, o)
	if why != "" {
		ev = append(ev, "no fix generated: "+why)
	}
	return target{
		resource: o.resource,
		evidence: ev,
		fix:      fix,
		phi:      true,
		phiWhy:   o.typ + " " + o.resource + " is PHI",
	}
}

// publicReach says who can use PUBLIC's privileges on an object: a role
// also needs CONNECT on the database and USAGE on the schema. When the
// snapshot lists no PUBLIC privileges at all, nothing is said, since the
// absence would mean nothing.
func (e *eval) publicReach(resource string) []string {
	if len(e.snap.PublicGrants) == 0 {
		return nil
	}
	schema := schemaOf(resource)
	db, _, _ := strings.Cut(resource, ".")
	connect := e.publicHolds("CONNECT", db)

	if e.publicHolds("USAGE", schema) {
		if connect {
			return []string{fmt.Sprintf("PUBLIC also holds CONNECT on database %s and USAGE "+
				"on schema %s: any login that can authenticate to the server can use these "+
				"privileges (%s in this snapshot)", db, schema,
				plural(e.loginCount(), "login role"))}
		}
		return []string{fmt.Sprintf("PUBLIC also holds USAGE on schema %s; CONNECT on "+
			"database %s is not PUBLIC's, so every role that may connect to it can use "+
			"these privileges", schema, db)}
	}

	users := e.schemaUsersOf(schema)
	s := fmt.Sprintf("PUBLIC does not hold USAGE on schema %s: the privileges work for "+
		"every role that is given USAGE on it by another grant", schema)
	if len(users) == 0 {
		return []string{s + "; no login in this snapshot has it yet"}
	}
	return []string{s + ": " + strings.Join(capList(users), ", ")}
}

// loginCount counts the roles of the snapshot that can log in.
func (e *eval) loginCount() int {
	n := 0
	for i := range e.snap.Accounts {
		if e.isLogin(&e.snap.Accounts[i]) {
			n++
		}
	}
	return n
}

// publicFix revokes PUBLIC's privileges on the object; the rollback grants
// them back. REVOKE and GRANT of what is already gone or there are no-ops,
// so both can be run again.
func publicFix(db string, o publicObject) (*inventory.Fix, string) {
	if !validName(db) {
		return nil, "the database name cannot be written in SQL"
	}
	var apply, rollback []string
	for _, g := range o.grants {
		priv, on, ok := grantSQL(g)
		if !ok {
			return nil, "the object's name cannot be split into schema and table " +
				"unambiguously; revoke by hand"
		}
		apply = appendNew(apply, fmt.Sprintf("REVOKE %s ON %s FROM PUBLIC;", priv, on))
		rollback = appendNew(rollback, fmt.Sprintf("GRANT %s ON %s TO PUBLIC;", priv, on))
	}
	notes := fmt.Sprintf("Run connected to database %s, as the owner of the table or a "+
		"superuser. First grant these privileges, through a group role, to the roles that "+
		"must keep them: after the REVOKE a role keeps only what it was granted itself. If "+
		"the grant to PUBLIC was made by a role other than the owner, add GRANTED BY that "+
		"role. The rollback opens the data to every role again.", db)
	if isColumn(o.typ) {
		notes += " This revokes the column grant only; a table-level grant to PUBLIC is " +
			"a finding of its own."
	}
	return sqlFix(apply, rollback, notes), ""
}
