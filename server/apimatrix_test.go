package server_test

// End-to-end checks of the policy rules (docs/policy.md) over the REST API: every policy
// combination, every way of changing a policy or a grant (store, settings
// pages, API), lifetimes, membership, permissions, credentials, SSH keys,
// last use, and a change racing with calls. The API caches what it reads
// on every call; each test calls first (so that the cache holds the old
// answer), then writes, then expects the new answer on the very next call.

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"patpolicy/db/dbtest"

	"patpolicy/db"
	"patpolicy/policy"
	"patpolicy/service"
)

const (
	mxOrgSettings = "/organizations/octo-org/settings/personal-access-tokens"
	mxRequests    = "/organizations/octo-org/settings/personal-access-token-requests"
	mxPolicyAPI   = "/orgs/octo-org/personal-access-token-policy"
	mxPrivate     = "/repos/octo-org/octo-api"
	mxPublic      = "/repos/octo-org/octo-web"
)

// Permission sets used below.
var (
	mxMetadata = map[string]policy.Level{policy.Metadata: policy.LevelRead}
	mxOrgAdmin = map[string]policy.Level{policy.Metadata: policy.LevelRead, "organization_administration": policy.LevelWrite}
)

// ---- helpers --------------------------------------------------------------

// mxIn is a with t as the test to fail, for subtests.
func mxIn(a *app, t *testing.T) *app {
	b := *a
	b.t = t
	return &b
}

// mxCheck reports (without stopping the test) an answer other than want;
// a 403 must name org (or its enterprise, where the rule is the
// enterprise's) in its message, and say why with its rule (checkDenial); a
// 404 say "Not Found", a 401 "Bad credentials", neither naming a rule. It
// returns whether the answer passed.
func mxCheck(t *testing.T, what string, r *apiResponse, want int, org string) bool {
	t.Helper()
	if r.Status != want {
		t.Errorf("%s: status %d, want %d: %s", what, r.Status, want, r.Body)
		return false
	}
	if !checkDenial(t, what, r) {
		return false
	}
	var e struct {
		Message string `json:"message"`
	}
	switch want {
	case http.StatusForbidden:
		r.decode(&e)
		if !strings.Contains(e.Message, org) && (enterpriseOf[org] == "" || !strings.Contains(e.Message, enterpriseOf[org])) {
			t.Errorf("%s: 403 message %q does not name %s", what, e.Message, org)
			return false
		}
	case http.StatusNotFound:
		r.decode(&e)
		if e.Message != policy.MsgNotFound {
			t.Errorf("%s: 404 message %q", what, e.Message)
			return false
		}
	case http.StatusUnauthorized:
		r.decode(&e)
		if e.Message != policy.MsgBadCredentials {
			t.Errorf("%s: 401 message %q", what, e.Message)
			return false
		}
	}
	return true
}

// mxGet calls GET path with secret and checks the answer.
func mxGet(a *app, path, secret string, want int, org string) *apiResponse {
	a.t.Helper()
	r := a.api(http.MethodGet, path, secret, nil)
	mxCheck(a.t, "GET "+path, r, want, org)
	return r
}

// mxEntID is the id of the enterprise slug.
func mxEntID(a *app, slug string) int64 {
	a.t.Helper()
	e, err := a.store.EnterpriseOwnedBy(context.Background(), slug, a.userID("ent-admin"))
	if err != nil {
		a.t.Fatalf("enterprise %s: %v", slug, err)
	}
	return e.ID
}

// mxSetEnterprise changes octo-ent's policy through the store.
func mxSetEnterprise(a *app, change func(*policy.Enterprise)) {
	a.t.Helper()
	ctx := context.Background()
	id := mxEntID(a, "octo-ent")
	cur, version, err := a.store.EnterprisePolicy(ctx, id)
	if err != nil {
		a.t.Fatal(err)
	}
	change(&cur)
	if err := a.store.SaveEnterprisePolicy(ctx, id, a.userID("ent-admin"), version, cur, nil, service.ApprovedAsOff); err != nil {
		a.t.Fatal(err)
	}
}

// mxSetOrg changes an organization's own settings through the store.
func mxSetOrg(a *app, org string, change func(*policy.OrgSettings)) {
	a.t.Helper()
	ctx := context.Background()
	id := a.orgID(org)
	p, err := a.store.OrgPolicy(ctx, id)
	if err != nil {
		a.t.Fatal(err)
	}
	change(&p.Own)
	if err := a.store.SaveOrgPolicy(ctx, id, a.userID("octo-owner"), p.Version, p.Own, nil, service.ApprovedAsOff); err != nil {
		a.t.Fatal(err)
	}
}

// mxLiftClassic makes octo-ent leave classic tokens to its organizations,
// which it restricts in the demo dataset.
func mxLiftClassic(a *app) {
	a.t.Helper()
	mxSetEnterprise(a, func(e *policy.Enterprise) { e.Classic = policy.EnterpriseAccessNoPolicy })
}

// mxGrant is the grant id of login's token named name.
func mxGrant(a *app, login, name string) int64 {
	a.t.Helper()
	t := a.token(login, name)
	if t.Grant == nil {
		a.t.Fatalf("%s's %q has no grant", login, name)
	}
	return t.Grant.ID
}

// mxReview moves octo-org's grant through the store, as an owner.
func mxReview(a *app, grant int64, from, to policy.GrantStatus) {
	a.t.Helper()
	res, err := a.store.Review(context.Background(), db.GrantReview{Follow: service.Reviewed,
		OrgID: a.orgID("octo-org"), ActorID: a.userID("octo-owner"), IDs: []int64{grant}, From: from, To: to, Reason: "matrix",
	})
	if err != nil || len(res.Moved) != 1 {
		a.t.Fatalf("review %d %s→%s: %+v, %v", grant, from, to, res, err)
	}
}

// mxDeleteToken deletes login's token named name as its owner would.
func mxDeleteToken(a *app, login, name string) {
	a.t.Helper()
	if err := a.tokenFlows().Delete(context.Background(), a.userID(login), a.token(login, name).ID); err != nil {
		a.t.Fatal(err)
	}
}

// mxRaw calls GET /api/v3+path with the Authorization header as given
// ("" for none), safe to use from any goroutine.
func mxRaw(client *http.Client, base, path, authorization string) (int, []byte, error) {
	req, err := http.NewRequest(http.MethodGet, base+"/api/v3"+path, nil)
	if err != nil {
		return 0, nil, err
	}
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	res, err := client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return res.StatusCode, b, err
}

// mxSSHKey is a new, well-formed ed25519 public key line.
func mxSSHKey(t *testing.T) string {
	t.Helper()
	const typ = "ssh-ed25519"
	var blob bytes.Buffer
	pub := make([]byte, 32)
	if _, err := rand.Read(pub); err != nil {
		t.Fatal(err)
	}
	binary.Write(&blob, binary.BigEndian, uint32(len(typ)))
	blob.WriteString(typ)
	binary.Write(&blob, binary.BigEndian, uint32(len(pub)))
	blob.Write(pub)
	return typ + " " + base64.StdEncoding.EncodeToString(blob.Bytes())
}

// mxKeys lists the keys a GET of path answers.
func mxKeys(a *app, path, secret string) []string {
	a.t.Helper()
	var keys []struct {
		Key string `json:"key"`
	}
	a.api(http.MethodGet, path, secret, nil).want(http.StatusOK).decode(&keys)
	var out []string
	for _, k := range keys {
		out = append(out, k.Key)
	}
	return out
}

// ---- 1. the decision matrix -----------------------------------------------

// mxEnforced is the effective access: the enterprise's value where it
// enforces one, else the organization's own. Written out here rather than
// taken from policy.Resolve, so that the test checks it.
func mxEnforced(ent policy.EnterpriseAccess, own policy.Access) policy.Access {
	switch ent {
	case policy.EnterpriseAccessAllow:
		return policy.Allow
	case policy.EnterpriseAccessRestrict:
		return policy.Restrict
	}
	return own
}

// mxPrivateStatus is the rules' answer to a member's token reading a private
// repository: rule 2 does not apply; a fine-grained token (approved grant,
// all repositories, Metadata read, no lifetime limit, owner a member) is
// refused only by rule 3's "effective access Restrict"; a classic token
// (repo scope) only by rule 4's. Approval plays no part for an approved
// grant, and the org is opted in.
func mxPrivateStatus(kind policy.Kind, fg, classic policy.Access) int {
	if kind == policy.KindFineGrained && fg == policy.Restrict || kind == policy.KindClassic && classic == policy.Restrict {
		return http.StatusForbidden
	}
	return http.StatusOK
}

// mxRepoNames lists the names GET /orgs/{org}/repos answers, by name.
func mxRepoNames(a *app, org, secret string) []string {
	a.t.Helper()
	var repos []struct {
		Name string `json:"name"`
	}
	a.api(http.MethodGet, "/orgs/"+org+"/repos?sort=full_name", secret, nil).want(http.StatusOK).decode(&repos)
	var out []string
	for _, r := range repos {
		out = append(out, r.Name)
	}
	slices.Sort(out)
	return out
}

func TestMatrixDecisionOrderOverHTTP(t *testing.T) {
	a := newApp(t)
	ctx := context.Background()
	// mona is a member of both organizations; every token is created once
	// and must follow every policy change.
	secrets := map[policy.Kind]string{
		policy.KindFineGrained: a.newFineGrained("mona", "matrix-fg", fgSpec{Org: "octo-org", Permissions: mxMetadata}),
		policy.KindClassic:     a.newClassic("mona", "matrix-classic", 30, "repo"),
	}
	soloFG := a.newFineGrained("mona", "matrix-solo-fg", fgSpec{Org: "solo-org", Permissions: mxMetadata})

	accesses := []policy.Access{policy.Allow, policy.Restrict}
	approvals := []policy.Approval{policy.ApprovalRequired, policy.ApprovalNotRequired}
	entAccesses := []policy.EnterpriseAccess{policy.EnterpriseAccessNoPolicy, policy.EnterpriseAccessAllow, policy.EnterpriseAccessRestrict}
	entApprovals := []policy.EnterpriseApproval{policy.EnterpriseApprovalNoPolicy, policy.EnterpriseApprovalRequired, policy.EnterpriseApprovalDisabled}
	type orgCombo struct {
		fg       policy.Access
		approval policy.Approval
		classic  policy.Access
	}
	var orgCombos []orgCombo
	for _, fg := range accesses {
		for _, ap := range approvals {
			for _, cl := range accesses {
				orgCombos = append(orgCombos, orgCombo{fg, ap, cl})
			}
		}
	}

	t.Run("octo-org", func(t *testing.T) {
		for _, efg := range entAccesses {
			for _, eap := range entApprovals {
				for _, ecl := range entAccesses {
					for _, o := range orgCombos {
						name := fmt.Sprintf("ent=%s,%s,%s/org=%s,%s,%s", efg, eap, ecl, o.fg, o.approval, o.classic)
						t.Run(name, func(t *testing.T) {
							b := mxIn(a, t)
							mxSetEnterprise(b, func(e *policy.Enterprise) { e.FineGrained, e.Approval, e.Classic = efg, eap, ecl })
							mxSetOrg(b, "octo-org", func(s *policy.OrgSettings) { s.FineGrained, s.Approval, s.Classic = o.fg, o.approval, o.classic })
							fg, classic := mxEnforced(efg, o.fg), mxEnforced(ecl, o.classic)
							for _, kind := range []policy.Kind{policy.KindFineGrained, policy.KindClassic} {
								secret := secrets[kind]
								// Rule 2: a public repository is read whatever the policy.
								mxCheck(t, string(kind)+" public", b.api(http.MethodGet, mxPublic, secret, nil), http.StatusOK, "")
								want := mxPrivateStatus(kind, fg, classic)
								mxCheck(t, string(kind)+" private", b.api(http.MethodGet, mxPrivate, secret, nil), want, "octo-org")
								// The list shows what the single reads allow.
								visible := []string{"octo-web"}
								if want == http.StatusOK {
									visible = []string{"octo-api", "octo-infra", "octo-web"}
								}
								if got := mxRepoNames(b, "octo-org", secret); !slices.Equal(got, visible) {
									t.Errorf("%s: /orgs/octo-org/repos lists %v, want %v", kind, got, visible)
								}
							}
						})
					}
				}
			}
		}
	})

	// solo-org has no enterprise: first not opted in (fine-grained tokens
	// refused, classic ones decided by its own classic setting), then
	// opted in and through every combination of its own settings.
	t.Run("solo-org", func(t *testing.T) {
		const solo = "/repos/solo-org/solo-app"
		b := mxIn(a, t)
		mxCheck(t, "fine-grained before opting in", b.api(http.MethodGet, solo, soloFG, nil), http.StatusForbidden, "solo-org")
		mxCheck(t, "classic before opting in", b.api(http.MethodGet, solo, secrets[policy.KindClassic], nil), http.StatusOK, "")
		mxSetOrg(b, "solo-org", func(s *policy.OrgSettings) { s.Classic = policy.Restrict })
		mxCheck(t, "classic restricted before opting in", b.api(http.MethodGet, solo, secrets[policy.KindClassic], nil), http.StatusForbidden, "solo-org")
		if err := a.store.OptIn(ctx, a.orgID("solo-org"), a.userID("octo-owner"), policy.DefaultOrgSettings(), nil); err != nil {
			t.Fatal(err)
		}
		mxCheck(t, "fine-grained after opting in", b.api(http.MethodGet, solo, soloFG, nil), http.StatusOK, "")
		for _, o := range orgCombos {
			t.Run(fmt.Sprintf("org=%s,%s,%s", o.fg, o.approval, o.classic), func(t *testing.T) {
				b := mxIn(a, t)
				mxSetOrg(b, "solo-org", func(s *policy.OrgSettings) { s.FineGrained, s.Approval, s.Classic = o.fg, o.approval, o.classic })
				mxCheck(t, "fine-grained", b.api(http.MethodGet, solo, soloFG, nil),
					mxPrivateStatus(policy.KindFineGrained, o.fg, o.classic), "solo-org")
				mxCheck(t, "classic", b.api(http.MethodGet, solo, secrets[policy.KindClassic], nil),
					mxPrivateStatus(policy.KindClassic, o.fg, o.classic), "solo-org")
				// octo-org's token never reaches solo-org's private repository.
				mxCheck(t, "octo-org's token", b.api(http.MethodGet, solo, secrets[policy.KindFineGrained], nil),
					map[policy.Access]int{policy.Allow: http.StatusNotFound, policy.Restrict: http.StatusForbidden}[o.fg], "solo-org")
			})
		}
	})
}

// ---- 2. a policy change takes effect on the very next call -----------------

func TestMatrixEnforcePolicyChangeOnNextCall(t *testing.T) {
	kinds := []struct {
		kind  policy.Kind
		field policy.Field
	}{
		{policy.KindFineGrained, policy.FieldFineGrained},
		{policy.KindClassic, policy.FieldClassic},
	}
	// Each way of saving a setting: value is "allow" or "restrict".
	type saver func(a *app, field policy.Field, value string)
	savers := []struct {
		name string
		save saver
	}{
		{"store", func(a *app, field policy.Field, value string) {
			mxSetOrg(a, "octo-org", func(s *policy.OrgSettings) {
				if field == policy.FieldFineGrained {
					s.FineGrained = policy.Access(value)
				} else {
					s.Classic = policy.Access(value)
				}
			})
		}},
		{"settings page", func(a *app, field policy.Field, value string) {
			c := a.as("octo-owner")
			form := c.get(mxOrgSettings).status(http.StatusOK)
			c.submit(form, "form.settings-form", map[string]string{string(field): value, "confirm": "yes"}).redirectsTo(mxOrgSettings)
			if got := c.get(mxOrgSettings).checked(string(field)); got != value {
				a.t.Fatalf("settings page shows %s=%q after saving %q", field, got, value)
			}
		}},
		{"API", func(a *app, field policy.Field, value string) {
			fgAdmin := a.newFineGrained("octo-owner", "admin-"+rand.Text()[:8], fgSpec{Org: "octo-org", Permissions: mxOrgAdmin, Days: 7})
			body := map[string]string{string(field): value}
			if field == policy.FieldFineGrained {
				// The owner's fine-grained token is itself subject to
				// the fine-grained setting: while it is restricted, the
				// token is refused like any other (rule 3)...
				if value == string(policy.Allow) {
					r := a.api(http.MethodPatch, mxPolicyAPI, fgAdmin, body)
					mxCheck(a.t, "PATCH with a fine-grained token while restricted", r, http.StatusForbidden, "octo-org")
				}
				// ...so the owner changes it with a classic admin:org
				// token (a fine-grained token restricting its own kind is
				// TestMatrixEnforcePolicyPATCHAnswersWhatItDid's case).
				fgAdmin = a.newClassic("octo-owner", "admin-"+rand.Text()[:8], 7, "admin:org")
			}
			var got map[string]any
			a.api(http.MethodPatch, mxPolicyAPI, fgAdmin, body).want(http.StatusOK).decode(&got)
			if got[string(field)] != value {
				a.t.Fatalf("PATCH answered %s=%v, want %q", field, got[string(field)], value)
			}
		}},
	}
	for _, k := range kinds {
		for _, s := range savers {
			t.Run(string(k.kind)+" via "+s.name, func(t *testing.T) {
				a := newApp(t)
				mxLiftClassic(a)
				var secret string
				if k.kind == policy.KindFineGrained {
					secret = a.newFineGrained("mona", "next-call", fgSpec{Org: "octo-org", Permissions: mxMetadata})
				} else {
					secret = a.newClassic("mona", "next-call", 30, "repo")
				}
				for round := range 2 {
					what := fmt.Sprintf("round %d: ", round)
					mxCheck(t, what+"allowed", a.api(http.MethodGet, mxPrivate, secret, nil), http.StatusOK, "")
					s.save(a, k.field, string(policy.Restrict))
					mxCheck(t, what+"right after restrict", a.api(http.MethodGet, mxPrivate, secret, nil), http.StatusForbidden, "octo-org")
					mxCheck(t, what+"public while restricted", a.api(http.MethodGet, mxPublic, secret, nil), http.StatusOK, "")
					s.save(a, k.field, string(policy.Allow))
					// Restricted and then allowed again restores access.
					mxCheck(t, what+"right after allow", a.api(http.MethodGet, mxPrivate, secret, nil), http.StatusOK, "")
				}
			})
		}
	}

	// The enterprise's changes reach its organizations' calls as fast.
	entSavers := []struct {
		name string
		save func(a *app, value policy.EnterpriseAccess)
	}{
		{"store", func(a *app, value policy.EnterpriseAccess) {
			mxSetEnterprise(a, func(e *policy.Enterprise) { e.FineGrained = value })
		}},
		{"settings page", func(a *app, value policy.EnterpriseAccess) {
			const path = "/enterprises/octo-ent/settings/personal-access-tokens"
			c := a.as("ent-admin")
			c.submit(c.get(path).status(http.StatusOK), "form.settings-form", map[string]string{"fine_grained_access": string(value), "confirm": "yes"}).redirectsTo(path)
		}},
		{"API", func(a *app, value policy.EnterpriseAccess) {
			admin := a.newClassic("ent-admin", "ent-"+rand.Text()[:8], 7, "admin:enterprise")
			a.api(http.MethodPatch, "/enterprises/octo-ent/personal-access-token-policy", admin,
				map[string]string{"fine_grained_access": string(value)}).want(http.StatusOK)
		}},
	}
	for _, s := range entSavers {
		t.Run("enterprise via "+s.name, func(t *testing.T) {
			a := newApp(t)
			secret := a.newFineGrained("mona", "next-call", fgSpec{Org: "octo-org", Permissions: mxMetadata})
			mxCheck(t, "allowed", a.api(http.MethodGet, mxPrivate, secret, nil), http.StatusOK, "")
			s.save(a, policy.EnterpriseAccessRestrict)
			mxCheck(t, "enterprise restricts", a.api(http.MethodGet, mxPrivate, secret, nil), http.StatusForbidden, "octo-org")
			s.save(a, policy.EnterpriseAccessNoPolicy)
			mxCheck(t, "enterprise leaves it to octo-org", a.api(http.MethodGet, mxPrivate, secret, nil), http.StatusOK, "")
			mxSetOrg(a, "octo-org", func(s *policy.OrgSettings) { s.FineGrained = policy.Restrict })
			s.save(a, policy.EnterpriseAccessAllow)
			mxCheck(t, "enterprise allows over octo-org's restrict", a.api(http.MethodGet, mxPrivate, secret, nil), http.StatusOK, "")
			s.save(a, policy.EnterpriseAccessNoPolicy)
			mxCheck(t, "octo-org's own restrict again", a.api(http.MethodGet, mxPrivate, secret, nil), http.StatusForbidden, "octo-org")
		})
	}
}

// Opting solo-org in lets its members' fine-grained tokens in on the very
// next call, whichever way it is done; classic tokens follow its classic
// setting before and after.
func TestMatrixEnforceOptInOnNextCall(t *testing.T) {
	const solo = "/repos/solo-org/solo-app"
	ways := []struct {
		name  string
		optIn func(a *app)
	}{
		{"store", func(a *app) {
			if err := a.store.OptIn(context.Background(), a.orgID("solo-org"), a.userID("octo-owner"), policy.DefaultOrgSettings(), nil); err != nil {
				a.t.Fatal(err)
			}
		}},
		{"onboarding pages", func(a *app) {
			const path = "/organizations/solo-org/settings/personal-access-tokens-onboarding"
			c := a.as("octo-owner")
			p := c.get(path).status(http.StatusOK)
			p = c.submit(p, "main form", map[string]string{"fine_grained_access": "allow", "nav": "continue"}).status(http.StatusOK)
			p = c.submit(p, "main form", map[string]string{"approval": "required", "nav": "continue"}).status(http.StatusOK)
			p = c.submit(p, "main form", map[string]string{"classic_access": "allow", "nav": "continue"}).status(http.StatusOK)
			c.submit(p, "main form", map[string]string{"nav": "enroll"}).redirectsTo("/organizations/solo-org/settings/personal-access-tokens")
		}},
		{"API", func(a *app) {
			// A fine-grained token cannot reach an organization that has
			// not opted in, so the owner enrolls it with a classic one.
			admin := a.newClassic("octo-owner", "enroll", 7, "admin:org")
			var got map[string]any
			a.api(http.MethodPatch, "/orgs/solo-org/personal-access-token-policy", admin, map[string]any{
				"opted_in": true, "fine_grained_access": "allow", "approval": "required", "classic_access": "allow",
			}).want(http.StatusOK).decode(&got)
			if got["opted_in"] != true {
				a.t.Fatalf("PATCH answered %v", got)
			}
		}},
	}
	for _, w := range ways {
		t.Run(w.name, func(t *testing.T) {
			a := newApp(t)
			fg := a.newFineGrained("mona", "solo", fgSpec{Org: "solo-org", Permissions: mxMetadata})
			classic := a.newClassic("mona", "solo", 30, "repo")
			mxGet(a, solo, fg, http.StatusForbidden, "solo-org")
			mxGet(a, solo, classic, http.StatusOK, "")
			w.optIn(a)
			mxGet(a, solo, fg, http.StatusOK, "")
			mxGet(a, solo, classic, http.StatusOK, "")
		})
	}
}

// ---- 3. lifetimes -----------------------------------------------------------

// mxPick is fg for a fine-grained token, classic for a classic one.
func mxPick[T any](kind policy.Kind, fg, classic *T) *T {
	if kind == policy.KindFineGrained {
		return fg
	}
	return classic
}

func TestMatrixEnforceLifetime(t *testing.T) {
	// Where the 30-day maximum comes from: the stricter of the two wins.
	sources := []struct {
		name     string
		org, ent int
		viaAPI   bool // the organization's limit saved with PATCH
	}{
		{"organization", 30, 0, false},
		{"organization via API", 30, 0, true},
		{"enterprise", 0, 30, false},
		{"enterprise stricter", 60, 30, false},
		{"organization stricter", 30, 60, false},
	}
	for _, kind := range []policy.Kind{policy.KindFineGrained, policy.KindClassic} {
		for _, src := range sources {
			t.Run(string(kind)+"/"+src.name, func(t *testing.T) {
				a := newApp(t)
				mxLiftClassic(a) // classic tokens are restricted in octo-ent by default
				issue := func(login, name string, days int) string {
					if kind == policy.KindFineGrained {
						return a.newFineGrained(login, name, fgSpec{Org: "octo-org", Permissions: mxMetadata, Days: days})
					}
					return a.newClassic(login, name, days, "repo")
				}
				member90, member30, member7, memberNever := issue("mona", "m90", 90), issue("mona", "m30", 30), issue("mona", "m7", 7), issue("mona", "never", 0)
				owner90 := issue("octo-owner", "o90", 90)
				for _, s := range []string{member90, member30, member7, memberNever, owner90} {
					mxCheck(t, "before any limit", a.api(http.MethodGet, mxPrivate, s, nil), http.StatusOK, "")
				}

				field := policy.FieldFineGrainedLifetime
				if kind == policy.KindClassic {
					field = policy.FieldClassicLifetime
				}
				mxSetEnterprise(a, func(e *policy.Enterprise) { *mxPick(kind, &e.FineGrainedLifetime, &e.ClassicLifetime) = src.ent })
				if src.viaAPI {
					admin := a.newFineGrained("octo-owner", "admin", fgSpec{Org: "octo-org", Permissions: mxOrgAdmin, Days: 7})
					var got map[string]any
					a.api(http.MethodPatch, mxPolicyAPI, admin, map[string]int{string(field): src.org}).want(http.StatusOK).decode(&got)
					if got[string(field)] != float64(30) {
						t.Fatalf("PATCH answered %s=%v", field, got[string(field)])
					}
				} else {
					mxSetOrg(a, "octo-org", func(s *policy.OrgSettings) { *mxPick(kind, &s.FineGrainedLifetime, &s.ClassicLifetime) = src.org })
				}

				lifetime403 := func(what, secret string) {
					t.Helper()
					r := a.api(http.MethodGet, mxPrivate, secret, nil)
					if mxCheck(t, what, r, http.StatusForbidden, "octo-org") && !strings.Contains(r.message(), "30 days") {
						t.Errorf("%s: message %q does not name the 30-day maximum", what, r.message())
					}
				}
				lifetime403("member's 90-day token", member90)
				lifetime403("member's never-expiring token", memberNever)
				lifetime403("owner's 90-day token, not exempt", owner90)
				mxCheck(t, "member's 30-day token", a.api(http.MethodGet, mxPrivate, member30, nil), http.StatusOK, "")
				mxCheck(t, "member's 7-day token", a.api(http.MethodGet, mxPrivate, member7, nil), http.StatusOK, "")
				mxCheck(t, "90-day token on a public repository", a.api(http.MethodGet, mxPublic, member90, nil), http.StatusOK, "")

				mxSetEnterprise(a, func(e *policy.Enterprise) { e.ExemptAdmins = true })
				mxCheck(t, "owner's 90-day token, exempt", a.api(http.MethodGet, mxPrivate, owner90, nil), http.StatusOK, "")
				lifetime403("member's 90-day token, owners exempt", member90)

				mxSetEnterprise(a, func(e *policy.Enterprise) { e.ExemptAdmins = false })
				lifetime403("owner's 90-day token, exemption withdrawn", owner90)
			})
		}
	}
}

// ---- 4. grants --------------------------------------------------------------

// mxGrantOps are the ways an owner decides a grant.
type mxGrantOps struct {
	name                  string
	approve, deny, revoke func(a *app, grant int64)
}

func mxGrantWays() []mxGrantOps {
	id := func(g int64) string { return strconv.FormatInt(g, 10) }
	adminToken := func(a *app) string {
		return a.newFineGrained("octo-owner", "admin-"+rand.Text()[:8], fgSpec{Org: "octo-org", Permissions: mxOrgAdmin, Days: 7})
	}
	return []mxGrantOps{
		{"store",
			func(a *app, g int64) { mxReview(a, g, policy.GrantPending, policy.GrantApproved) },
			func(a *app, g int64) { mxReview(a, g, policy.GrantPending, policy.GrantDenied) },
			func(a *app, g int64) { mxReview(a, g, policy.GrantApproved, policy.GrantRevoked) }},
		{"web",
			func(a *app, g int64) {
				a.as("octo-owner").post(mxRequests+"/"+id(g)+"/approve", url.Values{}).status(http.StatusSeeOther)
			},
			func(a *app, g int64) {
				a.as("octo-owner").post(mxRequests+"/"+id(g)+"/deny", url.Values{"reason": {"not now"}}).status(http.StatusSeeOther)
			},
			func(a *app, g int64) {
				owner := a.as("octo-owner")
				owner.confirm(owner.post(mxOrgSettings+"/"+id(g)+"/revoke", url.Values{})).status(http.StatusSeeOther)
			}},
		{"API",
			func(a *app, g int64) {
				a.api(http.MethodPost, "/orgs/octo-org/personal-access-token-requests/"+id(g), adminToken(a), map[string]string{"action": "approve"}).want(http.StatusNoContent)
			},
			func(a *app, g int64) {
				a.api(http.MethodPost, "/orgs/octo-org/personal-access-token-requests/"+id(g), adminToken(a), map[string]string{"action": "deny", "reason": "not now"}).want(http.StatusNoContent)
			},
			func(a *app, g int64) {
				a.api(http.MethodPost, "/orgs/octo-org/personal-access-tokens/"+id(g), adminToken(a), map[string]string{"action": "revoke"}).want(http.StatusNoContent)
			}},
	}
}

func TestMatrixEnforceGrants(t *testing.T) {
	for _, way := range mxGrantWays() {
		t.Run(way.name, func(t *testing.T) {
			a := newApp(t)
			pending := fgSpec{Org: "octo-org", Status: policy.GrantPending, Permissions: mxMetadata}
			approved, denied := a.newFineGrained("mona", "to-approve", pending), a.newFineGrained("mona", "to-deny", pending)
			late := a.newFineGrained("hubot", "approved-by-policy", pending)
			private := func(what, secret string, want int) {
				t.Helper()
				mxCheck(t, what, a.api(http.MethodGet, mxPrivate, secret, nil), want, "octo-org")
			}
			for _, s := range []string{approved, denied, late} {
				private("pending", s, http.StatusForbidden)
				mxCheck(t, "pending, public", a.api(http.MethodGet, mxPublic, s, nil), http.StatusOK, "")
			}

			way.approve(a, mxGrant(a, "mona", "to-approve"))
			private("right after approval", approved, http.StatusOK)
			way.deny(a, mxGrant(a, "mona", "to-deny"))
			private("right after denial", denied, http.StatusForbidden)
			way.revoke(a, mxGrant(a, "mona", "to-approve"))
			private("right after revocation", approved, http.StatusForbidden)
			mxCheck(t, "revoked, public", a.api(http.MethodGet, mxPublic, approved, nil), http.StatusOK, "")

			// Turning approval off approves what is pending, and only that.
			mxSetOrg(a, "octo-org", func(s *policy.OrgSettings) { s.Approval = policy.ApprovalNotRequired })
			private("pending request, approval turned off", late, http.StatusOK)
			private("revoked, approval turned off", approved, http.StatusForbidden)
			private("denied, approval turned off", denied, http.StatusForbidden)
			for _, access := range []policy.Access{policy.Restrict, policy.Allow, policy.Restrict, policy.Allow} {
				mxSetOrg(a, "octo-org", func(s *policy.OrgSettings) { s.FineGrained = access })
				want := map[policy.Access]int{policy.Allow: http.StatusOK, policy.Restrict: http.StatusForbidden}[access]
				private("approved, access "+string(access), late, want)
				private("revoked, access "+string(access), approved, http.StatusForbidden)
				private("denied, access "+string(access), denied, http.StatusForbidden)
			}
			mxSetOrg(a, "octo-org", func(s *policy.OrgSettings) { s.Approval = policy.ApprovalRequired })
			// A revocation is for good: approving it again is refused.
			a.as("octo-owner").post(mxRequests+"/"+strconv.FormatInt(mxGrant(a, "mona", "to-approve"), 10)+"/approve", url.Values{}).status(http.StatusConflict)
			private("revoked, after a refused re-approval", approved, http.StatusForbidden)
			mxCheck(t, "revoked, public at the end", a.api(http.MethodGet, mxPublic, approved, nil), http.StatusOK, "")
		})
	}

	// Turning approval off, however it is done, approves what is pending
	// (and only that) before the next call.
	offWays := []struct {
		name string
		off  func(a *app)
	}{
		{"organization, store", func(a *app) {
			mxSetOrg(a, "octo-org", func(s *policy.OrgSettings) { s.Approval = policy.ApprovalNotRequired })
		}},
		{"organization, settings page", func(a *app) {
			c := a.as("octo-owner")
			c.confirm(c.submit(c.get(mxOrgSettings).status(http.StatusOK), "form.settings-form", map[string]string{"approval": "not_required"})).redirectsTo(mxOrgSettings)
		}},
		{"organization, API", func(a *app) {
			admin := a.newFineGrained("octo-owner", "admin", fgSpec{Org: "octo-org", Permissions: mxOrgAdmin, Days: 7})
			a.api(http.MethodPatch, mxPolicyAPI, admin, map[string]string{"approval": "not_required"}).want(http.StatusOK)
		}},
		{"enterprise, store", func(a *app) {
			mxSetEnterprise(a, func(e *policy.Enterprise) { e.Approval = policy.EnterpriseApprovalDisabled })
		}},
		{"enterprise, API", func(a *app) {
			admin := a.newClassic("ent-admin", "ent", 7, "admin:enterprise")
			a.api(http.MethodPatch, "/enterprises/octo-ent/personal-access-token-policy", admin, map[string]string{"approval": "disabled"}).want(http.StatusOK)
		}},
	}
	for _, w := range offWays {
		t.Run("approval turned off: "+w.name, func(t *testing.T) {
			a := newApp(t)
			pending := fgSpec{Org: "octo-org", Status: policy.GrantPending, Permissions: mxMetadata}
			waiting, refused := a.newFineGrained("mona", "waiting", pending), a.newFineGrained("hubot", "refused", pending)
			mxReview(a, mxGrant(a, "hubot", "refused"), policy.GrantPending, policy.GrantDenied)
			mxGet(a, mxPrivate, waiting, http.StatusForbidden, "octo-org")
			mxGet(a, mxPrivate, refused, http.StatusForbidden, "octo-org")
			w.off(a)
			mxGet(a, mxPrivate, waiting, http.StatusOK, "")
			mxGet(a, mxPrivate, refused, http.StatusForbidden, "octo-org")
		})
	}

	t.Run("user-owned token", func(t *testing.T) {
		a := newApp(t)
		secret := a.newFineGrained("mona", "mine", fgSpec{Permissions: mxMetadata})
		mxCheck(t, "another owner's private repository", a.api(http.MethodGet, mxPrivate, secret, nil), http.StatusNotFound, "")
		mxCheck(t, "public repository", a.api(http.MethodGet, mxPublic, secret, nil), http.StatusOK, "")
		mxCheck(t, "the user", a.api(http.MethodGet, "/user", secret, nil), http.StatusOK, "")
	})
}

// ---- 5. membership ----------------------------------------------------------

func TestMatrixEnforceMembership(t *testing.T) {
	path := dbtest.Location(t)
	a := newAppAt(t, path)
	ctx := context.Background()
	mxLiftClassic(a)
	fg := a.newFineGrained("mona", "member", fgSpec{Org: "octo-org",
		Permissions: map[string]policy.Level{policy.Metadata: policy.LevelRead, "members": policy.LevelRead}})
	classic := a.newClassic("mona", "member", 30, "repo", "read:org")
	for _, s := range []string{fg, classic} {
		mxGet(a, mxPrivate, s, http.StatusOK, "")
		mxGet(a, "/orgs/octo-org/members", s, http.StatusOK, "")
	}

	// There is no way to leave an organization in the product: delete the
	// membership row with SQL, on the same database file.
	raw, err := db.OpenRaw(path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.ExecContext(ctx, `DELETE FROM memberships WHERE org_id = ? AND user_id = ?`,
		a.orgID("octo-org"), a.userID("mona")); err != nil {
		t.Fatal(err)
	}
	// A write outside the store bypasses the caches' invalidation (they
	// may still hold mona's role from the calls above). A write through the
	// store that may change memberships sets them aside: make one that
	// changes nothing. (A policy save would not do: roles outlive it.)
	// This is a limit of the test's back door, not of the product, in
	// which every change goes through the store.
	if _, err := a.store.SettingOrCreate(ctx, "membership-test", func() (string, error) { return "x", nil }); err != nil {
		t.Fatal(err)
	}

	for kind, s := range map[string]string{"fine-grained": fg, "classic": classic} {
		mxGet(a, mxPrivate, s, http.StatusNotFound, "")
		mxGet(a, "/repos/octo-org/octo-infra", s, http.StatusNotFound, "")
		r := mxGet(a, "/orgs/octo-org/members", s, http.StatusForbidden, "octo-org")
		if !strings.Contains(r.message(), "member") {
			t.Errorf("%s: members list refused with %q", kind, r.message())
		}
		mxGet(a, mxPublic, s, http.StatusOK, "")
		if names := mxRepoNames(a, "octo-org", s); !slices.Equal(names, []string{"octo-web"}) {
			t.Errorf("%s: a former member's token lists %v", kind, names)
		}
	}
	// mona is still a member of solo-org: nothing changes there.
	mxGet(a, "/repos/solo-org/solo-app", classic, http.StatusOK, "")
}

// ---- 6. permissions ---------------------------------------------------------

func TestMatrixEnforcePermissions(t *testing.T) {
	a := newApp(t)
	mxLiftClassic(a)
	issue := map[string]string{"title": "Matrix", "body": "from the matrix"}
	perms := func(kv ...string) map[string]policy.Level {
		m := map[string]policy.Level{policy.Metadata: policy.LevelRead}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = policy.Level(kv[i+1])
		}
		return m
	}
	issuesRead := a.newFineGrained("mona", "issues-read", fgSpec{Org: "octo-org", Permissions: perms("issues", "read")})
	issuesWrite := a.newFineGrained("mona", "issues-write", fgSpec{Org: "octo-org", Permissions: perms("issues", "write")})
	selected := a.newFineGrained("mona", "selected", fgSpec{Org: "octo-org", Selection: policy.SelectSelected,
		Repos: []string{"octo-api"}, Permissions: perms("issues", "write")})
	public := a.newFineGrained("mona", "public", fgSpec{Org: "octo-org", Selection: policy.SelectPublic, Permissions: perms("issues", "write")})
	members := a.newFineGrained("mona", "members", fgSpec{Org: "octo-org", Permissions: perms("members", "read")})
	classicRepo := a.newClassic("mona", "repo", 30, "repo")
	classicReadOrg := a.newClassic("mona", "read:org", 30, "read:org")
	classicAdminOrg := a.newClassic("mona", "admin:org", 30, "admin:org")

	cases := []struct {
		name, method, path, secret string
		want                       int
	}{
		{"issues read-only, private", http.MethodPost, "/repos/octo-org/octo-api/issues", issuesRead, http.StatusForbidden},
		{"issues read-only, public", http.MethodPost, "/repos/octo-org/octo-web/issues", issuesRead, http.StatusForbidden},
		{"issues read and write, private", http.MethodPost, "/repos/octo-org/octo-api/issues", issuesWrite, http.StatusCreated},
		{"issues read and write, public", http.MethodPost, "/repos/octo-org/octo-web/issues", issuesWrite, http.StatusCreated},
		{"selected octo-api: octo-api", http.MethodGet, mxPrivate, selected, http.StatusOK},
		{"selected octo-api: octo-infra", http.MethodGet, "/repos/octo-org/octo-infra", selected, http.StatusNotFound},
		{"selected octo-api: public octo-web", http.MethodGet, mxPublic, selected, http.StatusOK},
		{"selected octo-api: issue in octo-api", http.MethodPost, "/repos/octo-org/octo-api/issues", selected, http.StatusCreated},
		{"selected octo-api: issue in octo-infra", http.MethodPost, "/repos/octo-org/octo-infra/issues", selected, http.StatusNotFound},
		{"selected octo-api: issue in public octo-web", http.MethodPost, "/repos/octo-org/octo-web/issues", selected, http.StatusForbidden},
		{"public repositories: private", http.MethodGet, mxPrivate, public, http.StatusNotFound},
		{"public repositories: public", http.MethodGet, mxPublic, public, http.StatusOK},
		{"public repositories: issue in public", http.MethodPost, "/repos/octo-org/octo-web/issues", public, http.StatusForbidden},
		{"members read: members", http.MethodGet, "/orgs/octo-org/members", members, http.StatusOK},
		{"no members permission: members", http.MethodGet, "/orgs/octo-org/members", issuesWrite, http.StatusForbidden},
		{"classic repo: members", http.MethodGet, "/orgs/octo-org/members", classicRepo, http.StatusForbidden},
		{"classic read:org: members", http.MethodGet, "/orgs/octo-org/members", classicReadOrg, http.StatusOK},
		{"classic admin:org: members", http.MethodGet, "/orgs/octo-org/members", classicAdminOrg, http.StatusOK},
		{"classic read:org: private repository", http.MethodGet, mxPrivate, classicReadOrg, http.StatusNotFound},
		{"classic read:org: issue in public", http.MethodPost, "/repos/octo-org/octo-web/issues", classicReadOrg, http.StatusForbidden},
		{"classic repo: issue in private", http.MethodPost, "/repos/octo-org/octo-api/issues", classicRepo, http.StatusCreated},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := mxIn(a, t)
			var body any
			if tc.method == http.MethodPost {
				body = issue
			}
			r := b.api(tc.method, tc.path, tc.secret, body)
			if r.Status != tc.want {
				t.Fatalf("%s %s: status %d, want %d: %s", tc.method, tc.path, r.Status, tc.want, r.Body)
			}
			switch tc.want {
			case http.StatusForbidden:
				if r.message() == "" {
					t.Error("403 without a message")
				}
				checkDenial(t, tc.name, r)
			case http.StatusCreated:
				var got struct {
					Number int64  `json:"number"`
					Title  string `json:"title"`
					User   struct {
						Login string `json:"login"`
					} `json:"user"`
				}
				r.decode(&got)
				if got.Number < 1 || got.Title != "Matrix" || got.User.Login != "mona" {
					t.Errorf("created issue %+v", got)
				}
			case http.StatusOK:
				if strings.HasSuffix(tc.path, "/members") {
					var ms []struct {
						Login string `json:"login"`
					}
					r.decode(&ms)
					var logins []string
					for _, m := range ms {
						logins = append(logins, m.Login)
					}
					if !slices.Equal(logins, []string{"hubot", "mona", "octo-owner"}) {
						t.Errorf("members %v", logins)
					}
				}
			}
		})
	}
}

// ---- 7. credentials ---------------------------------------------------------

func TestMatrixEnforceCredentials(t *testing.T) {
	a := newApp(t)
	live := a.newFineGrained("mona", "live", fgSpec{Org: "octo-org", Permissions: mxMetadata})
	liveClassic := a.newClassic("mona", "live", 30, "repo")
	mxLiftClassic(a)

	neverFG, _ := policy.GenerateToken(policy.KindFineGrained, rand.Reader)
	neverClassic, _ := policy.GenerateToken(policy.KindClassic, rand.Reader)
	wrongSum := liveClassic[:len(liveClassic)-1] + map[bool]string{true: "B", false: "A"}[strings.HasSuffix(liveClassic, "A")]
	deletedFG := a.newFineGrained("mona", "deleted", fgSpec{Org: "octo-org", Permissions: mxMetadata})
	deletedClassic := a.newClassic("mona", "deleted-classic", 30, "repo")
	expiredFG := a.newFineGrained("mona", "expired", fgSpec{Org: "octo-org", Permissions: mxMetadata, Days: -1})
	expiredClassic := a.newClassic("mona", "expired-classic", -1, "repo")
	// The deleted tokens worked, and the cache knew them, before they went.
	for _, s := range []string{deletedFG, deletedClassic, live, liveClassic} {
		mxGet(a, mxPrivate, s, http.StatusOK, "")
	}
	mxDeleteToken(a, "mona", "deleted")
	mxDeleteToken(a, "mona", "deleted-classic")

	bad := []struct{ name, header string }{
		{"abc", "Bearer abc"},
		{"empty", "Bearer "},
		{"ghp_ with a wrong checksum", "Bearer " + wrongSum},
		{"wrong prefix (gho_)", "Bearer gho_" + liveClassic[4:]},
		{"wrong prefix (github_pak_)", "Bearer github_pak_" + live[len("github_pat_"):]},
		{"fine-grained with a bad character", "Bearer " + live[:20] + "-" + live[21:]},
		{"unknown fine-grained", "Bearer " + neverFG},
		{"unknown classic", "token " + neverClassic},
		{"deleted fine-grained", "Bearer " + deletedFG},
		{"deleted classic", "token " + deletedClassic},
		{"expired fine-grained", "Bearer " + expiredFG},
		{"expired classic", "Bearer " + expiredClassic},
		{"unknown scheme", "Basic " + live},
	}
	paths := []string{mxPublic, mxPrivate, "/orgs/octo-org", "/users/mona/keys", "/user", "/orgs/octo-org/members", "/repos/octo-org/no-such-repo"}
	client := &http.Client{}
	var first []byte
	for _, b := range bad {
		for _, p := range paths {
			status, body, err := mxRaw(client, a.srv.URL, p, b.header)
			if err != nil {
				t.Fatal(err)
			}
			if status != http.StatusUnauthorized {
				t.Errorf("%s on %s: status %d, want 401: %s", b.name, p, status, body)
				continue
			}
			if first == nil {
				first = body
				if !bytes.Contains(body, []byte(`"message":"Bad credentials"`)) {
					t.Errorf("401 body %s", body)
				}
			} else if !bytes.Equal(body, first) {
				t.Errorf("%s on %s: body %s differs from %s", b.name, p, body, first)
			}
		}
	}

	// "token" works as "Bearer" does, in any case.
	for _, scheme := range []string{"token", "Token", "Bearer", "bearer"} {
		for _, s := range []string{live, liveClassic} {
			status, body, err := mxRaw(client, a.srv.URL, mxPrivate, scheme+" "+s)
			if err != nil || status != http.StatusOK {
				t.Errorf("%s scheme: status %d, %v: %s", scheme, status, err, body)
			}
		}
	}

	// Anonymous calls: public resources answer, private ones do not.
	for _, p := range []string{mxPublic, "/orgs/octo-org", "/users/mona/keys"} {
		if status, body, _ := mxRaw(client, a.srv.URL, p, ""); status != http.StatusOK {
			t.Errorf("anonymous %s: status %d: %s", p, status, body)
		}
	}
	t.Run("anonymous private repository", func(t *testing.T) {
		missing, missingBody, _ := mxRaw(client, a.srv.URL, "/repos/octo-org/no-such-repo", "")
		status, body, _ := mxRaw(client, a.srv.URL, mxPrivate, "")
		if status == http.StatusOK {
			t.Fatalf("anonymous call read a private repository: %s", body)
		}
		if missing != http.StatusNotFound {
			t.Fatalf("anonymous call on a missing repository: %d %s", missing, missingBody)
		}
		// As GitHub does: 404, exactly as for a repository that does not
		// exist, so that an anonymous caller learns nothing (a 401 would
		// tell that the private repository exists).
		if status != http.StatusNotFound || !bytes.Equal(body, missingBody) {
			t.Errorf("anonymous private repository: %d %s, want the 404 of a missing one: %s", status, body, missingBody)
		}
	})
}

// ---- 8. SSH keys ------------------------------------------------------------

// mxKeysRW lets a fine-grained token add SSH keys (with Metadata read, to
// read repositories too).
var mxKeysRW = map[string]policy.Level{policy.Metadata: policy.LevelRead, policy.GitSSHKeys: policy.LevelWrite}

// What the product keeps on purpose: a key that a token allowed to add it
// added stays when the token is restricted, revoked or deleted. The token
// itself loses the keys with its grant.
func TestMatrixEnforceSSHKeysOutliveTheirToken(t *testing.T) {
	a := newApp(t)
	secret := a.newFineGrained("mona", "keys", fgSpec{Org: "octo-org", Permissions: mxKeysRW})
	other := a.newFineGrained("mona", "other", fgSpec{Permissions: map[string]policy.Level{policy.GitSSHKeys: policy.LevelRead}})
	key := mxSSHKey(t)
	var created struct {
		ID  int64  `json:"id"`
		Key string `json:"key"`
	}
	a.api(http.MethodPost, "/user/keys", secret, map[string]string{"title": "laptop", "key": key + " mona@laptop"}).
		want(http.StatusCreated).decode(&created)
	if created.Key != key {
		t.Fatalf("created key %q, want %q", created.Key, key)
	}
	listed := func(when string, withToken string) {
		t.Helper()
		if got := mxKeys(a, "/users/mona/keys", ""); !slices.Contains(got, key) {
			t.Errorf("%s: GET /users/mona/keys (anonymous) lists %v", when, got)
		}
		if got := mxKeys(a, "/user/keys", withToken); !slices.Contains(got, key) {
			t.Errorf("%s: GET /user/keys lists %v", when, got)
		}
	}
	listed("created", secret)
	mxSetOrg(a, "octo-org", func(s *policy.OrgSettings) { s.FineGrained = policy.Restrict })
	mxGet(a, mxPrivate, secret, http.StatusForbidden, "octo-org")
	listed("after restriction", secret)
	mxSetOrg(a, "octo-org", func(s *policy.OrgSettings) { s.FineGrained = policy.Allow })
	mxReview(a, mxGrant(a, "mona", "keys"), policy.GrantApproved, policy.GrantRevoked)
	mxGet(a, mxPrivate, secret, http.StatusForbidden, "octo-org")
	listed("after revocation", other)
	mxGet(a, "/user/keys", secret, http.StatusForbidden, "octo-org")
	checkDenial(t, "POST /user/keys after revocation", a.api(http.MethodPost, "/user/keys", secret, map[string]string{"title": "again", "key": mxSSHKey(t)}).want(http.StatusForbidden))
	mxDeleteToken(a, "mona", "keys")
	mxGet(a, "/user/keys", secret, http.StatusUnauthorized, "")
	listed("after deletion", other)
	// Other users do not see it as theirs.
	if got := mxKeys(a, "/users/hubot/keys", ""); slices.Contains(got, key) {
		t.Errorf("hubot's keys %v", got)
	}
}

// Adding an SSH key takes the classic scope write:public_key (or
// admin:public_key), or the fine-grained account permission "Git SSH keys"
// read and write on a token whose grant, if it has one, is approved; listing
// them takes read:public_key or that permission read-only. No other token
// may add a key that would outlive it.
func TestMatrixEnforceSSHKeysNeedThePermissionOrTheScope(t *testing.T) {
	a := newApp(t)
	ro := map[string]policy.Level{policy.GitSSHKeys: policy.LevelRead}
	pending := a.newFineGrained("mona", "keys-pending", fgSpec{Org: "octo-org", Status: policy.GrantPending, Permissions: mxKeysRW})
	denied := a.newFineGrained("mona", "keys-denied", fgSpec{Org: "octo-org", Status: policy.GrantPending, Permissions: mxKeysRW})
	mxReview(a, mxGrant(a, "mona", "keys-denied"), policy.GrantPending, policy.GrantDenied)
	revoked := a.newFineGrained("mona", "keys-revoked", fgSpec{Org: "octo-org", Permissions: mxKeysRW})
	mxReview(a, mxGrant(a, "mona", "keys-revoked"), policy.GrantApproved, policy.GrantRevoked)
	cases := []struct {
		name       string
		secret     string
		add, list  int
		wantInText string
	}{
		{"classic without scopes", a.newClassic("mona", "no-scopes", 30), 403, 403, "public_key"},
		{"classic with repo, admin:org and user", a.newClassic("mona", "broad", 30, "repo", "admin:org", "user"), 403, 403, "public_key"},
		{"classic read:public_key", a.newClassic("mona", "key-reader", 30, "read:public_key"), 403, 200, "write:public_key"},
		{"classic write:public_key", a.newClassic("mona", "key-writer", 30, "write:public_key"), 201, 200, ""},
		{"classic admin:public_key", a.newClassic("mona", "key-admin", 30, "admin:public_key"), 201, 200, ""},
		{"fine-grained without the permission", a.newFineGrained("mona", "keys-none", fgSpec{Days: 30}), 403, 403, policy.MsgNotAccessible},
		{"fine-grained read-only", a.newFineGrained("mona", "keys-ro", fgSpec{Days: 30, Permissions: ro}), 403, 200, policy.MsgNotAccessible},
		{"fine-grained read and write", a.newFineGrained("mona", "keys-rw", fgSpec{Days: 30, Permissions: mxKeysRW}), 201, 200, ""},
		{"organization's, approved", a.newFineGrained("mona", "keys-approved", fgSpec{Org: "octo-org", Permissions: mxKeysRW}), 201, 200, ""},
		{"organization's, pending", pending, 403, 403, "octo-org"},
		{"organization's, denied", denied, 403, 403, "octo-org"},
		{"organization's, revoked", revoked, 403, 403, "octo-org"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			key := mxSSHKey(t)
			r := a.api(http.MethodPost, "/user/keys", c.secret, map[string]string{"title": c.name, "key": key})
			if r.Status != c.add {
				t.Errorf("POST /user/keys: %d %s, want %d", r.Status, r.Body, c.add)
			} else if c.add != http.StatusCreated && !strings.Contains(r.message(), c.wantInText) {
				t.Errorf("POST /user/keys refused with %q, want it to name %q", r.message(), c.wantInText)
			}
			checkDenial(t, "POST /user/keys", r)
			if got := mxKeys(a, "/users/mona/keys", ""); slices.Contains(got, key) != (c.add == http.StatusCreated) {
				t.Errorf("after a %d, mona's public keys are %v", r.Status, got)
			}
			if r := a.api(http.MethodGet, "/user/keys", c.secret, nil); r.Status != c.list {
				t.Errorf("GET /user/keys: %d %s, want %d", r.Status, r.Body, c.list)
			}
		})
	}
}

// ---- 9. last use ------------------------------------------------------------

func TestMatrixEnforceLastUse(t *testing.T) {
	a := newApp(t)
	ctx := context.Background()
	secret := a.newFineGrained("mona", "used", fgSpec{Org: "octo-org", Permissions: mxMetadata})
	admin := a.newFineGrained("octo-owner", "admin", fgSpec{Org: "octo-org", Permissions: mxOrgAdmin, Days: 7})
	tokenID := a.token("mona", "used").ID
	lastUsed := func() *string {
		t.Helper()
		var grants []struct {
			TokenID    int64   `json:"token_id"`
			LastUsedAt *string `json:"token_last_used_at"`
		}
		a.api(http.MethodGet, "/orgs/octo-org/personal-access-tokens?token_id[]="+strconv.FormatInt(tokenID, 10), admin, nil).
			want(http.StatusOK).decode(&grants)
		if len(grants) != 1 || grants[0].TokenID != tokenID {
			t.Fatalf("listing of token %d: %+v", tokenID, grants)
		}
		return grants[0].LastUsedAt
	}
	detailPath := mxOrgSettings + "/" + strconv.FormatInt(mxGrant(a, "mona", "used"), 10)
	owner := a.as("octo-owner")

	if err := a.store.FlushLastUses(ctx); err != nil {
		t.Fatal(err)
	}
	if at := lastUsed(); at != nil {
		t.Fatalf("unused token has token_last_used_at %s", *at)
	}
	owner.get(detailPath).status(http.StatusOK).contains("main", "Never used")

	before := time.Now().UTC().Truncate(time.Second)
	mxGet(a, mxPrivate, secret, http.StatusOK, "")
	if err := a.store.FlushLastUses(ctx); err != nil {
		t.Fatal(err)
	}
	after := time.Now().UTC()
	at := lastUsed()
	if at == nil {
		t.Fatal("token_last_used_at still null after a call and a flush")
	}
	used, err := time.Parse(time.RFC3339, *at)
	if err != nil || used.Before(before) || used.After(after) {
		t.Errorf("token_last_used_at %s, want between %s and %s (%v)", *at, before, after, err)
	}
	page := owner.get(detailPath).status(http.StatusOK)
	if text := page.text("main"); strings.Contains(text, "Never used") || !strings.Contains(text, "Last used just now") {
		t.Errorf("detail page says %q, want \"Last used just now\"", text)
	}
	if !strings.Contains(owner.get(mxOrgSettings+"/active").text("main"), "Last used just now") {
		t.Error("the Active tokens list does not show the last use")
	}

	// A call refused as Bad credentials is no use of any token.
	expired := a.newFineGrained("mona", "expired", fgSpec{Org: "octo-org", Permissions: mxMetadata, Days: -1})
	mxGet(a, mxPrivate, expired, http.StatusUnauthorized, "")
	if err := a.store.FlushLastUses(ctx); err != nil {
		t.Fatal(err)
	}
	if lu := a.token("mona", "expired").LastUsedAt; !lu.IsZero() {
		t.Errorf("an expired token's refused call was recorded as a use at %s", lu)
	}
}

// ---- 10. a change racing with calls ----------------------------------------

// mxCall is one call of TestMatrixEnforceConcurrentCutoff.
type mxCall struct {
	afterCut bool // started after the cut had returned
	status   int
	err      error
}

// mxHammer has 8 goroutines call GET path with secret until the cut has
// returned and 200 more calls have started after it; cut runs on the
// test's goroutine once the callers are going. It returns every call.
func mxHammer(a *app, path, secret string, cut func()) []mxCall {
	var (
		cutDone, stop atomic.Bool
		total, post   atomic.Int64
		mu            sync.Mutex
		calls         []mxCall
		wg            sync.WaitGroup
	)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
	defer client.CloseIdleConnections()
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []mxCall
			for !stop.Load() {
				after := cutDone.Load() // read before the call starts
				status, _, err := mxRaw(client, a.srv.URL, path, "Bearer "+secret)
				mine = append(mine, mxCall{after, status, err})
				total.Add(1)
				if after {
					post.Add(1)
				}
				if err != nil {
					break
				}
			}
			mu.Lock()
			calls = append(calls, mine...)
			mu.Unlock()
		}()
	}
	waitAtLeast(&total, 40)
	// Writes that change nothing the calls read, just before the cut:
	// each one sets aside the cache's access generation (grant statuses,
	// organizations' policies), so that the callers are loading those from
	// the database when the cut begins, which is when a load from before
	// the cut could wrongly be kept after it.
	for range 10 {
		mxSetOrg(a, "solo-org", func(*policy.OrgSettings) {})
	}
	cut()
	cutDone.Store(true)
	waitAtLeast(&post, 200)
	stop.Store(true)
	wg.Wait()
	return calls
}

func TestMatrixEnforceConcurrentCutoff(t *testing.T) {
	cases := []struct {
		name  string
		setup func(a *app) // before each round
		cut   func(a *app, token string)
		want  int
	}{
		{"revocation", func(*app) {}, func(a *app, token string) {
			mxReview(a, mxGrant(a, "mona", token), policy.GrantApproved, policy.GrantRevoked)
		}, http.StatusForbidden},
		{"restriction", func(a *app) {
			mxSetOrg(a, "octo-org", func(s *policy.OrgSettings) { s.FineGrained = policy.Allow })
		}, func(a *app, _ string) {
			mxSetOrg(a, "octo-org", func(s *policy.OrgSettings) { s.FineGrained = policy.Restrict })
		}, http.StatusForbidden},
		{"deletion", func(*app) {}, func(a *app, token string) { mxDeleteToken(a, "mona", token) }, http.StatusUnauthorized},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := newApp(t)
			for round := range 5 {
				tc.setup(a)
				token := fmt.Sprintf("hammer-%d", round)
				secret := a.newFineGrained("mona", token, fgSpec{Org: "octo-org", Permissions: mxMetadata})
				mxGet(a, mxPrivate, secret, http.StatusOK, "")
				calls := mxHammer(a, mxPrivate, secret, func() { tc.cut(a, token) })
				var before200, after int
				for _, c := range calls {
					switch {
					case c.err != nil:
						t.Fatalf("round %d: call failed: %v", round, c.err)
					case c.afterCut:
						after++
						if c.status != tc.want {
							t.Errorf("round %d: a call started after the %s returned answered %d, want %d", round, tc.name, c.status, tc.want)
						}
					case c.status == http.StatusOK:
						before200++
					case c.status != tc.want:
						t.Errorf("round %d: a call racing with the %s answered %d", round, tc.name, c.status)
					}
				}
				if before200 == 0 || after < 100 {
					t.Fatalf("round %d: too few calls to tell: %d allowed before the %s, %d after", round, before200, tc.name, after)
				}
				if t.Failed() {
					return
				}
			}
		})
	}
}

// A PATCH whose change takes away the calling token's own access (an
// owner's fine-grained token restricting fine-grained tokens, a classic
// token restricting classic ones, a maximum lifetime shorter than the
// token's) must answer what it did: 200 with the new policy if it saved
// it, a refusal if it did not; never a refusal for a change it made.
func TestMatrixEnforcePolicyPATCHAnswersWhatItDid(t *testing.T) {
	cases := []struct {
		name  string
		token func(a *app) string
		body  map[string]any
		saved func(p db.OrgPolicy) bool
	}{
		{"fine-grained token restricts fine-grained tokens",
			func(a *app) string {
				return a.newFineGrained("octo-owner", "admin", fgSpec{Org: "octo-org", Permissions: mxOrgAdmin, Days: 7})
			},
			map[string]any{"fine_grained_access": "restrict"},
			func(p db.OrgPolicy) bool { return p.Own.FineGrained == policy.Restrict }},
		{"classic token restricts classic tokens",
			func(a *app) string { return a.newClassic("octo-owner", "admin", 7, "admin:org") },
			map[string]any{"classic_access": "restrict"},
			func(p db.OrgPolicy) bool { return p.Own.Classic == policy.Restrict }},
		{"90-day token sets a 30-day maximum",
			func(a *app) string {
				return a.newFineGrained("octo-owner", "admin", fgSpec{Org: "octo-org", Permissions: mxOrgAdmin, Days: 90})
			},
			map[string]any{"fine_grained_max_lifetime_days": 30},
			func(p db.OrgPolicy) bool { return p.Own.FineGrainedLifetime == 30 }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := newApp(t)
			mxLiftClassic(a)
			r := a.api(http.MethodPatch, mxPolicyAPI, tc.token(a), tc.body)
			saved := tc.saved(a.orgPolicy("octo-org"))
			switch {
			case saved && r.Status == http.StatusForbidden:
				t.Fatalf("PATCH %s %v saved the change but answered 403 %s: the answer must not check the caller "+
					"again under the policy it has just saved", mxPolicyAPI, tc.body, r.Body)
			case saved && r.Status != http.StatusOK:
				t.Fatalf("saved, but answered %d %s", r.Status, r.Body)
			case !saved && r.Status < 400:
				t.Fatalf("not saved, but answered %d %s", r.Status, r.Body)
			}
			if saved {
				var got map[string]any
				r.decode(&got)
				for k, v := range tc.body {
					if fmt.Sprint(got[k]) != fmt.Sprint(v) {
						t.Errorf("answered %s=%v, want %v", k, got[k], v)
					}
				}
			}
		})
	}
}
