package db

import (
	"context"
	"database/sql"
	"sync"
)

// counters is one reading of the change_counters row, which triggers bump
// in the transaction of every change to what the caches hold, whoever
// writes: this process, another server on the same database, the
// 'patpolicy user' commands or a shell.
type counters struct {
	directory, access, tokenRows, sessions uint64
}

const changeCountersQuery = `SELECT directory, access, token_rows, sessions FROM change_counters WHERE id = 1`

// changeReader reads the counters on a connection of its own, so that the
// read never waits behind list pages in the reader pool, and lets callers
// share a read: a caller takes the result of a read that began after the
// caller asked, never of one that began before (it could have missed a
// commit that the caller must see).
type changeReader struct {
	db *sql.DB

	mu       sync.Mutex
	started  uint64        // reads begun so far; read n is the n-th
	finished uint64        // the number of the read whose result is in last
	last     counters      // its result
	lastErr  error         // and its error
	inflight chan struct{} // closed when the read under way ends; nil if none
}

// read returns counters at least as new as every commit that ended before
// it was called.
func (r *changeReader) read(ctx context.Context) (counters, error) {
	r.mu.Lock()
	want := r.started + 1 // the first read to begin after now
	for {
		if r.finished >= want {
			c, err := r.last, r.lastErr
			r.mu.Unlock()
			return c, err
		}
		if ch := r.inflight; ch != nil {
			// A read began before us, or one we can use began after us:
			// wait for it, then look again.
			r.mu.Unlock()
			select {
			case <-ch:
			case <-ctx.Done():
				return counters{}, ctx.Err()
			}
			r.mu.Lock()
			continue
		}
		r.started++
		n, ch := r.started, make(chan struct{})
		r.inflight = ch
		r.mu.Unlock()

		var c counters
		// Shared with other callers: it runs to its end whatever ctx does.
		err := r.db.QueryRowContext(pointRead(ctx), changeCountersQuery).
			Scan(&c.directory, &c.access, &c.tokenRows, &c.sessions)

		r.mu.Lock()
		r.last, r.lastErr, r.finished, r.inflight = c, err, n, nil
		close(ch)
	}
}

type snapshotKey struct{}

// snapshot holds the counters of one request, read at its first cached read.
type snapshot struct {
	once sync.Once
	c    counters
	err  error
}

// Consistent returns a context under which the store's cached reads reflect
// every write committed, by any process, before the first of them: the
// counters are read once, when the first cached read needs them, and every
// cached value older than them is read again. Serving layers call it once
// per request. Without it, each cached read checks the counters itself.
func (s *Store) Consistent(ctx context.Context) context.Context {
	return context.WithValue(ctx, snapshotKey{}, &snapshot{})
}

// counters returns the counters that ctx's cached reads go by.
func (s *Store) counters(ctx context.Context) (counters, error) {
	sn, ok := ctx.Value(snapshotKey{}).(*snapshot)
	if !ok {
		return s.changes.read(ctx)
	}
	sn.once.Do(func() { sn.c, sn.err = s.changes.read(ctx) })
	return sn.c, sn.err
}
