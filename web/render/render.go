// Package render writes templ components as HTTP responses.
package render

import (
	"bytes"
	"encoding/json"
	"sync"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"
)

// Page renders a component into a buffer first and sends it only when the
// whole page rendered, so a failing component never leaves half a page.
func Page(c echo.Context, status int, comp templ.Component) error {
	buf := pageBuffers.Get().(*bytes.Buffer)
	defer func() {
		// A rare huge page does not keep its memory in the pool.
		if buf.Cap() <= maxPooledPage {
			buf.Reset()
			pageBuffers.Put(buf)
		}
	}()
	if err := comp.Render(c.Request().Context(), buf); err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
	// Blob has written the bytes out when it returns: the buffer can go
	// back to the pool.
	return c.Blob(status, echo.MIMETextHTMLCharsetUTF8, buf.Bytes())
}

// pageBuffers holds the buffers pages are rendered into, so that a page
// does not grow a new buffer from nothing, a dozen allocations and copies
// of up to its whole size, every time. It holds nothing between uses but
// empty memory: no request sees another's page.
var pageBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// maxPooledPage is the largest buffer kept for reuse.
const maxPooledPage = 1 << 20

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
