package secrets

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Allowlist drops findings by where they are or by what the secret looks
// like. It is for test fixtures and known non-secrets; a real credential
// that must stay for now belongs in a baseline, which records it.
type Allowlist struct {
	// Paths are slash globs matched against the path relative to the
	// scanned root and against its base name; a pattern ending in "/"
	// names a directory anywhere in the tree ("testdata/").
	Paths []string
	// Patterns are regular expressions (RE2) matched against the secret.
	Patterns []*regexp.Regexp
}

// AllowlistFile is the allowlist ward reads from the root of a scanned
// tree when it exists.
const AllowlistFile = ".ward-secrets.yaml"

// LoadAllowlist reads an allowlist file:
//
//	paths: ["testdata/", "*.example"]
//	patterns: ["^FAKE-"]
func LoadAllowlist(file string) (Allowlist, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return Allowlist{}, fmt.Errorf("read allowlist: %w", err)
	}
	var raw struct {
		Paths    []string `yaml:"paths"`
		Patterns []string `yaml:"patterns"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&raw); err != nil && !errors.Is(err, io.EOF) {
		return Allowlist{}, fmt.Errorf("allowlist %s: %w", file, err)
	}
	a := Allowlist{Paths: raw.Paths}
	for _, p := range raw.Paths {
		if _, err := path.Match(strings.TrimSuffix(p, "/"), ""); err != nil {
			return Allowlist{}, fmt.Errorf("allowlist %s: path %q: %w", file, p, err)
		}
	}
	for _, p := range raw.Patterns {
		re, err := regexp.Compile(p)
		if err != nil {
			// The pattern is configuration, not a secret: safe to show.
			return Allowlist{}, fmt.Errorf("allowlist %s: pattern %q: %w", file, p, err)
		}
		a.Patterns = append(a.Patterns, re)
	}
	return a, nil
}

// pathAllowed reports whether rel (a slash path; directories end in "/")
// is allowlisted.
func (a Allowlist) pathAllowed(rel string) bool {
	if len(a.Paths) == 0 {
		return false
	}
	dir := strings.HasSuffix(rel, "/")
	rel = strings.TrimSuffix(rel, "/")
	base := path.Base(rel)
	parts := strings.Split(rel, "/")
	for _, p := range a.Paths {
		if strings.HasSuffix(p, "/") {
			pat := strings.TrimSuffix(p, "/")
			if strings.Contains(pat, "/") {
				if ok, _ := path.Match(pat, rel); ok && dir {
					return true
				}
				continue
			}
			for i, part := range parts {
				if ok, _ := path.Match(pat, part); ok && (i < len(parts)-1 || dir) {
					return true
				}
			}
			continue
		}
		if ok, _ := path.Match(p, rel); ok {
			return true
		}
		if ok, _ := path.Match(p, base); ok && !dir {
			return true
		}
	}
	return false
}

// secretAllowed reports whether a pattern matches the secret.
func (a Allowlist) secretAllowed(secret string) bool {
	for _, re := range a.Patterns {
		if re.MatchString(secret) {
			return true
		}
	}
	return false
}
