// Package server is the composition root: it builds the Echo server from
// the plumbing of web/ (sessions, CSRF, access guards, rendering), the
// handlers of both transports and the route table.
package server

import (
	"cmp"
	"errors"
	"log/slog"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"patpolicy/db"
	"patpolicy/handlers"
	"patpolicy/handlers/api"
	"patpolicy/views"
	"patpolicy/web/csrf"
	"patpolicy/web/guard"
	"patpolicy/web/paths"
	"patpolicy/web/render"
	"patpolicy/web/session"
)

// Config is what the server is built from.
type Config struct {
	Store          *db.Store
	SessionSecrets []string
	// SecureCookies marks cookies Secure, with __Host- names, and sends
	// Strict-Transport-Security; an https BaseURL sets it.
	SecureCookies bool
	Logger        *slog.Logger
	// DummyHash is a bcrypt hash compared against for unknown logins.
	DummyHash []byte
	// HeavyLimit is how many heavy routes (grant lists) run at once; 0
	// is DefaultHeavyLimit.
	HeavyLimit int
	// BaseURL is the site's public URL, scheme and host (--base-url):
	// absolute links in API answers are built from it, never from the
	// request's Host header. Empty, they are built from the request.
	BaseURL string
	// TrustedProxies are the reverse proxies whose X-Forwarded-For and
	// X-Forwarded-Proto are believed (see forwardedFrom).
	TrustedProxies []netip.Prefix
	// APIRateLimit is how many API calls a token may make an hour; 0 is
	// no limit. Each server instance counts in its own memory.
	APIRateLimit int
}

// FormBodyLimit caps a request body.
const FormBodyLimit = "64K"

// formMemory is how much of a multipart form is held in memory; the body
// limit keeps every form under it.
const formMemory = 64 << 10

// New builds the server.
func New(cfg Config) *echo.Echo { return newServer(cfg, heavyKey) }

// newServer builds the server, its heavy lane fair between the keys that
// heavyKey gives.
func newServer(cfg Config, heavyKey func(echo.Context) (group, user string)) *echo.Echo {
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	e.HTTPErrorHandler = errorHandler(cfg.Logger)
	cfg.SecureCookies = cfg.SecureCookies || strings.HasPrefix(cfg.BaseURL, "https://")
	behindProxy(e, cfg)

	pages := guard.Guard{Store: cfg.Store}
	e.Pre(api.Head)
	e.Use(
		requestLogger(cfg.Logger),
		middleware.Recover(),
		consistent(cfg.Store),
		securityHeaders,
		api.Headers,
		middleware.BodyLimitWithConfig(middleware.BodyLimitConfig{Limit: FormBodyLimit,
			// Revoking by value takes a longer body and caps it itself.
			Skipper: func(c echo.Context) bool { return c.Request().URL.Path == api.RevokePath }}),
		siteOnly(readForm),
		siteOnly(session.Middleware(session.NewStore(cfg.SessionSecrets, cfg.SecureCookies))),
		siteOnly(pages.LoadUser),
		siteOnly(csrf.Protect),
	)

	guards := map[Who][]echo.MiddlewareFunc{
		Anonymous:       nil,
		SignedIn:        {pages.SignedIn},
		OrgOwner:        {pages.OrgOwner},
		EnterpriseOwner: {pages.EnterpriseOwner},
		Token: {api.Auth{Store: cfg.Store, Now: time.Now}.Authenticate,
			api.NewRateLimit(cfg.APIRateLimit, time.Now).Limit},
	}
	heavy := limitConcurrency(cmp.Or(cfg.HeavyLimit, DefaultHeavyLimit()), heavyKey)
	for _, r := range routeTable(newEndpoints(cfg)) {
		mw, ok := guards[r.Who]
		if !ok {
			panic("server: route " + r.Method + " " + r.Path + " has no rule of who may reach it")
		}
		if r.Who == Token {
			if r.Needs.TakesNoToken() {
				mw = nil // no token is read, so none is checked or counted
			}
			mw = append(slices.Clip(mw), api.Requires(r.Needs))
		}
		if r.Heavy {
			// After the guard: whoever it turns away does not wait (on
			// the API it checks the token; whether the token may list
			// is decided by the handler, inside the limit).
			mw = append(slices.Clip(mw), heavy)
		}
		e.Add(r.Method, r.Path, r.Handler, mw...)
	}
	return e
}

// consistent makes every cached read of a request reflect every write
// committed before it began, by this process or any other (db.Consistent).
func consistent(store *db.Store) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			r := c.Request()
			c.SetRequest(r.WithContext(store.Consistent(r.Context())))
			return next(c)
		}
	}
}

// isAPI reports whether a request is for the REST API (or anywhere under
// /api, which answers in JSON too).
func isAPI(c echo.Context) bool {
	return api.IsPath(c.Request().URL.Path)
}

// isStatic reports whether a request is for a static file.
func isStatic(c echo.Context) bool {
	return strings.HasPrefix(c.Request().URL.Path, paths.Static)
}

// siteOnly applies a browser middleware (forms, sessions, CSRF) to the
// site's pages: not to the API, whose calls carry a token instead, nor to
// static files, which are public and cached, so that no cookie (a session's
// renewal, a new CSRF key) is ever set on one.
func siteOnly(mw echo.MiddlewareFunc) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		site := mw(next)
		return func(c echo.Context) error {
			if isAPI(c) || isStatic(c) {
				return next(c)
			}
			return site(c)
		}
	}
}

// redirectTo sends a settings root to its first page.
func redirectTo(sub string) echo.HandlerFunc {
	return func(c echo.Context) error {
		return c.Redirect(http.StatusSeeOther, c.Request().URL.Path+"/"+sub)
	}
}

// readForm reads a submitted form once, before anything else looks at it,
// so that a body over the limit is answered 413 and a malformed one 400,
// rather than surfacing later as a missing CSRF token.
func readForm(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if r.Method != http.MethodPost || isAPI(c) {
			return next(c)
		}
		var err error
		switch ct := r.Header.Get(echo.HeaderContentType); {
		case strings.HasPrefix(ct, echo.MIMEApplicationForm):
			err = r.ParseForm()
		case strings.HasPrefix(ct, echo.MIMEMultipartForm):
			err = r.ParseMultipartForm(formMemory)
		}
		var tooLarge *http.MaxBytesError
		switch {
		case err == nil:
		case errors.Is(err, echo.ErrStatusRequestEntityTooLarge) || errors.As(err, &tooLarge):
			return echo.ErrStatusRequestEntityTooLarge
		default:
			return echo.NewHTTPError(http.StatusBadRequest, "The form could not be read.").SetInternal(err)
		}
		return next(c)
	}
}

// securityHeaders forbids inline script, framing and MIME sniffing.
func securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "+
			"form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		return next(c)
	}
}

func requestLogger(log *slog.Logger) echo.MiddlewareFunc {
	return middleware.RequestLoggerWithConfig(middleware.RequestLoggerConfig{
		LogMethod: true, LogURIPath: true, LogStatus: true, LogLatency: true, LogError: true,
		HandleError: true,
		LogValuesFunc: func(c echo.Context, v middleware.RequestLoggerValues) error {
			attrs := []any{"method", v.Method, "path", v.URIPath, "status", v.Status, "latency", v.Latency.Round(time.Microsecond)}
			if v.Error != nil && v.Status >= 500 {
				log.Error("request", append(attrs, "err", v.Error)...)
			} else {
				log.Info("request", attrs...)
			}
			return nil
		},
	})
}

// errorHandler answers errors with a friendly page. Messages of 4xx errors
// are written for people and shown; 5xx details go to the log only.
func errorHandler(log *slog.Logger) echo.HTTPErrorHandler {
	return func(err error, c echo.Context) {
		if c.Response().Committed {
			return
		}
		err = unavailable(c, err)
		if isAPI(c) {
			ae := api.ErrorFrom(err)
			if ae.Status >= 500 {
				log.Error("api request failed", "path", c.Request().URL.Path, "err", err)
			}
			ae.SetHeaders(c.Response().Header())
			if rerr := render.JSON(c, ae.Status, ae.Body()); rerr != nil {
				log.Error("render api error", "err", rerr)
			}
			return
		}
		status, msg := http.StatusInternalServerError, ""
		var he *echo.HTTPError
		if errors.As(err, &he) {
			status = he.Code
			if s, ok := he.Message.(string); ok {
				msg = s
			}
		}
		page := views.ErrorPage{Status: status, Title: http.StatusText(status), Message: msg}
		switch {
		case status == http.StatusNotFound:
			page.Title, page.Message = "Page not found", "There is nothing here, or you do not have access to it."
		case status == http.StatusRequestEntityTooLarge:
			page.Message = "The submitted form is larger than this site accepts."
		case status == http.StatusServiceUnavailable && msg != "":
			page.Title = "Service unavailable"
			log.Warn("request refused: service unavailable", "path", c.Request().URL.Path, "err", err)
		case status >= 500:
			page.Title, page.Message = "Something went wrong", "The server could not finish this request. Nothing was changed; try again."
			log.Error("request failed", "path", c.Request().URL.Path, "err", err)
		case msg == "" || msg == http.StatusText(status):
			page.Message = "The request could not be handled."
		}
		if c.Request().Method == http.MethodHead {
			_ = c.NoContent(status)
			return
		}
		if rerr := render.Page(c, status, views.ErrorView(handlers.Chrome(c, page.Title), page)); rerr != nil {
			log.Error("render error page", "err", rerr)
			_ = c.String(status, page.Title)
		}
	}
}
