package db

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sync"
	"testing"
	"time"

	"patpolicy/hooks/payload"
	"patpolicy/policy"
)

// hkFollow has a token's creation followed by a webhook event, or by
// nothing at all but an audit event when hook is false.
func hkFollow(action string) Follow {
	return func(c GrantChange) FollowUp {
		return FollowUp{Events: []policy.Event{{Action: "test.event", Details: "x"}},
			Hooks: []HookEvent{{Event: payload.EventTokenRequest, Action: action, TokenID: c.TokenID}}}
	}
}

func hkHook(t testing.TB, d demo, org string, active bool, events ...string) int64 {
	t.Helper()
	secret := "s3cret"
	id, err := d.s.CreateHook(context.Background(), d.orgs[org], d.users["octo-owner"],
		HookInput{URL: "http://127.0.0.1:9/hook", Secret: &secret, Active: active, Events: events}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func hkRequest(tb testing.TB, d demo, name string, follow Follow) (int64, error) {
	tb.Helper()
	ctx := context.Background()
	org := d.orgs["octo-org"]
	var repo int64
	if err := d.s.read.QueryRowContext(ctx, `SELECT id FROM repositories WHERE org_id = ? AND name = 'octo-api'`, org).Scan(&repo); err != nil {
		tb.Fatal(err)
	}
	p, err := d.s.OrgPolicy(ctx, org)
	if err != nil {
		tb.Fatal(err)
	}
	req := policy.TokenRequest{Name: name, ExpiresInDays: 30, Justification: "why", Status: policy.GrantPending,
		Selection: policy.SelectSelected, RepoIDs: []int64{repo},
		Permissions: map[string]policy.Level{"contents": policy.LevelRead, "members": policy.LevelRead, policy.Metadata: policy.LevelRead}}
	nt := NewToken{UserID: d.users["mona"], Hash: []byte(name), Prefix: "github_pat_" + name, Kind: policy.KindFineGrained,
		FineGrained: req, Follow: follow, OrgID: org, OrgVersion: p.Version}
	return d.s.CreateToken(ctx, nt)
}

func TestHookDeliveriesWrittenWithTheChange(t *testing.T) {
	ctx := context.Background()
	d := seededTest(t)
	d.s.now = func() time.Time { return fixedNow }
	subscribed := hkHook(t, d, "octo-org", true, payload.EventTokenRequest)
	hkHook(t, d, "octo-org", true, payload.EventToken)                 // another event
	hkHook(t, d, "octo-org", false, payload.EventTokenRequest)         // inactive
	other := hkHook(t, d, "solo-org", true, payload.EventTokenRequest) // another organization
	_ = other

	id, err := hkRequest(t, d, "hooked", hkFollow("created"))
	if err != nil {
		t.Fatal(err)
	}
	if n := count(t, d.s, `SELECT count(*) FROM hook_deliveries`); n != 1 {
		t.Fatalf("%d deliveries, want 1 (the one active subscribed hook of the organization)", n)
	}
	ds, err := d.s.DeliveriesOf(ctx, subscribed, 0, 10)
	if err != nil || len(ds) != 1 {
		t.Fatalf("DeliveriesOf = %v, %v", ds, err)
	}
	got := ds[0]
	if got.State != DeliveryPending || got.Event != payload.EventTokenRequest || got.Action != "created" || got.Redelivery ||
		!got.NextAttemptAt.Equal(fixedNow.Truncate(time.Microsecond)) || !regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`).MatchString(got.GUID) {
		t.Errorf("delivery %+v", got)
	}
	full, err := d.s.DeliveryOf(ctx, subscribed, got.ID)
	if err != nil {
		t.Fatal(err)
	}
	var body struct {
		Action  string `json:"action"`
		Request struct {
			ID                int64  `json:"id"`
			TokenID           int64  `json:"token_id"`
			TokenName         string `json:"token_name"`
			Owner             struct{ Login string }
			PermissionsResult payload.Permissions `json:"permissions_result"`
			Selection         string              `json:"repository_selection"`
			RepositoryCount   int                 `json:"repository_count"`
			Repositories      []struct {
				FullName string `json:"full_name"`
			}
		} `json:"personal_access_token_request"`
		Organization struct{ Login string }
		Sender       struct{ Login string }
	}
	if err := json.Unmarshal([]byte(full.Payload), &body); err != nil {
		t.Fatal(err)
	}
	r := body.Request
	if body.Action != "created" || r.TokenID != id || r.ID != tkGrantID(t, d.s, id) || r.TokenName != "hooked" || r.Owner.Login != "mona" ||
		r.PermissionsResult.Repository["contents"] != "read" || r.PermissionsResult.Organization["members"] != "read" ||
		r.Selection != "subset" || r.RepositoryCount != 1 || len(r.Repositories) != 1 || r.Repositories[0].FullName != "octo-org/octo-api" ||
		body.Organization.Login != "octo-org" || body.Sender.Login != "mona" {
		t.Errorf("payload %s", full.Payload)
	}
}

func TestHookDeliveriesRolledBackWithTheChange(t *testing.T) {
	d := seededTest(t)
	hkHook(t, d, "octo-org", true, payload.EventTokenRequest)
	failing := func(c GrantChange) FollowUp {
		up := hkFollow("created")(c)
		// A notice to no user fails the insert after the hook's delivery
		// was written: the whole change must roll back.
		up.Notices = []Notice{{UserID: -1, Message: "x", Link: "/"}}
		return up
	}
	if _, err := hkRequest(t, d, "rolled-back", failing); err == nil {
		t.Fatal("creation went through")
	}
	if n := count(t, d.s, `SELECT count(*) FROM hook_deliveries`); n != 0 {
		t.Errorf("%d deliveries of a change that rolled back", n)
	}
	if n := count(t, d.s, `SELECT count(*) FROM tokens WHERE name = 'rolled-back'`); n != 0 {
		t.Errorf("the token stayed")
	}
}

func TestHookDeliveriesOfReviewsAndCancels(t *testing.T) {
	ctx := context.Background()
	d := seededTest(t)
	hook := hkHook(t, d, "octo-org", true, payload.EventTokenRequest, payload.EventToken)
	org := d.orgs["octo-org"]
	a, _ := hkRequest(t, d, "a", nil)
	b, _ := hkRequest(t, d, "b", nil)
	c, _ := hkRequest(t, d, "c", nil)
	follow := func(c GrantChange) FollowUp {
		return FollowUp{Hooks: []HookEvent{{Event: payload.EventTokenRequest, Action: string(c.Status), TokenID: c.TokenID}}}
	}
	res, err := d.s.Review(ctx, GrantReview{OrgID: org, ActorID: d.users["octo-owner"], IDs: []int64{tkGrantID(t, d.s, a), tkGrantID(t, d.s, b)},
		From: policy.GrantPending, To: policy.GrantApproved, Follow: follow})
	if err != nil || len(res.Moved) != 2 {
		t.Fatalf("Review = %+v, %v", res, err)
	}
	if err := d.s.CancelRequest(ctx, d.users["mona"], c, func(c GrantChange) FollowUp {
		return FollowUp{Hooks: []HookEvent{{Event: payload.EventTokenRequest, Action: "cancelled", TokenID: c.TokenID}}}
	}); err != nil {
		t.Fatal(err)
	}
	ds, err := d.s.DeliveriesOf(ctx, hook, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, x := range ds {
		actions = append(actions, x.Action)
	}
	if want := []string{"cancelled", "approved", "approved"}; len(actions) != 3 || actions[0] != want[0] || actions[1] != want[1] || actions[2] != want[2] {
		t.Errorf("actions newest first %v, want %v", actions, want)
	}
	// The cancelled request's body was taken before its token went.
	full, err := d.s.DeliveryOf(ctx, hook, ds[0].ID)
	if err != nil || !regexp.MustCompile(`"token_name":"c"`).MatchString(full.Payload) {
		t.Errorf("cancel's payload %s, %v", full.Payload, err)
	}
	// Paging: older than the newest.
	if older, err := d.s.DeliveriesOf(ctx, hook, 1, 10); err != nil || len(older) != 2 || older[0].ID != ds[1].ID {
		t.Errorf("older = %v, %v", older, err)
	}
	if n, err := d.s.CountDeliveries(ctx, hook); n != 3 || err != nil {
		t.Errorf("CountDeliveries = %d, %v", n, err)
	}
}

func TestClaimDeliveriesOnceEach(t *testing.T) {
	ctx := context.Background()
	d := seededTest(t)
	second := openTestAt(t, locationOf(t, d.s))
	d.s.now = func() time.Time { return fixedNow }
	hkHook(t, d, "octo-org", true, payload.EventTokenRequest)
	for _, name := range []string{"t1", "t2", "t3", "t4", "t5", "t6", "t7", "t8"} {
		if _, err := hkRequest(t, d, name, hkFollow("created")); err != nil {
			t.Fatal(err)
		}
	}
	// Two workers on two stores of one database claim at the same moment,
	// again and again: each delivery is claimed exactly once.
	var mu sync.Mutex
	seen := map[int64]int{}
	var wg sync.WaitGroup
	for _, s := range []*Store{d.s, second, d.s, second} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 4 {
				got, err := s.ClaimDeliveries(ctx, fixedNow, time.Minute, 2)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				for _, c := range got {
					seen[c.ID]++
					if c.Attempts != 1 || c.OrgID != d.orgs["octo-org"] || c.URL != "http://127.0.0.1:9/hook" || c.Secret != "s3cret" || len(c.Payload) == 0 {
						t.Errorf("claimed %+v", c)
					}
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(seen) != 8 {
		t.Errorf("%d deliveries claimed, want 8", len(seen))
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("delivery %d claimed %d times", id, n)
		}
	}
	// Within the lease nobody takes them again; after it, they are due.
	if got, _ := d.s.ClaimDeliveries(ctx, fixedNow.Add(59*time.Second), time.Minute, 100); len(got) != 0 {
		t.Errorf("%d claimed again within the lease", len(got))
	}
	got, err := second.ClaimDeliveries(ctx, fixedNow.Add(61*time.Second), time.Minute, 100)
	if err != nil || len(got) != 8 {
		t.Fatalf("after the lease: %d claimed, %v; want 8", len(got), err)
	}
	if got[0].Attempts != 2 {
		t.Errorf("attempts %d, want 2", got[0].Attempts)
	}
}

func TestRecordAttemptRetriesThenGivesUp(t *testing.T) {
	ctx := context.Background()
	d := seededTest(t)
	base := fixedNow.Truncate(time.Second)
	d.s.now = func() time.Time { return base }
	hook := hkHook(t, d, "octo-org", true, payload.EventTokenRequest)
	if _, err := hkRequest(t, d, "retried", hkFollow("created")); err != nil {
		t.Fatal(err)
	}
	now := base
	var waits []time.Duration
	for try := 1; ; try++ {
		got, err := d.s.ClaimDeliveries(ctx, now, time.Minute, 10)
		if err != nil || len(got) != 1 {
			t.Fatalf("try %d at %v: claimed %d, %v", try, now, len(got), err)
		}
		// A claim whose lease another took over records nothing.
		if ok, err := d.s.RecordAttempt(ctx, Attempt{ID: got[0].ID, Claim: "someone else", At: now, StatusCode: 200}); ok || err != nil {
			t.Fatalf("a stranger's claim recorded: %v, %v", ok, err)
		}
		if ok, err := d.s.RecordAttempt(ctx, Attempt{ID: got[0].ID, Claim: got[0].Claim, At: now, StatusCode: 500,
			Duration: 3 * time.Millisecond, Response: "oops\x00\xff"}); !ok || err != nil {
			t.Fatalf("record: %v, %v", ok, err)
		}
		ds, _ := d.s.DeliveriesOf(ctx, hook, 0, 1)
		x := ds[0]
		if x.StatusCode != 500 || x.Attempts != try || x.Duration != 3*time.Millisecond || x.Response != "oops\uFFFD" {
			t.Fatalf("after try %d: %+v", try, x)
		}
		if x.State == DeliveryFailed {
			if now.Add(RetryDelay(try)).Sub(base) <= RetryFor {
				t.Errorf("gave up at try %d, %v after creation, though the next try was within a day", try, now.Sub(base))
			}
			break
		}
		if x.State != DeliveryPending {
			t.Fatalf("state %s", x.State)
		}
		waits = append(waits, x.NextAttemptAt.Sub(now))
		// Not due before its time.
		if got, _ := d.s.ClaimDeliveries(ctx, x.NextAttemptAt.Add(-time.Second), time.Minute, 10); len(got) != 0 {
			t.Fatalf("claimed before it was due")
		}
		now = x.NextAttemptAt
		if try > 100 {
			t.Fatal("never gave up")
		}
	}
	want := []time.Duration{10 * time.Second, 20 * time.Second, 40 * time.Second, 80 * time.Second}
	for i, w := range want {
		if waits[i] != w {
			t.Errorf("wait %d = %v, want %v", i+1, waits[i], w)
		}
	}
	if last := waits[len(waits)-1]; last != time.Hour {
		t.Errorf("last wait %v, want the cap of an hour", last)
	}
	if now.Sub(base) > RetryFor {
		t.Errorf("tried %v after creation", now.Sub(base))
	}
}

func TestRecordAttemptDeliveredAndRedeliver(t *testing.T) {
	ctx := context.Background()
	d := seededTest(t)
	d.s.now = func() time.Time { return fixedNow }
	org := d.orgs["octo-org"]
	hook := hkHook(t, d, "octo-org", true, payload.EventTokenRequest)
	if _, err := hkRequest(t, d, "ok", hkFollow("created")); err != nil {
		t.Fatal(err)
	}
	got, _ := d.s.ClaimDeliveries(ctx, fixedNow, time.Minute, 10)
	if ok, err := d.s.RecordAttempt(ctx, Attempt{ID: got[0].ID, Claim: got[0].Claim, At: fixedNow, StatusCode: 204}); !ok || err != nil {
		t.Fatal(ok, err)
	}
	if again, _ := d.s.ClaimDeliveries(ctx, fixedNow.Add(48*time.Hour), time.Minute, 10); len(again) != 0 {
		t.Errorf("a delivered delivery was claimed again")
	}
	first, _ := d.s.DeliveryOf(ctx, hook, got[0].ID)
	if first.State != DeliveryDelivered {
		t.Errorf("state %s", first.State)
	}
	id, err := d.s.Redeliver(ctx, org, hook, got[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	re, _ := d.s.DeliveryOf(ctx, hook, id)
	if !re.Redelivery || re.GUID == first.GUID || re.Payload != first.Payload || re.State != DeliveryPending {
		t.Errorf("redelivery %+v of %+v", re, first)
	}
	if _, err := d.s.Redeliver(ctx, d.orgs["solo-org"], hook, got[0].ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("another organization's redelivery: %v", err)
	}
	// Deleting the hook deletes its deliveries.
	if err := d.s.DeleteHook(ctx, org, d.users["octo-owner"], hook, nil); err != nil {
		t.Fatal(err)
	}
	if n := count(t, d.s, `SELECT count(*) FROM hook_deliveries`); n != 0 {
		t.Errorf("%d deliveries of a deleted hook", n)
	}
}

func TestHookSecretKeptUnlessReplaced(t *testing.T) {
	ctx := context.Background()
	d := seededTest(t)
	org := d.orgs["octo-org"]
	hook := hkHook(t, d, "octo-org", true, payload.EventTokenRequest)
	if err := d.s.UpdateHook(ctx, org, d.users["octo-owner"], hook, HookInput{URL: "https://example.com/x", Active: false,
		Events: []string{payload.EventToken}}, nil); err != nil {
		t.Fatal(err)
	}
	h, err := d.s.HookOf(ctx, org, hook)
	if err != nil || !h.HasSecret || h.URL != "https://example.com/x" || h.Active || len(h.Events) != 1 {
		t.Errorf("HookOf = %+v, %v", h, err)
	}
	if secret := dumpQuery(t, d.s.write, `SELECT secret FROM hooks WHERE id = ?`, hook); secret != "s3cret\n" {
		t.Errorf("secret %q", secret)
	}
	empty := ""
	if err := d.s.UpdateHook(ctx, org, 0, hook, HookInput{URL: h.URL, Secret: &empty, Events: h.Events}, nil); err != nil {
		t.Fatal(err)
	}
	if h, _ := d.s.HookOf(ctx, org, hook); h.HasSecret {
		t.Errorf("secret not removed")
	}
	if _, err := d.s.HookOf(ctx, d.orgs["solo-org"], hook); !errors.Is(err, ErrNotFound) {
		t.Errorf("another organization's hook: %v", err)
	}
	if err := d.s.UpdateHook(ctx, d.orgs["solo-org"], 0, hook, HookInput{URL: h.URL, Events: h.Events}, nil); !errors.Is(err, ErrNotFound) {
		t.Errorf("another organization's update: %v", err)
	}
}

func TestHookQueriesUseIndexes(t *testing.T) {
	d := seedDemoInto(t, openSQLiteTest(t))
	for _, tc := range []struct {
		name, query string
		args        []any
		uses        string
	}{
		{"HooksOf", hooksOfSQL, []any{d.orgs["octo-org"]}, "hooks_by_org"},
		{"DeliveriesOf", deliveriesOfSQL, []any{1, 30, 0}, "hook_deliveries_by_hook"},
		{"due deliveries", dueDeliveriesSQL, []any{timestamp(fixedNow), 10}, "hook_deliveries_due"},
		{"old deliveries", oldDeliveriesSQL, []any{timestamp(fixedNow), 10}, "hook_deliveries_done"},
	} {
		plan := queryPlan(t, d.s, tc.query, tc.args...)
		if bad := fullScans(plan); len(bad) > 0 {
			t.Errorf("%s: full table scan %q", tc.name, bad)
		}
		if !regexp.MustCompile(tc.uses).MatchString(fmt.Sprint(plan)) {
			t.Errorf("%s: plan %q does not use %s", tc.name, plan, tc.uses)
		}
		if regexp.MustCompile(`TEMP B-TREE`).MatchString(fmt.Sprint(plan)) {
			t.Errorf("%s: plan %q sorts", tc.name, plan)
		}
	}
}

func TestInactiveHookSendsNothingMore(t *testing.T) {
	ctx := context.Background()
	d := seededTest(t)
	org := d.orgs["octo-org"]
	hook := hkHook(t, d, "octo-org", true, payload.EventTokenRequest)
	if _, err := hkRequest(t, d, "waiting", hkFollow("created")); err != nil {
		t.Fatal(err)
	}
	if err := d.s.UpdateHook(ctx, org, 0, hook, HookInput{URL: "https://example.com/x", Active: false,
		Events: []string{payload.EventTokenRequest}}, nil); err != nil {
		t.Fatal(err)
	}
	if got, _ := d.s.ClaimDeliveries(ctx, time.Now().Add(time.Hour), time.Minute, 10); len(got) != 0 {
		t.Errorf("%d deliveries of an inactive hook claimed", len(got))
	}
	ds, _ := d.s.DeliveriesOf(ctx, hook, 0, 10)
	if len(ds) != 1 || ds[0].State != DeliveryFailed || ds[0].Error == "" {
		t.Errorf("deliveries %+v", ds)
	}
	// And an inactive hook gets no new ones.
	if _, err := hkRequest(t, d, "later", hkFollow("created")); err != nil {
		t.Fatal(err)
	}
	if n, _ := d.s.CountDeliveries(ctx, hook); n != 1 {
		t.Errorf("%d deliveries, want 1", n)
	}
}

// TestDeliveryQueriesNeverScanOnTheBackend checks, on the run's backend,
// that listing a hook's deliveries and finding the due ones read an
// index, not the whole outbox, once it holds many deliveries of many
// hooks, nearly all of them done.
func TestDeliveryQueriesNeverScanOnTheBackend(t *testing.T) {
	ctx := context.Background()
	d := seededTest(t)
	first := hkHook(t, d, "octo-org", true, payload.EventTokenRequest)
	second := hkHook(t, d, "solo-org", true, payload.EventTokenRequest)
	if _, err := d.s.write.ExecContext(ctx, `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000)
		INSERT INTO hook_deliveries (hook_id, guid, event, action, payload, state, next_attempt_at, created_at)
		SELECT CASE WHEN i % 2 = 0 THEN CAST(? AS BIGINT) ELSE CAST(? AS BIGINT) END, 'g-' || i, 'e', 'a', '{}',
		       CASE WHEN i % 200 = 0 THEN 'pending' ELSE 'delivered' END, ?, ? FROM n`,
		first, second, timestamp(fixedNow), timestamp(fixedNow)); err != nil {
		t.Fatal(err)
	}
	if _, err := d.s.write.ExecContext(ctx, `ANALYZE`); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, query string
		args        []any
	}{
		{"DeliveriesOf", deliveriesOfSQL, []any{first, 30, 0}},
		{"DeliveriesOf, a later page", deliveriesOfSQL, []any{first, 30, 300}},
		{"due deliveries", dueDeliveriesSQL, []any{timestamp(fixedNow.Add(time.Hour)), 10}},
		{"old deliveries", oldDeliveriesSQL, []any{timestamp(fixedNow.Add(-time.Hour)), 100}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if d.s.dialect == postgresDialect && tc.name == "DeliveriesOf" {
				// The check must see a scan where there is one.
				plan := dumpQuery(t, d.s.write, `EXPLAIN SELECT id FROM hook_deliveries WHERE action = ?`, "a")
				if !regexp.MustCompile(`Seq Scan on hook_deliveries`).MatchString(plan) {
					t.Errorf("a query on an unindexed column does not read every delivery:\n%s", plan)
				}
			}
			if d.s.dialect != postgresDialect {
				if bad := fullScans(queryPlan(t, d.s, tc.query, tc.args...)); len(bad) > 0 {
					t.Errorf("full table scan: %q", bad)
				}
				return
			}
			plan := dumpQuery(t, d.s.write, "EXPLAIN "+tc.query, tc.args...)
			if regexp.MustCompile(`Seq Scan on hook_deliveries`).MatchString(plan) {
				t.Errorf("reads every delivery:\n%s", plan)
			}
		})
	}
	if got, err := d.s.ClaimDeliveries(ctx, fixedNow.Add(time.Hour), time.Minute, 10); err != nil || len(got) != 10 {
		t.Errorf("claimed %d, %v", len(got), err)
	}
}

// BenchmarkRequestWithHooks measures what webhooks add to a change: a
// request created with no webhook, and with three subscribed ones (the
// body built once, three deliveries written).
func BenchmarkRequestWithHooks(b *testing.B) {
	for _, hooks := range []int{0, 3} {
		b.Run(fmt.Sprintf("hooks=%d", hooks), func(b *testing.B) {
			d := seededTest(b)
			for range hooks {
				if _, err := d.s.CreateHook(context.Background(), d.orgs["octo-org"], 0,
					HookInput{URL: "https://example.com/h", Active: true, Events: []string{payload.EventTokenRequest}}, nil); err != nil {
					b.Fatal(err)
				}
			}
			b.ResetTimer()
			for i := range b.N {
				if _, err := hkRequest(b, d, fmt.Sprintf("bench-%d", i), hkFollow("created")); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkClaimAndRecord measures the outbox's own work per delivery: a
// claim of 10 and the record of each outcome.
func BenchmarkClaimAndRecord(b *testing.B) {
	ctx := context.Background()
	d := seededTest(b)
	hook, err := d.s.CreateHook(ctx, d.orgs["octo-org"], 0, HookInput{URL: "https://example.com/h", Active: true,
		Events: []string{payload.EventTokenRequest}}, nil)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := d.s.write.ExecContext(ctx, `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
		INSERT INTO hook_deliveries (hook_id, guid, event, action, payload, state, next_attempt_at, created_at)
		SELECT CAST(? AS BIGINT), 'g-' || i, 'e', 'a', '{}', 'pending', ?, ? FROM n`,
		b.N*10+10, hook, timestamp(fixedNow), timestamp(fixedNow)); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		got, err := d.s.ClaimDeliveries(ctx, fixedNow, time.Minute, 10)
		if err != nil || len(got) != 10 {
			b.Fatal(len(got), err)
		}
		for _, c := range got {
			if _, err := d.s.RecordAttempt(ctx, Attempt{ID: c.ID, Claim: c.Claim, At: fixedNow, StatusCode: 200}); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*10), "µs/delivery")
}

func TestClaimSweepsDeliveriesPastKeeping(t *testing.T) {
	ctx := context.Background()
	d := seededTest(t)
	base := fixedNow.Truncate(time.Second)
	d.s.now = func() time.Time { return base }
	hook := hkHook(t, d, "octo-org", true, payload.EventTokenRequest)
	for _, name := range []string{"old-done", "old-waiting"} {
		if _, err := hkRequest(t, d, name, hkFollow("created")); err != nil {
			t.Fatal(err)
		}
	}
	got, _ := d.s.ClaimDeliveries(ctx, base, time.Minute, 1)
	if ok, err := d.s.RecordAttempt(ctx, Attempt{ID: got[0].ID, Claim: got[0].Claim, At: base, StatusCode: 200}); !ok || err != nil {
		t.Fatal(ok, err)
	}
	d.s.now = func() time.Time { return base.Add(KeepDeliveries) }
	if _, err := hkRequest(t, d, "recent", hkFollow("created")); err != nil {
		t.Fatal(err)
	}
	// Nothing is past keeping yet, and nothing is due: no write at all.
	if got, err := d.s.ClaimDeliveries(ctx, base.Add(KeepDeliveries-time.Hour), time.Minute, 0); err != nil || len(got) != 0 {
		t.Fatalf("claimed %v, %v", got, err)
	}
	if n, _ := d.s.CountDeliveries(ctx, hook); n != 3 {
		t.Fatalf("%d deliveries before the sweep, want 3", n)
	}
	// A day later the finished one made a month ago goes; the one still
	// waiting stays (its retries end by themselves), as does the recent one.
	if _, err := d.s.ClaimDeliveries(ctx, base.Add(KeepDeliveries+time.Hour), time.Minute, 0); err != nil {
		t.Fatal(err)
	}
	ds, _ := d.s.DeliveriesOf(ctx, hook, 0, 10)
	if len(ds) != 2 || ds[0].ID == got[0].ID || ds[1].ID == got[0].ID {
		t.Errorf("after the sweep: %+v", ds)
	}
}
