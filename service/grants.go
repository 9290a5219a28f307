// Package service holds the use cases: each flow the site and the API share
// (saving a policy, reviewing grants, creating tokens) is written here once,
// between the transports and the store.
package service

import (
	"context"
	"errors"
	"fmt"

	"patpolicy/db"
	"patpolicy/hooks/payload"
	"patpolicy/policy"
	"patpolicy/web/paths"
)

// GrantStore is what reviewing grants reads and writes.
type GrantStore interface {
	GrantOf(ctx context.Context, orgID, grantID int64) (db.Token, error)
	Review(ctx context.Context, r db.GrantReview) (db.ReviewResult, error)
	Withdrawn(ctx context.Context, orgID, grantID int64) (bool, error)
}

// Grants reviews an organization's grants, for its owners' pages and for
// the API alike: approving or denying requests, revoking tokens. What each
// action may do is policy's review table (policy.Review); a refused review
// is a *Refusal, or policy.ErrNoSuchGrant for a grant the organization
// never had.
type Grants struct {
	Store GrantStore
}

// Review is an owner's action on grants of one organization.
type Review struct {
	OrgID   int64
	ActorID int64
	IDs     []int64
	Action  policy.ReviewAction
	// Reason is what a denial tells the requester; "" for none.
	Reason string
}

// change is the store's change set for r: every named grant still in the
// action's From status moves to its To status, with what Reviewed has
// follow it.
func (r Review) change() db.GrantReview {
	return db.GrantReview{OrgID: r.OrgID, ActorID: r.ActorID, IDs: r.IDs,
		From: r.Action.From(), To: r.Action.To(), Reason: r.Reason, Follow: Reviewed}
}

// Reviewed is what follows a grant an owner's review moved: its audit
// event, and a notification of its requester linking to the token. The
// store calls it for each grant that moves, inside the review's
// transaction; the scale dataset is seeded with it too.
func Reviewed(c db.GrantChange) db.FollowUp { return reviewed(c, "") }

// ApprovedAsOff is what follows a pending request approved because its
// organization stopped requiring approval: a review's follow-up, its audit
// event saying why.
func ApprovedAsOff(c db.GrantChange) db.FollowUp { return reviewed(c, policy.NoteApprovalTurnedOff) }

// ApprovedByRule is what follows a pending request that the
// organization's automatic approval rule approved when the rule was set:
// the approval, acted by the rule, and a notice to its requester.
func ApprovedByRule(c db.GrantChange) db.FollowUp {
	_, granted, notice := policy.GrantApprovedByRule(c.Subject, policy.RuleReadOnly)
	return db.FollowUp{ByRule: []policy.Event{granted}, Notices: []db.Notice{{UserID: c.UserID, Message: notice,
		Link: paths.Token(policy.KindFineGrained, c.TokenID)}},
		Hooks: []db.HookEvent{{Event: payload.EventTokenRequest, Action: "approved", TokenID: c.TokenID}}}
}

func reviewed(c db.GrantChange, note string) db.FollowUp {
	event, message := policy.GrantReviewed(c.Subject, c.Status, c.Reason, note)
	return db.FollowUp{Events: []policy.Event{event}, Notices: []db.Notice{{UserID: c.UserID, Message: message,
		Link: paths.Token(policy.KindFineGrained, c.TokenID)}}, Hooks: reviewHooks(c)}
}

// reviewHooks are the webhook events of a review: a request approved or
// denied, a token revoked.
func reviewHooks(c db.GrantChange) []db.HookEvent {
	switch c.Status {
	case policy.GrantApproved:
		return []db.HookEvent{{Event: payload.EventTokenRequest, Action: "approved", TokenID: c.TokenID}}
	case policy.GrantDenied:
		return []db.HookEvent{{Event: payload.EventTokenRequest, Action: "denied", TokenID: c.TokenID}}
	case policy.GrantRevoked:
		return []db.HookEvent{{Event: payload.EventToken, Action: "revoked", TokenID: c.TokenID}}
	}
	return nil
}

// Refusal is a review the rules refused: Err is one of policy's review
// errors (errors.Is matches it), the other fields are what its sentence
// needs. Error() is that sentence, written for the owner who asked: both
// transports show it as it is (the pages with a 409, the API with a 422),
// so it is written here once rather than in each of them.
type Refusal struct {
	Err    error
	Action policy.ReviewAction
	// Name is the token's name, Status the status its grant had reached
	// and Reviewer the login of who put it there ("" when unknown). Unset
	// for ErrWithdrawn and ErrNoneReviewable, whose sentences name no
	// token.
	Name     string
	Status   policy.GrantStatus
	Reviewer string
}

func (r *Refusal) Unwrap() error { return r.Err }

// Error words the refusal. A request is the action's list when it is
// approve or deny, a token when it is revoke.
func (r *Refusal) Error() string {
	requests := r.Action.From() == policy.GrantPending
	switch {
	case errors.Is(r.Err, policy.ErrWithdrawn) && requests:
		return "This request is no longer pending: its requester cancelled it or deleted the token. Nothing was changed."
	case errors.Is(r.Err, policy.ErrWithdrawn):
		return "This token is no longer active: its owner deleted it. Nothing was changed."
	case errors.Is(r.Err, policy.ErrAlreadyReviewed):
		return fmt.Sprintf("“%s” is no longer pending: it was %s. Nothing was changed.", r.Name, r.reached())
	case errors.Is(r.Err, policy.ErrStillPending):
		return fmt.Sprintf("“%s” is not an active token: its request is still pending. Nothing was changed.", r.Name)
	case errors.Is(r.Err, policy.ErrNotActive):
		return fmt.Sprintf("“%s” is no longer active: it was %s. Nothing was changed.", r.Name, r.reached())
	case errors.Is(r.Err, policy.ErrNoneReviewable) && requests:
		return "None of these are pending requests any more; nothing was changed."
	case errors.Is(r.Err, policy.ErrNoneReviewable):
		return "None of these are active tokens any more; nothing was changed."
	}
	return r.Err.Error()
}

// reached says what became of the grant: "already approved by octo-owner".
func (r *Refusal) reached() string {
	s := map[policy.GrantStatus]string{
		policy.GrantApproved: "already approved", policy.GrantDenied: "already denied", policy.GrantRevoked: "revoked",
	}[r.Status]
	if r.Reviewer != "" {
		s += " by " + r.Reviewer
	}
	return s
}

// Refuse tells whether action may go ahead on t's grant as it is: nil when
// the table allows it, otherwise the *Refusal a transport shows.
func Refuse(t db.Token, action policy.ReviewAction) error {
	_, err := policy.Review(t.Grant.Status, action)
	if err == nil {
		return nil
	}
	return &Refusal{Err: err, Action: action, Name: t.Name, Status: t.Grant.Status, Reviewer: t.Grant.Reviewer}
}

// ReviewOne applies r to the one grant it names. A grant that is not there
// is a *Refusal of ErrWithdrawn when its requester withdrew it, and
// policy.ErrNoSuchGrant when the organization never had it; a grant the
// table does not let the action move (reviewed by someone else, still
// pending when revoked, ...) is a *Refusal that says what became of it.
func (g Grants) ReviewOne(ctx context.Context, r Review) (db.ReviewResult, error) {
	if len(r.IDs) != 1 {
		return db.ReviewResult{}, fmt.Errorf("service: review one grant: %d named", len(r.IDs))
	}
	id := r.IDs[0]
	t, err := g.Store.GrantOf(ctx, r.OrgID, id)
	if errors.Is(err, db.ErrNotFound) {
		return db.ReviewResult{}, g.missing(ctx, r, id)
	}
	if err != nil {
		return db.ReviewResult{}, err
	}
	if err := Refuse(t, r.Action); err != nil {
		return db.ReviewResult{}, err
	}
	res, err := g.Store.Review(ctx, r.change())
	if err != nil || len(res.Moved) > 0 {
		return res, err
	}
	// Between the reading and the writing, another owner reviewed it
	// first, or its requester withdrew it: say which, as it is now.
	t, err = g.Store.GrantOf(ctx, r.OrgID, id)
	if errors.Is(err, db.ErrNotFound) {
		return res, g.missing(ctx, r, id)
	}
	if err != nil {
		return res, err
	}
	if err := Refuse(t, r.Action); err != nil {
		return res, err
	}
	// A grant never moves back to the action's From status, so the store
	// skipped it for a reason the table knows.
	return res, fmt.Errorf("service: %s grant %d: skipped though %s", r.Action, id, t.Grant.Status)
}

// missing is the refusal of r on grant id, which is not there.
func (g Grants) missing(ctx context.Context, r Review, id int64) error {
	withdrawn, err := g.Store.Withdrawn(ctx, r.OrgID, id)
	if err != nil {
		return err
	}
	err = policy.ReviewMissing(withdrawn)
	if errors.Is(err, policy.ErrWithdrawn) {
		return &Refusal{Err: err, Action: r.Action}
	}
	return err
}

// ReviewAll applies r to every grant it names, in one change: grants no
// longer in the action's From status (or never there) are left as they
// are and counted as skipped. When some were named and none moved, the
// result comes with a *Refusal of policy.ErrNoneReviewable, which the API
// answers and the pages, which count the skipped ones, may ignore.
func (g Grants) ReviewAll(ctx context.Context, r Review) (db.ReviewResult, error) {
	res, err := g.Store.Review(ctx, r.change())
	if err != nil {
		return res, err
	}
	if err := policy.ReviewedAll(len(res.Moved), res.Skipped); err != nil {
		return res, &Refusal{Err: err, Action: r.Action}
	}
	return res, nil
}
