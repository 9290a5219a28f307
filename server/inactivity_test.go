package server_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"patpolicy/policy"
	"patpolicy/service"
)

// Expiry notices and inactive tokens over the whole server: the settings
// on both pages and in the API, and the background run on the app's store.

const entPATPath = "/enterprises/octo-ent/settings/personal-access-tokens"

func TestInactivitySettingIsValidatedSavedAndAudited(t *testing.T) {
	a := newApp(t)
	c := a.as("octo-owner")
	form := c.get(patPath).status(http.StatusOK)
	box := form.doc.Find(`fieldset:has(legend:contains("Inactive tokens"))`)
	if box.Length() != 1 || box.Find(`label[for="inactive_token_days_expires"]`).Text() != "Revoke tokens not used for" ||
		box.Find(`label[for="inactive_token_days_days"]`).Text() != "Days without use" {
		t.Fatalf("no Inactive tokens fieldset with its two labelled inputs:\n%s", box.Text())
	}

	res := c.submit(form, "form.settings-form", map[string]string{
		"inactive_token_days_expires": "on", "inactive_token_days_days": "5",
	}).status(http.StatusUnprocessableEntity)
	res.contains(`[role="alert"]`, "from 7 to 366")
	if v := res.attr("#inactive_token_days_days", "value"); v != "5" {
		t.Errorf("the refused form shows %q days, want the user's 5", v)
	}
	if v := res.attr("#inactive_token_days_days", "aria-invalid"); v != "true" {
		t.Errorf("the refused days input has aria-invalid %q, want true", v)
	}
	if got := a.orgPolicy("octo-org").Own.InactiveDays; got != 0 {
		t.Fatalf("a refused limit was stored: %d", got)
	}

	c.submit(form, "form.settings-form", map[string]string{
		"inactive_token_days_expires": "on", "inactive_token_days_days": "30",
	}).redirectsTo(patPath)
	after := c.get(patPath)
	after.contains(`[role="status"]`, "saved")
	if v := after.attr("#inactive_token_days_days", "value"); v != "30" {
		t.Errorf("saved page shows %q days", v)
	}
	if got := a.orgPolicy("octo-org").Own.InactiveDays; got != 30 {
		t.Fatalf("stored limit %d, want 30", got)
	}
	if evs := a.audit("octo-org", policy.ActionInactivityLimitSet); len(evs) != 1 || !strings.Contains(evs[0].Details, "30 days") {
		t.Errorf("audit events %+v, want one limit set to 30 days", evs)
	}
	// Unticking lifts the limit.
	c.submit(after, "form.settings-form", map[string]string{"inactive_token_days_expires": ""}).redirectsTo(patPath)
	if got := a.orgPolicy("octo-org").Own.InactiveDays; got != 0 {
		t.Errorf("limit %d after unticking, want none", got)
	}
	if evs := a.audit("octo-org", policy.ActionInactivityLimitUnset); len(evs) != 1 {
		t.Errorf("%d unset events, want 1", len(evs))
	}
}

func TestEnterpriseInactivityLimitLocksTheOrganization(t *testing.T) {
	a := newApp(t)
	admin := a.as("ent-admin")
	admin.submit(admin.get(entPATPath).status(http.StatusOK), "form.settings-form", map[string]string{
		"inactive_token_days_expires": "on", "inactive_token_days_days": "14",
	}).redirectsTo(entPATPath)

	owner := a.as("octo-owner")
	form := owner.get(patPath)
	box := form.doc.Find(`fieldset:has(legend:contains("Inactive tokens"))`)
	if !strings.Contains(box.Text(), "Managed by the Octo Enterprise enterprise") || box.Find("input[disabled]").Length() != 2 {
		t.Fatalf("the inactivity fieldset is not locked:\n%s", box.Text())
	}
	if v := form.attr("#inactive_token_days_days", "value"); v != "14" {
		t.Errorf("locked field shows %q, want the enforced 14", v)
	}
	// A crafted POST changing it is refused, the other choices kept.
	res := owner.submit(form, "form.settings-form", map[string]string{
		"inactive_token_days_expires": "on", "inactive_token_days_days": "60", "classic_access": "restrict",
	}).status(http.StatusUnprocessableEntity)
	res.contains(`[role="alert"]`, "“Inactive tokens” is managed by the Octo Enterprise enterprise")
	if res.checked("classic_access") != "restrict" {
		t.Error("the user's other choice was not kept")
	}
	if p := a.orgPolicy("octo-org"); p.Own.InactiveDays != 0 || p.Effective().InactiveDays != 14 {
		t.Fatalf("own %d, in force %d; want 0 and 14", p.Own.InactiveDays, p.Effective().InactiveDays)
	}
	// Saving the rest of the form is not blocked by the lock.
	owner.submit(form, "form.settings-form", map[string]string{"classic_access": "restrict"}).redirectsTo(patPath)

	// The API shows it locked and refuses a change.
	secret := polAdmin(a, "pol-admin", policy.LevelWrite)
	var got struct {
		Days   *int     `json:"inactive_token_days"`
		Locked []string `json:"locked"`
	}
	polDo(a, http.MethodGet, polOrg, secret, nil, "").want(http.StatusOK).decode(&got)
	if got.Days == nil || *got.Days != 14 || !strings.Contains(strings.Join(got.Locked, ","), "inactive_token_days") {
		t.Errorf("API shows %v days, locked %v; want 14, locked", got.Days, got.Locked)
	}
	polDo(a, http.MethodPatch, polOrg, secret, map[string]any{"inactive_token_days": 30}, "").want(http.StatusUnprocessableEntity)
	polDo(a, http.MethodPatch, polOrg, secret, map[string]any{"inactive_token_days": 14}, "").want(http.StatusOK)

	// The enterprise's own API.
	var ent struct {
		Days *int `json:"inactive_token_days"`
	}
	polDo(a, http.MethodGet, polEnt, polEntToken(a), nil, "").want(http.StatusOK).decode(&ent)
	if ent.Days == nil || *ent.Days != 14 {
		t.Errorf("enterprise API shows %v days, want 14", ent.Days)
	}
}

func TestPolicyAPISetsAndLiftsTheInactivityLimit(t *testing.T) {
	a := newApp(t)
	secret := polAdmin(a, "pol-admin", policy.LevelWrite)
	var got struct {
		Days *int `json:"inactive_token_days"`
	}
	polDo(a, http.MethodPatch, polOrg, secret, map[string]any{"inactive_token_days": 3}, "").want(http.StatusUnprocessableEntity)
	polDo(a, http.MethodPatch, polOrg, secret, map[string]any{"inactive_token_days": 45}, "").want(http.StatusOK).decode(&got)
	if got.Days == nil || *got.Days != 45 {
		t.Fatalf("after PATCH: %v days, want 45", got.Days)
	}
	polDo(a, http.MethodPatch, polOrg, secret, map[string]any{"inactive_token_days": nil}, "").want(http.StatusOK).decode(&got)
	if got.Days != nil {
		t.Fatalf("after PATCH null: %v days, want null", *got.Days)
	}
}

func TestExpiryAndInactivityRunsOnceAcrossTwoInstances(t *testing.T) {
	a := newApp(t)
	b := a.twin()
	a.newFineGrained("octo-owner", "soon", fgSpec{Org: "octo-org", Days: 30, Status: policy.GrantApproved})
	admin := map[string]policy.Level{policy.Metadata: policy.LevelRead, "organization_administration": policy.LevelRead}
	idle := a.newFineGrained("octo-owner", "idle", fgSpec{Org: "octo-org", Status: policy.GrantApproved, Permissions: admin})
	busy := a.newFineGrained("octo-owner", "busy", fgSpec{Org: "octo-org", Status: policy.GrantApproved, Permissions: admin})
	c := a.as("octo-owner")
	c.submit(c.get(patPath), "form.settings-form", map[string]string{
		"inactive_token_days_expires": "on", "inactive_token_days_days": "7",
	}).redirectsTo(patPath)

	// The busy token is used through the twin, which writes its last use
	// down (as it does every few seconds) just before the runs.
	b.api(http.MethodGet, polOrg, busy, nil).want(http.StatusOK)
	at := time.Now().AddDate(0, 0, 23).Add(time.Hour)
	b.store.TouchToken(a.token("octo-owner", "busy").ID, at.Add(-time.Minute))
	if err := b.store.FlushLastUses(context.Background()); err != nil {
		t.Fatal(err)
	}

	var wg sync.WaitGroup
	for _, x := range []*app{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := (service.Expiry{Store: x.store}).RunOnce(context.Background(), at); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	// Restarted: a new store on the same database finds nothing to do.
	if run, err := (service.Expiry{Store: a.twin().store}).RunOnce(context.Background(), at); err != nil || run != (service.ExpiryRun{}) {
		t.Errorf("after a restart: %+v, %v; want nothing done", run, err)
	}

	var week, lost int
	for _, n := range a.notifications("octo-owner") {
		if strings.Contains(n.Message, "“soon” expires in 7 days") {
			week++
			if !strings.HasPrefix(n.Link, "/settings/personal-access-tokens/") {
				t.Errorf("notice links to %q", n.Link)
			}
		}
		if strings.Contains(n.Message, "“idle” lost its access to octo-org") {
			lost++
		}
		if strings.Contains(n.Message, "“busy”") {
			t.Errorf("the busy token's owner was told %q", n.Message)
		}
	}
	if week != 1 || lost != 1 {
		t.Errorf("%d week notices and %d revocation notices, want 1 each", week, lost)
	}
	var idleEvents int
	for _, e := range a.audit("octo-org", policy.ActionAccessRevoked) {
		if strings.Contains(e.Details, "“idle”") {
			idleEvents++
			if e.ActorLogin != policy.RuleActor || !strings.Contains(e.Details, "reason: inactive") {
				t.Errorf("revocation event %+v", e)
			}
		}
	}
	if idleEvents != 1 {
		t.Errorf("%d revocation events of idle, want 1", idleEvents)
	}
	// The audit page names the rule as the actor.
	c.get("/organizations/octo-org/settings/audit-log").contains("table", policy.RuleActor)
	// The idle token no longer works there; the busy one does.
	a.api(http.MethodGet, polOrg, idle, nil).want(http.StatusForbidden)
	a.api(http.MethodGet, polOrg, busy, nil).want(http.StatusOK)
}
