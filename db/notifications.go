package db

import (
	"context"
	"database/sql"
	"time"
)

// Notification is a message to one user.
type Notification struct {
	ID        int64
	Message   string
	Link      string
	CreatedAt time.Time
	Unread    bool
}

// NotificationsOf lists a user's newest notifications.
func (s *Store) NotificationsOf(ctx context.Context, userID int64, limit int) (_ []Notification, err error) {
	defer failed(&err, "notifications of")
	rows, err := s.read.QueryContext(ctx,
		`SELECT id, message, link, created_at, read_at IS NULL FROM notifications WHERE user_id = ? ORDER BY id DESC LIMIT ?`,
		userID, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Notification
	for rows.Next() {
		var n Notification
		var at string
		if err := rows.Scan(&n.ID, &n.Message, &n.Link, &at, &n.Unread); err != nil {
			return nil, err
		}
		n.CreatedAt = parseTime(at)
		out = append(out, n)
	}
	return out, rows.Err()
}

// MarkNotificationsRead marks every notification of a user up to upTo as
// read, so one that arrived after the page was shown stays unread.
func (s *Store) MarkNotificationsRead(ctx context.Context, userID, upTo int64) (err error) {
	defer failed(&err, "mark notifications read")
	// The unread count is cached with the user, under access.
	return s.accessTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx,
			`UPDATE notifications SET read_at = ? WHERE user_id = ? AND read_at IS NULL AND id <= ?`,
			timestamp(s.now()), userID, upTo)
		return err
	})
}

// notifyOwners tells every owner of an organization but except.
func (s *Store) notifyOwners(ctx context.Context, tx *sql.Tx, orgID, except int64, message, link string) error {
	_, err := tx.ExecContext(ctx,
		`INSERT INTO notifications (user_id, message, link, created_at)
		 SELECT user_id, ?, ?, ? FROM memberships WHERE org_id = ? AND role = 'owner' AND user_id != ?`,
		message, link, timestamp(s.now()), orgID, except)
	return err
}

func (s *Store) notify(ctx context.Context, tx *sql.Tx, userID int64, message, link string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO notifications (user_id, message, link, created_at) VALUES (?, ?, ?, ?)`,
		userID, message, link, timestamp(s.now()))
	return err
}

// Notice is a notification to store: to one user, or to every owner of an
// organization but one. Its words and link are the caller's: the store
// writes what it is given.
type Notice struct {
	// UserID is the one user told, 0 when OwnersOf is set.
	UserID int64
	// OwnersOf tells every owner of this organization but Except.
	OwnersOf int64
	Except   int64
	Message  string
	Link     string
}

// deliver stores notices in the transaction of the change they follow.
func (s *Store) deliver(ctx context.Context, tx *sql.Tx, notices []Notice) error {
	for _, n := range notices {
		var err error
		if n.OwnersOf != 0 {
			err = s.notifyOwners(ctx, tx, n.OwnersOf, n.Except, n.Message, n.Link)
		} else {
			err = s.notify(ctx, tx, n.UserID, n.Message, n.Link)
		}
		if err != nil {
			return err
		}
	}
	return nil
}
