package handlers

import (
	"context"
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"

	"patpolicy/db"
	"patpolicy/policy"
	"patpolicy/service"
	"patpolicy/views"
	"patpolicy/web/guard"
	"patpolicy/web/paths"
	"patpolicy/web/render"
	"patpolicy/web/session"
)

// EnterpriseStore reads and writes an enterprise's policy.
type EnterpriseStore interface {
	EnterprisePolicy(ctx context.Context, entID int64) (policy.Enterprise, int, error)
	CountGrantsInEnterprise(ctx context.Context, entID int64, status policy.GrantStatus) ([]db.OrgCount, error)
	AuditEvents(ctx context.Context, q db.AuditQuery) ([]db.AuditEvent, error)
}

// EnterpriseSettings serves an enterprise's policies to its owners. Saving
// goes through Policies.
type EnterpriseSettings struct {
	Store    EnterpriseStore
	Policies service.Policies
}

// PATPolicies shows the enterprise's personal access token policies.
func (h EnterpriseSettings) PATPolicies(c echo.Context) error {
	ent := guard.Enterprise(c)
	cur, version, err := h.Store.EnterprisePolicy(c.Request().Context(), ent.ID)
	if err != nil {
		return err
	}
	return h.render(c, http.StatusOK, ent, entForm(ent, cur, version, enterpriseValues(cur)))
}

// entForm is the policy form at version, whose policies are cur, showing
// v, and carrying the values of cur as those it was built on.
func entForm(ent db.Enterprise, cur policy.Enterprise, version int, v views.EnterprisePolicyValues) views.PolicyForm {
	action := paths.EnterprisePATPolicies(ent.Slug)
	form := views.EnterpriseForm(action, version, v)
	form.Original = views.EnterpriseForm(action, version, enterpriseValues(cur)).Values()
	return form
}

// SavePATPolicies applies a submitted policy change, with the same 422 and
// 409 rules as an organization's settings.
func (h EnterpriseSettings) SavePATPolicies(c echo.Context) error {
	ent := guard.Enterprise(c)
	ctx := c.Request().Context()
	form, err := formOf(c)
	if err != nil {
		return err
	}
	cur, version, err := h.Store.EnterprisePolicy(ctx, ent.ID)
	if err != nil {
		return err
	}
	change := enterpriseChangeFromForm(form)
	action := paths.EnterprisePATPolicies(ent.Slug)
	// The same order as an organization's form: stale, invalid, unversioned.
	current := service.EnterprisePolicy{Policy: cur, Version: version}
	req := service.PolicyRequest{ActorID: guard.User(c).ID, BuiltOn: formBuiltOn(form), Confirmed: confirmed(form),
		ConfirmedApprovals: confirmedApprovals(form)}
	_, err = h.Policies.SaveEnterprise(ctx, service.SaveEnterpriseInput{PolicyRequest: req, EntID: ent.ID, Current: current, Change: change})
	if err != nil {
		return refusal[service.EnterprisePolicy]{
			conflict: func(now service.EnterprisePolicy) error { return h.conflict(c, ent, now.Policy, now.Version, form) },
			invalid: func(errs policy.Errors) error {
				attempted := enterpriseWithSubmitted(enterpriseValues(cur), change)
				attempted.Errors = errs.ByField()
				return h.render(c, http.StatusUnprocessableEntity, ent, entForm(ent, cur, version, attempted))
			},
			confirm: func(ask *service.ConfirmApproval) error {
				p := policyConfirmation(c, ask, pendingNotice(ask.ByOrg), action)
				return render.Page(c, http.StatusOK, views.EnterpriseConfirmView(Chrome(c, p.Title+" · "+ent.Name), ent.Slug, ent.Name, p))
			},
		}.answer(err, current)
	}
	if err := session.SetFlash(c, "Personal access token policies saved."); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, action)
}

// conflict answers 409 as an organization's form does: the policies now in
// force (cur, at version) with just the user's edits on top.
func (h EnterpriseSettings) conflict(c echo.Context, ent db.Enterprise, cur policy.Enterprise, version int, submitted url.Values) error {
	saved := enterpriseValues(cur)
	form := entForm(ent, cur, version, enterpriseWithSubmitted(saved, enterpriseEdits(submitted)))
	cmp := views.Compare(entForm(ent, cur, version, saved), form)
	form.Conflict = &cmp
	return h.render(c, http.StatusConflict, ent, form)
}

func (h EnterpriseSettings) render(c echo.Context, status int, ent db.Enterprise, form views.PolicyForm) error {
	// Saying how many requests, in which organizations, "Disable the
	// approval flow in all organizations" would approve, before saving.
	counts, err := h.Store.CountGrantsInEnterprise(c.Request().Context(), ent.ID, policy.GrantPending)
	if err != nil {
		return err
	}
	for i, o := range form.Groups[1].Options {
		if o.Value == string(policy.EnterpriseApprovalDisabled) {
			form.Groups[1].Options[i].Notice = pendingNotice(counts)
		}
	}
	return render.Page(c, status, views.EnterprisePATView(Chrome(c, "Personal access tokens · "+ent.Name),
		views.EnterprisePATPage{Slug: ent.Slug, Name: ent.Name, Form: form}))
}

// pendingNotice says how many pending requests, in which organizations,
// disabling the approval flow would approve.
func pendingNotice(counts []db.OrgCount) string {
	var per []views.OrgCount
	for _, n := range counts {
		per = append(per, views.OrgCount{Org: n.Login, N: n.N})
	}
	return views.EnterprisePendingNotice(per)
}

// AuditLog lists the enterprise's audit events as an organization's are.
func (h EnterpriseSettings) AuditLog(c echo.Context) error {
	ent := guard.Enterprise(c)
	page, status, err := auditLog(c, h.Store, db.AuditQuery{EnterpriseID: ent.ID}, paths.EnterpriseAuditLog(ent.Slug))
	if err != nil {
		return err
	}
	return render.Page(c, status, views.EnterpriseAuditLogView(Chrome(c, "Audit log · "+ent.Name), ent.Slug, ent.Name, page))
}
