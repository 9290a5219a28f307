package db

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"testing"
	"time"

	"patpolicy/db/dbtest"
	"patpolicy/policy"
)

var sessionStart = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func sessionID(name string) []byte {
	h := sha256.Sum256([]byte(name))
	return h[:]
}

func startSession(t *testing.T, s *Store, name string, userID int64, now time.Time, replaces []byte) {
	t.Helper()
	err := s.StartSession(context.Background(), NewSession{
		ID: sessionID(name), UserID: userID, Replaces: replaces, Now: now, ExpiresAt: now.Add(30 * 24 * time.Hour),
	})
	if err != nil {
		t.Fatalf("StartSession(%s): %v", name, err)
	}
}

func sessionUser(t *testing.T, s *Store, name string, now time.Time) (User, Session, error) {
	t.Helper()
	return s.SessionUser(context.Background(), sessionID(name), now)
}

func TestSessionsStartFindExpireAndEnd(t *testing.T) {
	d := seededTest(t)
	ctx := context.Background()
	mona, admin := d.users["mona"], d.users["ent-admin"]
	startSession(t, d.s, "a", mona, sessionStart, nil)
	startSession(t, d.s, "b", admin, sessionStart, nil)

	u, ses, err := sessionUser(t, d.s, "a", sessionStart.Add(time.Minute))
	if err != nil || u.ID != mona || u.Login != "mona" || ses.UserID != mona {
		t.Fatalf("SessionUser(a) = %+v, %+v, %v; want mona", u, ses, err)
	}
	if !ses.CreatedAt.Equal(sessionStart) || !ses.LastSeenAt.Equal(sessionStart) || !ses.ExpiresAt.Equal(sessionStart.Add(30*24*time.Hour)) {
		t.Errorf("session times %+v", ses)
	}
	// The user comes with what UserByID loads.
	byID, err := d.s.UserByID(ctx, admin)
	if err != nil {
		t.Fatal(err)
	}
	if got, _, _ := sessionUser(t, d.s, "b", sessionStart); got != byID || !got.OwnsEnterprise {
		t.Errorf("SessionUser(b) user %+v, UserByID %+v", got, byID)
	}
	// Only the hash is a key: no other id finds it.
	if _, _, err := d.s.SessionUser(ctx, sessionID("c"), sessionStart); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown session: %v, want ErrNotFound", err)
	}
	// Expired at its expiry.
	if _, _, err := sessionUser(t, d.s, "a", sessionStart.Add(30*24*time.Hour)); !errors.Is(err, ErrNotFound) {
		t.Errorf("expired session: %v, want ErrNotFound", err)
	}
	// Ended: gone at once, for every reader; the other session stays.
	if err := d.s.EndSession(ctx, sessionID("a")); err != nil {
		t.Fatal(err)
	}
	if _, _, err := sessionUser(t, d.s, "a", sessionStart); !errors.Is(err, ErrNotFound) {
		t.Errorf("ended session: %v, want ErrNotFound", err)
	}
	if err := d.s.EndSession(ctx, sessionID("a")); err != nil {
		t.Errorf("ending an ended session: %v", err)
	}
	if _, _, err := sessionUser(t, d.s, "b", sessionStart); err != nil {
		t.Errorf("the other session: %v", err)
	}
	if err := d.s.StartSession(ctx, NewSession{ID: []byte("short"), UserID: mona, Now: sessionStart, ExpiresAt: sessionStart.Add(time.Hour)}); err == nil {
		t.Error("a session with a 5-byte id was stored")
	}
}

func TestStartSessionReplacesPrunesAndCaps(t *testing.T) {
	d := seededTest(t)
	mona, owner := d.users["mona"], d.users["octo-owner"]
	startSession(t, d.s, "old", mona, sessionStart, nil)
	// Signing in again in the same browser (as anyone) ends its session.
	startSession(t, d.s, "new", owner, sessionStart, sessionID("old"))
	if _, _, err := sessionUser(t, d.s, "old", sessionStart); !errors.Is(err, ErrNotFound) {
		t.Errorf("replaced session: %v, want ErrNotFound", err)
	}
	// Expired sessions are deleted by the next sign-in, anyone's.
	later := sessionStart.Add(31 * 24 * time.Hour)
	startSession(t, d.s, "later", mona, later, nil)
	if n := count(t, d.s, `SELECT count(*) FROM sessions WHERE id = ?`, sessionID("new")); n != 0 {
		t.Errorf("expired session kept after a sign-in")
	}
	// A user has at most SessionsPerUser; the least recently used go.
	for i := range SessionsPerUser {
		startSession(t, d.s, fmt.Sprint("s", i), owner, later.Add(time.Duration(i)*time.Second), nil)
	}
	touched := later.Add(time.Hour)
	if err := d.s.TouchSession(context.Background(), sessionID("s0"), touched, touched.Add(30*24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	for i := SessionsPerUser; i < SessionsPerUser+5; i++ {
		startSession(t, d.s, fmt.Sprint("s", i), owner, touched.Add(time.Duration(i)*time.Second), nil)
	}
	startSession(t, d.s, "one-more", owner, later.Add(2*time.Hour), nil)
	if n := count(t, d.s, `SELECT count(*) FROM sessions WHERE user_id = ?`, owner); n != SessionsPerUser {
		t.Errorf("%d sessions kept, want %d", n, SessionsPerUser)
	}
	for name, want := range map[string]bool{"s0": true, "s1": false, "s6": false, "s7": true, "one-more": true, "later": true} {
		_, _, err := sessionUser(t, d.s, name, later.Add(3*time.Hour))
		if got := err == nil; got != want {
			t.Errorf("session %s kept = %v (%v), want %v", name, got, err, want)
		}
	}
}

func TestTouchSession(t *testing.T) {
	d := seededTest(t)
	ctx := context.Background()
	startSession(t, d.s, "a", d.users["mona"], sessionStart, nil)
	day := 24 * time.Hour
	// Used after 29 days: the expiry moves 30 days on from then.
	seen := sessionStart.Add(29 * day)
	if err := d.s.TouchSession(ctx, sessionID("a"), seen, seen.Add(30*day)); err != nil {
		t.Fatal(err)
	}
	_, ses, err := sessionUser(t, d.s, "a", sessionStart.Add(40*day))
	if err != nil || !ses.LastSeenAt.Equal(seen) || !ses.ExpiresAt.Equal(seen.Add(30*day)) {
		t.Fatalf("after a touch: %+v, %v", ses, err)
	}
	// An earlier use does not move it back.
	if err := d.s.TouchSession(ctx, sessionID("a"), sessionStart.Add(day), sessionStart.Add(31*day)); err != nil {
		t.Fatal(err)
	}
	if _, ses, _ := sessionUser(t, d.s, "a", seen); !ses.LastSeenAt.Equal(seen) {
		t.Errorf("an earlier touch moved the last use back to %v", ses.LastSeenAt)
	}
	// An expired session is not brought back.
	dead := seen.Add(31 * day)
	if err := d.s.TouchSession(ctx, sessionID("a"), dead, dead.Add(30*day)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := sessionUser(t, d.s, "a", dead); !errors.Is(err, ErrNotFound) {
		t.Errorf("an expired session was revived: %v", err)
	}
}

func TestSetPasswordEndsTheUsersSessions(t *testing.T) {
	d := seededTest(t)
	ctx := context.Background()
	startSession(t, d.s, "mona-1", d.users["mona"], sessionStart, nil)
	startSession(t, d.s, "mona-2", d.users["mona"], sessionStart, nil)
	startSession(t, d.s, "owner", d.users["octo-owner"], sessionStart, nil)
	before := dump(t, d.s)

	if err := d.s.SetPassword(ctx, "nobody", "new-hash"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("SetPassword(nobody) = %v, want ErrNotFound", err)
	}
	if after := dump(t, d.s); after != before {
		t.Error("SetPassword of an unknown login changed the database")
	}

	if err := d.s.SetPassword(ctx, "MONA", "new-hash"); err != nil {
		t.Fatal(err)
	}
	c, err := d.s.CredentialsFor(ctx, "mona")
	if err != nil || c.PasswordHash != "new-hash" {
		t.Errorf("mona's hash %q, %v", c.PasswordHash, err)
	}
	for name, want := range map[string]bool{"mona-1": false, "mona-2": false, "owner": true} {
		_, _, err := sessionUser(t, d.s, name, sessionStart)
		if got := err == nil; got != want {
			t.Errorf("session %s kept = %v, want %v", name, got, want)
		}
	}
	if c, _ := d.s.CredentialsFor(ctx, "octo-owner"); c.PasswordHash != demoHash {
		t.Errorf("octo-owner's hash changed to %q", c.PasswordHash)
	}
	// By login only: an email address is not a login.
	if err := d.s.SetPassword(ctx, "mona@example.com", "x"); !errors.Is(err, ErrNotFound) {
		t.Errorf("SetPassword by email = %v, want ErrNotFound", err)
	}
}

func TestCreateUserRefusesTakenLoginsAndAddresses(t *testing.T) {
	d := seededTest(t)
	ctx := context.Background()
	before := dump(t, d.s)
	if _, err := d.s.CreateUser(ctx, "MONA", "other@example.com", "", "h"); !errors.Is(err, ErrLoginTaken) {
		t.Errorf("taken login: %v, want ErrLoginTaken", err)
	}
	if _, err := d.s.CreateUser(ctx, "mona2", "Mona@Example.com", "", "h"); !errors.Is(err, ErrEmailTaken) {
		t.Errorf("taken address: %v, want ErrEmailTaken", err)
	}
	if after := dump(t, d.s); after != before {
		t.Error("a refused CreateUser changed the database")
	}
	id, err := d.s.CreateUser(ctx, "newcomer", "newcomer@example.com", "New Comer", "h")
	if err != nil {
		t.Fatal(err)
	}
	if c, err := d.s.CredentialsFor(ctx, "newcomer@example.com"); err != nil || c.User.ID != id || c.PasswordHash != "h" || c.User.Name != "New Comer" {
		t.Errorf("newcomer: %+v, %v", c, err)
	}
}

// The signed-in user comes from a cache, yet a notification that arrives
// and one marked read change the unread count on the very next request.
func TestSessionUserSeesUnreadChanges(t *testing.T) {
	d := seededTest(t)
	ctx := context.Background()
	owner := d.users["octo-owner"]
	startSession(t, d.s, "owner", owner, sessionStart, nil)
	unread := func() int {
		t.Helper()
		u, _, err := sessionUser(t, d.s, "owner", sessionStart)
		if err != nil {
			t.Fatal(err)
		}
		return u.Unread
	}
	before := unread()
	p, err := d.s.OrgPolicy(ctx, d.orgs["octo-org"])
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.s.CreateToken(ctx, NewToken{
		UserID: d.users["mona"], Hash: sessionID("pending-token"), Prefix: "github_pat_x",
		Kind: policy.KindFineGrained, OrgID: d.orgs["octo-org"], OrgVersion: p.Version,
		FineGrained: policy.TokenRequest{Name: "asks", ExpiresInDays: 30, Selection: policy.SelectAll,
			Permissions: map[string]policy.Level{policy.Metadata: policy.LevelRead}, Status: policy.GrantPending},
		Follow: tkCreated,
	}); err != nil {
		t.Fatal(err)
	}
	if got := unread(); got != before+1 {
		t.Fatalf("unread after a new request: %d, want %d", got, before+1)
	}
	if err := d.s.MarkNotificationsRead(ctx, owner, 1<<62); err != nil {
		t.Fatal(err)
	}
	if got := unread(); got != 0 {
		t.Errorf("unread after marking all read: %d, want 0", got)
	}
}

// "patpolicy user passwd" runs in a process of its own: the sessions it
// ends stop working in the running server at once, though nothing there
// saw the write.
func TestSessionsEndedByAnotherProcessStopAtOnce(t *testing.T) {
	ctx := context.Background()
	path := dbtest.Location(t)
	server, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer server.Close()
	if _, err := server.SeedDemo(ctx, demoHash, tkCreated); err != nil {
		t.Fatal(err)
	}
	mona, err := server.CredentialsFor(ctx, "mona")
	if err != nil {
		t.Fatal(err)
	}
	startSession(t, server, "copied", mona.User.ID, sessionStart, nil)
	for range 2 { // the second from whatever the first cached
		if _, _, err := sessionUser(t, server, "copied", sessionStart); err != nil {
			t.Fatal(err)
		}
	}
	cli, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if err := cli.SetPassword(ctx, "mona", demoHash); err != nil {
		t.Fatal(err)
	}
	cli.Close()
	if _, _, err := sessionUser(t, server, "copied", sessionStart); !errors.Is(err, ErrNotFound) {
		t.Errorf("after another process reset the password: %v, want ErrNotFound", err)
	}
}
