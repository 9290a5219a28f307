package db

import (
	"context"
	"crypto/rand"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"patpolicy/policy"
)

// inventoryFixture is the demo with classic tokens added: mona's "mona-ci"
// (a member of octo-org and solo-org), an expired one of hubot's, one of
// an outsider's, and an approved fine-grained token of mona's.
type inventoryFixture struct {
	demo
	monaCI, hubotOld, outsiderCI, monaFG int64
}

func newInventoryFixture(t *testing.T) inventoryFixture {
	t.Helper()
	d := seededTest(t)
	ctx := context.Background()
	f := inventoryFixture{demo: d}
	outsider, err := d.s.CreateUser(ctx, "outsider", "outsider@example.com", "", demoHash)
	if err != nil {
		t.Fatal(err)
	}
	f.monaCI = newClassic(t, d, d.users["mona"], "mona-ci", 30)
	f.hubotOld = newClassic(t, d, d.users["hubot"], "hubot-old", 7)
	f.outsiderCI = newClassic(t, d, outsider, "outsider-ci", 30)
	_, f.monaFG = newSecret(t, d, "mona-approved")
	// hubot's classic token expired yesterday.
	exec(t, d.s, `UPDATE tokens SET expires_at = ? WHERE id = ?`, timestamp(time.Now().Add(-24*time.Hour)), f.hubotOld)
	return f
}

func newClassic(t *testing.T, d demo, userID int64, note string, days int) int64 {
	t.Helper()
	secret, err := policy.GenerateToken(policy.KindClassic, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	id, err := d.s.CreateToken(context.Background(), NewToken{
		UserID: userID, Hash: policy.HashToken(secret), Prefix: policy.DisplayPrefix(secret), Kind: policy.KindClassic,
		Classic: policy.ClassicRequest{Note: note, ExpiresInDays: days, Scopes: []string{"repo"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func exec(t *testing.T, s *Store, query string, args ...any) {
	t.Helper()
	if _, err := s.write.ExecContext(context.Background(), query, args...); err != nil {
		t.Fatal(err)
	}
}

// inventoryOf builds the query of an organization's inventory.
func inventoryOf(t *testing.T, d demo, orgs ...string) InventoryQuery {
	t.Helper()
	q := InventoryQuery{Now: time.Now(), Limit: 50}
	for _, login := range orgs {
		p, err := d.s.OrgPolicy(context.Background(), d.orgs[login])
		if err != nil {
			t.Fatal(err)
		}
		q.Orgs = append(q.Orgs, InventoryOrg{ID: d.orgs[login], Login: login, Effective: p.Effective()})
	}
	return q
}

// listed lists a page's rows as "org/name:status".
func listed(t *testing.T, s *Store, q InventoryQuery) []string {
	t.Helper()
	page, err := s.ListInventory(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range page.Rows {
		out = append(out, r.OrgLogin+"/"+r.Name+":"+string(r.Status))
	}
	return out
}

func TestInventoryListsMembersTokensOfBothKinds(t *testing.T) {
	f := newInventoryFixture(t)
	q := inventoryOf(t, f.demo, "octo-org")
	// The enterprise restricts classic tokens in octo-org: mona's is
	// blocked there. hubot's expired token and the outsider's are not
	// listed at all.
	want := []string{
		"octo-org/mona-approved:active",
		"octo-org/mona-ci:blocked",
		"octo-org/owner-automation:active",
		"octo-org/ci-reader:pending",
		"octo-org/deploy-bot:pending",
	}
	if got := listed(t, f.s, q); !slices.Equal(got, want) {
		t.Errorf("inventory:\n got %q\nwant %q", got, want)
	}

	q.Kind = policy.KindClassic
	if got := listed(t, f.s, q); !slices.Equal(got, []string{"octo-org/mona-ci:blocked"}) {
		t.Errorf("classic only: %q", got)
	}
	q.Kind, q.OwnerID = "", f.users["mona"]
	if got := listed(t, f.s, q); !slices.Equal(got, []string{"octo-org/mona-approved:active", "octo-org/mona-ci:blocked", "octo-org/deploy-bot:pending"}) {
		t.Errorf("mona's: %q", got)
	}

	// A member who leaves takes their tokens out of the inventory.
	exec(t, f.s, `DELETE FROM memberships WHERE org_id = ? AND user_id = ?`, f.orgs["octo-org"], f.users["mona"])
	if got := listed(t, f.s, q); len(got) != 0 {
		t.Errorf("tokens of a former member: %q", got)
	}
}

func TestInventoryStatusFilters(t *testing.T) {
	f := newInventoryFixture(t)
	ctx := context.Background()
	now := time.Now()
	// mona's fine-grained token expires in three days; owner-automation
	// was last used 100 days ago.
	exec(t, f.s, `UPDATE tokens SET expires_at = ? WHERE id = ?`, timestamp(now.AddDate(0, 0, 3)), f.monaFG)
	exec(t, f.s, `UPDATE tokens SET last_used_at = ? WHERE name = 'owner-automation'`, timestamp(now.AddDate(0, 0, -100)))
	q := inventoryOf(t, f.demo, "octo-org")
	for status, want := range map[policy.InventoryStatus][]string{
		policy.InventoryPending:  {"octo-org/ci-reader:pending", "octo-org/deploy-bot:pending"},
		policy.InventoryBlocked:  {"octo-org/mona-ci:blocked"},
		policy.InventoryActive:   {"octo-org/mona-approved:expiring", "octo-org/owner-automation:inactive"},
		policy.InventoryExpiring: {"octo-org/mona-approved:expiring"},
		policy.InventoryInactive: {"octo-org/owner-automation:inactive"},
	} {
		q.Status = status
		if got := listed(t, f.s, q); !slices.Equal(got, want) {
			t.Errorf("%s:\n got %q\nwant %q", status, got, want)
		}
	}

	// A shorter inactivity limit makes a recent use old enough.
	exec(t, f.s, `UPDATE tokens SET last_used_at = ? WHERE id = ?`, timestamp(now.AddDate(0, 0, -20)), f.monaFG)
	exec(t, f.s, `UPDATE tokens SET expires_at = NULL WHERE id = ?`, f.monaFG)
	q.Status = policy.InventoryInactive
	q.Orgs[0].Effective.InactiveDays = 10
	if got := listed(t, f.s, q); !slices.Equal(got, []string{"octo-org/mona-approved:inactive", "octo-org/owner-automation:inactive"}) {
		t.Errorf("inactive for 10 days: %q", got)
	}

	// Allowing classic tokens, with a 30-day maximum: mona's 30-day token
	// is within it; one of 60 days is not, unless it is an exempt
	// administrator's.
	q = inventoryOf(t, f.demo, "solo-org")
	q.Orgs[0].Effective.ClassicLifetime = 30
	q.Kind = policy.KindClassic
	long := newClassic(t, f.demo, f.users["mona"], "mona-long", 60)
	ownerLong := newClassic(t, f.demo, f.users["octo-owner"], "owner-long", 60)
	_ = long
	_ = ownerLong
	q.Status = policy.InventoryBlocked
	if got := listed(t, f.s, q); !slices.Equal(got, []string{"solo-org/owner-long:blocked", "solo-org/mona-long:blocked"}) {
		t.Errorf("blocked by the classic maximum: %q", got)
	}
	q.Orgs[0].Effective.ExemptAdmins = true
	if got := listed(t, f.s, q); !slices.Equal(got, []string{"solo-org/mona-long:blocked"}) {
		t.Errorf("blocked with exempt administrators: %q", got)
	}
	q.Status = policy.InventoryActive
	if got := listed(t, f.s, q); !slices.Equal(got, []string{"solo-org/owner-long:active", "solo-org/mona-ci:active"}) {
		t.Errorf("active with exempt administrators: %q", got)
	}
	_ = ctx
}

func TestInventoryShowsClassicLastUsePerOrganization(t *testing.T) {
	f := newInventoryFixture(t)
	ctx := context.Background()
	t1 := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	f.s.TouchTokenIn(f.monaCI, f.orgs["solo-org"], t1)
	f.s.TouchTokenIn(f.monaCI, f.orgs["solo-org"], t1.Add(-time.Hour)) // an older call finishing late
	if err := f.s.FlushLastUses(ctx); err != nil {
		t.Fatal(err)
	}
	// Another instance flushing an older use does not move it back.
	other := openTestAt(t, locationOf(t, f.s))
	other.TouchTokenIn(f.monaCI, f.orgs["solo-org"], t1.Add(-2*time.Hour))
	if err := other.FlushLastUses(ctx); err != nil {
		t.Fatal(err)
	}
	q := inventoryOf(t, f.demo, "octo-org", "solo-org")
	q.Kind = policy.KindClassic
	page, err := f.s.ListInventory(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]time.Time{}
	for _, r := range page.Rows {
		got[r.OrgLogin] = r.LastUsed
	}
	if len(page.Rows) != 2 || !got["solo-org"].Equal(t1) || !got["octo-org"].IsZero() {
		t.Errorf("last uses per organization: %v (%d rows)", got, len(page.Rows))
	}
	// A deleted token's pending use is skipped.
	f.s.TouchTokenIn(f.monaCI, f.orgs["octo-org"], t1)
	if err := f.s.DeleteToken(ctx, f.users["mona"], f.monaCI, nil); err != nil {
		t.Fatal(err)
	}
	if err := f.s.FlushLastUses(ctx); err != nil {
		t.Errorf("flush after deletion: %v", err)
	}
}

func TestInventoryPagesThroughEveryToken(t *testing.T) {
	f := newInventoryFixture(t)
	ctx := context.Background()
	all := listed(t, f.s, inventoryOf(t, f.demo, "octo-org", "solo-org"))
	for _, c := range [][2]int{{1, 1}, {2, 1}, {1, 2}, {2, 2}, {3, 2}, {2, 3}, {1, 1000}, {2, 1000}, {5, 1000}} {
		limit, window := c[0], c[1]
		q := inventoryOf(t, f.demo, "octo-org", "solo-org")
		q.Limit, q.window = limit, window
		var seen []string
		var pages []InventoryPage
		for range 50 {
			page, err := f.s.ListInventory(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			pages = append(pages, page)
			if ids := distinctIDs(page.Rows); len(ids) > limit || len(ids) > 1 && len(page.Rows)-countOf(page.Rows, ids[len(ids)-1]) >= limit {
				t.Fatalf("limit %d, window %d: a page of %d rows goes past the limit", limit, window, len(page.Rows))
			}
			for _, r := range page.Rows {
				seen = append(seen, r.OrgLogin+"/"+r.Name+":"+string(r.Status))
			}
			if page.Older == 0 {
				break
			}
			q.Before = page.Older
		}
		if !slices.Equal(seen, all) {
			t.Errorf("limit %d, window %d, forwards:\n got %q\nwant %q", limit, window, seen, all)
		}
		// Back from the last page by Newer, the same rows come back.
		var back []string
		last := pages[len(pages)-1]
		q.Before = 0
		for newer, more := last.Newer, last.HasNewer; more; {
			q.After = newer
			page, err := f.s.ListInventory(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			var rows []string
			for _, r := range page.Rows {
				rows = append(rows, r.OrgLogin+"/"+r.Name+":"+string(r.Status))
			}
			back = append(rows, back...)
			newer, more = page.Newer, page.HasNewer
		}
		var lastRows []string
		for _, r := range last.Rows {
			lastRows = append(lastRows, r.OrgLogin+"/"+r.Name+":"+string(r.Status))
		}
		if got := append(back, lastRows...); !slices.Equal(got, all) {
			t.Errorf("limit %d, window %d, backwards:\n got %q\nwant %q", limit, window, got, all)
		}
	}
	if !slices.ContainsFunc(all, func(s string) bool { return strings.HasPrefix(s, "solo-org/mona-ci") }) {
		t.Errorf("mona's classic token is missing from solo-org: %q", all)
	}
}

// inventoryPlanCases are the inventory's queries on p: each source's
// window and rows, under each filter, first page and a later one, with
// every way the policy can block (restricted, a maximum lifetime with and
// without exempt administrators).
func inventoryPlanCases(p planTarget) []planCase {
	effs := []policy.Effective{
		{OptedIn: true, FineGrained: policy.Allow, Classic: policy.Allow},
		{OptedIn: true, FineGrained: policy.Restrict, Classic: policy.Restrict},
		{OptedIn: true, FineGrained: policy.Allow, Classic: policy.Allow, FineGrainedLifetime: 30, ClassicLifetime: 30, ExemptAdmins: true},
	}
	var cases []planCase
	for i, eff := range effs {
		for _, classic := range []bool{false, true} {
			src := source{org: InventoryOrg{ID: p.org, Login: "o", Effective: eff}, classic: classic}
			for _, q := range []InventoryQuery{
				{Limit: 50},
				{Limit: 50, Before: 1 << 30},
				{Limit: 50, After: 100},
				{Limit: 50, OwnerID: p.user},
				{Limit: 50, OwnerID: p.user, Before: 1 << 30},
				{Limit: 50, Status: policy.InventoryPending},
				{Limit: 50, Status: policy.InventoryBlocked},
				{Limit: 50, Status: policy.InventoryActive},
				{Limit: 50, Status: policy.InventoryExpiring},
				{Limit: 50, Status: policy.InventoryInactive},
			} {
				if !src.wanted(q) {
					continue
				}
				q.Now = time.Now()
				name := fmt.Sprintf("inventory %d classic=%v owner=%v before=%v after=%v %s", i, classic, q.OwnerID != 0, q.Before != 0, q.After != 0, q.Status)
				if q.Status == "" {
					query, args := p.s.inventoryWindowSQL(src, q, inventoryWindow)
					cases = append(cases, planCase{name: name + " window", query: query, args: args, ordered: true})
				}
				for _, beyond := range []int64{0, 1000} {
					query, args := p.s.inventoryRowsSQL(src, q, beyond)
					cases = append(cases, planCase{name: fmt.Sprintf("%s rows beyond=%d", name, beyond), query: query, args: args, ordered: true})
				}
			}
		}
	}
	return cases
}

func TestInventoryQueriesUseIndexes(t *testing.T) {
	for _, p := range planTargets(t) {
		t.Run(p.name, func(t *testing.T) {
			checkPlans(t, p.s, inventoryPlanCases(p))
		})
	}
}

func TestListGrantsAcrossPagesThroughSeveralOrganizations(t *testing.T) {
	d := seededTest(t)
	ctx := context.Background()
	other, err := d.s.CreateOrganization(ctx, "other-org", "Other Org", d.ent, d.users["octo-owner"])
	if err != nil {
		t.Fatal(err)
	}
	p, err := d.s.OrgPolicy(ctx, other)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"other-1", "other-2"} {
		secret, err := policy.GenerateToken(policy.KindFineGrained, rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := d.s.CreateToken(ctx, NewToken{
			UserID: d.users["octo-owner"], Hash: policy.HashToken(secret), Prefix: policy.DisplayPrefix(secret),
			Kind: policy.KindFineGrained, OrgID: other, OrgVersion: p.Version,
			FineGrained: policy.TokenRequest{Name: name, ExpiresInDays: 30, Selection: policy.SelectAll,
				Permissions: map[string]policy.Level{policy.Metadata: policy.LevelRead}, Status: policy.GrantPending},
		}); err != nil {
			t.Fatal(err)
		}
	}
	orgs := []int64{d.orgs["octo-org"], other}
	want := []string{"other-2", "other-1", "ci-reader", "deploy-bot"}
	var got []string
	q := GrantQuery{Status: policy.GrantPending, Limit: 3}
	page, err := d.s.ListGrantsAcross(ctx, orgs, q)
	if err != nil {
		t.Fatal(err)
	}
	for _, tk := range page.Tokens {
		got = append(got, tk.Name)
	}
	if !page.HasOlder || page.HasNewer {
		t.Errorf("first page: older %v newer %v", page.HasOlder, page.HasNewer)
	}
	q.Before = page.Tokens[len(page.Tokens)-1].Grant.ID
	next, err := d.s.ListGrantsAcross(ctx, orgs, q)
	if err != nil {
		t.Fatal(err)
	}
	for _, tk := range next.Tokens {
		got = append(got, tk.Name)
	}
	if !slices.Equal(got, want) || next.HasOlder || !next.HasNewer {
		t.Errorf("pages %q (older %v, newer %v), want %q", got, next.HasOlder, next.HasNewer, want)
	}
	q.Before, q.After = 0, next.Tokens[0].Grant.ID
	back, err := d.s.ListGrantsAcross(ctx, orgs, q)
	if err != nil {
		t.Fatal(err)
	}
	if len(back.Tokens) != 3 || back.Tokens[0].Name != "other-2" || back.HasNewer {
		t.Errorf("back to the first page: %d tokens, newer %v", len(back.Tokens), back.HasNewer)
	}
	if back.Tokens[0].OrgID != other {
		t.Errorf("org of other-2: %d", back.Tokens[0].OrgID)
	}
}

// countOf counts the rows of token id.
func countOf(rows []InventoryRow, id int64) int {
	n := 0
	for _, r := range rows {
		if r.TokenID == id {
			n++
		}
	}
	return n
}
