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
	// Alerts says where `ward watch` sends its alerts.
	Alerts Alerts
}

// Policy holds the thresholds of the rules.
type Policy struct {
	// UnusedAfter is how long an account may go unused before it is flagged.
	UnusedAfter time.Duration
	// MinObservation is the shortest window of logs on which a
	// least-privilege fix is offered as final; over a shorter window it is
	// marked provisional.
	MinObservation time.Duration
	// AuthFailures failed logins of one service account within
	// AuthFailureWindow are reported.
	AuthFailures      int
	AuthFailureWindow time.Duration
	// EventRetention is how long the events read from logs are kept in the
	// store; older ones are deleted at each ingest. Zero means
	// DefaultEventRetention.
	EventRetention time.Duration
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
	// Logs are the server's log files, directories and glob patterns,
	// made absolute against the configuration file's directory.
	Logs []string
	// LogFormat forces the logs' format (stderr, csvlog, jsonlog); empty
	// detects it per file.
	LogFormat string
	// LogLinePrefix is the server's log_line_prefix, for stderr logs; empty
	// infers it from the logs.
	LogLinePrefix string
	// Poolers are the connection poolers in front of the server: addresses
	// (IP or CIDR), host names or program names. A session from one of
	// them is marked as coming through a pooler.
	Poolers []string
	// Path is the directory or repository a code source searches for
	// hard-coded credentials; Git adds its history (every commit of every
	// ref), from Since when set.
	Path  string
	Git   bool
	Since string
	// Line is where the source is declared, for messages.
	Line int
}

// TypeCode is the type of a source that is a code tree searched for
// hard-coded credentials rather than a system with accounts.
const TypeCode = "code"

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
