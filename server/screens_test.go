package server_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
)

// requestWithJustification has mona ask octo-org for a token named name,
// through the new-token form, with the given justification.
func requestWithJustification(a *app, name, justification string) {
	a.t.Helper()
	a.as("mona").newToken(url.Values{
		"name": {name}, "resource_owner": {"octo-org"}, "justification": {justification},
		"repository_selection": {"all"}, "perm_metadata": {"read"},
	}).status(http.StatusSeeOther)
}

func TestQueueRowShowsOnlyTheStartOfALongJustification(t *testing.T) {
	a := newApp(t)
	long := strings.Repeat("We need this token to deploy the API every night. ", 20)
	long = strings.TrimSpace(long[:1000])
	requestWithJustification(a, "nightly-deploy", long)
	requestWithJustification(a, "many-lines", "one\ntwo\nthree\nfour\nfive\nsix")
	owner := a.as("octo-owner")
	p := owner.get(requestsPath).status(http.StatusOK)

	row := p.doc.Find(`main tbody tr:has(a:contains("nightly-deploy"))`)
	cell := strings.TrimSpace(row.Find("td.justification .clamp").Text())
	if n := len([]rune(cell)); n > 150 || !strings.HasSuffix(cell, "…") || !strings.HasPrefix(cell, "We need this token") {
		t.Errorf("the row shows %d characters of the justification: %q", n, cell)
	}
	more := row.Find(`td.justification a`)
	if got := strings.Join(strings.Fields(more.Text()), " "); got != "Read more about nightly-deploy" {
		t.Errorf("the link to the rest is named %q", got)
	}
	href, _ := more.Attr("href")
	detail := owner.get(href).status(http.StatusOK)
	if !strings.Contains(detail.text("main dd.pre-line"), strings.Join(strings.Fields(long), " ")) {
		t.Error("the request's page does not show the whole justification")
	}

	lines := p.doc.Find(`main tbody tr:has(a:contains("many-lines")) td.justification .clamp`).Text()
	if strings.Contains(lines, "four") || !strings.Contains(lines, "three") {
		t.Errorf("a justification of many lines shows %q, want its first three", lines)
	}
	// A short one is shown whole, with no link.
	short := p.doc.Find(`main tbody tr:has(a:contains("deploy-bot")) td.justification`)
	if strings.TrimSpace(short.Text()) != "Deploys the API" || short.Find("a").Length() != 0 {
		t.Errorf("a short justification shows %q", strings.TrimSpace(short.Text()))
	}
}

func TestListsSayHowManyRowsTheyHaveInAll(t *testing.T) {
	a := newApp(t)
	owner := a.as("octo-owner")
	owner.get(requestsPath).status(http.StatusOK).contains("#list-count", "2 pending")
	owner.get(activePath).status(http.StatusOK).contains("#list-count", "1 active")
	// The counter does not follow filters; the page says so.
	owner.get(requestsPath+"?owner=hubot").status(http.StatusOK).contains("#list-count", "2 pending in all, before filters")
	for i := range 3 {
		a.addRequest("hubot", "octo-org", "extra-"+string(rune('a'+i)), nil)
	}
	owner.get(requestsPath).contains("#list-count", "5 pending")
}

func TestListsHaveASelectAllBoxThatSubmitsNothing(t *testing.T) {
	a := newApp(t)
	owner := a.as("octo-owner")
	for _, path := range []string{requestsPath, activePath} {
		p := owner.get(path).status(http.StatusOK)
		all := p.doc.Find(`main table thead input[type="checkbox"][aria-label="Select all"]`)
		if all.Length() != 1 {
			t.Fatalf("%s: %d Select all boxes", path, all.Length())
		}
		if _, named := all.Attr("name"); named {
			t.Errorf("%s: Select all would be submitted with the rows", path)
		}
		// Without JavaScript it stays out of the way.
		if _, hidden := all.Attr("hidden"); !hidden {
			t.Errorf("%s: Select all shows without the script that works it", path)
		}
	}
}

func TestFilteredEmptyListSaysTheFiltersMatchNothing(t *testing.T) {
	a := newApp(t)
	owner := a.as("octo-owner")
	p := owner.get(requestsPath + "?owner=octo-owner").status(http.StatusOK)
	p.contains("main .blankslate", "No pending requests match these filters")
	clear := p.doc.Find(`main a:contains("Clear filters")`)
	if href, _ := clear.Attr("href"); clear.Length() != 1 || href != requestsPath {
		t.Errorf("%d Clear filters links, to %q", clear.Length(), href)
	}
	owner.get(activePath+"?owner=mona").status(http.StatusOK).contains("main .blankslate", "No active tokens match these filters")

	// An empty queue with no filters is just empty.
	owner.post(requestsPath, url.Values{"decision": {"approve"}, "confirm": {"yes"},
		"id": {a.grantID("mona", "deploy-bot"), a.grantID("hubot", "ci-reader")}}).status(http.StatusSeeOther)
	empty := owner.get(requestsPath).status(http.StatusOK)
	if got := empty.text("main .blankslate"); got != "No pending requests" {
		t.Errorf("the empty queue says %q", got)
	}
}

func TestBadPageLinkShowsTheFirstPage(t *testing.T) {
	a := newApp(t)
	owner := a.as("octo-owner")
	for _, query := range []string{"before=abc", "before=0", "after=-3", "after=1e3", "before=99999999999999999999", "owner=mona&before=x&after=1"} {
		t.Run(query, func(t *testing.T) {
			owner.t = t
			p := owner.get(requestsPath + "?" + query).status(http.StatusOK)
			if len(rowNames(p)) == 0 {
				t.Fatal("no rows")
			}
			if p.doc.Find(`[role="alert"]`).Length() != 0 {
				t.Errorf("an error: %q", p.text(`[role="alert"]`))
			}
			p.contains("main .flash-warn", "first page")
			if len(rowNames(owner.get(activePath+"?"+strings.Replace(query, "owner=mona", "owner=octo-owner", 1)).status(http.StatusOK))) != 1 {
				t.Error("Active tokens: not the first page")
			}
		})
	}
}

func TestBulkReasonSitsWithDenySelected(t *testing.T) {
	a := newApp(t)
	p := a.as("octo-owner").get(requestsPath).status(http.StatusOK)
	var order []string
	p.doc.Find("main .bulk-bar").Find("button, input").Each(func(_ int, s *goquery.Selection) {
		if v, ok := s.Attr("value"); ok && goquery.NodeName(s) == "button" {
			order = append(order, v)
		} else if id, ok := s.Attr("id"); ok {
			order = append(order, id)
		}
	})
	if strings.Join(order, ",") != "approve,bulk-reason,deny" {
		t.Errorf("bulk controls in the order %v, want Approve selected, then Reason with Deny selected", order)
	}
	if p.doc.Find(`main .bulk-deny #bulk-reason + button[value="deny"]`).Length() != 1 {
		t.Error("the Reason box is not grouped with Deny selected")
	}
}

func TestOnboardingFlashSaysWhatWasChosen(t *testing.T) {
	a := newApp(t)
	c := a.as("octo-owner")
	path := "/organizations/solo-org/settings/personal-access-tokens-onboarding"
	p := c.get(path).status(http.StatusOK)
	for _, step := range []map[string]string{
		{"fine_grained_access": "restrict", "nav": "continue"},
		{"approval": "required", "nav": "continue"},
		{"classic_access": "allow", "nav": "continue"},
		{"nav": "enroll"},
	} {
		res := c.submit(p, "main form", step)
		if step["nav"] == "enroll" {
			res.redirectsTo("/organizations/solo-org/settings/personal-access-tokens")
			break
		}
		p = res.status(http.StatusOK)
	}
	flash := c.get("/organizations/solo-org/settings/personal-access-tokens").text(`[role="status"]`)
	for _, want := range []string{"saved", "Restrict access via fine-grained personal access tokens", "Require administrator approval", "Allow access via personal access tokens (classic)"} {
		if !strings.Contains(flash, want) {
			t.Errorf("the flash %q does not say %q", flash, want)
		}
	}
	if strings.Contains(flash, "enabled") {
		t.Errorf("the flash %q says tokens are enabled after Restrict", flash)
	}
}

func TestConflictInTheSameOwnersOtherTabBlamesNoOtherOwner(t *testing.T) {
	a := newApp(t)
	tab1 := a.as("octo-owner")
	// Another tab: the same browser, so the same cookies.
	tab2 := &client{t: tab1.t, app: tab1.app, http: tab1.http, header: tab1.header}
	old := tab1.get(patPath)
	tab2.submit(tab2.get(patPath), "form.settings-form", map[string]string{"approval": "not_required", "confirm": "yes"}).redirectsTo(patPath)
	res := tab1.submit(old, "form.settings-form", map[string]string{"fine_grained_access": "restrict"}).status(http.StatusConflict)
	res.contains(`[role="alert"]`, "These settings were changed since you opened this page.")
	if strings.Contains(res.text(`[role="alert"]`), "Another owner") {
		t.Error("the 409 blames another owner for the user's own save")
	}
}

func TestSignInLandsEnterpriseOnlyOwnerOnTheirEnterprises(t *testing.T) {
	a := newApp(t)
	for login, want := range map[string]string{
		"ent-admin":  "/settings/enterprises",
		"octo-owner": "/settings/organizations",
		"mona":       "/settings/organizations",
	} {
		c := a.client()
		loc := c.post("/login", url.Values{"login": {login}, "password": {"demo-password"}}).status(http.StatusSeeOther).location()
		if got := c.get(loc).redirectsTo(want).location(); got != want {
			t.Errorf("%s lands on %q, want %q", login, got, want)
		}
	}
	a.as("ent-admin").get("/settings/enterprises").status(http.StatusOK).contains("main", "Octo Enterprise")
}

func TestLayoutLinksAFavicon(t *testing.T) {
	a := newApp(t)
	for _, p := range []*page{a.client().get("/login"), a.as("mona").get("/settings/organizations")} {
		href := p.attr(`head link[rel="icon"]`, "href")
		if href == "" {
			t.Fatal("no icon link in the page's head")
		}
		icon := a.client().get(href).status(http.StatusOK)
		if ct := icon.res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "image/svg+xml") || !strings.Contains(icon.body, "<svg") {
			t.Errorf("the icon is %q: %.60s", ct, icon.body)
		}
	}
}

func TestSignOutSaysSoOnTheSignInPage(t *testing.T) {
	a := newApp(t)
	c := a.as("mona")
	loc := c.post("/logout", url.Values{}).redirectsTo("/login").location()
	p := c.get(loc).status(http.StatusOK)
	if got := p.text(`[role="status"]`); got != "You have signed out." {
		t.Errorf("the sign-in page says %q after signing out", got)
	}
	if p.doc.Find(`summary[aria-label="Open user navigation menu"]`).Length() != 0 {
		t.Error("still signed in")
	}
	if got := a.client().get("/login").text(`[role="status"]`); got != "" {
		t.Errorf("the plain sign-in page says %q", got)
	}
}
