package sodar

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/bihealth/kiosc/app/access"
	"github.com/bihealth/kiosc/app/store"
)

// sortedRoles orders a project's role entries owner first, then by UUID, so the result does not depend on map order.
func sortedRoles(e *Project) []string {
	ids := sortedKeys(e.Roles)
	sort.SliceStable(ids, func(i, j int) bool {
		a, b := access.Rank(roleNames[e.Roles[ids[i]].Role]), access.Rank(roleNames[e.Roles[ids[j]].Role])
		if a == 0 {
			a = 1000
		}
		if b == 0 {
			b = 1000
		}
		return a < b
	})
	return ids
}

// syncRoles creates and updates the assignments of a READ_ROLES project and returns the usernames it lists.
func (r *mirrorRun) syncRoles(ctx context.Context, p *store.Project, e *Project) map[string]bool {
	keep := map[string]bool{}
	kind := kindOf(p.Type)
	// The current assignments, read once: an unchanged project costs one query, not one per role.
	current := map[int64]*store.RoleAssignment{}
	list, err := r.Store.ListProjectRoles(ctx, p.ID)
	if err != nil {
		r.note("error", kind, p.UUID, p.Title, "cannot list roles: "+err.Error())
		return nil
	}
	for _, a := range list {
		current[a.UserID] = a
	}
	for _, rid := range sortedRoles(e) {
		re := e.Roles[rid]
		name := fmt.Sprintf("%s as %q in %s %q", re.User, re.Role, kind, p.Title)
		role, ok := roleNames[re.Role]
		if !ok {
			keep[re.User] = true // an unknown role must not remove what the user has
			r.skip(KindRole, rid, name, fmt.Sprintf("unknown role %q", re.Role))
			continue
		}
		if role == access.RoleFinder && p.Type != store.TypeCategory {
			keep[re.User] = true
			r.skip(KindRole, rid, name, "the finder role applies to categories only")
			continue
		}
		u, local := r.account(ctx, re.User)
		if local {
			if role != access.RoleOwner {
				r.skip(KindRole, rid, name, fmt.Sprintf("%q is a SODAR-local account, which kiosc does not mirror; role not assigned", re.User))
				continue
			}
			var why string
			if u, why = r.defaultOwner(ctx); u == nil {
				r.skip(KindRole, rid, name, fmt.Sprintf("owner %q is a SODAR-local account and %s; owner not assigned", re.User, why))
				continue
			}
			r.note("info", KindRole, rid, name, fmt.Sprintf("owner %q is a SODAR-local account; the owner role goes to %q", re.User, u.Username))
		}
		if u == nil {
			keep[re.User] = true
			r.skip(KindRole, rid, name, fmt.Sprintf("user %q is not in kiosc (missing from the payload or skipped)", re.User))
			continue
		}
		keep[u.Username] = true
		r.assign(ctx, p, u, role, rid, name, current)
	}
	return keep
}

// assign gives u the role in p unless current (the project's assignments by user ID, kept up to date) says it
// already has it.
func (r *mirrorRun) assign(ctx context.Context, p *store.Project, u *store.User, role, rid, name string, current map[int64]*store.RoleAssignment) {
	if prev := current[u.ID]; prev != nil && prev.Role == role && prev.Source == store.SourceSodar {
		return
	}
	a := &store.RoleAssignment{UUID: rid, ProjectID: p.ID, UserID: u.ID, Role: role, Source: store.SourceSodar}
	var created bool
	var err error
	if role == access.RoleOwner {
		var displaced []*store.RoleAssignment
		displaced, created, err = r.Store.ReplaceProjectOwner(ctx, a)
		for _, d := range displaced {
			delete(current, d.UserID)
			r.run.Count(KindRole).Removed++
			r.roleEvent(ctx, "sodar_role_delete", p, d.UUID, d.Username, d.Role,
				fmt.Sprintf("remove role %q from %s in %q by SODAR (new owner %s)", d.Role, d.Username, p.Title, u.Username))
		}
	} else {
		created, err = r.Store.SetRole(ctx, a)
	}
	if err != nil {
		r.skip(KindRole, rid, name, "cannot assign: "+err.Error())
		return
	}
	a.Username = u.Username
	current[u.ID] = a
	if created {
		r.run.Count(KindRole).Created++
		r.roleEvent(ctx, "sodar_role_create", p, a.UUID, u.Username, role, fmt.Sprintf("add role %q for %s in %q from SODAR", role, u.Username, p.Title))
		return
	}
	r.run.Count(KindRole).Updated++
	r.roleEvent(ctx, "sodar_role_update", p, a.UUID, u.Username, role, fmt.Sprintf("update role to %q for %s in %q from SODAR", role, u.Username, p.Title))
}

func (r *mirrorRun) roleEvent(ctx context.Context, name string, p *store.Project, roleUUID, username, role, desc string) {
	r.event(ctx, &store.TimelineEvent{EventName: name, ProjectUUID: p.UUID, ObjectType: KindRole, ObjectUUID: roleUUID, Description: desc,
		ExtraData: map[string]any{"user": username, "role": role}})
}

// removeRoles deletes the assignments of users the payload no longer lists. Owners are never removed this way (a
// new owner replaces the old one); on a REVOKED project only owner and delegates remain.
func (r *mirrorRun) removeRoles(ctx context.Context, p *store.Project, keep map[string]bool, revoked bool) {
	current, err := r.Store.ListProjectRoles(ctx, p.ID)
	if err != nil {
		r.note("error", kindOf(p.Type), p.UUID, p.Title, "cannot list roles for removal: "+err.Error())
		return
	}
	for _, a := range current {
		if a.Role == access.RoleOwner {
			continue
		}
		if keep[a.Username] && (!revoked || a.Role == access.RoleDelegate) {
			continue
		}
		if err := r.Store.DeleteRole(ctx, p.ID, a.UserID); err != nil && !errors.Is(err, store.ErrNotFound) {
			r.skip(KindRole, a.UUID, a.Username, "cannot remove: "+err.Error())
			continue
		}
		r.run.Count(KindRole).Removed++
		why := "no longer listed"
		if revoked {
			why = "access revoked"
		}
		r.roleEvent(ctx, "sodar_role_delete", p, a.UUID, a.Username, a.Role,
			fmt.Sprintf("remove role %q from %s in %q by SODAR (%s)", a.Role, a.Username, p.Title, why))
	}
}
