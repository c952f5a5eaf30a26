package api

import (
	"context"
	"errors"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/bihealth/kiosc/app/sodar"
	"github.com/bihealth/kiosc/app/store"
	"github.com/bihealth/kiosc/app/web"
)

// SodarSyncer runs SODAR syncs (sodar.Service).
type SodarSyncer interface {
	Sync(ctx context.Context, trigger, username string) (*store.SodarRun, error)
	Running() bool
}

// Sodar serves the SODAR target-site admin endpoints: status, run history, and sync now.
type Sodar struct {
	Store *store.Store
	// Syncer is nil when kiosc runs standalone (KIOSC_SODAR_URL unset).
	Syncer SodarSyncer
	// URL is the source site without the secret; Interval and DefaultOwner are shown to admins.
	URL          string
	Interval     time.Duration
	DefaultOwner string
}

// Register adds the routes under /api/v1.
func (h *Sodar) Register(r fiber.Router) {
	g := r.Group("/admin/sodar", web.RequireSuperuser)
	g.Get("", h.status)
	g.Get("/runs", h.runs)
	g.Post("/sync", h.sync)
}

func disabled() *web.Error {
	return &web.Error{Status: 409, Code: "sodar_disabled", Message: "SODAR sync is not configured (set KIOSC_SODAR_URL and KIOSC_SODAR_SECRET)"}
}

// status answers {"enabled", "url", "interval_seconds", "default_owner", "version", "running", "last_run"}.
func (h *Sodar) status(c *fiber.Ctx) error {
	out := fiber.Map{"enabled": h.Syncer != nil, "url": nil, "interval_seconds": nil, "default_owner": nil, "version": nil,
		"running": false, "last_run": nil}
	if h.Syncer != nil {
		out["url"], out["interval_seconds"], out["default_owner"] = h.URL, int(h.Interval.Seconds()), h.DefaultOwner
		out["running"] = h.Syncer.Running()
	}
	if v, err := h.Store.GetSetting(c.UserContext(), store.SettingSodarSyncVersion); err == nil {
		out["version"] = v
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	runs, _, err := h.Store.ListSodarRuns(c.UserContext(), store.Page{Limit: 1})
	if err != nil {
		return err
	}
	if len(runs) > 0 {
		out["last_run"] = runs[0]
	}
	return c.JSON(out)
}

// runs answers {"items": [run...], "total": N}, newest first.
func (h *Sodar) runs(c *fiber.Ctx) error {
	page, err := web.ParsePage(c)
	if err != nil {
		return err
	}
	items, total, err := h.Store.ListSodarRuns(c.UserContext(), page)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": items, "total": total})
}

// sync runs a sync now and answers with the run (200, also when the run failed: its status says so); 409
// sync_running while another sync runs, 409 sodar_disabled when not configured.
func (h *Sodar) sync(c *fiber.Ctx) error {
	if h.Syncer == nil {
		return disabled()
	}
	id := web.IdentityOf(c)
	trigger := sodar.TriggerUI
	if id.Token != nil {
		trigger = sodar.TriggerAPI
	}
	run, err := h.Syncer.Sync(c.UserContext(), trigger, id.User.Username)
	if errors.Is(err, sodar.ErrSyncRunning) {
		return &web.Error{Status: 409, Code: "sync_running", Message: "a SODAR sync is already running; try again when it has finished",
			RetryAfter: 5}
	}
	if err != nil {
		return err
	}
	return c.JSON(run)
}

// SodarLinks redirects SODAR's "project on other sites" links (/project/<uuid>) to the project page.
type SodarLinks struct{}

// Register adds GET /project/:uuid on the app root.
func (SodarLinks) Register(r fiber.Router) {
	r.Get("/project/:uuid", func(c *fiber.Ctx) error {
		id, err := uuid.Parse(c.Params("uuid"))
		if err != nil {
			return web.NotFound("project")
		}
		return c.Redirect("/projects/"+id.String(), fiber.StatusFound)
	})
}
