// Package pgsource is ward's PostgreSQL connector. It reads, never writes,
// the accounts, role memberships, effective privileges, tables and columns,
// security settings, pg_hba rules and open sessions of one PostgreSQL
// server, and returns them as an inventory.Snapshot.
//
// Safety on production servers:
//
//   - every session runs one REPEATABLE READ, READ ONLY transaction, with
//     default_transaction_read_only, statement_timeout and lock_timeout
//     set at connection time and application_name "ward-scanner";
//   - databases are scanned one after another, one connection at a time,
//     each closed before the next is opened;
//   - pg_stat_statements is never read (it keeps utility statements,
//     passwords included, in clear text), and pg_stat_activity is read only
//     for user, database, application, client address and start time,
//     never the query text;
//   - the password is set on the driver's configuration, never put into a
//     connection string, and never appears in an error or a log line.
//
// Effective privileges are computed in Go from the raw ACLs (relacl,
// attacl, nspacl, datacl, proacl, with acldefault for NULL), ownership,
// PUBLIC and the membership graph, which follows the rules of the server's
// version (per-grant inherit and set options from PostgreSQL 16 on).
// Superusers and members of pg_read_all_data / pg_write_all_data are not
// expanded onto every object: their power is reported as attributes.
//
// What PUBLIC holds is in Snapshot.PublicGrants, once. PUBLIC's built-in
// defaults (CONNECT and TEMPORARY on databases, EXECUTE on functions,
// USAGE on the schema named public) are there only; any other privilege
// of PUBLIC was granted by someone and is also copied onto every account
// with Via "PUBLIC", so that PHI reach shows on the account. An account's
// effective privileges are its grants together with PublicGrants.
//
// The scanner needs no superuser; docs/scanner-role.md gives the minimal
// role. Whatever it cannot read is reported as a Gap naming the grant that
// would enable it.
package pgsource

import (
	"bufio"
	"bytes"
	"context"
	_ "embed"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/wardsec/ward/internal/config"
	"github.com/wardsec/ward/internal/secret"
)

// SourceType is the config.Source type this connector handles.
const SourceType = "postgres"

// Default limits of a scanner session.
const (
	DefaultStatementTimeout = 30 * time.Second
	DefaultLockTimeout      = 5 * time.Second
	DefaultConnectTimeout   = 10 * time.Second
)

//go:embed dangerous_roles.txt
var dangerousRolesFile []byte

// Connector scans one PostgreSQL source. Its exported fields may be
// changed after New and before Scan.
type Connector struct {
	// StatementTimeout bounds each catalog query.
	StatementTimeout time.Duration
	// LockTimeout bounds any wait for a lock; catalog reads take only
	// AccessShare locks, so a wait means DDL is running.
	LockTimeout time.Duration
	// ConnectTimeout bounds each connection attempt.
	ConnectTimeout time.Duration

	name      string
	base      *pgx.ConnConfig
	password  secret.Value
	hbaFile   string
	log       *slog.Logger
	dangerous []string

	// afterBegin, when set by tests, runs right after each read-only
	// transaction starts.
	afterBegin func(ctx context.Context, db string, tx pgx.Tx) error
	// beforeDatabase, when set by tests, runs before each database after
	// the first is connected to, so that a test can change the server
	// between databases (drop one, revoke a privilege).
	beforeDatabase func(ctx context.Context, db string) error
}

// New checks src and prepares a connector for it. It does not connect.
// The DSN must not hold the password; src.Password does.
func New(src config.Source, log *slog.Logger) (*Connector, error) {
	if src.Type != SourceType {
		return nil, fmt.Errorf("source %s: type %q is not %q", src.Name, src.Type, SourceType)
	}
	if strings.TrimSpace(src.DSN) == "" {
		return nil, fmt.Errorf("source %s: dsn is empty: give one such as "+
			"postgres://ward_scanner@db.example:5432/postgres?sslmode=verify-full", src.Name)
	}
	cfg, err := pgx.ParseConfig(src.DSN)
	if err != nil {
		return nil, dsnError(src.Name, err)
	}
	if cfg.Database == "" {
		// The server's own default: the database named like the user.
		cfg.Database = cfg.User
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	dangerous, err := parseRoleList(dangerousRolesFile)
	if err != nil {
		return nil, err
	}
	return &Connector{
		StatementTimeout: DefaultStatementTimeout,
		LockTimeout:      DefaultLockTimeout,
		ConnectTimeout:   DefaultConnectTimeout,
		name:             src.Name,
		base:             cfg,
		password:         src.Password,
		hbaFile:          src.HBAFile,
		log:              log.With("source", src.Name),
		dangerous:        dangerous,
	}, nil
}

// dsnError reports a DSN that does not parse. Neither the DSN nor the
// driver's message is echoed, since a malformed DSN may hold a password in
// a place no redaction recognises (url.Parse errors quote the whole URL).
func dsnError(source string, _ error) error {
	return fmt.Errorf("source %s: dsn cannot be parsed; use the form "+
		"postgres://user@host:5432/database?sslmode=verify-full (the password goes in "+
		"ward.yaml's password reference, not in the dsn)", source)
}

// parseRoleList reads a list of role names, one a line, # comments.
func parseRoleList(b []byte) ([]string, error) {
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line, _, _ := strings.Cut(sc.Text(), "#")
		if line = strings.TrimSpace(line); line != "" {
			out = append(out, line)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read dangerous role list: %w", err)
	}
	if len(out) == 0 {
		return nil, errors.New("dangerous role list is empty")
	}
	return out, nil
}
