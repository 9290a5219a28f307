package api

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/labstack/echo/v4"

	"patpolicy/db"
	"patpolicy/policy"
)

// A handler reached without its route's need decides nothing: it fails
// with a 500 rather than letting the call through.
func TestAHandlerWithoutItsNeedFailsClosed(t *testing.T) {
	e := echo.New()
	c := e.NewContext(httptest.NewRequest(http.MethodGet, Prefix+"/user", nil), httptest.NewRecorder())
	err := Resources{}.User(c)
	if !errors.Is(err, errNoNeed) {
		t.Fatalf("User without a need: %v, want errNoNeed", err)
	}
	if got := ErrorFrom(err).Status; got != http.StatusInternalServerError {
		t.Fatalf("answered %d, want 500", got)
	}
}

// A repository's need decides a private repository on the need's
// resource, a public one as public, and the listing itself as public.
func TestRepoNeedFollowsTheRepository(t *testing.T) {
	n := NeedRepo(policy.Resource{Write: true, Permission: "issues", Level: policy.LevelWrite, Scope: "repo"})
	private := n.resourceFor(&db.Repo{ID: 7, Private: true})
	if private.Public || private.Repo == nil || private.Repo.ID != 7 || !private.Write || private.Scope != "repo" {
		t.Fatalf("private repository: %+v", private)
	}
	if public := n.resourceFor(&db.Repo{ID: 8}); !public.Public || public.Repo == nil || public.Repo.Private {
		t.Fatalf("public repository: %+v", public)
	}
	if listing := n.resourceFor(nil); listing != (policy.Resource{Public: true}) {
		t.Fatalf("listing: %+v", listing)
	}
}

// Each need says what it asks in GitHub's words.
func TestNeedsSayWhatTheyAsk(t *testing.T) {
	for _, c := range []struct {
		need Need
		want string
	}{
		{NeedNothing(), "nothing"},
		{NeedPublic(), "none (public)"},
		{NeedAccount(policy.Resource{}), "any token"},
		{NeedAccount(policy.Resource{Permission: policy.GitSSHKeys, Level: policy.LevelRead, Scope: "read:public_key"}),
			policy.GitSSHKeys + " read, or read:public_key"},
		{NeedOrg(policy.Resource{Permission: "organization_administration", Level: policy.LevelWrite, Scope: "admin:org", OwnersOnly: true}),
			"organization owner; organization_administration read and write, or admin:org"},
		{NeedRepo(policy.Resource{Permission: policy.Metadata, Level: policy.LevelRead}),
			"public: none; private: " + policy.Metadata + " read"},
		{NeedEnterpriseOwner(), "enterprise owner; classic token with admin:enterprise"},
	} {
		if got := c.need.String(); got != c.want {
			t.Errorf("%#v: %q, want %q", c.need, got, c.want)
		}
		if c.need.IsZero() {
			t.Errorf("%q is zero", c.want)
		}
	}
	if !(Need{}).IsZero() {
		t.Error("an unset need is not zero")
	}
}
