package views

import "github.com/a-h/templ"

// Confirm asks before a destructive or bulk action. Its form posts the
// same fields again to the same action, with confirm=yes.
type Confirm struct {
	// Title is the page's heading: the question.
	Title   string
	Message string
	// Lines are what saving would do, one sentence each ("Saving blocks
	// 12 active tokens in octo-org"), listed under the message.
	Lines  []string
	Action string
	Fields []Field
	// Button names the button that goes ahead ("Revoke token").
	Button  string
	BackURL string
}

// Field is a hidden form field carried over.
type Field struct {
	Name, Value string
}

// ConfirmField is the field that says an action was confirmed: "yes" for
// everything a confirmation page listed, ConfirmApprovals for the script's
// question about approving pending requests only.
const ConfirmField = "confirm"

// ConfirmApprovals is what the script's question on turning approval off
// confirms: approving the pending requests, and nothing else a change does
// (tokens it shuts out still need the confirmation page).
const ConfirmApprovals = "approvals"

// confirmAttrs makes the script ask before saving an option with a notice
// (one that approves pending requests).
func confirmAttrs(o RadioOption) templ.Attributes {
	if o.Notice == "" {
		return nil
	}
	return templ.Attributes{"data-confirm": "Approve pending requests?", "data-confirm-detail": o.Notice,
		"data-confirm-button": "Save and approve requests", "data-confirm-value": ConfirmApprovals}
}
