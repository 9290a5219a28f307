package views

// HooksPage lists an organization's webhooks.
type HooksPage struct {
	Nav    SettingsNav
	NewURL string
	Hooks  []HookItem
}

// HookItem is one webhook in the list.
type HookItem struct {
	URL    string // the payload URL
	Link   string // the webhook's page
	Active bool
	Events string
}

// HookForm is a webhook's settings form, new or saved.
type HookForm struct {
	Action string
	// New says the form adds a webhook (its button is "Add webhook").
	New       bool
	URL       string
	HasSecret bool // a secret is stored: the field shows a placeholder
	Active    bool
	Events    []HookEventOption
	Errors    map[string]string
	Summary   []string
}

// HookEventOption is one event's checkbox.
type HookEventOption struct {
	Value   string
	Label   string
	Help    string
	Checked bool
}

// HookPage is one webhook's page: its form, its deletion, its recent
// deliveries.
type HookPage struct {
	Nav        SettingsNav
	Form       HookForm
	DeleteURL  string
	Deliveries []DeliveryRow
}

// DeliveryRow is one delivery in "Recent deliveries".
type DeliveryRow struct {
	GUID          string
	Event         string
	Status        string
	StatusClass   string // status-active, status-pending or status-denied
	ResponseCode  string
	Duration      string
	Time          string
	TimeISO       string
	Redelivery    bool
	RedeliverURL  string
	RedeliverName string
}

// NewHookPage is the form of a new webhook.
type NewHookPage struct {
	Nav  SettingsNav
	Form HookForm
}
