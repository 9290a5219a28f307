package db

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"patpolicy/policy"
)

var fixedNow = time.Date(2025, 3, 4, 5, 6, 7, 891234567, time.UTC)

func orgPolicy(t *testing.T, s *Store, orgID int64) OrgPolicy {
	t.Helper()
	p, err := s.OrgPolicy(context.Background(), orgID)
	if err != nil {
		t.Fatalf("OrgPolicy(%d): %v", orgID, err)
	}
	return p
}

func auditEvents(t *testing.T, s *Store, q AuditQuery) []AuditEvent {
	t.Helper()
	evs, err := s.AuditEvents(context.Background(), q)
	if err != nil {
		t.Fatalf("AuditEvents(%+v): %v", q, err)
	}
	return evs
}

// failAuditInserts makes every insert into audit_events whose details match
// the LIKE pattern fail, as a broken audit log would.
func failAuditInserts(t *testing.T, s *Store, detailsLike string) {
	t.Helper()
	stmts := []string{`CREATE TRIGGER fail_audit BEFORE INSERT ON audit_events
		 WHEN NEW.details LIKE '` + detailsLike + `'
		 BEGIN SELECT RAISE(ABORT, 'audit log unavailable'); END`}
	if s.dialect == postgresDialect {
		// PostgreSQL's trigger runs a function, which raises the error.
		stmts = []string{
			`CREATE FUNCTION fail_audit() RETURNS trigger LANGUAGE plpgsql AS
			 'BEGIN RAISE EXCEPTION ''audit log unavailable''; END'`,
			`CREATE TRIGGER fail_audit BEFORE INSERT ON audit_events FOR EACH ROW
			 WHEN (NEW.details LIKE '` + detailsLike + `') EXECUTE FUNCTION fail_audit()`,
		}
	}
	for _, stmt := range stmts {
		if _, err := s.write.ExecContext(context.Background(), stmt); err != nil {
			t.Fatal(err)
		}
	}
}

func TestOrgPolicyNotFound(t *testing.T) {
	s := openTest(t)
	if _, err := s.OrgPolicy(context.Background(), 42); !errors.Is(err, ErrNotFound) {
		t.Errorf("OrgPolicy(missing) err = %v, want ErrNotFound", err)
	}
	if _, _, err := s.EnterprisePolicy(context.Background(), 42); !errors.Is(err, ErrNotFound) {
		t.Errorf("EnterprisePolicy(missing) err = %v, want ErrNotFound", err)
	}
}

func TestSaveOrgPolicyAppliesAndRecords(t *testing.T) {
	ctx := context.Background()
	d := seededTest(t)
	d.s.now = func() time.Time { return fixedNow }
	org, actor := d.orgs["solo-org"], d.users["octo-owner"]

	cur := orgPolicy(t, d.s, org)
	next := policy.OrgSettings{FineGrained: policy.Restrict, Approval: policy.ApprovalNotRequired,
		Classic: policy.Restrict, FineGrainedLifetime: 90, ClassicLifetime: 30}
	events := policy.OrgEvents(cur.Own, next)
	if len(events) != 5 {
		t.Fatalf("test setup: %d events", len(events))
	}
	if err := d.s.SaveOrgPolicy(ctx, org, actor, cur.Version, next, events, grApprovedAsOff); err != nil {
		t.Fatalf("SaveOrgPolicy: %v", err)
	}
	got := orgPolicy(t, d.s, org)
	if got.Own != next {
		t.Errorf("stored %+v, want %+v", got.Own, next)
	}
	if got.Version != cur.Version+1 {
		t.Errorf("version %d, want %d", got.Version, cur.Version+1)
	}
	// The other organization is untouched.
	if other := orgPolicy(t, d.s, d.orgs["octo-org"]); other.Own != policy.DefaultOrgSettings() || other.Version != 1 {
		t.Errorf("octo-org changed: %+v v%d", other.Own, other.Version)
	}

	log := auditEvents(t, d.s, AuditQuery{OrgID: org})
	if len(log) != len(events) {
		t.Fatalf("%d audit events, want %d: %+v", len(log), len(events), log)
	}
	for i, e := range log {
		want := events[len(events)-1-i] // newest first
		if e.Action != want.Action || e.Details != want.Details {
			t.Errorf("event %d = %s %q, want %s %q", i, e.Action, e.Details, want.Action, want.Details)
		}
		if e.ActorLogin != "octo-owner" {
			t.Errorf("event %d actor %q, want octo-owner", i, e.ActorLogin)
		}
		if want := fixedNow.Truncate(time.Microsecond); !e.CreatedAt.Equal(want) {
			t.Errorf("event %d created at %v, want %v", i, e.CreatedAt, want)
		}
		if i > 0 && e.ID >= log[i-1].ID {
			t.Errorf("events not newest first: id %d after %d", e.ID, log[i-1].ID)
		}
	}
	if n := count(t, d.s, `SELECT count(*) FROM audit_events WHERE org_id = ? AND enterprise_id IS NULL AND actor_id = ?`, org, actor); n != len(events) {
		t.Errorf("%d audit rows for the organization and actor, want %d", n, len(events))
	}
	if other := auditEvents(t, d.s, AuditQuery{OrgID: d.orgs["octo-org"]}); len(other) != 0 {
		t.Errorf("octo-org's audit log shows solo-org's events: %+v", other)
	}
}

func TestSaveOrgPolicyStaleVersion(t *testing.T) {
	ctx := context.Background()
	d := seededTest(t)
	org, actor := d.orgs["octo-org"], d.users["octo-owner"]
	cur := orgPolicy(t, d.s, org)

	first := cur.Own
	first.FineGrained = policy.Restrict
	if err := d.s.SaveOrgPolicy(ctx, org, actor, cur.Version, first, policy.OrgEvents(cur.Own, first), grApprovedAsOff); err != nil {
		t.Fatalf("first save: %v", err)
	}
	before := dump(t, d.s)

	for _, version := range []int{cur.Version, cur.Version + 2, 0, -1} {
		second := cur.Own
		second.Approval = policy.ApprovalNotRequired
		second.ClassicLifetime = 7
		err := d.s.SaveOrgPolicy(ctx, org, actor, version, second, policy.OrgEvents(cur.Own, second), grApprovedAsOff)
		if !errors.Is(err, ErrStale) {
			t.Errorf("save at version %d: err = %v, want ErrStale", version, err)
		}
		// A no-op save on an old version is stale too.
		if err := d.s.SaveOrgPolicy(ctx, org, actor, version, first, nil, grApprovedAsOff); !errors.Is(err, ErrStale) {
			t.Errorf("no-op save at version %d: err = %v, want ErrStale", version, err)
		}
	}
	if after := dump(t, d.s); after != before {
		t.Errorf("stale saves changed the database:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	if log := auditEvents(t, d.s, AuditQuery{OrgID: org}); len(log) != 1 {
		t.Errorf("%d audit events, want only the first save's one", len(log))
	}
}

func TestSaveOrgPolicyNoOpKeepsVersion(t *testing.T) {
	ctx := context.Background()
	d := seededTest(t)
	org, actor := d.orgs["solo-org"], d.users["octo-owner"]
	cur := orgPolicy(t, d.s, org)
	if evs := policy.OrgEvents(cur.Own, cur.Own); len(evs) != 0 {
		t.Fatalf("setup: %v", evs)
	}
	for range 3 {
		if err := d.s.SaveOrgPolicy(ctx, org, actor, cur.Version, cur.Own, nil, grApprovedAsOff); err != nil {
			t.Fatalf("no-op save: %v", err)
		}
	}
	got := orgPolicy(t, d.s, org)
	if got.Version != cur.Version || got.Own != cur.Own {
		t.Errorf("after no-op saves: %+v v%d, want %+v v%d", got.Own, got.Version, cur.Own, cur.Version)
	}
	if n := count(t, d.s, `SELECT count(*) FROM audit_events`); n != 0 {
		t.Errorf("no-op saves wrote %d audit events", n)
	}
}

func TestSaveOrgPolicyRejectsInvalidValues(t *testing.T) {
	// The schema is the last guard: values the rules would never produce
	// are refused and nothing is written.
	ctx := context.Background()
	d := seededTest(t)
	org, actor := d.orgs["solo-org"], d.users["octo-owner"]
	before := dump(t, d.s)
	for _, next := range []policy.OrgSettings{
		{FineGrained: "bogus", Approval: policy.ApprovalRequired, Classic: policy.Allow},
		{FineGrained: policy.Allow, Approval: "disabled", Classic: policy.Allow},
		{FineGrained: policy.Allow, Approval: policy.ApprovalRequired, Classic: "no_policy"},
		{FineGrained: policy.Allow, Approval: policy.ApprovalRequired, Classic: policy.Allow, FineGrainedLifetime: 367},
		{FineGrained: policy.Allow, Approval: policy.ApprovalRequired, Classic: policy.Allow, ClassicLifetime: -1},
	} {
		err := d.s.SaveOrgPolicy(ctx, org, actor, 1, next, []policy.Event{{Action: "x", Details: "y"}}, grApprovedAsOff)
		if err == nil {
			t.Errorf("SaveOrgPolicy(%+v) accepted", next)
		}
	}
	if after := dump(t, d.s); after != before {
		t.Errorf("refused saves changed the database:\n%s", after)
	}
}

func TestSaveOrgPolicyRollsBackWhenAuditFails(t *testing.T) {
	ctx := context.Background()
	d := seededTest(t)
	org, actor := d.orgs["octo-org"], d.users["octo-owner"]
	// Only the second event fails, so the first event's insert must be
	// rolled back as well as the policy update.
	failAuditInserts(t, d.s, "second%")
	before := dump(t, d.s)

	cur := orgPolicy(t, d.s, org)
	next := cur.Own
	next.FineGrained = policy.Restrict
	next.FineGrainedLifetime = 30
	err := d.s.SaveOrgPolicy(ctx, org, actor, cur.Version, next, []policy.Event{
		{Action: policy.ActionAccessRestrictionEnabled, Details: "first"},
		{Action: policy.ActionExpirationLimitSet, Details: "second"},
	}, grApprovedAsOff)
	if err == nil || !strings.Contains(err.Error(), "audit log unavailable") {
		t.Fatalf("err = %v, want the audit insert's failure", err)
	}
	if after := dump(t, d.s); after != before {
		t.Errorf("a save whose audit insert failed left changes:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	if got := orgPolicy(t, d.s, org); got.Own != cur.Own || got.Version != cur.Version {
		t.Errorf("policy %+v v%d, want the unchanged %+v v%d", got.Own, got.Version, cur.Own, cur.Version)
	}

	// The store still works afterwards (the failed transaction released the writer).
	if err := d.s.SaveOrgPolicy(ctx, org, actor, cur.Version, next, []policy.Event{{Action: policy.ActionAccessRestrictionEnabled, Details: "ok"}}, grApprovedAsOff); err != nil {
		t.Fatalf("save after a failed one: %v", err)
	}
}

func TestSaveOrgPolicyCancelledContext(t *testing.T) {
	d := seededTest(t)
	org := d.orgs["octo-org"]
	before := dump(t, d.s)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	next := policy.DefaultOrgSettings()
	next.Classic = policy.Restrict
	if err := d.s.SaveOrgPolicy(ctx, org, d.users["octo-owner"], 1, next, policy.OrgEvents(policy.DefaultOrgSettings(), next), grApprovedAsOff); err == nil {
		t.Fatal("save with a cancelled context succeeded")
	}
	if after := dump(t, d.s); after != before {
		t.Errorf("a cancelled save left changes:\n%s", after)
	}
}

func TestOptIn(t *testing.T) {
	ctx := context.Background()
	d := seededTest(t)
	org, actor := d.orgs["solo-org"], d.users["octo-owner"]
	cur := orgPolicy(t, d.s, org)
	if cur.Effective().OptedIn {
		t.Fatal("setup: solo-org already opted in")
	}
	chosen := policy.OrgSettings{FineGrained: policy.Restrict, Approval: policy.ApprovalNotRequired, Classic: policy.Restrict}
	events := policy.OptInEvents(chosen)
	if err := d.s.OptIn(ctx, org, actor, chosen, events); err != nil {
		t.Fatalf("OptIn: %v", err)
	}
	got := orgPolicy(t, d.s, org)
	if !got.OptedIn || !got.Effective().OptedIn {
		t.Error("solo-org is not opted in after OptIn")
	}
	if got.Own != chosen {
		t.Errorf("stored %+v, want the chosen %+v", got.Own, chosen)
	}
	if got.Version != cur.Version+1 {
		t.Errorf("version %d, want %d", got.Version, cur.Version+1)
	}
	if o, err := d.s.OrgByLogin(ctx, "solo-org"); err != nil || !o.OptedIn {
		t.Errorf("OrgByLogin(solo-org).OptedIn = %v, %v; want true", o.OptedIn, err)
	}
	log := auditEvents(t, d.s, AuditQuery{OrgID: org})
	if len(log) != len(events) {
		t.Fatalf("%d audit events, want %d", len(log), len(events))
	}
	if oldest := log[len(log)-1]; oldest.Action != policy.ActionFineGrainedOptIn || oldest.ActorLogin != "octo-owner" {
		t.Errorf("first recorded event = %s by %s, want %s by octo-owner", oldest.Action, oldest.ActorLogin, policy.ActionFineGrainedOptIn)
	}

	before := dump(t, d.s)
	other := policy.DefaultOrgSettings()
	err := d.s.OptIn(ctx, org, actor, other, policy.OptInEvents(other))
	if !errors.Is(err, ErrAlreadyOptedIn) {
		t.Fatalf("second OptIn err = %v, want ErrAlreadyOptedIn", err)
	}
	if after := dump(t, d.s); after != before {
		t.Errorf("second OptIn changed the database:\nbefore:\n%s\nafter:\n%s", before, after)
	}
}

func TestOptInStoresChosenLifetimes(t *testing.T) {
	// OptIn "enrolls an organization ... with the chosen settings": every
	// chosen setting is stored, or the recorded expiration_limit_set event
	// would describe a limit that is not in force.
	ctx := context.Background()
	d := seededTest(t)
	org := d.orgs["solo-org"]
	chosen := policy.OrgSettings{FineGrained: policy.Allow, Approval: policy.ApprovalRequired, Classic: policy.Allow,
		FineGrainedLifetime: 90, ClassicLifetime: 30}
	if err := d.s.OptIn(ctx, org, d.users["octo-owner"], chosen, policy.OptInEvents(chosen)); err != nil {
		t.Fatalf("OptIn: %v", err)
	}
	if got := orgPolicy(t, d.s, org); got.Own != chosen {
		t.Errorf("stored %+v, want the chosen %+v", got.Own, chosen)
	}
}

func TestOptInRollsBackWhenAuditFails(t *testing.T) {
	ctx := context.Background()
	d := seededTest(t)
	failAuditInserts(t, d.s, "%")
	before := dump(t, d.s)
	chosen := policy.OrgSettings{FineGrained: policy.Restrict, Approval: policy.ApprovalRequired, Classic: policy.Allow}
	if err := d.s.OptIn(ctx, d.orgs["solo-org"], d.users["octo-owner"], chosen, policy.OptInEvents(chosen)); err == nil {
		t.Fatal("OptIn succeeded though its audit events could not be written")
	}
	if after := dump(t, d.s); after != before {
		t.Errorf("a failed OptIn left changes:\nbefore:\n%s\nafter:\n%s", before, after)
	}
}

func TestSaveEnterprisePolicy(t *testing.T) {
	ctx := context.Background()
	d := seededTest(t)
	d.s.now = func() time.Time { return fixedNow }
	actor := d.users["ent-admin"]
	cur, version, err := d.s.EnterprisePolicy(ctx, d.ent)
	if err != nil {
		t.Fatal(err)
	}
	next := cur
	next.FineGrained = policy.EnterpriseAccessRestrict
	next.Approval = policy.EnterpriseApprovalDisabled
	next.Classic = policy.EnterpriseAccessNoPolicy
	next.FineGrainedLifetime = 60
	next.ExemptAdmins = true
	events := policy.EnterpriseEvents(cur, next)

	if err := d.s.SaveEnterprisePolicy(ctx, d.ent, actor, version, next, events, grApprovedAsOff); err != nil {
		t.Fatalf("SaveEnterprisePolicy: %v", err)
	}
	got, gotVersion, err := d.s.EnterprisePolicy(ctx, d.ent)
	if err != nil {
		t.Fatal(err)
	}
	if got != next || gotVersion != version+1 {
		t.Errorf("stored %+v v%d, want %+v v%d", got, gotVersion, next, version+1)
	}

	// The organizations of the enterprise see the new policy.
	eff := orgPolicy(t, d.s, d.orgs["octo-org"]).Effective()
	if eff.FineGrained != policy.Restrict || eff.Approval != policy.ApprovalNotRequired || eff.Classic != policy.Allow ||
		eff.FineGrainedLifetime != 60 || !eff.ExemptAdmins {
		t.Errorf("octo-org effective after the enterprise change = %+v", eff)
	}
	if !eff.IsLocked(policy.FieldFineGrained) || !eff.IsLocked(policy.FieldApproval) || eff.IsLocked(policy.FieldClassic) {
		t.Errorf("octo-org locks = %v, want fine-grained and approval", eff.Locked)
	}
	if eff.Ceiling[policy.FieldFineGrainedLifetime] != 60 {
		t.Errorf("ceiling = %v, want fine-grained 60", eff.Ceiling)
	}

	// Events: recorded against the enterprise, by the actor, in order.
	rows := dumpQuery(t, d.s.write, `SELECT action, details, actor_id, created_at FROM audit_events
		WHERE enterprise_id = ? AND org_id IS NULL ORDER BY id`, d.ent)
	var want strings.Builder
	for _, e := range events {
		want.WriteString(e.Action + " " + e.Details + " " + strconv.FormatInt(actor, 10) + " " + timestamp(fixedNow) + "\n")
	}
	if rows != want.String() {
		t.Errorf("enterprise audit rows:\n%s\nwant:\n%s", rows, want.String())
	}
	// octo-org's log has the same changes, naming the enterprise; then
	// disabling the approval flow approved its two pending requests, each
	// recorded there, by the same actor.
	got2 := dumpQuery(t, d.s.write, `SELECT action, details, actor_id FROM audit_events WHERE org_id = ? ORDER BY id`, d.orgs["octo-org"])
	a := strconv.FormatInt(actor, 10)
	want.Reset()
	for _, e := range events {
		want.WriteString(e.Action + " " + e.Details + " (set by the Octo Enterprise enterprise) " + a + "\n")
	}
	if !strings.HasPrefix(got2, want.String()) || strings.Count(got2[want.Len():], "personal_access_token.access_granted ") != 2 {
		t.Errorf("octo-org audit rows:\n%s\nwant:\n%s and two access_granted", got2, want.String())
	}
	if n := count(t, d.s, `SELECT count(*) FROM grants WHERE status = 'pending'`); n != 0 {
		t.Errorf("%d requests still pending after the enterprise disabled approval", n)
	}
	if n := count(t, d.s, `SELECT count(*) FROM audit_events`); n != 2*len(events)+2 {
		t.Errorf("%d audit rows in all, want %d", n, 2*len(events)+2)
	}

	// Stale.
	before := dump(t, d.s)
	stale := next
	stale.Classic = policy.EnterpriseAccessRestrict
	if err := d.s.SaveEnterprisePolicy(ctx, d.ent, actor, version, stale, policy.EnterpriseEvents(next, stale), grApprovedAsOff); !errors.Is(err, ErrStale) {
		t.Errorf("stale save err = %v, want ErrStale", err)
	}
	if after := dump(t, d.s); after != before {
		t.Errorf("stale enterprise save changed the database:\n%s", after)
	}

	// No-op.
	if err := d.s.SaveEnterprisePolicy(ctx, d.ent, actor, version+1, next, nil, grApprovedAsOff); err != nil {
		t.Fatalf("no-op save: %v", err)
	}
	if _, v, _ := d.s.EnterprisePolicy(ctx, d.ent); v != version+1 {
		t.Errorf("no-op save moved the version to %d, want %d", v, version+1)
	}
}

func TestSaveEnterprisePolicyRollsBackWhenAuditFails(t *testing.T) {
	ctx := context.Background()
	d := seededTest(t)
	failAuditInserts(t, d.s, "%lifetime%")
	before := dump(t, d.s)
	cur, version, err := d.s.EnterprisePolicy(ctx, d.ent)
	if err != nil {
		t.Fatal(err)
	}
	next := cur
	next.FineGrained = policy.EnterpriseAccessRestrict
	next.FineGrainedLifetime = 30
	events := policy.EnterpriseEvents(cur, next)
	if len(events) != 2 || !strings.Contains(strings.ToLower(events[1].Details), "lifetime") {
		t.Fatalf("setup: events %v", events)
	}
	if err := d.s.SaveEnterprisePolicy(ctx, d.ent, d.users["ent-admin"], version, next, events, grApprovedAsOff); err == nil {
		t.Fatal("save succeeded though an audit event could not be written")
	}
	if after := dump(t, d.s); after != before {
		t.Errorf("a failed enterprise save left changes:\nbefore:\n%s\nafter:\n%s", before, after)
	}
}
