package server_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
)

// headerLink is the accessible name of the header's notifications link.
func headerLink(p *page) string {
	p.t.Helper()
	link := p.doc.Find(`header a[href="/notifications"]`)
	if link.Length() != 1 {
		p.t.Fatalf("%d notification links in the header", link.Length())
	}
	// The accessible name: the text, without what is hidden from
	// assistive technology.
	name, ok := link.Attr("aria-label")
	if !ok {
		name = strings.TrimSpace(link.Clone().Find(`[aria-hidden="true"]`).Remove().End().Text())
	}
	return name
}

// items lists the messages on the notifications page, newest first, with
// whether each is unread.
func items(p *page) (messages []string, unread []bool) {
	p.doc.Find(`main ul[aria-label="Notifications"] > li`).Each(func(_ int, s *goquery.Selection) {
		messages = append(messages, strings.TrimSpace(s.Find(".list-main > a, .list-main").First().Contents().First().Text()))
		unread = append(unread, s.HasClass("unread"))
	})
	return messages, unread
}

func TestOwnersAreNotifiedOfRequests(t *testing.T) {
	a := newApp(t)
	owner := a.as("octo-owner")
	home := owner.get("/settings/organizations").status(http.StatusOK)
	if got := headerLink(home); got != "Notifications (2 unread)" {
		t.Fatalf("header link %q", got)
	}
	// The name comes from the link's text, which holds the visible count
	// (no aria-label that would say it differently from what is shown).
	link := home.doc.Find(`header a[href="/notifications"]`)
	if badge := link.Find(".badge"); badge.Text() != "2" || badge.AttrOr("aria-hidden", "") != "true" || link.AttrOr("aria-label", "") != "" {
		t.Errorf("badge %q, aria-hidden %q, link aria-label %q", badge.Text(), badge.AttrOr("aria-hidden", ""), link.AttrOr("aria-label", ""))
	}

	p := owner.get("/notifications").status(http.StatusOK)
	p.contains("h1", "Notifications")
	links := p.doc.Find(`main ul[aria-label="Notifications"] li a`)
	if links.Length() != 2 {
		t.Fatalf("%d notifications listed", links.Length())
	}
	// Newest first: hubot's request came after mona's.
	wants := []struct{ text, href string }{
		{"hubot requests access to octo-org with token “ci-reader”.", requestsPath + "/" + a.grantID("hubot", "ci-reader")},
		{"mona requests access to octo-org with token “deploy-bot”.", requestsPath + "/" + a.grantID("mona", "deploy-bot")},
	}
	for i, w := range wants {
		l := links.Eq(i)
		if got := strings.TrimSpace(l.Text()); got != w.text {
			t.Errorf("notification %d: %q, want %q", i, got, w.text)
		}
		if href, _ := l.Attr("href"); href != w.href {
			t.Errorf("notification %d links to %q, want %q", i, href, w.href)
		}
	}
	if p.doc.Find(`main li.unread`).Length() != 2 || !strings.Contains(p.text("main li"), "Unread") {
		t.Error("unread notifications are not marked")
	}
	// The link leads to the request.
	owner.link(p, wants[1].text).status(http.StatusOK).contains("h1", "deploy-bot")

	// A new request reaches the owners, not the requester.
	mona := a.as("mona")
	mona.newToken(url.Values{"name": {"new-one"}, "resource_owner": {"octo-org"}, "justification": {"please"}}).createdID(fgPath)
	if got := headerLink(owner.get("/notifications")); got != "Notifications (3 unread)" {
		t.Errorf("after a new request: %q", got)
	}
	ns := a.notifications("octo-owner")
	if ns[0].Message != "mona requests access to octo-org with token “new-one”." || ns[0].Link != requestsPath+"/"+a.grantID("mona", "new-one") {
		t.Errorf("newest notification %+v", ns[0])
	}
	if got := headerLink(mona.get(fgPath)); got != "Notifications" {
		t.Errorf("the requester's header says %q", got)
	}
	if len(a.notifications("hubot")) != 0 || len(a.notifications("ent-admin")) != 0 {
		t.Error("people who are not owners of octo-org were notified")
	}
}

func TestMarkNotificationsRead(t *testing.T) {
	a := newApp(t)
	owner := a.as("octo-owner")
	p := owner.get("/notifications").status(http.StatusOK)
	if p.doc.Find(`main button:contains("Mark all as read")`).Length() != 1 {
		t.Fatal("no Mark all as read button")
	}
	// A notification arriving after the page was shown stays unread.
	a.addRequest("hubot", "octo-org", "late-arrival", nil)
	owner.submit(p, `form[action="/notifications/read"]`, nil).redirectsTo("/notifications")

	after := owner.get("/notifications").status(http.StatusOK)
	if got := headerLink(after); got != "Notifications (1 unread)" {
		t.Fatalf("after marking read: %q", got)
	}
	msgs, unread := items(after)
	if len(msgs) != 3 || !unread[0] || unread[1] || unread[2] {
		t.Fatalf("notifications %q unread %v: only the late one should be unread", msgs, unread)
	}
	if !strings.Contains(msgs[0], "late-arrival") {
		t.Errorf("newest notification %q", msgs[0])
	}
	owner.submit(after, `form[action="/notifications/read"]`, nil).redirectsTo("/notifications")
	done := owner.get("/notifications")
	if got := headerLink(done); got != "Notifications" {
		t.Fatalf("after marking all read: %q", got)
	}
	if done.doc.Find(`main button:contains("Mark all as read")`).Length() != 0 || done.doc.Find("main li.unread").Length() != 0 {
		t.Error("read notifications still look unread")
	}
	if done.doc.Find(`header a[href="/notifications"] .badge`).Length() != 0 {
		t.Error("a badge with nothing unread")
	}

	// Bad submissions.
	for _, upTo := range []string{"", "abc", "0", "-1"} {
		owner.post("/notifications/read", url.Values{"up_to": {upTo}}).status(http.StatusUnprocessableEntity)
	}
	// Marking is per user: hubot cannot mark the owner's notifications.
	a.addRequest("mona", "octo-org", "another", nil)
	hubot := a.as("hubot")
	hubot.post("/notifications/read", url.Values{"up_to": {"999999"}}).redirectsTo("/notifications")
	if got := headerLink(owner.get("/settings/organizations")); got != "Notifications (1 unread)" {
		t.Fatalf("another user's mark-read changed the owner's count: %q", got)
	}
}

func TestRequesterIsNotifiedOfReviews(t *testing.T) {
	a := newApp(t)
	owner := a.as("octo-owner")
	mona, hubot := a.as("mona"), a.as("hubot")
	empty := mona.get("/notifications").status(http.StatusOK)
	empty.contains("main", "No notifications")
	if headerLink(empty) != "Notifications" {
		t.Fatalf("header %q", headerLink(empty))
	}

	owner.post(requestsPath+"/"+a.grantID("mona", "deploy-bot")+"/approve", url.Values{}).redirectsTo(requestsPath)
	owner.post(requestsPath+"/"+a.grantID("hubot", "ci-reader")+"/deny", url.Values{"reason": {"Too broad"}}).redirectsTo(requestsPath)

	p := mona.get("/notifications").status(http.StatusOK)
	if got := headerLink(p); got != "Notifications (1 unread)" {
		t.Fatalf("mona's header %q", got)
	}
	link := p.doc.Find(`main ul[aria-label="Notifications"] li a`)
	if got := strings.TrimSpace(link.Text()); got != "Your token “deploy-bot” was approved for octo-org." {
		t.Errorf("mona's notification %q", got)
	}
	if href, _ := link.Attr("href"); href != fgPath+"/"+a.tokenID("mona", "deploy-bot") {
		t.Errorf("links to %q", href)
	}
	mona.link(p, "Your token “deploy-bot” was approved for octo-org.").status(http.StatusOK).contains("main .page-title-row", "Active")

	hp := hubot.get("/notifications")
	hp.contains("main", "Your request for token “ci-reader” was denied by octo-org. Reason: Too broad")
	hubot.link(hp, "Your request for token “ci-reader” was denied by octo-org. Reason: Too broad").
		status(http.StatusOK).contains("main", "Reason: Too broad")

	// Revocation too.
	owner.confirm(owner.post(orgTokenPath+"/"+a.grantID("mona", "deploy-bot")+"/revoke", url.Values{})).redirectsTo(activePath)
	mona.get("/notifications").contains("main", "Your token “deploy-bot” was revoked by octo-org.")
	if got := headerLink(mona.get(fgPath)); got != "Notifications (2 unread)" {
		t.Errorf("mona's header after revocation %q", got)
	}
	// Deciders are not notified of their own decisions.
	for _, n := range a.notifications("octo-owner") {
		if strings.Contains(n.Message, "was approved") || strings.Contains(n.Message, "was denied") || strings.Contains(n.Message, "was revoked") {
			t.Errorf("owner notified: %q", n.Message)
		}
	}
}
