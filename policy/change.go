package policy

import (
	"fmt"
	"strconv"
	"strings"
)

// LifetimeInput is a submitted maximum lifetime: whether tokens must expire
// and, if so, the number of days as typed.
type LifetimeInput struct {
	MustExpire bool
	Days       string
}

// OrgChange is a submitted change to an organization's settings. A nil field
// was not submitted and stays as it is (a disabled input is never sent).
type OrgChange struct {
	FineGrained         *string
	Approval            *string
	Classic             *string
	FineGrainedLifetime *LifetimeInput
	ClassicLifetime     *LifetimeInput
	// Inactive is the inactivity limit: MustExpire set means "revoke
	// tokens not used for" Days.
	Inactive *LifetimeInput
}

// Only keeps the one field f of a change, for checking a single step.
func (ch OrgChange) Only(f Field) OrgChange {
	switch f {
	case FieldFineGrained:
		return OrgChange{FineGrained: ch.FineGrained}
	case FieldApproval:
		return OrgChange{Approval: ch.Approval}
	case FieldClassic:
		return OrgChange{Classic: ch.Classic}
	case FieldFineGrainedLifetime:
		return OrgChange{FineGrainedLifetime: ch.FineGrainedLifetime}
	case FieldClassicLifetime:
		return OrgChange{ClassicLifetime: ch.ClassicLifetime}
	}
	return OrgChange{}
}

// OnboardingSteps are the settings an organization chooses when it opts
// in, one step each, in order.
func OnboardingSteps() []Field {
	return []Field{FieldFineGrained, FieldApproval, FieldClassic}
}

// EnterpriseChange is a submitted change to an enterprise's policy.
type EnterpriseChange struct {
	FineGrained         *string
	Approval            *string
	Classic             *string
	FineGrainedLifetime *LifetimeInput
	ClassicLifetime     *LifetimeInput
	ExemptAdmins        *bool
	Inactive            *LifetimeInput
}

const chooseOption = "Choose one of the options."

// ApplyOrgChange checks a submitted change against the organization's
// enterprise and returns the organization's new own settings. When it returns
// errors the settings must not be stored.
//
// A value for a field the enterprise enforces is accepted only when it is the
// enforced value; the organization's own value is then kept, so that it comes
// back into force if the enterprise stops enforcing.
func ApplyOrgChange(cur OrgSettings, ent *Enterprise, ch OrgChange) (OrgSettings, Errors) {
	eff := Resolve(cur, true, ent)
	next := cur
	var errs Errors
	enterpriseName := ""
	if ent != nil {
		enterpriseName = ent.Name
	}

	access := func(f Field, raw *string, own *Access, enforced Access) {
		if raw == nil {
			return
		}
		a := Access(*raw)
		if a != Allow && a != Restrict {
			errs = append(errs, FieldError{Field: f, Message: chooseOption})
			return
		}
		if eff.IsLocked(f) {
			if a != enforced {
				errs = append(errs, lockedError(f, enterpriseName))
			}
			return
		}
		*own = a
	}
	access(FieldFineGrained, ch.FineGrained, &next.FineGrained, eff.FineGrained)
	access(FieldClassic, ch.Classic, &next.Classic, eff.Classic)

	if ch.Approval != nil {
		a := Approval(*ch.Approval)
		switch {
		case a != ApprovalRequired && a != ApprovalNotRequired:
			errs = append(errs, FieldError{Field: FieldApproval, Message: chooseOption})
		case eff.IsLocked(FieldApproval):
			if a != eff.Approval {
				errs = append(errs, lockedError(FieldApproval, enterpriseName))
			}
		default:
			next.Approval = a
		}
	}

	// The settings page shows the lifetime in force. Submitting that value
	// back is no change, and keeps the organization's own, as for locks.
	lifetime := func(f Field, in *LifetimeInput, own *int, inForce int) {
		if in == nil {
			return
		}
		days, msg := parseLifetime(*in)
		if msg == "" && days == inForce {
			return
		}
		if msg == "" && days > 0 && eff.Ceiling[f] > 0 && days > eff.Ceiling[f] {
			msg = CeilingMessage(enterpriseName, eff.Ceiling[f])
		}
		if msg != "" {
			errs = append(errs, FieldError{Field: f, Message: msg})
			return
		}
		*own = days
	}
	lifetime(FieldFineGrainedLifetime, ch.FineGrainedLifetime, &next.FineGrainedLifetime, eff.FineGrainedLifetime)
	lifetime(FieldClassicLifetime, ch.ClassicLifetime, &next.ClassicLifetime, eff.ClassicLifetime)

	if ch.Inactive != nil {
		days, msg := parseInactive(*ch.Inactive)
		switch {
		case msg != "":
			errs = append(errs, FieldError{Field: FieldInactive, Message: msg})
		case eff.IsLocked(FieldInactive):
			if days != eff.InactiveDays {
				errs = append(errs, lockedError(FieldInactive, enterpriseName))
			}
		default:
			next.InactiveDays = days
		}
	}

	if len(errs) > 0 {
		return cur, errs
	}
	return next, nil
}

// ApplyEnterpriseChange checks a submitted change to an enterprise's policy
// and returns the new policy.
func ApplyEnterpriseChange(cur Enterprise, ch EnterpriseChange) (Enterprise, Errors) {
	next := cur
	var errs Errors
	access := func(f Field, raw *string, dst *EnterpriseAccess) {
		if raw == nil {
			return
		}
		switch a := EnterpriseAccess(*raw); a {
		case EnterpriseAccessNoPolicy, EnterpriseAccessAllow, EnterpriseAccessRestrict:
			*dst = a
		default:
			errs = append(errs, FieldError{Field: f, Message: chooseOption})
		}
	}
	access(FieldFineGrained, ch.FineGrained, &next.FineGrained)
	access(FieldClassic, ch.Classic, &next.Classic)
	if ch.Approval != nil {
		switch a := EnterpriseApproval(*ch.Approval); a {
		case EnterpriseApprovalNoPolicy, EnterpriseApprovalRequired, EnterpriseApprovalDisabled:
			next.Approval = a
		default:
			errs = append(errs, FieldError{Field: FieldApproval, Message: chooseOption})
		}
	}
	lifetime := func(f Field, in *LifetimeInput, dst *int) {
		if in == nil {
			return
		}
		days, msg := parseLifetime(*in)
		if msg != "" {
			errs = append(errs, FieldError{Field: f, Message: msg})
			return
		}
		*dst = days
	}
	lifetime(FieldFineGrainedLifetime, ch.FineGrainedLifetime, &next.FineGrainedLifetime)
	lifetime(FieldClassicLifetime, ch.ClassicLifetime, &next.ClassicLifetime)
	if ch.ExemptAdmins != nil {
		next.ExemptAdmins = *ch.ExemptAdmins
	}
	if ch.Inactive != nil {
		days, msg := parseInactive(*ch.Inactive)
		if msg != "" {
			errs = append(errs, FieldError{Field: FieldInactive, Message: msg})
		} else {
			next.InactiveDays = days
		}
	}
	if len(errs) > 0 {
		return cur, errs
	}
	return next, nil
}

// CeilingMessage explains an enterprise's maximum lifetime to an
// organization owner.
func CeilingMessage(enterprise string, days int) string {
	return fmt.Sprintf("The %s enterprise allows at most %d days; an organization may only choose fewer.", enterprise, days)
}

// parseLifetime turns a lifetime input into days (0 = no limit) or a message.
func parseLifetime(in LifetimeInput) (int, string) {
	if !in.MustExpire {
		return 0, ""
	}
	const msg = "Enter a whole number of days from 1 to 366."
	s := strings.TrimSpace(in.Days)
	if s == "" {
		return 0, msg
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < MinLifetimeDays || n > MaxLifetimeDays {
		return 0, msg
	}
	return n, ""
}

// InactiveMessage is the error of an inactivity limit out of range.
const InactiveMessage = "Enter a whole number of days from 7 to 366."

// parseInactive turns an inactivity input into days (0 = no limit) or a
// message.
func parseInactive(in LifetimeInput) (int, string) {
	if !in.MustExpire {
		return 0, ""
	}
	n, err := strconv.Atoi(strings.TrimSpace(in.Days))
	if err != nil || n < MinInactiveDays || n > MaxInactiveDays {
		return 0, InactiveMessage
	}
	return n, ""
}

func lockedError(f Field, enterprise string) FieldError {
	return FieldError{
		Field:   f,
		Locked:  true,
		Message: fmt.Sprintf("“%s” is managed by the %s enterprise and cannot be changed here.", f.Title(), enterprise),
	}
}
