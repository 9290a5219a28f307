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
	"github.com/pressly/goose/v3/lock"
	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

//go:embed migrations
var migrations embed.FS

// ErrNotFound is returned when a looked-up row does not exist.
var ErrNotFound = errors.New("not found")

// ErrStale is returned when a change was built on an out-of-date version.
var ErrStale = errors.New("stale version")

// Store is the database: one writer connection, so writes never fight for
// the lock (on PostgreSQL, see beginWrite), and a pool of read-only
// connections that run beside it.
type Store struct {
	dialect dialect
	write   *sql.DB
	read    *sql.DB
	now     func() time.Time
	// cache keeps what nearly every request reads, set aside by the writes
	// that change it.
	cache *readCache
	// uses collects tokens' last use between flushes.
	uses *lastUses
	// changes reads the change counters that cached reads are checked
	// against.
	changes *changeReader
	// publicURL starts the links of webhook deliveries (PublicURL).
	publicURL string
}

// Option changes how Open sets up the database.
type Option func(*openOptions)

type openOptions struct {
	busyTimeout time.Duration
	publicURL   string
}

// PublicURL is the site's public URL (scheme://host[:port]), which the
// links in webhook deliveries start with; without it they start at the
// root.
func PublicURL(u string) Option {
	return func(o *openOptions) { o.publicURL = u }
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

// Open opens the database at location and migrates it: a PostgreSQL
// database when location is a postgres:// or postgresql:// URL, otherwise
// the SQLite file at that path (created if needed).
func Open(ctx context.Context, location string, opts ...Option) (*Store, error) {
	o := openOptions{busyTimeout: DefaultBusyTimeout}
	for _, opt := range opts {
		opt(&o)
	}
	var (
		write, read, changes *sql.DB
		d                    dialect
		err                  error
	)
	// What the migrations run on: the writer, or on PostgreSQL a plain
	// pool of its own (see openPostgres).
	var migrator *sql.DB
	if IsPostgres(location) {
		d = postgresDialect
		write, read, changes, migrator, err = openPostgres(location)
		if err == nil {
			defer migrator.Close()
		}
	} else {
		write, read, changes, err = openSQLite(location, o)
		migrator = write
	}
	if err != nil {
		return nil, err
	}
	closeAll := func() { changes.Close(); read.Close(); write.Close() }
	// One writer connection per process, on both backends: the cache's
	// generations (cache.go) count on one write transaction at a time.
	write.SetMaxOpenConns(1)
	write.SetMaxIdleConns(1)
	write.SetConnMaxLifetime(0)
	write.SetConnMaxIdleTime(0)
	n := max(4, runtime.NumCPU()*2)
	read.SetMaxOpenConns(n)
	read.SetMaxIdleConns(n)
	// The change counters are read on a connection of their own.
	changes.SetMaxOpenConns(1)
	changes.SetMaxIdleConns(1)
	changes.SetConnMaxLifetime(0)
	changes.SetConnMaxIdleTime(0)

	if err := migrate(ctx, d, migrator); err != nil {
		closeAll()
		return nil, err
	}
	cache := newReadCache()
	// Counters that went back mean the database was put back to an earlier
	// state: a cached value's tag could come round again.
	cr, err := newChangeReader(ctx, d, changes, func() { cache.begin(changesEverything); cache.end(changesEverything) })
	if err != nil {
		closeAll()
		return nil, err
	}
	return &Store{
		dialect: d, write: write, read: read, now: time.Now,
		cache: cache, uses: newLastUses(), changes: cr, publicURL: o.publicURL,
	}, nil
}

// openSQLite opens the pools of a store on the SQLite file at path: the
// writer's transactions are BEGIN IMMEDIATE, the readers cannot write.
func openSQLite(path string, o openOptions) (write, read, changes *sql.DB, err error) {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, nil, nil, fmt.Errorf("create database directory: %w", err)
		}
	}
	// sql.Open only checks its arguments: nothing to close on these errors.
	if write, err = sql.Open("sqlite", dsn(path, o.busyTimeout, "_txlock=immediate")); err != nil {
		return nil, nil, nil, err
	}
	if read, err = sql.Open("sqlite", dsn(path, o.busyTimeout, "_pragma=query_only(1)")); err != nil {
		return nil, nil, nil, err
	}
	if changes, err = sql.Open("sqlite", dsn(path, o.busyTimeout, "_pragma=query_only(1)")); err != nil {
		return nil, nil, nil, err
	}
	return write, read, changes, nil
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

// migrate brings the database up to the latest migration. On PostgreSQL a
// session lock makes instances that start at once migrate one at a time
// (the later ones find nothing left to do); on SQLite the writer's lock
// does.
func migrate(ctx context.Context, d dialect, db *sql.DB) error {
	files, err := migrationFiles(d.String())
	if err != nil {
		return err
	}
	gd, opts := goose.DialectSQLite3, []goose.ProviderOption(nil)
	if d == postgresDialect {
		locker, err := lock.NewPostgresSessionLocker()
		if err != nil {
			return fmt.Errorf("migrations: %w", err)
		}
		gd, opts = goose.DialectPostgres, append(opts, goose.WithSessionLocker(locker))
	}
	p, err := goose.NewProvider(gd, db, files, opts...)
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
