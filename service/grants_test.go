package service_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"patpolicy/db/dbtest"

	"patpolicy/db"
	"patpolicy/policy"
	"patpolicy/service"
)

// The whole-server tests check that each refusal reaches the page and the
// API; these pin every sentence exactly, since both take it from here.
func TestRefusalSentences(t *testing.T) {
	tests := []struct {
		r    service.Refusal
		want string
	}{
		{service.Refusal{Err: policy.ErrWithdrawn, Action: policy.ReviewApprove},
			"This request is no longer pending: its requester cancelled it or deleted the token. Nothing was changed."},
		{service.Refusal{Err: policy.ErrWithdrawn, Action: policy.ReviewDeny},
			"This request is no longer pending: its requester cancelled it or deleted the token. Nothing was changed."},
		{service.Refusal{Err: policy.ErrWithdrawn, Action: policy.ReviewRevoke},
			"This token is no longer active: its owner deleted it. Nothing was changed."},
		{service.Refusal{Err: policy.ErrAlreadyReviewed, Action: policy.ReviewApprove, Name: "ci", Status: policy.GrantApproved, Reviewer: "octo-owner"},
			"“ci” is no longer pending: it was already approved by octo-owner. Nothing was changed."},
		{service.Refusal{Err: policy.ErrAlreadyReviewed, Action: policy.ReviewDeny, Name: "ci", Status: policy.GrantDenied},
			"“ci” is no longer pending: it was already denied. Nothing was changed."},
		{service.Refusal{Err: policy.ErrAlreadyReviewed, Action: policy.ReviewApprove, Name: "ci", Status: policy.GrantRevoked, Reviewer: "ann"},
			"“ci” is no longer pending: it was revoked by ann. Nothing was changed."},
		{service.Refusal{Err: policy.ErrStillPending, Action: policy.ReviewRevoke, Name: "ci", Status: policy.GrantPending},
			"“ci” is not an active token: its request is still pending. Nothing was changed."},
		{service.Refusal{Err: policy.ErrNotActive, Action: policy.ReviewRevoke, Name: "ci", Status: policy.GrantDenied, Reviewer: "ann"},
			"“ci” is no longer active: it was already denied by ann. Nothing was changed."},
		{service.Refusal{Err: policy.ErrNotActive, Action: policy.ReviewRevoke, Name: "ci", Status: policy.GrantRevoked},
			"“ci” is no longer active: it was revoked. Nothing was changed."},
		{service.Refusal{Err: policy.ErrNoneReviewable, Action: policy.ReviewApprove},
			"None of these are pending requests any more; nothing was changed."},
		{service.Refusal{Err: policy.ErrNoneReviewable, Action: policy.ReviewDeny},
			"None of these are pending requests any more; nothing was changed."},
		{service.Refusal{Err: policy.ErrNoneReviewable, Action: policy.ReviewRevoke},
			"None of these are active tokens any more; nothing was changed."},
	}
	for _, tc := range tests {
		var err error = &tc.r
		if got := err.Error(); got != tc.want {
			t.Errorf("%v on %s: %q, want %q", tc.r.Err, tc.r.Action, got, tc.want)
		}
		if !errors.Is(err, tc.r.Err) {
			t.Errorf("errors.Is(%q, %v) = false", err, tc.r.Err)
		}
	}
}

// fixture is the demo data in a store of its own.
type fixture struct {
	store        *db.Store
	location     string
	org, owner   int64
	users        map[string]int64
	pending      map[string]db.Token // octo-org's requests by token name
	approved     map[string]db.Token // octo-org's active tokens by token name
	otherPending int64               // a request to solo-org
}

func newFixture(t *testing.T) fixture {
	t.Helper()
	ctx := context.Background()
	location := dbtest.Location(t)
	s, err := db.Open(ctx, location)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if ok, err := s.SeedDemo(ctx, "hash", service.Created); err != nil || !ok {
		t.Fatalf("SeedDemo = %v, %v", ok, err)
	}
	f := fixture{store: s, location: location, users: map[string]int64{}, pending: map[string]db.Token{}, approved: map[string]db.Token{}}
	for _, login := range []string{"octo-owner", "mona", "hubot"} {
		c, err := s.CredentialsFor(ctx, login)
		if err != nil {
			t.Fatal(err)
		}
		f.users[login] = c.User.ID
	}
	f.owner = f.users["octo-owner"]
	org, err := s.OrgByLogin(ctx, "octo-org")
	if err != nil {
		t.Fatal(err)
	}
	f.org = org.ID
	for status, into := range map[policy.GrantStatus]map[string]db.Token{policy.GrantPending: f.pending, policy.GrantApproved: f.approved} {
		page, err := s.ListGrants(ctx, db.GrantQuery{OrgID: f.org, Status: status})
		if err != nil {
			t.Fatal(err)
		}
		for _, tok := range page.Tokens {
			into[tok.Name] = tok
		}
	}
	if len(f.pending) == 0 || len(f.approved) == 0 {
		t.Fatalf("the demo has %d pending requests and %d active tokens in octo-org", len(f.pending), len(f.approved))
	}
	return f
}

// meddling is a store on which someone else acts between a review's
// reading and its writing: before the review's own change, it runs before.
type meddling struct {
	*db.Store
	before func()
}

func (m meddling) Review(ctx context.Context, r db.GrantReview) (db.ReviewResult, error) {
	m.before()
	return m.Store.Review(ctx, r)
}

// A single review that loses a race says what became of the grant, as it is
// after the race: the whole-server tests cannot time the race this way.
func TestReviewOneAfterARace(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	var req db.Token
	for _, tok := range f.pending {
		req = tok
		break
	}
	other := service.Grants{Store: f.store}
	// Another owner denies the request between the reading and the writing.
	g := service.Grants{Store: meddling{f.store, func() {
		if _, err := other.ReviewOne(ctx, service.Review{OrgID: f.org, ActorID: f.owner, IDs: []int64{req.Grant.ID}, Action: policy.ReviewDeny}); err != nil {
			t.Fatal(err)
		}
	}}}
	res, err := g.ReviewOne(ctx, service.Review{OrgID: f.org, ActorID: f.owner, IDs: []int64{req.Grant.ID}, Action: policy.ReviewApprove})
	var r *service.Refusal
	if !errors.As(err, &r) || !errors.Is(err, policy.ErrAlreadyReviewed) || len(res.Moved) != 0 {
		t.Fatalf("approve after a denial: %+v, %v; want a refusal of ErrAlreadyReviewed", res, err)
	}
	if r.Name != req.Name || r.Status != policy.GrantDenied || r.Reviewer != "octo-owner" || r.Action != policy.ReviewApprove {
		t.Errorf("refusal %+v; want %q denied by octo-owner", r, req.Name)
	}

	// The token's owner deletes it between the reading and the writing.
	var tok db.Token
	for _, active := range f.approved {
		tok = active
		break
	}
	g = service.Grants{Store: meddling{f.store, func() {
		if err := (service.Tokens{Store: f.store}).Delete(ctx, tok.UserID, tok.ID); err != nil {
			t.Fatal(err)
		}
	}}}
	_, err = g.ReviewOne(ctx, service.Review{OrgID: f.org, ActorID: f.owner, IDs: []int64{tok.Grant.ID}, Action: policy.ReviewRevoke})
	if !errors.As(err, &r) || !errors.Is(err, policy.ErrWithdrawn) || r.Action != policy.ReviewRevoke {
		t.Fatalf("revoke of a token deleted meanwhile: %v; want a refusal of ErrWithdrawn", err)
	}
}

// A review is refused by the table before the store is asked to write.
func TestReviewOneRefusesWithoutWriting(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	wrote := 0
	g := service.Grants{Store: meddling{f.store, func() { wrote++ }}}
	for _, tok := range f.pending {
		_, err := g.ReviewOne(ctx, service.Review{OrgID: f.org, ActorID: f.owner, IDs: []int64{tok.Grant.ID}, Action: policy.ReviewRevoke})
		if !errors.Is(err, policy.ErrStillPending) {
			t.Errorf("revoking pending %q: %v; want ErrStillPending", tok.Name, err)
		}
	}
	for _, tok := range f.approved {
		_, err := g.ReviewOne(ctx, service.Review{OrgID: f.org, ActorID: f.owner, IDs: []int64{tok.Grant.ID}, Action: policy.ReviewDeny})
		if !errors.Is(err, policy.ErrAlreadyReviewed) {
			t.Errorf("denying active %q: %v; want ErrAlreadyReviewed", tok.Name, err)
		}
	}
	// An id the organization never had: no refusal to word, only not found.
	for _, id := range []int64{1 << 40} {
		_, err := g.ReviewOne(ctx, service.Review{OrgID: f.org, ActorID: f.owner, IDs: []int64{id}, Action: policy.ReviewApprove})
		var r *service.Refusal
		if !errors.Is(err, policy.ErrNoSuchGrant) || errors.As(err, &r) {
			t.Errorf("approving grant %d: %v; want ErrNoSuchGrant alone", id, err)
		}
	}
	if wrote != 0 {
		t.Errorf("%d refused reviews reached the store's writer", wrote)
	}
}

// A bulk review that moves nothing though it named grants comes back with
// its result and a refusal; one that moves some is no error.
func TestReviewAllNoneLeft(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	g := service.Grants{Store: f.store}
	var ids []int64
	for _, tok := range f.pending {
		ids = append(ids, tok.Grant.ID)
	}
	res, err := g.ReviewAll(ctx, service.Review{OrgID: f.org, ActorID: f.owner, IDs: append(ids, 1<<40), Action: policy.ReviewDeny, Reason: "no"})
	if err != nil || len(res.Moved) != len(ids) || res.Skipped != 1 {
		t.Fatalf("denying %d requests and a missing one: %+v, %v", len(ids), res, err)
	}
	res, err = g.ReviewAll(ctx, service.Review{OrgID: f.org, ActorID: f.owner, IDs: ids, Action: policy.ReviewApprove})
	var r *service.Refusal
	if !errors.As(err, &r) || !errors.Is(err, policy.ErrNoneReviewable) || res.Skipped != len(ids) || len(res.Moved) != 0 {
		t.Fatalf("approving denied requests: %+v, %v; want every one skipped and ErrNoneReviewable", res, err)
	}
	if r.Action != policy.ReviewApprove {
		t.Errorf("refusal for %s, want approve", r.Action)
	}
}

// What follows a review is written with it: the organization's audit event,
// acted by the reviewing owner and keeping the reason, and the requester's
// notification linking to the token.
func TestReviewFollowUp(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	g := service.Grants{Store: f.store}
	tok := f.pending["ci-reader"]
	if tok.ID == 0 {
		t.Fatal("the demo has no pending ci-reader request in octo-org")
	}
	if _, err := g.ReviewOne(ctx, service.Review{OrgID: f.org, ActorID: f.owner, IDs: []int64{tok.Grant.ID},
		Action: policy.ReviewDeny, Reason: "Too broad"}); err != nil {
		t.Fatal(err)
	}
	evs, err := f.store.AuditEvents(ctx, db.AuditQuery{OrgID: f.org, Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	want := db.AuditEvent{Action: policy.ActionRequestDenied, ActorLogin: "octo-owner",
		Details: "Token “ci-reader” of hubot on octo-org: reason: Too broad"}
	if len(evs) != 1 || evs[0].Action != want.Action || evs[0].ActorLogin != want.ActorLogin || evs[0].Details != want.Details {
		t.Errorf("newest event %+v, want %+v", evs, want)
	}
	ns, err := f.store.NotificationsOf(ctx, f.users["hubot"], 1)
	if err != nil {
		t.Fatal(err)
	}
	msg, link := "Your request for token “ci-reader” was denied by octo-org. Reason: Too broad", fmt.Sprintf("/settings/personal-access-tokens/%d", tok.ID)
	if len(ns) != 1 || ns[0].Message != msg || ns[0].Link != link {
		t.Errorf("hubot's newest notification %+v, want %q linking to %s", ns, msg, link)
	}
}
