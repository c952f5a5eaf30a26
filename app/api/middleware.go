package api

import (
	"bytes"
	"crypto/subtle"
	"errors"
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/bihealth/kiosc/app/auth"
)

// Header and cookie names shared with the SPA and the proxy.
const (
	// SessionCookie is the session cookie's name under plain http.
	SessionCookie = "kiosc_session"
	// SecureSessionCookie is its name under https: a __Host- cookie cannot be planted with a Domain by a sibling
	// subdomain, nor set by a plain-http page.
	SecureSessionCookie = "__Host-kiosc_session"
	CSRFHeader          = "X-CSRF-Token"
	identityKey         = "kiosc.identity"
)

// SessionCookieName is the session cookie's name (SecureSessionCookie under https).
func SessionCookieName(secure bool) string {
	if secure {
		return SecureSessionCookie
	}
	return SessionCookie
}

// ErrDuplicateCookie refuses a request that carries one of kiosc's credential cookies twice: a page of the same host
// (an app on another port, or a sibling subdomain) may have planted the second to switch the caller's identity, and
// kiosc cannot tell which one is real.
var ErrDuplicateCookie = &Error{Status: fiber.StatusBadRequest, Code: "duplicate_cookie",
	Message: "the browser sent a kiosc cookie twice (another page on this host may have set one); clear this site's cookies and sign in again"}

// CountCookie counts the cookies named name in a Cookie header.
func CountCookie(header []byte, name string) int {
	n := 0
	for len(header) > 0 {
		var pair []byte
		if i := bytes.IndexByte(header, ';'); i >= 0 {
			pair, header = header[:i], header[i+1:]
		} else {
			pair, header = header, nil
		}
		pair = bytes.TrimLeft(pair, " \t")
		if len(pair) > len(name) && pair[len(name)] == '=' && string(pair[:len(name)]) == name {
			n++
		}
	}
	return n
}

// Authenticate resolves the caller from `Authorization: Token|Bearer <key>` or the session cookie (named cookie)
// and stores the identity for later handlers. It never rejects by itself, except for an invalid token (401): a
// script must learn at once that its token is wrong instead of acting anonymously; and a session cookie sent twice
// (400), which may be an attempt to switch identities.
func Authenticate(svc *auth.Service, cookie string) fiber.Handler {
	name := cookie
	return func(c *fiber.Ctx) error {
		if key, ok := BearerToken(c.Get(fiber.HeaderAuthorization)); ok {
			id, err := svc.TokenIdentity(c.UserContext(), key)
			switch {
			case err == nil:
				c.Locals(identityKey, id)
			case errors.Is(err, auth.ErrInvalidCredentials), errors.Is(err, auth.ErrTokenExpired), errors.Is(err, auth.ErrInactive):
				return &Error{Status: 401, Code: "invalid_token", Message: err.Error()}
			default:
				return err
			}
			return c.Next()
		}
		if cookie := c.Cookies(name); cookie != "" {
			if CountCookie(c.Request().Header.Peek(fiber.HeaderCookie), name) > 1 {
				return ErrDuplicateCookie
			}
			id, err := svc.SessionIdentity(c.UserContext(), cookie)
			switch {
			case err == nil:
				c.Locals(identityKey, id)
			case errors.Is(err, auth.ErrNoSession), errors.Is(err, auth.ErrInactive):
			default:
				return err
			}
		}
		return c.Next()
	}
}

// BearerToken extracts the key from "Token <key>" or "Bearer <key>" (case-insensitive scheme).
func BearerToken(h string) (string, bool) {
	scheme, key, ok := strings.Cut(strings.TrimSpace(h), " ")
	if !ok {
		return "", false
	}
	if !strings.EqualFold(scheme, "token") && !strings.EqualFold(scheme, "bearer") {
		return "", false
	}
	key = strings.TrimSpace(key)
	return key, key != ""
}

// IdentityOf returns the authenticated caller, or nil.
func IdentityOf(c *fiber.Ctx) *auth.Identity {
	id, _ := c.Locals(identityKey).(*auth.Identity)
	return id
}

// RequireUser answers 401 to anonymous callers.
func RequireUser(c *fiber.Ctx) error {
	if IdentityOf(c) == nil {
		return Unauthorized()
	}
	return c.Next()
}

// RequireSuperuser answers 401 to anonymous callers and 403 to others without superuser rights.
func RequireSuperuser(c *fiber.Ctx) error {
	id := IdentityOf(c)
	if id == nil {
		return Unauthorized()
	}
	if !id.User.IsSuperuser {
		return Forbidden("superuser rights required")
	}
	return c.Next()
}

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
