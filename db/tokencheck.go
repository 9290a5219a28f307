package db

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"patpolicy/policy"
)

// APIToken is a token as an API call presents it: who owns it and what the
// access rules need to know about it.
type APIToken struct {
	ID         int64
	UserID     int64
	UserLogin  string
	OrgID      int64 // a fine-grained token's organization, 0 otherwise
	GrantID    int64 // 0 without a grant
	Credential policy.Credential
}

// OrgAccess is what deciding a call to an organization's resources needs:
// the organization, its policy in force and its repositories.
type OrgAccess struct {
	Org       Org
	Version   int
	Effective policy.Effective
	// Repos holds the repositories by name, folded by nocase; List holds
	// them in name order.
	Repos map[string]Repo
	List  []Repo
}

// Repo finds a repository by name, in any case.
func (a OrgAccess) Repo(name string) (Repo, bool) {
	r, ok := a.Repos[nocase(name)]
	return r, ok
}

const (
	// changesAccess: grants, policies, notifications, new tokens.
	changesAccess cacheScope = 1 << iota
	// changesTokenRows: deleted tokens.
	changesTokenRows
	// changesSessions: sessions started or ended.
	changesSessions
	// changesIssues: issues created.
	changesIssues
	// changesDirectory: users, organizations, memberships, repositories.
	// Everything under access, tokenRows and sessions depends on them too.
	changesDirectory

	// changesNothingCached: session touches, last uses, SSH keys.
	changesNothingCached cacheScope = 0
	// changesEverything is the default of inTx.
	changesEverything = changesAccess | changesTokenRows | changesSessions | changesIssues | changesDirectory
)

// TokenByHash finds the token whose SHA-256 hash is hash: ErrNotFound when
// there is none (never issued, or deleted). The token is cached until
// tokens' rows change; its grant (which one, and its status) until the
// next approval, denial, revocation or policy change: after those, only
// the grant is read again.
func (s *Store) TokenByHash(ctx context.Context, hash []byte) (_ APIToken, err error) {
	defer failed(&err, "token by hash")
	t, err := through(ctx, s, &s.cache.tokenRows, s.cache.tokens, string(hash), func(ctx context.Context) (APIToken, error) {
		return s.loadAPIToken(ctx, hash)
	})
	if err != nil || t.OrgID == 0 {
		return t, err
	}
	g, err := through(ctx, s, &s.cache.access, s.cache.grants, t.ID, func(ctx context.Context) (grantRef, error) {
		var g grantRef
		err := s.read.QueryRowContext(ctx, grantOfTokenQuery, t.ID).Scan(&g.id, &g.status)
		if errors.Is(err, sql.ErrNoRows) {
			// A grant goes only with its token: the token was deleted
			// since it was read.
			return g, ErrNotFound
		}
		return g, err
	})
	if err != nil {
		return APIToken{}, err
	}
	t.GrantID, t.Credential.Grant = g.id, g.status
	return t, nil
}

// grantRef is a token's grant as the cache keeps it: 0 and "" for none.
type grantRef struct {
	id     int64
	status policy.GrantStatus
}

// The queries of an API call's token: each a point lookup by index.
const (
	apiTokenQuery = `SELECT t.id, t.user_id, u.login, t.kind, COALESCE(t.org_id, 0), COALESCE(o.login, ''),
	        t.repository_selection, t.scopes, COALESCE(t.expires_at, ''), t.created_at
	 FROM tokens t JOIN users u ON u.id = t.user_id
	 LEFT JOIN organizations o ON o.id = t.org_id
	 WHERE t.hash = ?`
	apiTokenPermissionsQuery = `SELECT name, level FROM token_permissions WHERE token_id = ?`
	apiTokenReposQuery       = `SELECT repo_id FROM token_repositories WHERE token_id = ? ORDER BY repo_id`
	grantOfTokenQuery        = `SELECT id, status FROM grants WHERE token_id = ?`
)

// loadAPIToken reads a token, its permissions and its repositories from
// one snapshot, so that a token deleted meanwhile is never half read.
func (s *Store) loadAPIToken(ctx context.Context, hash []byte) (APIToken, error) {
	var t APIToken
	err := s.readTx(ctx, func(tx *sql.Tx) error {
		var err error
		t, err = loadAPIToken(ctx, tx, hash)
		return err
	})
	return t, err
}

func loadAPIToken(ctx context.Context, tx *sql.Tx, hash []byte) (APIToken, error) {
	var (
		t                        APIToken
		c                        = &t.Credential
		scopes, expires, created string
	)
	err := tx.QueryRowContext(ctx, apiTokenQuery, hash).Scan(
		&t.ID, &t.UserID, &t.UserLogin, &c.Kind, &t.OrgID, &c.OrgLogin,
		&c.Selection, &scopes, &expires, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return t, ErrNotFound
	}
	if err != nil {
		return t, err
	}
	c.Scopes = strings.Fields(scopes)
	c.ExpiresAt, c.CreatedAt = parseExpiry(expires), parseTime(created)
	if c.Kind != policy.KindFineGrained {
		return t, nil
	}
	c.Permissions = map[string]policy.Level{}
	rows, err := tx.QueryContext(ctx, apiTokenPermissionsQuery, t.ID)
	if err != nil {
		return t, err
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		var level policy.Level
		if err := rows.Scan(&name, &level); err != nil {
			return t, err
		}
		c.Permissions[name] = level
	}
	if err := rows.Err(); err != nil {
		return t, err
	}
	if c.Selection == policy.SelectSelected {
		if c.RepoIDs, err = int64s(ctx, tx, apiTokenReposQuery, t.ID); err != nil {
			return t, err
		}
	}
	return t, nil
}

// OrgAccessOf loads an organization by login with its policy in force and
// its repositories: ErrNotFound when there is no such organization.
func (s *Store) OrgAccessOf(ctx context.Context, login string) (_ OrgAccess, err error) {
	defer failed(&err, "org access of")
	return through(ctx, s, &s.cache.access, s.cache.orgs, nocase(login), func(ctx context.Context) (OrgAccess, error) {
		var a OrgAccess
		org, err := s.OrgByLogin(ctx, login)
		if err != nil {
			return a, err
		}
		p, err := s.OrgPolicy(ctx, org.ID)
		if err != nil {
			return a, err
		}
		repos, err := s.ReposOf(ctx, org.ID)
		if err != nil {
			return a, err
		}
		a = OrgAccess{Org: org, Version: p.Version, Effective: p.Effective(), Repos: make(map[string]Repo, len(repos)), List: repos}
		for _, r := range repos {
			a.Repos[nocase(r.Name)] = r
		}
		return a, nil
	})
}

// MembershipOf tells where a user stands in an organization.
func (s *Store) MembershipOf(ctx context.Context, orgID, userID int64) (_ policy.Membership, err error) {
	defer failed(&err, "membership of")
	role, err := s.RoleIn(ctx, orgID, userID)
	switch role {
	case RoleOwner:
		return policy.Owner, err
	case RoleMember:
		return policy.Member, err
	}
	return policy.NotMember, err
}

// lastUses collects when tokens were last used, so that API calls record
// it in memory and a flush writes them all at once.
type lastUses struct {
	mu   sync.Mutex
	seen map[int64]time.Time
	// in holds classic tokens' last uses per organization reached.
	in map[tokenInOrg]time.Time
}

// tokenInOrg is a token in an organization it reached.
type tokenInOrg struct{ token, org int64 }

func newLastUses() *lastUses {
	return &lastUses{seen: map[int64]time.Time{}, in: map[tokenInOrg]time.Time{}}
}

// TouchToken notes that a token was used at t; FlushLastUses stores it.
func (s *Store) TouchToken(tokenID int64, t time.Time) {
	s.uses.mu.Lock()
	if t.After(s.uses.seen[tokenID]) {
		s.uses.seen[tokenID] = t
	}
	s.uses.mu.Unlock()
}

// TouchTokenIn notes that a classic token's call at t reached the
// organization orgID: such a token reaches every organization of its
// owner, so the token inventory shows its last use in each. (A
// fine-grained token reaches one organization, and its own last use is
// that one's.) FlushLastUses stores it.
func (s *Store) TouchTokenIn(tokenID, orgID int64, t time.Time) {
	k := tokenInOrg{tokenID, orgID}
	s.uses.mu.Lock()
	if t.After(s.uses.in[k]) {
		s.uses.in[k] = t
	}
	s.uses.mu.Unlock()
}

// FlushLastUses writes the last uses noted since the previous flush in one
// transaction. Tokens deleted meanwhile are skipped; an older time never
// replaces a newer one.
func (s *Store) FlushLastUses(ctx context.Context) (err error) {
	defer failed(&err, "flush last uses")
	s.uses.mu.Lock()
	seen, in := s.uses.seen, s.uses.in
	s.uses.seen, s.uses.in = map[int64]time.Time{}, map[tokenInOrg]time.Time{}
	s.uses.mu.Unlock()
	if len(seen) == 0 && len(in) == 0 {
		return nil
	}
	ids := make([]int64, 0, len(seen))
	for id := range seen {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	// No cached read holds a last use: the caches stay valid.
	err = s.writeTx(ctx, changesNothingCached, func(tx *sql.Tx) error {
		stmt, err := tx.PrepareContext(ctx,
			`UPDATE tokens SET last_used_at = ?1 WHERE id = ?2 AND (last_used_at IS NULL OR last_used_at < ?1)`)
		if err != nil {
			return err
		}
		defer stmt.Close()
		for _, id := range ids {
			if _, err := stmt.ExecContext(ctx, timestamp(seen[id]), id); err != nil {
				return err
			}
		}
		return flushUsesIn(ctx, tx, in)
	})
	if err != nil {
		// Put them back for the next flush.
		for id, t := range seen {
			s.TouchToken(id, t)
		}
		for k, t := range in {
			s.TouchTokenIn(k.token, k.org, t)
		}
	}
	return err
}

// flushUsesIn stores classic tokens' last uses per organization, in key
// order; a token or organization deleted meanwhile is skipped.
func flushUsesIn(ctx context.Context, tx *sql.Tx, in map[tokenInOrg]time.Time) error {
	if len(in) == 0 {
		return nil
	}
	keys := slices.SortedFunc(maps.Keys(in), func(a, b tokenInOrg) int {
		return cmp.Or(cmp.Compare(a.token, b.token), cmp.Compare(a.org, b.org))
	})
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO token_org_uses (token_id, org_id, last_used_at)
		 SELECT CAST(?1 AS BIGINT), CAST(?2 AS BIGINT), CAST(?3 AS TEXT) WHERE EXISTS (SELECT 1 FROM tokens WHERE id = ?1)
		   AND EXISTS (SELECT 1 FROM organizations WHERE id = ?2)
		 ON CONFLICT (token_id, org_id) DO UPDATE SET last_used_at = excluded.last_used_at
		 WHERE token_org_uses.last_used_at < excluded.last_used_at`)
	if err != nil {
		return err
	}
	defer stmt.Close()
	for _, k := range keys {
		if _, err := stmt.ExecContext(ctx, k.token, k.org, timestamp(in[k])); err != nil {
			return err
		}
	}
	return nil
}

// RecordLastUses flushes the noted last uses every interval until ctx ends,
// then once more.
func (s *Store) RecordLastUses(ctx context.Context, interval time.Duration, onError func(error)) {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			if err := s.FlushLastUses(context.WithoutCancel(ctx)); err != nil {
				onError(err)
			}
			return
		case <-tick.C:
			if err := s.FlushLastUses(ctx); err != nil {
				onError(err)
			}
		}
	}
}
