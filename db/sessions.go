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
func (s *Store) StartSession(ctx context.Context, n NewSession) (err error) {
	defer failed(&err, "start session")
	if len(n.ID) != 32 || n.UserID == 0 || !n.ExpiresAt.After(n.Now) {
		return errors.New("db: a session needs a 32-byte id, a user and an expiry after its start")
	}
	now := timestamp(n.Now)
	return s.writeTx(ctx, changesSessions, func(tx *sql.Tx) error {
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
// ended) or expired before now. Both come from the cache, which every
// session started or ended, here or by another process, sets aside (see
// readCache). A touch does not, so a cached expiry may be earlier than the
// stored one: a session that looks expired is read again before it counts
// as such.
func (s *Store) SessionUser(ctx context.Context, id []byte, now time.Time) (_ User, _ Session, err error) {
	defer failed(&err, "session user")
	ses, err := through(ctx, s, &s.cache.sessions, s.cache.sessionRows, string(id), func(ctx context.Context) (Session, error) {
		return s.loadSession(ctx, id)
	})
	if err == nil && !ses.ExpiresAt.After(now) {
		ses, err = s.loadSession(pointRead(ctx), id)
	}
	if err != nil {
		return User{}, Session{}, err
	}
	if !ses.ExpiresAt.After(now) {
		return User{}, Session{}, ErrNotFound
	}
	u, err := s.UserByID(ctx, ses.UserID)
	if errors.Is(err, ErrNotFound) {
		return User{}, Session{}, ErrNotFound
	}
	return u, ses, err
}

func (s *Store) loadSession(ctx context.Context, id []byte) (Session, error) {
	var (
		ses                    Session
		created, seen, expires string
	)
	err := s.read.QueryRowContext(pointRead(ctx),
		`SELECT user_id, created_at, last_seen_at, expires_at FROM sessions WHERE id = ?`, id).
		Scan(&ses.UserID, &created, &seen, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return ses, ErrNotFound
	}
	ses.CreatedAt, ses.LastSeenAt, ses.ExpiresAt = parseTime(created), parseTime(seen), parseExpiry(expires)
	return ses, err
}

// TouchSession notes that session id was used at now and moves its expiry
// to expiresAt. A session that has ended stays ended; an earlier time never
// replaces a later one. The cached session, if any, moves forward with it
// when the row did (a touch only moves times forward, so it sets nothing
// aside; a shorter expiry, by anyone, does).
func (s *Store) TouchSession(ctx context.Context, id []byte, now, expiresAt time.Time) (err error) {
	defer failed(&err, "touch session")
	var touched bool
	err = s.writeTx(ctx, changesNothingCached, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx,
			`UPDATE sessions SET last_seen_at = ?1, expires_at = ?2
			 WHERE id = ?3 AND last_seen_at < ?1 AND expires_at > ?1 AND expires_at < ?2`,
			timestamp(now), timestamp(expiresAt), id)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		touched = n == 1
		return err
	})
	if err == nil && touched {
		s.cache.mu.Lock()
		if e, ok := s.cache.sessionRows[string(id)]; ok && e.val.LastSeenAt.Before(now) && e.val.ExpiresAt.Before(expiresAt) {
			e.val.LastSeenAt, e.val.ExpiresAt = now, expiresAt
			s.cache.sessionRows[string(id)] = e
		}
		s.cache.mu.Unlock()
	}
	return err
}

// EndSession deletes session id, so that its cookie, and every copy of it,
// signs no one in any more. Ending a session that does not exist is not an
// error.
func (s *Store) EndSession(ctx context.Context, id []byte) (err error) {
	defer failed(&err, "end session")
	return s.writeTx(ctx, changesSessions, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE id = ?`, id)
		return err
	})
}
