package db

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	mrand "math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"patpolicy/policy"
)

// apiGrant is a grant as the brute-force filter sees it: straight from the
// base tables, not from grant_keys.
type apiGrant struct {
	id, token, user int64
	status          policy.GrantStatus
	selection       policy.Selection
	repos           []int64
	perms           map[string]policy.Level
	used            time.Time // zero: never used
}

// apiLoad loads every grant of an organization, by id.
func apiLoad(t *testing.T, s *Store, orgID int64) []apiGrant {
	t.Helper()
	ctx := context.Background()
	rows, err := s.write.QueryContext(ctx, `SELECT g.id, t.id, g.user_id, g.status, t.repository_selection, COALESCE(t.last_used_at, '')
		FROM grants g JOIN tokens t ON t.id = g.token_id WHERE g.org_id = ? ORDER BY g.id`, orgID)
	if err != nil {
		t.Fatal(err)
	}
	var out []apiGrant
	for rows.Next() {
		var g apiGrant
		var used string
		if err := rows.Scan(&g.id, &g.token, &g.user, &g.status, &g.selection, &used); err != nil {
			t.Fatal(err)
		}
		if used != "" {
			if g.used, err = time.Parse(time.RFC3339Nano, used); err != nil {
				t.Fatalf("last_used_at %q: %v", used, err)
			}
		}
		out = append(out, g)
	}
	rows.Close()
	for i := range out {
		g := &out[i]
		g.perms = map[string]policy.Level{}
		for _, line := range strings.Split(strings.TrimSpace(dumpQuery(t, s.write, `SELECT name, level FROM token_permissions WHERE token_id = ?`, g.token)), "\n") {
			if f := strings.Fields(line); len(f) == 2 {
				g.perms[f[0]] = policy.Level(f[1])
			}
		}
		for _, f := range strings.Fields(dumpQuery(t, s.write, `SELECT repo_id FROM token_repositories WHERE token_id = ? ORDER BY repo_id`, g.token)) {
			var id int64
			fmt.Sscan(f, &id)
			g.repos = append(g.repos, id)
		}
	}
	return out
}

// matches is the API's filters as GitHub documents them, checked one by one.
func (g apiGrant) matches(q APIGrantQuery, public map[int64]bool) bool {
	if g.status != q.Status {
		return false
	}
	if len(q.OwnerIDs) > 0 && !slices.Contains(q.OwnerIDs, g.user) {
		return false
	}
	if len(q.TokenIDs) > 0 && !slices.Contains(q.TokenIDs, g.token) {
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
	if !q.LastUsedBefore.IsZero() && (g.used.IsZero() || !g.used.Before(q.LastUsedBefore)) {
		return false
	}
	if !q.LastUsedAfter.IsZero() && (g.used.IsZero() || !g.used.After(q.LastUsedAfter)) {
		return false
	}
	return true
}

// apiFixture is the demo plus generated grants of octo-org in every status,
// with last uses at a few shared times (so that bounds fall on stored
// values), and requests to solo-org that must never show in octo-org.
type apiFixture struct {
	d      demo
	org    int64
	repos  map[string]int64
	public map[int64]bool
	times  []time.Time // the last-use times given out, in order
	solo   []int64     // tokens of solo-org requests
}

func newAPIFixture(t *testing.T) apiFixture {
	t.Helper()
	ctx := context.Background()
	d := seededTest(t)
	f := apiFixture{d: d, org: d.orgs["octo-org"], repos: tkRepoIDs(t, d.s, d.orgs["octo-org"]), public: map[int64]bool{}}
	repos, err := d.s.ReposOf(ctx, f.org)
	if err != nil {
		t.Fatal(err)
	}
	var repoIDs []int64
	for _, r := range repos {
		f.public[r.ID] = !r.Private
		repoIDs = append(repoIDs, r.ID)
	}
	rng := mrand.New(mrand.NewPCG(4, 2))
	users := []string{"mona", "hubot", "octo-owner"}
	perms := []string{"contents", "issues", "members", policy.Metadata}
	var tokens []int64
	for i := range 72 {
		req := policy.TokenRequest{Name: fmt.Sprintf("api%03d", i), ExpiresInDays: 30, Justification: "api test",
			Status: policy.GrantPending, Permissions: map[string]policy.Level{}}
		switch rng.IntN(3) {
		case 0:
			req.Selection = policy.SelectAll
		case 1:
			req.Selection = policy.SelectPublic
		default:
			req.Selection = policy.SelectSelected
			for _, r := range repoIDs {
				if rng.IntN(2) == 0 {
					req.RepoIDs = append(req.RepoIDs, r)
				}
			}
			if len(req.RepoIDs) == 0 {
				req.RepoIDs = repoIDs[:1]
			}
		}
		for _, p := range perms {
			if rng.IntN(2) == 0 {
				req.Permissions[p] = policy.Level([]string{"read", "write"}[rng.IntN(2)])
			}
		}
		id, _ := tkCreate(t, d, users[rng.IntN(len(users))], "octo-org", req)
		tokens = append(tokens, id)
	}
	for i := range 4 {
		id, _ := tkCreate(t, d, "mona", "solo-org", policy.TokenRequest{Name: fmt.Sprintf("solo%d", i), ExpiresInDays: 30,
			Selection: policy.SelectAll, Status: policy.GrantPending, Permissions: map[string]policy.Level{"contents": policy.LevelRead}})
		f.solo = append(f.solo, id)
		tokens = append(tokens, id)
	}
	// Review about two thirds of octo-org's requests, and revoke some of
	// the approved grants.
	var approve, deny []int64
	for _, g := range apiLoad(t, d.s, f.org) {
		if g.status != policy.GrantPending {
			continue
		}
		switch rng.IntN(3) {
		case 0:
			approve = append(approve, g.id)
		case 1:
			deny = append(deny, g.id)
		}
	}
	owner := d.users["octo-owner"]
	grReview(t, d.s, GrantReview{Follow: grReviewed, OrgID: f.org, ActorID: owner, IDs: approve, From: policy.GrantPending, To: policy.GrantApproved})
	grReview(t, d.s, GrantReview{Follow: grReviewed, OrgID: f.org, ActorID: owner, IDs: deny, From: policy.GrantPending, To: policy.GrantDenied})
	grReview(t, d.s, GrantReview{Follow: grReviewed, OrgID: f.org, ActorID: owner, IDs: approve[:len(approve)/5], From: policy.GrantApproved, To: policy.GrantRevoked})
	base := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	for i := range 6 {
		f.times = append(f.times, base.Add(time.Duration(i)*time.Hour+time.Duration(i)*time.Microsecond))
	}
	for _, id := range tokens {
		if rng.IntN(4) == 0 {
			continue // never used
		}
		if _, err := d.s.write.ExecContext(ctx, `UPDATE tokens SET last_used_at = ? WHERE id = ?`,
			timestamp(f.times[rng.IntN(len(f.times))]), id); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

// want is the brute-force answer: the ids of the matching grants in the
// query's order.
func (f apiFixture) want(model []apiGrant, q APIGrantQuery) []int64 {
	var ids []int64
	for _, g := range model {
		if g.matches(q, f.public) {
			ids = append(ids, g.id)
		}
	}
	if !q.Ascending {
		slices.Reverse(ids)
	}
	return ids
}

// checkAPIPages fetches the first two pages of a listing, its last and the
// page after the last, and compares each and the total with want.
func checkAPIPages(t *testing.T, s *Store, q APIGrantQuery, want []int64, byID map[int64]apiGrant) {
	t.Helper()
	ctx := context.Background()
	per := q.PerPage
	last := max(1, (len(want)+per-1)/per)
	pages := []int{1, last + 1}
	if last > 1 {
		pages = append(pages, 2, last)
	}
	slices.Sort(pages)
	pages = slices.Compact(pages)
	for _, page := range pages {
		q.Page = page
		got, total, err := s.ListAPIGrants(ctx, q)
		if err != nil {
			t.Fatalf("ListAPIGrants(%+v): %v", q, err)
		}
		if total != len(want) {
			t.Errorf("ListAPIGrants(%+v): total %d, want %d", q, total, len(want))
		}
		lo, hi := min(len(want), (page-1)*per), min(len(want), page*per)
		var ids []int64
		for _, tok := range got {
			if tok.Grant == nil {
				t.Fatalf("ListAPIGrants(%+v): token %d without its grant", q, tok.ID)
			}
			ids = append(ids, tok.Grant.ID)
			m, ok := byID[tok.Grant.ID]
			if !ok {
				continue // reported by the comparison below
			}
			var repos []int64
			for _, r := range tok.Repos {
				repos = append(repos, r.ID)
			}
			slices.Sort(repos)
			if tok.ID != m.token || tok.UserID != m.user || tok.Grant.Status != q.Status || tok.OrgID != q.OrgID ||
				tok.Selection != m.selection || tok.Permissions == nil || !maps.Equal(tok.Permissions, m.perms) || !slices.Equal(repos, m.repos) ||
				!tok.LastUsedAt.Equal(m.used) {
				t.Errorf("ListAPIGrants(%+v): token %+v does not match the stored grant %+v", q, tok, m)
			}
		}
		if !slices.Equal(ids, want[lo:hi]) {
			t.Errorf("ListAPIGrants(%+v): page %d is %v, want %v", q, page, ids, want[lo:hi])
		}
	}
}

func TestListAPIGrantsMatchesBruteForce(t *testing.T) {
	ctx := context.Background()
	f := newAPIFixture(t)
	s, d := f.d.s, f.d
	model := apiLoad(t, s, f.org)
	byID := map[int64]apiGrant{}
	statuses := map[policy.GrantStatus]int{}
	for _, g := range model {
		byID[g.id] = g
		statuses[g.status]++
	}
	if statuses[policy.GrantPending] < 10 || statuses[policy.GrantApproved] < 10 || statuses[policy.GrantDenied] == 0 || statuses[policy.GrantRevoked] == 0 {
		t.Fatalf("fixture statuses %v: want every status, enough pending and approved", statuses)
	}
	var allTokens []int64
	for _, g := range model {
		allTokens = append(allTokens, g.token)
	}
	allTokens = append(allTokens, f.solo...)
	allTokens = append(allTokens, 1<<40) // no such token

	ownerSets := [][]int64{nil, {d.users["mona"]}, {d.users["hubot"], d.users["octo-owner"]}, {d.users["mona"], d.users["mona"]},
		{d.users["ent-admin"]}, {d.users["mona"], d.users["hubot"], d.users["octo-owner"]}}
	repoIDs := []int64{0, f.repos["octo-web"], f.repos["octo-api"], f.repos["octo-infra"]}
	permissions := []string{"", "contents", "issues", "members", policy.Metadata, "no_such_permission"}
	// Bounds on stored times, between them, and a nanosecond off one (the
	// stored value is below a bound half a microsecond above it).
	bounds := []time.Time{{}}
	for _, tm := range f.times {
		bounds = append(bounds, tm, tm.Add(30*time.Minute), tm.Add(time.Nanosecond), tm.Add(-time.Nanosecond))
	}
	statusesToList := []policy.GrantStatus{policy.GrantPending, policy.GrantApproved, policy.GrantDenied, policy.GrantRevoked}
	perPages := []int{1, 3, 7, 30, 100}

	var queries []APIGrantQuery
	// Each filter alone, both directions.
	for _, st := range statusesToList {
		for _, asc := range []bool{false, true} {
			base := APIGrantQuery{OrgID: f.org, Status: st, Ascending: asc, PerPage: 7}
			queries = append(queries, base)
			for _, o := range ownerSets[1:] {
				q := base
				q.OwnerIDs = o
				queries = append(queries, q)
			}
			for _, r := range repoIDs[1:] {
				q := base
				q.RepoID = r
				queries = append(queries, q)
			}
			for _, p := range permissions[1:] {
				q := base
				q.Permission = p
				queries = append(queries, q)
			}
			for _, b := range []time.Time{f.times[2], f.times[3].Add(time.Nanosecond)} {
				q := base
				q.LastUsedBefore = b
				queries = append(queries, q)
				q = base
				q.LastUsedAfter = b
				queries = append(queries, q)
			}
			q := base
			q.TokenIDs = allTokens[:10]
			queries = append(queries, q)
		}
	}
	// Random combinations.
	rng := mrand.New(mrand.NewPCG(9, 9))
	pick := func(p float64) bool { return rng.Float64() < p }
	for range 150 {
		q := APIGrantQuery{OrgID: f.org, Status: statusesToList[rng.IntN(2)], Ascending: pick(0.5), PerPage: perPages[rng.IntN(len(perPages))]}
		if pick(0.1) {
			q.Status = statusesToList[2+rng.IntN(2)]
		}
		if pick(0.5) {
			q.OwnerIDs = ownerSets[rng.IntN(len(ownerSets))]
		}
		if pick(0.5) {
			q.RepoID = repoIDs[rng.IntN(len(repoIDs))]
		}
		if pick(0.5) {
			q.Permission = permissions[rng.IntN(len(permissions))]
		}
		if pick(0.3) {
			q.LastUsedBefore = bounds[rng.IntN(len(bounds))]
		}
		if pick(0.3) {
			q.LastUsedAfter = bounds[rng.IntN(len(bounds))]
		}
		if pick(0.2) {
			for range 1 + rng.IntN(12) {
				q.TokenIDs = append(q.TokenIDs, allTokens[rng.IntN(len(allTokens))])
			}
		}
		queries = append(queries, q)
	}

	drivers := map[apiDriver]int{}
	nonEmpty := 0
	for _, q := range queries {
		p, err := s.planAPIGrants(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		drivers[p.driver]++
		want := f.want(model, q)
		if len(want) > 0 {
			nonEmpty++
		}
		checkAPIPages(t, s, q, want, byID)
	}
	// The comparison means something only if it went through every way of
	// answering, and most listings were not empty.
	for _, dr := range []apiDriver{driveWalk, driveKey, driveTokens} {
		if drivers[dr] < 10 {
			t.Errorf("only %d queries walked driver %d: %v", drivers[dr], dr, drivers)
		}
	}
	if nonEmpty < len(queries)/2 {
		t.Errorf("only %d of %d listings had rows", nonEmpty, len(queries))
	}
}

func TestListAPIGrantsPaging(t *testing.T) {
	ctx := context.Background()
	f := newAPIFixture(t)
	var pending []int64
	for _, g := range apiLoad(t, f.d.s, f.org) {
		if g.status == policy.GrantPending {
			pending = append(pending, g.id)
		}
	}
	grReview(t, f.d.s, GrantReview{Follow: grReviewed, OrgID: f.org, ActorID: f.d.users["octo-owner"], IDs: pending, From: policy.GrantPending, To: policy.GrantApproved})
	model := apiLoad(t, f.d.s, f.org)
	q := APIGrantQuery{OrgID: f.org, Status: policy.GrantApproved}
	want := f.want(model, q)
	if len(want) <= apiDefaultPerPage {
		t.Fatalf("fixture has %d approved grants; the test needs more than a default page", len(want))
	}
	// A missing page and page size are the first page of 30; a page size
	// above the maximum is the maximum.
	for _, tc := range []struct {
		page, perPage, from, to int
	}{
		{0, 0, 0, 30}, {-3, -1, 0, 30}, {2, 0, 30, 60}, {1, 1000, 0, 100}, {math.MaxInt, 100, 0, 0}, {math.MaxInt / 50, 100, 0, 0},
	} {
		q.Page, q.PerPage = tc.page, tc.perPage
		got, total, err := f.d.s.ListAPIGrants(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		var ids []int64
		for _, tok := range got {
			ids = append(ids, tok.Grant.ID)
		}
		lo, hi := min(tc.from, len(want)), min(tc.to, len(want))
		if total != len(want) || !slices.Equal(ids, want[lo:hi]) {
			t.Errorf("page %d of %d: %v (total %d), want %v (total %d)", tc.page, tc.perPage, ids, total, want[lo:hi], len(want))
		}
	}
}

func TestListAPIGrantsUnknownRepository(t *testing.T) {
	ctx := context.Background()
	d := seededTest(t)
	solo := tkRepoIDs(t, d.s, d.orgs["solo-org"])["solo-app"]
	for _, repo := range []int64{solo, 1 << 40} {
		for _, tokens := range [][]int64{nil, {1}} {
			_, _, err := d.s.ListAPIGrants(ctx, APIGrantQuery{OrgID: d.orgs["octo-org"], Status: policy.GrantPending, RepoID: repo, TokenIDs: tokens})
			if !errors.Is(err, ErrNotFound) {
				t.Errorf("repository %d, tokens %v: %v, want ErrNotFound", repo, tokens, err)
			}
		}
	}
	// The organization's own repository is found.
	if _, total, err := d.s.ListAPIGrants(ctx, APIGrantQuery{OrgID: d.orgs["octo-org"], Status: policy.GrantPending,
		RepoID: tkRepoIDs(t, d.s, d.orgs["octo-org"])["octo-api"]}); err != nil || total != 2 {
		t.Errorf("octo-api: total %d, %v; want the demo's 2 requests", total, err)
	}
}
