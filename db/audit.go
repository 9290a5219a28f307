package db

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"patpolicy/policy"
)

// AuditEvent is one line of an audit log.
type AuditEvent struct {
	ID         int64
	Action     string
	ActorLogin string
	Details    string
	CreatedAt  time.Time
}

// AuditQuery selects a page of an organization's audit log, newest first.
type AuditQuery struct {
	OrgID int64
	// EnterpriseID, when set instead of OrgID, selects the enterprise's log.
	EnterpriseID int64
	Action       string // "" for every action
	BeforeID     int64  // 0 for the newest page; else events older than this id
	Limit        int
}

// recordEvents writes audit events in the transaction of the change they
// describe, for an organization (scope "org_id") or an enterprise
// ("enterprise_id"). An actorID of 0 stores no actor (a change nobody
// signed in made); events a rule acted are written by recordRuleEvents.
func (s *Store) recordEvents(ctx context.Context, tx *sql.Tx, scope string, id, actorID int64, events []policy.Event) error {
	if scope != "org_id" && scope != "enterprise_id" {
		return fmt.Errorf("audit scope %q", scope)
	}
	now := timestamp(s.now())
	var actor any // none: a change nobody signed in made (revoking by value)
	if actorID != 0 {
		actor = actorID
	}
	for _, ev := range events {
		if _, err := tx.ExecContext(ctx,
			`INSERT INTO audit_events (`+scope+`, actor_id, action, details, created_at) VALUES (?, ?, ?, ?, ?)`,
			id, actor, ev.Action, ev.Details, now); err != nil {
			return err
		}
	}
	return nil
}

// auditQuery builds the listing query so that each filter combination is a
// plain range on one index: audit_events_by_org, or audit_events_by_org_action
// when filtering by action (for an enterprise: audit_events_by_enterprise and
// audit_events_by_enterprise_action).
func auditQuery(q AuditQuery) (string, []any) {
	where := "a.org_id = ?"
	args := []any{q.OrgID}
	if q.EnterpriseID > 0 {
		where, args = "a.enterprise_id = ?", []any{q.EnterpriseID}
	}
	if q.Action != "" {
		where += " AND a.action = ?"
		args = append(args, q.Action)
	}
	if q.BeforeID > 0 {
		where += " AND a.id < ?"
		args = append(args, q.BeforeID)
	}
	args = append(args, q.Limit)
	return `SELECT a.id, a.action, COALESCE(u.login, a.actor_login), a.details, a.created_at
		FROM audit_events a LEFT JOIN users u ON u.id = a.actor_id
		WHERE ` + where + ` ORDER BY a.id DESC LIMIT ?`, args
}

// AuditEvents lists a page of an organization's (or an enterprise's) audit
// log.
func (s *Store) AuditEvents(ctx context.Context, q AuditQuery) (_ []AuditEvent, err error) {
	defer failed(&err, "audit events")
	if q.Limit <= 0 {
		q.Limit = 50
	}
	query, args := auditQuery(q)
	rows, err := s.read.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []AuditEvent
	for rows.Next() {
		var e AuditEvent
		var at string
		if err := rows.Scan(&e.ID, &e.Action, &e.ActorLogin, &e.Details, &at); err != nil {
			return nil, err
		}
		e.CreatedAt = parseTime(at)
		out = append(out, e)
	}
	return out, rows.Err()
}
