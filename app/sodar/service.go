package sodar

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/bihealth/kiosc/app/store"
)

// ErrSyncRunning is returned when a sync is requested while another one runs. On-demand callers get it at once
// (the API answers 409) instead of queueing behind the running sync; the periodic run simply skips its turn.
var ErrSyncRunning = errors.New("a SODAR sync is already running")

// Triggers of a sync run.
const (
	TriggerStart    = "start"
	TriggerInterval = "interval"
	TriggerUI       = "ui"  // a signed-in superuser
	TriggerAPI      = "api" // an API token (scripts, the command-line client)
)

// Fetcher gets the raw payload and the sync API version that worked.
type Fetcher interface {
	Fetch(ctx context.Context) ([]byte, string, error)
}

// TimelineWriter stores a timeline event and publishes it live (timeline.Recorder).
type TimelineWriter interface {
	Record(ctx context.Context, e *store.TimelineEvent)
}

// Service runs syncs: on start, every Interval, and on demand, never two at once.
type Service struct {
	Store   *store.Store
	Fetcher Fetcher
	// Timeline records the sodar_sync and per-change events (nil: they are stored without live publishing).
	Timeline TimelineWriter
	Log      *slog.Logger
	// DefaultOwner is KIOSC_SODAR_DEFAULT_OWNER.
	DefaultOwner string
	// Interval between periodic runs; StartDelay before the first one (so the server is up first).
	Interval   time.Duration
	StartDelay time.Duration
	// SourceURL is shown to admins (without the secret).
	SourceURL string
	// RunTimeout bounds one run (0: 10 minutes).
	RunTimeout time.Duration

	mu      sync.Mutex
	running bool
}

func (s *Service) log() *slog.Logger {
	if s.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Log
}

// Running reports whether a sync is in progress.
func (s *Service) Running() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.running
}

func (s *Service) acquire() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.running {
		return false
	}
	s.running = true
	return true
}

func (s *Service) release() {
	s.mu.Lock()
	s.running = false
	s.mu.Unlock()
}

// Sync runs one synchronisation now and returns its stored result. It returns ErrSyncRunning when another sync is
// in progress. A failed fetch is a stored run with status failed, not an error; the error is only for a run that
// could not be recorded at all. The run is not cancelled when ctx is (the HTTP caller may go away), only bounded.
func (s *Service) Sync(ctx context.Context, trigger, username string) (*store.SodarRun, error) {
	return s.sync(context.WithoutCancel(ctx), trigger, username)
}

// sync runs until done or until ctx ends (shutdown), and always records the outcome.
func (s *Service) sync(ctx context.Context, trigger, username string) (*store.SodarRun, error) {
	if !s.acquire() {
		return nil, ErrSyncRunning
	}
	defer s.release()
	timeout := s.RunTimeout
	if timeout <= 0 {
		timeout = 10 * time.Minute
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	// The outcome is recorded even when the run was cut short.
	rctx, rcancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer rcancel()
	if username == "" {
		username = store.SystemUser
	}
	run := &store.SodarRun{Trigger: trigger, Username: username}
	if err := s.Store.CreateSodarRun(rctx, run); err != nil {
		return nil, fmt.Errorf("record SODAR sync run: %w", err)
	}
	s.execute(ctx, run)
	now := time.Now().UTC()
	run.FinishedAt = &now
	if err := s.Store.UpdateSodarRun(rctx, run); err != nil {
		return nil, fmt.Errorf("record SODAR sync run: %w", err)
	}
	s.summarize(rctx, run)
	return run, nil
}

func (s *Service) execute(ctx context.Context, run *store.SodarRun) {
	for _, k := range []string{KindCategory, KindProject, KindUser, KindRole} {
		run.Count(k)
	}
	body, version, err := s.Fetcher.Fetch(ctx)
	if err != nil {
		run.Status, run.Error = store.SodarRunFailed, err.Error()
		return
	}
	run.Version = version
	if err := s.Store.UpdateSetting(ctx, store.SettingSodarSyncVersion, version); err != nil {
		s.log().Warn("cannot record the SODAR sync version", "err", err)
	}
	p, msgs, err := Parse(body)
	if err != nil {
		run.Status, run.Error = store.SodarRunFailed, err.Error()
		return
	}
	for _, m := range msgs {
		if m.Level == "error" {
			run.Count(m.Kind).Skipped++
		}
	}
	run.Messages = append(run.Messages, msgs...)
	m := &Mirror{Store: s.Store, DefaultOwner: s.DefaultOwner, Record: s.record}
	if err := m.Apply(ctx, p, run); err != nil {
		run.Status, run.Error = store.SodarRunFailed, "interrupted: "+err.Error()
		return
	}
	run.Status = store.SodarRunOK
	for _, msg := range run.Messages {
		if msg.Level == "error" {
			run.Status = store.SodarRunPartial
			break
		}
	}
}

// summarize logs the run and writes the site-wide sodar_sync timeline event.
func (s *Service) summarize(ctx context.Context, run *store.SodarRun) {
	status, desc := store.StatusOK, "synchronise with SODAR"
	switch run.Status {
	case store.SodarRunFailed:
		status, desc = store.StatusFailed, "synchronisation with SODAR failed: "+run.Error
		s.log().Warn("SODAR sync failed", "trigger", run.Trigger, "err", run.Error)
	case store.SodarRunPartial:
		status, desc = store.StatusInfo, "synchronise with SODAR (some entries skipped)"
		s.log().Warn("SODAR sync skipped entries", "trigger", run.Trigger, "version", run.Version, "skipped", run.Totals.Skipped)
	default:
		s.log().Info("SODAR sync done", "trigger", run.Trigger, "version", run.Version, "created", run.Totals.Created,
			"updated", run.Totals.Updated, "removed", run.Totals.Removed)
	}
	counts := map[string]any{}
	for k, c := range run.Counts {
		counts[k] = map[string]int{"created": c.Created, "updated": c.Updated, "removed": c.Removed, "skipped": c.Skipped}
	}
	s.record(ctx, &store.TimelineEvent{Username: run.Username, EventName: "sodar_sync", Description: desc, Status: status,
		ObjectType: "sodar_run", ObjectUUID: run.UUID,
		ExtraData: map[string]any{"trigger": run.Trigger, "version": run.Version, "status": run.Status, "counts": counts,
			"messages": len(run.Messages)}})
}

// record writes a timeline event through the Timeline writer, or straight to the store without one.
func (s *Service) record(ctx context.Context, e *store.TimelineEvent) {
	if s.Timeline != nil {
		s.Timeline.Record(ctx, e)
		return
	}
	if err := s.Store.CreateTimelineEvent(ctx, e); err != nil {
		s.log().Warn("cannot write timeline event", "event", e.EventName, "err", err)
	}
}

// Run syncs after StartDelay and then every Interval until ctx ends. A periodic run that finds a sync in progress
// skips its turn.
func (s *Service) Run(ctx context.Context) {
	if _, err := s.Store.FailUnfinishedSodarRuns(ctx, time.Now()); err != nil {
		s.log().Warn("cannot close interrupted SODAR sync runs", "err", err)
	}
	interval := s.Interval
	if interval <= 0 {
		interval = 5 * time.Minute
	}
	timer := time.NewTimer(s.StartDelay)
	defer timer.Stop()
	trigger := TriggerStart
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		if _, err := s.sync(ctx, trigger, store.SystemUser); err != nil && !errors.Is(err, ErrSyncRunning) {
			s.log().Error("SODAR sync", "err", err)
		}
		trigger = TriggerInterval
		timer.Reset(interval)
	}
}
