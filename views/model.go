// Package views holds the templ components of every page and the flat view
// models they render. Components never see database rows.
package views

import "patpolicy/web/paths"

// Chrome is what every page's frame needs.
type Chrome struct {
	Title string
	// User is the signed-in login, "" on the sign-in page.
	User string
	// OwnsEnterprise shows "Your enterprises" in the user menu.
	OwnsEnterprise bool
	CSRF           string
	// Flash is a one-time confirmation shown in a status banner.
	Flash string
	// Unread counts the user's unread notifications.
	Unread int
}

// SettingsNav is the sidebar of an organization's settings.
type SettingsNav struct {
	OrgLogin string
	OrgName  string
	// Current is the URL of the page being shown, marked aria-current.
	Current string
}

// NavLink is a sidebar entry.
type NavLink struct {
	Label   string
	URL     string
	Current bool
}

// Links lists the sidebar's two groups.
func (n SettingsNav) Links() (general []NavLink, tokens []NavLink) {
	mk := func(label, url string) NavLink { return NavLink{Label: label, URL: url, Current: url == n.Current} }
	general = []NavLink{mk("General", paths.OrgProfile(n.OrgLogin)), mk("Webhooks", paths.OrgHooks(n.OrgLogin))}
	tokens = []NavLink{
		mk("Settings", paths.OrgPATSettings(n.OrgLogin)),
		mk("Active tokens", paths.OrgActiveTokens(n.OrgLogin)),
		mk("Pending requests", paths.OrgPendingRequests(n.OrgLogin)),
		mk("All tokens", paths.OrgInventory(n.OrgLogin)),
	}
	return general, tokens
}

// AuditLink is the sidebar's last entry.
func (n SettingsNav) AuditLink() NavLink {
	url := paths.OrgAuditLog(n.OrgLogin)
	return NavLink{Label: "Audit log", URL: url, Current: url == n.Current}
}

// RadioGroup is one fieldset of radio buttons.
type RadioGroup struct {
	Name    string // the input name, also the field's id stem
	Legend  string
	Options []RadioOption
	// LockedBy names the enterprise that enforces this setting, "" if none.
	LockedBy string
	Error    string
}

// RadioOption is one radio button with its explanation.
type RadioOption struct {
	Value   string
	Label   string
	Help    string
	Checked bool
	// Notice warns of what choosing this option will do, "" for nothing.
	Notice string
}

// ID is the option's input id.
func (g RadioGroup) ID(o RadioOption) string { return g.Name + "-" + o.Value }

// LifetimeRow is a "must expire" checkbox with its number of days.
type LifetimeRow struct {
	Name       string // stem: <Name>_expires and <Name>_days
	CheckLabel string
	CheckHelp  string
	DaysLabel  string
	MustExpire bool
	Days       string
	// Ceiling explains an enterprise's maximum, "" if none.
	Ceiling string
	Error   string
}

// LifetimeGroup is the fieldset of maximum lifetimes.
type LifetimeGroup struct {
	Legend string
	Help   string
	Rows   []LifetimeRow
	// Exempt is shown on the enterprise page only.
	ShowExempt bool
	Exempt     bool
}

// InactiveGroup is the fieldset of the inactivity limit: a "revoke tokens
// not used for" checkbox with its number of days. A form without one has
// an empty Name and shows no such fieldset.
type InactiveGroup struct {
	Name   string // stem: <Name>_expires and <Name>_days
	Legend string
	Help   string
	Revoke bool
	Days   string
	// LockedBy names the enterprise that enforces the limit, "" if none.
	LockedBy string
	Error    string
}

// Conflict describes a save refused because someone else saved first.
type Conflict struct {
	Rows []ConflictRow
}

// ConflictRow compares one setting.
type ConflictRow struct {
	Setting   string
	Current   string
	Attempted string
}

// PolicyForm is a settings form: the org page and the enterprise page.
type PolicyForm struct {
	Action   string
	Version  int
	Groups   []RadioGroup
	Lifetime LifetimeGroup
	Inactive InactiveGroup
	// Errors lists every problem, shown in a summary above the form.
	Errors   []string
	Conflict *Conflict
	// Original holds the values the form was built on (those of Version),
	// sent back in hidden fields so that a save can tell what the user
	// changed from what the form merely showed.
	Original []FormValue
	// AutoApproval is the organization's "Automatic approval" fieldset;
	// nil where the form has none.
	AutoApproval *AutoApprovalGroup
}

// OriginalPrefix starts the names of the hidden fields that carry a
// form's Original values.
const OriginalPrefix = "was_"

// FormValue is one field of a form with its value.
type FormValue struct {
	Name  string
	Value string
}
