package server

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
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
	handler := limitConcurrency(2, heavyKey)(func(c echo.Context) error {
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

// keyed is a request of user in org.
type keyed struct{ org, user string }

// servedOrder runs the requests against a limiter of one slot that is
// busy with a request of busy: each waits in turn, then the busy one ends,
// and the order in which the waiting ones are let through is returned.
func servedOrder(t *testing.T, busy keyed, waiting []keyed) []keyed {
	t.Helper()
	l := newFairLimiter(1)
	if !l.acquire(nil, busy.org, busy.user) {
		t.Fatal("the first request waited")
	}
	served := make(chan keyed)
	for i, k := range waiting {
		go func() {
			if l.acquire(nil, k.org, k.user) {
				served <- k
				l.release(k.org, k.user)
			}
		}()
		// One at a time, so that they start waiting in this order.
		waitFor(t, func() bool { return l.waitingCount() == i+1 })
	}
	l.release(busy.org, busy.user)
	var order []keyed
	for range waiting {
		order = append(order, <-served)
	}
	waitFor(t, func() bool { return l.idle(1) })
	return order
}

// waitingCount is how many requests wait.
func (l *fairLimiter) waitingCount() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, q := range l.groups.queues {
		n += q.waiting
	}
	return n
}

// idle reports whether all n slots are free and no state is left behind.
func (l *fairLimiter) idle(n int) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.free == n && len(l.groups.queues) == 0 && len(l.groups.backlog) == 0
}

func repeat(k keyed, n int) []keyed {
	out := make([]keyed, n)
	for i := range out {
		out[i] = k
	}
	return out
}

// One owner floods the limit with 32 list calls of organization A; a
// request of organization B, arriving after them, is let through before
// the 31 that still wait, not behind them.
func TestFairLimiterLetsAnotherOrganizationPastAFlood(t *testing.T) {
	a, b := keyed{"org:a", "1"}, keyed{"org:b", "2"}
	order := servedOrder(t, a, append(repeat(a, 31), b))
	if order[0] != b {
		t.Errorf("served %v; want org B's request first", order)
	}
	for i, k := range order[1:] {
		if k != a {
			t.Fatalf("served %v; %d-th is not org A's", order, i+1)
		}
	}
}

// Two organizations that both keep waiting take turns, whichever came
// first; one whose members wait in numbers gets no more turns for it, and
// its members take turns among themselves (the busy one has just had its
// turn, so the other goes first).
func TestFairLimiterAlternatesBetweenOrganizations(t *testing.T) {
	a1, a2, b := keyed{"org:a", "1"}, keyed{"org:a", "2"}, keyed{"org:b", "3"}
	waiting := append(append(repeat(a1, 3), repeat(a2, 3)...), repeat(b, 3)...)
	got := servedOrder(t, a1, waiting)
	want := []keyed{b, a2, b, a1, b, a2, a1, a2, a1}
	if !slices.Equal(got, want) {
		t.Errorf("served %v, want %v", got, want)
	}
}

// Within an organization, users take turns: a second owner's request goes
// before the rest of the first owner's flood.
func TestFairLimiterTakesTurnsBetweenUsersOfAnOrganization(t *testing.T) {
	flood, other := keyed{"org:a", "1"}, keyed{"org:a", "2"}
	got := servedOrder(t, flood, append(repeat(flood, 31), other))
	if got[0] != other {
		t.Errorf("served %v; want the second owner's request first", got)
	}
}

// A request that gives up while waiting is never let through, and its
// place goes to the others; nothing is left behind.
func TestFairLimiterSkipsCancelledWaiters(t *testing.T) {
	l := newFairLimiter(1)
	if !l.acquire(nil, "org:a", "1") {
		t.Fatal("the first request waited")
	}
	gaveUp := make(chan struct{})
	result := make(chan bool, 1)
	go func() { result <- l.acquire(gaveUp, "org:b", "2") }()
	waitFor(t, func() bool { return l.waitingCount() == 1 })
	served := make(chan string, 1)
	go func() {
		if l.acquire(nil, "org:c", "3") {
			served <- "org:c"
			l.release("org:c", "3")
		}
	}()
	waitFor(t, func() bool { return l.waitingCount() == 2 })
	close(gaveUp)
	if <-result {
		t.Fatal("a cancelled waiter was let through")
	}
	if n := l.waitingCount(); n != 1 {
		t.Errorf("%d waiting after one gave up, want 1", n)
	}
	l.release("org:a", "1")
	if got := <-served; got != "org:c" {
		t.Errorf("served %s", got)
	}
	waitFor(t, func() bool { return l.idle(1) })

	// One that has given up before it asks does not wait.
	if !l.acquire(nil, "org:a", "1") {
		t.Fatal("the slot is not free")
	}
	if l.acquire(gaveUp, "org:b", "2") {
		t.Error("a cancelled request was let through")
	}
	l.release("org:a", "1")
	if !l.idle(1) {
		t.Error("state left behind")
	}
}

// Requests are told apart by the organization or enterprise of their
// path, as logins compare (ASCII case folded), and by who makes them.
func TestHeavyKeyIsThePathsOrganizationAndTheUser(t *testing.T) {
	e := echo.New()
	for _, tc := range []struct {
		name, value, group string
	}{
		{"org", "Acme-Ä", "org:acme-Ä"},
		{"ent", "BigCo", "enterprise:bigco"},
		{"", "", ""},
	} {
		c := e.NewContext(httptest.NewRequest(http.MethodGet, "/", nil), httptest.NewRecorder())
		if tc.name != "" {
			c.SetParamNames(tc.name)
			c.SetParamValues(tc.value)
		}
		if group, user := heavyKey(c); group != tc.group || user != "0" {
			t.Errorf("%s=%s: (%q, %q), want (%q, \"0\")", tc.name, tc.value, group, user, tc.group)
		}
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

// The heavy routes are the grant lists, the site's and the API's, the
// site's bulk decisions, which show the list again on a refusal, and the
// token inventories, their exports and the enterprise's queue.
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
		"GET /organizations/:org/settings/personal-access-tokens/inventory",
		"GET /organizations/:org/settings/personal-access-tokens/inventory.csv",
		"GET /enterprises/:ent/settings/personal-access-tokens/inventory",
		"GET /enterprises/:ent/settings/personal-access-tokens/inventory.csv",
		"GET /enterprises/:ent/settings/personal-access-token-requests",
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
