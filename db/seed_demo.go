package db

import (
	"context"
	"crypto/rand"
	"database/sql"

	"patpolicy/policy"
)

// SeedDemo loads the demo dataset into an empty database and reports whether
// it did; a database holding any user is left as it is. Every demo account
// gets passwordHash, and each token made for an organization what created
// has follow its creation in the application (nil: nothing).
func (s *Store) SeedDemo(ctx context.Context, passwordHash string, created Follow) (_ bool, err error) {
	defer failed(&err, "seed demo")
	seeded := false
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM users`).Scan(&n); err != nil || n > 0 {
			return err
		}
		now := timestamp(s.now())
		ids := map[string]int64{}
		// insert runs an INSERT and returns the new row's id.
		insert := func(q string, args ...any) (id int64, err error) {
			err = tx.QueryRowContext(ctx, q+` RETURNING id`, args...).Scan(&id)
			return id, err
		}
		exec := func(q string, args ...any) error {
			_, err := tx.ExecContext(ctx, q, args...)
			return err
		}
		for _, u := range []struct{ login, name string }{
			{"ent-admin", "Enterprise Admin"}, {"octo-owner", "Octo Owner"}, {"mona", "Mona Lisa"}, {"hubot", "Hubot"},
		} {
			id, err := insert(`INSERT INTO users (login, email, name, password_hash, created_at) VALUES (?, ?, ?, ?, ?)`,
				u.login, u.login+"@example.com", u.name, passwordHash, now)
			if err != nil {
				return err
			}
			ids[u.login] = id
		}
		entID, err := insert(`INSERT INTO enterprises (slug, name, opted_in, created_at) VALUES ('octo-ent', 'Octo Enterprise', 1, ?)`, now)
		if err != nil {
			return err
		}
		if err := exec(`INSERT INTO enterprise_owners (enterprise_id, user_id) VALUES (?, ?)`, entID, ids["ent-admin"]); err != nil {
			return err
		}
		if err := exec(`INSERT INTO enterprise_policies (enterprise_id, fine_grained_access, approval, classic_access, updated_at)
			VALUES (?, ?, ?, ?, ?)`, entID, policy.EnterpriseAccessNoPolicy, policy.EnterpriseApprovalNoPolicy, policy.EnterpriseAccessRestrict, now); err != nil {
			return err
		}
		// octo-org is opted in through its enterprise; solo-org not at all.
		orgs := []struct {
			login, name string
			ent         int64
		}{{"octo-org", "Octo Org", entID}, {"solo-org", "Solo Org", 0}}
		orgIDs := map[string]int64{}
		for _, o := range orgs {
			id, err := s.insertOrganization(ctx, tx, o.login, o.name, o.ent, false)
			if err != nil {
				return err
			}
			orgIDs[o.login] = id
		}
		for _, m := range []struct {
			org, user string
			role      Role
		}{
			{"octo-org", "octo-owner", RoleOwner}, {"solo-org", "octo-owner", RoleOwner},
			{"octo-org", "mona", RoleMember}, {"solo-org", "mona", RoleMember}, {"octo-org", "hubot", RoleMember},
		} {
			if err := exec(`INSERT INTO memberships (org_id, user_id, role) VALUES (?, ?, ?)`, orgIDs[m.org], ids[m.user], m.role); err != nil {
				return err
			}
		}
		for _, r := range []struct {
			org, name string
			private   bool
		}{{"octo-org", "octo-web", false}, {"octo-org", "octo-api", true}, {"octo-org", "octo-infra", true}, {"solo-org", "solo-app", true}} {
			if err := exec(`INSERT INTO repositories (org_id, name, private, created_at) VALUES (?, ?, ?, ?)`, orgIDs[r.org], r.name, r.private, now); err != nil {
				return err
			}
		}
		if err := s.seedDemoTokens(ctx, tx, ids, orgIDs, created); err != nil {
			return err
		}
		seeded = true
		return nil
	})
	return seeded, err
}

// seedDemoTokens adds the demo's tokens: two pending requests to octo-org
// and an owner's approved token, with what created has follow them. Their
// secrets are random and never shown.
func (s *Store) seedDemoTokens(ctx context.Context, tx *sql.Tx, users, orgs map[string]int64, created Follow) error {
	var repo int64
	if err := tx.QueryRowContext(ctx, `SELECT id FROM repositories WHERE org_id = ? AND name = 'octo-api'`, orgs["octo-org"]).Scan(&repo); err != nil {
		return err
	}
	for _, t := range []struct {
		user string
		req  policy.TokenRequest
	}{
		{"mona", policy.TokenRequest{Name: "deploy-bot", ExpiresInDays: 30, Justification: "Deploys the API",
			Selection: policy.SelectSelected, RepoIDs: []int64{repo}, Status: policy.GrantPending,
			Permissions: map[string]policy.Level{"contents": policy.LevelRead, policy.Metadata: policy.LevelRead}}},
		{"hubot", policy.TokenRequest{Name: "ci-reader", ExpiresInDays: 90, Justification: "Reads build status for CI",
			Selection: policy.SelectAll, Status: policy.GrantPending,
			Permissions: map[string]policy.Level{policy.Metadata: policy.LevelRead}}},
		{"octo-owner", policy.TokenRequest{Name: "owner-automation", ExpiresInDays: 90, Description: "Organization housekeeping",
			Selection: policy.SelectAll, Status: policy.GrantApproved,
			Permissions: map[string]policy.Level{policy.Metadata: policy.LevelRead, "administration": policy.LevelRead,
				"members": policy.LevelRead, "organization_administration": policy.LevelWrite}}},
	} {
		secret, err := policy.GenerateToken(policy.KindFineGrained, rand.Reader)
		if err != nil {
			return err
		}
		if _, err := s.insertToken(ctx, tx, NewToken{
			UserID: users[t.user], Hash: policy.HashToken(secret), Prefix: policy.DisplayPrefix(secret),
			Kind: policy.KindFineGrained, FineGrained: t.req, OrgID: orgs["octo-org"], Follow: created,
		}); err != nil {
			return err
		}
	}
	return nil
}
