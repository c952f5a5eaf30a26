package lifecycle_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	osexec "os/exec"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/bihealth/kiosc/app/docker"
	"github.com/bihealth/kiosc/app/docker/dockertest"
	"github.com/bihealth/kiosc/app/lifecycle"
	"github.com/bihealth/kiosc/app/store"
)

func (e *env) start(c *store.Container) *store.Container {
	e.t.Helper()
	if _, err := e.m.Start(context.Background(), e.user, c.UUID); err != nil {
		e.t.Fatal(err)
	}
	return e.waitState(c.UUID, store.StateRunning)
}

func item(r *lifecycle.MaintenanceResult, id string) *lifecycle.MaintenanceItem {
	for i := range r.Items {
		if r.Items[i].ID == id {
			return &r.Items[i]
		}
	}
	return nil
}

// siteEvent returns the newest site-wide timeline event with this name.
func siteEvent(t *testing.T, e *env, name string) *store.TimelineEvent {
	t.Helper()
	evs, _, err := e.st.ListTimelineEvents(context.Background(), store.TimelineFilter{SiteWide: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range evs {
		if ev.EventName == name {
			return ev
		}
	}
	return nil
}

func TestDockerOverview(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	ctx := context.Background()
	running := e.start(e.create(nil))
	gone := e.start(e.create(nil))
	never := e.create(nil)
	// Removed behind kiosc's back: the record stays, its Docker container is missing.
	if out, err := run("docker", "rm", "-f", gone.DockerID); err != nil {
		t.Fatalf("docker rm: %v %s", err, out)
	}
	e.waitState(gone.UUID, store.StateNotFound)
	other := "other-" + uuid.NewString()
	_, foreignID := dockertest.RunTestApp(t, dockertest.RunOptions{NoWait: true, Labels: map[string]string{
		lifecycle.LabelManaged: "true", lifecycle.LabelInstance: other, lifecycle.LabelContainer: "c-of-" + other}})
	_, plainID := dockertest.RunTestApp(t, dockertest.RunOptions{NoWait: true})
	// The resync removes orphans of its instance within seconds: the overview is read with the reconciler stopped, so
	// the orphan is still there to be shown.
	e.stop()
	_, orphanID := dockertest.RunTestApp(t, dockertest.RunOptions{NoWait: true, Labels: map[string]string{
		lifecycle.LabelManaged: "true", lifecycle.LabelInstance: e.instance, lifecycle.LabelContainer: uuid.NewString()}})

	o, err := e.m.DockerOverview(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if o.Instance != e.instance {
		t.Errorf("instance %q", o.Instance)
	}
	known := map[string]lifecycle.KnownContainer{}
	for _, k := range o.Containers {
		known[k.UUID] = k
	}
	for _, tc := range []struct {
		name    string
		id      string
		docker  string
		missing bool
		state   store.State
	}{
		{"running", running.UUID, "running", false, store.StateRunning},
		{"removed outside kiosc", gone.UUID, "missing", true, store.StateNotFound},
		{"never started", never.UUID, "none", false, store.StateInitial},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k, ok := known[tc.id]
			if !ok {
				t.Fatal("not listed")
			}
			if k.DockerState != tc.docker || k.Missing != tc.missing || k.State != tc.state || k.Project != e.project.UUID ||
				k.ProjectTitle != e.project.Title || k.Title == "" {
				t.Errorf("%+v", k)
			}
		})
	}
	if k := known[running.UUID]; k.DockerID == nil || *k.DockerID != running.DockerID || k.DockerStatus == "" ||
		!strings.HasPrefix(k.DockerName, "kiosc-"+running.UUID[:8]) || !slices.Equal(k.Networks, []string{lifecycle.AppsNetworkName(e.instance)}) {
		t.Errorf("running container's Docker side: %+v", k)
	}
	unmanaged := func(id string) *lifecycle.DockerContainer {
		for i := range o.Unmanaged {
			if o.Unmanaged[i].ID == id {
				return &o.Unmanaged[i]
			}
		}
		return nil
	}
	if u := unmanaged(foreignID); u == nil || u.KioscInstance != other || u.KioscContainer != "c-of-"+other {
		t.Errorf("another instance's container: %+v", u)
	}
	if u := unmanaged(plainID); u == nil || u.KioscInstance != "" || u.Image != e.image {
		t.Errorf("a container kiosc does not manage: %+v", u)
	}
	if unmanaged(running.DockerID) != nil || unmanaged(orphanID) != nil {
		t.Error("this instance's containers listed as unmanaged")
	}
	if !slices.ContainsFunc(o.Orphaned, func(d lifecycle.DockerContainer) bool { return d.ID == orphanID }) {
		t.Errorf("orphan not listed: %+v", o.Orphaned)
	}
	ref := lifecycle.ContainerRef{UUID: running.UUID, Title: running.Title, Project: e.project.UUID, ProjectTitle: e.project.Title}
	i := slices.IndexFunc(o.Images, func(im lifecycle.DockerImage) bool { return slices.Contains(im.Tags, e.image) })
	if i < 0 || !slices.Contains(o.Images[i].Containers, ref) || o.Images[i].DockerContainers < 4 {
		t.Errorf("test image users: %+v", o.Images)
	}
	// The record that never ran is configured with the image, so it counts as a user too.
	if i >= 0 && !slices.ContainsFunc(o.Images[i].Containers, func(r lifecycle.ContainerRef) bool { return r.UUID == never.UUID }) {
		t.Errorf("configured user missing: %+v", o.Images[i].Containers)
	}
	i = slices.IndexFunc(o.Networks, func(n lifecycle.DockerNetwork) bool { return n.Name == lifecycle.AppsNetworkName(e.instance) })
	if i < 0 || !slices.Contains(o.Networks[i].Containers, ref) || !o.Networks[i].Kiosc || !o.Networks[i].Shared {
		t.Errorf("apps network: %+v", o.Networks)
	}
	// Every other network on the engine (Docker's own, other kiosc instances', other tests') is neither this
	// instance's nor used by its app.
	for _, n := range o.Networks {
		if n.Name != lifecycle.AppsNetworkName(e.instance) && (slices.Contains(n.Containers, ref) || n.Kiosc || n.Shared) {
			t.Errorf("network %s taken for this instance's: %+v", n.Name, n)
		}
	}
}

func TestMaintenanceStops(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(o *lifecycle.Options) { o.SweepInterval = time.Hour })
	ctx := context.Background()
	idle := e.start(e.create(map[string]any{"max_idle": 1}))
	busy := e.start(e.create(map[string]any{"max_idle": 3600}))
	stopped := e.create(nil)
	time.Sleep(1500 * time.Millisecond)

	r, err := e.m.StopIdle(ctx, e.user)
	if err != nil {
		t.Fatal(err)
	}
	if it := item(r, idle.UUID); r.Count != 1 || it == nil || it.State != store.StateStopped || it.Reason != "idle" {
		t.Fatalf("stop-idle: %+v", r)
	}
	if c, _ := e.st.GetContainer(ctx, busy.UUID); c.State != store.StateRunning {
		t.Errorf("an app within its idle time was stopped: %+v", c.ContainerState)
	}
	if !hasTimeline(t, e, idle.UUID, "container_idle_stop") || siteEvent(t, e, "maintenance_stop_idle") == nil {
		t.Error("stop-idle not in the timeline")
	}
	// Run by a superuser: the per-container records name them, not the system.
	if evs := timelineOf(t, e, idle.UUID, "container_idle_stop"); len(evs) != 1 || evs[0].Username != e.user.Username ||
		evs[0].Status != store.StatusOK {
		t.Errorf("idle stop's timeline: %+v", evs)
	}
	cevs, _, _ := e.st.ListContainerEvents(ctx, idle.UUID, store.Page{})
	if !slices.ContainsFunc(cevs, func(ev *store.ContainerEvent) bool {
		return strings.HasPrefix(ev.Message, "stopping: idle") && ev.Username == e.user.Username
	}) {
		t.Errorf("idle stop's container event does not name the user: %+v", cevs)
	}

	idle = e.start(idle)
	r, err = e.m.StopAll(ctx, e.user)
	if err != nil {
		t.Fatal(err)
	}
	if r.Task != lifecycle.TaskStopAll || r.User != e.user.Username || r.Count != 2 || r.Failed != 0 || item(r, stopped.UUID) != nil {
		t.Fatalf("stop-all: %+v", r)
	}
	for _, id := range []string{idle.UUID, busy.UUID} {
		c, _ := e.st.GetContainer(ctx, id)
		if it := item(r, id); it == nil || it.State != store.StateStopped || it.Reason != "maintenance" ||
			c.State != store.StateStopped || c.StateReason != "maintenance" || c.DesiredState != store.StateStopped {
			t.Errorf("%s after stop-all: item %+v, record %+v", id, it, c.ContainerState)
		}
		if !hasTimeline(t, e, id, "container_maintenance_stop") {
			t.Errorf("%s: no container_maintenance_stop event", id)
		}
	}
	ev := siteEvent(t, e, "maintenance_stop_all")
	if ev == nil || ev.Username != e.user.Username || ev.Status != store.StatusOK || ev.ExtraData["count"] != float64(2) {
		t.Errorf("site-wide event %+v", ev)
	}
	// Nothing left to stop: a second run does nothing.
	if r, err := e.m.StopAll(ctx, e.user); err != nil || r.Count != 0 {
		t.Errorf("second stop-all: %+v %v", r, err)
	}
	tasks, err := e.m.MaintenanceTasks(ctx)
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(tasks, func(x lifecycle.MaintenanceTask) bool { return x.Name == lifecycle.TaskStopAll })
	if len(tasks) != len(lifecycle.Tasks) || len(tasks) != 6 || i < 0 || tasks[i].LastRun == nil || tasks[i].LastRun.Count != 0 || tasks[i].Description == "" {
		t.Errorf("tasks %+v", tasks)
	}
	if _, err := e.m.RunMaintenance(ctx, e.user, "reboot"); !errors.Is(err, lifecycle.ErrUnknownTask) {
		t.Errorf("unknown task: %v", err)
	}
	// A stopped app starts again.
	e.start(busy)
}

func TestMaintenanceRemoveStopped(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(o *lifecycle.Options) {
		o.SweepInterval = time.Hour
		o.RemoveStoppedAfter = 3 * time.Second
	})
	ctx := context.Background()
	old := e.start(e.create(nil))
	fresh := e.start(e.create(nil))
	if _, err := e.m.Stop(ctx, e.user, old.UUID); err != nil {
		t.Fatal(err)
	}
	e.waitState(old.UUID, store.StateStopped)
	time.Sleep(3500 * time.Millisecond)
	if _, err := e.m.Stop(ctx, e.user, fresh.UUID); err != nil {
		t.Fatal(err)
	}
	e.waitState(fresh.UUID, store.StateStopped)

	r, err := e.m.RemoveStopped(ctx, e.user)
	if err != nil {
		t.Fatal(err)
	}
	if it := item(r, old.UUID); r.Count != 1 || it == nil || it.State != store.StateDeleted {
		t.Fatalf("remove-stopped: %+v", r)
	}
	if len(e.dockerContainers(old.UUID)) != 0 || len(e.dockerContainers(fresh.UUID)) != 1 {
		t.Error("wrong Docker containers removed")
	}
	if c, _ := e.st.GetContainer(ctx, old.UUID); c.State != store.StateDeleted || c.DockerID != "" ||
		!hasTimeline(t, e, old.UUID, "container_remove_stopped") {
		t.Errorf("record after remove-stopped: %+v", c.ContainerState)
	}
	if ev := siteEvent(t, e, "maintenance_remove_stopped"); ev == nil || !strings.Contains(ev.Description, "removed 1 Docker container") {
		t.Errorf("site-wide event %+v", ev)
	}
	tasks, err := e.m.MaintenanceTasks(ctx)
	if err != nil {
		t.Fatal(err)
	}
	schedules := map[string]string{}
	for _, x := range tasks {
		schedules[x.Name] = x.Schedule
	}
	if schedules[lifecycle.TaskRemoveStopped] != "every 1 h, for containers stopped longer than 3 s" ||
		schedules[lifecycle.TaskCleanupUnused] != "daily" || schedules[lifecycle.TaskStopAll] != "on demand only" {
		t.Errorf("schedules %v", schedules)
	}
}

func TestMaintenanceRemoveStoppedDisabled(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(o *lifecycle.Options) { o.RemoveStoppedAfter = 0 })
	r, err := e.m.RemoveStopped(context.Background(), e.user)
	if err != nil || r.Count != 0 || !strings.Contains(r.Summary, "KIOSC_REMOVE_STOPPED_AFTER is 0") {
		t.Errorf("%+v %v", r, err)
	}
}

// buildDangling builds an untagged image (dangling) with the docker command and returns its ID.
func buildDangling(t *testing.T, base, label string) string {
	t.Helper()
	cmd := osexec.Command("docker", "build", "-q", "--label", dockertest.TestLabel+"=true", "--label", "kiosc.test.case="+label, "-")
	cmd.Env = append(os.Environ(), "DOCKER_BUILDKIT=0")
	cmd.Stdin = strings.NewReader("FROM " + base + "\nLABEL kiosc.test.dangling=" + label + "\n")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("docker build: %v", err)
	}
	id := strings.TrimSpace(string(out))
	t.Cleanup(func() { _, _ = run("docker", "rmi", id) })
	return id
}

// ownImages is the real engine with only the images of one test in its inventory: cleanup-unused removes every
// dangling image of the engine, which on an engine shared with other tests and other kiosc instances are not this
// test's to remove.
type ownImages struct {
	*docker.Client
	label string // value of kiosc.test.case on the test's images
}

func (o *ownImages) Inventory(ctx context.Context) (*docker.Inventory, error) {
	inv, err := o.Client.Inventory(ctx)
	if err != nil {
		return nil, err
	}
	inv.Images = slices.DeleteFunc(inv.Images, func(im docker.ImageItem) bool { return im.Labels["kiosc.test.case"] != o.label })
	return inv, nil
}

func TestMaintenanceCleanupUnused(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(o *lifecycle.Options) { o.NetworkMode = lifecycle.NetworkPrivateBridges })
	e.stop()
	e.startManagerWith(&ownImages{Client: e.dk, label: e.instance})
	ctx := context.Background()
	running := e.start(e.create(nil))
	idle := e.create(nil)
	labels := func(instance, id string) map[string]string {
		return map[string]string{lifecycle.LabelManaged: "true", lifecycle.LabelInstance: instance, lifecycle.LabelContainer: id}
	}
	// A network left behind by a record that has no Docker container, one of a container kiosc no longer has, and
	// one of another kiosc instance on the same engine.
	idleNet, err := e.dk.EnsureNetwork(ctx, docker.NetworkSpec{Name: "kiosc-" + idle.UUID[:8], Labels: labels(e.instance, idle.UUID),
		IDLabel: lifecycle.LabelContainer + "=" + idle.UUID})
	if err != nil {
		t.Fatal(err)
	}
	orphan := uuid.NewString()
	orphanNet, err := e.dk.EnsureNetwork(ctx, docker.NetworkSpec{Name: "kiosc-" + orphan[:8], Labels: labels(e.instance, orphan),
		IDLabel: lifecycle.LabelContainer + "=" + orphan})
	if err != nil {
		t.Fatal(err)
	}
	other := "other-" + uuid.NewString()
	dockertest.Cleanup(t, lifecycle.LabelInstance+"="+other)
	otherID := uuid.NewString()
	if _, err := e.dk.EnsureNetwork(ctx, docker.NetworkSpec{Name: "kiosc-" + otherID[:8], Labels: labels(other, otherID),
		IDLabel: lifecycle.LabelContainer + "=" + otherID}); err != nil {
		t.Fatal(err)
	}
	image := buildDangling(t, e.image, e.instance)

	r, err := e.m.CleanupUnused(ctx, e.user)
	if err != nil {
		t.Fatal(err)
	}
	if r.Failed != 0 || item(r, idleNet) == nil || item(r, orphanNet) == nil || item(r, image) == nil {
		t.Fatalf("cleanup-unused: %+v", r)
	}
	for _, it := range r.Items {
		if it.Kind == "network" && it.ID != idleNet && it.ID != orphanNet {
			t.Errorf("removed a network that is not unused or not ours: %+v", it)
		}
	}
	out, _ := run("docker", "network", "ls", "-q", "--filter", "label="+lifecycle.LabelInstance+"="+e.instance)
	if c, _ := e.st.GetContainer(ctx, running.UUID); c.State != store.StateRunning || len(strings.Fields(out)) != 1 {
		t.Errorf("the running container or its network was touched: %+v, networks %q", c.ContainerState, out)
	}
	if out, _ := run("docker", "network", "ls", "-q", "--filter", "label="+lifecycle.LabelInstance+"="+other); out == "" {
		t.Error("another instance's network was removed")
	}
	if out, err := run("docker", "image", "inspect", image); err == nil {
		t.Errorf("dangling image still there: %s", out)
	}
	if ev := siteEvent(t, e, "maintenance_cleanup_unused"); ev == nil || ev.ExtraData["count"] != float64(r.Count) {
		t.Errorf("site-wide event %+v", ev)
	}
	// The running app still answers after the clean-up.
	e.stop()
	e.startManager()
	e.waitState(running.UUID, store.StateRunning)
}

// timelineOf returns the timeline events with this name about container id, newest first.
func timelineOf(t *testing.T, e *env, id, name string) []*store.TimelineEvent {
	t.Helper()
	evs, _, err := e.st.ListTimelineEvents(context.Background(), store.TimelineFilter{ObjectUUID: id})
	if err != nil {
		t.Fatal(err)
	}
	var out []*store.TimelineEvent
	for _, ev := range evs {
		if ev.EventName == name {
			out = append(out, ev)
		}
	}
	return out
}

// failing is the real engine with stop and removal failing for the Docker IDs in fail.
type failing struct {
	*docker.Client
	fail sync.Map // Docker ID → true
}

var errRefused = errors.New("refused by the test engine")

func (f *failing) Stop(ctx context.Context, id string, timeout time.Duration) error {
	if _, ok := f.fail.Load(id); ok {
		return errRefused
	}
	return f.Client.Stop(ctx, id, timeout)
}

func (f *failing) Remove(ctx context.Context, id string) error {
	if _, ok := f.fail.Load(id); ok {
		return errRefused
	}
	return f.Client.Remove(ctx, id)
}

func TestMaintenanceReportsFailures(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(o *lifecycle.Options) {
		o.SweepInterval = time.Hour
		o.RemoveStoppedAfter = time.Second
	})
	e.stop()
	f := &failing{Client: e.dk}
	e.startManagerWith(f)
	ctx := context.Background()
	good := e.start(e.create(nil))
	bad := e.start(e.create(nil))
	f.fail.Store(bad.DockerID, true)

	r, err := e.m.StopAll(ctx, e.user)
	if err != nil {
		t.Fatal(err)
	}
	it := item(r, bad.UUID)
	if r.Count != 1 || r.Failed != 1 || it == nil || !strings.Contains(it.Error, "stop failed") ||
		!strings.Contains(it.Error, errRefused.Error()) || !strings.Contains(r.Summary, "stopped 1 container, 1 not stopped") {
		t.Fatalf("stop-all with a failing stop: %+v", r)
	}
	if it := item(r, good.UUID); it == nil || it.Error != "" || it.State != store.StateStopped {
		t.Errorf("the container that stopped: %+v", it)
	}
	if ev := siteEvent(t, e, "maintenance_stop_all"); ev == nil || ev.Status != store.StatusFailed || ev.ExtraData["failed"] != float64(1) {
		t.Errorf("site-wide event %+v", ev)
	}
	evs := timelineOf(t, e, bad.UUID, "container_maintenance_stop")
	if len(evs) != 2 || evs[0].Status != store.StatusFailed || evs[0].Username != e.user.Username ||
		!strings.Contains(evs[0].Description, "stop failed") {
		t.Errorf("the failed stop's timeline: %+v", evs)
	}
	if evs := timelineOf(t, e, good.UUID, "container_maintenance_stop"); len(evs) != 1 || evs[0].Status != store.StatusOK {
		t.Errorf("the stop's timeline: %+v", evs)
	}

	// Docker stops it when asked again; then its removal fails.
	f.fail.Delete(bad.DockerID)
	if _, err := e.m.Stop(ctx, e.user, bad.UUID); err != nil {
		t.Fatal(err)
	}
	e.waitState(bad.UUID, store.StateStopped)
	f.fail.Store(bad.DockerID, true)
	time.Sleep(1500 * time.Millisecond)
	r, err = e.m.RemoveStopped(ctx, e.user)
	if err != nil {
		t.Fatal(err)
	}
	if it := item(r, bad.UUID); r.Count != 1 || r.Failed != 1 || it == nil || !strings.HasPrefix(it.Error, "not removed: still stopped") ||
		!strings.Contains(r.Summary, "removed 1 Docker container") || !strings.Contains(r.Summary, "1 not removed") {
		t.Fatalf("remove-stopped with a failing removal: %+v", r)
	}
	if it := item(r, good.UUID); it == nil || it.Error != "" || it.State != store.StateDeleted {
		t.Errorf("the container removed: %+v", it)
	}
	if ev := siteEvent(t, e, "maintenance_remove_stopped"); ev == nil || ev.Status != store.StatusFailed {
		t.Errorf("site-wide event %+v", ev)
	}
	if evs := timelineOf(t, e, bad.UUID, "container_remove_stopped"); len(evs) != 1 || evs[0].Status != store.StatusFailed {
		t.Errorf("the failed removal's timeline: %+v", evs)
	}
	f.fail.Delete(bad.DockerID)
}

// hookRecorder is the test recorder that first hands every event to on.
type hookRecorder struct {
	recorder
	on func(*store.TimelineEvent)
}

func (h *hookRecorder) Record(ctx context.Context, ev *store.TimelineEvent) {
	h.on(ev)
	h.recorder.Record(ctx, ev)
}

// startManagerRecording restarts the manager of e with the timeline recorder rec.
func (e *env) startManagerRecording(rec lifecycle.Recorder) {
	e.stop()
	e.m = lifecycle.New(e.st, e.dk, e.keys, e.bus, rec, slog.New(slog.NewTextHandler(io.Discard, nil)), e.opts)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = e.m.Run(ctx) }()
	e.stop = func() {
		cancel()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			e.t.Error("manager did not stop")
		}
	}
}

// A container deleted while stop-all or stop-idle works through its list is left alone: no stop job, no
// desired-state change, no timeline event claiming a stop, and it is not counted.
func TestMaintenanceSkipsContainersBeingDeleted(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		task, event string
	}{
		{lifecycle.TaskStopAll, "container_maintenance_stop"},
		{lifecycle.TaskStopIdle, "container_idle_stop"},
	} {
		t.Run(tc.task, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, func(o *lifecycle.Options) { o.SweepInterval = time.Hour })
			ctx := context.Background()
			a := e.start(e.create(map[string]any{"max_idle": 1}))
			b := e.start(e.create(map[string]any{"max_idle": 1}))
			var deleted atomic.Value
			var fired atomic.Bool
			e.startManagerRecording(&hookRecorder{recorder: recorder{e.st}, on: func(ev *store.TimelineEvent) {
				if ev.EventName != tc.event || !fired.CompareAndSwap(false, true) {
					return
				}
				// The first container the task stops: the user deletes the other one at this moment.
				other := a.UUID
				if ev.ObjectUUID == a.UUID {
					other = b.UUID
				}
				deleted.Store(other)
				if _, err := e.m.Delete(ctx, e.user, other); err != nil {
					t.Errorf("delete: %v", err)
				}
			}})
			time.Sleep(1500 * time.Millisecond)
			r, err := e.m.RunMaintenance(ctx, e.user, tc.task)
			if err != nil {
				t.Fatal(err)
			}
			gone, _ := deleted.Load().(string)
			if gone == "" {
				t.Fatalf("no container stopped: %+v", r)
			}
			if r.Count != 1 || r.Failed != 0 || item(r, gone) != nil {
				t.Errorf("%s: %+v", tc.task, r)
			}
			if evs := timelineOf(t, e, gone, tc.event); len(evs) != 0 {
				t.Errorf("stop recorded for the deleted container: %+v", evs[0])
			}
			jobs, _, _ := e.st.ListJobs(ctx, gone, store.Page{})
			for _, j := range jobs {
				if j.Action == "stop" {
					t.Errorf("job %s for the deleted container", j.Action)
				}
			}
			e.waitGone(gone)
		})
	}
}
