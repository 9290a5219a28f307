package policy

import "errors"

// A grant review is what an organization's owner does to a fine-grained
// token's access to the organization: approve or deny a pending request,
// or revoke an approved token. (An access decision, Decide, is another
// thing: whether one API call may go ahead.)
//
// The rules of a review are one table, reviewRules: for each status a
// grant can be in and each action, the status the grant moves to or the
// error that refuses the action. Review reads it; the store, the pages and
// the API all take their answer from it.

// ReviewAction is what an owner does to a grant.
type ReviewAction string

const (
	ReviewApprove ReviewAction = "approve"
	ReviewDeny    ReviewAction = "deny"
	ReviewRevoke  ReviewAction = "revoke"
)

// ReviewActions lists the actions: the two on a request, then the one on
// an active token.
func ReviewActions() []ReviewAction {
	return []ReviewAction{ReviewApprove, ReviewDeny, ReviewRevoke}
}

// ParseReviewAction reads an action as the forms and the API spell it
// ("approve", "deny", "revoke").
func ParseReviewAction(s string) (ReviewAction, bool) {
	for _, a := range ReviewActions() {
		if string(a) == s {
			return a, true
		}
	}
	return "", false
}

// GrantStatuses lists every status a stored grant can be in.
func GrantStatuses() []GrantStatus {
	return []GrantStatus{GrantPending, GrantApproved, GrantDenied, GrantRevoked}
}

// The errors of a review, one meaning each. Each says why an action left a
// grant as it was. The transports word them for their readers; what each
// answers today is written beside it, so that moving a transport onto
// these errors changes no answer. In the messages, “name” is the token's
// name, and "by R" (the reviewer's login) is left out when no reviewer is
// recorded.
var (
	// ErrNoSuchGrant: the organization never had a grant with this id.
	// The pages answer 404 (the site's plain not-found page); the API
	// answers 404 "Not Found".
	ErrNoSuchGrant = errors.New("no such grant")

	// ErrWithdrawn: the grant existed but is gone, because its requester
	// cancelled the request or deleted the token (a pending request), or
	// its owner deleted the token (an approved one). Whatever the action,
	// the grant can never move again. The pages answer 409 on the grant's
	// own page, which then tells who withdrew it and when; the API answers
	// 422. Both with the same message, which depends on the list the
	// action belongs to (see ReviewAction.From):
	//   approve, deny: "This request is no longer pending: its requester
	//     cancelled it or deleted the token. Nothing was changed."
	//   revoke: "This token is no longer active: its owner deleted it.
	//     Nothing was changed."
	// The form that asks for a denial's reason answers 404 instead, as for
	// ErrNoSuchGrant.
	ErrWithdrawn = errors.New("grant withdrawn by its requester")

	// ErrAlreadyReviewed: approve or deny on a request an owner has
	// already reviewed: approved, denied, or approved and then revoked.
	// Usually another owner was quicker. The pages answer 409 on the
	// grant's page, the API 422, both with
	//   "“name” is no longer pending: it was V by R. Nothing was changed."
	// where V is "already approved", "already denied" or "revoked". The
	// denial's reason form answers the same 409.
	ErrAlreadyReviewed = errors.New("request already decided")

	// ErrStillPending: revoke on a token whose request is still waiting
	// for review; there is no access to revoke yet (deny it instead). The
	// pages answer 409, the API 422, both with
	//   "“name” is not an active token: its request is still pending.
	//   Nothing was changed."
	ErrStillPending = errors.New("request still pending")

	// ErrNotActive: revoke on a token that holds no access any more and
	// never will again: its request was denied, or it was revoked already.
	// (A pending one is ErrStillPending, never this.) The pages answer 409,
	// the API 422, both with
	//   "“name” is no longer active: it was V by R. Nothing was changed."
	// where V is "already denied" or "revoked".
	ErrNotActive = errors.New("token not active")

	// ErrNotReviewable: an action or a status outside the table, which no
	// form or body can produce once its input is checked. The store
	// refuses such a change outright (it is a programming error, 500).
	ErrNotReviewable = errors.New("grant transition not allowed")

	// ErrNoneReviewable: a bulk review of which not one grant moved though
	// some were named: every one was withdrawn, already reviewed or never
	// existed. The API answers 422, by the list the action belongs to:
	//   approve, deny: "None of these are pending requests any more;
	//     nothing was changed."
	//   revoke: "None of these are active tokens any more; nothing was
	//     changed."
	// The pages answer no error: they redirect to the list with a flash
	// that counts the selected items left as they were.
	ErrNoneReviewable = errors.New("no grant left to review")
)

// ReviewRule is one row of the table: an action on a grant in status From
// either moves it to To, or is refused with Err.
type ReviewRule struct {
	From   GrantStatus
	Action ReviewAction
	To     GrantStatus // "" when refused
	Err    error       // nil when allowed
}

// reviewRules is the whole table: every stored status against every
// action. An action is allowed from exactly one status, the one returned
// by ReviewAction.From; everything else is refused with the reason the
// transports tell apart.
func reviewRules() [12]ReviewRule {
	return [...]ReviewRule{
		{GrantPending, ReviewApprove, GrantApproved, nil},
		{GrantPending, ReviewDeny, GrantDenied, nil},
		{GrantPending, ReviewRevoke, "", ErrStillPending},

		{GrantApproved, ReviewApprove, "", ErrAlreadyReviewed},
		{GrantApproved, ReviewDeny, "", ErrAlreadyReviewed},
		{GrantApproved, ReviewRevoke, GrantRevoked, nil},

		{GrantDenied, ReviewApprove, "", ErrAlreadyReviewed},
		{GrantDenied, ReviewDeny, "", ErrAlreadyReviewed},
		{GrantDenied, ReviewRevoke, "", ErrNotActive},

		{GrantRevoked, ReviewApprove, "", ErrAlreadyReviewed},
		{GrantRevoked, ReviewDeny, "", ErrAlreadyReviewed},
		{GrantRevoked, ReviewRevoke, "", ErrNotActive},
	}
}

// ReviewRules lists the table's rows, by status then action.
func ReviewRules() []ReviewRule {
	rules := reviewRules()
	return rules[:]
}

// Review tells what action does to a grant in status: the status it moves
// to, or the error that leaves it as it is. A status or an action outside
// the table is ErrNotReviewable.
func Review(status GrantStatus, action ReviewAction) (GrantStatus, error) {
	for _, r := range reviewRules() {
		if r.From == status && r.Action == action {
			return r.To, r.Err
		}
	}
	return "", ErrNotReviewable
}

// CanReview reports whether action would move a grant in status: whether a
// page offers the action's button, or asks to confirm it.
func CanReview(status GrantStatus, action ReviewAction) bool {
	_, err := Review(status, action)
	return err == nil
}

// From is the one status from which action moves a grant: the status of the
// list the action belongs to (pending requests for approve and deny, active
// tokens for revoke), and the only status a bulk review may select.
// "" for an action outside the table.
func (a ReviewAction) From() GrantStatus {
	for _, r := range reviewRules() {
		if r.Action == a && r.Err == nil {
			return r.From
		}
	}
	return ""
}

// To is the status action moves a grant to; "" for an action outside the
// table.
func (a ReviewAction) To() GrantStatus {
	to, _ := Review(a.From(), a)
	return to
}

// ReviewOf tells which action moves a grant from one status to another,
// for a change given as its two ends; false when no action does.
func ReviewOf(from, to GrantStatus) (ReviewAction, bool) {
	for _, r := range reviewRules() {
		if r.Err == nil && r.From == from && r.To == to {
			return r.Action, true
		}
	}
	return "", false
}

// ReviewMissing is the error of an action on a grant that is not there:
// ErrWithdrawn when its requester withdrew it, ErrNoSuchGrant when the
// organization never had it.
func ReviewMissing(withdrawn bool) error {
	if withdrawn {
		return ErrWithdrawn
	}
	return ErrNoSuchGrant
}

// ReviewedAll is the outcome of a bulk review that moved `moved` grants
// and left `skipped` as they were (not in the action's From status any
// more, or never there): ErrNoneReviewable when none moved though some
// were named, nil otherwise. Grants left as they were are not an error as
// long as one moved.
func ReviewedAll(moved, skipped int) error {
	if moved == 0 && skipped > 0 {
		return ErrNoneReviewable
	}
	return nil
}
