package main

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing/fstest"
	"time"

	"github.com/fasthttp/websocket"
	"github.com/valyala/fasthttp"

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

// loadgenEnv makes the bench binary act as the HTTP load generator (a separate process, so that its CPU and memory
// are not counted as kiosc's).
const loadgenEnv = "KIOSC_BENCH_LOADGEN"

func init() {
	if os.Getenv(loadgenEnv) == "1" {
		os.Exit(loadgenMain(os.Args[1:]))
	}
}

// Load parameters: the same for direct and proxied runs.
const (
	benchConcurrency = 16
	benchDuration    = 4 * time.Second
	benchRounds      = 3
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

// benchProxyThroughput compares requests per second and latency directly against the container's published port
// and through kiosc, at the same concurrency, with the load generator in a separate process.
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
	hostPort := b.appAddr[strings.LastIndexByte(b.appAddr, ':')+1:]
	var rows []row
	for _, tc := range []struct {
		name, path string
		conns      int
	}{
		{"small responses (/health)", "/health", benchConcurrency},
		{"1 MiB responses", "/download?size=1m", benchConcurrency},
		{"small responses, one connection", "/health", 1},
	} {
		// Warm both paths (connection pools, page cache of the app).
		if _, err := loadgen(ctx, "http://"+b.appAddr+tc.path, "", tc.conns, time.Second); err != nil {
			return nil, err
		}
		if _, err := loadgen(ctx, b.proxyURL(tc.path), b.token, tc.conns, time.Second); err != nil {
			return nil, err
		}
		// Direct and proxied runs alternate, so that a change in the machine's load (other tenants of the host)
		// affects both sides alike; each side's numbers are the median of its rounds.
		var directs, throughs, apps []loadResult
		var userland, self time.Duration
		appListener := tc.conns == benchConcurrency && tc.path == "/health"
		for range benchRounds {
			if appListener {
				// The browser's way in the default setup: the app cookie on the app listener.
				a, err := loadgen(ctx, b.appURL(tc.path), b.appCookie, tc.conns, benchDuration)
				if err != nil {
					return nil, err
				}
				apps = append(apps, a)
			}
			u0 := cpuOf(dockerProxyPID(hostPort))
			d, err := loadgen(ctx, "http://"+b.appAddr+tc.path, "", tc.conns, benchDuration)
			if err != nil {
				return nil, err
			}
			userland += cpuOf(dockerProxyPID(hostPort)) - u0
			s0 := cpuOf(os.Getpid())
			t, err := loadgen(ctx, b.proxyURL(tc.path), b.token, tc.conns, benchDuration)
			if err != nil {
				return nil, err
			}
			self += cpuOf(os.Getpid()) - s0
			directs, throughs = append(directs, d), append(throughs, t)
		}
		direct, through := median(directs), median(throughs)
		ratio := through.RPS / direct.RPS
		verdict := "ok"
		if ratio < 0.8 || through.P99-direct.P99 > time.Millisecond {
			verdict = "BELOW TARGET"
		}
		directNote := fmt.Sprintf("%d connection(s), median of %d runs of %v alternating with kiosc", tc.conns, benchRounds, benchDuration)
		if userland > 0 {
			directNote += fmt.Sprintf("; Docker's userland proxy behind the port: %.0f µs CPU per request", perRequest(userland, sum(directs)))
		}
		rows = append(rows,
			row{tc.name + ", direct", direct.String(), directNote},
			row{tc.name + ", through kiosc", through.String(),
				fmt.Sprintf("ratio %.2f, p99 %+.2f ms (%s: >= 0.80, <= +1 ms); kiosc: %.0f µs CPU per request",
					ratio, ms(through.P99-direct.P99), verdict, perRequest(self, sum(throughs)))},
		)
		if appListener {
			app := median(apps)
			rows = append(rows, row{tc.name + ", through kiosc's app listener", app.String(),
				fmt.Sprintf("ratio %.2f to direct, %.2f to kiosc's own origin; p99 %+.2f ms: app-origin mode (the default), a browser's app cookie",
					app.RPS/direct.RPS, app.RPS/through.RPS, ms(app.P99-direct.P99))})
		}
	}
	if b.upstream != b.appAddr {
		// What kiosc costs where it cannot reach the bridge (rootless Docker, Docker Desktop): its hop comes on top
		// of Docker's userland proxy.
		b.setUpstream(b.appAddr)
		direct, err := loadgen(ctx, "http://"+b.appAddr+"/health", "", benchConcurrency, benchDuration)
		if err != nil {
			return nil, err
		}
		through, err := loadgen(ctx, b.proxyURL("/health"), b.token, benchConcurrency, benchDuration)
		if err != nil {
			return nil, err
		}
		b.setUpstream(b.upstream)
		rows = append(rows,
			row{"small responses, through kiosc to the published port", through.String(),
				fmt.Sprintf("ratio %.2f to direct (%s), p99 %+.2f ms: kiosc's hop on top of Docker's userland proxy, as where kiosc cannot reach the bridge (rootless Docker, Docker Desktop)",
					through.RPS/direct.RPS, direct.String(), ms(through.P99-direct.P99))})
	}
	d, t, err := wsEcho(ctx, b)
	if err != nil {
		return nil, err
	}
	rows = append(rows,
		row{"websocket echo, direct", fmt.Sprintf("p50 %.3f ms, p99 %.3f ms", ms(d[0]), ms(d[1])), fmt.Sprintf("%d sequential round trips of 64 bytes", wsRoundTrips)},
		row{"websocket echo, through kiosc", fmt.Sprintf("p50 %.3f ms, p99 %.3f ms", ms(t[0]), ms(t[1])), fmt.Sprintf("p99 %+.3f ms", ms(t[1]-d[1]))},
		row{"method", "", fmt.Sprintf("direct = the container's published port on 127.0.0.1 (%s); kiosc goes to %s as the lifecycle would. Load generator: this binary re-executed as a separate process (fasthttp client, GOMAXPROCS=1) on the same %d-CPU machine as kiosc and the app (load average before: %s); kiosc authenticates an API token and checks the role on every request", b.appAddr, b.upstream, runtime.NumCPU(), loadAvg)},
	)
	return rows, nil
}

// benchProxyTunnels measures kiosc's memory with openTunnels idle websocket tunnels.
func benchProxyTunnels(ctx context.Context) ([]row, error) {
	b, err := setupProxyBench(ctx)
	if err != nil {
		return nil, err
	}
	defer b.close()
	heap0, rss0 := memNow()
	conns := make([]net.Conn, 0, openTunnels)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	start := time.Now()
	for range openTunnels {
		c, err := rawWebsocket(ctx, b.kioscBase, proxy.PathPrefix+benchContainer+"/ws", b.token)
		if err != nil {
			return nil, fmt.Errorf("tunnel %d: %w", len(conns)+1, err)
		}
		conns = append(conns, c)
	}
	opened := time.Since(start)
	if n := b.proxy.Tunnels(); n != openTunnels {
		return nil, fmt.Errorf("%d tunnels registered, want %d", n, openTunnels)
	}
	heap1, rss1 := memNow()
	// Every tunnel still works.
	for i, c := range conns {
		if err := wsPing(c); err != nil {
			return nil, fmt.Errorf("tunnel %d: %w", i, err)
		}
	}
	for _, c := range conns {
		c.Close()
	}
	conns = nil
	deadline := time.Now().Add(30 * time.Second)
	for b.proxy.Tunnels() > 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	heap2, _ := memNow()
	per := func(a, b uint64) string { return fmt.Sprintf("%.1f KiB", float64(int64(b)-int64(a))/openTunnels/1024) }
	return []row{
		{"tunnels opened", strconv.Itoa(openTunnels), fmt.Sprintf("in %v, each used afterwards", opened.Round(time.Millisecond))},
		{"Go heap + stacks, 500 tunnels", mib(heap1 - min(heap0, heap1)), per(heap0, heap1) + " per tunnel (2 goroutines; copy buffers are lent only while data flows)"},
		{"process RSS growth, 500 tunnels", mib(rss1 - min(rss0, rss1)), "includes the client ends (raw sockets, no buffers) in this process"},
		{"Go heap + stacks after closing", mib(heap2), fmt.Sprintf("%d tunnels left", b.proxy.Tunnels())},
	}, nil
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
func mib(n uint64) string        { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }

// memNow returns the Go heap plus goroutine stacks in use after a GC, and the process RSS.
func memNow() (uint64, uint64) {
	runtime.GC()
	debug.FreeOSMemory()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	var rss uint64
	if b, err := os.ReadFile("/proc/self/status"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmRSS:" {
				kb, _ := strconv.ParseUint(f[1], 10, 64)
				rss = kb << 10
			}
		}
	}
	return m.HeapInuse + m.StackInuse, rss
}

// rawWebsocket performs a websocket handshake on a bare TCP connection, so the client end costs almost nothing.
func rawWebsocket(ctx context.Context, base, path, token string) (net.Conn, error) {
	u, _ := url.Parse(base)
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", u.Host)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"+
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nAuthorization: Token %s\r\n\r\n", path, u.Host, token)
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReaderSize(c, 512)
	status, err := br.ReadString('\n')
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("handshake: %w", err)
	}
	if !strings.Contains(status, " 101 ") {
		c.Close()
		return nil, fmt.Errorf("handshake: unexpected status %q", status)
	}
	for {
		l, err := br.ReadString('\n')
		if err != nil {
			c.Close()
			return nil, err
		}
		if l == "\r\n" {
			break
		}
	}
	_ = c.SetReadDeadline(time.Time{})
	return c, nil
}

// wsPing sends a masked text frame "x" and waits for the echo.
func wsPing(c net.Conn) error {
	frame := []byte{0x81, 0x81, 1, 2, 3, 4, 'x' ^ 1}
	if _, err := c.Write(frame); err != nil {
		return err
	}
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	defer func() { _ = c.SetReadDeadline(time.Time{}) }()
	buf := make([]byte, 3)
	if _, err := io.ReadFull(c, buf); err != nil {
		return err
	}
	if buf[0] != 0x81 || buf[1] != 1 || buf[2] != 'x' {
		return fmt.Errorf("unexpected echo % x", buf)
	}
	return nil
}

// wsEcho measures sequential round trips directly and through kiosc; it returns p50 and p99 of each.
func wsEcho(ctx context.Context, b *proxyBench) ([2]time.Duration, [2]time.Duration, error) {
	run := func(u string, h http.Header) ([2]time.Duration, error) {
		c, resp, err := websocket.DefaultDialer.DialContext(ctx, u, h)
		if resp != nil {
			_ = resp.Body.Close()
		}
		if err != nil {
			return [2]time.Duration{}, err
		}
		defer c.Close()
		msg := bytes.Repeat([]byte("k"), 64)
		lat := make([]time.Duration, 0, wsRoundTrips)
		for i := range wsRoundTrips + 100 {
			t0 := time.Now()
			if err := c.WriteMessage(websocket.TextMessage, msg); err != nil {
				return [2]time.Duration{}, err
			}
			if _, _, err := c.ReadMessage(); err != nil {
				return [2]time.Duration{}, err
			}
			if i >= 100 { // warm-up
				lat = append(lat, time.Since(t0))
			}
		}
		slices.Sort(lat)
		return [2]time.Duration{lat[len(lat)/2], lat[len(lat)*99/100]}, nil
	}
	direct, err := run("ws://"+b.appAddr+"/ws", nil)
	if err != nil {
		return direct, direct, err
	}
	through, err := run("ws"+strings.TrimPrefix(b.proxyURL("/ws"), "http"), http.Header{"Authorization": {"Token " + b.token}})
	return direct, through, err
}

// loadResult is what the load generator reports.
type loadResult struct {
	Requests int64         `json:"requests"`
	Errors   int64         `json:"errors"`
	RPS      float64       `json:"rps"`
	P50      time.Duration `json:"p50"`
	P99      time.Duration `json:"p99"`
	Bytes    int64         `json:"bytes"`
}

func (r loadResult) String() string {
	s := fmt.Sprintf("%.0f req/s, p50 %.2f ms, p99 %.2f ms", r.RPS, ms(r.P50), ms(r.P99))
	if r.Errors > 0 {
		s += fmt.Sprintf(", %d errors", r.Errors)
	}
	return s
}

// loadgen runs the load generator process against u for d.
func loadgen(ctx context.Context, u, token string, conns int, d time.Duration) (loadResult, error) {
	exe, err := os.Executable()
	if err != nil {
		return loadResult{}, err
	}
	credential := []string{"-token", token}
	if cookie, ok := strings.CutPrefix(token, "Cookie: "); ok {
		// A browser's credential: the app cookie on the app listener.
		credential = []string{"-cookie", cookie}
	}
	cmd := exec.CommandContext(ctx, exe, append(append([]string{"-url", u}, credential...), "-c", strconv.Itoa(conns), "-d", d.String())...)
	cmd.Env = append(os.Environ(), loadgenEnv+"=1", "GOMAXPROCS=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return loadResult{}, fmt.Errorf("load generator: %w: %s", err, stderr.String())
	}
	var r loadResult
	if err := json.Unmarshal(out, &r); err != nil {
		return r, fmt.Errorf("load generator output %q: %w", out, err)
	}
	if r.Requests == 0 || r.Errors > r.Requests/100 {
		return r, fmt.Errorf("load generator: %d requests, %d errors: %s", r.Requests, r.Errors, stderr.String())
	}
	return r, nil
}

// loadgenMain is the load generator: c connections, each sending requests back to back for d.
func loadgenMain(args []string) int {
	fs := flag.NewFlagSet("loadgen", flag.ContinueOnError)
	u := fs.String("url", "", "URL")
	token := fs.String("token", "", "API token")
	cookie := fs.String("cookie", "", "Cookie header")
	c := fs.Int("c", 16, "connections")
	d := fs.Duration("d", 5*time.Second, "duration")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	pu, err := url.Parse(*u)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	hc := &fasthttp.HostClient{Addr: pu.Host, MaxConns: *c, ReadBufferSize: 16 << 10, MaxIdleConnDuration: time.Minute}
	var mu sync.Mutex
	var all []time.Duration
	var res loadResult
	var lastErr error
	stop := time.Now().Add(*d)
	var wg sync.WaitGroup
	start := time.Now()
	for range *c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
			defer fasthttp.ReleaseRequest(req)
			defer fasthttp.ReleaseResponse(resp)
			if *cookie != "" {
				// Once: fasthttp adds to the request's cookies on every Set of Cookie.
				req.Header.Set("Cookie", *cookie)
			}
			lat := make([]time.Duration, 0, 1<<16)
			var n, errs, bytesIn int64
			var last error
			for time.Now().Before(stop) {
				req.SetRequestURI(*u)
				if *token != "" {
					req.Header.Set("Authorization", "Token "+*token)
				}
				t0 := time.Now()
				err := hc.Do(req, resp)
				if err == nil && resp.StatusCode() != 200 {
					err = fmt.Errorf("status %d", resp.StatusCode())
				}
				if err != nil {
					errs++
					last = err
					continue
				}
				lat = append(lat, time.Since(t0))
				bytesIn += int64(len(resp.Body()))
				n++
			}
			mu.Lock()
			all = append(all, lat...)
			res.Requests += n
			res.Errors += errs
			res.Bytes += bytesIn
			if last != nil {
				lastErr = last
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	slices.Sort(all)
	if len(all) > 0 {
		res.P50, res.P99 = all[len(all)/2], all[len(all)*99/100]
	}
	res.RPS = float64(res.Requests) / elapsed.Seconds()
	if lastErr != nil {
		fmt.Fprintln(os.Stderr, "last error:", lastErr)
	}
	_ = json.NewEncoder(os.Stdout).Encode(res)
	return 0
}

// runTestApp builds the test app image (FROM scratch, tagged by the binary's hash like the test helpers do) if the
// engine lacks it and runs it with its port published on 127.0.0.1; stop removes the container.
func runTestApp(ctx context.Context) (addr, bridgeIP string, stop func(), err error) {
	ref, err := benchTestAppImage(ctx)
	if err != nil {
		return "", "", nil, err
	}
	out, err := exec.CommandContext(ctx, "docker", "run", "-d", "--label", "kiosc.test=true", "-p", "127.0.0.1::8080", ref).Output()
	if err != nil {
		return "", "", nil, fmt.Errorf("docker run %s: %w", ref, err)
	}
	id := strings.TrimSpace(string(out))
	stop = func() { _ = exec.Command("docker", "rm", "-f", id).Run() }
	out, err = exec.CommandContext(ctx, "docker", "port", id, "8080/tcp").Output()
	if err != nil {
		stop()
		return "", "", nil, fmt.Errorf("docker port: %w", err)
	}
	addr = strings.TrimSpace(strings.Split(string(out), "\n")[0])
	out, err = exec.CommandContext(ctx, "docker", "inspect", "-f", "{{.NetworkSettings.Networks.bridge.IPAddress}}", id).Output()
	if err != nil {
		stop()
		return "", "", nil, fmt.Errorf("docker inspect: %w", err)
	}
	bridgeIP = strings.TrimSpace(string(out))
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return addr, bridgeIP, stop, nil
			}
		}
		if time.Now().After(deadline) {
			stop()
			return "", "", nil, errors.New("test app did not answer /health within 30 s")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// cpuOf returns the CPU time (user + system) a process has used so far; 0 when it cannot be read.
func cpuOf(pid int) time.Duration {
	if pid <= 0 {
		return 0
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// Fields after the command name (which may contain spaces): state is field 3, utime 14, stime 15.
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	const ticksPerSecond = 100 // USER_HZ on Linux
	return time.Duration(ut+st) * time.Second / ticksPerSecond
}

// dockerProxyPID finds Docker's userland proxy process serving a published host port (0 if there is none, e.g.
// with the userland proxy disabled).
func dockerProxyPID(hostPort string) int {
	dirs, _ := os.ReadDir("/proc")
	for _, d := range dirs {
		pid, err := strconv.Atoi(d.Name())
		if err != nil {
			continue
		}
		cmd, err := os.ReadFile("/proc/" + d.Name() + "/cmdline")
		if err != nil {
			continue
		}
		args := strings.Split(string(cmd), "\x00")
		if len(args) == 0 || !strings.HasSuffix(args[0], "docker-proxy") {
			continue
		}
		for i, a := range args {
			if a == "-host-port" && i+1 < len(args) && args[i+1] == hostPort {
				return pid
			}
		}
	}
	return 0
}

// median returns the run with the median throughput, and the median p50 and p99 of all runs.
func median(runs []loadResult) loadResult {
	pick := func(key func(loadResult) float64) loadResult {
		sorted := slices.Clone(runs)
		slices.SortFunc(sorted, func(a, b loadResult) int { return cmp.Compare(key(a), key(b)) })
		return sorted[len(sorted)/2]
	}
	m := pick(func(r loadResult) float64 { return r.RPS })
	m.P50 = pick(func(r loadResult) float64 { return float64(r.P50) }).P50
	m.P99 = pick(func(r loadResult) float64 { return float64(r.P99) }).P99
	return m
}

// sum adds up the requests of several runs (for CPU per request).
func sum(runs []loadResult) loadResult {
	var t loadResult
	for _, r := range runs {
		t.Requests += r.Requests
	}
	return t
}

// perRequest is CPU time per request of a load run, in microseconds.
func perRequest(cpu time.Duration, r loadResult) float64 {
	if r.Requests == 0 {
		return 0
	}
	return float64(cpu) / float64(time.Microsecond) / float64(r.Requests)
}
