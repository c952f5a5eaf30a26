package cli_test

import (
	"context"
	"encoding/json"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/bihealth/kiosc/app/api"
	"github.com/bihealth/kiosc/app/api/apitest"
	"github.com/bihealth/kiosc/app/lifecycle"
	"github.com/bihealth/kiosc/app/server"
	"github.com/bihealth/kiosc/app/store"
)

// hostAdmin is a Docker host with one running kiosc app, one whose Docker container is missing, and one
// container of another kiosc instance.
type hostAdmin struct{ tasks []string }

func (h *hostAdmin) DockerOverview(context.Context) (*lifecycle.DockerOverview, error) {
	id := "0123456789abcdef0123"
	jupyter := lifecycle.ContainerRef{UUID: "11111111-aaaa", Title: "Jupyter", Project: "p1", ProjectTitle: "Cohort"}
	return &lifecycle.DockerOverview{Instance: "inst",
		Containers: []lifecycle.KnownContainer{
			{ContainerRef: jupyter, State: "running", DockerID: &id, DockerState: "running", DockerStatus: "Up 5 minutes"},
			{ContainerRef: lifecycle.ContainerRef{UUID: "22222222-bbbb", Title: "Shiny", ProjectTitle: "Cohort"}, State: "not_found",
				DockerState: "missing", Missing: true},
		},
		Unmanaged: []lifecycle.DockerContainer{{ID: "fedcba9876543210", Name: "elsewhere", Image: "nginx:1", State: "running",
			KioscInstance: "other-instance"}},
		Networks: []lifecycle.DockerNetwork{{ID: "net0123456789abc", Name: "bridge", Driver: "bridge", DockerContainers: 2,
			Containers: []lifecycle.ContainerRef{jupyter}}},
		Images: []lifecycle.DockerImage{{ID: "sha256:aaaabbbbccccdddd", Tags: []string{"jupyter/base:1"}, Size: 3 << 20,
			Containers: []lifecycle.ContainerRef{jupyter}}, {ID: "sha256:eeeeffff00001111", Dangling: true}},
	}, nil
}

func (h *hostAdmin) MaintenanceTasks(context.Context) ([]lifecycle.MaintenanceTask, error) {
	return nil, nil
}

func (h *hostAdmin) RunMaintenance(_ context.Context, u *store.User, task string) (*lifecycle.MaintenanceResult, error) {
	h.tasks = append(h.tasks, task)
	r := &lifecycle.MaintenanceResult{Task: task, User: u.Username, StartedAt: time.Now(), FinishedAt: time.Now()}
	switch task {
	case lifecycle.TaskStopAll:
		r.Count, r.Summary = 1, "stopped 1 container"
		r.Items = []lifecycle.MaintenanceItem{{Kind: "container", ID: "11111111-aaaa", Name: "Jupyter", State: "stopped", Reason: "maintenance"}}
	case lifecycle.TaskCleanupUnused:
		r.Count, r.Failed, r.Summary = 1, 1, "removed 0 unused networks and 1 dangling image (3.0 MiB)"
		r.Items = []lifecycle.MaintenanceItem{{Kind: "image", ID: "sha256:eeeeffff00001111", Name: "eeeeffff0000", Size: 3 << 20},
			{Kind: "network", ID: "net0123456789abc", Name: "kiosc-1234", Error: "permission denied"}}
	default:
		r.Summary = "nothing to do"
	}
	return r, nil
}

func serveAdmin(t *testing.T) (*apitest.Env, *hostAdmin, string) {
	t.Helper()
	h := &hostAdmin{}
	e := apitest.New(t, apitest.Options{API: func(e *apitest.Env) []server.Module {
		return []server.Module{&api.Admin{Docker: h}}
	}})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = e.Server.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = e.Server.Shutdown(ctx)
	})
	return e, h, "http://" + ln.Addr().String()
}

func TestAdminDockerCommand(t *testing.T) {
	e, _, url := serveAdmin(t)
	env := map[string]string{"KIOSC_URL": url, "KIOSC_TOKEN": apiToken(t, e, "admin")}
	r := runCLI(t.TempDir(), env, "", "admin", "docker")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{
		"kiosc containers (2)", "Jupyter", "Up 5 minutes", "0123456789ab", "MISSING",
		"Docker containers kiosc does not manage (1)", "elsewhere", "other-instance",
		"Networks (1)", "Jupyter (Cohort)",
		"Volumes (0)",
		"Images (2)", "jupyter/base:1", "3.0 MiB", "<none> (dangling)",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, r.stdout)
		}
	}
	r = runCLI(t.TempDir(), env, "", "admin", "docker", "--json")
	var out map[string]any
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &out) != nil || out["instance"] != "inst" {
		t.Fatalf("--json: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	e.User("someone", false)
	r = runCLI(t.TempDir(), map[string]string{"KIOSC_URL": url, "KIOSC_TOKEN": apiToken(t, e, "someone")}, "", "admin", "docker")
	if r.code != 1 || !strings.Contains(r.stderr, "superuser rights required") {
		t.Fatalf("non-superuser: exit %d\n%s", r.code, r.stderr)
	}
}

func TestAdminMaintenanceCommand(t *testing.T) {
	e, h, url := serveAdmin(t)
	env := map[string]string{"KIOSC_URL": url, "KIOSC_TOKEN": apiToken(t, e, "admin")}
	for _, tc := range []struct {
		name   string
		args   []string
		code   int
		stdout []string
		stderr string
	}{
		{"stop-all", []string{"stop-all"}, 0, []string{"stop-all: stopped 1 container", "11111111-aaaa", "stopped (maintenance)"}, ""},
		{"partly failed", []string{"cleanup-unused"}, 1, []string{"removed, 3.0 MiB", "failed: permission denied", "eeeeffff0000"},
			"cleanup-unused: 1 of 2 objects could not be handled"},
		{"json", []string{"stop-idle", "--json"}, 0, []string{`"task": "stop-idle"`, `"summary": "nothing to do"`}, ""},
		{"unknown task", []string{"reboot"}, 1, nil, `maintenance task "reboot" not found`},
		{"no task", nil, 2, nil, "TASK one of cleanup-unused, remove-stopped, remove-volumes, stop-all, stop-idle"},
		{"two tasks", []string{"stop-all", "stop-idle"}, 2, nil, "usage: kiosc admin maintenance TASK"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runCLI(t.TempDir(), env, "", append([]string{"admin", "maintenance"}, tc.args...)...)
			if r.code != tc.code || !strings.Contains(r.stderr, tc.stderr) {
				t.Fatalf("exit %d (want %d)\n%s\n%s", r.code, tc.code, r.stdout, r.stderr)
			}
			for _, want := range tc.stdout {
				if !strings.Contains(r.stdout, want) {
					t.Errorf("output lacks %q:\n%s", want, r.stdout)
				}
			}
		})
	}
	if got := strings.Join(h.tasks, ","); got != "stop-all,cleanup-unused,stop-idle" {
		t.Errorf("tasks run: %s", got)
	}
}
