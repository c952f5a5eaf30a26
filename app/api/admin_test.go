package api_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bihealth/kiosc/app/api"
	"github.com/bihealth/kiosc/app/api/apitest"
	"github.com/bihealth/kiosc/app/lifecycle"
	"github.com/bihealth/kiosc/app/server"
	"github.com/bihealth/kiosc/app/store"
)

// fakeAdmin answers like the lifecycle manager and remembers the runs asked for.
type fakeAdmin struct {
	mu   sync.Mutex
	runs []string // "user task"
	down bool
}

func (f *fakeAdmin) DockerOverview(context.Context) (*lifecycle.DockerOverview, error) {
	if f.down {
		return nil, fmt.Errorf("%w: list containers: connection refused", lifecycle.ErrDockerUnavailable)
	}
	id := "abc123"
	return &lifecycle.DockerOverview{Instance: "inst", Containers: []lifecycle.KnownContainer{
		{ContainerRef: lifecycle.ContainerRef{UUID: "c1", Title: "Jupyter", Project: "p1", ProjectTitle: "Project"},
			State: "running", DockerID: &id, DockerState: "running", Networks: []string{"bridge"}},
		{ContainerRef: lifecycle.ContainerRef{UUID: "c2", Title: "Gone"}, State: "not_found", DockerState: "missing", Missing: true},
	}}, nil
}

func (f *fakeAdmin) MaintenanceTasks(context.Context) ([]lifecycle.MaintenanceTask, error) {
	out := []lifecycle.MaintenanceTask{}
	for _, t := range lifecycle.Tasks {
		out = append(out, lifecycle.MaintenanceTask{Name: t, Description: "does " + t, Schedule: "daily"})
	}
	return out, nil
}

func (f *fakeAdmin) RunMaintenance(_ context.Context, u *store.User, task string) (*lifecycle.MaintenanceResult, error) {
	f.mu.Lock()
	f.runs = append(f.runs, u.Username+" "+task)
	f.mu.Unlock()
	if f.down {
		return nil, fmt.Errorf("%w: connection refused", lifecycle.ErrDockerUnavailable)
	}
	now := time.Now().UTC()
	return &lifecycle.MaintenanceResult{Task: task, User: u.Username, StartedAt: now, FinishedAt: now, Count: 1,
		Summary: "stopped 1 container", Items: []lifecycle.MaintenanceItem{{Kind: "container", ID: "c1", Name: "Jupyter",
			State: "stopped", Reason: "maintenance"}}}, nil
}

func newAdminEnv(t *testing.T) (*apitest.Env, *fakeAdmin) {
	t.Helper()
	f := &fakeAdmin{}
	e := apitest.New(t, apitest.Options{API: func(e *apitest.Env) []server.Module {
		return []server.Module{&api.Admin{Docker: f}}
	}})
	return e, f
}

func TestAdminPermissions(t *testing.T) {
	e, f := newAdminEnv(t)
	root := e.User("root", true)
	alice := e.User("alice", false)
	u, _ := e.Store.GetUserByUsername(context.Background(), "root")
	_, key, err := e.Auth.CreateToken(context.Background(), u, "script", 0)
	if err != nil {
		t.Fatal(err)
	}
	script := e.Anonymous()
	script.Token = key
	noCSRF := *root
	noCSRF.CSRF = ""
	for _, tc := range []struct {
		name   string
		client *apitest.Client
		method string
		path   string
		want   int
		code   string
	}{
		{"anonymous overview", e.Anonymous(), "GET", "/api/v1/admin/docker", 401, "unauthorized"},
		{"member overview", alice, "GET", "/api/v1/admin/docker", 403, "forbidden"},
		{"superuser overview", root, "GET", "/api/v1/admin/docker", 200, ""},
		{"token overview", script, "GET", "/api/v1/admin/docker", 200, ""},
		{"anonymous tasks", e.Anonymous(), "GET", "/api/v1/admin/maintenance", 401, "unauthorized"},
		{"member tasks", alice, "GET", "/api/v1/admin/maintenance", 403, "forbidden"},
		{"superuser tasks", root, "GET", "/api/v1/admin/maintenance", 200, ""},
		{"anonymous run", e.Anonymous(), "POST", "/api/v1/admin/maintenance/stop-all", 401, "unauthorized"},
		{"member run", alice, "POST", "/api/v1/admin/maintenance/stop-all", 403, "forbidden"},
		{"member unknown task", alice, "POST", "/api/v1/admin/maintenance/reboot", 403, "forbidden"},
		{"run without CSRF token", &noCSRF, "POST", "/api/v1/admin/maintenance/stop-all", 403, "csrf_failed"},
		{"superuser run", root, "POST", "/api/v1/admin/maintenance/stop-all", 200, ""},
		{"token run", script, "POST", "/api/v1/admin/maintenance/stop-idle", 200, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := tc.client.Do(tc.method, tc.path, nil)
			if res.StatusCode != tc.want || res.ErrorCode() != tc.code {
				t.Errorf("%s %s: %d %s, want %d %s", tc.method, tc.path, res.StatusCode, res.Body, tc.want, tc.code)
			}
		})
	}
	if want := []string{"root stop-all", "root stop-idle"}; strings.Join(f.runs, ",") != strings.Join(want, ",") {
		t.Errorf("runs %v, want %v", f.runs, want)
	}
}

func TestAdminAnswers(t *testing.T) {
	e, f := newAdminEnv(t)
	root := e.User("root", true)
	res := root.Do("GET", "/api/v1/admin/docker", nil)
	cs, _ := res.JSON["containers"].([]any)
	if res.StatusCode != 200 || res.JSON["instance"] != "inst" || len(cs) != 2 {
		t.Fatalf("overview: %d %s", res.StatusCode, res.Body)
	}
	first := cs[0].(map[string]any)
	second := cs[1].(map[string]any)
	if first["uuid"] != "c1" || first["project_title"] != "Project" || first["docker_id"] != "abc123" || second["docker_state"] != "missing" ||
		second["missing"] != true || second["docker_id"] != nil {
		t.Errorf("containers: %s", res.Body)
	}
	res = root.Do("GET", "/api/v1/admin/maintenance", nil)
	if items, _ := res.JSON["items"].([]any); res.StatusCode != 200 || len(items) != 5 || res.JSON["total"] != float64(5) {
		t.Errorf("tasks: %d %s", res.StatusCode, res.Body)
	}
	res = root.Do("POST", "/api/v1/admin/maintenance/stop-all", nil)
	if res.StatusCode != 200 || res.JSON["task"] != "stop-all" || res.JSON["count"] != float64(1) || res.JSON["user"] != "root" {
		t.Errorf("run: %d %s", res.StatusCode, res.Body)
	}
	items, _ := res.JSON["items"].([]any)
	if len(items) != 1 || items[0].(map[string]any)["reason"] != "maintenance" {
		t.Errorf("run items: %s", res.Body)
	}
	t.Run("bad input", func(t *testing.T) {
		for _, tc := range []struct {
			name, path string
			body       any
			want       int
			code       string
			contains   string
		}{
			{"unknown task", "/api/v1/admin/maintenance/reboot", nil, 404, "not_found", `maintenance task "reboot" not found (tasks: cleanup-unused, remove-stopped, remove-volumes, stop-all, stop-idle)`},
			{"task names are exact", "/api/v1/admin/maintenance/Stop-All", nil, 404, "not_found", `"Stop-All"`},
			{"unknown field", "/api/v1/admin/maintenance/stop-all", map[string]any{"force": true}, 400, "validation_failed", "force: unknown field"},
			{"malformed JSON", "/api/v1/admin/maintenance/stop-all", "{", 400, "invalid_json", "malformed JSON"},
			{"empty object is fine", "/api/v1/admin/maintenance/stop-all", map[string]any{}, 200, "", `"task"`},
		} {
			t.Run(tc.name, func(t *testing.T) {
				res := root.Do("POST", tc.path, tc.body)
				text := res.Body
				if e, ok := res.JSON["error"].(map[string]any); ok {
					text, _ = e["message"].(string)
				}
				if res.StatusCode != tc.want || res.ErrorCode() != tc.code || !strings.Contains(text, tc.contains) {
					t.Errorf("%d %s, want %d %s containing %s", res.StatusCode, res.Body, tc.want, tc.code, tc.contains)
				}
			})
		}
		if strings.Contains(strings.Join(f.runs, ","), "reboot") {
			t.Error("an unknown task reached the manager")
		}
	})
	t.Run("Docker down", func(t *testing.T) {
		f.down = true
		defer func() { f.down = false }()
		for _, r := range []struct{ method, path string }{{"GET", "/api/v1/admin/docker"}, {"POST", "/api/v1/admin/maintenance/cleanup-unused"}} {
			res := root.Do(r.method, r.path, nil)
			if res.StatusCode != 503 || res.ErrorCode() != "docker_unavailable" || res.Header.Get("Retry-After") == "" ||
				!strings.Contains(res.Body, "connection refused") {
				t.Errorf("%s %s: %d %s", r.method, r.path, res.StatusCode, res.Body)
			}
		}
	})
}
