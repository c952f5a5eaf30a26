// Package store is kiosc's SQLite persistence: opening the database, applying migrations, and one file per table
// with CreateX/GetX/ListX/UpdateX/DeleteX functions.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"strings"
	"sync/atomic"

	"github.com/pressly/goose/v3"
	_ "modernc.org/sqlite" // registers the pure-Go "sqlite" driver
)

// Errors returned by the store.
var (
	ErrNotFound = errors.New("not found")
	ErrConflict = errors.New("conflict")
)

// Store is the database handle shared by every part of kiosc.
type Store struct {
	db *sql.DB
	// aclGen changes whenever users, projects or roles change, so permission caches know when to reload.
	aclGen atomic.Uint64
}

// ACLGeneration returns a number that changes whenever users, projects or role assignments change.
func (s *Store) ACLGeneration() uint64 { return s.aclGen.Load() }

// bumpACL must be called after every write to users, projects or role_assignments.
func (s *Store) bumpACL() { s.aclGen.Add(1) }

// Open opens (creating if needed) the SQLite database at path with the settings kiosc relies on:
// WAL so readers never block the writer, a busy timeout so short write contention waits instead of failing,
// foreign keys, synchronous=NORMAL (durable across process crashes in WAL mode), and BEGIN IMMEDIATE for
// transactions so a read lock is never upgraded to a write lock mid-transaction (which busy_timeout cannot help).
//
// A database file that does not exist yet is created with mode 0600 first (see PrepareDataDir for existing ones).
func Open(path string) (*Store, error) {
	if path != ":memory:" {
		if err := createPrivate(path); err != nil {
			return nil, fmt.Errorf("open database %s: %w", path, err)
		}
	}
	q := url.Values{}
	for _, p := range []string{"busy_timeout(10000)", "journal_mode(WAL)", "synchronous(NORMAL)", "foreign_keys(1)"} {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	db.SetMaxOpenConns(8)
	db.SetMaxIdleConns(8)
	if err := db.Ping(); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	return &Store{db: db}, nil
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// DB exposes the handle for health checks and tests.
func (s *Store) DB() *sql.DB { return s.db }

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	var one int
	return s.db.QueryRowContext(ctx, "SELECT 1").Scan(&one)
}

// Migrate applies every pending migration from migrations (a directory of goose SQL files).
func (s *Store) Migrate(ctx context.Context, migrations fs.FS, log *slog.Logger) error {
	p, err := goose.NewProvider(goose.DialectSQLite3, s.db, migrations)
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	res, err := p.Up(ctx)
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	for _, r := range res {
		log.Info("applied migration", "version", r.Source.Version, "file", r.Source.Path, "duration", r.Duration)
	}
	return nil
}

// Tx runs fn in one (immediate) transaction, committing if it returns nil.
func (s *Store) Tx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

// queryer is what both *sql.DB and *sql.Tx offer, so table functions work inside and outside transactions.
type queryer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// isUnique reports whether err is a UNIQUE constraint violation.
func isUnique(err error) bool {
	return err != nil && strings.Contains(err.Error(), "UNIQUE constraint failed")
}

// notFound maps sql.ErrNoRows to ErrNotFound.
func notFound(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	return err
}

// Page is a limit/offset window of a list.
type Page struct {
	Limit  int
	Offset int
}

// Clamp makes the page safe: default 50, at most 500 items.
func (p Page) Clamp() Page {
	if p.Limit <= 0 {
		p.Limit = 50
	}
	if p.Limit > 500 {
		p.Limit = 500
	}
	if p.Offset < 0 {
		p.Offset = 0
	}
	return p
}
