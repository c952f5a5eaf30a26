package api

import (
	"context"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/bihealth/kiosc/app/access"
	"github.com/bihealth/kiosc/app/lifecycle"
	"github.com/bihealth/kiosc/app/settings"
	"github.com/bihealth/kiosc/app/store"
	"github.com/bihealth/kiosc/app/web"
)

// Images serves GET /images/inspect: what the Docker host knows about an image, for the container and template
// forms. It answers those who may configure containers somewhere: superusers and contributors (and up) of any
// project.
type Images struct {
	Manager *lifecycle.Manager
	Checker *access.Checker
}

// Register adds the routes under /api/v1.
func (h *Images) Register(r fiber.Router) {
	r.Get("/images/inspect", web.RequireUser, h.inspect)
}

func (h *Images) inspect(c *fiber.Ctx) error {
	ctx := c.UserContext()
	ok, err := configuresSomewhere(ctx, h.Checker, web.IdentityOf(c).User)
	if err != nil {
		return err
	}
	if !ok {
		return web.Forbidden("looking up images needs the contributor role in a project")
	}
	ref := strings.TrimSpace(c.Query("image"))
	if ref == "" {
		return web.FieldError("image", "required")
	}
	if err := settings.ValidImage(ref); err != nil {
		return web.FieldError("image", err.Error())
	}
	facts, err := h.Manager.InspectImage(ctx, ref)
	if err != nil {
		return dockerError(err)
	}
	return c.JSON(facts)
}

// configuresSomewhere reports whether u may create containers or templates in at least one project.
func configuresSomewhere(ctx context.Context, ch *access.Checker, u *store.User) (bool, error) {
	if u.IsSuperuser {
		return true, nil
	}
	visible, roles, err := ch.Visible(ctx, u)
	if err != nil {
		return false, err
	}
	for _, p := range visible {
		if access.Allowed(false, roles[p.UUID], access.ManageContainers) || access.Allowed(false, roles[p.UUID], access.ManageTemplates) {
			return true, nil
		}
	}
	return false, nil
}
