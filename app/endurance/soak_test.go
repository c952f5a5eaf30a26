package endurance

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fasthttp/websocket"

	"github.com/bihealth/kiosc/app/docker/dockertest"
)

// soakConfig is the size of a soak run. `make soak` runs the full one (KIOSC_SOAK=full); `make test` a short one.
type soakConfig struct {
	apps, churn, http, ws int
	load                  time.Duration
}

func soakSize() soakConfig {
	c := soakConfig{apps: 20, churn: 4, http: 500, ws: 200, load: 60 * time.Second}
	if os.Getenv("KIOSC_SOAK") != "full" {
		c = soakConfig{apps: 10, churn: 2, http: 250, ws: 100, load: 10 * time.Second}
	}
	if d, err := time.ParseDuration(os.Getenv("KIOSC_SOAK_DURATION")); err == nil && d > 0 {
		c.load = d
	}
	return c
}

// soakApp is an app under load; churn apps are stopped and started through the API during the run.
type soakApp struct {
	container
	churn bool
	// down is set while the app is being stopped or is stopped (from the stop request until it runs again).
	down atomic.Bool
	// stops counts the stops asked for; cycles the stop/start rounds completed.
	stops, cycles atomic.Int64
}

// stoppedSince reports whether the app was down, or stopped, since a client saw stops at n.
func (a *soakApp) stoppedSince(n int64) bool { return a.down.Load() || a.stops.Load() != n }

// tally counts what the clients saw.
type tally struct {
	requests, notRunning, lobby, wsMessages, wsClosedByStop, wsRefused atomic.Int64
	mu                                                                 sync.Mutex
	errs                                                               []string
	lat                                                                []time.Duration
}

func (t *tally) fail(format string, args ...any) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.errs) < 50 {
		t.errs = append(t.errs, fmt.Sprintf(format, args...))
	} else if len(t.errs) == 50 {
		t.errs = append(t.errs, "(more errors left out)")
	}
}

// notRunningAnswer reports whether a response is kiosc's 503 for an app that is not running.
func notRunningAnswer(status int, body []byte) bool {
	var e struct {
		Error struct{ Code string } `json:"error"`
	}
	return status == http.StatusServiceUnavailable && json.Unmarshal(body, &e) == nil && e.Error.Code == "container_not_running"
}

// TestSoak runs many proxied HTTP clients and websockets against running apps while some apps are stopped and
// started through the API. Every answer must be the app's, except what the lifecycle explains: a stopped app's 503
// container_not_running, a navigation sent to the lobby, and a websocket closed because its app stopped. Afterwards
// kiosc's goroutines and open files must be back where they were.
func TestSoak(t *testing.T) {
	size := soakSize()
	begin := time.Now()
	k := newInstance(t)
	k.start()
	image := dockertest.TestAppImage(t)
	p := k.project()
	apps := make([]*soakApp, size.apps)
	for i := range apps {
		apps[i] = &soakApp{container: k.create(p, image, fmt.Sprintf("soak %02d", i), nil), churn: i < size.churn}
		k.action(apps[i].UUID, "start")
	}
	for _, a := range apps {
		a.container = k.waitState(a.UUID, "running", 2*time.Minute)
		if !strings.HasPrefix(a.ProxyURL, k.appBase+"/containers/proxy/") {
			t.Fatalf("proxy_url %q is not on the app listener %s", a.ProxyURL, k.appBase)
		}
	}

	// Warm up every path once, then take the baseline.
	warm := &tally{}
	for _, a := range apps {
		httpRound(http.DefaultClient, k.token, a, 0, warm)
		if c, err := dialApp(context.Background(), k, a); err == nil {
			_ = c.Close()
		}
	}
	http.DefaultClient.CloseIdleConnections()
	if len(warm.errs) > 0 {
		t.Fatalf("warm-up: %v", warm.errs)
	}
	baseGo, baseFD := settledResources(t, k, 0, 0)
	t.Logf("baseline: %.0f goroutines, %.0f open files (%v after kiosc's start)", baseGo, baseFD, time.Since(begin).Round(time.Millisecond))

	ctx, cancel := context.WithTimeout(context.Background(), size.load)
	defer cancel()
	res := &tally{}
	var wg sync.WaitGroup
	for i := range size.http {
		wg.Add(1)
		go func() { defer wg.Done(); httpClient(ctx, k, apps, i, res) }()
	}
	for i := range size.ws {
		wg.Add(1)
		go func() { defer wg.Done(); wsClient(ctx, k, apps[i%len(apps)], res) }()
	}
	for _, a := range apps {
		if a.churn {
			wg.Add(1)
			go func() { defer wg.Done(); churn(ctx, t, k, a, res) }()
		}
	}
	started := time.Now()
	wg.Wait()
	elapsed := time.Since(started)
	// The churned apps end stopped. (Stopping an app also drops the proxy's idle kept-alive connections to apps,
	// which would otherwise close after 30 s without use.)
	for _, a := range apps {
		if a.churn {
			k.waitState(a.UUID, "running", time.Minute)
			k.action(a.UUID, "stop")
		}
	}
	for _, a := range apps {
		if a.churn {
			k.waitState(a.UUID, "stopped", time.Minute)
		}
	}

	lat := res.lat
	slices.Sort(lat)
	pct := func(p float64) time.Duration {
		if len(lat) == 0 {
			return 0
		}
		return lat[min(len(lat)-1, int(float64(len(lat))*p))]
	}
	var cycles int64
	for _, a := range apps {
		cycles += a.cycles.Load()
	}
	t.Logf("load: %d HTTP clients, %d websockets, %d apps (%d stopped and started %d times) for %v",
		size.http, size.ws, size.apps, size.churn, cycles, elapsed.Round(time.Millisecond))
	t.Logf("HTTP: %d requests (%.0f/s), p50 %v, p99 %v; %d answered 503 container_not_running, %d navigations sent to the lobby",
		res.requests.Load(), float64(res.requests.Load())/elapsed.Seconds(), pct(0.5).Round(time.Microsecond),
		pct(0.99).Round(time.Microsecond), res.notRunning.Load(), res.lobby.Load())
	t.Logf("websockets: %d echoes; %d closed because their app stopped, %d refused while it was stopped",
		res.wsMessages.Load(), res.wsClosedByStop.Load(), res.wsRefused.Load())
	if len(res.errs) > 0 {
		t.Errorf("%d unexplained errors:\n%s", len(res.errs), strings.Join(res.errs, "\n"))
	}
	if res.requests.Load() == 0 || res.wsMessages.Load() == 0 || cycles == 0 {
		t.Error("no load")
	}

	settle := time.Now()
	afterGo, afterFD := settledResources(t, k, baseGo+25, baseFD+15)
	t.Logf("settled in %v", time.Since(settle).Round(time.Millisecond))
	t.Logf("after the load: %.0f goroutines (baseline %.0f), %.0f open files (baseline %.0f)", afterGo, baseGo, afterFD, baseFD)
	if afterGo > baseGo+25 || afterFD > baseFD+15 {
		t.Errorf("kiosc kept %0.f goroutines and %.0f open files more than before the load", afterGo-baseGo, afterFD-baseFD)
	}
}

// settledResources reads kiosc's goroutines and open files until they are at most the given limits (0: until two
// readings a second apart agree), for up to 45 s, and returns the last reading.
func settledResources(t *testing.T, k *instance, maxGo, maxFD float64) (float64, float64) {
	t.Helper()
	var g, fd float64
	deadline := time.Now().Add(45 * time.Second)
	for {
		pg, pfd := g, fd
		var err error
		if g, err = k.metric("go_goroutines"); err != nil {
			t.Fatal(err)
		}
		if fd, err = k.metric("process_open_fds"); err != nil {
			t.Fatal(err)
		}
		if maxGo > 0 && g <= maxGo && fd <= maxFD {
			return g, fd
		}
		if maxGo == 0 && g == pg && fd == pfd {
			return g, fd
		}
		if time.Now().After(deadline) {
			return g, fd
		}
		time.Sleep(time.Second)
	}
}

// httpClient is one client of the proxy on its own connection: requests round the apps until ctx ends.
func httpClient(ctx context.Context, k *instance, apps []*soakApp, n int, res *tally) {
	tr := &http.Transport{MaxIdleConnsPerHost: 1, IdleConnTimeout: 30 * time.Second}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	var lat []time.Duration
	defer func() {
		res.mu.Lock()
		res.lat = append(res.lat, lat...)
		res.mu.Unlock()
	}()
	for i := n; ctx.Err() == nil; i++ {
		t0 := time.Now()
		if httpRound(hc, k.token, apps[i%len(apps)], i, res) {
			lat = append(lat, time.Since(t0))
		}
	}
}

// httpRound sends one request of a mix (small GETs, uploads, downloads, browser navigations) and checks the answer;
// it reports whether the app answered.
func httpRound(hc *http.Client, token string, a *soakApp, i int, res *tally) bool {
	res.requests.Add(1)
	stops := a.stops.Load()
	wasDown := a.down.Load()
	method, path, nav := http.MethodGet, fmt.Sprintf("echo?i=%d", i), false
	var body []byte
	switch rand.IntN(20) {
	case 3:
		path = "download?size=32k"
	case 7:
		method, path, body = http.MethodPost, "upload", bytes.Repeat([]byte{byte(i)}, 4096+i%1000)
	case 11:
		path, nav = "", true
	}
	req, _ := http.NewRequest(method, a.ProxyURL+path, bytes.NewReader(body))
	if body == nil {
		req.Body = nil
	}
	req.Header.Set("Authorization", "Token "+token)
	if nav {
		req.Header.Set("Accept", "text/html")
		req.Header.Set("Sec-Fetch-Mode", "navigate")
	}
	resp, err := hc.Do(req)
	if err != nil {
		res.fail("%s %s %s: %v (app down: %v→%v)", a.Title, method, path, err, wasDown, a.down.Load())
		return false
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	down := wasDown || a.stoppedSince(stops)
	switch {
	case err != nil:
		res.fail("%s %s %s: reading the answer: %v (app down: %v)", a.Title, method, path, err, down)
	case resp.StatusCode == http.StatusOK:
		if !answerOK(path, body, b) {
			res.fail("%s %s %s: wrong answer %.200q", a.Title, method, path, b)
			return false
		}
		return true
	case a.churn && down && notRunningAnswer(resp.StatusCode, b):
		res.notRunning.Add(1)
	case a.churn && down && nav && resp.StatusCode == http.StatusFound && strings.Contains(resp.Header.Get("Location"), "/lobby/"+a.UUID):
		res.lobby.Add(1)
	default:
		res.fail("%s %s %s: %d %.200q (app down: %v)", a.Title, method, path, resp.StatusCode, b, down)
	}
	return false
}

// answerOK checks the test app's answer to a request of httpRound.
func answerOK(path string, sent, got []byte) bool {
	switch {
	case strings.HasPrefix(path, "download"):
		return len(got) == 32<<10
	case path == "upload":
		var u struct{ Bytes int }
		return json.Unmarshal(got, &u) == nil && u.Bytes == len(sent)
	case path == "":
		return bytes.Contains(got, []byte("kiosc test app"))
	}
	var e struct{ Method, Path string }
	return json.Unmarshal(got, &e) == nil && e.Method == http.MethodGet && strings.HasSuffix(e.Path, "/echo")
}

// dialApp opens a websocket to the app's echo endpoint through the app listener, as a script with an API token.
func dialApp(ctx context.Context, k *instance, a *soakApp) (*websocket.Conn, error) {
	u := "ws" + strings.TrimPrefix(a.ProxyURL, "http") + "ws"
	d := websocket.Dialer{HandshakeTimeout: 30 * time.Second}
	c, resp, err := d.DialContext(ctx, u, http.Header{"Authorization": {"Token " + k.token}})
	if resp != nil && resp.Body != nil {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return nil, &refusedError{status: resp.StatusCode, body: b}
		}
	}
	return c, err
}

type refusedError struct {
	status int
	body   []byte
}

func (e *refusedError) Error() string { return fmt.Sprintf("refused: %d %.200q", e.status, e.body) }

// wsClient keeps a websocket to one app open, sending a message every 100-300 ms and checking its echo; when the
// app stops it waits for it to run again and reconnects.
func wsClient(ctx context.Context, k *instance, a *soakApp, res *tally) {
	deadline, _ := ctx.Deadline()
	for n := 0; ctx.Err() == nil; {
		stops := a.stops.Load()
		wasDown := a.down.Load()
		c, err := dialApp(ctx, k, a)
		if err != nil {
			var r *refusedError
			switch {
			case ctx.Err() != nil || !time.Now().Before(deadline):
				// The run ended while dialing.
				return
			case a.churn && (wasDown || a.stoppedSince(stops)) && errors.As(err, &r) && notRunningAnswer(r.status, r.body):
				res.wsRefused.Add(1)
				select {
				case <-ctx.Done():
				case <-time.After(200 * time.Millisecond):
				}
				continue
			}
			res.fail("%s websocket: %v (app down: %v)", a.Title, err, wasDown || a.stoppedSince(stops))
			return
		}
		for ctx.Err() == nil {
			n++
			msg := "soak " + strconv.Itoa(n)
			_ = c.SetWriteDeadline(time.Now().Add(30 * time.Second))
			err := c.WriteMessage(websocket.TextMessage, []byte(msg))
			var got []byte
			if err == nil {
				_ = c.SetReadDeadline(time.Now().Add(30 * time.Second))
				_, got, err = c.ReadMessage()
			}
			if err != nil {
				if a.churn && a.stoppedSince(stops) {
					res.wsClosedByStop.Add(1)
					break
				}
				if ctx.Err() == nil {
					res.fail("%s websocket: %v", a.Title, err)
				}
				_ = c.Close()
				return
			}
			if string(got) != msg {
				res.fail("%s websocket: sent %q, got %q", a.Title, msg, got)
			}
			res.wsMessages.Add(1)
			select {
			case <-ctx.Done():
			case <-time.After(time.Duration(100+rand.IntN(200)) * time.Millisecond):
			}
		}
		_ = c.Close()
	}
}

// churn stops and starts the app through the API until ctx ends.
func churn(ctx context.Context, t *testing.T, k *instance, a *soakApp, res *tally) {
	wait := func(state string) bool {
		for ctx.Err() == nil {
			c, err := k.get(a.UUID)
			if err != nil {
				res.fail("%s: %v", a.Title, err)
				return false
			}
			if c.State == state {
				return true
			}
			if c.State == "failed" || c.State == "exited" {
				res.fail("%s: %v", a.Title, c)
				return false
			}
			time.Sleep(50 * time.Millisecond)
		}
		return false
	}
	for ctx.Err() == nil {
		time.Sleep(time.Duration(500+rand.IntN(1000)) * time.Millisecond)
		a.down.Store(true)
		a.stops.Add(1)
		if status, b, err := k.call("POST", "/api/v1/containers/"+a.UUID+"/stop", nil); err != nil || status != http.StatusAccepted {
			res.fail("%s stop: %d %s %v", a.Title, status, b, err)
			return
		}
		if !wait("stopped") {
			break
		}
		time.Sleep(time.Duration(200+rand.IntN(800)) * time.Millisecond)
		if status, b, err := k.call("POST", "/api/v1/containers/"+a.UUID+"/start", nil); err != nil || status != http.StatusAccepted {
			res.fail("%s start: %d %s %v", a.Title, status, b, err)
			return
		}
		if !wait("running") {
			break
		}
		a.down.Store(false)
		a.cycles.Add(1)
	}
	// Leave it running.
	if status, b, err := k.call("POST", "/api/v1/containers/"+a.UUID+"/start", nil); err != nil || status != http.StatusAccepted {
		t.Errorf("%s start: %d %s %v", a.Title, status, b, err)
	}
}
