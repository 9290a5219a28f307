package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
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

// PolicyStore is what the policy endpoints read and write.
type PolicyStore interface {
	TokenChecker
	OrgPolicy(ctx context.Context, orgID int64) (db.OrgPolicy, error)
	EnterprisePolicy(ctx context.Context, entID int64) (policy.Enterprise, int, error)
	EnterpriseOwnedBy(ctx context.Context, slug string, userID int64) (db.Enterprise, error)
	ReposOf(ctx context.Context, orgID int64) ([]db.Repo, error)
}

// APIPolicies serves the settings pages' policies as JSON, with the same
// locks, the same 422 and, through ETag and If-Match, the same 409. Saving
// goes through Policies, as the pages' does.
type Policies struct {
	Store    PolicyStore
	Policies service.Policies
	Now      func() time.Time
}

func (h Policies) access() apiAccess { return apiAccess{Store: h.Store, Now: h.Now} }

// OrgPolicyJSON is an organization's policy in force.
type OrgPolicyJSON struct {
	OptedIn             bool     `json:"opted_in"`
	FineGrained         string   `json:"fine_grained_access"`
	Approval            string   `json:"approval"`
	Classic             string   `json:"classic_access"`
	FineGrainedLifetime *int     `json:"fine_grained_max_lifetime_days"`
	ClassicLifetime     *int     `json:"classic_max_lifetime_days"`
	Enterprise          *string  `json:"enterprise"`
	Locked              []string `json:"locked"`
	// InactiveDays is the inactivity limit in force, null for none.
	InactiveDays *int `json:"inactive_token_days"`
	// The automatic approval rule: on or off, and the repositories it is
	// limited to, by name (empty: any repository).
	AutoApproveReadOnly bool     `json:"auto_approve_read_only"`
	AutoApproveRepos    []string `json:"auto_approve_repositories"`
	// Impact is answered to a dry run only: what saving would do.
	Impact *[]ImpactJSON `json:"impact,omitempty"`
}

// ImpactJSON is what saving a change would do in one organization.
type ImpactJSON struct {
	Organization     string `json:"organization"`
	TokensBlocked    int    `json:"tokens_blocked"`
	RequestsApproved int    `json:"requests_approved"`
}

func impactJSON(imps []policy.Impact) *[]ImpactJSON {
	out := make([]ImpactJSON, 0, len(imps))
	for _, i := range imps {
		out = append(out, ImpactJSON{Organization: i.Org, TokensBlocked: i.TokensBlocked, RequestsApproved: i.RequestsApproved})
	}
	return &out
}

// EnterprisePolicyJSON is an enterprise's policy.
type EnterprisePolicyJSON struct {
	OptedIn             bool     `json:"opted_in"`
	FineGrained         string   `json:"fine_grained_access"`
	Approval            string   `json:"approval"`
	Classic             string   `json:"classic_access"`
	FineGrainedLifetime *int     `json:"fine_grained_max_lifetime_days"`
	ClassicLifetime     *int     `json:"classic_max_lifetime_days"`
	ExemptAdmins        bool     `json:"exempt_administrators"`
	Enterprise          string   `json:"enterprise"`
	Locked              []string `json:"locked"`
	// InactiveDays, enforced in every organization, null for none.
	InactiveDays *int `json:"inactive_token_days"`
	// Impact is answered to a dry run only: what saving would do.
	Impact *[]ImpactJSON `json:"impact,omitempty"`
}

// days is a lifetime for JSON: null for no limit.
func days(d int) *int {
	if d == 0 {
		return nil
	}
	return &d
}

func orgPolicyJSON(p db.OrgPolicy, org db.Org, repos []db.Repo) OrgPolicyJSON {
	eff := p.Effective()
	out := OrgPolicyJSON{
		OptedIn: eff.OptedIn, FineGrained: string(eff.FineGrained), Approval: string(eff.Approval),
		Classic: string(eff.Classic), FineGrainedLifetime: days(eff.FineGrainedLifetime),
		ClassicLifetime: days(eff.ClassicLifetime), Locked: []string{},
		AutoApproveReadOnly: p.AutoApproval.ReadOnly, AutoApproveRepos: ruleRepoNames(p.AutoApproval, repos),
		InactiveDays: days(eff.InactiveDays),
	}
	if org.EnterpriseSlug != "" {
		out.Enterprise = &org.EnterpriseSlug
	}
	for f := range eff.Locked {
		out.Locked = append(out.Locked, string(f))
	}
	slices.Sort(out.Locked)
	return out
}

func enterprisePolicyJSON(e policy.Enterprise) EnterprisePolicyJSON {
	return EnterprisePolicyJSON{
		OptedIn: e.OptedIn, FineGrained: string(e.FineGrained), Approval: string(e.Approval), Classic: string(e.Classic),
		FineGrainedLifetime: days(e.FineGrainedLifetime), ClassicLifetime: days(e.ClassicLifetime),
		ExemptAdmins: e.ExemptAdmins, Enterprise: e.Slug, Locked: []string{},
		InactiveDays: days(e.InactiveDays),
	}
}

// etag names a settings version.
func etag(version int) string { return `"` + strconv.Itoa(version) + `"` }

// ifMatch is the precondition If-Match sets: the change is stale when it
// names versions other than the current one. A request without it changes
// the current version, whatever it is.
func ifMatch(c echo.Context) service.Precondition {
	h := strings.TrimSpace(c.Request().Header.Get("If-Match"))
	if h == "" || h == "*" {
		return func(int) bool { return true }
	}
	return func(version int) bool {
		for _, tag := range strings.Split(h, ",") {
			if strings.TrimPrefix(strings.TrimSpace(tag), "W/") == etag(version) {
				return true
			}
		}
		return false
	}
}

// notModified answers 304 to a read whose If-None-Match names the current
// version, as GitHub answers a conditional request: the client's copy is
// still good.
func notModified(c echo.Context, version int) bool {
	h := c.Request().Header.Get("If-None-Match")
	if h == "" || (c.Request().Method != http.MethodGet && c.Request().Method != http.MethodHead) {
		return false
	}
	for _, tag := range strings.Split(h, ",") {
		if tag = strings.TrimSpace(tag); tag == "*" || strings.TrimPrefix(tag, "W/") == etag(version) {
			return true
		}
	}
	return false
}

func staleVersion() *Error {
	return apiErr(http.StatusConflict, "These settings were changed since the version in If-Match. Read them again and reapply your change.")
}

// policyRefused answers a change the policy service turned down: 409 for one
// built on another version (or an organization another call enrolled
// first), 422 with the problems found in the body and policy's own.
func policyRefused(err error, problems []FieldProblem) error {
	var bad *service.InvalidPolicy
	switch {
	case errors.Is(err, service.ErrStaleVersion), errors.Is(err, db.ErrAlreadyOptedIn):
		return staleVersion()
	case errors.As(err, &bad):
		return invalid("PersonalAccessTokenPolicy", append(problems, fieldProblems(bad.Errors)...)...)
	}
	return err
}

// orgAdmin loads the :org organization for a policy call by one of its
// owners' tokens, with what the route needs (reading: Organization
// administration read, or read:org; changing: read and write, or admin:org).
func (h Policies) orgAdmin(c echo.Context) (db.OrgAccess, error) {
	org, err := h.access().org(c, c.Param("org"))
	if err != nil {
		return org, err
	}
	return org, h.access().decide(c, &org, nil)
}

// OrgPolicy is GET /orgs/{org}/personal-access-token-policy.
func (h Policies) OrgPolicy(c echo.Context) error {
	org, err := h.orgAdmin(c)
	if err != nil {
		return err
	}
	return h.showOrg(c, org)
}

// ruleRepoNames names the repositories a rule is limited to, by name.
func ruleRepoNames(rule policy.AutoApproval, repos []db.Repo) []string {
	out := []string{}
	for _, r := range repos {
		if slices.Contains(rule.RepoIDs, r.ID) {
			out = append(out, r.Name)
		}
	}
	slices.Sort(out)
	return out
}

// showOrg answers with the organization's stored policy. A PATCH answers
// with it too, without checking the caller again: a change may shut out
// the very token that made it, and the change is still made.
func (h Policies) showOrg(c echo.Context, org db.OrgAccess) error {
	p, err := h.Store.OrgPolicy(c.Request().Context(), org.Org.ID)
	if err != nil {
		return err
	}
	repos, err := h.Store.ReposOf(c.Request().Context(), org.Org.ID)
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
	c.Response().Header().Set("ETag", etag(p.Version))
	if notModified(c, p.Version) {
		return c.NoContent(http.StatusNotModified)
	}
	return render.JSON(c, http.StatusOK, orgPolicyJSON(p, org.Org, repos))
}

// body is a PATCH body by field, so that absent and null differ.
type body map[string]json.RawMessage

func (b body) str(f policy.Field, problems *[]FieldProblem) *string {
	raw, ok := b[string(f)]
	if !ok {
		return nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		*problems = append(*problems, FieldProblem{Field: string(f), Code: "invalid", Message: string(f) + " must be a string"})
		return nil
	}
	return &s
}

func (b body) lifetime(f policy.Field, problems *[]FieldProblem) *policy.LifetimeInput {
	raw, ok := b[string(f)]
	if !ok {
		return nil
	}
	if string(raw) == "null" {
		return &policy.LifetimeInput{}
	}
	var n int
	if err := json.Unmarshal(raw, &n); err != nil {
		*problems = append(*problems, FieldProblem{Field: string(f), Code: "invalid", Message: string(f) + " must be a whole number of days or null"})
		return nil
	}
	return &policy.LifetimeInput{MustExpire: true, Days: strconv.Itoa(n)}
}

// readOnly accepts a read-only field only when it repeats the current value.
func (b body) readOnly(name string, current any, problems *[]FieldProblem) {
	raw, ok := b[name]
	if !ok {
		return
	}
	cur, _ := json.Marshal(current)
	var got, want any
	if json.Unmarshal(raw, &got) != nil || json.Unmarshal(cur, &want) != nil || !jsonEqual(got, want) {
		*problems = append(*problems, FieldProblem{Field: name, Code: "invalid", Message: name + " is read-only"})
	}
}

// jsonEqual compares decoded JSON values, lists of strings in any order.
func jsonEqual(a, b any) bool {
	canon := func(v any) string {
		if list, ok := v.([]any); ok {
			strs := make([]string, 0, len(list))
			for _, e := range list {
				s, isString := e.(string)
				if !isString {
					break
				}
				strs = append(strs, s)
			}
			if len(strs) == len(list) {
				slices.Sort(strs)
				v = strs
			}
		}
		out, _ := json.Marshal(v)
		return string(out)
	}
	return canon(a) == canon(b)
}

func (b body) unknown(known []string, problems *[]FieldProblem) {
	for k := range b {
		if !slices.Contains(known, k) {
			*problems = append(*problems, FieldProblem{Field: k, Code: "invalid", Message: k + " is not a field of this policy"})
		}
	}
	slices.SortFunc(*problems, func(a, b FieldProblem) int { return strings.Compare(a.Field, b.Field) })
}

func fieldProblems(errs policy.Errors) []FieldProblem {
	out := make([]FieldProblem, 0, len(errs))
	for _, e := range errs {
		out = append(out, FieldProblem{Field: string(e.Field), Code: "invalid", Message: e.Message})
	}
	return out
}

// UpdateOrgPolicy is PATCH /orgs/{org}/personal-access-token-policy: any
// subset of the fields. A value for a field the enterprise enforces is
// refused (422) unless it is the enforced one. "opted_in": true enrolls an
// organization that has not opted in, with the other fields as its choices.
func (h Policies) UpdateOrgPolicy(c echo.Context) error {
	org, err := h.orgAdmin(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	var b body
	if err := decodeJSON(c, "PersonalAccessTokenPolicy", &b); err != nil {
		return err
	}
	p, err := h.Store.OrgPolicy(ctx, org.Org.ID)
	if err != nil {
		return err
	}
	repos, err := h.Store.ReposOf(ctx, org.Org.ID)
	if err != nil {
		return err
	}
	cur := orgPolicyJSON(p, org.Org, repos)
	var problems []FieldProblem
	dryRun := dryRunOf(c, &problems)
	b.unknown([]string{"opted_in", "fine_grained_access", "approval", "classic_access",
		"fine_grained_max_lifetime_days", "classic_max_lifetime_days", "enterprise", "locked",
		string(policy.FieldAutoApproveReadOnly), string(policy.FieldAutoApproveRepos), string(policy.FieldInactive)}, &problems)
	b.readOnly("enterprise", cur.Enterprise, &problems)
	b.readOnly("locked", cur.Locked, &problems)
	change := policy.OrgChange{
		FineGrained:         b.str(policy.FieldFineGrained, &problems),
		Approval:            b.str(policy.FieldApproval, &problems),
		Classic:             b.str(policy.FieldClassic, &problems),
		FineGrainedLifetime: b.lifetime(policy.FieldFineGrainedLifetime, &problems),
		ClassicLifetime:     b.lifetime(policy.FieldClassicLifetime, &problems),
		Inactive:            b.lifetime(policy.FieldInactive, &problems),
	}
	optIn := false
	if raw, ok := b["opted_in"]; ok {
		var want bool
		switch {
		case string(raw) == "null" || json.Unmarshal(raw, &want) != nil:
			problems = append(problems, FieldProblem{Field: "opted_in", Code: "invalid", Message: "opted_in must be true or false"})
		case want && !cur.OptedIn:
			optIn = true
		case !want && cur.OptedIn:
			problems = append(problems, FieldProblem{Field: "opted_in", Code: "invalid", Message: "an organization cannot opt out of fine-grained personal access tokens"})
		}
	}
	if !cur.OptedIn && !optIn && len(problems) == 0 {
		problems = append(problems, FieldProblem{Field: "opted_in", Code: "missing_field", Message: org.Org.Login + " has not opted in to fine-grained personal access tokens; send \"opted_in\": true with its settings"})
	}
	// A stale If-Match is answered before the problems found above. A PATCH
	// is its own confirmation: the API has no page to ask on.
	rule := b.rule(cur, &problems)
	req := service.PolicyRequest{ActorID: callerOf(c).Token.UserID, BuiltOn: ifMatch(c), Malformed: len(problems) > 0,
		Confirmed: true, DryRun: dryRun}
	save := h.Policies.SaveOrg
	if optIn && !dryRun {
		save = h.Policies.OptIn
	}
	res, err := save(ctx, service.SaveOrgInput{PolicyRequest: req, OrgID: org.Org.ID, Current: p, Change: change, Rule: rule})
	if err != nil {
		return policyRefused(err, problems)
	}
	if !dryRun {
		return h.showOrg(c, org)
	}
	// The policy as it would be, at the version it is now.
	would := p
	would.Own, would.AutoApproval, would.OptedIn = res.Settings, res.Rule, p.OptedIn || optIn
	out := orgPolicyJSON(would, org.Org, repos)
	out.Impact = impactJSON(res.Impact)
	c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
	c.Response().Header().Set("ETag", etag(p.Version))
	return render.JSON(c, http.StatusOK, out)
}

// dryRunOf reads ?dry_run: true checks a change and answers what it would
// do without saving it.
func dryRunOf(c echo.Context, problems *[]FieldProblem) bool {
	switch v := c.QueryParam("dry_run"); v {
	case "", "false":
		return false
	case "true":
		return true
	default:
		*problems = append(*problems, FieldProblem{Field: "dry_run", Code: "invalid", Message: "dry_run must be true or false"})
		return false
	}
}

// rule reads the automatic approval fields of a body onto the current
// rule (cur); nil when the body sends neither.
func (b body) rule(cur OrgPolicyJSON, problems *[]FieldProblem) *policy.AutoApprovalInput {
	ro, okRO := b[string(policy.FieldAutoApproveReadOnly)]
	rp, okRP := b[string(policy.FieldAutoApproveRepos)]
	if !okRO && !okRP {
		return nil
	}
	in := &policy.AutoApprovalInput{ReadOnly: cur.AutoApproveReadOnly, Repos: cur.AutoApproveRepos}
	if okRO && (string(ro) == "null" || json.Unmarshal(ro, &in.ReadOnly) != nil) {
		*problems = append(*problems, FieldProblem{Field: string(policy.FieldAutoApproveReadOnly), Code: "invalid",
			Message: "auto_approve_read_only must be true or false"})
	}
	if okRP {
		in.Repos = nil
		if string(rp) != "null" && json.Unmarshal(rp, &in.Repos) != nil {
			*problems = append(*problems, FieldProblem{Field: string(policy.FieldAutoApproveRepos), Code: "invalid",
				Message: "auto_approve_repositories must be a list of repository names"})
		}
	}
	return in
}

// ownedEnterprise loads the :ent enterprise for a call by one of its
// owners' classic tokens with admin:enterprise.
func (h Policies) ownedEnterprise(c echo.Context) (db.Enterprise, error) {
	need, err := needOf(c)
	if err != nil {
		return db.Enterprise{}, err
	}
	caller := callerOf(c)
	if caller == nil {
		return db.Enterprise{}, apiErr(http.StatusUnauthorized, "Requires authentication")
	}
	ent, err := h.Store.EnterpriseOwnedBy(c.Request().Context(), c.Param("ent"), caller.Token.UserID)
	owner := err == nil
	if err != nil && !errors.Is(err, db.ErrNotFound) {
		return ent, err
	}
	setAcceptedScopes(c, need.resourceFor(nil))
	now := h.Now()
	d := policy.DecideEnterprise(&caller.Token.Credential, owner, now)
	if d.Status != http.StatusUnauthorized {
		h.Store.TouchToken(caller.Token.ID, now)
	}
	if !d.Allowed {
		return ent, refused(d)
	}
	return ent, nil
}

// EnterprisePolicy is GET /enterprises/{ent}/personal-access-token-policy.
func (h Policies) EnterprisePolicy(c echo.Context) error {
	ent, err := h.ownedEnterprise(c)
	if err != nil {
		return err
	}
	return h.showEnterprise(c, ent)
}

func (h Policies) showEnterprise(c echo.Context, ent db.Enterprise) error {
	cur, version, err := h.Store.EnterprisePolicy(c.Request().Context(), ent.ID)
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
	c.Response().Header().Set("ETag", etag(version))
	if notModified(c, version) {
		return c.NoContent(http.StatusNotModified)
	}
	return render.JSON(c, http.StatusOK, enterprisePolicyJSON(cur))
}

// UpdateEnterprisePolicy is PATCH /enterprises/{ent}/personal-access-token-policy.
func (h Policies) UpdateEnterprisePolicy(c echo.Context) error {
	ent, err := h.ownedEnterprise(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	var b body
	if err := decodeJSON(c, "PersonalAccessTokenPolicy", &b); err != nil {
		return err
	}
	cur, version, err := h.Store.EnterprisePolicy(ctx, ent.ID)
	if err != nil {
		return err
	}
	shown := enterprisePolicyJSON(cur)
	var problems []FieldProblem
	b.unknown([]string{"opted_in", "fine_grained_access", "approval", "classic_access",
		"fine_grained_max_lifetime_days", "classic_max_lifetime_days", "exempt_administrators", "enterprise", "locked",
		string(policy.FieldInactive)}, &problems)
	b.readOnly("opted_in", shown.OptedIn, &problems)
	b.readOnly("enterprise", shown.Enterprise, &problems)
	b.readOnly("locked", shown.Locked, &problems)
	change := policy.EnterpriseChange{
		FineGrained:         b.str(policy.FieldFineGrained, &problems),
		Approval:            b.str(policy.FieldApproval, &problems),
		Classic:             b.str(policy.FieldClassic, &problems),
		FineGrainedLifetime: b.lifetime(policy.FieldFineGrainedLifetime, &problems),
		ClassicLifetime:     b.lifetime(policy.FieldClassicLifetime, &problems),
		Inactive:            b.lifetime(policy.FieldInactive, &problems),
	}
	if raw, ok := b[string(policy.FieldExemptAdmins)]; ok {
		var exempt bool
		if string(raw) == "null" || json.Unmarshal(raw, &exempt) != nil {
			problems = append(problems, FieldProblem{Field: string(policy.FieldExemptAdmins), Code: "invalid", Message: "exempt_administrators must be true or false"})
		} else {
			change.ExemptAdmins = &exempt
		}
	}
	dryRun := dryRunOf(c, &problems)
	req := service.PolicyRequest{ActorID: callerOf(c).Token.UserID, BuiltOn: ifMatch(c), Malformed: len(problems) > 0,
		Confirmed: true, DryRun: dryRun}
	current := service.EnterprisePolicy{Policy: cur, Version: version}
	res, err := h.Policies.SaveEnterprise(ctx, service.SaveEnterpriseInput{PolicyRequest: req, EntID: ent.ID, Current: current, Change: change})
	if err != nil {
		return policyRefused(err, problems)
	}
	if !dryRun {
		return h.showEnterprise(c, ent)
	}
	out := enterprisePolicyJSON(res.Policy)
	out.Impact = impactJSON(res.Impact)
	c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
	c.Response().Header().Set("ETag", etag(version))
	return render.JSON(c, http.StatusOK, out)
}
