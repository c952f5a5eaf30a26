package proxy

import (
	"bytes"
	"context"
	"errors"
	"html"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/bihealth/kiosc/app/api"
	"github.com/bihealth/kiosc/app/auth"
	"github.com/bihealth/kiosc/app/secrets"
	"github.com/bihealth/kiosc/app/store"
)

// Subdomain mode (KIOSC_PROXY_DOMAIN): <scheme>://<container-uuid>.<domain>/ serves an app at the root of its own
// origin. kiosc's session cookie is host-only and never reaches app origins; access is handed over by a one-time
// token that kiosc's origin issues after the usual checks and that the app origin exchanges, at AuthPath, for the
// host-only AppCookie. The cookie is an HMAC-signed reference to the kiosc session, so logging out of kiosc or
// revoking the session ends access to every app within the proxy's cache TTL.

// AppCookie is the host-only cookie on an app's origin that carries the signed reference to the kiosc session
// (under plain http, where the __Host- prefix is not available).
const AppCookie = "kiosc_app"

// SecureAppCookie is AppCookie's name under https: browsers refuse a __Host- cookie that names a Domain, so a
// sibling app under the same domain cannot plant one for another app's origin.
const SecureAppCookie = "__Host-kiosc_app"

// AuthPath is the reserved path on app origins where a one-time token is exchanged for AppCookie.
const AuthPath = "/.kiosc/auth"

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

// subdomains is the state of subdomain mode.
type subdomains struct {
	// domain is the configured domain in lower case, with a port when one was configured.
	domain  []byte
	hasPort bool
	// kioscHost is kiosc's own host (with port when domain has one): never an app, even under the domain.
	kioscHost []byte
	// base is kiosc's base URL without a trailing slash; scheme is the scheme of app origins.
	base   string
	scheme string
	// cookie is the app cookie's name (SecureAppCookie under https).
	cookie string
	keys   *secrets.Keys
	users  SessionStore
	now    func() time.Time

	mu     sync.Mutex
	tokens map[string]*appToken
	// apps maps an app cookie value to what it resolved to.
	apps *ttlCache[appIdentity]
}

// appToken is a one-time token waiting for its exchange on the app's origin.
type appToken struct {
	container string
	session   string // the kiosc session's IDHash
	user      int64
	expires   time.Time
	used      bool
}

// appIdentity is a verified app cookie.
type appIdentity struct {
	id        *auth.Identity
	container string
	expires   time.Time
}

func newSubdomains(opt Options, scheme string) *subdomains {
	if opt.Sessions == nil {
		panic("proxy: Options.Sessions is required in subdomain mode")
	}
	s := &subdomains{
		domain: []byte(strings.ToLower(strings.TrimPrefix(opt.Domain, "."))),
		scheme: scheme, keys: opt.Auth.Keys(), users: opt.Sessions, now: time.Now,
		tokens: map[string]*appToken{}, apps: newTTLCache[appIdentity](opt.CacheTTL),
	}
	s.cookie = AppCookie
	if scheme == "https" {
		s.cookie = SecureAppCookie
	}
	s.hasPort = bytes.IndexByte(s.domain, ':') >= 0
	if opt.BaseURL != nil {
		s.base = strings.TrimSuffix(opt.BaseURL.String(), "/")
		host := opt.BaseURL.Hostname()
		if s.hasPort {
			host = opt.BaseURL.Host
		}
		s.kioscHost = []byte(strings.ToLower(host))
	}
	return s
}

// Subdomains is the host dispatch of subdomain mode: mounted before every other route, it serves requests whose Host
// is under the proxy domain, so that an app's origin never serves kiosc's SPA or API.
type Subdomains struct{ p *Proxy }

// Subdomains returns the host dispatch (it mounts nothing unless Options.Domain is set).
func (p *Proxy) Subdomains() Subdomains { return Subdomains{p: p} }

// Register mounts the dispatch middleware.
func (s Subdomains) Register(r fiber.Router) {
	if s.p.sub == nil {
		return
	}
	r.Use(s.p.dispatch)
}

func (p *Proxy) dispatch(c *fiber.Ctx) error {
	uuid, under := p.sub.match(c.Request().Header.Host())
	if !under {
		return c.Next()
	}
	if uuid == "" {
		return api.NotFound("app")
	}
	return p.serveApp(c, uuid)
}

// match reports whether host is under the proxy domain and, if it is <uuid>.<domain>, the (lower-case) UUID. Hosts
// compare case-insensitively; the port is ignored unless the configured domain has one.
func (s *subdomains) match(host []byte) (uuid string, under bool) {
	if !s.hasPort {
		host = stripPort(host)
	}
	host = bytes.TrimSuffix(host, []byte("."))
	n := len(s.domain)
	if len(host) <= n+1 || host[len(host)-n-1] != '.' || !bytes.EqualFold(host[len(host)-n:], s.domain) {
		return "", false
	}
	if bytes.EqualFold(host, s.kioscHost) {
		return "", false
	}
	label := host[:len(host)-n-1]
	if !isUUID(label) {
		return "", true
	}
	return strings.ToLower(string(label)), true
}

// stripPort removes ":port" from a host (IPv6 literals keep their brackets).
func stripPort(host []byte) []byte {
	i := bytes.LastIndexByte(host, ':')
	if i < 0 || bytes.IndexByte(host[i:], ']') >= 0 {
		return host
	}
	return host[:i]
}

// isUUID reports the textual form 8-4-4-4-12 of hex digits.
func isUUID(b []byte) bool {
	if len(b) != 36 {
		return false
	}
	for i, ch := range b {
		switch i {
		case 8, 13, 18, 23:
			if ch != '-' {
				return false
			}
		default:
			if (ch < '0' || ch > '9') && (ch < 'a' || ch > 'f') && (ch < 'A' || ch > 'F') {
				return false
			}
		}
	}
	return true
}

// origin is an app's origin, e.g. https://<uuid>.apps.example.org.
func (s *subdomains) origin(uuid string) string {
	return s.scheme + "://" + uuid + "." + string(s.domain)
}

// kioscEntry is the path-mode URL on kiosc's origin that leads to path on the app's origin (after login and the
// token exchange).
func (s *subdomains) kioscEntry(uuid, path string) string {
	return s.base + PathPrefix + uuid + path
}

// lobbyLocation is where a navigation to an app that is not running goes: the lobby on kiosc's origin, which returns
// to the path-mode URL (for requests on an app origin, that URL hops back to the app's origin).
func (p *Proxy) lobbyLocation(req request) string {
	if req.app {
		return p.sub.base + LobbyURL(req.uuid, PathPrefix+req.uuid+req.original)
	}
	return LobbyURL(req.uuid, req.original)
}

// serveApp serves one request on an app's origin.
func (p *Proxy) serveApp(c *fiber.Ctx, uuid string) error {
	raw := string(c.Request().Header.RequestURI())
	if !strings.HasPrefix(raw, "/") {
		return api.BadRequest("bad_request", "the request target must be a path")
	}
	req := request{uuid: uuid, app: true, original: raw, rest: raw}
	if i := strings.IndexByte(raw, '?'); i >= 0 {
		req.rest, req.query = raw[:i], raw[i+1:]
	}
	if req.rest == AuthPath {
		return p.exchange(c, req)
	}
	nav := IsNavigation(c)
	id, viaToken, err := p.identifyApp(c, uuid)
	if err != nil {
		return err
	}
	if id == nil {
		if nav {
			// kiosc's origin sends the browser to login if needed and back here through the token exchange.
			return c.Redirect(p.sub.kioscEntry(uuid, raw), fiber.StatusFound)
		}
		return api.Unauthorized()
	}
	ctx := c.UserContext()
	t, err := p.target(ctx, uuid)
	if errors.Is(err, store.ErrNotFound) {
		return api.NotFound("container")
	}
	if err != nil {
		return err
	}
	if err := p.authorize(ctx, id.User, t.ProjectUUID); err != nil {
		return err
	}
	if t.State != StateRunning || t.Addr == "" {
		return p.notRunning(c, req, t, nav)
	}
	// The app is at the root of its origin: it sees the path as sent, without X-Forwarded-Prefix.
	t.StripPrefix = false
	p.opt.Containers.Touch(t.ContainerUUID)
	if isWebsocketUpgrade(c) {
		// Browsers send cookies with cross-site websocket handshakes, and always an Origin: a cookie only opens a
		// tunnel from the app's own origin. Scripts with an API token may omit Origin.
		origin := c.Request().Header.Peek(fiber.HeaderOrigin)
		if len(origin) == 0 && !viaToken || len(origin) > 0 && !p.sub.sameOrigin(origin, c.Request().Header.Host()) {
			return api.Forbidden("cross-origin websocket refused")
		}
		return p.tunnel(c, req, t, id)
	}
	return p.forward(c, req, t, id, nav)
}

// sameOrigin reports whether origin is <scheme>://<host> of this request.
func (s *subdomains) sameOrigin(origin, host []byte) bool {
	rest, ok := bytes.CutPrefix(origin, []byte(s.scheme+"://"))
	return ok && bytes.EqualFold(rest, host)
}

// identifyApp resolves the caller on an app's origin from a kiosc API token or the app cookie; viaToken tells which.
func (p *Proxy) identifyApp(c *fiber.Ctx, uuid string) (id *auth.Identity, viaToken bool, err error) {
	h := &c.Request().Header
	if _, ok := kioscTokenBytes(h.Peek(fiber.HeaderAuthorization)); ok {
		id, err := p.identify(c)
		return id, true, err
	}
	raw := h.Cookie(p.sub.cookie)
	if len(raw) == 0 {
		return nil, false, nil
	}
	now := p.sub.now()
	if a, ok := p.sub.apps.getBytes(raw); ok {
		if a.container != uuid || !now.Before(a.expires) {
			return nil, false, nil
		}
		return a.id, false, nil
	}
	value := string(raw)
	gen := p.sub.apps.generation()
	a, err := p.sub.resolveCookie(c.UserContext(), value, now)
	if err != nil || a.id == nil {
		return nil, false, err
	}
	p.sub.apps.put(value, a, gen)
	if a.container != uuid {
		return nil, false, nil
	}
	return a.id, false, nil
}

// appCookieValue signs the reference to a kiosc session for one container: "v1.<user>.<session>.<uuid>.<expires>.<sig>".
func (s *subdomains) appCookieValue(user int64, session, uuid string, expires time.Time) string {
	payload := "v1." + strconv.FormatInt(user, 10) + "." + session + "." + uuid + "." + strconv.FormatInt(expires.Unix(), 10)
	return payload + "." + s.keys.Sign(appCookiePurpose, []byte(payload))
}

// parseAppCookie verifies an app cookie's signature and expiry and returns what it carries.
func (s *subdomains) parseAppCookie(value string, now time.Time) (user int64, session, uuid string, expires time.Time, ok bool) {
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
func (s *subdomains) resolveCookie(ctx context.Context, value string, now time.Time) (appIdentity, error) {
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
	return appIdentity{id: &auth.Identity{User: u, Session: se}, container: uuid, expires: expires}, nil
}

// hop sends a navigation on kiosc's origin to the app's origin with a fresh one-time token.
func (p *Proxy) hop(c *fiber.Ctx, req request, id *auth.Identity) error {
	tok, err := p.sub.issue(req.uuid, id)
	if err != nil {
		return err
	}
	next := req.rest
	if next == "" {
		next = "/"
	}
	if req.query != "" {
		next += "?" + req.query
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set(fiber.HeaderReferrerPolicy, "no-referrer")
	return c.Redirect(p.sub.origin(req.uuid)+AuthPath+"?token="+tok+"&next="+url.QueryEscape(next), fiber.StatusFound)
}

// issue creates a one-time token for the container, bound to the caller's kiosc session.
func (s *subdomains) issue(uuid string, id *auth.Identity) (string, error) {
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
		return "", api.Unavailable("busy", "too many pending app sign-ins; try again shortly", 5)
	}
	s.tokens[tok] = &appToken{container: uuid, session: id.Session.IDHash, user: id.User.ID, expires: now.Add(AppTokenLifetime)}
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
)

// redeem consumes a token for the container. A used token stays known (as used) until it would have expired, so
// that a second use gets a clear answer.
func (s *subdomains) redeem(tok, uuid string) (appToken, error) {
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
	return *t, nil
}

// exchange trades a one-time token for the app cookie and sends the browser on to next (a path on the app origin).
func (p *Proxy) exchange(c *fiber.Ctx, req request) error {
	args := c.Request().URI().QueryArgs()
	next := string(args.Peek("next"))
	if !safePath(next) {
		next = "/"
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set(fiber.HeaderReferrerPolicy, "no-referrer")
	tok, err := p.sub.redeem(string(args.Peek("token")), req.uuid)
	if err == nil {
		tok, err = p.sub.checkSession(c.UserContext(), tok)
	}
	var refused tokenError
	if errors.As(err, &refused) {
		return p.exchangeFailed(c, req.uuid, next, refused)
	}
	if err != nil {
		return err
	}
	c.Cookie(&fiber.Cookie{
		Name: p.sub.cookie, Value: p.sub.appCookieValue(tok.user, tok.session, req.uuid, tok.expires),
		Path: "/", Expires: tok.expires, HTTPOnly: true, Secure: p.sub.scheme == "https", SameSite: fiber.CookieSameSiteLaxMode,
	})
	return c.Redirect(next, fiber.StatusFound)
}

// checkSession makes sure the token's kiosc session still exists; the returned token's expires becomes the session's
// expiry (the app cookie's lifetime).
func (s *subdomains) checkSession(ctx context.Context, t appToken) (appToken, error) {
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
	again := p.sub.kioscEntry(uuid, next)
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
