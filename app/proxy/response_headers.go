package proxy

import (
	"bytes"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"
)

// What an app's response may not carry: anything that widens its reach beyond its origin or prefix.

// The response headers cleanResponse acts on, as bits of the set it finds in one pass over the response.
const (
	respSetCookie = 1 << iota
	respConnection
	respDrop // Service-Worker-Allowed, Clear-Site-Data, Keep-Alive, Proxy-Connection
)

// responseHeaderBit classifies a response header name (any case) for cleanResponse; 0 for every other header.
func responseHeaderBit(k []byte) int {
	eq := func(name string) bool { return len(k) == len(name) && bytes.EqualFold(k, []byte(name)) }
	switch len(k) {
	case 10:
		switch {
		case eq("Set-Cookie"):
			return respSetCookie
		case eq("Connection"):
			return respConnection
		case eq("Keep-Alive"):
			return respDrop
		}
	case 15:
		if eq("Clear-Site-Data") {
			return respDrop
		}
	case 16:
		if eq("Proxy-Connection") {
			return respDrop
		}
	case 22:
		if eq("Service-Worker-Allowed") {
			return respDrop
		}
	}
	return 0
}

// cleanResponse removes hop-by-hop headers of the app's response and whatever could widen the app's reach beyond
// its origin or prefix: attempts to set kiosc's cookies, a service worker scope above the app (Service-Worker-Allowed),
// wiping the site's cookies and storage (Clear-Site-Data), and cookies for a parent domain or outside the app's
// prefix. prefix is the app's path prefix on a shared origin ("" when the app has its origin to itself). One pass
// over the headers finds which of those are there; only those are touched.
func cleanResponse(h *fasthttp.ResponseHeader, prefix string, clientClose bool) {
	present := 0
	for k := range h.All() {
		present |= responseHeaderBit(k)
	}
	if present&respSetCookie != 0 {
		cleanCookies(h, prefix)
	}
	if present&respDrop != 0 {
		h.Del("Service-Worker-Allowed")
		h.Del("Clear-Site-Data")
		h.Del("Keep-Alive")
		h.Del("Proxy-Connection")
	}
	if present&respConnection != 0 {
		if conn := h.Peek(fiber.HeaderConnection); len(conn) > 0 {
			var named []string
			connectionTokens(conn, func(name []byte) { named = append(named, string(name)) })
			for _, name := range named {
				h.Del(name)
			}
		}
		h.Del(fiber.HeaderConnection)
	}
	// The app closing its connection to kiosc says nothing about the browser's connection to kiosc.
	h.ResetConnectionClose()
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
