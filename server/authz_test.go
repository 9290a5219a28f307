package server_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestAuthorizationMatrix walks every route for every kind of visitor.
func TestAuthorizationMatrix(t *testing.T) {
	a := newApp(t)
	a.addOwner("other-owner", "other-org", "Other Org")

	const (
		ok     = http.StatusOK
		login  = -1 // redirect to sign in
		nf     = http.StatusNotFound
		moved  = http.StatusSeeOther
		denied = http.StatusConflict // the form reached the handler (no version)
	)
	roles := []string{"", "mona", "octo-owner", "other-owner", "ent-admin"}
	routes := []struct {
		method, path string
		want         []int // per role, in the order above
	}{
		{"GET", "/settings/organizations", []int{login, ok, ok, ok, ok}},
		{"GET", "/settings/enterprises", []int{login, ok, ok, ok, ok}},
		{"GET", "/organizations/octo-org/settings", []int{login, nf, moved, nf, nf}},
		{"GET", "/organizations/octo-org/settings/profile", []int{login, nf, ok, nf, nf}},
		{"GET", "/organizations/octo-org/settings/personal-access-tokens", []int{login, nf, ok, nf, nf}},
		{"POST", "/organizations/octo-org/settings/personal-access-tokens", []int{login, nf, denied, nf, nf}},
		{"GET", "/organizations/octo-org/settings/personal-access-tokens-onboarding", []int{login, nf, moved, nf, nf}},
		{"GET", "/organizations/solo-org/settings/personal-access-tokens-onboarding", []int{login, nf, ok, nf, nf}},
		{"POST", "/organizations/solo-org/settings/personal-access-tokens-onboarding", []int{login, nf, http.StatusUnprocessableEntity, nf, nf}},
		{"GET", "/organizations/octo-org/settings/personal-access-tokens/active", []int{login, nf, ok, nf, nf}},
		{"GET", "/organizations/octo-org/settings/personal-access-token-requests", []int{login, nf, ok, nf, nf}},
		{"GET", "/organizations/octo-org/settings/audit-log", []int{login, nf, ok, nf, nf}},
		{"GET", "/organizations/other-org/settings/profile", []int{login, nf, nf, ok, nf}},
		{"GET", "/organizations/no-such-org/settings/profile", []int{login, nf, nf, nf, nf}},
		{"GET", "/enterprises/octo-ent/settings", []int{login, nf, nf, nf, moved}},
		{"GET", "/enterprises/octo-ent/settings/personal-access-tokens", []int{login, nf, nf, nf, ok}},
		{"POST", "/enterprises/octo-ent/settings/personal-access-tokens", []int{login, nf, nf, nf, denied}},
		{"GET", "/enterprises/no-such-ent/settings/personal-access-tokens", []int{login, nf, nf, nf, nf}},

		// Developer settings: every signed-in user has their own; another
		// user's token does not exist for them.
		{"GET", "/settings/personal-access-tokens", []int{login, ok, ok, ok, ok}},
		{"GET", "/settings/personal-access-tokens/new", []int{login, ok, ok, ok, ok}},
		{"POST", "/settings/personal-access-tokens", []int{login, http.StatusUnprocessableEntity, http.StatusUnprocessableEntity, http.StatusUnprocessableEntity, http.StatusUnprocessableEntity}},
		{"GET", "/settings/personal-access-tokens/" + a.tokenID("mona", "deploy-bot"), []int{login, ok, nf, nf, nf}},
		{"GET", "/settings/personal-access-tokens/" + a.tokenID("hubot", "ci-reader"), []int{login, nf, nf, nf, nf}},
		{"POST", "/settings/personal-access-tokens/" + a.tokenID("hubot", "ci-reader") + "/cancel", []int{login, nf, nf, nf, nf}},
		{"POST", "/settings/personal-access-tokens/" + a.tokenID("hubot", "ci-reader") + "/delete", []int{login, nf, nf, nf, nf}},
		{"POST", "/settings/personal-access-tokens/" + a.tokenID("octo-owner", "owner-automation") + "/cancel", []int{login, nf, denied, nf, nf}},
		{"GET", "/settings/personal-access-tokens/no-such-id", []int{login, nf, nf, nf, nf}},
		{"GET", "/settings/personal-access-tokens/999999", []int{login, nf, nf, nf, nf}},
		{"GET", "/settings/tokens", []int{login, ok, ok, ok, ok}},
		{"GET", "/settings/tokens/new", []int{login, ok, ok, ok, ok}},
		{"POST", "/settings/tokens", []int{login, http.StatusUnprocessableEntity, http.StatusUnprocessableEntity, http.StatusUnprocessableEntity, http.StatusUnprocessableEntity}},
		{"GET", "/settings/tokens/" + a.addClassic("mona", "matrix classic"), []int{login, ok, nf, nf, nf}},
		{"POST", "/settings/tokens/" + a.addClassic("hubot", "hubot classic") + "/delete", []int{login, nf, nf, nf, nf}},
		// A fine-grained token is not a classic one, and the reverse.
		{"GET", "/settings/tokens/" + a.tokenID("mona", "deploy-bot"), []int{login, nf, nf, nf, nf}},
		{"GET", "/settings/personal-access-tokens/" + a.tokenID("mona", "matrix classic"), []int{login, nf, nf, nf, nf}},
		{"GET", "/notifications", []int{login, ok, ok, ok, ok}},
		{"POST", "/notifications/read", []int{login, http.StatusUnprocessableEntity, http.StatusUnprocessableEntity, http.StatusUnprocessableEntity, http.StatusUnprocessableEntity}},
		// The queue and active tokens: owners only. Decisions that would
		// change something are aimed at grants where they cannot (409), so
		// the walk leaves the data as it is.
		{"POST", "/organizations/octo-org/settings/personal-access-token-requests", []int{login, nf, http.StatusUnprocessableEntity, nf, nf}},
		{"GET", "/organizations/octo-org/settings/personal-access-token-requests/" + a.grantID("mona", "deploy-bot"), []int{login, nf, ok, nf, nf}},
		{"GET", "/organizations/octo-org/settings/personal-access-token-requests/" + a.grantID("mona", "deploy-bot") + "/deny", []int{login, nf, ok, nf, nf}},
		{"POST", "/organizations/octo-org/settings/personal-access-token-requests/" + a.grantID("octo-owner", "owner-automation") + "/approve", []int{login, nf, denied, nf, nf}},
		{"POST", "/organizations/octo-org/settings/personal-access-token-requests/" + a.grantID("octo-owner", "owner-automation") + "/deny", []int{login, nf, denied, nf, nf}},
		{"GET", "/organizations/octo-org/settings/personal-access-token-requests/no-such-id", []int{login, nf, nf, nf, nf}},
		{"GET", "/organizations/octo-org/settings/personal-access-token-requests/999999", []int{login, nf, nf, nf, nf}},
		{"POST", "/organizations/octo-org/settings/personal-access-tokens/active", []int{login, nf, http.StatusUnprocessableEntity, nf, nf}},
		{"GET", "/organizations/octo-org/settings/personal-access-tokens/" + a.grantID("octo-owner", "owner-automation"), []int{login, nf, ok, nf, nf}},
		{"POST", "/organizations/octo-org/settings/personal-access-tokens/" + a.grantID("mona", "deploy-bot") + "/revoke", []int{login, nf, denied, nf, nf}},
		// An owner of another organization cannot reach octo-org's grants
		// through their own organization's pages, even owning both.
		{"GET", "/organizations/solo-org/settings/personal-access-token-requests/" + a.grantID("mona", "deploy-bot"), []int{login, nf, nf, nf, nf}},
		{"POST", "/organizations/solo-org/settings/personal-access-token-requests/" + a.grantID("mona", "deploy-bot") + "/approve", []int{login, nf, nf, nf, nf}},
		{"GET", "/organizations/solo-org/settings/personal-access-token-requests/" + a.grantID("mona", "deploy-bot") + "/deny", []int{login, nf, nf, nf, nf}},
		{"POST", "/organizations/solo-org/settings/personal-access-token-requests/" + a.grantID("mona", "deploy-bot") + "/deny", []int{login, nf, nf, nf, nf}},
		{"GET", "/organizations/other-org/settings/personal-access-token-requests/" + a.grantID("mona", "deploy-bot"), []int{login, nf, nf, nf, nf}},
		{"POST", "/organizations/other-org/settings/personal-access-token-requests/" + a.grantID("mona", "deploy-bot") + "/approve", []int{login, nf, nf, nf, nf}},
		{"GET", "/organizations/other-org/settings/personal-access-tokens/" + a.grantID("octo-owner", "owner-automation"), []int{login, nf, nf, nf, nf}},
		{"POST", "/organizations/other-org/settings/personal-access-tokens/" + a.grantID("octo-owner", "owner-automation") + "/revoke", []int{login, nf, nf, nf, nf}},
		{"GET", "/organizations/other-org/settings/personal-access-token-requests", []int{login, nf, nf, ok, nf}},
	}
	for i, role := range roles {
		c := a.as(role)
		for _, r := range routes {
			name := role
			if name == "" {
				name = "anonymous"
			}
			t.Run(name+" "+r.method+" "+r.path, func(t *testing.T) {
				c.t = t
				var p *page
				if r.method == "GET" {
					p = c.get(r.path)
				} else {
					p = c.post(r.path, url.Values{})
				}
				want := r.want[i]
				if want == login {
					p.redirectsTo("/login?return_to=" + url.QueryEscape(r.path))
					return
				}
				p.status(want)
				if want == nf && !strings.Contains(p.text("h1"), "Page not found") {
					t.Errorf("404 page has heading %q", p.text("h1"))
				}
			})
		}
	}
}
