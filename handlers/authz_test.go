package handlers_test

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
