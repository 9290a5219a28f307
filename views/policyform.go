package views

import (
	"fmt"
	"strings"

	"patpolicy/policy"
)

// OrgPolicyValues are the values an organization's settings form shows:
// saved ones, or the user's own after a refused submission.
type OrgPolicyValues struct {
	FineGrained       string
	Approval          string
	Classic           string
	FineGrainedExpire bool
	FineGrainedDays   string
	ClassicExpire     bool
	ClassicDays       string
	// InactiveRevoke and InactiveDays are the inactivity limit.
	InactiveRevoke bool
	InactiveDays   string
	// LockedBy maps a field the enterprise enforces to the enterprise's name.
	LockedBy map[policy.Field]string
	// Ceilings maps a lifetime field to the enterprise's maximum in days.
	Ceilings map[policy.Field]int
	// Enterprise names the organization's enterprise, "" if none.
	Enterprise string
	Errors     map[policy.Field]string
	// ShowAutoApproval shows the "Automatic approval" fieldset, with the
	// rule's checkbox, the repositories it is limited to (by name) and
	// every repository of the organization to choose from.
	ShowAutoApproval    bool
	AutoApproveReadOnly bool
	AutoApproveRepos    []string
	RepoNames           []string
}

// EnterprisePolicyValues are the values an enterprise's form shows.
type EnterprisePolicyValues struct {
	FineGrained       string
	Approval          string
	Classic           string
	FineGrainedExpire bool
	FineGrainedDays   string
	ClassicExpire     bool
	ClassicDays       string
	ExemptAdmins      bool
	InactiveRevoke    bool
	InactiveDays      string
	Errors            map[policy.Field]string
}

func options(chosen string, opts ...RadioOption) []RadioOption {
	for i := range opts {
		opts[i].Checked = opts[i].Value == chosen
	}
	return opts
}

// FineGrainedGroup is the organization's fine-grained access fieldset.
func FineGrainedGroup(chosen, lockedBy, err string) RadioGroup {
	return RadioGroup{
		Name:     string(policy.FieldFineGrained),
		Legend:   policy.FieldFineGrained.Title(),
		LockedBy: lockedBy,
		Error:    err,
		Options: options(chosen,
			RadioOption{Value: string(policy.Allow), Label: "Allow access via fine-grained personal access tokens",
				Help: "Fine-grained tokens may reach this organization's resources, within what each token was granted."},
			RadioOption{Value: string(policy.Restrict), Label: "Restrict access via fine-grained personal access tokens",
				Help: "Fine-grained tokens may only read this organization's public resources. SSH keys they created keep working."},
		),
	}
}

// ApprovalGroup is the organization's approval fieldset.
func ApprovalGroup(chosen, lockedBy, err string) RadioGroup {
	return RadioGroup{
		Name:     string(policy.FieldApproval),
		Legend:   policy.FieldApproval.Title(),
		LockedBy: lockedBy,
		Error:    err,
		Options: options(chosen,
			RadioOption{Value: string(policy.ApprovalRequired), Label: "Require administrator approval",
				Help: "An owner reviews each fine-grained token request before it works here. Tokens that owners create skip the review."},
			RadioOption{Value: string(policy.ApprovalNotRequired), Label: "Do not require administrator approval",
				Help: "Fine-grained tokens that members create work here at once, with no review."},
		),
	}
}

// ClassicGroup is the organization's classic access fieldset.
func ClassicGroup(chosen, lockedBy, err string) RadioGroup {
	return RadioGroup{
		Name:     string(policy.FieldClassic),
		Legend:   policy.FieldClassic.Title(),
		LockedBy: lockedBy,
		Error:    err,
		Options: options(chosen,
			RadioOption{Value: string(policy.Allow), Label: "Allow access via personal access tokens (classic)",
				Help: "Classic tokens may reach this organization's resources, as far as their scopes reach."},
			RadioOption{Value: string(policy.Restrict), Label: "Restrict access via personal access tokens (classic)",
				Help: "Classic tokens may only read this organization's public resources. SSH keys they created keep working."},
		),
	}
}

func lifetimeRows(fgExpire bool, fgDays string, clExpire bool, clDays string, errs map[policy.Field]string) []LifetimeRow {
	return []LifetimeRow{
		{
			Name:       string(policy.FieldFineGrainedLifetime),
			CheckLabel: "Fine-grained personal access tokens must expire",
			CheckHelp:  "New fine-grained tokens must expire within the number of days below.",
			DaysLabel:  "Maximum lifetime of fine-grained personal access tokens (days)",
			MustExpire: fgExpire, Days: fgDays, Error: errs[policy.FieldFineGrainedLifetime],
		},
		{
			Name:       string(policy.FieldClassicLifetime),
			CheckLabel: "Personal access tokens (classic) must expire",
			CheckHelp:  "New classic tokens must expire within the number of days below.",
			DaysLabel:  "Maximum lifetime of personal access tokens (classic) (days)",
			MustExpire: clExpire, Days: clDays, Error: errs[policy.FieldClassicLifetime],
		},
	}
}

// inactiveGroup is the inactivity fieldset showing revoke and days.
func inactiveGroup(revoke bool, days, lockedBy, err, help string) InactiveGroup {
	return InactiveGroup{
		Name: string(policy.FieldInactive), Legend: policy.FieldInactive.Title(), Help: help,
		Revoke: revoke, Days: days, LockedBy: lockedBy, Error: err,
	}
}

const inactiveHelp = "A fine-grained token that goes unused this many days (one never used: since it was created) loses its access to the organization, and its owner is told. From 7 to 366 days."

const lifetimeHelp = "Cap how long tokens may live, from 1 to 366 days. A token whose lifetime is longer stops working here until it is replaced by one that fits."

// OrgForm builds the organization settings form.
func OrgForm(action string, version int, v OrgPolicyValues) PolicyForm {
	f := PolicyForm{
		Action:  action,
		Version: version,
		Groups: []RadioGroup{
			FineGrainedGroup(v.FineGrained, v.LockedBy[policy.FieldFineGrained], v.Errors[policy.FieldFineGrained]),
			ApprovalGroup(v.Approval, v.LockedBy[policy.FieldApproval], v.Errors[policy.FieldApproval]),
			ClassicGroup(v.Classic, v.LockedBy[policy.FieldClassic], v.Errors[policy.FieldClassic]),
		},
		Lifetime: LifetimeGroup{
			Legend: "Set maximum lifetimes for personal access tokens",
			Help:   lifetimeHelp,
			Rows:   lifetimeRows(v.FineGrainedExpire, v.FineGrainedDays, v.ClassicExpire, v.ClassicDays, v.Errors),
		},
	}
	f.Inactive = inactiveGroup(v.InactiveRevoke, v.InactiveDays, v.LockedBy[policy.FieldInactive], v.Errors[policy.FieldInactive], inactiveHelp)
	for i, row := range f.Lifetime.Rows {
		if max := v.Ceilings[policy.Field(row.Name)]; max > 0 {
			f.Lifetime.Rows[i].Ceiling = policy.CeilingMessage(v.Enterprise, max)
		}
	}
	f.AutoApproval = autoApprovalGroup(v)
	f.collectErrors()
	return f
}

// collectErrors lists every field error for the summary above the form,
// each naming its setting.
func (f *PolicyForm) collectErrors() {
	add := func(title, msg string) {
		switch {
		case msg == "":
		case strings.Contains(msg, title):
			f.Errors = append(f.Errors, msg)
		default:
			f.Errors = append(f.Errors, title+": "+msg)
		}
	}
	for _, g := range f.Groups {
		add(g.Legend, g.Error)
	}
	for _, r := range f.Lifetime.Rows {
		add(strings.TrimSuffix(r.DaysLabel, " (days)"), r.Error)
	}
	if f.AutoApproval != nil {
		add("Only for these repositories", f.AutoApproval.Error)
	}
	add(f.Inactive.Legend, f.Inactive.Error)
}

// EnterpriseForm builds the enterprise policy form.
func EnterpriseForm(action string, version int, v EnterprisePolicyValues) PolicyForm {
	f := PolicyForm{
		Action:  action,
		Version: version,
		Groups: []RadioGroup{
			{
				Name: string(policy.FieldFineGrained), Legend: policy.FieldFineGrained.Title(), Error: v.Errors[policy.FieldFineGrained],
				Options: options(v.FineGrained,
					RadioOption{Value: string(policy.EnterpriseAccessNoPolicy), Label: "Allow organizations to configure access requirements",
						Help: "Each organization's owners decide whether fine-grained tokens may reach it."},
					RadioOption{Value: string(policy.EnterpriseAccessRestrict), Label: "Restrict access via fine-grained personal access tokens",
						Help: "No organization accepts fine-grained tokens beyond reading public resources."},
					RadioOption{Value: string(policy.EnterpriseAccessAllow), Label: "Allow access via fine-grained personal access tokens",
						Help: "Every organization accepts fine-grained tokens, and owners cannot turn them off."},
				),
			},
			{
				Name: string(policy.FieldApproval), Legend: policy.FieldApproval.Title(), Error: v.Errors[policy.FieldApproval],
				Options: options(v.Approval,
					RadioOption{Value: string(policy.EnterpriseApprovalNoPolicy), Label: "Allow organizations to configure approval requirements",
						Help: "Each organization's owners decide whether requests need their review."},
					RadioOption{Value: string(policy.EnterpriseApprovalRequired), Label: "Require organizations to use the approval flow",
						Help: "Every organization reviews fine-grained token requests from its members."},
					RadioOption{Value: string(policy.EnterpriseApprovalDisabled), Label: "Disable the approval flow in all organizations",
						Help: "Fine-grained tokens work in every organization without review."},
				),
			},
			{
				Name: string(policy.FieldClassic), Legend: policy.FieldClassic.Title(), Error: v.Errors[policy.FieldClassic],
				Options: options(v.Classic,
					RadioOption{Value: string(policy.EnterpriseAccessNoPolicy), Label: "Allow organizations to configure personal access tokens (classic) access requirements",
						Help: "Each organization's owners decide whether classic tokens may reach it."},
					RadioOption{Value: string(policy.EnterpriseAccessRestrict), Label: "Restrict access via personal access tokens (classic)",
						Help: "No organization accepts classic tokens beyond reading public resources."},
					RadioOption{Value: string(policy.EnterpriseAccessAllow), Label: "Allow access via personal access tokens (classic)",
						Help: "Every organization accepts classic tokens, and owners cannot turn them off."},
				),
			},
		},
		Lifetime: LifetimeGroup{
			Legend:     "Set maximum lifetimes for personal access tokens",
			Help:       lifetimeHelp + " Organizations may set a shorter limit of their own.",
			Rows:       lifetimeRows(v.FineGrainedExpire, v.FineGrainedDays, v.ClassicExpire, v.ClassicDays, v.Errors),
			ShowExempt: true,
			Exempt:     v.ExemptAdmins,
		},
		Inactive: inactiveGroup(v.InactiveRevoke, v.InactiveDays, "", v.Errors[policy.FieldInactive],
			inactiveHelp+" Set here, it is enforced in every organization."),
	}
	f.collectErrors()
	return f
}

// Values lists the form's fields with the values they show, as a browser
// submits them, except that a checkbox left unticked is there with "".
func (f PolicyForm) Values() []FormValue {
	var out []FormValue
	for _, g := range f.Groups {
		v := FormValue{Name: g.Name}
		for _, o := range g.Options {
			if o.Checked {
				v.Value = o.Value
			}
		}
		out = append(out, v)
	}
	for _, r := range f.Lifetime.Rows {
		out = append(out, FormValue{Name: r.Name + "_expires", Value: onOff(r.MustExpire)},
			FormValue{Name: r.Name + "_days", Value: r.Days})
	}
	if f.Lifetime.ShowExempt {
		out = append(out, FormValue{Name: string(policy.FieldExemptAdmins), Value: onOff(f.Lifetime.Exempt)})
	}
	if f.AutoApproval != nil {
		out = append(out, f.AutoApproval.values()...)
	}
	if i := f.Inactive; i.Name != "" {
		out = append(out, FormValue{Name: i.Name + "_expires", Value: onOff(i.Revoke)}, FormValue{Name: i.Name + "_days", Value: i.Days})
	}
	return out
}

func onOff(ticked bool) string {
	if ticked {
		return "on"
	}
	return ""
}

// SummaryRow is one setting described in words.
type SummaryRow struct {
	Setting string
	Value   string
}

// Summary describes every setting of a form in words, in page order.
func (f PolicyForm) Summary() []SummaryRow {
	var rows []SummaryRow
	for _, g := range f.Groups {
		rows = append(rows, g.Summary())
	}
	for _, r := range f.Lifetime.Rows {
		v := "No maximum lifetime"
		if r.MustExpire {
			v = "At most " + r.Days + " days"
		}
		rows = append(rows, SummaryRow{Setting: r.DaysLabel, Value: v})
	}
	if f.Lifetime.ShowExempt {
		v := "No"
		if f.Lifetime.Exempt {
			v = "Yes"
		}
		rows = append(rows, SummaryRow{Setting: "Exempt administrators", Value: v})
	}
	if f.AutoApproval != nil {
		rows = append(rows, f.AutoApproval.summary()...)
	}
	if i := f.Inactive; i.Name != "" {
		v := "Never"
		if i.Revoke {
			v = "After " + i.Days + " days without use"
		}
		rows = append(rows, SummaryRow{Setting: i.Legend, Value: v})
	}
	return rows
}

// Summary names the group's chosen option.
func (g RadioGroup) Summary() SummaryRow {
	row := SummaryRow{Setting: g.Legend, Value: "Not chosen"}
	for _, o := range g.Options {
		if o.Checked {
			row.Value = o.Label
		}
	}
	return row
}

// Compare lists the settings where the saved form and the attempted one
// differ, for a conflict notice.
func Compare(saved, attempted PolicyForm) Conflict {
	var c Conflict
	cur, try := saved.Summary(), attempted.Summary()
	for i := range cur {
		if i < len(try) && cur[i].Value != try[i].Value {
			c.Rows = append(c.Rows, ConflictRow{Setting: cur[i].Setting, Current: cur[i].Value, Attempted: try[i].Value})
		}
	}
	return c
}

// PendingNotice tells how many pending requests stopping approval would
// approve.
func PendingNotice(n int) string {
	switch n {
	case 0:
		return ""
	case 1:
		return "Saving this choice approves the 1 pending request."
	}
	return fmt.Sprintf("Saving this choice approves all %d pending requests.", n)
}

// OrgCount is a number of things in one organization, for notices.
type OrgCount struct {
	Org string
	N   int
}

// EnterprisePendingNotice tells how many pending requests, in which
// organizations, disabling the approval flow would approve.
func EnterprisePendingNotice(counts []OrgCount) string {
	total := 0
	var parts []string
	for _, c := range counts {
		total += c.N
		parts = append(parts, fmt.Sprintf("%d in %s", c.N, c.Org))
	}
	switch {
	case total == 0:
		return ""
	case len(counts) == 1:
		return fmt.Sprintf("Saving this choice approves %s in %s.", PendingCount(total), counts[0].Org)
	}
	return fmt.Sprintf("Saving this choice approves %s: %s.", PendingCount(total), strings.Join(parts, ", "))
}

// PendingCount is "1 pending request" or "n pending requests".
func PendingCount(n int) string {
	if n == 1 {
		return "1 pending request"
	}
	return fmt.Sprintf("%d pending requests", n)
}
