package service

import (
	"context"
	"errors"

	"patpolicy/db"
	"patpolicy/policy"
)

// PolicyStore is what saving a policy reads and writes.
type PolicyStore interface {
	OrgPolicy(ctx context.Context, orgID int64) (db.OrgPolicy, error)
	SaveOrgPolicy(ctx context.Context, orgID, actorID int64, expectedVersion int, next policy.OrgSettings, events []policy.Event, approved db.Follow) error
	OptIn(ctx context.Context, orgID, actorID int64, chosen policy.OrgSettings, events []policy.Event) error
	CountGrants(ctx context.Context, orgID int64, status policy.GrantStatus) (int, error)
	EnterprisePolicy(ctx context.Context, entID int64) (policy.Enterprise, int, error)
	SaveEnterprisePolicy(ctx context.Context, entID, actorID int64, expectedVersion int, next policy.Enterprise, events []policy.Event, approved db.Follow, blocked ...db.PolicyShift) error
	CountGrantsInEnterprise(ctx context.Context, entID int64, status policy.GrantStatus) ([]db.OrgCount, error)
	SaveOrgPolicyChange(ctx context.Context, ch db.OrgPolicyChange) error
	ReposOf(ctx context.Context, orgID int64) ([]db.Repo, error)
	Impact(ctx context.Context, shifts []db.PolicyShift) ([]policy.Impact, error)
	EnterpriseOrgIDs(ctx context.Context, entID int64) ([]int64, error)
}

// Policies saves organization and enterprise policy: the one flow behind
// the settings pages and the REST API. The transport reads the policy in
// force first (it needs it to read its request), hands it over with the
// change, and turns the outcome into its own answer.
type Policies struct {
	Store PolicyStore
}

// Precondition says whether a change was built on the stored version it is
// given: the version a settings form carries, the ETags of an If-Match. A
// nil Precondition is a change that names no version at all.
type Precondition func(stored int) bool

// AtVersion is the precondition of a change built on version v.
func AtVersion(v int) Precondition { return func(stored int) bool { return stored == v } }

// PolicyRequest is what a transport says about a policy change besides
// the change.
type PolicyRequest struct {
	ActorID int64
	// BuiltOn is checked against the version the change applies to.
	BuiltOn Precondition
	// Malformed says the transport found the request itself invalid (a
	// field it does not know, a read-only one changed). It is refused as an
	// InvalidPolicy, after the version check, with policy's own findings.
	Malformed bool
	// Confirmed says the owner agreed to everything the change does (the
	// figures a confirmation showed).
	Confirmed bool
	// ConfirmedApprovals says the owner agreed only that the change approves
	// the requests still pending: a change that also shuts tokens out is
	// asked about again, with its figures.
	ConfirmedApprovals bool
	// DryRun checks the change and counts what it would do (the Impact of
	// the answer) without saving anything or asking to confirm.
	DryRun bool
}

// confirms reports whether the request confirmed a change with impact:
// all of it, or its approvals when it shuts no token out.
func (r PolicyRequest) confirms(impact []policy.Impact) bool {
	if r.Confirmed {
		return true
	}
	if !r.ConfirmedApprovals {
		return false
	}
	for _, i := range impact {
		if i.TokensBlocked > 0 {
			return false
		}
	}
	return true
}

// StaleVersion refuses a change built on a version other than the one
// stored, before anything else: the other errors of such a change may only
// be those of its age. Current is what is stored now.
type StaleVersion[P any] struct {
	Current P
}

// ErrStaleVersion is what every StaleVersion is, for errors.Is.
var ErrStaleVersion = errors.New("the policy was changed since the version the change was built on")

func (e *StaleVersion[P]) Error() string { return ErrStaleVersion.Error() }

func (e *StaleVersion[P]) Unwrap() error { return ErrStaleVersion }

// InvalidPolicy refuses a change that policy finds invalid (Errors, by
// field), or that its transport found malformed (then Errors may be empty).
type InvalidPolicy struct {
	Errors policy.Errors
}

func (e *InvalidPolicy) Error() string { return "invalid policy change" }

// ErrVersionRequired refuses a valid change that names no version where
// one is required: it is not out of date, just not built on anything, and
// its owner should confirm it on what is in force now.
var ErrVersionRequired = errors.New("a policy change must name the version it was built on")

// ConfirmApproval holds back a change that turns approval off while
// requests are pending, since saving it approves them all: Pending of them
// in all, ByOrg by organization for an enterprise. It holds back any other
// change with an Impact too: one that shuts tokens out or that approves
// requests by a rule.
type ConfirmApproval struct {
	Pending int
	ByOrg   []db.OrgCount
	// Impact is what saving would do, by organization.
	Impact []policy.Impact
}

func (e *ConfirmApproval) Error() string { return "turning approval off approves pending requests" }

// SaveOrgInput is a change to an organization's settings.
type SaveOrgInput struct {
	PolicyRequest
	OrgID int64
	// Current is the policy the transport read, which the change applies to.
	Current db.OrgPolicy
	Change  policy.OrgChange
	// Rule is the submitted automatic approval rule; nil leaves it as it is.
	Rule *policy.AutoApprovalInput
}

// OrgSaved is what a saved organization change did.
type OrgSaved struct {
	Settings policy.OrgSettings
	// ApprovedPending is how many pending requests the change approved by
	// turning approval off (counted before saving).
	ApprovedPending int
	// Rule is the automatic approval rule after the change.
	Rule policy.AutoApproval
	// Impact is what the change does (would do, for a dry run).
	Impact []policy.Impact
}

// EnterprisePolicy is an enterprise's policy at its stored version.
type EnterprisePolicy struct {
	Policy  policy.Enterprise
	Version int
}

// SaveEnterpriseInput is a change to an enterprise's policy.
type SaveEnterpriseInput struct {
	PolicyRequest
	EntID   int64
	Current EnterprisePolicy
	Change  policy.EnterpriseChange
}

// EnterpriseSaved is what a saved enterprise change did.
type EnterpriseSaved struct {
	Policy          policy.Enterprise
	ApprovedPending int
	Impact          []policy.Impact
}

// vetChange answers a change in the order every transport does: a change
// built on another version is stale first; then an invalid one is refused
// with its errors; then, where a version is required, one that named none.
func vetChange[P any](r PolicyRequest, current P, version int, errs policy.Errors, versionRequired bool) error {
	if r.BuiltOn != nil && !r.BuiltOn(version) {
		return &StaleVersion[P]{Current: current}
	}
	if len(errs) > 0 || r.Malformed {
		return &InvalidPolicy{Errors: errs}
	}
	if r.BuiltOn == nil && versionRequired {
		return ErrVersionRequired
	}
	return nil
}

// SaveOrg changes an opted-in organization's settings with their audit
// events, in one store call that approves the pending requests if approval
// is turned off. It refuses with StaleVersion[db.OrgPolicy] (also when
// another save lands first), InvalidPolicy, ErrVersionRequired, or, unless
// confirmed, ConfirmApproval.
func (s Policies) SaveOrg(ctx context.Context, in SaveOrgInput) (OrgSaved, error) {
	p := in.Current
	next, errs := policy.ApplyOrgChange(p.Own, p.Enterprise, in.Change)
	rule, names, ruleErrs, err := s.checkRule(ctx, in)
	if err != nil {
		return OrgSaved{}, err
	}
	if err := vetChange(in.PolicyRequest, p, p.Version, append(errs, ruleErrs...), true); err != nil {
		return OrgSaved{}, err
	}
	out := OrgSaved{Settings: next, Rule: rule}
	after := policy.Resolve(next, p.OptedIn, p.Enterprise)
	shifts := []db.PolicyShift{{OrgID: in.OrgID, Before: p.Effective(), After: after,
		RuleBefore: p.AutoApproval, RuleAfter: rule}}
	// A confirmed change is not counted again: the owner saw the figures.
	if !in.Confirmed || in.DryRun {
		out.Impact, err = s.Store.Impact(ctx, shifts)
		if err != nil {
			return OrgSaved{}, err
		}
	}
	if policy.ApprovalTurnedOff(p.Effective(), after) {
		if out.ApprovedPending, err = s.Store.CountGrants(ctx, in.OrgID, policy.GrantPending); err != nil {
			return OrgSaved{}, err
		}
	}
	if in.DryRun {
		return out, nil
	}
	if len(out.Impact) > 0 && !in.confirms(out.Impact) {
		return OrgSaved{}, &ConfirmApproval{Pending: out.ApprovedPending, Impact: out.Impact}
	}
	ch := db.OrgPolicyChange{OrgID: in.OrgID, ActorID: in.ActorID, ExpectedVersion: p.Version, Next: next,
		Events:   append(policy.OrgEvents(p.Own, next), policy.AutoApprovalEvents(p.AutoApproval, rule, names)...),
		Approved: ApprovedAsOff, RuleApproved: ApprovedByRule, Blocked: shifts}
	if in.Rule != nil {
		ch.Rule = &rule
	}
	err = s.Store.SaveOrgPolicyChange(ctx, ch)
	if errors.Is(err, db.ErrStale) {
		if p, err = s.Store.OrgPolicy(ctx, in.OrgID); err != nil {
			return OrgSaved{}, err
		}
		return OrgSaved{}, &StaleVersion[db.OrgPolicy]{Current: p}
	}
	if err != nil {
		return OrgSaved{}, err
	}
	return out, nil
}

// checkRule checks a change's automatic approval rule against the
// organization's repositories: the rule after the change (the current one
// when the change sets none), the repositories' names by id, and the
// rule's errors.
func (s Policies) checkRule(ctx context.Context, in SaveOrgInput) (policy.AutoApproval, map[int64]string, policy.Errors, error) {
	if in.Rule == nil {
		return in.Current.AutoApproval, nil, nil, nil
	}
	repos, err := s.Store.ReposOf(ctx, in.OrgID)
	if err != nil {
		return policy.AutoApproval{}, nil, nil, err
	}
	byName := make(map[string]int64, len(repos))
	names := make(map[int64]string, len(repos))
	for _, r := range repos {
		byName[r.Name], names[r.ID] = r.ID, r.Name
	}
	rule, errs := policy.CheckAutoApproval(*in.Rule, byName)
	return rule, names, errs, nil
}

// OptIn enrolls an organization that has not opted in, with the settings
// the change chooses and their audit events. It is checked as SaveOrg is,
// but needs no version: the store enrolls an organization once, and
// answers db.ErrAlreadyOptedIn to the owner who comes second.
func (s Policies) OptIn(ctx context.Context, in SaveOrgInput) (OrgSaved, error) {
	p := in.Current
	next, errs := policy.ApplyOrgChange(p.Own, p.Enterprise, in.Change)
	if err := vetChange(in.PolicyRequest, p, p.Version, errs, false); err != nil {
		return OrgSaved{}, err
	}
	if err := s.Store.OptIn(ctx, in.OrgID, in.ActorID, next, policy.OptInEvents(next)); err != nil {
		return OrgSaved{}, err
	}
	return OrgSaved{Settings: next}, nil
}

// SaveEnterprise changes an enterprise's policy as SaveOrg changes an
// organization's, with the same refusals (StaleVersion[EnterprisePolicy]).
// Disabling the approval flow approves the pending requests of all its
// organizations, so that is what it asks to confirm.
func (s Policies) SaveEnterprise(ctx context.Context, in SaveEnterpriseInput) (EnterpriseSaved, error) {
	cur := in.Current
	next, errs := policy.ApplyEnterpriseChange(cur.Policy, in.Change)
	if err := vetChange(in.PolicyRequest, cur, cur.Version, errs, true); err != nil {
		return EnterpriseSaved{}, err
	}
	out := EnterpriseSaved{Policy: next}
	shifts, err := s.enterpriseShifts(ctx, in.EntID, next)
	if err != nil {
		return EnterpriseSaved{}, err
	}
	// A confirmed change is not counted again: the owner saw the figures.
	if !in.Confirmed || in.DryRun {
		if out.Impact, err = s.Store.Impact(ctx, shifts); err != nil {
			return EnterpriseSaved{}, err
		}
	}
	ask := &ConfirmApproval{Impact: out.Impact}
	if policy.EnterpriseApprovalTurnedOff(cur.Policy, next) {
		counts, err := s.Store.CountGrantsInEnterprise(ctx, in.EntID, policy.GrantPending)
		if err != nil {
			return EnterpriseSaved{}, err
		}
		n := 0
		for _, c := range counts {
			n += c.N
		}
		ask.Pending, ask.ByOrg = n, counts
		out.ApprovedPending = n
	}
	if in.DryRun {
		return out, nil
	}
	if (len(out.Impact) > 0 || ask.Pending > 0) && !in.confirms(out.Impact) {
		return EnterpriseSaved{}, ask
	}
	err = s.Store.SaveEnterprisePolicy(ctx, in.EntID, in.ActorID, cur.Version, next, policy.EnterpriseEvents(cur.Policy, next), ApprovedAsOff, shifts...)
	if errors.Is(err, db.ErrStale) {
		if cur.Policy, cur.Version, err = s.Store.EnterprisePolicy(ctx, in.EntID); err != nil {
			return EnterpriseSaved{}, err
		}
		return EnterpriseSaved{}, &StaleVersion[EnterprisePolicy]{Current: cur}
	}
	if err != nil {
		return EnterpriseSaved{}, err
	}
	return out, nil
}

// enterpriseShifts are what an enterprise's new policy next changes in
// each of its organizations.
func (s Policies) enterpriseShifts(ctx context.Context, entID int64, next policy.Enterprise) ([]db.PolicyShift, error) {
	ids, err := s.Store.EnterpriseOrgIDs(ctx, entID)
	if err != nil {
		return nil, err
	}
	shifts := make([]db.PolicyShift, 0, len(ids))
	for _, id := range ids {
		p, err := s.Store.OrgPolicy(ctx, id)
		if err != nil {
			return nil, err
		}
		ent := next
		if p.Enterprise != nil {
			ent.Slug, ent.Name, ent.OptedIn = p.Enterprise.Slug, p.Enterprise.Name, p.Enterprise.OptedIn
		}
		shifts = append(shifts, db.PolicyShift{OrgID: id, Before: p.Effective(), After: policy.Resolve(p.Own, p.OptedIn, &ent),
			RuleBefore: p.AutoApproval, RuleAfter: p.AutoApproval})
	}
	return shifts, nil
}
