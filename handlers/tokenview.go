package handlers

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"patpolicy/db"
	"patpolicy/policy"
	"patpolicy/views"
)

// tokenStatus is a token's state as its owner's pages show it.
func tokenStatus(t db.Token, now time.Time) views.Status {
	var grant policy.GrantStatus
	if t.Grant != nil {
		grant = t.Grant.Status
	}
	state := policy.StateOf(grant, t.ExpiresAt, now)
	return views.Status{Label: string(state), Class: strings.ToLower(string(state))}
}

// blockedStatus is the status of a token the policy in force in org shuts
// out.
func blockedStatus(org string) views.Status {
	return views.Status{Label: "Blocked by " + org + "'s policy", Class: "denied"}
}

// blockedByPolicy reports whether the policy in force in its organization
// shuts token t out (isOwner: its owner owns the organization).
func blockedByPolicy(t db.Token, eff policy.Effective, isOwner bool) bool {
	return policy.BlockedByPolicy(credentialOf(t), eff, isOwner)
}

// blockedBy is the refusal of token t by the policy in force in org, as the
// API words it; allowed when there is none.
func blockedBy(t db.Token, eff policy.Effective, org string, isOwner bool) policy.Decision {
	return policy.BlockedBy(credentialOf(t), eff, org, isOwner)
}

// credentialOf is what the policy-only rules read of a token.
func credentialOf(t db.Token) *policy.Credential {
	return &policy.Credential{Kind: t.Kind, OrgLogin: t.OrgLogin, CreatedAt: t.CreatedAt, ExpiresAt: t.ExpiresAt}
}

// refusals says why each organization's policy in orgs shuts token t out.
func refusals(t db.Token, orgs []orgStanding) []views.Refusal {
	var out []views.Refusal
	for _, o := range orgs {
		if d := blockedBy(t, o.eff, o.login, o.owner); !d.Allowed {
			out = append(out, views.Refusal{Message: d.Message, Rule: string(d.Rule())})
		}
	}
	return out
}

// tokenAccess lists what a token may reach, for reading.
func tokenAccess(t db.Token) views.TokenAccess {
	a := views.TokenAccess{Scopes: t.Scopes}
	if t.Kind == policy.KindClassic {
		return a
	}
	a.Selection = t.Selection.Label()
	for _, r := range t.Repos {
		a.Repos = append(a.Repos, r.Name)
	}
	for _, p := range policy.Permissions() {
		if level, ok := t.Permissions[p.Name]; ok {
			a.Permissions = append(a.Permissions, views.PermissionItem{Label: p.Label, Level: level.Label()})
		}
	}
	return a
}

// accessSummary is a one-line repository access.
func accessSummary(t db.Token) string {
	if t.Selection != policy.SelectSelected {
		return t.Selection.Label()
	}
	names := make([]string, 0, len(t.Repos))
	for _, r := range t.Repos {
		names = append(names, r.Name)
	}
	return strings.Join(names, ", ")
}

// permissionSummary is a one-line list of permissions.
func permissionSummary(t db.Token) string {
	parts := []string{}
	for _, p := range policy.Permissions() {
		if level, ok := t.Permissions[p.Name]; ok {
			parts = append(parts, p.Label+": "+level.Label())
		}
	}
	if len(parts) == 0 {
		return "None"
	}
	return strings.Join(parts, ", ")
}

func date(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("Jan 2, 2006")
}

func expiresText(at, now time.Time) string {
	switch {
	case at.IsZero():
		return "Never expires"
	case policy.Expired(at, now):
		return "Expired on " + date(at)
	}
	return "Expires on " + date(at)
}

func lastUsedText(at time.Time, now time.Time) string {
	if at.IsZero() {
		return "Never used"
	}
	return "Last used " + ago(at, now)
}

// ago says how long before now t was, roughly.
func ago(t, now time.Time) string {
	d := now.Sub(t)
	plural := func(n int, unit string) string {
		if n == 1 {
			return "1 " + unit + " ago"
		}
		return fmt.Sprintf("%d %ss ago", n, unit)
	}
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return plural(int(d/time.Minute), "minute")
	case d < 24*time.Hour:
		return plural(int(d/time.Hour), "hour")
	case d < 60*24*time.Hour:
		return plural(int(d/(24*time.Hour)), "day")
	}
	return "on " + date(t)
}

func expirationOptions(chosen string) []views.Option {
	opts := make([]views.Option, 0, len(policy.Expirations()))
	for _, d := range policy.Expirations() {
		v := strconv.Itoa(d)
		if d == 0 {
			v = "none"
		}
		opts = append(opts, views.Option{Value: v, Label: policy.ExpirationLabel(d), Selected: v == chosen})
	}
	return opts
}

// limitExpirations marks unavailable the expirations beyond a maximum
// lifetime of limit days, but for the one chosen: a refused choice stays
// shown, with its error.
func limitExpirations(opts []views.Option, limit int) {
	for i, o := range opts {
		days, _ := strconv.Atoi(o.Value) // "none": 0, never
		opts[i].Disabled = !o.Selected && !policy.ExpirationFits(days, limit)
	}
}

// errorMap keys field errors by field name for the templates, and lists
// them for the summary.
func errorMap(errs policy.Errors) (map[string]string, []string) {
	m := map[string]string{}
	var list []string
	for f, msg := range errs.ByField() {
		m[string(f)] = msg
	}
	for _, e := range errs {
		if !slices.Contains(list, e.Message) {
			list = append(list, e.Message)
		}
	}
	return m, list
}

func idString(id int64) string { return strconv.FormatInt(id, 10) }
