package api

import (
	"context"
	"log/slog"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/bihealth/kiosc/app/access"
	"github.com/bihealth/kiosc/app/events"
	"github.com/bihealth/kiosc/app/store"
)

// TimelineOut is the API representation of a timeline event.
type TimelineOut struct {
	UUID        string         `json:"uuid"`
	Time        time.Time      `json:"time"`
	Project     *string        `json:"project"`
	User        string         `json:"user"`
	EventName   string         `json:"event_name"`
	Description string         `json:"description"`
	Status      string         `json:"status"`
	ObjectType  string         `json:"object_type"`
	ObjectUUID  string         `json:"object_uuid"`
	ExtraData   map[string]any `json:"extra_data"`
}

// NewTimelineOut renders a timeline event.
func NewTimelineOut(e *store.TimelineEvent) TimelineOut {
	out := TimelineOut{UUID: e.UUID, Time: e.Time, User: e.Username, EventName: e.EventName, Description: e.Description,
		Status: e.Status, ObjectType: e.ObjectType, ObjectUUID: e.ObjectUUID, ExtraData: e.ExtraData}
	if e.ProjectUUID != "" {
		p := e.ProjectUUID
		out.Project = &p
	}
	if out.ExtraData == nil {
		out.ExtraData = map[string]any{}
	}
	return out
}

// Recorder writes timeline events and publishes them on the bus, so every change is both kept and pushed live.
type Recorder struct {
	Store *store.Store
	Bus   *events.Bus
	Log   *slog.Logger
}

// Record stores e and publishes it. A failure to store is logged, never fails the change it describes (which has
// already happened).
func (r *Recorder) Record(ctx context.Context, e *store.TimelineEvent) {
	if err := r.Store.CreateTimelineEvent(context.WithoutCancel(ctx), e); err != nil {
		if r.Log != nil {
			r.Log.Error("timeline event not recorded", "event", e.EventName, "object", e.ObjectUUID, "err", err)
		}
		return
	}
	if r.Bus != nil {
		r.Bus.Publish(events.Event{Type: events.TypeTimelineEvent, Data: NewTimelineOut(e), ProjectUUID: e.ProjectUUID,
			Need: access.ViewContainer, Key: e.ObjectUUID})
	}
}

// Timeline serves GET /timeline, per project and site-wide.
type Timeline struct {
	Store   *store.Store
	Checker *access.Checker
}

// Register adds the routes under /api/v1.
func (h *Timeline) Register(r fiber.Router) {
	r.Get("/timeline", RequireUser, h.list)
}

func (h *Timeline) list(c *fiber.Ctx) error {
	ctx := c.UserContext()
	u := IdentityOf(c).User
	page, err := ParsePage(c)
	if err != nil {
		return err
	}
	f := store.TimelineFilter{Page: page}
	if id := c.Query("project"); id != "" {
		p, role, err := h.Checker.Role(ctx, u, id)
		if err != nil {
			return err
		}
		if p == nil || (!u.IsSuperuser && role == "" && !visibleAsFinder(ctx, h.Checker, u, id)) {
			return NotFound("project")
		}
		if !access.Allowed(u.IsSuperuser, role, access.ViewContainer) {
			return Forbidden("viewing the timeline needs the guest role or higher")
		}
		f.ProjectUUIDs = []string{p.UUID}
	} else if !u.IsSuperuser {
		visible, roles, err := h.Checker.Visible(ctx, u)
		if err != nil {
			return err
		}
		f.ProjectUUIDs = []string{}
		for _, p := range visible {
			if access.Allowed(false, roles[p.UUID], access.ViewContainer) {
				f.ProjectUUIDs = append(f.ProjectUUIDs, p.UUID)
			}
		}
	}
	list, total, err := h.Store.ListTimelineEvents(ctx, f)
	if err != nil {
		return err
	}
	items := make([]TimelineOut, 0, len(list))
	for _, e := range list {
		items = append(items, NewTimelineOut(e))
	}
	return c.JSON(fiber.Map{"items": items, "total": total})
}

// ParsePage reads ?limit= and ?offset= (clamped by the store), naming the field when one is not a number.
func ParsePage(c *fiber.Ctx) (store.Page, error) {
	var p store.Page
	for _, f := range []struct {
		name string
		dst  *int
	}{{"limit", &p.Limit}, {"offset", &p.Offset}} {
		v := c.Query(f.name)
		if v == "" {
			continue
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return p, FieldError(f.name, "must be a non-negative whole number")
		}
		*f.dst = n
	}
	return p.Clamp(), nil
}

// visibleAsFinder reports whether u sees the category only because they hold a role somewhere inside it.
func visibleAsFinder(ctx context.Context, ch *access.Checker, u *store.User, id string) bool {
	visible, _, err := ch.Visible(ctx, u)
	if err != nil {
		return false
	}
	for _, p := range visible {
		if p.UUID == id {
			return true
		}
	}
	return false
}
