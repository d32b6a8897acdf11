package rules

import (
	"fmt"
	"time"

	"github.com/wardsec/ward/internal/config"
	"github.com/wardsec/ward/internal/usage"
)

// The IDs of the rules that read a source's usage.
const (
	ruleUnused       = "ACCT-UNUSED"
	ruleGrantUnused  = "DB-GRANT-UNUSED"
	ruleInteractive  = "SA-INTERACTIVE-USE"
	ruleShared       = "ACCT-SHARED-CREDENTIAL"
	ruleAuthFailures = "AUTH-FAILURES-SA"
	ruleExposed      = "CRED-EXPOSED-IN-LOGS"
)

// UsageRules names the rules that read what a source's logs show
// (Input.Usage). Without a usage they do not run, and the store must not
// take their earlier findings as resolved.
func UsageRules() []string {
	return []string{ruleUnused, ruleGrantUnused, ruleInteractive, ruleShared,
		ruleAuthFailures, ruleExposed}
}

// withDefaults fills the zero thresholds of p with the configuration's
// defaults, so that a Policy built in code behaves as an empty policy
// section of ward.yaml.
func withDefaults(p config.Policy) config.Policy {
	if p.UnusedAfter <= 0 {
		p.UnusedAfter = config.DefaultUnusedAfter
	}
	if p.MinObservation <= 0 {
		p.MinObservation = config.DefaultMinObservation
	}
	if p.AuthFailures <= 0 {
		p.AuthFailures = config.DefaultAuthFailures
	}
	if p.AuthFailureWindow <= 0 {
		p.AuthFailureWindow = config.DefaultAuthFailureWindow
	}
	return p
}

// usageAccount returns what the logs show of the login called name, nil
// when they show nothing or there is no usage.
func (e *eval) usageAccount(name string) *usage.Account {
	if e.usage == nil {
		return nil
	}
	return e.usage.Account(name)
}

// span says how long d is, in the largest unit that fits: "92 days",
// "5 hours", "6 minutes", "40 seconds".
func span(d time.Duration) string {
	switch {
	case d >= 48*time.Hour:
		return fmt.Sprintf("%d days", int64(d/(24*time.Hour)))
	case d >= 2*time.Hour:
		return fmt.Sprintf("%d hours", int64(d/time.Hour))
	case d >= 2*time.Minute:
		return fmt.Sprintf("%d minutes", int64(d/time.Minute))
	}
	return fmt.Sprintf("%d seconds", int64(d/time.Second))
}

// gapsText describes the gaps of w that fall between from and to: how
// many, how long in all, and the longest. Empty when there is none.
func gapsText(w usage.Window, from, to time.Time) string {
	var n int
	var total time.Duration
	var longest usage.Gap
	for _, g := range w.Gaps {
		if !g.End.After(from) || !g.Start.Before(to) {
			continue
		}
		n++
		total += g.Duration()
		if g.Duration() > longest.Duration() {
			longest = g
		}
	}
	if n == 0 {
		return ""
	}
	return fmt.Sprintf("the logs have %s of no event in that time, %s in all (the longest "+
		"from %s to %s); that time is not counted", plural(n, "gap"), span(total),
		stamp(longest.Start), stamp(longest.End))
}
