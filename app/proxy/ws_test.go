package proxy_test

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/fasthttp/websocket"

	"github.com/bihealth/kiosc/app/events"
	"github.com/bihealth/kiosc/app/proxy"
	"github.com/bihealth/kiosc/app/store"
)

// dialWS opens a websocket through the proxy with a session cookie and the given Origin ("" = none).
func dialWS(t *testing.T, e *env, uuid, cookie, origin string, protocols ...string) (*websocket.Conn, *http.Response, error) {
	t.Helper()
	h := http.Header{}
	if cookie != "" {
		h.Set("Cookie", "kiosc_session="+cookie)
	}
	if origin != "" {
		h.Set("Origin", origin)
	}
	d := websocket.Dialer{Subprotocols: protocols, HandshakeTimeout: 10 * time.Second}
	return d.Dial("ws"+strings.TrimPrefix(e.url(uuid, "/ws"), "http"), h)
}

// waitFor polls cond for up to 20 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// expectClosed reads until the connection fails and returns the error.
func expectClosed(t *testing.T, c *websocket.Conn) error {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(20 * time.Second))
	for {
		if _, _, err := c.ReadMessage(); err != nil {
			var ne interface{ Timeout() bool }
			if errors.As(err, &ne) && ne.Timeout() {
				t.Fatal("the tunnel was not closed")
			}
			return err
		}
	}
}

func TestWebsocket(t *testing.T) {
	e := newEnv(t)
	guest := e.member("gina", "guest")
	cookie, _ := e.session(guest)

	t.Run("a frame sent together with the handshake is relayed", func(t *testing.T) {
		// The server reads the handshake and the frame in one go; the tunnel must hand the buffered frame on.
		conn, err := net.Dial("tcp", strings.TrimPrefix(e.base, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
		frame := []byte{0x81, 0x85, 1, 2, 3, 4, 'e' ^ 1, 'a' ^ 2, 'r' ^ 3, 'l' ^ 4, 'y' ^ 1}
		req := "GET " + proxy.PathPrefix + e.strip + "/ws HTTP/1.1\r\nHost: " + strings.TrimPrefix(e.base, "http://") +
			"\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n" +
			"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nCookie: kiosc_session=" + cookie + "\r\n\r\n"
		if _, err := conn.Write(append([]byte(req), frame...)); err != nil {
			t.Fatal(err)
		}
		br := bufio.NewReader(conn)
		resp, err := http.ReadResponse(br, nil)
		if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
			t.Fatalf("handshake: %v %v", resp, err)
		}
		echo := make([]byte, 7)
		if _, err := io.ReadFull(br, echo); err != nil || echo[0] != 0x81 || echo[1] != 5 || string(echo[2:]) != "early" {
			t.Fatalf("echo % x %v", echo, err)
		}
	})

	t.Run("echo with a subprotocol, binary frames, ping and close codes", func(t *testing.T) {
		for _, uuid := range []string{e.strip, e.keep} {
			c, resp, err := dialWS(t, e, uuid, cookie, e.base, "nope", "chat")
			if err != nil {
				t.Fatalf("dial: %v (%v)", err, resp)
			}
			if c.Subprotocol() != "chat" {
				t.Fatalf("subprotocol %q", c.Subprotocol())
			}
			if err := c.WriteMessage(websocket.TextMessage, []byte("hello")); err != nil {
				t.Fatal(err)
			}
			if mt, msg, err := c.ReadMessage(); err != nil || mt != websocket.TextMessage || string(msg) != "hello" {
				t.Fatalf("text echo: %d %q %v", mt, msg, err)
			}
			bin := bytes.Repeat([]byte{0, 1, 2, 255}, 256<<10) // 1 MiB
			if err := c.WriteMessage(websocket.BinaryMessage, bin); err != nil {
				t.Fatal(err)
			}
			if mt, msg, err := c.ReadMessage(); err != nil || mt != websocket.BinaryMessage || !bytes.Equal(msg, bin) {
				t.Fatalf("binary echo: %d %d bytes %v", mt, len(msg), err)
			}
			pong := make(chan string, 1)
			c.SetPongHandler(func(s string) error { pong <- s; return nil })
			if err := c.WriteControl(websocket.PingMessage, []byte("p1"), time.Now().Add(5*time.Second)); err != nil {
				t.Fatal(err)
			}
			if err := c.WriteMessage(websocket.TextMessage, []byte("close:4001:bye now")); err != nil {
				t.Fatal(err)
			}
			err = expectClosed(t, c)
			var ce *websocket.CloseError
			if !errors.As(err, &ce) || ce.Code != 4001 || ce.Text != "bye now" {
				t.Fatalf("close: %v", err)
			}
			select {
			case p := <-pong:
				if p != "p1" {
					t.Fatalf("pong %q", p)
				}
			default:
				t.Fatal("no pong")
			}
			c.Close()
		}
		waitFor(t, "tunnels to be released", func() bool { return e.proxy.Tunnels() == 0 })
	})

	t.Run("unauthenticated and cross-origin upgrades are refused", func(t *testing.T) {
		if _, resp, err := dialWS(t, e, e.strip, "", e.base); err == nil || resp == nil || resp.StatusCode != 401 {
			t.Fatalf("anonymous: %v %v", err, resp)
		}
		if _, resp, err := dialWS(t, e, e.strip, cookie, "https://evil.example"); err == nil || resp == nil || resp.StatusCode != 403 {
			t.Fatalf("cross-origin: %v %v", err, resp)
		}
		viewer, _ := e.session(e.member("vic", "viewer"))
		if _, resp, err := dialWS(t, e, e.strip, viewer, e.base); err == nil || resp == nil || resp.StatusCode != 403 {
			t.Fatalf("viewer: %v %v", err, resp)
		}
		stranger, _ := e.session(e.member("sam", ""))
		if _, resp, err := dialWS(t, e, e.strip, stranger, e.base); err == nil || resp == nil || resp.StatusCode != 404 {
			t.Fatalf("non-member: %v %v", err, resp)
		}
		if e.proxy.Tunnels() != 0 {
			t.Fatalf("%d tunnels open", e.proxy.Tunnels())
		}
	})

	t.Run("websocket-only traffic counts as activity", func(t *testing.T) {
		c, _, err := dialWS(t, e, e.strip, cookie, "")
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		before := e.fake.touched(e.strip)
		// Frames over more than the throttle interval must touch the container again.
		for range 6 {
			time.Sleep(300 * time.Millisecond)
			if err := c.WriteMessage(websocket.TextMessage, []byte("tick")); err != nil {
				t.Fatal(err)
			}
			if _, _, err := c.ReadMessage(); err != nil {
				t.Fatal(err)
			}
		}
		if got := e.fake.touched(e.strip); got <= before {
			t.Fatalf("touches %d -> %d", before, got)
		}
	})

	t.Run("a container leaving running closes its tunnels", func(t *testing.T) {
		c1, _, err := dialWS(t, e, e.strip, cookie, "")
		if err != nil {
			t.Fatal(err)
		}
		defer c1.Close()
		c2, _, err := dialWS(t, e, e.keep, cookie, "")
		if err != nil {
			t.Fatal(err)
		}
		defer c2.Close()
		waitFor(t, "two tunnels", func() bool { return e.proxy.Tunnels() == 2 })
		// As the lifecycle does: the state changes, then the event announces it.
		running, _ := e.fake.Upstream(t.Context(), e.strip)
		stopping := running
		stopping.State, stopping.Addr = store.StateStopping, ""
		e.fake.set(stopping)
		defer e.fake.set(running)
		e.bus.Publish(events.Event{Type: events.TypeContainerState, Key: e.strip, ProjectUUID: e.project.UUID,
			Data: map[string]any{"uuid": e.strip, "state": "stopping"}})
		_ = expectClosed(t, c1)
		// The other container's tunnel still works.
		if err := c2.WriteMessage(websocket.TextMessage, []byte("still here")); err != nil {
			t.Fatal(err)
		}
		if _, msg, err := c2.ReadMessage(); err != nil || string(msg) != "still here" {
			t.Fatalf("%q %v", msg, err)
		}
		waitFor(t, "one tunnel", func() bool { return e.proxy.Tunnels() == 1 })
	})

	t.Run("an event that comes after its app runs again closes only the tunnels of the earlier run", func(t *testing.T) {
		c, _, err := dialWS(t, e, e.strip, cookie, "")
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		waitFor(t, "one tunnel", func() bool { return e.proxy.Tunnels() == 1 })
		// The lifecycle says running (at the same address), the event still says stopping: the tunnel stays.
		e.bus.Publish(events.Event{Type: events.TypeContainerState, Key: e.strip, ProjectUUID: e.project.UUID,
			Data: map[string]any{"uuid": e.strip, "state": "stopping"}})
		time.Sleep(300 * time.Millisecond)
		if err := c.WriteMessage(websocket.TextMessage, []byte("still here")); err != nil {
			t.Fatal(err)
		}
		if _, msg, err := c.ReadMessage(); err != nil || string(msg) != "still here" {
			t.Fatalf("%q %v", msg, err)
		}
		// It runs elsewhere now: the tunnel to where it ran goes, whatever the event says.
		running, _ := e.fake.Upstream(t.Context(), e.strip)
		moved := running
		moved.Addr = closedAddr(t)
		e.fake.set(moved)
		defer e.fake.set(running)
		e.bus.Publish(events.Event{Type: events.TypeContainerState, Key: e.strip, ProjectUUID: e.project.UUID,
			Data: map[string]any{"uuid": e.strip, "state": "stopped"}})
		_ = expectClosed(t, c)
	})

	t.Run("a tunnel closes when its session ends", func(t *testing.T) {
		u := e.member("shortlived", "guest")
		sc, _ := e.session(u)
		c, _, err := dialWS(t, e, e.strip, sc, "")
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		id, err := e.auth.SessionIdentity(t.Context(), sc)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.auth.Logout(t.Context(), id); err != nil {
			t.Fatal(err)
		}
		_ = expectClosed(t, c) // RecheckInterval is 500 ms in tests
	})

	t.Run("a superuser demoted while a tunnel is open loses it", func(t *testing.T) {
		u := e.member("root2", "superuser")
		sc, _ := e.session(u)
		c, _, err := dialWS(t, e, e.strip, sc, "")
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		u.IsSuperuser = false
		if err := e.st.UpdateUser(t.Context(), u); err != nil {
			t.Fatal(err)
		}
		e.bus.Publish(events.Event{Type: events.TypeTimelineEvent, Data: map[string]any{"event_name": "user_update"}})
		_ = expectClosed(t, c)
	})

	t.Run("closing the proxy closes every tunnel", func(t *testing.T) {
		var conns []*websocket.Conn
		for range 5 {
			c, _, err := dialWS(t, e, e.keep, cookie, "")
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			conns = append(conns, c)
		}
		e.proxy.Close()
		for _, c := range conns {
			_ = expectClosed(t, c)
		}
		waitFor(t, "no tunnels", func() bool { return e.proxy.Tunnels() == 0 })
		if _, resp, err := dialWS(t, e, e.keep, cookie, ""); err == nil || resp == nil || resp.StatusCode != 503 {
			t.Fatalf("after close: %v %v", err, resp)
		}
	})
}
