package rules

import (
	"fmt"
	"slices"
	"strings"

	"github.com/wardsec/ward/internal/inventory"
)

// checkServiceOwnsPHI is PG-SERVICE-OWNS-PHI: a covered login that owns
// PHI tables or views. The findings are grouped per account and schema:
// the resource is "database.schema". It stays the same as tables come and
// go, it matches how ownership is usually laid out (a migration login owns
// a schema's tables), and its fix runs in one database.
func checkServiceOwnsPHI(e *eval, r Rule) []inventory.Finding {
	if !e.postgres {
		return nil
	}
	owned := map[string][]*inventory.Resource{}
	for i := range e.snap.Resources {
		res := &e.snap.Resources[i]
		if res.PHI && isRelation(res.Type) && res.Owner != "" {
			owned[res.Owner] = append(owned[res.Owner], res)
		}
	}
	if len(owned) == 0 {
		return nil
	}

	var out []inventory.Finding
	for i := range e.snap.Accounts {
		a := &e.snap.Accounts[i]
		rs := owned[a.Name]
		if len(rs) == 0 || !e.covers(r, a) {
			continue
		}
		bySchema := map[string][]*inventory.Resource{}
		for _, res := range rs {
			k := schemaOf(res.Name)
			bySchema[k] = append(bySchema[k], res)
		}
		schemas := make([]string, 0, len(bySchema))
		for k := range bySchema {
			schemas = append(schemas, k)
		}
		slices.Sort(schemas)
		for _, k := range schemas {
			out = append(out, e.finding(r, e.ownsTarget(a, k, bySchema[k])))
		}
	}
	return out
}

func (e *eval) ownsTarget(a *inventory.Account, schema string, rs []*inventory.Resource) target {
	rs = slices.Clone(rs)
	slices.SortFunc(rs, byResourceName)

	items := make([]string, len(rs))
	var unforced []string
	for i, res := range rs {
		items[i] = strings.ToLower(res.Type) + " " + res.Name
		if res.RLS && !res.ForceRLS {
			unforced = append(unforced, res.Name)
		}
	}
	ev := []string{fmt.Sprintf("%s owns %s in schema %s", a.Name,
		plural(len(rs), "PHI object"), schema)}
	ev = append(ev, capList(items)...)
	ev = append(ev, "an owner holds every privilege on its objects whatever the grants "+
		"say, can grant them to any role, can alter or drop them, and is not bound by "+
		"row-level security unless FORCE ROW LEVEL SECURITY is set")
	if len(unforced) > 0 {
		ev = append(ev, "row-level security is enabled but not forced, so its policies do "+
			"not apply to the owner, on: "+strings.Join(capList(unforced), ", "))
	}
	ev = append(ev, kindEvidence(a))

	db, _, _ := strings.Cut(schema, ".")
	fix, why := e.ownershipFix(a, db, schema, rs)
	if why != "" {
		ev = append(ev, "no fix generated: "+why)
	}
	return target{
		account:  a,
		resource: schema,
		evidence: ev,
		fix:      fix,
		phi:      true,
		phiWhy:   "owns " + plural(len(rs), "PHI object"),
	}
}

// ownershipFix gives the account's tables in one schema to an owner role
// that cannot log in, and gives the account back what it needs to keep
// working through its group role: SELECT, INSERT, UPDATE and DELETE on
// the tables, USAGE and SELECT on the sequences they own. The account must
// not be a member of the owner role, or it would keep the owner's rights;
// the fix refuses to run if it is. Views and materialized views are left
// for a person, because moving them changes whose rights they run with.
// why says why there is no fix.
func (e *eval) ownershipFix(a *inventory.Account, db, schema string,
	rs []*inventory.Resource) (*inventory.Fix, string) {
	if !validName(a.Name) || !validName(db) {
		return nil, "the account or database name cannot be written in SQL"
	}
	inherit, why := e.inheritClause(a)
	if why != "" {
		return nil, why
	}
	owner, group := suffixedRole(a.Name, "_owner"), groupRoleName(a.Name)

	var tables, skipped, rls []string
	for _, res := range rs {
		_, s, t, ok := relationParts(res.Name)
		switch {
		case !ok:
			skipped = append(skipped, res.Name+" (its name cannot be split unambiguously)")
		case !isPlainTable(res.Type):
			skipped = append(skipped, strings.ToLower(res.Type)+" "+res.Name+
				" (it runs with its owner's rights, or only its owner can refresh it)")
		default:
			tables = append(tables, quoteIdents(s, t))
			if res.RLS {
				rls = append(rls, res.Name)
			}
		}
	}
	if len(tables) == 0 {
		return nil, "none of the objects is a table whose ownership ward can move " +
			"without changing what it does: " + strings.Join(capList(skipped), "; ")
	}

	acct, own, grp := quoteIdent(a.Name), quoteIdent(owner), quoteIdent(group)
	apply := []string{createGroupSQL(owner), createGroupSQL(group), notMemberSQL(a.Name, owner)}
	var rollback []string
	for _, t := range tables {
		apply = append(apply, fmt.Sprintf("ALTER TABLE %s OWNER TO %s;", t, own))
		rollback = append(rollback, fmt.Sprintf("ALTER TABLE %s OWNER TO %s;", t, acct))
	}
	for _, t := range tables {
		apply = append(apply, fmt.Sprintf(
			"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE %s TO %s;", t, grp))
	}
	apply = append(apply, ownedSequencesSQL(tables, group),
		fmt.Sprintf("GRANT %s TO %s%s;", grp, acct, inherit))

	rollback = append(rollback, e.groupRevokes(group, rs)...)
	if membership(a, group) == nil {
		rollback = append(rollback, fmt.Sprintf("REVOKE %s FROM %s;", grp, acct))
	}

	notes := fmt.Sprintf("Run connected to database %[1]s as a superuser (a non-superuser "+
		"must be able to SET ROLE to both %[2]s and %[3]s, and %[3]s needs CREATE on schema "+
		"%[4]s). %[2]s keeps working through %[5]s: SELECT, INSERT, UPDATE and DELETE on the "+
		"tables, USAGE and SELECT on the sequences they own; grant TRUNCATE, REFERENCES or "+
		"TRIGGER too if it uses them. It can no longer alter or drop the tables: run schema "+
		"migrations as a separate login that is a member of %[3]s. ALTER TABLE ... OWNER "+
		"locks each table until COMMIT, so run it at a quiet time. Tables the account "+
		"creates later are its own again. The rollback gives the tables back to %[2]s; the "+
		"owner role and the sequence grants stay (drop the role once it owns nothing).",
		db, a.Name, owner, schema, group)
	if len(rls) > 0 {
		notes += " Row-level security is enabled on " + strings.Join(capList(rls), ", ") +
			": as owner the account was not bound by the policies, afterwards it is, so " +
			"check first that they give it the rows it needs."
	}
	if len(skipped) > 0 {
		notes += " Not moved, do these by hand: " + strings.Join(capList(skipped), "; ") + "."
	}
	return sqlFix(apply, rollback, notes), ""
}

// notMemberSQL stops the fix when the account is a member of the owner
// role: it would then keep the owner's rights through the membership.
func notMemberSQL(account, owner string) string {
	body := fmt.Sprintf(`
BEGIN
  IF pg_catalog.pg_has_role(%[1]s, %[2]s, 'MEMBER') THEN
    RAISE EXCEPTION 'role %% is a member of %%, which would keep the owner''s rights', %[1]s, %[2]s;
  END IF;
END
`, quoteLiteral(account), quoteLiteral(owner))
	return "DO " + dollarQuote(body) + ";"
}

// ownedSequencesSQL grants USAGE and SELECT on the sequences that belong
// to the tables (serial and identity columns) to group. Their ownership
// moves with the tables, so without this grant the account could no
// longer draw values from a serial column's sequence. The tables are
// quoted qualified names.
func ownedSequencesSQL(tables []string, group string) string {
	lits := make([]string, len(tables))
	for i, t := range tables {
		lits[i] = quoteLiteral(t) + "::regclass"
	}
	body := fmt.Sprintf(`
DECLARE
  seq regclass;
BEGIN
  FOR seq IN
    SELECT d.objid::regclass
    FROM pg_catalog.pg_depend d
    JOIN pg_catalog.pg_class c ON c.oid = d.objid AND c.relkind = 'S'
    WHERE d.classid = 'pg_catalog.pg_class'::regclass
      AND d.refclassid = 'pg_catalog.pg_class'::regclass
      AND d.deptype IN ('a', 'i')
      AND d.refobjid IN (%s)
  LOOP
    EXECUTE pg_catalog.format('GRANT USAGE, SELECT ON SEQUENCE %%s TO %%I', seq, %s);
  END LOOP;
END
`, strings.Join(lits, ", "), quoteLiteral(group))
	return "DO " + dollarQuote(body) + ";"
}

// roleHolds reports whether the snapshot shows role holding priv on
// resource by a grant of its own (not through PUBLIC or another role).
func (e *eval) roleHolds(role, resource, priv string) bool {
	a, ok := e.byName[role]
	if !ok {
		return false
	}
	return slices.ContainsFunc(a.Grants, func(g inventory.Grant) bool {
		return g.Resource == resource && strings.EqualFold(g.Privilege, priv) &&
			g.Via == inventory.ViaDirect
	})
}

// groupRevokes takes back, in a rollback, the table privileges the fix
// gave group, except those the snapshot shows group holding already.
func (e *eval) groupRevokes(group string, rs []*inventory.Resource) []string {
	var out []string
	for _, res := range rs {
		_, s, t, ok := relationParts(res.Name)
		if !ok || !isPlainTable(res.Type) {
			continue
		}
		var privs []string
		for _, p := range []string{"SELECT", "INSERT", "UPDATE", "DELETE"} {
			if !e.roleHolds(group, res.Name, p) {
				privs = append(privs, p)
			}
		}
		if len(privs) > 0 {
			out = append(out, fmt.Sprintf("REVOKE %s ON TABLE %s FROM %s;",
				strings.Join(privs, ", "), quoteIdents(s, t), quoteIdent(group)))
		}
	}
	return out
}
