package views

// Option is one choice of a select.
type Option struct {
	Value    string
	Label    string
	Selected bool
	// Disabled options are shown but cannot be chosen.
	Disabled bool
}

// Status is a token's or request's state as a badge.
type Status struct {
	Label string // Active, Pending, Denied, Revoked, Expired
	Class string // the badge's colour
}

// TokenItem is one row of a user's token list.
type TokenItem struct {
	Name    string
	URL     string
	Owner   string // the resource owner, "" for classic tokens
	Status  Status
	Expires string
	// BlockedIn names the organizations whose policy shuts a classic
	// token out.
	BlockedIn []string
}

// TokenListPage is a user's fine-grained or classic token list.
type TokenListPage struct {
	Classic bool
	Heading string
	NewURL  string
	Tokens  []TokenItem
	// OlderURL and NewestURL page through a long list, "" when not needed.
	OlderURL  string
	NewestURL string
}

// PermissionItem is one permission and its level, for reading.
type PermissionItem struct {
	Label string
	Level string
}

// TokenAccess says what a fine-grained token may reach.
type TokenAccess struct {
	Selection   string
	Repos       []string
	Permissions []PermissionItem
	Scopes      []string // classic tokens
}

// Refusal is why an organization's policy shuts a token out: the sentence
// the API answers its calls with, and the rule's id.
type Refusal struct {
	Message string
	Rule    string
}

// TokenPage is one of the user's tokens.
type TokenPage struct {
	Classic bool
	// BlockedIn names the organizations whose policy shuts a classic
	// token out.
	BlockedIn []string
	// Refusals says why each policy that shuts the token out does.
	Refusals    []Refusal
	ListURL     string
	Name        string
	Description string
	Owner       string
	Status      Status
	// NewToken is the secret, present only on the page right after creation.
	NewToken      string
	Justification string
	Reason        string
	Created       string
	Expires       string
	LastUsed      string
	Access        TokenAccess
	CancelURL     string // "" unless the request is pending
	DeleteURL     string
	// RegenerateURL is the form that gives the token a new secret.
	RegenerateURL string
}

// RegenerateForm gives a token a new secret, its expiration chosen again.
type RegenerateForm struct {
	Classic  bool
	Action   string
	TokenURL string
	Name     string
	// Owner is the organization a fine-grained token is for ("" for none).
	Owner       string
	Expirations []Option
	// ExpirationHelp names the organization's maximum lifetime, if any.
	ExpirationHelp string
	// BackToPending says the token's approval will be asked for again.
	BackToPending bool
	Errors        map[string]string
	Summary       []string
}

// OwnerOption is a resource owner a new token may be for.
type OwnerOption struct {
	Value    string
	Label    string
	Selected bool
	// Note says what applies there: approval, a maximum lifetime.
	Note string
	// MaxDays is the maximum lifetime of tokens there, 0 for none.
	MaxDays int
}

// RepoGroup is the repositories of one resource owner, as checkboxes.
type RepoGroup struct {
	Owner string // the owner option's value; JavaScript shows only the chosen owner's group
	Label string
	Repos []RepoChoice
}

// RepoChoice is one repository checkbox.
type RepoChoice struct {
	ID      string
	Name    string
	Checked bool
}

// PermissionChoice is one permission combobox.
type PermissionChoice struct {
	Name    string
	Label   string
	Help    string
	Options []Option
}

// NewTokenForm is the new fine-grained token form.
type NewTokenForm struct {
	Action        string
	Name          string
	Description   string
	Justification string
	Expirations   []Option
	// ExpirationHelp names the resource owners whose maximum lifetime rules
	// out the longer expirations, "" where none does.
	ExpirationHelp string
	Owners         []OwnerOption
	Selections     []Option
	RepoGroups     []RepoGroup
	RepoPerms      []PermissionChoice
	OrgPerms       []PermissionChoice
	AccountPerms   []PermissionChoice
	Errors         map[string]string
	Summary        []string
}

// ScopeChoice is one classic scope checkbox.
type ScopeChoice struct {
	Name    string
	Help    string
	Checked bool
}

// NewClassicForm is the new classic token form.
type NewClassicForm struct {
	Action      string
	Note        string
	Expirations []Option
	Scopes      []ScopeChoice
	Errors      map[string]string
	Summary     []string
}

// GrantRow is one request or active token in an organization's lists.
type GrantRow struct {
	ID            string
	Name          string
	URL           string
	Owner         string
	Access        string
	Permissions   string
	Justification string
	// Excerpt is the start of the justification that the list shows;
	// Clipped says the rest is on the request's own page.
	Excerpt  string
	Clipped  bool
	Expires  string
	Age      string
	LastUsed string
	Expired  bool
	// Blocked says that the policy in force shuts the token out, "" if not.
	Blocked string
}

// GrantListPage is the Pending requests or the Active tokens page.
type GrantListPage struct {
	Nav     SettingsNav
	Pending bool // the queue; else active tokens
	Heading string
	Lead    string
	Empty   string
	// BaseURL is the list without filters; Action is the page's own URL,
	// filters included, where bulk reviews are posted.
	BaseURL     string
	Action      string
	Owners      []Option
	Repos       []Option
	Permissions []Option
	Filtered    bool
	Rows        []GrantRow
	NewerURL    string
	OlderURL    string
	Error       string
	// Count says how many rows the list has in all, e.g. "1,204 pending".
	Count string
	// Notice explains a page link that was set aside.
	Notice string
}

// GrantPage is one request or active token as an owner sees it.
type GrantPage struct {
	Nav     SettingsNav
	Pending bool
	Row     GrantRow
	Status  Status
	Access  TokenAccess
	Created string
	// Reviewed describes the grant's review, "" while pending.
	Reviewed   string
	Reason     string
	ApproveURL string
	DenyURL    string
	RevokeURL  string
	BackURL    string
	// Error says why a decision just made was refused.
	Error string
	// Withdrawn says who cancelled the request (or deleted the token) and
	// when; the grant's details are gone with its token.
	Withdrawn string
}

// DenyPage confirms denying a request, with an optional reason.
type DenyPage struct {
	Nav     SettingsNav
	Name    string
	Owner   string
	Action  string
	BackURL string
	Reason  string
	Error   string
}

// NotificationItem is one notification.
type NotificationItem struct {
	Message string
	URL     string
	Age     string
	Unread  bool
}

// NotificationsPage lists the user's notifications.
type NotificationsPage struct {
	Items []NotificationItem
	// UpTo is the newest notification shown; marking read stops there.
	UpTo   string
	Unread int
}
