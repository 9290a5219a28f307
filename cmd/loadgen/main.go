// Command loadgen starts the patpolicy server on a large generated dataset
// and drives it over real HTTP with concurrent clients: owners signed in
// through the form who load and save settings, filter the queue and the
// active tokens and approve requests, and programs calling the API with
// tokens. It prints, per endpoint, requests per second, p50 / p99 / max
// latency and errors by kind, with the server's peak memory and what its
// log said about SQLITE_BUSY and 5xx.
//
//	go run ./cmd/loadgen --keep-db /tmp/scale100k.db --check
//
// See docs/benchmarks.md for a recorded run.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

type options struct {
	clients     int
	duration    time.Duration
	scale       int
	keepDB      string
	bin         string
	mix         string
	think       time.Duration
	apiTokens   int
	check       bool
	maxSettings time.Duration
	maxRSSMB    float64
	serverLog   string
	profile     string
	env         multiFlag
	timeout     time.Duration
}

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, " ") }
func (m *multiFlag) Set(s string) error { *m = append(*m, s); return nil }

func main() {
	var o options
	fs := flag.NewFlagSet("loadgen", flag.ExitOnError)
	fs.IntVar(&o.clients, "clients", 64, "concurrent clients, each an owner's signed-in session that also calls the API")
	fs.DurationVar(&o.duration, "duration", 30*time.Second, "how long the clients run")
	fs.IntVar(&o.scale, "scale", 100000, "--demo-scale of a new database: pending requests and active tokens in scale-org-01")
	fs.StringVar(&o.keepDB, "keep-db", "", "database file to keep: seeded there if missing, reused as it is otherwise (default: a temporary one, removed)")
	fs.StringVar(&o.bin, "bin", "", "server binary (default: go build the module root into a temporary directory)")
	fs.StringVar(&o.mix, "mix", defaultMix, "percent of each op: settings (GET settings page), save (GET it then POST it), queue (GET filtered queue), approve (GET filtered queue then POST approve), active (GET filtered active tokens), api-repo, api-requests")
	fs.DurationVar(&o.think, "think", 0, "mean think time between a client's ops (exponential); 0 runs closed-loop at full speed")
	fs.IntVar(&o.apiTokens, "api-tokens", 20, "members' tokens created for the API calls")
	fs.BoolVar(&o.check, "check", false, "exit 1 when a target is missed: any 5xx, SQLITE_BUSY, unexpected answer or transport error; settings page p99 over --max-settings-p99; peak RSS over --max-rss-mb")
	fs.DurationVar(&o.maxSettings, "max-settings-p99", 20*time.Millisecond, "target for the settings page's p99")
	fs.Float64Var(&o.maxRSSMB, "max-rss-mb", 150, "target for the server's peak RSS, in MB (10^6 bytes)")
	fs.StringVar(&o.serverLog, "server-log", "", "write the server's log of the measured run to this file")
	fs.StringVar(&o.profile, "profile", "", "build the server with net/http/pprof (go build -overlay; sources untouched) and write to this directory a CPU profile of the middle of the run, a goroutine dump and a 2 s execution trace half-way, and heap, allocation, block and mutex profiles at the end")
	fs.Var(&o.env, "env", "KEY=VALUE for the server's environment (repeatable), e.g. --env GOMEMLIMIT=100MiB")
	fs.DurationVar(&o.timeout, "timeout", 30*time.Second, "per-request timeout")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: go run ./cmd/loadgen [flags]\n\n"+
			"Starts the server (--demo --demo-scale N) on a free port, signs owners in, creates API tokens\n"+
			"through the forms, runs the clients and prints a Markdown table per endpoint.\n\n")
		fs.PrintDefaults()
	}
	_ = fs.Parse(os.Args[1:])
	if o.clients < 1 || o.duration <= 0 || o.scale < 1 || o.apiTokens < 1 {
		fmt.Fprintln(os.Stderr, "loadgen: --clients, --duration, --scale and --api-tokens must be positive")
		os.Exit(2)
	}
	if o.profile != "" && o.bin != "" {
		fmt.Fprintln(os.Stderr, "loadgen: --profile builds its own server; leave out --bin")
		os.Exit(2)
	}
	ok, err := run(o, os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
	if o.check && !ok {
		os.Exit(1)
	}
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "loadgen: "+format+"\n", args...)
}

func run(o options, out io.Writer) (bool, error) {
	m, err := parseMix(o.mix)
	if err != nil {
		return false, err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	tmp, err := os.MkdirTemp("", "loadgen-")
	if err != nil {
		return false, err
	}
	defer os.RemoveAll(tmp)

	bin := o.bin
	if bin == "" {
		start := time.Now()
		if bin, err = buildServer(tmp, o.profile != ""); err != nil {
			return false, err
		}
		logf("built the server in %v", time.Since(start).Round(time.Millisecond))
	}
	dbPath := o.keepDB
	if dbPath == "" {
		dbPath = filepath.Join(tmp, "scale.db")
	}
	opts := serverOpts{bin: bin, db: dbPath, scale: o.scale, env: o.env, healthWait: time.Minute}

	// Seeding, when the database is new, in a server of its own: its
	// memory (SeedScale's 128 MiB page cache) is not the serving server's.
	var seed *seedReport
	if fi, err := os.Stat(dbPath); err != nil || fi.Size() == 0 {
		logf("seeding %s with --demo-scale %d (this takes a while)", dbPath, o.scale)
		so := opts
		so.healthWait = 30 * time.Minute
		start := time.Now()
		s, err := startServer(ctx, so)
		if err != nil {
			return false, fmt.Errorf("seeding: %w", err)
		}
		seed = &seedReport{wall: time.Since(start)}
		mem := s.stop(30 * time.Second)
		seed.peakKB, seed.took = mem.peakKB(), s.logs.seedTook
		if fi, err := os.Stat(dbPath); err == nil {
			seed.size = fi.Size()
		}
		logf("seeded in %v (SeedScale: %s), %.0f MB, server peak RSS %.0f MB", seed.wall.Round(time.Millisecond), seed.took, float64(seed.size)/1e6, kbToMB(seed.peakKB))
	} else {
		logf("reusing %s (%.0f MB)", dbPath, float64(fi.Size())/1e6)
	}

	var logFile io.Writer
	if o.serverLog != "" {
		f, err := os.Create(o.serverLog)
		if err != nil {
			return false, err
		}
		defer f.Close()
		logFile = f
	}
	opts.logFile = logFile
	if o.profile != "" {
		if err := os.MkdirAll(o.profile, 0o755); err != nil {
			return false, err
		}
		if opts.pprofAddr, err = freeAddr(); err != nil {
			return false, err
		}
	}
	startAt := time.Now()
	s, err := startServer(ctx, opts)
	if err != nil {
		return false, err
	}
	logf("server up in %v at %s (pid %d)", time.Since(startAt).Round(time.Millisecond), s.base, s.cmd.Process.Pid)
	stopped := false
	defer func() {
		if !stopped {
			s.stop(15 * time.Second)
		}
	}()

	rt := newTransport(o.clients)
	api := &http.Client{Transport: rt, Timeout: o.timeout}
	runID := strconv.FormatInt(time.Now().Unix(), 36)
	setupStart := time.Now()
	t, sessions, err := setup(ctx, s.base, rt, api, o.clients, o.apiTokens, runID)
	if err != nil {
		return false, fmt.Errorf("setup: %w", err)
	}
	logf("setup in %v: %d organizations, %d owners/%d repositories/%d permissions to filter by, %d member tokens, 1 owner token, %d owner sessions",
		time.Since(setupStart).Round(time.Millisecond), len(t.orgs), len(t.owners), len(t.repos), len(t.perms), len(t.memberTokens), len(sessions))

	logsBefore := s.logs.counts()
	memBefore := s.mem.current()
	cpuBefore, _ := cpuTime(s.cmd.Process.Pid)
	selfBefore := selfCPU()
	busyBefore := machineBusy()

	clients := make([]*client, o.clients)
	for _, b := range sessions {
		b.client.Timeout = o.timeout
	}
	for i := range clients {
		clients[i] = &client{t: t, b: sessions[i], api: api, think: o.think,
			rnd: rand.New(rand.NewPCG(uint64(i)+1, uint64(time.Now().UnixNano())))}
	}
	var profDone chan error
	if o.profile != "" {
		profDone = make(chan error, 1)
		go func() { profDone <- cpuProfile(ctx, opts.pprofAddr, o.profile, o.duration) }()
	}
	logf("running %d clients for %v, mix %s, think %v", o.clients, o.duration, m, o.think)
	s.logs.measure(true)
	start := time.Now()
	until := start.Add(o.duration)
	var wg sync.WaitGroup
	for _, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.run(ctx, m, until)
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	cpuAfter, _ := cpuTime(s.cmd.Process.Pid)
	selfAfter := selfCPU()
	busyAfter := machineBusy()
	if profDone != nil {
		if err := <-profDone; err != nil {
			logf("cpu profile: %v", err)
		}
		if err := fetch(ctx, opts.pprofAddr, "/debug/pprof/heap", filepath.Join(o.profile, "heap.pprof")); err != nil {
			logf("heap profile: %v", err)
		}
		_ = fetch(ctx, opts.pprofAddr, "/debug/pprof/heap?debug=1", filepath.Join(o.profile, "heap.txt"))
		_ = fetch(ctx, opts.pprofAddr, "/debug/pprof/allocs", filepath.Join(o.profile, "allocs.pprof"))
		_ = fetch(ctx, opts.pprofAddr, "/debug/pprof/block", filepath.Join(o.profile, "block.pprof"))
		_ = fetch(ctx, opts.pprofAddr, "/debug/pprof/mutex", filepath.Join(o.profile, "mutex.pprof"))
	}
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	walSize := int64(0)
	if fi, err := os.Stat(dbPath + "-wal"); err == nil {
		walSize = fi.Size()
	}
	// Let the log catch up with the last requests before counting.
	time.Sleep(200 * time.Millisecond)
	s.logs.measure(false)
	logsRun := s.logs.counts()
	var handler [numEndpoints][]time.Duration
	for ep := range numEndpoints {
		handler[ep] = s.logs.handlerLatency(ep)
	}
	mem := s.stop(15 * time.Second)
	stopped = true
	logsAll := s.logs.counts()

	var merged [numEndpoints]recorder
	for _, c := range clients {
		for ep := range numEndpoints {
			merged[ep].merge(&c.rec[ep])
		}
	}
	var rows []summary
	var total recorder
	for ep := range numEndpoints {
		if merged[ep].total() == 0 {
			continue
		}
		rows = append(rows, summarize(endpointNames[ep], &merged[ep], elapsed))
		total.merge(&merged[ep])
	}
	rows = append(rows, summarize("all", &total, elapsed))

	r := report{
		o: o, mix: m, elapsed: elapsed, rows: rows, seed: seed, db: dbPath, mem: mem, memBefore: memBefore,
		serverCPU: cpuAfter - cpuBefore, selfCPU: selfAfter - selfBefore, machineCPU: busyAfter - busyBefore, walSize: walSize,
		logRun: logCountsDiff(logsRun, logsBefore), logAll: logsAll, cleanExit: s.exitedCleanly(), exitErr: s.err,
		settings: summarize("", &merged[epSettingsGet], elapsed), unexpected: merged, handler: handler,
	}
	return r.write(out), nil
}

func kbToMB(kb int64) float64 { return float64(kb) * 1024 / 1e6 }

func logCountsDiff(a, b logCounts) logCounts {
	return logCounts{lines: a.lines - b.lines, busy: a.busy - b.busy, status5xx: a.status5xx - b.status5xx,
		errLines: a.errLines - b.errLines, samples: a.samples}
}

// selfCPU is loadgen's own user+system CPU time.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// cpuProfile takes a CPU profile of the middle of the run: from a quarter
// in, for half of it.
func cpuProfile(ctx context.Context, addr, dir string, d time.Duration) error {
	select {
	case <-time.After(d / 4):
	case <-ctx.Done():
		return ctx.Err()
	}
	secs := max(1, int(d.Seconds()/2))
	// Where every goroutine is at one moment, half-way through: running,
	// waiting for a database connection, for the writer, for the network.
	go func() {
		select {
		case <-time.After(d / 4):
			_ = fetch(ctx, addr, "/debug/pprof/goroutine?debug=1", filepath.Join(dir, "goroutines.txt"))
			// An execution trace of 2 s: where requests waited for a
			// processor (go tool trace -pprof=sched trace.out).
			_ = fetch(ctx, addr, "/debug/pprof/trace?seconds=2", filepath.Join(dir, "trace.out"))
		case <-ctx.Done():
		}
	}()
	return fetch(ctx, addr, fmt.Sprintf("/debug/pprof/profile?seconds=%d", secs), filepath.Join(dir, "cpu.pprof"))
}

func fetch(ctx context.Context, addr, path, file string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+path, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %d", path, resp.StatusCode)
	}
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	_, err = io.Copy(f, resp.Body)
	return errors.Join(err, f.Close())
}

type seedReport struct {
	wall   time.Duration // from start to healthy
	took   string        // SeedScale's own time, from the server's log
	size   int64
	peakKB int64
}

type report struct {
	o          options
	mix        mix
	elapsed    time.Duration
	rows       []summary
	seed       *seedReport
	db         string
	mem        memStats
	memBefore  memStats
	serverCPU  time.Duration
	selfCPU    time.Duration
	machineCPU time.Duration // every process's, the kernel's included
	walSize    int64
	logRun     logCounts
	logAll     logCounts
	cleanExit  bool
	exitErr    error
	settings   summary
	unexpected [numEndpoints]recorder
	handler    [numEndpoints][]time.Duration // from the server's request log
}

// write prints the report and returns whether every target was met.
func (r report) write(w io.Writer) bool {
	fmt.Fprintf(w, "\n%s\n\n", machine())
	fmt.Fprintf(w, "clients %d, duration %v (measured %.1f s), think %v, mix %s\n", r.o.clients, r.o.duration, r.elapsed.Seconds(), r.o.think, r.mix)
	if r.seed != nil {
		fmt.Fprintf(w, "dataset: new, --demo-scale %d: seeded in %.1f s from start to healthy (SeedScale: %s), %.0f MB on disk, seeding server's peak RSS %.0f MB\n",
			r.o.scale, r.seed.wall.Seconds(), r.seed.took, float64(r.seed.size)/1e6, kbToMB(r.seed.peakKB))
	} else {
		fmt.Fprintf(w, "dataset: reused %s\n", r.db)
	}
	fmt.Fprintln(w)
	writeTable(w, r.rows)
	fmt.Fprintln(w)
	for ep := range numEndpoints {
		rec := &r.unexpected[ep]
		if len(rec.statuses) > 0 {
			fmt.Fprintf(w, "unexpected, %s: %s; first: %s\n", endpointNames[ep], statusList(rec.statuses), rec.sample)
		}
	}
	fmt.Fprintln(w, "handler latency, from the server's request log (from the router to the answer written; the rest of the client's time is connection, queueing before the router and the transfer):")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| endpoint | logged | p50 ms | p99 ms | max ms |")
	fmt.Fprintln(w, "|---|--:|--:|--:|--:|")
	for ep := range numEndpoints {
		lat := r.handler[ep]
		if len(lat) == 0 {
			continue
		}
		fmt.Fprintf(w, "| %s | %d | %s | %s | %s |\n", endpointNames[ep], len(lat), ms(percentile(lat, 50)), ms(percentile(lat, 99)), ms(lat[len(lat)-1]))
	}
	fmt.Fprintln(w)
	cores := r.serverCPU.Seconds() / r.elapsed.Seconds()
	fmt.Fprintf(w, "server: peak RSS %.1f MB (VmHWM %.1f MB; largest 100 ms sample %.1f MB = %.1f anon + %.1f file; %.1f MB before the clients started), CPU %.2f cores, exit %s\n",
		kbToMB(r.mem.peakKB()), kbToMB(r.mem.hwm), kbToMB(r.mem.peakSampled), kbToMB(r.mem.anon), kbToMB(r.mem.file),
		kbToMB(r.memBefore.peakKB()), cores, exitText(r.cleanExit, r.exitErr))
	others := (r.machineCPU - r.serverCPU - r.selfCPU).Seconds() / r.elapsed.Seconds()
	fmt.Fprintf(w, "loadgen: CPU %.2f cores; the machine's %d CPUs busy %.2f cores, other processes %.2f; WAL at the end of the run %.1f MB\n",
		r.selfCPU.Seconds()/r.elapsed.Seconds(), runtime.NumCPU(), r.machineCPU.Seconds()/r.elapsed.Seconds(), max(0, others), float64(r.walSize)/1e6)
	fmt.Fprintf(w, "server log during the run: %d lines, SQLITE_BUSY/locked %d, 5xx %d, level=ERROR %d (whole life: %d, %d, %d)\n",
		r.logRun.lines, r.logRun.busy, r.logRun.status5xx, r.logRun.errLines, r.logAll.busy, r.logAll.status5xx, r.logAll.errLines)
	for _, l := range r.logAll.samples {
		fmt.Fprintf(w, "  log: %.300s\n", l)
	}

	all := r.rows[len(r.rows)-1]
	type check struct {
		name string
		ok   bool
		got  string
	}
	checks := []check{
		{"no 5xx", all.counts[out5xx] == 0 && r.logAll.status5xx == 0, fmt.Sprintf("%d answered, %d in the log", all.counts[out5xx], r.logAll.status5xx)},
		{"no SQLITE_BUSY", r.logAll.busy == 0, fmt.Sprintf("%d log lines", r.logAll.busy)},
		{"no other error", all.counts[out4xx]+all.counts[outOther]+all.counts[outTransport] == 0 && r.logAll.errLines == 0,
			fmt.Sprintf("%d unexpected 4xx, %d other, %d transport, %d ERROR log lines", all.counts[out4xx], all.counts[outOther], all.counts[outTransport], r.logAll.errLines)},
		{fmt.Sprintf("settings page p99 < %v", r.o.maxSettings), r.settings.count > 0 && r.settings.p99 < r.o.maxSettings, ms(r.settings.p99) + " ms"},
		{fmt.Sprintf("server peak RSS < %.0f MB", r.o.maxRSSMB), kbToMB(r.mem.peakKB()) < r.o.maxRSSMB, fmt.Sprintf("%.1f MB", kbToMB(r.mem.peakKB()))},
		{"server exits 0 on SIGTERM", r.cleanExit, exitText(r.cleanExit, r.exitErr)},
	}
	fmt.Fprintln(w)
	met := true
	for _, c := range checks {
		mark := "met"
		if !c.ok {
			mark, met = "MISSED", false
		}
		fmt.Fprintf(w, "target %-32s %-6s (%s)\n", c.name+":", mark, c.got)
	}
	return met
}

func exitText(clean bool, err error) string {
	if clean {
		return "0"
	}
	return fmt.Sprint(err)
}

// machine describes where the run happened.
func machine() string {
	model := ""
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.SplitSeq(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
	}
	memGB := 0.0
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		memGB = float64(parseProcStatus(string(b))["MemTotal"]) / (1 << 20)
	}
	load := ""
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		load = strings.Join(strings.Fields(string(b))[:3], " ")
	}
	return fmt.Sprintf("machine: %d CPUs (%s), %.0f GiB, %s %s/%s; load average at the end %s; %s",
		runtime.NumCPU(), model, memGB, runtime.Version(), runtime.GOOS, runtime.GOARCH, load, time.Now().UTC().Format("2006-01-02 15:04 UTC"))
}
