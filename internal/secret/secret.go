// Package secret holds a type for passwords and other secret values that
// cannot be printed, logged or marshalled by accident.
package secret

import (
	"fmt"
	"log/slog"
)

const redacted = "[REDACTED]"

// Value is a secret string. Every way of printing it (fmt verbs, slog,
// JSON, YAML) yields a redacted marker; Reveal must be called to read it.
type Value struct {
	v string
}

// New wraps s as a secret.
func New(s string) Value { return Value{v: s} }

// Reveal returns the secret itself. Call it only where the value is handed
// to the system that needs it, such as a database driver.
func (s Value) Reveal() string { return s.v }

// IsZero reports whether no secret is set.
func (s Value) IsZero() bool { return s.v == "" }

// String returns a redacted marker, never the value.
func (s Value) String() string {
	if s.v == "" {
		return ""
	}
	return redacted
}

// Format prints the redacted marker for every verb, including %#v.
func (s Value) Format(f fmt.State, _ rune) { fmt.Fprint(f, s.String()) }

// LogValue keeps the value out of structured logs.
func (s Value) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalText keeps the value out of JSON, YAML and other encoders.
func (s Value) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// GoString keeps the value out of %#v output.
func (s Value) GoString() string { return s.String() }
