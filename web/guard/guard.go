// Package guard decides who may reach a page: it loads the signed-in user
// and the organization or enterprise a route is about, and turns away
// everyone else. Handlers read what it loaded through its accessors.
// (What a token may reach is the policy's access decision, not a guard's.)
package guard

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"patpolicy/db"
	"patpolicy/web/paths"
	"patpolicy/web/session"
)

// Store is what the guards read.
type Store interface {
	// SessionUser finds who is signed in with a session (ErrNotFound for
	// an ended or expired one); TouchSession notes its use.
	SessionUser(ctx context.Context, id []byte, now time.Time) (db.User, db.Session, error)
	TouchSession(ctx context.Context, id []byte, now, expiresAt time.Time) error
	OrgByLogin(ctx context.Context, login string) (db.Org, error)
	RoleIn(ctx context.Context, orgID, userID int64) (db.Role, error)
	EnterpriseOwnedBy(ctx context.Context, slug string, userID int64) (db.Enterprise, error)
}

// Guard holds the guards' dependencies.
type Guard struct {
	Store Store
	// Now is the clock sessions expire by; nil is time.Now.
	Now func() time.Time
}

func (g Guard) now() time.Time {
	if g.Now == nil {
		return time.Now()
	}
	return g.Now()
}

const (
	keyUser       = "guard.user"
	keyOrg        = "guard.org"
	keyEnterprise = "guard.enterprise"
)

// LoadUser puts the signed-in user, if any, in the request context. A
// cookie whose session has ended (signed out, password changed), expired,
// or names a user who no longer exists counts as signed out.
func (g Guard) LoadUser(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if id := session.ID(c); id != nil {
			ctx := c.Request().Context()
			now := g.now()
			u, ses, err := g.Store.SessionUser(ctx, id, now)
			switch {
			case err == nil:
				c.Set(keyUser, &u)
				if now.Sub(ses.LastSeenAt) >= session.TouchInterval {
					// Best effort, at most once per interval: if the write
					// fails, the next request tries again, and meanwhile
					// the session only keeps its earlier expiry.
					if g.Store.TouchSession(ctx, id, now, now.Add(session.IdleTimeout)) == nil {
						if err := session.Renew(c); err != nil {
							return err
						}
					}
				}
			case !errors.Is(err, db.ErrNotFound):
				return err
			}
		}
		return next(c)
	}
}

// SignedIn sends anonymous visitors to sign in, then back here.
func (g Guard) SignedIn(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if User(c) == nil {
			return c.Redirect(http.StatusSeeOther, LoginURL(c.Request()))
		}
		return next(c)
	}
}

// LoginURL is the sign-in page that returns to r's page afterwards. For a
// form submission it returns to the page, not to the POST target.
func LoginURL(r *http.Request) string {
	back := r.URL.RequestURI()
	if r.Method != http.MethodGet {
		back = r.URL.Path
	}
	return paths.LoginThen(back)
}

// OrgOwner lets through only owners of the :org organization; to anyone else
// the organization's settings do not exist (404), as on GitHub.
func (g Guard) OrgOwner(next echo.HandlerFunc) echo.HandlerFunc {
	return g.SignedIn(func(c echo.Context) error {
		ctx := c.Request().Context()
		org, err := g.Store.OrgByLogin(ctx, c.Param("org"))
		if errors.Is(err, db.ErrNotFound) {
			return echo.ErrNotFound
		}
		if err != nil {
			return err
		}
		role, err := g.Store.RoleIn(ctx, org.ID, User(c).ID)
		if err != nil {
			return err
		}
		if role != db.RoleOwner {
			return echo.ErrNotFound
		}
		c.Set(keyOrg, org)
		return next(c)
	})
}

// EnterpriseOwner lets through only owners of the :ent enterprise.
func (g Guard) EnterpriseOwner(next echo.HandlerFunc) echo.HandlerFunc {
	return g.SignedIn(func(c echo.Context) error {
		ent, err := g.Store.EnterpriseOwnedBy(c.Request().Context(), c.Param("ent"), User(c).ID)
		if errors.Is(err, db.ErrNotFound) {
			return echo.ErrNotFound
		}
		if err != nil {
			return err
		}
		c.Set(keyEnterprise, ent)
		return next(c)
	})
}

// User is the signed-in user, or nil.
func User(c echo.Context) *db.User {
	u, _ := c.Get(keyUser).(*db.User)
	return u
}

// Org is the organization OrgOwner loaded.
func Org(c echo.Context) db.Org {
	o, _ := c.Get(keyOrg).(db.Org)
	return o
}

// Enterprise is the enterprise EnterpriseOwner loaded.
func Enterprise(c echo.Context) db.Enterprise {
	e, _ := c.Get(keyEnterprise).(db.Enterprise)
	return e
}
