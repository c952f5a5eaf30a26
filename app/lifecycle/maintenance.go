package lifecycle

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/bihealth/kiosc/app/docker"
	"github.com/bihealth/kiosc/app/store"
	"github.com/bihealth/kiosc/app/units"
)

// Maintenance tasks (spec section 13). Each goes through the containers' workers, so the recorded state never
// races with a start, stop or delete in progress.
const (
	// TaskCleanupUnused removes this instance's networks no container uses and dangling images (also daily).
	TaskCleanupUnused = "cleanup-unused"
	// TaskRemoveStopped removes Docker containers stopped longer than KIOSC_REMOVE_STOPPED_AFTER (also every sweep).
	TaskRemoveStopped = "remove-stopped"
	// TaskStopAll stops every kiosc container (state_reason maintenance).
	TaskStopAll = "stop-all"
	// TaskStopIdle runs the idle and lifetime sweep now (also every sweep).
	TaskStopIdle = "stop-idle"
)

// Tasks lists the maintenance tasks in the order admins see them.
var Tasks = []string{TaskCleanupUnused, TaskRemoveStopped, TaskStopAll, TaskStopIdle}

// ErrUnknownTask is returned for a maintenance task name that does not exist.
var ErrUnknownTask = errors.New("unknown maintenance task")

// ErrDockerUnavailable wraps failures to list the Docker host's objects.
var ErrDockerUnavailable = errors.New("Docker engine unreachable")

// CleanupInterval is how often cleanup-unused runs by itself.
const CleanupInterval = 24 * time.Hour

// Settings keys of the maintenance schedule and history.
const (
	settingCleanupDue   = "maintenance_cleanup_unused_due"
	settingLastRunStart = "maintenance_last_run_"
)

// InventoryDocker is what the admin overview and maintenance need from the engine beyond Docker (implemented by
// *docker.Client).
type InventoryDocker interface {
	Inventory(ctx context.Context) (*docker.Inventory, error)
	RemoveNetwork(ctx context.Context, id string) error
	RemoveImage(ctx context.Context, id string) error
}

// inventory returns the engine's inventory calls, or an error when the configured client has none.
func (m *Manager) inventory() (InventoryDocker, error) {
	inv, ok := m.dk.(InventoryDocker)
	if !ok {
		return nil, errors.New("the Docker client cannot list the host's objects")
	}
	return inv, nil
}

// ContainerRef names a kiosc container (the user of a Docker object).
type ContainerRef struct {
	UUID         string `json:"uuid"`
	Title        string `json:"title"`
	Project      string `json:"project"`
	ProjectTitle string `json:"project_title"`
}

// KnownContainer is a container kiosc has a record of, with what Docker says about it.
type KnownContainer struct {
	ContainerRef
	Image        string      `json:"image"`
	State        store.State `json:"state"`
	StateReason  string      `json:"state_reason"`
	DesiredState store.State `json:"desired_state"`
	DockerID     *string     `json:"docker_id"`
	DockerName   string      `json:"docker_name"`
	// DockerState is Docker's state (running, exited, ...), "missing" when the Docker container kiosc expects is
	// gone, or "none" when the record has no Docker container (never started, or removed on purpose).
	DockerState  string   `json:"docker_state"`
	DockerStatus string   `json:"docker_status"`
	Missing      bool     `json:"missing"`
	Networks     []string `json:"networks"`
}

// DockerContainer is a Docker container without a kiosc record of this instance.
type DockerContainer struct {
	ID      string    `json:"id"`
	Name    string    `json:"name"`
	Image   string    `json:"image"`
	State   string    `json:"state"`
	Status  string    `json:"status"`
	Created time.Time `json:"created"`
	// KioscInstance is set when another kiosc instance manages the container; KioscContainer is its kiosc uuid.
	KioscInstance  string   `json:"kiosc_instance"`
	KioscContainer string   `json:"kiosc_container"`
	Networks       []string `json:"networks"`
}

// DockerNetwork is a network with the kiosc containers attached to it.
type DockerNetwork struct {
	ID       string    `json:"id"`
	Name     string    `json:"name"`
	Driver   string    `json:"driver"`
	Scope    string    `json:"scope"`
	Internal bool      `json:"internal"`
	Created  time.Time `json:"created"`
	// Kiosc is true for networks this instance created (its apps network, and one per container in private-bridges
	// mode).
	Kiosc bool `json:"kiosc"`
	// Shared is true for this instance's apps network, which every container shares in default-bridge mode.
	Shared        bool   `json:"shared"`
	KioscInstance string `json:"kiosc_instance"`
	// DockerContainers counts every container attached, kiosc's or not.
	DockerContainers int            `json:"docker_containers"`
	Containers       []ContainerRef `json:"containers"`
}

// DockerVolume is a volume with the kiosc containers that mount it.
type DockerVolume struct {
	Name             string         `json:"name"`
	Driver           string         `json:"driver"`
	Mountpoint       string         `json:"mountpoint"`
	Created          *time.Time     `json:"created"`
	DockerContainers int            `json:"docker_containers"`
	Containers       []ContainerRef `json:"containers"`
}

// DockerImage is a local image with the kiosc containers that run it or are configured with it.
type DockerImage struct {
	ID               string         `json:"id"`
	Tags             []string       `json:"tags"`
	Size             int64          `json:"size"`
	Created          time.Time      `json:"created"`
	Dangling         bool           `json:"dangling"`
	DockerContainers int            `json:"docker_containers"`
	Containers       []ContainerRef `json:"containers"`
}

// DockerOverview is the Docker host as kiosc sees it (GET /api/v1/admin/docker).
type DockerOverview struct {
	Instance   string           `json:"instance"`
	Containers []KnownContainer `json:"containers"`
	// Orphaned are Docker containers labelled for this instance without a record; the next resync removes them.
	Orphaned  []DockerContainer `json:"orphaned"`
	Unmanaged []DockerContainer `json:"unmanaged"`
	Networks  []DockerNetwork   `json:"networks"`
	Volumes   []DockerVolume    `json:"volumes"`
	Images    []DockerImage     `json:"images"`
}

// DockerOverview lists every container kiosc knows with its Docker state, the Docker containers it does not
// manage, and the networks, volumes and images with the kiosc containers that use them. It reads the database and
// makes one list call per kind of Docker object.
func (m *Manager) DockerOverview(ctx context.Context) (*DockerOverview, error) {
	dk, err := m.inventory()
	if err != nil {
		return nil, err
	}
	records, _, err := m.st.ListContainers(ctx, store.ContainerFilter{})
	if err != nil {
		return nil, err
	}
	titles, err := m.projectTitles(ctx)
	if err != nil {
		return nil, err
	}
	inv, err := dk.Inventory(ctx)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrDockerUnavailable, err)
	}
	ref := func(c *store.Container) ContainerRef {
		return ContainerRef{UUID: c.UUID, Title: c.Title, Project: c.ProjectUUID, ProjectTitle: titles[c.ProjectUUID]}
	}
	byUUID := map[string]*store.Container{}
	for _, c := range records {
		byUUID[c.UUID] = c
	}
	ours := map[string][]docker.ContainerItem{} // kiosc uuid → this instance's Docker containers
	users := map[string]ContainerRef{}          // Docker ID → kiosc container
	out := &DockerOverview{Instance: m.o.InstanceID, Containers: []KnownContainer{}, Orphaned: []DockerContainer{},
		Unmanaged: []DockerContainer{}, Networks: []DockerNetwork{}, Volumes: []DockerVolume{}, Images: []DockerImage{}}
	for _, d := range inv.Containers {
		dc := DockerContainer{ID: d.ID, Name: d.Name, Image: d.Image, State: d.State, Status: d.Status, Created: d.Created,
			Networks: nonNil(d.Networks)}
		if d.Labels[LabelInstance] == m.o.InstanceID {
			id := d.Labels[LabelContainer]
			if c := byUUID[id]; c != nil {
				ours[id] = append(ours[id], d)
				users[d.ID] = ref(c)
				continue
			}
			dc.KioscInstance, dc.KioscContainer = m.o.InstanceID, id
			out.Orphaned = append(out.Orphaned, dc)
			continue
		}
		if d.Labels[LabelManaged] == "true" {
			dc.KioscInstance, dc.KioscContainer = d.Labels[LabelInstance], d.Labels[LabelContainer]
		}
		out.Unmanaged = append(out.Unmanaged, dc)
	}
	for _, c := range records {
		k := KnownContainer{ContainerRef: ref(c), Image: c.Image, State: c.State, StateReason: c.StateReason,
			DesiredState: c.DesiredState, DockerID: optStr(c.DockerID), DockerState: "none", Networks: []string{}}
		list := ours[c.UUID]
		i := slices.IndexFunc(list, func(d docker.ContainerItem) bool { return d.ID == c.DockerID })
		if i < 0 && len(list) > 0 {
			i = 0
		}
		switch {
		case i >= 0:
			d := list[i]
			k.DockerID, k.DockerName, k.DockerState, k.DockerStatus, k.Networks = &d.ID, d.Name, d.State, d.Status, nonNil(d.Networks)
		case c.DockerID != "" || c.State == store.StateNotFound:
			k.DockerState, k.Missing = "missing", true
		}
		out.Containers = append(out.Containers, k)
	}
	for _, n := range inv.Networks {
		ours := n.Labels[LabelInstance] == m.o.InstanceID
		dn := DockerNetwork{ID: n.ID, Name: n.Name, Driver: n.Driver, Scope: n.Scope, Internal: n.Internal, Created: n.Created,
			Kiosc: ours, Shared: ours && n.Labels[LabelNetwork] == NetworkApps, Containers: []ContainerRef{}}
		if n.Labels[LabelManaged] == "true" {
			dn.KioscInstance = n.Labels[LabelInstance]
		}
		for _, d := range inv.Containers {
			if slices.Contains(d.NetworkIDs, n.ID) || (len(d.NetworkIDs) == 0 && slices.Contains(d.Networks, n.Name)) {
				dn.DockerContainers++
				if r, ok := users[d.ID]; ok {
					dn.Containers = append(dn.Containers, r)
				}
			}
		}
		out.Networks = append(out.Networks, dn)
	}
	for _, v := range inv.Volumes {
		dv := DockerVolume{Name: v.Name, Driver: v.Driver, Mountpoint: v.Mountpoint, Containers: []ContainerRef{}}
		if !v.Created.IsZero() {
			dv.Created = &v.Created
		}
		for _, d := range inv.Containers {
			if slices.Contains(d.Volumes, v.Name) {
				dv.DockerContainers++
				if r, ok := users[d.ID]; ok {
					dv.Containers = append(dv.Containers, r)
				}
			}
		}
		out.Volumes = append(out.Volumes, dv)
	}
	for _, im := range inv.Images {
		di := DockerImage{ID: im.ID, Tags: nonNil(im.Tags), Size: im.Size, Created: im.Created, Dangling: im.Dangling,
			Containers: []ContainerRef{}}
		seen := map[string]bool{}
		for _, d := range inv.Containers {
			if d.ImageID == im.ID {
				di.DockerContainers++
				if r, ok := users[d.ID]; ok && !seen[r.UUID] {
					seen[r.UUID] = true
					di.Containers = append(di.Containers, r)
				}
			}
		}
		// Containers configured with the image but without a Docker container (stopped and removed, never started).
		for _, c := range records {
			if !seen[c.UUID] && len(ours[c.UUID]) == 0 && slices.Contains(di.Tags, normalizeRef(c.Image)) {
				seen[c.UUID] = true
				di.Containers = append(di.Containers, ref(c))
			}
		}
		out.Images = append(out.Images, di)
	}
	return out, nil
}

// projectTitles maps project uuids to titles.
func (m *Manager) projectTitles(ctx context.Context) (map[string]string, error) {
	ps, err := m.st.ListProjects(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(ps))
	for _, p := range ps {
		out[p.UUID] = p.Title
	}
	return out, nil
}

// normalizeRef writes an image reference the way Docker lists its tags: the default registry and library
// namespace dropped, ":latest" added when no tag or digest is given.
func normalizeRef(ref string) string {
	ref = strings.TrimPrefix(ref, "docker.io/")
	ref = strings.TrimPrefix(ref, "library/")
	if strings.Contains(ref, "@") {
		return ref
	}
	if i := strings.LastIndex(ref, ":"); i < 0 || strings.Contains(ref[i:], "/") {
		ref += ":latest"
	}
	return ref
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// MaintenanceItem is one object a maintenance task acted on.
type MaintenanceItem struct {
	Kind    string `json:"kind"` // container, network or image
	ID      string `json:"id"`   // the container's uuid, or the Docker ID of a network or image
	Name    string `json:"name"` // the container's title, the network's name, the image's tags (or short ID)
	Project string `json:"project,omitempty"`
	// State and Reason are the container's state when the task answered.
	State  store.State `json:"state,omitempty"`
	Reason string      `json:"reason,omitempty"`
	Size   int64       `json:"size,omitempty"`
	Error  string      `json:"error,omitempty"`
}

// MaintenanceResult is what a maintenance task did.
type MaintenanceResult struct {
	Task       string            `json:"task"`
	User       string            `json:"user"`
	StartedAt  time.Time         `json:"started_at"`
	FinishedAt time.Time         `json:"finished_at"`
	Count      int               `json:"count"`  // objects acted on successfully
	Failed     int               `json:"failed"` // objects the task could not act on (their items carry the error)
	Summary    string            `json:"summary"`
	Items      []MaintenanceItem `json:"items"`
}

// MaintenanceTask describes a task, its schedule and its last run.
type MaintenanceTask struct {
	Name        string             `json:"name"`
	Description string             `json:"description"`
	Schedule    string             `json:"schedule"`
	NextRun     *time.Time         `json:"next_run"`
	LastRun     *MaintenanceResult `json:"last_run"`
}

// MaintenanceTasks describes every task with its schedule and last run.
func (m *Manager) MaintenanceTasks(ctx context.Context) ([]MaintenanceTask, error) {
	out := make([]MaintenanceTask, 0, len(Tasks))
	for _, name := range Tasks {
		t := MaintenanceTask{Name: name}
		switch name {
		case TaskCleanupUnused:
			t.Description = "Remove the Docker networks kiosc created that no container uses any more (the network all apps " +
				"share in default-bridge mode stays), and dangling images (untagged images no container uses)."
			t.Schedule = "daily"
			if v, err := m.st.GetSetting(ctx, settingCleanupDue); err == nil {
				if due, err := time.Parse(time.RFC3339Nano, v); err == nil {
					t.NextRun = &due
				}
			}
		case TaskRemoveStopped:
			t.Description = "Remove the Docker containers of apps stopped longer than KIOSC_REMOVE_STOPPED_AFTER. " +
				"Their records stay (state deleted) and can be started again."
			if m.o.RemoveStoppedAfter > 0 {
				t.Schedule = fmt.Sprintf("every %s, for containers stopped longer than %s", humanDuration(m.o.SweepInterval),
					humanDuration(m.o.RemoveStoppedAfter))
			} else {
				t.Schedule = "never (KIOSC_REMOVE_STOPPED_AFTER is 0)"
			}
		case TaskStopAll:
			t.Description = "Stop every running kiosc app, e.g. before maintenance of the Docker host. " +
				"They show as stopped with the reason maintenance and start again when opened."
			t.Schedule = "on demand only"
		case TaskStopIdle:
			t.Description = "Stop the apps idle longer than their maximum idle time or running longer than their maximum " +
				"lifetime, now instead of at the next sweep."
			t.Schedule = "every " + humanDuration(m.o.SweepInterval)
			if m.o.MaxIdle > 0 {
				t.Schedule += ", site maximum idle time " + humanDuration(m.o.MaxIdle)
			}
		}
		if v, err := m.st.GetSetting(ctx, settingLastRunStart+name); err == nil {
			var r MaintenanceResult
			if json.Unmarshal([]byte(v), &r) == nil {
				t.LastRun = &r
			}
		} else if !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

// RunMaintenance runs one task by name as user and records it in the timeline; ErrUnknownTask for a name that
// is not a task.
func (m *Manager) RunMaintenance(ctx context.Context, user *store.User, task string) (*MaintenanceResult, error) {
	var run func(context.Context, *store.User, *MaintenanceResult) error
	switch task {
	case TaskCleanupUnused:
		run = m.cleanupUnused
	case TaskRemoveStopped:
		run = m.removeStoppedNow
	case TaskStopAll:
		run = m.stopAll
	case TaskStopIdle:
		run = m.stopIdle
	default:
		return nil, fmt.Errorf("%w %q (tasks: %s)", ErrUnknownTask, task, strings.Join(Tasks, ", "))
	}
	r := &MaintenanceResult{Task: task, User: user.Username, StartedAt: time.Now().UTC(), Items: []MaintenanceItem{}}
	err := run(ctx, user, r)
	r.FinishedAt = time.Now().UTC()
	for _, it := range r.Items {
		if it.Error != "" {
			r.Failed++
		} else {
			r.Count++
		}
	}
	if err != nil {
		r.Summary = task + " failed: " + err.Error()
	}
	m.recordMaintenance(ctx, r, err)
	return r, err
}

// CleanupUnused runs cleanup-unused.
func (m *Manager) CleanupUnused(ctx context.Context, user *store.User) (*MaintenanceResult, error) {
	return m.RunMaintenance(ctx, user, TaskCleanupUnused)
}

// RemoveStopped runs remove-stopped.
func (m *Manager) RemoveStopped(ctx context.Context, user *store.User) (*MaintenanceResult, error) {
	return m.RunMaintenance(ctx, user, TaskRemoveStopped)
}

// StopAll runs stop-all.
func (m *Manager) StopAll(ctx context.Context, user *store.User) (*MaintenanceResult, error) {
	return m.RunMaintenance(ctx, user, TaskStopAll)
}

// StopIdle runs stop-idle.
func (m *Manager) StopIdle(ctx context.Context, user *store.User) (*MaintenanceResult, error) {
	return m.RunMaintenance(ctx, user, TaskStopIdle)
}

// recordMaintenance writes the site-wide timeline event of a run and keeps the run as the task's last.
func (m *Manager) recordMaintenance(ctx context.Context, r *MaintenanceResult, err error) {
	ctx = context.WithoutCancel(ctx)
	status := store.StatusOK
	if err != nil || r.Failed > 0 {
		status = store.StatusFailed
	}
	items := make([]map[string]any, 0, len(r.Items))
	for _, it := range r.Items {
		e := map[string]any{"kind": it.Kind, "id": it.ID, "name": it.Name}
		if it.Error != "" {
			e["error"] = it.Error
		}
		items = append(items, e)
	}
	if m.tl != nil {
		m.tl.Record(ctx, &store.TimelineEvent{Username: r.User, EventName: "maintenance_" + strings.ReplaceAll(r.Task, "-", "_"),
			Description: "maintenance " + r.Task + ": " + r.Summary, Status: status, ObjectType: "maintenance",
			ExtraData: map[string]any{"task": r.Task, "count": r.Count, "failed": r.Failed, "items": items}})
	}
	b, _ := json.Marshal(r)
	if e := m.st.UpdateSetting(ctx, settingLastRunStart+r.Task, string(b)); e != nil {
		m.log.Error("maintenance: store last run", "task", r.Task, "err", e)
	}
	m.log.Info("maintenance", "task", r.Task, "user", r.User, "count", r.Count, "failed", r.Failed, "err", err)
}

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
		err := m.stopQuiet(ctx, user, c.UUID, "maintenance")
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

// workerIdle reports whether the container's worker has nothing left to do: no pass running or due, no job
// waiting and no removal asked for.
func (m *Manager) workerIdle(uuid string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	w := m.workers[uuid]
	return w == nil || (!w.running && len(w.jobs) == 0 && !w.removeStopped)
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

// scheduledMaintenance runs cleanup-unused once a day (called by every sweep). The due time is kept in the
// database, so restarts of kiosc neither skip nor repeat a run; the first run is a day after the first start.
func (m *Manager) scheduledMaintenance(ctx context.Context, now time.Time) {
	v, err := m.st.GetSetting(ctx, settingCleanupDue)
	if errors.Is(err, store.ErrNotFound) {
		_ = m.st.UpdateSetting(ctx, settingCleanupDue, now.Add(CleanupInterval).UTC().Format(time.RFC3339Nano))
		return
	}
	if err != nil {
		return
	}
	if due, err := time.Parse(time.RFC3339Nano, v); err == nil && now.Before(due) {
		return
	}
	// The next due time is written first, so a failing run is retried tomorrow, not at every sweep.
	if err := m.st.UpdateSetting(ctx, settingCleanupDue, now.Add(CleanupInterval).UTC().Format(time.RFC3339Nano)); err != nil {
		m.log.Error("maintenance: schedule", "err", err)
		return
	}
	if _, err := m.RunMaintenance(ctx, &store.User{Username: store.SystemUser}, TaskCleanupUnused); err != nil && ctx.Err() == nil {
		m.log.Warn("scheduled cleanup-unused failed", "err", err)
	}
}

// humanDuration writes a duration in its largest whole unit ("7 days", "8 h", "30 s"), else Go's form.
func humanDuration(d time.Duration) string {
	switch {
	case d >= 24*time.Hour && d%(24*time.Hour) == 0:
		n := int(d / (24 * time.Hour))
		return fmt.Sprintf("%d %s", n, plural(n, "day"))
	case d >= time.Hour && d%time.Hour == 0:
		return fmt.Sprintf("%d h", d/time.Hour)
	case d >= time.Minute && d%time.Minute == 0:
		return fmt.Sprintf("%d min", d/time.Minute)
	case d >= time.Second && d%time.Second == 0:
		return fmt.Sprintf("%d s", d/time.Second)
	}
	return d.String()
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}
