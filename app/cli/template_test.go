package cli_test

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bihealth/kiosc/app/api"
	"github.com/bihealth/kiosc/app/api/apitest"
	"github.com/bihealth/kiosc/app/cli"
	"github.com/bihealth/kiosc/app/docker"
	"github.com/bihealth/kiosc/app/lifecycle"
	"github.com/bihealth/kiosc/app/server"
	"github.com/bihealth/kiosc/app/store"
	"github.com/bihealth/kiosc/app/timeline"
)

// offlineDocker is an engine that never answers; template commands never need one.
type offlineDocker struct{}

var errOffline = errors.New("engine down (test stub)")

func (offlineDocker) ImageExists(context.Context, string) (bool, error) { return false, errOffline }
func (offlineDocker) Pull(context.Context, string, *docker.RegistryAuth, func(docker.PullProgress)) error {
	return errOffline
}
func (offlineDocker) Create(context.Context, docker.ContainerSpec) (string, error) {
	return "", errOffline
}
func (offlineDocker) Start(context.Context, string) error               { return errOffline }
func (offlineDocker) Stop(context.Context, string, time.Duration) error { return errOffline }
func (offlineDocker) Pause(context.Context, string) error               { return errOffline }
func (offlineDocker) Unpause(context.Context, string) error             { return errOffline }
func (offlineDocker) Remove(context.Context, string) error              { return errOffline }
func (offlineDocker) Inspect(context.Context, string) (*docker.ContainerInfo, error) {
	return nil, errOffline
}
func (offlineDocker) List(context.Context, ...string) ([]docker.Summary, error) {
	return nil, errOffline
}
func (offlineDocker) EnsureNetwork(context.Context, docker.NetworkSpec) (string, error) {
	return "", errOffline
}
func (offlineDocker) RemoveNetworks(context.Context, string) error         { return errOffline }
func (offlineDocker) ConnectNetwork(context.Context, string, string) error { return errOffline }
func (offlineDocker) Logs(context.Context, string, docker.LogOptions, func(docker.LogLine)) error {
	return errOffline
}
func (offlineDocker) Events(context.Context, time.Time, ...string) (<-chan docker.Event, <-chan error) {
	ch, errc := make(chan docker.Event), make(chan error, 1)
	close(ch)
	errc <- errOffline
	return ch, errc
}

// serveTemplates runs a kiosc server with the template and container endpoints on a local port.
func serveTemplates(t *testing.T) (*apitest.Env, string) {
	t.Helper()
	e := apitest.New(t, apitest.Options{API: func(e *apitest.Env) []server.Module {
		rec := &timeline.Recorder{Store: e.Store, Bus: e.Bus, Log: e.Log}
		m := lifecycle.New(e.Store, offlineDocker{}, e.Keys, e.Bus, rec, e.Log, lifecycle.Options{InstanceID: "cli-test",
			HostBindIP: netip.MustParseAddr("127.0.0.1"), DataDir: t.TempDir(), BaseURL: e.BaseURL})
		return []server.Module{
			&api.Tokens{Store: e.Store, Auth: e.Auth, Timeline: rec},
			&api.Containers{Manager: m, Store: e.Store, Checker: e.Checker, Bus: e.Bus, BaseURL: e.BaseURL},
			&api.Templates{Store: e.Store, Checker: e.Checker, Manager: m, Timeline: rec},
		}
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
	return e, "http://" + ln.Addr().String()
}

func TestTemplateCommands(t *testing.T) {
	e, url := serveTemplates(t)
	ctx := context.Background()
	dir := t.TempDir()
	env := map[string]string{"KIOSC_URL": url, "KIOSC_TOKEN": apiToken(t, e, "admin")}
	p := &store.Project{Title: "CLI project", Type: store.TypeProject, Source: "local"}
	if err := e.Store.CreateProject(ctx, p); err != nil {
		t.Fatal(err)
	}
	fields := filepath.Join(dir, "fields.json")
	if err := os.WriteFile(fields, []byte(`{"max_idle": 3600, "environment": {"A": "1"}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	fail := func(r cliResult, what string) {
		t.Helper()
		t.Fatalf("%s: exit %d\n%s\n%s", what, r.code, r.stdout, r.stderr)
	}

	var site, proj struct {
		UUID         string  `json:"uuid"`
		Title        string  `json:"title"`
		SiteTemplate *string `json:"site_template"`
		MaxIdle      int     `json:"max_idle"`
	}
	t.Run("create and list", func(t *testing.T) {
		r := runCLI(dir, env, "", "template", "create", "--title", "Shiny", "--image", "rocker/shiny:4", "--port", "3838",
			"--env", "B=2", "--file", fields, "--json")
		if r.code != 0 || json.Unmarshal([]byte(r.stdout), &site) != nil || site.MaxIdle != 3600 {
			fail(r, "create")
		}
		r = runCLI(dir, env, "", "template", "create", "--title", "Broken", "--image", "Not An Image")
		if r.code != 1 || !strings.Contains(r.stderr, "image") || !strings.Contains(r.stderr, "validation_failed") {
			fail(r, "invalid image")
		}
		r = runCLI(dir, env, "", "template", "list")
		if r.code != 0 || !strings.Contains(r.stdout, "Shiny") || !strings.Contains(r.stdout, "rocker/shiny:4") {
			fail(r, "list")
		}
		r = runCLI(dir, env, "", "template", "show", site.UUID)
		if r.code != 0 || !strings.Contains(r.stdout, "container_port") || !strings.Contains(r.stdout, "3838") ||
			!strings.Contains(r.stdout, `{"A":"1","B":"2"}`) {
			fail(r, "show")
		}
	})

	t.Run("copy and diff", func(t *testing.T) {
		if r := runCLI(dir, env, "", "template", "copy", site.UUID); r.code != 2 {
			fail(r, "copy without target")
		}
		r := runCLI(dir, env, "", "template", "copy", site.UUID, "--project", p.UUID, "--json")
		if r.code != 0 || json.Unmarshal([]byte(r.stdout), &proj) != nil || proj.SiteTemplate == nil || *proj.SiteTemplate != site.UUID {
			fail(r, "copy")
		}
		r = runCLI(dir, env, "", "template", "list", "--project", p.UUID)
		if r.code != 0 || !strings.Contains(r.stdout, site.UUID) {
			fail(r, "project list shows the link")
		}
		r = runCLI(dir, env, "", "template", "diff", proj.UUID)
		if r.code != 0 || !strings.Contains(r.stdout, "No differences") {
			fail(r, "diff of a fresh copy")
		}
		r = runCLI(dir, env, "", "template", "diff", site.UUID)
		if r.code != 0 || !strings.Contains(r.stdout, "No upstream template") {
			fail(r, "diff of a site template")
		}
	})

	t.Run("apply", func(t *testing.T) {
		if err := patchTemplate(ctx, url, env["KIOSC_TOKEN"], site.UUID, map[string]any{"image": "rocker/shiny:5", "max_idle": 60}); err != nil {
			t.Fatal(err)
		}
		r := runCLI(dir, env, "", "template", "diff", proj.UUID)
		if r.code != 0 || !strings.Contains(r.stdout, "rocker/shiny:4") || !strings.Contains(r.stdout, "rocker/shiny:5") ||
			!strings.Contains(r.stdout, "max_idle") {
			fail(r, "diff after the site template changed")
		}
		r = runCLI(dir, env, "", "template", "apply", proj.UUID, "--fields", "image,bogus")
		if r.code != 1 || !strings.Contains(r.stderr, "fields") || !strings.Contains(r.stderr, "400") {
			fail(r, "unknown field")
		}
		r = runCLI(dir, env, "", "template", "apply", proj.UUID, "--fields", "image")
		if r.code != 0 || !strings.Contains(r.stdout, "Applied image") {
			fail(r, "apply one field")
		}
		r = runCLI(dir, env, "", "template", "apply", proj.UUID, "--all", "--json")
		var out struct {
			MaxIdle int `json:"max_idle"`
		}
		if r.code != 0 || json.Unmarshal([]byte(r.stdout), &out) != nil || out.MaxIdle != 60 {
			fail(r, "apply all")
		}
		r = runCLI(dir, env, "", "template", "apply", proj.UUID, "--all")
		if r.code != 0 || !strings.Contains(r.stdout, "nothing to apply") {
			fail(r, "nothing left")
		}
		if r := runCLI(dir, env, "", "template", "apply", proj.UUID, "--fields", "image", "--restart"); r.code != 2 {
			fail(r, "--restart without --container")
		}
	})
}

// patchTemplate changes a template through the API.
func patchTemplate(ctx context.Context, base, token, id string, body map[string]any) error {
	c := &cli.Client{URL: base, Token: token, HTTP: http.DefaultClient}
	return c.Do(ctx, "PATCH", "/api/v1/templates/"+id, body, nil)
}

// TestTemplateApplyContainerMessages checks what `kiosc template apply --container` reports against recorded server
// answers: the fields that really changed, and whether the container was restarted or still waits for a restart.
func TestTemplateApplyContainerMessages(t *testing.T) {
	const id = "5f0c6a1e-2b3d-4c5e-8f90-123456789abc"
	diff := `{"upstream":{"uuid":"9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d","title":"Web","project":null},"fields":[` +
		`{"field":"image","current":"nginx:1","upstream":"nginx:2"}]}`
	for _, tc := range []struct {
		name        string
		args        []string
		status      int // the apply answer
		pending     bool
		wantRestart bool // the request asks for a restart
		want        []string
		notWant     []string
	}{
		{name: "restart requested", args: []string{"--fields", "image,environment", "--restart"}, status: 202, pending: true,
			wantRestart: true, want: []string{"Applied image to", "Restart requested"},
			notWant: []string{"environment", "old configuration"}},
		{name: "restart pending", args: []string{"--fields", "image"}, status: 200, pending: true,
			want: []string{"Applied image to", "old configuration until it is restarted"}, notWant: []string{"Restart requested"}},
		{name: "stopped container", args: []string{"--all", "--restart"}, status: 200, wantRestart: true,
			want: []string{"Applied image to"}, notWant: []string{"Restart requested", "old configuration"}},
		{name: "nothing differs", args: []string{"--fields", "environment"}, status: 200,
			want: []string{"Nothing changed", "environment already match"}, notWant: []string{"Applied"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var applied struct {
				Fields  []string `json:"fields"`
				Restart bool     `json:"restart"`
			}
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				switch r.Method + " " + r.URL.Path {
				case "GET /api/v1/containers/" + id + "/diff":
					_, _ = w.Write([]byte(diff))
				case "POST /api/v1/containers/" + id + "/apply":
					if err := json.NewDecoder(r.Body).Decode(&applied); err != nil {
						w.WriteHeader(400)
						return
					}
					w.WriteHeader(tc.status)
					_ = json.NewEncoder(w).Encode(map[string]any{"uuid": id, "title": "notebook", "state": "running",
						"restart_pending": tc.pending})
				default:
					http.NotFound(w, r)
				}
			}))
			defer srv.Close()
			env := map[string]string{"KIOSC_URL": srv.URL, "KIOSC_TOKEN": "test-token"}
			r := runCLI(t.TempDir(), env, "", append([]string{"template", "apply", id, "--container"}, tc.args...)...)
			if r.code != 0 {
				t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
			}
			if applied.Restart != tc.wantRestart {
				t.Errorf("restart sent %v, want %v", applied.Restart, tc.wantRestart)
			}
			for _, s := range tc.want {
				if !strings.Contains(r.stdout, s) {
					t.Errorf("output lacks %q:\n%s", s, r.stdout)
				}
			}
			for _, s := range tc.notWant {
				if strings.Contains(r.stdout, s) {
					t.Errorf("output has %q:\n%s", s, r.stdout)
				}
			}
		})
	}
}
