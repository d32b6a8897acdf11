package secrets

import (
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"slices"
	"sort"
	"strings"

	"github.com/wardsec/ward/internal/report"
	"github.com/wardsec/ward/internal/rules"
)

// SARIF of a secrets scan: unlike ward scan's SARIF, whose findings sit
// on accounts, each result here has physical locations (file and line),
// so code-scanning services can annotate the code.
const (
	sarifVersion = "2.1.0"
	sarifSchema  = "https://json.schemastore.org/sarif-2.1.0.json"
	// sarifFingerprintKey names the finding fingerprint in
	// partialFingerprints. It holds no secret material beyond the keyed
	// hash that is part of the fingerprint.
	sarifFingerprintKey = "wardSecretFingerprint/v1"
)

type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool        sarifTool         `json:"tool"`
	Invocations []sarifInvocation `json:"invocations"`
	Results     []sarifResult     `json:"results"`
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
	ID                   string          `json:"id"`
	ShortDescription     sarifText       `json:"shortDescription"`
	FullDescription      sarifText       `json:"fullDescription"`
	Help                 sarifText       `json:"help"`
	DefaultConfiguration sarifConfig     `json:"defaultConfiguration"`
	Properties           sarifRuleFields `json:"properties"`
}

type sarifConfig struct {
	Level string `json:"level"`
}

type sarifRuleFields struct {
	Tags             []string `json:"tags"`
	Citations        []string `json:"citations"`
	Controls         []string `json:"controls"`
	SecuritySeverity string   `json:"security-severity"`
}

type sarifInvocation struct {
	ExecutionSuccessful bool                `json:"executionSuccessful"`
	Notifications       []sarifNotification `json:"toolExecutionNotifications"`
}

type sarifNotification struct {
	Level   string    `json:"level"`
	Message sarifText `json:"message"`
}

type sarifResult struct {
	RuleID              string            `json:"ruleId"`
	RuleIndex           int               `json:"ruleIndex"`
	Level               string            `json:"level"`
	Message             sarifText         `json:"message"`
	Locations           []sarifLocation   `json:"locations"`
	PartialFingerprints map[string]string `json:"partialFingerprints"`
	Properties          sarifResultFields `json:"properties"`
}

type sarifLocation struct {
	PhysicalLocation sarifPhysical `json:"physicalLocation"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
	Region           sarifRegion   `json:"region"`
}

type sarifArtifact struct {
	URI       string `json:"uri"`
	URIBaseID string `json:"uriBaseId"`
}

type sarifRegion struct {
	StartLine int `json:"startLine"`
}

type sarifResultFields struct {
	Severity   string `json:"severity"`
	Identity   string `json:"identity"`
	AccountID  string `json:"accountId,omitempty"`
	Commit     string `json:"commit,omitempty"`
	CommitTime string `json:"commitTime,omitempty"`
	Redacted   string `json:"redacted"`
}

func writeSARIF(w io.Writer, r *Report) error {
	cat := rules.Catalog()
	ruleIndex := map[string]int{}
	var srules []sarifRule
	for _, ru := range cat {
		if ru.EvaluatedBy != "secrets" {
			continue
		}
		ruleIndex[ru.ID] = len(srules)
		srules = append(srules, sarifRuleOf(ru))
	}
	bySecret := map[string][]Secret{}
	for _, sc := range r.Secrets {
		bySecret[sc.Fingerprint] = append(bySecret[sc.Fingerprint], sc)
	}
	results := []sarifResult{}
	for _, f := range r.Findings {
		secs := bySecret[f.Fingerprint]
		if len(secs) == 0 {
			continue
		}
		first := secs[0]
		res := sarifResult{
			RuleID:              f.RuleID,
			RuleIndex:           ruleIndex[f.RuleID],
			Level:               report.SARIFLevel(f.Severity),
			Message:             sarifText{Text: escapeText(describe(first)) + " (secret " + first.Redacted + ")."},
			PartialFingerprints: map[string]string{sarifFingerprintKey: f.Fingerprint},
			Properties: sarifResultFields{Severity: string(f.Severity),
				Identity: first.Identity.String(), AccountID: f.AccountID, Commit: first.Commit,
				Redacted: first.Redacted},
		}
		if !first.CommitTime.IsZero() {
			res.Properties.CommitTime = first.CommitTime.Format("2006-01-02T15:04:05Z")
		}
		for i, sc := range secs {
			if i == maxLocations {
				break
			}
			res.Locations = append(res.Locations, sarifLocation{PhysicalLocation: sarifPhysical{
				ArtifactLocation: sarifArtifact{URI: uriOf(sc.Path), URIBaseID: "%SRCROOT%"},
				Region:           sarifRegion{StartLine: max(sc.Line, 1)},
			}})
		}
		results = append(results, res)
	}
	inv := sarifInvocation{ExecutionSuccessful: true, Notifications: []sarifNotification{}}
	reasons := make([]string, 0, len(r.Stats.Skipped))
	for k := range r.Stats.Skipped {
		reasons = append(reasons, k)
	}
	sort.Strings(reasons)
	for _, k := range reasons {
		inv.Notifications = append(inv.Notifications, sarifNotification{Level: "note",
			Message: sarifText{Text: fmt.Sprintf("skipped %d: %s", r.Stats.Skipped[k], k)}})
	}
	log := sarifLog{Schema: sarifSchema, Version: sarifVersion, Runs: []sarifRun{{
		Tool: sarifTool{Driver: sarifDriver{Name: "ward", Version: r.Version,
			InformationURI: "https://github.com/wardsec/ward", Rules: srules}},
		Invocations: []sarifInvocation{inv},
		Results:     results,
	}}}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(log); err != nil {
		return fmt.Errorf("write sarif: %w", err)
	}
	return nil
}

func sarifRuleOf(r rules.Rule) sarifRule {
	help := r.Remediation + "\n\nCitations: " + strings.Join(r.Citations, "; ") +
		".\n\nNIST SP 800-53 Rev. 5: " + strings.Join(r.Controls, ", ") + "."
	return sarifRule{
		ID:                   r.ID,
		ShortDescription:     sarifText{Text: r.Title},
		FullDescription:      sarifText{Text: r.Detects},
		Help:                 sarifText{Text: help},
		DefaultConfiguration: sarifConfig{Level: report.SARIFLevel(r.Severity)},
		Properties: sarifRuleFields{Tags: []string{"security", "secret", "hipaa"},
			Citations: slices.Clone(r.Citations), Controls: slices.Clone(r.Controls),
			SecuritySeverity: report.SecuritySeverity(r.Severity)},
	}
}

// uriOf percent-encodes a slash path as a relative URI reference.
func uriOf(p string) string {
	u := url.URL{Path: p}
	s := u.EscapedPath()
	if strings.HasPrefix(s, "/") || strings.Contains(strings.SplitN(s, "/", 2)[0], ":") {
		s = "./" + strings.TrimPrefix(s, "/")
	}
	return s
}
