package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/bihealth/kiosc/app/access"
	"github.com/bihealth/kiosc/app/docker"
	"github.com/bihealth/kiosc/app/events"
	"github.com/bihealth/kiosc/app/settings"
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
	// stopReason is why the container is being stopped (copied from the worker under its lock).
	stopReason string
}

// errDied is returned by the probe when the container stopped before answering.
var errDied = errors.New("the container stopped before the app answered")

func (p *pass) run(ctx context.Context) {
	m := p.m
	c, err := m.st.GetContainer(ctx, p.uuid)
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
	m.mu.Lock()
	p.stopReason = p.w.stopReason
	m.mu.Unlock()
	if len(p.jobs) > 0 {
		p.user = p.jobs[len(p.jobs)-1].Username
	}
	for _, j := range p.jobs {
		j.State = store.JobRunning
		_ = m.st.UpdateJob(ctx, j)
	}
	err = p.reconcile(ctx)
	if ctx.Err() != nil && m.ctx.Err() == nil {
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
	out, err := p.m.st.UpdateContainerState(context.WithoutCancel(ctx), p.uuid, p.c.ContainerState, p.desiredWas, clearRestart)
	if err != nil {
		return err
	}
	p.c.UpdatedAt, p.c.RestartPending, p.c.DesiredState, p.c.State = out.UpdatedAt, out.RestartPending, out.DesiredState, out.State
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
	info, err := p.find(ctx)
	if err != nil {
		return p.unreachable(ctx, err)
	}
	if m.down.Swap(false) {
		m.log.Info("Docker is reachable again")
	}
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

	running := info != nil && info.Running && !info.Paused
	paused := info != nil && info.Paused
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
		case running:
			// Adopted (kiosc restarted mid-start, or Docker came back): wait for the app instead of recreating.
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
		if running || paused || (info != nil && info.Status == "restarting") {
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
	if info == nil {
		if c.DockerID == "" || slices.Contains([]store.State{store.StateDeleted, store.StateNotFound, store.StateInitial}, c.State) {
			if c.State == store.StateUnknown {
				c.State = store.StateNotFound
			} else {
				return nil
			}
		}
		if slices.Contains([]store.State{store.StatePulling, store.StateCreating}, c.State) && c.DockerID == "" {
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
	if !info.StartedAt.IsZero() {
		c.StartedAt = ptr(info.StartedAt)
	}
	switch {
	case info.Paused:
		if c.State != store.StatePaused {
			c.State, c.StateReason, c.StateMessage = store.StatePaused, "", ""
		}
	case info.Running:
		if c.State == store.StatePaused {
			c.State = store.StateRunning
		}
		m.follow(c.UUID, info.ID)
	default:
		wasUp := slices.Contains([]store.State{store.StateRunning, store.StateStarting, store.StatePaused, store.StateUnknown}, c.State)
		if wasUp && info.ExitCode == 137 && !info.OOMKilled {
			info = m.settleOOM(ctx, c.UUID, info)
		}
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
		}
	}
	if c.ContainerState != before {
		return p.save(ctx, false)
	}
	return nil
}

// settleOOM decides whether a container killed by SIGKILL ran out of memory. Docker reports an OOM kill by an oom
// event that can arrive just after the exit, and Engine 20.10 does not always set State.OOMKilled, so a fresh exit
// 137 is checked for up to a second, against both, before it is reported as a plain crash.
func (m *Manager) settleOOM(ctx context.Context, uuid string, info *docker.ContainerInfo) *docker.ContainerInfo {
	oomEvent := func() bool {
		t, ok := m.oomSeen.LoadAndDelete(uuid)
		return ok && time.Since(t.(time.Time)) < time.Minute
	}
	for range 5 {
		if oomEvent() {
			fresh := *info
			fresh.OOMKilled = true
			return &fresh
		}
		select {
		case <-ctx.Done():
			return info
		case <-time.After(200 * time.Millisecond):
		}
		fresh, err := m.dk.Inspect(ctx, info.ID)
		if err != nil {
			return info
		}
		if fresh.OOMKilled {
			return fresh
		}
	}
	return info
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
	c.State, c.StateReason, c.StateMessage = store.StateExited, reason, what
	m.event(ctx, c.UUID, store.LevelError, "", "%s", what)
	extra := map[string]any{"exit_code": info.ExitCode, "oom_killed": info.OOMKilled}
	if c.DesiredState == store.StateRunning && c.Retries < c.MaxRetries {
		c.Retries++
		delay := backoff(m.o.BackoffBase, c.Retries)
		m.mu.Lock()
		p.w.notBefore = time.Now().Add(delay)
		m.mu.Unlock()
		m.kickAfter(c.UUID, delay)
		m.event(ctx, c.UUID, store.LevelInfo, "", "automatic restart %d of %d in %v", c.Retries, c.MaxRetries, delay)
		extra["restart_in_seconds"] = delay.Seconds()
	} else if c.DesiredState == store.StateRunning {
		c.DesiredState = store.StateStopped
	}
	m.timeline(ctx, c, "", name, store.StatusFailed, c.Title+" "+what, extra)
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
	p.w.failures++
	m.kickAfter(c.UUID, backoff(time.Second, p.w.failures))
	if c.DockerID != "" && c.State != store.StateUnknown && c.State != store.StateDeleted && c.State != store.StateNotFound {
		c.Upstream = ""
		_ = p.set(ctx, store.StateUnknown, "", "Docker is unreachable: "+err.Error())
	}
	return fmt.Errorf("docker unreachable: %w", err)
}

// start runs the start pipeline: pull if needed, create, start, probe.
func (p *pass) start(ctx context.Context) error {
	m, c := p.m, p.c
	m.event(ctx, c.UUID, store.LevelInfo, p.user, "starting (image %s)", c.Image)
	c.ExitCode, c.OOMKilled, c.ReadyAt, c.StoppedAt, c.HostPort, c.Upstream = nil, false, nil, nil, nil, ""
	// Checked before anything else, so an image of a registry the site does not allow neither runs from the local
	// cache nor makes the engine connect anywhere.
	if msg := m.o.Limits.RegistryError(c.Image); msg != "" {
		return p.fail(ctx, "pull_failed", registryRefused(msg))
	}
	exists, err := m.dk.ImageExists(ctx, c.Image)
	if err != nil {
		return p.fail(ctx, "pull_failed", pullFailure(c.Image, err))
	}
	if !exists || c.PullPolicy == settings.PullAlways {
		if err := p.set(ctx, store.StatePulling, "", ""); err != nil {
			return err
		}
		p.step(ctx, "pull", "pulling "+c.Image, nil)
		auth, err := m.registryAuth(c)
		if err != nil {
			return p.fail(ctx, "pull_failed", err)
		}
		err = m.dk.Pull(ctx, c.Image, auth, func(pp docker.PullProgress) {
			var prog *store.Progress
			if pp.Total > 0 {
				prog = &store.Progress{Current: pp.Current, Total: pp.Total, Percent: float64(pp.Current) * 100 / float64(pp.Total)}
			}
			p.step(ctx, "pull", pp.Status, prog)
		})
		if err != nil {
			return p.fail(ctx, "pull_failed", pullFailure(c.Image, err))
		}
		m.event(ctx, c.UUID, store.LevelInfo, "", "pulled %s", c.Image)
	}

	if err := p.set(ctx, store.StateCreating, "", ""); err != nil {
		return err
	}
	p.step(ctx, "create", "creating the Docker container", nil)
	// Remove whatever Docker container this record had, so there is never a second one.
	old, err := m.dk.List(ctx, LabelInstance+"="+m.o.InstanceID, LabelContainer+"="+c.UUID)
	if err != nil {
		return p.fail(ctx, "create_failed", createFailure("the container", err))
	}
	for _, o := range old {
		if err := m.dk.Remove(ctx, o.ID); err != nil {
			return p.fail(ctx, "create_failed", createFailure("the container", err))
		}
	}
	m.stopFollowing(c.UUID)
	c.DockerID, c.DockerState = "", ""
	spec, err := m.spec(ctx, c)
	if err != nil {
		return p.fail(ctx, "create_failed", err)
	}
	id, err := m.dk.Create(ctx, spec)
	if err != nil {
		return p.fail(ctx, "create_failed", createFailure("the container", err))
	}
	c.DockerID, c.DockerState, c.NetworkMode = id, docker.StatusCreated, m.o.NetworkMode
	if err := p.save(ctx, true); err != nil {
		return err
	}
	m.event(ctx, c.UUID, store.LevelInfo, "", "created Docker container %.12s (%s)", id, spec.Name)

	p.step(ctx, "start", "starting the Docker container", nil)
	if err := m.dk.Start(ctx, id); err != nil {
		return p.fail(ctx, "start_failed", startFailure(err))
	}
	c.StartedAt = ptr(time.Now().UTC())
	c.DockerState = docker.StatusRunning
	if err := p.set(ctx, store.StateStarting, "", ""); err != nil {
		return err
	}
	m.follow(c.UUID, id)
	info, err := m.dk.Inspect(ctx, id)
	if err != nil {
		return p.fail(ctx, "start_failed", startFailure(err))
	}
	return p.probePhase(ctx, info)
}

// probePhase waits until the app answers (running), the startup timeout passes (failed) or it dies (exited).
func (p *pass) probePhase(ctx context.Context, info *docker.ContainerInfo) error {
	m, c := p.m, p.c
	if !info.Running {
		// It died before kiosc saw it run (an app that exits or is OOM killed at once): that is an exit, reported
		// with its code and OOM flag like any other, not a failure of kiosc's start.
		return p.observe(ctx, info)
	}
	addr, err := m.upstream(ctx, c, info)
	if err != nil {
		return p.fail(ctx, "start_failed", err)
	}
	if c.State != store.StateStarting {
		if err := p.set(ctx, store.StateStarting, "", ""); err != nil {
			return err
		}
	}
	timeout := time.Duration(c.StartupTimeout) * time.Second
	if timeout <= 0 {
		timeout = m.o.DefaultStartupTimeout
	}
	started := time.Now()
	if !info.StartedAt.IsZero() && info.StartedAt.Before(started) {
		started = info.StartedAt
	}
	target := m.probeURL(addr, c)
	p.step(ctx, "probe", "waiting for the app at "+probePath(c), nil)
	err = m.probe(ctx, target, info.ID, started.Add(timeout))
	switch {
	case err == nil:
		now := time.Now().UTC()
		c.ReadyAt, c.Upstream = &now, addr
		if c.LastAccessAt == nil || c.LastAccessAt.Before(now) {
			m.activity.Delete(c.UUID)
		}
		m.event(ctx, c.UUID, store.LevelInfo, "", "running: the app answered after %v", now.Sub(started).Round(time.Millisecond))
		return p.set(ctx, store.StateRunning, "", "")
	case errors.Is(err, errDied):
		fresh, ierr := m.dk.Inspect(ctx, info.ID)
		if ierr != nil {
			return p.observe(ctx, nil)
		}
		return p.observe(ctx, fresh)
	case ctx.Err() != nil:
		return ctx.Err()
	default:
		msg := fmt.Sprintf("the app did not answer %s within %v", probePath(c), timeout)
		m.event(ctx, c.UUID, store.LevelError, "", "%s; stopping it", msg)
		m.timeline(ctx, c, "", "container_startup_timeout", store.StatusFailed, c.Title+": "+msg, nil)
		c.DesiredState = store.StateStopped
		c.Upstream = ""
		if err := p.set(ctx, store.StateFailed, "startup_timeout", msg); err != nil {
			return err
		}
		p.step(ctx, "stop", "stopping after the startup timeout", nil)
		if err := m.dk.Stop(ctx, info.ID, m.o.StopTimeout); err != nil && !docker.IsNotFound(err) {
			m.log.Warn("stop after startup timeout", "container", c.UUID, "err", err)
		}
		if fresh, err := m.dk.Inspect(ctx, info.ID); err == nil {
			code := fresh.ExitCode
			c.DockerState, c.ExitCode, c.StoppedAt = fresh.Status, &code, ptr(time.Now().UTC())
			_ = p.save(ctx, false)
		}
		return errors.New(msg)
	}
}

// fail records a failed start: state failed with the reason, desired stopped. A *failure keeps the engine's text
// out of everything but the state detail; other errors are kiosc's own words.
func (p *pass) fail(ctx context.Context, reason string, err error) error {
	m, c := p.m, p.c
	if ctx.Err() != nil {
		return ctx.Err()
	}
	c.DesiredState, c.Upstream = store.StateStopped, ""
	m.event(ctx, c.UUID, store.LevelError, "", "%s: %v", reason, err)
	m.timeline(ctx, c, p.user, "container_start", store.StatusFailed, "starting "+c.Title+" failed ("+reason+")",
		map[string]any{"reason": reason, "error": err.Error()})
	c.State, c.StateReason, c.StateMessage, c.StateDetail = store.StateFailed, reason, err.Error(), detailOf(err)
	if e := p.save(ctx, false); e != nil {
		return e
	}
	return err
}

// stop stops the Docker container (keeping it; the remove-stopped sweep removes it later).
func (p *pass) stop(ctx context.Context, info *docker.ContainerInfo, reason string) error {
	m, c := p.m, p.c
	reason = orDefault(reason, "user")
	if err := p.set(ctx, store.StateStopping, reason, ""); err != nil {
		return err
	}
	p.step(ctx, "stop", "stopping", nil)
	if info.Paused {
		_ = m.dk.Unpause(ctx, info.ID)
	}
	if err := m.dk.Stop(context.WithoutCancel(ctx), info.ID, m.o.StopTimeout); err != nil && !docker.IsNotFound(err) {
		_ = p.set(ctx, store.StateStopping, reason, "stop failed: "+err.Error())
		return err
	}
	c.Upstream, c.StoppedAt = "", ptr(time.Now().UTC())
	if fresh, err := m.dk.Inspect(context.WithoutCancel(ctx), info.ID); err == nil {
		code := fresh.ExitCode
		c.DockerState, c.ExitCode, c.OOMKilled = fresh.Status, &code, fresh.OOMKilled
	}
	m.event(ctx, c.UUID, store.LevelInfo, p.user, "stopped (%s)", reason)
	return p.set(ctx, store.StateStopped, reason, "")
}

func (p *pass) pause(ctx context.Context, info *docker.ContainerInfo) error {
	p.step(ctx, "stop", "pausing", nil)
	if err := p.m.dk.Pause(ctx, info.ID); err != nil {
		return err
	}
	p.c.DockerState = docker.StatusPaused
	p.m.event(ctx, p.uuid, store.LevelInfo, p.user, "paused")
	return p.set(ctx, store.StatePaused, "", "")
}

func (p *pass) unpause(ctx context.Context, info *docker.ContainerInfo) error {
	p.step(ctx, "start", "unpausing", nil)
	if err := p.m.dk.Unpause(ctx, info.ID); err != nil {
		return err
	}
	p.c.DockerState = docker.StatusRunning
	p.m.event(ctx, p.uuid, store.LevelInfo, p.user, "unpaused")
	return p.set(ctx, store.StateRunning, "", "")
}

// delete removes the Docker container, its network, its script and finally the record. On a Docker error the
// record stays in state deleting with the error, and the resync retries.
func (p *pass) delete(ctx context.Context) error {
	m, c := p.m, p.c
	ctx = context.WithoutCancel(ctx)
	p.step(ctx, "remove", "removing the Docker container", nil)
	m.stopFollowing(c.UUID)
	err := func() error {
		list, err := m.dk.List(ctx, LabelInstance+"="+m.o.InstanceID, LabelContainer+"="+c.UUID)
		if err != nil {
			return err
		}
		if c.DockerID != "" && !slices.ContainsFunc(list, func(s docker.Summary) bool { return s.ID == c.DockerID }) {
			list = append(list, docker.Summary{ID: c.DockerID})
		}
		for _, s := range list {
			if err := m.dk.Remove(ctx, s.ID); err != nil {
				return err
			}
		}
		return m.dk.RemoveNetworks(ctx, LabelContainer+"="+c.UUID)
	}()
	if err != nil {
		c.StateMessage = "delete failed, retrying: " + err.Error()
		_ = p.save(ctx, false)
		m.kickAfter(c.UUID, 5*time.Second)
		return err
	}
	_ = os.Remove(m.scriptPath(c.UUID))
	if err := m.st.DeleteContainer(ctx, c.UUID); err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	m.activity.Delete(c.UUID)
	m.mu.Lock()
	delete(m.workers, c.UUID)
	m.mu.Unlock()
	c.State, c.DockerID, c.DockerState, c.Upstream = store.StateDeleted, "", "", ""
	m.publish(c)
	m.upstreams.Delete(c.UUID)
	return nil
}

// removeStopped removes a Docker container stopped longer than KIOSC_REMOVE_STOPPED_AFTER, keeping the record.
func (p *pass) removeStopped(ctx context.Context, info *docker.ContainerInfo) error {
	m, c := p.m, p.c
	m.stopFollowing(c.UUID)
	if err := m.dk.Remove(ctx, info.ID); err != nil {
		return err
	}
	_ = m.dk.RemoveNetworks(ctx, LabelContainer+"="+c.UUID)
	c.DockerID, c.DockerState, c.HostPort, c.Upstream = "", "", nil, ""
	m.event(ctx, c.UUID, store.LevelInfo, "", "removed the Docker container after being stopped for more than %v", m.o.RemoveStoppedAfter)
	m.timeline(ctx, c, "", "container_remove_stopped", store.StatusOK, "removed the stopped Docker container of "+c.Title, nil)
	return p.set(ctx, store.StateDeleted, c.StateReason, "")
}

// upstream returns the address the proxy (and the probe) dial for c.
func (m *Manager) upstream(ctx context.Context, c *store.Container, info *docker.ContainerInfo) (string, error) {
	if c.NetworkMode == NetworkPrivateBridges || (c.NetworkMode == "" && m.o.NetworkMode == NetworkPrivateBridges) {
		name := networkName(c.UUID)
		ip := info.IPs[name]
		if ip == "" {
			return "", fmt.Errorf("the container has no address on network %s", name)
		}
		return net.JoinHostPort(ip, strconv.Itoa(c.ContainerPort)), nil
	}
	if info.HostPort == 0 {
		return "", errors.New("the container port is not published")
	}
	host := info.HostIP
	switch host {
	case "", "0.0.0.0":
		host = "127.0.0.1"
	case "::":
		host = "::1"
	}
	port := info.HostPort
	c.HostPort = &port
	// When kiosc shares the host's network with the container's bridge, it goes to the container's address there: the
	// published port is served by Docker's userland proxy, an extra copy of every byte that costs about as much CPU
	// per request as a small app itself. The published port stays for setups where the bridge lives elsewhere
	// (rootless Docker, Docker Desktop's VM). Containers created before the shared apps network existed sit on
	// Docker's default bridge until their next start.
	for _, name := range []string{AppsNetworkName(m.o.InstanceID), defaultBridge} {
		if ip := info.IPs[name]; ip != "" && m.onLocalNetwork(ip) {
			return net.JoinHostPort(ip, strconv.Itoa(c.ContainerPort)), nil
		}
	}
	return net.JoinHostPort(host, strconv.Itoa(port)), nil
}

// defaultBridge is the name of Docker's default network, where earlier versions of kiosc put containers.
const defaultBridge = "bridge"

// onLocalNetwork reports whether kiosc reaches ip directly on one of this host's networks.
func (m *Manager) onLocalNetwork(ip string) bool {
	ifaddrs, err := m.o.InterfaceAddrs()
	if err != nil {
		m.log.Warn("listing network interfaces", "err", err)
		return false
	}
	return OnLocalNetwork(ifaddrs, ip)
}

// OnLocalNetwork reports whether ip lies on a network one of the (non-loopback) interface addresses is on, i.e.
// whether it is reached without a router or Docker's port publishing.
func OnLocalNetwork(ifaddrs []net.Addr, ip string) bool {
	addr, err := netip.ParseAddr(ip)
	if err != nil {
		return false
	}
	for _, a := range ifaddrs {
		n, ok := a.(*net.IPNet)
		if !ok || n.IP.IsLoopback() {
			continue
		}
		if pfx, err := netip.ParsePrefix(n.String()); err == nil && pfx.Contains(addr) {
			return true
		}
	}
	return false
}

// probePath is the path the probe requests.
func probePath(c *store.Container) string {
	h := c.HeartbeatURL
	if h == "" {
		return "/" + strings.TrimPrefix(c.ContainerPath, "/")
	}
	if strings.Contains(h, "://") {
		if i := strings.Index(h[strings.Index(h, "://")+3:], "/"); i >= 0 {
			return h[strings.Index(h, "://")+3+i:]
		}
		return "/"
	}
	return "/" + strings.TrimPrefix(h, "/")
}

// probeURL is what the probe requests: the app sees the public prefix unless strip_prefix is set (or in subdomain
// mode, where apps are served at the root of their origin).
func (m *Manager) probeURL(addr string, c *store.Container) string {
	path := probePath(c)
	if !c.StripPrefix && !m.o.Apps.AtRoot() {
		bp := ProxyPrefix + c.UUID
		if !strings.HasPrefix(path, bp) {
			path = bp + path
		}
	}
	return "http://" + addr + path
}

// probe requests target until it answers 2xx or 3xx (redirects not followed): quickly at first, then every second.
func (m *Manager) probe(ctx context.Context, target, dockerID string, deadline time.Time) error {
	hc := &http.Client{Timeout: 2 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	delay := 50 * time.Millisecond
	for i := 0; ; i++ {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
		req.Header.Set("User-Agent", "kiosc-probe")
		if resp, err := hc.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode >= 200 && resp.StatusCode < 400 {
				return nil
			}
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if info, err := m.dk.Inspect(ctx, dockerID); err == nil && !info.Running {
			return errDied
		} else if docker.IsNotFound(err) {
			return errDied
		}
		if time.Now().After(deadline) {
			return errors.New("startup timeout")
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(min(delay, time.Until(deadline)+10*time.Millisecond)):
		}
		delay = min(delay*2, time.Second)
	}
}

var slugRE = regexp.MustCompile(`[^a-z0-9]+`)

// containerName is kiosc-<short uuid>-<slug of title>.
func containerName(c *store.Container) string {
	slug := strings.Trim(slugRE.ReplaceAllString(strings.ToLower(c.Title), "-"), "-")
	if len(slug) > 40 {
		slug = strings.TrimRight(slug[:40], "-")
	}
	name := "kiosc-" + c.UUID[:8]
	if slug != "" {
		name += "-" + slug
	}
	return name
}

func networkName(uuid string) string { return "kiosc-" + uuid[:8] }

// spec builds the Docker container of c: labels, name, environment with the injected variables, command or script,
// limits (site defaults, capped by the site maxima), capabilities, network.
func (m *Manager) spec(ctx context.Context, c *store.Container) (docker.ContainerSpec, error) {
	bp, pub := m.basePath(c)
	ph := Placeholders{BasePath: bp, PublicURL: pub, ContainerUUID: c.UUID}
	env := map[string]string{}
	for k, v := range c.Environment {
		env[k] = ph.Expand(v)
	}
	sec, err := m.secretEnv(c)
	if err != nil {
		return docker.ContainerSpec{}, err
	}
	for k, v := range sec {
		env[k] = ph.Expand(v)
	}
	for k, v := range map[string]string{"KIOSC_BASE_PATH": bp, "KIOSC_PUBLIC_URL": pub, "KIOSC_CONTAINER_UUID": c.UUID,
		"KIOSC_PROJECT_UUID": c.ProjectUUID, "TITLE": c.Title, "DESCRIPTION": c.Description,
		"CONTAINER_PORT": strconv.Itoa(c.ContainerPort)} {
		env[k] = v
	}
	s := docker.ContainerSpec{Name: containerName(c), Image: c.Image, Labels: m.labels(c), ContainerPort: c.ContainerPort}
	for k, v := range env {
		s.Env = append(s.Env, k+"="+v)
	}
	slices.Sort(s.Env)
	switch {
	case settings.IsScript(c.Command):
		path := m.scriptPath(c.UUID)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return s, err
		}
		if err := os.WriteFile(path, []byte(ph.Expand(c.Command)), 0o755); err != nil {
			return s, err
		}
		if err := os.Chmod(path, 0o755); err != nil {
			return s, err
		}
		s.Binds = []string{path + ":" + ScriptPath + ":ro"}
		s.Entrypoint = []string{ScriptPath}
		s.Cmd = []string{}
	case strings.TrimSpace(c.Command) != "":
		words, err := settings.SplitCommand(c.Command)
		if err != nil {
			return s, fmt.Errorf("command: %w", err)
		}
		for i := range words {
			words[i] = ph.Expand(words[i])
		}
		s.Cmd = words
	}
	lim := m.o.Limits
	s.Memory = siteLimit(c.MemoryLimit, lim.DefaultMemory, lim.MaxMemory)
	s.PidsLimit = siteLimit(c.PidsLimit, lim.DefaultPIDs, lim.MaxPIDs)
	s.CPUs = siteLimit(c.CPULimit, lim.DefaultCPUs, lim.MaxCPUs)
	s.CapDrop, s.CapAdd = []string{"ALL"}, slices.Clone(Capabilities)
	if m.o.NetworkMode == NetworkPrivateBridges {
		name := networkName(c.UUID)
		id, err := m.dk.EnsureNetwork(ctx, docker.NetworkSpec{Name: name, Labels: m.labels(c), IDLabel: LabelContainer + "=" + c.UUID})
		if err != nil {
			return s, createFailure("the container's network "+name, err)
		}
		if m.selfID != "" {
			if err := m.dk.ConnectNetwork(ctx, id, m.selfID); err != nil {
				m.log.Warn("could not attach kiosc to the container network", "network", name, "err", err)
			}
		}
		s.Network = name
	} else {
		id, err := m.ensureAppsNetwork(ctx)
		if err != nil {
			return s, createFailure("the shared network "+AppsNetworkName(m.o.InstanceID), err)
		}
		// By ID: an engine before API 1.44 may briefly hold a second network of the name (see EnsureNetwork).
		s.Network, s.PublishIP = id, m.o.HostBindIP
	}
	return s, nil
}

// ensureAppsNetwork returns the ID of the network the containers of this instance share in default-bridge mode,
// creating it when absent. Traffic between containers is off on it, so no app reaches another past kiosc's proxy
// and its authentication, while kiosc on the host still reaches every app.
func (m *Manager) ensureAppsNetwork(ctx context.Context) (string, error) {
	m.netMu.Lock()
	defer m.netMu.Unlock()
	return m.dk.EnsureNetwork(ctx, docker.NetworkSpec{Name: AppsNetworkName(m.o.InstanceID),
		Labels:  map[string]string{LabelManaged: "true", LabelInstance: m.o.InstanceID, LabelNetwork: NetworkApps},
		IDLabel: LabelInstance + "=" + m.o.InstanceID, NoICC: true})
}

// siteLimit applies the site default to an unset (0) limit, then the site maximum (0: none).
func siteLimit[T int64 | float64](v, def, maxV T) T {
	if v <= 0 {
		v = def
	}
	if maxV > 0 && (v <= 0 || v > maxV) {
		return maxV
	}
	return v
}

func ptr[T any](v T) *T { return &v }

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}
