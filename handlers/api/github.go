package api

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"patpolicy/policy"
	"patpolicy/web/paths"
	"patpolicy/web/render"
)

// What GitHub's clients expect of a GitHub Enterprise Server: gh and Octokit
// find the API at /api/v3, read the server's version from a header and
// from /meta, and learn a classic token's scopes from X-OAuth-Scopes.

// APIRoot is where everything API-shaped lives: anything under it is
// answered in JSON, even where no endpoint exists.
const Root = "/api"

// EnterpriseVersion is the GitHub Enterprise Server version this API
// answers as (in X-GitHub-Enterprise-Version and /meta): the one whose
// REST description it follows.
const EnterpriseVersion = "3.19.0"

// IsAPIPath reports whether a path is under APIRoot.
func IsPath(p string) bool {
	return p == Root || strings.HasPrefix(p, Root+"/")
}

// APIHeaders marks every API answer as GitHub does: a request id unique to
// the call (for matching a client's report with the log), the media type
// and the server's version. It runs after routing (see APIHead).
func Headers(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if !IsPath(c.Request().URL.Path) {
			return next(c)
		}
		if received, ok := c.Get(keyHead).(*http.Request); ok {
			received.Method = http.MethodHead
			c.Request().Method = http.MethodHead
		}
		h := c.Response().Header()
		h.Set("X-GitHub-Request-Id", newRequestID())
		h.Set("X-GitHub-Media-Type", "github.v3; format=json")
		h.Set("X-GitHub-Enterprise-Version", EnterpriseVersion)
		return next(c)
	}
}

// newRequestID makes an id in GitHub's shape: five groups of hex digits.
func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	s := strings.ToUpper(hex.EncodeToString(b[:]))
	return s[0:4] + ":" + s[4:8] + ":" + s[8:15] + ":" + s[15:22] + ":" + s[22:30]
}

// APIHead lets HEAD reach every API endpoint GET does, with the same
// headers. It runs before routing and has the router see a GET; APIHeaders,
// after routing, makes the request a HEAD again, so that the HTTP server
// drops the body the handler writes. The router and the HTTP server look
// at the request the server received, whatever copies middleware made
// since: that one is changed, and kept to be changed back.
func Head(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if r.Method == http.MethodHead && IsPath(r.URL.Path) {
			r.Method = http.MethodGet
			c.Set(keyHead, r)
		}
		return next(c)
	}
}

const keyHead = "api.head"

// setAcceptedScopes tells the caller which classic scopes the endpoint
// accepts (X-Accepted-OAuth-Scopes, empty when it needs none), as GitHub
// does; gh reads it to explain a refusal.
func setAcceptedScopes(c echo.Context, res policy.Resource) {
	var accepted []string
	for _, s := range policy.Scopes() {
		if res.Scope != "" && policy.HasScope([]string{s}, res.Scope) || res.Repo != nil && res.Repo.Private && s == "repo" {
			accepted = append(accepted, s)
		}
	}
	c.Response().Header().Set("X-Accepted-OAuth-Scopes", strings.Join(accepted, ", "))
}

// APIMeta serves the API's root and /meta.
type Meta struct{}

// Root is GET /api/v3/: GitHub's map of URL templates.
func (Meta) Root(c echo.Context) error {
	api := apiBase(c)
	web := paths.Base(c)
	return render.JSON(c, http.StatusOK, map[string]string{
		"current_user_url":                     api + "/user",
		"current_user_authorizations_html_url": web + paths.AppAuthorizations,
		"authorizations_url":                   api + "/authorizations",
		"code_search_url":                      api + "/search/code?q={query}{&page,per_page,sort,order}",
		"commit_search_url":                    api + "/search/commits?q={query}{&page,per_page,sort,order}",
		"emails_url":                           api + "/user/emails",
		"emojis_url":                           api + "/emojis",
		"events_url":                           api + "/events",
		"feeds_url":                            api + "/feeds",
		"followers_url":                        api + "/user/followers",
		"following_url":                        api + "/user/following{/target}",
		"gists_url":                            api + "/gists{/gist_id}",
		"hub_url":                              api + "/hub",
		"issue_search_url":                     api + "/search/issues?q={query}{&page,per_page,sort,order}",
		"issues_url":                           api + "/issues",
		"keys_url":                             api + "/user/keys",
		"label_search_url":                     api + "/search/labels?q={query}&repository_id={repository_id}{&page,per_page}",
		"notifications_url":                    api + "/notifications",
		"organization_url":                     api + "/orgs/{org}",
		"organization_repositories_url":        api + "/orgs/{org}/repos{?type,page,per_page,sort}",
		"organization_teams_url":               api + "/orgs/{org}/teams",
		"public_gists_url":                     api + "/gists/public",
		"rate_limit_url":                       api + "/rate_limit",
		"repository_url":                       api + "/repos/{owner}/{repo}",
		"repository_search_url":                api + "/search/repositories?q={query}{&page,per_page,sort,order}",
		"current_user_repositories_url":        api + "/user/repos{?type,page,per_page,sort}",
		"starred_url":                          api + "/user/starred{/owner}{/repo}",
		"starred_gists_url":                    api + "/gists/starred",
		"topic_search_url":                     api + "/search/topics?q={query}{&page,per_page}",
		"user_url":                             api + "/users/{user}",
		"user_organizations_url":               api + "/user/orgs",
		"user_repositories_url":                api + "/users/{user}/repos{?type,page,per_page,sort}",
		"user_search_url":                      api + "/search/users?q={query}{&page,per_page,sort,order}",
	})
}

// Meta is GET /api/v3/meta: the server's version, and that a password
// does not authenticate API calls (a token does, even as Basic auth's
// password).
func (Meta) Meta(c echo.Context) error {
	return render.JSON(c, http.StatusOK, struct {
		VerifiablePasswordAuthentication bool   `json:"verifiable_password_authentication"`
		InstalledVersion                 string `json:"installed_version"`
	}{false, EnterpriseVersion})
}
