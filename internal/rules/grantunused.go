package rules

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/wardsec/ward/internal/inventory"
	"github.com/wardsec/ward/internal/usage"
)

// grantUse is one grant of an account and what the logs say of it.
type grantUse struct {
	g inventory.Grant
	// source is the direct membership the grant comes through; empty for
	// a grant made to the account itself.
	source string
	// judged is true when the logs would show the grant's use: a
	// privilege on rows or DDL whose pgaudit class is recorded for the
	// account in the grant's database.
	judged bool
	used   bool
	// note says how a used grant was used, or why a grant is not judged.
	note string
}

// checkGrantUnused is DB-GRANT-UNUSED: privileges an account holds on
// tables, views, columns, schemas (CREATE) and databases (CREATE) that
// the logs show it never used. One finding per account, its unused
// privileges listed PHI and write or DDL first, with a fix that keeps what
// was used (see planGrantFix). Accounts with no session and no statement
// in the logs are left to ACCT-UNUSED. The window the judgement rests on
// is stated, and the finding is marked provisional below
// policy.min_observation.
func checkGrantUnused(e *eval, r Rule) []inventory.Finding {
	u := e.usage
	if u == nil || u.Window.Empty() || u.AuditRecords == 0 || e.snap.Postgres == nil {
		return nil
	}
	var out []inventory.Finding
	for i := range e.snap.Accounts {
		a := &e.snap.Accounts[i]
		ua := e.usageAccount(a.Name)
		if !e.covers(r, a) || ua == nil || (ua.Logins.Sessions == 0 && len(ua.Uses) == 0) {
			continue
		}
		uses := e.grantUses(a, ua)
		if !slices.ContainsFunc(uses, isUnused) {
			continue
		}
		out = append(out, e.finding(r, e.grantUnusedTarget(a, uses)))
	}
	return out
}

func isUnused(g grantUse) bool { return g.judged && !g.used }

// grantUses judges every grant of a that the account holds itself or
// through a role; what it holds as owner or through PUBLIC is not its
// grant to lose.
func (e *eval) grantUses(a *inventory.Account, ua *usage.Account) []grantUse {
	ddl := map[string]bool{}
	for _, us := range ua.Uses {
		if isDDLCommand(us.Privilege) {
			ddl[us.Database] = true
		}
	}
	var out []grantUse
	for _, g := range a.Grants {
		if g.Via == inventory.ViaOwner || g.Via == inventory.ViaPublic {
			continue
		}
		gu := grantUse{g: g, source: grantSource(g)}
		e.judge(&gu, a.Name, ua, ddl)
		out = append(out, gu)
	}
	return out
}

// grantSource is the direct membership a grant comes through, or "" for
// a grant to the account itself.
func grantSource(g inventory.Grant) string {
	switch {
	case g.Via == inventory.ViaDirect:
		return ""
	case len(g.Path) > 0:
		return g.Path[0]
	}
	return g.Via
}

// isDDLCommand reports whether a usage privilege is a DDL command that
// creates or alters a table (and so may use REFERENCES or TRIGGER).
func isDDLCommand(p string) bool {
	return p == "CREATE" || strings.HasPrefix(p, "CREATE ") || strings.HasPrefix(p, "ALTER TABLE")
}

// privilegeClass is the pgaudit class that records the use of a
// privilege; empty for privileges ward does not judge.
func privilegeClass(priv string) string {
	switch priv {
	case "SELECT":
		return "read"
	case "INSERT", "UPDATE", "DELETE", "TRUNCATE":
		return "write"
	case "REFERENCES", "TRIGGER", "CREATE":
		return "ddl"
	}
	return ""
}

// judge decides whether gu's grant is judged and used. A use of a table
// counts for every column grant on it: pgaudit names the table, not the
// columns.
func (e *eval) judge(gu *grantUse, role string, ua *usage.Account, ddl map[string]bool) {
	g := gu.g
	priv := strings.ToUpper(g.Privilege)
	typ := strings.ToLower(g.ResourceType)
	switch {
	case isRelation(typ), isColumn(typ):
	case (typ == "schema" || typ == "database") && priv == "CREATE":
	default:
		gu.note = "its use is not in pgaudit's rows"
		return
	}
	class := privilegeClass(priv)
	if class == "" {
		gu.note = "its use is not in pgaudit's rows"
		return
	}
	db := grantDatabase(g)
	if !e.auditClasses(role, db)[class] {
		gu.note = fmt.Sprintf("pgaudit does not record the %s class for %s in database %s",
			class, role, db)
		return
	}
	gu.judged = true

	if priv == "REFERENCES" || priv == "TRIGGER" {
		// Needed only to create foreign keys or triggers; kept while the
		// account runs any DDL there.
		gu.used = ddl[db]
		gu.note = "the account ran DDL in database " + db
		return
	}
	if us, ok := ua.UseOf(priv, typ, g.Resource); ok {
		gu.used, gu.note = true, useText(us)
		return
	}
	if priv == "SELECT" {
		// UPDATE and DELETE read the columns of their WHERE clause.
		for _, p := range []string{"UPDATE", "DELETE"} {
			if us, ok := ua.UseOf(p, typ, g.Resource); ok {
				gu.used = true
				gu.note = "needed by its " + p + " (" + useText(us) + ")"
				return
			}
		}
	}
}

// useText says how often and when a privilege was used.
func useText(us usage.Use) string {
	return fmt.Sprintf("used %s, last at %s", times(us.Count), stamp(us.Last))
}

func times(n int64) string {
	if n == 1 {
		return "once"
	}
	return fmt.Sprintf("%d times", n)
}

// auditClasses returns the pgaudit classes recorded for role's sessions
// in database db: the most specific pgaudit.log setting wins (role in
// database, role, database, server). None when pgaudit is not loaded.
func (e *eval) auditClasses(role, db string) map[string]bool {
	pg := e.snap.Postgres
	if pg == nil || !(pg.PgauditLoaded || slices.Contains(auditTokens(pg.PreloadLibraries),
		"pgaudit")) {
		return nil
	}
	value, rank := pg.PgauditLog, 0
	for _, o := range e.overrides() {
		if o.name != "pgaudit.log" {
			continue
		}
		r := 0
		switch {
		case o.role == role && o.database == db:
			r = 3
		case o.role == role && o.database == "":
			r = 2
		case o.role == "" && o.database == db:
			r = 1
		}
		if r > rank {
			value, rank = o.value, r
		}
	}
	return auditCovered(value)
}

// judgedWindow is the stretch of logs the judgement rests on: the whole
// window, cut at the scan's start when the logs run past it.
func (e *eval) judgedWindow() (from, to time.Time, covered time.Duration) {
	w := e.usage.Window
	from, to = w.Start, w.End
	if now := e.snap.StartedAt; !now.IsZero() && now.Before(to) {
		to = now
	}
	return from, to, w.Covered(from, to)
}

// unusedRank orders unused grants: PHI with write or DDL first, then PHI
// reads, then write or DDL, then reads.
func (e *eval) unusedRank(g inventory.Grant) int {
	rank := 0
	if strings.EqualFold(g.Privilege, "SELECT") {
		rank++
	}
	if !e.isPHI(g) {
		rank += 2
	}
	return rank
}

func (e *eval) grantUnusedTarget(a *inventory.Account, uses []grantUse) target {
	var unused, used []grantUse
	unjudged := 0
	for _, gu := range uses {
		switch {
		case isUnused(gu):
			unused = append(unused, gu)
		case gu.used:
			used = append(used, gu)
		default:
			unjudged++
		}
	}
	slices.SortFunc(unused, func(x, y grantUse) int {
		return cmp.Or(cmp.Compare(e.unusedRank(x.g), e.unusedRank(y.g)),
			cmp.Compare(x.g.Resource, y.g.Resource), cmp.Compare(x.g.Privilege, y.g.Privilege),
			cmp.Compare(x.source, y.source))
	})

	from, to, covered := e.judgedWindow()
	var ev []string
	provisional := covered < e.policy.MinObservation
	if provisional {
		ev = append(ev, fmt.Sprintf("PROVISIONAL: the logs cover %s, less than "+
			"policy.min_observation (%s); a job that runs less often than the window may not "+
			"have shown its use yet", span(covered), span(e.policy.MinObservation)))
	}
	ev = append(ev, fmt.Sprintf("%d of the %d privileges of %s whose use the logs record "+
		"were not used from %s to %s (%s of logs):", len(unused), len(unused)+len(used), a.Name,
		stamp(from), stamp(to), span(covered)))
	items := make([]string, len(unused))
	phi, readOnly := false, true
	for i, gu := range unused {
		items[i] = grantUseText(e, gu)
		phi = phi || e.isPHI(gu.g)
		readOnly = readOnly && strings.EqualFold(gu.g.Privilege, "SELECT")
	}
	ev = append(ev, capList(items)...)
	if len(used) > 0 {
		ev = append(ev, "used: "+strings.Join(capList(usedTexts(e, used)), "; "))
	}
	if unjudged > 0 {
		ev = append(ev, fmt.Sprintf("not judged: %s whose use pgaudit's rows do not show "+
			"(sequences, functions, schema USAGE, CONNECT) or whose class it does not record "+
			"for this account; a fix keeps them", plural(unjudged, "privilege")))
	}
	if g := gapsText(e.usage.Window, from, to); g != "" {
		ev = append(ev, g)
	}
	ev = append(ev, "judged with the audit settings read at the scan; a setting changed during "+
		"the window changes what the logs could show")

	fix, notes := e.planGrantFix(a, uses).fix(e, from, to, covered, provisional)
	ev = append(ev, notes...)
	t := target{account: a, resource: "grants", evidence: ev, fix: fix}
	if readOnly {
		t.variant = "reads"
	}
	if phi {
		t.phi, t.phiWhy = true, "unused privileges on PHI"
	}
	return t
}

// grantUseText names an unused grant and where it comes from.
func grantUseText(e *eval, gu grantUse) string {
	s := grantText(gu.g)
	if e.isPHI(gu.g) {
		s += " (PHI)"
	}
	if gu.source != "" {
		s += ", through " + strings.Join(gu.g.Path, " → ")
		if len(gu.g.Path) == 0 {
			s += gu.source
		}
	}
	return s
}

// usedTexts names the used privileges once per privilege and object.
func usedTexts(e *eval, used []grantUse) []string {
	var out []string
	for _, gu := range used {
		s := grantText(gu.g)
		if e.isPHI(gu.g) {
			s += " (PHI)"
		}
		out = appendNew(out, s+": "+gu.note)
	}
	slices.Sort(out)
	return out
}
