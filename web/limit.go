package web

import (
	"net/http"
	"runtime"

	"github.com/labstack/echo/v4"
)

// DefaultHeavyLimit lets heavy routes use half the processors (at least
// one), leaving the rest to everything else.
func DefaultHeavyLimit() int {
	return max(1, runtime.NumCPU()/2)
}

// limitConcurrency lets at most n requests through at once; the others wait
// their turn in arrival order (Go's channel queue), however long it takes,
// unless their client goes away first.
func limitConcurrency(n int) echo.MiddlewareFunc {
	slots := make(chan struct{}, n)
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			select {
			case slots <- struct{}{}:
			case <-c.Request().Context().Done():
				// No one is left to read an answer.
				return echo.NewHTTPError(http.StatusServiceUnavailable, "The request was cancelled while it waited.").
					SetInternal(c.Request().Context().Err())
			}
			defer func() { <-slots }()
			return next(c)
		}
	}
}
