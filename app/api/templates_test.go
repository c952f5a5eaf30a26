package api_test

import (
	"context"
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/bihealth/kiosc/app/api"
	"github.com/bihealth/kiosc/app/api/apitest"
	"github.com/bihealth/kiosc/app/docker"
	"github.com/bihealth/kiosc/app/lifecycle"
	"github.com/bihealth/kiosc/app/server"
	"github.com/bihealth/kiosc/app/settings"
	"github.com/bihealth/kiosc/app/store"
	"github.com/bihealth/kiosc/app/timeline"
)

// stubDocker is an engine that never answers: template handlers never wait for Docker.
type stubDocker struct{}

var errStub = errors.New("engine down (test stub)")

func (stubDocker) ImageExists(context.Context, string) (bool, error) { return false, errStub }
func (stubDocker) Pull(context.Context, string, *docker.RegistryAuth, func(docker.PullProgress)) error {
	return errStub
}
func (stubDocker) Create(context.Context, docker.ContainerSpec) (string, error) { return "", errStub }
func (stubDocker) Start(context.Context, string) error                          { return errStub }
func (stubDocker) Stop(context.Context, string, time.Duration) error            { return errStub }
func (stubDocker) Pause(context.Context, string) error                          { return errStub }
func (stubDocker) Unpause(context.Context, string) error                        { return errStub }
func (stubDocker) Remove(context.Context, string) error                         { return errStub }
func (stubDocker) Inspect(context.Context, string) (*docker.ContainerInfo, error) {
	return nil, errStub
}
func (stubDocker) List(context.Context, ...string) ([]docker.Summary, error) { return nil, errStub }
func (stubDocker) EnsureNetwork(context.Context, docker.NetworkSpec) (string, error) {
	return "", errStub
}
func (stubDocker) RemoveNetworks(context.Context, string) error         { return errStub }
func (stubDocker) ConnectNetwork(context.Context, string, string) error { return errStub }
func (stubDocker) Logs(context.Context, string, docker.LogOptions, func(docker.LogLine)) error {
	return errStub
}
func (stubDocker) Events(context.Context, time.Time, ...string) (<-chan docker.Event, <-chan error) {
	ch, errc := make(chan docker.Event), make(chan error, 1)
	close(ch)
	errc <- errStub
	return ch, errc
}

type templateEnv struct {
	*apitest.Env
	m       *lifecycle.Manager
	project *store.Project
	other   *store.Project
}

func newTemplateEnv(t *testing.T) *templateEnv {
	t.Helper()
	te := &templateEnv{}
	te.Env = apitest.New(t, apitest.Options{API: func(e *apitest.Env) []server.Module {
		rec := &timeline.Recorder{Store: e.Store, Bus: e.Bus, Log: e.Log}
		// The manager is not run: handlers only record intent, and nothing here needs the reconciler.
		te.m = lifecycle.New(e.Store, stubDocker{}, e.Keys, e.Bus, rec, e.Log, lifecycle.Options{InstanceID: "templates-test",
			HostBindIP: netip.MustParseAddr("127.0.0.1"), DataDir: t.TempDir(), BaseURL: e.BaseURL,
			Limits: settings.Limits{MaxMemory: 1 << 30, MaxCPUs: 2, MaxPIDs: 500}})
		return []server.Module{
			&api.Containers{Manager: te.m, Store: e.Store, Checker: e.Checker, Bus: e.Bus, BaseURL: e.BaseURL},
			&api.Templates{Store: e.Store, Checker: e.Checker, Manager: te.m, Timeline: rec},
			&api.Timeline{Store: e.Store, Checker: e.Checker},
		}
	}})
	ctx := context.Background()
	te.project = &store.Project{Title: "Templates project", Type: store.TypeProject, Source: "local"}
	te.other = &store.Project{Title: "Other project", Type: store.TypeProject, Source: "local"}
	for _, p := range []*store.Project{te.project, te.other} {
		if err := te.Store.CreateProject(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	return te
}

// member creates a user with roles (project → role) and returns a logged-in client.
func (te *templateEnv) member(name string, roles map[*store.Project]string) *apitest.Client {
	te.T.Helper()
	c := te.User(name, false)
	u, err := te.Store.GetUserByUsername(context.Background(), name)
	if err != nil {
		te.T.Fatal(err)
	}
	for p, role := range roles {
		if _, err := te.Store.AssignRole(context.Background(), &store.RoleAssignment{ProjectID: p.ID, UserID: u.ID, Role: role, Source: "local"}); err != nil {
			te.T.Fatal(err)
		}
	}
	return c
}

func expect(t *testing.T, r *apitest.Response, status int, what string) {
	t.Helper()
	if r.StatusCode != status {
		t.Fatalf("%s: %d, want %d: %s", what, r.StatusCode, status, r.Body)
	}
}

func fieldErr(r *apitest.Response, field string) string {
	e, _ := r.JSON["error"].(map[string]any)
	f, _ := e["fields"].(map[string]any)
	s, _ := f[field].(string)
	return s
}

func diffFields(r *apitest.Response) []string {
	var out []string
	list, _ := r.JSON["fields"].([]any)
	for _, f := range list {
		out = append(out, f.(map[string]any)["field"].(string))
	}
	return out
}

func TestTemplatesAPI(t *testing.T) {
	te := newTemplateEnv(t)
	admin := te.Login("admin", "admin-password")
	contrib := te.member("carla", map[*store.Project]string{te.project: "contributor", te.other: "contributor"})
	guest := te.member("gus", map[*store.Project]string{te.project: "guest"})
	viewer := te.member("vera", map[*store.Project]string{te.project: "viewer"})
	outsider := te.member("otto", nil)
	projectPath := "/api/v1/projects/" + te.project.UUID

	var site, proj map[string]any
	t.Run("site templates", func(t *testing.T) {
		body := map[string]any{"title": "Jupyter", "image": "jupyter/base:1", "container_port": 8888,
			"environment": map[string]string{"A": "1"}, "memory_limit": 512 << 20}
		expect(t, contrib.Do("POST", "/api/v1/templates", body), 403, "contributor creates a site template")
		r := admin.Do("POST", "/api/v1/templates", body)
		expect(t, r, 201, "create site template")
		site = r.JSON
		if site["project"] != nil || site["site_template"] != nil || site["strip_prefix"] != true || site["container_port"] != 8888.0 {
			t.Errorf("site template %v", site)
		}
		expect(t, admin.Do("POST", "/api/v1/templates", body), 400, "duplicate title")
		r = admin.Do("POST", "/api/v1/templates", map[string]any{"title": "x", "image": "Bad Image", "container_port": 0,
			"memory_limit": 4 << 30})
		expect(t, r, 400, "invalid fields")
		for _, f := range []string{"image", "container_port", "memory_limit"} {
			if fieldErr(r, f) == "" {
				t.Errorf("no error for %s: %s", f, r.Body)
			}
		}
		r = admin.Do("POST", "/api/v1/templates", map[string]any{"title": "x", "image": "nginx", "secret_environment": map[string]string{"S": "1"}})
		expect(t, r, 400, "secrets are not template fields")
		if fieldErr(r, "secret_environment") == "" {
			t.Errorf("secret_environment not named: %s", r.Body)
		}
		r = outsider.Do("GET", "/api/v1/templates", nil)
		expect(t, r, 200, "anyone lists site templates")
		if r.JSON["total"] != 1.0 {
			t.Errorf("site list %s", r.Body)
		}
		expect(t, te.Anonymous().Do("GET", "/api/v1/templates", nil), 401, "anonymous")
	})

	t.Run("copy rules", func(t *testing.T) {
		copyPath := "/api/v1/templates/" + site["uuid"].(string) + "/copy"
		expect(t, contrib.Do("POST", copyPath, map[string]any{}), 400, "project required")
		expect(t, contrib.Do("POST", copyPath, map[string]any{"project": nil}), 403, "contributor copies to the site")
		expect(t, guest.Do("POST", copyPath, map[string]any{"project": te.project.UUID}), 403, "guest copies")
		expect(t, outsider.Do("POST", copyPath, map[string]any{"project": te.project.UUID}), 404, "outsider copies")
		r := contrib.Do("POST", copyPath, map[string]any{"project": te.project.UUID})
		expect(t, r, 201, "site → project")
		proj = r.JSON
		if proj["project"] != te.project.UUID || proj["site_template"] != site["uuid"] || proj["image"] != "jupyter/base:1" {
			t.Errorf("site → project copy %v", proj)
		}
		r = contrib.Do("POST", "/api/v1/templates/"+proj["uuid"].(string)+"/copy", map[string]any{"project": te.other.UUID})
		expect(t, r, 201, "project → project")
		if r.JSON["site_template"] != site["uuid"] || r.JSON["title"] != "Jupyter" {
			t.Errorf("project → project keeps the link: %v", r.JSON)
		}
		r = admin.Do("POST", copyPath, map[string]any{"project": nil})
		expect(t, r, 201, "site → site")
		if r.JSON["site_template"] != nil || r.JSON["title"] != "Jupyter (copy)" {
			t.Errorf("site → site copy %v", r.JSON)
		}
		r = admin.Do("POST", "/api/v1/templates/"+proj["uuid"].(string)+"/copy", map[string]any{"project": nil, "title": "From project"})
		expect(t, r, 201, "project → site")
		if r.JSON["site_template"] != nil || r.JSON["project"] != nil || r.JSON["title"] != "From project" {
			t.Errorf("project → site copy %v", r.JSON)
		}
	})

	t.Run("project template access", func(t *testing.T) {
		expect(t, guest.Do("GET", projectPath+"/templates", nil), 200, "guest lists")
		expect(t, viewer.Do("GET", projectPath+"/templates", nil), 403, "viewer lists")
		expect(t, outsider.Do("GET", projectPath+"/templates", nil), 404, "outsider lists")
		expect(t, outsider.Do("GET", "/api/v1/templates/"+proj["uuid"].(string), nil), 404, "outsider reads")
		expect(t, guest.Do("PATCH", "/api/v1/templates/"+proj["uuid"].(string), map[string]any{"image": "x"}), 403, "guest edits")
		expect(t, contrib.Do("PATCH", "/api/v1/templates/"+site["uuid"].(string), map[string]any{"image": "x"}), 403, "contributor edits a site template")
		r := contrib.Do("POST", projectPath+"/templates", map[string]any{"title": "Own", "image": "nginx:1"})
		expect(t, r, 201, "contributor creates a project template")
		expect(t, contrib.Do("DELETE", "/api/v1/templates/"+r.JSON["uuid"].(string), nil), 204, "contributor deletes it")
	})

	var ct map[string]any
	t.Run("container from a template", func(t *testing.T) {
		r := contrib.Do("POST", projectPath+"/containers", map[string]any{"template": proj["uuid"], "title": "notebook",
			"secret_environment": map[string]string{"TOKEN": "s3cret"}})
		expect(t, r, 201, "create from template")
		ct = r.JSON
		if ct["image"] != "jupyter/base:1" || ct["container_port"] != 8888.0 || ct["template"] != proj["uuid"] ||
			ct["memory_limit"] != float64(512<<20) || ct["title"] != "notebook" {
			t.Errorf("container from template %v", ct)
		}
		r = contrib.Do("POST", projectPath+"/containers", map[string]any{"template": "00000000-0000-0000-0000-000000000000"})
		expect(t, r, 400, "unknown template")
		if fieldErr(r, "template") == "" {
			t.Errorf("template not named: %s", r.Body)
		}
		r = te.member("olga", map[*store.Project]string{te.other: "contributor"}).Do("POST",
			"/api/v1/projects/"+te.other.UUID+"/containers", map[string]any{"template": proj["uuid"]})
		expect(t, r, 400, "a project template the caller cannot read")
		r = contrib.Do("GET", "/api/v1/containers/"+ct["uuid"].(string)+"/diff", nil)
		expect(t, r, 200, "container diff")
		if len(diffFields(r)) != 0 || r.JSON["upstream"].(map[string]any)["uuid"] != proj["uuid"] {
			t.Errorf("fresh container differs: %s", r.Body)
		}
	})

	t.Run("template diff and apply", func(t *testing.T) {
		expect(t, admin.Do("PATCH", "/api/v1/templates/"+site["uuid"].(string), map[string]any{"image": "jupyter/base:2", "max_idle": 3600}), 200, "change the site template")
		diffPath := "/api/v1/templates/" + proj["uuid"].(string) + "/diff"
		r := guest.Do("GET", diffPath, nil)
		expect(t, r, 200, "guest reads the diff")
		if got := diffFields(r); len(got) != 2 || got[0] != "image" || got[1] != "max_idle" {
			t.Fatalf("diff %s", r.Body)
		}
		first := r.JSON["fields"].([]any)[0].(map[string]any)
		if first["current"] != "jupyter/base:1" || first["upstream"] != "jupyter/base:2" {
			t.Errorf("diff values %v", first)
		}
		applyPath := "/api/v1/templates/" + proj["uuid"].(string) + "/apply"
		r = contrib.Do("POST", applyPath, map[string]any{"fields": []string{"image", "secret_environment"}})
		expect(t, r, 400, "unknown field")
		if fieldErr(r, "fields") == "" {
			t.Errorf("fields not named: %s", r.Body)
		}
		expect(t, contrib.Do("POST", applyPath, map[string]any{"fields": []string{}}), 400, "no fields")
		expect(t, guest.Do("POST", applyPath, map[string]any{"fields": []string{"image"}}), 403, "guest applies")
		r = contrib.Do("POST", applyPath, map[string]any{"fields": []string{"image"}})
		expect(t, r, 200, "apply image")
		if r.JSON["image"] != "jupyter/base:2" || r.JSON["max_idle"] != 0.0 {
			t.Errorf("after apply %v", r.JSON)
		}
		if got := diffFields(contrib.Do("GET", diffPath, nil)); len(got) != 1 || got[0] != "max_idle" {
			t.Errorf("diff after apply %v", got)
		}
		r = admin.Do("GET", "/api/v1/templates/"+site["uuid"].(string)+"/diff", nil)
		expect(t, r, 200, "site template diff")
		if r.JSON["upstream"] != nil || len(diffFields(r)) != 0 {
			t.Errorf("an unlinked template has no upstream: %s", r.Body)
		}
		expect(t, admin.Do("POST", "/api/v1/templates/"+site["uuid"].(string)+"/apply", map[string]any{"fields": []string{"image"}}), 409, "apply without upstream")
	})

	t.Run("container apply", func(t *testing.T) {
		ctx := context.Background()
		id := ct["uuid"].(string)
		// The container runs: an applied change marks it restart_pending.
		if _, err := te.Store.UpdateContainerState(ctx, id, store.ContainerState{State: store.StateRunning, DesiredState: store.StateRunning,
			DockerID: "abc123"}, store.StateStopped, false); err != nil {
			t.Fatal(err)
		}
		r := contrib.Do("GET", "/api/v1/containers/"+id+"/diff", nil)
		if got := diffFields(r); len(got) != 1 || got[0] != "image" {
			t.Fatalf("container diff %s", r.Body)
		}
		expect(t, guest.Do("POST", "/api/v1/containers/"+id+"/apply", map[string]any{"fields": []string{"image"}}), 403, "guest applies")
		r = contrib.Do("POST", "/api/v1/containers/"+id+"/apply", map[string]any{"fields": []string{"nope"}})
		expect(t, r, 400, "unknown field")
		if fieldErr(r, "fields") == "" {
			t.Errorf("fields not named: %s", r.Body)
		}
		r = contrib.Do("POST", "/api/v1/containers/"+id+"/apply", map[string]any{"fields": []string{"image", "environment"}})
		expect(t, r, 200, "apply")
		if r.JSON["image"] != "jupyter/base:2" || r.JSON["restart_pending"] != true {
			t.Errorf("after apply %v", r.JSON)
		}
		keys, _ := r.JSON["secret_environment_keys"].([]any)
		if len(keys) != 1 || keys[0] != "TOKEN" {
			t.Errorf("secrets changed by apply: %v", r.JSON["secret_environment_keys"])
		}
		if got := diffFields(contrib.Do("GET", "/api/v1/containers/"+id+"/diff", nil)); len(got) != 0 {
			t.Errorf("diff after apply %v", got)
		}
		tl := admin.Do("GET", "/api/v1/timeline?project="+te.project.UUID, nil)
		names := map[string]int{}
		for _, e := range tl.JSON["items"].([]any) {
			names[e.(map[string]any)["event_name"].(string)]++
		}
		if names["template_apply"] != 2 || names["template_copy"] == 0 || names["template_create"] == 0 ||
			names["template_delete"] == 0 || names["container_update"] == 0 {
			t.Errorf("timeline events %v", names)
		}
	})

	t.Run("delete site template unlinks", func(t *testing.T) {
		expect(t, admin.Do("DELETE", "/api/v1/templates/"+site["uuid"].(string), nil), 204, "delete")
		r := contrib.Do("GET", "/api/v1/templates/"+proj["uuid"].(string), nil)
		expect(t, r, 200, "the copy stays")
		if r.JSON["site_template"] != nil {
			t.Errorf("copy still linked %v", r.JSON)
		}
		expect(t, admin.Do("GET", "/api/v1/templates/"+site["uuid"].(string), nil), 404, "gone")
	})
}

func TestContainerApplyRestart(t *testing.T) {
	te := newTemplateEnv(t)
	ctx := context.Background()
	admin := te.Login("admin", "admin-password")
	site := admin.Do("POST", "/api/v1/templates", map[string]any{"title": "Web", "image": "nginx:1"})
	expect(t, site, 201, "site template")
	r := admin.Do("POST", "/api/v1/projects/"+te.project.UUID+"/containers", map[string]any{"template": site.JSON["uuid"]})
	expect(t, r, 201, "container from a site template")
	id := r.JSON["uuid"].(string)
	if r.JSON["title"] != "Web" {
		t.Errorf("title comes from the template when not given: %v", r.JSON["title"])
	}
	if _, err := te.Store.UpdateContainerState(ctx, id, store.ContainerState{State: store.StateRunning, DesiredState: store.StateRunning,
		DockerID: "abc123"}, store.StateStopped, false); err != nil {
		t.Fatal(err)
	}
	expect(t, admin.Do("PATCH", "/api/v1/templates/"+site.JSON["uuid"].(string), map[string]any{"image": "nginx:2"}), 200, "change the template")

	r = admin.Do("POST", "/api/v1/containers/"+id+"/apply", map[string]any{"fields": []string{"image"}, "restart": true})
	// The restart runs in the background (against an engine that is down here); stop the manager's workers when
	// the test ends.
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); _ = te.m.Run(runCtx) }()
	t.Cleanup(func() { cancel(); <-done })
	expect(t, r, 202, "apply with restart")
	if r.JSON["image"] != "nginx:2" || r.JSON["desired_state"] != string(store.StateRunning) {
		t.Errorf("after apply with restart %v", r.JSON)
	}
	jobs, _, err := te.Store.ListJobs(ctx, id, store.Page{})
	if err != nil {
		t.Fatal(err)
	}
	restarted := false
	for _, j := range jobs {
		restarted = restarted || j.Action == "restart"
	}
	if !restarted {
		t.Errorf("no restart job: %+v", jobs)
	}
}

// TestContainerTemplateLinks checks that a container links only to a site template or a template of its own
// project, and that a container whose stored link points elsewhere shows and copies nothing from that template.
func TestContainerTemplateLinks(t *testing.T) {
	te := newTemplateEnv(t)
	ctx := context.Background()
	admin := te.Login("admin", "admin-password")
	both := te.member("carla", map[*store.Project]string{te.project: "contributor", te.other: "contributor"})
	own := te.member("pia", map[*store.Project]string{te.project: "contributor"})
	otherOnly := te.member("olga", map[*store.Project]string{te.other: "contributor"})
	projectPath := "/api/v1/projects/" + te.project.UUID

	r := admin.Do("POST", "/api/v1/templates", map[string]any{"title": "Site", "image": "nginx:1"})
	expect(t, r, 201, "site template")
	site := r.JSON["uuid"].(string)
	r = both.Do("POST", projectPath+"/templates", map[string]any{"title": "Own", "image": "own/app:1"})
	expect(t, r, 201, "project template")
	ownT := r.JSON["uuid"].(string)
	r = both.Do("POST", "/api/v1/projects/"+te.other.UUID+"/templates", map[string]any{"title": "Secret", "image": "other/app:7",
		"command": "serve --key other-project-only", "environment": map[string]string{"OTHER": "private"}})
	expect(t, r, 201, "other project's template")
	foreign := r.JSON["uuid"].(string)
	r = own.Do("POST", projectPath+"/containers", map[string]any{"title": "app", "image": "base/app:1"})
	expect(t, r, 201, "container without a template")
	id := r.JSON["uuid"].(string)

	const notFound, otherProject = "no such template", "must be a site template or a template of this project"
	t.Run("create", func(t *testing.T) {
		for _, tc := range []struct {
			name     string
			c        *apitest.Client
			project  string
			template string
			want     int
			fieldMsg string
		}{
			{"site template", own, te.project.UUID, site, 201, ""},
			{"own project's template", own, te.project.UUID, ownT, 201, ""},
			{"readable template of another project", both, te.project.UUID, foreign, 400, otherProject},
			{"superuser, template of another project", admin, te.project.UUID, foreign, 400, otherProject},
			{"unreadable template", otherOnly, te.other.UUID, ownT, 400, notFound},
			{"unknown template", own, te.project.UUID, "00000000-0000-0000-0000-000000000000", 400, notFound},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := tc.c.Do("POST", "/api/v1/projects/"+tc.project+"/containers", map[string]any{"template": tc.template,
					"title": "from " + tc.name})
				expect(t, r, tc.want, "create")
				if got := fieldErr(r, "template"); got != tc.fieldMsg {
					t.Errorf("template error %q, want %q: %s", got, tc.fieldMsg, r.Body)
				}
				if tc.want == 201 && r.JSON["template"] != tc.template {
					t.Errorf("container links to %v, want %s", r.JSON["template"], tc.template)
				}
			})
		}
	})

	t.Run("patch", func(t *testing.T) {
		for _, tc := range []struct {
			name     string
			c        *apitest.Client
			template string
			want     int
			fieldMsg string
			linked   any // the container's template afterwards
		}{
			{"unreadable template of another project", own, foreign, 400, notFound, nil},
			{"readable template of another project", both, foreign, 400, otherProject, nil},
			{"superuser, template of another project", admin, foreign, 400, otherProject, nil},
			{"unknown template", own, "00000000-0000-0000-0000-000000000000", 400, notFound, nil},
			{"own project's template", own, ownT, 200, "", ownT},
			{"site template", own, site, 200, "", site},
			{"unlink", own, "", 200, "", nil},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := tc.c.Do("PATCH", "/api/v1/containers/"+id, map[string]any{"template": tc.template})
				expect(t, r, tc.want, "patch")
				if got := fieldErr(r, "template"); got != tc.fieldMsg {
					t.Errorf("template error %q, want %q: %s", got, tc.fieldMsg, r.Body)
				}
				r = own.Do("GET", "/api/v1/containers/"+id, nil)
				if r.JSON["template"] != tc.linked || r.JSON["image"] != "base/app:1" {
					t.Errorf("after the patch the container is %v", r.JSON)
				}
			})
		}
	})

	t.Run("stored link to another project's template", func(t *testing.T) {
		// A link made before links were checked (or written by hand) points at the other project's template.
		ct, err := te.Store.GetContainer(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		ct.Template = foreign
		if err := te.Store.UpdateContainerConfig(ctx, ct); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			name string
			c    *apitest.Client
		}{
			{"member who cannot read the template", own},
			{"member who can read the template", both},
			{"superuser", admin},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := tc.c.Do("GET", "/api/v1/containers/"+id+"/diff", nil)
				expect(t, r, 200, "diff")
				if r.JSON["upstream"] != nil || len(diffFields(r)) != 0 {
					t.Errorf("the diff shows the other project's template: %s", r.Body)
				}
				r = tc.c.Do("POST", "/api/v1/containers/"+id+"/apply", map[string]any{"fields": []string{"image", "command", "environment"}})
				expect(t, r, 409, "apply")
				got, err := te.Store.GetContainer(ctx, id)
				if err != nil {
					t.Fatal(err)
				}
				if got.Image != "base/app:1" || got.Command != "" || len(got.Environment) != 0 {
					t.Errorf("apply copied the other project's template: %+v", got)
				}
			})
		}
	})
}
