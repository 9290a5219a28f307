// Package signin limits guessing at sign-in: it counts failed attempts per
// account and per client address and refuses more once either reaches its
// limit, for a while.
package signin

import (
	"sync"
	"time"
)

// Limits are how many failed sign-ins are allowed in a window.
type Limits struct {
	// PerAccount failures for one account, and PerAddress from one client
	// address, within Window of the first: further attempts are refused
	// until the window ends.
	PerAccount int
	PerAddress int
	Window     time.Duration
	// MaxEntries bounds each of the two tables (accounts, addresses).
	MaxEntries int
}

// DefaultLimits: 5 failures per account or 20 per address in 15
// minutes.
func DefaultLimits() Limits {
	return Limits{PerAccount: 5, PerAddress: 20, Window: 15 * time.Minute, MaxEntries: 20_000}
}

// Limiter counts failed sign-ins in memory, per account and per
// client address. Every attempt counts as a failure from the moment it
// begins, so a burst of concurrent guesses cannot slip past the limit; a
// success takes it back (and clears the account's count). Entries older
// than the window are dropped, and each table holds at most MaxEntries.
type Limiter struct {
	limits Limits
	now    func() time.Time

	mu        sync.Mutex
	accounts  map[string]failures
	addresses map[string]failures
	swept     time.Time
}

// failures are the failures counted for a key since start.
type failures struct {
	count int
	start time.Time
}

// NewLimiter builds a limiter; now nil is time.Now.
func NewLimiter(limits Limits, now func() time.Time) *Limiter {
	if now == nil {
		now = time.Now
	}
	if limits.MaxEntries <= 0 {
		limits.MaxEntries = DefaultLimits().MaxEntries
	}
	return &Limiter{limits: limits, now: now, accounts: map[string]failures{}, addresses: map[string]failures{}}
}

// Attempt is a sign-in attempt the limiter let through, counted as failed
// until it Succeeded.
type Attempt struct {
	l                *Limiter
	account, address string
	addressStart     time.Time
}

// Begin counts an attempt for account ("" for none) from address. When
// either has reached its limit, it counts nothing and returns how long
// until the limit ends.
func (l *Limiter) Begin(account, address string) (Attempt, time.Duration) {
	if l == nil {
		return Attempt{}, 0
	}
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.swept) >= time.Minute {
		l.sweep(now)
	}
	wait := max(l.wait(l.addresses, address, l.limits.PerAddress, now),
		l.wait(l.accounts, account, l.limits.PerAccount, now))
	if wait > 0 {
		return Attempt{}, wait
	}
	a := Attempt{l: l, account: account, address: address}
	a.addressStart = l.count(l.addresses, address, l.limits.PerAddress, now)
	l.count(l.accounts, account, l.limits.PerAccount, now)
	return a, 0
}

// Succeeded clears the account's failures and takes back the attempt
// counted for the address.
func (a Attempt) Succeeded() {
	l := a.l
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.accounts, a.account)
	if f, ok := l.addresses[a.address]; ok && f.start.Equal(a.addressStart) && f.count > 0 {
		f.count--
		l.addresses[a.address] = f
	}
}

func (l *Limiter) live(f failures, now time.Time) bool {
	return now.Before(f.start.Add(l.limits.Window))
}

// wait is how long key stays refused, 0 if it is not.
func (l *Limiter) wait(m map[string]failures, key string, limit int, now time.Time) time.Duration {
	f, ok := m[key]
	if key == "" || !ok || !l.live(f, now) || f.count < limit {
		return 0
	}
	return f.start.Add(l.limits.Window).Sub(now)
}

// count adds a failure for key and returns the start of its window.
func (l *Limiter) count(m map[string]failures, key string, limit int, now time.Time) time.Time {
	if key == "" {
		return time.Time{}
	}
	f, ok := m[key]
	if !ok || !l.live(f, now) {
		if !ok && len(m) >= l.limits.MaxEntries && !l.makeRoom(m, limit, now) {
			// Every entry is a key at its limit: keep refusing those,
			// and let this one go uncounted rather than forget them.
			return time.Time{}
		}
		f = failures{start: now}
	}
	f.count++
	m[key] = f
	return f.start
}

// sweep drops the entries whose window has ended.
func (l *Limiter) sweep(now time.Time) {
	l.swept = now
	for _, m := range []map[string]failures{l.accounts, l.addresses} {
		for k, f := range m {
			if !l.live(f, now) {
				delete(m, k)
			}
		}
	}
}

// makeRoom frees space in a full table: first the ended windows, then the
// keys still under their limit (whose few failures are forgotten sooner
// than the window says). It reports whether there is room.
func (l *Limiter) makeRoom(m map[string]failures, limit int, now time.Time) bool {
	l.sweep(now)
	if len(m) < l.limits.MaxEntries {
		return true
	}
	for k, f := range m {
		if f.count < limit {
			delete(m, k)
		}
	}
	return len(m) < l.limits.MaxEntries
}
