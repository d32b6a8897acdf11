package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
)

// ErrNewerSchema is returned by Open when the store was written by a newer
// ward, whose schema this ward does not know.
var ErrNewerSchema = errors.New("store was written by a newer version of ward")

// migrationFiles holds the migrations shipped with ward, under migrations/.
// To change the schema, add the next numbered file; never edit one that has
// been released, since stores that applied it will not apply it again.
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

// migration is one numbered SQL file, with the Go code that completes it
// when SQL alone cannot.
type migration struct {
	version int
	name    string
	sql     string
	// finish, when set, runs after sql in the same transaction.
	finish func(ctx context.Context, tx *sql.Tx) error
}

// finisher returns the Go code that completes the shipped migration file
// named base, or nil. Keyed by the whole file name, so that no other set
// of migrations (such as a test's) runs it.
func finisher(base string) func(ctx context.Context, tx *sql.Tx) error {
	switch base {
	case "0004_compact_storage.sql":
		return convertStorage
	}
	return nil
}

// loadMigrations reads the files named migrations/NNNN_description.sql in
// fsys and returns them by version. Versions start at 1 and have no gaps, so
// that a missing file is noticed before it is skipped for good.
func loadMigrations(fsys fs.FS) ([]migration, error) {
	names, err := fs.Glob(fsys, "migrations/*.sql")
	if err != nil {
		return nil, fmt.Errorf("list migrations: %w", err)
	}

	var ms []migration
	for _, name := range names {
		num, _, ok := strings.Cut(path.Base(name), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %s: name must be NNNN_description.sql", name)
		}
		body, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("read migration %s: %w", name, err)
		}
		ms = append(ms, migration{version: v, name: name, sql: string(body),
			finish: finisher(path.Base(name))})
	}

	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i, m := range ms {
		if m.version != i+1 {
			return nil, fmt.Errorf("migration %s: expected version %d", m.name, i+1)
		}
	}
	return ms, nil
}

// migrate applies to db, in order, the migrations of fsys that it has not
// recorded yet, each in its own transaction together with its row in
// schema_migrations. It refuses a database whose recorded version is higher
// than the last migration it knows.
//
// Migrations run with foreign keys enforced; one that rebuilds a table must
// keep its rows consistent on its own.
func migrate(ctx context.Context, db *sql.DB, fsys fs.FS) error {
	ms, err := loadMigrations(fsys)
	if err != nil {
		return err
	}

	const bootstrap = `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		name       TEXT NOT NULL,
		applied_at TEXT NOT NULL
	)`
	if _, err := db.ExecContext(ctx, bootstrap); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}

	current, err := checkVersion(ctx, db, len(ms))
	if err != nil {
		return err
	}
	for _, m := range ms[current:] {
		if err := applyMigration(ctx, db, m, len(ms)); err != nil {
			return err
		}
	}
	return nil
}

// applyMigration applies m unless the store has it already. It reads the
// version inside the write transaction, so two processes opening the same
// new store do not both apply m.
func applyMigration(ctx context.Context, db *sql.DB, m migration, known int) (err error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migration %s: %w", m.name, err)
	}
	defer func() {
		if err != nil {
			tx.Rollback()
		}
	}()

	current, err := schemaVersion(ctx, tx)
	if err != nil {
		return err
	}
	if current > known {
		return newerSchemaError(current, known)
	}
	if current >= m.version {
		return tx.Rollback()
	}

	if _, err := tx.ExecContext(ctx, m.sql); err != nil {
		return fmt.Errorf("migration %s: %w", m.name, err)
	}
	if m.finish != nil {
		if err := m.finish(ctx, tx); err != nil {
			return fmt.Errorf("migration %s: %w", m.name, err)
		}
	}
	const record = `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`
	_, err = tx.ExecContext(ctx, record, m.version, m.name, formatTime(time.Now()))
	if err != nil {
		return fmt.Errorf("migration %s: record version: %w", m.name, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migration %s: commit: %w", m.name, err)
	}
	return nil
}

// checkVersion returns the store's schema version, and fails when it is
// newer than known.
func checkVersion(ctx context.Context, db *sql.DB, known int) (int, error) {
	tx, err := db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	defer tx.Rollback()

	current, err := schemaVersion(ctx, tx)
	if err != nil {
		return 0, err
	}
	if current > known {
		return 0, newerSchemaError(current, known)
	}
	return current, nil
}

// schemaVersion returns the highest version recorded, 0 for a new store.
func schemaVersion(ctx context.Context, tx *sql.Tx) (int, error) {
	var v int
	const query = `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`
	err := tx.QueryRowContext(ctx, query).Scan(&v)
	if err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	return v, nil
}

func newerSchemaError(current, known int) error {
	return fmt.Errorf("%w: its schema version is %d, this ward knows up to %d; "+
		"upgrade ward to use this store", ErrNewerSchema, current, known)
}
