package rules

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/wardsec/ward/internal/config"
	"github.com/wardsec/ward/internal/inventory"
	"github.com/wardsec/ward/internal/usage"
)

// Input is what the rules read: one source's snapshot, the owners file and
// the policy thresholds.
type Input struct {
	// Snapshot is only read, never changed.
	Snapshot *inventory.Snapshot
	Owners   []config.Owner
	// Policy holds the thresholds of the usage rules; a zero field takes
	// the configuration's default.
	Policy config.Policy
	// Usage is what the source's logs show its accounts did, for the rules
	// UsageRules names; nil means no logs were read, and those rules do not
	// run. It must be the usage of the snapshot's source. The snapshot's
	// StartedAt is the "now" they judge against.
	Usage *usage.Usage
}

// checkFunc runs one rule over the evaluation state and returns its
// findings.
type checkFunc func(e *eval, r Rule) []inventory.Finding

// checks lists the Go function of every rule, by rule ID. A test checks
// that it matches the catalogue one to one.
func checks() map[string]checkFunc {
	return map[string]checkFunc{
		ruleSuperuser:    checkSuperuser,
		ruleHBATrust:     checkHBATrust,
		ruleMD5Password:  checkMD5Password,
		ruleHBANoTLS:     checkHBANoTLS,
		ruleAuditOff:     checkAuditLogging,
		ruleNoOwner:      checkNoOwner,
		ruleDirectGrant:  checkDirectGrants,
		rulePublicPHI:    checkPublicPHI,
		ruleOwnsPHI:      checkServiceOwnsPHI,
		ruleDefiner:      checkSecurityDefiner,
		ruleRLSBypass:    checkRLSBypass,
		ruleNoExpiry:     checkNoExpiry,
		ruleExpiredRole:  checkExpiredRoleActive,
		ruleUnused:       checkUnused,
		ruleGrantUnused:  checkGrantUnused,
		ruleInteractive:  checkInteractiveUse,
		ruleShared:       checkSharedCredential,
		ruleAuthFailures: checkAuthFailures,
		ruleExposed:      checkExposedInLogs,
	}
}

// The rule IDs. They are part of ward's interface and never change.
const (
	ruleSuperuser   = "PG-SUPERUSER-SERVICE"
	ruleHBATrust    = "PG-HBA-TRUST"
	ruleMD5Password = "PG-MD5-PASSWORD"
	ruleHBANoTLS    = "PG-HBA-NO-TLS"
	ruleAuditOff    = "AUDIT-LOGGING-OFF"
	ruleNoOwner     = "ACCT-NO-OWNER"
	ruleDirectGrant = "PG-DIRECT-GRANTS"
	rulePublicPHI   = "PG-PUBLIC-PHI-ACCESS"
	ruleOwnsPHI     = "PG-SERVICE-OWNS-PHI"
	ruleDefiner     = "PG-SECURITY-DEFINER-EXPOSED"
	ruleRLSBypass   = "PG-RLS-BYPASS-SERVICE"
	ruleNoExpiry    = "CRED-NO-EXPIRY-UNMANAGED"
	ruleExpiredRole = "PG-EXPIRED-ROLE-ACTIVE"
)

// Evaluate runs every rule of the catalogue over in and returns the
// findings sorted by rule, account and resource. A nil snapshot yields no
// findings. Finding times (first and last seen) are left for the store.
func Evaluate(in Input) []inventory.Finding {
	if in.Snapshot == nil {
		return nil
	}
	cat := embedded()
	e := newEval(in, cat.allDataRoles)
	fns := checks()

	var out []inventory.Finding
	for _, r := range cat.rules {
		fn, ok := fns[r.ID]
		if !ok {
			continue
		}
		out = append(out, fn(e, r)...)
	}

	slices.SortFunc(out, func(a, b inventory.Finding) int {
		return cmp.Or(
			cmp.Compare(a.RuleID, b.RuleID),
			cmp.Compare(a.Source, b.Source),
			cmp.Compare(a.AccountID, b.AccountID),
			cmp.Compare(a.Resource, b.Resource),
			cmp.Compare(a.Fingerprint, b.Fingerprint),
		)
	})
	return out
}

// eval is the state shared by the checks of one evaluation.
type eval struct {
	snap   *inventory.Snapshot
	owners []config.Owner
	// byName finds an account of the snapshot by its native name.
	byName map[string]*inventory.Account
	// byResource finds a resource of the snapshot by its name.
	byResource map[string]*inventory.Resource
	// public holds PUBLIC's privileges by privilege and resource.
	public map[[2]string]bool
	// members and schemaUsers are indexes that some checks build on first
	// use; see membersOf and schemaUsersOf.
	members     map[string][]memberRef
	schemaUsers map[string][]string
	// sourcePHI is true when any resource or grant of the source is PHI.
	sourcePHI bool
	// postgres is true when the snapshot comes from a PostgreSQL server.
	postgres bool
	// allData are the roles that reach every table (catalog.yaml).
	allData []string
	// usage is the source's usage, nil when absent or of another source;
	// policy holds the thresholds with defaults filled in.
	usage  *usage.Usage
	policy config.Policy
}

func newEval(in Input, allData []string) *eval {
	s := in.Snapshot
	e := &eval{
		snap:       s,
		owners:     in.Owners,
		byName:     make(map[string]*inventory.Account, len(s.Accounts)),
		byResource: make(map[string]*inventory.Resource, len(s.Resources)),
		public:     make(map[[2]string]bool, len(s.PublicGrants)),
		postgres:   s.Postgres != nil || isPostgresType(s.Type),
		allData:    allData,
		policy:     withDefaults(in.Policy),
	}
	if in.Usage != nil && in.Usage.Source == s.Source {
		e.usage = in.Usage
	}
	for i := range s.Accounts {
		a := &s.Accounts[i]
		e.byName[a.Name] = a
		for _, g := range a.Grants {
			e.sourcePHI = e.sourcePHI || g.PHI
		}
	}
	for _, g := range s.PublicGrants {
		e.public[[2]string{strings.ToUpper(g.Privilege), g.Resource}] = true
	}
	for i := range s.Resources {
		r := &s.Resources[i]
		e.byResource[r.Name] = r
		e.sourcePHI = e.sourcePHI || r.PHI
	}
	return e
}

func isPostgresType(t string) bool {
	switch strings.ToLower(t) {
	case "postgres", "postgresql", "pg":
		return true
	}
	return false
}

// isLogin reports whether a is an identity that authenticates. In a
// PostgreSQL snapshot, a role without LOGIN is a group: its powers reach
// people through their memberships, which the rules judge on the members.
func (e *eval) isLogin(a *inventory.Account) bool {
	return !e.postgres || a.Attributes.CanLogin
}

// covers reports whether r's account-level findings judge a: a login of a
// kind the rule covers. The bootstrap superuser is the cluster's own
// administrative account and counts only when ward classified it as used
// by software, as in PG-SUPERUSER-SERVICE.
func (e *eval) covers(r Rule, a *inventory.Account) bool {
	if !r.Applies(a.Kind) || !e.isLogin(a) {
		return false
	}
	return !a.Attributes.Bootstrap || a.Kind == inventory.KindService
}

// owner returns the owners-file entry for a, matched on the account ID
// ("source/name") as the classify package matches it, so the rules and
// the inventory agree on who owns what. The first entry wins.
func (e *eval) owner(a *inventory.Account) (config.Owner, bool) {
	id := a.ID
	if id == "" {
		id = inventory.AccountID(e.snap.Source, a.Name)
	}
	for _, o := range e.owners {
		if strings.TrimSpace(o.Account) == id {
			return o, true
		}
	}
	return config.Owner{}, false
}

// needs reports whether the owners file declares that a needs what, an
// attribute ("replication") or a role ("pg_read_all_data"), compared
// without regard to case.
func (e *eval) needs(a *inventory.Account, what ...string) bool {
	o, ok := e.owner(a)
	if !ok {
		return false
	}
	for _, n := range o.Needs {
		n = strings.TrimSpace(n)
		for _, w := range what {
			if strings.EqualFold(n, w) {
				return true
			}
		}
	}
	return false
}

// phiReach says whether an account can reach PHI, and why. It can when one
// of its grants is on a PHI resource, or when it holds a power that reaches
// every table (superuser, an all-data role, replication, a superuser group
// it can SET ROLE to) on a source that holds PHI.
func (e *eval) phiReach(a *inventory.Account) (bool, string) {
	n, first := 0, ""
	for _, g := range a.Grants {
		if g.PHI {
			if n == 0 {
				first = g.Resource
			}
			n++
		}
	}
	if n > 0 {
		return true, fmt.Sprintf("%s on PHI resources (%s)", plural(n, "grant"), first)
	}
	if !e.sourcePHI {
		return false, ""
	}

	attr := a.Attributes
	switch {
	case attr.Superuser:
		return true, "superuser on a source that holds PHI"
	case attr.Replication:
		return true, "replication (a full copy of the data) on a source that holds PHI"
	case attr.CreateRole && createRoleIsBroad(e.snap):
		return true, "CREATEROLE (can grant itself any role) on a source that holds PHI"
	}
	for _, r := range attr.DangerousRoles {
		if containsFold(e.allData, r) {
			return true, "member of " + r + " on a source that holds PHI"
		}
	}
	for _, m := range a.Memberships {
		if g, ok := e.byName[m.Role]; ok && g.Attributes.Superuser {
			return true, "can SET ROLE to superuser " + m.Role + " on a source that holds PHI"
		}
	}
	return false, ""
}

// createRoleIsBroad reports whether CREATEROLE lets a role grant itself
// membership in any non-superuser role. That is so up to PostgreSQL 15;
// 16 limits it to roles the holder has ADMIN on. An unknown version is
// treated as the broad case.
func createRoleIsBroad(s *inventory.Snapshot) bool {
	if s.Postgres == nil || s.Postgres.ServerVersionNum == 0 {
		return true
	}
	return s.Postgres.ServerVersionNum < 160000
}

// target is one finding before the rule's metadata is applied.
type target struct {
	// account is nil for a finding about the source.
	account  *inventory.Account
	resource string
	variant  string
	evidence []string
	fix      *inventory.Fix
	// phi and phiWhy raise the severity one level.
	phi    bool
	phiWhy string
}

// finding builds a finding from a rule's metadata and a target. The
// fingerprint covers the rule, source, account name and resource only, so
// evidence and severity can change without losing the finding's history.
func (e *eval) finding(r Rule, t target) inventory.Finding {
	sev := r.SeverityFor(t.variant)
	evidence := slices.Clone(t.evidence)
	if t.phi {
		raised := sev.Raise()
		if raised != sev {
			evidence = append(evidence, fmt.Sprintf("severity raised from %s to %s: %s",
				sev, raised, t.phiWhy))
		}
		sev = raised
	}

	f := inventory.Finding{
		RuleID:      r.ID,
		Severity:    sev,
		Title:       r.Title,
		Source:      e.snap.Source,
		Resource:    t.resource,
		Evidence:    evidence,
		Citations:   slices.Clone(r.Citations),
		Controls:    slices.Clone(r.Controls),
		Remediation: r.Remediation,
		Fix:         t.fix,
		PHI:         t.phi,
	}
	name := ""
	if t.account != nil {
		f.AccountID = t.account.ID
		name = t.account.Name
	}
	f.Fingerprint = inventory.Fingerprint(r.ID, e.snap.Source, name, t.resource)
	return f
}

// sourceTarget marks a source-level target with the source's PHI state.
func (e *eval) sourceTarget(t target) target {
	if e.sourcePHI {
		t.phi, t.phiWhy = true, "the source holds PHI"
	}
	return t
}

// maxListed caps the items listed in one evidence entry or list.
const maxListed = 10

// capList returns at most maxListed items and, when some were left out, a
// final "and N more" item.
func capList(items []string) []string {
	if len(items) <= maxListed {
		return items
	}
	out := slices.Clone(items[:maxListed])
	return append(out, fmt.Sprintf("and %d more", len(items)-maxListed))
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

func containsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}

// HBARules names the rules that read pg_hba lines. When a scan could not
// read them, the store must not take these rules' earlier findings as
// resolved.
func HBARules() []string {
	return []string{ruleHBATrust, ruleMD5Password, ruleHBANoTLS, ruleNoExpiry}
}

// SessionRules names the rules that read the open sessions of a source.
// When a scan could not read the sessions at all, the store must not take
// these rules' earlier findings as resolved.
func SessionRules() []string { return []string{ruleExpiredRole} }

// SettingsRules names the rules that read a server's security settings,
// pg_hba lines included.
func SettingsRules() []string { return append(HBARules(), ruleAuditOff) }
