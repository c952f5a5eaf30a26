package api

import (
	"context"
	"errors"
	"slices"

	"github.com/gofiber/fiber/v2"

	"github.com/bihealth/kiosc/app/access"
	"github.com/bihealth/kiosc/app/lifecycle"
	"github.com/bihealth/kiosc/app/settings"
	"github.com/bihealth/kiosc/app/store"
	"github.com/bihealth/kiosc/app/templates"
	"github.com/bihealth/kiosc/app/web"
)

// containerTemplate loads the container the caller may act on and the template it came from. The template is nil
// when there is none, when it was deleted, when it is neither a site template nor a template of the container's
// project, or when the caller may not read it: a container never shows or copies a template its reader could not
// open directly.
func (h *Templates) containerTemplate(c *fiber.Ctx, action access.Action) (*store.Container, *store.Template, error) {
	ctx, u := c.UserContext(), web.IdentityOf(c).User
	ct, err := h.Store.GetContainer(ctx, c.Params("uuid"))
	if err != nil {
		return nil, nil, web.StoreError(err, "container")
	}
	if err := h.allowIn(ctx, u, ct.ProjectUUID, action, "container"); err != nil {
		return nil, nil, err
	}
	if ct.Template == "" {
		return ct, nil, nil
	}
	t, err := readableTemplate(ctx, h.Store, h.Checker, u, ct.Template)
	if err != nil || t == nil || !linkable(t, ct.ProjectUUID) {
		return ct, nil, err
	}
	return ct, t, nil
}

func (h *Templates) containerDiff(c *fiber.Ctx) error {
	ct, t, err := h.containerTemplate(c, access.ViewContainer)
	if err != nil {
		return err
	}
	return c.JSON(newDiffOut(t, ct.Container))
}

type containerApplyIn struct {
	Fields  []string `json:"fields"`
	Restart bool     `json:"restart"`
}

// containerApply copies the chosen fields of the container's template through the lifecycle manager's update path,
// so a running container that changes is marked restart_pending (and restarted when the caller asks for it).
func (h *Templates) containerApply(c *fiber.Ctx) error {
	ct, t, err := h.containerTemplate(c, access.ManageContainers)
	if err != nil {
		return err
	}
	ctx, u := c.UserContext(), web.IdentityOf(c).User
	var in containerApplyIn
	if err := web.Decode(c, &in); err != nil {
		return err
	}
	if msg := templates.CheckFields(in.Fields); msg != "" {
		return web.FieldError("fields", msg)
	}
	if t == nil {
		return web.Conflict("this container was not created from a template (or the template was deleted)")
	}
	changed := []string{}
	for _, d := range templates.Diff(ct.Container, t.Container) {
		if slices.Contains(in.Fields, d.Field) {
			changed = append(changed, d.Field)
		}
	}
	li := &lifecycle.Input{Patch: *settings.Pick(t.Container, changed)}
	if ct, err = h.Manager.Update(ctx, u, ct.UUID, li); err != nil {
		return managerError(err)
	}
	if h.Timeline != nil {
		h.Timeline.Record(ctx, &store.TimelineEvent{ProjectUUID: ct.ProjectUUID, Username: u.Username, EventName: "template_apply",
			Description: "applied template " + t.Title + " to container " + ct.Title, Status: store.StatusOK, ObjectType: "container",
			ObjectUUID: ct.UUID, ExtraData: map[string]any{"title": ct.Title, "template": t.UUID, "fields": changed,
				"requested": in.Fields}})
	}
	if in.Restart && ct.RestartPending {
		if ct, err = h.Manager.Restart(ctx, u, ct.UUID); err != nil {
			return managerError(err)
		}
		return c.Status(fiber.StatusAccepted).JSON(h.Manager.View(ct))
	}
	return c.JSON(h.Manager.View(ct))
}

// linkable reports whether a container of project projectUUID may link to t: a site template or a template of the
// same project.
func linkable(t *store.Template, projectUUID string) bool {
	return t.IsSite() || t.ProjectUUID == projectUUID
}

// readableTemplate loads a template u may read; it returns nil (and no error) when the template does not exist or
// belongs to a project where u may not read templates.
func readableTemplate(ctx context.Context, st *store.Store, ch *access.Checker, u *store.User, id string) (*store.Template, error) {
	t, err := st.GetTemplate(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if !t.IsSite() {
		if ok, err := ch.Can(ctx, u, t.ProjectUUID, access.ViewContainer); err != nil || !ok {
			return nil, err
		}
	}
	return t, nil
}

// linkTemplate loads the template named by a container create or update in project projectUUID. A template the
// caller may not read is reported as missing; one of another project is refused, so that a container's link never
// shows a template to the project's members that they could not read themselves.
func linkTemplate(ctx context.Context, st *store.Store, ch *access.Checker, u *store.User, projectUUID, id string) (*store.Template, error) {
	t, err := readableTemplate(ctx, st, ch, u, id)
	if err != nil {
		return nil, err
	}
	if t == nil {
		return nil, web.FieldError("template", "no such template")
	}
	if !linkable(t, projectUUID) {
		return nil, web.FieldError("template", "must be a site template or a template of this project")
	}
	return t, nil
}

// fillFromTemplate completes a container create request in project projectUUID that names a template: the fields
// the request leaves out come from the template (see linkTemplate for which templates are allowed).
func fillFromTemplate(ctx context.Context, st *store.Store, ch *access.Checker, u *store.User, projectUUID string, in *lifecycle.Input) error {
	if in.Template == nil {
		return nil
	}
	if *in.Template == "" {
		in.Template = nil
		return nil
	}
	t, err := linkTemplate(ctx, st, ch, u, projectUUID, *in.Template)
	if err != nil {
		return err
	}
	in.Fill(t.Container)
	return nil
}
