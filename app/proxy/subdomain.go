package proxy

import (
	"bytes"
	"context"
	"crypto/subtle"
	"errors"
	"html"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"

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
//
// A sign-in starts on the app's origin (StartPath), which puts a random state into a host-only cookie and passes it
// to kiosc's origin (SignInPath); the token issued there is bound to that state, and AuthPath redeems it only
// together with the state cookie. A sign-in link obtained by someone else (login CSRF, session fixation: an
// attacker's token sent to a victim) is therefore useless in any other browser.

// AppCookie is the host-only cookie on an app's origin that carries the signed reference to the kiosc session
// (under plain http, where the __Host- prefix is not available).
const AppCookie = "kiosc_app"

// SecureAppCookie is AppCookie's name under https: browsers refuse a __Host- cookie that names a Domain, so a
// sibling app under the same domain cannot plant one for another app's origin.
const SecureAppCookie = "__Host-kiosc_app"

// AuthPath is the reserved path on app origins where a one-time token is exchanged for AppCookie.
const AuthPath = "/.kiosc/auth"

// StartPath is the reserved path on app origins where a sign-in starts: it sets the state cookie and sends the
// browser to SignInPath on kiosc's origin.
const StartPath = "/.kiosc/start"

// StateCookie is the host-only cookie on an app's origin that holds the state of a sign-in in progress (under plain
// http; SecureStateCookie under https).
const StateCookie = "kiosc_app_state"

// SecureStateCookie is StateCookie's name under https, where the __Host- prefix keeps sibling apps from planting it.
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
	// cookie is the app cookie's name (SecureAppCookie under https), stateCookie the state cookie's.
	cookie      string
	stateCookie string
	keys        *secrets.Keys
	users       SessionStore
	now         func() time.Time

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

func newSubdomains(opt Options, scheme string) *subdomains {
	if opt.Sessions == nil {
		panic("proxy: Options.Sessions is required in subdomain mode")
	}
	s := &subdomains{
		domain: []byte(strings.ToLower(strings.TrimPrefix(opt.Domain, "."))),
		scheme: scheme, keys: opt.Auth.Keys(), users: opt.Sessions, now: time.Now,
		tokens: map[string]*appToken{}, apps: newTTLCache[appIdentity](opt.CacheTTL),
	}
	s.cookie, s.stateCookie = AppCookie, StateCookie
	if scheme == "https" {
		s.cookie, s.stateCookie = SecureAppCookie, SecureStateCookie
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

// startURL is where a sign-in to path on the app's origin begins (on the app's origin).
func (s *subdomains) startURL(uuid, path string) string {
	return s.origin(uuid) + StartPath + "?next=" + url.QueryEscape(path)
}

// signInURL is the route on kiosc's origin that issues a token bound to state.
func (s *subdomains) signInURL(uuid, state, path string) string {
	return s.base + "/apps/" + uuid + "/sign-in?state=" + url.QueryEscape(state) + "&next=" + url.QueryEscape(path)
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
	switch req.rest {
	case AuthPath:
		return p.exchange(c, req)
	case StartPath:
		return p.start(c, req)
	}
	nav := IsNavigation(c)
	id, viaToken, err := p.identifyApp(c, uuid)
	if err != nil {
		return err
	}
	if id == nil {
		if nav {
			// The sign-in goes through kiosc's origin (and its login if needed) and back here with a token.
			return c.Redirect(StartPath+"?next="+url.QueryEscape(raw), fiber.StatusFound)
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

// hop sends a navigation on kiosc's origin to the app's origin, where the sign-in starts.
func (p *Proxy) hop(c *fiber.Ctx, req request) error {
	next := req.rest
	if next == "" {
		next = "/"
	}
	if req.query != "" {
		next += "?" + req.query
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Redirect(p.sub.startURL(req.uuid, next), fiber.StatusFound)
}

// start begins a sign-in on an app's origin: a fresh state goes into the host-only state cookie and, as a query
// parameter, to kiosc's origin, which binds the one-time token to it.
func (p *Proxy) start(c *fiber.Ctx, req request) error {
	next := string(c.Request().URI().QueryArgs().Peek("next"))
	if !safePath(next) {
		next = "/"
	}
	state := secrets.RandomToken(32)
	c.Cookie(&fiber.Cookie{
		Name: p.sub.stateCookie, Value: state, Path: "/", MaxAge: int(StateLifetime / time.Second),
		HTTPOnly: true, Secure: p.sub.scheme == "https", SameSite: fiber.CookieSameSiteLaxMode,
	})
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set(fiber.HeaderReferrerPolicy, "no-referrer")
	return c.Redirect(p.sub.signInURL(req.uuid, state, next), fiber.StatusFound)
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
// non-members, 403 for viewers), it issues a one-time token bound to the session and the state and sends the browser
// to AuthPath on the app's origin. Anonymous browsers log in first; apps that are not running go to the lobby.
func (p *Proxy) signIn(c *fiber.Ctx) error {
	uuid := strings.ToLower(c.Params("uuid"))
	if !isUUID([]byte(uuid)) {
		return api.NotFound("container")
	}
	args := c.Request().URI().QueryArgs()
	state := string(args.Peek("state"))
	if !validState(state) {
		return api.FieldError("state", "missing or malformed; open the app again")
	}
	next := string(args.Peek("next"))
	if !safePath(next) {
		next = "/"
	}
	id, err := p.identify(c)
	if err != nil {
		return err
	}
	nav := IsNavigation(c)
	if id == nil || id.Session == nil {
		// The app cookie refers to a kiosc session, so an API token does not do here.
		if nav {
			return c.Redirect("/login?next="+url.QueryEscape(string(c.Request().Header.RequestURI())), fiber.StatusFound)
		}
		return api.Unauthorized()
	}
	if !nav {
		// The token travels in the redirect; only a browser navigation may receive it.
		return api.Forbidden("signing in to an app is a browser navigation")
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
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set(fiber.HeaderReferrerPolicy, "no-referrer")
	if t.State != StateRunning || t.Addr == "" {
		// The lobby returns to the path-mode URL, which starts the sign-in again once the app runs.
		return c.Redirect(LobbyURL(uuid, PathPrefix+uuid+next), fiber.StatusFound)
	}
	tok, err := p.sub.issue(uuid, id, state)
	if err != nil {
		return err
	}
	return c.Redirect(p.sub.origin(uuid)+AuthPath+"?token="+tok+"&next="+url.QueryEscape(next), fiber.StatusFound)
}

// issue creates a one-time token for the container, bound to the caller's kiosc session and to the state of the
// browser that started the sign-in.
func (s *subdomains) issue(uuid string, id *auth.Identity, state string) (string, error) {
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
func (s *subdomains) redeem(tok, uuid, state string) (appToken, error) {
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
// (a path on the app origin).
func (p *Proxy) exchange(c *fiber.Ctx, req request) error {
	args := c.Request().URI().QueryArgs()
	next := string(args.Peek("next"))
	if !safePath(next) {
		next = "/"
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set(fiber.HeaderReferrerPolicy, "no-referrer")
	state := string(c.Request().Header.Cookie(p.sub.stateCookie))
	tok, err := p.sub.redeem(string(args.Peek("token")), req.uuid, state)
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
		Name: p.sub.stateCookie, Path: "/", Expires: fasthttp.CookieExpireDelete,
		HTTPOnly: true, Secure: p.sub.scheme == "https", SameSite: fiber.CookieSameSiteLaxMode,
	})
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
	again := p.sub.startURL(uuid, next)
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
