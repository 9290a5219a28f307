package signin

import (
	"fmt"
	"testing"
	"time"
)

// A flood of sign-in failures under made-up logins neither grows the
// limiter past its bound nor frees an account that reached its limit.
func TestSignInLimiterMemoryIsBounded(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	l := NewLimiter(Limits{PerAccount: 2, PerAddress: 3, Window: time.Minute, MaxEntries: 10},
		func() time.Time { return now })
	for range 2 {
		if _, wait := l.Begin("victim", "198.51.100.1"); wait != 0 {
			t.Fatalf("refused before the limit: %v", wait)
		}
	}
	if _, wait := l.Begin("victim", "198.51.100.2"); wait != time.Minute {
		t.Fatalf("victim at the limit: wait %v, want 1m", wait)
	}
	for i := range 1000 {
		l.Begin(fmt.Sprintf("made-up-%d", i), fmt.Sprintf("203.0.113.%d", i%250))
		if len(l.accounts) > 10 || len(l.addresses) > 10 {
			t.Fatalf("after %d failures: %d accounts, %d addresses kept, want at most 10", i+1, len(l.accounts), len(l.addresses))
		}
	}
	now = now.Add(30 * time.Second)
	if _, wait := l.Begin("victim", "198.51.100.3"); wait != 30*time.Second {
		t.Fatalf("victim after the flood: wait %v, want 30s", wait)
	}
	// Once the window has passed, the tables empty out.
	now = now.Add(31 * time.Second)
	if _, wait := l.Begin("victim", "198.51.100.3"); wait != 0 {
		t.Fatalf("victim after the window: wait %v", wait)
	}
	if len(l.accounts) != 1 || len(l.addresses) != 1 {
		t.Fatalf("after the window: %d accounts, %d addresses kept, want 1 and 1", len(l.accounts), len(l.addresses))
	}
}

// A success takes back its own attempt from the address's count, and only
// within the window it was counted in.
func TestSignInLimiterRefundsSuccesses(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	l := NewLimiter(Limits{PerAccount: 5, PerAddress: 2, Window: time.Minute}, func() time.Time { return now })
	for i := range 10 {
		a, wait := l.Begin(fmt.Sprintf("user-%d", i), "192.0.2.1")
		if wait != 0 {
			t.Fatalf("success %d refused", i)
		}
		a.Succeeded()
	}
	l.Begin("x", "192.0.2.1")
	stale, _ := l.Begin("y", "192.0.2.1")
	now = now.Add(time.Minute)
	l.Begin("z", "192.0.2.1") // a new window, one failure
	stale.Succeeded()         // from the old window: changes nothing now
	if _, wait := l.Begin("w", "192.0.2.1"); wait != 0 {
		t.Fatal("refused at one failure of two")
	}
	if _, wait := l.Begin("v", "192.0.2.1"); wait == 0 {
		t.Fatal("not refused at two failures of two")
	}
}
