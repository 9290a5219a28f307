package db

import (
	"context"
	"database/sql"
	"strings"
	"time"
)

// The counts of failed sign-ins, per account and per client address. The
// rules (the limits, the window, what counts when) are the sign-in
// limiter's; the counts are kept here so that every process on the database
// adds to the same ones. Each call is one write transaction, so that the
// check and the count cannot be split by a concurrent attempt, here or in
// another process.

// The kinds of key a failure is counted under.
const (
	signinAccount = "account"
	signinAddress = "address"
)

// signinSweepBatch bounds how many ended windows one attempt deletes: a
// sign-in stays as quick with a table full of stale rows. Each attempt adds
// at most two rows, so the sweep keeps up.
const signinSweepBatch = 100

// The limiter's statements (a test checks that each reads by index).
const (
	// signinSweep deletes a batch of windows that ended by a time.
	signinSweep = `DELETE FROM signin_attempts WHERE (kind, key) IN (
	    SELECT kind, key FROM signin_attempts WHERE started <= ? LIMIT ?)`
	// signinRead reads two keys' counts.
	signinRead = `SELECT kind, failures, started FROM signin_attempts
	    WHERE (kind = ? AND key = ?) OR (kind = ? AND key = ?)`
	signinClear  = `DELETE FROM signin_attempts WHERE kind = ? AND key = ?`
	signinRefund = `UPDATE signin_attempts SET failures = failures - 1
	    WHERE kind = ? AND key = ? AND started = ? AND failures > 0`
)

// signinKey is one of an attempt's two counts, with its limit and, once
// read, what is stored for it.
type signinKey struct {
	kind, key string
	limit     int
	failures  int64
	started   time.Time
	found     bool
}

// live reports whether the key has a window that has not ended at now.
func (k signinKey) live(now time.Time, window time.Duration) bool {
	return k.found && now.Before(k.started.Add(window))
}

// CountSignIn counts a sign-in attempt at now as a failure for account and
// for address (a "" key counts nothing), each in a window of its own that
// starts with its first failure and lasts window. When either key has
// already reached its limit (accountLimit, addressLimit) in a window not yet
// ended, it counts nothing and returns how long until every such window has
// ended. Otherwise it returns the start of the address's window, which
// RefundSignIn takes. In the same transaction it deletes a bounded number of
// windows that ended.
func (s *Store) CountSignIn(ctx context.Context, now time.Time, window time.Duration,
	account string, accountLimit int, address string, addressLimit int) (addressStart time.Time, wait time.Duration, err error) {
	defer failed(&err, "count sign-in")
	keys := [2]signinKey{
		{kind: signinAccount, key: account, limit: accountLimit},
		{kind: signinAddress, key: address, limit: addressLimit},
	}
	// A start is stored to the microsecond: the start handed back must be
	// the stored one to the last digit.
	now = parseTime(timestamp(now))
	err = s.writeTx(ctx, changesNothingCached, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, signinSweep, timestamp(now.Add(-window)), signinSweepBatch); err != nil {
			return err
		}
		if err := readSignInCounts(ctx, tx, &keys); err != nil {
			return err
		}
		for _, k := range keys {
			if k.key == "" || !k.live(now, window) || k.failures < int64(k.limit) {
				continue
			}
			wait = max(wait, k.started.Add(window).Sub(now))
		}
		if wait > 0 {
			return nil
		}
		var (
			rows []string
			args []any
		)
		for i := range keys {
			k := &keys[i]
			if k.key == "" {
				continue
			}
			if !k.live(now, window) {
				k.failures, k.started = 0, now
			}
			k.failures++
			rows = append(rows, "(?, ?, ?, ?)")
			args = append(args, k.kind, k.key, k.failures, timestamp(k.started))
		}
		if len(rows) == 0 {
			return nil
		}
		_, err := tx.ExecContext(ctx,
			`INSERT INTO signin_attempts (kind, key, failures, started) VALUES `+strings.Join(rows, ", ")+`
			 ON CONFLICT (kind, key) DO UPDATE SET failures = excluded.failures, started = excluded.started`,
			args...)
		return err
	})
	if err != nil || wait > 0 {
		return time.Time{}, wait, err
	}
	if address == "" {
		return time.Time{}, 0, nil
	}
	return keys[1].started, 0, nil
}

// readSignInCounts reads what is stored for keys, in one query.
func readSignInCounts(ctx context.Context, tx *sql.Tx, keys *[2]signinKey) error {
	rows, err := tx.QueryContext(ctx, signinRead, keys[0].kind, keys[0].key, keys[1].kind, keys[1].key)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			kind, started string
			failures      int64
		)
		if err := rows.Scan(&kind, &failures, &started); err != nil {
			return err
		}
		for i := range keys {
			if keys[i].kind == kind {
				keys[i].failures, keys[i].started, keys[i].found = failures, parseTime(started), true
			}
		}
	}
	return rows.Err()
}

// RefundSignIn takes back a sign-in attempt that CountSignIn counted and
// that succeeded: the account's failures are cleared, and the address's
// count loses this attempt if its window is still the one that started at
// addressStart (a later window never counted it).
func (s *Store) RefundSignIn(ctx context.Context, account, address string, addressStart time.Time) (err error) {
	defer failed(&err, "refund sign-in")
	if account == "" && address == "" {
		return nil
	}
	return s.writeTx(ctx, changesNothingCached, func(tx *sql.Tx) error {
		if account != "" {
			if _, err := tx.ExecContext(ctx, signinClear, signinAccount, account); err != nil {
				return err
			}
		}
		if address == "" {
			return nil
		}
		_, err := tx.ExecContext(ctx, signinRefund, signinAddress, address, timestamp(addressStart))
		return err
	})
}
