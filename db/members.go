package db

import (
	"context"
	"database/sql"
)

// Member is a user of an organization, for filters.
type Member struct {
	ID    int64
	Login string
}

// MembersOf lists an organization's members by login. The list is shared
// between callers until a member changes: it must not be modified.
func (s *Store) MembersOf(ctx context.Context, orgID int64) (_ []Member, err error) {
	defer failed(&err, "members of")
	return through(ctx, s, &s.cache.directory, s.cache.members, orgID, func(ctx context.Context) ([]Member, error) {
		return s.loadMembers(ctx, orgID)
	})
}

func (s *Store) loadMembers(ctx context.Context, orgID int64) ([]Member, error) {
	rows, err := s.read.QueryContext(ctx,
		`SELECT u.id, u.login FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.org_id = ? ORDER BY u.login`, orgID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Member
	for rows.Next() {
		var m Member
		if err := rows.Scan(&m.ID, &m.Login); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// The API's listing of members, LIMIT then OFFSET.
const (
	membersPageSQL = `SELECT u.id, u.login FROM memberships m JOIN users u ON u.id = m.user_id
		WHERE m.org_id = ? ORDER BY u.login LIMIT ? OFFSET ?`
	membersCountSQL = `SELECT count(*) FROM memberships WHERE org_id = ?`
)

// MembersPage lists a page of an organization's members by login, with the
// number of all of them.
func (s *Store) MembersPage(ctx context.Context, orgID int64, page, perPage int) (_ []Member, _ int, err error) {
	defer failed(&err, "members page")
	limit, offset, inRange := pageWindow(page, perPage)
	var out []Member
	var total int
	err = s.readTx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, membersCountSQL, orgID).Scan(&total); err != nil {
			return err
		}
		if !inRange || offset >= total {
			return nil
		}
		rows, err := tx.QueryContext(ctx, membersPageSQL, orgID, limit, offset)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var m Member
			if err := rows.Scan(&m.ID, &m.Login); err != nil {
				return err
			}
			out = append(out, m)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, 0, err
	}
	return out, total, nil
}
