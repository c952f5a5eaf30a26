package web

import (
	"crypto/subtle"
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// CSRF refuses state-changing requests authenticated by the session cookie unless they carry the session's CSRF
// token in X-CSRF-Token. Token-authenticated and anonymous requests need none (they carry no ambient credential).
func CSRF(c *fiber.Ctx) error {
	switch c.Method() {
	case fiber.MethodGet, fiber.MethodHead, fiber.MethodOptions:
		return c.Next()
	}
	id := IdentityOf(c)
	if id == nil || id.Session == nil {
		return c.Next()
	}
	got := c.Get(CSRFHeader)
	if got == "" || subtle.ConstantTimeCompare([]byte(got), []byte(id.Session.CSRFToken)) != 1 {
		return &Error{Status: 403, Code: "csrf_failed", Message: "missing or wrong " + CSRFHeader + " header"}
	}
	return c.Next()
}

// CheckOrigin refuses state-changing requests that a browser sent from another origin: an app on another port or a
// sibling subdomain is the same site, so SameSite=Lax cookies travel with its requests. Such a request needs a
// matching Origin (or, without one, a Sec-Fetch-Site that is not cross-origin) besides the CSRF token of session
// requests. It also covers requests without a session (a login posted by an app's script would otherwise sign the
// visitor in as someone else). Clients that are not browsers send neither header and pass.
func CheckOrigin(base *url.URL) fiber.Handler {
	return func(c *fiber.Ctx) error {
		switch c.Method() {
		case fiber.MethodGet, fiber.MethodHead, fiber.MethodOptions:
			return c.Next()
		}
		if c.Get(fiber.HeaderOrigin) == "" {
			switch c.Get("Sec-Fetch-Site") {
			case "", "same-origin", "none":
				return c.Next()
			}
		} else if SameOrigin(c, base) {
			return c.Next()
		}
		return &Error{Status: 403, Code: "cross_origin", Message: "requests from other origins may not change anything in kiosc"}
	}
}

// SameOrigin accepts requests without an Origin (non-browser clients), from kiosc's base URL, or whose Origin host
// equals the Host they were sent to. It defends websockets against cross-site hijacking (browsers send cookies with
// cross-site websocket handshakes).
func SameOrigin(c *fiber.Ctx, base *url.URL) bool {
	origin := c.Get(fiber.HeaderOrigin)
	if origin == "" {
		return true
	}
	o, err := url.Parse(origin)
	if err != nil {
		return false
	}
	if base != nil && strings.EqualFold(o.Scheme+"://"+o.Host, base.Scheme+"://"+base.Host) {
		return true
	}
	return strings.EqualFold(o.Host, c.Hostname())
}
