package handlers

// Fuzz targets for the decoding of hostile requests: the settings forms of
// organizations and enterprises, from the raw url-encoded body to the
// settings that would be stored and the form shown back. Seed corpora are under testdata/fuzz/<FuzzName>/; `make
// fuzz-short` runs each for a few seconds.

import (
	"bytes"
	"context"
	"net/url"
	"slices"
	"strconv"
	"testing"

	"github.com/a-h/templ"
	"golang.org/x/net/html"

	"patpolicy/policy"
	"patpolicy/views"
)

// fzOrgState decodes a fuzzed number into an organization's valid stored
// settings and perhaps its enterprise's valid policy.
func fzOrgState(state uint64) (policy.OrgSettings, *policy.Enterprise) {
	days := func(i uint) int { return int(state>>i&0x1ff) % (policy.MaxLifetimeDays + 1) }
	cur := policy.OrgSettings{FineGrained: policy.Allow, Approval: policy.ApprovalRequired, Classic: policy.Allow,
		FineGrainedLifetime: days(3), ClassicLifetime: days(12)}
	if state&1 == 1 {
		cur.FineGrained = policy.Restrict
	}
	if state>>1&1 == 1 {
		cur.Approval = policy.ApprovalNotRequired
	}
	if state>>2&1 == 1 {
		cur.Classic = policy.Restrict
	}
	if state>>21&1 == 0 {
		return cur, nil
	}
	e := fzEnterpriseState(state >> 22)
	return cur, &e
}

func fzEnterpriseState(state uint64) policy.Enterprise {
	access := []policy.EnterpriseAccess{policy.EnterpriseAccessNoPolicy, policy.EnterpriseAccessAllow, policy.EnterpriseAccessRestrict}
	approval := []policy.EnterpriseApproval{policy.EnterpriseApprovalNoPolicy, policy.EnterpriseApprovalRequired, policy.EnterpriseApprovalDisabled}
	days := func(i uint) int { return int(state>>i&0x1ff) % (policy.MaxLifetimeDays + 1) }
	return policy.Enterprise{Slug: "fuzz-ent", Name: "Fuzz <Enterprise>",
		FineGrained: access[state&3%3], Approval: approval[state>>2&3%3], Classic: access[state>>4&3%3],
		FineGrainedLifetime: days(6), ClassicLifetime: days(15), ExemptAdmins: state>>24&1 == 1, OptedIn: true}
}

// fzFirst is the first value a form carries for name, nil without one.
func fzFirst(form url.Values, name string) *string {
	if vs := form[name]; len(vs) > 0 {
		return &vs[0]
	}
	return nil
}

// fzCheckDecoded checks the decoding of the fields both settings forms
// share: each is the first value submitted, or absent; a lifetime is absent
// only when neither of its inputs was sent, and must expire only for "on".
func fzCheckDecoded(t *testing.T, form url.Values, fg, ap, cl *string, lifetimes map[policy.Field]*policy.LifetimeInput) {
	t.Helper()
	same := func(a, b *string) bool { return a == nil && b == nil || a != nil && b != nil && *a == *b }
	for name, got := range map[policy.Field]*string{policy.FieldFineGrained: fg, policy.FieldApproval: ap, policy.FieldClassic: cl} {
		if want := fzFirst(form, string(name)); !same(got, want) {
			t.Fatalf("%s decoded as %v from %q", name, got, form[string(name)])
		}
	}
	for f, got := range lifetimes {
		expires, days := form[string(f)+"_expires"], form[string(f)+"_days"]
		if (got == nil) != (expires == nil && days == nil) {
			t.Fatalf("%s decoded as %+v from expires %q, days %q", f, got, expires, days)
		}
		if got == nil {
			continue
		}
		if got.MustExpire != (len(expires) > 0 && expires[0] == "on") || len(days) > 0 && got.Days != days[0] || len(days) == 0 && got.Days != "" {
			t.Fatalf("%s decoded as %+v from expires %q, days %q", f, got, expires, days)
		}
	}
	if v, ok := formVersion(form); ok {
		n, err := strconv.Atoi(form.Get("version"))
		if v <= 0 || err != nil || n != v {
			t.Fatalf("version %d read from %q", v, form.Get("version"))
		}
	}
}

// fzInRange checks stored lifetimes: whole days in 0..366.
func fzInRange(t *testing.T, days ...int) {
	t.Helper()
	for _, d := range days {
		if d < 0 || d > policy.MaxLifetimeDays {
			t.Fatalf("lifetime %d days stored, outside 0..%d", d, policy.MaxLifetimeDays)
		}
	}
}

// fzMarkup is the set of element and attribute names a component renders.
type fzMarkup map[string]bool

func fzRender(t testing.TB, c templ.Component) (string, fzMarkup) {
	t.Helper()
	var buf bytes.Buffer
	if err := c.Render(context.Background(), &buf); err != nil {
		t.Fatalf("render: %v", err)
	}
	m := fzMarkup{}
	z := html.NewTokenizer(bytes.NewReader(buf.Bytes()))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return buf.String(), m
		case html.StartTagToken, html.SelfClosingTagToken:
			tok := z.Token()
			m["<"+tok.Data] = true
			for _, a := range tok.Attr {
				m[a.Key] = true
			}
		}
	}
}

// fzSameMarkup fails when a form rendered with hostile values holds an
// element or attribute the form never has: submitted text that escaped
// into markup.
func fzSameMarkup(t *testing.T, allowed, got fzMarkup, page string) {
	t.Helper()
	for name := range got {
		if !allowed[name] {
			t.Fatalf("submitted text rendered as markup %q:\n%s", name, page)
		}
	}
}

// fzOrgBaseline renders the organization form with every error, lock and
// ceiling it can show: the markup any rendering may use.
func fzOrgBaseline(t testing.TB) fzMarkup {
	errs := map[policy.Field]string{}
	locks := map[policy.Field]string{}
	for _, f := range []policy.Field{policy.FieldFineGrained, policy.FieldApproval, policy.FieldClassic, policy.FieldFineGrainedLifetime, policy.FieldClassicLifetime} {
		errs[f], locks[f] = "error", "Ent"
	}
	m := fzMarkup{}
	for _, v := range []views.OrgPolicyValues{
		{FineGrained: "allow", Approval: "required", Classic: "allow", FineGrainedExpire: true, FineGrainedDays: "30", Errors: errs,
			Ceilings: map[policy.Field]int{policy.FieldFineGrainedLifetime: 30, policy.FieldClassicLifetime: 30}, Enterprise: "Ent"},
		{FineGrained: "restrict", Approval: "not_required", Classic: "restrict", LockedBy: locks, Errors: errs},
	} {
		form := views.OrgForm("/organizations/o/settings/personal-access-tokens", 1, v)
		cmp := views.Compare(form, form)
		form.Conflict = &cmp
		_, got := fzRender(t, views.PolicyFormView("csrf", form))
		for k := range got {
			m[k] = true
		}
	}
	return m
}

func FuzzOrgSettingsForm(f *testing.F) {
	for _, body := range []string{
		"_csrf=x&version=1&fine_grained_access=allow&approval=required&classic_access=allow" +
			"&fine_grained_max_lifetime_days_expires=on&fine_grained_max_lifetime_days_days=30&classic_max_lifetime_days_days=",
		"fine_grained_access=restrict&fine_grained_access=allow",             // repeated: the first counts
		"approval=%FF%FE&classic_access=%3Cscript%3Ealert(1)%3C%2Fscript%3E", // invalid UTF-8, HTML
		"fine_grained_max_lifetime_days_expires=on&fine_grained_max_lifetime_days_days=-1" +
			"&classic_max_lifetime_days_expires=on&classic_max_lifetime_days_days=99999999999999999999",
		"fine_grained_max_lifetime_days_expires=on&fine_grained_max_lifetime_days_days=1e30",
		"fine_grained_max_lifetime_days_expires=yes&fine_grained_max_lifetime_days_days=%22%3E%3Cimg+src%3Dx+onerror%3Dalert(1)%3E",
		"classic_max_lifetime_days_days=0&version=-1",
		"version=99999999999999999999&opted_in=0&org_id=2&enterprise=x", // unknown fields
		"%zz=1", "a=%", ";;;&&&==", "",
	} {
		f.Add(body, uint64(0))
		f.Add(body, uint64(1<<21|1<<22|30<<28|7<<37)) // an enterprise enforcing fine-grained allow, ceilings 30 and 7
	}
	allowed := fzOrgBaseline(f)
	f.Fuzz(func(t *testing.T, body string, state uint64) {
		form, err := url.ParseQuery(body)
		if err != nil {
			return // answered 400 "The form could not be read." before any decoding
		}
		ch := orgChangeFromForm(form)
		fzCheckDecoded(t, form, ch.FineGrained, ch.Approval, ch.Classic, map[policy.Field]*policy.LifetimeInput{
			policy.FieldFineGrainedLifetime: ch.FineGrainedLifetime, policy.FieldClassicLifetime: ch.ClassicLifetime})

		cur, ent := fzOrgState(state)
		eff := policy.Resolve(cur, true, ent)
		next, errs := policy.ApplyOrgChange(cur, ent, ch)
		if len(errs) > 0 {
			if next != cur {
				t.Fatalf("refused form returned %+v, want the stored %+v", next, cur)
			}
		} else {
			for _, v := range []string{string(next.FineGrained), string(next.Classic)} {
				if v != string(policy.Allow) && v != string(policy.Restrict) {
					t.Fatalf("accepted access %q", v)
				}
			}
			if next.Approval != policy.ApprovalRequired && next.Approval != policy.ApprovalNotRequired {
				t.Fatalf("accepted approval %q", next.Approval)
			}
			fzInRange(t, next.FineGrainedLifetime, next.ClassicLifetime)
			if eff.IsLocked(policy.FieldFineGrained) && next.FineGrained != cur.FineGrained ||
				eff.IsLocked(policy.FieldApproval) && next.Approval != cur.Approval ||
				eff.IsLocked(policy.FieldClassic) && next.Classic != cur.Classic {
				t.Fatalf("a locked field changed: %+v -> %+v", cur, next)
			}
			for f, pair := range map[policy.Field][2]int{
				policy.FieldFineGrainedLifetime: {cur.FineGrainedLifetime, next.FineGrainedLifetime},
				policy.FieldClassicLifetime:     {cur.ClassicLifetime, next.ClassicLifetime},
			} {
				if c := eff.Ceiling[f]; pair[1] != pair[0] && pair[1] > 0 && c > 0 && pair[1] > c {
					t.Fatalf("%s set to %d over the enterprise's %d", f, pair[1], c)
				}
			}
		}

		// The page shown back (422 or 409) keeps the user's text as text.
		v := withSubmitted(orgValues(eff, "Fuzz <Enterprise>"), ch)
		v.Errors = errs.ByField()
		form2 := views.OrgForm("/organizations/o/settings/personal-access-tokens", 1, v)
		page, got := fzRender(t, views.PolicyFormView("csrf", form2))
		fzSameMarkup(t, allowed, got, page)
	})
}

func FuzzEnterpriseSettingsForm(f *testing.F) {
	for _, body := range []string{
		"_csrf=x&version=1&fine_grained_access=no_policy&approval=required&classic_access=restrict" +
			"&fine_grained_max_lifetime_days_expires=on&fine_grained_max_lifetime_days_days=90&exempt_administrators=on",
		"fine_grained_access=%FF&approval=disabled%00&classic_access=allow%20",
		"exempt_administrators=true&exempt_administrators=on", // only "on" checks it
		"classic_max_lifetime_days_expires=on&classic_max_lifetime_days_days=367",
		"classic_max_lifetime_days_expires=on&classic_max_lifetime_days_days=%3Cscript%3Ealert(1)%3C%2Fscript%3E",
		"fine_grained_max_lifetime_days_days=12", "version=0&version=2", "%zz", "",
	} {
		f.Add(body, uint64(0))
		f.Add(body, uint64(1|2<<2|1<<4|30<<6|1<<24))
	}
	allowed := fzMarkup{}
	errs := map[policy.Field]string{}
	for _, fl := range []policy.Field{policy.FieldFineGrained, policy.FieldApproval, policy.FieldClassic, policy.FieldFineGrainedLifetime, policy.FieldClassicLifetime} {
		errs[fl] = "error"
	}
	for _, v := range []views.EnterprisePolicyValues{
		{FineGrained: "no_policy", Approval: "required", Classic: "allow", FineGrainedExpire: true, FineGrainedDays: "3", ExemptAdmins: true, Errors: errs},
		{FineGrained: "restrict", Approval: "disabled", Classic: "no_policy"},
	} {
		form := views.EnterpriseForm("/enterprises/e/settings/personal-access-tokens", 1, v)
		cmp := views.Compare(form, form)
		form.Conflict = &cmp
		_, got := fzRender(f, views.PolicyFormView("csrf", form))
		for k := range got {
			allowed[k] = true
		}
	}
	f.Fuzz(func(t *testing.T, body string, state uint64) {
		form, err := url.ParseQuery(body)
		if err != nil {
			return
		}
		ch := enterpriseChangeFromForm(form)
		fzCheckDecoded(t, form, ch.FineGrained, ch.Approval, ch.Classic, map[policy.Field]*policy.LifetimeInput{
			policy.FieldFineGrainedLifetime: ch.FineGrainedLifetime, policy.FieldClassicLifetime: ch.ClassicLifetime})
		if ch.ExemptAdmins == nil || *ch.ExemptAdmins != (form.Get("exempt_administrators") == "on") {
			t.Fatalf("exempt administrators decoded as %v from %q", ch.ExemptAdmins, form["exempt_administrators"])
		}
		cur := fzEnterpriseState(state)
		next, errs := policy.ApplyEnterpriseChange(cur, ch)
		if len(errs) > 0 {
			if next != cur {
				t.Fatalf("refused form returned %+v, want the stored %+v", next, cur)
			}
		} else {
			threeWay := []policy.EnterpriseAccess{policy.EnterpriseAccessNoPolicy, policy.EnterpriseAccessAllow, policy.EnterpriseAccessRestrict}
			approvals := []policy.EnterpriseApproval{policy.EnterpriseApprovalNoPolicy, policy.EnterpriseApprovalRequired, policy.EnterpriseApprovalDisabled}
			if !slices.Contains(threeWay, next.FineGrained) || !slices.Contains(threeWay, next.Classic) || !slices.Contains(approvals, next.Approval) {
				t.Fatalf("accepted policy holds a value outside the choices: %+v", next)
			}
			fzInRange(t, next.FineGrainedLifetime, next.ClassicLifetime)
		}
		v := enterpriseWithSubmitted(enterpriseValues(cur), ch)
		v.Errors = errs.ByField()
		page, got := fzRender(t, views.PolicyFormView("csrf", views.EnterpriseForm("/enterprises/e/settings/personal-access-tokens", 1, v)))
		fzSameMarkup(t, allowed, got, page)
	})
}
