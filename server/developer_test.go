package server_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"patpolicy/policy"
)

const (
	fgPath      = "/settings/personal-access-tokens"
	classicPath = "/settings/tokens"
)

var (
	fineGrainedFormat = regexp.MustCompile(`^github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59}$`)
	classicFormat     = regexp.MustCompile(`^ghp_[A-Za-z0-9]{36}$`)
)

// newToken submits the new fine-grained token form as the page offers it,
// with set replacing (not adding to) the values it names.
func (c *client) newToken(set url.Values) *page {
	c.t.Helper()
	form := c.get(fgPath + "/new").status(http.StatusOK)
	_, values := form.formOf("form.token-form")
	for k, v := range set {
		values[k] = v
	}
	return c.post(fgPath, values)
}

// createdID is the id of the token a successful creation redirects to.
func (p *page) createdID(base string) string {
	p.t.Helper()
	p.redirectsTo(base + "/")
	id := strings.TrimPrefix(p.location(), base+"/")
	if id == "" || strings.ContainsAny(id, "/?") {
		p.t.Fatalf("creation redirects to %q", p.location())
	}
	return id
}

// newTokenBox is the one-time textbox of a token page.
func (p *page) newTokenBox() *goquery.Selection {
	return p.doc.Find(`#new-token`)
}

// ownerOptions lists the values of the Resource owner combobox.
func ownerOptions(p *page) []string {
	var out []string
	p.doc.Find(`select#resource_owner option`).Each(func(_ int, s *goquery.Selection) {
		v, _ := s.Attr("value")
		out = append(out, v)
	})
	return out
}

func TestNewTokenFormOffersOnlyOpenOrganizations(t *testing.T) {
	a := newApp(t)
	mona := a.as("mona")
	form := mona.get(fgPath + "/new").status(http.StatusOK)
	if got := strings.Join(ownerOptions(form), ","); got != "@me,octo-org" {
		t.Fatalf("resource owners %q, want @me,octo-org (solo-org has not opted in)", got)
	}
	if label := form.text(`select#resource_owner option[value="@me"]`); label != "mona" {
		t.Errorf("the user's own option is labelled %q", label)
	}
	if form.doc.Find(`label[for="resource_owner"]`).Text() != "Resource owner" {
		t.Error("no combobox named Resource owner")
	}
	// Only the offered organization's repositories are choices.
	if form.doc.Find(`input[name="repo_octo-org"]`).Length() != 3 {
		t.Errorf("octo-org repository checkboxes: %d", form.doc.Find(`input[name="repo_octo-org"]`).Length())
	}
	if form.doc.Find(`input[name="repo_solo-org"]`).Length() != 0 || strings.Contains(form.body, "solo-app") {
		t.Error("solo-org's repositories are offered")
	}
	// The form names the rules that apply.
	form.contains("#resource_owner-help", "octo-org: an owner approves requests")
	if form.selected("expiration") != "30" {
		t.Errorf("default expiration %q, want 30", form.selected("expiration"))
	}
	var exps []string
	form.doc.Find(`select#expiration option`).Each(func(_ int, s *goquery.Selection) { exps = append(exps, s.Text()) })
	if got := strings.Join(exps, "|"); got != "7 days|30 days|60 days|90 days|366 days|No expiration" {
		t.Errorf("expiration options %q", got)
	}

	// Restricting fine-grained tokens in octo-org takes it off the list.
	owner := a.as("octo-owner")
	owner.submit(owner.get(patPath), "form.settings-form", map[string]string{"fine_grained_access": "restrict", "confirm": "yes"}).redirectsTo(patPath)
	form = mona.get(fgPath + "/new").status(http.StatusOK)
	if got := strings.Join(ownerOptions(form), ","); got != "@me" {
		t.Fatalf("resource owners after restriction %q, want only @me", got)
	}
	if form.doc.Find(`input[name="repo_octo-org"]`).Length() != 0 {
		t.Error("a restricted organization's repositories are still offered")
	}
	// And a crafted request to it is refused.
	res := mona.newToken(url.Values{"name": {"sneaky"}, "resource_owner": {"octo-org"}, "justification": {"because"}}).
		status(http.StatusUnprocessableEntity)
	res.contains("#resource_owner-error", "Choose a resource owner from the list.")
	if _, ok := a.findToken("mona", "sneaky"); ok {
		t.Fatal("a token was created for a restricting organization")
	}
}

func TestNewTokenRefusesBadInputKeepingIt(t *testing.T) {
	cases := []struct {
		name    string
		as      string
		setup   func(a *app)
		set     url.Values
		field   string // the field whose error is shown
		message string
	}{
		{name: "missing name", set: url.Values{"name": {"  "}}, field: "name", message: "Token name can't be blank."},
		{name: "name too long", set: url.Values{"name": {strings.Repeat("n", 41)}}, field: "name", message: "at most 40"},
		{name: "missing justification", set: url.Values{"justification": {""}}, field: "justification", message: "Justification can't be blank."},
		{name: "unknown expiration", set: url.Values{"expiration": {"45"}}, field: "expiration", message: "Choose one of the expiration options."},
		{
			name:  "expiration beyond the maximum lifetime",
			setup: func(a *app) { a.setOrgLifetime("30") },
			set:   url.Values{"expiration": {"60"}}, field: "expiration",
			message: "octo-org requires fine-grained personal access tokens to expire within 30 days",
		},
		{
			name:  "no expiration under a maximum lifetime",
			setup: func(a *app) { a.setOrgLifetime("90") },
			set:   url.Values{"expiration": {"none"}}, field: "expiration",
			message: "expire within 90 days. Choose 90 days or fewer.",
		},
		{name: "organization not opted in", set: url.Values{"resource_owner": {"solo-org"}}, field: "resource_owner", message: "Choose a resource owner from the list."},
		{name: "organization not a member of", set: url.Values{"resource_owner": {"other-org"}}, field: "resource_owner", message: "Choose a resource owner from the list."},
		{name: "no resource owner", set: url.Values{"resource_owner": {""}}, field: "resource_owner", message: "Choose a resource owner from the list."},
		{name: "no repository selected", set: url.Values{"repo_octo-org": nil}, field: "repositories", message: "Select at least one repository."},
		{name: "duplicate name", set: url.Values{"name": {"deploy-bot"}}, field: "name", message: "You already have a token named “deploy-bot”."},
		{name: "unknown permission level", set: url.Values{"perm_issues": {"admin"}}, field: "repo-perms", message: "Choose a level for Issues."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := newApp(t)
			a.addOwner("other-owner", "other-org", "Other Org")
			if tc.setup != nil {
				tc.setup(a)
			}
			mona := a.as("mona")
			api, infra := a.repoID("octo-org", "octo-api"), a.repoID("octo-org", "octo-infra")
			values := url.Values{
				"name": {"kept-name"}, "description": {"Kept description"}, "justification": {"Kept justification"},
				"resource_owner": {"octo-org"}, "expiration": {"30"}, "repository_selection": {"selected"},
				"repo_octo-org": {api, infra}, "perm_contents": {"write"}, "perm_issues": {"read"}, "perm_members": {"read"},
			}
			for k, v := range tc.set {
				if v == nil {
					delete(values, k)
				} else {
					values[k] = v
				}
			}
			res := mona.newToken(values).status(http.StatusUnprocessableEntity)
			res.contains("#"+tc.field+"-error", tc.message)
			res.contains(`[role="alert"]`, tc.message)

			// What the user typed and chose is shown again.
			if got := res.attr("input#name", "value"); got != values.Get("name") {
				t.Errorf("name shown %q, want %q", got, values.Get("name"))
			}
			if got := res.text("textarea#description"); got != "Kept description" {
				t.Errorf("description shown %q", got)
			}
			if got := res.text("textarea#justification"); got != values.Get("justification") {
				t.Errorf("justification shown %q, want %q", got, values.Get("justification"))
			}
			if got := res.checked("repository_selection"); got != "selected" {
				t.Errorf("selection shown %q", got)
			}
			if got := res.selected("expiration"); got != values.Get("expiration") && values.Get("expiration") != "45" {
				t.Errorf("expiration shown %q, want %q", got, values.Get("expiration"))
			}
			if values.Get("resource_owner") == "octo-org" {
				if got := res.selected("resource_owner"); got != "octo-org" {
					t.Errorf("resource owner shown %q", got)
				}
				var checked []string
				res.doc.Find(`input[name="repo_octo-org"][checked]`).Each(func(_ int, s *goquery.Selection) {
					v, _ := s.Attr("value")
					checked = append(checked, v)
				})
				if want := strings.Join(values["repo_octo-org"], ","); strings.Join(checked, ",") != want {
					t.Errorf("repositories checked %v, want %s", checked, want)
				}
			}
			for perm, want := range map[string]string{"contents": "write", "members": "read", "pull_requests": "none"} {
				if got := res.selected("perm-" + perm); got != want {
					t.Errorf("%s shown %q, want %q", perm, got, want)
				}
			}
			if res.doc.Find(`#new-token`).Length() != 0 {
				t.Error("a refused form shows a token")
			}
			// Nothing was stored.
			if n := len(a.tokens("mona")); n != 1 {
				t.Fatalf("mona has %d tokens, want the demo's 1", n)
			}
		})
	}
}

// setOrgLifetime sets octo-org's maximum fine-grained lifetime through its
// settings page.
func (a *app) setOrgLifetime(days string) {
	a.t.Helper()
	owner := a.as("octo-owner")
	owner.submit(owner.get(patPath), "form.settings-form", map[string]string{
		"fine_grained_max_lifetime_days_expires": "on", "fine_grained_max_lifetime_days_days": days, "confirm": "yes",
	}).redirectsTo(patPath)
}

// tokens lists login's fine-grained tokens by name.
func (a *app) tokens(login string) []string {
	a.t.Helper()
	ts, err := a.store.TokensOf(context.Background(), a.userID(login), policy.KindFineGrained, 0, 0)
	if err != nil {
		a.t.Fatal(err)
	}
	var out []string
	for _, t := range ts {
		out = append(out, t.Name)
	}
	return out
}

func TestRepositoryOfAnotherOrganizationIsRefused(t *testing.T) {
	a := newApp(t)
	mona := a.as("mona")
	res := mona.newToken(url.Values{
		"name": {"cross"}, "resource_owner": {"octo-org"}, "justification": {"x"}, "repository_selection": {"selected"},
		"repo_octo-org": {a.repoID("octo-org", "octo-api"), a.repoID("solo-org", "solo-app")},
	}).status(http.StatusUnprocessableEntity)
	res.contains("#repositories-error", "Select repositories of octo-org only.")
	if _, ok := a.findToken("mona", "cross"); ok {
		t.Fatal("a token with another organization's repository was created")
	}
	// A repository id that is not a number, or does not exist.
	for _, bad := range []string{"octo-api", "999999", "-1"} {
		mona.newToken(url.Values{
			"name": {"cross"}, "resource_owner": {"octo-org"}, "justification": {"x"}, "repository_selection": {"selected"},
			"repo_octo-org": {bad},
		}).status(http.StatusUnprocessableEntity).contains("#repositories-error", "Select repositories of octo-org only.")
	}
}

func TestOwnerNeedsNoJustification(t *testing.T) {
	a := newApp(t)
	owner := a.as("octo-owner")
	id := owner.newToken(url.Values{"name": {"owner-tool"}, "resource_owner": {"octo-org"}, "justification": {""},
		"repository_selection": {"all"}, "perm_issues": {"write"}}).createdID(fgPath)
	p := owner.get(fgPath + "/" + id).status(http.StatusOK)
	p.contains("main .page-title-row", "Active")
	if strings.Contains(p.text("main"), "pending approval") {
		t.Error("an owner's token is said to be pending")
	}
	tok := a.token("octo-owner", "owner-tool")
	if tok.Grant == nil || tok.Grant.Status != policy.GrantApproved {
		t.Fatalf("owner's grant %+v, want approved", tok.Grant)
	}
	// Issues read-and-write implies reading metadata.
	p.contains("main", "Issues: Read and write")
	p.contains("main", "Metadata: Read-only")
	granted := a.audit("octo-org", policy.ActionAccessGranted)
	if len(granted) != 2 || !strings.Contains(granted[0].Details, "owner-tool") || granted[0].ActorLogin != "octo-owner" {
		t.Fatalf("access_granted events %+v", granted)
	}
	if n := len(a.audit("octo-org", policy.ActionRequestCreated)); n != 2 {
		t.Errorf("%d request_created events, want only the demo's 2", n)
	}
	// Nobody is asked to review it.
	for _, n := range a.notifications("octo-owner") {
		if strings.Contains(n.Message, "owner-tool") {
			t.Errorf("owner notified of their own token: %q", n.Message)
		}
	}
	if owner.get(fgPath+"/"+id).doc.Find(`button:contains("Cancel request")`).Length() != 0 {
		t.Error("an approved token offers Cancel request")
	}
}

func TestNoJustificationWhereApprovalIsOff(t *testing.T) {
	a := newApp(t)
	owner := a.as("octo-owner")
	owner.confirm(owner.submit(owner.get(patPath), "form.settings-form", map[string]string{"approval": "not_required"})).redirectsTo(patPath)
	mona := a.as("mona")
	id := mona.newToken(url.Values{"name": {"free"}, "resource_owner": {"octo-org"}, "justification": {""}}).createdID(fgPath)
	mona.get(fgPath+"/"+id).status(http.StatusOK).contains("main .page-title-row", "Active")
	if g := a.token("mona", "free").Grant; g == nil || g.Status != policy.GrantApproved {
		t.Fatalf("grant %+v, want approved on creation", g)
	}
	var created, granted bool
	for _, e := range a.audit("octo-org", "") {
		created = created || e.Action == policy.ActionRequestCreated && strings.Contains(e.Details, "“free”")
		granted = granted || e.Action == policy.ActionAccessGranted && strings.Contains(e.Details, "“free”")
	}
	if !created || !granted {
		t.Errorf("audit: request_created %v, access_granted %v", created, granted)
	}
}

func TestCreateFineGrainedShowsTheTokenOnceAndStoresItsHash(t *testing.T) {
	dir := t.TempDir()
	a := newAppAt(t, filepath.Join(dir, "test.db"))
	mona := a.as("mona")
	api := a.repoID("octo-org", "octo-api")
	id := mona.newToken(url.Values{
		"name": {"release-bot"}, "description": {"Cuts releases"}, "expiration": {"7"}, "resource_owner": {"octo-org"},
		"justification": {"Tags releases"}, "repository_selection": {"selected"}, "repo_octo-org": {api},
		"perm_contents": {"write"},
	}).createdID(fgPath)

	first := mona.get(fgPath + "/" + id).status(http.StatusOK)
	box := first.newTokenBox()
	if box.Length() != 1 {
		t.Fatalf("%d New token boxes, want 1", box.Length())
	}
	if _, ro := box.Attr("readonly"); !ro {
		t.Error("the New token textbox is not read-only")
	}
	if first.text(`label[for="new-token"]`) != "New token" {
		t.Errorf("the token box is labelled %q", first.text(`label[for="new-token"]`))
	}
	secret := box.Text()
	if !fineGrainedFormat.MatchString(secret) {
		t.Fatalf("token %q is not in the fine-grained format", secret)
	}
	if kind, err := policy.ParseToken(secret); err != nil || kind != policy.KindFineGrained {
		t.Errorf("ParseToken: %v %v", kind, err)
	}
	if strings.Count(first.body, secret) != 1 {
		t.Errorf("the page holds the token %d times", strings.Count(first.body, secret))
	}
	first.contains("main .new-token", "pending approval by an owner of octo-org")
	first.contains("main .page-title-row", "Pending")
	first.contains("main", "Cuts releases")
	first.contains("main", "Tags releases")
	first.contains("main", "octo-api")
	first.contains("main", "Contents: Read and write")
	first.contains("main", "Metadata: Read-only")

	second := mona.get(fgPath + "/" + id).status(http.StatusOK)
	if second.newTokenBox().Length() != 0 || strings.Contains(second.body, secret) {
		t.Fatal("the token is shown a second time")
	}
	second.contains("main", "pending approval by an owner of octo-org")
	list := mona.get(fgPath).status(http.StatusOK)
	if strings.Contains(list.body, secret) {
		t.Fatal("the list shows the token")
	}
	row := list.doc.Find(`main li:contains("release-bot")`)
	if href, _ := row.Find("a").Attr("href"); href != fgPath+"/"+id {
		t.Errorf("list links the token to %q", href)
	}
	if !strings.Contains(row.Text(), "Pending") || !strings.Contains(row.Text(), "octo-org") {
		t.Errorf("list row %q lacks its status or resource owner", strings.Join(strings.Fields(row.Text()), " "))
	}

	// The database keeps the SHA-256 of the token and never the token.
	raw, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "test.db")+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var stored []byte
	if err := raw.QueryRow(`SELECT hash FROM tokens WHERE id = ?`, id).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(secret))
	if !bytes.Equal(stored, sum[:]) {
		t.Fatalf("stored hash %x, want sha256 %x", stored, sum)
	}
	var hits int
	if err := raw.QueryRow(`SELECT count(*) FROM tokens WHERE instr(name || description || prefix || scopes, ?) > 0`, secret).Scan(&hits); err != nil || hits != 0 {
		t.Fatalf("the plaintext is in a token column (%d, %v)", hits, err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "test.db*"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(b, []byte(secret)) || bytes.Contains(b, []byte(secret[len("github_pat_"):])) {
			t.Fatalf("%s holds the plaintext token", filepath.Base(f))
		}
	}

	// The request waits for an owner, who is told.
	if len(a.audit("octo-org", policy.ActionAccessGranted)) != 1 { // the demo owner's token
		t.Error("a member's request was granted at once")
	}
	created := a.audit("octo-org", policy.ActionRequestCreated)
	if len(created) != 3 || !strings.Contains(created[0].Details, "release-bot") || created[0].ActorLogin != "mona" {
		t.Fatalf("request_created events %+v", created)
	}
}

func TestTokenForTheUserIsActiveWithoutGrant(t *testing.T) {
	a := newApp(t)
	mona := a.as("mona")
	id := mona.newToken(url.Values{"name": {"personal"}, "resource_owner": {"@me"}, "justification": {"ignored"},
		"expiration": {"none"}}).createdID(fgPath)
	p := mona.get(fgPath + "/" + id).status(http.StatusOK)
	p.contains("main .page-title-row", "Active")
	p.contains("main", "Never expires")
	if strings.Contains(p.text("main"), "ignored") {
		t.Error("a justification is kept for a token nobody reviews")
	}
	if tok := a.token("mona", "personal"); tok.Grant != nil || tok.OrgID != 0 {
		t.Fatalf("a user's own token has a grant: %+v", tok)
	}
	// Organization permissions make no sense for a user's own token.
	mona.newToken(url.Values{"name": {"personal-2"}, "resource_owner": {"@me"}, "perm_members": {"read"}}).
		status(http.StatusUnprocessableEntity).contains("#repo-perms-error", "Members only applies to tokens owned by an organization.")
}

func TestCancelRequest(t *testing.T) {
	a := newApp(t)
	mona := a.as("mona")
	id := a.tokenID("mona", "deploy-bot")
	p := mona.get(fgPath + "/" + id).status(http.StatusOK)
	if p.doc.Find(`button:contains("Cancel request")`).Length() != 1 {
		t.Fatal("a pending request has no Cancel request button")
	}
	mona.confirm(mona.submit(p, `form[action$="/cancel"]`, nil)).redirectsTo(fgPath)
	mona.get(fgPath).contains(`[role="status"]`, "cancelled")
	mona.get(fgPath + "/" + id).status(http.StatusNotFound)
	if _, ok := a.findToken("mona", "deploy-bot"); ok {
		t.Fatal("the cancelled request's token remains")
	}
	evs := a.audit("octo-org", policy.ActionRequestCancelled)
	if len(evs) != 1 || !strings.Contains(evs[0].Details, "deploy-bot") || evs[0].ActorLogin != "mona" {
		t.Fatalf("request_cancelled events %+v", evs)
	}
	owner := a.as("octo-owner")
	queue := owner.get("/organizations/octo-org/settings/personal-access-token-requests").status(http.StatusOK)
	if strings.Contains(queue.text("main"), "deploy-bot") {
		t.Error("the queue still lists a cancelled request")
	}
	// Twice: it is gone.
	mona.post(fgPath+"/"+id+"/cancel", url.Values{}).status(http.StatusNotFound)

	// An approved token cannot be cancelled, only deleted.
	own := a.tokenID("octo-owner", "owner-automation")
	owner.post(fgPath+"/"+own+"/cancel", url.Values{}).status(http.StatusConflict).contains("main", "no longer pending")
	if g := a.token("octo-owner", "owner-automation").Grant; g.Status != policy.GrantApproved {
		t.Fatalf("cancel changed an approved grant to %s", g.Status)
	}
	if n := len(a.audit("octo-org", policy.ActionRequestCancelled)); n != 1 {
		t.Fatalf("%d request_cancelled events after a refused cancel", n)
	}
	// A user's own token has no request to cancel.
	personal := mona.newToken(url.Values{"name": {"personal"}, "resource_owner": {"@me"}}).createdID(fgPath)
	mona.post(fgPath+"/"+personal+"/cancel", url.Values{}).status(http.StatusNotFound)
}

func TestCancelAfterAnOwnerReviewed(t *testing.T) {
	a := newApp(t)
	mona := a.as("mona")
	id := a.tokenID("mona", "deploy-bot")
	stale := mona.get(fgPath + "/" + id)
	owner := a.as("octo-owner")
	owner.post(requestsPath+"/"+a.grantID("mona", "deploy-bot")+"/approve", url.Values{}).redirectsTo(requestsPath)
	mona.submit(stale, `form[action$="/cancel"]`, nil).status(http.StatusConflict).contains("main", "no longer pending")
	if g := a.token("mona", "deploy-bot").Grant; g.Status != policy.GrantApproved {
		t.Fatalf("grant %s after a late cancel", g.Status)
	}
}

func TestDeleteToken(t *testing.T) {
	a := newApp(t)
	owner := a.as("octo-owner")
	id := a.tokenID("octo-owner", "owner-automation")
	p := owner.get(fgPath + "/" + id).status(http.StatusOK)
	owner.confirm(owner.submit(p, `form[action$="/delete"]`, nil)).redirectsTo(fgPath)
	list := owner.get(fgPath).status(http.StatusOK)
	list.contains(`[role="status"]`, "deleted")
	if list.doc.Find(`main li:contains("owner-automation")`).Length() != 0 {
		t.Error("the list still shows a deleted token")
	}
	owner.get(fgPath + "/" + id).status(http.StatusNotFound)
	owner.post(fgPath+"/"+id+"/delete", url.Values{}).status(http.StatusNotFound)
	// Deleting an approved token ends its access, and the log says so.
	evs := a.audit("octo-org", policy.ActionAccessRevoked)
	if len(evs) != 1 || !strings.Contains(evs[0].Details, "owner-automation") || !strings.Contains(evs[0].Details, "deleted by its owner") {
		t.Fatalf("access_revoked events %+v", evs)
	}
	active := owner.get("/organizations/octo-org/settings/personal-access-tokens/active").status(http.StatusOK)
	active.contains("main", "No active tokens")

	// Deleting a pending request cancels it.
	mona := a.as("mona")
	mona.confirm(mona.post(fgPath+"/"+a.tokenID("mona", "deploy-bot")+"/delete", url.Values{})).redirectsTo(fgPath)
	if evs := a.audit("octo-org", policy.ActionRequestCancelled); len(evs) != 1 || !strings.Contains(evs[0].Details, "deploy-bot") {
		t.Fatalf("request_cancelled events %+v", evs)
	}
	// A fine-grained token is not deleted through the classic path.
	hubot := a.as("hubot")
	hubot.post(classicPath+"/"+a.tokenID("hubot", "ci-reader")+"/delete", url.Values{}).status(http.StatusNotFound)
	if _, ok := a.findToken("hubot", "ci-reader"); !ok {
		t.Fatal("the classic path deleted a fine-grained token")
	}
}

func TestClassicTokens(t *testing.T) {
	a := newApp(t)
	mona := a.as("mona")
	list := mona.get(classicPath).status(http.StatusOK)
	list.contains("h1", "Personal access tokens (classic)")
	if href := list.attr(`main a:contains("Generate new token")`, "href"); href != classicPath+"/new" {
		t.Errorf("Generate new token links to %q", href)
	}
	form := mona.get(classicPath + "/new").status(http.StatusOK)
	for _, s := range policy.Scopes() {
		if got := form.text(`label[for="scope-` + s + `"]`); got != s {
			t.Errorf("scope checkbox labelled %q, want %q", got, s)
		}
	}

	// Without a note: refused, choices kept.
	_, values := form.formOf("main form")
	values.Set("note", "")
	values.Set("expiration", "90")
	values["scopes"] = []string{"repo", "read:org"}
	bad := mona.post(classicPath, values).status(http.StatusUnprocessableEntity)
	bad.contains("#note-error", "Note can't be blank.")
	if bad.selected("expiration") != "90" {
		t.Errorf("expiration shown %q", bad.selected("expiration"))
	}
	if bad.doc.Find(`input[name="scopes"][checked]`).Length() != 2 || bad.doc.Find(`input#scope-read\:org[checked]`).Length() != 1 {
		t.Error("chosen scopes not kept")
	}
	values["scopes"] = []string{"repo", "delete_repo"}
	values.Set("note", "x")
	mona.post(classicPath, values).status(http.StatusUnprocessableEntity).contains("#scopes-error", "delete_repo")
	if ts, _ := a.store.TokensOf(context.Background(), a.userID("mona"), policy.KindClassic, 0, 0); len(ts) != 0 {
		t.Fatalf("refused forms stored %d classic tokens", len(ts))
	}

	values["scopes"] = []string{"repo", "workflow"}
	values.Set("note", "laptop")
	id := mona.post(classicPath, values).createdID(classicPath)
	first := mona.get(classicPath + "/" + id).status(http.StatusOK)
	secret := first.newTokenBox().Text()
	if !classicFormat.MatchString(secret) || len(secret) != 40 {
		t.Fatalf("classic token %q", secret)
	}
	if kind, err := policy.ParseToken(secret); err != nil || kind != policy.KindClassic {
		t.Errorf("ParseToken: %v %v (bad checksum?)", kind, err)
	}
	first.contains("main", "repo")
	first.contains("main", "workflow")
	if mona.get(classicPath+"/"+id).newTokenBox().Length() != 0 {
		t.Fatal("the classic token is shown twice")
	}
	list = mona.get(classicPath).status(http.StatusOK)
	if strings.Contains(list.body, secret) || list.doc.Find(`main a:contains("laptop")`).Length() != 1 {
		t.Fatal("the classic list does not show the token by note, or shows its secret")
	}
	// Classic tokens are not fine-grained ones.
	mona.get(fgPath + "/" + id).status(http.StatusNotFound)
	if strings.Contains(mona.get(fgPath).text("main"), "laptop") {
		t.Error("a classic token is listed with the fine-grained ones")
	}
	mona.confirm(mona.post(classicPath+"/"+id+"/delete", url.Values{})).redirectsTo(classicPath)
	mona.get(classicPath + "/" + id).status(http.StatusNotFound)
}

func TestTokenSecretIsShownOnlyOnItsOwnPage(t *testing.T) {
	a := newApp(t)
	mona := a.as("mona")
	id := mona.newToken(url.Values{"name": {"one"}, "resource_owner": {"@me"}}).createdID(fgPath)
	// Looking at another token first drops the secret: it never shows on
	// the wrong page.
	other := mona.get(fgPath + "/" + a.tokenID("mona", "deploy-bot")).status(http.StatusOK)
	if other.newTokenBox().Length() != 0 {
		t.Fatal("another token's page shows the new secret")
	}
	if mona.get(fgPath+"/"+id).newTokenBox().Length() != 0 {
		t.Fatal("the secret survived a visit to another page")
	}
	// Another browser of the same user never sees it.
	id2 := mona.newToken(url.Values{"name": {"two"}, "resource_owner": {"@me"}}).createdID(fgPath)
	if a.as("mona").get(fgPath+"/"+id2).newTokenBox().Length() != 0 {
		t.Fatal("another session sees the new token")
	}
}

// TestTokenTextIsEscapedEverywhere puts markup in every field a requester
// types and checks each page that shows it renders it as text.
func TestTokenTextIsEscapedEverywhere(t *testing.T) {
	a := newApp(t)
	name := `<b>x</b><script>alert(1)</script>`
	desc := `<script>alert("d")</script><b>desc</b>`
	just := `<b>why</b><img src=x onerror=alert(2)>`
	reason := `<script>alert("r")</script><b>no</b>`
	mona := a.as("mona")
	id := mona.newToken(url.Values{"name": {name}, "description": {desc}, "resource_owner": {"octo-org"},
		"justification": {just}}).createdID(fgPath)
	grant := a.grantID("mona", name)
	owner := a.as("octo-owner")

	check := func(c *client, path string, texts ...string) {
		t.Helper()
		p := c.get(path).status(http.StatusOK)
		if n := p.doc.Find("main script, main b, main img").Length(); n != 0 {
			t.Errorf("%s renders user text as markup (%d elements)", path, n)
		}
		if strings.Contains(p.body, "<script>alert") || strings.Contains(p.body, "<b>x</b>") {
			t.Errorf("%s has the markup unescaped", path)
		}
		for _, s := range texts {
			if !strings.Contains(p.text("main"), s) {
				t.Errorf("%s does not show %q as text", path, s)
			}
		}
	}
	check(mona, fgPath, name)
	check(mona, fgPath+"/"+id, name, desc, just)
	check(owner, requestsPath, name, just)
	check(owner, requestsPath+"/"+grant, name, just)
	check(owner, requestsPath+"/"+grant+"/deny", name)
	check(owner, "/notifications", name)
	owner.post(requestsPath+"/"+grant+"/deny", url.Values{"reason": {reason}}).redirectsTo(requestsPath)
	check(mona, fgPath+"/"+id, name, reason)
	check(mona, "/notifications", name, reason)
	check(owner, "/organizations/octo-org/settings/audit-log", name, reason)
	check(owner, requestsPath+"/"+grant, name, reason)

	// A refused form shows the typed markup back as text too.
	res := mona.newToken(url.Values{"name": {name}, "description": {desc}, "resource_owner": {"octo-org"}, "justification": {just}}).
		status(http.StatusUnprocessableEntity)
	if res.doc.Find("main script, main b, main img").Length() != 0 {
		t.Error("the refused form renders user text as markup")
	}
	if res.attr("input#name", "value") != name || res.text("textarea#description") != desc {
		t.Error("the refused form does not keep the markup as typed")
	}
}

func TestNewTokenFormNames(t *testing.T) {
	a := newApp(t)
	mona := a.as("mona")
	list := mona.get(fgPath).status(http.StatusOK)
	list.contains("h1", "Fine-grained personal access tokens")
	if href := list.attr(`main a:contains("Generate new token")`, "href"); href != fgPath+"/new" {
		t.Errorf("Generate new token links to %q", href)
	}
	form := mona.get(fgPath + "/new").status(http.StatusOK)
	labels := map[string]string{
		"name": "Token name", "expiration": "Expiration", "description": "Description", "resource_owner": "Resource owner",
		"justification": "Justification", "selection-public": "Public repositories", "selection-all": "All repositories",
		"selection-selected": "Only select repositories", "perm-contents": "Contents", "perm-issues": "Issues",
		"perm-metadata": "Metadata", "perm-pull_requests": "Pull requests", "perm-administration": "Administration",
		"perm-members": "Members", "perm-organization_administration": "Organization administration",
		"perm-git_ssh_keys": "Git SSH keys",
	}
	for id, want := range labels {
		if form.doc.Find("#"+id).Length() != 1 {
			t.Errorf("no control #%s", id)
			continue
		}
		if got := form.text(`label[for="` + id + `"]`); got != want {
			t.Errorf("#%s is labelled %q, want %q", id, got, want)
		}
	}
	for _, fs := range []struct {
		legend string
		ids    []string
	}{
		{"Repository access", []string{"selection-public", "selection-all", "selection-selected"}},
		{"Repository permissions", []string{"perm-contents", "perm-issues", "perm-metadata", "perm-pull_requests", "perm-administration"}},
		{"Organization permissions", []string{"perm-members", "perm-organization_administration"}},
		{"Account permissions", []string{"perm-git_ssh_keys"}},
	} {
		set := form.doc.Find("fieldset").FilterFunction(func(_ int, s *goquery.Selection) bool {
			return strings.TrimSpace(s.ChildrenFiltered("legend").Text()) == fs.legend
		})
		if set.Length() != 1 {
			t.Errorf("%d fieldsets %q", set.Length(), fs.legend)
			continue
		}
		for _, id := range fs.ids {
			if set.Find("#"+id).Length() != 1 {
				t.Errorf("#%s is not in fieldset %q", id, fs.legend)
			}
		}
	}
	var levels []string
	form.doc.Find("#perm-contents option").Each(func(_ int, s *goquery.Selection) { levels = append(levels, s.Text()) })
	if strings.Join(levels, "|") != "No access|Read-only|Read and write" {
		t.Errorf("permission options %v", levels)
	}
	if got := form.text(`label[for="repo-` + a.repoID("octo-org", "octo-api") + `"]`); got != "octo-api" {
		t.Errorf("repository checkbox labelled %q", got)
	}
	if form.doc.Find(`form.token-form button:contains("Generate token")`).Length() != 1 {
		t.Error("no Generate token button")
	}
}

func TestExpirationWithinTheMaximumLifetime(t *testing.T) {
	a := newApp(t)
	a.setOrgLifetime("30")
	mona := a.as("mona")
	mona.get(fgPath+"/new").contains("#resource_owner-help", "tokens expire within 30 days")
	for _, exp := range []string{"7", "30"} {
		mona.newToken(url.Values{"name": {"within-" + exp}, "resource_owner": {"octo-org"}, "justification": {"x"}, "expiration": {exp}}).
			createdID(fgPath)
	}
	// The limit binds the organization only: the user's own tokens may
	// still last longer.
	mona.newToken(url.Values{"name": {"mine"}, "resource_owner": {"@me"}, "expiration": {"none"}}).createdID(fgPath)
	// 366 is beyond it.
	mona.newToken(url.Values{"name": {"long"}, "resource_owner": {"octo-org"}, "justification": {"x"}, "expiration": {"366"}}).
		status(http.StatusUnprocessableEntity).contains("#expiration-error", "within 30 days")
}

func TestTokenChangesNeedTheCSRFToken(t *testing.T) {
	a := newApp(t)
	mona, owner := a.as("mona"), a.as("octo-owner")
	deployToken, deployGrant := a.tokenID("mona", "deploy-bot"), a.grantID("mona", "deploy-bot")
	cases := []struct {
		c    *client
		path string
		form url.Values
	}{
		{mona, fgPath, url.Values{"name": {"forged"}, "resource_owner": {"@me"}, "expiration": {"30"}, "repository_selection": {"public"}}},
		{mona, classicPath, url.Values{"note": {"forged"}, "expiration": {"30"}}},
		{mona, fgPath + "/" + deployToken + "/cancel", url.Values{}},
		{mona, fgPath + "/" + deployToken + "/delete", url.Values{}},
		{owner, requestsPath + "/" + deployGrant + "/approve", url.Values{}},
		{owner, requestsPath + "/" + deployGrant + "/deny", url.Values{}},
		{owner, requestsPath, url.Values{"decision": {"approve"}, "id": {deployGrant}}},
		{owner, orgTokenPath + "/" + a.grantID("octo-owner", "owner-automation") + "/revoke", url.Values{}},
		{owner, activePath, url.Values{"decision": {"revoke"}, "id": {a.grantID("octo-owner", "owner-automation")}}},
		{owner, "/notifications/read", url.Values{"up_to": {"999999"}}},
	}
	for _, tc := range cases {
		form := url.Values{"_csrf": {""}}
		for k, v := range tc.form {
			form[k] = v
		}
		tc.c.post(tc.path, form).status(http.StatusForbidden)
		tc.c.header.Set("Sec-Fetch-Site", "cross-site")
		form.Set("_csrf", tc.c.csrf())
		tc.c.post(tc.path, form).status(http.StatusForbidden)
		tc.c.header.Del("Sec-Fetch-Site")
	}
	if names := a.tokens("mona"); len(names) != 1 || names[0] != "deploy-bot" {
		t.Fatalf("mona's tokens %v", names)
	}
	if _, ok := a.findToken("mona", "forged"); ok {
		t.Fatal("a forged form created a token")
	}
	if g := a.token("mona", "deploy-bot").Grant; g.Status != policy.GrantPending {
		t.Fatalf("deploy-bot %s", g.Status)
	}
	if g := a.token("octo-owner", "owner-automation").Grant; g.Status != policy.GrantApproved {
		t.Fatalf("owner-automation %s", g.Status)
	}
	if got := headerLink(owner.get("/notifications")); got != "Notifications (2 unread)" {
		t.Fatalf("forged mark-read applied: %q", got)
	}
}

func TestLongTokenListIsPaged(t *testing.T) {
	a := newApp(t)
	mona := a.as("mona")
	for i := range 55 {
		mona.post("/settings/tokens", url.Values{"note": {fmt.Sprintf("note-%02d", i)}, "expiration": {"30"}}).status(http.StatusSeeOther)
	}
	first := mona.get("/settings/tokens").status(http.StatusOK)
	rows := first.doc.Find(`ul[aria-label="Your tokens"] li`)
	if rows.Length() != 50 || !strings.Contains(rows.First().Text(), "note-54") {
		t.Fatalf("first page: %d rows starting %q, want 50 from note-54", rows.Length(), rows.First().Text())
	}
	older, ok := first.doc.Find(`nav[aria-label="Token pages"] a:contains("Older")`).Attr("href")
	if !ok {
		t.Fatal("no Older link on the first page")
	}
	second := mona.get(older).status(http.StatusOK)
	rows = second.doc.Find(`ul[aria-label="Your tokens"] li`)
	if rows.Length() != 5 || !strings.Contains(rows.Last().Text(), "note-00") {
		t.Errorf("second page: %d rows ending %q, want 5 down to note-00", rows.Length(), rows.Last().Text())
	}
	if second.doc.Find(`nav[aria-label="Token pages"] a:contains("Older")`).Length() != 0 ||
		second.doc.Find(`nav[aria-label="Token pages"] a:contains("Newest")`).Length() != 1 {
		t.Error("last page: want a Newest link and no Older one")
	}
	mona.get("/settings/tokens?before=x").status(http.StatusBadRequest)
}

// devStatus is the status shown for the token named name in a Developer
// settings list.
func devStatus(p *page, name string) string {
	return strings.TrimSpace(p.doc.Find(`main li.list-row:has(a:contains("` + name + `")) .label`).First().Text())
}

func TestTokenListsSayWhenPolicyBlocksAToken(t *testing.T) {
	a := newApp(t)
	owner := a.as("octo-owner")
	const blocked = "Blocked by octo-org's policy"
	id := a.tokenID("octo-owner", "owner-automation")
	if got := devStatus(owner.get(fgPath), "owner-automation"); got != "Active" {
		t.Fatalf("before any restriction: %q", got)
	}
	owner.submit(owner.get(patPath), "form.settings-form", map[string]string{"fine_grained_access": "restrict", "confirm": "yes"}).redirectsTo(patPath)

	if got := devStatus(owner.get(fgPath), "owner-automation"); got != blocked {
		t.Errorf("Developer settings list: %q, want %q", got, blocked)
	}
	owner.get(fgPath+"/"+id).contains("main .page-title-row .label", blocked)
	active := owner.get(activePath).status(http.StatusOK)
	row(active, "owner-automation").Find(".label").Each(func(_ int, s *goquery.Selection) {
		if s.Text() != blocked {
			t.Errorf("Active tokens row label %q", s.Text())
		}
	})
	if row(active, "owner-automation").Find(".label").Length() != 1 {
		t.Error("the Active tokens row does not say the token is blocked")
	}
	owner.get(orgTokenPath+"/"+a.grantID("octo-owner", "owner-automation")).contains("main .page-title-row .label", blocked)

	// Allowed again: active again.
	owner.submit(owner.get(patPath), "form.settings-form", map[string]string{"fine_grained_access": "allow"}).redirectsTo(patPath)
	if got := devStatus(owner.get(fgPath), "owner-automation"); got != "Active" {
		t.Errorf("after allowing again: %q", got)
	}
	// A maximum lifetime shorter than the token's: blocked, by lifetime.
	owner.submit(owner.get(patPath), "form.settings-form", map[string]string{
		"fine_grained_max_lifetime_days_expires": "on", "fine_grained_max_lifetime_days_days": "1", "confirm": "yes",
	}).redirectsTo(patPath)
	if got := devStatus(owner.get(fgPath), "owner-automation"); got != blocked {
		t.Errorf("over the maximum lifetime: %q, want %q", got, blocked)
	}
	if row(owner.get(activePath), "owner-automation").Find(".label").Length() != 1 {
		t.Error("the Active tokens row does not say the token is over the lifetime")
	}
}

func TestExpirationsBeyondTheMaximumAreMarkedUnavailable(t *testing.T) {
	a := newApp(t)
	a.setOrgLifetime("30")
	mona := a.as("mona")
	form := mona.get(fgPath + "/new").status(http.StatusOK)
	// Said beside the field, and tied to it.
	help := "Longer expirations are not available for octo-org (at most 30 days)."
	form.contains("#expiration-help", help)
	if d := form.attr("select#expiration", "aria-describedby"); !strings.Contains(d, "expiration-help") {
		t.Errorf("Expiration is described by %q", d)
	}
	// The script reads each owner's maximum from its option.
	if got := form.attr(`select#resource_owner option[value="octo-org"]`, "data-max-days"); got != "30" {
		t.Errorf("octo-org's data-max-days %q", got)
	}
	// The user's own tokens have no maximum: nothing is unavailable yet.
	if n := form.doc.Find(`select#expiration option[disabled]`).Length(); n != 0 {
		t.Errorf("%d expirations unavailable for the user's own token", n)
	}

	// Refused after submit, the form comes back with octo-org chosen: the
	// refused choice stays shown, the others beyond 30 days are unavailable.
	p := mona.newToken(url.Values{"name": {"too-long"}, "resource_owner": {"octo-org"}, "justification": {"x"}, "expiration": {"90"}}).
		status(http.StatusUnprocessableEntity)
	if p.selected("expiration") != "90" {
		t.Errorf("the refused choice is not kept: %q", p.selected("expiration"))
	}
	var unavailable []string
	p.doc.Find(`select#expiration option[disabled]`).Each(func(_ int, s *goquery.Selection) {
		v, _ := s.Attr("value")
		unavailable = append(unavailable, v)
	})
	if want := []string{"60", "366", "none"}; !slices.Equal(unavailable, want) {
		t.Errorf("unavailable expirations %v, want %v", unavailable, want)
	}
}

// A classic token has no resource owner: it says which of the user's
// organizations shut it out (octo-org's enterprise restricts classic
// tokens; solo-org does not).
func TestClassicTokenSaysWhichOrganizationsBlockIt(t *testing.T) {
	a := newApp(t)
	id := a.addClassic("mona", "old-classic")
	mona := a.as("mona")
	labels := func(p *page, scope string) []string {
		var out []string
		p.doc.Find(scope + " .label").Each(func(_ int, s *goquery.Selection) { out = append(out, strings.TrimSpace(s.Text())) })
		return out
	}
	want := []string{"Active", "Blocked by octo-org's policy"}
	if got := labels(mona.get(classicPath), `main li.list-row:has(a:contains("old-classic"))`); !slices.Equal(got, want) {
		t.Errorf("classic list labels %q, want %q", got, want)
	}
	if got := labels(mona.get(classicPath+"/"+id), "main .page-title-row"); !slices.Equal(got, want) {
		t.Errorf("classic token page labels %q, want %q", got, want)
	}
}
