package db

import (
	"cmp"
	"context"
	"crypto/rand"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"slices"
	"strings"
	"time"

	"patpolicy/policy"
)

// ScaleSpec sizes a scale dataset (see SeedScale). Zero Orgs, Users and
// ReposPerOrg take their defaults; zero counts of tokens mean none.
type ScaleSpec struct {
	Orgs        int // organizations scale-org-01…; default 10
	Users       int // members scale-user-00001… of every organization; default 1000
	ReposPerOrg int // default 20, one in three public
	// Pending, Active, Denied and Revoked count the first organization's
	// grants in each status; OtherPending and OtherActive those of each
	// other organization.
	Pending, Active, Denied, Revoked int
	OtherPending, OtherActive        int
	// Seed shapes the data: the same seed gives the same owners, names,
	// permissions and repositories, and the same dates relative to now
	// (token hashes aside, which are salted).
	Seed uint64
}

// DemoScale is the spec of `--demo-scale n`: n pending requests and n
// active tokens in scale-org-01, a few denied and revoked, and a hundredth
// of that in each of the nine other organizations.
func DemoScale(n int) ScaleSpec {
	return ScaleSpec{Pending: n, Active: n, Denied: n / 50, Revoked: n / 50, OtherPending: n / 100, OtherActive: n / 100, Seed: 1}
}

// ScaleInfo tells what SeedScale made, for tests and benchmarks.
type ScaleInfo struct {
	OwnerID int64   // scale-owner, owner of every scale organization
	OrgIDs  []int64 // scale-org-01 first
	// UserIDs are the members in login order. Owners are drawn with a skew:
	// the lower the number, the more tokens (scale-user-00001 holds about
	// 3% of them, the median user a tenth of a percent).
	UserIDs []int64
	Repos   []Repo // the first organization's repositories, by id
	Tokens  int
	// SecondOwnerID is scale-owner-02, an owner of scale-org-02 only, for
	// measuring one organization's pages while another's owner is busy;
	// 0 with a single organization.
	SecondOwnerID int64
}

// ScaleOwnerLogin is the login of the scale dataset's owner.
const ScaleOwnerLogin = "scale-owner"

// ScaleSecondOwnerLogin is the login of scale-org-02's own owner.
const ScaleSecondOwnerLogin = "scale-owner-02"

// ErrScaleExists is returned by SeedScale when the database already holds
// a scale dataset.
var ErrScaleExists = errors.New("a scale dataset is already loaded")

// SeedScale loads a large synthetic dataset for load tests and benchmarks,
// beside whatever the database holds already (an empty database or the
// demo): its own users, organizations and repositories, all named scale-…,
// and fine-grained tokens with their grants, filter keys, audit events and
// notifications as the application would have written them: what follows
// each creation is what created says, and each review what reviewed says
// (nil: nothing). Every account gets passwordHash. A database that already
// has the scale-owner account gets ErrScaleExists and no change.
//
// It writes in one transaction through prepared multi-row INSERTs, not
// through insertToken, with the bulk tables' secondary indexes (on
// PostgreSQL their foreign keys too) dropped and rebuilt at the end; after committing it runs ANALYZE and truncates the
// WAL. DemoScale(100000) takes about 25 s on two cores, during which other
// writes wait. Token secrets are never shown: each hash is the SHA-256 of
// a string salted per call, which is in no token format, so no scale token
// can be presented to the API.
func (s *Store) SeedScale(ctx context.Context, spec ScaleSpec, passwordHash string, created, reviewed Follow) (_ ScaleInfo, err error) {
	defer failed(&err, "seed scale")
	spec.Orgs = cmp.Or(spec.Orgs, 10)
	spec.Users = cmp.Or(spec.Users, 1000)
	spec.ReposPerOrg = cmp.Or(spec.ReposPerOrg, 20)
	if spec.Orgs < 1 || spec.Orgs > 99 || spec.Users < 1 || spec.Users > 99999 || spec.ReposPerOrg < 1 ||
		min(spec.Pending, spec.Active, spec.Denied, spec.Revoked, spec.OtherPending, spec.OtherActive) < 0 {
		return ScaleInfo{}, fmt.Errorf("scale spec out of range: %+v", spec)
	}
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return ScaleInfo{}, err
	}
	// The writer's one connection, held throughout: the settings bulkLoad
	// changes apply to nothing else.
	conn, err := s.write.Conn(ctx)
	if err != nil {
		return ScaleInfo{}, err
	}
	defer conn.Close()
	s.cache.begin(changesEverything)
	defer s.cache.end(changesEverything)
	var info ScaleInfo
	err = s.bulkLoad(ctx, conn, func() error {
		tx, err := s.beginWriteOn(ctx, conn)
		if err != nil {
			return err
		}
		g := &scaleGen{s: s, ctx: ctx, tx: tx, spec: spec, hash: passwordHash, salt: fmt.Sprintf("%x", salt), created: created, reviewed: reviewed,
			rnd: mrand.New(mrand.NewPCG(spec.Seed, spec.Seed^0x9e3779b97f4a7c15)), now: s.now().UTC()}
		if info, err = g.run(); err != nil {
			tx.Rollback()
			return err
		}
		return tx.Commit()
	})
	if err != nil {
		return ScaleInfo{}, err
	}
	if _, err := conn.ExecContext(ctx, `ANALYZE`); err != nil {
		return info, fmt.Errorf("analyze: %w", err)
	}
	if s.dialect == postgresDialect {
		return info, nil
	}
	// The load went through the WAL, which would otherwise keep its size
	// (as much again as the data) on disk until the next restart.
	var busy, frames, done int
	if err := conn.QueryRowContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&busy, &frames, &done); err != nil {
		return info, fmt.Errorf("checkpoint: %w", err)
	}
	return info, nil
}

// bulkLoad runs fn with conn set up for a bulk load, and puts the settings
// back afterwards:
//   - a large page cache, so that the scattered index inserts stay in
//     memory until the commit;
//   - foreign keys off: SQLite gives every multi-row INSERT into a table
//     with an immediate foreign key a statement journal, which writes each
//     touched page a second time. SeedScale's rows point only at rows it
//     has just read or written (TestSeedScale runs foreign_key_check).
//
// PostgreSQL needs neither: fn runs as it is.
func (s *Store) bulkLoad(ctx context.Context, conn *sql.Conn, fn func() error) error {
	if s.dialect == postgresDialect {
		return fn()
	}
	var cache, fk int
	if err := conn.QueryRowContext(ctx, `PRAGMA cache_size`).Scan(&cache); err != nil {
		return err
	}
	if err := conn.QueryRowContext(ctx, `PRAGMA foreign_keys`).Scan(&fk); err != nil {
		return err
	}
	// 128 MiB at most, taken only as the load needs it.
	if _, err := conn.ExecContext(ctx, `PRAGMA cache_size = -131072; PRAGMA foreign_keys = OFF`); err != nil {
		return err
	}
	err := fn()
	_, rerr := conn.ExecContext(context.WithoutCancel(ctx),
		fmt.Sprintf(`PRAGMA cache_size = %d; PRAGMA foreign_keys = %d`, cache, fk))
	if rerr != nil {
		// Not back to the pool without its foreign keys: close it.
		conn.Raw(func(any) error { return driver.ErrBadConn })
	}
	return errors.Join(err, rerr)
}

type scaleGen struct {
	s    *Store
	ctx  context.Context
	tx   *sql.Tx
	spec ScaleSpec
	hash string
	salt string
	rnd  *mrand.Rand
	now  time.Time
	// created and reviewed say what follows a token's creation and a
	// review of its grant.
	created, reviewed Follow

	owner  int64
	second int64 // ScaleSecondOwnerLogin, 0 without a second organization
	users  []int64
	logins map[int64]string
	orgs   []scaleOrg
}

type scaleOrg struct {
	id    int64
	login string
	repos []Repo
}

// scaleSlot is one grant to make: its organization and final status.
type scaleSlot struct {
	org    int
	status policy.GrantStatus
}

type scaleKey struct {
	org, grant int64
	status     policy.GrantStatus
	key        string
}

type scaleEvent struct {
	at      string
	org     int64
	actor   int64
	action  string
	details string
}

type scaleNote struct {
	at, message, link string
	user              int64
	read              bool
}

var (
	scalePurposes = []string{"deploy", "ci", "release", "backup", "mirror", "triage", "metrics", "docs", "lint",
		"audit", "sync", "migrate", "bot", "review", "pages", "scan", "bench", "notify"}
	scaleWords = []string{"api", "web", "infra", "mobile", "billing", "search", "auth", "data", "ops", "edge",
		"ledger", "media", "chat", "ml", "docs", "cli", "sdk", "ui", "gateway", "store"}
	scaleWhy = []string{
		"Deploys %s from the release pipeline.",
		"Reads %s build status for CI dashboards.",
		"Nightly backup of %s.",
		"Mirrors %s to the disaster-recovery site.",
		"Labels and triages new issues in %s.",
		"Collects pull request metrics for %s.",
		"Publishes documentation built from %s.",
		"Runs the linter bot on %s pull requests.",
		"Needed for the quarterly access audit of %s.",
		"Synchronises %s with the internal tracker.",
	}
	scaleReasons = []string{"", "", "Too broad: ask for the repositories you need.", "Use the shared CI app instead.",
		"Justification missing details.", "Token no longer needed.", "Owner left the team."}
)

func (g *scaleGen) run() (ScaleInfo, error) {
	var n int
	if err := g.tx.QueryRowContext(g.ctx, `SELECT count(*) FROM users WHERE login = ?`, ScaleOwnerLogin).Scan(&n); err != nil {
		return ScaleInfo{}, err
	}
	if n > 0 {
		return ScaleInfo{}, ErrScaleExists
	}
	if err := g.accounts(); err != nil {
		return ScaleInfo{}, err
	}
	rebuild, err := g.s.setAside(g.ctx, g.tx, scaleBulkTables, scaleLookupTriggers)
	if err != nil {
		return ScaleInfo{}, err
	}
	tokens, err := g.tokens()
	if err != nil {
		return ScaleInfo{}, err
	}
	if err := rebuild(); err != nil {
		return ScaleInfo{}, err
	}
	info := ScaleInfo{OwnerID: g.owner, SecondOwnerID: g.second, UserIDs: g.users, Repos: g.orgs[0].repos, Tokens: tokens}
	for _, o := range g.orgs {
		info.OrgIDs = append(info.OrgIDs, o.id)
	}
	return info, nil
}

// scaleBulkTables are the tables that take most of the rows.
var scaleBulkTables = []string{"tokens", "token_permissions", "token_repositories", "grants", "grant_keys", "audit_events", "notifications"}

// scaleLookupTriggers are the bulk tables' triggers that look rows up
// before each insert. Without the indexes setAside drops, every lookup
// would read the whole table, once a row, and the load would grow with the
// square of its rows; so they are set aside too. What they count is a
// token replaced whole, and the load's INSERT OR FAIL replaces none.
var scaleLookupTriggers = []string{"tokens_changes_replace"}

// setAside drops the tables' own indexes (not those of their UNIQUE and
// PRIMARY KEY constraints) and the named triggers, and returns what
// recreates them from their stored definitions: building an index once,
// sorted, costs far less than inserting into it row by row. On PostgreSQL
// it sets aside the tables' foreign keys too: PostgreSQL checks them row
// by row as rows go in (SQLite's are off for the load), which would take
// most of the load's time, while adding a foreign key back checks every
// row at once, and fails the load if one refers to nothing.
func (s *Store) setAside(ctx context.Context, tx *sql.Tx, tables, triggers []string) (func() error, error) {
	args := make([]any, 0, 2*len(tables)+len(triggers))
	for _, t := range tables {
		args = append(args, t)
	}
	for _, t := range triggers {
		args = append(args, t)
	}
	// Each row: the statement that drops an index or trigger, and the one
	// that makes it again.
	query := `SELECT 'DROP ' || upper(type) || ' "' || name || '"', sql FROM sqlite_schema WHERE sql IS NOT NULL AND
		(type = 'index' AND tbl_name IN (` + placeholders(len(tables)) + `) OR type = 'trigger' AND name IN (` + placeholders(len(triggers)) + `))
		ORDER BY type, name`
	if s.dialect == postgresDialect {
		// The indexes that back no constraint, and the triggers, of the
		// schema in use.
		query = `SELECT 'DROP INDEX "' || i.relname || '"', pg_get_indexdef(i.oid)
			FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
			WHERE t.relnamespace = current_schema()::regnamespace AND t.relname IN (` + placeholders(len(tables)) + `)
			AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.oid)
			UNION ALL
			SELECT 'DROP TRIGGER "' || tg.tgname || '" ON "' || t.relname || '"', pg_get_triggerdef(tg.oid)
			FROM pg_trigger tg JOIN pg_class t ON t.oid = tg.tgrelid
			WHERE t.relnamespace = current_schema()::regnamespace AND NOT tg.tgisinternal AND tg.tgname IN (` + placeholders(len(triggers)) + `)
			UNION ALL
			SELECT 'ALTER TABLE "' || t.relname || '" DROP CONSTRAINT "' || c.conname || '"',
				'ALTER TABLE "' || t.relname || '" ADD CONSTRAINT "' || c.conname || '" ' || pg_get_constraintdef(c.oid)
			FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid
			WHERE t.relnamespace = current_schema()::regnamespace AND c.contype = 'f' AND t.relname IN (` + placeholders(len(tables)) + `)
			ORDER BY 1`
		for _, t := range tables {
			args = append(args, t)
		}
	}
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	var drops, defs []string
	for rows.Next() {
		var drop, def string
		if err := rows.Scan(&drop, &def); err != nil {
			rows.Close()
			return nil, err
		}
		drops, defs = append(drops, drop), append(defs, def)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, drop := range drops {
		if _, err := tx.ExecContext(ctx, drop); err != nil {
			return nil, err
		}
	}
	return func() error {
		for _, def := range defs {
			if _, err := tx.ExecContext(ctx, def); err != nil {
				return err
			}
		}
		return nil
	}, nil
}

// accounts adds the users, organizations, memberships and repositories.
func (g *scaleGen) accounts() error {
	ctx, tx := g.ctx, g.tx
	created := timestamp(g.now.AddDate(-1, 0, -7))
	users := g.bulk(`users (login, email, name, password_hash, created_at)`, 5)
	users.add(ScaleOwnerLogin, ScaleOwnerLogin+"@example.com", "Scale Owner", g.hash, created)
	if g.spec.Orgs > 1 {
		users.add(ScaleSecondOwnerLogin, ScaleSecondOwnerLogin+"@example.com", "Scale Owner 2", g.hash, created)
	}
	for i := 1; i <= g.spec.Users; i++ {
		login := fmt.Sprintf("scale-user-%05d", i)
		users.add(login, login+"@example.com", fmt.Sprintf("Scale User %d", i), g.hash, created)
	}
	if err := users.close(); err != nil {
		return err
	}
	rows, err := tx.QueryContext(ctx, `SELECT id, login FROM users WHERE login IN (?, ?) OR login BETWEEN 'scale-user-' AND 'scale-user-~' ORDER BY login`,
		ScaleOwnerLogin, ScaleSecondOwnerLogin)
	if err != nil {
		return err
	}
	g.logins = map[int64]string{}
	for rows.Next() {
		var id int64
		var login string
		if err := rows.Scan(&id, &login); err != nil {
			rows.Close()
			return err
		}
		g.logins[id] = login
		switch login {
		case ScaleOwnerLogin:
			g.owner = id
		case ScaleSecondOwnerLogin:
			g.second = id
		default:
			g.users = append(g.users, id)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if len(g.users) != g.spec.Users || g.owner == 0 || (g.second == 0) != (g.spec.Orgs == 1) {
		return fmt.Errorf("scale users: found %d of %d", len(g.users), g.spec.Users)
	}

	members := g.bulk(`memberships (org_id, user_id, role)`, 3)
	repos := g.bulk(`repositories (org_id, name, private, created_at)`, 4)
	for i := 1; i <= g.spec.Orgs; i++ {
		login := fmt.Sprintf("scale-org-%02d", i)
		id, err := g.s.insertOrganization(ctx, tx, login, fmt.Sprintf("Scale Org %d", i), 0, true)
		if err != nil {
			return err
		}
		g.orgs = append(g.orgs, scaleOrg{id: id, login: login})
		members.add(id, g.owner, RoleOwner)
		if i == 2 {
			members.add(id, g.second, RoleOwner)
		}
		for _, u := range g.users {
			members.add(id, u, RoleMember)
		}
		for j := range g.spec.ReposPerOrg {
			name := fmt.Sprintf("%s-%s", strings.TrimPrefix(login, "scale-"), scaleWords[j%len(scaleWords)])
			if j >= len(scaleWords) {
				name = fmt.Sprintf("%s-%d", name, j/len(scaleWords)+1)
			}
			repos.add(id, name, j%3 != 0, created)
		}
	}
	if err := errors.Join(members.close(), repos.close()); err != nil {
		return err
	}
	for i := range g.orgs {
		o := &g.orgs[i]
		rows, err := tx.QueryContext(ctx, `SELECT id, org_id, name, private FROM repositories WHERE org_id = ? ORDER BY id`, o.id)
		if err != nil {
			return err
		}
		for rows.Next() {
			var r Repo
			if err := rows.Scan(&r.ID, &r.OrgID, &r.Name, &r.Private); err != nil {
				rows.Close()
				return err
			}
			o.repos = append(o.repos, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	return nil
}

// tokens adds every token with its grant, in one shuffled timeline over the
// past year so that ids grow with creation times and the organizations'
// rows interleave as they would in use.
func (g *scaleGen) tokens() (int, error) {
	var slots []scaleSlot
	add := func(org, n int, st policy.GrantStatus) {
		for range n {
			slots = append(slots, scaleSlot{org: org, status: st})
		}
	}
	add(0, g.spec.Pending, policy.GrantPending)
	add(0, g.spec.Active, policy.GrantApproved)
	add(0, g.spec.Denied, policy.GrantDenied)
	add(0, g.spec.Revoked, policy.GrantRevoked)
	for o := 1; o < len(g.orgs); o++ {
		add(o, g.spec.OtherPending, policy.GrantPending)
		add(o, g.spec.OtherActive, policy.GrantApproved)
	}
	g.rnd.Shuffle(len(slots), func(i, j int) { slots[i], slots[j] = slots[j], slots[i] })
	if len(slots) == 0 {
		return 0, nil
	}

	ctx, tx := g.ctx, g.tx
	var tokenBase, grantBase int64
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(max(id), 0) + 1 FROM tokens`).Scan(&tokenBase); err != nil {
		return 0, err
	}
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(max(id), 0) + 1 FROM grants`).Scan(&grantBase); err != nil {
		return 0, err
	}
	// On PostgreSQL ids come from each table's sequence: start it at base.
	if err := g.s.restartIDs(ctx, tx, "tokens", tokenBase); err != nil {
		return 0, err
	}
	if err := g.s.restartIDs(ctx, tx, "grants", grantBase); err != nil {
		return 0, err
	}
	// Rows take ids max+1 in the order they are written, so token i and
	// grant i get the ids base+i; idsFrom checks that afterwards. (Naming
	// the ids would cost each INSERT a statement journal, for the datatype
	// check on them.)
	tokens := g.bulk(`tokens (user_id, kind, name, description, hash, prefix, org_id, repository_selection, expires_at, created_at, last_used_at)`, 11)
	perms := g.bulk(`token_permissions (token_id, name, level)`, 3)
	repos := g.bulk(`token_repositories (token_id, repo_id)`, 2)
	grants := g.bulk(`grants (token_id, org_id, user_id, status, justification, reason, reviewer_id, created_at, decided_at)`, 9)
	var keys []scaleKey
	var events []scaleEvent
	var notes []scaleNote

	span := 365 * 24 * time.Hour
	start := g.now.Add(-span)
	step := span / time.Duration(len(slots)+1)
	allPerms := policy.Permissions()
	for i, slot := range slots {
		o := &g.orgs[slot.org]
		tokenID, grantID := tokenBase+int64(i), grantBase+int64(i)
		created := start.Add(step * time.Duration(i+1))
		r := g.rnd

		// Owners: skewed towards the first users; an owner's tokens need
		// no approval, so only approved ones may be the scale owner's.
		user := g.users[int(float64(len(g.users))*r.Float64()*r.Float64())]
		byOwner := slot.status == policy.GrantApproved && r.IntN(20) == 0
		if byOwner {
			user = g.owner
		}

		req := policy.TokenRequest{Permissions: map[string]policy.Level{}, Status: slot.status}
		switch x := r.IntN(10); {
		case x < 2:
			req.Selection = policy.SelectPublic
		case x < 5:
			req.Selection = policy.SelectAll
		default:
			req.Selection = policy.SelectSelected
			for range 1 + r.IntN(3) {
				id := o.repos[r.IntN(len(o.repos))].ID
				if !slices.Contains(req.RepoIDs, id) {
					req.RepoIDs = append(req.RepoIDs, id)
				}
			}
			slices.Sort(req.RepoIDs)
		}
		anyRepo := false
		for _, k := range r.Perm(len(allPerms))[:1+r.IntN(4)] {
			p := allPerms[k]
			level := policy.LevelRead
			if p.Name != policy.Metadata && r.IntN(3) == 0 {
				level = policy.LevelWrite
			}
			req.Permissions[p.Name] = level
			anyRepo = anyRepo || !p.Org
		}
		if anyRepo {
			req.Permissions[policy.Metadata] = policy.LevelRead
		}

		purpose := scalePurposes[r.IntN(len(scalePurposes))]
		word := scaleWords[r.IntN(len(scaleWords))]
		name := fmt.Sprintf("%s-%s-%d", purpose, word, i+1)
		desc := ""
		if r.IntN(3) == 0 {
			desc = fmt.Sprintf("Used by the %s %s job.", word, purpose)
		}
		if !byOwner {
			req.Justification = fmt.Sprintf(scaleWhy[r.IntN(len(scaleWhy))], o.login+"/"+word)
		}
		var expires any
		if days := policy.Expirations()[r.IntN(len(policy.Expirations()))]; days != 0 {
			expires = timestamp(policy.ExpiresAt(created, days))
		}

		// A review comes an hour to three days after the request, and
		// never after now.
		reviewed := created
		if !byOwner {
			reviewed = created.Add(time.Hour + time.Duration(r.Int64N(int64(71*time.Hour))))
			if reviewed.After(g.now) {
				reviewed = g.now
			}
		}
		// A revocation comes some time after the approval.
		approved := reviewed
		if slot.status == policy.GrantRevoked {
			reviewed = reviewed.Add(time.Duration(r.Int64N(int64(g.now.Sub(reviewed)) + 1)))
		}
		var lastUsed, decidedAt, reviewer any
		reason := ""
		switch slot.status {
		case policy.GrantApproved:
			decidedAt = timestamp(reviewed)
			if !byOwner {
				reviewer = g.owner
			}
			if r.IntN(10) < 6 {
				lastUsed = timestamp(reviewed.Add(time.Duration(r.Int64N(int64(g.now.Sub(reviewed)) + 1))))
			}
		case policy.GrantDenied, policy.GrantRevoked:
			decidedAt, reviewer = timestamp(reviewed), g.owner
			reason = scaleReasons[r.IntN(len(scaleReasons))]
		}

		secret := fmt.Sprintf("scale:%s:%d", g.salt, tokenID)
		hash := policy.HashToken(secret)
		prefix := "github_pat_" + base62Of(hash[:5])
		ts := timestamp(created)
		tokens.add(user, policy.KindFineGrained, name, desc, hash, prefix, o.id, req.Selection, expires, ts, lastUsed)
		for _, p := range allPerms {
			if level, ok := req.Permissions[p.Name]; ok {
				perms.add(tokenID, p.Name, level)
			}
		}
		for _, id := range req.RepoIDs {
			repos.add(tokenID, id)
		}
		grants.add(tokenID, o.id, user, slot.status, req.Justification, reason, reviewer, ts, decidedAt)
		for _, k := range grantKeys(user, req) {
			keys = append(keys, scaleKey{org: o.id, status: slot.status, key: k, grant: grantID})
		}
		if err := errors.Join(tokens.err, perms.err, repos.err, grants.err); err != nil {
			return 0, err
		}

		// What the application records of a creation and of the reviews
		// that follow it, as the caller's follow-ups say.
		change := GrantChange{TokenID: tokenID, GrantID: grantID, OrgID: o.id, UserID: user,
			Subject: policy.TokenSubject{Name: name, Owner: g.logins[user], Org: o.login}}
		record := func(f Follow, c GrantChange, at time.Time, actor int64, read bool) {
			if f == nil {
				return
			}
			up := f(c)
			for _, ev := range up.Events {
				events = append(events, scaleEvent{at: timestamp(at), org: o.id, actor: actor, action: ev.Action, details: ev.Details})
			}
			for _, n := range up.Notices {
				// The scale owner reviews every request, so a notice to an
				// organization's owners goes to them alone.
				to := n.UserID
				if n.OwnersOf != 0 {
					to = g.owner
				}
				notes = append(notes, scaleNote{at: timestamp(at), user: to, read: read, message: n.Message, link: n.Link})
			}
		}
		if byOwner {
			c := change
			c.Status, c.ByOwner = policy.GrantApproved, true
			record(g.created, c, created, user, false)
			continue
		}
		c := change
		c.Status = policy.GrantPending
		record(g.created, c, created, user, slot.status != policy.GrantPending)
		switch slot.status {
		case policy.GrantApproved, policy.GrantDenied, policy.GrantRevoked:
			if slot.status == policy.GrantRevoked {
				c.Status = policy.GrantApproved
				record(g.reviewed, c, approved, g.owner, true)
			}
			c.Status, c.Reason = slot.status, reason
			record(g.reviewed, c, reviewed, g.owner, r.IntN(4) != 0)
		}
	}
	if err := errors.Join(tokens.close(), perms.close(), repos.close(), grants.close()); err != nil {
		return 0, err
	}
	// The filter keys go in primary key order: each insert then lands
	// next to the one before.
	slices.SortFunc(keys, func(a, b scaleKey) int {
		return cmp.Or(cmp.Compare(a.org, b.org), cmp.Compare(a.status, b.status), strings.Compare(a.key, b.key), cmp.Compare(a.grant, b.grant))
	})
	keyRows := g.bulk(`grant_keys (org_id, status, key, grant_id)`, 4)
	for _, k := range keys {
		keyRows.add(k.org, k.status, k.key, k.grant)
	}
	if err := keyRows.close(); err != nil {
		return 0, err
	}
	if err := errors.Join(idsFrom(ctx, tx, "tokens", tokenBase, len(slots)), idsFrom(ctx, tx, "grants", grantBase, len(slots))); err != nil {
		return 0, err
	}

	// Audit events and notifications in time order, so that their ids
	// grow with their times as in use.
	slices.SortStableFunc(events, func(a, b scaleEvent) int { return strings.Compare(a.at, b.at) })
	audit := g.bulk(`audit_events (org_id, actor_id, action, details, created_at)`, 5)
	for _, ev := range events {
		audit.add(ev.org, ev.actor, ev.action, ev.details, ev.at)
	}
	slices.SortStableFunc(notes, func(a, b scaleNote) int { return strings.Compare(a.at, b.at) })
	notify := g.bulk(`notifications (user_id, message, link, created_at, read_at)`, 5)
	readAt := timestamp(g.now)
	for _, n := range notes {
		var read any
		if n.read {
			read = readAt
		}
		notify.add(n.user, n.message, n.link, n.at, read)
	}
	return len(slots), errors.Join(audit.close(), notify.close())
}

// restartIDs makes next the id of table's next row on PostgreSQL (where ids
// come from the table's sequence; on SQLite they are max+1 already).
func (s *Store) restartIDs(ctx context.Context, tx *sql.Tx, table string, next int64) error {
	if s.dialect != postgresDialect {
		return nil
	}
	_, err := tx.ExecContext(ctx, `SELECT setval(pg_get_serial_sequence(?, 'id'), ?, false)`, table, next)
	return err
}

// idsFrom checks that table's rows from id base on are exactly base to
// base+n-1.
func idsFrom(ctx context.Context, tx *sql.Tx, table string, base int64, n int) error {
	var c, lo, hi int64
	if err := tx.QueryRowContext(ctx, `SELECT count(*), COALESCE(min(id), 0), COALESCE(max(id), 0) FROM `+table+` WHERE id >= ?`, base).
		Scan(&c, &lo, &hi); err != nil {
		return err
	}
	if c != int64(n) || lo != base || hi != base+int64(n)-1 {
		return fmt.Errorf("scale data: %s ids %d..%d (%d rows), want %d..%d", table, lo, hi, c, base, base+int64(n)-1)
	}
	return nil
}

// base62Of spells b in the token alphabet, one character a byte.
func base62Of(b []byte) string {
	const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	out := make([]byte, len(b))
	for i, c := range b {
		out[i] = alphabet[int(c)%len(alphabet)]
	}
	return string(out)
}

// bulk batches rows into multi-row INSERTs through one prepared statement
// per batch size. The first error sticks in err and stops further writes.
type bulk struct {
	ctx   context.Context
	tx    *sql.Tx
	head  string
	cols  int
	batch int // rows per full statement
	full  *sql.Stmt
	args  []any
	err   error
}

// bulkRows is how many rows one statement carries, under SQLite's limit on
// parameters (32766).
const bulkRows = 400

// bulk starts a bulk INSERT into into, a table and its columns. On SQLite
// it is INSERT OR FAIL, which keeps no statement journal to undo a failed
// statement's rows (the whole load's transaction is rolled back instead).
func (g *scaleGen) bulk(into string, cols int) *bulk {
	verb := "INSERT OR FAIL INTO "
	if g.s.dialect == postgresDialect {
		verb = "INSERT INTO "
	}
	return &bulk{ctx: g.ctx, tx: g.tx, head: verb + into, cols: cols, batch: min(bulkRows, 32000/cols)}
}

func (b *bulk) statement(rows int) string {
	row := "(" + placeholders(b.cols) + ")"
	return b.head + " VALUES " + strings.TrimSuffix(strings.Repeat(row+",", rows), ",")
}

func (b *bulk) add(vals ...any) {
	if b.err != nil {
		return
	}
	if len(vals) != b.cols {
		b.err = fmt.Errorf("%s: %d values for %d columns", b.head, len(vals), b.cols)
		return
	}
	b.args = append(b.args, vals...)
	if len(b.args) < b.cols*b.batch {
		return
	}
	if b.full == nil {
		if b.full, b.err = b.tx.PrepareContext(b.ctx, b.statement(b.batch)); b.err != nil {
			return
		}
	}
	_, b.err = b.full.ExecContext(b.ctx, b.args...)
	b.args = b.args[:0]
}

// close writes the last rows and releases the statement.
func (b *bulk) close() error {
	if b.err == nil && len(b.args) > 0 {
		_, b.err = b.tx.ExecContext(b.ctx, b.statement(len(b.args)/b.cols), b.args...)
		b.args = b.args[:0]
	}
	if b.full != nil {
		b.full.Close()
		b.full = nil
	}
	return b.err
}
