// Package config reads ward.yaml: the store, the policy thresholds, the PHI
// patterns, the sources and the owners of accounts. Secret values are only
// accepted as references (${env:NAME} or ${file:PATH}); a literal password
// is refused.
package config

import (
	"time"

	"github.com/wardsec/ward/internal/secret"
)

// Config is a loaded and validated ward.yaml.
type Config struct {
	// Path is the file the configuration was read from.
	Path string
	// Hash is the SHA-256 of the file's bytes, hex encoded, for reports.
	Hash string

	Store   string
	Policy  Policy
	PHI     PHIPatterns
	Sources []Source
	Owners  []Owner
	// Suppressions are accepted risks recorded in the file, beside those
	// recorded in the store with `ward suppress`.
	Suppressions []Suppression
}

// Policy holds the thresholds of the rules.
type Policy struct {
	// UnusedAfter is how long an account may go unused before it is flagged.
	UnusedAfter time.Duration
}

// PHIPatterns are patterns that mark resources as PHI, added to the
// built-in tokens. Each pattern has one part per name level
// (schema.table, schema.table.column, or with a leading database part),
// matched case-insensitively; * matches within one part.
type PHIPatterns struct {
	Tables  []string
	Columns []string
}

// Source is one system that holds identities.
type Source struct {
	Name string
	Type string
	// DSN is the connection string, without a password.
	DSN      string
	Password secret.Value
	// HBAFile is a copy of pg_hba.conf to read when the pg_hba_file_rules
	// view is not granted to the scanner.
	HBAFile string
	// Line is where the source is declared, for messages.
	Line int
}

// Owner records who answers for an account and what it is meant to have.
type Owner struct {
	Account string
	Owner   string
	Purpose string
	// Needs lists attributes or roles the account is meant to have, such as
	// "replication" or "pg_read_all_data".
	Needs []string
	// Rotation records how the account's credential is rotated ("vault
	// dynamic secret", "quarterly, ticket OPS-1234"); empty means no record.
	Rotation string
	Line     int
}

// Suppression records that the risk a finding names is accepted, by whom,
// why and until when. It is documentation, not a filter: the finding is
// still reported, marked suppressed, and stops counting for --fail-on only
// until the end of Until.
type Suppression struct {
	// Fingerprint is the finding's fingerprint, as `ward findings` shows it.
	Fingerprint string
	Reason      string
	// Until is the last day on which the suppression applies, at midnight
	// UTC. A date in the past is accepted: the suppression has expired and
	// reports say so.
	Until time.Time
	// By is who accepted the risk.
	By   string
	Line int
}
