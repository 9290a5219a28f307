package db

import (
	"context"
	"database/sql"
	"errors"
	"sync"
)

// counters is one reading of the change_counters row, which triggers bump
// in the transaction of every change to what the caches hold, whoever
// writes: this process, another server on the same database, the
// 'patpolicy user' commands or a shell.
type counters struct {
	directory, access, tokenRows, sessions, issues uint64
}

const changeCountersQuery = `SELECT directory, access, token_rows, sessions, issues FROM change_counters WHERE id = 1`

// changeReader reads the counters on a connection of its own, so that the
// read never waits behind list pages in the reader pool, and lets callers
// share a read: a caller takes the result of a read that began after the
// caller asked, never of one that began before (it could have missed a
// commit that the caller must see).
//
// Most of the time nothing at all has been committed since the last read.
// SQLite says so itself: PRAGMA data_version, asked on a connection that
// never writes, changes whenever any other connection, of this process or
// another, has committed since it was last asked. Only when it has changed
// are the counters read again.
type changeReader struct {
	db      *sql.DB
	stmt    *sql.Stmt // changeCountersQuery, prepared once
	version *sql.Stmt // PRAGMA data_version, prepared once
	// regressed is called when the counters go back (a backup restored
	// under a running server): every cached value must go.
	regressed func()

	mu       sync.Mutex
	started  uint64        // reads begun so far; read n is the n-th
	finished uint64        // the number of the read whose result is in last
	last     counters      // its result
	lastVer  int64         // data_version just before its counters were read
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
		prev, prevVer, prevOK := r.last, r.lastVer, r.finished > 0 && r.lastErr == nil
		r.mu.Unlock()

		// Shared with other callers: it runs to its end whatever ctx does.
		c, ver, err := r.query(pointRead(ctx), prev, prevVer, prevOK)

		r.mu.Lock()
		r.last, r.lastVer, r.lastErr, r.finished, r.inflight = c, ver, err, n, nil
		close(ch)
	}
}

// query asks data_version and, unless it is the one the previous read
// (prev, if ok) saw, reads the counters. The version is asked first, so
// the counters read are at least as new as it says.
func (r *changeReader) query(ctx context.Context, prev counters, prevVer int64, ok bool) (counters, int64, error) {
	var ver int64
	if err := r.version.QueryRowContext(ctx).Scan(&ver); err != nil {
		return counters{}, 0, err
	}
	if ok && ver == prevVer {
		return prev, ver, nil
	}
	var c counters
	if err := r.stmt.QueryRowContext(ctx).Scan(&c.directory, &c.access, &c.tokenRows, &c.sessions, &c.issues); err != nil {
		return counters{}, 0, err
	}
	if ok && c.before(prev) && r.regressed != nil {
		r.regressed()
	}
	return c, ver, nil
}

// before reports whether any counter of c is lower than in o.
func (c counters) before(o counters) bool {
	return c.directory < o.directory || c.access < o.access || c.tokenRows < o.tokenRows ||
		c.sessions < o.sessions || c.issues < o.issues
}

// newChangeReader prepares the reads on db, a connection of its own.
func newChangeReader(ctx context.Context, db *sql.DB, regressed func()) (*changeReader, error) {
	stmt, err := db.PrepareContext(ctx, changeCountersQuery)
	if err != nil {
		return nil, err
	}
	version, err := db.PrepareContext(ctx, `PRAGMA data_version`)
	if err != nil {
		stmt.Close()
		return nil, err
	}
	return &changeReader{db: db, stmt: stmt, version: version, regressed: regressed}, nil
}

func (r *changeReader) close() error {
	return errors.Join(r.version.Close(), r.stmt.Close(), r.db.Close())
}

type snapshotKey struct{}

// snapshot holds the counters of one request, read at its first cached read
// and again at the first after each of its own writes.
type snapshot struct {
	mu   sync.Mutex
	read bool
	c    counters
	err  error
}

// Consistent returns a context under which the store's cached reads reflect
// every write committed, by any process, before the first of them: the
// counters are read once, when the first cached read needs them, and every
// cached value older than them is read again. A write through the context
// has them read again at the next cached read, so that what a request does
// after a write (a refused save shows the values in force) sees everything
// committed before the write ended. Serving layers call it once per
// request. Without it, each cached read checks the counters itself.
func (s *Store) Consistent(ctx context.Context) context.Context {
	return context.WithValue(ctx, snapshotKey{}, &snapshot{})
}

// counters returns the counters that ctx's cached reads go by.
func (s *Store) counters(ctx context.Context) (counters, error) {
	sn, ok := ctx.Value(snapshotKey{}).(*snapshot)
	if !ok {
		return s.changes.read(ctx)
	}
	sn.mu.Lock()
	defer sn.mu.Unlock()
	if !sn.read {
		sn.c, sn.err = s.changes.read(ctx)
		sn.read = sn.err == nil
	}
	return sn.c, sn.err
}

// wrote tells ctx's snapshot, if any, that the request wrote: its next
// cached read reads the counters again.
func wrote(ctx context.Context) {
	if sn, ok := ctx.Value(snapshotKey{}).(*snapshot); ok {
		sn.mu.Lock()
		sn.read = false
		sn.mu.Unlock()
	}
}
