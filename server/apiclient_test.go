package server_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-github/v81/github"
	"golang.org/x/crypto/ssh"

	"patpolicy/policy"
)

// These tests drive the API with google/go-github, unchanged, pointed at
// the server as at a GitHub Enterprise Server: a real client must work
// unchanged.

// ghClient is a go-github client authenticated with secret ("" for none).
func (a *app) ghClient(secret string) *github.Client {
	a.t.Helper()
	c := github.NewClient(nil)
	if secret != "" {
		c = c.WithAuthToken(secret)
	}
	c, err := c.WithEnterpriseURLs(a.srv.URL+"/api/v3/", a.srv.URL+"/api/uploads/")
	if err != nil {
		a.t.Fatal(err)
	}
	if got, want := c.BaseURL.String(), a.srv.URL+"/api/v3/"; got != want {
		a.t.Fatalf("BaseURL %s, want %s", got, want)
	}
	return c
}

// ownerAdminToken is octo-owner's fine-grained token on octo-org with
// Organization administration read and write, all repositories.
func (a *app) ownerAdminToken() string {
	a.t.Helper()
	return a.newFineGrained("octo-owner", "client-admin", fgSpec{Org: "octo-org", Days: 30,
		Permissions: map[string]policy.Level{policy.Metadata: policy.LevelRead, "organization_administration": policy.LevelWrite}})
}

// wantErrorResponse fails unless err is go-github's *ErrorResponse with
// status, and returns it.
func wantErrorResponse(t *testing.T, err error, status int) *github.ErrorResponse {
	t.Helper()
	var er *github.ErrorResponse
	if !errors.As(err, &er) {
		t.Fatalf("error %T %v, want *github.ErrorResponse with %d", err, err, status)
	}
	if er.Response == nil || er.Response.StatusCode != status {
		t.Fatalf("error response %v, want status %d", er, status)
	}
	return er
}

// wantAccepted fails unless err is go-github's answer to a 202.
func wantAccepted(t *testing.T, resp *github.Response, err error) {
	t.Helper()
	var acc *github.AcceptedError
	if !errors.As(err, &acc) {
		t.Fatalf("error %T %v, want *github.AcceptedError (202)", err, err)
	}
	if resp == nil || resp.StatusCode != http.StatusAccepted {
		t.Fatalf("response %v, want 202", resp)
	}
}

func TestClientResources(t *testing.T) {
	a := newApp(t)
	ctx := context.Background()
	owner := a.ghClient(a.ownerAdminToken())

	u, resp, err := owner.Users.Get(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if u.GetLogin() != "octo-owner" || u.GetName() != "Octo Owner" || u.GetID() != a.userID("octo-owner") || u.GetType() != "User" {
		t.Errorf("Users.Get: %+v", u)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type %q", ct)
	}

	org, _, err := owner.Organizations.Get(ctx, "octo-org")
	if err != nil {
		t.Fatal(err)
	}
	if org.GetLogin() != "octo-org" || org.GetName() != "Octo Org" || org.GetID() != a.orgID("octo-org") {
		t.Errorf("Organizations.Get: %+v", org)
	}
	_, _, err = owner.Organizations.Get(ctx, "no-such-org")
	wantErrorResponse(t, err, http.StatusNotFound)

	// Public and private repositories, as the owner's all-repositories token
	// sees them.
	for _, tc := range []struct {
		name    string
		private bool
	}{{"octo-web", false}, {"octo-api", true}} {
		r, _, err := owner.Repositories.Get(ctx, "octo-org", tc.name)
		if err != nil {
			t.Fatalf("Repositories.Get %s: %v", tc.name, err)
		}
		if r.GetFullName() != "octo-org/"+tc.name || r.GetName() != tc.name || r.GetPrivate() != tc.private ||
			r.GetOwner().GetLogin() != "octo-org" || r.GetOwner().GetType() != "Organization" {
			t.Errorf("Repositories.Get %s: %+v", tc.name, r)
		}
		if want := map[bool]string{false: "public", true: "private"}[tc.private]; r.GetVisibility() != want {
			t.Errorf("%s visibility %q, want %q", tc.name, r.GetVisibility(), want)
		}
	}

	// A token of mona's that selects octo-api only: octo-infra is hidden
	// (404, as GitHub hides private repositories), octo-web is public.
	mona := a.ghClient(a.newFineGrained("mona", "client-api-only", fgSpec{Org: "octo-org", Days: 30,
		Selection: policy.SelectSelected, Repos: []string{"octo-api"},
		Permissions: map[string]policy.Level{policy.Metadata: policy.LevelRead, "contents": policy.LevelRead}}))
	if _, _, err := mona.Repositories.Get(ctx, "octo-org", "octo-api"); err != nil {
		t.Fatalf("selected repository: %v", err)
	}
	_, _, err = mona.Repositories.Get(ctx, "octo-org", "octo-infra")
	if er := wantErrorResponse(t, err, http.StatusNotFound); er.Message != "Not Found" {
		t.Errorf("404 message %q", er.Message)
	}
	if _, _, err := mona.Repositories.Get(ctx, "octo-org", "octo-web"); err != nil {
		t.Fatalf("public repository: %v", err)
	}
	_, _, err = mona.Repositories.Get(ctx, "octo-org", "no-such-repo")
	wantErrorResponse(t, err, http.StatusNotFound)

	// ListByOrg one per page, following the Link header.
	var names []string
	opts := &github.RepositoryListByOrgOptions{ListOptions: github.ListOptions{PerPage: 1}}
	pages := 0
	for {
		repos, resp, err := owner.Repositories.ListByOrg(ctx, "octo-org", opts)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		if len(repos) != 1 {
			t.Fatalf("page %d: %d repositories, want 1", opts.Page, len(repos))
		}
		names = append(names, repos[0].GetName())
		if pages == 1 && (resp.NextPage != 2 || resp.LastPage != 3 || resp.PrevPage != 0 || resp.FirstPage != 0) {
			t.Errorf("page 1 Link %q: next %d last %d prev %d first %d", resp.Header.Get("Link"), resp.NextPage, resp.LastPage, resp.PrevPage, resp.FirstPage)
		}
		if pages == 2 && (resp.NextPage != 3 || resp.LastPage != 3 || resp.PrevPage != 1 || resp.FirstPage != 1) {
			t.Errorf("page 2 Link %q: next %d last %d prev %d first %d", resp.Header.Get("Link"), resp.NextPage, resp.LastPage, resp.PrevPage, resp.FirstPage)
		}
		if resp.NextPage == 0 {
			if resp.PrevPage != 2 || resp.FirstPage != 1 || resp.LastPage != 0 {
				t.Errorf("last page Link %q: prev %d first %d last %d", resp.Header.Get("Link"), resp.PrevPage, resp.FirstPage, resp.LastPage)
			}
			break
		}
		if pages > 5 {
			t.Fatal("the Link header never ends")
		}
		opts.Page = resp.NextPage
	}
	slices.Sort(names)
	if want := []string{"octo-api", "octo-infra", "octo-web"}; !slices.Equal(names, want) {
		t.Errorf("ListByOrg walked %v, want %v", names, want)
	}
	// mona's token sees the public repository and its one selection.
	repos, _, err := mona.Repositories.ListByOrg(ctx, "octo-org", nil)
	if err != nil {
		t.Fatal(err)
	}
	names = names[:0]
	for _, r := range repos {
		names = append(names, r.GetName())
	}
	slices.Sort(names)
	if want := []string{"octo-api", "octo-web"}; !slices.Equal(names, want) {
		t.Errorf("mona's ListByOrg %v, want %v", names, want)
	}

	// ListMembers needs Members read: the admin token lacks it.
	_, _, err = owner.Organizations.ListMembers(ctx, "octo-org", nil)
	if er := wantErrorResponse(t, err, http.StatusForbidden); er.Message != policy.MsgNotAccessible {
		t.Errorf("403 message %q", er.Message)
	}
	members := a.ghClient(a.newFineGrained("hubot", "client-members", fgSpec{Org: "octo-org", Days: 30,
		Permissions: map[string]policy.Level{policy.Metadata: policy.LevelRead, "members": policy.LevelRead}}))
	var logins []string
	mopts := &github.ListMembersOptions{ListOptions: github.ListOptions{PerPage: 2}}
	for {
		ms, resp, err := members.Organizations.ListMembers(ctx, "octo-org", mopts)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range ms {
			logins = append(logins, m.GetLogin())
		}
		if resp.NextPage == 0 {
			break
		}
		if len(logins) > 10 {
			t.Fatal("the Link header never ends")
		}
		mopts.Page = resp.NextPage
	}
	slices.Sort(logins)
	if want := []string{"hubot", "mona", "octo-owner"}; !slices.Equal(logins, want) {
		t.Errorf("ListMembers %v, want %v", logins, want)
	}
}

// patRequest is GitHub's organization-programmatic-access-grant-request,
// which go-github v81 has no type for.
type patRequest struct {
	ID                  *int64                                 `json:"id"`
	Reason              *string                                `json:"reason"`
	Owner               *github.User                           `json:"owner"`
	RepositorySelection *string                                `json:"repository_selection"`
	RepositoriesURL     *string                                `json:"repositories_url"`
	Permissions         *github.PersonalAccessTokenPermissions `json:"permissions"`
	CreatedAt           *github.Timestamp                      `json:"created_at"`
	TokenID             *int64                                 `json:"token_id"`
	TokenName           *string                                `json:"token_name"`
	TokenExpired        *bool                                  `json:"token_expired"`
	TokenExpiresAt      *github.Timestamp                      `json:"token_expires_at"`
	TokenLastUsedAt     *github.Timestamp                      `json:"token_last_used_at"`
}

// ghDo sends a request go-github has no method for through the client's
// own NewRequest and Do.
func ghDo(ctx context.Context, c *github.Client, method, path string, body, out any) (*github.Response, error) {
	req, err := c.NewRequest(method, path, body)
	if err != nil {
		return nil, err
	}
	return c.Do(ctx, req, out)
}

func listRequests(t *testing.T, c *github.Client, org string) []*patRequest {
	t.Helper()
	var out []*patRequest
	if _, err := ghDo(context.Background(), c, "GET", "orgs/"+org+"/personal-access-token-requests?per_page=100", nil, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func requestByName(rs []*patRequest, name string) *patRequest {
	for _, r := range rs {
		if r.GetTokenName() == name {
			return r
		}
	}
	return nil
}

func (r *patRequest) GetTokenName() string {
	if r == nil || r.TokenName == nil {
		return ""
	}
	return *r.TokenName
}

func listTokens(t *testing.T, c *github.Client, opts *github.ListFineGrainedPATOptions) []*github.PersonalAccessToken {
	t.Helper()
	if opts == nil {
		opts = &github.ListFineGrainedPATOptions{ListOptions: github.ListOptions{PerPage: 100}}
	}
	ts, _, err := c.Organizations.ListFineGrainedPersonalAccessTokens(context.Background(), "octo-org", opts)
	if err != nil {
		t.Fatal(err)
	}
	return ts
}

func tokenNames(ts []*github.PersonalAccessToken) []string {
	var names []string
	for _, t := range ts {
		names = append(names, t.GetTokenName())
	}
	slices.Sort(names)
	return names
}

func repoNames(rs []*github.Repository) []string {
	var names []string
	for _, r := range rs {
		names = append(names, r.GetName())
	}
	slices.Sort(names)
	return names
}

func TestClientPATAdministration(t *testing.T) {
	a := newApp(t)
	ctx := context.Background()
	admin := a.ghClient(a.ownerAdminToken())

	// mona asks for octo-api; hubot for everything; mona again, twice, for
	// the bulk review.
	monaSecret := a.newFineGrained("mona", "client-req-api", fgSpec{Org: "octo-org", Days: 30, Status: policy.GrantPending,
		Selection: policy.SelectSelected, Repos: []string{"octo-api"},
		Permissions: map[string]policy.Level{policy.Metadata: policy.LevelRead, "contents": policy.LevelRead}})
	hubotSecret := a.newFineGrained("hubot", "client-req-all", fgSpec{Org: "octo-org", Days: 30, Status: policy.GrantPending})
	a.newFineGrained("mona", "client-bulk-1", fgSpec{Org: "octo-org", Days: 30, Status: policy.GrantPending})
	a.newFineGrained("mona", "client-bulk-2", fgSpec{Org: "octo-org", Days: 30, Status: policy.GrantPending})
	mona, hubot := a.ghClient(monaSecret), a.ghClient(hubotSecret)

	// Pending: mona's token does not reach octo-api yet.
	_, _, err := mona.Repositories.Get(ctx, "octo-org", "octo-api")
	wantErrorResponse(t, err, http.StatusForbidden)

	// The requests list, with the demo's two requests and these four.
	reqs := listRequests(t, admin, "octo-org")
	if len(reqs) != 6 {
		t.Fatalf("%d requests, want 6", len(reqs))
	}
	monaReq := requestByName(reqs, "client-req-api")
	if monaReq == nil {
		t.Fatal("mona's request is not listed")
	}
	tok := a.token("mona", "client-req-api")
	if monaReq.ID == nil || *monaReq.ID != tok.Grant.ID || monaReq.TokenID == nil || *monaReq.TokenID != tok.ID ||
		monaReq.Owner.GetLogin() != "mona" || monaReq.RepositorySelection == nil || *monaReq.RepositorySelection != "subset" ||
		monaReq.Permissions == nil || monaReq.Permissions.Repo["contents"] != "read" ||
		monaReq.CreatedAt == nil || monaReq.CreatedAt.IsZero() || monaReq.TokenExpiresAt == nil || monaReq.TokenExpired == nil || *monaReq.TokenExpired {
		t.Errorf("mona's request: %+v", monaReq)
	}

	// The request's repositories, following its repositories_url as is.
	var rr []*github.Repository
	if _, err := ghDo(ctx, admin, "GET", *monaReq.RepositoriesURL, nil, &rr); err != nil {
		t.Fatal(err)
	}
	if got := repoNames(rr); !slices.Equal(got, []string{"octo-api"}) {
		t.Errorf("request repositories %v", got)
	}
	hubotReq := requestByName(reqs, "client-req-all")
	if _, err := ghDo(ctx, admin, "GET", fmt.Sprintf("orgs/octo-org/personal-access-token-requests/%d/repositories", *hubotReq.ID), nil, &rr); err != nil {
		t.Fatal(err)
	}
	if got := repoNames(rr); !slices.Equal(got, []string{"octo-api", "octo-infra", "octo-web"}) {
		t.Errorf("all-repositories request's repositories %v", got)
	}

	// Approve mona's request.
	resp, err := admin.Organizations.ReviewPersonalAccessTokenRequest(ctx, "octo-org", *monaReq.ID,
		github.ReviewPersonalAccessTokenRequestOptions{Action: "approve"})
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusNoContent {
		t.Errorf("approve: status %d, want 204", resp.StatusCode)
	}
	if g := a.token("mona", "client-req-api").Grant; g.Status != policy.GrantApproved {
		t.Errorf("approved grant is %s", g.Status)
	}
	if r, _, err := mona.Repositories.Get(ctx, "octo-org", "octo-api"); err != nil || r.GetName() != "octo-api" {
		t.Errorf("approved token reads octo-api: %v %v", r, err)
	}
	if requestByName(listRequests(t, admin, "octo-org"), "client-req-api") != nil {
		t.Error("an approved request is still listed as pending")
	}
	ts := listTokens(t, admin, &github.ListFineGrainedPATOptions{Owner: []string{"mona"}})
	if got := tokenNames(ts); !slices.Equal(got, []string{"client-req-api"}) {
		t.Errorf("mona's tokens %v, want the approved one", got)
	}
	pat := ts[0]
	if pat.GetID() != tok.Grant.ID || pat.GetTokenID() != tok.ID || pat.GetOwner().GetLogin() != "mona" ||
		pat.GetRepositorySelection() != "subset" || pat.GetAccessGrantedAt().IsZero() || pat.GetTokenExpired() ||
		pat.GetPermissions().Repo["contents"] != "read" {
		t.Errorf("approved token: %+v", pat)
	}
	var tr []*github.Repository
	if _, err := ghDo(ctx, admin, "GET", pat.GetRepositoriesURL(), nil, &tr); err != nil {
		t.Fatal(err)
	}
	if got := repoNames(tr); !slices.Equal(got, []string{"octo-api"}) {
		t.Errorf("token repositories %v", got)
	}

	// Reviewing it again: it is no longer pending.
	_, err = admin.Organizations.ReviewPersonalAccessTokenRequest(ctx, "octo-org", *monaReq.ID,
		github.ReviewPersonalAccessTokenRequestOptions{Action: "deny"})
	if err == nil {
		t.Error("a decided request was reviewed again")
	} else if er := (*github.ErrorResponse)(nil); !errors.As(err, &er) || er.Response.StatusCode < 400 || er.Response.StatusCode > 499 {
		t.Errorf("reviewing a decided request: %v", err)
	}
	if g := a.token("mona", "client-req-api").Grant; g.Status != policy.GrantApproved {
		t.Errorf("a second review changed the grant to %s", g.Status)
	}

	// Deny hubot's with a reason.
	reason := "Ask for the repositories you need."
	resp, err = admin.Organizations.ReviewPersonalAccessTokenRequest(ctx, "octo-org", *hubotReq.ID,
		github.ReviewPersonalAccessTokenRequestOptions{Action: "deny", Reason: &reason})
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusNoContent {
		t.Errorf("deny: status %d, want 204", resp.StatusCode)
	}
	if g := a.token("hubot", "client-req-all").Grant; g.Status != policy.GrantDenied || g.Reason != reason {
		t.Errorf("denied grant: %+v", g)
	}
	_, _, err = hubot.Repositories.Get(ctx, "octo-org", "octo-api")
	wantErrorResponse(t, err, http.StatusForbidden)
	if slices.Contains(tokenNames(listTokens(t, admin, nil)), "client-req-all") {
		t.Error("a denied token is listed as active")
	}

	// Approve the two others at once.
	ids := []int64{*requestByName(reqs, "client-bulk-1").ID, *requestByName(reqs, "client-bulk-2").ID}
	resp, err = ghDo(ctx, admin, "POST", "orgs/octo-org/personal-access-token-requests",
		map[string]any{"pat_request_ids": ids, "action": "approve", "reason": "Fine."}, nil)
	wantAccepted(t, resp, err)
	for _, name := range []string{"client-bulk-1", "client-bulk-2"} {
		if g := a.token("mona", name).Grant; g.Status != policy.GrantApproved {
			t.Errorf("%s after bulk approval: %s", name, g.Status)
		}
	}
	if got := tokenNames(listTokens(t, admin, &github.ListFineGrainedPATOptions{Owner: []string{"mona"}})); !slices.Equal(got, []string{"client-bulk-1", "client-bulk-2", "client-req-api"}) {
		t.Errorf("mona's tokens after bulk approval %v", got)
	}

	// Filters go-github sends: paging, repository, permission, direction.
	page1, resp, err := admin.Organizations.ListFineGrainedPersonalAccessTokens(ctx, "octo-org",
		&github.ListFineGrainedPATOptions{Owner: []string{"mona"}, Sort: "created_at", Direction: "asc", ListOptions: github.ListOptions{PerPage: 2}})
	if err != nil {
		t.Fatal(err)
	}
	if len(page1) != 2 || resp.NextPage != 2 || resp.LastPage != 2 {
		t.Errorf("page 1 of 3 tokens by 2: %d tokens, next %d last %d (Link %q)", len(page1), resp.NextPage, resp.LastPage, resp.Header.Get("Link"))
	}
	if page1[0].GetTokenName() != "client-req-api" {
		t.Errorf("oldest first: %v", tokenNames(page1))
	}
	byRepo := listTokens(t, admin, &github.ListFineGrainedPATOptions{Owner: []string{"mona"}, Repository: "octo-api", Permission: "contents"})
	if got := tokenNames(byRepo); !slices.Equal(got, []string{"client-req-api"}) {
		t.Errorf("tokens with contents on octo-api %v", got)
	}

	// Revoke mona's first token, then the two others in bulk.
	resp, err = ghDo(ctx, admin, "POST", fmt.Sprintf("orgs/octo-org/personal-access-tokens/%d", pat.GetID()), map[string]string{"action": "revoke"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusNoContent {
		t.Errorf("revoke: status %d, want 204", resp.StatusCode)
	}
	if g := a.token("mona", "client-req-api").Grant; g.Status != policy.GrantRevoked {
		t.Errorf("revoked grant is %s", g.Status)
	}
	_, _, err = mona.Repositories.Get(ctx, "octo-org", "octo-api")
	wantErrorResponse(t, err, http.StatusForbidden)
	if _, _, err := mona.Repositories.Get(ctx, "octo-org", "octo-web"); err != nil {
		t.Errorf("a revoked token still reads public repositories: %v", err)
	}
	var gone []*github.Repository
	_, err = ghDo(ctx, admin, "GET", pat.GetRepositoriesURL(), nil, &gone)
	wantErrorResponse(t, err, http.StatusNotFound)

	rest := listTokens(t, admin, &github.ListFineGrainedPATOptions{Owner: []string{"mona"}})
	if got := tokenNames(rest); !slices.Equal(got, []string{"client-bulk-1", "client-bulk-2"}) {
		t.Fatalf("mona's tokens after revocation %v", got)
	}
	resp, err = ghDo(ctx, admin, "POST", "orgs/octo-org/personal-access-tokens",
		map[string]any{"pat_ids": []int64{rest[0].GetID(), rest[1].GetID()}, "action": "revoke"}, nil)
	wantAccepted(t, resp, err)
	if got := listTokens(t, admin, &github.ListFineGrainedPATOptions{Owner: []string{"mona"}}); len(got) != 0 {
		t.Errorf("mona's tokens after bulk revocation %v", tokenNames(got))
	}

	// A member's token may not administer.
	_, _, err = hubot.Organizations.ListFineGrainedPersonalAccessTokens(ctx, "octo-org", &github.ListFineGrainedPATOptions{})
	wantErrorResponse(t, err, http.StatusForbidden)

	// An owner's classic token with admin:org: refused where the enterprise
	// restricts classic tokens, answered where nothing does.
	classic := a.ghClient(a.newClassic("octo-owner", "client-classic-admin", 30, "admin:org"))
	_, _, err = classic.Organizations.ListFineGrainedPersonalAccessTokens(ctx, "octo-org", &github.ListFineGrainedPATOptions{})
	wantErrorResponse(t, err, http.StatusForbidden)
	solo, resp, err := classic.Organizations.ListFineGrainedPersonalAccessTokens(ctx, "solo-org", &github.ListFineGrainedPATOptions{})
	if err != nil || resp.StatusCode != http.StatusOK || len(solo) != 0 {
		t.Errorf("classic admin:org on solo-org: %v %v %v", tokenNames(solo), resp, err)
	}
	noScope := a.ghClient(a.newClassic("octo-owner", "client-classic-repo", 30, "repo"))
	_, _, err = noScope.Organizations.ListFineGrainedPersonalAccessTokens(ctx, "solo-org", &github.ListFineGrainedPATOptions{})
	wantErrorResponse(t, err, http.StatusForbidden)
}

func TestClientIssues(t *testing.T) {
	a := newApp(t)
	ctx := context.Background()
	c := a.ghClient(a.newFineGrained("mona", "client-issues", fgSpec{Org: "octo-org", Days: 30,
		Selection: policy.SelectSelected, Repos: []string{"octo-api"},
		Permissions: map[string]policy.Level{policy.Metadata: policy.LevelRead, "issues": policy.LevelWrite}}))
	for i, title := range []string{"First", "Second"} {
		body := "Body of " + title
		is, resp, err := c.Issues.Create(ctx, "octo-org", "octo-api", &github.IssueRequest{Title: &title, Body: &body})
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != http.StatusCreated {
			t.Errorf("status %d, want 201", resp.StatusCode)
		}
		if is.GetNumber() != i+1 || is.GetTitle() != title || is.GetBody() != body || is.GetState() != "open" ||
			is.GetUser().GetLogin() != "mona" || is.GetCreatedAt().IsZero() || is.GetID() == 0 {
			t.Errorf("issue %d: %+v", i+1, is)
		}
		if loc := resp.Header.Get("Location"); loc != is.GetURL() || !strings.HasSuffix(loc, fmt.Sprintf("/repos/octo-org/octo-api/issues/%d", i+1)) {
			t.Errorf("Location %q, url %q", loc, is.GetURL())
		}
	}
	// A title is required: 422 naming the field.
	_, _, err := c.Issues.Create(ctx, "octo-org", "octo-api", &github.IssueRequest{Body: github.Ptr("no title")})
	er := wantErrorResponse(t, err, http.StatusUnprocessableEntity)
	if len(er.Errors) != 1 || er.Errors[0].Field != "title" || er.Errors[0].Code != "missing_field" {
		t.Errorf("errors %+v", er.Errors)
	}
	// octo-infra is outside the selection, and private: 404.
	_, _, err = c.Issues.Create(ctx, "octo-org", "octo-infra", &github.IssueRequest{Title: github.Ptr("x")})
	wantErrorResponse(t, err, http.StatusNotFound)
	// Without Issues write: 403.
	ro := a.ghClient(a.newFineGrained("mona", "client-issues-ro", fgSpec{Org: "octo-org", Days: 30,
		Permissions: map[string]policy.Level{policy.Metadata: policy.LevelRead, "issues": policy.LevelRead}}))
	_, _, err = ro.Issues.Create(ctx, "octo-org", "octo-api", &github.IssueRequest{Title: github.Ptr("x")})
	wantErrorResponse(t, err, http.StatusForbidden)
}

func TestClientIssueWithLabelsAndAssignees(t *testing.T) {
	a := newApp(t)
	ctx := context.Background()
	c := a.ghClient(a.newFineGrained("octo-owner", "client-labels", fgSpec{Org: "octo-org", Days: 30,
		Permissions: map[string]policy.Level{policy.Metadata: policy.LevelRead, "issues": policy.LevelWrite}}))
	is, _, err := c.Issues.Create(ctx, "octo-org", "octo-api", &github.IssueRequest{Title: github.Ptr("Labelled"),
		Labels: &[]string{"bug", "help wanted"}, Assignees: &[]string{"hubot"}})
	if err != nil {
		t.Fatal(err)
	}
	var labels []string
	for _, l := range is.Labels {
		labels = append(labels, l.GetName()+"/"+l.GetColor())
		if l.GetID() == 0 || l.GetURL() == "" {
			t.Errorf("label %+v has no id or url", l)
		}
	}
	if want := []string{"bug/ededed", "help wanted/ededed"}; !slices.Equal(labels, want) {
		t.Errorf("labels %v, want %v", labels, want)
	}
	if len(is.Assignees) != 1 || is.Assignees[0].GetLogin() != "hubot" || is.GetAssignee().GetLogin() != "hubot" {
		t.Errorf("assignees %+v, assignee %+v", is.Assignees, is.Assignee)
	}
	// The account and a repository decode with the fields GitHub has.
	me, _, err := c.Users.Get(ctx, "")
	if err != nil || me.GetCreatedAt().IsZero() || me.GetLogin() != "octo-owner" {
		t.Errorf("Users.Get: %+v, %v", me, err)
	}
	repo, _, err := c.Repositories.Get(ctx, "octo-org", "octo-api")
	if err != nil || repo.GetDefaultBranch() != "main" || repo.GetOpenIssuesCount() != 1 || repo.GetCreatedAt().IsZero() {
		t.Errorf("Repositories.Get: %+v, %v", repo, err)
	}
}

// sshKeyLine is a new ed25519 public key in OpenSSH authorized_keys form,
// without its comment.
func sshKeyLine(t *testing.T) string {
	t.Helper()
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	k, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(k)))
}

func TestClientSSHKeys(t *testing.T) {
	a := newApp(t)
	ctx := context.Background()
	c := a.ghClient(a.newFineGrained("mona", "client-keys", fgSpec{Days: 30,
		Permissions: map[string]policy.Level{policy.GitSSHKeys: policy.LevelWrite}}))
	line := sshKeyLine(t)
	k, resp, err := c.Users.CreateKey(ctx, &github.Key{Title: github.Ptr("laptop"), Key: github.Ptr(line + " mona@laptop")})
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusCreated {
		t.Errorf("status %d, want 201", resp.StatusCode)
	}
	if k.GetID() == 0 || k.GetKey() != line || k.GetTitle() != "laptop" || k.GetCreatedAt().IsZero() || k.GetURL() == "" {
		t.Errorf("created key %+v", k)
	}
	keys, _, err := c.Users.ListKeys(ctx, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 1 || keys[0].GetID() != k.GetID() || keys[0].GetKey() != line || keys[0].GetTitle() != "laptop" {
		t.Errorf("ListKeys: %v", keys)
	}
	// Anyone's public keys, without a token.
	public, _, err := a.ghClient("").Users.ListKeys(ctx, "mona", nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(public) != 1 || public[0].GetKey() != line || public[0].GetID() != k.GetID() {
		t.Errorf("ListKeys mona: %v", public)
	}
	// The same key again, and a key that is not one.
	_, _, err = c.Users.CreateKey(ctx, &github.Key{Title: github.Ptr("again"), Key: github.Ptr(line)})
	if er := wantErrorResponse(t, err, http.StatusUnprocessableEntity); len(er.Errors) != 1 || er.Errors[0].Field != "key" {
		t.Errorf("duplicate key errors %+v", er.Errors)
	}
	_, _, err = c.Users.CreateKey(ctx, &github.Key{Title: github.Ptr("bad"), Key: github.Ptr("ssh-ed25519 bm90IGEga2V5")})
	if er := wantErrorResponse(t, err, http.StatusUnprocessableEntity); len(er.Errors) != 1 || er.Errors[0].Field != "key" || er.Errors[0].Code != "custom" {
		t.Errorf("bad key errors %+v", er.Errors)
	}
}

func TestClientErrors(t *testing.T) {
	a := newApp(t)
	ctx := context.Background()

	// Well-formed tokens that name nothing, and one that is not a token.
	unknownFG, err := policy.GenerateToken(policy.KindFineGrained, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	unknownClassic, err := policy.GenerateToken(policy.KindClassic, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{unknownFG, unknownClassic, "not-a-token"} {
		c := a.ghClient(secret)
		_, _, err := c.Users.Get(ctx, "")
		if er := wantErrorResponse(t, err, http.StatusUnauthorized); er.Message != "Bad credentials" || er.DocumentationURL == "" {
			t.Errorf("%s: %+v", secret, er)
		}
		// Even on a public resource.
		_, _, err = c.Repositories.Get(ctx, "octo-org", "octo-web")
		wantErrorResponse(t, err, http.StatusUnauthorized)
	}

	// A review with an action that is none: 422 with its errors.
	admin := a.ghClient(a.ownerAdminToken())
	id := a.addRequest("mona", "octo-org", "client-422", nil)
	_, err = admin.Organizations.ReviewPersonalAccessTokenRequest(ctx, "octo-org", id,
		github.ReviewPersonalAccessTokenRequestOptions{Action: "maybe"})
	er := wantErrorResponse(t, err, http.StatusUnprocessableEntity)
	if er.Message != "Validation Failed" || len(er.Errors) != 1 || er.Errors[0].Field != "action" ||
		er.Errors[0].Code != "invalid" || er.Errors[0].Resource == "" || er.Errors[0].Message == "" {
		t.Errorf("422: %+v", er)
	}
	// A reason too long, with an action missing: both named.
	_, err = ghDo(ctx, admin, "POST", fmt.Sprintf("orgs/octo-org/personal-access-token-requests/%d", id),
		map[string]any{"reason": strings.Repeat("x", 1025)}, nil)
	er = wantErrorResponse(t, err, http.StatusUnprocessableEntity)
	var fields []string
	for _, e := range er.Errors {
		fields = append(fields, e.Field)
	}
	slices.Sort(fields)
	if !slices.Equal(fields, []string{"action", "reason"}) {
		t.Errorf("422 fields %v: %+v", fields, er.Errors)
	}
	if g := a.token("mona", "client-422").Grant; g.Status != policy.GrantPending {
		t.Errorf("a refused review changed the request: %s", g.Status)
	}
	// A request that does not exist: 404.
	_, err = admin.Organizations.ReviewPersonalAccessTokenRequest(ctx, "octo-org", 999999,
		github.ReviewPersonalAccessTokenRequestOptions{Action: "approve"})
	wantErrorResponse(t, err, http.StatusNotFound)
}
