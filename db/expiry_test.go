package db

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"patpolicy/policy"
)

// exT0 is the fake clock's start: tokens of these tests are created then.
var exT0 = time.Date(2030, 3, 1, 12, 0, 0, 0, time.UTC)

const exDay = 24 * time.Hour

// exStore is the demo without its tokens, its clock at exT0.
func exStore(t *testing.T) demo {
	t.Helper()
	d := seededTest(t)
	if _, err := d.s.write.ExecContext(context.Background(), `DELETE FROM tokens`); err != nil {
		t.Fatal(err)
	}
	d.s.now = func() time.Time { return exT0 }
	return d
}

// exNoticed has an expiry notice followed by a notification naming it, as
// the application words it in its own way.
func exNoticed(t ExpiringToken) FollowUp {
	return FollowUp{Notices: []Notice{{UserID: t.UserID, Message: string(t.Notice) + " " + t.Name}}}
}

func exRevokedInactive(days int) Follow {
	return func(c GrantChange) FollowUp {
		ev, msg := policy.RevokedInactive(c.Subject, days)
		return FollowUp{ByRule: []policy.Event{ev}, Notices: []Notice{{UserID: c.UserID, Message: msg}}}
	}
}

func exSend(t *testing.T, s *Store, at time.Time, limit int) int {
	t.Helper()
	n, err := s.SendExpiryNotices(context.Background(), at, limit, exNoticed)
	if err != nil {
		t.Fatalf("SendExpiryNotices(%s): %v", at, err)
	}
	return n
}

func exRevoke(t *testing.T, s *Store, at time.Time, limit int) int {
	t.Helper()
	n, err := s.RevokeInactive(context.Background(), at, limit, exRevokedInactive)
	if err != nil {
		t.Fatalf("RevokeInactive(%s): %v", at, err)
	}
	return n
}

// exRace runs batch on two stores at once, each until a run of its finds
// nothing left, and returns how much each did.
func exRace(t *testing.T, a, b *Store, batch func(*Store) (int, error)) [2]int {
	t.Helper()
	var wg sync.WaitGroup
	var did [2]int
	for i, s := range []*Store{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				n, err := batch(s)
				if err != nil {
					t.Error(err)
					return
				}
				if n == 0 {
					return
				}
				did[i] += n
			}
		}()
	}
	wg.Wait()
	return did
}

func exOwnerToken(t *testing.T, d demo, name string, days int) int64 {
	t.Helper()
	id, _ := tkCreate(t, d, "octo-owner", "octo-org", policy.TokenRequest{Name: name, ExpiresInDays: days,
		Selection: policy.SelectAll, Status: policy.GrantApproved,
		Permissions: map[string]policy.Level{policy.Metadata: policy.LevelRead}})
	return id
}

// exOwnerTokens creates n of exOwnerToken, named prefix0, prefix1...
func exOwnerTokens(t *testing.T, d demo, prefix string, n, days int) {
	t.Helper()
	for i := range n {
		exOwnerToken(t, d, fmt.Sprint(prefix, i), days)
	}
}

func exMessages(t *testing.T, s *Store, userID int64) []string {
	t.Helper()
	var out []string
	for _, n := range tkNotes(t, s, userID) {
		out = append(out, n.Message)
	}
	return out
}

func TestExpiryNoticesSevenDaysOneDayAndExpiredEachOnce(t *testing.T) {
	d := exStore(t)
	exOwnerToken(t, d, "fg30", 30)
	exOwnerToken(t, d, "forever", 0)
	tkClassic(t, d, "octo-owner", "classic30", "repo")
	owner := d.users["octo-owner"]
	before := len(tkNotes(t, d.s, owner))
	expires := exT0.AddDate(0, 0, 30)

	steps := []struct {
		at   time.Time
		want int
	}{
		{exT0, 0},
		{expires.Add(-7*exDay - time.Second), 0},
		{expires.Add(-7 * exDay), 2},
		{expires.Add(-7*exDay + time.Hour), 0},
		{expires.Add(-exDay - time.Minute), 0},
		{expires.Add(-exDay), 2},
		{expires.Add(-time.Second), 0},
		{expires, 2},
		{expires.Add(3 * exDay), 0},
		{expires.Add(400 * exDay), 0},
	}
	for _, st := range steps {
		if got := exSend(t, d.s, st.at, 500); got != st.want {
			t.Errorf("at %s: sent %d notices, want %d", st.at, got, st.want)
		}
	}
	got := exMessages(t, d.s, owner)[before:]
	want := []string{"expiring_7d fg30", "expiring_7d classic30", "expiring_1d fg30", "expiring_1d classic30", "expired fg30", "expired classic30"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("notices = %q, want %q", got, want)
	}
	if n := count(t, d.s, `SELECT count(*) FROM token_notices`); n != 6 {
		t.Errorf("token_notices holds %d rows, want 6", n)
	}
}

func TestExpiryNoticesLateRunSendsOnlyTheMostPressing(t *testing.T) {
	d := exStore(t)
	exOwnerToken(t, d, "late", 7)
	// Made 7 days from its expiry: "expires in 7 days" tells nothing new,
	// and is recorded unsent.
	if got := exSend(t, d.s, exT0, 500); got != 0 {
		t.Errorf("a 7-day token was told at once it expires in 7 days (%d sent)", got)
	}
	if n := count(t, d.s, `SELECT count(*) FROM token_notices WHERE kind = 'expiring_7d'`); n != 1 {
		t.Errorf("expiring_7d rows = %d, want 1 (recorded, not sent)", n)
	}
	// The first run comes half a day before expiry: the week's notice is
	// past, the day's is due.
	if got := exSend(t, d.s, exT0.AddDate(0, 0, 7).Add(-12*time.Hour), 500); got != 1 {
		t.Fatalf("sent %d, want 1", got)
	}
	if n := count(t, d.s, `SELECT count(*) FROM token_notices WHERE kind = 'expiring_1d'`); n != 1 {
		t.Errorf("expiring_1d rows = %d, want 1", n)
	}
	// One that expired more than the window ago is never announced.
	exOwnerToken(t, d, "long-gone", 7)
	if got := exSend(t, d.s, exT0.AddDate(0, 0, 7).Add(policy.NoticeWindow+time.Hour), 500); got != 0 {
		t.Errorf("sent %d for tokens long expired, want 0", got)
	}
}

func TestExpiryNoticesOnceAcrossInstancesAndRestarts(t *testing.T) {
	d := exStore(t)
	const tokens = 40
	exOwnerTokens(t, d, "t", tokens, 30)
	loc := locationOf(t, d.s)
	twin := openTestAt(t, loc)
	at := exT0.AddDate(0, 0, 30).Add(-7 * exDay)
	// Small batches, so that the two interleave.
	sent := exRace(t, d.s, twin, func(s *Store) (int, error) {
		return s.SendExpiryNotices(context.Background(), at, 3, exNoticed)
	})
	if sent[0]+sent[1] != tokens {
		t.Errorf("the two instances sent %d + %d notices, want %d in all", sent[0], sent[1], tokens)
	}
	if n := count(t, d.s, `SELECT count(*) FROM notifications WHERE message LIKE 'expiring_7d %'`); n != tokens {
		t.Errorf("%d notifications, want %d", n, tokens)
	}
	// A restart: a new store on the same database has nothing to send.
	restarted := openTestAt(t, loc)
	if got := exSend(t, restarted, at.Add(time.Minute), 500); got != 0 {
		t.Errorf("after a restart: sent %d, want 0", got)
	}
}

func TestExpiryNoticesBoundedBatch(t *testing.T) {
	d := exStore(t)
	for _, name := range []string{"b1", "b2", "b3"} {
		exOwnerToken(t, d, name, 30)
	}
	at := exT0.AddDate(0, 0, 30)
	if got := exSend(t, d.s, at, 2); got != 2 {
		t.Errorf("first run sent %d, want the batch of 2", got)
	}
	if got := exSend(t, d.s, at, 2); got != 1 {
		t.Errorf("second run sent %d, want the 1 left", got)
	}
}

// exSetInactive sets an organization's own inactivity limit.
func exSetInactive(t *testing.T, d demo, org string, days int) {
	t.Helper()
	p := orgPolicy(t, d.s, d.orgs[org])
	next := p.Own
	next.InactiveDays = days
	if err := d.s.SaveOrgPolicy(context.Background(), d.orgs[org], d.users["octo-owner"], p.Version, next,
		policy.OrgEvents(p.Own, next), nil); err != nil {
		t.Fatal(err)
	}
}

func TestRevokeInactiveRevokesUnusedApprovedTokensOnce(t *testing.T) {
	d := exStore(t)
	ctx := context.Background()
	never := exOwnerToken(t, d, "never-used", 0)
	usedLong := exOwnerToken(t, d, "used-long-ago", 0)
	usedRecently := exOwnerToken(t, d, "used-recently", 0)
	usedJustNow := exOwnerToken(t, d, "used-just-now", 0)
	pending, _ := tkCreate(t, d, "mona", "octo-org", policy.TokenRequest{Name: "pending", ExpiresInDays: 0,
		Justification: "x", Selection: policy.SelectAll, Status: policy.GrantPending,
		Permissions: map[string]policy.Level{policy.Metadata: policy.LevelRead}})
	classic, _ := tkClassic(t, d, "octo-owner", "classic", "repo")

	at := exT0.AddDate(0, 0, 31)
	// Without a limit nothing is revoked (a sweep a period earlier).
	if got := exRevoke(t, d.s, at.Add(-InactivitySweep), 500); got != 0 {
		t.Fatalf("revoked %d without a limit", got)
	}
	exSetInactive(t, d, "octo-org", 30)
	d.s.TouchToken(usedLong, exT0.Add(12*time.Hour))
	d.s.TouchToken(usedRecently, exT0.AddDate(0, 0, 10))
	if err := d.s.FlushLastUses(ctx); err != nil {
		t.Fatal(err)
	}
	// Used a second ago, noted in memory only: not yet flushed.
	d.s.TouchToken(usedJustNow, at.Add(-time.Second))
	d.s.TouchToken(classic, exT0)

	if got := exRevoke(t, d.s, at, 500); got != 2 {
		t.Fatalf("revoked %d, want 2 (never used, used long ago)", got)
	}
	status := func(token int64) string {
		var s string
		if err := d.s.write.QueryRowContext(ctx, `SELECT status || '|' || reason || '|' || COALESCE(reviewer_id, 0) FROM grants WHERE token_id = ?`, token).Scan(&s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	for token, want := range map[int64]string{
		never: "revoked|inactive|0", usedLong: "revoked|inactive|0",
		usedRecently: "approved||0", usedJustNow: "approved||0", pending: "pending||0",
	} {
		if got := status(token); !strings.HasPrefix(got, strings.TrimSuffix(want, "|0")) {
			t.Errorf("grant of token %d = %s, want %s", token, got, want)
		}
	}
	if got := exRevoke(t, d.s, at.Add(InactivitySweep), 500); got != 0 {
		t.Errorf("a second sweep revoked %d, want 0", got)
	}
	var revokedEvents []string
	for _, e := range tkEvents(t, d.s, d.orgs["octo-org"]) {
		if strings.HasPrefix(e, policy.ActionAccessRevoked+"|") {
			revokedEvents = append(revokedEvents, e)
		}
	}
	want := []string{
		policy.ActionAccessRevoked + "|Token “never-used” of octo-owner on octo-org: reason: inactive (not used for 30 days)|" + policy.RuleActor,
		policy.ActionAccessRevoked + "|Token “used-long-ago” of octo-owner on octo-org: reason: inactive (not used for 30 days)|" + policy.RuleActor,
	}
	if strings.Join(revokedEvents, "\n") != strings.Join(want, "\n") {
		t.Errorf("revocation events:\n%s\nwant:\n%s", strings.Join(revokedEvents, "\n"), strings.Join(want, "\n"))
	}
	var told int
	for _, m := range exMessages(t, d.s, d.users["octo-owner"]) {
		if strings.Contains(m, "was not used for 30 days") {
			told++
		}
	}
	if told != 2 {
		t.Errorf("owner told of %d revocations, want 2", told)
	}
	if n := count(t, d.s, `SELECT count(*) FROM grant_keys WHERE grant_id = ? AND status = 'revoked'`, tkGrantID(t, d.s, never)); n == 0 {
		t.Error("the revoked grant's keys kept their old status")
	}
}

func TestRevokeInactiveEnterpriseLimitAndBoundedBatch(t *testing.T) {
	d := exStore(t)
	ctx := context.Background()
	for _, name := range []string{"e1", "e2", "e3"} {
		exOwnerToken(t, d, name, 0)
	}
	// octo-org belongs to the enterprise; its own limit is none.
	ent, version, err := d.s.EnterprisePolicy(ctx, d.ent)
	if err != nil {
		t.Fatal(err)
	}
	next := ent
	next.InactiveDays = 10
	if err := d.s.SaveEnterprisePolicy(ctx, d.ent, d.users["ent-admin"], version, next, policy.EnterpriseEvents(ent, next), nil); err != nil {
		t.Fatal(err)
	}
	eff := orgPolicy(t, d.s, d.orgs["octo-org"]).Effective()
	if eff.InactiveDays != 10 || !eff.IsLocked(policy.FieldInactive) {
		t.Fatalf("effective = %d days, locked %v; want 10, locked", eff.InactiveDays, eff.IsLocked(policy.FieldInactive))
	}
	at := exT0.AddDate(0, 0, 11)
	if got := exRevoke(t, d.s, at.Add(-2*exDay), 2); got != 0 {
		t.Errorf("revoked %d before the limit, want 0", got)
	}
	if got := exRevoke(t, d.s, at, 2); got != 2 {
		t.Errorf("first run revoked %d, want the batch of 2", got)
	}
	if got := exRevoke(t, d.s, at, 2); got != 1 {
		t.Errorf("second run revoked %d, want the 1 left", got)
	}
}

func TestRevokeInactiveSweepsOncePerPeriod(t *testing.T) {
	d := exStore(t)
	exOwnerToken(t, d, "first", 0)
	exSetInactive(t, d, "octo-org", 7)
	at := exT0.AddDate(0, 0, 8)
	if got := exRevoke(t, d.s, at, 500); got != 1 {
		t.Fatalf("first sweep revoked %d, want 1", got)
	}
	exOwnerToken(t, d, "second", 0) // created at exT0: idle too
	if got := exRevoke(t, d.s, at.Add(InactivitySweep-time.Second), 500); got != 0 {
		t.Errorf("a run within the period revoked %d, want 0", got)
	}
	// Another instance, or a restart, keeps to the same period.
	if got := exRevoke(t, openTestAt(t, locationOf(t, d.s)), at.Add(time.Minute), 500); got != 0 {
		t.Errorf("another store within the period revoked %d, want 0", got)
	}
	if got := exRevoke(t, d.s, at.Add(InactivitySweep), 500); got != 1 {
		t.Errorf("the next sweep revoked %d, want 1", got)
	}
}

func TestRevokeInactiveOnceAcrossInstances(t *testing.T) {
	d := exStore(t)
	const tokens = 30
	exOwnerTokens(t, d, "r", tokens, 0)
	exSetInactive(t, d, "octo-org", 7)
	twin := openTestAt(t, locationOf(t, d.s))
	at := exT0.AddDate(0, 0, 8)
	revoked := exRace(t, d.s, twin, func(s *Store) (int, error) {
		return s.RevokeInactive(context.Background(), at, 4, exRevokedInactive)
	})
	if revoked[0]+revoked[1] != tokens {
		t.Errorf("revoked %d + %d, want %d in all", revoked[0], revoked[1], tokens)
	}
	if n := count(t, d.s, `SELECT count(*) FROM audit_events WHERE action = ? AND actor_id IS NULL`, policy.ActionAccessRevoked); n != tokens {
		t.Errorf("%d revocation events, want %d", n, tokens)
	}
}

// expiryPlanCases are the queries of the expiry and inactivity runs on p.
func expiryPlanCases(p planTarget) []planCase {
	now := time.Now()
	return []planCase{
		{name: "expiry notices due", query: expiringQuery, ordered: true,
			args: []any{timestamp(now), timestamp(now.Add(exDay)), timestamp(now.Add(7 * exDay)), timestamp(now.Add(-policy.NoticeWindow)), 500},
			uses: []string{"tokens_by_expiry (expires_at>? AND expires_at<?)"}},
		{name: "organizations with an inactivity limit", query: inactiveOrgsQuery,
			uses: []string{"org_policies_inactive", "enterprise_policies_inactive"}},
		{name: "inactive grants", query: inactiveTokensQuery, ordered: true,
			args: []any{p.org, timestamp(now.AddDate(0, 0, -30)), 500},
			uses: []string{"tokens_by_org_last_use (org_id=? AND <expr><?)"}},
	}
}

func TestExpiryQueriesUseIndexes(t *testing.T) {
	for _, p := range planTargets(t) {
		t.Run(p.name, func(t *testing.T) {
			checkPlans(t, p.s, expiryPlanCases(p))
		})
	}
}

// BenchmarkExpiryRuns measures the background runs on the scale dataset
// (DemoScale(n), n from PATPOLICY_EXPIRY_BENCH_N, 20000 unless set): a
// batch of revocations and one of notices while much is due, then a run
// with nothing left due, which is what every instance pays every minute,
// and the hourly inactivity sweep that finds nothing.
// Run it once: go test ./db/ -run '^$' -bench BenchmarkExpiryRuns -benchtime 1x
func BenchmarkExpiryRuns(b *testing.B) {
	ctx := context.Background()
	n := 20000
	if v, err := strconv.Atoi(os.Getenv("PATPOLICY_EXPIRY_BENCH_N")); err == nil && v > 0 {
		n = v
	}
	s := openTestAt(b, filepath.Join(b.TempDir(), "bench.db"))
	if _, err := s.SeedDemo(ctx, demoHash, tkCreated); err != nil {
		b.Fatal(err)
	}
	info, err := s.SeedScale(ctx, DemoScale(n), demoHash, tkCreated, grReviewed)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := s.write.ExecContext(ctx, `UPDATE org_policies SET inactive_days = 90 WHERE org_id = ?`, info.OrgIDs[0]); err != nil {
		b.Fatal(err)
	}
	now := time.Now()
	timed := func(name string, run func() (int, error)) int {
		start := time.Now()
		got, err := run()
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(time.Since(start).Microseconds())/1000, name+"-ms")
		return got
	}
	for b.Loop() {
		revoke := func() (int, error) { return s.RevokeInactive(ctx, now, 500, exRevokedInactive) }
		send := func() (int, error) { return s.SendExpiryNotices(ctx, now, 500, exNoticed) }
		b.ReportMetric(float64(timed("revoke-batch", revoke)), "revoked")
		for done := 500; done == 500; {
			if done, err = revoke(); err != nil {
				b.Fatal(err)
			}
		}
		timed("revoke-idle", revoke)
		timed("revoke-sweep-nothing-due", func() (int, error) {
			return s.RevokeInactive(ctx, now.Add(InactivitySweep), 500, exRevokedInactive)
		})
		b.ReportMetric(float64(timed("notice-batch", send)), "notices")
		for done := 500; done == 500; {
			if done, err = send(); err != nil {
				b.Fatal(err)
			}
		}
		timed("notice-idle", send)
		b.ReportMetric(float64(count(b, s, `SELECT count(*) FROM tokens`)), "tokens")
		b.ReportMetric(float64(count(b, s, `SELECT count(*) FROM token_notices`)), "notified")
		b.ReportMetric(float64(count(b, s, `SELECT count(*) FROM grants WHERE reason = 'inactive'`)), "revoked-all")
	}
}
