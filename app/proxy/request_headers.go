package proxy

import (
	"bytes"
	"net"
	"net/netip"
	"sync"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"

	"github.com/bihealth/kiosc/app/web"
)

// What a request to an app carries: never kiosc's credentials, always the forwarding and identity headers of kiosc.

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

// cookiePairs calls f with each "name=value" pair of a Cookie header (without the separating "; ") and its name.
func cookiePairs(header []byte, f func(pair, name []byte)) {
	for len(header) > 0 {
		var pair []byte
		if i := bytes.IndexByte(header, ';'); i >= 0 {
			pair, header = header[:i], header[i+1:]
		} else {
			pair, header = header, nil
		}
		pair = bytes.TrimSpace(pair)
		if len(pair) == 0 {
			continue
		}
		name := pair
		if i := bytes.IndexByte(pair, '='); i >= 0 {
			name = bytes.TrimSpace(pair[:i])
		}
		f(pair, name)
	}
}

// stripKioscCookies removes kiosc's cookies from a request to an app. It reads the Cookie headers as received and
// touches them only when one of kiosc's cookies is there: fasthttp's cookie accessors would parse every cookie of
// every request and serialize them anew for the app.
func stripKioscCookies(h *fasthttp.RequestHeader) {
	found := false
	for _, header := range h.PeekAll(fiber.HeaderCookie) {
		if !containsFold(header, "kiosc_") {
			continue
		}
		cookiePairs(header, func(_, name []byte) { found = found || isKioscCookie(name) })
	}
	if !found {
		return
	}
	kept := cookieBufPool.Get().(*[]byte)
	defer cookieBufPool.Put(kept)
	b := (*kept)[:0]
	for _, header := range h.PeekAll(fiber.HeaderCookie) {
		cookiePairs(header, func(pair, name []byte) {
			if isKioscCookie(name) {
				return
			}
			if len(b) > 0 {
				b = append(b, "; "...)
			}
			b = append(b, pair...)
		})
	}
	*kept = b
	h.Del(fiber.HeaderCookie)
	if len(b) > 0 {
		h.SetBytesV(fiber.HeaderCookie, b)
	}
}

// cookieBufPool holds the buffers a Cookie header without kiosc's cookies is assembled in (the header copies it).
var cookieBufPool = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

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

// The request headers prepareHeaders acts on, as bits of the set it finds in one pass over the request.
const (
	reqConnection = 1 << iota
	reqUpgrade
	reqHop // Keep-Alive, Proxy-Connection, Proxy-Authorization, Te, Trailer, Expect (hopHeaders)
	reqCSRF
	reqKiosc // X-Kiosc-*
	reqForwarded
	reqRealIP
	reqForwardedFor
	reqForwardedProto
	reqForwardedHost
	reqForwardedPrefix
	reqAuthorization
	reqCookie
)

// Request headers kiosc never forwards: hop-by-hop headers (RFC 7230 section 6.1) and headers a client could use to
// impersonate a front proxy.
// Expect is answered by kiosc's server itself (100 Continue) before the body is streamed on.
var hopHeaders = []string{"Keep-Alive", "Proxy-Connection", "Proxy-Authorization", "Te", "Trailer", "Expect"}

// isKioscHeader reports a header name that means X-Kiosc-* to an app: in any case, and with underscores for the
// dashes, which CGI-style servers (WSGI, Rack, PHP) read as the same HTTP_X_KIOSC_* variable.
func isKioscHeader(k []byte) bool {
	return len(k) > 8 && (k[0] == 'x' || k[0] == 'X') && (k[1] == '-' || k[1] == '_') && bytes.EqualFold(k[2:7], []byte("kiosc")) &&
		(k[7] == '-' || k[7] == '_')
}

// requestHeaderBit classifies a request header name (any case) for prepareHeaders; 0 for every other header.
func requestHeaderBit(k []byte) int {
	if isKioscHeader(k) {
		return reqKiosc
	}
	eq := func(name string) bool { return len(k) == len(name) && bytes.EqualFold(k, []byte(name)) }
	switch len(k) {
	case 2:
		if eq("Te") {
			return reqHop
		}
	case 6:
		if eq("Cookie") {
			return reqCookie
		}
		if eq("Expect") {
			return reqHop
		}
	case 7:
		if eq("Upgrade") {
			return reqUpgrade
		}
		if eq("Trailer") {
			return reqHop
		}
	case 9:
		if eq("Forwarded") {
			return reqForwarded
		}
		if eq("X-Real-Ip") {
			return reqRealIP
		}
	case 10:
		if eq("Connection") {
			return reqConnection
		}
		if eq("Keep-Alive") {
			return reqHop
		}
	case 12:
		if eq("X-Csrf-Token") {
			return reqCSRF
		}
	case 9 + 4:
		if eq("Authorization") {
			return reqAuthorization
		}
	case 9 + 6:
		if eq("X-Forwarded-For") {
			return reqForwardedFor
		}
	case 9 + 7:
		if eq("X-Forwarded-Host") {
			return reqForwardedHost
		}
		if eq("Proxy-Connection") {
			return reqHop
		}
	case 9 + 8:
		if eq("X-Forwarded-Proto") {
			return reqForwardedProto
		}
	case 9 + 9:
		if eq("X-Forwarded-Prefix") {
			return reqForwardedPrefix
		}
	case 9 + 10:
		if eq("Proxy-Authorization") {
			return reqHop
		}
	}
	return 0
}

// requestHeaders finds which of the headers prepareHeaders acts on a request has, and the names of X-Kiosc-*
// headers a client sent.
func requestHeaders(h *fasthttp.RequestHeader) (present int, spoofed []string) {
	if len(h.RawHeaders()) == 0 {
		// A request built in this process rather than received: every header as it stands.
		for k := range h.All() {
			present |= requestHeaderBit(k)
			if isKioscHeader(k) {
				spoofed = append(spoofed, string(k))
			}
		}
		return present, spoofed
	}
	for k := range h.AllInOrder() {
		present |= requestHeaderBit(k)
	}
	if present&reqKiosc != 0 {
		for k := range h.AllInOrder() {
			if isKioscHeader(k) {
				spoofed = append(spoofed, string(k))
			}
		}
	}
	return present, spoofed
}

// prepareHeaders makes the request safe and informative for the app: kiosc's own credentials are removed, the
// forwarding headers are set, and headers a client could spoof are replaced. It runs for every proxied request: one
// pass over the headers as received finds which of those it acts on are there, and only those are touched.
func (p *Proxy) prepareHeaders(c *fiber.Ctx, req request, t Target, v visitor, upgrade bool) {
	h := &c.Request().Header
	present, spoofed := requestHeaders(h)

	// Hop-by-hop headers, including those named in Connection; an upgrade keeps Connection and Upgrade.
	if present&reqConnection != 0 {
		if conn := h.Peek(fiber.HeaderConnection); len(conn) > 0 {
			var named []string
			connectionTokens(conn, func(name []byte) { named = append(named, string(name)) })
			for _, name := range named {
				h.Del(name)
			}
		}
	}
	if present&reqHop != 0 {
		for _, name := range hopHeaders {
			h.Del(name)
		}
	}
	if !upgrade {
		if present&reqConnection != 0 {
			h.Del(fiber.HeaderConnection)
		}
		// A client's Connection: close (or HTTP/1.0 without keep-alive) concerns its own connection, not kiosc's
		// connection to the app.
		h.ResetConnectionClose()
		if present&reqUpgrade != 0 {
			h.Del(fiber.HeaderUpgrade)
		}
	}

	// kiosc's credentials never reach the app; an Authorization that is not a kiosc token is the app's own.
	if present&reqCookie != 0 {
		stripKioscCookies(h)
	}
	if present&reqCSRF != 0 {
		h.Del(web.CSRFHeader)
	}
	if present&reqAuthorization != 0 {
		stripKioscTokens(h)
	}

	// X-Kiosc-* headers come from kiosc only: who the visitor is, resolved once per identity (see auth.NewIdentity);
	// visitors without an account get none, link holders only the link's name.
	for _, k := range spoofed {
		h.Del(k)
	}
	switch {
	case v.id != nil:
		h.Add(HeaderUser, v.id.User.Username)
		h.Add(HeaderUserName, v.id.App.Name)
		h.Add(HeaderUserEmail, v.id.App.Email)
		h.Add(HeaderRole, v.role)
		if v.id.App.Groups != "" {
			h.Add(HeaderGroups, v.id.App.Groups)
		}
	case v.link != nil:
		h.Add(HeaderLink, v.link.header)
	}

	// Forwarding headers: kept from a trusted front proxy, otherwise set from what kiosc sees. Headers known to be
	// absent are added without searching for them.
	trusted := web.PeerTrusted(c)
	var ipBuf [64]byte
	peer := appendIP(ipBuf[:0], c.Context().RemoteIP())
	switch {
	case present&reqForwardedFor == 0:
		h.AddBytesV(fiber.HeaderXForwardedFor, peer)
	case trusted && len(h.Peek(fiber.HeaderXForwardedFor)) > 0:
		prior := h.Peek(fiber.HeaderXForwardedFor)
		v := append(append(append(make([]byte, 0, len(prior)+2+len(peer)), prior...), ", "...), peer...)
		h.SetBytesV(fiber.HeaderXForwardedFor, v)
	default:
		h.SetBytesV(fiber.HeaderXForwardedFor, peer)
	}
	switch {
	case present&reqForwardedProto == 0:
		h.Add(fiber.HeaderXForwardedProto, p.scheme)
	case !trusted || len(h.Peek(fiber.HeaderXForwardedProto)) == 0:
		h.Set(fiber.HeaderXForwardedProto, p.scheme)
	}
	switch {
	case present&reqForwardedHost == 0:
		h.AddBytesV(fiber.HeaderXForwardedHost, h.Host())
	case !trusted || len(h.Peek(fiber.HeaderXForwardedHost)) == 0:
		h.SetBytesV(fiber.HeaderXForwardedHost, h.Host())
	}
	if !trusted {
		if present&reqForwarded != 0 {
			h.Del("Forwarded")
		}
		if present&reqRealIP != 0 {
			h.Del("X-Real-Ip")
		}
	}
	if present&reqForwardedPrefix != 0 {
		h.Del("X-Forwarded-Prefix")
	}
	if t.StripPrefix {
		h.Add("X-Forwarded-Prefix", req.prefix)
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
