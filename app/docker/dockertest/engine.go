package dockertest

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/moby/moby/api/types/jsonstream"
	"github.com/moby/moby/client"
)

// Engine is a private Docker engine of one test: a dockerd of its own, with its own socket, data, execution state and
// pid file, running in a network namespace of its own, so that nothing it creates (its default bridge, the networks
// of its containers, its iptables chains) touches the host's interfaces or the shared engine. The test can stop and
// start it (a restart of the Docker daemon) and, later, make it a Swarm manager.
//
// Network: the namespace is joined to the host by a veth pair with the two addresses of a private /30
// (10.N.255.253 on the host, 10.N.255.254 in the namespace, N between 200 and 250, unique among the engines on the
// machine). The engine's bridges take addresses from 10.N.0.0/16 only. kiosc reaches apps on the engine through
// published ports on the namespace's address, Addr: run kiosc with KIOSC_HOST_BIND_IP=<Addr>, Docker publishes
// container ports there, and the host reaches it over the veth. There is deliberately no route from the host into the
// engine's bridges: the host's routing table stays as it was, and kiosc, finding none of its interfaces on the
// engine's networks, uses the published port, as it does with rootless Docker or Docker Desktop.
//
// The daemon runs under `ip netns exec`, which gives it the namespace's own /sys; the cgroup hierarchies are mounted
// again in that private mount namespace, the same hierarchies as the host's, so containers are limited as usual.
type Engine struct {
	// Client talks to the engine (API version negotiated).
	Client *client.Client
	// Host is the engine's address in DOCKER_HOST form ("unix:///…/docker.sock"); Socket is the socket's path.
	Host, Socket string
	// Addr is the engine's address on the veth, where published ports are reached from the host.
	Addr netip.Addr
	// Image is the test app image, loaded into the engine (see TestAppImage).
	Image string
	// Namespace is the name of the network namespace (`ip netns`).
	Namespace string

	root, hostVeth string
	octet          int
	mu             sync.Mutex
	cmd            *exec.Cmd
	exited         chan struct{}
}

// Prefixes of what a private engine creates on the host, so that leftovers of a killed test can be recognised.
const (
	engineNetnsPrefix = "kiosc-eng-"
	engineDirPrefix   = "kiosc-engine-"
	engineFirstOctet  = 200
	engineLastOctet   = 250
)

// PrivateEngine starts a private Docker engine for the test, loads the test app image into it and removes
// everything when the test ends. It needs root, `ip`, `dockerd` and a shared engine to copy the image from; without
// them the test is skipped (failed when KIOSC_REQUIRE_DOCKER=1).
func PrivateEngine(t testing.TB) *Engine {
	t.Helper()
	return privateEngine(t, "{}\n", t.Cleanup)
}

// privateEngine starts a private engine with the daemon configuration (daemon.json) and hands its removal to
// cleanup.
func privateEngine(t testing.TB, config string, cleanup func(func())) *Engine {
	t.Helper()
	shared := Client(t)
	image := TestAppImage(t)
	if msg := engineMissing(); msg != "" {
		if os.Getenv(RequireEnv) == "1" {
			t.Fatal("private Docker engine: " + msg)
		}
		t.Skip("private Docker engine: " + msg)
	}
	e, err := newEngine(config)
	if err != nil {
		t.Fatalf("private Docker engine: %v", err)
	}
	cleanup(func() {
		if err := e.remove(); err != nil {
			t.Errorf("private Docker engine: clean-up: %v", err)
		}
	})
	if err := e.start(); err != nil {
		t.Fatalf("private Docker engine: %v\n%s", err, e.logTail())
	}
	ctx, cancel := context.WithTimeout(context.Background(), BuildTimeout)
	defer cancel()
	if err := copyImage(ctx, shared, e.Client, image); err != nil {
		t.Fatalf("private Docker engine: load %s: %v", image, err)
	}
	e.Image = image
	return e
}

// engineMissing says what a private engine lacks on this machine ("" when nothing).
func engineMissing() string {
	if os.Geteuid() != 0 {
		return "needs root (network namespaces, a daemon of its own)"
	}
	for _, bin := range []string{"ip", "dockerd", "mount"} {
		if _, err := exec.LookPath(bin); err != nil {
			return bin + " not found"
		}
	}
	return ""
}

// Stop stops the daemon as an operator would (SIGTERM; Docker stops the containers first) and waits until it has
// exited.
func (e *Engine) Stop(t testing.TB) {
	t.Helper()
	if err := e.stop(); err != nil {
		t.Fatalf("private Docker engine: stop: %v", err)
	}
}

// Start starts the stopped daemon again on the same data and waits until it answers.
func (e *Engine) Start(t testing.TB) {
	t.Helper()
	if err := e.start(); err != nil {
		t.Fatalf("private Docker engine: start: %v\n%s", err, e.logTail())
	}
}

// LogPath is the daemon's log file.
func (e *Engine) LogPath() string { return filepath.Join(e.root, "dockerd.log") }

func (e *Engine) logTail() string {
	b, _ := os.ReadFile(e.LogPath())
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// newEngine sets up the namespace, the veth pair and the directories (under a machine-wide lock, so that engines
// of test processes running at once pick different addresses).
func newEngine(config string) (*Engine, error) {
	unlock := lockFile(filepath.Join(os.TempDir(), "kiosc-private-engines.lock"))
	defer unlock()
	reclaimEngines()
	octet, err := freeOctet()
	if err != nil {
		return nil, err
	}
	suffix := make([]byte, 3)
	_, _ = rand.Read(suffix)
	id := fmt.Sprintf("%d-%s", octet, hex.EncodeToString(suffix))
	e := &Engine{Namespace: engineNetnsPrefix + id, octet: octet, hostVeth: "kvh" + strings.ReplaceAll(id, "-", ""),
		Addr: netip.AddrFrom4([4]byte{10, byte(octet), 255, 254})}
	if e.root, err = os.MkdirTemp("", engineDirPrefix+id+"-"); err != nil {
		return nil, err
	}
	e.Socket = filepath.Join(e.root, "docker.sock")
	e.Host = "unix://" + e.Socket
	nsVeth := "kvn" + strings.ReplaceAll(id, "-", "")
	hostAddr := fmt.Sprintf("10.%d.255.253/30", octet)
	steps := [][]string{
		{"ip", "netns", "add", e.Namespace},
		{"ip", "link", "add", e.hostVeth, "type", "veth", "peer", "name", nsVeth},
		{"ip", "link", "set", nsVeth, "netns", e.Namespace},
		{"ip", "addr", "add", hostAddr, "dev", e.hostVeth},
		{"ip", "link", "set", e.hostVeth, "up"},
		{"ip", "netns", "exec", e.Namespace, "ip", "link", "set", "lo", "up"},
		{"ip", "netns", "exec", e.Namespace, "ip", "addr", "add", e.Addr.String() + "/30", "dev", nsVeth},
		{"ip", "netns", "exec", e.Namespace, "ip", "link", "set", nsVeth, "up"},
		{"ip", "netns", "exec", e.Namespace, "ip", "route", "add", "default", "via", strings.TrimSuffix(hostAddr, "/30")},
	}
	for _, s := range steps {
		if out, err := exec.Command(s[0], s[1:]...).CombinedOutput(); err != nil {
			_ = e.remove()
			return nil, fmt.Errorf("%s: %w: %s", strings.Join(s, " "), err, out)
		}
	}
	if err := os.WriteFile(filepath.Join(e.root, "daemon.json"), []byte(config), 0o600); err != nil {
		_ = e.remove()
		return nil, err
	}
	return e, nil
}

// freeOctet picks N for 10.N.0.0/16: not on any of the host's routes or addresses and not used by another private
// engine.
func freeOctet() (int, error) {
	routes, err := exec.Command("ip", "-4", "route", "show", "table", "all").Output()
	if err != nil {
		return 0, fmt.Errorf("ip route: %w", err)
	}
	addrs, err := exec.Command("ip", "-4", "-o", "addr").Output()
	if err != nil {
		return 0, fmt.Errorf("ip addr: %w", err)
	}
	used := string(routes) + string(addrs)
	for _, ns := range engineNamespaces() {
		used += " " + ns
	}
	for n := engineFirstOctet; n <= engineLastOctet; n++ {
		if !strings.Contains(used, fmt.Sprintf("10.%d.", n)) && !strings.Contains(used, fmt.Sprintf("%s%d-", engineNetnsPrefix, n)) {
			return n, nil
		}
	}
	return 0, errors.New("no free 10.N.0.0/16 for a private engine")
}

// engineNamespaces lists the network namespaces of private engines.
func engineNamespaces() []string {
	out, err := exec.Command("ip", "netns", "list").Output()
	if err != nil {
		return nil
	}
	var names []string
	for _, l := range strings.Split(string(out), "\n") {
		if f := strings.Fields(l); len(f) > 0 && strings.HasPrefix(f[0], engineNetnsPrefix) {
			names = append(names, f[0])
		}
	}
	return names
}

// reclaimEngines removes what private engines of test processes that were killed left behind: namespaces in which
// no process runs any more, older than a few minutes (a new one has no process until its daemon starts), with their
// directories.
func reclaimEngines() {
	for _, ns := range engineNamespaces() {
		fi, err := os.Stat(filepath.Join("/run/netns", ns))
		if err != nil || time.Since(fi.ModTime()) < 10*time.Minute {
			continue
		}
		if pids, err := exec.Command("ip", "netns", "pids", ns).Output(); err != nil || strings.TrimSpace(string(pids)) != "" {
			continue
		}
		_ = exec.Command("ip", "netns", "del", ns).Run()
		dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), engineDirPrefix+strings.TrimPrefix(ns, engineNetnsPrefix)+"-*"))
		for _, d := range dirs {
			_ = os.RemoveAll(d)
		}
	}
}

// cgroupMounts returns the shell commands that mount the host's cgroup hierarchies again under /sys/fs/cgroup (in
// the daemon's private mount namespace, where `ip netns exec` put a fresh /sys).
func cgroupMounts() (string, error) {
	f, err := os.Open("/proc/self/mounts")
	if err != nil {
		return "", err
	}
	defer f.Close()
	var b strings.Builder
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fl := strings.Fields(sc.Text())
		if len(fl) < 4 || (fl[1] != "/sys/fs/cgroup" && !strings.HasPrefix(fl[1], "/sys/fs/cgroup/")) {
			continue
		}
		switch fl[2] {
		case "tmpfs", "cgroup", "cgroup2":
		default:
			continue
		}
		fmt.Fprintf(&b, "mkdir -p %s && mount -t %s -o %s %s %s\n", shellQuote(fl[1]), fl[2], shellQuote(fl[3]), fl[2], shellQuote(fl[1]))
	}
	if err := sc.Err(); err != nil {
		return "", err
	}
	// Symbolic links next to the hierarchies (cpu -> cpu,cpuacct on many hosts).
	if entries, err := os.ReadDir("/sys/fs/cgroup"); err == nil {
		for _, en := range entries {
			p := filepath.Join("/sys/fs/cgroup", en.Name())
			if target, err := os.Readlink(p); err == nil {
				fmt.Fprintf(&b, "ln -sfn %s %s\n", shellQuote(target), shellQuote(p))
			}
		}
	}
	return b.String(), nil
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// start starts the daemon and waits until it answers.
func (e *Engine) start() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.cmd != nil {
		return errors.New("already running")
	}
	mounts, err := cgroupMounts()
	if err != nil {
		return err
	}
	log, err := os.OpenFile(e.LogPath(), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer log.Close()
	n := e.octet
	// Its own /etc/docker too: the engine's identity (key.json) and registry certificates are not the shared engine's.
	etc := filepath.Join(e.root, "etc-docker")
	if err := os.MkdirAll(etc, 0o700); err != nil {
		return err
	}
	mounts += "if [ -d /etc/docker ]; then mount --bind " + shellQuote(etc) + " /etc/docker; fi\n"
	args := []string{"netns", "exec", e.Namespace, "sh", "-c", "set -e\n" + mounts + `exec dockerd "$@"`, "dockerd",
		"--host", e.Host,
		"--data-root", filepath.Join(e.root, "data"),
		"--exec-root", filepath.Join(e.root, "exec"),
		"--pidfile", filepath.Join(e.root, "docker.pid"),
		"--config-file", filepath.Join(e.root, "daemon.json"),
		"--bip", fmt.Sprintf("10.%d.254.1/24", n),
		"--default-address-pool", fmt.Sprintf("base=10.%d.0.0/17,size=24", n),
		"--log-level", "warn",
	}
	cmd := exec.Command("ip", args...)
	cmd.Stdout, cmd.Stderr = log, log
	// The daemon goes down with the test process (gracefully: it stops its containers).
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		return err
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	e.cmd, e.exited = cmd, exited
	if e.Client == nil {
		if e.Client, err = client.New(client.WithHost(e.Host)); err != nil {
			return err
		}
	}
	deadline := time.Now().Add(time.Minute)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_, err := e.Client.Ping(ctx, client.PingOptions{NegotiateAPIVersion: true})
		cancel()
		if err == nil {
			return nil
		}
		select {
		case <-exited:
			e.cmd = nil
			return fmt.Errorf("dockerd exited at start: %s", cmd.ProcessState)
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("dockerd does not answer on %s: %w", e.Host, err)
		}
	}
}

// stop sends SIGTERM to the daemon and waits for it (killing it after a minute).
func (e *Engine) stop() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.cmd == nil {
		return nil
	}
	cmd, exited := e.cmd, e.exited
	e.cmd = nil
	// `ip netns exec` runs the shell, which execs dockerd: the child is the daemon itself.
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(time.Minute):
		_ = cmd.Process.Kill()
		<-exited
		return errors.New("dockerd did not stop within a minute; killed")
	}
	return nil
}

// remove stops the daemon, ends whatever still runs in the namespace, deletes the namespace (and with it both ends
// of the veth pair and every interface the engine made) and the engine's directory.
func (e *Engine) remove() error {
	var errs []error
	if err := e.stop(); err != nil {
		errs = append(errs, err)
	}
	if e.Client != nil {
		_ = e.Client.Close()
	}
	if e.Namespace != "" {
		if out, err := exec.Command("ip", "netns", "pids", e.Namespace).Output(); err == nil {
			for _, f := range strings.Fields(string(out)) {
				if pid, err := strconv.Atoi(f); err == nil {
					_ = syscall.Kill(pid, syscall.SIGKILL)
				}
			}
		}
		// Containerd's shims take a moment to go after their containers.
		for range 50 {
			out, err := exec.Command("ip", "netns", "pids", e.Namespace).Output()
			if err != nil || strings.TrimSpace(string(out)) == "" {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		if out, err := exec.Command("ip", "netns", "del", e.Namespace).CombinedOutput(); err != nil &&
			!bytes.Contains(out, []byte("No such file")) {
			errs = append(errs, fmt.Errorf("ip netns del %s: %w: %s", e.Namespace, err, out))
		}
	}
	// The veth pair goes with the namespace once nothing holds the namespace any more; the host's end, which is the
	// engine's own, is removed now rather than then.
	if e.hostVeth != "" {
		if out, err := exec.Command("ip", "link", "del", e.hostVeth).CombinedOutput(); err != nil &&
			!bytes.Contains(out, []byte("Cannot find device")) {
			errs = append(errs, fmt.Errorf("ip link del %s: %w: %s", e.hostVeth, err, out))
		}
	}
	if e.root != "" {
		if err := os.RemoveAll(e.root); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// copyImage copies an image from one engine to another (docker save | docker load).
func copyImage(ctx context.Context, from, to *client.Client, ref string) error {
	saved, err := from.ImageSave(ctx, []string{ref})
	if err != nil {
		return fmt.Errorf("save: %w", err)
	}
	defer saved.Close()
	res, err := to.ImageLoad(ctx, saved)
	if err != nil {
		return fmt.Errorf("load: %w", err)
	}
	defer res.Close()
	dec := json.NewDecoder(res)
	for {
		var m jsonstream.Message
		if err := dec.Decode(&m); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return fmt.Errorf("load output: %w", err)
		}
		if m.Error != nil {
			return errors.New(m.Error.Message)
		}
	}
	if _, err := to.ImageInspect(ctx, ref); err != nil {
		return fmt.Errorf("image missing after load: %w", err)
	}
	return nil
}

// Container is a Docker container as ListContainers sees it.
type Container struct {
	ID, State string
	Labels    map[string]string
}

// ListContainers lists the containers (in every state) carrying the label filter ("key=value") on an engine.
func ListContainers(t testing.TB, cli *client.Client, labelFilter string) []Container {
	t.Helper()
	res, err := cli.ContainerList(context.Background(), client.ContainerListOptions{All: true,
		Filters: make(client.Filters).Add("label", labelFilter)})
	if err != nil {
		t.Fatalf("list containers %s: %v", labelFilter, err)
	}
	out := make([]Container, 0, len(res.Items))
	for _, c := range res.Items {
		out = append(out, Container{ID: c.ID, State: string(c.State), Labels: c.Labels})
	}
	return out
}
