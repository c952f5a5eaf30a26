package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"time"

	"github.com/bihealth/kiosc/app/docker"
	"github.com/bihealth/kiosc/app/settings"
	"github.com/bihealth/kiosc/app/store"
)

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
	release, err := m.reserveFor(ctx, c)
	if err != nil {
		return p.fail(ctx, "start_failed", err)
	}
	defer release()
	exists, err := m.dk.ImageExists(ctx, c.Image)
	if err != nil {
		return p.fail(ctx, "pull_failed", pullFailure(c.Image, err))
	}
	if !p.pulled && (!exists || c.PullPolicy == settings.PullAlways) {
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
	vols, err := m.ensureVolumes(ctx, c, p.user)
	if err != nil {
		return p.fail(ctx, "create_failed", err)
	}
	id, err := m.dk.Create(ctx, spec)
	if err != nil {
		return p.fail(ctx, "create_failed", createFailure("the container", err))
	}
	p.recordImage(ctx, "")
	c.DockerID, c.DockerState, c.NetworkMode = id, docker.StatusCreated, m.o.NetworkMode
	if err := p.save(ctx, true); err != nil {
		return err
	}
	p.afterCreate(ctx)
	m.event(ctx, c.UUID, store.LevelInfo, "", "created Docker container %.12s (%s)", id, spec.Name)
	if len(vols) > 0 {
		p.step(ctx, "create", "preparing the volumes", nil)
		if err := m.setVolumeOwners(ctx, c, id, spec, vols); err != nil {
			return p.fail(ctx, "create_failed", err)
		}
	}

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
	if info.ImageID != "" && info.ImageID != c.ImageID {
		// The tag moved between the lookup and the create.
		p.recordImage(ctx, info.ImageID)
		if err := p.save(ctx, false); err != nil {
			return err
		}
		p.afterCreate(ctx)
	}
	return p.probePhase(ctx, info)
}

// probePhase waits until the app answers (running), the startup timeout passes (failed) or it dies (exited).
func (p *pass) probePhase(ctx context.Context, info *docker.ContainerInfo) error {
	m, c := p.m, p.c
	if info.Pending {
		fresh, err := p.waitScheduled(ctx, info)
		if err != nil || fresh == nil {
			return err
		}
		info = fresh
	}
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
	watch := p.watchStartup(ctx, info, target, started, timeout)
	err = m.probe(ctx, target, info.ID, started.Add(timeout))
	watch.stop()
	switch {
	case err == nil:
		now := time.Now().UTC()
		c.ReadyAt, c.Upstream = &now, addr
		if c.LastAccessAt == nil || c.LastAccessAt.Before(now) {
			m.activity.Delete(c.UUID)
		}
		m.event(ctx, c.UUID, store.LevelInfo, "", "running: the app answered after %v", now.Sub(started).Round(time.Millisecond))
		return p.set(ctx, store.StateRunning, "", "")
	case errors.Is(err, errUnreachable):
		return p.unreachable(ctx, err)
	case errors.Is(err, errDied):
		fresh, ierr := m.dk.Inspect(ctx, info.ID)
		if ierr != nil {
			return p.observe(ctx, nil)
		}
		return p.observe(ctx, fresh)
	case ctx.Err() != nil:
		return ctx.Err()
	default:
		msg := watch.timeoutMessage(ctx, timeout)
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
			// The exit code is that of kiosc's own stop, which says nothing about the app: none is recorded.
			c.DockerState, c.ExitCode, c.StoppedAt = fresh.Status, nil, ptr(time.Now().UTC())
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
	if down, perr := m.goingAway(ctx, c.UUID); down && ctx.Err() == nil {
		// Docker went away: the start did not fail, it waits for Docker (see outage.go).
		return p.unreachable(ctx, errors.Join(perr, err))
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

// delete removes the Docker container, its network, its script and finally the record; the container's own volumes
// are removed or kept as the deletion asked (disposeVolumes). On a Docker error the record stays in state deleting
// with the error, and the resync retries.
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
		if err := m.dk.RemoveNetworks(ctx, LabelContainer+"="+c.UUID); err != nil {
			return err
		}
		return m.disposeVolumes(ctx, c, p.user)
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

// pendingMessage is the state message of a Swarm task that does not run yet.
func pendingMessage(info *docker.ContainerInfo) string {
	if info.PendingReason == "" {
		return "waiting for the swarm to run it"
	}
	return "waiting for the swarm: " + info.PendingReason
}

// pendingPoll is how often a start looks again at a Swarm task that does not run yet.
const pendingPoll = 500 * time.Millisecond

// waitScheduled waits while the container's Swarm task does not run yet (no node with room for its reservations,
// the node pulling the image, starting it): the container is starting, with the scheduler's words as its message,
// not failed. It returns the state once the task runs or ended (nil when a state was recorded instead: the startup
// timeout passed, or Docker went away).
func (p *pass) waitScheduled(ctx context.Context, info *docker.ContainerInfo) (*docker.ContainerInfo, error) {
	m, c := p.m, p.c
	timeout := time.Duration(c.StartupTimeout) * time.Second
	if timeout <= 0 {
		timeout = m.o.DefaultStartupTimeout
	}
	started := time.Now()
	if c.StartedAt != nil && c.StartedAt.Before(started) {
		started = *c.StartedAt
	}
	deadline := started.Add(timeout)
	for info.Pending {
		if msg := pendingMessage(info); c.State != store.StateStarting || c.StateMessage != msg || c.DockerState != info.Status {
			c.DockerState = info.Status
			if err := p.set(ctx, store.StateStarting, "", msg); err != nil {
				return nil, err
			}
			p.step(ctx, "schedule", msg, nil)
		}
		if time.Now().After(deadline) {
			msg := fmt.Sprintf("the swarm did not run the app within %v (%s)", timeout, orDefault(info.PendingReason, "pending"))
			m.event(ctx, c.UUID, store.LevelError, "", "%s; stopping it", msg)
			m.timeline(ctx, c, "", "container_startup_timeout", store.StatusFailed, c.Title+": "+msg, nil)
			c.DesiredState, c.Upstream = store.StateStopped, ""
			if err := p.set(ctx, store.StateFailed, "startup_timeout", msg); err != nil {
				return nil, err
			}
			if err := m.dk.Stop(context.WithoutCancel(ctx), info.ID, m.o.StopTimeout); err != nil && !docker.IsNotFound(err) {
				m.log.Warn("stop after startup timeout", "container", c.UUID, "err", err)
			}
			return nil, errors.New(msg)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(pendingPoll):
		}
		fresh, err := m.dk.Inspect(ctx, info.ID)
		if err != nil {
			if docker.IsNotFound(err) {
				return nil, p.observe(ctx, nil)
			}
			return nil, p.unreachable(ctx, err)
		}
		info = fresh
	}
	c.DockerState = info.Status
	if c.StateMessage != "" {
		if err := p.set(ctx, store.StateStarting, "", ""); err != nil {
			return nil, err
		}
	}
	return info, nil
}
