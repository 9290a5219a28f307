package policy

import (
	"net/http"
	"slices"
	"strings"
	"time"
)

// Credential is a token presented with an API call, as the access rules
// need it.
type Credential struct {
	Kind Kind
	// OrgLogin is a fine-grained token's resource owner; "" for a token the
	// user owns (and for classic tokens, which have none).
	OrgLogin    string
	Selection   Selection
	RepoIDs     []int64 // the selected repositories, sorted
	Permissions map[string]Level
	Scopes      []string
	CreatedAt   time.Time
	ExpiresAt   time.Time // zero: never
	// Grant is the status of a fine-grained token's access to its
	// organization; "" when it has none.
	Grant GrantStatus
}

// Membership is where a token's owner stands in the organization that owns
// the resource.
type Membership int

const (
	NotMember Membership = iota
	Member
	Owner
)

// Resource is what an API call reaches and what it needs there.
type Resource struct {
	// Org is the login of the organization that owns the resource; "" for
	// the caller's own account resources, which no organization governs.
	Org string
	// Repo is the repository reached; nil for organization resources.
	Repo *RepoRef
	// Public marks a resource anyone may read: a public repository, an
	// organization's profile.
	Public bool
	// Write marks a call that changes something.
	Write bool
	// Permission and Level are what a fine-grained token needs; Scope is
	// what a classic token needs ("" for nothing beyond reaching it).
	Permission string
	Level      Level
	Scope      string
	// OwnersOnly limits the call to the organization's owners.
	OwnersOnly bool
}

// RepoRef is a repository as the rules need it.
type RepoRef struct {
	ID      int64
	Private bool
}

// AccessRequest is everything one decision needs.
type AccessRequest struct {
	Token      *Credential // nil: no such token, or deleted
	Resource   Resource
	Policy     Effective  // in force in Resource.Org
	Membership Membership // of the token's owner in Resource.Org
	Now        time.Time
	// TokenURL gives the token's page, where its owner can change it; a
	// refusal for the token's lifetime points there, as GitHub's does. It
	// is called only then; nil points nowhere.
	TokenURL func() string
}

// Reason says which rule decided.
type Reason string

const (
	ReasonAllowed           Reason = "allowed"
	ReasonPublicRead        Reason = "public_read"
	ReasonBadCredentials    Reason = "bad_credentials"
	ReasonNotOptedIn        Reason = "fine_grained_not_enabled"
	ReasonRestricted        Reason = "fine_grained_restricted"
	ReasonOtherOwner        Reason = "other_resource_owner"
	ReasonPending           Reason = "request_pending"
	ReasonDenied            Reason = "request_denied"
	ReasonRevoked           Reason = "access_revoked"
	ReasonLifetime          Reason = "lifetime_too_long"
	ReasonNotMember         Reason = "not_a_member"
	ReasonOutsideSelection  Reason = "repository_not_selected"
	ReasonPermission        Reason = "permission_missing"
	ReasonClassicRestricted Reason = "classic_restricted"
	ReasonClassicLifetime   Reason = "classic_lifetime_too_long"
	ReasonScope             Reason = "scope_missing"
	ReasonOwnersOnly        Reason = "owners_only"
)

// Decision is the answer to an access request, with the HTTP status and
// message GitHub would give.
type Decision struct {
	Allowed bool
	Status  int
	Reason  Reason
	Message string
}

// Messages that GitHub's clients know by heart.
const (
	MsgBadCredentials = "Bad credentials"
	MsgNotFound       = "Not Found"
	MsgNotAccessible  = "Resource not accessible by personal access token"
)

func allow(r Reason) Decision { return Decision{Allowed: true, Status: http.StatusOK, Reason: r} }

// hide answers as if the resource did not exist, which is how GitHub keeps
// private repositories from those who may not see them.
func hide(r Reason) Decision {
	return Decision{Status: http.StatusNotFound, Reason: r, Message: MsgNotFound}
}

// Decide applies the rules in order, first match wins:
//  1. no token, or an expired one: 401;
//  2. reading a public resource: allowed, whatever the policies say;
//  3. a fine-grained token: the organization's policy, the token's grant,
//     its lifetime, its owner's membership, then its repositories and
//     permissions;
//  4. a classic token: the organization's policy, its lifetime, its owner's
//     membership, then its scopes;
//  5. allowed.
//
// Policy refusals are 403 with a message naming the rule. What the token
// may simply not see (another owner's or an unselected private repository)
// is 404, so that nothing is revealed about it.
func Decide(req AccessRequest) Decision {
	t, res := req.Token, req.Resource
	if t == nil || Expired(t.ExpiresAt, req.Now) {
		return Decision{Status: http.StatusUnauthorized, Reason: ReasonBadCredentials, Message: MsgBadCredentials}
	}
	if res.Public && !res.Write {
		return allow(ReasonPublicRead)
	}
	if res.Org == "" {
		// The caller's own account: no organization's policy applies.
		return decideAccount(req)
	}
	var d Decision
	if t.Kind == KindFineGrained {
		d = decideFineGrained(req)
	} else {
		d = decideClassic(req)
	}
	if !d.Allowed {
		return d
	}
	if res.OwnersOnly && req.Membership != Owner {
		return refuse(ReasonOwnersOnly, inOrg(res.Org))
	}
	return d
}

func decideFineGrained(req AccessRequest) Decision {
	t, res, eff, org := req.Token, req.Resource, req.Policy, req.Resource.Org
	private := res.Repo != nil && res.Repo.Private
	if r, d := fineGrainedShut(eff, org); r != "" {
		return refuse(r, d)
	}
	switch {
	case !strings.EqualFold(t.OrgLogin, org):
		if private {
			return hide(ReasonOtherOwner)
		}
		return refuse(ReasonOtherOwner, inOrg(org))
	case t.Grant != GrantApproved:
		return grantRefusal(t.Grant, org)
	}
	if r, d := lifetimeShut(t, eff, org, req.Membership == Owner); r != "" {
		d.tokenURL = req.TokenURL
		return refuse(r, d)
	}
	if req.Membership == NotMember {
		if private {
			return hide(ReasonNotMember)
		}
		return refuse(ReasonNotMember, inOrg(org))
	}
	if res.Repo != nil {
		if !t.reaches(*res.Repo, res.Write) || !t.Permissions[Metadata].Covers(LevelRead) {
			if private {
				return hide(ReasonOutsideSelection)
			}
			return refuse(ReasonOutsideSelection, inOrg(org))
		}
	}
	if res.Permission != "" && !t.Permissions[res.Permission].Covers(res.Level) {
		return refuse(ReasonPermission, inOrg(org))
	}
	return allow(ReasonAllowed)
}

// The policy-only rules answer with the reason that shuts a token out ("":
// none) and what its message names, leaving the message unwritten until a
// refusal needs it.

// fineGrainedShut shuts out every fine-grained token in org: the
// organization has not opted in, or fine-grained access is restricted
// there (by its enterprise, which the message then names, or itself).
func fineGrainedShut(eff Effective, org string) (Reason, denial) {
	var d denial
	var r Reason
	switch {
	case !eff.OptedIn:
		d, r = inOrg(org), ReasonNotOptedIn
	case eff.FineGrained == Restrict:
		d, r = byRule(org, eff, FieldFineGrained), ReasonRestricted
	default:
		return "", d
	}
	d.classicAllowed = eff.Classic != Restrict
	return r, d
}

// classicShut shuts out every classic token in org: classic access
// restricted.
func classicShut(eff Effective, org string) (Reason, denial) {
	if eff.Classic != Restrict {
		return "", denial{}
	}
	return ReasonClassicRestricted, byRule(org, eff, FieldClassic)
}

// lifetimeShut shuts token t out of org for living longer than the maximum
// of its kind, unless it is an owner's (isOwner) and administrators are
// exempt.
func lifetimeShut(t *Credential, eff Effective, org string, isOwner bool) (Reason, denial) {
	if eff.ExemptAdmins && isOwner {
		return "", denial{}
	}
	max, f, r := eff.FineGrainedLifetime, FieldFineGrainedLifetime, ReasonLifetime
	if t.Kind == KindClassic {
		max, f, r = eff.ClassicLifetime, FieldClassicLifetime, ReasonClassicLifetime
	}
	if !lifetimeOver(t, max) {
		return "", denial{}
	}
	return r, byLifetime(org, eff, f, max)
}

// grantRefusal is the answer for a fine-grained token whose grant on org
// is not approved.
func grantRefusal(g GrantStatus, org string) Decision {
	switch g {
	case GrantPending:
		return refuse(ReasonPending, inOrg(org))
	case GrantDenied:
		return refuse(ReasonDenied, inOrg(org))
	}
	return refuse(ReasonRevoked, inOrg(org))
}

// decideAccount decides a call to the token owner's own account. No
// organization's policy governs it, but the token must hold what the call
// needs: the scope of a classic token, the account permission of a
// fine-grained one. A fine-grained token made for an organization holds its
// permissions only once an owner of it has approved them: one that is
// pending, denied or revoked holds none.
func decideAccount(req AccessRequest) Decision {
	t, res := req.Token, req.Resource
	if t.Kind != KindFineGrained {
		if res.Scope != "" && !HasScope(t.Scopes, res.Scope) {
			return refuse(ReasonScope, denial{scope: res.Scope})
		}
		return allow(ReasonAllowed)
	}
	if res.Permission == "" {
		return allow(ReasonAllowed)
	}
	if t.OrgLogin != "" && t.Grant != GrantApproved {
		return grantRefusal(t.Grant, t.OrgLogin)
	}
	if !t.Permissions[res.Permission].Covers(res.Level) {
		return refuse(ReasonPermission, denial{})
	}
	return allow(ReasonAllowed)
}

// reaches reports whether a fine-grained token's selection includes repo
// for a read, or for a write.
func (t Credential) reaches(repo RepoRef, write bool) bool {
	switch t.Selection {
	case SelectAll:
		return true
	case SelectSelected:
		_, found := slices.BinarySearch(t.RepoIDs, repo.ID)
		return found
	}
	// "Public repositories" is read-only access to public ones.
	return !repo.Private && !write
}

func decideClassic(req AccessRequest) Decision {
	t, res, eff, org := req.Token, req.Resource, req.Policy, req.Resource.Org
	private := res.Repo != nil && res.Repo.Private
	if r, d := classicShut(eff, org); r != "" {
		return refuse(r, d)
	}
	if r, d := lifetimeShut(t, eff, org, req.Membership == Owner); r != "" {
		d.tokenURL = req.TokenURL
		return refuse(r, d)
	}
	if req.Membership == NotMember {
		if private {
			return hide(ReasonNotMember)
		}
		return refuse(ReasonNotMember, inOrg(org))
	}
	// A private repository is invisible without the repo scope.
	if private && !HasScope(t.Scopes, "repo") {
		return hide(ReasonScope)
	}
	if res.Scope != "" && !HasScope(t.Scopes, res.Scope) {
		return refuse(ReasonScope, denial{scope: res.Scope})
	}
	return allow(ReasonAllowed)
}

// HasScope reports whether scopes grant want, counting admin:org as
// covering read:org, and admin:public_key as covering write:public_key,
// which covers read:public_key.
func HasScope(scopes []string, want string) bool {
	if slices.Contains(scopes, want) {
		return true
	}
	switch want {
	case "read:org":
		return slices.Contains(scopes, "admin:org")
	case "write:public_key":
		return slices.Contains(scopes, "admin:public_key")
	case "read:public_key":
		return HasScope(scopes, "write:public_key")
	}
	return false
}

// BlockedByPolicy reports whether the policy in force in an organization
// shuts a token out of it whatever the call: for a fine-grained token, the
// organization not opted in, fine-grained access restricted, or a lifetime
// above its maximum; for a classic token, classic access restricted or a
// lifetime above the classic maximum. An owner's token is not held to the
// maxima where administrators are exempt. BlockedBy says which rule.
func BlockedByPolicy(t *Credential, eff Effective, isOwner bool) bool {
	r, _ := blocked(t, eff, "", isOwner)
	return r != ""
}

// lifetimeOver reports whether a token lives longer than max days (0: no
// maximum). A token that never expires is over any maximum.
func lifetimeOver(t *Credential, max int) bool {
	if max == 0 {
		return false
	}
	if t.ExpiresAt.IsZero() {
		return true
	}
	// In calendar days, as ExpiresAt counts them, so that a change of
	// daylight saving time does not make a 90-day token 90 days and an hour.
	return t.ExpiresAt.After(t.CreatedAt.AddDate(0, 0, max))
}

// ReasonEnterpriseScope is a token that cannot manage an enterprise.
const ReasonEnterpriseScope Reason = "enterprise_token"

// DecideEnterprise decides a call to an enterprise's settings. Only a
// classic token of one of its owners reaches them, with admin:enterprise;
// fine-grained tokens belong to a user or an organization, never to an
// enterprise. To anyone else the enterprise does not exist (404).
func DecideEnterprise(t *Credential, isOwner bool, now time.Time) Decision {
	switch {
	case t == nil || Expired(t.ExpiresAt, now):
		return Decision{Status: http.StatusUnauthorized, Reason: ReasonBadCredentials, Message: MsgBadCredentials}
	case !isOwner:
		return hide(ReasonOwnersOnly)
	case t.Kind != KindClassic:
		return refuse(ReasonEnterpriseScope, denial{})
	case !HasScope(t.Scopes, "admin:enterprise"):
		return refuse(ReasonScope, denial{scope: "admin:enterprise"})
	}
	return allow(ReasonAllowed)
}
