package server_test

import (
	"net/http"
	"net/url"
	"testing"

	"patpolicy/policy"
)

// Every destructive or bulk action first answers with a page that asks,
// changes nothing, and carries the submission over to a clearly named
// button; pressing it does the action.
func TestDestructiveActionsAskOnAPageFirst(t *testing.T) {
	entPath := "/enterprises/octo-ent/settings/personal-access-tokens"
	cases := []struct {
		name, login string
		// start submits the action as its screen does, without script.
		start   func(a *app, c *client) *page
		button  string
		back    string
		pending func(a *app) bool // the action has not happened yet
	}{
		{
			name: "delete a token", login: "mona", button: "Delete token",
			start: func(a *app, c *client) *page {
				return c.submit(c.get(fgPath+"/"+a.tokenID("mona", "deploy-bot")), `form[action$="/delete"]`, nil)
			},
			back:    fgPath + "/",
			pending: func(a *app) bool { _, ok := a.findToken("mona", "deploy-bot"); return ok },
		},
		{
			name: "delete a classic token", login: "mona", button: "Delete token",
			start: func(a *app, c *client) *page {
				return c.submit(c.get(classicPath+"/"+a.addClassic("mona", "old")), `form[action$="/delete"]`, nil)
			},
			back:    classicPath + "/",
			pending: func(a *app) bool { _, ok := a.findToken("mona", "old"); return ok },
		},
		{
			name: "cancel a request", login: "mona", button: "Cancel request",
			start: func(a *app, c *client) *page {
				return c.submit(c.get(fgPath+"/"+a.tokenID("mona", "deploy-bot")), `form[action$="/cancel"]`, nil)
			},
			back:    fgPath + "/",
			pending: func(a *app) bool { _, ok := a.findToken("mona", "deploy-bot"); return ok },
		},
		{
			name: "revoke a token", login: "octo-owner", button: "Revoke token",
			start: func(a *app, c *client) *page {
				return c.submit(c.get(orgTokenPath+"/"+a.grantID("octo-owner", "owner-automation")), `form[action$="/revoke"]`, nil)
			},
			back:    orgTokenPath + "/",
			pending: func(a *app) bool { return grantStatus(a, "octo-owner", "owner-automation") == policy.GrantApproved },
		},
		{
			name: "revoke selected", login: "octo-owner", button: "Revoke selected tokens",
			start: func(a *app, c *client) *page {
				return c.review(c.get(activePath), "revoke", []string{a.grantID("octo-owner", "owner-automation")}, "")
			},
			back:    activePath,
			pending: func(a *app) bool { return grantStatus(a, "octo-owner", "owner-automation") == policy.GrantApproved },
		},
		{
			name: "approve selected", login: "octo-owner", button: "Approve selected requests",
			start: func(a *app, c *client) *page {
				return c.review(c.get(requestsPath), "approve", []string{a.grantID("mona", "deploy-bot"), a.grantID("hubot", "ci-reader")}, "")
			},
			back:    requestsPath,
			pending: func(a *app) bool { return grantStatus(a, "hubot", "ci-reader") == policy.GrantPending },
		},
		{
			name: "deny selected", login: "octo-owner", button: "Deny selected requests",
			start: func(a *app, c *client) *page {
				return c.review(c.get(requestsPath), "deny", []string{a.grantID("hubot", "ci-reader")}, "Too broad")
			},
			back:    requestsPath,
			pending: func(a *app) bool { return grantStatus(a, "hubot", "ci-reader") == policy.GrantPending },
		},
		{
			name: "stop requiring approval", login: "octo-owner", button: "Save and approve requests",
			start: func(a *app, c *client) *page {
				return c.submit(c.get(patPath), "form.settings-form", map[string]string{"approval": "not_required"})
			},
			back:    patPath,
			pending: func(a *app) bool { return a.orgPolicy("octo-org").Own.Approval == policy.ApprovalRequired },
		},
		{
			name: "disable the approval flow", login: "ent-admin", button: "Save and approve requests",
			start: func(a *app, c *client) *page {
				return c.submit(c.get(entPath), "form.settings-form", map[string]string{"approval": "disabled"})
			},
			back:    entPath,
			pending: func(a *app) bool { return grantStatus(a, "hubot", "ci-reader") == policy.GrantPending },
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := newApp(t)
			c := a.as(tc.login)
			asked := tc.start(a, c).status(http.StatusOK)
			if !tc.pending(a) {
				t.Fatal("the action happened before it was confirmed")
			}
			buttons := asked.doc.Find("main form button")
			if buttons.Length() != 1 || buttons.Text() != tc.button {
				t.Fatalf("the page's buttons are %q, want one named %q", buttons.Text(), tc.button)
			}
			if asked.text("main h1") == "" || asked.attr("main form", "method") != "post" {
				t.Fatal("the page asks no question, or its form does not post")
			}
			if asked.doc.Find(`main form input[name="_csrf"]`).Length() != 1 {
				t.Fatal("the confirmation form carries no CSRF token")
			}
			if back := asked.attr(`main a:contains("Back")`, "href"); len(back) < len(tc.back) || back[:len(tc.back)] != tc.back {
				t.Errorf("Back goes to %q, want %q…", back, tc.back)
			}
			c.confirm(asked).status(http.StatusSeeOther)
			if tc.pending(a) {
				t.Fatal("confirming did not do the action")
			}
		})
	}
}

// The confirmation of a bulk denial keeps the reason typed in the list.
func TestBulkDenialConfirmationKeepsTheReason(t *testing.T) {
	a := newApp(t)
	owner := a.as("octo-owner")
	asked := owner.review(owner.get(requestsPath), "deny", []string{a.grantID("hubot", "ci-reader")}, "Too broad").status(http.StatusOK)
	asked.contains("main h1", "Deny 1 request?")
	owner.confirm(asked).redirectsTo(requestsPath)
	if g := a.token("hubot", "ci-reader").Grant; g.Status != policy.GrantDenied || g.Reason != "Too broad" {
		t.Fatalf("grant %+v", g)
	}
}

// A crafted confirmation without the CSRF token is refused like any form.
func TestConfirmationNeedsTheCSRFToken(t *testing.T) {
	a := newApp(t)
	mona := a.as("mona")
	res := mona.post(fgPath+"/"+a.tokenID("mona", "deploy-bot")+"/delete", url.Values{"confirm": {"yes"}, "_csrf": {"forged"}})
	if res.res.StatusCode < 400 || res.res.StatusCode >= 500 {
		t.Fatalf("status %d", res.res.StatusCode)
	}
	if _, ok := a.findToken("mona", "deploy-bot"); !ok {
		t.Fatal("the token was deleted")
	}
}

// Where script runs, the buttons that start these actions say what to ask.
func TestActionButtonsCarryTheirQuestionForTheScript(t *testing.T) {
	a := newApp(t)
	mona, owner := a.as("mona"), a.as("octo-owner")
	checks := []struct {
		p        *page
		selector string
		button   string
	}{
		{mona.get(fgPath + "/" + a.tokenID("mona", "deploy-bot")), `form[action$="/delete"] button`, "Delete token"},
		{mona.get(fgPath + "/" + a.tokenID("mona", "deploy-bot")), `form[action$="/cancel"] button`, "Cancel request"},
		{owner.get(orgTokenPath + "/" + a.grantID("octo-owner", "owner-automation")), `form[action$="/revoke"] button`, "Revoke token"},
		{owner.get(activePath), `button[value="revoke"]`, "Revoke selected tokens"},
		{owner.get(requestsPath), `button[value="approve"]`, "Approve selected requests"},
		{owner.get(requestsPath), `button[value="deny"]`, "Deny selected requests"},
		{owner.get(patPath), `input[name="approval"][value="not_required"]`, "Save and approve requests"},
		{a.as("ent-admin").get("/enterprises/octo-ent/settings/personal-access-tokens"), `input[name="approval"][value="disabled"]`, "Save and approve requests"},
	}
	for _, ch := range checks {
		if q := ch.p.attr(ch.selector, "data-confirm"); q == "" {
			t.Errorf("%s: no question", ch.selector)
		}
		if got := ch.p.attr(ch.selector, "data-confirm-button"); got != ch.button {
			t.Errorf("%s: confirming button %q, want %q", ch.selector, got, ch.button)
		}
	}
}
