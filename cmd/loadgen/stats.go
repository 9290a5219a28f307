package main

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"time"
)

// outcome classifies one request.
type outcome int

const (
	outOK        outcome = iota // an expected answer
	outConflict                 // an expected 409 (someone else saved or reviewed first)
	out5xx                      // any 5xx
	out4xx                      // a 4xx the endpoint should not answer
	outOther                    // another unexpected status (a 3xx to /login, a 200 for a 303)
	outTransport                // no answer: connection refused or reset, timeout
	numOutcomes
)

// classify decides a status against what the endpoint expects.
func classify(status int, ok []int, conflictOK bool) outcome {
	switch {
	case slices.Contains(ok, status):
		return outOK
	case status == 409 && conflictOK:
		return outConflict
	case status >= 500:
		return out5xx
	case status >= 400:
		return out4xx
	}
	return outOther
}

// recorder keeps one client's measurements of one endpoint; merged at the
// end, so clients never share a lock while the load runs.
type recorder struct {
	lat    []time.Duration // of every answered request, errors included
	counts [numOutcomes]int
	// statuses counts the unexpected answers by status, for the report.
	statuses map[int]int
	// sample is the first unexpected answer, to show what went wrong.
	sample string
}

func (r *recorder) add(d time.Duration, o outcome, status int, detail string) {
	r.counts[o]++
	if o != outTransport {
		r.lat = append(r.lat, d)
	}
	if o != outOK && o != outConflict {
		if r.statuses == nil {
			r.statuses = map[int]int{}
		}
		r.statuses[status]++
		if r.sample == "" {
			r.sample = detail
		}
	}
}

func (r *recorder) merge(o *recorder) {
	r.lat = append(r.lat, o.lat...)
	for i := range r.counts {
		r.counts[i] += o.counts[i]
	}
	for s, n := range o.statuses {
		if r.statuses == nil {
			r.statuses = map[int]int{}
		}
		r.statuses[s] += n
	}
	if r.sample == "" {
		r.sample = o.sample
	}
}

func (r *recorder) total() int {
	n := 0
	for _, c := range r.counts {
		n += c
	}
	return n
}

func (r *recorder) errors() int {
	return r.counts[out5xx] + r.counts[out4xx] + r.counts[outOther] + r.counts[outTransport]
}

// percentile returns the nearest-rank p-th percentile (0 < p <= 100) of
// sorted: the smallest value with at least p% of the values at or below
// it. Zero for no values.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	rank = min(max(rank, 1), len(sorted))
	return sorted[rank-1]
}

// summary is one endpoint's line of the report.
type summary struct {
	name          string
	count         int
	rate          float64 // requests per second over the run
	p50, p99, max time.Duration
	counts        [numOutcomes]int
	statuses      map[int]int
	sample        string
}

func summarize(name string, r *recorder, elapsed time.Duration) summary {
	lat := slices.Clone(r.lat)
	slices.Sort(lat)
	s := summary{name: name, count: r.total(), counts: r.counts, statuses: r.statuses, sample: r.sample}
	if elapsed > 0 {
		s.rate = float64(s.count) / elapsed.Seconds()
	}
	s.p50, s.p99 = percentile(lat, 50), percentile(lat, 99)
	if len(lat) > 0 {
		s.max = lat[len(lat)-1]
	}
	return s
}

// ms formats a latency in milliseconds, with a precision that suits it.
func ms(d time.Duration) string {
	f := float64(d) / float64(time.Millisecond)
	switch {
	case f == 0:
		return "0"
	case f < 10:
		return fmt.Sprintf("%.2f", f)
	case f < 100:
		return fmt.Sprintf("%.1f", f)
	}
	return fmt.Sprintf("%.0f", f)
}

// writeTable prints the summaries as a Markdown table, ready to paste.
func writeTable(w io.Writer, rows []summary) {
	fmt.Fprintln(w, "| endpoint | requests | req/s | p50 ms | p99 ms | max ms | 409 | 5xx | 4xx unexpected | other unexpected | transport |")
	fmt.Fprintln(w, "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
	for _, s := range rows {
		fmt.Fprintf(w, "| %s | %d | %.0f | %s | %s | %s | %d | %d | %d | %d | %d |\n", s.name, s.count, s.rate,
			ms(s.p50), ms(s.p99), ms(s.max), s.counts[outConflict], s.counts[out5xx], s.counts[out4xx],
			s.counts[outOther], s.counts[outTransport])
	}
}

// statusList formats unexpected statuses as "500×3, 404×1".
func statusList(m map[int]int) string {
	keys := make([]int, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var parts []string
	for _, k := range keys {
		label := fmt.Sprint(k)
		if k == 0 {
			label = "transport"
		}
		parts = append(parts, fmt.Sprintf("%s×%d", label, m[k]))
	}
	return strings.Join(parts, ", ")
}
