package main

import (
	"bytes"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/fasthttp/websocket"
)

// wsUpgrader accepts any origin (the app sits behind the proxy under test)
// and, of the subprotocols the client offers, the first one it knows.
var wsUpgrader = websocket.Upgrader{
	Subprotocols: []string{"chat", "echo"},
	CheckOrigin:  func(*http.Request) bool { return true },
}

// closeCommand is the text message prefix that makes /ws close the
// connection: "close:<code>:<reason>".
const closeCommand = "close:"

// handleWS echoes text and binary messages unchanged. Pings are answered by
// the library's default handler.
func (s *server) handleWS(w http.ResponseWriter, r *http.Request) {
	conn, err := wsUpgrader.Upgrade(w, r, nil)
	if err != nil {
		return // Upgrade has answered with an HTTP error.
	}
	defer conn.Close()
	conn.SetReadLimit(64 << 20)
	for {
		mt, data, err := conn.ReadMessage()
		if err != nil {
			return
		}
		if mt == websocket.TextMessage && bytes.HasPrefix(data, []byte(closeCommand)) {
			code, reason := parseCloseCommand(string(data[len(closeCommand):]))
			msg := websocket.FormatCloseMessage(code, reason)
			if conn.WriteControl(websocket.CloseMessage, msg, time.Now().Add(time.Second)) != nil {
				return
			}
			// Wait briefly for the peer's close frame so the TCP connection
			// is not reset before the client has read ours.
			_ = conn.SetReadDeadline(time.Now().Add(2 * time.Second))
			for {
				if _, _, err := conn.ReadMessage(); err != nil {
					return
				}
			}
		}
		if err := conn.WriteMessage(mt, data); err != nil {
			return
		}
	}
}

// parseCloseCommand parses "<code>:<reason>"; an unparsable code means 1000
// (normal closure). The reason is cut to the 123 bytes a close frame allows.
func parseCloseCommand(s string) (int, string) {
	codeStr, reason, _ := strings.Cut(s, ":")
	code, err := strconv.Atoi(codeStr)
	if err != nil {
		code = websocket.CloseNormalClosure
	}
	if len(reason) > 123 {
		reason = reason[:123]
	}
	return code, reason
}
