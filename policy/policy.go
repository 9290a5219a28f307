// Package policy holds the personal access token rules of organizations and
// enterprises. It is pure: no I/O, no clock, no globals that change.
package policy

import "fmt"

// Access says whether a kind of token may reach an organization's resources.
type Access string

const (
	Allow    Access = "allow"
	Restrict Access = "restrict"
)

// Approval says whether an owner must approve fine-grained token requests.
type Approval string

const (
	ApprovalRequired    Approval = "required"
	ApprovalNotRequired Approval = "not_required"
)

// EnterpriseAccess is an enterprise's three-way choice for a token kind:
// leave it to each organization, or enforce allow or restrict.
type EnterpriseAccess string

const (
	EnterpriseAccessNoPolicy EnterpriseAccess = "no_policy"
	EnterpriseAccessAllow    EnterpriseAccess = "allow"
	EnterpriseAccessRestrict EnterpriseAccess = "restrict"
)

// EnterpriseApproval is an enterprise's three-way choice for the approval flow.
type EnterpriseApproval string

const (
	EnterpriseApprovalNoPolicy EnterpriseApproval = "no_policy"
	EnterpriseApprovalRequired EnterpriseApproval = "required"
	EnterpriseApprovalDisabled EnterpriseApproval = "disabled"
)

// MinLifetimeDays and MaxLifetimeDays bound a maximum token lifetime.
const (
	MinLifetimeDays = 1
	MaxLifetimeDays = 366
)

// MinInactiveDays and MaxInactiveDays bound an inactivity limit: how many
// days a token may go unused before it loses its access.
const (
	MinInactiveDays = 7
	MaxInactiveDays = 366
)

// Field names a setting. The names are those of the API's JSON body and of
// the settings forms, so errors and locks can point at an input.
type Field string

const (
	FieldFineGrained         Field = "fine_grained_access"
	FieldApproval            Field = "approval"
	FieldClassic             Field = "classic_access"
	FieldFineGrainedLifetime Field = "fine_grained_max_lifetime_days"
	FieldClassicLifetime     Field = "classic_max_lifetime_days"
	FieldExemptAdmins        Field = "exempt_administrators"
	// FieldInactive is the inactivity limit: days a token may go unused.
	FieldInactive Field = "inactive_token_days"
)

// Title is the human name of a field, as the settings pages head it.
func (f Field) Title() string {
	switch f {
	case FieldFineGrained:
		return "Fine-grained personal access tokens"
	case FieldApproval:
		return "Require approval of fine-grained personal access tokens"
	case FieldClassic:
		return "Personal access token (classic)"
	case FieldFineGrainedLifetime:
		return "Maximum lifetime of fine-grained personal access tokens"
	case FieldClassicLifetime:
		return "Maximum lifetime of personal access tokens (classic)"
	case FieldExemptAdmins:
		return "Exempt administrators"
	case FieldInactive:
		return "Inactive tokens"
	}
	return string(f)
}

// OrgSettings are an organization's own choices. A lifetime of 0 means the
// organization sets no maximum.
type OrgSettings struct {
	FineGrained         Access
	Approval            Approval
	Classic             Access
	FineGrainedLifetime int
	ClassicLifetime     int
	// InactiveDays revokes a fine-grained token's access once it has gone
	// unused that many days; 0 means no limit.
	InactiveDays int
}

// DefaultOrgSettings are the settings of an organization that never chose.
func DefaultOrgSettings() OrgSettings {
	return OrgSettings{FineGrained: Allow, Approval: ApprovalRequired, Classic: Allow}
}

// Enterprise is an enterprise's policy together with what an organization
// needs to show about it. A lifetime of 0 means no limit.
type Enterprise struct {
	Slug                string
	Name                string
	OptedIn             bool
	FineGrained         EnterpriseAccess
	Approval            EnterpriseApproval
	Classic             EnterpriseAccess
	FineGrainedLifetime int
	ClassicLifetime     int
	ExemptAdmins        bool
	// InactiveDays, when not 0, is enforced in every organization.
	InactiveDays int
}

// DefaultEnterprise is an enterprise policy that enforces nothing.
func DefaultEnterprise() Enterprise {
	return Enterprise{
		FineGrained: EnterpriseAccessNoPolicy,
		Approval:    EnterpriseApprovalNoPolicy,
		Classic:     EnterpriseAccessNoPolicy,
	}
}

// Effective is the policy in force in an organization.
type Effective struct {
	OptedIn             bool
	FineGrained         Access
	Approval            Approval
	Classic             Access
	FineGrainedLifetime int
	ClassicLifetime     int
	ExemptAdmins        bool
	// InactiveDays is the inactivity limit in force, 0 for none.
	InactiveDays int
	// Locked maps each field the enterprise enforces to the enterprise's name.
	Locked map[Field]string
	// Ceiling holds the enterprise's lifetime maxima that bound the
	// organization's own (absent when the enterprise sets none).
	Ceiling map[Field]int
	// Enterprise is the name of the organization's enterprise, "" when it
	// has none: a refusal names it when its rule is the enterprise's.
	Enterprise string
}

// IsLocked reports whether the enterprise enforces f.
func (e Effective) IsLocked(f Field) bool {
	_, ok := e.Locked[f]
	return ok
}

// Resolve computes the policy in force from an organization's own settings,
// whether it opted in itself, and its enterprise (nil when it has none).
func Resolve(own OrgSettings, orgOptedIn bool, ent *Enterprise) Effective {
	eff := Effective{
		OptedIn:             orgOptedIn,
		FineGrained:         own.FineGrained,
		Approval:            own.Approval,
		Classic:             own.Classic,
		FineGrainedLifetime: own.FineGrainedLifetime,
		ClassicLifetime:     own.ClassicLifetime,
		InactiveDays:        own.InactiveDays,
		Locked:              map[Field]string{},
		Ceiling:             map[Field]int{},
	}
	if ent == nil {
		return eff
	}
	eff.OptedIn = orgOptedIn || ent.OptedIn
	eff.ExemptAdmins = ent.ExemptAdmins
	eff.Enterprise = ent.Name
	if a, ok := ent.FineGrained.enforced(); ok {
		eff.FineGrained = a
		eff.Locked[FieldFineGrained] = ent.Name
	}
	if a, ok := ent.Classic.enforced(); ok {
		eff.Classic = a
		eff.Locked[FieldClassic] = ent.Name
	}
	if a, ok := ent.Approval.enforced(); ok {
		eff.Approval = a
		eff.Locked[FieldApproval] = ent.Name
	}
	// An enterprise's inactivity limit is enforced like its access
	// choices: it replaces the organization's own, which is kept and comes
	// back when the enterprise lifts its limit. (Taking the stricter of the
	// two would leave an organization's own, locked, stricter value in
	// force with no way for its owners to change it.)
	if ent.InactiveDays > 0 {
		eff.InactiveDays = ent.InactiveDays
		eff.Locked[FieldInactive] = ent.Name
	}
	if ent.FineGrainedLifetime > 0 {
		eff.Ceiling[FieldFineGrainedLifetime] = ent.FineGrainedLifetime
		eff.FineGrainedLifetime = stricter(own.FineGrainedLifetime, ent.FineGrainedLifetime)
	}
	if ent.ClassicLifetime > 0 {
		eff.Ceiling[FieldClassicLifetime] = ent.ClassicLifetime
		eff.ClassicLifetime = stricter(own.ClassicLifetime, ent.ClassicLifetime)
	}
	return eff
}

func (a EnterpriseAccess) enforced() (Access, bool) {
	switch a {
	case EnterpriseAccessAllow:
		return Allow, true
	case EnterpriseAccessRestrict:
		return Restrict, true
	}
	return "", false
}

func (a EnterpriseApproval) enforced() (Approval, bool) {
	switch a {
	case EnterpriseApprovalRequired:
		return ApprovalRequired, true
	case EnterpriseApprovalDisabled:
		return ApprovalNotRequired, true
	}
	return "", false
}

// stricter returns the smaller of two lifetimes where 0 means no limit.
func stricter(a, b int) int {
	switch {
	case a == 0:
		return b
	case b == 0:
		return a
	case a < b:
		return a
	}
	return b
}

// FieldError is a problem with one submitted field, worded for the page.
// Locked marks an attempt to change a setting the enterprise enforces.
type FieldError struct {
	Field   Field
	Message string
	Locked  bool
}

func (e FieldError) Error() string { return fmt.Sprintf("%s: %s", e.Field, e.Message) }

// Errors collects field errors in the order they were found.
type Errors []FieldError

// ByField maps each field to its first message.
func (es Errors) ByField() map[Field]string {
	m := make(map[Field]string, len(es))
	for _, e := range es {
		if _, seen := m[e.Field]; !seen {
			m[e.Field] = e.Message
		}
	}
	return m
}
