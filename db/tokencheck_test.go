package db

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"patpolicy/db/dbtest"
	"patpolicy/policy"
)

// newSecret stores an approved fine-grained token of mona on octo-org and
// returns its hash.
func newSecret(t *testing.T, d demo, name string) ([]byte, int64) {
	t.Helper()
	ctx := context.Background()
	secret, err := policy.GenerateToken(policy.KindFineGrained, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	p, err := d.s.OrgPolicy(ctx, d.orgs["octo-org"])
	if err != nil {
		t.Fatal(err)
	}
	id, err := d.s.CreateToken(ctx, NewToken{
		UserID: d.users["mona"], Hash: policy.HashToken(secret), Prefix: policy.DisplayPrefix(secret),
		Kind: policy.KindFineGrained, OrgID: d.orgs["octo-org"], OrgVersion: p.Version,
		FineGrained: policy.TokenRequest{Name: name, ExpiresInDays: 30, Selection: policy.SelectAll,
			Permissions: map[string]policy.Level{policy.Metadata: policy.LevelRead}, Status: policy.GrantApproved},
		Follow: tkCreated,
	})
	if err != nil {
		t.Fatal(err)
	}
	return policy.HashToken(secret), id
}

func TestTokenByHashReadsWhatTheRulesNeed(t *testing.T) {
	d := seededTest(t)
	ctx := context.Background()
	hash, id := newSecret(t, d, "reader")
	got, err := d.s.TokenByHash(ctx, hash)
	if err != nil {
		t.Fatal(err)
	}
	c := got.Credential
	if got.ID != id || got.UserLogin != "mona" || c.OrgLogin != "octo-org" || c.Grant != policy.GrantApproved ||
		c.Selection != policy.SelectAll || c.Permissions[policy.Metadata] != policy.LevelRead || c.ExpiresAt.Sub(c.CreatedAt) != 30*24*time.Hour {
		t.Errorf("token %+v", got)
	}
	if _, err := d.s.TokenByHash(ctx, policy.HashToken("github_pat_never_issued")); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown hash: %v, want ErrNotFound", err)
	}
}

// Every write that commits is seen by the next cached read: the grant's
// status, the policy in force, a deleted token.
func TestReadCacheSeesEveryCommit(t *testing.T) {
	d := seededTest(t)
	ctx := context.Background()
	hash, id := newSecret(t, d, "cached")
	org := d.orgs["octo-org"]

	tok, _ := d.s.TokenByHash(ctx, hash)
	if _, err := d.s.Review(ctx, GrantReview{Follow: grReviewed, OrgID: org, ActorID: d.users["octo-owner"], IDs: []int64{grantOf(t, d, id)},
		From: policy.GrantApproved, To: policy.GrantRevoked}); err != nil {
		t.Fatal(err)
	}
	if tok, _ = d.s.TokenByHash(ctx, hash); tok.Credential.Grant != policy.GrantRevoked {
		t.Errorf("after revoking: grant %q", tok.Credential.Grant)
	}

	before, err := d.s.OrgAccessOf(ctx, "OCTO-ORG")
	if err != nil {
		t.Fatal(err)
	}
	if before.Effective.FineGrained != policy.Allow || len(before.List) != 3 {
		t.Fatalf("octo-org %+v", before)
	}
	if _, ok := before.Repo("Octo-Api"); !ok {
		t.Error("repository names are matched in any case")
	}
	p, _ := d.s.OrgPolicy(ctx, org)
	next := p.Own
	next.FineGrained = policy.Restrict
	if err := d.s.SaveOrgPolicy(ctx, org, d.users["octo-owner"], p.Version, next, policy.OrgEvents(p.Own, next), grApprovedAsOff); err != nil {
		t.Fatal(err)
	}
	if after, _ := d.s.OrgAccessOf(ctx, "octo-org"); after.Effective.FineGrained != policy.Restrict || after.Version == before.Version {
		t.Errorf("after restricting: %+v", after.Effective)
	}

	if err := d.s.DeleteToken(ctx, d.users["mona"], id, tkDeleted); err != nil {
		t.Fatal(err)
	}
	if _, err := d.s.TokenByHash(ctx, hash); !errors.Is(err, ErrNotFound) {
		t.Errorf("deleted token: %v, want ErrNotFound", err)
	}
}

func grantOf(t *testing.T, d demo, tokenID int64) int64 {
	t.Helper()
	var g int64
	if err := d.s.read.QueryRow(`SELECT id FROM grants WHERE token_id = ?`, tokenID).Scan(&g); err != nil {
		t.Fatal(err)
	}
	return g
}

// While readers hammer the cache, a revocation commits; no read that
// starts after Review returned may see the grant approved.
func TestReadCacheNeverServesAStaleGrantAfterCommit(t *testing.T) {
	d := seededTest(t)
	ctx := context.Background()
	// Half the readers read through a second store on the same database,
	// as another instance would: its cache must not outlive the commit
	// either.
	stores := []*Store{d.s, openTestAt(t, locationOf(t, d.s))}
	for round := range 20 {
		hash, id := newSecret(t, d, "race-"+string(rune('a'+round)))
		var committed atomic.Bool
		var stale atomic.Int64
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for reader := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					select {
					case <-stop:
						return
					default:
					}
					after := committed.Load()
					tok, err := stores[reader%2].TokenByHash(ctx, hash)
					if err != nil {
						t.Error(err)
						return
					}
					if after && tok.Credential.Grant == policy.GrantApproved {
						stale.Add(1)
					}
				}
			}()
		}
		time.Sleep(time.Millisecond)
		if _, err := d.s.Review(ctx, GrantReview{Follow: grReviewed, OrgID: d.orgs["octo-org"], ActorID: d.users["octo-owner"],
			IDs: []int64{grantOf(t, d, id)}, From: policy.GrantApproved, To: policy.GrantRevoked}); err != nil {
			t.Fatal(err)
		}
		committed.Store(true)
		time.Sleep(time.Millisecond)
		close(stop)
		wg.Wait()
		if n := stale.Load(); n > 0 {
			t.Fatalf("round %d: %d reads after the commit saw the grant approved", round, n)
		}
	}
}

func TestFlushLastUsesKeepsTheNewest(t *testing.T) {
	d := seededTest(t)
	ctx := context.Background()
	_, id := newSecret(t, d, "used")
	t1 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	d.s.TouchToken(id, t1)
	d.s.TouchToken(id, t1.Add(-time.Hour)) // an older call finishing late
	if err := d.s.FlushLastUses(ctx); err != nil {
		t.Fatal(err)
	}
	tok, err := d.s.TokenOf(ctx, d.users["mona"], id)
	if err != nil {
		t.Fatal(err)
	}
	if !tok.LastUsedAt.Equal(t1) {
		t.Errorf("last used %v, want %v", tok.LastUsedAt, t1)
	}
	// A later flush of an older time does not move it back, from this
	// store or from another on the same database (another instance, which
	// flushes its own).
	other := openTestAt(t, locationOf(t, d.s))
	for _, s := range []*Store{d.s, other} {
		s.TouchToken(id, t1.Add(-2*time.Hour))
		if err := s.FlushLastUses(ctx); err != nil {
			t.Fatal(err)
		}
		if tok, _ = d.s.TokenOf(ctx, d.users["mona"], id); !tok.LastUsedAt.Equal(t1) {
			t.Errorf("after an older flush: %v, want %v", tok.LastUsedAt, t1)
		}
	}
	// A token deleted before the flush is skipped, and the flush succeeds.
	d.s.TouchToken(id, t1.Add(time.Hour))
	if err := d.s.DeleteToken(ctx, d.users["mona"], id, tkDeleted); err != nil {
		t.Fatal(err)
	}
	if err := d.s.FlushLastUses(ctx); err != nil {
		t.Errorf("flush after deletion: %v", err)
	}
	// Flushing does not clear the cache: it changes nothing the API checks.
	gen := d.s.cache.access.n.Load()
	d.s.TouchToken(id, t1)
	_ = d.s.FlushLastUses(ctx)
	if d.s.cache.access.n.Load() != gen {
		t.Error("a flush of last uses invalidated the read cache")
	}
}

// Close writes down what is still in memory.
func TestCloseFlushesLastUses(t *testing.T) {
	ctx := context.Background()
	path := dbtest.Location(t)
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.SeedDemo(ctx, demoHash, tkCreated); err != nil {
		t.Fatal(err)
	}
	var tokenID, userID int64
	if err := s.read.QueryRow(`SELECT id, user_id FROM tokens LIMIT 1`).Scan(&tokenID, &userID); err != nil {
		t.Fatal(err)
	}
	t1 := time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC)
	s.TouchToken(tokenID, t1)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	tok, err := s.TokenOf(ctx, userID, tokenID)
	if err != nil {
		t.Fatal(err)
	}
	if !tok.LastUsedAt.Equal(t1) {
		t.Errorf("after Close and Open: last used %v, want %v", tok.LastUsedAt, t1)
	}
}

// An organization's member and repository lists outlive writes to tokens,
// grants and policies, and are read again after any other write.
func TestDirectoryListsOutliveAccessWrites(t *testing.T) {
	d := seededTest(t)
	ctx := context.Background()
	org := d.orgs["octo-org"]
	members, err := d.s.MembersOf(ctx, org)
	if err != nil {
		t.Fatal(err)
	}
	repos, err := d.s.ReposOf(ctx, org)
	if err != nil {
		t.Fatal(err)
	}
	// A token, its grant and a policy save: the same lists, not read again.
	newSecret(t, d, "directory")
	p, err := d.s.OrgPolicy(ctx, org)
	if err != nil {
		t.Fatal(err)
	}
	next := p.Own
	next.ClassicLifetime = 77
	if err := d.s.SaveOrgPolicy(ctx, org, d.users["octo-owner"], p.Version, next, nil, grApprovedAsOff); err != nil {
		t.Fatal(err)
	}
	again, _ := d.s.MembersOf(ctx, org)
	againRepos, _ := d.s.ReposOf(ctx, org)
	if &again[0] != &members[0] || &againRepos[0] != &repos[0] {
		t.Error("a token or policy write made the member and repository lists be read again")
	}

	// A write that may change them: both lists are read again and show it.
	if err := d.s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO memberships (org_id, user_id, role) VALUES (?, ?, 'member')`,
			org, d.users["ent-admin"]); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO repositories (org_id, name, private, created_at) VALUES (?, 'aaa-new', 1, '2026-01-01T00:00:00.000000Z')`, org)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	members, _ = d.s.MembersOf(ctx, org)
	repos, _ = d.s.ReposOf(ctx, org)
	if !slices.ContainsFunc(members, func(m Member) bool { return m.Login == "ent-admin" }) {
		t.Errorf("members after adding ent-admin: %v", members)
	}
	if len(repos) == 0 || repos[0].Name != "aaa-new" {
		t.Errorf("repositories after adding aaa-new: %v", repos)
	}
}

// A review ends only the cached grant status: the token's own row is not
// read again, yet the next check sees the new status. Deleting the token
// ends the row too.
func TestTokenRowsOutliveReviews(t *testing.T) {
	d := seededTest(t)
	ctx := context.Background()
	hash, id := newSecret(t, d, "rows")
	tok, err := d.s.TokenByHash(ctx, hash)
	if err != nil || tok.Credential.Grant != policy.GrantApproved {
		t.Fatalf("before: %+v, %v", tok, err)
	}
	rows := d.s.cache.tokenRows.n.Load()
	if _, err := d.s.Review(ctx, GrantReview{Follow: grReviewed, OrgID: d.orgs["octo-org"], ActorID: d.users["octo-owner"],
		IDs: []int64{tok.GrantID}, From: policy.GrantApproved, To: policy.GrantRevoked}); err != nil {
		t.Fatal(err)
	}
	if d.s.cache.tokenRows.n.Load() != rows {
		t.Error("a revocation set the cached token rows aside")
	}
	if tok, err = d.s.TokenByHash(ctx, hash); err != nil || tok.Credential.Grant != policy.GrantRevoked {
		t.Errorf("after the revocation: %v, %v; want revoked", tok.Credential.Grant, err)
	}
	// A classic token has no grant whose absence would give it away.
	classicID, secret := tkClassic(t, d, "mona", "rows", "repo")
	if _, err := d.s.TokenByHash(ctx, policy.HashToken(secret)); err != nil {
		t.Fatal(err)
	}
	for tokenID, h := range map[int64][]byte{id: hash, classicID: policy.HashToken(secret)} {
		if err := d.s.DeleteToken(ctx, d.users["mona"], tokenID, tkDeleted); err != nil {
			t.Fatal(err)
		}
		if _, err := d.s.TokenByHash(ctx, h); !errors.Is(err, ErrNotFound) {
			t.Errorf("token %d after deletion: %v, want ErrNotFound", tokenID, err)
		}
	}
}

// Cache keys fold case as the NOCASE columns compare: ASCII letters only.
// A Kelvin sign is not a "k" to SQLite, so it must not find "kube" in a
// cache either.
func TestCacheKeysFoldCaseLikeSQLite(t *testing.T) {
	if got := nocase("Octo-ORG"); got != "octo-org" {
		t.Errorf("nocase(Octo-ORG) = %q", got)
	}
	if got := nocase("\u212Aube"); got == "kube" {
		t.Error("nocase folds the Kelvin sign to k; SQLite's NOCASE does not")
	}
	d := seededTest(t)
	ctx := context.Background()
	for _, login := range []string{"octo-org", "OCTO-ORG", "Octo-Org"} {
		if org, err := d.s.OrgByLogin(ctx, login); err != nil || org.ID != d.orgs["octo-org"] {
			t.Errorf("OrgByLogin(%q) = %+v, %v", login, org, err)
		}
	}
}
