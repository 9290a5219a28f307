package db

import (
	"context"
	"database/sql"
	"math"
	"strings"
	"time"
)

// Transactions and the helpers every query file shares: the write and read
// transactions, how times are stored and read, paging, small scanners.

// timeLayout is how every table stores times: UTC, sortable.
const timeLayout = "2006-01-02T15:04:05.000000Z"

// timestamp formats t the way every table stores times: UTC, sortable.
func timestamp(t time.Time) string {
	return t.UTC().Format(timeLayout)
}

// parseTime reads a time stored by timestamp; one that does not parse
// reads as the zero time, which suits times only shown (created, last
// used). Expiry times are read with parseExpiry instead.
func parseTime(s string) time.Time {
	t, _ := time.Parse(timeLayout, s)
	return t
}

// parseExpiry reads an expiry time: "" (none stored) is the zero time,
// which means "never expires". A stored value that does not parse must not
// read as "never": it reads as unreadableExpiry, long past, so whatever it
// belongs to counts as expired.
func parseExpiry(s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	t, err := time.Parse(timeLayout, s)
	if err != nil {
		return unreadableExpiry()
	}
	return t
}

// unreadableExpiry is the expiry an unreadable stored value stands for:
// the Unix epoch, before anything this program stored.
func unreadableExpiry() time.Time { return time.Unix(0, 0).UTC() }

// inTx runs fn in a write transaction (see beginWrite) and
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
	tx, err := s.beginWrite(ctx)
	if err != nil {
		return err
	}
	// The single writer connection makes this the only transaction
	// between its begin and its end: the generations are odd meanwhile.
	s.cache.begin(scope)
	defer s.cache.end(scope)
	defer s.wrote(ctx)
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

// The REST API's page sizes (30 unless asked, at most 100): handlers validate per_page;
// the store only keeps a bad value from reaching SQL.
const (
	apiDefaultPerPage = 30
	apiMaxPerPage     = 100
)

// pageWindow turns a 1-based page number and a page size into LIMIT and
// OFFSET. ok is false for a page so far out that its offset would not fit:
// it holds no rows.
func pageWindow(page, perPage int) (limit, offset int, ok bool) {
	if perPage <= 0 {
		perPage = apiDefaultPerPage
	}
	perPage = min(perPage, apiMaxPerPage)
	page = max(page, 1)
	if page-1 > math.MaxInt64/perPage {
		return perPage, 0, false
	}
	return perPage, (page - 1) * perPage, true
}

// readTx runs fn in a read transaction on the reader pool, so that
// a page and its total come from one snapshot of the database.
func (s *Store) readTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.read.BeginTx(ctx, s.readOptions())
	if err != nil {
		return err
	}
	defer tx.Rollback()
	return fn(tx)
}

// insertOnce runs an INSERT ... ON CONFLICT DO NOTHING and reports whether it added a row
// (false: the row was there already).
func insertOnce(ctx context.Context, tx *sql.Tx, query string, args ...any) (bool, error) {
	res, err := tx.ExecContext(ctx, query, args...)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// nullID stores 0 as NULL.
func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

type queryer interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?,", n), ",")
}

// int64s runs a query of one integer column on the reader pool or in a
// transaction.
func int64s(ctx context.Context, q queryer, query string, args ...any) ([]int64, error) {
	return column[int64](ctx, q, query, args...)
}

// column runs a query of one column of type T.
func column[T any](ctx context.Context, q queryer, query string, args ...any) ([]T, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		var v T
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// opError is an error of a Store method, with the operation that failed. It
// unwraps to its cause, so errors.Is(err, ErrNotFound) and errors.As (the
// driver's result codes, see Unavailable) see through it.
type opError struct {
	op  string
	err error
}

func (e *opError) Error() string { return "db: " + e.op + ": " + e.err.Error() }
func (e *opError) Unwrap() error { return e.err }

// failed wraps *err, if there is one, with the operation op, as in
// "db: revoke grants: ...". It is deferred at the top of every Store method
// that returns an error. When one method's error comes from another, both
// are named, outer first: "db: org access of: org by login: not found".
func failed(err *error, op string) {
	if *err == nil {
		return
	}
	if inner, ok := (*err).(*opError); ok {
		*err = &opError{op: op + ": " + inner.op, err: inner.err}
		return
	}
	*err = &opError{op: op, err: *err}
}
