package api

import (
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
)

// APIRateLimit counts each token's calls in hourly windows, as GitHub's
// core rate limit does: a window opens with a token's first call and
// resets an hour later. The counts are kept in this process's memory, so
// each instance of the server counts on its own and a restart forgets
// them. Calls without a token are not counted.
type RateLimit struct {
	// PerHour is how many calls a token may make in a window; 0 is no limit.
	PerHour int
	Now     func() time.Time

	mu      sync.Mutex
	windows map[int64]rateWindow
}

type rateWindow struct {
	reset time.Time
	used  int
}

// rateLimitWindow is how long a window lasts.
const rateLimitWindow = time.Hour

// NewAPIRateLimit makes a limit of perHour calls per token (0: none).
func NewRateLimit(perHour int, now func() time.Time) *RateLimit {
	return &RateLimit{PerHour: perHour, Now: now, windows: map[int64]rateWindow{}}
}

// take counts one call of token and returns its window after the call;
// ok is false when the call is over the limit (and is not counted).
func (l *RateLimit) take(token int64) (w rateWindow, ok bool) {
	now := l.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	w, found := l.windows[token]
	if !found || !now.Before(w.reset) {
		if !found {
			l.sweep(now)
		}
		w = rateWindow{reset: now.Add(rateLimitWindow)}
	}
	if w.used >= l.PerHour {
		return w, false
	}
	w.used++
	l.windows[token] = w
	return w, true
}

// sweep forgets windows that are over, when there are many, so that the
// map holds about as many entries as tokens called in the last hour.
func (l *RateLimit) sweep(now time.Time) {
	if len(l.windows) < 1024 {
		return
	}
	for id, w := range l.windows {
		if !now.Before(w.reset) {
			delete(l.windows, id)
		}
	}
}

// Limit runs after Authenticate: it counts a token's call, answers with
// GitHub's X-RateLimit headers, and refuses the call with GitHub's 403
// when the token's window is used up.
func (l *RateLimit) Limit(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		caller := callerOf(c)
		if l == nil || l.PerHour <= 0 || caller == nil {
			return next(c)
		}
		w, ok := l.take(caller.Token.ID)
		h := c.Response().Header()
		h.Set("X-RateLimit-Limit", strconv.Itoa(l.PerHour))
		h.Set("X-RateLimit-Remaining", strconv.Itoa(l.PerHour-w.used))
		h.Set("X-RateLimit-Reset", strconv.FormatInt(w.reset.Unix(), 10))
		h.Set("X-RateLimit-Used", strconv.Itoa(w.used))
		h.Set("X-RateLimit-Resource", "core")
		if !ok {
			return apiErr(http.StatusForbidden, "API rate limit exceeded for user ID %d.", caller.Token.UserID)
		}
		return next(c)
	}
}
