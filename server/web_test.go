package server_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"patpolicy/handlers"
	"patpolicy/policy"
	"patpolicy/web/paths"
)

func TestCSRF(t *testing.T) {
	a := newApp(t)
	c := a.as("octo-owner")
	form := c.get(patPath)
	_, values := form.formOf("form.settings-form")
	values.Set("fine_grained_access", "restrict")
	values.Set("confirm", "yes")

	noToken := url.Values{}
	for k, v := range values {
		noToken[k] = v
	}
	noToken.Set("_csrf", "")
	c.postRaw(patPath, noToken.Encode()).status(http.StatusForbidden).contains("main", "could not be verified")
	noToken.Set("_csrf", "forged-token-value-forged-token-v")
	c.postRaw(patPath, noToken.Encode()).status(http.StatusForbidden)

	// A browser marks a cross-site submission; it is refused even with a
	// valid token.
	c.header.Set("Sec-Fetch-Site", "cross-site")
	c.post(patPath, values).status(http.StatusForbidden)
	c.header.Del("Sec-Fetch-Site")

	if p := a.orgPolicy("octo-org"); p.Own.FineGrained != policy.Allow {
		t.Fatal("a refused submission changed the settings")
	}
	c.post(patPath, values).redirectsTo(patPath)
	if p := a.orgPolicy("octo-org"); p.Own.FineGrained != policy.Restrict {
		t.Fatal("a valid submission was not applied")
	}
}

func TestOversizedBodyIs413(t *testing.T) {
	a := newApp(t)
	c := a.as("octo-owner")
	body := "_csrf=" + c.csrf() + "&fine_grained_access=restrict&pad=" + strings.Repeat("x", 70*1024)
	c.postRaw(patPath, body).status(http.StatusRequestEntityTooLarge)
	if p := a.orgPolicy("octo-org"); p.Own.FineGrained != policy.Allow {
		t.Fatal("an oversized submission changed the settings")
	}
}

func TestSecurityHeadersAndCookies(t *testing.T) {
	a := newApp(t)
	c := a.client()
	p := c.get("/login").status(http.StatusOK)
	csp := p.res.Header.Get("Content-Security-Policy")
	for _, want := range []string{"script-src 'self'", "frame-ancestors 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe-inline") {
		t.Errorf("CSP allows inline code: %q", csp)
	}
	if p.res.Header.Get("X-Content-Type-Options") != "nosniff" || p.res.Header.Get("Referrer-Policy") == "" {
		t.Errorf("headers: %v", p.res.Header)
	}
	if p.doc.Find("script:not([src])").Length() != 0 {
		t.Error("page has an inline script")
	}

	res := c.post("/login", url.Values{"login": {"mona"}, "password": {"demo-password"}})
	res.status(http.StatusSeeOther)
	var session *http.Cookie
	for _, ck := range res.res.Cookies() {
		if ck.Name == "patpolicy_session" {
			session = ck
		}
	}
	if session == nil || !session.HttpOnly || session.SameSite != http.SameSiteLaxMode || session.Secure {
		t.Fatalf("session cookie %+v", session)
	}
}

func TestSignIn(t *testing.T) {
	a := newApp(t)
	c := a.client()
	bad := c.post("/login", url.Values{"login": {"mona"}, "password": {"wrong"}}).status(http.StatusUnauthorized)
	bad.contains(`[role="alert"]`, "Incorrect username or password.")
	if v, _ := bad.doc.Find("#login").Attr("value"); v != "mona" {
		t.Errorf("login not kept: %q", v)
	}
	c.post("/login", url.Values{"login": {"nobody"}, "password": {"demo-password"}}).status(http.StatusUnauthorized)

	// Sign in by email address, returning where the visitor was going.
	target := "/organizations/octo-org/settings/audit-log?action=" + url.QueryEscape(policy.ActionFineGrainedOptIn)
	redirect := a.client().get(target).redirectsTo("/login?return_to=")
	loc, _ := url.Parse(redirect.res.Header.Get("Location"))
	c.post("/login", url.Values{"login": {"octo-owner@example.com"}, "password": {"demo-password"}, "return_to": {loc.Query().Get("return_to")}}).
		redirectsTo(target)

	// The session is replaced on sign-in: a cookie from before is not it.
	before := cookie(c, "patpolicy_session")
	c.post("/login", url.Values{"login": {"octo-owner"}, "password": {"demo-password"}}).status(http.StatusSeeOther)
	if after := cookie(c, "patpolicy_session"); after == before {
		t.Error("the session cookie did not change on sign-in")
	}

	c.post("/logout", url.Values{}).redirectsTo("/login")
	c.get("/settings/organizations").redirectsTo("/login")
}

func cookie(c *client, name string) string {
	u, _ := url.Parse(c.app.srv.URL)
	for _, ck := range c.http.Jar.Cookies(u) {
		if ck.Name == name {
			return ck.Value
		}
	}
	return ""
}

func TestSafeReturnTo(t *testing.T) {
	cases := map[string]string{
		"":                         paths.Home,
		"/organizations/octo-org":  "/organizations/octo-org",
		"/a?b=c":                   "/a?b=c",
		"//evil.example/x":         paths.Home,
		"/\\evil.example":          paths.Home,
		"https://evil.example/":    paths.Home,
		"javascript:alert(1)":      paths.Home,
		"evil.example":             paths.Home,
		"/login":                   paths.Home,
		"/%0d%0aSet-Cookie:%20x=y": paths.Home,
		"/ok\r\nSet-Cookie: x=y":   paths.Home,
		// Decoded, these start with "//" or "/\\", hold a backslash or a
		// control character, or have dot segments a browser removes.
		"/%2F%2Fevil.example/{":        paths.Home,
		"/%252F%252Fevil.example":      paths.Home,
		"/%25252F%25252Fevil.example":  paths.Home,
		"/%5Cevil.example":             paths.Home,
		"/a/%5C":                       paths.Home,
		"/%09/evil.example":            paths.Home,
		"/..//evil.example":            paths.Home,
		"/a/%2e%2e//evil.example":      paths.Home,
		"/a/./b":                       paths.Home,
		"/%ff":                         paths.Home,
		"/a?b=\\":                      paths.Home,
		"/%25252525252F%25252525252Fx": paths.Home,
		// Encoded characters that decode to nothing dangerous stay, and
		// the query keeps its own encoding.
		"/orgs/a%20b":           "/orgs/a%20b",
		"/a?q=100%25&r=%2F%2Fx": "/a?q=100%25&r=%2F%2Fx",
		"/a/b/":                 "/a/b/",
		"/a#//evil.example":     "/a",
		"/a..b/.c/":             "/a..b/.c/",
	}
	for in, want := range cases {
		if got := handlers.SafeReturnTo(in); got != want {
			t.Errorf("SafeReturnTo(%q) = %q, want %q", in, got, want)
		}
	}
	// Through the form: a forged return_to lands at home.
	a := newApp(t)
	if loc := a.client().post("/login", url.Values{"login": {"mona"}, "password": {"demo-password"}, "return_to": {"//evil.example"}}).
		status(http.StatusSeeOther).location(); loc != paths.Home {
		t.Errorf("a forged return_to lands at %q, want %q", loc, paths.Home)
	}
}

func TestHeaderMenuAndLists(t *testing.T) {
	a := newApp(t)
	mona := a.as("mona").get("/settings/organizations").status(http.StatusOK)
	if mona.doc.Find(`summary[aria-label="Open user navigation menu"]`).Length() != 1 {
		t.Fatal("no user menu")
	}
	if mona.doc.Find(`a[href="/settings/enterprises"]`).Length() != 0 {
		t.Error("a non-owner sees Your enterprises")
	}
	if n := mona.doc.Find("main li").Length(); n != 2 {
		t.Errorf("mona sees %d organizations, want 2", n)
	}
	if mona.doc.Find(`main a:contains("Settings")`).Length() != 0 {
		t.Error("a member sees Settings links")
	}
	owner := a.as("octo-owner").get("/settings/organizations")
	link := owner.doc.Find(`main li:contains("octo-org") a`).FilterFunction(func(_ int, s *goquery.Selection) bool { return s.Text() == "Settings" })
	if href, _ := link.Attr("href"); href != "/organizations/octo-org/settings/profile" {
		t.Errorf("octo-org Settings link = %q", href)
	}
	admin := a.as("ent-admin").get("/settings/enterprises").status(http.StatusOK)
	if admin.doc.Find(`header a[href="/settings/enterprises"]`).Length() != 1 {
		t.Error("an enterprise owner lacks Your enterprises")
	}
	if href, _ := admin.doc.Find(`main a:contains("Octo Enterprise")`).Attr("href"); href != "/enterprises/octo-ent/settings/personal-access-tokens" {
		t.Errorf("enterprise link = %q", href)
	}
	nav := a.as("octo-owner").get(patPath).doc.Find(`nav[aria-label="Organization settings"]`)
	if cur := nav.Find(`[aria-current="page"]`); cur.Length() != 1 || cur.Text() != "Settings" {
		t.Errorf("current nav link: %d %q", cur.Length(), cur.Text())
	}
	if n := nav.Find("a").FilterFunction(func(_ int, s *goquery.Selection) bool { return s.Text() == "Settings" }).Length(); n != 1 {
		t.Errorf("%d links named Settings in the nav", n)
	}
}

func TestUserTextIsEscaped(t *testing.T) {
	a := newApp(t)
	name := `<script>alert("x")</script><img src=x onerror=alert(1)>`
	a.addOwner("evil", "evil-org", name)
	c := a.as("evil")
	for _, path := range []string{"/settings/organizations", "/organizations/evil-org/settings/profile"} {
		p := c.get(path).status(http.StatusOK)
		if p.doc.Find("main script, main img").Length() != 0 || strings.Contains(p.body, "<script>alert") {
			t.Errorf("%s renders the name as markup", path)
		}
		if !strings.Contains(p.text("main"), name) {
			t.Errorf("%s does not show the name as text", path)
		}
	}
}

func TestFriendlyErrors(t *testing.T) {
	a := newApp(t)
	p := a.client().get("/no/such/page").status(http.StatusNotFound)
	p.contains("h1", "Page not found")
	if a.client().get("/healthz").body != "ok" {
		t.Error("healthz")
	}
}

func TestChunkedOversizedBodyIs413(t *testing.T) {
	a := newApp(t)
	c := a.as("octo-owner")
	body := "_csrf=" + c.csrf() + "&fine_grained_access=restrict&pad=" + strings.Repeat("x", 70*1024)
	// No Content-Length: the limit must hold while reading.
	req, _ := http.NewRequest(http.MethodPost, a.srv.URL+patPath, io.NopCloser(strings.NewReader(body)))
	req.ContentLength = -1
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	c.do(req).status(http.StatusRequestEntityTooLarge)
	c.postRaw(patPath, "_csrf=%zz&fine_grained_access=restrict").status(http.StatusBadRequest)
	if p := a.orgPolicy("octo-org"); p.Own.FineGrained != policy.Allow {
		t.Fatal("a refused submission changed the settings")
	}
}

func TestStaticFiles(t *testing.T) {
	a := newApp(t)
	p := a.client().get("/static/app.css").status(http.StatusOK)
	if !strings.Contains(p.res.Header.Get("Content-Type"), "text/css") || !strings.Contains(p.body, ".side-nav") {
		t.Fatalf("app.css: %s", p.res.Header.Get("Content-Type"))
	}
	a.client().get("/static/").status(http.StatusNotFound)
	a.client().get("/static/static.go").status(http.StatusNotFound)
}

// FuzzSafeReturnTo: whatever is typed, the path kept is one of this site,
// however far it is decoded, and keeping it again changes nothing.
func FuzzSafeReturnTo(f *testing.F) {
	for _, s := range []string{
		"/organizations/octo-org?x=1", "/%2F%2Fevil.example/{", "/%252F%252Fevil.example", "/%5Cevil.example",
		"/a/..//evil.example", "/%2e%2e//x", "//evil.example", "/\t/evil.example", "/a?b=%2F%2Fc#d",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := handlers.SafeReturnTo(s)
		if why := offSite("https://site.example", out); why != "" {
			t.Fatalf("SafeReturnTo(%q) = %q, which %s", s, out, why)
		}
		if again := handlers.SafeReturnTo(out); again != out {
			t.Fatalf("SafeReturnTo(%q) = %q, but SafeReturnTo(%q) = %q", s, out, out, again)
		}
	})
}
