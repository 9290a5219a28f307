package db

import (
	"context"
	"fmt"
	"testing"
	"time"

	"patpolicy/db/dbtest"
	"patpolicy/policy"
)

var callT0 = time.Date(2026, 4, 1, 8, 0, 0, 0, time.UTC)

func countCall(t *testing.T, s *Store, now time.Time, key string) (CallWindow, bool) {
	t.Helper()
	w, ok, err := s.CountCall(context.Background(), now, time.Minute, "test", key, 3)
	if err != nil {
		t.Fatal(err)
	}
	return w, ok
}

// Two stores on one database count into the same windows: calls counted
// by one are refused by the other; a window ends a minute after its first
// call; a refusal counts nothing; another limit's windows are its own.
func TestCallCountsAreSharedByTwoStores(t *testing.T) {
	path := dbtest.Location(t)
	var stores [2]*Store
	for i := range stores {
		s, err := Open(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		stores[i] = s
	}
	a, b := stores[0], stores[1]
	countCall(t, a, callT0, "192.0.2.1")
	countCall(t, b, callT0.Add(time.Second), "192.0.2.1")
	if w, ok := countCall(t, a, callT0.Add(2*time.Second), "192.0.2.1"); !ok || w.Used != 3 || !w.Reset.Equal(callT0.Add(time.Minute)) {
		t.Fatalf("third call: %v %+v", ok, w)
	}
	if w, ok := countCall(t, b, callT0.Add(59*time.Second), "192.0.2.1"); ok || w.Used != 3 {
		t.Fatalf("fourth call on the other store: %v %+v", ok, w)
	}
	if _, ok := countCall(t, b, callT0.Add(3*time.Second), "192.0.2.2"); !ok {
		t.Fatal("another key was refused")
	}
	if _, ok, err := b.CountCall(context.Background(), callT0.Add(3*time.Second), time.Minute, "other", "192.0.2.1", 3); err != nil || !ok {
		t.Fatalf("another limit: %v, %v", ok, err)
	}
	if w, ok := countCall(t, a, callT0.Add(time.Minute), "192.0.2.1"); !ok || w.Used != 1 || !w.Reset.Equal(callT0.Add(2*time.Minute)) {
		t.Fatalf("after the window: %v %+v", ok, w)
	}
}

// The sweep deletes ended windows of its own limit only, a batch at a
// time.
func TestCallSweepIsBoundedAndPerLimit(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	for i := range callSweepBatch + 10 {
		if _, _, err := s.CountCall(ctx, callT0, time.Minute, "test", fmt.Sprint("198.51.100.", i), 3); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := s.CountCall(ctx, callT0, time.Hour, "other", "x", 3); err != nil {
		t.Fatal(err)
	}
	countCall(t, s, callT0.Add(2*time.Minute), "live")
	if n := count(t, s, `SELECT count(*) FROM call_windows WHERE name = 'test'`); n != 11 {
		t.Fatalf("%d windows of the limit left, want 11 (10 ended, 1 live)", n)
	}
	if n := count(t, s, `SELECT count(*) FROM call_windows WHERE name = 'other'`); n != 1 {
		t.Fatal("another limit's window was swept")
	}
}

// The counting statements and the revocation's two lookups read by index.
func TestCallAndRevokeQueriesUseIndexes(t *testing.T) {
	s := openSQLiteTest(t) // SQLite's planner: checked on every run
	for i := range 200 {
		countCall(t, s, callT0.Add(time.Duration(i)*time.Second), fmt.Sprint("192.0.2.", i))
	}
	hashes := make([]any, 1000)
	for i := range hashes {
		hashes[i] = policy.HashToken(fmt.Sprint(i))
	}
	now := timestamp(callT0.Add(100 * time.Second))
	checkIndexedAfterAnalyze(t, s, []indexedQuery{
		{callSweep, []any{"test", now, callSweepBatch}},
		{callRead, []any{"test", "192.0.2.1"}},
		{revokeLookupSQL + placeholders(len(hashes)) + `) ORDER BY t.id`, hashes},
		{revokeOrgsSQL + `?, ?) ORDER BY o.login`, []any{1, 2}},
	})
}

// BenchmarkRevokeCredentials is one call to revoke by value naming a
// thousand secrets of which none is a token (the lookup and the
// transaction, as a flood of guesses costs), and one that counts the
// call's address.
func BenchmarkRevokeCredentials(b *testing.B) {
	s := openTest(b)
	ctx := context.Background()
	hashes := make([][]byte, 1000)
	for i := range hashes {
		hashes[i] = policy.HashToken(fmt.Sprint("guess-", i))
	}
	b.Run("lookup-1000", func(b *testing.B) {
		for b.Loop() {
			if _, err := s.RevokeCredentials(ctx, hashes, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("count-call", func(b *testing.B) {
		i := 0
		for b.Loop() {
			i++
			if _, _, err := s.CountCall(ctx, callT0, time.Hour, "bench", fmt.Sprint(i%5000), 60); err != nil {
				b.Fatal(err)
			}
		}
	})
}
