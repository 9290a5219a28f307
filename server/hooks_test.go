package server_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"patpolicy/db"
	"patpolicy/hooks"
	"patpolicy/hooks/payload"
	"patpolicy/policy"
	"patpolicy/service"
)

// addHook adds a webhook of org to a receiver that is never there, and a
// delivery of it (a request mona makes); it returns both ids.
func (a *app) addHook(org string) (hook, delivery string) {
	a.t.Helper()
	ctx := context.Background()
	secret := "route-matrix"
	id, err := a.store.CreateHook(ctx, a.orgID(org), a.userID("octo-owner"),
		db.HookInput{URL: "http://127.0.0.1:9/none", Secret: &secret, Active: true, Events: payload.Events()}, nil)
	if err != nil {
		a.t.Fatal(err)
	}
	a.newFineGrained("mona", "hooked-request", fgSpec{Org: org, Status: policy.GrantPending, Days: 30})
	ds, err := a.store.DeliveriesOf(ctx, id, 0, 1)
	if err != nil || len(ds) != 1 {
		a.t.Fatalf("no delivery of the new hook: %v, %v", ds, err)
	}
	return strconv.FormatInt(id, 10), strconv.FormatInt(ds[0].ID, 10)
}

// receiver is a webhook receiver on 127.0.0.1 that checks each delivery's
// signature as GitHub's documentation tells receivers to.
type receiver struct {
	t      *testing.T
	srv    *httptest.Server
	secret string
	mu     sync.Mutex
	got    []received
	status int
}

type received struct {
	Event, Action, GUID, HookID string
	Body                        map[string]any
}

func newReceiver(t *testing.T, secret string) *receiver {
	r := &receiver{t: t, secret: secret, status: http.StatusOK}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		m := hmac.New(sha256.New, []byte(r.secret))
		m.Write(body)
		want := "sha256=" + hex.EncodeToString(m.Sum(nil))
		if r.secret == "" {
			want = "" // no secret, no signature
		}
		if !hmac.Equal([]byte(req.Header.Get("X-Hub-Signature-256")), []byte(want)) {
			t.Errorf("signature %q, want %q", req.Header.Get("X-Hub-Signature-256"), want)
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		var parsed map[string]any
		if err := json.Unmarshal(body, &parsed); err != nil {
			t.Errorf("body %s: %v", body, err)
		}
		action, _ := parsed["action"].(string)
		r.mu.Lock()
		r.got = append(r.got, received{Event: req.Header.Get("X-GitHub-Event"), Action: action,
			GUID: req.Header.Get("X-GitHub-Delivery"), HookID: req.Header.Get("X-GitHub-Hook-ID"), Body: parsed})
		status := r.status
		r.mu.Unlock()
		w.WriteHeader(status)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) deliveries() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]received(nil), r.got...)
}

// worker is a webhook worker on a's store, allowed to reach 127.0.0.1.
func (a *app) worker() *hooks.Worker {
	return &hooks.Worker{Store: a.store, Sender: hooks.NewSender(true), Now: time.Now}
}

func TestWebhookOfARequestIsDeliveredSigned(t *testing.T) {
	a := newApp(t)
	rcv := newReceiver(t, "It's a Secret")
	owner := a.as("octo-owner")

	// The owner adds a webhook with the form.
	form := owner.get("/organizations/octo-org/settings/hooks/new").status(http.StatusOK)
	res := owner.submit(form, "main form", map[string]string{"url": rcv.srv.URL + "/hook", "secret": rcv.secret})
	res.status(http.StatusSeeOther).redirectsTo("/organizations/octo-org/settings/hooks/")
	hookPath := res.location()
	hookID := strings.TrimPrefix(hookPath, "/organizations/octo-org/settings/hooks/")

	// mona asks for a token: a request to review.
	a.newFineGrained("mona", "hooked", fgSpec{Org: "octo-org", Status: policy.GrantPending, Days: 30,
		Permissions: map[string]policy.Level{"contents": policy.LevelRead, policy.Metadata: policy.LevelRead}})
	if got := rcv.deliveries(); len(got) != 0 {
		t.Fatalf("delivered before the worker ran: %v", got)
	}
	if n, err := a.worker().RunOnce(context.Background(), time.Now()); n != 1 || err != nil {
		t.Fatalf("RunOnce = %d, %v", n, err)
	}
	got := rcv.deliveries()
	if len(got) != 1 || got[0].Event != "personal_access_token_request" || got[0].Action != "created" || got[0].HookID != hookID {
		t.Fatalf("received %+v", got)
	}
	req, _ := got[0].Body["personal_access_token_request"].(map[string]any)
	org, _ := got[0].Body["organization"].(map[string]any)
	if req["token_name"] != "hooked" || org["login"] != "octo-org" || req["permissions_added"] == nil {
		t.Errorf("body %v", got[0].Body)
	}

	// The page lists the delivery; Redeliver sends it again as a new one.
	page := owner.get(hookPath).status(http.StatusOK).contains("main table", "OK").contains("main table", "200")
	if page.doc.Find(`main table button:contains("Redeliver")`).Length() != 1 {
		t.Fatalf("no Redeliver button:\n%s", page.text("main"))
	}
	owner.submit(page, `main table form`, nil).status(http.StatusSeeOther)
	if n, err := a.worker().RunOnce(context.Background(), time.Now()); n != 1 || err != nil {
		t.Fatalf("RunOnce = %d, %v", n, err)
	}
	got = rcv.deliveries()
	if len(got) != 2 || got[1].GUID == got[0].GUID || got[1].Action != "created" {
		t.Fatalf("redelivery %+v", got)
	}
	// The secret is never shown back.
	if page := owner.get(hookPath); strings.Contains(page.body, rcv.secret) {
		t.Error("the page shows the secret")
	}
	// Made inactive, then deleted: each change is in the audit log.
	owner.submit(owner.get(hookPath), "main form.settings-form", map[string]string{"active": ""}).status(http.StatusSeeOther)
	owner.confirm(owner.post(hookPath+"/delete", url.Values{})).status(http.StatusSeeOther)
	owner.get("/organizations/octo-org/settings/hooks").status(http.StatusOK).contains("main", "This organization has no webhooks.")
	for _, action := range []string{"hook.create", "hook.active_changed", "hook.destroy"} {
		owner.get("/organizations/octo-org/settings/audit-log?action="+action).status(http.StatusOK).contains("main table", action)
	}
}

func TestWebhookEventsOfReviewsAndCancels(t *testing.T) {
	a := newApp(t)
	rcv := newReceiver(t, "")
	ctx := context.Background()
	if _, err := a.store.CreateHook(ctx, a.orgID("octo-org"), a.userID("octo-owner"),
		db.HookInput{URL: rcv.srv.URL, Active: true, Events: payload.Events()}, nil); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"to-approve", "to-deny", "to-cancel"} {
		a.newFineGrained("mona", name, fgSpec{Org: "octo-org", Status: policy.GrantPending, Days: 30})
	}
	owner := a.as("octo-owner")
	for name, action := range map[string]string{"to-approve": "approve", "to-deny": "deny"} {
		owner.post("/organizations/octo-org/settings/personal-access-token-requests/"+a.grantID("mona", name)+"/"+action,
			url.Values{"reason": {"no"}}).status(http.StatusSeeOther)
	}
	mona := a.as("mona")
	mona.confirm(mona.post("/settings/personal-access-tokens/"+a.tokenID("mona", "to-cancel")+"/cancel", url.Values{})).status(http.StatusSeeOther)
	owner.confirm(owner.post("/organizations/octo-org/settings/personal-access-tokens/"+a.grantID("mona", "to-approve")+"/revoke", url.Values{})).
		status(http.StatusSeeOther)
	w := a.worker()
	for {
		n, err := w.RunOnce(ctx, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
	}
	seen := map[string]bool{}
	for _, d := range rcv.deliveries() {
		seen[d.Event+"/"+d.Action] = true
	}
	for _, want := range []string{"personal_access_token_request/created", "personal_access_token_request/approved",
		"personal_access_token_request/denied", "personal_access_token_request/cancelled", "personal_access_token/revoked"} {
		if !seen[want] {
			t.Errorf("no %s delivery; got %v", want, seen)
		}
	}
}

func TestWebhookDeliveredOnceByTwoInstances(t *testing.T) {
	a := newApp(t)
	b := a.twin()
	rcv := newReceiver(t, "")
	if _, err := a.store.CreateHook(context.Background(), a.orgID("octo-org"), a.userID("octo-owner"),
		db.HookInput{URL: rcv.srv.URL, Active: true, Events: payload.Events()}, nil); err != nil {
		t.Fatal(err)
	}
	const n = 12
	for i := range n {
		a.newFineGrained("mona", "twin-"+strconv.Itoa(i), fgSpec{Org: "octo-org", Status: policy.GrantPending, Days: 30})
	}
	var wg sync.WaitGroup
	for _, w := range []*hooks.Worker{a.worker(), b.worker(), a.worker(), b.worker()} {
		w.Batch = 2
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				got, err := w.RunOnce(context.Background(), time.Now())
				if err != nil {
					t.Error(err)
					return
				}
				if got == 0 {
					return
				}
			}
		}()
	}
	wg.Wait()
	guids := map[string]int{}
	for _, d := range rcv.deliveries() {
		guids[d.GUID]++
	}
	if len(guids) != n {
		t.Errorf("%d deliveries received, want %d", len(guids), n)
	}
	for g, k := range guids {
		if k != 1 {
			t.Errorf("%s received %d times", g, k)
		}
	}
}

func TestWebhookFormRefusesBadInput(t *testing.T) {
	a := newApp(t)
	owner := a.as("octo-owner")
	form := owner.get("/organizations/octo-org/settings/hooks/new")
	for _, bad := range []map[string]string{
		{"url": "ftp://example.com/x"},
		{"url": "https://user:pw@example.com/x"},
		{"url": ""},
	} {
		res := owner.submit(form, "main form", bad).status(http.StatusUnprocessableEntity)
		if res.doc.Find("#url-error").Length() != 1 || res.attr("#url", "value") != bad["url"] {
			t.Errorf("%v: no error shown with the input:\n%s", bad, res.text("main"))
		}
	}
	res := owner.post("/organizations/octo-org/settings/hooks", url.Values{"url": {"https://example.com/x"}, "active": {"1"}}).
		status(http.StatusUnprocessableEntity)
	if res.doc.Find("#events-error").Length() != 1 {
		t.Errorf("no events error:\n%s", res.text("main"))
	}
	// The payload URL is the owner's text: shown as text.
	owner.post("/organizations/octo-org/settings/hooks", url.Values{"url": {`https://example.com/"><script>alert(1)</script>`},
		"events": {"personal_access_token"}, "active": {"1"}}).status(http.StatusSeeOther)
	list := owner.get("/organizations/octo-org/settings/hooks").status(http.StatusOK)
	if strings.Contains(list.body, "<script>alert") || !strings.Contains(list.text("main"), `"><script>alert(1)</script>`) {
		t.Errorf("the payload URL is not shown as text:\n%s", list.body)
	}
	// Only owners see the pages.
	a.as("mona").get("/organizations/octo-org/settings/hooks").status(http.StatusNotFound)
	a.as("mona").get("/organizations/octo-org/settings/hooks/new").status(http.StatusNotFound)
}

func TestWebhookAPI(t *testing.T) {
	a := newApp(t)
	owner := a.newFineGrained("octo-owner", "hooks-admin", fgSpec{Org: "octo-org", Days: 30,
		Permissions: map[string]policy.Level{"organization_administration": policy.LevelWrite, policy.Metadata: policy.LevelRead}})
	res := a.api(http.MethodPost, "/orgs/octo-org/hooks", owner, map[string]any{"name": "web", "active": true,
		"events": []string{"personal_access_token_request"}, "config": map[string]any{"url": "https://example.com/hook", "content_type": "json", "secret": "shh", "insecure_ssl": "0"}})
	res.want(http.StatusCreated)
	var hook struct {
		ID     int64
		Events []string
		Active bool
		Config struct {
			URL    string
			Secret string
		}
	}
	res.decode(&hook)
	if hook.ID == 0 || hook.Config.URL != "https://example.com/hook" || hook.Config.Secret != "********" || !hook.Active {
		t.Fatalf("created %+v", hook)
	}
	path := "/orgs/octo-org/hooks/" + strconv.FormatInt(hook.ID, 10)
	a.api(http.MethodGet, "/orgs/octo-org/hooks", owner, nil).want(http.StatusOK)
	a.api(http.MethodPatch, path, owner, map[string]any{"active": false}).want(http.StatusOK).decode(&hook)
	if hook.Active || hook.Config.Secret != "********" {
		t.Errorf("patched %+v", hook)
	}
	a.api(http.MethodPost, "/orgs/octo-org/hooks", owner, map[string]any{"config": map[string]any{"url": "https://u:p@example.com"}}).
		want(http.StatusUnprocessableEntity)
	a.api(http.MethodPatch, path, owner, map[string]any{"active": true}).want(http.StatusOK)
	a.newFineGrained("mona", "api-hooked", fgSpec{Org: "octo-org", Status: policy.GrantPending, Days: 30})
	var ds []struct {
		ID     int64
		GUID   string
		Event  string
		Action string
	}
	a.api(http.MethodGet, path+"/deliveries", owner, nil).want(http.StatusOK).decode(&ds)
	if len(ds) != 1 || ds[0].Action != "created" {
		t.Fatalf("deliveries %+v", ds)
	}
	d := path + "/deliveries/" + strconv.FormatInt(ds[0].ID, 10)
	a.api(http.MethodGet, d, owner, nil).want(http.StatusOK)
	a.api(http.MethodPost, d+"/attempts", owner, nil).want(http.StatusAccepted)
	a.api(http.MethodGet, path+"/deliveries", owner, nil).want(http.StatusOK).decode(&ds)
	if len(ds) != 2 || ds[0].GUID == ds[1].GUID {
		t.Errorf("after redelivery %+v", ds)
	}
	// Not an owner: 404, as for a hook that is not there.
	mona := a.newFineGrained("mona", "not-admin", fgSpec{Org: "octo-org", Days: 30,
		Permissions: map[string]policy.Level{"organization_administration": policy.LevelWrite, policy.Metadata: policy.LevelRead}})
	if s := a.api(http.MethodGet, path, mona, nil).Status; s != http.StatusNotFound && s != http.StatusForbidden {
		t.Errorf("a member's token: %d", s)
	}
	a.api(http.MethodGet, "/orgs/octo-org/hooks/999999", owner, nil).want(http.StatusNotFound)
	a.api(http.MethodDelete, path, owner, nil).want(http.StatusNoContent)
	a.api(http.MethodGet, path, owner, nil).want(http.StatusNotFound)

	// The deliveries' bodies link where the API's answers do.
	var me payload.SimpleUser
	a.api(http.MethodGet, "/user", owner, nil).want(http.StatusOK).decode(&me)
	if want := (payload.Links{Base: a.srv.URL}).User(me.ID, me.Login, "User"); me.URL != want.URL || me.AvatarURL != want.AvatarURL ||
		me.HTMLURL != want.HTMLURL || me.NodeID != want.NodeID {
		t.Errorf("the API's user %+v, a delivery's %+v", me, want)
	}
}

func TestOpenAPIHooks(t *testing.T) {
	d := loadSpec(t)
	a := newApp(t)
	admin := a.newFineGrained("octo-owner", adminTokenName, fgSpec{Org: "octo-org", Days: 30,
		Permissions: map[string]policy.Level{policy.Metadata: policy.LevelRead, "organization_administration": policy.LevelWrite}})
	const (
		opHooks      = "/orgs/{org}/hooks"
		opHook       = "/orgs/{org}/hooks/{hook_id}"
		opDeliveries = "/orgs/{org}/hooks/{hook_id}/deliveries"
		opDelivery   = "/orgs/{org}/hooks/{hook_id}/deliveries/{delivery_id}"
		opAttempts   = "/orgs/{org}/hooks/{hook_id}/deliveries/{delivery_id}/attempts"
	)
	created := a.api("POST", "/orgs/octo-org/hooks", admin, map[string]any{"name": "web", "active": true, "events": []string{"personal_access_token_request"},
		"config": map[string]any{"url": "http://127.0.0.1:9/none", "content_type": "json", "secret": "s", "insecure_ssl": "0"}})
	wantSpec(d, t, "POST", opHooks, created, 201)
	var hook struct{ ID int64 }
	created.decode(&hook)
	path := "/orgs/octo-org/hooks/" + strconv.FormatInt(hook.ID, 10)
	wantSpec(d, t, "POST", opHooks, a.api("POST", "/orgs/octo-org/hooks", admin, map[string]any{"config": map[string]any{"url": "ftp://x"}}), 422)
	wantSpec(d, t, "GET", opHooks, a.api("GET", "/orgs/octo-org/hooks?per_page=1", admin, nil), 200)
	wantSpec(d, t, "GET", opHook, a.api("GET", path, admin, nil), 200)
	wantSpec(d, t, "GET", opHook, a.api("GET", "/orgs/octo-org/hooks/999999", admin, nil), 404)
	wantSpec(d, t, "PATCH", opHook, a.api("PATCH", path, admin, map[string]any{"active": true, "events": []string{"personal_access_token"}}), 200)
	wantSpec(d, t, "PATCH", opHook, a.api("PATCH", path, admin, map[string]any{"events": []string{"push"}}), 422)
	wantSpec(d, t, "PATCH", opHook, a.api("PATCH", path, admin, map[string]any{"events": []string{"personal_access_token_request"}}), 200)

	a.newFineGrained("mona", "openapi-hooked", fgSpec{Org: "octo-org", Days: 30, Status: policy.GrantPending})
	a.worker().RunOnce(context.Background(), time.Now()) // nobody listens: a failed attempt
	res := a.api("GET", path+"/deliveries", admin, nil)
	wantSpec(d, t, "GET", opDeliveries, res, 200)
	var ds []struct{ ID int64 }
	res.decode(&ds)
	if len(ds) != 1 {
		t.Fatalf("deliveries %s", res.Body)
	}
	one := path + "/deliveries/" + strconv.FormatInt(ds[0].ID, 10)
	wantSpec(d, t, "GET", opDelivery, a.api("GET", one, admin, nil), 200)
	a.api("GET", path+"/deliveries/999999", admin, nil).want(404) // a status the description does not list
	wantSpec(d, t, "POST", opAttempts, a.api("POST", one+"/attempts", admin, nil), 202)
	wantSpec(d, t, "DELETE", opHook, a.api("DELETE", path, admin, nil), 204)
}

// TestWebhookPayloadsMatchGitHubs checks the bodies of the request
// events against GitHub's description of its webhooks, for a token on a
// selection of repositories and one on all of them.
func TestWebhookPayloadsMatchGitHubs(t *testing.T) {
	d := loadSpec(t)
	v := schemaValidator{resolve: d.resolve}
	now := time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)
	token := payload.Token{ID: 7, GrantID: 3, Name: "deploy", Owner: payload.Account{ID: 2, Login: "mona"},
		Permissions: map[string]policy.Level{"contents": policy.LevelRead, "members": policy.LevelWrite, policy.Metadata: policy.LevelRead},
		Selection:   policy.SelectSelected, Repos: []payload.Repo{{ID: 4, Name: "octo-api", Private: true}},
		CreatedAt: now.Add(-time.Hour), ExpiresAt: now.Add(30 * 24 * time.Hour)}
	for _, action := range []string{"created", "approved", "denied", "cancelled"} {
		for _, sel := range []policy.Selection{policy.SelectSelected, policy.SelectAll} {
			token.Selection = sel
			body, err := payload.Build(payload.Facts{Event: payload.EventTokenRequest, Action: action, Token: token,
				Org: payload.Account{ID: 1, Login: "octo-org"}, Sender: payload.Account{ID: 5, Login: "octo-owner"},
				Now: now, Base: "https://patpolicy.example"})
			if err != nil {
				t.Fatal(err)
			}
			name := "webhook-personal-access-token-request-" + action
			for _, e := range v.validateJSON(d.schema(t, name), body) {
				// On GitHub only an app receives these three, so the
				// description requires its installation; an
				// organization's webhook has none.
				if action != "created" && e == `$: missing required field "installation"` {
					continue
				}
				t.Errorf("%s (%s): %s", name, sel, e)
			}
		}
	}
}

// drain runs the webhook worker until the outbox has nothing due.
func (a *app) drain(ctx context.Context) {
	a.t.Helper()
	w := a.worker()
	for {
		n, err := w.RunOnce(ctx, time.Now())
		if err != nil {
			a.t.Fatal(err)
		}
		if n == 0 {
			return
		}
	}
}

// Every governance feature that changes a token's standing in an
// organization tells its webhooks: an automatic approval (created, then
// approved), a token revoked by its value, the expiry and inactivity runs,
// and a policy change that shuts tokens out (blocked), each naming the
// token it is about.
func TestWebhookEventsOfGovernance(t *testing.T) {
	a := newApp(t)
	rcv := newReceiver(t, "")
	ctx := context.Background()
	if _, err := a.store.CreateHook(ctx, a.orgID("octo-org"), a.userID("octo-owner"),
		db.HookInput{URL: rcv.srv.URL, Active: true, Events: payload.Events()}, nil); err != nil {
		t.Fatal(err)
	}
	type event struct{ event, action, token string }
	var want []event
	seen := func() map[event]int {
		a.drain(ctx)
		out := map[event]int{}
		for _, d := range rcv.deliveries() {
			name := ""
			for _, key := range []string{"personal_access_token_request", "personal_access_token"} {
				if obj, ok := d.Body[key].(map[string]any); ok {
					name, _ = obj["token_name"].(string)
				}
			}
			out[event{d.Event, d.Action, name}]++
		}
		return out
	}
	check := func(stage string) {
		t.Helper()
		got := seen()
		for _, w := range want {
			if got[w] != 1 {
				t.Errorf("%s: %d deliveries of %+v, want 1; got %v", stage, got[w], w, got)
			}
		}
	}

	// The automatic approval rule approves a read-only request at creation.
	a.turnOnRule()
	a.as("mona").newToken(url.Values{"name": {"reader"}, "resource_owner": {"octo-org"}, "justification": {"CI reads"},
		"repository_selection": {"all"}, "perm_contents": {"read"}}).status(http.StatusSeeOther)
	want = append(want, event{"personal_access_token_request", "created", "reader"},
		event{"personal_access_token_request", "approved", "reader"})
	check("automatic approval")

	// A leaked token revoked by its value.
	leaked := a.newFineGrained("mona", "leaked", fgSpec{Org: "octo-org", Status: policy.GrantApproved, Days: 30})
	a.revoke("", leaked).want(http.StatusAccepted)
	want = append(want, event{"personal_access_token", "revoked", "leaked"})
	check("revoked by value")

	// Two more tokens: one a week from expiring, one that goes unused.
	a.newFineGrained("octo-owner", "soon", fgSpec{Org: "octo-org", Days: 30, Status: policy.GrantApproved})
	a.newFineGrained("octo-owner", "idle", fgSpec{Org: "octo-org", Status: policy.GrantApproved})

	// Restricting fine-grained tokens shuts out every approved one.
	c := a.as("octo-owner")
	c.submit(c.get(patPath), "form.settings-form", map[string]string{"fine_grained_access": "restrict", "confirm": "yes"}).
		redirectsTo(patPath)
	want = append(want, event{"personal_access_token", "blocked", "reader"}, event{"personal_access_token", "blocked", "soon"})
	check("blocked by a policy change")
	if got := seen()[event{"personal_access_token", "blocked", "leaked"}]; got != 0 {
		t.Errorf("a deleted token was announced as blocked %d times", got)
	}

	// The runs, three weeks on: an expiry notice, a revocation for
	// inactivity.
	c.submit(c.get(patPath), "form.settings-form", map[string]string{
		"inactive_token_days_expires": "on", "inactive_token_days_days": "7", "confirm": "yes",
	}).redirectsTo(patPath)
	if _, err := (service.Expiry{Store: a.store}).RunOnce(ctx, time.Now().AddDate(0, 0, 23).Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	want = append(want, event{"personal_access_token", "expiring", "soon"}, event{"personal_access_token", "revoked", "idle"})
	check("expiry and inactivity")
}
