package lifecycle

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/bihealth/kiosc/app/docker"
	"github.com/bihealth/kiosc/app/store"
)

// Docker outages. While the engine does not answer, every container it has, or that is on its way to having one, is
// unknown: kiosc does not know what happens to it. When the engine shuts down it stops every container first (unless
// it runs with live-restore), and kiosc sees those exits a moment before the engine goes; containers may also stop
// while it is away. Neither is the app's crash: when Docker is back, kiosc restores what it knew before the outage
// where nothing changed, and starts again the apps that should run, without counting an automatic restart and
// without giving up on them. Nothing is ever marked failed for Docker being away.
//
// Whether an exit was the engine's shutdown is known only once the engine goes, or does not: an exit that followed
// a SIGTERM from outside kiosc (docker stop, or the engine's own shutdown) is shown at once, but the decision to
// restart or give up waits Options.DockerStopGrace; if Docker went away meanwhile, the app is started again when it
// is back.
const dockerStopGrace = 15 * time.Second

// sigtermKeep is how long a SIGTERM sent by Docker is remembered for the exit that follows.
const sigtermKeep = 2 * time.Minute

// outages records when Docker was unreachable.
type outages struct {
	mu sync.Mutex
	// since is the start of the current outage (zero while Docker answers); start and end bound the last one.
	since, start, end time.Time
}

// noteDown records that Docker could not be reached at time at (docker.IsUnreachable: no connection at all; a slow
// or failed answer is no outage, and excuses no exit).
func (m *Manager) noteDown(at time.Time) {
	m.outage.mu.Lock()
	defer m.outage.mu.Unlock()
	if m.outage.since.IsZero() || at.Before(m.outage.since) {
		m.outage.since = at
	}
}

// noteUp records that Docker answers.
func (m *Manager) noteUp() {
	m.outage.mu.Lock()
	defer m.outage.mu.Unlock()
	if !m.outage.since.IsZero() {
		m.outage.start, m.outage.end, m.outage.since = m.outage.since, time.Now(), time.Time{}
	}
}

// downAround reports whether Docker went away within the grace after t and was still away at t or later:
// an exit at t was then Docker's doing.
func (m *Manager) downAround(t time.Time) bool {
	m.outage.mu.Lock()
	defer m.outage.mu.Unlock()
	limit := t.Add(m.o.DockerStopGrace)
	if !m.outage.since.IsZero() {
		return !m.outage.since.After(limit)
	}
	return !m.outage.end.IsZero() && !m.outage.end.Before(t) && !m.outage.start.After(limit)
}

// justBack reports whether t is during the last outage or within the grace after Docker came back.
func (m *Manager) justBack(t time.Time) bool {
	m.outage.mu.Lock()
	defer m.outage.mu.Unlock()
	if !m.outage.since.IsZero() {
		return !t.Before(m.outage.since)
	}
	return !m.outage.end.IsZero() && !t.Before(m.outage.start) && t.Sub(m.outage.end) < m.o.DockerStopGrace
}

// noteSigterm remembers that Docker sent SIGTERM to a container (its kill event), for the exit that follows.
func (m *Manager) noteSigterm(e docker.Event) {
	if s := e.Labels["signal"]; s != "15" && s != "SIGTERM" {
		return
	}
	now := time.Now()
	m.sigterms.Range(func(k, v any) bool {
		if now.Sub(v.(time.Time)) > sigtermKeep {
			m.sigterms.Delete(k)
		}
		return true
	})
	m.sigterms.Store(e.ContainerID, e.Time)
}

// killStampSlack is how much later than the exit Docker may stamp the kill event of the SIGTERM that caused it: it
// logs the event after sending the signal, and an app that exits at once is gone by then.
const killStampSlack = time.Second

// sigtermBefore reports whether Docker was asked to stop the container shortly before it exited at t.
func (m *Manager) sigtermBefore(dockerID string, t time.Time) bool {
	v, ok := m.sigterms.Load(dockerID)
	if !ok {
		return false
	}
	at := v.(time.Time)
	return t.Sub(at) > -killStampSlack && t.Sub(at) < sigtermKeep
}

// exitByDocker decides for an exit of an app that should run (already recorded as exited) whether it was Docker's
// doing. If Docker has gone away since, the app is started again as soon as Docker answers; if Docker was asked to
// stop it, the decision waits whether Docker goes away. Otherwise (false) the exit is the app's own.
func (p *pass) exitByDocker(ctx context.Context, info *docker.ContainerInfo, extra map[string]any) bool {
	m, c := p.m, p.c
	at := info.FinishedAt
	if at.IsZero() {
		at = time.Now()
	}
	switch {
	case m.downAround(at):
		extra["stopped_by_docker"] = true
		m.event(ctx, c.UUID, store.LevelInfo, "", "Docker went away when the app stopped; starting it again")
		m.kick(c.UUID, false)
		return true
	case info.Error != "" && m.justBack(at):
		// Docker itself failed to run it (its network or mount store not ready yet) just after it came back.
		extra["stopped_by_docker"] = true
		m.event(ctx, c.UUID, store.LevelInfo, "", "Docker failed to run the app just after it came back; starting it again")
		m.kickAfter(c.UUID, time.Second)
		return true
	case m.sigtermBefore(info.ID, at):
		m.mu.Lock()
		p.w.exitAt, p.w.exitWait = at, time.Now().Add(m.o.DockerStopGrace)
		m.mu.Unlock()
		m.kickAfter(c.UUID, m.o.DockerStopGrace)
		return true
	}
	return false
}

// pendingExit finishes the decision exitByDocker put off, for an app that should run and is exited: done is false
// when the reconciler is to start it now.
func (p *pass) pendingExit(ctx context.Context) (done bool, err error) {
	m, c := p.m, p.c
	m.mu.Lock()
	at, wait := p.w.exitAt, p.w.exitWait
	if !wait.IsZero() && (p.w.userStart || p.w.recreate) {
		// Somebody asked for a start since: that decides.
		p.w.exitWait, wait = time.Time{}, time.Time{}
	}
	m.mu.Unlock()
	switch {
	case wait.IsZero():
		return false, nil
	case m.downAround(at):
		p.clearExitWait()
		m.event(ctx, c.UUID, store.LevelInfo, "", "Docker went away after it stopped the app; starting it again")
		return false, nil
	case time.Now().Before(wait):
		m.kickAfter(c.UUID, time.Until(wait))
		return true, nil
	}
	// Docker stayed: the app was stopped in Docker on purpose, which counts like any exit.
	p.clearExitWait()
	p.retryOrGiveUp(ctx, map[string]any{})
	return true, p.save(ctx, false)
}

func (p *pass) clearExitWait() {
	p.m.mu.Lock()
	p.w.exitAt, p.w.exitWait = time.Time{}, time.Time{}
	p.m.mu.Unlock()
}

// keepBeforeOutage remembers the record's state as it was when Docker stopped answering.
func (p *pass) keepBeforeOutage() {
	s := p.c.ContainerState
	p.m.mu.Lock()
	p.w.beforeOutage = &s
	p.m.mu.Unlock()
}

// takeBeforeOutage returns (and forgets) the state kept when Docker stopped answering; nil unless the record is
// unknown.
func (p *pass) takeBeforeOutage() *store.ContainerState {
	p.m.mu.Lock()
	defer p.m.mu.Unlock()
	s := p.w.beforeOutage
	p.w.beforeOutage = nil
	if p.c.State != store.StateUnknown {
		return nil
	}
	return s
}

// restoreAfterOutage sets an unknown record whose Docker container is not running back to what it was before the
// outage when nothing changed meanwhile (a stopped or exited app stays what it was, with its reason), and a record
// whose Docker container was created but never started back to where its start was. It reports whether it did.
func (p *pass) restoreAfterOutage(before *store.ContainerState, info *docker.ContainerInfo) bool {
	c := p.c
	if info.Status == docker.StatusCreated {
		c.State, c.StateReason, c.StateMessage = store.StateCreating, "", ""
		if before != nil && slices.Contains(transitional, before.State) {
			c.State = before.State
		}
		return true
	}
	if before == nil || before.DockerID != info.ID || slices.Contains(up, before.State) || before.State == store.StateUnknown ||
		before.DockerState == docker.StatusRunning || before.DockerState == docker.StatusPaused {
		return false
	}
	c.State, c.StateReason, c.StateMessage, c.StateDetail = before.State, before.StateReason, before.StateMessage, before.StateDetail
	c.ExitCode, c.OOMKilled, c.StoppedAt = before.ExitCode, before.OOMKilled, before.StoppedAt
	return true
}

// streamEnded is called when Docker's event stream breaks: if Docker no longer answers, the outage starts now and
// every container is looked at (and shown unknown) without waiting for the next resync.
func (m *Manager) streamEnded() {
	at := time.Now()
	ctx, cancel := context.WithTimeout(m.ctx, 5*time.Second)
	defer cancel()
	if _, err := m.dk.List(ctx, LabelInstance+"="+m.o.InstanceID, LabelContainer+"=-"); !docker.IsUnreachable(err) || m.ctx.Err() != nil {
		return
	}
	m.noteDown(at)
	go m.Resync(m.ctx, false)
}

// goingAway reports whether Docker is away or was away a moment ago, for a failure that may be its doing: while the
// engine shuts down it still answers on connections that are open, but refuses to create or start containers. err
// is why Docker is taken to be away, if it does not answer now.
func (m *Manager) goingAway(ctx context.Context, uuid string) (bool, error) {
	if _, err := m.dk.List(ctx, LabelInstance+"="+m.o.InstanceID, LabelContainer+"="+uuid); err != nil {
		return true, err
	}
	m.outage.mu.Lock()
	defer m.outage.mu.Unlock()
	return !m.outage.since.IsZero() || (!m.outage.end.IsZero() && time.Since(m.outage.end) < m.o.DockerStopGrace), nil
}
