package db

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"testing"

	"patpolicy/policy"
)

// auditFixture writes, alternately into solo-org and octo-org, n rounds of
// saves: solo-org toggles its fine-grained access each round (one event),
// octo-org toggles approval (one event). It returns solo-org's events in the
// order written.
func auditFixture(t *testing.T, d demo, n int) []string {
	t.Helper()
	ctx := context.Background()
	actor := d.users["octo-owner"]
	var soloActions []string
	for range n {
		for _, login := range []string{"solo-org", "octo-org"} {
			org := d.orgs[login]
			p := orgPolicy(t, d.s, org)
			next := p.Own
			if login == "solo-org" {
				next.FineGrained = map[policy.Access]policy.Access{policy.Allow: policy.Restrict, policy.Restrict: policy.Allow}[p.Own.FineGrained]
			} else {
				next.Approval = map[policy.Approval]policy.Approval{policy.ApprovalRequired: policy.ApprovalNotRequired, policy.ApprovalNotRequired: policy.ApprovalRequired}[p.Own.Approval]
			}
			evs := policy.OrgEvents(p.Own, next)
			if err := d.s.SaveOrgPolicy(ctx, org, actor, p.Version, next, evs, grApprovedAsOff); err != nil {
				t.Fatal(err)
			}
			if login == "solo-org" {
				for _, e := range evs {
					soloActions = append(soloActions, e.Action)
				}
			}
		}
	}
	return soloActions
}

func ids(evs []AuditEvent) []int64 {
	out := make([]int64, len(evs))
	for i, e := range evs {
		out[i] = e.ID
	}
	return out
}

func TestAuditEventsFilterAndPaging(t *testing.T) {
	d := seededTest(t)
	const rounds = 9
	written := auditFixture(t, d, rounds)
	solo := d.orgs["solo-org"]

	all := auditEvents(t, d.s, AuditQuery{OrgID: solo})
	if len(all) != rounds {
		t.Fatalf("%d events, want %d", len(all), rounds)
	}
	for i, e := range all {
		if want := written[len(written)-1-i]; e.Action != want {
			t.Errorf("event %d = %s, want %s (newest first)", i, e.Action, want)
		}
		if i > 0 && e.ID >= all[i-1].ID {
			t.Errorf("ids not descending: %v", ids(all))
		}
	}

	t.Run("filter by action", func(t *testing.T) {
		for action, want := range map[string]int{
			policy.ActionAccessRestrictionEnabled:  (rounds + 1) / 2,
			policy.ActionAccessRestrictionDisabled: rounds / 2,
			policy.ActionAutoApproveEnable:         0, // octo-org's, not solo-org's
			"no.such.action":                       0,
		} {
			got := auditEvents(t, d.s, AuditQuery{OrgID: solo, Action: action})
			if len(got) != want {
				t.Errorf("action %s: %d events, want %d", action, len(got), want)
			}
			var wantIDs []int64
			for _, e := range all {
				if e.Action == action {
					wantIDs = append(wantIDs, e.ID)
				}
			}
			if !slices.Equal(ids(got), wantIDs) {
				t.Errorf("action %s: ids %v, want %v", action, ids(got), wantIDs)
			}
		}
		octo := auditEvents(t, d.s, AuditQuery{OrgID: d.orgs["octo-org"], Action: policy.ActionAutoApproveEnable})
		if len(octo) != (rounds+1)/2 {
			t.Errorf("octo-org auto-approve enable: %d events, want %d", len(octo), (rounds+1)/2)
		}
	})

	t.Run("keyset pages", func(t *testing.T) {
		for _, tc := range []struct {
			action string
			limit  int
		}{{"", 1}, {"", 2}, {"", 4}, {"", rounds}, {"", rounds + 5}, {policy.ActionAccessRestrictionEnabled, 2}} {
			var want []int64
			for _, e := range all {
				if tc.action == "" || e.Action == tc.action {
					want = append(want, e.ID)
				}
			}
			var got []int64
			before := int64(0)
			for page := 0; ; page++ {
				if page > len(want)+1 {
					t.Fatalf("%+v: paging does not end", tc)
				}
				evs := auditEvents(t, d.s, AuditQuery{OrgID: solo, Action: tc.action, BeforeID: before, Limit: tc.limit})
				if len(evs) > tc.limit {
					t.Fatalf("%+v: page of %d, over the limit", tc, len(evs))
				}
				if len(evs) == 0 {
					break
				}
				for _, e := range evs {
					if before != 0 && e.ID >= before {
						t.Errorf("%+v: id %d not before %d", tc, e.ID, before)
					}
				}
				got = append(got, ids(evs)...)
				before = evs[len(evs)-1].ID
			}
			if !slices.Equal(got, want) {
				t.Errorf("%+v: pages gave %v, want %v", tc, got, want)
			}
		}
	})

	t.Run("before the oldest", func(t *testing.T) {
		if evs := auditEvents(t, d.s, AuditQuery{OrgID: solo, BeforeID: all[len(all)-1].ID}); len(evs) != 0 {
			t.Errorf("events before the oldest: %v", ids(evs))
		}
	})

	t.Run("before a future id", func(t *testing.T) {
		evs := auditEvents(t, d.s, AuditQuery{OrgID: solo, BeforeID: all[0].ID + 1000})
		if !slices.Equal(ids(evs), ids(all)) {
			t.Errorf("got %v, want every event %v", ids(evs), ids(all))
		}
	})

	t.Run("unknown organization", func(t *testing.T) {
		if evs := auditEvents(t, d.s, AuditQuery{OrgID: 9999}); len(evs) != 0 {
			t.Errorf("events of a missing organization: %v", evs)
		}
	})
}

func TestAuditEventsDefaultLimit(t *testing.T) {
	ctx := context.Background()
	d := seededTest(t)
	org := d.orgs["octo-org"]
	evs := make([]policy.Event, 60)
	for i := range evs {
		evs[i] = policy.Event{Action: policy.ActionExpirationLimitSet, Details: fmt.Sprint(i)}
	}
	if err := d.s.inTx(ctx, func(tx *sql.Tx) error {
		return d.s.recordEvents(ctx, tx, "org_id", org, d.users["octo-owner"], evs)
	}); err != nil {
		t.Fatal(err)
	}
	for _, limit := range []int{0, -1} {
		got := auditEvents(t, d.s, AuditQuery{OrgID: org, Limit: limit})
		if len(got) != 50 {
			t.Errorf("limit %d: %d events, want the default 50", limit, len(got))
		}
		if len(got) > 0 && got[0].Details != "59" {
			t.Errorf("limit %d: first event %q, want the newest (59)", limit, got[0].Details)
		}
	}
	if got := auditEvents(t, d.s, AuditQuery{OrgID: org, Limit: 100}); len(got) != 60 {
		t.Errorf("limit 100: %d events, want 60", len(got))
	}
}

func TestAuditQueryArguments(t *testing.T) {
	for _, tc := range []struct {
		q    AuditQuery
		args []any
	}{
		{AuditQuery{OrgID: 7, Limit: 50}, []any{int64(7), 50}},
		{AuditQuery{OrgID: 7, Action: "a", Limit: 50}, []any{int64(7), "a", 50}},
		{AuditQuery{OrgID: 7, BeforeID: 3, Limit: 10}, []any{int64(7), int64(3), 10}},
		{AuditQuery{OrgID: 7, Action: "a", BeforeID: 3, Limit: 10}, []any{int64(7), "a", int64(3), 10}},
	} {
		_, args := auditQuery(tc.q)
		if !slices.Equal(args, tc.args) {
			t.Errorf("auditQuery(%+v) args = %v, want %v", tc.q, args, tc.args)
		}
	}
}
