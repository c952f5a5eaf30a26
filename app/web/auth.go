package web

import (
	"errors"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/bihealth/kiosc/app/auth"
)

// identityKey holds the authenticated caller in the request's locals.
const identityKey = "kiosc.identity"

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
