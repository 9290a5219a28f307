package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"

	"patpolicy/policy"
)

// GrantQuery selects a page of an organization's grants in one status,
// newest first. Each filter is optional; pages are keyset ranges of grant
// ids, never offsets.
type GrantQuery struct {
	OrgID      int64
	Status     policy.GrantStatus
	OwnerID    int64  // 0: any owner
	RepoID     int64  // 0: any repository
	Permission string // "": any permission
	// Before lists grants older than this id (the next page); After lists
	// grants newer than it (the previous page). 0 for neither.
	Before int64
	After  int64
	Limit  int
}

// GrantPage is one page of grants.
type GrantPage struct {
	Tokens []Token // each with Grant, Permissions and Repos filled
	// HasOlder and HasNewer say whether pages exist beyond this one.
	HasOlder bool
	HasNewer bool
}

// estimateCap bounds the cheap count used to pick the filter that drives a
// listing: counting further would cost more than it saves.
const estimateCap = 2000

// filterKeys turns the query's filters into sets of grant keys: a grant
// matches a filter when it holds any key of its set.
func (s *Store) filterKeys(ctx context.Context, q GrantQuery) ([][]string, error) {
	var sets [][]string
	if q.OwnerID != 0 {
		sets = append(sets, []string{ownerKey(q.OwnerID)})
	}
	if q.RepoID != 0 {
		var private bool
		err := s.read.QueryRowContext(ctx, `SELECT private FROM repositories WHERE id = ? AND org_id = ?`, q.RepoID, q.OrgID).Scan(&private)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, ErrNotFound
		}
		if err != nil {
			return nil, err
		}
		set := []string{repoKey(q.RepoID), "r:all"}
		if !private {
			set = append(set, "r:public")
		}
		sets = append(sets, set)
	}
	if q.Permission != "" {
		sets = append(sets, []string{permissionKey(q.Permission)})
	}
	return sets, nil
}

// ListGrants lists a page of grants. Without filters it walks
// grants_by_org_status; with filters it walks the grant_keys range of the
// most selective one (each of its keys a range, merged here) and checks the
// others by grant_keys_by_grant.
func (s *Store) ListGrants(ctx context.Context, q GrantQuery) (_ GrantPage, err error) {
	defer failed(&err, "list grants")
	if q.Limit <= 0 {
		q.Limit = 50
	}
	sets, err := s.filterKeys(ctx, q)
	if err != nil {
		return GrantPage{}, err
	}
	newer := q.After > 0
	want := q.Limit + 1
	var ids []int64
	if len(sets) == 0 {
		query, args := grantIDsQuery(q, newer, want)
		if ids, err = int64s(ctx, s.read, query, args...); err != nil {
			return GrantPage{}, err
		}
	} else {
		driver, err := s.pickDriver(ctx, q, sets)
		if err != nil {
			return GrantPage{}, err
		}
		others := slices.Delete(slices.Clone(sets), driver, driver+1)
		for _, key := range sets[driver] {
			query, args := keyedIDsQuery(q, key, others, newer, want)
			got, err := int64s(ctx, s.read, query, args...)
			if err != nil {
				return GrantPage{}, err
			}
			ids = append(ids, got...)
		}
		slices.Sort(ids)
		ids = slices.Compact(ids)
		if !newer {
			slices.Reverse(ids)
		}
		ids = ids[:min(len(ids), want)]
	}
	ids, page := pageOfIDs(ids, q)
	page.Tokens, err = s.grantsByID(ctx, q.OrgID, ids)
	return page, err
}

// pageOfIDs cuts ids, read Limit+1 in the query's order, to a page, newest
// first, and says which pages lie beyond it.
func pageOfIDs(ids []int64, q GrantQuery) ([]int64, GrantPage) {
	page := GrantPage{}
	more := len(ids) > q.Limit
	ids = ids[:min(len(ids), q.Limit)]
	if q.After > 0 {
		slices.Reverse(ids)
		page.HasNewer, page.HasOlder = more, true
	} else {
		page.HasOlder, page.HasNewer = more, q.Before > 0
	}
	return ids, page
}

// grantIDsQuery selects a page of ids from grants_by_org_status.
func grantIDsQuery(q GrantQuery, newer bool, limit int) (string, []any) {
	where, order := "", " ORDER BY id DESC"
	args := []any{q.OrgID, q.Status}
	switch {
	case newer:
		where, order = " AND id > ?", " ORDER BY id ASC"
		args = append(args, q.After)
	case q.Before > 0:
		where = " AND id < ?"
		args = append(args, q.Before)
	}
	return `SELECT id FROM grants INDEXED BY grants_by_org_status WHERE org_id = ? AND status = ?` + where + order + ` LIMIT ?`, append(args, limit)
}

// keyedIDsQuery selects a page of ids holding key, and a key of every other
// set.
func keyedIDsQuery(q GrantQuery, key string, others [][]string, newer bool, limit int) (string, []any) {
	var b strings.Builder
	b.WriteString(`SELECT k.grant_id FROM grant_keys k WHERE k.org_id = ? AND k.status = ? AND k.key = ?`)
	args := []any{q.OrgID, q.Status, key}
	order := " ORDER BY k.grant_id DESC"
	switch {
	case newer:
		b.WriteString(" AND k.grant_id > ?")
		order = " ORDER BY k.grant_id ASC"
		args = append(args, q.After)
	case q.Before > 0:
		b.WriteString(" AND k.grant_id < ?")
		args = append(args, q.Before)
	}
	for _, set := range others {
		b.WriteString(" AND EXISTS (SELECT 1 FROM grant_keys o WHERE o.grant_id = k.grant_id AND o.key IN (" + placeholders(len(set)) + "))")
		for _, k := range set {
			args = append(args, k)
		}
	}
	b.WriteString(order + " LIMIT ?")
	return b.String(), append(args, limit)
}

// pickDriver returns the index of the filter set with the fewest matching
// grants, counting each key's range only up to estimateCap.
func (s *Store) pickDriver(ctx context.Context, q GrantQuery, sets [][]string) (int, error) {
	if len(sets) == 1 {
		return 0, nil
	}
	best, bestN := 0, -1
	for i, set := range sets {
		n := 0
		for _, key := range set {
			var c int
			if err := s.read.QueryRowContext(ctx,
				`SELECT count(*) FROM (SELECT 1 FROM grant_keys WHERE org_id = ? AND status = ? AND key = ? LIMIT ?) capped`,
				q.OrgID, q.Status, key, estimateCap).Scan(&c); err != nil {
				return 0, err
			}
			n += c
		}
		if bestN < 0 || n < bestN {
			best, bestN = i, n
		}
	}
	return best, nil
}

const grantJoins = ` FROM grants g JOIN tokens t ON t.id = g.token_id JOIN users u ON u.id = t.user_id
	LEFT JOIN organizations o ON o.id = t.org_id
	LEFT JOIN users r ON r.id = g.reviewer_id`

// grantsByID loads grants of an organization in the order of ids. The "+"
// keeps SQLite from walking the organization's grants for its 50 ids when
// the database has no statistics.
func (s *Store) grantsByID(ctx context.Context, orgID int64, ids []int64) ([]Token, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	args := []any{orgID}
	for _, id := range ids {
		args = append(args, id)
	}
	rows, err := s.read.QueryContext(ctx, `SELECT `+tokenColumns+grantJoins+
		` WHERE +g.org_id = ? AND g.id IN (`+placeholders(len(ids))+`)`, args...)
	if err != nil {
		return nil, err
	}
	byGrant := map[int64]Token{}
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		byGrant[t.Grant.ID] = t
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]Token, 0, len(ids))
	for _, id := range ids {
		if t, ok := byGrant[id]; ok {
			out = append(out, t)
		}
	}
	ptrs := make([]*Token, len(out))
	for i := range out {
		ptrs[i] = &out[i]
	}
	return out, s.fillDetails(ctx, ptrs)
}

// GrantOf loads one grant of an organization with its token.
func (s *Store) GrantOf(ctx context.Context, orgID, grantID int64) (_ Token, err error) {
	defer failed(&err, "grant of")
	ts, err := s.grantsByID(ctx, orgID, []int64{grantID})
	if err != nil {
		return Token{}, err
	}
	if len(ts) == 0 {
		return Token{}, ErrNotFound
	}
	return ts[0], nil
}

// CountGrants counts an organization's grants in a status, from the
// counters the grants table's triggers keep (see migration 00003).
func (s *Store) CountGrants(ctx context.Context, orgID int64, status policy.GrantStatus) (_ int, err error) {
	defer failed(&err, "count grants")
	return through(ctx, s, &s.cache.access, s.cache.grantCounts, grantCountKey{orgID, status}, func(ctx context.Context) (int, error) {
		var n int
		err := s.read.QueryRowContext(ctx,
			`SELECT COALESCE((SELECT n FROM grant_counts WHERE org_id = ? AND status = ?), 0)`, orgID, status).Scan(&n)
		return n, err
	})
}

type grantCountKey struct {
	org    int64
	status policy.GrantStatus
}

// OrgCount is how many grants one organization has in some status.
type OrgCount struct {
	Login string
	N     int
}

// CountGrantsInEnterprise counts, per organization of an enterprise, the
// grants in a status, leaving out organizations with none; by login.
func (s *Store) CountGrantsInEnterprise(ctx context.Context, entID int64, status policy.GrantStatus) (_ []OrgCount, err error) {
	defer failed(&err, "count grants in enterprise")
	rows, err := s.read.QueryContext(ctx,
		`SELECT o.login, gc.n FROM organizations o JOIN grant_counts gc ON gc.org_id = o.id
		 WHERE o.enterprise_id = ? AND gc.status = ? AND gc.n > 0 ORDER BY o.login`, entID, status)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []OrgCount
	for rows.Next() {
		var c OrgCount
		if err := rows.Scan(&c.Login, &c.N); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// GrantReview is an owner's review of grants of an organization: it moves
// those still in status From to status To. (An access decision is another
// thing: see policy.Decide.) From and To must be the two ends of one of the
// review's actions in policy's table (see policy.ReviewOf).
type GrantReview struct {
	OrgID   int64
	ActorID int64
	IDs     []int64
	From    policy.GrantStatus // pending to approve or deny a request, approved to revoke
	To      policy.GrantStatus
	Reason  string
	// Follow says what follows each grant that moves (nil: nothing): its
	// events go in the organization's audit log, acted by ActorID.
	Follow Follow
}

// ReviewResult tells which grants moved and which did not because they
// were no longer in the From status (reviewed by someone else, cancelled,
// already revoked) or never existed.
type ReviewResult struct {
	Moved   []policy.TokenSubject
	Skipped int
}

// MaxReview caps how many grants one review may name.
const MaxReview = 1000

// ErrTooMany is returned for a review naming more than MaxReview grants.
var ErrTooMany = fmt.Errorf("a review may name at most %d grants", MaxReview)

// Review applies a review in one transaction: only grants still in the
// From status move, each exactly once, each with what d.Follow has follow
// it. The status is checked by the UPDATE itself (WHERE status = From), so
// that of two owners reviewing the same grant at once exactly one moves it
// and the other finds it skipped. A change that is no action of policy's
// table is policy.ErrNotReviewable.
func (s *Store) Review(ctx context.Context, d GrantReview) (_ ReviewResult, err error) {
	defer failed(&err, "review grants")
	if _, ok := policy.ReviewOf(d.From, d.To); !ok {
		return ReviewResult{}, policy.ErrNotReviewable
	}
	ids := slices.Clone(d.IDs)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	if len(ids) > MaxReview {
		return ReviewResult{}, ErrTooMany
	}
	var res ReviewResult
	err = s.accessTx(ctx, func(tx *sql.Tx) error {
		res = ReviewResult{}
		if len(ids) == 0 {
			return nil
		}
		args := []any{d.To, d.Reason, d.ActorID, timestamp(s.now()), d.OrgID, d.From}
		for _, id := range ids {
			args = append(args, id)
		}
		moved, err := int64s(ctx, tx,
			`UPDATE grants SET status = ?, reason = ?, reviewer_id = ?, decided_at = ?
			 WHERE org_id = ? AND status = ? AND id IN (`+placeholders(len(ids))+`) RETURNING id`, args...)
		if err != nil {
			return err
		}
		res.Skipped = len(ids) - len(moved)
		res.Moved, err = s.afterReview(ctx, tx, d.OrgID, d.ActorID, moved, d.From, d.To, d.Reason, d.Follow)
		return err
	})
	return res, err
}

// afterReview follows grants that moved: their keys take the new status,
// and what follow has follow each of them is stored.
func (s *Store) afterReview(ctx context.Context, tx *sql.Tx, orgID, actorID int64, moved []int64, from, to policy.GrantStatus, reason string, follow Follow) ([]policy.TokenSubject, error) {
	slices.Sort(moved)
	var subjects []policy.TokenSubject
	// Chunks keep each statement under SQLite's limit on parameters.
	for chunk := range slices.Chunk(moved, 500) {
		got, err := s.afterReviewChunk(ctx, tx, orgID, actorID, chunk, from, to, reason, follow)
		if err != nil {
			return nil, err
		}
		subjects = append(subjects, got...)
	}
	return subjects, nil
}

func (s *Store) afterReviewChunk(ctx context.Context, tx *sql.Tx, orgID, actorID int64, moved []int64, from, to policy.GrantStatus, reason string, follow Follow) ([]policy.TokenSubject, error) {
	args := []any{to, orgID, from}
	for _, id := range moved {
		args = append(args, id)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE grant_keys INDEXED BY grant_keys_by_grant SET status = ? WHERE org_id = ? AND status = ? AND grant_id IN (`+placeholders(len(moved))+`)`,
		args...); err != nil {
		return nil, err
	}
	rows, err := tx.QueryContext(ctx,
		`SELECT g.id, g.user_id, t.id, t.name, u.login, o.login FROM grants g
		 JOIN tokens t ON t.id = g.token_id JOIN users u ON u.id = g.user_id JOIN organizations o ON o.id = g.org_id
		 WHERE g.id IN (`+placeholders(len(moved))+`) ORDER BY g.id`, args[3:]...)
	if err != nil {
		return nil, err
	}
	var changes []GrantChange
	for rows.Next() {
		c := GrantChange{OrgID: orgID, Status: to, Reason: reason}
		if err := rows.Scan(&c.GrantID, &c.UserID, &c.TokenID, &c.Subject.Name, &c.Subject.Owner, &c.Subject.Org); err != nil {
			rows.Close()
			return nil, err
		}
		changes = append(changes, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	subjects := make([]policy.TokenSubject, 0, len(changes))
	// Room for a review's usual follow-up: one event and one notice each.
	all := FollowUp{Events: make([]policy.Event, 0, len(changes)), Notices: make([]Notice, 0, len(changes))}
	for _, c := range changes {
		subjects = append(subjects, c.Subject)
		if follow != nil {
			up := follow(c)
			all.Events = append(all.Events, up.Events...)
			all.Notices = append(all.Notices, up.Notices...)
			all.ByRule = append(all.ByRule, up.ByRule...)
			all.Hooks = append(all.Hooks, up.Hooks...)
		}
	}
	return subjects, s.writeFollowUp(ctx, tx, orgID, actorID, all)
}

// approveAllPending approves every pending request of an organization,
// when it stops requiring approval, each with what follow has follow it.
func (s *Store) approveAllPending(ctx context.Context, tx *sql.Tx, orgID, actorID int64, follow Follow) error {
	moved, err := int64s(ctx, tx,
		`UPDATE grants SET status = 'approved', reviewer_id = ?, decided_at = ? WHERE org_id = ? AND status = 'pending' RETURNING id`,
		actorID, timestamp(s.now()), orgID)
	if err != nil {
		return err
	}
	_, err = s.afterReview(ctx, tx, orgID, actorID, moved, policy.GrantPending, policy.GrantApproved, "", follow)
	return err
}
