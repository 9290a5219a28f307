// Package paths builds the site's URLs: every page's path, and the
// absolute root that answers and notifications link from.
package paths

import "github.com/labstack/echo/v4"

// keyBase is where the server keeps the site's public URL.
const keyBase = "paths.base"

// SetBase records the site's public URL (scheme and host, no trailing
// slash) for the request, when one is configured.
func SetBase(c echo.Context, base string) { c.Set(keyBase, base) }

// Base is the site's absolute root: the configured public URL, or without
// one the request's scheme and Host header, which whoever sends the request
// writes.
func Base(c echo.Context) string {
	if base, _ := c.Get(keyBase).(string); base != "" {
		return base
	}
	return c.Scheme() + "://" + c.Request().Host
}
