package policy

import (
	"maps"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// tokenTarget is an opted-in organization allowing fine-grained tokens, with
// three repositories.
func tokenTarget(approval Approval, owner bool) *TokenTarget {
	return &TokenTarget{
		Login:     "octo-org",
		Effective: Effective{OptedIn: true, FineGrained: Allow, Approval: approval, Classic: Allow},
		IsOwner:   owner,
		Repos:     map[int64]string{1: "octo-web", 2: "octo-api", 3: "octo-infra"},
	}
}

// validTokenInput passes for every target.
func validTokenInput() TokenInput {
	return TokenInput{
		Name:          "deploy-bot",
		Expiration:    "30",
		Justification: "Deploys the API",
		Selection:     "all",
		Permissions:   map[string]string{"contents": "read"},
	}
}

func checkOK(t *testing.T, in TokenInput, target *TokenTarget) TokenRequest {
	t.Helper()
	req, errs := CheckTokenRequest(in, target)
	if errs != nil {
		t.Fatalf("CheckTokenRequest(%+v) errors: %v", in, errs)
	}
	return req
}

// checkFails wants errors, all on field f, and the zero request.
func checkFails(t *testing.T, in TokenInput, target *TokenTarget, f Field) Errors {
	t.Helper()
	req, errs := CheckTokenRequest(in, target)
	if len(errs) == 0 {
		t.Fatalf("CheckTokenRequest(%+v) = %+v, want an error on %s", in, req, f)
	}
	for _, e := range errs {
		if e.Field != f {
			t.Errorf("error on %s (%q), want only errors on %s", e.Field, e.Message, f)
		}
		if strings.TrimSpace(e.Message) == "" {
			t.Errorf("error on %s without a message", e.Field)
		}
	}
	if req.Name != "" || req.Permissions != nil || req.Status != "" {
		t.Errorf("on error the request is %+v, want the zero request", req)
	}
	return errs
}

func TestCheckTokenRequestName(t *testing.T) {
	for _, target := range []*TokenTarget{nil, tokenTarget(ApprovalRequired, false)} {
		in := validTokenInput()
		in.Name = "  \t deploy bot \n "
		if req := checkOK(t, in, target); req.Name != "deploy bot" {
			t.Errorf("name %q, want it trimmed to %q", req.Name, "deploy bot")
		}
		in.Name = strings.Repeat("é", MaxTokenName) // 40 characters, 80 bytes
		if req := checkOK(t, in, target); req.Name != in.Name {
			t.Errorf("name %q, want %q", req.Name, in.Name)
		}
		for name, bad := range map[string]string{
			"empty":          "",
			"blank":          " \t\n ",
			"too long":       strings.Repeat("a", MaxTokenName+1),
			"too long runes": strings.Repeat("é", MaxTokenName+1),
			"NUL":            "dep\x00loy",
			"escape":         "dep\x1b[31mloy",
			"DEL":            "deploy\x7f",
			"bell":           "\adeploy",
			"invalid UTF-8":  "dep\xffloy",
			"lone surrogate": "dep\xed\xa0\x80loy",
			"line break":     "deploy\nbot",
			"tab":            "deploy\tbot",
		} {
			in := validTokenInput()
			in.Name = bad
			t.Run(name, func(t *testing.T) { checkFails(t, in, target, FieldTokenName) })
		}
	}
}

func TestCheckTokenRequestDescription(t *testing.T) {
	in := validTokenInput()
	in.Description = "  Housekeeping\nof the org  "
	if req := checkOK(t, in, nil); req.Description != "Housekeeping\nof the org" {
		t.Errorf("description %q", req.Description)
	}
	in.Description = ""
	checkOK(t, in, nil)
	in.Description = strings.Repeat("x", MaxDescription)
	checkOK(t, in, nil)
	for _, bad := range []string{strings.Repeat("x", MaxDescription+1), "a\x00b", "\xc3"} {
		in.Description = bad
		checkFails(t, in, nil, FieldDescription)
	}
}

func TestCheckTokenRequestExpiration(t *testing.T) {
	for raw, want := range map[string]int{"7": 7, "30": 30, "60": 60, "90": 90, "366": 366, "none": 0} {
		for _, target := range []*TokenTarget{nil, tokenTarget(ApprovalNotRequired, false)} {
			in := validTokenInput()
			in.Expiration = raw
			if req := checkOK(t, in, target); req.ExpiresInDays != want {
				t.Errorf("expiration %q: %d days, want %d", raw, req.ExpiresInDays, want)
			}
		}
	}
	for _, bad := range []string{"", "0", "8", "abc", "-30", "365", "367", "1", "None", "never", " 30", "30 ", "30.0", "99999999999999999999"} {
		in := validTokenInput()
		in.Expiration = bad
		errs := checkFails(t, in, nil, FieldExpiration)
		if len(errs) != 1 {
			t.Errorf("expiration %q: %d errors, want 1: %v", bad, len(errs), errs)
		}
	}
}

func TestCheckTokenRequestMaximumLifetime(t *testing.T) {
	limited := func(owner, exempt bool) *TokenTarget {
		tt := tokenTarget(ApprovalRequired, owner)
		tt.Effective.FineGrainedLifetime = 60
		tt.Effective.ExemptAdmins = exempt
		return tt
	}
	tests := []struct {
		name    string
		target  *TokenTarget
		allowed []string
		refused []string
	}{
		{"member", limited(false, false), []string{"7", "30", "60"}, []string{"90", "366", "none"}},
		{"member, administrators exempt", limited(false, true), []string{"7", "30", "60"}, []string{"90", "366", "none"}},
		{"owner, not exempt", limited(true, false), []string{"7", "30", "60"}, []string{"90", "366", "none"}},
		{"owner, exempt", limited(true, true), []string{"7", "30", "60", "90", "366", "none"}, nil},
		{"no limit", tokenTarget(ApprovalRequired, false), []string{"7", "30", "60", "90", "366", "none"}, nil},
		{"user-owned", nil, []string{"7", "30", "60", "90", "366", "none"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, raw := range tt.allowed {
				in := validTokenInput()
				in.Expiration = raw
				checkOK(t, in, tt.target)
			}
			for _, raw := range tt.refused {
				in := validTokenInput()
				in.Expiration = raw
				errs := checkFails(t, in, tt.target, FieldExpiration)
				if len(errs) != 1 {
					t.Fatalf("expiration %s: %d errors, want 1: %v", raw, len(errs), errs)
				}
				// The message names the organization and its limit.
				if msg := errs[0].Message; !strings.Contains(msg, "octo-org") || !strings.Contains(msg, "60 days") {
					t.Errorf("expiration %s: message %q does not name octo-org's limit of 60 days", raw, msg)
				}
			}
		})
	}
	// The exact day of the limit is allowed, one choice beyond is not.
	tt := tokenTarget(ApprovalNotRequired, false)
	tt.Effective.FineGrainedLifetime = 90
	in := validTokenInput()
	in.Expiration = "90"
	checkOK(t, in, tt)
	in.Expiration = "366"
	checkFails(t, in, tt, FieldExpiration)
	// An invalid expiration is one error, not also a lifetime error.
	in.Expiration = "8"
	if errs := checkFails(t, in, tt, FieldExpiration); len(errs) != 1 {
		t.Errorf("invalid expiration under a limit: %v, want one error", errs)
	}
}

func TestCheckTokenRequestTargetNotOffered(t *testing.T) {
	notOptedIn := tokenTarget(ApprovalRequired, true)
	notOptedIn.Effective.OptedIn = false
	restricted := tokenTarget(ApprovalRequired, true)
	restricted.Effective.FineGrained = Restrict
	for name, target := range map[string]*TokenTarget{"not opted in": notOptedIn, "restricted": restricted} {
		t.Run(name, func(t *testing.T) {
			if target.Offered() {
				t.Fatalf("Offered() = true")
			}
			errs := checkFails(t, validTokenInput(), target, FieldResourceOwner)
			if !strings.Contains(errs[0].Message, "octo-org") {
				t.Errorf("message %q does not name the organization", errs[0].Message)
			}
		})
	}
	if !tokenTarget(ApprovalRequired, false).Offered() {
		t.Error("an opted-in organization allowing fine-grained tokens is not offered")
	}
}

func TestCheckTokenRequestSelection(t *testing.T) {
	target := tokenTarget(ApprovalNotRequired, false)
	for _, sel := range []Selection{SelectPublic, SelectAll} {
		in := validTokenInput()
		in.Selection = string(sel)
		in.Repos = []string{"1", "2"} // left over from the form: ignored
		req := checkOK(t, in, target)
		if req.Selection != sel || req.RepoIDs != nil {
			t.Errorf("selection %s: got %s with repos %v, want no repos", sel, req.Selection, req.RepoIDs)
		}
		// A token owned by the user may choose them too.
		if req := checkOK(t, in, nil); req.Selection != sel || req.RepoIDs != nil {
			t.Errorf("user-owned selection %s: got %s with repos %v", sel, req.Selection, req.RepoIDs)
		}
	}

	in := validTokenInput()
	in.Selection = "selected"
	in.Repos = []string{"3", "1", "3", "1"}
	req := checkOK(t, in, target)
	if req.Selection != SelectSelected || !slices.Equal(req.RepoIDs, []int64{1, 3}) {
		t.Errorf("selected 3,1,3,1: got %s %v, want selected [1 3]", req.Selection, req.RepoIDs)
	}
	in.Repos = []string{"2"}
	if req := checkOK(t, in, target); !slices.Equal(req.RepoIDs, []int64{2}) {
		t.Errorf("selected 2: %v", req.RepoIDs)
	}

	for name, repos := range map[string][]string{
		"none":            nil,
		"empty":           {},
		"foreign":         {"99"},
		"one foreign":     {"1", "99"},
		"not a number":    {"abc"},
		"blank":           {""},
		"name, not an id": {"octo-web"},
		"zero":            {"0"},
		"negative":        {"-1"},
		"padded":          {" 1"},
	} {
		in := validTokenInput()
		in.Selection = "selected"
		in.Repos = repos
		t.Run(name, func(t *testing.T) { checkFails(t, in, target, FieldRepositories) })
	}
	// Selecting needs repositories of the owner: a user has none here, and
	// an organization may have none.
	in = validTokenInput()
	in.Selection = "selected"
	in.Repos = []string{"1"}
	checkFails(t, in, nil, FieldRepositories)
	empty := tokenTarget(ApprovalNotRequired, false)
	empty.Repos = nil
	checkFails(t, in, empty, FieldRepositories)

	for _, bad := range []string{"", "private", "All", "selected "} {
		in := validTokenInput()
		in.Selection = bad
		checkFails(t, in, target, FieldSelection)
	}
}

func TestCheckTokenRequestPermissions(t *testing.T) {
	org := tokenTarget(ApprovalNotRequired, false)
	tests := []struct {
		name   string
		target *TokenTarget
		in     map[string]string
		want   map[string]Level
	}{
		{"nothing", org, nil, map[string]Level{}},
		{"all none", org, map[string]string{"contents": "none", "members": "none", Metadata: "none"}, map[string]Level{}},
		{"repository permission implies metadata read", org, map[string]string{"contents": "write"},
			map[string]Level{"contents": LevelWrite, Metadata: LevelRead}},
		{"implied even over metadata none", org, map[string]string{"issues": "read", Metadata: "none"},
			map[string]Level{"issues": LevelRead, Metadata: LevelRead}},
		{"metadata write kept", org, map[string]string{"pull_requests": "read", Metadata: "write"},
			map[string]Level{"pull_requests": LevelRead, Metadata: LevelWrite}},
		{"metadata alone", org, map[string]string{Metadata: "read"}, map[string]Level{Metadata: LevelRead}},
		{"organization permissions imply nothing", org, map[string]string{"members": "read", "organization_administration": "write"},
			map[string]Level{"members": LevelRead, "organization_administration": LevelWrite}},
		{"both kinds", org, map[string]string{"administration": "write", "members": "read"},
			map[string]Level{"administration": LevelWrite, "members": LevelRead, Metadata: LevelRead}},
		{"user-owned repository permissions", nil, map[string]string{"contents": "read", "members": "none"},
			map[string]Level{"contents": LevelRead, Metadata: LevelRead}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := validTokenInput()
			in.Permissions = tt.in
			req := checkOK(t, in, tt.target)
			if !maps.Equal(req.Permissions, tt.want) {
				t.Errorf("permissions %v, want %v", req.Permissions, tt.want)
			}
			for name, level := range req.Permissions {
				if level == LevelNone {
					t.Errorf("%s kept at none", name)
				}
			}
		})
	}

	for name, tc := range map[string]struct {
		target *TokenTarget
		in     map[string]string
	}{
		"unknown permission":       {org, map[string]string{"secrets": "read"}},
		"unknown among known":      {org, map[string]string{"contents": "read", "secrets": "read"}},
		"label, not name":          {org, map[string]string{"Contents": "read"}},
		"unknown level":            {org, map[string]string{"contents": "admin"}},
		"level label":              {org, map[string]string{"contents": "Read-only"}},
		"empty level":              {org, map[string]string{"contents": ""}},
		"user-owned members":       {nil, map[string]string{"members": "read"}},
		"user-owned org admin":     {nil, map[string]string{"contents": "read", "organization_administration": "write"}},
		"unknown permission, none": {org, map[string]string{"secrets": "none"}},
	} {
		t.Run(name, func(t *testing.T) {
			in := validTokenInput()
			in.Permissions = tc.in
			checkFails(t, in, tc.target, FieldPermissions)
		})
	}
	// Organization permissions at none are fine for a user-owned token.
	in := validTokenInput()
	in.Permissions = map[string]string{"members": "none"}
	checkOK(t, in, nil)
}

func TestCheckTokenRequestJustificationAndStatus(t *testing.T) {
	tests := []struct {
		name       string
		target     *TokenTarget
		required   bool
		wantStatus GrantStatus
	}{
		{"member, approval required", tokenTarget(ApprovalRequired, false), true, GrantPending},
		{"owner, approval required", tokenTarget(ApprovalRequired, true), false, GrantApproved},
		{"member, approval not required", tokenTarget(ApprovalNotRequired, false), false, GrantApproved},
		{"owner, approval not required", tokenTarget(ApprovalNotRequired, true), false, GrantApproved},
		{"user-owned", nil, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.target != nil && tt.target.NeedsApproval() != tt.required {
				t.Errorf("NeedsApproval() = %v, want %v", tt.target.NeedsApproval(), tt.required)
			}
			in := validTokenInput()
			in.Justification = "  Deploys the API\n"
			req := checkOK(t, in, tt.target)
			if req.Status != tt.wantStatus {
				t.Errorf("status %q, want %q", req.Status, tt.wantStatus)
			}
			switch {
			case tt.target == nil && req.Justification != "":
				// Nobody reviews a token the user owns.
				t.Errorf("user-owned token kept justification %q", req.Justification)
			case tt.target != nil && req.Justification != "Deploys the API":
				t.Errorf("justification %q, want it trimmed", req.Justification)
			}
			in.Justification = strings.Repeat("j", MaxJustification)
			checkOK(t, in, tt.target)
			for _, blank := range []string{"", "  \n\t "} {
				in.Justification = blank
				if tt.required {
					checkFails(t, in, tt.target, FieldJustification)
				} else if req := checkOK(t, in, tt.target); req.Status != tt.wantStatus {
					t.Errorf("without justification: status %q, want %q", req.Status, tt.wantStatus)
				}
			}
			if tt.required {
				for _, bad := range []string{strings.Repeat("j", MaxJustification+1), "a\x00b", "\xff"} {
					in.Justification = bad
					checkFails(t, in, tt.target, FieldJustification)
				}
			}
		})
	}
}

func TestCheckTokenRequestOptionalJustificationIsStillText(t *testing.T) {
	// Where no approval is needed the justification is optional, but a grant
	// still stores it and the active-token pages show it: it must be refused
	// or dropped, never kept over-long, with control characters or invalid
	// UTF-8.
	for _, target := range []*TokenTarget{tokenTarget(ApprovalNotRequired, false), tokenTarget(ApprovalRequired, true)} {
		for name, bad := range map[string]string{
			"too long":      strings.Repeat("j", MaxJustification+1),
			"control":       "ok\x1b[2Jcleared",
			"invalid UTF-8": "ok\xff",
		} {
			in := validTokenInput()
			in.Justification = bad
			req, errs := CheckTokenRequest(in, target)
			if len(errs) > 0 {
				if errs[0].Field != FieldJustification || len(errs) != 1 {
					t.Errorf("%s (owner %v, approval %s): errors %v, want one on the justification", name, target.IsOwner, target.Effective.Approval, errs)
				}
				continue
			}
			j := req.Justification
			if utf8.RuneCountInString(j) > MaxJustification || !utf8.ValidString(j) || strings.ContainsAny(j, "\x00\x1b\x7f") {
				t.Errorf("%s (owner %v, approval %s): accepted and kept a justification of %d bytes that CheckTokenRequest refuses when required: %.40q",
					name, target.IsOwner, target.Effective.Approval, len(j), j)
			}
		}
	}
}

func TestCheckTokenRequestCollectsEveryError(t *testing.T) {
	in := TokenInput{
		Name:        "",
		Expiration:  "8",
		Selection:   "selected",
		Repos:       []string{"99"},
		Permissions: map[string]string{"secrets": "read"},
	}
	_, errs := CheckTokenRequest(in, tokenTarget(ApprovalRequired, false))
	got := map[Field]bool{}
	for _, e := range errs {
		got[e.Field] = true
	}
	for _, f := range []Field{FieldTokenName, FieldExpiration, FieldRepositories, FieldPermissions, FieldJustification} {
		if !got[f] {
			t.Errorf("no error on %s: %v", f, errs)
		}
	}
	if by := errs.ByField(); len(by) != 5 {
		t.Errorf("errors on %d fields, want 5: %v", len(by), by)
	}
}

func TestCheckTokenRequestWholeRequest(t *testing.T) {
	in := TokenInput{
		Name:          " deploy-bot ",
		Description:   " Deploys ",
		Expiration:    "90",
		Justification: " Deploys the API ",
		Selection:     "selected",
		Repos:         []string{"2"},
		Permissions:   map[string]string{"contents": "read", "issues": "none"},
	}
	got := checkOK(t, in, tokenTarget(ApprovalRequired, false))
	want := TokenRequest{
		Name: "deploy-bot", Description: "Deploys", ExpiresInDays: 90, Justification: "Deploys the API",
		Selection: SelectSelected, RepoIDs: []int64{2},
		Permissions: map[string]Level{"contents": LevelRead, Metadata: LevelRead},
		Status:      GrantPending,
	}
	if got.Name != want.Name || got.Description != want.Description || got.ExpiresInDays != want.ExpiresInDays ||
		got.Justification != want.Justification || got.Selection != want.Selection || !slices.Equal(got.RepoIDs, want.RepoIDs) ||
		!maps.Equal(got.Permissions, want.Permissions) || got.Status != want.Status {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
}

func TestCheckClassicRequest(t *testing.T) {
	req, errs := CheckClassicRequest(ClassicInput{Note: "  ci token ", Expiration: "none", Scopes: []string{"user", "repo", "workflow", "repo"}})
	if errs != nil {
		t.Fatalf("errors: %v", errs)
	}
	if req.Note != "ci token" || req.ExpiresInDays != 0 || !slices.Equal(req.Scopes, []string{"repo", "workflow", "user"}) {
		t.Errorf("got %+v, want note trimmed, no expiration, scopes [repo workflow user]", req)
	}
	reversed := slices.Clone(Scopes())
	slices.Reverse(reversed)
	req, errs = CheckClassicRequest(ClassicInput{Note: "n", Expiration: "7", Scopes: reversed})
	if errs != nil || !slices.Equal(req.Scopes, Scopes()) || req.ExpiresInDays != 7 {
		t.Errorf("every scope reversed: %+v, %v; want Scopes() order", req, errs)
	}
	req, errs = CheckClassicRequest(ClassicInput{Note: strings.Repeat("n", MaxNote), Expiration: "30"})
	if errs != nil || req.Scopes != nil {
		t.Errorf("no scopes: %+v, %v", req, errs)
	}
	if !slices.Equal(Scopes(), []string{"repo", "read:org", "admin:org", "workflow", "user", "admin:enterprise",
		"admin:public_key", "write:public_key", "read:public_key"}) {
		t.Errorf("Scopes() = %v, want the classic form's scopes", Scopes())
	}

	for name, tc := range map[string]struct {
		in ClassicInput
		f  Field
	}{
		"no note":        {ClassicInput{Note: " ", Expiration: "30"}, FieldNote},
		"note too long":  {ClassicInput{Note: strings.Repeat("n", MaxNote+1), Expiration: "30"}, FieldNote},
		"note control":   {ClassicInput{Note: "a\x00", Expiration: "30"}, FieldNote},
		"note invalid":   {ClassicInput{Note: "a\xfe", Expiration: "30"}, FieldNote},
		"note two lines": {ClassicInput{Note: "a\r\nb", Expiration: "30"}, FieldNote},
		"expiration 0":   {ClassicInput{Note: "n", Expiration: "0"}, FieldExpiration},
		"expiration 8":   {ClassicInput{Note: "n", Expiration: "8"}, FieldExpiration},
		"no expiration":  {ClassicInput{Note: "n", Expiration: ""}, FieldExpiration},
		"unknown scope":  {ClassicInput{Note: "n", Expiration: "30", Scopes: []string{"repo", "delete_repo"}}, FieldScopes},
		"scope case":     {ClassicInput{Note: "n", Expiration: "30", Scopes: []string{"REPO"}}, FieldScopes},
		"empty scope":    {ClassicInput{Note: "n", Expiration: "30", Scopes: []string{""}}, FieldScopes},
		"scope and note": {ClassicInput{Note: "n ", Expiration: "30", Scopes: []string{"repo "}}, FieldScopes},
	} {
		t.Run(name, func(t *testing.T) {
			req, errs := CheckClassicRequest(tc.in)
			if len(errs) != 1 || errs[0].Field != tc.f {
				t.Fatalf("errors %v, want one on %s", errs, tc.f)
			}
			if req.Note != "" || req.Scopes != nil {
				t.Errorf("on error the request is %+v, want the zero request", req)
			}
		})
	}
}

func TestExpirationChoices(t *testing.T) {
	if !slices.Equal(Expirations(), []int{7, 30, 60, 90, 366, 0}) {
		t.Errorf("Expirations() = %v", Expirations())
	}
	var labels []string
	for _, d := range Expirations() {
		labels = append(labels, ExpirationLabel(d))
	}
	if want := []string{"7 days", "30 days", "60 days", "90 days", "366 days", "No expiration"}; !slices.Equal(labels, want) {
		t.Errorf("labels %v, want %v", labels, want)
	}
	if DefaultExpiration != 30 {
		t.Errorf("DefaultExpiration = %d, want 30", DefaultExpiration)
	}
}

func TestExpiresAtAndExpired(t *testing.T) {
	now := time.Date(2025, 1, 31, 23, 59, 59, 999, time.UTC)
	if at := ExpiresAt(now, 0); !at.IsZero() {
		t.Errorf("ExpiresAt(now, 0) = %v, want never", at)
	}
	for _, days := range []int{7, 30, 60, 90, 366} {
		at := ExpiresAt(now, days)
		if want := now.Add(time.Duration(days) * 24 * time.Hour); !at.Equal(want) {
			t.Errorf("ExpiresAt(now, %d) = %v, want %v", days, at, want)
		}
	}
	at := ExpiresAt(now, 30)
	tests := []struct {
		name      string
		expiresAt time.Time
		now       time.Time
		want      bool
	}{
		{"never, now", time.Time{}, now, false},
		{"never, far future", time.Time{}, now.AddDate(100, 0, 0), false},
		{"at creation", at, now, false},
		{"a nanosecond before", at, at.Add(-time.Nanosecond), false},
		{"at the instant", at, at, true},
		{"a nanosecond after", at, at.Add(time.Nanosecond), true},
		{"a year after", at, at.AddDate(1, 0, 0), true},
		{"same instant, other zone", at, at.In(time.FixedZone("X", 5*3600)), true},
	}
	for _, tt := range tests {
		if got := Expired(tt.expiresAt, tt.now); got != tt.want {
			t.Errorf("%s: Expired = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestApprovalTurnedOff(t *testing.T) {
	eff := func(a Approval) Effective {
		return Effective{OptedIn: true, FineGrained: Allow, Approval: a, Classic: Allow}
	}
	tests := []struct {
		before, after Approval
		want          bool
	}{
		{ApprovalRequired, ApprovalRequired, false},
		{ApprovalRequired, ApprovalNotRequired, true},
		{ApprovalNotRequired, ApprovalRequired, false},
		{ApprovalNotRequired, ApprovalNotRequired, false},
		{"", ApprovalNotRequired, false}, // nothing known before: no organization to approve in
	}
	for _, tt := range tests {
		if got := ApprovalTurnedOff(eff(tt.before), eff(tt.after)); got != tt.want {
			t.Errorf("ApprovalTurnedOff(%q → %q) = %v, want %v", tt.before, tt.after, got, tt.want)
		}
	}
	// Only approval matters: other changes alongside do not count.
	before, after := eff(ApprovalRequired), eff(ApprovalRequired)
	after.FineGrained, after.OptedIn, after.FineGrainedLifetime = Restrict, false, 7
	if ApprovalTurnedOff(before, after) {
		t.Error("a change of other settings turned approval off")
	}
}

func TestTokenTargetRules(t *testing.T) {
	tt := tokenTarget(ApprovalRequired, false)
	tt.Effective.FineGrainedLifetime = 30
	if tt.MaxLifetime() != 30 || !tt.NeedsApproval() {
		t.Errorf("member: MaxLifetime %d, NeedsApproval %v", tt.MaxLifetime(), tt.NeedsApproval())
	}
	tt.Effective.ExemptAdmins = true
	if tt.MaxLifetime() != 30 {
		t.Errorf("member with administrators exempt: MaxLifetime %d, want 30", tt.MaxLifetime())
	}
	tt.IsOwner = true
	if tt.MaxLifetime() != 0 || tt.NeedsApproval() {
		t.Errorf("exempt owner: MaxLifetime %d, NeedsApproval %v; want 0, false", tt.MaxLifetime(), tt.NeedsApproval())
	}
	tt.Effective.ExemptAdmins = false
	if tt.MaxLifetime() != 30 {
		t.Errorf("owner not exempt: MaxLifetime %d, want 30", tt.MaxLifetime())
	}
}

func TestCheckReason(t *testing.T) {
	for in, want := range map[string]string{"": "", "  ": "", " Use a GitHub App\n": "Use a GitHub App", "two\nlines": "two\nlines"} {
		if got, errs := CheckReason(in); errs != nil || got != want {
			t.Errorf("CheckReason(%q) = %q, %v; want %q", in, got, errs, want)
		}
	}
	if got, errs := CheckReason(strings.Repeat("r", MaxReason)); errs != nil || len(got) != MaxReason {
		t.Errorf("a reason of %d characters: %v", MaxReason, errs)
	}
	for _, bad := range []string{strings.Repeat("r", MaxReason+1), "a\x00b", "\x1b[31m", "\xff"} {
		if _, errs := CheckReason(bad); len(errs) != 1 || errs[0].Field != FieldReason {
			t.Errorf("CheckReason(%.20q) errors %v, want one on %s", bad, errs, FieldReason)
		}
	}
}

func TestStateOf(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	past, future := now.Add(-time.Hour), now.Add(time.Hour)
	for _, tc := range []struct {
		grant   GrantStatus
		expires time.Time
		want    TokenState
	}{
		{"", time.Time{}, StateActive},
		{"", future, StateActive},
		{"", past, StateExpired},
		{"", now, StateExpired},
		{GrantApproved, future, StateActive},
		{GrantApproved, past, StateExpired},
		{GrantPending, future, StatePending},
		{GrantPending, past, StateExpired},
		{GrantDenied, past, StateDenied},
		{GrantDenied, time.Time{}, StateDenied},
		{GrantRevoked, past, StateRevoked},
		{GrantRevoked, future, StateRevoked},
	} {
		if got := StateOf(tc.grant, tc.expires, now); got != tc.want {
			t.Errorf("StateOf(%q, %v) = %s, want %s", tc.grant, tc.expires, got, tc.want)
		}
	}
}

// Only a change that newly disables the approval flow turns it off for an
// enterprise's organizations.
func TestEnterpriseApprovalTurnedOff(t *testing.T) {
	for _, tt := range []struct {
		before, after EnterpriseApproval
		want          bool
	}{
		{EnterpriseApprovalNoPolicy, EnterpriseApprovalDisabled, true},
		{EnterpriseApprovalRequired, EnterpriseApprovalDisabled, true},
		{EnterpriseApprovalDisabled, EnterpriseApprovalDisabled, false},
		{EnterpriseApprovalDisabled, EnterpriseApprovalRequired, false},
		{EnterpriseApprovalDisabled, EnterpriseApprovalNoPolicy, false},
		{EnterpriseApprovalNoPolicy, EnterpriseApprovalRequired, false},
		{EnterpriseApprovalRequired, EnterpriseApprovalNoPolicy, false},
	} {
		if got := EnterpriseApprovalTurnedOff(Enterprise{Approval: tt.before}, Enterprise{Approval: tt.after}); got != tt.want {
			t.Errorf("EnterpriseApprovalTurnedOff(%q → %q) = %v, want %v", tt.before, tt.after, got, tt.want)
		}
	}
}
