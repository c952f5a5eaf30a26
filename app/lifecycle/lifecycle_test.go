package lifecycle_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bihealth/kiosc/app/docker"
	"github.com/bihealth/kiosc/app/lifecycle"
	"github.com/bihealth/kiosc/app/routing"
	"github.com/bihealth/kiosc/app/settings"
	"github.com/bihealth/kiosc/app/store"
)

func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v: %s", url, err, b)
	}
}

func TestStartProbeLimitsLabelsSecretsStopDelete(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(o *lifecycle.Options) { o.Limits.MaxPIDs = 200 })
	ctx := context.Background()
	c := e.create(map[string]any{"title": "My App!", "memory_limit": 64 << 20, "cpu_limit": 0.5,
		"environment":        map[string]any{"GREETING": "base=${KIOSC_BASE_PATH} prefix=__KIOSC_URL_PREFIX__"},
		"secret_environment": map[string]any{"API_TOKEN": "s3cr3t-value-xyz"},
		"command":            "-port 8080 -base-path '${KIOSC_BASE_PATH}'", "strip_prefix": false})
	if _, err := e.m.Start(ctx, e.user, c.UUID); err != nil {
		t.Fatal(err)
	}
	c = e.waitState(c.UUID, store.StateRunning)
	if c.ReadyAt == nil || c.StartedAt == nil || c.HostPort == nil || c.DockerID == "" || c.DesiredState != store.StateRunning {
		t.Errorf("running container fields: %+v", c.ContainerState)
	}
	// Labels, name, limits and no-new-privileges as Docker sees them.
	info, err := e.rt.Inspect(ctx, c.DockerID)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{"kiosc.managed": "true", "kiosc.instance": e.instance, "kiosc.container": c.UUID,
		"kiosc.project": e.project.UUID} {
		if info.Labels[k] != v {
			t.Errorf("label %s = %q, want %q", k, info.Labels[k], v)
		}
	}
	if want := "kiosc-" + c.UUID[:8] + "-my-app"; info.Name != want {
		t.Errorf("name %q, want %q", info.Name, want)
	}
	// On Swarm, Engine 20.10 takes no-new-privileges from the daemon's setting (see the README), which inspects do
	// not show: the app's own /proc/self/status below tells on both runtimes.
	if info.Memory != 64<<20 || info.NanoCPUs != 500_000_000 || info.PidsLimit != 200 ||
		(!swarmRuntime() && !slices.Contains(info.SecurityOpt, "no-new-privileges")) {
		t.Errorf("limits: memory %d cpus %d pids %d secopt %v", info.Memory, info.NanoCPUs, info.PidsLimit, info.SecurityOpt)
	}
	for _, l := range info.Labels {
		if strings.Contains(l, "s3cr3t") {
			t.Error("secret in a label")
		}
	}
	// Injected variables and placeholders, through the upstream address the proxy would use.
	up, err := e.m.Upstream(ctx, c.UUID)
	if err != nil || up.Addr == "" || up.State != store.StateRunning {
		t.Fatalf("upstream %+v %v", up, err)
	}
	if status := appFile(t, up.Addr, "/proc/self/status"); !strings.Contains(status, "NoNewPrivs:\t1") {
		t.Errorf("the app runs without no-new-privileges:\n%s", status)
	}
	var envOut map[string]string
	getJSON(t, "http://"+up.Addr+"/containers/proxy/"+c.UUID+"/env", &envOut)
	bp := "/containers/proxy/" + c.UUID + "/"
	for k, v := range map[string]string{"KIOSC_BASE_PATH": bp, "KIOSC_PUBLIC_URL": "http://kiosc.test" + bp,
		"KIOSC_CONTAINER_UUID": c.UUID, "KIOSC_PROJECT_UUID": e.project.UUID, "TITLE": "My App!", "CONTAINER_PORT": "8080",
		"KIOSC_OWNER": "alice", "KIOSC_PROJECT": e.project.UUID, "KIOSC_PROJECT_TITLE": e.project.Title,
		"GREETING": "base=" + bp + " prefix=" + strings.TrimSuffix(bp, "/"), "API_TOKEN": "s3cr3t-value-xyz"} {
		if envOut[k] != v {
			t.Errorf("env %s = %q, want %q", k, envOut[k], v)
		}
	}
	// The secret never appears in the API representation or the database file in clear text.
	view, _ := json.Marshal(lifecycle.NewView(c, routing.Apps{Mode: routing.Path}, settings.Sharing{}))
	if strings.Contains(string(view), "s3cr3t") || !strings.Contains(string(view), `"secret_environment_keys":["API_TOKEN"]`) {
		t.Errorf("view: %s", view)
	}
	// Logs are stored.
	e.wait(c.UUID, "logged", func(*store.Container) bool {
		lines, _ := e.m.Logs(ctx, c.UUID, time.Time{}, 0)
		return slices.ContainsFunc(lines, func(l lifecycle.LogLine) bool { return strings.Contains(l.Line, "testapp listening") })
	})

	if _, err := e.m.Stop(ctx, e.user, c.UUID); err != nil {
		t.Fatal(err)
	}
	c = e.waitState(c.UUID, store.StateStopped)
	if c.StateReason != "user" || c.DesiredState != store.StateStopped || c.StoppedAt == nil {
		t.Errorf("stopped: %+v", c.ContainerState)
	}
	if up, _ := e.m.Upstream(ctx, c.UUID); up.Addr != "" {
		t.Errorf("upstream of a stopped container: %+v", up)
	}
	lines, _ := e.m.Logs(ctx, c.UUID, time.Time{}, 0)
	if len(lines) == 0 {
		t.Error("stored logs gone after stop")
	}
	for _, f := range []string{"kiosc.db", "kiosc.db-wal"} {
		matches, _ := filepath.Glob(filepath.Join(filepath.Dir(dbPath(t, e.st)), f))
		for _, p := range matches {
			b, _ := os.ReadFile(p)
			if strings.Contains(string(b), "s3cr3t-value-xyz") {
				t.Errorf("secret in clear text in %s", p)
			}
		}
	}

	if _, err := e.m.Delete(ctx, e.user, c.UUID); err != nil {
		t.Fatal(err)
	}
	e.waitGone(c.UUID)
	if l := e.dockerContainers(c.UUID); len(l) != 0 {
		t.Errorf("left behind: %+v", l)
	}
	jobs, _, _ := e.st.ListJobs(ctx, c.UUID, store.Page{})
	if len(jobs) != 0 {
		t.Errorf("jobs left: %d", len(jobs))
	}
}

func isGone(e *env, id string) bool {
	_, err := e.st.GetContainer(context.Background(), id)
	return err != nil
}

func dbPath(t *testing.T, st *store.Store) string {
	var seq int
	var name, file string
	if err := st.DB().QueryRow("PRAGMA database_list").Scan(&seq, &name, &file); err != nil {
		t.Fatal(err)
	}
	return file
}

// waitGone waits for the record to disappear.
func (e *env) waitGone(id string) {
	e.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if isGone(e, id) {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	e.t.Fatal("record not deleted")
}

func TestSlowStartAndStartupTimeout(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	ctx := context.Background()
	slow := e.create(map[string]any{"environment": map[string]any{"STARTUP_DELAY": "2s"}})
	never := e.create(map[string]any{"environment": map[string]any{"NEVER_READY": "1"}, "startup_timeout": 3})
	for _, c := range []*store.Container{slow, never} {
		if _, err := e.m.Start(ctx, e.user, c.UUID); err != nil {
			t.Fatal(err)
		}
	}
	e.waitState(slow.UUID, store.StateStarting)
	c := e.waitState(slow.UUID, store.StateRunning)
	if c.ReadyAt.Sub(*c.StartedAt) < 1500*time.Millisecond {
		t.Errorf("ready %v after start: the probe did not wait for the app", c.ReadyAt.Sub(*c.StartedAt))
	}
	c = e.waitState(never.UUID, store.StateFailed)
	if c.StateReason != "startup_timeout" || c.DesiredState != store.StateStopped || c.StateMessage == "" {
		t.Errorf("timeout: %+v", c.ContainerState)
	}
	e.wait(never.UUID, "stopped in Docker", func(c *store.Container) bool { return c.DockerState == "exited" })
	info, err := e.rt.Inspect(ctx, c.DockerID)
	if err != nil || info.Running {
		t.Errorf("Docker container still running after the startup timeout: %v", err)
	}
	jobs, _, _ := e.st.ListJobs(ctx, never.UUID, store.Page{})
	if len(jobs) != 1 || jobs[0].State != store.JobFailed {
		t.Errorf("job of the timed-out start: %+v", jobs[0])
	}
}

func TestCrashRetriesAndOOM(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	ctx := context.Background()
	crash := e.create(map[string]any{"environment": map[string]any{"CRASH_AFTER": "5s", "CRASH_CODE": "3"}, "max_retries": 1})
	oom := e.create(map[string]any{"environment": map[string]any{"MEMORY_HOG_MB": "64"}, "memory_limit": 16 << 20})
	started := time.Now()
	for _, c := range []*store.Container{crash, oom} {
		if _, err := e.m.Start(ctx, e.user, c.UUID); err != nil {
			t.Fatal(err)
		}
	}
	e.waitState(crash.UUID, store.StateRunning)
	c := e.wait(crash.UUID, "crashed", func(c *store.Container) bool { return c.State == store.StateExited })
	if c.StateReason != "crashed" || c.ExitCode == nil || *c.ExitCode != 3 || c.Retries != 1 || c.DesiredState != store.StateRunning {
		t.Errorf("first crash: %+v", c.ContainerState)
	}
	// The automatic restart comes back, crashes again and then stays down.
	e.wait(crash.UUID, "restarted", func(c *store.Container) bool { return c.State == store.StateRunning })
	c = e.wait(crash.UUID, "given up", func(c *store.Container) bool {
		return c.State == store.StateExited && c.DesiredState == store.StateStopped
	})
	if c.Retries != 1 || *c.ExitCode != 3 {
		t.Errorf("second crash: %+v", c.ContainerState)
	}
	// The exit is reported at once and amended when Docker's oom event or an inspect says it was an OOM kill.
	if _, reported := e.waitOOM(oom.UUID, started); reported {
		evs, _, _ := e.st.ListTimelineEvents(ctx, store.TimelineFilter{ObjectUUID: oom.UUID})
		if !slices.ContainsFunc(evs, func(e *store.TimelineEvent) bool { return e.EventName == "container_oom" }) {
			t.Error("no container_oom timeline event")
		}
	}
}

func TestChangesOutsideKiosc(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	ctx := context.Background()
	c := e.create(nil)
	if _, err := e.m.Start(ctx, e.user, c.UUID); err != nil {
		t.Fatal(err)
	}
	c = e.waitState(c.UUID, store.StateRunning)
	if out, err := exec.Command("docker", "kill", c.DockerID).CombinedOutput(); err != nil {
		t.Fatalf("docker kill: %v %s", err, out)
	}
	killed := time.Now()
	c = e.waitState(c.UUID, store.StateExited)
	t.Logf("docker kill seen after %v", time.Since(killed))
	if c.StateReason != "crashed" || *c.ExitCode != 137 {
		t.Errorf("after docker kill: %+v", c.ContainerState)
	}
	if _, err := e.m.Start(ctx, e.user, c.UUID); err != nil {
		t.Fatal(err)
	}
	c = e.waitState(c.UUID, store.StateRunning)
	if n := len(e.dockerContainers(c.UUID)); n != 1 {
		t.Errorf("%d Docker containers after restart", n)
	}
	if out, err := exec.Command("docker", "rm", "-f", c.DockerID).CombinedOutput(); err != nil {
		t.Fatalf("docker rm: %v %s", err, out)
	}
	removed := time.Now()
	c = e.waitState(c.UUID, store.StateNotFound)
	t.Logf("docker rm -f seen after %v", time.Since(removed))
	if c.DockerID != "" || c.DesiredState != store.StateStopped {
		t.Errorf("after docker rm: %+v", c.ContainerState)
	}
}

func TestConcurrentStartsGiveOneContainer(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	ctx := context.Background()
	c := e.create(nil)
	var wg sync.WaitGroup
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := e.m.Start(ctx, e.user, c.UUID); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	e.waitState(c.UUID, store.StateRunning)
	time.Sleep(time.Second) // anything queued behind the first start has run by now
	if l := e.dockerContainers(c.UUID); len(l) != 1 {
		t.Errorf("%d Docker containers", len(l))
	}
	if c, _ := e.st.GetContainer(ctx, c.UUID); c.State != store.StateRunning {
		t.Errorf("state %s", c.State)
	}
	// The requests share one job.
	if jobs, total, _ := e.st.ListJobs(ctx, c.UUID, store.Page{}); total != 1 || jobs[0].State != store.JobDone {
		t.Errorf("%d jobs: %+v", total, jobs)
	}
}

func TestAdoptionAfterKioscRestart(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	ctx := context.Background()
	slow := e.create(map[string]any{"environment": map[string]any{"STARTUP_DELAY": "8s"}})
	up := e.create(nil)
	// One app runs, then the slow one is started, and kiosc stops as soon as that one is starting: however long
	// a start takes on a busy machine or a swarm, it is still starting then.
	if _, err := e.m.Start(ctx, e.user, up.UUID); err != nil {
		t.Fatal(err)
	}
	e.waitState(up.UUID, store.StateRunning)
	if _, err := e.m.Start(ctx, e.user, slow.UUID); err != nil {
		t.Fatal(err)
	}
	e.waitState(slow.UUID, store.StateStarting)
	e.stop() // kiosc goes away mid-start
	if got, _ := e.st.GetContainer(ctx, slow.UUID); got.State != store.StateStarting {
		t.Fatalf("the slow app is %s, not starting, when kiosc stops", got.State)
	}
	// An orphan: a Docker container of this instance whose record is gone.
	orphan := e.create(nil)
	if _, err := e.m.Start(ctx, e.user, orphan.UUID); err != nil {
		t.Fatal(err)
	}
	e.startManager()
	for _, c := range []*store.Container{slow, up} {
		got := e.waitState(c.UUID, store.StateRunning)
		if l := e.dockerContainers(c.UUID); len(l) != 1 || l[0].ID != got.DockerID {
			t.Errorf("%s: Docker containers %+v, record %s", c.Title, l, got.DockerID)
		}
	}
	// Log ingestion resumed after the last stored line: nothing is stored twice.
	time.Sleep(time.Second)
	lines, _ := e.m.Logs(ctx, up.UUID, time.Time{}, 0)
	n := 0
	for _, l := range lines {
		if strings.HasPrefix(l.Line, "testapp listening") {
			n++
		}
	}
	if n != 1 {
		t.Errorf("the start line is stored %d times: %+v", n, lines)
	}
	e.waitState(orphan.UUID, store.StateRunning)
	if err := e.st.DeleteContainer(ctx, orphan.UUID); err != nil {
		t.Fatal(err)
	}
	e.m.Resync(ctx, false)
	if l := e.dockerContainers(orphan.UUID); len(l) != 0 {
		t.Errorf("orphan not removed: %+v", l)
	}
	evs, _, _ := e.st.ListTimelineEvents(ctx, store.TimelineFilter{ObjectUUID: orphan.UUID})
	if !slices.ContainsFunc(evs, func(e *store.TimelineEvent) bool { return e.EventName == "container_orphan_removed" }) {
		t.Error("no container_orphan_removed event")
	}
}

func TestScriptCommand(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	ctx := context.Background()
	c := e.create(map[string]any{"command": "#!/testapp script\necho hello from ${KIOSC_CONTAINER_UUID}\nserve\n"})
	if _, err := e.m.Start(ctx, e.user, c.UUID); err != nil {
		t.Fatal(err)
	}
	c = e.waitState(c.UUID, store.StateRunning)
	info, _ := e.rt.Inspect(ctx, c.DockerID)
	if len(info.Binds) != 1 || !strings.HasSuffix(info.Binds[0], ":/kiosc/command:ro") {
		t.Errorf("binds %v", info.Binds)
	}
	fi, err := os.Stat(filepath.Join(e.dataDir, "scripts", c.UUID))
	if err != nil || fi.Mode().Perm() != 0o755 {
		t.Errorf("script file: %v %v", fi, err)
	}
	e.wait(c.UUID, "logged the script's line", func(*store.Container) bool {
		lines, _ := e.m.Logs(ctx, c.UUID, time.Time{}, 0)
		return slices.ContainsFunc(lines, func(l lifecycle.LogLine) bool { return l.Line == "hello from "+c.UUID })
	})
}

func TestUpstreamOfMissingContainer(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	if _, err := e.m.Upstream(context.Background(), "no-such-container"); !errors.Is(err, lifecycle.ErrNoContainer) {
		t.Errorf("err = %v", err)
	}
	c := e.create(nil)
	up, err := e.m.Upstream(context.Background(), c.UUID)
	if err != nil || up.State != store.StateInitial || up.Addr != "" || up.ProjectUUID != e.project.UUID || !up.StripPrefix {
		t.Errorf("%+v %v", up, err)
	}
}

func TestRefusedStopIsRetried(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.stop()
	f := &failing{Client: e.dk}
	e.startManagerWith(f)
	ctx := context.Background()
	c := e.start(e.create(nil))
	f.fail.Store(c.DockerID, true)
	if _, err := e.m.Stop(ctx, e.user, c.UUID); err != nil {
		t.Fatal(err)
	}
	e.wait(c.UUID, "the refused stop shown", func(c *store.Container) bool {
		return c.State == store.StateStopping && strings.Contains(c.StateMessage, "stop failed")
	})
	// Docker agrees again: the resync retries without anybody asking.
	f.fail.Delete(c.DockerID)
	e.waitState(c.UUID, store.StateStopped)
}

// lateInspect lets a container run for a while before kiosc's first look at it, as on a busy host.
type lateInspect struct {
	*docker.Client
	started sync.Map // Docker ID → true once started
}

func (l *lateInspect) Start(ctx context.Context, id string) error {
	l.started.Store(id, true)
	return l.Client.Start(ctx, id)
}

func (l *lateInspect) Inspect(ctx context.Context, id string) (*docker.ContainerInfo, error) {
	if _, first := l.started.LoadAndDelete(id); first {
		time.Sleep(2 * time.Second)
	}
	return l.Client.Inspect(ctx, id)
}

func TestDiedBeforeFirstLookIsAnExit(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.stop()
	e.startManagerWith(&lateInspect{Client: e.dk})
	ctx := context.Background()
	c := e.create(map[string]any{"environment": map[string]any{"CRASH_AFTER": "100ms", "CRASH_CODE": "3"}})
	if _, err := e.m.Start(ctx, e.user, c.UUID); err != nil {
		t.Fatal(err)
	}
	c = e.wait(c.UUID, "exited", func(c *store.Container) bool { return c.State == store.StateExited || c.State == store.StateFailed })
	if c.State != store.StateExited || c.StateReason != "crashed" || c.ExitCode == nil || *c.ExitCode != 3 {
		t.Fatalf("a container that died before kiosc looked: %+v", c.ContainerState)
	}
}

// appFile reads a file inside the test app at addr.
func appFile(t *testing.T, addr, path string) string {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/file?path=" + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}
