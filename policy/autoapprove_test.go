package policy

import (
	"slices"
	"testing"
	"time"
)

func TestAutoApprovalCovers(t *testing.T) {
	read := map[string]Level{Metadata: LevelRead, "contents": LevelRead}
	write := map[string]Level{Metadata: LevelRead, "contents": LevelWrite}
	cases := []struct {
		name string
		rule AutoApproval
		req  TokenRequest
		want bool
	}{
		{"rule off", AutoApproval{}, TokenRequest{Selection: SelectAll, Permissions: read}, false},
		{"read-only, any repository", AutoApproval{ReadOnly: true}, TokenRequest{Selection: SelectAll, Permissions: read}, true},
		{"metadata alone", AutoApproval{ReadOnly: true}, TokenRequest{Selection: SelectPublic, Permissions: map[string]Level{Metadata: LevelRead}}, true},
		{"a write level", AutoApproval{ReadOnly: true}, TokenRequest{Selection: SelectAll, Permissions: write}, false},
		{"an organization write", AutoApproval{ReadOnly: true}, TokenRequest{Selection: SelectAll, Permissions: map[string]Level{"members": LevelWrite}}, false},
		{"listed repositories, all of them listed", AutoApproval{ReadOnly: true, RepoIDs: []int64{1, 2, 3}},
			TokenRequest{Selection: SelectSelected, RepoIDs: []int64{3, 1}, Permissions: read}, true},
		{"listed repositories, one not listed", AutoApproval{ReadOnly: true, RepoIDs: []int64{1, 2}},
			TokenRequest{Selection: SelectSelected, RepoIDs: []int64{1, 4}, Permissions: read}, false},
		{"listed repositories, all repositories asked", AutoApproval{ReadOnly: true, RepoIDs: []int64{1}},
			TokenRequest{Selection: SelectAll, Permissions: read}, false},
		{"listed repositories, public repositories asked", AutoApproval{ReadOnly: true, RepoIDs: []int64{1}},
			TokenRequest{Selection: SelectPublic, Permissions: read}, false},
	}
	for _, c := range cases {
		if got := c.rule.Covers(c.req); got != c.want {
			t.Errorf("%s: Covers = %v, want %v", c.name, got, c.want)
		}
	}
}

func TestAutoApprovalAppliesOnlyWhereApprovalIsRequired(t *testing.T) {
	rule := AutoApproval{ReadOnly: true}
	if !rule.AppliesIn(Effective{Approval: ApprovalRequired}) {
		t.Error("the rule does not apply where approval is required")
	}
	if rule.AppliesIn(Effective{Approval: ApprovalNotRequired}) {
		t.Error("the rule applies where approval is not required")
	}
	if (AutoApproval{}).AppliesIn(Effective{Approval: ApprovalRequired}) {
		t.Error("a rule that is off applies")
	}
}

func TestCheckAutoApproval(t *testing.T) {
	repos := map[string]int64{"octo-repo": 7, "Docs": 3}
	got, errs := CheckAutoApproval(AutoApprovalInput{ReadOnly: true, Repos: []string{"octo-repo", "docs", "octo-repo"}}, repos)
	if errs != nil || !got.ReadOnly || !slices.Equal(got.RepoIDs, []int64{3, 7}) {
		t.Fatalf("got %+v, %v; want read-only for [3 7]", got, errs)
	}
	_, errs = CheckAutoApproval(AutoApprovalInput{ReadOnly: true, Repos: []string{"nope"}}, repos)
	if len(errs) != 1 || errs[0].Field != FieldAutoApproveRepos {
		t.Fatalf("an unknown repository: errors %v", errs)
	}
}

func TestAutoApprovalEvents(t *testing.T) {
	names := map[int64]string{3: "docs", 7: "octo-repo"}
	on := AutoApproval{ReadOnly: true, RepoIDs: []int64{3, 7}}
	if evs := AutoApprovalEvents(on, on, names); evs != nil {
		t.Errorf("no change recorded %v", evs)
	}
	evs := AutoApprovalEvents(AutoApproval{}, on, names)
	if len(evs) != 1 || evs[0].Action != ActionAutoApprovalRuleChanged || evs[0].Details != "Read-only requests are approved automatically, only for docs, octo-repo" {
		t.Errorf("turned on: %v", evs)
	}
	evs = AutoApprovalEvents(on, AutoApproval{}, names)
	if len(evs) != 1 || evs[0].Details != "Read-only requests are no longer approved automatically" {
		t.Errorf("turned off: %v", evs)
	}
}

func TestGrantApprovedByRule(t *testing.T) {
	s := TokenSubject{Name: "ci", Owner: "octocat", Org: "octo-org"}
	created, granted, notice := GrantApprovedByRule(s, RuleReadOnly)
	if created.Action != ActionRequestCreated || granted.Action != ActionAccessGranted {
		t.Errorf("actions %s, %s", created.Action, granted.Action)
	}
	if granted.Details != "Token “ci” of octocat on octo-org: approved by the rule “Approve read-only requests automatically”" {
		t.Errorf("details %q", granted.Details)
	}
	if notice != "Your token “ci” was approved for octo-org by the rule “Approve read-only requests automatically”." {
		t.Errorf("notice %q", notice)
	}
}

func TestShutOut(t *testing.T) {
	created := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	fg := func(days int) *Credential {
		c := &Credential{Kind: KindFineGrained, CreatedAt: created}
		if days > 0 {
			c.ExpiresAt = created.AddDate(0, 0, days)
		}
		return c
	}
	classic := &Credential{Kind: KindClassic, CreatedAt: created, ExpiresAt: created.AddDate(0, 0, 30)}
	open := Effective{OptedIn: true, FineGrained: Allow, Classic: Allow}
	with := func(change func(*Effective)) Effective { e := open; change(&e); return e }
	restrictFG := with(func(e *Effective) { e.FineGrained = Restrict })
	restrictClassic := with(func(e *Effective) { e.Classic = Restrict })
	max60 := with(func(e *Effective) { e.FineGrainedLifetime = 60 })
	max30 := with(func(e *Effective) { e.FineGrainedLifetime = 30 })
	cases := []struct {
		name          string
		t             *Credential
		before, after Effective
		owner         bool
		want          bool
	}{
		{"fine-grained restricted", fg(30), open, restrictFG, false, true},
		{"restriction leaves classic tokens", classic, open, restrictFG, false, false},
		{"classic restricted", classic, open, restrictClassic, false, true},
		{"a maximum the token exceeds", fg(90), open, max60, false, true},
		{"a token that never expires exceeds any maximum", fg(0), open, max60, false, true},
		{"a maximum the token fits", fg(30), open, max60, false, false},
		{"already over the old maximum", fg(90), max60, max30, false, false},
		{"newly over a shorter maximum", fg(60), max60, max30, false, true},
		{"an exempt owner", fg(90), with(func(e *Effective) { e.ExemptAdmins = true }),
			with(func(e *Effective) { e.ExemptAdmins = true; e.FineGrainedLifetime = 60 }), true, false},
		{"already restricted", fg(30), restrictFG, restrictFG, false, false},
		{"allowed again", fg(30), restrictFG, open, false, false},
	}
	for _, c := range cases {
		if got := ShutOut(c.t, c.before, c.after, c.owner); got != c.want {
			t.Errorf("%s: ShutOut = %v, want %v", c.name, got, c.want)
		}
	}
}

func TestImpactSentences(t *testing.T) {
	got := Impact{Org: "octo-org", TokensBlocked: 12, RequestsApproved: 1}.Sentences()
	want := []string{"Saving blocks 12 active tokens in octo-org", "Saving approves 1 pending request in octo-org"}
	if !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	if (Impact{Org: "o"}).Any() || len(Impact{Org: "o"}.Sentences()) != 0 {
		t.Error("an empty impact says something")
	}
}
