package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/bihealth/kiosc/app/store"
)

// Touch records activity on a container (every proxied request and websocket frame). It only stores a timestamp in
// memory; the sweep writes it to the database at most every 30 seconds.
func (m *Manager) Touch(uuid string) {
	now := time.Now().UnixNano()
	if v, ok := m.activity.Load(uuid); ok {
		v.(*atomic.Int64).Store(now)
		return
	}
	a := &atomic.Int64{}
	a.Store(now)
	if v, loaded := m.activity.LoadOrStore(uuid, a); loaded {
		v.(*atomic.Int64).Store(now)
	}
}

// flushActivity writes last-access times that changed since the last flush.
func (m *Manager) flushActivity(ctx context.Context) {
	times := map[string]time.Time{}
	m.activity.Range(func(k, v any) bool {
		n := v.(*atomic.Int64).Load()
		if last, ok := m.flushed.Load(k); !ok || last.(int64) != n {
			times[k.(string)] = time.Unix(0, n).UTC()
			m.flushed.Store(k, n)
		}
		return true
	})
	if err := m.st.UpdateContainerAccess(ctx, times); err != nil && ctx.Err() == nil {
		m.log.Error("store last access times", "err", err)
	}
}

// lastAccess returns the newest known access time of c (memory or database).
func (m *Manager) lastAccess(c *store.Container) *time.Time {
	t := c.LastAccessAt
	if v, ok := m.activity.Load(c.UUID); ok {
		mem := time.Unix(0, v.(*atomic.Int64).Load()).UTC()
		if t == nil || mem.After(*t) {
			t = &mem
		}
	}
	return t
}

// effective returns the container's limit capped by the site's (0: site value; site 0: none).
func effective(own int64, site time.Duration) time.Duration {
	d := time.Duration(own) * time.Second
	if site > 0 && (d <= 0 || d > site) {
		return site
	}
	return d
}

// Sweep stops apps past their maximum lifetime or idle time and removes Docker containers stopped longer than
// KIOSC_REMOVE_STOPPED_AFTER (keeping the record, state deleted). It reads only the database.
func (m *Manager) Sweep(ctx context.Context) {
	m.flushActivity(ctx)
	records, _, err := m.st.ListContainers(ctx, store.ContainerFilter{})
	if err != nil {
		if ctx.Err() == nil {
			m.log.Error("sweep: list containers", "err", err)
		}
		return
	}
	now := time.Now()
	sys := &store.User{Username: store.SystemUser}
	for _, c := range records {
		switch {
		case c.State == store.StateRunning && c.DesiredState == store.StateRunning:
			_, _ = m.sweepRunning(ctx, c, now, sys)
		case m.stoppedTooLong(c, now):
			m.removeStopped(ctx, c)
		}
	}
	m.sweepVolumes(ctx, now)
	m.scheduledMaintenance(ctx, now)
}

// sweepRunning asks a running app past its maximum lifetime or idle time to stop and returns the reason
// (max_lifetime, idle); "" when it may keep running, or when it is being deleted or is gone. An error
// means the stop could not be requested; it is recorded as a failed timeline event. user is who asked (the system
// for the periodic sweep).
func (m *Manager) sweepRunning(ctx context.Context, c *store.Container, now time.Time, user *store.User) (string, error) {
	var reason, event, why, desc string
	var extra map[string]any
	idle := effective(c.MaxIdle, m.o.MaxIdle)
	last := m.lastAccess(c)
	if last == nil || (c.ReadyAt != nil && c.ReadyAt.After(*last)) {
		last = c.ReadyAt
	}
	if life := effective(c.MaxLifetime, m.o.MaxLifetime); life > 0 && c.StartedAt != nil && now.Sub(*c.StartedAt) > life {
		reason, event, why, desc = "max_lifetime", sweepEvents["max_lifetime"], fmt.Sprintf("maximum lifetime of %v reached", life),
			"after its maximum lifetime"
		extra = map[string]any{"max_lifetime_seconds": life.Seconds()}
	} else if idle > 0 && last != nil && now.Sub(*last) > idle {
		reason, event, why, desc = "idle", sweepEvents["idle"], fmt.Sprintf("idle for more than %v", idle), "after being idle"
		extra = map[string]any{"max_idle_seconds": idle.Seconds()}
	} else {
		return "", nil
	}
	name := eventUser(user)
	// The list may be stale: an app that has been asked to stop (or to do anything else) since is not stopped again
	// for being idle, which would overwrite the reason of that request.
	err := m.stopQuiet(ctx, user, c.UUID, reason, func(now *store.Container) bool {
		return now.State == store.StateRunning && now.DesiredState == store.StateRunning
	})
	switch {
	case errors.Is(err, errGone):
		return "", nil
	case err != nil:
		m.log.Error("sweep: stop", "container", c.UUID, "reason", reason, "err", err)
		m.event(ctx, c.UUID, store.LevelError, name, "could not ask to stop (%s): %v", why, err)
		extra["error"] = err.Error()
		m.timeline(ctx, c, name, event, store.StatusFailed, "could not stop "+c.Title+" "+desc+": "+err.Error(), extra)
		return "", err
	}
	m.event(ctx, c.UUID, store.LevelInfo, name, "stopping: %s", why)
	m.timeline(ctx, c, name, event, store.StatusOK, "stopping "+c.Title+" "+desc, extra)
	return reason, nil
}

// sweepEvents names the timeline event of each reason the sweep stops an app for.
var sweepEvents = map[string]string{"max_lifetime": "container_lifetime_stop", "idle": "container_idle_stop"}

// eventUser is the username recorded in events for what user asked: "" (kiosc itself) for the system user.
func eventUser(user *store.User) string {
	if user == nil || user.Username == store.SystemUser {
		return ""
	}
	return user.Username
}

// stoppedTooLong reports whether c's Docker container has been stopped longer than KIOSC_REMOVE_STOPPED_AFTER.
func (m *Manager) stoppedTooLong(c *store.Container, now time.Time) bool {
	return m.o.RemoveStoppedAfter > 0 && c.DockerID != "" && c.DesiredState != store.StateRunning &&
		(c.State == store.StateStopped || c.State == store.StateExited || c.State == store.StateFailed) &&
		c.StoppedAt != nil && now.Sub(*c.StoppedAt) > m.o.RemoveStoppedAfter
}

// errGone is returned by stopQuiet for a container that is being deleted or no longer exists, or that no longer
// needs the stop: it is left alone.
var errGone = errors.New("the container is being deleted")

// stopQuiet stops like a user request but records only the caller's own timeline event. Like request, it reads the
// record again under the worker's intent lock and leaves a container that is being deleted, or gone, alone (errGone);
// so it does with one for which still (when not nil) no longer holds.
func (m *Manager) stopQuiet(ctx context.Context, user *store.User, uuid, reason string, still func(*store.Container) bool) error {
	if _, err := m.st.GetContainer(ctx, uuid); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return errGone
		}
		return err
	}
	m.mu.Lock()
	w := m.worker(uuid)
	m.mu.Unlock()
	w.intent.Lock()
	defer w.intent.Unlock()
	c, err := m.st.GetContainer(ctx, uuid)
	if errors.Is(err, store.ErrNotFound) || (err == nil && (c.State == store.StateDeleting || (still != nil && !still(c)))) {
		return errGone
	}
	if err != nil {
		return err
	}
	// The reason goes first: a pass that sees the new desired state must find its reason (see worker.reason).
	m.mu.Lock()
	was := w.stopReason
	w.stopReason = reason
	m.mu.Unlock()
	if err := m.st.UpdateContainerDesired(ctx, uuid, store.StateStopped); err != nil {
		m.mu.Lock()
		w.stopReason = was
		m.mu.Unlock()
		return err
	}
	j := &store.Job{ContainerUUID: uuid, Action: "stop", Username: user.Username}
	if err := m.st.CreateJob(ctx, j); err != nil {
		return err
	}
	m.mu.Lock()
	w.jobs = append(w.jobs, j)
	m.kickLocked(uuid, true)
	m.mu.Unlock()
	return nil
}

// removeStopped asks the container's worker to remove its long-stopped Docker container (the record stays, state
// deleted), so the removal never races with a start.
func (m *Manager) removeStopped(_ context.Context, c *store.Container) {
	m.mu.Lock()
	m.worker(c.UUID).removeStopped = true
	m.kickLocked(c.UUID, false)
	m.mu.Unlock()
}
