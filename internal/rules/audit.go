package rules

import (
	"fmt"
	"slices"
	"strings"

	"github.com/wardsec/ward/internal/inventory"
)

// requiredAuditClasses are the pgaudit.log classes that record what
// accounts read and change, and changes to roles and schema.
func requiredAuditClasses() []string { return []string{"read", "write", "role", "ddl"} }

// pgauditClasses are every class "all" stands for.
func pgauditClasses() []string {
	return []string{"read", "write", "function", "role", "ddl", "misc", "misc_set"}
}

// auditTokens splits a pgaudit.log value into lower-case tokens.
func auditTokens(v string) []string {
	var out []string
	for _, t := range strings.Split(v, ",") {
		t = strings.ToLower(strings.Trim(strings.TrimSpace(t), `'"`))
		if t != "" {
			out = append(out, t)
		}
	}
	return out
}

// auditCovered returns the classes a pgaudit.log value turns on. Tokens
// apply in order, as pgaudit applies them: a class or "all" adds, "-class"
// removes, "none" adds nothing.
func auditCovered(v string) map[string]bool {
	on := map[string]bool{}
	for _, t := range auditTokens(v) {
		name, remove := strings.CutPrefix(t, "-")
		classes := []string{name}
		if name == "all" {
			classes = pgauditClasses()
		}
		for _, c := range classes {
			on[c] = !remove
		}
	}
	return on
}

// missingClasses returns the required classes a pgaudit.log value lacks.
func missingClasses(v string) []string {
	on := auditCovered(v)
	var out []string
	for _, c := range requiredAuditClasses() {
		if !on[c] {
			out = append(out, c)
		}
	}
	return out
}

// fixedAuditLog returns v with "none" and the removal of required classes
// dropped and the missing required classes added, keeping the classes v
// already had.
func fixedAuditLog(v string) string {
	var keep []string
	for _, t := range auditTokens(v) {
		name, remove := strings.CutPrefix(t, "-")
		if t == "none" || (remove && slices.Contains(requiredAuditClasses(), name)) {
			continue
		}
		keep = append(keep, t)
	}
	keep = append(keep, missingClasses(strings.Join(keep, ","))...)
	return strings.Join(keep, ",")
}

// logStatementRank orders log_statement values; -1 for an unknown value.
func logStatementRank(v string) int {
	levels := []string{"none", "ddl", "mod", "all"}
	return slices.Index(levels, strings.ToLower(strings.TrimSpace(v)))
}

// checkAuditLogging is AUDIT-LOGGING-OFF: log_connections, pgaudit, the
// classes of pgaudit.log, and overrides that lower auditing for a role or a
// database. A role's override is a finding on that account.
func checkAuditLogging(e *eval, r Rule) []inventory.Finding {
	pg := e.snap.Postgres
	if pg == nil {
		return nil
	}
	var ts []target

	if isOff(pg.LogConnections) {
		ts = append(ts, target{
			resource: "log_connections",
			evidence: []string{"log_connections = " + pg.LogConnections + ": logins, with the " +
				"role and client address, are not recorded"},
			fix: systemFix("log_connections", "on", pg.LogConnections, false,
				"Applies to sessions opened after the reload."),
		})
	}

	loaded := pg.PgauditLoaded || slices.Contains(auditTokens(pg.PreloadLibraries), "pgaudit")
	if !loaded {
		ts = append(ts, pgauditLoadTarget(pg))
	} else if missing := missingClasses(pg.PgauditLog); len(missing) > 0 {
		ts = append(ts, target{
			resource: "pgaudit.log",
			evidence: []string{fmt.Sprintf("pgaudit.log = '%s': missing classes %s",
				pg.PgauditLog, strings.Join(missing, ", "))},
			fix: systemFix("pgaudit.log", fixedAuditLog(pg.PgauditLog), pg.PgauditLog, false, ""),
		})
	}

	var out []inventory.Finding
	for _, t := range ts {
		out = append(out, e.finding(r, e.sourceTarget(t)))
	}
	for _, o := range e.overrides() {
		t, ok := e.auditOverride(r, o)
		if ok {
			out = append(out, e.finding(r, t))
		}
	}
	return out
}

func pgauditLoadTarget(pg *inventory.PGSettings) target {
	t := target{resource: "pgaudit"}
	libs := strings.TrimSpace(pg.PreloadLibraries)
	if libs == "" {
		t.evidence = []string{"pgaudit is not loaded (shared_preload_libraries is empty " +
			"or not readable by the scanner)"}
		return t
	}
	t.evidence = []string{
		fmt.Sprintf("pgaudit is not loaded: shared_preload_libraries = '%s'", libs),
	}
	t.fix = systemFix("shared_preload_libraries", libs+",pgaudit", libs, true,
		"The pgaudit package for this server version must be installed first. After the "+
			"restart, run CREATE EXTENSION pgaudit; in each database and set pgaudit.log.")
	return t
}

// auditOverride judges one override; ok is false when it does not lower
// auditing or is not a finding (see overrideTarget).
func (e *eval) auditOverride(r Rule, o override) (target, bool) {
	var why, variant string
	switch o.name {
	case "pgaudit.log":
		missing := missingClasses(o.value)
		if len(missing) == 0 {
			return target{}, false
		}
		why = "missing classes " + strings.Join(missing, ", ")
		if srv := e.snap.Postgres.PgauditLog; srv != "" {
			why += fmt.Sprintf(" (server-wide pgaudit.log = '%s')", srv)
		}
	case "log_connections":
		if !isOff(o.value) {
			return target{}, false
		}
		why = "logins are not recorded"
	case "log_statement":
		srv := e.snap.Postgres.Other["log_statement"]
		have, want := logStatementRank(o.value), logStatementRank(srv)
		switch {
		case have < 0:
			return target{}, false
		case want < 0 && have > 0:
			return target{}, false
		case want >= 0 && have >= want:
			return target{}, false
		}
		variant = "log_statement"
		why = "statements are logged less than server-wide"
		if srv != "" {
			why += fmt.Sprintf(" (log_statement = '%s')", srv)
		}
	default:
		return target{}, false
	}

	t, ok := e.overrideTarget(r, o)
	if !ok {
		return target{}, false
	}
	t.variant = variant
	t.evidence = []string{o.evidence() + ": " + why}
	t.fix = resetFix(o)
	return t, true
}
