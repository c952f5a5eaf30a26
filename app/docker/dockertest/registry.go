package dockertest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/moby/moby/api/types/registry"
	"github.com/moby/moby/client"
	"golang.org/x/crypto/bcrypt"
)

const (
	// RegistryBinary is the registry (Docker distribution v2) of Debian's docker-registry package.
	RegistryBinary = "/usr/bin/docker-registry"
	// RegistryScript installs RegistryBinary (relative to the module root).
	RegistryScript = "scripts/ensure-registry.sh"
	// RegistryStartTimeout bounds waiting for a started registry to answer /v2/.
	RegistryStartTimeout = 20 * time.Second
	// PushTimeout bounds building and pushing one image.
	PushTimeout = 3 * time.Minute
)

var (
	registryOnce sync.Once
	registryErr  error
)

// RegistryOptions configures [StartRegistry].
type RegistryOptions struct {
	// Username and Password, when Username is set, make the registry demand HTTP basic auth (htpasswd).
	Username, Password string
	// BlobBytesPerSecond, when positive, limits the rate at which each blob (layer) download is served, so that a
	// pull takes long enough to report progress repeatedly.
	BlobBytesPerSecond int64
}

// Registry is a Docker distribution registry serving plain HTTP on 127.0.0.1 for one test. The Docker engine
// treats registries on 127.0.0.0/8 as insecure and so speaks HTTP to it; it runs in the host's network namespace,
// where the registry's loopback address is reachable.
type Registry struct {
	// Host is "127.0.0.1:port", the registry part of image references.
	Host string
	opts RegistryOptions
	cli  *client.Client

	mu       sync.Mutex
	images   []string // IDs of the images pushed, removed from the engine at the end
	requests []RegistryRequest
}

// RegistryRequest is one request the registry answered.
type RegistryRequest struct {
	Method string
	Path   string
	Status int
	// Authorized: the request carried an Authorization header.
	Authorized bool
}

// StartRegistry starts a registry process for the test on a free 127.0.0.1 port with its own storage and a
// generated configuration, behind a small proxy in this process that records the requests (and throttles blob
// downloads if asked). Without the registry binary it runs scripts/ensure-registry.sh when KIOSC_REQUIRE_DOCKER=1
// (installing Debian's docker-registry as root on Debian) and fails the test if that does not provide it; otherwise
// the test is skipped. The registry is stopped, and every image of it removed from the engine, when the test ends.
// Start it before anything that creates containers of its images, so that those are removed first.
func StartRegistry(t testing.TB, opts RegistryOptions) *Registry {
	t.Helper()
	cli := Client(t)
	ensureRegistryBinary(t)
	dir := t.TempDir()
	if opts.Username != "" {
		hash, err := bcrypt.GenerateFromPassword([]byte(opts.Password), bcrypt.MinCost)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "htpasswd"), []byte(opts.Username+":"+string(hash)+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	backend := startRegistryProcess(t, dir, opts.Username != "")

	r := &Registry{opts: opts, cli: cli}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r.Host = ln.Addr().String()
	target := &url.URL{Scheme: "http", Host: backend}
	proxy := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			// The registry builds upload locations from the Host header, which must name the proxy.
			pr.Out.Host = pr.In.Host
		},
		ModifyResponse: r.modifyResponse,
	}
	srv := &http.Server{Handler: proxy, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := r.removeImages(ctx); err != nil {
			t.Errorf("remove the images of registry %s: %v", r.Host, err)
		}
		_ = srv.Close()
	})
	if err := waitRegistry("http://"+r.Host+"/v2/", nil); err != nil {
		t.Fatalf("registry proxy %s: %v", r.Host, err)
	}
	return r
}

// ensureRegistryBinary makes sure RegistryBinary exists, running RegistryScript at most once per test process (and
// one process at a time) when KIOSC_REQUIRE_DOCKER=1.
func ensureRegistryBinary(t testing.TB) {
	t.Helper()
	if _, err := os.Stat(RegistryBinary); err == nil {
		return
	}
	if os.Getenv(RequireEnv) != "1" {
		t.Skipf("%s is missing: run `make test` as root on Debian, or %s, which installs Debian's docker-registry",
			RegistryBinary, RegistryScript)
	}
	registryOnce.Do(func() {
		root, err := moduleRoot()
		if err != nil {
			registryErr = err
			return
		}
		unlock := lockFile(filepath.Join(os.TempDir(), "kiosc-ensure-registry.lock"))
		defer unlock()
		if _, err := os.Stat(RegistryBinary); err == nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, filepath.Join(root, RegistryScript))
		cmd.Dir = root
		out, err := cmd.CombinedOutput()
		t.Logf("%s:\n%s", RegistryScript, out)
		if err != nil {
			registryErr = fmt.Errorf("%s: %w\n%s", RegistryScript, err, out)
		} else if _, err := os.Stat(RegistryBinary); err != nil {
			registryErr = fmt.Errorf("%s succeeded, but %s is still missing: %w", RegistryScript, RegistryBinary, err)
		}
	})
	if registryErr != nil {
		t.Fatalf("the registry tests need %s (Debian's docker-registry), and it could not be installed: %v",
			RegistryBinary, registryErr)
	}
}

// registryConfig is the registry's configuration: plain HTTP on loopback, storage in the test's directory, no
// health checks, deletion allowed, htpasswd basic auth if asked.
const registryConfig = `version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: %s
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: %s
  secret: %s
  headers:
    X-Content-Type-Options: [nosniff]
%s`

const registryAuthConfig = `auth:
  htpasswd:
    realm: kiosc-test
    path: %s
`

// startRegistryProcess starts the registry on a free loopback port and returns its address once /v2/ answers. A
// port taken by someone else between choosing and binding it is retried with another.
func startRegistryProcess(t testing.TB, dir string, auth bool) string {
	t.Helper()
	var lastErr error
	for range 5 {
		addr, err := freeLoopbackAddr()
		if err != nil {
			t.Fatal(err)
		}
		secret := make([]byte, 16)
		_, _ = rand.Read(secret)
		authCfg := ""
		if auth {
			authCfg = fmt.Sprintf(registryAuthConfig, filepath.Join(dir, "htpasswd"))
		}
		cfgPath := filepath.Join(dir, "config.yml")
		cfg := fmt.Sprintf(registryConfig, filepath.Join(dir, "storage"), addr, hex.EncodeToString(secret), authCfg)
		if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
			t.Fatal(err)
		}
		var logs syncBuffer
		cmd := exec.Command(RegistryBinary, "serve", cfgPath)
		// Settings come from the file only: the registry reads REGISTRY_* variables as overrides.
		cmd.Env = slices.DeleteFunc(os.Environ(), func(s string) bool { return strings.HasPrefix(s, "REGISTRY_") })
		cmd.Stdout, cmd.Stderr = &logs, &logs
		if err := cmd.Start(); err != nil {
			t.Fatalf("start %s: %v", RegistryBinary, err)
		}
		exited := make(chan struct{})
		go func() { _ = cmd.Wait(); close(exited) }()
		stop := func() {
			_ = cmd.Process.Signal(os.Interrupt)
			select {
			case <-exited:
			case <-time.After(5 * time.Second):
				_ = cmd.Process.Kill()
				<-exited
			}
		}
		err = waitRegistry("http://"+addr+"/v2/", exited)
		if err == nil {
			t.Cleanup(func() {
				stop()
				if t.Failed() {
					t.Logf("registry %s log:\n%s", addr, logs.String())
				}
			})
			return addr
		}
		stop()
		lastErr = fmt.Errorf("%w; log:\n%s", err, logs.String())
		if !strings.Contains(logs.String(), "address already in use") {
			break
		}
	}
	t.Fatalf("registry did not start: %v", lastErr)
	return ""
}

// freeLoopbackAddr returns a 127.0.0.1 address whose port was free a moment ago.
func freeLoopbackAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// waitRegistry polls url until the registry answers /v2/ (200, or 401 with auth), failing early when exited is
// closed.
func waitRegistry(url string, exited <-chan struct{}) error {
	hc := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(RegistryStartTimeout)
	for {
		resp, err := hc.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusUnauthorized {
				return nil
			}
			err = fmt.Errorf("status %d", resp.StatusCode)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s did not answer: %w", url, err)
		}
		select {
		case <-exited:
			return fmt.Errorf("registry exited before %s answered", url)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// syncBuffer is a bytes.Buffer safe for the process's writes and the test's reads.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

var blobPath = regexp.MustCompile(`^/v2/.+/blobs/sha256:[0-9a-f]{64}$`)

// modifyResponse records the request and throttles blob downloads.
func (r *Registry) modifyResponse(resp *http.Response) error {
	req := resp.Request
	r.mu.Lock()
	r.requests = append(r.requests, RegistryRequest{Method: req.Method, Path: req.URL.Path, Status: resp.StatusCode,
		Authorized: req.Header.Get("Authorization") != ""})
	r.mu.Unlock()
	if r.opts.BlobBytesPerSecond > 0 && req.Method == http.MethodGet && resp.StatusCode == http.StatusOK &&
		blobPath.MatchString(req.URL.Path) {
		resp.Body = &throttled{rc: resp.Body, rate: r.opts.BlobBytesPerSecond, start: time.Now()}
	}
	return nil
}

// throttled reads at most rate bytes per second on average.
type throttled struct {
	rc    io.ReadCloser
	rate  int64
	start time.Time
	n     int64
}

func (t *throttled) Read(p []byte) (int, error) {
	// Small reads keep the flow even: a tenth of a second's worth at a time.
	if chunk := max(t.rate/10, 1); int64(len(p)) > chunk {
		p = p[:chunk]
	}
	if due := t.start.Add(time.Duration(t.n * int64(time.Second) / t.rate)); time.Until(due) > 0 {
		time.Sleep(time.Until(due))
	}
	n, err := t.rc.Read(p)
	t.n += int64(n)
	return n, err
}

func (t *throttled) Close() error { return t.rc.Close() }

// Requests returns the requests the registry answered so far.
func (r *Registry) Requests() []RegistryRequest {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.requests)
}

// Ref returns the reference of repoTag ("repo/name:tag") in this registry.
func (r *Registry) Ref(repoTag string) string { return r.Host + "/" + repoTag }

// EncodedAuth returns the registry's credentials encoded for the engine's X-Registry-Auth header (as kiosc's pulls
// encode them), or "" without credentials.
func (r *Registry) EncodedAuth() string {
	if r.opts.Username == "" {
		return ""
	}
	b, _ := json.Marshal(registry.AuthConfig{Username: r.opts.Username, Password: r.opts.Password, ServerAddress: r.Host})
	return base64.URLEncoding.EncodeToString(b)
}
