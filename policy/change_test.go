package policy

import (
	"fmt"
	"strings"
	"testing"
)

const entName = "Octo Enterprise"

// enterprise returns an enterprise policy named entName that enforces what
// the arguments say.
func enterprise(fg EnterpriseAccess, ap EnterpriseApproval, cl EnterpriseAccess) *Enterprise {
	return &Enterprise{Slug: "octo-ent", Name: entName, OptedIn: true, FineGrained: fg, Approval: ap, Classic: cl}
}

func expire(days string) *LifetimeInput { return &LifetimeInput{MustExpire: true, Days: days} }

// wantUnchanged fails unless an erroring apply handed back the current
// settings exactly.
func wantUnchanged[T comparable](t *testing.T, got, cur T) {
	t.Helper()
	if got != cur {
		t.Errorf("on error the returned settings = %+v, want the current %+v (nothing partially applied)", got, cur)
	}
}

func onlyError(t *testing.T, errs Errors, f Field) FieldError {
	t.Helper()
	if len(errs) != 1 {
		t.Fatalf("errors = %v, want exactly one on %s", errs, f)
	}
	if errs[0].Field != f {
		t.Fatalf("error on %s, want on %s: %v", errs[0].Field, f, errs[0])
	}
	if strings.TrimSpace(errs[0].Message) == "" {
		t.Fatalf("error on %s has no message", f)
	}
	return errs[0]
}

func TestApplyOrgChangeAcceptsValidValues(t *testing.T) {
	cur := DefaultOrgSettings()
	tests := []struct {
		name string
		ch   OrgChange
		want OrgSettings
	}{
		{"nothing submitted", OrgChange{}, cur},
		{"fine-grained restrict", OrgChange{FineGrained: new("restrict")}, OrgSettings{FineGrained: Restrict, Approval: ApprovalRequired, Classic: Allow}},
		{"fine-grained allow (unchanged)", OrgChange{FineGrained: new("allow")}, cur},
		{"approval not required", OrgChange{Approval: new("not_required")}, OrgSettings{FineGrained: Allow, Approval: ApprovalNotRequired, Classic: Allow}},
		{"classic restrict", OrgChange{Classic: new("restrict")}, OrgSettings{FineGrained: Allow, Approval: ApprovalRequired, Classic: Restrict}},
		{"all at once", OrgChange{
			FineGrained: new("restrict"), Approval: new("not_required"), Classic: new("restrict"),
			FineGrainedLifetime: expire("90"), ClassicLifetime: expire("30"),
		}, OrgSettings{FineGrained: Restrict, Approval: ApprovalNotRequired, Classic: Restrict, FineGrainedLifetime: 90, ClassicLifetime: 30}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, errs := ApplyOrgChange(cur, nil, tt.ch)
			if errs != nil {
				t.Fatalf("errors %v", errs)
			}
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestApplyOrgChangeNilFieldsUntouched(t *testing.T) {
	cur := OrgSettings{FineGrained: Restrict, Approval: ApprovalNotRequired, Classic: Restrict, FineGrainedLifetime: 45, ClassicLifetime: 12}
	for _, ent := range []*Enterprise{nil, enterprise(EnterpriseAccessAllow, EnterpriseApprovalRequired, EnterpriseAccessAllow)} {
		got, errs := ApplyOrgChange(cur, ent, OrgChange{})
		if errs != nil || got != cur {
			t.Errorf("empty change (enterprise %v): got %+v, %v; want %+v, no errors", ent != nil, got, errs, cur)
		}
		// One field submitted: only that one moves.
		got, errs = ApplyOrgChange(cur, ent, OrgChange{ClassicLifetime: expire("5")})
		want := cur
		want.ClassicLifetime = 5
		if errs != nil || got != want {
			t.Errorf("classic lifetime only: got %+v, %v; want %+v", got, errs, want)
		}
	}
}

func TestApplyOrgChangeRejectsUnknownValues(t *testing.T) {
	cur := OrgSettings{FineGrained: Allow, Approval: ApprovalRequired, Classic: Restrict, FineGrainedLifetime: 30, ClassicLifetime: 0}
	bad := []string{"", "Allow", "RESTRICT", " allow", "allow ", "no_policy", "deny", "required", "not_required"}
	badApproval := []string{"", "Required", "disabled", "no_policy", "allow", "notrequired", "not required"}
	type fieldCase struct {
		f   Field
		set func(*OrgChange, string)
		bad []string
	}
	fields := []fieldCase{
		{FieldFineGrained, func(c *OrgChange, v string) { c.FineGrained = &v }, bad},
		{FieldClassic, func(c *OrgChange, v string) { c.Classic = &v }, bad},
		{FieldApproval, func(c *OrgChange, v string) { c.Approval = &v }, badApproval},
	}
	// Unknown values are plain field errors, with or without an enterprise,
	// and even when the field is locked: they are not lock violations.
	ents := map[string]*Enterprise{
		"no enterprise":   nil,
		"nothing locked":  enterprise(EnterpriseAccessNoPolicy, EnterpriseApprovalNoPolicy, EnterpriseAccessNoPolicy),
		"everything lock": enterprise(EnterpriseAccessRestrict, EnterpriseApprovalDisabled, EnterpriseAccessAllow),
	}
	for entDesc, ent := range ents {
		for _, fc := range fields {
			for _, v := range fc.bad {
				t.Run(fmt.Sprintf("%s/%s=%q", entDesc, fc.f, v), func(t *testing.T) {
					var ch OrgChange
					fc.set(&ch, v)
					got, errs := ApplyOrgChange(cur, ent, ch)
					e := onlyError(t, errs, fc.f)
					if e.Locked {
						t.Errorf("unknown value reported as a lock violation: %v", e)
					}
					wantUnchanged(t, got, cur)
				})
			}
		}
	}
}

func TestApplyOrgChangeLockedFields(t *testing.T) {
	// The organization's own values differ from what the enterprise enforces,
	// so "kept" and "overwritten" can be told apart.
	cur := OrgSettings{FineGrained: Allow, Approval: ApprovalRequired, Classic: Allow}
	ent := enterprise(EnterpriseAccessRestrict, EnterpriseApprovalDisabled, EnterpriseAccessRestrict)

	tests := []struct {
		f        Field
		enforced string
		other    string
		set      func(*OrgChange, string)
	}{
		{FieldFineGrained, "restrict", "allow", func(c *OrgChange, v string) { c.FineGrained = &v }},
		{FieldApproval, "not_required", "required", func(c *OrgChange, v string) { c.Approval = &v }},
		{FieldClassic, "restrict", "allow", func(c *OrgChange, v string) { c.Classic = &v }},
	}
	for _, tt := range tests {
		t.Run(string(tt.f)+"/different value refused", func(t *testing.T) {
			var ch OrgChange
			tt.set(&ch, tt.other)
			got, errs := ApplyOrgChange(cur, ent, ch)
			e := onlyError(t, errs, tt.f)
			if !e.Locked {
				t.Errorf("error %v is not marked Locked", e)
			}
			if !strings.Contains(e.Message, entName) {
				t.Errorf("message %q does not name the enterprise %q", e.Message, entName)
			}
			if !strings.Contains(e.Message, tt.f.Title()) {
				t.Errorf("message %q does not name the setting %q", e.Message, tt.f.Title())
			}
			wantUnchanged(t, got, cur)
		})
		t.Run(string(tt.f)+"/enforced value accepted, own kept", func(t *testing.T) {
			var ch OrgChange
			tt.set(&ch, tt.enforced)
			got, errs := ApplyOrgChange(cur, ent, ch)
			if errs != nil {
				t.Fatalf("sending the enforced value: errors %v", errs)
			}
			if got != cur {
				t.Errorf("got %+v, want the organization's own %+v kept", got, cur)
			}
		})
	}

	t.Run("allow enforced", func(t *testing.T) {
		cur := OrgSettings{FineGrained: Restrict, Approval: ApprovalNotRequired, Classic: Restrict}
		ent := enterprise(EnterpriseAccessAllow, EnterpriseApprovalRequired, EnterpriseAccessAllow)
		_, errs := ApplyOrgChange(cur, ent, OrgChange{FineGrained: new("allow"), Approval: new("required"), Classic: new("allow")})
		if errs != nil {
			t.Errorf("enforced values refused: %v", errs)
		}
		got, errs := ApplyOrgChange(cur, ent, OrgChange{FineGrained: new("restrict"), Approval: new("not_required"), Classic: new("restrict")})
		if len(errs) != 3 {
			t.Fatalf("errors %v, want one per locked field", errs)
		}
		for _, f := range []Field{FieldFineGrained, FieldClassic, FieldApproval} {
			found := false
			for _, e := range errs {
				if e.Field == f && e.Locked {
					found = true
				}
			}
			if !found {
				t.Errorf("no Locked error for %s in %v", f, errs)
			}
		}
		wantUnchanged(t, got, cur)
	})

	t.Run("unlocked fields still change beside a locked one", func(t *testing.T) {
		ent := enterprise(EnterpriseAccessNoPolicy, EnterpriseApprovalNoPolicy, EnterpriseAccessRestrict)
		got, errs := ApplyOrgChange(cur, ent, OrgChange{FineGrained: new("restrict"), Approval: new("not_required"), Classic: new("restrict")})
		if errs != nil {
			t.Fatalf("errors %v", errs)
		}
		want := OrgSettings{FineGrained: Restrict, Approval: ApprovalNotRequired, Classic: Allow}
		if got != want {
			t.Errorf("got %+v, want %+v (classic own value kept)", got, want)
		}
	})
}

func TestApplyOrgChangeLifetimeInput(t *testing.T) {
	const msgPart = "1 to 366"
	tests := lifetimeInputCases()
	for _, tt := range tests {
		for _, classic := range []bool{false, true} {
			name := fmt.Sprintf("must=%v days=%q classic=%v", tt.in.MustExpire, tt.in.Days, classic)
			t.Run(name, func(t *testing.T) {
				cur := OrgSettings{FineGrained: Allow, Approval: ApprovalRequired, Classic: Allow, FineGrainedLifetime: 45, ClassicLifetime: 45}
				in := tt.in
				ch := OrgChange{FineGrainedLifetime: &in}
				f := FieldFineGrainedLifetime
				if classic {
					ch = OrgChange{ClassicLifetime: &in}
					f = FieldClassicLifetime
				}
				got, errs := ApplyOrgChange(cur, nil, ch)
				if tt.wantErr {
					e := onlyError(t, errs, f)
					if e.Locked {
						t.Errorf("lifetime error marked Locked")
					}
					if !strings.Contains(e.Message, msgPart) {
						t.Errorf("message %q does not give the range %q", e.Message, msgPart)
					}
					wantUnchanged(t, got, cur)
					return
				}
				if errs != nil {
					t.Fatalf("errors %v", errs)
				}
				want := cur
				if classic {
					want.ClassicLifetime = tt.want
				} else {
					want.FineGrainedLifetime = tt.want
				}
				if got != want {
					t.Errorf("got %+v, want %+v", got, want)
				}
			})
		}
	}
}

func TestApplyOrgChangeEnterpriseLifetimeCeiling(t *testing.T) {
	ent := enterprise(EnterpriseAccessNoPolicy, EnterpriseApprovalNoPolicy, EnterpriseAccessNoPolicy)
	ent.FineGrainedLifetime = 90
	ent.ClassicLifetime = 30
	cur := DefaultOrgSettings()

	tests := []struct {
		name    string
		ch      OrgChange
		want    OrgSettings
		errOn   Field
		ceiling int
	}{
		{"tighten fine-grained", OrgChange{FineGrainedLifetime: expire("60")}, OrgSettings{FineGrained: Allow, Approval: ApprovalRequired, Classic: Allow, FineGrainedLifetime: 60, ClassicLifetime: 0}, "", 0},
		// The page shows the lifetime in force (the ceiling); sending it back
		// is no change and keeps the organization's own (none).
		{"equal to fine-grained ceiling", OrgChange{FineGrainedLifetime: expire("90")}, cur, "", 0},
		{"unchecking under a ceiling", OrgChange{FineGrainedLifetime: &LifetimeInput{}}, cur, "", 0},
		{"exceed fine-grained ceiling", OrgChange{FineGrainedLifetime: expire("91")}, cur, FieldFineGrainedLifetime, 90},
		{"exceed fine-grained ceiling by far", OrgChange{FineGrainedLifetime: expire("366")}, cur, FieldFineGrainedLifetime, 90},
		{"tighten classic", OrgChange{ClassicLifetime: expire("1")}, OrgSettings{FineGrained: Allow, Approval: ApprovalRequired, Classic: Allow, FineGrainedLifetime: 0, ClassicLifetime: 1}, "", 0},
		{"exceed classic ceiling", OrgChange{ClassicLifetime: expire("31")}, cur, FieldClassicLifetime, 30},
		// The classic ceiling (30) is not applied to fine-grained tokens.
		{"fine-grained between the two ceilings", OrgChange{FineGrainedLifetime: expire("60")}, OrgSettings{FineGrained: Allow, Approval: ApprovalRequired, Classic: Allow, FineGrainedLifetime: 60, ClassicLifetime: 0}, "", 0},
		// Unchecked: the organization sets no maximum of its own; the enterprise's stays in force.
		{"no own limit under a ceiling", OrgChange{FineGrainedLifetime: &LifetimeInput{MustExpire: false, Days: "500"}}, cur, "", 0},
		{"valid tighten beside an excess", OrgChange{FineGrainedLifetime: expire("10"), ClassicLifetime: expire("45")}, cur, FieldClassicLifetime, 30},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, errs := ApplyOrgChange(cur, ent, tt.ch)
			if tt.errOn == "" {
				if errs != nil {
					t.Fatalf("errors %v", errs)
				}
				if got != tt.want {
					t.Errorf("got %+v, want %+v", got, tt.want)
				}
				return
			}
			e := onlyError(t, errs, tt.errOn)
			if e.Locked {
				t.Errorf("ceiling error marked Locked: %v", e)
			}
			if !strings.Contains(e.Message, fmt.Sprint(tt.ceiling)) {
				t.Errorf("message %q does not name the limit %d", e.Message, tt.ceiling)
			}
			if !strings.Contains(e.Message, entName) {
				t.Errorf("message %q does not name the enterprise", e.Message)
			}
			wantUnchanged(t, got, cur)
		})
	}

	// The effective lifetime under an unchecked org limit is the ceiling.
	got, _ := ApplyOrgChange(cur, ent, OrgChange{FineGrainedLifetime: &LifetimeInput{}})
	if eff := Resolve(got, true, ent); eff.FineGrainedLifetime != 90 {
		t.Errorf("effective fine-grained lifetime = %d, want the enterprise's 90", eff.FineGrainedLifetime)
	}
}

func TestApplyOrgChangeNothingPartiallyApplied(t *testing.T) {
	cur := OrgSettings{FineGrained: Allow, Approval: ApprovalRequired, Classic: Allow, FineGrainedLifetime: 0, ClassicLifetime: 0}
	lockClassic := enterprise(EnterpriseAccessNoPolicy, EnterpriseApprovalNoPolicy, EnterpriseAccessRestrict)
	tests := []struct {
		name string
		ent  *Enterprise
		ch   OrgChange
		errs []Field
	}{
		{"valid access beside bad classic", nil, OrgChange{FineGrained: new("restrict"), Classic: new("nope")}, []Field{FieldClassic}},
		{"valid access beside bad approval", nil, OrgChange{FineGrained: new("restrict"), Approval: new("maybe")}, []Field{FieldApproval}},
		{"valid access beside bad lifetime", nil, OrgChange{Approval: new("not_required"), Classic: new("restrict"), FineGrainedLifetime: expire("0")}, []Field{FieldFineGrainedLifetime}},
		{"valid lifetime beside bad lifetime", nil, OrgChange{FineGrainedLifetime: expire("30"), ClassicLifetime: expire("x")}, []Field{FieldClassicLifetime}},
		{"valid changes beside a lock violation", lockClassic, OrgChange{FineGrained: new("restrict"), Approval: new("not_required"), Classic: new("allow"), FineGrainedLifetime: expire("7")}, []Field{FieldClassic}},
		{"several errors", nil, OrgChange{FineGrained: new(""), Approval: new(""), Classic: new(""), FineGrainedLifetime: expire(""), ClassicLifetime: expire("")},
			[]Field{FieldFineGrained, FieldClassic, FieldApproval, FieldFineGrainedLifetime, FieldClassicLifetime}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, errs := ApplyOrgChange(cur, tt.ent, tt.ch)
			if len(errs) != len(tt.errs) {
				t.Fatalf("errors %v, want one on each of %v", errs, tt.errs)
			}
			for _, f := range tt.errs {
				if errs.ByField()[f] == "" {
					t.Errorf("no message for %s in %v", f, errs)
				}
			}
			wantUnchanged(t, got, cur)
		})
	}
}

func TestApplyEnterpriseChangeAcceptsEveryThreeWayValue(t *testing.T) {
	cur := DefaultEnterprise()
	cur.Slug, cur.Name, cur.OptedIn = "octo-ent", entName, true
	for _, fg := range enterpriseAccessChoices {
		for _, ap := range enterpriseApprovalChoices {
			for _, cl := range enterpriseAccessChoices {
				for _, exempt := range []bool{false, true} {
					ch := EnterpriseChange{
						FineGrained: new(string(fg)), Approval: new(string(ap)), Classic: new(string(cl)),
						FineGrainedLifetime: expire("90"), ClassicLifetime: &LifetimeInput{}, ExemptAdmins: new(exempt),
					}
					got, errs := ApplyEnterpriseChange(cur, ch)
					if errs != nil {
						t.Errorf("%s/%s/%s: errors %v", fg, ap, cl, errs)
						continue
					}
					want := cur
					want.FineGrained, want.Approval, want.Classic = fg, ap, cl
					want.FineGrainedLifetime, want.ClassicLifetime, want.ExemptAdmins = 90, 0, exempt
					if got != want {
						t.Errorf("got %+v, want %+v", got, want)
					}
				}
			}
		}
	}
}

func TestApplyEnterpriseChangeNilFieldsUntouched(t *testing.T) {
	cur := Enterprise{Slug: "octo-ent", Name: entName, OptedIn: true, FineGrained: EnterpriseAccessRestrict,
		Approval: EnterpriseApprovalDisabled, Classic: EnterpriseAccessAllow, FineGrainedLifetime: 30, ClassicLifetime: 60, ExemptAdmins: true}
	got, errs := ApplyEnterpriseChange(cur, EnterpriseChange{})
	if errs != nil || got != cur {
		t.Errorf("empty change: got %+v, %v; want %+v", got, errs, cur)
	}
	got, errs = ApplyEnterpriseChange(cur, EnterpriseChange{ExemptAdmins: new(false)})
	want := cur
	want.ExemptAdmins = false
	if errs != nil || got != want {
		t.Errorf("exempt only: got %+v, %v; want %+v", got, errs, want)
	}
	got, errs = ApplyEnterpriseChange(cur, EnterpriseChange{Approval: new("no_policy")})
	want = cur
	want.Approval = EnterpriseApprovalNoPolicy
	if errs != nil || got != want {
		t.Errorf("approval only: got %+v, %v; want %+v", got, errs, want)
	}
}

func TestApplyEnterpriseChangeRejectsUnknownValues(t *testing.T) {
	cur := DefaultEnterprise()
	cur.Name = entName
	cur.Classic = EnterpriseAccessRestrict
	badAccess := []string{"", "No_policy", "nopolicy", "required", "disabled", "Restrict", " allow"}
	badApproval := []string{"", "allow", "restrict", "not_required", "Required", "disabled "}
	type fieldCase struct {
		f   Field
		set func(*EnterpriseChange, string)
		bad []string
	}
	for _, fc := range []fieldCase{
		{FieldFineGrained, func(c *EnterpriseChange, v string) { c.FineGrained = &v }, badAccess},
		{FieldClassic, func(c *EnterpriseChange, v string) { c.Classic = &v }, badAccess},
		{FieldApproval, func(c *EnterpriseChange, v string) { c.Approval = &v }, badApproval},
	} {
		for _, v := range fc.bad {
			t.Run(fmt.Sprintf("%s=%q", fc.f, v), func(t *testing.T) {
				// A valid change to another field must not be applied either.
				ch := EnterpriseChange{ExemptAdmins: new(true), FineGrainedLifetime: expire("30")}
				fc.set(&ch, v)
				got, errs := ApplyEnterpriseChange(cur, ch)
				e := onlyError(t, errs, fc.f)
				if e.Locked {
					t.Errorf("enterprise error marked Locked: %v", e)
				}
				wantUnchanged(t, got, cur)
			})
		}
	}
}

func TestApplyEnterpriseChangeLifetimeInput(t *testing.T) {
	cur := DefaultEnterprise()
	cur.Name = entName
	cur.FineGrainedLifetime, cur.ClassicLifetime = 45, 45
	tests := lifetimeInputCases()
	for _, tt := range tests {
		for _, classic := range []bool{false, true} {
			t.Run(fmt.Sprintf("must=%v days=%q classic=%v", tt.in.MustExpire, tt.in.Days, classic), func(t *testing.T) {
				in := tt.in
				ch := EnterpriseChange{FineGrainedLifetime: &in, ExemptAdmins: new(true)}
				f := FieldFineGrainedLifetime
				if classic {
					ch = EnterpriseChange{ClassicLifetime: &in, ExemptAdmins: new(true)}
					f = FieldClassicLifetime
				}
				got, errs := ApplyEnterpriseChange(cur, ch)
				if tt.wantErr {
					onlyError(t, errs, f)
					wantUnchanged(t, got, cur)
					return
				}
				if errs != nil {
					t.Fatalf("errors %v", errs)
				}
				want := cur
				want.ExemptAdmins = true
				if classic {
					want.ClassicLifetime = tt.want
				} else {
					want.FineGrainedLifetime = tt.want
				}
				if got != want {
					t.Errorf("got %+v, want %+v", got, want)
				}
			})
		}
	}
}

// lifetimeInputCase is a submitted lifetime and what it must become.
type lifetimeInputCase struct {
	in      LifetimeInput
	want    int
	wantErr bool
}

// lifetimeInputCases are shared by the organization and enterprise tests:
// both parse lifetimes by the same rule.
func lifetimeInputCases() []lifetimeInputCase {
	return []lifetimeInputCase{
		{LifetimeInput{true, "1"}, 1, false},
		{LifetimeInput{true, "30"}, 30, false},
		{LifetimeInput{true, "366"}, 366, false},
		{LifetimeInput{true, " 30 "}, 30, false},
		{LifetimeInput{true, "\t90\n"}, 90, false},
		{LifetimeInput{true, "0"}, 0, true},
		{LifetimeInput{true, "367"}, 0, true},
		{LifetimeInput{true, "-5"}, 0, true},
		{LifetimeInput{true, "abc"}, 0, true},
		{LifetimeInput{true, ""}, 0, true},
		{LifetimeInput{true, "   "}, 0, true},
		{LifetimeInput{true, "1e3"}, 0, true},
		{LifetimeInput{true, "30.5"}, 0, true},
		{LifetimeInput{true, "30 days"}, 0, true},
		{LifetimeInput{true, "0x10"}, 0, true},
		{LifetimeInput{true, "9223372036854775807"}, 0, true},
		{LifetimeInput{true, "99999999999999999999999999"}, 0, true},
		{LifetimeInput{true, "18446744073709551616"}, 0, true},
		{LifetimeInput{true, "-99999999999999999999999999"}, 0, true},
		// Must-expire unchecked: no limit, whatever the (disabled) days input held.
		{LifetimeInput{false, ""}, 0, false},
		{LifetimeInput{false, "30"}, 0, false},
		{LifetimeInput{false, "abc"}, 0, false},
		{LifetimeInput{false, "-5"}, 0, false},
	}
}
