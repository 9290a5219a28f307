package server_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"patpolicy/db"
	"patpolicy/server"
	"patpolicy/service"
)

// Pages served from a database holding 100,000 pending requests and
// 100,000 active tokens in one organization: run with
//
//	go test -run '^$' -bench . ./server
//
// Each iteration is one whole request through every middleware (session,
// CSRF, access guard) and the handler, rendered into a recorder.

const benchScale = 100_000

var (
	benchOnce sync.Once
	benchEnv  struct {
		store   *db.Store
		handler http.Handler
		cookies []*http.Cookie
		org     string
		user    string
		repo    string
		err     error
		dir     string
	}
)

// TestMain removes the benchmarks' database when the run ends.
func TestMain(m *testing.M) {
	code := m.Run()
	if benchEnv.dir != "" {
		os.RemoveAll(benchEnv.dir)
	}
	os.Exit(code)
}

func benchServer(b *testing.B) {
	b.Helper()
	benchOnce.Do(func() {
		ctx := context.Background()
		dir, err := os.MkdirTemp("", "patpolicy-bench-*")
		if err != nil {
			benchEnv.err = err
			return
		}
		benchEnv.dir = dir
		store, err := db.Open(ctx, filepath.Join(dir, "bench.db"))
		if err != nil {
			benchEnv.err = err
			return
		}
		info, err := store.SeedScale(ctx, db.DemoScale(benchScale), passwordHash(demoPassword), service.Created, service.Reviewed)
		if err != nil {
			benchEnv.err = err
			return
		}
		benchEnv.store = store
		benchEnv.org = "scale-org-01"
		benchEnv.user = "scale-user-00100"
		benchEnv.repo = info.Repos[len(info.Repos)/2].Name
		benchEnv.handler = server.New(testConfig(store))
		benchEnv.cookies, benchEnv.err = signIn(benchEnv.handler, db.ScaleOwnerLogin)
	})
	if benchEnv.err != nil {
		b.Fatal(benchEnv.err)
	}
}

func benchPage(b *testing.B, path string) { benchPageShowing(b, path, "<table") }

// benchPageShowing benchmarks GET path, first checking that it answers 200
// with marker in the page.
func benchPageShowing(b *testing.B, path, marker string) {
	benchServer(b)
	get := func() *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		for _, c := range benchEnv.cookies {
			req.AddCookie(c)
		}
		rec := httptest.NewRecorder()
		benchEnv.handler.ServeHTTP(rec, req)
		return rec
	}
	if rec := get(); rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), marker) {
		b.Fatalf("GET %s: %d, %q shown: %v", path, rec.Code, marker, strings.Contains(rec.Body.String(), marker))
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		get()
	}
}

func orgPath(sub string) string { return "/organizations/" + benchEnv.org + "/settings" + sub }

func BenchmarkQueuePage(b *testing.B) {
	benchServer(b)
	requests := orgPath("/personal-access-token-requests")
	for _, c := range []struct{ name, query string }{
		{"all", ""},
		{"owner", "?owner=" + benchEnv.user},
		{"repository", "?repository=" + benchEnv.repo},
		{"permission", "?permission=administration"},
		{"owner+repository+permission", "?owner=" + benchEnv.user + "&repository=" + benchEnv.repo + "&permission=contents"},
	} {
		b.Run(c.name, func(b *testing.B) { benchPage(b, requests+c.query) })
	}
}

func BenchmarkActivePage(b *testing.B) {
	benchServer(b)
	active := orgPath("/personal-access-tokens/active")
	for _, c := range []struct{ name, query string }{
		{"all", ""},
		{"owner", "?owner=" + benchEnv.user},
		{"repository", "?repository=" + benchEnv.repo},
		{"permission", "?permission=issues"},
		{"repository+permission", "?repository=" + benchEnv.repo + "&permission=pull_requests"},
	} {
		b.Run(c.name, func(b *testing.B) { benchPage(b, active+c.query) })
	}
}

// BenchmarkSettingsPage is the PAT settings page, which says how many of the
// 100,000 pending requests turning approval off would approve.
func BenchmarkSettingsPage(b *testing.B) {
	benchServer(b)
	// The API benchmarks, when they run first, add requests of their own.
	benchPageShowing(b, orgPath("/personal-access-tokens"), "approves all 100")
}
