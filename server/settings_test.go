package server_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"patpolicy/db"
	"patpolicy/policy"
)

const patPath = "/organizations/octo-org/settings/personal-access-tokens"

func (a *app) orgPolicy(login string) db.OrgPolicy {
	a.t.Helper()
	ctx := context.Background()
	org, err := a.store.OrgByLogin(ctx, login)
	if err != nil {
		a.t.Fatal(err)
	}
	p, err := a.store.OrgPolicy(ctx, org.ID)
	if err != nil {
		a.t.Fatal(err)
	}
	return p
}

func TestSaveSettingsShowsFlashAndAudits(t *testing.T) {
	a := newApp(t)
	c := a.as("octo-owner")
	form := c.get(patPath).status(http.StatusOK)
	if form.checked("fine_grained_access") != "allow" {
		t.Fatalf("fine-grained starts as %q", form.checked("fine_grained_access"))
	}
	c.confirm(c.submit(form, "form.settings-form", map[string]string{
		"fine_grained_access":                    "restrict",
		"approval":                               "not_required",
		"fine_grained_max_lifetime_days_expires": "on",
		"fine_grained_max_lifetime_days_days":    "90",
	})).redirectsTo(patPath)

	after := c.get(patPath).status(http.StatusOK)
	if n := after.doc.Find(`[role="status"]`).Length(); n != 1 {
		t.Fatalf("%d status elements, want exactly 1", n)
	}
	after.contains(`[role="status"]`, "saved")
	if got := after.checked("fine_grained_access"); got != "restrict" {
		t.Errorf("fine-grained = %q after save", got)
	}
	if got := after.checked("approval"); got != "not_required" {
		t.Errorf("approval = %q after save", got)
	}
	if v, _ := after.doc.Find("#fine_grained_max_lifetime_days_days").Attr("value"); v != "90" {
		t.Errorf("lifetime days shown %q", v)
	}
	// The flash is shown once.
	if c.get(patPath).doc.Find(`[role="status"]`).Length() != 0 {
		t.Error("flash shown twice")
	}

	p := a.orgPolicy("octo-org")
	if p.Own.FineGrained != policy.Restrict || p.Own.Approval != policy.ApprovalNotRequired || p.Own.FineGrainedLifetime != 90 {
		t.Fatalf("stored %+v", p.Own)
	}
	log := c.get("/organizations/octo-org/settings/audit-log").status(http.StatusOK)
	rows := log.text("tbody")
	for _, action := range []string{policy.ActionAccessRestrictionEnabled, policy.ActionAutoApproveEnable, policy.ActionExpirationLimitSet} {
		if !strings.Contains(rows, action) {
			t.Errorf("audit log lacks %s: %s", action, rows)
		}
	}
	if !strings.Contains(rows, "octo-owner") {
		t.Errorf("audit log does not name the actor: %s", rows)
	}
	// Filter by action.
	filtered := c.get("/organizations/octo-org/settings/audit-log?action=" + url.QueryEscape(policy.ActionAutoApproveEnable)).status(http.StatusOK)
	if n := filtered.doc.Find("tbody tr").Length(); n != 1 {
		t.Fatalf("filtered log has %d rows, want 1", n)
	}
	filtered.contains("tbody", policy.ActionAutoApproveEnable)
	c.get("/organizations/octo-org/settings/audit-log?action=drop+table").status(http.StatusBadRequest).contains(`[role="alert"]`, "no action named")
}

func TestLockedFieldIsShownAndRefused(t *testing.T) {
	a := newApp(t)
	c := a.as("octo-owner")
	form := c.get(patPath).status(http.StatusOK)

	classic := form.doc.Find(`fieldset:has(legend:contains("Personal access token (classic)"))`)
	if !strings.Contains(classic.Text(), "Managed by the Octo Enterprise enterprise") {
		t.Fatalf("classic fieldset has no lock note: %s", classic.Text())
	}
	if classic.Find("input[disabled]").Length() != 2 {
		t.Fatal("classic radios are not disabled")
	}
	if form.checked("classic_access") != "restrict" {
		t.Fatalf("locked classic shows %q, want the enforced restrict", form.checked("classic_access"))
	}

	// A crafted POST that changes the locked field.
	res := c.submit(form, "form.settings-form", map[string]string{
		"classic_access":      "allow",
		"fine_grained_access": "restrict",
	}).status(http.StatusUnprocessableEntity)
	res.contains(`[role="alert"]`, "Personal access token (classic)")
	res.contains(`[role="alert"]`, "Octo Enterprise")
	if res.checked("fine_grained_access") != "restrict" {
		t.Error("the user's other choice was not kept")
	}
	if res.checked("classic_access") != "restrict" {
		t.Error("the locked field does not show the enforced value")
	}
	if p := a.orgPolicy("octo-org"); p.Own.FineGrained != policy.Allow || p.Version != 1 {
		t.Fatalf("a refused change was stored: %+v", p)
	}

	// Sending the enforced value is no change and is accepted.
	c.submit(form, "form.settings-form", map[string]string{"classic_access": "restrict", "fine_grained_access": "restrict", "confirm": "yes"}).
		redirectsTo(patPath)
	if p := a.orgPolicy("octo-org"); p.Own.FineGrained != policy.Restrict || p.Own.Classic != policy.Allow {
		t.Fatalf("stored %+v; the org's own classic value must be kept", p.Own)
	}
}

func TestStaleFormIsRefusedWithConflict(t *testing.T) {
	a := newApp(t)
	alice, bob := a.as("octo-owner"), a.as("octo-owner")
	aliceForm := alice.get(patPath)
	bobForm := bob.get(patPath)
	bob.confirm(bob.submit(bobForm, "form.settings-form", map[string]string{"approval": "not_required"})).redirectsTo(patPath)

	res := alice.submit(aliceForm, "form.settings-form", map[string]string{"fine_grained_access": "restrict"}).
		status(http.StatusConflict)
	res.contains(`[role="alert"]`, "These settings were changed since you opened this page")
	// Only what the user changed is listed, and carried over.
	res.contains(`[role="alert"] table`, "Restrict access via fine-grained personal access tokens")
	if strings.Contains(res.text(`[role="alert"] table`), "administrator approval") {
		t.Error("the conflict lists approval, which the user did not change")
	}
	if res.checked("fine_grained_access") != "restrict" || res.checked("approval") != "not_required" {
		t.Error("the 409 form is not the settings in force with the user's choice on top")
	}
	p := a.orgPolicy("octo-org")
	if p.Own.FineGrained != policy.Allow || p.Own.Approval != policy.ApprovalNotRequired {
		t.Fatalf("stored %+v", p.Own)
	}
	// The re-rendered form carries the new version: saving it again works.
	alice.submit(res, "form.settings-form", map[string]string{"confirm": "yes"}).redirectsTo(patPath)
	if p := a.orgPolicy("octo-org"); p.Own.FineGrained != policy.Restrict || p.Own.Approval != policy.ApprovalNotRequired {
		t.Fatalf("second save: %+v", p.Own)
	}
}

func TestBadValuesAreRefused(t *testing.T) {
	cases := []struct {
		name    string
		set     map[string]string
		message string
	}{
		{"unknown access", map[string]string{"fine_grained_access": "maybe"}, "Choose one of the options."},
		{"unknown approval", map[string]string{"approval": "sometimes"}, "Choose one of the options."},
		{"zero days", map[string]string{"classic_max_lifetime_days_expires": "on", "classic_max_lifetime_days_days": "0"}, "from 1 to 366"},
		{"too many days", map[string]string{"classic_max_lifetime_days_expires": "on", "classic_max_lifetime_days_days": "367"}, "from 1 to 366"},
		{"negative days", map[string]string{"fine_grained_max_lifetime_days_expires": "on", "fine_grained_max_lifetime_days_days": "-3"}, "from 1 to 366"},
		{"huge days", map[string]string{"fine_grained_max_lifetime_days_expires": "on", "fine_grained_max_lifetime_days_days": "99999999999999999999"}, "from 1 to 366"},
		{"words", map[string]string{"fine_grained_max_lifetime_days_expires": "on", "fine_grained_max_lifetime_days_days": "ninety"}, "from 1 to 366"},
		{"missing days", map[string]string{"fine_grained_max_lifetime_days_expires": "on", "fine_grained_max_lifetime_days_days": ""}, "from 1 to 366"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := newApp(t)
			c := a.as("octo-owner")
			form := c.get(patPath)
			res := c.submit(form, "form.settings-form", tc.set).status(http.StatusUnprocessableEntity)
			res.contains(`[role="alert"]`, tc.message)
			for k, v := range tc.set {
				if strings.HasSuffix(k, "_days") {
					if got, _ := res.doc.Find("#" + k).Attr("value"); got != v {
						t.Errorf("days input shows %q, want the submitted %q", got, v)
					}
				}
			}
			if p := a.orgPolicy("octo-org"); p.Version != 1 || p.Own != policy.DefaultOrgSettings() {
				t.Fatalf("bad input changed the settings: %+v", p)
			}
		})
	}
}

func TestEnterpriseLifetimeBoundsTheOrganization(t *testing.T) {
	a := newApp(t)
	admin := a.as("ent-admin")
	entPath := "/enterprises/octo-ent/settings/personal-access-tokens"
	admin.submit(admin.get(entPath).status(http.StatusOK), "form.settings-form", map[string]string{
		"fine_grained_access":                    "restrict",
		"fine_grained_max_lifetime_days_expires": "on",
		"fine_grained_max_lifetime_days_days":    "30",
		"confirm":                                "yes",
	}).redirectsTo(entPath)
	admin.get(entPath).contains(`[role="status"]`, "saved")

	owner := a.as("octo-owner")
	form := owner.get(patPath)
	fg := form.doc.Find(`fieldset:has(legend:contains("Fine-grained personal access tokens"))`).First()
	if !strings.Contains(fg.Text(), "Managed by the Octo Enterprise enterprise") || fg.Find("input[disabled]").Length() != 2 {
		t.Fatal("fine-grained is not shown locked after the enterprise enforced it")
	}
	form.contains("form", "allows at most 30 days")

	res := owner.submit(form, "form.settings-form", map[string]string{
		"fine_grained_max_lifetime_days_expires": "on", "fine_grained_max_lifetime_days_days": "60",
	}).status(http.StatusUnprocessableEntity)
	res.contains(`[role="alert"]`, "at most 30 days")
	owner.submit(form, "form.settings-form", map[string]string{
		"fine_grained_max_lifetime_days_expires": "on", "fine_grained_max_lifetime_days_days": "20",
	}).redirectsTo(patPath)
	if p := a.orgPolicy("octo-org"); p.Effective().FineGrainedLifetime != 20 {
		t.Fatalf("effective lifetime %d, want 20", p.Effective().FineGrainedLifetime)
	}
}

func TestEnterpriseFormRefusesBadValuesAndStaleForms(t *testing.T) {
	a := newApp(t)
	admin := a.as("ent-admin")
	entPath := "/enterprises/octo-ent/settings/personal-access-tokens"
	form := admin.get(entPath)
	if form.checked("classic_access") != "restrict" {
		t.Fatalf("enterprise classic shows %q", form.checked("classic_access"))
	}
	admin.submit(form, "form.settings-form", map[string]string{"approval": "whenever"}).
		status(http.StatusUnprocessableEntity).contains(`[role="alert"]`, "Choose one of the options.")
	admin.submit(form, "form.settings-form", map[string]string{"approval": "required"}).redirectsTo(entPath)
	admin.submit(form, "form.settings-form", map[string]string{"approval": "disabled"}).
		status(http.StatusConflict).contains(`[role="alert"]`, "These settings were changed since you opened this page")
}

func TestOnboarding(t *testing.T) {
	a := newApp(t)
	c := a.as("octo-owner")
	path := "/organizations/solo-org/settings/personal-access-tokens-onboarding"
	c.get("/organizations/solo-org/settings/personal-access-tokens").redirectsTo(path)

	step1 := c.get(path).status(http.StatusOK)
	step1.contains("legend", "Fine-grained personal access tokens")
	if step1.doc.Find(`button[value="back"]`).Length() != 0 {
		t.Error("step 1 has a Back button")
	}
	bad := c.submit(step1, "main form", map[string]string{"fine_grained_access": "sideways", "nav": "continue"}).
		status(http.StatusUnprocessableEntity)
	bad.contains(`[role="alert"]`, "Choose one of the options.")

	step2 := c.submit(step1, "main form", map[string]string{"fine_grained_access": "restrict", "nav": "continue"}).status(http.StatusOK)
	step2.contains("legend", "Require approval of fine-grained personal access tokens")
	back := c.submit(step2, "main form", map[string]string{"nav": "back"}).status(http.StatusOK)
	if back.checked("fine_grained_access") != "restrict" {
		t.Fatal("Back lost the step 1 choice")
	}
	step2 = c.submit(back, "main form", map[string]string{"nav": "continue"}).status(http.StatusOK)
	step3 := c.submit(step2, "main form", map[string]string{"approval": "not_required", "nav": "continue"}).status(http.StatusOK)
	step3.contains("legend", "Personal access token (classic)")
	review := c.submit(step3, "main form", map[string]string{"classic_access": "restrict", "nav": "continue"}).status(http.StatusOK)
	review.contains("dl", "Restrict access via fine-grained personal access tokens")
	review.contains("dl", "Do not require administrator approval")
	review.contains("dl", "Restrict access via personal access tokens (classic)")

	c.submit(review, "main form", map[string]string{"nav": "enroll"}).redirectsTo("/organizations/solo-org/settings/personal-access-tokens")
	done := c.get("/organizations/solo-org/settings/personal-access-tokens").status(http.StatusOK)
	done.contains(`[role="status"]`, "saved")
	if done.checked("fine_grained_access") != "restrict" || done.checked("approval") != "not_required" || done.checked("classic_access") != "restrict" {
		t.Fatal("enrolled settings not shown")
	}
	log := c.get("/organizations/solo-org/settings/audit-log").text("tbody")
	for _, action := range []string{policy.ActionFineGrainedOptIn, policy.ActionAccessRestrictionEnabled, policy.ActionAutoApproveEnable, policy.ActionClassicAccessRestrictionEnabled} {
		if !strings.Contains(log, action) {
			t.Errorf("audit log lacks %s", action)
		}
	}
	// Enrolling again (a second tab) changes nothing.
	c.submit(review, "main form", map[string]string{"nav": "enroll", "classic_access": "allow"}).redirectsTo("/organizations/solo-org/settings/personal-access-tokens")
	if p := a.orgPolicy("solo-org"); p.Own.Classic != policy.Restrict {
		t.Fatal("a second enrollment changed the settings")
	}
	c.get(path).redirectsTo("/organizations/solo-org/settings/personal-access-tokens")
}

func TestEnterpriseChangeMakesOpenFormsStale(t *testing.T) {
	a := newApp(t)
	owner, admin := a.as("octo-owner"), a.as("ent-admin")
	form := owner.get(patPath)
	entPath := "/enterprises/octo-ent/settings/personal-access-tokens"
	admin.submit(admin.get(entPath), "form.settings-form", map[string]string{"fine_grained_access": "restrict", "confirm": "yes"}).redirectsTo(entPath)

	// The owner changed only approval; the form is out of date, not wrong.
	res := owner.submit(form, "form.settings-form", map[string]string{"approval": "not_required"}).status(http.StatusConflict)
	res.contains(`[role="alert"] table`, "Do not require administrator approval")
	if res.checked("fine_grained_access") != "restrict" || res.doc.Find(`input[name="fine_grained_access"][disabled]`).Length() != 2 {
		t.Fatal("the 409 page does not show the new lock")
	}
	owner.confirm(owner.submit(res, "form.settings-form", nil)).redirectsTo(patPath)
	if p := a.orgPolicy("octo-org"); p.Own.Approval != policy.ApprovalNotRequired {
		t.Fatalf("stored %+v", p.Own)
	}
}

func TestLifetimeShownIsTheOneInForce(t *testing.T) {
	a := newApp(t)
	owner, admin := a.as("octo-owner"), a.as("ent-admin")
	owner.submit(owner.get(patPath), "form.settings-form", map[string]string{
		"fine_grained_max_lifetime_days_expires": "on", "fine_grained_max_lifetime_days_days": "200",
	}).redirectsTo(patPath)
	entPath := "/enterprises/octo-ent/settings/personal-access-tokens"
	admin.submit(admin.get(entPath), "form.settings-form", map[string]string{
		"fine_grained_max_lifetime_days_expires": "on", "fine_grained_max_lifetime_days_days": "30", "confirm": "yes",
	}).redirectsTo(entPath)

	form := owner.get(patPath)
	if v, _ := form.doc.Find("#fine_grained_max_lifetime_days_days").Attr("value"); v != "30" {
		t.Fatalf("page shows %q days, want the 30 in force", v)
	}
	// Saving something else is not blocked by the lifetime.
	owner.confirm(owner.submit(form, "form.settings-form", map[string]string{"approval": "not_required"})).redirectsTo(patPath)
	p := a.orgPolicy("octo-org")
	if p.Own.Approval != policy.ApprovalNotRequired || p.Effective().FineGrainedLifetime != 30 {
		t.Fatalf("stored %+v, effective %d", p.Own, p.Effective().FineGrainedLifetime)
	}
}

func TestUnversionedForm(t *testing.T) {
	a := newApp(t)
	c := a.as("octo-owner")
	// A crafted change to a locked field is a 422 whatever the version.
	c.post(patPath, url.Values{"classic_access": {"allow"}}).status(http.StatusUnprocessableEntity).
		contains(`[role="alert"]`, "Octo Enterprise")
	// A valid change without a version is shown back for a deliberate save.
	res := c.post(patPath, url.Values{"approval": {"not_required"}}).status(http.StatusConflict)
	if res.checked("approval") != "not_required" {
		t.Error("the attempted choice is not kept")
	}
	if p := a.orgPolicy("octo-org"); p.Version != 1 {
		t.Fatalf("an unversioned form changed the settings: %+v", p)
	}
}

func TestEnterpriseAuditLogListsItsPolicyChanges(t *testing.T) {
	a := newApp(t)
	admin := a.as("ent-admin")
	entPath := "/enterprises/octo-ent/settings/personal-access-tokens"
	logPath := "/enterprises/octo-ent/settings/audit-log"
	admin.submit(admin.get(entPath), "form.settings-form", map[string]string{"approval": "required"}).redirectsTo(entPath)

	p := admin.get(logPath).status(http.StatusOK)
	nav := p.doc.Find(`nav[aria-label="Enterprise settings"]`)
	link := nav.Find(`a:contains("Audit log")`)
	if href, _ := link.Attr("href"); href != logPath {
		t.Fatalf("Audit log link %q", href)
	}
	if cur, _ := link.Attr("aria-current"); cur != "page" {
		t.Error("the Audit log link is not marked current")
	}
	if got := p.text("main h1"); got != "Audit log" {
		t.Errorf("heading %q", got)
	}
	row := p.doc.Find(`main tbody tr`).First()
	if got := row.Find("td").Eq(0).Text(); got != policy.ActionAutoApproveDisable {
		t.Errorf("newest action %q", got)
	}
	if got := row.Find("td").Eq(1).Text(); got != "ent-admin" {
		t.Errorf("actor %q", got)
	}
	// The same filter as an organization's log.
	filtered := admin.get(logPath + "?action=" + policy.ActionAccessRestrictionEnabled).status(http.StatusOK)
	if n := filtered.doc.Find("main tbody tr").Length(); n != 0 {
		t.Errorf("%d rows for an action never taken", n)
	}
	admin.get(logPath+"?action=nonsense").status(http.StatusBadRequest).contains(`[role="alert"]`, "no action named")
	// Others never see it.
	a.as("octo-owner").get(logPath).status(http.StatusNotFound)
}

func TestEnterprisePolicyChangeIsInItsOrganizationsAuditLogs(t *testing.T) {
	a := newApp(t)
	a.addOrgInEnterprise("zed-owner", "zed-org")
	admin := a.as("ent-admin")
	entPath := "/enterprises/octo-ent/settings/personal-access-tokens"
	admin.submit(admin.get(entPath), "form.settings-form", map[string]string{"fine_grained_access": "restrict", "confirm": "yes"}).redirectsTo(entPath)
	for _, org := range []string{"octo-org", "zed-org"} {
		evs := a.audit(org, policy.ActionAccessRestrictionEnabled)
		if len(evs) != 1 || evs[0].ActorLogin != "ent-admin" || !strings.Contains(evs[0].Details, "Octo Enterprise") {
			t.Errorf("%s: access_restriction_enabled events %+v", org, evs)
		}
	}
	// And on the organization's own page.
	a.as("octo-owner").get("/organizations/octo-org/settings/audit-log").contains("main tbody", "set by the Octo Enterprise enterprise")
}
