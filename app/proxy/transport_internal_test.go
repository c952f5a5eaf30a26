package proxy

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

// appServer is an httptest server that counts the connections kiosc opens to it.
func appServer(t *testing.T, h http.HandlerFunc) (addr string, conns *atomic.Int32) {
	t.Helper()
	conns = &atomic.Int32{}
	s := httptest.NewUnstartedServer(h)
	s.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			conns.Add(1)
		}
	}
	s.Start()
	t.Cleanup(s.Close)
	return s.Listener.Addr().String(), conns
}

// roundTrip sends one request through tr and returns the response and its whole body.
func roundTripBody(t *testing.T, tr *transport, addr, method, uri string) (*fasthttp.Response, []byte) {
	t.Helper()
	req := &fasthttp.Request{}
	req.Header.SetMethod(method)
	req.SetRequestURI(uri)
	req.Header.SetHost("app.test")
	resp := &fasthttp.Response{}
	if err := tr.roundTrip(addr, req, resp); err != nil {
		t.Fatalf("%s %s: %v", method, uri, err)
	}
	if !resp.IsBodyStream() {
		return resp, append([]byte(nil), resp.Body()...)
	}
	body, err := io.ReadAll(resp.BodyStream())
	if err != nil {
		t.Fatalf("%s %s: body: %v", method, uri, err)
	}
	if err := resp.CloseBodyStream(); err != nil {
		t.Fatal(err)
	}
	return resp, body
}

func TestTransport(t *testing.T) {
	tr := newTransport(time.Second)
	t.Cleanup(tr.close)
	big := bytes.Repeat([]byte("0123456789abcdef"), 100<<10/16)
	addr, conns := appServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/small":
			_, _ = io.WriteString(w, "ok "+r.URL.RawQuery)
		case "/big":
			w.Header().Set("Content-Length", "102400")
			_, _ = w.Write(big)
		case "/chunked":
			w.Header().Set("Trailer", "X-Sum")
			for i := range 3 {
				_, _ = io.WriteString(w, strings.Repeat(string(rune('a'+i)), 1000))
				w.(http.Flusher).Flush()
			}
			w.Header().Set("X-Sum", "3000")
		case "/head":
			w.Header().Set("Content-Length", "10")
		case "/empty":
			w.WriteHeader(http.StatusNoContent)
		}
	})

	t.Run("small responses reuse one connection", func(t *testing.T) {
		before := conns.Load()
		for i := range 5 {
			resp, body := roundTripBody(t, tr, addr, "GET", "/small?n=1")
			if resp.StatusCode() != 200 || string(body) != "ok n=1" || resp.IsBodyStream() {
				t.Fatalf("request %d: %d %q", i, resp.StatusCode(), body)
			}
		}
		if n := conns.Load() - before; n > 1 {
			t.Fatalf("%d connections for 5 sequential requests", n)
		}
	})
	t.Run("a large body is streamed whole and the connection reused", func(t *testing.T) {
		before := conns.Load()
		for range 3 {
			resp, body := roundTripBody(t, tr, addr, "GET", "/big")
			if resp.Header.ContentLength() != len(big) || !bytes.Equal(body, big) {
				t.Fatalf("%d bytes (header %d)", len(body), resp.Header.ContentLength())
			}
		}
		if n := conns.Load() - before; n > 1 {
			t.Fatalf("%d connections", n)
		}
	})
	t.Run("a chunked body with trailers arrives whole and the connection is reused", func(t *testing.T) {
		before := conns.Load()
		for range 3 {
			resp, body := roundTripBody(t, tr, addr, "GET", "/chunked")
			if resp.Header.ContentLength() != -1 || len(body) != 3000 || body[0] != 'a' || body[2999] != 'c' {
				t.Fatalf("%d bytes (header %d)", len(body), resp.Header.ContentLength())
			}
		}
		if n := conns.Load() - before; n > 1 {
			t.Fatalf("%d connections", n)
		}
	})
	t.Run("HEAD and 204 have no body", func(t *testing.T) {
		resp, body := roundTripBody(t, tr, addr, "HEAD", "/head")
		if resp.Header.ContentLength() != 10 || len(body) != 0 {
			t.Fatalf("HEAD: length %d, %d bytes", resp.Header.ContentLength(), len(body))
		}
		resp, body = roundTripBody(t, tr, addr, "GET", "/empty")
		if resp.StatusCode() != 204 || len(body) != 0 {
			t.Fatalf("204: %d, %d bytes", resp.StatusCode(), len(body))
		}
		if _, body := roundTripBody(t, tr, addr, "GET", "/small"); string(body) != "ok " {
			t.Fatalf("after HEAD: %q", body)
		}
	})
	t.Run("an unread body closes its connection", func(t *testing.T) {
		req := &fasthttp.Request{}
		req.SetRequestURI("/big")
		req.Header.SetHost("app.test")
		resp := &fasthttp.Response{}
		if err := tr.roundTrip(addr, req, resp); err != nil {
			t.Fatal(err)
		}
		open := tr.app(addr).open.Load()
		_ = resp.CloseBodyStream()
		if tr.app(addr).open.Load() != open-1 {
			t.Fatal("the connection of an unread body stays open")
		}
	})
}

// TestTransportRetriesClosedConnections: an app may close a kept-alive connection at any time; an idempotent
// request that finds its connection closed is sent again on a new one.
func TestTransportRetriesClosedConnections(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	var accepted atomic.Int32
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			go func() {
				// One answer per connection, then the app closes it without saying so.
				defer c.Close()
				br := bufio.NewReader(c)
				for {
					l, err := br.ReadString('\n')
					if err != nil || l == "\r\n" {
						break
					}
				}
				_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
				time.Sleep(20 * time.Millisecond)
			}()
		}
	}()
	tr := newTransport(time.Second)
	t.Cleanup(tr.close)
	for i := range 3 {
		if _, body := roundTripBody(t, tr, ln.Addr().String(), "GET", "/"); string(body) != "ok" {
			t.Fatalf("request %d: %q", i, body)
		}
		time.Sleep(50 * time.Millisecond) // the app has closed the connection by now
	}
	if n := accepted.Load(); n != 3 {
		t.Fatalf("%d connections for 3 requests", n)
	}
}
