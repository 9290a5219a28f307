package policy

import (
	"errors"
	"testing"
)

// The expected outcomes are written out by hand, one per status and
// action, never computed from the table they check.
func TestReviewTable(t *testing.T) {
	cases := []struct {
		from   GrantStatus
		action ReviewAction
		to     GrantStatus
		err    error
	}{
		// A pending request may be approved or denied; there is nothing
		// to revoke yet.
		{GrantPending, ReviewApprove, GrantApproved, nil},
		{GrantPending, ReviewDeny, GrantDenied, nil},
		{GrantPending, ReviewRevoke, "", ErrStillPending},
		// An approved token may only be revoked; its request was decided.
		{GrantApproved, ReviewApprove, "", ErrAlreadyReviewed},
		{GrantApproved, ReviewDeny, "", ErrAlreadyReviewed},
		{GrantApproved, ReviewRevoke, GrantRevoked, nil},
		// Denied and revoked are final.
		{GrantDenied, ReviewApprove, "", ErrAlreadyReviewed},
		{GrantDenied, ReviewDeny, "", ErrAlreadyReviewed},
		{GrantDenied, ReviewRevoke, "", ErrNotActive},
		{GrantRevoked, ReviewApprove, "", ErrAlreadyReviewed},
		{GrantRevoked, ReviewDeny, "", ErrAlreadyReviewed},
		{GrantRevoked, ReviewRevoke, "", ErrNotActive},
		// Outside the table.
		{"", ReviewApprove, "", ErrNotReviewable},
		{"withdrawn", ReviewRevoke, "", ErrNotReviewable},
		{GrantPending, "", "", ErrNotReviewable},
		{GrantPending, "cancel", "", ErrNotReviewable},
		{GrantApproved, "Revoke", "", ErrNotReviewable},
	}
	for _, c := range cases {
		to, err := Review(c.from, c.action)
		if to != c.to || err != c.err {
			t.Errorf("Review(%q, %q) = %q, %v; want %q, %v", c.from, c.action, to, err, c.to, c.err)
		}
		if got, want := CanReview(c.from, c.action), c.err == nil; got != want {
			t.Errorf("CanReview(%q, %q) = %v, want %v", c.from, c.action, got, want)
		}
	}
}

// Every stored status meets every action exactly once in the table, and
// each row either moves the grant or refuses, never both or neither.
func TestReviewRulesComplete(t *testing.T) {
	seen := map[[2]string]int{}
	for _, r := range ReviewRules() {
		seen[[2]string{string(r.From), string(r.Action)}]++
		if (r.To == "") == (r.Err == nil) {
			t.Errorf("rule %+v must have either a new status or an error", r)
		}
	}
	for _, s := range GrantStatuses() {
		for _, a := range ReviewActions() {
			if n := seen[[2]string{string(s), string(a)}]; n != 1 {
				t.Errorf("(%s, %s) appears %d times in the table, want once", s, a, n)
			}
		}
	}
	if got, want := len(ReviewRules()), len(GrantStatuses())*len(ReviewActions()); got != want {
		t.Errorf("the table has %d rows, want %d", got, want)
	}
	// The list handed out is a copy: changing it changes no rule.
	rules := ReviewRules()
	rules[0].Err = ErrWithdrawn
	if _, err := Review(GrantPending, ReviewApprove); err != nil {
		t.Errorf("changing ReviewRules' answer changed the table: %v", err)
	}
}

func TestReviewActionEnds(t *testing.T) {
	cases := []struct {
		action   ReviewAction
		from, to GrantStatus
	}{
		{ReviewApprove, GrantPending, GrantApproved},
		{ReviewDeny, GrantPending, GrantDenied},
		{ReviewRevoke, GrantApproved, GrantRevoked},
		{"cancel", "", ""},
		{"", "", ""},
	}
	for _, c := range cases {
		if got := c.action.From(); got != c.from {
			t.Errorf("%q.From() = %q, want %q", c.action, got, c.from)
		}
		if got := c.action.To(); got != c.to {
			t.Errorf("%q.To() = %q, want %q", c.action, got, c.to)
		}
	}
}

// ReviewOf allows exactly the three changes the store accepts as a review:
// pending to approved, pending to denied, approved to revoked.
func TestReviewOf(t *testing.T) {
	want := map[[2]GrantStatus]ReviewAction{
		{GrantPending, GrantApproved}: ReviewApprove,
		{GrantPending, GrantDenied}:   ReviewDeny,
		{GrantApproved, GrantRevoked}: ReviewRevoke,
	}
	all := append(GrantStatuses(), "")
	for _, from := range all {
		for _, to := range all {
			a, ok := ReviewOf(from, to)
			w, wok := want[[2]GrantStatus{from, to}]
			if a != w || ok != wok {
				t.Errorf("ReviewOf(%q, %q) = %q, %v; want %q, %v", from, to, a, ok, w, wok)
			}
		}
	}
}

func TestParseReviewAction(t *testing.T) {
	for _, c := range []struct {
		in   string
		want ReviewAction
		ok   bool
	}{
		{"approve", ReviewApprove, true},
		{"deny", ReviewDeny, true},
		{"revoke", ReviewRevoke, true},
		{"", "", false},
		{"Approve", "", false},
		{"approved", "", false},
		{" deny", "", false},
		{"cancel", "", false},
	} {
		got, ok := ParseReviewAction(c.in)
		if got != c.want || ok != c.ok {
			t.Errorf("ParseReviewAction(%q) = %q, %v; want %q, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

func TestReviewMissing(t *testing.T) {
	if err := ReviewMissing(true); err != ErrWithdrawn {
		t.Errorf("a withdrawn grant: %v, want ErrWithdrawn", err)
	}
	if err := ReviewMissing(false); err != ErrNoSuchGrant {
		t.Errorf("a grant never there: %v, want ErrNoSuchGrant", err)
	}
}

func TestReviewedAll(t *testing.T) {
	for _, c := range []struct {
		moved, skipped int
		want           error
	}{
		{0, 0, nil},
		{1, 0, nil},
		{1, 5, nil},
		{100, 0, nil},
		{0, 1, ErrNoneReviewable},
		{0, 100, ErrNoneReviewable},
	} {
		if got := ReviewedAll(c.moved, c.skipped); got != c.want {
			t.Errorf("ReviewedAll(%d, %d) = %v, want %v", c.moved, c.skipped, got, c.want)
		}
	}
}

// Each error has one meaning: no two are the same error, and none wraps
// another, so that a transport's errors.Is picks exactly one answer.
func TestReviewErrorsDistinct(t *testing.T) {
	errs := []error{ErrNoSuchGrant, ErrWithdrawn, ErrAlreadyReviewed, ErrStillPending, ErrNotActive, ErrNotReviewable, ErrNoneReviewable}
	for i, a := range errs {
		for j, b := range errs {
			if i != j && errors.Is(a, b) {
				t.Errorf("%v is %v", a, b)
			}
		}
	}
}
