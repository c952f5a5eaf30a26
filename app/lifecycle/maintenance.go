package lifecycle

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/bihealth/kiosc/app/store"
)

// Maintenance tasks (spec section 13). Each goes through the containers' workers, so the recorded state never
// races with a start, stop or delete in progress.
const (
	// TaskCleanupUnused removes this instance's networks no container uses and dangling images (also daily).
	TaskCleanupUnused = "cleanup-unused"
	// TaskRemoveStopped removes Docker containers stopped longer than KIOSC_REMOVE_STOPPED_AFTER (also every sweep).
	TaskRemoveStopped = "remove-stopped"
	// TaskStopAll stops every kiosc container (state_reason maintenance).
	TaskStopAll = "stop-all"
	// TaskStopIdle runs the idle and lifetime sweep now (also every sweep).
	TaskStopIdle = "stop-idle"
	// TaskRemoveVolumes removes the volumes of deleted containers kept longer than KIOSC_REMOVE_VOLUMES_AFTER, and
	// retries removals Docker refused (also every sweep when one is due).
	TaskRemoveVolumes = "remove-volumes"
	// TaskCheckUpdates checks every container for a newer image under its tag (also daily).
	TaskCheckUpdates = "check-updates"
)

// Tasks lists the maintenance tasks in the order admins see them.
var Tasks = []string{TaskCleanupUnused, TaskRemoveStopped, TaskRemoveVolumes, TaskStopAll, TaskStopIdle, TaskCheckUpdates}

// ErrUnknownTask is returned for a maintenance task name that does not exist.
var ErrUnknownTask = errors.New("unknown maintenance task")

// ErrDockerUnavailable wraps failures to list the Docker host's objects.
var ErrDockerUnavailable = errors.New("Docker engine unreachable")

// CleanupInterval is how often cleanup-unused (and check-updates) runs by itself.
const CleanupInterval = 24 * time.Hour

// Settings keys of the maintenance schedule and history.
const (
	settingCleanupDue      = "maintenance_cleanup_unused_due"
	settingCheckUpdatesDue = "maintenance_check_updates_due"
	settingLastRunStart    = "maintenance_last_run_"
)

// dailyTasks run once a day by themselves; due names the setting that keeps their next run.
var dailyTasks = []struct{ task, due string }{{TaskCleanupUnused, settingCleanupDue}, {TaskCheckUpdates, settingCheckUpdatesDue}}

// MaintenanceItem is one object a maintenance task acted on.
type MaintenanceItem struct {
	Kind    string `json:"kind"` // container, network, image or volume
	ID      string `json:"id"`   // the container's uuid, the Docker ID of a network or image, or a volume's Docker name
	Name    string `json:"name"` // the container's title, the network's name, the image's tags (or short ID), the volume's name
	Project string `json:"project,omitempty"`
	// State and Reason are the container's state when the task answered.
	State  store.State `json:"state,omitempty"`
	Reason string      `json:"reason,omitempty"`
	Size   int64       `json:"size,omitempty"`
	// Message says what the task found (check-updates: the outcome of the container's check).
	Message string `json:"message,omitempty"`
	Error   string `json:"error,omitempty"`
}

// MaintenanceResult is what a maintenance task did.
type MaintenanceResult struct {
	Task       string            `json:"task"`
	User       string            `json:"user"`
	StartedAt  time.Time         `json:"started_at"`
	FinishedAt time.Time         `json:"finished_at"`
	Count      int               `json:"count"`  // objects acted on successfully
	Failed     int               `json:"failed"` // objects the task could not act on (their items carry the error)
	Summary    string            `json:"summary"`
	Items      []MaintenanceItem `json:"items"`
}

// MaintenanceTask describes a task, its schedule and its last run.
type MaintenanceTask struct {
	Name        string             `json:"name"`
	Description string             `json:"description"`
	Schedule    string             `json:"schedule"`
	NextRun     *time.Time         `json:"next_run"`
	LastRun     *MaintenanceResult `json:"last_run"`
	// LastSweep is when the periodic sweep last did this task's work by itself (tasks the sweep runs; null before
	// the first sweep). Sweeps are not recorded as runs: most find nothing to do.
	LastSweep *time.Time `json:"last_sweep"`
}

// MaintenanceTasks describes every task with its schedule and last run.
func (m *Manager) MaintenanceTasks(ctx context.Context) ([]MaintenanceTask, error) {
	out := make([]MaintenanceTask, 0, len(Tasks))
	for _, name := range Tasks {
		t := MaintenanceTask{Name: name}
		switch name {
		case TaskCleanupUnused:
			t.Description = "Remove the Docker networks kiosc created that no container uses any more (the network all apps " +
				"share in default-bridge mode stays), and dangling images (untagged images no container uses)."
			t.Schedule = "daily"
		case TaskRemoveStopped:
			t.Description = "Remove the Docker containers of apps stopped longer than KIOSC_REMOVE_STOPPED_AFTER. " +
				"Their records stay (state deleted) and can be started again."
			if m.o.RemoveStoppedAfter > 0 {
				t.Schedule = fmt.Sprintf("every %s, for containers stopped longer than %s", humanDuration(m.o.SweepInterval),
					humanDuration(m.o.RemoveStoppedAfter))
			} else {
				t.Schedule = "never (KIOSC_REMOVE_STOPPED_AFTER is 0)"
			}
		case TaskRemoveVolumes:
			t.Description = "Remove the volumes that deleted containers left behind once they are kept longer than " +
				"KIOSC_REMOVE_VOLUMES_AFTER, and the volumes whose removal was asked for but refused by Docker. " +
				"Project volumes are removed only on request, on their project's page."
			if m.o.RemoveVolumesAfter > 0 {
				t.Schedule = fmt.Sprintf("every %s when one is due, for volumes kept longer than %s", humanDuration(m.o.SweepInterval),
					humanDuration(m.o.RemoveVolumesAfter))
			} else {
				t.Schedule = fmt.Sprintf("every %s when one is due; kept volumes stay (KIOSC_REMOVE_VOLUMES_AFTER is 0)",
					humanDuration(m.o.SweepInterval))
			}
		case TaskStopAll:
			t.Description = "Stop every running kiosc app, e.g. before maintenance of the Docker host. " +
				"They show as stopped with the reason maintenance and start again when opened."
			t.Schedule = "on demand only"
		case TaskStopIdle:
			t.Description = "Stop the apps idle longer than their maximum idle time or running longer than their maximum " +
				"lifetime, now instead of at the next sweep."
			t.Schedule = "every " + humanDuration(m.o.SweepInterval)
			if m.o.MaxIdle > 0 {
				t.Schedule += ", site maximum idle time " + humanDuration(m.o.MaxIdle)
			}
		case TaskCheckUpdates:
			t.Description = "Ask the registries whether they have newer images under the tags the containers run, and mark " +
				"the containers that can be updated. Nothing is pulled and nothing that runs changes."
			t.Schedule = "daily"
		}
		for _, d := range dailyTasks {
			if d.task != name {
				continue
			}
			if v, err := m.st.GetSetting(ctx, d.due); err == nil {
				if due, err := time.Parse(time.RFC3339Nano, v); err == nil {
					t.NextRun = &due
				}
			}
		}
		if swept := m.sweptAt.Load(); swept != 0 && sweptTask(name, m.o) {
			t.LastSweep = ptr(time.Unix(0, swept).UTC())
		}
		if v, err := m.st.GetSetting(ctx, settingLastRunStart+name); err == nil {
			var r MaintenanceResult
			if json.Unmarshal([]byte(v), &r) == nil {
				t.LastRun = &r
			}
		} else if !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

// RunMaintenance runs one task by name as user and records it in the timeline; ErrUnknownTask for a name that
// is not a task.
func (m *Manager) RunMaintenance(ctx context.Context, user *store.User, task string) (*MaintenanceResult, error) {
	var run func(context.Context, *store.User, *MaintenanceResult) error
	switch task {
	case TaskCleanupUnused:
		run = m.cleanupUnused
	case TaskRemoveStopped:
		run = m.removeStoppedNow
	case TaskRemoveVolumes:
		run = m.removeVolumesDue
	case TaskStopAll:
		run = m.stopAll
	case TaskStopIdle:
		run = m.stopIdle
	case TaskCheckUpdates:
		run = m.checkUpdates
	default:
		return nil, fmt.Errorf("%w %q (tasks: %s)", ErrUnknownTask, task, strings.Join(Tasks, ", "))
	}
	r := &MaintenanceResult{Task: task, User: user.Username, StartedAt: time.Now().UTC(), Items: []MaintenanceItem{}}
	err := run(ctx, user, r)
	r.FinishedAt = time.Now().UTC()
	for _, it := range r.Items {
		if it.Error != "" {
			r.Failed++
		} else {
			r.Count++
		}
	}
	if err != nil {
		r.Summary = task + " failed: " + err.Error()
	}
	m.recordMaintenance(ctx, r, err)
	return r, err
}

// CleanupUnused runs cleanup-unused.
func (m *Manager) CleanupUnused(ctx context.Context, user *store.User) (*MaintenanceResult, error) {
	return m.RunMaintenance(ctx, user, TaskCleanupUnused)
}

// RemoveStopped runs remove-stopped.
func (m *Manager) RemoveStopped(ctx context.Context, user *store.User) (*MaintenanceResult, error) {
	return m.RunMaintenance(ctx, user, TaskRemoveStopped)
}

// RemoveVolumes runs remove-volumes.
func (m *Manager) RemoveVolumes(ctx context.Context, user *store.User) (*MaintenanceResult, error) {
	return m.RunMaintenance(ctx, user, TaskRemoveVolumes)
}

// StopAll runs stop-all.
func (m *Manager) StopAll(ctx context.Context, user *store.User) (*MaintenanceResult, error) {
	return m.RunMaintenance(ctx, user, TaskStopAll)
}

// CheckUpdates runs check-updates.
func (m *Manager) CheckUpdates(ctx context.Context, user *store.User) (*MaintenanceResult, error) {
	return m.RunMaintenance(ctx, user, TaskCheckUpdates)
}

// StopIdle runs stop-idle.
func (m *Manager) StopIdle(ctx context.Context, user *store.User) (*MaintenanceResult, error) {
	return m.RunMaintenance(ctx, user, TaskStopIdle)
}

// recordMaintenance writes the site-wide timeline event of a run and keeps the run as the task's last.
func (m *Manager) recordMaintenance(ctx context.Context, r *MaintenanceResult, err error) {
	ctx = context.WithoutCancel(ctx)
	status := store.StatusOK
	if err != nil || r.Failed > 0 {
		status = store.StatusFailed
	}
	items := make([]map[string]any, 0, len(r.Items))
	for _, it := range r.Items {
		e := map[string]any{"kind": it.Kind, "id": it.ID, "name": it.Name}
		if it.Error != "" {
			e["error"] = it.Error
		}
		items = append(items, e)
	}
	if m.tl != nil {
		m.tl.Record(ctx, &store.TimelineEvent{Username: r.User, EventName: "maintenance_" + strings.ReplaceAll(r.Task, "-", "_"),
			Description: "maintenance " + r.Task + ": " + r.Summary, Status: status, ObjectType: "maintenance",
			ExtraData: map[string]any{"task": r.Task, "count": r.Count, "failed": r.Failed, "items": items}})
	}
	b, _ := json.Marshal(r)
	if e := m.st.UpdateSetting(ctx, settingLastRunStart+r.Task, string(b)); e != nil {
		m.log.Error("maintenance: store last run", "task", r.Task, "err", e)
	}
	m.log.Info("maintenance", "task", r.Task, "user", r.User, "count", r.Count, "failed", r.Failed, "err", err)
}

// scheduledMaintenance runs the daily tasks when they are due (called by every sweep). Their due times are kept in
// the database, so restarts of kiosc neither skip nor repeat a run; the first run is a day after the first start.
// check-updates asks a registry per container, so it runs beside the sweeps rather than holding them up.
func (m *Manager) scheduledMaintenance(ctx context.Context, now time.Time) {
	m.sweptAt.Store(now.UnixNano())
	for _, d := range dailyTasks {
		if !m.due(ctx, now, d.due) {
			continue
		}
		if d.task != TaskCheckUpdates {
			m.runScheduled(ctx, d.task)
			continue
		}
		if !m.checking.CompareAndSwap(false, true) {
			continue
		}
		m.wg.Add(1)
		go func() {
			defer m.wg.Done()
			defer m.checking.Store(false)
			m.runScheduled(m.ctx, d.task)
		}()
	}
}

// due reports whether the daily task whose due time is kept under key is due, and if so moves its due time to a
// day later. The next due time is written first, so a failing run is retried tomorrow, not at every sweep.
func (m *Manager) due(ctx context.Context, now time.Time, key string) bool {
	v, err := m.st.GetSetting(ctx, key)
	if errors.Is(err, store.ErrNotFound) {
		_ = m.st.UpdateSetting(ctx, key, now.Add(CleanupInterval).UTC().Format(time.RFC3339Nano))
		return false
	}
	if err != nil {
		return false
	}
	if due, err := time.Parse(time.RFC3339Nano, v); err == nil && now.Before(due) {
		return false
	}
	if err := m.st.UpdateSetting(ctx, key, now.Add(CleanupInterval).UTC().Format(time.RFC3339Nano)); err != nil {
		m.log.Error("maintenance: schedule", "err", err)
		return false
	}
	return true
}

// runScheduled runs a task as the system user.
func (m *Manager) runScheduled(ctx context.Context, task string) {
	if _, err := m.RunMaintenance(ctx, &store.User{Username: store.SystemUser}, task); err != nil && ctx.Err() == nil {
		m.log.Warn("scheduled "+task+" failed", "err", err)
	}
}

// humanDuration writes a duration in its largest whole unit ("7 days", "8 h", "30 s"), else Go's form.
func humanDuration(d time.Duration) string {
	switch {
	case d >= 24*time.Hour && d%(24*time.Hour) == 0:
		n := int(d / (24 * time.Hour))
		return fmt.Sprintf("%d %s", n, plural(n, "day"))
	case d >= time.Hour && d%time.Hour == 0:
		return fmt.Sprintf("%d h", d/time.Hour)
	case d >= time.Minute && d%time.Minute == 0:
		return fmt.Sprintf("%d min", d/time.Minute)
	case d >= time.Second && d%time.Second == 0:
		return fmt.Sprintf("%d s", d/time.Second)
	}
	return d.String()
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

// sweptTask reports whether the periodic sweep does a task's work by itself.
func sweptTask(name string, o Options) bool {
	switch name {
	case TaskStopIdle:
		return true
	case TaskRemoveStopped:
		return o.RemoveStoppedAfter > 0
	case TaskRemoveVolumes:
		return true
	}
	return false
}
