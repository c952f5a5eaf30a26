package api

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/bihealth/kiosc/app/access"
	"github.com/bihealth/kiosc/app/lifecycle"
	"github.com/bihealth/kiosc/app/settings"
	"github.com/bihealth/kiosc/app/store"
	"github.com/bihealth/kiosc/app/templates"
	"github.com/bihealth/kiosc/app/timeline"
	"github.com/bihealth/kiosc/app/web"
)

// Templates serves site and project templates (spec section 10) and the comparison of containers with the template
// they came from.
//
// Site templates are read by every signed-in user and written by superusers; project templates are read like
// containers (guest and up) and written by contributors and up. A project template copied from a site template
// links to it; diff and apply compare a template with that site template and a container with its template.
// Secrets and registry credentials are not template fields, so neither copy nor apply ever moves them.
type Templates struct {
	Store    *store.Store
	Checker  *access.Checker
	Manager  *lifecycle.Manager
	Timeline *timeline.Recorder
}

// Register adds the routes under /api/v1.
func (h *Templates) Register(r fiber.Router) {
	r.Get("/templates", web.RequireUser, h.listSite)
	r.Post("/templates", web.RequireSuperuser, h.createSite)
	r.Get("/projects/:uuid/templates", web.RequireUser, h.listProject)
	r.Post("/projects/:uuid/templates", web.RequireUser, h.createProject)
	r.Get("/templates/:uuid", web.RequireUser, h.get)
	r.Patch("/templates/:uuid", web.RequireUser, h.update)
	r.Delete("/templates/:uuid", web.RequireUser, h.delete)
	r.Post("/templates/:uuid/copy", web.RequireUser, h.copy)
	r.Get("/templates/:uuid/diff", web.RequireUser, h.diff)
	r.Post("/templates/:uuid/apply", web.RequireUser, h.apply)
	r.Get("/containers/:uuid/diff", web.RequireUser, h.containerDiff)
	r.Post("/containers/:uuid/apply", web.RequireUser, h.containerApply)
}

// TemplateOut is the API representation of a template: its configuration fields plus scope and link.
type TemplateOut struct {
	UUID         string  `json:"uuid"`
	Project      *string `json:"project"`
	SiteTemplate *string `json:"site_template"`
	settings.Container
	CreatedBy string    `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// NewTemplateOut renders a template.
func NewTemplateOut(t *store.Template) TemplateOut {
	return TemplateOut{UUID: t.UUID, Project: optString(t.ProjectUUID), SiteTemplate: optString(t.SiteTemplateUUID),
		Container: t.Container, CreatedBy: t.CreatedBy, CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt}
}

// TemplateRef names the upstream template of a diff.
type TemplateRef struct {
	UUID      string    `json:"uuid"`
	Title     string    `json:"title"`
	Project   *string   `json:"project"`
	UpdatedAt time.Time `json:"updated_at"`
}

// DiffOut answers the diff endpoints: the upstream template (null when there is none) and the differing fields.
type DiffOut struct {
	Upstream *TemplateRef          `json:"upstream"`
	Fields   []templates.FieldDiff `json:"fields"`
}

func newDiffOut(up *store.Template, current settings.Container) DiffOut {
	if up == nil {
		return DiffOut{Fields: []templates.FieldDiff{}}
	}
	return DiffOut{Upstream: &TemplateRef{UUID: up.UUID, Title: up.Title, Project: optString(up.ProjectUUID), UpdatedAt: up.UpdatedAt},
		Fields: templates.Diff(current, up.Container)}
}

func optString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// allowIn checks an action in a project like the container endpoints do: 404 without a role, 403 when the
// role does not allow it.
func (h *Templates) allowIn(ctx context.Context, u *store.User, projectUUID string, action access.Action, what string) error {
	if u.IsSuperuser {
		return nil
	}
	p, role, err := h.Checker.Role(ctx, u, projectUUID)
	if err != nil {
		return err
	}
	if p == nil || role == "" || role == access.RoleFinder {
		return web.NotFound(what)
	}
	if !access.Allowed(false, role, action) {
		return web.Forbidden("your role in this project does not allow this")
	}
	return nil
}

// template loads a template the caller may read (write false) or change (write true).
func (h *Templates) template(c *fiber.Ctx, write bool) (*store.Template, error) {
	ctx, u := c.UserContext(), web.IdentityOf(c).User
	t, err := h.Store.GetTemplate(ctx, c.Params("uuid"))
	if err != nil {
		return nil, web.StoreError(err, "template")
	}
	if t.IsSite() {
		if write && !u.IsSuperuser {
			return nil, web.Forbidden("site templates are managed by superusers")
		}
		return t, nil
	}
	action := access.ViewContainer
	if write {
		action = access.ManageTemplates
	}
	if err := h.allowIn(ctx, u, t.ProjectUUID, action, "template"); err != nil {
		return nil, err
	}
	return t, nil
}

// record writes a timeline event about a template.
func (h *Templates) record(ctx context.Context, u *store.User, t *store.Template, name, desc string, extra map[string]any) {
	if h.Timeline == nil {
		return
	}
	if extra == nil {
		extra = map[string]any{}
	}
	extra["title"] = t.Title
	h.Timeline.Record(ctx, &store.TimelineEvent{ProjectUUID: t.ProjectUUID, Username: u.Username, EventName: name,
		Description: desc, Status: store.StatusOK, ObjectType: "template", ObjectUUID: t.UUID, ExtraData: extra})
}

func scopeName(t *store.Template) string {
	if t.IsSite() {
		return "site template"
	}
	return "project template"
}

func titleTaken(t *store.Template) *web.Error {
	if t.IsSite() {
		return web.FieldError("title", "a site template with this title exists")
	}
	return web.FieldError("title", "a template with this title exists in the project")
}

func (h *Templates) respondList(c *fiber.Ctx, projectUUID string) error {
	page, err := web.ParsePage(c)
	if err != nil {
		return err
	}
	list, total, err := h.Store.ListTemplates(c.UserContext(), store.TemplateFilter{ProjectUUID: projectUUID, Page: page})
	if err != nil {
		return err
	}
	items := make([]TemplateOut, 0, len(list))
	for _, t := range list {
		items = append(items, NewTemplateOut(t))
	}
	return c.JSON(fiber.Map{"items": items, "total": total})
}

func (h *Templates) listSite(c *fiber.Ctx) error { return h.respondList(c, "") }

func (h *Templates) listProject(c *fiber.Ctx) error {
	ctx, u := c.UserContext(), web.IdentityOf(c).User
	if err := h.allowIn(ctx, u, c.Params("uuid"), access.ViewContainer, "project"); err != nil {
		return err
	}
	if _, err := h.Store.GetProjectByUUID(ctx, c.Params("uuid")); err != nil {
		return web.StoreError(err, "project")
	}
	return h.respondList(c, c.Params("uuid"))
}

// create validates the body and stores a template in the scope of project (nil: site).
func (h *Templates) create(c *fiber.Ctx, project *store.Project) error {
	ctx, u := c.UserContext(), web.IdentityOf(c).User
	var in settings.Patch
	if err := web.Decode(c, &in); err != nil {
		return err
	}
	if errs := in.Validate(true, h.Manager.Limits()); len(errs) > 0 {
		return web.Validation(errs)
	}
	t := &store.Template{Container: settings.Defaults(), CreatedBy: u.Username}
	if project != nil {
		t.ProjectID, t.ProjectUUID = &project.ID, project.UUID
	}
	in.Apply(&t.Container)
	if err := h.Store.CreateTemplate(ctx, t); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return titleTaken(t)
		}
		return err
	}
	t, err := h.Store.GetTemplate(ctx, t.UUID)
	if err != nil {
		return err
	}
	h.record(ctx, u, t, "template_create", "created "+scopeName(t)+" "+t.Title, map[string]any{"image": t.Image})
	return c.Status(fiber.StatusCreated).JSON(NewTemplateOut(t))
}

func (h *Templates) createSite(c *fiber.Ctx) error { return h.create(c, nil) }

// templateProject loads a project that templates may be written to by the caller.
func (h *Templates) templateProject(ctx context.Context, u *store.User, id string) (*store.Project, error) {
	if err := h.allowIn(ctx, u, id, access.ManageTemplates, "project"); err != nil {
		return nil, err
	}
	p, err := h.Store.GetProjectByUUID(ctx, id)
	if err != nil {
		return nil, web.StoreError(err, "project")
	}
	if p.Type != store.TypeProject {
		return nil, web.BadRequest("not_a_project", "templates belong to projects, not categories")
	}
	return p, nil
}

func (h *Templates) createProject(c *fiber.Ctx) error {
	p, err := h.templateProject(c.UserContext(), web.IdentityOf(c).User, c.Params("uuid"))
	if err != nil {
		return err
	}
	return h.create(c, p)
}

func (h *Templates) get(c *fiber.Ctx) error {
	t, err := h.template(c, false)
	if err != nil {
		return err
	}
	return c.JSON(NewTemplateOut(t))
}

func (h *Templates) update(c *fiber.Ctx) error {
	t, err := h.template(c, true)
	if err != nil {
		return err
	}
	var in settings.Patch
	if err := web.Decode(c, &in); err != nil {
		return err
	}
	if in.Access != nil && *in.Access == t.Access {
		// Not a change: a form that sends every field keeps a level the site no longer allows.
		in.Access = nil
	}
	if errs := in.Validate(false, h.Manager.Limits()); len(errs) > 0 {
		return web.Validation(errs)
	}
	return h.save(c, t, &in, "template_update", "updated", nil)
}

// save applies in to t, stores it and records what changed under event name.
func (h *Templates) save(c *fiber.Ctx, t *store.Template, in *settings.Patch, name, verb string, extra map[string]any) error {
	ctx, u := c.UserContext(), web.IdentityOf(c).User
	before := t.Container
	in.Apply(&t.Container)
	changed := []string{}
	if before.Title != t.Title {
		changed = append(changed, "title")
	}
	for _, d := range templates.Diff(before, t.Container) {
		changed = append(changed, d.Field)
	}
	if len(changed) > 0 {
		if err := h.Store.UpdateTemplate(ctx, t); err != nil {
			if errors.Is(err, store.ErrConflict) {
				return titleTaken(t)
			}
			return web.StoreError(err, "template")
		}
	}
	t, err := h.Store.GetTemplate(ctx, t.UUID)
	if err != nil {
		return web.StoreError(err, "template")
	}
	if len(changed) > 0 || name == "template_apply" {
		if extra == nil {
			extra = map[string]any{}
		}
		extra["fields"] = changed
		h.record(ctx, u, t, name, verb+" "+scopeName(t)+" "+t.Title, extra)
	}
	if t.Access != before.Access {
		h.record(ctx, u, t, "template_access", "access of "+scopeName(t)+" "+t.Title+" changed from "+before.Access+" to "+t.Access,
			map[string]any{"old": before.Access, "new": t.Access})
	}
	return c.JSON(NewTemplateOut(t))
}

func (h *Templates) delete(c *fiber.Ctx) error {
	t, err := h.template(c, true)
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	if err := h.Store.DeleteTemplate(ctx, t.UUID); err != nil {
		return web.StoreError(err, "template")
	}
	h.record(ctx, web.IdentityOf(c).User, t, "template_delete", "deleted "+scopeName(t)+" "+t.Title, nil)
	return c.SendStatus(fiber.StatusNoContent)
}

type copyIn struct {
	Project json.RawMessage `json:"project"`
	Title   *string         `json:"title"`
}

// copy copies a template into a project or into the site templates. Site → project links the copy to the site
// template, project → project keeps the source's link, site → site and project → site (superusers) copy without a
// link.
func (h *Templates) copy(c *fiber.Ctx) error {
	src, err := h.template(c, false)
	if err != nil {
		return err
	}
	ctx, u := c.UserContext(), web.IdentityOf(c).User
	var in copyIn
	if err := web.Decode(c, &in); err != nil {
		return err
	}
	if len(in.Project) == 0 {
		return web.FieldError("project", "required: a project uuid, or null for the site templates")
	}
	var target *store.Project
	if string(in.Project) != "null" {
		var id string
		if err := json.Unmarshal(in.Project, &id); err != nil || id == "" {
			return web.FieldError("project", "must be a project uuid or null")
		}
		if target, err = h.templateProject(ctx, u, id); err != nil {
			return err
		}
	} else if !u.IsSuperuser {
		return web.Forbidden("site templates are managed by superusers")
	}
	t := &store.Template{CreatedBy: u.Username}
	settings.PatchOf(src.Container).Apply(&t.Container)
	if target != nil {
		t.ProjectID, t.ProjectUUID = &target.ID, target.UUID
		switch {
		case src.IsSite():
			t.SiteTemplateID = &src.ID
		case src.SiteTemplateID != nil:
			t.SiteTemplateID = src.SiteTemplateID
		}
	}
	if in.Title != nil {
		ti := &settings.Patch{Title: in.Title}
		if errs := ti.Validate(false, settings.Limits{}); len(errs) > 0 {
			return web.Validation(errs)
		}
		ti.Apply(&t.Container)
	} else if src.ProjectUUID == t.ProjectUUID {
		t.Title += " (copy)"
	}
	if err := h.Store.CreateTemplate(ctx, t); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return titleTaken(t)
		}
		return err
	}
	if t, err = h.Store.GetTemplate(ctx, t.UUID); err != nil {
		return err
	}
	h.record(ctx, u, t, "template_copy", "copied "+scopeName(src)+" "+src.Title+" to "+scopeName(t)+" "+t.Title,
		map[string]any{"source": src.UUID, "source_project": src.ProjectUUID})
	return c.Status(fiber.StatusCreated).JSON(NewTemplateOut(t))
}

// upstream returns the site template t links to (nil when none).
func (h *Templates) upstream(ctx context.Context, t *store.Template) (*store.Template, error) {
	if t.SiteTemplateUUID == "" {
		return nil, nil
	}
	up, err := h.Store.GetTemplate(ctx, t.SiteTemplateUUID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	return up, err
}

func (h *Templates) diff(c *fiber.Ctx) error {
	t, err := h.template(c, false)
	if err != nil {
		return err
	}
	up, err := h.upstream(c.UserContext(), t)
	if err != nil {
		return err
	}
	return c.JSON(newDiffOut(up, t.Container))
}

type applyIn struct {
	Fields []string `json:"fields"`
}

func (h *Templates) apply(c *fiber.Ctx) error {
	t, err := h.template(c, true)
	if err != nil {
		return err
	}
	var in applyIn
	if err := web.Decode(c, &in); err != nil {
		return err
	}
	if msg := templates.CheckFields(in.Fields); msg != "" {
		return web.FieldError("fields", msg)
	}
	up, err := h.upstream(c.UserContext(), t)
	if err != nil {
		return err
	}
	if up == nil {
		return web.Conflict("this template is not linked to a site template")
	}
	ti := settings.Pick(up.Container, in.Fields)
	if errs := ti.Validate(false, h.Manager.Limits()); len(errs) > 0 {
		return web.Validation(errs)
	}
	return h.save(c, t, ti, "template_apply", "applied site template "+up.Title+" to",
		map[string]any{"upstream": up.UUID, "requested": in.Fields})
}
