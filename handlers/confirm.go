package handlers

import (
	"net/url"
	"slices"

	"github.com/labstack/echo/v4"

	"patpolicy/service"
	"patpolicy/views"
)

// confirmed reports whether a form says its action was confirmed, on the
// confirmation page or in the dialog the script shows in its place.
func confirmed(form url.Values) bool { return form.Get(views.ConfirmField) == "yes" }

// confirmedApprovals reports whether the form confirmed approving pending
// requests only (the script's question on turning approval off).
func confirmedApprovals(form url.Values) bool {
	return form.Get(views.ConfirmField) == views.ConfirmApprovals
}

// confirmation asks again for the action c posted: the same path and the
// same fields (bar the CSRF token, which the page adds afresh). The form
// must have been read already.
func confirmation(c echo.Context, title, message, button, back string) views.Confirm {
	p := views.Confirm{Title: title, Message: message, Action: c.Request().URL.RequestURI(), Button: button, BackURL: back}
	posted := c.Request().PostForm
	names := make([]string, 0, len(posted))
	for name := range posted {
		if name != "_csrf" && name != views.ConfirmField {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	for _, name := range names {
		for _, v := range posted[name] {
			p.Fields = append(p.Fields, views.Field{Name: name, Value: v})
		}
	}
	return p
}

// policyConfirmation asks before saving a policy change that does
// something beyond the settings (ask): approving pending requests, shutting
// tokens out. approveMessage says what turning approval off does, for a
// change that does; the figures, by organization, follow the message.
func policyConfirmation(c echo.Context, ask *service.ConfirmApproval, approveMessage, back string) views.Confirm {
	title, message, button := "Approve "+views.PendingCount(ask.Pending)+"?", approveMessage, "Save and approve requests"
	if ask.Pending == 0 {
		title, message = "Save these settings?", "Saving changes what tokens may do:"
	}
	for _, imp := range ask.Impact {
		if imp.TokensBlocked > 0 {
			button = "Save and block tokens"
		}
	}
	p := confirmation(c, title, message, button, back)
	p.Lines = views.ImpactLines(ask.Impact)
	return p
}
