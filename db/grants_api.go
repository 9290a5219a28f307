package db

import (
	"context"
	"database/sql"
	"slices"
	"strings"
	"time"

	"patpolicy/policy"
)

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
		// "LIMIT 1 OFFSET 0" changes no answer; it keeps PostgreSQL from
		// joining the organization's grants with every token it reads in
		// full (no index holds last use) rather than looking each grant's
		// token up, as SQLite does.
		b.WriteString(" LIMIT 1 OFFSET 0)")
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
	defer failed(&err, "list API grants")
	limit, offset, inRange := pageWindow(q.Page, q.PerPage)
	p, err := s.planAPIGrants(ctx, q)
	if err != nil {
		return nil, 0, err
	}
	var ids []int64
	err = s.readTx(ctx, func(tx *sql.Tx) error {
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
