package paths_test

import (
	"net/http"
	"net/url"
	"testing"

	"patpolicy/policy"
	"patpolicy/web/paths"
)

// The site's paths are bookmarked, linked from notifications and named
// by the API: a change to any of them fails here first.
func TestPaths(t *testing.T) {
	fine, classic := policy.KindFineGrained, policy.KindClassic
	for _, c := range []struct{ got, want string }{
		{paths.Home, "/"},
		{paths.Login, "/login"},
		{paths.LoginThen("/a?b=c d"), "/login?return_to=%2Fa%3Fb%3Dc+d"},
		{paths.LoginSignedOut, "/login?signed_out=1"},
		{paths.Logout, "/logout"},
		{paths.Organizations, "/settings/organizations"},
		{paths.Enterprises, "/settings/enterprises"},
		{paths.Notifications, "/notifications"},
		{paths.NotificationsRead, "/notifications/read"},
		{paths.Asset("app.css"), "/static/app.css"},
		{paths.Tokens(fine), "/settings/personal-access-tokens"},
		{paths.NewToken(fine), "/settings/personal-access-tokens/new"},
		{paths.Token(fine, 7), "/settings/personal-access-tokens/7"},
		{paths.DeleteToken(fine, 7), "/settings/personal-access-tokens/7/delete"},
		{paths.CancelRequest(7), "/settings/personal-access-tokens/7/cancel"},
		{paths.RegenerateToken(fine, 7), "/settings/personal-access-tokens/7/regenerate"},
		{paths.RegenerateToken(classic, 8), "/settings/tokens/8/regenerate"},
		{paths.Tokens(classic), "/settings/tokens"},
		{paths.NewToken(classic), "/settings/tokens/new"},
		{paths.Token(classic, 8), "/settings/tokens/8"},
		{paths.DeleteToken(classic, 8), "/settings/tokens/8/delete"},
		{paths.OrgSettings("o"), "/organizations/o/settings"},
		{paths.OrgProfile("o"), "/organizations/o/settings/profile"},
		{paths.OrgPATSettings("o"), "/organizations/o/settings/personal-access-tokens"},
		{paths.OrgOnboarding("o"), "/organizations/o/settings/personal-access-tokens-onboarding"},
		{paths.OrgAuditLog("o"), "/organizations/o/settings/audit-log"},
		{paths.OrgHooks("o"), "/organizations/o/settings/hooks"},
		{paths.OrgNewHook("o"), "/organizations/o/settings/hooks/new"},
		{paths.OrgHook("o", 3), "/organizations/o/settings/hooks/3"},
		{paths.OrgDeleteHook("o", 3), "/organizations/o/settings/hooks/3/delete"},
		{paths.OrgRedeliver("o", 3, 9), "/organizations/o/settings/hooks/3/deliveries/9/redeliver"},
		{paths.OrgPendingRequests("o"), "/organizations/o/settings/personal-access-token-requests"},
		{paths.OrgRequest("o", 3), "/organizations/o/settings/personal-access-token-requests/3"},
		{paths.OrgApproveRequest("o", 3), "/organizations/o/settings/personal-access-token-requests/3/approve"},
		{paths.OrgDenyRequest("o", 3), "/organizations/o/settings/personal-access-token-requests/3/deny"},
		{paths.OrgActiveTokens("o"), "/organizations/o/settings/personal-access-tokens/active"},
		{paths.OrgActiveToken("o", 4), "/organizations/o/settings/personal-access-tokens/4"},
		{paths.OrgRevokeToken("o", 4), "/organizations/o/settings/personal-access-tokens/4/revoke"},
		{paths.EnterpriseSettings("e"), "/enterprises/e/settings"},
		{paths.EnterprisePATPolicies("e"), "/enterprises/e/settings/personal-access-tokens"},
		{paths.EnterpriseAuditLog("e"), "/enterprises/e/settings/audit-log"},
		{paths.OrgInventory("o"), "/organizations/o/settings/personal-access-tokens/inventory"},
		{paths.InventoryCSV(paths.OrgInventory("o")), "/organizations/o/settings/personal-access-tokens/inventory.csv"},
		{paths.EnterpriseInventory("e"), "/enterprises/e/settings/personal-access-tokens/inventory"},
		{paths.EnterprisePendingRequests("e"), "/enterprises/e/settings/personal-access-token-requests"},
		{paths.Profile("mona"), "/mona"},
		{paths.Repo("o", "r"), "/o/r"},
		{paths.Issue("o", "r", 12), "/o/r/issues/12"},
		{paths.AppAuthorizations, "/settings/connections/applications{/client_id}"},
		{paths.List{Path: "/l"}.URL(), "/l"},
		{paths.List{Path: "/l", Filter: url.Values{}}.URL(), "/l"},
		{paths.List{Path: "/l"}.Before(9), "/l?before=9"},
		{paths.List{Path: "/l"}.After(9), "/l?after=9"},
		{paths.List{Path: "/l", Filter: url.Values{"owner": {"mona"}, "action": {"a b"}}}.URL(), "/l?action=a+b&owner=mona"},
		{paths.List{Path: "/l", Filter: url.Values{"owner": {"mona"}, "action": {"a b"}}}.Before(9), "/l?action=a+b&before=9&owner=mona"},
		{paths.List{Path: "/l", Filter: url.Values{"owner": {"mona"}}}.After(9), "/l?after=9&owner=mona"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}

// A list's paging links leave its filters as they were, for the next link.
func TestListKeepsItsFilter(t *testing.T) {
	l := paths.List{Path: "/l", Filter: url.Values{"owner": {"mona"}}}
	l.Before(1)
	l.After(2)
	if got := l.URL(); got != "/l?owner=mona" {
		t.Errorf("after paging, URL = %q, want /l?owner=mona", got)
	}
}

// request is the little of a request that Base and SetBase use.
type request struct {
	values map[string]any
	scheme string
	req    *http.Request
}

func (r *request) Get(key string) any      { return r.values[key] }
func (r *request) Set(key string, val any) { r.values[key] = val }
func (r *request) Scheme() string          { return r.scheme }
func (r *request) Request() *http.Request  { return r.req }

// The absolute root is the configured public URL when there is one, and
// otherwise the scheme and host the request was sent to.
func TestBase(t *testing.T) {
	newRequest := func() *request {
		req, _ := http.NewRequest(http.MethodGet, "http://evil.example/x", nil)
		req.Host = "evil.example:8080"
		return &request{values: map[string]any{}, scheme: "https", req: req}
	}
	r := newRequest()
	if got, want := paths.Base(r), "https://evil.example:8080"; got != want {
		t.Errorf("no public URL: Base = %q, want %q", got, want)
	}
	paths.SetBase(r, "https://console.example")
	if got, want := paths.Base(r), "https://console.example"; got != want {
		t.Errorf("public URL set: Base = %q, want %q", got, want)
	}
	r = newRequest()
	paths.SetBase(r, "")
	if got, want := paths.Base(r), "https://evil.example:8080"; got != want {
		t.Errorf("empty public URL: Base = %q, want %q", got, want)
	}
}
