package api

import (
	"context"
	"errors"
	"net/url"
	"time"

	"github.com/gofiber/contrib/websocket"
	"github.com/gofiber/fiber/v2"

	"github.com/bihealth/kiosc/app/access"
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
	for _, a := range []string{"start", "stop", "restart", "pause", "unpause", "update"} {
		r.Post("/containers/:uuid/"+a, web.RequireUser, h.action(a))
	}
	r.Post("/containers/:uuid/check-update", web.RequireUser, h.checkUpdate)
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
	case errors.Is(err, lifecycle.ErrCapacity):
		return &web.Error{Status: fiber.StatusConflict, Code: "capacity_exceeded", Message: err.Error()}
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

// delete deletes a container; ?volumes=delete removes its own volumes with it, ?volumes=keep (the default) keeps
// them for KIOSC_REMOVE_VOLUMES_AFTER.
func (h *Containers) delete(c *fiber.Ctx) error {
	var deleteVolumes bool
	switch c.Query("volumes") {
	case "", "keep":
	case "delete":
		deleteVolumes = true
	default:
		return web.FieldError("volumes", `must be "keep" or "delete"`)
	}
	ct, aud, err := h.container(c, access.ManageContainers)
	if err != nil {
		return err
	}
	ct, err = h.Manager.DeleteWithVolumes(c.UserContext(), web.IdentityOf(c).User, ct.UUID, deleteVolumes)
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
		case "update":
			ct, err = h.Manager.UpdateImage(ctx, u, ct.UUID)
		}
		if err != nil {
			return managerError(err)
		}
		return c.Status(fiber.StatusAccepted).JSON(h.containerOut(ct, aud))
	}
}

// checkUpdate asks the registry for a newer image under the container's tag and answers 200 with the container,
// whose update_status, update_available, available_digest and update_message tell the outcome (a registry that
// refused or did not answer is an outcome too: status failed, the cause in words). Nothing that runs changes. 503
// when the Docker engine does not answer.
func (h *Containers) checkUpdate(c *fiber.Ctx) error {
	ct, aud, err := h.container(c, access.ManageContainers)
	if err != nil {
		return err
	}
	ct, err = h.Manager.CheckUpdate(c.UserContext(), web.IdentityOf(c).User, ct.UUID)
	if errors.Is(err, lifecycle.ErrDockerUnavailable) {
		return web.Unavailable("docker_unavailable", err.Error(), 5)
	}
	if err != nil {
		return managerError(err)
	}
	return c.JSON(h.containerOut(ct, aud))
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
	return containerList(h, c, h.Store.ListContainerEvents, func(e *store.ContainerEvent) EventOut {
		return EventOut{Time: e.Time, Level: e.Level, Message: e.Message, Username: e.Username}
	})
}

// containerList answers a page of one of a container's lists (its kiosc events, its jobs) to those who may see
// the container, each item converted for the API.
func containerList[T, O any](h *Containers, c *fiber.Ctx, list func(context.Context, string, store.Page) ([]T, int, error), out func(T) O) error {
	ct, _, err := h.container(c, access.ViewContainer)
	if err != nil {
		return err
	}
	page, err := web.ParsePage(c)
	if err != nil {
		return err
	}
	got, total, err := list(c.UserContext(), ct.UUID, page)
	if err != nil {
		return err
	}
	items := make([]O, 0, len(got))
	for _, x := range got {
		items = append(items, out(x))
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
	return containerList(h, c, h.Store.ListJobs, func(j *store.Job) JobOut {
		out := JobOut{UUID: j.UUID, Action: j.Action, State: j.State, Message: j.Message, Progress: j.Progress,
			Username: j.Username, CreatedAt: j.CreatedAt, FinishedAt: j.FinishedAt}
		if j.Step != "" {
			s := j.Step
			out.Step = &s
		}
		return out
	})
}
