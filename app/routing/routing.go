// Package routing decides where apps are served: the proxy mode, each app's origin, base path and public URL, and
// the URL that opens it. The lifecycle (the environment and probe of a container), the proxy and the API all ask it,
// so that they cannot disagree about an app's address.
package routing

import (
	"net/url"
	"strings"
)

// Mode is where apps are served.
type Mode string

// Proxy modes (KIOSC_PROXY_MODE).
const (
	// AppOrigin serves every app under PathPrefix on one origin of its own (a second listener), so that no app's
	// scripts run on kiosc's origin. The default: it needs no DNS work.
	AppOrigin Mode = "app-origin"
	// Subdomain serves each app at the root of <uuid>.<domain> (KIOSC_PROXY_DOMAIN, wildcard DNS).
	Subdomain Mode = "subdomain"
	// Path serves apps under PathPrefix on kiosc's own origin: an explicit opt-in for trusted apps only.
	Path Mode = "path"
)

// Modes lists the accepted modes, the default first.
var Modes = []Mode{AppOrigin, Subdomain, Path}

// PathPrefix is where apps are served in path and app-origin mode (the original Kiosc's URL), and the entry on
// kiosc's origin in every mode.
const PathPrefix = "/containers/proxy/"

// Apps says where apps are served.
type Apps struct {
	Mode Mode
	// Base is kiosc's external URL (without a trailing slash).
	Base *url.URL
	// AppBase is the external URL of the app listener (app-origin mode).
	AppBase *url.URL
	// Domain is the proxy domain (subdomain mode), lower case, possibly with a port for development.
	Domain string
}

// Scheme is the scheme apps are served with (kiosc's own, or the app listener's in app-origin mode).
func (a Apps) Scheme() string {
	switch {
	case a.Mode == AppOrigin && a.AppBase != nil && a.AppBase.Scheme != "":
		return a.AppBase.Scheme
	case a.Base != nil && a.Base.Scheme != "":
		return a.Base.Scheme
	}
	return "http"
}

// Origin is the origin an app is served on, e.g. https://<uuid>.apps.example.org or http://127.0.0.1:8081.
func (a Apps) Origin(uuid string) string {
	switch a.Mode {
	case Subdomain:
		return a.Scheme() + "://" + uuid + "." + a.Domain
	case AppOrigin:
		return origin(a.AppBase)
	}
	return origin(a.Base)
}

// KioscOrigin is kiosc's own origin.
func (a Apps) KioscOrigin() string { return origin(a.Base) }

// AtRoot reports whether apps are served at the root of their origin (subdomain mode) rather than under
// PathPrefix<uuid>/.
func (a Apps) AtRoot() bool { return a.Mode == Subdomain }

// BasePath is the public path prefix of an app, with a trailing slash (KIOSC_BASE_PATH).
func (a Apps) BasePath(uuid string) string {
	if a.AtRoot() {
		return "/"
	}
	return PathPrefix + uuid + "/"
}

// PublicURL is the absolute URL of an app's root (KIOSC_PUBLIC_URL).
func (a Apps) PublicURL(uuid string) string { return a.Origin(uuid) + a.BasePath(uuid) }

// OpenURL is the URL that opens an app at its container_path (the container's proxy_url). In path mode it is a
// path on kiosc's origin; elsewhere the absolute URL on the app's own origin, which signs the browser in through
// kiosc when needed.
func (a Apps) OpenURL(uuid, containerPath string) string {
	p := a.BasePath(uuid) + strings.TrimPrefix(containerPath, "/")
	if a.Mode == Path {
		return p
	}
	return a.Origin(uuid) + p
}

// LinkPath is the reserved path on an app's origin (kiosc's origin in path mode) that opens a secret link.
const LinkPath = "/.kiosc/link"

// LinkURL is the URL of a secret link to an app: LinkPath on the app's origin, naming the app unless the host does.
func (a Apps) LinkURL(uuid, secret string) string {
	q := "?app=" + uuid + "&key="
	if a.Mode == Subdomain {
		q = "?key="
	}
	return a.Origin(uuid) + LinkPath + q + url.QueryEscape(secret)
}

// SharedOrigin reports whether apps share one origin with each other (path and app-origin mode), so that a
// browser does not keep them apart.
func (a Apps) SharedOrigin() bool { return a.Mode != Subdomain }

func origin(u *url.URL) string {
	if u == nil {
		return ""
	}
	return u.Scheme + "://" + u.Host
}
