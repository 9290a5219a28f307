package api

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
	"patpolicy/web/render"
)

// APIGrantStore is what GitHub's eight administration endpoints read and
// write.
type GrantStore interface {
	TokenChecker
	GrantOf(ctx context.Context, orgID, grantID int64) (db.Token, error)
	ListAPIGrants(ctx context.Context, q db.APIGrantQuery) ([]db.Token, int, error)
	UserByLogin(ctx context.Context, login string) (int64, error)
}

// APIGrants serves an organization's fine-grained token requests and
// tokens to its owners' tokens, as GitHub's administration endpoints do.
// Their reviews are the screens' own (Reviews): same audit events, same
// refusals.
type Grants struct {
	Store   GrantStore
	Reviews service.Grants
	Now     func() time.Time
}

// grantList is one of the two lists: pending requests or active tokens.
type grantList struct {
	status policy.GrantStatus
}

var (
	pendingList = grantList{policy.GrantPending}
	activeList  = grantList{policy.GrantApproved}
)

func (h Grants) access() apiAccess { return apiAccess{Store: h.Store, Now: h.Now} }

// owned loads the :org organization and checks the caller may administer it.
func (h Grants) owned(c echo.Context) (db.OrgAccess, error) { return h.access().administered(c) }

// Requests is GET /orgs/{org}/personal-access-token-requests.
func (h Grants) Requests(c echo.Context) error { return h.list(c, pendingList) }

// Tokens is GET /orgs/{org}/personal-access-tokens.
func (h Grants) Tokens(c echo.Context) error { return h.list(c, activeList) }

func (h Grants) list(c echo.Context, l grantList) error {
	org, err := h.owned(c)
	if err != nil {
		return err
	}
	p, err := pagingOf(c)
	if err != nil {
		return err
	}
	q, none, err := h.query(c, org, l.status)
	if err != nil {
		return err
	}
	q.Page, q.PerPage = p.Page, p.PerPage
	var tokens []db.Token
	total := 0
	if !none {
		if tokens, total, err = h.Store.ListAPIGrants(c.Request().Context(), q); err != nil {
			return err
		}
	}
	setLink(c, p, total)
	now := h.Now()
	if l.status == policy.GrantPending {
		out := make([]GrantRequestJSON, 0, len(tokens))
		for _, t := range tokens {
			out = append(out, grantRequestJSON(c, org.Org.Login, t, now))
		}
		return render.JSON(c, http.StatusOK, out)
	}
	out := make([]GrantJSON, 0, len(tokens))
	for _, t := range tokens {
		out = append(out, grantJSON(c, org.Org.Login, t, now))
	}
	return render.JSON(c, http.StatusOK, out)
}

// query reads GitHub's filters. none reports filters no grant can match
// (owners who do not exist).
func (h Grants) query(c echo.Context, org db.OrgAccess, status policy.GrantStatus) (q db.APIGrantQuery, none bool, err error) {
	q = db.APIGrantQuery{OrgID: org.Org.ID, Status: status}
	params := c.QueryParams()
	bad := func(field, msg string) (db.APIGrantQuery, bool, error) {
		return q, false, invalid("Query", FieldProblem{Field: field, Code: "invalid", Message: msg})
	}
	if s := params.Get("sort"); s != "" && s != "created_at" {
		return bad("sort", "sort must be created_at")
	}
	switch params.Get("direction") {
	case "", "desc":
	case "asc":
		q.Ascending = true
	default:
		return bad("direction", "direction must be asc or desc")
	}
	owners := listParam(params, "owner")
	if len(owners) > 10 {
		return bad("owner", "owner takes at most 10 logins")
	}
	for _, login := range owners {
		id, err := h.Store.UserByLogin(c.Request().Context(), login)
		if errors.Is(err, db.ErrNotFound) {
			continue
		}
		if err != nil {
			return q, false, err
		}
		q.OwnerIDs = append(q.OwnerIDs, id)
	}
	if len(owners) > 0 && len(q.OwnerIDs) == 0 {
		none = true
	}
	if name := params.Get("repository"); name != "" {
		r, ok := org.Repo(name)
		if !ok {
			return bad("repository", "there is no repository "+name+" in "+org.Org.Login)
		}
		q.RepoID = r.ID
	}
	if s := params.Get("permission"); s != "" {
		name, level := permissionFilter(s)
		if _, ok := policy.PermissionByName(name); !ok || level == policy.LevelWrite {
			return bad("permission", "there is no permission filter "+s+"; use a permission name such as contents or contents_read")
		}
		q.Permission = name
	}
	for _, b := range []struct {
		name string
		dst  *time.Time
	}{{"last_used_before", &q.LastUsedBefore}, {"last_used_after", &q.LastUsedAfter}} {
		if s := params.Get(b.name); s != "" {
			t, err := time.Parse(time.RFC3339, s)
			if err != nil {
				return bad(b.name, b.name+" must be a time such as 2026-01-31T12:00:00Z")
			}
			*b.dst = t
		}
	}
	ids := listParam(params, "token_id")
	if len(ids) > 50 {
		return bad("token_id", "token_id takes at most 50 ids")
	}
	for _, s := range ids {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id < 1 {
			return bad("token_id", "token_id must be whole numbers")
		}
		q.TokenIDs = append(q.TokenIDs, id)
	}
	return q, none, nil
}

// listParam reads an array filter in each form clients send it:
// name[]=a&name[]=b, name=a&name=b, and Octokit's name=a,b.
func listParam(params url.Values, name string) []string {
	var out []string
	for _, v := range append(params[name+"[]"], params[name]...) {
		for _, item := range strings.Split(v, ",") {
			if item = strings.TrimSpace(item); item != "" {
				out = append(out, item)
			}
		}
	}
	return out
}

// permissionFilter splits GitHub's "contents" or "contents_read" into the
// permission and the level asked for. Every permission a token holds is at
// least read, so "_read" selects the same tokens as the bare name; the
// store keeps no index by level, so "_write" is refused rather than
// answered wrongly.
func permissionFilter(s string) (string, policy.Level) {
	for _, l := range []policy.Level{policy.LevelRead, policy.LevelWrite} {
		if name, ok := strings.CutSuffix(s, "_"+string(l)); ok {
			if _, known := policy.PermissionByName(name); known {
				return name, l
			}
		}
	}
	return s, ""
}

// ReviewInput is the body of the request review endpoints.
type ReviewInput struct {
	IDs    *[]int64 `json:"pat_request_ids"`
	Action *string  `json:"action"`
	Reason *string  `json:"reason"`
}

// RevokeInput is the body of the token revocation endpoints.
type RevokeInput struct {
	IDs    *[]int64 `json:"pat_ids"`
	Action *string  `json:"action"`
}

// ReviewRequests is POST /orgs/{org}/personal-access-token-requests:
// approve or deny up to 100 requests; 202.
func (h Grants) ReviewRequests(c echo.Context) error {
	var in ReviewInput
	r, err := h.review(c, &in, true)
	if err != nil {
		return err
	}
	return h.bulk(c, r)
}

// ReviewRequest is POST /orgs/{org}/personal-access-token-requests/{id}:
// approve or deny one request; 204.
func (h Grants) ReviewRequest(c echo.Context) error {
	var in ReviewInput
	r, err := h.review(c, &in, false)
	if err != nil {
		return err
	}
	return h.one(c, r)
}

// review checks the caller and a review body, and builds its review.
func (h Grants) review(c echo.Context, in *ReviewInput, bulk bool) (service.Review, error) {
	org, err := h.owned(c)
	if err != nil {
		return service.Review{}, err
	}
	if err := decodeJSON(c, "PersonalAccessTokenRequest", in); err != nil {
		return service.Review{}, err
	}
	var problems []FieldProblem
	d := service.Review{OrgID: org.Org.ID, ActorID: callerOf(c).Token.UserID}
	if in.Action == nil {
		problems = append(problems, FieldProblem{Field: "action", Code: "missing_field", Message: "action is required"})
	} else if a, ok := policy.ParseReviewAction(*in.Action); ok && a.From() == policy.GrantPending {
		d.Action = a
	} else {
		problems = append(problems, FieldProblem{Field: "action", Code: "invalid", Message: "action must be approve or deny"})
	}
	if in.Reason != nil {
		reason, errs := policy.CheckReason(*in.Reason)
		if len(errs) > 0 {
			problems = append(problems, FieldProblem{Field: "reason", Code: "invalid", Message: errs[0].Message})
		}
		d.Reason = reason
	}
	d.IDs, problems = idsOf(in.IDs, "pat_request_ids", bulk, problems)
	if len(problems) > 0 {
		return d, invalid("PersonalAccessTokenRequest", problems...)
	}
	return d, nil
}

// RevokeTokens is POST /orgs/{org}/personal-access-tokens: revoke up to
// 100 tokens; 202.
func (h Grants) RevokeTokens(c echo.Context) error {
	r, err := h.revocation(c, true)
	if err != nil {
		return err
	}
	return h.bulk(c, r)
}

// RevokeToken is POST /orgs/{org}/personal-access-tokens/{pat_id}; 204.
func (h Grants) RevokeToken(c echo.Context) error {
	r, err := h.revocation(c, false)
	if err != nil {
		return err
	}
	return h.one(c, r)
}

// revocation checks the caller and a revocation body, and builds its
// review.
func (h Grants) revocation(c echo.Context, bulk bool) (service.Review, error) {
	org, err := h.owned(c)
	if err != nil {
		return service.Review{}, err
	}
	var in RevokeInput
	if err := decodeJSON(c, "PersonalAccessToken", &in); err != nil {
		return service.Review{}, err
	}
	var problems []FieldProblem
	switch {
	case in.Action == nil:
		problems = append(problems, FieldProblem{Field: "action", Code: "missing_field", Message: "action is required"})
	case *in.Action != string(policy.ReviewRevoke):
		problems = append(problems, FieldProblem{Field: "action", Code: "invalid", Message: "action must be revoke"})
	}
	d := service.Review{OrgID: org.Org.ID, ActorID: callerOf(c).Token.UserID, Action: policy.ReviewRevoke}
	d.IDs, problems = idsOf(in.IDs, "pat_ids", bulk, problems)
	if len(problems) > 0 {
		return d, invalid("PersonalAccessToken", problems...)
	}
	return d, nil
}

// idsOf checks a body's list of ids: 1 to 100 on a bulk endpoint, none on
// one whose path names its grant.
func idsOf(ids *[]int64, field string, bulk bool, problems []FieldProblem) ([]int64, []FieldProblem) {
	switch {
	case !bulk && ids != nil:
		return nil, append(problems, FieldProblem{Field: field, Code: "invalid", Message: field + " is not a field of this request"})
	case !bulk:
		return nil, problems
	case ids == nil:
		return nil, append(problems, FieldProblem{Field: field, Code: "missing_field", Message: field + " is required"})
	case len(*ids) < 1 || len(*ids) > 100:
		return nil, append(problems, FieldProblem{Field: field, Code: "invalid", Message: field + " must list from 1 to 100 ids"})
	case slices.ContainsFunc(*ids, func(id int64) bool { return id < 1 }):
		return nil, append(problems, FieldProblem{Field: field, Code: "invalid", Message: field + " must list positive ids"})
	}
	return *ids, problems
}

// one applies a review on the :pat_request_id or :pat_id grant; 204.
func (h Grants) one(c echo.Context, r service.Review) error {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id < 1 {
		return notFound()
	}
	r.IDs = []int64{id}
	if _, err := h.Reviews.ReviewOne(c.Request().Context(), r); err != nil {
		return reviewRefused(err)
	}
	return c.NoContent(http.StatusNoContent)
}

// bulk applies a review on many grants; 202. Grants no longer in the
// action's list are left as they are, as on the screens; when none was
// left to review, the answer is a refusal.
func (h Grants) bulk(c echo.Context, r service.Review) error {
	if _, err := h.Reviews.ReviewAll(c.Request().Context(), r); err != nil {
		return reviewRefused(err)
	}
	return render.JSON(c, http.StatusAccepted, struct{}{})
}

// reviewRefused answers a review the rules refused with 422, the status GitHub's
// API gives a review it cannot apply, and the refusal's own words (the
// screens' words too); a grant the organization never had is 404. Other
// errors pass through.
func reviewRefused(err error) error {
	var r *service.Refusal
	switch {
	case errors.Is(err, policy.ErrNoSuchGrant):
		return notFound()
	case errors.As(err, &r):
		return apiErr(http.StatusUnprocessableEntity, "%s", r.Error())
	}
	return err
}

// RequestRepositories is GET …/personal-access-token-requests/{id}/repositories.
func (h Grants) RequestRepositories(c echo.Context) error {
	return h.repositories(c, pendingList)
}

// TokenRepositories is GET …/personal-access-tokens/{id}/repositories.
func (h Grants) TokenRepositories(c echo.Context) error {
	return h.repositories(c, activeList)
}

// repositories lists the organization's repositories a grant reaches.
func (h Grants) repositories(c echo.Context, l grantList) error {
	org, err := h.owned(c)
	if err != nil {
		return err
	}
	p, err := pagingOf(c)
	if err != nil {
		return err
	}
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return notFound()
	}
	t, err := h.Store.GrantOf(c.Request().Context(), org.Org.ID, id)
	if errors.Is(err, db.ErrNotFound) || err == nil && t.Grant.Status != l.status {
		return notFound()
	}
	if err != nil {
		return err
	}
	var repos []Repository
	for _, r := range org.List {
		reached := t.Selection == policy.SelectAll ||
			t.Selection == policy.SelectPublic && !r.Private ||
			t.Selection == policy.SelectSelected && slices.ContainsFunc(t.Repos, func(x db.Repo) bool { return x.ID == r.ID })
		if reached {
			repos = append(repos, repositoryJSON(c, org.Org, r))
		}
	}
	return render.JSON(c, http.StatusOK, nonNil(pageOf(c, p, repos)))
}
