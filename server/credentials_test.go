package server_test

import (
	"crypto/rand"
	"fmt"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"testing"

	"patpolicy/db/dbtest"
	"patpolicy/handlers/api"
	"patpolicy/policy"
	"patpolicy/server"
)

// revoke calls POST /credentials/revoke from the test's address with
// values, and with token as its Authorization ("" for none).
func (a *app) revoke(token string, values ...string) *apiResponse {
	a.t.Helper()
	return a.api(http.MethodPost, "/credentials/revoke", token, map[string]any{"credentials": values})
}

// Anyone may revoke a token by its value, fine-grained or classic, without
// signing in: the token is refused at once, on every instance, its owner is
// told (never the secret), and each organization it reached logs it.
func TestRevokeByValueDeletesNotifiesAndAudits(t *testing.T) {
	a := newApp(t)
	b := a.twin()
	fine := a.newFineGrained("mona", "leaked-fine", fgSpec{Org: "octo-org"})
	classic := a.newClassic("mona", "leaked-classic", 30, "repo")
	kept := a.newClassic("mona", "kept", 30, "repo")
	// Both instances know the tokens (and cache them) before the revocation.
	for _, s := range []string{fine, classic, kept} {
		b.api(http.MethodGet, "/user", s, nil).want(http.StatusOK)
	}
	unknown, _ := policy.GenerateToken(policy.KindClassic, rand.Reader)
	res := a.revoke("", fine, classic, unknown, "not a token", fine).want(http.StatusAccepted)
	if got := strings.TrimSpace(string(res.Body)); got != "{}" {
		t.Fatalf("body %q, want {}", got)
	}
	for _, s := range []string{fine, classic} {
		b.api(http.MethodGet, "/user", s, nil).want(http.StatusUnauthorized)
		a.api(http.MethodGet, "/user", s, nil).want(http.StatusUnauthorized)
	}
	b.api(http.MethodGet, "/user", kept, nil).want(http.StatusOK)
	if _, ok := a.findToken("mona", "leaked-fine"); ok {
		t.Fatal("the fine-grained token is still stored")
	}

	var told []string
	for _, n := range a.notifications("mona") {
		if strings.Contains(n.Message, "reported as exposed") {
			told = append(told, n.Message)
			for _, s := range []string{fine, classic} {
				if strings.Contains(n.Message, s) || strings.Contains(n.Message, s[:16]) {
					t.Fatalf("a notice holds the secret: %q", n.Message)
				}
			}
		}
	}
	if len(told) != 2 {
		t.Fatalf("mona was told %d times, want 2 (one per token): %q", len(told), told)
	}
	// The fine-grained token's organization logs it once; the classic
	// token's owner's organizations each log it.
	evs := a.audit("octo-org", policy.ActionCredentialRevoked)
	if len(evs) != 2 {
		t.Fatalf("octo-org logged %d revocations, want 2: %+v", len(evs), evs)
	}
	for _, e := range evs {
		if e.ActorLogin != "" {
			t.Errorf("revocation logged with actor %q, want none", e.ActorLogin)
		}
	}
	solo := a.audit("solo-org", policy.ActionCredentialRevoked)
	if len(solo) != 1 || !strings.Contains(solo[0].Details, "leaked-classic") {
		t.Fatalf("solo-org logged %+v, want the classic token's revocation", solo)
	}
	// Owners read it in the audit log.
	a.as("octo-owner").get("/organizations/octo-org/settings/audit-log?action="+policy.ActionCredentialRevoked).
		status(http.StatusOK).contains("table", "leaked-fine")
}

// The call takes no authentication: a good token, a dead one and a
// malformed header are all ignored, and the values are revoked.
func TestRevokeByValueIgnoresAuthorization(t *testing.T) {
	a := newApp(t)
	mine := a.newClassic("hubot", "mine", 30, "repo")
	for i, auth := range []string{"Bearer " + mine, "Bearer ghp_notatoken", "Basic !!!", "Strange thing"} {
		leaked := a.newClassic("mona", fmt.Sprint("leaked-", i), 30, "repo")
		a.apiWith(http.MethodPost, "/credentials/revoke", "", map[string]any{"credentials": []string{leaked}},
			http.Header{"Authorization": {auth}}).want(http.StatusAccepted)
		a.api(http.MethodGet, "/user", leaked, nil).want(http.StatusUnauthorized)
	}
	a.api(http.MethodGet, "/user", mine, nil).want(http.StatusOK)
}

// A body that is not GitHub's shape is 422 in GitHub's error shape, and
// revokes nothing.
func TestRevokeByValueRefusesOtherShapes(t *testing.T) {
	a := newApp(t)
	secret := a.newClassic("mona", "kept", 30, "repo")
	many := make([]string, policy.MaxCredentials+1)
	for i := range many {
		many[i] = secret
	}
	for name, body := range map[string]any{
		"no list":       map[string]any{},
		"empty list":    map[string]any{"credentials": []string{}},
		"1001 values":   map[string]any{"credentials": many},
		"not strings":   `{"credentials": [1, 2]}`,
		"not a list":    `{"credentials": "` + secret + `"}`,
		"another field": `{"credentials": ["` + secret + `"], "tokens": []}`,
		"not an object": `["` + secret + `"]`,
	} {
		res := a.api(http.MethodPost, "/credentials/revoke", "", body).want(http.StatusUnprocessableEntity)
		if res.message() != "Validation Failed" {
			t.Errorf("%s: message %q", name, res.message())
		}
	}
	a.api(http.MethodGet, "/user", secret, nil).want(http.StatusOK)
	// A body beyond what a thousand secrets need is refused unread.
	huge := `{"credentials": ["` + strings.Repeat("a", api.CredentialsBodyLimit) + `"]}`
	a.api(http.MethodPost, "/credentials/revoke", "", huge).want(http.StatusRequestEntityTooLarge)
}

// A thousand values, the most one call takes, are revoked in one call:
// those that are tokens go, the rest are ignored.
func TestRevokeByValueTakesAThousand(t *testing.T) {
	a := newApp(t)
	values := make([]string, 0, policy.MaxCredentials)
	var secrets []string
	for i := range 20 {
		s := a.newFineGrained("hubot", fmt.Sprint("t", i), fgSpec{})
		secrets = append(secrets, s)
		values = append(values, s)
	}
	for len(values) < policy.MaxCredentials {
		s, err := policy.GenerateToken(policy.KindFineGrained, rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		values = append(values, s)
	}
	a.revoke("", values...).want(http.StatusAccepted)
	for _, s := range secrets {
		a.api(http.MethodGet, "/user", s, nil).want(http.StatusUnauthorized)
	}
}

// At most 60 calls an hour from one address, counted in the database: the
// 61st is 429 with GitHub's headers, whichever instance it reaches, and
// another address is not affected.
func TestRevokeByValueIsLimitedPerAddressAcrossInstances(t *testing.T) {
	proxies := withConfig(func(c *server.Config) { c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")} })
	a := newAppAt(t, dbtest.Location(t), proxies)
	b := a.twin()
	from := func(on *app, address string) *apiResponse {
		return on.apiWith(http.MethodPost, "/credentials/revoke", "", map[string]any{"credentials": []string{"nothing"}},
			http.Header{"X-Forwarded-For": {address}})
	}
	for i := range 60 {
		on := a
		if i%2 == 1 {
			on = b
		}
		res := from(on, "198.51.100.7").want(http.StatusAccepted)
		if got, want := res.Header.Get("X-RateLimit-Remaining"), strconv.Itoa(59-i); got != want {
			t.Fatalf("call %d: X-RateLimit-Remaining %q, want %q", i+1, got, want)
		}
	}
	for _, on := range []*app{a, b} {
		res := from(on, "198.51.100.7").want(http.StatusTooManyRequests)
		if res.Header.Get("Retry-After") == "" || res.Header.Get("X-RateLimit-Limit") != "60" || res.Header.Get("X-RateLimit-Remaining") != "0" {
			t.Fatalf("429 headers: %v", res.Header)
		}
		if !strings.Contains(res.message(), "rate limit exceeded") {
			t.Fatalf("429 message %q", res.message())
		}
	}
	from(b, "198.51.100.8").want(http.StatusAccepted)
}

// The endpoint answers as GitHub's published description says: a body made
// from its schema is taken, 202 and 422 have their shapes.
func TestOpenAPICredentialsRevoke(t *testing.T) {
	d := loadSpec(t)
	a := newApp(t)
	body := d.exampleOf(t, d.requestSchema(t, "POST", "/credentials/revoke")).(map[string]any)
	wantSpec(d, t, "POST", "/credentials/revoke", a.api(http.MethodPost, "/credentials/revoke", "", body), 202)
	wantSpec(d, t, "POST", "/credentials/revoke", a.revoke(""), 422)
}
