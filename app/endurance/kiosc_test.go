package endurance

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/bihealth/kiosc/app/docker/dockertest"
)

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// binary returns the kiosc binary: KIOSC_BIN, or one built from this repository once per test process.
func binary(t testing.TB) string {
	t.Helper()
	binOnce.Do(func() {
		if b := os.Getenv("KIOSC_BIN"); b != "" {
			binPath = b
			return
		}
		root, err := moduleRoot()
		if err != nil {
			binErr = err
			return
		}
		dir, err := os.MkdirTemp("", "kiosc-endurance-bin-")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "kiosc")
		cmd := exec.Command("go", "build", "-o", binPath, ".")
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			binErr = fmt.Errorf("go build: %w\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatalf("kiosc binary: %v", binErr)
	}
	return binPath
}

func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("go.mod not found")
		}
		dir = parent
	}
}

func freePort(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// instance is a kiosc process (started, killed and started again on the same data directory and ports).
type instance struct {
	t         testing.TB
	dataDir   string
	logPath   string
	listen    string
	appListen string
	base      string // kiosc's origin, http://127.0.0.1:port
	appBase   string // the app listener's origin
	password  string
	env       []string
	token     string
	id        string // instance ID (label kiosc.instance)

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{}
	http   *http.Client
}

// newInstance prepares a kiosc on a fresh data directory and free loopback ports; env adds KIOSC_* settings (and
// DOCKER_HOST). Call start.
func newInstance(t testing.TB, env ...string) *instance {
	t.Helper()
	dir := t.TempDir()
	k := &instance{t: t, dataDir: filepath.Join(dir, "data"), logPath: filepath.Join(dir, "kiosc.log"),
		listen: freePort(t), appListen: freePort(t), password: "endurance-" + uuid.NewString()[:12],
		http: &http.Client{Timeout: 30 * time.Second}}
	k.base, k.appBase = "http://"+k.listen, "http://"+k.appListen
	k.env = append([]string{"KIOSC_DATA_DIR=" + k.dataDir, "KIOSC_LISTEN=" + k.listen, "KIOSC_APP_LISTEN=" + k.appListen,
		"KIOSC_ADMIN_PASSWORD=" + k.password, "KIOSC_LOG_LEVEL=info", "KIOSC_LOG_FORMAT=text"}, env...)
	t.Cleanup(func() {
		// kiosc goes first, so that it recreates nothing while its Docker objects are removed.
		k.kill()
		if k.id != "" && !k.ownEngine() {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			if err := dockertest.RemoveLabeled(ctx, dockertest.Client(t), "kiosc.instance="+k.id); err != nil {
				t.Errorf("remove the Docker objects of kiosc instance %s: %v", k.id, err)
			}
		}
		if t.Failed() {
			t.Logf("kiosc log (tail):\n%s", k.logTail(6000))
			if b, err := os.ReadFile(k.logPath); err == nil {
				kept := filepath.Join(os.TempDir(), "kiosc-"+strings.ReplaceAll(t.Name(), "/", "-")+".log")
				if os.WriteFile(kept, b, 0o600) == nil {
					t.Logf("kiosc's whole log: %s", kept)
				}
			}
		}
	})
	return k
}

// start runs kiosc and waits until it serves; on the first start it also creates an API token for admin and learns
// the instance ID, whose Docker objects on the shared engine are removed when the test ends.
func (k *instance) start() {
	k.t.Helper()
	k.mu.Lock()
	if k.cmd != nil {
		k.mu.Unlock()
		k.t.Fatal("kiosc already runs")
	}
	log, err := os.OpenFile(k.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		k.mu.Unlock()
		k.t.Fatal(err)
	}
	fmt.Fprintf(log, "---- start %s\n", time.Now().Format(time.RFC3339Nano))
	cmd := exec.Command(binary(k.t), "serve")
	cmd.Env = append(cleanEnv(), k.env...)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		k.mu.Unlock()
		log.Close()
		k.t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); log.Close(); close(exited) }()
	k.cmd, k.exited = cmd, exited
	k.mu.Unlock()

	deadline := time.Now().Add(60 * time.Second)
	for {
		// /healthz answers from the first moments; the API once the start-up work is done (503 "starting" before).
		resp, err := k.http.Get(k.base + "/api/v1/config")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		select {
		case <-exited:
			k.t.Fatalf("kiosc exited at start: %s\n%s", cmd.ProcessState, k.logTail(3000))
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			k.t.Fatalf("kiosc does not answer /api/v1/config: %v\n%s", err, k.logTail(3000))
		}
	}
	if k.token == "" {
		k.token = k.createToken()
		var o struct{ Instance string }
		k.mustJSON("GET", "/api/v1/admin/docker", nil, &o, http.StatusOK)
		if o.Instance == "" {
			k.t.Fatal("no instance ID")
		}
		k.id = o.Instance
	}
}

// ownEngine reports whether kiosc talks to an engine other than the shared one (DOCKER_HOST in env).
func (k *instance) ownEngine() bool {
	for _, e := range k.env {
		if strings.HasPrefix(e, "DOCKER_HOST=") {
			return true
		}
	}
	return false
}

// cleanEnv is the test's environment without KIOSC_* settings of the caller.
func cleanEnv() []string {
	var out []string
	for _, e := range os.Environ() {
		if !strings.HasPrefix(e, "KIOSC_") {
			out = append(out, e)
		}
	}
	return out
}

// kill ends kiosc with SIGKILL (no clean-up of any kind) and waits for the process.
func (k *instance) kill() { k.signal(syscall.SIGKILL) }

// stop ends kiosc with SIGTERM (a graceful shutdown) and waits for the process.
func (k *instance) stop() { k.signal(syscall.SIGTERM) }

func (k *instance) signal(sig syscall.Signal) {
	k.mu.Lock()
	cmd, exited := k.cmd, k.exited
	k.cmd = nil
	k.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(sig)
	select {
	case <-exited:
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		<-exited
		k.t.Errorf("kiosc did not exit within 30 s of %v", sig)
	}
}

func (k *instance) logTail(n int) string {
	b, _ := os.ReadFile(k.logPath)
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}

// createToken logs admin in with the password and creates an API token, as a script's user would.
func (k *instance) createToken() string {
	k.t.Helper()
	body, _ := json.Marshal(map[string]string{"username": "admin", "password": k.password})
	resp, err := k.http.Post(k.base+"/api/v1/auth/login", "application/json", bytes.NewReader(body))
	if err != nil {
		k.t.Fatal(err)
	}
	defer resp.Body.Close()
	var login struct {
		CSRFToken string `json:"csrf_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&login); err != nil || resp.StatusCode != http.StatusOK {
		k.t.Fatalf("login: %d %v", resp.StatusCode, err)
	}
	req, _ := http.NewRequest("POST", k.base+"/api/v1/tokens", strings.NewReader(`{"name":"endurance"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-CSRF-Token", login.CSRFToken)
	for _, c := range resp.Cookies() {
		req.AddCookie(c)
	}
	tr, err := k.http.Do(req)
	if err != nil {
		k.t.Fatal(err)
	}
	defer tr.Body.Close()
	var tok struct{ Token string }
	if err := json.NewDecoder(tr.Body).Decode(&tok); err != nil || tok.Token == "" {
		k.t.Fatalf("token: %d %v", tr.StatusCode, err)
	}
	return tok.Token
}

// call sends an API request with the admin token and returns the status and body.
func (k *instance) call(method, path string, in any) (int, []byte, error) {
	var body io.Reader
	if in != nil {
		b, _ := json.Marshal(in)
		body = bytes.NewReader(b)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, method, k.base+path, body)
	req.Header.Set("Authorization", "Token "+k.token)
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := k.http.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

// mustJSON sends an API request, requires one of the statuses and decodes the answer into out (may be nil).
func (k *instance) mustJSON(method, path string, in, out any, statuses ...int) int {
	k.t.Helper()
	status, b, err := k.call(method, path, in)
	if err != nil {
		k.t.Fatalf("%s %s: %v", method, path, err)
	}
	ok := false
	for _, s := range statuses {
		ok = ok || s == status
	}
	if !ok {
		k.t.Fatalf("%s %s: %d %s", method, path, status, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			k.t.Fatalf("%s %s: %v: %s", method, path, err, b)
		}
	}
	return status
}

// container is the part of the API's container object the tests look at.
type container struct {
	UUID         string  `json:"uuid"`
	Title        string  `json:"title"`
	State        string  `json:"state"`
	StateReason  string  `json:"state_reason"`
	StateMessage string  `json:"state_message"`
	DesiredState string  `json:"desired_state"`
	DockerID     *string `json:"docker_id"`
	ProxyURL     string  `json:"proxy_url"`
}

func (c container) String() string {
	return fmt.Sprintf("%s %s/%s desired %s %q", c.Title, c.State, c.StateReason, c.DesiredState, c.StateMessage)
}

// project creates a project and returns its UUID.
func (k *instance) project() string {
	k.t.Helper()
	var p struct{ UUID string }
	k.mustJSON("POST", "/api/v1/projects", map[string]any{"title": "endurance " + uuid.NewString()[:8], "type": "PROJECT"}, &p,
		http.StatusCreated, http.StatusOK)
	return p.UUID
}

// create creates a container of the test app image in the project.
func (k *instance) create(project, image, title string, extra map[string]any) container {
	k.t.Helper()
	in := map[string]any{"title": title, "image": image, "container_port": dockertest.AppPort, "heartbeat_url": "/health"}
	for key, v := range extra {
		in[key] = v
	}
	var c container
	k.mustJSON("POST", "/api/v1/projects/"+project+"/containers", in, &c, http.StatusCreated)
	return c
}

// containers lists every container.
func (k *instance) containers() ([]container, error) {
	status, b, err := k.call("GET", "/api/v1/containers?limit=500", nil)
	if err != nil {
		return nil, err
	}
	if status != http.StatusOK {
		return nil, fmt.Errorf("list: %d %s", status, b)
	}
	var l struct{ Items []container }
	return l.Items, json.Unmarshal(b, &l)
}

// get returns one container.
func (k *instance) get(id string) (container, error) {
	status, b, err := k.call("GET", "/api/v1/containers/"+id, nil)
	if err != nil {
		return container{}, err
	}
	if status != http.StatusOK {
		return container{}, fmt.Errorf("get %s: %d %s", id, status, b)
	}
	var c container
	return c, json.Unmarshal(b, &c)
}

// action asks for start, stop, restart (202).
func (k *instance) action(id, action string) {
	k.t.Helper()
	k.mustJSON("POST", "/api/v1/containers/"+id+"/"+action, nil, nil, http.StatusAccepted)
}

// waitFor polls the container until ok holds, failing after timeout.
func (k *instance) waitFor(id, what string, timeout time.Duration, ok func(container) bool) container {
	k.t.Helper()
	deadline := time.Now().Add(timeout)
	var c container
	var err error
	for {
		c, err = k.get(id)
		if err == nil && ok(c) {
			return c
		}
		if time.Now().After(deadline) {
			k.t.Fatalf("container %s never %s: %v %v", id, what, c, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (k *instance) waitState(id, state string, timeout time.Duration) container {
	k.t.Helper()
	return k.waitFor(id, state, timeout, func(c container) bool { return c.State == state })
}

// metric returns a value of kiosc's /metrics (for superusers).
func (k *instance) metric(name string) (float64, error) {
	status, b, err := k.call("GET", "/metrics", nil)
	if err != nil {
		return 0, err
	}
	if status != http.StatusOK {
		return 0, fmt.Errorf("/metrics: %d", status)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) == 2 && f[0] == name {
			return strconv.ParseFloat(f[1], 64)
		}
	}
	return 0, fmt.Errorf("no metric %s", name)
}

// readyz returns the status of /readyz.
func (k *instance) readyz() int {
	resp, err := k.http.Get(k.base + "/readyz")
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}
