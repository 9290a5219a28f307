package hooks

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"patpolicy/db"
	"patpolicy/hooks/payload"
)

func claimed(url string) db.Claimed {
	return db.Claimed{ID: 1, HookID: 42, OrgID: 7, GUID: "0f0e0d0c-0b0a-4908-8706-050403020100", Event: payload.EventTokenRequest,
		URL: url, Secret: "It's a Secret to Everybody", Payload: []byte(`{"action":"created"}`), Claim: "c"}
}

func TestSendSignsAndNamesTheDelivery(t *testing.T) {
	var got *http.Request
	var body []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r
		body, _ = io.ReadAll(r.Body)
		w.WriteHeader(http.StatusAccepted)
		io.WriteString(w, "thanks")
	}))
	defer srv.Close()
	d := claimed(srv.URL + "/hook")
	out := NewSender(true).Send(context.Background(), d)
	if out.StatusCode != http.StatusAccepted || out.Response != "thanks" || out.Error != "" || out.Duration <= 0 {
		t.Fatalf("outcome %+v", out)
	}
	// The receiver checks the signature as GitHub's documentation says:
	// HMAC-SHA256 of the raw body with the secret, hex, after "sha256=".
	want := payload.Signature(d.Secret, body)
	if got.Method != http.MethodPost || string(body) != string(d.Payload) ||
		got.Header.Get("X-Hub-Signature-256") != want || !strings.HasPrefix(want, "sha256=") || len(want) != 7+64 ||
		got.Header.Get("X-GitHub-Event") != payload.EventTokenRequest || got.Header.Get("X-GitHub-Delivery") != d.GUID ||
		got.Header.Get("X-GitHub-Hook-ID") != "42" || got.Header.Get("X-GitHub-Hook-Installation-Target-ID") != "7" || got.Header.Get("User-Agent") != "GitHub-Hookshot/patpolicy" ||
		got.Header.Get("Content-Type") != "application/json" {
		t.Errorf("request %s %v %s", got.Method, got.Header, body)
	}
	// A known vector: GitHub's documentation signs "Hello, World!" with
	// this secret.
	if s := payload.Signature("It's a Secret to Everybody", []byte("Hello, World!")); s != "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17" {
		t.Errorf("signature %s", s)
	}
	// Without a secret, no signature.
	d.Secret = ""
	NewSender(true).Send(context.Background(), d)
	if h, ok := got.Header["X-Hub-Signature-256"]; ok {
		t.Errorf("signature %v without a secret", h)
	}
}

func TestSendRefusesPrivateAddresses(t *testing.T) {
	called := false
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { called = true }))
	defer srv.Close()
	// "localhost" resolves to a loopback address: the check is made on the
	// address dialed, not on the name.
	for _, u := range []string{srv.URL, strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)} {
		out := NewSender(false).Send(context.Background(), claimed(u))
		if out.StatusCode != 0 || !strings.Contains(out.Error, ErrPrivateAddress.Error()) {
			t.Errorf("%s: outcome %+v", u, out)
		}
	}
	if called {
		t.Error("the receiver was reached")
	}
	for addr, public := range map[string]bool{"127.0.0.1": false, "10.1.2.3": false, "192.168.0.1": false, "172.16.0.1": false,
		"169.254.169.254": false, "0.0.0.0": false, "::1": false, "fe80::1": false, "fc00::1": false, "::ffff:127.0.0.1": false,
		"100.64.0.1": false, "8.8.8.8": true, "2606:4700::1111": true} {
		if got := Public(netip.MustParseAddr(addr)); got != public {
			t.Errorf("Public(%s) = %v", addr, got)
		}
	}
	if !errors.Is(refusePrivate("tcp", "127.0.0.1:80", nil), ErrPrivateAddress) {
		t.Error("the dialer's check lets loopback through")
	}
}

func TestSendFollowsNoRedirectAndCapsTheAnswer(t *testing.T) {
	redirected := false
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/moved":
			http.Redirect(w, r, "/elsewhere", http.StatusTemporaryRedirect)
		case "/elsewhere":
			redirected = true
		case "/big":
			io.WriteString(w, strings.Repeat("x", 3*MaxResponse))
		}
	}))
	defer srv.Close()
	s := NewSender(true)
	out := s.Send(context.Background(), claimed(srv.URL+"/moved"))
	if out.StatusCode != http.StatusTemporaryRedirect || redirected {
		t.Errorf("redirect: %+v, followed %v", out, redirected)
	}
	if (db.Attempt{StatusCode: out.StatusCode}).OK() {
		t.Error("a redirect counts as delivered")
	}
	out = s.Send(context.Background(), claimed(srv.URL+"/big"))
	if out.StatusCode != 200 || len(out.Response) != MaxResponse {
		t.Errorf("big answer: %d, %d bytes read", out.StatusCode, len(out.Response))
	}
}

func TestSendTimesOut(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for the timeout")
	}
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-release }))
	defer srv.Close()
	defer close(release)
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), Timeout+5*time.Second)
	defer cancel()
	out := NewSender(true).Send(ctx, claimed(srv.URL))
	if took := time.Since(start); out.StatusCode != 0 || out.Error == "" || took < Timeout || took > Timeout+3*time.Second {
		t.Errorf("outcome %+v after %v", out, took)
	}
}

// fakeStore hands out deliveries and keeps the outcomes.
type fakeStore struct {
	mu       sync.Mutex
	due      []db.Claimed
	attempts []db.Attempt
}

func (f *fakeStore) ClaimDeliveries(_ context.Context, _ time.Time, _ time.Duration, limit int) ([]db.Claimed, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := min(limit, len(f.due))
	out := f.due[:n]
	f.due = f.due[n:]
	return out, nil
}

func (f *fakeStore) RecordAttempt(_ context.Context, a db.Attempt) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.attempts = append(f.attempts, a)
	return true, nil
}

func TestWorkerRunOnceSendsABatch(t *testing.T) {
	var mu sync.Mutex
	guids := map[string]bool{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		guids[r.Header.Get("X-GitHub-Delivery")] = true
		mu.Unlock()
		if r.Header.Get("X-GitHub-Delivery") == "bad" {
			w.WriteHeader(http.StatusInternalServerError)
		}
	}))
	defer srv.Close()
	store := &fakeStore{}
	for _, g := range []string{"a", "b", "bad"} {
		c := claimed(srv.URL)
		c.GUID = g
		store.due = append(store.due, c)
	}
	now := time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)
	w := &Worker{Store: store, Sender: NewSender(true), Batch: 2}
	if n, err := w.RunOnce(context.Background(), now); n != 2 || err != nil {
		t.Fatalf("first run: %d, %v", n, err)
	}
	if n, err := w.RunOnce(context.Background(), now); n != 1 || err != nil {
		t.Fatalf("second run: %d, %v", n, err)
	}
	if len(guids) != 3 || len(store.attempts) != 3 {
		t.Fatalf("sent %v, recorded %d", guids, len(store.attempts))
	}
	for _, a := range store.attempts {
		if a.At.Before(now) || a.Claim != "c" {
			t.Errorf("attempt %+v", a)
		}
	}
	if ok := store.attempts[2].OK(); ok || store.attempts[2].StatusCode != 500 {
		t.Errorf("the failed delivery: %+v", store.attempts[2])
	}
}
