package service

import (
	"context"
	"errors"
	"time"

	"patpolicy/db"
	"patpolicy/hooks/payload"
	"patpolicy/policy"
	"patpolicy/web/paths"
)

// ExpiryStore is what the background work on tokens writes.
type ExpiryStore interface {
	SendExpiryNotices(ctx context.Context, now time.Time, limit int, follow func(db.ExpiringToken) db.FollowUp) (int, error)
	RevokeInactive(ctx context.Context, now time.Time, limit int, follow func(days int) db.Follow) (int, error)
}

// DefaultBatch is how many notices, and how many revocations, one run
// handles at most: what is left waits for the next run.
const DefaultBatch = 500

// Expiry tells tokens' owners of their tokens' coming expiry and revokes
// the grants of tokens left unused longer than their organization allows.
// Each run is one bounded batch of each, claimed in the store's write
// transactions, so any number of instances may run it at once.
type Expiry struct {
	Store ExpiryStore
	// Batch caps each run's notices and revocations; 0 is DefaultBatch.
	Batch int
}

// ExpiryRun is what one run did.
type ExpiryRun struct {
	Notices int
	Revoked int
}

// RunOnce does one batch of each at now.
func (x Expiry) RunOnce(ctx context.Context, now time.Time) (ExpiryRun, error) {
	batch := x.Batch
	if batch <= 0 {
		batch = DefaultBatch
	}
	var run ExpiryRun
	var errN, errR error
	run.Notices, errN = x.Store.SendExpiryNotices(ctx, now, batch, ExpiryNoticed)
	run.Revoked, errR = x.Store.RevokeInactive(ctx, now, batch, RevokedInactive)
	return run, errors.Join(errN, errR)
}

// Run is RunOnce for a loop that only needs its error.
func (x Expiry) Run(ctx context.Context, now time.Time) error {
	_, err := x.RunOnce(ctx, now)
	return err
}

// ExpiryNoticed is what follows an expiry notice due: the token's owner is
// told, with a link to the token, and a token for an organization is
// announced to the organization's webhooks (expiring, or expired).
func ExpiryNoticed(t db.ExpiringToken) db.FollowUp {
	up := db.FollowUp{Notices: []db.Notice{{UserID: t.UserID,
		Message: policy.ExpiryNotice(t.Notice, t.Kind, t.Name), Link: paths.Token(t.Kind, t.ID)}}}
	if t.OrgID != 0 {
		action := "expiring"
		if t.Notice == policy.NoticeExpired {
			action = "expired"
		}
		up.Hooks = []db.HookEvent{{Event: payload.EventToken, Action: action, TokenID: t.ID}}
	}
	return up
}

// RevokedInactive is what follows a grant revoked for going unused days
// days: its audit event (reason "inactive") and a notice to its owner.
func RevokedInactive(days int) db.Follow {
	return func(c db.GrantChange) db.FollowUp {
		event, message := policy.RevokedInactive(c.Subject, days)
		return db.FollowUp{ByRule: []policy.Event{event}, Notices: []db.Notice{{UserID: c.UserID, Message: message,
			Link: paths.Token(policy.KindFineGrained, c.TokenID)}},
			Hooks: []db.HookEvent{{Event: payload.EventToken, Action: "revoked", TokenID: c.TokenID}}}
	}
}
