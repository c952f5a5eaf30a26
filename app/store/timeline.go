package store

import (
	"context"
	"encoding/json"
	"time"

	"github.com/google/uuid"
)

// Timeline statuses.
const (
	StatusOK     = "OK"
	StatusFailed = "FAILED"
	StatusInfo   = "INFO"
)

// SystemUser is the username recorded for changes kiosc makes by itself.
const SystemUser = "system"

// TimelineEvent records one change, made by a person or by kiosc itself.
type TimelineEvent struct {
	ID          int64
	UUID        string
	Time        time.Time
	ProjectUUID string // empty for site-wide events
	Username    string // SystemUser for kiosc itself
	EventName   string
	Description string
	Status      string
	ObjectType  string
	ObjectUUID  string
	ExtraData   map[string]any // never a secret
}

const timelineCols = `id, uuid, time, coalesce(project_uuid, ''), username, event_name, description, status, object_type, object_uuid, extra_data`

// CreateTimelineEvent appends an event, filling UUID and time when empty.
func (s *Store) CreateTimelineEvent(ctx context.Context, e *TimelineEvent) error {
	if e.UUID == "" {
		e.UUID = uuid.NewString()
	}
	if e.Time.IsZero() {
		e.Time = storedNow()
	}
	if e.Username == "" {
		e.Username = SystemUser
	}
	if e.Status == "" {
		e.Status = StatusOK
	}
	extra := []byte("{}")
	if len(e.ExtraData) > 0 {
		var err error
		if extra, err = json.Marshal(e.ExtraData); err != nil {
			return err
		}
	}
	res, err := s.db.ExecContext(ctx, `INSERT INTO timeline_events (uuid, time, project_uuid, username, event_name, description, status,
		object_type, object_uuid, extra_data) VALUES (?,?,?,?,?,?,?,?,?,?)`, e.UUID, ts(e.Time), nullStr(e.ProjectUUID), e.Username,
		e.EventName, e.Description, e.Status, e.ObjectType, e.ObjectUUID, string(extra))
	if err != nil {
		return err
	}
	e.ID, err = res.LastInsertId()
	return err
}

// TimelineFilter narrows ListTimelineEvents. ProjectUUIDs restricts to those projects (nil: no restriction;
// an empty non-nil slice: nothing); SiteWide includes events without a project.
type TimelineFilter struct {
	ProjectUUIDs []string
	ObjectUUID   string
	SiteWide     bool
	// EventNames and Username narrow the list to these events and to what one user (or system) did.
	EventNames []string
	Username   string
	Page       Page
}

// ListTimelineEvents returns events newest first and the total matching the filter.
func (s *Store) ListTimelineEvents(ctx context.Context, f TimelineFilter) ([]*TimelineEvent, int, error) {
	where, args := "1=1", []any{}
	if f.ProjectUUIDs != nil {
		cond := "project_uuid IN (SELECT value FROM json_each(?))"
		if f.SiteWide {
			cond = "(" + cond + " OR project_uuid IS NULL)"
		}
		list, _ := json.Marshal(f.ProjectUUIDs)
		where += " AND " + cond
		args = append(args, string(list))
	}
	if f.ObjectUUID != "" {
		where += " AND object_uuid = ?"
		args = append(args, f.ObjectUUID)
	}
	where, args = f.narrow(where, args)
	return listPage(ctx, s.db, listQuery{cols: timelineCols, from: " FROM timeline_events", where: where, order: "id DESC", args: args},
		f.Page, scanTimelineEvent)
}

func scanTimelineEvent(row rowScanner) (*TimelineEvent, error) {
	e := &TimelineEvent{}
	var extra string
	if err := row.Scan(&e.ID, &e.UUID, timeCol{&e.Time}, &e.ProjectUUID, &e.Username, &e.EventName, &e.Description,
		&e.Status, &e.ObjectType, &e.ObjectUUID, &extra); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(extra), &e.ExtraData); err != nil {
		return nil, err
	}
	return e, nil
}
