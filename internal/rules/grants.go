package rules

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/wardsec/ward/internal/inventory"
)

// checkDirectGrants is PG-DIRECT-GRANTS: privileges granted straight to a
// login. Privileges from ownership or PUBLIC are not direct grants; the
// default CONNECT and TEMPORARY on databases come from PUBLIC and so are
// never counted.
//
// The findings are grouped per account and database: the resource is the
// database name. It is stable across scans (it does not change as grants
// come and go), and it matches how a fix is run: GRANT and REVOKE on
// tables, schemas and sequences work only while connected to the database
// that holds them.
func checkDirectGrants(e *eval, r Rule) []inventory.Finding {
	if !e.postgres {
		return nil
	}
	var out []inventory.Finding
	for i := range e.snap.Accounts {
		a := &e.snap.Accounts[i]
		if !r.Applies(a.Kind) || !e.isLogin(a) {
			continue
		}
		byDB := map[string][]inventory.Grant{}
		for _, g := range a.Grants {
			if g.Via == inventory.ViaDirect {
				db := grantDatabase(g)
				byDB[db] = append(byDB[db], g)
			}
		}
		if len(byDB) == 0 {
			continue
		}

		phi, why := e.phiReach(a)
		dbs := make([]string, 0, len(byDB))
		for db := range byDB {
			dbs = append(dbs, db)
		}
		slices.Sort(dbs)
		for _, db := range dbs {
			t := e.directGrantsTarget(a, db, byDB[db])
			t.phi, t.phiWhy = phi, why
			out = append(out, e.finding(r, t))
		}
	}
	return out
}

// grantDatabase is the database part of a grant's resource. A database
// grant's resource is the database name itself, which may hold dots.
func grantDatabase(g inventory.Grant) string {
	if strings.EqualFold(g.ResourceType, "database") {
		return g.Resource
	}
	db, _, _ := strings.Cut(g.Resource, ".")
	return db
}

func (e *eval) directGrantsTarget(a *inventory.Account, db string, gs []inventory.Grant) target {
	gs = slices.Clone(gs)
	slices.SortFunc(gs, func(x, y inventory.Grant) int {
		return cmp.Or(cmp.Compare(x.Resource, y.Resource), cmp.Compare(x.Privilege, y.Privilege))
	})

	items := make([]string, len(gs))
	for i, g := range gs {
		s := grantText(g)
		if g.Grantable {
			s += " with grant option"
		}
		if g.PHI {
			s += " (PHI)"
		}
		items[i] = s
	}
	ev := []string{fmt.Sprintf("%s granted straight to %s in database %s, not through a group role",
		plural(len(gs), "privilege"), a.Name, db)}
	ev = append(ev, capList(items)...)

	fix, why := e.directGrantsFix(a, db, gs)
	if why != "" {
		ev = append(ev, "no fix generated: "+why)
	}
	return target{account: a, resource: db, evidence: ev, fix: fix}
}

// grantText names a grant for evidence and notes.
func grantText(g inventory.Grant) string {
	return fmt.Sprintf("%s on %s %s", g.Privilege, g.ResourceType, g.Resource)
}

// groupRoleName is the group role a fix moves an account's direct grants
// to: the account's name with "_access", cut to PostgreSQL's 63-byte limit
// on a character boundary.
func groupRoleName(account string) string { return suffixedRole(account, "_access") }

// suffixedRole appends suffix to a role name, cutting the name on a
// character boundary so that the result fits PostgreSQL's 63-byte limit.
func suffixedRole(account, suffix string) string {
	const limit = 63
	name := account
	for len(name)+len(suffix) > limit {
		_, size := utf8.DecodeLastRuneInString(name)
		name = name[:len(name)-size]
	}
	return name + suffix
}

// directGrantsFix moves the direct grants in one database to a group role:
// create the group (NOLOGIN) unless it exists, grant it the same
// privileges, make the account a member, and revoke the direct grants.
// Every statement can be run again: GRANT and REVOKE of what is already
// there or gone are no-ops, and the group is created only if missing. why
// says why there is no fix.
func (e *eval) directGrantsFix(a *inventory.Account, db string,
	gs []inventory.Grant) (*inventory.Fix, string) {
	if !validName(a.Name) || !validName(db) {
		return nil, "the account or database name cannot be written in SQL"
	}
	inherit, why := e.inheritClause(a)
	if why != "" {
		return nil, why
	}
	group := groupRoleName(a.Name)

	var toGroup, revoke, restore, skipped []string
	for _, g := range gs {
		priv, on, ok := grantSQL(g)
		if !ok {
			skipped = append(skipped, grantText(g))
			continue
		}
		opt := ""
		if g.Grantable {
			opt = " WITH GRANT OPTION"
		}
		grp, acct := quoteIdent(group), quoteIdent(a.Name)
		toGroup = appendNew(toGroup, fmt.Sprintf("GRANT %s ON %s TO %s%s;", priv, on, grp, opt))
		revoke = appendNew(revoke, fmt.Sprintf("REVOKE %s ON %s FROM %s;", priv, on, acct))
		restore = appendNew(restore, fmt.Sprintf("GRANT %s ON %s TO %s%s;", priv, on, acct, opt))
	}
	if len(toGroup) == 0 {
		return nil, "none of the direct grants is of a kind ward can move automatically " +
			"(functions and other objects are named with their signatures)"
	}

	apply := []string{createGroupSQL(group)}
	apply = append(apply, toGroup...)
	apply = append(apply,
		fmt.Sprintf("GRANT %s TO %s%s;", quoteIdent(group), quoteIdent(a.Name), inherit))
	apply = append(apply, revoke...)
	rollback := slices.Concat(restore,
		[]string{fmt.Sprintf("REVOKE %s FROM %s;", quoteIdent(group), quoteIdent(a.Name))})

	notes := fmt.Sprintf("Run connected to database %s, as the owner of the objects or a "+
		"superuser. The rollback restores the direct grants and leaves the group role %s "+
		"in place (drop it when no one uses it). If another role granted a privilege, "+
		"REVOKE leaves that grant: add GRANTED BY that role.", db, group)
	if slices.ContainsFunc(gs, func(g inventory.Grant) bool { return g.Grantable }) {
		notes += " If the account passed a privilege on with its grant option, REVOKE " +
			"fails with \"dependent privileges exist\" and nothing is changed: move those " +
			"grants first, or add CASCADE knowingly."
	}
	if len(skipped) > 0 {
		notes += " Not moved, do these by hand: " + strings.Join(capList(skipped), "; ") + "."
	}
	fix := sqlFix(apply, rollback, notes)
	return fix, ""
}

// inheritClause returns the option the membership grant needs so that the
// account uses the group's privileges without SET ROLE. A NOINHERIT role
// needs WITH INHERIT TRUE, which exists from PostgreSQL 16; before that
// (or with the version unknown) there is no safe fix.
func (e *eval) inheritClause(a *inventory.Account) (string, string) {
	if a.Attributes.Inherit {
		return "", ""
	}
	if pg := e.snap.Postgres; pg != nil && pg.ServerVersionNum >= 160000 {
		return " WITH INHERIT TRUE", ""
	}
	return "", "the account is NOINHERIT, so it would not use a group's privileges " +
		"without SET ROLE (PostgreSQL 16 and later allow WITH INHERIT TRUE on the membership)"
}

// createGroupSQL creates the group role if it is missing, and refuses to
// reuse a role of that name that can log in or has sweeping attributes:
// making the account a member of such a role would widen its access.
func createGroupSQL(group string) string {
	lit := quoteLiteral(group)
	body := fmt.Sprintf(`
BEGIN
  IF EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = %[1]s
             AND (rolcanlogin OR rolsuper OR rolcreaterole OR rolbypassrls OR rolreplication)) THEN
    RAISE EXCEPTION 'role %% exists and can log in or has elevated attributes', %[1]s;
  END IF;
  IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = %[1]s) THEN
    CREATE ROLE %[2]s NOLOGIN;
  END IF;
END
`, lit, quoteIdent(group))
	return "DO " + dollarQuote(body) + ";"
}

// grantSQL returns the privilege keyword and the ON clause of a grant, or
// ok false when ward cannot write it safely: an unknown privilege, an
// object kind named with a signature (functions), or a resource whose
// number of dot-separated parts does not fit its type (a name with a dot).
func grantSQL(g inventory.Grant) (priv, on string, ok bool) {
	priv = strings.ToUpper(strings.TrimSpace(g.Privilege))
	if !knownPrivilege(priv) {
		return "", "", false
	}
	if strings.EqualFold(g.ResourceType, "database") {
		if !validName(g.Resource) {
			return "", "", false
		}
		return priv, "DATABASE " + quoteIdent(g.Resource), true
	}
	parts := strings.Split(g.Resource, ".")
	for _, p := range parts {
		if !validName(p) {
			return "", "", false
		}
	}

	switch strings.ToLower(g.ResourceType) {
	case "schema":
		if len(parts) != 2 {
			return "", "", false
		}
		return priv, "SCHEMA " + quoteIdent(parts[1]), true
	case "table", "view", "materialized view", "foreign table", "partitioned table":
		if len(parts) != 3 {
			return "", "", false
		}
		return priv, "TABLE " + quoteIdents(parts[1], parts[2]), true
	case "sequence":
		if len(parts) != 3 {
			return "", "", false
		}
		return priv, "SEQUENCE " + quoteIdents(parts[1], parts[2]), true
	case "column":
		if len(parts) != 4 {
			return "", "", false
		}
		col := priv + " (" + quoteIdent(parts[3]) + ")"
		return col, "TABLE " + quoteIdents(parts[1], parts[2]), true
	}
	return "", "", false
}

func knownPrivilege(p string) bool {
	switch p {
	case "SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER",
		"MAINTAIN", "USAGE", "CREATE", "CONNECT", "TEMPORARY", "TEMP", "EXECUTE":
		return true
	}
	return false
}

// appendNew appends s unless list already holds it.
func appendNew(list []string, s string) []string {
	if slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}
