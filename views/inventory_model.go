package views

// InventoryPage is a token inventory: an organization's (Nav set) or an
// enterprise's (Enterprise set, with an Organization column and filter).
type InventoryPage struct {
	Nav        SettingsNav
	Enterprise EnterpriseNav
	Lead       string
	// BaseURL is the list without filters; CSVURL the filtered list as CSV.
	BaseURL string
	CSVURL  string
	Kinds   []Option
	Owners  []Option
	Status  []Option
	Orgs    []Option // the enterprise's organizations; nil for one organization
	// Filtered: a filter is set.
	Filtered bool
	Error    string
	Notice   string
	Rows     []InventoryRow
	// More: the page read as far as it may without filling up, and more
	// tokens may follow (the Next link goes on from there).
	More     bool
	NewerURL string
	OlderURL string
}

// EnterpriseNav is the enterprise settings shell of a page: the
// enterprise's slug and name, and which of its pages this is.
type EnterpriseNav struct {
	Slug, Name, Current string
}

// InventoryRow is one token in one organization.
type InventoryRow struct {
	Name        string
	Org         string
	Owner       string
	Kind        string
	Scopes      string // a classic token's scopes, "" for none or a fine-grained token
	Status      string
	StatusClass string
	Expires     string
	LastUsed    string
}

// EnterpriseRequestsPage lists the pending requests of an enterprise's
// organizations.
type EnterpriseRequestsPage struct {
	Enterprise EnterpriseNav
	Rows       []EnterpriseRequestRow
	NewerURL   string
	OlderURL   string
	Notice     string
}

// EnterpriseRequestRow is one pending request, linking to its review page
// in its organization.
type EnterpriseRequestRow struct {
	Org       string
	Requester string
	Token     string
	URL       string
	Created   string
}
