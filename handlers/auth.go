package handlers

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"
	"golang.org/x/crypto/bcrypt"

	"patpolicy/db"
	"patpolicy/views"
	"patpolicy/web/access"
	"patpolicy/web/render"
	"patpolicy/web/session"
)

// CredentialStore finds accounts for sign-in.
type CredentialStore interface {
	CredentialsFor(ctx context.Context, loginOrEmail string) (db.Credentials, error)
}

// Auth signs people in and out.
type Auth struct {
	Store CredentialStore
	// DummyHash is compared against when the account does not exist, so an
	// unknown login takes as long as a wrong password.
	DummyHash []byte
}

// HomePath is where a signed-in user lands by default.
const HomePath = "/settings/organizations"

const badCredentials = "Incorrect username or password."

// LoginForm shows the sign-in page.
func (h Auth) LoginForm(c echo.Context) error {
	returnTo := SafeReturnTo(c.QueryParam("return_to"))
	if access.User(c) != nil {
		return c.Redirect(http.StatusSeeOther, returnTo)
	}
	return render.Page(c, http.StatusOK, views.LoginView(Chrome(c, "Sign in"), views.LoginPage{ReturnTo: returnTo}))
}

// Login checks the credentials and starts a new session.
func (h Auth) Login(c echo.Context) error {
	login := strings.TrimSpace(c.FormValue("login"))
	password := c.FormValue("password")
	returnTo := SafeReturnTo(c.FormValue("return_to"))

	cred, err := h.Store.CredentialsFor(c.Request().Context(), login)
	hash := []byte(cred.PasswordHash)
	if err != nil {
		if !errors.Is(err, db.ErrNotFound) {
			return err
		}
		hash = h.DummyHash
	}
	if bcrypt.CompareHashAndPassword(hash, []byte(password)) != nil || err != nil || login == "" {
		return render.Page(c, http.StatusUnauthorized, views.LoginView(Chrome(c, "Sign in"),
			views.LoginPage{Login: login, ReturnTo: returnTo, Error: badCredentials}))
	}
	if err := session.SignIn(c, cred.User.ID); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, returnTo)
}

// Logout ends the session.
func (h Auth) Logout(c echo.Context) error {
	if err := session.SignOut(c); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/login")
}

// SafeReturnTo keeps a return_to only when it is a path on this site;
// anything else (another host, a scheme, "//host", backslashes) goes home.
func SafeReturnTo(s string) string {
	if s == "" || !strings.HasPrefix(s, "/") || strings.HasPrefix(s, "//") || strings.ContainsAny(s, "\\\r\n\t") {
		return HomePath
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return HomePath
	}
	if u.Path == "/login" || u.Path == "/logout" {
		return HomePath
	}
	return u.RequestURI()
}
