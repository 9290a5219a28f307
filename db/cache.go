package db

import (
	"context"
	"sync"
	"sync/atomic"
)

// The read cache: what nearly every request reads (sessions, users,
// organizations, roles, members, repositories, policies, grant counts,
// token rows, issue counts), kept until a write may have changed it. The
// change counters it is checked against are read in changes.go.

// readCacheLimit bounds each cache; a full cache starts again empty.
const readCacheLimit = 50_000

// readCache keeps what is read on nearly every request. An entry is used
// only while two things hold:
//
//   - No write of this process has begun since it was read: every write
//     transaction makes a local generation odd when it takes the write lock
//     and even again when it ends, so a request that writes and then reads
//     never reads what was there before its own write.
//   - The database's change counters (see changes.go), as the request read
//     them, are the ones the entry was read under: triggers bump them in
//     every transaction that changes what the entry was read from, whoever
//     commits it. So a request sees every write committed before it began,
//     by this process or any other.
//
// There are five scopes, so that frequent writes end only what they may
// change:
//   - access ends with writes to tokens, grants, policies and
//     notifications (approvals, settings saves, new tokens), and with
//     every directory write;
//   - tokenRows ends when tokens are deleted or changed (but for their
//     last use), and with every directory write: a token's grant's status
//     is cached apart, under access;
//   - sessions ends when sessions start, end or change hands, and with
//     every directory write; a touch that only moves a session's use and
//     expiry forward does not end it (an expiry read earlier is only ever
//     earlier than the true one, and is checked again before it counts);
//   - issues ends when issues are created (repositories' open issue
//     counts), and with every directory write;
//   - directory ends only with the rare writes that may change users,
//     organizations, memberships or repositories.
type readCache struct {
	access    generation
	tokenRows generation
	sessions  generation
	issues    generation
	directory generation
	mu        sync.RWMutex
	// Under tokenRows.
	tokens map[string]cached[APIToken]
	// Under sessions.
	sessionRows map[string]cached[Session]
	// Under issues.
	issueCounts map[int64]cached[int]
	// Under access.
	grants      map[int64]cached[grantRef] // by token
	orgs        map[string]cached[OrgAccess]
	users       map[int64]cached[User]
	policies    map[int64]cached[OrgPolicy]
	grantCounts map[grantCountKey]cached[int]
	// Under directory.
	orgLogins map[string]cached[Org]
	roles     map[[2]int64]cached[Role]
	members   map[int64]cached[[]Member]
	repos     map[int64]cached[[]Repo]
}

// generation counts the ends of write transactions. It is odd from a
// write's begin to its end (unless the next write begins before the
// previous one has ended, which only makes entries stored meanwhile
// invalid sooner): an entry stored before a write's end never outlives it.
//
// tag picks, from the database's change counters, the ones its entries
// depend on, summed: the sum moves whenever one of them does.
type generation struct {
	n   atomic.Uint64
	tag func(counters) uint64
}

func (g *generation) begin() { g.n.Add(1) }

func (g *generation) end() { g.n.Add(1) }

type cached[V any] struct {
	gen uint64 // the local generation it was read in
	tag uint64 // the change counters it was read under
	val V
}

func newReadCache() *readCache {
	c := &readCache{
		tokens:      map[string]cached[APIToken]{},
		sessionRows: map[string]cached[Session]{},
		issueCounts: map[int64]cached[int]{},
		grants:      map[int64]cached[grantRef]{},
		orgs:        map[string]cached[OrgAccess]{},
		users:       map[int64]cached[User]{},
		policies:    map[int64]cached[OrgPolicy]{},
		grantCounts: map[grantCountKey]cached[int]{},
		orgLogins:   map[string]cached[Org]{},
		roles:       map[[2]int64]cached[Role]{},
		members:     map[int64]cached[[]Member]{},
		repos:       map[int64]cached[[]Repo]{},
	}
	c.access.tag = func(n counters) uint64 { return n.access + n.directory }
	c.tokenRows.tag = func(n counters) uint64 { return n.tokenRows + n.directory }
	c.sessions.tag = func(n counters) uint64 { return n.sessions + n.directory }
	c.issues.tag = func(n counters) uint64 { return n.issues + n.directory }
	c.directory.tag = func(n counters) uint64 { return n.directory }
	return c
}

// cacheScope is which cached reads a write transaction may change.
type cacheScope uint8

// generations lists the generations a write in scope ends.
func (c *readCache) generations(scope cacheScope) []*generation {
	var gs []*generation
	if scope&(changesAccess|changesDirectory) != 0 {
		gs = append(gs, &c.access)
	}
	if scope&(changesTokenRows|changesDirectory) != 0 {
		gs = append(gs, &c.tokenRows)
	}
	if scope&(changesSessions|changesDirectory) != 0 {
		gs = append(gs, &c.sessions)
	}
	if scope&(changesIssues|changesDirectory) != 0 {
		gs = append(gs, &c.issues)
	}
	if scope&changesDirectory != 0 {
		gs = append(gs, &c.directory)
	}
	return gs
}

// begin ends the generations a write in scope may change; end starts them
// again.
func (c *readCache) begin(scope cacheScope) {
	for _, g := range c.generations(scope) {
		g.begin()
	}
}

func (c *readCache) end(scope cacheScope) {
	for _, g := range c.generations(scope) {
		g.end()
	}
}

// through returns m's entry for key if it was read in g's current local
// generation under the change counters ctx goes by (see readCache), or
// loads it and keeps it if no write of this process began meanwhile. When
// the counters cannot be read, it loads without the cache.
//
// The load is a few point lookups whose result is kept for other requests:
// it runs on pointRead(ctx).
func through[K comparable, V any](ctx context.Context, s *Store, g *generation, m map[K]cached[V], key K, load func(context.Context) (V, error)) (V, error) {
	c := s.cache
	// The counters first: reading them may set every generation aside
	// (counters that went back).
	n, err := s.counters(ctx)
	if err != nil {
		return load(pointRead(ctx))
	}
	gen := g.n.Load()
	tag := g.tag(n)
	if gen%2 == 0 {
		c.mu.RLock()
		e, ok := m[key]
		c.mu.RUnlock()
		if ok && e.gen == gen && e.tag == tag {
			return e.val, nil
		}
	}
	v, err := load(pointRead(ctx))
	if err != nil || gen%2 != 0 {
		return v, err
	}
	c.mu.Lock()
	if g.n.Load() == gen {
		if len(m) >= readCacheLimit {
			clear(m)
		}
		m[key] = cached[V]{gen: gen, tag: tag, val: v}
	}
	c.mu.Unlock()
	return v, nil
}
