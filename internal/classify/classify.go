// Package classify decides whether each account of a snapshot is used by
// software (service), by a person (human), or ward cannot tell (unknown),
// and records the reasons.
//
// Hints are scored, each with a weight from 1 (faint) to 3 (strong): tokens
// of the name (etl, svc, api…), the shapes of a person's login
// (maria.lopez, dba_anna, an e-mail address), role attributes (REPLICATION,
// a connection limit, VALID UNTIL, per-role settings), the role's COMMENT,
// the groups it belongs to, and the programs of its open sessions. A kind
// is decided when its score reaches 3 and leads the other by at least 2;
// so one strong hint decides when nothing contradicts it, and no hint wins
// against an equal one. The words and weights are data, in signals.txt.
//
// The owners file overrides the score: an account it lists is a service
// account with the owner and purpose given there. The file has no field for
// a kind, and ward's owners file is where service accounts are answered
// for; a person's login listed there is still reported as service, with the
// note that the signals alone said human, so the mistake shows.
package classify

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/wardsec/ward/internal/config"
	"github.com/wardsec/ward/internal/inventory"
	"github.com/wardsec/ward/internal/usage"
)

const (
	service = inventory.KindService
	human   = inventory.KindHuman
)

// decideAt is the score a kind needs; leadBy is how far it must lead the
// other kind's score.
const (
	decideAt = 3
	leadBy   = 2
)

// Reasons recorded besides the scored hints.
const (
	reasonOwners    = "listed in owners file"
	reasonBootstrap = "bootstrap superuser"
	reasonNoLogin   = "NOLOGIN role: a group, not a login; not classified"
)

// signal is one scored hint.
type signal struct {
	kind   inventory.Kind
	weight int
	reason string
}

// Classify sets Kind, KindReasons, Owner and Purpose on every account of
// the snapshot. Every account gets at least one reason. Owner and Purpose
// come only from the owners file, matched on the account ID
// ("source/name"); accounts it does not list keep theirs.
//
// The bootstrap superuser is classified like any account, with "bootstrap
// superuser" as its first reason: it is often shared by administrators and
// by software, so only other hints decide its kind. A PostgreSQL role that
// cannot log in is a group: it is left unknown unless the owners file lists
// it.
func Classify(s *inventory.Snapshot, owners []config.Owner) {
	ClassifyUsage(s, owners, nil)
}

// ClassifyUsage is Classify with what the source's logs show: the programs
// and client addresses of an account's logged sessions are hints as well
// (see usageSignals). For an account the logs show sessions of, they
// replace the hints from its open sessions, which they include. u may be
// nil; a usage of another source is ignored.
func ClassifyUsage(s *inventory.Snapshot, owners []config.Owner, u *usage.Usage) {
	if u != nil && u.Source != s.Source {
		u = nil
	}
	lx := builtin()
	byID := make(map[string]config.Owner, len(owners))
	for _, o := range owners {
		if _, dup := byID[o.Account]; !dup {
			byID[o.Account] = o
		}
	}
	sessions := map[string][]inventory.Session{}
	for _, ss := range s.Sessions {
		sessions[ss.User] = append(sessions[ss.User], ss)
	}
	pg := isPostgres(s)

	for i := range s.Accounts {
		a := &s.Accounts[i]
		id := a.ID
		if id == "" {
			id = inventory.AccountID(s.Source, a.Name)
		}
		o, listed := byID[id]
		var ua *usage.Account
		if u != nil {
			ua = u.Account(a.Name)
		}
		a.Kind, a.KindReasons = decide(lx, a, sessions[a.Name], ua, listed, pg)
		if listed {
			a.Owner, a.Purpose = o.Owner, o.Purpose
		}
	}
}

// isPostgres reports whether the snapshot comes from PostgreSQL, where an
// account without LOGIN is a group role.
func isPostgres(s *inventory.Snapshot) bool {
	t := strings.ToLower(s.Type)
	return s.Postgres != nil || t == "postgres" || t == "postgresql"
}

func decide(lx *lexicon, a *inventory.Account, sess []inventory.Session, ua *usage.Account,
	listed, pg bool) (inventory.Kind, []string) {
	var facts []string
	if listed {
		facts = append(facts, reasonOwners)
	}
	if a.Attributes.Bootstrap {
		facts = append(facts, reasonBootstrap)
	}
	if pg && !a.Attributes.CanLogin && !a.Attributes.Bootstrap {
		if listed {
			return service, facts
		}
		return inventory.KindUnknown, []string{reasonNoLogin}
	}

	sigs := signals(lx, a, sess, ua)
	kind, svc, hum := score(sigs)
	reasons := facts
	switch {
	case listed:
		if kind == human {
			reasons = append(reasons,
				fmt.Sprintf("signals alone say human (service %d, human %d)", svc, hum))
		}
		kind = service
	case kind == inventory.KindUnknown && len(sigs) == 0:
		reasons = append(reasons, "no signal decided: no name, attribute, comment or session hint")
	case kind == inventory.KindUnknown:
		reasons = append(reasons, fmt.Sprintf("no signal decided: service %d, human %d", svc, hum))
	}
	for _, sg := range sigs {
		reasons = append(reasons, sg.reason)
	}
	return kind, reasons
}

// score adds the weights of each kind and applies the decision rule.
func score(sigs []signal) (inventory.Kind, int, int) {
	var svc, hum int
	for _, s := range sigs {
		switch s.kind {
		case service:
			svc += s.weight
		case human:
			hum += s.weight
		}
	}
	switch {
	case svc >= decideAt && svc-hum >= leadBy:
		return service, svc, hum
	case hum >= decideAt && hum-svc >= leadBy:
		return human, svc, hum
	}
	return inventory.KindUnknown, svc, hum
}

// signals gathers every hint about one account, in a fixed order: name,
// attributes, comment, groups, sessions (logged ones when the logs show
// any, else open ones).
func signals(lx *lexicon, a *inventory.Account, sess []inventory.Session,
	ua *usage.Account) []signal {
	out := nameSignals(lx, a.Name)
	out = append(out, attributeSignals(lx, a.Attributes)...)
	out = append(out, commentSignals(lx, a.Attributes.Comment)...)
	out = append(out, groupSignals(lx, a.Memberships)...)
	if ua != nil && ua.Logins.Sessions > 0 {
		return append(out, usageSignals(ua, a.Attributes.Bootstrap)...)
	}
	out = append(out, sessionSignals(lx, sess)...)
	return out
}

// maxSettingHints caps how much per-role settings can add.
const maxSettingHints = 2

func attributeSignals(lx *lexicon, at inventory.Attributes) []signal {
	var out []signal
	// A superuser has REPLICATION whatever it is used for, so only a
	// non-superuser's REPLICATION says "replication or CDC job".
	if at.Replication && !at.Superuser {
		out = append(out, signal{service, 3, "REPLICATION attribute"})
	}
	if at.ConnLimit > 0 {
		out = append(out, signal{service, 1, fmt.Sprintf("connection limit %d", at.ConnLimit)})
	}
	if at.ValidUntil != nil {
		out = append(out, signal{service, 1,
			"VALID UNTIL " + at.ValidUntil.UTC().Format(time.DateOnly)})
	}
	n := 0
	for _, c := range at.Config {
		name, _, _ := strings.Cut(c, "=")
		name = strings.ToLower(strings.TrimSpace(name))
		if lx.settings[name] && n < maxSettingHints {
			n++
			// Only the setting's name: its value is none of the report's business.
			out = append(out, signal{service, 1, "role setting " + name})
		}
	}
	return out
}

func commentSignals(lx *lexicon, comment string) []signal {
	if comment == "" {
		return nil
	}
	toks := nameTokens(comment)
	var out []signal
	if p, ok := findPhrase(toks, lx.serviceComment); ok {
		out = append(out, signal{service, p.weight,
			fmt.Sprintf("comment says %q", strings.Join(p.words, " "))})
	}
	if p, ok := findPhrase(toks, lx.humanComment); ok {
		out = append(out, signal{human, p.weight,
			fmt.Sprintf("comment says %q", strings.Join(p.words, " "))})
	}
	return out
}

// findPhrase returns the heaviest phrase that occurs in toks, the first
// listed among equals.
func findPhrase(toks []string, phrases []phrase) (phrase, bool) {
	var best phrase
	found := false
	for _, p := range phrases {
		if (!found || p.weight > best.weight) && containsRun(toks, p.words) {
			best, found = p, true
		}
	}
	return best, found
}

func containsRun(toks, run []string) bool {
	for i := 0; i+len(run) <= len(toks); i++ {
		if slices.Equal(toks[i:i+len(run)], run) {
			return true
		}
	}
	return false
}

// groupSignals gives one faint hint per kind from the roles the account
// belongs to.
func groupSignals(lx *lexicon, ms []inventory.Membership) []signal {
	var svc, hum *signal
	for _, m := range ms {
		for _, tok := range nameTokens(m.Role) {
			if _, ok := lx.serviceNames[tok]; ok && svc == nil {
				svc = &signal{service, 1, fmt.Sprintf("member of %q", m.Role)}
			}
			if lx.humanGroups[tok] && hum == nil {
				hum = &signal{human, 1, fmt.Sprintf("member of %q", m.Role)}
			}
		}
	}
	var out []signal
	for _, s := range []*signal{svc, hum} {
		if s != nil {
			out = append(out, *s)
		}
	}
	return out
}

// maxAppName bounds how much of a client-chosen application_name a reason
// quotes.
const maxAppName = 40

// sessionSignals reads the application_name of the account's open sessions:
// an interactive tool hints a person, any other program hints software.
// application_name is chosen by the client, so each is a hint, not proof.
func sessionSignals(lx *lexicon, sess []inventory.Session) []signal {
	var tool, program string
	programs := map[string]bool{}
	for _, s := range sess {
		app := strings.TrimSpace(s.Application)
		switch {
		case app == "":
		case interactive(lx, app):
			if tool == "" {
				tool = app
			}
		default:
			if program == "" {
				program = app
			}
			programs[app] = true
		}
	}
	var out []signal
	if tool != "" {
		why := fmt.Sprintf("interactive client %q in open session", clip(tool))
		out = append(out, signal{human, 2, why})
	}
	if program != "" {
		why := fmt.Sprintf("program %q in open session", clip(program))
		if len(programs) > 1 {
			why = fmt.Sprintf("programs %q and %d more in open sessions",
				clip(program), len(programs)-1)
		}
		out = append(out, signal{service, 2, why})
	}
	return out
}

func interactive(lx *lexicon, app string) bool {
	app = strings.ToLower(app)
	for _, t := range lx.interactive {
		rest, ok := strings.CutPrefix(app, t)
		if ok && (rest == "" || !startsWithLetter(rest)) {
			return true
		}
	}
	return false
}

func startsWithLetter(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return unicode.IsLetter(r)
}

// clip shortens s to at most maxAppName bytes, on a rune boundary.
func clip(s string) string {
	if len(s) <= maxAppName {
		return s
	}
	cut := maxAppName
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
