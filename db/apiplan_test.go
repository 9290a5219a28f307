package db

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"patpolicy/db/dbtest"
	"patpolicy/policy"
)

// apiKeyLookup is an EXISTS on grant_keys: one point of its primary key, or
// the same point in grant_keys_by_grant (which holds the whole key).
const apiKeyLookup = "SEARCH o USING PRIMARY KEY (org_id=? AND status=? AND key=? AND grant_id=?) | " +
	"SEARCH o EXISTS USING PRIMARY KEY (org_id=? AND status=? AND key=? AND grant_id=?) | " +
	"grant_keys_by_grant (grant_id=? AND key=? AND org_id=? AND status=?)"

func TestAPIGrantQueriesUseIndexes(t *testing.T) {
	if dbtest.Postgres() {
		t.Run("postgres", func(t *testing.T) {
			checkPostgresPlans(t, func(p planTarget) []planCase {
				// A walk that filters, and a walk's count, read the
				// status's grants whichever way costs least: where the
				// status holds half the table or more, as in scale-org-01,
				// PostgreSQL's planner reads grants whole, rightly. Only
				// the plans an index bounds whatever the data are checked.
				return slices.DeleteFunc(apiGrantPlanCases(p), func(c planCase) bool {
					return strings.HasPrefix(c.name, "walk,") || c.name == "walk/count"
				})
			})
		})
	}
	for _, p := range planTargets(t) {
		t.Run(p.name, func(t *testing.T) { checkPlans(t, p.s, apiGrantPlanCases(p)) })
	}
}

// apiGrantPlanCases are the API's grant listing queries, one per kind of
// plan, for p's ids.
func apiGrantPlanCases(p planTarget) []planCase {
	q := APIGrantQuery{OrgID: p.org, Status: policy.GrantApproved}
	owners := []string{ownerKey(p.user), ownerKey(p.owner)}
	repo := []string{repoKey(p.repo), "r:all", "r:public"}
	perm := []string{permissionKey("contents")}
	var tokens []int64
	for i := range 50 {
		tokens = append(tokens, int64(i+1))
	}
	var cases []planCase
	for _, plan := range []struct {
		name  string
		p     apiPlan
		uses  []string
		order bool // the page comes off an index in order
	}{
		{"walk", apiPlan{driver: driveWalk}, []string{"grants_by_org_status (org_id=? AND status=?)"}, true},
		{"walk, owners and repository", apiPlan{driver: driveWalk, sets: [][]string{owners, repo}},
			[]string{"grants_by_org_status (org_id=? AND status=?)", apiKeyLookup}, true},
		{"walk, last used", apiPlan{driver: driveWalk, before: "b", after: "a"},
			[]string{"grants_by_org_status (org_id=? AND status=?)", "SEARCH t USING INTEGER PRIMARY KEY (rowid=?) | SEARCH t EXISTS USING INTEGER PRIMARY KEY (rowid=?)"}, true},
		{"walk, everything", apiPlan{driver: driveWalk, sets: [][]string{owners, repo, perm}, before: "b", after: "a"},
			[]string{"grants_by_org_status (org_id=? AND status=?)", apiKeyLookup}, true},
		{"one key", apiPlan{driver: driveKey, key: owners[0]},
			[]string{"SEARCH k USING PRIMARY KEY (org_id=? AND status=? AND key=?)"}, true},
		{"one key, others", apiPlan{driver: driveKey, key: perm[0], sets: [][]string{owners, repo}},
			[]string{"SEARCH k USING PRIMARY KEY (org_id=? AND status=? AND key=?)", apiKeyLookup}, true},
		{"one key, last used", apiPlan{driver: driveKey, key: owners[0], sets: [][]string{repo}, before: "b"},
			[]string{"SEARCH k USING PRIMARY KEY (org_id=? AND status=? AND key=?)", "SEARCH g USING INTEGER PRIMARY KEY (rowid=?)"}, true},
		// The tokens' grants are sorted: no more rows than token ids.
		{"tokens", apiPlan{driver: driveTokens, tokens: tokens},
			[]string{"SEARCH g USING INDEX sqlite_autoindex_grants_1 (token_id=?)"}, false},
		{"tokens, everything", apiPlan{driver: driveTokens, tokens: tokens, sets: [][]string{owners, repo, perm}, before: "b", after: "a"},
			[]string{"SEARCH g USING INDEX sqlite_autoindex_grants_1 (token_id=?)", apiKeyLookup}, false},
	} {
		for _, asc := range []bool{false, true} {
			q := q
			q.Ascending = asc
			query, args := apiGrantsSQL(q, plan.p, false, 30, 300)
			cases = append(cases, planCase{name: fmt.Sprintf("%s/ascending=%v", plan.name, asc), query: query, args: args,
				ordered: plan.order, uses: plan.uses})
		}
		query, args := apiGrantsSQL(q, plan.p, true, 0, 0)
		cases = append(cases, planCase{name: plan.name + "/count", query: query, args: args, uses: plan.uses})
	}
	cases = append(cases, planCase{name: "unfiltered count", query: countGrantsQuery, args: []any{p.org, policy.GrantApproved},
		uses: []string{"grant_counts USING PRIMARY KEY (org_id=? AND status=?)"}})
	return cases
}

// TestAPIGrantPlansChosen checks the plans ListAPIGrants picks for real
// queries, whatever driver they get.
func TestAPIGrantPlansChosen(t *testing.T) {
	ctx := context.Background()
	for _, p := range planTargets(t) {
		t.Run(p.name, func(t *testing.T) {
			tm := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
			var cases []planCase
			for i, q := range apiQueries(p, tm) {
				for _, st := range []policy.GrantStatus{policy.GrantPending, policy.GrantApproved} {
					q.OrgID, q.Status, q.Ascending = p.org, st, i%2 == 0
					plan, err := p.s.planAPIGrants(ctx, q)
					if err != nil {
						t.Fatal(err)
					}
					query, args := apiGrantsSQL(q, plan, false, 30, 0)
					cases = append(cases, planCase{name: fmt.Sprintf("%d/%s/page", i, st), query: query, args: args,
						ordered: plan.driver != driveTokens})
					query, args = apiGrantsSQL(q, plan, true, 0, 0)
					cases = append(cases, planCase{name: fmt.Sprintf("%d/%s/count", i, st), query: query, args: args})
				}
			}
			checkPlans(t, p.s, cases)
		})
	}
}

func TestAPIQueriesUseIndexes(t *testing.T) {
	if dbtest.Postgres() {
		t.Run("postgres", func(t *testing.T) { checkPostgresPlans(t, apiQueryCases) })
	}
	for _, p := range planTargets(t) {
		t.Run(p.name, func(t *testing.T) { checkPlans(t, p.s, apiQueryCases(p)) })
	}
}

// apiQueryCases are the API's queries of SSH keys, members and issues.
func apiQueryCases(p planTarget) []planCase {
	return []planCase{
		{name: "SSHKeysOf", query: sshKeysOfSQL, args: []any{p.user, 30, 60}, ordered: true,
			uses: []string{"ssh_keys_by_user (user_id=?)"}},
		{name: "SSHKeysOf count", query: sshKeysCountSQL, args: []any{p.user},
			uses: []string{"ssh_keys_by_user (user_id=?)"}},
		// Like MembersOf, a page of members sorts one organization's
		// members by login: bounded by the organization, not ordered.
		{name: "MembersPage", query: membersPageSQL, args: []any{p.org, 30, 60},
			uses: []string{"SEARCH m USING PRIMARY KEY (org_id=?) | SEARCH m USING COVERING INDEX"}},
		{name: "MembersPage count", query: membersCountSQL, args: []any{p.org},
			uses: []string{"memberships USING PRIMARY KEY (org_id=?)"}},
		{name: "UserByLogin", query: userByLoginSQL, args: []any{"mona"},
			uses: []string{"sqlite_autoindex_users_1 (login=?)"}},
		{name: "CreateIssue number", query: nextIssueSQL, args: []any{p.repo, "t", "b", p.user, nil, "now"},
			uses: []string{"sqlite_autoindex_issues_1 (repo_id=?)"}},
		{name: "AddSSHKey duplicate check", query: `SELECT EXISTS (SELECT 1 FROM ssh_keys WHERE key = ?)`, args: []any{"k"},
			uses: []string{"sqlite_autoindex_ssh_keys_1 (key=?)"}},
		// What SQLite runs for the foreign keys when a token, a
		// repository or a user goes: each must find its rows by index.
		{name: "token deleted: its SSH keys", query: `UPDATE ssh_keys SET token_id = NULL WHERE token_id = ?`, args: []any{1},
			uses: []string{"ssh_keys_by_token (token_id=?)"}},
		{name: "token deleted: its issues", query: `UPDATE issues SET token_id = NULL WHERE token_id = ?`, args: []any{1},
			uses: []string{"issues_by_token (token_id=?)"}},
		{name: "repository deleted: its issues", query: `DELETE FROM issues WHERE repo_id = ?`, args: []any{p.repo},
			uses: []string{"sqlite_autoindex_issues_1 (repo_id=?)"}},
		{name: "user deleted: their SSH keys", query: `DELETE FROM ssh_keys WHERE user_id = ?`, args: []any{p.user},
			uses: []string{"ssh_keys_by_user (user_id=?)"}},
	}
}

// An API call's token is found by its hash's unique index, its permissions
// and repositories by their primary keys: never a scan, however many
// tokens there are.
func TestAPITokenQueriesUseIndexes(t *testing.T) {
	if dbtest.Postgres() {
		t.Run("postgres", func(t *testing.T) { checkPostgresPlans(t, apiTokenQueryCases) })
	}
	for _, p := range planTargets(t) {
		t.Run(p.name, func(t *testing.T) { checkPlans(t, p.s, apiTokenQueryCases(p)) })
	}
}

// apiTokenQueryCases are what an API call reads of its token.
func apiTokenQueryCases(p planTarget) []planCase {
	return []planCase{
		{name: "token by hash", query: apiTokenQuery, args: []any{[]byte("hash")},
			uses: []string{"sqlite_autoindex_tokens_1 (hash=?)"}},
		{name: "permissions", query: apiTokenPermissionsQuery, args: []any{1},
			uses: []string{"PRIMARY KEY (token_id=?)"}},
		{name: "repositories", query: apiTokenReposQuery, args: []any{1}, ordered: true,
			uses: []string{"PRIMARY KEY (token_id=?)"}},
		{name: "grant of a token", query: grantOfTokenQuery, args: []any{1},
			uses: []string{"sqlite_autoindex_grants_1 (token_id=?)"}},
		{name: "issue count", query: issueCountQuery, args: []any{1},
			uses: []string{"INTEGER PRIMARY KEY (rowid=?)"}},
		// Read by every request that uses a cache.
		{name: "change counters", query: changeCountersQuery,
			uses: []string{"INTEGER PRIMARY KEY (rowid=?)"}},
	}
}

// postgresPlanScale is the size of the scale dataset the PostgreSQL plans
// are checked on (DemoScale): big enough that reading a whole table costs
// more than an index would, as PostgreSQL's planner weighs it.
const postgresPlanScale = 2000

// postgresBigTables are the tables no listing may read whole.
var postgresBigTables = []string{"tokens", "grants", "grant_keys", "audit_events"}

// checkPostgresPlans is the PostgreSQL counterpart of checkPlans: on a
// fresh demo plus DemoScale(postgresPlanScale), analyzed, the plan of each
// case reads none of postgresBigTables whole. (PostgreSQL words its plans
// its own way, so the cases' uses are SQLite's alone.)
func checkPostgresPlans(t *testing.T, cases func(planTarget) []planCase) {
	ctx := context.Background()
	d := seededWithDemoEvents(t)
	info, err := d.s.SeedScale(ctx, DemoScale(postgresPlanScale), demoHash, tkCreated, grReviewed)
	if err != nil {
		t.Fatalf("SeedScale: %v", err)
	}
	p := planTarget{name: "postgres", s: d.s, org: info.OrgIDs[0], user: info.UserIDs[0], owner: info.OwnerID, repo: info.Repos[0].ID}
	for _, tc := range cases(p) {
		t.Run(tc.name, func(t *testing.T) {
			plan := dumpQuery(t, d.s.write, "EXPLAIN "+tc.query, tc.args...)
			t.Logf("plan:\n%s", plan)
			for _, table := range postgresBigTables {
				if strings.Contains(plan, "Seq Scan on "+table+" ") {
					t.Errorf("reads all of %s", table)
				}
			}
		})
	}
}
