// Command wrkratio measures how close patpolicy comes to doing no work at
// all: it serves two requests that every visitor makes all the time, the
// signed-in PAT settings page and an authorized GET of a private
// repository through the API, and compares each with a bare Echo server
// answering the very same bytes with the same headers and no work. Both are
// driven by wrk (64 connections, 2 threads by default), alternating
// patpolicy and the bare server for each request, three rounds, and the
// median of the rounds' ratios is printed.
//
//	go run ./cmd/wrkratio              # builds the server, needs wrk on PATH
//	go run ./cmd/wrkratio -duration 20s -rounds 5
//
// It exits 1 when a ratio is under its target (-min-settings, -min-api) or
// when any answer under load was not a 200.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
)

type config struct {
	duration    time.Duration
	rounds      int
	connections int
	threads     int
	bin         string
	minSettings float64
	minAPI      float64
	pprofAddr   string
}

func main() {
	var cfg config
	flag.DurationVar(&cfg.duration, "duration", 10*time.Second, "length of each wrk run")
	flag.IntVar(&cfg.rounds, "rounds", 3, "how many times each pair is run, alternating")
	flag.IntVar(&cfg.connections, "connections", 64, "wrk connections")
	flag.IntVar(&cfg.threads, "threads", 2, "wrk threads")
	flag.StringVar(&cfg.bin, "bin", "", "a built patpolicy binary (default: go build one)")
	flag.Float64Var(&cfg.minSettings, "min-settings", 0.30, "target: settings page ratio")
	flag.Float64Var(&cfg.minAPI, "min-api", 0.60, "target: API call ratio")
	flag.StringVar(&cfg.pprofAddr, "pprof", "", "host:port of the server's net/http/pprof (a -bin built with it): saves a CPU profile of each first patpolicy run as <request>.pprof")
	flag.Parse()
	if err := run(cfg); err != nil {
		fmt.Fprintln(os.Stderr, "wrkratio:", err)
		os.Exit(1)
	}
}

// captured is one answer, to be served again by the bare server.
type captured struct {
	header http.Header
	body   []byte
}

type pair struct {
	name    string
	path    string
	header  string // the request header wrk sends
	target  float64
	answer  captured
	ratios  []float64
	ours    []float64
	bare    []float64
	failure string
}

func run(cfg config) error {
	if _, err := exec.LookPath("wrk"); err != nil {
		return errors.New("wrk is not installed (Debian: apt-get install wrk)")
	}
	dir, err := os.MkdirTemp("", "wrkratio-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	bin := cfg.bin
	if bin == "" {
		bin = filepath.Join(dir, "patpolicy")
		build := exec.Command("go", "build", "-o", bin, ".")
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			return fmt.Errorf("go build: %w", err)
		}
	}
	addr, err := freeAddr()
	if err != nil {
		return err
	}
	srv := exec.Command(bin, "--demo", "--addr", addr, "--db", filepath.Join(dir, "p.db"))
	srv.Env = slices.DeleteFunc(os.Environ(), func(kv string) bool { return strings.HasPrefix(kv, "PATPOLICY_") })
	logFile, err := os.Create(filepath.Join(dir, "server.log"))
	if err != nil {
		return err
	}
	srv.Stdout, srv.Stderr = logFile, logFile
	if err := srv.Start(); err != nil {
		return err
	}
	defer func() {
		_ = srv.Process.Signal(os.Interrupt)
		_ = srv.Wait()
	}()
	base := "http://" + addr
	if err := waitHealthy(base); err != nil {
		return err
	}

	cookie, token, err := signInAndCreateToken(base)
	if err != nil {
		return err
	}
	pairs := []*pair{
		{name: "PAT settings page", path: "/organizations/octo-org/settings/personal-access-tokens", header: "Cookie: " + cookie, target: cfg.minSettings},
		{name: "GET /api/v3/repos/octo-org/octo-api", path: "/api/v3/repos/octo-org/octo-api", header: "Authorization: Bearer " + token, target: cfg.minAPI},
	}
	for _, p := range pairs {
		if p.answer, err = capture(base+p.path, p.header); err != nil {
			return fmt.Errorf("%s: %w", p.name, err)
		}
	}

	bare, bareBase, err := startBare(pairs)
	if err != nil {
		return err
	}
	defer bare.Close()

	fmt.Printf("wrk -t%d -c%d -d%s, %d rounds, alternating patpolicy and a bare Echo server answering the same bytes\n",
		cfg.threads, cfg.connections, cfg.duration, cfg.rounds)
	for round := 1; round <= cfg.rounds; round++ {
		for _, p := range pairs {
			var profiled chan error
			if cfg.pprofAddr != "" && round == 1 {
				profiled = make(chan error, 1)
				go func() { profiled <- cpuProfile(cfg, p) }()
			}
			ours, err := runWrk(cfg, base+p.path, p.header)
			if profiled != nil {
				if err := <-profiled; err != nil {
					return fmt.Errorf("profile of %s: %w", p.name, err)
				}
			}
			if err != nil {
				return fmt.Errorf("%s on patpolicy: %w", p.name, err)
			}
			b, err := runWrk(cfg, bareBase+p.path, p.header)
			if err != nil {
				return fmt.Errorf("%s on the bare server: %w", p.name, err)
			}
			if ours.bad > 0 {
				p.failure = fmt.Sprintf("%d answers were not 200", ours.bad)
			}
			p.ours, p.bare = append(p.ours, ours.rps), append(p.bare, b.rps)
			p.ratios = append(p.ratios, ours.rps/b.rps)
			fmt.Printf("round %d  %-38s patpolicy %9.0f req/s  bare %9.0f req/s  ratio %.2f\n", round, p.name, ours.rps, b.rps, ours.rps/b.rps)
		}
	}
	failed := false
	fmt.Println()
	for _, p := range pairs {
		m := median(p.ratios)
		verdict := "meets"
		if m < p.target || p.failure != "" {
			verdict, failed = "MISSES", true
		}
		fmt.Printf("%-38s median ratio %.2f (patpolicy median %.0f req/s, bare %.0f): %s the target %.2f %s\n",
			p.name, m, median(p.ours), median(p.bare), verdict, p.target, p.failure)
	}
	if failed {
		return errors.New("a target was missed")
	}
	return nil
}

// cpuProfile saves a CPU profile of the middle of a run.
func cpuProfile(cfg config, p *pair) error {
	secs := max(1, int(cfg.duration.Seconds())-2)
	time.Sleep(time.Second)
	res, err := http.Get(fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", cfg.pprofAddr, secs))
	if err != nil {
		return err
	}
	defer res.Body.Close()
	name := strings.Trim(regexp.MustCompile(`[^a-z0-9]+`).ReplaceAllString(strings.ToLower(p.name), "-"), "-") + ".pprof"
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(f, res.Body)
	return err
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

func waitHealthy(base string) error {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if res, err := http.Get(base + "/healthz"); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	return errors.New("the server did not answer /healthz within 30 s")
}

var (
	csrfRe = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)
	// The box is a textarea; before 2026-12-03 it was an input.
	newTokenRe = regexp.MustCompile(`id="new-token"(?:[^>]*value="([^"]+)"|[^>]*>([^<]+)</textarea>)`)
)

// signInAndCreateToken signs octo-owner in and creates, through the form, a
// fine-grained token for octo-org that may read its repositories (an
// owner's token is approved at once).
func signInAndCreateToken(base string) (cookie, token string, err error) {
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	csrf := func(path string) (string, error) {
		res, err := hc.Get(base + path)
		if err != nil {
			return "", err
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		m := csrfRe.FindSubmatch(b)
		if m == nil {
			return "", fmt.Errorf("GET %s: %d, no form", path, res.StatusCode)
		}
		return string(m[1]), nil
	}
	post := func(path string, form url.Values) ([]byte, error) {
		res, err := hc.PostForm(base+path, form)
		if err != nil {
			return nil, err
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		if res.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("POST %s: %d", path, res.StatusCode)
		}
		return b, nil
	}
	c, err := csrf("/login")
	if err != nil {
		return "", "", err
	}
	if _, err := post("/login", url.Values{"_csrf": {c}, "login": {"octo-owner"}, "password": {"demo-password"}}); err != nil {
		return "", "", err
	}
	if c, err = csrf("/settings/personal-access-tokens/new"); err != nil {
		return "", "", err
	}
	page, err := post("/settings/personal-access-tokens", url.Values{"_csrf": {c}, "name": {"wrkratio " + strconv.FormatInt(time.Now().UnixNano(), 36)},
		"expiration": {"30"}, "resource_owner": {"octo-org"}, "repository_selection": {"all"}, "perm_metadata": {"read"}})
	if err != nil {
		return "", "", err
	}
	m := newTokenRe.FindSubmatch(page)
	if m == nil {
		return "", "", errors.New("the new token's page shows no token")
	}
	secret := string(m[1]) + string(m[2])
	u, _ := url.Parse(base)
	var parts []string
	for _, ck := range jar.Cookies(u) {
		parts = append(parts, ck.Name+"="+ck.Value)
	}
	return strings.Join(parts, "; "), secret, nil
}

// capture GETs path once with the given header and keeps the answer.
func capture(u, header string) (captured, error) {
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		return captured{}, err
	}
	k, v, _ := strings.Cut(header, ": ")
	req.Header.Set(k, v)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return captured{}, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return captured{}, err
	}
	if res.StatusCode != http.StatusOK {
		return captured{}, fmt.Errorf("answered %d", res.StatusCode)
	}
	h := res.Header.Clone()
	for _, k := range []string{"Date", "Content-Length", "Set-Cookie"} {
		h.Del(k)
	}
	return captured{header: h, body: b}, nil
}

// startBare serves each pair's captured answer from a bare Echo server.
func startBare(pairs []*pair) (*http.Server, string, error) {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	for _, p := range pairs {
		a := p.answer
		e.GET(p.path, func(c echo.Context) error {
			h := c.Response().Header()
			for k, vs := range a.header {
				h[k] = vs
			}
			return c.Blob(http.StatusOK, a.header.Get("Content-Type"), a.body)
		})
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", err
	}
	srv := &http.Server{Handler: e}
	go srv.Serve(ln)
	return srv, "http://" + ln.Addr().String(), nil
}

type wrkResult struct {
	rps float64
	bad int
}

var (
	rpsRe = regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`)
	badRe = regexp.MustCompile(`Non-2xx or 3xx responses:\s+(\d+)`)
)

func runWrk(cfg config, u, header string) (wrkResult, error) {
	ctx, cancel := context.WithTimeout(context.Background(), cfg.duration+30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "wrk", "-t", strconv.Itoa(cfg.threads), "-c", strconv.Itoa(cfg.connections),
		"-d", strconv.Itoa(int(cfg.duration.Seconds()))+"s", "-H", header, u)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return wrkResult{}, fmt.Errorf("%w\n%s", err, out.String())
	}
	m := rpsRe.FindStringSubmatch(out.String())
	if m == nil {
		return wrkResult{}, fmt.Errorf("no Requests/sec in wrk's output:\n%s", out.String())
	}
	var r wrkResult
	r.rps, _ = strconv.ParseFloat(m[1], 64)
	if b := badRe.FindStringSubmatch(out.String()); b != nil {
		r.bad, _ = strconv.Atoi(b[1])
	}
	return r, nil
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
