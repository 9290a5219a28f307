package db

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"sync"
	"sync/atomic"
	"time"
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
// Most of the time nothing at all has been committed since the last read,
// and the WAL index tells so for the price of reading 48 bytes: see
// walIndex. The counters are then the last read's.
type changeReader struct {
	db   *sql.DB
	stmt *sql.Stmt // changeCountersQuery, prepared once
	wal  *walIndex // nil where the WAL index cannot be read
	// quiet is the last read that succeeded, with the WAL index header
	// seen before it began.
	quiet atomic.Pointer[quietRead]

	mu       sync.Mutex
	started  uint64        // reads begun so far; read n is the n-th
	finished uint64        // the number of the read whose result is in last
	last     counters      // its result
	lastErr  error         // and its error
	inflight chan struct{} // closed when the read under way ends; nil if none
}

// quietRead is a read of the counters and what the WAL index header was
// just before it began.
type quietRead struct {
	header [walHeaderSize]byte
	at     time.Time
	c      counters
}

// quietFor bounds how long a read is trusted on the WAL index's word alone;
// after that the counters are read again anyway, in case the file the index
// was opened from is no longer the database's (replaced while running).
const quietFor = time.Second

// read returns counters at least as new as every commit that ended before
// it was called.
func (r *changeReader) read(ctx context.Context) (counters, error) {
	if r.wal != nil {
		// A commit changes the header before it is reported done, so if the
		// header is still what it was before the last read began, nothing
		// was committed since, and that read's counters are current.
		if q := r.quiet.Load(); q != nil && time.Since(q.at) < quietFor {
			if h, ok := r.wal.header(); ok && h == q.header {
				return q.c, nil
			}
		}
	}
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

		var (
			c        counters
			began    = time.Now()
			h, quiet = r.wal.header()
		)
		// Shared with other callers: it runs to its end whatever ctx does.
		err := r.stmt.QueryRowContext(pointRead(ctx)).
			Scan(&c.directory, &c.access, &c.tokenRows, &c.sessions, &c.issues)
		if err == nil && quiet {
			r.quiet.Store(&quietRead{header: h, at: began, c: c})
		}

		r.mu.Lock()
		r.last, r.lastErr, r.finished, r.inflight = c, err, n, nil
		close(ch)
	}
}

// newChangeReader prepares the read on db, a connection of its own to the
// database at path.
func newChangeReader(ctx context.Context, db *sql.DB, path string) (*changeReader, error) {
	stmt, err := db.PrepareContext(ctx, changeCountersQuery)
	if err != nil {
		return nil, err
	}
	// The index exists once a connection has opened the database in WAL
	// mode: prepare has done that.
	return &changeReader{db: db, stmt: stmt, wal: openWALIndex(path)}, nil
}

func (r *changeReader) close() error {
	return errors.Join(r.wal.close(), r.stmt.Close(), r.db.Close())
}

// walHeaderSize is the size of the WAL index header.
const walHeaderSize = 48

// walIndex reads the header of SQLite's WAL index, the "-shm" file beside
// a database in WAL mode, which every connection of every process maps to
// coordinate. Its first 48 bytes are the header of the WAL as committed;
// among them a counter that every commit increments and the WAL's frame
// count and salts, which checkpoints and restarts change. A commit writes
// them before it returns. So two equal reads of the header mean that no
// transaction was committed in between; a read that tears against a commit
// in progress only looks changed, which costs one needless counter read.
//
// It is read with pread, not mapped: a mapping would fault if another
// process truncated the file, and 48 bytes cost a system call either way.
type walIndex struct{ f *os.File }

// openWALIndex opens the index of the database at path, or answers nil
// (the counters are then read every time).
func openWALIndex(path string) *walIndex {
	f, err := os.Open(path + "-shm")
	if err != nil {
		return nil
	}
	w := &walIndex{f: f}
	if _, ok := w.header(); !ok {
		f.Close()
		return nil
	}
	return w
}

// header reads the header; ok is false when it cannot be read or is not
// initialised.
func (w *walIndex) header() (h [walHeaderSize]byte, ok bool) {
	if w == nil {
		return h, false
	}
	n, err := w.f.ReadAt(h[:], 0)
	// Byte 12 is isInit: 1 once a connection has built the index.
	return h, err == nil && n == walHeaderSize && h[12] == 1
}

func (w *walIndex) close() error {
	if w == nil {
		return nil
	}
	return w.f.Close()
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
