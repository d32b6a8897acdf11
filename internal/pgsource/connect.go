package pgsource

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// ApplicationName is the application_name of every scanner session, so that
// DBAs and ward's own log parser can recognise them.
const ApplicationName = "ward-scanner"

// ConnectError is a failed connection to one database of a source. Its
// text names the source, address, database and user, says what went wrong
// and what to do, and never contains the password or the DSN.
type ConnectError struct {
	Source   string
	Addr     string
	Database string
	User     string
	// Reason is what went wrong, in words; Hint is what to do about it.
	Reason string
	Hint   string
	// SQLState is the server's error code, empty for network failures.
	SQLState string
	err      error
}

// Error returns the message without any secret.
func (e *ConnectError) Error() string {
	msg := fmt.Sprintf("source %s: connect to %s database %s as %s: %s",
		e.Source, e.Addr, e.Database, e.User, e.Reason)
	if e.Hint != "" {
		msg += " — " + e.Hint
	}
	return msg
}

// Unwrap returns the driver's error, for errors.Is and errors.As. Do not
// print it: its text is the driver's, not ward's.
func (e *ConnectError) Unwrap() error { return e.err }

// connect opens one scanner session on database db.
func (c *Connector) connect(ctx context.Context, db string) (*pgx.Conn, error) {
	cfg := c.base.Copy()
	cfg.Database = db
	if cfg.RuntimeParams == nil {
		cfg.RuntimeParams = map[string]string{}
	}
	cfg.RuntimeParams["application_name"] = ApplicationName
	cfg.RuntimeParams["statement_timeout"] = millis(c.StatementTimeout)
	cfg.RuntimeParams["lock_timeout"] = millis(c.LockTimeout)
	cfg.RuntimeParams["default_transaction_read_only"] = "on"
	if c.ConnectTimeout > 0 {
		cfg.ConnectTimeout = c.ConnectTimeout
	}
	if !c.password.IsZero() {
		cfg.Password = c.password.Reveal()
	}

	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, c.connectError(db, err)
	}
	return conn, nil
}

func millis(d time.Duration) string { return strconv.FormatInt(d.Milliseconds(), 10) }

// connectError explains a failed connection in ward's words.
func (c *Connector) connectError(db string, err error) *ConnectError {
	ce := &ConnectError{
		Source:   c.name,
		Addr:     net.JoinHostPort(c.base.Host, strconv.Itoa(int(c.base.Port))),
		Database: db,
		User:     c.base.User,
		err:      err,
	}
	ce.Reason, ce.Hint, ce.SQLState = c.explain(db, err)
	ce.Reason = c.scrub(ce.Reason)
	return ce
}

// explain maps a driver error to a reason and a hint.
func (c *Connector) explain(db string, err error) (reason, hint, state string) {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return c.explainServer(db, pgErr), c.hintServer(db, pgErr), pgErr.Code
	}

	var dnsErr *net.DNSError
	var opErr *net.OpError
	switch {
	case errors.Is(err, context.Canceled):
		return "canceled", "", ""
	case errors.Is(err, context.DeadlineExceeded), isTimeout(err):
		return "timed out", "check that the host and port are reachable from here " +
			"and that no firewall drops the connection", ""
	case errors.As(err, &dnsErr):
		return "cannot resolve host " + dnsErr.Name, "check the host in the dsn", ""
	case errors.As(err, &opErr) && strings.Contains(opErr.Err.Error(), "refused"):
		return "connection refused", "check the host and port in the dsn " +
			"and that the server is running and listening there", ""
	case strings.Contains(err.Error(), "tls"):
		return "TLS handshake failed", "check sslmode and the server's certificate " +
			"settings in the dsn", ""
	}
	// Fall back to the driver's text; scrub removes the password if some
	// path ever put it there.
	return "connection failed: " + err.Error(), "", ""
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// explainServer returns the server's message, which never holds the
// password.
func (c *Connector) explainServer(db string, e *pgconn.PgError) string {
	switch e.Code {
	case "28P01":
		return "password authentication failed"
	case "3D000":
		return "database " + db + " does not exist (it may have been dropped during the scan)"
	case "53300":
		return "too many connections"
	}
	return e.Message
}

func (c *Connector) hintServer(db string, e *pgconn.PgError) string {
	user := pgx.Identifier{c.base.User}.Sanitize()
	switch e.Code {
	case "28P01":
		return "check the password reference in ward.yaml"
	case "28000":
		if strings.Contains(e.Message, "pg_hba.conf") {
			return "add a pg_hba.conf line that lets the scanner in from this host " +
				"(see docs/scanner-role.md)"
		}
		return "check the user in the dsn"
	case "42501":
		return fmt.Sprintf("GRANT CONNECT ON DATABASE %s TO %s;",
			pgx.Identifier{db}.Sanitize(), user)
	case "3D000":
		return "check the database in the dsn, or re-run the scan"
	case "53300":
		return "retry later, or raise max_connections or the scanner's CONNECTION LIMIT"
	case "57P03":
		return "the server is starting up or shutting down; retry later"
	case "55000":
		return "the database stopped accepting connections after the scan listed it " +
			"(ALTER DATABASE ... ALLOW_CONNECTIONS false); re-run the scan"
	}
	return ""
}

// scrub removes the password from a text, as a last line of defence.
func (c *Connector) scrub(s string) string {
	if p := c.password.Reveal(); len(p) >= 4 {
		s = strings.ReplaceAll(s, p, "[REDACTED]")
	}
	return s
}

// inReadOnlyTx runs fn in a REPEATABLE READ, READ ONLY transaction on
// conn, and rolls it back at the end: the scanner never commits.
func (c *Connector) inReadOnlyTx(ctx context.Context, conn *pgx.Conn, db string,
	fn func(pgx.Tx) error) error {
	tx, err := conn.BeginTx(ctx, pgx.TxOptions{
		IsoLevel:   pgx.RepeatableRead,
		AccessMode: pgx.ReadOnly,
	})
	if err != nil {
		return fmt.Errorf("begin read-only transaction: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // nothing to undo

	if c.afterBegin != nil {
		if err := c.afterBegin(ctx, db, tx); err != nil {
			return err
		}
	}
	return fn(tx)
}

// optional runs fn inside a savepoint, so that a failing optional read
// (missing privilege, timeout) leaves the transaction usable.
func optional(ctx context.Context, tx pgx.Tx, fn func(pgx.Tx) error) error {
	sp, err := tx.Begin(ctx)
	if err != nil {
		return err
	}
	if err := fn(sp); err != nil {
		_ = sp.Rollback(ctx)
		return err
	}
	return sp.Commit(ctx)
}
