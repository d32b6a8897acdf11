package inventory

import "time"

// Where a suppression was made.
const (
	SuppressionFromConfig  = "config"
	SuppressionFromCommand = "command"
)

// Suppression is a documented, time-boxed acceptance of the risk a finding
// names (HIPAA 164.306(d)(3): the reason an addressable specification is
// not implemented, who decided and until when). A suppressed finding is
// still reported, marked as such; it does not count for --fail-on while the
// suppression applies.
type Suppression struct {
	Reason string `json:"reason"`
	// Until is the last day on which the suppression applies, at midnight
	// UTC; it stops applying when that day ends.
	Until time.Time `json:"until"`
	// By is who accepted the risk.
	By string `json:"by"`
	// CreatedAt is when `ward suppress` recorded it; zero for one written
	// in ward.yaml.
	CreatedAt time.Time `json:"created_at,omitzero"`
	// Source is SuppressionFromConfig or SuppressionFromCommand.
	Source string `json:"source"`
	// Expired is true when Until has passed: the suppression no longer
	// applies and the finding counts like any other. It is kept so that
	// reports can say so.
	Expired bool `json:"expired"`
}

// Active reports whether s applies: it is set and has not expired.
func (s *Suppression) Active() bool { return s != nil && !s.Expired }

// ExpiresAt is the moment s stops applying: the end of its last day, UTC.
func (s *Suppression) ExpiresAt() time.Time {
	u := s.Until.UTC()
	return time.Date(u.Year(), u.Month(), u.Day(), 0, 0, 0, 0, time.UTC).AddDate(0, 0, 1)
}

// ExpiredAt reports whether s no longer applies at now.
func (s *Suppression) ExpiredAt(now time.Time) bool { return !now.Before(s.ExpiresAt()) }
