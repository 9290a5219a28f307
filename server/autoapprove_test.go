package server_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"patpolicy/policy"
)

// turnOnRule saves octo-org's automatic approval rule through the settings
// page, limited to repos (none: any repository), confirming what it
// approves among the requests already pending.
func (a *app) turnOnRule(repos ...string) {
	a.t.Helper()
	owner := a.as("octo-owner")
	_, values := owner.get(patPath).status(http.StatusOK).formOf("form.settings-form")
	values.Set("auto_approve_read_only", "on")
	values["auto_approve_repositories"] = repos
	values.Set("confirm", "yes")
	owner.post(patPath, values).redirectsTo(patPath)
}

// The settings page shows the rule's fieldset with its exact names, and
// saving the checkbox with a repository stores the rule.
func TestAutoApprovalFieldsetSavesTheRule(t *testing.T) {
	a := newApp(t)
	owner := a.as("octo-owner")
	page := owner.get(patPath).status(http.StatusOK)
	page.contains("fieldset#auto-approval legend", "Automatic approval")
	page.contains(`label[for="auto_approve_read_only"]`, "Approve read-only requests automatically")
	page.contains(`label[for="auto_approve_repositories"]`, "Only for these repositories")
	if n := page.doc.Find(`select#auto_approve_repositories[multiple] option`).Length(); n != 3 {
		t.Errorf("%d repositories to choose from, want octo-org's 3", n)
	}
	a.turnOnRule("octo-api")
	p := a.orgPolicy("octo-org")
	if !p.AutoApproval.ReadOnly || len(p.AutoApproval.RepoIDs) != 1 {
		t.Fatalf("stored rule %+v", p.AutoApproval)
	}
	page = owner.get(patPath).status(http.StatusOK)
	if _, on := page.doc.Find("#auto_approve_read_only").Attr("checked"); !on {
		t.Error("the saved rule is not shown ticked")
	}
	if got := page.text(`#auto_approve_repositories option[selected]`); got != "octo-api" {
		t.Errorf("selected repositories %q", got)
	}
	if evs := a.audit("octo-org", policy.ActionAutoApprovalRuleChanged); len(evs) != 1 || evs[0].ActorLogin != "octo-owner" {
		t.Errorf("rule change audited as %+v", evs)
	}
}

// A member's read-only request is approved at creation by the rule: the
// grant approved, the approval audited with the rule as actor, the
// requester told; a request with a write permission still waits.
func TestAutoApprovedRequest(t *testing.T) {
	a := newApp(t)
	a.turnOnRule()
	mona := a.as("mona")
	mona.newToken(url.Values{"name": {"reader"}, "resource_owner": {"octo-org"}, "justification": {"CI reads"},
		"repository_selection": {"all"}, "perm_contents": {"read"}}).status(http.StatusSeeOther)
	if got := a.token("mona", "reader").Grant.Status; got != policy.GrantApproved {
		t.Fatalf("read-only request %s, want approved at creation", got)
	}
	granted := a.audit("octo-org", policy.ActionAccessGranted)
	if len(granted) == 0 || granted[0].ActorLogin != policy.RuleActor ||
		!strings.Contains(granted[0].Details, "“reader”") || !strings.Contains(granted[0].Details, policy.RuleReadOnly) {
		t.Errorf("access granted events %+v", granted)
	}
	ns := a.notifications("mona")
	if len(ns) == 0 || !strings.Contains(ns[0].Message, "approved for octo-org by the rule") {
		t.Errorf("mona's newest notification %+v", ns)
	}
	a.as("octo-owner").get("/organizations/octo-org/settings/audit-log").status(http.StatusOK).contains("table", policy.RuleActor)

	mona.newToken(url.Values{"name": {"writer"}, "resource_owner": {"octo-org"}, "justification": {"CI writes"},
		"repository_selection": {"all"}, "perm_contents": {"write"}}).status(http.StatusSeeOther)
	if got := a.token("mona", "writer").Grant.Status; got != policy.GrantPending {
		t.Errorf("request with a write permission %s, want pending", got)
	}
}

// A rule limited to repositories covers a request for those repositories
// alone, not one for all repositories.
func TestAutoApprovalRepositoryList(t *testing.T) {
	a := newApp(t)
	a.turnOnRule("octo-api")
	mona := a.as("mona")
	mona.newToken(url.Values{"name": {"api-reader"}, "resource_owner": {"octo-org"}, "justification": {"x"},
		"repository_selection": {"selected"}, "repo_octo-org": {a.repoID("octo-org", "octo-api")}, "perm_contents": {"read"}}).
		status(http.StatusSeeOther)
	mona.newToken(url.Values{"name": {"two-repos"}, "resource_owner": {"octo-org"}, "justification": {"x"},
		"repository_selection": {"selected"}, "repo_octo-org": {a.repoID("octo-org", "octo-api"), a.repoID("octo-org", "octo-web")},
		"perm_contents": {"read"}}).status(http.StatusSeeOther)
	mona.newToken(url.Values{"name": {"everything"}, "resource_owner": {"octo-org"}, "justification": {"x"},
		"repository_selection": {"all"}, "perm_contents": {"read"}}).status(http.StatusSeeOther)
	for name, want := range map[string]policy.GrantStatus{"api-reader": policy.GrantApproved, "two-repos": policy.GrantPending, "everything": policy.GrantPending} {
		if got := a.token("mona", name).Grant.Status; got != want {
			t.Errorf("%s: %s, want %s", name, got, want)
		}
	}
}

// Restricting fine-grained tokens asks first, naming how many active
// tokens it blocks and where; nothing is saved until the owner confirms.
func TestConfirmPageShowsWhatSavingBlocks(t *testing.T) {
	a := newApp(t)
	owner := a.as("octo-owner")
	before := a.orgPolicy("octo-org")
	ask := owner.submit(owner.get(patPath), "form.settings-form", map[string]string{"fine_grained_access": "restrict"})
	ask.status(http.StatusOK).contains("main ul.impact-list", "Saving blocks 1 active token in octo-org")
	if now := a.orgPolicy("octo-org"); now.Version != before.Version || now.Own != before.Own {
		t.Fatal("asking saved the change")
	}
	owner.confirm(ask).redirectsTo(patPath)
	if now := a.orgPolicy("octo-org"); now.Own.FineGrained != policy.Restrict {
		t.Fatalf("confirmed change not saved: %+v", now.Own)
	}
}

// The script's question on turning approval off confirms approving the
// pending requests, nothing more: the same save restricting tokens as well
// still shows the confirmation page with what it blocks, while turning
// approval off alone is saved at once.
func TestApprovalQuestionConfirmsApprovalsOnly(t *testing.T) {
	a := newApp(t)
	owner := a.as("octo-owner")
	both := map[string]string{"approval": "not_required", "fine_grained_access": "restrict", "confirm": "approvals"}
	ask := owner.submit(owner.get(patPath), "form.settings-form", both)
	ask.status(http.StatusOK).contains("main ul.impact-list", "Saving blocks")
	if now := a.orgPolicy("octo-org"); now.Own.FineGrained == policy.Restrict || now.Own.Approval == policy.ApprovalNotRequired {
		t.Fatalf("the question about approvals saved a restriction: %+v", now.Own)
	}
	owner.confirm(ask).redirectsTo(patPath)
	if now := a.orgPolicy("octo-org"); now.Own.FineGrained != policy.Restrict {
		t.Fatalf("confirmed change not saved: %+v", now.Own)
	}

	b := newApp(t)
	other := b.as("octo-owner")
	other.submit(other.get(patPath), "form.settings-form", map[string]string{"approval": "not_required", "confirm": "approvals"}).
		redirectsTo(patPath)
	if now := b.orgPolicy("octo-org"); now.Own.Approval != policy.ApprovalNotRequired {
		t.Fatalf("approval off, confirmed by the question, not saved: %+v", now.Own)
	}
}

// Turning the rule on while covered requests are pending says how many it
// approves before saving.
func TestConfirmPageShowsWhatTheRuleApproves(t *testing.T) {
	a := newApp(t)
	owner := a.as("octo-owner")
	ask := owner.submit(owner.get(patPath), "form.settings-form", map[string]string{"auto_approve_read_only": "on"})
	ask.status(http.StatusOK).contains("main ul.impact-list", "Saving approves 2 pending requests in octo-org")
	owner.confirm(ask).redirectsTo(patPath)
	if n := len(a.audit("octo-org", policy.ActionAccessGranted)); n < 2 {
		t.Errorf("%d access granted events", n)
	}
}

// A settings form opened before another owner saved the rule is refused
// with 409, and the rule stays as the other owner saved it.
func TestStaleRuleSaveIsAConflict(t *testing.T) {
	a := newApp(t)
	alice := a.as("octo-owner")
	stale := alice.get(patPath).status(http.StatusOK)
	a.turnOnRule("octo-api")
	alice.submit(stale, "form.settings-form", map[string]string{"auto_approve_read_only": "", "confirm": "yes"}).
		status(http.StatusConflict)
	if p := a.orgPolicy("octo-org"); !p.AutoApproval.ReadOnly {
		t.Fatal("a stale form changed the rule")
	}
}

// The policy API reads and sets the rule; a repository that does not
// exist is a 422 naming the field.
func TestPolicyAPIRule(t *testing.T) {
	a := newApp(t)
	tok := polAdmin(a, "pol-rule", policy.LevelWrite)
	r := polDo(a, http.MethodPatch, polOrg, tok, map[string]any{"auto_approve_read_only": true, "auto_approve_repositories": []string{"octo-api"}}, "")
	r.want(http.StatusOK)
	var got struct {
		ReadOnly bool     `json:"auto_approve_read_only"`
		Repos    []string `json:"auto_approve_repositories"`
		Impact   any      `json:"impact"`
	}
	r.decode(&got)
	if !got.ReadOnly || !slices.Equal(got.Repos, []string{"octo-api"}) || got.Impact != nil {
		t.Errorf("answer %s", r.Body)
	}
	// The rule approved the pending request it covers (mona's, for octo-api).
	if n := len(a.audit("octo-org", policy.ActionAccessGranted)); n == 0 {
		t.Error("no request approved by the rule")
	}
	r = polDo(a, http.MethodPatch, polOrg, tok, map[string]any{"auto_approve_repositories": []string{"nope"}}, "")
	r.want(http.StatusUnprocessableEntity)
	if !strings.Contains(string(r.Body), `"field":"auto_approve_repositories"`) {
		t.Errorf("422 body %s", r.Body)
	}
}

// ?dry_run=true answers the policy as it would be with the figures, and
// saves nothing: no version, no audit event.
func TestPolicyAPIDryRun(t *testing.T) {
	a := newApp(t)
	tok := polAdmin(a, "pol-dry", policy.LevelWrite)
	before := a.orgPolicy("octo-org")
	events := len(a.audit("octo-org", ""))
	r := polDo(a, http.MethodPatch, polOrg+"?dry_run=true", tok,
		map[string]any{"fine_grained_access": "restrict", "auto_approve_read_only": true}, "")
	r.want(http.StatusOK)
	var got struct {
		FineGrained string `json:"fine_grained_access"`
		Impact      []struct {
			Org      string `json:"organization"`
			Blocked  int    `json:"tokens_blocked"`
			Approved int    `json:"requests_approved"`
		} `json:"impact"`
	}
	if err := json.Unmarshal(r.Body, &got); err != nil {
		t.Fatal(err)
	}
	// octo-owner's two tokens (the demo's and the one calling) are blocked;
	// the two pending read-only requests would be approved.
	if got.FineGrained != "restrict" || len(got.Impact) != 1 || got.Impact[0].Org != "octo-org" ||
		got.Impact[0].Blocked != 2 || got.Impact[0].Approved != 2 {
		t.Errorf("dry run answered %s", r.Body)
	}
	if now := a.orgPolicy("octo-org"); now.Version != before.Version || now.Own != before.Own || now.AutoApproval.ReadOnly {
		t.Errorf("a dry run saved: %+v", now)
	}
	if n := len(a.audit("octo-org", "")); n != events {
		t.Errorf("a dry run wrote %d audit events", n-events)
	}

	ent := polEntToken(a)
	r = polDo(a, http.MethodPatch, polEnt+"?dry_run=true", ent, map[string]any{"fine_grained_access": "restrict"}, "")
	r.want(http.StatusOK)
	if !strings.Contains(string(r.Body), `"impact":[{"organization":"octo-org","tokens_blocked":2,"requests_approved":0}]`) {
		t.Errorf("enterprise dry run answered %s", r.Body)
	}
	if r := polDo(a, http.MethodGet, polEnt, ent, nil, ""); !strings.Contains(string(r.want(http.StatusOK).Body), `"fine_grained_access":"no_policy"`) {
		t.Errorf("an enterprise dry run saved: %s", r.Body)
	}
}

// The enterprise page asks the same way, naming each organization.
func TestEnterpriseConfirmPageShowsWhatSavingBlocks(t *testing.T) {
	a := newApp(t)
	admin := a.as("ent-admin")
	const entPath = "/enterprises/octo-ent/settings/personal-access-tokens"
	ask := admin.submit(admin.get(entPath), "form.settings-form", map[string]string{"fine_grained_access": "restrict"})
	ask.status(http.StatusOK).contains("main ul.impact-list", "Saving blocks 1 active token in octo-org")
	if p := a.orgPolicy("octo-org"); p.Effective().FineGrained != policy.Allow {
		t.Fatal("asking saved the change")
	}
	admin.confirm(ask).redirectsTo(entPath)
	if p := a.orgPolicy("octo-org"); p.Effective().FineGrained != policy.Restrict {
		t.Fatal("the confirmed change was not saved")
	}
}
