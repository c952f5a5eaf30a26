package store

import (
	"context"
	"time"
)

// Container event levels.
const (
	LevelInfo    = "info"
	LevelWarning = "warning"
	LevelError   = "error"
)

// ContainerEvent is one thing kiosc did to a container, or noticed about it, and why.
type ContainerEvent struct {
	ID            int64
	ContainerUUID string
	Time          time.Time
	Level         string
	Message       string
	Username      string
}

// CreateContainerEvent appends an event (time filled when zero).
func (s *Store) CreateContainerEvent(ctx context.Context, e *ContainerEvent) error {
	if e.Time.IsZero() {
		e.Time = time.Now().UTC()
	}
	if e.Level == "" {
		e.Level = LevelInfo
	}
	res, err := s.db.ExecContext(ctx, `INSERT INTO container_events (container_uuid, time, level, message, username) VALUES (?,?,?,?,?)`,
		e.ContainerUUID, ts(e.Time), e.Level, e.Message, e.Username)
	if err != nil {
		return err
	}
	e.ID, err = res.LastInsertId()
	return err
}

// ListContainerEvents returns a container's events newest first and their total.
func (s *Store) ListContainerEvents(ctx context.Context, containerUUID string, page Page) ([]*ContainerEvent, int, error) {
	var total int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM container_events WHERE container_uuid=?`, containerUUID).Scan(&total); err != nil {
		return nil, 0, err
	}
	p := page.Clamp()
	rows, err := s.db.QueryContext(ctx, `SELECT id, container_uuid, time, level, message, username FROM container_events
		WHERE container_uuid=? ORDER BY id DESC LIMIT ? OFFSET ?`, containerUUID, p.Limit, p.Offset)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out := []*ContainerEvent{}
	for rows.Next() {
		e := &ContainerEvent{}
		if err := rows.Scan(&e.ID, &e.ContainerUUID, timeCol{&e.Time}, &e.Level, &e.Message, &e.Username); err != nil {
			return nil, 0, err
		}
		out = append(out, e)
	}
	return out, total, rows.Err()
}
