package web

import (
	"bytes"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"
)

// Header and cookie names shared with the SPA and the proxy.
const (
	// SessionCookie is the session cookie's name under plain http.
	SessionCookie = "kiosc_session"
	// SecureSessionCookie is its name under https: a __Host- cookie cannot be planted with a Domain by a sibling
	// subdomain, nor set by a plain-http page.
	SecureSessionCookie = "__Host-kiosc_session"
	CSRFHeader          = "X-CSRF-Token"
)

// SessionCookieName is the session cookie's name (SecureSessionCookie under https).
func SessionCookieName(secure bool) string {
	if secure {
		return SecureSessionCookie
	}
	return SessionCookie
}

// ErrDuplicateCookie refuses a request that carries one of kiosc's credential cookies twice: a page of the same host
// (an app on another port, or a sibling subdomain) may have planted the second to switch the caller's identity, and
// kiosc cannot tell which one is real.
var ErrDuplicateCookie = &Error{Status: fiber.StatusBadRequest, Code: "duplicate_cookie",
	Message: "the browser sent a kiosc cookie twice (another page on this host may have set one); clear this site's cookies and sign in again"}

// CountCookie counts the cookies named name in a Cookie header.
func CountCookie(header []byte, name string) int {
	n := 0
	for len(header) > 0 {
		var pair []byte
		if i := bytes.IndexByte(header, ';'); i >= 0 {
			pair, header = header[:i], header[i+1:]
		} else {
			pair, header = header, nil
		}
		pair = bytes.TrimLeft(pair, " \t")
		if len(pair) > len(name) && pair[len(name)] == '=' && string(pair[:len(name)]) == name {
			n++
		}
	}
	return n
}

// CookieValue returns the value of the first cookie named name in a request's Cookie headers and how many cookies of
// that name they carry in all. It reads the headers as received: fasthttp's own cookie accessors parse every cookie
// of the request and make it serialize them anew when the request is forwarded, which the proxy spares its hot path.
// The value is a slice of the header.
func CookieValue(h *fasthttp.RequestHeader, name string) (value []byte, n int) {
	for _, header := range h.PeekAll(fiber.HeaderCookie) {
		for len(header) > 0 {
			var pair []byte
			if i := bytes.IndexByte(header, ';'); i >= 0 {
				pair, header = header[:i], header[i+1:]
			} else {
				pair, header = header, nil
			}
			pair = bytes.TrimLeft(pair, " \t")
			if len(pair) > len(name) && pair[len(name)] == '=' && string(pair[:len(name)]) == name {
				if n == 0 {
					value = bytes.TrimRight(pair[len(name)+1:], " \t")
				}
				n++
			}
		}
	}
	return value, n
}
