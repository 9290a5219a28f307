// Package db owns patpolicy's SQLite storage: opening the database, the
// embedded migrations and every query.
package db

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/pressly/goose/v3"
	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

//go:embed migrations
var migrations embed.FS

// ErrNotFound is returned when a looked-up row does not exist.
var ErrNotFound = errors.New("not found")

// ErrStale is returned when a change was built on an out-of-date version.
var ErrStale = errors.New("stale version")

// Store is the database: one writer connection, so writes never fight for
// the lock, and a pool of read-only connections that WAL lets run beside it.
type Store struct {
	write *sql.DB
	read  *sql.DB
	now   func() time.Time
	// cache keeps what nearly every request reads, set aside by the writes
	// that change it.
	cache *readCache
	// uses collects tokens' last use between flushes.
	uses *lastUses
	// changes reads the change counters that cached reads are checked
	// against.
	changes *changeReader
}

// Option changes how Open sets up the database.
type Option func(*openOptions)

type openOptions struct {
	busyTimeout time.Duration
}

// DefaultBusyTimeout is how long a statement waits for a lock that another
// process (a second server, 'patpolicy user') holds before it fails with
// SQLITE_BUSY.
const DefaultBusyTimeout = 5 * time.Second

// BusyTimeout sets how long a statement waits for another process's lock
// (DefaultBusyTimeout without this option).
func BusyTimeout(d time.Duration) Option {
	return func(o *openOptions) { o.busyTimeout = d }
}

// Open opens (creating if needed) the database at path and migrates it.
func Open(ctx context.Context, path string, opts ...Option) (*Store, error) {
	o := openOptions{busyTimeout: DefaultBusyTimeout}
	for _, opt := range opts {
		opt(&o)
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("create database directory: %w", err)
		}
	}
	write, err := sql.Open("sqlite", dsn(path, o.busyTimeout, "_txlock=immediate"))
	if err != nil {
		return nil, err
	}
	write.SetMaxOpenConns(1)
	write.SetMaxIdleConns(1)
	write.SetConnMaxLifetime(0)
	write.SetConnMaxIdleTime(0)

	if err := migrate(ctx, write); err != nil {
		write.Close()
		return nil, err
	}

	read, err := sql.Open("sqlite", dsn(path, o.busyTimeout, "_pragma=query_only(1)"))
	if err != nil {
		write.Close()
		return nil, err
	}
	n := max(4, runtime.NumCPU()*2)
	read.SetMaxOpenConns(n)
	read.SetMaxIdleConns(n)

	// The change counters are read on a connection of their own.
	changes, err := sql.Open("sqlite", dsn(path, o.busyTimeout, "_pragma=query_only(1)"))
	if err != nil {
		read.Close()
		write.Close()
		return nil, err
	}
	changes.SetMaxOpenConns(1)
	changes.SetMaxIdleConns(1)
	changes.SetConnMaxLifetime(0)
	changes.SetConnMaxIdleTime(0)
	cache := newReadCache()
	// Counters that went back mean the database was put back to an earlier
	// state: a cached value's tag could come round again.
	cr, err := newChangeReader(ctx, changes, func() { cache.begin(changesEverything); cache.end(changesEverything) })
	if err != nil {
		changes.Close()
		read.Close()
		write.Close()
		return nil, err
	}
	return &Store{
		write: write, read: read, now: time.Now,
		cache: cache, uses: newLastUses(), changes: cr,
	}, nil
}

// dsn builds a modernc DSN. busy_timeout comes first so that it already
// applies while the other pragmas run.
func dsn(path string, busyTimeout time.Duration, extra string) string {
	q := fmt.Sprintf("_pragma=busy_timeout(%d)", busyTimeout.Milliseconds()) +
		"&_pragma=journal_mode(WAL)" +
		"&_pragma=foreign_keys(1)" +
		"&_pragma=synchronous(NORMAL)"
	if extra != "" {
		q += "&" + extra
	}
	return "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q
}

func migrate(ctx context.Context, db *sql.DB) error {
	files, err := migrationFiles("sqlite")
	if err != nil {
		return err
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, db, files)
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}

// Close writes down the last uses still in memory and closes both pools.
func (s *Store) Close() error {
	flush := s.FlushLastUses(context.Background())
	return errors.Join(flush, s.changes.close(), s.read.Close(), s.write.Close())
}

// Ping reports whether the database answers.
func (s *Store) Ping(ctx context.Context) (err error) {
	defer failed(&err, "ping")
	return s.read.PingContext(ctx)
}
