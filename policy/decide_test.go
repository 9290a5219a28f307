package policy

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// The expected decisions below are written by hand from the rules that
// docs/policy.md states (GitHub's own answers), never computed with Decide
// or its helpers.

const (
	dOrg      = "octo-org"
	dOtherOrg = "other-org"
	// Repository ids used by the fixtures.
	dRepoPrivate int64 = 42
	dRepoPublic  int64 = 7
)

var (
	dCreated = time.Date(2025, time.January, 10, 9, 0, 0, 0, time.UTC)
	dNow     = time.Date(2025, time.February, 1, 12, 0, 0, 0, time.UTC)
)

// ---- credentials ----------------------------------------------------------

type tokOpt func(*Credential)

// fgToken is an approved fine-grained token owned by octo-org, reaching all
// its repositories with Metadata and Contents read, Issues read and write
// and Members read, created at dCreated for 30 days.
func fgToken(opts ...tokOpt) *Credential {
	t := &Credential{
		Kind:      KindFineGrained,
		OrgLogin:  dOrg,
		Selection: SelectAll,
		Permissions: map[string]Level{
			Metadata:   LevelRead,
			"contents": LevelRead,
			"issues":   LevelWrite,
			"members":  LevelRead,
		},
		CreatedAt: dCreated,
		ExpiresAt: dCreated.AddDate(0, 0, 30),
		Grant:     GrantApproved,
	}
	for _, o := range opts {
		o(t)
	}
	return t
}

// classicToken is a classic token with the scopes given, created at
// dCreated for 30 days.
func classicToken(scopes []string, opts ...tokOpt) *Credential {
	t := &Credential{
		Kind:      KindClassic,
		Scopes:    scopes,
		CreatedAt: dCreated,
		ExpiresAt: dCreated.AddDate(0, 0, 30),
	}
	for _, o := range opts {
		o(t)
	}
	return t
}

// classicFull is a classic token with repo and read:org.
func classicFull(opts ...tokOpt) *Credential {
	return classicToken([]string{"repo", "read:org"}, opts...)
}

func owner(login string) tokOpt     { return func(t *Credential) { t.OrgLogin = login } }
func grant(g GrantStatus) tokOpt    { return func(t *Credential) { t.Grant = g } }
func expiresAt(at time.Time) tokOpt { return func(t *Credential) { t.ExpiresAt = at } }
func selection(s Selection) tokOpt  { return func(t *Credential) { t.Selection = s } }
func perm(p string, l Level) tokOpt { return func(t *Credential) { t.Permissions[p] = l } }
func withoutPerm(p string) tokOpt   { return func(t *Credential) { delete(t.Permissions, p) } }
func neverExpires() tokOpt          { return expiresAt(time.Time{}) }
func lifetimeDays(days int) tokOpt {
	return func(t *Credential) { t.ExpiresAt = t.CreatedAt.AddDate(0, 0, days) }
}
func selectedRepos(ids ...int64) tokOpt {
	return func(t *Credential) { t.Selection, t.RepoIDs = SelectSelected, ids }
}

// ---- resources --------------------------------------------------------------

// privateRead reads a private repository of octo-org (Contents read for a
// fine-grained token, nothing beyond repo for a classic one).
func privateRead() Resource {
	return Resource{Org: dOrg, Repo: &RepoRef{ID: dRepoPrivate, Private: true}, Permission: "contents", Level: LevelRead}
}

// privateWrite writes a private repository of octo-org.
func privateWrite() Resource {
	return Resource{Org: dOrg, Repo: &RepoRef{ID: dRepoPrivate, Private: true}, Write: true, Permission: "contents", Level: LevelWrite, Scope: "repo"}
}

// publicRead reads a public repository of octo-org.
func publicRead() Resource {
	return Resource{Org: dOrg, Repo: &RepoRef{ID: dRepoPublic}, Public: true, Permission: "contents", Level: LevelRead}
}

// publicProfile reads octo-org's public profile.
func publicProfile() Resource { return Resource{Org: dOrg, Public: true} }

// publicWrite opens an issue in a public repository of octo-org.
func publicWrite() Resource {
	return Resource{Org: dOrg, Repo: &RepoRef{ID: dRepoPublic}, Public: true, Write: true, Permission: "issues", Level: LevelWrite, Scope: "repo"}
}

// orgMembers lists octo-org's members.
func orgMembers() Resource {
	return Resource{Org: dOrg, Permission: "members", Level: LevelRead, Scope: "read:org"}
}

// ownAccount reaches the caller's own account, needing nothing more (the
// caller's profile).
func ownAccount() Resource { return Resource{} }

// addKey adds an SSH key to the caller's account; listKeys lists them.
func addKey() Resource {
	return Resource{Write: true, Permission: GitSSHKeys, Level: LevelWrite, Scope: "write:public_key"}
}
func listKeys() Resource {
	return Resource{Permission: GitSSHKeys, Level: LevelRead, Scope: "read:public_key"}
}

func ownersOnly(r Resource) Resource { r.OwnersOnly = true; return r }

// ---- requests ---------------------------------------------------------------

type reqOpt func(*AccessRequest)

// openPolicy is an opted-in organization allowing both kinds of token,
// requiring approval, with no lifetime maximum.
func openPolicy() Effective {
	return Effective{OptedIn: true, FineGrained: Allow, Approval: ApprovalRequired, Classic: Allow}
}

// accessReq is tok reaching res under openPolicy, its owner a Member of
// octo-org, at dNow.
func accessReq(tok *Credential, res Resource, opts ...reqOpt) AccessRequest {
	r := AccessRequest{Token: tok, Resource: res, Policy: openPolicy(), Membership: Member, Now: dNow}
	for _, o := range opts {
		o(&r)
	}
	return r
}

func as(m Membership) reqOpt     { return func(r *AccessRequest) { r.Membership = m } }
func at(now time.Time) reqOpt    { return func(r *AccessRequest) { r.Now = now } }
func fgMax(days int) reqOpt      { return func(r *AccessRequest) { r.Policy.FineGrainedLifetime = days } }
func classicMax(days int) reqOpt { return func(r *AccessRequest) { r.Policy.ClassicLifetime = days } }

var (
	notOptedIn        reqOpt = func(r *AccessRequest) { r.Policy.OptedIn = false }
	fgRestricted      reqOpt = func(r *AccessRequest) { r.Policy.FineGrained = Restrict }
	classicRestricted reqOpt = func(r *AccessRequest) { r.Policy.Classic = Restrict }
	exemptAdmins      reqOpt = func(r *AccessRequest) { r.Policy.ExemptAdmins = true }
	approvalOff       reqOpt = func(r *AccessRequest) { r.Policy.Approval = ApprovalNotRequired }
)

// ---- expectations -----------------------------------------------------------

func allowed(r Reason) Decision { return Decision{Allowed: true, Status: http.StatusOK, Reason: r} }

func denied(status int, r Reason) Decision { return Decision{Status: status, Reason: r} }

// notFound is GitHub's answer for what the token may not see.
func notFound(r Reason) Decision {
	return Decision{Status: http.StatusNotFound, Reason: r, Message: MsgNotFound}
}

// notAccessible is GitHub's answer for a visible repository the token may
// not act on.
func notAccessible(r Reason) Decision {
	return Decision{Status: http.StatusForbidden, Reason: r, Message: MsgNotAccessible}
}

var badCredentials = Decision{Status: http.StatusUnauthorized, Reason: ReasonBadCredentials, Message: MsgBadCredentials}

type decideCase struct {
	name string
	req  AccessRequest
	want Decision // Message is compared only when set
	// msg lists what the message must contain.
	msg []string
}

// checkInvariants holds for every decision: an allow is 200 with no
// denial, a denial is 401, 403 or 404 with a message.
func checkInvariants(t *testing.T, got Decision) {
	t.Helper()
	if got.Allowed {
		if got.Status != http.StatusOK {
			t.Errorf("allowed with status %d, want 200", got.Status)
		}
		return
	}
	switch got.Status {
	case http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound:
	default:
		t.Errorf("denied with status %d, want 401, 403 or 404", got.Status)
	}
	if got.Message == "" {
		t.Errorf("denied (%s) with an empty message", got.Reason)
	}
	if got.Reason == ReasonAllowed || got.Reason == ReasonPublicRead {
		t.Errorf("denied with reason %s", got.Reason)
	}
}

func checkDecision(t *testing.T, req AccessRequest, want Decision, msg ...string) Decision {
	t.Helper()
	got := Decide(req)
	checkInvariants(t, got)
	if got.Allowed != want.Allowed || got.Status != want.Status || got.Reason != want.Reason {
		t.Errorf("Decide = {Allowed: %v, Status: %d, Reason: %s, Message: %q}, want {Allowed: %v, Status: %d, Reason: %s}",
			got.Allowed, got.Status, got.Reason, got.Message, want.Allowed, want.Status, want.Reason)
	}
	if want.Message != "" && got.Message != want.Message {
		t.Errorf("Message = %q, want %q", got.Message, want.Message)
	}
	for _, s := range msg {
		if !strings.Contains(got.Message, s) {
			t.Errorf("Message %q does not contain %q", got.Message, s)
		}
	}
	return got
}

func runDecideCases(t *testing.T, cases []decideCase) {
	t.Helper()
	seen := map[string]bool{}
	for _, c := range cases {
		if seen[c.name] {
			t.Fatalf("duplicate case name %q", c.name)
		}
		seen[c.name] = true
		t.Run(c.name, func(t *testing.T) {
			checkDecision(t, c.req, c.want, c.msg...)
		})
	}
}

// ---- step 1: credentials ------------------------------------------------

func TestDecideCredentials(t *testing.T) {
	var cases []decideCase
	for _, kind := range []struct {
		name string
		tok  func(...tokOpt) *Credential
	}{{"fine-grained", fgToken}, {"classic", classicFull}} {
		for _, res := range []struct {
			name string
			res  Resource
		}{{"public read", publicRead()}, {"public profile", publicProfile()}, {"private read", privateRead()}, {"own account", ownAccount()}} {
			cases = append(cases,
				decideCase{
					name: kind.name + "/expires now/" + res.name,
					req:  accessReq(kind.tok(expiresAt(dNow)), res.res),
					want: badCredentials,
				},
				decideCase{
					name: kind.name + "/expired a second ago/" + res.name,
					req:  accessReq(kind.tok(expiresAt(dNow.Add(-time.Second))), res.res),
					want: badCredentials,
				},
				decideCase{
					name: kind.name + "/expired even where every rule fails/" + res.name,
					req: accessReq(kind.tok(expiresAt(dNow.AddDate(0, 0, -1)), owner(""), grant(GrantRevoked)), res.res,
						notOptedIn, fgRestricted, classicRestricted, as(NotMember)),
					want: badCredentials,
				},
			)
		}
		cases = append(cases,
			decideCase{
				name: kind.name + "/expires a nanosecond after now/private read",
				req:  accessReq(kind.tok(expiresAt(dNow.Add(time.Nanosecond))), privateRead()),
				want: allowed(ReasonAllowed),
			},
			decideCase{
				name: kind.name + "/expires a nanosecond after now/public read",
				req:  accessReq(kind.tok(expiresAt(dNow.Add(time.Nanosecond))), publicRead()),
				want: allowed(ReasonPublicRead),
			},
			decideCase{
				name: kind.name + "/never expires/private read",
				req:  accessReq(kind.tok(neverExpires()), privateRead()),
				want: allowed(ReasonAllowed),
			},
			decideCase{
				name: kind.name + "/valid at creation instant/private read",
				req:  accessReq(kind.tok(), privateRead(), at(dCreated)),
				want: allowed(ReasonAllowed),
			},
		)
	}
	for _, res := range []struct {
		name string
		res  Resource
	}{{"public read", publicRead()}, {"public profile", publicProfile()}, {"private read", privateRead()}, {"own account", ownAccount()}, {"public write", publicWrite()}} {
		cases = append(cases, decideCase{
			name: "no token/" + res.name,
			req:  accessReq(nil, res.res),
			want: badCredentials,
		})
	}
	runDecideCases(t, cases)
}

// ---- step 2: public reads -------------------------------------------------

// spoiler is one thing that, on its own, denies a token of the kinds it
// names access to octo-org's non-public resources.
type spoiler struct {
	name          string
	tok           []tokOpt
	req           []reqOpt
	deniesFG      bool
	deniesClassic bool
}

func spoilers() []spoiler {
	return []spoiler{
		{name: "fine-grained restricted", req: []reqOpt{fgRestricted}, deniesFG: true},
		{name: "not opted in", req: []reqOpt{notOptedIn}, deniesFG: true},
		{name: "classic restricted", req: []reqOpt{classicRestricted}, deniesClassic: true},
		{name: "grant pending", tok: []tokOpt{grant(GrantPending)}, deniesFG: true},
		{name: "grant denied", tok: []tokOpt{grant(GrantDenied)}, deniesFG: true},
		{name: "grant revoked", tok: []tokOpt{grant(GrantRevoked)}, deniesFG: true},
		{name: "no grant", tok: []tokOpt{grant("")}, deniesFG: true},
		{name: "fine-grained lifetime over", req: []reqOpt{fgMax(7)}, deniesFG: true},
		{name: "classic lifetime over", req: []reqOpt{classicMax(7)}, deniesClassic: true},
		{name: "never expires under maxima", tok: []tokOpt{neverExpires()}, req: []reqOpt{fgMax(366), classicMax(366)}, deniesFG: true, deniesClassic: true},
		{name: "not a member", req: []reqOpt{as(NotMember)}, deniesFG: true, deniesClassic: true},
		{name: "token of another org", tok: []tokOpt{owner(dOtherOrg)}, deniesFG: true},
		{name: "user-owned token", tok: []tokOpt{owner("")}, deniesFG: true},
		{name: "other repositories selected", tok: []tokOpt{selectedRepos(1, 2)}, deniesFG: true},
		{name: "no metadata", tok: []tokOpt{withoutPerm(Metadata)}, deniesFG: true},
		{name: "no permissions at all", tok: []tokOpt{func(t *Credential) { t.Permissions = nil }}, deniesFG: true},
		{name: "no scopes", tok: []tokOpt{func(t *Credential) { t.Scopes = nil }}, deniesClassic: true},
		{name: "everything at once", tok: []tokOpt{grant(GrantRevoked), owner(""), neverExpires(), func(t *Credential) { t.Scopes = nil; t.Permissions = nil }},
			req: []reqOpt{fgRestricted, notOptedIn, classicRestricted, fgMax(1), classicMax(1), as(NotMember)}, deniesFG: true, deniesClassic: true},
	}
}

func TestDecidePublicReadIgnoresPolicy(t *testing.T) {
	var cases []decideCase
	for _, s := range spoilers() {
		for _, res := range []struct {
			name string
			res  Resource
		}{{"public repo", publicRead()}, {"public profile", publicProfile()}} {
			cases = append(cases,
				decideCase{
					name: "fine-grained/" + s.name + "/" + res.name,
					req:  accessReq(fgToken(s.tok...), res.res, s.req...),
					want: allowed(ReasonPublicRead),
				},
				decideCase{
					name: "classic/" + s.name + "/" + res.name,
					req:  accessReq(classicFull(s.tok...), res.res, s.req...),
					want: allowed(ReasonPublicRead),
				},
			)
		}
	}
	runDecideCases(t, cases)
}

// A write to a public repository goes through the rules: each spoiler
// denies exactly the kinds it concerns.
func TestDecidePublicWriteIsNotShortCircuited(t *testing.T) {
	for _, s := range spoilers() {
		for _, kind := range []struct {
			name   string
			tok    *Credential
			denies bool
		}{{"fine-grained", fgToken(s.tok...), s.deniesFG}, {"classic", classicFull(s.tok...), s.deniesClassic}} {
			t.Run(kind.name+"/"+s.name, func(t *testing.T) {
				got := Decide(accessReq(kind.tok, publicWrite(), s.req...))
				checkInvariants(t, got)
				if got.Reason == ReasonPublicRead {
					t.Fatalf("a public write was decided as a public read: %+v", got)
				}
				if kind.denies == got.Allowed {
					t.Errorf("Decide = %+v, want denied: %v", got, kind.denies)
				}
				if got.Status == http.StatusNotFound {
					t.Errorf("a public repository was hidden: %+v", got)
				}
			})
		}
	}
}

// ---- the caller's own account -------------------------------------------

// SSH keys outlive the token that added them, so only a token that holds
// the permission, or the scope, may add them: not any token at all.
func TestDecideSSHKeysNeedThePermissionOrTheScope(t *testing.T) {
	everything := []reqOpt{notOptedIn, fgRestricted, classicRestricted, fgMax(1), classicMax(1), as(NotMember)}
	keysRW, keysRO := perm(GitSSHKeys, LevelWrite), perm(GitSSHKeys, LevelRead)
	cases := []decideCase{
		{name: "classic without scopes adds", req: accessReq(classicToken(nil), addKey()),
			want: denied(403, ReasonScope), msg: []string{"write:public_key"}},
		{name: "classic without scopes lists", req: accessReq(classicToken(nil), listKeys()),
			want: denied(403, ReasonScope), msg: []string{"read:public_key"}},
		{name: "classic with repo and admin:org adds", req: accessReq(classicToken([]string{"repo", "admin:org", "user"}), addKey()),
			want: denied(403, ReasonScope)},
		{name: "classic read:public_key adds", req: accessReq(classicToken([]string{"read:public_key"}), addKey()),
			want: denied(403, ReasonScope)},
		{name: "classic read:public_key lists", req: accessReq(classicToken([]string{"read:public_key"}), listKeys()),
			want: allowed(ReasonAllowed)},
		{name: "classic write:public_key adds", req: accessReq(classicToken([]string{"write:public_key"}), addKey()),
			want: allowed(ReasonAllowed)},
		{name: "classic write:public_key lists", req: accessReq(classicToken([]string{"write:public_key"}), listKeys()),
			want: allowed(ReasonAllowed)},
		{name: "classic admin:public_key adds", req: accessReq(classicToken([]string{"admin:public_key"}), addKey(), everything...),
			want: allowed(ReasonAllowed)},
		{name: "classic admin:public_key lists", req: accessReq(classicToken([]string{"admin:public_key"}), listKeys()),
			want: allowed(ReasonAllowed)},

		{name: "user-owned fine-grained without the permission adds", req: accessReq(fgToken(owner(""), grant("")), addKey()),
			want: notAccessible(ReasonPermission)},
		{name: "user-owned fine-grained without the permission lists", req: accessReq(fgToken(owner(""), grant("")), listKeys()),
			want: notAccessible(ReasonPermission)},
		{name: "user-owned fine-grained read-only adds", req: accessReq(fgToken(owner(""), grant(""), keysRO), addKey()),
			want: notAccessible(ReasonPermission)},
		{name: "user-owned fine-grained read-only lists", req: accessReq(fgToken(owner(""), grant(""), keysRO), listKeys()),
			want: allowed(ReasonAllowed)},
		{name: "user-owned fine-grained read and write adds", req: accessReq(fgToken(owner(""), grant(""), keysRW), addKey(), everything...),
			want: allowed(ReasonAllowed)},

		{name: "org-owned fine-grained, approved, adds", req: accessReq(fgToken(keysRW), addKey()),
			want: allowed(ReasonAllowed)},
		{name: "org-owned fine-grained, pending, adds", req: accessReq(fgToken(keysRW, grant(GrantPending)), addKey()),
			want: denied(403, ReasonPending), msg: []string{dOrg}},
		{name: "org-owned fine-grained, denied, adds", req: accessReq(fgToken(keysRW, grant(GrantDenied)), addKey()),
			want: denied(403, ReasonDenied), msg: []string{dOrg}},
		{name: "org-owned fine-grained, revoked, adds", req: accessReq(fgToken(keysRW, grant(GrantRevoked)), addKey()),
			want: denied(403, ReasonRevoked), msg: []string{dOrg}},
		{name: "org-owned fine-grained, revoked, lists", req: accessReq(fgToken(keysRW, grant(GrantRevoked)), listKeys()),
			want: denied(403, ReasonRevoked)},
		{name: "org-owned fine-grained, approved, without the permission", req: accessReq(fgToken(), addKey()),
			want: notAccessible(ReasonPermission)},
		{name: "expired, with the permission", req: accessReq(fgToken(keysRW, expiresAt(dNow)), addKey()),
			want: badCredentials},
	}
	runDecideCases(t, cases)
}

func TestHasScopePublicKeyLevels(t *testing.T) {
	for _, c := range []struct {
		have []string
		want string
		ok   bool
	}{
		{[]string{"admin:public_key"}, "write:public_key", true},
		{[]string{"admin:public_key"}, "read:public_key", true},
		{[]string{"write:public_key"}, "read:public_key", true},
		{[]string{"write:public_key"}, "admin:public_key", false},
		{[]string{"read:public_key"}, "write:public_key", false},
		{[]string{"user", "admin:org"}, "read:public_key", false},
	} {
		if got := HasScope(c.have, c.want); got != c.ok {
			t.Errorf("HasScope(%v, %q) = %v, want %v", c.have, c.want, got, c.ok)
		}
	}
}

func TestDecideOwnAccount(t *testing.T) {
	everything := []reqOpt{notOptedIn, fgRestricted, classicRestricted, fgMax(1), classicMax(1), as(NotMember)}
	cases := []decideCase{
		{name: "user-owned fine-grained", req: accessReq(fgToken(owner("")), ownAccount()), want: allowed(ReasonAllowed)},
		{name: "user-owned fine-grained, every org rule failing", req: accessReq(fgToken(owner(""), grant(""), neverExpires()), ownAccount(), everything...), want: allowed(ReasonAllowed)},
		{name: "org-owned fine-grained, revoked", req: accessReq(fgToken(grant(GrantRevoked)), ownAccount(), everything...), want: allowed(ReasonAllowed)},
		{name: "classic without scopes", req: accessReq(classicToken(nil), ownAccount(), everything...), want: allowed(ReasonAllowed)},
		{name: "classic, write needing no scope", req: accessReq(classicToken(nil), Resource{Write: true}, everything...), want: allowed(ReasonAllowed)},
		{name: "expired classic", req: accessReq(classicFull(expiresAt(dNow)), ownAccount()), want: badCredentials},
		{name: "expired fine-grained", req: accessReq(fgToken(owner(""), expiresAt(dNow)), ownAccount()), want: badCredentials},
	}
	runDecideCases(t, cases)
}

// ---- step 3: fine-grained -------------------------------------------------

func TestDecideFineGrainedOrder(t *testing.T) {
	cases := []decideCase{
		// Not opted in wins over everything after it.
		{name: "not opted in", req: accessReq(fgToken(), privateRead(), notOptedIn),
			want: denied(403, ReasonNotOptedIn), msg: []string{dOrg}},
		{name: "not opted in, org resource", req: accessReq(fgToken(), orgMembers(), notOptedIn),
			want: denied(403, ReasonNotOptedIn)},
		{name: "not opted in beats restrict, other owner, pending, lifetime, membership", req: accessReq(
			fgToken(owner(dOtherOrg), grant(GrantPending), neverExpires(), selectedRepos(1)), privateRead(),
			notOptedIn, fgRestricted, fgMax(30), as(NotMember)),
			want: denied(403, ReasonNotOptedIn)},
		{name: "not opted in with approval off", req: accessReq(fgToken(), publicWrite(), notOptedIn, approvalOff),
			want: denied(403, ReasonNotOptedIn)},

		// Restrict.
		{name: "restricted", req: accessReq(fgToken(), privateRead(), fgRestricted),
			want: denied(403, ReasonRestricted), msg: []string{dOrg}},
		{name: "restricted, public write", req: accessReq(fgToken(), publicWrite(), fgRestricted),
			want: denied(403, ReasonRestricted)},
		{name: "restricted beats other owner on a private repo", req: accessReq(fgToken(owner(dOtherOrg)), privateRead(), fgRestricted),
			want: denied(403, ReasonRestricted)},
		{name: "restricted beats grant, lifetime, membership, selection", req: accessReq(
			fgToken(grant(GrantDenied), neverExpires(), withoutPerm(Metadata)), privateRead(),
			fgRestricted, fgMax(30), as(NotMember)),
			want: denied(403, ReasonRestricted)},
		{name: "restricted, owner", req: accessReq(fgToken(), orgMembers(), fgRestricted, as(Owner), exemptAdmins),
			want: denied(403, ReasonRestricted)},

		// Another resource owner.
		{name: "other org, private repo", req: accessReq(fgToken(owner(dOtherOrg)), privateRead()),
			want: notFound(ReasonOtherOwner)},
		{name: "user-owned, private repo", req: accessReq(fgToken(owner("")), privateRead()),
			want: notFound(ReasonOtherOwner)},
		{name: "other org, public write", req: accessReq(fgToken(owner(dOtherOrg)), publicWrite()),
			want: denied(403, ReasonOtherOwner), msg: []string{dOrg}},
		{name: "user-owned, public write", req: accessReq(fgToken(owner("")), publicWrite()),
			want: denied(403, ReasonOtherOwner)},
		{name: "other org, org resource", req: accessReq(fgToken(owner(dOtherOrg)), orgMembers()),
			want: denied(403, ReasonOtherOwner)},
		{name: "other org beats pending, lifetime, membership, selection", req: accessReq(
			fgToken(owner(dOtherOrg), grant(GrantPending), neverExpires(), selectedRepos(1)), privateRead(),
			fgMax(30), as(NotMember)),
			want: notFound(ReasonOtherOwner)},

		// Grant.
		{name: "pending", req: accessReq(fgToken(grant(GrantPending)), privateRead()),
			want: denied(403, ReasonPending), msg: []string{dOrg}},
		{name: "denied", req: accessReq(fgToken(grant(GrantDenied)), privateRead()),
			want: denied(403, ReasonDenied), msg: []string{dOrg}},
		{name: "revoked", req: accessReq(fgToken(grant(GrantRevoked)), privateRead()),
			want: denied(403, ReasonRevoked), msg: []string{dOrg}},
		{name: "no grant", req: accessReq(fgToken(grant("")), privateRead()),
			want: denied(403, ReasonRevoked)},
		{name: "pending, approval no longer required", req: accessReq(fgToken(grant(GrantPending)), orgMembers(), approvalOff),
			want: denied(403, ReasonPending)},
		{name: "pending, owner", req: accessReq(fgToken(grant(GrantPending)), orgMembers(), as(Owner)),
			want: denied(403, ReasonPending)},
		{name: "pending beats lifetime, membership, selection, permission", req: accessReq(
			fgToken(grant(GrantPending), neverExpires(), selectedRepos(1), perm("contents", LevelNone)), privateRead(),
			fgMax(30), as(NotMember)),
			want: denied(403, ReasonPending)},
		{name: "denied beats lifetime and membership", req: accessReq(fgToken(grant(GrantDenied), lifetimeDays(60)), privateRead(), fgMax(30), as(NotMember)),
			want: denied(403, ReasonDenied)},
		{name: "revoked beats lifetime and membership", req: accessReq(fgToken(grant(GrantRevoked), lifetimeDays(60)), privateRead(), fgMax(30), as(NotMember)),
			want: denied(403, ReasonRevoked)},

		// Lifetime.
		{name: "lifetime over", req: accessReq(fgToken(lifetimeDays(31)), privateRead(), fgMax(30)),
			want: denied(403, ReasonLifetime), msg: []string{dOrg, "30 days"}},
		{name: "lifetime over by a second", req: accessReq(fgToken(expiresAt(dCreated.AddDate(0, 0, 30).Add(time.Second))), privateRead(), fgMax(30)),
			want: denied(403, ReasonLifetime), msg: []string{"30 days"}},
		{name: "lifetime exactly the maximum", req: accessReq(fgToken(lifetimeDays(30)), privateRead(), fgMax(30)),
			want: allowed(ReasonAllowed)},
		{name: "lifetime under the maximum", req: accessReq(fgToken(lifetimeDays(7)), privateRead(), fgMax(30), at(dCreated.AddDate(0, 0, 1))),
			want: allowed(ReasonAllowed)},
		{name: "never expires, maximum 366", req: accessReq(fgToken(neverExpires()), privateRead(), fgMax(366)),
			want: denied(403, ReasonLifetime), msg: []string{dOrg, "366 days"}},
		{name: "never expires, no maximum", req: accessReq(fgToken(neverExpires()), privateRead()),
			want: allowed(ReasonAllowed)},
		{name: "lifetime over, exempt owner", req: accessReq(fgToken(neverExpires()), privateRead(), fgMax(7), exemptAdmins, as(Owner)),
			want: allowed(ReasonAllowed)},
		{name: "lifetime over, exempt admins but a member", req: accessReq(fgToken(lifetimeDays(30)), privateRead(), fgMax(7), exemptAdmins, as(Member)),
			want: denied(403, ReasonLifetime), msg: []string{"7 days"}},
		{name: "lifetime over, owner not exempt", req: accessReq(fgToken(lifetimeDays(30)), privateRead(), fgMax(7), as(Owner)),
			want: denied(403, ReasonLifetime)},
		{name: "lifetime over, public write", req: accessReq(fgToken(lifetimeDays(30)), publicWrite(), fgMax(7)),
			want: denied(403, ReasonLifetime)},
		{name: "only the classic maximum applies to classic", req: accessReq(fgToken(lifetimeDays(30)), privateRead(), classicMax(7)),
			want: allowed(ReasonAllowed)},
		{name: "lifetime beats membership, selection, permission", req: accessReq(
			fgToken(lifetimeDays(30), selectedRepos(1), withoutPerm(Metadata)), privateRead(), fgMax(7), as(NotMember)),
			want: denied(403, ReasonLifetime)},

		// Membership.
		{name: "not a member, private repo", req: accessReq(fgToken(), privateRead(), as(NotMember)),
			want: notFound(ReasonNotMember)},
		{name: "not a member, public write", req: accessReq(fgToken(), publicWrite(), as(NotMember)),
			want: denied(403, ReasonNotMember), msg: []string{dOrg}},
		{name: "not a member, org resource", req: accessReq(fgToken(), orgMembers(), as(NotMember)),
			want: denied(403, ReasonNotMember)},
		{name: "not a member beats selection and permission", req: accessReq(
			fgToken(selectedRepos(1), perm("contents", LevelNone)), privateRead(), as(NotMember)),
			want: notFound(ReasonNotMember)},
		{name: "not a member, lifetime exactly the maximum", req: accessReq(fgToken(lifetimeDays(30)), orgMembers(), fgMax(30), as(NotMember)),
			want: denied(403, ReasonNotMember)},

		// Selection.
		{name: "other repositories selected, private repo", req: accessReq(fgToken(selectedRepos(1, 2, 50)), privateRead()),
			want: notFound(ReasonOutsideSelection)},
		{name: "other repositories selected, public write", req: accessReq(fgToken(selectedRepos(1, 2, 50)), publicWrite()),
			want: notAccessible(ReasonOutsideSelection)},
		{name: "nothing selected, private repo", req: accessReq(fgToken(selectedRepos()), privateRead()),
			want: notFound(ReasonOutsideSelection)},
		{name: "repository selected among others", req: accessReq(fgToken(selectedRepos(3, dRepoPublic, dRepoPrivate, 99)), privateRead()),
			want: allowed(ReasonAllowed)},
		{name: "repository selected, public write", req: accessReq(fgToken(selectedRepos(dRepoPublic)), publicWrite()),
			want: allowed(ReasonAllowed)},
		{name: "public selection, private repo", req: accessReq(fgToken(selection(SelectPublic)), privateRead()),
			want: notFound(ReasonOutsideSelection)},
		{name: "public selection, private write", req: accessReq(fgToken(selection(SelectPublic), perm("contents", LevelWrite)), privateWrite()),
			want: notFound(ReasonOutsideSelection)},
		{name: "selection does not matter for org resources", req: accessReq(fgToken(selectedRepos(1)), orgMembers()),
			want: allowed(ReasonAllowed)},
		{name: "outside selection beats permission", req: accessReq(fgToken(selectedRepos(1), perm("contents", LevelNone)), privateRead()),
			want: notFound(ReasonOutsideSelection)},

		// Metadata.
		{name: "no metadata, private repo", req: accessReq(fgToken(withoutPerm(Metadata)), privateRead()),
			want: notFound(ReasonOutsideSelection)},
		{name: "metadata none, private repo", req: accessReq(fgToken(perm(Metadata, LevelNone)), privateRead()),
			want: notFound(ReasonOutsideSelection)},
		{name: "no metadata, public write", req: accessReq(fgToken(withoutPerm(Metadata)), publicWrite()),
			want: notAccessible(ReasonOutsideSelection)},
		{name: "metadata write covers read", req: accessReq(fgToken(perm(Metadata, LevelWrite)), privateRead()),
			want: allowed(ReasonAllowed)},
		{name: "no metadata, org resource", req: accessReq(fgToken(withoutPerm(Metadata)), orgMembers()),
			want: allowed(ReasonAllowed)},

		// Permission.
		{name: "read where write is needed, private repo", req: accessReq(fgToken(), privateWrite()),
			want: notAccessible(ReasonPermission)},
		{name: "read where write is needed, public repo", req: accessReq(fgToken(perm("issues", LevelRead)), publicWrite()),
			want: notAccessible(ReasonPermission)},
		{name: "permission missing, private read", req: accessReq(fgToken(withoutPerm("contents")), privateRead()),
			want: notAccessible(ReasonPermission)},
		{name: "permission none, org resource", req: accessReq(fgToken(perm("members", LevelNone)), orgMembers()),
			want: notAccessible(ReasonPermission)},
		{name: "write covers read", req: accessReq(fgToken(perm("contents", LevelWrite)), privateRead()),
			want: allowed(ReasonAllowed)},
		{name: "write where write is needed", req: accessReq(fgToken(perm("contents", LevelWrite)), privateWrite()),
			want: allowed(ReasonAllowed)},

		// Allowed.
		{name: "allowed, private read", req: accessReq(fgToken(), privateRead()), want: allowed(ReasonAllowed)},
		{name: "allowed, public write", req: accessReq(fgToken(), publicWrite()), want: allowed(ReasonAllowed)},
		{name: "allowed, org resource", req: accessReq(fgToken(), orgMembers()), want: allowed(ReasonAllowed)},
		{name: "allowed, owner", req: accessReq(fgToken(), orgMembers(), as(Owner)), want: allowed(ReasonAllowed)},
		{name: "allowed, classic restricted", req: accessReq(fgToken(), privateRead(), classicRestricted, classicMax(1)), want: allowed(ReasonAllowed)},
		{name: "allowed, nothing needed", req: accessReq(fgToken(func(t *Credential) { t.Permissions = nil }), Resource{Org: dOrg}), want: allowed(ReasonAllowed)},
	}
	runDecideCases(t, cases)
}

// ---- step 4: classic --------------------------------------------------------

func TestDecideClassicOrder(t *testing.T) {
	cases := []decideCase{
		// Restrict.
		{name: "restricted", req: accessReq(classicFull(), privateRead(), classicRestricted),
			want: denied(403, ReasonClassicRestricted), msg: []string{dOrg}},
		{name: "restricted, org resource", req: accessReq(classicFull(), orgMembers(), classicRestricted),
			want: denied(403, ReasonClassicRestricted)},
		{name: "restricted beats lifetime, membership, scopes", req: accessReq(
			classicToken(nil, neverExpires()), privateRead(), classicRestricted, classicMax(7), as(NotMember)),
			want: denied(403, ReasonClassicRestricted)},
		{name: "restricted, exempt owner", req: accessReq(classicFull(), orgMembers(), classicRestricted, exemptAdmins, as(Owner)),
			want: denied(403, ReasonClassicRestricted)},

		// Lifetime.
		{name: "lifetime over", req: accessReq(classicFull(lifetimeDays(60)), privateRead(), classicMax(30)),
			want: denied(403, ReasonClassicLifetime), msg: []string{dOrg, "30 days"}},
		{name: "lifetime exactly the maximum", req: accessReq(classicFull(lifetimeDays(30)), privateRead(), classicMax(30)),
			want: allowed(ReasonAllowed)},
		{name: "never expires, maximum 366", req: accessReq(classicFull(neverExpires()), privateRead(), classicMax(366)),
			want: denied(403, ReasonClassicLifetime), msg: []string{"366 days"}},
		{name: "lifetime over, exempt owner", req: accessReq(classicFull(neverExpires()), privateRead(), classicMax(7), exemptAdmins, as(Owner)),
			want: allowed(ReasonAllowed)},
		{name: "lifetime over, exempt admins but a member", req: accessReq(classicFull(), privateRead(), classicMax(7), exemptAdmins),
			want: denied(403, ReasonClassicLifetime)},
		{name: "lifetime over, owner not exempt", req: accessReq(classicFull(), privateRead(), classicMax(7), as(Owner)),
			want: denied(403, ReasonClassicLifetime)},
		{name: "only the fine-grained maximum applies to fine-grained", req: accessReq(classicFull(), privateRead(), fgMax(7)),
			want: allowed(ReasonAllowed)},
		{name: "lifetime beats membership and scopes", req: accessReq(classicToken(nil), privateRead(), classicMax(7), as(NotMember)),
			want: denied(403, ReasonClassicLifetime)},

		// Membership.
		{name: "not a member, private repo", req: accessReq(classicFull(), privateRead(), as(NotMember)),
			want: notFound(ReasonNotMember)},
		{name: "not a member, org resource", req: accessReq(classicFull(), orgMembers(), as(NotMember)),
			want: denied(403, ReasonNotMember), msg: []string{dOrg}},
		{name: "not a member, public write", req: accessReq(classicFull(), publicWrite(), as(NotMember)),
			want: denied(403, ReasonNotMember)},
		{name: "not a member beats scopes", req: accessReq(classicToken(nil), privateRead(), as(NotMember)),
			want: notFound(ReasonNotMember)},

		// Scopes.
		{name: "private repo without repo", req: accessReq(classicToken([]string{"read:org", "admin:org", "user"}), privateRead()),
			want: notFound(ReasonScope)},
		{name: "private write without repo", req: accessReq(classicToken([]string{"read:org"}), privateWrite()),
			want: notFound(ReasonScope)},
		{name: "private repo, no scopes", req: accessReq(classicToken(nil), privateRead()),
			want: notFound(ReasonScope)},
		{name: "org resource without read:org", req: accessReq(classicToken([]string{"repo", "user"}), orgMembers()),
			want: denied(403, ReasonScope), msg: []string{"read:org"}},
		{name: "public write without repo", req: accessReq(classicToken([]string{"read:org"}), publicWrite()),
			want: denied(403, ReasonScope), msg: []string{"repo"}},
		{name: "admin:org covers read:org", req: accessReq(classicToken([]string{"admin:org"}), orgMembers()),
			want: allowed(ReasonAllowed)},
		{name: "read:org does not cover admin:org", req: accessReq(classicToken([]string{"read:org"}), Resource{Org: dOrg, Scope: "admin:org"}),
			want: denied(403, ReasonScope), msg: []string{"admin:org"}},
		{name: "private repo with repo", req: accessReq(classicToken([]string{"repo"}), privateRead()),
			want: allowed(ReasonAllowed)},
		{name: "private write with repo", req: accessReq(classicToken([]string{"repo"}), privateWrite()),
			want: allowed(ReasonAllowed)},
		{name: "nothing needed", req: accessReq(classicToken(nil), Resource{Org: dOrg}),
			want: allowed(ReasonAllowed)},

		// Fine-grained rules and fields do not touch classic tokens.
		{name: "fine-grained restricted and not opted in", req: accessReq(classicFull(), privateRead(), fgRestricted, notOptedIn),
			want: allowed(ReasonAllowed)},
		{name: "grant, owner login and selection ignored", req: accessReq(
			classicFull(grant(GrantRevoked), owner(dOtherOrg), selectedRepos(1)), privateRead()),
			want: allowed(ReasonAllowed)},
	}
	runDecideCases(t, cases)
}

func TestHasScope(t *testing.T) {
	cases := []struct {
		scopes []string
		want   string
		ok     bool
	}{
		{nil, "repo", false},
		{[]string{"repo"}, "repo", true},
		{[]string{"read:org"}, "read:org", true},
		{[]string{"admin:org"}, "read:org", true},
		{[]string{"admin:org"}, "admin:org", true},
		{[]string{"read:org"}, "admin:org", false},
		{[]string{"admin:org"}, "repo", false},
		{[]string{"repo", "user"}, "read:org", false},
		{[]string{"workflow", "user"}, "user", true},
	}
	for _, c := range cases {
		if got := HasScope(c.scopes, c.want); got != c.ok {
			t.Errorf("HasScope(%q, %q) = %v, want %v", c.scopes, c.want, got, c.ok)
		}
	}
}

// ---- owners only ------------------------------------------------------------

func TestDecideOwnersOnly(t *testing.T) {
	admin := ownersOnly(Resource{Org: dOrg, Permission: "organization_administration", Level: LevelWrite, Scope: "admin:org"})
	fgAdmin := func(opts ...tokOpt) *Credential {
		return fgToken(append([]tokOpt{perm("organization_administration", LevelWrite)}, opts...)...)
	}
	clAdmin := func(opts ...tokOpt) *Credential { return classicToken([]string{"admin:org"}, opts...) }
	cases := []decideCase{
		{name: "fine-grained, member", req: accessReq(fgAdmin(), admin),
			want: denied(403, ReasonOwnersOnly), msg: []string{dOrg}},
		{name: "fine-grained, owner", req: accessReq(fgAdmin(), admin, as(Owner)), want: allowed(ReasonAllowed)},
		{name: "classic, member", req: accessReq(clAdmin(), admin),
			want: denied(403, ReasonOwnersOnly), msg: []string{dOrg}},
		{name: "classic, owner", req: accessReq(clAdmin(), admin, as(Owner)), want: allowed(ReasonAllowed)},

		// Every other rule comes first.
		{name: "fine-grained, member, not opted in", req: accessReq(fgAdmin(), admin, notOptedIn), want: denied(403, ReasonNotOptedIn)},
		{name: "fine-grained, member, restricted", req: accessReq(fgAdmin(), admin, fgRestricted), want: denied(403, ReasonRestricted)},
		{name: "fine-grained, member, other org", req: accessReq(fgAdmin(owner(dOtherOrg)), admin), want: denied(403, ReasonOtherOwner)},
		{name: "fine-grained, member, pending", req: accessReq(fgAdmin(grant(GrantPending)), admin), want: denied(403, ReasonPending)},
		{name: "fine-grained, member, lifetime", req: accessReq(fgAdmin(), admin, fgMax(7)), want: denied(403, ReasonLifetime)},
		{name: "fine-grained, not a member", req: accessReq(fgAdmin(), admin, as(NotMember)), want: denied(403, ReasonNotMember)},
		{name: "fine-grained, member, permission missing", req: accessReq(fgToken(), admin), want: notAccessible(ReasonPermission)},
		{name: "fine-grained, member, private repo outside selection", req: accessReq(fgAdmin(selectedRepos(1)), ownersOnly(privateRead())),
			want: notFound(ReasonOutsideSelection)},
		{name: "classic, member, restricted", req: accessReq(clAdmin(), admin, classicRestricted), want: denied(403, ReasonClassicRestricted)},
		{name: "classic, member, lifetime", req: accessReq(clAdmin(), admin, classicMax(7)), want: denied(403, ReasonClassicLifetime)},
		{name: "classic, not a member", req: accessReq(clAdmin(), admin, as(NotMember)), want: denied(403, ReasonNotMember)},
		{name: "classic, member, scope missing", req: accessReq(classicToken([]string{"read:org"}), admin), want: denied(403, ReasonScope)},
		{name: "classic, member, private repo without repo", req: accessReq(clAdmin(), ownersOnly(privateRead())), want: notFound(ReasonScope)},

		// An exempt owner passes the lifetime and reaches the owners' call.
		{name: "fine-grained, exempt owner over lifetime", req: accessReq(fgAdmin(neverExpires()), admin, fgMax(7), exemptAdmins, as(Owner)),
			want: allowed(ReasonAllowed)},
		{name: "fine-grained, member with exempt admins over lifetime", req: accessReq(fgAdmin(neverExpires()), admin, fgMax(7), exemptAdmins),
			want: denied(403, ReasonLifetime)},
	}
	runDecideCases(t, cases)
}

// ---- every policy combination ---------------------------------------------

// wantUnderPolicy is the rules' answer for a member or owner of octo-org holding a token
// that has every permission or scope the resource needs and a lifetime
// within any maximum: only the policy switches and the grant matter.
func wantUnderPolicy(pol Effective, kind Kind, g GrantStatus, res Resource) Decision {
	if res.Public && !res.Write {
		return allowed(ReasonPublicRead)
	}
	if kind == KindFineGrained {
		switch {
		case !pol.OptedIn:
			return denied(403, ReasonNotOptedIn)
		case pol.FineGrained == Restrict:
			return denied(403, ReasonRestricted)
		case g == GrantPending:
			return denied(403, ReasonPending)
		case g != GrantApproved:
			panic("unexpected grant " + g)
		}
		return allowed(ReasonAllowed)
	}
	if pol.Classic == Restrict {
		return denied(403, ReasonClassicRestricted)
	}
	return allowed(ReasonAllowed)
}

func TestDecideEveryPolicyCombination(t *testing.T) {
	resources := []struct {
		name string
		res  Resource
	}{
		{"public read", publicRead()},
		{"private read", privateRead()},
		{"public write", publicWrite()},
		{"org resource", orgMembers()},
	}
	n := 0
	for _, fg := range []Access{Allow, Restrict} {
		for _, ap := range []Approval{ApprovalRequired, ApprovalNotRequired} {
			for _, cl := range []Access{Allow, Restrict} {
				for _, optedIn := range []bool{true, false} {
					for _, m := range []Membership{Member, Owner} {
						pol := Effective{OptedIn: optedIn, FineGrained: fg, Approval: ap, Classic: cl}
						// An owner's token needs no approval, and where
						// approval is not required requests are approved on
						// creation; otherwise a member's request waits.
						g := GrantApproved
						if ap == ApprovalRequired && m != Owner {
							g = GrantPending
						}
						for _, kind := range []Kind{KindFineGrained, KindClassic} {
							var tok *Credential
							if kind == KindFineGrained {
								tok = fgToken(grant(g))
							} else {
								tok = classicFull()
							}
							for _, r := range resources {
								n++
								name := fmt.Sprintf("fg=%s/approval=%s/classic=%s/opted_in=%v/%s/%s/%s",
									fg, ap, cl, optedIn, map[Membership]string{Member: "member", Owner: "owner"}[m], kind, r.name)
								want := wantUnderPolicy(pol, kind, g, r.res)
								t.Run(name, func(t *testing.T) {
									req := AccessRequest{Token: tok, Resource: r.res, Policy: pol, Membership: m, Now: dNow}
									checkDecision(t, req, want)
								})
							}
						}
					}
				}
			}
		}
	}
	if n != 2*2*2*2*2*2*len(resources) {
		t.Fatalf("ran %d combinations", n)
	}
}

// The policy Decide is given is the one Resolve computes: an enterprise's
// enforced choices and stricter lifetime reach the decision.
func TestDecideUnderResolvedEnterprisePolicy(t *testing.T) {
	ent := func(mod func(*Enterprise)) *Enterprise {
		e := DefaultEnterprise()
		e.Name = "Octo Enterprise"
		mod(&e)
		return &e
	}
	own := DefaultOrgSettings()
	withPolicy := func(eff Effective) reqOpt { return func(r *AccessRequest) { r.Policy = eff } }
	cases := []decideCase{
		{name: "enterprise restricts fine-grained over an allowing org",
			req:  accessReq(fgToken(), privateRead(), withPolicy(Resolve(own, true, ent(func(e *Enterprise) { e.FineGrained = EnterpriseAccessRestrict })))),
			want: denied(403, ReasonRestricted)},
		{name: "enterprise allows fine-grained over a restricting org",
			req: accessReq(fgToken(), privateRead(), withPolicy(Resolve(OrgSettings{FineGrained: Restrict, Approval: ApprovalRequired, Classic: Allow}, true,
				ent(func(e *Enterprise) { e.FineGrained = EnterpriseAccessAllow })))),
			want: allowed(ReasonAllowed)},
		{name: "enterprise opted in for an org that did not",
			req:  accessReq(fgToken(), privateRead(), withPolicy(Resolve(own, false, ent(func(e *Enterprise) { e.OptedIn = true })))),
			want: allowed(ReasonAllowed)},
		{name: "no enterprise, org not opted in",
			req:  accessReq(fgToken(), privateRead(), withPolicy(Resolve(own, false, nil))),
			want: denied(403, ReasonNotOptedIn)},
		{name: "enterprise restricts classic",
			req:  accessReq(classicFull(), privateRead(), withPolicy(Resolve(own, true, ent(func(e *Enterprise) { e.Classic = EnterpriseAccessRestrict })))),
			want: denied(403, ReasonClassicRestricted)},
		{name: "enterprise lifetime stricter than the org's",
			req: accessReq(fgToken(lifetimeDays(60)), privateRead(), withPolicy(Resolve(OrgSettings{FineGrained: Allow, Approval: ApprovalRequired, Classic: Allow, FineGrainedLifetime: 90}, true,
				ent(func(e *Enterprise) { e.FineGrainedLifetime = 30 })))),
			want: denied(403, ReasonLifetime), msg: []string{"30 days"}},
		{name: "org lifetime stricter than the enterprise's",
			req: accessReq(classicFull(lifetimeDays(60)), privateRead(), withPolicy(Resolve(OrgSettings{FineGrained: Allow, Approval: ApprovalRequired, Classic: Allow, ClassicLifetime: 30}, true,
				ent(func(e *Enterprise) { e.ClassicLifetime = 90 })))),
			want: denied(403, ReasonClassicLifetime), msg: []string{"30 days"}},
		{name: "enterprise exempts administrators",
			req: accessReq(fgToken(neverExpires()), privateRead(), as(Owner), withPolicy(Resolve(own, true,
				ent(func(e *Enterprise) { e.FineGrainedLifetime = 30; e.ExemptAdmins = true })))),
			want: allowed(ReasonAllowed)},
	}
	runDecideCases(t, cases)
}

// ---- lifetimes across a daylight-saving change ------------------------

// The store makes tokens in UTC, so a lifetime of N days is N times 24
// hours: exactly the maximum passes, a second more does not.
func TestDecideLifetimeBoundary(t *testing.T) {
	created := time.Date(2025, time.October, 1, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		expires time.Time
		allowed bool
	}{
		{ExpiresAt(created, 90), true},
		{ExpiresAt(created, 90).Add(time.Second), false},
	} {
		tok := fgToken(func(c *Credential) { c.CreatedAt, c.ExpiresAt = created, tc.expires })
		got := Decide(accessReq(tok, privateRead(), fgMax(90), at(created.AddDate(0, 0, 1))))
		if got.Allowed != tc.allowed {
			t.Errorf("expires %v under a 90-day maximum: %+v, want allowed %v", tc.expires, got, tc.allowed)
		}
	}
}
