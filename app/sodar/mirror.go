package sodar

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/bihealth/kiosc/app/access"
	"github.com/bihealth/kiosc/app/store"
)

// roleNames maps SODAR role names to kiosc roles.
var roleNames = map[string]string{
	"project owner":       access.RoleOwner,
	"project delegate":    access.RoleDelegate,
	"project contributor": access.RoleContributor,
	"project guest":       access.RoleGuest,
	"project viewer":      access.RoleViewer,
	"project finder":      access.RoleFinder,
}

// Kinds of mirrored objects, used for counts, messages and timeline object types.
const (
	KindUser     = "user"
	KindCategory = "category"
	KindProject  = "project"
	KindRole     = "role"
)

// Mirror applies a payload to the store. It follows what a SODAR target does, except that every problem with an
// entry (unknown role, missing parent, title clash, type mismatch) skips only that entry: the rest still syncs.
type Mirror struct {
	Store *store.Store
	// DefaultOwner receives the owner role of projects owned by SODAR-local accounts, which are never mirrored.
	DefaultOwner string
	// Record stores and publishes a timeline event (nil: none are written).
	Record func(ctx context.Context, e *store.TimelineEvent)
}

type mirrorRun struct {
	*Mirror
	run      *store.SodarRun
	p        *Payload
	actor    string
	users    map[string]*store.User // username → kiosc account of a mirrored user
	local    map[string]bool        // usernames of SODAR-local accounts
	done     map[string]*store.Project
	reached  map[string]bool
	owner    *store.User
	ownerErr string
}

// Apply mirrors p into the store, adding counts and messages to run. It only fails when ctx ends.
func (m *Mirror) Apply(ctx context.Context, p *Payload, run *store.SodarRun) error {
	r := &mirrorRun{Mirror: m, run: run, p: p, actor: run.Username, users: map[string]*store.User{}, local: map[string]bool{},
		done: map[string]*store.Project{}, reached: map[string]bool{}}
	if r.actor == "" {
		r.actor = store.SystemUser
	}
	var synced []string
	for _, id := range sortedKeys(p.Projects) {
		e := p.Projects[id]
		if e.Type == store.TypeProject && (e.Level == LevelReadRoles || e.Level == LevelRevoked) {
			synced = append(synced, id)
		}
	}
	if len(synced) == 0 {
		// As in SODAR: without a shared project nothing is mirrored, not even users.
		r.note("info", "payload", "", "", "the payload shares no project with kiosc (none at READ_ROLES or REVOKED); nothing to mirror")
		return ctx.Err()
	}
	r.syncUsers(ctx)
	for _, id := range synced {
		if err := ctx.Err(); err != nil {
			return err
		}
		r.project(ctx, id)
	}
	r.noteAbsent(ctx)
	return ctx.Err()
}

func (r *mirrorRun) note(level, kind, id, name, msg string) {
	r.run.Messages = append(r.run.Messages, store.SodarMessage{Level: level, Kind: kind, UUID: id, Name: name, Message: msg})
}

// skip records that an entry was not applied.
func (r *mirrorRun) skip(kind, id, name, msg string) {
	r.run.Count(kind).Skipped++
	r.note("error", kind, id, name, msg)
}

func (r *mirrorRun) event(ctx context.Context, e *store.TimelineEvent) {
	if r.Record == nil {
		return
	}
	e.Username = r.actor
	if e.Status == "" {
		e.Status = store.StatusOK
	}
	r.Record(ctx, e)
}

func kindOf(typ string) string {
	if typ == store.TypeCategory {
		return KindCategory
	}
	return KindProject
}

// project mirrors one project or category, its parents first, and returns it (nil when it was skipped).
func (r *mirrorRun) project(ctx context.Context, id string) *store.Project {
	if p, ok := r.done[id]; ok {
		return p // already handled in this run (nil: skipped, or a cycle)
	}
	r.done[id] = nil
	r.reached[id] = true
	e := r.p.Projects[id]
	if e == nil {
		return nil
	}
	kind := kindOf(e.Type)
	// The title is kept exactly as SODAR sends it, so both sites show the same.
	title := e.Title
	switch {
	case e.Type != store.TypeProject && e.Type != store.TypeCategory:
		r.skip(KindProject, id, e.Title, fmt.Sprintf("unknown type %q (want PROJECT or CATEGORY)", e.Type))
		return nil
	case strings.TrimSpace(title) == "":
		r.skip(kind, id, "", "title missing")
		return nil
	case utf8.RuneCountInString(title) > 255:
		r.skip(kind, id, string([]rune(title)[:60])+"…", "title longer than 255 characters")
		return nil
	}
	var parent *store.Project
	if pid := e.Parent(); pid != "" {
		parent = r.project(ctx, pid)
		if parent == nil && r.p.Projects[pid] == nil {
			// Not in the payload: an already mirrored category may still be used.
			if p, err := r.Store.GetProjectByUUID(ctx, pid); err == nil && p.Source == store.SourceSodar {
				parent = p
			}
		}
		if parent == nil {
			msg := fmt.Sprintf("parent %s not found in the payload or in kiosc", pid)
			if r.p.Projects[pid] != nil {
				msg = fmt.Sprintf("parent %s was skipped (see its message)", pid)
			}
			r.skip(kind, id, title, msg)
			return nil
		}
		if parent.Type != store.TypeCategory {
			r.skip(kind, id, title, fmt.Sprintf("parent %s is a project, not a category", pid))
			return nil
		}
	}
	var parentID *int64
	if parent != nil {
		parentID = &parent.ID
	}
	desc := ""
	if e.Description != nil {
		desc = *e.Description
	}
	p, err := r.Store.GetProjectByUUID(ctx, id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		p = r.createProject(ctx, id, e, title, desc, parent, parentID)
	case err != nil:
		r.skip(kind, id, title, "cannot read project: "+err.Error())
		return nil
	default:
		p = r.updateProject(ctx, p, e, title, desc, parent, parentID)
	}
	if p == nil {
		return nil
	}
	r.done[id] = p
	switch e.Level {
	case LevelReadRoles:
		// Nothing is removed when the current roles could not be read (keep is nil).
		if keep := r.syncRoles(ctx, p, e); keep != nil {
			r.removeRoles(ctx, p, keep, false)
		}
	case LevelRevoked:
		// Only owner and delegates stay. Unlike SODAR, which leaves them as they were, kiosc applies the ones the
		// payload lists, so the roles always match what SODAR sent (also for a project first seen as REVOKED).
		revoked := *e
		revoked.Roles = map[string]RoleEntry{}
		for id, re := range e.Roles {
			if role := roleNames[re.Role]; role == access.RoleOwner || role == access.RoleDelegate {
				revoked.Roles[id] = re
			}
		}
		if keep := r.syncRoles(ctx, p, &revoked); keep != nil {
			r.removeRoles(ctx, p, keep, true)
		}
	}
	return p
}

func (r *mirrorRun) createProject(ctx context.Context, id string, e *Project, title, desc string, parent *store.Project, parentID *int64) *store.Project {
	kind := kindOf(e.Type)
	if sib, err := r.Store.GetProjectByTitle(ctx, parentID, title); err == nil {
		where := "at the top level"
		if parent != nil {
			where = fmt.Sprintf("in %q", parent.Title)
		}
		if sib.Source == store.SourceLocal {
			r.skip(kind, id, title, fmt.Sprintf("a local %s titled %q (%s) already exists %s; rename it in kiosc to sync this %s",
				kindOf(sib.Type), title, sib.UUID, where, kind))
		} else {
			r.skip(kind, id, title, fmt.Sprintf("a %s titled %q (%s) already exists %s; not created", kindOf(sib.Type), title, sib.UUID, where))
		}
		return nil
	}
	p := &store.Project{UUID: id, Title: title, Description: desc, Type: e.Type, ParentID: parentID, Source: store.SourceSodar,
		SodarLevel: e.Level}
	if err := r.Store.CreateProject(ctx, p); err != nil {
		r.skip(kind, id, title, "cannot create: "+err.Error())
		return nil
	}
	if parent != nil {
		p.ParentUUID = parent.UUID
	}
	r.run.Count(kind).Created++
	r.event(ctx, &store.TimelineEvent{EventName: "sodar_project_create", ProjectUUID: id, ObjectType: kind, ObjectUUID: id,
		Description: fmt.Sprintf("create %s %q from SODAR", kind, title),
		ExtraData:   map[string]any{"title": title, "parent": p.ParentUUID, "level": e.Level}})
	return p
}

func (r *mirrorRun) updateProject(ctx context.Context, p *store.Project, e *Project, title, desc string, parent *store.Project, parentID *int64) *store.Project {
	kind := kindOf(e.Type)
	if p.Type != e.Type {
		r.skip(kind, p.UUID, title, fmt.Sprintf("kiosc has a %s with this UUID, SODAR sends a %s; not changed", kindOf(p.Type), kind))
		return nil
	}
	if p.Source != store.SourceSodar {
		r.skip(kind, p.UUID, title, fmt.Sprintf("a local %s with this UUID exists in kiosc; not taken over", kind))
		return nil
	}
	var fields []string
	if p.Title != title {
		p.Title, fields = title, append(fields, "title")
	}
	if p.Description != desc {
		p.Description, fields = desc, append(fields, "description")
	}
	newParent := ""
	if parent != nil {
		newParent = parent.UUID
	}
	if p.ParentUUID != newParent {
		p.ParentID, p.ParentUUID, fields = parentID, newParent, append(fields, "parent")
	}
	if p.SodarLevel != e.Level {
		p.SodarLevel, fields = e.Level, append(fields, "level")
	}
	if len(fields) == 0 {
		return p
	}
	if err := r.Store.UpdateProject(ctx, p); err != nil {
		msg := "cannot update: " + err.Error()
		if errors.Is(err, store.ErrConflict) {
			msg = fmt.Sprintf("another project or category titled %q exists under the same parent; not updated", title)
		}
		r.skip(kind, p.UUID, title, msg)
		// Keep the stored version (unchanged) for its children and roles.
		old, err := r.Store.GetProjectByUUID(ctx, p.UUID)
		if err != nil {
			return nil
		}
		return old
	}
	r.run.Count(kind).Updated++
	r.event(ctx, &store.TimelineEvent{EventName: "sodar_project_update", ProjectUUID: p.UUID, ObjectType: kind, ObjectUUID: p.UUID,
		Description: fmt.Sprintf("update %s %q from SODAR (%s)", kind, title, strings.Join(fields, ", ")),
		ExtraData:   map[string]any{"fields": fields, "level": e.Level}})
	return p
}

// noteAbsent reports mirrored projects the payload no longer shares; like SODAR, kiosc leaves them unchanged.
func (r *mirrorRun) noteAbsent(ctx context.Context) {
	all, err := r.Store.ListProjects(ctx)
	if err != nil {
		return
	}
	for _, p := range all {
		if p.Source != store.SourceSodar || r.reached[p.UUID] {
			continue
		}
		r.note("warning", kindOf(p.Type), p.UUID, p.Title, "no longer shared by SODAR; left unchanged in kiosc")
	}
}
