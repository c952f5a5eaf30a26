package lifecycle

import (
	"context"
	"fmt"
	"time"

	"github.com/bihealth/kiosc/app/docker"
	"github.com/bihealth/kiosc/app/store"
)

// An app killed for running out of memory exits with 137 (SIGKILL), like one killed with `docker kill`. Docker says
// which it was by an oom event, which can arrive just before or just after the exit, and by State.OOMKilled, which
// Engine 20.10 does not always set. kiosc reports every exit at once and amends an exit 137 to oom_killed when either
// sign arrives, so an exit is never held back waiting for a sign that may never come.
const (
	oomExitCode = 137
	// oomRecheck is when a pass looks at a plain exit 137 again, for an OOM flag that Docker sets late.
	oomRecheck = time.Second
	// oomKeep is how long an oom event is remembered for the exit it belongs to.
	oomKeep = time.Minute
)

// noteOOM remembers Docker's oom event for a Docker container (called by the event watcher, which then wakes the
// container's worker). Entries older than oomKeep are dropped.
func (m *Manager) noteOOM(dockerID string) {
	now := time.Now()
	m.oomSeen.Range(func(k, v any) bool {
		if now.Sub(v.(time.Time)) > oomKeep {
			m.oomSeen.Delete(k)
		}
		return true
	})
	m.oomSeen.Store(dockerID, now)
}

// withOOM returns info with OOMKilled set when Docker's oom event for that Docker container has been seen.
func (m *Manager) withOOM(info *docker.ContainerInfo) *docker.ContainerInfo {
	if info.OOMKilled || info.Running || info.Paused {
		return info
	}
	t, ok := m.oomSeen.Load(info.ID)
	if !ok || time.Since(t.(time.Time)) > oomKeep {
		return info
	}
	fresh := *info
	fresh.OOMKilled = true
	return &fresh
}

// amendOOM turns an exit already reported as a crash into oom_killed once Docker says the container ran out of
// memory, with the OOM flag, the message and a timeline event; the save publishes it on the live channel.
func (p *pass) amendOOM(ctx context.Context, info *docker.ContainerInfo) {
	m, c := p.m, p.c
	if !info.OOMKilled || c.OOMKilled || c.StateReason != "crashed" || c.ExitCode == nil || *c.ExitCode != info.ExitCode {
		return
	}
	m.oomSeen.Delete(info.ID)
	what := fmt.Sprintf("killed for running out of memory (exit code %d)", info.ExitCode)
	if info.Error != "" {
		what += ": " + info.Error
	}
	c.OOMKilled, c.StateReason, c.StateMessage = true, "oom_killed", what
	m.event(ctx, c.UUID, store.LevelError, "", "the exit was an OOM kill: %s", what)
	m.timeline(ctx, c, "", "container_oom", store.StatusFailed, c.Title+" "+what,
		map[string]any{"exit_code": info.ExitCode, "oom_killed": true})
}
