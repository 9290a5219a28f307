package server_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"patpolicy/db/dbtest"

	"github.com/PuerkitoBio/goquery"
	"golang.org/x/crypto/bcrypt"

	"patpolicy/db"
	"patpolicy/policy"
	"patpolicy/server"
	"patpolicy/service"
)

// demoPassword is every seeded user's password.
const demoPassword = "demo-password"

// passwordHash is a cheap bcrypt hash of password, for seeding.
func passwordHash(password string) string {
	hash, _ := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
	return string(hash)
}

// testConfig is the server's configuration on store in every whole-server
// test and benchmark: logs discarded, a fixed session secret, a cheap dummy
// hash.
func testConfig(store *db.Store) server.Config {
	return server.Config{
		Store:          store,
		SessionSecrets: []string{"test-session-secret"},
		Logger:         slog.New(slog.NewTextHandler(io.Discard, nil)),
		DummyHash:      []byte(passwordHash("not a password")),
	}
}

// app is a server on the demo dataset with a fresh database.
type app struct {
	t     *testing.T
	srv   *httptest.Server
	store *db.Store
	// location is the database's, and setup how the app was built: a
	// twin is built the same way on the same database.
	location string
	setup    appSetup
}

// tokenFlows is the token flows on the app's store, for tests that set tokens
// up as their owners would.
func (a *app) tokenFlows() service.Tokens { return service.Tokens{Store: a.store, Random: rand.Reader} }

func newApp(t *testing.T) *app {
	t.Helper()
	return newAppAt(t, dbtest.Location(t))
}

// addOwner creates a user (password demo-password) who owns a new
// organization outside any enterprise.
func (a *app) addOwner(login, org, orgName string) {
	a.t.Helper()
	ctx := context.Background()
	id, err := a.store.CreateUser(ctx, login, login+"@example.com", login, passwordHash(demoPassword))
	if err != nil {
		a.t.Fatal(err)
	}
	if _, err := a.store.CreateOrganization(ctx, org, orgName, 0, id); err != nil {
		a.t.Fatal(err)
	}
}

// client is one browser: its own cookies, redirects not followed.
type client struct {
	t    *testing.T
	app  *app
	http *http.Client
	// header is added to every request.
	header http.Header
	// token is the CSRF token csrf read, until the client signs in or out.
	tokenMu sync.Mutex
	token   string
}

func (a *app) client() *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: a.t, app: a, header: http.Header{}, http: &http.Client{
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// as signs in a new client as login.
func (a *app) as(login string) *client {
	c := a.client()
	if login == "" {
		return c
	}
	res := c.post("/login", url.Values{"login": {login}, "password": {"demo-password"}})
	res.status(http.StatusSeeOther)
	return c
}

// page is a response with its parsed document.
type page struct {
	t    *testing.T
	res  *http.Response
	body string
	doc  *goquery.Document
}

func (c *client) do(req *http.Request) *page {
	c.t.Helper()
	for k, v := range c.header {
		req.Header[k] = v
	}
	if p := req.URL.Path; req.Method == http.MethodPost && (p == "/login" || p == "/logout") {
		c.forgetCSRF()
	}
	res, err := c.http.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(string(b)))
	if err != nil {
		c.t.Fatal(err)
	}
	return &page{t: c.t, res: res, body: string(b), doc: doc}
}

// forgetCSRF drops the token csrf read, which signing in or out changes.
func (c *client) forgetCSRF() {
	c.tokenMu.Lock()
	c.token = ""
	c.tokenMu.Unlock()
}

func (c *client) get(path string) *page {
	c.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, c.app.srv.URL+path, nil)
	return c.do(req)
}

// csrf is the CSRF token the client's forms carry: read from the sign-in
// page, or, for a signed-in client (whom it sends on), from the page it
// lands on. It is kept until the client signs in or out, which changes it.
func (c *client) csrf() string {
	c.t.Helper()
	c.tokenMu.Lock()
	defer c.tokenMu.Unlock()
	if c.token != "" {
		return c.token
	}
	p := c.get("/login")
	// Signed in, /login sends on to the home page, which sends on again.
	for range 3 {
		if p.res.StatusCode != http.StatusSeeOther {
			break
		}
		p = c.get(p.location())
	}
	if c.token = p.attr(`input[name="_csrf"]`, "value"); c.token == "" {
		c.t.Fatalf("no CSRF token on %s:\n%s", p.res.Request.URL, p.body)
	}
	return c.token
}

// post submits form with the client's CSRF token unless form sets _csrf.
func (c *client) post(path string, form url.Values) *page {
	c.t.Helper()
	if _, ok := form["_csrf"]; !ok {
		form.Set("_csrf", c.csrf())
	}
	return c.postRaw(path, form.Encode())
}

func (c *client) postRaw(path, body string) *page {
	c.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, c.app.srv.URL+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.do(req)
}

// formOf reads the form a browser would submit from the page: enabled
// inputs, checked radios and checkboxes, selected options.
func (p *page) formOf(selector string) (action string, values url.Values) {
	p.t.Helper()
	f := p.doc.Find(selector).First()
	if f.Length() == 0 {
		p.t.Fatalf("no form %q in page:\n%s", selector, p.body)
	}
	values = url.Values{}
	f.Find("input, select, textarea").Each(func(_ int, s *goquery.Selection) {
		name, _ := s.Attr("name")
		if name == "" {
			return
		}
		if _, disabled := s.Attr("disabled"); disabled {
			return
		}
		switch typ, _ := s.Attr("type"); {
		case goquery.NodeName(s) == "select":
			if v, ok := s.Find("option[selected]").Attr("value"); ok {
				values.Add(name, v)
			}
		case typ == "radio" || typ == "checkbox":
			if _, checked := s.Attr("checked"); checked {
				v, _ := s.Attr("value")
				values.Add(name, v)
			}
		case typ == "submit":
		default:
			v, _ := s.Attr("value")
			values.Add(name, v)
		}
	})
	action, _ = f.Attr("action")
	return action, values
}

// confirm answers a confirmation page as a browser without script does:
// it checks that p asks, then presses the page's button.
func (c *client) confirm(p *page) *page {
	c.t.Helper()
	p.status(http.StatusOK)
	if p.doc.Find(`main form input[name="confirm"][value="yes"]`).Length() != 1 {
		c.t.Fatalf("%s: not a confirmation page:\n%s", p.res.Request.URL.Path, p.body)
	}
	return c.submit(p, "main form", nil)
}

// submit posts the page's form with some values replaced.
func (c *client) submit(p *page, selector string, set map[string]string) *page {
	c.t.Helper()
	action, values := p.formOf(selector)
	for k, v := range set {
		if v == "\x00" {
			values.Del(k)
		} else {
			values.Set(k, v)
		}
	}
	return c.post(action, values)
}

func (p *page) status(want int) *page {
	p.t.Helper()
	if p.res.StatusCode != want {
		p.t.Fatalf("%s %s: status %d, want %d\n%s", p.res.Request.Method, p.res.Request.URL.Path, p.res.StatusCode, want, p.body)
	}
	return p
}

func (p *page) redirectsTo(prefix string) *page {
	p.t.Helper()
	p.status(http.StatusSeeOther)
	if loc := p.res.Header.Get("Location"); !strings.HasPrefix(loc, prefix) {
		p.t.Fatalf("redirects to %q, want prefix %q", loc, prefix)
	}
	return p
}

func (p *page) text(selector string) string {
	return strings.Join(strings.Fields(p.doc.Find(selector).Text()), " ")
}

func (p *page) contains(selector, want string) *page {
	p.t.Helper()
	if got := p.text(selector); !strings.Contains(got, want) {
		p.t.Fatalf("%s: %q does not contain %q", selector, got, want)
	}
	return p
}

// checked returns the value of the checked radio named name.
func (p *page) checked(name string) string {
	v, _ := p.doc.Find(`input[name="` + name + `"][checked]`).Attr("value")
	return v
}

// appSetup is how newAppAt builds an app, as appOptions change it.
type appSetup struct {
	db  []db.Option
	web func(*server.Config)
	tls bool
}

type appOption func(*appSetup)

// withDB opens the app's store with opts.
func withDB(opts ...db.Option) appOption {
	return func(s *appSetup) { s.db = append(s.db, opts...) }
}

// withConfig changes the server's configuration before it is built.
func withConfig(change func(*server.Config)) appOption {
	return func(s *appSetup) { s.web = change }
}

// withTLS serves the app over https (clients need the server's transport).
func withTLS() appOption {
	return func(s *appSetup) { s.tls = true }
}

// newAppAt is newApp with the database at path, for tests that look at the
// stored bytes themselves, or that build the app with options.
func newAppAt(t *testing.T, path string, opts ...appOption) *app {
	t.Helper()
	var setup appSetup
	for _, o := range opts {
		o(&setup)
	}
	a := serveAt(t, path, setup)
	if _, err := a.store.SeedDemo(context.Background(), passwordHash(demoPassword), service.Created); err != nil {
		t.Fatal(err)
	}
	return a
}

// twin is a second instance of a on a's database, as a second server
// behind the same load balancer would be: a store of its own (its own
// caches, its own writer connection, its own last uses) and an HTTP server
// of its own, built with a's options. Sessions and tokens made on either
// work on both; what one writes the other must see at its next request.
func (a *app) twin() *app {
	a.t.Helper()
	return serveAt(a.t, a.location, a.setup)
}

// serveAt opens a store on the database at location (migrating it) and
// serves it as setup says.
func serveAt(t *testing.T, location string, setup appSetup) *app {
	t.Helper()
	store, err := db.Open(context.Background(), location, setup.db...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	cfg := testConfig(store)
	if setup.web != nil {
		setup.web(&cfg)
	}
	e := server.New(cfg)
	srv := httptest.NewUnstartedServer(e)
	if setup.tls {
		srv.StartTLS()
	} else {
		srv.Start()
	}
	t.Cleanup(srv.Close)
	return &app{t: t, srv: srv, store: store, location: location, setup: setup}
}

// userID is the id of the user login.
func (a *app) userID(login string) int64 {
	a.t.Helper()
	cr, err := a.store.CredentialsFor(context.Background(), login)
	if err != nil {
		a.t.Fatalf("user %s: %v", login, err)
	}
	return cr.User.ID
}

// orgID is the id of the organization login.
func (a *app) orgID(login string) int64 {
	a.t.Helper()
	org, err := a.store.OrgByLogin(context.Background(), login)
	if err != nil {
		a.t.Fatalf("organization %s: %v", login, err)
	}
	return org.ID
}

// repoID is the id of the repository org/name, as a form sends it.
func (a *app) repoID(org, name string) string {
	a.t.Helper()
	repos, err := a.store.ReposOf(context.Background(), a.orgID(org))
	if err != nil {
		a.t.Fatal(err)
	}
	for _, r := range repos {
		if r.Name == name {
			return strconv.FormatInt(r.ID, 10)
		}
	}
	a.t.Fatalf("no repository %s/%s", org, name)
	return ""
}

// findToken looks up login's token named name (or noted, for classic
// tokens), of either kind.
func (a *app) findToken(login, name string) (db.Token, bool) {
	a.t.Helper()
	for _, kind := range []policy.Kind{policy.KindFineGrained, policy.KindClassic} {
		ts, err := a.store.TokensOf(context.Background(), a.userID(login), kind, 0, 0)
		if err != nil {
			a.t.Fatal(err)
		}
		for _, t := range ts {
			if t.Name == name {
				return t, true
			}
		}
	}
	return db.Token{}, false
}

// token is login's token named name; the test fails without one.
func (a *app) token(login, name string) db.Token {
	a.t.Helper()
	t, ok := a.findToken(login, name)
	if !ok {
		a.t.Fatalf("%s has no token %q", login, name)
	}
	return t
}

// tokenID is the id of login's token named name, as paths spell it.
func (a *app) tokenID(login, name string) string {
	a.t.Helper()
	return strconv.FormatInt(a.token(login, name).ID, 10)
}

// grantID is the id of the grant of login's token named name.
func (a *app) grantID(login, name string) string {
	a.t.Helper()
	t := a.token(login, name)
	if t.Grant == nil {
		a.t.Fatalf("%s's token %q has no grant", login, name)
	}
	return strconv.FormatInt(t.Grant.ID, 10)
}

// addRequest stores a pending fine-grained request of login to org for all
// repositories with the given permissions, as the form would have, and
// returns its grant id.
func (a *app) addRequest(login, org, name string, perms map[string]policy.Level) int64 {
	a.t.Helper()
	ctx := context.Background()
	orgID := a.orgID(org)
	p, err := a.store.OrgPolicy(ctx, orgID)
	if err != nil {
		a.t.Fatal(err)
	}
	secret, err := policy.GenerateToken(policy.KindFineGrained, rand.Reader)
	if err != nil {
		a.t.Fatal(err)
	}
	if perms == nil {
		perms = map[string]policy.Level{policy.Metadata: policy.LevelRead}
	}
	if _, err := a.tokenFlows().Add(ctx, db.NewToken{
		UserID: a.userID(login), Hash: policy.HashToken(secret), Prefix: policy.DisplayPrefix(secret),
		Kind: policy.KindFineGrained, OrgID: orgID, OrgVersion: p.Version,
		FineGrained: policy.TokenRequest{Name: name, ExpiresInDays: 30, Justification: "Needed for " + name,
			Selection: policy.SelectAll, Permissions: perms, Status: policy.GrantPending},
	}); err != nil {
		a.t.Fatal(err)
	}
	t := a.token(login, name)
	return t.Grant.ID
}

// addClassic stores a classic token of login and returns its id as paths
// spell it.
func (a *app) addClassic(login, note string) string {
	a.t.Helper()
	secret, err := policy.GenerateToken(policy.KindClassic, rand.Reader)
	if err != nil {
		a.t.Fatal(err)
	}
	id, err := a.store.CreateToken(context.Background(), db.NewToken{
		UserID: a.userID(login), Hash: policy.HashToken(secret), Prefix: policy.DisplayPrefix(secret),
		Kind: policy.KindClassic, Classic: policy.ClassicRequest{Note: note, ExpiresInDays: 30, Scopes: []string{"repo"}},
	})
	if err != nil {
		a.t.Fatal(err)
	}
	return strconv.FormatInt(id, 10)
}

// audit lists org's audit events with action, newest first.
func (a *app) audit(org, action string) []db.AuditEvent {
	a.t.Helper()
	evs, err := a.store.AuditEvents(context.Background(), db.AuditQuery{OrgID: a.orgID(org), Action: action, Limit: 1000})
	if err != nil {
		a.t.Fatal(err)
	}
	return evs
}

// notifications lists login's newest notifications.
func (a *app) notifications(login string) []db.Notification {
	a.t.Helper()
	ns, err := a.store.NotificationsOf(context.Background(), a.userID(login), 1000)
	if err != nil {
		a.t.Fatal(err)
	}
	return ns
}

// attr is the attribute name of the first element matching selector.
func (p *page) attr(selector, name string) string {
	v, _ := p.doc.Find(selector).First().Attr(name)
	return v
}

// selected is the value of the selected option of the select with id.
func (p *page) selected(id string) string {
	v, _ := p.doc.Find(`select#` + id + ` option[selected]`).Attr("value")
	return v
}

// location is the response's Location header.
func (p *page) location() string { return p.res.Header.Get("Location") }

// waitAtLeast waits, for up to 30 s, until n reaches at.
func waitAtLeast(n *atomic.Int64, at int64) {
	for deadline := time.Now().Add(30 * time.Second); n.Load() < at && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
}

// The API side of the harness: tokens made as their owners make them, and
// calls that carry them.

// fgSpec describes a fine-grained token made by newFineGrained.
type fgSpec struct {
	Org         string // "" for a token the user owns
	Status      policy.GrantStatus
	Selection   policy.Selection // default all
	Repos       []string         // repository names, for SelectSelected
	Permissions map[string]policy.Level
	Days        int // 0: never expires
}

// newFineGrained stores a fine-grained token of login, as the form would
// have made it, and returns its secret.
func (a *app) newFineGrained(login, name string, spec fgSpec) string {
	a.t.Helper()
	ctx := context.Background()
	secret, err := policy.GenerateToken(policy.KindFineGrained, rand.Reader)
	if err != nil {
		a.t.Fatal(err)
	}
	req := policy.TokenRequest{Name: name, ExpiresInDays: spec.Days, Selection: spec.Selection,
		Permissions: spec.Permissions, Status: spec.Status}
	if req.Selection == "" {
		req.Selection = policy.SelectAll
	}
	if req.Permissions == nil {
		req.Permissions = map[string]policy.Level{policy.Metadata: policy.LevelRead}
	}
	nt := db.NewToken{UserID: a.userID(login), Hash: policy.HashToken(secret), Prefix: policy.DisplayPrefix(secret),
		Kind: policy.KindFineGrained, FineGrained: req}
	if spec.Org != "" {
		nt.OrgID = a.orgID(spec.Org)
		p, err := a.store.OrgPolicy(ctx, nt.OrgID)
		if err != nil {
			a.t.Fatal(err)
		}
		nt.OrgVersion = p.Version
		for _, r := range spec.Repos {
			repos, _ := a.store.ReposOf(ctx, nt.OrgID)
			for _, x := range repos {
				if x.Name == r {
					nt.FineGrained.RepoIDs = append(nt.FineGrained.RepoIDs, x.ID)
				}
			}
		}
		if nt.FineGrained.Status == "" {
			nt.FineGrained.Status = policy.GrantApproved
		}
	}
	if _, err := a.tokenFlows().Add(ctx, nt); err != nil {
		a.t.Fatal(err)
	}
	return secret
}

// newClassic stores a classic token of login with scopes and returns its
// secret.
func (a *app) newClassic(login, note string, days int, scopes ...string) string {
	a.t.Helper()
	secret, err := policy.GenerateToken(policy.KindClassic, rand.Reader)
	if err != nil {
		a.t.Fatal(err)
	}
	if _, err := a.store.CreateToken(context.Background(), db.NewToken{
		UserID: a.userID(login), Hash: policy.HashToken(secret), Prefix: policy.DisplayPrefix(secret),
		Kind: policy.KindClassic, Classic: policy.ClassicRequest{Note: note, ExpiresInDays: days, Scopes: scopes},
	}); err != nil {
		a.t.Fatal(err)
	}
	return secret
}

// apiResponse is an API answer with its body read.
type apiResponse struct {
	t      *testing.T
	Status int
	Header http.Header
	Body   []byte
}

// api calls the REST API with token ("" for none) and body (nil for none;
// a string is sent as is, anything else as JSON).
func (a *app) api(method, path, token string, body any) *apiResponse {
	a.t.Helper()
	return a.apiWith(method, path, token, body, nil)
}

// apiWith is api with extra headers, set last (so they may replace the
// Authorization a.api would send).
func (a *app) apiWith(method, path, token string, body any, header http.Header) *apiResponse {
	a.t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = bytes.NewBufferString(b)
	default:
		buf, err := json.Marshal(b)
		if err != nil {
			a.t.Fatal(err)
		}
		r = bytes.NewReader(buf)
	}
	req, err := http.NewRequest(method, a.srv.URL+"/api/v3"+path, r)
	if err != nil {
		a.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range header {
		req.Header[k] = v
	}
	// Go sends req.Host as the Host header, whatever the header map says.
	if host := header.Get("Host"); host != "" {
		req.Host = host
	}
	return a.send(req)
}

// send makes a request and reads the answer.
func (a *app) send(req *http.Request) *apiResponse {
	a.t.Helper()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		a.t.Fatal(err)
	}
	return &apiResponse{t: a.t, Status: res.StatusCode, Header: res.Header, Body: b}
}

// want fails the test unless the answer has status.
func (r *apiResponse) want(status int) *apiResponse {
	r.t.Helper()
	if r.Status != status {
		r.t.Fatalf("status %d, want %d: %s", r.Status, status, r.Body)
	}
	return r
}

// decode reads the JSON body into v.
func (r *apiResponse) decode(v any) {
	r.t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		r.t.Fatalf("decode %s: %v", r.Body, err)
	}
}

// message is an error answer's message.
func (r *apiResponse) message() string {
	r.t.Helper()
	var e struct {
		Message string `json:"message"`
	}
	r.decode(&e)
	return e.Message
}

var csrfField = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

// signIn goes through the sign-in form of h, in process, and returns the
// session's cookies: the benchmarks' way in, where the app's client would
// measure an HTTP round trip too.
func signIn(h http.Handler, login string) ([]*http.Cookie, error) {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/login", nil))
	m := csrfField.FindStringSubmatch(rec.Body.String())
	if m == nil {
		return nil, io.ErrUnexpectedEOF
	}
	cookies := rec.Result().Cookies()
	form := url.Values{"_csrf": {m[1]}, "login": {login}, "password": {demoPassword}}
	req := httptest.NewRequest(http.MethodPost, "/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for _, c := range cookies {
		req.AddCookie(c)
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusSeeOther {
		return nil, io.ErrUnexpectedEOF
	}
	// A cookie the sign-in set replaces the one of that name it was sent
	// (the session cookie, which held the sign-in form's CSRF key).
	set := rec.Result().Cookies()
	for _, c := range cookies {
		if !slices.ContainsFunc(set, func(n *http.Cookie) bool { return n.Name == c.Name }) {
			set = append(set, c)
		}
	}
	return set, nil
}
