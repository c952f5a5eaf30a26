package api

import (
	"encoding/json"
	"time"

	"github.com/gofiber/contrib/websocket"
)

// drainSocket reads a websocket the server only writes to, so that a close by the client is noticed: it calls
// cancel when the client goes. The returned end closes the connection and waits for the reader, which must have
// stopped before the handler returns, since fasthttp recycles the connection's buffers then; defer it.
func drainSocket(conn *websocket.Conn, cancel func()) (end func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer cancel()
		conn.SetReadLimit(4096)
		for {
			if _, _, err := conn.ReadMessage(); err != nil {
				return
			}
		}
	}()
	return func() {
		_ = conn.Close()
		<-done
	}
}

// writeSocketJSON writes v as one text message, giving a slow client 10 s.
func writeSocketJSON(conn *websocket.Conn, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_ = conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
	return conn.WriteMessage(websocket.TextMessage, b)
}
