package proxy_test

import (
	"net"
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
