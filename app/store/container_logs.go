package store

import (
	"context"
	"database/sql"
	"time"
)

// LogLine is one stored line of a container's Docker output.
type LogLine struct {
	ID            int64
	ContainerUUID string
	Time          time.Time
	Stream        string
	Line          string
}

// CreateContainerLogs appends lines in one transaction and trims the container's log to keep at most retain lines
// (0: keep all).
func (s *Store) CreateContainerLogs(ctx context.Context, containerUUID string, lines []LogLine, retain int) error {
	if len(lines) == 0 {
		return nil
	}
	return s.Tx(ctx, func(tx *sql.Tx) error {
		stmt, err := tx.PrepareContext(ctx, `INSERT INTO container_logs (container_uuid, time, stream, line) VALUES (?,?,?,?)`)
		if err != nil {
			return err
		}
		defer stmt.Close()
		var last int64
		for _, l := range lines {
			res, err := stmt.ExecContext(ctx, containerUUID, tsNano(l.Time), l.Stream, l.Line)
			if err != nil {
				return err
			}
			last, _ = res.LastInsertId()
		}
		if retain > 0 {
			// Row IDs grow with insertion, so everything at or below last-retain is older than the kept window.
			if _, err := tx.ExecContext(ctx, `DELETE FROM container_logs WHERE container_uuid=? AND id <= (
				SELECT id FROM container_logs WHERE container_uuid=? AND id <= ? ORDER BY id DESC LIMIT 1 OFFSET ?)`,
				containerUUID, containerUUID, last, retain); err != nil {
				return err
			}
		}
		return nil
	})
}

// tsNano keeps log times to the nanosecond so resuming after the last stored line neither repeats nor skips lines.
func tsNano(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000000Z") }

// ListContainerLogs returns the last tail lines (0: up to 10000) written after since (zero: any), oldest first.
func (s *Store) ListContainerLogs(ctx context.Context, containerUUID string, since time.Time, tail int) ([]*LogLine, error) {
	if tail <= 0 || tail > 10000 {
		tail = 10000
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id, container_uuid, time, stream, line FROM (
		SELECT * FROM container_logs WHERE container_uuid=? AND time > ? ORDER BY id DESC LIMIT ?) ORDER BY id`,
		containerUUID, tsNano(since), tail)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []*LogLine{}
	for rows.Next() {
		l := &LogLine{}
		if err := rows.Scan(&l.ID, &l.ContainerUUID, timeCol{&l.Time}, &l.Stream, &l.Line); err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

// LastContainerLogTime returns the time of the newest stored line (zero when none).
func (s *Store) LastContainerLogTime(ctx context.Context, containerUUID string) (time.Time, error) {
	var t *time.Time
	err := s.db.QueryRowContext(ctx, `SELECT max(time) FROM container_logs WHERE container_uuid=?`, containerUUID).Scan(nullTimeCol{&t})
	if err != nil || t == nil {
		return time.Time{}, err
	}
	return *t, nil
}
