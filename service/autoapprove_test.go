package service_test

import (
	"context"
	"crypto/rand"
	"errors"
	"slices"
	"testing"

	"patpolicy/db"
	"patpolicy/policy"
	"patpolicy/service"
)

// auditOf is the octo-org audit log, newest first.
func (d demoStore) auditOf(t *testing.T) []db.AuditEvent {
	t.Helper()
	evs, err := d.AuditEvents(context.Background(), db.AuditQuery{OrgID: d.octo, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

// A dry run answers what a change would do and saves nothing; the change
// itself waits for a confirmation that names the same figures.
func TestSaveOrgImpactOfRestricting(t *testing.T) {
	d := openDemo(t)
	svc := service.Policies{Store: d}
	ctx := context.Background()
	old := d.orgPolicy(t, d.octo)
	auditBefore := len(d.auditOf(t))
	restrict := "restrict"
	in := service.SaveOrgInput{PolicyRequest: service.PolicyRequest{ActorID: d.owner, BuiltOn: service.AtVersion(old.Version), DryRun: true},
		OrgID: d.octo, Current: old, Change: policy.OrgChange{FineGrained: &restrict}}
	res, err := svc.SaveOrg(ctx, in)
	want := []policy.Impact{{Org: "octo-org", TokensBlocked: 1}}
	if err != nil || !slices.Equal(res.Impact, want) || res.Settings.FineGrained != policy.Restrict {
		t.Fatalf("dry run = %+v, %v; want impact %v", res, err, want)
	}
	if now := d.orgPolicy(t, d.octo); now.Version != old.Version || now.Own != old.Own || len(d.auditOf(t)) != auditBefore {
		t.Fatalf("a dry run saved something: %+v", now)
	}
	in.DryRun = false
	_, err = svc.SaveOrg(ctx, in)
	var ask *service.ConfirmApproval
	if !errors.As(err, &ask) || !slices.Equal(ask.Impact, want) || ask.Pending != 0 {
		t.Fatalf("unconfirmed = %v, want a confirmation of %v", err, want)
	}
	in.Confirmed = true
	if _, err := svc.SaveOrg(ctx, in); err != nil {
		t.Fatal(err)
	}
	if now := d.orgPolicy(t, d.octo); now.Own.FineGrained != policy.Restrict {
		t.Fatalf("confirmed change not saved: %+v", now.Own)
	}
}

// A shorter maximum lifetime counts the active tokens that live longer,
// not those that fit.
func TestSaveOrgImpactOfALifetime(t *testing.T) {
	d := openDemo(t)
	svc := service.Policies{Store: d}
	old := d.orgPolicy(t, d.octo)
	for _, c := range []struct {
		days string
		want []policy.Impact
	}{{"90", nil}, {"60", []policy.Impact{{Org: "octo-org", TokensBlocked: 1}}}} {
		res, err := svc.SaveOrg(context.Background(), service.SaveOrgInput{
			PolicyRequest: service.PolicyRequest{ActorID: d.owner, BuiltOn: service.AtVersion(old.Version), DryRun: true},
			OrgID:         d.octo, Current: old,
			Change: policy.OrgChange{FineGrainedLifetime: &policy.LifetimeInput{MustExpire: true, Days: c.days}}})
		if err != nil || !slices.Equal(res.Impact, c.want) {
			t.Errorf("a maximum of %s days: %+v, %v; want %v", c.days, res.Impact, err, c.want)
		}
	}
}

// Turning the rule on for one repository approves the pending read-only
// requests for that repository alone, acted by the rule, and says so
// before saving.
func TestSaveOrgRuleApprovesCoveredPending(t *testing.T) {
	d := openDemo(t)
	svc := service.Policies{Store: d}
	ctx := context.Background()
	old := d.orgPolicy(t, d.octo)
	in := service.SaveOrgInput{PolicyRequest: service.PolicyRequest{ActorID: d.owner, BuiltOn: service.AtVersion(old.Version)},
		OrgID: d.octo, Current: old, Rule: &policy.AutoApprovalInput{ReadOnly: true, Repos: []string{"octo-api"}}}
	_, err := svc.SaveOrg(ctx, in)
	var ask *service.ConfirmApproval
	if !errors.As(err, &ask) || !slices.Equal(ask.Impact, []policy.Impact{{Org: "octo-org", RequestsApproved: 1}}) {
		t.Fatalf("unconfirmed = %v, want a confirmation of 1 request", err)
	}
	in.Confirmed = true
	if _, err := svc.SaveOrg(ctx, in); err != nil {
		t.Fatal(err)
	}
	if n := d.pending(t); n != 1 {
		t.Errorf("%d pending after the rule, want 1 (the request for all repositories)", n)
	}
	now := d.orgPolicy(t, d.octo)
	if !now.AutoApproval.ReadOnly || len(now.AutoApproval.RepoIDs) != 1 || now.Version != old.Version+1 {
		t.Errorf("stored rule %+v at version %d", now.AutoApproval, now.Version)
	}
	evs := d.auditOf(t)
	if evs[0].Action != policy.ActionAccessGranted || evs[0].ActorLogin != policy.RuleActor {
		t.Errorf("newest event %+v, want access granted by %s", evs[0], policy.RuleActor)
	}
	if evs[1].Action != policy.ActionAutoApprovalRuleChanged || evs[1].ActorLogin != "octo-owner" {
		t.Errorf("rule change recorded as %+v", evs[1])
	}

	// A repository the organization does not have is refused by name.
	in.Current, in.BuiltOn = now, service.AtVersion(now.Version)
	in.Rule = &policy.AutoApprovalInput{ReadOnly: true, Repos: []string{"nope"}}
	_, err = svc.SaveOrg(ctx, in)
	var bad *service.InvalidPolicy
	if !errors.As(err, &bad) || len(bad.Errors) != 1 || bad.Errors[0].Field != policy.FieldAutoApproveRepos {
		t.Errorf("unknown repository = %v", err)
	}
}

// A read-only request the rule covers is approved at creation, acted by
// the rule, and its requester told so; a write permission waits.
func TestCreateFineGrainedApprovedByRule(t *testing.T) {
	d := openDemo(t)
	ctx := context.Background()
	svc := service.Policies{Store: d}
	old := d.orgPolicy(t, d.octo)
	if _, err := svc.SaveOrg(ctx, service.SaveOrgInput{PolicyRequest: service.PolicyRequest{ActorID: d.owner,
		BuiltOn: service.AtVersion(old.Version), Confirmed: true}, OrgID: d.octo, Current: old,
		Rule: &policy.AutoApprovalInput{ReadOnly: true}}); err != nil {
		t.Fatal(err)
	}
	mona := mustUser(t, d.Store, "mona")
	tokens := service.Tokens{Store: d, Random: rand.Reader}
	ask := func(name, level string) policy.GrantStatus {
		t.Helper()
		issued, _, err := tokens.CreateFineGrained(ctx, service.FineGrainedRequest{UserID: mona, Org: "octo-org", Input: policy.TokenInput{
			Name: name, Expiration: "30", Justification: "Reads", Selection: string(policy.SelectAll),
			Permissions: map[string]string{"contents": level}}})
		if err != nil {
			t.Fatal(err)
		}
		tok, err := d.TokenOf(ctx, mona, issued.ID)
		if err != nil || tok.Grant == nil {
			t.Fatalf("TokenOf = %+v, %v", tok, err)
		}
		return tok.Grant.Status
	}
	if got := ask("reader", "read"); got != policy.GrantApproved {
		t.Errorf("read-only request: %s, want approved", got)
	}
	evs := d.auditOf(t)
	if evs[0].ActorLogin != policy.RuleActor || evs[0].Action != policy.ActionAccessGranted || evs[1].ActorLogin != "mona" {
		t.Errorf("events %+v, %+v", evs[0], evs[1])
	}
	if got := ask("writer", "write"); got != policy.GrantPending {
		t.Errorf("request with a write permission: %s, want pending", got)
	}
}
