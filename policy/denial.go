package policy

import (
	"fmt"
	"net/http"
)

// A refusal by policy explains itself: its message names the rule and the
// organization (or enterprise) whose rule it is, in GitHub's words where
// GitHub has them, and its Reason is a stable id a program can match
// (served as the API's X-Patpolicy-Decision header). The messages are
// written here, and only here, so that the API and the site say the same.

// DecisionHeader is the header that carries the rule of a refusal.
const DecisionHeader = "X-Patpolicy-Decision"

// Rule is the id of the rule that refused the call, for the
// DecisionHeader: the Reason of a 403, "" for anything else. Allowed calls
// carry none (there is nothing to explain), nor do 401s (the token is not
// known, so no rule was applied), nor 404s: a 404 that hides a private
// repository must look like any other, and naming the rule that hid it
// would tell that the repository exists.
func (d Decision) Rule() Reason {
	if d.Status != http.StatusForbidden {
		return ""
	}
	return d.Reason
}

// denial is what a refusal's message names.
type denial struct {
	// who is the organization whose rule refused, or its enterprise where
	// the enterprise's rule is the one in force; enterprise says which.
	who        string
	enterprise bool
	// days is the maximum lifetime exceeded.
	days int
	// scope is the classic scope missing.
	scope string
	// tokenURL gives the token's page, where its owner may change it; nil
	// names none.
	tokenURL func() string
	// classicAllowed says whether a classic token may be suggested instead.
	classicAllowed bool
}

func (d denial) kind() string {
	if d.enterprise {
		return "enterprise"
	}
	return "organization"
}

// adjust is GitHub's pointer to the page where a token's lifetime is
// changed.
func (d denial) adjust() string {
	if d.tokenURL == nil {
		return ""
	}
	return " Please adjust your token's lifetime at the following URL: " + d.tokenURL()
}

// denialMessage is the message of a refusal for reason r, "" for a reason
// that refuses nothing. docs/policy.md lists them, and which are GitHub's.
func denialMessage(r Reason, d denial) string {
	switch r {
	case ReasonNotOptedIn:
		return fmt.Sprintf("`%s` forbids access via a fine-grained personal access token: it has not enabled fine-grained personal access tokens. %s", d.who, d.alternatives())
	case ReasonRestricted:
		return fmt.Sprintf("`%s` forbids access via a fine-grained personal access token. %s", d.who, d.alternatives())
	case ReasonOtherOwner:
		return fmt.Sprintf("`%s` forbids access via this fine-grained personal access token: its resource owner is another account.", d.who)
	case ReasonPending:
		return fmt.Sprintf("`%s` forbids access via this fine-grained personal access token: its request for access is waiting for an owner's approval.", d.who)
	case ReasonDenied:
		return fmt.Sprintf("`%s` forbids access via this fine-grained personal access token: an owner denied its request for access.", d.who)
	case ReasonRevoked:
		return fmt.Sprintf("`%s` forbids access via this fine-grained personal access token: an owner revoked its access.", d.who)
	case ReasonLifetime:
		// GitHub's sentence, word for word (its "a ... tokens" included).
		return fmt.Sprintf("The '%s' %s forbids access via a fine-grained personal access tokens if the token's lifetime is greater than %d days.%s", d.who, d.kind(), d.days, d.adjust())
	case ReasonNotMember:
		return fmt.Sprintf("`%s` forbids access via a personal access token whose owner is not a member of the organization.", d.who)
	case ReasonOutsideSelection, ReasonPermission:
		return MsgNotAccessible
	case ReasonClassicRestricted:
		return fmt.Sprintf("`%s` forbids access via a personal access token (classic). Please use a GitHub App, OAuth App, or a personal access token with fine-grained permissions.", d.who)
	case ReasonClassicLifetime:
		return fmt.Sprintf("The '%s' %s forbids access via a personal access tokens (classic) if the token's lifetime is greater than %d days.%s", d.who, d.kind(), d.days, d.adjust())
	case ReasonScope:
		return fmt.Sprintf("This API operation needs the %q scope.", d.scope)
	case ReasonOwnersOnly:
		return fmt.Sprintf("`%s` allows only its owners to do this.", d.who)
	case ReasonEnterpriseScope:
		return "Enterprise settings take a personal access token (classic) with the admin:enterprise scope."
	}
	return ""
}

// alternatives suggests what to use instead of a fine-grained token.
func (d denial) alternatives() string {
	if d.classicAllowed {
		return "Please use a GitHub App, OAuth App, or a personal access token (classic)."
	}
	return "Please use a GitHub App or an OAuth App."
}

// refuse is the 403 of reason r.
func refuse(r Reason, d denial) Decision {
	return Decision{Status: http.StatusForbidden, Reason: r, Message: denialMessage(r, d)}
}

// inOrg is a denial naming the organization org.
func inOrg(org string) denial { return denial{who: org} }

// byRule names whoever's rule is in force for field f: the enterprise
// when it enforces the field, else the organization.
func byRule(org string, eff Effective, f Field) denial {
	if ent, ok := eff.Locked[f]; ok {
		return denial{who: ent, enterprise: true}
	}
	return denial{who: org}
}

// byLifetime names whoever's maximum lifetime for field f is in force: the
// enterprise when its ceiling is the maximum, else the organization.
func byLifetime(org string, eff Effective, f Field, max int) denial {
	d := denial{who: org, days: max}
	if c, ok := eff.Ceiling[f]; ok && c == max && eff.Enterprise != "" {
		d.who, d.enterprise = eff.Enterprise, true
	}
	return d
}

// BlockedBy is the refusal the policy in force in org makes of token t
// whatever the call (isOwner: its owner owns org), or an allowed Decision
// when it makes none: the policy-only checks of Decide, made by the same
// code in the same order, with the same messages. A token's page shows it,
// so that its owner sees why the token is shut out before a call fails.
func BlockedBy(t *Credential, eff Effective, org string, isOwner bool) Decision {
	if r, d := blocked(t, eff, org, isOwner); r != "" {
		return refuse(r, d)
	}
	return allow(ReasonAllowed)
}

// blocked is the reason the policy in force in org shuts token t out, ""
// for none, with what its message would name.
func blocked(t *Credential, eff Effective, org string, isOwner bool) (Reason, denial) {
	shut := classicShut
	if t.Kind == KindFineGrained {
		shut = fineGrainedShut
	}
	if r, d := shut(eff, org); r != "" {
		return r, d
	}
	return lifetimeShut(t, eff, org, isOwner)
}
