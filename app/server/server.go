// Package server builds kiosc's HTTP server: the route table, health and metrics endpoints, the embedded SPA, and
// graceful shutdown.
package server

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"github.com/gofiber/fiber/v2/middleware/recover"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/bihealth/kiosc/app/auth"
	"github.com/bihealth/kiosc/app/metrics"
	"github.com/bihealth/kiosc/app/routing"
	"github.com/bihealth/kiosc/app/web"
)

// Module registers routes on a router.
type Module interface {
	Register(r fiber.Router)
}

// Pinger is a dependency whose reachability /readyz reports.
type Pinger func(ctx context.Context) error

// Deps are what the server is built from.
type Deps struct {
	Log *slog.Logger
	// BaseURL is kiosc's external URL: its scheme names the session cookie, its origin is the one that may change
	// things through the API.
	BaseURL        *url.URL
	Auth           *auth.Service
	Metrics        *metrics.Metrics
	MetricsPublic  bool
	TrustedProxies []netip.Prefix
	SPA            fs.FS
	// Ready maps a dependency name ("database", "docker") to its check.
	Ready map[string]Pinger
	// Front modules are mounted before every route (the host dispatch of the proxy's subdomain mode, so that an
	// app's origin never serves kiosc's own pages, API or health endpoints).
	Front []Module
	// Root modules are mounted before anything else that needs authentication (OIDC endpoints, the reverse
	// proxy, subdomain dispatch); they apply web.Authenticate themselves where needed.
	Root []Module
	// API modules are mounted under /api/v1 behind authentication and CSRF protection.
	API []Module
	// OnShutdown functions run first in Shutdown (e.g. closing proxy tunnels, which the server does not track).
	OnShutdown []func()
}

// Server is kiosc's HTTP server.
type Server struct {
	app        *fiber.App
	log        *slog.Logger
	onShutdown []func()
}

// New builds the server and its route table.
func New(d Deps) *Server {
	var trusted []string
	for _, p := range d.TrustedProxies {
		trusted = append(trusted, p.String())
	}
	app := newFiber(d.Log, trusted, true)
	app.Use(recover.New(recover.Config{EnableStackTrace: true}))
	if len(d.TrustedProxies) > 0 {
		app.Use(web.TrustProxies(d.TrustedProxies))
	}
	app.Use(observe(d.Metrics, d.Log))
	for _, m := range d.Front {
		m.Register(app)
	}
	app.Use(securityHeaders)

	app.Get("/healthz", healthz)
	app.Get("/readyz", readyz(d.Ready))
	cookie := web.SessionCookieName(d.BaseURL != nil && d.BaseURL.Scheme == "https")
	metricsHandler := adaptor.HTTPHandler(promhttp.HandlerFor(d.Metrics.Registry, promhttp.HandlerOpts{}))
	if d.MetricsPublic {
		app.Get("/metrics", metricsHandler)
	} else {
		app.Get("/metrics", web.Authenticate(d.Auth, cookie), web.RequireSuperuser, metricsHandler)
	}

	for _, m := range d.Root {
		m.Register(app)
	}

	v1 := app.Group("/api/v1", web.CheckOrigin(d.BaseURL), web.Authenticate(d.Auth, cookie), web.CSRF)
	for _, m := range d.API {
		m.Register(v1)
	}
	// Unknown API paths get a JSON 404, never the SPA's index.html.
	app.All("/api/*", func(c *fiber.Ctx) error { return web.NotFound("API endpoint " + c.Path()) })
	app.Use(newSPA(d.SPA).handler)
	return &Server{app: app, log: d.Log, onShutdown: d.OnShutdown}
}

// AppDeps are what the app listener (app-origin mode) is built from.
type AppDeps struct {
	Log            *slog.Logger
	Metrics        *metrics.Metrics
	TrustedProxies []netip.Prefix
	// Apps serves everything on the app listener except /healthz: the apps and their sign-in.
	Apps Module
}

// NewApps builds the app listener of app-origin mode: an origin that serves apps and nothing of kiosc's own (no
// SPA, no API), so that an app's scripts never run where kiosc's API could be called with the visitor's session.
func NewApps(d AppDeps) *Server {
	var trusted []string
	for _, p := range d.TrustedProxies {
		trusted = append(trusted, p.String())
	}
	// Only the proxy runs here, and it copies what it keeps of a request (the request line, cookie values); strings
	// that Fiber derives from the request need not be copied for every request.
	app := newFiber(d.Log, trusted, false)
	app.Use(recover.New(recover.Config{EnableStackTrace: true}))
	if len(d.TrustedProxies) > 0 {
		app.Use(web.TrustProxies(d.TrustedProxies))
	}
	app.Use(observe(d.Metrics, d.Log))
	app.Get("/healthz", healthz)
	d.Apps.Register(app)
	return &Server{app: app, log: d.Log}
}

func healthz(c *fiber.Ctx) error { return c.JSON(fiber.Map{"status": "ok"}) }

// contentSecurityPolicy allows kiosc's pages only their own scripts and connections; Naive UI injects its styles at
// run time, hence 'unsafe-inline' for styles only. No page of kiosc may be framed (clickjacking).
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
	"img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; worker-src 'self'; object-src 'none'; " +
	"base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// securityHeaders protects kiosc's own responses (pages, API, health); proxied apps answer with their own headers.
func securityHeaders(c *fiber.Ctx) error {
	if strings.HasPrefix(c.Path(), routing.PathPrefix) {
		return c.Next()
	}
	h := &c.Response().Header
	h.Set(fiber.HeaderContentSecurityPolicy, contentSecurityPolicy)
	h.Set(fiber.HeaderXContentTypeOptions, "nosniff")
	h.Set(fiber.HeaderReferrerPolicy, "same-origin")
	h.Set(fiber.HeaderXFrameOptions, "DENY")
	// Apps opened from kiosc get no handle on kiosc's window, and no other origin may embed kiosc's responses.
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	return c.Next()
}

// newFiber is the Fiber app of both listeners; immutable makes Fiber copy the strings it derives from a request.
func newFiber(log *slog.Logger, trusted []string, immutable bool) *fiber.App {
	app := fiber.New(fiber.Config{
		AppName:               "kiosc",
		ErrorHandler:          web.ErrorHandler(log),
		DisableStartupMessage: true,
		// Request bodies are streamed so that proxied uploads of many GiB never sit in memory; the API limits its own
		// bodies to 1 MiB when decoding.
		StreamRequestBody: true,
		BodyLimit:         1 << 40,
		ReadBufferSize:    32 << 10, // room for large cookie headers of proxied apps
		IdleTimeout:       2 * time.Minute,
		// Strings from the request context are copied where handlers hand them to goroutines.
		Immutable: immutable,
		// No ProxyHeader: c.IP() would answer the left-most X-Forwarded-For entry, which the client writes. The
		// client's address comes from web.ClientAddr; the trusted list still guards c.IsProxyTrusted, c.Protocol
		// and c.Hostname.
		EnableTrustedProxyCheck: true,
		TrustedProxies:          trusted,
		// Proxied apps may speak WebDAV and other extensions besides the standard methods.
		RequestMethods: append(fiber.DefaultMethods[:len(fiber.DefaultMethods):len(fiber.DefaultMethods)], extraMethods...),
	})
	// Hijacked connections (websocket tunnels to apps, the live API) are closed by their handlers, which lets the
	// server release a connection's read buffer at the hijack instead of holding it for the tunnel's lifetime.
	app.Server().KeepHijackedConns = true
	return app
}

// extraMethods are accepted besides fiber.DefaultMethods (WebDAV, used by apps such as file browsers).
var extraMethods = []string{"PROPFIND", "PROPPATCH", "MKCOL", "COPY", "MOVE", "LOCK", "UNLOCK", "REPORT", "SEARCH"}

// App exposes the Fiber app for in-process tests (app.Test).
func (s *Server) App() *fiber.App { return s.app }

// Serve accepts connections on ln until Shutdown.
func (s *Server) Serve(ln net.Listener) error { return s.app.Listener(ln) }

// Shutdown stops accepting connections and waits for in-flight requests up to the deadline of ctx.
func (s *Server) Shutdown(ctx context.Context) error {
	for _, f := range s.onShutdown {
		f()
	}
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(10 * time.Second)
	}
	return s.app.ShutdownWithTimeout(time.Until(deadline))
}

func readyz(checks map[string]Pinger) fiber.Handler {
	return func(c *fiber.Ctx) error {
		ctx, cancel := context.WithTimeout(c.UserContext(), 3*time.Second)
		defer cancel()
		out := fiber.Map{}
		status, reasons := fiber.StatusOK, []string{}
		for name, check := range checks {
			if err := check(ctx); err != nil {
				out[name] = err.Error()
				reasons = append(reasons, name+": "+err.Error())
				status = fiber.StatusServiceUnavailable
			} else {
				out[name] = "ok"
			}
		}
		if status != fiber.StatusOK {
			c.Set(fiber.HeaderRetryAfter, "5")
			return c.Status(status).JSON(fiber.Map{"status": "unavailable", "reason": strings.Join(reasons, "; "), "checks": out})
		}
		return c.JSON(fiber.Map{"status": "ok", "checks": out})
	}
}

// observe records request metrics and logs failures; streamed responses are measured to their first byte.
func observe(m *metrics.Metrics, log *slog.Logger) fiber.Handler {
	series := &requestSeries{m: m}
	series.counters.Store(&map[seriesKey]prometheus.Counter{})
	series.durations.Store(&map[string]prometheus.Observer{})
	return func(c *fiber.Ctx) error {
		start := time.Now()
		err := c.Next()
		status := c.Response().StatusCode()
		if err != nil {
			var fe *fiber.Error
			var ae *web.Error
			switch {
			case errors.As(err, &fe):
				status = fe.Code
			case errors.As(err, &ae):
				status = ae.Status
			default:
				status = 500
			}
		}
		route := c.Route().Path
		if route == "/" && c.Path() != "/" {
			route = "spa"
		}
		elapsed := time.Since(start)
		series.counter(c.Method(), route, status).Inc()
		series.duration(route).Observe(elapsed.Seconds())
		level := slog.LevelDebug
		if status >= 500 {
			level = slog.LevelWarn
		}
		// Checked first: building the attributes costs more than the rest of this middleware.
		if ctx := c.UserContext(); log.Enabled(ctx, level) {
			log.Log(ctx, level, "request", "method", c.Method(), "path", c.Path(), "status", status, "duration", elapsed)
		}
		return err
	}
}

// requestSeries finds the metric series of a request without the registry's label hashing and locking: the series
// seen so far are kept in maps that are replaced whole when one is added (methods, routes and status codes are few,
// so after the first requests every lookup is a hit).
type requestSeries struct {
	m         *metrics.Metrics
	mu        sync.Mutex
	counters  atomic.Pointer[map[seriesKey]prometheus.Counter]
	durations atomic.Pointer[map[string]prometheus.Observer]
}

type seriesKey struct {
	method, route string
	status        int
}

func (s *requestSeries) counter(method, route string, status int) prometheus.Counter {
	k := seriesKey{method, route, status}
	if c, ok := (*s.counters.Load())[k]; ok {
		return c
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	old := *s.counters.Load()
	if c, ok := old[k]; ok {
		return c
	}
	// The strings may belong to the request; the map and the registry keep copies.
	k = seriesKey{strings.Clone(method), strings.Clone(route), status}
	c := s.m.HTTPRequests.WithLabelValues(k.method, k.route, strconv.Itoa(status))
	next := make(map[seriesKey]prometheus.Counter, len(old)+1)
	for key, v := range old {
		next[key] = v
	}
	next[k] = c
	s.counters.Store(&next)
	return c
}

func (s *requestSeries) duration(route string) prometheus.Observer {
	if o, ok := (*s.durations.Load())[route]; ok {
		return o
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	old := *s.durations.Load()
	if o, ok := old[route]; ok {
		return o
	}
	route = strings.Clone(route)
	o := s.m.HTTPDuration.WithLabelValues(route)
	next := make(map[string]prometheus.Observer, len(old)+1)
	for key, v := range old {
		next[key] = v
	}
	next[route] = o
	s.durations.Store(&next)
	return o
}
