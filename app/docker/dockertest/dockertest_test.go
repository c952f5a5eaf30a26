package dockertest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
)

func httpGet(t *testing.T, url string) (int, string) {
	t.Helper()
	c := &http.Client{Timeout: 10 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(body)
}

// waitLogs polls the container's logs until cond holds.
func waitLogs(t *testing.T, id string, cond func(stdout, stderr string) bool) (string, string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		stdout, stderr := Logs(t, id)
		if cond(stdout, stderr) {
			return stdout, stderr
		}
		if time.Now().After(deadline) {
			t.Fatalf("logs never matched; stdout:\n%s\nstderr:\n%s", stdout, stderr)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestTestAppImage(t *testing.T) {
	ref := TestAppImage(t)
	if !strings.HasPrefix(ref, ImageRepo+":") {
		t.Fatalf("image ref %q", ref)
	}
	if again := TestAppImage(t); again != ref {
		t.Errorf("second call gave %q, want %q", again, ref)
	}
	img, err := Client(t).ImageInspect(context.Background(), ref)
	if err != nil {
		t.Fatal(err)
	}
	if img.Config == nil || img.Config.Labels[TestLabel] != "true" {
		t.Errorf("image labels = %v", img.Config)
	}
}

func TestRunTestApp(t *testing.T) {
	addr, id := RunTestApp(t, RunOptions{Env: []string{"LOG_EVERY=100ms"}, Labels: map[string]string{"kiosc.test.case": t.Name()}})
	if code, body := httpGet(t, "http://"+addr+"/health"); code != 200 || body != "ok" {
		t.Fatalf("/health = %d %q", code, body)
	}
	_, body := httpGet(t, "http://"+addr+"/echo?q=1")
	var echo struct {
		Method, Path, RawQuery string
		Headers                map[string][]string
	}
	if err := json.Unmarshal([]byte(body), &echo); err != nil || echo.Path != "/echo" || echo.Headers["User-Agent"] == nil {
		t.Fatalf("/echo = %s (%v)", body, err)
	}
	httpGet(t, "http://"+addr+"/log?stream=stderr&text=marker-err")
	httpGet(t, "http://"+addr+"/log?text=marker-out")
	stdout, stderr := waitLogs(t, id, func(stdout, stderr string) bool {
		return strings.Contains(stdout, "marker-out 1") && strings.Contains(stderr, "marker-err 1") &&
			strings.Contains(stderr, "tock 3")
	})
	if !strings.Contains(stdout, "testapp listening on :8080\n") || !strings.Contains(stdout, "tick 1\n") {
		t.Errorf("stdout:\n%s", stdout)
	}
	if !strings.Contains(stderr, "testapp stderr hello\n") || strings.Contains(stderr, "listening") {
		t.Errorf("stderr:\n%s", stderr)
	}
}

func TestStopIsGraceful(t *testing.T) {
	_, id := RunTestApp(t, RunOptions{})
	timeout := 10
	start := time.Now()
	if _, err := Client(t).ContainerStop(context.Background(), id, client.ContainerStopOptions{Timeout: &timeout}); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("stop took %v: SIGTERM not handled as PID 1?", d)
	}
	if st := WaitExit(t, id, 10*time.Second); st.ExitCode != 0 {
		t.Errorf("exit code after SIGTERM = %d, want 0", st.ExitCode)
	}
}

func TestCrashAfter(t *testing.T) {
	_, id := RunTestApp(t, RunOptions{Env: []string{"CRASH_AFTER=300ms", "CRASH_CODE=42"}, NoWait: true})
	st := WaitExit(t, id, 20*time.Second)
	if st.Running || st.ExitCode != 42 || st.OOMKilled {
		t.Errorf("state = %+v, want exited with 42", st)
	}
}

func TestOOMKill(t *testing.T) {
	addr, id := RunTestApp(t, RunOptions{Memory: 32 << 20})
	// Engine 20.10 reports some OOM kills only through its oom event, not in State.OOMKilled.
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	ev := Client(t).Events(ctx, client.EventsListOptions{Filters: make(client.Filters).Add("container", id).Add("event", "oom")})
	c := &http.Client{Timeout: 20 * time.Second}
	if resp, err := c.Get("http://" + addr + "/oom?mb=200"); err == nil {
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		t.Logf("/oom answered %d %q (expected the connection to break)", resp.StatusCode, body)
	}
	st := WaitExit(t, id, 30*time.Second)
	oomEvent := false
	select {
	case <-ev.Messages:
		oomEvent = true
	case <-time.After(2 * time.Second):
	}
	if (!st.OOMKilled && !oomEvent) || st.ExitCode != 137 {
		t.Errorf("state = %+v, oom event %v: want an OOM kill with exit code 137", st, oomEvent)
	}
}

// TestScriptInterpreter runs a bind-mounted "#!/testapp script" file as the
// entrypoint, the way kiosc runs a "#!" command in an image without a shell.
func TestScriptInterpreter(t *testing.T) {
	script := "#!/testapp script\necho script says $1 $GREETING\nechoerr script stderr\nserve\n"
	f := filepath.Join(t.TempDir(), "run.sh")
	if err := os.WriteFile(f, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	addr, id := RunTestApp(t, RunOptions{
		Entrypoint: []string{"/kiosc/run.sh"},
		Cmd:        []string{"hi"},
		Env:        []string{"GREETING=there"},
		Binds:      []string{f + ":/kiosc/run.sh:ro"},
	})
	if code, body := httpGet(t, "http://"+addr+"/file?path=/kiosc/run.sh"); code != 200 || body != script {
		t.Errorf("/file = %d %q", code, body)
	}
	_, body := httpGet(t, "http://"+addr+"/args")
	if want := `["/testapp","script","/kiosc/run.sh","hi"]`; strings.Join(strings.Fields(body), "") != want {
		t.Errorf("/args = %s, want %s", body, want)
	}
	waitLogs(t, id, func(stdout, stderr string) bool {
		return strings.Contains(stdout, "script says hi there\n") && strings.Contains(stderr, "script stderr\n")
	})
}

func TestCleanupRemovesLabelled(t *testing.T) {
	cli := Client(t)
	image := TestAppImage(t)
	label := fmt.Sprintf("kiosc.test.cleanup=%d", time.Now().UnixNano())
	key, value, _ := strings.Cut(label, "=")
	ctx := context.Background()
	t.Run("inner", func(t *testing.T) {
		Cleanup(t, label)
		lbl := map[string]string{key: value, TestLabel: "true"}
		n, err := cli.NetworkCreate(ctx, "kiosc-test-"+value, client.NetworkCreateOptions{Driver: "bridge", Labels: lbl})
		if err != nil {
			t.Fatal(err)
		}
		cr, err := cli.ContainerCreate(ctx, client.ContainerCreateOptions{
			Config:     &container.Config{Image: image, Labels: lbl},
			HostConfig: &container.HostConfig{NetworkMode: container.NetworkMode(n.ID)},
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := cli.ContainerStart(ctx, cr.ID, client.ContainerStartOptions{}); err != nil {
			t.Fatal(err)
		}
	})
	f := make(client.Filters).Add("label", label)
	cs, err := cli.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: f})
	if err != nil {
		t.Fatal(err)
	}
	ns, err := cli.NetworkList(ctx, client.NetworkListOptions{Filters: f})
	if err != nil {
		t.Fatal(err)
	}
	if len(cs.Items) != 0 || len(ns.Items) != 0 {
		t.Errorf("left over: %d containers, %d networks", len(cs.Items), len(ns.Items))
	}
}
