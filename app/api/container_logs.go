package api

import (
	"context"
	"errors"
	"strconv"
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

// parseTail reads ?tail= (lines, default 500, at most 10000).
func parseTail(c *fiber.Ctx) (int, error) {
	tail := 500
	if v := c.Query("tail"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 10000 {
			return 0, web.FieldError("tail", "must be a whole number between 0 and 10000")
		}
		tail = n
	}
	return tail, nil
}

func (h *Containers) logs(c *fiber.Ctx) error {
	ct, _, err := h.container(c, access.ViewLogs)
	if err != nil {
		return err
	}
	tail, err := parseTail(c)
	if err != nil {
		return err
	}
	var since time.Time
	if v := c.Query("since"); v != "" {
		if since, err = time.Parse(time.RFC3339Nano, v); err != nil {
			return web.FieldError("since", "must be an RFC 3339 time such as 2026-01-02T15:04:05Z")
		}
	}
	if tail == 0 {
		tail = 10000
	}
	lines, err := h.Manager.Logs(c.UserContext(), ct.UUID, since, tail)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": lines})
}

// LogStreamQueue bounds a log stream client's queue; a client that falls this far behind is disconnected.
const LogStreamQueue = 1024

// LogAccessRecheck is how often an open log stream re-checks that its user may still read the logs when no line
// arrives (every line is checked as well). The check reads the access cache, so it costs no query.
const LogAccessRecheck = 2 * time.Second

// logStreamRevoked is the close reason of a log stream whose user lost the right to read the logs.
const logStreamRevoked = "access revoked"

func (h *Containers) streamCheck(c *fiber.Ctx) error {
	ct, _, err := h.container(c, access.ViewLogs)
	if err != nil {
		return err
	}
	tail, err := parseTail(c)
	if err != nil {
		return err
	}
	if !websocket.IsWebSocketUpgrade(c) {
		return &web.Error{Status: 426, Code: "upgrade_required", Message: "this endpoint speaks websocket"}
	}
	if !web.SameOrigin(c, h.BaseURL) {
		return web.Forbidden("cross-origin websocket refused")
	}
	c.Locals("logs.container", ct.UUID)
	c.Locals("logs.project", ct.ProjectUUID)
	c.Locals("logs.tail", tail)
	c.Locals("logs.identity", web.IdentityOf(c))
	return c.Next()
}

// mayReadLogs reports whether u, with the superuser flag and roles u has now (not when the stream opened), may
// read the logs of containers in project.
func (h *Containers) mayReadLogs(ctx context.Context, u *store.User, project string) bool {
	cur, active, err := h.Checker.Current(ctx, u)
	if err != nil || !active {
		return false
	}
	ok, err := h.Checker.Can(ctx, cur, project, access.ViewLogs)
	return err == nil && ok
}

// stream sends stored lines (the last tail), then every new line as Docker writes it, across restarts and
// recreations of the Docker container, and closes normally with reason "deleted" when the container is deleted.
// When its user loses the right to read the logs (demoted, removed from the project, disabled), no further line
// is sent and the stream closes with reason "access revoked" within LogAccessRecheck.
func (h *Containers) stream(conn *websocket.Conn) {
	id, _ := conn.Locals("logs.container").(string)
	project, _ := conn.Locals("logs.project").(string)
	tail, _ := conn.Locals("logs.tail").(int)
	ident, _ := conn.Locals("logs.identity").(*auth.Identity)
	if id == "" || project == "" || ident == nil {
		_ = conn.Close()
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sub := h.Bus.Subscribe(LogStreamQueue, func(e events.Event) bool {
		return e.Key == id && (e.Type == events.TypeContainerLog || e.Type == events.TypeContainerState)
	})
	defer h.Bus.Unsubscribe(sub)
	defer drainSocket(conn, cancel)()
	write := func(m any) error { return writeSocketJSON(conn, m) }
	closeWith := func(code int, reason string) {
		_ = conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, reason), time.Now().Add(time.Second))
	}
	var last time.Time
	if tail > 0 {
		lines, err := h.Manager.Logs(ctx, id, time.Time{}, tail)
		if err != nil {
			closeWith(websocket.CloseInternalServerErr, "could not read logs")
			return
		}
		for _, l := range lines {
			if err := write(l); err != nil {
				return
			}
			last = l.Time
		}
	}
	ping := time.NewTicker(30 * time.Second)
	defer ping.Stop()
	recheck := time.NewTicker(LogAccessRecheck)
	defer recheck.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-sub.Done():
			closeWith(websocket.CloseTryAgainLater, "too slow")
			return
		case <-recheck.C:
			if !h.mayReadLogs(ctx, ident.User, project) {
				closeWith(websocket.ClosePolicyViolation, logStreamRevoked)
				return
			}
		case e := <-sub.C():
			if !h.mayReadLogs(ctx, ident.User, project) {
				closeWith(websocket.ClosePolicyViolation, logStreamRevoked)
				return
			}
			switch d := e.Data.(type) {
			case lifecycle.LogLine:
				if !d.Time.After(last) {
					continue // already sent from the stored lines
				}
				if err := write(d); err != nil {
					return
				}
			case lifecycle.View:
				if d.State == store.StateDeleted {
					if _, err := h.Store.GetContainer(ctx, id); errors.Is(err, store.ErrNotFound) {
						closeWith(websocket.CloseNormalClosure, "deleted")
						return
					}
				}
			}
		case <-ping.C:
			_ = conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(5*time.Second))
		}
	}
}
