package store

import (
	"context"
	"encoding/json"
	"time"

	"github.com/google/uuid"
)

// SODAR sync run statuses.
const (
	SodarRunRunning = "running"
	SodarRunOK      = "ok"
	SodarRunPartial = "partial"
	SodarRunFailed  = "failed"
)

// SettingSodarSyncVersion records the sync API version the SODAR source last accepted.
const SettingSodarSyncVersion = "sodar_sync_version"

// SodarCounts counts what one sync run did to one kind of object.
type SodarCounts struct {
	Created int `json:"created"`
	Updated int `json:"updated"`
	Removed int `json:"removed"`
	Skipped int `json:"skipped"`
}

// Add adds o to c.
func (c *SodarCounts) Add(o SodarCounts) {
	c.Created += o.Created
	c.Updated += o.Updated
	c.Removed += o.Removed
	c.Skipped += o.Skipped
}

// SodarMessage is a note about one payload entry: why it was skipped, or something unusual about it.
type SodarMessage struct {
	Level   string `json:"level"` // error (entry skipped), warning, info
	Kind    string `json:"kind"`  // user, category, project, role, payload
	UUID    string `json:"uuid,omitempty"`
	Name    string `json:"name,omitempty"`
	Message string `json:"message"`
}

// SodarRun is one synchronisation with the SODAR source site and its outcome.
type SodarRun struct {
	ID         int64                   `json:"id"`
	UUID       string                  `json:"uuid"`
	Trigger    string                  `json:"trigger"`
	Username   string                  `json:"user"`
	StartedAt  time.Time               `json:"started_at"`
	FinishedAt *time.Time              `json:"finished_at"`
	Status     string                  `json:"status"`
	Version    string                  `json:"version"`
	Counts     map[string]*SodarCounts `json:"counts"`
	Totals     SodarCounts             `json:"totals"`
	Messages   []SodarMessage          `json:"messages"`
	Error      string                  `json:"error"`
}

// Count returns the counts of kind, creating them on first use.
func (r *SodarRun) Count(kind string) *SodarCounts {
	if r.Counts == nil {
		r.Counts = map[string]*SodarCounts{}
	}
	c := r.Counts[kind]
	if c == nil {
		c = &SodarCounts{}
		r.Counts[kind] = c
	}
	return c
}

func (r *SodarRun) computeTotals() {
	r.Totals = SodarCounts{}
	for _, c := range r.Counts {
		r.Totals.Add(*c)
	}
}

const sodarRunCols = `id, uuid, trigger, username, started_at, finished_at, status, version, counts, messages, error`

func scanSodarRun(row rowScanner) (*SodarRun, error) {
	r := &SodarRun{}
	var counts, messages string
	if err := row.Scan(&r.ID, &r.UUID, &r.Trigger, &r.Username, timeCol{&r.StartedAt}, nullTimeCol{&r.FinishedAt}, &r.Status,
		&r.Version, &counts, &messages, &r.Error); err != nil {
		return nil, notFound(err)
	}
	if err := json.Unmarshal([]byte(counts), &r.Counts); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(messages), &r.Messages); err != nil {
		return nil, err
	}
	if r.Counts == nil {
		r.Counts = map[string]*SodarCounts{}
	}
	if r.Messages == nil {
		r.Messages = []SodarMessage{}
	}
	r.computeTotals()
	return r, nil
}

func (r *SodarRun) marshal() (counts, messages string, err error) {
	if r.Counts == nil {
		r.Counts = map[string]*SodarCounts{}
	}
	if r.Messages == nil {
		r.Messages = []SodarMessage{}
	}
	c, err := json.Marshal(r.Counts)
	if err != nil {
		return "", "", err
	}
	m, err := json.Marshal(r.Messages)
	if err != nil {
		return "", "", err
	}
	return string(c), string(m), nil
}

// CreateSodarRun records the start of a run (status running unless set), filling UUID and start time.
func (s *Store) CreateSodarRun(ctx context.Context, r *SodarRun) error {
	if r.UUID == "" {
		r.UUID = uuid.NewString()
	}
	if r.StartedAt.IsZero() {
		r.StartedAt = storedNow()
	}
	if r.Status == "" {
		r.Status = SodarRunRunning
	}
	counts, messages, err := r.marshal()
	if err != nil {
		return err
	}
	r.computeTotals()
	res, err := s.db.ExecContext(ctx, `INSERT INTO sodar_runs (uuid, trigger, username, started_at, finished_at, status, version, counts,
		messages, error) VALUES (?,?,?,?,?,?,?,?,?,?)`, r.UUID, r.Trigger, r.Username, ts(r.StartedAt), nts(r.FinishedAt), r.Status,
		r.Version, counts, messages, r.Error)
	if err != nil {
		return err
	}
	r.ID, err = res.LastInsertId()
	return err
}

// UpdateSodarRun writes the outcome of a run.
func (s *Store) UpdateSodarRun(ctx context.Context, r *SodarRun) error {
	counts, messages, err := r.marshal()
	if err != nil {
		return err
	}
	r.computeTotals()
	res, err := s.db.ExecContext(ctx, `UPDATE sodar_runs SET finished_at = ?, status = ?, version = ?, counts = ?, messages = ?, error = ?
		WHERE id = ?`, nts(r.FinishedAt), r.Status, r.Version, counts, messages, r.Error, r.ID)
	return affectedOne(res, err)
}

// GetSodarRun returns a run by UUID.
func (s *Store) GetSodarRun(ctx context.Context, id string) (*SodarRun, error) {
	return scanSodarRun(s.db.QueryRowContext(ctx, `SELECT `+sodarRunCols+` FROM sodar_runs WHERE uuid = ?`, id))
}

// ListSodarRuns returns runs newest first and the total number of runs.
func (s *Store) ListSodarRuns(ctx context.Context, page Page) ([]*SodarRun, int, error) {
	return listPage(ctx, s.db, listQuery{cols: sodarRunCols, from: " FROM sodar_runs", where: "1=1", order: "id DESC"}, page, scanSodarRun)
}

// FailUnfinishedSodarRuns marks runs still "running" (the process died during them) as failed; called at start.
func (s *Store) FailUnfinishedSodarRuns(ctx context.Context, at time.Time) (int64, error) {
	res, err := s.db.ExecContext(ctx, `UPDATE sodar_runs SET status = 'failed', finished_at = ?,
		error = 'interrupted: kiosc stopped during the run' WHERE status = 'running'`, ts(at))
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
