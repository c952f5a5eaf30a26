package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"time"

	"github.com/google/uuid"
)

// Job states.
const (
	JobQueued  = "queued"
	JobRunning = "running"
	JobDone    = "done"
	JobFailed  = "failed"
)

// Progress is how far a step has come (bytes for pulls).
type Progress struct {
	Current int64   `json:"current"`
	Total   int64   `json:"total"`
	Percent float64 `json:"percent"`
	// Probe is set in the probe step: what the readiness probe tries and what kiosc found out meanwhile.
	Probe *ProbeStatus `json:"probe,omitempty"`
}

// Job is one background operation on a container (start, stop, restart, delete, ...) with its current step.
type Job struct {
	ID            int64
	UUID          string
	ContainerUUID string
	Action        string
	State         string
	Step          string
	Message       string
	Progress      *Progress
	Username      string
	CreatedAt     time.Time
	FinishedAt    *time.Time
}

const jobCols = `id, uuid, container_uuid, action, state, step, message, progress, username, created_at, finished_at`

func scanJob(row rowScanner) (*Job, error) {
	j := &Job{}
	var prog sql.NullString
	if err := row.Scan(&j.ID, &j.UUID, &j.ContainerUUID, &j.Action, &j.State, &j.Step, &j.Message, &prog, &j.Username,
		timeCol{&j.CreatedAt}, nullTimeCol{&j.FinishedAt}); err != nil {
		return nil, notFound(err)
	}
	if prog.Valid && prog.String != "" {
		j.Progress = &Progress{}
		if err := json.Unmarshal([]byte(prog.String), j.Progress); err != nil {
			return nil, err
		}
	}
	return j, nil
}

func progressText(p *Progress) any {
	if p == nil {
		return nil
	}
	return jsonText(p)
}

// CreateJob inserts a job (queued unless State is set).
func (s *Store) CreateJob(ctx context.Context, j *Job) error {
	if j.UUID == "" {
		j.UUID = uuid.NewString()
	}
	if j.State == "" {
		j.State = JobQueued
	}
	j.CreatedAt = storedNow()
	res, err := s.db.ExecContext(ctx, `INSERT INTO jobs (uuid, container_uuid, action, state, step, message, progress, username,
		created_at) VALUES (?,?,?,?,?,?,?,?,?)`, j.UUID, j.ContainerUUID, j.Action, j.State, j.Step, j.Message,
		progressText(j.Progress), j.Username, ts(j.CreatedAt))
	if err != nil {
		return err
	}
	j.ID, err = res.LastInsertId()
	return err
}

// GetJob returns a job by UUID.
func (s *Store) GetJob(ctx context.Context, id string) (*Job, error) {
	return scanJob(s.db.QueryRowContext(ctx, `SELECT `+jobCols+` FROM jobs WHERE uuid=?`, id))
}

// UpdateJob writes state, step, message, progress and finished_at.
func (s *Store) UpdateJob(ctx context.Context, j *Job) error {
	_, err := s.db.ExecContext(ctx, `UPDATE jobs SET state=?, step=?, message=?, progress=?, finished_at=? WHERE id=?`,
		j.State, j.Step, j.Message, progressText(j.Progress), nts(j.FinishedAt), j.ID)
	return err
}

// ListJobs returns a container's jobs newest first and their total.
func (s *Store) ListJobs(ctx context.Context, containerUUID string, page Page) ([]*Job, int, error) {
	return listPage(ctx, s.db, listQuery{cols: jobCols, from: " FROM jobs", where: "container_uuid=?", order: "id DESC",
		args: []any{containerUUID}}, page, scanJob)
}

// FailUnfinishedJobs marks jobs left queued or running by a previous process as failed (their work is redone by the
// reconciler from the desired state). Only jobs created before the time before are touched: the current process
// started then, and the jobs it created since are its own, which its workers finish.
func (s *Store) FailUnfinishedJobs(ctx context.Context, message string, before time.Time) (int64, error) {
	res, err := s.db.ExecContext(ctx, `UPDATE jobs SET state=?, message=?, finished_at=? WHERE state IN (?, ?) AND created_at < ?`,
		JobFailed, message, ts(time.Now()), JobQueued, JobRunning, ts(before))
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
