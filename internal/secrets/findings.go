package secrets

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/wardsec/ward/internal/inventory"
)

// maxLocations bounds the locations listed in one finding's evidence.
const maxLocations = 10

// Findings turns secrets into findings: one per fingerprint, so the same
// credential written on several lines of one file is one finding that
// lists its lines. Findings are not linked to accounts; see Link.
func (s *Scanner) Findings(secs []Secret) []inventory.Finding {
	groups := map[string][]Secret{}
	var order []string
	for _, sc := range secs {
		if _, ok := groups[sc.Fingerprint]; !ok {
			order = append(order, sc.Fingerprint)
		}
		groups[sc.Fingerprint] = append(groups[sc.Fingerprint], sc)
	}
	out := make([]inventory.Finding, 0, len(order))
	for _, fp := range order {
		g := groups[fp]
		first := g[0]
		r := s.catalog[first.RuleID]
		f := inventory.Finding{
			Fingerprint: fp,
			RuleID:      first.RuleID,
			Severity:    first.Severity,
			Title:       r.Title,
			Source:      s.opts.Source,
			Resource:    first.Path,
			Citations:   slices.Clone(r.Citations),
			Controls:    slices.Clone(r.Controls),
			Remediation: r.Remediation,
		}
		f.Evidence = append(f.Evidence, describe(first))
		if v := verificationOf(g); v != nil {
			f.Evidence = append(f.Evidence, v.evidence())
		}
		for i, sc := range g {
			if i == maxLocations {
				f.Evidence = append(f.Evidence, fmt.Sprintf("and %d more places", len(g)-i))
				break
			}
			f.Evidence = append(f.Evidence, "at "+location(sc))
		}
		f.Evidence = append(f.Evidence, "secret "+first.Redacted+", keyed hash "+first.KeyedHash)
		out = append(out, f)
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Severity.Rank() != b.Severity.Rank() {
			return a.Severity.Rank() > b.Severity.Rank()
		}
		return a.Resource < b.Resource
	})
	return out
}

// describe says in one line what a secret is and whose it is.
func describe(sc Secret) string {
	msg := sc.Kind
	if id := sc.Identity.String(); id != "" && !strings.HasSuffix(msg, " in "+id) {
		msg += " for " + id
	}
	switch sc.Variant {
	case variantLoopback:
		msg += " (loopback host)"
	case variantEncrypted:
		msg += " (encrypted)"
	case variantMalformed:
		msg += " (body is not a parseable key)"
	case variantExample:
		msg += " (AWS documentation example)"
	}
	return msg
}

// verificationOf returns the first login attempt recorded in a group.
func verificationOf(g []Secret) *Verification {
	for _, sc := range g {
		if sc.Verification != nil {
			return sc.Verification
		}
	}
	return nil
}

// evidence says in one line how a login with the secret went.
func (v *Verification) evidence() string {
	at := v.At.UTC().Format(time.RFC3339)
	var msg string
	switch v.Status {
	case VerifyLive, VerifyDead:
		msg = "verified " + v.Status + " at " + at + " against source " + v.Source
	default:
		msg = "verification against source " + v.Source + " at " + at + " was inconclusive"
	}
	if v.Reason != "" {
		msg += " (" + v.Reason + ")"
	}
	return msg
}

// location is path:line, with the commit and its date for history.
func location(sc Secret) string {
	loc := sc.Path + ":" + strconv.Itoa(sc.Line)
	if sc.Commit != "" {
		loc += " (commit " + short(sc.Commit) + ", " + sc.CommitTime.Format("2006-01-02") + ")"
	}
	return loc
}

func short(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}
