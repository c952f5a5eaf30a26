package api

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"log/slog"
	"regexp"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/bihealth/kiosc/app/access"
	"github.com/bihealth/kiosc/app/lifecycle"
	"github.com/bihealth/kiosc/app/store"
	"github.com/bihealth/kiosc/app/web"
)

// Volumes serves the volumes of containers and projects: their listings (guests and up), the removal of project
// volumes and of volumes kept after their container was deleted, and downloads and uploads of their files
// (contributors and up). Files travel as streams: a download is the engine's tar archive, renamed or converted to
// zip as it is sent; an upload is checked entry by entry as it arrives. Neither is held in memory.
type Volumes struct {
	Manager *lifecycle.Manager
	Store   *store.Store
	Checker *access.Checker
	Log     *slog.Logger
}

// Register adds the routes under /api/v1.
func (h *Volumes) Register(r fiber.Router) {
	r.Get("/containers/:uuid/volumes", web.RequireUser, h.listContainer)
	r.Get("/containers/:uuid/volumes/:name/archive", web.RequireUser, h.download(h.containerVolume))
	r.Put("/containers/:uuid/volumes/:name/archive", web.RequireUser, h.upload(h.containerVolume))
	r.Post("/containers/:uuid/volumes/:name/archive", web.RequireUser, h.upload(h.containerVolume))
	r.Get("/projects/:uuid/volumes", web.RequireUser, h.listProject)
	r.Delete("/projects/:uuid/volumes/:name", web.RequireUser, h.removeProject)
	r.Get("/projects/:uuid/volumes/:name/archive", web.RequireUser, h.download(h.projectVolume))
	r.Put("/projects/:uuid/volumes/:name/archive", web.RequireUser, h.upload(h.projectVolume))
	r.Post("/projects/:uuid/volumes/:name/archive", web.RequireUser, h.upload(h.projectVolume))
}

func (h *Volumes) containers() *Containers {
	return &Containers{Manager: h.Manager, Store: h.Store, Checker: h.Checker}
}

// volumeError maps the volume errors of the manager to API errors.
func volumeError(err error) error {
	var inUse *lifecycle.ErrVolumeInUse
	switch {
	case errors.As(err, &inUse):
		return &web.Error{Status: 409, Code: "volume_in_use", Message: err.Error()}
	case errors.Is(err, lifecycle.ErrBadPath):
		return web.BadRequest("invalid_path", strings.TrimPrefix(err.Error(), lifecycle.ErrBadPath.Error()+": "))
	case errors.Is(err, lifecycle.ErrVolumeNotCreated):
		return &web.Error{Status: 409, Code: "volume_not_created", Message: err.Error()}
	case errors.Is(err, lifecycle.ErrUploadConflict):
		return web.Conflict(err.Error())
	case errors.Is(err, store.ErrNotFound):
		msg := err.Error()
		if i := strings.LastIndex(msg, ": "+store.ErrNotFound.Error()); i > 0 {
			msg = msg[:i]
		}
		return &web.Error{Status: 404, Code: "not_found", Message: msg + " not found"}
	}
	return managerError(err)
}

func (h *Volumes) listContainer(c *fiber.Ctx) error {
	ct, _, err := h.containers().container(c, access.ViewContainer)
	if err != nil {
		return err
	}
	items, err := h.Manager.ContainerVolumes(c.UserContext(), ct)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": items, "total": len(items)})
}

func (h *Volumes) listProject(c *fiber.Ctx) error {
	if _, err := h.containers().allow(c.UserContext(), web.IdentityOf(c).User, c.Params("uuid"), access.ViewContainer, "project"); err != nil {
		return err
	}
	items, err := h.Manager.ProjectVolumes(c.UserContext(), c.Params("uuid"))
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": items, "total": len(items)})
}

// removeProject removes a project volume (or, with ?container=, a volume kept after that container was deleted):
// 409 naming the containers configured with it.
func (h *Volumes) removeProject(c *fiber.Ctx) error {
	ctx, u := c.UserContext(), web.IdentityOf(c).User
	if _, err := h.containers().allow(ctx, u, c.Params("uuid"), access.ManageContainers, "project"); err != nil {
		return err
	}
	if err := h.Manager.RemoveProjectVolume(ctx, u, c.Params("uuid"), c.Params("name"), c.Query("container")); err != nil {
		return volumeError(err)
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// volumeOf finds the volume a request names, after checking that the caller manages the containers of its project.
type volumeOf func(c *fiber.Ctx) (*store.Volume, error)

func (h *Volumes) containerVolume(c *fiber.Ctx) (*store.Volume, error) {
	ct, _, err := h.containers().container(c, access.ManageContainers)
	if err != nil {
		return nil, err
	}
	v, err := h.Manager.ContainerVolume(c.UserContext(), ct, c.Params("name"))
	if err != nil {
		return nil, volumeError(err)
	}
	return v, nil
}

func (h *Volumes) projectVolume(c *fiber.Ctx) (*store.Volume, error) {
	ctx := c.UserContext()
	if _, err := h.containers().allow(ctx, web.IdentityOf(c).User, c.Params("uuid"), access.ManageContainers, "project"); err != nil {
		return nil, err
	}
	v, err := h.Manager.ProjectVolume(ctx, c.Params("uuid"), c.Params("name"), c.Query("container"))
	if err != nil {
		return nil, volumeError(err)
	}
	return v, nil
}

var unsafeFileName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// download streams a tar (?format=tar, the default) or zip (?format=zip) archive of the file or folder ?path of the
// volume (default: all of it).
func (h *Volumes) download(find volumeOf) fiber.Handler {
	return func(c *fiber.Ctx) error {
		format := c.Query("format", "tar")
		if format != "tar" && format != "zip" {
			return web.FieldError("format", `must be "tar" or "zip"`)
		}
		v, err := find(c)
		if err != nil {
			return err
		}
		ctx, cancel := context.WithCancel(context.Background())
		d, err := h.Manager.DownloadVolume(ctx, v, c.Query("path"))
		if err != nil {
			cancel()
			return volumeError(err)
		}
		name := unsafeFileName.ReplaceAllString(d.Name, "_") + "." + format
		c.Set(fiber.HeaderContentType, map[string]string{"tar": "application/x-tar", "zip": "application/zip"}[format])
		c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+name+`"`)
		c.Set(fiber.HeaderCacheControl, "no-store")
		c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
			defer cancel()
			defer d.Close()
			write := d.WriteTar
			if format == "zip" {
				write = d.WriteZip
			}
			_, err := write(w)
			if err == nil {
				err = w.Flush()
			}
			if err != nil && h.Log != nil {
				h.Log.Warn("volume download ended early", "volume", v.DockerName, "err", err)
			}
		})
		return nil
	}
}

// upload writes into the folder ?path of the volume (created when missing) a tar archive (Content-Type
// application/x-tar) or one file named ?name (any other type; its Content-Length is required). It answers what
// was written.
func (h *Volumes) upload(find volumeOf) fiber.Handler {
	return func(c *fiber.Ctx) error {
		v, err := find(c)
		if err != nil {
			return err
		}
		ct := strings.ToLower(strings.TrimSpace(strings.Split(string(c.Request().Header.ContentType()), ";")[0]))
		isTar := ct == "application/x-tar" || ct == "application/tar"
		var file *lifecycle.UploadFile
		if !isTar {
			if c.Query("name") == "" {
				return web.FieldError("name", "required for a single file (or send a tar archive with Content-Type application/x-tar)")
			}
			n := c.Request().Header.ContentLength()
			if n < 0 {
				return &web.Error{Status: 411, Code: "length_required", Message: "a single file needs its Content-Length"}
			}
			file = &lifecycle.UploadFile{Name: c.Query("name"), Size: int64(n)}
		}
		body := c.Context().RequestBodyStream()
		if body == nil {
			body = bytes.NewReader(c.Body())
		}
		res, err := h.Manager.UploadToVolume(c.UserContext(), web.IdentityOf(c).User, v, c.Query("path"), body, file)
		if err != nil {
			return volumeError(err)
		}
		return c.JSON(res)
	}
}
