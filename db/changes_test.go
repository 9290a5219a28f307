package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// otherProcess opens a plain connection to s's database, as another server
// or the database's shell would: its writes pass by s entirely.
func otherProcess(t *testing.T, s *Store) *sql.DB {
	t.Helper()
	conn, err := OpenRaw(locationOf(t, s))
	if err != nil {
		t.Fatal(err)
	}
	conn.SetMaxOpenConns(1)
	t.Cleanup(func() { conn.Close() })
	return conn
}

func TestChangeCountersMoveWithWhatCachesHold(t *testing.T) {
	d := seededTest(t)
	ctx := context.Background()
	other := otherProcess(t, d.s)
	var tokenID int64
	if err := d.s.read.QueryRow(`SELECT id FROM tokens LIMIT 1`).Scan(&tokenID); err != nil {
		t.Fatal(err)
	}
	id := make([]byte, 32)
	if err := d.s.StartSession(ctx, NewSession{ID: id, UserID: d.users["mona"], Now: time.Now(), ExpiresAt: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	now := timestamp(time.Now())
	for _, c := range []struct {
		name  string
		query string
		args  []any
		moves func(counters) uint64 // nil: nothing moves
	}{
		{"a user renamed", `UPDATE users SET name = 'M' WHERE id = ?`, []any{d.users["mona"]}, func(c counters) uint64 { return c.directory }},
		{"a membership removed", `DELETE FROM memberships WHERE user_id = ?`, []any{d.users["hubot"]}, func(c counters) uint64 { return c.directory }},
		{"a repository added", `INSERT INTO repositories (org_id, name, private, created_at) VALUES (?, 'new', 1, ?)`, []any{d.orgs["octo-org"], now}, func(c counters) uint64 { return c.directory }},
		{"a policy changed", `UPDATE org_policies SET fine_grained_access = 'restrict' WHERE org_id = ?`, []any{d.orgs["octo-org"]}, func(c counters) uint64 { return c.access }},
		{"a grant revoked", `UPDATE grants SET status = 'revoked' WHERE token_id = ?`, []any{tokenID}, func(c counters) uint64 { return c.access }},
		{"a token expired", `UPDATE tokens SET expires_at = ? WHERE id = ?`, []any{now, tokenID}, func(c counters) uint64 { return c.tokenRows }},
		{"a token's permission changed", `UPDATE token_permissions SET level = 'write' WHERE token_id = ?`, []any{tokenID}, func(c counters) uint64 { return c.tokenRows }},
		{"a session ended", `DELETE FROM sessions WHERE id = ?`, []any{id}, func(c counters) uint64 { return c.sessions }},
		{"an issue created", `INSERT INTO issues (repo_id, number, title, user_id, created_at) SELECT id, 1, 't', ?, ? FROM repositories LIMIT 1`, []any{d.users["mona"], now}, func(c counters) uint64 { return c.issues }},
		{"a token used", `UPDATE tokens SET last_used_at = ? WHERE id = ?`, []any{now, tokenID}, nil},
		{"an audit event", `INSERT INTO audit_events (org_id, action, actor_id, details, created_at) VALUES (?, 'x', ?, '', ?)`, []any{d.orgs["octo-org"], d.users["mona"], now}, nil},
	} {
		before, err := d.s.changes.read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := other.Exec(c.query, c.args...); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		after, err := d.s.changes.read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case c.moves == nil && after != before:
			t.Errorf("%s: counters moved from %+v to %+v; nothing cached depends on it", c.name, before, after)
		case c.moves != nil && c.moves(after) <= c.moves(before):
			t.Errorf("%s: its counter did not move (%+v, then %+v)", c.name, before, after)
		}
	}
}

// TestChangeReadsNeverPredateTheirCaller: whatever committed before a call
// to read began is in its answer, however many callers share reads, while
// another process commits all the time.
func TestChangeReadsNeverPredateTheirCaller(t *testing.T) {
	d := seededTest(t)
	other := otherProcess(t, d.s)
	ctx := context.Background()
	base, err := d.s.changes.read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var committed atomic.Uint64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := other.Exec(`UPDATE users SET name = ? WHERE id = ?`, fmt.Sprint(i), d.users["mona"]); err != nil {
				t.Error(err)
				return
			}
			committed.Add(1)
		}
	}()
	var readers sync.WaitGroup
	for range 8 {
		readers.Add(1)
		go func() {
			defer readers.Done()
			for range 200 {
				seen := committed.Load()
				c, err := d.s.changes.read(ctx)
				if err != nil {
					t.Error(err)
					return
				}
				if c.directory < base.directory+seen {
					t.Errorf("a read answered %d after %d commits had ended (from %d)", c.directory, seen, base.directory)
					return
				}
			}
		}()
	}
	readers.Wait()
	close(stop)
	wg.Wait()
}

// TestConsistentContextReadsCountersOnce: under one request's context the
// counters are read once, so a write by another process after that is seen
// by the next request, not in the middle of this one; this process's own
// writes are seen at once all the same.
func TestConsistentContextReadsCountersOnce(t *testing.T) {
	d := seededTest(t)
	other := otherProcess(t, d.s)
	req := d.s.Consistent(context.Background())
	org, err := d.s.OrgByLogin(req, "octo-org")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.Exec(`UPDATE organizations SET name = 'Renamed elsewhere' WHERE id = ?`, org.ID); err != nil {
		t.Fatal(err)
	}
	if got, _ := d.s.OrgByLogin(req, "octo-org"); got.Name != org.Name {
		t.Errorf("the same request read %q; its counters were read before the change", got.Name)
	}
	next := d.s.Consistent(context.Background())
	if got, _ := d.s.OrgByLogin(next, "octo-org"); got.Name != "Renamed elsewhere" {
		t.Errorf("the next request read %q, want the other process's change", got.Name)
	}
	// After a write of its own (here one that changes nothing, like a
	// save refused as stale), the request sees what others committed
	// before it: the counters are read again.
	if _, err := other.Exec(`UPDATE organizations SET name = 'Renamed again' WHERE id = ?`, org.ID); err != nil {
		t.Fatal(err)
	}
	if err := d.s.writeTx(req, changesNothingCached, func(tx *sql.Tx) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if got, _ := d.s.OrgByLogin(req, "octo-org"); got.Name != "Renamed again" {
		t.Errorf("after a write of its own the request read %q, want what was committed before it", got.Name)
	}
	// Its own write: the local generation ends the entry within the request.
	if err := d.s.inTx(req, func(tx *sql.Tx) error {
		_, err := tx.Exec(`UPDATE organizations SET name = 'Renamed here' WHERE id = ?`, org.ID)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if got, _ := d.s.OrgByLogin(req, "octo-org"); got.Name != "Renamed here" {
		t.Errorf("after its own write the request read %q", got.Name)
	}
}

// BenchmarkChangeRead is the cost every request pays once: a read of the
// change counters, callers one at a time, so that no read is shared.
// "quiet": nothing was committed since the last read (data_version alone);
// "counters": the counters row is read as well, as after a commit.
func BenchmarkChangeRead(b *testing.B) {
	s := openTest(b)
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		read func() error
	}{
		{"quiet", func() error { _, err := s.changes.read(ctx); return err }},
		{"counters", func() error { _, _, err := s.changes.query(ctx, counters{}, 0, false); return err }},
	} {
		b.Run(tc.name, func(b *testing.B) {
			cpu := cpuTime()
			for b.Loop() {
				if err := tc.read(); err != nil {
					b.Fatal(err)
				}
			}
			// CPU time as well as wall time: the machine may be busy.
			b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N), "cpu-ns/op")
		})
	}
}

// cpuTime is the CPU time this process has used so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// Repositories' issue counts are cached; an issue created here or by
// another process shows in the next count.
func TestOpenIssueCountsFollowNewIssues(t *testing.T) {
	d := seededTest(t)
	other := otherProcess(t, d.s)
	ctx := context.Background()
	repos, err := d.s.ReposOf(ctx, d.orgs["octo-org"])
	if err != nil || len(repos) == 0 {
		t.Fatal(repos, err)
	}
	repo := repos[0].ID
	count := func() int {
		t.Helper()
		m, err := d.s.OpenIssueCounts(ctx, []int64{repo})
		if err != nil {
			t.Fatal(err)
		}
		return m[repo]
	}
	if n := count(); n != 0 {
		t.Fatalf("a new repository has %d issues", n)
	}
	if _, err := d.s.CreateIssue(ctx, NewIssue{RepoID: repo, UserID: d.users["mona"], Title: "here"}); err != nil {
		t.Fatal(err)
	}
	if n := count(); n != 1 {
		t.Errorf("after an issue created here: %d issues, want 1", n)
	}
	if _, err := other.Exec(`INSERT INTO issues (repo_id, number, title, user_id, created_at) VALUES (?, 2, 'there', ?, ?)`,
		repo, d.users["mona"], timestamp(time.Now())); err != nil {
		t.Fatal(err)
	}
	if n := count(); n != 2 {
		t.Errorf("after an issue created by another process: %d issues, want 2", n)
	}
}

// A session whose expiry another process shortens (a way to sign someone
// out from the shell) stops signing in at once, and a touch does not bring
// it back.
func TestSessionExpiredByAnotherProcessStopsAtOnce(t *testing.T) {
	d := seededTest(t)
	other := otherProcess(t, d.s)
	now := time.Now()
	startSession(t, d.s, "shortened", d.users["mona"], now, nil)
	id := sessionID("shortened")
	if _, _, err := d.s.SessionUser(d.s.Consistent(context.Background()), id, now); err != nil {
		t.Fatal(err)
	}
	if _, err := other.Exec(`UPDATE sessions SET expires_at = ? WHERE id = ?`, timestamp(now.Add(-time.Hour)), id); err != nil {
		t.Fatal(err)
	}
	if err := d.s.TouchSession(context.Background(), id, now.Add(time.Minute), now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := d.s.SessionUser(d.s.Consistent(context.Background()), id, now.Add(time.Minute)); !errors.Is(err, ErrNotFound) {
		t.Errorf("a session expired by another process still signs in: %v", err)
	}
}

// A token replaced whole (on SQLite INSERT OR REPLACE, which fires no
// delete trigger; PostgreSQL has no such statement, and its counterpart is
// an INSERT that updates the row it conflicts with) is read again.
func TestTokenReplacedByAnotherProcessIsReadAgain(t *testing.T) {
	d := seededTest(t)
	other := otherProcess(t, d.s)
	ctx := context.Background()
	hash, id := newSecret(t, d, "replaced")
	before, err := d.s.TokenByHash(d.s.Consistent(ctx), hash)
	if err != nil {
		t.Fatal(err)
	}
	replace := `INSERT OR REPLACE INTO tokens (id, user_id, kind, name, description, hash, prefix, org_id, repository_selection, scopes, expires_at, created_at)
		SELECT id, user_id, kind, name, description, hash, prefix, org_id, repository_selection, scopes, ?, created_at FROM tokens WHERE id = ?`
	if d.s.dialect == postgresDialect {
		replace = `INSERT INTO tokens (id, user_id, kind, name, description, hash, prefix, org_id, repository_selection, scopes, expires_at, created_at)
		SELECT id, user_id, kind, name, description, hash, prefix, org_id, repository_selection, scopes, ?, created_at FROM tokens WHERE id = ?
		ON CONFLICT (id) DO UPDATE SET expires_at = excluded.expires_at`
	} else if _, err := other.Exec(`PRAGMA foreign_keys = OFF`); err != nil { // the sqlite3 shell's default
		t.Fatal(err)
	}
	past := time.Now().Add(-time.Hour).UTC().Truncate(time.Microsecond)
	if _, err := other.Exec(replace, timestamp(past), id); err != nil {
		t.Fatal(err)
	}
	after, err := d.s.TokenByHash(d.s.Consistent(ctx), hash)
	if err != nil {
		t.Fatal(err)
	}
	if after.Credential.ExpiresAt.Equal(before.Credential.ExpiresAt) || !after.Credential.ExpiresAt.Equal(past) {
		t.Errorf("the replaced token expires at %v, want %v", after.Credential.ExpiresAt, past)
	}
}

// Counters that go back (an earlier copy of the database restored under a
// running server) set every cached value aside: a tag could come round
// again with other data behind it. (Counters that go back and forth between
// two reads cannot be told from no change: restart a server after restoring
// its database under it.)
func TestCountersGoingBackSetTheCacheAside(t *testing.T) {
	d := seededTest(t)
	other := otherProcess(t, d.s)
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := other.Exec(q, args...); err != nil {
			t.Fatal(err)
		}
	}
	read := func(login string) string {
		t.Helper()
		o, err := d.s.OrgByLogin(d.s.Consistent(context.Background()), login)
		if err != nil {
			t.Fatal(err)
		}
		return o.Name
	}
	var base uint64
	if err := d.s.read.QueryRow(`SELECT directory FROM change_counters`).Scan(&base); err != nil {
		t.Fatal(err)
	}
	solo := read("solo-org") // cached under base
	exec(`UPDATE organizations SET name = 'Moved on' WHERE id = ?`, d.orgs["octo-org"])
	if read("octo-org") != "Moved on" { // the store has seen base+1
		t.Fatal("the other process's change was not seen")
	}
	// A state with solo-org's counters but other data: base again.
	exec(`UPDATE organizations SET name = 'Restored' WHERE id = ?`, d.orgs["solo-org"])
	exec(`UPDATE change_counters SET directory = ?`, base)
	if got := read("solo-org"); got != "Restored" {
		t.Errorf("after the counters went back the store read %q (cached %q), want Restored", got, solo)
	}
}
