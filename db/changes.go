package db

import (
	"context"
	"database/sql"
	"errors"
	"sync"
	"sync/atomic"
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
//
// PostgreSQL has nothing like data_version: there the counters are read
// every time, one indexed row on a prepared statement.
type changeReader struct {
	dialect dialect
	db      *sql.DB // a pool of one connection, which the reads pin
	// conn is the pinned connection with its statements, used only by the
	// read in flight. data_version's values are a connection's own, so a
	// connection must never change under the reads unnoticed (as the pool
	// would after a broken connection): after any error it is let go, and
	// the next read pins a new one and reads the counters whatever
	// data_version says.
	conn    *sql.Conn
	stmt    *sql.Stmt // changeCountersQuery
	version *sql.Stmt // PRAGMA data_version; nil on PostgreSQL
	// regressed is called when the counters go back (a backup restored
	// under a running server): every cached value must go.
	regressed func()

	mu       sync.Mutex
	started  atomic.Uint64 // reads begun so far; read n is the n-th (written under mu)
	finished uint64        // the number of the read whose result is in last
	last     counters      // its result
	lastVer  int64         // data_version just before its counters were read
	lastErr  error         // and its error
	inflight chan struct{} // closed when the read under way ends; nil if none
}

// read returns counters at least as new as every commit that ended before
// it was called.
func (r *changeReader) read(ctx context.Context) (counters, error) {
	return r.readSince(ctx, r.ticket())
}

// ticket marks a moment: readSince(ticket) is satisfied by any read that
// began after it.
func (r *changeReader) ticket() uint64 { return r.started.Load() }

// readSince returns counters at least as new as every commit that ended
// before ticket was taken.
func (r *changeReader) readSince(ctx context.Context, ticket uint64) (counters, error) {
	r.mu.Lock()
	want := ticket + 1 // the first read to begin after the ticket
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
		n, ch := r.started.Add(1), make(chan struct{})
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
// (prev, if ok) saw on the same connection, reads the counters. The version
// is asked first, so the counters read are at least as new as it says.
func (r *changeReader) query(ctx context.Context, prev counters, prevVer int64, ok bool) (counters, int64, error) {
	if r.conn == nil {
		if err := r.pin(ctx); err != nil {
			return counters{}, 0, err
		}
		ok = false // another connection's versions are not these
	}
	var ver int64
	if r.version != nil {
		if err := r.version.QueryRowContext(ctx).Scan(&ver); err != nil {
			r.unpin()
			return counters{}, 0, err
		}
		if ok && ver == prevVer {
			return prev, ver, nil
		}
	}
	// Without a version to go by (PostgreSQL) the counters are read every
	// time, and still compared with prev: counters that went back must set
	// the caches aside on either backend.
	var c counters
	if err := r.stmt.QueryRowContext(ctx).Scan(&c.directory, &c.access, &c.tokenRows, &c.sessions, &c.issues); err != nil {
		r.unpin()
		return counters{}, 0, err
	}
	if ok && c.before(prev) && r.regressed != nil {
		r.regressed()
	}
	return c, ver, nil
}

// pin takes a connection from the pool and prepares the reads on it.
func (r *changeReader) pin(ctx context.Context) error {
	conn, err := r.db.Conn(ctx)
	if err != nil {
		return err
	}
	stmt, err := conn.PrepareContext(ctx, changeCountersQuery)
	if err != nil {
		conn.Close()
		return err
	}
	r.conn, r.stmt = conn, stmt
	if r.dialect == postgresDialect {
		return nil
	}
	version, err := conn.PrepareContext(ctx, `PRAGMA data_version`)
	if err != nil {
		r.unpin()
		return err
	}
	r.version = version
	return nil
}

// unpin lets the connection go, with its statements.
func (r *changeReader) unpin() error {
	if r.conn == nil {
		return nil
	}
	var err error
	if r.version != nil {
		err = r.version.Close()
	}
	err = errors.Join(err, r.stmt.Close(), r.conn.Close())
	r.conn, r.stmt, r.version = nil, nil, nil
	return err
}

// before reports whether any counter of c is lower than in o.
func (c counters) before(o counters) bool {
	return c.directory < o.directory || c.access < o.access || c.tokenRows < o.tokenRows ||
		c.sessions < o.sessions || c.issues < o.issues
}

// newChangeReader prepares the reads on db, a pool of one connection of
// their own.
func newChangeReader(ctx context.Context, d dialect, db *sql.DB, regressed func()) (*changeReader, error) {
	r := &changeReader{dialect: d, db: db, regressed: regressed}
	if err := r.pin(ctx); err != nil {
		return nil, err
	}
	return r, nil
}

func (r *changeReader) close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return errors.Join(r.unpin(), r.db.Close())
}

type snapshotKey struct{}

// snapshot holds the counters of one request, read at its first cached read
// and again at the first after each of its own writes.
type snapshot struct {
	mu sync.Mutex
	// since is when the request began: a read of the counters that began
	// after it will do, even one that began before the request needed it.
	since uint64
	read  bool
	c     counters
	err   error
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
	return context.WithValue(ctx, snapshotKey{}, &snapshot{since: s.changes.ticket()})
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
		sn.c, sn.err = s.changes.readSince(ctx, sn.since)
		sn.read = sn.err == nil
	}
	return sn.c, sn.err
}

// wrote tells ctx's snapshot, if any, that the request wrote: its next
// cached read reads the counters again.
func (s *Store) wrote(ctx context.Context) {
	if sn, ok := ctx.Value(snapshotKey{}).(*snapshot); ok {
		sn.mu.Lock()
		// Counters read after the write ended, this time.
		sn.read, sn.since = false, s.changes.ticket()
		sn.mu.Unlock()
	}
}
