package handlers

import (
	"context"
	"errors"
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"

	"patpolicy/db"
	"patpolicy/policy"
	"patpolicy/views"
	"patpolicy/web/access"
	"patpolicy/web/paths"
	"patpolicy/web/render"
	"patpolicy/web/session"
)

// EnterpriseStore reads and writes an enterprise's policy.
type EnterpriseStore interface {
	EnterprisePolicy(ctx context.Context, entID int64) (policy.Enterprise, int, error)
	SaveEnterprisePolicy(ctx context.Context, entID, actorID int64, expectedVersion int, next policy.Enterprise, events []policy.Event) error
	CountGrantsInEnterprise(ctx context.Context, entID int64, status policy.GrantStatus) ([]db.OrgCount, error)
	AuditEvents(ctx context.Context, q db.AuditQuery) ([]db.AuditEvent, error)
}

// EnterpriseSettings serves an enterprise's policies to its owners.
type EnterpriseSettings struct {
	Store EnterpriseStore
}

func enterprisePATURL(e db.Enterprise) string {
	return paths.EnterprisePATPolicies(e.Slug)
}

// PATPolicies shows the enterprise's personal access token policies.
func (h EnterpriseSettings) PATPolicies(c echo.Context) error {
	ent := access.Enterprise(c)
	cur, version, err := h.Store.EnterprisePolicy(c.Request().Context(), ent.ID)
	if err != nil {
		return err
	}
	return h.render(c, http.StatusOK, ent, entForm(ent, cur, version, enterpriseValues(cur)))
}

// entForm is the policy form at version, whose policies are cur, showing
// v, and carrying the values of cur as those it was built on.
func entForm(ent db.Enterprise, cur policy.Enterprise, version int, v views.EnterprisePolicyValues) views.PolicyForm {
	action := enterprisePATURL(ent)
	form := views.EnterpriseForm(action, version, v)
	form.Original = views.EnterpriseForm(action, version, enterpriseValues(cur)).Values()
	return form
}

// SavePATPolicies applies a submitted policy change, with the same 422 and
// 409 rules as an organization's settings.
func (h EnterpriseSettings) SavePATPolicies(c echo.Context) error {
	ent := access.Enterprise(c)
	ctx := c.Request().Context()
	form, err := c.FormParams()
	if err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, "The form could not be read.")
	}
	cur, version, err := h.Store.EnterprisePolicy(ctx, ent.ID)
	if err != nil {
		return err
	}
	change := enterpriseChangeFromForm(form)
	attempted := enterpriseWithSubmitted(enterpriseValues(cur), change)
	action := enterprisePATURL(ent)

	// The same order as an organization's form: stale, invalid, unversioned.
	submitted, known := formVersion(form)
	if known && submitted != version {
		return h.conflict(c, ent, cur, version, form)
	}
	next, errs := policy.ApplyEnterpriseChange(cur, change)
	if len(errs) > 0 {
		attempted.Errors = errs.ByField()
		return h.render(c, http.StatusUnprocessableEntity, ent, entForm(ent, cur, version, attempted))
	}
	if !known {
		return h.conflict(c, ent, cur, version, form)
	}
	if next.Approval == policy.EnterpriseApprovalDisabled && cur.Approval != policy.EnterpriseApprovalDisabled && !confirmed(form) {
		notice, n, err := h.pendingNotice(ctx, ent)
		if err != nil {
			return err
		}
		if n > 0 {
			title := "Approve " + views.PendingCount(n) + "?"
			return render.Page(c, http.StatusOK, views.EnterpriseConfirmView(Chrome(c, title+" · "+ent.Name), ent.Slug, ent.Name,
				confirmation(c, title, notice, "Save and approve requests", action)))
		}
	}
	err = h.Store.SaveEnterprisePolicy(ctx, ent.ID, access.User(c).ID, version, next, policy.EnterpriseEvents(cur, next))
	if errors.Is(err, db.ErrStale) {
		if cur, version, err = h.Store.EnterprisePolicy(ctx, ent.ID); err != nil {
			return err
		}
		return h.conflict(c, ent, cur, version, form)
	}
	if err != nil {
		return err
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
	notice, _, err := h.pendingNotice(c.Request().Context(), ent)
	if err != nil {
		return err
	}
	for i, o := range form.Groups[1].Options {
		if o.Value == string(policy.EnterpriseApprovalDisabled) {
			form.Groups[1].Options[i].Notice = notice
		}
	}
	return render.Page(c, status, views.EnterprisePATView(Chrome(c, "Personal access tokens · "+ent.Name),
		views.EnterprisePATPage{Slug: ent.Slug, Name: ent.Name, Form: form}))
}

// pendingNotice says how many pending requests, in which organizations,
// disabling the approval flow would approve, and how many in all.
func (h EnterpriseSettings) pendingNotice(ctx context.Context, ent db.Enterprise) (string, int, error) {
	counts, err := h.Store.CountGrantsInEnterprise(ctx, ent.ID, policy.GrantPending)
	if err != nil {
		return "", 0, err
	}
	var per []views.OrgCount
	total := 0
	for _, n := range counts {
		per = append(per, views.OrgCount{Org: n.Login, N: n.N})
		total += n.N
	}
	return views.EnterprisePendingNotice(per), total, nil
}

// AuditLog lists the enterprise's audit events as an organization's are.
func (h EnterpriseSettings) AuditLog(c echo.Context) error {
	ent := access.Enterprise(c)
	page, status, err := auditLog(c, h.Store, db.AuditQuery{EnterpriseID: ent.ID}, paths.EnterpriseAuditLog(ent.Slug))
	if err != nil {
		return err
	}
	return render.Page(c, status, views.EnterpriseAuditLogView(Chrome(c, "Audit log · "+ent.Name), ent.Slug, ent.Name, page))
}
