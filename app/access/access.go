// Package access is the permission matrix of kiosc (spec section 4) in one place: roles, their ranks, inheritance
// from categories, and which role may do what.
package access

import "github.com/bihealth/kiosc/app/store"

// Roles, as stored and as shown in the API.
const (
	RoleOwner       = "owner"
	RoleDelegate    = "delegate"
	RoleContributor = "contributor"
	RoleGuest       = "guest"
	RoleViewer      = "viewer"
	// RoleFinder comes from SODAR categories: it shows the category in the tree and nothing else.
	RoleFinder = "finder"
)

// Rank orders roles: lower means more rights. Zero means no role.
func Rank(role string) int {
	switch role {
	case RoleOwner:
		return 10
	case RoleDelegate:
		return 20
	case RoleContributor:
		return 30
	case RoleGuest:
		return 40
	case RoleViewer:
		return 45
	case RoleFinder:
		return 50
	}
	return 0
}

// AssignableRoles are the roles a person can give in kiosc.
var AssignableRoles = []string{RoleOwner, RoleDelegate, RoleContributor, RoleGuest, RoleViewer}

// ValidRole reports whether role can be assigned in kiosc.
func ValidRole(role string) bool {
	for _, r := range AssignableRoles {
		if r == role {
			return true
		}
	}
	return false
}

// Action is something a user may do in a project.
type Action int

// The actions of the permission matrix.
const (
	ViewProject      Action = iota // see the project and its container list
	OpenApp                        // open an app through the proxy (starts it if stopped)
	ViewContainer                  // container detail, state, kiosc events
	ViewLogs                       // Docker logs, live and stored
	ManageContainers               // create, edit, start, stop, restart, delete containers
	ManageTemplates                // create, edit, copy, apply project templates
	ManageRoles                    // assign and remove roles (owner and delegate)
	ManageProject                  // edit the project itself (owner and delegate; local projects only)
	SiteAdmin                      // site templates, users, local projects, admin views, maintenance
)

var actionNames = map[Action]string{
	ViewProject: "view_project", OpenApp: "open_app", ViewContainer: "view_container", ViewLogs: "view_logs",
	ManageContainers: "manage_containers", ManageTemplates: "manage_templates", ManageRoles: "manage_roles",
	ManageProject: "manage_project", SiteAdmin: "site_admin",
}

func (a Action) String() string { return actionNames[a] }

// Actions lists every action (for table tests and the API's permission summary).
func Actions() []Action {
	return []Action{ViewProject, OpenApp, ViewContainer, ViewLogs, ManageContainers, ManageTemplates, ManageRoles, ManageProject, SiteAdmin}
}

// worstRank is the highest (weakest) rank that may perform each action.
var worstRank = map[Action]int{
	ViewProject:      45, // viewer and up
	OpenApp:          40, // guest and up
	ViewContainer:    40,
	ViewLogs:         30, // contributor and up
	ManageContainers: 30,
	ManageTemplates:  30,
	ManageRoles:      20, // delegate and up
	ManageProject:    20,
	SiteAdmin:        0, // superusers only
}

// Allowed reports whether a user with the given effective role (empty: none) may perform action.
func Allowed(superuser bool, role string, action Action) bool {
	if superuser {
		return true
	}
	r := Rank(role)
	return r != 0 && r <= worstRank[action]
}

// Tree resolves effective roles with inheritance from categories.
type Tree struct {
	byID   map[int64]*store.Project
	byUUID map[string]*store.Project
	kids   map[int64][]int64
}

// NewTree indexes every project and category.
func NewTree(projects []*store.Project) *Tree {
	t := &Tree{byID: map[int64]*store.Project{}, byUUID: map[string]*store.Project{}, kids: map[int64][]int64{}}
	for _, p := range projects {
		t.byID[p.ID] = p
		t.byUUID[p.UUID] = p
		if p.ParentID != nil {
			t.kids[*p.ParentID] = append(t.kids[*p.ParentID], p.ID)
		}
	}
	return t
}

// Project returns a project by UUID.
func (t *Tree) Project(uuid string) *store.Project { return t.byUUID[uuid] }

// Ancestors returns the chain from the project's parent up to the root.
func (t *Tree) Ancestors(p *store.Project) []*store.Project {
	var out []*store.Project
	seen := map[int64]bool{p.ID: true}
	for p.ParentID != nil {
		parent := t.byID[*p.ParentID]
		if parent == nil || seen[parent.ID] {
			break
		}
		seen[parent.ID] = true
		out = append(out, parent)
		p = parent
	}
	return out
}

// EffectiveRole is the best role a user holds on p or any category above it. A finder role applies to
// categories only; a REVOKED SODAR project honours only owner and delegate roles.
func (t *Tree) EffectiveRole(p *store.Project, own map[int64]string) string {
	best := ""
	consider := func(role string) {
		if role == "" || (role == RoleFinder && p.Type != store.TypeCategory) {
			return
		}
		if best == "" || Rank(role) < Rank(best) {
			best = role
		}
	}
	consider(own[p.ID])
	for _, a := range t.Ancestors(p) {
		consider(own[a.ID])
	}
	if p.SodarLevel == "REVOKED" && Rank(best) > Rank(RoleDelegate) {
		return ""
	}
	return best
}

// VisibleRole is EffectiveRole, except that a category is also visible (as finder) to someone with a role on
// something inside it, so the tree down to their projects can be navigated.
func (t *Tree) VisibleRole(p *store.Project, own map[int64]string) string {
	if r := t.EffectiveRole(p, own); r != "" {
		return r
	}
	if p.Type == store.TypeCategory && t.hasRoleBelow(p.ID, own, map[int64]bool{}) {
		return RoleFinder
	}
	return ""
}

func (t *Tree) hasRoleBelow(id int64, own map[int64]string, seen map[int64]bool) bool {
	if seen[id] {
		return false
	}
	seen[id] = true
	for _, k := range t.kids[id] {
		if own[k] != "" || t.hasRoleBelow(k, own, seen) {
			return true
		}
	}
	return false
}

// Children returns the direct children of a project or category.
func (t *Tree) Children(id int64) []*store.Project {
	var out []*store.Project
	for _, k := range t.kids[id] {
		out = append(out, t.byID[k])
	}
	return out
}

// OwnRoles turns a user's assignments into a map from project ID to role.
func OwnRoles(roles []*store.RoleAssignment) map[int64]string {
	m := make(map[int64]string, len(roles))
	for _, r := range roles {
		m[r.ProjectID] = r.Role
	}
	return m
}
