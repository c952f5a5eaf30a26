// Package sodartest is a SODAR source site for tests: it serves the remote-site sync endpoint the way SODAR (Django
// REST framework with Accept-header versioning) does, with configurable accepted versions and payloads.
package sodartest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
)

// MediaType is SODAR's sync media type.
const MediaType = "application/vnd.bihealth.sodar-core.projectroles.sync+json"

// Request is what the server saw of one request.
type Request struct {
	Path          string
	Accept        string
	Authorization string
	Status        int
}

// Server is a fake SODAR source.
type Server struct {
	*httptest.Server
	Secret string

	mu       sync.Mutex
	versions []string
	payload  func(version string) []byte
	requests []Request
	raw      []byte // served as-is with 200 when set (malformed answers)
	hold     chan struct{}
}

// New starts a source that accepts versions (newest last is fine) and the secret, serving payload.
func New(t testing.TB, secret string, versions []string, payload func(version string) []byte) *Server {
	t.Helper()
	s := &Server{Secret: secret, versions: versions, payload: payload}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

// SetVersions changes the accepted versions.
func (s *Server) SetVersions(v ...string) {
	s.mu.Lock()
	s.versions = v
	s.mu.Unlock()
}

// SetPayload changes the payload served.
func (s *Server) SetPayload(f func(version string) []byte) {
	s.mu.Lock()
	s.payload, s.raw = f, nil
	s.mu.Unlock()
}

// SetJSON serves v (marshalled) for every version.
func (s *Server) SetJSON(v any) {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	s.SetPayload(func(string) []byte { return b })
}

// SetRaw serves body with status 200 and a JSON content type, whatever it is.
func (s *Server) SetRaw(body []byte) {
	s.mu.Lock()
	s.raw = body
	s.mu.Unlock()
}

// Hold makes requests wait until the returned function is called (to test overlapping syncs).
func (s *Server) Hold() (release func()) {
	ch := make(chan struct{})
	s.mu.Lock()
	s.hold = ch
	s.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			s.mu.Lock()
			s.hold = nil
			s.mu.Unlock()
			close(ch)
		})
	}
}

// Requests returns the requests seen so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

func (s *Server) record(r *http.Request, status int) {
	s.mu.Lock()
	s.requests = append(s.requests, Request{Path: r.URL.Path, Accept: r.Header.Get("Accept"), Authorization: r.Header.Get("Authorization"), Status: status})
	s.mu.Unlock()
}

func writeJSON(w http.ResponseWriter, status int, contentType string, v any) {
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	hold, versions, payload, raw := s.hold, s.versions, s.payload, s.raw
	s.mu.Unlock()
	if hold != nil {
		select {
		case <-hold:
		case <-r.Context().Done():
			return
		}
	}
	const prefix = "/project/api/remote/get/"
	if r.Method != http.MethodGet || !strings.HasPrefix(r.URL.Path, prefix) {
		s.record(r, 404)
		http.NotFound(w, r)
		return
	}
	// DRF authenticates before the view runs: any Authorization header it cannot use is a 401.
	if r.Header.Get("Authorization") != "" {
		s.record(r, 401)
		writeJSON(w, 401, "application/json", map[string]string{"detail": "Invalid token header."})
		return
	}
	if strings.TrimPrefix(r.URL.Path, prefix) != s.Secret {
		s.record(r, 401)
		writeJSON(w, 401, "application/json", "Remote site not found, unauthorized")
		return
	}
	accept := r.Header.Get("Accept")
	version := versions[len(versions)-1]
	if slices.Contains(versions, "2.1") {
		version = "2.1"
	}
	if accept != "" && accept != "*/*" {
		mt, params, _ := strings.Cut(accept, ";")
		if strings.TrimSpace(mt) != MediaType {
			s.record(r, 406)
			writeJSON(w, 406, "application/json", map[string]string{"detail": "Could not satisfy the request Accept header."})
			return
		}
		// The view takes everything after "version=" as the version.
		if i := strings.Index(params, "version="); i >= 0 {
			version = params[i+len("version="):]
			if !slices.Contains(versions, version) {
				s.record(r, 406)
				writeJSON(w, 406, "application/json", map[string]string{"detail": `Invalid version in "Accept" header.`})
				return
			}
		}
	}
	s.record(r, 200)
	ct := MediaType + "; version=" + version
	w.Header().Set("Content-Type", ct)
	if raw != nil {
		_, _ = w.Write(raw)
		return
	}
	_, _ = w.Write(payload(version))
}

// Example returns the full example payload of the reference (testdata/example-<version>.json).
func Example(t testing.TB, version string) []byte {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	b, err := os.ReadFile(filepath.Join(filepath.Dir(file), "..", "testdata", "example-"+version+".json"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// ExamplePayload serves the example in the version requested.
func ExamplePayload(t testing.TB) func(string) []byte {
	ex := map[string][]byte{}
	for _, v := range []string{"1.0", "2.0", "2.1"} {
		ex[v] = Example(t, v)
	}
	return func(v string) []byte { return ex[v] }
}
