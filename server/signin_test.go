package server_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"golang.org/x/crypto/bcrypt"

	"patpolicy/handlers"
	"patpolicy/signin"
)

// fakeClock is a clock that moves only when told. It starts at the real
// time, since the server checks sessions by the real clock.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Now().Truncate(time.Second)}
}

func (f *fakeClock) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fakeClock) Advance(d time.Duration) {
	f.mu.Lock()
	f.now = f.now.Add(d)
	f.mu.Unlock()
}

// limitedApp is the demo app whose sign-in routes are served by an Auth
// with the default limits on clock: the routes are registered again on the
// app's own Echo, so every middleware (sessions, CSRF, user loading) stays.
func limitedApp(t *testing.T, clock *fakeClock) *app {
	t.Helper()
	a := newApp(t)
	auth := handlers.SignIn{
		Store:     a.store,
		DummyHash: []byte(passwordHash("not a password")),
		Limiter:   signin.NewLimiter(a.store, signin.DefaultLimits(), clock.Now),
		Now:       clock.Now,
	}
	e, ok := a.srv.Config.Handler.(*echo.Echo)
	if !ok {
		t.Fatalf("the app's handler is a %T, not an *echo.Echo", a.srv.Config.Handler)
	}
	e.GET("/login", auth.LoginForm)
	e.POST("/login", auth.Login)
	e.POST("/logout", auth.Logout)
	return a
}

func signInWith(c *client, login, password string) *page {
	c.t.Helper()
	return c.post("/login", url.Values{"login": {login}, "password": {password}})
}

// refused checks a 429 sign-in page: Retry-After (seconds) within (0, max],
// the message in the alert, and no session started.
func refused(t *testing.T, p *page, atMost time.Duration) int {
	t.Helper()
	p.status(http.StatusTooManyRequests)
	secs, err := strconv.Atoi(p.res.Header.Get("Retry-After"))
	if err != nil || secs <= 0 || time.Duration(secs)*time.Second > atMost {
		t.Fatalf("Retry-After %q, want seconds in (0, %v]", p.res.Header.Get("Retry-After"), atMost)
	}
	p.contains(`[role="alert"]`, "Too many failed sign-in attempts. Try again in")
	for _, ck := range p.res.Cookies() {
		if ck.Name == "patpolicy_session" {
			t.Fatalf("a refused sign-in set a session cookie: %v", ck)
		}
	}
	// The form is still there, with the login kept.
	if p.doc.Find(`form[action="/login"] #password`).Length() != 1 {
		t.Fatal("the 429 page has no sign-in form")
	}
	return secs
}

func signedIn(c *client) bool {
	c.t.Helper()
	p := c.get("/settings/organizations")
	return p.res.StatusCode == http.StatusOK
}

func TestSignInLimitPerAccount(t *testing.T) {
	clock := newFakeClock()
	a := limitedApp(t, clock)
	c := a.client()
	// Five failures for mona, under her login in any case and her email
	// address: one account, one count.
	for _, login := range []string{"mona", "MONA", "Mona", "mona@example.com", "MONA@EXAMPLE.COM"} {
		signInWith(c, login, "wrong").status(http.StatusUnauthorized).contains(`[role="alert"]`, "Incorrect username or password.")
	}
	// Now even the right password is refused, without being checked.
	p := refused(t, signInWith(c, "mona", "demo-password"), 15*time.Minute)
	if p < 14*60 {
		t.Errorf("Retry-After %d s right after the fifth failure, want about 15 minutes", p)
	}
	if v, _ := signInWith(c, "mona", "demo-password").doc.Find("#login").Attr("value"); v != "mona" {
		t.Errorf("login not kept on the 429 page: %q", v)
	}
	if signedIn(c) {
		t.Fatal("signed in while refused")
	}
	// Another client, same address: still mona's limit.
	refused(t, signInWith(a.client(), "mona@example.com", "demo-password"), 15*time.Minute)
	// Other accounts from the same address are not limited by mona's.
	signInWith(a.client(), "hubot", "demo-password").status(http.StatusSeeOther)

	// An unknown login is limited exactly as a known one.
	for range 5 {
		signInWith(c, "nobody-here", "wrong").status(http.StatusUnauthorized)
	}
	refused(t, signInWith(c, "NOBODY-HERE", "wrong"), 15*time.Minute)
}

func TestSignInLimitExpires(t *testing.T) {
	clock := newFakeClock()
	a := limitedApp(t, clock)
	c := a.client()
	for range 5 {
		signInWith(c, "mona", "wrong").status(http.StatusUnauthorized)
	}
	clock.Advance(10 * time.Minute)
	if secs := refused(t, signInWith(c, "mona", "demo-password"), 5*time.Minute); secs != 300 {
		t.Errorf("Retry-After %d ten minutes into the window, want 300", secs)
	}
	p := signInWith(c, "mona", "demo-password")
	p.contains(`[role="alert"]`, "Try again in 5 minutes.")
	clock.Advance(4*time.Minute + 59*time.Second)
	refused(t, signInWith(c, "mona", "demo-password"), time.Second)
	clock.Advance(time.Second)
	signInWith(c, "mona", "demo-password").status(http.StatusSeeOther)
	if !signedIn(c) {
		t.Fatal("not signed in once the limit ended")
	}
}

func TestSignInSuccessClearsTheAccountsCount(t *testing.T) {
	clock := newFakeClock()
	a := limitedApp(t, clock)
	c := a.client()
	for round := range 3 {
		for range 4 {
			signInWith(c, "mona", "wrong").status(http.StatusUnauthorized)
		}
		signInWith(c, "mona", "demo-password").status(http.StatusSeeOther)
		if !signedIn(c) {
			t.Fatalf("round %d: not signed in", round)
		}
	}
	// Without the success, the fifth failure locks.
	for range 5 {
		signInWith(c, "mona", "wrong").status(http.StatusUnauthorized)
	}
	refused(t, signInWith(c, "mona", "demo-password"), 15*time.Minute)
}

func TestSignInLimitPerAddress(t *testing.T) {
	clock := newFakeClock()
	a := limitedApp(t, clock)
	c := a.client()
	// Successes do not count against the address.
	for range 25 {
		signInWith(c, "octo-owner", "demo-password").status(http.StatusSeeOther)
	}
	// Twenty failures on twenty accounts (none of them at its own limit),
	// each claiming another address in X-Forwarded-For, which is not
	// believed: the connection's address is what counts.
	for i := range 20 {
		c.header.Set("X-Forwarded-For", fmt.Sprintf("203.0.113.%d", i+1))
		signInWith(c, fmt.Sprintf("user-%d", i), "wrong").status(http.StatusUnauthorized)
	}
	secs := refused(t, signInWith(c, "hubot", "demo-password"), 15*time.Minute)
	c.header.Del("X-Forwarded-For")
	refused(t, signInWith(a.client(), "octo-owner", "demo-password"), 15*time.Minute)
	clock.Advance(time.Duration(secs) * time.Second)
	signInWith(a.client(), "hubot", "demo-password").status(http.StatusSeeOther)
}

// Concurrent guesses for one account: no more than the limit get their
// password checked, however many arrive at once.
func TestSignInLimitHoldsUnderConcurrentGuesses(t *testing.T) {
	clock := newFakeClock()
	a := limitedApp(t, clock)
	c := a.client()
	form := url.Values{"login": {"mona"}, "password": {"wrong"}, "_csrf": {c.csrf()}}.Encode()
	codes := make(chan int, 30)
	var wg sync.WaitGroup
	for range 30 {
		wg.Go(func() {
			req, _ := http.NewRequest(http.MethodPost, a.srv.URL+"/login", strings.NewReader(form))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			res, err := c.http.Do(req)
			if err != nil {
				codes <- 0
				return
			}
			res.Body.Close()
			codes <- res.StatusCode
		})
	}
	wg.Wait()
	close(codes)
	count := map[int]int{}
	for code := range codes {
		count[code]++
	}
	if count[http.StatusUnauthorized] != 5 || count[http.StatusTooManyRequests] != 25 {
		t.Fatalf("statuses %v, want 5 × 401 and 25 × 429", count)
	}
}

// The server as web.New builds it limits sign-ins.
func TestServerLimitsSignIns(t *testing.T) {
	a := newApp(t)
	c := a.client()
	for range 5 {
		signInWith(c, "mona", "wrong").status(http.StatusUnauthorized)
	}
	p := signInWith(c, "mona", "demo-password")
	if p.res.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("sixth attempt: status %d, want 429: is handlers.SignIn.Limiter set where the server builds the routes?", p.res.StatusCode)
	}
	refused(t, p, 15*time.Minute)
}

func TestClientAddress(t *testing.T) {
	cases := map[string]string{
		"192.0.2.7":            "192.0.2.7",
		"::ffff:192.0.2.7":     "192.0.2.7",
		"2001:db8:1:2:3:4:5:6": "2001:db8:1:2::/64",
		"2001:db8:1:2:ff::1":   "2001:db8:1:2::/64",
		"fe80::1%eth0":         "fe80::/64",
		"not an address":       "not an address",
	}
	for ip, want := range cases {
		if got := handlers.ClientAddress(ip); got != want {
			t.Errorf("ClientAddress(%q) = %q, want %q", ip, got, want)
		}
	}
}

// copyCookies gives to a new client the cookies c holds, as someone who
// copied them out of c's browser would.
func copyCookies(c *client) *client {
	u, _ := url.Parse(c.app.srv.URL)
	thief := c.app.client()
	thief.http.Jar.SetCookies(u, c.http.Jar.Cookies(u))
	return thief
}

func TestACopiedCookieStopsWorkingAtSignOut(t *testing.T) {
	a := newApp(t)
	c := a.as("octo-owner")
	thief := copyCookies(c)
	if !signedIn(thief) {
		t.Fatal("the copied cookie does not sign in to begin with")
	}
	other := a.as("octo-owner") // another browser of the same user
	c.post("/logout", url.Values{}).redirectsTo("/login")
	if signedIn(c) {
		t.Error("still signed in after signing out")
	}
	thief.get("/settings/organizations").redirectsTo("/login?return_to=")
	// Only that session ended.
	if !signedIn(other) {
		t.Error("signing out in one browser signed the user out of another")
	}
}

func TestSignInStartsANewSessionAndEndsTheOld(t *testing.T) {
	a := newApp(t)
	c := a.as("mona")
	before := cookie(c, "patpolicy_session")
	planted := copyCookies(c) // e.g. mona's cookie left in a shared browser
	// Someone else signs in in the same browser.
	signInWith(c, "octo-owner", "demo-password").status(http.StatusSeeOther)
	if after := cookie(c, "patpolicy_session"); after == "" || after == before {
		t.Error("the session cookie did not change at sign-in")
	}
	c.get("/organizations/octo-org/settings/profile").status(http.StatusOK) // octo-owner's page
	// The cookie from before signs no one in: neither mona (her session in
	// this browser ended) nor octo-owner.
	planted.get("/settings/organizations").redirectsTo("/login?return_to=")
	planted.get("/organizations/octo-org/settings/profile").redirectsTo("/login?return_to=")
}

func TestSignInRotatesTheCSRFToken(t *testing.T) {
	a := newApp(t)
	c := a.client()
	before := c.csrf()
	signInWith(c, "octo-owner", "demo-password").status(http.StatusSeeOther)
	// The form rendered after sign-in carries a new token, and the one
	// from before is refused.
	after := c.get(patPath).status(http.StatusOK).attr(`input[name="_csrf"]`, "value")
	if after == "" || after == before {
		t.Fatalf("CSRF token %q before sign-in, %q after: want a new one", before, after)
	}
	c.post("/notifications/read", url.Values{"_csrf": {before}}).status(http.StatusForbidden)
	// Signing in again in the same browser changes it again.
	signInWith(c, "octo-owner", "demo-password").status(http.StatusSeeOther)
	if again := c.csrf(); again == after {
		t.Fatal("the CSRF token did not change at the second sign-in")
	}
	c.post("/notifications/read", url.Values{"_csrf": {after}}).status(http.StatusForbidden)
	c.post("/logout", url.Values{}).redirectsTo("/login")
	// Signed out, the session's token is worth nothing either.
	c.post("/login", url.Values{"_csrf": {after}, "login": {"octo-owner"}, "password": {"demo-password"}}).status(http.StatusForbidden)
}

func TestChangingThePasswordEndsTheUsersSessions(t *testing.T) {
	a := newApp(t)
	mona := a.as("mona")
	monaToo := a.as("mona")
	owner := a.as("octo-owner")
	hash, _ := bcrypt.GenerateFromPassword([]byte("a new password"), bcrypt.MinCost)
	if err := a.store.SetPassword(context.Background(), "Mona", string(hash)); err != nil {
		t.Fatal(err)
	}
	mona.get("/settings/organizations").redirectsTo("/login?return_to=")
	monaToo.get("/settings/organizations").redirectsTo("/login?return_to=")
	if !signedIn(owner) {
		t.Error("another user's session ended")
	}
	c := a.client()
	signInWith(c, "mona", "demo-password").status(http.StatusUnauthorized)
	signInWith(c, "mona", "a new password").status(http.StatusSeeOther)
	if !signedIn(c) {
		t.Error("not signed in with the new password")
	}
}
