package main

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
)

// echoResponse is the JSON answer of /echo.
type echoResponse struct {
	Method     string              `json:"method"`
	Path       string              `json:"path"`
	RawQuery   string              `json:"raw_query"`
	RequestURI string              `json:"request_uri"`
	Proto      string              `json:"proto"`
	Host       string              `json:"host"`
	Headers    map[string][]string `json:"headers"`
	BodyBytes  int64               `json:"body_bytes"`
	RemoteAddr string              `json:"remote_addr"`
}

// handleHealth answers 200 "ok" unless NEVER_READY is set.
func (s *server) handleHealth(w http.ResponseWriter, r *http.Request) {
	if s.cfg.NeverReady {
		http.Error(w, "not ready", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = io.WriteString(w, "ok")
}

// handleEcho describes the received request, so tests can check what a
// proxy forwarded. The path is the one received, before any base path was
// stripped.
func (s *server) handleEcho(w http.ResponseWriter, r *http.Request) {
	n, err := io.Copy(io.Discard, r.Body)
	if err != nil {
		badRequest(w, "reading body: "+err.Error())
		return
	}
	orig := originalURL(r)
	writeJSON(w, http.StatusOK, echoResponse{
		Method:     r.Method,
		Path:       orig.Path,
		RawQuery:   orig.RawQuery,
		RequestURI: r.RequestURI,
		Proto:      r.Proto,
		Host:       r.Host,
		Headers:    r.Header,
		BodyBytes:  n,
		RemoteAddr: r.RemoteAddr,
	})
}

// handleSSE writes n events "data: <i>" (i = 1..n), interval apart, flushing
// each one.
func (s *server) handleSSE(w http.ResponseWriter, r *http.Request) {
	n, err := intParam(r, "n", 5)
	if err != nil || n < 0 {
		badRequest(w, "n: want a non-negative integer")
		return
	}
	interval, err := durationParam(r, "interval", 200*time.Millisecond)
	if err != nil {
		badRequest(w, err.Error())
		return
	}
	rc := http.NewResponseController(w)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	if rc.Flush() != nil {
		return
	}
	for i := 1; i <= n; i++ {
		if i > 1 {
			select {
			case <-time.After(interval):
			case <-r.Context().Done():
				return
			}
		}
		if _, err := fmt.Fprintf(w, "data: %d\n\n", i); err != nil {
			return
		}
		if rc.Flush() != nil {
			return
		}
	}
}

// patternBlock holds the download pattern: byte o of a download is o%251.
// Its length is a multiple of 251 so consecutive copies continue the pattern.
var patternBlock = func() []byte {
	b := make([]byte, 251*256)
	for i := range b {
		b[i] = byte(i % 251)
	}
	return b
}()

// handleDownload streams size bytes of deterministic data (byte at offset o
// is o%251) without buffering them.
func (s *server) handleDownload(w http.ResponseWriter, r *http.Request) {
	size, err := parseSize(r.URL.Query().Get("size"))
	if err != nil {
		badRequest(w, "size: "+err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Length", strconv.FormatInt(size, 10))
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodHead {
		return
	}
	for remaining := size; remaining > 0; {
		chunk := patternBlock
		if int64(len(chunk)) > remaining {
			chunk = chunk[:remaining]
		}
		n, err := w.Write(chunk)
		if err != nil {
			return
		}
		remaining -= int64(n)
	}
}

// parseSize parses a byte count with an optional k, m or g suffix (binary
// units, case-insensitive, optional trailing "iB" or "B"). Empty means 0.
func parseSize(v string) (int64, error) {
	if v == "" {
		return 0, nil
	}
	s := strings.ToLower(v)
	s = strings.TrimSuffix(strings.TrimSuffix(s, "b"), "i")
	mult := int64(1)
	switch {
	case strings.HasSuffix(s, "k"):
		mult = 1 << 10
	case strings.HasSuffix(s, "m"):
		mult = 1 << 20
	case strings.HasSuffix(s, "g"):
		mult = 1 << 30
	}
	if mult != 1 {
		s = s[:len(s)-1]
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || n > (1<<62)/mult {
		return 0, fmt.Errorf("%q is not a byte count", v)
	}
	return n * mult, nil
}

// handleUpload reads the body as a stream and reports its length and
// SHA-256.
func (s *server) handleUpload(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost && r.Method != http.MethodPut {
		w.Header().Set("Allow", "POST, PUT")
		http.Error(w, "use POST or PUT", http.StatusMethodNotAllowed)
		return
	}
	h := sha256.New()
	n, err := io.Copy(h, r.Body)
	if err != nil {
		badRequest(w, "reading body: "+err.Error())
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"bytes": n, "sha256": hex.EncodeToString(h.Sum(nil))})
}

// handleRedirect answers 302 (or ?code=301|303|307|308) with Location set to
// exactly the "to" parameter, without any normalisation.
func (s *server) handleRedirect(w http.ResponseWriter, r *http.Request) {
	to := r.URL.Query().Get("to")
	if to == "" {
		badRequest(w, "missing parameter to")
		return
	}
	code, err := intParam(r, "code", http.StatusFound)
	if err != nil || code < 300 || code > 308 {
		badRequest(w, "code: want a 3xx status")
		return
	}
	w.Header().Set("Location", to)
	w.WriteHeader(code)
}

// handleStatus answers /status/<code> with that status.
func (s *server) handleStatus(w http.ResponseWriter, r *http.Request) {
	code, err := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/status/"))
	if err != nil || code < 200 || code > 599 {
		badRequest(w, "want /status/<200..599>")
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(code)
	_, _ = fmt.Fprintf(w, "%d %s\n", code, http.StatusText(code))
}

// handleSlow answers after ?delay (default 1s).
func (s *server) handleSlow(w http.ResponseWriter, r *http.Request) {
	delay, err := durationParam(r, "delay", time.Second)
	if err != nil {
		badRequest(w, err.Error())
		return
	}
	select {
	case <-time.After(delay):
	case <-r.Context().Done():
		return
	}
	_, _ = fmt.Fprintf(w, "slept %s\n", delay)
}

// handleLog writes ?n lines "<text> <i>" (i = 1..n) to the process's stdout
// or stderr (?stream).
func (s *server) handleLog(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	n, err := intParam(r, "n", 1)
	if err != nil || n < 0 {
		badRequest(w, "n: want a non-negative integer")
		return
	}
	text := q.Get("text")
	if text == "" {
		text = "log"
	}
	var out io.Writer
	switch stream := q.Get("stream"); stream {
	case "", "stdout":
		out = s.p.stdout
	case "stderr":
		out = s.p.stderr
	default:
		badRequest(w, "stream: want stdout or stderr")
		return
	}
	for i := 1; i <= n; i++ {
		fmt.Fprintf(out, "%s %d\n", text, i)
	}
	_, _ = fmt.Fprintf(w, "wrote %d lines\n", n)
}

// handleExit answers and then exits with ?code (default 0).
func (s *server) handleExit(w http.ResponseWriter, r *http.Request) {
	code, err := intParam(r, "code", 0)
	if err != nil || code < 0 || code > 255 {
		badRequest(w, "code: want 0..255")
		return
	}
	w.Header().Set("Connection", "close")
	_, _ = fmt.Fprintf(w, "exiting with code %d\n", code)
	_ = http.NewResponseController(w).Flush()
	// Give the response time to reach the client before the process ends.
	time.AfterFunc(100*time.Millisecond, func() {
		fmt.Fprintf(s.p.stderr, "testapp exiting with code %d\n", code)
		s.p.exit(code)
	})
}

// handleOOM allocates and touches ?mb MiB and keeps it until exit; under a
// smaller memory limit the kernel kills the process before it answers.
func (s *server) handleOOM(w http.ResponseWriter, r *http.Request) {
	mb, err := intParam(r, "mb", 0)
	if err != nil || mb <= 0 {
		badRequest(w, "mb: want a positive integer")
		return
	}
	total := s.allocate(mb)
	_, _ = fmt.Fprintf(w, "allocated %d MiB, holding %d MiB\n", mb, total)
}

// allocate adds mb MiB to the memory the process keeps alive, writing to
// every page so it is resident, and returns the total held in MiB.
func (s *server) allocate(mb int) int {
	s.hogMu.Lock()
	defer s.hogMu.Unlock()
	for range mb {
		b := make([]byte, 1<<20)
		for i := 0; i < len(b); i += 4096 {
			b[i] = 1
		}
		s.hog = append(s.hog, b)
	}
	return len(s.hog)
}

// handleEnv returns the process environment as a JSON object.
func (s *server) handleEnv(w http.ResponseWriter, r *http.Request) {
	env := map[string]string{}
	for _, kv := range os.Environ() {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	writeJSON(w, http.StatusOK, env)
}

// handleArgs returns os.Args as a JSON array.
func (s *server) handleArgs(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, os.Args)
}

// handleFile returns the content of the file ?path, to check bind mounts.
func (s *server) handleFile(w http.ResponseWriter, r *http.Request) {
	path := r.URL.Query().Get("path")
	if path == "" {
		badRequest(w, "missing parameter path")
		return
	}
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		http.Error(w, err.Error(), http.StatusNotFound)
		return
	case err != nil:
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write(data)
}

// intParam returns the integer query parameter name, or def when absent.
func intParam(r *http.Request, name string, def int) (int, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, nil
	}
	return strconv.Atoi(v)
}

// durationParam returns the duration query parameter name ("1s", "250ms";
// a bare number means milliseconds), or def when absent.
func durationParam(r *http.Request, name string, def time.Duration) (time.Duration, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, nil
	}
	if ms, err := strconv.Atoi(v); err == nil && ms >= 0 {
		return time.Duration(ms) * time.Millisecond, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("%s: %q is not a duration (e.g. 1s, 250ms)", name, v)
	}
	return d, nil
}
