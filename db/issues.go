package db

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"
	"time"
)

// Issue is an issue created through the REST API.
type Issue struct {
	ID, RepoID, Number, UserID, TokenID int64 // TokenID 0 once the token is gone
	UserLogin, Title, Body              string
	CreatedAt                           time.Time
	Labels                              []Label
	Assignees                           []Member
}

// Label is a repository's label.
type Label struct {
	ID          int64
	Name, Color string
	Description *string
}

// NewIssue is an issue to create: its labels (by id, or by name, made when
// the repository has none of that name) and its assignees by login (those
// who are not members of the repository's organization are left out).
type NewIssue struct {
	RepoID, UserID, TokenID int64 // TokenID 0: made without a token
	Title, Body             string
	Labels                  []NewLabel
	Assignees               []string
}

// NewLabel names a label by ID, or by Name with the color and description
// it gets if it is new.
type NewLabel struct {
	ID          int64
	Name, Color string
	Description *string
}

// ErrUnknownLabel is a label id that names no label of the repository.
var ErrUnknownLabel = errors.New("db: no such label in the repository")

// nextIssueSQL stores an issue with the next number of its repository,
// found on the (repo_id, number) index.
const nextIssueSQL = `INSERT INTO issues (repo_id, number, title, body, user_id, token_id, created_at)
	VALUES (?1, COALESCE((SELECT max(number) FROM issues WHERE repo_id = ?1), 0) + 1, ?2, ?3, ?4, ?5, ?6)
	RETURNING id, number`

// CreateIssue stores an issue in a repository, with its labels and
// assignees, numbered after the repository's last issue in the write
// transaction, so that concurrent creations never share a number.
// ErrNotFound when the repository does not exist, ErrUnknownLabel when a
// label id is not one of its labels.
func (s *Store) CreateIssue(ctx context.Context, ni NewIssue) (_ Issue, err error) {
	defer failed(&err, "create issue")
	is := Issue{RepoID: ni.RepoID, UserID: ni.UserID, TokenID: ni.TokenID, Title: ni.Title, Body: ni.Body}
	// Only repositories' issue counts are cached from issues.
	err = s.writeTx(ctx, changesIssues, func(tx *sql.Tx) error {
		var orgID int64
		err := tx.QueryRowContext(ctx, `SELECT org_id FROM repositories WHERE id = ?`, ni.RepoID).Scan(&orgID)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		now := timestamp(s.now())
		is.CreatedAt = parseTime(now)
		if err := tx.QueryRowContext(ctx, nextIssueSQL, ni.RepoID, ni.Title, ni.Body, ni.UserID, nullID(ni.TokenID), now).Scan(&is.ID, &is.Number); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `SELECT login FROM users WHERE id = ?`, ni.UserID).Scan(&is.UserLogin); err != nil {
			return err
		}
		if is.Labels, err = addIssueLabels(ctx, tx, is.ID, ni); err != nil {
			return err
		}
		is.Assignees, err = addIssueAssignees(ctx, tx, is.ID, orgID, ni.Assignees)
		return err
	})
	if err != nil {
		return Issue{}, err
	}
	return is, nil
}

// addIssueLabels puts the labels on an issue, making those named that the
// repository does not have yet, and returns them by name, each once.
func addIssueLabels(ctx context.Context, tx *sql.Tx, issueID int64, ni NewIssue) ([]Label, error) {
	var out []Label
	for _, nl := range ni.Labels {
		var l Label
		var row *sql.Row
		if nl.ID != 0 {
			row = tx.QueryRowContext(ctx, `SELECT id, name, color, description FROM labels WHERE id = ? AND repo_id = ?`, nl.ID, ni.RepoID)
		} else {
			row = tx.QueryRowContext(ctx, `INSERT INTO labels (repo_id, name, color, description) VALUES (?, ?, ?, ?)
				ON CONFLICT (repo_id, name) DO UPDATE SET name = labels.name RETURNING id, name, color, description`,
				ni.RepoID, nl.Name, nl.Color, nl.Description)
		}
		err := row.Scan(&l.ID, &l.Name, &l.Color, &l.Description)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, ErrUnknownLabel
		}
		if err != nil {
			return nil, err
		}
		added, err := insertOnce(ctx, tx, `INSERT INTO issue_labels (issue_id, label_id) VALUES (?, ?) ON CONFLICT DO NOTHING`, issueID, l.ID)
		if err != nil {
			return nil, err
		}
		if added {
			out = append(out, l)
		}
	}
	slices.SortFunc(out, func(a, b Label) int { return strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)) })
	return out, nil
}

// addIssueAssignees assigns the issue to those of logins who are members
// of the organization, and returns them by login, each once.
func addIssueAssignees(ctx context.Context, tx *sql.Tx, issueID, orgID int64, logins []string) ([]Member, error) {
	var out []Member
	for _, login := range logins {
		var m Member
		err := tx.QueryRowContext(ctx, `SELECT u.id, u.login FROM users u JOIN memberships m ON m.user_id = u.id
			WHERE m.org_id = ? AND u.login = ?`, orgID, login).Scan(&m.ID, &m.Login)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return nil, err
		}
		added, err := insertOnce(ctx, tx, `INSERT INTO issue_assignees (issue_id, user_id) VALUES (?, ?) ON CONFLICT DO NOTHING`, issueID, m.ID)
		if err != nil {
			return nil, err
		}
		if added {
			out = append(out, m)
		}
	}
	slices.SortFunc(out, func(a, b Member) int { return strings.Compare(strings.ToLower(a.Login), strings.ToLower(b.Login)) })
	return out, nil
}

// OpenIssueCounts tells how many issues each of the repositories has
// (every issue is open: none is ever closed), from the counts the issues
// table's triggers keep, cached until issues change. A repository without
// issues is not in the map.
func (s *Store) OpenIssueCounts(ctx context.Context, repoIDs []int64) (_ map[int64]int, err error) {
	defer failed(&err, "open issue counts")
	out := make(map[int64]int, len(repoIDs))
	for _, id := range repoIDs {
		n, err := through(ctx, s, &s.cache.issues, s.cache.issueCounts, id, func(ctx context.Context) (int, error) {
			var n int
			err := s.read.QueryRowContext(ctx, issueCountQuery, id).Scan(&n)
			return n, err
		})
		if err != nil {
			return nil, err
		}
		if n > 0 {
			out[id] = n
		}
	}
	return out, nil
}

const issueCountQuery = `SELECT COALESCE((SELECT n FROM issue_counts WHERE repo_id = ?), 0)`
