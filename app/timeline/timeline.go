// Package timeline records what happened to projects, containers and users: each event is stored and published on
// the bus, so that it is both kept and pushed to live views. Lifecycle, auth, sodar and the API handlers share one
// Recorder.
package timeline

import (
	"context"
	"log/slog"
	"time"

	"github.com/bihealth/kiosc/app/access"
	"github.com/bihealth/kiosc/app/events"
	"github.com/bihealth/kiosc/app/store"
)

// Entry is a timeline event as the API and the live view render it.
type Entry struct {
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

// NewEntry renders a timeline event.
func NewEntry(e *store.TimelineEvent) Entry {
	out := Entry{UUID: e.UUID, Time: e.Time, User: e.Username, EventName: e.EventName, Description: e.Description,
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
		r.Bus.Publish(events.Event{Type: events.TypeTimelineEvent, Data: NewEntry(e), ProjectUUID: e.ProjectUUID,
			Need: access.ViewContainer, Key: e.ObjectUUID})
	}
}
