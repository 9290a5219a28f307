package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"patpolicy/db/dbtest"
	"patpolicy/policy"
)

// raceSaves starts one goroutine per store in stores (a store may appear
// several times), releases them at once, and has each save the same change
// on the same expected version. Readers run beside them. It returns the
// writers' errors.
func raceSaves(t *testing.T, stores []*Store, orgID, actorID int64, version int, cur, next policy.OrgSettings) []error {
	t.Helper()
	ctx := context.Background()
	events := policy.OrgEvents(cur, next)
	start := make(chan struct{})
	var wg sync.WaitGroup
	errs := make([]error, len(stores))
	readErrs := make([]error, len(stores))
	for i, s := range stores {
		wg.Add(2)
		go func() {
			defer wg.Done()
			<-start
			errs[i] = s.SaveOrgPolicy(ctx, orgID, actorID, version, next, events, grApprovedAsOff)
		}()
		go func() {
			defer wg.Done()
			<-start
			for range 5 {
				if _, err := s.OrgPolicy(ctx, orgID); err != nil {
					readErrs[i] = err
					return
				}
				if _, err := s.AuditEvents(ctx, AuditQuery{OrgID: orgID}); err != nil {
					readErrs[i] = err
					return
				}
			}
		}()
	}
	close(start)
	wg.Wait()
	for i, err := range readErrs {
		if err != nil {
			t.Errorf("reader %d: %v", i, err)
		}
	}
	return errs
}

func checkOneWinner(t *testing.T, s *Store, errs []error, orgID int64, version int, next policy.OrgSettings, wantEvents int) {
	t.Helper()
	won, stale := 0, 0
	for i, err := range errs {
		switch {
		case err == nil:
			won++
		case errors.Is(err, ErrStale):
			stale++
		default:
			msg := err.Error()
			if strings.Contains(msg, "SQLITE_BUSY") || strings.Contains(msg, "database is locked") {
				t.Errorf("writer %d: lock contention leaked out: %v", i, err)
			} else {
				t.Errorf("writer %d: %v", i, err)
			}
		}
	}
	if won != 1 || stale != len(errs)-1 {
		t.Errorf("%d saves succeeded and %d were stale, want 1 and %d", won, stale, len(errs)-1)
	}
	p := orgPolicy(t, s, orgID)
	if p.Own != next || p.Version != version+1 {
		t.Errorf("stored %+v v%d, want %+v v%d", p.Own, p.Version, next, version+1)
	}
	if n := count(t, s, `SELECT count(*) FROM audit_events WHERE org_id = ?`, orgID); n != wantEvents {
		t.Errorf("%d audit events, want exactly one save's %d", n, wantEvents)
	}
}

func TestConcurrentSavesOneWins(t *testing.T) {
	d := seededTest(t)
	org := d.orgs["octo-org"]
	cur := orgPolicy(t, d.s, org)
	next := cur.Own
	next.FineGrained = policy.Restrict
	next.FineGrainedLifetime = 30
	stores := make([]*Store, 20)
	for i := range stores {
		stores[i] = d.s
	}
	errs := raceSaves(t, stores, org, d.users["octo-owner"], cur.Version, cur.Own, next)
	checkOneWinner(t, d.s, errs, org, cur.Version, next, len(policy.OrgEvents(cur.Own, next)))
}

func TestConcurrentSavesAcrossStores(t *testing.T) {
	// Two Stores on one database stand for two processes: their writers
	// do contend for the database's write lock (SQLite's, which
	// busy_timeout and BEGIN IMMEDIATE must absorb; PostgreSQL's advisory
	// lock, which a write transaction waits for).
	ctx := context.Background()
	path := dbtest.Location(t)
	a, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if ok, err := a.SeedDemo(ctx, demoHash, tkCreated); err != nil || !ok {
		t.Fatalf("SeedDemo = %v, %v", ok, err)
	}
	b, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()

	o, err := a.OrgByLogin(ctx, "solo-org")
	if err != nil {
		t.Fatal(err)
	}
	c, err := a.CredentialsFor(ctx, "octo-owner")
	if err != nil {
		t.Fatal(err)
	}
	cur := orgPolicy(t, a, o.ID)
	next := cur.Own
	next.Classic = policy.Restrict
	next.Approval = policy.ApprovalNotRequired
	stores := make([]*Store, 20)
	for i := range stores {
		stores[i] = []*Store{a, b}[i%2]
	}
	errs := raceSaves(t, stores, o.ID, c.User.ID, cur.Version, cur.Own, next)
	checkOneWinner(t, b, errs, o.ID, cur.Version, next, len(policy.OrgEvents(cur.Own, next)))
}

func TestWriteTransactionsTakeTheLockAtBegin(t *testing.T) {
	// BEGIN IMMEDIATE: a transaction that reads before it writes (SeedDemo,
	// SettingOrCreate) must hold the write lock from the start, or a second
	// process's commit in between fails it with SQLITE_BUSY whatever
	// busy_timeout says.
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "t.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	other, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(0)")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	var timeout int
	if err := other.QueryRowContext(ctx, `PRAGMA busy_timeout`).Scan(&timeout); err != nil || timeout != 0 {
		t.Fatalf("setup: other connection busy_timeout = %d, %v", timeout, err)
	}

	tx, err := s.beginWrite(ctx)
	if err != nil {
		t.Fatal(err)
	}
	_, err = other.ExecContext(ctx, `INSERT INTO app_settings (key, value) VALUES ('k', 'v')`)
	tx.Rollback()
	if err == nil {
		t.Fatal("another connection wrote while a store transaction was open: transactions do not begin IMMEDIATE")
	}

	if dbtest.Postgres() {
		t.Run("postgres", testWriteLockOnPostgres)
	}
}

// testWriteLockOnPostgres checks PostgreSQL's counterpart of BEGIN
// IMMEDIATE: a store's write transaction holds the write lock (an advisory
// lock every instance's writes take first) from its start until it ends.
func testWriteLockOnPostgres(t *testing.T) {
	ctx := context.Background()
	location := dbtest.Location(t)
	s := openTestAt(t, location)
	other, err := OpenRaw(location)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	free := func() bool {
		t.Helper()
		var got bool
		if err := other.QueryRowContext(ctx, `SELECT pg_try_advisory_xact_lock(?)`, writeLockKey).Scan(&got); err != nil {
			t.Fatal(err)
		}
		return got
	}
	tx, err := s.beginWrite(ctx)
	if err != nil {
		t.Fatal(err)
	}
	held := !free()
	tx.Rollback()
	if !held {
		t.Error("another connection took the write lock while a store transaction was open: it does not take the lock at its start")
	}
	if !free() {
		t.Error("the write lock is still held after the transaction ended")
	}
}

func TestConcurrentSettingOrCreateAcrossStores(t *testing.T) {
	ctx := context.Background()
	path := dbtest.Location(t)
	a, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	const n = 20
	start := make(chan struct{})
	var wg sync.WaitGroup
	vals := make([]string, n)
	errs := make([]error, n)
	for i := range n {
		s := []*Store{a, b}[i%2]
		wg.Go(func() {
			<-start
			vals[i], errs[i] = s.SettingOrCreate(ctx, "session_keys", func() (string, error) {
				return fmt.Sprintf("value-%d", i), nil
			})
		})
	}
	close(start)
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Errorf("caller %d: %v", i, errs[i])
		} else if vals[i] != vals[0] {
			t.Errorf("caller %d got %q, caller 0 %q: want the one stored value", i, vals[i], vals[0])
		}
	}
	if c := count(t, a, `SELECT count(*) FROM app_settings`); c != 1 {
		t.Errorf("%d settings stored, want 1", c)
	}
}
