package server_test

// Hostile input, end to end over HTTP: every form POST of the site and
// every POST and PATCH of the API is sent what a careless or malicious
// client sends (oversized and unreadable bodies, invalid UTF-8, unknown
// fields and values, negative, zero, huge and non-numeric numbers, no or a
// wrong CSRF token, forged return_to, HTML). Each must be answered with a
// 4xx that says what is wrong, never a 5xx, and must change nothing: the
// whole database is dumped before and after every hostile request. Each
// form and route is also sent its valid submission last, which must pass:
// so a refusal above is the hostile value's doing, not a broken fixture.

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"patpolicy/policy"
)

// ---- the database before and after ----------------------------------------

// dbDump is every row of every table, as text, sorted.
type dbDump map[string][]string

// skippedTable reports tables a hostile request may legitimately touch:
// migration bookkeeping, settings kept by the server for itself, sign-in
// state (sessions, failed attempts) that another part keeps, and the change
// counters, which count writes to those too (the other tables' rows say
// whether anything else changed).
func skippedTable(name string) bool {
	switch name {
	case "goose_db_version", "app_settings", "change_counters":
		return true
	}
	for _, part := range []string{"session", "attempt", "throttle", "rate_limit", "lockout"} {
		if strings.Contains(name, part) {
			return true
		}
	}
	return strings.HasPrefix(name, "sqlite_")
}

// volatileColumn is a column that moves without any request's doing
// (a token's last use is recorded in the background).
func volatileColumn(name string) bool { return name == "last_used_at" }

// hApp is a server on the demo dataset whose database file the test reads
// beside the server.
type hApp struct {
	*app
	raw *sql.DB
	// last is the latest dump, taken at data_version lastAt.
	last   dbDump
	lastAt int64
}

func newHostileApp(t *testing.T) *hApp {
	t.Helper()
	path := filepath.Join(t.TempDir(), "hostile.db")
	a := newAppAt(t, path)
	raw, err := sql.Open("sqlite", "file:"+path+"?mode=ro&_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	// One connection, so that PRAGMA data_version tells every commit made
	// by the server's since the last look.
	raw.SetMaxOpenConns(1)
	raw.SetConnMaxIdleTime(0)
	return &hApp{app: a, raw: raw}
}

// snapshot is the database as it is now; it is dumped again only when
// something was committed since the last dump.
func (h *hApp) snapshot() dbDump {
	h.t.Helper()
	var v int64
	if err := h.raw.QueryRow(`PRAGMA data_version`).Scan(&v); err != nil {
		h.t.Fatal(err)
	}
	if h.last == nil || v != h.lastAt {
		h.last, h.lastAt = h.dump(), v
	}
	return h.last
}

func (h *hApp) dump() dbDump {
	h.t.Helper()
	ctx := context.Background()
	rows, err := h.raw.QueryContext(ctx, `SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`)
	if err != nil {
		h.t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			h.t.Fatal(err)
		}
		if !skippedTable(name) {
			tables = append(tables, name)
		}
	}
	rows.Close()
	d := dbDump{}
	for _, table := range tables {
		rs, err := h.raw.QueryContext(ctx, `SELECT * FROM "`+table+`"`)
		if err != nil {
			h.t.Fatal(err)
		}
		cols, _ := rs.Columns()
		d[table] = []string{}
		for rs.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rs.Scan(ptrs...); err != nil {
				h.t.Fatal(err)
			}
			var b strings.Builder
			for i, v := range vals {
				if volatileColumn(cols[i]) {
					continue
				}
				if bs, ok := v.([]byte); ok {
					v = fmt.Sprintf("%x", bs)
				}
				fmt.Fprintf(&b, "%s=%v|", cols[i], v)
			}
			d[table] = append(d[table], b.String())
		}
		rs.Close()
		slices.Sort(d[table])
	}
	return d
}

// diff names the tables whose rows differ, with a row that shows it.
func (d dbDump) diff(after dbDump) string {
	var out []string
	for table, rows := range after {
		before := d[table]
		if slices.Equal(before, rows) {
			continue
		}
		msg := fmt.Sprintf("%s: %d rows -> %d", table, len(before), len(rows))
		for _, r := range rows {
			if !slices.Contains(before, r) {
				msg += "; new or changed row " + r
				break
			}
		}
		out = append(out, msg)
	}
	slices.Sort(out)
	return strings.Join(out, "\n")
}

// ---- requests ---------------------------------------------------------------

// send makes one request as the client, with a body of the given type.
func (c *client) send(method, path, contentType string, body io.Reader, header http.Header) *page {
	c.t.Helper()
	req, err := http.NewRequest(method, c.app.srv.URL+path, body)
	if err != nil {
		c.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	return c.do(req)
}

// chunked hides a body's length, so that the server learns it is too
// large only by reading it.
func chunked(s string) io.Reader { return io.MultiReader(strings.NewReader(s)) }

// problem is what the page says is wrong: an alert, a field's error, or the
// error page's message.
func (p *page) problem() string {
	return p.text(`[role="alert"], .field-error, .error-page h1 + p`)
}

const formType = "application/x-www-form-urlencoded"

// oversized is more than the server's 64 KiB limit.
var oversized = strings.Repeat("x", 70*1024)

// Hostile values.
var (
	invalidUTF8 = "caf\xe9 \xff\xfe"
	badNumbers  = []string{"-1", "1e30", "99999999999999999999", "abc", "", "1.5", "\x00"}
	badEnums    = []string{"unknown", "ALLOW", "allow ", "\x00", "<b>x</b>"}
	badPathIDs  = []string{"-1", "1e30", "99999999999999999999", "abc", "%2e%2e"}
	htmlValues  = []string{`<script>alert(1)</script>`, `"><img src=x onerror=alert(1)>`}
)

// ---- the site's forms ---------------------------------------------------------

// siteForm is one form POST route of the site.
type siteForm struct {
	name  string
	login string // who submits; "" for nobody signed in
	// build gives the path and a submission the site accepts (without
	// _csrf) in the app's current state.
	build func(a *app) (path string, form url.Values)
	// text, enums and nums are the form's free-text, fixed-choice and
	// numeric fields. A multi-valued field is sent its valid values with
	// the hostile one added, so that half a submission cannot pass.
	text, enums, nums []string
	// status is the answer to a hostile value of a field when it is not
	// 422; ok is the answer to the valid submission (303 unless set).
	status map[string]int
	ok     int
	// writes says the valid submission changes the database.
	writes bool
}

func siteForms() []siteForm {
	grant := func(a *app, login, name string) string { return a.grantID(login, name) }
	return []siteForm{
		{
			name: "organization settings save", login: "octo-owner", writes: true,
			build: func(a *app) (string, url.Values) {
				return patPath, url.Values{"version": {strconv.Itoa(a.orgPolicy("octo-org").Version)}, "confirm": {"yes"},
					"fine_grained_access": {"restrict"}, "approval": {"required"},
					"fine_grained_max_lifetime_days_expires": {"on"}, "fine_grained_max_lifetime_days_days": {"30"},
					"classic_max_lifetime_days_expires": {"on"}, "classic_max_lifetime_days_days": {"60"}}
			},
			enums:  []string{"fine_grained_access", "approval", "classic_access"},
			nums:   []string{"fine_grained_max_lifetime_days_days", "classic_max_lifetime_days_days", "version"},
			status: map[string]int{"version": http.StatusConflict},
		},
		{
			name: "onboarding enroll", login: "octo-owner", writes: true,
			build: func(a *app) (string, url.Values) {
				return "/organizations/solo-org/settings/personal-access-tokens-onboarding", url.Values{"step": {"4"}, "nav": {"enroll"},
					"fine_grained_access": {"allow"}, "approval": {"required"}, "classic_access": {"restrict"}}
			},
			enums: []string{"fine_grained_access", "approval", "classic_access", "nav"},
			nums:  []string{"step"},
		},
		{
			name: "onboarding continue", login: "octo-owner", ok: http.StatusOK,
			build: func(a *app) (string, url.Values) {
				return "/organizations/solo-org/settings/personal-access-tokens-onboarding", url.Values{"step": {"1"}, "nav": {"continue"},
					"fine_grained_access": {"restrict"}}
			},
			enums: []string{"fine_grained_access", "nav"},
		},
		{
			name: "enterprise policies save", login: "ent-admin", writes: true,
			build: func(a *app) (string, url.Values) {
				_, version, err := a.store.EnterprisePolicy(context.Background(), mxEntID(a, "octo-ent"))
				if err != nil {
					a.t.Fatal(err)
				}
				return "/enterprises/octo-ent/settings/personal-access-tokens", url.Values{"version": {strconv.Itoa(version)},
					"fine_grained_access": {"no_policy"}, "approval": {"required"}, "classic_access": {"no_policy"},
					"fine_grained_max_lifetime_days_expires": {"on"}, "fine_grained_max_lifetime_days_days": {"90"},
					"classic_max_lifetime_days_expires": {"on"}, "classic_max_lifetime_days_days": {"30"}, "exempt_administrators": {"on"}}
			},
			enums:  []string{"fine_grained_access", "approval", "classic_access"},
			nums:   []string{"fine_grained_max_lifetime_days_days", "classic_max_lifetime_days_days", "version"},
			status: map[string]int{"version": http.StatusConflict},
		},
		{
			name: "new fine-grained token", login: "mona", writes: true,
			build: func(a *app) (string, url.Values) {
				return fgPath, url.Values{"name": {"hostile-fg"}, "description": {"Reads the API"}, "expiration": {"30"},
					"resource_owner": {"octo-org"}, "justification": {"Needed for the release"},
					"repository_selection": {"selected"}, "repo_octo-org": {a.repoID("octo-org", "octo-api")},
					"perm_contents": {"read"}, "perm_issues": {"write"}, "perm_members": {"read"}}
			},
			text:  []string{"name", "description", "justification"},
			enums: []string{"expiration", "resource_owner", "repository_selection", "perm_contents", "perm_issues", "perm_members"},
			nums:  []string{"expiration", "repo_octo-org"},
		},
		{
			name: "new classic token", login: "mona", writes: true,
			build: func(*app) (string, url.Values) {
				return classicPath, url.Values{"note": {"hostile-classic"}, "expiration": {"30"}, "scopes": {"repo", "read:org"}}
			},
			text:  []string{"note"},
			enums: []string{"expiration", "scopes"},
			nums:  []string{"expiration"},
		},
		{
			name: "cancel a request", login: "mona", writes: true,
			build: func(a *app) (string, url.Values) {
				return fgPath + "/" + a.tokenID("mona", "deploy-bot") + "/cancel", url.Values{"confirm": {"yes"}}
			},
		},
		{
			name: "delete a fine-grained token", login: "mona", writes: true,
			build: func(a *app) (string, url.Values) {
				return fgPath + "/" + a.tokenID("mona", "deploy-bot") + "/delete", url.Values{"confirm": {"yes"}}
			},
		},
		{
			name: "delete a classic token", login: "mona", writes: true,
			build: func(a *app) (string, url.Values) {
				if _, ok := a.findToken("mona", "old-classic"); !ok {
					a.addClassic("mona", "old-classic")
				}
				return classicPath + "/" + a.tokenID("mona", "old-classic") + "/delete", url.Values{"confirm": {"yes"}}
			},
		},
		{
			name: "approve a request", login: "octo-owner", writes: true,
			build: func(a *app) (string, url.Values) {
				return requestsPath + "/" + grant(a, "mona", "deploy-bot") + "/approve", url.Values{}
			},
		},
		{
			name: "deny a request with a reason", login: "octo-owner", writes: true,
			build: func(a *app) (string, url.Values) {
				return requestsPath + "/" + grant(a, "mona", "deploy-bot") + "/deny", url.Values{"reason": {"Too broad"}}
			},
			text: []string{"reason"},
		},
		{
			name: "bulk decision on requests", login: "octo-owner", writes: true,
			build: func(a *app) (string, url.Values) {
				return requestsPath, url.Values{"decision": {"deny"}, "reason": {"Too broad"}, "confirm": {"yes"},
					"id": {grant(a, "mona", "deploy-bot"), grant(a, "hubot", "ci-reader")}}
			},
			text:  []string{"reason"},
			enums: []string{"decision"},
			nums:  []string{"id"},
		},
		{
			name: "revoke a token", login: "octo-owner", writes: true,
			build: func(a *app) (string, url.Values) {
				return orgTokenPath + "/" + grant(a, "octo-owner", "owner-automation") + "/revoke", url.Values{"confirm": {"yes"}}
			},
		},
		{
			name: "bulk revoke", login: "octo-owner", writes: true,
			build: func(a *app) (string, url.Values) {
				return activePath, url.Values{"decision": {"revoke"}, "id": {grant(a, "octo-owner", "owner-automation")}, "confirm": {"yes"}}
			},
			enums: []string{"decision"},
			nums:  []string{"id"},
		},
		{
			name: "mark notifications read", login: "octo-owner",
			build: func(a *app) (string, url.Values) {
				return "/notifications/read", url.Values{"up_to": {"1"}}
			},
			nums: []string{"up_to"},
		},
		{
			name: "sign in", login: "",
			build: func(*app) (string, url.Values) {
				return "/login", url.Values{"login": {"mona"}, "password": {"demo-password"}, "return_to": {classicPath}}
			},
			text: []string{"login", "password", "return_to"},
			// Wrong credentials are 401; a bad return_to signs in and goes home.
			status: map[string]int{"login": http.StatusUnauthorized, "password": http.StatusUnauthorized, "return_to": http.StatusSeeOther},
		},
		{
			name: "sign out", login: "mona",
			build: func(*app) (string, url.Values) { return "/logout", url.Values{} },
		},
	}
}

// unique drops repeated names, keeping the first.
func unique(names []string) []string {
	var out []string
	for _, n := range names {
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

// encodeForm encodes a form with its CSRF token (unless it carries one).
func encodeForm(c *client, form url.Values) string {
	if _, ok := form["_csrf"]; !ok {
		form.Set("_csrf", c.csrf())
	}
	return form.Encode()
}

// withPathID replaces the id in a path (its last all-digit segment).
func withPathID(path, id string) (string, bool) {
	segs := strings.Split(path, "/")
	for i := len(segs) - 1; i >= 0; i-- {
		if _, err := strconv.ParseInt(segs[i], 10, 64); err == nil {
			segs[i] = id
			return strings.Join(segs, "/"), true
		}
	}
	return path, false
}

// hostileRequest is one request of the table.
type hostileRequest struct {
	name string
	// send makes the request with the form's client, path and valid form.
	send func(c *client, path string, form url.Values) *page
	// want is the status wanted; check looks further at the page.
	want  int
	check func(t *testing.T, p *page)
}

func formRequests(f siteForm) []hostileRequest {
	post := func(mutate func(form url.Values)) func(c *client, path string, form url.Values) *page {
		return func(c *client, path string, form url.Values) *page {
			mutate(form)
			return c.send(http.MethodPost, path, formType, strings.NewReader(encodeForm(c, form)), nil)
		}
	}
	statusOf := func(field string) int {
		if s, ok := f.status[field]; ok {
			return s
		}
		return http.StatusUnprocessableEntity
	}
	set := func(field, v string) func(url.Values) {
		return func(form url.Values) {
			if vs := form[field]; len(vs) > 1 {
				form[field] = append(vs[:1:1], v) // one good value, one hostile
				return
			}
			if strings.HasSuffix(field, "_days") {
				form.Set(strings.TrimSuffix(field, "_days")+"_expires", "on")
			}
			form.Set(field, v)
		}
	}
	tooLarge := func(t *testing.T, p *page) {
		if !strings.Contains(p.problem(), "larger than this site accepts") {
			t.Errorf("413 page says %q", p.problem())
		}
	}
	forbidden := func(t *testing.T, p *page) {
		if p.problem() == "" {
			t.Error("403 page says nothing")
		}
	}
	reqs := []hostileRequest{
		{name: "oversized body", want: http.StatusRequestEntityTooLarge, check: tooLarge,
			send: func(c *client, path string, form url.Values) *page {
				form.Set("pad", oversized)
				return c.send(http.MethodPost, path, formType, strings.NewReader(encodeForm(c, form)), nil)
			}},
		{name: "oversized body without a length", want: http.StatusRequestEntityTooLarge, check: tooLarge,
			send: func(c *client, path string, form url.Values) *page {
				form.Set("pad", oversized)
				return c.send(http.MethodPost, path, formType, chunked(encodeForm(c, form)), nil)
			}},
		{name: "oversized multipart body", want: http.StatusRequestEntityTooLarge, check: tooLarge,
			send: func(c *client, path string, form url.Values) *page {
				form.Set("_csrf", c.csrf())
				form.Set("pad", oversized)
				var buf bytes.Buffer
				w := multipart.NewWriter(&buf)
				for k, vs := range form {
					for _, v := range vs {
						w.WriteField(k, v)
					}
				}
				w.Close()
				return c.send(http.MethodPost, path, w.FormDataContentType(), chunked(buf.String()), nil)
			}},
		{name: "unreadable body", want: http.StatusBadRequest,
			send: func(c *client, path string, form url.Values) *page {
				return c.send(http.MethodPost, path, formType, strings.NewReader(encodeForm(c, form)+"&%zz=1"), nil)
			},
			check: func(t *testing.T, p *page) {
				if !strings.Contains(p.problem(), "could not be read") {
					t.Errorf("400 page says %q", p.problem())
				}
			}},
		{name: "no CSRF token", want: http.StatusForbidden, check: forbidden,
			send: func(c *client, path string, form url.Values) *page {
				return c.send(http.MethodPost, path, formType, strings.NewReader(form.Encode()), nil)
			}},
		{name: "empty CSRF token", want: http.StatusForbidden, check: forbidden,
			send: post(func(form url.Values) { form.Set("_csrf", "") })},
		{name: "another client's CSRF token", want: http.StatusForbidden, check: forbidden,
			send: func(c *client, path string, form url.Values) *page {
				form.Set("_csrf", c.app.client().csrf())
				return c.send(http.MethodPost, path, formType, strings.NewReader(form.Encode()), nil)
			}},
		{name: "cross-site request", want: http.StatusForbidden, check: forbidden,
			send: func(c *client, path string, form url.Values) *page {
				return c.send(http.MethodPost, path, formType, strings.NewReader(encodeForm(c, form)),
					http.Header{"Sec-Fetch-Site": {"cross-site"}, "Origin": {"https://evil.example"}})
			}},
	}
	for _, field := range unique(slices.Concat(f.text, f.enums, f.nums)) {
		reqs = append(reqs, hostileRequest{name: "invalid UTF-8 in " + field, want: statusOf(field), send: post(set(field, invalidUTF8))})
	}
	for _, field := range f.enums {
		for _, v := range badEnums {
			reqs = append(reqs, hostileRequest{name: fmt.Sprintf("%s=%q", field, v), want: statusOf(field), send: post(set(field, v))})
		}
	}
	for _, field := range f.nums {
		for _, v := range badNumbers {
			if slices.Contains(f.enums, field) && slices.Contains(badEnums, v) {
				continue
			}
			reqs = append(reqs, hostileRequest{name: fmt.Sprintf("%s=%q", field, v), want: statusOf(field), send: post(set(field, v))})
		}
	}
	if slices.Contains(f.nums, "id") {
		many := make([]string, 1001)
		for i := range many {
			many[i] = strconv.Itoa(i + 1)
		}
		reqs = append(reqs, hostileRequest{name: "1001 ids", want: http.StatusUnprocessableEntity,
			send: post(func(form url.Values) { form["id"] = many })})
	}
	for _, id := range badPathIDs {
		reqs = append(reqs, hostileRequest{name: fmt.Sprintf("path id %q", id), want: http.StatusNotFound,
			send: func(c *client, path string, form url.Values) *page {
				p, ok := withPathID(path, id)
				if !ok {
					return nil
				}
				return c.send(http.MethodPost, p, formType, strings.NewReader(encodeForm(c, form)), nil)
			}})
	}
	return reqs
}

// TestHostileForms sends every form POST route of the site its hostile
// table: each answer is the 4xx wanted, says what is wrong, and leaves the
// database exactly as it was.
func TestHostileForms(t *testing.T) {
	for _, f := range siteForms() {
		t.Run(f.name, func(t *testing.T) {
			t.Parallel()
			h := newHostileApp(t)
			c := h.as(f.login)
			for _, r := range formRequests(f) {
				path, form := f.build(h.app)
				before := h.snapshot()
				p := r.send(c, path, form)
				if p == nil {
					continue // no id in this form's path
				}
				after := h.snapshot()
				t.Run(r.name, func(t *testing.T) {
					if p.res.StatusCode >= 500 {
						t.Fatalf("status %d:\n%s", p.res.StatusCode, p.body)
					}
					if p.res.StatusCode != r.want {
						t.Errorf("status %d, want %d; page says %q", p.res.StatusCode, r.want, p.problem())
					}
					if r.want >= 400 && p.res.StatusCode >= 400 && p.problem() == "" {
						t.Errorf("%d without a message:\n%s", p.res.StatusCode, p.body)
					}
					if r.check != nil && p.res.StatusCode == r.want {
						r.check(t, p)
					}
					if r.want == http.StatusSeeOther {
						wantOnSite(t, h.app, p.location())
					}
					if d := before.diff(after); d != "" {
						t.Errorf("the database changed:\n%s", d)
					}
				})
			}
			// The session survived every refusal, and the valid submission
			// passes: the refusals were the hostile values' doing.
			if f.login != "" {
				c.get(hostileHome).status(http.StatusOK)
			}
			path, form := f.build(h.app)
			before := h.snapshot()
			p := c.send(http.MethodPost, path, formType, strings.NewReader(encodeForm(c, form)), nil)
			want := f.ok
			if want == 0 {
				want = http.StatusSeeOther
			}
			p.status(want)
			if d := before.diff(h.snapshot()); f.writes && d == "" {
				t.Errorf("the valid submission changed nothing")
			}
		})
	}
}

// hostileHome is where a signed-in user lands.
const hostileHome = "/settings/organizations"

// wantOnSite fails unless a redirect's target is a path of this site.
func wantOnSite(t *testing.T, a *app, loc string) {
	t.Helper()
	if why := offSite(a.srv.URL, loc); why != "" {
		t.Fatalf("redirects off the site: Location %q %s", loc, why)
	}
}

// offSite says why loc, sent as a redirect by the site at base, would
// leave it, or is "" when it stays: it must be a path, not "//host", with
// no backslash or control character, and stay so however far it is
// decoded, with no dot segments (which a browser removes, so that "/..//x"
// is "//x" to it).
func offSite(base, loc string) string {
	b, _ := url.Parse(base + "/")
	u, err := url.Parse(loc)
	if err != nil {
		return err.Error()
	}
	if to := b.ResolveReference(u); to.Scheme != b.Scheme || to.Host != b.Host {
		return "goes to " + to.String()
	}
	if !strings.HasPrefix(loc, "/") {
		return "is not a path"
	}
	for d := loc; ; {
		path, _, _ := strings.Cut(d, "?")
		if strings.HasPrefix(d, "//") || strings.ContainsAny(d, "\\\t\r\n\x00") || slices.ContainsFunc(strings.Split(path, "/"), func(seg string) bool {
			return seg == "." || seg == ".."
		}) {
			return fmt.Sprintf("decodes to %q", d)
		}
		next, err := url.PathUnescape(d)
		if err != nil || next == d {
			return ""
		}
		d = next
	}
}

// ---- forged return_to ---------------------------------------------------------

func TestHostileReturnToStaysOnSite(t *testing.T) {
	a := newApp(t)
	forged := []string{
		"//evil.example", "https://evil.example", "/\\evil.example", "\\\\evil.example", "javascript:alert(1)",
		"JaVaScRiPt:alert(1)", "http:evil.example", "///evil.example", "/\\/evil.example", " //evil.example",
		"/%2F%2Fevil.example", "%2F%2Fevil.example", "/\t/evil.example", "//evil.example/%2e%2e", "data:text/html,x",
		"/login?return_to=//evil.example", "https:/\\evil.example", "\x00//evil.example", invalidUTF8,
		// Slashes and backslashes that only appear once the path is
		// decoded: a redirect built from the decoded path starts with
		// "///", which a browser reads as another host.
		"/%2F%2Fevil.example/{", "/%2f/evil.example", "/%252F%252Fevil.example",
		"/%25252F%25252Fevil.example", "/%5Cevil.example", "/%5C%5Cevil.example", "/%2F%5Cevil.example",
		"/%09/evil.example", "/%0a/evil.example", "/%00/evil.example",
		// Dot segments a browser removes, leaving "//" in front.
		"/..//evil.example", "/a/..//evil.example", "/%2e%2e//evil.example", "/.%2E/%2Fevil.example",
	}
	signedIn := a.as("mona")
	for _, v := range forged {
		t.Run(fmt.Sprintf("%q", v), func(t *testing.T) {
			// Signing in.
			c := a.client()
			p := c.post("/login", url.Values{"login": {"mona"}, "password": {"demo-password"}, "return_to": {v}}).status(http.StatusSeeOther)
			wantOnSite(t, a, p.location())
			// The sign-in page, signed in: it redirects at once.
			p = signedIn.get("/login?return_to=" + url.QueryEscape(v)).status(http.StatusSeeOther)
			wantOnSite(t, a, p.location())
			// The sign-in page, signed out: the form carries a safe path.
			p = a.client().get("/login?return_to=" + url.QueryEscape(v)).status(http.StatusOK)
			wantOnSite(t, a, p.attr(`input[name="return_to"]`, "value"))
		})
	}
}

// ---- unknown form fields ------------------------------------------------------

// TestHostileFormsIgnoreSmuggledFields: a form, like GitHub's, ignores names
// it does not know (a browser sends its buttons' names too); what matters is
// that none of them reaches what is stored.
func TestHostileFormsIgnoreSmuggledFields(t *testing.T) {
	a := newApp(t)
	mona := a.as("mona")
	mona.post(classicPath, url.Values{"note": {"smuggler"}, "expiration": {"7"}, "scopes": {"repo"},
		"user_id": {strconv.FormatInt(a.userID("ent-admin"), 10)}, "kind": {"fine_grained"}, "org_id": {strconv.FormatInt(a.orgID("octo-org"), 10)},
		"status": {"approved"}, "expires_at": {"2999-01-01T00:00:00Z"}, "scopes[]": {"admin:enterprise"}, "id": {"1"}}).status(http.StatusSeeOther)
	tok := a.token("mona", "smuggler")
	if tok.Kind != policy.KindClassic || tok.OrgID != 0 || tok.Grant != nil || !slices.Equal(tok.Scopes, []string{"repo"}) {
		t.Fatalf("smuggled fields reached the token: %+v", tok)
	}
	if _, ok := a.findToken("ent-admin", "smuggler"); ok {
		t.Fatal("the token was made for another user")
	}

	owner := a.as("octo-owner")
	solo := a.orgPolicy("solo-org")
	owner.post(patPath, url.Values{"version": {strconv.Itoa(a.orgPolicy("octo-org").Version)}, "fine_grained_access": {"restrict"}, "confirm": {"yes"},
		"org_id": {strconv.FormatInt(a.orgID("solo-org"), 10)}, "opted_in": {"0"}, "enterprise": {""}, "classic_max_days": {"1"}}).
		status(http.StatusSeeOther)
	if p := a.orgPolicy("octo-org"); p.Own.FineGrained != policy.Restrict || p.Own.ClassicLifetime != 0 || !p.Effective().OptedIn {
		t.Fatalf("octo-org stored %+v", p.Own)
	}
	if after := a.orgPolicy("solo-org"); after.Version != solo.Version || after.Own != solo.Own {
		t.Fatal("a smuggled org_id changed another organization")
	}
}

// ---- HTML in every text field -------------------------------------------------

// wantEscaped fails when a page holds the payload as markup, and, when
// shown is set, unless it holds it as text.
func wantEscaped(t *testing.T, where string, p *page, payload string, shown bool) {
	t.Helper()
	if p.res.StatusCode >= 500 {
		t.Fatalf("%s: status %d", where, p.res.StatusCode)
	}
	if strings.Contains(p.body, payload) {
		t.Errorf("%s: the page holds %q unescaped", where, payload)
	}
	if n := p.doc.Find(`script:not([src]), img[src="x"], [onerror]`).Length(); n > 0 {
		t.Errorf("%s: %d injected elements", where, n)
	}
	if shown && !strings.Contains(p.doc.Text(), payload) {
		t.Errorf("%s: the page does not show %q as text", where, payload)
	}
}

func TestHostileHTMLIsEscapedEverywhere(t *testing.T) {
	for i, payload := range htmlValues {
		t.Run(payload, func(t *testing.T) {
			a := newApp(t)
			mona, owner, admin := a.as("mona"), a.as("octo-owner"), a.as("ent-admin")

			// A request whose every text is the payload, through every page
			// that shows it, to its requester and to the owners.
			p := mona.post(fgPath, url.Values{"name": {payload}, "description": {payload}, "expiration": {"30"},
				"resource_owner": {"octo-org"}, "justification": {payload}, "repository_selection": {"all"},
				"perm_contents": {"read"}}).status(http.StatusSeeOther)
			tokenURL := p.location()
			wantEscaped(t, "new token page", mona.get(tokenURL), payload, true)
			wantEscaped(t, "token list", mona.get(fgPath), payload, true)
			grant := a.grantID("mona", payload)
			wantEscaped(t, "pending requests", owner.get(requestsPath), payload, true)
			wantEscaped(t, "request page", owner.get(requestsPath+"/"+grant), payload, true)
			wantEscaped(t, "deny page", owner.get(requestsPath+"/"+grant+"/deny"), payload, true)
			wantEscaped(t, "owner's notifications", owner.get("/notifications"), payload, false)
			wantEscaped(t, "audit log", owner.get("/organizations/octo-org/settings/audit-log"), payload, false)

			// The owner's reason, to the requester.
			owner.post(requestsPath+"/"+grant+"/deny", url.Values{"reason": {payload}}).status(http.StatusSeeOther)
			wantEscaped(t, "denied token page", mona.get(tokenURL), payload, true)
			wantEscaped(t, "requester's notifications", mona.get("/notifications"), payload, false)
			wantEscaped(t, "active tokens", owner.get(activePath), payload, false)

			// A name already taken is refused on a page that shows it back.
			wantEscaped(t, "duplicate name", mona.post(fgPath, url.Values{"name": {payload}, "expiration": {"30"},
				"resource_owner": {"@me"}, "repository_selection": {"public"}}).status(http.StatusUnprocessableEntity), payload, false)
			// Text refused for what it holds is shown back escaped.
			wantEscaped(t, "refused token form", mona.post(fgPath, url.Values{"name": {payload + "\x01"}, "description": {payload},
				"expiration": {"30"}, "resource_owner": {payload}, "repository_selection": {payload}}).status(http.StatusUnprocessableEntity), payload, true) // the description's textarea

			// A classic token's note.
			p = mona.post(classicPath, url.Values{"note": {payload}, "expiration": {"30"}, "scopes": {"repo"}}).status(http.StatusSeeOther)
			wantEscaped(t, "classic token page", mona.get(p.location()), payload, true)
			wantEscaped(t, "classic token list", mona.get(classicPath), payload, true)
			wantEscaped(t, "refused classic form", mona.post(classicPath, url.Values{"note": {payload}, "expiration": {payload},
				"scopes": {payload}}).status(http.StatusUnprocessableEntity), payload, false)

			// Settings: days typed are shown back in the refused form.
			wantEscaped(t, "organization settings", owner.post(patPath, url.Values{"version": {"1"}, "fine_grained_access": {payload},
				"fine_grained_max_lifetime_days_expires": {"on"}, "fine_grained_max_lifetime_days_days": {payload}}).
				status(http.StatusUnprocessableEntity), payload, false)
			wantEscaped(t, "enterprise policies", admin.post("/enterprises/octo-ent/settings/personal-access-tokens", url.Values{
				"version": {"1"}, "classic_max_lifetime_days_expires": {"on"}, "classic_max_lifetime_days_days": {payload}}).
				status(http.StatusUnprocessableEntity), payload, false)
			wantEscaped(t, "onboarding", owner.post("/organizations/solo-org/settings/personal-access-tokens-onboarding", url.Values{
				"step": {"1"}, "nav": {"continue"}, "fine_grained_access": {payload}}).status(http.StatusUnprocessableEntity), payload, false)
			wantEscaped(t, "bulk decision", owner.post(requestsPath, url.Values{"decision": {payload}, "id": {payload}, "reason": {payload}}).
				status(http.StatusUnprocessableEntity), payload, false)

			// Filters and sign-in echo what was typed.
			wantEscaped(t, "queue filter", owner.get(requestsPath+"?owner="+url.QueryEscape(payload)+"&repository="+url.QueryEscape(payload)), payload, false)
			wantEscaped(t, "audit filter", owner.get("/organizations/octo-org/settings/audit-log?action="+url.QueryEscape(payload)), payload, false)
			wantEscaped(t, "failed sign-in", a.client().post("/login", url.Values{"login": {payload}, "password": {payload},
				"return_to": {"/" + payload}}).status(http.StatusUnauthorized), payload, false)
			wantEscaped(t, "sign-in page", a.client().get("/login?return_to="+url.QueryEscape("/"+payload)), payload, false)

			// The API keeps the text and answers it as JSON text.
			issues := a.newFineGrained("mona", "html-issues-"+strconv.Itoa(i), fgSpec{Org: "octo-org",
				Permissions: map[string]policy.Level{policy.Metadata: policy.LevelRead, "issues": policy.LevelWrite}})
			user := a.newFineGrained("mona", "html-user-"+strconv.Itoa(i), fgSpec{Days: 30, Permissions: map[string]policy.Level{policy.GitSSHKeys: policy.LevelWrite}})
			for _, r := range []*apiResponse{
				a.api(http.MethodPost, "/repos/octo-org/octo-api/issues", issues, map[string]string{"title": payload, "body": payload}).want(http.StatusCreated),
				a.api(http.MethodPost, "/user/keys", user, map[string]string{"title": payload, "key": sshKeyLine(t)}).want(http.StatusCreated),
			} {
				if bytes.ContainsAny(r.Body, "<>") || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
					t.Errorf("API answer holds markup: %s %s", r.Header.Get("Content-Type"), r.Body)
				}
			}
		})
	}
}

// ---- the API's POST and PATCH routes --------------------------------------------

// apiRoute is one POST or PATCH route of the API.
type apiRoute struct {
	name, method string
	token        string // which token calls it: see apiTokens
	// build gives the path and a body the API accepts in the current state.
	build func(a *app) (path string, body map[string]any)
	// text, enums and nums are the body's fields by kind; a list of ids
	// keeps a good id and adds the hostile one.
	text, enums, nums []string
	// wholeNumber names the text fields that take a whole number too, as
	// GitHub's schema has an issue's title.
	wholeNumber []string
	ok          int
}

// apiTokens makes the tokens the routes are called with.
func apiTokens(a *app) map[string]string {
	return map[string]string{
		"user": a.newFineGrained("mona", "hostile-user", fgSpec{Days: 30, Permissions: map[string]policy.Level{policy.GitSSHKeys: policy.LevelWrite}}),
		"issues": a.newFineGrained("mona", "hostile-issues", fgSpec{Org: "octo-org",
			Permissions: map[string]policy.Level{policy.Metadata: policy.LevelRead, "issues": policy.LevelWrite}}),
		"admin": a.newFineGrained("octo-owner", "hostile-admin", fgSpec{Org: "octo-org", Days: 30, Permissions: map[string]policy.Level{
			policy.Metadata: policy.LevelRead, "organization_administration": policy.LevelWrite}}),
		"enterprise": a.newClassic("ent-admin", "hostile-enterprise", 0, "admin:enterprise"),
	}
}

func apiRoutes() []apiRoute {
	id := func(a *app, login, name string) int64 {
		n, _ := strconv.ParseInt(a.grantID(login, name), 10, 64)
		return n
	}
	return []apiRoute{
		{name: "add an SSH key", method: http.MethodPost, token: "user", ok: http.StatusCreated,
			build: func(a *app) (string, map[string]any) {
				return "/user/keys", map[string]any{"title": "laptop", "key": sshKeyLine(a.t)}
			},
			text: []string{"title", "key"}},
		{name: "create an issue", method: http.MethodPost, token: "issues", ok: http.StatusCreated,
			build: func(*app) (string, map[string]any) {
				return "/repos/octo-org/octo-api/issues", map[string]any{"title": "Broken build", "body": "It fails."}
			},
			text: []string{"title", "body"}, wholeNumber: []string{"title"}},
		{name: "review requests", method: http.MethodPost, token: "admin", ok: http.StatusAccepted,
			build: func(a *app) (string, map[string]any) {
				return "/orgs/octo-org/personal-access-token-requests", map[string]any{"action": "deny", "reason": "Too broad",
					"pat_request_ids": []int64{id(a, "mona", "deploy-bot"), id(a, "hubot", "ci-reader")}}
			},
			text: []string{"reason"}, enums: []string{"action"}, nums: []string{"pat_request_ids"}},
		{name: "review one request", method: http.MethodPost, token: "admin", ok: http.StatusNoContent,
			build: func(a *app) (string, map[string]any) {
				return "/orgs/octo-org/personal-access-token-requests/" + a.grantID("mona", "deploy-bot"),
					map[string]any{"action": "deny", "reason": "Too broad"}
			},
			text: []string{"reason"}, enums: []string{"action"}},
		{name: "revoke tokens", method: http.MethodPost, token: "admin", ok: http.StatusAccepted,
			build: func(a *app) (string, map[string]any) {
				return "/orgs/octo-org/personal-access-tokens", map[string]any{"action": "revoke",
					"pat_ids": []int64{id(a, "octo-owner", "owner-automation")}}
			},
			enums: []string{"action"}, nums: []string{"pat_ids"}},
		{name: "revoke one token", method: http.MethodPost, token: "admin", ok: http.StatusNoContent,
			build: func(a *app) (string, map[string]any) {
				return "/orgs/octo-org/personal-access-tokens/" + a.grantID("octo-owner", "owner-automation"), map[string]any{"action": "revoke"}
			},
			enums: []string{"action"}},
		{name: "change an organization's policy", method: http.MethodPatch, token: "admin", ok: http.StatusOK,
			build: func(*app) (string, map[string]any) {
				return "/orgs/octo-org/personal-access-token-policy", map[string]any{"fine_grained_access": "allow",
					"approval": "not_required", "fine_grained_max_lifetime_days": 90, "classic_max_lifetime_days": nil}
			},
			enums: []string{"fine_grained_access", "approval", "classic_access"},
			nums:  []string{"fine_grained_max_lifetime_days", "classic_max_lifetime_days"}},
		{name: "change an enterprise's policy", method: http.MethodPatch, token: "enterprise", ok: http.StatusOK,
			build: func(*app) (string, map[string]any) {
				return "/enterprises/octo-ent/personal-access-token-policy", map[string]any{"fine_grained_access": "no_policy",
					"approval": "required", "classic_access": "no_policy", "fine_grained_max_lifetime_days": 90,
					"classic_max_lifetime_days": 30, "exempt_administrators": true}
			},
			enums: []string{"fine_grained_access", "approval", "classic_access", "exempt_administrators"},
			nums:  []string{"fine_grained_max_lifetime_days", "classic_max_lifetime_days"}},
	}
}

// rawBody encodes body with field's value replaced by raw JSON (raw may
// hold bytes that are not UTF-8, which json.Marshal would not write).
func rawBody(t *testing.T, body map[string]any, field string, raw string) string {
	t.Helper()
	const mark = `"hostile-value-placeholder"`
	if field != "" {
		body[field] = json.RawMessage(mark)
	}
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Replace(string(b), mark, raw, 1)
}

// jsonString is s as a JSON string literal, its bytes as they are.
func jsonString(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\x00", `\u0000`).Replace(s) + `"`
}

type apiRequest struct {
	name string
	body func(t *testing.T, body map[string]any) string
	// chunked hides the body's length.
	chunked bool
	want    int
}

func apiRequests(r apiRoute) []apiRequest {
	as := func(field, raw string) func(t *testing.T, body map[string]any) string {
		return func(t *testing.T, body map[string]any) string {
			value := raw
			if ids, ok := body[field].([]int64); ok && len(ids) > 0 {
				value = "[" + strconv.FormatInt(ids[0], 10) + "," + raw + "]"
			}
			return rawBody(t, body, field, value)
		}
	}
	whole := func(s string) func(*testing.T, map[string]any) string {
		return func(*testing.T, map[string]any) string { return s }
	}
	reqs := []apiRequest{
		{name: "oversized body", want: http.StatusRequestEntityTooLarge, body: func(t *testing.T, body map[string]any) string {
			body["padding"] = oversized
			return rawBody(t, body, "", "")
		}},
		{name: "oversized body without a length", chunked: true, want: http.StatusRequestEntityTooLarge, body: func(t *testing.T, body map[string]any) string {
			body["padding"] = oversized
			return rawBody(t, body, "", "")
		}},
		{name: "not JSON", want: http.StatusBadRequest, body: whole("action=approve")},
		{name: "cut short", want: http.StatusBadRequest, body: func(t *testing.T, body map[string]any) string {
			s := rawBody(t, body, "", "")
			return s[:len(s)-1]
		}},
		{name: "two bodies", want: http.StatusBadRequest, body: func(t *testing.T, body map[string]any) string {
			s := rawBody(t, body, "", "")
			return s + " " + s
		}},
		{name: "a stray ] after the body", want: http.StatusBadRequest,
			body: func(t *testing.T, body map[string]any) string { return rawBody(t, body, "", "") + "]" }},
		{name: "a list", want: http.StatusUnprocessableEntity, body: whole(`[]`)},
		{name: "a string", want: http.StatusUnprocessableEntity, body: whole(`"approve"`)},
		{name: "empty", want: http.StatusBadRequest, body: whole(``)},
		{name: "unknown field", want: http.StatusUnprocessableEntity, body: func(t *testing.T, body map[string]any) string {
			body["is_admin"] = true
			return rawBody(t, body, "", "")
		}},
	}
	for _, field := range slices.Concat(r.text, r.enums) {
		// A field's name in other letters is another name.
		{
			reqs = append(reqs, apiRequest{name: "field " + strings.ToUpper(field), want: http.StatusUnprocessableEntity,
				body: func(t *testing.T, body map[string]any) string {
					body[strings.ToUpper(field)] = body[field]
					delete(body, field)
					return rawBody(t, body, "", "")
				}})
		}
	}
	for _, field := range slices.Concat(r.text, r.enums) {
		reqs = append(reqs,
			apiRequest{name: "invalid UTF-8 in " + field, want: http.StatusBadRequest, body: as(field, jsonString("ok "+invalidUTF8))},
			apiRequest{name: "lone surrogate in " + field, want: http.StatusBadRequest, body: as(field, `"ok \ud800"`)},
			apiRequest{name: "control character in " + field, want: http.StatusUnprocessableEntity, body: as(field, `"ok\u0000\u001b"`)},
			apiRequest{name: field + " a list", want: http.StatusUnprocessableEntity, body: as(field, `["x"]`)},
		)
		if !slices.Contains(r.wholeNumber, field) {
			reqs = append(reqs, apiRequest{name: field + " a number", want: http.StatusUnprocessableEntity, body: as(field, `12`)})
		}
	}
	for _, field := range r.enums {
		for _, v := range []string{`"unknown"`, `"ALLOW"`, `"allow "`, `""`, `"<b>x</b>"`, `null`} {
			reqs = append(reqs, apiRequest{name: field + " " + v, want: http.StatusUnprocessableEntity, body: as(field, v)})
		}
	}
	for _, field := range r.nums {
		for _, v := range []string{`-1`, `0`, `367`, `1e30`, `99999999999999999999`, `-99999999999999999999`, `1.5`, `"30"`, `true`, `{}`} {
			if v == `367` && strings.HasSuffix(field, "_ids") {
				continue // an id that names no grant is skipped, as on the screens
			}
			reqs = append(reqs, apiRequest{name: field + " " + v, want: http.StatusUnprocessableEntity, body: as(field, v)})
		}
	}
	return reqs
}

// TestHostileAPIBodies sends every POST and PATCH route of the API its
// hostile table: a 4xx in GitHub's error shape with a message, and nothing
// changed.
func TestHostileAPIBodies(t *testing.T) {
	for _, r := range apiRoutes() {
		t.Run(r.name, func(t *testing.T) {
			t.Parallel()
			h := newHostileApp(t)
			tokens := apiTokens(h.app)
			for _, q := range apiRequests(r) {
				t.Run(q.name, func(t *testing.T) {
					path, body := r.build(h.app)
					raw := q.body(t, body)
					before := h.snapshot()
					res := h.apiRaw(r.method, path, tokens[r.token], raw, q.chunked)
					after := h.snapshot()
					if res.Status >= 500 {
						t.Fatalf("status %d: %s", res.Status, res.Body)
					}
					d := before.diff(after)
					if res.Status != q.want {
						t.Errorf("status %d, want %d: %s", res.Status, q.want, res.Body)
					}
					var e struct {
						Message string `json:"message"`
						Errors  []struct {
							Field   string `json:"field"`
							Message string `json:"message"`
						} `json:"errors"`
					}
					if err := json.Unmarshal(res.Body, &e); err != nil || strings.TrimSpace(e.Message) == "" {
						t.Errorf("%d without a message: %s", res.Status, res.Body)
					}
					for _, fe := range e.Errors {
						if fe.Field == "" || fe.Message == "" || strings.HasPrefix(fe.Message, " ") {
							t.Errorf("unclear field error %+v in %s", fe, res.Body)
						}
					}
					if d != "" {
						t.Errorf("the database changed:\n%s", d)
					}
				})
			}
			// The valid body passes: the refusals were the hostile values' doing.
			path, body := r.build(h.app)
			before := h.snapshot()
			h.apiRaw(r.method, path, tokens[r.token], rawBody(t, body, "", ""), false).want(r.ok)
			if before.diff(h.snapshot()) == "" {
				t.Error("the valid body changed nothing")
			}
		})
	}
}

// apiRaw calls the API with a body sent byte for byte.
func (h *hApp) apiRaw(method, path, token, body string, hideLength bool) *apiResponse {
	h.t.Helper()
	var r io.Reader = strings.NewReader(body)
	if hideLength {
		r = chunked(body)
	}
	req, err := http.NewRequest(method, h.srv.URL+"/api/v3"+path, r)
	if err != nil {
		h.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return &apiResponse{t: h.t, Status: res.StatusCode, Header: res.Header, Body: b}
}

// TestHostileAPIPaging: page and per_page are whole numbers (0 means the
// default, as on GitHub).
func TestHostileAPIPaging(t *testing.T) {
	a := newApp(t)
	admin := admAdminToken(a)
	for _, path := range []string{"/orgs/octo-org/personal-access-token-requests", "/orgs/octo-org/members", "/orgs/octo-org/repos"} {
		for _, param := range []string{"page", "per_page"} {
			for _, v := range []string{"-1", "1e30", "99999999999999999999", "abc", "1.5", "%00", "%FF"} {
				r := a.api(http.MethodGet, path+"?"+param+"="+v, admin, nil)
				if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.message(), "Validation") && !strings.Contains(string(r.Body), param) {
					t.Errorf("GET %s?%s=%s: %d %s", path, param, v, r.Status, r.Body)
				}
			}
		}
	}
}
