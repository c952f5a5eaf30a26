package lifecycle_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/bihealth/kiosc/app/docker"
	"github.com/bihealth/kiosc/app/lifecycle"
	"github.com/bihealth/kiosc/app/settings"
	"github.com/bihealth/kiosc/app/store"
)

// dialFrom asks the test app at addr to open a TCP connection to target and returns whether it could.
func dialFrom(t *testing.T, addr, target string) (bool, string) {
	t.Helper()
	var res struct {
		OK    bool   `json:"ok"`
		Error string `json:"error"`
	}
	getJSON(t, "http://"+addr+"/dial?timeout=2s&addr="+url.QueryEscape(target), &res)
	return res.OK, res.Error
}

// healthy checks that the test process (kiosc's place on the host) reaches the app at addr.
func healthy(t *testing.T, addr string) {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/health")
	if err != nil {
		t.Fatalf("kiosc cannot reach %s: %v", addr, err)
	}
	defer resp.Body.Close()
	if b, _ := io.ReadAll(resp.Body); resp.StatusCode != http.StatusOK || string(b) != "ok" {
		t.Fatalf("%s/health: %d %s", addr, resp.StatusCode, b)
	}
}

// TestContainersCannotReachEachOther checks spec section 5.6 in both network modes: an app cannot open a connection
// to another app's address (either way round), while kiosc on the host reaches both at their own addresses.
func TestContainersCannotReachEachOther(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{lifecycle.NetworkDefaultBridge, lifecycle.NetworkPrivateBridges} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, func(o *lifecycle.Options) { o.NetworkMode = mode })
			ctx := context.Background()
			a, b := e.create(nil), e.create(nil)
			for _, c := range []*store.Container{a, b} {
				if _, err := e.m.Start(ctx, e.user, c.UUID); err != nil {
					t.Fatal(err)
				}
			}
			addrs := map[string]string{}
			for _, c := range []*store.Container{a, b} {
				c = e.waitState(c.UUID, store.StateRunning)
				info, err := e.rt.Inspect(ctx, c.DockerID)
				if err != nil {
					t.Fatal(err)
				}
				network := lifecycle.AppsNetworkName(e.instance)
				if mode == lifecycle.NetworkPrivateBridges {
					network = "kiosc-" + c.UUID[:8]
				}
				if len(info.IPs) != 1 || info.IPs[network] == "" {
					t.Fatalf("%s: networks %v, want only %s", c.Title, info.IPs, network)
				}
				up, err := e.m.Upstream(ctx, c.UUID)
				if want := net.JoinHostPort(info.IPs[network], "8080"); err != nil || up.Addr != want {
					t.Fatalf("%s: upstream %q (%v), want the container's own address %s", c.Title, up.Addr, err, want)
				}
				healthy(t, up.Addr)
				addrs[c.UUID] = up.Addr
			}
			for _, p := range []struct{ from, to *store.Container }{{a, b}, {b, a}} {
				if ok, msg := dialFrom(t, addrs[p.from.UUID], addrs[p.to.UUID]); ok || msg == "" {
					t.Errorf("%s reached %s at %s (%q)", p.from.Title, p.to.Title, addrs[p.to.UUID], msg)
				}
				// The same request to the app's own address succeeds, so a refusal above is the network's doing.
				if ok, msg := dialFrom(t, addrs[p.from.UUID], addrs[p.from.UUID]); !ok {
					t.Errorf("%s cannot reach its own address: %s", p.from.Title, msg)
				}
			}
			if mode != lifecycle.NetworkDefaultBridge {
				return
			}
			out, err := run("docker", "network", "inspect", "--format", "{{json .}}", lifecycle.AppsNetworkName(e.instance))
			if err != nil {
				t.Fatalf("docker network inspect: %v %s", err, out)
			}
			var n struct {
				Driver  string
				Options map[string]string
				Labels  map[string]string
			}
			if err := json.Unmarshal([]byte(out), &n); err != nil {
				t.Fatal(err)
			}
			if n.Driver != "bridge" || n.Options["com.docker.network.bridge.enable_icc"] != "false" ||
				n.Labels[lifecycle.LabelManaged] != "true" || n.Labels[lifecycle.LabelInstance] != e.instance ||
				n.Labels[lifecycle.LabelNetwork] != lifecycle.NetworkApps || n.Labels[lifecycle.LabelContainer] != "" {
				t.Errorf("apps network: %+v", n)
			}
			// Deleting a container leaves the shared network to the others.
			if _, err := e.m.Delete(ctx, e.user, a.UUID); err != nil {
				t.Fatal(err)
			}
			e.waitGone(a.UUID)
			if out, err := run("docker", "network", "inspect", "--format", "{{.Name}}", lifecycle.AppsNetworkName(e.instance)); err != nil {
				t.Errorf("apps network removed with a container: %v %s", err, out)
			}
			healthy(t, addrs[b.UUID])
		})
	}
}

// capNames normalises Docker's capability names (CHOWN or CAP_CHOWN) for comparison.
func capNames(caps []string) []string {
	out := make([]string, 0, len(caps))
	for _, c := range caps {
		out = append(out, strings.TrimPrefix(strings.ToUpper(c), "CAP_"))
	}
	slices.Sort(out)
	return out
}

// keptCaps is the capability mask of lifecycle.Capabilities as /proc/<pid>/status shows it: CHOWN 0, DAC_OVERRIDE 1,
// FOWNER 3, FSETID 4, KILL 5, SETGID 6, SETUID 7, SETPCAP 8, NET_BIND_SERVICE 10.
const keptCaps = "00000000000005fb"

func TestCapabilitiesAndSiteDefaults(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(o *lifecycle.Options) {
		o.Limits = settings.Limits{MaxMemory: 256 << 20, MaxCPUs: 1, MaxPIDs: 300, DefaultMemory: 128 << 20, DefaultCPUs: 0.5,
			DefaultPIDs: 100}
	})
	ctx := context.Background()
	def := e.create(nil)
	own := e.create(map[string]any{"memory_limit": 200 << 20, "cpu_limit": 0.25, "pids_limit": 50})
	for _, tc := range []struct {
		name     string
		c        *store.Container
		memory   int64
		nanoCPUs int64
		pids     int64
	}{
		{"site defaults", def, 128 << 20, 500_000_000, 100},
		{"own limits", own, 200 << 20, 250_000_000, 50},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := e.start(tc.c)
			info, err := e.rt.Inspect(ctx, c.DockerID)
			if err != nil {
				t.Fatal(err)
			}
			if info.Memory != tc.memory || info.NanoCPUs != tc.nanoCPUs || info.PidsLimit != tc.pids {
				t.Errorf("limits: memory %d cpus %d pids %d, want %d %d %d", info.Memory, info.NanoCPUs, info.PidsLimit,
					tc.memory, tc.nanoCPUs, tc.pids)
			}
			if !slices.Equal(capNames(info.CapDrop), []string{"ALL"}) || !slices.Equal(capNames(info.CapAdd), capNames(lifecycle.Capabilities)) ||
				!slices.Contains(info.SecurityOpt, "no-new-privileges") {
				t.Errorf("cap drop %v, cap add %v, security options %v", info.CapDrop, info.CapAdd, info.SecurityOpt)
			}
			// What the app (root in its container) really holds.
			up, err := e.m.Upstream(ctx, c.UUID)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := http.Get("http://" + up.Addr + "/file?path=/proc/self/status")
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			for _, line := range []string{"CapEff:\t" + keptCaps, "CapBnd:\t" + keptCaps, "NoNewPrivs:\t1"} {
				if !strings.Contains(string(b), line+"\n") {
					t.Errorf("/proc/self/status has no line %q:\n%s", line, b)
				}
			}
		})
	}
}

// legacy is the engine as earlier versions of kiosc used it: containers on Docker's default bridge.
type legacy struct{ *docker.Client }

func (l legacy) Create(ctx context.Context, s docker.ContainerSpec) (string, error) {
	s.Network = ""
	return l.Client.Create(ctx, s)
}

// TestContainersOfEarlierVersions: a container an earlier kiosc put on Docker's default bridge keeps working after
// the upgrade (reached at its bridge address, also when it is adopted mid-start), and moves to the apps network at
// its next start.
func TestContainersOfEarlierVersions(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	ctx := context.Background()
	e.stop()
	e.startManagerWith(legacy{e.dk})
	c := e.start(e.create(nil))
	old, err := e.rt.Inspect(ctx, c.DockerID)
	if err != nil {
		t.Fatal(err)
	}
	bridge := net.JoinHostPort(old.IPs["bridge"], "8080")
	if old.IPs["bridge"] == "" || len(old.IPs) != 1 {
		t.Fatalf("the earlier version's container is not on the default bridge alone: %v", old.IPs)
	}
	if up, _ := e.m.Upstream(ctx, c.UUID); up.Addr != bridge {
		t.Errorf("upstream %q, want the bridge address %s", up.Addr, bridge)
	}

	// The upgraded kiosc starts while the container was still being probed: it adopts it and probes it on the bridge.
	e.stop()
	c, err = e.st.GetContainer(ctx, c.UUID)
	if err != nil {
		t.Fatal(err)
	}
	c.State, c.Upstream, c.ReadyAt = store.StateStarting, "", nil
	if _, err := e.st.UpdateContainerState(ctx, c.UUID, c.ContainerState, c.DesiredState, false); err != nil {
		t.Fatal(err)
	}
	e.startManager()
	c = e.waitState(c.UUID, store.StateRunning)
	if c.DockerID != old.ID {
		t.Errorf("adoption replaced the Docker container: %s, was %s", c.DockerID, old.ID)
	}
	up, err := e.m.Upstream(ctx, c.UUID)
	if err != nil || up.Addr != bridge {
		t.Errorf("adopted upstream %q (%v), want %s", up.Addr, err, bridge)
	}
	healthy(t, up.Addr)

	// A restart recreates it on the apps network.
	if _, err := e.m.Restart(ctx, e.user, c.UUID); err != nil {
		t.Fatal(err)
	}
	c = e.wait(c.UUID, "recreated", func(c *store.Container) bool { return c.State == store.StateRunning && c.DockerID != old.ID })
	info, err := e.rt.Inspect(ctx, c.DockerID)
	if err != nil {
		t.Fatal(err)
	}
	apps := lifecycle.AppsNetworkName(e.instance)
	if len(info.IPs) != 1 || info.IPs[apps] == "" {
		t.Errorf("networks after the restart %v, want only %s", info.IPs, apps)
	}
	if up, _ := e.m.Upstream(ctx, c.UUID); up.Addr != net.JoinHostPort(info.IPs[apps], "8080") {
		t.Errorf("upstream after the restart %q", up.Addr)
	}
}

func TestAllowedRegistries(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	ctx := context.Background()
	// Created before KIOSC_ALLOWED_REGISTRIES was set. The test image is built locally without a registry, so it
	// counts as a Docker Hub image.
	c := e.create(nil)
	// One whose pull failed then: its engine text must not outlive that failure.
	nope := e.create(map[string]any{"image": "127.0.0.1:1/nope:1"})
	if _, err := e.m.Start(ctx, e.user, nope.UUID); err != nil {
		t.Fatal(err)
	}
	if nope = e.waitState(nope.UUID, store.StateFailed); nope.StateDetail == "" {
		t.Fatalf("unreachable registry: %+v", nope.ContainerState)
	}
	e.stop()
	e.opts.Limits.AllowedRegistries = []string{"ghcr.io", "registry.example.org:5000"}
	e.startManager()

	if _, err := e.m.Start(ctx, e.user, c.UUID); err != nil {
		t.Fatal(err)
	}
	c = e.waitState(c.UUID, store.StateFailed)
	if c.StateReason != "pull_failed" || !strings.HasPrefix(c.StateMessage, "registry not allowed: images from docker.io") ||
		!strings.Contains(c.StateMessage, "ghcr.io, registry.example.org:5000") || c.StateDetail != "" || c.DesiredState != store.StateStopped {
		t.Errorf("refused start: %+v", c.ContainerState)
	}
	if l := e.dockerContainers(c.UUID); len(l) != 0 {
		t.Errorf("a Docker container was created: %+v", l)
	}
	if _, err := e.m.Start(ctx, e.user, nope.UUID); err != nil {
		t.Fatal(err)
	}
	nope = e.wait(nope.UUID, "refused", func(c *store.Container) bool {
		return c.State == store.StateFailed && strings.HasPrefix(c.StateMessage, "registry not allowed: images from 127.0.0.1:1")
	})
	if nope.StateDetail != "" {
		t.Errorf("the earlier failure's detail kept: %q", nope.StateDetail)
	}
	// New configurations are refused by validation with the same words.
	var in lifecycle.Input
	decode(t, map[string]any{"title": "refused", "image": e.image}, &in)
	_, err := e.m.Create(ctx, e.user, e.project, &in)
	if ve, ok := errors.AsType[*lifecycle.ValidationError](err); !ok || !strings.Contains(ve.Fields["image"], "allowed registries: ghcr.io") {
		t.Errorf("create with a Docker Hub image: %v", err)
	}

	// Docker Hub allowed under another of its names: the same container runs.
	e.stop()
	e.opts.Limits.AllowedRegistries = []string{"index.docker.io"}
	e.startManager()
	e.start(c)
}

// TestCleanupKeepsTheAppsNetwork: cleanup-unused leaves the shared network alone while the instance runs in
// default-bridge mode, even when no container is on it (a start may be about to attach one), and removes it once the
// instance has moved to private-bridges mode.
func TestCleanupKeepsTheAppsNetwork(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	ctx := context.Background()
	c := e.start(e.create(nil))
	if _, err := e.m.Delete(ctx, e.user, c.UUID); err != nil {
		t.Fatal(err)
	}
	e.waitGone(c.UUID)
	apps := lifecycle.AppsNetworkName(e.instance)
	id, err := run("docker", "network", "inspect", "--format", "{{.Id}}", apps)
	if err != nil {
		t.Fatalf("apps network gone with its last container: %v %s", err, id)
	}
	r, err := e.m.CleanupUnused(ctx, e.user)
	if err != nil {
		t.Fatal(err)
	}
	if it := item(r, id); it != nil {
		t.Errorf("cleanup-unused in default-bridge mode removed the apps network: %+v", it)
	}
	if out, err := run("docker", "network", "inspect", "--format", "{{.Id}}", apps); err != nil || out != id {
		t.Errorf("apps network after cleanup-unused: %q %v", out, err)
	}

	e.stop()
	e.opts.NetworkMode = lifecycle.NetworkPrivateBridges
	e.startManager()
	r, err = e.m.CleanupUnused(ctx, e.user)
	if err != nil {
		t.Fatal(err)
	}
	if it := item(r, id); it == nil || it.Error != "" || it.Name != apps {
		t.Errorf("cleanup-unused in private-bridges mode: %+v", r)
	}
	if out, err := run("docker", "network", "inspect", apps); err == nil {
		t.Errorf("apps network still there: %s", out)
	}
}
