package estategen

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// Config says what estate to build and where.
type Config struct {
	// Scale sizes the estate; 1 is the benchmark estate, 0.01 a quick one.
	Scale float64
	// Seed picks the random choices; the same seed gives the same estate.
	Seed uint64
	// DSN returns a superuser connection string for database db of the
	// target server, which must listen on the loopback address.
	DSN func(db string) string
	// DataDir, when set, is the server's data directory; its file system
	// must have room for the estate (see NeedBytes).
	DataDir string
	// Workers bounds how many databases are filled at once; 0 means one
	// per database.
	Workers int
	// Progress, when set, is told what is being done.
	Progress func(msg string)
}

// Result says what was built and how long it took.
type Result struct {
	Shape   Shape
	Stats   Stats
	Elapsed time.Duration
}

// NeedBytes is the free disk space the estate at scale needs, with a
// margin: about 0.8 GB at scale 1 was measured (catalogs, WAL and one
// empty file per relation), and twice that is asked for.
func NeedBytes(scale float64) uint64 {
	return 128<<20 + uint64(scale*1.6*(1<<30))
}

// CheckDisk returns an error when the file system of dir has less than
// need bytes free for an unprivileged user.
func CheckDisk(dir string, need uint64) error {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return fmt.Errorf("check free space in %s: %w", dir, err)
	}
	free := st.Bavail * uint64(st.Bsize)
	if free < need {
		return fmt.Errorf("%s has %d MB free, the estate needs %d MB: free some space "+
			"or lower the scale", dir, free>>20, need>>20)
	}
	return nil
}

// Generate builds the estate described by cfg. It refuses a server that
// is not on the loopback address or that already holds one of Databases.
func Generate(ctx context.Context, cfg Config) (*Result, error) {
	start := time.Now()
	if cfg.Scale <= 0 {
		return nil, errors.New("estate scale must be positive")
	}
	if cfg.DSN == nil {
		return nil, errors.New("estate: no DSN function")
	}
	if cfg.DataDir != "" {
		if err := CheckDisk(cfg.DataDir, NeedBytes(cfg.Scale)); err != nil {
			return nil, err
		}
	}
	progress := cfg.Progress
	if progress == nil {
		progress = func(string) {}
	}

	p := newPlan(ShapeFor(cfg.Scale), cfg.Seed)
	conn, err := connect(ctx, cfg.DSN("postgres"))
	if err != nil {
		return nil, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if err := checkFresh(ctx, conn); err != nil {
		return nil, err
	}

	progress(fmt.Sprintf("creating %d roles", p.shape.Roles()))
	if err := exec(ctx, conn, p.cluster); err != nil {
		return nil, fmt.Errorf("create roles: %w", err)
	}
	for _, db := range Databases {
		if err := exec(ctx, conn, "CREATE DATABASE "+ident(db)); err != nil {
			return nil, fmt.Errorf("create database %s: %w", db, err)
		}
	}

	progress(fmt.Sprintf("creating %d tables in %d schemas", p.shape.Tables, p.shape.Schemas))
	if err := fill(ctx, cfg, p); err != nil {
		return nil, err
	}
	return &Result{Shape: p.shape, Stats: p.stats, Elapsed: time.Since(start)}, nil
}

// fill runs the batches of every database, several databases at once.
// The first failure cancels the others and is returned.
func fill(ctx context.Context, cfg Config, p *plan) error {
	workers := cfg.Workers
	if workers <= 0 || workers > len(Databases) {
		workers = len(Databases)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sem := make(chan struct{}, workers)
	errs := make([]error, len(Databases))
	var wg sync.WaitGroup
	for i, db := range Databases {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			if err := ctx.Err(); err != nil {
				errs[i] = err
				return
			}
			if err := fillOne(ctx, cfg.DSN(db), db, p.batches[i]); err != nil {
				errs[i] = err
				cancel()
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil && !errors.Is(err, context.Canceled) {
			return err
		}
	}
	return errors.Join(errs...)
}

// fillOne runs the batches of one database, one transaction each.
func fillOne(ctx context.Context, dsn, db string, batches []string) error {
	conn, err := connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	for i, sql := range batches {
		if err := exec(ctx, conn, sql); err != nil {
			return fmt.Errorf("database %s batch %d of %d: %w", db, i+1, len(batches), err)
		}
	}
	return nil
}

// connect opens a superuser session after checking that dsn points at
// the loopback address.
func connect(ctx context.Context, dsn string) (*pgx.Conn, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, errors.New("estate: the dsn cannot be parsed")
	}
	if !loopback(cfg.Host) {
		return nil, fmt.Errorf("estate: refusing host %q: the generator writes a large "+
			"estate and runs only against a local test server", cfg.Host)
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("estate: connect to %s: %w", cfg.Database, err)
	}
	// pgaudit logs the whole multi-statement string once per statement,
	// which for a batch of thousands of statements fills the disk and
	// takes most of the time. The generator's own statements need no
	// audit trail; a placeholder setting is harmless without pgaudit.
	if err := exec(ctx, conn, "SET pgaudit.log = 'none'; SET log_statement = 'none'"); err != nil {
		conn.Close(context.WithoutCancel(ctx))
		return nil, fmt.Errorf("estate: quiet the session's logging: %w", err)
	}
	return conn, nil
}

func loopback(host string) bool {
	if strings.HasPrefix(host, "/") {
		return true // a Unix socket directory
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func exec(ctx context.Context, conn *pgx.Conn, sql string) error {
	_, err := conn.Exec(ctx, sql, pgx.QueryExecModeSimpleProtocol)
	return err
}

// checkFresh refuses a server that already holds an estate database.
func checkFresh(ctx context.Context, conn *pgx.Conn) error {
	var found []string
	rows, err := conn.Query(ctx,
		"SELECT datname::text FROM pg_database WHERE datname = ANY($1) ORDER BY 1", Databases)
	if err != nil {
		return fmt.Errorf("list databases: %w", err)
	}
	found, err = pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return fmt.Errorf("list databases: %w", err)
	}
	if len(found) > 0 {
		return fmt.Errorf("estate: the server already holds %s; use a fresh server",
			strings.Join(found, ", "))
	}
	return nil
}

// CreateScanner creates the minimal scanner login of docs/scanner-role.md
// on the server of dsn (a superuser session on the postgres database):
// LOGIN, pg_read_all_settings, read-only by default, and the two grants
// that let it read pg_hba_file_rules. The password must be a test value:
// it is sent in clear in the statement.
func CreateScanner(ctx context.Context, dsn, name, password string) error {
	conn, err := connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	q := ident(name)
	sql := "CREATE ROLE " + q + " LOGIN CONNECTION LIMIT 3;\n" +
		"GRANT pg_read_all_settings TO " + q + ";\n" +
		"ALTER ROLE " + q + " SET default_transaction_read_only = on;\n" +
		"GRANT SELECT ON pg_catalog.pg_hba_file_rules TO " + q + ";\n" +
		"GRANT EXECUTE ON FUNCTION pg_catalog.pg_hba_file_rules() TO " + q + ";\n"
	if err := exec(ctx, conn, sql); err != nil {
		return fmt.Errorf("create scanner role %s: %w", name, err)
	}
	// ALTER ROLE takes no bind parameters; the value is quoted instead.
	if _, err := conn.Exec(ctx, "ALTER ROLE "+q+" PASSWORD "+quoteLiteral(password),
		pgx.QueryExecModeSimpleProtocol); err != nil {
		return fmt.Errorf("set the scanner's password: %w", err)
	}
	return nil
}

// quoteLiteral quotes a string as an SQL literal.
func quoteLiteral(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
