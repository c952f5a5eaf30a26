package server

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"net/netip"
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"

	"github.com/bihealth/kiosc/app/web"
)

// Gate serves a listener from the first moments of kiosc's start. Until Open hands the listener to the real server,
// /healthz answers 200 (the process is up and serving), /readyz 503, and every other request 503 "starting" with
// Retry-After (a page that reloads itself for browsers). Opening and migrating the database, loading the keys and
// building the routes then keep no health check or browser waiting for a connection.
type Gate struct {
	app     *fiber.App
	current atomic.Pointer[fasthttp.RequestHandler]
	opened  atomic.Pointer[Server]
}

// NewGate builds the gate of one listener; trusted are the front proxies, as for the real server.
func NewGate(log *slog.Logger, trusted []netip.Prefix) *Gate {
	var proxies []string
	for _, p := range trusted {
		proxies = append(proxies, p.String())
	}
	app := newFiber(log, proxies, true)
	app.Get("/healthz", healthz)
	app.Use(starting)
	g := &Gate{app: app}
	h := app.Handler()
	g.current.Store(&h)
	// The listener's server (configured like the real one, which it stands in for) dispatches every request to the
	// handler of the moment.
	app.Server().Handler = func(ctx *fasthttp.RequestCtx) { (*g.current.Load())(ctx) }
	return g
}

// Serve accepts connections on ln until Shutdown.
func (g *Gate) Serve(ln net.Listener) error { return g.app.Listener(ln) }

// Open hands every request from now on to s (its own Serve is not called).
func (g *Gate) Open(s *Server) {
	h := s.app.Handler()
	g.opened.Store(s)
	g.current.Store(&h)
}

// Shutdown runs the opened server's shutdown functions, stops accepting connections and waits for in-flight
// requests up to the deadline of ctx.
func (g *Gate) Shutdown(ctx context.Context) error {
	if s := g.opened.Load(); s != nil {
		for _, f := range s.onShutdown {
			f()
		}
	}
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(10 * time.Second)
	}
	return g.app.ShutdownWithTimeout(time.Until(deadline))
}

// startingPage is what a browser sees while kiosc starts: it reloads itself.
const startingPage = `<!doctype html><html><head><meta charset="utf-8"><meta http-equiv="refresh" content="1">` +
	`<title>kiosc is starting</title></head><body><p>kiosc is starting…</p></body></html>`

func starting(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	if c.Path() == "/readyz" {
		c.Set(fiber.HeaderRetryAfter, "1")
		return c.Status(fiber.StatusServiceUnavailable).JSON(fiber.Map{"status": "unavailable", "reason": "starting"})
	}
	h := &c.Request().Header
	if h.IsGet() && bytes.Contains(h.Peek(fiber.HeaderAccept), []byte("text/html")) {
		c.Set(fiber.HeaderRetryAfter, "1")
		c.Set(fiber.HeaderContentSecurityPolicy, "default-src 'none'")
		c.Type("html", "utf-8")
		return c.Status(fiber.StatusServiceUnavailable).SendString(startingPage)
	}
	return web.Unavailable("starting", "kiosc is starting; try again in a moment", 1)
}
