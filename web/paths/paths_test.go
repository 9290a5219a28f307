package paths_test

import (
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
		{paths.Tokens(classic), "/settings/tokens"},
		{paths.NewToken(classic), "/settings/tokens/new"},
		{paths.Token(classic, 8), "/settings/tokens/8"},
		{paths.DeleteToken(classic, 8), "/settings/tokens/8/delete"},
		{paths.OrgSettings("o"), "/organizations/o/settings"},
		{paths.OrgProfile("o"), "/organizations/o/settings/profile"},
		{paths.OrgPATSettings("o"), "/organizations/o/settings/personal-access-tokens"},
		{paths.OrgOnboarding("o"), "/organizations/o/settings/personal-access-tokens-onboarding"},
		{paths.OrgAuditLog("o"), "/organizations/o/settings/audit-log"},
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
		{paths.Profile("mona"), "/mona"},
		{paths.Repo("o", "r"), "/o/r"},
		{paths.Issue("o", "r", 12), "/o/r/issues/12"},
		{paths.AppAuthorizations, "/settings/connections/applications{/client_id}"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}
