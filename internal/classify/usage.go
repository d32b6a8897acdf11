package classify

import (
	"fmt"

	"github.com/wardsec/ward/internal/usage"
)

// stableSessions is how many logged sessions from one client address make
// that stable address a hint of software.
const stableSessions = 10

// usageSignals reads an account's logged sessions. A program that is not
// an interactive tool hints software (weight 2), as in open sessions. Only
// interactive tools hint a person, faintly (weight 1): a service account
// that someone uses by hand keeps its service hints, and the rule
// SA-INTERACTIVE-USE reports the use. One client address across many
// sessions hints software (weight 1). Which programs are interactive is
// the usage package's list, the one the rules use.
//
// TODO(#4): the [interactive] section of signals.txt, read for open
// sessions, lists the same tools as the usage package's programs.txt;
// keep one list.
func usageSignals(ua *usage.Account) []signal {
	var tool, program string
	var tools, programs int64
	nprog := 0
	for _, p := range ua.Programs {
		switch {
		case p.Sessions == 0:
		case p.Interactive:
			tools += p.Sessions
			if tool == "" {
				tool = p.Name
			}
		default:
			programs += p.Sessions
			nprog++
			if program == "" {
				program = p.Name
			}
		}
	}
	var out []signal
	switch {
	case nprog == 1:
		out = append(out, signal{service, 2, fmt.Sprintf("program %q in %s", clip(program),
			loggedSessions(programs))})
	case nprog > 1:
		out = append(out, signal{service, 2, fmt.Sprintf("programs %q and %d more in %s",
			clip(program), nprog-1, loggedSessions(programs))})
	case tools > 0:
		out = append(out, signal{human, 1, fmt.Sprintf("only interactive clients (%q) in %s",
			clip(tool), loggedSessions(tools))})
	}
	var with int
	for _, ad := range ua.Addresses {
		if ad.Sessions > 0 {
			with++
		}
	}
	if with == 1 && ua.Logins.Sessions >= stableSessions {
		out = append(out, signal{service, 1, "one client address in " +
			loggedSessions(ua.Logins.Sessions)})
	}
	return out
}

func loggedSessions(n int64) string {
	if n == 1 {
		return "1 logged session"
	}
	return fmt.Sprintf("%d logged sessions", n)
}
