package lifecycle_test

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bihealth/kiosc/app/docker/dockertest"
	"github.com/bihealth/kiosc/app/events"
	"github.com/bihealth/kiosc/app/settings"
	"github.com/bihealth/kiosc/app/store"
)

// liveEvent is an event as the live channel (/api/v1/ws) sends it, decoded from its JSON.
type liveEvent struct {
	Type string `json:"type"`
	Data struct {
		// container.state
		State store.State `json:"state"`
		// job.progress
		Step     string          `json:"step"`
		Message  string          `json:"message"`
		Progress *store.Progress `json:"progress"`
	} `json:"data"`
}

// collectUntil records the container's events from sub until its state is one of the given ones.
func collectUntil(t *testing.T, sub *events.Subscription, states ...store.State) []liveEvent {
	t.Helper()
	var got []liveEvent
	deadline := time.After(90 * time.Second)
	for {
		select {
		case ev := <-sub.C():
			b, err := json.Marshal(ev)
			if err != nil {
				t.Fatal(err)
			}
			var le liveEvent
			if err := json.Unmarshal(b, &le); err != nil {
				t.Fatal(err)
			}
			got = append(got, le)
			if le.Type == events.TypeContainerState && slices.Contains(states, le.Data.State) {
				return got
			}
		case <-sub.Done():
			t.Fatal("subscription dropped")
		case <-deadline:
			t.Fatalf("state never one of %v; events: %+v", states, got)
		}
	}
}

// appEnv returns the environment of the running app, as the app itself reports it.
func appEnv(t *testing.T, e *env, id string) map[string]string {
	t.Helper()
	up, err := e.m.Upstream(context.Background(), id)
	if err != nil || up.Addr == "" {
		t.Fatalf("upstream %+v %v", up, err)
	}
	var out map[string]string
	getJSON(t, "http://"+up.Addr+"/env", &out)
	return out
}

// TestStartFromPrivateRegistry starts containers whose image lives in a registry that demands credentials: without
// them, or with a wrong password, the start fails as access denied in words; with registry_auth the container goes
// initial → pulling → creating → starting → running, and the job.progress events published while it pulls carry
// the download progress the lobby shows, rising to the size of the layers pulled.
func TestStartFromPrivateRegistry(t *testing.T) {
	t.Parallel()
	// Started before the manager, so that its containers are removed before the registry's images.
	reg := dockertest.StartRegistry(t, dockertest.RegistryOptions{Username: "kiosc-puller", Password: "registry-secret",
		BlobBytesPerSecond: 1 << 20})
	img := reg.PushLayered(t, "kiosc-test/private:v1", dockertest.LayeredImage{Layers: 3, LayerSize: 2 << 20,
		Env: map[string]string{"KIOSC_TEST_IMAGE": "private-v1"}})
	e := newEnv(t, nil)
	ctx := context.Background()

	for _, c := range []struct {
		auth   any
		detail string
	}{{nil, "no basic auth credentials"}, {map[string]string{"username": "kiosc-puller", "password": "wrong"}, "unauthorized"}} {
		in := map[string]any{"image": img.Ref}
		if c.auth != nil {
			in["registry_auth"] = c.auth
		}
		ct := e.create(in)
		if _, err := e.m.Start(ctx, e.user, ct.UUID); err != nil {
			t.Fatal(err)
		}
		ct = e.waitState(ct.UUID, store.StateFailed)
		t.Logf("credentials %v: %q, detail %q", c.auth, ct.StateMessage, ct.StateDetail)
		want := "access denied: the registry " + reg.Host + " refused the image " + img.Ref
		if ct.StateReason != "pull_failed" || !strings.HasPrefix(ct.StateMessage, want) ||
			!strings.Contains(ct.StateDetail, c.detail) || strings.Contains(ct.StateMessage, c.detail) {
			t.Errorf("credentials %v: state %s/%s %q, detail %q; want pull_failed, %q…, detail with %q",
				c.auth, ct.State, ct.StateReason, ct.StateMessage, ct.StateDetail, want, c.detail)
		}
		if len(e.dockerContainers(ct.UUID)) != 0 {
			t.Errorf("credentials %v: a Docker container was created without the image", c.auth)
		}
	}

	c := e.create(map[string]any{"image": img.Ref,
		"registry_auth": map[string]string{"username": "kiosc-puller", "password": "registry-secret"}})
	if c.State != store.StateInitial {
		t.Fatalf("new container in state %s", c.State)
	}
	if view, _ := json.Marshal(e.m.View(c)); strings.Contains(string(view), "registry-secret") ||
		!strings.Contains(string(view), `"has_registry_auth":true`) {
		t.Errorf("view: %s", view)
	}
	sub := e.bus.Subscribe(10000, func(ev events.Event) bool { return ev.Key == c.UUID })
	t.Cleanup(func() { e.bus.Unsubscribe(sub) })
	if _, err := e.m.Start(ctx, e.user, c.UUID); err != nil {
		t.Fatal(err)
	}
	evs := collectUntil(t, sub, store.StateRunning, store.StateFailed)

	var states []store.State
	var pulls []*store.Progress
	state := c.State
	for _, ev := range evs {
		switch ev.Type {
		case events.TypeContainerState:
			state = ev.Data.State
			if len(states) == 0 || states[len(states)-1] != state {
				states = append(states, state)
			}
		case events.TypeJobProgress:
			if ev.Data.Step == "pull" && ev.Data.Progress != nil {
				if state != store.StatePulling {
					t.Errorf("pull progress %+v in state %s", *ev.Data.Progress, state)
				}
				pulls = append(pulls, ev.Data.Progress)
			}
		}
	}
	states = slices.DeleteFunc(states, func(s store.State) bool { return s == store.StateInitial })
	if want := []store.State{store.StatePulling, store.StateCreating, store.StateStarting, store.StateRunning}; !slices.Equal(states, want) {
		t.Errorf("states %v, want %v", states, want)
	}
	var size int64
	for _, l := range img.Layers[1:] {
		size += l.Size
	}
	var during int
	prev := &store.Progress{}
	for _, p := range pulls {
		if p.Current < prev.Current || p.Total < prev.Total || p.Current > p.Total || p.Percent < 0 || p.Percent > 100 {
			t.Errorf("pull progress %+v after %+v", *p, *prev)
		}
		if p.Current < p.Total {
			during++
		}
		prev = p
	}
	if during < 3 {
		t.Errorf("%d progress events during the download, want at least 3", during)
	}
	if prev.Current != size || prev.Total != size || prev.Percent != 100 {
		t.Errorf("last pull progress %+v, want %d of %d bytes, 100%%", *prev, size, size)
	}
	if got := appEnv(t, e, c.UUID)["KIOSC_TEST_IMAGE"]; got != "private-v1" {
		t.Errorf("the app runs an image with KIOSC_TEST_IMAGE=%q", got)
	}
}

// TestPullPolicyAlwaysFollowsMovedTag moves a tag in the registry while the engine still has the old image under
// it: a restart with pull_policy always pulls and runs the new image, one with if-missing keeps the old image
// without asking the registry.
func TestPullPolicyAlwaysFollowsMovedTag(t *testing.T) {
	t.Parallel()
	reg := dockertest.StartRegistry(t, dockertest.RegistryOptions{})
	small := dockertest.LayeredImage{Layers: 1, LayerSize: 256 << 10}
	small.Env = map[string]string{"KIOSC_TEST_IMAGE": "v1"}
	v1 := reg.PushLayered(t, "kiosc-test/moving:latest", small)
	e := newEnv(t, nil)
	ctx := context.Background()

	always := e.create(map[string]any{"image": v1.Ref, "pull_policy": settings.PullAlways})
	missing := e.create(map[string]any{"image": v1.Ref})
	for _, c := range []*store.Container{always, missing} {
		if _, err := e.m.Start(ctx, e.user, c.UUID); err != nil {
			t.Fatal(err)
		}
		e.waitState(c.UUID, store.StateRunning)
		if got := appEnv(t, e, c.UUID)["KIOSC_TEST_IMAGE"]; got != "v1" {
			t.Fatalf("first start runs KIOSC_TEST_IMAGE=%q, want v1", got)
		}
	}

	small.Env = map[string]string{"KIOSC_TEST_IMAGE": "v2"}
	v2 := reg.PushLayered(t, "kiosc-test/moving:latest", small)
	// The engine keeps v1 under the tag, as after the first pull.
	reg.TagLocal(t, v1.ID, v1.Ref)

	manifestGets := func() int {
		n := 0
		for _, q := range reg.Requests() {
			if strings.Contains(q.Path, "/manifests/") && (q.Method == http.MethodGet || q.Method == http.MethodHead) {
				n++
			}
		}
		return n
	}
	restart := func(c *store.Container) *store.Container {
		t.Helper()
		before := e.waitState(c.UUID, store.StateRunning).DockerID
		if _, err := e.m.Restart(ctx, e.user, c.UUID); err != nil {
			t.Fatal(err)
		}
		return e.wait(c.UUID, "running in a new Docker container", func(c *store.Container) bool {
			return c.State == store.StateRunning && c.DockerID != before
		})
	}

	asked := manifestGets()
	restart(missing)
	if got := appEnv(t, e, missing.UUID)["KIOSC_TEST_IMAGE"]; got != "v1" {
		t.Errorf("if-missing after the tag moved runs KIOSC_TEST_IMAGE=%q, want v1 (the local image)", got)
	}
	if n := manifestGets(); n != asked {
		t.Errorf("if-missing asked the registry for the manifest %d times", n-asked)
	}

	c := restart(always)
	if got := appEnv(t, e, always.UUID)["KIOSC_TEST_IMAGE"]; got != "v2" {
		t.Errorf("always after the tag moved runs KIOSC_TEST_IMAGE=%q, want v2", got)
	}
	if manifestGets() == asked {
		t.Error("always did not ask the registry for the manifest")
	}
	if id := dockertest.ImageOf(t, c.DockerID); id != v2.ID {
		t.Errorf("Docker container runs image %s, want v2 %s", id, v2.ID)
	}
}
