package secrets

import (
	"bytes"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sort"
)

// BaselineIterations is the PBKDF2-HMAC-SHA256 work factor of new
// baselines: about 40 ms per hash on one core, so that a guess at a weak
// password costs an attacker who holds the file as much.
const BaselineIterations = 100_000

// Baseline lists accepted secrets so that a scan reports only new ones.
// An entry never holds the secret or a fast hash of it: it holds a slow,
// salted hash (PBKDF2-HMAC-SHA256 with the file's random salt), with the
// rule, path and identity. The line is not part of an entry, so an entry
// survives code moving within its file.
type Baseline struct {
	Version    int             `json:"version"`
	Algorithm  string          `json:"algorithm"`
	Iterations int             `json:"iterations"`
	Salt       string          `json:"salt"`
	Entries    []BaselineEntry `json:"entries"`

	salt []byte
}

// BaselineEntry is one accepted secret.
type BaselineEntry struct {
	RuleID   string `json:"rule_id"`
	Path     string `json:"path"`
	Identity string `json:"identity"`
	Hash     string `json:"hash"`
	// Line and Redacted are where it was seen and how it looked, for
	// people reviewing the file; matching ignores both.
	Line     int    `json:"line,omitempty"`
	Redacted string `json:"redacted,omitempty"`
}

const baselineAlgorithm = "pbkdf2-hmac-sha256"

// NewBaseline returns an empty baseline with a fresh random salt.
func NewBaseline() (*Baseline, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return nil, fmt.Errorf("draw baseline salt: %w", err)
	}
	return &Baseline{Version: 1, Algorithm: baselineAlgorithm, Iterations: BaselineIterations,
		Salt: base64.StdEncoding.EncodeToString(salt), salt: salt}, nil
}

// LoadBaseline reads a baseline file.
func LoadBaseline(file string) (*Baseline, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("read baseline: %w", err)
	}
	var b Baseline
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&b); err != nil {
		return nil, fmt.Errorf("baseline %s: not a ward baseline: %w", file, err)
	}
	if b.Version != 1 || b.Algorithm != baselineAlgorithm || b.Iterations < 1 {
		return nil, fmt.Errorf("baseline %s: unsupported version %d, algorithm %q or iterations %d",
			file, b.Version, b.Algorithm, b.Iterations)
	}
	b.salt, err = base64.StdEncoding.DecodeString(b.Salt)
	if err != nil || len(b.salt) < 8 {
		return nil, fmt.Errorf("baseline %s: bad salt", file)
	}
	return &b, nil
}

// hash is the slow salted hash of a secret.
func (b *Baseline) hash(secret string) (string, error) {
	k, err := pbkdf2.Key(sha256.New, secret, b.salt, b.Iterations, 32)
	if err != nil {
		return "", fmt.Errorf("baseline hash: %w", err)
	}
	return base64.StdEncoding.EncodeToString(k), nil
}

// Add records secs as accepted, once each.
func (b *Baseline) Add(secs []Secret) error {
	if b.salt == nil {
		return errors.New("baseline has no salt: use NewBaseline or LoadBaseline")
	}
	for _, s := range secs {
		h, err := b.hash(s.value.Reveal())
		if err != nil {
			return err
		}
		e := BaselineEntry{RuleID: s.RuleID, Path: s.Path, Identity: s.Identity.String(),
			Hash: h, Line: s.Line, Redacted: s.Redacted}
		if !b.has(e) {
			b.Entries = append(b.Entries, e)
		}
	}
	sort.Slice(b.Entries, func(i, j int) bool {
		x, y := b.Entries[i], b.Entries[j]
		if x.Path != y.Path {
			return x.Path < y.Path
		}
		return x.Line < y.Line
	})
	return nil
}

func (b *Baseline) has(e BaselineEntry) bool {
	for _, x := range b.Entries {
		if x.RuleID == e.RuleID && x.Path == e.Path && x.Hash == e.Hash {
			return true
		}
	}
	return false
}

// Filter returns the secrets that the baseline does not accept, and how
// many it accepted. Only secrets whose rule and path match an entry are
// hashed, so a large scan costs little beyond its baselined findings.
func (b *Baseline) Filter(secs []Secret) ([]Secret, int, error) {
	type slot struct{ rule, path string }
	want := map[slot]map[string]bool{}
	for _, e := range b.Entries {
		k := slot{e.RuleID, e.Path}
		if want[k] == nil {
			want[k] = map[string]bool{}
		}
		want[k][e.Hash] = true
	}
	var out []Secret
	accepted := 0
	cache := map[string]string{}
	for _, s := range secs {
		hashes := want[slot{s.RuleID, s.Path}]
		if hashes == nil {
			out = append(out, s)
			continue
		}
		h, ok := cache[s.KeyedHash]
		if !ok {
			var err error
			if h, err = b.hash(s.value.Reveal()); err != nil {
				return nil, 0, err
			}
			cache[s.KeyedHash] = h
		}
		if containsHash(hashes, h) {
			accepted++
			continue
		}
		out = append(out, s)
	}
	return out, accepted, nil
}

func containsHash(set map[string]bool, h string) bool {
	for k := range set {
		if subtle.ConstantTimeCompare([]byte(k), []byte(h)) == 1 {
			return true
		}
	}
	return false
}

// Write saves the baseline to file, readable by its owner only.
func (b *Baseline) Write(file string) error {
	data, err := json.MarshalIndent(b, "", "  ")
	if err != nil {
		return fmt.Errorf("encode baseline: %w", err)
	}
	if err := os.WriteFile(file, append(data, '\n'), 0o600); err != nil {
		return fmt.Errorf("write baseline: %w", err)
	}
	return nil
}
