package server

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
)

// A probe asks anew on every call: it answers 503 while its check fails or
// does not answer within probeTimeout, and 200 again, by itself, as soon
// as the check succeeds.
func TestProbeFollowsTheDatabaseAndGivesUpAfterItsTimeout(t *testing.T) {
	var state string
	check := func(ctx context.Context) error {
		switch state {
		case "down":
			return errors.New("connection refused")
		case "silent":
			<-ctx.Done() // a database whose packets are lost
			return ctx.Err()
		}
		return nil
	}
	handler := probe(check, "database unavailable", slog.New(slog.NewTextHandler(io.Discard, nil)))
	e := echo.New()
	call := func() (*httptest.ResponseRecorder, time.Duration) {
		rec := httptest.NewRecorder()
		start := time.Now()
		if err := handler(e.NewContext(httptest.NewRequest(http.MethodGet, "/healthz", nil), rec)); err != nil {
			t.Fatal(err)
		}
		return rec, time.Since(start)
	}
	want := func(status int, body string) time.Duration {
		t.Helper()
		rec, took := call()
		if rec.Code != status || rec.Body.String() != body {
			t.Fatalf("%s: %d %q, want %d %q", state, rec.Code, rec.Body.String(), status, body)
		}
		if secs, err := strconv.Atoi(rec.Header().Get("Retry-After")); status == http.StatusServiceUnavailable && (err != nil || secs <= 0) {
			t.Fatalf("%s: Retry-After %q, want a number of seconds", state, rec.Header().Get("Retry-After"))
		}
		return took
	}

	want(http.StatusOK, "ok")
	state = "down"
	want(http.StatusServiceUnavailable, "database unavailable")
	state = "silent"
	if took := want(http.StatusServiceUnavailable, "database unavailable"); took < probeTimeout || took > probeTimeout+2*time.Second {
		t.Errorf("a database that does not answer was waited for %v, want about %v", took, probeTimeout)
	}
	state = "up"
	want(http.StatusOK, "ok")
}
