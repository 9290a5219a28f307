package db

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// SSHKey is a user's SSH public key.
type SSHKey struct {
	ID, UserID, TokenID int64 // TokenID 0 once the token is gone
	Title, Key          string
	CreatedAt           time.Time
}

// ErrDuplicateKey is returned when the key is already stored, for any user.
var ErrDuplicateKey = errors.New("key already in use")

// insertSSHKeySQL adds a key, or nothing when the key is stored already:
// the conflict target is the key column's UNIQUE constraint, so a row
// skipped (no id returned) means exactly that constraint refused it. The
// database decides at the insert itself, so two additions of one key never
// both get through, in SQLite or in PostgreSQL, which accepts the same
// clause.
const insertSSHKeySQL = `INSERT INTO ssh_keys (user_id, title, key, token_id, created_at) VALUES (?, ?, ?, ?, ?)
	ON CONFLICT (key) DO NOTHING
	RETURNING id`

// AddSSHKey stores a user's SSH key, recording the token that added it (0:
// none). ErrDuplicateKey on a key already stored.
func (s *Store) AddSSHKey(ctx context.Context, userID, tokenID int64, title, key string) (_ SSHKey, err error) {
	defer failed(&err, "add SSH key")
	k := SSHKey{UserID: userID, TokenID: tokenID, Title: title, Key: key}
	// Issues and keys are in none of the API's cached reads.
	err = s.writeTx(ctx, changesNothingCached, func(tx *sql.Tx) error {
		now := timestamp(s.now())
		k.CreatedAt = parseTime(now)
		err := tx.QueryRowContext(ctx, insertSSHKeySQL, userID, title, key, nullID(tokenID), now).Scan(&k.ID)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrDuplicateKey
		}
		return err
	})
	if err != nil {
		return SSHKey{}, err
	}
	return k, nil
}

// The API's listing of SSH keys, LIMIT then OFFSET.
const (
	sshKeysOfSQL = `SELECT id, user_id, COALESCE(token_id, 0), title, key, created_at FROM ssh_keys
		WHERE user_id = ? ORDER BY id LIMIT ? OFFSET ?`
	sshKeysCountSQL = `SELECT count(*) FROM ssh_keys WHERE user_id = ?`
)

// SSHKeysOf lists a page of a user's SSH keys, oldest first, with the
// number of all of them.
func (s *Store) SSHKeysOf(ctx context.Context, userID int64, page, perPage int) (_ []SSHKey, _ int, err error) {
	defer failed(&err, "SSH keys of")
	limit, offset, inRange := pageWindow(page, perPage)
	var out []SSHKey
	var total int
	err = s.readTx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, sshKeysCountSQL, userID).Scan(&total); err != nil {
			return err
		}
		if !inRange || offset >= total {
			return nil
		}
		rows, err := tx.QueryContext(ctx, sshKeysOfSQL, userID, limit, offset)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var k SSHKey
			var created string
			if err := rows.Scan(&k.ID, &k.UserID, &k.TokenID, &k.Title, &k.Key, &created); err != nil {
				return err
			}
			k.CreatedAt = parseTime(created)
			out = append(out, k)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, 0, err
	}
	return out, total, nil
}
