package policy

import (
	"fmt"
	"strings"
	"time"
)

// NoteCreatedByOwner is the audit note of a token an organization's owner
// created for it: it needs no approval.
const NoteCreatedByOwner = "created by an owner, no approval needed"

// GrantCreated is what a new grant of a token to an organization records
// in the organization's audit log, and whether the organization's owners
// are asked to review it: a pending request is created and waits for
// them; an owner's token is granted at once; any other approved token was
// requested and granted because the organization does not ask for
// approval.
func GrantCreated(t TokenSubject, status GrantStatus, byOwner bool) (events []Event, askOwners bool) {
	switch {
	case status == GrantPending:
		return []Event{GrantEvent(ActionRequestCreated, t, "")}, true
	case byOwner:
		return []Event{GrantEvent(ActionAccessGranted, t, NoteCreatedByOwner)}, false
	}
	return []Event{
		GrantEvent(ActionRequestCreated, t, ""),
		GrantEvent(ActionAccessGranted, t, "approval is not required"),
	}, false
}

// GrantDeleted is what the organization's audit log records when the owner
// of a token in status deletes it: a pending request is cancelled, an
// active token loses its access; a denied or revoked one had nothing left
// to lose.
func GrantDeleted(t TokenSubject, status GrantStatus) []Event {
	switch status {
	case GrantPending:
		return []Event{GrantEvent(ActionRequestCancelled, t, "deleted by its owner")}
	case GrantApproved:
		return []Event{GrantEvent(ActionAccessRevoked, t, "deleted by its owner")}
	}
	return nil
}

// GrantCancelled is what the organization's audit log records when a
// requester withdraws their pending request.
func GrantCancelled(t TokenSubject) []Event {
	return []Event{GrantEvent(ActionRequestCancelled, t, "")}
}

// RequestNotice is what an organization's owners are told of a new request
// to review.
func RequestNotice(t TokenSubject) string {
	return fmt.Sprintf("%s requests access to %s with token “%s”.", t.Owner, t.Org, t.Name)
}

// NoteApprovalTurnedOff is the audit note of a pending request approved
// because its organization stopped requiring approval.
const NoteApprovalTurnedOff = "approval is no longer required"

// GrantReviewed is what the organization's audit log records when a review
// moves a grant to status to, and what the grant's requester is told of
// it. reason is the reviewing owner's, "" for none: the requester reads it
// and the log keeps it. note says how the review came about, "" for an
// owner's own.
func GrantReviewed(t TokenSubject, to GrantStatus, reason, note string) (Event, string) {
	if reason != "" {
		note = strings.TrimPrefix(note+"; reason: "+reason, "; ")
	}
	return GrantEvent(ReviewAuditAction(to), t, note), ReviewNotice(to, t, reason)
}

// NoteApprovedByRule is the audit note of a request a rule approved.
func NoteApprovedByRule(rule string) string {
	return fmt.Sprintf("approved by the rule “%s”", rule)
}

// GrantApprovedByRule is what a request that rule approved at creation
// records and tells: the request created, acted by its requester; its
// approval, acted by the rule (RuleActor); and the requester's notice.
func GrantApprovedByRule(t TokenSubject, rule string) (created, granted Event, notice string) {
	created = GrantEvent(ActionRequestCreated, t, "")
	granted = GrantEvent(ActionAccessGranted, t, NoteApprovedByRule(rule))
	notice = fmt.Sprintf("Your token “%s” was approved for %s by the rule “%s”.", t.Name, t.Org, rule)
	return created, granted, notice
}

// NoticeKind names one of the notices a token's owner gets as its expiry
// nears: each is sent once per token and expiry.
type NoticeKind string

const (
	NoticeExpiringWeek NoticeKind = "expiring_7d"
	NoticeExpiringDay  NoticeKind = "expiring_1d"
	NoticeExpired      NoticeKind = "expired"
)

// ExpiryNoticeDue says which notice a token expiring at expires is due at
// now: the most pressing threshold passed (expired, then one day before,
// then seven days before), and false when none is. The "expired" notice is
// due only for NoticeWindow after the expiry, so that a token that expired
// long before anyone ran the check is not announced as news. A token that
// never expires (zero time) has none.
func ExpiryNoticeDue(expires, now time.Time) (NoticeKind, bool) {
	switch {
	case expires.IsZero():
		return "", false
	case !now.Before(expires):
		return NoticeExpired, now.Before(expires.Add(NoticeWindow))
	case !now.Before(expires.Add(-24 * time.Hour)):
		return NoticeExpiringDay, true
	case !now.Before(expires.Add(-7 * 24 * time.Hour)):
		return NoticeExpiringWeek, true
	}
	return "", false
}

// NoticeNews reports whether notice n of a token created at created and
// expiring at expires tells its owner anything: not when the token was
// made already that close to its expiry (a 7-day token is not announced
// as expiring in 7 days the moment it is made). Such a notice is recorded
// as sent, unsent.
func NoticeNews(n NoticeKind, created, expires time.Time) bool {
	switch n {
	case NoticeExpiringWeek:
		return created.Before(expires.Add(-7 * 24 * time.Hour))
	case NoticeExpiringDay:
		return created.Before(expires.Add(-24 * time.Hour))
	}
	return true
}

// NoticeWindow is how long after its expiry a token's "expired" notice is
// still sent; one that expired earlier went unannounced (the checks were
// not running), and is not announced late.
const NoticeWindow = 7 * 24 * time.Hour

// ExpiryNotice is what a token's owner is told as its expiry nears.
// kind is a token's kind; name is its name (a classic token's note).
func ExpiryNotice(n NoticeKind, kind Kind, name string) string {
	what := "Your fine-grained token"
	if kind == KindClassic {
		what = "Your classic token"
	}
	switch n {
	case NoticeExpiringWeek:
		return fmt.Sprintf("%s “%s” expires in 7 days. Regenerate it or create a new one before then.", what, name)
	case NoticeExpiringDay:
		return fmt.Sprintf("%s “%s” expires tomorrow. Regenerate it or create a new one before then.", what, name)
	}
	return fmt.Sprintf("%s “%s” has expired and no longer works.", what, name)
}

// ReasonInactive is the reason recorded on a grant revoked because its
// token went unused for longer than its organization allows.
const ReasonInactive = "inactive"

// RevokedInactive is what the organization's audit log records when a
// token loses its grant for going unused days days, and what its owner is
// told.
func RevokedInactive(t TokenSubject, days int) (Event, string) {
	ev := GrantEvent(ActionAccessRevoked, t, fmt.Sprintf("reason: %s (not used for %d days)", ReasonInactive, days))
	return ev, fmt.Sprintf("Your token “%s” lost its access to %s: it was not used for %d days.", t.Name, t.Org, days)
}

// UnusedSince is the last use before which a token has gone unused longer
// than an inactivity limit of days at now (never used: created before it).
func UnusedSince(now time.Time, days int) time.Time {
	return now.AddDate(0, 0, -days)
}
