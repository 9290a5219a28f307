package db

import (
	"context"
	"database/sql"
	"errors"
	"math"
	"slices"
	"strings"
	"time"

	"patpolicy/policy"
)

// The REST API's page sizes (product.md §6): handlers validate per_page;
// the store only keeps a bad value from reaching SQL.
const (
	apiDefaultPerPage = 30
	apiMaxPerPage     = 100
)

// pageWindow turns a 1-based page number and a page size into LIMIT and
// OFFSET. ok is false for a page so far out that its offset would not fit:
// it holds no rows.
func pageWindow(page, perPage int) (limit, offset int, ok bool) {
	if perPage <= 0 {
		perPage = apiDefaultPerPage
	}
	perPage = min(perPage, apiMaxPerPage)
	page = max(page, 1)
	if page-1 > math.MaxInt64/perPage {
		return perPage, 0, false
	}
	return perPage, (page - 1) * perPage, true
}

// readConsistent runs fn in a read transaction on the reader pool, so that
// a page and its total come from one snapshot of the database.
func (s *Store) readConsistent(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.read.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	return fn(tx)
}

// APIGrantQuery selects a page of an organization's grants for the REST API (GitHub's filters, page numbers).
type APIGrantQuery struct {
	OrgID          int64
	Status         policy.GrantStatus // pending (requests) or approved (tokens)
	OwnerIDs       []int64            // any of these owners; empty: any
	RepoID         int64              // 0: any; same semantics as GrantQuery.RepoID (selected, all, public for a public repo)
	Permission     string             // "": any
	LastUsedBefore time.Time          // zero: no bound; token's last_used_at < this
	LastUsedAfter  time.Time          // zero: no bound; token's last_used_at > this
	TokenIDs       []int64            // any of these token ids; empty: any
	Ascending      bool               // sort by created_at (= grant id order); default newest first
	Page, PerPage  int                // 1-based page; PerPage 1..100
}

// apiDriver is what a listing walks; every other filter is checked on each
// row it walks.
type apiDriver int

const (
	// driveWalk walks grants_by_org_status: the organization's grants in
	// the status, in id order.
	driveWalk apiDriver = iota
	// driveKey walks one range of grant_keys' primary key (one owner or one
	// permission), in grant id order.
	driveKey
	// driveTokens looks up the grants of the given tokens and sorts them:
	// no more rows than token ids.
	driveTokens
)

// apiPlan is how a listing is answered.
type apiPlan struct {
	driver apiDriver
	key    string     // driveKey's key
	sets   [][]string // key filters checked with EXISTS: a grant holds a key of each set
	tokens []int64    // driveTokens' token ids, sorted, without repeats
	// before and after are the last-use bounds as stored ("" for none).
	before, after string
}

// unfiltered says whether the plan lists every grant in the status, whose
// number grant_counts keeps.
func (p apiPlan) unfiltered() bool {
	return p.driver == driveWalk && len(p.sets) == 0 && p.before == "" && p.after == ""
}

// planAPIGrants checks the query's repository (ErrNotFound when it is not
// one of the organization's) and picks what the listing walks: the given
// tokens when there are any; else the smallest single-key filter (one owner,
// a permission), whose grant_keys range is always a part of the
// organization's grants; else the organization's grants in the status.
func (s *Store) planAPIGrants(ctx context.Context, q APIGrantQuery) (apiPlan, error) {
	sets, err := s.filterKeys(ctx, GrantQuery{OrgID: q.OrgID, Status: q.Status, RepoID: q.RepoID, Permission: q.Permission})
	if err != nil {
		return apiPlan{}, err
	}
	if len(q.OwnerIDs) > 0 {
		owners := slices.Clone(q.OwnerIDs)
		slices.Sort(owners)
		var set []string
		for _, id := range slices.Compact(owners) {
			set = append(set, ownerKey(id))
		}
		sets = append(sets, set)
	}
	p := apiPlan{}
	if !q.LastUsedBefore.IsZero() {
		// Stored times are whole microseconds: last_used_at < t exactly
		// when it is below t rounded up to the next microsecond.
		b := q.LastUsedBefore.Truncate(time.Microsecond)
		if !b.Equal(q.LastUsedBefore) {
			b = b.Add(time.Microsecond)
		}
		p.before = timestamp(b)
	}
	if !q.LastUsedAfter.IsZero() {
		p.after = timestamp(q.LastUsedAfter.Truncate(time.Microsecond))
	}
	if len(q.TokenIDs) > 0 {
		p.driver, p.sets = driveTokens, sets
		p.tokens = slices.Clone(q.TokenIDs)
		slices.Sort(p.tokens)
		p.tokens = slices.Compact(p.tokens)
		return p, nil
	}
	var single []int // indexes of the sets of one key
	for i, set := range sets {
		if len(set) == 1 {
			single = append(single, i)
		}
	}
	if len(single) == 0 {
		p.driver, p.sets = driveWalk, sets
		return p, nil
	}
	candidates := make([][]string, len(single))
	for i, si := range single {
		candidates[i] = sets[si]
	}
	best, err := s.pickDriver(ctx, GrantQuery{OrgID: q.OrgID, Status: q.Status}, candidates)
	if err != nil {
		return apiPlan{}, err
	}
	driver := single[best]
	p.driver, p.key = driveKey, sets[driver][0]
	p.sets = slices.Delete(slices.Clone(sets), driver, driver+1)
	return p, nil
}

// apiGrantsSQL builds the listing's query: the page of grant ids (limit,
// offset) in the query's order, or, with count, the number of every
// matching grant.
func apiGrantsSQL(q APIGrantQuery, p apiPlan, count bool, limit, offset int) (string, []any) {
	var b strings.Builder
	var args []any
	id := "g.id"
	b.WriteString("SELECT ")
	switch p.driver {
	case driveKey:
		id = "k.grant_id"
		if count {
			b.WriteString("count(*)")
		} else {
			b.WriteString(id)
		}
		b.WriteString(" FROM grant_keys k")
		if p.before != "" || p.after != "" {
			b.WriteString(" JOIN grants g ON g.id = k.grant_id")
		}
		b.WriteString(" WHERE k.org_id = ? AND k.status = ? AND k.key = ?")
		args = append(args, q.OrgID, q.Status, p.key)
	case driveTokens:
		if count {
			b.WriteString("count(*)")
		} else {
			b.WriteString(id)
		}
		// The "+" keeps SQLite from walking the organization's grants in
		// id order, instead of looking up the few tokens, to save a sort.
		b.WriteString(" FROM grants g WHERE g.token_id IN (" + placeholders(len(p.tokens)) + ") AND +g.org_id = ? AND +g.status = ?")
		for _, t := range p.tokens {
			args = append(args, t)
		}
		args = append(args, q.OrgID, q.Status)
	default:
		if count {
			b.WriteString("count(*)")
		} else {
			b.WriteString(id)
		}
		b.WriteString(" FROM grants g INDEXED BY grants_by_org_status WHERE g.org_id = ? AND g.status = ?")
		args = append(args, q.OrgID, q.Status)
	}
	for _, set := range p.sets {
		b.WriteString(" AND EXISTS (SELECT 1 FROM grant_keys o WHERE o.org_id = ? AND o.status = ? AND o.key IN (" +
			placeholders(len(set)) + ") AND o.grant_id = " + id + ")")
		args = append(args, q.OrgID, q.Status)
		for _, k := range set {
			args = append(args, k)
		}
	}
	if p.before != "" || p.after != "" {
		b.WriteString(" AND EXISTS (SELECT 1 FROM tokens t WHERE t.id = g.token_id")
		if p.before != "" {
			b.WriteString(" AND t.last_used_at < ?")
			args = append(args, p.before)
		}
		if p.after != "" {
			b.WriteString(" AND t.last_used_at > ?")
			args = append(args, p.after)
		}
		b.WriteString(")")
	}
	if count {
		return b.String(), args
	}
	if q.Ascending {
		b.WriteString(" ORDER BY " + id + " ASC")
	} else {
		b.WriteString(" ORDER BY " + id + " DESC")
	}
	b.WriteString(" LIMIT ? OFFSET ?")
	return b.String(), append(args, limit, offset)
}

// ListAPIGrants lists a page of an organization's grants with the number of
// all that match, for the REST API's Link header. Grant ids follow creation
// order, so the order by id is GitHub's sort=created_at. A token never used
// matches neither last-use bound. The tokens come with Grant, Permissions
// and Repos filled. ErrNotFound when RepoID is not a repository of the
// organization.
func (s *Store) ListAPIGrants(ctx context.Context, q APIGrantQuery) (tokens []Token, total int, err error) {
	limit, offset, inRange := pageWindow(q.Page, q.PerPage)
	p, err := s.planAPIGrants(ctx, q)
	if err != nil {
		return nil, 0, err
	}
	var ids []int64
	err = s.readConsistent(ctx, func(tx *sql.Tx) error {
		if p.unfiltered() {
			if err := tx.QueryRowContext(ctx, countGrantsQuery, q.OrgID, q.Status).Scan(&total); err != nil {
				return err
			}
		} else {
			query, args := apiGrantsSQL(q, p, true, 0, 0)
			if err := tx.QueryRowContext(ctx, query, args...).Scan(&total); err != nil {
				return err
			}
		}
		if !inRange || offset >= total {
			return nil
		}
		query, args := apiGrantsSQL(q, p, false, limit, offset)
		var err error
		ids, err = int64s(ctx, tx, query, args...)
		return err
	})
	if err != nil {
		return nil, 0, err
	}
	tokens, err = s.grantsByID(ctx, q.OrgID, ids)
	return tokens, total, err
}

// countGrantsQuery reads grant_counts, as CountGrants does.
const countGrantsQuery = `SELECT COALESCE((SELECT n FROM grant_counts WHERE org_id = ? AND status = ?), 0)`

// Issue is an issue created through the REST API.
type Issue struct {
	ID, RepoID, Number, UserID, TokenID int64 // TokenID 0 once the token is gone
	UserLogin, Title, Body              string
	CreatedAt                           time.Time
	Labels                              []Label
	Assignees                           []Member
}

// Label is a repository's label.
type Label struct {
	ID          int64
	Name, Color string
	Description *string
}

// NewIssue is an issue to create: its labels (by id, or by name, made when
// the repository has none of that name) and its assignees by login (those
// who are not members of the repository's organization are left out).
type NewIssue struct {
	RepoID, UserID, TokenID int64 // TokenID 0: made without a token
	Title, Body             string
	Labels                  []NewLabel
	Assignees               []string
}

// NewLabel names a label by ID, or by Name with the color and description
// it gets if it is new.
type NewLabel struct {
	ID          int64
	Name, Color string
	Description *string
}

// ErrUnknownLabel is a label id that names no label of the repository.
var ErrUnknownLabel = errors.New("db: no such label in the repository")

// nextIssueSQL stores an issue with the next number of its repository,
// found on the (repo_id, number) index.
const nextIssueSQL = `INSERT INTO issues (repo_id, number, title, body, user_id, token_id, created_at)
	VALUES (?1, COALESCE((SELECT max(number) FROM issues WHERE repo_id = ?1), 0) + 1, ?2, ?3, ?4, ?5, ?6)
	RETURNING id, number`

// CreateIssue stores an issue in a repository, with its labels and
// assignees, numbered after the repository's last issue in the write
// transaction, so that concurrent creations never share a number.
// ErrNotFound when the repository does not exist, ErrUnknownLabel when a
// label id is not one of its labels.
func (s *Store) CreateIssue(ctx context.Context, ni NewIssue) (Issue, error) {
	is := Issue{RepoID: ni.RepoID, UserID: ni.UserID, TokenID: ni.TokenID, Title: ni.Title, Body: ni.Body}
	// Only repositories' issue counts are cached from issues.
	err := s.writeTx(ctx, changesIssues, func(tx *sql.Tx) error {
		var orgID int64
		err := tx.QueryRowContext(ctx, `SELECT org_id FROM repositories WHERE id = ?`, ni.RepoID).Scan(&orgID)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		now := timestamp(s.now())
		is.CreatedAt = parseTime(now)
		if err := tx.QueryRowContext(ctx, nextIssueSQL, ni.RepoID, ni.Title, ni.Body, ni.UserID, nullID(ni.TokenID), now).Scan(&is.ID, &is.Number); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `SELECT login FROM users WHERE id = ?`, ni.UserID).Scan(&is.UserLogin); err != nil {
			return err
		}
		if is.Labels, err = addIssueLabels(ctx, tx, is.ID, ni); err != nil {
			return err
		}
		is.Assignees, err = addIssueAssignees(ctx, tx, is.ID, orgID, ni.Assignees)
		return err
	})
	if err != nil {
		return Issue{}, err
	}
	return is, nil
}

// addIssueLabels puts the labels on an issue, making those named that the
// repository does not have yet, and returns them by name, each once.
func addIssueLabels(ctx context.Context, tx *sql.Tx, issueID int64, ni NewIssue) ([]Label, error) {
	var out []Label
	for _, nl := range ni.Labels {
		var l Label
		var row *sql.Row
		if nl.ID != 0 {
			row = tx.QueryRowContext(ctx, `SELECT id, name, color, description FROM labels WHERE id = ? AND repo_id = ?`, nl.ID, ni.RepoID)
		} else {
			row = tx.QueryRowContext(ctx, `INSERT INTO labels (repo_id, name, color, description) VALUES (?, ?, ?, ?)
				ON CONFLICT (repo_id, name) DO UPDATE SET name = name RETURNING id, name, color, description`,
				ni.RepoID, nl.Name, nl.Color, nl.Description)
		}
		err := row.Scan(&l.ID, &l.Name, &l.Color, &l.Description)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, ErrUnknownLabel
		}
		if err != nil {
			return nil, err
		}
		added, err := insertOnce(ctx, tx, `INSERT OR IGNORE INTO issue_labels (issue_id, label_id) VALUES (?, ?)`, issueID, l.ID)
		if err != nil {
			return nil, err
		}
		if added {
			out = append(out, l)
		}
	}
	slices.SortFunc(out, func(a, b Label) int { return strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)) })
	return out, nil
}

// addIssueAssignees assigns the issue to those of logins who are members
// of the organization, and returns them by login, each once.
func addIssueAssignees(ctx context.Context, tx *sql.Tx, issueID, orgID int64, logins []string) ([]Member, error) {
	var out []Member
	for _, login := range logins {
		var m Member
		err := tx.QueryRowContext(ctx, `SELECT u.id, u.login FROM users u JOIN memberships m ON m.user_id = u.id
			WHERE m.org_id = ? AND u.login = ?`, orgID, login).Scan(&m.ID, &m.Login)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return nil, err
		}
		added, err := insertOnce(ctx, tx, `INSERT OR IGNORE INTO issue_assignees (issue_id, user_id) VALUES (?, ?)`, issueID, m.ID)
		if err != nil {
			return nil, err
		}
		if added {
			out = append(out, m)
		}
	}
	slices.SortFunc(out, func(a, b Member) int { return strings.Compare(strings.ToLower(a.Login), strings.ToLower(b.Login)) })
	return out, nil
}

// insertOnce runs an INSERT OR IGNORE and reports whether it added a row
// (false: the row was there already).
func insertOnce(ctx context.Context, tx *sql.Tx, query string, args ...any) (bool, error) {
	res, err := tx.ExecContext(ctx, query, args...)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// nullID stores 0 as NULL.
func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// SSHKey is a user's SSH public key.
type SSHKey struct {
	ID, UserID, TokenID int64 // TokenID 0 once the token is gone
	Title, Key          string
	CreatedAt           time.Time
}

// ErrDuplicateKey is returned when the key is already stored, for any user.
var ErrDuplicateKey = errors.New("key already in use")

// AddSSHKey stores a user's SSH key, recording the token that added it (0:
// none). ErrDuplicateKey on a key already stored.
func (s *Store) AddSSHKey(ctx context.Context, userID, tokenID int64, title, key string) (SSHKey, error) {
	k := SSHKey{UserID: userID, TokenID: tokenID, Title: title, Key: key}
	// Issues and keys are in none of the API's cached reads.
	err := s.writeTx(ctx, changesNothingCached, func(tx *sql.Tx) error {
		var taken bool
		if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM ssh_keys WHERE key = ?)`, key).Scan(&taken); err != nil {
			return err
		}
		if taken {
			return ErrDuplicateKey
		}
		now := timestamp(s.now())
		k.CreatedAt = parseTime(now)
		err := tx.QueryRowContext(ctx,
			`INSERT INTO ssh_keys (user_id, title, key, token_id, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id`,
			userID, title, key, nullID(tokenID), now).Scan(&k.ID)
		if err != nil && strings.Contains(err.Error(), "ssh_keys.key") {
			return ErrDuplicateKey
		}
		return err
	})
	if err != nil {
		return SSHKey{}, err
	}
	return k, nil
}

// The API's listing queries, LIMIT then OFFSET.
const (
	sshKeysOfSQL = `SELECT id, user_id, COALESCE(token_id, 0), title, key, created_at FROM ssh_keys
		WHERE user_id = ? ORDER BY id LIMIT ? OFFSET ?`
	sshKeysCountSQL = `SELECT count(*) FROM ssh_keys WHERE user_id = ?`
	membersPageSQL  = `SELECT u.id, u.login FROM memberships m JOIN users u ON u.id = m.user_id
		WHERE m.org_id = ? ORDER BY u.login LIMIT ? OFFSET ?`
	membersCountSQL = `SELECT count(*) FROM memberships WHERE org_id = ?`
	userByLoginSQL  = `SELECT id FROM users WHERE login = ?`
)

// SSHKeysOf lists a page of a user's SSH keys, oldest first, with the
// number of all of them.
func (s *Store) SSHKeysOf(ctx context.Context, userID int64, page, perPage int) ([]SSHKey, int, error) {
	limit, offset, inRange := pageWindow(page, perPage)
	var out []SSHKey
	var total int
	err := s.readConsistent(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, sshKeysCountSQL, userID).Scan(&total); err != nil {
			return err
		}
		if !inRange || offset >= total {
			return nil
		}
		rows, err := tx.QueryContext(ctx, sshKeysOfSQL, userID, limit, offset)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var k SSHKey
			var created string
			if err := rows.Scan(&k.ID, &k.UserID, &k.TokenID, &k.Title, &k.Key, &created); err != nil {
				return err
			}
			k.CreatedAt = parseTime(created)
			out = append(out, k)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, 0, err
	}
	return out, total, nil
}

// OpenIssueCounts tells how many issues each of the repositories has
// (every issue is open: none is ever closed), from the counts the issues
// table's triggers keep, cached until issues change. A repository without
// issues is not in the map.
func (s *Store) OpenIssueCounts(ctx context.Context, repoIDs []int64) (map[int64]int, error) {
	out := make(map[int64]int, len(repoIDs))
	for _, id := range repoIDs {
		n, err := through(ctx, s, &s.auth.issues, s.auth.issueCounts, id, func(ctx context.Context) (int, error) {
			var n int
			err := s.read.QueryRowContext(ctx, issueCountQuery, id).Scan(&n)
			return n, err
		})
		if err != nil {
			return nil, err
		}
		if n > 0 {
			out[id] = n
		}
	}
	return out, nil
}

const issueCountQuery = `SELECT COALESCE((SELECT n FROM issue_counts WHERE repo_id = ?), 0)`

// MembersPage lists a page of an organization's members by login, with the
// number of all of them.
func (s *Store) MembersPage(ctx context.Context, orgID int64, page, perPage int) ([]Member, int, error) {
	limit, offset, inRange := pageWindow(page, perPage)
	var out []Member
	var total int
	err := s.readConsistent(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, membersCountSQL, orgID).Scan(&total); err != nil {
			return err
		}
		if !inRange || offset >= total {
			return nil
		}
		rows, err := tx.QueryContext(ctx, membersPageSQL, orgID, limit, offset)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var m Member
			if err := rows.Scan(&m.ID, &m.Login); err != nil {
				return err
			}
			out = append(out, m)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, 0, err
	}
	return out, total, nil
}

// UserByLogin finds a user's id by login, in any case. ErrNotFound when no
// user has it.
func (s *Store) UserByLogin(ctx context.Context, login string) (id int64, err error) {
	err = s.read.QueryRowContext(ctx, userByLoginSQL, login).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, ErrNotFound
	}
	return id, err
}
