package server

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"patpolicy/db"
)

// retryUnavailableAfter is the Retry-After, in seconds, of an answer given
// while the database cannot be used.
const retryUnavailableAfter = 30

// unavailableMessage is what people and API clients read then.
const unavailableMessage = "The database cannot be written to right now (another process may hold its lock, or the disk may be full). Nothing was changed; try again in a minute."

// unavailable turns the error of a database that cannot be used right now
// (db.Unavailable) into a 503 with Retry-After: the request was fine, and
// the same request may succeed later. Other errors pass unchanged.
func unavailable(c echo.Context, err error) error {
	if !db.Unavailable(err) {
		return err
	}
	c.Response().Header().Set("Retry-After", strconv.Itoa(retryUnavailableAfter))
	return echo.NewHTTPError(http.StatusServiceUnavailable, unavailableMessage).SetInternal(err)
}

// readinessTimeout bounds how long /readyz waits for the database's write
// lock (the store's busy timeout is longer): a probe wants an answer soon,
// and a write that cannot start within it counts as the database not ready.
const readinessTimeout = time.Second

// readiness answers 200 "ok" while the database can be written to, and 503
// with Retry-After otherwise: unlike /healthz, which only asks whether the
// database answers, it makes a small write, so it notices a lock held too
// long elsewhere, a full disk or a read-only file.
func readiness(store *db.Store, log *slog.Logger) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx, cancel := context.WithTimeout(c.Request().Context(), readinessTimeout)
		defer cancel()
		if err := store.CheckWritable(ctx); err != nil {
			log.Warn("readiness: the database cannot be written", "err", err)
			c.Response().Header().Set("Retry-After", strconv.Itoa(retryUnavailableAfter))
			return c.String(http.StatusServiceUnavailable, "database cannot be written")
		}
		return c.String(http.StatusOK, "ok")
	}
}
