package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/fasthttp/websocket"

	"github.com/bihealth/kiosc/app/proxy"
)

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

func mib(n uint64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }

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
