package report

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/wardsec/ward/internal/inventory"
	"github.com/wardsec/ward/internal/rules"
)

// SARIF constants: the version written and the schema it conforms to.
const (
	SARIFVersion = "2.1.0"
	SARIFSchema  = "https://json.schemastore.org/sarif-2.1.0.json"
	// sarifFingerprintKey names ward's fingerprint in partialFingerprints;
	// the version changes if inventory.Fingerprint ever does.
	sarifFingerprintKey = "wardFindingFingerprint/v1"
	wardURI             = "https://github.com/wardsec/ward"
)

// WriteSARIF writes r as a SARIF 2.1.0 log with one run: one result per
// finding, with the metadata of each rule that has a result (title, what
// it detects, remediation, HIPAA citations and NIST controls) taken from
// the rules catalogue, and what the scan did not cover as notifications.
//
// A finding has no file, so each result's location is logical: the account
// and the resource it is about, or the source for a finding about the
// source as a whole. Its fingerprint is in partialFingerprints. A finding
// under a suppression that applies carries it as a SARIF suppression of
// kind external, with the reason as justification; an expired one is not
// a suppression, and is described in the result's properties instead. When
// r has changes, each result has a baselineState (new or unchanged); a
// resolved finding (one with ResolvedAt set, as `ward findings` lists
// them) is absent. r is not modified.
func WriteSARIF(w io.Writer, r *inventory.ScanResult) error {
	return writeSARIF(w, r, rules.Catalog())
}

// writeSARIF is WriteSARIF with the rules catalogue given, for tests.
func writeSARIF(w io.Writer, r *inventory.ScanResult, catalog []rules.Rule) error {
	if r == nil {
		return errNilResult
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(buildSARIF(r, catalog)); err != nil {
		return fmt.Errorf("write sarif report: %w", err)
	}
	return nil
}

type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool              sarifTool         `json:"tool"`
	AutomationDetails *sarifAutomation  `json:"automationDetails,omitempty"`
	Invocations       []sarifInvocation `json:"invocations"`
	Results           []sarifResult     `json:"results"`
	Properties        sarifRunProps     `json:"properties"`
}

type sarifRunProps struct {
	ScanID     string `json:"scanId"`
	ConfigPath string `json:"configPath"`
	ConfigHash string `json:"configHash"`
	Partial    bool   `json:"partial"`
}

type sarifAutomation struct {
	ID string `json:"id"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	Version        string      `json:"version,omitempty"`
	InformationURI string      `json:"informationUri"`
	Rules          []sarifRule `json:"rules"`
}

type sarifText struct {
	Text string `json:"text"`
}

type sarifRule struct {
	ID                   string         `json:"id"`
	ShortDescription     sarifText      `json:"shortDescription"`
	FullDescription      *sarifText     `json:"fullDescription,omitempty"`
	Help                 *sarifText     `json:"help,omitempty"`
	DefaultConfiguration sarifRuleLevel `json:"defaultConfiguration"`
	Properties           sarifRuleProps `json:"properties"`
}

type sarifRuleLevel struct {
	Level string `json:"level"`
}

type sarifRuleProps struct {
	Tags      []string `json:"tags"`
	Severity  string   `json:"severity"`
	Citations []string `json:"citations"`
	Controls  []string `json:"controls"`
	// SecuritySeverity is the numeric severity code-scanning services read.
	SecuritySeverity string `json:"security-severity"`
}

type sarifInvocation struct {
	ExecutionSuccessful bool                `json:"executionSuccessful"`
	StartTimeUTC        string              `json:"startTimeUtc,omitempty"`
	EndTimeUTC          string              `json:"endTimeUtc,omitempty"`
	Notifications       []sarifNotification `json:"toolExecutionNotifications"`
}

type sarifNotification struct {
	Level   string    `json:"level"`
	Message sarifText `json:"message"`
}

type sarifResult struct {
	RuleID              string             `json:"ruleId"`
	RuleIndex           int                `json:"ruleIndex"`
	Level               string             `json:"level"`
	Message             sarifText          `json:"message"`
	Locations           []sarifLocation    `json:"locations"`
	PartialFingerprints map[string]string  `json:"partialFingerprints"`
	BaselineState       string             `json:"baselineState,omitempty"`
	Suppressions        []sarifSuppression `json:"suppressions,omitempty"`
	Properties          sarifResultProps   `json:"properties"`
}

type sarifLocation struct {
	LogicalLocations []sarifLogical `json:"logicalLocations"`
}

type sarifLogical struct {
	Name               string `json:"name"`
	FullyQualifiedName string `json:"fullyQualifiedName"`
	Kind               string `json:"kind"`
}

type sarifSuppression struct {
	Kind          string                `json:"kind"`
	Status        string                `json:"status"`
	Justification string                `json:"justification"`
	Properties    sarifSuppressionProps `json:"properties"`
}

type sarifSuppressionProps struct {
	Until     string `json:"until"`
	By        string `json:"by"`
	Origin    string `json:"origin"`
	CreatedAt string `json:"createdAt,omitempty"`
}

type sarifResultProps struct {
	Tags        []string           `json:"tags"`
	Severity    string             `json:"severity"`
	Source      string             `json:"source"`
	AccountID   string             `json:"accountId"`
	Resource    string             `json:"resource"`
	PHI         bool               `json:"phi"`
	Evidence    []string           `json:"evidence"`
	Citations   []string           `json:"citations"`
	Controls    []string           `json:"controls"`
	Remediation string             `json:"remediation"`
	Fix         *fixJSON           `json:"fix,omitempty"`
	FirstSeen   string             `json:"firstSeen,omitempty"`
	LastSeen    string             `json:"lastSeen,omitempty"`
	Suppression *sarifExpiredProps `json:"expiredSuppression,omitempty"`
}

// sarifExpiredProps describes a suppression that no longer applies.
type sarifExpiredProps struct {
	Reason string `json:"reason"`
	Until  string `json:"until"`
	By     string `json:"by"`
	Origin string `json:"origin"`
}

func buildSARIF(r *inventory.ScanResult, catalog []rules.Rule) sarifLog {
	findings := sortedFindings(r.Findings, compareFindings)
	ruleList, index := sarifRules(findings, catalog)
	run := sarifRun{
		Tool: sarifTool{Driver: sarifDriver{Name: "ward", Version: r.WardVersion,
			InformationURI: wardURI, Rules: ruleList}},
		Invocations: []sarifInvocation{sarifInvocationOf(r)},
		Results:     []sarifResult{},
		Properties: sarifRunProps{ScanID: r.ID, ConfigPath: r.ConfigPath,
			ConfigHash: r.ConfigHash, Partial: r.Partial()},
	}
	if r.ID != "" {
		run.AutomationDetails = &sarifAutomation{ID: "ward-scan/" + r.ID}
	}
	states := changeStates(r.Changes)
	for _, f := range findings {
		run.Results = append(run.Results, sarifResultOf(f, index[f.RuleID], states))
	}
	return sarifLog{Schema: SARIFSchema, Version: SARIFVersion, Runs: []sarifRun{run}}
}

// sarifRules returns the metadata of every rule the findings name, sorted
// by ID, with each rule's position. A rule missing from the catalogue is
// described from its first finding.
func sarifRules(fs []inventory.Finding, catalog []rules.Rule) ([]sarifRule, map[string]int) {
	byID := map[string]rules.Rule{}
	for _, r := range catalog {
		byID[r.ID] = r
	}
	first := map[string]inventory.Finding{}
	for _, f := range fs {
		if _, ok := first[f.RuleID]; !ok {
			first[f.RuleID] = f
		}
	}
	ids := make([]string, 0, len(first))
	for id := range first {
		ids = append(ids, id)
	}
	slices.Sort(ids)

	out := []sarifRule{}
	index := map[string]int{}
	for _, id := range ids {
		rule, ok := byID[id]
		if !ok {
			f := first[id]
			rule = rules.Rule{ID: id, Title: f.Title, Severity: f.Severity,
				Citations: f.Citations, Controls: f.Controls, Remediation: f.Remediation}
		}
		index[id] = len(out)
		out = append(out, sarifRuleOf(rule))
	}
	return out, index
}

func sarifRuleOf(r rules.Rule) sarifRule {
	out := sarifRule{
		ID:                   r.ID,
		ShortDescription:     sarifText{Text: or(r.Title, r.ID)},
		DefaultConfiguration: sarifRuleLevel{Level: SARIFLevel(r.Severity)},
		Properties: sarifRuleProps{
			Tags:             []string{"security", "hipaa"},
			Severity:         string(r.Severity),
			Citations:        nonNil(slices.Clone(r.Citations)),
			Controls:         nonNil(slices.Clone(r.Controls)),
			SecuritySeverity: SecuritySeverity(r.Severity),
		},
	}
	if r.Detects != "" {
		out.FullDescription = &sarifText{Text: r.Detects}
	}
	if help := ruleHelp(r); help != "" {
		out.Help = &sarifText{Text: help}
	}
	return out
}

// ruleHelp is the help text of a rule: what to do, then what it cites.
func ruleHelp(r rules.Rule) string {
	var parts []string
	if r.Remediation != "" {
		parts = append(parts, r.Remediation)
	}
	if len(r.Citations) > 0 {
		parts = append(parts, "Citations: "+strings.Join(r.Citations, "; ")+".")
	}
	if len(r.Controls) > 0 {
		parts = append(parts, "NIST SP 800-53 Rev. 5: "+strings.Join(r.Controls, ", ")+".")
	}
	return strings.Join(parts, "\n\n")
}

// SARIFLevel maps a severity to a SARIF level: critical and high are
// errors, medium a warning, low and info notes. Every SARIF ward writes
// uses it, so results rank alike in code-scanning services.
func SARIFLevel(s inventory.Severity) string {
	switch s {
	case inventory.SeverityCritical, inventory.SeverityHigh:
		return "error"
	case inventory.SeverityMedium:
		return "warning"
	}
	return "note"
}

// SecuritySeverity is the CVSS-like score code-scanning services use to
// rank rules: 9.0 and up critical, 7.0 high, 4.0 medium, below low.
func SecuritySeverity(s inventory.Severity) string {
	switch s {
	case inventory.SeverityCritical:
		return "9.5"
	case inventory.SeverityHigh:
		return "8.0"
	case inventory.SeverityMedium:
		return "5.5"
	case inventory.SeverityLow:
		return "3.0"
	}
	return "1.0"
}

func sarifInvocationOf(r *inventory.ScanResult) sarifInvocation {
	inv := sarifInvocation{
		ExecutionSuccessful: !r.Partial(),
		StartTimeUTC:        sarifTime(r.StartedAt),
		EndTimeUTC:          sarifTime(r.FinishedAt),
		Notifications:       []sarifNotification{},
	}
	failed := map[string]bool{}
	for _, s := range r.Sources {
		if s.Status == inventory.StatusFailed {
			failed[s.Name] = true
		}
	}
	for _, it := range uncoveredItems(r) {
		level := "warning"
		if failed[it.source] {
			level = "error"
		}
		text := "source " + it.source + ": " + it.text
		if it.enable != "" {
			text += " (enable: " + it.enable + ")"
		}
		inv.Notifications = append(inv.Notifications,
			sarifNotification{Level: level, Message: sarifText{Text: text}})
	}
	return inv
}

func sarifResultOf(f inventory.Finding, ruleIndex int, states map[string]string) sarifResult {
	res := sarifResult{
		RuleID:              f.RuleID,
		RuleIndex:           ruleIndex,
		Level:               SARIFLevel(f.Severity),
		Message:             sarifText{Text: sarifMessage(f)},
		Locations:           []sarifLocation{{LogicalLocations: sarifLogicals(f)}},
		PartialFingerprints: map[string]string{sarifFingerprintKey: f.Fingerprint},
		Properties: sarifResultProps{
			Tags:        []string{},
			Severity:    string(f.Severity),
			Source:      f.Source,
			AccountID:   f.AccountID,
			Resource:    f.Resource,
			PHI:         f.PHI,
			Evidence:    nonNil(slices.Clone(f.Evidence)),
			Citations:   nonNil(slices.Clone(f.Citations)),
			Controls:    nonNil(slices.Clone(f.Controls)),
			Remediation: f.Remediation,
			FirstSeen:   sarifTime(f.FirstSeen),
			LastSeen:    sarifTime(f.LastSeen),
		},
	}
	if f.PHI {
		res.Properties.Tags = append(res.Properties.Tags, "phi")
	}
	if f.Fix != nil {
		res.Properties.Fix = &fixJSON{Language: f.Fix.Language, Apply: f.Fix.Apply,
			Rollback: f.Fix.Rollback, Notes: f.Fix.Notes}
	}
	switch {
	case !f.ResolvedAt.IsZero():
		// A tracked finding listed by `ward findings --status all`.
		res.BaselineState = "absent"
	case states[f.Fingerprint] == stateNew || states[f.Fingerprint] == stateReopened:
		res.BaselineState = "new"
	case states[f.Fingerprint] == stateUnchanged:
		res.BaselineState = "unchanged"
	}

	if s := f.Suppression; s != nil {
		if s.Active() {
			res.Suppressions = []sarifSuppression{{
				Kind: "external", Status: "accepted", Justification: s.Reason,
				Properties: sarifSuppressionProps{Until: dateOf(s.Until), By: s.By,
					Origin: originCode(s), CreatedAt: sarifTime(s.CreatedAt)},
			}}
		} else {
			res.Properties.Suppression = &sarifExpiredProps{Reason: s.Reason,
				Until: dateOf(s.Until), By: s.By, Origin: originCode(s)}
		}
	}
	return res
}

// sarifMessage says what a result is and where, in one line.
func sarifMessage(f inventory.Finding) string {
	var b strings.Builder
	b.WriteString(or(f.Title, f.RuleID))
	if f.AccountID != "" {
		b.WriteString(". Account: " + f.AccountID)
	} else {
		b.WriteString(". Source: " + f.Source)
	}
	if f.Resource != "" {
		b.WriteString(". Resource: " + f.Resource)
	}
	if f.PHI {
		b.WriteString(". Touches PHI")
	}
	b.WriteString(".")
	return b.String()
}

// sarifLogicals are the logical locations of a finding: its account (or
// its source) and its resource.
func sarifLogicals(f inventory.Finding) []sarifLogical {
	var out []sarifLogical
	if f.AccountID != "" {
		name := f.AccountID
		if _, native, ok := strings.Cut(f.AccountID, "/"); ok {
			name = native
		}
		out = append(out, sarifLogical{Name: name, FullyQualifiedName: f.AccountID,
			Kind: "account"})
	} else {
		out = append(out, sarifLogical{Name: f.Source, FullyQualifiedName: f.Source,
			Kind: "source"})
	}
	if f.Resource != "" {
		out = append(out, sarifLogical{Name: f.Resource,
			FullyQualifiedName: f.Source + "/" + f.Resource, Kind: "resource"})
	}
	return out
}

// sarifTime writes t in UTC as RFC 3339, or nothing for the zero time.
func sarifTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}
