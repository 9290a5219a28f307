package db

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"patpolicy/policy"
	"patpolicy/web/paths"
)

// tkRepoIDs maps an organization's repository names to their ids.
func tkRepoIDs(t *testing.T, s *Store, orgID int64) map[string]int64 {
	t.Helper()
	repos, err := s.ReposOf(context.Background(), orgID)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	for _, r := range repos {
		out[r.Name] = r.ID
	}
	return out
}

// tkTryCreate stores a new fine-grained token of user for org ("" for a
// token owned by the user), checked against the organization's current
// policy version, and returns its id and plaintext.
func tkTryCreate(t *testing.T, d demo, user, org string, req policy.TokenRequest) (int64, string, error) {
	t.Helper()
	secret, err := policy.GenerateToken(policy.KindFineGrained, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	nt := NewToken{UserID: d.users[user], Hash: policy.HashToken(secret), Prefix: policy.DisplayPrefix(secret),
		Kind: policy.KindFineGrained, FineGrained: req, Follow: tkCreated}
	if org != "" {
		nt.OrgID = d.orgs[org]
		nt.OrgVersion = orgPolicy(t, d.s, nt.OrgID).Version
	}
	id, err := d.s.CreateToken(context.Background(), nt)
	return id, secret, err
}

// tkCreated, tkDeleted and tkCancelled have a token's creation, its
// deletion and a request's cancel followed by what the application records
// of them (the store takes what it is given).
func tkCreated(c GrantChange) FollowUp {
	events, askOwners := policy.GrantCreated(c.Subject, c.Status, c.ByOwner)
	up := FollowUp{Events: events}
	if askOwners {
		up.Notices = []Notice{{OwnersOf: c.OrgID, Except: c.UserID,
			Message: policy.RequestNotice(c.Subject), Link: paths.OrgRequest(c.Subject.Org, c.GrantID)}}
	}
	return up
}

func tkDeleted(c GrantChange) FollowUp {
	return FollowUp{Events: policy.GrantDeleted(c.Subject, c.Status)}
}

func tkCancelled(c GrantChange) FollowUp { return FollowUp{Events: policy.GrantCancelled(c.Subject)} }

func tkCreate(t *testing.T, d demo, user, org string, req policy.TokenRequest) (int64, string) {
	t.Helper()
	id, secret, err := tkTryCreate(t, d, user, org, req)
	if err != nil {
		t.Fatalf("CreateToken(%s, %s, %s): %v", user, org, req.Name, err)
	}
	return id, secret
}

func tkClassic(t *testing.T, d demo, user, note string, scopes ...string) (int64, string) {
	t.Helper()
	id, secret, err := tkTryClassic(t, d, user, note, scopes...)
	if err != nil {
		t.Fatalf("CreateToken(classic %s): %v", note, err)
	}
	return id, secret
}

// tkTryClassic stores a classic token of user, and says why it could not.
func tkTryClassic(t *testing.T, d demo, user, note string, scopes ...string) (int64, string, error) {
	t.Helper()
	secret, err := policy.GenerateToken(policy.KindClassic, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	id, err := d.s.CreateToken(context.Background(), NewToken{UserID: d.users[user], Hash: policy.HashToken(secret),
		Prefix: policy.DisplayPrefix(secret), Kind: policy.KindClassic,
		Classic: policy.ClassicRequest{Note: note, ExpiresInDays: 30, Scopes: scopes}})
	return id, secret, err
}

// tkInt64 runs a query for one integer on the writer; 0 when there is no
// row.
func tkInt64(t *testing.T, s *Store, query string, args ...any) int64 {
	t.Helper()
	var n int64
	err := s.write.QueryRowContext(context.Background(), query, args...).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0
	}
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// tkGrantID is the id of a token's grant, 0 for none.
func tkGrantID(t *testing.T, s *Store, tokenID int64) int64 {
	t.Helper()
	return tkInt64(t, s, `SELECT id FROM grants WHERE token_id = ?`, tokenID)
}

// tkTokenID finds a user's fine-grained token by name.
func tkTokenID(t *testing.T, d demo, user, name string) int64 {
	t.Helper()
	id := tkInt64(t, d.s, `SELECT id FROM tokens WHERE user_id = ? AND name = ? AND kind = 'fine_grained'`, d.users[user], name)
	if id == 0 {
		t.Fatalf("no token %q of %s", name, user)
	}
	return id
}

// tkKeys lists a grant's filter keys as "org status key", sorted.
func tkKeys(t *testing.T, s *Store, grantID int64) []string {
	t.Helper()
	rows := dumpQuery(t, s.write, `SELECT org_id || '|' || status || '|' || key FROM grant_keys WHERE grant_id = ? ORDER BY key`, grantID)
	return strings.Fields(rows)
}

// tkWantKeys is what tkKeys should return.
func tkWantKeys(orgID int64, status policy.GrantStatus, keys ...string) []string {
	var out []string
	for _, k := range keys {
		out = append(out, fmt.Sprintf("%d|%s|%s", orgID, status, k))
	}
	slices.Sort(out)
	return out
}

// tkNote is one notification as stored.
type tkNote struct {
	Message, Link string
}

func tkNotes(t *testing.T, s *Store, userID int64) []tkNote {
	t.Helper()
	rows, err := s.write.QueryContext(context.Background(), `SELECT message, link FROM notifications WHERE user_id = ? ORDER BY id`, userID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []tkNote
	for rows.Next() {
		var n tkNote
		if err := rows.Scan(&n.Message, &n.Link); err != nil {
			t.Fatal(err)
		}
		out = append(out, n)
	}
	return out
}

// tkEvents lists an organization's audit events oldest first as
// "action|details|actor".
func tkEvents(t *testing.T, s *Store, orgID int64) []string {
	t.Helper()
	evs := auditEvents(t, s, AuditQuery{OrgID: orgID, Limit: 10000})
	out := make([]string, len(evs))
	for i, e := range evs {
		out[len(evs)-1-i] = e.Action + "|" + e.Details + "|" + e.ActorLogin
	}
	return out
}

// tkAddMember makes user a member of org with role.
func tkAddMember(t *testing.T, d demo, org int64, user string, role Role) {
	t.Helper()
	if _, err := d.s.write.ExecContext(context.Background(), `INSERT INTO memberships (org_id, user_id, role) VALUES (?, ?, ?)`,
		org, d.users[user], role); err != nil {
		t.Fatal(err)
	}
}

func TestCreateTokenUserOwned(t *testing.T) {
	ctx := context.Background()
	d := seededTest(t)
	d.s.now = func() time.Time { return fixedNow }
	notesBefore := count(t, d.s, `SELECT count(*) FROM notifications`)
	req := policy.TokenRequest{Name: "mine", Description: "My scripts", ExpiresInDays: 30, Selection: policy.SelectAll,
		Justification: "ignored without an organization",
		Permissions:   map[string]policy.Level{"contents": policy.LevelWrite, policy.Metadata: policy.LevelRead}}
	id, secret := tkCreate(t, d, "mona", "", req)

	got := dumpQuery(t, d.s.write, `SELECT user_id, kind, name, description, prefix, org_id, repository_selection, scopes, expires_at, created_at, last_used_at
		FROM tokens WHERE id = ?`, id)
	want := fmt.Sprintln(d.users["mona"], "fine_grained", "mine", "My scripts", secret[:16], nil, "all", "",
		timestamp(fixedNow.AddDate(0, 0, 30)), timestamp(fixedNow), nil)
	if got != want {
		t.Errorf("token row:\n%s\nwant:\n%s", got, want)
	}
	if got := dumpQuery(t, d.s.write, `SELECT name, level FROM token_permissions WHERE token_id = ? ORDER BY name`, id); got != "contents write\nmetadata read\n" {
		t.Errorf("permissions:\n%s", got)
	}
	if n := count(t, d.s, `SELECT count(*) FROM token_repositories WHERE token_id = ?`, id); n != 0 {
		t.Errorf("%d repositories for an all-repositories token", n)
	}
	if g := tkGrantID(t, d.s, id); g != 0 {
		t.Errorf("a token owned by the user got grant %d", g)
	}
	if n := count(t, d.s, `SELECT count(*) FROM audit_events`); n != 0 {
		t.Errorf("%d audit events for a token owned by the user", n)
	}
	if n := count(t, d.s, `SELECT count(*) FROM notifications`); n != notesBefore {
		t.Errorf("notifications %d → %d for a token owned by the user", notesBefore, n)
	}

	tok, err := d.s.TokenOf(ctx, d.users["mona"], id)
	if err != nil {
		t.Fatal(err)
	}
	if tok.Grant != nil || tok.OrgID != 0 || tok.OrgLogin != "" || tok.Kind != policy.KindFineGrained || tok.Name != "mine" ||
		tok.Selection != policy.SelectAll || tok.Prefix != policy.DisplayPrefix(secret) || tok.OwnerLogin != "mona" {
		t.Errorf("TokenOf = %+v", tok)
	}
	if !tok.ExpiresAt.Equal(fixedNow.AddDate(0, 0, 30).Truncate(time.Microsecond)) || !tok.CreatedAt.Equal(fixedNow.Truncate(time.Microsecond)) || !tok.LastUsedAt.IsZero() {
		t.Errorf("times: expires %v, created %v, used %v", tok.ExpiresAt, tok.CreatedAt, tok.LastUsedAt)
	}

	// No expiration is stored as none.
	id2, _ := tkCreate(t, d, "mona", "", policy.TokenRequest{Name: "forever", Selection: policy.SelectPublic, Permissions: map[string]policy.Level{}})
	if n := count(t, d.s, `SELECT count(*) FROM tokens WHERE id = ? AND expires_at IS NULL`, id2); n != 1 {
		t.Error("a token without expiration got an expiry")
	}
	if tok, err := d.s.TokenOf(ctx, d.users["mona"], id2); err != nil || !tok.ExpiresAt.IsZero() {
		t.Errorf("TokenOf(forever) expires %v, %v; want never", tok.ExpiresAt, err)
	}
}

func TestCreateTokenPendingRequest(t *testing.T) {
	ctx := context.Background()
	d := seededTest(t)
	d.s.now = func() time.Time { return fixedNow }
	org := d.orgs["octo-org"]
	repos := tkRepoIDs(t, d.s, org)
	// A second owner, to see that every owner hears of the request.
	tkAddMember(t, d, org, "ent-admin", RoleOwner)
	before := map[string]int{}
	for login, id := range d.users {
		before[login] = len(tkNotes(t, d.s, id))
	}

	req := policy.TokenRequest{Name: "deploy-2", ExpiresInDays: 90, Justification: "Ships releases",
		Selection: policy.SelectSelected, RepoIDs: []int64{repos["octo-api"], repos["octo-infra"]}, Status: policy.GrantPending,
		Permissions: map[string]policy.Level{"contents": policy.LevelRead, "issues": policy.LevelWrite, policy.Metadata: policy.LevelRead}}
	id, _ := tkCreate(t, d, "mona", "octo-org", req)
	grant := tkGrantID(t, d.s, id)
	if grant == 0 {
		t.Fatal("no grant")
	}

	got := dumpQuery(t, d.s.write, `SELECT token_id, org_id, user_id, status, justification, reason, reviewer_id, created_at, decided_at
		FROM grants WHERE id = ?`, grant)
	want := fmt.Sprintln(id, org, d.users["mona"], "pending", "Ships releases", "", nil, timestamp(fixedNow), nil)
	if got != want {
		t.Errorf("grant row:\n%s\nwant:\n%s", got, want)
	}
	if got := dumpQuery(t, d.s.write, `SELECT repo_id FROM token_repositories WHERE token_id = ? ORDER BY repo_id`, id); got != fmt.Sprintf("%d\n%d\n", min(repos["octo-api"], repos["octo-infra"]), max(repos["octo-api"], repos["octo-infra"])) {
		t.Errorf("repositories:\n%s", got)
	}
	if got := dumpQuery(t, d.s.write, `SELECT org_id FROM tokens WHERE id = ?`, id); got != fmt.Sprintln(org) {
		t.Errorf("token org %s, want %d", got, org)
	}
	wantKeys := tkWantKeys(org, policy.GrantPending, fmt.Sprintf("u:%d", d.users["mona"]),
		fmt.Sprintf("r:%d", repos["octo-api"]), fmt.Sprintf("r:%d", repos["octo-infra"]), "p:contents", "p:issues", "p:metadata")
	if got := tkKeys(t, d.s, grant); !slices.Equal(got, wantKeys) {
		t.Errorf("grant keys %v, want %v", got, wantKeys)
	}

	if got, want := tkEvents(t, d.s, org), []string{policy.ActionRequestCreated + "|Token “deploy-2” of mona on octo-org|mona"}; !slices.Equal(got, want) {
		t.Errorf("octo-org events %q, want %q", got, want)
	}
	if n := count(t, d.s, `SELECT count(*) FROM audit_events WHERE org_id IS DISTINCT FROM ? OR enterprise_id IS NOT NULL`, org); n != 0 {
		t.Errorf("%d audit events outside octo-org's log", n)
	}

	wantNote := tkNote{"mona requests access to octo-org with token “deploy-2”.",
		fmt.Sprintf("/organizations/octo-org/settings/personal-access-token-requests/%d", grant)}
	for login, id := range d.users {
		notes := tkNotes(t, d.s, id)
		switch login {
		case "octo-owner", "ent-admin":
			if len(notes) != before[login]+1 || notes[len(notes)-1] != wantNote {
				t.Errorf("owner %s notifications %v, want one more: %v", login, notes, wantNote)
			}
		default:
			if len(notes) != before[login] {
				t.Errorf("%s (not an owner) was notified: %v", login, notes[before[login]:])
			}
		}
	}

	tok, err := d.s.TokenOf(ctx, d.users["mona"], id)
	if err != nil {
		t.Fatal(err)
	}
	if tok.Grant == nil || tok.Grant.ID != grant || tok.Grant.Status != policy.GrantPending || tok.Grant.Justification != "Ships releases" ||
		!tok.Grant.DecidedAt.IsZero() || tok.Grant.Reviewer != "" || tok.OrgLogin != "octo-org" || tok.OrgID != org {
		t.Errorf("TokenOf grant = %+v (token %+v)", tok.Grant, tok)
	}
	if !maps.Equal(tok.Permissions, req.Permissions) {
		t.Errorf("permissions %v, want %v", tok.Permissions, req.Permissions)
	}
	var names []string
	for _, r := range tok.Repos {
		names = append(names, r.Name)
		if !r.Private || r.OrgID != org {
			t.Errorf("repo %+v", r)
		}
	}
	if !slices.Equal(names, []string{"octo-api", "octo-infra"}) {
		t.Errorf("repos %v, want octo-api, octo-infra by name", names)
	}
}

func TestCreateTokenRequesterNotNotified(t *testing.T) {
	// An owner's own request (the rules make it approved, but the store
	// takes what it is given) goes to the other owners only.
	d := seededTest(t)
	org := d.orgs["octo-org"]
	tkAddMember(t, d, org, "ent-admin", RoleOwner)
	ownerBefore := len(tkNotes(t, d.s, d.users["octo-owner"]))
	adminBefore := len(tkNotes(t, d.s, d.users["ent-admin"]))
	tkCreate(t, d, "octo-owner", "octo-org", policy.TokenRequest{Name: "self", ExpiresInDays: 7, Selection: policy.SelectPublic,
		Status: policy.GrantPending, Permissions: map[string]policy.Level{}})
	if n := len(tkNotes(t, d.s, d.users["octo-owner"])); n != ownerBefore {
		t.Errorf("the requester was notified of their own request (%d → %d)", ownerBefore, n)
	}
	if n := len(tkNotes(t, d.s, d.users["ent-admin"])); n != adminBefore+1 {
		t.Errorf("the other owner has %d notifications, want %d", n, adminBefore+1)
	}
	if got := tkEvents(t, d.s, org); len(got) != 1 || !strings.HasPrefix(got[0], policy.ActionRequestCreated+"|") {
		t.Errorf("events %q, want one request_created", got)
	}
}

func TestCreateTokenApprovedByOwner(t *testing.T) {
	d := seededTest(t)
	d.s.now = func() time.Time { return fixedNow }
	org := d.orgs["octo-org"]
	notesBefore := count(t, d.s, `SELECT count(*) FROM notifications`)
	id, _ := tkCreate(t, d, "octo-owner", "octo-org", policy.TokenRequest{Name: "admin-bot", ExpiresInDays: 7,
		Selection: policy.SelectPublic, Status: policy.GrantApproved,
		Permissions: map[string]policy.Level{"members": policy.LevelWrite}})
	grant := tkGrantID(t, d.s, id)
	got := dumpQuery(t, d.s.write, `SELECT status, justification, created_at, decided_at FROM grants WHERE id = ?`, grant)
	if want := fmt.Sprintln("approved", "", timestamp(fixedNow), timestamp(fixedNow)); got != want {
		t.Errorf("grant row %q, want %q", got, want)
	}
	wantKeys := tkWantKeys(org, policy.GrantApproved, fmt.Sprintf("u:%d", d.users["octo-owner"]), "r:public", "p:members")
	if got := tkKeys(t, d.s, grant); !slices.Equal(got, wantKeys) {
		t.Errorf("grant keys %v, want %v", got, wantKeys)
	}
	want := []string{policy.ActionAccessGranted + "|Token “admin-bot” of octo-owner on octo-org: created by an owner, no approval needed|octo-owner"}
	if got := tkEvents(t, d.s, org); !slices.Equal(got, want) {
		t.Errorf("events %q, want %q", got, want)
	}
	if n := count(t, d.s, `SELECT count(*) FROM notifications`); n != notesBefore {
		t.Errorf("an owner's token made %d notifications", n-notesBefore)
	}
}

func TestCreateTokenApprovedWithoutApproval(t *testing.T) {
	ctx := context.Background()
	d := seededTest(t)
	org := d.orgs["octo-org"]
	cur := orgPolicy(t, d.s, org)
	next := cur.Own
	next.Approval = policy.ApprovalNotRequired
	if err := d.s.SaveOrgPolicy(ctx, org, d.users["octo-owner"], cur.Version, next, policy.OrgEvents(cur.Own, next), grApprovedAsOff); err != nil {
		t.Fatal(err)
	}
	eventsBefore := tkEvents(t, d.s, org)
	ownerNotes := len(tkNotes(t, d.s, d.users["octo-owner"]))

	id, _ := tkCreate(t, d, "hubot", "octo-org", policy.TokenRequest{Name: "reader", ExpiresInDays: 30, Justification: "CI",
		Selection: policy.SelectAll, Status: policy.GrantApproved, Permissions: map[string]policy.Level{policy.Metadata: policy.LevelRead}})
	grant := tkGrantID(t, d.s, id)
	if got := dumpQuery(t, d.s.write, `SELECT status, justification, CASE WHEN decided_at IS NULL THEN 0 ELSE 1 END FROM grants WHERE id = ?`, grant); got != "approved CI 1\n" {
		t.Errorf("grant %q", got)
	}
	wantKeys := tkWantKeys(org, policy.GrantApproved, fmt.Sprintf("u:%d", d.users["hubot"]), "r:all", "p:metadata")
	if got := tkKeys(t, d.s, grant); !slices.Equal(got, wantKeys) {
		t.Errorf("grant keys %v, want %v", got, wantKeys)
	}
	got := tkEvents(t, d.s, org)[len(eventsBefore):]
	want := []string{
		policy.ActionRequestCreated + "|Token “reader” of hubot on octo-org|hubot",
		policy.ActionAccessGranted + "|Token “reader” of hubot on octo-org: approval is not required|hubot",
	}
	if !slices.Equal(got, want) {
		t.Errorf("new events %q, want %q", got, want)
	}
	if n := len(tkNotes(t, d.s, d.users["octo-owner"])); n != ownerNotes {
		t.Errorf("owners were asked to review an approved token (%d → %d notifications)", ownerNotes, n)
	}
}

func TestCreateTokenStale(t *testing.T) {
	ctx := context.Background()
	d := seededTest(t)
	org := d.orgs["octo-org"]
	cur := orgPolicy(t, d.s, org)
	req := policy.TokenRequest{Name: "late", ExpiresInDays: 90, Selection: policy.SelectAll, Status: policy.GrantPending,
		Justification: "j", Permissions: map[string]policy.Level{policy.Metadata: policy.LevelRead}}
	newToken := func(version int) NewToken {
		secret, err := policy.GenerateToken(policy.KindFineGrained, rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return NewToken{UserID: d.users["mona"], Hash: policy.HashToken(secret), Prefix: policy.DisplayPrefix(secret),
			Kind: policy.KindFineGrained, FineGrained: req, OrgID: org, OrgVersion: version, Follow: tkCreated}
	}

	// An owner set a 30-day maximum since the form was checked.
	next := cur.Own
	next.FineGrainedLifetime = 30
	if err := d.s.SaveOrgPolicy(ctx, org, d.users["octo-owner"], cur.Version, next, policy.OrgEvents(cur.Own, next), grApprovedAsOff); err != nil {
		t.Fatal(err)
	}
	before := dump(t, d.s)
	for _, v := range []int{cur.Version, cur.Version + 2, 0} {
		if _, err := d.s.CreateToken(ctx, newToken(v)); !errors.Is(err, ErrStale) {
			t.Errorf("CreateToken at version %d: %v, want ErrStale", v, err)
		}
	}
	if after := dump(t, d.s); after != before {
		t.Errorf("stale creations wrote:\nbefore:\n%s\nafter:\n%s", before, after)
	}

	// The enterprise's save moves its organizations' versions too.
	v := orgPolicy(t, d.s, org).Version
	ent, entVersion, err := d.s.EnterprisePolicy(ctx, d.ent)
	if err != nil {
		t.Fatal(err)
	}
	entNext := ent
	entNext.FineGrainedLifetime = 7
	if err := d.s.SaveEnterprisePolicy(ctx, d.ent, d.users["ent-admin"], entVersion, entNext, policy.EnterpriseEvents(ent, entNext), grApprovedAsOff); err != nil {
		t.Fatal(err)
	}
	if _, err := d.s.CreateToken(ctx, newToken(v)); !errors.Is(err, ErrStale) {
		t.Errorf("CreateToken after an enterprise save: %v, want ErrStale", err)
	}
	if n := count(t, d.s, `SELECT count(*) FROM tokens WHERE name = 'late'`); n != 0 {
		t.Errorf("%d stale tokens stored", n)
	}
	// On the current version it goes through.
	if _, err := d.s.CreateToken(ctx, newToken(orgPolicy(t, d.s, org).Version)); err != nil {
		t.Errorf("CreateToken at the current version: %v", err)
	}
	// A token owned by the user checks no organization's version.
	uo := newToken(-5)
	uo.OrgID, uo.FineGrained.Name, uo.FineGrained.Status = 0, "own", ""
	if _, err := d.s.CreateToken(ctx, uo); err != nil {
		t.Errorf("CreateToken(user-owned): %v", err)
	}
}

func TestCreateTokenDuplicateName(t *testing.T) {
	ctx := context.Background()
	d := seededTest(t)
	// mona's demo request is "deploy-bot".
	dupe := policy.TokenRequest{Name: "deploy-bot", ExpiresInDays: 7, Selection: policy.SelectPublic,
		Status: policy.GrantPending, Justification: "again", Permissions: map[string]policy.Level{}}
	before := dump(t, d.s)
	for _, org := range []string{"octo-org", ""} {
		r := dupe
		if org == "" {
			r.Status = ""
		}
		if _, _, err := tkTryCreate(t, d, "mona", org, r); !errors.Is(err, ErrDuplicateName) {
			t.Errorf("mona's second deploy-bot (org %q): %v, want ErrDuplicateName", org, err)
		}
	}
	if after := dump(t, d.s); after != before {
		t.Errorf("refused duplicates wrote:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	// Another user may use the name.
	tkCreate(t, d, "octo-owner", "", policy.TokenRequest{Name: "deploy-bot", ExpiresInDays: 7, Selection: policy.SelectPublic})
	// A classic note may match a fine-grained name, and another user's
	// note, but not a note of the same user's classic tokens.
	tkClassic(t, d, "mona", "deploy-bot", "repo")
	tkClassic(t, d, "octo-owner", "deploy-bot", "repo")
	before = dump(t, d.s)
	if _, _, err := tkTryClassic(t, d, "mona", "deploy-bot", "workflow"); !errors.Is(err, ErrDuplicateNote) {
		t.Errorf("mona's second classic deploy-bot: %v, want ErrDuplicateNote", err)
	}
	if after := dump(t, d.s); after != before {
		t.Errorf("a refused classic duplicate wrote:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	// Once deleted, the name is free again.
	if err := d.s.DeleteToken(ctx, d.users["mona"], tkTokenID(t, d, "mona", "deploy-bot"), tkDeleted); err != nil {
		t.Fatal(err)
	}
	if _, _, err := tkTryCreate(t, d, "mona", "octo-org", dupe); err != nil {
		t.Errorf("deploy-bot after deleting the first: %v", err)
	}
}

func TestCreateTokenStoresOnlyTheHash(t *testing.T) {
	ctx := context.Background()
	d := seededTest(t)
	repos := tkRepoIDs(t, d.s, d.orgs["octo-org"])
	var secrets []string
	var ids []int64
	for i, org := range []string{"", "octo-org", "octo-org"} {
		status := policy.GrantPending
		if org == "" {
			status = ""
		}
		id, secret := tkCreate(t, d, "mona", org, policy.TokenRequest{Name: fmt.Sprintf("t%d", i), ExpiresInDays: 7,
			Selection: policy.SelectSelected, RepoIDs: []int64{repos["octo-web"]}, Status: status, Justification: "j",
			Permissions: map[string]policy.Level{"contents": policy.LevelRead, policy.Metadata: policy.LevelRead}})
		secrets, ids = append(secrets, secret), append(ids, id)
	}
	id, secret := tkClassic(t, d, "hubot", "ci", "repo", "workflow")
	secrets, ids = append(secrets, secret), append(ids, id)
	// Reviews and notifications must not leak it either.
	if _, err := d.s.Review(ctx, GrantReview{Follow: grReviewed, OrgID: d.orgs["octo-org"], ActorID: d.users["octo-owner"],
		IDs: []int64{tkGrantID(t, d.s, ids[1])}, From: policy.GrantPending, To: policy.GrantApproved}); err != nil {
		t.Fatal(err)
	}

	all := dump(t, d.s)
	for i, s := range secrets {
		for _, part := range []string{s, s[policy.DisplayPrefixLength:], s[len(s)-20:]} {
			if strings.Contains(all, part) {
				t.Errorf("token %d: %q is stored in plaintext", i, part)
			}
		}
		var hash []byte
		var prefix string
		if err := d.s.write.QueryRowContext(ctx, `SELECT hash, prefix FROM tokens WHERE id = ?`, ids[i]).Scan(&hash, &prefix); err != nil {
			t.Fatal(err)
		}
		if string(hash) != string(policy.HashToken(s)) {
			t.Errorf("token %d: stored hash %x, want the SHA-256 of the token", i, hash)
		}
		if prefix != s[:16] {
			t.Errorf("token %d: prefix %q, want %q", i, prefix, s[:16])
		}
	}
}

func TestTokensOfAndTokenOf(t *testing.T) {
	ctx := context.Background()
	d := seededTest(t)
	mona := d.users["mona"]
	deploy := tkTokenID(t, d, "mona", "deploy-bot")
	own, _ := tkCreate(t, d, "mona", "", policy.TokenRequest{Name: "own", ExpiresInDays: 60, Selection: policy.SelectPublic,
		Permissions: map[string]policy.Level{}})
	classic, _ := tkClassic(t, d, "mona", "ci note", "repo", "user")

	fg, err := d.s.TokensOf(ctx, mona, policy.KindFineGrained, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(fg) != 2 || fg[0].ID != own || fg[1].ID != deploy {
		t.Fatalf("fine-grained tokens %+v, want own then deploy-bot", fg)
	}
	if fg[0].Grant != nil || fg[0].OrgLogin != "" {
		t.Errorf("own token: %+v", fg[0])
	}
	g := fg[1].Grant
	if fg[1].OrgLogin != "octo-org" || fg[1].OwnerLogin != "mona" || fg[1].Selection != policy.SelectSelected ||
		g == nil || g.Status != policy.GrantPending || g.Justification != "Deploys the API" || g.CreatedAt.IsZero() {
		t.Errorf("deploy-bot: %+v grant %+v", fg[1], g)
	}
	cl, err := d.s.TokensOf(ctx, mona, policy.KindClassic, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(cl) != 1 || cl[0].ID != classic || cl[0].Kind != policy.KindClassic || cl[0].Name != "ci note" ||
		!slices.Equal(cl[0].Scopes, []string{"repo", "user"}) || cl[0].Grant != nil || cl[0].ExpiresAt.IsZero() {
		t.Errorf("classic tokens %+v", cl)
	}
	if none, err := d.s.TokensOf(ctx, d.users["ent-admin"], policy.KindFineGrained, 0, 0); err != nil || len(none) != 0 {
		t.Errorf("ent-admin's tokens %v, %v; want none", none, err)
	}

	tok, err := d.s.TokenOf(ctx, mona, deploy)
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]policy.Level{"contents": policy.LevelRead, policy.Metadata: policy.LevelRead}; !maps.Equal(tok.Permissions, want) {
		t.Errorf("permissions %v, want %v", tok.Permissions, want)
	}
	if len(tok.Repos) != 1 || tok.Repos[0].Name != "octo-api" || !tok.Repos[0].Private {
		t.Errorf("repos %+v, want octo-api", tok.Repos)
	}
	// Another user's token, or none, is not found.
	for _, c := range []struct {
		user  string
		token int64
	}{{"hubot", deploy}, {"octo-owner", deploy}, {"hubot", classic}, {"mona", 1 << 40}, {"mona", 0}} {
		if _, err := d.s.TokenOf(ctx, d.users[c.user], c.token); !errors.Is(err, ErrNotFound) {
			t.Errorf("TokenOf(%s, %d) err = %v, want ErrNotFound", c.user, c.token, err)
		}
	}
}

// tkRowsOf counts what is stored about a token, in every table that holds it.
func tkRowsOf(t *testing.T, s *Store, tokenID, grantID int64) string {
	t.Helper()
	return fmt.Sprint(
		count(t, s, `SELECT count(*) FROM tokens WHERE id = ?`, tokenID),
		count(t, s, `SELECT count(*) FROM token_permissions WHERE token_id = ?`, tokenID),
		count(t, s, `SELECT count(*) FROM token_repositories WHERE token_id = ?`, tokenID),
		count(t, s, `SELECT count(*) FROM grants WHERE token_id = ? OR id = ?`, tokenID, grantID),
		count(t, s, `SELECT count(*) FROM grant_keys WHERE grant_id = ?`, grantID),
	)
}

func TestDeleteToken(t *testing.T) {
	ctx := context.Background()
	d := seededTest(t)
	org := d.orgs["octo-org"]
	repos := tkRepoIDs(t, d.s, org)
	owner := d.users["octo-owner"]
	review := func(token int64, from, to policy.GrantStatus) {
		t.Helper()
		if res, err := d.s.Review(ctx, GrantReview{Follow: grReviewed, OrgID: org, ActorID: owner, IDs: []int64{tkGrantID(t, d.s, token)}, From: from, To: to}); err != nil || len(res.Moved) != 1 {
			t.Fatalf("Review %s→%s: %+v, %v", from, to, res, err)
		}
	}
	denied := tkTokenID(t, d, "hubot", "ci-reader")
	review(denied, policy.GrantPending, policy.GrantDenied)
	revoked, _ := tkCreate(t, d, "hubot", "octo-org", policy.TokenRequest{Name: "gone", ExpiresInDays: 7, Selection: policy.SelectSelected,
		RepoIDs: []int64{repos["octo-web"]}, Status: policy.GrantPending, Justification: "j",
		Permissions: map[string]policy.Level{"issues": policy.LevelRead, policy.Metadata: policy.LevelRead}})
	review(revoked, policy.GrantPending, policy.GrantApproved)
	review(revoked, policy.GrantApproved, policy.GrantRevoked)
	own, _ := tkCreate(t, d, "hubot", "", policy.TokenRequest{Name: "own", ExpiresInDays: 7, Selection: policy.SelectPublic,
		Permissions: map[string]policy.Level{"contents": policy.LevelRead}})
	classic, _ := tkClassic(t, d, "hubot", "note", "repo")

	tests := []struct {
		name  string
		user  string
		token int64
		event string // "" for none
	}{
		{"pending", "mona", tkTokenID(t, d, "mona", "deploy-bot"),
			policy.ActionRequestCancelled + "|Token “deploy-bot” of mona on octo-org: deleted by its owner|mona"},
		{"approved", "octo-owner", tkTokenID(t, d, "octo-owner", "owner-automation"),
			policy.ActionAccessRevoked + "|Token “owner-automation” of octo-owner on octo-org: deleted by its owner|octo-owner"},
		{"denied", "hubot", denied, ""},
		{"revoked", "hubot", revoked, ""},
		{"user-owned", "hubot", own, ""},
		{"classic", "hubot", classic, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			grant := tkGrantID(t, d.s, tt.token)
			eventsBefore := tkEvents(t, d.s, org)
			// Nobody else can delete it.
			for login := range d.users {
				if login == tt.user {
					continue
				}
				if err := d.s.DeleteToken(ctx, d.users[login], tt.token, tkDeleted); !errors.Is(err, ErrNotFound) {
					t.Errorf("DeleteToken by %s: %v, want ErrNotFound", login, err)
				}
			}
			if got := tkRowsOf(t, d.s, tt.token, grant); strings.HasPrefix(got, "0") {
				t.Fatalf("token gone after others' deletes: %s", got)
			}
			if err := d.s.DeleteToken(ctx, d.users[tt.user], tt.token, tkDeleted); err != nil {
				t.Fatalf("DeleteToken: %v", err)
			}
			if got := tkRowsOf(t, d.s, tt.token, grant); got != "0 0 0 0 0" {
				t.Errorf("rows left (tokens, permissions, repositories, grants, keys): %s", got)
			}
			got := tkEvents(t, d.s, org)[len(eventsBefore):]
			var want []string
			if tt.event != "" {
				want = []string{tt.event}
			}
			if !slices.Equal(got, want) {
				t.Errorf("events %q, want %q", got, want)
			}
			if err := d.s.DeleteToken(ctx, d.users[tt.user], tt.token, tkDeleted); !errors.Is(err, ErrNotFound) {
				t.Errorf("second DeleteToken: %v, want ErrNotFound", err)
			}
		})
	}
	if n := count(t, d.s, `SELECT count(*) FROM tokens`); n != 0 {
		t.Errorf("%d tokens left", n)
	}
	if n := count(t, d.s, `SELECT count(*) FROM grant_keys`); n != 0 {
		t.Errorf("%d grant keys left", n)
	}
}

func TestCancelRequest(t *testing.T) {
	ctx := context.Background()
	d := seededTest(t)
	org := d.orgs["octo-org"]
	mona, hubot := d.users["mona"], d.users["hubot"]
	deploy := tkTokenID(t, d, "mona", "deploy-bot")
	deployGrant := tkGrantID(t, d.s, deploy)
	ci := tkTokenID(t, d, "hubot", "ci-reader")
	automation := tkTokenID(t, d, "octo-owner", "owner-automation")
	own, _ := tkCreate(t, d, "mona", "", policy.TokenRequest{Name: "own", ExpiresInDays: 7, Selection: policy.SelectPublic})
	if _, err := d.s.Review(ctx, GrantReview{Follow: grReviewed, OrgID: org, ActorID: d.users["octo-owner"], IDs: []int64{tkGrantID(t, d.s, ci)},
		From: policy.GrantPending, To: policy.GrantDenied, Reason: "no"}); err != nil {
		t.Fatal(err)
	}

	before := dump(t, d.s)
	for _, c := range []struct {
		user  int64
		token int64
		want  error
	}{
		{hubot, deploy, ErrNotFound},                       // another user's request
		{d.users["octo-owner"], deploy, ErrNotFound},       // even an owner's
		{d.users["octo-owner"], automation, ErrNotPending}, // approved
		{hubot, ci, ErrNotPending},                         // denied
		{mona, own, ErrNotFound},                           // no grant at all
		{mona, 1 << 40, ErrNotFound},
	} {
		if err := d.s.CancelRequest(ctx, c.user, c.token, tkCancelled); !errors.Is(err, c.want) {
			t.Errorf("CancelRequest(%d, %d) = %v, want %v", c.user, c.token, err, c.want)
		}
	}
	if after := dump(t, d.s); after != before {
		t.Errorf("refused cancels changed the database:\nbefore:\n%s\nafter:\n%s", before, after)
	}

	eventsBefore := tkEvents(t, d.s, org)
	if err := d.s.CancelRequest(ctx, mona, deploy, tkCancelled); err != nil {
		t.Fatalf("CancelRequest: %v", err)
	}
	if got := tkRowsOf(t, d.s, deploy, deployGrant); got != "0 0 0 0 0" {
		t.Errorf("rows left after cancelling: %s", got)
	}
	got := tkEvents(t, d.s, org)[len(eventsBefore):]
	if want := []string{policy.ActionRequestCancelled + "|Token “deploy-bot” of mona on octo-org|mona"}; !slices.Equal(got, want) {
		t.Errorf("events %q, want %q", got, want)
	}
	if err := d.s.CancelRequest(ctx, mona, deploy, tkCancelled); !errors.Is(err, ErrNotFound) {
		t.Errorf("second cancel: %v, want ErrNotFound", err)
	}
}

func TestTokenTargets(t *testing.T) {
	ctx := context.Background()
	d := seededTest(t)
	targets, err := d.s.TokenTargets(ctx, d.users["mona"])
	if err != nil {
		t.Fatal(err)
	}
	if len(targets) != 2 || targets[0].Rules.Login != "octo-org" || targets[1].Rules.Login != "solo-org" {
		t.Fatalf("targets %+v, want octo-org and solo-org", targets)
	}
	octo, solo := targets[0], targets[1]
	if octo.OrgID != d.orgs["octo-org"] || octo.Version != orgPolicy(t, d.s, octo.OrgID).Version || octo.Rules.IsOwner ||
		!octo.Rules.Offered() || !octo.Rules.NeedsApproval() || len(octo.Rules.Repos) != 3 || len(octo.Repos) != 3 {
		t.Errorf("octo-org target %+v", octo)
	}
	for _, r := range octo.Repos {
		if octo.Rules.Repos[r.ID] != r.Name {
			t.Errorf("rules repos %v lack %+v", octo.Rules.Repos, r)
		}
	}
	if solo.Rules.Offered() {
		t.Errorf("solo-org (not opted in) offered: %+v", solo.Rules.Effective)
	}
	owner, err := d.s.TokenTargets(ctx, d.users["octo-owner"])
	if err != nil || len(owner) != 2 || !owner[0].Rules.IsOwner || owner[0].Rules.NeedsApproval() {
		t.Errorf("octo-owner's targets %+v, %v; want an owner needing no approval", owner, err)
	}
	if none, err := d.s.TokenTargets(ctx, d.users["ent-admin"]); err != nil || len(none) != 0 {
		t.Errorf("ent-admin's targets %v, %v; want none", none, err)
	}
}

func TestWithdrawnGrantsAreRememberedAndIDsNeverReused(t *testing.T) {
	ctx := context.Background()
	d := seededTest(t)
	org := d.orgs["octo-org"]
	ids := grPending(t, d, "octo-org", "gone", 2)
	tokens := []int64{
		tkInt64(t, d.s, `SELECT token_id FROM grants WHERE id = ?`, ids[0]),
		tkInt64(t, d.s, `SELECT token_id FROM grants WHERE id = ?`, ids[1]),
	}
	owner := func(token int64) int64 { return tkInt64(t, d.s, `SELECT user_id FROM tokens WHERE id = ?`, token) }
	// The newest token goes: a cancel and a delete, each remembered for
	// its organization only.
	if err := d.s.CancelRequest(ctx, owner(tokens[1]), tokens[1], tkCancelled); err != nil {
		t.Fatal(err)
	}
	if err := d.s.DeleteToken(ctx, owner(tokens[0]), tokens[0], tkDeleted); err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		if ok, err := d.s.Withdrawn(ctx, org, id); err != nil || !ok {
			t.Errorf("Withdrawn(octo-org, %d) = %v, %v; want true", id, ok, err)
		}
		if ok, _ := d.s.Withdrawn(ctx, d.orgs["solo-org"], id); ok {
			t.Errorf("Withdrawn(solo-org, %d) = true; want false", id)
		}
	}
	if ok, _ := d.s.Withdrawn(ctx, org, tkGrantID(t, d.s, tkTokenID(t, d, "hubot", "ci-reader"))); ok {
		t.Error("a live grant counts as withdrawn")
	}
	// The next token and grant take new ids, not the deleted newest ones.
	next := grPending(t, d, "octo-org", "after", 1)[0]
	if next <= ids[1] {
		t.Errorf("new grant id %d reuses a withdrawn one (≤ %d)", next, ids[1])
	}
	if tok := tkInt64(t, d.s, `SELECT token_id FROM grants WHERE id = ?`, next); tok <= tokens[1] {
		t.Errorf("new token id %d reuses a deleted one (≤ %d)", tok, tokens[1])
	}
}
