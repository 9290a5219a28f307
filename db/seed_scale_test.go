package db

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"patpolicy/db/dbtest"
	"patpolicy/policy"
)

// smallScale is a scale dataset small enough for every test run, with
// every status and a few organizations.
var smallScale = ScaleSpec{Orgs: 3, Users: 40, ReposPerOrg: 8, Pending: 300, Active: 300, Denied: 20, Revoked: 20,
	OtherPending: 15, OtherActive: 12, Seed: 7}

// sharedScale is the demo plus smallScale, built once for the tests that
// only read it, and closed by TestMain.
var sharedScale struct {
	once sync.Once
	dir  string
	s    *Store
	info ScaleInfo
	err  error
}

// scaleTest returns the shared demo plus smallScale, on SQLite whatever the
// run's backend (the query plan checks read it). Tests must not write to
// it.
func scaleTest(tb testing.TB) (*Store, ScaleInfo) {
	tb.Helper()
	sharedScale.once.Do(func() {
		ctx := context.Background()
		dir, err := os.MkdirTemp("", "patpolicy-scale-test-")
		if err != nil {
			sharedScale.err = err
			return
		}
		sharedScale.dir = dir
		s, err := Open(ctx, filepath.Join(dir, "t.db"))
		if err != nil {
			sharedScale.err = err
			return
		}
		sharedScale.s = s
		if _, err := s.SeedDemo(ctx, demoHash, tkCreated); err != nil {
			sharedScale.err = err
			return
		}
		sharedScale.info, sharedScale.err = s.SeedScale(ctx, smallScale, demoHash, tkCreated, grReviewed)
	})
	if sharedScale.err != nil {
		tb.Fatalf("scale fixture: %v", sharedScale.err)
	}
	return sharedScale.s, sharedScale.info
}

// closeSharedScale closes and removes the shared fixture, if built.
func closeSharedScale() {
	if sharedScale.s != nil {
		sharedScale.s.Close()
	}
	if sharedScale.dir != "" {
		os.RemoveAll(sharedScale.dir)
	}
}

// checkSQLiteIntegrity: after a load with foreign keys off, every row's
// references hold, the file is sound, foreign keys are on again, and
// ANALYZE has left statistics.
func checkSQLiteIntegrity(t *testing.T, s *Store) {
	t.Helper()
	if got := dumpQuery(t, s.write, `PRAGMA foreign_key_check`); got != "" {
		t.Errorf("foreign_key_check:\n%s", got)
	}
	if got := dumpQuery(t, s.write, `PRAGMA integrity_check`); got != "ok\n" {
		t.Errorf("integrity_check:\n%s", got)
	}
	var fk int
	if err := s.write.QueryRow(`PRAGMA foreign_keys`).Scan(&fk); err != nil || fk != 1 {
		t.Errorf("foreign_keys = %d, %v after SeedScale", fk, err)
	}
	if n := count(t, s, `SELECT count(*) FROM sqlite_stat1`); n == 0 {
		t.Error("no statistics: ANALYZE did not run")
	}
}

// checkPostgresIntegrity: PostgreSQL checks references as rows go in, so
// what must hold after the load is that nothing was let through: every
// foreign key is validated and every trigger (those of the foreign keys
// among them) enabled, the writer replicates nothing that would skip them,
// and ANALYZE has left statistics.
func checkPostgresIntegrity(t *testing.T, s *Store) {
	t.Helper()
	if n := count(t, s, `SELECT count(*) FROM pg_constraint WHERE connamespace = current_schema()::regnamespace AND contype = 'f' AND NOT convalidated`); n != 0 {
		t.Errorf("%d foreign keys not validated", n)
	}
	if n := count(t, s, `SELECT count(*) FROM pg_constraint WHERE connamespace = current_schema()::regnamespace AND contype = 'f'`); n == 0 {
		t.Error("no foreign keys")
	}
	if got := dumpQuery(t, s.write, `SELECT tg.tgname, t.relname FROM pg_trigger tg JOIN pg_class t ON t.oid = tg.tgrelid
		WHERE t.relnamespace = current_schema()::regnamespace AND tg.tgenabled <> 'O'`); got != "" {
		t.Errorf("triggers not enabled:\n%s", got)
	}
	var role string
	if err := s.write.QueryRow(`SHOW session_replication_role`).Scan(&role); err != nil || role != "origin" {
		t.Errorf("session_replication_role = %q, %v after SeedScale", role, err)
	}
	if n := count(t, s, `SELECT count(*) FROM pg_stats WHERE schemaname = current_schema() AND tablename = 'grant_keys'`); n == 0 {
		t.Error("no statistics: ANALYZE did not run")
	}
}

// bfGrant is a grant as the brute-force filters see it: straight from the
// token's own rows, not from grant_keys.
type bfGrant struct {
	id, user  int64
	status    policy.GrantStatus
	selection policy.Selection
	repos     []int64
	perms     map[string]policy.Level
}

// allGrants loads every grant of an organization (0: of every one) with
// its token's selection and permissions, by id.
func allGrants(tb testing.TB, s *Store, orgID int64) []bfGrant {
	tb.Helper()
	ctx := context.Background()
	rows, err := s.read.QueryContext(ctx, `SELECT g.id, g.user_id, g.status, t.repository_selection, t.id FROM grants g
		JOIN tokens t ON t.id = g.token_id WHERE ? = 0 OR g.org_id = ? ORDER BY g.id`, orgID, orgID)
	if err != nil {
		tb.Fatal(err)
	}
	var out []bfGrant
	byToken := map[int64]int{}
	for rows.Next() {
		var g bfGrant
		var token int64
		if err := rows.Scan(&g.id, &g.user, &g.status, &g.selection, &token); err != nil {
			tb.Fatal(err)
		}
		g.perms = map[string]policy.Level{}
		byToken[token] = len(out)
		out = append(out, g)
	}
	rows.Close()
	rows, err = s.read.QueryContext(ctx, `SELECT token_id, name, level FROM token_permissions`)
	if err != nil {
		tb.Fatal(err)
	}
	for rows.Next() {
		var token int64
		var name string
		var level policy.Level
		if err := rows.Scan(&token, &name, &level); err != nil {
			tb.Fatal(err)
		}
		if i, ok := byToken[token]; ok {
			out[i].perms[name] = level
		}
	}
	rows.Close()
	rows, err = s.read.QueryContext(ctx, `SELECT token_id, repo_id FROM token_repositories ORDER BY token_id, repo_id`)
	if err != nil {
		tb.Fatal(err)
	}
	for rows.Next() {
		var token, repo int64
		if err := rows.Scan(&token, &repo); err != nil {
			tb.Fatal(err)
		}
		if i, ok := byToken[token]; ok {
			out[i].repos = append(out[i].repos, repo)
		}
	}
	rows.Close()
	return out
}

// scaleOnBackend returns the demo plus smallScale on the run's backend:
// the shared fixture on SQLite, a fresh one of tb's own on PostgreSQL.
// Tests must not write to it.
func scaleOnBackend(tb testing.TB) (*Store, ScaleInfo) {
	tb.Helper()
	if !dbtest.Postgres() {
		return scaleTest(tb)
	}
	d := seededWithDemoEvents(tb)
	info, err := d.s.SeedScale(context.Background(), smallScale, demoHash, tkCreated, grReviewed)
	if err != nil {
		tb.Fatalf("SeedScale: %v", err)
	}
	return d.s, info
}

// TestSeedScale loads the scale dataset on SQLite on every run, where
// SQLite's own checks of its file apply, and on a PostgreSQL run on
// PostgreSQL as well, with their counterparts there.
func TestSeedScale(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { checkSeedScale(t, seedDemoInto(t, openSQLiteTest(t))) })
	if dbtest.Postgres() {
		t.Run("postgres", func(t *testing.T) { checkSeedScale(t, seededWithDemoEvents(t)) })
	}
}

// schemaDefs renders the definitions of the store's indexes, triggers or
// foreign keys (kind "index", "trigger" or "foreign key"), by name.
func schemaDefs(tb testing.TB, s *Store, kind string) string {
	tb.Helper()
	if s.dialect != postgresDialect {
		if kind == "foreign key" {
			return dumpQuery(tb, s.write, `SELECT m.name, f."table", f."from", f."to", f.on_update, f.on_delete
				FROM sqlite_schema m JOIN pragma_foreign_key_list(m.name) f WHERE m.type = 'table' ORDER BY 1, 2, 3`)
		}
		return dumpQuery(tb, s.write, `SELECT name, sql FROM sqlite_schema WHERE type = ? ORDER BY name`, kind)
	}
	switch kind {
	case "index":
		return dumpQuery(tb, s.write, `SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() ORDER BY 1`)
	case "foreign key":
		return dumpQuery(tb, s.write, `SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint
			WHERE connamespace = current_schema()::regnamespace AND contype = 'f' ORDER BY 1, 2`)
	}
	return dumpQuery(tb, s.write, `SELECT tg.tgname, pg_get_triggerdef(tg.oid), tg.tgenabled FROM pg_trigger tg
		JOIN pg_class t ON t.oid = tg.tgrelid
		WHERE t.relnamespace = current_schema()::regnamespace AND NOT tg.tgisinternal ORDER BY 1`)
}

func checkSeedScale(t *testing.T, d demo) {
	ctx := context.Background()
	indexes := schemaDefs(t, d.s, "index")
	triggers := schemaDefs(t, d.s, "trigger")
	foreignKeys := schemaDefs(t, d.s, "foreign key")
	demoTokens := dumpQuery(t, d.s.write, `SELECT * FROM tokens ORDER BY id`)
	lastDemo := map[string]int{}
	for _, table := range []string{"audit_events", "notifications", "grants"} {
		lastDemo[table] = count(t, d.s, `SELECT COALESCE(max(id), 0) FROM `+table)
	}
	info, err := d.s.SeedScale(ctx, smallScale, demoHash, tkCreated, grReviewed)
	if err != nil {
		t.Fatalf("SeedScale: %v", err)
	}
	s := d.s

	t.Run("accounts", func(t *testing.T) {
		if len(info.OrgIDs) != smallScale.Orgs || len(info.UserIDs) != smallScale.Users || len(info.Repos) != smallScale.ReposPerOrg {
			t.Fatalf("info: %d orgs, %d users, %d repos", len(info.OrgIDs), len(info.UserIDs), len(info.Repos))
		}
		want := smallScale.Pending + smallScale.Active + smallScale.Denied + smallScale.Revoked +
			(smallScale.Orgs-1)*(smallScale.OtherPending+smallScale.OtherActive)
		if info.Tokens != want {
			t.Errorf("info.Tokens = %d, want %d", info.Tokens, want)
		}
		c, err := s.CredentialsFor(ctx, ScaleOwnerLogin)
		if err != nil || c.User.ID != info.OwnerID || c.PasswordHash != demoHash {
			t.Fatalf("scale-owner: %+v, %v", c, err)
		}
		if c, err := s.CredentialsFor(ctx, ScaleSecondOwnerLogin); err != nil || c.User.ID != info.SecondOwnerID || c.User.ID == 0 || c.PasswordHash != demoHash {
			t.Errorf("scale-owner-02: %+v, %v", c, err)
		}
		if c, err := s.CredentialsFor(ctx, "scale-user-00001"); err != nil || c.User.ID != info.UserIDs[0] {
			t.Errorf("scale-user-00001: %+v, %v", c, err)
		}
		for i, org := range info.OrgIDs {
			o, err := s.OrgByLogin(ctx, fmt.Sprintf("scale-org-%02d", i+1))
			if err != nil || o.ID != org || !o.OptedIn || o.EnterpriseID != 0 {
				t.Errorf("org %d: %+v, %v", i, o, err)
			}
			p, err := s.OrgPolicy(ctx, org)
			if err != nil || p.Effective().Approval != policy.ApprovalRequired || p.Effective().FineGrained != policy.Allow {
				t.Errorf("org %d policy: %+v, %v", i, p, err)
			}
			if role, _ := s.RoleIn(ctx, org, info.OwnerID); role != RoleOwner {
				t.Errorf("org %d: scale-owner is %q", i, role)
			}
			// scale-org-02 has an owner of its own besides.
			owners := 1
			if i == 1 {
				owners = 2
			}
			if role, _ := s.RoleIn(ctx, org, info.SecondOwnerID); (role == RoleOwner) != (i == 1) {
				t.Errorf("org %d: scale-owner-02 is %q", i, role)
			}
			members, err := s.MembersOf(ctx, org)
			if err != nil || len(members) != smallScale.Users+owners {
				t.Errorf("org %d: %d members, %v", i, len(members), err)
			}
			repos, err := s.ReposOf(ctx, org)
			if err != nil || len(repos) != smallScale.ReposPerOrg {
				t.Errorf("org %d: %d repos, %v", i, len(repos), err)
			}
			public := 0
			for _, r := range repos {
				if !r.Private {
					public++
				}
			}
			if public == 0 || public == len(repos) {
				t.Errorf("org %d: %d public repositories of %d, want a mix", i, public, len(repos))
			}
		}
	})

	t.Run("counts", func(t *testing.T) {
		for i, org := range info.OrgIDs {
			want := map[policy.GrantStatus]int{policy.GrantPending: smallScale.OtherPending, policy.GrantApproved: smallScale.OtherActive}
			if i == 0 {
				want = map[policy.GrantStatus]int{policy.GrantPending: smallScale.Pending, policy.GrantApproved: smallScale.Active,
					policy.GrantDenied: smallScale.Denied, policy.GrantRevoked: smallScale.Revoked}
			}
			for _, st := range []policy.GrantStatus{policy.GrantPending, policy.GrantApproved, policy.GrantDenied, policy.GrantRevoked} {
				n, err := s.CountGrants(ctx, org, st)
				if err != nil || n != want[st] {
					t.Errorf("org %d %s: %d, %v; want %d", i, st, n, err, want[st])
				}
			}
		}
		for _, tc := range []struct {
			query string
			want  int
		}{
			{`SELECT count(*) FROM tokens t JOIN grants g ON g.token_id = t.id WHERE t.org_id = g.org_id AND t.user_id = g.user_id AND t.kind = 'fine_grained'`, info.Tokens + 3},
			{`SELECT count(*) FROM tokens`, info.Tokens + 3},
			{`SELECT count(*) FROM grants WHERE status = 'pending' AND user_id = (SELECT id FROM users WHERE login = 'scale-owner')`, 0},
			{`SELECT count(*) FROM grants WHERE status != 'pending' AND (reviewer_id IS NULL OR decided_at IS NULL) AND user_id != (SELECT id FROM users WHERE login = 'scale-owner') AND org_id IN (SELECT id FROM organizations WHERE login LIKE 'scale-%')`, 0},
			{`SELECT count(*) FROM grants WHERE status = 'pending' AND (reviewer_id IS NOT NULL OR decided_at IS NOT NULL)`, 0},
			{`SELECT count(*) FROM grants WHERE justification = '' AND user_id != (SELECT id FROM users WHERE login = 'scale-owner') AND org_id IN (SELECT id FROM organizations WHERE login LIKE 'scale-%')`, 0},
			{`SELECT count(*) FROM tokens WHERE length(hash) != 32 OR length(prefix) != 16 OR prefix NOT LIKE 'github_pat_%'`, 0},
			{`SELECT count(*) FROM tokens WHERE repository_selection = 'selected' AND id NOT IN (SELECT token_id FROM token_repositories)`, 0},
			{`SELECT count(*) FROM tokens WHERE repository_selection != 'selected' AND id IN (SELECT token_id FROM token_repositories)`, 0},
			{`SELECT count(*) FROM token_repositories tr JOIN tokens t ON t.id = tr.token_id JOIN repositories r ON r.id = tr.repo_id WHERE r.org_id != t.org_id`, 0},
			{`SELECT count(*) FROM tokens WHERE expires_at IS NOT NULL AND expires_at <= created_at`, 0},
			{`SELECT count(*) FROM notifications WHERE read_at IS NULL AND user_id = (SELECT id FROM users WHERE login = 'scale-owner')`,
				smallScale.Pending + (smallScale.Orgs-1)*smallScale.OtherPending},
			{`SELECT count(*) FROM audit_events WHERE action = 'personal_access_token.request_denied'`, smallScale.Denied},
			{`SELECT count(*) FROM audit_events WHERE action = 'personal_access_token.access_revoked'`, smallScale.Revoked},
		} {
			if n := count(t, s, tc.query); n != tc.want {
				t.Errorf("%s = %d, want %d", tc.query, n, tc.want)
			}
		}
		// Grants, audit events and notifications were written in time
		// order (the demo's, written now, come first).
		for table, last := range lastDemo {
			if n := count(t, s, `SELECT count(*) FROM `+table+` a JOIN `+table+` b ON b.id = a.id + 1
				WHERE a.id > ? AND b.created_at < a.created_at`, last); n != 0 {
				t.Errorf("%s: %d rows older than the row before", table, n)
			}
		}
	})

	t.Run("integrity", func(t *testing.T) {
		if s.dialect == postgresDialect {
			checkPostgresIntegrity(t, s)
		} else {
			checkSQLiteIntegrity(t, s)
		}
		if got := schemaDefs(t, s, "index"); got != indexes {
			t.Errorf("indexes after SeedScale:\n%s\nwant:\n%s", got, indexes)
		}
		// The triggers it set aside for the load are back, as they were.
		if got := schemaDefs(t, s, "trigger"); got != triggers {
			t.Errorf("triggers after SeedScale:\n%s\nwant:\n%s", got, triggers)
		}
		// And the foreign keys (PostgreSQL's are set aside as well).
		if got := schemaDefs(t, s, "foreign key"); got != foreignKeys || got == "" {
			t.Errorf("foreign keys after SeedScale:\n%s\nwant:\n%s", got, foreignKeys)
		}
		if got := dumpQuery(t, s.write, `SELECT * FROM tokens WHERE id <= 3 ORDER BY id`); got != demoTokens {
			t.Errorf("demo tokens changed:\n%s\nwant:\n%s", got, demoTokens)
		}
	})

	t.Run("variety", func(t *testing.T) {
		grants := allGrants(t, s, info.OrgIDs[0])
		selections := map[policy.Selection]int{}
		permCounts := map[int]int{}
		owners := map[int64]int{}
		for _, g := range grants {
			selections[g.selection]++
			owners[g.user]++
			repoPerm := false
			for name, level := range g.perms {
				p, ok := policy.PermissionByName(name)
				if !ok || (level != policy.LevelRead && level != policy.LevelWrite) {
					t.Fatalf("grant %d: permission %s %s", g.id, name, level)
				}
				repoPerm = repoPerm || !p.Org
			}
			if repoPerm && g.perms[policy.Metadata] == "" {
				t.Errorf("grant %d: repository permissions without metadata: %v", g.id, g.perms)
			}
			if len(g.perms) < 1 || len(g.perms) > 5 {
				t.Errorf("grant %d: %d permissions", g.id, len(g.perms))
			}
			permCounts[len(g.perms)]++
			if g.selection == policy.SelectSelected && (len(g.repos) < 1 || len(g.repos) > 3) {
				t.Errorf("grant %d: %d selected repositories", g.id, len(g.repos))
			}
		}
		if len(selections) != 3 || len(permCounts) < 4 || len(owners) < smallScale.Users/2 {
			t.Errorf("too little variety: selections %v, permission counts %v, %d owners", selections, permCounts, len(owners))
		}
	})

	t.Run("keys", func(t *testing.T) {
		// Every grant's keys are exactly what insertGrant writes, in the
		// grant's status and organization.
		type keyRow struct {
			org    int64
			status policy.GrantStatus
		}
		keys := map[int64]map[string]keyRow{}
		rows, err := s.read.Query(`SELECT org_id, status, key, grant_id FROM grant_keys`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var k keyRow
			var key string
			var grant int64
			if err := rows.Scan(&k.org, &k.status, &key, &grant); err != nil {
				t.Fatal(err)
			}
			if keys[grant] == nil {
				keys[grant] = map[string]keyRow{}
			}
			keys[grant][key] = k
		}
		rows.Close()
		orgOf := map[int64]int64{}
		rows, err = s.read.Query(`SELECT id, org_id FROM grants`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var id, org int64
			if err := rows.Scan(&id, &org); err != nil {
				t.Fatal(err)
			}
			orgOf[id] = org
		}
		rows.Close()
		grants := allGrants(t, s, 0)
		if len(keys) != len(grants) {
			t.Errorf("%d grants have keys, of %d", len(keys), len(grants))
		}
		for _, g := range grants {
			want := grantKeys(g.user, policy.TokenRequest{Selection: g.selection, RepoIDs: g.repos, Permissions: g.perms})
			slices.Sort(want)
			got := slices.Sorted(maps.Keys(keys[g.id]))
			if !slices.Equal(got, want) {
				t.Errorf("grant %d: keys %q, want %q", g.id, got, want)
				continue
			}
			hasRepo := false
			for key, k := range keys[g.id] {
				hasRepo = hasRepo || strings.HasPrefix(key, "r:")
				if k.status != g.status || k.org != orgOf[g.id] {
					t.Errorf("grant %d (%s, org %d): key %s in %s, org %d", g.id, g.status, orgOf[g.id], key, k.status, k.org)
				}
			}
			if _, ok := keys[g.id][ownerKey(g.user)]; !ok || !hasRepo {
				t.Errorf("grant %d: keys %q lack the owner or a repository key", g.id, got)
			}
		}
	})

	t.Run("again", func(t *testing.T) {
		before := count(t, s, `SELECT count(*) FROM tokens`)
		if _, err := s.SeedScale(ctx, smallScale, demoHash, tkCreated, grReviewed); !errors.Is(err, ErrScaleExists) {
			t.Errorf("second SeedScale: %v, want ErrScaleExists", err)
		}
		if after := count(t, s, `SELECT count(*) FROM tokens`); after != before {
			t.Errorf("second SeedScale changed tokens: %d -> %d", before, after)
		}
		if _, err := s.SeedScale(ctx, ScaleSpec{Pending: -1}, demoHash, tkCreated, grReviewed); err == nil {
			t.Error("negative count accepted")
		}
	})
	checkGrantCounts(t, d.s)
}

// grantFilter is one ListGrants filter combination, as the brute force
// applies it.
type grantFilter struct {
	name       string
	owner      int64
	repo       Repo
	permission string
}

func (f grantFilter) match(g bfGrant) bool {
	if f.owner != 0 && g.user != f.owner {
		return false
	}
	if f.repo.ID != 0 {
		ok := g.selection == policy.SelectAll || g.selection == policy.SelectPublic && !f.repo.Private ||
			g.selection == policy.SelectSelected && slices.Contains(g.repos, f.repo.ID)
		if !ok {
			return false
		}
	}
	return f.permission == "" || g.perms[f.permission] != ""
}

// scaleFilters builds filter combinations over the first organization's
// data: busy, light and absent owners, public and private repositories,
// every permission, and their combinations.
func scaleFilters(grants []bfGrant, info ScaleInfo) []grantFilter {
	perOwner := map[int64]int{}
	for _, g := range grants {
		perOwner[g.user]++
	}
	busy, light := info.UserIDs[0], info.UserIDs[0]
	for u, n := range perOwner {
		if n > perOwner[busy] || n == perOwner[busy] && u < busy {
			busy = u
		}
		if n < perOwner[light] || n == perOwner[light] && u < light {
			light = u
		}
	}
	var public, private Repo
	for _, r := range info.Repos {
		if r.Private && private.ID == 0 {
			private = r
		}
		if !r.Private && public.ID == 0 {
			public = r
		}
	}
	fs := []grantFilter{
		{name: "none"},
		{name: "busy owner", owner: busy},
		{name: "light owner", owner: light},
		{name: "owner without requests", owner: info.OwnerID},
		{name: "public repository", repo: public},
		{name: "private repository", repo: private},
		{name: "unknown permission", permission: "nope"},
		{name: "busy owner, private repository", owner: busy, repo: private},
		{name: "busy owner, contents", owner: busy, permission: "contents"},
		{name: "public repository, members", repo: public, permission: "members"},
		{name: "private repository, metadata", repo: private, permission: policy.Metadata},
		{name: "busy owner, public repository, issues", owner: busy, repo: public, permission: "issues"},
		{name: "light owner, private repository, metadata", owner: light, repo: private, permission: policy.Metadata},
	}
	for _, p := range policy.Permissions() {
		fs = append(fs, grantFilter{name: p.Name, permission: p.Name})
	}
	return fs
}

func TestListGrantsMatchesBruteForce(t *testing.T) {
	ctx := context.Background()
	s, info := scaleOnBackend(t)
	org := info.OrgIDs[0]
	grants := allGrants(t, s, org)
	for _, st := range []policy.GrantStatus{policy.GrantPending, policy.GrantApproved, policy.GrantDenied, policy.GrantRevoked} {
		for _, f := range scaleFilters(grants, info) {
			t.Run(string(st)+"/"+f.name, func(t *testing.T) {
				var want []int64
				for _, g := range slices.Backward(grants) {
					if g.status == st && f.match(g) {
						want = append(want, g.id)
					}
				}
				// Five pages or so each way, whatever the number of rows.
				q := GrantQuery{OrgID: org, Status: st, OwnerID: f.owner, RepoID: f.repo.ID, Permission: f.permission,
					Limit: max(2, len(want)/5+1)}
				checkPaging(t, s, q, want, grants)
			})
		}
	}

	t.Run("default limit", func(t *testing.T) {
		page, err := s.ListGrants(ctx, GrantQuery{OrgID: org, Status: policy.GrantPending})
		if err != nil || len(page.Tokens) != 50 || !page.HasOlder || page.HasNewer {
			t.Errorf("first page: %d tokens, older %v, newer %v, %v", len(page.Tokens), page.HasOlder, page.HasNewer, err)
		}
	})
	t.Run("repository of another organization", func(t *testing.T) {
		repos, err := s.ReposOf(ctx, info.OrgIDs[1])
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.ListGrants(ctx, GrantQuery{OrgID: org, Status: policy.GrantPending, RepoID: repos[0].ID}); !errors.Is(err, ErrNotFound) {
			t.Errorf("err = %v, want ErrNotFound", err)
		}
	})
	t.Run("other organization", func(t *testing.T) {
		other := allGrants(t, s, info.OrgIDs[1])
		var want []int64
		for _, g := range slices.Backward(other) {
			if g.status == policy.GrantApproved {
				want = append(want, g.id)
			}
		}
		checkPaging(t, s, GrantQuery{OrgID: info.OrgIDs[1], Status: policy.GrantApproved, Limit: 5}, want, other)
	})
}

// checkPaging walks q's pages to the oldest with Before, then back to the
// newest with After, and compares each walk with want (ids, newest first).
func checkPaging(t *testing.T, s *Store, q GrantQuery, want []int64, grants []bfGrant) {
	t.Helper()
	ctx := context.Background()
	byID := map[int64]bfGrant{}
	for _, g := range grants {
		byID[g.id] = g
	}
	var got []int64
	var pages [][]int64
	for n := 0; ; n++ {
		if n > len(want)+2 {
			t.Fatalf("more pages than rows")
		}
		page, err := s.ListGrants(ctx, q)
		if err != nil {
			t.Fatalf("ListGrants(%+v): %v", q, err)
		}
		ids := pageIDs(t, page, q, byID)
		if page.HasNewer != (q.Before > 0) {
			t.Errorf("page %d: HasNewer = %v", n, page.HasNewer)
		}
		got = append(got, ids...)
		pages = append(pages, ids)
		if !page.HasOlder {
			break
		}
		if len(ids) != q.Limit {
			t.Fatalf("page %d: %d rows and HasOlder", n, len(ids))
		}
		q.Before = ids[len(ids)-1]
	}
	if !slices.Equal(got, want) {
		t.Fatalf("walking older: got %d ids %v\nwant %d ids %v", len(got), got, len(want), want)
	}
	if len(pages) < 2 {
		return
	}
	// Back from the oldest page: each page newer than the one shown.
	q.Before = 0
	for i := len(pages) - 2; i >= 0; i-- {
		q.After = pages[i+1][0]
		page, err := s.ListGrants(ctx, q)
		if err != nil {
			t.Fatalf("ListGrants(%+v): %v", q, err)
		}
		ids := pageIDs(t, page, q, byID)
		if !slices.Equal(ids, pages[i]) {
			t.Fatalf("walking newer, page %d: %v, want %v", i, ids, pages[i])
		}
		if !page.HasOlder || page.HasNewer != (i > 0) {
			t.Errorf("walking newer, page %d: HasOlder %v, HasNewer %v", i, page.HasOlder, page.HasNewer)
		}
	}
}

// pageIDs checks a page's tokens and returns their grant ids.
func pageIDs(t *testing.T, page GrantPage, q GrantQuery, byID map[int64]bfGrant) []int64 {
	t.Helper()
	var ids []int64
	for _, tok := range page.Tokens {
		if tok.Grant == nil {
			t.Fatalf("token %d without grant", tok.ID)
		}
		g := byID[tok.Grant.ID]
		if tok.Grant.Status != q.Status || tok.OrgID != q.OrgID || tok.UserID != g.user || !maps.Equal(tok.Permissions, g.perms) {
			t.Errorf("grant %d: %+v does not match its rows %+v", tok.Grant.ID, tok, g)
		}
		var repos []int64
		for _, r := range tok.Repos {
			repos = append(repos, r.ID)
		}
		slices.Sort(repos)
		if !slices.Equal(repos, g.repos) {
			t.Errorf("grant %d: repositories %v, want %v", tok.Grant.ID, repos, g.repos)
		}
		ids = append(ids, tok.Grant.ID)
	}
	if len(ids) > q.Limit {
		t.Fatalf("%d rows for limit %d", len(ids), q.Limit)
	}
	return ids
}
