package views

import "time"

// LoginPage is the sign-in form.
type LoginPage struct {
	Login    string
	ReturnTo string
	Error    string
}

// OrgItem is one organization in "Your organizations".
type OrgItem struct {
	Login   string
	Name    string
	Role    string
	IsOwner bool
}

// EnterpriseItem is one enterprise in "Your enterprises".
type EnterpriseItem struct {
	Slug string
	Name string
}

// GeneralPage is an organization's general settings (read-only).
type GeneralPage struct {
	Nav        SettingsNav
	Login      string
	Name       string
	Enterprise string
	OptedIn    bool
}

// PATSettingsPage is an organization's personal access token settings.
type PATSettingsPage struct {
	Nav  SettingsNav
	Form PolicyForm
}

// OnboardingPage is one step of opting an organization in.
type OnboardingPage struct {
	Nav    SettingsNav
	Action string
	// Step runs from 1 to 4; 4 is the review.
	Step        int
	Group       RadioGroup
	FineGrained string
	Approval    string
	Classic     string
	Review      []SummaryRow
	Error       string
}

// EnterprisePATPage is an enterprise's personal access token policies.
type EnterprisePATPage struct {
	Slug string
	Name string
	Form PolicyForm
}

// AuditPage is an organization's audit log.
type AuditPage struct {
	Nav SettingsNav
	// Base is the log's own address, where its filter goes.
	Base    string
	Action  string
	Actions []string
	Rows    []AuditRow
	// OlderURL links to the next page of older events, "" at the end.
	OlderURL  string
	NewestURL string
	Error     string
}

// AuditRow is one event.
type AuditRow struct {
	Action  string
	Actor   string
	Details string
	Time    time.Time
}

// ErrorPage is shown for 4xx and 5xx answers to HTML requests.
type ErrorPage struct {
	Status  int
	Title   string
	Message string
}

// EmptyListPage is a token list with nothing in it yet.
type EmptyListPage struct {
	Nav     SettingsNav
	Heading string
	Lead    string
	Empty   string
}
