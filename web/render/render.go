// Package render writes templ components as HTTP responses.
package render

import (
	"bytes"
	"encoding/json"

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

// JSONType is the content type of every API response, as GitHub sends it.
const JSONType = "application/json; charset=utf-8"

// JSON encodes v completely before sending anything, like Page.
func JSON(c echo.Context, status int, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return c.Blob(status, JSONType, b)
}
