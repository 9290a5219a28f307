package handlers

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/labstack/echo/v4"
	"golang.org/x/crypto/bcrypt"

	"patpolicy/db"
	"patpolicy/signin"
	"patpolicy/views"
	"patpolicy/web/guard"
	"patpolicy/web/paths"
	"patpolicy/web/render"
	"patpolicy/web/session"
)

// CredentialStore finds accounts for sign-in and keeps their sessions.
type CredentialStore interface {
	CredentialsFor(ctx context.Context, loginOrEmail string) (db.Credentials, error)
	StartSession(ctx context.Context, s db.NewSession) error
	EndSession(ctx context.Context, id []byte) error
}

// SignIn serves the sign-in and sign-out of people, with passwords.
type SignIn struct {
	Store CredentialStore
	// DummyHash is compared against when the account does not exist, so an
	// unknown login takes as long as a wrong password. It must have the
	// cost of real hashes (bcrypt.DefaultCost); empty uses fallbackDummyHash.
	DummyHash []byte
	// Limiter refuses sign-ins after too many failures for an account or
	// from an address, counting in the store so that every server on the
	// database shares the counts. Nil turns limiting off: the server must
	// set one (signin.NewLimiter).
	Limiter *signin.Limiter
	// Now is the clock sessions start by; nil is time.Now.
	Now func() time.Time
}

const badCredentials = "Incorrect username or password."

// fallbackDummyHash is a bcrypt hash (cost 10, bcrypt.DefaultCost) of a
// random password nobody kept, for a SignIn built without a DummyHash. It
// never signs anyone in: it is only compared against for unknown logins.
const fallbackDummyHash = "$2a$10$7x.cPrewIQfTWLncNjbch.wxADMuiKp5gd6ksTLQOfAxKcoVDhPz6"

func (h SignIn) now() time.Time {
	if h.Now == nil {
		return time.Now()
	}
	return h.Now()
}

// LoginForm shows the sign-in page.
func (h SignIn) LoginForm(c echo.Context) error {
	returnTo := SafeReturnTo(c.QueryParam(paths.ReturnToParam))
	if guard.User(c) != nil {
		return c.Redirect(http.StatusSeeOther, returnTo)
	}
	ch := Chrome(c, "Sign in")
	if c.QueryParam(paths.SignedOutParam) != "" && ch.Flash == "" {
		ch.Flash = "You have signed out."
	}
	return render.Page(c, http.StatusOK, views.LoginView(ch, views.LoginPage{ReturnTo: returnTo}))
}

// Login checks the credentials and starts a new session. Too many recent
// failures for the account or from the client's address are answered 429,
// with Retry-After, without looking at the password.
func (h SignIn) Login(c echo.Context) error {
	login := strings.TrimSpace(c.FormValue("login"))
	password := c.FormValue("password")
	returnTo := SafeReturnTo(c.FormValue("return_to"))
	ctx := c.Request().Context()

	cred, err := h.Store.CredentialsFor(ctx, login)
	found := err == nil
	if err != nil && !errors.Is(err, db.ErrNotFound) {
		return err
	}
	// The attempt counts as a failure from here: on every server of this
	// database at once. A count that cannot be kept refuses the sign-in.
	attempt, wait, err := h.Limiter.Begin(ctx, accountKey(login, cred, found), ClientAddress(c.RealIP()))
	if err != nil {
		return err
	}
	if wait > 0 {
		c.Response().Header().Set("Retry-After", strconv.Itoa(retryAfterSeconds(wait)))
		return render.Page(c, http.StatusTooManyRequests, views.LoginView(Chrome(c, "Sign in"),
			views.LoginPage{Login: login, ReturnTo: returnTo, Error: tooManyAttempts(wait)}))
	}

	hash := []byte(cred.PasswordHash)
	if !found {
		hash = h.DummyHash
		if len(hash) == 0 {
			hash = []byte(fallbackDummyHash)
		}
	}
	// bcrypt compares in constant time; an unknown login costs one bcrypt
	// too, against the dummy hash.
	if bcrypt.CompareHashAndPassword(hash, []byte(password)) != nil || !found || login == "" {
		// The attempt was counted as a failure when it began.
		return render.Page(c, http.StatusUnauthorized, views.LoginView(Chrome(c, "Sign in"),
			views.LoginPage{Login: login, ReturnTo: returnTo, Error: badCredentials}))
	}
	if err := attempt.Succeeded(ctx); err != nil {
		return err
	}

	key, err := session.NewKey()
	if err != nil {
		return err
	}
	now := h.now()
	if err := h.Store.StartSession(ctx, db.NewSession{
		ID: key.ID, UserID: cred.User.ID, Replaces: session.ID(c),
		Now: now, ExpiresAt: now.Add(session.IdleTimeout),
	}); err != nil {
		return err
	}
	// The new session has a new CSRF token: one known before is worthless.
	if err := session.SignIn(c, key); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, returnTo)
}

// Logout ends the session on the server, so that no copy of its cookie
// signs anyone in any more, and deletes the cookie.
func (h SignIn) Logout(c echo.Context) error {
	if id := session.ID(c); id != nil {
		if err := h.Store.EndSession(c.Request().Context(), id); err != nil {
			return err
		}
	}
	if err := session.SignOut(c); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, paths.LoginSignedOut)
}

// accountKey is what failures for one account are counted under: the
// account's id when the login or email address names one (so that its
// login and address share a count), else the typed login in lower case,
// cut to a length no account has. An unknown login is limited exactly as a
// known one, so the limit does not tell which accounts exist.
func accountKey(login string, cred db.Credentials, found bool) string {
	switch {
	case found:
		return "#" + strconv.FormatInt(cred.User.ID, 10)
	case login == "":
		return ""
	}
	login = strings.ToLower(login)
	if len(login) > maxAccountKey {
		login = login[:maxAccountKey]
	}
	return login
}

const maxAccountKey = 256

// ClientAddress is the address failures from one client are counted under,
// given the client's IP address (Echo's RealIP: the connection's own, or
// behind a trusted proxy the one it forwarded for): the address, or for
// IPv6 its /64, which one client usually holds whole.
func ClientAddress(host string) string {
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	ip = ip.Unmap().WithZone("")
	if ip.Is6() {
		if p, err := ip.Prefix(64); err == nil {
			return p.String()
		}
	}
	return ip.String()
}

func retryAfterSeconds(wait time.Duration) int {
	return int((wait + time.Second - 1) / time.Second)
}

func tooManyAttempts(wait time.Duration) string {
	when := "in a minute"
	if m := int((wait + time.Minute - 1) / time.Minute); m > 1 {
		when = fmt.Sprintf("in %d minutes", m)
	}
	return "Too many failed sign-in attempts. Try again " + when + "."
}

// SafeReturnTo keeps a return_to only when it is a path on this site, as
// a browser (or this server, or the next redirect) reads it after any
// decoding; anything else (another host, a scheme, "//host", backslashes,
// control characters, slashes or dots that appear once decoded) goes home.
func SafeReturnTo(s string) string {
	if !sitePath(s) {
		return paths.Home
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
		return paths.Home
	}
	if u.Path == paths.Login || u.Path == paths.Logout {
		return paths.Home
	}
	// What is sent back is encoded afresh: it must pass too.
	if out := u.RequestURI(); sitePath(out) {
		return out
	}
	return paths.Home
}

// maxDecodings is how many layers of percent-encoding a return_to may
// have; real paths have one at most.
const maxDecodings = 3

// sitePath reports whether s is a path that stays on this site however
// far its path is percent-decoded: valid UTF-8 starting with exactly one
// slash, with no backslash (browsers read it as a slash), no control
// character (browsers drop tabs and newlines, joining what was around
// them) and no "." or ".." segment (browsers remove them, and "/..//host"
// becomes "//host"), at every layer. The query and fragment cannot move
// the page to another host: they need only be valid UTF-8 with no
// backslash or control character, as typed.
func sitePath(s string) bool {
	at := strings.IndexAny(s, "?#")
	if at < 0 {
		at = len(s)
	}
	path, rest := s[:at], s[at:]
	if !utf8.ValidString(rest) || strings.ContainsFunc(rest, unsafeInPath) {
		return false
	}
	for range maxDecodings + 1 {
		if !utf8.ValidString(path) || !strings.HasPrefix(path, "/") || strings.HasPrefix(path, "//") ||
			strings.ContainsFunc(path, unsafeInPath) ||
			slices.ContainsFunc(strings.Split(path, "/"), func(seg string) bool { return seg == "." || seg == ".." }) {
			return false
		}
		decoded, err := url.PathUnescape(path)
		if err != nil {
			return false
		}
		if decoded == path {
			return true
		}
		path = decoded
	}
	return false
}

// unsafeInPath reports a backslash or a control character.
func unsafeInPath(r rune) bool { return r == '\\' || unicode.IsControl(r) }
