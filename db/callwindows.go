package db

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// Calls counted per key (a client address) in fixed windows, for a limit
// that must hold in every process on the database: each call is one write
// transaction that reads the key's count and adds to it, so no call of
// another process comes between the check and the count.

// callSweepBatch bounds how many ended windows one call deletes: each call
// adds at most one row, so the sweep keeps up.
const callSweepBatch = 100

// The statements of CountCall (a test checks that each reads by index).
const (
	callSweep = `DELETE FROM call_windows WHERE (name, key) IN (
	    SELECT name, key FROM call_windows WHERE name = ? AND started <= ? LIMIT ?)`
	callRead   = `SELECT used, started FROM call_windows WHERE name = ? AND key = ?`
	callUpsert = `INSERT INTO call_windows (name, key, used, started) VALUES (?, ?, ?, ?)
	    ON CONFLICT (name, key) DO UPDATE SET used = excluded.used, started = excluded.started`
)

// CallWindow is a key's window of a limit after a call.
type CallWindow struct {
	// Used is how many calls the window counted, of Limit.
	Used, Limit int
	// Reset is when the window ends.
	Reset time.Time
}

// CountCall counts a call at now under the limit name for key, in a window
// of its own that starts with the key's first call and lasts window. When
// limit calls were already counted in a window that has not ended, it
// counts nothing and ok is false. Either way it returns the window as it
// stands after the call. The same transaction deletes a bounded batch of
// the limit's ended windows.
func (s *Store) CountCall(ctx context.Context, now time.Time, window time.Duration, name, key string, limit int) (w CallWindow, ok bool, err error) {
	defer failed(&err, "count call")
	now = parseTime(timestamp(now))
	err = s.writeTx(ctx, changesNothingCached, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, callSweep, name, timestamp(now.Add(-window)), callSweepBatch); err != nil {
			return err
		}
		var (
			used    int
			started string
		)
		err := tx.QueryRowContext(ctx, callRead, name, key).Scan(&used, &started)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			used, started = 0, timestamp(now)
		case err != nil:
			return err
		case !now.Before(parseTime(started).Add(window)):
			used, started = 0, timestamp(now) // the window ended
		}
		w = CallWindow{Used: used, Limit: limit, Reset: parseTime(started).Add(window)}
		if used >= limit {
			return nil
		}
		w.Used, ok = used+1, true
		_, err = tx.ExecContext(ctx, callUpsert, name, key, w.Used, started)
		return err
	})
	if err != nil {
		return CallWindow{}, false, err
	}
	return w, ok, nil
}
