package policy

import (
	"go/ast"
	"go/parser"
	"go/token"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// reasonConstants reads every constant of type Reason declared in the
// package's source, name → value, so that a rule added without a message
// fails the test below without anyone remembering to list it.
func reasonConstants(t *testing.T) map[string]string {
	t.Helper()
	fset := token.NewFileSet()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range f.Decls {
			g, ok := decl.(*ast.GenDecl)
			if !ok || g.Tok != token.CONST {
				continue
			}
			for _, spec := range g.Specs {
				v := spec.(*ast.ValueSpec)
				if id, ok := v.Type.(*ast.Ident); !ok || id.Name != "Reason" {
					continue
				}
				for i, n := range v.Names {
					lit, ok := v.Values[i].(*ast.BasicLit)
					if !ok {
						t.Fatalf("%s: not a literal", n.Name)
					}
					s, err := strconv.Unquote(lit.Value)
					if err != nil {
						t.Fatal(err)
					}
					out[n.Name] = s
				}
			}
		}
	}
	if len(out) < 15 {
		t.Fatalf("found only %d Reason constants: %v", len(out), out)
	}
	return out
}

// notRefusals are the reasons that refuse nothing by policy: allowed
// calls, and a token that is not known at all.
var notRefusals = map[Reason]bool{ReasonAllowed: true, ReasonPublicRead: true, ReasonBadCredentials: true}

// TestEveryRefusalHasAMessage fails for a reason that would answer a 403
// without saying why, and for one that docs/policy.md does not list.
func TestEveryRefusalHasAMessage(t *testing.T) {
	doc, err := os.ReadFile("../docs/policy.md")
	if err != nil {
		t.Fatal(err)
	}
	facts := denial{who: "o", days: 1, scope: "s"}
	for name, id := range reasonConstants(t) {
		r := Reason(id)
		if notRefusals[r] {
			continue
		}
		if denialMessage(r, facts) == "" {
			t.Errorf("%s (%s) has no message", name, id)
		}
		if !strings.Contains(string(doc), "| `"+id+"` |") {
			t.Errorf("%s (%s) is not in docs/policy.md's table of refusals", name, id)
		}
	}
}

// The ids of the rules are served to programs, which match them: they must
// not change. Written out here by hand, never taken from the constants.
func TestRuleIDsAreStable(t *testing.T) {
	want := map[string]string{
		"ReasonNotOptedIn":        "fine_grained_not_enabled",
		"ReasonRestricted":        "fine_grained_restricted",
		"ReasonOtherOwner":        "other_resource_owner",
		"ReasonPending":           "request_pending",
		"ReasonDenied":            "request_denied",
		"ReasonRevoked":           "access_revoked",
		"ReasonLifetime":          "lifetime_too_long",
		"ReasonNotMember":         "not_a_member",
		"ReasonOutsideSelection":  "repository_not_selected",
		"ReasonPermission":        "permission_missing",
		"ReasonClassicRestricted": "classic_restricted",
		"ReasonClassicLifetime":   "classic_lifetime_too_long",
		"ReasonScope":             "scope_missing",
		"ReasonOwnersOnly":        "owners_only",
		"ReasonEnterpriseScope":   "enterprise_token",
		"ReasonAllowed":           "allowed",
		"ReasonPublicRead":        "public_read",
		"ReasonBadCredentials":    "bad_credentials",
	}
	got := reasonConstants(t)
	for name, id := range want {
		if got[name] != id {
			t.Errorf("%s = %q, want %q", name, got[name], id)
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("%s is new: add its id here and to docs/policy.md", name)
		}
	}
}

// inEnterprise is octo-org in the octo-ent enterprise.
func inEnterprise(r *AccessRequest) { r.Policy.Enterprise = "octo-ent" }

// TestDenialsSayWhy decides one call per rule and checks the answer: a 403
// with the rule's id and its sentence, written out by hand.
func TestDenialsSayWhy(t *testing.T) {
	const page = "http://example.test/settings/personal-access-tokens/5"
	withPage := func(r *AccessRequest) { r.TokenURL = func() string { return page } }
	ceiling := func(f Field, days int) reqOpt {
		return func(r *AccessRequest) { inEnterprise(r); r.Policy.Ceiling = map[Field]int{f: days} }
	}
	cases := []struct {
		name string
		req  AccessRequest
		rule string
		msg  string
	}{
		{"not opted in", accessReq(fgToken(), privateRead(), notOptedIn), "fine_grained_not_enabled",
			"`octo-org` forbids access via a fine-grained personal access token: it has not enabled fine-grained personal access tokens. Please use a GitHub App, OAuth App, or a personal access token (classic)."},
		{"not opted in, classic restricted too", accessReq(fgToken(), privateRead(), notOptedIn, classicRestricted), "fine_grained_not_enabled",
			"`octo-org` forbids access via a fine-grained personal access token: it has not enabled fine-grained personal access tokens. Please use a GitHub App or an OAuth App."},
		{"fine-grained restricted", accessReq(fgToken(), privateRead(), fgRestricted), "fine_grained_restricted",
			"`octo-org` forbids access via a fine-grained personal access token. Please use a GitHub App, OAuth App, or a personal access token (classic)."},
		{"fine-grained restricted by the enterprise", accessReq(fgToken(), privateRead(), fgRestricted, entLocked(FieldFineGrained), classicRestricted), "fine_grained_restricted",
			"`octo-ent` forbids access via a fine-grained personal access token. Please use a GitHub App or an OAuth App."},
		{"another resource owner, public repository", accessReq(fgToken(owner(dOtherOrg)), publicWrite()), "other_resource_owner",
			"`octo-org` forbids access via this fine-grained personal access token: its resource owner is another account."},
		{"pending", accessReq(fgToken(grant(GrantPending)), privateRead()), "request_pending",
			"`octo-org` forbids access via this fine-grained personal access token: its request for access is waiting for an owner's approval."},
		{"denied", accessReq(fgToken(grant(GrantDenied)), privateRead()), "request_denied",
			"`octo-org` forbids access via this fine-grained personal access token: an owner denied its request for access."},
		{"revoked", accessReq(fgToken(grant(GrantRevoked)), privateRead()), "access_revoked",
			"`octo-org` forbids access via this fine-grained personal access token: an owner revoked its access."},
		{"pending, own account", accessReq(fgToken(grant(GrantPending)), addKey()), "request_pending",
			"`octo-org` forbids access via this fine-grained personal access token: its request for access is waiting for an owner's approval."},
		{"fine-grained lifetime", accessReq(fgToken(lifetimeDays(90)), privateRead(), fgMax(30), withPage), "lifetime_too_long",
			"The 'octo-org' organization forbids access via a fine-grained personal access tokens if the token's lifetime is greater than 30 days. Please adjust your token's lifetime at the following URL: " + page},
		{"fine-grained lifetime, no page", accessReq(fgToken(neverExpires()), privateRead(), fgMax(30)), "lifetime_too_long",
			"The 'octo-org' organization forbids access via a fine-grained personal access tokens if the token's lifetime is greater than 30 days."},
		{"fine-grained lifetime, the enterprise's", accessReq(fgToken(lifetimeDays(90)), privateRead(), fgMax(30), ceiling(FieldFineGrainedLifetime, 30)), "lifetime_too_long",
			"The 'octo-ent' enterprise forbids access via a fine-grained personal access tokens if the token's lifetime is greater than 30 days."},
		{"fine-grained lifetime, the organization's below the enterprise's", accessReq(fgToken(lifetimeDays(90)), privateRead(), fgMax(30), ceiling(FieldFineGrainedLifetime, 60)), "lifetime_too_long",
			"The 'octo-org' organization forbids access via a fine-grained personal access tokens if the token's lifetime is greater than 30 days."},
		{"not a member, public repository", accessReq(fgToken(), publicWrite(), as(NotMember)), "not_a_member",
			"`octo-org` forbids access via a personal access token whose owner is not a member of the organization."},
		{"classic, not a member", accessReq(classicFull(), orgMembers(), as(NotMember)), "not_a_member",
			"`octo-org` forbids access via a personal access token whose owner is not a member of the organization."},
		{"public repository not selected", accessReq(fgToken(selectedRepos(dRepoPrivate)), publicWrite()), "repository_not_selected",
			"Resource not accessible by personal access token"},
		{"permission missing", accessReq(fgToken(withoutPerm("members")), orgMembers()), "permission_missing",
			"Resource not accessible by personal access token"},
		{"classic restricted", accessReq(classicFull(), privateRead(), classicRestricted), "classic_restricted",
			"`octo-org` forbids access via a personal access token (classic). Please use a GitHub App, OAuth App, or a personal access token with fine-grained permissions."},
		{"classic restricted by the enterprise", accessReq(classicFull(), privateRead(), classicRestricted, entLocked(FieldClassic)), "classic_restricted",
			"`octo-ent` forbids access via a personal access token (classic). Please use a GitHub App, OAuth App, or a personal access token with fine-grained permissions."},
		{"classic lifetime", accessReq(classicFull(neverExpires()), privateRead(), classicMax(7), withPage), "classic_lifetime_too_long",
			"The 'octo-org' organization forbids access via a personal access tokens (classic) if the token's lifetime is greater than 7 days. Please adjust your token's lifetime at the following URL: " + page},
		{"classic lifetime, the enterprise's", accessReq(classicFull(), privateRead(), classicMax(7), ceiling(FieldClassicLifetime, 7)), "classic_lifetime_too_long",
			"The 'octo-ent' enterprise forbids access via a personal access tokens (classic) if the token's lifetime is greater than 7 days."},
		{"scope missing", accessReq(classicToken([]string{"repo"}), orgMembers()), "scope_missing",
			`This API operation needs the "read:org" scope.`},
		{"scope missing, own account", accessReq(classicToken(nil), addKey()), "scope_missing",
			`This API operation needs the "write:public_key" scope.`},
		{"owners only", accessReq(fgToken(), ownersOnly(orgMembers())), "owners_only",
			"`octo-org` allows only its owners to do this."},
	}
	seen := map[string]bool{}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := Decide(c.req)
			if d.Allowed || d.Status != http.StatusForbidden {
				t.Fatalf("Decide = %+v, want a 403", d)
			}
			if string(d.Rule()) != c.rule {
				t.Errorf("Rule() = %q, want %q", d.Rule(), c.rule)
			}
			if d.Message != c.msg {
				t.Errorf("Message\n got %q\nwant %q", d.Message, c.msg)
			}
		})
		seen[c.rule] = true
	}
	// The enterprise's own refusals.
	ent := DecideEnterprise(fgToken(), true, dNow)
	if ent.Rule() != "enterprise_token" || ent.Message != "Enterprise settings take a personal access token (classic) with the admin:enterprise scope." {
		t.Errorf("DecideEnterprise, fine-grained = %+v", ent)
	}
	ent = DecideEnterprise(classicToken([]string{"admin:org"}), true, dNow)
	if ent.Rule() != "scope_missing" || ent.Message != `This API operation needs the "admin:enterprise" scope.` {
		t.Errorf("DecideEnterprise, no admin:enterprise = %+v", ent)
	}
	seen["enterprise_token"] = true
	// Every refusal is covered above.
	for name, id := range reasonConstants(t) {
		if !notRefusals[Reason(id)] && !seen[id] {
			t.Errorf("%s (%s) has no case here", name, id)
		}
	}
}

// TestHiddenAndUnknownCarryNoRule: a 404 that hides a private repository,
// a 401 and an allowed call name no rule.
func TestHiddenAndUnknownCarryNoRule(t *testing.T) {
	for name, req := range map[string]AccessRequest{
		"another owner's private repository": accessReq(fgToken(owner(dOtherOrg)), privateRead()),
		"not a member, private repository":   accessReq(fgToken(), privateRead(), as(NotMember)),
		"private repository not selected":    accessReq(fgToken(selectedRepos(dRepoPublic)), privateRead()),
		"classic without repo, private":      accessReq(classicToken([]string{"read:org"}), privateRead()),
		"expired":                            accessReq(fgToken(), privateRead(), at(dCreated.AddDate(0, 0, 31))),
		"allowed":                            accessReq(fgToken(), privateRead()),
		"public read, restricted":            accessReq(fgToken(), publicRead(), fgRestricted),
	} {
		d := Decide(req)
		if d.Status == http.StatusForbidden || d.Rule() != "" {
			t.Errorf("%s: %+v names rule %q", name, d, d.Rule())
		}
	}
	if d := DecideEnterprise(classicFull(), false, dNow); d.Status != http.StatusNotFound || d.Rule() != "" {
		t.Errorf("enterprise of another: %+v", d)
	}
}

// TestBlockedBySaysWhatDecideSays: the refusal a token's page shows is the
// one any call would get.
func TestBlockedBySaysWhatDecideSays(t *testing.T) {
	for _, tok := range []*Credential{fgToken(), fgToken(neverExpires()), classicFull(), classicFull(lifetimeDays(90))} {
		for _, opts := range [][]reqOpt{
			nil, {notOptedIn}, {fgRestricted}, {classicRestricted}, {fgMax(30)}, {classicMax(30)},
			{fgMax(30), entLocked(FieldFineGrained)}, {classicRestricted, entLocked(FieldClassic)},
			{fgMax(30), exemptAdmins, as(Owner)}, {classicMax(30), exemptAdmins},
		} {
			req := accessReq(tok, privateRead(), opts...)
			want := Decide(req)
			got := BlockedBy(tok, req.Policy, dOrg, req.Membership == Owner)
			if got.Allowed {
				if want.Status == http.StatusForbidden && want.Reason != ReasonPermission {
					t.Errorf("%v %+v: not blocked, but Decide says %+v", tok.Kind, req.Policy, want)
				}
				continue
			}
			if got != want {
				t.Errorf("%v %+v: BlockedBy = %+v, Decide = %+v", tok.Kind, req.Policy, got, want)
			}
			if !BlockedByPolicy(tok, req.Policy, req.Membership == Owner) {
				t.Errorf("%v %+v: BlockedByPolicy disagrees", tok.Kind, req.Policy)
			}
		}
	}
}

func entLocked(f Field) reqOpt {
	return func(r *AccessRequest) {
		r.Policy.Enterprise = "octo-ent"
		r.Policy.Locked = map[Field]string{f: "octo-ent"}
	}
}

// TestEveryRefusalSaysWhy decides every combination of token, call, policy
// and membership below: each 403 names a rule that refuses (and, unless its
// words are GitHub's fixed ones, whose rule it is); nothing else names one.
func TestEveryRefusalSaysWhy(t *testing.T) {
	tokens := map[string]*Credential{
		"fine-grained":                  fgToken(),
		"fine-grained pending":          fgToken(grant(GrantPending)),
		"fine-grained denied":           fgToken(grant(GrantDenied)),
		"fine-grained revoked":          fgToken(grant(GrantRevoked)),
		"fine-grained of another owner": fgToken(owner(dOtherOrg)),
		"fine-grained never expiring":   fgToken(neverExpires()),
		"fine-grained selected":         fgToken(selectedRepos(dRepoPrivate)),
		"fine-grained public":           fgToken(selection(SelectPublic)),
		"fine-grained without members":  fgToken(withoutPerm("members")),
		"classic":                       classicFull(),
		"classic repo only":             classicToken([]string{"repo"}),
		"classic read:org only":         classicToken([]string{"read:org"}),
		"classic never expiring":        classicFull(neverExpires()),
	}
	resources := map[string]Resource{
		"private read": privateRead(), "private write": privateWrite(), "public read": publicRead(),
		"public write": publicWrite(), "profile": publicProfile(), "members": orgMembers(),
		"owners only": ownersOnly(orgMembers()), "add key": addKey(), "list keys": listKeys(), "own account": ownAccount(),
	}
	policies := map[string][]reqOpt{
		"open": nil, "not opted in": {notOptedIn}, "fine-grained restricted": {fgRestricted},
		"classic restricted": {classicRestricted}, "both restricted": {fgRestricted, classicRestricted},
		"7-day maxima": {fgMax(7), classicMax(7)}, "7-day maxima, exempt": {fgMax(7), classicMax(7), exemptAdmins},
		"enterprise restricts": {fgRestricted, entLocked(FieldFineGrained), classicRestricted},
		"enterprise ceiling": {fgMax(7), func(r *AccessRequest) {
			r.Policy.Enterprise, r.Policy.Ceiling = "octo-ent", map[Field]int{FieldFineGrainedLifetime: 7}
		}},
	}
	fixed := map[Reason]bool{ReasonOutsideSelection: true, ReasonPermission: true, ReasonScope: true, ReasonEnterpriseScope: true}
	n := 0
	for tn, tok := range tokens {
		for rn, res := range resources {
			for pn, opts := range policies {
				for _, m := range []Membership{NotMember, Member, Owner} {
					req := accessReq(tok, res, append(append([]reqOpt{}, opts...), as(m))...)
					d := Decide(req)
					what := tn + " / " + rn + " / " + pn
					n++
					switch {
					case d.Status == http.StatusForbidden:
						if d.Rule() != d.Reason || notRefusals[d.Reason] || d.Message == "" {
							t.Errorf("%s: a 403 with rule %q, reason %q, message %q", what, d.Rule(), d.Reason, d.Message)
						}
						if !fixed[d.Reason] && !strings.Contains(d.Message, dOrg) && !strings.Contains(d.Message, "octo-ent") {
							t.Errorf("%s: %q names neither %s nor its enterprise", what, d.Message, dOrg)
						}
					case d.Rule() != "":
						t.Errorf("%s: a %d names the rule %q", what, d.Status, d.Rule())
					case d.Status == http.StatusNotFound && d.Message != MsgNotFound:
						t.Errorf("%s: a 404 says %q", what, d.Message)
					}
				}
			}
		}
	}
	if n < 3000 {
		t.Fatalf("only %d combinations", n)
	}
}
