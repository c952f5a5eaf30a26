package proxy

import (
	"bytes"
	"errors"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"

	"github.com/bihealth/kiosc/app/api"
	"github.com/bihealth/kiosc/app/auth"
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
	cleanResponse(&resp.Header, clientClose)
	return nil
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
	p.opt.Log.Warn("proxy: app did not answer", "container", t.ContainerUUID, "addr", t.Addr, "err", err)
	if nav {
		return c.Redirect(p.lobbyLocation(req), fiber.StatusFound)
	}
	msg := "the app did not answer"
	if errors.Is(err, fasthttp.ErrNoFreeConns) {
		msg = "too many concurrent requests to the app"
	}
	c.Set(fiber.HeaderRetryAfter, "5")
	return &api.Error{Status: fiber.StatusBadGateway, Code: "bad_gateway", Message: msg}
}

// kioscCookies are kiosc's own cookies: never sent to an app, never set by one.
var kioscCookies = []string{api.SessionCookie, AppCookie, SecureAppCookie, StateCookie, SecureStateCookie}

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
	if len(h.Peek(fiber.HeaderCookie)) > 0 {
		for _, name := range kioscCookies {
			h.DelCookie(name)
		}
	}
	h.Del(api.CSRFHeader)
	if _, ok := kioscTokenBytes(h.Peek(fiber.HeaderAuthorization)); ok {
		h.Del(fiber.HeaderAuthorization)
	}

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

// cleanResponse removes hop-by-hop headers of the app's response and any attempt to set kiosc's session cookie or
// the app and state cookies of subdomain mode.
func cleanResponse(h *fasthttp.ResponseHeader, clientClose bool) {
	for _, name := range kioscCookies {
		h.DelCookie(name)
	}
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

// isWebsocketUpgrade reports an HTTP/1.1 websocket handshake.
func isWebsocketUpgrade(c *fiber.Ctx) bool {
	h := &c.Request().Header
	return h.ConnectionUpgrade() && bytes.EqualFold(bytes.TrimSpace(h.Peek(fiber.HeaderUpgrade)), []byte("websocket"))
}
