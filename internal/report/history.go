package report

import (
	"fmt"
	"time"

	"github.com/wardsec/ward/internal/inventory"
)

// Change states of a finding, as reports show them.
const (
	stateNew       = "new"
	stateReopened  = "reopened"
	stateUnchanged = "unchanged"
)

// changeStates maps the fingerprint of each finding the changes classify
// to stateNew, stateReopened or stateUnchanged. A finding of a source that
// was not compared has no entry.
func changeStates(c *inventory.Changes) map[string]string {
	out := map[string]string{}
	if c == nil {
		return out
	}
	for _, s := range c.Sources {
		for _, f := range s.New {
			out[f.Fingerprint] = stateNew
			if f.Reopened {
				out[f.Fingerprint] = stateReopened
			}
		}
		for _, f := range s.Unchanged {
			out[f.Fingerprint] = stateUnchanged
		}
	}
	return out
}

// dateOf writes the day of t, UTC.
func dateOf(t time.Time) string { return t.UTC().Format("2006-01-02") }

// suppressionOrigin says where a suppression was made, in the user's terms.
func suppressionOrigin(s *inventory.Suppression) string {
	switch s.Source {
	case inventory.SuppressionFromConfig:
		return "ward.yaml"
	case inventory.SuppressionFromCommand:
		return "ward suppress"
	}
	return s.Source
}

// originCode says where a suppression was made, as the machine formats
// write it: "config" or "command".
func originCode(s *inventory.Suppression) string {
	if s.Source == inventory.SuppressionFromConfig {
		return "config"
	}
	return "command"
}

// suppressionText describes a suppression in one sentence: who accepted
// the risk, until when, where it was recorded and why, or that it expired.
func suppressionText(s *inventory.Suppression) string {
	until := dateOf(s.Until)
	if s.Expired {
		return fmt.Sprintf("suppression expired after %s (by %s in %s; it counts again): %s",
			until, or(s.By, "unknown"), suppressionOrigin(s), s.Reason)
	}
	return fmt.Sprintf("suppressed until %s by %s (%s): %s",
		until, or(s.By, "unknown"), suppressionOrigin(s), s.Reason)
}
