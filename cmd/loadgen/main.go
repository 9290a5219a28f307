// Command loadgen starts the patpolicy server on a large generated dataset
// and drives it over real HTTP with concurrent clients: owners signed in
// through the form who load and save settings, filter the queue and the
// active tokens and approve requests, and programs calling the API with
// tokens. It prints, per endpoint, requests per second, p50 / p99 / max
// latency and errors by kind, with each server's CPU and peak memory and
// what its log said about SQLITE_BUSY, PostgreSQL serialization failures
// and deadlocks, and 5xx.
//
// The database is a SQLite file or a PostgreSQL database (--db), served by
// one server process or several (--instances), the clients' requests
// going to each in turn:
//
//	go run ./cmd/loadgen --db /tmp/scale100k.db --check
//	go run ./cmd/loadgen --db 'postgres://…/loadgen?sslmode=disable' --instances 2 --check
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
	"slices"
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
	db          string
	keepDB      string
	instances   int
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
	fs.StringVar(&o.db, "db", "", "database to keep: a SQLite file, seeded there if missing and reused as it is otherwise, or a postgres:// URL of a database, seeded when empty and reused otherwise (default: a temporary SQLite file, removed)")
	fs.StringVar(&o.keepDB, "keep-db", "", "the older name of --db")
	fs.IntVar(&o.instances, "instances", 1, "server processes on the one database, each on its own port; the clients' requests go to each in turn")
	fs.StringVar(&o.bin, "bin", "", "server binary (default: go build the module root into a temporary directory)")
	fs.StringVar(&o.mix, "mix", defaultMix, "percent of each op: settings (GET settings page), save (GET it then POST it), queue (GET filtered queue), approve (GET filtered queue then POST approve), active (GET filtered active tokens), api-repo, api-requests")
	fs.DurationVar(&o.think, "think", 0, "mean think time between a client's ops (exponential); 0 runs closed-loop at full speed")
	fs.IntVar(&o.apiTokens, "api-tokens", 20, "members' tokens created for the API calls")
	fs.BoolVar(&o.check, "check", false, "exit 1 when a target is missed: any 5xx, SQLITE_BUSY, PostgreSQL serialization failure or deadlock, unexpected answer or transport error; settings page p99 over --max-settings-p99; a server's peak RSS over --max-rss-mb")
	fs.DurationVar(&o.maxSettings, "max-settings-p99", 25*time.Millisecond, "target for the settings page's p99")
	fs.Float64Var(&o.maxRSSMB, "max-rss-mb", 150, "target for each server's peak RSS, in MB (10^6 bytes)")
	fs.StringVar(&o.serverLog, "server-log", "", "write the servers' logs to this file (with several instances, one file each: name-1.log, name-2.log, ...)")
	fs.StringVar(&o.profile, "profile", "", "build the server with net/http/pprof (go build -overlay; sources untouched) and write to this directory a CPU profile of the middle of the run, a goroutine dump and a 2 s execution trace half-way, and heap, allocation, block and mutex profiles at the end (of the first instance only)")
	fs.Var(&o.env, "env", "KEY=VALUE for the server's environment (repeatable), e.g. --env GOMEMLIMIT=100MiB")
	fs.DurationVar(&o.timeout, "timeout", 30*time.Second, "per-request timeout")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: go run ./cmd/loadgen [flags]\n\n"+
			"Starts --instances servers (--demo --demo-scale N) on one database, each on a free port, signs\n"+
			"owners in, creates API tokens through the forms, runs the clients (each request to the next\n"+
			"server in turn) and prints a Markdown table per endpoint.\n\n")
		fs.PrintDefaults()
	}
	_ = fs.Parse(os.Args[1:])
	if err := checkOptions(&o); err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
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
	dbLoc := o.db
	if dbLoc == "" {
		dbLoc = filepath.Join(tmp, "scale.db")
	}
	opts := serverOpts{bin: bin, db: dbLoc, scale: o.scale, env: o.env, healthWait: time.Minute}

	seed, err := seedDatabase(ctx, opts)
	if err != nil {
		return false, err
	}

	if o.profile != "" {
		if err := os.MkdirAll(o.profile, 0o755); err != nil {
			return false, err
		}
	}
	servers, err := startInstances(ctx, o, opts)
	defer func() {
		for _, s := range servers {
			if s != nil {
				s.stop(15 * time.Second)
			}
		}
	}()
	if err != nil {
		return false, err
	}
	if len(servers) > 1 && !isPostgres(dbLoc) {
		logf("%d server processes on one SQLite file: allowed, their writes take turns through SQLite's file lock", len(servers))
	}

	hosts := make([]string, len(servers))
	for i, s := range servers {
		hosts[i] = s.addr
	}
	rt := newRoundRobin(newTransport(o.clients), hosts)
	base := servers[0].base
	api := &http.Client{Transport: rt, Timeout: o.timeout}
	runID := strconv.FormatInt(time.Now().Unix(), 36)
	setupStart := time.Now()
	t, sessions, err := setup(ctx, base, rt, api, o.clients, o.apiTokens, runID)
	if err != nil {
		return false, fmt.Errorf("setup: %w", err)
	}
	logf("setup in %v: %d organizations, %d owners/%d repositories/%d permissions to filter by, %d member tokens, 1 owner token, %d owner sessions",
		time.Since(setupStart).Round(time.Millisecond), len(t.orgs), len(t.owners), len(t.repos), len(t.perms), len(t.memberTokens), len(sessions))

	inst := make([]instanceReport, len(servers))
	for i, s := range servers {
		inst[i] = instanceReport{addr: s.addr, pid: s.cmd.Process.Pid, logBefore: s.logs.counts(), memBefore: s.mem.current()}
		inst[i].cpu, _ = cpuTime(inst[i].pid)
	}
	pgc := startPgCPU(dbLoc)
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
	pprofAddr := servers[0].pprofAddr
	var profDone chan error
	if pprofAddr != "" {
		profDone = make(chan error, 1)
		go func() { profDone <- cpuProfile(ctx, pprofAddr, o.profile, o.duration) }()
	}
	logf("running %d clients for %v over %s, mix %s, think %v", o.clients, o.duration, instances(len(servers)), m, o.think)
	for _, s := range servers {
		s.logs.measure(true)
	}
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
	for i := range inst {
		after, _ := cpuTime(inst[i].pid)
		inst[i].cpu = after - inst[i].cpu
	}
	selfAfter := selfCPU()
	busyAfter := machineBusy()
	pgUsed, pgErr := time.Duration(0), error(nil)
	if pgc != nil {
		pgUsed, pgErr = pgc.used()
	}
	if profDone != nil {
		if err := <-profDone; err != nil {
			logf("cpu profile: %v", err)
		}
		if err := fetch(ctx, pprofAddr, "/debug/pprof/heap", filepath.Join(o.profile, "heap.pprof")); err != nil {
			logf("heap profile: %v", err)
		}
		_ = fetch(ctx, pprofAddr, "/debug/pprof/heap?debug=1", filepath.Join(o.profile, "heap.txt"))
		_ = fetch(ctx, pprofAddr, "/debug/pprof/allocs", filepath.Join(o.profile, "allocs.pprof"))
		_ = fetch(ctx, pprofAddr, "/debug/pprof/block", filepath.Join(o.profile, "block.pprof"))
		_ = fetch(ctx, pprofAddr, "/debug/pprof/mutex", filepath.Join(o.profile, "mutex.pprof"))
	}
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	walSize := int64(-1)
	if !isPostgres(dbLoc) {
		walSize = 0
		if fi, err := os.Stat(dbLoc + "-wal"); err == nil {
			walSize = fi.Size()
		}
	}
	// Let the logs catch up with the last requests before counting.
	time.Sleep(200 * time.Millisecond)
	var handler [numEndpoints][]time.Duration
	for i, s := range servers {
		s.logs.measure(false)
		inst[i].logRun = logCountsDiff(s.logs.counts(), inst[i].logBefore)
		for ep := range numEndpoints {
			handler[ep] = append(handler[ep], s.logs.handlerLatency(ep)...)
		}
	}
	for ep := range numEndpoints {
		slices.Sort(handler[ep])
	}
	for i, s := range servers {
		inst[i].mem = s.stop(15 * time.Second)
		servers[i] = nil
		inst[i].logAll = s.logs.counts()
		inst[i].cleanExit, inst[i].exitErr = s.exitedCleanly(), s.err
	}

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
		o: o, mix: m, elapsed: elapsed, rows: rows, seed: seed, db: dbLoc, instances: inst,
		selfCPU: selfAfter - selfBefore, machineCPU: busyAfter - busyBefore, walSize: walSize, pgCPU: pgUsed, pgErr: pgErr,
		settings: summarize("", &merged[epSettingsGet], elapsed), unexpected: merged, handler: handler,
	}
	return r.write(out), nil
}

// seedDatabase loads --demo --demo-scale into the database when it is new,
// in a server of its own that is then stopped, so that seeding's memory
// (SeedScale's page cache, the bulk load) is not the serving servers'. A
// SQLite file is new when it is missing or empty; a PostgreSQL database
// is asked by starting the seeding server anyway: the server loads the
// demo only into an empty database and says in its log whether it did.
// It returns nil when the database was reused.
func seedDatabase(ctx context.Context, opts serverOpts) (*seedReport, error) {
	pg := isPostgres(opts.db)
	if !pg {
		if fi, err := os.Stat(opts.db); err == nil && fi.Size() > 0 {
			logf("reusing %s (%.0f MB)", opts.db, float64(fi.Size())/1e6)
			return nil, nil
		}
		logf("seeding %s with --demo-scale %d (this takes a while)", opts.db, opts.scale)
	} else {
		logf("seeding %s with --demo-scale %d if it is empty (this takes a while)", redacted(opts.db), opts.scale)
	}
	so := opts
	so.healthWait = 30 * time.Minute
	start := time.Now()
	s, err := startServer(ctx, so)
	if err != nil {
		return nil, fmt.Errorf("seeding: %w", err)
	}
	wall := time.Since(start)
	mem := s.stop(30 * time.Second)
	if pg && s.logs.demoLoaded != "true" {
		logf("reusing %s: it was seeded before (the server said demo data loaded=%s)", redacted(opts.db), s.logs.demoLoaded)
		return nil, nil
	}
	seed := &seedReport{wall: wall, peakKB: mem.peakKB(), took: s.logs.seedTook, size: -1}
	if fi, err := os.Stat(opts.db); !pg && err == nil {
		seed.size = fi.Size()
	}
	logf("seeded in %v (SeedScale: %s), server peak RSS %.0f MB", seed.wall.Round(time.Millisecond), seed.took, kbToMB(seed.peakKB))
	return seed, nil
}

// startInstances starts --instances servers on the database, one after
// the other, each on its own port with its own log. The servers started
// are returned even with an error, for the caller to stop.
func startInstances(ctx context.Context, o options, opts serverOpts) ([]*server, error) {
	var servers []*server
	for i := range o.instances {
		so := opts
		if o.serverLog != "" {
			f, err := os.Create(instanceLogName(o.serverLog, i, o.instances))
			if err != nil {
				return servers, err
			}
			so.logFile = f
		}
		if i == 0 && o.profile != "" {
			var err error
			if so.pprofAddr, err = freeAddr(); err != nil {
				return servers, err
			}
		}
		startAt := time.Now()
		s, err := startServer(ctx, so)
		if err != nil {
			return servers, fmt.Errorf("instance %d: %w", i+1, err)
		}
		servers = append(servers, s)
		logf("instance %d up in %v at %s (pid %d)", i+1, time.Since(startAt).Round(time.Millisecond), s.base, s.cmd.Process.Pid)
	}
	return servers, nil
}

func kbToMB(kb int64) float64 { return float64(kb) * 1024 / 1e6 }

func logCountsDiff(a, b logCounts) logCounts {
	return logCounts{lines: a.lines - b.lines, busy: a.busy - b.busy, conflicts: a.conflicts - b.conflicts,
		status5xx: a.status5xx - b.status5xx, errLines: a.errLines - b.errLines, samples: a.samples}
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
	instances  []instanceReport
	selfCPU    time.Duration
	machineCPU time.Duration // every process's, the kernel's included
	walSize    int64         // -1 on PostgreSQL
	// pgCPU is the PostgreSQL server's CPU over the run, when it runs on
	// this machine and was found (else pgErr says why not).
	pgCPU      time.Duration
	pgErr      error
	settings   summary
	unexpected [numEndpoints]recorder
	handler    [numEndpoints][]time.Duration // from the servers' request logs
}

// instanceReport is what one server process did during the run.
type instanceReport struct {
	addr           string
	pid            int
	cpu            time.Duration // over the measured run
	mem, memBefore memStats
	logBefore      logCounts
	logRun, logAll logCounts // during the run; over the process's life
	cleanExit      bool
	exitErr        error
}

// totals adds up the instances: CPU, peak RSS (each process's own peak,
// added: an upper bound of what they held at once), log counts, and
// whether every one exited cleanly. maxKB is the largest single peak.
func totals(inst []instanceReport) (cpu time.Duration, sumKB, maxKB int64, run, all logCounts, clean bool) {
	clean = true
	for _, in := range inst {
		cpu += in.cpu
		sumKB += in.mem.peakKB()
		maxKB = max(maxKB, in.mem.peakKB())
		run = addLogCounts(run, in.logRun)
		all = addLogCounts(all, in.logAll)
		clean = clean && in.cleanExit
	}
	return
}

func addLogCounts(a, b logCounts) logCounts {
	return logCounts{lines: a.lines + b.lines, busy: a.busy + b.busy, conflicts: a.conflicts + b.conflicts,
		status5xx: a.status5xx + b.status5xx, errLines: a.errLines + b.errLines, samples: append(a.samples, b.samples...)}
}

// backend names the database and how many servers share it.
func (r report) backend() string {
	n := len(r.instances)
	switch {
	case isPostgres(r.db):
		return "PostgreSQL, " + instances(n)
	case n > 1:
		return fmt.Sprintf("SQLite, %s: %d server processes on one file (allowed; their writes take turns through SQLite's file lock)", instances(n), n)
	}
	return "SQLite, " + instances(n)
}

// write prints the report and returns whether every target was met.
func (r report) write(w io.Writer) bool {
	fmt.Fprintf(w, "\n%s\n\n", machine())
	fmt.Fprintf(w, "backend: %s\n", r.backend())
	fmt.Fprintf(w, "clients %d, duration %v (measured %.1f s), think %v, mix %s\n", r.o.clients, r.o.duration, r.elapsed.Seconds(), r.o.think, r.mix)
	switch {
	case r.seed != nil && r.seed.size >= 0:
		fmt.Fprintf(w, "dataset: new, --demo-scale %d: seeded in %.1f s from start to healthy (SeedScale: %s), %.0f MB on disk, seeding server's peak RSS %.0f MB\n",
			r.o.scale, r.seed.wall.Seconds(), r.seed.took, float64(r.seed.size)/1e6, kbToMB(r.seed.peakKB))
	case r.seed != nil:
		fmt.Fprintf(w, "dataset: new, --demo-scale %d: seeded in %.1f s from start to healthy (SeedScale: %s), seeding server's peak RSS %.0f MB\n",
			r.o.scale, r.seed.wall.Seconds(), r.seed.took, kbToMB(r.seed.peakKB))
	default:
		fmt.Fprintf(w, "dataset: reused %s\n", redacted(r.db))
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
	fmt.Fprintln(w, "handler latency, from the servers' request logs (from the router to the answer written; the rest of the client's time is connection, queueing before the router and the transfer):")
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
	cores := func(d time.Duration) float64 { return d.Seconds() / r.elapsed.Seconds() }
	for i, in := range r.instances {
		fmt.Fprintf(w, "server %d (%s, pid %d): peak RSS %.1f MB (VmHWM %.1f MB; largest 100 ms sample %.1f MB = %.1f anon + %.1f file; %.1f MB before the clients started), CPU %.2f cores, %d requests logged, exit %s\n",
			i+1, in.addr, in.pid, kbToMB(in.mem.peakKB()), kbToMB(in.mem.hwm), kbToMB(in.mem.peakSampled), kbToMB(in.mem.anon), kbToMB(in.mem.file),
			kbToMB(in.memBefore.peakKB()), cores(in.cpu), in.logRun.lines, exitText(in.cleanExit, in.exitErr))
	}
	cpu, sumKB, maxKB, logRun, logAll, clean := totals(r.instances)
	if len(r.instances) > 1 {
		fmt.Fprintf(w, "servers, all %d: CPU %.2f cores, peak RSS %.1f MB added up (largest one %.1f MB)\n", len(r.instances), cores(cpu), kbToMB(sumKB), kbToMB(maxKB))
	}
	others := max(0, cores(r.machineCPU-cpu-r.selfCPU-r.pgCPU))
	wal := ""
	if r.walSize >= 0 {
		wal = fmt.Sprintf("; WAL at the end of the run %.1f MB", float64(r.walSize)/1e6)
	}
	if isPostgres(r.db) {
		if r.pgErr != nil {
			fmt.Fprintf(w, "PostgreSQL server: CPU not measured (%v): it is among the other processes\n", r.pgErr)
		} else {
			fmt.Fprintf(w, "PostgreSQL server: CPU %.2f cores (the postmaster and every process it started)\n", cores(r.pgCPU))
		}
	}
	fmt.Fprintf(w, "loadgen: CPU %.2f cores; the machine's %d CPUs busy %.2f cores, other processes %.2f%s\n",
		cores(r.selfCPU), runtime.NumCPU(), cores(r.machineCPU), others, wal)
	fmt.Fprintf(w, "server logs during the run: %d lines, SQLITE_BUSY/locked %d, serialization failure/deadlock %d, 5xx %d, level=ERROR %d (whole life: %d, %d, %d, %d)\n",
		logRun.lines, logRun.busy, logRun.conflicts, logRun.status5xx, logRun.errLines, logAll.busy, logAll.conflicts, logAll.status5xx, logAll.errLines)
	for _, l := range logAll.samples {
		fmt.Fprintf(w, "  log: %.300s\n", l)
	}

	all := r.rows[len(r.rows)-1]
	type check struct {
		name string
		ok   bool
		got  string
	}
	checks := []check{
		{"no 5xx", all.counts[out5xx] == 0 && logAll.status5xx == 0, fmt.Sprintf("%d answered, %d in the logs", all.counts[out5xx], logAll.status5xx)},
		{"no SQLITE_BUSY", logAll.busy == 0, fmt.Sprintf("%d log lines", logAll.busy)},
		{"no serialization failure/deadlock", logAll.conflicts == 0, fmt.Sprintf("%d log lines with SQLSTATE 40001 or 40P01", logAll.conflicts)},
		{"no other error", all.counts[out4xx]+all.counts[outOther]+all.counts[outTransport] == 0 && logAll.errLines == 0,
			fmt.Sprintf("%d unexpected 4xx, %d other, %d transport, %d ERROR log lines", all.counts[out4xx], all.counts[outOther], all.counts[outTransport], logAll.errLines)},
		{fmt.Sprintf("settings page p99 < %v", r.o.maxSettings), r.settings.count > 0 && r.settings.p99 < r.o.maxSettings, ms(r.settings.p99) + " ms"},
		{fmt.Sprintf("server peak RSS < %.0f MB", r.o.maxRSSMB), kbToMB(maxKB) < r.o.maxRSSMB, fmt.Sprintf("%.1f MB, the largest of %d", kbToMB(maxKB), len(r.instances))},
		{"servers exit 0 on SIGTERM", clean, exitTexts(r.instances)},
	}
	fmt.Fprintln(w)
	met := true
	for _, c := range checks {
		mark := "met"
		if !c.ok {
			mark, met = "MISSED", false
		}
		fmt.Fprintf(w, "target %-36s %-6s (%s)\n", c.name+":", mark, c.got)
	}
	return met
}

// exitTexts lists each instance's exit.
func exitTexts(inst []instanceReport) string {
	var parts []string
	for _, in := range inst {
		parts = append(parts, exitText(in.cleanExit, in.exitErr))
	}
	return strings.Join(parts, ", ")
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
