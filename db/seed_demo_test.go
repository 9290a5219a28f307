package db

import (
	"context"
	"errors"
	"maps"
	"slices"
	"testing"
	"time"

	"patpolicy/policy"
)

func TestSeedDemoLoadsTheDataset(t *testing.T) {
	ctx := context.Background()
	d := seededWithDemoEvents(t)
	s := d.s

	// Users: every demo account, with the given password hash.
	if n := count(t, s, `SELECT count(*) FROM users`); n != 4 {
		t.Errorf("%d users, want 4", n)
	}
	for login := range d.users {
		c, err := s.CredentialsFor(ctx, login)
		if err != nil {
			t.Fatalf("CredentialsFor(%s): %v", login, err)
		}
		if c.User.Login != login || c.PasswordHash != demoHash {
			t.Errorf("%s: login %q, hash %q; want %q, %q", login, c.User.Login, c.PasswordHash, login, demoHash)
		}
		u, err := s.UserByID(ctx, c.User.ID)
		if err != nil {
			t.Fatalf("UserByID(%s): %v", login, err)
		}
		if want := login == "ent-admin"; u.OwnsEnterprise != want {
			t.Errorf("%s OwnsEnterprise = %v, want %v", login, u.OwnsEnterprise, want)
		}
	}

	// Roles.
	type role struct {
		org  string
		role Role
	}
	wantRoles := map[string][]role{
		"ent-admin":  nil,
		"octo-owner": {{"octo-org", RoleOwner}, {"solo-org", RoleOwner}},
		"mona":       {{"octo-org", RoleMember}, {"solo-org", RoleMember}},
		"hubot":      {{"octo-org", RoleMember}},
	}
	for login, want := range wantRoles {
		ms, err := s.MembershipsOf(ctx, d.users[login])
		if err != nil {
			t.Fatalf("MembershipsOf(%s): %v", login, err)
		}
		var got []role
		for _, m := range ms {
			got = append(got, role{m.Org.Login, m.Role})
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s memberships = %v, want %v", login, got, want)
		}
		for _, r := range want {
			if got, err := s.RoleIn(ctx, d.orgs[r.org], d.users[login]); err != nil || got != r.role {
				t.Errorf("RoleIn(%s, %s) = %q, %v; want %q", r.org, login, got, err, r.role)
			}
		}
	}
	if r, err := s.RoleIn(ctx, d.orgs["solo-org"], d.users["hubot"]); err != nil || r != "" {
		t.Errorf("RoleIn(solo-org, hubot) = %q, %v; want no role", r, err)
	}

	// Enterprise and its owner.
	for login := range d.users {
		ents, err := s.EnterprisesOwnedBy(ctx, d.users[login])
		if err != nil {
			t.Fatal(err)
		}
		if login != "ent-admin" {
			if len(ents) != 0 {
				t.Errorf("%s owns %v, want nothing", login, ents)
			}
			continue
		}
		want := []Enterprise{{ID: d.ent, Slug: "octo-ent", Name: "Octo Enterprise", OptedIn: true}}
		if !slices.Equal(ents, want) {
			t.Errorf("ent-admin owns %+v, want %+v", ents, want)
		}
	}
	if _, err := s.EnterpriseOwnedBy(ctx, "octo-ent", d.users["octo-owner"]); !errors.Is(err, ErrNotFound) {
		t.Errorf("EnterpriseOwnedBy(octo-ent, octo-owner) err = %v, want ErrNotFound", err)
	}

	ent, version, err := s.EnterprisePolicy(ctx, d.ent)
	if err != nil {
		t.Fatal(err)
	}
	wantEnt := policy.Enterprise{
		Slug: "octo-ent", Name: "Octo Enterprise", OptedIn: true,
		FineGrained: policy.EnterpriseAccessNoPolicy, Approval: policy.EnterpriseApprovalNoPolicy,
		Classic: policy.EnterpriseAccessRestrict,
	}
	if ent != wantEnt || version != 1 {
		t.Errorf("enterprise policy = %+v v%d, want %+v v1", ent, version, wantEnt)
	}

	// Organizations.
	octo, err := s.OrgByLogin(ctx, "octo-org")
	if err != nil {
		t.Fatal(err)
	}
	wantOcto := Org{ID: d.orgs["octo-org"], Login: "octo-org", Name: "Octo Org", EnterpriseID: d.ent,
		EnterpriseSlug: "octo-ent", EnterpriseName: "Octo Enterprise", OptedIn: false, CreatedAt: octo.CreatedAt}
	if octo != wantOcto || time.Since(octo.CreatedAt) > time.Hour {
		t.Errorf("octo-org = %+v, want %+v", octo, wantOcto)
	}
	solo, err := s.OrgByLogin(ctx, "solo-org")
	if err != nil {
		t.Fatal(err)
	}
	wantSolo := Org{ID: d.orgs["solo-org"], Login: "solo-org", Name: "Solo Org", CreatedAt: solo.CreatedAt}
	if solo != wantSolo || time.Since(solo.CreatedAt) > time.Hour {
		t.Errorf("solo-org = %+v, want %+v", solo, wantSolo)
	}

	p, err := s.OrgPolicy(ctx, d.orgs["octo-org"])
	if err != nil {
		t.Fatal(err)
	}
	wantOwn := policy.OrgSettings{FineGrained: policy.Allow, Approval: policy.ApprovalRequired, Classic: policy.Allow}
	if p.Own != wantOwn || p.Version != 1 || p.OptedIn {
		t.Errorf("octo-org policy own %+v v%d opted in %v; want %+v v1 false", p.Own, p.Version, p.OptedIn, wantOwn)
	}
	if p.Enterprise == nil || *p.Enterprise != wantEnt {
		t.Errorf("octo-org enterprise = %+v, want %+v", p.Enterprise, wantEnt)
	}
	eff := p.Effective()
	if !eff.OptedIn {
		t.Error("octo-org is not effectively opted in through octo-ent")
	}
	if eff.FineGrained != policy.Allow || eff.Approval != policy.ApprovalRequired || eff.Classic != policy.Restrict {
		t.Errorf("octo-org effective %s/%s/%s, want allow/required/restrict", eff.FineGrained, eff.Approval, eff.Classic)
	}
	if want := map[policy.Field]string{policy.FieldClassic: "Octo Enterprise"}; !maps.Equal(eff.Locked, want) {
		t.Errorf("octo-org locked %v, want %v", eff.Locked, want)
	}
	if eff.FineGrainedLifetime != 0 || eff.ClassicLifetime != 0 || len(eff.Ceiling) != 0 {
		t.Errorf("octo-org lifetimes %d/%d ceiling %v, want no limits", eff.FineGrainedLifetime, eff.ClassicLifetime, eff.Ceiling)
	}

	p, err = s.OrgPolicy(ctx, d.orgs["solo-org"])
	if err != nil {
		t.Fatal(err)
	}
	if p.Enterprise != nil || p.OptedIn || p.Effective().OptedIn || p.Own != wantOwn {
		t.Errorf("solo-org policy = %+v; want no enterprise, not opted in, own %+v", p, wantOwn)
	}

	// Repositories.
	got := dumpQuery(t, s.read, `SELECT o.login, r.name, r.private FROM repositories r
		JOIN organizations o ON o.id = r.org_id ORDER BY o.login, r.name`)
	want := "octo-org octo-api 1\nocto-org octo-infra 1\nocto-org octo-web 0\nsolo-org solo-app 1\n"
	if got != want {
		t.Errorf("repositories:\n%s\nwant:\n%s", got, want)
	}

	// The demo tokens, each with the audit events of its creation.
	got = dumpQuery(t, s.write, `SELECT u.login, t.name, o.login, g.status, t.repository_selection,
		(SELECT string_agg(name || '=' || level, ',' ORDER BY name) FROM token_permissions WHERE token_id = t.id),
		(SELECT string_agg(r.name, ',' ORDER BY r.name) FROM token_repositories tr JOIN repositories r ON r.id = tr.repo_id WHERE tr.token_id = t.id),
		g.justification
		FROM tokens t JOIN users u ON u.id = t.user_id JOIN organizations o ON o.id = t.org_id JOIN grants g ON g.token_id = t.id ORDER BY t.id`)
	want = "mona deploy-bot octo-org pending selected contents=read,metadata=read octo-api Deploys the API\n" +
		"hubot ci-reader octo-org pending all metadata=read <nil> Reads build status for CI\n" +
		"octo-owner owner-automation octo-org approved all administration=read,members=read,metadata=read,organization_administration=write <nil> \n"
	if got != want {
		t.Errorf("tokens:\n%s\nwant:\n%s", got, want)
	}
	got = dumpQuery(t, s.write, `SELECT action FROM audit_events ORDER BY id`)
	want = "personal_access_token.request_created\npersonal_access_token.request_created\npersonal_access_token.access_granted\n"
	if got != want {
		t.Errorf("audit events:\n%s\nwant:\n%s", got, want)
	}
	// Nothing else: one policy row per organization.
	if n := count(t, s, `SELECT count(*) FROM organizations`); n != 2 {
		t.Errorf("%d organizations, want 2", n)
	}
	if n := count(t, s, `SELECT count(*) FROM org_policies`); n != 2 {
		t.Errorf("%d org_policies, want 2", n)
	}
}

func TestSeedDemoTwiceChangesNothing(t *testing.T) {
	ctx := context.Background()
	d := seededTest(t)
	before := dump(t, d.s)
	ok, err := d.s.SeedDemo(ctx, "another-hash", tkCreated)
	if err != nil || ok {
		t.Fatalf("second SeedDemo = %v, %v; want false, nil", ok, err)
	}
	if after := dump(t, d.s); after != before {
		t.Errorf("second SeedDemo changed the database:\nbefore:\n%s\nafter:\n%s", before, after)
	}
}

func TestSeedDemoLeavesNonEmptyDatabase(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	if _, err := s.CreateUser(ctx, "someone", "someone@example.com", "Someone", "h"); err != nil {
		t.Fatal(err)
	}
	before := dump(t, s)
	ok, err := s.SeedDemo(ctx, demoHash, tkCreated)
	if err != nil || ok {
		t.Fatalf("SeedDemo on a non-empty database = %v, %v; want false, nil", ok, err)
	}
	if after := dump(t, s); after != before {
		t.Errorf("SeedDemo changed a non-empty database:\n%s", after)
	}
}
