package config

import (
	"fmt"
	"regexp"
	"strings"
	"time"
)

// DateLayout is the form of a suppression's until date.
const DateLayout = "2006-01-02"

// fingerprintRE is the form of a finding's fingerprint: 16 lower-case hex
// digits (inventory.Fingerprint).
var fingerprintRE = regexp.MustCompile(`^[0-9a-f]{16}$`)

// ValidFingerprint reports whether s has the form of a finding's
// fingerprint.
func ValidFingerprint(s string) bool { return fingerprintRE.MatchString(s) }

// ParseDate reads a suppression's until date, YYYY-MM-DD, as midnight UTC.
func ParseDate(s string) (time.Time, error) {
	d, err := time.Parse(DateLayout, strings.TrimSpace(s))
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not a date: write YYYY-MM-DD, such as 2027-03-31", s)
	}
	return d, nil
}

// suppressions checks each entry of the suppressions section. Every field
// is required: a suppression documents an accepted risk, and one without a
// reason, an end or a person accountable documents nothing. A past date is
// not an error; the suppression has expired and reports say so.
func (v *validator) suppressions(raws []rawSuppression) []Suppression {
	seq := child(v.root, "suppressions")
	seen := map[string]int{}
	var out []Suppression
	for i, r := range raws {
		n := item(seq, i)
		field := fmt.Sprintf("suppressions[%d]", i)
		s := Suppression{Fingerprint: strings.TrimSpace(r.Fingerprint),
			Reason: strings.TrimSpace(r.Reason), By: strings.TrimSpace(r.By), Line: lineOf(n)}

		switch {
		case s.Fingerprint == "":
			v.fail(lineOf(n), field+".fingerprint",
				"missing: copy the finding's fingerprint from `ward findings`")
		case !ValidFingerprint(s.Fingerprint):
			v.fail(lineOf(child(n, "fingerprint")), field+".fingerprint",
				"not a fingerprint: write the 16 hex digits `ward findings` shows")
		default:
			if first, dup := seen[s.Fingerprint]; dup {
				v.fail(lineOf(child(n, "fingerprint")), field+".fingerprint",
					"%s is already suppressed on line %d: keep one entry per finding",
					s.Fingerprint, first)
			}
			seen[s.Fingerprint] = lineOf(child(n, "fingerprint"))
		}
		if s.Reason == "" {
			v.fail(lineOf(n), field+".reason",
				"missing: say why the risk is accepted, such as the compensating control")
		}
		if s.By == "" {
			v.fail(lineOf(n), field+".by", "missing: name who accepted the risk")
		}
		if strings.TrimSpace(r.Until) == "" {
			v.fail(lineOf(n), field+".until",
				"missing: give the last day the suppression applies, YYYY-MM-DD")
		} else if d, err := ParseDate(r.Until); err != nil {
			// The value is not echoed: a misplaced line may hold a secret.
			v.fail(lineOf(child(n, "until")), field+".until",
				"not a date: write YYYY-MM-DD, such as 2027-03-31")
		} else {
			s.Until = d
		}
		out = append(out, s)
	}
	return out
}
