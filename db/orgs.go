package db

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"patpolicy/policy"
)

// Role is a user's role in an organization.
type Role string

const (
	RoleOwner  Role = "owner"
	RoleMember Role = "member"
)

// Org is an organization.
type Org struct {
	ID             int64
	Login          string
	Name           string
	EnterpriseID   int64 // 0 when the organization has no enterprise
	EnterpriseSlug string
	EnterpriseName string
	OptedIn        bool // its own opt-in; an opted-in enterprise also opts it in
	CreatedAt      time.Time
}

// Membership is an organization as seen by one of its members.
type Membership struct {
	Org  Org
	Role Role
}

// Enterprise is an enterprise account.
type Enterprise struct {
	ID      int64
	Slug    string
	Name    string
	OptedIn bool
}

const orgColumns = `o.id, o.login, o.name, COALESCE(o.enterprise_id, 0), COALESCE(e.slug, ''), COALESCE(e.name, ''), o.opted_in, o.created_at`

func scanOrg(row interface{ Scan(...any) error }, o *Org, extra ...any) error {
	var created string
	err := row.Scan(append([]any{&o.ID, &o.Login, &o.Name, &o.EnterpriseID, &o.EnterpriseSlug, &o.EnterpriseName, &o.OptedIn, &created}, extra...)...)
	o.CreatedAt = parseTime(created)
	return err
}

// OrgByLogin loads an organization (its login in any case).
func (s *Store) OrgByLogin(ctx context.Context, login string) (_ Org, err error) {
	defer failed(&err, "org by login")
	return through(ctx, s, &s.cache.directory, s.cache.orgLogins, nocase(login), func(ctx context.Context) (Org, error) {
		return s.loadOrg(ctx, login)
	})
}

func (s *Store) loadOrg(ctx context.Context, login string) (Org, error) {
	var o Org
	err := scanOrg(s.read.QueryRowContext(ctx,
		`SELECT `+orgColumns+` FROM organizations o LEFT JOIN enterprises e ON e.id = o.enterprise_id WHERE o.login = ?`, login), &o)
	if errors.Is(err, sql.ErrNoRows) {
		return o, ErrNotFound
	}
	return o, err
}

// MembershipsOf lists the organizations a user belongs to, by login.
func (s *Store) MembershipsOf(ctx context.Context, userID int64) (_ []Membership, err error) {
	defer failed(&err, "memberships of")
	rows, err := s.read.QueryContext(ctx,
		`SELECT `+orgColumns+`, m.role FROM memberships m
		 JOIN organizations o ON o.id = m.org_id
		 LEFT JOIN enterprises e ON e.id = o.enterprise_id
		 WHERE m.user_id = ? ORDER BY o.login`, userID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Membership
	for rows.Next() {
		var m Membership
		if err := scanOrg(rows, &m.Org, &m.Role); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// RoleIn returns the user's role in the organization, or "" if none.
func (s *Store) RoleIn(ctx context.Context, orgID, userID int64) (_ Role, err error) {
	defer failed(&err, "role in")
	return through(ctx, s, &s.cache.directory, s.cache.roles, [2]int64{orgID, userID}, func(ctx context.Context) (Role, error) {
		return s.loadRole(ctx, orgID, userID)
	})
}

func (s *Store) loadRole(ctx context.Context, orgID, userID int64) (Role, error) {
	var r Role
	err := s.read.QueryRowContext(ctx, `SELECT role FROM memberships WHERE org_id = ? AND user_id = ?`, orgID, userID).Scan(&r)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return r, err
}

// EnterprisesOwnedBy lists the enterprises a user owns, by name.
func (s *Store) EnterprisesOwnedBy(ctx context.Context, userID int64) (_ []Enterprise, err error) {
	defer failed(&err, "enterprises owned by")
	rows, err := s.read.QueryContext(ctx,
		`SELECT e.id, e.slug, e.name, e.opted_in FROM enterprise_owners eo
		 JOIN enterprises e ON e.id = eo.enterprise_id
		 WHERE eo.user_id = ? ORDER BY e.name`, userID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Enterprise
	for rows.Next() {
		var e Enterprise
		if err := rows.Scan(&e.ID, &e.Slug, &e.Name, &e.OptedIn); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// EnterpriseOwnedBy loads an enterprise by slug if the user owns it.
func (s *Store) EnterpriseOwnedBy(ctx context.Context, slug string, userID int64) (_ Enterprise, err error) {
	defer failed(&err, "enterprise owned by")
	var e Enterprise
	err = s.read.QueryRowContext(ctx,
		`SELECT e.id, e.slug, e.name, e.opted_in FROM enterprises e
		 JOIN enterprise_owners eo ON eo.enterprise_id = e.id AND eo.user_id = ?
		 WHERE e.slug = ?`, userID, slug).Scan(&e.ID, &e.Slug, &e.Name, &e.OptedIn)
	if errors.Is(err, sql.ErrNoRows) {
		return e, ErrNotFound
	}
	return e, err
}

// CreateOrganization adds an organization with default settings and makes
// ownerID its owner. enterpriseID 0 means no enterprise.
func (s *Store) CreateOrganization(ctx context.Context, login, name string, enterpriseID, ownerID int64) (_ int64, err error) {
	defer failed(&err, "create organization")
	var id int64
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		if id, err = s.insertOrganization(ctx, tx, login, name, enterpriseID, false); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO memberships (org_id, user_id, role) VALUES (?, ?, ?)`, id, ownerID, RoleOwner)
		return err
	})
	return id, err
}

// insertOrganization adds an organization and its default settings.
func (s *Store) insertOrganization(ctx context.Context, tx *sql.Tx, login, name string, enterpriseID int64, optedIn bool) (int64, error) {
	now := timestamp(s.now())
	var ent any
	if enterpriseID != 0 {
		ent = enterpriseID
	}
	var id int64
	if err := tx.QueryRowContext(ctx,
		`INSERT INTO organizations (login, name, enterprise_id, opted_in, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id`,
		login, name, ent, optedIn, now).Scan(&id); err != nil {
		return 0, err
	}
	d := policy.DefaultOrgSettings()
	_, err := tx.ExecContext(ctx,
		`INSERT INTO org_policies (org_id, fine_grained_access, approval, classic_access, updated_at) VALUES (?, ?, ?, ?, ?)`,
		id, d.FineGrained, d.Approval, d.Classic, now)
	return id, err
}
