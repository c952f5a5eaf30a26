package lifecycle

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/bihealth/kiosc/app/docker"
	"github.com/bihealth/kiosc/app/store"
)

// Docker sends a container's die event (with its exit code) before it releases the container's network and mounts,
// and it answers inspects of the container only after that clean-up, 100 ms or more later on a busy host. The pass
// that the die event wakes records the exit from the event at once, and then inspects as usual, which fills in the
// rest (Docker's exact times, the OOM flag).

// dieEvent is what a die event says.
type dieEvent struct {
	code int
	at   time.Time
}

// dieKeep is how long a die event waits for its container's pass.
const dieKeep = time.Minute

// noteDie remembers a die event for the pass it wakes. Entries older than dieKeep are dropped.
func (m *Manager) noteDie(e docker.Event) {
	code, err := strconv.Atoi(e.ExitCode)
	if err != nil || e.ContainerID == "" {
		return
	}
	now := time.Now()
	m.dies.Range(func(k, v any) bool {
		if now.Sub(v.(dieEvent).at) > dieKeep {
			m.dies.Delete(k)
		}
		return true
	})
	m.dies.Store(e.ContainerID, dieEvent{code: code, at: e.Time})
}

// observeDie records the exit of the record's Docker container from its die event, if one came since the container
// was last seen running.
func (p *pass) observeDie(ctx context.Context) error {
	c := p.c
	if c.DockerID == "" {
		return nil
	}
	v, ok := p.m.dies.LoadAndDelete(c.DockerID)
	if !ok {
		return nil
	}
	d := v.(dieEvent)
	if !slices.Contains([]store.State{store.StateRunning, store.StateStarting, store.StatePaused, store.StateStopping}, c.State) ||
		(c.StartedAt != nil && !d.at.After(*c.StartedAt)) {
		// Stopped by kiosc itself, or a die of an earlier run: the inspect tells.
		return nil
	}
	return p.observe(ctx, &docker.ContainerInfo{ID: c.DockerID, Status: "exited", ExitCode: d.code, FinishedAt: d.at})
}

// changesState reports whether a container event can change what kiosc records. Signals (kill: the die follows if
// the container exits), execs, attaches and the like do not; waking the worker for them would start a pass that then
// waits in an inspect while Docker cleans up after the exit, and hold back the pass of the die event behind it.
func changesState(action string) bool {
	switch {
	case strings.HasPrefix(action, "exec_"), strings.HasPrefix(action, "health_status"):
		return false
	}
	switch action {
	case "kill", "attach", "detach", "resize", "top", "copy", "export", "commit", "archive-path", "extract-to-dir":
		return false
	}
	return true
}
