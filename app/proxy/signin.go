package proxy

import (
	"context"
	"crypto/subtle"
	"errors"
	"html"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"

	"github.com/bihealth/kiosc/app/auth"
	"github.com/bihealth/kiosc/app/secrets"
	"github.com/bihealth/kiosc/app/settings"
	"github.com/bihealth/kiosc/app/store"
	"github.com/bihealth/kiosc/app/web"
)

// The sign-in to an app on an origin of its own. kiosc's session cookie is never accepted there; access is handed
// over by a one-time token that kiosc's origin issues after the usual checks and that the app origin exchanges, at
// AuthPath, for the app cookie. The cookie is an HMAC-signed reference to the kiosc session and the container, so
// logging out of kiosc or revoking the session ends access to every app within the proxy's cache TTL.
//
// A sign-in starts on the app's origin (StartPath), which puts a random state into a state cookie and passes it to
// kiosc's origin (SignInPath); the token issued there is bound to that state, and AuthPath redeems it only together
// with the state cookie. A sign-in link obtained by someone else (login CSRF, session fixation: an attacker's token
// sent to a victim) is therefore useless in any other browser.

// AppCookie is the cookie on an app's origin that carries the signed reference to the kiosc session (under plain
// http, where the __Host- and __Secure- prefixes are not available).
const AppCookie = "kiosc_app"

// SecureAppCookie is AppCookie's name under https in subdomain mode: browsers refuse a __Host- cookie that names a
// Domain, so a sibling app under the same domain cannot plant one for another app's origin.
const SecureAppCookie = "__Host-kiosc_app"

// AuthPath is the reserved path on app origins where a one-time token is exchanged for the app cookie.
const AuthPath = "/.kiosc/auth"

// StartPath is the reserved path on app origins where a sign-in starts: it sets the state cookie and sends the
// browser to SignInPath on kiosc's origin.
const StartPath = "/.kiosc/start"

// StateCookie is the cookie on an app's origin that holds the state of a sign-in in progress (under plain http).
const StateCookie = "kiosc_app_state"

// SecureStateCookie is StateCookie's name under https in subdomain mode.
const SecureStateCookie = "__Host-kiosc_app_state"

// StateLifetime is how long a sign-in may take from StartPath to AuthPath, a kiosc login included.
const StateLifetime = 120 * time.Second

// SignInPath is the route on kiosc's origin (outside the proxy's path space) that issues one-time tokens for a
// sign-in started on an app's origin: GET /apps/<uuid>/sign-in?state=<state>&next=<path>.
const SignInPath = "/apps/:uuid/sign-in"

// AppTokenLifetime is how long a one-time token may wait for its exchange.
const AppTokenLifetime = 60 * time.Second

// appTokenLimit bounds the tokens waiting for their exchange (expired ones are swept first).
const appTokenLimit = 10000

// appCookiePurpose separates the app cookie's signatures from every other use of the instance signing key.
const appCookiePurpose = "kiosc app cookie v1"

// SessionStore looks up the kiosc session and user an app cookie refers to; *store.Store implements it.
type SessionStore interface {
	GetSession(ctx context.Context, idHash string, now time.Time) (*store.Session, error)
	GetUser(ctx context.Context, id int64) (*store.User, error)
}

// appToken is a one-time token waiting for its exchange on the app's origin.
type appToken struct {
	container string
	session   string // the kiosc session's IDHash
	user      int64
	state     string // the state cookie of the browser that started the sign-in
	expires   time.Time
	used      bool
}

// appIdentity is a verified app cookie.
type appIdentity struct {
	id        *auth.Identity
	container string
	expires   time.Time
}

// identifyApp resolves the caller on an app's origin from a kiosc API token or the app cookie; viaToken tells which.
// A request with two app cookies for the path (one planted by a script of the shared origin) is refused rather than
// trusting either.
func (p *Proxy) identifyApp(c *fiber.Ctx, uuid string) (id *auth.Identity, viaToken bool, err error) {
	h := &c.Request().Header
	if _, ok := kioscToken(h); ok {
		id, err := p.identify(c)
		return id, true, err
	}
	raw, n := web.CookieValue(h, p.apps.cookie)
	if len(raw) == 0 {
		return nil, false, nil
	}
	if n > 1 {
		return nil, false, web.ErrDuplicateCookie
	}
	now := p.apps.now()
	if a, ok := p.apps.verified.getBytes(raw); ok {
		if a.container != uuid || !now.Before(a.expires) {
			return nil, false, nil
		}
		return a.id, false, nil
	}
	value := string(raw)
	gen := p.apps.verified.generation()
	a, err := p.apps.resolveCookie(c.UserContext(), value, now)
	if err != nil || a.id == nil {
		return nil, false, err
	}
	p.apps.verified.put(value, a, gen)
	if a.container != uuid {
		return nil, false, nil
	}
	return a.id, false, nil
}

// appCookieValue signs the reference to a kiosc session for one container: "v1.<user>.<session>.<uuid>.<expires>.<sig>".
func (s *appOrigins) appCookieValue(user int64, session, uuid string, expires time.Time) string {
	payload := "v1." + strconv.FormatInt(user, 10) + "." + session + "." + uuid + "." + strconv.FormatInt(expires.Unix(), 10)
	return payload + "." + s.keys.Sign(appCookiePurpose, []byte(payload))
}

// parseAppCookie verifies an app cookie's signature and expiry and returns what it carries.
func (s *appOrigins) parseAppCookie(value string, now time.Time) (user int64, session, uuid string, expires time.Time, ok bool) {
	i := strings.LastIndexByte(value, '.')
	if i < 0 || !s.keys.Verify(appCookiePurpose, []byte(value[:i]), value[i+1:]) {
		return 0, "", "", time.Time{}, false
	}
	parts := strings.Split(value[:i], ".")
	if len(parts) != 5 || parts[0] != "v1" {
		return 0, "", "", time.Time{}, false
	}
	user, err1 := strconv.ParseInt(parts[1], 10, 64)
	exp, err2 := strconv.ParseInt(parts[4], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, "", "", time.Time{}, false
	}
	expires = time.Unix(exp, 0)
	if !now.Before(expires) {
		return 0, "", "", time.Time{}, false
	}
	return user, parts[2], parts[3], expires, true
}

// resolveCookie checks an app cookie against the store: its kiosc session must still exist and belong to an active
// user. A cookie that fails any check resolves to no identity.
func (s *appOrigins) resolveCookie(ctx context.Context, value string, now time.Time) (appIdentity, error) {
	user, session, uuid, expires, ok := s.parseAppCookie(value, now)
	if !ok {
		return appIdentity{}, nil
	}
	se, err := s.users.GetSession(ctx, session, now)
	if errors.Is(err, store.ErrNotFound) {
		return appIdentity{}, nil
	}
	if err != nil {
		return appIdentity{}, err
	}
	if se.UserID != user {
		return appIdentity{}, nil
	}
	u, err := s.users.GetUser(ctx, user)
	if errors.Is(err, store.ErrNotFound) {
		return appIdentity{}, nil
	}
	if err != nil {
		return appIdentity{}, err
	}
	if !u.IsActive {
		return appIdentity{}, nil
	}
	return appIdentity{id: auth.NewIdentity(u, se, nil), container: uuid, expires: expires}, nil
}

// start begins a sign-in on an app's origin: a fresh state goes into the state cookie and, as a query parameter, to
// kiosc's origin, which binds the one-time token to it.
func (p *Proxy) start(c *fiber.Ctx, uuid string) error {
	next := p.apps.cleanNext(uuid, string(c.Request().URI().QueryArgs().Peek("next")))
	guest := string(c.Request().URI().QueryArgs().Peek("guest")) == "1"
	state := secrets.RandomToken(32)
	c.Cookie(&fiber.Cookie{
		Name: p.apps.stateCookieName(uuid), Value: state, Path: p.apps.stateCookiePath(), MaxAge: int(StateLifetime / time.Second),
		HTTPOnly: true, Secure: p.apps.scheme == "https", SameSite: fiber.CookieSameSiteLaxMode,
	})
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set(fiber.HeaderReferrerPolicy, "no-referrer")
	to := p.apps.signInURL(uuid, state, next)
	if guest {
		to += "&guest=1"
	}
	return c.Redirect(to, fiber.StatusFound)
}

// validState accepts the states StartPath creates (base64url, 32 random bytes).
func validState(s string) bool {
	if len(s) != 43 {
		return false
	}
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if (ch < 'a' || ch > 'z') && (ch < 'A' || ch > 'Z') && (ch < '0' || ch > '9') && ch != '-' && ch != '_' {
			return false
		}
	}
	return true
}

// signIn serves SignInPath on kiosc's origin: with kiosc's session and the same rights as path mode (404 for
// non-members, 403 for viewers, unless the app's access level lets any user in), it issues a one-time token bound to
// the session and the state and sends the browser to AuthPath on the app's origin. Anonymous browsers log in first,
// except on the optional sign-in of a public app (guest=1), which sends them back as guests; members go to kiosc's
// lobby when the app is not running (other visitors get the lobby of the app's origin).
func (p *Proxy) signIn(c *fiber.Ctx) error {
	uuid := strings.ToLower(c.Params("uuid"))
	if !isUUID([]byte(uuid)) {
		return web.NotFound("container")
	}
	args := c.Request().URI().QueryArgs()
	state := string(args.Peek("state"))
	if !validState(state) {
		return web.FieldError("state", "missing or malformed; open the app again")
	}
	next := p.apps.cleanNext(uuid, string(args.Peek("next")))
	id, err := p.identify(c)
	if err != nil {
		return err
	}
	nav := IsNavigation(c)
	if (id == nil || id.Session == nil) && nav && string(args.Peek("guest")) == "1" {
		c.Set(fiber.HeaderCacheControl, "no-store")
		c.Set(fiber.HeaderReferrerPolicy, "no-referrer")
		if t, err := p.target(c.UserContext(), uuid); err == nil && p.site().Effective(t.Access) == settings.AccessPublic {
			return c.Redirect(p.apps.guestReturnURL(uuid, state, next), fiber.StatusFound)
		}
	}
	if id == nil || id.Session == nil {
		// The app cookie refers to a kiosc session, so an API token does not do here.
		if nav {
			return c.Redirect("/login?next="+url.QueryEscape(string(c.Request().Header.RequestURI())), fiber.StatusFound)
		}
		return web.Unauthorized()
	}
	if !nav {
		// The token travels in the redirect; only a browser navigation may receive it.
		return web.Forbidden("signing in to an app is a browser navigation")
	}
	ctx := c.UserContext()
	t, err := p.target(ctx, uuid)
	if errors.Is(err, store.ErrNotFound) {
		return web.NotFound("container")
	}
	if err != nil {
		return err
	}
	v := visitor{id: id}
	if err := p.admit(ctx, &v, t); err != nil {
		if errors.Is(err, errSignIn) {
			return web.NotFound("container")
		}
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set(fiber.HeaderReferrerPolicy, "no-referrer")
	if (t.State != store.StateRunning || t.Addr == "") && v.member() {
		// The lobby returns to the app's entry on kiosc's origin, which comes back here once the app runs.
		return c.Redirect(LobbyURL(uuid, p.apps.entryPath(uuid, next)), fiber.StatusFound)
	}
	tok, err := p.apps.issue(uuid, id, state)
	if err != nil {
		return err
	}
	return c.Redirect(p.apps.authURL(uuid, tok, next), fiber.StatusFound)
}

// issue creates a one-time token for the container, bound to the caller's kiosc session and to the state of the
// browser that started the sign-in.
func (s *appOrigins) issue(uuid string, id *auth.Identity, state string) (string, error) {
	now := s.now()
	tok := secrets.RandomToken(32)
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.tokens) >= appTokenLimit/10 {
		for k, t := range s.tokens {
			if !now.Before(t.expires) {
				delete(s.tokens, k)
			}
		}
	}
	if len(s.tokens) >= appTokenLimit {
		return "", web.Unavailable("busy", "too many pending app sign-ins; try again shortly", 5)
	}
	s.tokens[tok] = &appToken{container: uuid, session: id.Session.IDHash, user: id.User.ID, state: state, expires: now.Add(AppTokenLifetime)}
	return tok, nil
}

// tokenError is why a token exchange was refused (as opposed to a failure of kiosc itself).
type tokenError string

func (e tokenError) Error() string { return string(e) }

// Reasons a token exchange is refused.
const (
	errTokenMissing tokenError = "the sign-in link has no token"
	errTokenUnknown tokenError = "this sign-in link is not valid"
	errTokenUsed    tokenError = "this sign-in link has already been used"
	errTokenExpired tokenError = "this sign-in link has expired (links are valid for 60 seconds)"
	errTokenForeign tokenError = "this sign-in link belongs to another app"
	errTokenSession tokenError = "your kiosc session has ended"
	errTokenBrowser tokenError = "this sign-in link was not started in this browser"
)

// redeem consumes a token for the container, presented with the browser's state cookie. A used token stays known
// (as used) until it would have expired, so that a second use gets a clear answer.
func (s *appOrigins) redeem(tok, uuid, state string) (appToken, error) {
	if tok == "" {
		return appToken{}, errTokenMissing
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.tokens[tok]
	switch {
	case !ok:
		return appToken{}, errTokenUnknown
	case !now.Before(t.expires):
		delete(s.tokens, tok)
		return appToken{}, errTokenExpired
	case t.used:
		return appToken{}, errTokenUsed
	}
	t.used = true
	if t.container != uuid {
		return appToken{}, errTokenForeign
	}
	if state == "" || subtle.ConstantTimeCompare([]byte(state), []byte(t.state)) != 1 {
		return appToken{}, errTokenBrowser
	}
	return *t, nil
}

// exchange trades a one-time token and the matching state cookie for the app cookie and sends the browser on to next
// (a path of the app on its origin).
func (p *Proxy) exchange(c *fiber.Ctx, uuid string) error {
	args := c.Request().URI().QueryArgs()
	next := p.apps.cleanNext(uuid, string(args.Peek("next")))
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set(fiber.HeaderReferrerPolicy, "no-referrer")
	if guest := args.Peek("guest"); len(guest) > 0 {
		return p.guestExchange(c, uuid, next, string(guest))
	}
	stateName := p.apps.stateCookieName(uuid)
	state := string(c.Request().Header.Cookie(stateName))
	tok, err := p.apps.redeem(string(args.Peek("token")), uuid, state)
	if err == nil {
		tok, err = p.apps.checkSession(c.UserContext(), tok)
	}
	var refused tokenError
	if errors.As(err, &refused) {
		return p.exchangeFailed(c, uuid, next, refused)
	}
	if err != nil {
		return err
	}
	secure := p.apps.scheme == "https"
	c.Cookie(&fiber.Cookie{
		Name: stateName, Path: p.apps.stateCookiePath(), Expires: fasthttp.CookieExpireDelete,
		HTTPOnly: true, Secure: secure, SameSite: fiber.CookieSameSiteLaxMode,
	})
	c.Cookie(&fiber.Cookie{
		Name: p.apps.cookie, Value: p.apps.appCookieValue(tok.user, tok.session, uuid, tok.expires),
		Path: p.apps.cookiePath(uuid), Expires: tok.expires, HTTPOnly: true, Secure: secure, SameSite: fiber.CookieSameSiteLaxMode,
	})
	return c.Redirect(next, fiber.StatusFound)
}

// checkSession makes sure the token's kiosc session still exists; the returned token's expires becomes the session's
// expiry (the app cookie's lifetime).
func (s *appOrigins) checkSession(ctx context.Context, t appToken) (appToken, error) {
	se, err := s.users.GetSession(ctx, t.session, s.now())
	if errors.Is(err, store.ErrNotFound) || err == nil && se.UserID != t.user {
		return appToken{}, errTokenSession
	}
	if err != nil {
		return appToken{}, err
	}
	t.expires = se.ExpiresAt
	return t, nil
}

// exchangeFailed answers a failed exchange: a page with a way back for browsers, JSON for everything else.
func (p *Proxy) exchangeFailed(c *fiber.Ctx, uuid, next string, why tokenError) error {
	again := p.apps.startURL(uuid, next)
	msg := string(why) + "; open the app again from kiosc"
	if !IsNavigation(c) {
		return c.Status(fiber.StatusForbidden).JSON(fiber.Map{"error": fiber.Map{
			"code": "invalid_app_token", "message": msg, "open": again,
		}})
	}
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	return c.Status(fiber.StatusForbidden).SendString(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Cannot open the app - kiosc</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;color:#1f2328}
a.button{display:inline-block;margin-top:1rem;padding:.4rem 1rem;border-radius:4px;background:#0f6e7f;color:#fff;text-decoration:none}</style>
</head><body><h1>Cannot open the app</h1><p>` + html.EscapeString(strings.ToUpper(msg[:1])+msg[1:]) + `.</p>
<a class="button" href="` + html.EscapeString(again) + `">Open the app again</a></body></html>`)
}

// safePath accepts a path on the same origin ("/..." but not "//host" or "/\host", no control characters).
func safePath(p string) bool {
	if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.HasPrefix(p, "/\\") {
		return false
	}
	for i := 0; i < len(p); i++ {
		if p[i] < 0x20 || p[i] == 0x7f {
			return false
		}
	}
	return true
}
