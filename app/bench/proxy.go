package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing/fstest"
	"time"

	"github.com/bihealth/kiosc/app/access"
	"github.com/bihealth/kiosc/app/auth"
	"github.com/bihealth/kiosc/app/events"
	"github.com/bihealth/kiosc/app/lifecycle"
	"github.com/bihealth/kiosc/app/metrics"
	"github.com/bihealth/kiosc/app/proxy"
	"github.com/bihealth/kiosc/app/routing"
	"github.com/bihealth/kiosc/app/secrets"
	"github.com/bihealth/kiosc/app/server"
	"github.com/bihealth/kiosc/app/store"
)

// Load parameters: the same for direct and proxied runs.
const (
	benchConcurrency = 16
	benchDuration    = 3 * time.Second
	benchRounds      = 5
	wsRoundTrips     = 2000
	openTunnels      = 500
	benchContainer   = "0b5e7c1a-0000-4000-8000-000000000001"
)

// benchFake is the lifecycle stand-in: one running container whose address the bench may switch.
type benchFake struct {
	mu sync.Mutex
	t  proxy.Target
}

func (f *benchFake) Upstream(context.Context, string) (proxy.Target, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.t, nil
}
func (f *benchFake) Touch(string) {}

// proxyBench holds what the proxy sections share.
type proxyBench struct {
	appAddr   string // test app container, published port
	upstream  string // where kiosc goes: the bridge address when kiosc is on that network (as the lifecycle decides)
	kioscBase string // http://127.0.0.1:port
	appBase   string // the app listener (app-origin mode, the default)
	token     string
	// appCookie is the Cookie header a browser signed in to the app sends to the app listener.
	appCookie string
	fake      *benchFake
	proxy     *proxy.Proxy
	cleanup   []func()
}

func (b *proxyBench) close() {
	for i := len(b.cleanup) - 1; i >= 0; i-- {
		b.cleanup[i]()
	}
}

// setupProxyBench starts the test app in Docker and kiosc's proxy in this process with a real store, an API token
// and the permission checker, so every proxied request is authenticated and authorized like in production.
func setupProxyBench(ctx context.Context) (*proxyBench, error) {
	b := &proxyBench{}
	ok := false
	defer func() {
		if !ok {
			b.close()
		}
	}()
	addr, bridgeIP, stop, err := runTestApp(ctx)
	if err != nil {
		return nil, err
	}
	b.cleanup = append(b.cleanup, stop)
	b.appAddr, b.upstream = addr, addr
	if ifaddrs, err := net.InterfaceAddrs(); err == nil && lifecycle.OnLocalNetwork(ifaddrs, bridgeIP) {
		b.upstream = net.JoinHostPort(bridgeIP, "8080")
	}

	dir, err := os.MkdirTemp("", "kiosc-bench-proxy-")
	if err != nil {
		return nil, err
	}
	b.cleanup = append(b.cleanup, func() { os.RemoveAll(dir) })
	st, err := openStore(ctx, dir)
	if err != nil {
		return nil, err
	}
	b.cleanup = append(b.cleanup, func() { st.Close() })
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	keys, err := secrets.New([]byte("bench-bench-bench-bench-bench-32"))
	if err != nil {
		return nil, err
	}
	authSvc := auth.NewService(st, keys, log, auth.Options{SessionLifetime: time.Hour, LocalLogin: true})
	proj := &store.Project{Title: "bench", Type: "PROJECT", Source: "local"}
	if err := st.CreateProject(ctx, proj); err != nil {
		return nil, err
	}
	u := &store.User{Username: "bench", Name: "bench", IsActive: true, Source: "local"}
	if err := st.CreateUser(ctx, u); err != nil {
		return nil, err
	}
	if err := st.UpdateRole(ctx, &store.RoleAssignment{ProjectID: proj.ID, UserID: u.ID, Role: "guest", Source: "local"}); err != nil {
		return nil, err
	}
	if _, b.token, err = authSvc.CreateToken(ctx, u, "bench", 0); err != nil {
		return nil, err
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	appLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		ln.Close()
		return nil, err
	}
	b.kioscBase, b.appBase = "http://"+ln.Addr().String(), "http://"+appLn.Addr().String()
	base, _ := url.Parse(b.kioscBase)
	appBase, _ := url.Parse(b.appBase)
	b.fake = &benchFake{t: proxy.Target{ContainerUUID: benchContainer, ProjectUUID: proj.UUID, State: store.StateRunning,
		Addr: b.upstream, StripPrefix: true}}
	b.proxy = proxy.New(proxy.Options{Containers: b.fake, Auth: authSvc, Checker: access.NewChecker(st), Bus: events.New(nil), BaseURL: base, Log: log,
		Apps: routing.Apps{Mode: routing.AppOrigin, Base: base, AppBase: appBase}, Sessions: st})
	m := metrics.New("bench", nil)
	srv := server.New(server.Deps{BaseURL: base, Log: log, Auth: authSvc, Metrics: m,
		SPA: fstest.MapFS{"index.html": {Data: []byte("kiosc")}}, Root: []server.Module{b.proxy}, OnShutdown: []func(){b.proxy.Close}})
	appSrv := server.NewApps(server.AppDeps{Log: log, Metrics: m, Apps: b.proxy.AppListener()})
	go func() { _ = srv.Serve(ln) }()
	go func() { _ = appSrv.Serve(appLn) }()
	b.cleanup = append(b.cleanup, func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
		_ = appSrv.Shutdown(sctx)
	})
	_, session, err := authSvc.StartSession(ctx, u, "local", "", "127.0.0.1", "bench")
	if err != nil {
		return nil, err
	}
	if b.appCookie, err = signInToApp(ctx, b.kioscBase, b.appBase+proxy.PathPrefix+benchContainer+"/health", session); err != nil {
		return nil, fmt.Errorf("sign-in to the app listener: %w", err)
	}
	ok = true
	return b, nil
}

// signInToApp goes through the sign-in of app-origin mode as a browser with kiosc's session would and returns the
// Cookie header the browser then sends to the app.
func signInToApp(ctx context.Context, kioscBase, appURL, session string) (string, error) {
	jar, _ := cookiejar.New(nil)
	kiosc, _ := url.Parse(kioscBase)
	jar.SetCookies(kiosc, []*http.Cookie{{Name: "kiosc_session", Value: session, Path: "/"}})
	hc := &http.Client{Jar: jar}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, appURL, nil)
	if err != nil {
		return "", err
	}
	req.Header.Set("Sec-Fetch-Mode", "navigate")
	resp, err := hc.Do(req)
	if err != nil {
		return "", err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("status %d", resp.StatusCode)
	}
	app, _ := url.Parse(appURL)
	for _, c := range jar.Cookies(app) {
		if c.Name == proxy.AppCookie {
			return "Cookie: " + c.Name + "=" + c.Value, nil
		}
	}
	return "", errors.New("no app cookie after the sign-in")
}

// appURL is the app listener's URL of a path of the test app.
func (b *proxyBench) appURL(path string) string {
	return b.appBase + proxy.PathPrefix + benchContainer + path
}

// setUpstream points the container at addr, past the proxy's short target cache.
func (b *proxyBench) setUpstream(addr string) {
	b.fake.mu.Lock()
	b.fake.t.Addr = addr
	b.fake.mu.Unlock()
	time.Sleep(2500 * time.Millisecond)
}

// proxyURL is the kiosc URL of a path of the test app.
func (b *proxyBench) proxyURL(path string) string {
	return b.kioscBase + proxy.PathPrefix + benchContainer + path
}

// endpoint is one way to the test app that the load generator measures.
type endpoint struct {
	name string
	url  func(path string) string
	cred string
	// cpu is the CPU time the proxy in between has used so far (nil for direct access); proc names that process
	// (two endpoints may share one).
	cpu  func() time.Duration
	proc string
}

// throughputCase is one load of the proxy benchmark.
type throughputCase struct {
	name, path string
	conns      int
	// rate > 0 sends that many requests per second in all instead of as many as the connections take.
	rate int
	// together runs the endpoints at the same time (each with its own connections and rate) instead of in turn, so
	// that the machine's moments of load fall on all of them alike.
	together bool
	// target is the throughput kiosc must reach relative to nginx (0: no target); maxAddedP99 bounds kiosc's p99
	// over direct access (0: no bound).
	target      float64
	maxAddedP99 time.Duration
}

// throughputCases are the loads the proxy benchmark measures.
var throughputCases = []throughputCase{
	{name: "small responses (/health), 64 connections", path: "/health", conns: 64, target: 1.0},
	{name: "small responses at 500 req/s, 64 connections, all endpoints at once", path: "/health", conns: 64, rate: 500, together: true,
		maxAddedP99: time.Millisecond},
	{name: "1 MiB responses, 16 connections", path: "/download?size=1m", conns: 16, target: 1.0},
	{name: "small responses, one connection", path: "/health", conns: 1},
}

// benchProxyThroughput compares requests per second and latency of direct access to the app, nginx and kiosc (on
// its own origin with an API token, and on the app listener with a browser's app cookie), all going to the same
// upstream address at the same concurrency, with the load generator in a separate process.
func benchProxyThroughput(ctx context.Context) ([]row, error) {
	loadAvg := "unknown"
	if la, err := os.ReadFile("/proc/loadavg"); err == nil {
		loadAvg = strings.Join(strings.Fields(string(la))[:3], " ")
	}
	b, err := setupProxyBench(ctx)
	if err != nil {
		return nil, err
	}
	defer b.close()
	self := func() time.Duration { return cpuOf(os.Getpid()) }
	endpoints := []endpoint{
		{name: "direct", url: func(path string) string { return "http://" + b.upstream + path }},
	}
	nginxNote := ""
	ngx, err := startNginx(ctx, b.upstream, proxy.PathPrefix+benchContainer)
	if err != nil {
		nginxNote = "nginx not measured: " + err.Error()
	} else {
		defer ngx.stop()
		endpoints = append(endpoints, endpoint{name: "nginx", cpu: ngx.cpu, proc: "nginx",
			url: func(path string) string { return ngx.base + proxy.PathPrefix + benchContainer + path }})
	}
	endpoints = append(endpoints,
		endpoint{name: "kiosc, API token", url: b.proxyURL, cred: b.token, cpu: self, proc: "kiosc"},
		endpoint{name: "kiosc app listener, app cookie", url: b.appURL, cred: b.appCookie, cpu: self, proc: "kiosc"},
	)
	var rows []row
	for _, tc := range throughputCases {
		if only := os.Getenv("KIOSC_BENCH_CASES"); only != "" && !strings.Contains(tc.name, only) {
			continue
		}
		res, cpu, err := measureEndpoints(ctx, endpoints, tc)
		if err != nil {
			return nil, err
		}
		direct := median(res[0])
		var nginx *loadResult
		if ngx != nil {
			m := median(res[1])
			nginx = &m
		}
		for i, e := range endpoints {
			m := median(res[i])
			note := ""
			switch {
			case i == 0:
				note = fmt.Sprintf("%d connection(s) to %s, median of %d rounds of %v; the endpoints take turns in each round", tc.conns, b.upstream, benchRounds, benchDuration)
				if tc.together {
					note = fmt.Sprintf("%d connection(s) to %s, median of %d rounds of %v; all endpoints run at the same time, each with its own connections", tc.conns, b.upstream, benchRounds, benchDuration)
				}
				if tc.rate > 0 {
					note += fmt.Sprintf("; %d requests per second per endpoint, latency counted from when each was due", tc.rate)
				}
				p99s := make([]time.Duration, 0, len(res[0]))
				for _, r := range res[0] {
					p99s = append(p99s, r.P99)
				}
				note += fmt.Sprintf("; its p99 ranged %.2f-%.2f ms over the rounds (the machine's own noise)", ms(slices.Min(p99s)), ms(slices.Max(p99s)))
			case e.name == "nginx":
				note = fmt.Sprintf("ratio %.2f to direct, p99 %+.2f ms; nginx: %.0f µs CPU per request", m.RPS/direct.RPS, ms(m.P99-direct.P99), perRequest(cpu[i], sum(res[i])))
			default:
				note = fmt.Sprintf("ratio %.2f to direct, p99 %+.2f ms; kiosc: %.0f µs CPU per request", m.RPS/direct.RPS, ms(m.P99-direct.P99), perRequest(cpu[i], sum(res[i])))
				if nginx != nil {
					ratio := m.RPS / nginx.RPS
					note = fmt.Sprintf("%.2fx nginx (p99 %+.2f ms), ", ratio, ms(m.P99-nginx.P99)) + note
					if tc.target > 0 {
						note += fmt.Sprintf(" [target >= %.1fx nginx: %s]", tc.target, verdict(ratio >= tc.target))
					}
				}
				if tc.maxAddedP99 > 0 {
					note += fmt.Sprintf(" [target p99 <= direct %+.0f ms: %s]", ms(tc.maxAddedP99), verdict(m.P99-direct.P99 <= tc.maxAddedP99))
				}
			}
			rows = append(rows, row{tc.name + ", " + e.name, m.String(), note})
		}
	}
	if b.upstream != b.appAddr {
		// What kiosc costs where it cannot reach the bridge (rootless Docker, Docker Desktop): its hop comes on top
		// of Docker's userland proxy.
		hostPort := b.appAddr[strings.LastIndexByte(b.appAddr, ':')+1:]
		b.setUpstream(b.appAddr)
		u0 := cpuOf(dockerProxyPID(hostPort))
		direct, err := loadgen(ctx, "http://"+b.appAddr+"/health", "", benchConcurrency, benchDuration)
		if err != nil {
			return nil, err
		}
		userland := cpuOf(dockerProxyPID(hostPort)) - u0
		through, err := loadgen(ctx, b.proxyURL("/health"), b.token, benchConcurrency, benchDuration)
		if err != nil {
			return nil, err
		}
		b.setUpstream(b.upstream)
		rows = append(rows,
			row{"small responses, through kiosc to the published port", through.String(),
				fmt.Sprintf("ratio %.2f to the published port (%s; Docker's userland proxy: %.0f µs CPU per request), p99 %+.2f ms: kiosc's hop on top of Docker's userland proxy, as where kiosc cannot reach the bridge (rootless Docker, Docker Desktop)",
					through.RPS/direct.RPS, direct.String(), perRequest(userland, direct), ms(through.P99-direct.P99))})
	}
	d, t, err := wsEcho(ctx, b)
	if err != nil {
		return nil, err
	}
	method := fmt.Sprintf("direct = the app's address %s, which kiosc and nginx also go to (the container's bridge address when this machine is on the bridge, as the lifecycle decides). nginx %s: 1 worker, keepalive to the upstream, proxy_buffering off, the forwarding headers kiosc sets. kiosc authenticates an API token (its own origin) or a browser's app cookie (the app listener) and checks the role on every request. Load generator: this binary re-executed as a separate process (fasthttp client, GOMAXPROCS=1) on the same %d-CPU machine as kiosc, nginx and the app (load average before: %s)",
		b.upstream, nginxVersion(), runtime.NumCPU(), loadAvg)
	if nginxNote != "" {
		method += "; " + nginxNote
	}
	rows = append(rows,
		row{"websocket echo, direct", fmt.Sprintf("p50 %.3f ms, p99 %.3f ms", ms(d[0]), ms(d[1])), fmt.Sprintf("%d sequential round trips of 64 bytes", wsRoundTrips)},
		row{"websocket echo, through kiosc", fmt.Sprintf("p50 %.3f ms, p99 %.3f ms", ms(t[0]), ms(t[1])), fmt.Sprintf("p99 %+.3f ms", ms(t[1]-d[1]))},
		row{"method", "", method},
	)
	return rows, nil
}

// measureEndpoints warms every endpoint and then runs benchRounds rounds in which each endpoint gets one run of
// benchDuration in turn (the starting endpoint rotates), so that a change in the machine's load (other tenants of the
// host) affects all of them alike. It returns each endpoint's runs and the CPU time of its proxy over them.
func measureEndpoints(ctx context.Context, endpoints []endpoint, tc throughputCase) ([][]loadResult, []time.Duration, error) {
	for _, e := range endpoints {
		if _, err := loadgenRate(ctx, e.url(tc.path), e.cred, tc.conns, tc.rate, time.Second); err != nil {
			return nil, nil, fmt.Errorf("%s: %w", e.name, err)
		}
	}
	res := make([][]loadResult, len(endpoints))
	cpu := make([]time.Duration, len(endpoints))
	if tc.together {
		return measureTogether(ctx, endpoints, tc, res, cpu)
	}
	for r := range benchRounds {
		for k := range endpoints {
			i := (r + k) % len(endpoints)
			e := endpoints[i]
			var c0 time.Duration
			if e.cpu != nil {
				c0 = e.cpu()
			}
			l, err := loadgenRate(ctx, e.url(tc.path), e.cred, tc.conns, tc.rate, benchDuration)
			if err != nil {
				return nil, nil, fmt.Errorf("%s: %w", e.name, err)
			}
			if e.cpu != nil {
				cpu[i] += e.cpu() - c0
			}
			res[i] = append(res[i], l)
		}
	}
	return res, cpu, nil
}

// measureTogether runs benchRounds rounds in which every endpoint has its own load generator at the same time. A
// process's CPU time over a round is shared among its endpoints by their requests.
func measureTogether(ctx context.Context, endpoints []endpoint, tc throughputCase, res [][]loadResult, cpu []time.Duration) ([][]loadResult, []time.Duration, error) {
	for range benchRounds {
		c0 := map[string]time.Duration{}
		for _, e := range endpoints {
			if e.cpu != nil {
				c0[e.proc] = e.cpu()
			}
		}
		round := make([]loadResult, len(endpoints))
		errs := make([]error, len(endpoints))
		var wg sync.WaitGroup
		for i, e := range endpoints {
			wg.Add(1)
			go func() {
				defer wg.Done()
				round[i], errs[i] = loadgenRate(ctx, e.url(tc.path), e.cred, tc.conns, tc.rate, benchDuration)
			}()
		}
		wg.Wait()
		requests := map[string]int64{}
		for i, e := range endpoints {
			if errs[i] != nil {
				return nil, nil, fmt.Errorf("%s: %w", e.name, errs[i])
			}
			res[i] = append(res[i], round[i])
			requests[e.proc] += round[i].Requests
		}
		used := map[string]time.Duration{}
		for _, e := range endpoints {
			if e.cpu != nil {
				used[e.proc] = e.cpu() - c0[e.proc]
			}
		}
		for i, e := range endpoints {
			if e.cpu != nil && requests[e.proc] > 0 {
				cpu[i] += time.Duration(int64(used[e.proc]) * round[i].Requests / requests[e.proc])
			}
		}
	}
	return res, cpu, nil
}
