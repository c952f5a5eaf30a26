package access

import (
	"context"
	"sync"

	"github.com/bihealth/kiosc/app/store"
)

// Source is what the Checker reads: every project, every role assignment, every user's superuser and active
// flags, and a number that changes with any of them.
type Source interface {
	ListProjects(ctx context.Context) ([]*store.Project, error)
	ListAllRoles(ctx context.Context) ([]*store.RoleAssignment, error)
	ListUserAccess(ctx context.Context) (map[int64]store.UserAccess, error)
	ACLGeneration() uint64
}

// Checker answers permission questions from an in-memory copy of projects, roles and users' flags that is reloaded
// whenever the store reports a change, so hot paths (the proxy, live-update fan-out) do not query the database per
// request, and long-lived connections can re-check a user's current rights per message (see Current).
type Checker struct {
	src Source
	// reload lets one caller refresh the copy at a time: after a change, every live subscriber checks its next
	// message at once, and one set of queries serves them all.
	reload sync.Mutex
	mu     sync.RWMutex
	gen    uint64
	ok     bool
	tree   *Tree
	roles  map[int64]map[int64]string // user ID → project ID → own role
	users  map[int64]store.UserAccess
}

// NewChecker returns a checker over src.
func NewChecker(src Source) *Checker { return &Checker{src: src} }

func (c *Checker) snapshot(ctx context.Context) (*Tree, map[int64]map[int64]string, error) {
	t, r, _, err := c.load(ctx)
	return t, r, err
}

// load returns the cached copy, reloading it first when the store's generation moved on. The generation is read
// before the data, so a change that lands during a reload is picked up by the next call.
func (c *Checker) load(ctx context.Context) (*Tree, map[int64]map[int64]string, map[int64]store.UserAccess, error) {
	if t, r, u, ok := c.cached(); ok {
		return t, r, u, nil
	}
	c.reload.Lock()
	defer c.reload.Unlock()
	if t, r, u, ok := c.cached(); ok {
		return t, r, u, nil // another caller reloaded it meanwhile
	}
	gen := c.src.ACLGeneration()
	projects, err := c.src.ListProjects(ctx)
	if err != nil {
		return nil, nil, nil, err
	}
	all, err := c.src.ListAllRoles(ctx)
	if err != nil {
		return nil, nil, nil, err
	}
	users, err := c.src.ListUserAccess(ctx)
	if err != nil {
		return nil, nil, nil, err
	}
	roles := map[int64]map[int64]string{}
	for _, r := range all {
		if roles[r.UserID] == nil {
			roles[r.UserID] = map[int64]string{}
		}
		roles[r.UserID][r.ProjectID] = r.Role
	}
	tree := NewTree(projects)
	c.mu.Lock()
	c.tree, c.roles, c.users, c.gen, c.ok = tree, roles, users, gen, true
	c.mu.Unlock()
	return tree, roles, users, nil
}

// cached returns the copy when it is as current as the store's generation.
func (c *Checker) cached() (*Tree, map[int64]map[int64]string, map[int64]store.UserAccess, bool) {
	gen := c.src.ACLGeneration()
	c.mu.RLock()
	defer c.mu.RUnlock()
	if !c.ok || c.gen != gen {
		return nil, nil, nil, false
	}
	return c.tree, c.roles, c.users, true
}

// Current returns u with its superuser and active flags as they are now, for connections that outlive the request
// that authenticated them (live updates, log streams): a user demoted, disabled or deleted since must not keep the
// old rights. ok is false when the user no longer exists or is disabled. The answer comes from the cached copy,
// which every write to users, projects or roles invalidates, so calling it per message is cheap.
func (c *Checker) Current(ctx context.Context, u *store.User) (cur *store.User, ok bool, err error) {
	_, _, users, err := c.load(ctx)
	if err != nil {
		return nil, false, err
	}
	a, found := users[u.ID]
	if !found || !a.IsActive {
		return nil, false, nil
	}
	if a.IsSuperuser == u.IsSuperuser && a.IsActive == u.IsActive {
		return u, true, nil
	}
	cp := *u
	cp.IsSuperuser, cp.IsActive = a.IsSuperuser, a.IsActive
	return &cp, true, nil
}

// Role returns the project and the user's effective role in it. A nil project means it does not exist.
func (c *Checker) Role(ctx context.Context, u *store.User, projectUUID string) (*store.Project, string, error) {
	tree, roles, err := c.snapshot(ctx)
	if err != nil {
		return nil, "", err
	}
	p := tree.Project(projectUUID)
	if p == nil {
		return nil, "", nil
	}
	return p, tree.EffectiveRole(p, roles[u.ID]), nil
}

// Can reports whether u may perform action in the project.
func (c *Checker) Can(ctx context.Context, u *store.User, projectUUID string, action Action) (bool, error) {
	if u.IsSuperuser {
		return true, nil
	}
	p, role, err := c.Role(ctx, u, projectUUID)
	if err != nil || p == nil {
		return false, err
	}
	return Allowed(false, role, action), nil
}

// Visible returns every project and category u may see with the role to show for each (superusers see all,
// with an empty role unless they hold one).
func (c *Checker) Visible(ctx context.Context, u *store.User) ([]*store.Project, map[string]string, error) {
	tree, roles, err := c.snapshot(ctx)
	if err != nil {
		return nil, nil, err
	}
	projects, err := c.src.ListProjects(ctx)
	if err != nil {
		return nil, nil, err
	}
	out := []*store.Project{}
	role := map[string]string{}
	for _, p := range projects {
		r := tree.VisibleRole(p, roles[u.ID])
		if r == "" && !u.IsSuperuser {
			continue
		}
		if r == RoleFinder && p.Type != store.TypeCategory {
			continue
		}
		out = append(out, p)
		role[p.UUID] = r
	}
	return out, role, nil
}

// Tree returns the current project tree.
func (c *Checker) Tree(ctx context.Context) (*Tree, error) {
	t, _, err := c.snapshot(ctx)
	return t, err
}
