package lifecycle_test

import (
	"context"
	"fmt"
	"net"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bihealth/kiosc/app/docker"
	"github.com/bihealth/kiosc/app/lifecycle"
	"github.com/bihealth/kiosc/app/store"
)

func hasTimeline(t *testing.T, e *env, id, name string) bool {
	t.Helper()
	evs, _, _ := e.st.ListTimelineEvents(context.Background(), store.TimelineFilter{ObjectUUID: id})
	return slices.ContainsFunc(evs, func(ev *store.TimelineEvent) bool { return ev.EventName == name })
}

func TestSweeps(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(o *lifecycle.Options) {
		o.SweepInterval = 300 * time.Millisecond
		o.RemoveStoppedAfter = 2 * time.Second
		o.MaxIdle = time.Hour
	})
	ctx := context.Background()
	life := e.create(map[string]any{"max_lifetime": 3})
	idle := e.create(map[string]any{"max_idle": 3})
	busy := e.create(map[string]any{"max_idle": 3})
	for _, c := range []*store.Container{life, idle, busy} {
		if _, err := e.m.Start(ctx, e.user, c.UUID); err != nil {
			t.Fatal(err)
		}
	}
	e.waitState(busy.UUID, store.StateRunning)
	stopTouching := make(chan struct{})
	go func() {
		for {
			select {
			case <-stopTouching:
				return
			case <-time.After(200 * time.Millisecond):
				e.m.Touch(busy.UUID)
			}
		}
	}()
	c := e.waitState(life.UUID, store.StateStopped)
	if c.StateReason != "max_lifetime" || !hasTimeline(t, e, life.UUID, "container_lifetime_stop") {
		t.Errorf("lifetime: %+v", c.ContainerState)
	}
	// Never accessed: idle counts from ready_at.
	c = e.waitState(idle.UUID, store.StateStopped)
	if c.StateReason != "idle" || !hasTimeline(t, e, idle.UUID, "container_idle_stop") {
		t.Errorf("idle: %+v", c.ContainerState)
	}
	// The periodic sweep acts as kiosc itself.
	if evs := timelineOf(t, e, idle.UUID, "container_idle_stop"); len(evs) != 1 || evs[0].Username != store.SystemUser ||
		evs[0].Status != store.StatusOK {
		t.Errorf("idle stop's timeline: %+v", evs)
	}
	if c, _ := e.st.GetContainer(ctx, busy.UUID); c.State != store.StateRunning {
		t.Errorf("an app in use was stopped: %+v", c.ContainerState)
	}
	close(stopTouching)
	// Remove-stopped: the Docker container goes, the record stays (deleted) and can be started again.
	c = e.waitState(life.UUID, store.StateDeleted)
	if c.DockerID != "" || len(e.dockerContainers(life.UUID)) != 0 || !hasTimeline(t, e, life.UUID, "container_remove_stopped") {
		t.Errorf("remove stopped: %+v", c.ContainerState)
	}
	lines, _ := e.m.Logs(ctx, life.UUID, time.Time{}, 0)
	if len(lines) == 0 {
		t.Error("stored logs gone with the Docker container")
	}
	e.wait(busy.UUID, "accessed", func(c *store.Container) bool { return c.LastAccessAt != nil })
	if _, err := e.m.Start(ctx, e.user, life.UUID); err != nil {
		t.Fatal(err)
	}
	e.waitState(life.UUID, store.StateRunning)
}

func TestPrivateBridgesAndModeChange(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	ctx := context.Background()
	c := e.create(nil)
	if _, err := e.m.Start(ctx, e.user, c.UUID); err != nil {
		t.Fatal(err)
	}
	c = e.waitState(c.UUID, store.StateRunning)
	if c.NetworkMode != lifecycle.NetworkDefaultBridge || c.HostPort == nil {
		t.Fatalf("default bridge: %+v", c.ContainerState)
	}
	// kiosc on the Docker host goes to the container's address on the shared apps network, past Docker's userland
	// proxy.
	apps := lifecycle.AppsNetworkName(e.instance)
	if info, err := e.rt.Inspect(ctx, c.DockerID); err != nil {
		t.Fatal(err)
	} else if up, _ := e.m.Upstream(ctx, c.UUID); info.IPs[apps] == "" || up.Addr != info.IPs[apps]+":8080" {
		t.Errorf("upstream %q, want the apps network address %s:8080 (networks %v)", up.Addr, info.IPs[apps], info.IPs)
	}
	first := c.DockerID
	// kiosc restarts with the other mode: the running container is recreated on its own network.
	e.stop()
	e.opts.NetworkMode = lifecycle.NetworkPrivateBridges
	e.startManager()
	c = e.wait(c.UUID, "recreated in private-bridges mode", func(c *store.Container) bool {
		return c.State == store.StateRunning && c.DockerID != first
	})
	if c.NetworkMode != lifecycle.NetworkPrivateBridges {
		t.Errorf("mode %q", c.NetworkMode)
	}
	if mode, _ := e.st.GetSetting(ctx, store.SettingNetworkMode); mode != lifecycle.NetworkPrivateBridges {
		t.Errorf("stored mode %q", mode)
	}
	info, err := e.rt.Inspect(ctx, c.DockerID)
	if err != nil {
		t.Fatal(err)
	}
	net := "kiosc-" + c.UUID[:8]
	if _, ok := info.IPs[net]; !ok || info.HostPort != 0 {
		t.Errorf("networks %v, host port %d", info.IPs, info.HostPort)
	}
	up, _ := e.m.Upstream(ctx, c.UUID)
	if up.Addr != info.IPs[net]+":8080" {
		t.Errorf("upstream %q", up.Addr)
	}
	if _, err := e.m.Delete(ctx, e.user, c.UUID); err != nil {
		t.Fatal(err)
	}
	e.waitGone(c.UUID)
	out, err := run("docker", "network", "ls", "-q", "--filter", "label=kiosc.container="+c.UUID)
	if err != nil || out != "" {
		t.Errorf("network left behind: %q %v", out, err)
	}
}

// flaky is the real engine behind a switch that makes every call fail, like an engine that went away.
type flaky struct {
	*docker.Client
	down atomic.Bool
}

func (f *flaky) Inspect(ctx context.Context, id string) (*docker.ContainerInfo, error) {
	if f.down.Load() {
		return nil, errDown
	}
	return f.Client.Inspect(ctx, id)
}

func (f *flaky) List(ctx context.Context, labels ...string) ([]docker.Summary, error) {
	if f.down.Load() {
		return nil, errDown
	}
	return f.Client.List(ctx, labels...)
}

func TestDockerUnreachable(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.stop()
	f := &flaky{Client: e.dk}
	e.startManagerWith(f)
	ctx := context.Background()
	c := e.create(nil)
	if _, err := e.m.Start(ctx, e.user, c.UUID); err != nil {
		t.Fatal(err)
	}
	e.waitState(c.UUID, store.StateRunning)
	f.down.Store(true)
	e.m.Resync(ctx, false)
	c = e.waitState(c.UUID, store.StateUnknown)
	if up, _ := e.m.Upstream(ctx, c.UUID); up.Addr != "" {
		t.Errorf("upstream while unknown: %+v", up)
	}
	f.down.Store(false)
	c = e.waitState(c.UUID, store.StateRunning)
	if l := e.dockerContainers(c.UUID); len(l) != 1 || l[0].ID != c.DockerID {
		t.Errorf("after recovery: %+v", l)
	}
}

func TestDefaultBridgeWithoutLocalBridgeUsesPublishedPort(t *testing.T) {
	t.Parallel()
	// As with rootless Docker or Docker Desktop: no interface of kiosc's is on the bridge.
	e := newEnv(t, func(o *lifecycle.Options) {
		o.InterfaceAddrs = func() ([]net.Addr, error) { return nil, nil }
	})
	ctx := context.Background()
	c := e.create(nil)
	if _, err := e.m.Start(ctx, e.user, c.UUID); err != nil {
		t.Fatal(err)
	}
	c = e.waitState(c.UUID, store.StateRunning)
	up, _ := e.m.Upstream(ctx, c.UUID)
	if c.HostPort == nil || up.Addr != fmt.Sprintf("127.0.0.1:%d", *c.HostPort) {
		t.Errorf("upstream %q, host port %v", up.Addr, c.HostPort)
	}
}
