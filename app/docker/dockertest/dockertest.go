// Package dockertest gives tests a real Docker engine and an image of the
// kiosc test app (app/testbed/testapp). It is imported only by _test.go
// files.
//
// Tests that need Docker call [Client] (skipped without an engine, failed
// when KIOSC_REQUIRE_DOCKER=1), [TestAppImage] for the image reference,
// [Cleanup] to remove whatever they labelled, and [RunTestApp] to run the
// image directly for comparisons that bypass kiosc.
package dockertest

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/api/types/build"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/jsonstream"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"
)

const (
	// ImageRepo is the repository of the test app image; the tag is a
	// hash of the binary.
	ImageRepo = "kiosc-testapp"
	// TestLabel is set to "true" on every image and container created here.
	TestLabel = "kiosc.test"
	// AppPort is the port the test app listens on inside the container.
	AppPort = 8080
	// RequireEnv, when "1", turns a missing engine from a skip into a failure.
	RequireEnv = "KIOSC_REQUIRE_DOCKER"

	// PingTimeout bounds the first contact with the engine.
	PingTimeout = 5 * time.Second
	// BuildTimeout bounds compiling the test app and building its image.
	BuildTimeout = 5 * time.Minute
	// StartTimeout bounds waiting for a container's /health.
	StartTimeout = 30 * time.Second
)

var (
	clientOnce sync.Once
	sharedCli  *client.Client
	clientErr  error

	imageOnce sync.Once
	imageRef  string
	imageErr  error
)

// Client returns a client for the engine from the environment (DOCKER_HOST
// etc.), shared by the whole test process. Without an answering engine the
// test is skipped, or failed when KIOSC_REQUIRE_DOCKER=1.
func Client(t testing.TB) *client.Client {
	t.Helper()
	clientOnce.Do(func() { sharedCli, clientErr = connect() })
	if clientErr != nil {
		host := os.Getenv("DOCKER_HOST")
		if host == "" {
			host = client.DefaultDockerHost + " (default)"
		}
		msg := fmt.Sprintf("no Docker engine answers: run `make test` as root on Debian, which installs docker.io "+
			"and starts dockerd (scripts/ensure-docker.sh), or start dockerd yourself; DOCKER_HOST=%s; error: %v", host, clientErr)
		if os.Getenv(RequireEnv) == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return sharedCli
}

// connect creates the client and pings the engine.
func connect() (*client.Client, error) {
	cli, err := client.New(client.FromEnv)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), PingTimeout)
	defer cancel()
	if _, err := cli.Ping(ctx, client.PingOptions{NegotiateAPIVersion: true}); err != nil {
		_ = cli.Close()
		return nil, err
	}
	return cli, nil
}

// TestAppImage returns the reference "kiosc-testapp:<hash>" of an image
// holding the current test app, building it at most once per test process.
// The tag is derived from the binary, so an unchanged app reuses the image
// built by an earlier run or by a concurrently running test package.
func TestAppImage(t testing.TB) string {
	t.Helper()
	cli := Client(t)
	imageOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), BuildTimeout)
		defer cancel()
		imageRef, imageErr = ensureImage(ctx, cli, t.Logf)
	})
	if imageErr != nil {
		t.Fatalf("test app image: %v", imageErr)
	}
	return imageRef
}

// ensureImage compiles the test app and builds its image unless the engine
// already has it.
func ensureImage(ctx context.Context, cli *client.Client, logf func(string, ...any)) (string, error) {
	start := time.Now()
	ver, err := cli.ServerVersion(ctx, client.ServerVersionOptions{})
	if err != nil {
		return "", err
	}
	if ver.Os != "linux" {
		return "", fmt.Errorf("engine runs %s containers, need linux", ver.Os)
	}
	root, err := moduleRoot()
	if err != nil {
		return "", err
	}
	dir, err := os.MkdirTemp("", "kiosc-testapp-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "testapp")
	// -buildvcs=false keeps the binary, and thus the tag, independent of
	// the repository state, so commits do not force a rebuild.
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-buildvcs=false", "-ldflags=-s -w",
		"-o", bin, "./app/testbed/testapp")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+ver.Arch)
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./app/testbed/testapp: %w\n%s", err, out)
	}
	data, err := os.ReadFile(bin)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(data)
	digest := hex.EncodeToString(sum[:])
	ref := ImageRepo + ":" + digest[:16]
	compiled := time.Since(start)

	// Several test packages run in parallel processes; the lock makes all
	// but one wait for the image instead of building it again.
	unlock := lockFile(filepath.Join(os.TempDir(), "kiosc-testapp-"+digest[:16]+".lock"))
	defer unlock()

	if _, err := cli.ImageInspect(ctx, ref); err == nil {
		logf("dockertest: reusing image %s (go build %v)", ref, compiled.Round(time.Millisecond))
		return ref, nil
	} else if !cerrdefs.IsNotFound(err) {
		return "", fmt.Errorf("inspect %s: %w", ref, err)
	}
	if err := buildImage(ctx, cli, ref, digest, data); err != nil {
		return "", fmt.Errorf("build %s: %w", ref, err)
	}
	logf("dockertest: built image %s in %v (go build %v)", ref, time.Since(start).Round(time.Millisecond),
		compiled.Round(time.Millisecond))
	return ref, nil
}

// dockerfile needs no registry: FROM scratch is built in.
const dockerfile = `FROM scratch
COPY testapp /testapp
EXPOSE 8080
ENTRYPOINT ["/testapp"]
`

// buildImage builds ref from the binary with the engine's classic builder.
func buildImage(ctx context.Context, cli *client.Client, ref, digest string, bin []byte) error {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range []struct {
		name string
		mode int64
		data []byte
	}{{"Dockerfile", 0o644, []byte(dockerfile)}, {"testapp", 0o755, bin}} {
		hdr := &tar.Header{Name: f.name, Mode: f.mode, Size: int64(len(f.data)), ModTime: time.Unix(0, 0)}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if _, err := tw.Write(f.data); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}

	res, err := cli.ImageBuild(ctx, &buf, client.ImageBuildOptions{
		Tags:        []string{ref},
		Dockerfile:  "Dockerfile",
		Remove:      true,
		ForceRemove: true,
		Labels:      map[string]string{TestLabel: "true", "kiosc.test.sha256": digest},
		Version:     build.BuilderV1,
	})
	if err != nil {
		return err
	}
	defer res.Body.Close()
	var log strings.Builder
	dec := json.NewDecoder(res.Body)
	for {
		var m jsonstream.Message
		if err := dec.Decode(&m); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return fmt.Errorf("reading build output: %w\n%s", err, log.String())
		}
		if m.Error != nil {
			return fmt.Errorf("%s\n%s", m.Error.Message, log.String())
		}
		log.WriteString(m.Stream)
	}
	if _, err := cli.ImageInspect(ctx, ref); err != nil {
		return fmt.Errorf("image missing after build: %w\n%s", err, log.String())
	}
	return nil
}

// moduleRoot walks up from the working directory to the directory holding
// go.mod.
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
			return "", errors.New("go.mod not found above the working directory")
		}
		dir = parent
	}
}

// Cleanup registers a t.Cleanup that force-removes every container and
// then every network carrying the label filter ("key=value" or "key"), so
// a test leaves nothing behind even when it fails half-way.
func Cleanup(t testing.TB, labelFilter string) {
	t.Helper()
	cli := Client(t)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := RemoveLabeled(ctx, cli, labelFilter); err != nil {
			t.Errorf("dockertest cleanup of %s: %v", labelFilter, err)
		}
	})
}

// RemoveLabeled force-removes containers (with their anonymous volumes),
// then networks and named volumes that carry the label filter.
func RemoveLabeled(ctx context.Context, cli *client.Client, labelFilter string) error {
	f := make(client.Filters).Add("label", labelFilter)
	var errs []error
	cs, err := cli.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: f})
	if err != nil {
		return err
	}
	for _, c := range cs.Items {
		if err := removeContainer(ctx, cli, c.ID); err != nil {
			errs = append(errs, err)
		}
	}
	ns, err := cli.NetworkList(ctx, client.NetworkListOptions{Filters: f})
	if err != nil {
		return errors.Join(append(errs, err)...)
	}
	for _, n := range ns.Items {
		if _, err := cli.NetworkRemove(ctx, n.ID, client.NetworkRemoveOptions{}); err != nil && !cerrdefs.IsNotFound(err) {
			errs = append(errs, err)
		}
	}
	vs, err := cli.VolumeList(ctx, client.VolumeListOptions{Filters: f})
	if err != nil {
		return errors.Join(append(errs, err)...)
	}
	for _, v := range vs.Items {
		if _, err := cli.VolumeRemove(ctx, v.Name, client.VolumeRemoveOptions{Force: true}); err != nil && !cerrdefs.IsNotFound(err) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// removeContainer force-removes a container; one that is gone is fine, and one that somebody else is removing
// already (kiosc removing an orphan or a deleted container) is waited for.
func removeContainer(ctx context.Context, cli *client.Client, id string) error {
	_, err := cli.ContainerRemove(ctx, id, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true})
	if err != nil && strings.Contains(err.Error(), "already in progress") {
		for ctx.Err() == nil {
			if _, ierr := cli.ContainerInspect(ctx, id, client.ContainerInspectOptions{}); cerrdefs.IsNotFound(ierr) {
				return nil
			}
			time.Sleep(100 * time.Millisecond)
		}
		return fmt.Errorf("removal already in progress did not finish: %w", ctx.Err())
	}
	if err != nil && !cerrdefs.IsNotFound(err) {
		return err
	}
	return nil
}

// RunOptions configures [RunTestApp].
type RunOptions struct {
	Env        []string          // "KEY=VALUE", e.g. "LOG_EVERY=100ms"
	Cmd        []string          // arguments (after the entrypoint)
	Entrypoint []string          // replaces ["/testapp"], e.g. a mounted "#!/testapp script" file
	Labels     map[string]string // added to TestLabel=true
	Binds      []string          // "host-path:container-path[:ro]"
	Memory     int64             // memory limit in bytes (swap is limited to the same); 0 = none
	NoWait     bool              // return right after start instead of waiting for /health
}

// RunTestApp runs the test app image directly (not through kiosc) with
// port 8080 published on a random 127.0.0.1 port, waits until /health
// answers 200 (unless opts.NoWait), and returns "127.0.0.1:port" and the
// container ID. The container is removed when the test ends; if the test
// failed, its logs are written to the test log first. With NoWait, addr is
// empty if the container exited before its port was published.
func RunTestApp(t testing.TB, opts RunOptions) (addr, id string) {
	t.Helper()
	cli := Client(t)
	image := TestAppImage(t)
	ctx, cancel := context.WithTimeout(context.Background(), StartTimeout)
	defer cancel()

	port := network.MustParsePort(fmt.Sprintf("%d/tcp", AppPort))
	labels := map[string]string{TestLabel: "true"}
	maps.Copy(labels, opts.Labels)
	hc := &container.HostConfig{
		Binds:        opts.Binds,
		PortBindings: network.PortMap{port: {{HostIP: netip.MustParseAddr("127.0.0.1")}}},
	}
	if opts.Memory > 0 {
		hc.Memory, hc.MemorySwap = opts.Memory, opts.Memory
	}
	cr, err := cli.ContainerCreate(ctx, client.ContainerCreateOptions{
		Config: &container.Config{
			Image:        image,
			Env:          opts.Env,
			Cmd:          opts.Cmd,
			Entrypoint:   opts.Entrypoint,
			Labels:       labels,
			ExposedPorts: network.PortSet{port: {}},
		},
		HostConfig: hc,
	})
	if err != nil {
		t.Fatalf("create test app container: %v", err)
	}
	id = cr.ID
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if t.Failed() {
			if stdout, stderr, err := logs(ctx, cli, id); err == nil {
				t.Logf("container %.12s stdout:\n%s\nstderr:\n%s", id, stdout, stderr)
			}
		}
		if err := removeContainer(ctx, cli, id); err != nil {
			t.Errorf("remove container %.12s: %v", id, err)
		}
	})
	if _, err := cli.ContainerStart(ctx, id, client.ContainerStartOptions{}); err != nil {
		t.Fatalf("start test app container: %v", err)
	}
	ins, err := cli.ContainerInspect(ctx, id, client.ContainerInspectOptions{})
	if err != nil {
		t.Fatalf("inspect test app container: %v", err)
	}
	if b := ins.Container.NetworkSettings.Ports[port]; len(b) > 0 {
		addr = "127.0.0.1:" + b[0].HostPort
	}
	if opts.NoWait {
		return addr, id
	}
	if addr == "" {
		t.Fatalf("container %.12s exited before publishing its port: %+v", id, ins.Container.State)
	}
	if err := waitHealthy(ctx, cli, id, "http://"+addr+"/health"); err != nil {
		t.Fatalf("test app container %.12s: %v", id, err)
	}
	return addr, id
}

// waitHealthy polls url until it answers 200, failing early when the
// container stops.
func waitHealthy(ctx context.Context, cli *client.Client, id, url string) error {
	hc := &http.Client{Timeout: time.Second}
	for i := 0; ; i++ {
		if resp, err := hc.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if i%10 == 9 {
			ins, err := cli.ContainerInspect(ctx, id, client.ContainerInspectOptions{})
			if err != nil {
				return err
			}
			if st := ins.Container.State; st != nil && !st.Running {
				return fmt.Errorf("stopped before %s answered: status %s, exit code %d", url, st.Status, st.ExitCode)
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s did not answer 200: %w", url, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Logs returns what the (non-TTY) container has written to stdout and
// stderr so far.
func Logs(t testing.TB, id string) (stdout, stderr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	stdout, stderr, err := logs(ctx, Client(t), id)
	if err != nil {
		t.Fatalf("logs of %.12s: %v", id, err)
	}
	return stdout, stderr
}

func logs(ctx context.Context, cli *client.Client, id string) (string, string, error) {
	rc, err := cli.ContainerLogs(ctx, id, client.ContainerLogsOptions{ShowStdout: true, ShowStderr: true})
	if err != nil {
		return "", "", err
	}
	defer rc.Close()
	var stdout, stderr bytes.Buffer
	if _, err := stdcopy.StdCopy(&stdout, &stderr, rc); err != nil {
		return "", "", err
	}
	return stdout.String(), stderr.String(), nil
}

// WaitExit waits up to timeout for the container to stop and returns its
// final state (ExitCode, OOMKilled, ...).
func WaitExit(t testing.TB, id string, timeout time.Duration) *container.State {
	t.Helper()
	cli := Client(t)
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	w := cli.ContainerWait(ctx, id, client.ContainerWaitOptions{Condition: container.WaitConditionNotRunning})
	select {
	case <-w.Result:
	case err := <-w.Error:
		t.Fatalf("wait for %.12s: %v", id, err)
	}
	ins, err := cli.ContainerInspect(ctx, id, client.ContainerInspectOptions{})
	if err != nil {
		t.Fatalf("inspect %.12s: %v", id, err)
	}
	return ins.Container.State
}
