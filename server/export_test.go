package server

import "github.com/labstack/echo/v4"

// NewFirstComeFirstServed builds the server with one queue for every heavy
// request, first come first served: the heavy lane as it was before it
// told organizations and users apart, for benchmarks to compare with.
func NewFirstComeFirstServed(cfg Config) *echo.Echo {
	return newServer(cfg, func(echo.Context) (string, string) { return "", "" })
}

// NewSeeingHeavyKeys builds the server as New does, telling seen the keys
// of each heavy request.
func NewSeeingHeavyKeys(cfg Config, seen func(group, user string)) *echo.Echo {
	return newServer(cfg, func(c echo.Context) (string, string) {
		group, user := heavyKey(c)
		seen(group, user)
		return group, user
	})
}
