package lifecycle_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
	"github.com/google/uuid"

	"github.com/bihealth/kiosc/app/api"
	"github.com/bihealth/kiosc/app/api/apitest"
	"github.com/bihealth/kiosc/app/docker"
	"github.com/bihealth/kiosc/app/docker/dockertest"
	"github.com/bihealth/kiosc/app/lifecycle"
	"github.com/bihealth/kiosc/app/routing"
	"github.com/bihealth/kiosc/app/server"
	"github.com/bihealth/kiosc/app/settings"
	"github.com/bihealth/kiosc/app/sharing"
	"github.com/bihealth/kiosc/app/store"
	"github.com/bihealth/kiosc/app/timeline"
	"github.com/bihealth/kiosc/app/usage"
	"github.com/bihealth/kiosc/app/web"
)

// apiEnv is the REST API with a manager on dk (real engine or a stub).
type apiEnv struct {
	*apitest.Env
	m        *lifecycle.Manager
	hub      *usage.Hub
	share    *sharing.Service
	instance string
	project  *store.Project
	dk       *docker.Client // the real engine's client, set by servedAPIEnv
}

func newAPIEnv(t *testing.T, dk lifecycle.Docker) *apiEnv {
	t.Helper()
	a := &apiEnv{instance: "test-" + uuid.NewString()}
	a.Env = apitest.New(t, apitest.Options{API: func(e *apitest.Env) []server.Module {
		rec := &timeline.Recorder{Store: e.Store, Bus: e.Bus, Log: e.Log}
		log := e.Log
		if os.Getenv("KIOSC_TEST_LOG") == "1" {
			log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
		}
		share, err := sharing.New(context.Background(), e.Store, rec, log)
		if err != nil {
			t.Fatal(err)
		}
		a.share = share
		a.m = lifecycle.New(e.Store, dk, e.Keys, e.Bus, rec, log, lifecycle.Options{InstanceID: a.instance, Sharing: share.Site,
			HostBindIP: netip.MustParseAddr("127.0.0.1"), DataDir: t.TempDir(), BaseURL: e.BaseURL, ResyncInterval: 2 * time.Second,
			DefaultStartupTimeout: time.Minute, LogRetentionLines: 1000, StopTimeout: 2 * time.Second,
			Limits: settings.Limits{MaxMemory: 1 << 30, MaxCPUs: 2, MaxPIDs: 500}})
		mods := []server.Module{&api.Containers{Manager: a.m, Store: e.Store, Checker: e.Checker, Bus: e.Bus, BaseURL: e.BaseURL},
			&api.Live{Bus: e.Bus, Checker: e.Checker, Auth: e.Auth, BaseURL: e.BaseURL, Log: e.Log, Version: "test"},
			&api.Volumes{Manager: a.m, Store: e.Store, Checker: e.Checker, Log: e.Log},
			&api.Templates{Store: e.Store, Checker: e.Checker, Manager: a.m, Timeline: rec},
			&api.Sharing{Sharing: share, Store: e.Store, Checker: e.Checker, Manager: a.m,
				Apps: routing.Apps{Mode: routing.AppOrigin, Base: e.BaseURL, AppBase: &url.URL{Scheme: "http", Host: "apps.test:8081"}}}}
		if src, ok := dk.(usage.Source); ok {
			a.hub = usage.NewHub(src, e.Store, e.Bus, log)
			mods = append(mods, &api.Usage{Hub: a.hub, Manager: a.m, Store: e.Store, Checker: e.Checker, BaseURL: e.BaseURL})
		}
		return mods
	}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = a.m.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	a.project = &store.Project{Title: "Project " + a.instance, Type: store.TypeProject, Source: "local"}
	if err := a.Store.CreateProject(ctx, a.project); err != nil {
		t.Fatal(err)
	}
	return a
}

// member creates a user with role in the project and returns a logged-in client.
func (a *apiEnv) member(name, role string) *apitest.Client {
	a.T.Helper()
	c := a.User(name, false)
	if role != "" {
		u, err := a.Store.GetUserByUsername(context.Background(), name)
		if err != nil {
			a.T.Fatal(err)
		}
		if _, err := a.Store.AssignRole(context.Background(), &store.RoleAssignment{ProjectID: a.project.ID, UserID: u.ID, Role: role, Source: "local"}); err != nil {
			a.T.Fatal(err)
		}
	}
	return c
}

// downDocker is an engine that never answers: enough for permission checks, which never wait for Docker.
type downDocker struct{}

var errDown = errors.New("engine down (test stub)")

func (downDocker) ImageExists(context.Context, string) (bool, error) { return false, errDown }
func (downDocker) Pull(context.Context, string, *docker.RegistryAuth, func(docker.PullProgress)) error {
	return errDown
}
func (downDocker) Create(context.Context, docker.ContainerSpec) (string, error) { return "", errDown }
func (downDocker) Start(context.Context, string) error                          { return errDown }
func (downDocker) Stop(context.Context, string, time.Duration) error            { return errDown }
func (downDocker) Pause(context.Context, string) error                          { return errDown }
func (downDocker) Unpause(context.Context, string) error                        { return errDown }
func (downDocker) Remove(context.Context, string) error                         { return errDown }
func (downDocker) Inspect(context.Context, string) (*docker.ContainerInfo, error) {
	return nil, errDown
}
func (downDocker) List(context.Context, ...string) ([]docker.Summary, error) { return nil, errDown }
func (downDocker) EnsureNetwork(context.Context, docker.NetworkSpec) (string, error) {
	return "", errDown
}
func (downDocker) RemoveNetworks(context.Context, string) error         { return errDown }
func (downDocker) ConnectNetwork(context.Context, string, string) error { return errDown }
func (downDocker) Logs(context.Context, string, docker.LogOptions, func(docker.LogLine)) error {
	return errDown
}
func (downDocker) Events(ctx context.Context, _ time.Time, _ ...string) (<-chan docker.Event, <-chan error) {
	ch, errc := make(chan docker.Event), make(chan error, 1)
	close(ch)
	errc <- errDown
	return ch, errc
}

func TestAPIPermissionMatrix(t *testing.T) {
	a := newAPIEnv(t, downDocker{})
	roles := []struct {
		name, role string
		superuser  bool
	}{
		{"viewer", "viewer", false}, {"guest", "guest", false}, {"contributor", "contributor", false},
		{"delegate", "delegate", false}, {"owner", "owner", false}, {"root", "", true}, {"stranger", "", false}, {"anonymous", "", false},
	}
	// Expected status per action for viewer, guest, contributor+ (incl. superuser), non-member, anonymous.
	type want struct{ viewer, guest, manager, stranger int }
	actions := []struct {
		name   string
		method string
		path   string
		body   any
		want   want
	}{
		{"list", "GET", "/api/v1/projects/{p}/containers", nil, want{200, 200, 200, 404}},
		{"list all", "GET", "/api/v1/containers?project={p}", nil, want{200, 200, 200, 404}},
		{"get", "GET", "/api/v1/containers/{c}", nil, want{403, 200, 200, 404}},
		{"events", "GET", "/api/v1/containers/{c}/events", nil, want{403, 200, 200, 404}},
		{"jobs", "GET", "/api/v1/containers/{c}/jobs", nil, want{403, 200, 200, 404}},
		{"logs", "GET", "/api/v1/containers/{c}/logs", nil, want{403, 403, 200, 404}},
		{"create", "POST", "/api/v1/projects/{p}/containers", map[string]any{"title": "new {u}", "image": "nginx:1"}, want{403, 403, 201, 404}},
		{"patch", "PATCH", "/api/v1/containers/{c}", map[string]any{"description": "changed"}, want{403, 403, 200, 404}},
		{"open", "POST", "/api/v1/containers/{c}/open", nil, want{403, 202, 202, 404}},
		{"start", "POST", "/api/v1/containers/{c}/start", nil, want{403, 403, 202, 404}},
		{"stop", "POST", "/api/v1/containers/{c}/stop", nil, want{403, 403, 202, 404}},
		{"restart", "POST", "/api/v1/containers/{c}/restart", nil, want{403, 403, 202, 404}},
		// The stub engine answers nothing: a check cannot be made (503), an update is queued like any action.
		{"check update", "POST", "/api/v1/containers/{c}/check-update", nil, want{403, 403, 503, 404}},
		{"update", "POST", "/api/v1/containers/{c}/update", nil, want{403, 403, 202, 404}},
		{"delete", "DELETE", "/api/v1/containers/{c}", nil, want{403, 403, 202, 404}},
	}
	owner, _ := a.Store.GetUserByUsername(context.Background(), "admin")
	for _, r := range roles {
		var cl *apitest.Client
		switch {
		case r.name == "anonymous":
			cl = a.Anonymous()
		case r.superuser:
			cl = a.User(r.name, true)
		default:
			cl = a.member(r.name, r.role)
		}
		ct, err := a.m.Create(context.Background(), owner, a.project,
			&lifecycle.Input{Patch: settings.Patch{Title: ptr("c " + r.name), Image: ptr("nginx:1")}})
		if err != nil {
			t.Fatal(err)
		}
		for _, ac := range actions {
			t.Run(r.name+"/"+ac.name, func(t *testing.T) {
				path := strings.NewReplacer("{p}", a.project.UUID, "{c}", ct.UUID).Replace(ac.path)
				body := ac.body
				if m, ok := body.(map[string]any); ok {
					b, _ := json.Marshal(m)
					body = strings.ReplaceAll(string(b), "{u}", r.name)
				}
				res := cl.Do(ac.method, path, body)
				exp := ac.want.manager
				switch r.role {
				case "viewer":
					exp = ac.want.viewer
				case "guest":
					exp = ac.want.guest
				}
				if r.name == "stranger" {
					exp = ac.want.stranger
				}
				if r.name == "anonymous" {
					exp = 401
				}
				if res.StatusCode != exp {
					t.Errorf("%s %s: %d, want %d: %s", ac.method, path, res.StatusCode, exp, res.Body)
				}
			})
		}
	}
	// Lists hold only what the caller may see.
	res := a.Login("stranger", "password-123").Do("GET", "/api/v1/containers", nil)
	if res.StatusCode != 200 || res.JSON["total"].(float64) != 0 {
		t.Errorf("stranger's list: %s", res.Body)
	}
}

func TestAPIValidation(t *testing.T) {
	a := newAPIEnv(t, downDocker{})
	root := a.User("root", true)
	path := "/api/v1/projects/" + a.project.UUID + "/containers"
	ok := root.Do("POST", path, map[string]any{"title": "taken", "image": "nginx:1"})
	if ok.StatusCode != 201 {
		t.Fatalf("create: %s", ok.Body)
	}
	for _, tc := range []struct {
		name  string
		body  any
		field string
	}{
		{"title missing", map[string]any{"image": "nginx"}, "title"},
		{"title empty", map[string]any{"title": " ", "image": "nginx"}, "title"},
		{"title too long", map[string]any{"title": strings.Repeat("x", 256), "image": "nginx"}, "title"},
		{"title taken", map[string]any{"title": "taken", "image": "nginx"}, "title"},
		{"image missing", map[string]any{"title": "a"}, "image"},
		{"image uppercase", map[string]any{"title": "a", "image": "Nginx:1"}, "image"},
		{"image bad tag", map[string]any{"title": "a", "image": "nginx:-x"}, "image"},
		{"image bad digest", map[string]any{"title": "a", "image": "nginx@sha256:xyz"}, "image"},
		{"image spaces", map[string]any{"title": "a", "image": "ngi nx"}, "image"},
		{"command unbalanced", map[string]any{"title": "a", "image": "nginx", "command": `run 'x`}, "command"},
		{"command too long", map[string]any{"title": "a", "image": "nginx", "command": strings.Repeat("x", 65<<10)}, "command"},
		{"env name", map[string]any{"title": "a", "image": "nginx", "environment": map[string]any{"1X": "v"}}, "environment.1X"},
		{"env value", map[string]any{"title": "a", "image": "nginx", "environment": map[string]any{"X": 1}}, "environment.X"},
		{"env reserved", map[string]any{"title": "a", "image": "nginx", "environment": map[string]any{"KIOSC_BASE_PATH": "/"}}, "environment.KIOSC_BASE_PATH"},
		{"secret value", map[string]any{"title": "a", "image": "nginx", "secret_environment": map[string]any{"S": true}}, "secret_environment.S"},
		{"port zero", map[string]any{"title": "a", "image": "nginx", "container_port": 0}, "container_port"},
		{"port high", map[string]any{"title": "a", "image": "nginx", "container_port": 65536}, "container_port"},
		{"port type", map[string]any{"title": "a", "image": "nginx", "container_port": "80"}, "container_port"},
		{"path", map[string]any{"title": "a", "image": "nginx", "container_path": "a/../b"}, "container_path"},
		{"heartbeat", map[string]any{"title": "a", "image": "nginx", "heartbeat_url": "ftp://x/y"}, "heartbeat_url"},
		{"startup timeout", map[string]any{"title": "a", "image": "nginx", "startup_timeout": -1}, "startup_timeout"},
		{"max idle", map[string]any{"title": "a", "image": "nginx", "max_idle": 1 << 40}, "max_idle"},
		{"max lifetime", map[string]any{"title": "a", "image": "nginx", "max_lifetime": -5}, "max_lifetime"},
		{"memory small", map[string]any{"title": "a", "image": "nginx", "memory_limit": 1024}, "memory_limit"},
		{"memory over site", map[string]any{"title": "a", "image": "nginx", "memory_limit": 2 << 30}, "memory_limit"},
		{"cpu negative", map[string]any{"title": "a", "image": "nginx", "cpu_limit": -1}, "cpu_limit"},
		{"cpu over site", map[string]any{"title": "a", "image": "nginx", "cpu_limit": 4}, "cpu_limit"},
		{"pids negative", map[string]any{"title": "a", "image": "nginx", "pids_limit": -1}, "pids_limit"},
		{"pids over site", map[string]any{"title": "a", "image": "nginx", "pids_limit": 501}, "pids_limit"},
		{"retries", map[string]any{"title": "a", "image": "nginx", "max_retries": 11}, "max_retries"},
		{"pull policy", map[string]any{"title": "a", "image": "nginx", "pull_policy": "never"}, "pull_policy"},
		{"registry auth", map[string]any{"title": "a", "image": "nginx", "registry_auth": map[string]any{"username": "u"}}, "registry_auth"},
		{"unknown field", map[string]any{"title": "a", "image": "nginx", "privileged": true}, "privileged"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := root.Do("POST", path, tc.body)
			if res.StatusCode != 400 || res.ErrorCode() != "validation_failed" {
				t.Fatalf("%d %s", res.StatusCode, res.Body)
			}
			fields, _ := res.JSON["error"].(map[string]any)["fields"].(map[string]any)
			if _, ok := fields[tc.field]; !ok {
				t.Errorf("no error for %s: %s", tc.field, res.Body)
			}
		})
	}
	if res := root.Do("POST", path, `{"title": "a", "image": `); res.StatusCode != 400 || res.ErrorCode() != "invalid_json" {
		t.Errorf("malformed JSON: %d %s", res.StatusCode, res.Body)
	}
	if res := root.Do("POST", path, `{"title": "a", "image": "nginx", "description": "`+strings.Repeat("x", 1<<20)+`"}`); res.StatusCode != 413 {
		t.Errorf("large body: %d", res.StatusCode)
	}
	id := ok.JSON["uuid"].(string)
	if res := root.Do("PATCH", "/api/v1/containers/"+id, map[string]any{"image": "UPPER"}); res.StatusCode != 400 {
		t.Errorf("patch validation: %d", res.StatusCode)
	}
	if res := root.Do("GET", "/api/v1/containers?state=bogus", nil); res.StatusCode != 400 {
		t.Errorf("bad state filter: %d", res.StatusCode)
	}
	if res := root.Do("GET", "/api/v1/containers/"+id+"/logs?tail=x", nil); res.StatusCode != 400 {
		t.Errorf("bad tail: %d", res.StatusCode)
	}
	if res := root.Do("POST", "/api/v1/containers/"+id+"/pause", nil); res.StatusCode != 409 {
		t.Errorf("pause of a container that does not run: %d %s", res.StatusCode, res.Body)
	}
}

// wsDial opens a websocket on the listener with the client's session cookie.
func wsDial(t *testing.T, addr string, cl *apitest.Client, path string) *websocket.Conn {
	t.Helper()
	h := http.Header{}
	h.Set("Cookie", web.SessionCookie+"="+cl.Cookie)
	conn, resp, err := websocket.DefaultDialer.Dial("ws://"+addr+path, h)
	if err != nil {
		body := ""
		if resp != nil {
			b, _ := io.ReadAll(resp.Body)
			body = string(b)
		}
		t.Fatalf("dial %s: %v %s", path, err, body)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}

// servedAPIEnv is an API environment on the real engine, served on a loopback port (for websockets and streamed
// bodies over real connections); it returns the environment, the test image and the server's address.
func servedAPIEnv(t *testing.T) (*apiEnv, string, string) {
	t.Helper()
	dk, err := docker.New()
	if err != nil {
		t.Fatal(err)
	}
	dockertest.Client(t)
	image := dockertest.TestAppImage(t)
	a := newAPIEnv(t, dk)
	a.dk = dk
	dockertest.Cleanup(t, lifecycle.LabelInstance+"="+a.instance)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = a.Server.Serve(ln) }()
	t.Cleanup(func() { _ = a.Server.Shutdown(context.Background()) })
	return a, image, ln.Addr().String()
}

func TestAPIOnRealEngine(t *testing.T) {
	a, image, addr := servedAPIEnv(t)

	owner := a.member("olivia", "owner")
	viewer := a.member("victor", "viewer")
	live := wsDial(t, addr, owner, "/api/v1/ws")
	viewerLive := wsDial(t, addr, viewer, "/api/v1/ws")

	res := owner.Do("POST", "/api/v1/projects/"+a.project.UUID+"/containers", map[string]any{
		"title": "web", "image": image, "container_port": dockertest.AppPort, "heartbeat_url": "/health",
		"environment": map[string]any{"LOG_EVERY": "200ms"}, "secret_environment": map[string]any{"PASSWORD": "hunter2-secret"},
		"registry_auth": map[string]any{"username": "u", "password": "registry-secret"}})
	if res.StatusCode != 201 {
		t.Fatalf("create: %d %s", res.StatusCode, res.Body)
	}
	if strings.Contains(res.Body, "hunter2") || strings.Contains(res.Body, "registry-secret") || res.JSON["has_registry_auth"] != true {
		t.Errorf("create answer: %s", res.Body)
	}
	for _, k := range []string{"uuid", "project", "title", "description", "image", "command", "environment", "secret_environment_keys",
		"container_port", "container_path", "heartbeat_url", "strip_prefix", "startup_timeout", "max_idle", "max_lifetime",
		"memory_limit", "cpu_limit", "pids_limit", "max_retries", "pull_policy", "template", "state", "state_reason",
		"state_message", "desired_state", "docker_id", "docker_state", "exit_code", "oom_killed", "host_port", "ready_at",
		"started_at", "stopped_at", "last_access_at", "restart_pending", "proxy_url", "has_registry_auth", "retries",
		"created_by", "created_at", "updated_at"} {
		if _, ok := res.JSON[k]; !ok {
			t.Errorf("field %s missing", k)
		}
	}
	id := res.JSON["uuid"].(string)
	if res.JSON["proxy_url"] != "/containers/proxy/"+id+"/" || res.JSON["state"] != "initial" || res.JSON["created_by"] != "olivia" {
		t.Errorf("create answer: %s", res.Body)
	}
	res = owner.Do("POST", "/api/v1/containers/"+id+"/start", nil)
	if res.StatusCode != 202 || res.JSON["desired_state"] != "running" {
		t.Fatalf("start: %d %s", res.StatusCode, res.Body)
	}
	// The owner and the viewer both see the state change live; job progress goes to the owner only.
	waitLive := func(conn *websocket.Conn, what string, ok func(typ string, data map[string]any) bool) {
		t.Helper()
		_ = conn.SetReadDeadline(time.Now().Add(90 * time.Second))
		for {
			_, msg, err := conn.ReadMessage()
			if err != nil {
				r := owner.Do("GET", "/api/v1/containers/"+id, nil)
				ev := owner.Do("GET", "/api/v1/containers/"+id+"/events", nil)
				t.Fatalf("waiting for %s: %v\ncontainer: %s\nevents: %s", what, err, r.Body, ev.Body)
			}
			if strings.Contains(string(msg), "hunter2") {
				t.Fatalf("secret on the live socket: %s", msg)
			}
			var ev struct {
				Type string         `json:"type"`
				Data map[string]any `json:"data"`
			}
			_ = json.Unmarshal(msg, &ev)
			if ok(ev.Type, ev.Data) {
				return
			}
		}
	}
	sawJob := false
	waitLive(live, "running", func(typ string, d map[string]any) bool {
		if typ == "job.progress" && d["container"] == id {
			sawJob = true
		}
		return typ == "container.state" && d["uuid"] == id && d["state"] == "running"
	})
	if !sawJob {
		t.Error("no job.progress before running")
	}
	waitLive(viewerLive, "running (viewer)", func(typ string, d map[string]any) bool {
		if typ == "job.progress" || typ == "timeline.event" {
			t.Errorf("viewer received %s", typ)
		}
		return typ == "container.state" && d["uuid"] == id && d["state"] == "running"
	})

	// Live log stream, stored logs, kiosc events and jobs.
	stream := wsDial(t, addr, owner, "/api/v1/containers/"+id+"/logs/stream?tail=5")
	_ = stream.SetReadDeadline(time.Now().Add(30 * time.Second))
	for got := 0; got < 8; got++ {
		_, msg, err := stream.ReadMessage()
		if err != nil {
			t.Fatalf("log stream: %v", err)
		}
		var l map[string]any
		_ = json.Unmarshal(msg, &l)
		if l["stream"] != "stdout" && l["stream"] != "stderr" || l["time"] == nil {
			t.Fatalf("log line %s", msg)
		}
	}
	res = owner.Do("GET", "/api/v1/containers/"+id+"/logs?tail=3", nil)
	if items, _ := res.JSON["items"].([]any); res.StatusCode != 200 || len(items) != 3 {
		t.Errorf("logs: %d %s", res.StatusCode, res.Body)
	}
	res = owner.Do("GET", "/api/v1/containers/"+id+"/logs?since="+time.Now().Add(time.Hour).Format(time.RFC3339), nil)
	if items, _ := res.JSON["items"].([]any); len(items) != 0 {
		t.Errorf("logs since the future: %s", res.Body)
	}
	res = owner.Do("GET", "/api/v1/containers/"+id+"/jobs", nil)
	if items, _ := res.JSON["items"].([]any); res.StatusCode != 200 || len(items) != 1 || items[0].(map[string]any)["state"] != "done" {
		t.Errorf("jobs: %s", res.Body)
	}
	res = owner.Do("GET", "/api/v1/containers/"+id+"/events", nil)
	if res.StatusCode != 200 || !strings.Contains(res.Body, "running: the app answered") {
		t.Errorf("events: %s", res.Body)
	}

	// An edit to a running container marks it restart_pending; restart recreates it and clears the mark.
	res = owner.Do("PATCH", "/api/v1/containers/"+id, map[string]any{"environment": map[string]any{"LOG_EVERY": "300ms", "X": "1"},
		"secret_environment": map[string]any{"PASSWORD": nil, "OTHER": "x"}, "registry_auth": nil})
	if res.StatusCode != 200 || res.JSON["restart_pending"] != true || res.JSON["has_registry_auth"] != false ||
		fmt.Sprint(res.JSON["secret_environment_keys"]) != "[OTHER]" {
		t.Fatalf("patch: %s", res.Body)
	}
	oldDocker := res.JSON["docker_id"]
	res = owner.Do("POST", "/api/v1/containers/"+id+"/restart", nil)
	if res.StatusCode != 202 {
		t.Fatalf("restart: %s", res.Body)
	}
	waitLive(live, "running after restart", func(typ string, d map[string]any) bool {
		return typ == "container.state" && d["uuid"] == id && d["state"] == "running" && d["docker_id"] != oldDocker &&
			d["restart_pending"] == false
	})
	// The stream survives the recreation.
	_ = stream.SetReadDeadline(time.Now().Add(30 * time.Second))
	if _, _, err := stream.ReadMessage(); err != nil {
		t.Fatalf("log stream after restart: %v", err)
	}

	// Pause and unpause.
	if res = owner.Do("POST", "/api/v1/containers/"+id+"/pause", nil); res.StatusCode != 202 {
		t.Fatalf("pause: %s", res.Body)
	}
	waitLive(live, "paused", func(typ string, d map[string]any) bool {
		return typ == "container.state" && d["uuid"] == id && d["state"] == "paused"
	})
	if res = owner.Do("POST", "/api/v1/containers/"+id+"/unpause", nil); res.StatusCode != 202 {
		t.Fatalf("unpause: %s", res.Body)
	}
	waitLive(live, "unpaused", func(typ string, d map[string]any) bool {
		return typ == "container.state" && d["uuid"] == id && d["state"] == "running"
	})

	// Delete: 202 with deleting, then the record goes, the stream closes with "deleted" and Docker has nothing left.
	res = owner.Do("DELETE", "/api/v1/containers/"+id, nil)
	if res.StatusCode != 202 || res.JSON["state"] != "deleting" {
		t.Fatalf("delete: %d %s", res.StatusCode, res.Body)
	}
	_ = stream.SetReadDeadline(time.Now().Add(60 * time.Second))
	for {
		_, _, err := stream.ReadMessage()
		if err == nil {
			continue
		}
		var ce *websocket.CloseError
		if !errors.As(err, &ce) || ce.Code != websocket.CloseNormalClosure || ce.Text != "deleted" {
			t.Errorf("stream end: %v", err)
		}
		break
	}
	if res = owner.Do("GET", "/api/v1/containers/"+id, nil); res.StatusCode != 404 {
		t.Errorf("after delete: %d", res.StatusCode)
	}
	if l, _ := a.dk.List(context.Background(), lifecycle.LabelContainer+"="+id); len(l) != 0 {
		t.Errorf("Docker containers left: %+v", l)
	}
}
