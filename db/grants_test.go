package db

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	mrand "math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"patpolicy/policy"
	"patpolicy/web/paths"
)

// grPending creates n pending requests to org named prefix000, prefix001…,
// alternating between mona and hubot, and returns their grant ids.
func grPending(t *testing.T, d demo, org, prefix string, n int) []int64 {
	t.Helper()
	var grants []int64
	for i := range n {
		user := []string{"mona", "hubot"}[i%2]
		id, _ := tkCreate(t, d, user, org, policy.TokenRequest{Name: fmt.Sprintf("%s%03d", prefix, i), ExpiresInDays: 30,
			Justification: "needed", Selection: policy.SelectAll, Status: policy.GrantPending,
			Permissions: map[string]policy.Level{policy.Metadata: policy.LevelRead}})
		grants = append(grants, tkGrantID(t, d.s, id))
	}
	return grants
}

// grBulkPending is grPending for many requests at once: one transaction,
// through the store's own insert.
func grBulkPending(t *testing.T, d demo, org, prefix string, n int) []int64 {
	t.Helper()
	ctx := context.Background()
	var tokens []int64
	err := d.s.inTx(ctx, func(tx *sql.Tx) error {
		for i := range n {
			secret, err := policy.GenerateToken(policy.KindFineGrained, rand.Reader)
			if err != nil {
				return err
			}
			id, err := d.s.insertToken(ctx, tx, NewToken{UserID: d.users[[]string{"mona", "hubot"}[i%2]],
				Hash: policy.HashToken(secret), Prefix: policy.DisplayPrefix(secret), Kind: policy.KindFineGrained,
				OrgID: d.orgs[org], FineGrained: policy.TokenRequest{Name: fmt.Sprintf("%s%03d", prefix, i), ExpiresInDays: 30,
					Justification: "needed", Selection: policy.SelectAll, Status: policy.GrantPending,
					Permissions: map[string]policy.Level{policy.Metadata: policy.LevelRead}}, Follow: tkCreated})
			if err != nil {
				return err
			}
			tokens = append(tokens, id)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var grants []int64
	for _, id := range tokens {
		grants = append(grants, tkGrantID(t, d.s, id))
	}
	return grants
}

// grStatus is a grant's stored status.
func grStatus(t *testing.T, s *Store, grantID int64) policy.GrantStatus {
	t.Helper()
	rows := strings.TrimSpace(dumpQuery(t, s.write, `SELECT status FROM grants WHERE id = ?`, grantID))
	return policy.GrantStatus(rows)
}

// grKeyStatuses lists the distinct statuses of a grant's keys.
func grKeyStatuses(t *testing.T, s *Store, grantID int64) string {
	t.Helper()
	return strings.TrimSpace(dumpQuery(t, s.write, `SELECT DISTINCT status FROM grant_keys WHERE grant_id = ?`, grantID))
}

func grReview(t *testing.T, s *Store, d GrantReview) ReviewResult {
	t.Helper()
	res, err := s.Review(context.Background(), d)
	if err != nil {
		t.Fatalf("Review(%+v): %v", d, err)
	}
	return res
}

// grReviewed and grApprovedAsOff are what the application has follow a
// review, and a request approved because approval was turned off: the
// audit event and the requester's notification.
func grReviewed(c GrantChange) FollowUp { return grFollowReview(c, "") }

func grApprovedAsOff(c GrantChange) FollowUp {
	return grFollowReview(c, policy.NoteApprovalTurnedOff)
}

func grFollowReview(c GrantChange, note string) FollowUp {
	event, message := policy.GrantReviewed(c.Subject, c.Status, c.Reason, note)
	return FollowUp{Events: []policy.Event{event}, Notices: []Notice{{UserID: c.UserID, Message: message,
		Link: paths.Token(policy.KindFineGrained, c.TokenID)}}}
}

func TestReviewApproveAndDeny(t *testing.T) {
	ctx := context.Background()
	d := seededTest(t)
	d.s.now = func() time.Time { return fixedNow }
	org, owner := d.orgs["octo-org"], d.users["octo-owner"]
	deploy, ci := tkTokenID(t, d, "mona", "deploy-bot"), tkTokenID(t, d, "hubot", "ci-reader")
	deployGrant, ciGrant := tkGrantID(t, d.s, deploy), tkGrantID(t, d.s, ci)
	monaNotes, hubotNotes := len(tkNotes(t, d.s, d.users["mona"])), len(tkNotes(t, d.s, d.users["hubot"]))

	res := grReview(t, d.s, GrantReview{Follow: grReviewed, OrgID: org, ActorID: owner, IDs: []int64{deployGrant}, From: policy.GrantPending, To: policy.GrantApproved})
	want := []policy.TokenSubject{{Name: "deploy-bot", Owner: "mona", Org: "octo-org"}}
	if !slices.Equal(res.Moved, want) || res.Skipped != 0 {
		t.Errorf("approve: %+v, want %v decided, none skipped", res, want)
	}
	tok, err := d.s.GrantOf(ctx, org, deployGrant)
	if err != nil {
		t.Fatal(err)
	}
	if g := tok.Grant; g.Status != policy.GrantApproved || g.Reviewer != "octo-owner" || g.Reason != "" ||
		!g.DecidedAt.Equal(fixedNow.Truncate(time.Microsecond)) {
		t.Errorf("approved grant %+v", g)
	}
	if got := grKeyStatuses(t, d.s, deployGrant); got != "approved" {
		t.Errorf("keys of the approved grant are %q", got)
	}
	notes := tkNotes(t, d.s, d.users["mona"])
	if len(notes) != monaNotes+1 || notes[len(notes)-1] != (tkNote{"Your token “deploy-bot” was approved for octo-org.", fmt.Sprintf("/settings/personal-access-tokens/%d", deploy)}) {
		t.Errorf("mona's notifications %v", notes)
	}

	const reason = "Use a GitHub App instead"
	res = grReview(t, d.s, GrantReview{Follow: grReviewed, OrgID: org, ActorID: owner, IDs: []int64{ciGrant}, From: policy.GrantPending, To: policy.GrantDenied, Reason: reason})
	if len(res.Moved) != 1 || res.Moved[0].Name != "ci-reader" || res.Skipped != 0 {
		t.Errorf("deny: %+v", res)
	}
	// The requester sees the reason on their token.
	tok, err = d.s.TokenOf(ctx, d.users["hubot"], ci)
	if err != nil {
		t.Fatal(err)
	}
	if g := tok.Grant; g.Status != policy.GrantDenied || g.Reason != reason || g.Reviewer != "octo-owner" || g.DecidedAt.IsZero() {
		t.Errorf("denied grant %+v", g)
	}
	if got := grKeyStatuses(t, d.s, ciGrant); got != "denied" {
		t.Errorf("keys of the denied grant are %q", got)
	}
	notes = tkNotes(t, d.s, d.users["hubot"])
	if len(notes) != hubotNotes+1 || notes[len(notes)-1] != (tkNote{"Your request for token “ci-reader” was denied by octo-org. Reason: " + reason, fmt.Sprintf("/settings/personal-access-tokens/%d", ci)}) {
		t.Errorf("hubot's notifications %v", notes)
	}

	wantEvents := []string{
		policy.ActionAccessGranted + "|Token “deploy-bot” of mona on octo-org|octo-owner",
		policy.ActionRequestDenied + "|Token “ci-reader” of hubot on octo-org: reason: " + reason + "|octo-owner",
	}
	if got := tkEvents(t, d.s, org); !slices.Equal(got, wantEvents) {
		t.Errorf("events %q, want %q", got, wantEvents)
	}

	// Revoke the approved one.
	res = grReview(t, d.s, GrantReview{Follow: grReviewed, OrgID: org, ActorID: owner, IDs: []int64{deployGrant}, From: policy.GrantApproved, To: policy.GrantRevoked, Reason: "left the team"})
	if len(res.Moved) != 1 || res.Skipped != 0 || grStatus(t, d.s, deployGrant) != policy.GrantRevoked || grKeyStatuses(t, d.s, deployGrant) != "revoked" {
		t.Errorf("revoke: %+v, status %s, keys %s", res, grStatus(t, d.s, deployGrant), grKeyStatuses(t, d.s, deployGrant))
	}
	notes = tkNotes(t, d.s, d.users["mona"])
	if last := notes[len(notes)-1].Message; last != "Your token “deploy-bot” was revoked by octo-org. Reason: left the team" {
		t.Errorf("revocation notice %q", last)
	}
	if got := tkEvents(t, d.s, org); len(got) != 3 || got[2] != policy.ActionAccessRevoked+"|Token “deploy-bot” of mona on octo-org: reason: left the team|octo-owner" {
		t.Errorf("events after revoking %q", got)
	}
}

func TestReviewSeveralAtOnce(t *testing.T) {
	d := seededTest(t)
	org := d.orgs["octo-org"]
	grants := grPending(t, d, "octo-org", "req", 5)
	eventsBefore := len(tkEvents(t, d.s, org))
	notesBefore := count(t, d.s, `SELECT count(*) FROM notifications`)
	// Shuffled, with a repeat.
	ids := []int64{grants[3], grants[0], grants[4], grants[0]}
	res := grReview(t, d.s, GrantReview{Follow: grReviewed, OrgID: org, ActorID: d.users["octo-owner"], IDs: ids, From: policy.GrantPending, To: policy.GrantApproved})
	var names []string
	for _, s := range res.Moved {
		names = append(names, s.Name)
	}
	slices.Sort(names)
	if !slices.Equal(names, []string{"req000", "req003", "req004"}) || res.Skipped != 0 {
		t.Errorf("decided %v, skipped %d; want req000, req003, req004 and none skipped", names, res.Skipped)
	}
	evs := tkEvents(t, d.s, org)[eventsBefore:]
	if len(evs) != 3 {
		t.Errorf("%d events for 3 grants: %q", len(evs), evs)
	}
	for _, e := range evs {
		if !strings.HasPrefix(e, policy.ActionAccessGranted+"|") {
			t.Errorf("event %q", e)
		}
	}
	if n := count(t, d.s, `SELECT count(*) FROM notifications`); n != notesBefore+3 {
		t.Errorf("%d notifications for 3 grants", n-notesBefore)
	}
	for i, g := range grants {
		want := policy.GrantPending
		if i == 0 || i == 3 || i == 4 {
			want = policy.GrantApproved
		}
		if got := grStatus(t, d.s, g); got != want || grKeyStatuses(t, d.s, g) != string(want) {
			t.Errorf("grant %d: status %s, keys %s; want %s", i, got, grKeyStatuses(t, d.s, g), want)
		}
	}
	// Nothing named: nothing done.
	if res := grReview(t, d.s, GrantReview{Follow: grReviewed, OrgID: org, ActorID: d.users["octo-owner"], From: policy.GrantPending, To: policy.GrantDenied}); len(res.Moved) != 0 || res.Skipped != 0 {
		t.Errorf("empty decision: %+v", res)
	}
}

func TestReviewRefusesBadTransitions(t *testing.T) {
	ctx := context.Background()
	d := seededTest(t)
	org, owner := d.orgs["octo-org"], d.users["octo-owner"]
	var all []int64
	for _, row := range strings.Fields(dumpQuery(t, d.s.write, `SELECT id FROM grants`)) {
		var id int64
		fmt.Sscan(row, &id)
		all = append(all, id)
	}
	statuses := []policy.GrantStatus{"", policy.GrantPending, policy.GrantApproved, policy.GrantDenied, policy.GrantRevoked, "expired"}
	allowed := map[[2]policy.GrantStatus]bool{
		{policy.GrantPending, policy.GrantApproved}: true,
		{policy.GrantPending, policy.GrantDenied}:   true,
		{policy.GrantApproved, policy.GrantRevoked}: true,
	}
	before := dump(t, d.s)
	for _, from := range statuses {
		for _, to := range statuses {
			if allowed[[2]policy.GrantStatus{from, to}] {
				continue
			}
			res, err := d.s.Review(ctx, GrantReview{Follow: grReviewed, OrgID: org, ActorID: owner, IDs: all, From: from, To: to})
			if !errors.Is(err, policy.ErrNotReviewable) || len(res.Moved) != 0 {
				t.Errorf("Review %q→%q: %+v, %v; want policy.ErrNotReviewable", from, to, res, err)
			}
		}
	}
	if after := dump(t, d.s); after != before {
		t.Errorf("refused transitions changed the database:\n%s", after)
	}
}

func TestReviewSkipsGrantsNotInFromStatus(t *testing.T) {
	ctx := context.Background()
	d := seededTest(t)
	org, owner := d.orgs["octo-org"], d.users["octo-owner"]
	deployGrant := tkGrantID(t, d.s, tkTokenID(t, d, "mona", "deploy-bot"))
	ciGrant := tkGrantID(t, d.s, tkTokenID(t, d, "hubot", "ci-reader"))
	approvedGrant := tkGrantID(t, d.s, tkTokenID(t, d, "octo-owner", "owner-automation"))
	// A pending request to another organization (solo-org, whose owner is
	// also octo-owner).
	soloGrant := grPending(t, d, "solo-org", "solo", 1)[0]

	// Revoking a pending request is skipped, as is revoking what is not
	// there.
	before := dump(t, d.s)
	res := grReview(t, d.s, GrantReview{Follow: grReviewed, OrgID: org, ActorID: owner, IDs: []int64{deployGrant, 1 << 40}, From: policy.GrantApproved, To: policy.GrantRevoked})
	if len(res.Moved) != 0 || res.Skipped != 2 {
		t.Errorf("revoking a pending request: %+v, want 2 skipped", res)
	}
	// Reviewing octo-org's queue cannot reach solo-org's request by its id.
	res = grReview(t, d.s, GrantReview{Follow: grReviewed, OrgID: org, ActorID: owner, IDs: []int64{soloGrant}, From: policy.GrantPending, To: policy.GrantApproved})
	if len(res.Moved) != 0 || res.Skipped != 1 {
		t.Errorf("deciding another organization's request: %+v, want 1 skipped", res)
	}
	// Approving an approved grant is skipped.
	res = grReview(t, d.s, GrantReview{Follow: grReviewed, OrgID: org, ActorID: owner, IDs: []int64{approvedGrant}, From: policy.GrantPending, To: policy.GrantApproved})
	if len(res.Moved) != 0 || res.Skipped != 1 {
		t.Errorf("approving an approved grant: %+v, want 1 skipped", res)
	}
	if after := dump(t, d.s); after != before {
		t.Errorf("skipped reviews changed the database:\n%s", after)
	}

	// A mix: only the pending ones of this organization move.
	eventsBefore := len(tkEvents(t, d.s, org))
	res = grReview(t, d.s, GrantReview{Follow: grReviewed, OrgID: org, ActorID: owner,
		IDs:  []int64{approvedGrant, soloGrant, deployGrant, 1 << 40, deployGrant, ciGrant},
		From: policy.GrantPending, To: policy.GrantDenied, Reason: "no"})
	if len(res.Moved) != 2 || res.Skipped != 3 {
		t.Errorf("mixed decision: %+v, want 2 decided and 3 skipped (the repeat counts once)", res)
	}
	if n := len(tkEvents(t, d.s, org)) - eventsBefore; n != 2 {
		t.Errorf("%d events for 2 moved grants", n)
	}
	if grStatus(t, d.s, soloGrant) != policy.GrantPending || grStatus(t, d.s, approvedGrant) != policy.GrantApproved {
		t.Error("a skipped grant moved")
	}
	if evs := tkEvents(t, d.s, d.orgs["solo-org"]); len(evs) != 1 || !strings.HasPrefix(evs[0], policy.ActionRequestCreated) {
		t.Errorf("solo-org's log %q, want only its request", evs)
	}
	// Denied is final for a review from pending.
	res = grReview(t, d.s, GrantReview{Follow: grReviewed, OrgID: org, ActorID: owner, IDs: []int64{deployGrant}, From: policy.GrantPending, To: policy.GrantApproved})
	if len(res.Moved) != 0 || res.Skipped != 1 || grStatus(t, d.s, deployGrant) != policy.GrantDenied {
		t.Errorf("approving a denied request: %+v", res)
	}
	if _, err := d.s.GrantOf(ctx, org, soloGrant); !errors.Is(err, ErrNotFound) {
		t.Errorf("GrantOf(octo-org, solo-org's grant) = %v, want ErrNotFound", err)
	}
	if tok, err := d.s.GrantOf(ctx, d.orgs["solo-org"], soloGrant); err != nil || tok.Grant.ID != soloGrant || tok.OrgLogin != "solo-org" {
		t.Errorf("GrantOf(solo-org, its grant) = %+v, %v", tok, err)
	}
	if _, err := d.s.GrantOf(ctx, org, 1<<40); !errors.Is(err, ErrNotFound) {
		t.Errorf("GrantOf(missing) = %v, want ErrNotFound", err)
	}
}

func TestReviewTooMany(t *testing.T) {
	d := seededTest(t)
	org, owner := d.orgs["octo-org"], d.users["octo-owner"]
	deployGrant := tkGrantID(t, d.s, tkTokenID(t, d, "mona", "deploy-bot"))
	ids := []int64{deployGrant}
	for i := int64(1); len(ids) < MaxReview+1; i++ {
		if i != deployGrant {
			ids = append(ids, 1_000_000+i)
		}
	}
	before := dump(t, d.s)
	res, err := d.s.Review(context.Background(), GrantReview{Follow: grReviewed, OrgID: org, ActorID: owner, IDs: ids, From: policy.GrantPending, To: policy.GrantApproved})
	if !errors.Is(err, ErrTooMany) || len(res.Moved) != 0 {
		t.Errorf("%d ids: %+v, %v; want ErrTooMany", len(ids), res, err)
	}
	if after := dump(t, d.s); after != before {
		t.Error("a refused decision changed the database")
	}
	// Exactly MaxReview distinct ids, however often repeated, is fine.
	ids = append(ids[:MaxReview], ids[:MaxReview]...)
	res = grReview(t, d.s, GrantReview{Follow: grReviewed, OrgID: org, ActorID: owner, IDs: ids, From: policy.GrantPending, To: policy.GrantApproved})
	if len(res.Moved) != 1 || res.Skipped != MaxReview-1 {
		t.Errorf("%d distinct ids: %d decided, %d skipped; want 1 and %d", MaxReview, len(res.Moved), res.Skipped, MaxReview-1)
	}
}

func TestReviewConcurrently(t *testing.T) {
	// Owners reviewing the same requests at once: each request is reviewed
	// exactly once, whoever wins, and its status, keys, event and
	// notification agree. Half of them go through a second store on the
	// same database, as through another instance.
	ctx := context.Background()
	d := seededTest(t)
	other := openTestAt(t, locationOf(t, d.s))
	stores := []*Store{d.s, other}
	org, owner := d.orgs["octo-org"], d.users["octo-owner"]
	var grants []int64
	for _, row := range strings.Fields(dumpQuery(t, d.s.write, `SELECT id FROM grants WHERE status = 'pending'`)) {
		var id int64
		fmt.Sscan(row, &id)
		grants = append(grants, id)
	}
	grants = append(grants, grPending(t, d, "octo-org", "race", 50-len(grants))...)
	if len(grants) != 50 {
		t.Fatalf("setup: %d pending requests", len(grants))
	}
	eventsBefore := count(t, d.s, `SELECT count(*) FROM audit_events`)
	notesBefore := count(t, d.s, `SELECT count(*) FROM notifications`)

	const workers = 16
	reviews := make([]GrantReview, workers)
	for i := range reviews {
		r := mrand.New(mrand.NewPCG(uint64(i), 99))
		ids := slices.Clone(grants)
		r.Shuffle(len(ids), func(a, b int) { ids[a], ids[b] = ids[b], ids[a] })
		if i >= 2 { // the first two name every request, the others a part
			ids = ids[:10+r.IntN(len(ids)-10)]
		}
		reviews[i] = GrantReview{Follow: grReviewed, OrgID: org, ActorID: owner, IDs: ids, From: policy.GrantPending, To: policy.GrantApproved}
		if i%2 == 1 {
			reviews[i].To, reviews[i].Reason = policy.GrantDenied, fmt.Sprintf("reason %d", i)
		}
	}
	results := make([]ReviewResult, workers)
	errs := make([]error, workers)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range workers {
		wg.Go(func() {
			<-start
			results[i], errs[i] = stores[i/2%2].Review(ctx, reviews[i])
		})
	}
	readErrs := make([]error, 4)
	for i := range readErrs {
		wg.Go(func() {
			<-start
			for range 10 {
				if _, err := stores[i%2].ListGrants(ctx, GrantQuery{OrgID: org, Status: policy.GrantPending, Limit: 10}); err != nil {
					readErrs[i] = err
					return
				}
				if _, err := stores[i%2].CountGrants(ctx, org, policy.GrantApproved); err != nil {
					readErrs[i] = err
					return
				}
			}
		})
	}
	close(start)
	wg.Wait()

	movedBy := map[string]int{} // token name → worker
	total := 0
	for i, res := range results {
		if errs[i] != nil {
			t.Fatalf("worker %d: %v", i, errs[i])
		}
		if len(res.Moved)+res.Skipped != len(reviews[i].IDs) {
			t.Errorf("worker %d: %d decided + %d skipped != %d named", i, len(res.Moved), res.Skipped, len(reviews[i].IDs))
		}
		for _, s := range res.Moved {
			if prev, dup := movedBy[s.Name]; dup {
				t.Errorf("%s decided by workers %d and %d", s.Name, prev, i)
			}
			movedBy[s.Name] = i
		}
		total += len(res.Moved)
	}
	for i, err := range readErrs {
		if err != nil {
			t.Errorf("reader %d: %v", i, err)
		}
	}
	if total != len(grants) {
		t.Errorf("%d requests decided in all, want %d", total, len(grants))
	}
	if n := count(t, d.s, `SELECT count(*) FROM audit_events`) - eventsBefore; n != len(grants) {
		t.Errorf("%d audit events, want one per request (%d)", n, len(grants))
	}
	if n := count(t, d.s, `SELECT count(*) FROM notifications`) - notesBefore; n != len(grants) {
		t.Errorf("%d notifications, want one per request (%d)", n, len(grants))
	}
	for _, g := range grants {
		tok, err := d.s.GrantOf(ctx, org, g)
		if err != nil {
			t.Fatal(err)
		}
		w, ok := movedBy[tok.Name]
		if !ok {
			t.Errorf("%s decided by nobody (status %s)", tok.Name, tok.Grant.Status)
			continue
		}
		want := reviews[w]
		if tok.Grant.Status != want.To || tok.Grant.Reason != want.Reason {
			t.Errorf("%s: status %s reason %q, but worker %d decided %s %q", tok.Name, tok.Grant.Status, tok.Grant.Reason, w, want.To, want.Reason)
		}
		if keys := grKeyStatuses(t, d.s, g); keys != string(tok.Grant.Status) {
			t.Errorf("%s: status %s, keys %s", tok.Name, tok.Grant.Status, keys)
		}
		subject := policy.TokenSubject{Name: tok.Name, Owner: tok.OwnerLogin, Org: "octo-org"}
		details := policy.GrantEvent(policy.ReviewAuditAction(want.To), subject, "").Details
		evs := dumpQuery(t, d.s.write, `SELECT action FROM audit_events WHERE org_id = ? AND action IN (?, ?) AND (details = ? OR details LIKE ?)`,
			org, policy.ActionAccessGranted, policy.ActionRequestDenied, details, details+": %")
		if evs != policy.ReviewAuditAction(tok.Grant.Status)+"\n" {
			t.Errorf("%s (%s): decision events %q, want exactly one %s", tok.Name, tok.Grant.Status, evs, policy.ReviewAuditAction(tok.Grant.Status))
		}
		if n := count(t, d.s, `SELECT count(*) FROM notifications WHERE link = ?`, fmt.Sprintf("/settings/personal-access-tokens/%d", tok.ID)); n != 1 {
			t.Errorf("%s: %d notifications to its requester, want 1", tok.Name, n)
		}
	}
	if n, err := d.s.CountGrants(ctx, org, policy.GrantPending); err != nil || n != 0 {
		t.Errorf("CountGrants(pending) = %d, %v; want 0", n, err)
	}
	checkGrantCounts(t, d.s)
}

// grSaveApproval sets an organization's own approval setting.
func grSaveApproval(t *testing.T, d demo, org int64, a policy.Approval) {
	t.Helper()
	cur := orgPolicy(t, d.s, org)
	next := cur.Own
	next.Approval = a
	if err := d.s.SaveOrgPolicy(context.Background(), org, d.users["octo-owner"], cur.Version, next, policy.OrgEvents(cur.Own, next), grApprovedAsOff); err != nil {
		t.Fatalf("SaveOrgPolicy(approval %s): %v", a, err)
	}
}

// grSaveEnterpriseApproval sets the enterprise's approval policy.
func grSaveEnterpriseApproval(t *testing.T, d demo, a policy.EnterpriseApproval) {
	t.Helper()
	ctx := context.Background()
	cur, version, err := d.s.EnterprisePolicy(ctx, d.ent)
	if err != nil {
		t.Fatal(err)
	}
	next := cur
	next.Approval = a
	if err := d.s.SaveEnterprisePolicy(ctx, d.ent, d.users["ent-admin"], version, next, policy.EnterpriseEvents(cur, next), grApprovedAsOff); err != nil {
		t.Fatalf("SaveEnterprisePolicy(approval %s): %v", a, err)
	}
}

// grCountAction counts an organization's audit events of one action.
func grCountAction(t *testing.T, d demo, org int64, action string) int {
	t.Helper()
	return count(t, d.s, `SELECT count(*) FROM audit_events WHERE org_id = ? AND action = ?`, org, action)
}

func TestTurningApprovalOffApprovesPending(t *testing.T) {
	ctx := context.Background()
	d := seededTest(t)
	d.s.now = func() time.Time { return fixedNow }
	org, owner := d.orgs["octo-org"], d.users["octo-owner"]
	deploy, ci := tkTokenID(t, d, "mona", "deploy-bot"), tkTokenID(t, d, "hubot", "ci-reader")
	automationGrant := tkGrantID(t, d.s, tkTokenID(t, d, "octo-owner", "owner-automation"))
	extra := grPending(t, d, "octo-org", "extra", 2)
	// One request denied, one grant revoked: neither may come back.
	grReview(t, d.s, GrantReview{Follow: grReviewed, OrgID: org, ActorID: owner, IDs: []int64{extra[0]}, From: policy.GrantPending, To: policy.GrantDenied, Reason: "no"})
	grReview(t, d.s, GrantReview{Follow: grReviewed, OrgID: org, ActorID: owner, IDs: []int64{automationGrant}, From: policy.GrantApproved, To: policy.GrantRevoked})
	// A request waiting in another organization is none of octo-org's.
	solo := grPending(t, d, "solo-org", "solo", 1)[0]
	granted := grCountAction(t, d, org, policy.ActionAccessGranted)
	monaNotes, hubotNotes := len(tkNotes(t, d.s, d.users["mona"])), len(tkNotes(t, d.s, d.users["hubot"]))

	grSaveApproval(t, d, org, policy.ApprovalNotRequired)

	for _, tok := range []struct {
		user  string
		token int64
	}{{"mona", deploy}, {"hubot", ci}} {
		g, err := d.s.TokenOf(ctx, d.users[tok.user], tok.token)
		if err != nil {
			t.Fatal(err)
		}
		if g.Grant.Status != policy.GrantApproved || g.Grant.Reviewer != "octo-owner" || !g.Grant.DecidedAt.Equal(fixedNow.Truncate(time.Microsecond)) {
			t.Errorf("%s after approval was turned off: %+v", g.Name, g.Grant)
		}
		if keys := grKeyStatuses(t, d.s, g.Grant.ID); keys != "approved" {
			t.Errorf("%s keys %s", g.Name, keys)
		}
		details := "Token “" + g.Name + "” of " + tok.user + " on octo-org: approval is no longer required"
		if n := count(t, d.s, `SELECT count(*) FROM audit_events WHERE org_id = ? AND action = ? AND details = ? AND actor_id = ?`,
			org, policy.ActionAccessGranted, details, owner); n != 1 {
			t.Errorf("%d events %q, want 1", n, details)
		}
	}
	if grStatus(t, d.s, extra[1]) != policy.GrantApproved {
		t.Error("extra001 still pending")
	}
	// Three requests were pending: three approvals, no more.
	if n := grCountAction(t, d, org, policy.ActionAccessGranted) - granted; n != 3 {
		t.Errorf("%d access_granted events, want 3", n)
	}
	if grStatus(t, d.s, extra[0]) != policy.GrantDenied || grStatus(t, d.s, automationGrant) != policy.GrantRevoked {
		t.Errorf("denied %s and revoked %s, want them unchanged", grStatus(t, d.s, extra[0]), grStatus(t, d.s, automationGrant))
	}
	if grStatus(t, d.s, solo) != policy.GrantPending {
		t.Error("solo-org's request was approved by octo-org's change")
	}
	// mona: deploy-bot; hubot: ci-reader and extra001.
	if got := tkNotes(t, d.s, d.users["mona"])[monaNotes:]; len(got) != 1 || got[0].Message != "Your token “deploy-bot” was approved for octo-org." {
		t.Errorf("mona's new notifications %v", got)
	}
	if got := tkNotes(t, d.s, d.users["hubot"])[hubotNotes:]; len(got) != 2 {
		t.Errorf("hubot's new notifications %v, want 2", got)
	}
	if n, _ := d.s.CountGrants(ctx, org, policy.GrantPending); n != 0 {
		t.Errorf("%d still pending", n)
	}

	// Back on, a new request waits; off again, it is approved and the
	// revoked and denied ones still stay as they are.
	grSaveApproval(t, d, org, policy.ApprovalRequired)
	later := grPending(t, d, "octo-org", "later", 1)[0]
	if grStatus(t, d.s, later) != policy.GrantPending {
		t.Fatal("setup")
	}
	grSaveApproval(t, d, org, policy.ApprovalNotRequired)
	if grStatus(t, d.s, later) != policy.GrantApproved || grStatus(t, d.s, extra[0]) != policy.GrantDenied || grStatus(t, d.s, automationGrant) != policy.GrantRevoked {
		t.Errorf("after a second turn-off: later %s, denied %s, revoked %s", grStatus(t, d.s, later), grStatus(t, d.s, extra[0]), grStatus(t, d.s, automationGrant))
	}
	// Saving other settings while approval stays off approves nothing more.
	grantedNow := grCountAction(t, d, org, policy.ActionAccessGranted)
	cur := orgPolicy(t, d.s, org)
	next := cur.Own
	next.FineGrainedLifetime = 90
	if err := d.s.SaveOrgPolicy(ctx, org, owner, cur.Version, next, policy.OrgEvents(cur.Own, next), grApprovedAsOff); err != nil {
		t.Fatal(err)
	}
	if n := grCountAction(t, d, org, policy.ActionAccessGranted); n != grantedNow {
		t.Errorf("a lifetime change granted %d more", n-grantedNow)
	}
}

func TestApprovalEnforcedByEnterprise(t *testing.T) {
	d := seededTest(t)
	org := d.orgs["octo-org"]
	deployGrant := tkGrantID(t, d.s, tkTokenID(t, d, "mona", "deploy-bot"))
	ciGrant := tkGrantID(t, d.s, tkTokenID(t, d, "hubot", "ci-reader"))

	// The enterprise requires approval: octo-org turning its own off
	// changes nothing in force, so nothing is approved.
	grSaveEnterpriseApproval(t, d, policy.EnterpriseApprovalRequired)
	grSaveApproval(t, d, org, policy.ApprovalNotRequired)
	if grStatus(t, d.s, deployGrant) != policy.GrantPending || grStatus(t, d.s, ciGrant) != policy.GrantPending {
		t.Error("requests approved though the enterprise still requires approval")
	}
	if n := grCountAction(t, d, org, policy.ActionAccessGranted); n != 0 {
		t.Errorf("%d access_granted events", n)
	}
	// The enterprise leaves it to the organization again, whose own choice
	// is now "not required": approval is off in force, so they are approved.
	grSaveEnterpriseApproval(t, d, policy.EnterpriseApprovalNoPolicy)
	if grStatus(t, d.s, deployGrant) != policy.GrantApproved || grStatus(t, d.s, ciGrant) != policy.GrantApproved {
		t.Error("requests still pending after approval stopped being required")
	}
	if n := count(t, d.s, `SELECT count(*) FROM audit_events WHERE org_id = ? AND action = ? AND actor_id = ?`,
		org, policy.ActionAccessGranted, d.users["ent-admin"]); n != 2 {
		t.Errorf("%d access_granted events by ent-admin in octo-org's log, want 2", n)
	}
}

func TestEnterpriseDisablingApproval(t *testing.T) {
	ctx := context.Background()
	d := seededTest(t)
	octo := d.orgs["octo-org"]
	// side-org belongs to the enterprise too but already approved without
	// review; it holds a pending request anyway (from before, say), which
	// the enterprise's change is no reason to approve.
	side, err := d.s.CreateOrganization(ctx, "side-org", "Side Org", d.ent, d.users["octo-owner"])
	if err != nil {
		t.Fatal(err)
	}
	d.orgs["side-org"] = side
	tkAddMember(t, d, side, "mona", RoleMember)
	tkAddMember(t, d, side, "hubot", RoleMember)
	grSaveApproval(t, d, side, policy.ApprovalNotRequired)
	sideGrant := grPending(t, d, "side-org", "side", 1)[0]
	soloGrant := grPending(t, d, "solo-org", "solo", 1)[0]
	sideEvents := tkEvents(t, d.s, side)

	grSaveEnterpriseApproval(t, d, policy.EnterpriseApprovalDisabled)

	if n, _ := d.s.CountGrants(ctx, octo, policy.GrantPending); n != 0 {
		t.Errorf("%d of octo-org's requests still pending", n)
	}
	if n := count(t, d.s, `SELECT count(*) FROM audit_events WHERE org_id = ? AND action = ? AND actor_id = ?`,
		octo, policy.ActionAccessGranted, d.users["ent-admin"]); n != 2 {
		t.Errorf("%d access_granted events in octo-org's log, want 2", n)
	}
	if grStatus(t, d.s, sideGrant) != policy.GrantPending {
		t.Error("side-org's request was approved though approval was already off there")
	}
	// Its log gains the enterprise's policy change, naming the enterprise,
	// and no approval.
	want := append(slices.Clone(sideEvents),
		policy.ActionAutoApproveEnable+"|Enterprise approval policy: disabled (set by the Octo Enterprise enterprise)|ent-admin")
	if got := tkEvents(t, d.s, side); !slices.Equal(got, want) {
		t.Errorf("side-org's log gained %q", got[len(sideEvents):])
	}
	if grStatus(t, d.s, soloGrant) != policy.GrantPending {
		t.Error("solo-org (outside the enterprise) was touched")
	}
}

// grModel is a grant as the base tables hold it, for checking listings.
type grModel struct {
	id        int64
	status    policy.GrantStatus
	user      int64
	selection policy.Selection
	repos     []int64
	perms     map[string]policy.Level
}

func grLoad(t *testing.T, s *Store, orgID int64) []grModel {
	t.Helper()
	ctx := context.Background()
	rows, err := s.write.QueryContext(ctx, `SELECT g.id, g.status, g.user_id, t.repository_selection, t.id FROM grants g
		JOIN tokens t ON t.id = g.token_id WHERE g.org_id = ? ORDER BY g.id DESC`, orgID)
	if err != nil {
		t.Fatal(err)
	}
	var out []grModel
	var tokens []int64
	for rows.Next() {
		var g grModel
		var token int64
		if err := rows.Scan(&g.id, &g.status, &g.user, &g.selection, &token); err != nil {
			t.Fatal(err)
		}
		out = append(out, g)
		tokens = append(tokens, token)
	}
	rows.Close()
	for i := range out {
		out[i].perms = map[string]policy.Level{}
		for _, line := range strings.Split(strings.TrimSpace(dumpQuery(t, s.write, `SELECT name, level FROM token_permissions WHERE token_id = ?`, tokens[i])), "\n") {
			if f := strings.Fields(line); len(f) == 2 {
				out[i].perms[f[0]] = policy.Level(f[1])
			}
		}
		for _, f := range strings.Fields(dumpQuery(t, s.write, `SELECT repo_id FROM token_repositories WHERE token_id = ?`, tokens[i])) {
			var id int64
			fmt.Sscan(f, &id)
			out[i].repos = append(out[i].repos, id)
		}
	}
	return out
}

// matches says whether a grant belongs in a listing, by the rules of
// the listing: a repository filter matches tokens reaching it.
func (g grModel) matches(q GrantQuery, public map[int64]bool) bool {
	if g.status != q.Status || q.OwnerID != 0 && g.user != q.OwnerID {
		return false
	}
	if q.RepoID != 0 {
		switch g.selection {
		case policy.SelectAll:
		case policy.SelectPublic:
			if !public[q.RepoID] {
				return false
			}
		default:
			if !slices.Contains(g.repos, q.RepoID) {
				return false
			}
		}
	}
	if q.Permission != "" {
		if _, ok := g.perms[q.Permission]; !ok {
			return false
		}
	}
	return true
}

// grWalk pages through a listing both ways, checking the pages fit, and
// returns every id, newest first.
func grWalk(t *testing.T, s *Store, q GrantQuery, model map[int64]grModel) []int64 {
	t.Helper()
	ctx := context.Background()
	q.Before, q.After = 0, 0
	limit := q.Limit
	if limit <= 0 {
		limit = 50
	}
	var pages [][]int64
	for {
		if len(pages) > 1000 {
			t.Fatalf("%+v: paging does not end", q)
		}
		page, err := s.ListGrants(ctx, q)
		if err != nil {
			t.Fatalf("ListGrants(%+v): %v", q, err)
		}
		var ids []int64
		for _, tok := range page.Tokens {
			ids = append(ids, tok.Grant.ID)
			m := model[tok.Grant.ID]
			if tok.Grant.Status != q.Status || tok.OrgID != q.OrgID || tok.Permissions == nil || !maps.Equal(tok.Permissions, m.perms) ||
				len(tok.Repos) != len(m.repos) || tok.Selection != m.selection {
				t.Errorf("%+v: token %+v does not match the stored grant %+v", q, tok, m)
			}
		}
		if len(ids) > limit {
			t.Errorf("%+v: %d on a page", q, len(ids))
		}
		if want := len(pages) > 0; page.HasNewer != want {
			t.Errorf("%+v: page %d HasNewer = %v, want %v", q, len(pages), page.HasNewer, want)
		}
		pages = append(pages, ids)
		if !page.HasOlder {
			break
		}
		if len(ids) == 0 {
			t.Fatalf("%+v: an empty page with HasOlder", q)
		}
		q.Before = ids[len(ids)-1]
	}
	for i, p := range pages[:len(pages)-1] {
		if len(p) != limit {
			t.Errorf("%+v: page %d of %d holds %d, want a full page of %d", q, i, len(pages), len(p), limit)
		}
	}
	// Back from the last page, the After pages are the same pages.
	for i := len(pages) - 1; i > 0; i-- {
		q.Before, q.After = 0, pages[i][0]
		page, err := s.ListGrants(ctx, q)
		if err != nil {
			t.Fatalf("ListGrants(%+v): %v", q, err)
		}
		var ids []int64
		for _, tok := range page.Tokens {
			ids = append(ids, tok.Grant.ID)
		}
		if !slices.Equal(ids, pages[i-1]) {
			t.Errorf("%+v: previous page %v, want %v", q, ids, pages[i-1])
		}
		if !page.HasOlder || page.HasNewer != (i-1 > 0) {
			t.Errorf("%+v: previous page %d HasOlder %v HasNewer %v", q, i-1, page.HasOlder, page.HasNewer)
		}
	}
	return slices.Concat(pages...)
}

func TestListGrants(t *testing.T) {
	ctx := context.Background()
	d := seededTest(t)
	org, owner := d.orgs["octo-org"], d.users["octo-owner"]
	repos := tkRepoIDs(t, d.s, org)
	web, api, infra := repos["octo-web"], repos["octo-api"], repos["octo-infra"]
	public := map[int64]bool{web: true}
	selections := []struct {
		sel   policy.Selection
		repos []int64
	}{
		{policy.SelectPublic, nil}, {policy.SelectAll, nil}, {policy.SelectSelected, []int64{api}},
		{policy.SelectSelected, []int64{infra}}, {policy.SelectSelected, []int64{web, api}},
	}
	permissions := []map[string]policy.Level{
		{"contents": policy.LevelRead, policy.Metadata: policy.LevelRead},
		{"issues": policy.LevelWrite, policy.Metadata: policy.LevelRead},
		{"members": policy.LevelRead},
		{},
		{"pull_requests": policy.LevelRead, "contents": policy.LevelWrite, policy.Metadata: policy.LevelRead, "organization_administration": policy.LevelWrite},
	}
	var toApprove, toDeny []int64
	for i := range 120 {
		user := []string{"mona", "hubot", "mona"}[i%3]
		sel := selections[i%len(selections)]
		id, _ := tkCreate(t, d, user, "octo-org", policy.TokenRequest{Name: fmt.Sprintf("list%03d", i), ExpiresInDays: 30,
			Justification: "j", Selection: sel.sel, RepoIDs: sel.repos, Status: policy.GrantPending, Permissions: permissions[(i/2)%len(permissions)]})
		switch {
		case i%4 == 0:
			toApprove = append(toApprove, tkGrantID(t, d.s, id))
		case i%9 == 1:
			toDeny = append(toDeny, tkGrantID(t, d.s, id))
		}
	}
	grReview(t, d.s, GrantReview{Follow: grReviewed, OrgID: org, ActorID: owner, IDs: toApprove, From: policy.GrantPending, To: policy.GrantApproved})
	grReview(t, d.s, GrantReview{Follow: grReviewed, OrgID: org, ActorID: owner, IDs: toDeny, From: policy.GrantPending, To: policy.GrantDenied})
	// Noise in another organization must never show.
	grPending(t, d, "solo-org", "solo", 3)

	all := grLoad(t, d.s, org)
	model := map[int64]grModel{}
	counts := map[policy.GrantStatus]int{}
	for _, g := range all {
		model[g.id] = g
		counts[g.status]++
	}
	if counts[policy.GrantPending] < 60 || counts[policy.GrantApproved] < 20 || counts[policy.GrantDenied] < 5 {
		t.Fatalf("setup: %v", counts)
	}
	for _, st := range []policy.GrantStatus{policy.GrantPending, policy.GrantApproved, policy.GrantDenied, policy.GrantRevoked} {
		if n, err := d.s.CountGrants(ctx, org, st); err != nil || n != counts[st] {
			t.Errorf("CountGrants(%s) = %d, %v; want %d", st, n, err, counts[st])
		}
	}

	mona, hubot := d.users["mona"], d.users["hubot"]
	filters := []GrantQuery{
		{},
		{OwnerID: mona}, {OwnerID: hubot}, {OwnerID: owner}, {OwnerID: d.users["ent-admin"]},
		{RepoID: web}, {RepoID: api}, {RepoID: infra},
		{Permission: "contents"}, {Permission: policy.Metadata}, {Permission: "members"}, {Permission: "organization_administration"}, {Permission: "secrets"},
		{OwnerID: mona, RepoID: api}, {OwnerID: hubot, RepoID: web}, {OwnerID: hubot, Permission: "issues"},
		{RepoID: web, Permission: "contents"}, {RepoID: infra, Permission: "members"},
		{OwnerID: mona, RepoID: web, Permission: policy.Metadata}, {OwnerID: hubot, RepoID: infra, Permission: "pull_requests"},
	}
	nonEmpty := 0
	for _, f := range filters {
		for _, st := range []policy.GrantStatus{policy.GrantPending, policy.GrantApproved, policy.GrantDenied} {
			var want []int64
			q := f
			q.OrgID, q.Status = org, st
			for _, g := range all {
				if g.matches(q, public) {
					want = append(want, g.id)
				}
			}
			if len(want) > 0 {
				nonEmpty++
			}
			// Small pages where there is most to page through; the default
			// elsewhere (the race detector makes every query slow).
			limits := []int{0}
			if st == policy.GrantPending || f == (GrantQuery{}) {
				limits = append(limits, 7)
			}
			for _, limit := range limits {
				q.Limit = limit
				if got := grWalk(t, d.s, q, model); !slices.Equal(got, want) {
					t.Errorf("%+v:\n got %v\nwant %v", q, got, want)
				}
			}
		}
	}
	if nonEmpty < 40 {
		t.Errorf("setup: only %d listings have anything in them", nonEmpty)
	}

	// Repository filter semantics, spelled out on the demo's grants.
	ids := func(q GrantQuery) []int64 {
		q.OrgID, q.Status, q.Limit = org, policy.GrantPending, 1000
		page, err := d.s.ListGrants(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		var out []int64
		for _, tok := range page.Tokens {
			out = append(out, tok.Grant.ID)
		}
		return out
	}
	publicSel := tkGrantID(t, d.s, tkTokenID(t, d, "mona", "list005")) // i=5: public, pending
	allSel := tkGrantID(t, d.s, tkTokenID(t, d, "hubot", "ci-reader"))
	if model[publicSel].selection != policy.SelectPublic || model[publicSel].status != policy.GrantPending {
		t.Fatalf("setup: list005 is %+v", model[publicSel])
	}
	for _, c := range []struct {
		repo int64
		id   int64
		want bool
	}{{web, publicSel, true}, {api, publicSel, false}, {infra, publicSel, false}, {web, allSel, true}, {infra, allSel, true}} {
		if got := slices.Contains(ids(GrantQuery{RepoID: c.repo}), c.id); got != c.want {
			t.Errorf("repository %d lists grant %d: %v, want %v", c.repo, c.id, got, c.want)
		}
	}

	// Repositories the organization does not have.
	soloApp := tkRepoIDs(t, d.s, d.orgs["solo-org"])["solo-app"]
	for _, repo := range []int64{1 << 40, soloApp} {
		if _, err := d.s.ListGrants(ctx, GrantQuery{OrgID: org, Status: policy.GrantPending, RepoID: repo}); !errors.Is(err, ErrNotFound) {
			t.Errorf("ListGrants(repository %d) = %v, want ErrNotFound", repo, err)
		}
	}
}

func TestNotifications(t *testing.T) {
	ctx := context.Background()
	d := seededTest(t)
	owner, mona := d.users["octo-owner"], d.users["mona"]
	grPending(t, d, "octo-org", "n", 4) // four more requests for the owner to see
	unread := func(user int64) int {
		t.Helper()
		u, err := d.s.UserByID(ctx, user)
		if err != nil {
			t.Fatal(err)
		}
		return u.Unread
	}
	all, err := d.s.NotificationsOf(ctx, owner, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 6 { // the demo's two requests and these four
		t.Fatalf("%d notifications, want 6: %+v", len(all), all)
	}
	for i, n := range all {
		if !n.Unread || n.CreatedAt.IsZero() || !strings.Contains(n.Message, "requests access to octo-org") {
			t.Errorf("notification %+v", n)
		}
		if i > 0 && n.ID >= all[i-1].ID {
			t.Errorf("not newest first: %d after %d", n.ID, all[i-1].ID)
		}
	}
	if !strings.Contains(all[0].Message, "“n003”") {
		t.Errorf("newest %q, want the last request", all[0].Message)
	}
	if top, err := d.s.NotificationsOf(ctx, owner, 2); err != nil || len(top) != 2 || top[0].ID != all[0].ID || top[1].ID != all[1].ID {
		t.Errorf("NotificationsOf(limit 2) = %+v, %v", top, err)
	}
	if unread(owner) != 6 {
		t.Errorf("Unread = %d, want 6", unread(owner))
	}

	// Mona gets a notice of her own.
	grReview(t, d.s, GrantReview{Follow: grReviewed, OrgID: d.orgs["octo-org"], ActorID: owner, IDs: []int64{tkGrantID(t, d.s, tkTokenID(t, d, "mona", "n000"))},
		From: policy.GrantPending, To: policy.GrantApproved})
	monaUnread := unread(mona)
	if monaUnread != 1 {
		t.Errorf("mona Unread = %d, want 1", monaUnread)
	}

	// The page showed up to all[2]; all[1] and all[0] came later.
	upTo := all[2].ID
	if err := d.s.MarkNotificationsRead(ctx, owner, upTo); err != nil {
		t.Fatal(err)
	}
	after, err := d.s.NotificationsOf(ctx, owner, 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range after {
		if n.Unread != (n.ID > upTo) {
			t.Errorf("notification %d unread %v after marking up to %d", n.ID, n.Unread, upTo)
		}
	}
	if unread(owner) != 2 {
		t.Errorf("Unread = %d, want 2", unread(owner))
	}
	if unread(mona) != monaUnread {
		t.Errorf("marking the owner's notifications read touched mona's (%d → %d)", monaUnread, unread(mona))
	}
	// Marking again keeps the first read time; marking everything clears it.
	readAt := dumpQuery(t, d.s.write, `SELECT id, read_at FROM notifications WHERE user_id = ? AND read_at IS NOT NULL ORDER BY id`, owner)
	d.s.now = func() time.Time { return fixedNow.Add(time.Hour) }
	if err := d.s.MarkNotificationsRead(ctx, owner, upTo); err != nil {
		t.Fatal(err)
	}
	if again := dumpQuery(t, d.s.write, `SELECT id, read_at FROM notifications WHERE user_id = ? AND read_at IS NOT NULL ORDER BY id`, owner); again != readAt {
		t.Errorf("marking again changed read times:\n%s\nwas:\n%s", again, readAt)
	}
	// One user marking all of theirs leaves the others' alone.
	if err := d.s.MarkNotificationsRead(ctx, mona, 1<<40); err != nil {
		t.Fatal(err)
	}
	if unread(owner) != 2 || unread(mona) != 0 {
		t.Errorf("after mona marked hers: owner %d, mona %d unread; want 2, 0", unread(owner), unread(mona))
	}
	if err := d.s.MarkNotificationsRead(ctx, owner, 1<<40); err != nil || unread(owner) != 0 {
		t.Errorf("marking all: %v, %d unread", err, unread(owner))
	}
	if n, err := d.s.NotificationsOf(ctx, d.users["ent-admin"], 10); err != nil || len(n) != 0 {
		t.Errorf("ent-admin's notifications %v, %v; want none", n, err)
	}
}

func TestTurningApprovalOffApprovesManyPending(t *testing.T) {
	// More pending requests than one statement's chunk of the follow-up
	// work: every one is approved, keyed, audited and notified once.
	d := seededTest(t)
	org := d.orgs["octo-org"]
	grants := append(grBulkPending(t, d, "octo-org", "bulk", 510), tkGrantID(t, d.s, tkTokenID(t, d, "mona", "deploy-bot")),
		tkGrantID(t, d.s, tkTokenID(t, d, "hubot", "ci-reader")))
	notesBefore := count(t, d.s, `SELECT count(*) FROM notifications`)
	grSaveApproval(t, d, org, policy.ApprovalNotRequired)
	if n := count(t, d.s, `SELECT count(*) FROM grants WHERE org_id = ? AND status = 'approved'`, org); n != len(grants)+1 { // and owner-automation
		t.Errorf("%d approved grants, want %d", n, len(grants)+1)
	}
	if n := count(t, d.s, `SELECT count(*) FROM grant_keys WHERE org_id = ? AND status != 'approved'`, org); n != 0 {
		t.Errorf("%d grant keys not approved", n)
	}
	if n := grCountAction(t, d, org, policy.ActionAccessGranted); n != len(grants) {
		t.Errorf("%d access_granted events, want %d", n, len(grants))
	}
	if n := count(t, d.s, `SELECT count(DISTINCT details) FROM audit_events WHERE org_id = ? AND action = ?`, org, policy.ActionAccessGranted); n != len(grants) {
		t.Errorf("%d distinct access_granted events, want one per request (%d)", n, len(grants))
	}
	if n := count(t, d.s, `SELECT count(*) FROM notifications`) - notesBefore; n != len(grants) {
		t.Errorf("%d notifications, want %d", n, len(grants))
	}
	if n := count(t, d.s, `SELECT count(DISTINCT link) FROM notifications WHERE message LIKE 'Your token%approved%'`); n != len(grants) {
		t.Errorf("%d requesters' tokens notified, want %d", n, len(grants))
	}
	checkGrantCounts(t, d.s)
}

// checkGrantCounts compares the triggers' counters (grants by status,
// unread notifications) with a real count.
func checkGrantCounts(t *testing.T, s *Store) {
	t.Helper()
	want := dumpQuery(t, s.write, `SELECT org_id, status, count(*) FROM grants GROUP BY 1, 2 ORDER BY 1, 2`)
	got := dumpQuery(t, s.write, `SELECT org_id, status, n FROM grant_counts WHERE n != 0 ORDER BY 1, 2`)
	if got != want {
		t.Errorf("grant_counts:\n%s\nwant (counted):\n%s", got, want)
	}
	want = dumpQuery(t, s.write, `SELECT user_id, count(*) FROM notifications WHERE read_at IS NULL GROUP BY 1 ORDER BY 1`)
	got = dumpQuery(t, s.write, `SELECT user_id, n FROM unread_counts WHERE n != 0 ORDER BY 1`)
	if got != want {
		t.Errorf("unread_counts:\n%s\nwant (counted):\n%s", got, want)
	}
}

func TestGrantCountsFollowEveryChange(t *testing.T) {
	ctx := context.Background()
	d := seededTest(t)
	checkGrantCounts(t, d.s)
	org, owner := d.orgs["octo-org"], d.users["octo-owner"]
	pending := gids(t, d.s, org, policy.GrantPending)
	if n, err := d.s.CountGrants(ctx, org, policy.GrantPending); err != nil || n != len(pending) || n != 2 {
		t.Fatalf("CountGrants pending = %d, %v; want 2", n, err)
	}
	// A denial, a revocation, a deletion and a cancel each move a count.
	if _, err := d.s.Review(ctx, GrantReview{Follow: grReviewed, OrgID: org, ActorID: owner, IDs: pending[:1], From: policy.GrantPending, To: policy.GrantDenied}); err != nil {
		t.Fatal(err)
	}
	checkGrantCounts(t, d.s)
	active := gids(t, d.s, org, policy.GrantApproved)
	if _, err := d.s.Review(ctx, GrantReview{Follow: grReviewed, OrgID: org, ActorID: owner, IDs: active, From: policy.GrantApproved, To: policy.GrantRevoked}); err != nil {
		t.Fatal(err)
	}
	checkGrantCounts(t, d.s)
	if _, err := d.s.write.ExecContext(ctx, `DELETE FROM tokens WHERE id IN (SELECT token_id FROM grants WHERE status = 'denied')`); err != nil {
		t.Fatal(err)
	}
	checkGrantCounts(t, d.s)
	if n, _ := d.s.CountGrants(ctx, org, policy.GrantDenied); n != 0 {
		t.Errorf("CountGrants denied after deleting its token = %d, want 0", n)
	}
	if n, _ := d.s.CountGrants(ctx, org, policy.GrantPending); n != 1 {
		t.Errorf("CountGrants pending = %d, want 1", n)
	}
}

// gids lists an organization's grant ids in a status.
func gids(t *testing.T, s *Store, org int64, status policy.GrantStatus) []int64 {
	t.Helper()
	ids, err := int64s(context.Background(), s.read, `SELECT id FROM grants WHERE org_id = ? AND status = ? ORDER BY id`, org, status)
	if err != nil {
		t.Fatal(err)
	}
	return ids
}
