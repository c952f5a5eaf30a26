package lifecycle_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/bihealth/kiosc/app/docker"
	"github.com/bihealth/kiosc/app/lifecycle"
	"github.com/bihealth/kiosc/app/store"
)

// gatedInspect holds one inspect of a chosen Docker container until the test releases it, and then reports a
// slightly different start time, so that the pass that asked saves what it observed.
type gatedInspect struct {
	*docker.Client
	mu      sync.Mutex
	id      string
	entered chan struct{}
	release chan struct{}
}

func (g *gatedInspect) arm(id string) (entered, release chan struct{}) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.id, g.entered, g.release = id, make(chan struct{}), make(chan struct{})
	return g.entered, g.release
}

func (g *gatedInspect) Inspect(ctx context.Context, id string) (*docker.ContainerInfo, error) {
	g.mu.Lock()
	armed := g.id != "" && g.id == id
	entered, release := g.entered, g.release
	if armed {
		g.id = ""
	}
	g.mu.Unlock()
	if !armed {
		return g.Client.Inspect(ctx, id)
	}
	close(entered)
	<-release
	info, err := g.Client.Inspect(context.WithoutCancel(ctx), id)
	if info != nil {
		info.StartedAt = info.StartedAt.Add(time.Millisecond)
	}
	return info, err
}

// A pass that read the record before stop-all asked for the stop, and then learns of the new desired state when it
// saves what it observed, stops the app for stop-all's reason, not for the reason of an earlier stop (the idle
// sweep's, here).
func TestStopReasonFollowsTheDesiredState(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(o *lifecycle.Options) { o.SweepInterval = time.Hour })
	e.stop()
	g := &gatedInspect{Client: e.dk}
	e.startManagerWith(g)
	ctx := context.Background()
	c := e.start(e.create(map[string]any{"max_idle": 1}))
	time.Sleep(1500 * time.Millisecond)
	if r, err := e.m.StopIdle(ctx, e.user); err != nil || r.Count != 1 {
		t.Fatalf("stop-idle: %+v %v", r, err)
	}
	c = e.start(c)
	if err := e.m.WaitIdle(ctx); err != nil {
		t.Fatal(err)
	}

	// A pass begins (as after any Docker event) and is inside its inspect when stop-all asks for the stop.
	entered, release := g.arm(c.DockerID)
	e.m.Resync(ctx, true)
	select {
	case <-entered:
	case <-time.After(30 * time.Second):
		t.Fatal("no pass inspected the container")
	}
	done := make(chan *lifecycle.MaintenanceResult, 1)
	go func() {
		r, err := e.m.StopAll(ctx, e.user)
		if err != nil {
			t.Error(err)
		}
		done <- r
	}()
	e.wait(c.UUID, "asked to stop", func(c *store.Container) bool { return c.DesiredState == store.StateStopped })
	close(release)
	r := <-done
	got := e.waitState(c.UUID, store.StateStopped)
	if got.StateReason != "maintenance" {
		t.Errorf("stopped by stop-all with reason %q", got.StateReason)
	}
	if r != nil {
		if it := item(r, c.UUID); it == nil || it.Reason != "maintenance" {
			t.Errorf("stop-all: %+v", r)
		}
	}
}
