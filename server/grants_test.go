package server_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"patpolicy/db"
	"patpolicy/policy"
)

const (
	requestsPath = "/organizations/octo-org/settings/personal-access-token-requests"
	activePath   = "/organizations/octo-org/settings/personal-access-tokens/active"
	orgTokenPath = "/organizations/octo-org/settings/personal-access-tokens"
)

// rowNames lists the token names of a grant list's rows, in order.
func rowNames(p *page) []string {
	var out []string
	p.doc.Find("main table tbody tr").Each(func(_ int, s *goquery.Selection) {
		out = append(out, strings.TrimSpace(s.Find("td").Eq(1).Find("a").Text()))
	})
	return out
}

// row is the table row of the token named name.
func row(p *page, name string) *goquery.Selection {
	return p.doc.Find("main table tbody tr").FilterFunction(func(_ int, s *goquery.Selection) bool {
		return strings.TrimSpace(s.Find("td").Eq(1).Find("a").Text()) == name
	})
}

// review posts a bulk review from a list page's form with the given ids.
func (c *client) review(list *page, decision string, ids []string, reason string) *page {
	c.t.Helper()
	action, values := list.formOf(`main form[method="post"]`)
	values.Set("decision", decision)
	values["id"] = ids
	if reason != "" {
		values.Set("reason", reason)
	}
	return c.post(action, values)
}

// link follows the link named name on p.
func (c *client) link(p *page, name string) *page {
	c.t.Helper()
	a := p.doc.Find("main a").FilterFunction(func(_ int, s *goquery.Selection) bool { return strings.TrimSpace(s.Text()) == name })
	if a.Length() != 1 {
		c.t.Fatalf("%d links named %q", a.Length(), name)
	}
	href, _ := a.Attr("href")
	return c.get(href)
}

func grantStatus(a *app, login, name string) policy.GrantStatus {
	a.t.Helper()
	return a.token(login, name).Grant.Status
}

// eventsAbout lists org's events with action whose details name the token.
func eventsAbout(a *app, action, name string) []db.AuditEvent {
	var out []db.AuditEvent
	for _, e := range a.audit("octo-org", action) {
		if strings.Contains(e.Details, "“"+name+"”") {
			out = append(out, e)
		}
	}
	return out
}

func TestQueueListsRequestsNewestFirst(t *testing.T) {
	a := newApp(t)
	owner := a.as("octo-owner")
	q := owner.get(requestsPath).status(http.StatusOK)
	q.contains("h1", "Pending requests")
	if got := rowNames(q); !slices.Equal(got, []string{"ci-reader", "deploy-bot"}) {
		t.Fatalf("queue rows %v, want newest first", got)
	}
	r := row(q, "deploy-bot")
	if v, _ := r.Find(`input[type="checkbox"][aria-label="Select deploy-bot"]`).Attr("value"); v != a.grantID("mona", "deploy-bot") {
		t.Errorf("the checkbox carries %q", v)
	}
	if href, _ := r.Find("a").Attr("href"); href != requestsPath+"/"+a.grantID("mona", "deploy-bot") {
		t.Errorf("deploy-bot links to %q", href)
	}
	text := strings.Join(strings.Fields(r.Text()), " ")
	for _, want := range []string{"mona", "octo-api", "Contents: Read-only", "Metadata: Read-only", "Deploys the API", "Expires on", "just now"} {
		if !strings.Contains(text, want) {
			t.Errorf("deploy-bot row %q lacks %q", text, want)
		}
	}
	if !strings.Contains(row(q, "ci-reader").Text(), "All repositories") {
		t.Error("ci-reader row does not say All repositories")
	}
	for _, name := range []string{"Approve selected", "Deny selected", "Filter"} {
		if q.doc.Find(`main button:contains("`+name+`")`).Length() != 1 {
			t.Errorf("no button %q", name)
		}
	}
	if q.doc.Find(`main a:contains("Next"), main a:contains("Previous")`).Length() != 0 {
		t.Error("a short queue has page links")
	}
	// Owners of the organization only.
	for _, member := range []string{"mona", "hubot"} {
		c := a.as(member)
		c.get(requestsPath).status(http.StatusNotFound)
		c.get(requestsPath + "/" + a.grantID("mona", "deploy-bot")).status(http.StatusNotFound)
		c.post(requestsPath+"/"+a.grantID("hubot", "ci-reader")+"/approve", url.Values{}).status(http.StatusNotFound)
		c.post(requestsPath, url.Values{"decision": {"approve"}, "id": {a.grantID("hubot", "ci-reader")}}).status(http.StatusNotFound)
		c.get(activePath).status(http.StatusNotFound)
		c.post(orgTokenPath+"/"+a.grantID("octo-owner", "owner-automation")+"/revoke", url.Values{}).status(http.StatusNotFound)
	}
	if grantStatus(a, "hubot", "ci-reader") != policy.GrantPending || grantStatus(a, "octo-owner", "owner-automation") != policy.GrantApproved {
		t.Fatal("a member changed a grant")
	}

	// The detail page.
	d := owner.link(q, "deploy-bot").status(http.StatusOK)
	d.contains("h1", "deploy-bot")
	for _, want := range []string{"mona", "Deploys the API", "Only select repositories", "octo-api", "Contents: Read-only", "Pending"} {
		d.contains("main", want)
	}
	if d.doc.Find(`main button:contains("Approve")`).Length() != 1 || d.doc.Find(`main a:contains("Deny")`).Length() != 1 {
		t.Fatal("the detail page lacks Approve and Deny")
	}
}

func TestEmptyQueue(t *testing.T) {
	a := newApp(t)
	owner := a.as("octo-owner")
	q := owner.get(requestsPath)
	owner.confirm(owner.review(q, "deny", []string{a.grantID("mona", "deploy-bot"), a.grantID("hubot", "ci-reader")}, "")).redirectsTo(requestsPath)
	empty := owner.get(requestsPath).status(http.StatusOK)
	empty.contains("main", "No pending requests")
	if empty.doc.Find("main table").Length() != 0 || empty.doc.Find(`main button:contains("Approve selected")`).Length() != 0 {
		t.Error("an empty queue shows a table or bulk buttons")
	}
}

func TestQueueFilters(t *testing.T) {
	a := newApp(t)
	// A third request, for octo-web only with Issues.
	mona := a.as("mona")
	mona.newToken(url.Values{"name": {"web-issues"}, "resource_owner": {"octo-org"}, "justification": {"triage"},
		"repository_selection": {"selected"}, "repo_octo-org": {a.repoID("octo-org", "octo-web")}, "perm_issues": {"read"}}).
		createdID(fgPath)
	owner := a.as("octo-owner")
	cases := []struct {
		query string
		want  []string
	}{
		{"", []string{"web-issues", "ci-reader", "deploy-bot"}},
		{"owner=mona", []string{"web-issues", "deploy-bot"}},
		{"owner=hubot", []string{"ci-reader"}},
		{"owner=octo-owner", nil},
		// A repository is reached by a token selecting it or all repositories.
		{"repository=octo-api", []string{"ci-reader", "deploy-bot"}},
		{"repository=octo-web", []string{"web-issues", "ci-reader"}},
		{"repository=octo-infra", []string{"ci-reader"}},
		{"permission=contents", []string{"deploy-bot"}},
		{"permission=issues", []string{"web-issues"}},
		{"permission=metadata", []string{"web-issues", "ci-reader", "deploy-bot"}},
		{"permission=administration", nil},
		{"owner=mona&repository=octo-api", []string{"deploy-bot"}},
		{"owner=mona&permission=issues", []string{"web-issues"}},
		{"owner=hubot&permission=contents", nil},
		{"owner=mona&repository=octo-web&permission=metadata", []string{"web-issues"}},
		{"repository=octo-api&permission=contents", []string{"deploy-bot"}},
	}
	for _, tc := range cases {
		t.Run(tc.query, func(t *testing.T) {
			owner.t = t
			p := owner.get(requestsPath + "?" + tc.query).status(http.StatusOK)
			if got := rowNames(p); !slices.Equal(got, tc.want) {
				t.Fatalf("rows %v, want %v", got, tc.want)
			}
			if tc.want == nil {
				p.contains("main", "No pending requests")
			}
			q, _ := url.ParseQuery(tc.query)
			for id, key := range map[string]string{"filter-owner": "owner", "filter-repository": "repository", "filter-permission": "permission"} {
				if got := p.selected(id); got != q.Get(key) {
					t.Errorf("%s shows %q selected, want %q", key, got, q.Get(key))
				}
			}
			if clear := p.doc.Find(`main a:contains("Clear filters")`).Length(); (clear == 1) != (tc.query != "") {
				t.Errorf("%d Clear filters links", clear)
			}
		})
	}
	owner.t = t
	// The filter form is a GET form whose comboboxes are labelled, with
	// options labelled by login and repository name.
	p := owner.get(requestsPath)
	form := p.doc.Find(`main form[method="get"]`)
	for id, label := range map[string]string{"filter-owner": "Owner", "filter-repository": "Repository", "filter-permission": "Permission"} {
		if got := strings.TrimSpace(form.Find(`label[for="` + id + `"]`).Text()); got != label {
			t.Errorf("%s labelled %q", id, got)
		}
	}
	if p.text(`#filter-owner option[value="mona"]`) != "mona" || p.text(`#filter-repository option[value="octo-api"]`) != "octo-api" ||
		p.text(`#filter-permission option[value="contents"]`) != "Contents" {
		t.Error("filter options are not labelled by login, repository and permission name")
	}
	// Submitting the filter form as a browser would.
	_, values := p.formOf(`main form[method="get"]`)
	values.Set("owner", "hubot")
	if got := rowNames(owner.get(requestsPath + "?" + values.Encode())); !slices.Equal(got, []string{"ci-reader"}) {
		t.Errorf("filter form: %v", got)
	}
}

func TestQueueRefusesBadFilters(t *testing.T) {
	a := newApp(t)
	owner := a.as("octo-owner")
	cases := map[string]string{
		"owner=nobody":                  "“nobody” is not a member of octo-org.",
		"owner=ent-admin":               "“ent-admin” is not a member of octo-org.",
		"repository=solo-app":           "octo-org has no repository named “solo-app”.",
		"repository=nope":               "octo-org has no repository named “nope”.",
		"permission=delete_repo":        "There is no permission named “delete_repo”.",
		"owner=mona&permission=Admin":   "There is no permission named “Admin”.",
		"owner=%3Cscript%3Ex%3C/script": "is not a member",
	}
	for query, msg := range cases {
		t.Run(query, func(t *testing.T) {
			owner.t = t
			p := owner.get(requestsPath + "?" + query).status(http.StatusBadRequest)
			p.contains(`[role="alert"]`, msg)
			if p.doc.Find("main script").Length() != 0 {
				t.Error("the filter value is rendered as markup")
			}
			owner.get(activePath+"?"+query).status(http.StatusBadRequest).contains(`[role="alert"]`, msg)
		})
	}
}

func TestQueuePagination(t *testing.T) {
	a := newApp(t)
	for i := range 55 {
		a.addRequest("mona", "octo-org", fmt.Sprintf("req-%02d", i), nil)
	}
	owner := a.as("octo-owner")
	var all []string
	for i := 54; i >= 0; i-- {
		all = append(all, fmt.Sprintf("req-%02d", i))
	}
	everyone := append(slices.Clone(all), "ci-reader", "deploy-bot")
	mine := append(slices.Clone(all), "deploy-bot")

	cases := []struct {
		query string
		want  []string
	}{
		{"", everyone},
		{"owner=mona", mine},
		{"owner=mona&permission=metadata", mine},
		// Two key ranges (the repository, and all repositories) merged.
		{"repository=octo-api", everyone},
		{"repository=octo-api&owner=mona", mine},
	}
	for _, tc := range cases {
		t.Run("query="+tc.query, func(t *testing.T) {
			owner.t = t
			path := requestsPath
			if tc.query != "" {
				path += "?" + tc.query
			}
			filters, _ := url.ParseQuery(tc.query)
			first := owner.get(path).status(http.StatusOK)
			if got := rowNames(first); !slices.Equal(got, tc.want[:50]) {
				t.Fatalf("page 1: %v", got)
			}
			if first.doc.Find(`nav.pagination a:contains("Previous")`).Length() != 0 {
				t.Error("page 1 has Previous")
			}
			next := pageLink(t, first, "Next", filters)
			second := owner.get(next).status(http.StatusOK)
			if got := rowNames(second); !slices.Equal(got, tc.want[50:]) {
				t.Fatalf("page 2: %v, want %v", got, tc.want[50:])
			}
			if second.doc.Find(`nav.pagination a:contains("Next")`).Length() != 0 {
				t.Error("the last page has Next")
			}
			for k := range filters {
				if got := second.selected("filter-" + k); got != filters.Get(k) {
					t.Errorf("page 2 shows %s %q", k, got)
				}
			}
			prev := pageLink(t, second, "Previous", filters)
			back := owner.get(prev).status(http.StatusOK)
			if got := rowNames(back); !slices.Equal(got, tc.want[:50]) {
				t.Fatalf("back to page 1: %v", got)
			}
			if back.doc.Find(`nav.pagination a:contains("Next")`).Length() != 1 {
				t.Error("page 1, reached by Previous, has no Next")
			}
		})
	}
	owner.t = t

	// A bulk decision from page 2 keeps the filters and the page's rows.
	second := owner.get(pageLink(t, owner.get(requestsPath+"?owner=mona"), "Next", url.Values{"owner": {"mona"}}))
	res := owner.confirm(owner.review(second, "approve", []string{a.grantID("mona", "req-00")}, ""))
	res.redirectsTo(requestsPath + "?")
	if loc, _ := url.Parse(res.location()); loc.Query().Get("owner") != "mona" {
		t.Errorf("bulk decision redirects to %q, losing the filter", res.location())
	}
	if grantStatus(a, "mona", "req-00") != policy.GrantApproved {
		t.Fatal("the bulk decision from page 2 was not applied")
	}
}

// pageLink is the href of the pagination link named name, checked to keep
// the filters.
func pageLink(t *testing.T, p *page, name string, filters url.Values) string {
	t.Helper()
	a := p.doc.Find(`nav.pagination a`).FilterFunction(func(_ int, s *goquery.Selection) bool { return strings.TrimSpace(s.Text()) == name })
	if a.Length() != 1 {
		t.Fatalf("%d links named %q", a.Length(), name)
	}
	href, _ := a.Attr("href")
	u, err := url.Parse(href)
	if err != nil || u.Path != requestsPath {
		t.Fatalf("%s links to %q", name, href)
	}
	for k := range filters {
		if u.Query().Get(k) != filters.Get(k) {
			t.Errorf("%s link %q drops the %s filter", name, href, k)
		}
	}
	return href
}

func TestApproveRequest(t *testing.T) {
	a := newApp(t)
	owner := a.as("octo-owner")
	id := a.grantID("mona", "deploy-bot")
	detail := owner.get(requestsPath + "/" + id).status(http.StatusOK)
	owner.submit(detail, `form[action$="/approve"]`, nil).redirectsTo(requestsPath)

	q := owner.get(requestsPath).status(http.StatusOK)
	q.contains(`[role="status"]`, "Approved “deploy-bot”.")
	if got := rowNames(q); !slices.Equal(got, []string{"ci-reader"}) {
		t.Fatalf("queue after approval: %v", got)
	}
	if grantStatus(a, "mona", "deploy-bot") != policy.GrantApproved {
		t.Fatal("not approved")
	}
	evs := eventsAbout(a, policy.ActionAccessGranted, "deploy-bot")
	if len(evs) != 1 || evs[0].ActorLogin != "octo-owner" {
		t.Fatalf("access_granted events %+v", evs)
	}
	ns := a.notifications("mona")
	if len(ns) != 1 || ns[0].Message != "Your token “deploy-bot” was approved for octo-org." ||
		ns[0].Link != fgPath+"/"+a.tokenID("mona", "deploy-bot") {
		t.Fatalf("mona's notifications %+v", ns)
	}
	mona := a.as("mona")
	mona.get(fgPath+"/"+a.tokenID("mona", "deploy-bot")).contains("main .page-title-row", "Active")
	if rows := rowNames(owner.get(activePath)); !slices.Contains(rows, "deploy-bot") {
		t.Errorf("active tokens %v lack the approved one", rows)
	}
	// The decided request's page shows the decision, without buttons.
	d := owner.get(requestsPath + "/" + id).status(http.StatusOK)
	d.contains("main", "Approved on")
	d.contains("main", "by octo-owner")
	if d.doc.Find(`main button:contains("Approve")`).Length() != 0 {
		t.Error("a decided request still offers Approve")
	}

	// Deciding it again is refused, and changes nothing.
	owner.submit(detail, `form[action$="/approve"]`, nil).status(http.StatusConflict).contains("main", "no longer pending")
	owner.post(requestsPath+"/"+id+"/deny", url.Values{"reason": {"late"}}).status(http.StatusConflict).contains("main", "already approved")
	owner.get(requestsPath + "/" + id + "/deny").status(http.StatusConflict)
	if n := len(eventsAbout(a, policy.ActionAccessGranted, "deploy-bot")); n != 1 {
		t.Fatalf("%d access_granted events after a second approval", n)
	}
	if n := len(eventsAbout(a, policy.ActionRequestDenied, "deploy-bot")); n != 0 {
		t.Fatalf("%d request_denied events for an approved request", n)
	}
	if g := a.token("mona", "deploy-bot").Grant; g.Status != policy.GrantApproved || g.Reason != "" {
		t.Fatalf("grant %+v after refused decisions", g)
	}
	if n := len(a.notifications("mona")); n != 1 {
		t.Fatalf("mona has %d notifications after refused decisions", n)
	}
}

func TestTwoOwnersReviewTheSameRequest(t *testing.T) {
	a := newApp(t)
	first, second := a.as("octo-owner"), a.as("octo-owner")
	id := a.grantID("hubot", "ci-reader")
	stale := second.get(requestsPath + "/" + id)
	denyForm := second.get(requestsPath + "/" + id + "/deny").status(http.StatusOK)
	first.post(requestsPath+"/"+id+"/approve", url.Values{}).redirectsTo(requestsPath)
	second.submit(stale, `form[action$="/approve"]`, nil).status(http.StatusConflict).contains("main", "no longer pending")
	second.submit(denyForm, "main form.settings-form", map[string]string{"reason": "too broad"}).
		status(http.StatusConflict).contains("main", "already approved by octo-owner")
	if g := a.token("hubot", "ci-reader").Grant; g.Status != policy.GrantApproved || g.Reason != "" {
		t.Fatalf("grant %+v", g)
	}
	if n := len(eventsAbout(a, policy.ActionAccessGranted, "ci-reader")) + len(eventsAbout(a, policy.ActionRequestDenied, "ci-reader")); n != 1 {
		t.Fatalf("%d decision events, want exactly 1", n)
	}
	// A request its requester cancelled meanwhile: refused as no longer
	// pending, though its id is gone; an id that never was stays a 404.
	cancelled := a.grantID("mona", "deploy-bot")
	stale = first.get(requestsPath + "/" + cancelled)
	mona := a.as("mona")
	mona.confirm(mona.post(fgPath+"/"+a.tokenID("mona", "deploy-bot")+"/cancel", url.Values{})).redirectsTo(fgPath)
	first.submit(stale, `form[action$="/approve"]`, nil).status(http.StatusConflict).contains("main", "no longer pending")
	first.post(requestsPath+"/"+cancelled+"/deny", url.Values{"reason": {"late"}}).status(http.StatusConflict)
	first.post(requestsPath+"/999999/approve", url.Values{}).status(http.StatusNotFound)
}

func TestDenyRequest(t *testing.T) {
	a := newApp(t)
	owner := a.as("octo-owner")
	id := a.grantID("mona", "deploy-bot")
	detail := owner.get(requestsPath + "/" + id)
	confirm := owner.link(detail, "Deny").status(http.StatusOK)
	confirm.contains("h1", "Deny deploy-bot")
	if confirm.text(`label[for="reason"]`) != "Reason" || confirm.doc.Find(`main button:contains("Deny request")`).Length() != 1 {
		t.Fatal("the confirmation lacks the Reason textbox or the Deny request button")
	}
	if grantStatus(a, "mona", "deploy-bot") != policy.GrantPending {
		t.Fatal("showing the confirmation denied the request")
	}

	// Too long a reason: refused, kept, nothing changed.
	long := strings.Repeat("r", policy.MaxReason+1)
	bad := owner.submit(confirm, "main form.settings-form", map[string]string{"reason": long}).status(http.StatusUnprocessableEntity)
	bad.contains(`[role="alert"]`, "Reason is too long")
	if bad.text("textarea#reason") != long {
		t.Error("the refused reason is not kept")
	}
	owner.submit(confirm, "main form.settings-form", map[string]string{"reason": "bad\x00byte"}).status(http.StatusUnprocessableEntity)
	if g := a.token("mona", "deploy-bot").Grant; g.Status != policy.GrantPending || g.Reason != "" {
		t.Fatalf("a refused denial changed the grant: %+v", g)
	}
	if n := len(a.audit("octo-org", policy.ActionRequestDenied)); n != 0 {
		t.Fatalf("%d request_denied events after refused denials", n)
	}
	if n := len(a.notifications("mona")); n != 0 {
		t.Fatalf("mona was notified of a refused denial")
	}

	reason := "Use the shared deploy key instead.\nAsk in #ops."
	owner.submit(confirm, "main form.settings-form", map[string]string{"reason": "  " + reason + "  "}).redirectsTo(requestsPath)
	owner.get(requestsPath).contains(`[role="status"]`, "Denied “deploy-bot”.")
	g := a.token("mona", "deploy-bot").Grant
	if g.Status != policy.GrantDenied || g.Reason != reason {
		t.Fatalf("grant %+v, want denied with the trimmed reason", g)
	}
	evs := eventsAbout(a, policy.ActionRequestDenied, "deploy-bot")
	if len(evs) != 1 || !strings.Contains(evs[0].Details, "Use the shared deploy key") {
		t.Fatalf("request_denied events %+v", evs)
	}
	ns := a.notifications("mona")
	if len(ns) != 1 || !strings.Contains(ns[0].Message, "was denied by octo-org") || !strings.Contains(ns[0].Message, "Use the shared deploy key") {
		t.Fatalf("mona's notifications %+v", ns)
	}

	// The requester sees the denial and its reason; the token stays.
	mona := a.as("mona")
	p := mona.get(fgPath + "/" + a.tokenID("mona", "deploy-bot")).status(http.StatusOK)
	p.contains("main .page-title-row", "Denied")
	p.contains("main .flash-error", "An owner of octo-org denied this request.")
	p.contains("main .flash-error", "Reason: Use the shared deploy key instead. Ask in #ops.")
	if p.doc.Find(`button:contains("Cancel request")`).Length() != 0 {
		t.Error("a denied request offers Cancel request")
	}
	if !strings.Contains(mona.get(fgPath).text(`main li:contains("deploy-bot")`), "Denied") {
		t.Error("the list does not show Denied")
	}
	// Without a reason, no reason is shown.
	owner.post(requestsPath+"/"+a.grantID("hubot", "ci-reader")+"/deny", url.Values{}).redirectsTo(requestsPath)
	hp := a.as("hubot").get(fgPath + "/" + a.tokenID("hubot", "ci-reader"))
	hp.contains("main .page-title-row", "Denied")
	if strings.Contains(hp.text("main"), "Reason:") {
		t.Error("an empty reason is shown")
	}
}

func TestBulkReviews(t *testing.T) {
	a := newApp(t)
	owner := a.as("octo-owner")
	deploy, ci := a.grantID("mona", "deploy-bot"), a.grantID("hubot", "ci-reader")
	q := owner.get(requestsPath).status(http.StatusOK)

	// Refused bulk submissions change nothing.
	refused := []struct {
		name     string
		decision string
		ids      []string
		reason   string
		message  string
	}{
		{"no ids", "approve", nil, "", "Select at least one row first."},
		{"non-numeric id", "approve", []string{deploy, "abc"}, "", "The selection could not be read."},
		{"negative id", "deny", []string{"-" + deploy}, "", "The selection could not be read."},
		{"empty id", "approve", []string{""}, "", "The selection could not be read."},
		{"no decision", "", []string{deploy}, "", "Choose what to do with the selected rows."},
		{"revoke in the queue", "revoke", []string{deploy}, "", "Choose what to do with the selected rows."},
		{"reason too long", "deny", []string{deploy}, strings.Repeat("x", policy.MaxReason+1), "Reason is too long"},
	}
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			owner.t = t
			res := owner.review(q, tc.decision, tc.ids, tc.reason).status(http.StatusUnprocessableEntity)
			res.contains(`[role="alert"]`, tc.message)
			if got := rowNames(res); !slices.Equal(got, []string{"ci-reader", "deploy-bot"}) {
				t.Errorf("the refused page lists %v", got)
			}
		})
	}
	owner.t = t
	if grantStatus(a, "mona", "deploy-bot") != policy.GrantPending || grantStatus(a, "hubot", "ci-reader") != policy.GrantPending {
		t.Fatal("a refused bulk submission decided a request")
	}
	if n := len(a.audit("octo-org", policy.ActionRequestDenied)) + len(a.audit("octo-org", policy.ActionAccessGranted)); n != 1 {
		t.Fatalf("%d decision events after refused submissions, want the demo's 1", n)
	}

	// Approve both, by the page's checkboxes.
	if q.doc.Find(`input[type="checkbox"][name="id"]`).Length() != 2 {
		t.Fatal("no checkboxes")
	}
	owner.confirm(owner.review(q, "approve", []string{deploy, ci}, "")).redirectsTo(requestsPath)
	after := owner.get(requestsPath)
	after.contains(`[role="status"]`, "Approved 2 requests.")
	after.contains("main", "No pending requests")
	if n := len(eventsAbout(a, policy.ActionAccessGranted, "deploy-bot")) + len(eventsAbout(a, policy.ActionAccessGranted, "ci-reader")); n != 2 {
		t.Fatalf("%d access_granted events, want 2", n)
	}
	for _, who := range []string{"mona", "hubot"} {
		if ns := a.notifications(who); len(ns) != 1 || !strings.Contains(ns[0].Message, "was approved for octo-org") {
			t.Errorf("%s's notifications %+v", who, ns)
		}
	}

	// Deny with a reason; one selected row was decided meanwhile.
	g1 := strconv.FormatInt(a.addRequest("mona", "octo-org", "bulk-one", nil), 10)
	g2 := strconv.FormatInt(a.addRequest("hubot", "octo-org", "bulk-two", nil), 10)
	q = owner.get(requestsPath)
	owner.confirm(owner.review(q, "deny", []string{g1, g2, deploy}, "Too broad")).redirectsTo(requestsPath)
	flash := owner.get(requestsPath).text(`[role="status"]`)
	if !strings.Contains(flash, "Denied 2 requests.") || !strings.Contains(flash, "1 selected item had already been decided or withdrawn and was left as it was.") {
		t.Fatalf("flash %q", flash)
	}
	for _, tok := range []struct{ login, name string }{{"mona", "bulk-one"}, {"hubot", "bulk-two"}} {
		if g := a.token(tok.login, tok.name).Grant; g.Status != policy.GrantDenied || g.Reason != "Too broad" {
			t.Errorf("%s: %+v", tok.name, g)
		}
	}
	if grantStatus(a, "mona", "deploy-bot") != policy.GrantApproved {
		t.Fatal("a bulk denial changed an approved request")
	}
	if n := len(eventsAbout(a, policy.ActionRequestDenied, "deploy-bot")); n != 0 {
		t.Fatal("the skipped request got an event")
	}
	// Only already decided rows: nothing happens, and the flash says so.
	owner.confirm(owner.review(q, "approve", []string{g1}, "")).redirectsTo(requestsPath)
	owner.get(requestsPath).contains(`[role="status"]`, "left as it was")
	if grantStatus(a, "mona", "bulk-one") != policy.GrantDenied {
		t.Fatal("a denied request was approved in bulk")
	}
	// An approval carries no reason even if one was typed.
	g3 := strconv.FormatInt(a.addRequest("mona", "octo-org", "bulk-three", nil), 10)
	owner.confirm(owner.review(owner.get(requestsPath), "approve", []string{g3}, "typed but not for approvals")).redirectsTo(requestsPath)
	if g := a.token("mona", "bulk-three").Grant; g.Status != policy.GrantApproved || g.Reason != "" {
		t.Fatalf("bulk-three %+v", g)
	}
}

// addOrgInEnterprise creates login owning org inside octo-ent, hence opted in.
func (a *app) addOrgInEnterprise(login, org string) {
	a.t.Helper()
	ctx := context.Background()
	ents, err := a.store.EnterprisesOwnedBy(ctx, a.userID("ent-admin"))
	if err != nil || len(ents) != 1 {
		a.t.Fatalf("enterprises %v %v", ents, err)
	}
	id, err := a.store.CreateUser(ctx, login, login+"@example.com", login, passwordHash(demoPassword))
	if err != nil {
		a.t.Fatal(err)
	}
	if _, err := a.store.CreateOrganization(ctx, org, org, ents[0].ID, id); err != nil {
		a.t.Fatal(err)
	}
}

func TestOwnerCannotReviewAnotherOrganizationsGrants(t *testing.T) {
	a := newApp(t)
	a.addOrgInEnterprise("side-owner", "side-org")
	sideGrant := strconv.FormatInt(a.addRequest("side-owner", "side-org", "side-req", nil), 10)
	deploy := a.grantID("mona", "deploy-bot")
	side := a.as("side-owner")
	sideRequests := "/organizations/side-org/settings/personal-access-token-requests"
	side.get(sideRequests).status(http.StatusOK)

	// By id, through their own organization's pages: 404.
	side.get(sideRequests + "/" + deploy).status(http.StatusNotFound)
	side.get(sideRequests + "/" + deploy + "/deny").status(http.StatusNotFound)
	side.post(sideRequests+"/"+deploy+"/approve", url.Values{}).status(http.StatusNotFound)
	side.post(sideRequests+"/"+deploy+"/deny", url.Values{"reason": {"x"}}).status(http.StatusNotFound)
	side.post("/organizations/side-org/settings/personal-access-tokens/"+a.grantID("octo-owner", "owner-automation")+"/revoke", url.Values{}).
		status(http.StatusNotFound)
	// In bulk: left alone, and reported as such.
	side.confirm(side.post(sideRequests, url.Values{"decision": {"approve"}, "id": {deploy, sideGrant}})).redirectsTo(sideRequests)
	side.get(sideRequests).contains(`[role="status"]`, "left as it was")
	side.confirm(side.post("/organizations/side-org/settings/personal-access-tokens/active",
		url.Values{"decision": {"revoke"}, "id": {a.grantID("octo-owner", "owner-automation")}})).redirectsTo("/organizations/side-org/settings/personal-access-tokens/active")
	if grantStatus(a, "mona", "deploy-bot") != policy.GrantPending || grantStatus(a, "octo-owner", "owner-automation") != policy.GrantApproved {
		t.Fatal("an owner of another organization decided octo-org's grants")
	}
	if grantStatus(a, "side-owner", "side-req") != policy.GrantApproved {
		t.Fatal("the owner's own organization's request was not approved")
	}
	if len(a.audit("octo-org", policy.ActionAccessRevoked)) != 0 || len(eventsAbout(a, policy.ActionAccessGranted, "deploy-bot")) != 0 {
		t.Fatal("octo-org's log records another organization's decisions")
	}

	// And the other way round: octo-owner owns octo-org and solo-org, and
	// neither reaches side-org's grant.
	owner := a.as("octo-owner")
	owner.get(requestsPath + "/" + sideGrant).status(http.StatusNotFound)
	owner.get("/organizations/solo-org/settings/personal-access-tokens/" + sideGrant).status(http.StatusNotFound)
	owner.post(orgTokenPath+"/"+sideGrant+"/revoke", url.Values{}).status(http.StatusNotFound)
	if grantStatus(a, "side-owner", "side-req") != policy.GrantApproved {
		t.Fatal("octo-owner revoked side-org's grant")
	}
}

func TestActiveTokens(t *testing.T) {
	a := newApp(t)
	owner := a.as("octo-owner")
	list := owner.get(activePath).status(http.StatusOK)
	list.contains("h1", "Active tokens")
	if got := rowNames(list); !slices.Equal(got, []string{"owner-automation"}) {
		t.Fatalf("active tokens %v", got)
	}
	grant := a.grantID("octo-owner", "owner-automation")
	r := row(list, "owner-automation")
	if href, _ := r.Find("a").Attr("href"); href != orgTokenPath+"/"+grant {
		t.Errorf("owner-automation links to %q", href)
	}
	if !strings.Contains(r.Text(), "Never used") || !strings.Contains(r.Text(), "octo-owner") {
		t.Errorf("row %q", strings.Join(strings.Fields(r.Text()), " "))
	}
	if list.doc.Find(`main button:contains("Revoke selected")`).Length() != 1 || list.doc.Find(`main button:contains("Approve selected")`).Length() != 0 {
		t.Error("bulk buttons of the active list")
	}
	// Pending requests are not active tokens.
	for _, name := range []string{"deploy-bot", "ci-reader"} {
		if slices.Contains(rowNames(list), name) {
			t.Errorf("%s listed as active", name)
		}
	}

	detail := owner.link(list, "owner-automation").status(http.StatusOK)
	detail.contains("main", "Never used")
	detail.contains("main", "Organization administration: Read and write")
	owner.confirm(owner.submit(detail, `form[action$="/revoke"]`, nil)).redirectsTo(activePath)
	after := owner.get(activePath)
	after.contains(`[role="status"]`, "Revoked “owner-automation”.")
	after.contains("main", "No active tokens")
	if grantStatus(a, "octo-owner", "owner-automation") != policy.GrantRevoked {
		t.Fatal("not revoked")
	}
	evs := eventsAbout(a, policy.ActionAccessRevoked, "owner-automation")
	if len(evs) != 1 || evs[0].ActorLogin != "octo-owner" {
		t.Fatalf("access_revoked events %+v", evs)
	}
	// Twice: refused, nothing recorded.
	owner.submit(detail, `form[action$="/revoke"]`, nil).status(http.StatusConflict).contains("main", "revoked")
	if n := len(eventsAbout(a, policy.ActionAccessRevoked, "owner-automation")); n != 1 {
		t.Fatalf("%d access_revoked events after revoking twice", n)
	}
	// The revoked token's page, for its owner.
	p := owner.get(fgPath + "/" + a.tokenID("octo-owner", "owner-automation")).status(http.StatusOK)
	p.contains("main .page-title-row", "Revoked")
	p.contains("main .flash-error", "revoked this token's access")

	// A revocation is for good: approving it again is refused.
	owner.post(requestsPath+"/"+grant+"/approve", url.Values{}).status(http.StatusConflict)
	if grantStatus(a, "octo-owner", "owner-automation") != policy.GrantRevoked {
		t.Fatal("a revoked grant was approved again")
	}
}

func TestBulkRevoke(t *testing.T) {
	a := newApp(t)
	owner := a.as("octo-owner")
	deploy, ci := a.grantID("mona", "deploy-bot"), a.grantID("hubot", "ci-reader")
	owner.confirm(owner.review(owner.get(requestsPath), "approve", []string{deploy, ci}, "")).redirectsTo(requestsPath)
	list := owner.get(activePath)
	// Newest request first, as in the queue.
	if got := rowNames(list); !slices.Equal(got, []string{"owner-automation", "ci-reader", "deploy-bot"}) {
		t.Fatalf("active tokens %v", got)
	}
	owner.review(list, "approve", []string{deploy}, "").status(http.StatusUnprocessableEntity).
		contains(`[role="alert"]`, "Choose what to do with the selected rows.")
	owner.review(list, "revoke", nil, "").status(http.StatusUnprocessableEntity).contains(`[role="alert"]`, "Select at least one row first.")
	owner.review(list, "revoke", []string{"x"}, "").status(http.StatusUnprocessableEntity)

	owner.confirm(owner.review(list, "revoke", []string{deploy, ci}, "")).redirectsTo(activePath)
	after := owner.get(activePath)
	after.contains(`[role="status"]`, "Revoked 2 tokens.")
	if got := rowNames(after); !slices.Equal(got, []string{"owner-automation"}) {
		t.Fatalf("active tokens after revocation %v", got)
	}
	mona := a.as("mona")
	mona.get(fgPath+"/"+a.tokenID("mona", "deploy-bot")).contains("main .page-title-row", "Revoked")
	if !strings.Contains(mona.get(fgPath).text(`main li:contains("deploy-bot")`), "Revoked") {
		t.Error("the list does not show Revoked")
	}
	if ns := a.notifications("mona"); len(ns) != 2 || ns[0].Message != "Your token “deploy-bot” was revoked by octo-org." {
		t.Errorf("mona's notifications %+v", ns)
	}
	// Revoking them again in bulk: left as they were.
	owner.confirm(owner.review(list, "revoke", []string{deploy, ci}, "")).redirectsTo(activePath)
	owner.get(activePath).contains(`[role="status"]`, "2 selected items had already been decided or withdrawn and were left as they were.")
	if n := len(a.audit("octo-org", policy.ActionAccessRevoked)); n != 2 {
		t.Fatalf("%d access_revoked events, want 2", n)
	}
}

func TestRevokingAPendingRequestIsRefused(t *testing.T) {
	a := newApp(t)
	owner := a.as("octo-owner")
	res := owner.post(orgTokenPath+"/"+a.grantID("hubot", "ci-reader")+"/revoke", url.Values{}).status(http.StatusConflict)
	if grantStatus(a, "hubot", "ci-reader") != policy.GrantPending {
		t.Fatal("revoking a pending request changed it")
	}
	// The message must make sense for a request that is still pending.
	if msg := res.text("main"); strings.Contains(msg, "no longer pending: it was pending") {
		t.Errorf("409 message contradicts itself: %q", msg)
	}
}

// optionDescribedBy checks that the approval radio of value is labelled
// label and described by notice, and returns its id.
func optionDescribedBy(t *testing.T, form *page, value, label, notice string) string {
	t.Helper()
	radio := form.doc.Find(`input[name="approval"][value="` + value + `"]`)
	id, _ := radio.Attr("id")
	if got := form.text(`label[for="` + id + `"]`); got != label {
		t.Fatalf("the option is labelled %q", got)
	}
	var described []string
	describedBy, _ := radio.Attr("aria-describedby")
	for _, ref := range strings.Fields(describedBy) {
		described = append(described, strings.TrimSpace(form.doc.Find("#"+ref).Text()))
	}
	if !slices.Contains(described, notice) {
		t.Fatalf("the option is described by %q, want the notice %q", described, notice)
	}
	return id
}

func TestSettingsSayHowManyRequestsTurningApprovalOffApproves(t *testing.T) {
	a := newApp(t)
	owner := a.as("octo-owner")
	form := owner.get(patPath).status(http.StatusOK)
	id := optionDescribedBy(t, form, "not_required", "Do not require administrator approval", "Saving this choice approves all 2 pending requests.")
	if n := strings.Count(form.text("main"), "Saving this choice"); n != 1 {
		t.Errorf("%d notices on the page", n)
	}
	if strings.Contains(form.text(`label[for="`+id+`"]`), "Saving") {
		t.Error("the notice is inside the label")
	}

	// One pending request left: singular.
	owner.post(requestsPath+"/"+a.grantID("mona", "deploy-bot")+"/approve", url.Values{}).redirectsTo(requestsPath)
	owner.get(patPath).contains("main", "Saving this choice approves the 1 pending request.")
	owner.post(requestsPath+"/"+a.grantID("hubot", "ci-reader")+"/deny", url.Values{}).redirectsTo(requestsPath)
	if strings.Contains(owner.get(patPath).text("main"), "Saving this choice") {
		t.Error("a notice with no pending request")
	}
}

func TestSavingApprovalOffApprovesPendingRequests(t *testing.T) {
	a := newApp(t)
	owner := a.as("octo-owner")
	owner.confirm(owner.submit(owner.get(patPath), "form.settings-form", map[string]string{"approval": "not_required"})).redirectsTo(patPath)
	flash := owner.get(patPath).text(`[role="status"]`)
	if !strings.Contains(flash, "saved") || !strings.Contains(flash, "approved") {
		t.Fatalf("flash %q does not mention the approvals", flash)
	}
	owner.get(requestsPath).contains("main", "No pending requests")
	for _, tok := range []struct{ login, name string }{{"mona", "deploy-bot"}, {"hubot", "ci-reader"}} {
		if grantStatus(a, tok.login, tok.name) != policy.GrantApproved {
			t.Errorf("%s not approved", tok.name)
		}
		evs := eventsAbout(a, policy.ActionAccessGranted, tok.name)
		if len(evs) != 1 || !strings.Contains(evs[0].Details, "approval is no longer required") || evs[0].ActorLogin != "octo-owner" {
			t.Errorf("%s access_granted events %+v", tok.name, evs)
		}
		if ns := a.notifications(tok.login); len(ns) != 1 || !strings.Contains(ns[0].Message, "was approved for octo-org") {
			t.Errorf("%s's notifications %+v", tok.login, ns)
		}
	}
	if got := rowNames(owner.get(activePath)); len(got) != 3 {
		t.Errorf("active tokens %v", got)
	}
	// Saving again (nothing pending) says nothing about approvals.
	owner.submit(owner.get(patPath), "form.settings-form", map[string]string{"fine_grained_access": "restrict", "confirm": "yes"}).redirectsTo(patPath)
	if flash := owner.get(patPath).text(`[role="status"]`); strings.Contains(flash, "approved") {
		t.Errorf("flash %q mentions approvals", flash)
	}
}

func TestNoNoticeWhenTheEnterpriseLocksApproval(t *testing.T) {
	a := newApp(t)
	admin := a.as("ent-admin")
	entPath := "/enterprises/octo-ent/settings/personal-access-tokens"
	admin.submit(admin.get(entPath), "form.settings-form", map[string]string{"approval": "required"}).redirectsTo(entPath)
	form := a.as("octo-owner").get(patPath).status(http.StatusOK)
	if form.doc.Find(`input[name="approval"][disabled]`).Length() != 2 {
		t.Fatal("approval is not shown locked")
	}
	if strings.Contains(form.text("main"), "Saving this choice") || form.doc.Find(".option-notice").Length() != 0 {
		t.Error("a locked approval setting carries the notice")
	}
	if grantStatus(a, "mona", "deploy-bot") != policy.GrantPending {
		t.Fatal("the enterprise requiring approval changed a request")
	}
}

func TestEnterpriseSettingsSayWhichOrganizationsDisablingApprovalApproves(t *testing.T) {
	a := newApp(t)
	admin := a.as("ent-admin")
	entPath := "/enterprises/octo-ent/settings/personal-access-tokens"
	form := admin.get(entPath).status(http.StatusOK)
	optionDescribedBy(t, form, "disabled", "Disable the approval flow in all organizations", "Saving this choice approves 2 pending requests in octo-org.")
	if n := strings.Count(form.text("main"), "Saving this choice"); n != 1 {
		t.Errorf("%d notices on the page", n)
	}

	// Once nothing waits, nothing is said.
	owner := a.as("octo-owner")
	owner.post(requestsPath+"/"+a.grantID("mona", "deploy-bot")+"/approve", url.Values{}).redirectsTo(requestsPath)
	admin.get(entPath).contains("main", "Saving this choice approves 1 pending request in octo-org.")
	owner.post(requestsPath+"/"+a.grantID("hubot", "ci-reader")+"/deny", url.Values{}).redirectsTo(requestsPath)
	if strings.Contains(admin.get(entPath).text("main"), "Saving this choice") {
		t.Error("a notice with no pending request")
	}
}

func TestEnterprisePendingNoticeNamesEachOrganization(t *testing.T) {
	a := newApp(t)
	a.addOrgInEnterprise("zed-owner", "zed-org")
	a.addRequest("zed-owner", "zed-org", "zed-request", nil)
	page := a.as("ent-admin").get("/enterprises/octo-ent/settings/personal-access-tokens").status(http.StatusOK)
	page.contains("main", "Saving this choice approves 3 pending requests: 2 in octo-org, 1 in zed-org.")
}

// settingsNav is the organization settings navigation of p, which a
// request's own page has and a bare error page has not.
func settingsNav(p *page) *goquery.Selection {
	return p.doc.Find(`nav[aria-label="Organization settings"]`)
}

func TestReviewOfARequestReviewedMeanwhileShowsTheRequestsPage(t *testing.T) {
	a := newApp(t)
	first, second := a.as("octo-owner"), a.as("octo-owner")
	id := a.grantID("hubot", "ci-reader")
	stale := second.get(requestsPath + "/" + id)
	first.post(requestsPath+"/"+id+"/approve", url.Values{}).redirectsTo(requestsPath)
	p := second.submit(stale, `form[action$="/deny"], form[action$="/approve"]`, nil).status(http.StatusConflict)
	if settingsNav(p).Length() != 1 {
		t.Fatal("the refusal is not shown within the organization settings")
	}
	if got := p.text("main h1"); got != "ci-reader" {
		t.Errorf("heading %q, want the request's name", got)
	}
	p.contains(`main [role="alert"]`, "already approved by octo-owner")
	p.contains("main .facts", "Approved on")
	p.contains("main .facts", "by octo-owner")
	if p.doc.Find(`form[action$="/approve"]`).Length() != 0 {
		t.Error("a decided request still offers Approve")
	}
	// The deny confirmation of a decided request says the same.
	second.get(requestsPath+"/"+id+"/deny").status(http.StatusConflict).contains("main .facts", "Approved on")
}

func TestCancelledRequestsPageSaysWhoCancelledItAndWhen(t *testing.T) {
	a := newApp(t)
	owner := a.as("octo-owner")
	mona := a.as("mona")
	// mona's new request notifies the owner with a link to its page.
	mona.newToken(url.Values{"name": {"to-cancel"}, "resource_owner": {"octo-org"},
		"repository_selection": {"all"}, "justification": {"Needed"}}).createdID(fgPath)
	var link string
	for _, n := range a.notifications("octo-owner") {
		if strings.Contains(n.Message, "to-cancel") {
			link = n.Link
		}
	}
	if link == "" {
		t.Fatalf("no notification about the request: %+v", a.notifications("octo-owner"))
	}
	mona.confirm(mona.post(fgPath+"/"+a.tokenID("mona", "to-cancel")+"/cancel", url.Values{})).redirectsTo(fgPath)

	p := owner.get(link).status(http.StatusOK)
	if settingsNav(p).Length() != 1 {
		t.Fatal("the page is not within the organization settings")
	}
	if got := p.text("main h1"); got != "to-cancel" {
		t.Errorf("heading %q", got)
	}
	p.contains("main .facts", "cancelled by its requester, mona, on ")
	p.contains("main", "Cancelled")
	// Deciding it now is refused on the same page.
	p = owner.post(link+"/approve", url.Values{}).status(http.StatusConflict)
	p.contains(`main [role="alert"]`, "no longer pending")
	p.contains("main .facts", "cancelled by its requester, mona")
}
