package api

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/contrib/websocket"
	"github.com/gofiber/fiber/v2"

	"github.com/bihealth/kiosc/app/access"
	"github.com/bihealth/kiosc/app/auth"
	"github.com/bihealth/kiosc/app/events"
)

// LiveQueueSize bounds each live client's queue; a client that falls this far behind is dropped.
const LiveQueueSize = 256

// Live pushes bus events over /api/v1/ws to each user as far as their roles allow.
type Live struct {
	Bus     *events.Bus
	Checker *access.Checker
	Auth    *auth.Service
	BaseURL *url.URL
	Log     *slog.Logger
	Version string
}

// Register adds GET /ws under /api/v1.
func (h *Live) Register(r fiber.Router) {
	r.Get("/ws", RequireUser, func(c *fiber.Ctx) error {
		if !websocket.IsWebSocketUpgrade(c) {
			return &Error{Status: 426, Code: "upgrade_required", Message: "this endpoint speaks websocket"}
		}
		if !SameOrigin(c, h.BaseURL) {
			return Forbidden("cross-origin websocket refused")
		}
		c.Locals("live.identity", IdentityOf(c))
		return c.Next()
	}, websocket.New(h.serve))
}

// SameOrigin accepts requests without an Origin (non-browser clients), from kiosc's base URL, or whose Origin host
// equals the Host they were sent to. It defends websockets against cross-site hijacking (browsers send cookies with
// cross-site websocket handshakes).
func SameOrigin(c *fiber.Ctx, base *url.URL) bool {
	origin := c.Get(fiber.HeaderOrigin)
	if origin == "" {
		return true
	}
	o, err := url.Parse(origin)
	if err != nil {
		return false
	}
	if base != nil && strings.EqualFold(o.Scheme+"://"+o.Host, base.Scheme+"://"+base.Host) {
		return true
	}
	return strings.EqualFold(o.Host, c.Hostname())
}

func (h *Live) serve(conn *websocket.Conn) {
	id, _ := conn.Locals("live.identity").(*auth.Identity)
	if id == nil {
		_ = conn.Close()
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	user := id.User
	sub := h.Bus.Subscribe(LiveQueueSize, func(e events.Event) bool {
		if e.Type == events.TypeContainerLog {
			return false
		}
		if e.ProjectUUID == "" {
			return user.IsSuperuser
		}
		ok, err := h.Checker.Can(ctx, user, e.ProjectUUID, e.Need)
		return err == nil && ok
	})
	defer h.Bus.Unsubscribe(sub)

	readerDone := make(chan struct{})
	// fasthttp recycles the connection's buffers once this handler returns, so the reader must have stopped by then:
	// closing the connection ends its ReadMessage, and we wait for it.
	defer func() {
		_ = conn.Close()
		<-readerDone
	}()
	go func() { // the read side only detects the close; clients send nothing we act on
		defer close(readerDone)
		defer cancel()
		conn.SetReadLimit(4096)
		for {
			if _, _, err := conn.ReadMessage(); err != nil {
				return
			}
		}
	}()

	write := func(v any) error {
		b, err := json.Marshal(v)
		if err != nil {
			return err
		}
		_ = conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
		return conn.WriteMessage(websocket.TextMessage, b)
	}
	if err := write(fiber.Map{"type": "hello", "data": fiber.Map{"username": user.Username, "version": h.Version, "time": time.Now().UTC()}}); err != nil {
		return
	}
	ping := time.NewTicker(30 * time.Second)
	defer ping.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-sub.Done():
			h.Log.Warn("live client dropped: queue full", "username", user.Username)
			_ = conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseTryAgainLater, "too slow"), time.Now().Add(time.Second))
			return
		case e := <-sub.C():
			if err := write(e); err != nil {
				return
			}
		case <-ping.C:
			// The session or token may have ended (logout, revoked, disabled account) since the socket opened.
			if !h.Auth.StillValid(ctx, id) {
				_ = conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.ClosePolicyViolation, "session ended"), time.Now().Add(time.Second))
				return
			}
			_ = conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(5*time.Second))
		}
	}
}
