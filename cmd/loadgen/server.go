package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// repoRoot is the directory of the patpolicy module (go.mod), found by
// asking the go command from the working directory.
func repoRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", errors.New("run loadgen inside the patpolicy module (no go.mod found)")
	}
	return filepath.Dir(mod), nil
}

// pprofOverlay is a file added to package main of the server, only in the
// binary --profile builds (through go build -overlay, so the sources stay
// untouched): it serves net/http/pprof on PATPOLICY_LOADGEN_PPROF.
const pprofOverlay = `package main

import (
	"net/http"
	_ "net/http/pprof"
	"os"
	"runtime"
)

func init() {
	if addr := os.Getenv("PATPOLICY_LOADGEN_PPROF"); addr != "" {
		// Where goroutines wait (the connection pools, the writer) and
		// which locks they queue on: one event per 100 µs waited.
		runtime.SetBlockProfileRate(100000)
		runtime.SetMutexProfileFraction(100)
		go http.ListenAndServe(addr, nil)
	}
}
`

// buildServer builds the server into dir; with pprof, with the overlay.
func buildServer(dir string, pprof bool) (string, error) {
	root, err := repoRoot()
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "patpolicy")
	args := []string{"build", "-o", bin}
	if pprof {
		src := filepath.Join(dir, "zz_loadgen_pprof.go")
		if err := os.WriteFile(src, []byte(pprofOverlay), 0o644); err != nil {
			return "", err
		}
		overlay := filepath.Join(dir, "overlay.json")
		body := fmt.Sprintf(`{"Replace":{%q:%q}}`, filepath.Join(root, "zz_loadgen_pprof.go"), src)
		if err := os.WriteFile(overlay, []byte(body), 0o644); err != nil {
			return "", err
		}
		args = append(args, "-overlay", overlay)
	}
	cmd := exec.Command("go", append(args, ".")...)
	cmd.Dir = root
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go build: %w", err)
	}
	return bin, nil
}

// freeAddr picks a free loopback port.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// server is the child process under test.
type server struct {
	cmd  *exec.Cmd
	addr string
	base string
	logs *logScan
	mem  *memSampler
	done chan struct{} // closed when the process has exited
	err  error         // its Wait error, once done
	// pprofAddr serves net/http/pprof (--profile, first instance only).
	pprofAddr string
}

type serverOpts struct {
	bin, db    string
	scale      int
	env        []string
	logFile    io.WriteCloser // every log line, or nil; closed when the server stops
	pprofAddr  string         // set with --profile
	healthWait time.Duration
}

// startServer starts the server and waits until /healthz answers 200.
func startServer(ctx context.Context, o serverOpts) (*server, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	args := []string{"--demo", "--demo-scale", strconv.Itoa(o.scale), "--addr", addr, "--db", o.db}
	cmd := exec.Command(o.bin, args...)
	cmd.Env = append(os.Environ(), o.env...)
	if o.pprofAddr != "" {
		cmd.Env = append(cmd.Env, "PATPOLICY_LOADGEN_PPROF="+o.pprofAddr)
	}
	// Its own process group: a ^C to loadgen is loadgen's to pass on.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	var logOut io.Writer
	if o.logFile != nil {
		logOut = o.logFile
	}
	s := &server{cmd: cmd, addr: addr, base: "http://" + addr, logs: newLogScan(logOut), done: make(chan struct{}), pprofAddr: o.pprofAddr}
	if err := cmd.Start(); err != nil {
		if o.logFile != nil {
			o.logFile.Close()
		}
		return nil, err
	}
	go func() {
		<-s.logs.finished
		if o.logFile != nil {
			o.logFile.Close()
		}
	}()
	go s.logs.scan(pr)
	go func() {
		s.err = cmd.Wait()
		pw.Close()
		close(s.done)
	}()
	s.mem = startMemSampler(cmd.Process.Pid, 100*time.Millisecond)

	deadline := time.Now().Add(o.healthWait)
	client := &http.Client{Timeout: 2 * time.Second}
	for {
		select {
		case <-s.done:
			s.mem.stop()
			return nil, fmt.Errorf("server exited before it was healthy (%v); its last lines:\n%s", s.err, s.logs.tail())
		case <-ctx.Done():
			s.stop(5 * time.Second)
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		resp, err := client.Get(s.base + "/healthz")
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s, nil
			}
		}
		if time.Now().After(deadline) {
			s.stop(5 * time.Second)
			return nil, fmt.Errorf("server not healthy after %v; its last lines:\n%s", o.healthWait, s.logs.tail())
		}
	}
}

// stop sends SIGTERM and waits for a graceful exit, then SIGKILL. It
// returns the memory measured over the process's life.
func (s *server) stop(grace time.Duration) memStats {
	m := s.mem.stop() // reads VmHWM while the process still lives
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(grace):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
	<-s.logs.finished
	return m
}

// exitedCleanly reports whether the process exited 0 (after stop).
func (s *server) exitedCleanly() bool { return s.err == nil }

// memStats is what /proc/<pid>/status said about the process's memory.
type memStats struct {
	peakSampled int64 // the largest VmRSS seen, kB
	hwm         int64 // VmHWM (the kernel's own peak RSS), kB
	// anon and file split the RSS of the largest sample, kB.
	anon, file int64
	samples    int
}

// peakKB is the process's peak RSS: the kernel's high-water mark, or the
// largest sample if that is larger (it cannot be, but /proc may be gone).
func (m memStats) peakKB() int64 { return max(m.peakSampled, m.hwm) }

type memSampler struct {
	pid  int
	mu   sync.Mutex
	st   memStats
	quit chan struct{}
	done chan struct{}
}

func startMemSampler(pid int, every time.Duration) *memSampler {
	m := &memSampler{pid: pid, quit: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(m.done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			m.sample()
			select {
			case <-m.quit:
				return
			case <-t.C:
			}
		}
	}()
	return m
}

func (m *memSampler) sample() {
	f, err := readProcStatus(m.pid)
	if err != nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.st.samples++
	if rss := f["VmRSS"]; rss > m.st.peakSampled {
		m.st.peakSampled, m.st.anon, m.st.file = rss, f["RssAnon"], f["RssFile"]+f["RssShmem"]
	}
	m.st.hwm = max(m.st.hwm, f["VmHWM"])
}

// stop ends the sampling after one last sample and returns what it saw.
func (m *memSampler) stop() memStats {
	select {
	case <-m.quit:
	default:
		close(m.quit)
	}
	<-m.done
	m.sample()
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.st
}

// current is the latest high-water mark, kB.
func (m *memSampler) current() memStats {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.st
}

// readProcStatus reads the kB fields of /proc/<pid>/status.
func readProcStatus(pid int) (map[string]int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return nil, err
	}
	return parseProcStatus(string(b)), nil
}

// parseProcStatus reads the "Name:   123 kB" lines of a status file.
func parseProcStatus(s string) map[string]int64 {
	out := map[string]int64{}
	for line := range strings.SplitSeq(s, "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		v = strings.TrimSpace(v)
		num, unit, _ := strings.Cut(v, " ")
		if unit != "kB" {
			continue
		}
		if n, err := strconv.ParseInt(num, 10, 64); err == nil {
			out[k] = n
		}
	}
	return out
}

// cpuTime is the process's user+system CPU time, from /proc/<pid>/stat.
func cpuTime(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	return parseStatCPU(string(b))
}

// parseStatCPU reads a /proc/<pid>/stat line's user+system CPU time.
func parseStatCPU(s string) (time.Duration, error) {
	p, err := parseStat(s)
	return p.own, err
}

// parseStat reads from a /proc/<pid>/stat line the parent (field 4),
// utime and stime (14 and 15) and cutime and cstime (16 and 17, the
// children waited for), the times in clock ticks of 1/100 s on Linux.
func parseStat(s string) (procInfo, error) {
	// The command name (field 2) is in parentheses and may hold spaces.
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return procInfo{}, errors.New("malformed stat")
	}
	f := strings.Fields(s[i+1:])
	// f[0] is field 3 (state), so field n is f[n-3].
	if len(f) < 15 {
		return procInfo{}, errors.New("short stat")
	}
	var n [5]int64
	for k, field := range []int{4, 14, 15, 16, 17} {
		v, err := strconv.ParseInt(f[field-3], 10, 64)
		if err != nil {
			return procInfo{}, err
		}
		n[k] = v
	}
	tick := 10 * time.Millisecond
	return procInfo{ppid: int(n[0]), own: time.Duration(n[1]+n[2]) * tick, reaped: time.Duration(n[3]+n[4]) * tick}, nil
}

// logScan reads the server's log: it counts SQLITE_BUSY and "database is
// locked" lines, PostgreSQL serialization failures and deadlocks, and
// requests answered 5xx, and keeps the last lines.
type logScan struct {
	out      io.Writer
	finished chan struct{}

	mu        sync.Mutex
	lines     int
	busy      int
	conflicts int // PostgreSQL serialization failures and deadlocks
	status5xx int
	errLines  int // level=ERROR lines
	samples   []string
	last      []string
	seedTook  string
	// demoLoaded is what the server said of --demo: "true" when it
	// seeded an empty database, "false" when it found one seeded.
	demoLoaded string
	// While measuring, the handler's own latency of each request, from
	// the request log, by endpoint.
	measuring bool
	latency   [numEndpoints][]time.Duration
}

func newLogScan(out io.Writer) *logScan {
	return &logScan{out: out, finished: make(chan struct{})}
}

var (
	requestRe = regexp.MustCompile(`msg=request method=(\S+) path=(\S+) status=\d+ latency=(\S+)`)
	statusRe  = regexp.MustCompile(`\bstatus=(\d{3})\b`)
	tookRe    = regexp.MustCompile(`msg="scale data".*\btook=(\S+)`)
	demoRe    = regexp.MustCompile(`msg="demo data".*\bloaded=(\w+)`)
)

func (l *logScan) scan(r io.Reader) {
	defer close(l.finished)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		line := sc.Text()
		if l.out != nil {
			fmt.Fprintln(l.out, line)
		}
		l.note(line)
	}
	io.Copy(io.Discard, r)
}

func (l *logScan) note(line string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines++
	bad := false
	if busyLine(line) {
		l.busy++
		bad = true
	}
	if conflictRe.MatchString(line) {
		l.conflicts++
		bad = true
	}
	if m := statusRe.FindStringSubmatch(line); m != nil && m[1][0] == '5' {
		l.status5xx++
		bad = true
	}
	if strings.Contains(line, "level=ERROR") {
		l.errLines++
		bad = true
	}
	if m := tookRe.FindStringSubmatch(line); m != nil {
		l.seedTook = m[1]
	}
	if m := demoRe.FindStringSubmatch(line); m != nil {
		l.demoLoaded = m[1]
	}
	if l.measuring {
		if m := requestRe.FindStringSubmatch(line); m != nil {
			if ep, ok := endpointOf(m[1], m[2]); ok {
				if d, err := time.ParseDuration(m[3]); err == nil {
					l.latency[ep] = append(l.latency[ep], d)
				}
			}
		}
	}
	if bad && len(l.samples) < 5 {
		l.samples = append(l.samples, line)
	}
	l.last = append(l.last, line)
	if len(l.last) > 30 {
		l.last = l.last[1:]
	}
}

// measure starts or stops collecting the handler latencies.
func (l *logScan) measure(on bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.measuring = on
}

// handlerLatency returns the sorted handler latencies of ep.
func (l *logScan) handlerLatency(ep endpoint) []time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := slices.Clone(l.latency[ep])
	slices.Sort(out)
	return out
}

func (l *logScan) tail() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.last, "\n")
}

// counts is a snapshot of what the log showed.
type logCounts struct {
	lines, busy, conflicts, status5xx, errLines int
	samples                                     []string
}

func (l *logScan) counts() logCounts {
	l.mu.Lock()
	defer l.mu.Unlock()
	return logCounts{lines: l.lines, busy: l.busy, conflicts: l.conflicts, status5xx: l.status5xx, errLines: l.errLines,
		samples: append([]string(nil), l.samples...)}
}

// machineBusy is the CPU time every CPU of the machine spent busy (user,
// nice, system, irq, softirq, steal), from the "cpu" line of /proc/stat.
func machineBusy() time.Duration {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	return parseMachineBusy(string(b))
}

func parseMachineBusy(s string) time.Duration {
	line, _, _ := strings.Cut(s, "\n")
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return 0
	}
	var ticks int64
	for _, i := range []int{1, 2, 3, 6, 7, 8} { // user nice system (idle iowait) irq softirq steal
		n, _ := strconv.ParseInt(f[i], 10, 64)
		ticks += n
	}
	return time.Duration(ticks) * 10 * time.Millisecond
}
