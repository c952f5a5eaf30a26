package api

import (
	"errors"
	"fmt"
	"sort"

	"github.com/gofiber/fiber/v2"

	"github.com/bihealth/kiosc/app/access"
	"github.com/bihealth/kiosc/app/store"
	"github.com/bihealth/kiosc/app/timeline"
	"github.com/bihealth/kiosc/app/web"
)

// MemberOut is a user's effective role in a project, possibly inherited from a category above it.
type MemberOut struct {
	Username      string  `json:"username"`
	Name          string  `json:"name"`
	Role          string  `json:"role"`
	InheritedFrom *string `json:"inherited_from"`
	Source        string  `json:"source"`
}

// Roles serves a project's members and role assignment.
type Roles struct {
	Store    *store.Store
	Checker  *access.Checker
	Timeline *timeline.Recorder
}

// Register adds the routes under /api/v1.
func (h *Roles) Register(r fiber.Router) {
	r.Get("/projects/:uuid/roles", web.RequireUser, h.list)
	r.Put("/projects/:uuid/roles/:username", web.RequireUser, h.put)
	r.Delete("/projects/:uuid/roles/:username", web.RequireUser, h.delete)
}

func (h *Roles) list(c *fiber.Ctx) error {
	ctx := c.UserContext()
	u := web.IdentityOf(c).User
	p, role, err := resolveProject(ctx, h.Checker, u, c.Params("uuid"))
	if err != nil {
		return err
	}
	if !access.Allowed(u.IsSuperuser, role, access.ViewProject) {
		return web.Forbidden("seeing the members needs a role in this project")
	}
	tree, err := h.Checker.Tree(ctx)
	if err != nil {
		return err
	}
	best := map[int64]*store.RoleAssignment{}
	for _, q := range append([]*store.Project{p}, tree.Ancestors(p)...) {
		list, err := h.Store.ListProjectRoles(ctx, q.ID)
		if err != nil {
			return err
		}
		for _, r := range list {
			if r.Role == access.RoleFinder {
				continue
			}
			if b := best[r.UserID]; b == nil || access.Rank(r.Role) < access.Rank(b.Role) {
				best[r.UserID] = r
			}
		}
	}
	items := make([]MemberOut, 0, len(best))
	for _, r := range best {
		m := MemberOut{Username: r.Username, Role: r.Role, Source: r.Source}
		if r.ProjectID != p.ID {
			from := r.ProjectUUID
			m.InheritedFrom = &from
		}
		if usr, err := h.Store.GetUser(ctx, r.UserID); err == nil {
			m.Name = usr.Name
		}
		items = append(items, m)
	}
	sort.Slice(items, func(i, j int) bool {
		if ri, rj := access.Rank(items[i].Role), access.Rank(items[j].Role); ri != rj {
			return ri < rj
		}
		return items[i].Username < items[j].Username
	})
	return c.JSON(fiber.Map{"items": items, "total": len(items)})
}

// target loads the project (checking the caller may manage its roles) and the user whose role changes.
func (h *Roles) target(c *fiber.Ctx) (*store.Project, string, *store.User, *store.RoleAssignment, error) {
	ctx := c.UserContext()
	u := web.IdentityOf(c).User
	p, role, err := resolveProject(ctx, h.Checker, u, c.Params("uuid"))
	if err != nil {
		return nil, "", nil, nil, err
	}
	if !access.Allowed(u.IsSuperuser, role, access.ManageRoles) {
		return nil, "", nil, nil, web.Forbidden("managing members needs the owner or delegate role")
	}
	if p.Source == store.SourceSodar {
		return nil, "", nil, nil, readOnlyProject(p)
	}
	member, err := h.Store.GetUserByUsername(ctx, c.Params("username"))
	if err != nil {
		return nil, "", nil, nil, web.StoreError(err, "user")
	}
	prev, err := h.Store.GetRole(ctx, p.ID, member.ID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, "", nil, nil, err
	}
	if u.IsSuperuser {
		role = access.RoleOwner
	}
	return p, role, member, prev, nil
}

// strongRole is a role only owners (and superusers) may give or take away.
func strongRole(role string) bool { return role == access.RoleOwner || role == access.RoleDelegate }

type roleIn struct {
	Role string `json:"role"`
}

func (h *Roles) put(c *fiber.Ctx) error {
	var in roleIn
	if err := web.Decode(c, &in); err != nil {
		return err
	}
	if !access.ValidRole(in.Role) {
		return web.FieldError("role", "must be one of owner, delegate, contributor, guest, viewer")
	}
	p, callerRole, member, prev, err := h.target(c)
	if err != nil {
		return err
	}
	if callerRole != access.RoleOwner && (strongRole(in.Role) || (prev != nil && strongRole(prev.Role))) {
		return web.Forbidden("delegates cannot assign or change the owner and delegate roles")
	}
	if prev != nil && prev.Role == access.RoleOwner && in.Role != access.RoleOwner {
		return web.Conflict(fmt.Sprintf("%s is the owner of this project; make someone else owner first", member.Username))
	}
	ctx := c.UserContext()
	r := &store.RoleAssignment{ProjectID: p.ID, ProjectUUID: p.UUID, UserID: member.ID, Username: member.Username, Role: in.Role, Source: store.SourceLocal}
	demoted, err := h.Store.AssignRole(ctx, r)
	if err != nil {
		return web.StoreError(err, "role")
	}
	actor := web.IdentityOf(c).User.Username
	if demoted != nil {
		h.Timeline.Record(ctx, &store.TimelineEvent{Username: actor, ProjectUUID: p.UUID, EventName: "role_update",
			Description: fmt.Sprintf("%s is no longer owner of %q and became delegate", demoted.Username, p.Title),
			ObjectType:  "role", ObjectUUID: demoted.UUID,
			ExtraData: map[string]any{"username": demoted.Username, "role": access.RoleDelegate, "previous_role": access.RoleOwner}})
	}
	status := 200
	if prev == nil || prev.Role != in.Role {
		event, extra := "role_create", map[string]any{"username": member.Username, "role": in.Role}
		desc := fmt.Sprintf("%s gave %s the %s role in %q", actor, member.Username, in.Role, p.Title)
		if prev != nil {
			event, extra["previous_role"] = "role_update", prev.Role
			desc = fmt.Sprintf("%s changed the role of %s in %q from %s to %s", actor, member.Username, p.Title, prev.Role, in.Role)
		} else {
			status = 201
		}
		h.Timeline.Record(ctx, &store.TimelineEvent{Username: actor, ProjectUUID: p.UUID, EventName: event, Description: desc,
			ObjectType: "role", ObjectUUID: r.UUID, ExtraData: extra})
	}
	return c.Status(status).JSON(MemberOut{Username: member.Username, Name: member.Name, Role: r.Role, Source: r.Source})
}

func (h *Roles) delete(c *fiber.Ctx) error {
	p, callerRole, member, prev, err := h.target(c)
	if err != nil {
		return err
	}
	if prev == nil {
		return web.NotFound("role of " + member.Username + " in this project")
	}
	if callerRole != access.RoleOwner && strongRole(prev.Role) {
		return web.Forbidden("delegates cannot remove owners or delegates")
	}
	if prev.Role == access.RoleOwner {
		return web.Conflict(fmt.Sprintf("%s is the owner of this project; make someone else owner first", member.Username))
	}
	ctx := c.UserContext()
	if err := h.Store.DeleteRole(ctx, p.ID, member.ID); err != nil {
		return web.StoreError(err, "role")
	}
	actor := web.IdentityOf(c).User.Username
	h.Timeline.Record(ctx, &store.TimelineEvent{Username: actor, ProjectUUID: p.UUID, EventName: "role_delete",
		Description: fmt.Sprintf("%s removed %s (%s) from %q", actor, member.Username, prev.Role, p.Title),
		ObjectType:  "role", ObjectUUID: prev.UUID, ExtraData: map[string]any{"username": member.Username, "previous_role": prev.Role}})
	return c.SendStatus(204)
}
