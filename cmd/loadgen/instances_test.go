package main

import (
	"errors"
	"net/http"
	"net/http/cookiejar"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// recordHosts is a transport that answers 200 and remembers where each
// request was sent and which cookies it carried.
type recordHosts struct {
	mu      sync.Mutex
	hosts   []string // URL host, Host header
	cookies []string
}

func (r *recordHosts) RoundTrip(req *http.Request) (*http.Response, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.hosts = append(r.hosts, req.URL.Host+" "+req.Host)
	r.cookies = append(r.cookies, req.Header.Get("Cookie"))
	h := http.Header{}
	if req.URL.Path == "/login" {
		h.Set("Set-Cookie", "session=s1; Path=/")
	}
	return &http.Response{StatusCode: 200, Header: h, Body: http.NoBody, Request: req}, nil
}

func TestRoundRobinSendsEachRequestToTheNextInstance(t *testing.T) {
	rec := &recordHosts{}
	rr := newRoundRobin(rec, []string{"127.0.0.1:1001", "127.0.0.1:1002", "127.0.0.1:1003"})
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Transport: rr, Jar: jar}
	for _, path := range []string{"/login", "/a", "/b", "/c", "/d"} {
		resp, err := c.Get("http://127.0.0.1:1001" + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	want := []string{
		"127.0.0.1:1001 127.0.0.1:1001", "127.0.0.1:1002 127.0.0.1:1002", "127.0.0.1:1003 127.0.0.1:1003",
		"127.0.0.1:1001 127.0.0.1:1001", "127.0.0.1:1002 127.0.0.1:1002",
	}
	if !slices.Equal(rec.hosts, want) {
		t.Errorf("hosts = %q, want %q", rec.hosts, want)
	}
	// The cookie the first instance set goes to every instance after it:
	// the client is signed in on all of them.
	for i, c := range rec.cookies[1:] {
		if c != "session=s1" {
			t.Errorf("request %d carried cookies %q, want the session's", i+2, c)
		}
	}
}

func TestRoundRobinOfOneLeavesTheRequestAlone(t *testing.T) {
	rec := &recordHosts{}
	rr := newRoundRobin(rec, []string{"127.0.0.1:1001"})
	req, _ := http.NewRequest(http.MethodGet, "http://127.0.0.1:1001/x", nil)
	if _, err := rr.RoundTrip(req); err != nil {
		t.Fatal(err)
	}
	if rec.hosts[0] != "127.0.0.1:1001 127.0.0.1:1001" {
		t.Errorf("host = %q", rec.hosts[0])
	}
}

func TestRoundRobinSpreadsConcurrentRequestsEvenly(t *testing.T) {
	rr := newRoundRobin(nil, []string{"a", "b"})
	counts := map[string]int{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 100 {
				h := rr.pick()
				mu.Lock()
				counts[h]++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if counts["a"] != 400 || counts["b"] != 400 {
		t.Errorf("counts = %v, want 400 each", counts)
	}
}

func TestCheckOptions(t *testing.T) {
	good := func() options {
		return options{clients: 8, duration: 5 * time.Second, scale: 2000, apiTokens: 20, instances: 1}
	}
	for _, c := range []struct {
		name   string
		change func(*options)
		err    string // a part of the message; "" for none
		db     string // o.db afterwards
	}{
		{"defaults", func(*options) {}, "", ""},
		{"a file", func(o *options) { o.db = "/tmp/x.db" }, "", "/tmp/x.db"},
		{"--keep-db alone is --db", func(o *options) { o.keepDB = "/tmp/x.db" }, "", "/tmp/x.db"},
		{"both, the same", func(o *options) { o.keepDB, o.db = "/tmp/x.db", "/tmp/x.db" }, "", "/tmp/x.db"},
		{"both, different", func(o *options) { o.keepDB, o.db = "/tmp/x.db", "/tmp/y.db" }, "older name", ""},
		{"a URL", func(o *options) { o.db = "postgres://u@127.0.0.1:5432/lg?sslmode=disable"; o.instances = 2 }, "", "postgres://u@127.0.0.1:5432/lg?sslmode=disable"},
		{"a bad URL", func(o *options) { o.db = "postgres://u:secret@[::1/x" }, "not a URL", ""},
		{"no instance", func(o *options) { o.instances = 0 }, "--instances", ""},
		{"no client", func(o *options) { o.clients = 0 }, "must be positive", ""},
		{"no duration", func(o *options) { o.duration = 0 }, "must be positive", ""},
		{"no scale", func(o *options) { o.scale = 0 }, "must be positive", ""},
		{"profile and bin", func(o *options) { o.profile, o.bin = "/tmp/p", "/tmp/b" }, "--profile", ""},
	} {
		o := good()
		c.change(&o)
		err := checkOptions(&o)
		switch {
		case c.err == "" && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("%s: err = %v, want one saying %q", c.name, err, c.err)
		case c.err == "" && o.db != c.db:
			t.Errorf("%s: db = %q, want %q", c.name, o.db, c.db)
		}
		if err != nil && strings.Contains(err.Error(), "secret") {
			t.Errorf("%s: the message shows the password: %v", c.name, err)
		}
	}
}

func TestLocations(t *testing.T) {
	for _, c := range []struct {
		loc  string
		pg   bool
		show string
	}{
		{"/tmp/scale.db", false, "/tmp/scale.db"},
		{"postgres.db", false, "postgres.db"},
		{"postgres://u@h:5432/d?sslmode=disable", true, "postgres://u@h:5432/d?sslmode=disable"},
		{"POSTGRESQL://u:secret@h/d", true, "postgresql://u:xxxxx@h/d"},
		{"postgres://h/d?password=secret&sslmode=disable", true, "postgres://h/d?password=xxxxx&sslmode=disable"},
	} {
		if got := isPostgres(c.loc); got != c.pg {
			t.Errorf("isPostgres(%q) = %v", c.loc, got)
		}
		if got := redacted(c.loc); got != c.show {
			t.Errorf("redacted(%q) = %q, want %q", c.loc, got, c.show)
		}
	}
}

func TestInstanceLogName(t *testing.T) {
	for _, c := range []struct {
		path string
		i, n int
		want string
	}{
		{"/tmp/server.log", 0, 1, "/tmp/server.log"},
		{"/tmp/server.log", 0, 2, "/tmp/server-1.log"},
		{"/tmp/server.log", 1, 2, "/tmp/server-2.log"},
		{"/tmp/server", 2, 3, "/tmp/server-3"},
	} {
		if got := instanceLogName(c.path, c.i, c.n); got != c.want {
			t.Errorf("instanceLogName(%q, %d, %d) = %q, want %q", c.path, c.i, c.n, got, c.want)
		}
	}
}

func TestLogScanOfPostgresErrors(t *testing.T) {
	l := newLogScan(nil)
	for _, line := range []string{
		`time=… level=INFO msg="demo data" loaded=false`,
		`time=… level=ERROR msg=request method=POST path=/y status=500 latency=5ms err="save: ERROR: could not serialize access due to concurrent update (SQLSTATE 40001)"`,
		`time=… level=ERROR msg="request failed" err="review: ERROR: deadlock detected (SQLSTATE 40P01)"`,
		`time=… level=WARN msg=retry sqlstate=40001`,
		`time=… level=ERROR msg="request failed" err="ERROR: duplicate key value violates unique constraint (SQLSTATE 23505)"`,
		`time=… level=INFO msg=request method=GET path=/api/v3/repos/o/r40001 status=200 latency=1ms`,
	} {
		l.note(line)
	}
	c := l.counts()
	if c.conflicts != 3 || c.busy != 0 || c.status5xx != 1 || c.errLines != 3 || l.demoLoaded != "false" {
		t.Errorf("counts = %+v, demo loaded %q", c, l.demoLoaded)
	}
}

func TestTotalsOfInstances(t *testing.T) {
	inst := []instanceReport{
		{cpu: time.Second, mem: memStats{hwm: 40000}, logRun: logCounts{lines: 10, conflicts: 1}, logAll: logCounts{lines: 12, status5xx: 1, samples: []string{"a"}}, cleanExit: true},
		{cpu: 2 * time.Second, mem: memStats{hwm: 50000}, logRun: logCounts{lines: 20, busy: 2}, logAll: logCounts{lines: 25, samples: []string{"b"}}, cleanExit: false, exitErr: errors.New("signal: killed")},
	}
	cpu, sum, peak, run, all, clean := totals(inst)
	if cpu != 3*time.Second || sum != 90000 || peak != 50000 || clean {
		t.Errorf("cpu %v, sum %d, peak %d, clean %v", cpu, sum, peak, clean)
	}
	if run.lines != 30 || run.conflicts != 1 || run.busy != 2 || all.lines != 37 || all.status5xx != 1 || !slices.Equal(all.samples, []string{"a", "b"}) {
		t.Errorf("run %+v, all %+v", run, all)
	}
	if got := exitTexts(inst); got != "0, signal: killed" {
		t.Errorf("exitTexts = %q", got)
	}
}

func TestBackendLine(t *testing.T) {
	two := make([]instanceReport, 2)
	for _, c := range []struct {
		r    report
		want string
	}{
		{report{db: "/tmp/x.db", instances: two[:1]}, "SQLite, 1 instance"},
		{report{db: "/tmp/x.db", instances: two}, "SQLite, 2 instances: 2 server processes on one file (allowed;"},
		{report{db: "postgres://u@h/d", instances: two}, "PostgreSQL, 2 instances"},
	} {
		if got := c.r.backend(); !strings.HasPrefix(got, c.want) {
			t.Errorf("backend() = %q, want %q...", got, c.want)
		}
	}
}
