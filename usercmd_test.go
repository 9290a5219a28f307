package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"patpolicy/db/dbtest"

	"golang.org/x/crypto/bcrypt"

	"patpolicy/db"
	"patpolicy/server"
)

// runUser runs "patpolicy user args…" with stdin and the environment env,
// returning the exit code, stdout and stderr.
func runUser(t *testing.T, env map[string]string, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := userCommand(context.Background(), args, userIO{
		stdin: strings.NewReader(stdin), stdout: &out, stderr: &errOut,
		getenv: func(k string) string { return env[k] },
		cost:   bcrypt.MinCost,
	})
	return code, out.String(), errOut.String()
}

func openStore(t *testing.T, path string) *db.Store {
	t.Helper()
	s, err := db.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

var csrfInput = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

// signInOver signs in through a server on store, as a browser would, and
// reports whether it worked (and the signed-in page then answers).
func signInOver(t *testing.T, store *db.Store, login, password string) bool {
	t.Helper()
	dummy, _ := bcrypt.GenerateFromPassword([]byte("dummy"), bcrypt.MinCost)
	srv := httptest.NewServer(server.New(server.Config{
		Store: store, SessionSecrets: []string{"usercmd-test"}, DummyHash: dummy,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}))
	defer srv.Close()
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Get(srv.URL + "/login")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	m := csrfInput.FindSubmatch(body)
	if m == nil {
		t.Fatalf("no CSRF field on the sign-in page:\n%s", body)
	}
	res, err = client.PostForm(srv.URL+"/login", url.Values{"_csrf": {string(m[1])}, "login": {login}, "password": {password}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther {
		return false
	}
	res, err = client.Get(srv.URL + "/settings/organizations")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode == http.StatusOK
}

func TestUserAddCreatesAUserWhoCanSignIn(t *testing.T) {
	path := filepath.Join(t.TempDir(), "new", "patpolicy.db")
	// Flags before and after the login; the password's line ending is not
	// part of it, its spaces are.
	code, out, errOut := runUser(t, nil, " first pass phrase \r\n", "add", "--db", path, "Alice-1", "--email", "alice@example.com", "--name", "Alice Liddell")
	if code != exitOK || !strings.Contains(out, "Created user Alice-1") {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	store := openStore(t, path)
	c, err := store.CredentialsFor(context.Background(), "alice-1")
	if err != nil {
		t.Fatal(err)
	}
	if c.User.Login != "Alice-1" || c.User.Email != "alice@example.com" || c.User.Name != "Alice Liddell" {
		t.Errorf("stored %+v", c.User)
	}
	if err := bcrypt.CompareHashAndPassword([]byte(c.PasswordHash), []byte(" first pass phrase ")); err != nil {
		t.Errorf("the stored hash is not of the password: %v", err)
	}
	if !signInOver(t, store, "alice@example.com", " first pass phrase ") {
		t.Error("the new user cannot sign in")
	}
	if signInOver(t, store, "Alice-1", "first pass phrase") {
		t.Error("signed in with the password trimmed")
	}
}

func TestUserAddHonoursPATPOLICY_DB(t *testing.T) {
	path := filepath.Join(t.TempDir(), "env.db")
	env := map[string]string{"PATPOLICY_DB": path}
	if code, _, errOut := runUser(t, env, "password-1\n", "add", "bob", "--email", "bob@example.com"); code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	// --db wins over the environment.
	other := filepath.Join(t.TempDir(), "flag.db")
	if code, _, errOut := runUser(t, env, "password-2\n", "add", "carol", "--email", "carol@example.com", "--db", other); code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if _, err := openStore(t, path).CredentialsFor(context.Background(), "bob"); err != nil {
		t.Errorf("bob is not in PATPOLICY_DB: %v", err)
	}
	if _, err := openStore(t, other).CredentialsFor(context.Background(), "carol"); err != nil {
		t.Errorf("carol is not in --db: %v", err)
	}
}

func TestUserAddRefusals(t *testing.T) {
	path := dbtest.Location(t)
	if code, _, errOut := runUser(t, nil, "password-1\n", "add", "dave", "--email", "dave@example.com", "--db", path); code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	cases := []struct {
		name   string
		stdin  string
		args   []string
		code   int
		stderr string
	}{
		{"no subcommand", "", nil, exitUsage, "Usage:"},
		{"unknown subcommand", "", []string{"del", "dave"}, exitUsage, `unknown command "del"`},
		{"no login", "password-1\n", []string{"add", "--email", "x@example.com"}, exitUsage, "one login"},
		{"two logins", "password-1\n", []string{"add", "a", "b", "--email", "x@example.com"}, exitUsage, "one login"},
		{"no email", "password-1\n", []string{"add", "erin"}, exitUsage, "needs --email"},
		{"bad email", "password-1\n", []string{"add", "erin", "--email", "Erin <erin@example.com>"}, exitUsage, "not valid"},
		{"bad login", "password-1\n", []string{"add", "-erin", "--email", "erin@example.com"}, exitUsage, ""},
		{"login with @", "password-1\n", []string{"add", "erin@example.com", "--email", "erin@example.com"}, exitUsage, "is not valid"},
		{"login with --", "password-1\n", []string{"add", "er--in", "--email", "erin@example.com"}, exitUsage, "is not valid"},
		{"unknown flag", "password-1\n", []string{"add", "erin", "--email", "erin@example.com", "--admin"}, exitUsage, "-admin"},
		{"taken login", "password-1\n", []string{"add", "DAVE", "--email", "other@example.com"}, exitFailure, `login "DAVE" already exists`},
		{"taken email", "password-1\n", []string{"add", "erin", "--email", "dave@example.com"}, exitFailure, "dave@example.com is already in use"},
		{"empty password", "\n", []string{"add", "erin", "--email", "erin@example.com"}, exitFailure, "the password is empty"},
		{"no password", "", []string{"add", "erin", "--email", "erin@example.com"}, exitFailure, "the password is empty"},
		{"short password", "1234567\n", []string{"add", "erin", "--email", "erin@example.com"}, exitFailure, "at least 8 characters"},
		{"short in characters", "ééééééé\n", []string{"add", "erin", "--email", "erin@example.com"}, exitFailure, "at least 8 characters"},
		{"long password", strings.Repeat("x", 73) + "\n", []string{"add", "erin", "--email", "erin@example.com"}, exitFailure, "at most 72 bytes"},
	}
	store := openStore(t, path)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			args := tc.args
			if len(args) > 0 && args[0] == "add" {
				args = append(append([]string{}, args...), "--db", path)
			}
			code, _, errOut := runUser(t, nil, tc.stdin, args...)
			if code != tc.code || !strings.Contains(errOut, tc.stderr) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, errOut, tc.code, tc.stderr)
			}
			if _, err := store.CredentialsFor(context.Background(), "erin"); !errors.Is(err, db.ErrNotFound) {
				t.Errorf("erin was created: %v", err)
			}
		})
	}
	c, _ := store.CredentialsFor(context.Background(), "dave")
	if bcrypt.CompareHashAndPassword([]byte(c.PasswordHash), []byte("password-1")) != nil {
		t.Error("dave's password changed")
	}
	// Eight characters is enough.
	if code, _, errOut := runUser(t, nil, "ééééééé8\n", "add", "erin", "--email", "erin@example.com", "--db", path); code != exitOK {
		t.Errorf("an 8-character password: exit %d: %s", code, errOut)
	}
}

func TestUserPasswdChangesThePasswordAndEndsSessions(t *testing.T) {
	path := dbtest.Location(t)
	if code, _, errOut := runUser(t, nil, "old password\n", "add", "frank", "--email", "frank@example.com", "--db", path); code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	store := openStore(t, path)
	ctx := context.Background()
	c, _ := store.CredentialsFor(ctx, "frank")
	now := time.Now()
	id := bytes.Repeat([]byte{7}, 32)
	if err := store.StartSession(ctx, db.NewSession{ID: id, UserID: c.User.ID, Now: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}

	code, out, errOut := runUser(t, map[string]string{"PATPOLICY_DB": path}, "new password\n", "passwd", "FRANK")
	if code != exitOK || !strings.Contains(out, "Changed the password of FRANK") {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if _, _, err := store.SessionUser(ctx, id, now); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("frank's session survived the new password: %v", err)
	}
	if !signInOver(t, store, "frank", "new password") {
		t.Error("cannot sign in with the new password")
	}
	if signInOver(t, store, "frank", "old password") {
		t.Error("signed in with the old password")
	}

	// Refusals change nothing.
	cases := []struct {
		name, stdin string
		args        []string
		code        int
		stderr      string
	}{
		{"unknown user", "another password\n", []string{"passwd", "grace", "--db", path}, exitFailure, `no user with login "grace"`},
		{"by email", "another password\n", []string{"passwd", "frank@example.com", "--db", path}, exitFailure, "no user with login"},
		{"short", "short\n", []string{"passwd", "frank", "--db", path}, exitFailure, "at least 8 characters"},
		{"no login", "another password\n", []string{"passwd", "--db", path}, exitUsage, "one login"},
		{"missing database", "another password\n", []string{"passwd", "frank", "--db", filepath.Join(t.TempDir(), "none.db")}, exitFailure, "none.db"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errOut := runUser(t, nil, tc.stdin, tc.args...)
			if code != tc.code || !strings.Contains(errOut, tc.stderr) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, errOut, tc.code, tc.stderr)
			}
		})
	}
	if _, err := os.Stat(cases[len(cases)-1].args[3]); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("passwd created the missing database: %v", err)
	}
	if !signInOver(t, store, "frank", "new password") {
		t.Error("a refused passwd changed the password")
	}
}
