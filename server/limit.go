package server

import (
	"net/http"
	"runtime"
	"slices"
	"strconv"
	"sync"

	"github.com/labstack/echo/v4"

	"patpolicy/db"
	"patpolicy/handlers/api"
	"patpolicy/web/guard"
)

// DefaultHeavyLimit lets heavy routes use half the processors (at least
// one), leaving the rest to everything else.
func DefaultHeavyLimit() int {
	return max(1, runtime.NumCPU()/2)
}

// limitConcurrency lets at most n requests through at once. The others
// wait, however long it takes unless their client goes away first, and are
// let through fairly: between the keys key gives (the organization, or the
// enterprise, a request is about) and, within a key, between users, so
// that one owner's flood of requests delays another organization's by
// about one turn and not by the length of the flood. A request whose
// client leaves while it waits never runs.
func limitConcurrency(n int, key func(echo.Context) (group, user string)) echo.MiddlewareFunc {
	l := newFairLimiter(n)
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			group, user := key(c)
			ctx := c.Request().Context()
			if !l.acquire(ctx.Done(), group, user) {
				// No one is left to read an answer.
				return echo.NewHTTPError(http.StatusServiceUnavailable, "The request was cancelled while it waited.").
					SetInternal(ctx.Err())
			}
			defer l.release(group, user)
			return next(c)
		}
	}
}

// heavyKey is who a heavy request is fair to: the organization or
// enterprise of its path (folded as logins compare, ASCII letters only)
// and the signed-in user, or on the API the token's user. It runs after
// the access guard, which has loaded whichever applies.
func heavyKey(c echo.Context) (group, user string) {
	switch {
	case c.Param("org") != "":
		group = "org:" + db.FoldLogin(c.Param("org"))
	case c.Param("ent") != "":
		group = "enterprise:" + db.FoldLogin(c.Param("ent"))
	}
	var id int64
	if u := guard.User(c); u != nil {
		id = u.ID
	} else {
		id = api.CallerID(c)
	}
	return group, strconv.FormatInt(id, 10)
}

// fairLimiter hands out n slots. A request finding a slot free and no one
// waiting takes it; otherwise it waits in its group's queue, and within it
// in its user's. Each freed slot goes straight to the next waiter, picked
// at both levels by start-time fair queuing with every request counted as
// one unit of work: a queue's next turn is numbered one after its
// previous turn, but never below the number of the turn given last, and
// the lowest number goes first (the queue that started waiting first among
// equals). A newcomer thus goes ahead of a flood that has just had its
// turn, and no stream of new keys can starve a waiting one: their numbers
// start at the latest turn given, which only grows.
type fairLimiter struct {
	mu     sync.Mutex
	free   int
	groups level
}

func newFairLimiter(n int) *fairLimiter {
	return &fairLimiter{free: n, groups: newLevel()}
}

// waiter is one waiting request; ready is closed when it is given a slot.
type waiter struct {
	ready   chan struct{}
	granted bool
}

// acquire takes a slot for a request of user in group, waiting for it
// until done is closed; then it reports false and takes none.
func (l *fairLimiter) acquire(done <-chan struct{}, group, user string) bool {
	path := []string{group, user}
	l.mu.Lock()
	if l.free > 0 && len(l.groups.backlog) == 0 {
		l.free--
		l.groups.start(path)
		l.mu.Unlock()
		return true
	}
	w := &waiter{ready: make(chan struct{})}
	l.groups.push(path, w)
	l.mu.Unlock()

	select {
	case <-w.ready:
	case <-done:
	}
	select {
	case <-done:
		// Cancelled, even if a slot came at the same moment: pass it on.
		l.mu.Lock()
		if w.granted {
			l.releaseLocked(path)
		} else {
			l.groups.remove(path, w)
		}
		l.mu.Unlock()
		return false
	default:
		return true
	}
}

// release gives back the slot of a request of user in group.
func (l *fairLimiter) release(group, user string) {
	l.mu.Lock()
	l.releaseLocked([]string{group, user})
	l.mu.Unlock()
}

func (l *fairLimiter) releaseLocked(path []string) {
	l.groups.done(path)
	if w := l.groups.pop(); w != nil {
		w.granted = true
		close(w.ready)
		return
	}
	l.free++
}

// level is one level of the fair queue: its queues by key, those with
// waiters in the order they started waiting, and the turn being served.
type level struct {
	turn    uint64
	queues  map[string]*queue
	backlog []*queue
}

// queue is a key's state: kept while it has requests waiting or running,
// so that one whose last turn was just now waits for the others.
type queue struct {
	key string
	// next is the number of its next turn once it waits; after is the
	// number after its latest turn.
	next, after uint64
	waiting     int
	active      int // waiting and running
	sub         *level
	waiters     []*waiter // at the last level, first come first served
}

func newLevel() level { return level{queues: map[string]*queue{}} }

func (l *level) queue(key string, last bool) *queue {
	q := l.queues[key]
	if q == nil {
		q = &queue{key: key}
		if !last {
			sub := newLevel()
			q.sub = &sub
		}
		l.queues[key] = q
	}
	return q
}

// start counts a request that runs at once, as a turn of its queues.
func (l *level) start(path []string) {
	q := l.queue(path[0], len(path) == 1)
	q.active++
	l.turn = max(l.turn, q.after)
	q.after = l.turn + 1
	if q.sub != nil {
		q.sub.start(path[1:])
	}
}

// push queues a waiter.
func (l *level) push(path []string, w *waiter) {
	q := l.queue(path[0], len(path) == 1)
	q.active++
	q.waiting++
	if q.waiting == 1 {
		q.next = max(l.turn, q.after)
		l.backlog = append(l.backlog, q)
	}
	if q.sub != nil {
		q.sub.push(path[1:], w)
	} else {
		q.waiters = append(q.waiters, w)
	}
}

// pop takes the next waiter, nil when none waits.
func (l *level) pop() *waiter {
	if len(l.backlog) == 0 {
		return nil
	}
	i := 0
	for j, q := range l.backlog {
		if q.next < l.backlog[i].next {
			i = j
		}
	}
	q := l.backlog[i]
	l.turn = q.next
	q.after = q.next + 1
	q.waiting--
	if q.waiting == 0 {
		l.backlog = slices.Delete(l.backlog, i, i+1)
	} else {
		q.next = q.after
	}
	if q.sub != nil {
		return q.sub.pop()
	}
	w := q.waiters[0]
	q.waiters = slices.Delete(q.waiters, 0, 1)
	return w
}

// remove drops a waiter that gave up.
func (l *level) remove(path []string, w *waiter) {
	q := l.queues[path[0]]
	q.waiting--
	if q.waiting == 0 {
		l.backlog = slices.DeleteFunc(l.backlog, func(b *queue) bool { return b == q })
	}
	if q.sub != nil {
		q.sub.remove(path[1:], w)
	} else {
		q.waiters = slices.DeleteFunc(q.waiters, func(b *waiter) bool { return b == w })
	}
	l.forget(q)
}

// done counts a running request's end.
func (l *level) done(path []string) {
	q := l.queues[path[0]]
	if q.sub != nil {
		q.sub.done(path[1:])
	}
	l.forget(q)
}

// forget counts a request gone from q, and drops q with its last.
func (l *level) forget(q *queue) {
	q.active--
	if q.active == 0 {
		delete(l.queues, q.key)
	}
}
