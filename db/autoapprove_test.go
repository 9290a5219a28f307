package db

import (
	"context"
	"crypto/rand"
	"slices"
	"strings"
	"testing"

	"patpolicy/policy"
)

// open is octo-org's policy in force in the demo, allowing everything.
func openPolicy() policy.Effective {
	return policy.Effective{OptedIn: true, FineGrained: policy.Allow, Classic: policy.Allow, Approval: policy.ApprovalRequired}
}

// The figures of a change: a lifetime counts calendar days exactly (the
// demo owner's 90-day token fits a 90-day maximum, not an 89-day one),
// an exempt owner's token is not counted, classic tokens of members count
// when classic access is restricted, and a rule counts the pending
// requests it covers.
func TestImpactCounts(t *testing.T) {
	d := seededTest(t)
	ctx := context.Background()
	org := d.orgs["octo-org"]
	secret, err := policy.GenerateToken(policy.KindClassic, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.s.CreateToken(ctx, NewToken{UserID: d.users["mona"], Kind: policy.KindClassic, Hash: policy.HashToken(secret),
		Prefix: policy.DisplayPrefix(secret), Classic: policy.ClassicRequest{Note: "ci", ExpiresInDays: 30, Scopes: []string{"repo"}}}); err != nil {
		t.Fatal(err)
	}
	with := func(change func(*policy.Effective)) policy.Effective { e := openPolicy(); change(&e); return e }
	apiRepo := int64(0)
	repos, err := d.s.ReposOf(ctx, org)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range repos {
		if r.Name == "octo-api" {
			apiRepo = r.ID
		}
	}
	readOnly := policy.AutoApproval{ReadOnly: true}
	cases := []struct {
		name  string
		shift PolicyShift
		want  []policy.Impact
	}{
		{"nothing changes", PolicyShift{Before: openPolicy(), After: openPolicy()}, nil},
		{"90 days fits", PolicyShift{Before: openPolicy(), After: with(func(e *policy.Effective) { e.FineGrainedLifetime = 90 })}, nil},
		{"89 days does not", PolicyShift{Before: openPolicy(), After: with(func(e *policy.Effective) { e.FineGrainedLifetime = 89 })},
			[]policy.Impact{{Org: "octo-org", TokensBlocked: 1}}},
		{"an exempt owner", PolicyShift{Before: with(func(e *policy.Effective) { e.ExemptAdmins = true }),
			After: with(func(e *policy.Effective) { e.ExemptAdmins = true; e.FineGrainedLifetime = 30 })}, nil},
		{"fine-grained restricted", PolicyShift{Before: openPolicy(), After: with(func(e *policy.Effective) { e.FineGrained = policy.Restrict })},
			[]policy.Impact{{Org: "octo-org", TokensBlocked: 1}}},
		{"classic restricted", PolicyShift{Before: openPolicy(), After: with(func(e *policy.Effective) { e.Classic = policy.Restrict })},
			[]policy.Impact{{Org: "octo-org", TokensBlocked: 1}}},
		{"classic lifetime the token fits", PolicyShift{Before: openPolicy(), After: with(func(e *policy.Effective) { e.ClassicLifetime = 30 })}, nil},
		{"approval turned off", PolicyShift{Before: openPolicy(), After: with(func(e *policy.Effective) { e.Approval = policy.ApprovalNotRequired })},
			[]policy.Impact{{Org: "octo-org", RequestsApproved: 2}}},
		{"a rule for any repository", PolicyShift{Before: openPolicy(), After: openPolicy(), RuleAfter: readOnly},
			[]policy.Impact{{Org: "octo-org", RequestsApproved: 2}}},
		{"a rule for octo-api", PolicyShift{Before: openPolicy(), After: openPolicy(),
			RuleAfter: policy.AutoApproval{ReadOnly: true, RepoIDs: []int64{apiRepo}}},
			[]policy.Impact{{Org: "octo-org", RequestsApproved: 1}}},
		{"an unchanged rule", PolicyShift{Before: openPolicy(), After: openPolicy(), RuleBefore: readOnly, RuleAfter: readOnly}, nil},
	}
	for _, c := range cases {
		c.shift.OrgID = org
		got, err := d.s.Impact(ctx, []PolicyShift{c.shift})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("%s: %+v, want %+v", c.name, got, c.want)
		}
	}
}

// An inactivity limit counts the approved fine-grained tokens it would
// revoke: those unused (never used: since their creation) for longer, and
// a looser limit than the one in force counts none.
func TestImpactCountsAnInactivityLimit(t *testing.T) {
	d := seededTest(t)
	ctx := context.Background()
	org := d.orgs["octo-org"]
	if _, err := d.s.write.ExecContext(ctx, `UPDATE tokens SET last_used_at = ?, created_at = ?
		WHERE id IN (SELECT token_id FROM grants WHERE org_id = ? AND status = 'approved')`,
		timestamp(d.s.now().AddDate(0, 0, -40)), timestamp(d.s.now().AddDate(0, 0, -100)), org); err != nil {
		t.Fatal(err)
	}
	approved, err := d.s.CountGrants(ctx, org, policy.GrantApproved)
	if err != nil || approved == 0 {
		t.Fatalf("approved grants of octo-org: %d, %v", approved, err)
	}
	limit := func(days int) policy.Effective { e := openPolicy(); e.InactiveDays = days; return e }
	for _, c := range []struct {
		name          string
		before, after policy.Effective
		want          int
	}{
		{"30 days: every token unused for 40", openPolicy(), limit(30), approved},
		{"60 days: none", openPolicy(), limit(60), 0},
		{"from 30 to 7 days: none more", limit(30), limit(7), 0},
		{"from 60 to 30 days", limit(60), limit(30), approved},
	} {
		got, err := d.s.Impact(ctx, []PolicyShift{{OrgID: org, Before: c.before, After: c.after}})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, imp := range got {
			n += imp.TokensBlocked
		}
		if n != c.want {
			t.Errorf("%s: %d blocked, want %d", c.name, n, c.want)
		}
	}
}

// Counting what a change does reads one organization's rows through
// indexes, on either backend, in a large database (the last organization
// of the scale dataset, as TestListingQueriesNeverScanOnTheBackend does).
func TestImpactQueriesUseIndexes(t *testing.T) {
	s, info := planScaleStore(t)
	org := info.OrgIDs[len(info.OrgIDs)-1]
	now := timestamp(s.now())
	blocked := s.shutOutSQL(policy.KindFineGrained, openPolicy(), policy.Effective{OptedIn: true, FineGrainedLifetime: 30, ExemptAdmins: true})
	restricted := s.shutOutSQL(policy.KindFineGrained, openPolicy(), policy.Effective{OptedIn: true, FineGrained: policy.Restrict})
	classic := s.shutOutSQL(policy.KindClassic, openPolicy(), policy.Effective{Classic: policy.Restrict})
	for name, q := range map[string][]any{
		fineGrainedShutOutSQL("COUNT(*)", blocked):                                     {org, now},
		fineGrainedShutOutSQL("COUNT(*)", restricted):                                  {org, now},
		classicShutOutSQL("COUNT(*)", classic):                                         {org, now},
		coveredPendingSQL(policy.AutoApproval{ReadOnly: true, RepoIDs: []int64{1, 2}}): {org},
	} {
		bad := backendScans(t, s, name, q...)
		if s.dialect == postgresDialect {
			// A count reads every active token of the organization: where
			// that is a large share of tokens, PostgreSQL's planner prices
			// one pass over tokens (and the few memberships) below as many
			// index probes, and hashes them. The organization's own rows
			// must still be found through the index.
			bad = slices.DeleteFunc(bad, func(line string) bool {
				return strings.HasSuffix(line, " on tokens") || strings.HasSuffix(line, " on memberships")
			})
		}
		if len(bad) > 0 {
			t.Errorf("%s: full table scan %q", name, bad)
		}
	}
}

// BenchmarkImpact counts what restricting fine-grained tokens, a shorter
// lifetime and a rule would do in an organization of about 100,000
// tokens (50,000 active, 50,000 pending).
func BenchmarkImpact(b *testing.B) {
	ctx := context.Background()
	s := openTest(b)
	info, err := s.SeedScale(ctx, DemoScale(50000), demoHash, tkCreated, grReviewed)
	if err != nil {
		b.Fatal(err)
	}
	org := info.OrgIDs[0]
	open := openPolicy()
	with := func(change func(*policy.Effective)) policy.Effective { e := openPolicy(); change(&e); return e }
	for _, c := range []struct {
		name  string
		shift PolicyShift
	}{
		{"restrict", PolicyShift{Before: open, After: with(func(e *policy.Effective) { e.FineGrained = policy.Restrict })}},
		{"lifetime", PolicyShift{Before: open, After: with(func(e *policy.Effective) { e.FineGrainedLifetime = 30; e.ExemptAdmins = true })}},
		{"classic", PolicyShift{Before: open, After: with(func(e *policy.Effective) { e.Classic = policy.Restrict })}},
		{"rule", PolicyShift{Before: open, After: open, RuleAfter: policy.AutoApproval{ReadOnly: true}}},
	} {
		c.shift.OrgID = org
		b.Run(c.name, func(b *testing.B) {
			for range b.N {
				if _, err := s.Impact(ctx, []PolicyShift{c.shift}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
