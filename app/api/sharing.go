package api

import (
	"encoding/json"
	"errors"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/bihealth/kiosc/app/access"
	"github.com/bihealth/kiosc/app/lifecycle"
	"github.com/bihealth/kiosc/app/routing"
	"github.com/bihealth/kiosc/app/settings"
	"github.com/bihealth/kiosc/app/sharing"
	"github.com/bihealth/kiosc/app/store"
	"github.com/bihealth/kiosc/app/web"
)

// Sharing serves the site setting that allows link and public access (superusers change it, every user reads it
// for the container form) and the secret links of link apps (contributors and up).
type Sharing struct {
	Sharing *sharing.Service
	Store   *store.Store
	Checker *access.Checker
	// Manager renders the containers of responses (nil: containers are not rendered).
	Manager *lifecycle.Manager
	Apps    routing.Apps
}

// Register adds the routes under /api/v1.
func (h *Sharing) Register(r fiber.Router) {
	r.Get("/settings", web.RequireUser, h.site)
	r.Get("/admin/settings", web.RequireSuperuser, h.site)
	r.Put("/admin/settings", web.RequireSuperuser, h.updateSite)
	r.Get("/containers/:uuid/links", web.RequireUser, h.links)
	r.Post("/containers/:uuid/links", web.RequireUser, h.createLink)
	r.Delete("/containers/:uuid/links/:id", web.RequireUser, h.revokeLink)
}

// SiteSettingsOut is the site setting of sharing.
type SiteSettingsOut struct {
	AllowLinkAccess   bool `json:"allow_link_access"`
	AllowPublicAccess bool `json:"allow_public_access"`
}

func siteOut(s settings.Sharing) SiteSettingsOut {
	return SiteSettingsOut{AllowLinkAccess: s.AllowLinkAccess, AllowPublicAccess: s.AllowPublicAccess}
}

func (h *Sharing) site(c *fiber.Ctx) error {
	return c.JSON(siteOut(h.Sharing.Site()))
}

// SiteSettingsUpdateOut answers a change of the site setting: the setting and the containers whose access now
// behaves differently (link and public apps that behave as project apps while their level is off, or again as
// configured once it is on).
type SiteSettingsUpdateOut struct {
	SiteSettingsOut
	Affected []sharing.Affected `json:"affected"`
}

func (h *Sharing) updateSite(c *fiber.Ctx) error {
	var in sharing.SiteChange
	if err := web.Decode(c, &in); err != nil {
		return err
	}
	cur, affected, err := h.Sharing.UpdateSite(c.UserContext(), web.IdentityOf(c).User, in)
	if err != nil {
		return err
	}
	if affected == nil {
		affected = []sharing.Affected{}
	}
	if h.Manager != nil {
		// Open pages show the level in effect: push the containers whose effective level changed.
		for _, a := range affected {
			if ct, err := h.Store.GetContainer(c.UserContext(), a.UUID); err == nil {
				h.Manager.Republish(ct)
			}
		}
	}
	return c.JSON(SiteSettingsUpdateOut{SiteSettingsOut: siteOut(cur), Affected: affected})
}

// LinkOut is a link of a link app (never its secret, except once at creation as url).
type LinkOut struct {
	ID        int64      `json:"id"`
	Container string     `json:"container"`
	Name      string     `json:"name"`
	Prefix    string     `json:"prefix"`
	CreatedBy string     `json:"created_by"`
	CreatedAt time.Time  `json:"created_at"`
	ExpiresAt *time.Time `json:"expires_at"`
	UsedAt    *time.Time `json:"used_at"`
	Expired   bool       `json:"expired"`
}

func linkOut(l *store.ContainerLink, now time.Time) LinkOut {
	return LinkOut{ID: l.ID, Container: l.ContainerUUID, Name: l.Name, Prefix: l.Prefix, CreatedBy: l.CreatedBy,
		CreatedAt: l.CreatedAt, ExpiresAt: l.ExpiresAt, UsedAt: l.UsedAt, Expired: l.Expired(now)}
}

// container loads a container whose links the caller manages (contributors and up).
func (h *Sharing) container(c *fiber.Ctx) (*store.Container, error) {
	ctx := c.UserContext()
	u := web.IdentityOf(c).User
	ct, err := h.Store.GetContainer(ctx, c.Params("uuid"))
	if err != nil {
		return nil, web.StoreError(err, "container")
	}
	if u.IsSuperuser {
		return ct, nil
	}
	p, role, err := h.Checker.Role(ctx, u, ct.ProjectUUID)
	if err != nil {
		return nil, err
	}
	if p == nil || role == "" || role == access.RoleFinder {
		return nil, web.NotFound("container")
	}
	if !access.Allowed(false, role, access.ManageContainers) {
		return nil, web.Forbidden("your role in this project does not allow managing the links of its apps")
	}
	return ct, nil
}

func (h *Sharing) links(c *fiber.Ctx) error {
	ct, err := h.container(c)
	if err != nil {
		return err
	}
	list, err := h.Sharing.Links(c.UserContext(), ct.UUID)
	if err != nil {
		return err
	}
	now := time.Now()
	items := make([]LinkOut, 0, len(list))
	for _, l := range list {
		items = append(items, linkOut(l, now))
	}
	return c.JSON(fiber.Map{"items": items, "total": len(items)})
}

type linkIn struct {
	Name      string          `json:"name"`
	ExpiresIn json.RawMessage `json:"expires_in"`
}

// LinkCreatedOut is a new link with its URL, the only time the secret in it is shown.
type LinkCreatedOut struct {
	LinkOut
	URL string `json:"url"`
}

func (h *Sharing) createLink(c *fiber.Ctx) error {
	ct, err := h.container(c)
	if err != nil {
		return err
	}
	var in linkIn
	if len(c.Body()) > 0 {
		if err := web.Decode(c, &in); err != nil {
			return err
		}
	}
	li := sharing.LinkInput{Name: in.Name}
	exp, expErr := parseExpiresIn(in.ExpiresIn)
	li.ExpiresIn = exp
	fields := li.Validate()
	if expErr != nil {
		fields["expires_in"] = expErr.Error()
	}
	if len(fields) > 0 {
		return web.Validation(fields)
	}
	l, secret, err := h.Sharing.CreateLink(c.UserContext(), web.IdentityOf(c).User, ct, li)
	if errors.Is(err, sharing.ErrLinkAccessOff) {
		return &web.Error{Status: fiber.StatusConflict, Code: "link_access_off", Message: err.Error()}
	}
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Status(fiber.StatusCreated).JSON(LinkCreatedOut{LinkOut: linkOut(l, time.Now()), URL: h.Apps.LinkURL(ct.UUID, secret)})
}

func (h *Sharing) revokeLink(c *fiber.Ctx) error {
	ct, err := h.container(c)
	if err != nil {
		return err
	}
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil {
		return web.NotFound("link")
	}
	if err := h.Sharing.RevokeLink(c.UserContext(), web.IdentityOf(c).User, ct, id); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return web.NotFound("link")
		}
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}
