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

// probeTimeout bounds how long /healthz and /readyz wait for the database:
// a load balancer's probe wants an answer soon, and a database that cannot
// answer within it (a network that drops a remote database's packets, a
// write lock held elsewhere longer than that) counts as not there.
const probeTimeout = time.Second

// probe answers 200 "ok" while check succeeds within probeTimeout, and 503
// with Retry-After and the words failure otherwise, logging why. It asks
// the database anew on every call, so an instance that lost its database
// is taken out of rotation and comes back by itself once it answers again.
func probe(check func(context.Context) error, failure string, log *slog.Logger) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx, cancel := context.WithTimeout(c.Request().Context(), probeTimeout)
		defer cancel()
		if err := check(ctx); err != nil {
			log.Warn(c.Request().URL.Path+": "+failure, "err", err)
			c.Response().Header().Set("Retry-After", strconv.Itoa(retryUnavailableAfter))
			return c.String(http.StatusServiceUnavailable, failure)
		}
		return c.String(http.StatusOK, "ok")
	}
}

// liveness is /healthz: whether the database answers a ping (a round trip
// to a database server; on a SQLite file, whether the store is open).
func liveness(store *db.Store, log *slog.Logger) echo.HandlerFunc {
	return probe(store.Ping, "database unavailable", log)
}

// readiness is /readyz: unlike /healthz it makes a small write, so it
// notices a lock held too long elsewhere, a full disk or a read-only file.
func readiness(store *db.Store, log *slog.Logger) echo.HandlerFunc {
	return probe(store.CheckWritable, "database cannot be written", log)
}
