package api

import (
	"errors"
	"strings"

	"github.com/labstack/echo/v4"

	"patpolicy/db"
	"patpolicy/policy"
)

// needScope is where the resource of a route lives, which says what its
// handler must load before the call can be decided.
type needScope int

const (
	// scopeUnset: a route declared without a need.
	scopeUnset needScope = iota
	// scopeNone: nothing is decided (the API's root, its metadata, the
	// JSON 404); any token or none will do.
	scopeNone
	// scopeAccount: the caller's own account (no organization governs it).
	scopeAccount
	// scopeOrg: an organization's resource, decided in its policy.
	scopeOrg
	// scopeRepo: one repository of an organization, whose privacy decides
	// whether a token is needed at all. A listing of repositories is
	// public; each repository in it is decided on its own.
	scopeRepo
	// scopeEnterprise: an enterprise's settings, for its owners' classic
	// tokens (policy.DecideEnterprise).
	scopeEnterprise
)

// Need is what an API route asks of the call's token. It is declared once,
// in the route table; Requires hands it to the handler, whose decisions
// take their resource from it and from nowhere else.
type Need struct {
	scope    needScope
	resource policy.Resource
	// noToken: the route never looks at a token (see NeedNoToken).
	noToken bool
}

// NeedNothing is a route no token is checked for.
func NeedNothing() Need { return Need{scope: scopeNone} }

// NeedNoToken is a route that takes no token at all: whatever
// Authorization header a call carries is ignored, not checked (revoking
// tokens by value, whose callers hold someone else's secret, maybe a dead
// one, and must not be turned away for it).
func NeedNoToken() Need { return Need{scope: scopeNone, noToken: true} }

// TakesNoToken reports whether the route ignores the call's token: its
// guard is not to authenticate it.
func (n Need) TakesNoToken() bool { return n.noToken }

// NeedPublic is a public resource of an organization (or a user): anyone
// may read it, but a token that is sent must still be good.
func NeedPublic() Need { return Need{scope: scopeOrg, resource: policy.Resource{Public: true}} }

// NeedAccount is a resource of the caller's own account.
func NeedAccount(res policy.Resource) Need { return Need{scope: scopeAccount, resource: res} }

// NeedOrg is a resource of the route's organization.
func NeedOrg(res policy.Resource) Need { return Need{scope: scopeOrg, resource: res} }

// NeedRepo is what a call on one repository needs when the repository is
// private (when it is public, a read needs nothing).
func NeedRepo(res policy.Resource) Need { return Need{scope: scopeRepo, resource: res} }

// NeedEnterpriseOwner is an enterprise owner's classic token with
// admin:enterprise.
func NeedEnterpriseOwner() Need {
	return Need{scope: scopeEnterprise, resource: policy.Resource{Scope: "admin:enterprise", OwnersOnly: true}}
}

// IsZero reports whether n was never set: a route declared without one.
func (n Need) IsZero() bool { return n.scope == scopeUnset }

// resourceFor is the resource decided for a call on repo (nil for the
// organization or the listing itself).
func (n Need) resourceFor(repo *db.Repo) policy.Resource {
	res := n.resource
	if n.scope == scopeRepo {
		if repo == nil {
			return policy.Resource{Public: true}
		}
		res.Repo = &policy.RepoRef{ID: repo.ID, Private: repo.Private}
		res.Public = !repo.Private
	}
	return res
}

// String says the need in GitHub's words, for people reading the routes.
func (n Need) String() string {
	r := n.resource
	var what []string
	if r.Permission != "" {
		level := "read"
		if r.Level == policy.LevelWrite {
			level = "read and write"
		}
		what = append(what, r.Permission+" "+level)
	}
	if r.Scope != "" {
		what = append(what, r.Scope)
	}
	needs := strings.Join(what, ", or ")
	if needs == "" {
		needs = "any token"
	}
	switch {
	case n.scope == scopeNone:
		return "nothing"
	case n.scope == scopeEnterprise:
		return "enterprise owner; classic token with " + r.Scope
	case r.Public:
		return "none (public)"
	case n.scope == scopeRepo && !r.Write:
		return "public: none; private: " + needs
	case r.OwnersOnly:
		return "organization owner; " + needs
	}
	return needs
}

const keyNeed = "api.need"

// Requires is the guard of a route's need: it hands the need to the
// handler. A handler reached without it decides nothing and answers 500:
// a route left out of the table fails closed.
func Requires(n Need) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			c.Set(keyNeed, n)
			return next(c)
		}
	}
}

// errNoNeed is a handler reached without its route's need.
var errNoNeed = errors.New("api: route declares no need")

// needOf is the route's need, as Requires handed it over.
func needOf(c echo.Context) (Need, error) {
	n, ok := c.Get(keyNeed).(Need)
	if !ok || n.IsZero() {
		return Need{}, errNoNeed
	}
	return n, nil
}
