package cli

import (
	"time"

	"github.com/wardsec/ward/internal/config"
	"github.com/wardsec/ward/internal/inventory"
	"github.com/wardsec/ward/internal/store"
)

// suppressionIndex gathers the suppressions of ward.yaml and of the store
// by fingerprint, judged at now, keeping one per finding: one that applies
// before an expired one, then the later end, then ward.yaml's (reviewed
// with the configuration) before the store's.
func suppressionIndex(cfg []config.Suppression, stored []store.Suppression,
	now time.Time) map[string]inventory.Suppression {
	idx := map[string]inventory.Suppression{}
	consider := func(fp string, s inventory.Suppression) {
		s.Expired = s.ExpiredAt(now)
		if cur, ok := idx[fp]; !ok || preferred(s, cur) {
			idx[fp] = s
		}
	}
	for _, c := range cfg {
		consider(c.Fingerprint, inventory.Suppression{Reason: c.Reason, Until: c.Until,
			By: c.By, Source: inventory.SuppressionFromConfig})
	}
	for _, s := range stored {
		consider(s.Fingerprint, s.Suppression)
	}
	return idx
}

// preferred reports whether a should stand for a finding rather than b.
func preferred(a, b inventory.Suppression) bool {
	switch {
	case a.Expired != b.Expired:
		return !a.Expired
	case !a.Until.Equal(b.Until):
		return a.Until.After(b.Until)
	}
	return a.Source == inventory.SuppressionFromConfig &&
		b.Source != inventory.SuppressionFromConfig
}

// applySuppressions marks each finding with the suppression that names
// it, if any, as a copy of its own; the others are left unmarked. Nothing
// is removed: a suppressed finding is still reported.
func applySuppressions(fs []inventory.Finding, idx map[string]inventory.Suppression) {
	for i := range fs {
		fs[i].Suppression = nil
		if s, ok := idx[fs[i].Fingerprint]; ok {
			s := s
			fs[i].Suppression = &s
		}
	}
}

// failing reports whether a finding counts for --fail-on at min: at or
// above it and not under a suppression that applies; with newOnly, also
// new in this scan (first seen, or back after being resolved).
func failing(fs []inventory.Finding, min inventory.Severity, newOnly bool,
	changes *inventory.Changes) []inventory.Finding {
	fresh := changes.NewFingerprints()
	var out []inventory.Finding
	for _, f := range fs {
		switch {
		case !f.Severity.AtLeast(min), f.Suppression.Active():
		case newOnly && !fresh[f.Fingerprint]:
		default:
			out = append(out, f)
		}
	}
	return out
}
