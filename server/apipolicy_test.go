package server_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"patpolicy/policy"
)

// The policy endpoints of the REST API: the settings pages as JSON, with
// the same locks, the same refusals and an ETag / If-Match pair.

const (
	polOrg = "/orgs/octo-org/personal-access-token-policy"
	polSol = "/orgs/solo-org/personal-access-token-policy"
	polEnt = "/enterprises/octo-ent/personal-access-token-policy"
)

// polDo calls the API like a.api, with the "token" scheme and an If-Match
// header unless ifMatch is "".
func polDo(a *app, method, path, secret string, body any, ifMatch string) *apiResponse {
	a.t.Helper()
	h := http.Header{}
	if secret != "" {
		h.Set("Authorization", "token "+secret)
	}
	if ifMatch != "" {
		h.Set("If-Match", ifMatch)
	}
	return a.apiWith(method, path, "", body, h)
}

// polAdmin is octo-owner's fine-grained token on octo-org with
// Organization administration at level, expiring in 30 days.
func polAdmin(a *app, name string, level policy.Level) string {
	a.t.Helper()
	return a.newFineGrained("octo-owner", name, fgSpec{Org: "octo-org", Days: 30, Permissions: map[string]policy.Level{
		policy.Metadata: policy.LevelRead, "organization_administration": level}})
}

func polEntToken(a *app) string {
	a.t.Helper()
	return a.newClassic("ent-admin", "ent-api", 30, "admin:enterprise")
}

// polBody fails unless the answer's JSON is exactly want.
func polBody(t *testing.T, r *apiResponse, want string) {
	t.Helper()
	var got, exp any
	if err := json.Unmarshal(r.Body, &got); err != nil {
		t.Fatalf("body %s: %v", r.Body, err)
	}
	if err := json.Unmarshal([]byte(want), &exp); err != nil {
		t.Fatalf("want %s: %v", want, err)
	}
	if !reflect.DeepEqual(got, exp) {
		t.Fatalf("body\n %s\nwant\n %s", r.Body, want)
	}
}

// polState is what a refused PATCH must leave as it was: the GET body, its
// ETag and the audit log.
type polState struct {
	body, etag string
	events     int
}

func polStateOf(a *app, path, secret, org string) polState {
	a.t.Helper()
	r := polDo(a, http.MethodGet, path, secret, nil, "").want(http.StatusOK)
	s := polState{body: string(r.Body), etag: r.Header.Get("ETag")}
	if org != "" {
		s.events = len(a.audit(org, ""))
	}
	return s
}

// polEventsSince lists org's events after the first n, oldest first.
func polEventsSince(a *app, org string, n int) []string {
	a.t.Helper()
	var out []string
	for _, e := range a.audit(org, "") {
		out = append(out, e.Action+" | "+e.ActorLogin+" | "+e.Details)
	}
	slices.Reverse(out)
	return out[n:]
}

func polFields(r *apiResponse) []string {
	r.t.Helper()
	var e struct {
		Errors []struct {
			Field   string `json:"field"`
			Message string `json:"message"`
		} `json:"errors"`
	}
	r.decode(&e)
	var out []string
	for _, f := range e.Errors {
		out = append(out, f.Field)
	}
	return out
}

const polOctoOrgInitial = `{"opted_in": true, "fine_grained_access": "allow", "approval": "required",
	"classic_access": "restrict", "fine_grained_max_lifetime_days": null, "classic_max_lifetime_days": null,
	"inactive_token_days": null, "enterprise": "octo-ent", "locked": ["classic_access"], "auto_approve_read_only": false, "auto_approve_repositories": []}`

func TestPolicyAPIGetOrg(t *testing.T) {
	a := newApp(t)
	read := polAdmin(a, "policy-read", policy.LevelRead)
	write := polAdmin(a, "policy-write", policy.LevelWrite)
	mona := a.newFineGrained("mona", "mona-admin", fgSpec{Org: "octo-org", Days: 30, Permissions: map[string]policy.Level{
		policy.Metadata: policy.LevelRead, "organization_administration": policy.LevelWrite}})
	none := a.newFineGrained("octo-owner", "no-admin", fgSpec{Org: "octo-org", Days: 30})
	classic := a.newClassic("octo-owner", "classic-admin", 30, "admin:org")

	r := polDo(a, http.MethodGet, polOrg, read, nil, "").want(http.StatusOK)
	polBody(t, r, polOctoOrgInitial)
	etag := r.Header.Get("ETag")
	if want := `"` + strconv.Itoa(a.orgPolicy("octo-org").Version) + `"`; etag != want {
		t.Errorf("ETag %q, want %q", etag, want)
	}
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		t.Errorf("Content-Type %q", r.Header.Get("Content-Type"))
	}
	if cc := r.Header.Get("Cache-Control"); !strings.Contains(cc, "no-store") {
		t.Errorf("Cache-Control %q", cc)
	}
	w := polDo(a, http.MethodGet, polOrg, write, nil, "").want(http.StatusOK)
	if string(w.Body) != string(r.Body) || w.Header.Get("ETag") != etag {
		t.Error("two readers see different policies")
	}

	before := polStateOf(a, polOrg, read, "octo-org")
	change := map[string]any{"fine_grained_max_lifetime_days": 30}
	// Reading takes read; changing takes read and write.
	polDo(a, http.MethodPatch, polOrg, read, change, "").want(http.StatusForbidden)
	for _, tc := range []struct {
		name, secret string
		status       int
	}{
		{"no token", "", http.StatusUnauthorized},
		{"member", mona, http.StatusForbidden},
		{"owner without organization administration", none, http.StatusForbidden},
		// octo-ent restricts classic tokens in octo-org.
		{"classic", classic, http.StatusForbidden},
	} {
		polDo(a, http.MethodGet, polOrg, tc.secret, nil, "").want(tc.status)
		polDo(a, http.MethodPatch, polOrg, tc.secret, change, "").want(tc.status)
	}
	polDo(a, http.MethodGet, "/orgs/no-such-org/personal-access-token-policy", read, nil, "").want(http.StatusNotFound)
	polDo(a, http.MethodPatch, "/orgs/no-such-org/personal-access-token-policy", write, change, "").want(http.StatusNotFound)
	if after := polStateOf(a, polOrg, read, "octo-org"); after != before {
		t.Fatalf("a refused PATCH changed something: %+v, was %+v", after, before)
	}
}

func TestPolicyAPIPatchRecordsWhatTheSettingsPageRecords(t *testing.T) {
	// The settings page saves two lifetimes.
	web := newApp(t)
	owner := web.as("octo-owner")
	n := len(web.audit("octo-org", ""))
	owner.submit(owner.get(patPath), "form.settings-form", map[string]string{
		"fine_grained_max_lifetime_days_expires": "on", "fine_grained_max_lifetime_days_days": "90",
		"classic_max_lifetime_days_expires": "on", "classic_max_lifetime_days_days": "30",
	}).redirectsTo(patPath)
	webEvents := polEventsSince(web, "octo-org", n)

	// The API, the same change as a subset.
	a := newApp(t)
	secret := polAdmin(a, "policy-write", policy.LevelWrite)
	before := polDo(a, http.MethodGet, polOrg, secret, nil, "").want(http.StatusOK)
	n = len(a.audit("octo-org", ""))
	r := polDo(a, http.MethodPatch, polOrg, secret, map[string]any{"fine_grained_max_lifetime_days": 90, "classic_max_lifetime_days": 30}, "").
		want(http.StatusOK)
	polBody(t, r, `{"opted_in": true, "fine_grained_access": "allow", "approval": "required", "classic_access": "restrict",
		"fine_grained_max_lifetime_days": 90, "classic_max_lifetime_days": 30, "inactive_token_days": null, "enterprise": "octo-ent", "locked": ["classic_access"], "auto_approve_read_only": false, "auto_approve_repositories": []}`)
	if e := r.Header.Get("ETag"); e == "" || e == before.Header.Get("ETag") {
		t.Errorf("ETag after a change %q, before %q", e, before.Header.Get("ETag"))
	}
	apiEvents := polEventsSince(a, "octo-org", n)
	if len(apiEvents) != 2 || !slices.Equal(apiEvents, webEvents) {
		t.Errorf("events\n api %q\n web %q", apiEvents, webEvents)
	}
	// GET agrees with the PATCH's answer.
	g := polDo(a, http.MethodGet, polOrg, secret, nil, "").want(http.StatusOK)
	if string(g.Body) != string(r.Body) || g.Header.Get("ETag") != r.Header.Get("ETag") {
		t.Errorf("GET %s %s after PATCH %s %s", g.Body, g.Header.Get("ETag"), r.Body, r.Header.Get("ETag"))
	}
	// The settings page shows the new values.
	page := a.as("octo-owner").get(patPath).status(http.StatusOK)
	for id, want := range map[string]string{"fine_grained_max_lifetime_days_days": "90", "classic_max_lifetime_days_days": "30"} {
		if v := page.attr("#"+id, "value"); v != want {
			t.Errorf("the settings page shows %s = %q, want %q", id, v, want)
		}
	}
	if page.doc.Find(`input[name="fine_grained_max_lifetime_days_expires"][checked]`).Length() != 1 {
		t.Error("the settings page does not show the fine-grained lifetime as set")
	}
	// Lifting a limit with null: unset, as the page's unchecked box.
	n = len(a.audit("octo-org", ""))
	r = polDo(a, http.MethodPatch, polOrg, secret, map[string]any{"classic_max_lifetime_days": nil}, "").want(http.StatusOK)
	if ev := polEventsSince(a, "octo-org", n); len(ev) != 1 || !strings.HasPrefix(ev[0], policy.ActionExpirationLimitUnset+" | octo-owner") {
		t.Errorf("events after unsetting %q", ev)
	}
	var body map[string]any
	r.decode(&body)
	if body["classic_max_lifetime_days"] != nil {
		t.Errorf("classic_max_lifetime_days %v, want null", body["classic_max_lifetime_days"])
	}
	// The page's save of a policy field matches the API's too.
	n = len(web.audit("octo-org", ""))
	owner.submit(owner.get(patPath), "form.settings-form", map[string]string{"classic_max_lifetime_days_expires": "\x00"}).redirectsTo(patPath)
	if w, api := polEventsSince(web, "octo-org", n), polEventsSince(a, "octo-org", len(a.audit("octo-org", ""))-1); !slices.Equal(w, api) {
		t.Errorf("unset events\n api %q\n web %q", api, w)
	}
}

func TestPolicyAPIPatchRefusals(t *testing.T) {
	a := newApp(t)
	secret := polAdmin(a, "policy-write", policy.LevelWrite)
	ent := polEntToken(a)
	// The enterprise sets a fine-grained ceiling of 90 days.
	polDo(a, http.MethodPatch, polEnt, ent, map[string]any{"fine_grained_max_lifetime_days": 90}, "").want(http.StatusOK)
	start := polStateOf(a, polOrg, secret, "octo-org")
	polBody(t, &apiResponse{t: t, Body: []byte(start.body)}, `{"opted_in": true, "fine_grained_access": "allow", "approval": "required",
		"classic_access": "restrict", "fine_grained_max_lifetime_days": 90, "classic_max_lifetime_days": null,
		"inactive_token_days": null, "enterprise": "octo-ent", "locked": ["classic_access"], "auto_approve_read_only": false, "auto_approve_repositories": []}`)

	cases := []struct {
		name  string
		body  any
		field string
	}{
		{"locked field changed", map[string]any{"classic_access": "allow"}, "classic_access"},
		{"locked field changed with a valid change", map[string]any{"classic_access": "allow", "approval": "not_required"}, "classic_access"},
		{"above the enterprise ceiling", map[string]any{"fine_grained_max_lifetime_days": 120}, "fine_grained_max_lifetime_days"},
		{"access maybe", map[string]any{"fine_grained_access": "maybe"}, "fine_grained_access"},
		{"access null", map[string]any{"fine_grained_access": nil}, "fine_grained_access"},
		{"access a number", map[string]any{"fine_grained_access": 1}, "fine_grained_access"},
		{"approval maybe", map[string]any{"approval": "maybe"}, "approval"},
		{"approval as the enterprise spells it", map[string]any{"approval": "disabled"}, "approval"},
		{"classic maybe", map[string]any{"classic_access": "maybe"}, "classic_access"},
		{"lifetime 0", map[string]any{"classic_max_lifetime_days": 0}, "classic_max_lifetime_days"},
		{"lifetime 367", map[string]any{"classic_max_lifetime_days": 367}, "classic_max_lifetime_days"},
		{"lifetime -5", map[string]any{"classic_max_lifetime_days": -5}, "classic_max_lifetime_days"},
		{"lifetime 1.5", `{"classic_max_lifetime_days": 1.5}`, "classic_max_lifetime_days"},
		{"lifetime a string", map[string]any{"classic_max_lifetime_days": "30"}, "classic_max_lifetime_days"},
		{"lifetime true", map[string]any{"classic_max_lifetime_days": true}, "classic_max_lifetime_days"},
		{"fine-grained lifetime 367", map[string]any{"fine_grained_max_lifetime_days": 367}, "fine_grained_max_lifetime_days"},
		{"opted_in a string", map[string]any{"opted_in": "yes"}, "opted_in"},
		{"opting out", map[string]any{"opted_in": false}, "opted_in"},
		{"unknown field", map[string]any{"approval": "not_required", "auto_approve": true}, "auto_approve"},
		{"enterprise changed", map[string]any{"enterprise": "other-ent"}, "enterprise"},
		{"enterprise null", map[string]any{"enterprise": nil}, "enterprise"},
		{"locked emptied", map[string]any{"locked": []string{}}, "locked"},
		{"locked changed", map[string]any{"locked": []string{"approval", "classic_access"}}, "locked"},
		{"body an array", `[]`, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a.t = t
			r := polDo(a, http.MethodPatch, polOrg, secret, tc.body, "").want(http.StatusUnprocessableEntity)
			if f := polFields(r); tc.field != "" && !slices.Equal(f, []string{tc.field}) {
				t.Errorf("422 names %v, want [%s]: %s", f, tc.field, r.Body)
			}
			if r.message() == "" {
				t.Error("no message")
			}
			if now := polStateOf(a, polOrg, secret, "octo-org"); now != start {
				t.Fatalf("a refused PATCH changed something:\n %+v\nwas\n %+v", now, start)
			}
		})
	}
	a.t = t
	// The 422 for a lock names the setting and the enterprise.
	r := polDo(a, http.MethodPatch, polOrg, secret, map[string]any{"classic_access": "allow"}, "").want(http.StatusUnprocessableEntity)
	if !strings.Contains(string(r.Body), "Personal access token (classic)") || !strings.Contains(string(r.Body), "Octo Enterprise") {
		t.Errorf("the lock's 422 %s names neither the setting nor the enterprise", r.Body)
	}
	r = polDo(a, http.MethodPatch, polOrg, secret, map[string]any{"fine_grained_max_lifetime_days": 120}, "").want(http.StatusUnprocessableEntity)
	if !strings.Contains(string(r.Body), "90") {
		t.Errorf("the ceiling's 422 %s does not name the ceiling", r.Body)
	}
	for _, body := range []string{`{"approval": `, `approval=required`, ``} {
		polDo(a, http.MethodPatch, polOrg, secret, body, "").want(http.StatusBadRequest)
	}
	if now := polStateOf(a, polOrg, secret, "octo-org"); now != start {
		t.Fatalf("a refused PATCH changed something: %+v", now)
	}

	// Accepted without change: the enforced value, the read-only fields
	// repeated, the lifetime in force, the GET body sent back whole, nothing.
	for _, body := range []any{
		map[string]any{"classic_access": "restrict"},
		map[string]any{"enterprise": "octo-ent", "locked": []string{"classic_access"}},
		map[string]any{"fine_grained_max_lifetime_days": 90},
		map[string]any{"opted_in": true},
		map[string]any{},
		start.body,
	} {
		r := polDo(a, http.MethodPatch, polOrg, secret, body, "").want(http.StatusOK)
		if string(r.Body) != start.body || r.Header.Get("ETag") != start.etag {
			t.Errorf("PATCH %v changed the policy: %s %s", body, r.Body, r.Header.Get("ETag"))
		}
	}
	if now := polStateOf(a, polOrg, secret, "octo-org"); now != start {
		t.Fatalf("a PATCH without change changed something: %+v", now)
	}
	// Below the ceiling is the organization's to choose.
	r = polDo(a, http.MethodPatch, polOrg, secret, map[string]any{"fine_grained_max_lifetime_days": 60}, "").want(http.StatusOK)
	var body map[string]any
	r.decode(&body)
	if body["fine_grained_max_lifetime_days"] != float64(60) {
		t.Errorf("fine_grained_max_lifetime_days %v, want 60", body["fine_grained_max_lifetime_days"])
	}
}

func TestPolicyAPIIfMatch(t *testing.T) {
	a := newApp(t)
	secret := polAdmin(a, "policy-write", policy.LevelWrite)
	ent := polEntToken(a)
	e1 := polDo(a, http.MethodGet, polOrg, secret, nil, "").want(http.StatusOK).Header.Get("ETag")

	r := polDo(a, http.MethodPatch, polOrg, secret, map[string]any{"classic_max_lifetime_days": 30}, e1).want(http.StatusOK)
	e2 := r.Header.Get("ETag")
	if e2 == "" || e2 == e1 {
		t.Fatalf("ETag %q after a change from %q", e2, e1)
	}
	// Stale: 409, nothing changed.
	before := polStateOf(a, polOrg, secret, "octo-org")
	r = polDo(a, http.MethodPatch, polOrg, secret, map[string]any{"classic_max_lifetime_days": 60}, e1).want(http.StatusConflict)
	if !strings.Contains(r.message(), "changed") {
		t.Errorf("409 message %q", r.message())
	}
	// Stale and wrong: the 409 first, as on the page.
	polDo(a, http.MethodPatch, polOrg, secret, map[string]any{"approval": "maybe"}, e1).want(http.StatusConflict)
	polDo(a, http.MethodPatch, polOrg, secret, map[string]any{"classic_max_lifetime_days": 60}, `"999"`).want(http.StatusConflict)
	if now := polStateOf(a, polOrg, secret, "octo-org"); now != before {
		t.Fatalf("a stale PATCH changed something: %+v", now)
	}
	// Current (plain, weak, in a list, "*"), or absent: applied.
	e3 := polDo(a, http.MethodPatch, polOrg, secret, map[string]any{"classic_max_lifetime_days": 60}, e2).want(http.StatusOK).Header.Get("ETag")
	e4 := polDo(a, http.MethodPatch, polOrg, secret, map[string]any{"classic_max_lifetime_days": 61}, "W/"+e3).want(http.StatusOK).Header.Get("ETag")
	e5 := polDo(a, http.MethodPatch, polOrg, secret, map[string]any{"classic_max_lifetime_days": 62}, `"999", `+e4).want(http.StatusOK).Header.Get("ETag")
	e6 := polDo(a, http.MethodPatch, polOrg, secret, map[string]any{"classic_max_lifetime_days": 63}, "*").want(http.StatusOK).Header.Get("ETag")
	e7 := polDo(a, http.MethodPatch, polOrg, secret, map[string]any{"classic_max_lifetime_days": 64}, "").want(http.StatusOK).Header.Get("ETag")
	if tags := []string{e1, e2, e3, e4, e5, e6, e7}; len(slices.Compact(slices.Clone(tags))) != len(tags) {
		t.Errorf("ETags %v do not change with every change", tags)
	}
	// No change: the same ETag.
	if e := polDo(a, http.MethodPatch, polOrg, secret, map[string]any{"classic_max_lifetime_days": 64}, e7).want(http.StatusOK).Header.Get("ETag"); e != e7 {
		t.Errorf("ETag %q after no change, was %q", e, e7)
	}

	// What the enterprise changes changes the organization's ETag.
	polDo(a, http.MethodPatch, polEnt, ent, map[string]any{"fine_grained_max_lifetime_days": 200}, "").want(http.StatusOK)
	g := polDo(a, http.MethodGet, polOrg, secret, nil, "").want(http.StatusOK)
	if g.Header.Get("ETag") == e7 {
		t.Fatal("the organization's ETag did not change with its enterprise's policy")
	}
	polDo(a, http.MethodPatch, polOrg, secret, map[string]any{"fine_grained_max_lifetime_days": 100}, e7).want(http.StatusConflict)
	polDo(a, http.MethodPatch, polOrg, secret, map[string]any{"fine_grained_max_lifetime_days": 100}, g.Header.Get("ETag")).want(http.StatusOK)

	// The page and the API share the version: each makes the other stale.
	owner := a.as("octo-owner")
	form := owner.get(patPath).status(http.StatusOK)
	cur := polDo(a, http.MethodGet, polOrg, secret, nil, "").Header.Get("ETag")
	polDo(a, http.MethodPatch, polOrg, secret, map[string]any{"fine_grained_max_lifetime_days": 50}, cur).want(http.StatusOK)
	owner.submit(form, "form.settings-form", map[string]string{"approval": "not_required"}).status(http.StatusConflict)
	cur = polDo(a, http.MethodGet, polOrg, secret, nil, "").Header.Get("ETag")
	owner.submit(owner.get(patPath), "form.settings-form", map[string]string{"fine_grained_max_lifetime_days_days": "40"}).redirectsTo(patPath)
	polDo(a, http.MethodPatch, polOrg, secret, map[string]any{"fine_grained_max_lifetime_days": 30}, cur).want(http.StatusConflict)
	if p := a.orgPolicy("octo-org"); p.Own.FineGrainedLifetime != 40 || p.Own.Approval != policy.ApprovalRequired {
		t.Errorf("stored %+v", p.Own)
	}
}

func TestPolicyAPIApprovalOffApprovesPendingRequests(t *testing.T) {
	web := newApp(t)
	owner := web.as("octo-owner")
	n := len(web.audit("octo-org", ""))
	owner.confirm(owner.submit(owner.get(patPath), "form.settings-form", map[string]string{"approval": "not_required"})).redirectsTo(patPath)
	webEvents := polEventsSince(web, "octo-org", n)

	a := newApp(t)
	secret := polAdmin(a, "policy-write", policy.LevelWrite)
	n = len(a.audit("octo-org", ""))
	r := polDo(a, http.MethodPatch, polOrg, secret, map[string]any{"approval": "not_required"}, "").want(http.StatusOK)
	var body map[string]any
	r.decode(&body)
	if body["approval"] != "not_required" {
		t.Errorf("approval %v", body["approval"])
	}
	for _, tk := range [][2]string{{"mona", "deploy-bot"}, {"hubot", "ci-reader"}} {
		if g := a.token(tk[0], tk[1]).Grant; g.Status != policy.GrantApproved || g.Reviewer != "octo-owner" {
			t.Errorf("%s %+v", tk[1], g)
		}
		evs := eventsAbout(a, policy.ActionAccessGranted, tk[1])
		if len(evs) != 1 || !strings.Contains(evs[0].Details, "approval is no longer required") || evs[0].ActorLogin != "octo-owner" {
			t.Errorf("%s access_granted events %+v", tk[1], evs)
		}
		if got, want := admNotes(a, tk[0]), admNotes(web, tk[0]); !slices.Equal(got, want) || len(got) != 1 {
			t.Errorf("%s notified %q, want %q", tk[0], got, want)
		}
	}
	if apiEvents := polEventsSince(a, "octo-org", n); !slices.Equal(apiEvents, webEvents) || len(apiEvents) != 3 {
		t.Errorf("events\n api %q\n web %q", apiEvents, webEvents)
	}
	a.as("octo-owner").get(requestsPath).contains("main", "No pending requests")
	// Turning it back on approves nothing more and records the change.
	n = len(a.audit("octo-org", ""))
	polDo(a, http.MethodPatch, polOrg, secret, map[string]any{"approval": "required"}, "").want(http.StatusOK)
	if ev := polEventsSince(a, "octo-org", n); len(ev) != 1 || !strings.HasPrefix(ev[0], policy.ActionAutoApproveDisable) {
		t.Errorf("events %q", ev)
	}
}

func TestPolicyAPIOptIn(t *testing.T) {
	web := newApp(t)
	owner := web.as("octo-owner")
	onboarding := "/organizations/solo-org/settings/personal-access-tokens-onboarding"
	owner.post(onboarding, url.Values{"step": {"4"}, "nav": {"enroll"}, "fine_grained_access": {"allow"},
		"approval": {"not_required"}, "classic_access": {"allow"}}).redirectsTo("/organizations/solo-org/settings/personal-access-tokens")
	webEvents := polEventsSince(web, "solo-org", 0)

	a := newApp(t)
	// Fine-grained tokens do not reach an organization that has not opted
	// in, so enrolling takes a classic token with admin:org.
	classic := a.newClassic("octo-owner", "solo-admin", 30, "admin:org")
	fine := a.newFineGrained("octo-owner", "solo-fine", fgSpec{Org: "solo-org", Days: 30, Permissions: map[string]policy.Level{
		policy.Metadata: policy.LevelRead, "organization_administration": policy.LevelWrite}})
	polDo(a, http.MethodGet, polSol, fine, nil, "").want(http.StatusForbidden)
	r := polDo(a, http.MethodGet, polSol, classic, nil, "").want(http.StatusOK)
	initial := `{"opted_in": false, "fine_grained_access": "allow", "approval": "required", "classic_access": "allow",
		"fine_grained_max_lifetime_days": null, "classic_max_lifetime_days": null, "inactive_token_days": null, "enterprise": null, "locked": [], "auto_approve_read_only": false, "auto_approve_repositories": []}`
	polBody(t, r, initial)
	start := polStateOf(a, polSol, classic, "solo-org")
	n := start.events

	for _, tc := range []struct {
		name  string
		body  any
		field string
	}{
		{"settings without opted_in", map[string]any{"approval": "not_required"}, "opted_in"},
		{"nothing", map[string]any{}, "opted_in"},
		{"opted_in false", map[string]any{"opted_in": false, "approval": "not_required"}, "opted_in"},
		{"opted_in with a bad value", map[string]any{"opted_in": true, "approval": "maybe"}, "approval"},
		{"opted_in not a bool", map[string]any{"opted_in": "true"}, "opted_in"},
		{"an enterprise it has not", map[string]any{"opted_in": true, "enterprise": "octo-ent"}, "enterprise"},
	} {
		r := polDo(a, http.MethodPatch, polSol, classic, tc.body, "").want(http.StatusUnprocessableEntity)
		if f := polFields(r); !slices.Contains(f, tc.field) {
			t.Errorf("%s: 422 names %v, want %s", tc.name, f, tc.field)
		}
		if now := polStateOf(a, polSol, classic, "solo-org"); now != start {
			t.Fatalf("%s: changed %+v", tc.name, now)
		}
	}
	a.as("octo-owner").get("/organizations/solo-org/settings/personal-access-tokens").redirectsTo(onboarding)

	r = polDo(a, http.MethodPatch, polSol, classic, map[string]any{"opted_in": true, "fine_grained_access": "allow",
		"approval": "not_required", "classic_access": "allow"}, start.etag).want(http.StatusOK)
	polBody(t, r, `{"opted_in": true, "fine_grained_access": "allow", "approval": "not_required", "classic_access": "allow",
		"fine_grained_max_lifetime_days": null, "classic_max_lifetime_days": null, "inactive_token_days": null, "enterprise": null, "locked": [], "auto_approve_read_only": false, "auto_approve_repositories": []}`)
	if r.Header.Get("ETag") == start.etag {
		t.Error("the ETag did not change on opting in")
	}
	if apiEvents := polEventsSince(a, "solo-org", n); !slices.Equal(apiEvents, webEvents) {
		t.Errorf("events\n api %q\n web %q", apiEvents, webEvents)
	}
	// Opted in: the settings page, no onboarding; fine-grained tokens reach it.
	page := a.as("octo-owner").get("/organizations/solo-org/settings/personal-access-tokens").status(http.StatusOK)
	if page.checked("approval") != "not_required" {
		t.Errorf("the settings page shows approval %q", page.checked("approval"))
	}
	polDo(a, http.MethodGet, polSol, fine, nil, "").want(http.StatusOK)

	after := polStateOf(a, polSol, classic, "solo-org")
	polDo(a, http.MethodPatch, polSol, classic, map[string]any{"opted_in": false}, "").want(http.StatusUnprocessableEntity)
	if now := polStateOf(a, polSol, classic, "solo-org"); now != after {
		t.Fatal("opting out changed something")
	}
	r = polDo(a, http.MethodPatch, polSol, classic, map[string]any{"opted_in": true}, "").want(http.StatusOK)
	if r.Header.Get("ETag") != after.etag {
		t.Error("opted_in true on an opted-in organization changed its version")
	}
	// Later changes need no opted_in.
	polDo(a, http.MethodPatch, polSol, fine, map[string]any{"fine_grained_max_lifetime_days": 90}, "").want(http.StatusOK)
	if p := a.orgPolicy("solo-org"); !p.OptedIn || p.Own.FineGrainedLifetime != 90 {
		t.Errorf("stored %+v", p)
	}
}

// A PATCH that shuts out the very token making it is stored, and must be
// answered as stored: the change is the owner's to make.
func TestPolicyAPIPatchThatShutsOutTheCallersToken(t *testing.T) {
	t.Run("fine-grained restricted by a fine-grained token", func(t *testing.T) {
		a := newApp(t)
		secret := polAdmin(a, "policy-write", policy.LevelWrite)
		r := polDo(a, http.MethodPatch, polOrg, secret, map[string]any{"fine_grained_access": "restrict"}, "")
		stored := a.orgPolicy("octo-org").Own.FineGrained == policy.Restrict
		if !stored {
			t.Fatalf("the restriction was not stored: %d %s", r.Status, r.Body)
		}
		// From now on the token is refused (docs/policy.md).
		polDo(a, http.MethodGet, polOrg, secret, nil, "").want(http.StatusForbidden)
		if r.Status == http.StatusForbidden {
			t.Fatal("PATCH /orgs/{org}/personal-access-token-policy stored the change, then answered 403 (" + r.message() + ")")
		}
		r.want(http.StatusOK)
		polBody(t, r, `{"opted_in": true, "fine_grained_access": "restrict", "approval": "required", "classic_access": "restrict",
			"fine_grained_max_lifetime_days": null, "classic_max_lifetime_days": null, "inactive_token_days": null, "enterprise": "octo-ent", "locked": ["classic_access"], "auto_approve_read_only": false, "auto_approve_repositories": []}`)
	})
	t.Run("lifetime below the calling token's", func(t *testing.T) {
		a := newApp(t)
		secret := polAdmin(a, "policy-write", policy.LevelWrite) // 30 days
		r := polDo(a, http.MethodPatch, polOrg, secret, map[string]any{"fine_grained_max_lifetime_days": 7}, "")
		if a.orgPolicy("octo-org").Own.FineGrainedLifetime != 7 {
			t.Fatalf("the lifetime was not stored: %d %s", r.Status, r.Body)
		}
		if r.Status == http.StatusForbidden {
			t.Fatal("a PATCH setting a maximum lifetime below the calling token's is stored, then answered 403 (" + r.message() + ")")
		}
		r.want(http.StatusOK)
	})
	t.Run("classic restricted by a classic token", func(t *testing.T) {
		a := newApp(t)
		classic := a.newClassic("octo-owner", "solo-admin", 30, "admin:org")
		r := polDo(a, http.MethodPatch, polSol, classic, map[string]any{"opted_in": true, "classic_access": "restrict"}, "")
		p := a.orgPolicy("solo-org")
		if !p.OptedIn || p.Own.Classic != policy.Restrict {
			t.Fatalf("the opt-in was not stored: %d %s", r.Status, r.Body)
		}
		if r.Status == http.StatusForbidden {
			t.Fatal("opting solo-org in with classic_access restrict through a classic token is stored, then answered 403 (" + r.message() + ")")
		}
		r.want(http.StatusOK)
	})
}

const polOctoEntInitial = `{"opted_in": true, "fine_grained_access": "no_policy", "approval": "no_policy",
	"classic_access": "restrict", "fine_grained_max_lifetime_days": null, "classic_max_lifetime_days": null,
	"exempt_administrators": false, "inactive_token_days": null, "enterprise": "octo-ent", "locked": []}`

func TestPolicyAPIEnterpriseAccess(t *testing.T) {
	a := newApp(t)
	ent := polEntToken(a)
	fine := a.newFineGrained("ent-admin", "ent-fine", fgSpec{Days: 30, Permissions: map[string]policy.Level{
		policy.Metadata: policy.LevelRead, "organization_administration": policy.LevelWrite}})
	noScope := a.newClassic("ent-admin", "ent-no-scope", 30, "admin:org", "repo")
	outsider := a.newClassic("octo-owner", "not-ent-owner", 30, "admin:enterprise", "admin:org")

	r := polDo(a, http.MethodGet, polEnt, ent, nil, "").want(http.StatusOK)
	polBody(t, r, polOctoEntInitial)
	if e := r.Header.Get("ETag"); !strings.HasPrefix(e, `"`) || !strings.HasSuffix(e, `"`) || len(e) < 3 {
		t.Errorf("ETag %q", e)
	}
	start := polStateOf(a, polEnt, ent, "")
	change := map[string]any{"fine_grained_max_lifetime_days": 30}
	for _, tc := range []struct {
		name, secret string
		status       int
	}{
		{"no token", "", http.StatusUnauthorized},
		{"fine-grained token", fine, http.StatusForbidden},
		{"classic without admin:enterprise", noScope, http.StatusForbidden},
		{"not an enterprise owner", outsider, http.StatusNotFound},
	} {
		for _, m := range []string{http.MethodGet, http.MethodPatch} {
			var body any
			if m == http.MethodPatch {
				body = change
			}
			if got := polDo(a, m, polEnt, tc.secret, body, "").Status; got != tc.status {
				t.Errorf("%s %s: %d, want %d", tc.name, m, got, tc.status)
			}
		}
	}
	polDo(a, http.MethodGet, "/enterprises/no-such-ent/personal-access-token-policy", ent, nil, "").want(http.StatusNotFound)
	polDo(a, http.MethodPatch, "/enterprises/no-such-ent/personal-access-token-policy", ent, change, "").want(http.StatusNotFound)
	if now := polStateOf(a, polEnt, ent, ""); now != start {
		t.Fatalf("a refused call changed the enterprise: %+v", now)
	}
}

func TestPolicyAPIEnterprisePatch(t *testing.T) {
	a := newApp(t)
	ent := polEntToken(a)
	owner := polAdmin(a, "policy-write", policy.LevelWrite)
	start := polStateOf(a, polEnt, ent, "")
	orgStart := polStateOf(a, polOrg, owner, "octo-org")

	for _, tc := range []struct {
		name  string
		body  any
		field string
	}{
		{"access maybe", map[string]any{"fine_grained_access": "maybe"}, "fine_grained_access"},
		{"access as organizations spell it", map[string]any{"classic_access": "allowed"}, "classic_access"},
		{"approval as organizations spell it", map[string]any{"approval": "not_required"}, "approval"},
		{"approval maybe", map[string]any{"approval": "maybe"}, "approval"},
		{"lifetime 0", map[string]any{"fine_grained_max_lifetime_days": 0}, "fine_grained_max_lifetime_days"},
		{"lifetime 367", map[string]any{"fine_grained_max_lifetime_days": 367}, "fine_grained_max_lifetime_days"},
		{"lifetime 1.5", `{"classic_max_lifetime_days": 1.5}`, "classic_max_lifetime_days"},
		{"lifetime a string", map[string]any{"classic_max_lifetime_days": "30"}, "classic_max_lifetime_days"},
		{"exempt a string", map[string]any{"exempt_administrators": "yes"}, "exempt_administrators"},
		{"opted_in changed", map[string]any{"opted_in": false}, "opted_in"},
		{"enterprise changed", map[string]any{"enterprise": "other"}, "enterprise"},
		{"locked changed", map[string]any{"locked": []string{"classic_access"}}, "locked"},
		{"unknown field", map[string]any{"members_can_create": true}, "members_can_create"},
		{"a valid and an invalid field", map[string]any{"classic_access": "allow", "approval": "sometimes"}, "approval"},
	} {
		r := polDo(a, http.MethodPatch, polEnt, ent, tc.body, "").want(http.StatusUnprocessableEntity)
		if f := polFields(r); !slices.Equal(f, []string{tc.field}) {
			t.Errorf("%s: 422 names %v, want [%s]", tc.name, f, tc.field)
		}
	}
	polDo(a, http.MethodPatch, polEnt, ent, `{"classic_access": `, "").want(http.StatusBadRequest)
	if now := polStateOf(a, polEnt, ent, ""); now != start {
		t.Fatalf("a refused PATCH changed the enterprise: %+v", now)
	}
	if now := polStateOf(a, polOrg, owner, "octo-org"); now != orgStart {
		t.Fatalf("a refused enterprise PATCH changed octo-org: %+v", now)
	}
	// Read-only fields repeated unchanged, and the whole GET body: accepted.
	for _, body := range []any{map[string]any{"opted_in": true, "enterprise": "octo-ent", "locked": []string{}}, start.body} {
		r := polDo(a, http.MethodPatch, polEnt, ent, body, "").want(http.StatusOK)
		if string(r.Body) != start.body || r.Header.Get("ETag") != start.etag {
			t.Errorf("PATCH %v changed the enterprise: %s", body, r.Body)
		}
	}

	// If-Match: stale 409, current 200.
	r := polDo(a, http.MethodPatch, polEnt, ent, map[string]any{"exempt_administrators": true}, start.etag).want(http.StatusOK)
	polDo(a, http.MethodPatch, polEnt, ent, map[string]any{"exempt_administrators": false}, start.etag).want(http.StatusConflict)
	var body map[string]any
	polDo(a, http.MethodGet, polEnt, ent, nil, "").want(http.StatusOK).decode(&body)
	if body["exempt_administrators"] != true {
		t.Fatal("a stale PATCH changed the enterprise")
	}
	polDo(a, http.MethodPatch, polEnt, ent, map[string]any{"exempt_administrators": false}, r.Header.Get("ETag")).want(http.StatusOK)

	// The enterprise page shows the API's change.
	polDo(a, http.MethodPatch, polEnt, ent, map[string]any{"approval": "required"}, "").want(http.StatusOK)
	if got := a.as("ent-admin").get("/enterprises/octo-ent/settings/personal-access-tokens").checked("approval"); got != "required" {
		t.Errorf("the enterprise page shows approval %q", got)
	}
	var org map[string]any
	polDo(a, http.MethodGet, polOrg, owner, nil, "").want(http.StatusOK).decode(&org)
	if !reflect.DeepEqual(org["locked"], []any{"approval", "classic_access"}) || org["approval"] != "required" {
		t.Errorf("octo-org after the enterprise requires approval: %v", org)
	}
	polDo(a, http.MethodPatch, polOrg, owner, map[string]any{"approval": "not_required"}, "").want(http.StatusUnprocessableEntity)

	// Disabling the approval flow approves octo-org's pending requests.
	polDo(a, http.MethodPatch, polEnt, ent, map[string]any{"approval": "disabled"}, "").want(http.StatusOK)
	for _, tk := range [][2]string{{"mona", "deploy-bot"}, {"hubot", "ci-reader"}} {
		if g := a.token(tk[0], tk[1]).Grant; g.Status != policy.GrantApproved {
			t.Errorf("%s %+v after the enterprise disabled approvals", tk[1], g)
		}
		if evs := eventsAbout(a, policy.ActionAccessGranted, tk[1]); len(evs) != 1 || evs[0].ActorLogin != "ent-admin" {
			t.Errorf("%s access_granted events %+v", tk[1], evs)
		}
	}
}

func TestPolicyAPIEnterpriseAllowsClassic(t *testing.T) {
	a := newApp(t)
	ent := polEntToken(a)
	owner := polAdmin(a, "policy-write", policy.LevelWrite)
	monaClassic := a.newClassic("mona", "mona-repo", 30, "repo")
	ownerClassic := a.newClassic("octo-owner", "owner-classic", 30, "admin:org")
	polDo(a, http.MethodGet, "/repos/octo-org/octo-api", monaClassic, nil, "").want(http.StatusForbidden)
	polDo(a, http.MethodGet, polOrg, ownerClassic, nil, "").want(http.StatusForbidden)
	orgETag := polDo(a, http.MethodGet, polOrg, owner, nil, "").want(http.StatusOK).Header.Get("ETag")

	r := polDo(a, http.MethodPatch, polEnt, ent, map[string]any{"classic_access": "allow"}, "").want(http.StatusOK)
	var body map[string]any
	r.decode(&body)
	if body["classic_access"] != "allow" {
		t.Fatalf("enterprise classic_access %v", body["classic_access"])
	}
	// Enforcing allow is still a lock.
	g := polDo(a, http.MethodGet, polOrg, owner, nil, "").want(http.StatusOK)
	polBody(t, g, `{"opted_in": true, "fine_grained_access": "allow", "approval": "required", "classic_access": "allow",
		"fine_grained_max_lifetime_days": null, "classic_max_lifetime_days": null, "inactive_token_days": null, "enterprise": "octo-ent", "locked": ["classic_access"], "auto_approve_read_only": false, "auto_approve_repositories": []}`)
	if g.Header.Get("ETag") == orgETag {
		t.Error("octo-org's ETag did not change")
	}
	polDo(a, http.MethodPatch, polOrg, owner, map[string]any{"classic_access": "restrict"}, "").want(http.StatusUnprocessableEntity)
	polDo(a, http.MethodPatch, polOrg, owner, map[string]any{"classic_access": "allow"}, "").want(http.StatusOK)
	// A classic token now reaches octo-org's private repository, and the
	// owner's classic token its policy.
	polDo(a, http.MethodGet, "/repos/octo-org/octo-api", monaClassic, nil, "").want(http.StatusOK)
	polDo(a, http.MethodGet, polOrg, ownerClassic, nil, "").want(http.StatusOK)
	page := a.as("octo-owner").get(patPath).status(http.StatusOK)
	if page.checked("classic_access") != "allow" || page.doc.Find(`input[name="classic_access"][disabled]`).Length() != 2 {
		t.Error("the settings page does not show classic allowed and locked")
	}

	// No policy: octo-org's own choice, unlocked.
	polDo(a, http.MethodPatch, polEnt, ent, map[string]any{"classic_access": "no_policy"}, "").want(http.StatusOK)
	g = polDo(a, http.MethodGet, polOrg, owner, nil, "").want(http.StatusOK)
	polBody(t, g, `{"opted_in": true, "fine_grained_access": "allow", "approval": "required", "classic_access": "allow",
		"fine_grained_max_lifetime_days": null, "classic_max_lifetime_days": null, "inactive_token_days": null, "enterprise": "octo-ent", "locked": [], "auto_approve_read_only": false, "auto_approve_repositories": []}`)
	// Restrict back: refused again.
	polDo(a, http.MethodPatch, polEnt, ent, map[string]any{"classic_access": "restrict"}, "").want(http.StatusOK)
	polDo(a, http.MethodGet, "/repos/octo-org/octo-api", monaClassic, nil, "").want(http.StatusForbidden)
}
