// Package store is ward's own database: an SQLite file that keeps every scan
// with its sources, accounts, grants and findings, and tracks each finding
// across scans by its fingerprint (first seen, last seen, resolved). It
// compares each scan with the previous scan of every source (Changes) and
// keeps the suppressions recorded with `ward suppress`.
//
// A scan of a large estate holds a million grants and a hundred thousand
// resources, so they are not kept a row each: each account's grants are
// one small blob of numbers into per-scan dictionaries (grants_codec.go),
// each source's resources one blob (resources_codec.go), and the text of
// a finding is kept once however many scans report it unchanged
// (finding_details.go).
//
// The schema is versioned by numbered SQL files under migrations/, applied in
// order when a store is opened, some completed by Go code that converts
// older rows. A store written by a newer ward is refused rather than read
// with a schema this ward does not know.
//
// A Store is safe for concurrent use. Several processes may open the same
// file: writes are serialised by SQLite's locking and wait up to a busy
// timeout for each other.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// busyTimeoutMS is how long a statement waits for a lock held by another
// connection or process before failing. Saving a large estate takes a few
// seconds, so a concurrent writer must be able to wait longer than that.
const busyTimeoutMS = 15000

// ErrNotFound is returned by the read methods when no stored scan matches.
var ErrNotFound = errors.New("no matching scan in the store")

// ErrUnknownFinding is returned when no tracked finding has the
// fingerprint asked for.
var ErrUnknownFinding = errors.New("no finding with this fingerprint in the store")

// Store is an open ward database.
type Store struct {
	db   *sql.DB
	path string

	// afterStep, when set by a test, is called between the steps of
	// SaveScan, inside its transaction.
	afterStep func(step string)
}

// Open opens the store at path, creating the file with mode 0600 if it does
// not exist, and brings its schema up to date. It fails with an error
// wrapping ErrNewerSchema when the file was written by a newer ward. The
// caller resolves path (for example against the configuration file's
// directory); its parent directory must exist.
//
// The permissions of an existing file are left as they are.
func Open(ctx context.Context, path string) (*Store, error) {
	if path == "" {
		return nil, errors.New("open store: no path given")
	}
	if err := createPrivate(path); err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}

	dsn, err := dataSourceName(path)
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}

	if err := migrate(ctx, db, migrationFiles); err != nil {
		db.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	reclaimSpace(ctx, db)
	return &Store{db: db, path: path}, nil
}

// reclaimSpace rebuilds the file (VACUUM) when most of it is free pages.
// ward never deletes rows, so this happens once, after migration 0004
// converted an older store into a fraction of its size. It is best
// effort: when the rebuild fails (another process holds the store, the
// temporary directory is full) the store is as it was, the free pages are
// reused by later scans, and the next Open tries again.
func reclaimSpace(ctx context.Context, db *sql.DB) {
	// Below this many free pages (4 MiB of the default 4 KiB pages) a
	// rebuild is not worth its time.
	const minFree = 1024
	var free, total int64
	if err := db.QueryRowContext(ctx, `PRAGMA freelist_count`).Scan(&free); err != nil {
		return
	}
	if err := db.QueryRowContext(ctx, `PRAGMA page_count`).Scan(&total); err != nil {
		return
	}
	if free < minFree || free*2 < total {
		return
	}
	db.ExecContext(ctx, `VACUUM`)
}

// Close closes the database. Calls made after Close fail.
func (s *Store) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close store %s: %w", s.path, err)
	}
	return nil
}

// createPrivate creates path with mode 0600 unless it exists already. SQLite
// gives the journal files it creates next to the database the same mode.
func createPrivate(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	if err != nil {
		return err
	}
	return f.Close()
}

// dataSourceName builds the driver's DSN: a file: URI, so that any character
// in the path is escaped, with the settings every connection needs. The
// write transactions begin IMMEDIATE so that two writers queue on the busy
// timeout instead of failing when one upgrades its lock.
func dataSourceName(path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}

	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeoutMS))
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Set("_txlock", "immediate")

	u := url.URL{Scheme: "file", Path: filepath.ToSlash(abs), RawQuery: q.Encode()}
	return u.String(), nil
}

// step reports the end of a step of a write to the test hook, if any.
func (s *Store) step(name string) {
	if s.afterStep != nil {
		s.afterStep(name)
	}
}
