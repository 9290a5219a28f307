package db

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// Session is a signed-in browser session. The store knows it by its id, the
// SHA-256 of the secret only the browser's cookie holds.
type Session struct {
	UserID     int64
	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time
}

// NewSession is a session to start.
type NewSession struct {
	// ID is the SHA-256 of the new cookie's secret (32 bytes).
	ID     []byte
	UserID int64
	// Replaces is the id of the session the browser held before signing
	// in, if any: it ends, whoever it belonged to.
	Replaces  []byte
	Now       time.Time
	ExpiresAt time.Time
}

// SessionsPerUser caps a user's sessions: starting one more ends the least
// recently used, so that scripted sign-ins cannot grow the table without
// bound.
const SessionsPerUser = 100

// expiredPruneBatch bounds how many expired sessions one sign-in deletes.
const expiredPruneBatch = 1000

// StartSession stores a new session and, in the same transaction, ends the
// one it replaces, prunes expired sessions and trims the user's sessions to
// SessionsPerUser.
func (s *Store) StartSession(ctx context.Context, n NewSession) error {
	if len(n.ID) != 32 || n.UserID == 0 || !n.ExpiresAt.After(n.Now) {
		return errors.New("db: a session needs a 32-byte id, a user and an expiry after its start")
	}
	now := timestamp(n.Now)
	// No cached read of the API depends on sessions.
	return s.writeTx(ctx, false, func(tx *sql.Tx) error {
		if len(n.Replaces) > 0 {
			if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE id = ?`, n.Replaces); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx,
			`DELETE FROM sessions WHERE id IN (SELECT id FROM sessions WHERE expires_at <= ? LIMIT ?)`,
			now, expiredPruneBatch); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx,
			`INSERT INTO sessions (id, user_id, created_at, last_seen_at, expires_at) VALUES (?, ?, ?, ?, ?)`,
			n.ID, n.UserID, now, now, timestamp(n.ExpiresAt)); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx,
			`DELETE FROM sessions WHERE user_id = ?1 AND id NOT IN (
			     SELECT id FROM sessions WHERE user_id = ?1 ORDER BY last_seen_at DESC LIMIT ?2)`,
			n.UserID, SessionsPerUser)
		return err
	})
}

// SessionUser finds the user signed in with session id at now, with the
// session: ErrNotFound when the session does not exist (never started, or
// ended) or expired before now.
func (s *Store) SessionUser(ctx context.Context, id []byte, now time.Time) (User, Session, error) {
	var (
		u                      User
		ses                    Session
		created, seen, expires string
	)
	err := scanUser(s.read.QueryRowContext(ctx,
		`SELECT `+userColumns+`, sessions.created_at, sessions.last_seen_at, sessions.expires_at
		 FROM sessions JOIN users ON users.id = sessions.user_id
		 WHERE sessions.id = ?2 AND sessions.expires_at > ?3`, UnreadCap, id, timestamp(now)),
		&u, &created, &seen, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, Session{}, ErrNotFound
	}
	if err != nil {
		return User{}, Session{}, err
	}
	ses = Session{UserID: u.ID, CreatedAt: parseTime(created), LastSeenAt: parseTime(seen), ExpiresAt: parseTime(expires)}
	return u, ses, nil
}

// TouchSession notes that session id was used at now and moves its expiry
// to expiresAt. A session that has ended stays ended; an earlier time never
// replaces a later one.
func (s *Store) TouchSession(ctx context.Context, id []byte, now, expiresAt time.Time) error {
	return s.writeTx(ctx, false, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx,
			`UPDATE sessions SET last_seen_at = ?1, expires_at = ?2 WHERE id = ?3 AND last_seen_at < ?1 AND expires_at > ?1`,
			timestamp(now), timestamp(expiresAt), id)
		return err
	})
}

// EndSession deletes session id, so that its cookie, and every copy of it,
// signs no one in any more. Ending a session that does not exist is not an
// error.
func (s *Store) EndSession(ctx context.Context, id []byte) error {
	return s.writeTx(ctx, false, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE id = ?`, id)
		return err
	})
}
