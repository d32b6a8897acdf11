package rules

import (
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/wardsec/ward/internal/inventory"
)

// auditGapNote is what pgaudit records of a SECURITY DEFINER function
// called by another role.
const auditGapNote = "pgaudit logs the call of a SECURITY DEFINER function made by " +
	"another role, not the tables read inside it: data read through the function " +
	"leaves no table-level audit record"

// ownerPower is what a function's owner lends through SECURITY DEFINER.
type ownerPower struct {
	reasons []string
	phi     bool
	phiWhy  string
}

// checkSecurityDefiner is PG-SECURITY-DEFINER-EXPOSED: one finding about
// the source per SECURITY DEFINER function whose owner is a superuser or
// reaches PHI, and which PUBLIC or a covered login (directly or through a
// group) may execute. The rule's kinds name the logins that count as
// exposed callers; the finding itself is about the function.
//
// Functions that belong to an extension are left out: the extension's
// script sets their privileges and search_path, an extension update would
// undo a change made by hand, and pgaudit's own event-trigger functions
// (owned by a superuser, executable by PUBLIC) would otherwise be reported
// on every server that runs it.
func checkSecurityDefiner(e *eval, r Rule) []inventory.Finding {
	if !e.postgres {
		return nil
	}
	var out []inventory.Finding
	for _, f := range e.snap.Functions {
		if !f.SecurityDefiner || f.Extension != "" {
			continue
		}
		p := e.ownerPowers(f)
		if len(p.reasons) == 0 {
			continue
		}
		public, callers := e.exposedTo(r, f)
		if !public && len(callers) == 0 {
			continue
		}
		out = append(out, e.finding(r, e.definerTarget(f, p, public, callers)))
	}
	return out
}

// ownerPowers says why a function's owner is privileged: a superuser, or a
// role that owns PHI objects, holds grants on them, or holds a role that
// reads every table on a source that holds PHI.
func (e *eval) ownerPowers(f inventory.Function) ownerPower {
	var p ownerPower
	o := e.byName[f.Owner]
	if f.OwnerSuperuser || (o != nil && o.Attributes.Superuser) {
		p.reasons = append(p.reasons, "the owner "+f.Owner+" is a superuser: the function "+
			"runs with every privilege and is not bound by row-level security")
		if e.sourcePHI {
			p.phi, p.phiWhy = true, "the owner is a superuser on a source that holds PHI"
		}
	}

	var owned []string
	for _, res := range e.snap.Resources {
		if res.PHI && isRelation(res.Type) && res.Owner == f.Owner {
			owned = append(owned, res.Name)
		}
	}
	if len(owned) > 0 {
		slices.Sort(owned)
		p.reasons = append(p.reasons, fmt.Sprintf("the owner %s owns %s (%s)", f.Owner,
			plural(len(owned), "PHI object"), strings.Join(capList(owned), ", ")))
		p.phi, p.phiWhy = true, "the owner owns PHI objects"
	}
	if o == nil {
		return p
	}

	n, first := 0, ""
	for _, g := range o.Grants {
		if g.PHI && g.Via != inventory.ViaOwner && !g.SetRoleOnly {
			if n == 0 {
				first = g.Resource
			}
			n++
		}
	}
	if n > 0 {
		p.reasons = append(p.reasons, fmt.Sprintf("the owner %s holds %s on PHI resources (%s)",
			f.Owner, plural(n, "grant"), first))
		p.phi, p.phiWhy = true, "the owner holds grants on PHI resources"
	}
	if e.sourcePHI {
		for _, role := range o.Attributes.DangerousRoles {
			if containsFold(e.allData, role) {
				p.reasons = append(p.reasons, fmt.Sprintf("the owner %s is a member of %s "+
					"on a source that holds PHI", f.Owner, role))
				p.phi, p.phiWhy = true, "the owner reaches every table of a source that holds PHI"
				break
			}
		}
	}
	return p
}

// exposedTo reports whether PUBLIC may execute f, and which covered logins
// may, each with how. The owner, its inheriting members and superusers are
// left out: the function lends them nothing they lack.
func (e *eval) exposedTo(r Rule, f inventory.Function) (public bool, callers []string) {
	how := map[string]string{}
	gains := func(a *inventory.Account) bool {
		return e.covers(r, a) && !a.Attributes.Superuser && !ownsOrInherits(a, f.Owner)
	}
	for _, ex := range f.Executors {
		if strings.EqualFold(ex, inventory.ViaPublic) {
			public = true
			continue
		}
		if ex == f.Owner {
			continue
		}
		if a, ok := e.byName[ex]; ok && gains(a) {
			how[a.Name] = a.Name + " (directly)"
		}
		for _, ref := range e.membersOf(ex) {
			a, m := ref.account, ref.m
			if !gains(a) {
				continue
			}
			if _, seen := how[a.Name]; seen {
				continue
			}
			path := ex
			if len(m.Path) > 0 {
				path = strings.Join(m.Path, " → ")
			}
			if !m.Inherit {
				path += ", after SET ROLE"
			}
			how[a.Name] = a.Name + " (through " + path + ")"
		}
	}
	names := make([]string, 0, len(how))
	for n := range how {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		callers = append(callers, how[n])
	}
	return public, callers
}

func (e *eval) definerTarget(f inventory.Function, p ownerPower, public bool,
	callers []string) target {
	ev := []string{"SECURITY DEFINER function " + f.Name + " runs with the rights of its " +
		"owner " + f.Owner + ", whoever calls it"}
	ev = append(ev, p.reasons...)
	if public {
		ev = append(ev, "EXECUTE is held by PUBLIC (the default for a new function): "+
			"every role can call it and use the owner's rights through it")
	}
	if len(callers) > 0 {
		ev = append(ev, "service accounts that can call it: "+strings.Join(capList(callers), ", "))
	}
	if f.SearchPathPinned {
		ev = append(ev, "the function pins its own search_path")
	} else {
		ev = append(ev, "search_path is not pinned: a caller who can create objects in a "+
			"schema the function searches, its own temporary schema included, can make it "+
			"run the caller's code with the owner's rights")
	}
	ev = append(ev, auditGapNote)

	t := target{resource: f.Name, phi: p.phi, phiWhy: p.phiWhy}
	if !public && f.SearchPathPinned {
		t.variant = "granted"
	}
	fix, why := e.definerFix(f, public)
	if why != "" {
		ev = append(ev, "no fix generated: "+why)
	}
	t.evidence, t.fix = ev, fix
	return t
}

// definerFix revokes EXECUTE from PUBLIC and pins search_path. The pinned
// path is pg_catalog first (built-in functions cannot be shadowed), then
// the function's own schema, so that a body naming its tables without a
// schema keeps working, then pg_temp last. When PUBLIC can create objects
// in the function's schema, that schema is left out.
func (e *eval) definerFix(f inventory.Function, public bool) (*inventory.Fix, string) {
	if !public && f.SearchPathPinned {
		return nil, "EXECUTE was granted to these callers explicitly and search_path is " +
			"pinned: review what the function returns, and revoke EXECUTE from callers " +
			"that do not need it"
	}
	db, schema, name, args, ok := splitFunction(f.Name)
	if !ok {
		return nil, "the function's name cannot be split into schema, name and argument " +
			"types unambiguously"
	}
	sig := quoteIdents(schema, name) + "(" + args + ")"

	var apply, rollback []string
	if public {
		apply = append(apply, fmt.Sprintf("REVOKE EXECUTE ON ROUTINE %s FROM PUBLIC;", sig))
		rollback = append(rollback, fmt.Sprintf("GRANT EXECUTE ON ROUTINE %s TO PUBLIC;", sig))
	}
	notes := fmt.Sprintf("Run connected to database %s, as the function's owner or a "+
		"superuser.", db)
	if public {
		notes += " Before revoking from PUBLIC, grant EXECUTE to the roles that must keep " +
			"calling the function, through a group role. Functions " + f.Owner + " creates " +
			"later are executable by PUBLIC again unless you also run ALTER DEFAULT " +
			"PRIVILEGES FOR ROLE " + quoteIdent(f.Owner) +
			" REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;"
	}
	if !f.SearchPathPinned {
		path := "pg_catalog, " + quoteIdent(schema) + ", pg_temp"
		if e.publicHolds("CREATE", db+"."+schema) {
			path = "pg_catalog, pg_temp"
			notes += " Schema " + schema + " is left out of the pinned search_path because " +
				"PUBLIC can create objects in it."
		}
		apply = append(apply, fmt.Sprintf("ALTER ROUTINE %s SET search_path = %s;", sig, path))
		rollback = append(rollback, fmt.Sprintf("ALTER ROUTINE %s RESET search_path;", sig))
		notes += " With the pinned search_path the body finds only built-in objects and " +
			"those of the schemas listed: qualify any other object it uses with its schema " +
			"first, or the function will fail. Roles that should not change the function's " +
			"behaviour must not have CREATE on the schemas listed."
	}
	return sqlFix(apply, rollback, notes), ""
}

// splitFunction splits "database.schema.name(argument types)". ok is false
// when the name part does not have exactly three parts, or the argument
// list holds anything but type names: letters, digits, spaces, commas,
// dots, brackets, balanced parentheses and complete double-quoted names.
// The argument list is written into SQL as it is, so this check is what
// keeps a crafted type name from ending the statement.
func splitFunction(full string) (db, schema, name, args string, ok bool) {
	open := strings.IndexByte(full, '(')
	if open < 0 || !strings.HasSuffix(full, ")") {
		return "", "", "", "", false
	}
	parts := strings.Split(full[:open], ".")
	if len(parts) != 3 {
		return "", "", "", "", false
	}
	for _, p := range parts {
		if !validName(p) {
			return "", "", "", "", false
		}
	}
	args = full[open+1 : len(full)-1]
	if !safeTypeList(args) {
		return "", "", "", "", false
	}
	return parts[0], parts[1], parts[2], args, true
}

// safeTypeList reports whether s is a list of type names as PostgreSQL
// prints them, safe to write into a statement unchanged.
func safeTypeList(s string) bool {
	if !utf8.ValidString(s) || strings.ContainsRune(s, 0) {
		return false
	}
	depth, quoted := 0, false
	rs := []rune(s)
	for i := 0; i < len(rs); i++ {
		c := rs[i]
		if quoted {
			if c == '"' {
				if i+1 < len(rs) && rs[i+1] == '"' {
					i++
					continue
				}
				quoted = false
			}
			continue
		}
		switch {
		case c == '"':
			quoted = true
		case c == '(':
			depth++
		case c == ')':
			depth--
			if depth < 0 {
				return false
			}
		case unicode.IsLetter(c), unicode.IsDigit(c), strings.ContainsRune("_ ,.[]", c):
		default:
			return false
		}
	}
	return !quoted && depth == 0
}
