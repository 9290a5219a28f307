package service

import (
	"context"
	"errors"
	"io"

	"patpolicy/db"
	"patpolicy/hooks/payload"
	"patpolicy/policy"
	"patpolicy/web/paths"
)

// TokenStore is what a developer's own token flows read and write.
type TokenStore interface {
	TokenTargets(ctx context.Context, userID int64) ([]db.Target, error)
	CreateToken(ctx context.Context, nt db.NewToken) (int64, error)
	DeleteToken(ctx context.Context, userID, tokenID int64, follow db.Follow) error
	CancelRequest(ctx context.Context, userID, tokenID int64, follow db.Follow) error
	TokenOf(ctx context.Context, userID, tokenID int64) (db.Token, error)
	RegenerateToken(ctx context.Context, ns db.NewSecret) (policy.GrantStatus, error)
}

// Tokens creates and withdraws a developer's own tokens: it checks a
// request against the rules, draws the secret, and decides what follows
// each change (the organization's audit events, its owners' notifications),
// which the store writes with the change in one transaction.
type Tokens struct {
	Store TokenStore
	// Random is the source of token secrets (crypto/rand.Reader).
	Random io.Reader
}

// Issued is a token just stored, with its secret: shown once, never kept.
type Issued struct {
	ID     int64
	Secret string
}

// FineGrainedRequest is a new fine-grained token as a user asks for it.
type FineGrainedRequest struct {
	UserID int64
	// ForUser asks for a token owned by the user; otherwise Org is the
	// login of the organization the token is for.
	ForUser bool
	Org     string
	Input   policy.TokenInput
}

// Invalid is a token request the rules refuse, with what is wrong with
// each field.
type Invalid struct{ Errors policy.Errors }

func (e *Invalid) Error() string { return "service: invalid token request" }

// Taken is a request for a name (a classic token's note) the user already
// gives one of their tokens of that kind.
type Taken struct {
	Kind policy.Kind
	Name string
}

func (e *Taken) Error() string { return "service: token name taken" }

// ErrNoSuchOwner is a request for an organization the user cannot create a
// token for: not a member, or fine-grained tokens not offered there.
var ErrNoSuchOwner = errors.New("service: no such resource owner")

// ErrKeepsChanging is a creation given up because the organization's
// policy changed under it at every try: nothing was created.
var ErrKeepsChanging = errors.New("service: organization policy keeps changing")

// staleTries is how many times a creation is checked again against a
// policy saved meanwhile before ErrKeepsChanging.
const staleTries = 3

// CreateFineGrained checks and stores a new fine-grained token. A policy
// saved meanwhile is noticed by its version, and the request is checked
// again against the new one. Targets are the organizations the request
// was checked against (for a form shown again), filled whenever they were
// read.
func (s Tokens) CreateFineGrained(ctx context.Context, r FineGrainedRequest) (issued Issued, targets []db.Target, err error) {
	for try := 1; ; try++ {
		if targets, err = s.Store.TokenTargets(ctx, r.UserID); err != nil {
			return Issued{}, nil, err
		}
		nt := db.NewToken{UserID: r.UserID, Kind: policy.KindFineGrained}
		var target *policy.TokenTarget
		var rule policy.AutoApproval
		if !r.ForUser {
			t, ok := findTarget(targets, r.Org)
			if !ok || !t.Rules.Offered() {
				return Issued{}, targets, ErrNoSuchOwner
			}
			target, nt.OrgID, nt.OrgVersion, rule = &t.Rules, t.OrgID, t.Version, t.AutoApproval
		}
		req, errs := policy.CheckTokenRequest(r.Input, target)
		if len(errs) > 0 {
			return Issued{}, targets, &Invalid{Errors: errs}
		}
		if target != nil && req.Status == policy.GrantPending {
			if rule.AppliesIn(target.Effective) && rule.Covers(req) {
				req.Status, nt.Follow = policy.GrantApproved, CreatedByRule
			}
		}
		nt.FineGrained = req
		issued, err = s.create(ctx, nt)
		switch {
		case errors.Is(err, db.ErrStale) && try < staleTries:
			continue
		case errors.Is(err, db.ErrStale):
			return Issued{}, targets, ErrKeepsChanging
		case errors.Is(err, db.ErrDuplicateName):
			return Issued{}, targets, &Taken{Kind: policy.KindFineGrained, Name: req.Name}
		}
		return issued, targets, err
	}
}

// CreateClassic checks and stores a new classic token of a user.
func (s Tokens) CreateClassic(ctx context.Context, userID int64, in policy.ClassicInput) (Issued, error) {
	req, errs := policy.CheckClassicRequest(in)
	if len(errs) > 0 {
		return Issued{}, &Invalid{Errors: errs}
	}
	issued, err := s.create(ctx, db.NewToken{UserID: userID, Kind: policy.KindClassic, Classic: req})
	if errors.Is(err, db.ErrDuplicateNote) {
		return Issued{}, &Taken{Kind: policy.KindClassic, Name: req.Note}
	}
	return issued, err
}

// create draws a secret for nt and stores the token, with only the
// secret's hash and prefix.
func (s Tokens) create(ctx context.Context, nt db.NewToken) (Issued, error) {
	secret, err := policy.GenerateToken(nt.Kind, s.Random)
	if err != nil {
		return Issued{}, err
	}
	nt.Hash, nt.Prefix = policy.HashToken(secret), policy.DisplayPrefix(secret)
	id, err := s.Add(ctx, nt)
	return Issued{ID: id, Secret: secret}, err
}

// Add stores a checked token whose secret the caller drew, with what
// follows its creation; the creations above, and tests that need to know
// the secret in advance, come through here.
func (s Tokens) Add(ctx context.Context, nt db.NewToken) (int64, error) {
	if nt.Follow == nil {
		nt.Follow = Created
	}
	return s.Store.CreateToken(ctx, nt)
}

// Delete deletes one of a user's tokens (db.ErrNotFound: no such token of
// theirs); the organization it had access to, or asked for, logs it.
func (s Tokens) Delete(ctx context.Context, userID, tokenID int64) error {
	return s.Store.DeleteToken(ctx, userID, tokenID, deleted)
}

// Cancel withdraws a user's pending request, and deletes its token
// (db.ErrNotFound: no such request of theirs; db.ErrNotPending: an owner
// reviewed it already).
func (s Tokens) Cancel(ctx context.Context, userID, tokenID int64) error {
	return s.Store.CancelRequest(ctx, userID, tokenID, cancelled)
}

// Created is what a new grant brings with it: the audit events the rules
// give, and for a request to review, a notification of every owner of the
// organization but the requester, linking to the request. The demo data
// is seeded with it too.
func Created(c db.GrantChange) db.FollowUp {
	events, askOwners := policy.GrantCreated(c.Subject, c.Status, c.ByOwner)
	up := db.FollowUp{Events: events}
	if c.Status == policy.GrantPending {
		up.Hooks = []db.HookEvent{{Event: payload.EventTokenRequest, Action: "created", TokenID: c.TokenID}}
	}
	if askOwners {
		up.Notices = []db.Notice{{OwnersOf: c.OrgID, Except: c.UserID,
			Message: policy.RequestNotice(c.Subject), Link: paths.OrgRequest(c.Subject.Org, c.GrantID)}}
	}
	return up
}

// CreatedByRule is what a request the organization's automatic approval
// rule approved at creation brings with it: the request created, acted by
// its requester; its approval, acted by the rule; and a notice telling the
// requester the rule approved it.
func CreatedByRule(c db.GrantChange) db.FollowUp {
	created, granted, notice := policy.GrantApprovedByRule(c.Subject, policy.RuleReadOnly)
	return db.FollowUp{Events: []policy.Event{created}, ByRule: []policy.Event{granted},
		Notices: []db.Notice{{UserID: c.UserID, Message: notice, Link: paths.Token(policy.KindFineGrained, c.TokenID)}},
		Hooks: []db.HookEvent{{Event: payload.EventTokenRequest, Action: "created", TokenID: c.TokenID},
			{Event: payload.EventTokenRequest, Action: "approved", TokenID: c.TokenID}}}
}

// deleted is what a token's deletion by its owner brings with it: a
// pending request deleted with its token is cancelled.
func deleted(c db.GrantChange) db.FollowUp {
	up := db.FollowUp{Events: policy.GrantDeleted(c.Subject, c.Status)}
	if c.Status == policy.GrantPending {
		up.Hooks = cancelledHooks(c)
	}
	return up
}

// cancelled is what a request's cancel brings with it.
func cancelled(c db.GrantChange) db.FollowUp {
	return db.FollowUp{Events: policy.GrantCancelled(c.Subject), Hooks: cancelledHooks(c)}
}

func cancelledHooks(c db.GrantChange) []db.HookEvent {
	return []db.HookEvent{{Event: payload.EventTokenRequest, Action: "cancelled", TokenID: c.TokenID}}
}

// Regeneration is a user's request to give one of their tokens a new
// secret, with the expiration chosen again.
type Regeneration struct {
	UserID     int64
	TokenID    int64
	Expiration string // days, or "none"
}

// Regenerated is a token given a new secret: the secret, shown once, and
// where its grant now stands ("" for none).
type Regenerated struct {
	Issued
	Status policy.GrantStatus
}

// Regenerate gives one of a user's tokens a new secret and a new expiry,
// keeping its name, description, permissions, repositories or scopes. The
// old secret is refused from then on. The expiration is checked as for a
// new token of the kind (for a fine-grained token of an organization,
// against the organization's policy now); where the organization's owners
// must approve the user's requests, an approved grant waits for them
// again, audited and announced as a new request. db.ErrNotFound: no such
// token of the user's; *Invalid: the expiration is refused.
func (s Tokens) Regenerate(ctx context.Context, r Regeneration) (Regenerated, error) {
	for try := 1; ; try++ {
		t, err := s.Store.TokenOf(ctx, r.UserID, r.TokenID)
		if err != nil {
			return Regenerated{}, err
		}
		ns := db.NewSecret{UserID: r.UserID, TokenID: r.TokenID, Follow: regenerated}
		var target *policy.TokenTarget
		if t.OrgID != 0 {
			targets, err := s.Store.TokenTargets(ctx, r.UserID)
			if err != nil {
				return Regenerated{}, err
			}
			found, ok := findTarget(targets, t.OrgLogin)
			if !ok {
				return Regenerated{}, &Invalid{Errors: policy.Errors{{Field: policy.FieldExpiration,
					Message: "You are no longer a member of " + t.OrgLogin + ": this token cannot be regenerated."}}}
			}
			target, ns.OrgID, ns.OrgVersion = &found.Rules, found.OrgID, found.Version
			ns.NeedsApproval = found.Rules.NeedsApproval()
		}
		var was policy.GrantStatus
		if t.Grant != nil {
			was = t.Grant.Status
		}
		checked, errs := policy.CheckRegeneration(t.Kind, r.Expiration, target, was)
		if len(errs) > 0 {
			return Regenerated{}, &Invalid{Errors: errs}
		}
		ns.ExpiresInDays = checked.ExpiresInDays
		secret, err := policy.GenerateToken(t.Kind, s.Random)
		if err != nil {
			return Regenerated{}, err
		}
		ns.Hash, ns.Prefix = policy.HashToken(secret), policy.DisplayPrefix(secret)
		status, err := s.Store.RegenerateToken(ctx, ns)
		switch {
		case errors.Is(err, db.ErrStale) && try < staleTries:
			continue
		case errors.Is(err, db.ErrStale):
			return Regenerated{}, ErrKeepsChanging
		case err != nil:
			return Regenerated{}, err
		}
		return Regenerated{Issued: Issued{ID: r.TokenID, Secret: secret}, Status: status}, nil
	}
}

// regenerated is what a token's new secret brings with it in an
// organization whose audit log records it: the regeneration, and, for a
// grant that went back to pending, what a new request brings (its event,
// and the owners asked to review it).
func regenerated(c db.GrantChange) db.FollowUp {
	up := db.FollowUp{Events: []policy.Event{policy.RegeneratedEvent(c.Subject)}}
	if c.GrantID != 0 && c.Status == policy.GrantPending && c.Was != policy.GrantPending {
		request := Created(c)
		up.Events = append(up.Events, request.Events...)
		up.Notices = append(up.Notices, request.Notices...)
	}
	return up
}

func findTarget(targets []db.Target, login string) (db.Target, bool) {
	for _, t := range targets {
		if t.Rules.Login == login {
			return t, true
		}
	}
	return db.Target{}, false
}
