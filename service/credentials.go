package service

import (
	"context"
	"time"

	"patpolicy/db"
	"patpolicy/hooks/payload"
	"patpolicy/policy"
	"patpolicy/web/paths"
)

// CredentialStore is what revoking tokens by their value reads and writes.
type CredentialStore interface {
	CountCall(ctx context.Context, now time.Time, window time.Duration, name, key string, limit int) (db.CallWindow, bool, error)
	RevokeCredentials(ctx context.Context, hashes [][]byte, follow db.FollowCredential) ([]db.RevokedCredential, error)
}

// RevokeLimit is how many calls to revoke by value one client address may
// make in RevokeWindow, counted across every process on the database.
const (
	RevokeLimit  = 60
	RevokeWindow = time.Hour
)

// revokeCalls names the count of calls to revoke by value.
const revokeCalls = "credentials_revoke"

// Credentials revokes tokens by their value: whoever finds a secret
// exposed may have it deleted without owning it, or signing in.
type Credentials struct {
	Store CredentialStore
	Now   func() time.Time
}

// Count counts a call to revoke by value from a client address: ok is
// false when the address has used up its window (the call is not
// counted). The window is as it stands after the call.
func (s Credentials) Count(ctx context.Context, address string) (db.CallWindow, bool, error) {
	return s.Store.CountCall(ctx, s.Now(), RevokeWindow, revokeCalls, address, RevokeLimit)
}

// Revoke deletes every token whose secret is among values, in one
// transaction, with each token's owner told (never the secret) and the
// deletion audited where the token could reach (see
// db.RevokedCredential.Orgs). A value that is not a token's secret, in
// shape or in fact, is ignored. It returns the tokens deleted.
func (s Credentials) Revoke(ctx context.Context, values []string) ([]db.RevokedCredential, error) {
	hashes := make([][]byte, 0, len(values))
	for _, v := range values {
		if _, err := policy.ParseToken(v); err == nil {
			hashes = append(hashes, policy.HashToken(v))
		}
	}
	if len(hashes) == 0 {
		return nil, nil
	}
	return s.Store.RevokeCredentials(ctx, hashes, credentialRevoked)
}

// credentialRevoked is what a token deleted by its value brings with it:
// a notice to its owner, and an event in each organization it could reach.
func credentialRevoked(r db.RevokedCredential) []db.OrgFollowUp {
	ups := []db.OrgFollowUp{{FollowUp: db.FollowUp{Notices: []db.Notice{{UserID: r.UserID,
		Message: policy.CredentialRevokedNotice(r.Kind, r.Name), Link: paths.Tokens(r.Kind)}}}}}
	for _, o := range r.Orgs {
		t := policy.TokenSubject{Name: r.Name, Owner: r.Owner, Org: o.Login}
		ups = append(ups, db.OrgFollowUp{OrgID: o.ID, FollowUp: db.FollowUp{Events: []policy.Event{policy.CredentialRevoked(t)},
			Hooks: credentialHooks(r)}})
	}
	return ups
}

// credentialHooks are the webhook events of a fine-grained token deleted
// by its value, in its grant's organization: a pending request is
// cancelled, an approved token revoked. A classic token holds no grant and
// is announced to no webhook.
func credentialHooks(r db.RevokedCredential) []db.HookEvent {
	switch {
	case r.GrantID == 0:
		return nil
	case r.Status == policy.GrantPending:
		return cancelledHooks(db.GrantChange{TokenID: r.TokenID})
	case r.Status == policy.GrantApproved:
		return []db.HookEvent{{Event: payload.EventToken, Action: "revoked", TokenID: r.TokenID}}
	}
	return nil
}
