package server_test

// The CSRF token belongs to the session: a token of another session (even
// one of the same user, even with a cookie planted to match it, as a page
// on a sibling subdomain can) is refused, and so is one in the query string
// or a request without one, whatever its Sec-Fetch-Site header says. No
// cookie is set for it.

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"patpolicy/db"
	"patpolicy/db/dbtest"

	"golang.org/x/crypto/bcrypt"

	"patpolicy/policy"
)

// plant puts a cookie for the site in c's browser, as a page on a sibling
// subdomain (the same site) can.
func plant(c *client, name, value string) {
	u, _ := url.Parse(c.app.srv.URL)
	c.http.Jar.SetCookies(u, []*http.Cookie{{Name: name, Value: value, Path: "/"}})
}

// oldCSRFCookie is the cookie the token used to be checked against: a
// token equal to it was accepted, whoever had planted it.
const oldCSRFCookie = "patpolicy_csrf"

func TestCSRFTokenOfAnotherSessionIsRefusedAtSignIn(t *testing.T) {
	a := newApp(t)
	attacker := a.client()
	token := attacker.csrf()
	creds := func(token string) url.Values {
		return url.Values{"_csrf": {token}, "login": {"mona"}, "password": {"demo-password"}}
	}

	victim := a.client()
	victim.get("/login").status(http.StatusOK)
	plant(victim, oldCSRFCookie, token)
	victim.post("/login", creds(token)).status(http.StatusForbidden)
	// A browser that has never been to the site.
	fresh := a.client()
	plant(fresh, oldCSRFCookie, token)
	fresh.post("/login", creds(token)).status(http.StatusForbidden)
	if signedIn(victim) || signedIn(fresh) {
		t.Fatal("signed in with another browser's CSRF token")
	}

	// Each signs in with its own.
	victim.post("/login", creds(victim.csrf())).status(http.StatusSeeOther)
	attacker.post("/login", creds(token)).status(http.StatusSeeOther)
}

func TestCSRFTokenOfAnotherSessionIsRefusedOnASettingsForm(t *testing.T) {
	a := newApp(t)
	owner := a.as("octo-owner")
	before := a.orgPolicy("octo-org")
	action, values := owner.get(patPath).status(http.StatusOK).formOf("form.settings-form")
	own := values.Get("_csrf")
	values.Set("fine_grained_access", "restrict")
	values.Set("confirm", "yes")
	others := map[string]string{
		"another user's":                a.as("mona").csrf(),
		"the same user's other session": a.as("octo-owner").csrf(),
		"a signed-out visitor's":        a.client().csrf(),
	}
	for whose, token := range others {
		if token == own {
			t.Fatalf("%s session has the owner's token", whose)
		}
		plant(owner, oldCSRFCookie, token)
		values.Set("_csrf", token)
		if p := owner.post(action, values); p.res.StatusCode != http.StatusForbidden {
			t.Errorf("with %s token: status %d, want 403", whose, p.res.StatusCode)
		}
	}
	if after := a.orgPolicy("octo-org"); after.Version != before.Version || after.Own != before.Own {
		t.Fatalf("a forged form changed the policy: %+v", after.Own)
	}

	values.Set("_csrf", own)
	owner.post(action, values).status(http.StatusSeeOther)
	if got := a.orgPolicy("octo-org").Own.FineGrained; got != policy.Restrict {
		t.Fatalf("the owner's own token did not save: fine-grained access %v", got)
	}
}

// A form shown before the session ended elsewhere (a new password set from
// the command line) still gets its submitter to the sign-in page, rather
// than a refusal: the browser's cookie and the form agree, and signing in
// is all either can do now.
func TestAFormOfAnEndedSessionLeadsToSignIn(t *testing.T) {
	a := newApp(t)
	owner := a.as("octo-owner")
	action, values := owner.get(patPath).status(http.StatusOK).formOf("form.settings-form")
	hash, _ := bcrypt.GenerateFromPassword([]byte("a new password"), bcrypt.MinCost)
	if err := a.store.SetPassword(context.Background(), "octo-owner", string(hash)); err != nil {
		t.Fatal(err)
	}
	owner.post(action, values).redirectsTo("/login?return_to=" + url.QueryEscape(patPath))
	owner.post("/login", url.Values{"login": {"octo-owner"}, "password": {"a new password"}, "return_to": {patPath}}).
		redirectsTo(patPath)
	// The old form's token went with the old session.
	owner.post(action, values).status(http.StatusForbidden)
}

func TestCSRFTokenInTheQueryStringIsRefused(t *testing.T) {
	a := newApp(t)
	owner := a.as("octo-owner")
	owner.postRaw("/notifications/read?_csrf="+url.QueryEscape(owner.csrf()), "up_to=999999").status(http.StatusForbidden)
	if got := headerLink(owner.get("/notifications")); got != "Notifications (2 unread)" {
		t.Fatalf("marked read with the token in the query: %q", got)
	}
	c := a.client()
	c.postRaw("/login?_csrf="+url.QueryEscape(c.csrf()), "login=mona&password=demo-password").status(http.StatusForbidden)
	if signedIn(c) {
		t.Fatal("signed in with the token in the query")
	}
}

func TestCSRFTokenInAHeaderIsAccepted(t *testing.T) {
	a := newApp(t)
	owner := a.as("octo-owner")
	send := func(token string) *page {
		req, _ := http.NewRequest(http.MethodPost, a.srv.URL+"/notifications/read", strings.NewReader("up_to=999999"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-CSRF-Token", token)
		return owner.do(req)
	}
	send(a.as("mona").csrf()).status(http.StatusForbidden)
	send(owner.csrf()).redirectsTo("/notifications")
}

func TestSameOriginRequestsStillNeedTheCSRFToken(t *testing.T) {
	a := newApp(t)
	owner := a.as("octo-owner")
	owner.header.Set("Sec-Fetch-Site", "same-origin")
	owner.postRaw("/notifications/read", "up_to=999999").status(http.StatusForbidden)
	owner.post("/notifications/read", url.Values{"_csrf": {""}, "up_to": {"999999"}}).status(http.StatusForbidden)
	// A sibling subdomain is the same site, not the same origin: refused
	// even with the right token.
	owner.header.Set("Sec-Fetch-Site", "same-site")
	owner.post("/notifications/read", url.Values{"up_to": {"999999"}}).status(http.StatusForbidden)
	if got := headerLink(owner.get("/notifications")); got != "Notifications (2 unread)" {
		t.Fatalf("marked read without a token, or from a sibling site: %q", got)
	}
	owner.header.Set("Sec-Fetch-Site", "same-origin")
	owner.post("/notifications/read", url.Values{"up_to": {"999999"}}).redirectsTo("/notifications")

	c := a.client()
	c.header.Set("Sec-Fetch-Site", "same-origin")
	c.postRaw("/login", "login=mona&password=demo-password").status(http.StatusForbidden)
	if signedIn(c) {
		t.Fatal("signed in without a token")
	}
}

func TestNoCSRFCookieIsSet(t *testing.T) {
	a := newApp(t)
	c := a.client()
	check := func(p *page) {
		t.Helper()
		for _, ck := range p.res.Cookies() {
			if strings.Contains(strings.ToLower(ck.Name), "csrf") {
				t.Errorf("%s %s sets cookie %s", p.res.Request.Method, p.res.Request.URL.Path, ck.Name)
			}
		}
	}
	check(c.get("/login").status(http.StatusOK))
	check(signInWith(c, "octo-owner", "demo-password").status(http.StatusSeeOther))
	check(c.get(patPath).status(http.StatusOK))
	check(c.post("/logout", url.Values{}).status(http.StatusSeeOther))
}

// Static files are public and cached (a shared cache would hand a cookie
// set on one to everyone): no response for one sets a cookie, not even the
// session's renewal, due here since the session was last used two hours
// ago.
func TestStaticResponsesSetNoCookie(t *testing.T) {
	path := dbtest.Location(t)
	a := newAppAt(t, path)
	owner := a.as("octo-owner")
	raw, err := db.OpenRaw(path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	twoHoursAgo := time.Now().Add(-2 * time.Hour).UTC().Format("2006-01-02T15:04:05.000000Z")
	if _, err := raw.Exec(`UPDATE sessions SET last_seen_at = ?`, twoHoursAgo); err != nil {
		t.Fatal(err)
	}
	for who, c := range map[string]*client{"a new visitor": a.client(), "a signed-in user": owner} {
		for file, status := range map[string]int{"/static/app.css": http.StatusOK, "/static/missing.css": http.StatusNotFound} {
			p := c.get(file).status(status)
			if set := p.res.Header.Values("Set-Cookie"); len(set) > 0 {
				t.Errorf("%s sets cookies for %s: %q", file, who, set)
			}
		}
	}
	// The next page renews the session, as it should.
	if p := owner.get(patPath).status(http.StatusOK); len(p.res.Cookies()) == 0 {
		t.Error("the session was not renewed on the next page")
	}
}
