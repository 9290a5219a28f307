package main

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestParseConfig(t *testing.T) {
	t.Setenv("PATPOLICY_ADDR", "127.0.0.1:9999")
	t.Setenv("PATPOLICY_DB", "/tmp/from-env.db")
	t.Setenv("PATPOLICY_SESSION_KEYS", " new-key , old-key ,")
	t.Setenv("PATPOLICY_DEMO_SCALE", "2500")
	t.Setenv("PATPOLICY_API_RATE_LIMIT", "5000")
	cfg := parseConfig(nil)
	if cfg.addr != "127.0.0.1:9999" || cfg.dbPath != "/tmp/from-env.db" || cfg.demo || cfg.demoScale != 2500 || cfg.apiRateLimit != 5000 {
		t.Errorf("environment not used: %+v", cfg)
	}
	if len(cfg.keys) != 2 || cfg.keys[0] != "new-key" || cfg.keys[1] != "old-key" {
		t.Errorf("keys = %q", cfg.keys)
	}
	cfg = parseConfig([]string{"--addr", "127.0.0.1:1", "--db", "x.db", "--demo", "--base-url", "https://pat.example", "--demo-scale", "100000", "--api-rate-limit", "60"})
	if cfg.addr != "127.0.0.1:1" || cfg.dbPath != "x.db" || !cfg.demo || cfg.baseURL != "https://pat.example" || cfg.demoScale != 100000 || cfg.apiRateLimit != 60 {
		t.Errorf("flags do not win over the environment: %+v", cfg)
	}
}

func TestTrustedProxiesComeFromTheFlagOrTheEnvironment(t *testing.T) {
	t.Setenv("PATPOLICY_TRUSTED_PROXIES", "10.0.0.0/8, 192.0.2.7")
	if got := fmt.Sprint(parseConfig(nil).trustedProxies); got != "[10.0.0.0/8 192.0.2.7/32]" {
		t.Errorf("from the environment: %s", got)
	}
	if got := fmt.Sprint(parseConfig([]string{"--trusted-proxies", "2001:db8::1/64"}).trustedProxies); got != "[2001:db8::/64]" {
		t.Errorf("from the flag: %s", got)
	}
}

func TestParseTrustedProxiesRefusesWhatIsNoAddress(t *testing.T) {
	for _, bad := range []string{"10.0.0.0/33", "proxy.example", "10.0.0.0/8;192.0.2.1", "fe80::1%eth0", "*"} {
		if got, err := parseTrustedProxies(bad); err == nil {
			t.Errorf("parseTrustedProxies(%q) = %v, want an error", bad, got)
		}
	}
	if got, err := parseTrustedProxies(" , "); err != nil || len(got) != 0 {
		t.Errorf("parseTrustedProxies of nothing = %v, %v", got, err)
	}
}

func TestParseBaseURL(t *testing.T) {
	for in, want := range map[string]string{
		"":                            "",
		"https://Pat.Example/":        "https://pat.example",
		"HTTP://pat.example:8443":     "http://pat.example:8443",
		"https://[2001:db8::1]:8443/": "https://[2001:db8::1]:8443",
	} {
		if got, err := parseBaseURL(in); err != nil || got != want {
			t.Errorf("parseBaseURL(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"pat.example", "ftp://pat.example", "https://", "https://pat.example/console",
		"https://pat.example/?x=1", "https://user@pat.example", "https://pat.example/#top", "//pat.example"} {
		if got, err := parseBaseURL(bad); err == nil {
			t.Errorf("parseBaseURL(%q) = %q, want an error", bad, got)
		}
	}
}

func TestDefaults(t *testing.T) {
	for _, k := range []string{"PATPOLICY_ADDR", "PATPOLICY_DB", "PATPOLICY_BASE_URL", "PATPOLICY_SESSION_KEYS", "PATPOLICY_DEMO_SCALE", "PATPOLICY_TRUSTED_PROXIES", "PATPOLICY_API_RATE_LIMIT"} {
		t.Setenv(k, "")
	}
	cfg := parseConfig(nil)
	if cfg.addr != "127.0.0.1:8080" || cfg.dbPath != "data/patpolicy.db" || len(cfg.keys) != 0 || cfg.demo || cfg.demoScale != 0 || len(cfg.trustedProxies) != 0 {
		t.Errorf("defaults: %+v", cfg)
	}
}

// TestRunServesAndStopsOnSIGTERM starts the real server, waits for
// /healthz, sends SIGTERM and expects a clean return.
func TestRunServesAndStopsOnSIGTERM(t *testing.T) {
	var logs lockedBuffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	// --demo-scale implies --demo; a small scale dataset keeps the test quick.
	cfg := config{addr: "127.0.0.1:0", dbPath: filepath.Join(t.TempDir(), "sub", "p.db"), demoScale: 30}
	done := make(chan error, 1)
	go func() { done <- run(cfg, logger) }()

	urlRe := regexp.MustCompile(`url=(http://\S+)`)
	var base string
	for deadline := time.Now().Add(20 * time.Second); base == "" && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if m := urlRe.FindStringSubmatch(logs.String()); m != nil {
			base = m[1]
		}
	}
	if base == "" {
		t.Fatalf("server did not start:\n%s", logs.String())
	}
	res, err := http.Get(base + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || string(body) != "ok" {
		t.Fatalf("healthz: %d %q", res.StatusCode, body)
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run returned %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("server did not stop on SIGTERM")
	}
	if !strings.Contains(logs.String(), "msg=\"demo data\" loaded=true") || !strings.Contains(logs.String(), "msg=\"scale data\" tokens=") {
		t.Errorf("demo and scale data not loaded:\n%s", logs.String())
	}
	if !strings.Contains(logs.String(), "shutting down") {
		t.Errorf("no shutdown in the log:\n%s", logs.String())
	}
}
