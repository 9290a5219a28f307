package server_test

import (
	"context"
	"database/sql"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"patpolicy/db"
	"patpolicy/db/dbtest"
	"patpolicy/policy"
)

// holdWriteLock takes the database's write lock on a connection of its own,
// as another process would, until release is called or the test ends.
func holdWriteLock(t *testing.T, path string) (release func()) {
	t.Helper()
	ctx := context.Background()
	other, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { other.Close() })
	conn, err := other.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(ctx, `BEGIN IMMEDIATE`); err != nil {
		t.Fatal(err)
	}
	done := false
	release = func() {
		if !done {
			done = true
			conn.ExecContext(ctx, `ROLLBACK`)
			conn.Close()
		}
	}
	t.Cleanup(release)
	return release
}

// lockedApp is the demo app on a store that waits only briefly for a lock
// held elsewhere, and the path of its database.
func lockedApp(t *testing.T) (*app, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "test.db")
	return newAppAt(t, path, withDB(db.BusyTimeout(20*time.Millisecond))), path
}

// wantRetryLater fails unless an answer is a 503 with a Retry-After in
// seconds.
func wantRetryLater(t *testing.T, status int, header http.Header) {
	t.Helper()
	if status != http.StatusServiceUnavailable {
		t.Fatalf("status %d, want 503", status)
	}
	if secs, err := strconv.Atoi(header.Get("Retry-After")); err != nil || secs <= 0 {
		t.Fatalf("Retry-After %q, want a number of seconds", header.Get("Retry-After"))
	}
}

func TestASaveWhileAnotherProcessHoldsTheLockIsRefusedForNow(t *testing.T) {
	a, path := lockedApp(t)
	c := a.as("octo-owner")
	form := c.get(patPath).status(http.StatusOK)
	release := holdWriteLock(t, path)

	p := c.submit(form, "form.settings-form", map[string]string{"fine_grained_access": "restrict", "confirm": "yes"})
	wantRetryLater(t, p.res.StatusCode, p.res.Header)
	p.contains("main", "The database cannot be written to right now")
	if strings.Contains(p.body, "SQLITE") || strings.Contains(p.body, "locked") {
		t.Errorf("the page shows the driver's error:\n%s", p.body)
	}

	release()
	if got := c.get(patPath).status(http.StatusOK).checked("fine_grained_access"); got != "allow" {
		t.Errorf("fine_grained_access is %q after the refused save, want allow", got)
	}
	c.submit(c.get(patPath), "form.settings-form", map[string]string{"fine_grained_access": "restrict", "confirm": "yes"}).redirectsTo(patPath)
}

func TestAnAPIWriteWhileAnotherProcessHoldsTheLockIsRefusedForNow(t *testing.T) {
	a, path := lockedApp(t)
	token := a.newFineGrained("octo-owner", "admin", fgSpec{Org: "octo-org", Days: 30, Permissions: map[string]policy.Level{
		policy.Metadata: policy.LevelRead, "organization_administration": policy.LevelWrite}})
	holdWriteLock(t, path)

	res := a.api(http.MethodPatch, "/orgs/octo-org/personal-access-token-policy", token,
		map[string]any{"fine_grained_max_lifetime_days": 30})
	wantRetryLater(t, res.Status, res.Header)
	if msg := res.message(); !strings.HasPrefix(msg, "The database cannot be written to right now") {
		t.Errorf("message %q", msg)
	}
}

func TestReadyzAnswers503WhileTheDatabaseCannotBeWritten(t *testing.T) {
	a, path := lockedApp(t)
	c := a.client()
	c.get("/readyz").status(http.StatusOK)
	release := holdWriteLock(t, path)

	p := c.get("/readyz")
	wantRetryLater(t, p.res.StatusCode, p.res.Header)
	// Reads still work: the server is alive, only not ready to write.
	c.get("/healthz").status(http.StatusOK)

	release()
	c.get("/readyz").status(http.StatusOK)
}

func TestHealthzAnswers503OnceTheDatabaseIsGone(t *testing.T) {
	a := newApp(t)
	c := a.client()
	c.get("/healthz").status(http.StatusOK)

	// A closed store stands for a database that is gone: a ping on a SQLite
	// connection never reads the file, so nothing short of closing the
	// store makes it fail there.
	if err := a.store.Close(); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{
		"/healthz": "database unavailable",
		"/readyz":  "database cannot be written",
	} {
		p := c.get(path)
		wantRetryLater(t, p.res.StatusCode, p.res.Header)
		if p.body != want {
			t.Errorf("%s says %q, want %q (never the driver's error)", path, p.body, want)
		}
	}
}

// An instance whose PostgreSQL goes away answers 503 (never 500, never the
// driver's words) to probes, pages and the API while it is gone, and serves
// again by itself once it is back: no restart, no stale connection kept.
// It runs on PostgreSQL whatever the run's backend.
func TestAnInstanceThatLosesPostgreSQLAnswers503AndRecovers(t *testing.T) {
	location := dbtest.NewPostgres(t)
	a := newAppAt(t, location)
	c := a.as("octo-owner")
	token := a.newFineGrained("octo-owner", "admin", fgSpec{Org: "octo-org", Days: 30, Permissions: map[string]policy.Level{
		policy.Metadata: policy.LevelRead, "organization_administration": policy.LevelRead}})
	c.get("/healthz").status(http.StatusOK)
	c.get(patPath).status(http.StatusOK)

	restore := dbtest.CutOff(t, location)
	for _, path := range []string{"/healthz", "/readyz", patPath} {
		p := c.get(path)
		wantRetryLater(t, p.res.StatusCode, p.res.Header)
		if strings.Contains(p.body, "SQLSTATE") || strings.Contains(p.body, "pgx") {
			t.Errorf("%s shows the driver's error:\n%s", path, p.body)
		}
	}
	res := a.api(http.MethodGet, "/orgs/octo-org/personal-access-token-policy", token, nil)
	wantRetryLater(t, res.Status, res.Header)

	// Back: the very first requests succeed, on connections made anew
	// (the old ones learn they were ended only when next used).
	restore()
	c.get("/healthz").status(http.StatusOK)
	c.get("/readyz").status(http.StatusOK)
	c.get(patPath).status(http.StatusOK)
	if res := a.api(http.MethodGet, "/orgs/octo-org/personal-access-token-policy", token, nil); res.Status != http.StatusOK {
		t.Errorf("API after recovery: %d", res.Status)
	}
}
