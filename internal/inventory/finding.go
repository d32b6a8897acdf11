package inventory

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
)

// Severity orders findings from info to critical.
type Severity string

// The severities, lowest first.
const (
	SeverityInfo     Severity = "info"
	SeverityLow      Severity = "low"
	SeverityMedium   Severity = "medium"
	SeverityHigh     Severity = "high"
	SeverityCritical Severity = "critical"
)

var severityRank = map[Severity]int{
	SeverityInfo: 0, SeverityLow: 1, SeverityMedium: 2, SeverityHigh: 3, SeverityCritical: 4,
}

var severityByRank = []Severity{
	SeverityInfo, SeverityLow, SeverityMedium, SeverityHigh, SeverityCritical,
}

// Rank returns the order of s, 0 for info up to 4 for critical, and -1 for
// an unknown severity.
func (s Severity) Rank() int {
	r, ok := severityRank[s]
	if !ok {
		return -1
	}
	return r
}

// Raise returns the severity one level higher, never above critical.
func (s Severity) Raise() Severity {
	r := s.Rank()
	if r < 0 || r >= len(severityByRank)-1 {
		return s
	}
	return severityByRank[r+1]
}

// AtLeast reports whether s is at or above min.
func (s Severity) AtLeast(min Severity) bool { return s.Rank() >= min.Rank() }

// ParseSeverity accepts the lower-case names of the severities.
func ParseSeverity(v string) (Severity, error) {
	s := Severity(strings.ToLower(strings.TrimSpace(v)))
	if s.Rank() < 0 {
		return "", fmt.Errorf("unknown severity %q: use critical, high, medium, low or info", v)
	}
	return s, nil
}

// Fix is a ready artifact that resolves a finding.
type Fix struct {
	// Language is "sql", "yaml", "json" or "shell".
	Language string `json:"language"`
	Apply    string `json:"apply"`
	Rollback string `json:"rollback,omitempty"`
	Notes    string `json:"notes,omitempty"`
}

// Finding is a rule's verdict on an account or on a source.
type Finding struct {
	Fingerprint string   `json:"fingerprint"`
	RuleID      string   `json:"rule_id"`
	Severity    Severity `json:"severity"`
	Title       string   `json:"title"`
	Source      string   `json:"source"`
	// AccountID is empty for findings about the source as a whole.
	AccountID   string    `json:"account_id"`
	Resource    string    `json:"resource"`
	Evidence    []string  `json:"evidence"`
	Citations   []string  `json:"citations"`
	Controls    []string  `json:"controls"`
	Remediation string    `json:"remediation"`
	Fix         *Fix      `json:"fix"`
	PHI         bool      `json:"phi"`
	FirstSeen   time.Time `json:"first_seen"`
	LastSeen    time.Time `json:"last_seen"`
	// ResolvedAt is set by the store on a tracked finding that a later
	// complete scan of its source no longer reported; zero while open.
	ResolvedAt time.Time `json:"resolved_at,omitzero"`
	// Suppression is the suppression that names the finding, active or
	// expired; nil when none does. It is applied when the finding is
	// reported, never stored with it.
	Suppression *Suppression `json:"suppression,omitempty"`
}

// Fingerprint derives the stable identity of a finding from its rule,
// source, account name and resource. Line numbers, times and evidence are
// deliberately left out so the same problem keeps its fingerprint across
// scans.
func Fingerprint(ruleID, source, accountName, resource string) string {
	h := sha256.New()
	for _, part := range []string{ruleID, source, accountName, resource} {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}
