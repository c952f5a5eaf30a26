// Command swarmengine starts a single-node Docker Swarm on a private Docker engine of its own (see
// dockertest.SwarmEngine: its own network namespace, socket, data root and bridge; the host's engine stays as it is)
// for browser tests and local trials of KIOSC_RUNTIME=swarm. It prints one line of JSON, {"host": DOCKER_HOST of the
// engine, "addr": the node's address, "image": the test app image loaded into it}, and removes the engine when its
// standard input closes or it gets SIGTERM or SIGINT. It needs root, like the tests.
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"sync"
	"syscall"
	"testing"

	"github.com/bihealth/kiosc/app/docker/dockertest"
)

// tb is the little of testing.TB that dockertest uses, for a command: failures end it.
type tb struct {
	testing.TB
	mu       sync.Mutex
	cleanups []func()
}

func (t *tb) Helper()                        {}
func (t *tb) Logf(format string, a ...any)   { fmt.Fprintf(os.Stderr, format+"\n", a...) }
func (t *tb) Errorf(format string, a ...any) { t.Logf(format, a...) }
func (t *tb) Fatal(a ...any)                 { t.fail(fmt.Sprint(a...)) }
func (t *tb) Fatalf(format string, a ...any) { t.fail(fmt.Sprintf(format, a...)) }
func (t *tb) Skip(a ...any)                  { t.fail(fmt.Sprint(a...)) }
func (t *tb) Cleanup(f func()) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.cleanups = append(t.cleanups, f)
}

func (t *tb) cleanup() {
	t.mu.Lock()
	defer t.mu.Unlock()
	for i := len(t.cleanups) - 1; i >= 0; i-- {
		t.cleanups[i]()
	}
	t.cleanups = nil
}

func (t *tb) fail(msg string) {
	fmt.Fprintln(os.Stderr, "swarmengine:", msg)
	t.cleanup()
	os.Exit(1)
}

func main() {
	// The daemon is started with a parent-death signal, which Linux ties to the thread that started it.
	runtime.LockOSThread()
	t := &tb{}
	e := dockertest.SwarmEngine(t)
	if err := json.NewEncoder(os.Stdout).Encode(map[string]string{"host": e.Host, "addr": e.Addr.String(), "image": e.Image}); err != nil {
		t.fail(err.Error())
	}
	done := make(chan struct{}, 2)
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		done <- struct{}{}
	}()
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		<-sig
		done <- struct{}{}
	}()
	<-done
	t.cleanup()
}
