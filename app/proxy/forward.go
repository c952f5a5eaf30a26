package proxy

import (
	"bytes"
	"errors"
	"sync"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"

	"github.com/bihealth/kiosc/app/store"
	"github.com/bihealth/kiosc/app/web"
)

// forward sends the request to the app and streams its response back. The request object of the server is reused
// as is: its body is still a stream on the client connection, so uploads flow through without being buffered.
func (p *Proxy) forward(c *fiber.Ctx, req request, t Target, v visitor, nav bool) error {
	r := c.Request()
	clientClose := r.Header.ConnectionClose()
	p.prepareHeaders(c, req, t, v, false)
	uri := uriBufPool.Get().(*[]byte)
	*uri = appendUpstreamURI((*uri)[:0], t, req)
	r.SetRequestURIBytes(*uri)
	uriBufPool.Put(uri)
	if len(r.Header.Host()) == 0 {
		// HTTP/1.0 without Host: the app gets its own address.
		r.Header.SetHost(t.Addr)
	}
	resp := c.Response()
	if err := p.transport.roundTrip(t.Addr, r, resp); err != nil {
		resp.Reset()
		return p.upstreamFailed(c, req, t, nav, err)
	}
	cleanResponse(&resp.Header, p.cookiePrefix(req), clientClose)
	return nil
}

// cookiePrefix is the path prefix that an app's cookies are kept under: its prefix on a shared origin (path and
// app-origin mode), nothing where the app has its origin to itself.
func (p *Proxy) cookiePrefix(req request) string {
	if p.apps != nil && p.apps.subdomain() && req.app {
		return ""
	}
	return req.prefix
}

// uriBufPool holds the buffers upstream request URIs are assembled in (SetRequestURIBytes copies them).
var uriBufPool = sync.Pool{New: func() any { b := make([]byte, 0, 256); return &b }}

// appendUpstreamURI appends the path and query the app sees: without the prefix when stripping, else the original.
func appendUpstreamURI(b []byte, t Target, req request) []byte {
	if !t.StripPrefix {
		return append(b, req.original...)
	}
	b = append(b, req.rest...)
	if req.query != "" {
		b = append(b, '?')
		b = append(b, req.query...)
	}
	return b
}

// upstreamURI is the path and query the app sees: without the prefix when stripping, else the original.
func upstreamURI(req request, t Target) string {
	if !t.StripPrefix {
		return req.original
	}
	if req.query == "" {
		return req.rest
	}
	return req.rest + "?" + req.query
}

// upstreamFailed answers a request whose app did not answer although it is running: navigations go to the lobby
// (which shows what is wrong), everything else gets 502.
func (p *Proxy) upstreamFailed(c *fiber.Ctx, req request, t Target, nav bool, err error) error {
	// An app that is being stopped closes its connections and goes: a request that was on its way then finds it no
	// longer running, or running again elsewhere after a restart. It is told so (503 container_not_running, or the
	// lobby), as if it had come a moment later.
	if now, uerr := p.opt.Containers.Upstream(c.UserContext(), t.ContainerUUID); uerr == nil && now.State != store.StateRunning {
		return p.notRunning(c, req, now, nav)
	} else if uerr == nil && now.Addr != t.Addr {
		if nav {
			return c.Redirect(p.lobbyLocation(req), fiber.StatusFound)
		}
		c.Set(fiber.HeaderRetryAfter, "1")
		c.Set(fiber.HeaderCacheControl, "no-store")
		return c.Status(fiber.StatusServiceUnavailable).JSON(fiber.Map{"error": fiber.Map{
			"code":    "container_not_running",
			"message": "the app stopped while this request was on its way; it runs again now: repeat the request",
			"state":   now.State,
		}})
	}
	p.opt.Log.Warn("proxy: app did not answer", "container", t.ContainerUUID, "addr", t.Addr, "err", err)
	if nav {
		return c.Redirect(p.lobbyLocation(req), fiber.StatusFound)
	}
	msg := "the app did not answer"
	if errors.Is(err, fasthttp.ErrNoFreeConns) {
		msg = "too many concurrent requests to the app"
	}
	c.Set(fiber.HeaderRetryAfter, "5")
	return &web.Error{Status: fiber.StatusBadGateway, Code: "bad_gateway", Message: msg}
}

// isWebsocketUpgrade reports an HTTP/1.1 websocket handshake.
func isWebsocketUpgrade(c *fiber.Ctx) bool {
	h := &c.Request().Header
	return h.ConnectionUpgrade() && bytes.EqualFold(bytes.TrimSpace(h.Peek(fiber.HeaderUpgrade)), []byte("websocket"))
}
