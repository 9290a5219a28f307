// Package paths builds the site's URLs: every page's path, and the
// absolute root that answers and notifications link from. Handlers, views,
// notifications and the API's links to the site all take their paths from
// here, so that a page's path is written once.
//
// Builders put what they are given (logins, slugs, repository names) into
// the path as it is, without escaping; a List's filters go into its query
// escaped.
//
// The package needs nothing of the web framework: the little that Base and
// SetBase use of a request is an interface here, which echo.Context meets.
package paths

import (
	"net/http"
	"net/url"
	"strconv"

	"patpolicy/policy"
)

// keyBase is where the server keeps the site's public URL.
const keyBase = "paths.base"

// Holder is where a request keeps what the server records for it
// (echo.Context is one): SetBase needs no more of a request.
type Holder interface {
	Set(key string, val any)
}

// Request is what Base needs of a request (echo.Context is one): what the
// server recorded for it, and the scheme and host it was sent to.
type Request interface {
	Get(key string) any
	Scheme() string
	Request() *http.Request
}

// SetBase records the site's public URL (scheme and host, no trailing
// slash) for the request, when one is configured.
func SetBase(c Holder, base string) { c.Set(keyBase, base) }

// Base is the site's absolute root: the configured public URL, or without
// one the request's scheme and Host header, which whoever sends the request
// writes.
func Base(c Request) string {
	if base, _ := c.Get(keyBase).(string); base != "" {
		return base
	}
	return c.Scheme() + "://" + c.Request().Host
}

// The pages every signed-in user has, and the sign-in pages.
const (
	// Home sends a signed-in user on to the list that fits them.
	Home = "/"
	// Login is the sign-in page, and where its form posts.
	Login = "/login"
	// Logout is where the sign-out form posts.
	Logout = "/logout"
	// Organizations lists the organizations the user belongs to.
	Organizations = "/settings/organizations"
	// Enterprises lists the enterprises the user owns.
	Enterprises = "/settings/enterprises"
	// Notifications lists the user's notifications.
	Notifications = "/notifications"
	// NotificationsRead is where "Mark all as read" posts.
	NotificationsRead = Notifications + "/read"
	// Static is the prefix of the site's static files.
	Static = "/static/"
)

// The sign-in page's query parameters.
const (
	// ReturnToParam names the page to go to once signed in.
	ReturnToParam = "return_to"
	// SignedOutParam marks the sign-in page shown after signing out: the
	// session cookie is deleted then, so it cannot carry a flash.
	SignedOutParam = "signed_out"
)

// LoginSignedOut is the sign-in page shown right after signing out.
const LoginSignedOut = Login + "?" + SignedOutParam + "=1"

// LoginThen is the sign-in page that goes on to back, a path on this site
// with its query, once signed in.
func LoginThen(back string) string {
	return Login + "?" + ReturnToParam + "=" + url.QueryEscape(back)
}

// The paging parameters of the site's long lists, which show their newest
// rows first: a page holds the rows older than the row Before names, or
// newer than the row After names.
const (
	BeforeParam = "before"
	AfterParam  = "after"
)

// List is a page of one of the site's long lists: the list's path, and the
// filters that narrow it (a query), which the links to its other pages keep.
type List struct {
	Path   string
	Filter url.Values
}

// URL is the list's newest page with its filters, or its path alone when
// it has none.
func (l List) URL() string {
	if len(l.Filter) == 0 {
		return l.Path
	}
	return l.Path + "?" + l.Filter.Encode()
}

// Before is the list's page of the rows older than the row id.
func (l List) Before(id int64) string { return l.page(BeforeParam, id) }

// After is the list's page of the rows newer than the row id.
func (l List) After(id int64) string { return l.page(AfterParam, id) }

func (l List) page(param string, id int64) string {
	q := url.Values{}
	for k, v := range l.Filter {
		q[k] = v
	}
	q.Set(param, number(id))
	return l.Path + "?" + q.Encode()
}

// Asset is the path of the static file name.
func Asset(name string) string { return Static + name }

// Tokens lists the user's own tokens of kind: fine-grained or classic. It
// is also where the new-token form of that kind posts.
func Tokens(kind policy.Kind) string {
	if kind == policy.KindClassic {
		return "/settings/tokens"
	}
	return "/settings/personal-access-tokens"
}

// NewToken is the form that creates a token of kind.
func NewToken(kind policy.Kind) string { return Tokens(kind) + "/new" }

// Token is the page of the user's token id, of kind.
func Token(kind policy.Kind, id int64) string { return Tokens(kind) + "/" + number(id) }

// DeleteToken is where the user's token id, of kind, is deleted.
func DeleteToken(kind policy.Kind, id int64) string { return Token(kind, id) + "/delete" }

// RegenerateToken is where the user gives their token id, of kind, a new
// secret.
func RegenerateToken(kind policy.Kind, id int64) string { return Token(kind, id) + "/regenerate" }

// CancelRequest is where the user withdraws the pending request of their
// fine-grained token id.
func CancelRequest(id int64) string { return Token(policy.KindFineGrained, id) + "/cancel" }

// OrgSettings is the root of organization org's settings (it shows the
// profile).
func OrgSettings(org string) string { return "/organizations/" + org + "/settings" }

// OrgProfile is an organization's General settings page.
func OrgProfile(org string) string { return OrgSettings(org) + "/profile" }

// OrgPATSettings is an organization's personal access token settings,
// and where their form posts.
func OrgPATSettings(org string) string { return OrgSettings(org) + "/personal-access-tokens" }

// OrgOnboarding walks an organization that has not opted in through its
// personal access token settings, one step a page.
func OrgOnboarding(org string) string {
	return OrgSettings(org) + "/personal-access-tokens-onboarding"
}

// OrgAuditLog is an organization's audit log.
func OrgAuditLog(org string) string { return OrgSettings(org) + "/audit-log" }

// OrgPendingRequests is an organization's queue of requests waiting for
// review, and where its bulk reviews post.
func OrgPendingRequests(org string) string {
	return OrgSettings(org) + "/personal-access-token-requests"
}

// OrgRequest is the page of one request, grant id, in an organization's
// queue.
func OrgRequest(org string, id int64) string { return OrgPendingRequests(org) + "/" + number(id) }

// OrgApproveRequest is where an owner approves the request id.
func OrgApproveRequest(org string, id int64) string { return OrgRequest(org, id) + "/approve" }

// OrgDenyRequest asks for a reason before denying the request id, and is
// where the denial posts.
func OrgDenyRequest(org string, id int64) string { return OrgRequest(org, id) + "/deny" }

// OrgActiveTokens lists the tokens approved in an organization, and is
// where their bulk revocation posts.
func OrgActiveTokens(org string) string { return OrgPATSettings(org) + "/active" }

// OrgActiveToken is the page of one approved token, grant id, in an
// organization.
func OrgActiveToken(org string, id int64) string { return OrgPATSettings(org) + "/" + number(id) }

// OrgRevokeToken is where an owner revokes the approved token id.
func OrgRevokeToken(org string, id int64) string { return OrgActiveToken(org, id) + "/revoke" }

// OrgHooks lists an organization's webhooks, and is where a new one's
// form posts.
func OrgHooks(org string) string { return OrgSettings(org) + "/hooks" }

// OrgNewHook is the form of a new webhook.
func OrgNewHook(org string) string { return OrgHooks(org) + "/new" }

// OrgHook is the page of one webhook: its settings, where they post, and
// its recent deliveries.
func OrgHook(org string, id int64) string { return OrgHooks(org) + "/" + number(id) }

// OrgDeleteHook is where an owner deletes the webhook id.
func OrgDeleteHook(org string, id int64) string { return OrgHook(org, id) + "/delete" }

// OrgRedeliver is where an owner sends a delivery of a webhook again.
func OrgRedeliver(org string, hook, delivery int64) string {
	return OrgHook(org, hook) + "/deliveries/" + number(delivery) + "/redeliver"
}

// EnterpriseSettings is the root of enterprise ent's settings (it shows
// the personal access token policies).
func EnterpriseSettings(ent string) string { return "/enterprises/" + ent + "/settings" }

// EnterprisePATPolicies is an enterprise's personal access token
// policies, and where their form posts.
func EnterprisePATPolicies(ent string) string {
	return EnterpriseSettings(ent) + "/personal-access-tokens"
}

// EnterpriseAuditLog is an enterprise's audit log.
func EnterpriseAuditLog(ent string) string { return EnterpriseSettings(ent) + "/audit-log" }

// OrgInventory lists every token that can reach an organization.
func OrgInventory(org string) string { return OrgPATSettings(org) + "/inventory" }

// EnterpriseInventory lists every token that can reach an enterprise's
// organizations.
func EnterpriseInventory(ent string) string { return EnterprisePATPolicies(ent) + "/inventory" }

// InventoryCSV is an inventory (OrgInventory, EnterpriseInventory) as a
// CSV file.
func InventoryCSV(inventory string) string { return inventory + ".csv" }

// EnterprisePendingRequests lists the pending requests of an enterprise's
// organizations.
func EnterprisePendingRequests(ent string) string {
	return EnterpriseSettings(ent) + "/personal-access-token-requests"
}

// The pages below are GitHub's, which the API links to in its html_url
// fields where GitHub would; this console does not serve them.

// Profile is the profile page of a user or an organization.
func Profile(login string) string { return "/" + login }

// Repo is a repository's page.
func Repo(owner, name string) string { return "/" + owner + "/" + name }

// Issue is the page of a repository's issue number.
func Issue(owner, repo string, n int64) string { return Repo(owner, repo) + "/issues/" + number(n) }

// AppAuthorizations is the URL template (RFC 6570) of the user's
// authorized applications.
const AppAuthorizations = "/settings/connections/applications{/client_id}"

func number(id int64) string { return strconv.FormatInt(id, 10) }
