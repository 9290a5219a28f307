package db

import (
	"context"
	"database/sql"
	"errors"
	"strings"
)

// User is an account.
type User struct {
	ID    int64
	Login string
	Email string
	Name  string
	// OwnsEnterprise and Unread are filled by UserByID only.
	OwnsEnterprise bool
	// Unread counts the user's unread notifications, up to UnreadCap.
	Unread int
}

// Credentials are what sign-in compares against.
type Credentials struct {
	User         User
	PasswordHash string
}

// CredentialsFor finds a user by login or email address.
func (s *Store) CredentialsFor(ctx context.Context, loginOrEmail string) (Credentials, error) {
	var c Credentials
	err := s.read.QueryRowContext(ctx,
		`SELECT id, login, email, name, password_hash FROM users WHERE login = ?1
		 UNION ALL
		 SELECT id, login, email, name, password_hash FROM users WHERE email = ?1
		 LIMIT 1`, strings.TrimSpace(loginOrEmail)).
		Scan(&c.User.ID, &c.User.Login, &c.User.Email, &c.User.Name, &c.PasswordHash)
	if errors.Is(err, sql.ErrNoRows) {
		return c, ErrNotFound
	}
	return c, err
}

// UnreadCap bounds the unread count loaded with every page: an owner of a
// busy organization may have thousands, and counting them all would cost
// more than the page.
const UnreadCap = 100

// UserByID loads a user.
func (s *Store) UserByID(ctx context.Context, id int64) (User, error) {
	var u User
	err := s.read.QueryRowContext(ctx,
		`SELECT id, login, email, name, EXISTS (SELECT 1 FROM enterprise_owners WHERE user_id = users.id),
		        (SELECT count(*) FROM (SELECT 1 FROM notifications WHERE user_id = users.id AND read_at IS NULL LIMIT ?))
		 FROM users WHERE id = ?`, UnreadCap, id).
		Scan(&u.ID, &u.Login, &u.Email, &u.Name, &u.OwnsEnterprise, &u.Unread)
	if errors.Is(err, sql.ErrNoRows) {
		return u, ErrNotFound
	}
	return u, err
}

// CreateUser adds an account with an already hashed password.
func (s *Store) CreateUser(ctx context.Context, login, email, name, passwordHash string) (int64, error) {
	var id int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx,
			`INSERT INTO users (login, email, name, password_hash, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id`,
			login, email, name, passwordHash, timestamp(s.now())).Scan(&id)
	})
	return id, err
}
