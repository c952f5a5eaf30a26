package lifecycle_test

import (
	"context"
	"os/exec"
	"testing"
	"time"

	"github.com/bihealth/kiosc/app/docker"
	"github.com/bihealth/kiosc/app/lifecycle"
	"github.com/bihealth/kiosc/app/store"
)

// While Docker does not answer every container it has is unknown; when it answers again, what did not change in
// the meantime is shown as before (a stopped app stays stopped by its user, a crashed one stays exited with its
// reason), never as something it was not.
func TestOutageRestoresWhatDidNotChange(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.stop()
	f := &flaky{Client: e.dk}
	e.startManagerWith(f)
	ctx := context.Background()
	running := e.start(e.create(nil))
	stopped := e.start(e.create(nil))
	if _, err := e.m.Stop(ctx, e.user, stopped.UUID); err != nil {
		t.Fatal(err)
	}
	e.waitState(stopped.UUID, store.StateStopped)
	crashed := e.create(map[string]any{"environment": map[string]any{"CRASH_AFTER": "300ms", "CRASH_CODE": "3"}})
	if _, err := e.m.Start(ctx, e.user, crashed.UUID); err != nil {
		t.Fatal(err)
	}
	e.wait(crashed.UUID, "crashed", func(c *store.Container) bool {
		return c.State == store.StateExited && c.DesiredState == store.StateStopped
	})

	f.down.Store(true)
	e.m.Resync(ctx, false)
	for _, c := range []*store.Container{running, stopped, crashed} {
		e.waitState(c.UUID, store.StateUnknown)
	}
	f.down.Store(false)
	e.waitState(running.UUID, store.StateRunning)
	if c := e.waitState(stopped.UUID, store.StateStopped); c.StateReason != "user" || c.DesiredState != store.StateStopped {
		t.Errorf("stopped app after the outage: %+v", c.ContainerState)
	}
	if c := e.waitState(crashed.UUID, store.StateExited); c.StateReason != "crashed" || c.ExitCode == nil || *c.ExitCode != 3 {
		t.Errorf("crashed app after the outage: %+v", c.ContainerState)
	}
}

// An app stopped in Docker from outside kiosc (docker stop) is shown exited at once. Whether that was Docker's own
// shutdown is known a moment later: Docker stayed, so it counts like any exit, and an app without automatic
// restarts stays stopped while one with a restart left runs again.
func TestStoppedInDockerFromOutside(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(o *lifecycle.Options) { o.DockerStopGrace = 2 * time.Second })
	plain := e.start(e.create(nil))
	retried := e.start(e.create(map[string]any{"max_retries": 1}))
	for _, c := range []*store.Container{plain, retried} {
		if out, err := exec.Command("docker", "stop", "-t", "5", c.DockerID).CombinedOutput(); err != nil {
			t.Fatalf("docker stop: %v %s", err, out)
		}
	}
	stopped := time.Now()
	c := e.waitState(plain.UUID, store.StateExited)
	if c.DesiredState != store.StateRunning && time.Since(stopped) < 2*time.Second {
		t.Errorf("gave up before knowing whether Docker goes away: %+v", c.ContainerState)
	}
	c = e.wait(plain.UUID, "given up", func(c *store.Container) bool { return c.DesiredState == store.StateStopped })
	if c.State != store.StateExited || c.ExitCode == nil || *c.ExitCode != 0 {
		t.Errorf("after the grace: %+v", c.ContainerState)
	}
	c = e.wait(retried.UUID, "restarted", func(c *store.Container) bool {
		return c.State == store.StateRunning && c.DockerID != retried.DockerID
	})
	if c.Retries != 1 {
		t.Errorf("retries %d", c.Retries)
	}
	if n := len(e.dockerContainers(plain.UUID)); n != 1 {
		t.Errorf("%d Docker containers", n)
	}
}

// createHangs is the real engine whose container creation waits until the caller gives up, as when kiosc is killed
// in the middle of a start.
type createHangs struct {
	*docker.Client
	entered chan struct{}
}

func (c *createHangs) Create(ctx context.Context, s docker.ContainerSpec) (string, error) {
	close(c.entered)
	<-ctx.Done()
	return "", ctx.Err()
}

// A start cut short after kiosc removed the app's old Docker container and before it created the new one (kiosc
// killed, or Docker gone): the next kiosc finds no Docker container for a record that is creating, which is its own
// doing, not a removal outside kiosc; it starts the app.
func TestStartCutShortAfterTheOldContainerWasRemoved(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	ctx := context.Background()
	c := e.start(e.create(nil))
	if _, err := e.m.Stop(ctx, e.user, c.UUID); err != nil {
		t.Fatal(err)
	}
	old := e.waitState(c.UUID, store.StateStopped).DockerID
	e.stop()
	h := &createHangs{Client: e.dk, entered: make(chan struct{})}
	e.startManagerWith(h)
	if _, err := e.m.Start(ctx, e.user, c.UUID); err != nil {
		t.Fatal(err)
	}
	select {
	case <-h.entered:
	case <-time.After(time.Minute):
		t.Fatal("the start never reached the creation")
	}
	e.stop() // kiosc goes away here
	if got, _ := e.st.GetContainer(ctx, c.UUID); got.State != store.StateCreating || got.DockerID != old || len(e.dockerContainers(c.UUID)) != 0 {
		t.Fatalf("not cut where intended: %+v, %d Docker containers", got.ContainerState, len(e.dockerContainers(c.UUID)))
	}
	e.startManager()
	got := e.waitState(c.UUID, store.StateRunning)
	if got.DesiredState != store.StateRunning || got.DockerID == old || len(e.dockerContainers(c.UUID)) != 1 {
		t.Errorf("after the restart: %+v", got.ContainerState)
	}
	evs := timelineOf(t, e, c.UUID, "container_not_found")
	if len(evs) != 0 {
		t.Errorf("reported as removed outside kiosc: %+v", evs[0])
	}
}
