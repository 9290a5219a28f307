package policy

import (
	"fmt"
	"strings"
)

// Audit action names, as GitHub's audit log spells them.
const (
	ActionAccessRestrictionEnabled         = "personal_access_token.access_restriction_enabled"
	ActionAccessRestrictionDisabled        = "personal_access_token.access_restriction_disabled"
	ActionClassicAccessRestrictionEnabled  = "personal_access_token.classic_access_restriction_enabled"
	ActionClassicAccessRestrictionDisabled = "personal_access_token.classic_access_restriction_disabled"
	ActionExpirationLimitSet               = "personal_access_token.expiration_limit_set"
	ActionExpirationLimitUnset             = "personal_access_token.expiration_limit_unset"
	ActionAutoApproveEnable                = "auto_approve_personal_access_token_requests.enable"
	ActionAutoApproveDisable               = "auto_approve_personal_access_token_requests.disable"
	ActionFineGrainedOptIn                 = "personal_access_token.fine_grained_opt_in"
	ActionRequestCreated                   = "personal_access_token.request_created"
	ActionAccessGranted                    = "personal_access_token.access_granted"
	ActionRequestDenied                    = "personal_access_token.request_denied"
	ActionRequestCancelled                 = "personal_access_token.request_cancelled"
	ActionAccessRevoked                    = "personal_access_token.access_revoked"
	// patpolicy's own: an inactivity limit set, changed or lifted.
	ActionInactivityLimitSet   = "personal_access_token.inactivity_limit_set"
	ActionInactivityLimitUnset = "personal_access_token.inactivity_limit_unset"
	// An organization's webhooks.
	ActionHookCreate        = "hook.create"
	ActionHookConfigChanged = "hook.config_changed"
	ActionHookEventsChanged = "hook.events_changed"
	ActionHookActiveChanged = "hook.active_changed"
	ActionHookDestroy       = "hook.destroy"
)

// Actions lists every action the audit log records, for filters.
func Actions() []string {
	return []string{
		ActionAccessRestrictionEnabled,
		ActionAccessRestrictionDisabled,
		ActionClassicAccessRestrictionEnabled,
		ActionClassicAccessRestrictionDisabled,
		ActionExpirationLimitSet,
		ActionExpirationLimitUnset,
		ActionAutoApproveEnable,
		ActionAutoApproveDisable,
		ActionFineGrainedOptIn,
		ActionRequestCreated,
		ActionAccessGranted,
		ActionRequestDenied,
		ActionRequestCancelled,
		ActionAccessRevoked,
		ActionCredentialRevoked,
		ActionRegenerated,
		ActionAutoApprovalRuleChanged,
		ActionInactivityLimitSet,
		ActionInactivityLimitUnset,
		ActionHookCreate,
		ActionHookConfigChanged,
		ActionHookEventsChanged,
		ActionHookActiveChanged,
		ActionHookDestroy,
	}
}

// Event is an audit record to be written with the change it describes.
type Event struct {
	Action  string
	Details string
}

// OrgEvents lists the audit events for a change of an organization's own
// settings from old to next, in the order of the settings page.
func OrgEvents(old, next OrgSettings) []Event {
	var evs []Event
	if old.FineGrained != next.FineGrained {
		evs = append(evs, accessEvent(next.FineGrained == Restrict, false, "Fine-grained tokens "+accessWords(next.FineGrained)))
	}
	if old.Approval != next.Approval {
		if next.Approval == ApprovalRequired {
			evs = append(evs, Event{ActionAutoApproveDisable, "Owners must approve fine-grained token requests"})
		} else {
			evs = append(evs, Event{ActionAutoApproveEnable, "Fine-grained token requests are approved without review"})
		}
	}
	if old.Classic != next.Classic {
		evs = append(evs, accessEvent(next.Classic == Restrict, true, "Classic tokens "+accessWords(next.Classic)))
	}
	evs = append(evs, lifetimeEvents(old.FineGrainedLifetime, next.FineGrainedLifetime, "fine-grained")...)
	evs = append(evs, lifetimeEvents(old.ClassicLifetime, next.ClassicLifetime, "classic")...)
	return append(evs, inactivityEvents(old.InactiveDays, next.InactiveDays)...)
}

// OptInEvents lists the audit events of an organization enrolling: the
// opt-in, then one event for every chosen setting (compared with nothing, so
// even a choice equal to the default is recorded and the log shows the whole
// state the organization enrolled with).
func OptInEvents(chosen OrgSettings) []Event {
	evs := []Event{{ActionFineGrainedOptIn, "Opted in to fine-grained personal access tokens"}}
	return append(evs, OrgEvents(OrgSettings{}, chosen)...)
}

// EnterpriseEvents lists the audit events for a change of an enterprise's
// policy.
func EnterpriseEvents(old, next Enterprise) []Event {
	var evs []Event
	if old.FineGrained != next.FineGrained {
		evs = append(evs, accessEvent(next.FineGrained == EnterpriseAccessRestrict, false, "Enterprise fine-grained token policy: "+enterpriseWords(next.FineGrained)))
	}
	if old.Approval != next.Approval {
		action := ActionAutoApproveEnable
		if next.Approval == EnterpriseApprovalRequired {
			action = ActionAutoApproveDisable
		}
		evs = append(evs, Event{action, "Enterprise approval policy: " + string(next.Approval)})
	}
	if old.Classic != next.Classic {
		evs = append(evs, accessEvent(next.Classic == EnterpriseAccessRestrict, true, "Enterprise classic token policy: "+enterpriseWords(next.Classic)))
	}
	evs = append(evs, lifetimeEvents(old.FineGrainedLifetime, next.FineGrainedLifetime, "fine-grained")...)
	evs = append(evs, lifetimeEvents(old.ClassicLifetime, next.ClassicLifetime, "classic")...)
	if old.ExemptAdmins != next.ExemptAdmins {
		// GitHub names no action for the exemption; it is part of the
		// lifetime limit, set or lifted.
		if next.ExemptAdmins {
			evs = append(evs, Event{ActionExpirationLimitSet, "Administrators are exempt from the maximum lifetimes"})
		} else {
			evs = append(evs, Event{ActionExpirationLimitUnset, "Administrators are no longer exempt from the maximum lifetimes"})
		}
	}
	return append(evs, inactivityEvents(old.InactiveDays, next.InactiveDays)...)
}

// EnforcedBy is what an organization's audit log records of an enterprise's
// policy change: the same events, their details naming the enterprise.
func EnforcedBy(events []Event, enterprise string) []Event {
	out := make([]Event, len(events))
	for i, ev := range events {
		out[i] = Event{Action: ev.Action, Details: ev.Details + " (set by the " + enterprise + " enterprise)"}
	}
	return out
}

func accessEvent(restricted, classic bool, details string) Event {
	switch {
	case classic && restricted:
		return Event{ActionClassicAccessRestrictionEnabled, details}
	case classic:
		return Event{ActionClassicAccessRestrictionDisabled, details}
	case restricted:
		return Event{ActionAccessRestrictionEnabled, details}
	}
	return Event{ActionAccessRestrictionDisabled, details}
}

func lifetimeEvents(old, next int, kind string) []Event {
	switch {
	case old == next:
		return nil
	case next == 0:
		return []Event{{ActionExpirationLimitUnset, fmt.Sprintf("No maximum lifetime for %s tokens", kind)}}
	}
	return []Event{{ActionExpirationLimitSet, fmt.Sprintf("Maximum lifetime of %s tokens: %d days", kind, next)}}
}

func inactivityEvents(old, next int) []Event {
	switch {
	case old == next:
		return nil
	case next == 0:
		return []Event{{ActionInactivityLimitUnset, "Unused tokens keep their access"}}
	}
	return []Event{{ActionInactivityLimitSet, fmt.Sprintf("Tokens not used for %d days lose their access", next)}}
}

func accessWords(a Access) string {
	if a == Restrict {
		return "restricted"
	}
	return "allowed"
}

func enterpriseWords(a EnterpriseAccess) string {
	switch a {
	case EnterpriseAccessAllow:
		return "allowed in every organization"
	case EnterpriseAccessRestrict:
		return "restricted in every organization"
	}
	return "each organization decides"
}

// TokenSubject names the token an audit event or notification is about.
type TokenSubject struct {
	Name  string // the token's name
	Owner string // the requester's login
	Org   string // the organization's login
}

func (t TokenSubject) String() string {
	return fmt.Sprintf("token “%s” of %s on %s", t.Name, t.Owner, t.Org)
}

// GrantEvent is the audit event of a grant's change; note adds a reason or
// how it came about, "" for none.
func GrantEvent(action string, t TokenSubject, note string) Event {
	d := strings.ToUpper(t.String()[:1]) + t.String()[1:]
	if note != "" {
		d += ": " + note
	}
	return Event{Action: action, Details: d}
}

// ReviewAuditAction is the audit action of a review moving a grant to
// status to.
func ReviewAuditAction(to GrantStatus) string {
	switch to {
	case GrantApproved:
		return ActionAccessGranted
	case GrantDenied:
		return ActionRequestDenied
	}
	return ActionAccessRevoked
}

// ReviewNotice is what the requester is told of a review of their token
// that moved it to status to.
func ReviewNotice(to GrantStatus, t TokenSubject, reason string) string {
	var s string
	switch to {
	case GrantApproved:
		s = fmt.Sprintf("Your token “%s” was approved for %s.", t.Name, t.Org)
	case GrantDenied:
		s = fmt.Sprintf("Your request for token “%s” was denied by %s.", t.Name, t.Org)
	default:
		s = fmt.Sprintf("Your token “%s” was revoked by %s.", t.Name, t.Org)
	}
	if reason != "" {
		s += " Reason: " + reason
	}
	return s
}
