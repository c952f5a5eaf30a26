package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync"
)

// server is the HTTP handler of the test app.
type server struct {
	cfg config
	p   *process

	// routes maps exact paths (relative to the base path) to handlers.
	routes map[string]http.HandlerFunc

	hogMu sync.Mutex
	hog   [][]byte // memory kept alive for /oom and MEMORY_HOG_MB
}

type originalURLKey struct{}

// newServer returns the handler for cfg.
func newServer(cfg config, p *process) *server {
	s := &server{cfg: cfg, p: p}
	s.routes = map[string]http.HandlerFunc{
		"/":         s.handleIndex,
		"/health":   s.handleHealth,
		"/echo":     s.handleEcho,
		"/ws":       s.handleWS,
		"/sse":      s.handleSSE,
		"/download": s.handleDownload,
		"/upload":   s.handleUpload,
		"/redirect": s.handleRedirect,
		"/slow":     s.handleSlow,
		"/log":      s.handleLog,
		"/exit":     s.handleExit,
		"/oom":      s.handleOOM,
		"/env":      s.handleEnv,
		"/args":     s.handleArgs,
		"/file":     s.handleFile,
		"/write":    s.handleWrite,
		"/respond":  s.handleRespond,
		"/probe":    s.handleProbe,
		"/dial":     s.handleDial,
		"/burn":     s.handleBurn,
	}
	return s
}

// ServeHTTP strips the base path (if any) and dispatches. Handlers see the
// path relative to the base path; /echo reports the original one.
func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := r.URL.Path
	if bp := s.cfg.BasePath; bp != "" {
		switch {
		case path == strings.TrimSuffix(bp, "/"):
			// Without the trailing slash relative links would resolve
			// outside the base path.
			loc := bp
			if r.URL.RawQuery != "" {
				loc += "?" + r.URL.RawQuery
			}
			w.Header().Set("Location", loc)
			w.WriteHeader(http.StatusMovedPermanently)
			return
		case strings.HasPrefix(path, bp):
			path = path[len(bp)-1:]
		case s.cfg.BasePathOnly:
			http.NotFound(w, r)
			return
		}
	}

	h := s.routes[path]
	switch {
	case h != nil:
	case strings.HasPrefix(path, "/echo/"):
		h = s.handleEcho
	case strings.HasPrefix(path, "/status/"):
		h = s.handleStatus
	default:
		http.NotFound(w, r)
		return
	}
	if path != r.URL.Path {
		orig := r.URL
		u := *r.URL
		u.Path, u.RawPath = path, ""
		r = r.WithContext(context.WithValue(r.Context(), originalURLKey{}, orig))
		r.URL = &u
	}
	h(w, r)
}

// originalURL returns the URL as received, before the base path was
// stripped.
func originalURL(r *http.Request) *url.URL {
	if u, ok := r.Context().Value(originalURLKey{}).(*url.URL); ok {
		return u
	}
	return r.URL
}

// writeJSON answers with v as indented JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// badRequest answers 400 with msg.
func badRequest(w http.ResponseWriter, msg string) {
	http.Error(w, msg, http.StatusBadRequest)
}
