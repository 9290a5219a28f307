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
	"sync"
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

// matches is the API's filters as product.md §6 and GitHub state them.
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
	// Decide about two thirds of octo-org's requests, and revoke some of
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
	grDecide(t, d.s, Decision{OrgID: f.org, ActorID: owner, IDs: approve, From: policy.GrantPending, To: policy.GrantApproved})
	grDecide(t, d.s, Decision{OrgID: f.org, ActorID: owner, IDs: deny, From: policy.GrantPending, To: policy.GrantDenied})
	grDecide(t, d.s, Decision{OrgID: f.org, ActorID: owner, IDs: approve[:len(approve)/5], From: policy.GrantApproved, To: policy.GrantRevoked})
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
	grDecide(t, f.d.s, Decision{OrgID: f.org, ActorID: f.d.users["octo-owner"], IDs: pending, From: policy.GrantPending, To: policy.GrantApproved})
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

func TestCreateIssueNumbersPerRepository(t *testing.T) {
	ctx := context.Background()
	d := seededTest(t)
	d.s.now = func() time.Time { return fixedNow }
	octo := tkRepoIDs(t, d.s, d.orgs["octo-org"])
	web, api := octo["octo-web"], octo["octo-api"]
	tok, _ := tkCreate(t, d, "mona", "", policy.TokenRequest{Name: "issues", ExpiresInDays: 30, Selection: policy.SelectAll,
		Permissions: map[string]policy.Level{"issues": policy.LevelWrite}})
	create := func(repo int64, title string) Issue {
		t.Helper()
		is, err := d.s.CreateIssue(ctx, NewIssue{RepoID: repo, UserID: d.users["mona"], TokenID: tok, Title: title, Body: "body of " + title})
		if err != nil {
			t.Fatalf("CreateIssue(%d, %s): %v", repo, title, err)
		}
		return is
	}
	var got []string
	for _, c := range []struct {
		repo  int64
		title string
	}{{web, "w1"}, {web, "w2"}, {api, "a1"}, {web, "w3"}, {api, "a2"}} {
		is := create(c.repo, c.title)
		got = append(got, fmt.Sprintf("%s#%d", c.title, is.Number))
		if is.ID == 0 || is.RepoID != c.repo || is.UserID != d.users["mona"] || is.UserLogin != "mona" || is.TokenID != tok ||
			is.Title != c.title || is.Body != "body of "+c.title || !is.CreatedAt.Equal(fixedNow.Truncate(time.Microsecond)) {
			t.Errorf("issue %+v", is)
		}
	}
	if want := []string{"w1#1", "w2#2", "a1#1", "w3#3", "a2#2"}; !slices.Equal(got, want) {
		t.Errorf("numbers %v, want %v", got, want)
	}

	if _, err := d.s.CreateIssue(ctx, NewIssue{RepoID: 1 << 40, UserID: d.users["mona"], TokenID: tok, Title: "x"}); !errors.Is(err, ErrNotFound) {
		t.Errorf("CreateIssue in no repository: %v, want ErrNotFound", err)
	}
	// Without a token, and after its token is deleted, an issue stays with
	// no token.
	if is, err := d.s.CreateIssue(ctx, NewIssue{RepoID: api, UserID: d.users["hubot"], Title: "no token"}); err != nil || is.TokenID != 0 || is.Number != 3 || is.UserLogin != "hubot" {
		t.Errorf("issue without a token: %+v, %v", is, err)
	}
	if err := d.s.DeleteToken(ctx, d.users["mona"], tok, tkDeleted); err != nil {
		t.Fatal(err)
	}
	if n := count(t, d.s, `SELECT count(*) FROM issues`); n != 6 {
		t.Errorf("%d issues after deleting their token, want 6", n)
	}
	if n := count(t, d.s, `SELECT count(*) FROM issues WHERE token_id IS NOT NULL`); n != 0 {
		t.Errorf("%d issues still name the deleted token", n)
	}
}

func TestCreateIssueConcurrentNumbers(t *testing.T) {
	ctx := context.Background()
	d := seededTest(t)
	octo := tkRepoIDs(t, d.s, d.orgs["octo-org"])
	repos := []int64{octo["octo-infra"], tkRepoIDs(t, d.s, d.orgs["solo-org"])["solo-app"]}
	const workers, each = 8, 12
	type made struct{ repo, number int64 }
	results := make(chan made, workers*each)
	errs := make(chan error, workers*each)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				repo := repos[(w+i)%len(repos)]
				is, err := d.s.CreateIssue(ctx, NewIssue{RepoID: repo, UserID: d.users["hubot"], Title: fmt.Sprintf("w%d-%d", w, i)})
				if err != nil {
					errs <- err
					continue
				}
				results <- made{repo, is.Number}
			}
		})
	}
	wg.Wait()
	close(results)
	close(errs)
	for err := range errs {
		t.Errorf("CreateIssue: %v", err)
	}
	numbers := map[int64][]int64{}
	for r := range results {
		numbers[r.repo] = append(numbers[r.repo], r.number)
	}
	total := 0
	for _, repo := range repos {
		ns := numbers[repo]
		slices.Sort(ns)
		total += len(ns)
		for i, n := range ns {
			if n != int64(i+1) {
				t.Errorf("repository %d has numbers %v, want 1..%d without a gap or a repeat", repo, ns, len(ns))
				break
			}
		}
	}
	if total != workers*each {
		t.Errorf("%d issues created, want %d", total, workers*each)
	}
	if n := count(t, d.s, `SELECT count(*) FROM (SELECT DISTINCT repo_id, number FROM issues)`); n != workers*each {
		t.Errorf("%d distinct (repository, number) pairs stored, want %d", n, workers*each)
	}
}

func TestSSHKeys(t *testing.T) {
	ctx := context.Background()
	d := seededTest(t)
	d.s.now = func() time.Time { return fixedNow }
	mona, hubot := d.users["mona"], d.users["hubot"]
	tok, _ := tkCreate(t, d, "mona", "", policy.TokenRequest{Name: "keys", ExpiresInDays: 30, Selection: policy.SelectAll,
		Permissions: map[string]policy.Level{"git_ssh_keys": policy.LevelWrite}})
	classic, _ := tkClassic(t, d, "mona", "keys", "admin:public_key")

	first, err := d.s.AddSSHKey(ctx, mona, tok, "laptop", "ssh-ed25519 AAAAkey0")
	if err != nil {
		t.Fatal(err)
	}
	if first.ID == 0 || first.UserID != mona || first.TokenID != tok || first.Title != "laptop" || first.Key != "ssh-ed25519 AAAAkey0" ||
		!first.CreatedAt.Equal(fixedNow.Truncate(time.Microsecond)) {
		t.Errorf("AddSSHKey: %+v", first)
	}
	// A key is stored once, whoever adds it again.
	for _, user := range []int64{mona, hubot} {
		if _, err := d.s.AddSSHKey(ctx, user, classic, "again", "ssh-ed25519 AAAAkey0"); !errors.Is(err, ErrDuplicateKey) {
			t.Errorf("AddSSHKey of a stored key for user %d: %v, want ErrDuplicateKey", user, err)
		}
	}
	want := []SSHKey{first}
	for i := 1; i < 7; i++ {
		by := []int64{tok, classic, 0}[i%3]
		k, err := d.s.AddSSHKey(ctx, mona, by, fmt.Sprintf("key %d", i), fmt.Sprintf("ssh-ed25519 AAAAkey%d", i))
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, k)
	}
	other, err := d.s.AddSSHKey(ctx, hubot, 0, "hubot's", "ssh-rsa AAAAhubot")
	if err != nil {
		t.Fatal(err)
	}

	page := func(user int64, page, per int) ([]SSHKey, int) {
		t.Helper()
		ks, total, err := d.s.SSHKeysOf(ctx, user, page, per)
		if err != nil {
			t.Fatal(err)
		}
		return ks, total
	}
	var all []SSHKey
	for p := 1; p <= 3; p++ {
		ks, total := page(mona, p, 3)
		if total != 7 {
			t.Errorf("page %d: total %d, want 7", p, total)
		}
		all = append(all, ks...)
	}
	if !slices.Equal(all, want) {
		t.Errorf("mona's keys oldest first:\n%+v\nwant\n%+v", all, want)
	}
	if ks, total := page(mona, 4, 3); len(ks) != 0 || total != 7 {
		t.Errorf("page past the end: %+v, total %d", ks, total)
	}
	if ks, total := page(hubot, 1, 30); !slices.Equal(ks, []SSHKey{other}) || total != 1 {
		t.Errorf("hubot's keys: %+v, total %d", ks, total)
	}

	// A key outlives the token that added it.
	if err := d.s.DeleteToken(ctx, mona, tok, tkDeleted); err != nil {
		t.Fatal(err)
	}
	got, total := page(mona, 1, 100)
	if total != 7 || len(got) != 7 {
		t.Fatalf("after deleting the token: %d keys, total %d; want 7", len(got), total)
	}
	for i, k := range got {
		w := want[i]
		if w.TokenID == tok {
			w.TokenID = 0
		}
		if k != w {
			t.Errorf("after deleting the token: key %+v, want %+v", k, w)
		}
	}
	if got[0].TokenID != 0 || got[1].TokenID != classic {
		t.Errorf("token ids after deleting one token: %d, %d", got[0].TokenID, got[1].TokenID)
	}
}

func TestMembersPageAndUserByLogin(t *testing.T) {
	ctx := context.Background()
	d := seededTest(t)
	org := d.orgs["octo-org"]
	// Logins in mixed case: the order is case-insensitive, as logins are.
	for _, login := range []string{"Zed", "alice", "Bob", "carol", "Dave", "erin", "Frank", "grace", "Heidi", "ivan", "Judy", "mallory"} {
		id, err := d.s.CreateUser(ctx, login, login+"@example.com", login, demoHash)
		if err != nil {
			t.Fatal(err)
		}
		d.users[login] = id
		tkAddMember(t, d, org, login, RoleMember)
	}
	all, err := d.s.MembersOf(ctx, org)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 15 || !slices.IsSortedFunc(all, func(a, b Member) int { return strings.Compare(strings.ToLower(a.Login), strings.ToLower(b.Login)) }) {
		t.Fatalf("MembersOf: %v", all)
	}
	for _, per := range []int{1, 4, 15, 100} {
		var got []Member
		for p := 1; ; p++ {
			ms, total, err := d.s.MembersPage(ctx, org, p, per)
			if err != nil {
				t.Fatal(err)
			}
			if total != 15 {
				t.Errorf("per %d, page %d: total %d, want 15", per, p, total)
			}
			if len(ms) > per {
				t.Errorf("per %d, page %d: %d members", per, p, len(ms))
			}
			if len(ms) == 0 {
				if want := (15 + per - 1) / per; p != want+1 {
					t.Errorf("per %d: empty page %d, want pages 1..%d full", per, p, want)
				}
				break
			}
			got = append(got, ms...)
		}
		if !slices.Equal(got, all) {
			t.Errorf("per %d: pages give %v, want %v", per, got, all)
		}
	}
	if ms, total, err := d.s.MembersPage(ctx, d.orgs["solo-org"], 1, 30); err != nil || total != 2 || len(ms) != 2 ||
		ms[0].Login != "mona" || ms[1].Login != "octo-owner" {
		t.Errorf("solo-org: %v, total %d, %v", ms, total, err)
	}

	for _, login := range []string{"mona", "MONA", "judy"} {
		id, err := d.s.UserByLogin(ctx, login)
		want := d.users[strings.ToLower(login)]
		if login == "judy" {
			want = d.users["Judy"]
		}
		if err != nil || id != want {
			t.Errorf("UserByLogin(%s) = %d, %v; want %d", login, id, err, want)
		}
	}
	for _, login := range []string{"nobody", "octo-org", "mona@example.com", ""} {
		if _, err := d.s.UserByLogin(ctx, login); !errors.Is(err, ErrNotFound) {
			t.Errorf("UserByLogin(%q): %v, want ErrNotFound", login, err)
		}
	}
}

func TestPageWindow(t *testing.T) {
	for _, tc := range []struct {
		page, per, limit, offset int
		ok                       bool
	}{
		{0, 0, 30, 0, true}, {1, 30, 30, 0, true}, {3, 7, 7, 14, true}, {-1, 500, 100, 0, true},
		{math.MaxInt, 100, 100, 0, false}, {math.MaxInt/100 + 1, 100, 100, math.MaxInt / 100 * 100, true},
	} {
		limit, offset, ok := pageWindow(tc.page, tc.per)
		if limit != tc.limit || offset != tc.offset || ok != tc.ok {
			t.Errorf("pageWindow(%d, %d) = %d, %d, %v; want %d, %d, %v", tc.page, tc.per, limit, offset, ok, tc.limit, tc.offset, tc.ok)
		}
	}
}

func TestCreateIssueLabelsAndAssignees(t *testing.T) {
	ctx := context.Background()
	d := seededTest(t)
	octo := tkRepoIDs(t, d.s, d.orgs["octo-org"])
	web, api := octo["octo-web"], octo["octo-api"]
	desc := "Something is broken"
	first, err := d.s.CreateIssue(ctx, NewIssue{RepoID: web, UserID: d.users["mona"], Title: "one",
		Labels:    []NewLabel{{Name: "bug", Color: "d73a4a", Description: &desc}, {Name: "Docs", Color: "ededed"}, {Name: "BUG", Color: "000000"}},
		Assignees: []string{"hubot", "no-such-user", "ent-admin", "MONA", "hubot"}})
	if err != nil {
		t.Fatal(err)
	}
	var labels []string
	for _, l := range first.Labels {
		labels = append(labels, fmt.Sprintf("%s/%s/%v", l.Name, l.Color, l.Description != nil))
	}
	// One label per name in any case, as first made; assignees who are
	// members of the organization, each once.
	if want := []string{"bug/d73a4a/true", "Docs/ededed/false"}; !slices.Equal(labels, want) {
		t.Errorf("labels %v, want %v", labels, want)
	}
	var logins []string
	for _, m := range first.Assignees {
		logins = append(logins, m.Login)
	}
	if want := []string{"hubot", "mona"}; !slices.Equal(logins, want) {
		t.Errorf("assignees %v, want %v (ent-admin is no member of octo-org)", logins, want)
	}
	// A second issue reuses the label, by name or by id; another
	// repository has labels of its own.
	bug := first.Labels[0].ID
	second, err := d.s.CreateIssue(ctx, NewIssue{RepoID: web, UserID: d.users["mona"], Title: "two",
		Labels: []NewLabel{{ID: bug}, {Name: "bug", Color: "ffffff"}}})
	if err != nil || len(second.Labels) != 1 || second.Labels[0].ID != bug || second.Labels[0].Color != "d73a4a" {
		t.Errorf("second issue labels %+v, %v", second.Labels, err)
	}
	if _, err := d.s.CreateIssue(ctx, NewIssue{RepoID: api, UserID: d.users["mona"], Title: "three", Labels: []NewLabel{{ID: bug}}}); !errors.Is(err, ErrUnknownLabel) {
		t.Errorf("another repository's label id: %v, want ErrUnknownLabel", err)
	}
	if n := count(t, d.s, `SELECT count(*) FROM issues WHERE title = 'three'`); n != 0 {
		t.Errorf("a refused issue is stored")
	}
	if n := count(t, d.s, `SELECT count(*) FROM labels`); n != 2 {
		t.Errorf("%d labels, want 2", n)
	}
}
