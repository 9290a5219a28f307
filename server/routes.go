package server

import (
	"crypto/rand"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"patpolicy/handlers"
	"patpolicy/handlers/api"
	"patpolicy/policy"
	"patpolicy/service"
	"patpolicy/signin"
	"patpolicy/static"
	"patpolicy/web/paths"
)

// Who is who may reach a route. Every route has exactly one, declared in
// routeTable; New applies it, and a test fails for a route without one.
type Who string

const (
	// Anonymous routes are open to everyone.
	Anonymous Who = "anonymous"
	// SignedIn routes send anonymous visitors to sign in.
	SignedIn Who = "signed in"
	// OrgOwner routes exist only for owners of the :org organization
	// (404 to everyone else).
	OrgOwner Who = "organization owner"
	// EnterpriseOwner routes exist only for owners of the :ent enterprise.
	EnterpriseOwner Who = "enterprise owner"
	// Token routes are the REST API: the call's token is checked first
	// (401 for a bad one), then policy.Decide decides each call on what the
	// route's Needs names.
	Token Who = "token"
)

// Rule says who may reach a route (and, on the API, what its token
// needs), for reading and for tests.
type Rule struct {
	Method string
	Path   string
	Who    Who
	// Needs is what a token needs on a Token route: a typed value the
	// route's guard (api.Requires) hands to the handler, whose decisions
	// take their resource from it alone. Its String says it in GitHub's
	// words (a fine-grained permission, or a classic scope).
	Needs api.Need
	// Heavy routes list an organization's grants (the site's bulk
	// reviews too: they show the list again when a selection is refused),
	// which can cost hundreds of times what a settings page costs. Only
	// Config.HeavyLimit of them run at once, so that under load they wait
	// for each other and not the pages and API calls that take a fraction
	// of a millisecond.
	Heavy bool
}

// Route is a rule with its handler.
type Route struct {
	Rule
	Handler echo.HandlerFunc
}

// endpoints are the handlers the routes call.
type endpoints struct {
	health    echo.HandlerFunc
	ready     echo.HandlerFunc
	assets    echo.HandlerFunc
	signIn    handlers.SignIn
	account   handlers.Account
	dev       handlers.Developer
	notes     handlers.Notifications
	org       handlers.OrgSettings
	orgHooks  handlers.OrgHooks
	hooks     api.Hooks
	grants    handlers.OrgTokens
	ent       handlers.EnterpriseSettings
	inventory handlers.Inventory
	resources api.Resources
	admin     api.Grants
	policies  api.Policies
	meta      api.Meta
	creds     api.Credentials
}

func newEndpoints(cfg Config) endpoints {
	s := cfg.Store
	reviews := service.Grants{Store: s}
	policies := service.Policies{Store: s}
	webhooks := service.Webhooks{Store: s}
	return endpoints{
		health: liveness(s, cfg.Logger),
		ready:  readiness(s, cfg.Logger),
		assets: func(c echo.Context) error {
			c.Response().Header().Set(echo.HeaderCacheControl, "public, max-age=3600")
			return echo.StaticDirectoryHandler(static.FS, false)(c)
		},
		signIn: handlers.SignIn{Store: s, DummyHash: cfg.DummyHash,
			Limiter: signin.NewLimiter(s, signin.DefaultLimits(), time.Now)},
		account:   handlers.Account{Store: s},
		dev:       handlers.Developer{Store: s, Tokens: service.Tokens{Store: s, Random: rand.Reader}, Now: time.Now},
		notes:     handlers.Notifications{Store: s, Now: time.Now},
		org:       handlers.OrgSettings{Store: s, Policies: policies},
		orgHooks:  handlers.OrgHooks{Store: s, Webhooks: webhooks},
		hooks:     api.Hooks{Store: s, Webhooks: webhooks, Now: time.Now},
		grants:    handlers.OrgTokens{Store: s, Reviews: reviews, Now: time.Now},
		ent:       handlers.EnterpriseSettings{Store: s, Policies: policies},
		inventory: handlers.Inventory{Store: s, Now: time.Now},
		resources: api.Resources{Store: s, Now: time.Now, Answers: api.NewAnswers(4096)},
		admin:     api.Grants{Store: s, Reviews: reviews, Now: time.Now},
		policies:  api.Policies{Store: s, Policies: policies, Now: time.Now},
		creds:     api.Credentials{Revoker: service.Credentials{Store: s, Now: time.Now}, Now: time.Now},
	}
}

// Rules lists every route's rule of who may reach it.
func Rules() []Rule {
	routes := routeTable(endpoints{})
	out := make([]Rule, len(routes))
	for i, r := range routes {
		out[i] = r.Rule
	}
	return out
}

// routeTable is every route of the server with its rule of who may reach it. The
// site's pages take their prefixes from package paths, which links to
// them, so that each is written once; the segments after a prefix are
// written out here, and a test checks that every path paths builds is
// served.
func routeTable(h endpoints) []Route {
	const v3 = api.Prefix
	var (
		// What the administration endpoints need.
		admin = api.NeedOrg(policy.Resource{Permission: "organization_administration", Level: policy.LevelWrite,
			Scope: "admin:org", OwnersOnly: true})
		adminRead = api.NeedOrg(policy.Resource{Permission: "organization_administration", Level: policy.LevelRead,
			Scope: "read:org", OwnersOnly: true})
		public   = api.NeedPublic()
		nothing  = api.NeedNothing()
		entOwner = api.NeedEnterpriseOwner()
		metadata = api.NeedRepo(policy.Resource{Permission: policy.Metadata, Level: policy.LevelRead})
	)
	orgs, ents := paths.OrgSettings(":org"), paths.EnterpriseSettings(":ent")
	fine, classic := paths.Tokens(policy.KindFineGrained), paths.Tokens(policy.KindClassic)
	r := func(method, path string, who Who, handler echo.HandlerFunc) Route {
		return Route{Rule{Method: method, Path: path, Who: who}, handler}
	}
	t := func(method, path string, needs api.Need, handler echo.HandlerFunc) Route {
		return Route{Rule{Method: method, Path: v3 + path, Who: Token, Needs: needs}, handler}
	}
	heavy := func(route Route) Route {
		route.Heavy = true
		return route
	}
	return []Route{
		r(http.MethodGet, "/healthz", Anonymous, h.health),
		r(http.MethodGet, "/readyz", Anonymous, h.ready),
		r(http.MethodGet, paths.Static+"*", Anonymous, h.assets),
		r(http.MethodGet, paths.Login, Anonymous, h.signIn.LoginForm),
		r(http.MethodPost, paths.Login, Anonymous, h.signIn.Login),
		r(http.MethodPost, paths.Logout, Anonymous, h.signIn.Logout),

		r(http.MethodGet, paths.Home, SignedIn, h.account.Home),
		r(http.MethodGet, paths.Organizations, SignedIn, h.account.Organizations),
		r(http.MethodGet, paths.Enterprises, SignedIn, h.account.Enterprises),
		r(http.MethodGet, fine, SignedIn, h.dev.FineGrainedTokens),
		r(http.MethodPost, fine, SignedIn, h.dev.CreateFineGrained),
		r(http.MethodGet, fine+"/new", SignedIn, h.dev.NewFineGrained),
		r(http.MethodGet, fine+"/:id", SignedIn, h.dev.Token),
		r(http.MethodPost, fine+"/:id/cancel", SignedIn, h.dev.CancelRequest),
		r(http.MethodPost, fine+"/:id/delete", SignedIn, h.dev.DeleteToken),
		r(http.MethodGet, fine+"/:id/regenerate", SignedIn, h.dev.RegenerateForm),
		r(http.MethodPost, fine+"/:id/regenerate", SignedIn, h.dev.Regenerate),
		r(http.MethodGet, classic, SignedIn, h.dev.ClassicTokens),
		r(http.MethodPost, classic, SignedIn, h.dev.CreateClassic),
		r(http.MethodGet, classic+"/new", SignedIn, h.dev.NewClassic),
		r(http.MethodGet, classic+"/:id", SignedIn, h.dev.Token),
		r(http.MethodPost, classic+"/:id/delete", SignedIn, h.dev.DeleteToken),
		r(http.MethodGet, classic+"/:id/regenerate", SignedIn, h.dev.RegenerateForm),
		r(http.MethodPost, classic+"/:id/regenerate", SignedIn, h.dev.Regenerate),
		r(http.MethodGet, paths.Notifications, SignedIn, h.notes.List),
		r(http.MethodPost, paths.NotificationsRead, SignedIn, h.notes.MarkRead),

		r(http.MethodGet, orgs, OrgOwner, redirectTo("profile")),
		r(http.MethodGet, orgs+"/profile", OrgOwner, h.org.General),
		r(http.MethodGet, orgs+"/personal-access-tokens", OrgOwner, h.org.PATSettings),
		r(http.MethodPost, orgs+"/personal-access-tokens", OrgOwner, h.org.SavePATSettings),
		r(http.MethodGet, orgs+"/personal-access-tokens-onboarding", OrgOwner, h.org.Onboarding),
		r(http.MethodPost, orgs+"/personal-access-tokens-onboarding", OrgOwner, h.org.OnboardingStep),
		r(http.MethodGet, orgs+"/audit-log", OrgOwner, h.org.AuditLog),
		r(http.MethodGet, orgs+"/hooks", OrgOwner, h.orgHooks.List),
		r(http.MethodPost, orgs+"/hooks", OrgOwner, h.orgHooks.Create),
		r(http.MethodGet, orgs+"/hooks/new", OrgOwner, h.orgHooks.New),
		r(http.MethodGet, orgs+"/hooks/:id", OrgOwner, h.orgHooks.Show),
		r(http.MethodPost, orgs+"/hooks/:id", OrgOwner, h.orgHooks.Update),
		r(http.MethodPost, orgs+"/hooks/:id/delete", OrgOwner, h.orgHooks.Delete),
		r(http.MethodPost, orgs+"/hooks/:id/deliveries/:delivery/redeliver", OrgOwner, h.orgHooks.Redeliver),
		heavy(r(http.MethodGet, orgs+"/personal-access-token-requests", OrgOwner, h.grants.PendingRequests)),
		heavy(r(http.MethodPost, orgs+"/personal-access-token-requests", OrgOwner, h.grants.ReviewRequests)),
		r(http.MethodGet, orgs+"/personal-access-token-requests/:id", OrgOwner, h.grants.Request),
		r(http.MethodPost, orgs+"/personal-access-token-requests/:id/approve", OrgOwner, h.grants.Approve),
		r(http.MethodGet, orgs+"/personal-access-token-requests/:id/deny", OrgOwner, h.grants.DenyForm),
		r(http.MethodPost, orgs+"/personal-access-token-requests/:id/deny", OrgOwner, h.grants.Deny),
		heavy(r(http.MethodGet, orgs+"/personal-access-tokens/active", OrgOwner, h.grants.ActiveTokens)),
		heavy(r(http.MethodPost, orgs+"/personal-access-tokens/active", OrgOwner, h.grants.RevokeTokens)),
		r(http.MethodGet, orgs+"/personal-access-tokens/:id", OrgOwner, h.grants.Token),
		r(http.MethodPost, orgs+"/personal-access-tokens/:id/revoke", OrgOwner, h.grants.Revoke),
		heavy(r(http.MethodGet, orgs+"/personal-access-tokens/inventory", OrgOwner, h.inventory.OrgInventory)),
		heavy(r(http.MethodGet, orgs+"/personal-access-tokens/inventory.csv", OrgOwner, h.inventory.OrgInventoryCSV)),

		r(http.MethodGet, ents, EnterpriseOwner, redirectTo("personal-access-tokens")),
		r(http.MethodGet, ents+"/personal-access-tokens", EnterpriseOwner, h.ent.PATPolicies),
		r(http.MethodPost, ents+"/personal-access-tokens", EnterpriseOwner, h.ent.SavePATPolicies),
		r(http.MethodGet, ents+"/audit-log", EnterpriseOwner, h.ent.AuditLog),
		heavy(r(http.MethodGet, ents+"/personal-access-tokens/inventory", EnterpriseOwner, h.inventory.EnterpriseInventory)),
		heavy(r(http.MethodGet, ents+"/personal-access-tokens/inventory.csv", EnterpriseOwner, h.inventory.EnterpriseInventoryCSV)),
		heavy(r(http.MethodGet, ents+"/personal-access-token-requests", EnterpriseOwner, h.inventory.EnterpriseRequests)),

		t(http.MethodGet, "", nothing, h.meta.Root),
		t(http.MethodGet, "/", nothing, h.meta.Root),
		t(http.MethodGet, "/meta", nothing, h.meta.Meta),
		t(http.MethodGet, "/user", api.NeedAccount(policy.Resource{}), h.resources.User),
		t(http.MethodGet, "/user/keys", api.NeedAccount(policy.Resource{Permission: policy.GitSSHKeys, Level: policy.LevelRead, Scope: "read:public_key"}), h.resources.SSHKeys),
		t(http.MethodPost, "/user/keys", api.NeedAccount(policy.Resource{Write: true, Permission: policy.GitSSHKeys, Level: policy.LevelWrite, Scope: "write:public_key"}), h.resources.AddSSHKey),
		t(http.MethodGet, "/users/:user/keys", public, h.resources.UserSSHKeys),
		t(http.MethodGet, "/orgs/:org", public, h.resources.Org),
		t(http.MethodGet, "/orgs/:org/repos", metadata, h.resources.OrgRepos),
		t(http.MethodGet, "/orgs/:org/members", api.NeedOrg(policy.Resource{Permission: "members", Level: policy.LevelRead, Scope: "read:org"}), h.resources.Members),
		t(http.MethodGet, "/repos/:owner/:repo", metadata, h.resources.Repo),
		t(http.MethodPost, "/repos/:owner/:repo/issues", api.NeedRepo(policy.Resource{Write: true, Permission: "issues", Level: policy.LevelWrite, Scope: "repo"}), h.resources.CreateIssue),
		heavy(t(http.MethodGet, "/orgs/:org/personal-access-token-requests", admin, h.admin.Requests)),
		t(http.MethodPost, "/orgs/:org/personal-access-token-requests", admin, h.admin.ReviewRequests),
		t(http.MethodPost, "/orgs/:org/personal-access-token-requests/:id", admin, h.admin.ReviewRequest),
		t(http.MethodGet, "/orgs/:org/personal-access-token-requests/:id/repositories", admin, h.admin.RequestRepositories),
		heavy(t(http.MethodGet, "/orgs/:org/personal-access-tokens", admin, h.admin.Tokens)),
		t(http.MethodPost, "/orgs/:org/personal-access-tokens", admin, h.admin.RevokeTokens),
		t(http.MethodPost, "/orgs/:org/personal-access-tokens/:id", admin, h.admin.RevokeToken),
		t(http.MethodGet, "/orgs/:org/personal-access-tokens/:id/repositories", admin, h.admin.TokenRepositories),
		t(http.MethodGet, "/orgs/:org/personal-access-token-policy", adminRead, h.policies.OrgPolicy),
		t(http.MethodPatch, "/orgs/:org/personal-access-token-policy", admin, h.policies.UpdateOrgPolicy),
		t(http.MethodGet, "/orgs/:org/hooks", admin, h.hooks.List),
		t(http.MethodPost, "/orgs/:org/hooks", admin, h.hooks.Create),
		t(http.MethodGet, "/orgs/:org/hooks/:hook_id", admin, h.hooks.Get),
		t(http.MethodPatch, "/orgs/:org/hooks/:hook_id", admin, h.hooks.Update),
		t(http.MethodDelete, "/orgs/:org/hooks/:hook_id", admin, h.hooks.Delete),
		t(http.MethodGet, "/orgs/:org/hooks/:hook_id/deliveries", admin, h.hooks.Deliveries),
		t(http.MethodGet, "/orgs/:org/hooks/:hook_id/deliveries/:delivery_id", admin, h.hooks.Delivery),
		t(http.MethodPost, "/orgs/:org/hooks/:hook_id/deliveries/:delivery_id/attempts", admin, h.hooks.Redeliver),
		t(http.MethodGet, "/enterprises/:ent/personal-access-token-policy", entOwner, h.policies.EnterprisePolicy),
		t(http.MethodPatch, "/enterprises/:ent/personal-access-token-policy", entOwner, h.policies.UpdateEnterprisePolicy),
		t(http.MethodPost, strings.TrimPrefix(api.RevokePath, v3), api.NeedNoToken(), h.creds.Revoke),
		// Anything else under the API is a JSON 404, not the site's page.
		t(echo.RouteNotFound, "/*", nothing, func(echo.Context) error { return echo.ErrNotFound }),
		{Rule{Method: echo.RouteNotFound, Path: api.Root + "/*", Who: Token, Needs: nothing}, func(echo.Context) error { return echo.ErrNotFound }},
	}
}
