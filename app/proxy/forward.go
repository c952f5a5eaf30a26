package proxy

import (
	"bytes"
	"errors"
	"net"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"

	"github.com/bihealth/kiosc/app/auth"
	"github.com/bihealth/kiosc/app/store"
	"github.com/bihealth/kiosc/app/web"
)

// newClient returns the shared upstream client. Bodies are streamed (never buffered whole), there are no read or
// write timeouts (server-sent events and long downloads stay open as long as the app writes), and paths and queries
// reach the app exactly as the browser sent them.
func newClient(dialTimeout time.Duration) *fasthttp.Client {
	dialer := &net.Dialer{Timeout: dialTimeout, KeepAlive: 30 * time.Second}
	return &fasthttp.Client{
		NoDefaultUserAgentHeader: true,
		Dial:                     func(addr string) (net.Conn, error) { return dialer.Dial("tcp", addr) },
		MaxConnsPerHost:          4096,
		MaxConnWaitTimeout:       10 * time.Second,
		MaxIdleConnDuration:      30 * time.Second,
		ReadBufferSize:           32 << 10, // the largest response header accepted from an app
		WriteBufferSize:          32 << 10,
		MaxResponseBodySize:      1 << 20, // only bounds what is buffered; larger bodies are streamed
		StreamResponseBody:       true,
		DisablePathNormalizing:   true,
	}
}

// forward sends the request to the app and streams its response back. The request object of the server is reused
// as is: its body is still a stream on the client connection, so uploads flow through without being buffered.
func (p *Proxy) forward(c *fiber.Ctx, req request, t Target, id *auth.Identity, nav bool) error {
	r := c.Request()
	clientClose := r.Header.ConnectionClose()
	p.prepareHeaders(c, req, t, id, false)
	uri := uriBufPool.Get().(*[]byte)
	*uri = appendUpstreamURL((*uri)[:0], t, req)
	r.SetRequestURIBytes(*uri)
	uriBufPool.Put(uri)
	r.UseHostHeader = true // the browser's Host reaches the app
	resp := c.Response()
	resp.Header.SetNoDefaultContentType(true)
	if err := p.client.Do(r, resp); err != nil {
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

// uriBufPool holds the buffers upstream URLs are assembled in (SetRequestURIBytes copies them).
var uriBufPool = sync.Pool{New: func() any { b := make([]byte, 0, 256); return &b }}

// appendUpstreamURL appends "http://<addr><upstream path and query>".
func appendUpstreamURL(b []byte, t Target, req request) []byte {
	b = append(b, "http://"...)
	b = append(b, t.Addr...)
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

// isKioscCookie reports one of kiosc's own cookies (the session, the app and state cookies of the sign-in, with or
// without a __Host- or __Secure- prefix): never sent to an app, never set by one. Names starting with kiosc_ are
// reserved for kiosc.
func isKioscCookie(name []byte) bool {
	if len(name) > 0 && name[0] == '_' {
		name = bytes.TrimPrefix(name, []byte("__Host-"))
		name = bytes.TrimPrefix(name, []byte("__Secure-"))
	}
	return len(name) >= 6 && bytes.EqualFold(name[:6], []byte("kiosc_"))
}

// stripKioscCookies removes kiosc's cookies from a request to an app.
func stripKioscCookies(h *fasthttp.RequestHeader) {
	raw := h.Peek(fiber.HeaderCookie)
	if len(raw) == 0 || !containsFold(raw, "kiosc_") {
		return
	}
	var names []string
	for k := range h.Cookies() {
		if isKioscCookie(k) {
			names = append(names, string(k))
		}
	}
	for _, n := range names {
		h.DelCookie(n)
	}
}

// containsFold reports whether b contains the lower-case ASCII string s in any case.
func containsFold(b []byte, s string) bool {
	for i := 0; i+len(s) <= len(b); i++ {
		if bytes.EqualFold(b[i:i+len(s)], []byte(s)) {
			return true
		}
	}
	return false
}

// stripKioscTokens removes every Authorization header that carries a kiosc API token, wherever it appears among
// several, and keeps the others (an app's own Basic or Bearer credentials).
func stripKioscTokens(h *fasthttp.RequestHeader) {
	all := h.PeekAll(fiber.HeaderAuthorization)
	if len(all) == 0 {
		return
	}
	found := false
	for _, v := range all {
		if _, ok := kioscTokenBytes(v); ok {
			found = true
		}
	}
	if !found {
		return
	}
	var keep [][]byte
	for _, v := range all {
		if _, ok := kioscTokenBytes(v); !ok {
			keep = append(keep, append([]byte(nil), v...))
		}
	}
	h.Del(fiber.HeaderAuthorization)
	for _, v := range keep {
		h.AddBytesV(fiber.HeaderAuthorization, v)
	}
}

// Request headers kiosc never forwards: hop-by-hop headers (RFC 7230 section 6.1) and headers a client could use to
// impersonate a front proxy.
// Expect is answered by kiosc's server itself (100 Continue) before the body is streamed on.
var hopHeaders = []string{"Keep-Alive", "Proxy-Connection", "Proxy-Authorization", "Te", "Trailer", "Expect"}

// connectionTokens calls f with each header name listed in a Connection header, except the ones every connection
// may carry (close, keep-alive, upgrade).
func connectionTokens(v []byte, f func(name []byte)) {
	for len(v) > 0 {
		var tok []byte
		if i := bytes.IndexByte(v, ','); i >= 0 {
			tok, v = v[:i], v[i+1:]
		} else {
			tok, v = v, nil
		}
		tok = bytes.TrimSpace(tok)
		if len(tok) == 0 || bytes.EqualFold(tok, []byte("close")) || bytes.EqualFold(tok, []byte("keep-alive")) ||
			bytes.EqualFold(tok, []byte("upgrade")) {
			continue
		}
		f(tok)
	}
}

// prepareHeaders makes the request safe and informative for the app: kiosc's own credentials are removed, the
// forwarding headers are set, and headers a client could spoof are replaced. It runs for every proxied request,
// so it works on the header bytes without copying them.
func (p *Proxy) prepareHeaders(c *fiber.Ctx, req request, t Target, id *auth.Identity, upgrade bool) {
	h := &c.Request().Header

	// Hop-by-hop headers, including those named in Connection; an upgrade keeps Connection and Upgrade.
	if conn := h.Peek(fiber.HeaderConnection); len(conn) > 0 {
		var named []string
		connectionTokens(conn, func(name []byte) { named = append(named, string(name)) })
		for _, name := range named {
			h.Del(name)
		}
	}
	for _, name := range hopHeaders {
		h.Del(name)
	}
	if !upgrade {
		h.Del(fiber.HeaderConnection)
		h.Del(fiber.HeaderUpgrade)
	}

	// kiosc's credentials never reach the app; an Authorization that is not a kiosc token is the app's own.
	stripKioscCookies(h)
	h.Del(web.CSRFHeader)
	stripKioscTokens(h)

	// X-Kiosc-* headers come from kiosc only.
	var spoofed []string
	for k := range h.All() {
		if len(k) > 8 && bytes.EqualFold(k[:8], []byte("X-Kiosc-")) {
			spoofed = append(spoofed, string(k))
		}
	}
	for _, k := range spoofed {
		h.Del(k)
	}
	h.Set("X-Kiosc-User", id.User.Username)

	// Forwarding headers: kept from a trusted front proxy, otherwise set from what kiosc sees.
	trusted := c.IsProxyTrusted()
	var ipBuf [64]byte
	peer := appendIP(ipBuf[:0], c.Context().RemoteIP())
	if prior := h.Peek(fiber.HeaderXForwardedFor); trusted && len(prior) > 0 {
		v := append(append(append(make([]byte, 0, len(prior)+2+len(peer)), prior...), ", "...), peer...)
		h.SetBytesV(fiber.HeaderXForwardedFor, v)
	} else {
		h.SetBytesV(fiber.HeaderXForwardedFor, peer)
	}
	if !trusted || len(h.Peek(fiber.HeaderXForwardedProto)) == 0 {
		h.Set(fiber.HeaderXForwardedProto, p.scheme)
	}
	if !trusted || len(h.Peek(fiber.HeaderXForwardedHost)) == 0 {
		h.SetBytesV(fiber.HeaderXForwardedHost, h.Host())
	}
	if !trusted {
		h.Del("Forwarded")
		h.Del("X-Real-Ip")
	}
	h.Del("X-Forwarded-Prefix")
	if t.StripPrefix {
		h.Set("X-Forwarded-Prefix", req.prefix)
	}
}

// appendIP appends the textual form of ip (IPv4-mapped addresses as IPv4) without allocating.
func appendIP(b []byte, ip net.IP) []byte {
	a, ok := netip.AddrFromSlice(ip)
	if !ok {
		return append(b, ip.String()...)
	}
	return a.Unmap().AppendTo(b)
}

// cleanResponse removes hop-by-hop headers of the app's response and whatever could widen the app's reach beyond
// its origin or prefix: attempts to set kiosc's cookies, a service worker scope above the app (Service-Worker-Allowed),
// wiping the site's cookies and storage (Clear-Site-Data), and cookies for a parent domain or outside the app's
// prefix. prefix is the app's path prefix on a shared origin ("" when the app has its origin to itself).
func cleanResponse(h *fasthttp.ResponseHeader, prefix string, clientClose bool) {
	cleanCookies(h, prefix)
	h.Del("Service-Worker-Allowed")
	h.Del("Clear-Site-Data")
	if conn := h.Peek(fiber.HeaderConnection); len(conn) > 0 {
		var named []string
		connectionTokens(conn, func(name []byte) { named = append(named, string(name)) })
		for _, name := range named {
			h.Del(name)
		}
	}
	h.Del("Keep-Alive")
	h.Del("Proxy-Connection")
	// The app closing its connection to kiosc says nothing about the browser's connection to kiosc.
	h.Del(fiber.HeaderConnection)
	if clientClose {
		h.SetConnectionClose()
	}
}

// cleanCookies drops the app's attempts to set kiosc's cookies, makes every cookie host-only, and on a shared
// origin keeps each cookie under the app's prefix (what nginx's proxy_cookie_path does): an app at "/" that sets
// Path=/ gets its cookie at <prefix>/. __Host- cookies must have Path=/, so on a shared origin they are dropped.
func cleanCookies(h *fasthttp.ResponseHeader, prefix string) {
	var drop []string
	var rewrite []*fasthttp.Cookie
	for k, v := range h.Cookies() {
		if isKioscCookie(k) || prefix != "" && bytes.HasPrefix(k, []byte("__Host-")) {
			drop = append(drop, string(k))
			continue
		}
		ck := fasthttp.AcquireCookie()
		if err := ck.ParseBytes(v); err != nil {
			fasthttp.ReleaseCookie(ck)
			drop = append(drop, string(k))
			continue
		}
		changed := false
		if len(ck.Domain()) > 0 {
			ck.SetDomainBytes(nil)
			changed = true
		}
		if prefix != "" {
			if p := ck.Path(); !underPrefix(p, prefix) {
				ck.SetPath(prefix + "/" + strings.TrimPrefix(string(p), "/"))
				changed = true
			}
		}
		if !changed {
			fasthttp.ReleaseCookie(ck)
			continue
		}
		rewrite = append(rewrite, ck)
	}
	for _, k := range drop {
		h.DelCookie(k)
	}
	for _, ck := range rewrite {
		h.SetCookie(ck)
		fasthttp.ReleaseCookie(ck)
	}
}

// underPrefix reports whether a cookie path lies within an app's prefix.
func underPrefix(path []byte, prefix string) bool {
	return bytes.HasPrefix(path, []byte(prefix)) && (len(path) == len(prefix) || path[len(prefix)] == '/')
}

// isWebsocketUpgrade reports an HTTP/1.1 websocket handshake.
func isWebsocketUpgrade(c *fiber.Ctx) bool {
	h := &c.Request().Header
	return h.ConnectionUpgrade() && bytes.EqualFold(bytes.TrimSpace(h.Peek(fiber.HeaderUpgrade)), []byte("websocket"))
}
