package db

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	"patpolicy/db/dbtest"
)

var signinT0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// countSignIn is CountSignIn with a one-minute window, failing the test on
// an error.
func countSignIn(t *testing.T, s *Store, now time.Time, account string, accountLimit int, address string, addressLimit int) (time.Time, time.Duration) {
	t.Helper()
	start, wait, err := s.CountSignIn(context.Background(), now, time.Minute, account, accountLimit, address, addressLimit)
	if err != nil {
		t.Fatalf("CountSignIn(%s, %s): %v", account, address, err)
	}
	return start, wait
}

func signinFailures(t *testing.T, s *Store, kind, key string) int {
	t.Helper()
	return count(t, s, `SELECT coalesce(max(failures), 0) FROM signin_attempts WHERE kind = ? AND key = ?`, kind, key)
}

// Two stores on one database (two servers, or a server and another
// process) add to the same counts: failures counted by one are refused by
// the other, and a success on one is taken back on both.
func TestSignInCountsAreSharedByTwoStores(t *testing.T) {
	ctx := context.Background()
	path := dbtest.Location(t)
	var stores [2]*Store
	for i := range stores {
		s, err := Open(ctx, path)
		if err != nil {
			t.Fatalf("Open %d: %v", i, err)
		}
		t.Cleanup(func() { s.Close() })
		stores[i] = s
	}
	a, b := stores[0], stores[1]
	countSignIn(t, a, signinT0, "#1", 3, "192.0.2.1", 10)
	countSignIn(t, b, signinT0, "#1", 3, "192.0.2.2", 10)
	start, _ := countSignIn(t, a, signinT0.Add(time.Second), "#1", 3, "192.0.2.2", 10)
	if _, wait := countSignIn(t, b, signinT0.Add(10*time.Second), "#1", 3, "192.0.2.3", 10); wait != 50*time.Second {
		t.Fatalf("fourth attempt on the other store: wait %v, want 50s", wait)
	}
	// The address's window began with the second attempt, on the other
	// store.
	if !start.Equal(signinT0) {
		t.Fatalf("address window started %v, want %v", start, signinT0)
	}
	if err := b.RefundSignIn(ctx, "#1", "192.0.2.2", start); err != nil {
		t.Fatal(err)
	}
	for _, s := range stores {
		if n := signinFailures(t, s, signinAccount, "#1"); n != 0 {
			t.Errorf("account failures after a success: %d, want 0", n)
		}
		if n := signinFailures(t, s, signinAddress, "192.0.2.2"); n != 1 {
			t.Errorf("address failures after a success: %d, want 1", n)
		}
	}
	if _, wait := countSignIn(t, a, signinT0.Add(10*time.Second), "#1", 3, "192.0.2.3", 10); wait != 0 {
		t.Fatalf("refused after the account's success on the other store: wait %v", wait)
	}
}

// An attempt refused by either limit counts nothing; when both keys are at
// their limits the wait is until both windows have ended.
func TestSignInRefusalCountsNothing(t *testing.T) {
	s := openTest(t)
	countSignIn(t, s, signinT0, "#1", 1, "192.0.2.1", 5)
	countSignIn(t, s, signinT0.Add(20*time.Second), "#2", 5, "192.0.2.1", 2)
	_, wait := countSignIn(t, s, signinT0.Add(30*time.Second), "#1", 1, "192.0.2.1", 2)
	if wait != 30*time.Second {
		t.Fatalf("both at their limits: wait %v, want 30s", wait)
	}
	_, wait = countSignIn(t, s, signinT0.Add(30*time.Second), "#3", 1, "192.0.2.1", 2)
	if wait != 30*time.Second {
		t.Fatalf("address at its limit: wait %v, want 30s", wait)
	}
	if n := signinFailures(t, s, signinAccount, "#3"); n != 0 {
		t.Errorf("a refused attempt counted %d failures for its account", n)
	}
	if n := signinFailures(t, s, signinAddress, "192.0.2.1"); n != 2 {
		t.Errorf("address failures %d after refusals, want 2", n)
	}
	// An empty key counts nothing, and limits nothing.
	countSignIn(t, s, signinT0, "", 1, "", 1)
	if _, wait := countSignIn(t, s, signinT0, "", 1, "", 1); wait != 0 {
		t.Fatalf("empty keys refused: wait %v", wait)
	}
	if n := count(t, s, `SELECT count(*) FROM signin_attempts WHERE key = ''`); n != 0 {
		t.Errorf("%d rows for empty keys", n)
	}
}

// A success takes one failure back from its address's window only while
// that window lasts; a window begun since never counted it.
func TestSignInRefundIsForItsOwnWindow(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	old, _ := countSignIn(t, s, signinT0.Add(123456789*time.Nanosecond), "#1", 5, "192.0.2.1", 5)
	countSignIn(t, s, signinT0.Add(2*time.Second), "#2", 5, "192.0.2.1", 5)
	if err := s.RefundSignIn(ctx, "#1", "192.0.2.1", old); err != nil {
		t.Fatal(err)
	}
	if n := signinFailures(t, s, signinAddress, "192.0.2.1"); n != 1 {
		t.Fatalf("after a refund in the window (begun at %v): %d failures, want 1", old, n)
	}
	stale, _ := countSignIn(t, s, signinT0.Add(3*time.Second), "#3", 5, "192.0.2.1", 5)
	countSignIn(t, s, signinT0.Add(2*time.Minute), "#4", 5, "192.0.2.1", 5) // a new window
	if err := s.RefundSignIn(ctx, "#3", "192.0.2.1", stale); err != nil {
		t.Fatal(err)
	}
	if n := signinFailures(t, s, signinAddress, "192.0.2.1"); n != 1 {
		t.Fatalf("a refund from an ended window changed the new one: %d failures, want 1", n)
	}
}

// Ended windows are deleted by later attempts, a bounded batch at a time,
// and the live ones stay.
func TestSignInSweepIsBounded(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	const stale = 2*signinSweepBatch + 10
	if err := s.writeTx(ctx, changesNothingCached, func(tx *sql.Tx) error {
		for i := range stale {
			if _, err := tx.ExecContext(ctx, `INSERT INTO signin_attempts (kind, key, failures, started) VALUES (?, ?, 1, ?)`,
				signinAddress, fmt.Sprintf("198.51.100.%d", i), timestamp(signinT0.Add(-time.Minute))); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	countSignIn(t, s, signinT0.Add(-time.Second), "#live", 5, "", 5)
	rows := func() int { return count(t, s, `SELECT count(*) FROM signin_attempts`) }
	want := stale + 1
	for want > 1 {
		countSignIn(t, s, signinT0, "", 5, "", 5)
		want = max(want-signinSweepBatch, 1)
		if n := rows(); n != want {
			t.Fatalf("after a sweep: %d rows, want %d", n, want)
		}
	}
	if n := signinFailures(t, s, signinAccount, "#live"); n != 1 {
		t.Fatalf("a live window was swept: %d failures", n)
	}
}

// The limiter's statements read by index, however many rows the table
// holds: without statistics, and with those ANALYZE takes of a table of
// windows begun at many different times.
func TestSignInQueriesUseIndexes(t *testing.T) {
	s := openSQLiteTest(t) // SQLite's planner: checked on every run
	for i := range 200 {
		countSignIn(t, s, signinT0.Add(time.Duration(i)*time.Second), fmt.Sprint("#", i), 5, fmt.Sprint("192.0.2.", i), 5)
	}
	now := timestamp(signinT0.Add(100 * time.Second))
	checkIndexedAfterAnalyze(t, s, []indexedQuery{
		{signinSweep, []any{now, signinSweepBatch}},
		{signinRead, []any{signinAccount, "#1", signinAddress, "192.0.2.1"}},
		{signinClear, []any{signinAccount, "#1"}},
		{signinRefund, []any{signinAddress, "192.0.2.1", now}},
	})
}

// indexedQuery is a statement with its arguments, for
// checkIndexedAfterAnalyze.
type indexedQuery struct {
	query string
	args  []any
}

// checkIndexedAfterAnalyze fails the test for each of qs that scans a
// table of s, without statistics and then with those ANALYZE takes.
func checkIndexedAfterAnalyze(t *testing.T, s *Store, qs []indexedQuery) {
	t.Helper()
	for _, stats := range []string{"none", "analyzed"} {
		if stats == "analyzed" {
			if _, err := s.write.ExecContext(context.Background(), `ANALYZE`); err != nil {
				t.Fatal(err)
			}
		}
		for _, q := range qs {
			if bad := fullScans(queryPlan(t, s, q.query, q.args...)); len(bad) > 0 {
				t.Errorf("statistics %s: %s\nscans %s", stats, strings.Join(strings.Fields(q.query), " "), strings.Join(bad, "; "))
			}
		}
	}
}
