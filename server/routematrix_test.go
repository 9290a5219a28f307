package server_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"patpolicy/policy"
	"patpolicy/server"
)

// TestRouteTableMatrix walks the server's route table (server.Rules) for every
// kind of visitor and checks that each route's declared rule of who may reach it is what
// the visitor meets: a route added to the table is walked without anyone
// listing it here. TestAuthorizationMatrix checks the exact answers of
// chosen routes; this one checks the rule of every route.
func TestRouteTableMatrix(t *testing.T) {
	// Each POST may change the demo (mona's cancel withdraws her request,
	// an owner's empty bulk form is refused but an approve is not), so a
	// POST rule gets a fresh server; GET rules share one.
	type world struct {
		a                       *app
		token, classic, request string
		// owner is octo-owner's token for the administration endpoints.
		owner string
		// hook is a webhook of octo-org, delivery one of its deliveries.
		hook, delivery string
	}
	fresh := func() world {
		a := newApp(t)
		a.addOwner("other-owner", "other-org", "Other Org")
		hook, delivery := a.addHook("octo-org")
		return world{a: a, hook: hook, delivery: delivery, token: a.tokenID("mona", "deploy-bot"), classic: a.addClassic("mona", "route matrix"),
			request: a.grantID("mona", "deploy-bot"),
			owner: a.newFineGrained("octo-owner", "route-matrix", fgSpec{Org: "octo-org", Days: 30,
				Permissions: map[string]policy.Level{"organization_administration": policy.LevelWrite, policy.Metadata: policy.LevelRead}})}
	}
	params := strings.NewReplacer(
		":org", "octo-org", ":ent", "octo-ent", ":owner", "octo-org", ":repo", "octo-api", ":user", "mona",
	)
	// A concrete path for a rule: the demo's objects. Developer settings'
	// ids are mona's tokens, which only she may see; organization ids are
	// her request's grant.
	path := func(w world, r server.Rule) string {
		p := params.Replace(r.Path)
		switch {
		case strings.HasPrefix(r.Path, "/settings/tokens/"):
			p = strings.Replace(p, ":id", w.classic, 1)
		case strings.HasPrefix(r.Path, "/settings/"):
			p = strings.Replace(p, ":id", w.token, 1)
		case strings.Contains(r.Path, "/hooks/"):
			p = strings.NewReplacer(":id", w.hook, ":hook_id", w.hook, ":delivery_id", w.delivery, ":delivery", w.delivery).Replace(p)
		case strings.HasSuffix(r.Path, "/*"):
			p = strings.TrimSuffix(p, "*") + "app.css"
		default:
			p = strings.Replace(p, ":id", w.request, 1)
		}
		return p
	}
	do := func(c *client, method, p string) *page {
		c.t.Helper()
		if method == http.MethodPost {
			return c.post(p, url.Values{})
		}
		req, _ := http.NewRequest(method, c.app.srv.URL+p, strings.NewReader(""))
		return c.do(req)
	}
	shared := fresh()

	roles := []string{"", "mona", "octo-owner", "other-owner", "ent-admin"}
	checked := 0
	for _, r := range server.Rules() {
		if r.Method == "echo_route_not_found" {
			r.Method = http.MethodGet
			r.Path = strings.TrimSuffix(r.Path, "*") + "no-such-endpoint"
		}
		w := shared
		if r.Method != http.MethodGet {
			w = fresh()
		}
		a := w.a
		p := path(w, r)
		if r.Who == server.Token {
			owner := w.owner
			t.Run("token "+r.Method+" "+p, func(t *testing.T) {
				// A bad token is refused before anything else, except
				// where no token is read at all.
				if res := a.api(r.Method, strings.TrimPrefix(p, "/api/v3"), "ghp_bad", nil); (res.Status == http.StatusUnauthorized) == r.Needs.TakesNoToken() {
					t.Errorf("bad token: %d %s", res.Status, res.Body)
				}
				// No token: public answers, or 401/404, never the site.
				res := a.api(r.Method, strings.TrimPrefix(p, "/api/v3"), "", nil)
				if res.Status >= 500 || res.Header.Get("Content-Type") != "application/json; charset=utf-8" {
					t.Errorf("no token: %d %s %s", res.Status, res.Header.Get("Content-Type"), res.Body)
				}
				// An owner's token with what the administration needs is
				// let through to the handler: no 401, no 5xx.
				if res := a.api(r.Method, strings.TrimPrefix(p, "/api/v3"), owner, nil); res.Status == http.StatusUnauthorized || res.Status >= 500 {
					t.Errorf("owner's token: %d %s", res.Status, res.Body)
				}
			})
			checked++
			continue
		}
		for _, role := range roles {
			name := role
			if name == "" {
				name = "anonymous"
			}
			t.Run(name+" "+r.Method+" "+p, func(t *testing.T) {
				c := a.as(role)
				c.t = t
				res := do(c, r.Method, p)
				status := res.res.StatusCode
				toLogin := status == http.StatusSeeOther && strings.HasPrefix(res.location(), "/login?return_to=")
				if status >= 500 {
					t.Fatalf("%d", status)
				}
				var allowed bool
				switch r.Who {
				case server.Anonymous:
					allowed = true
				case server.SignedIn:
					allowed = role != ""
				case server.OrgOwner:
					allowed = role == "octo-owner"
				case server.EnterpriseOwner:
					allowed = role == "ent-admin"
				default:
					t.Fatalf("no expectation for access %q", r.Who)
				}
				// Developer settings' objects are per user: another signed-in
				// user's 404 there is the handler's, not the guard's.
				perUser := r.Who == server.SignedIn && strings.Contains(r.Path, ":id") && role != "mona"
				switch {
				case allowed && toLogin, allowed && status == http.StatusNotFound && !perUser:
					t.Errorf("%s is allowed here (%s) but got %d %s", name, r.Who, status, res.location())
				case !allowed && role == "" && !toLogin:
					t.Errorf("anonymous should be sent to sign in (%s), got %d", r.Who, status)
				case !allowed && role != "" && status != http.StatusNotFound:
					t.Errorf("%s should get 404 (%s), got %d", name, r.Who, status)
				}
			})
			checked++
		}
	}
	if checked < 200 {
		t.Errorf("only %d route and role pairs checked", checked)
	}
}
