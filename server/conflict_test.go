package server_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"patpolicy/policy"
)

// staleForm opens the settings form at path in two sessions of login,
// saves set from the second, and returns the first session with the form
// it opened, now out of date.
func staleForm(a *app, path, login string, set map[string]string) (*client, *page) {
	a.t.Helper()
	first, second := a.as(login), a.as(login)
	form := first.get(path).status(http.StatusOK)
	second.submit(second.get(path).status(http.StatusOK), "form.settings-form", set).redirectsTo(path)
	return first, form
}

// Two owners open the settings; B restricts fine-grained tokens and turns
// approval off; A, on the older form, changes only the fine-grained
// lifetime. A's 409 starts from what B saved with only A's change on top,
// lists only that change, and saving it again keeps what B saved: nothing
// A merely saw on the old form is written back.
func TestOrgConflictKeepsTheOtherOwnersChange(t *testing.T) {
	a := newApp(t)
	ownerA, formA := staleForm(a, patPath, "octo-owner", map[string]string{
		"fine_grained_access": "restrict", "approval": "not_required", "confirm": "yes",
	})

	res := ownerA.submit(formA, "form.settings-form", map[string]string{
		"fine_grained_max_lifetime_days_expires": "on", "fine_grained_max_lifetime_days_days": "45",
	}).status(http.StatusConflict)
	if res.checked("fine_grained_access") != "restrict" || res.checked("approval") != "not_required" {
		t.Errorf("the 409 form shows fine-grained %q, approval %q: not the values now in force",
			res.checked("fine_grained_access"), res.checked("approval"))
	}
	if v, _ := res.doc.Find("#fine_grained_max_lifetime_days_days").Attr("value"); v != "45" {
		t.Errorf("the 409 form lost the user's lifetime: %q", v)
	}
	table := res.text(`[role="alert"] table tbody`)
	if !strings.Contains(table, "Maximum lifetime of fine-grained personal access tokens") || !strings.Contains(table, "At most 45 days") {
		t.Errorf("the conflict does not list the user's change: %q", table)
	}
	if rows := res.doc.Find(`[role="alert"] table tbody tr`).Length(); rows != 1 {
		t.Errorf("the conflict lists %d settings, want only the one the user changed: %q", rows, table)
	}

	ownerA.submit(res, "form.settings-form", nil).redirectsTo(patPath)
	p := a.orgPolicy("octo-org")
	if p.Own.FineGrained != policy.Restrict || p.Own.Approval != policy.ApprovalNotRequired {
		t.Errorf("saving the 409 form undid the other owner's change: %+v", p.Own)
	}
	if p.Own.FineGrainedLifetime != 45 {
		t.Errorf("the user's own change was not saved: %+v", p.Own)
	}
	if n := len(a.audit("octo-org", policy.ActionAccessRestrictionDisabled)); n != 0 {
		t.Errorf("the audit log shows %d reverts of the restriction", n)
	}
}

// The same on the enterprise page: B enforces Restrict for classic tokens
// and exempts administrators; A, on the older form, changes only the
// classic lifetime.
func TestEnterpriseConflictKeepsTheOtherOwnersChange(t *testing.T) {
	a := newApp(t)
	entPath := "/enterprises/octo-ent/settings/personal-access-tokens"
	ownerA, formA := staleForm(a, entPath, "ent-admin", map[string]string{
		"classic_access": "allow", "exempt_administrators": "on",
	})

	res := ownerA.submit(formA, "form.settings-form", map[string]string{
		"classic_max_lifetime_days_expires": "on", "classic_max_lifetime_days_days": "60",
	}).status(http.StatusConflict)
	if res.checked("classic_access") != "allow" {
		t.Errorf("the 409 form shows classic %q, not the value now in force", res.checked("classic_access"))
	}
	if res.doc.Find("#exempt_administrators[checked]").Length() != 1 {
		t.Error("the 409 form does not show administrators exempt, as now in force")
	}
	if rows := res.doc.Find(`[role="alert"] table tbody tr`).Length(); rows != 1 {
		t.Errorf("the conflict lists %d settings, want only the classic lifetime: %q", rows, res.text(`[role="alert"] table tbody`))
	}

	ownerA.submit(res, "form.settings-form", nil).redirectsTo(entPath)
	cur, _, err := a.store.EnterprisePolicy(context.Background(), mxEntID(a, "octo-ent"))
	if err != nil {
		t.Fatal(err)
	}
	if cur.Classic != policy.EnterpriseAccessAllow || !cur.ExemptAdmins {
		t.Errorf("saving the 409 form undid the other owner's change: %+v", cur)
	}
	if cur.ClassicLifetime != 60 {
		t.Errorf("the user's own change was not saved: %+v", cur)
	}
}

// A stale form whose only change the user made was to untick a box still
// carries that change over; and a field the user did not touch is not
// listed even though it differs from what is now in force.
func TestOrgConflictCarriesAnUntickedBox(t *testing.T) {
	a := newApp(t)
	owner := a.as("octo-owner")
	owner.submit(owner.get(patPath), "form.settings-form", map[string]string{
		"fine_grained_max_lifetime_days_expires": "on", "fine_grained_max_lifetime_days_days": "30", "confirm": "yes",
	}).redirectsTo(patPath)
	formA := owner.get(patPath)
	owner.submit(owner.get(patPath), "form.settings-form", map[string]string{"approval": "not_required", "confirm": "yes"}).redirectsTo(patPath)

	res := owner.submit(formA, "form.settings-form", map[string]string{"fine_grained_max_lifetime_days_expires": "\x00"}).
		status(http.StatusConflict)
	if res.doc.Find("#fine_grained_max_lifetime_days_expires[checked]").Length() != 0 {
		t.Error("the 409 form ticked the box the user unticked")
	}
	if res.checked("approval") != "not_required" {
		t.Errorf("the 409 form shows approval %q", res.checked("approval"))
	}
	owner.submit(res, "form.settings-form", nil).redirectsTo(patPath)
	if p := a.orgPolicy("octo-org"); p.Own.FineGrainedLifetime != 0 || p.Own.Approval != policy.ApprovalNotRequired {
		t.Errorf("stored %+v", p.Own)
	}
}
