package server_test

// Races over real HTTP through the whole server: many
// clients at once save settings, decide the same requests, and revoke or
// delete tokens while those tokens are in use. The store-level races are in
// db/concurrency_test.go, and TestMatrixEnforceConcurrentCutoff cuts access
// through the store while the API is used; here every write is an HTTP
// request too, from the screens and from the API, and every answer is
// checked against what was stored and audited. Each race runs on two
// instances of the server on one database, as behind a load balancer: its
// clients are spread over both, so that a write acknowledged by one must
// hold on the other at its next request.

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
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

	"patpolicy/db"
	"patpolicy/policy"
	"patpolicy/service"
)

const (
	raceSettings    = "/organizations/octo-org/settings/personal-access-tokens"
	raceEntSettings = "/enterprises/octo-ent/settings/personal-access-tokens"
	raceQueue       = "/organizations/octo-org/settings/personal-access-token-requests"
	raceDev         = "/settings/personal-access-tokens"
	raceOrgPolicy   = "/orgs/octo-org/personal-access-token-policy"
	raceEntPolicy   = "/enterprises/octo-ent/personal-access-token-policy"
	raceAPIRequests = "/orgs/octo-org/personal-access-token-requests"
	raceAPITokens   = "/orgs/octo-org/personal-access-tokens"
)

var raceOrgAdmin = map[string]policy.Level{policy.Metadata: policy.LevelRead, "organization_administration": policy.LevelWrite}

// ---- helpers: safe from any goroutine (they return errors, never fail) ----

// raceAnswer is one HTTP answer, read in full; err is a transport error.
type raceAnswer struct {
	status int
	header http.Header
	body   string
	err    error
}

func (r raceAnswer) String() string {
	if r.err != nil {
		return "error: " + r.err.Error()
	}
	b := strings.Join(strings.Fields(r.body), " ")
	if len(b) > 400 {
		b = b[:400] + "…"
	}
	return fmt.Sprintf("%d %s", r.status, b)
}

// message is an API error's message, or the page's main text.
func (r raceAnswer) message() string {
	var e struct {
		Message string `json:"message"`
	}
	if json.Unmarshal([]byte(r.body), &e) == nil && e.Message != "" {
		return e.Message
	}
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(r.body))
	if err != nil {
		return r.body
	}
	if main := strings.Join(strings.Fields(doc.Find("main").Text()), " "); main != "" {
		return main
	}
	return strings.Join(strings.Fields(doc.Text()), " ")
}

func raceSend(hc *http.Client, req *http.Request) raceAnswer {
	res, err := hc.Do(req)
	if err != nil {
		return raceAnswer{err: err}
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return raceAnswer{status: res.StatusCode, header: res.Header, body: string(b), err: err}
}

// racePost is the form submission a browser signed in as c would send.
func racePost(c *client, path string, form url.Values) *http.Request {
	f := url.Values{}
	for k, v := range form {
		f[k] = v
	}
	f.Set("_csrf", c.csrf())
	req, _ := http.NewRequest(http.MethodPost, c.app.srv.URL+path, strings.NewReader(f.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return req
}

// raceGet is a GET of path by c, with its answer.
func raceGet(c *client, path string) raceAnswer {
	req, _ := http.NewRequest(http.MethodGet, c.app.srv.URL+path, nil)
	return raceSend(c.http, req)
}

// raceAPIRequest is an API call with token, a JSON body (nil for none) and
// If-Match ("" for none).
func raceAPIRequest(a *app, method, path, token string, body any, ifMatch string) *http.Request {
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = strings.NewReader(string(b))
	}
	req, _ := http.NewRequest(method, a.srv.URL+"/api/v3"+path, r)
	req.Header.Set("Authorization", "Bearer "+token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if ifMatch != "" {
		req.Header.Set("If-Match", ifMatch)
	}
	return req
}

// raceAPIClient is an HTTP client for many concurrent API calls.
func raceAPIClient(t *testing.T) *http.Client {
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 32}}
	t.Cleanup(hc.CloseIdleConnections)
	return hc
}

// raceAll runs f(0) … f(n-1) in n goroutines released together, and
// returns their results in order.
func raceAll[T any](n int, f func(i int) T) []T {
	out := make([]T, n)
	start := make(chan struct{})
	var ready, done sync.WaitGroup
	for i := range n {
		ready.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			ready.Done()
			<-start
			out[i] = f(i)
		}()
	}
	ready.Wait()
	close(start)
	done.Wait()
	return out
}

// ---- helpers for the test goroutine ----------------------------------------

// raceTwins is an app and its twin, two instances on one fresh database,
// with owners (see raceOwners) added to octo-org, and the raw database
// beside them.
func raceTwins(t *testing.T, owners ...string) ([]*app, *sql.DB) {
	path := dbtest.Location(t)
	a := newAppAt(t, path)
	apps := []*app{a, a.twin()}
	raw := raceRaw(t, path)
	raceOwners(a, raw, owners...)
	return apps, raw
}

// raceOn is the instance the k-th client talks to, round robin, and its
// name for messages: a, b, ...
func raceOn(apps []*app, k int) (*app, string) {
	k %= len(apps)
	return apps[k], string(rune('a' + k))
}

// raceRaw opens the database of a newAppAt app beside its store, for
// what the product has no screen for and for reading what was stored.
func raceRaw(t *testing.T, path string) *sql.DB {
	raw, err := db.OpenRaw(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	return raw
}

// raceOwners makes logins (password demo-password) owners of octo-org beside
// octo-owner. The product has no way to add a member: insert the membership
// rows with SQL on the database file, then make a write through the store,
// which sets the API's cache aside (as TestMatrixEnforceMembership does).
func raceOwners(a *app, raw *sql.DB, logins ...string) {
	a.t.Helper()
	ctx := context.Background()
	for _, login := range logins {
		id, err := a.store.CreateUser(ctx, login, login+"@example.com", login, passwordHash(demoPassword))
		if err != nil {
			a.t.Fatal(err)
		}
		if _, err := raw.ExecContext(ctx, `INSERT INTO memberships (org_id, user_id, role) VALUES (?, ?, 'owner')`,
			a.orgID("octo-org"), id); err != nil {
			a.t.Fatal(err)
		}
	}
	solo := a.orgID("solo-org")
	p, err := a.store.OrgPolicy(ctx, solo)
	if err != nil {
		a.t.Fatal(err)
	}
	if err := a.store.SaveOrgPolicy(ctx, solo, a.userID("octo-owner"), p.Version, p.Own, nil, service.ApprovedAsOff); err != nil {
		a.t.Fatal(err)
	}
}

func raceOrgPolicyOf(a *app) db.OrgPolicy {
	a.t.Helper()
	p, err := a.store.OrgPolicy(context.Background(), a.orgID("octo-org"))
	if err != nil {
		a.t.Fatal(err)
	}
	return p
}

// raceCheckInstances checks that every instance reads octo-org's settings
// as after, and counts its grants as they are stored.
func raceCheckInstances(t *testing.T, apps []*app, raw *sql.DB, what string, after db.OrgPolicy) {
	t.Helper()
	for k := range apps {
		on, instance := raceOn(apps, k)
		if p := raceOrgPolicyOf(on); p.Own != after.Own || p.Version != after.Version {
			t.Errorf("%s: instance %s reads %+v v%d, stored %+v v%d", what, instance, p.Own, p.Version, after.Own, after.Version)
		}
	}
	raceCheckGrantCounts(t, apps, raw, what)
}

func racePending(a *app) int {
	a.t.Helper()
	n, err := a.store.CountGrants(context.Background(), a.orgID("octo-org"), policy.GrantPending)
	if err != nil {
		a.t.Fatal(err)
	}
	return n
}

// raceLastEvent is the id of octo-org's newest audit event.
func raceLastEvent(a *app) int64 {
	a.t.Helper()
	evs, err := a.store.AuditEvents(context.Background(), db.AuditQuery{OrgID: a.orgID("octo-org"), Limit: 1})
	if err != nil {
		a.t.Fatal(err)
	}
	if len(evs) == 0 {
		return 0
	}
	return evs[0].ID
}

// raceEventsSince lists octo-org's audit events newer than id, oldest first.
func raceEventsSince(a *app, id int64) []db.AuditEvent {
	a.t.Helper()
	var out []db.AuditEvent
	q := db.AuditQuery{OrgID: a.orgID("octo-org"), Limit: 500}
	for {
		evs, err := a.store.AuditEvents(context.Background(), q)
		if err != nil {
			a.t.Fatal(err)
		}
		for _, e := range evs {
			if e.ID <= id {
				return out
			}
			out = append([]db.AuditEvent{e}, out...)
		}
		if len(evs) < q.Limit {
			return out
		}
		q.BeforeID = evs[len(evs)-1].ID
	}
}

type raceEvent struct{ action, details, actor string }

// raceEnterpriseEventsSince lists octo-ent's audit events newer than id,
// oldest first, and the newest id (the store reads only organizations'
// logs).
func raceEnterpriseEventsSince(a *app, raw *sql.DB, entID, id int64) ([]raceEvent, int64) {
	a.t.Helper()
	rows, err := raw.QueryContext(context.Background(),
		`SELECT e.id, e.action, e.details, COALESCE(u.login, '') FROM audit_events e LEFT JOIN users u ON u.id = e.actor_id
		 WHERE e.enterprise_id = ? AND e.id > ? ORDER BY e.id`, entID, id)
	if err != nil {
		a.t.Fatal(err)
	}
	defer rows.Close()
	var out []raceEvent
	last := id
	for rows.Next() {
		var e raceEvent
		if err := rows.Scan(&last, &e.action, &e.details, &e.actor); err != nil {
			a.t.Fatal(err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		a.t.Fatal(err)
	}
	return out, last
}

// raceCheckEvents compares events with want, in order.
func raceCheckEvents(t *testing.T, what string, got []raceEvent, want []policy.Event, actor string) {
	t.Helper()
	ok := len(got) == len(want)
	for i := 0; ok && i < len(got); i++ {
		ok = got[i].action == want[i].Action && got[i].details == want[i].Details && got[i].actor == actor
	}
	if !ok {
		t.Errorf("%s: audit events %+v, want exactly %+v by %s", what, got, want, actor)
	}
}

// ---- 1. settings saves -----------------------------------------------------

// raceSaver is one client of the settings races: a signed-in browser, or an
// owner's token on the policy API.
type raceSaver struct {
	name, login string
	on          *app    // the instance it talks to
	web         *client // nil: the API with token
	token       string
	enterprise  bool
}

// raceOrgChange is what one saver changes in an organization's settings.
type raceOrgChange struct {
	fgDays   int
	approval policy.Approval // "": left alone (the enterprise enforces it)
	classic  int             // -1: left alone; 0: no maximum; else days
}

// raceOrgChangeFor is saver i's change in round: a fine-grained maximum
// lifetime that no other saver and no other round uses, so that every save
// changes something and the applied one can be told from the rest;
// approval by parity where it is not locked; the classic maximum unset,
// set, or left alone. Lifetimes stay above the 7 days of the API savers'
// own tokens, which must keep working.
func raceOrgChangeFor(round, i int, approvalLocked bool) raceOrgChange {
	ch := raceOrgChange{fgDays: 30 + 20*round + i, classic: -1}
	if !approvalLocked {
		ch.approval = []policy.Approval{policy.ApprovalRequired, policy.ApprovalNotRequired}[i%2]
	}
	switch i % 3 {
	case 0:
		ch.classic = 0
	case 1:
		ch.classic = 100 + i
	}
	return ch
}

func (ch raceOrgChange) apply(own policy.OrgSettings) policy.OrgSettings {
	own.FineGrainedLifetime = ch.fgDays
	if ch.approval != "" {
		own.Approval = ch.approval
	}
	if ch.classic >= 0 {
		own.ClassicLifetime = ch.classic
	}
	return own
}

func (ch raceOrgChange) form(v url.Values) {
	v.Set("fine_grained_max_lifetime_days_expires", "on")
	v.Set("fine_grained_max_lifetime_days_days", strconv.Itoa(ch.fgDays))
	if ch.approval != "" {
		v.Set("approval", string(ch.approval))
	}
	switch {
	case ch.classic == 0:
		v.Del("classic_max_lifetime_days_expires")
	case ch.classic > 0:
		v.Set("classic_max_lifetime_days_expires", "on")
		v.Set("classic_max_lifetime_days_days", strconv.Itoa(ch.classic))
	}
}

func (ch raceOrgChange) json() map[string]any {
	b := map[string]any{"fine_grained_max_lifetime_days": ch.fgDays}
	if ch.approval != "" {
		b["approval"] = ch.approval
	}
	switch {
	case ch.classic == 0:
		b["classic_max_lifetime_days"] = nil
	case ch.classic > 0:
		b["classic_max_lifetime_days"] = ch.classic
	}
	return b
}

// raceEntChange is what one saver changes in octo-ent's policy.
type raceEntChange struct {
	approval    policy.EnterpriseApproval
	classicDays int
}

func (ch raceEntChange) apply(e policy.Enterprise) policy.Enterprise {
	e.Approval, e.ClassicLifetime = ch.approval, ch.classicDays
	return e
}

// load has s open its form (or GET the policy) and returns the save it will
// send, built on the version it read, which must be version.
func (s *raceSaver) load(version int, form func(url.Values), body map[string]any) *http.Request {
	a := s.on
	a.t.Helper()
	page, api := raceSettings, raceOrgPolicy
	if s.enterprise {
		page, api = raceEntSettings, raceEntPolicy
	}
	if s.web == nil {
		r := a.api(http.MethodGet, api, s.token, nil).want(http.StatusOK)
		if etag := r.Header.Get("ETag"); etag != fmt.Sprintf(`"%d"`, version) {
			a.t.Fatalf("%s: ETag %s, want version %d", s.name, etag, version)
		}
		return raceAPIRequest(a, http.MethodPatch, api, s.token, body, r.Header.Get("ETag"))
	}
	p := s.web.get(page).status(http.StatusOK)
	if v := p.attr(`form.settings-form input[name="version"]`, "value"); v != strconv.Itoa(version) {
		a.t.Fatalf("%s: form built on version %q, want %d", s.name, v, version)
	}
	action, values := p.formOf("form.settings-form")
	form(values)
	// Saving may approve pending requests: the owner has confirmed it.
	values.Set("confirm", "yes")
	return racePost(s.web, action, values)
}

func (s *raceSaver) send(hc *http.Client, req *http.Request) raceAnswer {
	if s.web != nil {
		return raceSend(s.web.http, req)
	}
	return raceSend(hc, req)
}

// outcome sorts the answer to s's save: applied, refused as out of date, or
// anything else, which is a failure.
func (s *raceSaver) outcome(ans raceAnswer) (applied bool, problem string) {
	page := raceSettings
	if s.enterprise {
		page = raceEntSettings
	}
	switch {
	case ans.err != nil:
		return false, ans.String()
	case s.web != nil && ans.status == http.StatusSeeOther && ans.header.Get("Location") == page:
		return true, ""
	case s.web != nil && ans.status == http.StatusConflict && strings.Contains(ans.body, "These settings were changed since you opened this page"):
		return false, ""
	case s.web == nil && ans.status == http.StatusOK:
		return true, ""
	case s.web == nil && ans.status == http.StatusConflict && strings.Contains(ans.message(), "changed since the version in If-Match"):
		return false, ""
	}
	return false, "unexpected answer " + ans.String()
}

// raceSettingsApp is two instances with octo-admin as a second owner of
// octo-org, and the raw database beside them.
func raceSettingsApp(t *testing.T) ([]*app, *sql.DB) {
	return raceTwins(t, "octo-admin")
}

// raceOrgSavers are nweb browsers (two thirds octo-owner, the rest
// octo-admin, each its own session) and napi policy API clients (tokens of
// both owners with Organization administration read and write), spread
// over the instances so that each has browsers and tokens of both owners.
func raceOrgSavers(apps []*app, nweb, napi int) []*raceSaver {
	a := apps[0]
	var out []*raceSaver
	for i := range nweb {
		login := "octo-owner"
		if i%3 == 2 {
			login = "octo-admin"
		}
		on, instance := raceOn(apps, i)
		out = append(out, &raceSaver{name: fmt.Sprintf("browser %d (%s, %s)", i, login, instance), login: login, on: on, web: on.as(login)})
	}
	for i := range napi {
		login := []string{"octo-owner", "octo-admin"}[i%2]
		on, instance := raceOn(apps, i+i/2)
		token := a.newFineGrained(login, fmt.Sprintf("race-policy-%d", i), fgSpec{Org: "octo-org", Permissions: raceOrgAdmin, Days: 7})
		out = append(out, &raceSaver{name: fmt.Sprintf("API %d (%s, %s)", i, login, instance), login: login, on: on, token: token})
	}
	return out
}

// raceAddPending adds n pending requests of mona when octo-org requires
// approval, so that a save turning approval off has requests to approve.
func raceAddPending(a *app, p db.OrgPolicy, prefix string, n int) {
	if p.Effective().Approval != policy.ApprovalRequired {
		return
	}
	for k := range n {
		a.addRequest("mona", "octo-org", fmt.Sprintf("%s-%d", prefix, k), nil)
	}
}

// raceCheckOrgEvents checks octo-org's audit events since last: the applied
// save's events (none if no save applied), by its author, then or around
// them one access_granted per pending request that a change of approval
// approved, and nothing else.
func raceCheckOrgEvents(t *testing.T, a *app, what string, last int64, want []policy.Event, actor string, pendingBefore int, enforced ...policy.Event) {
	t.Helper()
	var got, gotEnforced []raceEvent
	granted := 0
	for _, e := range raceEventsSince(a, last) {
		switch {
		case e.Action == policy.ActionAccessGranted && strings.HasSuffix(e.Details, "approval is no longer required"):
			granted++
		case strings.HasSuffix(e.Details, " enterprise)"):
			// The enterprise's change, recorded in the organization's log.
			gotEnforced = append(gotEnforced, raceEvent{e.Action, e.Details, e.ActorLogin})
		default:
			got = append(got, raceEvent{e.Action, e.Details, e.ActorLogin})
		}
	}
	raceCheckEvents(t, what, got, want, actor)
	raceCheckEvents(t, what+" (set by the enterprise)", gotEnforced, enforced, "ent-admin")
	pendingAfter := racePending(a)
	if pendingAfter != 0 && pendingAfter != pendingBefore {
		t.Errorf("%s: %d pending requests, from %d: some approved, some not", what, pendingAfter, pendingBefore)
	}
	if granted != pendingBefore-pendingAfter {
		t.Errorf("%s: %d access_granted events for %d requests approved by the change of approval", what, granted, pendingBefore-pendingAfter)
	}
	if eff := raceOrgPolicyOf(a).Effective(); eff.Approval == policy.ApprovalNotRequired && pendingAfter != 0 {
		t.Errorf("%s: approval is not required, yet %d requests are pending", what, pendingAfter)
	}
}

// Sixteen owners' clients (browsers of two owners, and the policy API with
// If-Match) open the settings at the same version and save different
// changes at once: each save is applied or refused with 409, exactly one
// applies, the stored settings are its values, and the audit log holds its
// events and no others.
func TestRaceSettingsSaves(t *testing.T) {
	apps, raw := raceSettingsApp(t)
	a := apps[0]
	savers := raceOrgSavers(apps, 12, 4)
	hc := raceAPIClient(t)
	for round := range 5 {
		began := time.Now()
		raceAddPending(a, raceOrgPolicyOf(a), fmt.Sprintf("race-settings-%d", round), 2)
		before := raceOrgPolicyOf(a)
		pendingBefore := racePending(a)
		last := raceLastEvent(a)
		locked := before.Effective().Locked[policy.FieldApproval] != ""
		changes := make([]raceOrgChange, len(savers))
		reqs := make([]*http.Request, len(savers))
		for i, s := range savers {
			changes[i] = raceOrgChangeFor(round, i, locked)
			reqs[i] = s.load(before.Version, changes[i].form, changes[i].json())
		}
		answers := raceAll(len(savers), func(i int) raceAnswer { return savers[i].send(hc, reqs[i]) })

		var applied []int
		for i, ans := range answers {
			ok, problem := savers[i].outcome(ans)
			if problem != "" {
				t.Errorf("round %d: %s: %s", round, savers[i].name, problem)
			}
			if ok {
				applied = append(applied, i)
			}
		}
		if t.Failed() {
			t.FailNow()
		}
		if len(applied) != 1 {
			t.Fatalf("round %d: %d of %d saves from version %d were applied (%v), want exactly 1", round, len(applied), len(savers), before.Version, applied)
		}
		w := applied[0]
		want := changes[w].apply(before.Own)
		after := raceOrgPolicyOf(a)
		if after.Own != want || after.Version != before.Version+1 {
			t.Fatalf("round %d: stored %+v v%d, want the applied save's (%s) %+v v%d", round, after.Own, after.Version, savers[w].name, want, before.Version+1)
		}
		if s := savers[w]; s.web == nil {
			var got map[string]any
			if err := json.Unmarshal([]byte(answers[w].body), &got); err != nil || got["fine_grained_max_lifetime_days"] != float64(changes[w].fgDays) {
				t.Errorf("round %d: the applied PATCH answered %s", round, answers[w])
			}
			if etag := answers[w].header.Get("ETag"); etag != fmt.Sprintf(`"%d"`, after.Version) {
				t.Errorf("round %d: the applied PATCH answered ETag %s, want the stored version %d", round, etag, after.Version)
			}
		}
		raceCheckOrgEvents(t, a, fmt.Sprintf("round %d", round), last, policy.OrgEvents(before.Own, want), savers[w].login, pendingBefore)
		raceCheckInstances(t, apps, raw, fmt.Sprintf("round %d", round), after)
		t.Logf("round %d: %s applied, %d refused with 409, in %v", round, savers[w].name, len(savers)-1, time.Since(began).Round(time.Millisecond))
	}
}

// An enterprise owner's save makes every octo-org form open at that moment
// stale: organization saves racing with two enterprise browsers and the
// enterprise policy API are applied only if they committed first (the
// version then goes up twice), else refused with 409. The enterprise
// alternately enforces approval, so that a racing organization save
// validated before the lock must not slip through after it.
func TestRaceSettingsEnterpriseVsOrg(t *testing.T) {
	apps, raw := raceSettingsApp(t)
	a, b := apps[0], apps[1]
	ctx := context.Background()
	orgSavers := raceOrgSavers(apps, 8, 2)
	entToken := a.newClassic("ent-admin", "race-enterprise", 7, "admin:enterprise")
	entSavers := []*raceSaver{
		{name: "enterprise browser 0 (a)", login: "ent-admin", on: a, web: a.as("ent-admin"), enterprise: true},
		{name: "enterprise browser 1 (b)", login: "ent-admin", on: b, web: b.as("ent-admin"), enterprise: true},
		{name: "enterprise API (a)", login: "ent-admin", on: a, token: entToken, enterprise: true},
	}
	savers := append(append([]*raceSaver{}, orgSavers...), entSavers...)
	ent, err := a.store.EnterpriseOwnedBy(ctx, "octo-ent", a.userID("ent-admin"))
	if err != nil {
		t.Fatal(err)
	}
	entID := ent.ID
	_, lastEnt := raceEnterpriseEventsSince(a, raw, entID, 0)
	hc := raceAPIClient(t)
	orgWins := 0
	for round := range 6 {
		began := time.Now()
		raceAddPending(a, raceOrgPolicyOf(a), fmt.Sprintf("race-ent-%d", round), 2)
		before := raceOrgPolicyOf(a)
		entBefore, entVersion, err := a.store.EnterprisePolicy(ctx, entID)
		if err != nil {
			t.Fatal(err)
		}
		pendingBefore := racePending(a)
		last := raceLastEvent(a)
		locked := before.Effective().Locked[policy.FieldApproval] != ""

		reqs := make([]*http.Request, len(savers))
		orgChanges := make([]raceOrgChange, len(orgSavers))
		for i, s := range orgSavers {
			orgChanges[i] = raceOrgChangeFor(round, i, locked)
			reqs[i] = s.load(before.Version, orgChanges[i].form, orgChanges[i].json())
		}
		entChanges := make([]raceEntChange, len(entSavers))
		for j, s := range entSavers {
			ch := raceEntChange{approval: policy.EnterpriseApprovalRequired, classicDays: 300 + 3*round + j}
			if entBefore.Approval == policy.EnterpriseApprovalRequired {
				ch.approval = policy.EnterpriseApprovalNoPolicy
			}
			entChanges[j] = ch
			reqs[len(orgSavers)+j] = s.load(entVersion, func(v url.Values) {
				v.Set("approval", string(ch.approval))
				v.Set("classic_max_lifetime_days_expires", "on")
				v.Set("classic_max_lifetime_days_days", strconv.Itoa(ch.classicDays))
			}, map[string]any{"approval": ch.approval, "classic_max_lifetime_days": ch.classicDays})
		}
		answers := raceAll(len(savers), func(i int) raceAnswer { return savers[i].send(hc, reqs[i]) })

		var orgApplied, entApplied []int
		for i, ans := range answers {
			ok, problem := savers[i].outcome(ans)
			if problem != "" {
				t.Errorf("round %d: %s: %s", round, savers[i].name, problem)
			}
			switch {
			case ok && i < len(orgSavers):
				orgApplied = append(orgApplied, i)
			case ok:
				entApplied = append(entApplied, i-len(orgSavers))
			}
		}
		if t.Failed() {
			t.FailNow()
		}
		if len(entApplied) != 1 || len(orgApplied) > 1 {
			t.Fatalf("round %d: %d enterprise saves and %d organization saves applied, want 1 and at most 1", round, len(entApplied), len(orgApplied))
		}
		j := entApplied[0]
		entWant := entChanges[j].apply(entBefore)
		entAfter, entVersionAfter, err := a.store.EnterprisePolicy(ctx, entID)
		if err != nil {
			t.Fatal(err)
		}
		if entAfter != entWant || entVersionAfter != entVersion+1 {
			t.Fatalf("round %d: enterprise stored %+v v%d, want %s's %+v v%d", round, entAfter, entVersionAfter, entSavers[j].name, entWant, entVersion+1)
		}
		var entEvents []raceEvent
		entEvents, lastEnt = raceEnterpriseEventsSince(a, raw, entID, lastEnt)
		raceCheckEvents(t, fmt.Sprintf("round %d: enterprise", round), entEvents, policy.EnterpriseEvents(entBefore, entWant), "ent-admin")

		orgWant, orgEvents, orgActor, winner := before.Own, []policy.Event(nil), "", "no organization save"
		if len(orgApplied) == 1 {
			i := orgApplied[0]
			orgWant = orgChanges[i].apply(before.Own)
			orgEvents, orgActor, winner = policy.OrgEvents(before.Own, orgWant), orgSavers[i].login, orgSavers[i].name
			orgWins++
		}
		after := raceOrgPolicyOf(a)
		if after.Own != orgWant || after.Version != before.Version+len(orgApplied)+1 {
			t.Fatalf("round %d: octo-org stored %+v v%d from v%d, want %+v v%d (%s applied, then the enterprise's save)",
				round, after.Own, after.Version, before.Version, orgWant, before.Version+len(orgApplied)+1, winner)
		}
		raceCheckOrgEvents(t, a, fmt.Sprintf("round %d: octo-org", round), last, orgEvents, orgActor, pendingBefore,
			policy.EnforcedBy(policy.EnterpriseEvents(entBefore, entWant), "Octo Enterprise")...)
		raceCheckInstances(t, apps, raw, fmt.Sprintf("round %d: octo-org", round), after)
		t.Logf("round %d: %s and %s applied, in %v", round, entSavers[j].name, winner, time.Since(began).Round(time.Millisecond))
	}
	t.Logf("an organization save beat the enterprise's in %d of 6 rounds", orgWins)
}

// confirmedForm is an action's form once its confirmation was answered.
var confirmedForm = url.Values{"confirm": {"yes"}}

// ---- 2. reviews ------------------------------------------------------------

// raceReviewer is one client reviewing requests: an owner's browser or an
// owner's token on the administration API.
type raceReviewer struct {
	name, login string
	on          *app // the instance it talks to
	web         *client
	token       string
}

// raceOp is one review a reviewer sends: on one request or, in bulk, on
// several (indexes into the round's requests).
type raceOp struct {
	reviewer int
	approve  bool
	bulk     bool
	reqs     []int
	reason   string // denials only: unique, so the stored reason tells which op decided

	ans              raceAnswer
	flash            string // a browser's flash after the redirect
	decided, skipped int    // as the flash tells
}

type raceRequest struct {
	name, login    string
	grant, tokenID int64
}

var (
	raceFlashOne  = regexp.MustCompile(`^(Approved|Denied) “([^”]*)”\.`)
	raceFlashMany = regexp.MustCompile(`^(Approved|Denied) (\d+) requests\.`)
	raceFlashSkip = regexp.MustCompile(`(\d+) selected items? had already been decided or withdrawn`)
	raceSubject   = regexp.MustCompile(`^Token “([^”]*)” of `)
)

// run sends op and, for a browser, follows the redirect to read the flash.
func (d *raceReviewer) run(hc *http.Client, reqs []raceRequest, op *raceOp) {
	a := d.on
	action := map[bool]string{true: "approve", false: "deny"}[op.approve]
	ids := make([]int64, len(op.reqs))
	for k, r := range op.reqs {
		ids[k] = reqs[r].grant
	}
	var req *http.Request
	switch {
	case d.web != nil && op.bulk:
		form := url.Values{"decision": {action}, "confirm": {"yes"}}
		for _, id := range ids {
			form.Add("id", strconv.FormatInt(id, 10))
		}
		if !op.approve {
			form.Set("reason", op.reason)
		}
		req = racePost(d.web, raceQueue, form)
	case d.web != nil:
		form := url.Values{}
		if !op.approve {
			form.Set("reason", op.reason)
		}
		req = racePost(d.web, fmt.Sprintf("%s/%d/%s", raceQueue, ids[0], action), form)
	case op.bulk:
		body := map[string]any{"pat_request_ids": ids, "action": action}
		if !op.approve {
			body["reason"] = op.reason
		}
		req = raceAPIRequest(a, http.MethodPost, raceAPIRequests, d.token, body, "")
	default:
		body := map[string]any{"action": action}
		if !op.approve {
			body["reason"] = op.reason
		}
		req = raceAPIRequest(a, http.MethodPost, fmt.Sprintf("%s/%d", raceAPIRequests, ids[0]), d.token, body, "")
	}
	if d.web == nil {
		op.ans = raceSend(hc, req)
		return
	}
	op.ans = raceSend(d.web.http, req)
	if op.ans.err != nil || op.ans.status != http.StatusSeeOther {
		return
	}
	next := raceGet(d.web, op.ans.header.Get("Location"))
	if next.err != nil || next.status != http.StatusOK {
		op.flash = "(the redirect answered " + next.String() + ")"
		return
	}
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(next.body))
	if err != nil {
		op.flash = err.Error()
		return
	}
	op.flash = strings.Join(strings.Fields(doc.Find(`[role="status"]`).Text()), " ")
	if m := raceFlashOne.FindStringSubmatch(op.flash); m != nil {
		op.decided = 1
	} else if m := raceFlashMany.FindStringSubmatch(op.flash); m != nil {
		op.decided, _ = strconv.Atoi(m[2])
	}
	if m := raceFlashSkip.FindStringSubmatch(op.flash); m != nil {
		op.skipped, _ = strconv.Atoi(m[1])
	}
}

// raceCheckGrantCounts checks that octo-org's grant_counts hold, for each
// status, exactly the grants that have it (a decision counted twice, or
// not at all, would show), and that every instance counts as many.
func raceCheckGrantCounts(t *testing.T, apps []*app, raw *sql.DB, what string) {
	t.Helper()
	ctx := context.Background()
	orgID := apps[0].orgID("octo-org")
	for _, st := range []policy.GrantStatus{policy.GrantPending, policy.GrantApproved, policy.GrantDenied, policy.GrantRevoked} {
		var stored, counted int
		if err := raw.QueryRowContext(ctx, `SELECT count(*) FROM grants WHERE org_id = ? AND status = ?`, orgID, st).Scan(&stored); err != nil {
			t.Fatal(err)
		}
		if err := raw.QueryRowContext(ctx, `SELECT COALESCE((SELECT n FROM grant_counts WHERE org_id = ? AND status = ?), 0)`, orgID, st).Scan(&counted); err != nil {
			t.Fatal(err)
		}
		if counted != stored {
			t.Errorf("%s: grant_counts has %d %s grants, the table %d", what, counted, st, stored)
		}
		for k := range apps {
			on, instance := raceOn(apps, k)
			n, err := on.store.CountGrants(ctx, orgID, st)
			if err != nil {
				t.Fatal(err)
			}
			if n != stored {
				t.Errorf("%s: instance %s counts %d %s grants, the table has %d", what, instance, n, st, stored)
			}
		}
	}
}

// raceVerb is how a refusal names what happened to the request.
func raceVerb(s policy.GrantStatus) string {
	return map[policy.GrantStatus]string{policy.GrantApproved: "already approved", policy.GrantDenied: "already denied"}[s]
}

// Two owners in three browsers and the administration API (a third
// owner's token, from two clients) approve and deny the same twenty pending
// requests at once, singly and in bulk, each client going through all of
// them in its own random order. Each request ends decided exactly once: one
// decision event by the owner the grant names, one notification to its
// requester; every answer tells the truth about what it did.
//
// The losers' contract: a browser's single decision is refused with 409
// naming the decision made and who made it, the API's with 422 and the same
// message; a browser's bulk decision redirects (303) with a flash counting
// what it decided and what it left; the API's bulk decision answers 202
// when it decided at least one, 422 when nothing was left.
func TestRaceReviews(t *testing.T) {
	apps, raw := raceTwins(t, "octo-admin", "octo-bot")
	a, b := apps[0], apps[1]
	ctx := context.Background()
	orgID := a.orgID("octo-org")
	token := a.newFineGrained("octo-bot", "race-review", fgSpec{Org: "octo-org", Permissions: raceOrgAdmin, Days: 7})
	reviewers := []*raceReviewer{
		{name: "octo-owner browser 1 (a)", login: "octo-owner", on: a, web: a.as("octo-owner")},
		{name: "octo-owner browser 2 (b)", login: "octo-owner", on: b, web: b.as("octo-owner")},
		{name: "octo-admin browser (b)", login: "octo-admin", on: b, web: b.as("octo-admin")},
		{name: "octo-bot API 1 (a)", login: "octo-bot", on: a, token: token},
		{name: "octo-bot API 2 (b)", login: "octo-bot", on: b, token: token},
	}
	hc := raceAPIClient(t)
	const n = 20
	for round := range 3 {
		began := time.Now()
		last := raceLastEvent(a)
		reqs := make([]raceRequest, n)
		for i := range reqs {
			r := raceRequest{name: fmt.Sprintf("race-%d-%02d", round, i), login: []string{"mona", "hubot"}[i%2]}
			r.grant = a.addRequest(r.login, "octo-org", r.name, nil)
			r.tokenID = a.token(r.login, r.name).ID
			reqs[i] = r
		}
		// Each client goes through the requests in its own order, except in
		// round 1, where all go in the same order and so reach each request
		// at about the same moment.
		rng := rand.New(rand.NewPCG(uint64(round), 5))
		shared := rng.Perm(n)
		plans := make([][]*raceOp, len(reviewers))
		for d := range reviewers {
			perm := rng.Perm(n)
			if round == 1 {
				perm = shared
			}
			for i := 0; i < n; {
				kind := rng.IntN(4)
				size := 1
				if kind >= 2 {
					size = 2 + rng.IntN(5)
				}
				op := &raceOp{reviewer: d, approve: kind%2 == 0, bulk: kind >= 2, reqs: perm[i:min(i+size, n)]}
				if !op.approve {
					op.reason = fmt.Sprintf("race %d %s op %d", round, strings.ReplaceAll(reviewers[d].name, " ", "-"), len(plans[d]))
				}
				plans[d] = append(plans[d], op)
				i += size
			}
		}
		raceAll(len(reviewers), func(d int) struct{} {
			for _, op := range plans[d] {
				reviewers[d].run(hc, reqs, op)
			}
			return struct{}{}
		})

		// What was stored, decided once each.
		final := make([]db.Token, n)
		byReason := map[string][]int{}
		for i, r := range reqs {
			tok, err := a.store.GrantOf(ctx, orgID, r.grant)
			if err != nil {
				t.Fatal(err)
			}
			final[i] = tok
			switch g := tok.Grant; g.Status {
			case policy.GrantApproved:
			case policy.GrantDenied:
				byReason[g.Reason] = append(byReason[g.Reason], i)
			default:
				t.Errorf("round %d: %s is %s after every client decided it", round, r.name, g.Status)
			}
		}
		index := map[string]int{}
		for i, r := range reqs {
			index[r.name] = i
		}
		decisions := make([][]db.AuditEvent, n)
		approvalsBy := map[string]int{}
		for _, e := range raceEventsSince(a, last) {
			if e.Action != policy.ActionAccessGranted && e.Action != policy.ActionRequestDenied {
				if e.Action != policy.ActionRequestCreated {
					t.Errorf("round %d: unexpected audit event %+v", round, e)
				}
				continue
			}
			m := raceSubject.FindStringSubmatch(e.Details)
			i, ok := 0, m != nil
			if ok {
				i, ok = index[m[1]]
			}
			if !ok {
				t.Errorf("round %d: decision event about no request of the round: %+v", round, e)
				continue
			}
			decisions[i] = append(decisions[i], e)
			if e.Action == policy.ActionAccessGranted {
				approvalsBy[e.ActorLogin]++
			}
		}
		notes := map[string][]db.Notification{"mona": a.notifications("mona"), "hubot": a.notifications("hubot")}
		for i, r := range reqs {
			g := final[i].Grant
			wantAction := policy.ReviewAuditAction(g.Status)
			if evs := decisions[i]; len(evs) != 1 || evs[0].Action != wantAction || evs[0].ActorLogin != g.Reviewer ||
				g.Status == policy.GrantDenied && !strings.HasSuffix(evs[0].Details, "reason: "+g.Reason) {
				t.Errorf("round %d: %s is %s by %s (reason %q), with decision events %+v", round, r.name, g.Status, g.Reviewer, g.Reason, evs)
			}
			var mine []db.Notification
			for _, nt := range notes[r.login] {
				if nt.Link == fmt.Sprintf("%s/%d", raceDev, r.tokenID) {
					mine = append(mine, nt)
				}
			}
			want := policy.ReviewNotice(g.Status, policy.TokenSubject{Name: r.name, Owner: r.login, Org: "octo-org"}, g.Reason)
			if len(mine) != 1 || mine[0].Message != want {
				t.Errorf("round %d: %s's notifications about %s: %+v, want one %q", round, r.login, r.name, mine, want)
			}
		}

		// Every answer tells what its op did.
		ops, refused := 0, 0
		wantApprovals := map[string][2]int{} // least and most access_granted by login
		for d, plan := range plans {
			dec := reviewers[d]
			for k, op := range plan {
				ops++
				what := fmt.Sprintf("round %d: %s op %d (%s %v, bulk %v)", round, dec.name, k,
					map[bool]string{true: "approve", false: "deny"}[op.approve], op.reqs, op.bulk)
				if op.ans.err != nil {
					t.Errorf("%s: %v", what, op.ans.err)
					continue
				}
				target := policy.GrantDenied
				if op.approve {
					target = policy.GrantApproved
				}
				mine := 0 // requests its (denial's) reason is stored on
				if op.reason != "" {
					for _, i := range byReason[op.reason] {
						if !slices.Contains(op.reqs, i) {
							t.Errorf("%s: %s, which it did not name, has its reason", what, reqs[i].name)
						}
						mine++
					}
				}
				least, most := wantApprovals[dec.login][0], wantApprovals[dec.login][1]
				switch {
				case !op.bulk && (dec.web != nil && op.ans.status == http.StatusSeeOther || dec.web == nil && op.ans.status == http.StatusNoContent):
					i := op.reqs[0]
					g := final[i].Grant
					if g.Status != target || g.Reviewer != dec.login || !op.approve && mine != 1 {
						t.Errorf("%s: answered %d, but %s is %s by %s (reason %q)", what, op.ans.status, reqs[i].name, g.Status, g.Reviewer, g.Reason)
					}
					verb := map[bool]string{true: "Approved", false: "Denied"}[op.approve]
					if want := verb + " “" + reqs[i].name + "”."; dec.web != nil && op.flash != want {
						t.Errorf("%s: flash %q, want %q", what, op.flash, want)
					}
					if op.approve {
						least, most = least+1, most+1
					}
				case !op.bulk && (dec.web != nil && op.ans.status == http.StatusConflict || dec.web == nil && op.ans.status == http.StatusUnprocessableEntity):
					refused++
					g := final[op.reqs[0]].Grant
					msg := op.ans.message()
					if !strings.Contains(msg, "no longer pending") || !strings.Contains(msg, raceVerb(g.Status)+" by "+g.Reviewer) || mine != 0 {
						t.Errorf("%s: refused with %q, but the request is %s by %s (reason %q)", what, msg, g.Status, g.Reviewer, g.Reason)
					}
				case op.bulk && dec.web != nil && op.ans.status == http.StatusSeeOther:
					if op.decided+op.skipped != len(op.reqs) || !op.approve && op.decided != mine {
						t.Errorf("%s: flash %q for %d requests, %d of which carry its reason", what, op.flash, len(op.reqs), mine)
					}
					if op.skipped > 0 {
						refused++
					}
					if op.approve {
						least, most = least+op.decided, most+op.decided
					}
				case op.bulk && dec.web == nil && op.ans.status == http.StatusAccepted:
					if !op.approve && mine == 0 {
						t.Errorf("%s: answered 202, but none of its requests carries its reason", what)
					}
					if op.approve {
						least, most = least+1, most+len(op.reqs)
					}
				case op.bulk && dec.web == nil && op.ans.status == http.StatusUnprocessableEntity:
					refused++
					if msg := op.ans.message(); !strings.Contains(msg, "None of these are pending requests any more") || mine != 0 {
						t.Errorf("%s: refused with %q, %d of its requests carry its reason", what, msg, mine)
					}
				default:
					t.Errorf("%s: unexpected answer %s", what, op.ans)
				}
				wantApprovals[dec.login] = [2]int{least, most}
			}
		}
		for _, login := range []string{"octo-owner", "octo-admin", "octo-bot"} {
			if got, w := approvalsBy[login], wantApprovals[login]; got < w[0] || got > w[1] {
				t.Errorf("round %d: %d access_granted events by %s; its clients were told they approved %d to %d", round, got, login, w[0], w[1])
			}
		}
		for k := range apps {
			on, instance := raceOn(apps, k)
			if q := on.as("octo-owner").get(raceQueue).status(http.StatusOK); strings.Contains(q.body, fmt.Sprintf("race-%d-", round)) {
				t.Errorf("round %d: the queue on instance %s still lists requests of the round", round, instance)
			}
		}
		raceCheckGrantCounts(t, apps, raw, fmt.Sprintf("round %d", round))
		if t.Failed() {
			t.FailNow()
		}
		approved := 0
		for _, tok := range final {
			if tok.Grant.Status == policy.GrantApproved {
				approved++
			}
		}
		t.Logf("round %d: %d requests (%d approved, %d denied) decided once each through %d ops, %d of them refused or partly left, in %v",
			round, n, approved, n-approved, ops, refused, time.Since(began).Round(time.Millisecond))
	}
}

// ---- 3. revocation and deletion while a token is used -----------------------

// raceEndpoint is an API call the hammer makes with the token.
type raceEndpoint struct {
	name, method, path string
	body               func(n int64) any // nil: none
	ok, cut            int               // its answers before and after the cut, where one test needs them
}

// raceCall is one call of the hammer.
type raceCall struct {
	ep int
	// instance is the index of the app the call went to.
	instance int
	// early: the call had its answer before the cutters were started.
	early bool
	// cuts: bit k is set if cutter k's answer had arrived when the call
	// started.
	cuts    uint32
	status  int
	message string // of a refusal
	err     error
}

// raceHammer calls eps with secret, round robin, from 8 goroutines spread
// over the instances (each calls one of them). Once 40 calls were made it
// starts every cutter at once, each in its own goroutine, and records for
// each later call which cutters' answers had arrived before it started,
// and which had their answers before the cutters were started. It stops
// after 200 calls that started when all cutters had answered, among them
// at least 20 on each instance (one instance may stall for a moment, as
// when the machine is busy: the other's calls do not stand for it), and
// returns the calls and the cutters' answers.
func raceHammer(apps []*app, secret string, eps []raceEndpoint, cutters []func() raceAnswer) ([]raceCall, []raceAnswer) {
	a := apps[0]
	var (
		launched        atomic.Bool
		answered        atomic.Uint32
		stop            atomic.Bool
		total, post, nr atomic.Int64
		postOn          = make([]atomic.Int64, len(apps))
		mu              sync.Mutex
		calls           []raceCall
		wg              sync.WaitGroup
	)
	all := uint32(1)<<len(cutters) - 1
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
	defer hc.CloseIdleConnections()
	for g := range 8 {
		wg.Add(1)
		instance := g % len(apps)
		on := apps[instance]
		go func() {
			defer wg.Done()
			var mine []raceCall
			for k := g; !stop.Load(); k++ {
				ep := k % len(eps)
				var body any
				if eps[ep].body != nil {
					body = eps[ep].body(nr.Add(1))
				}
				req := raceAPIRequest(on, eps[ep].method, eps[ep].path, secret, body, "")
				c := raceCall{ep: ep, instance: instance, cuts: answered.Load()} // read before the call starts
				ans := raceSend(hc, req)
				c.early = !launched.Load() // read after its answer
				c.status, c.err = ans.status, ans.err
				if ans.err == nil && ans.status >= 300 {
					c.message = ans.message()
				}
				mine = append(mine, c)
				total.Add(1)
				if c.cuts == all {
					post.Add(1)
					postOn[instance].Add(1)
				}
				if c.err != nil {
					break
				}
			}
			mu.Lock()
			calls = append(calls, mine...)
			mu.Unlock()
		}()
	}
	waitAtLeast(&total, 40)
	// Writes that change nothing the calls read, just before the cut, as
	// in mxHammer: each sets aside the cache's access generation (grant
	// statuses, organizations' policies), so that the callers are loading
	// those from the database when the cut begins, which is when a load
	// from before the cut could wrongly be kept after it. They alternate
	// between the instances' stores: each instance must notice the other's.
	ctx := context.Background()
	solo, actor := a.orgID("solo-org"), a.userID("octo-owner")
	for k := range 10 {
		on, _ := raceOn(apps, k)
		if p, err := on.store.OrgPolicy(ctx, solo); err == nil {
			on.store.SaveOrgPolicy(ctx, solo, actor, p.Version, p.Own, nil, service.ApprovedAsOff)
		}
	}
	answers := make([]raceAnswer, len(cutters))
	var cw sync.WaitGroup
	launched.Store(true)
	for k, cut := range cutters {
		cw.Add(1)
		go func() {
			defer cw.Done()
			answers[k] = cut()
			for {
				old := answered.Load()
				if answered.CompareAndSwap(old, old|1<<k) {
					break
				}
			}
		}()
	}
	cw.Wait()
	waitAtLeast(&post, 200)
	for i := range postOn {
		waitAtLeast(&postOn[i], 20)
	}
	stop.Store(true)
	wg.Wait()
	return calls, answers
}

// raceUsers are the browsers and the API token the cutoff races use: a
// browser of each user signed in on each instance.
type raceUsers struct {
	owner, admin, mona []*client
	botToken           string
}

func raceUsersApp(t *testing.T) ([]*app, *sql.DB, raceUsers) {
	apps, raw := raceTwins(t, "octo-admin", "octo-bot")
	u := raceUsers{botToken: apps[0].newFineGrained("octo-bot", "race-revoker", fgSpec{Org: "octo-org", Permissions: raceOrgAdmin, Days: 7})}
	for _, on := range apps {
		u.owner, u.admin, u.mona = append(u.owner, on.as("octo-owner")), append(u.admin, on.as("octo-admin")), append(u.mona, on.as("mona"))
	}
	return apps, raw, u
}

// Three owners' clients (two browsers and the administration API) revoke
// mona's token at once while 8 goroutines read a private repository and
// create issues in it with the token. Exactly one revocation applies, the
// others are refused as no longer active (409, 422); no call that started
// after any of the three answers arrived succeeds, on either instance,
// whichever instance answered; every issue stored was answered 201 and the
// other way round.
func TestRaceRevokeWhileUsed(t *testing.T) {
	apps, raw, u := raceUsersApp(t)
	a := apps[0]
	ctx := context.Background()
	orgID := a.orgID("octo-org")
	for round := range 6 {
		began := time.Now()
		name := fmt.Sprintf("race-used-%d", round)
		secret := a.newFineGrained("mona", name, fgSpec{Org: "octo-org",
			Permissions: map[string]policy.Level{policy.Metadata: policy.LevelRead, "issues": policy.LevelWrite}})
		tok := a.token("mona", name)
		grant := tok.Grant.ID
		title := func(n int64) any { return map[string]any{"title": fmt.Sprintf("%s issue %d", name, n)} }
		// Even rounds only read; odd rounds also write, and each issue
		// created is a write transaction of its own beside the revocation.
		eps := []raceEndpoint{
			{"GET private repository", http.MethodGet, "/repos/octo-org/octo-api", nil, http.StatusOK, http.StatusForbidden},
			{"GET other private repository", http.MethodGet, "/repos/octo-org/octo-infra", nil, http.StatusOK, http.StatusForbidden},
		}
		if round%2 == 1 {
			eps[1] = raceEndpoint{"POST issue", http.MethodPost, "/repos/octo-org/octo-api/issues", title, http.StatusCreated, http.StatusForbidden}
		}
		revokePath := fmt.Sprintf("%s/%d/revoke", raceSettings, grant)
		// The revokers take turns on the instances, round by round.
		owner, admin := u.owner[round%2], u.admin[(round+1)%2]
		bot, botOn := raceOn(apps, round/2)
		cutters := []func() raceAnswer{
			func() raceAnswer { return raceSend(owner.http, racePost(owner, revokePath, confirmedForm)) },
			func() raceAnswer { return raceSend(admin.http, racePost(admin, revokePath, confirmedForm)) },
			func() raceAnswer {
				return raceSend(http.DefaultClient, raceAPIRequest(bot, http.MethodPost, fmt.Sprintf("%s/%d", raceAPITokens, grant),
					u.botToken, map[string]any{"action": "revoke"}, ""))
			},
		}
		revokers := []string{"octo-owner", "octo-admin", "octo-bot"}
		calls, answers := raceHammer(apps, secret, eps, cutters)

		g, err := a.store.GrantOf(ctx, orgID, grant)
		if err != nil {
			t.Fatal(err)
		}
		if g.Grant.Status != policy.GrantRevoked {
			t.Fatalf("round %d: grant %s after three revocations", round, g.Grant.Status)
		}
		won := 0
		for k, ans := range answers {
			switch {
			case ans.err == nil && (k < 2 && ans.status == http.StatusSeeOther || k == 2 && ans.status == http.StatusNoContent):
				won++
				if g.Grant.Reviewer != revokers[k] {
					t.Errorf("round %d: %s's revocation answered %d, but the grant was revoked by %s", round, revokers[k], ans.status, g.Grant.Reviewer)
				}
			case ans.err == nil && (k < 2 && ans.status == http.StatusConflict || k == 2 && ans.status == http.StatusUnprocessableEntity):
				if msg := ans.message(); !strings.Contains(msg, "is no longer active: it was revoked by "+g.Grant.Reviewer) {
					t.Errorf("round %d: %s's revocation refused with %q", round, revokers[k], msg)
				}
			default:
				t.Errorf("round %d: %s's revocation answered %s", round, revokers[k], ans)
			}
		}
		if won != 1 {
			t.Errorf("round %d: %d revocations applied, want exactly 1", round, won)
		}
		evs := 0
		for _, e := range a.audit("octo-org", policy.ActionAccessRevoked) {
			if strings.Contains(e.Details, "“"+name+"”") {
				evs++
			}
		}
		notes := 0
		for _, nt := range a.notifications("mona") {
			if nt.Link == fmt.Sprintf("%s/%d", raceDev, tok.ID) && strings.Contains(nt.Message, "was revoked") {
				notes++
			}
		}
		if evs != 1 || notes != 1 {
			t.Errorf("round %d: %d access_revoked events and %d notifications to mona, want 1 and 1", round, evs, notes)
		}

		var before, racing, after, created int
		afterOn := make([]int, len(apps))
		for _, c := range calls {
			switch {
			case c.err != nil:
				t.Fatalf("round %d: call failed: %v", round, c.err)
			case c.status == http.StatusCreated:
				created++
			}
			switch {
			case c.cuts != 0:
				after++
				afterOn[c.instance]++
				if c.status != eps[c.ep].cut {
					t.Errorf("round %d: %s started after a revocation answered, and answered %d %q, want %d", round, eps[c.ep].name, c.status, c.message, eps[c.ep].cut)
				}
			case c.early:
				before++
				if c.status != eps[c.ep].ok {
					t.Errorf("round %d: %s before the revocation answered %d %q", round, eps[c.ep].name, c.status, c.message)
				}
			default:
				racing++
				if c.status != eps[c.ep].ok && c.status != eps[c.ep].cut {
					t.Errorf("round %d: %s racing with the revocation answered %d %q", round, eps[c.ep].name, c.status, c.message)
				}
			}
		}
		var stored int
		if err := raw.QueryRowContext(ctx, `SELECT count(*) FROM issues WHERE token_id = ?`, tok.ID).Scan(&stored); err != nil {
			t.Fatal(err)
		}
		if stored != created {
			t.Errorf("round %d: %d issues stored, %d calls answered 201", round, stored, created)
		}
		if before == 0 || after < 200 || slices.Min(afterOn) < 20 {
			t.Fatalf("round %d: too few calls to tell: %d before the revocations, %d after (%v on each instance)", round, before, after, afterOn)
		}
		if t.Failed() {
			t.FailNow()
		}
		_, ownerOn := raceOn(apps, round)
		_, adminOn := raceOn(apps, round+1)
		t.Logf("round %d: revoked by %s (octo-owner on %s, octo-admin on %s, octo-bot on %s); %d calls before, %d racing, %d after (%v on each instance); %d issues created; in %v",
			round, g.Grant.Reviewer, ownerOn, adminOn, botOn, before, racing, after, afterOn, created, time.Since(began).Round(time.Millisecond))
	}
}

// mona deletes her token in her browser while an owner revokes it in his
// and 8 goroutines use it: once either answer arrived the private
// repository is out of reach; once the deletion's answer arrived every call
// is 401, even to public resources and to her own account. Exactly one
// access_revoked event records whichever came first.
//
// The deletion and the revocation are answered by different instances,
// each in turn, and the token's callers use both.
func TestRaceDeleteWhileUsed(t *testing.T) {
	apps, _, u := raceUsersApp(t)
	a := apps[0]
	for round := range 4 {
		began := time.Now()
		name := fmt.Sprintf("race-deleted-%d", round)
		secret := a.newFineGrained("mona", name, fgSpec{Org: "octo-org", Permissions: map[string]policy.Level{policy.Metadata: policy.LevelRead}})
		tok := a.token("mona", name)
		eps := []raceEndpoint{
			{name: "GET private repository", method: http.MethodGet, path: "/repos/octo-org/octo-api"},
			{name: "GET public repository", method: http.MethodGet, path: "/repos/octo-org/octo-web"},
			{name: "GET /user", method: http.MethodGet, path: "/user"},
		}
		deletePath := fmt.Sprintf("%s/%d/delete", raceDev, tok.ID)
		revokePath := fmt.Sprintf("%s/%d/revoke", raceSettings, tok.Grant.ID)
		mona, owner := u.mona[(round+1)%2], u.owner[round%2]
		cutters := []func() raceAnswer{
			func() raceAnswer { return raceSend(mona.http, racePost(mona, deletePath, confirmedForm)) },
			func() raceAnswer { return raceSend(owner.http, racePost(owner, revokePath, confirmedForm)) },
		}
		calls, answers := raceHammer(apps, secret, eps, cutters)

		del, rev := answers[0], answers[1]
		if del.err != nil || del.status != http.StatusSeeOther || del.header.Get("Location") != raceDev {
			t.Fatalf("round %d: the deletion answered %s", round, del)
		}
		if _, ok := a.findToken("mona", name); ok {
			t.Fatalf("round %d: the token is still there", round)
		}
		var evs []db.AuditEvent
		for _, e := range a.audit("octo-org", policy.ActionAccessRevoked) {
			if strings.Contains(e.Details, "“"+name+"”") {
				evs = append(evs, e)
			}
		}
		first := "the owner's revocation"
		switch {
		case rev.err == nil && rev.status == http.StatusSeeOther:
			if len(evs) != 1 || evs[0].ActorLogin != "octo-owner" {
				t.Errorf("round %d: the revocation applied; access_revoked events %+v", round, evs)
			}
		case rev.err == nil && rev.status == http.StatusConflict:
			first = "the deletion"
			if msg := rev.message(); !strings.Contains(msg, "its owner deleted it") {
				t.Errorf("round %d: the revocation was refused with %q", round, msg)
			}
			if len(evs) != 1 || evs[0].ActorLogin != "mona" || !strings.Contains(evs[0].Details, "deleted by its owner") {
				t.Errorf("round %d: the deletion came first; access_revoked events %+v", round, evs)
			}
		default:
			t.Errorf("round %d: the revocation answered %s", round, rev)
		}

		var before, racing, after int
		afterOn := make([]int, len(apps))
		for _, c := range calls {
			if c.err != nil {
				t.Fatalf("round %d: call failed: %v", round, c.err)
			}
			private := c.ep == 0
			switch {
			case c.cuts&1 != 0: // the deletion had answered
				after++
				afterOn[c.instance]++
				if c.status != http.StatusUnauthorized {
					t.Errorf("round %d: %s started after the deletion answered, and answered %d %q, want 401", round, eps[c.ep].name, c.status, c.message)
				}
			case c.cuts != 0: // the revocation had answered
				racing++
				if private && c.status != http.StatusForbidden && c.status != http.StatusUnauthorized ||
					!private && c.status != http.StatusOK && c.status != http.StatusUnauthorized {
					t.Errorf("round %d: %s started after the revocation answered, and answered %d %q", round, eps[c.ep].name, c.status, c.message)
				}
			case c.early:
				before++
				if c.status != http.StatusOK {
					t.Errorf("round %d: %s before the deletion answered %d %q", round, eps[c.ep].name, c.status, c.message)
				}
			default:
				racing++
				if c.status != http.StatusOK && c.status != http.StatusUnauthorized && !(private && c.status == http.StatusForbidden) {
					t.Errorf("round %d: %s racing with the deletion answered %d %q", round, eps[c.ep].name, c.status, c.message)
				}
			}
		}
		if before == 0 || after < 200 || slices.Min(afterOn) < 20 {
			t.Fatalf("round %d: too few calls to tell: %d before, %d after (%v on each instance)", round, before, after, afterOn)
		}
		if t.Failed() {
			t.FailNow()
		}
		_, monaOn := raceOn(apps, round+1)
		_, ownerOn := raceOn(apps, round)
		t.Logf("round %d: %s came first (deleted on %s, revoked on %s); %d calls before, %d racing, %d after (%v on each instance); in %v",
			round, first, monaOn, ownerOn, before, racing, after, afterOn, time.Since(began).Round(time.Millisecond))
	}
}
