package proxy

import (
	"bytes"
	"errors"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/bihealth/kiosc/app/routing"
	"github.com/bihealth/kiosc/app/secrets"
	"github.com/bihealth/kiosc/app/store"
	"github.com/bihealth/kiosc/app/web"
)

// Apps on origins of their own. In app-origin mode (the default) every app is served under PathPrefix<uuid>/ on the
// app listener, an origin that is not kiosc's (another port or host); in subdomain mode (KIOSC_PROXY_DOMAIN) each
// app is served at the root of <uuid>.<domain>. Either way kiosc's session cookie is never accepted there: access is
// handed over by the sign-in in signin.go, which ends in an app cookie that only that app's requests carry.

// appOrigins is the state of app-origin and subdomain mode.
type appOrigins struct {
	apps routing.Apps
	// domain is the proxy domain in lower case (subdomain mode), with a port when one was configured.
	domain  []byte
	hasPort bool
	// kioscHost is kiosc's own host (with port when domain has one): never an app, even under the domain.
	kioscHost []byte
	// base is kiosc's base URL without a trailing slash; scheme is the scheme of app origins.
	base   string
	scheme string
	// cookie is the app cookie's name; stateCookie the state cookie's (per app in app-origin mode, see
	// stateCookieName).
	cookie      string
	stateCookie string
	keys        *secrets.Keys
	users       SessionStore
	now         func() time.Time

	mu     sync.Mutex
	tokens map[string]*appToken
	// verified maps an app cookie value to what it resolved to.
	verified *ttlCache[appIdentity]
}

func newAppOrigins(opt Options) *appOrigins {
	if opt.Sessions == nil {
		panic("proxy: Options.Sessions is required when apps have origins of their own")
	}
	a := opt.Apps
	s := &appOrigins{
		apps: a, scheme: a.Scheme(), keys: opt.Auth.Keys(), users: opt.Sessions, now: time.Now,
		tokens: map[string]*appToken{}, verified: newTTLCache[appIdentity](opt.CacheTTL),
	}
	if a.Base != nil {
		s.base = strings.TrimSuffix(a.Base.String(), "/")
	}
	secure := s.scheme == "https"
	switch a.Mode {
	case routing.Subdomain:
		s.domain = []byte(strings.ToLower(strings.TrimPrefix(a.Domain, ".")))
		s.hasPort = bytes.IndexByte(s.domain, ':') >= 0
		if a.Base != nil {
			host := a.Base.Hostname()
			if s.hasPort {
				host = a.Base.Host
			}
			s.kioscHost = []byte(strings.ToLower(host))
		}
		// __Host- cookies cannot name a Domain, so a sibling app under the same domain cannot plant them.
		s.cookie, s.stateCookie = AppCookie, StateCookie
		if secure {
			s.cookie, s.stateCookie = SecureAppCookie, SecureStateCookie
		}
	default:
		// Apps share the app origin, each under its prefix: the app cookie is scoped to the prefix, which __Host-
		// (Path=/ only) does not allow; __Secure- at least keeps plain-http pages from setting it.
		s.cookie, s.stateCookie = AppCookie, StateCookie
		if secure {
			s.cookie, s.stateCookie = "__Secure-"+AppCookie, "__Secure-"+StateCookie
		}
	}
	return s
}

// subdomain reports subdomain mode (apps at the root of their own origin).
func (s *appOrigins) subdomain() bool { return s.apps.Mode == routing.Subdomain }

// origin is an app's origin, e.g. https://<uuid>.apps.example.org or http://127.0.0.1:8081.
func (s *appOrigins) origin(uuid string) string { return s.apps.Origin(uuid) }

// appPath is the path and query on the app's origin that a request on kiosc's origin (under PathPrefix) asks for.
func (s *appOrigins) appPath(req request) string {
	if !s.subdomain() {
		return req.original
	}
	next := req.rest
	if next == "" {
		next = "/"
	}
	if req.query != "" {
		next += "?" + req.query
	}
	return next
}

// entryPath is the path on kiosc's origin that leads to path on the app's origin (the lobby returns there).
func (s *appOrigins) entryPath(uuid, path string) string {
	if s.subdomain() {
		return PathPrefix + uuid + path
	}
	return path
}

// cleanNext returns next if it is a path of the app on its origin, else the app's root.
func (s *appOrigins) cleanNext(uuid, next string) string {
	if s.subdomain() {
		if safePath(next) {
			return next
		}
		return "/"
	}
	prefix := PathPrefix + uuid
	path, _, _ := strings.Cut(next, "?")
	if safePath(next) && strings.HasPrefix(path, prefix) && (len(path) == len(prefix) || path[len(prefix)] == '/') && !dotSegment(path) {
		return next
	}
	return prefix + "/"
}

// dotSegment reports a "." or ".." path segment, plain or percent-encoded, which a browser resolves (possibly out of
// the app's prefix) before it follows a redirect.
func dotSegment(path string) bool {
	for _, seg := range strings.Split(path, "/") {
		switch strings.ReplaceAll(strings.ToLower(seg), "%2e", ".") {
		case ".", "..":
			return true
		}
	}
	return false
}

// appQuery is the query parameter naming the app on the shared app origin (empty in subdomain mode, where the host
// names it).
func (s *appOrigins) appQuery(uuid string) string {
	if s.subdomain() {
		return ""
	}
	return "app=" + uuid + "&"
}

// startURL is where a sign-in to next on the app's origin begins (on the app's origin).
func (s *appOrigins) startURL(uuid, next string) string {
	return s.origin(uuid) + StartPath + "?" + s.appQuery(uuid) + "next=" + url.QueryEscape(next)
}

// authURL is where the browser redeems a one-time token on the app's origin.
func (s *appOrigins) authURL(uuid, tok, next string) string {
	return s.origin(uuid) + AuthPath + "?" + s.appQuery(uuid) + "token=" + tok + "&next=" + url.QueryEscape(next)
}

// signInURL is the route on kiosc's origin that issues a token bound to state.
func (s *appOrigins) signInURL(uuid, state, next string) string {
	return s.base + "/apps/" + uuid + "/sign-in?state=" + url.QueryEscape(state) + "&next=" + url.QueryEscape(next)
}

// cookiePath is the path the app cookie of an app is scoped to.
func (s *appOrigins) cookiePath(uuid string) string {
	if s.subdomain() {
		return "/"
	}
	return PathPrefix + uuid + "/"
}

// stateCookieName is the state cookie of a sign-in to the app: one per app on the shared app origin, so that apps
// opened at the same time in two tabs do not overwrite each other's sign-in.
func (s *appOrigins) stateCookieName(uuid string) string {
	if s.subdomain() {
		return s.stateCookie
	}
	return s.stateCookie + "_" + uuid
}

// stateCookiePath is where the state cookie is sent: only to AuthPath, never to an app.
func (s *appOrigins) stateCookiePath() string {
	if s.subdomain() {
		return "/"
	}
	return "/.kiosc/"
}

// lobbyLocation is where a navigation to an app that is not running goes: the lobby, which returns to the app's
// entry on kiosc's origin (for requests on an app origin, that entry hops back to the app's origin).
func (p *Proxy) lobbyLocation(req request) string {
	if req.app {
		return p.apps.base + LobbyURL(req.uuid, p.apps.entryPath(req.uuid, req.original))
	}
	return LobbyURL(req.uuid, req.original)
}

// hop sends a navigation on kiosc's origin to the same place on the app's origin, which serves it at once when the
// browser holds the app cookie and starts a sign-in otherwise.
func (p *Proxy) hop(c *fiber.Ctx, req request) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Redirect(p.apps.origin(req.uuid)+p.apps.appPath(req), fiber.StatusFound)
}

// Subdomains is the host dispatch of subdomain mode: mounted before every other route, it serves requests whose Host
// is under the proxy domain, so that an app's origin never serves kiosc's SPA or API.
type Subdomains struct{ p *Proxy }

// Subdomains returns the host dispatch (it mounts nothing unless the proxy is in subdomain mode).
func (p *Proxy) Subdomains() Subdomains { return Subdomains{p: p} }

// Register mounts the dispatch middleware.
func (s Subdomains) Register(r fiber.Router) {
	if s.p.apps == nil || !s.p.apps.subdomain() {
		return
	}
	r.Use(s.p.dispatch)
}

func (p *Proxy) dispatch(c *fiber.Ctx) error {
	uuid, under := p.apps.match(c.Request().Header.Host())
	if !under {
		return c.Next()
	}
	if uuid == "" {
		return web.NotFound("app")
	}
	raw := string(c.Request().Header.RequestURI())
	if !strings.HasPrefix(raw, "/") {
		return web.BadRequest("bad_request", "the request target must be a path")
	}
	req := request{uuid: uuid, app: true, original: raw, rest: raw}
	if i := strings.IndexByte(raw, '?'); i >= 0 {
		req.rest, req.query = raw[:i], raw[i+1:]
	}
	switch req.rest {
	case AuthPath:
		return p.exchange(c, uuid)
	case StartPath:
		return p.start(c, uuid)
	case LinkPath:
		return p.openLink(c, uuid)
	case StatePath:
		return p.appState(c, uuid)
	case OpenPath:
		if !c.Request().Header.IsPost() {
			return &web.Error{Status: fiber.StatusMethodNotAllowed, Code: "method_not_allowed", Message: "use POST"}
		}
		return p.openApp(c, uuid)
	}
	return p.serveApp(c, req)
}

// AppListener is the whole of the app listener in app-origin mode: apps under PathPrefix, the sign-in's reserved
// paths, and nothing of kiosc's own (no SPA, no API).
type AppListener struct{ p *Proxy }

// AppListener returns the routes of the app listener.
func (p *Proxy) AppListener() AppListener { return AppListener{p: p} }

// Register mounts the app listener's single handler.
func (a AppListener) Register(r fiber.Router) { r.Use(a.p.serveAppListener) }

func (p *Proxy) serveAppListener(c *fiber.Ctx) error {
	if p.apps == nil || p.apps.subdomain() {
		return web.NotFound("app")
	}
	raw := string(c.Request().Header.RequestURI())
	path, _, _ := strings.Cut(raw, "?")
	switch path {
	case AuthPath, StartPath, LinkPath, StatePath, OpenPath:
		uuid := strings.ToLower(string(c.Request().URI().QueryArgs().Peek("app")))
		if !isUUID([]byte(uuid)) {
			return web.FieldError("app", "missing or not a container UUID; open the app again from kiosc")
		}
		switch path {
		case AuthPath:
			return p.exchange(c, uuid)
		case LinkPath:
			return p.openLink(c, uuid)
		case StatePath:
			return p.appState(c, uuid)
		case OpenPath:
			if !c.Request().Header.IsPost() {
				return &web.Error{Status: fiber.StatusMethodNotAllowed, Code: "method_not_allowed", Message: "use POST"}
			}
			return p.openApp(c, uuid)
		}
		return p.start(c, uuid)
	}
	req, ok := parseRequest(raw)
	if !ok || !isUUID([]byte(req.uuid)) {
		if path == "/" && IsNavigation(c) {
			// Someone typed the app listener's address: kiosc itself lives elsewhere.
			return c.Redirect(p.apps.base+"/", fiber.StatusFound)
		}
		return web.NotFound("app")
	}
	req.uuid = strings.ToLower(req.uuid)
	req.app = true
	return p.serveApp(c, req)
}

// match reports whether host is under the proxy domain and, if it is <uuid>.<domain>, the (lower-case) UUID. Hosts
// compare case-insensitively; the port is ignored unless the configured domain has one.
func (s *appOrigins) match(host []byte) (uuid string, under bool) {
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

// serveApp serves one request on an app's origin.
func (p *Proxy) serveApp(c *fiber.Ctx, req request) error {
	nav := IsNavigation(c)
	id, viaToken, err := p.identifyApp(c, req.uuid)
	if err != nil {
		return err
	}
	v := visitor{id: id}
	if !viaToken {
		if v.link, err = p.identifyLink(c, req.uuid); err != nil {
			return err
		}
	}
	ctx := c.UserContext()
	t, err := p.target(ctx, req.uuid)
	if errors.Is(err, store.ErrNotFound) {
		if id == nil && v.link == nil {
			return p.signInApp(c, req, nav)
		}
		return web.NotFound("container")
	}
	if err != nil {
		return err
	}
	if err := p.admit(ctx, &v, t); err != nil {
		if errors.Is(err, errSignIn) {
			return p.signInApp(c, req, nav)
		}
		return err
	}
	if v.anonymous() && nav && !guestMarked(&c.Request().Header) {
		// A public app: a browser with a kiosc session is signed in on the way (so that the app knows who it is),
		// any other comes back at once, marked as a guest.
		return c.Redirect(p.apps.guestStartURL(req.uuid, req.original), fiber.StatusFound)
	}
	if !p.apps.subdomain() && req.rest == "" {
		// Relative links of the app only resolve under the prefix with its trailing slash.
		return c.Redirect(withQuery(req.prefix+"/", req.query), fiber.StatusMovedPermanently)
	}
	if t.State != store.StateRunning || t.Addr == "" {
		if nav && !v.member() {
			return p.appLobby(c, req, t, v)
		}
		return p.notRunning(c, req, t, nav)
	}
	if p.apps.subdomain() {
		// The app is at the root of its origin: it sees the path as sent, without X-Forwarded-Prefix.
		t.StripPrefix = false
	}
	p.opt.Containers.Touch(t.ContainerUUID)
	if isWebsocketUpgrade(c) {
		// Browsers send cookies with cross-site websocket handshakes, and always an Origin: a cookie only opens a
		// tunnel from the app's own origin. Scripts with an API token may omit Origin.
		origin := c.Request().Header.Peek(fiber.HeaderOrigin)
		if len(origin) == 0 && !viaToken || len(origin) > 0 && !p.apps.sameOrigin(origin, c.Request().Header.Host()) {
			return web.Forbidden("cross-origin websocket refused")
		}
		return p.tunnel(c, req, t, v)
	}
	return p.forward(c, req, t, v, nav)
}

// signInApp answers a request on an app's origin that needs a kiosc user: navigations start the sign-in, which goes
// through kiosc's origin (and its login if needed) and back with a token; everything else gets 401.
func (p *Proxy) signInApp(c *fiber.Ctx, req request, nav bool) error {
	if nav {
		return c.Redirect(p.apps.startURL(req.uuid, req.original), fiber.StatusFound)
	}
	return web.Unauthorized()
}

// sameOrigin reports whether origin is <scheme>://<host> of this request.
func (s *appOrigins) sameOrigin(origin, host []byte) bool {
	rest, ok := bytes.CutPrefix(origin, []byte(s.scheme+"://"))
	return ok && bytes.EqualFold(rest, host)
}

// withQuery appends "?query" when there is one.
func withQuery(path, query string) string {
	if query == "" {
		return path
	}
	return path + "?" + query
}
