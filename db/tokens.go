package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"patpolicy/policy"
)

// ErrDuplicateName is returned when a user already has a fine-grained token
// of that name.
var ErrDuplicateName = errors.New("token name taken")

// ErrDuplicateNote is returned when a user already has a classic token with
// that note.
var ErrDuplicateNote = errors.New("token note taken")

// Repo is a repository.
type Repo struct {
	ID      int64
	OrgID   int64
	Name    string
	Private bool
	// CreatedAt is filled by ReposOf only.
	CreatedAt time.Time
}

// Token is a personal access token as its owner and the organization's
// owners see it. Status is its grant's status, "" when it has none
// (classic tokens and tokens owned by the user).
type Token struct {
	ID          int64
	UserID      int64
	OwnerLogin  string
	Kind        policy.Kind
	Name        string // the classic token's note
	Description string
	Prefix      string
	OrgID       int64 // 0: owned by the user
	OrgLogin    string
	Selection   policy.Selection
	Scopes      []string
	ExpiresAt   time.Time // zero: never
	CreatedAt   time.Time
	LastUsedAt  time.Time // zero: never used
	Grant       *Grant
	// Permissions and Repos are filled by the single-token readers.
	Permissions map[string]policy.Level
	Repos       []Repo
}

// Grant is a token's access to an organization.
type Grant struct {
	ID            int64
	Status        policy.GrantStatus
	Justification string
	Reason        string
	Reviewer      string
	CreatedAt     time.Time
	DecidedAt     time.Time
}

// NewToken is a checked token ready to store.
type NewToken struct {
	UserID int64
	Hash   []byte
	Prefix string
	// Kind decides which of the two requests is used.
	Kind        policy.Kind
	FineGrained policy.TokenRequest
	Classic     policy.ClassicRequest
	// OrgID is the fine-grained token's resource owner, 0 for the user.
	OrgID int64
	// OrgVersion is the version of the organization's policy the request
	// was checked against; a save since then makes the creation ErrStale.
	OrgVersion int
	// Follow decides what the new grant of a token for an organization
	// brings with it (nil: nothing).
	Follow Follow
}

// GrantChange is what the transaction of a change to a token knows of the
// token's grant, for the caller to decide what follows the change: a
// change the token's owner makes (creating, cancelling or deleting it), or
// an owner's review of the grant.
type GrantChange struct {
	TokenID int64
	GrantID int64
	OrgID   int64
	// UserID is the token's owner: who made the change, unless it is a
	// review.
	UserID  int64
	Subject policy.TokenSubject
	// Status is the new grant's status, the status of the grant being
	// withdrawn, or the status a review moved the grant to.
	Status policy.GrantStatus
	// ByOwner tells, for a new grant, whether its requester owns the
	// organization.
	ByOwner bool
	// Reason is a review's reason, "" for none.
	Reason string
	// Was is, for a change that may move the grant without a review (a
	// regeneration), the grant's status before it; "" otherwise.
	Was policy.GrantStatus
}

// FollowUp is what a change to a token brings with it, stored in the
// change's transaction: events in the organization's audit log, acted by
// who made the change, and notifications.
type FollowUp struct {
	Events  []policy.Event
	Notices []Notice
	// ByRule are events acted by a rule of the organization rather than by
	// a person: the audit log names policy.RuleActor as their actor.
	ByRule []policy.Event
	// Hooks are webhook events: each active hook of the organization
	// subscribed to one gets a delivery (see HookEvent).
	Hooks []HookEvent
}

// Follow decides, inside a change's transaction, what follows it.
type Follow func(GrantChange) FollowUp

// follow stores what f decides follows change c, which the token's owner
// made.
func (s *Store) follow(ctx context.Context, tx *sql.Tx, f Follow, c GrantChange) error {
	if f == nil {
		return nil
	}
	return s.writeFollowUp(ctx, tx, c.OrgID, c.UserID, f(c))
}

// writeFollowUp writes a follow-up of a change actorID made in an
// organization.
func (s *Store) writeFollowUp(ctx context.Context, tx *sql.Tx, orgID, actorID int64, up FollowUp) error {
	if err := s.deliver(ctx, tx, up.Notices); err != nil {
		return err
	}
	if err := s.enqueueHooks(ctx, tx, orgID, actorID, up.Hooks); err != nil {
		return err
	}
	if err := s.recordEvents(ctx, tx, "org_id", orgID, actorID, up.Events); err != nil {
		return err
	}
	return s.recordRuleEvents(ctx, tx, orgID, up.ByRule)
}

// ReposOf lists an organization's repositories by name. The list is shared
// between callers until a repository changes: it must not be modified.
func (s *Store) ReposOf(ctx context.Context, orgID int64) (_ []Repo, err error) {
	defer failed(&err, "repos of")
	return through(ctx, s, &s.cache.directory, s.cache.repos, orgID, func(ctx context.Context) ([]Repo, error) {
		return s.loadRepos(ctx, orgID)
	})
}

func (s *Store) loadRepos(ctx context.Context, orgID int64) ([]Repo, error) {
	rows, err := s.read.QueryContext(ctx,
		`SELECT id, org_id, name, private, created_at FROM repositories WHERE org_id = ? ORDER BY name`, orgID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Repo
	for rows.Next() {
		var r Repo
		var created string
		if err := rows.Scan(&r.ID, &r.OrgID, &r.Name, &r.Private, &created); err != nil {
			return nil, err
		}
		r.CreatedAt = parseTime(created)
		out = append(out, r)
	}
	return out, rows.Err()
}

// CreateToken stores a new token. A fine-grained token for an organization
// gets its grant in the status the request was checked into, with what
// nt.Follow decides follows it (audit events, notifications) in the same
// transaction.
func (s *Store) CreateToken(ctx context.Context, nt NewToken) (_ int64, err error) {
	defer failed(&err, "create token")
	var id int64
	err = s.accessTx(ctx, func(tx *sql.Tx) error {
		if nt.OrgID != 0 {
			var version int
			if err := tx.QueryRowContext(ctx, `SELECT version FROM org_policies WHERE org_id = ?`, nt.OrgID).Scan(&version); err != nil {
				return err
			}
			if version != nt.OrgVersion {
				return ErrStale
			}
		}
		var err error
		id, err = s.insertToken(ctx, tx, nt)
		return err
	})
	return id, err
}

// insertTokenSQL adds a token, or nothing when the user already has a
// fine-grained token of that name: the conflict target names the
// tokens_fine_grained_name index (its columns and its WHERE), so a row
// skipped (no id returned) means exactly that index refused it, and any
// other constraint still fails with its error. The database decides at the
// insert itself, so two creations of one name never both get through, in
// SQLite or in PostgreSQL, which accepts the same clause.
const insertTokenSQL = `INSERT INTO tokens (user_id, kind, name, description, hash, prefix, org_id, repository_selection, scopes, expires_at, created_at)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
	ON CONFLICT (user_id, name) WHERE kind = 'fine_grained' DO NOTHING
	RETURNING id`

// insertToken adds a token with its permissions, repositories and grant.
func (s *Store) insertToken(ctx context.Context, tx *sql.Tx, nt NewToken) (int64, error) {
	var id int64
	err := func() error {
		now := s.now().UTC()
		var expires any
		name, desc, selection, scopes, days := nt.Classic.Note, "", "", strings.Join(nt.Classic.Scopes, " "), nt.Classic.ExpiresInDays
		if nt.Kind == policy.KindFineGrained {
			r := nt.FineGrained
			name, desc, selection, scopes, days = r.Name, r.Description, string(r.Selection), "", r.ExpiresInDays
		}
		if at := policy.ExpiresAt(now, days); !at.IsZero() {
			expires = timestamp(at)
		}
		if nt.Kind == policy.KindClassic {
			// A note tells a user's classic tokens apart: no two alike. No
			// index says so, so it is checked here; that is race-free
			// because every write transaction begins IMMEDIATE on the one
			// writer connection: it holds the database's write lock from
			// its start, so no token can be added between the check and
			// the insert.
			var taken bool
			if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM tokens WHERE user_id = ? AND kind = 'classic' AND name = ?)`,
				nt.UserID, name).Scan(&taken); err != nil {
				return err
			}
			if taken {
				return ErrDuplicateNote
			}
		}
		var org any
		if nt.OrgID != 0 {
			org = nt.OrgID
		}
		err := tx.QueryRowContext(ctx, insertTokenSQL,
			nt.UserID, nt.Kind, name, desc, nt.Hash, nt.Prefix, org, selection, scopes, expires, timestamp(now)).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			// Only a conflict on the fine-grained name index skips the row.
			return ErrDuplicateName
		}
		if err != nil {
			return err
		}
		if nt.Kind != policy.KindFineGrained {
			return nil
		}
		for p, level := range nt.FineGrained.Permissions {
			if _, err := tx.ExecContext(ctx, `INSERT INTO token_permissions (token_id, name, level) VALUES (?, ?, ?)`, id, p, level); err != nil {
				return err
			}
		}
		for _, r := range nt.FineGrained.RepoIDs {
			if _, err := tx.ExecContext(ctx, `INSERT INTO token_repositories (token_id, repo_id) VALUES (?, ?)`, id, r); err != nil {
				return err
			}
		}
		if nt.OrgID == 0 {
			return nil
		}
		return s.insertGrant(ctx, tx, id, nt)
	}()
	return id, err
}

// insertGrant adds a new token's grant, its filter keys, and what nt's
// Follow decides follows it.
func (s *Store) insertGrant(ctx context.Context, tx *sql.Tx, tokenID int64, nt NewToken) error {
	r := nt.FineGrained
	now := timestamp(s.now())
	var decided any
	if r.Status == policy.GrantApproved {
		decided = now
	}
	var grantID int64
	if err := tx.QueryRowContext(ctx,
		`INSERT INTO grants (token_id, org_id, user_id, status, justification, created_at, decided_at)
		 VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		tokenID, nt.OrgID, nt.UserID, r.Status, r.Justification, now, decided).Scan(&grantID); err != nil {
		return err
	}
	for _, k := range grantKeys(nt.UserID, r) {
		if _, err := tx.ExecContext(ctx, `INSERT INTO grant_keys (org_id, status, key, grant_id) VALUES (?, ?, ?, ?)`,
			nt.OrgID, r.Status, k, grantID); err != nil {
			return err
		}
	}
	subject, err := tokenSubject(ctx, tx, grantID)
	if err != nil {
		return err
	}
	var isOwner bool
	if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM memberships WHERE org_id = ? AND user_id = ? AND role = 'owner')`,
		nt.OrgID, nt.UserID).Scan(&isOwner); err != nil {
		return err
	}
	return s.follow(ctx, tx, nt.Follow, GrantChange{TokenID: tokenID, GrantID: grantID, OrgID: nt.OrgID, UserID: nt.UserID,
		Subject: subject, Status: r.Status, ByOwner: isOwner})
}

// grantKeys are the filter keys of a new grant (see grant_keys).
func grantKeys(userID int64, r policy.TokenRequest) []string {
	keys := []string{ownerKey(userID)}
	switch r.Selection {
	case policy.SelectAll:
		keys = append(keys, "r:all")
	case policy.SelectPublic:
		keys = append(keys, "r:public")
	default:
		for _, id := range r.RepoIDs {
			keys = append(keys, repoKey(id))
		}
	}
	for p := range r.Permissions {
		keys = append(keys, permissionKey(p))
	}
	return keys
}

func ownerKey(id int64) string      { return fmt.Sprintf("u:%d", id) }
func repoKey(id int64) string       { return fmt.Sprintf("r:%d", id) }
func permissionKey(p string) string { return "p:" + p }

// tokenSubject names a grant's token for audit events and notifications.
func tokenSubject(ctx context.Context, q queryer, grantID int64) (policy.TokenSubject, error) {
	var t policy.TokenSubject
	err := q.QueryRowContext(ctx,
		`SELECT t.name, u.login, o.login FROM grants g
		 JOIN tokens t ON t.id = g.token_id JOIN users u ON u.id = g.user_id JOIN organizations o ON o.id = g.org_id
		 WHERE g.id = ?`, grantID).Scan(&t.Name, &t.Owner, &t.Org)
	return t, err
}

const tokenColumns = `t.id, t.user_id, u.login, t.kind, t.name, t.description, t.prefix, COALESCE(t.org_id, 0), COALESCE(o.login, ''),
	t.repository_selection, t.scopes, COALESCE(t.expires_at, ''), t.created_at, COALESCE(t.last_used_at, ''),
	COALESCE(g.id, 0), COALESCE(g.status, ''), COALESCE(g.justification, ''), COALESCE(g.reason, ''), COALESCE(r.login, ''),
	COALESCE(g.created_at, ''), COALESCE(g.decided_at, '')`

const tokenJoins = ` FROM tokens t JOIN users u ON u.id = t.user_id
	LEFT JOIN organizations o ON o.id = t.org_id
	LEFT JOIN grants g ON g.token_id = t.id
	LEFT JOIN users r ON r.id = g.reviewer_id`

func scanToken(row interface{ Scan(...any) error }) (Token, error) {
	var (
		t                                          Token
		g                                          Grant
		scopes, expires, created, used, gc, gd, st string
	)
	err := row.Scan(&t.ID, &t.UserID, &t.OwnerLogin, &t.Kind, &t.Name, &t.Description, &t.Prefix, &t.OrgID, &t.OrgLogin,
		&t.Selection, &scopes, &expires, &created, &used,
		&g.ID, &st, &g.Justification, &g.Reason, &g.Reviewer, &gc, &gd)
	if err != nil {
		return t, err
	}
	t.Scopes = strings.Fields(scopes)
	t.ExpiresAt, t.CreatedAt, t.LastUsedAt = parseExpiry(expires), parseTime(created), parseTime(used)
	if g.ID != 0 {
		g.Status, g.CreatedAt, g.DecidedAt = policy.GrantStatus(st), parseTime(gc), parseTime(gd)
		t.Grant = &g
	}
	return t, nil
}

// TokensOf lists a user's tokens of one kind, newest first: those older
// than the token before (0: from the newest), at most limit (0: all).
func (s *Store) TokensOf(ctx context.Context, userID int64, kind policy.Kind, before int64, limit int) (_ []Token, err error) {
	defer failed(&err, "tokens of")
	if before <= 0 {
		before = math.MaxInt64
	}
	if limit <= 0 {
		limit = math.MaxInt // no bound: PostgreSQL refuses SQLite's LIMIT -1
	}
	rows, err := s.read.QueryContext(ctx, `SELECT `+tokenColumns+tokenJoins+
		` WHERE t.user_id = ? AND t.kind = ? AND t.id < ? ORDER BY t.id DESC LIMIT ?`, userID, kind, before, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Token
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// TokenOf loads one of a user's tokens with its permissions and
// repositories; another user's token is ErrNotFound.
func (s *Store) TokenOf(ctx context.Context, userID, tokenID int64) (_ Token, err error) {
	defer failed(&err, "token of")
	t, err := scanToken(s.read.QueryRowContext(ctx, `SELECT `+tokenColumns+tokenJoins+` WHERE t.id = ? AND t.user_id = ?`, tokenID, userID))
	if errors.Is(err, sql.ErrNoRows) {
		return t, ErrNotFound
	}
	if err != nil {
		return t, err
	}
	return t, s.fillDetails(ctx, []*Token{&t})
}

// fillDetails loads the permissions and selected repositories of tokens.
func (s *Store) fillDetails(ctx context.Context, ts []*Token) error {
	if len(ts) == 0 {
		return nil
	}
	byID := make(map[int64]*Token, len(ts))
	ids := make([]any, 0, len(ts))
	for _, t := range ts {
		t.Permissions = map[string]policy.Level{}
		byID[t.ID] = t
		ids = append(ids, t.ID)
	}
	in := placeholders(len(ids))
	rows, err := s.read.QueryContext(ctx, `SELECT token_id, name, level FROM token_permissions WHERE token_id IN (`+in+`)`, ids...)
	if err != nil {
		return err
	}
	for rows.Next() {
		var id int64
		var name string
		var level policy.Level
		if err := rows.Scan(&id, &name, &level); err != nil {
			rows.Close()
			return err
		}
		byID[id].Permissions[name] = level
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	rows, err = s.read.QueryContext(ctx,
		`SELECT tr.token_id, r.id, r.org_id, r.name, r.private FROM token_repositories tr
		 JOIN repositories r ON r.id = tr.repo_id WHERE tr.token_id IN (`+in+`) ORDER BY r.name`, ids...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var r Repo
		if err := rows.Scan(&id, &r.ID, &r.OrgID, &r.Name, &r.Private); err != nil {
			return err
		}
		byID[id].Repos = append(byID[id].Repos, r)
	}
	return rows.Err()
}

// DeleteToken deletes one of a user's tokens. If it had access to an
// organization, or was waiting for it, what follow decides follows the
// withdrawal of its grant is stored in the same transaction.
func (s *Store) DeleteToken(ctx context.Context, userID, tokenID int64, follow Follow) (err error) {
	defer failed(&err, "delete token")
	return s.writeTx(ctx, changesAccess|changesTokenRows, func(tx *sql.Tx) error {
		var grantID, orgID int64
		var status string
		err := tx.QueryRowContext(ctx,
			`SELECT COALESCE(g.id, 0), COALESCE(g.org_id, 0), COALESCE(g.status, '') FROM tokens t
			 LEFT JOIN grants g ON g.token_id = t.id WHERE t.id = ? AND t.user_id = ?`, tokenID, userID).Scan(&grantID, &orgID, &status)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		if grantID != 0 {
			if err := s.withdrawGrant(ctx, tx, follow, GrantChange{TokenID: tokenID, GrantID: grantID, OrgID: orgID, UserID: userID,
				Status: policy.GrantStatus(status)}); err != nil {
				return err
			}
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM tokens WHERE id = ?`, tokenID)
		return err
	})
}

// ErrNotPending is returned when a request is no longer waiting.
var ErrNotPending = errors.New("request is no longer pending")

// CancelRequest withdraws a user's pending request: the token, useless
// without it, goes too, with what follow decides follows the cancel, in the
// same transaction.
func (s *Store) CancelRequest(ctx context.Context, userID, tokenID int64, follow Follow) (err error) {
	defer failed(&err, "cancel request")
	return s.writeTx(ctx, changesAccess|changesTokenRows, func(tx *sql.Tx) error {
		var grantID, orgID int64
		var status string
		err := tx.QueryRowContext(ctx,
			`SELECT g.id, g.org_id, g.status FROM grants g WHERE g.token_id = ? AND g.user_id = ?`, tokenID, userID).
			Scan(&grantID, &orgID, &status)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		if policy.GrantStatus(status) != policy.GrantPending {
			return ErrNotPending
		}
		if err := s.withdrawGrant(ctx, tx, follow, GrantChange{TokenID: tokenID, GrantID: grantID, OrgID: orgID, UserID: userID,
			Status: policy.GrantPending}); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM tokens WHERE id = ?`, tokenID)
		return err
	})
}

// withdrawGrant stores what follows the withdrawal of c's grant, whose
// token is being deleted, and remembers the grant.
func (s *Store) withdrawGrant(ctx context.Context, tx *sql.Tx, follow Follow, c GrantChange) error {
	var err error
	if c.Subject, err = tokenSubject(ctx, tx, c.GrantID); err != nil {
		return err
	}
	if err := s.follow(ctx, tx, follow, c); err != nil {
		return err
	}
	return s.withdraw(ctx, tx, c.GrantID, c.OrgID, c.Subject, c.Status)
}

// withdraw remembers a grant whose token is being deleted, what it was and
// in which status.
func (s *Store) withdraw(ctx context.Context, tx *sql.Tx, grantID, orgID int64, t policy.TokenSubject, status policy.GrantStatus) error {
	_, err := tx.ExecContext(ctx,
		`INSERT INTO withdrawn_grants (grant_id, org_id, name, owner_login, status, withdrawn_at) VALUES (?, ?, ?, ?, ?, ?)`,
		grantID, orgID, t.Name, t.Owner, status, timestamp(s.now()))
	return err
}

// Withdrawal is a grant whose token its owner deleted: a request cancelled
// (Status pending) or an approved token deleted.
type Withdrawal struct {
	Name   string
	Owner  string
	Status policy.GrantStatus
	At     time.Time
}

// WithdrawalOf tells what an organization's withdrawn grant was, or
// ErrNotFound when the grant was never withdrawn.
func (s *Store) WithdrawalOf(ctx context.Context, orgID, grantID int64) (_ Withdrawal, err error) {
	defer failed(&err, "withdrawal of")
	var w Withdrawal
	var at string
	err = s.read.QueryRowContext(ctx,
		`SELECT name, owner_login, status, withdrawn_at FROM withdrawn_grants WHERE grant_id = ? AND org_id = ?`,
		grantID, orgID).Scan(&w.Name, &w.Owner, &w.Status, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return w, ErrNotFound
	}
	w.At = parseTime(at)
	return w, err
}

// Withdrawn reports whether an organization's grant existed and its token
// was deleted since (a request cancelled, a token deleted by its owner).
func (s *Store) Withdrawn(ctx context.Context, orgID, grantID int64) (_ bool, err error) {
	defer failed(&err, "is withdrawn")
	var ok bool
	err = s.read.QueryRowContext(ctx,
		`SELECT EXISTS (SELECT 1 FROM withdrawn_grants WHERE grant_id = ? AND org_id = ?)`, grantID, orgID).Scan(&ok)
	return ok, err
}

// TokenTargets lists, for a new fine-grained token, the organizations a
// user belongs to with what the rules need: their policy in force, the
// user's role, their repositories and the policy version.
func (s *Store) TokenTargets(ctx context.Context, userID int64) (_ []Target, err error) {
	defer failed(&err, "token targets")
	ms, err := s.MembershipsOf(ctx, userID)
	if err != nil {
		return nil, err
	}
	out := make([]Target, 0, len(ms))
	for _, m := range ms {
		p, err := s.OrgPolicy(ctx, m.Org.ID)
		if err != nil {
			return nil, err
		}
		repos, err := s.ReposOf(ctx, m.Org.ID)
		if err != nil {
			return nil, err
		}
		t := Target{OrgID: m.Org.ID, Version: p.Version, Repos: repos, AutoApproval: p.AutoApproval, Rules: policy.TokenTarget{
			Login: m.Org.Login, Effective: p.Effective(), IsOwner: m.Role == RoleOwner, Repos: map[int64]string{},
		}}
		for _, r := range repos {
			t.Rules.Repos[r.ID] = r.Name
		}
		out = append(out, t)
	}
	return out, nil
}

// Target is an organization a user may request a token for.
type Target struct {
	OrgID   int64
	Version int
	Repos   []Repo
	Rules   policy.TokenTarget
	// AutoApproval is the organization's rule approving requests at
	// creation (in force only where approval is required).
	AutoApproval policy.AutoApproval
}

// NewSecret is a token given a new secret by its owner, checked.
type NewSecret struct {
	UserID  int64
	TokenID int64
	Hash    []byte
	Prefix  string
	// ExpiresInDays counts from now, as for a new token (0: never).
	ExpiresInDays int
	// OrgID and OrgVersion are the fine-grained token's organization and
	// the version of its policy the regeneration was checked against; a
	// save since then makes it ErrStale.
	OrgID      int64
	OrgVersion int
	// NeedsApproval says the organization asks its owners to approve this
	// user's requests: the grant's new status is policy.Regranted of its
	// status in the transaction.
	NeedsApproval bool
	// Follow decides what follows, once for each organization whose audit
	// log records it (the grant's; a classic token's owner's
	// organizations).
	Follow Follow
}

// RegenerateToken replaces one of a user's tokens' secret, its expiry and
// its creation time (its lifetime counts from now), keeping everything
// else, in one transaction: the old secret is refused from the moment it
// commits, in every process. A grant that the owners must approve again
// goes back to pending, as a new request. ErrNotFound: no such token of the
// user's (deleted meanwhile).
func (s *Store) RegenerateToken(ctx context.Context, ns NewSecret) (status policy.GrantStatus, err error) {
	defer failed(&err, "regenerate token")
	err = s.writeTx(ctx, changesAccess|changesTokenRows, func(tx *sql.Tx) error {
		var (
			kind           policy.Kind
			name, was      string
			grantID, orgID int64
			version        int
		)
		err := tx.QueryRowContext(ctx,
			`SELECT t.kind, t.name, COALESCE(g.id, 0), COALESCE(g.status, ''), COALESCE(t.org_id, 0), COALESCE(p.version, 0)
			 FROM tokens t LEFT JOIN grants g ON g.token_id = t.id LEFT JOIN org_policies p ON p.org_id = t.org_id
			 WHERE t.id = ? AND t.user_id = ?`, ns.TokenID, ns.UserID).Scan(&kind, &name, &grantID, &was, &orgID, &version)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		if orgID != ns.OrgID || (orgID != 0 && version != ns.OrgVersion) {
			return ErrStale
		}
		now := s.now().UTC()
		var expires any
		if at := policy.ExpiresAt(now, ns.ExpiresInDays); !at.IsZero() {
			expires = timestamp(at)
		}
		if _, err := tx.ExecContext(ctx,
			`UPDATE tokens SET hash = ?, prefix = ?, expires_at = ?, created_at = ?, last_used_at = NULL WHERE id = ?`,
			ns.Hash, ns.Prefix, expires, timestamp(now), ns.TokenID); err != nil {
			return err
		}
		status = policy.GrantStatus(was)
		c := GrantChange{TokenID: ns.TokenID, GrantID: grantID, UserID: ns.UserID, Status: status, Was: status}
		if grantID != 0 {
			c.Status = policy.Regranted(status, ns.NeedsApproval)
			if c.Status != status {
				if err := regrant(ctx, tx, grantID, c.Status, now); err != nil {
					return err
				}
			}
			status = c.Status
			c.OrgID = orgID
			if c.Subject, err = tokenSubject(ctx, tx, grantID); err != nil {
				return err
			}
			return s.follow(ctx, tx, ns.Follow, c)
		}
		if kind != policy.KindClassic {
			return nil
		}
		var owner string
		if err := tx.QueryRowContext(ctx, `SELECT login FROM users WHERE id = ?`, ns.UserID).Scan(&owner); err != nil {
			return err
		}
		orgs, err := userOrgs(ctx, tx, ns.UserID)
		if err != nil {
			return err
		}
		for _, o := range orgs {
			c.OrgID, c.Subject = o.ID, policy.TokenSubject{Name: name, Owner: owner, Org: o.Login}
			if err := s.follow(ctx, tx, ns.Follow, c); err != nil {
				return err
			}
		}
		return nil
	})
	return status, err
}

// regrant moves a grant to status to without a review (a regenerated
// token's request made again): it is a new request from now.
func regrant(ctx context.Context, tx *sql.Tx, grantID int64, to policy.GrantStatus, now time.Time) error {
	if _, err := tx.ExecContext(ctx,
		`UPDATE grants SET status = ?, created_at = ?, decided_at = NULL, reviewer_id = NULL, reason = '' WHERE id = ?`,
		to, timestamp(now), grantID); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `UPDATE grant_keys SET status = ? WHERE grant_id = ?`, to, grantID)
	return err
}

// userOrgs lists the organizations a user belongs to, by login.
func userOrgs(ctx context.Context, q queryer, userID int64) ([]Org, error) {
	rows, err := q.QueryContext(ctx,
		`SELECT o.id, o.login FROM memberships m JOIN organizations o ON o.id = m.org_id WHERE m.user_id = ? ORDER BY o.login`, userID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Org
	for rows.Next() {
		var o Org
		if err := rows.Scan(&o.ID, &o.Login); err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, rows.Err()
}
