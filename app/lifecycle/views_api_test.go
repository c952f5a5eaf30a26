package lifecycle_test

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/fasthttp/websocket"

	"github.com/bihealth/kiosc/app/api"
	"github.com/bihealth/kiosc/app/api/apitest"
	"github.com/bihealth/kiosc/app/events"
	"github.com/bihealth/kiosc/app/lifecycle"
	"github.com/bihealth/kiosc/app/settings"
	"github.com/bihealth/kiosc/app/store"
)

// viewerKeys are the only container fields viewers receive anywhere.
var viewerKeys = []string{"access", "created_at", "description", "desired_state", "effective_access", "project", "proxy_url",
	"ready_at", "started_at", "state", "state_reason", "stopped_at", "title", "updated_at", "uuid"}

// detailOnlyKeys are fields of the detail that must never reach viewers.
var detailOnlyKeys = []string{"image", "command", "environment", "secret_environment_keys", "docker_id", "docker_state",
	"host_port", "has_registry_auth", "template", "state_message", "exit_code", "oom_killed", "created_by",
	"last_access_at", "container_port", "container_path", "heartbeat_url", "memory_limit", "restart_pending"}

func keysOf(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// checkShape fails unless c is the viewer's list entry (viewer) or the full container (others).
func checkShape(t *testing.T, where string, viewer bool, c map[string]any) {
	t.Helper()
	b, _ := json.Marshal(c)
	if strings.Contains(string(b), "secret-value") || strings.Contains(string(b), "registry-password") {
		t.Errorf("%s: a secret value: %s", where, b)
	}
	if viewer {
		if got := keysOf(c); !slices.Equal(got, viewerKeys) {
			t.Errorf("%s: viewer sees %v, want %v", where, got, viewerKeys)
		}
		return
	}
	for _, k := range detailOnlyKeys {
		if _, ok := c[k]; !ok {
			t.Errorf("%s: %s missing: %s", where, k, b)
		}
	}
	if env, _ := c["environment"].(map[string]any); env["PLAIN"] != "visible-to-guests" {
		t.Errorf("%s: environment %v", where, c["environment"])
	}
}

// liveMsg is one message of /api/v1/ws.
type liveMsg struct {
	Type string         `json:"type"`
	Data map[string]any `json:"data"`
}

// readLive reads messages until ok accepts one, failing on a timeout; every message read is passed to seen first.
func readLive(t *testing.T, conn *websocket.Conn, what string, seen func(liveMsg), ok func(liveMsg) bool) liveMsg {
	t.Helper()
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		_, b, err := conn.ReadMessage()
		if err != nil {
			t.Fatalf("waiting for %s: %v", what, err)
		}
		var m liveMsg
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		if seen != nil {
			seen(m)
		}
		if ok(m) {
			return m
		}
	}
}

func isState(uuid string) func(liveMsg) bool {
	return func(m liveMsg) bool { return m.Type == events.TypeContainerState && m.Data["uuid"] == uuid }
}

// serve starts the env's server on a loopback listener and returns its address.
func serve(t *testing.T, a *apiEnv) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = a.Server.Serve(ln) }()
	t.Cleanup(func() { _ = a.Server.Shutdown(context.Background()) })
	return ln.Addr().String()
}

func TestContainerViewPerRole(t *testing.T) {
	a := newAPIEnv(t, downDocker{})
	addr := serve(t, a)
	ctx := context.Background()
	admin, _ := a.Store.GetUserByUsername(ctx, "admin")
	ct, err := a.m.Create(ctx, admin, a.project, &lifecycle.Input{Patch: settings.Patch{Title: ptr("app"), Image: ptr("registry.example/app:1"),
		Command:     ptr("serve --token x"),
		Environment: map[string]any{"PLAIN": "visible-to-guests"}},
		SecretEnvironment: map[string]any{"TOKEN": "secret-value"},
		RegistryAuth:      json.RawMessage(`{"username": "u", "password": "registry-password"}`)})
	if err != nil {
		t.Fatal(err)
	}
	roles := []struct {
		name, role string
		superuser  bool
		viewer     bool
	}{
		{"vera", "viewer", false, true}, {"gus", "guest", false, false}, {"cora", "contributor", false, false},
		{"otto", "owner", false, false}, {"root", "", true, false},
	}
	clients := map[string]*apitest.Client{}
	live := map[string]*websocket.Conn{}
	for _, r := range roles {
		if r.superuser {
			clients[r.name] = a.User(r.name, true)
		} else {
			clients[r.name] = a.member(r.name, r.role)
		}
		live[r.name] = wsDial(t, addr, clients[r.name], "/api/v1/ws")
		readLive(t, live[r.name], "hello", nil, func(m liveMsg) bool { return m.Type == "hello" })
	}

	for _, r := range roles {
		cl := clients[r.name]
		t.Run(r.name+"/lists", func(t *testing.T) {
			for _, path := range []string{"/api/v1/projects/" + a.project.UUID + "/containers", "/api/v1/containers",
				"/api/v1/containers?project=" + a.project.UUID} {
				res := cl.Do("GET", path, nil)
				items, _ := res.JSON["items"].([]any)
				if res.StatusCode != 200 || len(items) != 1 {
					t.Fatalf("%s: %d %s", path, res.StatusCode, res.Body)
				}
				checkShape(t, path, r.viewer, items[0].(map[string]any))
			}
		})
		t.Run(r.name+"/detail", func(t *testing.T) {
			res := cl.Do("GET", "/api/v1/containers/"+ct.UUID, nil)
			if r.viewer {
				if res.StatusCode != 403 {
					t.Errorf("viewer's detail: %d %s", res.StatusCode, res.Body)
				}
				return
			}
			if res.StatusCode != 200 {
				t.Fatalf("detail: %d %s", res.StatusCode, res.Body)
			}
			checkShape(t, "detail", false, res.JSON)
		})
	}

	// One change, one message per subscriber, each rendered for that subscriber's role.
	in := &lifecycle.Input{Patch: settings.Patch{Description: ptr("changed")}}
	if _, err := a.m.Update(ctx, admin, ct.UUID, in); err != nil {
		t.Fatal(err)
	}
	for _, r := range roles {
		t.Run(r.name+"/live", func(t *testing.T) {
			m := readLive(t, live[r.name], "container.state", func(m liveMsg) {
				if r.viewer && m.Type != events.TypeContainerState {
					t.Errorf("viewer received %s", m.Type)
				}
			}, func(m liveMsg) bool { return isState(ct.UUID)(m) && m.Data["description"] == "changed" })
			checkShape(t, "container.state", r.viewer, m.Data)
		})
	}
}

func TestLiveChannelFollowsDemotion(t *testing.T) {
	a := newAPIEnv(t, downDocker{})
	addr := serve(t, a)
	ctx := context.Background()
	admin, _ := a.Store.GetUserByUsername(ctx, "admin")
	other := &store.Project{Title: "Other " + a.instance, Type: store.TypeProject, Source: "local"}
	if err := a.Store.CreateProject(ctx, other); err != nil {
		t.Fatal(err)
	}
	input := func(title string) *lifecycle.Input {
		return &lifecycle.Input{Patch: settings.Patch{Title: ptr(title), Image: ptr("nginx:1"),
			Environment: map[string]any{"PLAIN": "visible-to-guests"}}}
	}
	ct, err := a.m.Create(ctx, admin, a.project, input("app"))
	if err != nil {
		t.Fatal(err)
	}
	marker, err := a.m.Create(ctx, admin, other, input("marker"))
	if err != nil {
		t.Fatal(err)
	}
	user := func(name string) *store.User {
		u, err := a.Store.GetUserByUsername(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	setRole := func(name string, p *store.Project, role string) {
		if _, err := a.Store.AssignRole(ctx, &store.RoleAssignment{ProjectID: p.ID, UserID: user(name).ID, Role: role, Source: "local"}); err != nil {
			t.Fatal(err)
		}
	}
	// Every subscriber keeps a viewer role in the other project, whose container changes serve as a marker: a
	// message about the first project that was due after the demotion would have come before it.
	root := a.User("root", true)
	carl := a.member("carl", "contributor")
	dora := a.member("dora", "contributor")
	for _, n := range []string{"root", "carl", "dora"} {
		setRole(n, other, "viewer")
	}
	conns := map[string]*websocket.Conn{}
	for n, cl := range map[string]*apitest.Client{"root": root, "carl": carl, "dora": dora} {
		conns[n] = wsDial(t, addr, cl, "/api/v1/ws")
		readLive(t, conns[n], "hello", nil, func(m liveMsg) bool { return m.Type == "hello" })
	}
	change := func(uuid, desc string) {
		t.Helper()
		if _, err := a.m.Update(ctx, admin, uuid, &lifecycle.Input{Patch: settings.Patch{Description: ptr(desc)}}); err != nil {
			t.Fatal(err)
		}
	}
	change(ct.UUID, "before")
	change(marker.UUID, "sync")
	for n, conn := range conns {
		m := readLive(t, conn, n+": before", nil, func(m liveMsg) bool { return isState(ct.UUID)(m) && m.Data["description"] == "before" })
		checkShape(t, n+" before", false, m.Data)
		// Everything published before the demotion has been read once the sync marker arrives.
		readLive(t, conn, n+": sync", nil, func(m liveMsg) bool { return isState(marker.UUID)(m) && m.Data["description"] == "sync" })
	}

	// root loses superuser rights, carl his role, dora is downgraded to viewer.
	u := user("root")
	u.IsSuperuser = false
	if err := a.Store.UpdateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	if err := a.Store.DeleteRole(ctx, a.project.ID, user("carl").ID); err != nil {
		t.Fatal(err)
	}
	setRole("dora", a.project, "viewer")
	change(ct.UUID, "after")
	change(marker.UUID, "marker")

	for _, n := range []string{"root", "carl"} {
		readLive(t, conns[n], n+": marker", func(m liveMsg) {
			if m.Data["project"] == a.project.UUID || m.Data["uuid"] == ct.UUID || m.Data["object_uuid"] == ct.UUID ||
				m.Data["container"] == ct.UUID {
				t.Errorf("%s received %s about a project they lost: %v", n, m.Type, m.Data)
			}
			if m.Type != events.TypeContainerState {
				t.Errorf("%s, now a viewer everywhere, received %s", n, m.Type)
			}
		}, func(m liveMsg) bool { return isState(marker.UUID)(m) && m.Data["description"] == "marker" })
	}
	m := readLive(t, conns["dora"], "dora: after", func(m liveMsg) {
		if m.Type != events.TypeContainerState {
			t.Errorf("dora, now a viewer, received %s", m.Type)
		}
	}, func(m liveMsg) bool { return isState(ct.UUID)(m) && m.Data["description"] == "after" })
	checkShape(t, "dora after", true, m.Data)
}

func TestLogStreamClosesOnDemotion(t *testing.T) {
	a := newAPIEnv(t, downDocker{})
	addr := serve(t, a)
	ctx := context.Background()
	admin, _ := a.Store.GetUserByUsername(ctx, "admin")
	ct, err := a.m.Create(ctx, admin, a.project,
		&lifecycle.Input{Patch: settings.Patch{Title: ptr("app"), Image: ptr("nginx:1")}})
	if err != nil {
		t.Fatal(err)
	}
	user := func(name string) *store.User {
		u, err := a.Store.GetUserByUsername(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	clients := map[string]*apitest.Client{
		"root": a.User("root", true), "carl": a.member("carl", "contributor"), "gina": a.member("gina", "contributor"),
		"dave": a.member("dave", "contributor"),
	}
	streams := map[string]*websocket.Conn{}
	subscribers := a.Bus.Len()
	for n, cl := range clients {
		streams[n] = wsDial(t, addr, cl, "/api/v1/containers/"+ct.UUID+"/logs/stream?tail=0")
	}
	// The streams subscribe to the bus just after the handshake; lines published before would not reach them.
	for deadline := time.Now().Add(5 * time.Second); a.Bus.Len() < subscribers+len(clients); {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d log streams subscribed", a.Bus.Len()-subscribers, len(clients))
		}
		time.Sleep(10 * time.Millisecond)
	}
	line := func(text string) {
		a.Bus.Publish(events.Event{Type: events.TypeContainerLog, ProjectUUID: a.project.UUID, Key: ct.UUID,
			Data: lifecycle.LogLine{Time: time.Now().UTC(), Stream: "stdout", Line: text}})
	}
	expectLine := func(n, text string) {
		t.Helper()
		_ = streams[n].SetReadDeadline(time.Now().Add(10 * time.Second))
		_, b, err := streams[n].ReadMessage()
		if err != nil || !strings.Contains(string(b), text) {
			t.Fatalf("%s: %q %v, want the line %q", n, b, err, text)
		}
	}
	// expectRevoked reads until the stream ends: every line before the close must predate the demotion.
	expectRevoked := func(n string, within time.Duration) {
		t.Helper()
		_ = streams[n].SetReadDeadline(time.Now().Add(within))
		for {
			_, b, err := streams[n].ReadMessage()
			if err == nil {
				t.Errorf("%s received a line after losing the right to it: %s", n, b)
				continue
			}
			var ce *websocket.CloseError
			if !errors.As(err, &ce) || ce.Code != websocket.ClosePolicyViolation || ce.Text != "access revoked" {
				t.Errorf("%s: stream ended with %v, want close 1008 \"access revoked\"", n, err)
			}
			return
		}
	}
	line("first")
	for n := range streams {
		expectLine(n, "first")
	}

	// Demoted superuser and removed member, while lines keep coming: not one more line, then the close.
	u := user("root")
	u.IsSuperuser = false
	if err := a.Store.UpdateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	if err := a.Store.DeleteRole(ctx, a.project.ID, user("carl").ID); err != nil {
		t.Fatal(err)
	}
	line("second")
	expectRevoked("root", 5*time.Second)
	expectRevoked("carl", 5*time.Second)
	expectLine("dave", "second")
	expectLine("gina", "second")

	// A downgrade to guest with no line arriving: the stream closes by itself within a few seconds.
	if _, err := a.Store.AssignRole(ctx, &store.RoleAssignment{ProjectID: a.project.ID, UserID: user("gina").ID, Role: "guest",
		Source: "local"}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	expectRevoked("gina", api.LogAccessRecheck+3*time.Second)
	if d := time.Since(start); d > api.LogAccessRecheck+2*time.Second {
		t.Errorf("closed after %v", d)
	}
	line("third")
	expectLine("dave", "third")
}
