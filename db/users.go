package db

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"
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
	// CreatedAt is filled by UserByID only.
	CreatedAt time.Time
}

// Credentials are what sign-in compares against.
type Credentials struct {
	User         User
	PasswordHash string
}

// CredentialsFor finds a user by login or email address.
func (s *Store) CredentialsFor(ctx context.Context, loginOrEmail string) (_ Credentials, err error) {
	defer failed(&err, "credentials for")
	var c Credentials
	err = s.read.QueryRowContext(ctx,
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

// UnreadCap bounds the unread count shown with every page: an owner of a
// busy organization may have thousands.
const UnreadCap = 100

// userColumns are the columns scanned by scanUser, of the users table
// aliased users: a user with whether they own an enterprise and their
// unread notifications (kept by migration 00006's triggers), up to
// UnreadCap (the first parameter).
const userColumns = `users.id, users.login, users.email, users.name,
	EXISTS (SELECT 1 FROM enterprise_owners WHERE user_id = users.id),
	COALESCE((SELECT CASE WHEN n < ?1 THEN n ELSE ?1 END FROM unread_counts WHERE user_id = users.id), 0), users.created_at`

func scanUser(row interface{ Scan(...any) error }, u *User) error {
	var created string
	err := row.Scan(&u.ID, &u.Login, &u.Email, &u.Name, &u.OwnsEnterprise, &u.Unread, &created)
	u.CreatedAt = parseTime(created)
	return err
}

// UserByID loads a user, with their unread count as of the last write to
// tokens, grants or notifications.
func (s *Store) UserByID(ctx context.Context, id int64) (_ User, err error) {
	defer failed(&err, "user by ID")
	return through(ctx, s, &s.cache.access, s.cache.users, id, func(ctx context.Context) (User, error) {
		return s.loadUser(ctx, id)
	})
}

func (s *Store) loadUser(ctx context.Context, id int64) (User, error) {
	var u User
	err := scanUser(s.read.QueryRowContext(ctx,
		`SELECT `+userColumns+` FROM users WHERE id = ?2`, UnreadCap, id), &u)
	if errors.Is(err, sql.ErrNoRows) {
		return u, ErrNotFound
	}
	return u, err
}

// ErrLoginTaken and ErrEmailTaken are returned by CreateUser when another
// account has the login or the email address (in any case).
var (
	ErrLoginTaken = errors.New("login already in use")
	ErrEmailTaken = errors.New("email address already in use")
)

// CreateUser adds an account with an already hashed password: ErrLoginTaken
// or ErrEmailTaken when another account has the login or the address.
func (s *Store) CreateUser(ctx context.Context, login, email, name, passwordHash string) (_ int64, err error) {
	defer failed(&err, "create user")
	var id int64
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		var loginTaken, emailTaken bool
		if err := tx.QueryRowContext(ctx,
			`SELECT EXISTS (SELECT 1 FROM users WHERE login = ?1), EXISTS (SELECT 1 FROM users WHERE email = ?2)`,
			login, email).Scan(&loginTaken, &emailTaken); err != nil {
			return err
		}
		switch {
		case loginTaken:
			return ErrLoginTaken
		case emailTaken:
			return ErrEmailTaken
		}
		return tx.QueryRowContext(ctx,
			`INSERT INTO users (login, email, name, password_hash, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id`,
			login, email, name, passwordHash, timestamp(s.now())).Scan(&id)
	})
	return id, err
}

// SetPassword replaces the password hash of the account login (in any
// case) and ends all its sessions, in one transaction: whoever was signed
// in as the user must sign in again with the new password. ErrNotFound when
// there is no such account.
func (s *Store) SetPassword(ctx context.Context, login, passwordHash string) (err error) {
	defer failed(&err, "set password")
	return s.inTx(ctx, func(tx *sql.Tx) error {
		var id int64
		err := tx.QueryRowContext(ctx,
			`UPDATE users SET password_hash = ? WHERE login = ? RETURNING id`, passwordHash, login).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = ?`, id)
		return err
	})
}

const userByLoginSQL = `SELECT id FROM users WHERE login = ?`

// UserByLogin finds a user's id by login, in any case. ErrNotFound when no
// user has it.
func (s *Store) UserByLogin(ctx context.Context, login string) (id int64, err error) {
	defer failed(&err, "user by login")
	err = s.read.QueryRowContext(ctx, userByLoginSQL, login).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, ErrNotFound
	}
	return id, err
}
