package lifecycle_test

import (
	"context"
	"net"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bihealth/kiosc/app/docker"
	"github.com/bihealth/kiosc/app/docker/dockertest"
	"github.com/bihealth/kiosc/app/lifecycle"
	"github.com/bihealth/kiosc/app/store"
)

// needSwarm skips a test of the Swarm runtime unless the tests run on it (KIOSC_TEST_RUNTIME=swarm).
func needSwarm(t *testing.T) {
	t.Helper()
	if !swarmRuntime() {
		t.Skip("a test of the Swarm runtime: run with " + runtimeEnv + "=swarm (make test does)")
	}
}

// On Swarm, every app is a service on a network of swarm scope of its own: kiosc reaches each at the node's address
// and the port Docker published there, and no app reaches another, neither at its address on its network nor at its
// published port.
func TestSwarmReachabilityAndIsolation(t *testing.T) {
	needSwarm(t)
	t.Parallel()
	e := newEnv(t, nil)
	ctx := context.Background()
	a, b := e.create(nil), e.create(nil)
	for _, c := range []*store.Container{a, b} {
		if _, err := e.m.Start(ctx, e.user, c.UUID); err != nil {
			t.Fatal(err)
		}
	}
	ups, ips := map[string]string{}, map[string]string{}
	for _, c := range []*store.Container{a, b} {
		c = e.waitState(c.UUID, store.StateRunning)
		info, err := e.rt.Inspect(ctx, c.DockerID)
		if err != nil {
			t.Fatal(err)
		}
		if info.Node == "" || info.HostIP != e.swarm.Addr.String() || info.HostPort == 0 {
			t.Errorf("%s: node %q at %s port %d, want the node's address %s", c.Title, info.Node, info.HostIP, info.HostPort, e.swarm.Addr)
		}
		ip := info.IPs["kiosc-"+c.UUID[:8]]
		if len(info.IPs) != 1 || ip == "" {
			t.Fatalf("%s: networks %v, want only its own kiosc-%s", c.Title, info.IPs, c.UUID[:8])
		}
		if n := dockertest.NetworkInfo(t, e.swarm.Client, "kiosc-"+c.UUID[:8]); n.Scope != "swarm" || n.Driver != "bridge" || n.Labels[lifecycle.LabelContainer] != c.UUID {
			t.Errorf("network of %s: scope %q driver %q labels %v", c.Title, n.Scope, n.Driver, n.Labels)
		}
		up, err := e.m.Upstream(ctx, c.UUID)
		if err != nil || up.Addr != net.JoinHostPort(info.HostIP, itoa(info.HostPort)) {
			t.Fatalf("%s: upstream %q (%v), want the published port on the node", c.Title, up.Addr, err)
		}
		healthy(t, up.Addr)
		ups[c.UUID], ips[c.UUID] = up.Addr, net.JoinHostPort(ip, "8080")
	}
	for _, p := range []struct{ from, to *store.Container }{{a, b}, {b, a}} {
		for _, target := range []string{ips[p.to.UUID], ups[p.to.UUID]} {
			if ok, msg := dialFrom(t, ups[p.from.UUID], target); ok || msg == "" {
				t.Errorf("%s reached %s at %s (%q)", p.from.Title, p.to.Title, target, msg)
			}
		}
		if ok, msg := dialFrom(t, ups[p.from.UUID], ips[p.from.UUID]); !ok {
			t.Errorf("%s cannot reach its own address: %s", p.from.Title, msg)
		}
	}
	// The admin's overview shows the swarm's node and where each app runs.
	o, err := e.m.DockerOverview(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if o.Runtime != "swarm" || len(o.Nodes) != 1 || !o.Nodes[0].Self || o.Nodes[0].Addr != e.swarm.Addr.String() ||
		o.Nodes[0].Role != "manager" || len(o.Nodes[0].Containers) != 2 {
		t.Fatalf("overview: runtime %q nodes %+v", o.Runtime, o.Nodes)
	}
	for _, k := range o.Containers {
		if k.Node != o.Nodes[0].Hostname || k.DockerState != docker.StatusRunning || k.Missing || k.DockerID == nil {
			t.Errorf("overview of %s: %+v", k.Title, k)
		}
	}
	if len(o.Orphaned) != 0 {
		t.Errorf("the tasks' containers are listed as orphans: %+v", o.Orphaned)
	}
	// The capacity is the swarm's: its ready nodes together.
	h, err := e.m.HostInfo(ctx)
	if err != nil || !strings.HasPrefix(h.Name, "swarm of 1 node") || h.CPUs < 1 || h.Memory <= 0 {
		t.Errorf("host of the swarm: %+v %v", h, err)
	}
}

// A task no node has room for is starting, with the scheduler's reason, never failed; stopping it stops it, and
// deleting the container leaves no service behind.
func TestSwarmPendingForLackOfResources(t *testing.T) {
	needSwarm(t)
	t.Parallel()
	e := newEnv(t, nil)
	ctx := context.Background()
	c := e.create(map[string]any{"memory_limit": int64(900) << 30, "placement": "node.role==manager"})
	if _, err := e.m.Start(ctx, e.user, c.UUID); err != nil {
		t.Fatal(err)
	}
	got := e.wait(c.UUID, "pending with the scheduler's reason", func(c *store.Container) bool {
		if c.State == store.StateFailed || c.State == store.StateExited {
			t.Fatalf("a task waiting for a node is %s: %q", c.State, c.StateMessage)
		}
		return c.State == store.StateStarting && strings.Contains(c.StateMessage, "insufficient resources")
	})
	if got.DesiredState != store.StateRunning || got.DockerState != docker.StatusPending {
		t.Errorf("pending: %+v", got.ContainerState)
	}
	// Its limits are the scheduler's reservations too, and its placement the service's constraint.
	info, err := e.rt.Inspect(ctx, got.DockerID)
	if err != nil {
		t.Fatal(err)
	}
	if !info.Pending || !slices.Contains(info.Placement, "node.role==manager") || info.Memory != int64(900)<<30 {
		t.Errorf("service: pending %v placement %v memory %d", info.Pending, info.Placement, info.Memory)
	}
	// Adopted as such by a new kiosc.
	e.stop()
	e.startManager()
	e.wait(c.UUID, "still pending after a restart", func(c *store.Container) bool {
		return c.State == store.StateStarting && strings.Contains(c.StateMessage, "insufficient resources")
	})
	if _, err := e.m.Stop(ctx, e.user, c.UUID); err != nil {
		t.Fatal(err)
	}
	e.waitState(c.UUID, store.StateStopped)
	if _, err := e.m.Delete(ctx, e.user, c.UUID); err != nil {
		t.Fatal(err)
	}
	e.waitGone(c.UUID)
	if left := dockertest.Services(t, e.swarm.Client, lifecycle.LabelInstance+"="+e.instance); len(left) != 0 {
		t.Errorf("services left behind: %v", left)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// A task that exits gives its exit code from the swarm (crashed, exited with code 3), and one killed for using more
// memory than its limit is oom_killed with 137.
func TestSwarmCrashExitCodeAndOOM(t *testing.T) {
	needSwarm(t)
	t.Parallel()
	e := newEnv(t, nil)
	ctx := context.Background()
	crash := e.create(map[string]any{"environment": map[string]any{"CRASH_AFTER": "3s", "CRASH_CODE": "3"}})
	oom := e.create(map[string]any{"environment": map[string]any{"MEMORY_HOG_MB": "64"}, "memory_limit": 16 << 20})
	started := time.Now()
	for _, c := range []*store.Container{crash, oom} {
		if _, err := e.m.Start(ctx, e.user, c.UUID); err != nil {
			t.Fatal(err)
		}
	}
	// Not waiting for running: on a busy machine the swarm may take longer to start the task than the app lives.
	c := e.wait(crash.UUID, "crashed", func(c *store.Container) bool { return c.State == store.StateExited })
	if c.StateReason != "crashed" || c.ExitCode == nil || *c.ExitCode != 3 || c.DesiredState != store.StateStopped {
		t.Errorf("crash: %+v", c.ContainerState)
	}
	info, err := e.rt.Inspect(ctx, c.DockerID)
	if err != nil || info.Running || info.ExitCode != 3 {
		t.Errorf("the service after the crash: %+v %v", info, err)
	}
	e.waitOOM(oom.UUID, started)
}
