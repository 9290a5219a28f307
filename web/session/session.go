// Package session keeps the signed-in session's secret, and one-time flash
// messages, in a signed and encrypted cookie. The server keeps only the
// SHA-256 of the secret (the session's ID) with the user it signs in, so
// that ending a session on the server ends every copy of its cookie.
package session

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/gorilla/securecookie"
	"github.com/gorilla/sessions"
	echosession "github.com/labstack/echo-contrib/session"
	"github.com/labstack/echo/v4"
)

const (
	cookieName = "patpolicy_session"
	// keySecret holds the session secret, hex-encoded. (Cookies from before
	// server-side sessions held "uid" and "sid"; they now sign no one in.)
	keySecret     = "secret"
	keyFlash      = "flash"
	keyNewToken   = "new_token"
	keyNewTokenID = "new_token_id"
	// keyCSRF holds a signed-out visitor's CSRF key, hex-encoded.
	keyCSRF   = "csrf"
	secretLen = 32
)

const (
	// IdleTimeout ends a session that has not been used for this long; the
	// cookie lives as long.
	IdleTimeout = 30 * 24 * time.Hour
	// TouchInterval is how often a session's last use is written down (and
	// its cookie renewed): at most once per interval, not on every request.
	TouchInterval = time.Hour
)

// Key is a new session's secret, which only the browser's cookie holds,
// and its ID, the SHA-256 of the secret, which is all the server keeps.
type Key struct {
	secret string
	ID     []byte
}

// NewKey makes a session key from 32 random bytes.
func NewKey() (Key, error) {
	b, err := randomSecret()
	if err != nil {
		return Key{}, err
	}
	id := sha256.Sum256(b)
	return Key{secret: hex.EncodeToString(b), ID: id[:]}, nil
}

// randomSecret is secretLen random bytes.
func randomSecret() ([]byte, error) {
	b := make([]byte, secretLen)
	_, err := rand.Read(b)
	return b, err
}

// idOf is the ID of a hex-encoded secret, or nil for anything that is not
// one.
func idOf(secret string) []byte {
	b, err := hex.DecodeString(secret)
	if err != nil || len(b) != secretLen {
		return nil
	}
	id := sha256.Sum256(b)
	return id[:]
}

// NewStore builds the cookie store from secrets, newest first: the first
// signs and encrypts, the others are still accepted, so keys can rotate.
func NewStore(secrets []string, secure bool) *sessions.CookieStore {
	var pairs [][]byte
	for _, s := range secrets {
		hashKey := sha256.Sum256([]byte("patpolicy session hash\x00" + s))
		blockKey := sha256.Sum256([]byte("patpolicy session block\x00" + s))
		pairs = append(pairs, hashKey[:], blockKey[:])
	}
	store := sessions.NewCookieStore(pairs...)
	for _, codec := range store.Codecs {
		if sc, ok := codec.(*securecookie.SecureCookie); ok {
			sc.SetSerializer(serializer{})
		}
	}
	store.Options = &sessions.Options{
		Path:     "/",
		MaxAge:   int(IdleTimeout.Seconds()),
		HttpOnly: true,
		Secure:   secure,
		SameSite: http.SameSiteLaxMode,
	}
	return store
}

// ParseSecrets splits PATPOLICY_SESSION_KEYS (comma-separated).
func ParseSecrets(s string) []string {
	var out []string
	for _, k := range strings.Split(s, ",") {
		if k = strings.TrimSpace(k); k != "" {
			out = append(out, k)
		}
	}
	return out
}

// NewSecret makes a random secret for a store that has none.
func NewSecret() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

// CookieName is the name of a cookie of the site: with secure cookies (an
// https base URL), __Host- prefixed, a name browsers accept only from an
// https origin on a Secure cookie with Path=/ and no Domain, so that no
// other host (a sibling subdomain) can set or shadow it.
func CookieName(name string, secure bool) string {
	if secure {
		return "__Host-" + name
	}
	return name
}

// keyCookieName is where Middleware leaves the session cookie's name.
const keyCookieName = "session.cookie_name"

// Middleware makes the session available to handlers, in the cookie named
// as the store's options call for (CookieName).
func Middleware(store *sessions.CookieStore) echo.MiddlewareFunc {
	name := CookieName(cookieName, store.Options.Secure)
	load := echosession.Middleware(store)
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return load(func(c echo.Context) error {
			c.Set(keyCookieName, name)
			return next(c)
		})
	}
}

func get(c echo.Context) *sessions.Session {
	name, _ := c.Get(keyCookieName).(string)
	s, err := echosession.Get(name, c)
	if s == nil {
		s = sessions.NewSession(nil, name)
	}
	if err != nil {
		// A cookie we cannot read (a retired key, tampering) counts as none.
		s.IsNew = true
		s.Values = map[any]any{}
	}
	return s
}

// ID returns the ID of the session the cookie holds, or nil when it holds
// none. Whether that session exists, and whose it is, is the store's to say.
func ID(c echo.Context) []byte {
	secret, _ := get(c).Values[keySecret].(string)
	return idOf(secret)
}

// SignIn gives the browser the new session k, dropping everything the old
// cookie held (the signed-out CSRF key too), so that a cookie fixed before
// sign-in, and the CSRF token made from it, are worth nothing after it. The
// caller has stored k.ID with the user, and ended the session the cookie
// held before (ID(c)).
func SignIn(c echo.Context, k Key) error {
	if idOf(k.secret) == nil {
		return errors.New("session: SignIn with a key not made by NewKey")
	}
	s := get(c)
	s.Values = map[any]any{keySecret: k.secret}
	return s.Save(c.Request(), c.Response())
}

// Renew saves the cookie again, so that its lifetime starts over, as the
// session's does on the server when its use is written down.
func Renew(c echo.Context) error {
	s := get(c)
	if s.IsNew {
		return nil
	}
	return s.Save(c.Request(), c.Response())
}

// SignOut deletes the cookie. The caller has ended its session (ID(c)) in
// the store: that is what makes copies of the cookie worthless too.
func SignOut(c echo.Context) error {
	s := get(c)
	s.Values = map[any]any{}
	s.Options.MaxAge = -1 // the store's other options (Secure, SameSite) stay
	return s.Save(c.Request(), c.Response())
}

// SetFlash stores a message for the next page shown.
func SetFlash(c echo.Context, msg string) error {
	s := get(c)
	s.AddFlash(msg, keyFlash)
	return s.Save(c.Request(), c.Response())
}

// TakeFlash returns and clears the pending flash message, if any.
func TakeFlash(c echo.Context) string {
	s := get(c)
	flashes := s.Flashes(keyFlash)
	if len(flashes) == 0 {
		return ""
	}
	_ = s.Save(c.Request(), c.Response())
	msg, _ := flashes[len(flashes)-1].(string)
	return msg
}

// SetNewToken keeps a token's secret for the one page that shows it after
// creation. The cookie is encrypted, and TakeNewToken drops it at once.
func SetNewToken(c echo.Context, tokenID int64, secret string) error {
	s := get(c)
	s.Values[keyNewTokenID] = tokenID
	s.Values[keyNewToken] = secret
	return s.Save(c.Request(), c.Response())
}

// TakeNewToken returns the secret of a just-created token if it is tokenID,
// and forgets it either way.
func TakeNewToken(c echo.Context, tokenID int64) (string, error) {
	s := get(c)
	id, _ := s.Values[keyNewTokenID].(int64)
	secret, ok := s.Values[keyNewToken].(string)
	if !ok {
		return "", nil
	}
	delete(s.Values, keyNewTokenID)
	delete(s.Values, keyNewToken)
	if err := s.Save(c.Request(), c.Response()); err != nil {
		return "", err
	}
	if id != tokenID {
		return "", nil
	}
	return secret, nil
}

// CSRFKey is the key the request's CSRF token is made from, nil if there is
// none yet: the secret of the session the cookie holds, which only this
// browser has; without one, the signed-out key the cookie keeps until
// sign-in (NewCSRFKey). A session that ended elsewhere keeps its key, so
// that its forms still lead to the sign-in page; all they can do is sign in,
// which brings a new key.
func CSRFKey(c echo.Context) []byte {
	s := get(c)
	v, ok := s.Values[keySecret].(string)
	if !ok {
		v, _ = s.Values[keyCSRF].(string)
	}
	b, err := hex.DecodeString(v)
	if err != nil || len(b) != secretLen {
		return nil
	}
	return b
}

// NewCSRFKey gives a signed-out visitor a CSRF key of 32 random bytes, kept
// in the cookie until sign-in.
func NewCSRFKey(c echo.Context) ([]byte, error) {
	b, err := randomSecret()
	if err != nil {
		return nil, err
	}
	s := get(c)
	s.Values[keyCSRF] = hex.EncodeToString(b)
	return b, s.Save(c.Request(), c.Response())
}
