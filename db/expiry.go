package db

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"patpolicy/policy"
)

// Background work on tokens: expiry notices and inactivity revocations. Each
// run claims a bounded batch inside one write transaction, which every
// instance on the database takes in turn (see beginWrite), and records what
// it did in that transaction: two instances never send one notice or revoke
// one grant twice, and a restart forgets nothing.

// ExpiringToken is a token whose expiry notice is due, as the run that
// sends it read it.
type ExpiringToken struct {
	ID     int64
	UserID int64
	// OrgID is a fine-grained token's organization, 0 for a classic
	// token or one its user owns.
	OrgID     int64
	Kind      policy.Kind
	Name      string
	ExpiresAt time.Time
	CreatedAt time.Time
	Notice    policy.NoticeKind
}

// expiringQuery finds up to ?5 tokens, soonest expiry first, whose notice
// due at ?1 has not been sent: a range of tokens_by_expiry from ?4 (the
// oldest expiry still announced) to ?3 (a week ahead); ?2 is a day ahead.
// The CASE is policy.ExpiryNoticeDue's choice, in SQL.
const expiringQuery = `SELECT t.id, t.user_id, COALESCE(t.org_id, 0), t.kind, t.name, t.expires_at, t.created_at
	FROM tokens t INDEXED BY tokens_by_expiry
	WHERE t.expires_at > ?4 AND t.expires_at <= ?3
	  AND NOT EXISTS (SELECT 1 FROM token_notices n
	      WHERE n.token_id = t.id AND n.expires_at = t.expires_at
	        AND n.kind = CASE WHEN t.expires_at <= ?1 THEN 'expired'
	                          WHEN t.expires_at <= ?2 THEN 'expiring_1d'
	                          ELSE 'expiring_7d' END)
	ORDER BY t.expires_at, t.id LIMIT ?5`

// SendExpiryNotices sends, in one transaction, the expiry notices due at
// now of up to limit tokens: each is recorded in token_notices with what
// follow has follow it (its notification). A notice that tells nothing
// (policy.NoticeNews) is recorded without being sent. It returns how many
// were sent.
func (s *Store) SendExpiryNotices(ctx context.Context, now time.Time, limit int, follow func(ExpiringToken) FollowUp) (sent int, err error) {
	defer failed(&err, "send expiry notices")
	err = s.accessTx(ctx, func(tx *sql.Tx) error {
		sent = 0
		rows, err := tx.QueryContext(ctx, expiringQuery, timestamp(now), timestamp(now.Add(24*time.Hour)),
			timestamp(now.Add(7*24*time.Hour)), timestamp(now.Add(-policy.NoticeWindow)), limit)
		if err != nil {
			return err
		}
		var due []ExpiringToken
		for rows.Next() {
			var t ExpiringToken
			var expires, created string
			if err := rows.Scan(&t.ID, &t.UserID, &t.OrgID, &t.Kind, &t.Name, &expires, &created); err != nil {
				rows.Close()
				return err
			}
			t.ExpiresAt, t.CreatedAt = parseExpiry(expires), parseTime(created)
			due = append(due, t)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, t := range due {
			kind, ok := policy.ExpiryNoticeDue(t.ExpiresAt, now)
			if !ok {
				continue
			}
			t.Notice = kind
			added, err := insertOnce(ctx, tx,
				`INSERT INTO token_notices (token_id, kind, expires_at, sent_at) VALUES (?, ?, ?, ?)
				 ON CONFLICT DO NOTHING`, t.ID, kind, timestamp(t.ExpiresAt), timestamp(now))
			if err != nil {
				return err
			}
			if !added || !policy.NoticeNews(kind, t.CreatedAt, t.ExpiresAt) {
				continue
			}
			// No actor: the follow-up's events, if any, are the rule's.
			if err := s.writeFollowUp(ctx, tx, t.OrgID, 0, follow(t)); err != nil {
				return err
			}
			sent++
		}
		return nil
	})
	return sent, err
}

// The queries of an inactivity run: the organizations with a limit (each
// side by its partial index; CROSS JOIN keeps SQLite's planner from
// starting with every organization), then, per organization, its approved
// fine-grained tokens least recently used first, from tokens_by_org_last_use,
// each token's grant looked up by its token (a subquery, which no planner
// turns into a join reading every grant).
const (
	inactiveOrgsQuery = `SELECT o.id, op.inactive_days,
	        COALESCE((SELECT inactive_days FROM enterprise_policies WHERE enterprise_id = o.enterprise_id), 0)
	 FROM org_policies op INDEXED BY org_policies_inactive
	 CROSS JOIN organizations o
	 WHERE o.id = op.org_id AND op.inactive_days > 0
	 UNION
	 SELECT o.id, op.inactive_days, ep.inactive_days
	 FROM enterprise_policies ep INDEXED BY enterprise_policies_inactive
	 CROSS JOIN organizations o
	 CROSS JOIN org_policies op
	 WHERE o.enterprise_id = ep.enterprise_id AND op.org_id = o.id AND ep.inactive_days > 0`
	inactiveTokensQuery = `SELECT t.id FROM tokens t INDEXED BY tokens_by_org_last_use
	 WHERE t.org_id = ? AND COALESCE(t.last_used_at, t.created_at) < ? AND t.kind = 'fine_grained'
	   AND (SELECT g.status FROM grants g WHERE g.token_id = t.id) = 'approved'
	 ORDER BY COALESCE(t.last_used_at, t.created_at), t.id LIMIT ?`
)

// InactivitySweep is how often the instances on one database, between
// them, look for tokens gone unused beyond their organization's limit: a
// limit counts in days, so a token revoked up to this much late is on time
// enough, and a sweep reads every idle token of each organization with a
// limit, which is not to be paid every minute.
const InactivitySweep = time.Hour

// inactivityMark names the sweep in job_marks.
const inactivityMark = "inactivity"

// RevokeInactive revokes the approved grants of up to limit fine-grained
// tokens not used (never used: not since their creation) for longer than
// their organization's inactivity limit in force at now. Each moves to
// revoked with reason policy.ReasonInactive and no reviewer, with what
// follow(days) has follow it (its audit events acted by the rule,
// policy.RuleActor). It returns how many grants were revoked.
//
// It does nothing when a sweep went through everything due less than
// InactivitySweep before now (job_marks); a sweep that found fewer than
// limit tokens due is complete and marks itself so, one that found a full
// batch leaves the rest to the next run.
//
// The tokens due are looked for on a reader, without the write lock; the write transaction then
// revokes those whose grant is still approved and which are still unused
// beyond the limit then in force, so a use written down or a limit lifted
// meanwhile spares them, and of two instances only one revokes each.
//
// Last uses this process noted in memory are written first, so that a
// token used a moment ago here is seen as used. Another instance writes its
// own every few seconds: a use there in those last seconds is not seen.
func (s *Store) RevokeInactive(ctx context.Context, now time.Time, limit int, follow func(days int) Follow) (revoked int, err error) {
	defer failed(&err, "revoke inactive")
	var last string
	err = s.read.QueryRowContext(ctx, `SELECT at FROM job_marks WHERE name = ?`, inactivityMark).Scan(&last)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, err
	}
	if last != "" && parseTime(last).After(now.Add(-InactivitySweep)) {
		return 0, nil
	}
	if err := s.FlushLastUses(ctx); err != nil {
		return 0, err
	}
	orgs, err := inactivityLimits(ctx, s.read)
	if err != nil {
		return 0, err
	}
	due := map[int64][]int64{}
	found := 0
	for id, days := range orgs {
		if found >= limit {
			break
		}
		ids, err := int64s(ctx, s.read, inactiveTokensQuery, id, timestamp(policy.UnusedSince(now, days)), limit-found)
		if err != nil {
			return 0, err
		}
		if len(ids) > 0 {
			due[id] = ids
			found += len(ids)
		}
	}
	complete := found < limit
	if found == 0 {
		// Nothing to revoke: only the mark is written, which no cache reads.
		return 0, s.writeTx(ctx, changesNothingCached, func(tx *sql.Tx) error {
			return markSweep(ctx, tx, inactivityMark, now)
		})
	}
	err = s.accessTx(ctx, func(tx *sql.Tx) error {
		revoked = 0
		if complete {
			if err := markSweep(ctx, tx, inactivityMark, now); err != nil {
				return err
			}
		}
		inForce, err := inactivityLimits(ctx, tx)
		if err != nil {
			return err
		}
		for org, ids := range due {
			days := inForce[org]
			if days == 0 {
				continue
			}
			args := []any{policy.GrantRevoked, policy.ReasonInactive, timestamp(now), org, timestamp(policy.UnusedSince(now, days))}
			for _, id := range ids {
				args = append(args, id)
			}
			moved, err := int64s(ctx, tx,
				`UPDATE grants SET status = ?, reason = ?, reviewer_id = NULL, decided_at = ?
				 WHERE org_id = ? AND status = 'approved'
				   AND (SELECT COALESCE(t.last_used_at, t.created_at) FROM tokens t WHERE t.id = grants.token_id) < ?
				   AND token_id IN (`+placeholders(len(ids))+`) RETURNING id`, args...)
			if err != nil {
				return err
			}
			if _, err := s.afterReview(ctx, tx, org, 0, moved, policy.GrantApproved, policy.GrantRevoked,
				policy.ReasonInactive, follow(days)); err != nil {
				return err
			}
			revoked += len(moved)
		}
		return nil
	})
	return revoked, err
}

// markSweep records that the sweep name went through everything due at
// now; a mark only moves forward.
func markSweep(ctx context.Context, tx *sql.Tx, name string, now time.Time) error {
	_, err := tx.ExecContext(ctx,
		`INSERT INTO job_marks (name, at) VALUES (?1, ?2)
		 ON CONFLICT (name) DO UPDATE SET at = excluded.at WHERE job_marks.at < excluded.at`, name, timestamp(now))
	return err
}

// inactivityLimits maps each organization with an inactivity limit in
// force to its days.
func inactivityLimits(ctx context.Context, q queryer) (map[int64]int, error) {
	rows, err := q.QueryContext(ctx, inactiveOrgsQuery)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64]int{}
	for rows.Next() {
		var id int64
		var own policy.OrgSettings
		ent := policy.DefaultEnterprise()
		if err := rows.Scan(&id, &own.InactiveDays, &ent.InactiveDays); err != nil {
			return nil, err
		}
		if days := policy.Resolve(own, false, &ent).InactiveDays; days > 0 {
			out[id] = days
		}
	}
	return out, rows.Err()
}
