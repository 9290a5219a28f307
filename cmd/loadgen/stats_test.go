package main

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestPercentileNearestRank(t *testing.T) {
	ms := func(ns ...int) []time.Duration {
		var out []time.Duration
		for _, n := range ns {
			out = append(out, time.Duration(n)*time.Millisecond)
		}
		return out
	}
	hundred := make([]int, 100)
	for i := range hundred {
		hundred[i] = i + 1
	}
	for _, c := range []struct {
		vals []time.Duration
		p    float64
		want time.Duration
	}{
		{nil, 50, 0},
		{ms(7), 50, 7 * time.Millisecond},
		{ms(7), 99, 7 * time.Millisecond},
		{ms(1, 2), 50, 1 * time.Millisecond},
		{ms(1, 2), 51, 2 * time.Millisecond},
		{ms(1, 2, 3, 4), 50, 2 * time.Millisecond},
		{ms(1, 2, 3, 4), 75, 3 * time.Millisecond},
		{ms(1, 2, 3, 4), 100, 4 * time.Millisecond},
		{ms(hundred...), 99, 99 * time.Millisecond},
		{ms(hundred...), 50, 50 * time.Millisecond},
		{ms(hundred...), 99.5, 100 * time.Millisecond},
		{ms(hundred...), 0.001, 1 * time.Millisecond},
	} {
		if got := percentile(c.vals, c.p); got != c.want {
			t.Errorf("percentile(%d values, %v) = %v, want %v", len(c.vals), c.p, got, c.want)
		}
	}
	// p99 of 1000 values: the 990th.
	var k []time.Duration
	for i := 1; i <= 1000; i++ {
		k = append(k, time.Duration(i))
	}
	if got := percentile(k, 99); got != 990 {
		t.Errorf("p99 of 1..1000 = %v, want 990", got)
	}
}

func TestClassify(t *testing.T) {
	for _, c := range []struct {
		status     int
		ok         []int
		conflictOK bool
		want       outcome
	}{
		{200, []int{200}, false, outOK},
		{303, []int{303}, true, outOK},
		{409, []int{303}, true, outConflict},
		{409, []int{200}, false, out4xx},
		{404, []int{200}, false, out4xx},
		{500, []int{200}, true, out5xx},
		{503, []int{200}, false, out5xx},
		{303, []int{200}, false, outOther},
		{200, []int{303}, true, outOther},
	} {
		if got := classify(c.status, c.ok, c.conflictOK); got != c.want {
			t.Errorf("classify(%d, %v, %v) = %v, want %v", c.status, c.ok, c.conflictOK, got, c.want)
		}
	}
}

func TestSummarizeAndMerge(t *testing.T) {
	var a, b, all recorder
	a.add(3*time.Millisecond, outOK, 200, "")
	a.add(1*time.Millisecond, outConflict, 409, "")
	b.add(2*time.Millisecond, out5xx, 500, "GET /x: 500")
	b.add(time.Second, outTransport, 0, "GET /x: reset")
	all.merge(&a)
	all.merge(&b)
	s := summarize("x", &all, 2*time.Second)
	if s.count != 4 || s.rate != 2 || s.p50 != 2*time.Millisecond || s.max != 3*time.Millisecond {
		t.Errorf("summary = %+v (transport errors have no latency)", s)
	}
	if s.counts[outConflict] != 1 || s.counts[out5xx] != 1 || s.counts[outTransport] != 1 || all.errors() != 2 {
		t.Errorf("counts = %v", s.counts)
	}
	if all.sample != "GET /x: 500" || statusList(all.statuses) != "transport×1, 500×1" {
		t.Errorf("sample %q, statuses %q", all.sample, statusList(all.statuses))
	}
	var buf bytes.Buffer
	writeTable(&buf, []summary{s})
	if !strings.Contains(buf.String(), "| x | 4 | 2 | 2.00 | 3.00 | 3.00 | 1 | 1 | 0 | 0 | 1 |") {
		t.Errorf("table:\n%s", buf.String())
	}
}

func TestMs(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0: "0", 1234 * time.Microsecond: "1.23", 12345 * time.Microsecond: "12.3", 123456 * time.Microsecond: "123",
	} {
		if got := ms(d); got != want {
			t.Errorf("ms(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestMix(t *testing.T) {
	m, err := parseMix(defaultMix)
	if err != nil {
		t.Fatal(err)
	}
	if m.total != 100 {
		t.Errorf("default mix totals %d, want 100", m.total)
	}
	counts := map[op]int{}
	for n := range m.total {
		counts[m.pick(n)]++
	}
	for _, o := range allOps {
		if counts[o] != m.weights[o] {
			t.Errorf("%s picked %d times of %d, want %d", o, counts[o], m.total, m.weights[o])
		}
	}
	m, err = parseMix("settings=0, api-repo=3")
	if err != nil || len(m.ops) != 1 || m.pick(0) != opAPIRepo || m.pick(2) != opAPIRepo {
		t.Errorf("mix with a zero weight: %+v, %v", m, err)
	}
	for _, bad := range []string{"", "settings=0", "nope=1", "settings", "settings=-1", "settings=x"} {
		if _, err := parseMix(bad); err == nil {
			t.Errorf("parseMix(%q) accepted", bad)
		}
	}
}

func TestProcParsing(t *testing.T) {
	status := "Name:\tpatpolicy\nVmPeak:\t 1234567 kB\nVmHWM:\t   98304 kB\nVmRSS:\t   81920 kB\nRssAnon:\t   70000 kB\nRssFile:\t   11920 kB\nThreads:\t8\n"
	f := parseProcStatus(status)
	if f["VmHWM"] != 98304 || f["VmRSS"] != 81920 || f["RssAnon"] != 70000 || f["RssFile"] != 11920 {
		t.Errorf("parseProcStatus = %v", f)
	}
	if _, ok := f["Threads"]; ok {
		t.Error("a field without kB was read")
	}
	stat := "4242 (patpolicy (x) y) S 1 4242 4242 0 -1 4194304 2000 0 0 0 1234 567 0 0 20 0 8 0 100 0 0"
	d, err := parseStatCPU(stat)
	if err != nil || d != (1234+567)*10*time.Millisecond {
		t.Errorf("parseStatCPU = %v, %v", d, err)
	}
	if _, err := parseStatCPU("garbage"); err == nil {
		t.Error("garbage stat accepted")
	}
	if got := parseMachineBusy("cpu  100 5 50 9999 7 3 2 1 0 0\ncpu0 1 2 3\n"); got != (100+5+50+3+2+1)*10*time.Millisecond {
		t.Errorf("parseMachineBusy = %v", got)
	}
	if got := kbToMB(146485); got < 150 || got > 150.01 {
		t.Errorf("kbToMB = %v", got)
	}
}

func TestLogScan(t *testing.T) {
	l := newLogScan(nil)
	for _, line := range []string{
		`time=… level=INFO msg=request method=GET path=/x status=200 latency=1ms`,
		`time=… level=INFO msg="scale data" tokens=222000 owner=scale-owner took=31.2s`,
		`time=… level=ERROR msg=request method=POST path=/y status=500 latency=5s err="database is locked (5) (SQLITE_BUSY)"`,
		`time=… level=ERROR msg="request failed" path=/y err="database is locked"`,
		`time=… level=INFO msg=request method=GET path=/z status=503 latency=1ms`,
	} {
		l.note(line)
	}
	c := l.counts()
	if c.lines != 5 || c.busy != 2 || c.status5xx != 2 || c.errLines != 2 || len(c.samples) != 3 || l.seedTook != "31.2s" {
		t.Errorf("counts = %+v, took %q", c, l.seedTook)
	}
}

func TestEndpointOf(t *testing.T) {
	for _, c := range []struct {
		method, path string
		want         endpoint
		ok           bool
	}{
		{"GET", "/organizations/scale-org-01/settings/personal-access-tokens", epSettingsGet, true},
		{"POST", "/organizations/scale-org-01/settings/personal-access-tokens", epSettingsSave, true},
		{"GET", "/organizations/scale-org-01/settings/personal-access-token-requests", epQueueGet, true},
		{"POST", "/organizations/scale-org-01/settings/personal-access-token-requests/12/approve", epApprove, true},
		{"GET", "/organizations/scale-org-01/settings/personal-access-tokens/active", epActiveGet, true},
		{"GET", "/api/v3/repos/scale-org-01/org-01-api", epAPIRepo, true},
		{"GET", "/api/v3/orgs/scale-org-01/personal-access-token-requests", epAPIRequests, true},
		{"POST", "/organizations/scale-org-01/settings/personal-access-token-requests", 0, false},
		{"GET", "/organizations/scale-org-01/settings/personal-access-tokens/12", 0, false},
		{"GET", "/login", 0, false},
		{"HEAD", "/organizations/scale-org-01/settings/personal-access-tokens", epSettingsGet, false},
	} {
		got, ok := endpointOf(c.method, c.path)
		if ok != c.ok || ok && got != c.want {
			t.Errorf("endpointOf(%s %s) = %v, %v; want %v, %v", c.method, c.path, got, ok, c.want, c.ok)
		}
	}
	l := newLogScan(nil)
	l.note(`level=INFO msg=request method=GET path=/organizations/o/settings/personal-access-tokens status=200 latency=1.5ms`)
	l.measure(true)
	l.note(`level=INFO msg=request method=GET path=/organizations/o/settings/personal-access-tokens status=200 latency=2.5ms`)
	l.note(`level=INFO msg=request method=GET path=/api/v3/repos/o/r status=200 latency=394µs`)
	if got := l.handlerLatency(epSettingsGet); len(got) != 1 || got[0] != 2500*time.Microsecond {
		t.Errorf("settings latencies = %v", got)
	}
	if got := l.handlerLatency(epAPIRepo); len(got) != 1 || got[0] != 394*time.Microsecond {
		t.Errorf("api latencies = %v", got)
	}
}
