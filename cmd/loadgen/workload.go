package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// endpoint is one measured kind of request.
type endpoint int

const (
	epSettingsGet endpoint = iota
	epSettingsSave
	epQueueGet
	epApprove
	epActiveGet
	epAPIRepo
	epAPIRequests
	numEndpoints
)

var endpointNames = [numEndpoints]string{
	epSettingsGet:  "GET settings page",
	epSettingsSave: "POST settings save",
	epQueueGet:     "GET pending requests (filtered)",
	epApprove:      "POST approve one request",
	epActiveGet:    "GET active tokens (filtered)",
	epAPIRepo:      "API GET /repos/{org}/{repo}",
	epAPIRequests:  "API GET /orgs/{org}/personal-access-token-requests",
}

// op is one thing a client does; some ops make two requests (a page, then
// the form on it), each measured under its own endpoint.
type op string

const (
	opSettings    op = "settings"
	opSave        op = "save"
	opQueue       op = "queue"
	opApprove     op = "approve"
	opActive      op = "active"
	opAPIRepo     op = "api-repo"
	opAPIRequests op = "api-requests"
)

var allOps = []op{opSettings, opSave, opQueue, opApprove, opActive, opAPIRepo, opAPIRequests}

// defaultMix is the share of each op, in percent.
const defaultMix = "settings=15,save=5,queue=20,approve=5,active=10,api-repo=35,api-requests=10"

// mix is a weighted choice of ops.
type mix struct {
	ops     []op
	cumul   []int
	total   int
	weights map[op]int
}

// parseMix reads "settings=15,save=5,…"; ops not named get weight 0.
func parseMix(s string) (mix, error) {
	m := mix{weights: map[op]int{}}
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		if !ok {
			return mix{}, fmt.Errorf("mix: %q is not op=weight", part)
		}
		o := op(strings.TrimSpace(k))
		if !slices.Contains(allOps, o) {
			return mix{}, fmt.Errorf("mix: unknown op %q (ops: %v)", k, allOps)
		}
		w, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || w < 0 {
			return mix{}, fmt.Errorf("mix: bad weight %q", v)
		}
		m.weights[o] = w
	}
	for _, o := range allOps {
		if w := m.weights[o]; w > 0 {
			m.total += w
			m.ops = append(m.ops, o)
			m.cumul = append(m.cumul, m.total)
		}
	}
	if m.total == 0 {
		return mix{}, fmt.Errorf("mix: all weights are 0")
	}
	return m, nil
}

// pick chooses an op given n uniform in [0, total).
func (m mix) pick(n int) op {
	i, _ := slices.BinarySearch(m.cumul, n+1)
	return m.ops[i]
}

func (m mix) String() string {
	var parts []string
	for _, o := range m.ops {
		parts = append(parts, fmt.Sprintf("%s=%d", o, m.weights[o]))
	}
	return strings.Join(parts, ",")
}

// target is what the clients work on, found during setup.
type target struct {
	base    string
	orgs    []string // every scale organization; settings pages and saves
	mainOrg string   // scale-org-01: the queue, active tokens and the API
	// filter values offered by the queue page
	owners, repos, perms []string
	memberTokens         []string // approved tokens of members, all repositories
	ownerToken           string   // scale-owner's, organization administration write
}

// client is one simulated user: an owner's browser and the API tokens.
type client struct {
	t     *target
	b     *browser
	api   *http.Client
	rnd   *rand.Rand
	rec   [numEndpoints]recorder
	think time.Duration
}

func (c *client) run(ctx context.Context, m mix, until time.Time) {
	// With think time, clients start spread over one mean think time, not
	// all in the same instant.
	if c.think > 0 {
		time.Sleep(min(time.Duration(c.rnd.Float64()*float64(c.think)), time.Until(until)))
	}
	for time.Now().Before(until) && ctx.Err() == nil {
		switch m.pick(c.rnd.IntN(m.total)) {
		case opSettings:
			c.settings(ctx)
		case opSave:
			c.save(ctx)
		case opQueue:
			c.list(ctx, epQueueGet)
		case opApprove:
			c.approve(ctx)
		case opActive:
			c.list(ctx, epActiveGet)
		case opAPIRepo:
			c.apiRepo(ctx)
		case opAPIRequests:
			c.apiRequests(ctx)
		}
		if c.think > 0 {
			pause := time.Duration(c.rnd.ExpFloat64() * float64(c.think))
			time.Sleep(min(pause, time.Until(until)))
		}
	}
}

// timed sends one browser request and records it under ep.
func (c *client) timed(ctx context.Context, ep endpoint, method, path string, form url.Values, ok []int, conflictOK bool) (answer, bool) {
	start := time.Now()
	var a answer
	var err error
	if method == http.MethodPost {
		a, err = c.b.post(ctx, path, form)
	} else {
		a, err = c.b.get(ctx, path)
	}
	d := time.Since(start)
	if err != nil {
		c.rec[ep].add(d, outTransport, 0, method+" "+path+": "+err.Error())
		return a, false
	}
	o := classify(a.status, ok, conflictOK)
	c.rec[ep].add(d, o, a.status, fmt.Sprintf("%s %s: %d %s", method, path, a.status, a.location))
	return a, o == outOK || o == outConflict
}

func (c *client) settingsPath(org string) string {
	return "/organizations/" + org + "/settings/personal-access-tokens"
}

func (c *client) settings(ctx context.Context) (string, string, bool) {
	org := c.t.orgs[c.rnd.IntN(len(c.t.orgs))]
	path := c.settingsPath(org)
	a, ok := c.timed(ctx, epSettingsGet, http.MethodGet, path, nil, []int{http.StatusOK}, false)
	return path, a.page(), ok && a.status == http.StatusOK
}

// The settings a save changes: the classic tokens' maximum lifetime, set
// to 365 or 366 days, so every save is a real change (a new version and
// audit events) that leaves every API answer as it was: the approval
// setting is submitted as it is (turning it off would approve the whole
// queue), and the clients' tokens are fine-grained and expire in 30 days.
const (
	saveExpires = "classic_max_lifetime_days_expires"
	saveDays    = "classic_max_lifetime_days_days"
)

func (c *client) save(ctx context.Context) {
	path, page, ok := c.settings(ctx)
	if !ok {
		return
	}
	form, err := formValues(page, path)
	if err != nil || form.Get("version") == "" || !form.Has(saveDays) {
		c.rec[epSettingsSave].add(0, outOther, 0, fmt.Sprintf("settings form of %s not understood: %v", path, err))
		return
	}
	form.Set(saveExpires, "on")
	form.Set(saveDays, strconv.Itoa(365+c.rnd.IntN(2)))
	c.timed(ctx, epSettingsSave, http.MethodPost, path, form, []int{http.StatusSeeOther}, true)
}

// filter returns a random query for the queue or the active tokens: none,
// one, two or all three of owner, repository and permission.
func (c *client) filter() string {
	v := url.Values{}
	owner := func() { v.Set("owner", c.t.owners[c.rnd.IntN(len(c.t.owners))]) }
	repo := func() { v.Set("repository", c.t.repos[c.rnd.IntN(len(c.t.repos))]) }
	perm := func() { v.Set("permission", c.t.perms[c.rnd.IntN(len(c.t.perms))]) }
	switch n := c.rnd.IntN(100); {
	case n < 30:
	case n < 50:
		owner()
	case n < 70:
		repo()
	case n < 85:
		perm()
	case n < 90:
		owner()
		repo()
	case n < 95:
		repo()
		perm()
	default:
		owner()
		repo()
		perm()
	}
	if len(v) == 0 {
		return ""
	}
	return "?" + v.Encode()
}

func (c *client) queuePath() string {
	return "/organizations/" + c.t.mainOrg + "/settings/personal-access-token-requests"
}

func (c *client) list(ctx context.Context, ep endpoint) (answer, bool) {
	path := c.queuePath()
	if ep == epActiveGet {
		path = "/organizations/" + c.t.mainOrg + "/settings/personal-access-tokens/active"
	}
	return c.timed(ctx, ep, http.MethodGet, path+c.filter(), nil, []int{http.StatusOK}, false)
}

// approve loads a filtered queue page and approves one of its rows, as an
// owner clicking through would; another owner may have taken it (409).
func (c *client) approve(ctx context.Context) {
	a, ok := c.list(ctx, epQueueGet)
	if !ok {
		return
	}
	rows := grantRows(a.page())
	if len(rows) == 0 {
		return // an empty filtered page: nothing to approve
	}
	r := rows[c.rnd.IntN(len(rows))]
	c.timed(ctx, epApprove, http.MethodPost, c.queuePath()+"/"+r.id+"/approve", url.Values{}, []int{http.StatusSeeOther}, true)
}

func (c *client) apiTimed(ctx context.Context, ep endpoint, path, token string) {
	start := time.Now()
	a, err := apiGet(ctx, c.api, c.t.base, path, token)
	d := time.Since(start)
	if err != nil {
		c.rec[ep].add(d, outTransport, 0, "GET "+path+": "+err.Error())
		return
	}
	c.rec[ep].add(d, classify(a.status, []int{http.StatusOK}, false), a.status,
		fmt.Sprintf("GET %s: %d %.200s", path, a.status, a.body))
}

func (c *client) apiRepo(ctx context.Context) {
	tok := c.t.memberTokens[c.rnd.IntN(len(c.t.memberTokens))]
	repo := c.t.repos[c.rnd.IntN(len(c.t.repos))]
	c.apiTimed(ctx, epAPIRepo, "/repos/"+c.t.mainOrg+"/"+repo, tok)
}

func (c *client) apiRequests(ctx context.Context) {
	page := 1 + c.rnd.IntN(10)
	c.apiTimed(ctx, epAPIRequests, fmt.Sprintf("/orgs/%s/personal-access-token-requests?per_page=30&page=%d", c.t.mainOrg, page), c.t.ownerToken)
}

// endpointOf maps a request of the server's log (method, path without the
// query) to the endpoint it measures.
func endpointOf(method, path string) (endpoint, bool) {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	switch {
	case len(parts) == 4 && parts[0] == "organizations" && parts[2] == "settings" && parts[3] == "personal-access-tokens":
		if method == http.MethodPost {
			return epSettingsSave, true
		}
		return epSettingsGet, method == http.MethodGet
	case len(parts) == 4 && parts[0] == "organizations" && parts[3] == "personal-access-token-requests" && method == http.MethodGet:
		return epQueueGet, true
	case len(parts) == 6 && parts[0] == "organizations" && parts[3] == "personal-access-token-requests" && parts[5] == "approve" && method == http.MethodPost:
		return epApprove, true
	case len(parts) == 5 && parts[0] == "organizations" && parts[3] == "personal-access-tokens" && parts[4] == "active" && method == http.MethodGet:
		return epActiveGet, true
	case len(parts) == 5 && parts[0] == "api" && parts[2] == "repos" && method == http.MethodGet:
		return epAPIRepo, true
	case len(parts) == 5 && parts[0] == "api" && parts[2] == "orgs" && parts[4] == "personal-access-token-requests" && method == http.MethodGet:
		return epAPIRequests, true
	}
	return 0, false
}
