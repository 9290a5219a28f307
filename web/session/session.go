// Package session keeps who is signed in, and one-time flash messages, in a
// signed and encrypted cookie.
package session

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
	"time"

	"github.com/gorilla/sessions"
	echosession "github.com/labstack/echo-contrib/session"
	"github.com/labstack/echo/v4"
)

const (
	cookieName    = "patpolicy_session"
	keyUserID     = "uid"
	keyNonce      = "sid"
	keyFlash      = "flash"
	keyNewToken   = "new_token"
	keyNewTokenID = "new_token_id"
	maxAge        = 14 * 24 * time.Hour
)

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
	store.Options = &sessions.Options{
		Path:     "/",
		MaxAge:   int(maxAge.Seconds()),
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

// Middleware makes the session available to handlers.
func Middleware(store sessions.Store) echo.MiddlewareFunc {
	return echosession.Middleware(store)
}

func get(c echo.Context) *sessions.Session {
	s, err := echosession.Get(cookieName, c)
	if s == nil {
		s = sessions.NewSession(nil, cookieName)
	}
	if err != nil {
		// A cookie we cannot read (a retired key, tampering) counts as none.
		s.IsNew = true
		s.Values = map[any]any{}
	}
	return s
}

// UserID returns the signed-in user's id, or 0.
func UserID(c echo.Context) int64 {
	id, _ := get(c).Values[keyUserID].(int64)
	return id
}

// SignIn starts a new session for the user, dropping everything the old one
// held, so a session fixed before sign-in is worth nothing after it.
func SignIn(c echo.Context, userID int64) error {
	s := get(c)
	nonce, err := NewSecret()
	if err != nil {
		return err
	}
	// The nonce makes the new cookie differ from any earlier one even for
	// the same user, so a cookie planted before sign-in is not the one after.
	s.Values = map[any]any{keyUserID: userID, keyNonce: nonce}
	return s.Save(c.Request(), c.Response())
}

// SignOut ends the session and deletes its cookie.
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
