package server_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"patpolicy/db"
	"patpolicy/policy"
	"patpolicy/server"
	"patpolicy/service"
)

// The API's hot path, GET /api/v3/repos/{owner}/{repo} with a token, on the
// database bench_test.go seeds (db.DemoScale(100000): 222,000 tokens), to
// which apiBenchServer adds 1,120 tokens whose secrets it knows (the scale
// tokens' hashes are of no presentable token): run with
//
//	go test -run '^$' -bench APIRepo -benchtime 3s -count 3 -benchmem ./server
//
// (-v also logs the number of tokens in the database). Each iteration is
// one whole request through every middleware and the handler into a
// recorder (or, for /http, over a loopback connection), from GOMAXPROCS
// goroutines at once; every response's status is checked and any other
// fails the benchmark. ns/op is wall time over all goroutines' calls, so
// req/s is 1e9/ns/op. Figures: docs/benchmarks.md.

const (
	apiFineTokens    = 1000 // approved fine-grained tokens of scale-org-01
	apiClassicTokens = 20
	apiPendingTokens = 100 // fine-grained tokens whose request is pending
	apiMembers       = 10  // the tokens' owners, scale-user-00001…
	apiColdKey       = "bench.api_cold_cache"
)

var (
	apiOnce sync.Once
	apiEnv  struct {
		store   *db.Store
		handler http.Handler
		org     string
		private string // a private repository of org
		public  string // a public one
		fine    []string
		classic []string
		pending []string
		tokens  int // tokens in the database after setup
		err     error
	}
)

// apiBenchServer opens a second Store on the scale database benchServer
// seeded (a Store of its own), adds the
// known tokens through it and serves the API from it, so that the writes
// the cold-cache variant makes go through the same Store, and the same
// cache, as the requests.
func apiBenchServer(b *testing.B) {
	b.Helper()
	benchServer(b)
	apiOnce.Do(func() { apiEnv.err = apiSetup() })
	if apiEnv.err != nil {
		b.Fatal(apiEnv.err)
	}
}

func apiSetup() error {
	ctx := context.Background()
	path := filepath.Join(benchEnv.dir, "bench.db")
	store, err := db.Open(ctx, path)
	if err != nil {
		return err
	}
	apiEnv.store = store
	apiEnv.org = benchEnv.org
	org, err := store.OrgByLogin(ctx, apiEnv.org)
	if err != nil {
		return err
	}
	p, err := store.OrgPolicy(ctx, org.ID)
	if err != nil {
		return err
	}
	// SeedScale opts every scale organization in with the default settings:
	// fine-grained tokens allowed (with approval), classic tokens allowed.
	if eff := p.Effective(); !eff.OptedIn || eff.FineGrained == policy.Restrict || eff.Classic == policy.Restrict {
		return fmt.Errorf("%s does not allow both kinds of tokens: %+v", apiEnv.org, eff)
	}
	repos, err := store.ReposOf(ctx, org.ID)
	if err != nil {
		return err
	}
	for _, r := range repos {
		if r.Private && apiEnv.private == "" {
			apiEnv.private = r.Name
		}
		if !r.Private && apiEnv.public == "" {
			apiEnv.public = r.Name
		}
	}
	if apiEnv.private == "" || apiEnv.public == "" {
		return fmt.Errorf("%s needs a private and a public repository", apiEnv.org)
	}
	var users []int64
	for i := 1; i <= apiMembers; i++ {
		c, err := store.CredentialsFor(ctx, fmt.Sprintf("scale-user-%05d", i))
		if err != nil {
			return err
		}
		users = append(users, c.User.ID)
	}

	add := func(n int, kind policy.Kind, status policy.GrantStatus, name string) ([]string, error) {
		var secrets []string
		for i := range n {
			secret, err := policy.GenerateToken(kind, rand.Reader)
			if err != nil {
				return nil, err
			}
			nt := db.NewToken{UserID: users[i%len(users)], Hash: policy.HashToken(secret),
				Prefix: policy.DisplayPrefix(secret), Kind: kind}
			if kind == policy.KindFineGrained {
				nt.OrgID, nt.OrgVersion = org.ID, p.Version
				nt.FineGrained = policy.TokenRequest{Name: fmt.Sprintf("%s-%04d", name, i), ExpiresInDays: 30,
					Justification: "API benchmark", Status: status, Selection: policy.SelectAll,
					Permissions: map[string]policy.Level{policy.Metadata: policy.LevelRead}}
			} else {
				nt.Classic = policy.ClassicRequest{Note: fmt.Sprintf("%s-%04d", name, i), ExpiresInDays: 30, Scopes: []string{"repo"}}
			}
			if _, err := (service.Tokens{Store: store}).Add(ctx, nt); err != nil {
				return nil, fmt.Errorf("token %s %d: %w", name, i, err)
			}
			secrets = append(secrets, secret)
		}
		return secrets, nil
	}
	if apiEnv.fine, err = add(apiFineTokens, policy.KindFineGrained, policy.GrantApproved, "api-bench"); err != nil {
		return err
	}
	if apiEnv.classic, err = add(apiClassicTokens, policy.KindClassic, "", "api-bench-classic"); err != nil {
		return err
	}
	if apiEnv.pending, err = add(apiPendingTokens, policy.KindFineGrained, policy.GrantPending, "api-bench-pending"); err != nil {
		return err
	}
	// The key the cold-cache variant reads in a write transaction: stored
	// once here, so that those transactions find it and write nothing.
	if _, err := store.SettingOrCreate(ctx, apiColdKey, func() (string, error) { return "1", nil }); err != nil {
		return err
	}

	raw, err := sql.Open("sqlite", "file:"+path+"?_pragma=query_only(1)")
	if err != nil {
		return err
	}
	defer raw.Close()
	if err := raw.QueryRowContext(ctx, `SELECT count(*) FROM tokens`).Scan(&apiEnv.tokens); err != nil {
		return err
	}

	apiEnv.handler = server.New(testConfig(store))
	return nil
}

// apiCall is one benchmarked call: a path, the tokens to present in turn
// and the status every answer must have.
type apiCall struct {
	path    string
	secrets []string
	want    int
	// before runs ahead of every request (the cold-cache variant).
	before func() error
}

// failures collects wrong answers from the parallel goroutines, which may
// not stop the benchmark themselves.
type failures struct {
	n     atomic.Int64
	once  sync.Once
	first string
}

func (f *failures) add(format string, args ...any) {
	f.n.Add(1)
	f.once.Do(func() { f.first = fmt.Sprintf(format, args...) })
}

func (f *failures) check(b *testing.B) {
	b.Helper()
	if n := f.n.Load(); n > 0 {
		b.Fatalf("%d of %d calls failed; first: %s", n, b.N, f.first)
	}
}

func authHeaders(secrets []string) []string {
	h := make([]string, len(secrets))
	for i, s := range secrets {
		h[i] = "Bearer " + s
	}
	return h
}

// serve makes one call through the handler into a recorder.
func serve(path, auth string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.Header.Set("Authorization", auth)
	req.Header.Set("Accept", "application/vnd.github+json")
	rec := httptest.NewRecorder()
	apiEnv.handler.ServeHTTP(rec, req)
	return rec
}

// parallel runs call b.N times from GOMAXPROCS×parallelism goroutines,
// each cycling through n inputs from its own starting point, checks that
// no call failed and reports requests per second. With
// PATPOLICY_API_CPUPROFILE=dir it writes a CPU profile of the timed loop
// alone (not the seeding) to dir/<benchmark>.prof; the last run of a
// benchmark, its largest b.N, is the one left.
func parallel(b *testing.B, parallelism, n int, call func(i int) error) {
	var fail failures
	b.SetParallelism(parallelism)
	b.ReportAllocs()
	stop := profile(b)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := mrand.IntN(n)
		for pb.Next() {
			i = (i + 1) % n
			if err := call(i); err != nil {
				fail.add("%v", err)
			}
		}
	})
	b.StopTimer()
	stop()
	fail.check(b)
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}

func profile(b *testing.B) (stop func()) {
	dir := os.Getenv("PATPOLICY_API_CPUPROFILE")
	if dir == "" {
		return func() {}
	}
	f, err := os.Create(filepath.Join(dir, strings.NewReplacer("/", "_", " ", "_").Replace(b.Name())+".prof"))
	if err != nil {
		b.Fatal(err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		b.Fatal(err) // -cpuprofile too: use one or the other
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}
}

// benchCall runs c from GOMAXPROCS goroutines, first checking every
// token's answer once (which also fills the cache).
func benchCall(b *testing.B, c apiCall) {
	headers := authHeaders(c.secrets)
	for _, h := range headers {
		if rec := serve(c.path, h); rec.Code != c.want {
			b.Fatalf("GET %s: %d, want %d: %s", c.path, rec.Code, c.want, rec.Body)
		}
	}
	parallel(b, 1, len(headers), func(i int) error {
		if c.before != nil {
			if err := c.before(); err != nil {
				return err
			}
		}
		if rec := serve(c.path, headers[i]); rec.Code != c.want {
			return fmt.Errorf("GET %s: %d, want %d: %s", c.path, rec.Code, c.want, rec.Body)
		}
		return nil
	})
}

// invalidate ends the API cache's generation the way any write does: a
// write transaction (SettingOrCreate's BEGIN IMMEDIATE … COMMIT, which
// finds the key and writes nothing).
func invalidate() error {
	_, err := apiEnv.store.SettingOrCreate(context.Background(), apiColdKey, func() (string, error) { return "1", nil })
	return err
}

func BenchmarkAPIRepo(b *testing.B) {
	apiBenchServer(b)
	repo := func(name string) string { return "/api/v3/repos/" + apiEnv.org + "/" + name }
	b.Logf("%d tokens in the database; %d fine-grained, %d classic and %d pending tokens with known secrets; %s private, %s public",
		apiEnv.tokens, len(apiEnv.fine), len(apiEnv.classic), len(apiEnv.pending), apiEnv.private, apiEnv.public)

	// Approved fine-grained tokens (metadata read, all repositories) on a
	// private repository: the rules' longest allowed path.
	b.Run("fine-grained/private", func(b *testing.B) {
		benchCall(b, apiCall{path: repo(apiEnv.private), secrets: apiEnv.fine, want: http.StatusOK})
	})
	// Classic tokens (repo scope) on a public repository.
	b.Run("classic/public", func(b *testing.B) {
		benchCall(b, apiCall{path: repo(apiEnv.public), secrets: apiEnv.classic, want: http.StatusOK})
	})
	// Fine-grained tokens whose request is still pending: 403.
	b.Run("denied/pending", func(b *testing.B) {
		benchCall(b, apiCall{path: repo(apiEnv.private), secrets: apiEnv.pending, want: http.StatusForbidden})
	})
	// Well-formed tokens that were never issued: 401 after a lookup by
	// hash, every time, since a miss is not cached.
	b.Run("unknown-token", func(b *testing.B) {
		var unknown []string
		for range 100 {
			s, err := policy.GenerateToken(policy.KindFineGrained, rand.Reader)
			if err != nil {
				b.Fatal(err)
			}
			unknown = append(unknown, s)
		}
		benchCall(b, apiCall{path: repo(apiEnv.private), secrets: unknown, want: http.StatusUnauthorized})
	})
	// Every call after a write: the token, the organization's policy and
	// repositories, and the membership are all read from the database.
	// (With two goroutines each one's write may also void the other's
	// loads, which are then not kept: every call reads all of them.)
	b.Run("cold-cache", func(b *testing.B) {
		benchCall(b, apiCall{path: repo(apiEnv.private), secrets: apiEnv.fine, want: http.StatusOK, before: invalidate})
	})
	// What cold-cache spends on the write alone, to subtract.
	b.Run("invalidate-only", func(b *testing.B) {
		parallel(b, 1, 1, func(int) error { return invalidate() })
	})
	// The first variant end to end: a real listener on loopback and
	// keep-alive clients in the same process, on the same cores,
	// 4×GOMAXPROCS of them so that the server always has a request to work
	// on while others are in flight.
	b.Run("http/fine-grained/private", func(b *testing.B) {
		srv := httptest.NewServer(apiEnv.handler)
		defer srv.Close()
		client := &http.Client{Transport: &http.Transport{
			MaxIdleConns: 64, MaxIdleConnsPerHost: 64, DisableCompression: true,
		}}
		defer client.CloseIdleConnections()
		url := srv.URL + repo(apiEnv.private)
		headers := authHeaders(apiEnv.fine)
		get := func(i int) error {
			req, err := http.NewRequest(http.MethodGet, url, nil)
			if err != nil {
				return err
			}
			req.Header.Set("Authorization", headers[i])
			req.Header.Set("Accept", "application/vnd.github+json")
			resp, err := client.Do(req)
			if err != nil {
				return err
			}
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			if err == nil && resp.StatusCode != http.StatusOK {
				err = fmt.Errorf("GET %s: %d: %s", url, resp.StatusCode, body)
			}
			return err
		}
		if err := get(0); err != nil {
			b.Fatal(err)
		}
		parallel(b, 4, len(headers), get)
	})
}
