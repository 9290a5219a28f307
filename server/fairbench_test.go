package server_test

import (
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"patpolicy/db"
	"patpolicy/server"
)

// How long another organization's owner waits for the Pending requests
// page while scale-owner floods scale-org-01's with 32 requests at once,
// on the database bench_test.go seeds: run with
//
//	go test -run '^$' -bench PendingPageDuringAFlood -benchtime 400x -count 3 ./server
//
// Each iteration is one GET of scale-org-02's Pending requests page (1,000
// requests) as scale-owner-02, one after the other, through the whole
// server into a recorder; meanwhile 32 goroutines signed in as scale-owner
// each GET scale-org-01's (100,000 requests) again as soon as the last one
// is answered. The heavy lane has its default size. first-come is the lane
// with one queue for everyone, fair the server as built; no-flood is the
// page alone, what the machine gives at the time. Reported: the page's
// p50, p99 and slowest time in ms; the flood's pages a second; and, at
// p99, how many flood pages were answered while one page was waited for,
// which the machine's load hardly changes: about one (the page running when
// it came) when the lane is fair, most of the flood when it is first come,
// first served.

const floodClients = 32

func BenchmarkPendingPageDuringAFlood(b *testing.B) {
	benchServer(b)
	cfg := testConfig(benchEnv.store)
	for _, v := range []struct {
		name    string
		handler http.Handler
		flood   int
	}{
		{"no-flood", server.New(cfg), 0},
		{"first-come", server.NewFirstComeFirstServed(cfg), floodClients},
		{"fair", server.New(cfg), floodClients},
	} {
		b.Run(v.name, func(b *testing.B) { benchDuringFlood(b, v.handler, v.flood) })
	}
}

func benchDuringFlood(b *testing.B, h http.Handler, clients int) {
	flooder, err := signIn(h, db.ScaleOwnerLogin)
	if err != nil {
		b.Fatal(err)
	}
	owner, err := signIn(h, db.ScaleSecondOwnerLogin)
	if err != nil {
		b.Fatal(err)
	}
	get := func(cookies []*http.Cookie, path string) int {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		for _, c := range cookies {
			req.AddCookie(c)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code
	}
	flood := "/organizations/scale-org-01/settings/personal-access-token-requests"
	page := "/organizations/scale-org-02/settings/personal-access-token-requests"
	if code := get(owner, page); code != http.StatusOK {
		b.Fatalf("GET %s as %s: %d", page, db.ScaleSecondOwnerLogin, code)
	}

	var (
		stop        atomic.Bool
		floodPages  atomic.Int64
		floodFailed atomic.Int64
		wg          sync.WaitGroup
	)
	for range clients {
		wg.Go(func() {
			for !stop.Load() {
				if get(flooder, flood) != http.StatusOK {
					floodFailed.Add(1)
				}
				floodPages.Add(1)
			}
		})
	}
	// Measure once the flood fills the queue: every client has had a page.
	for floodPages.Load() < int64(clients) && floodFailed.Load() == 0 {
		time.Sleep(time.Millisecond)
	}

	var took []time.Duration
	var overtaken []int64
	failed := 0
	floodBefore := floodPages.Load()
	for b.Loop() {
		start, before := time.Now(), floodPages.Load()
		if get(owner, page) != http.StatusOK {
			failed++
		}
		took = append(took, time.Since(start))
		overtaken = append(overtaken, floodPages.Load()-before)
	}
	b.StopTimer()
	elapsed := b.Elapsed()
	floodDuring := floodPages.Load() - floodBefore
	stop.Store(true)
	wg.Wait()
	if failed > 0 || floodFailed.Load() > 0 {
		b.Fatalf("%d of the page's and %d of the flood's requests did not answer 200", failed, floodFailed.Load())
	}

	slices.Sort(took)
	slices.Sort(overtaken)
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	b.ReportMetric(ms(quantile(took, 0.50)), "p50-ms")
	b.ReportMetric(ms(quantile(took, 0.99)), "p99-ms")
	b.ReportMetric(ms(took[len(took)-1]), "max-ms")
	b.ReportMetric(float64(quantile(overtaken, 0.99)), "p99-flood-pages-meanwhile")
	b.ReportMetric(float64(floodDuring)/elapsed.Seconds(), "flood-pages/s")
}

// quantile is the q-quantile of sorted values: the smallest one that at
// least a fraction q of them do not exceed.
func quantile[T any](sorted []T, q float64) T {
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}
