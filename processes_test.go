package main

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestTwoServersSeeEachOthersWrites runs two server processes on one
// database file, as a rolling restart or a second instance does. Each check
// first makes a call on server B that succeeds (so that B has what it needs
// cached), then changes something through server A, or with a plain SQL
// connection as the sqlite3 shell or a restore would, and then makes the
// very same call on B, which must be refused: revoking, deleting,
// expiring and restricting tokens, a shorter lifetime limit, ending a
// session and removing a membership.
func TestTwoServersSeeEachOthersWrites(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and starts the server binary twice")
	}
	dir := t.TempDir()
	bin := buildServer(t, dir)
	dbPath := filepath.Join(dir, "p.db")
	addrA, addrB := freeAddr(t), freeAddr(t)
	srvA := startServer(t, bin, addrA, dbPath, true)
	srvB := startServer(t, bin, addrB, dbPath, false)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("server A:\n%s\nserver B:\n%s", srvA.log.tail(20), srvB.log.tail(20))
		}
	})
	a, b := "http://"+addrA, "http://"+addrB
	ctx := context.Background()

	// The owner signs in on A; B knows the session too (same database).
	owner := newCrashWorker(t, a, http.DefaultTransport, "octo-owner", 0, crashOwnerTokens, &crashRecord{statuses: map[string]int{}})
	owner.signIn(ctx)
	if t.Failed() {
		t.FailNow()
	}
	newToken := func(name, days string, perms ...string) (secret string, tokenID int64) {
		t.Helper()
		body, ok := owner.page(ctx, "new token form", "/settings/personal-access-tokens/new")
		m := crashCSRFRe.FindStringSubmatch(body)
		if !ok || m == nil {
			t.Fatalf("new token form: no form")
		}
		form := url.Values{"_csrf": {m[1]}, "name": {name}, "expiration": {days},
			"resource_owner": {"octo-org"}, "repository_selection": {"all"}, "perm_contents": {"read"}}
		for _, p := range perms {
			form.Set("perm_"+p, "write")
		}
		code, loc, _, err := owner.post(ctx, "new token", "/settings/personal-access-tokens", form)
		lm := crashTokenLocRe.FindStringSubmatch(loc)
		if err != nil || code != http.StatusSeeOther || lm == nil {
			t.Fatalf("create token %s: %d to %q, %v", name, code, loc, err)
		}
		fmt.Sscan(lm[1], &tokenID)
		body, _ = owner.page(ctx, "new token", loc)
		sm := crashNewTokenRe.FindStringSubmatch(body)
		if sm == nil {
			t.Fatalf("token %s: its page shows no secret", name)
		}
		return sm[1], tokenID
	}
	call := func(base, secret, method, path, body string) int {
		t.Helper()
		req, err := http.NewRequest(method, base+"/api/v3"+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+secret)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		return res.StatusCode
	}
	const repo = "/repos/octo-org/octo-api" // private: only a token that may read it sees it
	// check makes the call on B twice (the first fills B's caches, the
	// second is served from them), makes the change, and expects the very
	// next call on B to answer refused.
	check := func(what, secret string, refused int, change func()) {
		t.Helper()
		if got := call(b, secret, http.MethodGet, repo, ""); got != http.StatusOK {
			t.Fatalf("%s: before the change B answered %d, want 200", what, got)
		}
		if got := call(b, secret, http.MethodGet, repo, ""); got != http.StatusOK {
			t.Fatalf("%s: before the change B answered %d the second time, want 200", what, got)
		}
		change()
		if got := call(b, secret, http.MethodGet, repo, ""); got != refused {
			t.Errorf("%s through one server: the next call on the other answered %d, want %d", what, got, refused)
		}
	}
	db := openReadOnly(t, dbPath)
	writer, err := sql.Open("sqlite", "file:"+dbPath+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer writer.Close()
	exec := func(query string, args ...any) {
		t.Helper()
		if _, err := writer.Exec(query, args...); err != nil {
			t.Fatalf("%s: %v", query, err)
		}
	}
	grantOf := func(tokenID int64) int64 {
		var id int64
		if err := db.QueryRow(`SELECT id FROM grants WHERE token_id = ?`, tokenID).Scan(&id); err != nil {
			t.Fatal(err)
		}
		return id
	}
	formPost := func(what, page, action string) {
		t.Helper()
		body, ok := owner.page(ctx, what, page)
		m := crashCSRFRe.FindStringSubmatch(body)
		if !ok || m == nil {
			t.Fatalf("%s: no form on %s", what, page)
		}
		code, loc, _, err := owner.post(ctx, what, action, url.Values{"_csrf": {m[1]}, "confirm": {"yes"}})
		if err != nil || code != http.StatusSeeOther {
			t.Fatalf("%s: %d to %q, %v", what, code, loc, err)
		}
	}

	t.Run("revoke", func(t *testing.T) {
		secret, id := newToken("two-servers-revoke", "30")
		g := grantOf(id)
		check("revoking a token", secret, http.StatusForbidden, func() {
			p := fmt.Sprintf("/organizations/octo-org/settings/personal-access-tokens/%d", g)
			formPost("revoke", p, p+"/revoke")
		})
	})
	t.Run("delete", func(t *testing.T) {
		secret, id := newToken("two-servers-delete", "30")
		check("deleting a token", secret, http.StatusUnauthorized, func() {
			p := fmt.Sprintf("/settings/personal-access-tokens/%d", id)
			formPost("delete", p, p+"/delete")
		})
	})
	t.Run("expire", func(t *testing.T) {
		secret, id := newToken("two-servers-expire", "30")
		check("expiring a token (plain SQL)", secret, http.StatusUnauthorized, func() {
			exec(`UPDATE tokens SET expires_at = ? WHERE id = ?`, time.Now().Add(-time.Minute).UTC().Format("2006-01-02T15:04:05.000000Z"), id)
		})
	})

	// The administrator's own token lives 7 days: within the limit set below.
	admin, _ := newToken("two-servers-admin", "7", "organization_administration")
	patch := func(body string) {
		t.Helper()
		if got := call(a, admin, http.MethodPatch, "/orgs/octo-org/personal-access-token-policy", body); got != http.StatusOK {
			t.Fatalf("PATCH %s on A: %d", body, got)
		}
	}
	t.Run("lifetime", func(t *testing.T) {
		secret, _ := newToken("two-servers-lifetime", "30")
		check("a lifetime limit below the token's", secret, http.StatusForbidden, func() {
			patch(`{"fine_grained_max_lifetime_days": 7}`)
		})
		patch(`{"fine_grained_max_lifetime_days": null}`)
	})
	t.Run("membership", func(t *testing.T) {
		secret, _ := newToken("two-servers-member", "30")
		var userID, orgID int64
		var role string
		if err := db.QueryRow(`SELECT m.user_id, m.org_id, m.role FROM memberships m JOIN users u ON u.id = m.user_id
			JOIN organizations o ON o.id = m.org_id WHERE u.login = 'octo-owner' AND o.login = 'octo-org'`).Scan(&userID, &orgID, &role); err != nil {
			t.Fatal(err)
		}
		check("removing the token owner's membership (plain SQL)", secret, http.StatusNotFound, func() {
			exec(`DELETE FROM memberships WHERE user_id = ? AND org_id = ?`, userID, orgID)
		})
		exec(`INSERT INTO memberships (user_id, org_id, role) VALUES (?, ?, ?)`, userID, orgID, role)
		if got := call(b, secret, http.MethodGet, repo, ""); got != http.StatusOK {
			t.Errorf("membership given back: B answered %d, want 200", got)
		}
	})
	t.Run("restrict", func(t *testing.T) {
		secret, _ := newToken("two-servers-restrict", "30")
		check("restricting fine-grained tokens", secret, http.StatusForbidden, func() {
			patch(`{"fine_grained_access": "restrict"}`)
		})
	})
	t.Run("session", func(t *testing.T) {
		mona := newCrashWorker(t, a, http.DefaultTransport, "mona", 1, crashMember, &crashRecord{statuses: map[string]int{}})
		mona.signIn(ctx)
		onB := func() int {
			t.Helper()
			res, err := mona.hc.Get(b + "/settings/personal-access-tokens")
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
			return res.StatusCode
		}
		for range 2 {
			if got := onB(); got != http.StatusOK {
				t.Fatalf("signed in on A, B answered %d, want 200", got)
			}
		}
		body, ok := mona.page(ctx, "tokens", "/settings/personal-access-tokens")
		m := crashCSRFRe.FindStringSubmatch(body)
		if !ok || m == nil {
			t.Fatal("no sign-out form")
		}
		// Keep a copy of the cookie (both servers are on 127.0.0.1, and
		// cookies do not tell ports apart): it must stop working on B too.
		copied := mona.hc.Jar.Cookies(mustURL(t, a))
		if code, _, _, err := mona.post(ctx, "sign out", "/logout", url.Values{"_csrf": {m[1]}}); err != nil || code != http.StatusSeeOther {
			t.Fatalf("sign out on A: %d %v", code, err)
		}
		mona.hc.Jar.SetCookies(mustURL(t, a), copied)
		if got := onB(); got != http.StatusSeeOther {
			t.Errorf("signed out on A: the copied cookie on B answered %d, want 303 to sign in", got)
		}
	})
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
