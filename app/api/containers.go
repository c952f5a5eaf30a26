package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
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

// Containers serves the container endpoints (spec section 8): CRUD, actions, kiosc events, jobs and logs.
//
// Actions answer 202 at once with the container; the work happens in the background and shows as state changes
// (container.state on /api/v1/ws), job progress and kiosc events. Concurrent actions on one container are queued,
// never refused: the latest desired state wins and identical requests share one job.
type Containers struct {
	Manager *lifecycle.Manager
	Store   *store.Store
	Checker *access.Checker
	Bus     *events.Bus
	BaseURL *url.URL
}

// Register adds the routes under /api/v1.
func (h *Containers) Register(r fiber.Router) {
	r.Get("/projects/:uuid/containers", web.RequireUser, h.listProject)
	r.Post("/projects/:uuid/containers", web.RequireUser, h.create)
	r.Get("/containers", web.RequireUser, h.list)
	r.Get("/containers/:uuid", web.RequireUser, h.get)
	r.Patch("/containers/:uuid", web.RequireUser, h.update)
	r.Delete("/containers/:uuid", web.RequireUser, h.delete)
	for _, a := range []string{"start", "stop", "restart", "pause", "unpause"} {
		r.Post("/containers/:uuid/"+a, web.RequireUser, h.action(a))
	}
	r.Post("/containers/:uuid/open", web.RequireUser, h.open)
	r.Get("/containers/:uuid/events", web.RequireUser, h.events)
	r.Get("/containers/:uuid/jobs", web.RequireUser, h.jobs)
	r.Get("/containers/:uuid/logs", web.RequireUser, h.logs)
	r.Get("/containers/:uuid/logs/stream", web.RequireUser, h.streamCheck, websocket.New(h.stream))
}

// container loads a container the caller may act on, with what the caller may see of it: 404 when it does not
// exist or the caller has no role in its project, 403 when the role does not allow the action.
func (h *Containers) container(c *fiber.Ctx, action access.Action) (*store.Container, lifecycle.Audience, error) {
	ctx := c.UserContext()
	u := web.IdentityOf(c).User
	ct, err := h.Store.GetContainer(ctx, c.Params("uuid"))
	if err != nil {
		return nil, lifecycle.AudienceNone, web.StoreError(err, "container")
	}
	aud, err := h.allow(ctx, u, ct.ProjectUUID, action, "container")
	if err != nil {
		return nil, lifecycle.AudienceNone, err
	}
	return ct, aud, nil
}

// allow checks that u may perform action in the project and returns what u may see of its containers.
func (h *Containers) allow(ctx context.Context, u *store.User, projectUUID string, action access.Action, what string) (lifecycle.Audience, error) {
	if u.IsSuperuser {
		return lifecycle.AudienceOf(true, ""), nil
	}
	p, role, err := h.Checker.Role(ctx, u, projectUUID)
	if err != nil {
		return lifecycle.AudienceNone, err
	}
	if p == nil || role == "" || role == access.RoleFinder {
		return lifecycle.AudienceNone, web.NotFound(what)
	}
	if !access.Allowed(false, role, action) {
		return lifecycle.AudienceNone, web.Forbidden("your role in this project does not allow this")
	}
	return lifecycle.AudienceOf(false, role), nil
}

// containerOut renders ct for a caller with audience aud (see lifecycle.View.For).
func (h *Containers) containerOut(ct *store.Container, aud lifecycle.Audience) any {
	return h.Manager.View(ct).For(aud)
}

// managerError maps the manager's errors to API errors.
func managerError(err error) error {
	var ve *lifecycle.ValidationError
	switch {
	case errors.As(err, &ve):
		return web.Validation(ve.Fields)
	case errors.Is(err, lifecycle.ErrConflict):
		return web.Conflict(err.Error())
	}
	return web.StoreError(err, "container")
}

func (h *Containers) listProject(c *fiber.Ctx) error {
	ctx := c.UserContext()
	u := web.IdentityOf(c).User
	aud, err := h.allow(ctx, u, c.Params("uuid"), access.ViewProject, "project")
	if err != nil {
		return err
	}
	if p, _, err := h.Checker.Role(ctx, u, c.Params("uuid")); err != nil {
		return err
	} else if p == nil {
		return web.NotFound("project")
	}
	return h.respondList(c, []string{c.Params("uuid")}, func(string) lifecycle.Audience { return aud })
}

func (h *Containers) list(c *fiber.Ctx) error {
	ctx := c.UserContext()
	u := web.IdentityOf(c).User
	if id := c.Query("project"); id != "" {
		aud, err := h.allow(ctx, u, id, access.ViewProject, "project")
		if err != nil {
			return err
		}
		return h.respondList(c, []string{id}, func(string) lifecycle.Audience { return aud })
	}
	if u.IsSuperuser {
		return h.respondList(c, nil, func(string) lifecycle.Audience { return lifecycle.AudienceOf(true, "") })
	}
	visible, roles, err := h.Checker.Visible(ctx, u)
	if err != nil {
		return err
	}
	projects := []string{}
	for _, p := range visible {
		if access.Allowed(false, roles[p.UUID], access.ViewProject) {
			projects = append(projects, p.UUID)
		}
	}
	return h.respondList(c, projects, func(project string) lifecycle.Audience { return lifecycle.AudienceOf(false, roles[project]) })
}

// respondList answers one page of the containers of projects (nil: all), each rendered for the caller's audience in
// its project.
func (h *Containers) respondList(c *fiber.Ctx, projects []string, audience func(project string) lifecycle.Audience) error {
	page, err := web.ParsePage(c)
	if err != nil {
		return err
	}
	state := store.State(c.Query("state"))
	if state != "" && !state.Valid() {
		return web.FieldError("state", "unknown state")
	}
	list, total, err := h.Store.ListContainers(c.UserContext(), store.ContainerFilter{ProjectUUIDs: projects, State: state, Page: page})
	if err != nil {
		return err
	}
	items := make([]any, 0, len(list))
	for _, ct := range list {
		items = append(items, h.containerOut(ct, audience(ct.ProjectUUID)))
	}
	return c.JSON(fiber.Map{"items": items, "total": total})
}

func (h *Containers) create(c *fiber.Ctx) error {
	ctx := c.UserContext()
	u := web.IdentityOf(c).User
	aud, err := h.allow(ctx, u, c.Params("uuid"), access.ManageContainers, "project")
	if err != nil {
		return err
	}
	p, err := h.Store.GetProjectByUUID(ctx, c.Params("uuid"))
	if err != nil {
		return web.StoreError(err, "project")
	}
	if p.Type != store.TypeProject {
		return web.BadRequest("not_a_project", "containers belong to projects, not categories")
	}
	var in lifecycle.Input
	if err := web.Decode(c, &in); err != nil {
		return err
	}
	if err := fillFromTemplate(ctx, h.Store, h.Checker, u, p.UUID, &in); err != nil {
		return err
	}
	ct, err := h.Manager.Create(ctx, u, p, &in)
	if err != nil {
		return managerError(err)
	}
	return c.Status(fiber.StatusCreated).JSON(h.containerOut(ct, aud))
}

func (h *Containers) get(c *fiber.Ctx) error {
	ct, aud, err := h.container(c, access.ViewContainer)
	if err != nil {
		return err
	}
	return c.JSON(h.containerOut(ct, aud))
}

func (h *Containers) update(c *fiber.Ctx) error {
	ct, aud, err := h.container(c, access.ManageContainers)
	if err != nil {
		return err
	}
	ctx, u := c.UserContext(), web.IdentityOf(c).User
	var in lifecycle.Input
	if err := web.Decode(c, &in); err != nil {
		return err
	}
	if in.Template != nil && *in.Template != "" {
		if _, err := linkTemplate(ctx, h.Store, h.Checker, u, ct.ProjectUUID, *in.Template); err != nil {
			return err
		}
	}
	ct, err = h.Manager.Update(ctx, u, ct.UUID, &in)
	if err != nil {
		return managerError(err)
	}
	return c.JSON(h.containerOut(ct, aud))
}

func (h *Containers) delete(c *fiber.Ctx) error {
	ct, aud, err := h.container(c, access.ManageContainers)
	if err != nil {
		return err
	}
	ct, err = h.Manager.Delete(c.UserContext(), web.IdentityOf(c).User, ct.UUID)
	if err != nil {
		return managerError(err)
	}
	return c.Status(fiber.StatusAccepted).JSON(h.containerOut(ct, aud))
}

func (h *Containers) action(name string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		ct, aud, err := h.container(c, access.ManageContainers)
		if err != nil {
			return err
		}
		ctx, u := c.UserContext(), web.IdentityOf(c).User
		switch name {
		case "start":
			ct, err = h.Manager.Start(ctx, u, ct.UUID)
		case "stop":
			ct, err = h.Manager.Stop(ctx, u, ct.UUID)
		case "restart":
			ct, err = h.Manager.Restart(ctx, u, ct.UUID)
		case "pause":
			ct, err = h.Manager.Pause(ctx, u, ct.UUID)
		case "unpause":
			ct, err = h.Manager.Unpause(ctx, u, ct.UUID)
		}
		if err != nil {
			return managerError(err)
		}
		return c.Status(fiber.StatusAccepted).JSON(h.containerOut(ct, aud))
	}
}

func (h *Containers) open(c *fiber.Ctx) error {
	ct, aud, err := h.container(c, access.OpenApp)
	if err != nil {
		return err
	}
	if err := h.Manager.Open(c.UserContext(), web.IdentityOf(c).User, ct.UUID); err != nil {
		return managerError(err)
	}
	if ct, err = h.Store.GetContainer(c.UserContext(), ct.UUID); err != nil {
		return web.StoreError(err, "container")
	}
	return c.Status(fiber.StatusAccepted).JSON(h.containerOut(ct, aud))
}

// EventOut is a kiosc event about a container.
type EventOut struct {
	Time     time.Time `json:"time"`
	Level    string    `json:"level"`
	Message  string    `json:"message"`
	Username string    `json:"username"`
}

func (h *Containers) events(c *fiber.Ctx) error {
	ct, _, err := h.container(c, access.ViewContainer)
	if err != nil {
		return err
	}
	page, err := web.ParsePage(c)
	if err != nil {
		return err
	}
	list, total, err := h.Store.ListContainerEvents(c.UserContext(), ct.UUID, page)
	if err != nil {
		return err
	}
	items := make([]EventOut, 0, len(list))
	for _, e := range list {
		items = append(items, EventOut{Time: e.Time, Level: e.Level, Message: e.Message, Username: e.Username})
	}
	return c.JSON(fiber.Map{"items": items, "total": total})
}

// JobOut is a background operation on a container.
type JobOut struct {
	UUID       string          `json:"uuid"`
	Action     string          `json:"action"`
	State      string          `json:"state"`
	Step       *string         `json:"step"`
	Message    string          `json:"message"`
	Progress   *store.Progress `json:"progress"`
	Username   string          `json:"username"`
	CreatedAt  time.Time       `json:"created_at"`
	FinishedAt *time.Time      `json:"finished_at"`
}

func (h *Containers) jobs(c *fiber.Ctx) error {
	ct, _, err := h.container(c, access.ViewContainer)
	if err != nil {
		return err
	}
	page, err := web.ParsePage(c)
	if err != nil {
		return err
	}
	list, total, err := h.Store.ListJobs(c.UserContext(), ct.UUID, page)
	if err != nil {
		return err
	}
	items := make([]JobOut, 0, len(list))
	for _, j := range list {
		out := JobOut{UUID: j.UUID, Action: j.Action, State: j.State, Message: j.Message, Progress: j.Progress,
			Username: j.Username, CreatedAt: j.CreatedAt, FinishedAt: j.FinishedAt}
		if j.Step != "" {
			s := j.Step
			out.Step = &s
		}
		items = append(items, out)
	}
	return c.JSON(fiber.Map{"items": items, "total": total})
}

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
	readerDone := make(chan struct{})
	go func() {
		defer close(readerDone)
		defer cancel()
		conn.SetReadLimit(4096)
		for {
			if _, _, err := conn.ReadMessage(); err != nil {
				return
			}
		}
	}()
	// The connection's buffers are recycled when this handler returns, so the reader must have stopped by then.
	defer func() {
		_ = conn.Close()
		<-readerDone
	}()
	write := func(v any) error {
		b, err := json.Marshal(v)
		if err != nil {
			return err
		}
		_ = conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
		return conn.WriteMessage(websocket.TextMessage, b)
	}
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
