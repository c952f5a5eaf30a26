package access

import (
	"testing"

	"github.com/bihealth/kiosc/app/store"
)

// The permission matrix of spec section 4, row by row.
func TestMatrix(t *testing.T) {
	type row struct {
		action                                                   Action
		viewer, guest, contributor, delegate, owner, super, none bool
	}
	for _, r := range []row{
		{ViewProject, true, true, true, true, true, true, false},
		{OpenApp, false, true, true, true, true, true, false},
		{ViewContainer, false, true, true, true, true, true, false},
		{ViewLogs, false, false, true, true, true, true, false},
		{ManageContainers, false, false, true, true, true, true, false},
		{ManageTemplates, false, false, true, true, true, true, false},
		{ManageRoles, false, false, false, true, true, true, false},
		{ManageProject, false, false, false, true, true, true, false},
		{SiteAdmin, false, false, false, false, false, true, false},
	} {
		t.Run(r.action.String(), func(t *testing.T) {
			for role, want := range map[string]bool{RoleViewer: r.viewer, RoleGuest: r.guest, RoleContributor: r.contributor,
				RoleDelegate: r.delegate, RoleOwner: r.owner, "": r.none, RoleFinder: false} {
				if got := Allowed(false, role, r.action); got != want {
					t.Errorf("role %q: got %v, want %v", role, got, want)
				}
			}
			if got := Allowed(true, "", r.action); got != r.super {
				t.Errorf("superuser: got %v, want %v", got, r.super)
			}
		})
	}
}

func TestInheritance(t *testing.T) {
	id := func(n int64) *int64 { return &n }
	root := &store.Project{ID: 1, UUID: "root", Type: store.TypeCategory}
	sub := &store.Project{ID: 2, UUID: "sub", Type: store.TypeCategory, ParentID: id(1)}
	proj := &store.Project{ID: 3, UUID: "proj", Type: store.TypeProject, ParentID: id(2)}
	other := &store.Project{ID: 4, UUID: "other", Type: store.TypeProject, ParentID: id(1)}
	revoked := &store.Project{ID: 5, UUID: "revoked", Type: store.TypeProject, ParentID: id(1), SodarLevel: "REVOKED"}
	tree := NewTree([]*store.Project{root, sub, proj, other, revoked})
	for _, tc := range []struct {
		name string
		own  map[int64]string
		p    *store.Project
		want string
	}{
		{"category owner owns descendants", map[int64]string{1: RoleOwner}, proj, RoleOwner},
		{"best role wins", map[int64]string{1: RoleGuest, 3: RoleContributor}, proj, RoleContributor},
		{"inherited better than local", map[int64]string{2: RoleDelegate, 3: RoleGuest}, proj, RoleDelegate},
		{"finder does not reach projects", map[int64]string{1: RoleFinder}, proj, ""},
		{"finder sees categories", map[int64]string{1: RoleFinder}, sub, RoleFinder},
		{"no role in a sibling", map[int64]string{3: RoleOwner}, other, ""},
		{"revoked keeps delegate", map[int64]string{5: RoleDelegate}, revoked, RoleDelegate},
		{"revoked drops contributor", map[int64]string{1: RoleContributor}, revoked, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tree.EffectiveRole(tc.p, tc.own); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
	if got := tree.VisibleRole(root, map[int64]string{3: RoleGuest}); got != RoleFinder {
		t.Errorf("category above a member's project: %q", got)
	}
}
