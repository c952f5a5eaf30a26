package dockertest

import (
	cerrdefs "github.com/containerd/errdefs"

	"context"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/moby/moby/client"
)

// SwarmDaemonConfig is the daemon configuration of the swarm engine, as the README asks of every node:
// no-new-privileges for every container (Engine 20.10 takes no per-service setting for it), and no userland proxy,
// whose listeners on every address of the node would let an app reach another's published port from inside.
const SwarmDaemonConfig = `{"no-new-privileges": true, "userland-proxy": false}` + "\n"

// SwarmEngine starts a private engine (see PrivateEngine) and makes it the manager of a single-node Docker Swarm,
// advertising the address of its own network namespace. The swarm's networks take addresses from the engine's own
// range (10.N.128.0/18), so nothing overlaps the host's. The shared engine is never made a swarm.
func SwarmEngine(t testing.TB) *Engine {
	t.Helper()
	e := privateEngine(t, SwarmDaemonConfig, t.Cleanup)
	initSwarm(t, e)
	return e
}

var shared struct {
	once    sync.Once
	engine  *Engine
	cleanup []func()
	err     string
}

// SharedSwarmEngine returns the swarm engine (see SwarmEngine) of the whole test process, started by the first test
// that asks; StopSharedEngines removes it (from TestMain, after the tests ran). Tests on it only look at the objects
// they created, like tests on the shared engine.
func SharedSwarmEngine(t testing.TB) *Engine {
	t.Helper()
	shared.once.Do(func() {
		shared.err = "the shared swarm engine did not start (see the first test that asked for it)"
		e := privateEngine(t, SwarmDaemonConfig, func(f func()) { shared.cleanup = append(shared.cleanup, f) })
		initSwarm(t, e)
		shared.engine, shared.err = e, ""
	})
	if shared.engine == nil {
		t.Fatal(shared.err)
	}
	return shared.engine
}

// StopSharedEngines removes the engines SharedSwarmEngine started.
func StopSharedEngines() {
	for i := len(shared.cleanup) - 1; i >= 0; i-- {
		shared.cleanup[i]()
	}
	shared.cleanup = nil
}

// initSwarm makes the engine the manager of a new single-node swarm and waits until its node is ready.
func initSwarm(t testing.TB, e *Engine) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	pool := netip.MustParsePrefix(fmt.Sprintf("10.%d.128.0/18", e.octet))
	if _, err := e.Client.SwarmInit(ctx, client.SwarmInitOptions{ListenAddr: e.Addr.String() + ":2377",
		AdvertiseAddr: e.Addr.String(), DefaultAddrPool: []netip.Prefix{pool}, SubnetSize: 24}); err != nil {
		t.Fatalf("swarm init on the private engine: %v\n%s", err, e.logTail())
	}
	for {
		res, err := e.Client.NodeList(ctx, client.NodeListOptions{})
		if err == nil && len(res.Items) == 1 && res.Items[0].Status.State == "ready" {
			return
		}
		if ctx.Err() != nil {
			t.Fatalf("swarm node not ready: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// CleanupOn removes, when the test ends, the services of a swarm engine that carry the label filter, then (once
// their containers are gone) the containers, networks and volumes, like Cleanup on the shared engine.
func CleanupOn(t testing.TB, cli *client.Client, labelFilter string) {
	t.Helper()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		f := make(client.Filters).Add("label", labelFilter)
		if res, err := cli.ServiceList(ctx, client.ServiceListOptions{Filters: f}); err == nil {
			for _, s := range res.Items {
				if _, err := cli.ServiceRemove(ctx, s.ID, client.ServiceRemoveOptions{}); err != nil && !cerrdefs.IsNotFound(err) {
					t.Errorf("dockertest cleanup: remove service %s: %v", s.Spec.Name, err)
				}
			}
		} else if !strings.Contains(err.Error(), "not a swarm manager") {
			t.Errorf("dockertest cleanup: list services: %v", err)
		}
		for ctx.Err() == nil {
			cs, err := cli.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: make(client.Filters).Add("label", labelFilter).Add("label", "com.docker.swarm.service.id")})
			if err != nil || len(cs.Items) == 0 {
				break
			}
			time.Sleep(200 * time.Millisecond)
		}
		if err := RemoveLabeled(ctx, cli, labelFilter); err != nil {
			t.Errorf("dockertest cleanup of %s: %v", labelFilter, err)
		}
	})
}

// Services lists the IDs of the services carrying the label filter on a swarm engine.
func Services(t testing.TB, cli *client.Client, labelFilter string) []string {
	t.Helper()
	res, err := cli.ServiceList(context.Background(), client.ServiceListOptions{Filters: make(client.Filters).Add("label", labelFilter)})
	if err != nil {
		t.Fatalf("list services %s: %v", labelFilter, err)
	}
	ids := make([]string, 0, len(res.Items))
	for _, s := range res.Items {
		ids = append(ids, s.ID)
	}
	return ids
}

// Network is a network as NetworkInfo reports it.
type Network struct {
	Scope, Driver string
	Labels        map[string]string
}

// NetworkInfo inspects a network by name or ID on an engine.
func NetworkInfo(t testing.TB, cli *client.Client, name string) Network {
	t.Helper()
	res, err := cli.NetworkInspect(context.Background(), name, client.NetworkInspectOptions{})
	if err != nil {
		t.Fatalf("inspect network %s: %v", name, err)
	}
	return Network{Scope: res.Network.Scope, Driver: res.Network.Driver, Labels: res.Network.Labels}
}
