package api

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/bihealth/kiosc/app/lifecycle"
	"github.com/bihealth/kiosc/app/store"
	"github.com/bihealth/kiosc/app/web"
)

// DockerAdmin is what the admin Docker and maintenance endpoints need (lifecycle.Manager).
type DockerAdmin interface {
	DockerOverview(ctx context.Context) (*lifecycle.DockerOverview, error)
	MaintenanceTasks(ctx context.Context) ([]lifecycle.MaintenanceTask, error)
	RunMaintenance(ctx context.Context, user *store.User, task string) (*lifecycle.MaintenanceResult, error)
}

// Admin serves the superuser views of the Docker host and the maintenance tasks (spec section 13).
type Admin struct {
	Docker DockerAdmin
}

// Register adds the routes under /api/v1.
func (h *Admin) Register(r fiber.Router) {
	r.Get("/admin/docker", web.RequireSuperuser, h.docker)
	r.Get("/admin/maintenance", web.RequireSuperuser, h.tasks)
	r.Post("/admin/maintenance/:task", web.RequireSuperuser, h.run)
}

// dockerError maps a failure to reach the engine to 503, leaving other errors alone.
func dockerError(err error) error {
	if errors.Is(err, lifecycle.ErrDockerUnavailable) {
		return web.Unavailable("docker_unavailable", err.Error(), 5)
	}
	return err
}

// docker answers the Docker overview: kiosc's containers with their Docker state (missing ones included),
// orphaned and unmanaged Docker containers, networks, volumes and images with the kiosc containers using them.
func (h *Admin) docker(c *fiber.Ctx) error {
	o, err := h.Docker.DockerOverview(c.UserContext())
	if err != nil {
		return dockerError(err)
	}
	return c.JSON(o)
}

// tasks answers {"items": [task...], "total": N}: each task with its description, schedule and last run.
func (h *Admin) tasks(c *fiber.Ctx) error {
	items, err := h.Docker.MaintenanceTasks(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": items, "total": len(items)})
}

// run runs one task and answers 200 with what it did; 404 naming the task when there is no such task. The task
// takes no options: a body, if sent, must be an empty JSON object.
func (h *Admin) run(c *fiber.Ctx) error {
	task := c.Params("task")
	if !slices.Contains(lifecycle.Tasks, task) {
		return &web.Error{Status: 404, Code: "not_found", Message: "maintenance task \"" + task + "\" not found (tasks: " +
			strings.Join(lifecycle.Tasks, ", ") + ")"}
	}
	if len(c.Body()) > 0 {
		var none struct{}
		if err := web.Decode(c, &none); err != nil {
			return err
		}
	}
	r, err := h.Docker.RunMaintenance(c.UserContext(), web.IdentityOf(c).User, task)
	if errors.Is(err, lifecycle.ErrUnknownTask) {
		return web.NotFound("maintenance task \"" + task + "\"")
	}
	if err != nil {
		return dockerError(err)
	}
	return c.JSON(r)
}
