package web

import (
	"net/netip"

	"github.com/gofiber/fiber/v2"

	"github.com/bihealth/kiosc/app/auth"
)

const trustedProxiesKey = "kiosc.trusted_proxies"

// trustedProxies is held by pointer in the request's locals, so that storing it does not allocate per request.
type trustedProxies struct{ prefixes []netip.Prefix }

// TrustProxies makes ClientAddr honour X-Forwarded-For from the given front proxies (KIOSC_TRUSTED_PROXIES). The
// server mounts it before every route when any are configured; without it ClientAddr is the peer address.
func TrustProxies(trusted []netip.Prefix) fiber.Handler {
	t := &trustedProxies{prefixes: trusted}
	return func(c *fiber.Ctx) error {
		c.Locals(trustedProxiesKey, t)
		return c.Next()
	}
}

// ClientAddr returns the address of the client that sent the request: the peer, or behind trusted proxies the
// right-most X-Forwarded-For entry that is not a trusted proxy (see auth.ClientAddr). Use it (or ClientIP) wherever
// the client's address matters; Fiber's c.IP() would return the left-most entry, which the client chooses.
func ClientAddr(c *fiber.Ctx) netip.Addr {
	peer, _ := netip.AddrFromSlice(c.Context().RemoteIP())
	peer = peer.Unmap()
	t, _ := c.Locals(trustedProxiesKey).(*trustedProxies)
	if t == nil || len(t.prefixes) == 0 || !auth.IsTrusted(peer, t.prefixes) {
		return peer
	}
	raw := c.Request().Header.PeekAll(fiber.HeaderXForwardedFor)
	values := make([]string, len(raw))
	for i, v := range raw {
		values[i] = string(v)
	}
	return auth.ClientAddr(peer, values, t.prefixes)
}

// ClientIP is ClientAddr as text, for logs, sessions and login throttling.
func ClientIP(c *fiber.Ctx) string { return ClientAddr(c).String() }

// PeerTrusted reports whether the request came straight from one of the trusted front proxies
// (KIOSC_TRUSTED_PROXIES): what Fiber's c.IsProxyTrusted answers for kiosc's servers, without formatting the peer's
// address for every request.
func PeerTrusted(c *fiber.Ctx) bool {
	t, _ := c.Locals(trustedProxiesKey).(*trustedProxies)
	if t == nil || len(t.prefixes) == 0 {
		return false
	}
	peer, _ := netip.AddrFromSlice(c.Context().RemoteIP())
	return auth.IsTrusted(peer.Unmap(), t.prefixes)
}
