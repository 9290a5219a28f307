package server_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"patpolicy/policy"
)

// The token page's "Regenerate token" leads to a form; regenerating shows a
// new secret once, on the token's page, and the old secret is refused at
// once on every instance. mona's approved token in octo-org, which requires
// approval, waits for its owners again.
func TestRegenerateFromTheTokenPage(t *testing.T) {
	a := newApp(t)
	b := a.twin()
	old := a.newFineGrained("mona", "release-bot", fgSpec{Org: "octo-org"})
	b.api(http.MethodGet, "/repos/octo-org/octo-api", old, nil).want(http.StatusOK)
	id := a.tokenID("mona", "release-bot")
	mona := a.as("mona")
	page := mona.get("/settings/personal-access-tokens/" + id).status(http.StatusOK)
	action := page.attr(`form[method="get"]:has(button:contains("Regenerate token"))`, "action")
	if action != "/settings/personal-access-tokens/"+id+"/regenerate" {
		t.Fatalf("Regenerate token leads to %q", action)
	}
	form := mona.get(action).status(http.StatusOK).
		contains("h1", "Regenerate “release-bot”").
		contains(".flash-warn", "An owner of octo-org must approve this token again")
	res := mona.submit(form, "main form.settings-form", map[string]string{"expiration": "7"}).
		status(http.StatusSeeOther).redirectsTo("/settings/personal-access-tokens/" + id)
	shown := mona.get(res.location()).status(http.StatusOK)
	secret := shown.text("#new-token")
	if !strings.HasPrefix(secret, "github_pat_") || secret == old {
		t.Fatalf("new token shown %q", secret)
	}
	shown.contains(`[role="status"]`, "regenerated").contains(".token-labels", "Pending")
	if again := mona.get(res.location()).status(http.StatusOK); again.doc.Find("#new-token").Length() != 0 {
		t.Fatal("the secret is shown a second time")
	}
	b.api(http.MethodGet, "/orgs/octo-org/repos", old, nil).want(http.StatusUnauthorized)
	a.api(http.MethodGet, "/orgs/octo-org/repos", old, nil).want(http.StatusUnauthorized)
	if msg := b.api(http.MethodGet, "/repos/octo-org/octo-api", secret, nil).want(http.StatusForbidden).message(); !strings.Contains(msg, "waiting") {
		t.Fatalf("new secret before approval: %q", msg)
	}
	if evs := a.audit("octo-org", policy.ActionRegenerated); len(evs) != 1 || evs[0].ActorLogin != "mona" {
		t.Fatalf("regenerations logged: %+v", evs)
	}
	a.as("octo-owner").get("/organizations/octo-org/settings/personal-access-token-requests").
		status(http.StatusOK).contains("main", "release-bot")
}

// An owner's token stays approved, and its new secret works at once.
func TestRegenerateOwnersTokenStaysActive(t *testing.T) {
	a := newApp(t)
	id := a.tokenID("octo-owner", "owner-automation")
	owner := a.as("octo-owner")
	form := owner.get("/settings/personal-access-tokens/" + id + "/regenerate").status(http.StatusOK)
	if form.doc.Find(".flash-warn").Length() != 0 {
		t.Fatal("an owner is told their token needs approval")
	}
	res := owner.submit(form, "main form.settings-form", map[string]string{"expiration": "30"}).status(http.StatusSeeOther)
	secret := owner.get(res.location()).status(http.StatusOK).contains(".token-labels", "Active").text("#new-token")
	a.api(http.MethodGet, "/repos/octo-org/octo-api", secret, nil).want(http.StatusOK)
}

// The organization's maximum lifetime applies as at creation: the form
// comes back with the choice kept and the limit named, and nothing changes.
func TestRegenerateRefusesALongerLifetime(t *testing.T) {
	a := newApp(t)
	old := a.newFineGrained("mona", "short-lived", fgSpec{Org: "octo-org", Days: 7})
	id := a.tokenID("mona", "short-lived")
	owner := a.as("octo-owner")
	settings := owner.get("/organizations/octo-org/settings/personal-access-tokens").status(http.StatusOK)
	owner.submit(settings, "main form", map[string]string{"fine_grained_max_lifetime_days_expires": "on", "fine_grained_max_lifetime_days_days": "30", "confirm": "yes"}).
		status(http.StatusSeeOther)
	mona := a.as("mona")
	form := mona.get("/settings/personal-access-tokens/" + id + "/regenerate").status(http.StatusOK)
	if _, disabled := form.doc.Find(`#expiration option[value="90"]`).Attr("disabled"); !disabled {
		t.Fatal("90 days is offered beyond the 30-day maximum")
	}
	res := mona.submit(form, "main form.settings-form", map[string]string{"expiration": "90"}).
		status(http.StatusUnprocessableEntity).contains("#expiration-error", "within 30 days")
	if res.selected("expiration") != "90" {
		t.Fatalf("the choice was not kept: %q", res.selected("expiration"))
	}
	a.api(http.MethodGet, "/user", old, nil).want(http.StatusOK)
}

// A form shown before the token was deleted, another user's token, and a
// token of the other kind's path are 404; the form is CSRF-protected.
func TestRegenerateStaleAndForeign(t *testing.T) {
	a := newApp(t)
	a.newFineGrained("mona", "doomed", fgSpec{})
	id := a.tokenID("mona", "doomed")
	mona := a.as("mona")
	form := mona.get("/settings/personal-access-tokens/" + id + "/regenerate").status(http.StatusOK)
	a.as("hubot").get("/settings/personal-access-tokens/" + id + "/regenerate").status(http.StatusNotFound)
	mona.get("/settings/tokens/" + id + "/regenerate").status(http.StatusNotFound)
	mona.post("/settings/personal-access-tokens/"+id+"/regenerate", url.Values{"expiration": {"7"}, "_csrf": {"forged"}}).
		status(http.StatusForbidden)
	if err := a.tokenFlows().Delete(context.Background(), a.userID("mona"), a.token("mona", "doomed").ID); err != nil {
		t.Fatal(err)
	}
	mona.submit(form, "main form.settings-form", nil).status(http.StatusNotFound)
}

// A classic token gets a new ghp_ secret with its scopes.
func TestRegenerateClassicFromItsPage(t *testing.T) {
	a := newApp(t)
	old := a.newClassic("mona", "laptop", 30, "repo")
	id := a.tokenID("mona", "laptop")
	mona := a.as("mona")
	form := mona.get("/settings/tokens/" + id + "/regenerate").status(http.StatusOK)
	res := mona.submit(form, "main form.settings-form", map[string]string{"expiration": "none"}).
		status(http.StatusSeeOther).redirectsTo("/settings/tokens/" + id)
	secret := mona.get(res.location()).status(http.StatusOK).text("#new-token")
	if !strings.HasPrefix(secret, "ghp_") {
		t.Fatalf("new classic secret %q", secret)
	}
	a.api(http.MethodGet, "/user", old, nil).want(http.StatusUnauthorized)
	r := a.api(http.MethodGet, "/user", secret, nil).want(http.StatusOK)
	if got := r.Header.Get("X-OAuth-Scopes"); got != "repo" {
		t.Fatalf("scopes %q", got)
	}
	if tok := a.token("mona", "laptop"); !tok.ExpiresAt.IsZero() {
		t.Fatalf("expires %v, want never", tok.ExpiresAt)
	}
}
