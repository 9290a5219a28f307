// Package handlers turns HTTP requests into calls on the store and the
// policy rules, and their results into pages. Each handler is thin: parse,
// decide through policy/ and db/, build a view model, render.
package handlers

import (
	"github.com/labstack/echo/v4"

	"patpolicy/views"
	"patpolicy/web/csrf"
	"patpolicy/web/guard"
	"patpolicy/web/session"
)

// Chrome builds the frame every page shares, taking the pending flash.
func Chrome(c echo.Context, title string) views.Chrome {
	ch := views.Chrome{Title: title, Flash: session.TakeFlash(c)}
	ch.CSRF = csrf.Token(c)
	if u := guard.User(c); u != nil {
		ch.User = u.Login
		ch.OwnsEnterprise = u.OwnsEnterprise
		ch.Unread = u.Unread
	}
	return ch
}
