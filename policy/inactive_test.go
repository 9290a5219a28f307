package policy

import (
	"testing"
	"time"
)

func TestInactivityLimitEnforcedByTheEnterpriseReplacesTheOrganizations(t *testing.T) {
	own := DefaultOrgSettings()
	own.InactiveDays = 30
	if eff := Resolve(own, true, nil); eff.InactiveDays != 30 || eff.IsLocked(FieldInactive) {
		t.Errorf("alone: %d days, locked %v; want 30, unlocked", eff.InactiveDays, eff.IsLocked(FieldInactive))
	}
	ent := DefaultEnterprise()
	ent.Name = "E"
	if eff := Resolve(own, true, &ent); eff.InactiveDays != 30 || eff.IsLocked(FieldInactive) {
		t.Errorf("enterprise without a limit: %d days, locked %v", eff.InactiveDays, eff.IsLocked(FieldInactive))
	}
	for _, entDays := range []int{10, 90} {
		ent.InactiveDays = entDays
		eff := Resolve(own, true, &ent)
		if eff.InactiveDays != entDays || eff.Locked[FieldInactive] != "E" {
			t.Errorf("enterprise %d days: in force %d, locked by %q", entDays, eff.InactiveDays, eff.Locked[FieldInactive])
		}
	}
}

func TestApplyOrgChangeInactivity(t *testing.T) {
	in := func(on bool, days string) *LifetimeInput { return &LifetimeInput{MustExpire: on, Days: days} }
	cur := DefaultOrgSettings()
	for _, tc := range []struct {
		name    string
		ent     int
		input   *LifetimeInput
		want    int
		errText string
		locked  bool
	}{
		{"set", 0, in(true, " 30 "), 30, "", false},
		{"lowest", 0, in(true, "7"), 7, "", false},
		{"highest", 0, in(true, "366"), 366, "", false},
		{"too few", 0, in(true, "6"), 0, InactiveMessage, false},
		{"too many", 0, in(true, "367"), 0, InactiveMessage, false},
		{"words", 0, in(true, "a month"), 0, InactiveMessage, false},
		{"empty", 0, in(true, ""), 0, InactiveMessage, false},
		{"unticked ignores days", 0, in(false, "junk"), 0, "", false},
		{"locked, the enforced value", 14, in(true, "14"), 0, "", false},
		{"locked, another value", 14, in(true, "30"), 0, "“Inactive tokens” is managed by the E enterprise and cannot be changed here.", true},
		{"locked, lifted", 14, in(false, ""), 0, "“Inactive tokens” is managed by the E enterprise and cannot be changed here.", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var ent *Enterprise
			if tc.ent > 0 {
				e := DefaultEnterprise()
				e.Name, e.InactiveDays = "E", tc.ent
				ent = &e
			}
			next, errs := ApplyOrgChange(cur, ent, OrgChange{Inactive: tc.input})
			switch {
			case tc.errText == "" && len(errs) > 0:
				t.Fatalf("errors %v", errs)
			case tc.errText != "" && (len(errs) != 1 || errs[0].Message != tc.errText || errs[0].Locked != tc.locked || errs[0].Field != FieldInactive):
				t.Fatalf("errors %+v, want %q (locked %v)", errs, tc.errText, tc.locked)
			}
			if next.InactiveDays != tc.want {
				t.Errorf("own limit %d, want %d", next.InactiveDays, tc.want)
			}
		})
	}
	ent, errs := ApplyEnterpriseChange(DefaultEnterprise(), EnterpriseChange{Inactive: in(true, "20")})
	if len(errs) > 0 || ent.InactiveDays != 20 {
		t.Errorf("enterprise: %d, %v; want 20", ent.InactiveDays, errs)
	}
	if _, errs := ApplyEnterpriseChange(DefaultEnterprise(), EnterpriseChange{Inactive: in(true, "5")}); len(errs) != 1 {
		t.Errorf("enterprise 5 days: %v, want an error", errs)
	}
}

func TestInactivityEvents(t *testing.T) {
	a, b := DefaultOrgSettings(), DefaultOrgSettings()
	b.InactiveDays = 45
	if got := actions(OrgEvents(a, b)); len(got) != 1 || got[0] != ActionInactivityLimitSet {
		t.Errorf("set: %v", got)
	}
	if got := actions(OrgEvents(b, a)); len(got) != 1 || got[0] != ActionInactivityLimitUnset {
		t.Errorf("unset: %v", got)
	}
	e, f := DefaultEnterprise(), DefaultEnterprise()
	f.InactiveDays = 10
	if got := actions(EnterpriseEvents(e, f)); len(got) != 1 || got[0] != ActionInactivityLimitSet {
		t.Errorf("enterprise set: %v", got)
	}
}

func TestExpiryNoticeDue(t *testing.T) {
	exp := time.Date(2030, 1, 31, 12, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	for _, tc := range []struct {
		at   time.Time
		want NoticeKind
		ok   bool
	}{
		{exp.Add(-30 * day), "", false},
		{exp.Add(-7*day - time.Nanosecond), "", false},
		{exp.Add(-7 * day), NoticeExpiringWeek, true},
		{exp.Add(-day - time.Nanosecond), NoticeExpiringWeek, true},
		{exp.Add(-day), NoticeExpiringDay, true},
		{exp.Add(-time.Nanosecond), NoticeExpiringDay, true},
		{exp, NoticeExpired, true},
		{exp.Add(NoticeWindow - time.Nanosecond), NoticeExpired, true},
		{exp.Add(NoticeWindow), NoticeExpired, false},
	} {
		got, ok := ExpiryNoticeDue(exp, tc.at)
		if ok != tc.ok || (ok && got != tc.want) {
			t.Errorf("at %s: %q, %v; want %q, %v", tc.at, got, ok, tc.want, tc.ok)
		}
	}
	if _, ok := ExpiryNoticeDue(time.Time{}, exp); ok {
		t.Error("a token that never expires has a notice due")
	}
}

func TestNoticeNews(t *testing.T) {
	exp := time.Date(2030, 1, 31, 12, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	for _, tc := range []struct {
		n       NoticeKind
		created time.Time
		want    bool
	}{
		{NoticeExpiringWeek, exp.Add(-7 * day), false},
		{NoticeExpiringWeek, exp.Add(-7*day - time.Second), true},
		{NoticeExpiringDay, exp.Add(-day), false},
		{NoticeExpiringDay, exp.Add(-7 * day), true},
		{NoticeExpired, exp.Add(-time.Hour), true},
	} {
		if got := NoticeNews(tc.n, tc.created, exp); got != tc.want {
			t.Errorf("%s of a token made %s before expiry: %v, want %v", tc.n, exp.Sub(tc.created), got, tc.want)
		}
	}
}
