package service_test

import (
	"context"
	"errors"
	"testing"

	"patpolicy/db/dbtest"

	"patpolicy/db"
	"patpolicy/policy"
	"patpolicy/service"
)

// demoStore is the demo dataset: octo-org (in Octo Enterprise, with two
// pending requests) and solo-org (not opted in), both owned by octo-owner.
type demoStore struct {
	*db.Store
	owner, ent int64
	octo, solo int64
}

func openDemo(t *testing.T) demoStore {
	t.Helper()
	ctx := context.Background()
	s, err := db.Open(ctx, dbtest.Location(t))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	if ok, err := s.SeedDemo(ctx, "hash", service.Created); err != nil || !ok {
		t.Fatalf("SeedDemo = %v, %v", ok, err)
	}
	d := demoStore{Store: s, owner: mustUser(t, s, "octo-owner")}
	for login, id := range map[string]*int64{"octo-org": &d.octo, "solo-org": &d.solo} {
		o, err := s.OrgByLogin(ctx, login)
		if err != nil {
			t.Fatal(err)
		}
		*id = o.ID
	}
	ents, err := s.EnterprisesOwnedBy(ctx, mustUser(t, s, "ent-admin"))
	if err != nil || len(ents) != 1 {
		t.Fatalf("EnterprisesOwnedBy = %v, %v", ents, err)
	}
	d.ent = ents[0].ID
	return d
}

func mustUser(t *testing.T, s *db.Store, login string) int64 {
	t.Helper()
	c, err := s.CredentialsFor(context.Background(), login)
	if err != nil {
		t.Fatal(err)
	}
	return c.User.ID
}

func (d demoStore) orgPolicy(t *testing.T, id int64) db.OrgPolicy {
	t.Helper()
	p, err := d.OrgPolicy(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func (d demoStore) pending(t *testing.T) int {
	t.Helper()
	n, err := d.CountGrants(context.Background(), d.octo, policy.GrantPending)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func always(int) bool { return true }

// The refusals come in one order, whatever else is wrong: stale, then
// invalid (a request its transport found malformed too, with no error of
// policy's), then unversioned.
func TestSaveOrgRefusesInOrder(t *testing.T) {
	d := openDemo(t)
	svc := service.Policies{Store: d}
	p := d.orgPolicy(t, d.octo)
	bad, good := "maybe", "restrict"
	cases := []struct {
		name    string
		req     service.PolicyRequest
		change  policy.OrgChange
		stale   bool
		invalid int // how many errors of policy's, -1 for no InvalidPolicy
		noVer   bool
	}{
		{"stale and invalid", service.PolicyRequest{BuiltOn: service.AtVersion(p.Version + 1), Malformed: true}, policy.OrgChange{Approval: &bad}, true, -1, false},
		{"invalid and unversioned", service.PolicyRequest{}, policy.OrgChange{Approval: &bad}, false, 1, false},
		{"malformed, valid for policy", service.PolicyRequest{BuiltOn: always, Malformed: true}, policy.OrgChange{FineGrained: &good}, false, 0, false},
		{"unversioned", service.PolicyRequest{}, policy.OrgChange{FineGrained: &good}, false, -1, true},
	}
	for _, c := range cases {
		c.req.ActorID = d.owner
		_, err := svc.SaveOrg(context.Background(), service.SaveOrgInput{PolicyRequest: c.req, OrgID: d.octo, Current: p, Change: c.change})
		var stale *service.StaleVersion[db.OrgPolicy]
		var inv *service.InvalidPolicy
		if got := errors.As(err, &stale); got != c.stale || got && stale.Current.Version != p.Version {
			t.Errorf("%s: %v, want stale %v at version %d", c.name, err, c.stale, p.Version)
		}
		if got := errors.As(err, &inv); got != (c.invalid >= 0) || got && len(inv.Errors) != c.invalid {
			t.Errorf("%s: %v, want %d errors of policy's", c.name, err, c.invalid)
		}
		if got := errors.Is(err, service.ErrVersionRequired); got != c.noVer {
			t.Errorf("%s: %v, want version required %v", c.name, err, c.noVer)
		}
	}
	if now := d.orgPolicy(t, d.octo); now.Version != p.Version || now.Own != p.Own {
		t.Fatalf("a refused change was stored: %+v", now)
	}
}

// A save that loses the race to another (its version matched when it was
// read) is stale too, and carries the settings stored since, not those it
// was built on.
func TestSaveOrgLosingTheRaceCarriesTheNewSettings(t *testing.T) {
	d := openDemo(t)
	svc := service.Policies{Store: d}
	ctx := context.Background()
	old := d.orgPolicy(t, d.octo)
	restrict := "restrict"
	// Restricting shuts out the demo's active tokens: confirmed.
	won, err := svc.SaveOrg(ctx, service.SaveOrgInput{PolicyRequest: service.PolicyRequest{ActorID: d.owner, BuiltOn: service.AtVersion(old.Version), Confirmed: true},
		OrgID: d.octo, Current: old, Change: policy.OrgChange{FineGrained: &restrict}})
	if err != nil || won.Settings.FineGrained != policy.Restrict {
		t.Fatalf("first save = %+v, %v", won, err)
	}
	_, err = svc.SaveOrg(ctx, service.SaveOrgInput{PolicyRequest: service.PolicyRequest{ActorID: d.owner, BuiltOn: service.AtVersion(old.Version)},
		OrgID: d.octo, Current: old, Change: policy.OrgChange{Classic: &restrict}})
	var stale *service.StaleVersion[db.OrgPolicy]
	if !errors.As(err, &stale) || !errors.Is(err, service.ErrStaleVersion) {
		t.Fatalf("second save on the old version = %v, want StaleVersion", err)
	}
	now := d.orgPolicy(t, d.octo)
	if stale.Current.Version != now.Version || stale.Current.Own != now.Own || now.Own.FineGrained != policy.Restrict {
		t.Errorf("stale carries %+v, stored %+v", stale.Current, now)
	}
}

// Turning approval off asks first while requests are pending; confirmed,
// it says how many were pending and the store approves them.
func TestSaveOrgTurningApprovalOff(t *testing.T) {
	d := openDemo(t)
	svc := service.Policies{Store: d}
	ctx := context.Background()
	off := "not_required"
	in := service.SaveOrgInput{PolicyRequest: service.PolicyRequest{ActorID: d.owner, BuiltOn: always},
		OrgID: d.octo, Current: d.orgPolicy(t, d.octo), Change: policy.OrgChange{Approval: &off}}
	_, err := svc.SaveOrg(ctx, in)
	var ask *service.ConfirmApproval
	if !errors.As(err, &ask) || ask.Pending != 2 {
		t.Fatalf("unconfirmed = %v, want ConfirmApproval for 2", err)
	}
	if n := d.pending(t); n != 2 {
		t.Fatalf("asking approved something: %d pending", n)
	}
	in.Confirmed = true
	res, err := svc.SaveOrg(ctx, in)
	if err != nil || res.ApprovedPending != 2 || res.Settings.Approval != policy.ApprovalNotRequired {
		t.Fatalf("confirmed = %+v, %v", res, err)
	}
	if n := d.pending(t); n != 0 {
		t.Errorf("%d still pending", n)
	}
}

// Disabling the enterprise's approval flow asks with the counts by
// organization, and reports the total once confirmed.
func TestSaveEnterpriseDisablingApproval(t *testing.T) {
	d := openDemo(t)
	svc := service.Policies{Store: d}
	ctx := context.Background()
	cur, version, err := d.EnterprisePolicy(ctx, d.ent)
	if err != nil {
		t.Fatal(err)
	}
	disabled := string(policy.EnterpriseApprovalDisabled)
	in := service.SaveEnterpriseInput{PolicyRequest: service.PolicyRequest{ActorID: mustUser(t, d.Store, "ent-admin"), BuiltOn: service.AtVersion(version)},
		EntID: d.ent, Current: service.EnterprisePolicy{Policy: cur, Version: version}, Change: policy.EnterpriseChange{Approval: &disabled}}
	_, err = svc.SaveEnterprise(ctx, in)
	var ask *service.ConfirmApproval
	if !errors.As(err, &ask) || ask.Pending != 2 || len(ask.ByOrg) != 1 || ask.ByOrg[0].Login != "octo-org" || ask.ByOrg[0].N != 2 {
		t.Fatalf("unconfirmed = %v %+v, want 2 pending in octo-org", err, ask)
	}
	in.Confirmed = true
	res, err := svc.SaveEnterprise(ctx, in)
	if err != nil || res.ApprovedPending != 2 || res.Policy.Approval != policy.EnterpriseApprovalDisabled {
		t.Fatalf("confirmed = %+v, %v", res, err)
	}
	if n := d.pending(t); n != 0 {
		t.Errorf("%d still pending", n)
	}
	// The form the first save was built on is stale now.
	_, err = svc.SaveEnterprise(ctx, in)
	var stale *service.StaleVersion[service.EnterprisePolicy]
	if !errors.As(err, &stale) || stale.Current.Version == version || stale.Current.Policy.Approval != policy.EnterpriseApprovalDisabled {
		t.Errorf("saving on the old version again = %v", err)
	}
}

// Enrolling needs no version and happens once: the second owner is told
// the organization is already opted in.
func TestOptInOnce(t *testing.T) {
	d := openDemo(t)
	svc := service.Policies{Store: d}
	ctx := context.Background()
	p := d.orgPolicy(t, d.solo)
	restrict := "restrict"
	in := service.SaveOrgInput{PolicyRequest: service.PolicyRequest{ActorID: d.owner}, OrgID: d.solo, Current: p, Change: policy.OrgChange{Classic: &restrict}}
	res, err := svc.OptIn(ctx, in)
	if err != nil || res.Settings.Classic != policy.Restrict {
		t.Fatalf("OptIn = %+v, %v", res, err)
	}
	if now := d.orgPolicy(t, d.solo); !now.OptedIn || now.Own.Classic != policy.Restrict {
		t.Fatalf("stored %+v", now)
	}
	if _, err := svc.OptIn(ctx, in); !errors.Is(err, db.ErrAlreadyOptedIn) {
		t.Errorf("second OptIn = %v, want db.ErrAlreadyOptedIn", err)
	}
}
