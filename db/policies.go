package db

import (
	"context"
	"database/sql"
	"errors"

	"patpolicy/policy"
)

// OrgPolicy is an organization's stored settings with what is needed to
// resolve and change them.
type OrgPolicy struct {
	Own        policy.OrgSettings
	Version    int
	OptedIn    bool
	Enterprise *policy.Enterprise // nil when the organization has no enterprise
	// AutoApproval is the organization's rule approving requests at
	// creation; its RepoIDs are shared, not to be changed.
	AutoApproval policy.AutoApproval
}

// Effective resolves the policy in force.
func (p OrgPolicy) Effective() policy.Effective {
	return policy.Resolve(p.Own, p.OptedIn, p.Enterprise)
}

// OrgPolicy loads an organization's settings and its enterprise's policy in
// one read, kept until a policy, organization or enterprise changes. The
// Enterprise it points to is shared: not to be changed.
func (s *Store) OrgPolicy(ctx context.Context, orgID int64) (_ OrgPolicy, err error) {
	defer failed(&err, "org policy")
	return through(ctx, s, &s.cache.access, s.cache.policies, orgID, func(ctx context.Context) (OrgPolicy, error) {
		return s.loadOrgPolicy(ctx, orgID)
	})
}

func (s *Store) loadOrgPolicy(ctx context.Context, orgID int64) (OrgPolicy, error) {
	var (
		p                              OrgPolicy
		entSlug, entName               sql.NullString
		entOptedIn, entExempt          sql.NullBool
		entFG, entApproval, entClassic sql.NullString
		entFGDays, entClassicDays      sql.NullInt64
		ruleRepos                      string
		entInactive                    sql.NullInt64
	)
	err := s.read.QueryRowContext(pointRead(ctx),
		`SELECT op.fine_grained_access, op.approval, op.classic_access,
		        op.fine_grained_max_days, op.classic_max_days, op.version, o.opted_in,
		        e.slug, e.name, e.opted_in,
		        ep.fine_grained_access, ep.approval, ep.classic_access,
		        ep.fine_grained_max_days, ep.classic_max_days, ep.exempt_administrators,
		        op.auto_approve_read_only, op.auto_approve_repos,
		        op.inactive_days, ep.inactive_days
		 FROM organizations o
		 JOIN org_policies op ON op.org_id = o.id
		 LEFT JOIN enterprises e ON e.id = o.enterprise_id
		 LEFT JOIN enterprise_policies ep ON ep.enterprise_id = e.id
		 WHERE o.id = ?`, orgID).Scan(
		&p.Own.FineGrained, &p.Own.Approval, &p.Own.Classic,
		&p.Own.FineGrainedLifetime, &p.Own.ClassicLifetime, &p.Version, &p.OptedIn,
		&entSlug, &entName, &entOptedIn,
		&entFG, &entApproval, &entClassic, &entFGDays, &entClassicDays, &entExempt,
		&p.AutoApproval.ReadOnly, &ruleRepos,
		&p.Own.InactiveDays, &entInactive)
	if errors.Is(err, sql.ErrNoRows) {
		return p, ErrNotFound
	}
	if err != nil {
		return p, err
	}
	if p.AutoApproval.RepoIDs, err = parseIDs(ruleRepos); err != nil {
		return p, err
	}
	if entSlug.Valid {
		ent := policy.DefaultEnterprise()
		ent.Slug, ent.Name, ent.OptedIn = entSlug.String, entName.String, entOptedIn.Bool
		if entFG.Valid {
			ent.FineGrained = policy.EnterpriseAccess(entFG.String)
			ent.Approval = policy.EnterpriseApproval(entApproval.String)
			ent.Classic = policy.EnterpriseAccess(entClassic.String)
			ent.FineGrainedLifetime = int(entFGDays.Int64)
			ent.ClassicLifetime = int(entClassicDays.Int64)
			ent.ExemptAdmins = entExempt.Bool
			ent.InactiveDays = int(entInactive.Int64)
		}
		p.Enterprise = &ent
	}
	return p, nil
}

// SaveOrgPolicy stores an organization's new settings and their audit events
// in one transaction, if the stored version is still expectedVersion;
// otherwise it returns ErrStale and changes nothing. The version moves on
// only when something changed. When the change stops the organization
// requiring approval, its pending requests are approved in the same
// transaction, each with what approved has follow it (nil: nothing).
func (s *Store) SaveOrgPolicy(ctx context.Context, orgID, actorID int64, expectedVersion int, next policy.OrgSettings, events []policy.Event, approved Follow) (err error) {
	return s.SaveOrgPolicyChange(ctx, OrgPolicyChange{OrgID: orgID, ActorID: actorID, ExpectedVersion: expectedVersion,
		Next: next, Events: events, Approved: approved})
}

// OrgPolicyChange is a change of an organization's policy, stored by
// SaveOrgPolicyChange.
type OrgPolicyChange struct {
	OrgID, ActorID  int64
	ExpectedVersion int
	Next            policy.OrgSettings
	// Rule, when set, replaces the organization's automatic approval rule.
	Rule   *policy.AutoApproval
	Events []policy.Event
	// Approved follows each pending request approved because approval was
	// turned off; RuleApproved each one a changed rule approves (nil: the
	// rule approves none of those already pending).
	Approved, RuleApproved Follow
	// Blocked are the shifts whose newly shut-out tokens the organization's
	// webhooks hear of (personal_access_token, blocked).
	Blocked []PolicyShift
}

// SaveOrgPolicyChange is SaveOrgPolicy with the automatic approval rule:
// when the change sets a different rule that applies after it, the pending
// requests the rule covers are approved in the same transaction, acted by
// the rule.
func (s *Store) SaveOrgPolicyChange(ctx context.Context, ch OrgPolicyChange) (err error) {
	defer failed(&err, "save org policy")
	return s.accessTx(ctx, func(tx *sql.Tx) error {
		bump := 0
		if len(ch.Events) > 0 {
			bump = 1
		}
		before, err := approvalsInForce(ctx, tx, "o.id = ?", ch.OrgID)
		if err != nil {
			return err
		}
		next := ch.Next
		res, err := tx.ExecContext(ctx,
			`UPDATE org_policies SET fine_grained_access = ?, approval = ?, classic_access = ?,
			        fine_grained_max_days = ?, classic_max_days = ?, version = version + ?, updated_at = ?,
			        inactive_days = ?
			 WHERE org_id = ? AND version = ?`,
			next.FineGrained, next.Approval, next.Classic, next.FineGrainedLifetime, next.ClassicLifetime,
			bump, timestamp(s.now()), next.InactiveDays, ch.OrgID, ch.ExpectedVersion)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrStale
		}
		if err := s.recordEvents(ctx, tx, "org_id", ch.OrgID, ch.ActorID, ch.Events); err != nil {
			return err
		}
		if err := s.approveWhereTurnedOff(ctx, tx, "o.id = ?", ch.OrgID, ch.ActorID, before, ch.Approved); err != nil {
			return err
		}
		if err := s.announceBlocked(ctx, tx, ch.ActorID, ch.Blocked); err != nil {
			return err
		}
		return s.setRule(ctx, tx, ch)
	})
}

// approvalsInForce reads the approval policy in force of the organizations
// matched by where (a condition on organizations o with one argument).
func approvalsInForce(ctx context.Context, tx *sql.Tx, where string, arg int64) (map[int64]policy.Effective, error) {
	rows, err := tx.QueryContext(ctx,
		`SELECT o.id, op.approval, COALESCE(ep.approval, 'no_policy') FROM organizations o
		 JOIN org_policies op ON op.org_id = o.id
		 LEFT JOIN enterprise_policies ep ON ep.enterprise_id = o.enterprise_id
		 WHERE `+where, arg)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64]policy.Effective{}
	for rows.Next() {
		var id int64
		var own policy.OrgSettings
		ent := policy.DefaultEnterprise()
		if err := rows.Scan(&id, &own.Approval, &ent.Approval); err != nil {
			return nil, err
		}
		out[id] = policy.Resolve(own, false, &ent)
	}
	return out, rows.Err()
}

// approveWhereTurnedOff approves the pending requests of every organization
// (matched by where) that required approval before a change and no longer
// does after it, each with what approved has follow it.
func (s *Store) approveWhereTurnedOff(ctx context.Context, tx *sql.Tx, where string, arg, actorID int64, before map[int64]policy.Effective, approved Follow) error {
	after, err := approvalsInForce(ctx, tx, where, arg)
	if err != nil {
		return err
	}
	for id, eff := range after {
		if policy.ApprovalTurnedOff(before[id], eff) {
			if err := s.approveAllPending(ctx, tx, id, actorID, approved); err != nil {
				return err
			}
		}
	}
	return nil
}

// ErrAlreadyOptedIn is returned when enrolling an organization twice.
var ErrAlreadyOptedIn = errors.New("organization already opted in")

// OptIn enrolls an organization in fine-grained tokens with the chosen
// settings, recording the events in the same transaction.
func (s *Store) OptIn(ctx context.Context, orgID, actorID int64, chosen policy.OrgSettings, events []policy.Event) (err error) {
	defer failed(&err, "opt in")
	return s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE organizations SET opted_in = 1 WHERE id = ? AND opted_in = 0`, orgID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrAlreadyOptedIn
		}
		if _, err := tx.ExecContext(ctx,
			`UPDATE org_policies SET fine_grained_access = ?, approval = ?, classic_access = ?,
			        fine_grained_max_days = ?, classic_max_days = ?, version = version + 1, updated_at = ?,
			        inactive_days = ?
			 WHERE org_id = ?`,
			chosen.FineGrained, chosen.Approval, chosen.Classic, chosen.FineGrainedLifetime, chosen.ClassicLifetime,
			timestamp(s.now()), chosen.InactiveDays, orgID); err != nil {
			return err
		}
		return s.recordEvents(ctx, tx, "org_id", orgID, actorID, events)
	})
}

// EnterprisePolicy loads an enterprise's policy and its version.
func (s *Store) EnterprisePolicy(ctx context.Context, entID int64) (_ policy.Enterprise, _ int, err error) {
	defer failed(&err, "enterprise policy")
	ent := policy.DefaultEnterprise()
	var version int
	err = s.read.QueryRowContext(ctx,
		`SELECT e.slug, e.name, e.opted_in,
		        COALESCE(ep.fine_grained_access, 'no_policy'), COALESCE(ep.approval, 'no_policy'),
		        COALESCE(ep.classic_access, 'no_policy'), COALESCE(ep.fine_grained_max_days, 0),
		        COALESCE(ep.classic_max_days, 0), COALESCE(ep.exempt_administrators, 0), COALESCE(ep.version, 0),
		        COALESCE(ep.inactive_days, 0)
		 FROM enterprises e LEFT JOIN enterprise_policies ep ON ep.enterprise_id = e.id WHERE e.id = ?`, entID).Scan(
		&ent.Slug, &ent.Name, &ent.OptedIn, &ent.FineGrained, &ent.Approval, &ent.Classic,
		&ent.FineGrainedLifetime, &ent.ClassicLifetime, &ent.ExemptAdmins, &version, &ent.InactiveDays)
	if errors.Is(err, sql.ErrNoRows) {
		return ent, 0, ErrNotFound
	}
	return ent, version, err
}

// SaveEnterprisePolicy stores an enterprise's new policy and its audit
// events in one transaction, under the same version and approval rules as
// SaveOrgPolicy: the pending requests of each organization that stops
// requiring approval are approved, with what approved has follow them, and
// the tokens each of the blocked shifts shuts out are announced to their
// organization's webhooks.
func (s *Store) SaveEnterprisePolicy(ctx context.Context, entID, actorID int64, expectedVersion int, next policy.Enterprise, events []policy.Event, approved Follow, blocked ...PolicyShift) (err error) {
	defer failed(&err, "save enterprise policy")
	return s.accessTx(ctx, func(tx *sql.Tx) error {
		bump := 0
		if len(events) > 0 {
			bump = 1
		}
		now := timestamp(s.now())
		before, err := approvalsInForce(ctx, tx, "o.enterprise_id = ?", entID)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx,
			`UPDATE enterprise_policies SET fine_grained_access = ?, approval = ?, classic_access = ?,
			        fine_grained_max_days = ?, classic_max_days = ?, exempt_administrators = ?,
			        version = version + ?, updated_at = ?, inactive_days = ?
			 WHERE enterprise_id = ? AND version = ?`,
			next.FineGrained, next.Approval, next.Classic, next.FineGrainedLifetime, next.ClassicLifetime,
			next.ExemptAdmins, bump, now, next.InactiveDays, entID, expectedVersion)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrStale
		}
		if bump == 1 {
			// What each organization has in force changed too: a settings
			// form an owner opened before this is now out of date.
			if _, err := tx.ExecContext(ctx,
				`UPDATE org_policies SET version = version + 1
				 WHERE org_id IN (SELECT id FROM organizations WHERE enterprise_id = ?)`, entID); err != nil {
				return err
			}
		}
		if err := s.recordEvents(ctx, tx, "enterprise_id", entID, actorID, events); err != nil {
			return err
		}
		if err := s.recordInOrganizations(ctx, tx, entID, actorID, events); err != nil {
			return err
		}
		if err := s.approveWhereTurnedOff(ctx, tx, "o.enterprise_id = ?", entID, actorID, before, approved); err != nil {
			return err
		}
		return s.announceBlocked(ctx, tx, actorID, blocked)
	})
}

// recordInOrganizations writes an enterprise's policy events into the audit
// log of each of its organizations too, naming the enterprise, in the
// transaction of the change.
func (s *Store) recordInOrganizations(ctx context.Context, tx *sql.Tx, entID, actorID int64, events []policy.Event) error {
	if len(events) == 0 {
		return nil
	}
	var name string
	if err := tx.QueryRowContext(ctx, `SELECT name FROM enterprises WHERE id = ?`, entID).Scan(&name); err != nil {
		return err
	}
	orgs, err := int64s(ctx, tx, `SELECT id FROM organizations WHERE enterprise_id = ? ORDER BY id`, entID)
	if err != nil {
		return err
	}
	enforced := policy.EnforcedBy(events, name)
	for _, org := range orgs {
		if err := s.recordEvents(ctx, tx, "org_id", org, actorID, enforced); err != nil {
			return err
		}
	}
	return nil
}
