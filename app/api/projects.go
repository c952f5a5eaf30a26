package api

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"github.com/bihealth/kiosc/app/access"
	"github.com/bihealth/kiosc/app/store"
	"github.com/bihealth/kiosc/app/timeline"
	"github.com/bihealth/kiosc/app/web"
)

// ProjectOut is the API representation of a project or category, with the caller's role and rights in it.
type ProjectOut struct {
	UUID        string          `json:"uuid"`
	Title       string          `json:"title"`
	Description string          `json:"description"`
	Type        string          `json:"type"`
	Parent      *string         `json:"parent"`
	Source      string          `json:"source"`
	SodarLevel  string          `json:"sodar_level"`
	Role        *string         `json:"role"`
	Permissions map[string]bool `json:"permissions"`
	CreatedAt   time.Time       `json:"created_at"`
	UpdatedAt   time.Time       `json:"updated_at"`
}

// projectPermissions are the actions summarised in the project JSON (SiteAdmin is not per project).
var projectPermissions = []access.Action{access.ViewProject, access.OpenApp, access.ViewContainer, access.ViewLogs,
	access.ManageContainers, access.ManageTemplates, access.ManageRoles, access.ManageProject}

// NewProjectOut renders p for a caller with the given effective role.
func NewProjectOut(p *store.Project, superuser bool, role string) ProjectOut {
	out := ProjectOut{UUID: p.UUID, Title: p.Title, Description: p.Description, Type: p.Type, Source: p.Source,
		SodarLevel: p.SodarLevel, Permissions: map[string]bool{}, CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt}
	if p.ParentUUID != "" {
		parent := p.ParentUUID
		out.Parent = &parent
	}
	if role != "" {
		r := role
		out.Role = &r
	}
	for _, a := range projectPermissions {
		out.Permissions[a.String()] = access.Allowed(superuser, role, a)
	}
	// SODAR projects are edited in SODAR; the rights summary says so.
	if p.Source == store.SourceSodar {
		out.Permissions[access.ManageRoles.String()] = false
		out.Permissions[access.ManageProject.String()] = false
	}
	return out
}

// resolveProject finds a project and the caller's effective role in it. A project the caller has no role in (and
// does not see as a category on the way to their projects) is answered 404, so its existence does not leak.
func resolveProject(ctx context.Context, ch *access.Checker, u *store.User, id string) (*store.Project, string, error) {
	p, role, err := ch.Role(ctx, u, id)
	if err != nil {
		return nil, "", err
	}
	if p == nil {
		return nil, "", web.NotFound("project")
	}
	if role == "" && !u.IsSuperuser {
		if p.Type == store.TypeCategory && visibleAsFinder(ctx, ch, u, id) {
			return p, access.RoleFinder, nil
		}
		return nil, "", web.NotFound("project")
	}
	return p, role, nil
}

func readOnlyProject(p *store.Project) *web.Error {
	return &web.Error{Status: 409, Code: "read_only", Message: fmt.Sprintf("%q is managed by SODAR; change it there", p.Title)}
}

// Projects serves projects and categories.
type Projects struct {
	Store    *store.Store
	Checker  *access.Checker
	Timeline *timeline.Recorder
}

// Register adds the routes under /api/v1.
func (h *Projects) Register(r fiber.Router) {
	r.Get("/projects", web.RequireUser, h.list)
	r.Post("/projects", web.RequireSuperuser, h.create)
	r.Get("/projects/:uuid", web.RequireUser, h.get)
	r.Patch("/projects/:uuid", web.RequireUser, h.update)
	r.Delete("/projects/:uuid", web.RequireUser, h.delete)
}

func (h *Projects) list(c *fiber.Ctx) error {
	u := web.IdentityOf(c).User
	list, roles, err := h.Checker.Visible(c.UserContext(), u)
	if err != nil {
		return err
	}
	items := make([]ProjectOut, 0, len(list))
	for _, p := range list {
		items = append(items, NewProjectOut(p, u.IsSuperuser, roles[p.UUID]))
	}
	return c.JSON(fiber.Map{"items": items, "total": len(items)})
}

func (h *Projects) get(c *fiber.Ctx) error {
	u := web.IdentityOf(c).User
	p, role, err := resolveProject(c.UserContext(), h.Checker, u, c.Params("uuid"))
	if err != nil {
		return err
	}
	return c.JSON(NewProjectOut(p, u.IsSuperuser, role))
}

type projectIn struct {
	Title       string  `json:"title"`
	Type        string  `json:"type"`
	Parent      *string `json:"parent"`
	Description string  `json:"description"`
}

func checkTitle(fields map[string]string, title string) {
	switch {
	case title == "":
		fields["title"] = "required"
	case utf8.RuneCountInString(title) > 255:
		fields["title"] = "must be at most 255 characters"
	}
}

func checkDescription(fields map[string]string, d string) {
	if utf8.RuneCountInString(d) > 10000 {
		fields["description"] = "must be at most 10000 characters"
	}
}

// parentOf resolves a parent reference for a project p (nil for a new one): it must be a local category and not p
// itself or anything below it.
func (h *Projects) parentOf(ctx context.Context, id string, p *store.Project) (*store.Project, string) {
	tree, err := h.Checker.Tree(ctx)
	if err != nil {
		return nil, err.Error()
	}
	parent := tree.Project(id)
	switch {
	case parent == nil:
		return nil, "no category with this uuid"
	case parent.Type != store.TypeCategory:
		return nil, "must be a category, not a project"
	case parent.Source == store.SourceSodar:
		return nil, "is managed by SODAR; local projects cannot be placed in it"
	}
	if p != nil {
		if parent.ID == p.ID {
			return nil, "cannot be the project itself"
		}
		for _, a := range tree.Ancestors(parent) {
			if a.ID == p.ID {
				return nil, "cannot be inside the category being moved"
			}
		}
	}
	return parent, ""
}

func (h *Projects) create(c *fiber.Ctx) error {
	var in projectIn
	if err := web.Decode(c, &in); err != nil {
		return err
	}
	ctx := c.UserContext()
	in.Title = strings.TrimSpace(in.Title)
	fields := map[string]string{}
	checkTitle(fields, in.Title)
	checkDescription(fields, in.Description)
	if in.Type != store.TypeProject && in.Type != store.TypeCategory {
		fields["type"] = "must be PROJECT or CATEGORY"
	}
	p := &store.Project{Title: in.Title, Description: in.Description, Type: in.Type, Source: store.SourceLocal}
	if in.Parent != nil && *in.Parent != "" {
		parent, msg := h.parentOf(ctx, *in.Parent, nil)
		if msg != "" {
			fields["parent"] = msg
		} else {
			p.ParentID, p.ParentUUID = &parent.ID, parent.UUID
		}
	}
	if len(fields) > 0 {
		return web.Validation(fields)
	}
	if err := h.Store.CreateProject(ctx, p); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return &web.Error{Status: 409, Code: "conflict", Message: "a project or category with this title already exists here",
				Fields: map[string]string{"title": "already used in this category"}}
		}
		return err
	}
	u := web.IdentityOf(c).User
	h.Timeline.Record(ctx, &store.TimelineEvent{Username: u.Username, ProjectUUID: p.UUID, EventName: "project_create",
		Description: fmt.Sprintf("%s created %s %q", u.Username, strings.ToLower(p.Type), p.Title), ObjectType: "project",
		ObjectUUID: p.UUID, ExtraData: map[string]any{"title": p.Title, "type": p.Type, "parent": p.ParentUUID}})
	return c.Status(201).JSON(NewProjectOut(p, true, ""))
}

type projectPatch struct {
	Title       *string `json:"title"`
	Description *string `json:"description"`
	Parent      *string `json:"parent"`
}

func (h *Projects) update(c *fiber.Ctx) error {
	var in projectPatch
	if err := web.Decode(c, &in); err != nil {
		return err
	}
	ctx := c.UserContext()
	u := web.IdentityOf(c).User
	p, role, err := resolveProject(ctx, h.Checker, u, c.Params("uuid"))
	if err != nil {
		return err
	}
	if !access.Allowed(u.IsSuperuser, role, access.ManageProject) {
		return web.Forbidden("editing a project needs the owner or delegate role")
	}
	if p.Source == store.SourceSodar {
		return readOnlyProject(p)
	}
	fields := map[string]string{}
	changed := map[string]any{}
	if in.Title != nil {
		t := strings.TrimSpace(*in.Title)
		checkTitle(fields, t)
		if t != p.Title {
			p.Title, changed["title"] = t, t
		}
	}
	if in.Description != nil {
		checkDescription(fields, *in.Description)
		if *in.Description != p.Description {
			p.Description, changed["description"] = *in.Description, true
		}
	}
	if in.Parent != nil {
		if !u.IsSuperuser {
			fields["parent"] = "only superusers can move projects"
		} else if *in.Parent == "" {
			if p.ParentID != nil {
				p.ParentID, p.ParentUUID, changed["parent"] = nil, "", nil
			}
		} else if parent, msg := h.parentOf(ctx, *in.Parent, p); msg != "" {
			fields["parent"] = msg
		} else if p.ParentUUID != parent.UUID {
			p.ParentID, p.ParentUUID, changed["parent"] = &parent.ID, parent.UUID, parent.UUID
		}
	}
	if len(fields) > 0 {
		return web.Validation(fields)
	}
	if len(changed) > 0 {
		if err := h.Store.UpdateProject(ctx, p); err != nil {
			if errors.Is(err, store.ErrConflict) {
				return &web.Error{Status: 409, Code: "conflict", Message: "a project or category with this title already exists here",
					Fields: map[string]string{"title": "already used in this category"}}
			}
			return web.StoreError(err, "project")
		}
		h.Timeline.Record(ctx, &store.TimelineEvent{Username: u.Username, ProjectUUID: p.UUID, EventName: "project_update",
			Description: fmt.Sprintf("%s updated %s %q", u.Username, strings.ToLower(p.Type), p.Title), ObjectType: "project",
			ObjectUUID: p.UUID, ExtraData: changed})
	}
	return c.JSON(NewProjectOut(p, u.IsSuperuser, role))
}

func (h *Projects) delete(c *fiber.Ctx) error {
	ctx := c.UserContext()
	u := web.IdentityOf(c).User
	p, _, err := resolveProject(ctx, h.Checker, u, c.Params("uuid"))
	if err != nil {
		return err
	}
	if !u.IsSuperuser {
		return web.Forbidden("only superusers can delete projects")
	}
	if p.Source == store.SourceSodar {
		return readOnlyProject(p)
	}
	tree, err := h.Checker.Tree(ctx)
	if err != nil {
		return err
	}
	if len(tree.Children(p.ID)) > 0 {
		return web.Conflict(fmt.Sprintf("category %q is not empty; delete or move what is in it first", p.Title))
	}
	if err := h.Store.DeleteProject(ctx, p.ID); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return web.Conflict(fmt.Sprintf("project %q still has containers or templates; delete its containers first", p.Title))
		}
		return web.StoreError(err, "project")
	}
	h.Timeline.Record(ctx, &store.TimelineEvent{Username: u.Username, ProjectUUID: p.UUID, EventName: "project_delete",
		Description: fmt.Sprintf("%s deleted %s %q", u.Username, strings.ToLower(p.Type), p.Title), ObjectType: "project",
		ObjectUUID: p.UUID, ExtraData: map[string]any{"title": p.Title, "type": p.Type, "parent": p.ParentUUID}})
	return c.SendStatus(204)
}
