package api

import (
	"strings"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"github.com/bihealth/kiosc/app/access"
	"github.com/bihealth/kiosc/app/store"
	"github.com/bihealth/kiosc/app/web"
)

// MemberSearch serves GET /projects/<uuid>/candidates: the users whom those who manage a project's members may add,
// found by a part of their username or name. Only owners, delegates and superusers may search, only with at least two
// characters, and they learn usernames and names only (superusers, who see every user anyway, also match e-mail
// addresses), at most ten at a time: enough to pick a colleague, not to list the site's users.
type MemberSearch struct {
	Store   *store.Store
	Checker *access.Checker
}

// CandidateOut is a user who could be given a role in the project, with the role they hold in it directly (if any).
type CandidateOut struct {
	Username string  `json:"username"`
	Name     string  `json:"name"`
	Role     *string `json:"role"`
}

// maxCandidates is how many users one search answers at most.
const maxCandidates = 10

// Register adds the routes under /api/v1.
func (h *MemberSearch) Register(r fiber.Router) {
	r.Get("/projects/:uuid/candidates", web.RequireUser, h.search)
}

func (h *MemberSearch) search(c *fiber.Ctx) error {
	ctx := c.UserContext()
	u := web.IdentityOf(c).User
	p, role, err := resolveProject(ctx, h.Checker, u, c.Params("uuid"))
	if err != nil {
		return err
	}
	if !access.Allowed(u.IsSuperuser, role, access.ManageRoles) {
		return web.Forbidden("searching for new members needs the owner or delegate role")
	}
	q := strings.TrimSpace(c.Query("search"))
	if utf8.RuneCountInString(q) < 2 {
		return web.FieldError("search", "enter at least 2 characters of a username or name")
	}
	list, _, err := h.Store.ListUsers(ctx, store.UserFilter{Search: q, Page: store.Page{Limit: 100}})
	if err != nil {
		return err
	}
	roles, err := h.Store.ListProjectRoles(ctx, p.ID)
	if err != nil {
		return err
	}
	held := map[int64]string{}
	for _, r := range roles {
		held[r.UserID] = r.Role
	}
	lower := strings.ToLower(q)
	items := []CandidateOut{}
	for _, usr := range list {
		if !usr.IsActive || usr.Username == store.SystemUser {
			continue
		}
		if !u.IsSuperuser && !strings.Contains(strings.ToLower(usr.Username), lower) && !strings.Contains(strings.ToLower(usr.Name), lower) {
			continue // matched by e-mail address only, which only superusers may search by
		}
		out := CandidateOut{Username: usr.Username, Name: usr.Name}
		if r, ok := held[usr.ID]; ok && r != access.RoleFinder {
			out.Role = &r
		}
		items = append(items, out)
		if len(items) == maxCandidates {
			break
		}
	}
	return c.JSON(fiber.Map{"items": items, "total": len(items)})
}
