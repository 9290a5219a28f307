package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"patpolicy/db/dbtest"
)

// TestTwoServersSeeEachOthersWrites runs two server processes, A and B, on
// one database (a SQLite file, or a PostgreSQL database on a run for
// PostgreSQL), as a second instance behind a load balancer or a rolling
// restart does, and alternates requests between them:
//
//   - signed in on A, the owner creates tokens through B (the form shown by
//     A, submitted to B, the new secret shown by A);
//   - five failed sign-ins for one account, spread over both, and the next
//     attempt is refused on either, even with the right password;
//   - settings saved on A show on B's settings page, and a form B showed
//     before the save, submitted to B, is answered 409;
//   - each change below is made through A, or with plain SQL as the sqlite3
//     shell, psql or a restore would, after calls on B that succeed (so
//     that B has what it needs cached), and the very next call on B must be
//     refused: revoking, deleting, expiring and restricting tokens, a
//     shorter lifetime limit, removing a membership and ending a session.
func TestTwoServersSeeEachOthersWrites(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and starts the server binary twice")
	}
	bin := buildServer(t, t.TempDir())
	location := dbtest.Location(t)
	addrA, addrB := freeAddr(t), freeAddr(t)
	srvA := startServer(t, bin, addrA, location, true)
	srvB := startServer(t, bin, addrB, location, false)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("server A:\n%s\nserver B:\n%s", srvA.log.tail(20), srvB.log.tail(20))
		}
	})
	a, b := "http://"+addrA, "http://"+addrB
	serverName := map[string]string{a: "A", b: "B"}
	ctx := context.Background()
	rec := &crashRecord{statuses: map[string]int{}}

	// The owner signs in on A; B knows the session too (same database, and
	// cookies do not tell ports apart).
	owner := newCrashWorker(t, a, http.DefaultTransport, "octo-owner", 0, crashOwnerTokens, rec)
	owner.signIn(ctx)
	if t.Failed() {
		t.FailNow()
	}
	ownerB := owner.on(b)
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
		code, loc, _, err := ownerB.post(ctx, "new token", "/settings/personal-access-tokens", form)
		lm := crashTokenLocRe.FindStringSubmatch(loc)
		if err != nil || code != http.StatusSeeOther || lm == nil {
			t.Fatalf("create token %s on B, signed in on A: %d to %q, %v", name, code, loc, err)
		}
		fmt.Sscan(lm[1], &tokenID)
		body, _ = owner.page(ctx, "new token", loc)
		sm := crashNewTokenRe.FindStringSubmatch(body)
		if sm == nil {
			t.Fatalf("token %s, created on B: its page on A shows no secret", name)
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
	reader := openReadOnly(t, location)
	defer reader.Close()
	writer := openWriter(t, location)
	exec := func(query string, args ...any) {
		t.Helper()
		if _, err := writer.Exec(query, args...); err != nil {
			t.Fatalf("%s: %v", query, err)
		}
	}
	grantOf := func(tokenID int64) int64 {
		var id int64
		if err := reader.QueryRow(`SELECT id FROM grants WHERE token_id = ?`, tokenID).Scan(&id); err != nil {
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

	t.Run("sign-in limit", func(t *testing.T) {
		// Five failures for one account, alternating between the servers:
		// the limit counts them all, wherever they were made.
		hubot := newCrashWorker(t, a, http.DefaultTransport, "hubot", 2, crashMember, rec)
		both := []*crashWorker{hubot, hubot.on(b)}
		for i := range 5 {
			w := both[i%2]
			if code, _, err := w.trySignIn(ctx, "not-the-password"); err != nil || code != http.StatusUnauthorized {
				t.Fatalf("failed sign-in %d, on %s: %d, %v; want 401", i+1, serverName[w.base], code, err)
			}
		}
		for _, w := range []*crashWorker{both[1], both[0]} {
			if code, loc, err := w.trySignIn(ctx, "demo-password"); err != nil || code != http.StatusTooManyRequests {
				t.Errorf("after five failed sign-ins over both servers, the right password on %s: %d to %q, %v; want 429",
					serverName[w.base], code, loc, err)
			}
		}
	})
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
	t.Run("settings", func(t *testing.T) {
		settingsOn := func(w *crashWorker) (url.Values, int, int) {
			t.Helper()
			body, ok := w.page(ctx, "settings", crashSettingsPath)
			if !ok {
				t.Fatalf("settings page on %s: not shown", serverName[w.base])
			}
			form, version, days, err := crashSettingsForm(body)
			if err != nil {
				t.Fatalf("settings page on %s: %v", serverName[w.base], err)
			}
			return form, version, days
		}
		// B shows the form (twice: the second from what B cached), A saves.
		settingsOn(ownerB)
		stale, staleVersion, _ := settingsOn(ownerB)
		form, version, days := settingsOn(owner)
		if version != staleVersion {
			t.Fatalf("A shows version %d of the settings, B version %d", version, staleVersion)
		}
		saved := 45
		if days == saved {
			saved++
		}
		setLifetime(form, saved)
		if code, loc, _, err := owner.post(ctx, "settings", crashSettingsPath, form); err != nil || code != http.StatusSeeOther {
			t.Fatalf("save settings on A: %d to %q, %v", code, loc, err)
		}
		if _, v, d := settingsOn(ownerB); v != version+1 || d != saved {
			t.Errorf("saved on A (version %d, %d days): B's settings page shows version %d, %d days", version+1, saved, v, d)
		}
		// The form B showed before the save is out of date: B refuses it.
		setLifetime(stale, saved+10)
		if code, _, _, err := ownerB.post(ctx, "settings", crashSettingsPath, stale); err != nil || code != http.StatusConflict {
			t.Errorf("a form of version %d submitted on B after the save on A: %d, %v; want 409", staleVersion, code, err)
		}
		if _, v, d := settingsOn(owner); v != version+1 || d != saved {
			t.Errorf("after the stale form on B: A's settings page shows version %d, %d days; want %d, %d", v, d, version+1, saved)
		}
		patch(`{"fine_grained_max_lifetime_days": null}`)
	})
	t.Run("membership", func(t *testing.T) {
		secret, _ := newToken("two-servers-member", "30")
		var userID, orgID int64
		var role string
		if err := reader.QueryRow(`SELECT m.user_id, m.org_id, m.role FROM memberships m JOIN users u ON u.id = m.user_id
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
		mona := newCrashWorker(t, a, http.DefaultTransport, "mona", 1, crashMember, rec)
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
		// Keep a copy of the cookie: it must stop working on B too.
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
