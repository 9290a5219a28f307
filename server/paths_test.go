package server_test

import (
	"net/http"
	"strings"
	"testing"

	"patpolicy/policy"
	"patpolicy/server"
	"patpolicy/web/paths"
)

// Every site path package paths builds, and that pages link to or forms
// post to, is a route of the server's table: the table writes the segments
// after each prefix itself, so a page renamed in one place only fails here.
func TestEveryBuiltPathIsServed(t *testing.T) {
	fine, classic := policy.KindFineGrained, policy.KindClassic
	get, post := http.MethodGet, http.MethodPost
	for _, want := range []struct{ method, path string }{
		{get, paths.Home}, {get, paths.Login}, {post, paths.Login}, {post, paths.Logout},
		{get, paths.LoginThen("/notifications")}, {get, paths.LoginSignedOut},
		{get, paths.Organizations}, {get, paths.Enterprises},
		{get, paths.Notifications}, {post, paths.NotificationsRead}, {get, paths.Asset("app.css")},
		{get, paths.Tokens(fine)}, {post, paths.Tokens(fine)}, {get, paths.NewToken(fine)},
		{get, paths.Token(fine, 1)}, {post, paths.DeleteToken(fine, 1)}, {post, paths.CancelRequest(1)},
		{get, paths.Tokens(classic)}, {post, paths.Tokens(classic)}, {get, paths.NewToken(classic)},
		{get, paths.Token(classic, 1)}, {post, paths.DeleteToken(classic, 1)},
		{get, paths.OrgSettings("o")}, {get, paths.OrgProfile("o")},
		{get, paths.OrgPATSettings("o")}, {post, paths.OrgPATSettings("o")},
		{get, paths.OrgOnboarding("o")}, {post, paths.OrgOnboarding("o")}, {get, paths.OrgAuditLog("o")},
		{get, paths.OrgHooks("o")}, {post, paths.OrgHooks("o")}, {get, paths.OrgNewHook("o")}, {get, paths.OrgHook("o", 1)},
		{post, paths.OrgHook("o", 1)}, {post, paths.OrgDeleteHook("o", 1)}, {post, paths.OrgRedeliver("o", 1, 2)},
		{get, paths.OrgPendingRequests("o")}, {post, paths.OrgPendingRequests("o")},
		{get, paths.OrgRequest("o", 1)}, {post, paths.OrgApproveRequest("o", 1)},
		{get, paths.OrgDenyRequest("o", 1)}, {post, paths.OrgDenyRequest("o", 1)},
		{get, paths.OrgActiveTokens("o")}, {post, paths.OrgActiveTokens("o")},
		{get, paths.OrgActiveToken("o", 1)}, {post, paths.OrgRevokeToken("o", 1)},
		{get, paths.EnterpriseSettings("e")}, {get, paths.EnterprisePATPolicies("e")},
		{post, paths.EnterprisePATPolicies("e")}, {get, paths.EnterpriseAuditLog("e")},
		{get, paths.OrgInventory("o")}, {get, paths.InventoryCSV(paths.OrgInventory("o"))},
		{get, paths.EnterpriseInventory("e")}, {get, paths.InventoryCSV(paths.EnterpriseInventory("e"))},
		{get, paths.EnterprisePendingRequests("e")},
		{get, paths.List{Path: paths.Tokens(classic)}.Before(1)}, {get, paths.List{Path: paths.OrgAuditLog("o")}.Before(1)},
	} {
		path, _, _ := strings.Cut(want.path, "?")
		served := false
		for _, r := range server.Rules() {
			if r.Who != server.Token && r.Method == want.method && matches(r.Path, path) {
				served = true
				break
			}
		}
		if !served {
			t.Errorf("%s %s is built by package paths but no site route serves it", want.method, want.path)
		}
	}
}

// matches reports whether path fits the route pattern: a ":name" segment
// takes any one segment, a final "*" the rest.
func matches(pattern, path string) bool {
	ps, ss := strings.Split(pattern, "/"), strings.Split(path, "/")
	for i, p := range ps {
		switch {
		case p == "*" && i == len(ps)-1:
			return true
		case i >= len(ss):
			return false
		case strings.HasPrefix(p, ":") && ss[i] != "":
		case p != ss[i]:
			return false
		}
	}
	return len(ps) == len(ss)
}
