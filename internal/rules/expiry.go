package rules

import (
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strings"

	"github.com/wardsec/ward/internal/inventory"
)

// passwordLifetimeDays is how far after the scan the fix of
// CRED-NO-EXPIRY-UNMANAGED sets VALID UNTIL. It is a placeholder taken from
// a common policy default for database passwords, not a HIPAA figure: HIPAA
// sets no password lifetime.
//
// TODO(#3): take the lifetime from config.Policy once it has one.
const passwordLifetimeDays = 365

// passwordMethods are the pg_hba methods that check the role's own
// password, the only ones for which PostgreSQL applies VALID UNTIL.
func passwordMethods() []string { return []string{"md5", "scram-sha-256", "password"} }

// checkNoExpiry is CRED-NO-EXPIRY-UNMANAGED: a covered login that can log
// in with its password through some pg_hba line, whose password never
// expires (no VALID UNTIL), and whose rotation the owners file does not
// record. Without pg_hba lines the rule cannot tell who logs in by
// password, so it makes no finding; HBARules lists it for that reason.
func checkNoExpiry(e *eval, r Rule) []inventory.Finding {
	pg := e.snap.Postgres
	if pg == nil || pg.HBA == nil {
		return nil
	}
	idx := newHBAIndex(pg.HBA)
	var out []inventory.Finding
	for i := range e.snap.Accounts {
		a := &e.snap.Accounts[i]
		if !e.covers(r, a) || a.Attributes.ValidUntil != nil {
			continue
		}
		o, listed := e.owner(a)
		if listed && strings.TrimSpace(o.Rotation) != "" {
			continue
		}
		lines, unsure := idx.passwordLines(a)
		if len(lines) == 0 {
			continue
		}

		ev := []string{"VALID UNTIL is not set: the password is accepted with no end date"}
		if listed {
			ev = append(ev, fmt.Sprintf("the owners file lists the account (line %d) "+
				"without a rotation record", o.Line))
		} else {
			ev = append(ev, "the account is not in the owners file, so no rotation is recorded")
		}
		for _, h := range lines[:min(len(lines), maxListed)] {
			ev = append(ev, hbaEvidence(h)+": accepts "+a.Name+"'s password")
		}
		if len(lines) > maxListed {
			ev = append(ev, fmt.Sprintf("and %d more", len(lines)-maxListed))
		}
		ev = append(ev, unsure...)
		ev = append(ev, kindEvidence(a))

		t := target{account: a, resource: "valid_until", evidence: ev, fix: e.expiryFix(a)}
		if t.fix == nil {
			t.evidence = append(t.evidence, "no fix generated: the scan time or the account "+
				"name is unknown or cannot be written in SQL")
		}
		t.phi, t.phiWhy = e.phiReach(a)
		out = append(out, e.finding(r, t))
	}
	return out
}

// hbaIndex is the pg_hba lines of a source with, for each line, the
// earlier lines that take every connection it matches, as far as type,
// database and address go; whether they do for a given role then depends
// on their user field alone. Built once per evaluation, it keeps the
// first-match check from re-reading the file for every account.
type hbaIndex struct {
	rules []inventory.HBARule
	// coveredBy[i] lists the indexes of the earlier lines that cover line i.
	coveredBy [][]int
}

func newHBAIndex(rules []inventory.HBARule) hbaIndex {
	type parsed struct {
		typ    string
		prefix netip.Prefix
		ok     bool
	}
	ps := make([]parsed, len(rules))
	for i, h := range rules {
		ps[i].typ = strings.ToLower(h.Type)
		ps[i].prefix, ps[i].ok = hbaPrefix(h.Address, h.Netmask)
	}
	addrCovers := func(l, h int) bool {
		el, eh := rules[l], rules[h]
		ea, la := strings.ToLower(el.Address), strings.ToLower(eh.Address)
		if ea == "all" || (ea == la && ea != "" && el.Netmask == eh.Netmask) {
			return true
		}
		return ps[l].ok && ps[h].ok && coversPrefix(ps[l].prefix, ps[h].prefix)
	}

	idx := hbaIndex{rules: rules, coveredBy: make([][]int, len(rules))}
	for i, h := range rules {
		if !containsFold(passwordMethods(), h.Method) {
			continue // only password lines are ever checked
		}
		for j, l := range rules[:i] {
			if l.Error != "" || !typeCovers(ps[j].typ, ps[i].typ) ||
				!databasesCover(l.Database, h.Database) {
				continue
			}
			if ps[i].typ == "local" || addrCovers(j, i) {
				idx.coveredBy[i] = append(idx.coveredBy[i], j)
			}
		}
	}
	return idx
}

// passwordLines returns the pg_hba lines on which a may log in with its
// password: a password method, a user field that matches a, a database
// field a can use, and no earlier line that takes every connection the
// line would match for a (pg_hba applies the first line that matches; only
// what ward can prove counts, so an earlier line whose user field ward
// cannot resolve does not hide a later one). unsure holds evidence for
// user fields ward cannot resolve (@file includes, regular expressions
// that do not compile), which are counted as matching.
func (idx hbaIndex) passwordLines(a *inventory.Account) (
	lines []inventory.HBARule, unsure []string) {
	for i, h := range idx.rules {
		if !containsFold(passwordMethods(), h.Method) || !hbaDatabaseUsable(h, a) {
			continue
		}
		match, sure := hbaUserMatches(h, a)
		if !match {
			continue
		}
		if slices.ContainsFunc(idx.coveredBy[i], func(j int) bool {
			return userCovers(idx.rules[j], a)
		}) {
			continue
		}
		lines = append(lines, h)
		if !sure {
			unsure = append(unsure, fmt.Sprintf("pg_hba.conf line %d names users ward cannot "+
				"resolve (%s): counted as accepting %s", h.Line, hbaField(h.User), a.Name))
		}
	}
	return lines, unsure
}

// hbaUserMatches reports whether a line's user field matches a: all, its
// name, +group for a role it belongs to (directly or not; a role belongs
// to itself), or a regular expression (PostgreSQL 16+) that matches its
// name. sure is false when the match rests on an item ward cannot
// resolve: an @file include, or a regular expression Go cannot compile.
func hbaUserMatches(h inventory.HBARule, a *inventory.Account) (match, sure bool) {
	unresolved := false
	for _, u := range h.User {
		if hbaUserItem(u, a) {
			return true, true
		}
		if strings.HasPrefix(u, "@") {
			unresolved = true
		}
		if rx, ok := strings.CutPrefix(u, "/"); ok {
			if _, err := regexp.Compile(rx); err != nil {
				unresolved = true
			}
		}
	}
	return unresolved, false
}

// hbaUserItem reports whether one item of a user field certainly matches
// a. A quoted keyword ("all" in quotes) is a role of that name.
func hbaUserItem(u string, a *inventory.Account) bool {
	if strings.HasPrefix(u, `"`) && strings.HasSuffix(u, `"`) && len(u) >= 2 {
		return strings.ReplaceAll(u[1:len(u)-1], `""`, `"`) == a.Name
	}
	switch {
	case u == "all", u == a.Name:
		return true
	case strings.HasPrefix(u, "+"):
		g := u[1:]
		return g == a.Name || membership(a, g) != nil
	case strings.HasPrefix(u, "/"):
		rx, err := regexp.Compile(u[1:])
		return err == nil && rx.MatchString(a.Name)
	}
	return false
}

// hbaDatabaseUsable reports, loosely, whether a can use a line's database
// field: any field does, except one that names only replication (physical
// replication connections) for a role without REPLICATION.
func hbaDatabaseUsable(h inventory.HBARule, a *inventory.Account) bool {
	if a.Attributes.Replication || a.Attributes.Superuser {
		return true
	}
	for _, d := range h.Database {
		if d != "replication" {
			return true
		}
	}
	return false
}

// typeCovers reports whether an earlier line's connection type (lower
// case) matches every connection a later one's does: the same type, or
// host before any TCP type.
func typeCovers(earlier, later string) bool {
	return earlier == later || (earlier == "host" && isHostType(later))
}

// databasesCover reports whether every database item of a later line is
// matched by an earlier line's field. all does not match replication
// connections.
func databasesCover(earlier, later []string) bool {
	for _, d := range later {
		switch {
		case containsExact(earlier, d):
		case d != "replication" && containsExact(earlier, "all"):
		default:
			return false
		}
	}
	return true
}

// userCovers reports whether a line's user field certainly matches a.
func userCovers(l inventory.HBARule, a *inventory.Account) bool {
	for _, u := range l.User {
		if hbaUserItem(u, a) {
			return true
		}
	}
	return false
}

// coversPrefix reports whether outer contains every address of inner.
func coversPrefix(outer, inner netip.Prefix) bool {
	outer, inner = outer.Masked(), inner.Masked()
	return outer.Addr().Is4() == inner.Addr().Is4() && outer.Bits() <= inner.Bits() &&
		outer.Contains(inner.Addr())
}

func containsExact(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// expiryFix sets VALID UNTIL passwordLifetimeDays after the scan; the
// rollback removes the end date again. Both ALTER ROLE statements can be
// run again. The date comes from the snapshot, not the clock, so the same
// scan always proposes the same fix.
func (e *eval) expiryFix(a *inventory.Account) *inventory.Fix {
	if e.snap.StartedAt.IsZero() || !validName(a.Name) {
		return nil
	}
	until := e.snap.StartedAt.UTC().AddDate(0, 0, passwordLifetimeDays).Format("2006-01-02")
	role := quoteIdent(a.Name)
	return sqlFix(
		[]string{fmt.Sprintf("ALTER ROLE %s VALID UNTIL %s;", role, quoteLiteral(until))},
		[]string{fmt.Sprintf("ALTER ROLE %s VALID UNTIL 'infinity';", role)},
		fmt.Sprintf("Run as a superuser or a role with CREATEROLE. %s is a placeholder %d "+
			"days after the scan, not a HIPAA figure: use the date your password policy "+
			"sets. On that date %s can no longer log in with its password, so rotate the "+
			"password before then and move VALID UNTIL forward each time. Sessions already "+
			"open are not ended. If the password is rotated by other means (a vault's "+
			"dynamic secrets), record that in the owners file under rotation instead.",
			until, passwordLifetimeDays, a.Name),
	)
}
