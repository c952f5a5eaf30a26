package lifecycle_test

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/bihealth/kiosc/app/lifecycle"
	"github.com/bihealth/kiosc/app/settings"
	"github.com/bihealth/kiosc/app/store"
)

// Three running apps with limits: the report adds up their reservations and reads their use from Docker; the
// site's cap (here half a CPU above what they reserve) refuses a fourth start with a clear reason, at once and in
// the start itself.
func TestCapacity(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(o *lifecycle.Options) {
		o.Limits.DefaultMemory = 64 << 20 // for apps that set none
	})
	ctx := context.Background()
	host, err := e.m.HostInfo(ctx)
	if err != nil || host.CPUs <= 0 || host.Memory <= 0 {
		t.Fatalf("host %+v %v", host, err)
	}
	a := e.start(e.create(map[string]any{"cpu_limit": 0.5, "memory_limit": 128 << 20}))
	b := e.start(e.create(map[string]any{"cpu_limit": 0.25, "memory_limit": 96 << 20}))
	c := e.start(e.create(map[string]any{"cpu_limit": 0.25})) // memory: the site default
	stopped := e.create(map[string]any{"cpu_limit": 1, "memory_limit": 256 << 20})

	r, err := e.m.Capacity(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if r.Host.CPUs != host.CPUs || r.Reserved.Apps != 3 || math.Abs(r.Reserved.CPUs-1.0) > 1e-9 ||
		r.Reserved.Memory != (128+96+64)<<20 || r.Reserved.Unlimited != 0 {
		t.Fatalf("report %+v", r)
	}
	if len(r.Apps) != 3 || len(r.Partial) != 0 {
		t.Fatalf("apps %+v, partial %v", r.Apps, r.Partial)
	}
	var used int64
	for _, app := range r.Apps {
		if app.MemoryUsed <= 0 || app.UUID == stopped.UUID {
			t.Errorf("app %+v", app)
		}
		used += app.MemoryUsed
	}
	if r.UsedMemory != used {
		t.Errorf("used memory %d, apps add up to %d", r.UsedMemory, used)
	}
	for _, id := range []string{a.UUID, b.UUID, c.UUID} {
		if err := e.m.CheckCapacity(ctx, id); err != nil {
			t.Errorf("a running app is refused its own reservation: %v", err)
		}
	}

	// The cap: what runs, plus half a CPU. The stopped app needs a whole one.
	e.stop()
	e.opts.MaxReserved = settings.ReserveCap{CPUs: 1.5}
	e.startManager()
	err = e.m.CheckCapacity(ctx, stopped.UUID)
	if !errors.Is(err, lifecycle.ErrCapacity) || !strings.Contains(err.Error(), "1.00 of the site's 1.50 CPUs") {
		t.Fatalf("check: %v", err)
	}
	if _, err := e.m.Start(ctx, e.user, stopped.UUID); !errors.Is(err, lifecycle.ErrCapacity) {
		t.Fatalf("start: %v", err)
	}
	if ct, _ := e.st.GetContainer(ctx, stopped.UUID); ct.State != store.StateInitial || ct.DesiredState == store.StateRunning {
		t.Fatalf("a refused start changed the container: %+v", ct.ContainerState)
	}
	// Once an app stops, its reservation is free again: stopping the 0.5-CPU app leaves 0.5 reserved, room for 1.
	if _, err := e.m.Stop(ctx, e.user, a.UUID); err != nil {
		t.Fatal(err)
	}
	e.waitState(a.UUID, store.StateStopped)
	if err := e.m.CheckCapacity(ctx, stopped.UUID); err != nil {
		t.Fatalf("after a stop: %v", err)
	}
	// Both fit alone, not together: started at once, exactly one runs and the other fails saying why: refused at
	// once when the first one's reservation is already held, else failed by its pass.
	var refused []string
	for _, id := range []string{stopped.UUID, a.UUID} {
		_, err := e.m.Start(ctx, e.user, id)
		switch {
		case errors.Is(err, lifecycle.ErrCapacity) && strings.Contains(err.Error(), "Not enough capacity"):
			refused = append(refused, id)
		case err != nil:
			t.Fatal(err)
		}
	}
	if len(refused) == 1 {
		other := stopped.UUID
		if refused[0] == stopped.UUID {
			other = a.UUID
		}
		e.waitState(other, store.StateRunning)
		if ct, _ := e.st.GetContainer(ctx, refused[0]); ct.State == store.StateRunning || ct.DesiredState == store.StateRunning {
			t.Fatalf("the refused start changed the container: %+v", ct.ContainerState)
		}
		return
	}
	if len(refused) != 0 {
		t.Fatalf("both starts refused: %v", refused)
	}
	settled := func(c *store.Container) bool { return c.State == store.StateRunning || c.State == store.StateFailed }
	x, y := e.wait(stopped.UUID, "settled", settled), e.wait(a.UUID, "settled", settled)
	if (x.State == store.StateRunning) == (y.State == store.StateRunning) {
		t.Fatalf("states %s and %s", x.State, y.State)
	}
	failed := x
	if y.State == store.StateFailed {
		failed = y
	}
	if failed.StateReason != "start_failed" || !strings.Contains(failed.StateMessage, "Not enough capacity") ||
		failed.DesiredState != store.StateStopped {
		t.Fatalf("the refused start: %+v", failed.ContainerState)
	}
}

// The proxy's lobby tells visitors who may not see other apps' figures why a start was refused through this method.
var _ interface{ SiteFull() string } = (*lifecycle.CapacityError)(nil)
