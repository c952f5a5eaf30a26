package lifecycle

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/bihealth/kiosc/app/docker"
	"github.com/bihealth/kiosc/app/store"
)

// watchEvents follows Docker's container events for this instance and wakes the containers' workers. It reconnects
// with backoff, asking for the events since the last one seen, and resyncs after a reconnect to close any gap.
func (m *Manager) watchEvents(ready chan<- struct{}) {
	var since time.Time
	failures := 0
	first := true
	for m.ctx.Err() == nil {
		connectedAt := time.Now()
		evc, errc := m.dk.Events(m.ctx, since, LabelInstance+"="+m.o.InstanceID)
		if first {
			close(ready)
			first = false
		} else {
			go m.Resync(m.ctx, false)
		}
		for e := range evc {
			failures = 0
			since = e.Time
			if id := e.Labels[LabelContainer]; id != "" {
				switch e.Action {
				case "oom":
					// Engine 20.10 does not always set State.OOMKilled; the oom event is the reliable sign.
					m.noteOOM(e.ContainerID)
				case "die":
					m.noteDie(e)
				case "kill":
					m.noteSigterm(e)
				}
				if changesState(e.Action) {
					m.kick(id, false)
				}
			}
		}
		err := <-errc
		if m.ctx.Err() != nil {
			return
		}
		m.streamEnded()
		if since.IsZero() {
			since = connectedAt
		}
		failures++
		delay := backoff(500*time.Millisecond, failures)
		delay = min(delay, 30*time.Second)
		m.log.Warn("Docker event stream ended; reconnecting", "err", err, "in", delay)
		select {
		case <-m.ctx.Done():
			return
		case <-time.After(delay):
		}
	}
}

// Resync compares every container kiosc knows with what Docker has (one list call) and wakes the workers of those
// that diverge; with all set it wakes every worker (used at startup, for adoption). Docker containers of this
// instance without a record are orphans and are removed.
func (m *Manager) Resync(ctx context.Context, all bool) {
	records, _, err := m.st.ListContainers(ctx, store.ContainerFilter{})
	if err != nil {
		if ctx.Err() == nil {
			m.log.Error("resync: list containers", "err", err)
		}
		return
	}
	list, err := m.dk.List(ctx, LabelInstance+"="+m.o.InstanceID)
	if err != nil {
		if ctx.Err() != nil {
			return
		}
		if docker.IsUnreachable(err) {
			m.noteDown(time.Now())
		}
		if !m.down.Swap(true) {
			m.log.Error("Docker unreachable", "err", err)
		}
		for _, c := range records {
			if c.DockerID != "" && c.State != store.StateUnknown {
				m.kick(c.UUID, false)
			}
		}
		return
	}
	m.removeStaleHelpers(ctx, list)
	m.noteUp()
	byUUID := map[string][]string{}
	states := map[string]string{}
	for _, s := range list {
		id := s.Labels[LabelContainer]
		byUUID[id] = append(byUUID[id], s.ID)
		states[s.ID] = s.State
	}
	known := map[string]bool{}
	for _, c := range records {
		known[c.UUID] = true
		ids := byUUID[c.UUID]
		diverges := all || len(ids) > 1 || c.State == store.StateUnknown || c.State == store.StateDeleting ||
			(len(ids) == 0 && c.DockerID != "") ||
			(len(ids) == 1 && (ids[0] != c.DockerID || states[ids[0]] != c.DockerState)) ||
			(c.DesiredState == store.StateRunning && c.State != store.StateRunning && !slices.Contains(transitional, c.State) &&
				c.State != store.StateExited) ||
			// A stop Docker refused leaves the record stopping: the resync asks again until Docker agrees.
			(c.DesiredState == store.StateStopped && slices.Contains([]store.State{store.StateRunning, store.StateStarting, store.StatePaused,
				store.StateStopping}, c.State))
		if diverges {
			m.kick(c.UUID, false)
		}
	}
	for id, ids := range byUUID {
		if known[id] || id == "" {
			continue
		}
		// Only remove after re-checking the record: it may have been created since the list was read.
		if _, err := m.st.GetContainer(ctx, id); !errors.Is(err, store.ErrNotFound) {
			continue
		}
		for _, did := range ids {
			if err := m.dk.Remove(ctx, did); err != nil {
				m.log.Error("remove orphaned container", "docker_id", did, "err", err)
				continue
			}
			m.log.Warn("removed orphaned Docker container", "container", id, "docker_id", did)
			if m.tl != nil {
				m.tl.Record(ctx, &store.TimelineEvent{Username: store.SystemUser, EventName: "container_orphan_removed",
					Description: "removed Docker container " + did[:12] + " of a container kiosc no longer has", Status: store.StatusInfo,
					ObjectType: "container", ObjectUUID: id, ExtraData: map[string]any{"docker_id": did}})
			}
		}
		_ = m.dk.RemoveNetworks(ctx, LabelContainer+"="+id)
	}
}

// checkNetworkMode compares the configured network mode with the stored one; on a change every container that
// should run is recreated in the new mode.
func (m *Manager) checkNetworkMode(ctx context.Context) error {
	stored, err := m.st.GetSetting(ctx, store.SettingNetworkMode)
	if errors.Is(err, store.ErrNotFound) {
		return m.st.UpdateSetting(ctx, store.SettingNetworkMode, m.o.NetworkMode)
	}
	if err != nil || stored == m.o.NetworkMode {
		return err
	}
	records, _, err := m.st.ListContainers(ctx, store.ContainerFilter{})
	if err != nil {
		return err
	}
	n := 0
	m.mu.Lock()
	for _, c := range records {
		if c.DesiredState == store.StateRunning && c.DockerID != "" {
			m.worker(c.UUID).recreate = true
			n++
		}
	}
	m.mu.Unlock()
	m.log.Info("network mode changed; restarting running containers", "from", stored, "to", m.o.NetworkMode, "containers", n)
	if m.tl != nil {
		m.tl.Record(ctx, &store.TimelineEvent{Username: store.SystemUser, EventName: "network_mode_change", Status: store.StatusInfo,
			Description: "network mode changed from " + stored + " to " + m.o.NetworkMode + "; running containers are restarted",
			ExtraData:   map[string]any{"from": stored, "to": m.o.NetworkMode, "containers": n}})
	}
	for _, c := range records {
		if c.DesiredState == store.StateRunning && c.DockerID != "" {
			m.event(ctx, c.UUID, store.LevelInfo, "", "restarting: network mode changed from %s to %s", stored, m.o.NetworkMode)
			m.timeline(ctx, c, "", "container_restart", store.StatusInfo, "restart of "+c.Title+" for the new network mode", nil)
		}
	}
	return m.st.UpdateSetting(ctx, store.SettingNetworkMode, m.o.NetworkMode)
}
