package lifecycle

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/bihealth/kiosc/app/store"
)

// worker serialises the operations of one container.
type worker struct {
	running    bool
	dirty      bool
	cancel     context.CancelFunc
	recreate   bool
	stopReason string
	notBefore  time.Time
	userStart  bool // a user asked for a start: automatic restarts count from zero again
	// removeStopped asks the next pass to remove the long-stopped Docker container (remove-stopped sweep).
	removeStopped bool
	jobs          []*store.Job // waiting for the next pass
	active        []*store.Job // taken by the pass that runs now
	failures      int
	intent        sync.Mutex
	// exitAt and exitWait hold back the decision on an exit Docker may have caused (see outage.go); beforeOutage
	// is the record's state when Docker stopped answering.
	exitAt, exitWait time.Time
	beforeOutage     *store.ContainerState
}

// reason returns the worker's stop reason. Every request writes it before the desired state it belongs to, so
// whoever reads a desired state and then the reason gets the reason of that request or of a newer one.
func (w *worker) reason(m *Manager) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return w.stopReason
}

// kick wakes the container's worker; preempt cancels an operation in progress (a start being pulled or probed).
func (m *Manager) kick(uuid string, preempt bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.kickLocked(uuid, preempt)
}

func (m *Manager) kickLocked(uuid string, preempt bool) {
	if m.ctx.Err() != nil {
		return
	}
	w := m.worker(uuid)
	w.dirty = true
	if preempt && w.cancel != nil {
		w.cancel()
	}
	if !w.running {
		w.running = true
		m.wg.Add(1)
		go m.runWorker(uuid, w)
	}
}

func (m *Manager) worker(uuid string) *worker {
	w := m.workers[uuid]
	if w == nil {
		w = &worker{}
		m.workers[uuid] = w
	}
	return w
}

// kickAfter wakes the worker after d.
func (m *Manager) kickAfter(uuid string, d time.Duration) {
	time.AfterFunc(d, func() { m.kick(uuid, false) })
}

func (m *Manager) runWorker(uuid string, w *worker) {
	defer m.wg.Done()
	for {
		m.mu.Lock()
		if !w.dirty || m.ctx.Err() != nil {
			w.running = false
			m.mu.Unlock()
			return
		}
		w.dirty = false
		ctx, cancel := context.WithCancel(m.ctx)
		w.cancel = cancel
		m.mu.Unlock()

		w.intent.Lock()
		m.mu.Lock()
		jobs := w.jobs
		w.jobs, w.active = nil, jobs
		m.mu.Unlock()
		p := &pass{m: m, w: w, uuid: uuid, jobs: jobs, loaded: w.intent.Unlock}
		p.run(ctx)
		cancel()

		m.mu.Lock()
		w.cancel, w.active = nil, nil
		m.mu.Unlock()
	}
}

// request records the intent of a user action (desired state and a job) before anything happens in Docker, then
// wakes the worker. Identical pending requests share one job.
func (m *Manager) request(ctx context.Context, user *store.User, uuid, action string, desired store.State, prep func(c *store.Container, w *worker) error,
	mark func(ctx context.Context) error) (*store.Container, error) {
	c, err := m.st.GetContainer(ctx, uuid)
	if err != nil {
		return nil, err
	}
	if c.State == store.StateDeleting && action != "delete" {
		return nil, fmt.Errorf("%w: the container is being deleted", ErrConflict)
	}
	m.mu.Lock()
	w := m.worker(uuid)
	m.mu.Unlock()
	// The intent (desired state and job) is written under the worker's intent lock, which a pass also holds while it
	// takes its jobs and reads the record: a pass sees both or neither.
	w.intent.Lock()
	defer w.intent.Unlock()
	if c, err = m.st.GetContainer(ctx, uuid); err != nil {
		return nil, err
	}
	m.mu.Lock()
	if prep != nil {
		if err := prep(c, w); err != nil {
			m.mu.Unlock()
			return nil, err
		}
	}
	coalesced := false
	for _, j := range w.jobs {
		coalesced = coalesced || j.Action == action
	}
	if action != "restart" && (desired == "" || desired == c.DesiredState) {
		for _, j := range w.active {
			coalesced = coalesced || j.Action == action
		}
	}
	m.mu.Unlock()
	if mark != nil {
		if err := mark(ctx); err != nil {
			return nil, err
		}
	}
	if desired != "" && desired != c.DesiredState {
		if err := m.st.UpdateContainerDesired(ctx, uuid, desired); err != nil {
			return nil, err
		}
		c.DesiredState = desired
	}
	if !coalesced {
		j := &store.Job{ContainerUUID: uuid, Action: action, Username: user.Username}
		if err := m.st.CreateJob(ctx, j); err != nil {
			return nil, err
		}
		m.mu.Lock()
		w.jobs = append(w.jobs, j)
		m.mu.Unlock()
		m.event(ctx, uuid, store.LevelInfo, user.Username, "%s requested", action)
		if action != "update" { // recorded when done, with the old and the new image
			m.timeline(ctx, c, user.Username, "container_"+action, store.StatusOK, action+" container "+c.Title, nil)
		}
	}
	if c, err = m.st.GetContainer(ctx, uuid); err != nil {
		return nil, err
	}
	preempt := action == "stop" || action == "delete" || action == "pause" || action == "restart"
	m.kick(uuid, preempt)
	m.publish(c)
	return c, nil
}

// Start asks for the container to run. Repeated requests while it starts are coalesced. A start that
// KIOSC_MAX_RESERVED would refuse is refused at once (ErrCapacity).
func (m *Manager) Start(ctx context.Context, user *store.User, uuid string) (*store.Container, error) {
	if err := m.CheckCapacity(ctx, uuid); err != nil {
		return nil, err
	}
	return m.request(ctx, user, uuid, "start", store.StateRunning, func(c *store.Container, w *worker) error {
		if c.DesiredState != store.StateRunning || !slices.Contains([]store.State{store.StateRunning, store.StateStarting,
			store.StatePulling, store.StateCreating}, c.State) {
			w.notBefore = time.Time{}
			w.userStart = true
		}
		return nil
	}, nil)
}

// Open is Start for guests (the lobby): idempotent, no job when the app is already up or on its way.
func (m *Manager) Open(ctx context.Context, user *store.User, uuid string) error {
	c, err := m.st.GetContainer(ctx, uuid)
	if err != nil {
		return err
	}
	if c.DesiredState == store.StateRunning && slices.Contains([]store.State{store.StateRunning, store.StateStarting,
		store.StatePulling, store.StateCreating}, c.State) {
		return nil
	}
	_, err = m.Start(ctx, user, uuid)
	return err
}

// Stop asks for the container to stop (reason user).
func (m *Manager) Stop(ctx context.Context, user *store.User, uuid string) (*store.Container, error) {
	return m.stopWithReason(ctx, user, uuid, "user")
}

func (m *Manager) stopWithReason(ctx context.Context, user *store.User, uuid, reason string) (*store.Container, error) {
	return m.request(ctx, user, uuid, "stop", store.StateStopped, func(c *store.Container, w *worker) error {
		w.stopReason = reason
		return nil
	}, nil)
}

// Restart recreates the container with its current configuration.
func (m *Manager) Restart(ctx context.Context, user *store.User, uuid string) (*store.Container, error) {
	if err := m.CheckCapacity(ctx, uuid); err != nil {
		return nil, err
	}
	return m.request(ctx, user, uuid, "restart", store.StateRunning, func(c *store.Container, w *worker) error {
		w.recreate = true
		w.notBefore = time.Time{}
		w.userStart = true
		return nil
	}, nil)
}

// Pause freezes a running container (409 unless it runs).
func (m *Manager) Pause(ctx context.Context, user *store.User, uuid string) (*store.Container, error) {
	return m.request(ctx, user, uuid, "pause", store.StatePaused, func(c *store.Container, w *worker) error {
		if c.State != store.StateRunning && c.State != store.StatePaused {
			return fmt.Errorf("%w: only a running container can be paused (it is %s)", ErrConflict, c.State)
		}
		return nil
	}, nil)
}

// Unpause resumes a paused container (409 unless it is paused).
func (m *Manager) Unpause(ctx context.Context, user *store.User, uuid string) (*store.Container, error) {
	return m.request(ctx, user, uuid, "unpause", store.StateRunning, func(c *store.Container, w *worker) error {
		if c.State != store.StatePaused && c.DesiredState != store.StatePaused {
			return fmt.Errorf("%w: the container is not paused (it is %s)", ErrConflict, c.State)
		}
		return nil
	}, nil)
}

// Delete removes the Docker container, its network and then the record, keeping the container's own volumes for
// KIOSC_REMOVE_VOLUMES_AFTER. It answers at once with the container in state deleting; the record goes when Docker
// confirms.
func (m *Manager) Delete(ctx context.Context, user *store.User, uuid string) (*store.Container, error) {
	return m.DeleteWithVolumes(ctx, user, uuid, false)
}

// DeleteWithVolumes is Delete that also removes the container's own (container-scope) volumes when deleteVolumes is
// set. Project volumes are never removed with a container.
func (m *Manager) DeleteWithVolumes(ctx context.Context, user *store.User, uuid string, deleteVolumes bool) (*store.Container, error) {
	if _, err := m.st.GetContainer(ctx, uuid); err != nil {
		return nil, err
	}
	return m.request(ctx, user, uuid, "delete", "", nil, func(ctx context.Context) error {
		return m.st.MarkContainerDeletingVolumes(ctx, uuid, deleteVolumes)
	})
}

// WaitIdle waits until no worker has work pending or running (for benchmarks and tests).
func (m *Manager) WaitIdle(ctx context.Context) error {
	for {
		busy := false
		m.mu.Lock()
		for _, w := range m.workers {
			if w.running || w.dirty {
				busy = true
				break
			}
		}
		m.mu.Unlock()
		if !busy {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// workerIdle reports whether the container's worker has nothing left to do: no pass running or due, no job
// waiting and no removal asked for.
func (m *Manager) workerIdle(uuid string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	w := m.workers[uuid]
	return w == nil || (!w.running && len(w.jobs) == 0 && !w.removeStopped)
}
