// Package proxy is kiosc's reverse proxy: it authenticates and authorizes every request, sends browsers of apps that
// are not running to the lobby, streams HTTP bodies both ways with bounded memory, and tunnels websocket upgrades
// byte for byte while tracking the tunnels so that stopping a container or kiosc closes them. Apps are served on an
// origin of their own (the app listener, or <uuid>.<domain>; origins.go) with a sign-in handed over from kiosc's
// origin (signin.go), or, as an opt-in for trusted apps, under /containers/proxy/<uuid>/ on kiosc's origin.
package proxy

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"

	"github.com/bihealth/kiosc/app/access"
	"github.com/bihealth/kiosc/app/auth"
	"github.com/bihealth/kiosc/app/events"
	"github.com/bihealth/kiosc/app/routing"
	"github.com/bihealth/kiosc/app/secrets"
	"github.com/bihealth/kiosc/app/settings"
	"github.com/bihealth/kiosc/app/store"
	"github.com/bihealth/kiosc/app/web"
)

// PathPrefix is where containers are served in path and app-origin mode, and their entry on kiosc's origin.
const PathPrefix = routing.PathPrefix

// Target is where one container's traffic goes, as kiosc's own Docker state knows it.
type Target struct {
	ContainerUUID string
	ProjectUUID   string
	State         store.State // requests are forwarded only when it is store.StateRunning
	// Addr is "host:port", empty unless State is running.
	Addr        string
	StripPrefix bool
	// Access is the container's access level as configured (settings.Access*); the site setting decides what it
	// means now. ContainerPath is where the app is opened.
	Access        string
	ContainerPath string
}

// Containers is what the proxy needs from the container lifecycle.
type Containers interface {
	// Upstream returns the container's target; an error wrapping store.ErrNotFound when it does not exist.
	Upstream(ctx context.Context, uuid string) (Target, error)
	// Touch records activity (a request or a websocket frame) in memory.
	Touch(uuid string)
}

// Options are the proxy's dependencies and settings.
type Options struct {
	Containers Containers
	Auth       *auth.Service
	Checker    *access.Checker
	// Bus (may be nil) delivers container.state events; tunnels of a container that leaves running are closed.
	Bus *events.Bus
	// BaseURL is kiosc's external URL: its scheme is X-Forwarded-Proto unless a trusted front proxy says otherwise.
	BaseURL *url.URL
	Log     *slog.Logger
	// RecheckInterval is how often open tunnels re-check that their user's session or token is still valid
	// (default one minute).
	RecheckInterval time.Duration
	// DialTimeout bounds connecting to an app (default 5 s).
	DialTimeout time.Duration
	// CacheTTL is how long a resolved session or token is reused (default 2 s, negative disables). A page load is
	// dozens of requests; this spares the database all but one lookup of each, at the price of a logout or revoked
	// token taking up to CacheTTL to reach the proxy. A container's target is never cached: Containers answers it
	// from memory, in step with the state the API shows.
	CacheTTL time.Duration
	// Apps says where apps are served (the zero value is path mode on BaseURL). In app-origin mode the app listener
	// serves AppListener; in subdomain mode Subdomains dispatches the names under the domain (which may carry a port
	// for development).
	Apps routing.Apps
	// Sessions (required unless in path mode) resolves the kiosc sessions that app cookies refer to.
	Sessions SessionStore
	// Sharing (may be nil: apps open to their project's members only) is the site's sharing setting and the links
	// of link apps.
	Sharing Sharing
	// Open (may be nil) starts an app for a visitor who is not a member, from the lobby page of the app's origin.
	Open func(ctx context.Context, user *store.User, uuid string) error
	// AnonymousStartEvery and AnonymousStartsPerMinute limit the starts by visitors without an account: one per
	// app per AnonymousStartEvery (default 1 minute), and AnonymousStartsPerMinute per client address (default 3).
	AnonymousStartEvery      time.Duration
	AnonymousStartsPerMinute int
}

// Proxy serves /containers/proxy/<uuid>/...
type Proxy struct {
	opt       Options
	transport *transport
	tunnels   *registry
	// tokens and sessions map an API token or a session cookie to its identity.
	tokens   *ttlCache[*auth.Identity]
	sessions *ttlCache[*auth.Identity]
	// links maps a link cookie to its link (nil: revoked or not valid).
	links *ttlCache[*linkGrant]
	// linkCookie is the link cookie's name; keys sign link cookies and lobby tickets.
	linkCookie string
	keys       *secrets.Keys
	starts     *startLimiter
	// scheme is X-Forwarded-Proto for requests that did not come through a trusted front proxy.
	scheme string
	// sessionCookie is the name of kiosc's session cookie (__Host- under https).
	sessionCookie string
	stop          chan struct{}
	done          chan struct{}
	apps          *appOrigins // app-origin and subdomain mode; nil in path mode
}

// New builds the proxy and starts its background work (closing tunnels on state changes, re-checking credentials);
// Close stops it.
func New(opt Options) *Proxy {
	if opt.RecheckInterval <= 0 {
		opt.RecheckInterval = time.Minute
	}
	if opt.DialTimeout <= 0 {
		opt.DialTimeout = 5 * time.Second
	}
	if opt.Log == nil {
		opt.Log = slog.Default()
	}
	if opt.CacheTTL == 0 {
		opt.CacheTTL = 2 * time.Second
	}
	p := &Proxy{
		opt:       opt,
		transport: newTransport(opt.DialTimeout),
		tunnels:   newRegistry(),
		tokens:    newTTLCache[*auth.Identity](opt.CacheTTL),
		sessions:  newTTLCache[*auth.Identity](opt.CacheTTL),
		links:     newTTLCache[*linkGrant](opt.CacheTTL),
		starts:    newStartLimiter(opt.AnonymousStartEvery, opt.AnonymousStartsPerMinute),
		scheme:    "http",
		stop:      make(chan struct{}),
		done:      make(chan struct{}),
	}
	if opt.BaseURL != nil && opt.BaseURL.Scheme != "" {
		p.scheme = opt.BaseURL.Scheme
	}
	p.sessionCookie = web.SessionCookieName(p.scheme == "https")
	if opt.Apps.Mode == "" {
		opt.Apps.Mode = routing.Path
	}
	if opt.Apps.Base == nil {
		opt.Apps.Base = opt.BaseURL
	}
	p.opt.Apps = opt.Apps
	if opt.Apps.Mode != routing.Path {
		p.apps = newAppOrigins(p.opt)
	}
	if opt.Auth != nil {
		p.keys = opt.Auth.Keys()
	}
	p.linkCookie = p.linkCookieName()
	go p.watch()
	return p
}

// Register mounts the proxy routes on kiosc's origin (and, when apps have origins of their own, SignInPath); they
// authenticate by themselves.
func (p *Proxy) Register(r fiber.Router) {
	r.All(strings.TrimSuffix(PathPrefix, "/")+"/:uuid/*", p.handle)
	r.All(strings.TrimSuffix(PathPrefix, "/")+"/:uuid", p.handle)
	if p.apps != nil {
		r.Get(SignInPath, p.signIn)
		return
	}
	// Path mode: the reserved paths of links and of the lobby of visitors who are not members are on kiosc's origin.
	r.Get(LinkPath, p.pathReserved(p.openLink))
	r.Get(StatePath, p.pathReserved(p.appState))
	r.Post(OpenPath, p.pathReserved(p.openApp))
}

// pathReserved reads the app of a reserved path in path mode from ?app=.
func (p *Proxy) pathReserved(h func(c *fiber.Ctx, uuid string) error) fiber.Handler {
	return func(c *fiber.Ctx) error {
		uuid := strings.ToLower(string(c.Request().URI().QueryArgs().Peek("app")))
		if !isUUID([]byte(uuid)) {
			return web.FieldError("app", "missing or not a container UUID")
		}
		return h(c, uuid)
	}
}

// Close closes every open tunnel and refuses new ones (kiosc is shutting down).
func (p *Proxy) Close() {
	select {
	case <-p.stop:
		return
	default:
	}
	close(p.stop)
	n := p.tunnels.closeAll()
	<-p.done
	p.transport.close()
	if n > 0 {
		p.opt.Log.Info("closed proxy tunnels", "count", n)
	}
}

// Tunnels returns the number of open websocket tunnels (for tests and the benchmark).
func (p *Proxy) Tunnels() int { return p.tunnels.len() }

// request is a parsed proxy request line.
type request struct {
	uuid string
	// prefix is "/containers/proxy/<uuid>".
	prefix string
	// rest is the raw path after the prefix ("" or starting with "/"), without the query.
	rest string
	// query is the raw query string without "?".
	query string
	// original is the raw path and query as the browser sent them.
	original string
	// app is set for requests on an app's own origin (app-origin and subdomain mode); in subdomain mode prefix is
	// empty.
	app bool
}

// parseRequest splits the raw request URI; it keeps the percent-encoding exactly as sent.
func parseRequest(raw string) (request, bool) {
	if !strings.HasPrefix(raw, PathPrefix) {
		return request{}, false
	}
	r := request{original: raw}
	path := raw
	if i := strings.IndexByte(raw, '?'); i >= 0 {
		path, r.query = raw[:i], raw[i+1:]
	}
	after := path[len(PathPrefix):]
	r.uuid, r.rest = after, ""
	if i := strings.IndexByte(after, '/'); i >= 0 {
		r.uuid, r.rest = after[:i], after[i:]
	}
	if r.uuid == "" {
		return request{}, false
	}
	r.prefix = path[:len(PathPrefix)+len(r.uuid)]
	return r, true
}

func (p *Proxy) handle(c *fiber.Ctx) error {
	req, ok := parseRequest(string(c.Request().Header.RequestURI()))
	if !ok {
		return web.NotFound("container")
	}
	id, err := p.identify(c)
	if err != nil {
		return err
	}
	nav := IsNavigation(c)
	ctx := c.UserContext()
	if id == nil && p.apps != nil {
		// Apps are served on their own origin; kiosc's origin serves them only to scripts with API tokens. Anonymous
		// browsers go there for public and link apps (which decide there), to kiosc's login for the others.
		if !nav {
			return web.Unauthorized()
		}
		if t, err := p.target(ctx, req.uuid); err == nil {
			if eff := p.site().Effective(t.Access); eff == settings.AccessPublic || eff == settings.AccessLink {
				return p.hop(c, req)
			}
		}
		return p.signInNeeded(c, req, nav)
	}
	t, err := p.target(ctx, req.uuid)
	if errors.Is(err, store.ErrNotFound) {
		if id == nil {
			return p.signInNeeded(c, req, nav)
		}
		return web.NotFound("container")
	}
	if err != nil {
		return err
	}
	v := visitor{id: id}
	if p.apps == nil {
		if v.link, err = p.identifyLink(c, req.uuid); err != nil {
			return err
		}
	}
	if err := p.admit(ctx, &v, t); err != nil {
		if errors.Is(err, errSignIn) {
			return p.signInNeeded(c, req, nav)
		}
		return err
	}
	if p.apps != nil && nav && id.Session != nil && (t.State == store.StateRunning && t.Addr != "" || !v.member()) {
		// Browsers use the app on its own origin; scripts with tokens keep using this URL. A visitor who is not a
		// member finds a stopped app's lobby there too: kiosc's lobby needs kiosc's API, which does not show them
		// the app, and the lobby's endpoints are on the app's origin.
		return p.hop(c, req)
	}
	if p.apps != nil && !nav && id.Session != nil {
		// An app's pages run on its own origin, and their requests never carry kiosc's session here. One that does
		// (an app's script on the same site, an <object> load) must not reach an app on kiosc's origin.
		return &web.Error{Status: fiber.StatusForbidden, Code: "use_app_origin",
			Message: "apps are served on their own origin (" + p.apps.origin(req.uuid) + "); scripts use an API token here"}
	}
	if req.rest == "" {
		// Relative links of the app only resolve under the prefix with its trailing slash.
		return c.Redirect(withQuery(req.prefix+"/", req.query), fiber.StatusMovedPermanently)
	}
	if t.State != store.StateRunning || t.Addr == "" {
		if nav && !v.member() {
			return p.appLobby(c, req, t, v)
		}
		return p.notRunning(c, req, t, nav)
	}
	p.opt.Containers.Touch(t.ContainerUUID)
	if isWebsocketUpgrade(c) {
		return p.tunnel(c, req, t, v)
	}
	return p.forward(c, req, t, v, nav)
}

// signInNeeded answers a visitor who must log in to kiosc to open an app on kiosc's origin: navigations go to the
// login page, everything else gets 401.
func (p *Proxy) signInNeeded(c *fiber.Ctx, req request, nav bool) error {
	if nav {
		return c.Redirect("/login?next="+url.QueryEscape(req.original), fiber.StatusFound)
	}
	return web.Unauthorized()
}

// target returns a container's upstream as the lifecycle has it now.
func (p *Proxy) target(ctx context.Context, uuid string) (Target, error) {
	return p.opt.Containers.Upstream(ctx, uuid)
}

// identify resolves the caller from a kiosc API token or the session cookie. An Authorization header that is not a
// kiosc token belongs to the app (e.g. its own Basic auth) and is ignored here. Cache hits read the raw header bytes
// without copying them.
func (p *Proxy) identify(c *fiber.Ctx) (*auth.Identity, error) {
	ctx := c.UserContext()
	h := &c.Request().Header
	if raw, ok := kioscToken(h); ok {
		if id, ok := p.tokens.getBytes(raw); ok {
			return id, nil
		}
		key := string(raw)
		gen := p.tokens.generation()
		id, err := p.opt.Auth.TokenIdentity(ctx, key)
		switch {
		case err == nil:
			p.tokens.put(key, id, gen)
			return id, nil
		case errors.Is(err, auth.ErrInvalidCredentials), errors.Is(err, auth.ErrTokenExpired), errors.Is(err, auth.ErrInactive):
			return nil, &web.Error{Status: 401, Code: "invalid_token", Message: err.Error()}
		default:
			return nil, err
		}
	}
	raw, n := web.CookieValue(h, p.sessionCookie)
	if len(raw) == 0 {
		return nil, nil
	}
	if n > 1 {
		return nil, web.ErrDuplicateCookie
	}
	if id, ok := p.sessions.getBytes(raw); ok {
		return id, nil
	}
	cookie := string(raw)
	gen := p.sessions.generation()
	id, err := p.opt.Auth.SessionIdentity(ctx, cookie)
	switch {
	case err == nil:
		p.sessions.put(cookie, id, gen)
		return id, nil
	case errors.Is(err, auth.ErrNoSession), errors.Is(err, auth.ErrInactive):
		return nil, nil
	default:
		return nil, err
	}
}

// kioscToken returns the key of the first Authorization header that carries a kiosc token (a slice of h): a kiosc
// token after an app's own Authorization header still identifies the caller (and is removed before the app).
func kioscToken(h *fasthttp.RequestHeader) ([]byte, bool) {
	if key, ok := kioscTokenBytes(h.Peek(fiber.HeaderAuthorization)); ok {
		return key, true
	}
	if len(h.Peek(fiber.HeaderAuthorization)) == 0 {
		return nil, false
	}
	for _, v := range h.PeekAll(fiber.HeaderAuthorization) {
		if key, ok := kioscTokenBytes(v); ok {
			return key, true
		}
	}
	return nil, false
}

// kioscTokenBytes returns the key of an "Authorization: Token|Bearer kiosc_..." header (a slice of h).
func kioscTokenBytes(h []byte) ([]byte, bool) {
	h = bytes.TrimSpace(h)
	sp := bytes.IndexByte(h, ' ')
	if sp < 0 {
		return nil, false
	}
	if scheme := h[:sp]; !bytes.EqualFold(scheme, []byte("token")) && !bytes.EqualFold(scheme, []byte("bearer")) {
		return nil, false
	}
	key := bytes.TrimSpace(h[sp+1:])
	if !bytes.HasPrefix(key, []byte(auth.TokenPrefix)) {
		return nil, false
	}
	return key, true
}

// notRunning sends navigations to the lobby, which starts the app and shows progress; other requests get 503.
func (p *Proxy) notRunning(c *fiber.Ctx, req request, t Target, nav bool) error {
	if nav {
		return c.Redirect(p.lobbyLocation(req), fiber.StatusFound)
	}
	c.Set(fiber.HeaderRetryAfter, "5")
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Status(fiber.StatusServiceUnavailable).JSON(fiber.Map{"error": fiber.Map{
		"code":    "container_not_running",
		"message": "the app is not running (state " + string(t.State) + "); open it in the browser to start it",
		"state":   t.State,
	}})
}

// LobbyURL is the SPA lobby for a container, returning to next (a path on kiosc's origin) when it runs.
func LobbyURL(uuid, next string) string {
	return "/lobby/" + url.PathEscape(uuid) + "?next=" + url.QueryEscape(next)
}

// IsNavigation reports whether a request is a top-level browser navigation (which may be redirected to a page)
// rather than a script's or a sub-resource request (which gets a status code).
func IsNavigation(c *fiber.Ctx) bool {
	h := &c.Request().Header
	if mode := h.Peek("Sec-Fetch-Mode"); len(mode) > 0 {
		return bytes.EqualFold(mode, []byte("navigate"))
	}
	return h.IsGet() && bytes.Contains(h.Peek(fiber.HeaderAccept), []byte("text/html"))
}
