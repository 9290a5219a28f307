package server_test

import (
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"

	"patpolicy/db/dbtest"

	"patpolicy/server"
)

// proxiedApp is the demo app with the server's configuration changed.
func proxiedApp(t *testing.T, change func(*server.Config), opts ...appOption) *app {
	t.Helper()
	return newAppAt(t, dbtest.Location(t), append(opts, withConfig(change))...)
}

// trusting is a configuration change that trusts the proxies at cidrs.
func trusting(cidrs ...string) func(*server.Config) {
	return func(cfg *server.Config) {
		for _, s := range cidrs {
			cfg.TrustedProxies = append(cfg.TrustedProxies, netip.MustParsePrefix(s))
		}
	}
}

// forwardedFor is a client whose requests arrive through a proxy that says
// they come from xff.
func forwardedFor(a *app, xff string) *client {
	c := a.client()
	c.header.Set("X-Forwarded-For", xff)
	return c
}

// failTwentyTimes makes c fail to sign in 20 times, on 20 accounts (none of
// them reaching its own limit): the limit of one address.
func failTwentyTimes(c *client) {
	c.t.Helper()
	for i := range 20 {
		signInWith(c, fmt.Sprintf("user-%d", i), "wrong").status(http.StatusUnauthorized)
	}
}

// Behind a trusted proxy (the test connects from 127.0.0.1), every client
// is counted under its own address, the one the proxy forwarded for: one
// client's failures lock out that client and not everyone behind the proxy.
func TestBehindATrustedProxyTheSignInLimitCountsEachClient(t *testing.T) {
	a := proxiedApp(t, trusting("127.0.0.0/8"))
	failTwentyTimes(forwardedFor(a, "203.0.113.5"))

	refused(t, signInWith(forwardedFor(a, "203.0.113.5"), "hubot", "demo-password"), 15*time.Minute)
	// What a client writes to the left of what the proxy appended is not
	// believed; further proxies (trusted) to the right are skipped.
	for _, xff := range []string{"198.51.100.9, 203.0.113.5", "203.0.113.5, 127.0.0.2"} {
		refused(t, signInWith(forwardedFor(a, xff), "hubot", "demo-password"), 15*time.Minute)
	}
	signInWith(forwardedFor(a, "203.0.113.6"), "hubot", "demo-password").status(http.StatusSeeOther)
	signInWith(forwardedFor(a, "203.0.113.5, 203.0.113.6"), "mona", "demo-password").status(http.StatusSeeOther)
}

// A sender that is not a trusted proxy cannot choose the address its
// failures count under by writing X-Forwarded-For.
func TestForwardedForFromAnUntrustedSenderIsIgnored(t *testing.T) {
	a := proxiedApp(t, trusting("192.0.2.0/24")) // not the test's 127.0.0.1
	c := a.client()
	for i := range 20 {
		c.header.Set("X-Forwarded-For", fmt.Sprintf("203.0.113.%d", i+1))
		signInWith(c, fmt.Sprintf("user-%d", i), "wrong").status(http.StatusUnauthorized)
	}
	refused(t, signInWith(forwardedFor(a, "198.51.100.1"), "hubot", "demo-password"), 15*time.Minute)
	refused(t, signInWith(a.client(), "hubot", "demo-password"), 15*time.Minute)
}

// apiList asks for the second of three pages of one of octo-org's
// repositories, with the Host header host and other headers.
func apiList(a *app, host string, header http.Header) (*apiResponse, string) {
	a.t.Helper()
	token := a.newFineGrained("octo-owner", "lister", fgSpec{Org: "octo-org", Days: 30})
	header = header.Clone()
	header.Set("Host", host)
	res := a.apiWith(http.MethodGet, "/orgs/octo-org/repos?per_page=1&page=2", token, nil, header).want(http.StatusOK)
	return res, res.Header.Get("Link")
}

func TestAPILinksAndURLsComeFromTheBaseURLNotTheHostHeader(t *testing.T) {
	a := proxiedApp(t, func(cfg *server.Config) { cfg.BaseURL = "https://patpolicy.example" })
	res, link := apiList(a, "evil.example", http.Header{"X-Forwarded-Host": {"evil.example"}, "X-Forwarded-Proto": {"http"}})
	const api = "https://patpolicy.example/api/v3"
	want := `<` + api + `/orgs/octo-org/repos?page=1&per_page=1>; rel="prev", ` +
		`<` + api + `/orgs/octo-org/repos?page=3&per_page=1>; rel="next", ` +
		`<` + api + `/orgs/octo-org/repos?page=3&per_page=1>; rel="last", ` +
		`<` + api + `/orgs/octo-org/repos?page=1&per_page=1>; rel="first"`
	if link != want {
		t.Errorf("Link\n%s\nwant\n%s", link, want)
	}
	var repos []struct {
		URL     string `json:"url"`
		HTMLURL string `json:"html_url"`
	}
	res.decode(&repos)
	if len(repos) != 1 || !strings.HasPrefix(repos[0].URL, api+"/repos/octo-org/") ||
		!strings.HasPrefix(repos[0].HTMLURL, "https://patpolicy.example/octo-org/") {
		t.Errorf("repositories %+v, want URLs under the base URL", repos)
	}
	if strings.Contains(string(res.Body), "evil.example") {
		t.Errorf("the answer names the Host header's host: %s", res.Body)
	}
}

// Without a base URL, links are built from the request; the scheme is the
// connection's unless a trusted proxy says otherwise.
func TestForwardedProtoIsBelievedOnlyFromATrustedProxy(t *testing.T) {
	https := http.Header{"X-Forwarded-Proto": {"https"}}
	for _, tc := range []struct {
		name    string
		proxies []string
		want    string
	}{
		{"no trusted proxies", nil, "<http://patpolicy.example/api/v3/"},
		{"another proxy", []string{"192.0.2.0/24"}, "<http://patpolicy.example/api/v3/"},
		{"the sender is a trusted proxy", []string{"127.0.0.1/32"}, "<https://patpolicy.example/api/v3/"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := proxiedApp(t, trusting(tc.proxies...))
			if _, link := apiList(a, "patpolicy.example", https); !strings.HasPrefix(link, tc.want) {
				t.Errorf("Link %q, want it to start with %q", link, tc.want)
			}
		})
	}
}

// With an https base URL every cookie is Secure, host-only, for the whole
// site, under a __Host- name (which browsers enforce), and browsers are
// told to keep to https.
func TestAnHTTPSBaseURLMakesHostOnlySecureCookiesAndHSTS(t *testing.T) {
	a := proxiedApp(t, func(cfg *server.Config) { cfg.BaseURL = "https://patpolicy.example" }, withTLS())
	c := a.client()
	c.http.Transport = a.srv.Client().Transport
	form := c.get("/login").status(http.StatusOK)
	token := form.attr(`form[action="/login"] input[name="_csrf"]`, "value")
	signedIn := c.post("/login", url.Values{"login": {"octo-owner"}, "password": {"demo-password"}, "_csrf": {token}})
	signedIn.redirectsTo("/")
	var names []string
	for _, p := range []*page{form, signedIn} {
		if got := p.res.Header.Get("Strict-Transport-Security"); got != "max-age=31536000" {
			t.Errorf("%s %s: Strict-Transport-Security %q", p.res.Request.Method, p.res.Request.URL.Path, got)
		}
		for _, ck := range p.res.Cookies() {
			names = append(names, ck.Name)
			if !strings.HasPrefix(ck.Name, "__Host-") || !ck.Secure || ck.Path != "/" || ck.Domain != "" {
				t.Errorf("cookie %s: Secure %v, Path %q, Domain %q; want __Host-, Secure, Path=/, no Domain", ck.Name, ck.Secure, ck.Path, ck.Domain)
			}
		}
	}
	if !strings.Contains(strings.Join(names, " "), "__Host-patpolicy_session") {
		t.Errorf("cookies set: %v, want the session's among them", names)
	}
	// The server reads the cookies by their new names.
	c.get("/settings/organizations").status(http.StatusOK)
}

func TestWithoutAnHTTPSBaseURLThereIsNoHSTS(t *testing.T) {
	a := proxiedApp(t, func(cfg *server.Config) { cfg.BaseURL = "http://patpolicy.example" })
	p := a.client().get("/login").status(http.StatusOK)
	if got := p.res.Header.Get("Strict-Transport-Security"); got != "" {
		t.Errorf("Strict-Transport-Security %q over http", got)
	}
	for _, ck := range p.res.Cookies() {
		if strings.HasPrefix(ck.Name, "__Host-") || ck.Secure {
			t.Errorf("cookie %s (Secure %v) on an http site", ck.Name, ck.Secure)
		}
	}
}
