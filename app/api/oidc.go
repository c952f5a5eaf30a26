package api

import (
	"errors"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/bihealth/kiosc/app/auth"
	"github.com/bihealth/kiosc/app/web"
)

// oidcBrowserCookie binds a login in progress to the browser that started it.
const oidcBrowserCookie = "kiosc_oidc"

// OIDCLogin serves single sign-on: GET /auth/oidc/login?next= sends the browser to the provider and
// GET /auth/oidc/callback completes the login. Every failure lands on the login page with a clear message.
type OIDCLogin struct {
	OIDC     *auth.OIDC
	Auth     *auth.Service
	Sessions *Sessions
	Log      *slog.Logger
}

// Register adds the routes on the root router.
func (h *OIDCLogin) Register(r fiber.Router) {
	r.Get("/auth/oidc/login", h.login)
	r.Get("/auth/oidc/callback", h.callback)
}

// safeNext keeps only same-origin relative paths, so the login cannot be used as an open redirect.
func safeNext(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, `/\`) ||
		strings.ContainsAny(next, "\r\n\t") {
		return "/"
	}
	if u, err := url.Parse(next); err != nil || u.Scheme != "" || u.Host != "" {
		return "/"
	}
	return next
}

func (h *OIDCLogin) fail(c *fiber.Ctx, err error) error {
	msg := "single sign-on failed; the server log has the details"
	var le *auth.LoginError
	if errors.As(err, &le) {
		msg = le.Message
		h.Log.Warn("single sign-on failed", "reason", le.Message, "cause", le.Cause, "addr", web.ClientIP(c))
	} else {
		h.Log.Error("single sign-on failed", "err", err, "addr", web.ClientIP(c))
	}
	if msg != "" {
		msg = strings.ToUpper(msg[:1]) + msg[1:]
	}
	return c.Redirect("/login?error="+url.QueryEscape(msg), fiber.StatusFound)
}

func (h *OIDCLogin) browserCookie(c *fiber.Ctx, value string, maxAge int) {
	ck := &fiber.Cookie{Name: oidcBrowserCookie, Value: value, Path: "/auth/oidc", HTTPOnly: true,
		SameSite: fiber.CookieSameSiteLaxMode, Secure: h.Sessions.SecureCookies, MaxAge: maxAge}
	if maxAge < 0 {
		ck.Expires = time.Unix(0, 0)
	}
	c.Cookie(ck)
}

func (h *OIDCLogin) login(c *fiber.Ctx) error {
	authURL, browserKey, err := h.OIDC.Begin(c.UserContext(), safeNext(c.Query("next")))
	if err != nil {
		return h.fail(c, err)
	}
	h.browserCookie(c, browserKey, int(auth.OIDCLoginLifetime.Seconds()))
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Redirect(authURL, fiber.StatusFound)
}

func (h *OIDCLogin) callback(c *fiber.Ctx) error {
	cb := auth.Callback{State: c.Query("state"), Code: c.Query("code"), Error: c.Query("error"), ErrorDescription: c.Query("error_description")}
	browserKey := c.Cookies(oidcBrowserCookie)
	h.browserCookie(c, "", -1)
	c.Set(fiber.HeaderCacheControl, "no-store")
	id, cookie, next, err := h.OIDC.Finish(c.UserContext(), cb, browserKey, web.ClientIP(c), c.Get(fiber.HeaderUserAgent))
	if err != nil {
		return h.fail(c, err)
	}
	// A previous session on this browser ends with the new login (no session fixation).
	if old := c.Cookies(web.SessionCookieName(h.Sessions.SecureCookies)); old != "" {
		if prev, err := h.Auth.SessionIdentity(c.UserContext(), old); err == nil {
			_, _ = h.Auth.Logout(c.UserContext(), prev)
		}
	}
	h.Sessions.SetSessionCookie(c, cookie, id.Session.ExpiresAt)
	return c.Redirect(safeNext(next), fiber.StatusFound)
}
