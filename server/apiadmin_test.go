package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"patpolicy/policy"
)

// GitHub's eight administration endpoints, called with an
// owner's own token.

const (
	admReqs = "/orgs/octo-org/personal-access-token-requests"
	admToks = "/orgs/octo-org/personal-access-tokens"
)

// admGrant is one item of the requests or tokens lists.
type admGrant struct {
	ID     int64   `json:"id"`
	Reason *string `json:"reason"`
	Owner  struct {
		Login string `json:"login"`
	} `json:"owner"`
	RepositorySelection string `json:"repository_selection"`
	RepositoriesURL     string `json:"repositories_url"`
	Permissions         struct {
		Organization map[string]string `json:"organization"`
		Repository   map[string]string `json:"repository"`
		Other        map[string]string `json:"other"`
	} `json:"permissions"`
	CreatedAt       *string `json:"created_at"`
	AccessGrantedAt *string `json:"access_granted_at"`
	TokenID         int64   `json:"token_id"`
	TokenName       string  `json:"token_name"`
	TokenExpired    bool    `json:"token_expired"`
	TokenExpiresAt  *string `json:"token_expires_at"`
	TokenLastUsedAt *string `json:"token_last_used_at"`
}

// admAdminToken is octo-owner's fine-grained token on octo-org with
// Organization administration read and write.
func admAdminToken(a *app) string {
	a.t.Helper()
	return a.newFineGrained("octo-owner", "admin-api", fgSpec{Org: "octo-org", Permissions: map[string]policy.Level{
		policy.Metadata: policy.LevelRead, "organization_administration": policy.LevelWrite}})
}

// admList GETs a list and returns its items.
func admList(a *app, path, secret string) []admGrant {
	a.t.Helper()
	var out []admGrant
	a.api(http.MethodGet, path, secret, nil).want(http.StatusOK).decode(&out)
	return out
}

func admNames(gs []admGrant) []string {
	out := []string{}
	for _, g := range gs {
		out = append(out, g.TokenName)
	}
	return out
}

// admFields lists the fields a 422 names.
func admFields(r *apiResponse) []string {
	r.t.Helper()
	var e struct {
		Errors []struct {
			Field string `json:"field"`
		} `json:"errors"`
	}
	r.decode(&e)
	var out []string
	for _, f := range e.Errors {
		out = append(out, f.Field)
	}
	return out
}

func admID(s string) int64 {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		panic(err)
	}
	return n
}

// admSnapshot is what a refused call must leave as it was.
type admSnapshot struct {
	statuses map[string]policy.GrantStatus
	reasons  map[string]string
	events   int
	notes    int
}

func admSnap(a *app, tokens ...[2]string) admSnapshot {
	a.t.Helper()
	s := admSnapshot{statuses: map[string]policy.GrantStatus{}, reasons: map[string]string{}}
	for _, tk := range tokens {
		g := a.token(tk[0], tk[1]).Grant
		s.statuses[tk[1]], s.reasons[tk[1]] = g.Status, g.Reason
	}
	s.events = len(a.audit("octo-org", ""))
	for _, who := range []string{"mona", "hubot", "octo-owner"} {
		s.notes += len(a.notifications(who))
	}
	return s
}

func (s admSnapshot) same(t *testing.T, a *app, tokens ...[2]string) {
	t.Helper()
	now := admSnap(a, tokens...)
	for k, v := range s.statuses {
		if now.statuses[k] != v || now.reasons[k] != s.reasons[k] {
			t.Errorf("%s changed: %s %q, was %s %q", k, now.statuses[k], now.reasons[k], v, s.reasons[k])
		}
	}
	if now.events != s.events {
		t.Errorf("%d audit events, was %d", now.events, s.events)
	}
	if now.notes != s.notes {
		t.Errorf("%d notifications, was %d", now.notes, s.notes)
	}
}

var admDemo = [][2]string{{"mona", "deploy-bot"}, {"hubot", "ci-reader"}, {"octo-owner", "owner-automation"}}

// admEndpoint is one of the eight, with a body that would pass.
type admEndpoint struct {
	method, path string
	body         any
}

func admEndpoints(a *app, org string) []admEndpoint {
	deploy, owner := a.grantID("mona", "deploy-bot"), a.grantID("octo-owner", "owner-automation")
	reqs, toks := "/orgs/"+org+"/personal-access-token-requests", "/orgs/"+org+"/personal-access-tokens"
	return []admEndpoint{
		{http.MethodGet, reqs, nil},
		{http.MethodPost, reqs, map[string]any{"pat_request_ids": []int64{admID(deploy)}, "action": "approve"}},
		{http.MethodPost, reqs + "/" + deploy, map[string]any{"action": "approve"}},
		{http.MethodGet, reqs + "/" + deploy + "/repositories", nil},
		{http.MethodGet, toks, nil},
		{http.MethodPost, toks, map[string]any{"pat_ids": []int64{admID(owner)}, "action": "revoke"}},
		{http.MethodPost, toks + "/" + owner, map[string]any{"action": "revoke"}},
		{http.MethodGet, toks + "/" + owner + "/repositories", nil},
	}
}

func TestAdminAPIAccess(t *testing.T) {
	a := newApp(t)
	a.addOrgInEnterprise("side-owner", "side-org")
	orgAdminWrite := map[string]policy.Level{policy.Metadata: policy.LevelRead, "organization_administration": policy.LevelWrite}
	owner := admAdminToken(a)
	ownerRead := a.newFineGrained("octo-owner", "admin-read", fgSpec{Org: "octo-org", Permissions: map[string]policy.Level{
		policy.Metadata: policy.LevelRead, "organization_administration": policy.LevelRead}})
	ownerNone := a.newFineGrained("octo-owner", "no-admin", fgSpec{Org: "octo-org", Permissions: map[string]policy.Level{
		policy.Metadata: policy.LevelRead, "members": policy.LevelWrite}})
	mona := a.newFineGrained("mona", "mona-admin", fgSpec{Org: "octo-org", Permissions: orgAdminWrite})
	side := a.newFineGrained("side-owner", "side-admin", fgSpec{Org: "side-org", Permissions: orgAdminWrite})
	sideClassic := a.newClassic("side-owner", "side-classic", 30, "admin:org", "repo")
	// A token naming octo-org as its resource owner, of someone who is not
	// a member (as if they had left).
	outsider := a.newFineGrained("side-owner", "outsider", fgSpec{Org: "octo-org", Permissions: orgAdminWrite})
	before := admSnap(a, admDemo...)

	cases := []struct {
		name   string
		secret string
		status int
		msg    string
	}{
		{"no token", "", http.StatusUnauthorized, "Requires authentication"},
		{"member with the same permission", mona, http.StatusForbidden, "`octo-org` allows only its owners"},
		{"owner with organization_administration read", ownerRead, http.StatusForbidden, policy.MsgNotAccessible},
		{"owner without organization_administration", ownerNone, http.StatusForbidden, policy.MsgNotAccessible},
		// Another organization's owner: the fine-grained token's resource
		// owner is side-org, so octo-org refuses it with 403 as GitHub does
		// for a token of another resource owner (a 404 would be for a
		// private repository, which these endpoints are not).
		{"another organization's owner, fine-grained", side, http.StatusForbidden, "its resource owner is another account"},
		// Their classic token is refused by octo-ent's restriction first.
		{"another organization's owner, classic", sideClassic, http.StatusForbidden, "forbids access via a personal access token (classic)"},
		{"a non-member's token on octo-org", outsider, http.StatusForbidden, "`octo-org` forbids access via a personal access token whose owner is not a member"},
	}
	for _, tc := range cases {
		for _, ep := range admEndpoints(a, "octo-org") {
			t.Run(tc.name+" "+ep.method+" "+ep.path, func(t *testing.T) {
				a.t = t
				r := a.api(ep.method, ep.path, tc.secret, ep.body).want(tc.status)
				if msg := r.message(); !strings.Contains(msg, tc.msg) {
					t.Errorf("message %q, want it to contain %q", msg, tc.msg)
				}
				var e map[string]any
				r.decode(&e)
				if e["documentation_url"] == nil {
					t.Errorf("error body %s lacks documentation_url", r.Body)
				}
			})
		}
	}
	a.t = t
	// Unknown organization: 404, whoever asks.
	for _, ep := range admEndpoints(a, "no-such-org") {
		a.api(ep.method, ep.path, owner, ep.body).want(http.StatusNotFound)
		if msg := a.api(ep.method, ep.path, owner, ep.body).message(); msg != "Not Found" {
			t.Errorf("%s %s: message %q", ep.method, ep.path, msg)
		}
	}
	// octo-owner's octo-org token does not reach solo-org (another resource
	// owner, and not opted in), though octo-owner owns it.
	a.api(http.MethodGet, "/orgs/solo-org/personal-access-token-requests", owner, nil).want(http.StatusForbidden)
	// side-owner's classic token on solo-org, where classic tokens are
	// allowed: not a member, 403.
	a.api(http.MethodGet, "/orgs/solo-org/personal-access-token-requests", sideClassic, nil).want(http.StatusForbidden)
	before.same(t, a, admDemo...)

	// A bad token is 401 whatever the organization.
	a.api(http.MethodGet, admReqs, "github_pat_nonsense", nil).want(http.StatusUnauthorized)

	// The owner's token with write: the lists answer.
	a.api(http.MethodGet, admReqs, owner, nil).want(http.StatusOK)
	a.api(http.MethodGet, admToks, owner, nil).want(http.StatusOK)
}

func TestAdminAPIClassicTokenAndTheEnterpriseRestriction(t *testing.T) {
	a := newApp(t)
	classic := a.newClassic("octo-owner", "admin-classic", 30, "admin:org")
	readOrg := a.newClassic("octo-owner", "read-classic", 30, "read:org", "repo")
	monaClassic := a.newClassic("mona", "mona-classic", 30, "admin:org")
	ent := a.newClassic("ent-admin", "ent", 30, "admin:enterprise")

	// octo-ent restricts classic tokens in octo-org: refused.
	r := a.api(http.MethodGet, admReqs, classic, nil).want(http.StatusForbidden)
	if !strings.Contains(r.message(), "forbids access via a personal access token (classic)") {
		t.Errorf("message %q does not name the classic restriction", r.message())
	}
	a.api(http.MethodPost, admReqs+"/"+a.grantID("mona", "deploy-bot"), classic, map[string]any{"action": "approve"}).want(http.StatusForbidden)
	if grantStatus(a, "mona", "deploy-bot") != policy.GrantPending {
		t.Fatal("a refused classic token approved a request")
	}

	// The enterprise lifts its restriction; octo-org's own policy allows.
	a.api(http.MethodPatch, "/enterprises/octo-ent/personal-access-token-policy", ent, map[string]any{"classic_access": "no_policy"}).want(http.StatusOK)
	got := admList(a, admReqs, classic)
	if names := admNames(got); !slices.Equal(names, []string{"ci-reader", "deploy-bot"}) {
		t.Fatalf("requests %v", names)
	}
	a.api(http.MethodPost, admReqs+"/"+a.grantID("mona", "deploy-bot"), classic, map[string]any{"action": "approve"}).want(http.StatusNoContent)
	if grantStatus(a, "mona", "deploy-bot") != policy.GrantApproved {
		t.Fatal("the classic token's approval was not stored")
	}
	// Without admin:org, or not an owner: 403.
	a.api(http.MethodGet, admReqs, readOrg, nil).want(http.StatusForbidden)
	a.api(http.MethodGet, admReqs, monaClassic, nil).want(http.StatusForbidden)
}

func TestAdminAPIRequestFields(t *testing.T) {
	a := newApp(t)
	owner := admAdminToken(a)
	start := time.Now().Add(-time.Minute)
	// A request for public repositories, with an organization permission
	// and no justification.
	a.newFineGrained("mona", "public-reader", fgSpec{Org: "octo-org", Status: policy.GrantPending, Selection: policy.SelectPublic,
		Permissions: map[string]policy.Level{policy.Metadata: policy.LevelRead, "members": policy.LevelRead}, Days: 7})

	res := a.api(http.MethodGet, admReqs, owner, nil).want(http.StatusOK)
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type %q", ct)
	}
	var raw []map[string]json.RawMessage
	res.decode(&raw)
	var got []admGrant
	res.decode(&got)
	if names := admNames(got); !slices.Equal(names, []string{"public-reader", "ci-reader", "deploy-bot"}) {
		t.Fatalf("requests %v, want newest first", names)
	}
	wantKeys := []string{"created_at", "id", "owner", "permissions", "reason", "repositories_url", "repository_selection",
		"token_expired", "token_expires_at", "token_id", "token_last_used_at", "token_name"}
	for i, item := range raw {
		var keys []string
		for k := range item {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		if !slices.Equal(keys, wantKeys) {
			t.Errorf("item %d has fields %v, want %v", i, keys, wantKeys)
		}
		if string(item["token_last_used_at"]) != "null" {
			t.Errorf("item %d: token_last_used_at %s, want null", i, item["token_last_used_at"])
		}
	}
	byName := map[string]admGrant{}
	for _, g := range got {
		byName[g.TokenName] = g
	}
	base := a.srv.URL + "/api/v3" + admReqs + "/"

	d := byName["deploy-bot"]
	monaTok := a.token("mona", "deploy-bot")
	if d.ID != monaTok.Grant.ID || d.TokenID != monaTok.ID {
		t.Errorf("deploy-bot ids %d/%d, want grant %d token %d", d.ID, d.TokenID, monaTok.Grant.ID, monaTok.ID)
	}
	if d.Reason == nil || *d.Reason != "Deploys the API" {
		t.Errorf("deploy-bot reason %v, want the justification", d.Reason)
	}
	if d.Owner.Login != "mona" || d.RepositorySelection != "subset" || d.RepositoriesURL != base+strconv.FormatInt(d.ID, 10)+"/repositories" {
		t.Errorf("deploy-bot %+v", d)
	}
	if len(d.Permissions.Organization) != 0 || len(d.Permissions.Other) != 0 ||
		len(d.Permissions.Repository) != 2 || d.Permissions.Repository["contents"] != "read" || d.Permissions.Repository["metadata"] != "read" {
		t.Errorf("deploy-bot permissions %+v", d.Permissions)
	}
	if d.Permissions.Organization == nil || d.Permissions.Other == nil {
		t.Error("empty permission groups must be {} rather than null")
	}
	if d.TokenExpired || d.TokenExpiresAt == nil || d.CreatedAt == nil || d.TokenLastUsedAt != nil {
		t.Fatalf("deploy-bot times %+v", d)
	}
	created, err := time.Parse(time.RFC3339, *d.CreatedAt)
	if err != nil || created.Before(start) || created.After(time.Now().Add(time.Minute)) {
		t.Errorf("created_at %q: %v", *d.CreatedAt, err)
	}
	expires, err := time.Parse(time.RFC3339, *d.TokenExpiresAt)
	if err != nil || expires.Before(time.Now().AddDate(0, 0, 29)) || expires.After(time.Now().AddDate(0, 0, 31)) {
		t.Errorf("token_expires_at %q (30 days): %v", *d.TokenExpiresAt, err)
	}

	c := byName["ci-reader"]
	if c.Reason == nil || *c.Reason != "Reads build status for CI" || c.Owner.Login != "hubot" || c.RepositorySelection != "all" ||
		c.Permissions.Repository["metadata"] != "read" || len(c.Permissions.Repository) != 1 {
		t.Errorf("ci-reader %+v", c)
	}
	p := byName["public-reader"]
	if p.Reason != nil {
		t.Errorf("a request without justification has reason %q, want null", *p.Reason)
	}
	if p.RepositorySelection != "none" || p.Permissions.Organization["members"] != "read" || p.Permissions.Repository["metadata"] != "read" {
		t.Errorf("public-reader %+v", p)
	}
}

func TestAdminAPIRequestFilters(t *testing.T) {
	a := newApp(t)
	owner := admAdminToken(a)
	a.newFineGrained("mona", "web-issues", fgSpec{Org: "octo-org", Status: policy.GrantPending, Selection: policy.SelectSelected,
		Repos: []string{"octo-web"}, Permissions: map[string]policy.Level{policy.Metadata: policy.LevelRead, "issues": policy.LevelWrite}})
	deployTok, ciTok := a.tokenID("mona", "deploy-bot"), a.tokenID("hubot", "ci-reader")

	ok := []struct {
		query string
		want  []string
	}{
		{"", []string{"web-issues", "ci-reader", "deploy-bot"}},
		{"owner[]=mona", []string{"web-issues", "deploy-bot"}},
		{"owner[]=hubot", []string{"ci-reader"}},
		{"owner[]=mona&owner[]=hubot", []string{"web-issues", "ci-reader", "deploy-bot"}},
		{"owner[]=octo-owner", nil},
		{"owner[]=nobody-at-all", nil},
		{"owner[]=nobody-at-all&owner[]=hubot", []string{"ci-reader"}},
		{"repository=octo-api", []string{"ci-reader", "deploy-bot"}},
		{"repository=octo-web", []string{"web-issues", "ci-reader"}},
		{"repository=octo-infra", []string{"ci-reader"}},
		{"permission=contents", []string{"deploy-bot"}},
		{"permission=contents_read", []string{"deploy-bot"}},
		{"permission=issues", []string{"web-issues"}},
		{"permission=metadata", []string{"web-issues", "ci-reader", "deploy-bot"}},
		{"permission=administration", nil},
		{"token_id[]=" + deployTok, []string{"deploy-bot"}},
		{"token_id[]=" + deployTok + "&token_id[]=" + ciTok, []string{"ci-reader", "deploy-bot"}},
		{"token_id[]=" + a.tokenID("octo-owner", "owner-automation"), nil},
		{"owner[]=mona&permission=contents", []string{"deploy-bot"}},
		{"owner[]=mona&repository=octo-web", []string{"web-issues"}},
		{"sort=created_at", []string{"web-issues", "ci-reader", "deploy-bot"}},
		{"direction=desc", []string{"web-issues", "ci-reader", "deploy-bot"}},
		{"direction=asc", []string{"deploy-bot", "ci-reader", "web-issues"}},
		{"sort=created_at&direction=asc&owner[]=mona", []string{"deploy-bot", "web-issues"}},
	}
	for _, tc := range ok {
		t.Run(tc.query, func(t *testing.T) {
			a.t = t
			res := a.api(http.MethodGet, admReqs+"?"+tc.query, owner, nil).want(http.StatusOK)
			if strings.TrimSpace(string(res.Body)) == "null" {
				t.Fatal("an empty list is null, want []")
			}
			var got []admGrant
			res.decode(&got)
			if names := admNames(got); !slices.Equal(names, append([]string{}, tc.want...)) {
				t.Fatalf("got %v, want %v", names, tc.want)
			}
		})
	}
	bad := []struct{ query, field string }{
		{"repository=no-such-repo", "repository"},
		{"permission=contents_write", "permission"},
		{"permission=superpowers", "permission"},
		{"sort=updated_at", "sort"},
		{"direction=sideways", "direction"},
		{"token_id[]=abc", "token_id"},
		{"last_used_before=yesterday", "last_used_before"},
		{"last_used_after=2026-13-01", "last_used_after"},
		{strings.Repeat("owner[]=mona&", 10) + "owner[]=hubot", "owner"},
		{strings.TrimSuffix(strings.Repeat("token_id[]=1&", 51), "&"), "token_id"},
	}
	for _, tc := range bad {
		t.Run(tc.query, func(t *testing.T) {
			a.t = t
			res := a.api(http.MethodGet, admReqs+"?"+tc.query, owner, nil).want(http.StatusUnprocessableEntity)
			if f := admFields(res); !slices.Equal(f, []string{tc.field}) {
				t.Errorf("422 names %v, want %s", f, tc.field)
			}
		})
	}
}

func TestAdminAPILastUsedFilters(t *testing.T) {
	a := newApp(t)
	owner := admAdminToken(a)
	used1 := a.newFineGrained("mona", "used-first", fgSpec{Org: "octo-org", Status: policy.GrantPending})
	used2 := a.newFineGrained("hubot", "used-second", fgSpec{Org: "octo-org", Status: policy.GrantPending})
	ctx := context.Background()
	start := time.Now().UTC()
	time.Sleep(5 * time.Millisecond)
	// A pending token is refused (403), but it authenticated: a use.
	a.api(http.MethodGet, "/orgs/octo-org/members", used1, nil).want(http.StatusForbidden)
	if err := a.store.FlushLastUses(ctx); err != nil {
		t.Fatal(err)
	}
	time.Sleep(5 * time.Millisecond)
	mid := time.Now().UTC()
	time.Sleep(5 * time.Millisecond)
	a.api(http.MethodGet, "/orgs/octo-org", used2, nil).want(http.StatusOK)
	if err := a.store.FlushLastUses(ctx); err != nil {
		t.Fatal(err)
	}
	time.Sleep(5 * time.Millisecond)
	end := time.Now().UTC()

	q := func(k string, at time.Time) string {
		return url.Values{k: {at.Format(time.RFC3339Nano)}}.Encode()
	}
	cases := []struct {
		query string
		want  []string
	}{
		// Tokens never used match neither bound.
		{q("last_used_before", mid), []string{"used-first"}},
		{q("last_used_after", mid), []string{"used-second"}},
		{q("last_used_after", start), []string{"used-second", "used-first"}},
		{q("last_used_before", end), []string{"used-second", "used-first"}},
		{q("last_used_before", start), nil},
		{q("last_used_after", end), nil},
		{q("last_used_after", start) + "&" + q("last_used_before", mid), []string{"used-first"}},
		{q("last_used_after", start) + "&owner[]=hubot", []string{"used-second"}},
	}
	for _, tc := range cases {
		got := admList(a, admReqs+"?"+tc.query, owner)
		if names := admNames(got); !slices.Equal(names, append([]string{}, tc.want...)) {
			t.Errorf("%s: got %v, want %v", tc.query, names, tc.want)
		}
	}
	for _, g := range admList(a, admReqs, owner) {
		switch g.TokenName {
		case "used-first", "used-second":
			if g.TokenLastUsedAt == nil {
				t.Errorf("%s: token_last_used_at null after a use", g.TokenName)
				continue
			}
			at, err := time.Parse(time.RFC3339, *g.TokenLastUsedAt)
			if err != nil || at.Before(start.Add(-time.Second)) || at.After(end.Add(time.Second)) {
				t.Errorf("%s: token_last_used_at %q", g.TokenName, *g.TokenLastUsedAt)
			}
		default:
			if g.TokenLastUsedAt != nil {
				t.Errorf("%s: never used, token_last_used_at %q", g.TokenName, *g.TokenLastUsedAt)
			}
		}
	}
}

func TestAdminAPIPaging(t *testing.T) {
	a := newApp(t)
	owner := admAdminToken(a)
	a.addRequest("mona", "octo-org", "third", nil)
	base := a.srv.URL + "/api/v3" + admReqs

	res := a.api(http.MethodGet, admReqs+"?per_page=1&page=2", owner, nil).want(http.StatusOK)
	var got []admGrant
	res.decode(&got)
	if names := admNames(got); !slices.Equal(names, []string{"ci-reader"}) {
		t.Fatalf("page 2 of 1: %v", names)
	}
	want := `<` + base + `?page=1&per_page=1>; rel="prev", ` +
		`<` + base + `?page=3&per_page=1>; rel="next", ` +
		`<` + base + `?page=3&per_page=1>; rel="last", ` +
		`<` + base + `?page=1&per_page=1>; rel="first"`
	if link := res.Header.Get("Link"); link != want {
		t.Fatalf("Link\n%s\nwant\n%s", link, want)
	}
	first := a.api(http.MethodGet, admReqs+"?per_page=1", owner, nil).want(http.StatusOK)
	if link := first.Header.Get("Link"); link != `<`+base+`?page=2&per_page=1>; rel="next", <`+base+`?page=3&per_page=1>; rel="last"` {
		t.Errorf("page 1 Link %q", link)
	}
	last := a.api(http.MethodGet, admReqs+"?per_page=1&page=3", owner, nil).want(http.StatusOK)
	last.decode(&got)
	if names := admNames(got); !slices.Equal(names, []string{"deploy-bot"}) {
		t.Errorf("page 3: %v", names)
	}
	if link := last.Header.Get("Link"); link != `<`+base+`?page=2&per_page=1>; rel="prev", <`+base+`?page=1&per_page=1>; rel="first"` {
		t.Errorf("page 3 Link %q", link)
	}
	// Past the end: empty, still linked back.
	past := a.api(http.MethodGet, admReqs+"?per_page=1&page=9", owner, nil).want(http.StatusOK)
	if strings.TrimSpace(string(past.Body)) != "[]" {
		t.Errorf("past the end: %s", past.Body)
	}
	// One page: no Link.
	if link := a.api(http.MethodGet, admReqs, owner, nil).want(http.StatusOK).Header.Get("Link"); link != "" {
		t.Errorf("a single page has Link %q", link)
	}
	// Filters stay in the links.
	filtered := a.api(http.MethodGet, admReqs+"?owner[]=mona&per_page=1", owner, nil).want(http.StatusOK)
	if link := filtered.Header.Get("Link"); !strings.Contains(link, "owner%5B%5D=mona") || !strings.Contains(link, `page=2`) {
		t.Errorf("filtered Link %q drops the filter", link)
	}
	for _, q := range []string{"per_page=abc", "page=-1", "page=abc", "per_page=1.5"} {
		r := a.api(http.MethodGet, admReqs+"?"+q, owner, nil).want(http.StatusUnprocessableEntity)
		if f := admFields(r); len(f) != 1 || !strings.HasPrefix(q, f[0]+"=") {
			t.Errorf("%s: 422 names %v", q, f)
		}
	}

	// per_page above 100 means 100.
	for i := 0; i < 98; i++ {
		a.addRequest("hubot", "octo-org", "bulk-"+strconv.Itoa(i), nil)
	}
	big := a.api(http.MethodGet, admReqs+"?per_page=500", owner, nil).want(http.StatusOK)
	big.decode(&got)
	if len(got) != 100 {
		t.Fatalf("per_page=500 answered %d items, want 100", len(got))
	}
	if link := big.Header.Get("Link"); !strings.Contains(link, `page=2&per_page=500>; rel="next"`) || !strings.Contains(link, `page=2&per_page=500>; rel="last"`) {
		t.Errorf("per_page=500 Link %q", link)
	}
	rest := a.api(http.MethodGet, admReqs+"?per_page=500&page=2", owner, nil).want(http.StatusOK)
	rest.decode(&got)
	if len(got) != 1 || got[0].TokenName != "deploy-bot" {
		t.Errorf("page 2 of 101 by 100: %v", admNames(got))
	}
}

// admEvents lists org's events with action as comparable strings, oldest
// first.
func admEvents(a *app, action string) []string {
	a.t.Helper()
	var out []string
	for _, e := range a.audit("octo-org", action) {
		out = append(out, e.Action+" | "+e.ActorLogin+" | "+e.Details)
	}
	slices.Reverse(out)
	return out
}

func admNotes(a *app, login string) []string {
	a.t.Helper()
	var out []string
	for _, n := range a.notifications(login) {
		out = append(out, n.Message+" -> "+n.Link)
	}
	return out
}

func TestAdminAPIBulkApproveRecordsWhatTheScreensRecord(t *testing.T) {
	// The screens: approve each request on its page.
	web := newApp(t)
	owner := web.as("octo-owner")
	deploy, ci := web.grantID("mona", "deploy-bot"), web.grantID("hubot", "ci-reader")
	owner.post(requestsPath+"/"+deploy+"/approve", url.Values{}).redirectsTo(requestsPath)
	owner.post(requestsPath+"/"+ci+"/approve", url.Values{}).redirectsTo(requestsPath)

	// The API: both at once.
	a := newApp(t)
	secret := admAdminToken(a)
	if a.grantID("mona", "deploy-bot") != deploy || a.grantID("hubot", "ci-reader") != ci {
		t.Fatal("the two apps' demo ids differ")
	}
	before := len(admEvents(a, policy.ActionAccessGranted))
	res := a.api(http.MethodPost, admReqs, secret, map[string]any{"pat_request_ids": []int64{admID(deploy), admID(ci)}, "action": "approve"}).
		want(http.StatusAccepted)
	if strings.TrimSpace(string(res.Body)) != "{}" {
		t.Errorf("202 body %s, want {}", res.Body)
	}
	for _, tk := range [][2]string{{"mona", "deploy-bot"}, {"hubot", "ci-reader"}} {
		if g := a.token(tk[0], tk[1]).Grant; g.Status != policy.GrantApproved || g.Reviewer != "octo-owner" || g.Reason != "" {
			t.Errorf("%s: %+v", tk[1], g)
		}
	}
	apiEvents := admEvents(a, policy.ActionAccessGranted)[before:]
	webEvents := admEvents(web, policy.ActionAccessGranted)
	webEvents = webEvents[len(webEvents)-2:]
	slices.Sort(apiEvents)
	slices.Sort(webEvents)
	if !slices.Equal(apiEvents, webEvents) {
		t.Errorf("access_granted events\n api %q\n web %q", apiEvents, webEvents)
	}
	for _, who := range []string{"mona", "hubot"} {
		if got, want := admNotes(a, who), admNotes(web, who); !slices.Equal(got, want) || len(got) != 1 {
			t.Errorf("%s notified %q, want %q", who, got, want)
		}
	}
	// Approved through the API, listed as active on the screens.
	if rows := rowNames(a.as("octo-owner").get(activePath)); !slices.Contains(rows, "deploy-bot") || !slices.Contains(rows, "ci-reader") {
		t.Errorf("active tokens page %v", rows)
	}
	// All already decided: 422, nothing new.
	snap := admSnap(a, admDemo...)
	r := a.api(http.MethodPost, admReqs, secret, map[string]any{"pat_request_ids": []int64{admID(deploy), admID(ci)}, "action": "deny"}).
		want(http.StatusUnprocessableEntity)
	if !strings.Contains(r.message(), "nothing was changed") {
		t.Errorf("422 message %q", r.message())
	}
	snap.same(t, a, admDemo...)
}

func TestAdminAPIBulkDenyRecordsWhatTheScreensRecord(t *testing.T) {
	const reason = "Use the shared deploy key instead."
	web := newApp(t)
	owner := web.as("octo-owner")
	deploy := web.grantID("mona", "deploy-bot")
	owner.post(requestsPath+"/"+deploy+"/deny", url.Values{"reason": {reason}}).redirectsTo(requestsPath)

	a := newApp(t)
	secret := admAdminToken(a)
	extra := a.addRequest("hubot", "octo-org", "extra", nil)
	a.api(http.MethodPost, admReqs, secret, map[string]any{"pat_request_ids": []int64{admID(deploy), extra}, "action": "deny", "reason": "  " + reason + "  "}).
		want(http.StatusAccepted)
	for _, tk := range [][2]string{{"mona", "deploy-bot"}, {"hubot", "extra"}} {
		if g := a.token(tk[0], tk[1]).Grant; g.Status != policy.GrantDenied || g.Reason != reason {
			t.Errorf("%s: %+v, want denied with the trimmed reason", tk[1], g)
		}
	}
	if got, want := admEvents(a, policy.ActionRequestDenied), admEvents(web, policy.ActionRequestDenied); len(got) != 2 || !slices.Contains(got, want[0]) {
		t.Errorf("request_denied events\n api %q\n web %q", got, want)
	}
	if got, want := admNotes(a, "mona"), admNotes(web, "mona"); !slices.Equal(got, want) {
		t.Errorf("mona notified %q, want %q", got, want)
	}
	if grantStatus(a, "hubot", "ci-reader") != policy.GrantPending {
		t.Error("an unlisted request was decided")
	}
	// The requester sees the reason.
	a.as("mona").get(fgPath+"/"+a.tokenID("mona", "deploy-bot")).contains("main .flash-error", "Reason: "+reason)

	// Some decided, some pending: the pending ones are decided, 202.
	a.api(http.MethodPost, admReqs, secret, map[string]any{"pat_request_ids": []int64{admID(deploy), admID(a.grantID("hubot", "ci-reader"))}, "action": "approve"}).
		want(http.StatusAccepted)
	if grantStatus(a, "mona", "deploy-bot") != policy.GrantDenied || grantStatus(a, "hubot", "ci-reader") != policy.GrantApproved {
		t.Error("a partly decided bulk approval did the wrong thing")
	}
}

func TestAdminAPIBulkRefusals(t *testing.T) {
	a := newApp(t)
	a.addOrgInEnterprise("side-owner", "side-org")
	sideGrant := a.addRequest("side-owner", "side-org", "side-req", nil)
	secret := admAdminToken(a)
	deploy, ci := admID(a.grantID("mona", "deploy-bot")), admID(a.grantID("hubot", "ci-reader"))
	var hundredOne []int64
	for i := int64(1); i <= 101; i++ {
		hundredOne = append(hundredOne, i)
	}
	before := admSnap(a, admDemo...)
	cases := []struct {
		name   string
		body   any
		status int
		field  string
	}{
		{"missing action", map[string]any{"pat_request_ids": []int64{deploy}}, http.StatusUnprocessableEntity, "action"},
		{"bad action", map[string]any{"pat_request_ids": []int64{deploy}, "action": "revoke"}, http.StatusUnprocessableEntity, "action"},
		{"action not a string", map[string]any{"pat_request_ids": []int64{deploy}, "action": true}, http.StatusUnprocessableEntity, "action"},
		{"missing ids", map[string]any{"action": "approve"}, http.StatusUnprocessableEntity, "pat_request_ids"},
		{"empty ids", map[string]any{"pat_request_ids": []int64{}, "action": "approve"}, http.StatusUnprocessableEntity, "pat_request_ids"},
		{"101 ids", map[string]any{"pat_request_ids": hundredOne, "action": "approve"}, http.StatusUnprocessableEntity, "pat_request_ids"},
		{"negative id", map[string]any{"pat_request_ids": []int64{deploy, -1}, "action": "approve"}, http.StatusUnprocessableEntity, "pat_request_ids"},
		{"ids as strings", `{"pat_request_ids": ["` + strconv.FormatInt(deploy, 10) + `"], "action": "approve"}`, http.StatusUnprocessableEntity, "pat_request_ids"},
		{"reason over 1024", map[string]any{"pat_request_ids": []int64{deploy}, "action": "deny", "reason": strings.Repeat("r", policy.MaxReason+1)}, http.StatusUnprocessableEntity, "reason"},
		{"unknown field", map[string]any{"pat_request_ids": []int64{deploy}, "action": "approve", "note": "x"}, http.StatusUnprocessableEntity, "note"},
		{"pat_ids on requests", map[string]any{"pat_ids": []int64{deploy}, "action": "approve"}, http.StatusUnprocessableEntity, "pat_ids"},
		{"malformed JSON", `{"pat_request_ids": [1,`, http.StatusBadRequest, ""},
		{"not JSON", `action=approve`, http.StatusBadRequest, ""},
		{"two documents", `{"action":"approve","pat_request_ids":[1]} {}`, http.StatusBadRequest, ""},
		{"another organization's request", map[string]any{"pat_request_ids": []int64{sideGrant}, "action": "approve"}, http.StatusUnprocessableEntity, ""},
		{"ids that never were", map[string]any{"pat_request_ids": []int64{999999}, "action": "approve"}, http.StatusUnprocessableEntity, ""},
		{"an active token's grant", map[string]any{"pat_request_ids": []int64{admID(a.grantID("octo-owner", "owner-automation"))}, "action": "deny"}, http.StatusUnprocessableEntity, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a.t = t
			r := a.api(http.MethodPost, admReqs, secret, tc.body).want(tc.status)
			if tc.field != "" {
				if f := admFields(r); !slices.Contains(f, tc.field) {
					t.Errorf("422 names %v, want %s", f, tc.field)
				}
			}
			if r.message() == "" {
				t.Error("no message")
			}
			before.same(t, a, admDemo...)
		})
	}
	a.t = t
	if grantStatus(a, "side-owner", "side-req") != policy.GrantPending {
		t.Fatal("octo-org's endpoint decided side-org's request")
	}
	// A reason of exactly 1024 characters passes.
	long := strings.Repeat("r", policy.MaxReason)
	a.api(http.MethodPost, admReqs, secret, map[string]any{"pat_request_ids": []int64{ci}, "action": "deny", "reason": long}).want(http.StatusAccepted)
	if g := a.token("hubot", "ci-reader").Grant; g.Status != policy.GrantDenied || g.Reason != long {
		t.Errorf("ci-reader %+v", g.Status)
	}
}

func TestAdminAPIReviewOneRequest(t *testing.T) {
	a := newApp(t)
	a.addOrgInEnterprise("side-owner", "side-org")
	sideGrant := a.addRequest("side-owner", "side-org", "side-req", nil)
	secret := admAdminToken(a)
	deploy, ci := a.grantID("mona", "deploy-bot"), a.grantID("hubot", "ci-reader")

	// Refused bodies change nothing.
	before := admSnap(a, admDemo...)
	for _, body := range []any{
		map[string]any{},
		map[string]any{"action": "revoke"},
		map[string]any{"action": "approve", "pat_request_ids": []int64{admID(deploy)}},
		map[string]any{"action": "deny", "reason": strings.Repeat("x", policy.MaxReason+1)},
		map[string]any{"action": "approve", "extra": 1},
	} {
		a.api(http.MethodPost, admReqs+"/"+deploy, secret, body).want(http.StatusUnprocessableEntity)
	}
	a.api(http.MethodPost, admReqs+"/"+deploy, secret, `{"action":`).want(http.StatusBadRequest)
	before.same(t, a, admDemo...)

	res := a.api(http.MethodPost, admReqs+"/"+deploy, secret, map[string]any{"action": "approve"}).want(http.StatusNoContent)
	if len(res.Body) != 0 {
		t.Errorf("204 with a body %q", res.Body)
	}
	if g := a.token("mona", "deploy-bot").Grant; g.Status != policy.GrantApproved || g.Reviewer != "octo-owner" {
		t.Fatalf("deploy-bot %+v", g)
	}
	if n := len(eventsAbout(a, policy.ActionAccessGranted, "deploy-bot")); n != 1 {
		t.Fatalf("%d access_granted events", n)
	}
	if ns := a.notifications("mona"); len(ns) != 1 || ns[0].Message != "Your token “deploy-bot” was approved for octo-org." {
		t.Errorf("mona's notifications %+v", ns)
	}
	// Again: 422, nothing new.
	after := admSnap(a, admDemo...)
	r := a.api(http.MethodPost, admReqs+"/"+deploy, secret, map[string]any{"action": "approve"}).want(http.StatusUnprocessableEntity)
	if !strings.Contains(r.message(), "no longer pending") {
		t.Errorf("422 message %q", r.message())
	}
	r = a.api(http.MethodPost, admReqs+"/"+deploy, secret, map[string]any{"action": "deny", "reason": "late"}).want(http.StatusUnprocessableEntity)
	if !strings.Contains(r.message(), "already approved by octo-owner") {
		t.Errorf("422 message %q", r.message())
	}
	after.same(t, a, admDemo...)

	// Deny with a reason: the requester sees it on the token.
	a.api(http.MethodPost, admReqs+"/"+ci, secret, map[string]any{"action": "deny", "reason": "Too broad: pick repositories."}).want(http.StatusNoContent)
	if g := a.token("hubot", "ci-reader").Grant; g.Status != policy.GrantDenied || g.Reason != "Too broad: pick repositories." {
		t.Fatalf("ci-reader %+v", g)
	}
	p := a.as("hubot").get(fgPath + "/" + a.tokenID("hubot", "ci-reader")).status(http.StatusOK)
	p.contains("main .page-title-row", "Denied")
	p.contains("main .flash-error", "Reason: Too broad: pick repositories.")

	// Cancelled by its requester: 422; never existed: 404.
	cancelled := a.addRequest("mona", "octo-org", "to-cancel", nil)
	tok := a.token("mona", "to-cancel")
	if err := a.tokenFlows().Cancel(context.Background(), a.userID("mona"), tok.ID); err != nil {
		t.Fatal(err)
	}
	r = a.api(http.MethodPost, admReqs+"/"+strconv.FormatInt(cancelled, 10), secret, map[string]any{"action": "approve"}).want(http.StatusUnprocessableEntity)
	if !strings.Contains(r.message(), "no longer pending") {
		t.Errorf("422 message %q", r.message())
	}
	for _, id := range []string{"999999", "0", "abc", strconv.FormatInt(sideGrant, 10)} {
		a.api(http.MethodPost, admReqs+"/"+id, secret, map[string]any{"action": "approve"}).want(http.StatusNotFound)
	}
	if grantStatus(a, "side-owner", "side-req") != policy.GrantPending {
		t.Fatal("octo-org's endpoint decided side-org's request")
	}
}

func admRepoNames(a *app, path, secret string) []string {
	a.t.Helper()
	var repos []struct {
		Name     string `json:"name"`
		FullName string `json:"full_name"`
		Private  bool   `json:"private"`
	}
	a.api(http.MethodGet, path, secret, nil).want(http.StatusOK).decode(&repos)
	out := []string{}
	for _, r := range repos {
		if r.FullName != "octo-org/"+r.Name {
			a.t.Errorf("full_name %q", r.FullName)
		}
		out = append(out, r.Name)
	}
	return out
}

func TestAdminAPIRepositories(t *testing.T) {
	a := newApp(t)
	secret := admAdminToken(a)
	a.newFineGrained("mona", "two-repos", fgSpec{Org: "octo-org", Status: policy.GrantPending, Selection: policy.SelectSelected, Repos: []string{"octo-web", "octo-infra"}})
	a.newFineGrained("mona", "public-only", fgSpec{Org: "octo-org", Status: policy.GrantPending, Selection: policy.SelectPublic})
	deploy, ci := a.grantID("mona", "deploy-bot"), a.grantID("hubot", "ci-reader")
	active := a.grantID("octo-owner", "owner-automation")

	cases := []struct {
		path string
		want []string
	}{
		{admReqs + "/" + deploy + "/repositories", []string{"octo-api"}},
		{admReqs + "/" + a.grantID("mona", "two-repos") + "/repositories", []string{"octo-infra", "octo-web"}},
		{admReqs + "/" + a.grantID("mona", "public-only") + "/repositories", []string{"octo-web"}},
		{admReqs + "/" + ci + "/repositories", []string{"octo-api", "octo-infra", "octo-web"}},
		{admToks + "/" + active + "/repositories", []string{"octo-api", "octo-infra", "octo-web"}},
	}
	for _, tc := range cases {
		if got := admRepoNames(a, tc.path, secret); !slices.Equal(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.path, got, tc.want)
		}
	}
	// The list's repositories_url is where the repositories are.
	for _, g := range admList(a, admReqs, secret) {
		if !strings.HasPrefix(g.RepositoriesURL, a.srv.URL+"/api/v3/") {
			t.Fatalf("repositories_url %q", g.RepositoriesURL)
		}
		a.api(http.MethodGet, strings.TrimPrefix(g.RepositoriesURL, a.srv.URL+"/api/v3"), secret, nil).want(http.StatusOK)
	}
	for _, g := range admList(a, admToks, secret) {
		a.api(http.MethodGet, strings.TrimPrefix(g.RepositoriesURL, a.srv.URL+"/api/v3"), secret, nil).want(http.StatusOK)
	}
	// Paged like any list.
	res := a.api(http.MethodGet, admReqs+"/"+ci+"/repositories?per_page=1&page=2", secret, nil).want(http.StatusOK)
	if !strings.Contains(res.Header.Get("Link"), `rel="next"`) || !strings.Contains(res.Header.Get("Link"), `rel="prev"`) {
		t.Errorf("Link %q", res.Header.Get("Link"))
	}
	// A request is not a token, and a token is not a request.
	a.api(http.MethodGet, admToks+"/"+deploy+"/repositories", secret, nil).want(http.StatusNotFound)
	a.api(http.MethodGet, admReqs+"/"+active+"/repositories", secret, nil).want(http.StatusNotFound)
	a.api(http.MethodGet, admReqs+"/999999/repositories", secret, nil).want(http.StatusNotFound)
	a.api(http.MethodGet, admReqs+"/abc/repositories", secret, nil).want(http.StatusNotFound)
	a.api(http.MethodGet, admReqs+"/"+deploy+"/repositories?per_page=abc", secret, nil).want(http.StatusUnprocessableEntity)
	// Once approved, the grant moves from one path to the other.
	a.api(http.MethodPost, admReqs+"/"+deploy, secret, map[string]any{"action": "approve"}).want(http.StatusNoContent)
	a.api(http.MethodGet, admReqs+"/"+deploy+"/repositories", secret, nil).want(http.StatusNotFound)
	if got := admRepoNames(a, admToks+"/"+deploy+"/repositories", secret); !slices.Equal(got, []string{"octo-api"}) {
		t.Errorf("approved deploy-bot reaches %v", got)
	}
}

func TestAdminAPITokensAndRevocation(t *testing.T) {
	a := newApp(t)
	secret := admAdminToken(a)
	members := map[string]policy.Level{policy.Metadata: policy.LevelRead, "members": policy.LevelRead}
	bulkSecret := a.newFineGrained("mona", "to-revoke-bulk", fgSpec{Org: "octo-org", Permissions: members, Days: 30})
	oneSecret := a.newFineGrained("hubot", "to-revoke-one", fgSpec{Org: "octo-org", Permissions: members})
	a.api(http.MethodGet, "/orgs/octo-org/members", bulkSecret, nil).want(http.StatusOK)
	a.api(http.MethodGet, "/orgs/octo-org/members", oneSecret, nil).want(http.StatusOK)
	a.api(http.MethodPost, admReqs+"/"+a.grantID("mona", "deploy-bot"), secret, map[string]any{"action": "approve"}).want(http.StatusNoContent)

	res := a.api(http.MethodGet, admToks, secret, nil).want(http.StatusOK)
	var raw []map[string]json.RawMessage
	res.decode(&raw)
	var got []admGrant
	res.decode(&got)
	if names := admNames(got); !slices.Equal(names, []string{"to-revoke-one", "to-revoke-bulk", "admin-api", "owner-automation", "deploy-bot"}) {
		t.Errorf("active tokens %v", names)
	}
	wantKeys := []string{"access_granted_at", "id", "owner", "permissions", "repositories_url", "repository_selection",
		"token_expired", "token_expires_at", "token_id", "token_last_used_at", "token_name"}
	for i, item := range raw {
		var keys []string
		for k := range item {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		if !slices.Equal(keys, wantKeys) {
			t.Errorf("item %d has fields %v, want %v", i, keys, wantKeys)
		}
	}
	for _, g := range got {
		if g.AccessGrantedAt == nil {
			t.Errorf("%s: access_granted_at null", g.TokenName)
		} else if _, err := time.Parse(time.RFC3339, *g.AccessGrantedAt); err != nil {
			t.Errorf("%s: access_granted_at %q", g.TokenName, *g.AccessGrantedAt)
		}
		if !strings.HasPrefix(g.RepositoriesURL, a.srv.URL+"/api/v3"+admToks+"/") {
			t.Errorf("%s: repositories_url %q", g.TokenName, g.RepositoriesURL)
		}
		if g.TokenName == "deploy-bot" && (g.Owner.Login != "mona" || g.RepositorySelection != "subset") {
			t.Errorf("deploy-bot %+v", g)
		}
		if g.TokenName == "to-revoke-one" && g.TokenExpiresAt != nil {
			t.Errorf("a token without expiry has token_expires_at %q", *g.TokenExpiresAt)
		}
	}
	// Filters work on this list too.
	if names := admNames(admList(a, admToks+"?owner[]=mona&direction=asc", secret)); !slices.Equal(names, []string{"deploy-bot", "to-revoke-bulk"}) {
		t.Errorf("mona's active tokens %v", names)
	}

	// Refused revocations change nothing.
	bulkGrant, oneGrant := admID(a.grantID("mona", "to-revoke-bulk")), admID(a.grantID("hubot", "to-revoke-one"))
	tracked := [][2]string{{"mona", "to-revoke-bulk"}, {"hubot", "to-revoke-one"}, {"hubot", "ci-reader"}}
	before := admSnap(a, tracked...)
	for _, body := range []any{
		map[string]any{"pat_ids": []int64{bulkGrant}},
		map[string]any{"pat_ids": []int64{bulkGrant}, "action": "approve"},
		map[string]any{"pat_ids": []int64{}, "action": "revoke"},
		map[string]any{"action": "revoke"},
		map[string]any{"pat_request_ids": []int64{bulkGrant}, "action": "revoke"},
		map[string]any{"pat_ids": []int64{bulkGrant}, "action": "revoke", "reason": "no"},
	} {
		a.api(http.MethodPost, admToks, secret, body).want(http.StatusUnprocessableEntity)
	}
	a.api(http.MethodPost, admToks, secret, `{`).want(http.StatusBadRequest)
	// A pending request is not an active token.
	a.api(http.MethodPost, admToks, secret, map[string]any{"pat_ids": []int64{admID(a.grantID("hubot", "ci-reader"))}, "action": "revoke"}).want(http.StatusUnprocessableEntity)
	before.same(t, a, tracked...)

	// Bulk revoke: 202, and the token is refused from then on.
	r := a.api(http.MethodPost, admToks, secret, map[string]any{"pat_ids": []int64{bulkGrant}, "action": "revoke"}).want(http.StatusAccepted)
	if strings.TrimSpace(string(r.Body)) != "{}" {
		t.Errorf("202 body %s", r.Body)
	}
	if g := a.token("mona", "to-revoke-bulk").Grant; g.Status != policy.GrantRevoked || g.Reviewer != "octo-owner" {
		t.Fatalf("to-revoke-bulk %+v", g)
	}
	denied := a.api(http.MethodGet, "/orgs/octo-org/members", bulkSecret, nil).want(http.StatusForbidden)
	if !strings.Contains(denied.message(), "revoked") {
		t.Errorf("a revoked token is told %q", denied.message())
	}
	if n := len(eventsAbout(a, policy.ActionAccessRevoked, "to-revoke-bulk")); n != 1 {
		t.Errorf("%d access_revoked events", n)
	}
	if ns := a.notifications("mona"); len(ns) == 0 || !strings.Contains(ns[0].Message, "“to-revoke-bulk” was revoked by octo-org") {
		t.Errorf("mona's notifications %+v", ns)
	}
	a.api(http.MethodPost, admToks, secret, map[string]any{"pat_ids": []int64{bulkGrant}, "action": "revoke"}).want(http.StatusUnprocessableEntity)

	// One: 204, then 422.
	r = a.api(http.MethodPost, admToks+"/"+strconv.FormatInt(oneGrant, 10), secret, map[string]any{"action": "revoke"}).want(http.StatusNoContent)
	if len(r.Body) != 0 {
		t.Errorf("204 with a body %q", r.Body)
	}
	a.api(http.MethodGet, "/orgs/octo-org/members", oneSecret, nil).want(http.StatusForbidden)
	r = a.api(http.MethodPost, admToks+"/"+strconv.FormatInt(oneGrant, 10), secret, map[string]any{"action": "revoke"}).want(http.StatusUnprocessableEntity)
	if !strings.Contains(r.message(), "no longer active") {
		t.Errorf("422 message %q", r.message())
	}
	if n := len(eventsAbout(a, policy.ActionAccessRevoked, "to-revoke-one")); n != 1 {
		t.Errorf("%d access_revoked events", n)
	}
	// A token its owner deleted: 422 on its own, as on the screens.
	a.newFineGrained("mona", "deleted-by-owner", fgSpec{Org: "octo-org"})
	goneTok := a.token("mona", "deleted-by-owner")
	if err := a.tokenFlows().Delete(context.Background(), a.userID("mona"), goneTok.ID); err != nil {
		t.Fatal(err)
	}
	r = a.api(http.MethodPost, admToks+"/"+strconv.FormatInt(goneTok.Grant.ID, 10), secret, map[string]any{"action": "revoke"}).want(http.StatusUnprocessableEntity)
	if !strings.Contains(r.message(), "deleted") {
		t.Errorf("422 message %q", r.message())
	}
	for _, id := range []string{"999999", "abc"} {
		a.api(http.MethodPost, admToks+"/"+id, secret, map[string]any{"action": "revoke"}).want(http.StatusNotFound)
	}
	a.api(http.MethodPost, admToks+"/"+a.grantID("hubot", "ci-reader"), secret, map[string]any{"action": "revoke"}).want(http.StatusUnprocessableEntity)
	a.api(http.MethodPost, admToks+"/"+strconv.FormatInt(oneGrant, 10), secret, map[string]any{"action": "revoke", "pat_ids": []int64{oneGrant}}).
		want(http.StatusUnprocessableEntity)

	// Revoked tokens leave the list, and revoked for good.
	if names := admNames(admList(a, admToks, secret)); slices.Contains(names, "to-revoke-bulk") || slices.Contains(names, "to-revoke-one") {
		t.Errorf("revoked tokens still listed: %v", names)
	}
	a.api(http.MethodPost, admReqs+"/"+strconv.FormatInt(oneGrant, 10), secret, map[string]any{"action": "approve"}).want(http.StatusUnprocessableEntity)
	// The screens agree.
	if rows := rowNames(a.as("octo-owner").get(activePath)); slices.Contains(rows, "to-revoke-bulk") {
		t.Errorf("the active tokens page still lists a revoked token: %v", rows)
	}
}
