package server_test

import (
	"context"
	"errors"
	"net/http"
	"regexp"
	"testing"

	"github.com/google/go-github/v81/github"

	"patpolicy/policy"
)

// A refusal by policy says why: its message names the rule, in GitHub's
// words where GitHub has them, and X-Patpolicy-Decision carries the rule's
// id. The sentences below are written out by hand, not taken from the
// policy package, so that a change of wording fails here.

// enterpriseOf is the name of the enterprise of the demo's organizations
// that have one, as refusals name it.
var enterpriseOf = map[string]string{"octo-org": "Octo Enterprise"}

const decisionHeader = "X-Patpolicy-Decision"

// denialWords is what the refusal of each rule says, for any organization.
var denialWords = map[string]*regexp.Regexp{
	"fine_grained_not_enabled":  regexp.MustCompile("^`[^`']+` forbids access via a fine-grained personal access token: it has not enabled fine-grained personal access tokens\\. Please use a GitHub App(, OAuth App, or a personal access token \\(classic\\)| or an OAuth App)\\.$"),
	"fine_grained_restricted":   regexp.MustCompile("^`[^`']+` forbids access via a fine-grained personal access token\\. Please use a GitHub App(, OAuth App, or a personal access token \\(classic\\)| or an OAuth App)\\.$"),
	"other_resource_owner":      regexp.MustCompile("^`[^`']+` forbids access via this fine-grained personal access token: its resource owner is another account\\.$"),
	"request_pending":           regexp.MustCompile("^`[^`']+` forbids access via this fine-grained personal access token: its request for access is waiting for an owner's approval\\.$"),
	"request_denied":            regexp.MustCompile("^`[^`']+` forbids access via this fine-grained personal access token: an owner denied its request for access\\.$"),
	"access_revoked":            regexp.MustCompile("^`[^`']+` forbids access via this fine-grained personal access token: an owner revoked its access\\.$"),
	"lifetime_too_long":         regexp.MustCompile("^The '[^`']+' (organization|enterprise) forbids access via a fine-grained personal access tokens if the token's lifetime is greater than [0-9]+ days\\. Please adjust your token's lifetime at the following URL: https?://[^ ]+/settings/personal-access-tokens/[0-9]+$"),
	"not_a_member":              regexp.MustCompile("^`[^`']+` forbids access via a personal access token whose owner is not a member of the organization\\.$"),
	"repository_not_selected":   regexp.MustCompile("^Resource not accessible by personal access token$"),
	"permission_missing":        regexp.MustCompile("^Resource not accessible by personal access token$"),
	"classic_restricted":        regexp.MustCompile("^`[^`']+` forbids access via a personal access token \\(classic\\)\\. Please use a GitHub App, OAuth App, or a personal access token with fine-grained permissions\\.$"),
	"classic_lifetime_too_long": regexp.MustCompile("^The '[^`']+' (organization|enterprise) forbids access via a personal access tokens \\(classic\\) if the token's lifetime is greater than [0-9]+ days\\. Please adjust your token's lifetime at the following URL: https?://[^ ]+/settings/tokens/[0-9]+$"),
	"scope_missing":             regexp.MustCompile(`^This API operation needs the "[a-z:_]+" scope\.$`),
	"owners_only":               regexp.MustCompile("^`[^`']+` allows only its owners to do this\\.$"),
	"enterprise_token":          regexp.MustCompile(`^Enterprise settings take a personal access token \(classic\) with the admin:enterprise scope\.$`),
}

// checkDenial reports (without stopping the test) an answer whose rule
// does not fit it: a 403 must name a known rule and say that rule's
// sentence; any other answer (allowed, 401, a 404 hiding a repository)
// names none. It returns whether the answer passed.
func checkDenial(t *testing.T, what string, r *apiResponse) bool {
	t.Helper()
	rule, named := r.Header[http.CanonicalHeaderKey(decisionHeader)]
	if r.Status != http.StatusForbidden {
		if named {
			t.Errorf("%s: a %d names the rule %q", what, r.Status, rule)
			return false
		}
		return true
	}
	if len(rule) != 1 {
		t.Errorf("%s: a 403 names the rules %q, want one", what, rule)
		return false
	}
	words, known := denialWords[rule[0]]
	if !known {
		t.Errorf("%s: a 403 names the unknown rule %q", what, rule[0])
		return false
	}
	if !words.MatchString(r.message()) {
		t.Errorf("%s: the %s refusal says %q", what, rule[0], r.message())
		return false
	}
	return true
}

// wantRefusal fails unless r is a 403 of rule saying exactly message.
func wantRefusal(t *testing.T, what string, r *apiResponse, rule, message string) {
	t.Helper()
	if r.Status != http.StatusForbidden {
		t.Errorf("%s: status %d, want 403: %s", what, r.Status, r.Body)
		return
	}
	if got := r.Header.Get(decisionHeader); got != rule {
		t.Errorf("%s: %s %q, want %q", what, decisionHeader, got, rule)
	}
	if got := r.message(); got != message {
		t.Errorf("%s: message\n got %q\nwant %q", what, got, message)
	}
}

// wantPlain fails unless r has status and names no rule.
func wantPlain(t *testing.T, what string, r *apiResponse, status int) {
	t.Helper()
	if r.Status != status {
		t.Errorf("%s: status %d, want %d: %s", what, r.Status, status, r.Body)
	}
	if got, ok := r.Header[http.CanonicalHeaderKey(decisionHeader)]; ok {
		t.Errorf("%s: names the rule %q", what, got)
	}
}

func TestDenialsSayWhy(t *testing.T) {
	a := newApp(t)
	get := func(path, secret string) *apiResponse { return a.api(http.MethodGet, path, secret, nil) }
	metadata := map[string]policy.Level{policy.Metadata: policy.LevelRead}

	// Grants.
	pending := a.newFineGrained("mona", "pending", fgSpec{Org: "octo-org", Status: policy.GrantPending, Permissions: metadata})
	denied := a.newFineGrained("mona", "denied", fgSpec{Org: "octo-org", Status: policy.GrantPending, Permissions: metadata})
	revoked := a.newFineGrained("mona", "revoked", fgSpec{Org: "octo-org", Permissions: metadata})
	mxReview(a, mxGrant(a, "mona", "denied"), policy.GrantPending, policy.GrantDenied)
	mxReview(a, mxGrant(a, "mona", "revoked"), policy.GrantApproved, policy.GrantRevoked)
	wantRefusal(t, "pending", get(mxPrivate, pending), "request_pending",
		"`octo-org` forbids access via this fine-grained personal access token: its request for access is waiting for an owner's approval.")
	wantRefusal(t, "denied", get(mxPrivate, denied), "request_denied",
		"`octo-org` forbids access via this fine-grained personal access token: an owner denied its request for access.")
	wantRefusal(t, "revoked", get(mxPrivate, revoked), "access_revoked",
		"`octo-org` forbids access via this fine-grained personal access token: an owner revoked its access.")
	wantPlain(t, "revoked, public repository", get(mxPublic, revoked), http.StatusOK)

	// Permissions, scopes, owners only.
	mxLiftClassic(a)
	noMembers := a.newFineGrained("mona", "no-members", fgSpec{Org: "octo-org", Permissions: metadata})
	wantRefusal(t, "permission missing", get("/orgs/octo-org/members", noMembers), "permission_missing",
		"Resource not accessible by personal access token")
	repoOnly := a.newClassic("mona", "repo-only", 30, "repo")
	wantRefusal(t, "scope missing", get("/orgs/octo-org/members", repoOnly), "scope_missing",
		`This API operation needs the "read:org" scope.`)
	admin := a.newFineGrained("mona", "admin", fgSpec{Org: "octo-org", Days: 30, Permissions: mxOrgAdmin})
	wantRefusal(t, "owners only", get("/orgs/octo-org/personal-access-token-requests", admin), "owners_only",
		"`octo-org` allows only its owners to do this.")
	userOwned := a.newFineGrained("ent-admin", "mine", fgSpec{Days: 30, Permissions: metadata})
	wantRefusal(t, "fine-grained token on an enterprise", get("/enterprises/octo-ent/personal-access-token-policy", userOwned), "enterprise_token",
		"Enterprise settings take a personal access token (classic) with the admin:enterprise scope.")

	// Another resource owner: 403 where the repository is public, a plain
	// 404 where it is private (the 404 must not tell it exists).
	solo := a.newFineGrained("mona", "solo", fgSpec{Org: "solo-org", Permissions: map[string]policy.Level{policy.Metadata: policy.LevelRead, "issues": policy.LevelWrite}})
	wantRefusal(t, "another resource owner, public repository", a.api(http.MethodPost, mxPublic+"/issues", solo, map[string]string{"title": "x"}), "other_resource_owner",
		"`octo-org` forbids access via this fine-grained personal access token: its resource owner is another account.")
	wantPlain(t, "another resource owner, private repository", get(mxPrivate, solo), http.StatusNotFound)
	wantPlain(t, "another resource owner, no such repository", get("/repos/octo-org/nothing-here", solo), http.StatusNotFound)
	selected := a.newFineGrained("mona", "selected", fgSpec{Org: "octo-org", Selection: policy.SelectSelected, Repos: []string{"octo-api"}, Permissions: metadata})
	wantPlain(t, "private repository not selected", get("/repos/octo-org/octo-infra", selected), http.StatusNotFound)
	wantPlain(t, "allowed", get(mxPrivate, selected), http.StatusOK)
	// A token the policy lets in shows no refusal on its page.
	if n := len(a.as("mona").get("/settings/personal-access-tokens/" + a.tokenID("mona", "selected")).status(http.StatusOK).doc.Find("main .refusal").Nodes); n != 0 {
		t.Errorf("an allowed token's page shows %d refusals", n)
	}
	wantPlain(t, "no such token", get(mxPrivate, "ghp_"+"000000000000000000000000000000000000"), http.StatusUnauthorized)

	// Not opted in.
	wantRefusal(t, "solo-org not opted in", get("/repos/solo-org/solo-app", solo), "fine_grained_not_enabled",
		"`solo-org` forbids access via a fine-grained personal access token: it has not enabled fine-grained personal access tokens. Please use a GitHub App, OAuth App, or a personal access token (classic).")

	// Lifetimes, the organization's then the enterprise's; the message
	// points to the token's own page, which its owner can open.
	long := a.newFineGrained("mona", "long", fgSpec{Org: "octo-org", Days: 90, Permissions: metadata})
	longClassic := a.newClassic("mona", "long-classic", 90, "repo")
	mxSetOrg(a, "octo-org", func(s *policy.OrgSettings) { s.FineGrainedLifetime, s.ClassicLifetime = 30, 60 })
	fgPage := "/settings/personal-access-tokens/" + a.tokenID("mona", "long")
	wantRefusal(t, "fine-grained lifetime", get(mxPrivate, long), "lifetime_too_long",
		"The 'octo-org' organization forbids access via a fine-grained personal access tokens if the token's lifetime is greater than 30 days. Please adjust your token's lifetime at the following URL: "+a.srv.URL+fgPage)
	wantRefusal(t, "classic lifetime", get(mxPrivate, longClassic), "classic_lifetime_too_long",
		"The 'octo-org' organization forbids access via a personal access tokens (classic) if the token's lifetime is greater than 60 days. Please adjust your token's lifetime at the following URL: "+a.srv.URL+"/settings/tokens/"+a.tokenID("mona", "long-classic"))
	page := a.as("mona").get(fgPage).status(http.StatusOK)
	page.contains("main .refusal", "The 'octo-org' organization forbids access via a fine-grained personal access tokens if the token's lifetime is greater than 30 days.")
	page.contains("main .refusal", "X-Patpolicy-Decision: lifetime_too_long")
	a.as("mona").get("/settings/tokens/"+a.tokenID("mona", "long-classic")).status(http.StatusOK).
		contains("main .refusal", "The 'octo-org' organization forbids access via a personal access tokens (classic) if the token's lifetime is greater than 60 days.")
	mxSetOrg(a, "octo-org", func(s *policy.OrgSettings) { s.FineGrainedLifetime, s.ClassicLifetime = 0, 0 })
	mxSetEnterprise(a, func(e *policy.Enterprise) { e.FineGrainedLifetime = 45 })
	wantRefusal(t, "fine-grained lifetime, the enterprise's", get(mxPrivate, long), "lifetime_too_long",
		"The 'Octo Enterprise' enterprise forbids access via a fine-grained personal access tokens if the token's lifetime is greater than 45 days. Please adjust your token's lifetime at the following URL: "+a.srv.URL+fgPage)
	wantPlain(t, "lifetime, public repository", get(mxPublic, long), http.StatusOK)

	// Restricted, by the organization then by its enterprise, which the
	// message then names; the alternatives follow the classic policy.
	mxSetEnterprise(a, func(e *policy.Enterprise) { e.FineGrainedLifetime = 0 })
	mxSetOrg(a, "octo-org", func(s *policy.OrgSettings) { s.FineGrained = policy.Restrict })
	wantRefusal(t, "fine-grained restricted", get(mxPrivate, selected), "fine_grained_restricted",
		"`octo-org` forbids access via a fine-grained personal access token. Please use a GitHub App, OAuth App, or a personal access token (classic).")
	mxSetEnterprise(a, func(e *policy.Enterprise) {
		e.FineGrained, e.Classic = policy.EnterpriseAccessRestrict, policy.EnterpriseAccessRestrict
	})
	wantRefusal(t, "fine-grained restricted by the enterprise", get(mxPrivate, selected), "fine_grained_restricted",
		"`Octo Enterprise` forbids access via a fine-grained personal access token. Please use a GitHub App or an OAuth App.")
	wantRefusal(t, "classic restricted by the enterprise", get(mxPrivate, repoOnly), "classic_restricted",
		"`Octo Enterprise` forbids access via a personal access token (classic). Please use a GitHub App, OAuth App, or a personal access token with fine-grained permissions.")
	a.as("mona").get("/settings/personal-access-tokens/"+a.tokenID("mona", "selected")).status(http.StatusOK).
		contains("main .refusal", "`Octo Enterprise` forbids access via a fine-grained personal access token.")
	a.as("mona").get("/settings/tokens/"+a.tokenID("mona", "repo-only")).status(http.StatusOK).
		contains("main .refusal", "X-Patpolicy-Decision: classic_restricted")
	wantPlain(t, "restricted, public repository", get(mxPublic, selected), http.StatusOK)
}

// The repository answers the API keeps are built only after the call was
// allowed: a refusal is decided on every call, and says its own rule
// whatever was answered before for the same repository, on either of two
// instances serving one database, whichever of them the change went
// through.
func TestDenialsAreNotKeptAnswers(t *testing.T) {
	a := newApp(t)
	b := a.twin()
	metadata := map[string]policy.Level{policy.Metadata: policy.LevelRead}
	approved := a.newFineGrained("mona", "approved", fgSpec{Org: "octo-org", Permissions: metadata})
	pending := a.newFineGrained("hubot", "pending", fgSpec{Org: "octo-org", Status: policy.GrantPending, Permissions: metadata})
	const waiting = "`octo-org` forbids access via this fine-grained personal access token: its request for access is waiting for an owner's approval."
	const restricted = "`octo-org` forbids access via a fine-grained personal access token. Please use a GitHub App or an OAuth App."
	for _, in := range []*app{a, b} {
		get := func(secret string) *apiResponse { return in.api(http.MethodGet, mxPrivate, secret, nil) }
		wantPlain(t, "approved", get(approved), http.StatusOK)
		wantPlain(t, "approved, kept", get(approved), http.StatusOK)
		wantRefusal(t, "pending", get(pending), "request_pending", waiting)
	}
	mxSetOrg(b, "octo-org", func(s *policy.OrgSettings) { s.FineGrained = policy.Restrict })
	for _, in := range []*app{a, b} {
		get := func(secret string) *apiResponse { return in.api(http.MethodGet, mxPrivate, secret, nil) }
		wantRefusal(t, "approved, restricted", get(approved), "fine_grained_restricted", restricted)
		wantRefusal(t, "pending, restricted", get(pending), "fine_grained_restricted", restricted)
	}
	mxSetOrg(a, "octo-org", func(s *policy.OrgSettings) { s.FineGrained = policy.Allow })
	for _, in := range []*app{b, a} {
		get := func(secret string) *apiResponse { return in.api(http.MethodGet, mxPrivate, secret, nil) }
		wantPlain(t, "approved, allowed again", get(approved), http.StatusOK)
		wantRefusal(t, "pending, allowed again", get(pending), "request_pending", waiting)
	}
}

// A real client shows the sentence: go-github's ErrorResponse.Message, with
// the rule in the response's headers.
func TestClientDenialsSayWhy(t *testing.T) {
	a := newApp(t)
	ctx := context.Background()
	pending := a.newFineGrained("mona", "pending", fgSpec{Org: "octo-org", Status: policy.GrantPending,
		Permissions: map[string]policy.Level{policy.Metadata: policy.LevelRead}})
	_, _, err := a.ghClient(pending).Repositories.Get(ctx, "octo-org", "octo-api")
	er := wantErrorResponse(t, err, http.StatusForbidden)
	if want := "`octo-org` forbids access via this fine-grained personal access token: its request for access is waiting for an owner's approval."; er.Message != want {
		t.Errorf("Message %q, want %q", er.Message, want)
	}
	if got := er.Response.Header.Get(decisionHeader); got != "request_pending" {
		t.Errorf("%s %q", decisionHeader, got)
	}

	classic := a.newClassic("mona", "classic", 30, "repo")
	_, _, err = a.ghClient(classic).Repositories.Get(ctx, "octo-org", "octo-api")
	er = wantErrorResponse(t, err, http.StatusForbidden)
	if want := "`Octo Enterprise` forbids access via a personal access token (classic). Please use a GitHub App, OAuth App, or a personal access token with fine-grained permissions."; er.Message != want {
		t.Errorf("Message %q, want %q", er.Message, want)
	}
	if got := er.Response.Header.Get(decisionHeader); got != "classic_restricted" {
		t.Errorf("%s %q", decisionHeader, got)
	}
	var rl *github.RateLimitError
	if errors.As(err, &rl) {
		t.Errorf("a refusal by policy reads as a rate limit: %v", rl)
	}
}
