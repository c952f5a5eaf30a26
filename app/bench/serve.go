package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// kioscServe is `kiosc serve` running as a subprocess of the benchmark.
type kioscServe struct {
	cmd     *exec.Cmd
	base    string // http://127.0.0.1:port
	started time.Time
	stderr  bytes.Buffer
	exited  chan struct{}
}

// kioscBinary returns bin/kiosc (what `make bench` builds first) or, when it is missing, a build of this checkout
// without the SPA in a temporary directory; done removes that.
func kioscBinary(ctx context.Context) (path, note string, done func(), err error) {
	if fi, err := os.Stat("bin/kiosc"); err == nil && fi.Mode().IsRegular() {
		return "bin/kiosc", "bin/kiosc", func() {}, nil
	}
	dir, err := os.MkdirTemp("", "kiosc-bench-bin-")
	if err != nil {
		return "", "", nil, err
	}
	path = filepath.Join(dir, "kiosc")
	build := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags=-s -w", "-o", path, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		_ = os.RemoveAll(dir)
		return "", "", nil, fmt.Errorf("go build: %w: %s", err, out)
	}
	return path, "a build of this checkout (bin/kiosc is missing)", func() { _ = os.RemoveAll(dir) }, nil
}

// freePort returns a loopback port that was free a moment ago.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// startKiosc runs `bin serve` on the data dir with the given extra environment, on free loopback ports.
func startKiosc(bin, dataDir string, env ...string) (*kioscServe, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	appPort, err := freePort()
	if err != nil {
		return nil, err
	}
	k := &kioscServe{base: "http://127.0.0.1:" + strconv.Itoa(port), exited: make(chan struct{})}
	k.cmd = exec.Command(bin, "serve")
	k.cmd.Env = append(os.Environ(), "KIOSC_DATA_DIR="+dataDir, "KIOSC_LISTEN=127.0.0.1:"+strconv.Itoa(port),
		"KIOSC_APP_LISTEN=127.0.0.1:"+strconv.Itoa(appPort), "KIOSC_LOG_LEVEL=warn", "KIOSC_ADMIN_PASSWORD=bench-admin-password")
	k.cmd.Env = append(k.cmd.Env, env...)
	k.cmd.Stdout, k.cmd.Stderr = &k.stderr, &k.stderr
	k.started = time.Now()
	if err := k.cmd.Start(); err != nil {
		return nil, err
	}
	go func() { _ = k.cmd.Wait(); close(k.exited) }()
	return k, nil
}

// waitFor polls path until it answers 200 and returns the time since the start of the process.
func (k *kioscServe) waitFor(path string, timeout time.Duration) (time.Duration, error) {
	hc := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(timeout)
	for {
		resp, err := hc.Get(k.base + path)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return time.Since(k.started), nil
			}
		}
		select {
		case <-k.exited:
			return 0, fmt.Errorf("kiosc exited: %s", strings.TrimSpace(k.stderr.String()))
		case <-time.After(time.Millisecond):
		}
		if time.Now().After(deadline) {
			return 0, fmt.Errorf("%s did not answer 200 within %v", path, timeout)
		}
	}
}

// stop ends kiosc like Ctrl-C does and waits for it.
func (k *kioscServe) stop() {
	_ = k.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-k.exited:
	case <-time.After(20 * time.Second):
		_ = k.cmd.Process.Kill()
		<-k.exited
	}
}

// rss is the resident set size of the kiosc process.
func (k *kioscServe) rss() (uint64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", k.cmd.Process.Pid))
	if err != nil {
		return 0, err
	}
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, err := strconv.ParseUint(f[1], 10, 64)
			return kb << 10, err
		}
	}
	return 0, errors.New("no VmRSS in /proc/<pid>/status")
}

// settle waits until kiosc has used (almost) no CPU for a second, at most timeout.
func (k *kioscServe) settle(timeout time.Duration) time.Duration {
	start := time.Now()
	last := cpuOf(k.cmd.Process.Pid)
	for time.Since(start) < timeout {
		time.Sleep(time.Second)
		now := cpuOf(k.cmd.Process.Pid)
		if now-last <= 10*time.Millisecond {
			break
		}
		last = now
	}
	return time.Since(start)
}
