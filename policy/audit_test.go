package policy

import (
	"slices"
	"strings"
	"testing"
)

func actions(evs []Event) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.Action
	}
	return out
}

func TestActionNamesMatchProduct(t *testing.T) {
	// The exact spellings of GitHub's audit log action names, written out by
	// hand.
	want := map[string]string{
		ActionAccessRestrictionEnabled:         "personal_access_token.access_restriction_enabled",
		ActionAccessRestrictionDisabled:        "personal_access_token.access_restriction_disabled",
		ActionClassicAccessRestrictionEnabled:  "personal_access_token.classic_access_restriction_enabled",
		ActionClassicAccessRestrictionDisabled: "personal_access_token.classic_access_restriction_disabled",
		ActionExpirationLimitSet:               "personal_access_token.expiration_limit_set",
		ActionExpirationLimitUnset:             "personal_access_token.expiration_limit_unset",
		ActionAutoApproveEnable:                "auto_approve_personal_access_token_requests.enable",
		ActionAutoApproveDisable:               "auto_approve_personal_access_token_requests.disable",
		ActionFineGrainedOptIn:                 "personal_access_token.fine_grained_opt_in",
		ActionRequestCreated:                   "personal_access_token.request_created",
		ActionAccessGranted:                    "personal_access_token.access_granted",
		ActionRequestDenied:                    "personal_access_token.request_denied",
		ActionRequestCancelled:                 "personal_access_token.request_cancelled",
		ActionAccessRevoked:                    "personal_access_token.access_revoked",
		// A token deleted by its value, and a token given a new secret
		// (patpolicy's own name).
		ActionCredentialRevoked: "personal_access_token.credential_revoked",
		ActionRegenerated:       "personal_access_token.regenerated",
		// patpolicy's own: GitHub has no automatic approval rule.
		ActionAutoApprovalRuleChanged: "personal_access_token.auto_approval_rule_changed",
		// patpolicy's own, with no GitHub spelling to follow.
		ActionInactivityLimitSet:   "personal_access_token.inactivity_limit_set",
		ActionInactivityLimitUnset: "personal_access_token.inactivity_limit_unset",
		ActionHookCreate:           "hook.create",
		ActionHookConfigChanged:    "hook.config_changed",
		ActionHookEventsChanged:    "hook.events_changed",
		ActionHookActiveChanged:    "hook.active_changed",
		ActionHookDestroy:          "hook.destroy",
	}
	for got, spelled := range want {
		if got != spelled {
			t.Errorf("action constant %q, want %q", got, spelled)
		}
	}
	if len(Actions()) != len(want) {
		t.Errorf("Actions() lists %d actions, want %d", len(Actions()), len(want))
	}
	for _, a := range Actions() {
		if _, ok := want[a]; !ok {
			t.Errorf("Actions() holds unknown action %q", a)
		}
	}
	seen := map[string]bool{}
	for _, a := range Actions() {
		if seen[a] {
			t.Errorf("Actions() lists %q twice", a)
		}
		seen[a] = true
	}
}

func TestOrgEventsTransitions(t *testing.T) {
	base := OrgSettings{FineGrained: Allow, Approval: ApprovalRequired, Classic: Allow}
	with := func(f func(*OrgSettings)) OrgSettings { s := base; f(&s); return s }
	tests := []struct {
		name      string
		old, next OrgSettings
		want      []string
		details   []string // a substring of each event's details
	}{
		{"fine-grained restrict", base, with(func(s *OrgSettings) { s.FineGrained = Restrict }),
			[]string{"personal_access_token.access_restriction_enabled"}, []string{"restricted"}},
		{"fine-grained allow", with(func(s *OrgSettings) { s.FineGrained = Restrict }), base,
			[]string{"personal_access_token.access_restriction_disabled"}, []string{"allowed"}},
		{"approval not required", base, with(func(s *OrgSettings) { s.Approval = ApprovalNotRequired }),
			[]string{"auto_approve_personal_access_token_requests.enable"}, []string{""}},
		{"approval required", with(func(s *OrgSettings) { s.Approval = ApprovalNotRequired }), base,
			[]string{"auto_approve_personal_access_token_requests.disable"}, []string{""}},
		{"classic restrict", base, with(func(s *OrgSettings) { s.Classic = Restrict }),
			[]string{"personal_access_token.classic_access_restriction_enabled"}, []string{"restricted"}},
		{"classic allow", with(func(s *OrgSettings) { s.Classic = Restrict }), base,
			[]string{"personal_access_token.classic_access_restriction_disabled"}, []string{"allowed"}},
		{"fine-grained lifetime set", base, with(func(s *OrgSettings) { s.FineGrainedLifetime = 90 }),
			[]string{"personal_access_token.expiration_limit_set"}, []string{"90"}},
		{"fine-grained lifetime changed", with(func(s *OrgSettings) { s.FineGrainedLifetime = 90 }), with(func(s *OrgSettings) { s.FineGrainedLifetime = 30 }),
			[]string{"personal_access_token.expiration_limit_set"}, []string{"30"}},
		{"fine-grained lifetime unset", with(func(s *OrgSettings) { s.FineGrainedLifetime = 90 }), base,
			[]string{"personal_access_token.expiration_limit_unset"}, []string{"fine-grained"}},
		{"classic lifetime set", base, with(func(s *OrgSettings) { s.ClassicLifetime = 7 }),
			[]string{"personal_access_token.expiration_limit_set"}, []string{"7"}},
		{"classic lifetime unset", with(func(s *OrgSettings) { s.ClassicLifetime = 7 }), base,
			[]string{"personal_access_token.expiration_limit_unset"}, []string{"classic"}},
		{"everything, in page order", base, OrgSettings{FineGrained: Restrict, Approval: ApprovalNotRequired, Classic: Restrict, FineGrainedLifetime: 30, ClassicLifetime: 60},
			[]string{
				"personal_access_token.access_restriction_enabled",
				"auto_approve_personal_access_token_requests.enable",
				"personal_access_token.classic_access_restriction_enabled",
				"personal_access_token.expiration_limit_set",
				"personal_access_token.expiration_limit_set",
			}, []string{"", "", "", "30", "60"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			evs := OrgEvents(tt.old, tt.next)
			if got := actions(evs); !slices.Equal(got, tt.want) {
				t.Fatalf("actions = %q, want %q", got, tt.want)
			}
			for i, e := range evs {
				if strings.TrimSpace(e.Details) == "" {
					t.Errorf("event %d (%s) has no details", i, e.Action)
				}
				if !strings.Contains(e.Details, tt.details[i]) {
					t.Errorf("event %d details %q do not mention %q", i, e.Details, tt.details[i])
				}
			}
		})
	}
}

func TestOrgEventsNothingChanged(t *testing.T) {
	for _, s := range []OrgSettings{
		DefaultOrgSettings(),
		{FineGrained: Restrict, Approval: ApprovalNotRequired, Classic: Restrict, FineGrainedLifetime: 30, ClassicLifetime: 366},
		{FineGrained: Allow, Approval: ApprovalRequired, Classic: Restrict, FineGrainedLifetime: 1, ClassicLifetime: 0},
	} {
		if evs := OrgEvents(s, s); len(evs) != 0 {
			t.Errorf("OrgEvents(%+v, same) = %v, want none", s, evs)
		}
	}
}

func TestOptInEvents(t *testing.T) {
	tests := []struct {
		chosen OrgSettings
		// actions that must follow the opt-in event, whatever the starting point
		mustInclude []string
	}{
		{DefaultOrgSettings(), nil},
		{OrgSettings{FineGrained: Restrict, Approval: ApprovalNotRequired, Classic: Restrict}, []string{
			"personal_access_token.access_restriction_enabled",
			"auto_approve_personal_access_token_requests.enable",
			"personal_access_token.classic_access_restriction_enabled",
		}},
		{OrgSettings{FineGrained: Allow, Approval: ApprovalRequired, Classic: Restrict}, []string{
			"personal_access_token.classic_access_restriction_enabled",
		}},
	}
	for _, tt := range tests {
		evs := OptInEvents(tt.chosen)
		if len(evs) == 0 || evs[0].Action != "personal_access_token.fine_grained_opt_in" {
			t.Fatalf("OptInEvents(%+v) = %v, want personal_access_token.fine_grained_opt_in first", tt.chosen, evs)
		}
		if strings.TrimSpace(evs[0].Details) == "" {
			t.Errorf("opt-in event has no details")
		}
		got := actions(evs)
		for _, a := range tt.mustInclude {
			if !slices.Contains(got, a) {
				t.Errorf("OptInEvents(%+v) = %q, missing %q", tt.chosen, got, a)
			}
		}
		for _, a := range got[1:] {
			if a == "personal_access_token.fine_grained_opt_in" {
				t.Errorf("OptInEvents(%+v) = %q: more than one opt-in event", tt.chosen, got)
			}
			// An allowed or approval-required choice never records the opposite.
			switch {
			case tt.chosen.FineGrained == Allow && a == ActionAccessRestrictionEnabled,
				tt.chosen.Classic == Allow && a == ActionClassicAccessRestrictionEnabled,
				tt.chosen.Approval == ApprovalRequired && a == ActionAutoApproveEnable:
				t.Errorf("OptInEvents(%+v) = %q records %q", tt.chosen, got, a)
			}
		}
		// No lifetime was chosen, so no lifetime event.
		if slices.Contains(got, ActionExpirationLimitSet) || slices.Contains(got, ActionExpirationLimitUnset) {
			t.Errorf("OptInEvents(%+v) = %q records a lifetime change", tt.chosen, got)
		}
	}
}

func TestEnterpriseEventsTransitions(t *testing.T) {
	base := DefaultEnterprise()
	base.Name = entName
	with := func(f func(*Enterprise)) Enterprise { e := base; f(&e); return e }
	tests := []struct {
		name      string
		old, next Enterprise
		want      []string
	}{
		{"fine-grained restrict", base, with(func(e *Enterprise) { e.FineGrained = EnterpriseAccessRestrict }),
			[]string{"personal_access_token.access_restriction_enabled"}},
		{"fine-grained allow", with(func(e *Enterprise) { e.FineGrained = EnterpriseAccessRestrict }), with(func(e *Enterprise) { e.FineGrained = EnterpriseAccessAllow }),
			[]string{"personal_access_token.access_restriction_disabled"}},
		{"approval required", base, with(func(e *Enterprise) { e.Approval = EnterpriseApprovalRequired }),
			[]string{"auto_approve_personal_access_token_requests.disable"}},
		{"approval disabled", with(func(e *Enterprise) { e.Approval = EnterpriseApprovalRequired }), with(func(e *Enterprise) { e.Approval = EnterpriseApprovalDisabled }),
			[]string{"auto_approve_personal_access_token_requests.enable"}},
		{"classic restrict", base, with(func(e *Enterprise) { e.Classic = EnterpriseAccessRestrict }),
			[]string{"personal_access_token.classic_access_restriction_enabled"}},
		{"classic allow", with(func(e *Enterprise) { e.Classic = EnterpriseAccessRestrict }), with(func(e *Enterprise) { e.Classic = EnterpriseAccessAllow }),
			[]string{"personal_access_token.classic_access_restriction_disabled"}},
		{"fine-grained lifetime set", base, with(func(e *Enterprise) { e.FineGrainedLifetime = 90 }),
			[]string{"personal_access_token.expiration_limit_set"}},
		{"classic lifetime unset", with(func(e *Enterprise) { e.ClassicLifetime = 30 }), base,
			[]string{"personal_access_token.expiration_limit_unset"}},
		{"everything, in page order", base, Enterprise{Name: entName, FineGrained: EnterpriseAccessRestrict, Approval: EnterpriseApprovalDisabled,
			Classic: EnterpriseAccessRestrict, FineGrainedLifetime: 30, ClassicLifetime: 60},
			[]string{
				"personal_access_token.access_restriction_enabled",
				"auto_approve_personal_access_token_requests.enable",
				"personal_access_token.classic_access_restriction_enabled",
				"personal_access_token.expiration_limit_set",
				"personal_access_token.expiration_limit_set",
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			evs := EnterpriseEvents(tt.old, tt.next)
			if got := actions(evs); !slices.Equal(got, tt.want) {
				t.Fatalf("actions = %q, want %q", got, tt.want)
			}
			for _, e := range evs {
				if strings.TrimSpace(e.Details) == "" {
					t.Errorf("%s has no details", e.Action)
				}
			}
		})
	}
}

func TestEnterpriseEventsBackToNoPolicy(t *testing.T) {
	// Handing a choice back to the organizations is one recorded event whose
	// details say so.
	for _, tt := range []struct {
		old, next Enterprise
	}{
		{Enterprise{FineGrained: EnterpriseAccessRestrict, Approval: EnterpriseApprovalNoPolicy, Classic: EnterpriseAccessNoPolicy}, DefaultEnterprise()},
		{Enterprise{FineGrained: EnterpriseAccessNoPolicy, Approval: EnterpriseApprovalRequired, Classic: EnterpriseAccessNoPolicy}, DefaultEnterprise()},
		{Enterprise{FineGrained: EnterpriseAccessNoPolicy, Approval: EnterpriseApprovalNoPolicy, Classic: EnterpriseAccessAllow}, DefaultEnterprise()},
	} {
		evs := EnterpriseEvents(tt.old, tt.next)
		if len(evs) != 1 {
			t.Errorf("EnterpriseEvents(%+v, no policy) = %v, want one event", tt.old, evs)
			continue
		}
		if !slices.Contains(Actions(), evs[0].Action) {
			t.Errorf("unknown action %q", evs[0].Action)
		}
		if d := evs[0].Details; !strings.Contains(d, "each organization decides") && !strings.Contains(d, "no_policy") {
			t.Errorf("details %q do not say the organizations decide", d)
		}
	}
}

func TestEnterpriseEventsExemptAdministrators(t *testing.T) {
	old := DefaultEnterprise()
	next := old
	next.ExemptAdmins = true
	evs := EnterpriseEvents(old, next)
	if len(evs) != 1 || evs[0].Action != ActionExpirationLimitSet || !strings.Contains(evs[0].Details, "exempt") {
		t.Errorf("exempt on: %v, want one expiration_limit_set event about the exemption", evs)
	}
	evs = EnterpriseEvents(next, old)
	if len(evs) != 1 || evs[0].Action != ActionExpirationLimitUnset || !strings.Contains(evs[0].Details, "no longer exempt") {
		t.Errorf("exempt off: %v, want one expiration_limit_unset event lifting the exemption", evs)
	}
}

func TestEnterpriseEventsNothingChanged(t *testing.T) {
	for _, e := range []Enterprise{
		DefaultEnterprise(),
		{Name: entName, OptedIn: true, FineGrained: EnterpriseAccessRestrict, Approval: EnterpriseApprovalDisabled, Classic: EnterpriseAccessAllow, FineGrainedLifetime: 1, ClassicLifetime: 366, ExemptAdmins: true},
	} {
		if evs := EnterpriseEvents(e, e); len(evs) != 0 {
			t.Errorf("EnterpriseEvents(%+v, same) = %v, want none", e, evs)
		}
	}
}
