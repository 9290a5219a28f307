package service_test

import (
	"context"
	"crypto/rand"
	"errors"
	"testing"

	"patpolicy/db/dbtest"

	"patpolicy/db"
	"patpolicy/policy"
	"patpolicy/service"
)

// savingStore is a real store whose token creations first see the
// organization's policy saved by an owner, the first saves times.
type savingStore struct {
	*db.Store
	t      *testing.T
	org    int64
	owner  int64
	saves  int
	create int
}

func (s *savingStore) CreateToken(ctx context.Context, nt db.NewToken) (int64, error) {
	s.create++
	if s.create <= s.saves {
		p, err := s.OrgPolicy(ctx, s.org)
		if err != nil {
			s.t.Fatal(err)
		}
		// Each save changes the maximum lifetime: 30 days, then 60, 30...
		next := p.Own
		next.FineGrainedLifetime = 30 * (1 + (s.create+1)%2)
		if err := s.SaveOrgPolicy(ctx, s.org, s.owner, p.Version, next, policy.OrgEvents(p.Own, next), service.ApprovedAsOff); err != nil {
			s.t.Fatal(err)
		}
	}
	return s.Store.CreateToken(ctx, nt)
}

// newSavingStore is the demo with saves policy saves to come, and mona's
// id.
func newSavingStore(t *testing.T, saves int) (*savingStore, int64) {
	t.Helper()
	ctx := context.Background()
	store, err := db.Open(ctx, dbtest.Location(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	if _, err := store.SeedDemo(ctx, "hash", service.Created); err != nil {
		t.Fatal(err)
	}
	ids := map[string]int64{}
	for _, login := range []string{"mona", "octo-owner"} {
		c, err := store.CredentialsFor(ctx, login)
		if err != nil {
			t.Fatal(err)
		}
		ids[login] = c.User.ID
	}
	ms, err := store.MembershipsOf(ctx, ids["mona"])
	if err != nil || len(ms) == 0 {
		t.Fatalf("mona's memberships: %v, %v", ms, err)
	}
	return &savingStore{Store: store, t: t, org: ms[0].Org.ID, owner: ids["octo-owner"], saves: saves}, ids["mona"]
}

// ninetyDays asks for a 90-day token for octo-org.
func ninetyDays(mona int64) service.FineGrainedRequest {
	return service.FineGrainedRequest{UserID: mona, Org: "octo-org", Input: policy.TokenInput{
		Name: "deploy-2", Expiration: "90", Justification: "Ships releases", Selection: string(policy.SelectAll),
		Permissions: map[string]string{policy.Metadata: string(policy.LevelRead)}}}
}

func monaTokens(t *testing.T, s *savingStore, mona int64) int {
	t.Helper()
	ts, err := s.TokensOf(context.Background(), mona, policy.KindFineGrained, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	return len(ts)
}

func TestCreateFineGrainedChecksAgainAgainstAPolicySavedMeanwhile(t *testing.T) {
	s, mona := newSavingStore(t, 1)
	before := monaTokens(t, s, mona)
	// The form was fine under the policy read first; an owner set a 30-day
	// maximum before the token was stored: checked again, it is refused.
	_, targets, err := service.Tokens{Store: s, Random: rand.Reader}.CreateFineGrained(context.Background(), ninetyDays(mona))
	var invalid *service.Invalid
	if !errors.As(err, &invalid) || len(invalid.Errors) != 1 || invalid.Errors[0].Field != policy.FieldExpiration {
		t.Fatalf("CreateFineGrained = %v, want the expiration refused", err)
	}
	if s.create != 1 {
		t.Errorf("%d creations tried, want 1 (the retry is refused before the store)", s.create)
	}
	if len(targets) == 0 || targets[0].Rules.MaxLifetime() != 30 {
		t.Errorf("targets %+v, want the policy saved meanwhile", targets)
	}
	if n := monaTokens(t, s, mona); n != before {
		t.Errorf("mona has %d tokens, want %d", n, before)
	}
}

func TestCreateFineGrainedRetriesAStaleVersion(t *testing.T) {
	for _, c := range []struct {
		name      string
		saves     int // policy saves under the creation
		want      error
		newTokens int
	}{
		{"gives up when the policy keeps changing", 1000, service.ErrKeepsChanging, 0},
		{"succeeds once the policy holds still", 2, nil, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			s, mona := newSavingStore(t, c.saves)
			before := monaTokens(t, s, mona)
			req := ninetyDays(mona)
			req.Input.Expiration = "7"
			issued, _, err := service.Tokens{Store: s, Random: rand.Reader}.CreateFineGrained(context.Background(), req)
			if !errors.Is(err, c.want) {
				t.Fatalf("CreateFineGrained = %v, want %v", err, c.want)
			}
			if s.create != 3 {
				t.Errorf("%d creations tried, want 3", s.create)
			}
			if err == nil && (issued.ID == 0 || issued.Secret == "") {
				t.Errorf("issued %+v", issued)
			}
			if n := monaTokens(t, s, mona); n != before+c.newTokens {
				t.Errorf("mona has %d tokens, want %d", n, before+c.newTokens)
			}
		})
	}
}
