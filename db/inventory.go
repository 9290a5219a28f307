package db

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"
	"time"

	"patpolicy/policy"
)

// The token inventory: every token that can reach an organization, of
// every kind, in one list (an enterprise's: a row per token and
// organization). Each organization's rows are of two sources, read
// separately and merged newest first:
//
//   - an organization's fine-grained tokens (tokens.org_id), with a pending
//     or approved grant, walked by tokens_by_org;
//   - the classic tokens of its members, walked by tokens_classic (or by
//     tokens_by_user for one owner), each checked against memberships.
//
// Either way the owner must be a member now and the token not expired.
// The status filters are conditions on the rows the walk reads, so a rare
// status could make a page read the whole organization: a page's sources
// share inventoryWindow candidates instead (each at least
// minInventoryWindow), and a page that ran out of candidates before it
// filled ends there, with a link to the next stretch. Every page costs
// about the same however the filters thin the rows.

// inventoryWindow is how many candidate tokens one source reads for a page.
const inventoryWindow = 2000

// minInventoryWindow is the least a source reads for a page, however many
// organizations share inventoryWindow.
const minInventoryWindow = 200

// InventoryOrg is one organization an inventory covers, with what its
// statuses are judged by.
type InventoryOrg struct {
	ID    int64
	Login string
	// Effective is the policy in force there; its InactiveDays is the
	// inactivity limit, 0 for policy.DefaultInactiveDays.
	Effective policy.Effective
}

// InventoryQuery selects a page of an inventory.
type InventoryQuery struct {
	Orgs    []InventoryOrg
	Kind    policy.Kind // "": both
	OwnerID int64       // 0: any owner
	Status  policy.InventoryStatus
	Now     time.Time
	// Before lists tokens older than this token id (the next page); After
	// lists tokens newer than it (the previous page). 0 for neither.
	Before, After int64
	// Limit is the rows a page holds at least (where that many remain);
	// a token's rows are never split, so a page may hold a few more.
	Limit int
	// window is inventoryWindow but in tests.
	window int
}

// InventoryRow is one token in one organization.
type InventoryRow struct {
	TokenID    int64
	Name       string
	Kind       policy.Kind
	OwnerID    int64
	OwnerLogin string
	OrgID      int64
	OrgLogin   string
	IsOwner    bool               // its owner owns the organization
	Grant      policy.GrantStatus // a fine-grained token's; "" for classic
	Scopes     []string
	CreatedAt  time.Time
	ExpiresAt  time.Time // zero: never
	LastUsed   time.Time // its last call that reached this organization; zero: never
	Status     policy.InventoryStatus
}

// InventoryPage is one page of an inventory, newest token first; rows of
// one token are together, by organization login.
type InventoryPage struct {
	Rows []InventoryRow
	// Older is the Before of the next page, 0 for none. Newer is the
	// After of the previous page where HasNewer says there is one; 0 then
	// means the first page.
	Older, Newer int64
	HasNewer     bool
}

// source is one of an inventory's two sources for one organization.
type source struct {
	org     InventoryOrg
	classic bool
}

// ListInventory reads a page of an inventory: at least Limit rows where
// that many remain (a token's rows are never split between pages, so a
// page may hold a few more), fewer where a source's window ends first.
//
// The sources are merged lazily: each first reads a small batch; the merge
// keeps what every source has read past (the bound), and reads more only
// from the source that holds the bound back, until the page is full or a
// window's end fixes the bound. A page reads about Limit rows however many
// organizations it spans.
func (s *Store) ListInventory(ctx context.Context, q InventoryQuery) (_ InventoryPage, err error) {
	defer failed(&err, "list inventory")
	if q.Limit <= 0 {
		q.Limit = 50
	}
	if q.window == 0 && len(q.Orgs) > 0 {
		// The sources of several organizations share the reading of one:
		// a page costs about the same however many there are.
		q.window = max(inventoryWindow/len(q.Orgs), minInventoryWindow)
	}
	newer := q.After > 0
	// before reports whether token a comes before token b in the walk.
	before := func(a, b int64) bool { return newer && a < b || !newer && a > b }
	var states []*sourceState
	for _, o := range q.Orgs {
		for _, classic := range []bool{false, true} {
			if src := (source{org: o, classic: classic}); src.wanted(q) {
				st, err := s.openSource(ctx, src, q)
				if err != nil {
					return InventoryPage{}, err
				}
				states = append(states, st)
			}
		}
	}
	for _, st := range states {
		st.batch = max(q.Limit/len(states)+1, 4)
	}
	var rows []InventoryRow
	pending := states
	for {
		for _, st := range pending {
			got, err := s.readSource(ctx, st, q)
			if err != nil {
				return InventoryPage{}, err
			}
			rows = append(rows, got...)
		}
		// The bound: the earliest edge in the walk (the source that has
		// read least far), of those that have not read to their end.
		var bound int64
		bounded := false
		for _, st := range states {
			if !st.ended && (!bounded || before(st.edge, bound)) {
				bound, bounded = st.edge, true
			}
		}
		kept := slices.DeleteFunc(slices.Clone(rows), func(r InventoryRow) bool { return bounded && before(bound, r.TokenID) })
		sortInventory(kept, newer)
		taken, rest := takeRows(kept, q.Limit)
		full := len(taken) >= q.Limit
		pending = nil
		if !full && bounded {
			for _, st := range states {
				if !st.ended && st.open && st.edge == bound {
					pending = append(pending, st)
				}
			}
		}
		if len(pending) > 0 {
			continue
		}
		more := full && rest || bounded
		page := InventoryPage{Rows: taken}
		var cursor int64 // where the next page in the walk's direction starts
		switch {
		case !more:
		case full:
			cursor = taken[len(taken)-1].TokenID
		default:
			cursor = bound
		}
		if newer {
			slices.Reverse(page.Rows)
			sortInventory(page.Rows, false)
			page.Newer, page.HasNewer = cursor, more
			page.Older = q.After + 1
			if len(taken) > 0 {
				page.Older = taken[0].TokenID
			}
		} else {
			page.Older = cursor
			if q.Before > 1 {
				page.Newer, page.HasNewer = q.Before-1, true
				if len(taken) > 0 {
					page.Newer = taken[0].TokenID
				}
			}
		}
		return page, nil
	}
}

// sortInventory orders rows by token, newest first (oldest first when
// ascending), a token's rows by organization login.
func sortInventory(rows []InventoryRow, ascending bool) {
	slices.SortStableFunc(rows, func(a, b InventoryRow) int {
		if c := cmp.Compare(b.TokenID, a.TokenID); c != 0 {
			if ascending {
				return -c
			}
			return c
		}
		return strings.Compare(a.OrgLogin, b.OrgLogin)
	})
}

// takeRows takes whole tokens' rows from sorted rows until at least limit
// rows are taken, and reports whether any are left.
func takeRows(rows []InventoryRow, limit int) (taken []InventoryRow, rest bool) {
	n := 0
	for n < len(rows) && n < limit {
		id := rows[n].TokenID
		for n < len(rows) && rows[n].TokenID == id {
			n++
		}
	}
	return rows[:n], n < len(rows)
}

// distinctIDs lists the token ids of rows in their order.
func distinctIDs(rows []InventoryRow) []int64 {
	var ids []int64
	for _, r := range rows {
		if len(ids) == 0 || ids[len(ids)-1] != r.TokenID {
			ids = append(ids, r.TokenID)
		}
	}
	return ids
}

// sourceState is how far a page has read one source.
type sourceState struct {
	src    source
	beyond int64 // the first token past the source's window; 0: the window reaches its end
	cursor int64 // where its next batch starts (exclusive); 0 at the list's start
	// edge is how far it has read: every token up to it in the walk, it
	// included. ended: it has read to its end, and bounds nothing.
	edge  int64
	open  bool // it may read another batch within its window
	ended bool
	batch int // how many rows its next read asks for
}

// openSource finds where src's window ends for the page.
func (s *Store) openSource(ctx context.Context, src source, q InventoryQuery) (*sourceState, error) {
	st := &sourceState{src: src, cursor: max(q.Before, q.After), open: true}
	query, args := s.inventoryWindowSQL(src, q, cmp.Or(q.window, inventoryWindow))
	err := s.read.QueryRowContext(ctx, query, args...).Scan(&st.beyond)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, err
	}
	return st, nil
}

// readSource reads the source's next batch of matching rows within its
// window, and moves its edge.
func (s *Store) readSource(ctx context.Context, st *sourceState, q InventoryQuery) ([]InventoryRow, error) {
	batch := st.batch
	// A source read again is the one holding the page back: it reads
	// twice as much next time.
	st.batch = min(2*batch, q.Limit+1)
	sub := q
	sub.Limit = batch - 1 // inventoryRowsSQL reads Limit+1
	if q.After > 0 {
		sub.After = st.cursor
	} else {
		sub.Before = st.cursor
	}
	rows, err := s.inventoryRows(ctx, st.src, sub, st.beyond)
	if err != nil {
		return nil, err
	}
	switch {
	case len(rows) == batch:
		st.cursor = rows[len(rows)-1].TokenID
		st.edge = st.cursor
	case st.beyond == 0:
		st.ended, st.open = true, false
	default:
		// The window is read: the source bounds the page at its end.
		st.open = false
		st.edge = st.beyond + 1
		if q.After > 0 {
			st.edge = st.beyond - 1
		}
	}
	return rows, nil
}

// wanted reports whether the query's filters leave the source anything.
func (src source) wanted(q InventoryQuery) bool {
	if src.classic {
		return q.Kind != policy.KindFineGrained && q.Status != policy.InventoryPending
	}
	return q.Kind != policy.KindClassic
}

// inventoryRows reads the rows of src's window (up to beyond, 0 for its
// end) that the filters keep, from q's cursor, at most q.Limit+1.
func (s *Store) inventoryRows(ctx context.Context, src source, q InventoryQuery, beyond int64) ([]InventoryRow, error) {
	query, args := s.inventoryRowsSQL(src, q, beyond)
	rs, err := s.read.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	var out []InventoryRow
	for rs.Next() {
		r := InventoryRow{OrgID: src.org.ID, OrgLogin: src.org.Login}
		var role, scopes, created, expires, used string
		if err := rs.Scan(&r.TokenID, &r.Name, &r.Kind, &r.OwnerID, &r.OwnerLogin, &role, &r.Grant,
			&scopes, &created, &expires, &used); err != nil {
			return nil, err
		}
		r.IsOwner = Role(role) == RoleOwner
		r.Scopes = strings.Fields(scopes)
		r.CreatedAt, r.ExpiresAt = parseTime(created), parseExpiry(expires)
		if used != "" {
			r.LastUsed = parseTime(used)
		}
		r.Status = policy.InventoryStatusOf(policy.InventoryFacts{
			Token:   &policy.Credential{Kind: r.Kind, Grant: r.Grant, CreatedAt: r.CreatedAt, ExpiresAt: r.ExpiresAt},
			IsOwner: r.IsOwner, LastUsed: r.LastUsed, InactiveDays: src.org.Effective.InactiveDays,
		}, src.org.Effective, q.Now)
		out = append(out, r)
	}
	return out, rs.Err()
}

// sourceSQL is the condition on t (tokens) that walks src's index in id
// order from the query's cursor, and the index.
func (s *Store) sourceSQL(src source, q InventoryQuery) (index, cond string, args []any) {
	switch {
	case q.OwnerID != 0:
		kind := policy.KindFineGrained
		if src.classic {
			kind = policy.KindClassic
		}
		index, cond, args = "tokens_by_user", `t.user_id = ? AND t.kind = ?`, []any{q.OwnerID, kind}
		if !src.classic {
			cond += ` AND t.org_id = ?`
			args = append(args, src.org.ID)
		}
	case src.classic:
		index, cond = "tokens_classic", `t.kind = 'classic'`
	default:
		index, cond, args = s.tokensByOrg(), `t.org_id = ?`, []any{src.org.ID}
	}
	switch {
	case q.After > 0:
		cond += ` AND t.id > ?`
		args = append(args, q.After)
	case q.Before > 0:
		cond += ` AND t.id < ?`
		args = append(args, q.Before)
	}
	return index, cond, args
}

// inventoryOrder is the direction a page walks in.
func inventoryOrder(q InventoryQuery) string {
	if q.After > 0 {
		return "ASC"
	}
	return "DESC"
}

// inventoryWindowSQL selects the first token past a source's next size
// candidates: the page reads no further than that. None means the window
// reaches the source's end.
func (s *Store) inventoryWindowSQL(src source, q InventoryQuery, size int) (string, []any) {
	index, cond, args := s.sourceSQL(src, q)
	return `SELECT t.id FROM tokens t INDEXED BY ` + index + ` WHERE ` + cond +
		` ORDER BY t.id ` + inventoryOrder(q) + ` LIMIT 1 OFFSET ?`, append(args, size)
}

// inventoryRowsSQL reads the rows of the source's window (up to beyond, 0
// for its end) that the filters keep, at most Limit+1, walking the
// source's index in order: a dense status stops after a page's worth.
func (s *Store) inventoryRowsSQL(src source, q InventoryQuery, beyond int64) (string, []any) {
	var b strings.Builder
	lastUse := `t.last_used_at`
	b.WriteString(`SELECT t.id, t.name, t.kind, t.user_id, u.login, m.role, `)
	if src.classic {
		b.WriteString(`'', `)
		lastUse = `lu.last_used_at`
	} else {
		b.WriteString(`g.status, `)
	}
	index, cond, cargs := s.sourceSQL(src, q)
	b.WriteString(`t.scopes, t.created_at, COALESCE(t.expires_at, ''), COALESCE(` + lastUse + `, '')
	 FROM tokens t INDEXED BY ` + index + ` JOIN users u ON u.id = t.user_id
	 JOIN memberships m ON m.org_id = ? AND m.user_id = t.user_id`)
	args := []any{src.org.ID}
	// The + (on both joins) keeps SQLite from carrying t's id range over
	// to the joined table and walking it instead, out of the index's order.
	if src.classic {
		b.WriteString(` LEFT JOIN token_org_uses lu ON lu.token_id = +t.id AND lu.org_id = ?`)
		args = append(args, src.org.ID)
	} else {
		b.WriteString(` JOIN grants g ON g.token_id = +t.id AND g.status IN ('pending', 'approved')`)
	}
	b.WriteString(` WHERE ` + cond)
	args = append(args, cargs...)
	if beyond != 0 {
		if q.After > 0 {
			b.WriteString(` AND t.id < ?`)
		} else {
			b.WriteString(` AND t.id > ?`)
		}
		args = append(args, beyond)
	}
	b.WriteString(` AND (t.expires_at IS NULL OR t.expires_at > ?)`)
	args = append(args, timestamp(q.Now))
	if cond, sargs := s.statusCondition(src, q); cond != "" {
		b.WriteString(` AND ` + cond)
		args = append(args, sargs...)
	}
	b.WriteString(` ORDER BY t.id ` + inventoryOrder(q) + ` LIMIT ?`)
	return b.String(), append(args, q.Limit+1)
}

// tokensByOrg names the index that holds an organization's tokens in id
// order: SQLite's tokens_by_org ends with the rowid; PostgreSQL's needed
// one of its own (the hint is dropped there anyway).
func (s *Store) tokensByOrg() string {
	if s.dialect == postgresDialect {
		return "tokens_by_org_id"
	}
	return "tokens_by_org"
}

// statusCondition is the SQL that keeps the rows of a status in src, the
// same rules as policy.InventoryStatusOf ("" for every row).
func (s *Store) statusCondition(src source, q InventoryQuery) (string, []any) {
	if q.Status == "" {
		return "", nil
	}
	if q.Status == policy.InventoryPending {
		return `g.status = 'pending'`, nil
	}
	usable := `1 = 1`
	if !src.classic {
		usable = `g.status = 'approved'`
	}
	blocked, bargs := s.blockedCondition(src)
	if q.Status == policy.InventoryBlocked {
		return usable + ` AND ` + blocked, bargs
	}
	cond := usable + ` AND NOT (` + blocked + `)`
	args := bargs
	switch q.Status {
	case policy.InventoryExpiring:
		cond += ` AND t.expires_at IS NOT NULL AND t.expires_at <= ?`
		args = append(args, timestamp(policy.SoonAfter(q.Now)))
	case policy.InventoryInactive:
		used := `t.last_used_at`
		if src.classic {
			used = `lu.last_used_at`
		}
		cond += ` AND COALESCE(` + used + `, t.created_at) < ?`
		args = append(args, timestamp(policy.InactiveSince(q.Now, src.org.Effective.InactiveDays)))
	}
	return cond, args
}

// blockedCondition is policy.BlockedByPolicy in SQL for src's kind.
func (s *Store) blockedCondition(src source) (string, []any) {
	eff := src.org.Effective
	max := eff.FineGrainedLifetime
	if src.classic {
		if eff.Classic == policy.Restrict {
			return `1 = 1`, nil
		}
		max = eff.ClassicLifetime
	} else if !eff.OptedIn || eff.FineGrained == policy.Restrict {
		return `1 = 1`, nil
	}
	if max == 0 {
		return `1 = 0`, nil
	}
	over := `(t.expires_at IS NULL OR ` + s.livesLonger() + `)`
	if eff.ExemptAdmins {
		over += ` AND m.role <> 'owner'`
	}
	return over, []any{max}
}

// livesLonger is SQL true when a token's expiry is more than ? calendar
// days after its creation (both stored in UTC, so a day is 24 hours). The
// two databases' date arithmetic differs: SQLite counts in Julian days,
// to within a millisecond; PostgreSQL adds an interval exactly.
func (s *Store) livesLonger() string {
	if s.dialect == postgresDialect {
		return `t.expires_at::timestamp > t.created_at::timestamp + make_interval(days => ?::int)`
	}
	return `julianday(t.expires_at) - julianday(t.created_at) > ? + 0.00000001`
}

// OrgsOfEnterprise lists an enterprise's organizations by login.
func (s *Store) OrgsOfEnterprise(ctx context.Context, entID int64) (_ []Org, err error) {
	defer failed(&err, "orgs of enterprise")
	logins, err := column[string](ctx, s.read, `SELECT login FROM organizations WHERE enterprise_id = ? ORDER BY login`, entID)
	if err != nil {
		return nil, err
	}
	out := make([]Org, 0, len(logins))
	for _, l := range logins {
		o, err := s.OrgByLogin(ctx, l)
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, nil
}

// ListGrantsAcross lists a page of the grants in one status of several
// organizations (an enterprise's), newest first, by the same keyset as
// ListGrants (OrgID and the filters of q are not used). Grant ids are
// unique across organizations: each organization's ids are read from its
// grants_by_org_status range, merged, and only the page's grants loaded.
func (s *Store) ListGrantsAcross(ctx context.Context, orgIDs []int64, q GrantQuery) (_ GrantPage, err error) {
	defer failed(&err, "list grants across")
	if q.Limit <= 0 {
		q.Limit = 50
	}
	newer := q.After > 0
	var ids []int64
	orgOf := map[int64]int64{}
	for _, org := range orgIDs {
		q.OrgID = org
		query, args := grantIDsQuery(q, newer, q.Limit+1)
		got, err := int64s(ctx, s.read, query, args...)
		if err != nil {
			return GrantPage{}, err
		}
		for _, id := range got {
			orgOf[id] = org
		}
		ids = append(ids, got...)
	}
	slices.Sort(ids)
	if !newer {
		slices.Reverse(ids)
	}
	ids, page := pageOfIDs(ids, q)
	byOrg := map[int64][]int64{}
	for _, id := range ids {
		byOrg[orgOf[id]] = append(byOrg[orgOf[id]], id)
	}
	byGrant := map[int64]Token{}
	for org, some := range byOrg {
		ts, err := s.grantsByID(ctx, org, some)
		if err != nil {
			return GrantPage{}, err
		}
		for _, t := range ts {
			byGrant[t.Grant.ID] = t
		}
	}
	for _, id := range ids {
		if t, ok := byGrant[id]; ok {
			page.Tokens = append(page.Tokens, t)
		}
	}
	return page, nil
}
