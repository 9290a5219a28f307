// Package signin limits guessing at sign-in: it counts failed attempts per
// account and per client address and refuses more once either reaches its
// limit, for a while. The rules are here; the counts are kept by the store,
// so that every server on one database counts the same failures.
package signin

import (
	"context"
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
}

// DefaultLimits: 5 failures per account or 20 per address in 15
// minutes.
func DefaultLimits() Limits {
	return Limits{PerAccount: 5, PerAddress: 20, Window: 15 * time.Minute}
}

// Counts keeps the failure counts, shared by every process that signs
// people in (the store implements it). Each call is atomic: no other
// attempt, in this process or another, comes between its check and its
// count.
type Counts interface {
	// CountSignIn counts an attempt at now as a failure for account and
	// for address (a "" key counts nothing), each in a window of its own
	// that starts with its first failure and lasts window; unless either
	// has already reached its limit within its window: then it counts
	// nothing and returns how long until that ends. It returns the start
	// of the address's window.
	CountSignIn(ctx context.Context, now time.Time, window time.Duration,
		account string, accountLimit int, address string, addressLimit int) (addressStart time.Time, wait time.Duration, err error)
	// RefundSignIn takes back an attempt that succeeded: it clears the
	// account's count, and takes one failure from the address's if its
	// window still started at addressStart.
	RefundSignIn(ctx context.Context, account, address string, addressStart time.Time) error
}

// Limiter limits failed sign-ins per account and per client address. Every
// attempt counts as a failure from the moment it begins, so a burst of
// concurrent guesses cannot slip past the limit; a success takes it back
// (and clears the account's count). The counts live in Counts: this process
// holds none, so a limit holds across every server on the database, and
// how many keys are counted is bounded by the store, which deletes the
// windows that ended, not by a table size here.
type Limiter struct {
	counts Counts
	limits Limits
	now    func() time.Time
}

// NewLimiter builds a limiter counting in counts; now nil is time.Now.
func NewLimiter(counts Counts, limits Limits, now func() time.Time) *Limiter {
	if now == nil {
		now = time.Now
	}
	return &Limiter{counts: counts, limits: limits, now: now}
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
// until the limit ends. When the counts cannot be read or written, it
// returns their error: the attempt must be refused, not let through
// uncounted.
func (l *Limiter) Begin(ctx context.Context, account, address string) (Attempt, time.Duration, error) {
	if l == nil {
		return Attempt{}, 0, nil
	}
	start, wait, err := l.counts.CountSignIn(ctx, l.now(), l.limits.Window,
		account, l.limits.PerAccount, address, l.limits.PerAddress)
	if err != nil || wait > 0 {
		return Attempt{}, wait, err
	}
	return Attempt{l: l, account: account, address: address, addressStart: start}, 0, nil
}

// Succeeded clears the account's failures and takes back the attempt
// counted for the address, if the address's window is still the one it
// was counted in.
func (a Attempt) Succeeded(ctx context.Context) error {
	if a.l == nil {
		return nil
	}
	return a.l.counts.RefundSignIn(ctx, a.account, a.address, a.addressStart)
}
