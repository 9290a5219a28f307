package policy

import (
	"fmt"
	"maps"
	"testing"
)

// The expected values below are written out by hand rather than derived with
// the package's own helpers, so that a change in those helpers shows up here.

var (
	enterpriseAccessChoices   = []EnterpriseAccess{EnterpriseAccessNoPolicy, EnterpriseAccessAllow, EnterpriseAccessRestrict}
	enterpriseApprovalChoices = []EnterpriseApproval{EnterpriseApprovalNoPolicy, EnterpriseApprovalRequired, EnterpriseApprovalDisabled}
	orgAccessChoices          = []Access{Allow, Restrict}
	orgApprovalChoices        = []Approval{ApprovalRequired, ApprovalNotRequired}
)

// wantAccess is what an organization's access is under an enterprise choice:
// the enterprise's value when it enforces one, else the organization's own.
func wantAccess(ent EnterpriseAccess, own Access) (Access, bool) {
	switch ent {
	case EnterpriseAccessNoPolicy:
		return own, false
	case EnterpriseAccessAllow:
		return Allow, true
	case EnterpriseAccessRestrict:
		return Restrict, true
	}
	panic("unknown enterprise access " + ent)
}

func wantApproval(ent EnterpriseApproval, own Approval) (Approval, bool) {
	switch ent {
	case EnterpriseApprovalNoPolicy:
		return own, false
	case EnterpriseApprovalRequired:
		return ApprovalRequired, true
	case EnterpriseApprovalDisabled:
		return ApprovalNotRequired, true
	}
	panic("unknown enterprise approval " + ent)
}

type resolveCase struct {
	entFG, entClassic EnterpriseAccess
	entApproval       EnterpriseApproval
	orgFG, orgClassic Access
	orgApproval       Approval
}

func (c resolveCase) String() string {
	return fmt.Sprintf("ent=%s/%s/%s org=%s/%s/%s", c.entFG, c.entApproval, c.entClassic, c.orgFG, c.orgApproval, c.orgClassic)
}

func allResolveCases() []resolveCase {
	var cases []resolveCase
	for _, efg := range enterpriseAccessChoices {
		for _, eap := range enterpriseApprovalChoices {
			for _, ecl := range enterpriseAccessChoices {
				for _, ofg := range orgAccessChoices {
					for _, oap := range orgApprovalChoices {
						for _, ocl := range orgAccessChoices {
							cases = append(cases, resolveCase{efg, ecl, eap, ofg, ocl, oap})
						}
					}
				}
			}
		}
	}
	return cases
}

func TestResolveEveryEnterpriseAndOrgCombination(t *testing.T) {
	cases := allResolveCases()
	if len(cases) != 27*8 {
		t.Fatalf("built %d cases, want 216", len(cases))
	}
	const entName = "Octo Enterprise"
	for _, c := range cases {
		t.Run(c.String(), func(t *testing.T) {
			own := OrgSettings{FineGrained: c.orgFG, Approval: c.orgApproval, Classic: c.orgClassic, FineGrainedLifetime: 30, ClassicLifetime: 60}
			wantFG, fgLocked := wantAccess(c.entFG, c.orgFG)
			wantAp, apLocked := wantApproval(c.entApproval, c.orgApproval)
			wantCl, clLocked := wantAccess(c.entClassic, c.orgClassic)
			wantLocked := map[Field]string{}
			if fgLocked {
				wantLocked[FieldFineGrained] = entName
			}
			if apLocked {
				wantLocked[FieldApproval] = entName
			}
			if clLocked {
				wantLocked[FieldClassic] = entName
			}

			for _, optIn := range []struct{ org, ent bool }{{false, false}, {true, false}, {false, true}, {true, true}} {
				for _, exempt := range []bool{false, true} {
					ent := &Enterprise{
						Slug: "octo-ent", Name: entName, OptedIn: optIn.ent,
						FineGrained: c.entFG, Approval: c.entApproval, Classic: c.entClassic,
						ExemptAdmins: exempt,
					}
					before := *ent
					eff := Resolve(own, optIn.org, ent)
					if *ent != before {
						t.Errorf("Resolve modified the enterprise: %+v, was %+v", *ent, before)
					}
					if eff.FineGrained != wantFG || eff.Approval != wantAp || eff.Classic != wantCl {
						t.Errorf("effective = %s/%s/%s, want %s/%s/%s", eff.FineGrained, eff.Approval, eff.Classic, wantFG, wantAp, wantCl)
					}
					if !maps.Equal(eff.Locked, wantLocked) {
						t.Errorf("Locked = %v, want %v", eff.Locked, wantLocked)
					}
					for _, f := range []Field{FieldFineGrained, FieldApproval, FieldClassic, FieldFineGrainedLifetime, FieldClassicLifetime, FieldExemptAdmins} {
						_, want := wantLocked[f]
						if got := eff.IsLocked(f); got != want {
							t.Errorf("IsLocked(%s) = %v, want %v", f, got, want)
						}
					}
					if want := optIn.org || optIn.ent; eff.OptedIn != want {
						t.Errorf("org opted in %v, enterprise opted in %v: OptedIn = %v, want %v", optIn.org, optIn.ent, eff.OptedIn, want)
					}
					if eff.ExemptAdmins != exempt {
						t.Errorf("ExemptAdmins = %v, want %v", eff.ExemptAdmins, exempt)
					}
					// The enterprise sets no lifetime: the organization's own stay in force.
					if eff.FineGrainedLifetime != 30 || eff.ClassicLifetime != 60 {
						t.Errorf("lifetimes = %d/%d, want the organization's 30/60", eff.FineGrainedLifetime, eff.ClassicLifetime)
					}
					if len(eff.Ceiling) != 0 {
						t.Errorf("Ceiling = %v, want none", eff.Ceiling)
					}
				}
			}
		})
	}
}

func TestResolveWithoutEnterprise(t *testing.T) {
	for _, fg := range orgAccessChoices {
		for _, ap := range orgApprovalChoices {
			for _, cl := range orgAccessChoices {
				for _, optedIn := range []bool{false, true} {
					own := OrgSettings{FineGrained: fg, Approval: ap, Classic: cl, FineGrainedLifetime: 7, ClassicLifetime: 366}
					eff := Resolve(own, optedIn, nil)
					want := Effective{
						OptedIn: optedIn, FineGrained: fg, Approval: ap, Classic: cl,
						FineGrainedLifetime: 7, ClassicLifetime: 366,
					}
					if eff.OptedIn != want.OptedIn || eff.FineGrained != want.FineGrained || eff.Approval != want.Approval ||
						eff.Classic != want.Classic || eff.FineGrainedLifetime != want.FineGrainedLifetime ||
						eff.ClassicLifetime != want.ClassicLifetime || eff.ExemptAdmins {
						t.Errorf("Resolve(%+v, %v, nil) = %+v, want %+v", own, optedIn, eff, want)
					}
					if len(eff.Locked) != 0 || len(eff.Ceiling) != 0 {
						t.Errorf("Resolve(%+v, %v, nil): Locked %v, Ceiling %v, want none", own, optedIn, eff.Locked, eff.Ceiling)
					}
					for _, f := range []Field{FieldFineGrained, FieldApproval, FieldClassic} {
						if eff.IsLocked(f) {
							t.Errorf("IsLocked(%s) without enterprise", f)
						}
					}
				}
			}
		}
	}
}

func TestResolveDefaultEnterpriseEnforcesNothing(t *testing.T) {
	ent := DefaultEnterprise()
	ent.Name = "Octo Enterprise"
	own := OrgSettings{FineGrained: Restrict, Approval: ApprovalNotRequired, Classic: Restrict, FineGrainedLifetime: 10, ClassicLifetime: 20}
	eff := Resolve(own, false, &ent)
	if eff.FineGrained != Restrict || eff.Approval != ApprovalNotRequired || eff.Classic != Restrict {
		t.Errorf("effective = %s/%s/%s, want the organization's own restrict/not_required/restrict", eff.FineGrained, eff.Approval, eff.Classic)
	}
	if len(eff.Locked) != 0 || len(eff.Ceiling) != 0 || eff.OptedIn {
		t.Errorf("Locked %v, Ceiling %v, OptedIn %v: want none, none, false", eff.Locked, eff.Ceiling, eff.OptedIn)
	}
	if eff.FineGrainedLifetime != 10 || eff.ClassicLifetime != 20 {
		t.Errorf("lifetimes %d/%d, want 10/20", eff.FineGrainedLifetime, eff.ClassicLifetime)
	}
}

func TestResolveLifetimeIsStricterOfOrgAndEnterprise(t *testing.T) {
	tests := []struct {
		org, ent    int
		want        int
		wantCeiling bool
	}{
		{0, 0, 0, false},
		{30, 0, 30, false},
		{0, 90, 90, true},
		{30, 90, 30, true},
		{90, 30, 30, true},
		{90, 90, 90, true},
		{1, 366, 1, true},
		{366, 1, 1, true},
		{366, 0, 366, false},
	}
	for _, tt := range tests {
		for _, classic := range []bool{false, true} {
			name := fmt.Sprintf("org=%d ent=%d classic=%v", tt.org, tt.ent, classic)
			t.Run(name, func(t *testing.T) {
				own := DefaultOrgSettings()
				ent := DefaultEnterprise()
				ent.Name = "Octo Enterprise"
				// The other kind carries distinct values that must not leak across.
				if classic {
					own.ClassicLifetime, ent.ClassicLifetime = tt.org, tt.ent
					own.FineGrainedLifetime, ent.FineGrainedLifetime = 200, 0
				} else {
					own.FineGrainedLifetime, ent.FineGrainedLifetime = tt.org, tt.ent
					own.ClassicLifetime, ent.ClassicLifetime = 200, 0
				}
				eff := Resolve(own, true, &ent)
				f, other := FieldFineGrainedLifetime, FieldClassicLifetime
				got, gotOther := eff.FineGrainedLifetime, eff.ClassicLifetime
				if classic {
					f, other = other, f
					got, gotOther = gotOther, got
				}
				if got != tt.want {
					t.Errorf("effective %s = %d, want %d", f, got, tt.want)
				}
				if gotOther != 200 {
					t.Errorf("effective %s = %d, want the organization's 200", other, gotOther)
				}
				c, ok := eff.Ceiling[f]
				if ok != tt.wantCeiling || (ok && c != tt.ent) {
					t.Errorf("Ceiling[%s] = %d, %v; want %d, %v", f, c, ok, tt.ent, tt.wantCeiling)
				}
				if _, ok := eff.Ceiling[other]; ok {
					t.Errorf("Ceiling[%s] reported though the enterprise sets none", other)
				}
				if eff.IsLocked(f) {
					t.Errorf("lifetime %s is reported locked; an enterprise maximum is a ceiling, not a lock", f)
				}
			})
		}
	}
}

func TestFieldTitles(t *testing.T) {
	// Titles appear in lock errors and must match the settings pages' legends.
	want := map[Field]string{
		FieldFineGrained: "Fine-grained personal access tokens",
		FieldApproval:    "Require approval of fine-grained personal access tokens",
		FieldClassic:     "Personal access token (classic)",
	}
	for f, title := range want {
		if got := f.Title(); got != title {
			t.Errorf("%s.Title() = %q, want %q", f, got, title)
		}
	}
	if got := Field("unknown_field").Title(); got != "unknown_field" {
		t.Errorf("unknown field title = %q, want the field name", got)
	}
}

func TestErrorsHelpers(t *testing.T) {
	es := Errors{
		{Field: FieldApproval, Message: "first"},
		{Field: FieldClassic, Message: "locked", Locked: true},
		{Field: FieldApproval, Message: "second"},
	}
	m := es.ByField()
	if m[FieldApproval] != "first" || m[FieldClassic] != "locked" || len(m) != 2 {
		t.Errorf("ByField() = %v, want the first message of each field", m)
	}
	if _, ok := m[FieldFineGrained]; ok {
		t.Error("ByField() has a field without errors")
	}
	if got := (FieldError{Field: FieldClassic, Message: "boom"}).Error(); got != "classic_access: boom" {
		t.Errorf("Error() = %q", got)
	}
}
