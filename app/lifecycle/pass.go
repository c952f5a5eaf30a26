package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/bihealth/kiosc/app/access"
	"github.com/bihealth/kiosc/app/docker"
	"github.com/bihealth/kiosc/app/events"
	"github.com/bihealth/kiosc/app/store"
)

// pass is one reconciliation of a container: observe Docker, record what changed, then act towards the desired
// state. Only the container's worker runs passes, so they never overlap for one container.
type pass struct {
	m    *Manager
	w    *worker
	uuid string
	jobs []*store.Job
	c    *store.Container
	user string
	// loaded releases the worker's intent lock once the record has been read.
	loaded func()
	// desiredWas is the desired state as last read from the store (see store.UpdateContainerState).
	desiredWas store.State
	// stopReason is why the container is being stopped: copied from the worker with the record, and again whenever
	// a save learns of a newer desired state.
	stopReason string
	// pulled: an update pulled the image already, so the start does not pull it again.
	pulled bool
}

func (p *pass) run(ctx context.Context) {
	m := p.m
	c, err := m.st.GetContainer(ctx, p.uuid)
	// The stop reason is read with the record, under the intent lock, so the two belong together.
	p.stopReason = p.w.reason(m)
	p.loaded()
	if err != nil {
		if !errors.Is(err, store.ErrNotFound) && ctx.Err() == nil {
			m.log.Error("reconcile: load container", "container", p.uuid, "err", err)
		}
		p.finish(ctx, nil)
		return
	}
	p.c = c
	p.desiredWas = c.DesiredState
	if len(p.jobs) > 0 {
		p.user = p.jobs[len(p.jobs)-1].Username
	}
	for _, j := range p.jobs {
		j.State = store.JobRunning
		_ = m.st.UpdateJob(ctx, j)
	}
	err = p.reconcile(ctx)
	if ctx.Err() != nil && m.ctx.Err() == nil && !errors.Is(err, errUpdateInterrupted) {
		// Preempted by a newer request: the next pass takes over with the new desired state.
		err = nil
	}
	if err != nil {
		m.log.Warn("reconcile", "container", p.uuid, "state", c.State, "desired", c.DesiredState, "err", err, "detail", detailOf(err))
	}
	p.finish(ctx, err)
}

// finish marks the pass's jobs done or failed.
func (p *pass) finish(ctx context.Context, err error) {
	now := time.Now().UTC()
	for _, j := range p.jobs {
		j.State, j.FinishedAt = store.JobDone, &now
		if err != nil {
			j.State, j.Message = store.JobFailed, err.Error()
		}
		if e := p.m.st.UpdateJob(context.WithoutCancel(ctx), j); e != nil {
			p.m.log.Error("job update", "job", j.UUID, "err", e)
		}
		p.publishJob(j)
	}
}

func (p *pass) publishJob(j *store.Job) {
	if p.m.bus == nil || p.c == nil {
		return
	}
	p.m.bus.Publish(events.Event{Type: events.TypeJobProgress, ProjectUUID: p.c.ProjectUUID, Need: access.ViewContainer, Key: p.uuid,
		Data: map[string]any{"container": p.uuid, "job": j.UUID, "action": j.Action, "step": j.Step, "state": j.State,
			"message": j.Message, "progress": j.Progress}})
}

// step records the current step of the pass's jobs.
func (p *pass) step(ctx context.Context, step, msg string, prog *store.Progress) {
	for _, j := range p.jobs {
		j.Step, j.Message, j.Progress = step, msg, prog
		if err := p.m.st.UpdateJob(context.WithoutCancel(ctx), j); err != nil {
			p.m.log.Error("job update", "job", j.UUID, "err", err)
		}
		p.publishJob(j)
	}
}

// save writes the observed state of p.c and publishes it.
func (p *pass) save(ctx context.Context, clearRestart bool) error {
	if p.c.State != store.StateFailed {
		// The engine's text belongs to the failure that recorded it.
		p.c.StateDetail = ""
	}
	// The proxy's view goes first: an API client that reads the new state must find the proxy agreeing with it.
	prev, hadPrev := p.m.upstreams.Load(p.uuid)
	p.m.upstreams.Store(p.uuid, upstreamOf(p.c))
	out, err := p.m.st.UpdateContainerState(context.WithoutCancel(ctx), p.uuid, p.c.ContainerState, p.desiredWas, clearRestart)
	if err != nil {
		if hadPrev {
			p.m.upstreams.Store(p.uuid, prev)
		} else {
			p.m.upstreams.Delete(p.uuid)
		}
		return err
	}
	if out.DesiredState != p.desiredWas {
		// A request changed the desired state since this pass read it; its stop reason was set before it was written.
		p.stopReason = p.w.reason(p.m)
	}
	p.c.UpdatedAt, p.c.RestartPending, p.c.DesiredState, p.c.State = out.UpdatedAt, out.RestartPending, out.DesiredState, out.State
	p.c.UpdateCheck = out.UpdateCheck
	p.desiredWas = out.DesiredState
	p.m.publish(p.c)
	return nil
}

// set changes the state and saves it.
func (p *pass) set(ctx context.Context, state store.State, reason, msg string) error {
	p.c.State, p.c.StateReason, p.c.StateMessage, p.c.StateDetail = state, reason, msg, ""
	return p.save(ctx, false)
}

// find returns the container's Docker container (nil when there is none), adopting one found by label when the
// record does not know it and removing duplicates.
func (p *pass) find(ctx context.Context) (*docker.ContainerInfo, error) {
	m, c := p.m, p.c
	if c.DockerID != "" {
		info, err := m.dk.Inspect(ctx, c.DockerID)
		if err == nil {
			return info, nil
		}
		if !docker.IsNotFound(err) {
			return nil, err
		}
	}
	list, err := m.dk.List(ctx, LabelInstance+"="+m.o.InstanceID, LabelContainer+"="+c.UUID)
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, nil
	}
	// Prefer a running one; remove the others so there is never more than one.
	sort.SliceStable(list, func(i, j int) bool {
		return list[i].State == docker.StatusRunning && list[j].State != docker.StatusRunning
	})
	for _, extra := range list[1:] {
		m.log.Warn("removing duplicate Docker container", "container", c.UUID, "docker_id", extra.ID)
		_ = m.dk.Remove(ctx, extra.ID)
	}
	return m.dk.Inspect(ctx, list[0].ID)
}

// retriesResetAfter is how long an app must run before its automatic restarts count from zero again.
const retriesResetAfter = 10 * time.Minute

var transitional = []store.State{store.StatePulling, store.StateCreating, store.StateStarting}

func (p *pass) reconcile(ctx context.Context) error {
	m, c := p.m, p.c
	if c.State == store.StateDeleting {
		return p.delete(ctx)
	}
	if err := p.observeDie(ctx); err != nil {
		return err
	}
	info, err := p.find(ctx)
	if err != nil {
		return p.unreachable(ctx, err)
	}
	if m.down.Swap(false) {
		m.log.Info("Docker is reachable again")
	}
	m.noteUp()
	p.w.failures = 0
	if err := p.observe(ctx, info); err != nil {
		return err
	}

	m.mu.Lock()
	recreate := p.w.recreate
	notBefore := p.w.notBefore
	stopReason := p.stopReason
	removeStopped := p.w.removeStopped
	p.w.removeStopped = false
	m.mu.Unlock()
	if removeStopped && info != nil && !info.Running && c.DesiredState != store.StateRunning {
		return p.removeStopped(ctx, info)
	}
	if slices.ContainsFunc(p.jobs, isUpdate) {
		if done, err := p.update(ctx, info); done || err != nil {
			return err
		}
	}

	running := info != nil && info.Running && !info.Paused
	paused := info != nil && info.Paused
	if m.o.Swarm && running && c.State == store.StateExited && c.StoppedAt != nil && !info.StartedAt.IsZero() &&
		!info.StartedAt.After(*c.StoppedAt) {
		// The exit of this very run is recorded already (from its container's die event on kiosc's node) while the
		// swarm's managers still report its task running, until the node tells them: look again shortly rather than
		// probe it.
		m.kickAfter(c.UUID, 500*time.Millisecond)
		return nil
	}
	if c.DesiredState == store.StateRunning && c.State == store.StateExited {
		if done, err := p.pendingExit(ctx); done {
			return err
		}
	}
	switch c.DesiredState {
	case store.StateRunning:
		switch {
		case recreate:
		case paused:
			return p.unpause(ctx, info)
		case running && c.State == store.StateRunning:
			m.follow(c.UUID, info.ID)
			if c.Retries > 0 && c.ReadyAt != nil && time.Since(*c.ReadyAt) > retriesResetAfter {
				c.Retries = 0
				return p.save(ctx, false)
			}
			return nil
		case running, info != nil && info.Pending:
			// Adopted (kiosc restarted mid-start, or Docker came back), or a Swarm task still waiting for a node: wait
			// for the app instead of recreating.
			return p.probePhase(ctx, info)
		case c.State == store.StateExited && time.Now().Before(notBefore):
			m.kickAfter(c.UUID, time.Until(notBefore))
			return nil
		}
		m.mu.Lock()
		p.w.recreate = false
		if p.w.userStart {
			c.Retries = 0
			p.w.userStart = false
		}
		m.mu.Unlock()
		return p.start(ctx)
	case store.StatePaused:
		if running {
			return p.pause(ctx, info)
		}
	case store.StateStopped:
		if running || paused || (info != nil && (info.Status == "restarting" || info.Pending)) {
			return p.stop(ctx, info, stopReason)
		}
		if slices.Contains(transitional, c.State) || c.State == store.StateStopping {
			// Interrupted before Docker ran anything: it is stopped now.
			p.c.StoppedAt = ptr(time.Now().UTC())
			return p.set(ctx, store.StateStopped, orDefault(stopReason, "user"), "")
		}
	}
	return nil
}

// observe records what Docker says about the container.
func (p *pass) observe(ctx context.Context, info *docker.ContainerInfo) error {
	m, c := p.m, p.c
	before := c.ContainerState
	kept := p.takeBeforeOutage()
	if info == nil {
		if kept != nil && (kept.DockerID == "" || slices.Contains([]store.State{store.StatePulling, store.StateCreating}, kept.State)) {
			// Docker went away before this record had a Docker container (pulling, creating; a start may have
			// removed the old one already): it goes on from there.
			c.State, c.StateReason, c.StateMessage = kept.State, kept.StateReason, kept.StateMessage
			c.DockerID, c.DockerState, c.HostPort, c.Upstream = "", "", nil, ""
			return p.save(ctx, false)
		}
		if c.DockerID == "" || slices.Contains([]store.State{store.StateDeleted, store.StateNotFound, store.StateInitial}, c.State) {
			if c.State == store.StateUnknown {
				c.State = store.StateNotFound
			} else {
				return nil
			}
		}
		if slices.Contains([]store.State{store.StatePulling, store.StateCreating}, c.State) {
			// A start removes the old Docker container before it creates the new one; cut short in between (kiosc
			// killed, Docker gone), the missing container is kiosc's own doing and the start goes on.
			if c.DockerID != "" {
				c.DockerID, c.DockerState, c.HostPort, c.Upstream = "", "", nil, ""
				return p.save(ctx, false)
			}
			return nil
		}
		c.State, c.StateReason, c.StateMessage = store.StateNotFound, "", "the Docker container was removed outside kiosc"
		c.DockerID, c.DockerState, c.HostPort, c.Upstream, c.DesiredState = "", "", nil, "", store.StateStopped
		if c.StoppedAt == nil {
			c.StoppedAt = ptr(time.Now().UTC())
		}
		m.stopFollowing(c.UUID)
		m.event(ctx, c.UUID, store.LevelWarning, "", "the Docker container vanished (removed outside kiosc)")
		m.timeline(ctx, c, "", "container_not_found", store.StatusInfo, "Docker container of "+c.Title+" vanished", nil)
		return p.save(ctx, false)
	}
	c.DockerID, c.DockerState = info.ID, info.Status
	if c.ImageID == "" && info.ImageID != "" {
		// Created before kiosc recorded images.
		p.recordImage(ctx, info.ImageID)
	}
	if !info.StartedAt.IsZero() {
		c.StartedAt = ptr(info.StartedAt)
	}
	switch {
	case info.Paused:
		if c.State != store.StatePaused {
			c.State, c.StateReason, c.StateMessage = store.StatePaused, "", ""
		}
	case info.Pending:
		// A Swarm task that does not run yet: starting, with the scheduler's or the node's words.
		if c.State != store.StateStarting && c.State != store.StateStopping {
			c.State, c.StateReason, c.StateMessage = store.StateStarting, "", pendingMessage(info)
		}
	case info.Running:
		if c.State == store.StatePaused {
			c.State = store.StateRunning
		}
		m.follow(c.UUID, info.ID)
	default:
		if kept != nil && p.restoreAfterOutage(kept, info) {
			break
		}
		wasUp := slices.Contains([]store.State{store.StateRunning, store.StateStarting, store.StatePaused, store.StateUnknown}, c.State)
		info = m.withOOM(info)
		code := info.ExitCode
		if wasUp || c.State == store.StateStopping {
			c.ExitCode, c.OOMKilled, c.Upstream = &code, info.OOMKilled, ""
			if !info.FinishedAt.IsZero() {
				c.StoppedAt = ptr(info.FinishedAt)
			}
		}
		switch {
		case c.State == store.StateStopping || (c.State == store.StateUnknown && c.DesiredState != store.StateRunning):
			c.State, c.StateReason, c.StateMessage = store.StateStopped, orDefault(p.stopReason, "user"), ""
		case wasUp:
			p.crashed(ctx, info)
		case c.State == store.StateExited:
			p.amendOOM(ctx, info)
		}
	}
	if c.ContainerState != before {
		return p.save(ctx, false)
	}
	return nil
}

// crashed records an exit nobody asked for and decides on an automatic restart.
func (p *pass) crashed(ctx context.Context, info *docker.ContainerInfo) {
	m, c := p.m, p.c
	reason, name, what := "crashed", "container_crash", fmt.Sprintf("exited with code %d", info.ExitCode)
	if info.OOMKilled {
		reason, name, what = "oom_killed", "container_oom", fmt.Sprintf("killed for running out of memory (exit code %d)", info.ExitCode)
	}
	if info.Error != "" {
		what += ": " + info.Error
	}
	if !info.OOMKilled && info.ExitCode == oomExitCode {
		// Killed by SIGKILL: Docker's oom event may still be on its way; a pass shortly after looks again.
		m.kickAfter(c.UUID, oomRecheck)
	}
	c.State, c.StateReason, c.StateMessage = store.StateExited, reason, what
	m.event(ctx, c.UUID, store.LevelError, "", "%s", what)
	extra := map[string]any{"exit_code": info.ExitCode, "oom_killed": info.OOMKilled}
	if c.DesiredState == store.StateRunning && !p.exitByDocker(ctx, info, extra) {
		p.retryOrGiveUp(ctx, extra)
	}
	m.timeline(ctx, c, "", name, store.StatusFailed, c.Title+" "+what, extra)
}

// retryOrGiveUp schedules an automatic restart of an app that should run and exited, while max_retries allows;
// otherwise it gives up (desired stopped).
func (p *pass) retryOrGiveUp(ctx context.Context, extra map[string]any) {
	m, c := p.m, p.c
	if c.Retries < c.MaxRetries {
		c.Retries++
		delay := backoff(m.o.BackoffBase, c.Retries)
		m.mu.Lock()
		p.w.notBefore = time.Now().Add(delay)
		m.mu.Unlock()
		m.kickAfter(c.UUID, delay)
		m.event(ctx, c.UUID, store.LevelInfo, "", "automatic restart %d of %d in %v", c.Retries, c.MaxRetries, delay)
		extra["restart_in_seconds"] = delay.Seconds()
	} else {
		c.DesiredState = store.StateStopped
	}
}

// backoff is base·2^(n-1), capped at 2 minutes.
func backoff(base time.Duration, n int) time.Duration {
	d := base
	for i := 1; i < n && d < 2*time.Minute; i++ {
		d *= 2
	}
	return min(d, 2*time.Minute)
}

// unreachable marks the container unknown while Docker does not answer, and retries with backoff.
func (p *pass) unreachable(ctx context.Context, err error) error {
	m, c := p.m, p.c
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if !m.down.Swap(true) {
		m.log.Error("Docker unreachable", "err", err)
	}
	if docker.IsUnreachable(err) {
		m.noteDown(time.Now())
	}
	p.w.failures++
	m.kickAfter(c.UUID, backoff(time.Second, p.w.failures))
	if (c.DockerID != "" || slices.Contains(transitional, c.State)) && c.State != store.StateUnknown && c.State != store.StateDeleted &&
		c.State != store.StateNotFound {
		p.keepBeforeOutage()
		c.Upstream = ""
		_ = p.set(ctx, store.StateUnknown, "", "Docker is unreachable: "+err.Error())
	}
	return fmt.Errorf("docker unreachable: %w", err)
}

func ptr[T any](v T) *T { return &v }

func orDefault[S ~string](s, d S) S {
	if s == "" {
		return d
	}
	return s
}
