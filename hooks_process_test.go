package main

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"patpolicy/db/dbtest"
)

// TestWebhookOutboxSurvivesARestartAndIsSentOnce leaves deliveries in the
// outbox of a database whose server was killed, then starts two servers
// on it: together they send each delivery exactly once.
func TestWebhookOutboxSurvivesARestartAndIsSentOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and starts the server binary")
	}
	var mu sync.Mutex
	got := map[string]int{}
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		mu.Lock()
		got[r.Header.Get("X-GitHub-Delivery")]++
		mu.Unlock()
	}))
	defer rcv.Close()

	bin := buildServer(t, t.TempDir())
	location := dbtest.Location(t)
	// The demo's servers may deliver to 127.0.0.1 (--demo allows it).
	first := startServer(t, bin, freeAddr(t), location, true)
	first.kill(t)
	const n = 20
	w := openWriter(t, location)
	if _, err := w.Exec(fmt.Sprintf(`INSERT INTO hooks (org_id, url, secret, active, events, created_at, updated_at)
		SELECT id, '%s', '', 1, 'personal_access_token_request', '2030-01-01T00:00:00.000000Z', '2030-01-01T00:00:00.000000Z'
		FROM organizations WHERE login = 'octo-org'`, rcv.URL)); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Format("2006-01-02T15:04:05.000000Z")
	for i := range n {
		if _, err := w.Exec(fmt.Sprintf(`INSERT INTO hook_deliveries (hook_id, guid, event, action, payload, state, next_attempt_at, created_at)
			SELECT max(id), 'guid-%d', 'personal_access_token_request', 'created', '{}', 'pending', '%s', '%s' FROM hooks`, i, now, now)); err != nil {
			t.Fatal(err)
		}
	}
	a := startServer(t, bin, freeAddr(t), location, true)
	b := startServer(t, bin, freeAddr(t), location, true)
	deadline := time.Now().Add(30 * time.Second)
	for {
		var pending int
		if err := w.QueryRow(`SELECT count(*) FROM hook_deliveries WHERE state <> 'delivered'`).Scan(&pending); err != nil {
			t.Fatal(err)
		}
		if pending == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d deliveries not delivered after 30s\nA:\n%s\nB:\n%s", pending, a.log.tail(20), b.log.tail(20))
		}
		time.Sleep(100 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != n {
		t.Errorf("%d deliveries received, want %d", len(got), n)
	}
	for guid, k := range got {
		if k != 1 {
			t.Errorf("%s received %d times", guid, k)
		}
	}
}
