package cli_test

import (
	"context"
	"encoding/json"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/bihealth/kiosc/app/api"
	"github.com/bihealth/kiosc/app/api/apitest"
	"github.com/bihealth/kiosc/app/docker"
	"github.com/bihealth/kiosc/app/docker/dockertest"
	"github.com/bihealth/kiosc/app/lifecycle"
	"github.com/bihealth/kiosc/app/server"
	"github.com/bihealth/kiosc/app/settings"
	"github.com/bihealth/kiosc/app/store"
	"github.com/bihealth/kiosc/app/timeline"
)

// containerServer is a kiosc server with the container endpoints, the live socket and a lifecycle manager on the
// local Docker engine (which the tests that only create, list and edit never call).
type containerServer struct {
	*apitest.Env
	url      string
	instance string
	project  *store.Project
	env      map[string]string // KIOSC_URL and KIOSC_TOKEN of the project's owner
}

func serveContainers(t *testing.T) *containerServer {
	t.Helper()
	dk, err := docker.New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = dk.Close() })
	s := &containerServer{instance: "test-" + uuid.NewString()}
	var m *lifecycle.Manager
	s.Env = apitest.New(t, apitest.Options{API: func(e *apitest.Env) []server.Module {
		rec := &timeline.Recorder{Store: e.Store, Bus: e.Bus, Log: e.Log}
		m = lifecycle.New(e.Store, dk, e.Keys, e.Bus, rec, e.Log, lifecycle.Options{InstanceID: s.instance,
			HostBindIP: netip.MustParseAddr("127.0.0.1"), DataDir: t.TempDir(), BaseURL: e.BaseURL, ResyncInterval: 2 * time.Second,
			DefaultStartupTimeout: time.Minute, LogRetentionLines: 1000, StopTimeout: 2 * time.Second,
			Limits: settings.Limits{MaxMemory: 1 << 30, MaxCPUs: 2, MaxPIDs: 500}})
		return []server.Module{
			&api.Containers{Manager: m, Store: e.Store, Checker: e.Checker, Bus: e.Bus, BaseURL: e.BaseURL},
			&api.Live{Bus: e.Bus, Checker: e.Checker, Auth: e.Auth, BaseURL: e.BaseURL, Log: e.Log, Version: "test"},
			&api.Volumes{Manager: m, Store: e.Store, Checker: e.Checker, Log: e.Log},
		}
	}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = m.Run(ctx) }()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = s.Server.Serve(ln) }()
	t.Cleanup(func() {
		sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer scancel()
		_ = s.Server.Shutdown(sctx)
		cancel()
		<-done
	})
	s.url = "http://" + ln.Addr().String()
	s.project = &store.Project{Title: "Project " + s.instance, Type: store.TypeProject, Source: "local"}
	if err := s.Store.CreateProject(ctx, s.project); err != nil {
		t.Fatal(err)
	}
	s.User("olivia", false)
	u, err := s.Store.GetUserByUsername(ctx, "olivia")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Store.AssignRole(ctx, &store.RoleAssignment{ProjectID: s.project.ID, UserID: u.ID, Role: "owner", Source: "local"}); err != nil {
		t.Fatal(err)
	}
	s.env = map[string]string{"KIOSC_URL": s.url, "KIOSC_TOKEN": apiToken(t, s.Env, "olivia")}
	return s
}

// run runs the client as the project's owner.
func (s *containerServer) run(stdin string, args ...string) cliResult {
	return runCLI(s.T.(*testing.T).TempDir(), s.env, stdin, args...)
}

func mustOK(t *testing.T, r cliResult) cliResult {
	t.Helper()
	if r.code != 0 {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
	}
	return r
}

func TestContainerCreateShowListEdit(t *testing.T) {
	s := serveContainers(t)
	const secret = "s3cret-from-stdin"

	// Flags for every kind of field; the secret comes from stdin.
	r := mustOK(t, s.run(secret+"\n", "container", "create", "--project", s.project.UUID, "--image", "ghcr.io/example/app:1.2",
		"--title", "web", "--port", "8080", "--path", "app/", "--env", "A=1", "--env", "B=two words", "--secret-env", "TOKEN=-",
		"--command", "serve --fast", "--memory", "512m", "--cpus", "1.5", "--pids", "100", "--max-idle", "2h",
		"--startup-timeout", "90", "--max-lifetime", "7d", "--strip-prefix=false", "--max-retries", "2", "--pull-policy", "always",
		"--json"))
	if strings.Contains(r.stdout+r.stderr, secret) {
		t.Errorf("create shows the secret:\n%s", r.stdout)
	}
	var created map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &created); err != nil {
		t.Fatalf("create --json: %v\n%s", err, r.stdout)
	}
	want := map[string]any{"title": "web", "image": "ghcr.io/example/app:1.2", "container_port": 8080.0, "container_path": "app/",
		"command": "serve --fast", "memory_limit": float64(512 << 20), "cpu_limit": 1.5, "pids_limit": 100.0, "max_idle": 7200.0,
		"startup_timeout": 90.0, "max_lifetime": 7 * 86400.0, "strip_prefix": false, "max_retries": 2.0, "pull_policy": "always",
		"state": "initial"}
	for k, v := range want {
		if created[k] != v {
			t.Errorf("%s = %v, want %v", k, created[k], v)
		}
	}
	if env, _ := created["environment"].(map[string]any); env["A"] != "1" || env["B"] != "two words" {
		t.Errorf("environment %v", created["environment"])
	}
	if keys, _ := created["secret_environment_keys"].([]any); len(keys) != 1 || keys[0] != "TOKEN" {
		t.Errorf("secret_environment_keys %v", created["secret_environment_keys"])
	}
	id := created["uuid"].(string)
	ct, err := s.Store.GetContainer(context.Background(), id)
	if err != nil || ct.SecretEnvEnc == "" || strings.Contains(ct.SecretEnvEnc, secret) {
		t.Fatalf("stored secret: %v %+v", err, ct)
	}

	// show: every readable field as key and value, secret keys listed, the secret value nowhere.
	r = mustOK(t, s.run("", "container", "show", id))
	for _, want := range []string{"uuid", id, "proxy_url", "/containers/proxy/" + id + "/app/", "A=1", "B=two words",
		"TOKEN (values are write-only)", "512MiB", "2h0m0s", "initial", "created_by", "olivia", "has_registry_auth"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("show lacks %q:\n%s", want, r.stdout)
		}
	}
	r2 := mustOK(t, s.run("", "container", "show", id, "--json"))
	var shown map[string]any
	if err := json.Unmarshal([]byte(r2.stdout), &shown); err != nil || shown["uuid"] != id {
		t.Fatalf("show --json: %v %s", err, r2.stdout)
	}

	// --from-file with flags over it; two secrets from stdin, one line each.
	file := filepath.Join(t.TempDir(), "container.json")
	if err := os.WriteFile(file, []byte(`{"title": "from file", "image": "nginx:1", "description": "d", "environment": {"X": "1"},
		"heartbeat_url": "/health", "max_idle": 60}`), 0o600); err != nil {
		t.Fatal(err)
	}
	r = mustOK(t, s.run("first-secret\nsecond-secret\n", "container", "create", "--project", s.project.UUID, "--from-file", file,
		"--max-idle", "30m", "--env", "Y=2", "--secret-env", "S1=-", "--secret-env", "S2=-"))
	if !strings.Contains(r.stdout, `"from file" created`) {
		t.Fatalf("create from file: %s", r.stdout)
	}
	fromFile := strings.TrimSpace(r.stdout[strings.LastIndex(r.stdout, " ")+1:])
	r = mustOK(t, s.run("", "container", "show", fromFile, "--json"))
	var ff map[string]any
	_ = json.Unmarshal([]byte(r.stdout), &ff)
	if ff["max_idle"] != 1800.0 || ff["description"] != "d" || ff["heartbeat_url"] != "/health" ||
		ff["environment"].(map[string]any)["X"] != "1" || ff["environment"].(map[string]any)["Y"] != "2" ||
		len(ff["secret_environment_keys"].([]any)) != 2 {
		t.Errorf("from file: %s", r.stdout)
	}

	// list: the table with state and reason, then --state, --project, and paging through the API's pages.
	r = mustOK(t, s.run("", "container", "list"))
	for _, want := range []string{"UUID", "PROJECT", "TITLE", "IMAGE", "STATE", "LAST ACCESS", id, "web", "from file", "initial", s.project.UUID} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("list lacks %q:\n%s", want, r.stdout)
		}
	}
	if r := mustOK(t, s.run("", "container", "list", "--state", "running")); strings.Contains(r.stdout, id) {
		t.Errorf("--state running lists an initial container:\n%s", r.stdout)
	}
	admin := s.Login("admin", "admin-password")
	for i := 0; i < 105; i++ {
		if res := admin.Do("POST", "/api/v1/projects/"+s.project.UUID+"/containers", map[string]any{"title": "bulk " + strconvI(int64(i)), "image": "nginx:1"}); res.StatusCode != 201 {
			t.Fatalf("bulk create: %d %s", res.StatusCode, res.Body)
		}
	}
	r = mustOK(t, s.run("", "container", "list", "--project", s.project.UUID, "--json"))
	var list struct {
		Items []map[string]any `json:"items"`
		Total int              `json:"total"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &list); err != nil || list.Total != 107 || len(list.Items) != 107 {
		t.Fatalf("list --json over pages: %v total %d items %d", err, list.Total, len(list.Items))
	}
	if r := mustOK(t, s.run("", "container", "list")); !strings.Contains(r.stdout, "bulk 104") || !strings.Contains(r.stdout, "bulk 0") {
		t.Error("the table does not hold every page")
	}

	// edit: only the given fields change; --env adds to the environment, secrets merge and can be removed.
	r = mustOK(t, s.run("", "container", "edit", id, "--description", "changed", "--env", "C=3", "--unset-env", "A",
		"--unset-secret-env", "TOKEN", "--secret-env", "NEW=n", "--json"))
	var edited map[string]any
	_ = json.Unmarshal([]byte(r.stdout), &edited)
	env, _ := edited["environment"].(map[string]any)
	if edited["description"] != "changed" || edited["title"] != "web" || edited["memory_limit"] != float64(512<<20) ||
		env["A"] != nil || env["B"] != "two words" || env["C"] != "3" {
		t.Errorf("edit: %s", r.stdout)
	}
	if keys, _ := edited["secret_environment_keys"].([]any); len(keys) != 1 || keys[0] != "NEW" {
		t.Errorf("edited secret keys %v", edited["secret_environment_keys"])
	}
	r = mustOK(t, s.run("", "container", "edit", id, "--access", "site", "--json"))
	_ = json.Unmarshal([]byte(r.stdout), &edited)
	if edited["access"] != "site" || edited["effective_access"] != "site" || edited["description"] != "changed" {
		t.Errorf("edit --access: %s", r.stdout)
	}
	if r := mustOK(t, s.run("", "container", "show", id)); !regexp.MustCompile(`(?m)^access\s+site$`).MatchString(r.stdout) {
		t.Errorf("show: the access level is missing\n%s", r.stdout)
	}
	if r := mustOK(t, s.run("", "container", "edit", id, "--memory", "1g")); !strings.Contains(r.stdout, `"web" updated`) {
		t.Errorf("edit: %s", r.stdout)
	}

	// The secrets never show in any output.
	for _, args := range [][]string{{"container", "show", id}, {"container", "show", id, "--json"}, {"container", "list", "--json"},
		{"container", "show", fromFile, "--json"}} {
		r := mustOK(t, s.run("", args...))
		for _, v := range []string{secret, "first-secret", "second-secret"} {
			if strings.Contains(r.stdout+r.stderr, v) {
				t.Errorf("%v shows a secret value", args)
			}
		}
	}

	// Registry credentials: the password from stdin, write-only; --no-registry-auth removes them.
	r = mustOK(t, s.run("registry-pass\n", "container", "edit", id, "--registry-user", "robot", "--registry-password", "-", "--json"))
	if !strings.Contains(r.stdout, `"has_registry_auth": true`) || strings.Contains(r.stdout, "registry-pass") {
		t.Errorf("registry auth: %s", r.stdout)
	}
	r = mustOK(t, s.run("", "container", "edit", id, "--no-registry-auth", "--json"))
	if !strings.Contains(r.stdout, `"has_registry_auth": false`) {
		t.Errorf("no registry auth: %s", r.stdout)
	}
	badFile := filepath.Join(t.TempDir(), "bad.json")
	if err := os.WriteFile(badFile, []byte(`{"image": "nginx:1", "imagee": "typo"}`), 0o600); err != nil {
		t.Fatal(err)
	}

	// Errors: the API's message with the field, exit 1; usage errors exit 2.
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"container", "create", "--project", s.project.UUID, "--image", "Not An Image"}, 1, "image"},
		{[]string{"container", "create", "--project", s.project.UUID, "--image", "nginx:1", "--title", "web"}, 1, "title"},
		{[]string{"container", "create", "--project", s.project.UUID, "--image", "nginx:1", "--port", "70000"}, 1, "container_port"},
		{[]string{"container", "edit", id, "--pull-policy", "sometimes"}, 1, "pull_policy"},
		{[]string{"container", "edit", id, "--access", "everyone"}, 1, "access"},
		{[]string{"container", "edit", id, "--access", "public"}, 1, "access"},
		{[]string{"container", "show", uuid.NewString()}, 1, "404"},
		{[]string{"container", "create", "--project", s.project.UUID, "--from-file", badFile}, 1, "imagee"},
		{[]string{"container", "create", "--project", s.project.UUID, "--image", "nginx:1", "--registry-user", "u"}, 2, "--registry-password"},
		{[]string{"container", "create", "--image", "nginx:1"}, 2, "--project"},
		{[]string{"container", "create", "--project", s.project.UUID, "--memory", "lots"}, 2, "--memory"},
		{[]string{"container", "create", "--project", s.project.UUID, "--max-idle", "1.5s"}, 2, "--max-idle"},
		{[]string{"container", "create", "--project", s.project.UUID, "--env", "NOVALUE"}, 2, "KEY=VALUE"},
		{[]string{"container", "create", "--project", s.project.UUID, "--frobnicate"}, 2, "frobnicate"},
		{[]string{"container", "create", "--project", s.project.UUID, "--from-file", "/nonexistent.json"}, 2, "--from-file"},
		{[]string{"container", "edit", id}, 2, "nothing to change"},
		{[]string{"container", "show"}, 2, "usage"},
		{[]string{"container", "logs", id, "--tail", "-1"}, 2, "--tail"},
		{[]string{"container", "delete", id}, 2, "--yes"},
		{[]string{"container", "frobnicate"}, 2, "list|show|create"},
	} {
		r := s.run("", c.args...)
		if r.code != c.code || !strings.Contains(r.stderr, c.want) {
			t.Errorf("%v: exit %d, want %d with %q\n%s", c.args, r.code, c.code, c.want, r.stderr)
		}
	}
	// A viewer may see the list but not create.
	s.User("victor", false)
	vu, _ := s.Store.GetUserByUsername(context.Background(), "victor")
	if _, err := s.Store.AssignRole(context.Background(), &store.RoleAssignment{ProjectID: s.project.ID, UserID: vu.ID, Role: "viewer", Source: "local"}); err != nil {
		t.Fatal(err)
	}
	viewer := map[string]string{"KIOSC_URL": s.url, "KIOSC_TOKEN": apiToken(t, s.Env, "victor")}
	if r := runCLI(t.TempDir(), viewer, "", "container", "create", "--project", s.project.UUID, "--image", "nginx:1"); r.code != 1 || !strings.Contains(r.stderr, "403") {
		t.Errorf("viewer create: %d %s", r.code, r.stderr)
	}

	// delete --yes answers at once; the record goes once Docker has confirmed.
	if r := mustOK(t, s.run("", "container", "delete", fromFile, "--yes")); !strings.Contains(r.stdout, "being deleted") {
		t.Errorf("delete: %s", r.stdout)
	}
}

func TestContainerLifecycleOnRealEngine(t *testing.T) {
	dockertest.Client(t)
	image := dockertest.TestAppImage(t)
	s := serveContainers(t)
	dockertest.Cleanup(t, lifecycle.LabelInstance+"="+s.instance)

	r := mustOK(t, s.run("", "container", "create", "--project", s.project.UUID, "--image", image, "--title", "app",
		"--port", "8080", "--heartbeat-url", "/health", "--env", "LOG_EVERY=200ms", "--secret-env", "PASSWORD=hunter2-secret", "--json"))
	var v map[string]any
	_ = json.Unmarshal([]byte(r.stdout), &v)
	id, _ := v["uuid"].(string)
	if id == "" {
		t.Fatalf("create: %s", r.stdout)
	}

	// start --wait prints each state on its own line and returns once the app answers.
	r = mustOK(t, s.run("", "container", "start", id, "--wait", "--timeout", "2m"))
	t.Logf("start --wait:\n%s", r.stdout)
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if !strings.HasSuffix(lines[len(lines)-1], "running") || len(lines) < 2 {
		t.Fatalf("start --wait:\n%s", r.stdout)
	}
	if ct, _ := s.Store.GetContainer(context.Background(), id); ct.State != store.StateRunning {
		t.Fatalf("state after start --wait: %s", ct.State)
	}
	// Already running: done at once.
	if r := mustOK(t, s.run("", "container", "start", id, "--wait")); !strings.Contains(r.stdout, "running") {
		t.Errorf("second start: %s", r.stdout)
	}

	// Stored logs.
	deadline := time.Now().Add(30 * time.Second)
	for {
		r = mustOK(t, s.run("", "container", "logs", id, "--tail", "3"))
		if strings.Count(r.stdout, "\n") == 3 && strings.Contains(r.stdout, "tick") || time.Now().After(deadline) {
			break
		}
		time.Sleep(300 * time.Millisecond)
	}
	if strings.Count(r.stdout, "\n") != 3 || !strings.Contains(r.stdout, "tick") {
		t.Fatalf("logs --tail 3:\n%s", r.stdout)
	}
	if r := mustOK(t, s.run("", "container", "logs", id, "--since", "1h", "--timestamps")); !strings.Contains(r.stdout, " stdout tick") {
		t.Errorf("logs --timestamps:\n%s", r.stdout)
	}
	if r := mustOK(t, s.run("", "container", "logs", id, "--since", "2030-01-01T00:00:00Z")); strings.TrimSpace(r.stdout) != "" {
		t.Errorf("logs since the future:\n%s", r.stdout)
	}

	// open prints the app's URL and runs $BROWSER with it.
	opened := filepath.Join(t.TempDir(), "opened")
	browser := filepath.Join(t.TempDir(), "browser.sh")
	if err := os.WriteFile(browser, []byte("#!/bin/sh\necho \"$1\" > "+opened+"\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"KIOSC_URL": s.url, "KIOSC_TOKEN": s.env["KIOSC_TOKEN"], "BROWSER": browser}
	r = mustOK(t, runCLI(t.TempDir(), env, "", "container", "open", id))
	wantURL := s.url + "/containers/proxy/" + id + "/"
	if strings.TrimSpace(r.stdout) != wantURL {
		t.Errorf("open printed %q, want %q", r.stdout, wantURL)
	}
	if b, _ := os.ReadFile(opened); strings.TrimSpace(string(b)) != wantURL {
		t.Errorf("$BROWSER got %q", b)
	}

	// logs --follow streams new lines and ends by itself when the container is stopped.
	var follow cliResult
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		follow = s.run("", "container", "logs", id, "--follow", "--tail", "0")
	}()
	time.Sleep(2 * time.Second) // some ticks
	r = mustOK(t, s.run("", "container", "stop", id, "--wait", "--timeout", "1m"))
	t.Logf("stop --wait:\n%s", r.stdout)
	if !strings.Contains(r.stdout, "stopped (user)") {
		t.Errorf("stop --wait:\n%s", r.stdout)
	}
	followDone := make(chan struct{})
	go func() { wg.Wait(); close(followDone) }()
	select {
	case <-followDone:
	case <-time.After(30 * time.Second):
		t.Fatal("logs --follow did not end when the container stopped")
	}
	if follow.code != 0 || strings.Count(follow.stdout, "tick") < 3 || !strings.Contains(follow.stderr, "stopped") {
		t.Errorf("logs --follow: exit %d\n%s\n%s", follow.code, follow.stdout, follow.stderr)
	}
	// Following a stopped container prints what is stored and returns.
	if r := mustOK(t, s.run("", "container", "logs", id, "--follow", "--tail", "2")); strings.Count(r.stdout, "\n") != 2 {
		t.Errorf("follow stopped:\n%s\n%s", r.stdout, r.stderr)
	}

	// restart --wait returns only after the recreated container answers again.
	if r := mustOK(t, s.run("", "container", "start", id, "--wait", "--timeout", "2m")); !strings.Contains(r.stdout, "running") {
		t.Fatalf("start again: %s", r.stdout)
	}
	before, _ := s.Store.GetContainer(context.Background(), id)
	r = mustOK(t, s.run("", "container", "restart", id, "--wait", "--timeout", "2m", "--json"))
	t.Logf("restart --wait:\n%s", r.stdout[:strings.Index(r.stdout, "{")])
	after, _ := s.Store.GetContainer(context.Background(), id)
	if after.State != store.StateRunning || before.ReadyAt == nil || after.ReadyAt == nil || !after.ReadyAt.After(*before.ReadyAt) {
		t.Errorf("restart --wait returned before the restart: %+v\n%s", after, r.stdout)
	}
	if !strings.Contains(r.stdout, `"state": "running"`) {
		t.Errorf("restart --json: %s", r.stdout)
	}
}

func TestContainerStartFailureOnRealEngine(t *testing.T) {
	dockertest.Client(t)
	image := dockertest.TestAppImage(t)
	s := serveContainers(t)
	dockertest.Cleanup(t, lifecycle.LabelInstance+"="+s.instance)

	r := s.run("", "container", "create", "--project", s.project.UUID, "--image", image, "--title", "never ready",
		"--port", "8080", "--env", "NEVER_READY=1", "--startup-timeout", "3", "--start", "--wait", "--timeout", "2m")
	t.Logf("create --start --wait:\n%s%s", r.stdout, r.stderr)
	if r.code != 1 || !strings.Contains(r.stderr, "failed (startup_timeout)") || !strings.Contains(r.stdout, "created") {
		t.Fatalf("start of a never-ready app: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	// --wait gives up after --timeout.
	first := strings.Fields(strings.SplitN(r.stdout, "\n", 2)[0])
	id := first[len(first)-1]
	r = s.run("", "container", "start", id, "--wait", "--timeout", "1s", "--json")
	if r.code != 1 || !strings.Contains(r.stderr, "gave up waiting after 1s") {
		t.Errorf("timeout: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	// Stopping it is done once kiosc has stopped the attempt, whether it failed or not.
	if r := s.run("", "container", "stop", id, "--wait", "--timeout", "1m"); r.code != 0 {
		t.Errorf("stop after a failed start: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if r := mustOK(t, s.run("", "container", "delete", id, "--yes")); !strings.Contains(r.stdout, "being deleted") {
		t.Errorf("delete: %s", r.stdout)
	}
}
