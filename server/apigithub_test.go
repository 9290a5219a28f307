package server_test

import (
	"bufio"
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"patpolicy/db/dbtest"

	"patpolicy/handlers/api"
	"patpolicy/policy"
	"patpolicy/server"
)

// These tests drive the API the way GitHub's own clients (gh, Octokit,
// go-github) call it, where they differ from a hand-written call.

func TestAPIPagingZeroMeansTheDefault(t *testing.T) {
	a := newApp(t)
	owner := admAdminToken(a)
	a.addRequest("mona", "octo-org", "third", nil)
	var want, got []admGrant
	a.api(http.MethodGet, admReqs, owner, nil).want(http.StatusOK).decode(&want)
	for _, q := range []string{"page=0", "per_page=0", "page=0&per_page=0"} {
		a.api(http.MethodGet, admReqs+"?"+q, owner, nil).want(http.StatusOK).decode(&got)
		if !slices.Equal(admNames(got), admNames(want)) {
			t.Errorf("%s: %v, want the first page of 30 %v", q, admNames(got), admNames(want))
		}
	}
}

func TestPolicyAPIIfNoneMatchAnswersNotModified(t *testing.T) {
	a := newApp(t)
	read := polAdmin(a, "policy-read", policy.LevelRead)
	ent := polEntToken(a)
	for _, tc := range []struct{ path, token string }{{polOrg, read}, {polEnt, ent}} {
		first := polDo(a, http.MethodGet, tc.path, tc.token, nil, "").want(http.StatusOK)
		tag := first.Header.Get("ETag")
		h := http.Header{"Authorization": {"token " + tc.token}, "If-None-Match": {tag}}
		same := a.apiWith(http.MethodGet, tc.path, "", nil, h)
		if same.Status != http.StatusNotModified || len(same.Body) != 0 || same.Header.Get("ETag") != tag {
			t.Errorf("%s with If-None-Match %s: %d %q ETag %q, want an empty 304 with the ETag", tc.path, tag, same.Status, same.Body, same.Header.Get("ETag"))
		}
		h.Set("If-None-Match", `"999999"`)
		if other := a.apiWith(http.MethodGet, tc.path, "", nil, h); other.Status != http.StatusOK || string(other.Body) != string(first.Body) {
			t.Errorf("%s with another version's tag: %d, want 200 and the policy", tc.path, other.Status)
		}
	}
}

func TestAdminAPIAcceptsCommaJoinedArrayFilters(t *testing.T) {
	a := newApp(t)
	owner := admAdminToken(a)
	deployTok, ciTok := a.tokenID("mona", "deploy-bot"), a.tokenID("hubot", "ci-reader")
	for _, tc := range []struct {
		query string
		want  []string
	}{
		{"owner=mona,hubot", []string{"ci-reader", "deploy-bot"}},
		{"owner=mona", []string{"deploy-bot"}},
		{"owner[]=mona&owner[]=hubot", []string{"ci-reader", "deploy-bot"}},
		{"token_id=" + deployTok + "," + ciTok, []string{"ci-reader", "deploy-bot"}},
		{"token_id=" + deployTok, []string{"deploy-bot"}},
		{"token_id[]=" + deployTok + "&token_id[]=" + ciTok, []string{"ci-reader", "deploy-bot"}},
	} {
		var got []admGrant
		a.api(http.MethodGet, admReqs+"?"+tc.query, owner, nil).want(http.StatusOK).decode(&got)
		if !slices.Equal(admNames(got), tc.want) {
			t.Errorf("%s: %v, want %v", tc.query, admNames(got), tc.want)
		}
	}
	// The limits count the items, however they are sent.
	res := a.api(http.MethodGet, admReqs+"?owner=a,b,c,d,e,f,g,h,i,j,k", owner, nil).want(http.StatusUnprocessableEntity)
	if f := admFields(res); !slices.Equal(f, []string{"owner"}) {
		t.Errorf("eleven comma-joined owners: 422 names %v", f)
	}
}

// raw calls any path of the server (not only under /api/v3) and reads the
// answer.
func (a *app) raw(method, path string, header http.Header, body string) *apiResponse {
	a.t.Helper()
	req, err := http.NewRequest(method, a.srv.URL+path, strings.NewReader(body))
	if err != nil {
		a.t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	return a.send(req)
}

func TestAPIAnswersCarryAUniqueRequestID(t *testing.T) {
	a := newApp(t)
	owner := a.newFineGrained("octo-owner", "request-ids", fgSpec{Org: "octo-org", Days: 30})
	seen := map[string]string{}
	for _, call := range []struct{ path, token string }{
		{"/user", owner}, {"/user", owner}, {"/repos/octo-org/octo-web", ""},
		{"/no/such/endpoint", ""}, {"/user", "github_pat_not_a_real_token"},
	} {
		res := a.api(http.MethodGet, call.path, call.token, nil)
		id := res.Header.Get("X-GitHub-Request-Id")
		if id == "" {
			t.Errorf("GET %s (%d) has no X-GitHub-Request-Id", call.path, res.Status)
			continue
		}
		if prev, dup := seen[id]; dup {
			t.Errorf("GET %s has the request id %s of GET %s", call.path, id, prev)
		}
		seen[id] = call.path
	}
}

func TestAPIUnknownPathsAreGitHubsJSON404(t *testing.T) {
	a := newApp(t)
	owner := a.newFineGrained("octo-owner", "unknown-paths", fgSpec{Org: "octo-org", Days: 30})
	form := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
	auth := http.Header{"Authorization": {"Bearer " + owner}, "Content-Type": {"application/json"}}
	for _, tc := range []struct {
		method, path string
		header       http.Header
	}{
		{http.MethodGet, "/api/v3/no/such/endpoint", nil},
		{http.MethodPost, "/api/v3/no/such/endpoint", form},
		{http.MethodGet, "/api", nil},
		{http.MethodGet, "/api/graphql", nil},
		{http.MethodPost, "/api/graphql", auth},
		{http.MethodPost, "/api/v4/projects", form},
		{http.MethodDelete, "/api/uploads/x", form},
		// A method the endpoint does not take is no endpoint, as on GitHub.
		{http.MethodDelete, "/api/v3/user", auth},
		{http.MethodPost, "/api/v3/orgs/octo-org", form},
	} {
		res := a.raw(tc.method, tc.path, tc.header, "x=1")
		if res.Status != http.StatusNotFound || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
			t.Errorf("%s %s: %d %s %.80q, want a JSON 404", tc.method, tc.path, res.Status, res.Header.Get("Content-Type"), res.Body)
			continue
		}
		if m := res.message(); m != "Not Found" {
			t.Errorf("%s %s: message %q, want GitHub's Not Found", tc.method, tc.path, m)
		}
	}
}

func TestAPIHeadAnswersAsGetWithoutABody(t *testing.T) {
	a := newApp(t)
	owner := a.newFineGrained("octo-owner", "head", fgSpec{Org: "octo-org", Days: 30, Permissions: map[string]policy.Level{
		policy.Metadata: policy.LevelRead, "members": policy.LevelRead, "organization_administration": policy.LevelRead}})
	for _, tc := range []struct {
		path, token string
		status      int
		headers     []string
	}{
		{"/user", owner, 200, []string{"Content-Type"}},
		{"/", "", 200, []string{"Content-Type"}},
		{"/meta", "", 200, []string{"Content-Type"}},
		{"/orgs/octo-org/repos?per_page=1", owner, 200, []string{"Content-Type", "Link"}},
		{"/orgs/octo-org/members?per_page=1", owner, 200, []string{"Content-Type", "Link"}},
		{"/orgs/octo-org/personal-access-token-policy", owner, 200, []string{"ETag", "Cache-Control"}},
		{"/repos/octo-org/octo-api", "", 404, []string{"Content-Type"}},
		{"/user", "", 401, []string{"Content-Type"}},
		{"/no/such/endpoint", "", 404, []string{"Content-Type"}},
	} {
		get := a.api(http.MethodGet, tc.path, tc.token, nil)
		head := a.api(http.MethodHead, tc.path, tc.token, nil)
		if get.Status != tc.status || head.Status != tc.status {
			t.Errorf("%s: GET %d, HEAD %d, want %d", tc.path, get.Status, head.Status, tc.status)
		}
		if len(head.Body) != 0 {
			t.Errorf("HEAD %s has a body: %.80q", tc.path, head.Body)
		}
		for _, h := range append(tc.headers, "X-GitHub-Request-Id") {
			if head.Header.Get(h) == "" || h != "X-GitHub-Request-Id" && head.Header.Get(h) != get.Header.Get(h) {
				t.Errorf("HEAD %s: %s %q, GET's %q", tc.path, h, head.Header.Get(h), get.Header.Get(h))
			}
		}
	}
}

// TestAPIHeadSendsNoBodyOnTheWire reads a HEAD's answer off the connection
// itself: a body the server sent anyway would be taken by a client for the
// answer to its next request on the connection.
func TestAPIHeadSendsNoBodyOnTheWire(t *testing.T) {
	a := newApp(t)
	conn, err := net.Dial("tcp", strings.TrimPrefix(a.srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, path := range []string{"/api/v3/meta", "/api/v3/no/such/endpoint"} {
		if _, err := fmt.Fprintf(conn, "HEAD %s HTTP/1.1\r\nHost: x\r\n\r\n", path); err != nil {
			t.Fatal(err)
		}
		br := bufio.NewReader(conn)
		res, err := http.ReadResponse(br, &http.Request{Method: http.MethodHead})
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		conn.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
		if extra, _ := br.Peek(1); len(extra) > 0 {
			t.Errorf("HEAD %s: bytes after the answer's head on the connection", path)
		}
		conn.SetReadDeadline(time.Time{})
	}
}

func TestAPIAcceptsTheTokenAsBasicAuthPassword(t *testing.T) {
	a := newApp(t)
	owner := a.newFineGrained("octo-owner", "basic", fgSpec{Org: "octo-org", Days: 30})
	basic := func(userpass string) http.Header {
		return http.Header{"Authorization": {"Basic " + base64.StdEncoding.EncodeToString([]byte(userpass))}}
	}
	for _, user := range []string{"octo-owner", "x-access-token", ""} {
		res := a.apiWith(http.MethodGet, "/user", "", nil, basic(user+":"+owner)).want(http.StatusOK)
		var u struct{ Login string }
		res.decode(&u)
		if u.Login != "octo-owner" {
			t.Errorf("Basic %s:<token> is %q, want octo-owner", user, u.Login)
		}
	}
	for _, bad := range []http.Header{basic("octo-owner:demo-password"), basic(owner), {"Authorization": {"Basic !!!"}}} {
		if res := a.apiWith(http.MethodGet, "/user", "", nil, bad); res.Status != http.StatusUnauthorized || res.message() != "Bad credentials" {
			t.Errorf("Authorization %q: %d %s, want 401 Bad credentials", bad.Get("Authorization"), res.Status, res.Body)
		}
	}
}

func TestAPIScopeHeaders(t *testing.T) {
	a := newApp(t)
	classic := a.newClassic("octo-owner", "scopes", 30, "repo", "read:org")
	fine := a.newFineGrained("octo-owner", "no-scopes", fgSpec{Org: "octo-org", Days: 30})
	ent := polEntToken(a)
	for _, tc := range []struct {
		path, token      string
		scopes, accepted string
	}{
		{"/orgs/octo-org/members", classic, "repo, read:org", "read:org, admin:org"},
		{"/repos/octo-org/octo-api", classic, "repo, read:org", "repo"},
		{"/orgs/octo-org/personal-access-tokens", classic, "repo, read:org", "admin:org"},
		{"/user", classic, "repo, read:org", ""},
		{"/orgs/octo-org/members", fine, "", "read:org, admin:org"},
		{polEnt, ent, "admin:enterprise", "admin:enterprise"},
	} {
		res := a.api(http.MethodGet, tc.path, tc.token, nil)
		if got, ok := res.Header["X-Oauth-Scopes"]; tc.scopes == "" && ok || tc.scopes != "" && (len(got) != 1 || got[0] != tc.scopes) {
			t.Errorf("GET %s: X-OAuth-Scopes %q, want %q", tc.path, got, tc.scopes)
		}
		if got, ok := res.Header["X-Accepted-Oauth-Scopes"]; !ok || got[0] != tc.accepted {
			t.Errorf("GET %s: X-Accepted-OAuth-Scopes %q, want %q", tc.path, got, tc.accepted)
		}
	}
}

func TestAPIRootAndMetaAnswerAsEnterpriseServer(t *testing.T) {
	d := loadSpecFile(t, "ghes-3.19.json")
	a := newApp(t)
	for _, path := range []string{"/", ""} {
		res := a.api(http.MethodGet, path, "", nil)
		wantSpec(d, t, "GET", "/", res, http.StatusOK)
		var root map[string]string
		res.decode(&root)
		if root["current_user_url"] != a.srv.URL+"/api/v3/user" {
			t.Errorf("root %q: current_user_url %q", path, root["current_user_url"])
		}
	}
	res := a.api(http.MethodGet, "/meta", "", nil)
	wantSpec(d, t, "GET", "/meta", res, http.StatusOK)
	var meta struct {
		Installed *string `json:"installed_version"`
		Password  *bool   `json:"verifiable_password_authentication"`
	}
	res.decode(&meta)
	if meta.Installed == nil || *meta.Installed != api.EnterpriseVersion || meta.Password == nil || *meta.Password {
		t.Errorf("meta %s", res.Body)
	}
	for _, path := range []string{"/", "/meta", "/user", "/nothing"} {
		if v := a.api(http.MethodGet, path, "", nil).Header.Get("X-GitHub-Enterprise-Version"); v != api.EnterpriseVersion {
			t.Errorf("GET %s: X-GitHub-Enterprise-Version %q", path, v)
		}
	}
}

func TestAPIRateLimitPerToken(t *testing.T) {
	a := newAppAt(t, dbtest.Location(t), withConfig(func(c *server.Config) { c.APIRateLimit = 3 }))
	owner := a.newFineGrained("octo-owner", "limited", fgSpec{Org: "octo-org", Days: 30})
	other := a.newFineGrained("octo-owner", "other", fgSpec{Org: "octo-org", Days: 30})
	start := time.Now()
	for i := 1; i <= 3; i++ {
		res := a.api(http.MethodGet, "/user", owner, nil).want(http.StatusOK)
		for h, want := range map[string]string{"X-RateLimit-Limit": "3", "X-RateLimit-Remaining": strconv.Itoa(3 - i),
			"X-RateLimit-Used": strconv.Itoa(i), "X-RateLimit-Resource": "core"} {
			if got := res.Header.Get(h); got != want {
				t.Errorf("call %d: %s %q, want %q", i, h, got, want)
			}
		}
		reset, _ := strconv.ParseInt(res.Header.Get("X-RateLimit-Reset"), 10, 64)
		if r := time.Unix(reset, 0); r.Before(start.Add(59*time.Minute)) || r.After(time.Now().Add(time.Hour)) {
			t.Errorf("call %d: X-RateLimit-Reset %s, want an hour after the first call", i, r)
		}
	}
	over := a.api(http.MethodGet, "/repos/octo-org/octo-web", owner, nil).want(http.StatusForbidden)
	if m, want := over.message(), "API rate limit exceeded for user ID "+strconv.FormatInt(a.userID("octo-owner"), 10)+"."; m != want {
		t.Errorf("over the limit: %q, want %q", m, want)
	}
	if over.Header.Get("X-RateLimit-Remaining") != "0" || over.Header.Get("X-RateLimit-Used") != "3" {
		t.Errorf("over the limit: Remaining %q Used %q", over.Header.Get("X-RateLimit-Remaining"), over.Header.Get("X-RateLimit-Used"))
	}
	// Another token counts on its own; a call without a token is not counted.
	if r := a.api(http.MethodGet, "/user", other, nil).want(http.StatusOK); r.Header.Get("X-RateLimit-Remaining") != "2" {
		t.Errorf("another token: Remaining %q, want 2", r.Header.Get("X-RateLimit-Remaining"))
	}
	if r := a.api(http.MethodGet, "/repos/octo-org/octo-web", "", nil).want(http.StatusOK); r.Header.Get("X-RateLimit-Limit") != "" {
		t.Errorf("an anonymous call is counted: %q", r.Header.Get("X-RateLimit-Limit"))
	}
	// Without the flag there is no limit and no header.
	b := newApp(t)
	tok := b.newFineGrained("octo-owner", "unlimited", fgSpec{Org: "octo-org", Days: 30})
	for range 5 {
		if r := b.api(http.MethodGet, "/user", tok, nil).want(http.StatusOK); r.Header.Get("X-RateLimit-Limit") != "" {
			t.Fatalf("no limit set, yet X-RateLimit-Limit %q", r.Header.Get("X-RateLimit-Limit"))
		}
	}
}

func TestAPIOrgReposTypeSortAndDirection(t *testing.T) {
	a := newApp(t)
	owner := a.newFineGrained("octo-owner", "repos", fgSpec{Org: "octo-org", Days: 30})
	outsider := a.newClassic("ent-admin", "outsider", 30, "repo")
	names := func(query, token string) []string {
		var repos []struct{ Name string }
		a.api(http.MethodGet, "/orgs/octo-org/repos"+query, token, nil).want(http.StatusOK).decode(&repos)
		out := []string{}
		for _, r := range repos {
			out = append(out, r.Name)
		}
		return out
	}
	// The demo creates octo-web, octo-api and octo-infra in that order.
	for _, tc := range []struct {
		query, token string
		want         []string
	}{
		{"", owner, []string{"octo-infra", "octo-api", "octo-web"}},
		{"?sort=created&direction=desc", owner, []string{"octo-infra", "octo-api", "octo-web"}},
		{"?direction=asc", owner, []string{"octo-web", "octo-api", "octo-infra"}},
		{"?sort=updated", owner, []string{"octo-infra", "octo-api", "octo-web"}},
		{"?sort=pushed&direction=asc", owner, []string{"octo-web", "octo-api", "octo-infra"}},
		{"?sort=full_name", owner, []string{"octo-api", "octo-infra", "octo-web"}},
		{"?sort=full_name&direction=desc", owner, []string{"octo-web", "octo-infra", "octo-api"}},
		{"?type=public", owner, []string{"octo-web"}},
		{"?type=private&sort=full_name", owner, []string{"octo-api", "octo-infra"}},
		{"?type=forks", owner, []string{}},
		{"?type=sources&sort=full_name", owner, []string{"octo-api", "octo-infra", "octo-web"}},
		{"?type=member&sort=full_name", owner, []string{"octo-api", "octo-infra", "octo-web"}},
		{"?type=all", outsider, []string{"octo-web"}},
		{"?type=member", outsider, []string{}},
		{"?type=member", "", []string{}},
		{"?type=private", "", []string{}},
		{"?sort=full_name&per_page=1&page=2", owner, []string{"octo-infra"}},
	} {
		if got := names(tc.query, tc.token); !slices.Equal(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.query, got, tc.want)
		}
	}
	for _, tc := range []struct{ query, field string }{
		{"?type=internal-ish", "type"}, {"?sort=stars", "sort"}, {"?direction=up", "direction"},
	} {
		res := a.api(http.MethodGet, "/orgs/octo-org/repos"+tc.query, owner, nil).want(http.StatusUnprocessableEntity)
		if f := admFields(res); !slices.Equal(f, []string{tc.field}) {
			t.Errorf("%s: 422 names %v, want %s", tc.query, f, tc.field)
		}
	}
}

func TestAPICreateIssueTakesEveryFieldOfGitHubsSchema(t *testing.T) {
	d := loadSpec(t)
	a := newApp(t)
	tok := a.newFineGrained("octo-owner", "issues", fgSpec{Org: "octo-org", Days: 30,
		Permissions: map[string]policy.Level{policy.Metadata: policy.LevelRead, "issues": policy.LevelWrite}})
	const op = "/repos/{owner}/{repo}/issues"
	res := a.api(http.MethodPost, "/repos/octo-org/octo-api/issues", tok, map[string]any{
		"title": "Found a bug", "body": "It breaks.",
		"labels":    []any{"bug", map[string]any{"name": "needs triage", "color": "#FBCA04", "description": "Not looked at yet"}, "Bug"},
		"assignees": []string{"mona", "no-such-user"}, "assignee": "hubot",
		"milestone": nil, "type": nil,
		"issue_field_values": []any{map[string]any{"field_id": 1, "value": "high"}},
	})
	wantSpec(d, t, "POST", op, res, http.StatusCreated)
	var issue struct {
		Labels []struct {
			ID               int64
			Name, Color, URL string
			Description      *string
		}
		Assignee  *struct{ Login string }
		Assignees []struct{ Login string }
	}
	res.decode(&issue)
	var labels, logins []string
	for _, l := range issue.Labels {
		desc := ""
		if l.Description != nil {
			desc = *l.Description
		}
		labels = append(labels, l.Name+"/"+l.Color+"/"+desc)
	}
	for _, u := range issue.Assignees {
		logins = append(logins, u.Login)
	}
	if want := []string{"bug/ededed/", "needs triage/fbca04/Not looked at yet"}; !slices.Equal(labels, want) {
		t.Errorf("labels %v, want %v", labels, want)
	}
	if want := []string{"hubot", "mona"}; !slices.Equal(logins, want) || issue.Assignee == nil || issue.Assignee.Login != "hubot" {
		t.Errorf("assignees %v (assignee %+v), want %v", logins, issue.Assignee, want)
	}

	// A label made by one issue is the same label for the next, by name or
	// by id; the title may be a number.
	bug := issue.Labels[0].ID
	res = a.api(http.MethodPost, "/repos/octo-org/octo-api/issues", tok, map[string]any{
		"title": 42, "labels": []any{map[string]any{"id": bug}}})
	wantSpec(d, t, "POST", op, res, http.StatusCreated)
	var second struct {
		Title  string
		Labels []struct {
			ID   int64
			Name string
		}
	}
	res.decode(&second)
	if second.Title != "42" || len(second.Labels) != 1 || second.Labels[0].ID != bug || second.Labels[0].Name != "bug" {
		t.Errorf("second issue %+v", second)
	}

	// What no schema names, and values that cannot be stored, are refused,
	// naming the field; nothing is created.
	for _, tc := range []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{"title": "x", "label": []string{"bug"}}, "label"},
		{map[string]any{"title": "x", "Labels": []string{"bug"}}, "Labels"},
		{map[string]any{"title": "x", "milestone": 1}, "milestone"},
		{map[string]any{"title": "x", "type": "Epic"}, "type"},
		{map[string]any{"title": true}, "title"},
		{map[string]any{"title": "x", "labels": []any{""}}, "labels"},
		{map[string]any{"title": "x", "labels": []any{strings.Repeat("l", 51)}}, "labels"},
		{map[string]any{"title": "x", "labels": []any{map[string]any{"name": "x", "color": "red"}}}, "labels"},
		{map[string]any{"title": "x", "labels": []any{map[string]any{"name": "x", "colour": "ff0000"}}}, "labels"},
		{map[string]any{"title": "x", "labels": []any{map[string]any{"id": 999999}}}, "labels"},
		{map[string]any{"title": "x", "labels": []any{7}}, "labels"},
		{map[string]any{"title": "x", "assignees": []string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k"}}, "assignees"},
		{map[string]any{"title": "x", "assignees": "mona"}, "assignees"},
		{map[string]any{"title": "x", "issue_field_values": []any{map[string]any{"value": "x"}}}, "issue_field_values"},
	} {
		res := a.api(http.MethodPost, "/repos/octo-org/octo-api/issues", tok, tc.body).want(http.StatusUnprocessableEntity)
		if f := admFields(res); !slices.Equal(f, []string{tc.field}) {
			t.Errorf("%v: 422 names %v, want %s", tc.body, f, tc.field)
		}
	}
	var third struct{ Number int }
	a.api(http.MethodPost, "/repos/octo-org/octo-api/issues", tok, map[string]any{"title": "third"}).want(http.StatusCreated).decode(&third)
	if third.Number != 3 {
		t.Errorf("the next issue is number %d, want 3: a refused one was stored", third.Number)
	}
}

func TestAPIRepositoriesCountTheirOpenIssues(t *testing.T) {
	a := newApp(t)
	tok := a.newFineGrained("octo-owner", "issues-count", fgSpec{Org: "octo-org", Days: 30,
		Permissions: map[string]policy.Level{policy.Metadata: policy.LevelRead, "issues": policy.LevelWrite}})
	for _, title := range []string{"one", "two"} {
		a.api(http.MethodPost, "/repos/octo-org/octo-web/issues", tok, map[string]any{"title": title}).want(http.StatusCreated)
	}
	type counts struct {
		Name            string
		OpenIssues      int `json:"open_issues"`
		OpenIssuesCount int `json:"open_issues_count"`
	}
	var one counts
	a.api(http.MethodGet, "/repos/octo-org/octo-web", tok, nil).want(http.StatusOK).decode(&one)
	if one.OpenIssues != 2 || one.OpenIssuesCount != 2 {
		t.Errorf("GET /repos/octo-org/octo-web: %+v, want 2 open issues", one)
	}
	var list []counts
	a.api(http.MethodGet, "/orgs/octo-org/repos?sort=full_name", tok, nil).want(http.StatusOK).decode(&list)
	got := map[string]int{}
	for _, r := range list {
		got[r.Name] = r.OpenIssuesCount
	}
	if got["octo-web"] != 2 || got["octo-api"] != 0 || len(got) != 3 {
		t.Errorf("GET /orgs/octo-org/repos counts %v, want octo-web 2 and the others 0", got)
	}
	// The answer is kept encoded: a new issue, and another site address
	// (without --base-url, the request's Host), each give a new one.
	a.api(http.MethodPost, "/repos/octo-org/octo-web/issues", tok, map[string]any{"title": "three"}).want(http.StatusCreated)
	a.api(http.MethodGet, "/repos/octo-org/octo-web", tok, nil).want(http.StatusOK).decode(&one)
	if one.OpenIssues != 3 {
		t.Errorf("after a third issue, GET /repos/octo-org/octo-web says %d open issues", one.OpenIssues)
	}
	var there struct {
		URL string
	}
	a.apiWith(http.MethodGet, "/repos/octo-org/octo-web", tok, nil, http.Header{"Host": {"elsewhere.example"}}).want(http.StatusOK).decode(&there)
	if !strings.HasPrefix(there.URL, "http://elsewhere.example/") {
		t.Errorf("asked at elsewhere.example, the repository's url is %q", there.URL)
	}
}
