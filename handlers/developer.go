package handlers

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

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

// DeveloperStore is what a user's own token pages read and write.
type DeveloperStore interface {
	TokensOf(ctx context.Context, userID int64, kind policy.Kind, before int64, limit int) ([]db.Token, error)
	TokenOf(ctx context.Context, userID, tokenID int64) (db.Token, error)
	TokenTargets(ctx context.Context, userID int64) ([]db.Target, error)
	OrgPolicy(ctx context.Context, orgID int64) (db.OrgPolicy, error)
	RoleIn(ctx context.Context, orgID, userID int64) (db.Role, error)
	MembershipsOf(ctx context.Context, userID int64) ([]db.Membership, error)
}

// memberStandings reads the policy in force in each organization the user
// belongs to, for deciding where classic tokens are blocked.
func (h Developer) memberStandings(c echo.Context, userID int64) ([]orgStanding, error) {
	ctx := c.Request().Context()
	ms, err := h.Store.MembershipsOf(ctx, userID)
	if err != nil {
		return nil, err
	}
	out := make([]orgStanding, 0, len(ms))
	for _, m := range ms {
		p, err := h.Store.OrgPolicy(ctx, m.Org.ID)
		if err != nil {
			return nil, err
		}
		out = append(out, orgStanding{login: m.Org.Login, eff: p.Effective(), owner: m.Role == db.RoleOwner})
	}
	return out, nil
}

// blockedIn names the organizations whose policy shuts active classic
// token t out.
func blockedIn(t db.Token, s views.Status, orgs []orgStanding) []string {
	if s.Label != string(policy.StateActive) {
		return nil
	}
	var out []string
	for _, o := range orgs {
		if blockedByPolicy(t, o.eff, o.owner) {
			out = append(out, o.login)
		}
	}
	return out
}

// policyStatus is a token's status on its owner's pages, saying when the
// policy in force in its organization blocks it; blocks caches what was
// read of each organization (nil: read afresh).
func (h Developer) policyStatus(c echo.Context, t db.Token, now time.Time, blocks map[int64]orgStanding) (views.Status, error) {
	s := tokenStatus(t, now)
	if t.OrgID == 0 || s.Label != string(policy.StateActive) {
		return s, nil
	}
	st, ok := blocks[t.OrgID]
	if !ok {
		ctx := c.Request().Context()
		p, err := h.Store.OrgPolicy(ctx, t.OrgID)
		if err != nil {
			return s, err
		}
		role, err := h.Store.RoleIn(ctx, t.OrgID, t.UserID)
		if err != nil {
			return s, err
		}
		st = orgStanding{eff: p.Effective(), owner: role == db.RoleOwner}
		if blocks != nil {
			blocks[t.OrgID] = st
		}
	}
	if blockedByPolicy(t, st.eff, st.owner) {
		return blockedStatus(t.OrgLogin), nil
	}
	return s, nil
}

// orgStanding is the policy in force in an organization and whether the
// user owns it.
type orgStanding struct {
	login string
	eff   policy.Effective
	owner bool
}

// Developer serves every user's Developer settings: their fine-grained and
// classic tokens.
type Developer struct {
	Store DeveloperStore
	// Tokens creates and withdraws the user's tokens.
	Tokens service.Tokens
	Now    func() time.Time
}

const (
	// selfOwner is the resource owner value of a token owned by its user.
	selfOwner = "@me"
	// tokenPageSize is how many tokens a Developer settings page lists.
	tokenPageSize = 50
)

// FineGrainedTokens lists the user's fine-grained tokens.
func (h Developer) FineGrainedTokens(c echo.Context) error { return h.list(c, policy.KindFineGrained) }

// ClassicTokens lists the user's classic tokens.
func (h Developer) ClassicTokens(c echo.Context) error { return h.list(c, policy.KindClassic) }

func (h Developer) list(c echo.Context, kind policy.Kind) error {
	before, err := cursor(c.QueryParam(paths.BeforeParam))
	if err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, "The page link is not valid.")
	}
	ts, err := h.Store.TokensOf(c.Request().Context(), guard.User(c).ID, kind, before, tokenPageSize+1)
	if err != nil {
		return err
	}
	now := h.Now()
	p := views.TokenListPage{Classic: kind == policy.KindClassic, NewURL: paths.NewToken(kind),
		Heading: "Fine-grained personal access tokens"}
	if p.Classic {
		p.Heading = "Personal access tokens (classic)"
	}
	if before > 0 {
		p.NewestURL = paths.Tokens(kind)
	}
	if len(ts) > tokenPageSize {
		ts = ts[:tokenPageSize]
		p.OlderURL = paths.List{Path: paths.Tokens(kind)}.Before(ts[len(ts)-1].ID)
	}
	blocks := map[int64]orgStanding{}
	var member []orgStanding
	if p.Classic {
		if member, err = h.memberStandings(c, guard.User(c).ID); err != nil {
			return err
		}
	}
	for _, t := range ts {
		status, err := h.policyStatus(c, t, now, blocks)
		if err != nil {
			return err
		}
		item := views.TokenItem{Name: t.Name, URL: paths.Token(kind, t.ID), Status: status,
			Expires: expiresText(t.ExpiresAt, now)}
		if p.Classic {
			item.BlockedIn = blockedIn(t, status, member)
		} else {
			item.Owner = t.OwnerLogin
			if t.OrgID != 0 {
				item.Owner = t.OrgLogin
			}
		}
		p.Tokens = append(p.Tokens, item)
	}
	return render.Page(c, http.StatusOK, views.TokenListView(Chrome(c, p.Heading), p))
}

// Token shows one of the user's tokens; right after creation, with its
// secret, once.
func (h Developer) Token(c echo.Context) error {
	kind := kindOfPath(c)
	t, err := h.ownToken(c, kind)
	if err != nil {
		return err
	}
	secret, err := session.TakeNewToken(c, t.ID)
	if err != nil {
		return err
	}
	now := h.Now()
	standing := map[int64]orgStanding{}
	status, err := h.policyStatus(c, t, now, standing)
	if err != nil {
		return err
	}
	p := views.TokenPage{
		Classic: kind == policy.KindClassic, ListURL: paths.Tokens(kind), Name: t.Name, Description: t.Description,
		Owner: t.OwnerLogin, Status: status, NewToken: secret,
		Created: date(t.CreatedAt), Expires: expiresText(t.ExpiresAt, now), LastUsed: lastUsedText(t.LastUsedAt, now),
		Access: tokenAccess(t), DeleteURL: paths.DeleteToken(kind, t.ID), RegenerateURL: paths.RegenerateToken(kind, t.ID),
	}
	if t.OrgID != 0 {
		p.Owner = t.OrgLogin
	}
	if p.Classic {
		member, err := h.memberStandings(c, t.UserID)
		if err != nil {
			return err
		}
		p.BlockedIn = blockedIn(t, status, member)
		if len(p.BlockedIn) > 0 {
			p.Refusals = refusals(t, member)
		}
	} else if st, ok := standing[t.OrgID]; ok {
		// Read only for an active token of an organization.
		st.login = t.OrgLogin
		p.Refusals = refusals(t, []orgStanding{st})
	}
	if g := t.Grant; g != nil {
		p.Justification, p.Reason = g.Justification, g.Reason
		if g.Status == policy.GrantPending {
			p.CancelURL = paths.CancelRequest(t.ID)
		}
	}
	return render.Page(c, http.StatusOK, views.TokenView(Chrome(c, t.Name), p))
}

func kindOfPath(c echo.Context) policy.Kind {
	if strings.HasPrefix(c.Path(), paths.Tokens(policy.KindClassic)+"/") {
		return policy.KindClassic
	}
	return policy.KindFineGrained
}

// ownToken loads the :id token of the signed-in user, of the path's kind;
// anything else is 404.
func (h Developer) ownToken(c echo.Context, kind policy.Kind) (db.Token, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return db.Token{}, echo.ErrNotFound
	}
	t, err := h.Store.TokenOf(c.Request().Context(), guard.User(c).ID, id)
	if errors.Is(err, db.ErrNotFound) || err == nil && t.Kind != kind {
		return db.Token{}, echo.ErrNotFound
	}
	return t, err
}

// DeleteToken deletes one of the user's tokens.
func (h Developer) DeleteToken(c echo.Context) error {
	kind := kindOfPath(c)
	t, err := h.ownToken(c, kind)
	if err != nil {
		return err
	}
	if !h.confirmed(c) {
		return h.confirm(c, t, "Delete “"+t.Name+"”?",
			"The token stops working at once, everywhere it is used. This cannot be undone.", "Delete token")
	}
	err = h.Tokens.Delete(c.Request().Context(), t.UserID, t.ID)
	if errors.Is(err, db.ErrNotFound) {
		return echo.ErrNotFound
	}
	if err != nil {
		return err
	}
	if err := session.SetFlash(c, "Token “"+t.Name+"” deleted. It no longer works anywhere."); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, paths.Tokens(kind))
}

// confirmed reports whether the action posted was confirmed.
func (h Developer) confirmed(c echo.Context) bool {
	form, err := c.FormParams()
	return err == nil && confirmed(form)
}

// confirm asks before an action on token t, with the token's page to go
// back to.
func (h Developer) confirm(c echo.Context, t db.Token, title, message, button string) error {
	back := paths.Token(t.Kind, t.ID)
	return render.Page(c, http.StatusOK, views.DeveloperConfirmView(Chrome(c, title),
		t.Kind == policy.KindClassic, confirmation(c, title, message, button, back)))
}

// CancelRequest withdraws the user's pending request.
func (h Developer) CancelRequest(c echo.Context) error {
	t, err := h.ownToken(c, policy.KindFineGrained)
	if err != nil {
		return err
	}
	if t.Grant != nil && t.Grant.Status == policy.GrantPending && !h.confirmed(c) {
		return h.confirm(c, t, "Cancel the request for “"+t.Name+"”?",
			"The request is withdrawn and the token deleted: owners of "+t.OrgLogin+" can no longer approve it.", "Cancel request")
	}
	err = h.Tokens.Cancel(c.Request().Context(), t.UserID, t.ID)
	switch {
	case errors.Is(err, db.ErrNotFound):
		return echo.ErrNotFound
	case errors.Is(err, db.ErrNotPending):
		return echo.NewHTTPError(http.StatusConflict, "This request is no longer pending: an owner has already decided on it, so there is nothing to cancel.")
	case err != nil:
		return err
	}
	if err := session.SetFlash(c, "Request for “"+t.Name+"” cancelled."); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, paths.Tokens(policy.KindFineGrained))
}

// NewFineGrained shows the new fine-grained token form.
func (h Developer) NewFineGrained(c echo.Context) error {
	targets, err := h.Store.TokenTargets(c.Request().Context(), guard.User(c).ID)
	if err != nil {
		return err
	}
	in := policy.TokenInput{Expiration: strconv.Itoa(policy.DefaultExpiration), Selection: string(policy.SelectPublic)}
	owner := c.QueryParam("owner")
	return h.renderNew(c, http.StatusOK, targets, owner, in, nil)
}

// CreateFineGrained checks and stores a new fine-grained token, then shows
// it once. A policy saved meanwhile is noticed by its version, and the
// request is checked again against the new one.
func (h Developer) CreateFineGrained(c echo.Context) error {
	ctx := c.Request().Context()
	user := guard.User(c)
	form, err := formOf(c)
	if err != nil {
		return err
	}
	owner := form.Get("resource_owner")
	in := tokenInput(form, owner)
	issued, targets, err := h.Tokens.CreateFineGrained(ctx, service.FineGrainedRequest{
		UserID: user.ID, ForUser: owner == selfOwner, Org: owner, Input: in})
	var invalid *service.Invalid
	var taken *service.Taken
	switch {
	case errors.Is(err, service.ErrNoSuchOwner):
		errs := policy.Errors{{Field: policy.FieldResourceOwner, Message: "Choose a resource owner from the list."}}
		return h.renderNew(c, http.StatusUnprocessableEntity, targets, owner, in, errs)
	case errors.As(err, &invalid):
		return h.renderNew(c, http.StatusUnprocessableEntity, targets, owner, in, invalid.Errors)
	case errors.Is(err, service.ErrKeepsChanging):
		// The organization's settings keep changing under the form: ask
		// for another try rather than failing.
		return echo.NewHTTPError(http.StatusConflict, "The organization's settings changed while the token was being created, and nothing was created. Submit the form again.")
	case errors.As(err, &taken):
		errs := policy.Errors{{Field: policy.FieldTokenName, Message: "You already have a token named “" + taken.Name + "”. Choose another name."}}
		return h.renderNew(c, http.StatusUnprocessableEntity, targets, owner, in, errs)
	case err != nil:
		return err
	}
	if err := session.SetNewToken(c, issued.ID, issued.Secret); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, paths.Token(policy.KindFineGrained, issued.ID))
}

func tokenInput(form url.Values, owner string) policy.TokenInput {
	in := policy.TokenInput{
		Name: form.Get("name"), Description: form.Get("description"), Expiration: form.Get("expiration"),
		Justification: form.Get("justification"), Selection: form.Get("repository_selection"),
		Repos: form["repo_"+owner], Permissions: map[string]string{},
	}
	for _, p := range policy.Permissions() {
		if v := form.Get("perm_" + p.Name); v != "" {
			in.Permissions[p.Name] = v
		}
	}
	return in
}

func (h Developer) renderNew(c echo.Context, status int, targets []db.Target, owner string, in policy.TokenInput, errs policy.Errors) error {
	user := guard.User(c)
	f := views.NewTokenForm{Action: paths.Tokens(policy.KindFineGrained), Name: in.Name, Description: in.Description,
		Justification: in.Justification, Expirations: expirationOptions(in.Expiration)}
	f.Errors, f.Summary = errorMap(errs)
	if owner == "" {
		owner = selfOwner
	}
	f.Owners = append(f.Owners, views.OwnerOption{Value: selfOwner, Label: user.Login, Selected: owner == selfOwner})
	var limits []string
	for _, t := range targets {
		if !t.Rules.Offered() {
			continue
		}
		o := views.OwnerOption{Value: t.Rules.Login, Label: t.Rules.Login, Selected: owner == t.Rules.Login, MaxDays: t.Rules.MaxLifetime()}
		if max := t.Rules.MaxLifetime(); max > 0 {
			limits = append(limits, t.Rules.Login+" (at most "+strconv.Itoa(max)+" days)")
			if o.Selected {
				limitExpirations(f.Expirations, max)
			}
		}
		switch {
		case t.Rules.NeedsApproval() && t.Rules.MaxLifetime() > 0:
			o.Note = "an owner approves requests; tokens expire within " + strconv.Itoa(t.Rules.MaxLifetime()) + " days"
		case t.Rules.NeedsApproval():
			o.Note = "an owner approves requests"
		case t.Rules.MaxLifetime() > 0:
			o.Note = "tokens expire within " + strconv.Itoa(t.Rules.MaxLifetime()) + " days"
		}
		f.Owners = append(f.Owners, o)
		g := views.RepoGroup{Owner: t.Rules.Login, Label: t.Rules.Login}
		for _, r := range t.Repos {
			id := idString(r.ID)
			g.Repos = append(g.Repos, views.RepoChoice{ID: id, Name: r.Name,
				Checked: owner == t.Rules.Login && slices.Contains(in.Repos, id)})
		}
		f.RepoGroups = append(f.RepoGroups, g)
	}
	if len(limits) > 0 {
		f.ExpirationHelp = "Longer expirations are not available for " + strings.Join(limits, ", ") + "."
	}
	for _, s := range policy.Selections() {
		f.Selections = append(f.Selections, views.Option{Value: string(s), Label: s.Label(), Selected: string(s) == in.Selection})
	}
	for _, p := range policy.Permissions() {
		chosen := in.Permissions[p.Name]
		pc := views.PermissionChoice{Name: p.Name, Label: p.Label, Help: permissionHelp(p)}
		for _, l := range policy.Levels() {
			pc.Options = append(pc.Options, views.Option{Value: string(l), Label: l.Label(),
				Selected: string(l) == chosen || chosen == "" && l == policy.LevelNone})
		}
		switch {
		case p.Org:
			f.OrgPerms = append(f.OrgPerms, pc)
		case p.Account:
			f.AccountPerms = append(f.AccountPerms, pc)
		default:
			f.RepoPerms = append(f.RepoPerms, pc)
		}
	}
	return render.Page(c, status, views.NewTokenView(Chrome(c, "New fine-grained personal access token"), f))
}

func permissionHelp(p policy.Permission) string {
	switch p.Name {
	case "contents":
		return "Repository files, commits, branches and releases."
	case "issues":
		return "Issues and their comments, labels and milestones."
	case policy.Metadata:
		return "Basic repository facts; any repository permission includes reading them."
	case "pull_requests":
		return "Pull requests and their reviews."
	case "administration":
		return "Repository settings, teams and collaborators."
	case "members":
		return "The organization's members and teams."
	case "organization_administration":
		return "The organization's profile and settings, including its token requests."
	case policy.GitSSHKeys:
		return "Your account's SSH keys: read-only lists them, read and write also adds them."
	}
	return ""
}

// NewClassic shows the new classic token form.
func (h Developer) NewClassic(c echo.Context) error {
	return h.renderClassic(c, http.StatusOK, policy.ClassicInput{Expiration: strconv.Itoa(policy.DefaultExpiration)}, nil)
}

// CreateClassic checks and stores a new classic token, then shows it once.
func (h Developer) CreateClassic(c echo.Context) error {
	form, err := formOf(c)
	if err != nil {
		return err
	}
	in := policy.ClassicInput{Note: form.Get("note"), Expiration: form.Get("expiration"), Scopes: form["scopes"]}
	issued, err := h.Tokens.CreateClassic(c.Request().Context(), guard.User(c).ID, in)
	var invalid *service.Invalid
	var taken *service.Taken
	switch {
	case errors.As(err, &invalid):
		return h.renderClassic(c, http.StatusUnprocessableEntity, in, invalid.Errors)
	case errors.As(err, &taken):
		errs := policy.Errors{{Field: policy.FieldNote, Message: "Note has already been taken: you have a classic token noted “" + taken.Name + "”. Choose another note."}}
		return h.renderClassic(c, http.StatusUnprocessableEntity, in, errs)
	case err != nil:
		return err
	}
	if err := session.SetNewToken(c, issued.ID, issued.Secret); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, paths.Token(policy.KindClassic, issued.ID))
}

func (h Developer) renderClassic(c echo.Context, status int, in policy.ClassicInput, errs policy.Errors) error {
	f := views.NewClassicForm{Action: paths.Tokens(policy.KindClassic), Note: in.Note, Expirations: expirationOptions(in.Expiration)}
	f.Errors, f.Summary = errorMap(errs)
	for _, s := range policy.Scopes() {
		f.Scopes = append(f.Scopes, views.ScopeChoice{Name: s, Help: policy.ScopeHelp(s), Checked: slices.Contains(in.Scopes, s)})
	}
	return render.Page(c, status, views.NewClassicView(Chrome(c, "New personal access token (classic)"), f))
}
