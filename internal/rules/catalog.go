package rules

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"

	"github.com/wardsec/ward/internal/inventory"
)

//go:embed catalog.yaml
var catalogYAML []byte

// Rule is the metadata of one rule: what it detects, how severe it is, what
// it cites and how to resolve it. The logic lives in a Go function of this
// package, looked up by ID.
type Rule struct {
	// ID is stable across versions; findings, suppressions and reports
	// refer to it.
	ID    string
	Title string
	// Detects says in a few sentences what the rule looks for.
	Detects string
	// Severity is the base level before the PHI raise.
	Severity inventory.Severity
	// Variants are alternative base levels the rule picks for a narrower
	// case, by name ("local", "cleartext").
	Variants map[string]inventory.Severity
	// AppliesTo lists the kinds of account the rule's account-level
	// findings cover; empty for rules that judge only the source.
	AppliesTo []inventory.Kind
	// Citations are HIPAA Security Rule citations such as
	// "HIPAA 164.308(a)(4)(ii)(B) (A)".
	Citations []string
	// Controls are NIST SP 800-53 Rev. 5 controls; a trailing † marks
	// ward's own mapping, not in NIST's CPRT mapping of the citations.
	Controls    []string
	Remediation string
	// EvaluatedBy names the package that evaluates the rule when it is not
	// a Go check of this package ("secrets"); empty for the rules here.
	EvaluatedBy string
}

// evaluators are the packages that may evaluate a catalogue rule outside
// this package.
var evaluators = []string{"secrets"}

// SeverityFor returns the base severity of the named variant, or the rule's
// base severity when variant is empty or unknown.
func (r Rule) SeverityFor(variant string) inventory.Severity {
	if s, ok := r.Variants[variant]; ok {
		return s
	}
	return r.Severity
}

// Applies reports whether the rule's account-level findings cover kind.
func (r Rule) Applies(kind inventory.Kind) bool {
	for _, k := range r.AppliesTo {
		if k == kind {
			return true
		}
	}
	return false
}

// Catalog returns the metadata of every rule, in catalogue order. Each call
// returns a fresh copy that the caller may change.
func Catalog() []Rule {
	rs := slices.Clone(embedded().rules)
	for i := range rs {
		rs[i].Variants = maps.Clone(rs[i].Variants)
		rs[i].AppliesTo = slices.Clone(rs[i].AppliesTo)
		rs[i].Citations = slices.Clone(rs[i].Citations)
		rs[i].Controls = slices.Clone(rs[i].Controls)
	}
	return rs
}

// catalog is a parsed catalogue: the rules and the lists they share.
type catalog struct {
	rules []Rule
	// allDataRoles are roles that reach every table of a server.
	allDataRoles []string
}

// embedded parses the compiled-in catalogue.
func embedded() catalog { return parsedCatalog() }

// parsedCatalog parses the embedded catalogue once: every scan evaluates
// each source with it, and SARIF and the CLI read its metadata.
var parsedCatalog = sync.OnceValue(func() catalog {
	c, err := parseCatalog(catalogYAML)
	if err != nil {
		// The catalogue is compiled in and checked by the package tests, so
		// this is a build defect, not a runtime condition.
		panic(fmt.Sprintf("rules: embedded catalog.yaml: %v", err))
	}
	return c
})

type yamlCatalog struct {
	AllDataRoles []string   `yaml:"all_data_roles"`
	Rules        []yamlRule `yaml:"rules"`
}

type yamlRule struct {
	ID          string            `yaml:"id"`
	Title       string            `yaml:"title"`
	Detects     string            `yaml:"detects"`
	Severity    string            `yaml:"severity"`
	Variants    map[string]string `yaml:"variants"`
	AppliesTo   []string          `yaml:"applies_to"`
	Citations   []string          `yaml:"citations"`
	Controls    []string          `yaml:"controls"`
	Remediation string            `yaml:"remediation"`
	EvaluatedBy string            `yaml:"evaluated_by"`
}

// parseCatalog decodes and validates a catalogue. Unknown keys are errors,
// so a misspelt field cannot silently drop metadata.
func parseCatalog(data []byte) (catalog, error) {
	var c yamlCatalog
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		return catalog{}, fmt.Errorf("decode catalog: %w", err)
	}
	if len(c.Rules) == 0 {
		return catalog{}, errors.New("catalog has no rules")
	}

	seen := make(map[string]bool, len(c.Rules))
	out := make([]Rule, 0, len(c.Rules))
	for i, y := range c.Rules {
		r, err := y.rule()
		if err != nil {
			return catalog{}, fmt.Errorf("rule %d (%q): %w", i+1, y.ID, err)
		}
		if seen[r.ID] {
			return catalog{}, fmt.Errorf("rule %d: duplicate id %q", i+1, r.ID)
		}
		seen[r.ID] = true
		out = append(out, r)
	}
	return catalog{rules: out, allDataRoles: c.AllDataRoles}, nil
}

func (y yamlRule) rule() (Rule, error) {
	r := Rule{
		ID:          strings.TrimSpace(y.ID),
		Title:       strings.TrimSpace(y.Title),
		Detects:     strings.TrimSpace(y.Detects),
		Citations:   y.Citations,
		Controls:    y.Controls,
		Remediation: strings.TrimSpace(y.Remediation),
		EvaluatedBy: y.EvaluatedBy,
	}
	if r.EvaluatedBy != "" && !slices.Contains(evaluators, r.EvaluatedBy) {
		return Rule{}, fmt.Errorf("evaluated_by: unknown package %q: use %s",
			r.EvaluatedBy, strings.Join(evaluators, ", "))
	}
	switch {
	case r.ID == "":
		return Rule{}, errors.New("missing id")
	case r.Title == "":
		return Rule{}, errors.New("missing title")
	case r.Remediation == "":
		return Rule{}, errors.New("missing remediation")
	case len(r.Citations) == 0:
		return Rule{}, errors.New("missing citations")
	case len(r.Controls) == 0:
		return Rule{}, errors.New("missing controls")
	}
	for _, c := range r.Citations {
		if !strings.HasPrefix(c, "HIPAA 164.") {
			return Rule{}, fmt.Errorf("citation %q: want the form \"HIPAA 164.x(...)\"", c)
		}
	}

	sev, err := inventory.ParseSeverity(y.Severity)
	if err != nil {
		return Rule{}, fmt.Errorf("severity: %w", err)
	}
	r.Severity = sev
	if len(y.Variants) > 0 {
		r.Variants = make(map[string]inventory.Severity, len(y.Variants))
		for name, v := range y.Variants {
			s, err := inventory.ParseSeverity(v)
			if err != nil {
				return Rule{}, fmt.Errorf("variant %q: %w", name, err)
			}
			r.Variants[name] = s
		}
	}

	for _, k := range y.AppliesTo {
		switch kind := inventory.Kind(k); kind {
		case inventory.KindService, inventory.KindHuman, inventory.KindUnknown:
			r.AppliesTo = append(r.AppliesTo, kind)
		default:
			return Rule{}, fmt.Errorf("applies_to: unknown kind %q: "+
				"use service, human or unknown", k)
		}
	}
	return r, nil
}
