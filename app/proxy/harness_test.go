package proxy_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/bihealth/kiosc/app/access"
	"github.com/bihealth/kiosc/app/auth"
	"github.com/bihealth/kiosc/app/docker/dockertest"
	"github.com/bihealth/kiosc/app/events"
	"github.com/bihealth/kiosc/app/metrics"
	"github.com/bihealth/kiosc/app/proxy"
	"github.com/bihealth/kiosc/app/routing"
	"github.com/bihealth/kiosc/app/secrets"
	"github.com/bihealth/kiosc/app/server"
	"github.com/bihealth/kiosc/app/store"
	"github.com/bihealth/kiosc/app/store/storetest"
)

// fakeContainers stands in for the lifecycle: a fixed table of targets and a count of Touch calls.
type fakeContainers struct {
	mu      sync.Mutex
	targets map[string]proxy.Target
	touches map[string]int
}

func (f *fakeContainers) Upstream(_ context.Context, uuid string) (proxy.Target, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	t, ok := f.targets[uuid]
	if !ok {
		return proxy.Target{}, fmt.Errorf("container %s: %w", uuid, store.ErrNotFound)
	}
	return t, nil
}

func (f *fakeContainers) Touch(uuid string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.touches[uuid]++
}

func (f *fakeContainers) set(t proxy.Target) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.targets[t.ContainerUUID] = t
}

func (f *fakeContainers) touched(uuid string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.touches[uuid]
}

// env is a kiosc server with the proxy on a real TCP listener, a project with members of every role, and one
// test app container behind two container records (prefix stripped and kept).
type env struct {
	t       testing.TB
	base    string // http://127.0.0.1:port
	st      *store.Store
	auth    *auth.Service
	keys    *secrets.Keys
	log     *slog.Logger
	bus     *events.Bus
	proxy   *proxy.Proxy
	fake    *fakeContainers
	project *store.Project
	// appAddr is the test app's published port (direct access).
	appAddr string
	// strip and keep are container UUIDs served from the test app; the keep one runs the app with BASE_PATH.
	strip, keep string
	// domain, when set before serve, turns on subdomain mode.
	domain string
	// appOrigin, when set before serve, turns on app-origin mode: apps are served on appBase (another port).
	appOrigin bool
	appBase   string
	// sharing and open, when set before serve, are the proxy's Options.Sharing and Options.Open; startLimit its
	// limit of anonymous starts per address (0: the default).
	sharing    proxy.Sharing
	open       func(ctx context.Context, user *store.User, uuid string) error
	startLimit int
}

// Container UUIDs of the fake lifecycle; the keep one's app is started with BASE_PATH set to its prefix.
const (
	keepUUID  = "7f1c2e0a-0000-4000-8000-00000000beef"
	stripUUID = "7f1c2e0a-0000-4000-8000-00000000cafe"
)

func newEnv(t *testing.T) *env {
	t.Helper()
	dockertest.Client(t)
	stripApp, _ := dockertest.RunTestApp(t, dockertest.RunOptions{})
	keepApp, _ := dockertest.RunTestApp(t, dockertest.RunOptions{Env: []string{"BASE_PATH=" + proxy.PathPrefix + keepUUID + "/"}})
	return newEnvWith(t, stripApp, keepApp)
}

func newEnvWith(t *testing.T, stripApp, keepApp string) *env {
	t.Helper()
	e := newBase(t)
	fake := &fakeContainers{targets: map[string]proxy.Target{}, touches: map[string]int{}}
	e.fake, e.appAddr, e.strip, e.keep = fake, stripApp, stripUUID, keepUUID
	fake.set(proxy.Target{ContainerUUID: stripUUID, ProjectUUID: e.project.UUID, State: store.StateRunning, Addr: stripApp, StripPrefix: true})
	fake.set(proxy.Target{ContainerUUID: keepUUID, ProjectUUID: e.project.UUID, State: store.StateRunning, Addr: keepApp})
	e.serve(fake)
	return e
}

// newBase creates the store, authentication, bus and a project; serve starts kiosc.
func newBase(t testing.TB) *env {
	t.Helper()
	st := storetest.New(t)
	keys, err := secrets.New([]byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, st: st, keys: keys, bus: events.New(nil), log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if testing.Verbose() {
		e.log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	e.auth = auth.NewService(st, keys, e.log, auth.Options{SessionLifetime: time.Hour, LocalLogin: true})
	e.project = &store.Project{Title: "P", Type: "PROJECT", Source: "local"}
	if err := st.CreateProject(context.Background(), e.project); err != nil {
		t.Fatal(err)
	}
	return e
}

// serve starts kiosc's server with the proxy in front of containers on a real TCP listener.
func (e *env) serve(containers proxy.Containers) {
	t := e.t
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	e.base = "http://" + ln.Addr().String()
	baseURL, _ := url.Parse(e.base)
	apps := routing.Apps{Mode: routing.Path, Base: baseURL}
	var appLn net.Listener
	switch {
	case e.domain != "":
		apps = routing.Apps{Mode: routing.Subdomain, Base: baseURL, Domain: e.domain}
	case e.appOrigin:
		if appLn, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			t.Fatal(err)
		}
		e.appBase = "http://" + appLn.Addr().String()
		appBase, _ := url.Parse(e.appBase)
		apps = routing.Apps{Mode: routing.AppOrigin, Base: baseURL, AppBase: appBase}
	}
	e.proxy = proxy.New(proxy.Options{Containers: containers, Auth: e.auth, Checker: access.NewChecker(e.st), Bus: e.bus,
		BaseURL: baseURL, Log: e.log, RecheckInterval: 500 * time.Millisecond, Apps: apps, Sessions: e.st,
		Sharing: e.sharing, Open: e.open, AnonymousStartsPerMinute: e.startLimit})
	m := metrics.New("test", nil)
	if appLn != nil {
		appSrv := server.NewApps(server.AppDeps{Log: e.log, Metrics: m, Apps: e.proxy.AppListener()})
		go func() { _ = appSrv.Serve(appLn) }()
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = appSrv.Shutdown(ctx)
		})
	}
	srv := server.New(server.Deps{
		BaseURL: baseURL, Log: e.log, Auth: e.auth, Metrics: m,
		SPA:        fstest.MapFS{"index.html": {Data: []byte("<title>kiosc</title>")}},
		Front:      []server.Module{e.proxy.Subdomains()},
		Root:       []server.Module{e.proxy},
		OnShutdown: []func(){e.proxy.Close},
	})
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	})
}

// member creates a user with the role in the env's project ("" = no role, "superuser").
func (e *env) member(name, role string) *store.User {
	e.t.Helper()
	ctx := context.Background()
	u := &store.User{Username: name, Name: name, IsActive: true, Source: "local", IsSuperuser: role == "superuser"}
	if err := e.st.CreateUser(ctx, u); err != nil {
		e.t.Fatal(err)
	}
	if role != "" && role != "superuser" {
		if err := e.st.UpdateRole(ctx, &store.RoleAssignment{ProjectID: e.project.ID, UserID: u.ID, Role: role, Source: "local"}); err != nil {
			e.t.Fatal(err)
		}
	}
	return u
}

// session logs u in and returns the session cookie value and CSRF token.
func (e *env) session(u *store.User) (cookie, csrf string) {
	e.t.Helper()
	se, cookie, err := e.auth.StartSession(context.Background(), u, "local", "", "127.0.0.1", "test")
	if err != nil {
		e.t.Fatal(err)
	}
	return cookie, se.CSRFToken
}

// token issues an API token for u.
func (e *env) token(u *store.User) string {
	e.t.Helper()
	_, secret, err := e.auth.CreateToken(context.Background(), u, "test", 0)
	if err != nil {
		e.t.Fatal(err)
	}
	return secret
}

// url is the proxy URL of a container path.
func (e *env) url(uuid, rest string) string { return e.base + proxy.PathPrefix + uuid + rest }

// client does not follow redirects, so tests see them.
var client = &http.Client{
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	Transport:     &http.Transport{DisableCompression: true, MaxIdleConnsPerHost: 16},
}

// do sends a request with a session cookie (if cookie != "") and extra headers ("Name: value").
func do(t *testing.T, method, u, cookie string, body io.Reader, headers ...string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	if cookie != "" {
		req.AddCookie(&http.Cookie{Name: "kiosc_session", Value: cookie})
	}
	for _, h := range headers {
		k, v, _ := strings.Cut(h, ":")
		req.Header.Add(strings.TrimSpace(k), strings.TrimSpace(v))
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

func readAll(t *testing.T, r *http.Response) string {
	t.Helper()
	defer r.Body.Close()
	b, err := io.ReadAll(r.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
