package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	_ "modernc.org/sqlite" // the checks read the database the server wrote

	"patpolicy/db"
	"patpolicy/db/dbtest"
	"patpolicy/policy"
)

// TestCrashKillRestart kills the real server binary with SIGKILL in the
// middle of a write load over HTTP, three times, restarting it on the same
// database each time. After every restart it checks that the database is
// intact, that every write a client saw acknowledged (a 303 after a form, a
// 201 from the API) is there, and that every change that is there has its
// audit events, no more and no fewer.
//
// It runs with one server, and with two on one database as behind a load
// balancer: the clients are spread over both, each round kills one of them
// (in turn), and the other must keep serving its clients, with no error,
// while the killed one is down and while it restarts. On PostgreSQL only the
// two-server run is made: a single server killed there shows nothing the
// two do not.
//
// The load: members (mona, hubot) creating fine-grained tokens for octo-org
// through the form (pending, some to be denied), octo-owner creating tokens
// (approved on creation, and some of its own), octo-owner approving and
// denying the queue one request at a time, octo-owner saving the
// organization's settings page (the fine-grained maximum lifetime, a new
// value each time, built on the version the form carried), and every
// approved token creating issues through POST /api/v3/repos/…/issues.
func TestCrashKillRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and starts the server binary")
	}
	began := time.Now()
	bin := buildServer(t, t.TempDir())
	t.Logf("built the server in %v", time.Since(began).Round(time.Millisecond))
	if !dbtest.Postgres() {
		t.Run("one server", func(t *testing.T) { crashKillRestart(t, bin, 1) })
	}
	t.Run("two servers", func(t *testing.T) { crashKillRestart(t, bin, 2) })
}

// crashKillRestart runs the crash test with n servers on one database.
func crashKillRestart(t *testing.T, bin string, n int) {
	began := time.Now()
	location := dbtest.Location(t)
	bases := make([]string, n)
	srvs := make([]*serverProcess, n)
	for i := range n {
		addr := freeAddr(t)
		bases[i] = "http://" + addr
		srvs[i] = startServer(t, bin, addr, location, i == 0)
	}
	// restart starts server i again on its address, after its kill.
	restart := func(i int) time.Duration {
		at := time.Now()
		srvs[i] = startServer(t, bin, strings.TrimPrefix(bases[i], "http://"), location, false)
		return time.Since(at)
	}
	baseline := readCrashBaseline(t, location)

	rec := &crashRecord{saves: map[int][]*crashSave{}, statuses: map[string]int{}, served: map[string]crashServed{}}
	transport := &http.Transport{MaxIdleConnsPerHost: 16, IdleConnTimeout: 5 * time.Second}
	t.Cleanup(transport.CloseIdleConnections)
	// The clients, spread over the servers in turn: with two, each server
	// has a member of each kind of worker but the approver and the
	// settings worker, which are on different ones.
	var workers []*crashWorker
	add := func(login string, role crashRole) {
		w := newCrashWorker(t, bases[len(workers)%n], transport, login, len(workers), role, rec)
		workers = append(workers, w)
	}
	add("mona", crashMember)
	add("mona", crashMember)
	add("hubot", crashMember)
	add("hubot", crashMember)
	add("octo-owner", crashOwnerTokens)
	add("octo-owner", crashApprover)
	add("octo-owner", crashSettings)
	add("octo-owner", crashOwnerTokens)
	var signIn sync.WaitGroup
	for _, w := range workers {
		signIn.Add(1)
		go func() { defer signIn.Done(); w.signIn(context.Background()) }()
	}
	signIn.Wait()
	if t.Failed() {
		t.Fatalf("sign-in failed; server log:\n%s", srvs[0].log.tail(40))
	}

	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 0))
	const rounds = 3
	for round := range rounds {
		victim := round % n
		killAfter := 700*time.Millisecond + time.Duration(rng.IntN(800))*time.Millisecond
		// The clients of each server stop with a context of their own:
		// the killed server's at once, the others' after its restart.
		ctxs := make([]context.Context, n)
		cancels := make([]context.CancelFunc, n)
		wgs := make([]sync.WaitGroup, n)
		for i := range n {
			ctxs[i], cancels[i] = context.WithCancel(context.Background())
		}
		for _, w := range workers {
			i := slices.Index(bases, w.base)
			wgs[i].Add(1)
			go func() { defer wgs[i].Done(); w.run(ctxs[i], round) }()
		}
		before := rec.snapshot()
		servedBefore := rec.servedSnapshot()
		time.Sleep(killAfter)
		srvs[victim].kill(t)
		cancels[victim]()
		wgs[victim].Wait()
		// Every request the killed server had has ended: those without an
		// answer are not acknowledged, whatever became of them.
		servedAtKill := rec.servedSnapshot()
		if n > 1 {
			// The others go on alone for a while before the restart.
			time.Sleep(300*time.Millisecond + time.Duration(rng.IntN(300))*time.Millisecond)
		}
		took := restart(victim)
		servedAfter := rec.servedSnapshot()
		for i := range n {
			cancels[i]()
			wgs[i].Wait()
		}
		transport.CloseIdleConnections()
		after := rec.snapshot()
		t.Logf("round %d: SIGKILL of server %d of %d after %v of load; acknowledged in the round: %s (in all: %s); restart to /healthz in %v",
			round+1, victim+1, n, killAfter, after.minus(before), after, took.Round(time.Millisecond))
		for i, base := range bases {
			inRound := servedAfter[base].minus(servedBefore[base])
			if i != victim {
				alive, down := servedAtKill[base].minus(servedBefore[base]), servedAfter[base].minus(servedAtKill[base])
				t.Logf("round %d: server %d answered %d requests before the kill and %d while server %d was down or restarting",
					round+1, i+1, alive.ok, down.ok, victim+1)
				if inRound.none > 0 {
					t.Errorf("round %d: server %d left %d requests without an answer, with server %d killed", round+1, i+1, inRound.none, victim+1)
				}
				if down.ok == 0 {
					t.Errorf("round %d: server %d answered nothing while server %d was down", round+1, i+1, victim+1)
				}
			}
			if inRound.failed > 0 {
				t.Errorf("round %d: server %d answered %d requests with a 5xx", round+1, i+1, inRound.failed)
			}
		}
		checkCrashState(t, location, rec, baseline, round+1)
		// The restarted server serves its clients again, still signed in.
		for _, w := range workers {
			if w.base == bases[victim] {
				if _, ok := w.page(context.Background(), "/settings/personal-access-tokens", "/settings/personal-access-tokens"); !ok {
					t.Errorf("round %d: restarted server %d does not show %s their tokens", round+1, victim+1, w.login)
				}
			}
		}
		if t.Failed() {
			t.Logf("server %d's log after restart:\n%s", victim+1, srvs[victim].log.tail(30))
			break
		}
	}
	t.Logf("answers seen: %s", rec.statusSummary())

	// The last servers stop cleanly, and the database is still intact with
	// no one else holding it open.
	for i, srv := range srvs {
		if err := srv.cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		select {
		case <-srv.done:
			if srv.err != nil {
				t.Errorf("server %d exited with %v after SIGTERM; log:\n%s", i+1, srv.err, srv.log.tail(20))
			}
		case <-time.After(20 * time.Second):
			t.Fatalf("server %d did not stop on SIGTERM; log:\n%s", i+1, srv.log.tail(20))
		}
	}
	crashCheckIntegrity(t, openWriter(t, location), location, "after the final clean stop")
	t.Logf("total %v", time.Since(began).Round(time.Millisecond))
}

// ---- what the clients saw acknowledged ----

type crashAckToken struct {
	login, name, owner string
	id                 int64
}

type crashAckIssue struct {
	id, number int64
	title      string
}

type crashAckReview struct {
	grantID int64
	name    string
	to      policy.GrantStatus
}

// crashSave is one settings save: built on version, setting days. Only
// the settings worker saves, so if it was stored, version+1 holds days.
type crashSave struct {
	version, days int
	acked         bool
}

// crashServed counts the answers of one server: ok (below 400), failed
// (5xx), and none (the request ended without an answer).
type crashServed struct{ ok, failed, none int }

func (c crashServed) minus(o crashServed) crashServed {
	return crashServed{c.ok - o.ok, c.failed - o.failed, c.none - o.none}
}

type crashRecord struct {
	mu       sync.Mutex
	tokens   []crashAckToken
	issues   []crashAckIssue
	reviews  []crashAckReview
	saves    map[int][]*crashSave // by the version the form carried
	savesOK  int
	statuses map[string]int
	served   map[string]crashServed // by server (base URL)
}

type crashCounts struct{ tokens, issues, reviews, saves int }

func (c crashCounts) String() string {
	return fmt.Sprintf("%d tokens, %d issues, %d reviews, %d settings saves", c.tokens, c.issues, c.reviews, c.saves)
}

func (c crashCounts) minus(o crashCounts) crashCounts {
	return crashCounts{c.tokens - o.tokens, c.issues - o.issues, c.reviews - o.reviews, c.saves - o.saves}
}

func (r *crashRecord) snapshot() crashCounts {
	r.mu.Lock()
	defer r.mu.Unlock()
	return crashCounts{len(r.tokens), len(r.issues), len(r.reviews), r.savesOK}
}

func (r *crashRecord) status(base, what string, code int, err error) {
	key := what + " "
	if err != nil {
		key += "error"
	} else {
		key += strconv.Itoa(code)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.statuses[key]++
	if r.served == nil {
		return
	}
	s := r.served[base]
	switch {
	case err != nil:
		s.none++
	case code >= 500:
		s.failed++
	case code < 400:
		s.ok++
	}
	r.served[base] = s
}

func (r *crashRecord) servedSnapshot() map[string]crashServed {
	r.mu.Lock()
	defer r.mu.Unlock()
	return maps.Clone(r.served)
}

func (r *crashRecord) statusSummary() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	keys := make([]string, 0, len(r.statuses))
	for k := range r.statuses {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "\n  %-48s %d", k, r.statuses[k])
	}
	return b.String()
}

// ---- the clients ----

type crashRole int

const (
	crashMember      crashRole = iota // tokens for octo-org needing approval, issues with them
	crashOwnerTokens                  // octo-owner's tokens (approved at once, or its own), issues
	crashApprover                     // approves and denies the queue
	crashSettings                     // saves the organization's settings
)

type crashToken struct {
	name, secret string
	usable       bool // an issue was created with it
}

type crashWorker struct {
	t      *testing.T
	base   string
	login  string
	id     int
	role   crashRole
	hc     *http.Client
	rec    *crashRecord
	tokens []crashToken
	rng    *rand.Rand
	n      int // names this worker's tokens and issues
}

var (
	crashCSRFRe     = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)
	crashNewTokenRe = regexp.MustCompile(`id="new-token"[^>]*>([^<]*)</textarea>`)
	crashTokenLocRe = regexp.MustCompile(`^/settings/personal-access-tokens/(\d+)$`)
	crashQueueRowRe = regexp.MustCompile(`name="id" value="(\d+)" aria-label="Select ([^"]+)"`)
	crashVersionRe  = regexp.MustCompile(`name="version" value="(\d+)"`)
	crashDaysRe     = regexp.MustCompile(`name="fine_grained_max_lifetime_days_days"[^>]*value="(\d*)"`)
	crashRadioRe    = regexp.MustCompile(`<input[^>]*type="radio"[^>]*>`)
	crashAttrRe     = regexp.MustCompile(`\s(name|value)="([^"]*)"`)
	crashLimitRe    = regexp.MustCompile(`^Maximum lifetime of fine-grained tokens: (\d+) days$`)
)

func newCrashWorker(t *testing.T, base string, tr http.RoundTripper, login string, id int, role crashRole, rec *crashRecord) *crashWorker {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	hc := &http.Client{Transport: tr, Jar: jar, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return &crashWorker{t: t, base: base, login: login, id: id, role: role, hc: hc, rec: rec,
		rng: rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), uint64(id)))}
}

// send makes one request and reads its whole answer; what is the label
// the answer is counted under.
func (w *crashWorker) send(ctx context.Context, what, method, path string, body io.Reader, header http.Header) (int, string, string, error) {
	req, err := http.NewRequestWithContext(ctx, method, w.base+path, body)
	if err != nil {
		return 0, "", "", err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	res, err := w.hc.Do(req)
	if err != nil {
		w.rec.status(w.base, what, 0, err)
		return 0, "", "", err
	}
	b, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		// The status line came, the body did not: still acknowledged as far
		// as the status goes, but treat it as not, to be safe.
		w.rec.status(w.base, what, 0, err)
		return 0, "", "", err
	}
	w.rec.status(w.base, what, res.StatusCode, nil)
	return res.StatusCode, res.Header.Get("Location"), string(b), nil
}

// page GETs a signed-in page. A redirect to the sign-in page means the
// session did not survive a restart: an error, then a new sign-in.
func (w *crashWorker) page(ctx context.Context, what, path string) (string, bool) {
	code, loc, body, err := w.send(ctx, "GET "+what, http.MethodGet, path, nil, nil)
	if err != nil {
		return "", false
	}
	if code == http.StatusSeeOther && strings.HasPrefix(loc, "/login") {
		w.t.Errorf("%s (worker %d) was signed out: GET %s answered 303 to %s", w.login, w.id, path, loc)
		w.signIn(ctx)
		return "", false
	}
	if code != http.StatusOK {
		return "", false
	}
	return body, true
}

func (w *crashWorker) post(ctx context.Context, what, path string, form url.Values) (int, string, string, error) {
	h := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
	return w.send(ctx, "POST "+what, http.MethodPost, path, strings.NewReader(form.Encode()), h)
}

func (w *crashWorker) signIn(ctx context.Context) {
	code, loc, err := w.trySignIn(ctx, "demo-password")
	if err != nil || code != http.StatusSeeOther || loc != "/settings/personal-access-tokens" {
		w.t.Errorf("sign in as %s: %d to %q, %v", w.login, code, loc, err)
	}
}

// trySignIn submits the sign-in form with password and answers what the
// server did: 303 to the token list when signed in.
func (w *crashWorker) trySignIn(ctx context.Context, password string) (int, string, error) {
	code, _, body, err := w.send(ctx, "GET /login", http.MethodGet, "/login", nil, nil)
	if err != nil || code != http.StatusOK {
		return code, "", fmt.Errorf("GET /login: %d %v", code, err)
	}
	m := crashCSRFRe.FindStringSubmatch(body)
	if m == nil {
		return code, "", errors.New("no _csrf on the sign-in page")
	}
	code, loc, _, err := w.post(ctx, "/login", "/login", url.Values{
		"_csrf": {m[1]}, "login": {w.login}, "password": {password}, "return_to": {"/settings/personal-access-tokens"}})
	return code, loc, err
}

// on is the same client (its cookies, its session) talking to the server
// at base instead.
func (w *crashWorker) on(base string) *crashWorker {
	c := *w
	c.base = base
	return &c
}

func (w *crashWorker) run(ctx context.Context, round int) {
	for ctx.Err() == nil {
		switch w.role {
		case crashMember, crashOwnerTokens:
			w.createToken(ctx, round)
			w.createIssues(ctx, round)
		case crashApprover:
			if !w.reviewQueue(ctx) {
				crashSleep(ctx, 10*time.Millisecond)
			}
		case crashSettings:
			w.saveSettings(ctx)
			crashSleep(ctx, 15*time.Millisecond)
		}
	}
}

func crashSleep(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

func (w *crashWorker) createToken(ctx context.Context, round int) {
	body, ok := w.page(ctx, "/settings/personal-access-tokens/new", "/settings/personal-access-tokens/new")
	if !ok {
		return
	}
	m := crashCSRFRe.FindStringSubmatch(body)
	if m == nil {
		w.t.Errorf("no _csrf on the new token form")
		return
	}
	w.n++
	name := fmt.Sprintf("crash-r%d-w%d-%d", round, w.id, w.n)
	owner, deny := "octo-org", false
	switch {
	case w.role == crashMember && w.n%4 == 0:
		name, deny = name+"-deny", true
	case w.role == crashOwnerTokens && w.n%3 == 0:
		owner = "@me" // no grant: a token of the user's own
	}
	form := url.Values{"_csrf": {m[1]}, "name": {name}, "expiration": {"30"}, "description": {"crash test load"},
		"resource_owner": {owner}, "repository_selection": {"all"}, "perm_issues": {"write"}}
	if owner != "@me" {
		form.Set("justification", "Crash test load")
	}
	code, loc, _, err := w.post(ctx, "/settings/personal-access-tokens", "/settings/personal-access-tokens", form)
	if err != nil || code != http.StatusSeeOther {
		return
	}
	lm := crashTokenLocRe.FindStringSubmatch(loc)
	if lm == nil {
		w.t.Errorf("token %q created, redirected to %q", name, loc)
		return
	}
	id, _ := strconv.ParseInt(lm[1], 10, 64)
	w.rec.mu.Lock()
	w.rec.tokens = append(w.rec.tokens, crashAckToken{login: w.login, name: name, owner: owner, id: id})
	w.rec.mu.Unlock()

	body, ok = w.page(ctx, "/settings/personal-access-tokens/{id}", loc)
	if !ok {
		return
	}
	sm := crashNewTokenRe.FindStringSubmatch(body)
	if sm == nil || sm[1] == "" {
		w.t.Errorf("token %q: its page does not show the new token", name)
		return
	}
	if owner == "octo-org" && !deny {
		w.tokens = append(w.tokens, crashToken{name: name, secret: sm[1]})
	}
}

// createIssues creates an issue with each of the worker's newest tokens;
// those still waiting for approval answer 403.
func (w *crashWorker) createIssues(ctx context.Context, round int) {
	from := max(0, len(w.tokens)-3)
	for i := from; i < len(w.tokens) && ctx.Err() == nil; i++ {
		tk := &w.tokens[i]
		title := fmt.Sprintf("crash r%d w%d issue %d.%d", round, w.id, w.n, i)
		b, _ := json.Marshal(map[string]string{"title": title, "body": "made by " + tk.name})
		h := http.Header{"Authorization": {"Bearer " + tk.secret}, "Content-Type": {"application/json"}, "Accept": {"application/vnd.github+json"}}
		code, _, body, err := w.send(ctx, "POST /api/v3/repos/{owner}/{repo}/issues", http.MethodPost, "/api/v3/repos/octo-org/octo-api/issues", bytes.NewReader(b), h)
		if err != nil {
			return
		}
		switch code {
		case http.StatusCreated:
			var out struct {
				ID     int64  `json:"id"`
				Number int64  `json:"number"`
				Title  string `json:"title"`
			}
			if err := json.Unmarshal([]byte(body), &out); err != nil || out.ID == 0 || out.Title != title {
				w.t.Errorf("issue answer %q: %v", body, err)
				return
			}
			tk.usable = true
			w.rec.mu.Lock()
			w.rec.issues = append(w.rec.issues, crashAckIssue{id: out.ID, number: out.Number, title: title})
			w.rec.mu.Unlock()
		case http.StatusForbidden, http.StatusNotFound:
			// Not approved yet (a private repository is hidden: 404).
			if tk.usable {
				w.t.Errorf("token %q created issues, then was refused: %s", tk.name, body)
			}
		case http.StatusUnauthorized:
			// A token whose creation was acknowledged and whose secret was
			// shown is unknown to the server: a lost write.
			w.t.Errorf("token %q of %s: 401 %s", tk.name, w.login, body)
		}
	}
}

// reviewQueue approves or denies every request on the queue's first page,
// one at a time; false when the queue was empty or unreachable.
func (w *crashWorker) reviewQueue(ctx context.Context) bool {
	const queue = "/organizations/octo-org/settings/personal-access-token-requests"
	body, ok := w.page(ctx, queue, queue)
	if !ok {
		return false
	}
	m := crashCSRFRe.FindStringSubmatch(body)
	rows := crashQueueRowRe.FindAllStringSubmatch(body, -1)
	if m == nil || len(rows) == 0 {
		return false
	}
	for _, r := range rows {
		if ctx.Err() != nil {
			return true
		}
		id, _ := strconv.ParseInt(r[1], 10, 64)
		to, path, form := policy.GrantApproved, queue+"/"+r[1]+"/approve", url.Values{"_csrf": {m[1]}}
		if strings.HasSuffix(r[2], "-deny") {
			to, path = policy.GrantDenied, queue+"/"+r[1]+"/deny"
			form.Set("reason", "Denied by the crash test")
		}
		code, _, _, err := w.post(ctx, queue+"/{id}/"+map[policy.GrantStatus]string{policy.GrantApproved: "approve", policy.GrantDenied: "deny"}[to], path, form)
		if err == nil && code == http.StatusSeeOther {
			w.rec.mu.Lock()
			w.rec.reviews = append(w.rec.reviews, crashAckReview{grantID: id, name: r[2], to: to})
			w.rec.mu.Unlock()
		}
	}
	return true
}

// crashSettingsPath is octo-org's settings page and form.
const crashSettingsPath = "/organizations/octo-org/settings/personal-access-tokens"

// crashSettingsForm reads the settings form on the page in body as a
// browser would submit it untouched (its CSRF token, the version it was
// built on, every checked choice), with the fine-grained maximum lifetime
// it shows, in days.
func crashSettingsForm(body string) (form url.Values, version, days int, err error) {
	cm, vm, dm := crashCSRFRe.FindStringSubmatch(body), crashVersionRe.FindStringSubmatch(body), crashDaysRe.FindStringSubmatch(body)
	if cm == nil || vm == nil || dm == nil {
		return nil, 0, 0, errors.New("settings form without _csrf, version or fine-grained days")
	}
	version, _ = strconv.Atoi(vm[1])
	days, _ = strconv.Atoi(dm[1])
	form = url.Values{"_csrf": {cm[1]}, "version": {vm[1]}}
	for _, in := range crashRadioRe.FindAllString(body, -1) {
		if !strings.Contains(in, " checked") || strings.Contains(in, " disabled") {
			continue
		}
		var name, value string
		for _, a := range crashAttrRe.FindAllStringSubmatch(in, -1) {
			if a[1] == "name" {
				name = a[2]
			} else {
				value = a[2]
			}
		}
		form.Set(name, value)
	}
	return form, version, days, nil
}

// setLifetime edits a settings form to a fine-grained maximum of days.
// The owner has confirmed the save: a shorter lifetime may shut out
// tokens, which the page otherwise asks about first.
func setLifetime(form url.Values, days int) {
	form.Set("fine_grained_max_lifetime_days_expires", "on")
	form.Set("fine_grained_max_lifetime_days_days", strconv.Itoa(days))
	form.Set("confirm", "yes")
}

// saveSettings submits the settings form as it came, with a new maximum
// lifetime for fine-grained tokens, on the version the form carried.
func (w *crashWorker) saveSettings(ctx context.Context) {
	body, ok := w.page(ctx, crashSettingsPath, crashSettingsPath)
	if !ok {
		return
	}
	form, version, current, err := crashSettingsForm(body)
	if err != nil {
		w.t.Error(err)
		return
	}
	// Tokens are made for 30 days: any maximum from 60 days lets them be.
	days := 60 + w.rng.IntN(300)
	if days == current {
		days++
	}
	setLifetime(form, days)
	a := &crashSave{version: version, days: days}
	w.rec.mu.Lock()
	w.rec.saves[version] = append(w.rec.saves[version], a)
	w.rec.mu.Unlock()
	code, _, _, err := w.post(ctx, crashSettingsPath, crashSettingsPath, form)
	if err == nil && code == http.StatusSeeOther {
		w.rec.mu.Lock()
		a.acked = true
		w.rec.savesOK++
		w.rec.mu.Unlock()
	}
}

// ---- the checks ----

type crashBaseline struct {
	orgID        int64
	version      int
	lastEventID  int64
	policyEvents int
}

// crashPolicyActions are the audit actions of an organization settings save.
var crashPolicyActions = []string{
	policy.ActionAccessRestrictionEnabled, policy.ActionAccessRestrictionDisabled,
	policy.ActionClassicAccessRestrictionEnabled, policy.ActionClassicAccessRestrictionDisabled,
	policy.ActionExpirationLimitSet, policy.ActionExpirationLimitUnset,
	policy.ActionAutoApproveEnable, policy.ActionAutoApproveDisable,
}

func crashInList(n int) string { return strings.TrimSuffix(strings.Repeat("?,", n), ",") }

func crashArgs(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

func readCrashBaseline(t *testing.T, location string) crashBaseline {
	t.Helper()
	conn := openReadOnly(t, location)
	defer conn.Close()
	var b crashBaseline
	if err := conn.QueryRow(`SELECT o.id, p.version FROM organizations o JOIN org_policies p ON p.org_id = o.id WHERE o.login = 'octo-org'`).
		Scan(&b.orgID, &b.version); err != nil {
		t.Fatal(err)
	}
	if err := conn.QueryRow(`SELECT COALESCE(MAX(id), 0) FROM audit_events`).Scan(&b.lastEventID); err != nil {
		t.Fatal(err)
	}
	return b
}

// crashCheckIntegrity checks what the database itself promises. A SQLite
// file is checked whole, page by page, with its foreign keys. PostgreSQL's
// files are its server's, which no client's death can damage (it rolls the
// client's transaction back), and it never stores a row that breaks a
// foreign key in force: what is checked there is that the schema's foreign
// keys and indexes are all in force.
func crashCheckIntegrity(t *testing.T, conn querier, location, when string) {
	t.Helper()
	if db.IsPostgres(location) {
		var fks, unvalidated, badIndexes int
		if err := conn.QueryRow(`SELECT count(*), count(*) FILTER (WHERE NOT c.convalidated)
			FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
			WHERE c.contype = 'f' AND n.nspname = current_schema()`).Scan(&fks, &unvalidated); err != nil {
			t.Fatalf("foreign keys %s: %v", when, err)
		}
		if err := conn.QueryRow(`SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
			JOIN pg_namespace n ON n.oid = c.relnamespace
			WHERE n.nspname = current_schema() AND NOT (i.indisvalid AND i.indisready AND i.indislive)`).Scan(&badIndexes); err != nil {
			t.Fatalf("indexes %s: %v", when, err)
		}
		if fks == 0 || unvalidated > 0 || badIndexes > 0 {
			t.Errorf("%s: %d foreign keys, %d of them not validated; %d indexes not in force", when, fks, unvalidated, badIndexes)
		}
		return
	}
	rows, err := conn.Query(`PRAGMA integrity_check`)
	if err != nil {
		t.Fatalf("integrity_check %s: %v", when, err)
	}
	var got []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		got = append(got, s)
	}
	rows.Close()
	if len(got) != 1 || got[0] != "ok" {
		t.Errorf("PRAGMA integrity_check %s: %q", when, got)
	}
	rows, err = conn.Query(`PRAGMA foreign_key_check`)
	if err != nil {
		t.Fatalf("foreign_key_check %s: %v", when, err)
	}
	n := 0
	for rows.Next() {
		n++
	}
	rows.Close()
	if n > 0 {
		t.Errorf("PRAGMA foreign_key_check %s: %d violations", when, n)
	}
}

// checkCrashState checks the database against what the clients saw, all
// of it read in one snapshot.
func checkCrashState(t *testing.T, location string, rec *crashRecord, base crashBaseline, round int) {
	t.Helper()
	conn := openReadOnly(t, location)
	defer conn.Close()
	inSnapshot(t, conn, func(q querier) { checkCrashSnapshot(t, q, location, rec, base, round) })
}

func checkCrashSnapshot(t *testing.T, conn querier, location string, rec *crashRecord, base crashBaseline, round int) {
	t.Helper()
	when := fmt.Sprintf("after restart %d", round)
	crashCheckIntegrity(t, conn, location, when)

	rec.mu.Lock()
	tokens := slices.Clone(rec.tokens)
	issues := slices.Clone(rec.issues)
	reviews := slices.Clone(rec.reviews)
	saves := map[int][]crashSave{}
	for v, as := range rec.saves {
		for _, a := range as {
			saves[v] = append(saves[v], *a)
		}
	}
	rec.mu.Unlock()

	// Every acknowledged token, by owner and name, with the id the
	// redirect named.
	acked := map[string]bool{}
	for _, a := range tokens {
		acked[a.login+"/"+a.name] = true
		var id int64
		var org sql.NullString
		err := conn.QueryRow(`SELECT t.id, o.login FROM tokens t JOIN users u ON u.id = t.user_id LEFT JOIN organizations o ON o.id = t.org_id
			WHERE u.login = ? AND t.name = ? AND t.kind = 'fine_grained'`, a.login, a.name).Scan(&id, &org)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			t.Errorf("%s: acknowledged token %q of %s (id %d) is missing", when, a.name, a.login, a.id)
		case err != nil:
			t.Fatal(err)
		case id != a.id || (a.owner == "@me") != !org.Valid:
			t.Errorf("%s: token %q of %s is id %d on %v, acknowledged as id %d on %s", when, a.name, a.login, id, org, a.id, a.owner)
		}
	}
	var unacked int
	if err := conn.QueryRow(`SELECT count(*) FROM tokens WHERE name LIKE 'crash-%'`).Scan(&unacked); err != nil {
		t.Fatal(err)
	}
	unacked -= len(tokens)

	for _, a := range issues {
		var title string
		var number int64
		err := conn.QueryRow(`SELECT i.title, i.number FROM issues i JOIN repositories r ON r.id = i.repo_id WHERE i.id = ? AND r.name = 'octo-api'`, a.id).
			Scan(&title, &number)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			t.Errorf("%s: acknowledged issue %d (#%d %q) is missing", when, a.id, a.number, a.title)
		case err != nil:
			t.Fatal(err)
		case title != a.title || number != a.number:
			t.Errorf("%s: issue %d is #%d %q, acknowledged as #%d %q", when, a.id, number, title, a.number, a.title)
		}
	}

	for _, d := range reviews {
		var status string
		err := conn.QueryRow(`SELECT status FROM grants WHERE id = ?`, d.grantID).Scan(&status)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			t.Errorf("%s: grant %d (%q), acknowledged %s, is missing", when, d.grantID, d.name, d.to)
		case err != nil:
			t.Fatal(err)
		case policy.GrantStatus(status) != d.to:
			t.Errorf("%s: grant %d (%q) is %s, acknowledged %s", when, d.grantID, d.name, status, d.to)
		}
	}

	checkCrashSettings(t, conn, when, base, saves)
	checkCrashAudit(t, conn, when)

	// The counts the triggers keep agree with what they count, and every
	// filter key carries its grant's status.
	for _, c := range []struct{ name, kept, counted string }{
		{"grant_counts",
			`SELECT 'org ' || org_id || ' ' || status, n FROM grant_counts WHERE n != 0`,
			`SELECT 'org ' || org_id || ' ' || status, count(*) FROM grants GROUP BY org_id, status`},
		{"unread_counts",
			`SELECT 'user ' || user_id, n FROM unread_counts WHERE n != 0`,
			`SELECT 'user ' || user_id, count(*) FROM notifications WHERE read_at IS NULL GROUP BY user_id`},
		{"issue_counts",
			`SELECT 'repo ' || repo_id, n FROM issue_counts WHERE n != 0`,
			`SELECT 'repo ' || repo_id, count(*) FROM issues GROUP BY repo_id`},
	} {
		kept, counted := countsByKey(t, conn, c.kept), countsByKey(t, conn, c.counted)
		for k, n := range counted {
			if kept[k] != n {
				t.Errorf("%s: %s says %s: %d, there are %d", when, c.name, k, kept[k], n)
			}
		}
		for k, n := range kept {
			if _, ok := counted[k]; !ok {
				t.Errorf("%s: %s says %s: %d, there are none", when, c.name, k, n)
			}
		}
	}
	var badKeys int
	if err := conn.QueryRow(`SELECT count(*) FROM grant_keys k JOIN grants g ON g.id = k.grant_id WHERE k.status != g.status OR k.org_id != g.org_id`).
		Scan(&badKeys); err != nil {
		t.Fatal(err)
	}
	if badKeys > 0 {
		t.Errorf("%s: %d grant_keys rows disagree with their grant's status", when, badKeys)
	}
	t.Logf("%s: checked %d acknowledged tokens, %d issues, %d reviews; %d tokens stored without an acknowledgement (in flight at the kill)",
		when, len(tokens), len(issues), len(reviews), unacked)
}

// countsByKey reads a query of (key, count) rows into a map.
func countsByKey(t *testing.T, conn querier, query string) map[string]int64 {
	t.Helper()
	rows, err := conn.Query(query)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var k string
		var n int64
		if err := rows.Scan(&k, &n); err != nil {
			t.Fatal(err)
		}
		out[k] = n
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// checkCrashSettings: the organization's settings and their audit events
// against every save attempted. Only the settings worker changes octo-org's
// policy, so the version moved by one for each stored save, each stored
// save wrote one expiration_limit_set event, and the save stored at
// version v+1 is one of those attempted on a form of version v (the
// acknowledged one, if there is one).
func checkCrashSettings(t *testing.T, conn querier, when string, base crashBaseline, saves map[int][]crashSave) {
	t.Helper()
	var version, days int
	if err := conn.QueryRow(`SELECT version, fine_grained_max_days FROM org_policies WHERE org_id = ?`, base.orgID).Scan(&version, &days); err != nil {
		t.Fatal(err)
	}
	args := append([]any{base.orgID, base.lastEventID}, crashArgs(crashPolicyActions)...)
	rows, err := conn.Query(`SELECT action, details FROM audit_events WHERE org_id = ? AND id > ? AND action IN (`+crashInList(len(crashPolicyActions))+`) ORDER BY id`, args...)
	if err != nil {
		t.Fatal(err)
	}
	type ev struct{ action, details string }
	var events []ev
	for rows.Next() {
		var e ev
		if err := rows.Scan(&e.action, &e.details); err != nil {
			t.Fatal(err)
		}
		events = append(events, e)
	}
	rows.Close()

	ackedSaves, maxAcked := 0, 0
	for v, as := range saves {
		for _, a := range as {
			if a.acked {
				ackedSaves++
				maxAcked = max(maxAcked, v+1)
			}
		}
	}
	if version < maxAcked {
		t.Errorf("%s: octo-org's policy is at version %d; a save acknowledged on version %d made it %d", when, version, maxAcked-1, maxAcked)
	}
	if version-base.version < ackedSaves {
		t.Errorf("%s: octo-org's policy moved %d versions; %d saves were acknowledged", when, version-base.version, ackedSaves)
	}
	if len(events) != version-base.version {
		t.Errorf("%s: octo-org's policy moved from version %d to %d, with %d settings events", when, base.version, version, len(events))
	}
	for i, e := range events {
		v := base.version + i // the event of the save built on version v
		m := crashLimitRe.FindStringSubmatch(e.details)
		if e.action != policy.ActionExpirationLimitSet || m == nil {
			t.Errorf("%s: unexpected settings event %s %q", when, e.action, e.details)
			continue
		}
		got, _ := strconv.Atoi(m[1])
		var candidates []int
		ackedDays := 0
		for _, a := range saves[v] {
			candidates = append(candidates, a.days)
			if a.acked {
				ackedDays = a.days
			}
		}
		switch {
		case ackedDays != 0 && got != ackedDays:
			t.Errorf("%s: version %d holds %d days; the save acknowledged on version %d set %d", when, v+1, got, v, ackedDays)
		case !slices.Contains(candidates, got):
			t.Errorf("%s: version %d holds %d days, which no save on version %d sent (%v)", when, v+1, got, v, candidates)
		}
		if i == len(events)-1 && got != days {
			t.Errorf("%s: octo-org's fine-grained maximum is %d days; its last event says %d", when, days, got)
		}
	}
	t.Logf("%s: octo-org's policy at version %d (from %d) with %d days; %d saves acknowledged, %d attempted",
		when, version, base.version, days, ackedSaves, crashCountAttempts(saves))
}

func crashCountAttempts(saves map[int][]crashSave) int {
	n := 0
	for _, as := range saves {
		n += len(as)
	}
	return n
}

// checkCrashAudit: every grant has exactly the events its history makes,
// and no grant event names a grant that is not there (the test deletes no
// token).
func checkCrashAudit(t *testing.T, conn querier, when string) {
	t.Helper()
	type grant struct {
		id      int64
		status  policy.GrantStatus
		owner   bool // its requester owns the organization
		subject string
	}
	rows, err := conn.Query(`SELECT g.id, g.status, t.name, u.login, o.login,
			EXISTS (SELECT 1 FROM memberships m WHERE m.org_id = g.org_id AND m.user_id = g.user_id AND m.role = 'owner')
		FROM grants g JOIN tokens t ON t.id = g.token_id JOIN users u ON u.id = g.user_id JOIN organizations o ON o.id = g.org_id`)
	if err != nil {
		t.Fatal(err)
	}
	bySubject := map[string]*grant{}
	var grants []*grant
	for rows.Next() {
		var g grant
		var s policy.TokenSubject
		var status string
		if err := rows.Scan(&g.id, &status, &s.Name, &s.Owner, &s.Org, &g.owner); err != nil {
			t.Fatal(err)
		}
		g.status = policy.GrantStatus(status)
		g.subject = policy.GrantEvent("", s, "").Details
		bySubject[g.subject] = &g
		grants = append(grants, &g)
	}
	rows.Close()

	grantActions := []string{policy.ActionRequestCreated, policy.ActionAccessGranted, policy.ActionRequestDenied,
		policy.ActionRequestCancelled, policy.ActionAccessRevoked}
	rows, err = conn.Query(`SELECT action, details FROM audit_events WHERE org_id IS NOT NULL AND action IN (`+crashInList(len(grantActions))+`)`,
		crashArgs(grantActions)...)
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]map[string]int{}
	orphans := 0
	for rows.Next() {
		var action, details string
		if err := rows.Scan(&action, &details); err != nil {
			t.Fatal(err)
		}
		subject, _, _ := strings.Cut(details, ": ")
		if bySubject[subject] == nil {
			orphans++
			if orphans <= 5 {
				t.Errorf("%s: audit event %s %q is about no grant there is", when, action, details)
			}
			continue
		}
		if counts[subject] == nil {
			counts[subject] = map[string]int{}
		}
		counts[subject][action]++
	}
	rows.Close()
	if orphans > 5 {
		t.Errorf("%s: %d audit events in all are about no grant there is", when, orphans)
	}

	missing := 0
	for _, g := range grants {
		want := map[string]int{}
		switch g.status {
		case policy.GrantPending:
			want[policy.ActionRequestCreated] = 1
		case policy.GrantApproved:
			want[policy.ActionAccessGranted] = 1
			if !g.owner {
				want[policy.ActionRequestCreated] = 1
			}
		case policy.GrantDenied:
			want[policy.ActionRequestCreated] = 1
			want[policy.ActionRequestDenied] = 1
		case policy.GrantRevoked:
			want[policy.ActionAccessGranted] = 1
			want[policy.ActionAccessRevoked] = 1
			if !g.owner {
				want[policy.ActionRequestCreated] = 1
			}
		}
		got := counts[g.subject]
		for _, a := range grantActions {
			if got[a] != want[a] {
				missing++
				if missing <= 10 {
					t.Errorf("%s: grant %d (%s) is %s with %d %s events, want %d", when, g.id, g.subject, g.status, got[a], a, want[a])
				}
			}
		}
	}
	if missing > 10 {
		t.Errorf("%s: %d grant/action audit counts wrong in all", when, missing)
	}
}
