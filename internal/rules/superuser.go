package rules

import (
	"fmt"
	"slices"
	"strings"

	"github.com/wardsec/ward/internal/inventory"
)

// roleAttr is one role attribute that trumps ACLs.
type roleAttr struct {
	// name is the keyword, also the finding's resource and the word the
	// owners file lists under needs.
	name string
	// column is the attribute's column in pg_roles.
	column string
	has    func(inventory.Attributes) bool
	// why explains, for the evidence, what the attribute lets a role do.
	why func(s *inventory.Snapshot) string
}

// sweepingAttrs are the attributes PG-SUPERUSER-SERVICE flags on a login.
// A member can also take on superuser, createrole and bypassrls of a group
// with SET ROLE; replication is checked on the login role only, so it is
// not followed through memberships.
func sweepingAttrs() []roleAttr {
	return []roleAttr{
		{
			name:   "superuser",
			column: "rolsuper",
			has:    func(a inventory.Attributes) bool { return a.Superuser },
			why: func(*inventory.Snapshot) string {
				return "bypasses every privilege check and row-level security"
			},
		},
		{
			name:   "createrole",
			column: "rolcreaterole",
			has:    func(a inventory.Attributes) bool { return a.CreateRole },
			why: func(s *inventory.Snapshot) string {
				if createRoleIsBroad(s) {
					return "can create, alter and drop non-superuser roles, change their " +
						"passwords and grant itself any non-superuser role " +
						"(PostgreSQL 15 and earlier, or version unknown)"
				}
				return "can create roles and manage the roles it holds ADMIN on"
			},
		},
		{
			name:   "bypassrls",
			column: "rolbypassrls",
			has:    func(a inventory.Attributes) bool { return a.BypassRLS },
			why: func(*inventory.Snapshot) string {
				return "ignores every row-level security policy"
			},
		},
		{
			name:   "replication",
			column: "rolreplication",
			has:    func(a inventory.Attributes) bool { return a.Replication },
			why: func(*inventory.Snapshot) string {
				return "can open replication connections and stream a full copy of the data"
			},
		},
	}
}

// checkSuperuser is PG-SUPERUSER-SERVICE: one finding per login and
// attribute, dangerous role, or powerful group that the owners file does
// not list in the account's needs.
func checkSuperuser(e *eval, r Rule) []inventory.Finding {
	if !e.postgres {
		return nil
	}
	var out []inventory.Finding
	for i := range e.snap.Accounts {
		a := &e.snap.Accounts[i]
		if !r.Applies(a.Kind) || !e.isLogin(a) {
			continue
		}
		// The bootstrap superuser is the cluster's administrative account;
		// it is a finding only when ward classified it as used by software.
		if a.Attributes.Bootstrap && a.Kind != inventory.KindService {
			continue
		}
		phi, why := e.phiReach(a)
		for _, t := range e.superuserTargets(a) {
			t.account, t.phi, t.phiWhy = a, phi, why
			out = append(out, e.finding(r, t))
		}
	}
	return out
}

// superuserTargets lists the targets of one account, attributes first.
func (e *eval) superuserTargets(a *inventory.Account) []target {
	var out []target
	attrs := sweepingAttrs()
	for _, at := range attrs {
		if !at.has(a.Attributes) || e.needs(a, at.name, at.column) {
			continue
		}
		// A superuser holds every other power anyway: one finding on the
		// superuser attribute says it all, and its fix removes the rest.
		if a.Attributes.Superuser && at.name != "superuser" {
			continue
		}
		out = append(out, target{
			resource: at.name,
			evidence: e.attrEvidence(a, at),
			fix:      attrFix(a, at.name),
		})
	}

	dangerous := slices.Clone(a.Attributes.DangerousRoles)
	slices.Sort(dangerous)
	dangerous = slices.Compact(dangerous)
	for _, role := range dangerous {
		if e.needs(a, role) {
			continue
		}
		m := membership(a, role)
		out = append(out, target{
			resource: roleResource(role),
			evidence: []string{
				fmt.Sprintf("member of %s %s", role, pathText(m)),
				"a predefined or cloud role with sweeping powers over the server's data or files",
			},
			fix: revokeMembershipFix(a, role, m),
		})
	}

	for _, m := range a.Memberships {
		if containsFold(dangerous, m.Role) || e.needs(a, m.Role) {
			continue
		}
		g, ok := e.byName[m.Role]
		if !ok {
			continue
		}
		var held []string
		for _, at := range attrs[:3] { // superuser, createrole, bypassrls
			if at.has(g.Attributes) && !e.needs(a, at.name, at.column) {
				held = append(held, at.column+" = true")
			}
		}
		if len(held) == 0 {
			continue
		}
		mm := m
		out = append(out, target{
			resource: roleResource(m.Role),
			evidence: []string{
				fmt.Sprintf("can SET ROLE to %s %s, which has %s",
					m.Role, pathText(&mm), strings.Join(held, ", ")),
			},
			fix: revokeMembershipFix(a, m.Role, &mm),
		})
	}
	return out
}

func (e *eval) attrEvidence(a *inventory.Account, at roleAttr) []string {
	ev := []string{fmt.Sprintf("%s = true: %s", at.column, at.why(e.snap))}
	if at.name == "superuser" && a.Attributes.Bootstrap {
		ev = append(ev, "this is the bootstrap superuser, which cannot lose SUPERUSER: "+
			"move the application to a role of its own")
	}
	ev = append(ev, kindEvidence(a))
	if o, ok := e.owner(a); ok && len(o.Needs) > 0 {
		ev = append(ev, "owners file needs: "+strings.Join(o.Needs, ", "))
	}
	return ev
}

// kindEvidence says why ward counts the account as a service account.
func kindEvidence(a *inventory.Account) string {
	s := "kind = " + string(a.Kind)
	if len(a.KindReasons) > 0 {
		s += " (" + strings.Join(capList(a.KindReasons), "; ") + ")"
	}
	return s
}

// roleResource is the resource of a role-membership finding: the role's
// name, unless it is spelt like an attribute keyword, which would make two
// different findings share a fingerprint.
func roleResource(role string) string {
	for _, at := range sweepingAttrs() {
		if strings.EqualFold(role, at.name) {
			return "role:" + role
		}
	}
	return role
}

// membership finds a's membership in role, or nil when the snapshot does
// not record it.
func membership(a *inventory.Account, role string) *inventory.Membership {
	for i := range a.Memberships {
		if a.Memberships[i].Role == role {
			return &a.Memberships[i]
		}
	}
	return nil
}

func isDirect(m *inventory.Membership) bool {
	return m == nil || len(m.Path) <= 1
}

func pathText(m *inventory.Membership) string {
	if m == nil {
		return "(path not recorded)"
	}
	if isDirect(m) {
		return "(directly)"
	}
	return "(through " + strings.Join(m.Path, " → ") + ")"
}

// attrFix removes one attribute. ALTER ROLE with an attribute keyword is
// idempotent, so the fix and its rollback can be run again.
func attrFix(a *inventory.Account, attr string) *inventory.Fix {
	if a.Attributes.Bootstrap || !validName(a.Name) {
		return nil
	}
	kw := strings.ToUpper(attr)
	role := quoteIdent(a.Name)
	return sqlFix(
		[]string{fmt.Sprintf("ALTER ROLE %s NO%s;", role, kw)},
		[]string{fmt.Sprintf("ALTER ROLE %s %s;", role, kw)},
		"Run as a superuser. First grant the account, through a group role, the "+
			"privileges it actually uses, or the application will fail.",
	)
}

// revokeMembershipFix revokes a direct membership. A membership held
// through other roles gets no automatic fix: revoking an intermediate role
// would take away everything else that role gives.
func revokeMembershipFix(a *inventory.Account, role string,
	m *inventory.Membership) *inventory.Fix {
	if !isDirect(m) || !validName(a.Name) || !validName(role) {
		return nil
	}
	grant := fmt.Sprintf("GRANT %s TO %s", quoteIdent(role), quoteIdent(a.Name))
	if m != nil && m.Admin {
		grant += " WITH ADMIN OPTION"
	}
	notes := "Run as a superuser or a role with ADMIN on " + role + ". If another " +
		"role granted the membership, add GRANTED BY that role (PostgreSQL 16 " +
		"and later keep one membership per grantor)."
	if m != nil && !m.Inherit {
		notes += " The membership was NOINHERIT; on PostgreSQL 16 and later add " +
			"WITH INHERIT FALSE to the rollback."
	}
	return sqlFix(
		[]string{fmt.Sprintf("REVOKE %s FROM %s;", quoteIdent(role), quoteIdent(a.Name))},
		[]string{grant + ";"},
		notes,
	)
}

// sqlFix wraps statements in one transaction each for apply and rollback.
func sqlFix(apply, rollback []string, notes string) *inventory.Fix {
	return &inventory.Fix{
		Language: "sql",
		Apply:    transaction(apply),
		Rollback: transaction(rollback),
		Notes:    notes,
	}
}

func transaction(stmts []string) string {
	return "BEGIN;\n" + strings.Join(stmts, "\n") + "\nCOMMIT;\n"
}
