package rules

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/wardsec/ward/internal/inventory"
)

// checkExposedInLogs is CRED-EXPOSED-IN-LOGS: every credential the logs
// held in clear text (a role's password, a user mapping's password, a
// connection string) is a finding on the account it belongs to, or on the
// source when the text does not say whose it is. A credential written to
// a log must be rotated: whoever reads the log, its copies or its backups
// has it. One finding per account, kind of credential and place in the
// logs; the evidence names where, never the secret.
func checkExposedInLogs(e *eval, r Rule) []inventory.Finding {
	if e.usage == nil {
		return nil
	}
	xs := slices.Clone(e.usage.Exposures)
	slices.SortFunc(xs, func(x, y inventory.Exposure) int {
		return cmp.Or(cmp.Compare(x.Account, y.Account), cmp.Compare(x.Kind, y.Kind),
			cmp.Compare(x.Pos.File, y.Pos.File), cmp.Compare(x.Pos.Line, y.Pos.Line),
			cmp.Compare(x.Pos.Offset, y.Pos.Offset))
	})
	seen := map[string]bool{}
	var out []inventory.Finding
	for _, x := range xs {
		res := exposureResource(x)
		key := x.Account + "\x00" + res
		if seen[key] {
			continue
		}
		seen[key] = true
		t, ok := e.exposureTarget(r, x, res)
		if ok {
			out = append(out, e.finding(r, t))
		}
	}
	return out
}

// exposureResource names where the credential was: its kind and place.
func exposureResource(x inventory.Exposure) string {
	return fmt.Sprintf("%s at %s", x.Kind, exposurePlace(x))
}

// exposurePlace is the record's file and line, or its byte offset when
// the line is not known.
func exposurePlace(x inventory.Exposure) string {
	if x.Pos.Line == 0 {
		return fmt.Sprintf("%s@%d", x.Pos.File, x.Pos.Offset)
	}
	return fmt.Sprintf("%s:%d", x.Pos.File, x.Pos.Line)
}

func (e *eval) exposureTarget(r Rule, x inventory.Exposure, res string) (target, bool) {
	t := target{resource: res}
	ev := []string{fmt.Sprintf("%s was written to the log in clear text at %s, in the %s "+
		"of a record of %s", exposureWhat(x), exposurePlace(x), x.Field,
		stamp(x.Time))}
	if x.Command != "" {
		ev[0] += " (command " + x.Command + ")"
	}
	ev = append(ev, sessionOfExposure(x))
	switch {
	case x.Account == "":
		t = e.sourceTarget(t)
	default:
		a, known := e.byName[x.Account]
		if !known {
			a = &inventory.Account{ID: inventory.AccountID(e.snap.Source, x.Account),
				Name: x.Account, Kind: inventory.KindUnknown}
			ev = append(ev, fmt.Sprintf("no role %s in the scan (dropped or renamed since?): "+
				"the password no longer opens it here, but it may be used elsewhere", x.Account))
		}
		if known && !r.Applies(a.Kind) {
			return target{}, false
		}
		t.account = a
		if known {
			t.phi, t.phiWhy = e.phiReach(a)
		}
	}
	if x.Verifier {
		ev = append(ev, "the value was a stored password verifier, not the password: an md5 "+
			"verifier is enough to log in, a SCRAM verifier lets the password be guessed "+
			"offline")
	}
	ev = append(ev, "ward keeps the credential out of its store and reports; the log "+
		"itself, its copies and its backups still hold it")
	t.evidence = ev
	return t, true
}

// exposureWhat says whose credential of which kind was exposed.
func exposureWhat(x inventory.Exposure) string {
	switch x.Kind {
	case inventory.ExposureRolePassword:
		return "the password of role " + x.Account
	case inventory.ExposureUserMapping:
		s := "the password of the user mapping for " + or(x.Account, "an unnamed role")
		if x.Server != "" {
			s += " on foreign server " + x.Server
		}
		if x.RemoteUser != "" {
			s += " (remote user " + x.RemoteUser + ")"
		}
		return s
	case inventory.ExposureDSN, inventory.ExposureURI:
		s := "a password in a connection string"
		if x.Account != "" {
			s += " for user " + x.Account
		}
		if x.Host != "" {
			s += " on host " + x.Host
		}
		return s
	}
	return "a password-like value"
}

// sessionOfExposure describes the session that wrote the credential.
func sessionOfExposure(x inventory.Exposure) string {
	s := "written by a session of " + or(x.SessionUser, "an unknown login")
	if x.Database != "" {
		s += " on database " + x.Database
	}
	if x.ClientAddr != "" {
		s += " from " + x.ClientAddr
	}
	if x.Application != "" {
		s += fmt.Sprintf(" (application %q)", redactApp(x.Application))
	}
	return s
}

func or(s, alt string) string {
	if s == "" {
		return alt
	}
	return s
}
