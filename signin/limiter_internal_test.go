package signin

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"patpolicy/db"
)

// openStore is a store on a fresh database, where the limiter keeps its
// counts.
func openStore(t *testing.T) *db.Store {
	t.Helper()
	s, err := db.Open(context.Background(), filepath.Join(t.TempDir(), "t.db"))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// begin is Begin, failing the test on an error of the store.
func begin(t *testing.T, l *Limiter, account, address string) (Attempt, time.Duration) {
	t.Helper()
	a, wait, err := l.Begin(context.Background(), account, address)
	if err != nil {
		t.Fatalf("Begin(%s, %s): %v", account, address, err)
	}
	return a, wait
}

func succeeded(t *testing.T, a Attempt) {
	t.Helper()
	if err := a.Succeeded(context.Background()); err != nil {
		t.Fatalf("Succeeded: %v", err)
	}
}

// A flood of sign-in failures under made-up logins does not free an
// account that reached its limit, and once the window has passed the
// account may try again. (The store deletes the ended windows: its own
// tests check that.)
func TestSignInLimiterFloodFreesNoLimitedAccount(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	l := NewLimiter(openStore(t), Limits{PerAccount: 2, PerAddress: 3, Window: time.Minute},
		func() time.Time { return now })
	for range 2 {
		if _, wait := begin(t, l, "victim", "198.51.100.1"); wait != 0 {
			t.Fatalf("refused before the limit: %v", wait)
		}
	}
	if _, wait := begin(t, l, "victim", "198.51.100.2"); wait != time.Minute {
		t.Fatalf("victim at the limit: wait %v, want 1m", wait)
	}
	for i := range 300 {
		begin(t, l, fmt.Sprintf("made-up-%d", i), fmt.Sprintf("203.0.113.%d", i%250))
	}
	now = now.Add(30 * time.Second)
	if _, wait := begin(t, l, "victim", "198.51.100.3"); wait != 30*time.Second {
		t.Fatalf("victim after the flood: wait %v, want 30s", wait)
	}
	now = now.Add(31 * time.Second)
	if _, wait := begin(t, l, "victim", "198.51.100.3"); wait != 0 {
		t.Fatalf("victim after the window: wait %v", wait)
	}
}

// A success takes back its own attempt from the address's count, and only
// within the window it was counted in.
func TestSignInLimiterRefundsSuccesses(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	l := NewLimiter(openStore(t), Limits{PerAccount: 5, PerAddress: 2, Window: time.Minute}, func() time.Time { return now })
	for i := range 10 {
		a, wait := begin(t, l, fmt.Sprintf("user-%d", i), "192.0.2.1")
		if wait != 0 {
			t.Fatalf("success %d refused", i)
		}
		succeeded(t, a)
	}
	begin(t, l, "x", "192.0.2.1")
	stale, _ := begin(t, l, "y", "192.0.2.1")
	now = now.Add(time.Minute)
	begin(t, l, "z", "192.0.2.1") // a new window, one failure
	succeeded(t, stale)           // from the old window: changes nothing now
	if _, wait := begin(t, l, "w", "192.0.2.1"); wait != 0 {
		t.Fatal("refused at one failure of two")
	}
	if _, wait := begin(t, l, "v", "192.0.2.1"); wait == 0 {
		t.Fatal("not refused at two failures of two")
	}
}

// A success clears the account's count, whatever address it came from.
func TestSignInLimiterSuccessClearsTheAccount(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	l := NewLimiter(openStore(t), Limits{PerAccount: 2, PerAddress: 100, Window: time.Minute}, func() time.Time { return now })
	begin(t, l, "mona", "192.0.2.1")
	a, _ := begin(t, l, "mona", "192.0.2.2")
	succeeded(t, a)
	begin(t, l, "mona", "192.0.2.3")
	if _, wait := begin(t, l, "mona", "192.0.2.3"); wait != 0 {
		t.Fatalf("refused at one failure of two after a success: wait %v", wait)
	}
	if _, wait := begin(t, l, "mona", "192.0.2.3"); wait != time.Minute {
		t.Fatalf("at two failures of two: wait %v, want 1m", wait)
	}
}

// When the counts cannot be kept, the attempt is refused with the store's
// error, never let through uncounted.
func TestSignInLimiterRefusesWhenTheStoreFails(t *testing.T) {
	s := openStore(t)
	l := NewLimiter(s, DefaultLimits(), nil)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	a, wait, err := l.Begin(context.Background(), "mona", "192.0.2.1")
	if err == nil {
		t.Fatalf("Begin on a closed store = %+v, %v, nil; want an error", a, wait)
	}
}

// A nil limiter limits nothing.
func TestNilSignInLimiterLetsEveryAttemptThrough(t *testing.T) {
	var l *Limiter
	a, wait, err := l.Begin(context.Background(), "mona", "192.0.2.1")
	if wait != 0 || err != nil {
		t.Fatalf("nil limiter: wait %v, err %v", wait, err)
	}
	if err := a.Succeeded(context.Background()); err != nil {
		t.Fatal(err)
	}
}
