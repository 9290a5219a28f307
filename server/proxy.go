package server

import (
	"net"
	"net/netip"

	"patpolicy/web/paths"

	"github.com/labstack/echo/v4"
)

// hstsMaxAge is how long (a year, in seconds) a browser that has seen the
// site over https keeps to https for it.
const hstsMaxAge = "31536000"

// behindProxy sets up what depends on where the server sits: which
// forwarding headers are believed, the public URL absolute links are built
// from, and, for an https site, Strict-Transport-Security.
func behindProxy(e *echo.Echo, cfg Config) {
	e.IPExtractor, e.SchemeExtractor = forwardedFrom(cfg.TrustedProxies)
	if cfg.BaseURL != "" {
		e.Use(publicURL(cfg.BaseURL))
	}
	if cfg.SecureCookies {
		e.Use(strictTransport)
	}
}

// forwardedFrom decides the client's address and scheme. Without trusted
// proxies they are the connection's own, whatever X-Forwarded-For or
// X-Forwarded-Proto say: anyone can send those. With them, the headers are
// believed only on a connection from one of the proxies, and the client is
// the right-most address of X-Forwarded-For that is not a proxy itself
// (each proxy appends the address it was connected from, so the addresses
// to its left are the client's to write). Echo would otherwise also trust
// loopback and private addresses; nothing is trusted but the prefixes.
func forwardedFrom(proxies []netip.Prefix) (echo.IPExtractor, echo.SchemeExtractor) {
	if len(proxies) == 0 {
		return echo.ExtractIPDirect(), echo.ExtractSchemeDirect()
	}
	opts := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
	for _, p := range proxies {
		p = p.Masked()
		opts = append(opts, echo.TrustIPRange(&net.IPNet{
			IP:   p.Addr().AsSlice(),
			Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen()),
		}))
	}
	return echo.ExtractIPFromXFFHeader(opts...), echo.ExtractSchemeFromHeaders(opts...)
}

// publicURL gives handlers the site's public URL to build absolute links
// from, so that no request's Host header can point them elsewhere.
func publicURL(base string) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			paths.SetBase(c, base)
			return next(c)
		}
	}
}

// strictTransport tells browsers to use only https for the site.
func strictTransport(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		c.Response().Header().Set(echo.HeaderStrictTransportSecurity, "max-age="+hstsMaxAge)
		return next(c)
	}
}
