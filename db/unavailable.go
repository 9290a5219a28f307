package db

import (
	"context"
	"database/sql"
	"errors"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Unavailable reports whether err is the database saying that it cannot
// be used right now, for a reason outside the request: another process
// holds the lock past the busy timeout, the disk is full, the file cannot be
// read or written (an I/O error, a file system remounted read-only), memory
// ran out. A later try may succeed; the request itself was not at fault.
//
// It looks at the driver's result code, whose low byte is the primary code
// (SQLITE_IOERR_WRITE, for instance, is SQLITE_IOERR with more detail).
//
// For PostgreSQL, see postgresUnavailable; for SQLite:
func Unavailable(err error) bool {
	if err == nil {
		return false
	}
	if postgresUnavailable(err) {
		return true
	}
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return false
	}
	switch se.Code() & 0xff {
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_FULL, sqlite3.SQLITE_IOERR,
		sqlite3.SQLITE_READONLY, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_NOMEM:
		return true
	}
	return false
}

// CheckWritable writes to the database, as cheaply as a write can be: it
// notes the time of the check in app_settings, in a transaction of its own
// on the writer connection. It fails as a real write would: with the lock
// held elsewhere past the busy timeout, on a full disk, on a read-only file.
func (s *Store) CheckWritable(ctx context.Context) (err error) {
	defer failed(&err, "check writable")
	return s.writeTx(ctx, changesNothingCached, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO app_settings (key, value) VALUES ('write_checked_at', ?)
			ON CONFLICT (key) DO UPDATE SET value = excluded.value`, timestamp(s.now()))
		return err
	})
}
