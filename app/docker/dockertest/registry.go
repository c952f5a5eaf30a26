package dockertest

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
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

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/build"
	"github.com/moby/moby/api/types/jsonstream"
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

// LayeredImage describes an image that [Registry.PushLayered] builds from the test app image.
type LayeredImage struct {
	// Layers is the number of layers added on top of the test app, each holding one file of LayerSize random
	// bytes (so no two layers, and no two images, share content). Default 3.
	Layers int
	// LayerSize is the size of each added file in bytes. Default 2 MiB.
	LayerSize int
	// Env is set in the image (ENV), e.g. to tell two images of the same tag apart from inside the container.
	Env map[string]string
}

// Pushed is an image in the registry.
type Pushed struct {
	Ref string // reference to pull, host:port/repo:tag
	ID  string // image ID (the config digest, the same after a pull)
	// Layers are the compressed layers in the registry's manifest (the test app's base layer first).
	Layers []Layer
}

// Layer is one layer of a manifest.
type Layer struct {
	Digest string
	Size   int64
}

// PushLayered builds an image FROM the test app with opts' extra layers using the engine's classic builder, tags
// it repoTag in this registry, pushes it (with the registry's credentials) and removes it from the engine again,
// so that only a pull brings it back; the test app image itself, and thus its base layer, stays.
func (r *Registry) PushLayered(t testing.TB, repoTag string, opts LayeredImage) Pushed {
	t.Helper()
	if opts.Layers == 0 {
		opts.Layers = 3
	}
	if opts.LayerSize == 0 {
		opts.LayerSize = 2 << 20
	}
	base := TestAppImage(t)
	ref := r.Ref(repoTag)
	ctx, cancel := context.WithTimeout(context.Background(), PushTimeout)
	defer cancel()

	id, err := buildLayered(ctx, r.cli, base, ref, opts)
	if err != nil {
		t.Fatalf("build %s: %v", ref, err)
	}
	r.mu.Lock()
	r.images = append(r.images, id)
	r.mu.Unlock()
	if err := r.push(ctx, ref); err != nil {
		t.Fatalf("push %s: %v", ref, err)
	}
	if err := removeImage(ctx, r.cli, id); err != nil {
		t.Fatalf("remove %s after the push: %v", ref, err)
	}
	repo, tag, _ := strings.Cut(repoTag, ":")
	layers, err := r.ManifestLayers(ctx, repo, tag)
	if err != nil {
		t.Fatalf("manifest of %s: %v", ref, err)
	}
	if len(layers) != opts.Layers+1 {
		t.Fatalf("manifest of %s has %d layers, want %d (the test app's and %d added)", ref, len(layers), opts.Layers+1,
			opts.Layers)
	}
	return Pushed{Ref: ref, ID: id, Layers: layers}
}

// buildLayered builds ref FROM base with the extra layers and returns its image ID.
func buildLayered(ctx context.Context, cli *client.Client, base, ref string, opts LayeredImage) (string, error) {
	var df strings.Builder
	fmt.Fprintf(&df, "FROM %s\n", base)
	files := map[string][]byte{}
	for i := range opts.Layers {
		data := make([]byte, opts.LayerSize)
		_, _ = rand.Read(data)
		name := fmt.Sprintf("layer%d.bin", i+1)
		files[name] = data
		fmt.Fprintf(&df, "COPY %s /data/%s\n", name, name)
	}
	for _, k := range slices.Sorted(maps.Keys(opts.Env)) {
		fmt.Fprintf(&df, "ENV %s=%q\n", k, opts.Env[k])
	}
	files["Dockerfile"] = []byte(df.String())

	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, name := range slices.Sorted(maps.Keys(files)) {
		hdr := &tar.Header{Name: name, Mode: 0o644, Size: int64(len(files[name])), ModTime: time.Unix(0, 0)}
		if err := tw.WriteHeader(hdr); err != nil {
			return "", err
		}
		if _, err := tw.Write(files[name]); err != nil {
			return "", err
		}
	}
	if err := tw.Close(); err != nil {
		return "", err
	}
	res, err := cli.ImageBuild(ctx, &buf, client.ImageBuildOptions{
		Tags:        []string{ref},
		Dockerfile:  "Dockerfile",
		Remove:      true,
		ForceRemove: true,
		Labels:      map[string]string{TestLabel: "true"},
		Version:     build.BuilderV1,
	})
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	var log strings.Builder
	if err := readStream(res.Body, func(m jsonstream.Message) { log.WriteString(m.Stream) }); err != nil {
		return "", fmt.Errorf("%w\n%s", err, log.String())
	}
	img, err := cli.ImageInspect(ctx, ref)
	if err != nil {
		return "", fmt.Errorf("image missing after build: %w\n%s", err, log.String())
	}
	return img.ID, nil
}

// readStream decodes the engine's JSON message stream, returning the first error message in it.
func readStream(r io.Reader, fn func(jsonstream.Message)) error {
	dec := json.NewDecoder(r)
	for {
		var m jsonstream.Message
		if err := dec.Decode(&m); errors.Is(err, io.EOF) {
			return nil
		} else if err != nil {
			return fmt.Errorf("reading the engine's output: %w", err)
		}
		if m.Error != nil {
			return errors.New(m.Error.Message)
		}
		fn(m)
	}
}

// push pushes ref with the registry's credentials.
func (r *Registry) push(ctx context.Context, ref string) error {
	auth := r.EncodedAuth()
	if auth == "" {
		// The engine wants the header even for a registry without auth.
		b, _ := json.Marshal(registry.AuthConfig{ServerAddress: r.Host})
		auth = base64.URLEncoding.EncodeToString(b)
	}
	res, err := r.cli.ImagePush(ctx, ref, client.ImagePushOptions{RegistryAuth: auth})
	if err != nil {
		return err
	}
	defer res.Close()
	return readStream(res, func(jsonstream.Message) {})
}

// PullRaw pulls ref straight through the engine API with the given encoded credentials ("" for none) and returns
// every message of the engine's progress stream, or the error the engine reported.
func (r *Registry) PullRaw(t testing.TB, ref, encodedAuth string) ([]jsonstream.Message, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), PushTimeout)
	defer cancel()
	res, err := r.cli.ImagePull(ctx, ref, client.ImagePullOptions{RegistryAuth: encodedAuth})
	if err != nil {
		return nil, err
	}
	defer res.Close()
	var msgs []jsonstream.Message
	err = readStream(res, func(m jsonstream.Message) { msgs = append(msgs, m) })
	return msgs, err
}

// RemoveImage removes ref from the engine (not from the registry), so that the next start must pull it again.
func (r *Registry) RemoveImage(t testing.TB, ref string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := removeImage(ctx, r.cli, ref); err != nil {
		t.Fatalf("remove image %s: %v", ref, err)
	}
}

// TagLocal tags the engine's image id as ref, e.g. to put an older image back under a tag that has moved in the
// registry since.
func (r *Registry) TagLocal(t testing.TB, id, ref string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := r.cli.ImageTag(ctx, client.ImageTagOptions{Source: id, Target: ref}); err != nil {
		t.Fatalf("tag %s as %s: %v", id, ref, err)
	}
}

// ImageOf returns the ID of the image the container was created from.
func ImageOf(t testing.TB, containerID string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	ins, err := Client(t).ContainerInspect(ctx, containerID, client.ContainerInspectOptions{})
	if err != nil {
		t.Fatalf("inspect %.12s: %v", containerID, err)
	}
	return ins.Container.Image
}

// removeImage removes an image and its untagged parents; one that is gone is fine.
func removeImage(ctx context.Context, cli *client.Client, ref string) error {
	_, err := cli.ImageRemove(ctx, ref, client.ImageRemoveOptions{Force: true, PruneChildren: true})
	if err != nil && !cerrdefs.IsNotFound(err) {
		return err
	}
	return nil
}

// ManifestLayers reads the layers of repo:tag from the registry's image manifest (schema 2).
func (r *Registry) ManifestLayers(ctx context.Context, repo, tag string) ([]Layer, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+r.Host+"/v2/"+repo+"/manifests/"+tag, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/vnd.docker.distribution.manifest.v2+json")
	if r.opts.Username != "" {
		req.SetBasicAuth(r.opts.Username, r.opts.Password)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("status %d: %s", resp.StatusCode, body)
	}
	var m struct {
		Layers []Layer `json:"layers"`
	}
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, err
	}
	return m.Layers, nil
}

// removeImages force-removes the containers of the images pushed (only tests create them; kiosc's are normally
// removed before) and then every image of the registry: those pushed and whatever else the engine has under the
// registry's host.
func (r *Registry) removeImages(ctx context.Context) error {
	r.mu.Lock()
	ids := slices.Clone(r.images)
	r.mu.Unlock()
	var errs []error
	for _, id := range ids {
		cs, err := r.cli.ContainerList(ctx, client.ContainerListOptions{All: true,
			Filters: make(client.Filters).Add("ancestor", id)})
		if err != nil && !cerrdefs.IsNotFound(err) {
			errs = append(errs, err)
			continue
		}
		for _, c := range cs.Items {
			if err := removeContainer(ctx, r.cli, c.ID); err != nil {
				errs = append(errs, err)
			}
		}
	}
	imgs, err := r.cli.ImageList(ctx, client.ImageListOptions{All: true})
	if err != nil {
		return errors.Join(append(errs, err)...)
	}
	for _, img := range imgs.Items {
		ours := slices.Contains(ids, img.ID)
		for _, ref := range slices.Concat(img.RepoTags, img.RepoDigests) {
			ours = ours || strings.HasPrefix(ref, r.Host+"/")
		}
		if ours {
			if err := removeImage(ctx, r.cli, img.ID); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}
