package policy

import (
	"fmt"
	"strings"
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
