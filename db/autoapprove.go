package db

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"

	"patpolicy/hooks/payload"
	"patpolicy/policy"
)

// parseIDs reads a list of ids stored separated by spaces ("" for none).
func parseIDs(s string) ([]int64, error) {
	fields := strings.Fields(s)
	if len(fields) == 0 {
		return nil, nil
	}
	out := make([]int64, len(fields))
	for i, f := range fields {
		id, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("stored id list %q: %w", s, err)
		}
		out[i] = id
	}
	return out, nil
}

// formatIDs writes ids as parseIDs reads them.
func formatIDs(ids []int64) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = strconv.FormatInt(id, 10)
	}
	return strings.Join(parts, " ")
}

// recordRuleEvents writes audit events a rule of the organization acted:
// no user is their actor, the log names policy.RuleActor.
func (s *Store) recordRuleEvents(ctx context.Context, tx *sql.Tx, orgID int64, events []policy.Event) error {
	now := timestamp(s.now())
	for _, ev := range events {
		if _, err := tx.ExecContext(ctx,
			`INSERT INTO audit_events (org_id, actor_id, actor_login, action, details, created_at) VALUES (?, NULL, ?, ?, ?, ?)`,
			orgID, policy.RuleActor, ev.Action, ev.Details, now); err != nil {
			return err
		}
	}
	return nil
}

// setRule stores a change's automatic approval rule, if it sets one, and
// approves the pending requests a new rule covers where approval is still
// required after the change, each with what ch.RuleApproved has follow it.
func (s *Store) setRule(ctx context.Context, tx *sql.Tx, ch OrgPolicyChange) error {
	if ch.Rule == nil {
		return nil
	}
	var readOnly bool
	var repos string
	if err := tx.QueryRowContext(ctx, `SELECT auto_approve_read_only, auto_approve_repos FROM org_policies WHERE org_id = ?`,
		ch.OrgID).Scan(&readOnly, &repos); err != nil {
		return err
	}
	old, err := parseIDs(repos)
	if err != nil {
		return err
	}
	if (policy.AutoApproval{ReadOnly: readOnly, RepoIDs: old}).Equal(*ch.Rule) {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `UPDATE org_policies SET auto_approve_read_only = ?, auto_approve_repos = ? WHERE org_id = ?`,
		ch.Rule.ReadOnly, formatIDs(ch.Rule.RepoIDs), ch.OrgID); err != nil {
		return err
	}
	if ch.RuleApproved == nil {
		return nil
	}
	after, err := approvalsInForce(ctx, tx, "o.id = ?", ch.OrgID)
	if err != nil {
		return err
	}
	if !ch.Rule.AppliesIn(after[ch.OrgID]) {
		return nil
	}
	moved, err := int64s(ctx, tx,
		`UPDATE grants SET status = 'approved', reviewer_id = NULL, decided_at = ?
		 WHERE id IN (SELECT g.id FROM grants g JOIN tokens t ON t.id = g.token_id
		              WHERE g.org_id = ? AND g.status = 'pending' AND `+coveredSQL(*ch.Rule)+`)
		 RETURNING id`, timestamp(s.now()), ch.OrgID)
	if err != nil {
		return err
	}
	_, err = s.afterReview(ctx, tx, ch.OrgID, ch.ActorID, moved, policy.GrantPending, policy.GrantApproved, "", ch.RuleApproved)
	return err
}

// coveredSQL is the condition on a grant g and its token t that rule
// covers them, as policy.AutoApproval.Covers decides it: no permission
// above read, and, when the rule lists repositories, only listed ones
// selected. The ids are written into the text: they are numbers.
func coveredSQL(rule policy.AutoApproval) string {
	cond := `NOT EXISTS (SELECT 1 FROM token_permissions p WHERE p.token_id = g.token_id AND p.level <> 'read')`
	if len(rule.RepoIDs) > 0 {
		cond += ` AND t.repository_selection = 'selected'
		  AND NOT EXISTS (SELECT 1 FROM token_repositories r WHERE r.token_id = g.token_id
		                  AND r.repo_id NOT IN (` + strings.ReplaceAll(formatIDs(rule.RepoIDs), " ", ", ") + `))`
	}
	return cond
}

// PolicyShift is a change of the policy in force in one organization, for
// counting what saving it would do.
type PolicyShift struct {
	OrgID         int64
	Before, After policy.Effective
	// RuleBefore and RuleAfter are the automatic approval rule before and
	// after the change.
	RuleBefore, RuleAfter policy.AutoApproval
}

// Impact counts what saving each shift would do in its organization: the
// active tokens it would shut out (policy.ShutOut) and the pending requests
// it would approve (approval turned off: all of them; a changed rule that
// applies after the change: those it covers). Each figure is one indexed
// count per organization. Organizations where nothing would happen are
// left out.
func (s *Store) Impact(ctx context.Context, shifts []PolicyShift) (_ []policy.Impact, err error) {
	defer failed(&err, "policy impact")
	now := timestamp(s.now())
	var out []policy.Impact
	for _, sh := range shifts {
		var imp policy.Impact
		if err := s.read.QueryRowContext(ctx, `SELECT login FROM organizations WHERE id = ?`, sh.OrgID).Scan(&imp.Org); err != nil {
			return nil, err
		}
		if fg := s.shutOutSQL(policy.KindFineGrained, sh.Before, sh.After); fg != "" {
			n, err := s.count(ctx, fineGrainedShutOutSQL("COUNT(*)", fg), sh.OrgID, now)
			if err != nil {
				return nil, err
			}
			imp.TokensBlocked += n
		}
		if cl := s.shutOutSQL(policy.KindClassic, sh.Before, sh.After); cl != "" {
			n, err := s.count(ctx, classicShutOutSQL("COUNT(*)", cl), sh.OrgID, now)
			if err != nil {
				return nil, err
			}
			imp.TokensBlocked += n
		}
		switch {
		case policy.ApprovalTurnedOff(sh.Before, sh.After):
			imp.RequestsApproved, err = s.count(ctx,
				`SELECT COALESCE((SELECT n FROM grant_counts WHERE org_id = ? AND status = 'pending'), 0)`, sh.OrgID)
		case !sh.RuleBefore.Equal(sh.RuleAfter) && sh.RuleAfter.AppliesIn(sh.After):
			imp.RequestsApproved, err = s.count(ctx, coveredPendingSQL(sh.RuleAfter), sh.OrgID)
		}
		if err != nil {
			return nil, err
		}
		if imp.Any() {
			out = append(out, imp)
		}
	}
	return out, nil
}

// fineGrainedShutOutSQL selects what (COUNT(*), or t.id) of an
// organization's active fine-grained tokens (its id and the time now are
// the arguments) that cond shuts out.
func fineGrainedShutOutSQL(what, cond string) string {
	return `SELECT ` + what + ` FROM grants x JOIN tokens t ON t.id = x.token_id
		WHERE x.org_id = ? AND x.status = 'approved' AND (t.expires_at IS NULL OR t.expires_at > ?) AND ` + cond
}

// classicShutOutSQL selects what of the active classic tokens of an
// organization's members (its id and the time now are the arguments) that
// cond shuts out.
func classicShutOutSQL(what, cond string) string {
	return `SELECT ` + what + ` FROM memberships x JOIN tokens t ON t.user_id = x.user_id AND t.kind = 'classic'
		WHERE x.org_id = ? AND (t.expires_at IS NULL OR t.expires_at > ?) AND ` + cond
}

// MaxBlockedEvents bounds how many tokens one organization's policy change
// announces to its webhooks as blocked: a change that shuts out more
// announces the first ones (by id) only; the figures before saving and the
// inventory give the whole count.
const MaxBlockedEvents = 1000

// announceBlocked queues, in a policy change's transaction, the webhook
// event personal_access_token "blocked" for each active token a shift
// shuts out, in the organizations whose active webhooks subscribe to that
// event (none: not even the query runs).
func (s *Store) announceBlocked(ctx context.Context, tx *sql.Tx, actorID int64, shifts []PolicyShift) error {
	now := timestamp(s.now())
	for _, sh := range shifts {
		subs, err := activeHooks(ctx, tx, sh.OrgID)
		if err != nil {
			return err
		}
		if !anySubscribes(subs, payload.EventToken) {
			continue
		}
		var events []HookEvent
		for _, q := range []struct {
			kind  policy.Kind
			query func(what, cond string) string
		}{{policy.KindFineGrained, fineGrainedShutOutSQL}, {policy.KindClassic, classicShutOutSQL}} {
			cond := s.shutOutSQL(q.kind, sh.Before, sh.After)
			if cond == "" || len(events) >= MaxBlockedEvents {
				continue
			}
			ids, err := int64s(ctx, tx, q.query("t.id", cond)+` ORDER BY t.id LIMIT ?`, sh.OrgID, now, MaxBlockedEvents-len(events))
			if err != nil {
				return err
			}
			for _, id := range ids {
				events = append(events, HookEvent{Event: payload.EventToken, Action: "blocked", TokenID: id})
			}
		}
		if err := s.enqueueTo(ctx, tx, subs, sh.OrgID, actorID, events); err != nil {
			return err
		}
	}
	return nil
}

// coveredPendingSQL counts an organization's pending requests (its id is
// the argument) that rule covers.
func coveredPendingSQL(rule policy.AutoApproval) string {
	from := `grants g`
	if len(rule.RepoIDs) > 0 {
		from += ` JOIN tokens t ON t.id = g.token_id` // for its repository selection
	}
	return `SELECT COUNT(*) FROM ` + from + ` WHERE g.org_id = ? AND g.status = 'pending' AND ` + coveredSQL(rule)
}

func (s *Store) count(ctx context.Context, query string, args ...any) (int, error) {
	var n int
	err := s.read.QueryRowContext(ctx, query, args...).Scan(&n)
	return n, err
}

// shutOutSQL is the condition on a token t of kind (in a query whose row x
// has the organization's org_id) that the change from before to after shuts it
// out, as policy.ShutOut decides it: blocked after and not before. It is
// "" when the change can shut out no token of that kind.
func (s *Store) shutOutSQL(kind policy.Kind, before, after policy.Effective) string {
	a, b := s.blockedSQL(kind, after), s.blockedSQL(kind, before)
	if a == "" || b == alwaysSQL {
		return ""
	}
	if b == "" {
		return "(" + a + ")"
	}
	return "(" + a + ") AND NOT (" + b + ")"
}

const alwaysSQL = "1 = 1"

// blockers are the reasons a policy shuts a token out, each a condition on
// a token t of a kind under the policy eff ("" when it shuts none out,
// alwaysSQL when it shuts out all of them), in policy.BlockedByPolicy's
// order. A new kind of limit is one more function here.
func (s *Store) blockers() []func(policy.Kind, policy.Effective) string {
	return []func(policy.Kind, policy.Effective) string{blockedByAccess, s.blockedByLifetime, s.blockedByInactivity}
}

// blockedByInactivity: a fine-grained token unused (never used: since its
// creation) for longer than the inactivity limit, which the next
// inactivity run revokes. Classic tokens hold no grant to lose.
func (s *Store) blockedByInactivity(kind policy.Kind, eff policy.Effective) string {
	if kind != policy.KindFineGrained || eff.InactiveDays == 0 {
		return ""
	}
	// A timestamp this store wrote: digits and punctuation only.
	return `COALESCE(t.last_used_at, t.created_at) < '` + timestamp(policy.UnusedSince(s.now(), eff.InactiveDays)) + `'`
}

// blockedSQL is the condition on a token t of kind that policy eff shuts
// it out: any of the blockers.
func (s *Store) blockedSQL(kind policy.Kind, eff policy.Effective) string {
	var conds []string
	for _, b := range s.blockers() {
		switch c := b(kind, eff); c {
		case "":
		case alwaysSQL:
			return alwaysSQL
		default:
			conds = append(conds, "("+c+")")
		}
	}
	return strings.Join(conds, " OR ")
}

// blockedByAccess: not opted in or fine-grained access restricted; classic
// access restricted.
func blockedByAccess(kind policy.Kind, eff policy.Effective) string {
	if kind == policy.KindClassic && eff.Classic == policy.Restrict ||
		kind == policy.KindFineGrained && (!eff.OptedIn || eff.FineGrained == policy.Restrict) {
		return alwaysSQL
	}
	return ""
}

// blockedByLifetime: a lifetime above the kind's maximum, unless its owner
// owns the organization and administrators are exempt. The token's owner
// is t.user_id, the organization's id x.org_id.
func (s *Store) blockedByLifetime(kind policy.Kind, eff policy.Effective) string {
	max := eff.FineGrainedLifetime
	if kind == policy.KindClassic {
		max = eff.ClassicLifetime
	}
	if max == 0 {
		return ""
	}
	// Both lifetimes are whole calendar days in UTC (policy.ExpiresAt), so
	// a token of exactly max days is not over it.
	over := fmt.Sprintf(`t.expires_at IS NULL OR julianday(t.expires_at) > julianday(t.created_at, '+%d days') + 0.00001`, max)
	if s.dialect == postgresDialect {
		over = fmt.Sprintf(`t.expires_at IS NULL OR t.expires_at::timestamptz > t.created_at::timestamptz + interval '%d days'`, max)
	}
	if !eff.ExemptAdmins {
		return over
	}
	return `(` + over + `) AND NOT EXISTS (SELECT 1 FROM memberships mo
		WHERE mo.org_id = x.org_id AND mo.user_id = t.user_id AND mo.role = 'owner')`
}

// EnterpriseOrgIDs lists the ids of an enterprise's organizations, by login.
func (s *Store) EnterpriseOrgIDs(ctx context.Context, entID int64) (_ []int64, err error) {
	defer failed(&err, "enterprise organizations")
	return int64s(ctx, s.read, `SELECT id FROM organizations WHERE enterprise_id = ? ORDER BY login`, entID)
}
