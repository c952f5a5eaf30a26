package api

import (
	"context"
	"log/slog"
	"net/url"
	"time"

	"github.com/gofiber/contrib/websocket"
	"github.com/gofiber/fiber/v2"

	"github.com/bihealth/kiosc/app/access"
	"github.com/bihealth/kiosc/app/auth"
	"github.com/bihealth/kiosc/app/events"
	"github.com/bihealth/kiosc/app/lifecycle"
	"github.com/bihealth/kiosc/app/store"
	"github.com/bihealth/kiosc/app/web"
)

// LiveQueueSize bounds each live client's queue; a client that falls this far behind is dropped.
const LiveQueueSize = 256

// Live pushes bus events over /api/v1/ws to each user as far as their roles allow. Rights are judged per message
// with the user's current superuser flag and roles (access.Checker.Current), not those they had when the socket
// opened, and container.state messages are rendered for the receiver's role (lifecycle.View.For).
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
	r.Get("/ws", web.RequireUser, func(c *fiber.Ctx) error {
		if !websocket.IsWebSocketUpgrade(c) {
			return &web.Error{Status: 426, Code: "upgrade_required", Message: "this endpoint speaks websocket"}
		}
		if !web.SameOrigin(c, h.BaseURL) {
			return web.Forbidden("cross-origin websocket refused")
		}
		c.Locals("live.identity", web.IdentityOf(c))
		return c.Next()
	}, websocket.New(h.serve))
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
	// The filter keeps what the user may not see out of the queue; the same check runs again when a message is
	// written, so that a demotion between the two is honoured.
	sub := h.Bus.Subscribe(LiveQueueSize, func(e events.Event) bool {
		_, _, ok := h.allowed(ctx, user, e)
		return ok
	})
	defer h.Bus.Unsubscribe(sub)

	defer drainSocket(conn, cancel)()
	write := func(m any) error { return writeSocketJSON(conn, m) }
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
			out, ok := h.render(ctx, user, e)
			if !ok {
				continue
			}
			if err := write(out); err != nil {
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

// allowed reports whether u may receive e now, with u's current superuser flag and effective role in the event's
// project (which render needs too).
func (h *Live) allowed(ctx context.Context, u *store.User, e events.Event) (superuser bool, role string, ok bool) {
	if e.Type == events.TypeContainerLog {
		return false, "", false
	}
	cur, active, err := h.Checker.Current(ctx, u)
	if err != nil || !active {
		return false, "", false
	}
	if cur.IsSuperuser {
		// Everything, also about a project that has just been deleted.
		return true, "", true
	}
	if e.ProjectUUID == "" {
		return false, "", false // site-wide events are for superusers
	}
	p, role, err := h.Checker.Role(ctx, cur, e.ProjectUUID)
	if err != nil || p == nil {
		return false, "", false
	}
	return false, role, access.Allowed(false, role, e.Need)
}

// render returns e as u may receive it now, or false when u may not receive it at all.
func (h *Live) render(ctx context.Context, u *store.User, e events.Event) (events.Event, bool) {
	superuser, role, ok := h.allowed(ctx, u, e)
	if !ok {
		return e, false
	}
	if v, isView := e.Data.(lifecycle.View); isView {
		data := v.For(lifecycle.AudienceOf(superuser, role))
		if data == nil {
			return e, false
		}
		e.Data = data
	}
	return e, true
}
