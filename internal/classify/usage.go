package classify

import (
	"fmt"

	"github.com/wardsec/ward/internal/usage"
)

// stableSessions is how many logged sessions from one client address make
// that stable address a hint of software.
const stableSessions = 10

// Shares of an account's logged sessions (those that name a program) that
// make a family of programs a hint: non-interactive programs must carry a
// clear majority, more than programShareNum/programShareDen, to hint
// software; interactive tools must carry a majority to hint a person.
const (
	programShareNum = 2
	programShareDen = 3
)

// notCounted ends the reason of a log hint of software that is not scored
// because the account is the bootstrap superuser.
const notCounted = " (not counted: bootstrap superuser)"

// usageSignals reads an account's logged sessions, weighing each family of
// programs by its share of the sessions that name a program, so one
// session of a dump tool does not outweigh many of psql. Non-interactive
// programs hint software (weight 2) only when they carry a clear majority
// (more than two thirds) of those sessions. Interactive tools hint a
// person, faintly (weight 1), when they carry a majority: a service
// account that someone uses by hand keeps its name and attribute hints and
// stays a service, and the rule SA-INTERACTIVE-USE reports the use. One
// client address across many sessions hints software (weight 1), unless
// interactive tools carry the majority: a person works from one desk too.
//
// The logs alone never make the bootstrap superuser a service: it is
// shared by administrators and by software, so its hints of software are
// kept as reasons with weight 0; only its name, attributes or the owners
// file decide that. Which programs are interactive is the usage package's
// list, the one the rules use.
//
// TODO(#4): the [interactive] section of signals.txt, read for open
// sessions, lists the same tools as the usage package's programs.txt;
// keep one list.
func usageSignals(ua *usage.Account, bootstrap bool) []signal {
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
	total := tools + programs
	var out []signal
	svc := func(w int, reason string) {
		if bootstrap {
			w, reason = 0, reason+notCounted
		}
		out = append(out, signal{service, w, reason})
	}
	switch {
	case programs > 0 && programs*programShareDen > total*programShareNum:
		what := fmt.Sprintf("program %q", clip(program))
		if nprog > 1 {
			what = fmt.Sprintf("programs %q and %d more", clip(program), nprog-1)
		}
		svc(2, what+" in "+share(programs, total))
	case tools > 0 && tools*2 > total:
		what := "only interactive clients"
		if programs > 0 {
			what = "mostly interactive clients"
		}
		out = append(out, signal{human, 1, fmt.Sprintf("%s (%q) in %s", what, clip(tool),
			share(tools, total))})
	}
	var with int
	for _, ad := range ua.Addresses {
		if ad.Sessions > 0 {
			with++
		}
	}
	if with == 1 && ua.Logins.Sessions >= stableSessions && tools*2 <= total {
		svc(1, "one client address in "+loggedSessions(ua.Logins.Sessions))
	}
	return out
}

// share says how many of total logged sessions part is: "3 logged
// sessions" when it is all of them, "10 of 11 logged sessions" otherwise.
func share(part, total int64) string {
	if part == total {
		return loggedSessions(part)
	}
	return fmt.Sprintf("%d of %d logged sessions", part, total)
}

func loggedSessions(n int64) string {
	if n == 1 {
		return "1 logged session"
	}
	return fmt.Sprintf("%d logged sessions", n)
}
