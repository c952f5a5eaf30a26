package proxy_test

import (
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/bihealth/kiosc/app/proxy"
	"github.com/bihealth/kiosc/app/store"
)

// BenchmarkForward measures one small proxied request end to end in this process (client, kiosc with token
// authentication and role check, and an in-process app), so that ns/op and allocs/op show what kiosc's hot path
// costs; `make bench` compares throughput with direct access against a real container.
func BenchmarkForward(b *testing.B) { benchmarkForward(b, 1) }

// BenchmarkForwardParallel keeps 16 connections busy, like `make bench`, so ns/op is CPU-bound.
func BenchmarkForwardParallel(b *testing.B) { benchmarkForward(b, 16) }

// BenchmarkAppListener is BenchmarkForwardParallel on the app listener (app-origin mode, the default) with a
// browser's app cookie, the way browsers reach apps.
func BenchmarkAppListener(b *testing.B) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	app := &fasthttp.Server{Handler: func(c *fasthttp.RequestCtx) { c.SetBodyString("ok") }}
	go func() { _ = app.Serve(ln) }()
	b.Cleanup(func() { _ = app.Shutdown() })

	e := newBase(b)
	e.appOrigin = true
	fake := &fakeContainers{targets: map[string]proxy.Target{}, touches: map[string]int{}}
	fake.set(proxy.Target{ContainerUUID: stripUUID, ProjectUUID: e.project.UUID, State: store.StateRunning, Addr: ln.Addr().String(), StripPrefix: true})
	e.serve(fake)
	session, _ := e.session(e.member("bench", "guest"))

	// The sign-in as a browser goes through it: the app cookie ends up in the jar.
	jar, _ := cookiejar.New(nil)
	base, _ := url.Parse(e.base)
	jar.SetCookies(base, []*http.Cookie{{Name: "kiosc_session", Value: session, Path: "/"}})
	hc := &http.Client{Jar: jar}
	req, _ := http.NewRequest(http.MethodGet, e.appPath(stripUUID, "/health"), nil)
	req.Header.Set("Sec-Fetch-Mode", "navigate")
	resp, err := hc.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	resp.Body.Close()
	appURL, _ := url.Parse(e.appPath(stripUUID, "/health"))
	cookie := ""
	for _, c := range jar.Cookies(appURL) {
		if c.Name == proxy.AppCookie {
			cookie = c.Name + "=" + c.Value
		}
	}
	if cookie == "" {
		b.Fatal("no app cookie after the sign-in")
	}

	fc := &fasthttp.HostClient{Addr: e.appBase[len("http://"):], MaxConns: 16, MaxConnWaitTimeout: 10 * time.Second}
	b.ReportAllocs()
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
		defer fasthttp.ReleaseRequest(req)
		defer fasthttp.ReleaseResponse(resp)
		req.SetRequestURI(e.appPath(stripUUID, "/health?x=1"))
		req.Header.Set("Cookie", "theme=dark; "+cookie+"; other=1")
		req.Header.Set("Accept", "*/*")
		req.Header.Set("Sec-Fetch-Mode", "cors")
		for pb.Next() {
			if err := fc.Do(req, resp); err != nil {
				b.Error(err)
			} else if resp.StatusCode() != 200 {
				b.Errorf("status %d: %s", resp.StatusCode(), resp.Body())
			}
		}
	})
}

func benchmarkForward(b *testing.B, conns int) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	app := &fasthttp.Server{Handler: func(c *fasthttp.RequestCtx) { c.SetBodyString("ok") }}
	go func() { _ = app.Serve(ln) }()
	b.Cleanup(func() { _ = app.Shutdown() })

	e := newBase(b)
	fake := &fakeContainers{targets: map[string]proxy.Target{}, touches: map[string]int{}}
	fake.set(proxy.Target{ContainerUUID: stripUUID, ProjectUUID: e.project.UUID, State: store.StateRunning, Addr: ln.Addr().String(), StripPrefix: true})
	e.serve(fake)
	token := e.token(e.member("bench", "guest"))

	hc := &fasthttp.HostClient{Addr: e.base[len("http://"):], MaxConns: conns, MaxConnWaitTimeout: 10 * time.Second}
	do := func(req *fasthttp.Request, resp *fasthttp.Response) {
		if err := hc.Do(req, resp); err != nil {
			b.Error(err)
		} else if resp.StatusCode() != 200 {
			b.Errorf("status %d: %s", resp.StatusCode(), resp.Body())
		}
	}
	b.ReportAllocs()
	b.SetParallelism((conns + 1) / 2)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
		defer fasthttp.ReleaseRequest(req)
		defer fasthttp.ReleaseResponse(resp)
		req.SetRequestURI(e.url(stripUUID, "/health?x=1"))
		req.Header.Set("Authorization", "Token "+token)
		req.Header.Set("Cookie", "theme=dark; other=1")
		req.Header.Set("Accept", "text/html")
		for pb.Next() {
			do(req, resp)
		}
	})
}
