package secrets

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/wardsec/ward/internal/config"
)

// Verification states: a login with the found password succeeded, was
// refused, or could not be tried to the end.
const (
	VerifyLive    = "live"
	VerifyDead    = "dead"
	VerifyUnknown = "unknown"
)

// VerifyApplicationName is the application_name of every login attempt,
// so that a server's log tells them from the applications' own.
const VerifyApplicationName = "ward-verify"

// DefaultVerifyTimeout bounds one login attempt.
const DefaultVerifyTimeout = 5 * time.Second

// Verification records a login attempt made with a found password.
type Verification struct {
	// Status is VerifyLive, VerifyDead or VerifyUnknown.
	Status string `json:"status"`
	// Source is the configured PostgreSQL source the attempt went to.
	Source string `json:"source"`
	// At is when the attempt was made.
	At time.Time `json:"at"`
	// Reason says why a login was dead or unknown: the server's SQLSTATE
	// and message, or a short network cause. It never holds the secret or
	// a connection string.
	Reason string `json:"reason,omitempty"`
}

// VerifyOptions change how Verify tries logins.
type VerifyOptions struct {
	// Timeout bounds one attempt; DefaultVerifyTimeout when 0.
	Timeout time.Duration
	// Logger receives one line per attempt (source, user, fingerprint,
	// outcome), never the secret; nothing when nil.
	Logger *slog.Logger
}

// connectFunc opens and closes one connection; tests replace it.
type connectFunc func(ctx context.Context, cfg *pgconn.Config) error

// Verify tries to log in with each found database password whose
// identity names the host (and port, when both are written) of a
// configured PostgreSQL source, matched as Link matches. The attempt goes
// to that source's own host and port from its DSN, never to the host
// written next to the secret, with the secret's user, the found password,
// the source's database and TLS settings, application_name ward-verify
// and a connect timeout. Nothing is run: the connection is closed as soon
// as it is open. Attempts are sequential and made once per server, user
// and secret, so that an account is not locked out by repeats; every
// secret of the pair gets the same Verification. Secrets that match no
// source are returned unchanged, without an attempt. secs is not
// modified; the error is the context's only.
func Verify(ctx context.Context, secs []Secret, srcs []config.Source,
	opt VerifyOptions) ([]Secret, error) {
	return verify(ctx, secs, srcs, opt, connectOnce)
}

func verify(ctx context.Context, secs []Secret, srcs []config.Source, opt VerifyOptions,
	connect connectFunc) ([]Secret, error) {
	if opt.Timeout <= 0 {
		opt.Timeout = DefaultVerifyTimeout
	}
	targets := postgresTargets(srcs)
	out := make([]Secret, len(secs))
	copy(out, secs)
	done := map[string]*Verification{}
	for i := range out {
		sc := &out[i]
		if !verifiable(*sc) {
			continue
		}
		src, ok := verifyTarget(sc.Identity, targets)
		if !ok {
			continue
		}
		key := strings.Join(src.target.Hosts, ",") + "\x00" + src.target.Port + "\x00" +
			sc.Identity.User + "\x00" + sc.KeyedHash
		if v, ok := done[key]; ok {
			sc.Verification = v
			continue
		}
		if err := ctx.Err(); err != nil {
			return out, err
		}
		v := attempt(ctx, *sc, src, opt, connect)
		if opt.Logger != nil {
			opt.Logger.Info("verified a found password", "source", v.Source,
				"user", sc.Identity.User, "fingerprint", sc.Fingerprint, "status", v.Status,
				"reason", v.Reason)
		}
		done[key] = v
		sc.Verification = v
	}
	return out, nil
}

// otherSystems are words in a secret's kind that name a system other
// than PostgreSQL: its password is never tried on a PostgreSQL server.
var otherSystems = []string{"MySQL", "MariaDB", "MongoDB", "Redis", "SQL Server", "Oracle",
	"Docker", "registry", "Kubernetes", "JWT", "AWS", "Azure", "GCP"}

// verifiable reports whether a secret is a database password with a user.
func verifiable(sc Secret) bool {
	if sc.RuleID != RuleDBPassword && sc.RuleID != RuleManifest {
		return false
	}
	if sc.Identity.User == "" || sc.value.IsZero() {
		return false
	}
	for _, w := range otherSystems {
		if strings.Contains(sc.Kind, w) {
			return false
		}
	}
	return true
}

// verifySource is a configured PostgreSQL source with where it is reached.
type verifySource struct {
	target Target
	dsn    string
}

func postgresTargets(srcs []config.Source) []verifySource {
	var out []verifySource
	for _, s := range srcs {
		if s.Type != "postgres" || s.DSN == "" {
			continue
		}
		t := Target{Source: s.Name, Type: s.Type}
		t.Hosts, t.Port = dsnHost(s.DSN)
		if len(t.Hosts) == 0 {
			continue
		}
		out = append(out, verifySource{target: t, dsn: s.DSN})
	}
	return out
}

// verifyTarget picks the source a credential's identity names: the first,
// in configuration order, on the same server (as Link matches), preferring
// one whose database is the credential's. A credential that names no host
// names no source.
func verifyTarget(id Identity, srcs []verifySource) (verifySource, bool) {
	if len(id.Hosts) == 0 {
		return verifySource{}, false
	}
	var first *verifySource
	for i := range srcs {
		if !sameServer(id, srcs[i].target) {
			continue
		}
		if id.Database != "" && dsnDatabase(srcs[i].dsn) == id.Database {
			return srcs[i], true
		}
		if first == nil {
			first = &srcs[i]
		}
	}
	if first == nil {
		return verifySource{}, false
	}
	return *first, true
}

func dsnDatabase(dsn string) string {
	cfg, err := pgconn.ParseConfig(dsn)
	if err != nil {
		return ""
	}
	return cfg.Database
}

// attempt makes one login and classifies its outcome.
func attempt(ctx context.Context, sc Secret, src verifySource, opt VerifyOptions,
	connect connectFunc) *Verification {
	v := &Verification{Source: src.target.Source, At: time.Now().UTC()}
	cfg, err := loginConfig(src, sc.Identity.User, sc.value.Reveal(), opt.Timeout)
	if err != nil {
		v.Status, v.Reason = VerifyUnknown, err.Error()
		return v
	}
	actx, cancel := context.WithTimeout(ctx, opt.Timeout)
	defer cancel()
	v.Status, v.Reason = loginOutcome(connect(actx, cfg))
	return v
}

// loginConfig builds the connection of an attempt from the source's DSN:
// its hosts, port, database and TLS settings, with the found user and
// password. It refuses a DSN whose parsed hosts are not the ones Link
// matched (a service file or environment variable naming another).
func loginConfig(src verifySource, user, password string,
	timeout time.Duration) (*pgconn.Config, error) {
	cfg, err := pgconn.ParseConfig(src.dsn)
	if err != nil {
		return nil, errors.New("the source's DSN does not parse")
	}
	hosts := []string{cfg.Host}
	for _, fb := range cfg.Fallbacks {
		hosts = append(hosts, fb.Host)
	}
	for _, h := range hosts {
		if !containsFold(src.target.Hosts, h) {
			return nil, errors.New("the source's DSN resolves to a host it does not name; not tried")
		}
	}
	cfg.User = user
	cfg.Password = password
	cfg.ConnectTimeout = timeout
	cfg.RuntimeParams = map[string]string{"application_name": VerifyApplicationName}
	cfg.ValidateConnect = nil
	cfg.AfterConnect = nil
	cfg.OnNotice = nil
	cfg.OnNotification = nil
	return cfg, nil
}

func containsFold(list []string, s string) bool {
	s = strings.Trim(s, "[]")
	for _, x := range list {
		if strings.EqualFold(strings.Trim(x, "[]"), s) {
			return true
		}
	}
	return false
}

// connectOnce opens a connection and closes it at once.
func connectOnce(ctx context.Context, cfg *pgconn.Config) error {
	conn, err := pgconn.ConnectConfig(ctx, cfg)
	if err != nil {
		return err
	}
	return conn.Close(ctx)
}

// loginOutcome turns a connection's outcome into a status and a reason that
// holds no connection string: pgx's own error text names the host, user
// and database, so it is never passed on.
func loginOutcome(err error) (string, string) {
	if err == nil {
		return VerifyLive, ""
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		reason := fmt.Sprintf("SQLSTATE %s: %s", pgErr.Code, pgErr.Message)
		// Only 28P01 says the password was checked and refused. 28000 is
		// a pg_hba rejection or a role without LOGIN: the password was
		// never tried, so it may still be good.
		if pgErr.Code == "28P01" {
			return VerifyDead, reason
		}
		return VerifyUnknown, reason
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded):
		return VerifyUnknown, "timed out"
	case errors.Is(err, context.Canceled):
		return VerifyUnknown, "cancelled"
	case errors.Is(err, syscall.ECONNREFUSED):
		return VerifyUnknown, "connection refused"
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return VerifyUnknown, "host name does not resolve"
	}
	var netErr net.Error
	if errors.As(err, &netErr) && netErr.Timeout() {
		return VerifyUnknown, "timed out"
	}
	return VerifyUnknown, "could not connect (network or TLS error)"
}
