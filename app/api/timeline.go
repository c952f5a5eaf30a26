package api

import (
	"context"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/bihealth/kiosc/app/access"
	"github.com/bihealth/kiosc/app/store"
	"github.com/bihealth/kiosc/app/timeline"
	"github.com/bihealth/kiosc/app/web"
)

// Timeline serves GET /timeline, per project and site-wide.
type Timeline struct {
	Store   *store.Store
	Checker *access.Checker
}

// Register adds the routes under /api/v1.
func (h *Timeline) Register(r fiber.Router) {
	r.Get("/timeline", web.RequireUser, h.list)
	r.Get("/timeline/facets", web.RequireUser, h.facets)
}

func (h *Timeline) list(c *fiber.Ctx) error {
	ctx := c.UserContext()
	page, err := web.ParsePage(c)
	if err != nil {
		return err
	}
	f, err := h.scope(c)
	if err != nil {
		return err
	}
	f.Page, f.Username, f.ObjectUUID = page, strings.TrimSpace(c.Query("user")), strings.TrimSpace(c.Query("object"))
	for _, name := range strings.Split(c.Query("event"), ",") {
		if name = strings.TrimSpace(name); name != "" {
			f.EventNames = append(f.EventNames, name)
		}
	}
	list, total, err := h.Store.ListTimelineEvents(ctx, f)
	if err != nil {
		return err
	}
	items := make([]timeline.Entry, 0, len(list))
	for _, e := range list {
		items = append(items, timeline.NewEntry(e))
	}
	return c.JSON(fiber.Map{"items": items, "total": total})
}

// facets answers the event names and users that occur in the timeline the caller sees (of one project with
// ?project=), for the timeline's filters.
func (h *Timeline) facets(c *fiber.Ctx) error {
	f, err := h.scope(c)
	if err != nil {
		return err
	}
	out, err := h.Store.ListTimelineFacets(c.UserContext(), f)
	if err != nil {
		return err
	}
	return c.JSON(out)
}

// scope is the part of the timeline the caller may see: one project (?project=) or every project where they are a
// guest or more (superusers: everything).
func (h *Timeline) scope(c *fiber.Ctx) (store.TimelineFilter, error) {
	ctx := c.UserContext()
	u := web.IdentityOf(c).User
	f := store.TimelineFilter{}
	if id := c.Query("project"); id != "" {
		p, role, err := h.Checker.Role(ctx, u, id)
		if err != nil {
			return f, err
		}
		if p == nil || (!u.IsSuperuser && role == "" && !visibleAsFinder(ctx, h.Checker, u, id)) {
			return f, web.NotFound("project")
		}
		if !access.Allowed(u.IsSuperuser, role, access.ViewContainer) {
			return f, web.Forbidden("viewing the timeline needs the guest role or higher")
		}
		f.ProjectUUIDs = []string{p.UUID}
	} else if !u.IsSuperuser {
		visible, roles, err := h.Checker.Visible(ctx, u)
		if err != nil {
			return f, err
		}
		f.ProjectUUIDs = []string{}
		for _, p := range visible {
			if access.Allowed(false, roles[p.UUID], access.ViewContainer) {
				f.ProjectUUIDs = append(f.ProjectUUIDs, p.UUID)
			}
		}
	}
	return f, nil
}

// visibleAsFinder reports whether u sees the category only because they hold a role somewhere inside it.
func visibleAsFinder(ctx context.Context, ch *access.Checker, u *store.User, id string) bool {
	visible, _, err := ch.Visible(ctx, u)
	if err != nil {
		return false
	}
	for _, p := range visible {
		if p.UUID == id {
			return true
		}
	}
	return false
}
