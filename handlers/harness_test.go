package handlers_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"golang.org/x/crypto/bcrypt"

	"patpolicy/db"
	"patpolicy/web"
)

// app is a server on the demo dataset with a fresh database.
type app struct {
	t     *testing.T
	srv   *httptest.Server
	store *db.Store
}

func newApp(t *testing.T) *app {
	t.Helper()
	ctx := context.Background()
	store, err := db.Open(ctx, filepath.Join(t.TempDir(), "test.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	hash, _ := bcrypt.GenerateFromPassword([]byte("demo-password"), bcrypt.MinCost)
	if _, err := store.SeedDemo(ctx, string(hash)); err != nil {
		t.Fatal(err)
	}
	dummy, _ := bcrypt.GenerateFromPassword([]byte("not a password"), bcrypt.MinCost)
	e := web.New(web.Config{
		Store:          store,
		SessionSecrets: []string{"test-session-secret"},
		Logger:         slog.New(slog.NewTextHandler(io.Discard, nil)),
		DummyHash:      dummy,
	})
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	return &app{t: t, srv: srv, store: store}
}

// addOwner creates a user (password demo-password) who owns a new
// organization outside any enterprise.
func (a *app) addOwner(login, org, orgName string) {
	a.t.Helper()
	ctx := context.Background()
	hash, _ := bcrypt.GenerateFromPassword([]byte("demo-password"), bcrypt.MinCost)
	id, err := a.store.CreateUser(ctx, login, login+"@example.com", login, string(hash))
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

func (c *client) get(path string) *page {
	c.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, c.app.srv.URL+path, nil)
	return c.do(req)
}

// csrf is the client's CSRF token (the cookie's value), fetching a page
// first if the client has none yet.
func (c *client) csrf() string {
	c.t.Helper()
	u, _ := url.Parse(c.app.srv.URL)
	for _, ck := range c.http.Jar.Cookies(u) {
		if ck.Name == "patpolicy_csrf" {
			return ck.Value
		}
	}
	c.get("/login")
	for _, ck := range c.http.Jar.Cookies(u) {
		if ck.Name == "patpolicy_csrf" {
			return ck.Value
		}
	}
	c.t.Fatal("no CSRF cookie")
	return ""
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
