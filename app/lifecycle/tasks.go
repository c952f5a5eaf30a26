package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/bihealth/kiosc/app/docker"
	"github.com/bihealth/kiosc/app/store"
	"github.com/bihealth/kiosc/app/units"
)

// up are the states in which a container runs or is on its way to running.
var up = []store.State{store.StateRunning, store.StateStarting, store.StatePulling, store.StateCreating, store.StatePaused,
	store.StateStopping}

// stopAll stops every container that runs or should run, with state_reason maintenance.
func (m *Manager) stopAll(ctx context.Context, user *store.User, r *MaintenanceResult) error {
	records, _, err := m.st.ListContainers(ctx, store.ContainerFilter{})
	if err != nil {
		return err
	}
	var asked []*store.Container
	for _, c := range records {
		if c.State == store.StateDeleting || (c.DesiredState == store.StateStopped && !slices.Contains(up, c.State)) {
			continue
		}
		err := m.stopQuiet(ctx, user, c.UUID, "maintenance", nil)
		switch {
		case errors.Is(err, errGone):
			continue
		case err != nil:
			m.event(ctx, c.UUID, store.LevelError, user.Username, "could not ask to stop for maintenance (stop-all): %v", err)
			m.timeline(ctx, c, user.Username, "container_maintenance_stop", store.StatusFailed,
				"could not stop "+c.Title+" for maintenance: "+err.Error(), map[string]any{"task": TaskStopAll, "error": err.Error()})
			r.Items = append(r.Items, MaintenanceItem{Kind: "container", ID: c.UUID, Name: c.Title, Project: c.ProjectUUID,
				State: c.State, Reason: c.StateReason, Error: "stop not requested: " + err.Error()})
			continue
		}
		m.event(ctx, c.UUID, store.LevelInfo, user.Username, "stopping for maintenance (stop-all)")
		m.timeline(ctx, c, user.Username, "container_maintenance_stop", store.StatusOK, "stopping "+c.Title+" for maintenance",
			map[string]any{"task": TaskStopAll})
		asked = append(asked, c)
	}
	n := m.settle(ctx, r, user, asked, func(*store.Container) string { return "container_maintenance_stop" }, stopped)
	r.Summary = fmt.Sprintf("stopped %d %s", n, plural(n, "container"))
	if f := len(r.Items) - n; f > 0 {
		r.Summary += fmt.Sprintf(", %d not stopped", f)
	}
	return nil
}

// stopped is the outcome of a stop for settle: "" once the container no longer runs, else why it is not stopped.
func stopped(c *store.Container) string {
	switch {
	case !slices.Contains(up, c.State):
		return ""
	case c.DesiredState != store.StateStopped:
		return "not stopped: asked to run again meanwhile (now " + string(c.State) + ")"
	}
	return stillIn(c)
}

// stillIn describes a container that is not where a task wanted it ("still stopping: stop failed: ...").
func stillIn(c *store.Container) string {
	s := "still " + string(c.State)
	if c.StateMessage != "" {
		s += ": " + c.StateMessage
	}
	return s
}

// stopIdle runs the idle and lifetime sweep now.
func (m *Manager) stopIdle(ctx context.Context, user *store.User, r *MaintenanceResult) error {
	m.flushActivity(ctx)
	records, _, err := m.st.ListContainers(ctx, store.ContainerFilter{})
	if err != nil {
		return err
	}
	now := time.Now()
	var asked []*store.Container
	events := map[string]string{}
	for _, c := range records {
		if c.State != store.StateRunning || c.DesiredState != store.StateRunning {
			continue
		}
		reason, err := m.sweepRunning(ctx, c, now, user)
		events[c.UUID] = sweepEvents[reason]
		switch {
		case err != nil:
			r.Items = append(r.Items, MaintenanceItem{Kind: "container", ID: c.UUID, Name: c.Title, Project: c.ProjectUUID,
				State: c.State, Reason: c.StateReason, Error: "stop not requested: " + err.Error()})
		case reason != "":
			asked = append(asked, c)
		}
	}
	n := m.settle(ctx, r, user, asked, func(c *store.Container) string { return events[c.UUID] }, stopped)
	r.Summary = fmt.Sprintf("stopped %d idle %s", n, plural(n, "container"))
	if f := len(r.Items) - n; f > 0 {
		r.Summary += fmt.Sprintf(", %d not stopped", f)
	}
	return nil
}

// removeStoppedNow runs the remove-stopped sweep now.
func (m *Manager) removeStoppedNow(ctx context.Context, user *store.User, r *MaintenanceResult) error {
	if m.o.RemoveStoppedAfter <= 0 {
		r.Summary = "nothing removed: KIOSC_REMOVE_STOPPED_AFTER is 0, so stopped containers are kept"
		return nil
	}
	records, _, err := m.st.ListContainers(ctx, store.ContainerFilter{})
	if err != nil {
		return err
	}
	now := time.Now()
	var asked []*store.Container
	for _, c := range records {
		if m.stoppedTooLong(c, now) {
			m.removeStopped(ctx, c)
			asked = append(asked, c)
		}
	}
	n := m.settle(ctx, r, user, asked, func(*store.Container) string { return "container_remove_stopped" }, func(c *store.Container) string {
		switch {
		case c.State == store.StateDeleted:
			return ""
		case c.DesiredState == store.StateRunning:
			return "not removed: started again meanwhile (now " + string(c.State) + ")"
		}
		return "not removed: " + stillIn(c)
	})
	r.Summary = fmt.Sprintf("removed %d Docker %s stopped longer than %s", n, plural(n, "container"),
		humanDuration(m.o.RemoveStoppedAfter))
	if f := len(r.Items) - n; f > 0 {
		r.Summary += fmt.Sprintf(", %d not removed", f)
	}
	return nil
}

// settle waits (bounded) until the workers have acted on the containers, then lists each with its state and
// returns how many ended as the task wanted. outcome is "" for a container where the task wanted it, else what went
// wrong, which becomes the item's error. A container that was deleted meanwhile is reported as not acted on. A
// container the task did not get where it wanted also gets the timeline event named by event, with status FAILED.
func (m *Manager) settle(ctx context.Context, r *MaintenanceResult, user *store.User, asked []*store.Container,
	event func(c *store.Container) string, outcome func(*store.Container) string) int {
	deadline := time.Now().Add(m.o.StopTimeout + 20*time.Second)
	n := 0
	for _, was := range asked {
		var c *store.Container
		var err error
		for {
			// Whether the worker is idle is read before the record, so a record read after an idle worker is final.
			idle := m.workerIdle(was.UUID)
			c, err = m.st.GetContainer(ctx, was.UUID)
			if err != nil || outcome(c) == "" || idle || time.Now().After(deadline) || ctx.Err() != nil {
				break
			}
			select {
			case <-ctx.Done():
			case <-time.After(100 * time.Millisecond):
			}
		}
		it := MaintenanceItem{Kind: "container", ID: was.UUID, Name: was.Title, Project: was.ProjectUUID}
		switch {
		case errors.Is(err, store.ErrNotFound):
			it.State, it.Error = store.StateDeleting, "deleted meanwhile"
		case err != nil:
			it.Error = "state unknown: " + err.Error()
		case c.State == store.StateDeleting:
			it.State, it.Reason, it.Error = c.State, c.StateReason, "being deleted"
		default:
			it.Name, it.State, it.Reason, it.Error = c.Title, c.State, c.StateReason, outcome(c)
		}
		switch {
		case it.Error == "":
			n++
		case it.State != store.StateDeleting:
			m.timeline(ctx, was, user.Username, event(was), store.StatusFailed, r.Task+": "+was.Title+" "+it.Error,
				map[string]any{"task": r.Task, "error": it.Error})
		}
		r.Items = append(r.Items, it)
	}
	return n
}

// cleanupUnused removes this instance's networks without containers and dangling images no container uses. The
// shared apps network stays while the instance runs in default-bridge mode.
func (m *Manager) cleanupUnused(ctx context.Context, _ *store.User, r *MaintenanceResult) error {
	dk, err := m.inventory()
	if err != nil {
		return err
	}
	inv, err := dk.Inventory(ctx)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrDockerUnavailable, err)
	}
	records, _, err := m.st.ListContainers(ctx, store.ContainerFilter{})
	if err != nil {
		return err
	}
	known := map[string]bool{}
	for _, c := range records {
		known[c.UUID] = true
	}
	netUsed, imageUsed := map[string]bool{}, map[string]bool{}
	for _, d := range inv.Containers {
		for _, id := range d.NetworkIDs {
			netUsed[id] = true
		}
		for _, n := range d.Networks {
			netUsed[n] = true
		}
		imageUsed[d.ImageID] = true
	}
	nets, images, bytes := 0, 0, int64(0)
	for _, n := range inv.Networks {
		if n.Labels[LabelInstance] != m.o.InstanceID || netUsed[n.ID] || netUsed[n.Name] {
			continue
		}
		if n.Labels[LabelNetwork] == NetworkApps && m.o.NetworkMode != NetworkPrivateBridges {
			// Every start in default-bridge mode attaches to it, between its lookup and the container's creation.
			continue
		}
		removed, err := m.removeUnusedNetwork(ctx, dk, n.Labels[LabelContainer], known, n.ID)
		switch {
		case err != nil:
			r.Items = append(r.Items, MaintenanceItem{Kind: "network", ID: n.ID, Name: n.Name, Error: err.Error()})
		case removed:
			nets++
			r.Items = append(r.Items, MaintenanceItem{Kind: "network", ID: n.ID, Name: n.Name})
		}
	}
	for _, im := range inv.Images {
		if !im.Dangling || imageUsed[im.ID] {
			continue
		}
		name := strings.TrimPrefix(im.ID, "sha256:")
		if len(name) > 12 {
			name = name[:12]
		}
		err := dk.RemoveImage(ctx, im.ID)
		switch {
		case errors.Is(err, docker.ErrInUse) || docker.IsNotFound(err):
			// Used by a container created since the list, a child image, or already gone: not unused after all.
		case err != nil:
			r.Items = append(r.Items, MaintenanceItem{Kind: "image", ID: im.ID, Name: name, Size: im.Size, Error: err.Error()})
		default:
			images++
			bytes += im.Size
			r.Items = append(r.Items, MaintenanceItem{Kind: "image", ID: im.ID, Name: name, Size: im.Size})
		}
	}
	r.Summary = fmt.Sprintf("removed %d unused %s and %d dangling %s (%s)", nets, plural(nets, "network"), images,
		plural(images, "image"), units.Bytes(bytes).String())
	return nil
}

// removeUnusedNetwork removes a network of kiosc container uuid unless that container's worker is busy: a start
// creates the network before the container, so the network is only unused when no pass is running. Holding the
// worker's intent lock keeps a new pass from beginning meanwhile.
func (m *Manager) removeUnusedNetwork(ctx context.Context, dk InventoryDocker, uuid string, known map[string]bool, id string) (bool, error) {
	if uuid != "" && known[uuid] {
		m.mu.Lock()
		w := m.worker(uuid)
		m.mu.Unlock()
		w.intent.Lock()
		defer w.intent.Unlock()
		m.mu.Lock()
		busy := w.cancel != nil
		m.mu.Unlock()
		if busy {
			return false, nil
		}
	}
	err := dk.RemoveNetwork(ctx, id)
	if errors.Is(err, docker.ErrInUse) || docker.IsNotFound(err) {
		return false, nil
	}
	return err == nil, err
}

// dueVolumes lists the volume records the remove-volumes task removes at now.
func (m *Manager) dueVolumes(ctx context.Context, now time.Time) ([]*store.Volume, error) {
	recs, err := m.st.ListVolumes(ctx, store.VolumeFilter{})
	if err != nil {
		return nil, err
	}
	var due []*store.Volume
	for _, r := range recs {
		if ra := m.removeAfter(r); ra != nil && !now.Before(*ra) {
			due = append(due, r)
		}
	}
	return due, nil
}

// removeVolumesDue removes the volumes whose time has come: kept volumes of deleted containers past the retention
// time (volume_expire) and removals asked for that Docker refused before (volume_delete). A volume a Docker
// container still mounts stays, reported as not removed.
func (m *Manager) removeVolumesDue(ctx context.Context, user *store.User, r *MaintenanceResult) error {
	due, err := m.dueVolumes(ctx, time.Now())
	if err != nil {
		return err
	}
	n, bytes := 0, int64(0)
	for _, rec := range due {
		event, desc := "volume_expire", fmt.Sprintf("removed %s, kept for %s after its container was deleted", describeVolume(rec),
			humanDuration(m.o.RemoveVolumesAfter))
		if rec.RemoveAfter != nil {
			event, desc = "volume_delete", "removed "+describeVolume(rec)+" (asked for earlier)"
		}
		it := MaintenanceItem{Kind: "volume", ID: rec.DockerName, Name: rec.Name, Project: rec.ProjectUUID}
		if rec.ContainerTitle != "" {
			it.Name += " (" + rec.ContainerTitle + ")"
		}
		if rec.Size != nil {
			it.Size = *rec.Size
		}
		if err := m.removeVolume(ctx, rec, user.Username, event, desc); err != nil {
			m.volumesFailed.Store(rec.DockerName, time.Now())
			it.Error = "not removed: " + err.Error()
			m.volumeTimeline(ctx, rec, user.Username, event, store.StatusFailed, "could not remove "+describeVolume(rec)+": "+err.Error(),
				map[string]any{"task": TaskRemoveVolumes, "error": err.Error()})
		} else {
			m.volumesFailed.Delete(rec.DockerName)
			n++
			bytes += it.Size
		}
		r.Items = append(r.Items, it)
	}
	r.Summary = fmt.Sprintf("removed %d %s (%s)", n, plural(n, "volume"), units.Bytes(bytes).String())
	if f := len(due) - n; f > 0 {
		r.Summary += fmt.Sprintf(", %d not removed", f)
	}
	return nil
}

// sweepVolumes runs remove-volumes when a volume is due (called by every sweep), so that the task and its timeline
// events appear only when it has something to do. A removal that failed is retried by the sweep after an hour.
func (m *Manager) sweepVolumes(ctx context.Context, now time.Time) {
	due, err := m.dueVolumes(ctx, now)
	if err != nil {
		return
	}
	due = slices.DeleteFunc(due, func(v *store.Volume) bool {
		t, failed := m.volumesFailed.Load(v.DockerName)
		return failed && now.Sub(t.(time.Time)) < time.Hour
	})
	if len(due) == 0 {
		return
	}
	if _, err := m.RunMaintenance(ctx, &store.User{Username: store.SystemUser}, TaskRemoveVolumes); err != nil && ctx.Err() == nil {
		m.log.Warn("scheduled remove-volumes failed", "err", err)
	}
}
