package proxy_test

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
	"github.com/google/uuid"

	"github.com/bihealth/kiosc/app/docker"
	"github.com/bihealth/kiosc/app/docker/dockertest"
	"github.com/bihealth/kiosc/app/lifecycle"
	"github.com/bihealth/kiosc/app/proxy"
	"github.com/bihealth/kiosc/app/settings"
	"github.com/bihealth/kiosc/app/store"
	"github.com/bihealth/kiosc/app/timeline"
)

// managerContainers adapts the real lifecycle manager, as main.go does.
type managerContainers struct{ m *lifecycle.Manager }

func (c managerContainers) Upstream(ctx context.Context, id string) (proxy.Target, error) {
	u, err := c.m.Upstream(ctx, id)
	if errors.Is(err, lifecycle.ErrNoContainer) {
		return proxy.Target{}, fmt.Errorf("%w: %w", store.ErrNotFound, err)
	}
	if err != nil {
		return proxy.Target{}, err
	}
	return proxy.Target{ContainerUUID: u.ContainerUUID, ProjectUUID: u.ProjectUUID, State: u.State, Addr: u.Addr, StripPrefix: u.StripPrefix}, nil
}

func (c managerContainers) Touch(id string) { c.m.Touch(id) }

// TestThroughLifecycle runs the proxy in front of the real container lifecycle: an app opened through the proxy,
// kept alive by websocket frames alone, stopped as idle once they cease, and its tunnel closed by the stop.
func TestThroughLifecycle(t *testing.T) {
	dockertest.Client(t)
	image := dockertest.TestAppImage(t)
	instance := "proxytest-" + uuid.NewString()
	dockertest.Cleanup(t, lifecycle.LabelInstance+"="+instance)
	dk, err := docker.New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = dk.Close() })

	e := newBase(t)
	m := lifecycle.New(e.st, dk, e.keys, e.bus, &timeline.Recorder{Store: e.st, Bus: e.bus, Log: e.log}, e.log, lifecycle.Options{
		InstanceID: instance, NetworkMode: lifecycle.NetworkDefaultBridge, HostBindIP: netip.MustParseAddr("127.0.0.1"),
		DataDir: t.TempDir(), BaseURL: &url.URL{Scheme: "http", Host: "kiosc.test"}, ResyncInterval: 2 * time.Second,
		DefaultStartupTimeout: time.Minute, LogRetentionLines: 100, SweepInterval: 300 * time.Millisecond,
		StopTimeout: 2 * time.Second})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = m.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	e.serve(managerContainers{m})

	owner := e.member("olga", "owner")
	cookie, _ := e.session(owner)
	title, port, idle := "idle app", 8080, int64(3)
	c, err := m.Create(ctx, owner, e.project, &lifecycle.Input{Patch: settings.Patch{Title: &title, Image: &image,
		ContainerPort: &port, MaxIdle: &idle}})
	if err != nil {
		t.Fatal(err)
	}

	r := do(t, "GET", e.url(c.UUID, "/health"), cookie, nil, "Accept: application/json")
	if readAll(t, r); r.StatusCode != 503 {
		t.Fatalf("before opening: %d", r.StatusCode)
	}
	if err := m.Open(ctx, owner, c.UUID); err != nil {
		t.Fatal(err)
	}
	state := func() *store.Container {
		got, err := e.st.GetContainer(ctx, c.UUID)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	waitFor(t, "running", func() bool { return state().State == store.StateRunning })
	waitFor(t, "the app through the proxy", func() bool {
		r := do(t, "GET", e.url(c.UUID, "/health"), cookie, nil)
		readAll(t, r)
		return r.StatusCode == 200
	})

	ws, _, err := dialWS(t, e, c.UUID, cookie, "")
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	// Twice max_idle of websocket frames only, no HTTP requests: the app stays up.
	for end := time.Now().Add(2 * time.Duration(idle) * time.Second); time.Now().Before(end); {
		if err := ws.WriteMessage(websocket.TextMessage, []byte("still working")); err != nil {
			t.Fatal(err)
		}
		if _, _, err := ws.ReadMessage(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(250 * time.Millisecond)
	}
	if st := state(); st.State != store.StateRunning {
		t.Fatalf("stopped although its websocket was busy: %s/%s", st.State, st.StateReason)
	}

	// Silence: the sweep stops it as idle, and the stop closes the tunnel.
	_ = expectClosed(t, ws)
	if st := state(); st.DesiredState != store.StateStopped || st.StateReason != "idle" {
		t.Fatalf("after idling: %s/%s (desired %s)", st.State, st.StateReason, st.DesiredState)
	}
	if st := state(); st.LastAccessAt == nil {
		t.Fatal("last_access_at was never written")
	}
	events, _, err := e.st.ListTimelineEvents(ctx, store.TimelineFilter{})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, ev := range events {
		found = found || ev.EventName == "container_idle_stop"
	}
	if !found {
		t.Fatal("no container_idle_stop timeline event")
	}
	r = do(t, "GET", e.url(c.UUID, "/health"), cookie, nil, "Sec-Fetch-Mode: navigate")
	if readAll(t, r); r.StatusCode != 302 {
		t.Fatalf("navigation to the stopped app: %d", r.StatusCode)
	}
}
