package db

import (
	"context"
	"database/sql"
	"slices"

	"patpolicy/policy"
)

// RevokedCredential is a token deleted because its secret was reported,
// as the transaction that deletes it knows it, for the caller to decide
// what follows.
type RevokedCredential struct {
	TokenID int64
	UserID  int64
	Owner   string // the token's owner's login
	Kind    policy.Kind
	Name    string // a classic token's note
	// GrantID and Status are a fine-grained token's grant on an
	// organization (0 and "" for none).
	GrantID int64
	Status  policy.GrantStatus
	// Orgs are the organizations whose audit logs record the revocation:
	// the grant's for a fine-grained token, every organization its owner
	// belongs to for a classic token (which may reach any of them). A
	// fine-grained token the user owns reaches no organization's private
	// resources: none.
	Orgs []Org
}

// OrgFollowUp is what follows a change in one organization (OrgID 0:
// notices only, in no audit log).
type OrgFollowUp struct {
	OrgID int64
	FollowUp
}

// FollowCredential decides, inside the revocation's transaction, what
// follows the deletion of one token.
type FollowCredential func(RevokedCredential) []OrgFollowUp

// revokeLookupSQL finds the tokens of some hashes (the placeholders are
// appended), each with its grant: one lookup of the hash index per value.
const revokeLookupSQL = `SELECT t.id, t.user_id, u.login, t.kind, t.name,
	    COALESCE(g.id, 0), COALESCE(g.status, ''), COALESCE(o.id, 0), COALESCE(o.login, '')
	 FROM tokens t JOIN users u ON u.id = t.user_id
	 LEFT JOIN grants g ON g.token_id = t.id
	 LEFT JOIN organizations o ON o.id = g.org_id
	 WHERE t.hash IN (`

// revokeOrgsSQL lists the organizations of some users (placeholders
// appended), for their classic tokens.
const revokeOrgsSQL = `SELECT m.user_id, o.id, o.login FROM memberships m JOIN organizations o ON o.id = m.org_id
	 WHERE m.user_id IN (`

// RevokeCredentials deletes every token whose SHA-256 hash is among
// hashes, and stores what follow decides follows each deletion, all in one
// transaction: every token named goes, or none. Hashes of no token are
// ignored. The tokens are found in one query, whatever their number.
func (s *Store) RevokeCredentials(ctx context.Context, hashes [][]byte, follow FollowCredential) (revoked []RevokedCredential, err error) {
	defer failed(&err, "revoke credentials")
	hashes = uniqueHashes(hashes)
	if len(hashes) == 0 {
		return nil, nil
	}
	err = s.writeTx(ctx, changesAccess|changesTokenRows, func(tx *sql.Tx) error {
		revoked = nil
		found, err := revokedTokens(ctx, tx, hashes)
		if err != nil || len(found) == 0 {
			return err
		}
		if err := classicTokenOrgs(ctx, tx, found); err != nil {
			return err
		}
		ids := make([]any, len(found))
		for i, r := range found {
			ids[i] = r.TokenID
			if r.GrantID != 0 {
				t := policy.TokenSubject{Name: r.Name, Owner: r.Owner, Org: r.Orgs[0].Login}
				if err := s.withdraw(ctx, tx, r.GrantID, r.Orgs[0].ID, t, r.Status); err != nil {
					return err
				}
			}
			if follow == nil {
				continue
			}
			for _, up := range follow(r) {
				if up.OrgID == 0 {
					up.Events = nil
				}
				if err := s.writeFollowUp(ctx, tx, up.OrgID, 0, up.FollowUp); err != nil {
					return err
				}
			}
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM tokens WHERE id IN (`+placeholders(len(ids))+`)`, ids...); err != nil {
			return err
		}
		revoked = found
		return nil
	})
	return revoked, err
}

// uniqueHashes drops repeated hashes, keeping the first of each.
func uniqueHashes(hashes [][]byte) [][]byte {
	seen := make(map[string]bool, len(hashes))
	out := make([][]byte, 0, len(hashes))
	for _, h := range hashes {
		if !seen[string(h)] {
			seen[string(h)] = true
			out = append(out, h)
		}
	}
	return out
}

// revokedTokens reads the tokens of hashes, by id.
func revokedTokens(ctx context.Context, tx *sql.Tx, hashes [][]byte) ([]RevokedCredential, error) {
	args := make([]any, len(hashes))
	for i, h := range hashes {
		args[i] = h
	}
	rows, err := tx.QueryContext(ctx, revokeLookupSQL+placeholders(len(args))+`) ORDER BY t.id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []RevokedCredential
	for rows.Next() {
		var (
			r     RevokedCredential
			org   Org
			state string
		)
		if err := rows.Scan(&r.TokenID, &r.UserID, &r.Owner, &r.Kind, &r.Name, &r.GrantID, &state, &org.ID, &org.Login); err != nil {
			return nil, err
		}
		r.Status = policy.GrantStatus(state)
		if org.ID != 0 {
			r.Orgs = []Org{org}
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// classicTokenOrgs fills the organizations of the owners of found's
// classic tokens, in one query.
func classicTokenOrgs(ctx context.Context, tx *sql.Tx, found []RevokedCredential) error {
	var users []any
	for _, r := range found {
		if r.Kind == policy.KindClassic && !slices.Contains(users, any(r.UserID)) {
			users = append(users, r.UserID)
		}
	}
	if len(users) == 0 {
		return nil
	}
	rows, err := tx.QueryContext(ctx, revokeOrgsSQL+placeholders(len(users))+`) ORDER BY o.login`, users...)
	if err != nil {
		return err
	}
	defer rows.Close()
	orgs := map[int64][]Org{}
	for rows.Next() {
		var (
			user int64
			org  Org
		)
		if err := rows.Scan(&user, &org.ID, &org.Login); err != nil {
			return err
		}
		orgs[user] = append(orgs[user], org)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for i := range found {
		if found[i].Kind == policy.KindClassic {
			found[i].Orgs = orgs[found[i].UserID]
		}
	}
	return nil
}
