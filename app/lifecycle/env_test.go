package lifecycle_test

import (
	"context"
	"io"
	"log/slog"
	"net/netip"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/bihealth/kiosc/app/docker"
	"github.com/bihealth/kiosc/app/docker/dockertest"
	"github.com/bihealth/kiosc/app/events"
	"github.com/bihealth/kiosc/app/lifecycle"
	"github.com/bihealth/kiosc/app/secrets"
	"github.com/bihealth/kiosc/app/store"
	"github.com/bihealth/kiosc/app/store/storetest"
)

// env is a manager on the real engine with its own instance ID, so parallel tests never see each other's
// containers.
type env struct {
	t  *testing.T
	st *store.Store
	// dk is the engine's own client; rt is what the manager runs containers with: dk itself, or the Swarm runtime on
	// dk's engine when KIOSC_TEST_RUNTIME=swarm.
	dk       *docker.Client
	rt       lifecycle.Docker
	swarm    *dockertest.Engine
	keys     *secrets.Keys
	bus      *events.Bus
	tl       *recorder
	image    string
	instance string
	dataDir  string
	project  *store.Project
	user     *store.User
	m        *lifecycle.Manager
	stop     func()
	opts     lifecycle.Options
}

// recorder keeps timeline events in memory (and in the store).
type recorder struct{ st *store.Store }

func (r *recorder) Record(ctx context.Context, e *store.TimelineEvent) {
	_ = r.st.CreateTimelineEvent(ctx, e)
}

// runtimeEnv selects the runtime the lifecycle's tests run on: unset or docker (the shared engine), or swarm (a
// single-node swarm on a private engine of the test process; the Makefile runs a subset of the tests so).
const runtimeEnv = "KIOSC_TEST_RUNTIME"

func swarmRuntime() bool { return os.Getenv(runtimeEnv) == "swarm" }

func TestMain(m *testing.M) {
	code := m.Run()
	dockertest.StopSharedEngines()
	os.Exit(code)
}

func newEnv(t *testing.T, tweak func(*lifecycle.Options)) *env {
	t.Helper()
	dockertest.Client(t)
	image := dockertest.TestAppImage(t)
	var sw *dockertest.Engine
	dk, err := docker.New()
	if swarmRuntime() {
		sw = dockertest.SharedSwarmEngine(t)
		dk, err = docker.NewHost(sw.Host)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = dk.Close() })
	e := &env{t: t, st: storetest.New(t), dk: dk, rt: dk, swarm: sw, bus: events.New(nil), image: image,
		instance: "test-" + uuid.NewString(), dataDir: t.TempDir()}
	if sw != nil {
		e.rt = docker.NewSwarm(dk, docker.SwarmOptions{})
	}
	e.tl = &recorder{e.st}
	if sw != nil {
		dockertest.CleanupOn(t, sw.Client, lifecycle.LabelInstance+"="+e.instance)
	} else {
		dockertest.Cleanup(t, lifecycle.LabelInstance+"="+e.instance)
	}
	e.keys, _ = secrets.New([]byte("lifecycle test key lifecycle test key"))
	ctx := context.Background()
	e.project = &store.Project{Title: "P " + e.instance, Type: store.TypeProject, Source: "local"}
	if err := e.st.CreateProject(ctx, e.project); err != nil {
		t.Fatal(err)
	}
	e.user = &store.User{Username: "alice", Name: "Alice", IsActive: true, Source: store.SourceLocal}
	if err := e.st.CreateUser(ctx, e.user); err != nil {
		t.Fatal(err)
	}
	bind := netip.MustParseAddr("127.0.0.1")
	if sw != nil {
		bind = sw.Addr
	}
	e.opts = lifecycle.Options{InstanceID: e.instance, NetworkMode: lifecycle.NetworkDefaultBridge,
		HostBindIP: bind, DataDir: e.dataDir, BaseURL: &url.URL{Scheme: "http", Host: "kiosc.test"},
		ResyncInterval: 2 * time.Second, DefaultStartupTimeout: time.Minute, LogRetentionLines: 1000,
		StopTimeout: 2 * time.Second, BackoffBase: 300 * time.Millisecond}
	if sw != nil {
		e.opts.NetworkMode, e.opts.Swarm = lifecycle.NetworkPrivateBridges, true
	}
	if tweak != nil {
		tweak(&e.opts)
	}
	e.startManager()
	t.Cleanup(func() { e.stop() })
	return e
}

// startManager starts (or restarts, like a restart of kiosc) the manager on the same store and instance.
func (e *env) startManager() { e.startManagerWith(e.rt) }

// startManagerWith starts the manager on dk (the real client or a wrapper around it).
func (e *env) startManagerWith(dk lifecycle.Docker) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if os.Getenv("KIOSC_TEST_LOG") == "1" {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	e.m = lifecycle.New(e.st, dk, e.keys, e.bus, e.tl, log, e.opts)
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

func (e *env) create(in map[string]any) *store.Container {
	e.t.Helper()
	base := map[string]any{"title": "app " + uuid.NewString()[:6], "image": e.image, "container_port": dockertest.AppPort,
		"heartbeat_url": "/health"}
	for k, v := range in {
		base[k] = v
	}
	var li lifecycle.Input
	decode(e.t, base, &li)
	c, err := e.m.Create(context.Background(), e.user, e.project, &li)
	if err != nil {
		e.t.Fatalf("create: %v", err)
	}
	return c
}

// wait polls the container until ok holds, failing after a generous deadline.
func (e *env) wait(id string, what string, ok func(c *store.Container) bool) *store.Container {
	e.t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	var c *store.Container
	var err error
	for time.Now().Before(deadline) {
		c, err = e.st.GetContainer(context.Background(), id)
		if err == nil && ok(c) {
			return c
		}
		time.Sleep(50 * time.Millisecond)
	}
	if c != nil {
		e.t.Fatalf("container never %s: state %s/%s %q desired %s docker %s", what, c.State, c.StateReason, c.StateMessage, c.DesiredState, c.DockerState)
	}
	e.t.Fatalf("container never %s: %v", what, err)
	return nil
}

// waitOOM waits for the exit of an app killed for using more memory than its limit, and checks that kiosc calls it
// an OOM kill whenever the engine does. Engines now and then miss one (the kernel kills the process, but no oom
// event comes and State.OOMKilled stays unset, more often on a busy host); kiosc then shows the exit 137 it has,
// which the test accepts once it has made sure the engine did not report the OOM kill either. It returns the record
// and whether the engine reported the OOM kill.
func (e *env) waitOOM(id string, started time.Time) (*store.Container, bool) {
	e.t.Helper()
	c := e.wait(id, "exited with 137", func(c *store.Container) bool {
		return c.State == store.StateExited && c.ExitCode != nil && *c.ExitCode == 137
	})
	for until := time.Now().Add(10 * time.Second); !c.OOMKilled && time.Now().Before(until); {
		time.Sleep(100 * time.Millisecond)
		c, _ = e.st.GetContainer(context.Background(), id)
	}
	if c.OOMKilled {
		if c.StateReason != "oom_killed" {
			e.t.Errorf("OOM kill: %+v", c.ContainerState)
		}
		return c, true
	}
	info, err := e.rt.Inspect(context.Background(), c.DockerID)
	if err != nil {
		e.t.Fatalf("inspect after the exit: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	evc, _ := e.rt.Events(ctx, started, lifecycle.LabelContainer+"="+id)
	oomEvent := false
	for ev := range evc {
		oomEvent = oomEvent || ev.Action == "oom"
	}
	if info.OOMKilled || oomEvent {
		e.t.Errorf("the engine reported the OOM kill (OOMKilled %v, oom event %v), kiosc shows %+v", info.OOMKilled, oomEvent, c.ContainerState)
		return c, true
	}
	e.t.Logf("the engine did not report the OOM kill: kiosc shows the exit 137 as a crash, as Docker does")
	if c.StateReason != "crashed" {
		e.t.Errorf("exit 137 without an OOM report: %+v", c.ContainerState)
	}
	return c, false
}

func (e *env) waitState(id string, state store.State) *store.Container {
	e.t.Helper()
	return e.wait(id, string(state), func(c *store.Container) bool { return c.State == state })
}

// dockerContainers lists the Docker containers of one kiosc container.
func (e *env) dockerContainers(id string) []docker.Summary {
	e.t.Helper()
	l, err := e.rt.List(context.Background(), lifecycle.LabelInstance+"="+e.instance, lifecycle.LabelContainer+"="+id)
	if err != nil {
		e.t.Fatal(err)
	}
	return l
}
