package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// child is the test app running as a separate process (this test binary
// re-executed with KIOSC_TESTAPP_MAIN=1).
type child struct {
	cmd    *exec.Cmd
	lines  chan string // stdout lines
	stdout syncBuffer  // all of stdout
	stderr syncBuffer
	done   chan struct{}
	err    error // Wait's result, valid after done is closed
}

func startChild(t *testing.T, env []string, args ...string) *child {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	cmd := exec.CommandContext(ctx, os.Args[0], args...)
	// The race detector sleeps 1s at exit by default; shutdown is timed here.
	cmd.Env = append(append(os.Environ(), "KIOSC_TESTAPP_MAIN=1", "GORACE=atexit_sleep_ms=0"), env...)
	c := &child{cmd: cmd, lines: make(chan string, 100), done: make(chan struct{})}
	cmd.Stderr = &c.stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			fmt.Fprintln(&c.stdout, sc.Text())
			c.lines <- sc.Text()
		}
		c.err = cmd.Wait()
		close(c.lines)
		close(c.done)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		for range c.lines { // unblock the reader
		}
		<-c.done
		cancel()
	})
	return c
}

// waitLine returns the first stdout line starting with prefix.
func (c *child) waitLine(t *testing.T, prefix string, timeout time.Duration) string {
	t.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case l, ok := <-c.lines:
			if !ok {
				t.Fatalf("child exited (%v) before printing %q; stderr: %s", c.err, prefix, c.stderr.String())
			}
			if strings.HasPrefix(l, prefix) {
				return l
			}
		case <-deadline:
			t.Fatalf("no line %q within %v", prefix, timeout)
		}
	}
}

// exitCode waits for the child to exit and returns its exit code.
func (c *child) exitCode(t *testing.T, timeout time.Duration) int {
	t.Helper()
	go func() {
		for range c.lines { // drain so the child never blocks on stdout
		}
	}()
	select {
	case <-c.done:
	case <-time.After(timeout):
		t.Fatalf("child still running after %v", timeout)
	}
	var ee *exec.ExitError
	if errors.As(c.err, &ee) {
		return ee.ExitCode()
	}
	if c.err != nil {
		t.Fatal(c.err)
	}
	return 0
}

func TestProcessServeAndSIGTERM(t *testing.T) {
	c := startChild(t, []string{"PORT=1"}, "-port", "0")
	line := c.waitLine(t, "testapp listening on :", 10*time.Second)
	port := strings.TrimPrefix(line, "testapp listening on :")
	if code, body := get(t, "http://127.0.0.1:"+port+"/health"); code != 200 || body != "ok" {
		t.Fatalf("/health = %d %q", code, body)
	}
	// An open stream must not delay shutdown beyond the grace period.
	go func() {
		if resp, err := http.Get("http://127.0.0.1:" + port + "/sse?n=100&interval=1s"); err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	}()
	time.Sleep(100 * time.Millisecond)
	start := time.Now()
	if err := c.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := c.exitCode(t, 5*time.Second); code != 0 {
		t.Errorf("exit code after SIGTERM = %d, want 0", code)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("shutdown took %v, want < 1s", d)
	}
	if !strings.Contains(c.stderr.String(), "testapp stderr hello") {
		t.Errorf("stderr = %q", c.stderr.String())
	}
}

func TestProcessStartupDelayAndCrash(t *testing.T) {
	start := time.Now()
	c := startChild(t, []string{"STARTUP_DELAY=300ms", "CRASH_AFTER=600ms", "CRASH_CODE=7", "LOG_EVERY=50ms"}, "-port", "0")
	c.waitLine(t, "testapp listening on :", 10*time.Second)
	if d := time.Since(start); d < 300*time.Millisecond {
		t.Errorf("listening after %v, want >= STARTUP_DELAY", d)
	}
	if code := c.exitCode(t, 10*time.Second); code != 7 {
		t.Errorf("exit code %d, want CRASH_CODE 7", code)
	}
	if !strings.Contains(c.stdout.String(), "tick 3\n") {
		t.Errorf("stdout lacks tick 3: %q", c.stdout.String())
	}
	if !strings.Contains(c.stderr.String(), "tock 3\n") {
		t.Errorf("stderr lacks tock 3: %q", c.stderr.String())
	}
}

func TestProcessScriptMode(t *testing.T) {
	f := writeScript(t, "echo hello $1\nserve\n")
	c := startChild(t, nil, "script", f, "-port", "0")
	c.waitLine(t, "hello -port", 10*time.Second)
	line := c.waitLine(t, "testapp listening on :", 10*time.Second)
	if code, _ := get(t, "http://127.0.0.1:"+strings.TrimPrefix(line, "testapp listening on :")+"/health"); code != 200 {
		t.Errorf("/health of served script = %d", code)
	}
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	if code := c.exitCode(t, 5*time.Second); code != 0 {
		t.Errorf("exit code %d, want 0", code)
	}

	c = startChild(t, nil, writeScript(t, "exit 5\n"))
	if code := c.exitCode(t, 10*time.Second); code != 5 {
		t.Errorf("exit code %d, want 5", code)
	}
}
