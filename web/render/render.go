// Package render writes templ components as HTTP responses.
package render

import (
	"bytes"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"
)

// Page renders a component into a buffer first and sends it only when the
// whole page rendered, so a failing component never leaves half a page.
func Page(c echo.Context, status int, comp templ.Component) error {
	var buf bytes.Buffer
	if err := comp.Render(c.Request().Context(), &buf); err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
	return c.Blob(status, echo.MIMETextHTMLCharsetUTF8, buf.Bytes())
}
