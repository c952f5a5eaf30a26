package main

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
)

func dialWS(t *testing.T, url string, protocols ...string) *websocket.Conn {
	t.Helper()
	d := websocket.Dialer{Subprotocols: protocols, HandshakeTimeout: 5 * time.Second}
	conn, resp, err := d.Dial("ws"+strings.TrimPrefix(url, "http"), nil)
	if err != nil {
		t.Fatalf("dial %s: %v", url, err)
	}
	resp.Body.Close()
	t.Cleanup(func() { conn.Close() })
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	return conn
}

func TestWebSocketEcho(t *testing.T) {
	srv, _ := startServer(t, config{BasePath: "/b/"})
	conn := dialWS(t, srv.URL+"/b/ws", "x-unknown", "echo", "chat")
	if got := conn.Subprotocol(); got != "echo" {
		t.Errorf("subprotocol = %q, want echo (first known one offered)", got)
	}

	pong := make(chan string, 1)
	conn.SetPongHandler(func(data string) error { pong <- data; return nil })
	if err := conn.WriteControl(websocket.PingMessage, []byte("p1"), time.Now().Add(time.Second)); err != nil {
		t.Fatal(err)
	}

	bin := bytes.Repeat([]byte{0, 1, 2, 255}, 300_000)
	msgs := []struct {
		typ  int
		data []byte
	}{{websocket.TextMessage, []byte("hello")}, {websocket.BinaryMessage, bin}, {websocket.TextMessage, []byte("")}}
	for _, m := range msgs {
		if err := conn.WriteMessage(m.typ, m.data); err != nil {
			t.Fatal(err)
		}
		typ, data, err := conn.ReadMessage()
		if err != nil {
			t.Fatal(err)
		}
		if typ != m.typ || !bytes.Equal(data, m.data) {
			t.Errorf("echo of %d-byte type %d message: got %d bytes type %d", len(m.data), m.typ, len(data), typ)
		}
	}
	select {
	case got := <-pong:
		if got != "p1" {
			t.Errorf("pong %q, want p1", got)
		}
	default:
		t.Error("no pong received")
	}

	if err := conn.WriteMessage(websocket.TextMessage, []byte("close:4001:bye now")); err != nil {
		t.Fatal(err)
	}
	_, _, err := conn.ReadMessage()
	var ce *websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != 4001 || ce.Text != "bye now" {
		t.Fatalf("read after close command: %v, want close 4001 \"bye now\"", err)
	}
}

func TestWebSocketSubprotocols(t *testing.T) {
	srv, _ := startServer(t, config{})
	if got := dialWS(t, srv.URL+"/ws", "chat", "echo").Subprotocol(); got != "chat" {
		t.Errorf("offered chat, echo: got %q", got)
	}
	if got := dialWS(t, srv.URL+"/ws", "other").Subprotocol(); got != "" {
		t.Errorf("offered other: got %q, want none", got)
	}
	if got := dialWS(t, srv.URL+"/ws").Subprotocol(); got != "" {
		t.Errorf("offered nothing: got %q", got)
	}
	if code, _ := get(t, srv.URL+"/ws"); code != 400 {
		t.Errorf("plain GET /ws = %d, want 400", code)
	}
}

func TestParseCloseCommand(t *testing.T) {
	for in, want := range map[string]struct {
		code   int
		reason string
	}{"1000:": {1000, ""}, "4999:a:b": {4999, "a:b"}, "x": {1000, ""}, "3000": {3000, ""}} {
		if code, reason := parseCloseCommand(in); code != want.code || reason != want.reason {
			t.Errorf("parseCloseCommand(%q) = %d %q", in, code, reason)
		}
	}
}
