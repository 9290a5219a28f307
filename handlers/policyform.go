package handlers

import (
	"errors"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"patpolicy/db"
	"patpolicy/policy"
	"patpolicy/service"
	"patpolicy/views"
)

// formValue returns a pointer to the submitted value of name, or nil when
// the form did not carry it (a disabled input is never submitted).
func formValue(form url.Values, name string) *string {
	if vs, ok := form[name]; ok && len(vs) > 0 {
		return &vs[0]
	}
	return nil
}

// formLifetime reads a "must expire" checkbox and its days. It is nil only
// when the form carried neither, so a crafted form can leave it alone.
func formLifetime(form url.Values, f policy.Field) *policy.LifetimeInput {
	expires, days := form[string(f)+"_expires"], form[string(f)+"_days"]
	if expires == nil && days == nil {
		return nil
	}
	in := &policy.LifetimeInput{MustExpire: len(expires) > 0 && expires[0] == "on"}
	if len(days) > 0 {
		in.Days = days[0]
	}
	return in
}

// orgChangeFromForm decodes the organization settings form.
func orgChangeFromForm(form url.Values) policy.OrgChange {
	return policy.OrgChange{
		FineGrained:         formValue(form, string(policy.FieldFineGrained)),
		Approval:            formValue(form, string(policy.FieldApproval)),
		Classic:             formValue(form, string(policy.FieldClassic)),
		FineGrainedLifetime: formLifetime(form, policy.FieldFineGrainedLifetime),
		ClassicLifetime:     formLifetime(form, policy.FieldClassicLifetime),
		Inactive:            formLifetime(form, policy.FieldInactive),
	}
}

// enterpriseChangeFromForm decodes the enterprise policy form. The exempt
// checkbox is a plain checkbox: absent means unchecked.
func enterpriseChangeFromForm(form url.Values) policy.EnterpriseChange {
	exempt := form.Get(string(policy.FieldExemptAdmins)) == "on"
	return policy.EnterpriseChange{
		FineGrained:         formValue(form, string(policy.FieldFineGrained)),
		Approval:            formValue(form, string(policy.FieldApproval)),
		Classic:             formValue(form, string(policy.FieldClassic)),
		FineGrainedLifetime: formLifetime(form, policy.FieldFineGrainedLifetime),
		ClassicLifetime:     formLifetime(form, policy.FieldClassicLifetime),
		ExemptAdmins:        &exempt,
		Inactive:            formLifetime(form, policy.FieldInactive),
	}
}

// userEdits keeps of a submitted settings form only the fields the user
// changed: those whose value differs from the one the form was built on,
// which it carries in hidden fields (views.OriginalPrefix). A form that
// carries none counts as changed everywhere it was sent. A field left out
// (a locked one, whose inputs are disabled) is never an edit.
//
// A form built on an older version must not send back, as if chosen, the
// values it merely showed: they would undo what another owner saved since.
func userEdits(form url.Values) url.Values {
	was := url.Values{}
	for name, vs := range form {
		if n, ok := strings.CutPrefix(name, views.OriginalPrefix); ok {
			was[n] = vs
		}
	}
	if len(was) == 0 {
		return form
	}
	edits := url.Values{}
	for _, f := range []policy.Field{policy.FieldFineGrained, policy.FieldApproval, policy.FieldClassic} {
		if vs, sent := form[string(f)]; sent && form.Get(string(f)) != was.Get(string(f)) {
			edits[string(f)] = vs
		}
	}
	for _, f := range []policy.Field{policy.FieldFineGrainedLifetime, policy.FieldClassicLifetime, policy.FieldInactive} {
		check, days := string(f)+"_expires", string(f)+"_days"
		if form[check] == nil && form[days] == nil {
			continue
		}
		on := form.Get(check) == "on"
		if on != (was.Get(check) == "on") || on && strings.TrimSpace(form.Get(days)) != strings.TrimSpace(was.Get(days)) {
			edits[check], edits[days] = []string{form.Get(check)}, []string{form.Get(days)}
		}
	}
	// The rule's list is sent whole: an edit when the checkbox or the set
	// of repositories differs from what the form was built on.
	if form.Get(views.AutoApprovalShown) != "" {
		ro, rp := string(policy.FieldAutoApproveReadOnly), string(policy.FieldAutoApproveRepos)
		if (form.Get(ro) == "on") != (was.Get(ro) == "on") || !sameSet(form[rp], was[rp]) {
			edits[views.AutoApprovalShown], edits[ro], edits[rp] = []string{"1"}, []string{form.Get(ro)}, form[rp]
		}
	}
	// An unticked checkbox is not sent: compare ticked with ticked.
	if exempt := string(policy.FieldExemptAdmins); was[exempt] != nil && (form.Get(exempt) == "on") != (was.Get(exempt) == "on") {
		edits[exempt] = []string{form.Get(exempt)}
	}
	return edits
}

// enterpriseEdits is the change the user made on an enterprise form: its
// userEdits, where an unchanged exempt checkbox is no change at all (not
// "unticked").
func enterpriseEdits(form url.Values) policy.EnterpriseChange {
	edits := userEdits(form)
	ch := enterpriseChangeFromForm(edits)
	if _, edited := edits[string(policy.FieldExemptAdmins)]; !edited && form[views.OriginalPrefix+string(policy.FieldExemptAdmins)] != nil {
		ch.ExemptAdmins = nil
	}
	return ch
}

// formVersion reads the settings version a form was built on.
func formVersion(form url.Values) (int, bool) {
	v, err := strconv.Atoi(form.Get("version"))
	return v, err == nil && v > 0
}

// refusal is how a settings page answers each way saving it can be
// refused: the conflict view (409) for a form built on another version and
// for one built on none, shown on the policy now in force; the form with
// its errors (422); the confirmation page before approving pending
// requests.
type refusal[P any] struct {
	conflict func(current P) error
	invalid  func(errs policy.Errors) error
	confirm  func(ask *service.ConfirmApproval) error
}

// answer answers err, a refusal of a change made on current, or returns it.
func (r refusal[P]) answer(err error, current P) error {
	var (
		stale *service.StaleVersion[P]
		bad   *service.InvalidPolicy
		ask   *service.ConfirmApproval
	)
	switch {
	case errors.As(err, &stale):
		return r.conflict(stale.Current)
	case errors.As(err, &bad):
		return r.invalid(bad.Errors)
	case errors.Is(err, service.ErrVersionRequired):
		return r.conflict(current)
	case errors.As(err, &ask):
		return r.confirm(ask)
	}
	return err
}

// formBuiltOn is the precondition of a settings form: the version it
// carries, or none for a form that carries none.
func formBuiltOn(form url.Values) service.Precondition {
	if v, known := formVersion(form); known {
		return service.AtVersion(v)
	}
	return nil
}

func daysText(d int) string {
	if d == 0 {
		return ""
	}
	return strconv.Itoa(d)
}

// orgValues shows the policy in force in an organization: its own choices
// where it decides, the enterprise's where that enforces a field, and the
// stricter of the two maximum lifetimes.
func orgValues(eff policy.Effective, enterprise string) views.OrgPolicyValues {
	return views.OrgPolicyValues{
		FineGrained:       string(eff.FineGrained),
		Approval:          string(eff.Approval),
		Classic:           string(eff.Classic),
		FineGrainedExpire: eff.FineGrainedLifetime > 0,
		FineGrainedDays:   daysText(eff.FineGrainedLifetime),
		ClassicExpire:     eff.ClassicLifetime > 0,
		ClassicDays:       daysText(eff.ClassicLifetime),
		InactiveRevoke:    eff.InactiveDays > 0,
		InactiveDays:      daysText(eff.InactiveDays),
		LockedBy:          eff.Locked,
		Ceilings:          eff.Ceiling,
		Enterprise:        enterprise,
	}
}

// withSubmitted overlays what the user submitted on saved values, leaving
// locked fields showing their enforced value.
func withSubmitted(v views.OrgPolicyValues, ch policy.OrgChange) views.OrgPolicyValues {
	set := func(f policy.Field, raw *string, dst *string) {
		if raw != nil && v.LockedBy[f] == "" {
			*dst = *raw
		}
	}
	set(policy.FieldFineGrained, ch.FineGrained, &v.FineGrained)
	set(policy.FieldApproval, ch.Approval, &v.Approval)
	set(policy.FieldClassic, ch.Classic, &v.Classic)
	if l := ch.FineGrainedLifetime; l != nil {
		v.FineGrainedExpire, v.FineGrainedDays = l.MustExpire, l.Days
	}
	if l := ch.ClassicLifetime; l != nil {
		v.ClassicExpire, v.ClassicDays = l.MustExpire, l.Days
	}
	if l := ch.Inactive; l != nil && v.LockedBy[policy.FieldInactive] == "" {
		v.InactiveRevoke, v.InactiveDays = l.MustExpire, l.Days
	}
	return v
}

func enterpriseValues(e policy.Enterprise) views.EnterprisePolicyValues {
	return views.EnterprisePolicyValues{
		FineGrained:       string(e.FineGrained),
		Approval:          string(e.Approval),
		Classic:           string(e.Classic),
		FineGrainedExpire: e.FineGrainedLifetime > 0,
		FineGrainedDays:   daysText(e.FineGrainedLifetime),
		ClassicExpire:     e.ClassicLifetime > 0,
		ClassicDays:       daysText(e.ClassicLifetime),
		ExemptAdmins:      e.ExemptAdmins,
		InactiveRevoke:    e.InactiveDays > 0,
		InactiveDays:      daysText(e.InactiveDays),
	}
}

func enterpriseWithSubmitted(v views.EnterprisePolicyValues, ch policy.EnterpriseChange) views.EnterprisePolicyValues {
	for _, p := range []struct {
		raw *string
		dst *string
	}{{ch.FineGrained, &v.FineGrained}, {ch.Approval, &v.Approval}, {ch.Classic, &v.Classic}} {
		if p.raw != nil {
			*p.dst = *p.raw
		}
	}
	if l := ch.FineGrainedLifetime; l != nil {
		v.FineGrainedExpire, v.FineGrainedDays = l.MustExpire, l.Days
	}
	if l := ch.ClassicLifetime; l != nil {
		v.ClassicExpire, v.ClassicDays = l.MustExpire, l.Days
	}
	if ch.ExemptAdmins != nil {
		v.ExemptAdmins = *ch.ExemptAdmins
	}
	if l := ch.Inactive; l != nil {
		v.InactiveRevoke, v.InactiveDays = l.MustExpire, l.Days
	}
	return v
}

// ruleFromForm reads the automatic approval fieldset, or nil when the form
// did not carry it (then the rule stays as it is).
func ruleFromForm(form url.Values) *policy.AutoApprovalInput {
	if form.Get(views.AutoApprovalShown) == "" {
		return nil
	}
	return &policy.AutoApprovalInput{ReadOnly: form.Get(string(policy.FieldAutoApproveReadOnly)) == "on",
		Repos: form[string(policy.FieldAutoApproveRepos)]}
}

// savedRule shows a stored automatic approval rule in v, with the
// organization's repositories to choose from.
func savedRule(v views.OrgPolicyValues, rule policy.AutoApproval, repos []db.Repo) views.OrgPolicyValues {
	v.ShowAutoApproval, v.AutoApproveReadOnly = true, rule.ReadOnly
	v.RepoNames, v.AutoApproveRepos = make([]string, 0, len(repos)), nil
	for _, r := range repos {
		v.RepoNames = append(v.RepoNames, r.Name)
		if slices.Contains(rule.RepoIDs, r.ID) {
			v.AutoApproveRepos = append(v.AutoApproveRepos, r.Name)
		}
	}
	return v
}

// withSubmittedRule overlays a submitted rule (nil: none) on v.
func withSubmittedRule(v views.OrgPolicyValues, in *policy.AutoApprovalInput) views.OrgPolicyValues {
	if in != nil {
		v.AutoApproveReadOnly, v.AutoApproveRepos = in.ReadOnly, in.Repos
	}
	return v
}

// sameSet reports whether two lists hold the same strings, in any order.
func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(slices.Compact(a), slices.Compact(b))
}
