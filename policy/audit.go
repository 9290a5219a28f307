package policy

import "fmt"

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
)

// Actions lists every action a settings change can record, for filters.
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
	return evs
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
	return evs
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
