package handlers

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

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

// OrgStore is what an organization's settings pages read and write.
type OrgStore interface {
	OrgPolicy(ctx context.Context, orgID int64) (db.OrgPolicy, error)
	AuditEvents(ctx context.Context, q db.AuditQuery) ([]db.AuditEvent, error)
	CountGrants(ctx context.Context, orgID int64, status policy.GrantStatus) (int, error)
	ReposOf(ctx context.Context, orgID int64) ([]db.Repo, error)
}

// OrgSettings serves an organization's settings to its owners. The access
// guard has already loaded the organization and checked ownership. Saving
// goes through Policies.
type OrgSettings struct {
	Store    OrgStore
	Policies service.Policies
}

func nav(org db.Org, current string) views.SettingsNav {
	return views.SettingsNav{OrgLogin: org.Login, OrgName: org.Name, Current: current}
}

// General shows the organization's profile.
func (h OrgSettings) General(c echo.Context) error {
	org := guard.Org(c)
	p, err := h.Store.OrgPolicy(c.Request().Context(), org.ID)
	if err != nil {
		return err
	}
	return render.Page(c, http.StatusOK, views.GeneralView(Chrome(c, "General · "+org.Login), views.GeneralPage{
		Nav: nav(org, paths.OrgProfile(org.Login)), Login: org.Login, Name: org.Name,
		Enterprise: org.EnterpriseName, OptedIn: p.Effective().OptedIn,
	}))
}

// PATSettings shows the personal access token settings, or sends an
// organization that has not opted in to onboarding.
func (h OrgSettings) PATSettings(c echo.Context) error {
	org := guard.Org(c)
	p, err := h.Store.OrgPolicy(c.Request().Context(), org.ID)
	if err != nil {
		return err
	}
	eff := p.Effective()
	if !eff.OptedIn {
		return c.Redirect(http.StatusSeeOther, paths.OrgOnboarding(org.Login))
	}
	repos, err := h.Store.ReposOf(c.Request().Context(), org.ID)
	if err != nil {
		return err
	}
	return h.renderPAT(c, http.StatusOK, org, patForm(org, p, repos, savedRule(orgValues(eff, org.EnterpriseName), p.AutoApproval, repos)))
}

// patForm is the settings form at the version of p, showing v, and
// carrying the values of p as those it was built on.
func patForm(org db.Org, p db.OrgPolicy, repos []db.Repo, v views.OrgPolicyValues) views.PolicyForm {
	action := paths.OrgPATSettings(org.Login)
	form := views.OrgForm(action, p.Version, v)
	form.Original = views.OrgForm(action, p.Version, savedRule(orgValues(p.Effective(), org.EnterpriseName), p.AutoApproval, repos)).Values()
	return form
}

func (h OrgSettings) renderPAT(c echo.Context, status int, org db.Org, form views.PolicyForm) error {
	// Saying how many requests "Do not require administrator approval"
	// would approve, before the owner saves it.
	if g := &form.Groups[1]; g.LockedBy == "" {
		n, err := h.Store.CountGrants(c.Request().Context(), org.ID, policy.GrantPending)
		if err != nil {
			return err
		}
		g.Options[1].Notice = views.PendingNotice(n)
	}
	return render.Page(c, status, views.PATSettingsView(Chrome(c, "Personal access tokens · "+org.Login),
		views.PATSettingsPage{Nav: nav(org, paths.OrgPATSettings(org.Login)), Form: form}))
}

// SavePATSettings applies a submitted settings change. A change to a field
// the enterprise enforces, or a bad value, is refused with 422; a form built
// on settings that have since changed is refused with 409. Either way nothing
// is stored and the user's choices are shown again.
func (h OrgSettings) SavePATSettings(c echo.Context) error {
	org := guard.Org(c)
	ctx := c.Request().Context()
	form, p, err := h.submission(c)
	if err != nil {
		return err
	}
	eff := p.Effective()
	if !eff.OptedIn {
		return c.Redirect(http.StatusSeeOther, paths.OrgOnboarding(org.Login))
	}
	// A form opened before the last save is answered 409 first: its errors
	// may only be those of its age. A form without a version is not out of
	// date, just crafted: check it, then ask for a fresh one.
	change, rule := orgChangeFromForm(form), ruleFromForm(form)
	repos, err := h.Store.ReposOf(ctx, org.ID)
	if err != nil {
		return err
	}
	req := service.PolicyRequest{ActorID: guard.User(c).ID, BuiltOn: formBuiltOn(form), Confirmed: confirmed(form),
		ConfirmedApprovals: confirmedApprovals(form)}
	res, err := h.Policies.SaveOrg(ctx, service.SaveOrgInput{PolicyRequest: req, OrgID: org.ID, Current: p, Change: change, Rule: rule})
	if err != nil {
		return refusal[db.OrgPolicy]{
			conflict: func(cur db.OrgPolicy) error { return h.conflict(c, org, cur, repos, form) },
			invalid: func(errs policy.Errors) error {
				attempted := withSubmittedRule(withSubmitted(savedRule(orgValues(eff, org.EnterpriseName), p.AutoApproval, repos), change), rule)
				attempted.Errors = errs.ByField()
				return h.renderPAT(c, http.StatusUnprocessableEntity, org, patForm(org, p, repos, attempted))
			},
			confirm: func(ask *service.ConfirmApproval) error {
				p := policyConfirmation(c, ask, "Not requiring administrator approval approves every pending request of "+org.Login+" when you save.",
					paths.OrgPATSettings(org.Login))
				return render.Page(c, http.StatusOK, views.OrgConfirmView(Chrome(c, p.Title+" · "+org.Login), nav(org, paths.OrgPATSettings(org.Login)), p))
			},
		}.answer(err, p)
	}
	msg := "Personal access token settings saved."
	if res.ApprovedPending > 0 {
		msg += " Pending requests were approved, as approval is no longer required."
	}
	if err := session.SetFlash(c, msg); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, paths.OrgPATSettings(org.Login))
}

// conflict answers 409 to a submission built on settings other than p,
// now in force: a form at p's version showing p's values with just the
// user's edits on top (the values the old form merely showed would undo
// what was saved since), and the settings where they differ.
func (h OrgSettings) conflict(c echo.Context, org db.Org, p db.OrgPolicy, repos []db.Repo, submitted url.Values) error {
	saved := savedRule(orgValues(p.Effective(), org.EnterpriseName), p.AutoApproval, repos)
	edits := userEdits(submitted)
	form := patForm(org, p, repos, withSubmittedRule(withSubmitted(saved, orgChangeFromForm(edits)), ruleFromForm(edits)))
	cmp := views.Compare(patForm(org, p, repos, saved), form)
	form.Conflict = &cmp
	return h.renderPAT(c, http.StatusConflict, org, form)
}

// Onboarding shows the first step of opting in.
func (h OrgSettings) Onboarding(c echo.Context) error {
	org := guard.Org(c)
	p, err := h.Store.OrgPolicy(c.Request().Context(), org.ID)
	if err != nil {
		return err
	}
	eff := p.Effective()
	if eff.OptedIn {
		return c.Redirect(http.StatusSeeOther, paths.OrgPATSettings(org.Login))
	}
	return h.renderStep(c, http.StatusOK, org, eff, 1, orgValues(eff, org.EnterpriseName), "")
}

// OnboardingStep moves through the steps (Continue, Back) and enrolls.
// Earlier choices travel in hidden fields, so it needs no JavaScript and no
// server-side state.
func (h OrgSettings) OnboardingStep(c echo.Context) error {
	org := guard.Org(c)
	ctx := c.Request().Context()
	form, p, err := h.submission(c)
	if err != nil {
		return err
	}
	eff := p.Effective()
	if eff.OptedIn {
		return c.Redirect(http.StatusSeeOther, paths.OrgPATSettings(org.Login))
	}
	// Steps 1..n choose one setting each; step n+1 reviews them.
	steps := policy.OnboardingSteps()
	review := len(steps) + 1
	step, err := strconv.Atoi(form.Get("step"))
	if err != nil || step < 1 || step > review {
		step = 1
	}
	change := policy.OrgChange{
		FineGrained: formValue(form, string(policy.FieldFineGrained)),
		Approval:    formValue(form, string(policy.FieldApproval)),
		Classic:     formValue(form, string(policy.FieldClassic)),
	}
	values := withSubmitted(orgValues(eff, org.EnterpriseName), change)

	switch form.Get("nav") {
	case "back":
		return h.renderStep(c, http.StatusOK, org, eff, max(1, step-1), values, "")
	case "continue":
		if step == review {
			break
		}
		// Only this step's choice is checked here; Enroll checks them all.
		if _, errs := policy.ApplyOrgChange(p.Own, p.Enterprise, change.Only(steps[step-1])); len(errs) > 0 {
			values.Errors = errs.ByField()
			return h.renderStep(c, http.StatusUnprocessableEntity, org, eff, step, values, errs[0].Message)
		}
		return h.renderStep(c, http.StatusOK, org, eff, step+1, values, "")
	case "enroll":
		if step != review {
			break
		}
		req := service.PolicyRequest{ActorID: guard.User(c).ID}
		res, err := h.Policies.OptIn(ctx, service.SaveOrgInput{PolicyRequest: req, OrgID: org.ID, Current: p, Change: change})
		var bad *service.InvalidPolicy
		if errors.As(err, &bad) {
			return h.renderStep(c, http.StatusUnprocessableEntity, org, eff, review, values, bad.Errors[0].Message)
		}
		if err != nil && !errors.Is(err, db.ErrAlreadyOptedIn) {
			return err
		}
		msg := "This organization was already opted in by another owner; its settings were not changed."
		if err == nil {
			msg = enrolledFlash(views.OrgForm(paths.OrgOnboarding(org.Login), 0, orgValues(policy.Resolve(res.Settings, true, p.Enterprise), org.EnterpriseName)))
		}
		if err := session.SetFlash(c, msg); err != nil {
			return err
		}
		return c.Redirect(http.StatusSeeOther, paths.OrgPATSettings(org.Login))
	}
	return h.renderStep(c, http.StatusUnprocessableEntity, org, eff, step, values, "Use the Continue or Back button to move between steps.")
}

// enrolledFlash says what enrolling chose, in the words of the options, so
// that an owner who chose Restrict is not told tokens are enabled.
func enrolledFlash(form views.PolicyForm) string {
	var chosen []string
	for _, row := range form.Summary()[:len(policy.OnboardingSteps())] {
		chosen = append(chosen, row.Value)
	}
	return "Enrolled, and your settings were saved: " + strings.Join(chosen, "; ") + "."
}

func (h OrgSettings) renderStep(c echo.Context, status int, org db.Org, eff policy.Effective, step int, v views.OrgPolicyValues, msg string) error {
	form := views.OrgForm(paths.OrgOnboarding(org.Login), 0, v)
	page := views.OnboardingPage{
		Nav: nav(org, paths.OrgPATSettings(org.Login)), Action: paths.OrgOnboarding(org.Login), Step: step,
		FineGrained: v.FineGrained, Approval: v.Approval, Classic: v.Classic, Error: msg,
	}
	// The organization form's first groups are the onboarding steps, in order.
	if steps := len(policy.OnboardingSteps()); step <= steps {
		page.Group = form.Groups[step-1]
	} else {
		page.Review = form.Summary()[:steps]
	}
	return render.Page(c, status, views.OnboardingView(Chrome(c, "Set up personal access tokens · "+org.Login), page))
}

const auditPageSize = 50

// AuditLog lists the organization's audit events, newest first, optionally
// filtered by action, 50 a page.
func (h OrgSettings) AuditLog(c echo.Context) error {
	org := guard.Org(c)
	page, status, err := auditLog(c, h.Store, db.AuditQuery{OrgID: org.ID}, paths.OrgAuditLog(org.Login))
	if err != nil {
		return err
	}
	page.Nav = nav(org, page.Base)
	return render.Page(c, status, views.AuditLogView(Chrome(c, "Audit log · "+org.Login), page))
}

// auditReader reads audit logs.
type auditReader interface {
	AuditEvents(ctx context.Context, q db.AuditQuery) ([]db.AuditEvent, error)
}

// auditLog reads the page of the log q selects (by organization or
// enterprise) that the request's filter and cursor ask for, and the status
// to answer it with: 400 for a filter or cursor that is not valid.
func auditLog(c echo.Context, store auditReader, q db.AuditQuery, base string) (views.AuditPage, int, error) {
	action := c.QueryParam("action")
	page := views.AuditPage{Base: base, Action: action, Actions: policy.Actions()}
	if action != "" && !slices.Contains(page.Actions, action) {
		page.Error = "There is no action named “" + action + "”. Choose one from the list."
		return page, http.StatusBadRequest, nil
	}
	status := http.StatusOK
	var before int64
	if s := c.QueryParam(paths.BeforeParam); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n <= 0 {
			page.Error = "The page link is not valid; showing the newest events."
			status = http.StatusBadRequest
		} else {
			before = n
		}
	}
	q.Action, q.BeforeID, q.Limit = action, before, auditPageSize+1
	events, err := store.AuditEvents(c.Request().Context(), q)
	if err != nil {
		return page, 0, err
	}
	v := url.Values{}
	if action != "" {
		v.Set("action", action)
	}
	if before > 0 {
		page.NewestURL = base + "?" + v.Encode()
	}
	if len(events) > auditPageSize {
		events = events[:auditPageSize]
		page.OlderURL = paths.List{Path: base, Filter: v}.Before(events[len(events)-1].ID)
	}
	for _, e := range events {
		page.Rows = append(page.Rows, views.AuditRow{Action: e.Action, Actor: e.ActorLogin, Details: e.Details, Time: e.CreatedAt})
	}
	return page, status, nil
}

// submission reads a submitted settings form and the organization's policy
// in force, which the form changes.
func (h OrgSettings) submission(c echo.Context) (url.Values, db.OrgPolicy, error) {
	form, err := formOf(c)
	if err != nil {
		return nil, db.OrgPolicy{}, err
	}
	p, err := h.Store.OrgPolicy(c.Request().Context(), guard.Org(c).ID)
	return form, p, err
}
