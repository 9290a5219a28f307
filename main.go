// Command patpolicy serves the personal access token policy console.
package main

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/crypto/bcrypt"

	"patpolicy/db"
	"patpolicy/hooks"
	"patpolicy/jobs"
	"patpolicy/server"
	"patpolicy/service"
	"patpolicy/web/session"
)

// config is everything the flags and environment decide.
type config struct {
	addr    string
	dbPath  string
	baseURL string
	demo    bool
	// demoScale > 0 loads, with the demo, a scale dataset with that many
	// pending requests and as many active tokens in scale-org-01.
	demoScale int
	keys      []string
	// heavyLimit is server.Config.HeavyLimit.
	heavyLimit int
	// trustedProxies is server.Config.TrustedProxies.
	trustedProxies []netip.Prefix
	// apiRateLimit is server.Config.APIRateLimit.
	apiRateLimit int
	// tokenJobsInterval is how often expiry notices are sent and unused
	// tokens revoked; 0 runs neither.
	tokenJobsInterval time.Duration
	// webhookAllowPrivate lets webhook deliveries reach loopback and
	// private addresses (on by default with --demo).
	webhookAllowPrivate bool
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "user" {
		os.Exit(userCommand(context.Background(), os.Args[2:], userIO{
			stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv,
		}))
	}
	logOut := newLogWriter(os.Stderr)
	logger := slog.New(slog.NewTextHandler(logOut, nil))
	cfg := parseConfig(os.Args[1:])
	err := run(cfg, logger)
	if err != nil {
		logger.Error("patpolicy stopped", "err", err)
	}
	logOut.Close()
	if err != nil {
		os.Exit(1)
	}
}

func parseConfig(args []string) config {
	fs := flag.NewFlagSet("patpolicy", flag.ExitOnError)
	var cfg config
	fs.StringVar(&cfg.addr, "addr", envOr("PATPOLICY_ADDR", "127.0.0.1:8080"), "address to listen on (env PATPOLICY_ADDR)")
	fs.StringVar(&cfg.dbPath, "db", envOr("PATPOLICY_DB", "data/patpolicy.db"), dbFlagUsage)
	fs.StringVar(&cfg.baseURL, "base-url", envOr("PATPOLICY_BASE_URL", ""), "public URL, scheme://host[:port]: absolute links in API answers; https:// also makes cookies Secure with __Host- names and sends HSTS (env PATPOLICY_BASE_URL)")
	proxies := fs.String("trusted-proxies", envOr("PATPOLICY_TRUSTED_PROXIES", ""), "comma-separated CIDRs (or addresses) of reverse proxies whose X-Forwarded-For and X-Forwarded-Proto are believed (env PATPOLICY_TRUSTED_PROXIES)")
	fs.BoolVar(&cfg.demo, "demo", false, "load the demo dataset into an empty database")
	fs.IntVar(&cfg.demoScale, "demo-scale", 0, "with the demo, load N pending requests and N active tokens into scale-org-01 (owner scale-owner) of an empty database (env PATPOLICY_DEMO_SCALE)")
	if v := os.Getenv("PATPOLICY_DEMO_SCALE"); v != "" {
		if err := fs.Set("demo-scale", v); err != nil {
			usageError(fs, "PATPOLICY_DEMO_SCALE: %v", err)
		}
	}
	fs.IntVar(&cfg.heavyLimit, "heavy-limit", 0, "how many grant lists (pages and API) are built at once; 0 is half the processors, at least 1")
	fs.IntVar(&cfg.apiRateLimit, "api-rate-limit", 0, "API calls a token may make an hour, counted in this process's memory; 0 is no limit (env PATPOLICY_API_RATE_LIMIT)")
	if v := os.Getenv("PATPOLICY_API_RATE_LIMIT"); v != "" {
		if err := fs.Set("api-rate-limit", v); err != nil {
			usageError(fs, "PATPOLICY_API_RATE_LIMIT: %v", err)
		}
	}
	fs.DurationVar(&cfg.tokenJobsInterval, "token-jobs-interval", time.Minute, "how often expiry notices are sent and tokens unused beyond their organization's limit are revoked; 0 turns both off (env PATPOLICY_TOKEN_JOBS_INTERVAL)")
	if v := os.Getenv("PATPOLICY_TOKEN_JOBS_INTERVAL"); v != "" {
		if err := fs.Set("token-jobs-interval", v); err != nil {
			usageError(fs, "PATPOLICY_TOKEN_JOBS_INTERVAL: %v", err)
		}
	}
	allowPrivate := fs.String("webhook-allow-private", envOr("PATPOLICY_WEBHOOK_ALLOW_PRIVATE", ""), "let webhook deliveries reach loopback, private and link-local addresses: true or false; default true with --demo, else false (env PATPOLICY_WEBHOOK_ALLOW_PRIVATE)")
	_ = fs.Parse(args)
	cfg.webhookAllowPrivate = cfg.demo
	if *allowPrivate != "" {
		v, err := strconv.ParseBool(*allowPrivate)
		if err != nil {
			usageError(fs, "--webhook-allow-private: %v", err)
		}
		cfg.webhookAllowPrivate = v
	}
	if cfg.tokenJobsInterval < 0 {
		usageError(fs, "--token-jobs-interval must be 0 or more")
	}
	if cfg.apiRateLimit < 0 {
		usageError(fs, "--api-rate-limit must be 0 or more")
	}
	if cfg.heavyLimit < 0 {
		usageError(fs, "--heavy-limit must be 0 or more")
	}
	if cfg.demoScale < 0 {
		usageError(fs, "--demo-scale must be 0 or more")
	}
	var err error
	if cfg.baseURL, err = parseBaseURL(cfg.baseURL); err != nil {
		usageError(fs, "--base-url: %v", err)
	}
	if cfg.trustedProxies, err = parseTrustedProxies(*proxies); err != nil {
		usageError(fs, "--trusted-proxies: %v", err)
	}
	cfg.keys = session.ParseSecrets(os.Getenv("PATPOLICY_SESSION_KEYS"))
	return cfg
}

// parseBaseURL checks a public URL: http or https, a host, nothing after
// it (the site's pages live at the root). It returns scheme://host[:port],
// lower-cased, or "" for "".
func parseBaseURL(s string) (string, error) {
	if s == "" {
		return "", nil
	}
	u, err := url.Parse(s)
	if err != nil {
		return "", err
	}
	u.Scheme = strings.ToLower(u.Scheme)
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return "", fmt.Errorf("%q: the scheme must be http or https", s)
	case u.Host == "" || u.Hostname() == "":
		return "", fmt.Errorf("%q: no host", s)
	case u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.ForceQuery:
		return "", fmt.Errorf("%q: only scheme://host[:port] (the site is served at its root)", s)
	}
	return u.Scheme + "://" + strings.ToLower(u.Host), nil
}

// parseTrustedProxies reads comma-separated CIDRs; a bare address stands
// for itself alone.
func parseTrustedProxies(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		p, err := netip.ParsePrefix(part)
		if err != nil {
			addr, aerr := netip.ParseAddr(part)
			if aerr != nil || addr.Zone() != "" {
				return nil, fmt.Errorf("%q is not a CIDR (such as 10.0.0.0/8) or an IP address", part)
			}
			p = netip.PrefixFrom(addr, addr.BitLen())
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// usageError reports a bad setting the way the flag package reports a bad
// flag, and exits with its status.
func usageError(fs *flag.FlagSet, format string, args ...any) {
	fmt.Fprintf(fs.Output(), format+"\n", args...)
	fs.Usage()
	os.Exit(2)
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

// dbFlagUsage says what --db takes.
const dbFlagUsage = "SQLite database file, or a postgres:// URL (env PATPOLICY_DB)"

func run(cfg config, logger *slog.Logger) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	store, err := db.Open(ctx, cfg.dbPath, db.PublicURL(cfg.baseURL))
	if err != nil {
		return fmt.Errorf("open database %s: %w", db.Redacted(cfg.dbPath), err)
	}
	defer store.Close()

	if cfg.demo || cfg.demoScale > 0 {
		hash, err := bcrypt.GenerateFromPassword([]byte("demo-password"), bcrypt.DefaultCost)
		if err != nil {
			return err
		}
		seeded, err := store.SeedDemo(ctx, string(hash), service.Created)
		if err != nil {
			return fmt.Errorf("demo data: %w", err)
		}
		logger.Info("demo data", "loaded", seeded)
		// Only with the demo, into the database it found empty: a restart
		// with the same flags changes nothing.
		if seeded && cfg.demoScale > 0 {
			start := time.Now()
			info, err := store.SeedScale(ctx, db.DemoScale(cfg.demoScale), string(hash), service.Created, service.Reviewed)
			if err != nil {
				return fmt.Errorf("scale data: %w", err)
			}
			logger.Info("scale data", "tokens", info.Tokens, "owner", db.ScaleOwnerLogin, "took", time.Since(start).Round(time.Millisecond))
		}
	}
	if len(cfg.keys) == 0 {
		// Kept in the database so that a restart signs no one out.
		key, err := store.SettingOrCreate(ctx, "session_key", session.NewSecret)
		if err != nil {
			return err
		}
		cfg.keys = []string{key}
	}
	dummy, err := dummyHash()
	if err != nil {
		return err
	}

	e := server.New(server.Config{
		Store:          store,
		SessionSecrets: cfg.keys,
		BaseURL:        cfg.baseURL,
		TrustedProxies: cfg.trustedProxies,
		Logger:         logger,
		DummyHash:      dummy,
		HeavyLimit:     cfg.heavyLimit,
		APIRateLimit:   cfg.apiRateLimit,
	})
	srv := &http.Server{
		Handler:           e,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
	}
	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return err
	}
	logger.Info("listening", "url", "http://"+ln.Addr().String())

	// API calls note each token's last use in memory; this writes them
	// down every few seconds, and once more at shutdown.
	flushCtx, stopFlushing := context.WithCancel(context.Background())
	flushed := make(chan struct{})
	go func() {
		defer close(flushed)
		store.RecordLastUses(flushCtx, lastUseFlushInterval, func(err error) {
			logger.Error("record last uses", "err", err)
		})
	}()
	defer func() { stopFlushing(); <-flushed }()

	// Expiry notices and inactivity revocations: a bounded batch each run,
	// claimed in the database, so every instance may run them. Stopped
	// before the last flush of last uses above.
	if cfg.tokenJobsInterval > 0 {
		jobsCtx, stopJobs := context.WithCancel(context.Background())
		jobsDone := make(chan struct{})
		go func() {
			defer close(jobsDone)
			jobs.Every(jobsCtx, cfg.tokenJobsInterval, time.Now, func(err error) {
				logger.Error("token expiry and inactivity", "err", err)
			}, service.Expiry{Store: store}.Run)
		}()
		defer func() { stopJobs(); <-jobsDone }()
	}
	// Webhook deliveries are sent from the store's outbox by a worker;
	// what it has not sent when it stops is sent by the next run, here or
	// in another instance.
	hookCtx, stopHooks := context.WithCancel(context.Background())
	hooksDone := make(chan struct{})
	worker := &hooks.Worker{Store: store, Sender: hooks.NewSender(cfg.webhookAllowPrivate), Now: time.Now, Logger: logger}
	go func() {
		defer close(hooksDone)
		worker.Run(hookCtx)
	}()
	defer func() { stopHooks(); <-hooksDone }()

	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	stop() // a second signal now ends the process at once
	logger.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		srv.Close()
		return fmt.Errorf("requests still running after 15s were cut off: %w", err)
	}
	return nil
}

// lastUseFlushInterval is how often tokens' last uses are written down.
const lastUseFlushInterval = 5 * time.Second

// dummyHash is a hash of a random password, compared against when a login
// names no account, so that both cases cost one bcrypt.
func dummyHash() ([]byte, error) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	return bcrypt.GenerateFromPassword(b, bcrypt.DefaultCost)
}
