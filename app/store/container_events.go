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
		e.Time = storedNow()
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
	return listPage(ctx, s.db, listQuery{cols: "id, container_uuid, time, level, message, username", from: " FROM container_events",
		where: "container_uuid=?", order: "id DESC", args: []any{containerUUID}}, page, scanContainerEvent)
}

func scanContainerEvent(row rowScanner) (*ContainerEvent, error) {
	e := &ContainerEvent{}
	if err := row.Scan(&e.ID, &e.ContainerUUID, timeCol{&e.Time}, &e.Level, &e.Message, &e.Username); err != nil {
		return nil, err
	}
	return e, nil
}
