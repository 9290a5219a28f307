package handlers

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
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

// GrantStore is what an organization's request queue and active-token list
// read and write.
type GrantStore interface {
	ListGrants(ctx context.Context, q db.GrantQuery) (db.GrantPage, error)
	GrantOf(ctx context.Context, orgID, grantID int64) (db.Token, error)
	MembersOf(ctx context.Context, orgID int64) ([]db.Member, error)
	ReposOf(ctx context.Context, orgID int64) ([]db.Repo, error)
	CountGrants(ctx context.Context, orgID int64, status policy.GrantStatus) (int, error)
	WithdrawalOf(ctx context.Context, orgID, grantID int64) (db.Withdrawal, error)
	OrgPolicy(ctx context.Context, orgID int64) (db.OrgPolicy, error)
	RoleIn(ctx context.Context, orgID, userID int64) (db.Role, error)
}

// blocking tells which active tokens the policy in force in an
// organization shuts out, reading each owner's role at most once and only
// when it matters (administrators exempt from the maxima).
type blocking struct {
	store  GrantStore
	eff    policy.Effective
	owners map[int64]bool
}

func (h OrgTokens) blocking(ctx context.Context, orgID int64) (*blocking, error) {
	p, err := h.Store.OrgPolicy(ctx, orgID)
	if err != nil {
		return nil, err
	}
	return &blocking{store: h.Store, eff: p.Effective(), owners: map[int64]bool{}}, nil
}

// blocked reports whether the policy shuts active token t out.
func (b *blocking) blocked(ctx context.Context, t db.Token) (bool, error) {
	owner := false
	if b.eff.ExemptAdmins {
		var ok bool
		if owner, ok = b.owners[t.UserID]; !ok {
			role, err := b.store.RoleIn(ctx, t.OrgID, t.UserID)
			if err != nil {
				return false, err
			}
			owner = role == db.RoleOwner
			b.owners[t.UserID] = owner
		}
	}
	return blockedByPolicy(t, b.eff, owner), nil
}

// OrgTokens serves an organization's Pending requests and Active tokens to
// its owners, who review them through Reviews.
type OrgTokens struct {
	Store   GrantStore
	Reviews service.Grants
	Now     func() time.Time
}

const grantPageSize = 50

// grantList is what differs between the two lists.
type grantList struct {
	status  policy.GrantStatus
	heading string
	lead    string
	empty   string
	// path is the list's page in an organization, item a row's own page.
	path func(org string) string
	item func(org string, id int64) string
	// counted names the list's rows after a number: "12 pending".
	counted string
}

var (
	pendingList = grantList{policy.GrantPending, "Pending requests",
		"Fine-grained personal access tokens waiting for an owner's review before they reach this organization.",
		"No pending requests", paths.OrgPendingRequests, paths.OrgRequest, "pending"}
	activeList = grantList{policy.GrantApproved, "Active tokens",
		"Fine-grained personal access tokens that may reach this organization's resources.",
		"No active tokens", paths.OrgActiveTokens, paths.OrgActiveToken, "active"}
)

// PendingRequests lists the queue.
func (h OrgTokens) PendingRequests(c echo.Context) error {
	return h.list(c, pendingList, http.StatusOK, "")
}

// ActiveTokens lists the approved tokens.
func (h OrgTokens) ActiveTokens(c echo.Context) error {
	return h.list(c, activeList, http.StatusOK, "")
}

// listFilter is a list's filters as typed in the URL.
type listFilter struct {
	owner, repo, permission string
}

func (f listFilter) values() url.Values {
	v := url.Values{}
	for k, s := range map[string]string{"owner": f.owner, "repository": f.repo, "permission": f.permission} {
		if s != "" {
			v.Set(k, s)
		}
	}
	return v
}

func (h OrgTokens) list(c echo.Context, l grantList, status int, problem string) error {
	ctx := c.Request().Context()
	org := guard.Org(c)
	f := listFilter{owner: c.QueryParam("owner"), repo: c.QueryParam("repository"), permission: c.QueryParam("permission")}
	members, err := h.Store.MembersOf(ctx, org.ID)
	if err != nil {
		return err
	}
	repos, err := h.Store.ReposOf(ctx, org.ID)
	if err != nil {
		return err
	}
	total, err := h.Store.CountGrants(ctx, org.ID, l.status)
	if err != nil {
		return err
	}
	base := l.path(org.Login)
	list := paths.List{Path: base, Filter: f.values()}
	p := views.GrantListPage{Nav: nav(org, base), Pending: l.status == policy.GrantPending, Heading: l.heading, Lead: l.lead,
		Empty: l.empty, BaseURL: base, Action: list.URL(), Filtered: f != listFilter{}, Error: problem,
		Count: listCount(total, l.counted, f != listFilter{})}
	if p.Filtered {
		p.Empty = l.empty + " match these filters"
	}
	q := db.GrantQuery{OrgID: org.ID, Status: l.status, Limit: grantPageSize}
	var bad []string

	p.Owners = []views.Option{{Value: "", Label: "Any owner", Selected: f.owner == ""}}
	for _, m := range members {
		p.Owners = append(p.Owners, views.Option{Value: m.Login, Label: m.Login, Selected: m.Login == f.owner})
		if m.Login == f.owner {
			q.OwnerID = m.ID
		}
	}
	if f.owner != "" && q.OwnerID == 0 {
		bad = append(bad, "“"+f.owner+"” is not a member of "+org.Login+".")
	}
	p.Repos = []views.Option{{Value: "", Label: "Any repository", Selected: f.repo == ""}}
	for _, r := range repos {
		p.Repos = append(p.Repos, views.Option{Value: r.Name, Label: r.Name, Selected: r.Name == f.repo})
		if r.Name == f.repo {
			q.RepoID = r.ID
		}
	}
	if f.repo != "" && q.RepoID == 0 {
		bad = append(bad, org.Login+" has no repository named “"+f.repo+"”.")
	}
	p.Permissions = []views.Option{{Value: "", Label: "Any permission", Selected: f.permission == ""}}
	for _, perm := range policy.Permissions() {
		p.Permissions = append(p.Permissions, views.Option{Value: perm.Name, Label: perm.Label, Selected: perm.Name == f.permission})
	}
	if _, ok := policy.PermissionByName(f.permission); f.permission != "" && !ok {
		bad = append(bad, "There is no permission named “"+f.permission+"”.")
	}
	// A page link that cannot be read (cut short, edited by hand) is no
	// reason to show nothing: the list starts again at its first page.
	q.Before, err = cursor(c.QueryParam(paths.BeforeParam))
	if err == nil {
		q.After, err = cursor(c.QueryParam(paths.AfterParam))
	}
	if err != nil {
		p.Notice = "The page link could not be read, so this is the first page."
		q.Before, q.After = 0, 0
	}
	q.Permission = f.permission
	if len(bad) > 0 {
		p.Error = bad[0]
		return render.Page(c, http.StatusBadRequest, views.GrantListView(Chrome(c, l.heading+" · "+org.Login), p))
	}

	page, err := h.Store.ListGrants(ctx, q)
	if err != nil {
		return err
	}
	now := h.Now()
	var blocks *blocking
	if l.status == policy.GrantApproved {
		if blocks, err = h.blocking(ctx, org.ID); err != nil {
			return err
		}
	}
	for _, t := range page.Tokens {
		row := grantRow(org, l, t, now)
		if blocks != nil && !row.Expired {
			blocked, err := blocks.blocked(ctx, t)
			if err != nil {
				return err
			}
			if blocked {
				row.Blocked = blockedStatus(org.Login).Label
			}
		}
		p.Rows = append(p.Rows, row)
	}
	if len(page.Tokens) > 0 {
		if page.HasNewer {
			p.NewerURL = list.After(page.Tokens[0].Grant.ID)
		}
		if page.HasOlder {
			p.OlderURL = list.Before(page.Tokens[len(page.Tokens)-1].Grant.ID)
		}
	}
	return render.Page(c, status, views.GrantListView(Chrome(c, l.heading+" · "+org.Login), p))
}

// listCount says how many rows a list has in all. It comes from the
// per-status counters the store keeps, so it costs one lookup however long
// the list; counting what filters match would mean reading every row, so
// a filtered list says that its count is of the whole list.
func listCount(n int, noun string, filtered bool) string {
	s := thousands(n) + " " + noun
	if filtered {
		s += " in all, before filters"
	}
	return s
}

// thousands writes a count (never negative) with commas between groups of
// three digits.
func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// excerptRunes and excerptLines bound the justification a list row shows;
// the request's own page shows all of it.
const (
	excerptRunes = 140
	excerptLines = 3
)

// excerpt cuts s to a few lines and characters, at a word where it can,
// and reports whether anything was cut.
func excerpt(s string) (string, bool) {
	cut := false
	if lines := strings.Split(s, "\n"); len(lines) > excerptLines {
		s, cut = strings.Join(lines[:excerptLines], "\n"), true
	}
	if r := []rune(s); len(r) > excerptRunes {
		s, cut = string(r[:excerptRunes]), true
		if i := strings.LastIndexAny(s, " \n"); i > len(s)/2 {
			s = s[:i]
		}
	}
	if cut {
		s = strings.TrimRight(s, " \n\r\t") + "…"
	}
	return s, cut
}

func cursor(s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return 0, errors.New("bad cursor")
	}
	return n, nil
}

func grantRow(org db.Org, l grantList, t db.Token, now time.Time) views.GrantRow {
	r := views.GrantRow{
		ID: idString(t.Grant.ID), Name: t.Name, URL: l.item(org.Login, t.Grant.ID), Owner: t.OwnerLogin,
		Access: accessSummary(t), Permissions: permissionSummary(t), Justification: t.Grant.Justification,
		Expires: expiresText(t.ExpiresAt, now), Expired: policy.Expired(t.ExpiresAt, now),
		LastUsed: lastUsedText(t.LastUsedAt, now), Age: ago(t.Grant.CreatedAt, now),
	}
	r.Excerpt, r.Clipped = excerpt(t.Grant.Justification)
	if l.status == policy.GrantApproved && !t.Grant.DecidedAt.IsZero() {
		r.Age = ago(t.Grant.DecidedAt, now)
	}
	return r
}

// Request shows one request.
func (h OrgTokens) Request(c echo.Context) error { return h.detail(c, pendingList) }

// Token shows one active token.
func (h OrgTokens) Token(c echo.Context) error { return h.detail(c, activeList) }

func (h OrgTokens) grant(c echo.Context) (db.Token, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return db.Token{}, echo.ErrNotFound
	}
	t, err := h.Store.GrantOf(c.Request().Context(), guard.Org(c).ID, id)
	if errors.Is(err, db.ErrNotFound) {
		return t, echo.ErrNotFound
	}
	return t, err
}

func (h OrgTokens) detail(c echo.Context, l grantList) error {
	return h.detailWith(c, l, http.StatusOK, "")
}

// detailWith shows one grant with status and problem, a refusal to show
// above it. A grant whose token its owner deleted (a cancelled request) is
// shown as such, not as missing.
func (h OrgTokens) detailWith(c echo.Context, l grantList, status int, problem string) error {
	org := guard.Org(c)
	t, err := h.grant(c)
	if errors.Is(err, echo.ErrNotFound) {
		return h.withdrawn(c, l, status, problem)
	}
	if err != nil {
		return err
	}
	now := h.Now()
	g := t.Grant
	p := views.GrantPage{Nav: nav(org, l.path(org.Login)), Pending: l.status == policy.GrantPending,
		Row: grantRow(org, l, t, now), Status: grantStatus(g.Status), Access: tokenAccess(t),
		Created: date(g.CreatedAt), Reason: g.Reason, BackURL: l.path(org.Login), Error: problem}
	if g.Status == policy.GrantApproved && !p.Row.Expired {
		blocks, err := h.blocking(c.Request().Context(), org.ID)
		if err != nil {
			return err
		}
		blocked, err := blocks.blocked(c.Request().Context(), t)
		if err != nil {
			return err
		}
		if blocked {
			p.Status = blockedStatus(org.Login)
		}
	}
	if g.Status != policy.GrantPending && !g.DecidedAt.IsZero() {
		p.Reviewed = grantStatus(g.Status).Label + " on " + date(g.DecidedAt)
		if g.Reviewer != "" {
			p.Reviewed += " by " + g.Reviewer
		}
	}
	// The page offers each action of its list that the grant allows.
	can := func(a policy.ReviewAction) bool { return a.From() == l.status && policy.CanReview(g.Status, a) }
	if can(policy.ReviewApprove) {
		p.ApproveURL = paths.OrgApproveRequest(org.Login, g.ID)
	}
	if can(policy.ReviewDeny) {
		p.DenyURL = paths.OrgDenyRequest(org.Login, g.ID)
	}
	if can(policy.ReviewRevoke) {
		p.RevokeURL = paths.OrgRevokeToken(org.Login, g.ID)
	}
	return render.Page(c, status, views.GrantView(Chrome(c, t.Name+" · "+org.Login), p))
}

// withdrawn shows a grant whose token its owner deleted: who and when.
func (h OrgTokens) withdrawn(c echo.Context, l grantList, status int, problem string) error {
	org := guard.Org(c)
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return echo.ErrNotFound
	}
	w, err := h.Store.WithdrawalOf(c.Request().Context(), org.ID, id)
	if errors.Is(err, db.ErrNotFound) {
		return echo.ErrNotFound
	}
	if err != nil {
		return err
	}
	p := views.GrantPage{Nav: nav(org, l.path(org.Login)), Pending: l.status == policy.GrantPending,
		Row: views.GrantRow{Name: w.Name, Owner: w.Owner}, BackURL: l.path(org.Login), Error: problem,
		Status: views.Status{Label: "Deleted", Class: "revoked"}}
	p.Withdrawn = "The token was deleted by its owner, " + w.Owner + ", on " + date(w.At) + "."
	if w.Status == policy.GrantPending {
		p.Status.Label = "Cancelled"
		p.Withdrawn = "The request was cancelled by its requester, " + w.Owner + ", on " + date(w.At) + "."
	}
	return render.Page(c, status, views.GrantView(Chrome(c, w.Name+" · "+org.Login), p))
}

// refused answers a review the rules refused: 409 on the grant's own page,
// with the refusal and what became of the grant; the site's 404 for a
// grant the organization never had. Other errors pass through.
func (h OrgTokens) refused(c echo.Context, l grantList, err error) error {
	var r *service.Refusal
	switch {
	case errors.Is(err, policy.ErrNoSuchGrant):
		return echo.ErrNotFound
	case errors.As(err, &r):
		return h.detailWith(c, l, http.StatusConflict, r.Error())
	}
	return err
}

func grantStatus(s policy.GrantStatus) views.Status {
	switch s {
	case policy.GrantApproved:
		return views.Status{Label: "Approved", Class: "active"}
	case policy.GrantDenied:
		return views.Status{Label: "Denied", Class: "denied"}
	case policy.GrantRevoked:
		return views.Status{Label: "Revoked", Class: "revoked"}
	}
	return views.Status{Label: "Pending", Class: "pending"}
}

// Approve approves one request.
func (h OrgTokens) Approve(c echo.Context) error {
	return h.reviewOne(c, pendingList, policy.ReviewApprove, "")
}

// DenyForm asks for an optional reason before denying.
func (h OrgTokens) DenyForm(c echo.Context) error {
	t, err := h.grant(c)
	if err != nil {
		return err
	}
	if err := service.Refuse(t, policy.ReviewDeny); err != nil {
		return h.refused(c, pendingList, err)
	}
	return h.renderDeny(c, http.StatusOK, t, "", "")
}

func (h OrgTokens) renderDeny(c echo.Context, status int, t db.Token, reason, problem string) error {
	org := guard.Org(c)
	url := paths.OrgRequest(org.Login, t.Grant.ID)
	return render.Page(c, status, views.DenyView(Chrome(c, "Deny "+t.Name+" · "+org.Login), views.DenyPage{
		Nav: nav(org, pendingList.path(org.Login)), Name: t.Name, Owner: t.OwnerLogin, Action: paths.OrgDenyRequest(org.Login, t.Grant.ID),
		BackURL: url, Reason: reason, Error: problem,
	}))
}

// Deny denies one request with the optional reason.
func (h OrgTokens) Deny(c echo.Context) error {
	reason, errs := policy.CheckReason(c.FormValue("reason"))
	if len(errs) > 0 {
		t, err := h.grant(c)
		if err != nil {
			return err
		}
		return h.renderDeny(c, http.StatusUnprocessableEntity, t, c.FormValue("reason"), errs[0].Message)
	}
	return h.reviewOne(c, pendingList, policy.ReviewDeny, reason)
}

// Revoke revokes one active token, for good, once confirmed.
func (h OrgTokens) Revoke(c echo.Context) error {
	form, err := formOf(c)
	if err != nil {
		return err
	}
	if !confirmed(form) {
		// Only a token still active is asked about; anything else gets
		// reviewOne's answer at once.
		if t, err := h.grant(c); err == nil && policy.CanReview(t.Grant.Status, policy.ReviewRevoke) {
			org := guard.Org(c)
			return h.confirm(c, activeList, "Revoke “"+t.Name+"”?",
				"Revoking is final: "+t.OwnerLogin+"'s token never reaches "+org.Login+"'s private resources again.",
				"Revoke token", paths.OrgActiveToken(org.Login, t.Grant.ID))
		}
	}
	return h.reviewOne(c, activeList, policy.ReviewRevoke, "")
}

// confirm asks before a review on the list l, with back to return to.
func (h OrgTokens) confirm(c echo.Context, l grantList, title, message, button, back string) error {
	org := guard.Org(c)
	return render.Page(c, http.StatusOK, views.OrgConfirmView(Chrome(c, title+" · "+org.Login),
		nav(org, l.path(org.Login)), confirmation(c, title, message, button, back)))
}

// reviewOne applies action to the :id grant of the list l.
func (h OrgTokens) reviewOne(c echo.Context, l grantList, action policy.ReviewAction, reason string) error {
	org := guard.Org(c)
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return echo.ErrNotFound
	}
	res, err := h.Reviews.ReviewOne(c.Request().Context(), service.Review{
		OrgID: org.ID, ActorID: guard.User(c).ID, IDs: []int64{id}, Action: action, Reason: reason,
	})
	if err != nil {
		return h.refused(c, l, err)
	}
	if err := session.SetFlash(c, reviewFlash(action, res)); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, l.path(org.Login))
}

// reviewFlash tells what a review did: what moved, and how many of the
// selected grants it left as they were.
func reviewFlash(action policy.ReviewAction, res db.ReviewResult) string {
	n := len(res.Moved)
	noun := "requests"
	if action == policy.ReviewRevoke {
		noun = "tokens"
	}
	if n == 1 {
		noun = noun[:len(noun)-1]
	}
	verb := map[policy.ReviewAction]string{policy.ReviewApprove: "Approved", policy.ReviewDeny: "Denied", policy.ReviewRevoke: "Revoked"}[action]
	var msg string
	switch {
	case n == 1:
		msg = fmt.Sprintf("%s “%s”.", verb, res.Moved[0].Name)
	case n > 1:
		msg = fmt.Sprintf("%s %d %s.", verb, n, noun)
	}
	switch res.Skipped {
	case 0:
	case 1:
		msg += " 1 selected item had already been decided or withdrawn and was left as it was."
	default:
		msg += fmt.Sprintf(" %d selected items had already been decided or withdrawn and were left as they were.", res.Skipped)
	}
	return msg
}

// ReviewRequests approves or denies the selected requests.
func (h OrgTokens) ReviewRequests(c echo.Context) error { return h.bulk(c, pendingList) }

// RevokeTokens revokes the selected tokens.
func (h OrgTokens) RevokeTokens(c echo.Context) error { return h.bulk(c, activeList) }

func (h OrgTokens) bulk(c echo.Context, l grantList) error {
	org := guard.Org(c)
	form, err := formOf(c)
	if err != nil {
		return err
	}
	// Each list offers the actions that move its own rows.
	action, ok := policy.ParseReviewAction(form.Get("decision"))
	if !ok || action.From() != l.status {
		return h.list(c, l, http.StatusUnprocessableEntity, "Choose what to do with the selected rows.")
	}
	var ids []int64
	for _, s := range form["id"] {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id <= 0 {
			return h.list(c, l, http.StatusUnprocessableEntity, "The selection could not be read. Select the rows again.")
		}
		ids = append(ids, id)
	}
	if len(ids) == 0 {
		return h.list(c, l, http.StatusUnprocessableEntity, "Select at least one row first.")
	}
	if len(ids) > db.MaxReview {
		return h.list(c, l, http.StatusUnprocessableEntity, fmt.Sprintf("Select at most %d rows at a time.", db.MaxReview))
	}
	reason, errs := policy.CheckReason(form.Get("reason"))
	if len(errs) > 0 {
		return h.list(c, l, http.StatusUnprocessableEntity, errs[0].Message)
	}
	if action != policy.ReviewDeny {
		reason = ""
	}
	back := l.path(org.Login)
	if q := c.QueryString(); q != "" {
		back += "?" + q
	}
	if !confirmed(form) {
		title, message, button := bulkQuestion(org, action, len(ids))
		return h.confirm(c, l, title, message, button, back)
	}
	res, err := h.Reviews.ReviewAll(c.Request().Context(), service.Review{
		OrgID: org.ID, ActorID: guard.User(c).ID, IDs: ids, Action: action, Reason: reason,
	})
	// When none moved, the flash says how many were left as they were.
	if err != nil && !errors.Is(err, policy.ErrNoneReviewable) {
		return err
	}
	if err := session.SetFlash(c, reviewFlash(action, res)); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, back)
}

// bulkQuestion is what a bulk review's confirmation asks, says and names
// its button.
func bulkQuestion(org db.Org, action policy.ReviewAction, n int) (title, message, button string) {
	count := func(noun string) string {
		if n == 1 {
			return "1 " + noun
		}
		return strconv.Itoa(n) + " " + noun + "s"
	}
	switch action {
	case policy.ReviewApprove:
		return "Approve " + count("request") + "?",
			"The selected tokens reach " + org.Login + "'s resources at once, within what each requested.",
			"Approve selected requests"
	case policy.ReviewDeny:
		return "Deny " + count("request") + "?",
			"The selected tokens never reach " + org.Login + "'s private resources; their owners see that they were denied, with your reason if you gave one.",
			"Deny selected requests"
	}
	return "Revoke " + count("token") + "?",
		"Revoking is final: the selected tokens never reach " + org.Login + "'s private resources again.",
		"Revoke selected tokens"
}
