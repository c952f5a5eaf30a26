package store

import (
	"context"
	"encoding/json"
)

// narrow adds the event and user conditions of f to a timeline query.
func (f TimelineFilter) narrow(where string, args []any) (string, []any) {
	if len(f.EventNames) > 0 {
		list, _ := json.Marshal(f.EventNames)
		where += " AND event_name IN (SELECT value FROM json_each(?))"
		args = append(args, string(list))
	}
	if f.Username != "" {
		where += " AND username = ?"
		args = append(args, f.Username)
	}
	return where, args
}

// TimelineFacets are the event names and users that occur in the timeline a filter shows, for filters to choose from.
type TimelineFacets struct {
	Events []string `json:"events"`
	Users  []string `json:"users"`
}

// ListTimelineFacets returns the distinct event names and users of the events in f's projects (f.ProjectUUIDs and
// f.SiteWide as for ListTimelineEvents; the other fields are ignored), sorted.
func (s *Store) ListTimelineFacets(ctx context.Context, f TimelineFilter) (*TimelineFacets, error) {
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
	out := &TimelineFacets{}
	var err error
	if out.Events, err = s.distinctTimeline(ctx, "event_name", where, args); err != nil {
		return nil, err
	}
	if out.Users, err = s.distinctTimeline(ctx, "username", where, args); err != nil {
		return nil, err
	}
	return out, nil
}

// distinctTimeline returns the distinct non-empty values of a timeline column under a condition, sorted.
func (s *Store) distinctTimeline(ctx context.Context, col, where string, args []any) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT DISTINCT `+col+` FROM timeline_events WHERE `+where+` ORDER BY 1`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		if v != "" {
			out = append(out, v)
		}
	}
	return out, rows.Err()
}
