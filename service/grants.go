// Package service holds the use cases: each flow the site and the API share
// (saving a policy, reviewing grants, creating tokens) is written here once,
// between the transports and the store.
package service

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"patpolicy/db"
	"patpolicy/policy"
)

// GrantStore is what reviewing a grant reads and writes.
type GrantStore interface {
	GrantOf(ctx context.Context, orgID, grantID int64) (db.Token, error)
	Decide(ctx context.Context, d db.Decision) (db.DecisionResult, error)
	Withdrawn(ctx context.Context, orgID, grantID int64) (bool, error)
}

// ReviewOne applies a decision on the one grant d names, for the screens
// and the API alike. It answers 404 for an id the organization never had
// and 409 for a grant no longer in the list's status: decided by someone
// else, cancelled by its requester, its token deleted.
func ReviewOne(ctx context.Context, store GrantStore, d db.Decision) (db.DecisionResult, error) {
	id := d.IDs[0]
	if _, err := store.GrantOf(ctx, d.OrgID, id); errors.Is(err, db.ErrNotFound) {
		return db.DecisionResult{}, gone(ctx, store, d.From, d.OrgID, id)
	} else if err != nil {
		return db.DecisionResult{}, err
	}
	res, err := store.Decide(ctx, d)
	if err != nil || len(res.Decided) > 0 {
		return res, err
	}
	// Someone else decided first, or the requester cancelled.
	t, err := store.GrantOf(ctx, d.OrgID, id)
	if errors.Is(err, db.ErrNotFound) {
		return res, gone(ctx, store, d.From, d.OrgID, id)
	}
	if err != nil {
		return res, err
	}
	return res, notDecidable(t, d.From)
}

// gone answers a decision on a grant that is not there: 409 for a request
// its requester cancelled or a token its owner deleted, 404 for an id this
// organization never had.
func gone(ctx context.Context, store GrantStore, list policy.GrantStatus, orgID, id int64) error {
	withdrawn, err := store.Withdrawn(ctx, orgID, id)
	if err != nil {
		return err
	}
	if !withdrawn {
		return echo.ErrNotFound
	}
	if list == policy.GrantPending {
		return echo.NewHTTPError(http.StatusConflict, "This request is no longer pending: its requester cancelled it or deleted the token. Nothing was changed.")
	}
	return echo.NewHTTPError(http.StatusConflict, "This token is no longer active: its owner deleted it. Nothing was changed.")
}

// notDecidable refuses a decision on a grant that is not in the list's
// status: one that has moved on, or (revoking) a request still pending.
func notDecidable(t db.Token, list policy.GrantStatus) error {
	if list != policy.GrantApproved {
		return NotPending(t)
	}
	if t.Grant.Status == policy.GrantPending {
		return echo.NewHTTPError(http.StatusConflict, fmt.Sprintf("“%s” is not an active token: its request is still pending. Nothing was changed.", t.Name))
	}
	msg := fmt.Sprintf("“%s” is no longer active: it was %s", t.Name, grantVerb(t.Grant.Status))
	if t.Grant.Reviewer != "" {
		msg += " by " + t.Grant.Reviewer
	}
	return echo.NewHTTPError(http.StatusConflict, msg+". Nothing was changed.")
}

// NotPending refuses a decision on a grant that has moved on.
func NotPending(t db.Token) error {
	g := t.Grant
	msg := fmt.Sprintf("“%s” is no longer pending: it was %s", t.Name, grantVerb(g.Status))
	if g.Reviewer != "" {
		msg += " by " + g.Reviewer
	}
	return echo.NewHTTPError(http.StatusConflict, msg+". Nothing was changed.")
}

func grantVerb(s policy.GrantStatus) string {
	switch s {
	case policy.GrantApproved:
		return "already approved"
	case policy.GrantDenied:
		return "already denied"
	case policy.GrantRevoked:
		return "revoked"
	}
	return "pending"
}
