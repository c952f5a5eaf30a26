package api

import (
	"context"
	"net/url"
	"time"

	"github.com/gofiber/contrib/websocket"
	"github.com/gofiber/fiber/v2"

	"github.com/bihealth/kiosc/app/access"
	"github.com/bihealth/kiosc/app/auth"
	"github.com/bihealth/kiosc/app/lifecycle"
	"github.com/bihealth/kiosc/app/store"
	"github.com/bihealth/kiosc/app/usage"
	"github.com/bihealth/kiosc/app/web"
)

// Usage serves the live resource use of an app (a websocket of samples, for guests and up) and the site's capacity
// (superusers).
type Usage struct {
	Hub     *usage.Hub
	Manager *lifecycle.Manager
	Store   *store.Store
	Checker *access.Checker
	BaseURL *url.URL
}

// Register adds the routes under /api/v1.
func (h *Usage) Register(r fiber.Router) {
	r.Get("/containers/:uuid/usage/stream", web.RequireUser, h.streamCheck, websocket.New(h.stream))
	r.Get("/admin/capacity", web.RequireSuperuser, h.capacity)
}

// UsageMessage is what the usage stream sends: first {"type": "history", "data": [samples]}, then
// {"type": "sample", "data": sample} about once a second while the app runs.
type UsageMessage struct {
	Type string `json:"type"`
	Data any    `json:"data"`
}

func (h *Usage) streamCheck(c *fiber.Ctx) error {
	ct, err := h.Store.GetContainer(c.UserContext(), c.Params("uuid"))
	if err != nil {
		return web.StoreError(err, "container")
	}
	if err := h.allowed(c.UserContext(), web.IdentityOf(c).User, ct.ProjectUUID, true); err != nil {
		return err
	}
	if !websocket.IsWebSocketUpgrade(c) {
		return &web.Error{Status: 426, Code: "upgrade_required", Message: "this endpoint speaks websocket"}
	}
	if !web.SameOrigin(c, h.BaseURL) {
		return web.Forbidden("cross-origin websocket refused")
	}
	c.Locals("usage.container", ct.UUID)
	c.Locals("usage.project", ct.ProjectUUID)
	c.Locals("usage.identity", web.IdentityOf(c))
	return c.Next()
}

// allowed checks that u may see the container detail (guest and up) with the rights u has now; with answer, a
// refusal is the API's 404 (no role) or 403.
func (h *Usage) allowed(ctx context.Context, u *store.User, project string, answer bool) error {
	cur, active, err := h.Checker.Current(ctx, u)
	if err != nil {
		return err
	}
	if !active {
		return web.Unauthorized()
	}
	if cur.IsSuperuser {
		return nil
	}
	p, role, err := h.Checker.Role(ctx, cur, project)
	if err != nil {
		return err
	}
	if p == nil || role == "" {
		return web.NotFound("container")
	}
	if !access.Allowed(false, role, access.ViewContainer) {
		return web.Forbidden("your role in this project does not allow this")
	}
	return nil
}

// stream sends the app's samples while the page is open; the Docker stats stream behind it runs only while someone
// watches. It closes with reason "access revoked" when its user loses the right to see the app.
func (h *Usage) stream(conn *websocket.Conn) {
	id, _ := conn.Locals("usage.container").(string)
	project, _ := conn.Locals("usage.project").(string)
	ident, _ := conn.Locals("usage.identity").(*auth.Identity)
	if id == "" || ident == nil {
		_ = conn.Close()
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sub, history := h.Hub.Watch(id)
	defer sub.Close()
	defer drainSocket(conn, cancel)()
	write := func(m UsageMessage) error { return writeSocketJSON(conn, m) }
	if history == nil {
		history = []usage.Sample{}
	}
	if err := write(UsageMessage{Type: "history", Data: history}); err != nil {
		return
	}
	recheck := time.NewTicker(LogAccessRecheck)
	defer recheck.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-recheck.C:
			if h.allowed(ctx, ident.User, project, false) != nil {
				_ = conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.ClosePolicyViolation,
					logStreamRevoked), time.Now().Add(time.Second))
				return
			}
		case s := <-sub.C:
			if err := write(UsageMessage{Type: "sample", Data: s}); err != nil {
				return
			}
		}
	}
}

// CapacityOut is the site's capacity: the Docker host, what active apps reserve by their limits and use, and the
// cap of KIOSC_MAX_RESERVED.
type CapacityOut struct {
	Host     CapacityHost     `json:"host"`
	Reserved CapacityReserved `json:"reserved"`
	Cap      CapacityCap      `json:"cap"`
	Used     CapacityUsed     `json:"used"`
	Apps     []AppUsageOut    `json:"apps"`
	// Partial lists apps whose use could not be read (counted as using nothing).
	Partial []string `json:"partial"`
}

// CapacityHost is what the Docker host has.
type CapacityHost struct {
	Name   string `json:"name"`
	CPUs   int    `json:"cpus"`
	Memory int64  `json:"memory"`
}

// CapacityReserved is what active apps reserve by their limits.
type CapacityReserved struct {
	CPUs      float64 `json:"cpus"`
	Memory    int64   `json:"memory"`
	Apps      int     `json:"apps"`
	Unlimited int     `json:"unlimited"`
}

// CapacityCap is KIOSC_MAX_RESERVED on this host (0: none).
type CapacityCap struct {
	CPUs    float64 `json:"cpus"`
	Memory  int64   `json:"memory"`
	Setting string  `json:"setting"`
}

// CapacityUsed is what active apps use right now.
type CapacityUsed struct {
	CPUPercent float64 `json:"cpu_percent"`
	Memory     int64   `json:"memory"`
}

// AppUsageOut is one active app's reservation and use.
type AppUsageOut struct {
	UUID       string  `json:"uuid"`
	Title      string  `json:"title"`
	Project    string  `json:"project"`
	State      string  `json:"state"`
	CPUs       float64 `json:"cpus"`
	Memory     int64   `json:"memory"`
	CPUPercent float64 `json:"cpu_percent"`
	MemoryUsed int64   `json:"memory_used"`
}

func (h *Usage) capacity(c *fiber.Ctx) error {
	r, err := h.Manager.Capacity(c.UserContext())
	if err != nil {
		return web.Unavailable("docker_unavailable", "cannot read the Docker host: "+err.Error(), 5)
	}
	out := CapacityOut{
		Host:     CapacityHost{Name: r.Host.Name, CPUs: r.Host.CPUs, Memory: r.Host.Memory},
		Reserved: CapacityReserved{CPUs: r.Reserved.CPUs, Memory: r.Reserved.Memory, Apps: r.Reserved.Apps, Unlimited: r.Reserved.Unlimited},
		Cap:      CapacityCap{CPUs: r.CapCPUs, Memory: r.CapMemory, Setting: r.CapText},
		Used:     CapacityUsed{CPUPercent: r.UsedCPUPercent, Memory: r.UsedMemory},
		Apps:     []AppUsageOut{},
		Partial:  r.Partial,
	}
	if out.Partial == nil {
		out.Partial = []string{}
	}
	for _, a := range r.Apps {
		out.Apps = append(out.Apps, AppUsageOut{UUID: a.UUID, Title: a.Title, Project: a.Project, State: string(a.State),
			CPUs: a.CPUs, Memory: a.Memory, CPUPercent: a.CPUPercent, MemoryUsed: a.MemoryUsed})
	}
	return c.JSON(out)
}
