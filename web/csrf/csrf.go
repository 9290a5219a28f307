// Package csrf binds every form to the session it was shown in.
package csrf

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net/http"

	"github.com/labstack/echo/v4"

	"patpolicy/web/session"
)

const (
	// keyToken is where the middleware leaves the request's token.
	keyToken = "csrf.token"
	// csrfField is the form field that carries the CSRF token.
	csrfField = "_csrf"
	// csrfHeader carries it for a request that is not a form.
	csrfHeader = "X-CSRF-Token"
)

// errForged answers a state-changing request whose token is missing or not
// its session's.
func errForged() error {
	return echo.NewHTTPError(http.StatusForbidden,
		"This form could not be verified as coming from this site. Reload the page and try again.")
}

// Protect binds forms to the session they were shown in. The token is
// an HMAC of the session's secret, which only the browser's encrypted
// cookie holds (for a signed-out visitor, of a random key the cookie keeps
// until sign-in): no other browser or session can know it, and nothing but
// the page carries it, so no cookie is set for it. Every request that is
// not GET, HEAD or OPTIONS must send it in the form field or the header
// (never in the query string, which leaks into logs and Referer), and
// browsers that say the request comes from another site are refused even
// with it.
func Protect(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		safe := r.Method == http.MethodGet || r.Method == http.MethodHead || r.Method == http.MethodOptions
		key := session.CSRFKey(c)
		if key == nil && safe {
			// The page about to be shown may hold a form.
			var err error
			if key, err = session.NewCSRFKey(c); err != nil {
				return err
			}
		}
		var token string
		if key != nil {
			token = csrfToken(key)
			c.Set(keyToken, token)
		}
		if safe {
			return next(c)
		}
		switch r.Header.Get(echo.HeaderSecFetchSite) {
		case "cross-site", "same-site":
			return errForged()
		}
		sent := r.Header.Get(csrfHeader)
		if sent == "" {
			sent = r.PostFormValue(csrfField)
		}
		if token == "" || subtle.ConstantTimeCompare([]byte(sent), []byte(token)) != 1 {
			return errForged()
		}
		return next(c)
	}
}

// Token is the token the request's forms carry, "" if it has none.
func Token(c echo.Context) string {
	t, _ := c.Get(keyToken).(string)
	return t
}

// csrfToken is the token made from key; it tells nothing of the key.
func csrfToken(key []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("patpolicy CSRF token"))
	return hex.EncodeToString(m.Sum(nil))
}
