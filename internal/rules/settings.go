package rules

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/wardsec/ward/internal/inventory"
)

const redactedValue = "[REDACTED]"

// sensitiveName reports whether a setting or pg_hba option called name may
// hold a secret (ldapbindpasswd, radiussecrets, a custom app.api_key set
// with ALTER ROLE). password_encryption names an algorithm, not a secret.
func sensitiveName(name string) bool {
	n := strings.ToLower(strings.TrimSpace(name))
	if n == "password_encryption" {
		return false
	}
	for _, w := range []string{"passw", "pwd", "secret", "token", "credential", "key"} {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}

// showSetting renders name=value for evidence, with the value redacted when
// the name suggests a secret.
func showSetting(name, value string) string {
	if sensitiveName(name) {
		return name + "=" + redactedValue
	}
	return name + "=" + value
}

// redactOption redacts the value of a name=value pg_hba option whose name
// suggests a secret.
func redactOption(opt string) string {
	name, _, ok := strings.Cut(opt, "=")
	if !ok || !sensitiveName(name) {
		return opt
	}
	return name + "=" + redactedValue
}

// override is a per-role, per-database or per-role-in-database setting.
type override struct {
	role     string
	database string
	name     string
	value    string
}

// overrides collects the overrides of the snapshot: those the connector
// read from pg_db_role_setting, and the role-wide ones in each account's
// rolconfig, which a connector may report only there. Duplicates count
// once.
func (e *eval) overrides() []override {
	var out []override
	seen := map[[3]string]bool{}
	add := func(o override) {
		o.name = strings.ToLower(strings.TrimSpace(o.name))
		k := [3]string{o.role, o.database, o.name}
		if o.name == "" || seen[k] {
			return
		}
		seen[k] = true
		out = append(out, o)
	}

	if pg := e.snap.Postgres; pg != nil {
		for _, s := range pg.Overrides {
			add(override{role: s.Role, database: s.Database, name: s.Name, value: s.Value})
		}
	}
	for _, a := range e.snap.Accounts {
		for _, c := range a.Attributes.Config {
			name, value, ok := strings.Cut(c, "=")
			if ok {
				add(override{role: a.Name, name: name, value: value})
			}
		}
	}

	slices.SortFunc(out, func(a, b override) int {
		return cmp.Or(cmp.Compare(a.role, b.role), cmp.Compare(a.database, b.database),
			cmp.Compare(a.name, b.name))
	})
	return out
}

// where says where an override is set, as the SQL that set it would.
func (o override) where() string {
	switch {
	case o.role != "" && o.database != "":
		return fmt.Sprintf("ALTER ROLE %s IN DATABASE %s SET", o.role, o.database)
	case o.role != "":
		return "ALTER ROLE " + o.role + " SET"
	default:
		return "ALTER DATABASE " + o.database + " SET"
	}
}

// resource names an override's finding. The account is part of the
// fingerprint already, so a role's override is named by the setting, and
// by the database when it is set for one database only.
func (o override) resource() string {
	switch {
	case o.role != "" && o.database != "":
		return o.name + " in database " + o.database
	case o.role != "":
		return o.name
	default:
		return "database " + o.database + ": " + o.name
	}
}

// evidence is the evidence line for an override.
func (o override) evidence() string {
	return o.where() + " " + showSetting(o.name, o.value)
}

// target makes the finding target of an override. A role's override is a
// finding on that account when the role logs in (the settings of a
// NOLOGIN role are never applied to a session) and the rule covers its
// kind; ok is false when there is no finding to make. A database's
// override is a finding on the source.
func (e *eval) overrideTarget(r Rule, o override) (target, bool) {
	if o.role == "" {
		return e.sourceTarget(target{resource: o.resource()}), true
	}
	a, known := e.byName[o.role]
	if !known {
		a = &inventory.Account{
			ID:   inventory.AccountID(e.snap.Source, o.role),
			Name: o.role,
			Kind: inventory.KindUnknown,
		}
	}
	if known && !e.isLogin(a) {
		return target{}, false
	}
	if !r.Applies(a.Kind) {
		return target{}, false
	}
	t := target{account: a, resource: o.resource()}
	t.phi, t.phiWhy = e.phiReach(a)
	return t, true
}

// resetFix removes an override; the rollback sets it back. ALTER ... RESET
// and ALTER ... SET can both be run again without harm. Only settings ward
// checks reach this function, so the name needs no quoting.
func resetFix(o override) *inventory.Fix {
	if (o.role != "" && !validName(o.role)) || (o.database != "" && !validName(o.database)) {
		return nil
	}
	var target string
	switch {
	case o.role != "" && o.database != "":
		target = "ROLE " + quoteIdent(o.role) + " IN DATABASE " + quoteIdent(o.database)
	case o.role != "":
		target = "ROLE " + quoteIdent(o.role)
	default:
		target = "DATABASE " + quoteIdent(o.database)
	}
	return sqlFix(
		[]string{fmt.Sprintf("ALTER %s RESET %s;", target, o.name)},
		[]string{fmt.Sprintf("ALTER %s SET %s = %s;", target, o.name, quoteLiteral(o.value))},
		"Run as a superuser. The change applies to sessions opened afterwards.",
	)
}

// systemFix changes a server setting with ALTER SYSTEM. ALTER SYSTEM cannot
// run inside a transaction block, so this fix has no BEGIN/COMMIT; each
// statement is atomic on its own, and running it again changes nothing.
// An empty old value makes the rollback a RESET. A setting that needs a
// restart says so instead of reloading.
func systemFix(name, value, old string, restart bool, notes string) *inventory.Fix {
	rollback := fmt.Sprintf("ALTER SYSTEM RESET %s;\n", name)
	if old != "" {
		rollback = fmt.Sprintf("ALTER SYSTEM SET %s = %s;\n", name, quoteLiteral(old))
	}
	apply := fmt.Sprintf("ALTER SYSTEM SET %s = %s;\n", name, quoteLiteral(value))
	then := "SELECT pg_reload_conf();\n"
	if restart {
		then = "-- then restart the server: this setting is read only at start\n"
	}
	n := "Run as a superuser. ALTER SYSTEM cannot run inside a transaction block, " +
		"so this fix is not wrapped in BEGIN/COMMIT; it writes postgresql.auto.conf, " +
		"which overrides postgresql.conf."
	if notes != "" {
		n += " " + notes
	}
	return &inventory.Fix{Language: "sql", Apply: apply + then, Rollback: rollback + then, Notes: n}
}
