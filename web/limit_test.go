package web

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
)

// At most n requests run the handler at once; the others wait and then run,
// and one whose client leaves while it waits never runs.
func TestLimitConcurrency(t *testing.T) {
	e := echo.New()
	var running, most, ran atomic.Int32
	release := make(chan struct{})
	handler := limitConcurrency(2)(func(c echo.Context) error {
		n := running.Add(1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		<-release
		running.Add(-1)
		ran.Add(1)
		return c.NoContent(http.StatusOK)
	})
	serve := func(ctx context.Context) error {
		req := httptest.NewRequest(http.MethodGet, "/", nil).WithContext(ctx)
		return handler(e.NewContext(req, httptest.NewRecorder()))
	}

	var wg sync.WaitGroup
	for range 6 {
		wg.Go(func() {
			if err := serve(context.Background()); err != nil {
				t.Error(err)
			}
		})
	}
	// Two run; the other four wait.
	waitFor(t, func() bool { return running.Load() == 2 })

	// A request that gives up while waiting gets an error and never runs.
	ctx, cancel := context.WithCancel(context.Background())
	gaveUp := make(chan error, 1)
	go func() { gaveUp <- serve(ctx) }()
	cancel()
	var he *echo.HTTPError
	if err := <-gaveUp; !errors.As(err, &he) || he.Code != http.StatusServiceUnavailable {
		t.Errorf("cancelled while waiting: %v", err)
	}

	close(release)
	wg.Wait()
	if most.Load() != 2 || ran.Load() != 6 {
		t.Errorf("at most %d ran at once, %d ran in all; want 2 and 6", most.Load(), ran.Load())
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in 5 s")
		}
		time.Sleep(time.Millisecond)
	}
}

// The heavy routes are the grant lists, the site's and the API's, and the
// site's bulk decisions, which show the list again on a refusal.
func TestHeavyRoutesAreTheGrantLists(t *testing.T) {
	var heavy []string
	for _, r := range Rules() {
		if r.Heavy {
			heavy = append(heavy, r.Method+" "+r.Path)
		}
	}
	want := []string{
		"GET /organizations/:org/settings/personal-access-token-requests",
		"POST /organizations/:org/settings/personal-access-token-requests",
		"GET /organizations/:org/settings/personal-access-tokens/active",
		"POST /organizations/:org/settings/personal-access-tokens/active",
		"GET /api/v3/orgs/:org/personal-access-token-requests",
		"GET /api/v3/orgs/:org/personal-access-tokens",
	}
	if len(heavy) != len(want) {
		t.Fatalf("heavy routes %q, want %q", heavy, want)
	}
	for i := range want {
		if heavy[i] != want[i] {
			t.Errorf("heavy routes %q, want %q", heavy, want)
			break
		}
	}
}
