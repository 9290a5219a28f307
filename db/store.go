// Package db owns patpolicy's SQLite storage: opening the database, the
// embedded migrations and every query.
package db

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/pressly/goose/v3"
	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

//go:embed migrations/*.sql
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
	// auth caches what nearly every request reads, set aside by the writes
	// that change it.
	auth *authCache
	// uses collects tokens' last use between flushes.
	uses *lastUses
}

// Open opens (creating if needed) the database at path and migrates it.
func Open(ctx context.Context, path string) (*Store, error) {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("create database directory: %w", err)
		}
	}
	write, err := sql.Open("sqlite", dsn(path, "_txlock=immediate"))
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

	read, err := sql.Open("sqlite", dsn(path, "_pragma=query_only(1)"))
	if err != nil {
		write.Close()
		return nil, err
	}
	n := max(4, runtime.NumCPU()*2)
	read.SetMaxOpenConns(n)
	read.SetMaxIdleConns(n)
	return &Store{write: write, read: read, now: time.Now, auth: newAuthCache(), uses: newLastUses()}, nil
}

// dsn builds a modernc DSN. busy_timeout comes first so that it already
// applies while the other pragmas run.
func dsn(path string, extra string) string {
	q := "_pragma=busy_timeout(5000)" +
		"&_pragma=journal_mode(WAL)" +
		"&_pragma=foreign_keys(1)" +
		"&_pragma=synchronous(NORMAL)"
	if extra != "" {
		q += "&" + extra
	}
	return "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q
}

func migrate(ctx context.Context, db *sql.DB) error {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return err
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, db, sub)
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
	return errors.Join(flush, s.read.Close(), s.write.Close())
}

// Ping reports whether the database answers.
func (s *Store) Ping(ctx context.Context) error {
	return s.read.PingContext(ctx)
}

// timestamp formats t the way every table stores times: UTC, sortable.
func timestamp(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000000Z")
}

func parseTime(s string) time.Time {
	t, _ := time.Parse("2006-01-02T15:04:05.000000Z", s)
	return t
}

// inTx runs fn in a write transaction (BEGIN IMMEDIATE, through the DSN) and
// commits it when fn returns nil. Every cached read is set aside from the
// moment the transaction holds the lock until it has ended, so a read after
// a commit never sees what was there before it.
func (s *Store) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	return s.writeTx(ctx, changesEverything, fn)
}

// accessTx is inTx for writes that change grants, policies or
// notifications, or add tokens, and delete no token and change no session,
// user, organization, membership or repository: the caches of those stay.
func (s *Store) accessTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	return s.writeTx(ctx, changesAccess, fn)
}

// writeTx is inTx for a write whose scope says which cached reads it may
// change.
func (s *Store) writeTx(ctx context.Context, scope cacheScope, fn func(tx *sql.Tx) error) error {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	// The single writer connection makes this the only transaction
	// between its begin and its end: the generations are odd meanwhile.
	s.auth.begin(scope)
	defer s.auth.end(scope)
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// nocase folds s the way SQLite's NOCASE collation compares: ASCII letters
// only, so that a cache keyed by it finds exactly what the query would.
func nocase(s string) string {
	return strings.Map(func(r rune) rune {
		if 'A' <= r && r <= 'Z' {
			return r + ('a' - 'A')
		}
		return r
	}, s)
}

// FoldLogin folds a login as the database compares logins (NOCASE), so
// that two spellings of one login give one key.
func FoldLogin(login string) string { return nocase(login) }

// pointRead is the context of a read of a few rows by key. It runs to its
// end even if the request is cancelled: that takes microseconds, and a
// context that cannot be cancelled spares modernc a goroutine per statement
// to watch it, which costs more than the read.
func pointRead(ctx context.Context) context.Context {
	return context.WithoutCancel(ctx)
}
