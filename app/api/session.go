package api

import (
	"cmp"
	"errors"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/bihealth/kiosc/app/auth"
	"github.com/bihealth/kiosc/app/store"
	"github.com/bihealth/kiosc/app/web"
)

// UserOut is the API representation of a user.
type UserOut struct {
	Username    string     `json:"username"`
	Name        string     `json:"name"`
	Email       string     `json:"email"`
	IsSuperuser bool       `json:"is_superuser"`
	IsActive    bool       `json:"is_active"`
	Source      string     `json:"source"`
	HasPassword bool       `json:"has_password"`
	OIDCBound   bool       `json:"oidc_bound"`
	CreatedAt   time.Time  `json:"created_at"`
	LastLoginAt *time.Time `json:"last_login_at"`
}

// NewUserOut renders a user for the API (never the password hash or OIDC subject).
func NewUserOut(u *store.User) UserOut {
	return UserOut{Username: u.Username, Name: u.Name, Email: u.Email, IsSuperuser: u.IsSuperuser, IsActive: u.IsActive,
		Source: u.Source, HasPassword: u.PasswordHash != "", OIDCBound: u.OIDCSubject != "", CreatedAt: u.CreatedAt, LastLoginAt: u.LastLoginAt}
}

// OIDCInfo is what the session endpoints need to know about single sign-on.
type OIDCInfo struct {
	Enabled  bool
	Name     string
	LoginURL string
	// LogoutURL returns the provider's end-session URL for an ID token, or "" when the provider has none.
	LogoutURL func(idTokenHint string) string
}

// Sessions serves login, logout, the current user and the public client configuration.
type Sessions struct {
	Auth          *auth.Service
	SecureCookies bool
	Version       string
	OIDC          OIDCInfo
	ProxyDomain   string
	// ProxyMode is where apps are served (app-origin, subdomain, path); AppOrigin the app listener's origin in
	// app-origin mode.
	ProxyMode string
	AppOrigin string
	// Runtime is where apps run (docker or swarm), so forms show Swarm's settings only where they mean something.
	Runtime string
}

// Register adds the routes under /api/v1.
func (h *Sessions) Register(r fiber.Router) {
	r.Get("/config", h.config)
	r.Post("/auth/login", h.login)
	r.Post("/auth/logout", h.logout)
	r.Get("/me", web.RequireUser, h.me)
}

func (h *Sessions) config(c *fiber.Ctx) error {
	return c.JSON(fiber.Map{
		"version":      h.Version,
		"local_login":  h.Auth.LocalLoginEnabled(),
		"oidc":         fiber.Map{"enabled": h.OIDC.Enabled, "login_url": h.OIDC.LoginURL, "name": h.OIDC.Name},
		"proxy_domain": h.ProxyDomain,
		"proxy_mode":   h.ProxyMode,
		"app_origin":   h.AppOrigin,
		"runtime":      cmp.Or(h.Runtime, "docker"),
	})
}

type loginIn struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

func (h *Sessions) login(c *fiber.Ctx) error {
	var in loginIn
	if err := web.Decode(c, &in); err != nil {
		return err
	}
	fields := map[string]string{}
	if in.Username == "" {
		fields["username"] = "required"
	}
	if in.Password == "" {
		fields["password"] = "required"
	}
	if len(fields) > 0 {
		return web.Validation(fields)
	}
	id, cookie, err := h.Auth.LoginPassword(c.UserContext(), in.Username, in.Password, web.ClientIP(c), c.Get(fiber.HeaderUserAgent))
	var te *auth.ThrottledError
	switch {
	case errors.As(err, &te):
		return &web.Error{Status: 429, Code: "too_many_attempts", Message: te.Error(), RetryAfter: int(te.RetryAfter.Seconds()) + 1}
	case errors.Is(err, auth.ErrInvalidCredentials):
		return &web.Error{Status: 401, Code: "invalid_credentials", Message: err.Error()}
	case errors.Is(err, auth.ErrInactive):
		return &web.Error{Status: 403, Code: "account_disabled", Message: err.Error()}
	case errors.Is(err, auth.ErrLocalLoginDisabled):
		return &web.Error{Status: 403, Code: "local_login_disabled", Message: err.Error()}
	case err != nil:
		return err
	}
	// A previous session on this browser ends with the new login (no session fixation).
	if old := c.Cookies(web.SessionCookieName(h.SecureCookies)); old != "" {
		if prev, err := h.Auth.SessionIdentity(c.UserContext(), old); err == nil {
			_, _ = h.Auth.Logout(c.UserContext(), prev)
		}
	}
	h.SetSessionCookie(c, cookie, id.Session.ExpiresAt)
	return c.JSON(fiber.Map{"user": NewUserOut(id.User), "csrf_token": id.Session.CSRFToken})
}

// SetSessionCookie writes the session cookie (HttpOnly, SameSite=Lax, Secure under https).
func (h *Sessions) SetSessionCookie(c *fiber.Ctx, value string, expires time.Time) {
	c.Cookie(&fiber.Cookie{Name: web.SessionCookieName(h.SecureCookies), Value: value, Path: "/", Expires: expires, HTTPOnly: true,
		SameSite: fiber.CookieSameSiteLaxMode, Secure: h.SecureCookies})
}

func (h *Sessions) logout(c *fiber.Ctx) error {
	id := web.IdentityOf(c)
	var logoutURL *string
	if id != nil && id.Session != nil {
		idToken, err := h.Auth.Logout(c.UserContext(), id)
		if err != nil {
			return err
		}
		if idToken != "" && h.OIDC.LogoutURL != nil {
			if u := h.OIDC.LogoutURL(idToken); u != "" {
				logoutURL = &u
			}
		}
	}
	c.Cookie(&fiber.Cookie{Name: web.SessionCookieName(h.SecureCookies), Value: "", Path: "/", MaxAge: -1, Expires: time.Unix(0, 0), HTTPOnly: true,
		SameSite: fiber.CookieSameSiteLaxMode, Secure: h.SecureCookies})
	return c.JSON(fiber.Map{"logout_url": logoutURL})
}

func (h *Sessions) me(c *fiber.Ctx) error {
	id := web.IdentityOf(c)
	out := fiber.Map{"user": NewUserOut(id.User), "csrf_token": nil}
	if id.Session != nil {
		out["csrf_token"] = id.Session.CSRFToken
	}
	return c.JSON(out)
}
