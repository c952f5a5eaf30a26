package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// Helpers shared by the sections: verdicts, the test app in Docker and what serves its published port.

// verdict is how a target is reported.
func verdict(ok bool) string {
	if ok {
		return "holds"
	}
	return "BELOW TARGET"
}

// nginxVersion is nginx's version line, or "" when it cannot be asked.
func nginxVersion() string {
	for _, bin := range []string{"nginx", "/usr/sbin/nginx"} {
		if out, err := exec.Command(bin, "-v").CombinedOutput(); err == nil {
			return strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(string(out)), "nginx version:"))
		}
	}
	return ""
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// runTestApp builds the test app image (FROM scratch, tagged by the binary's hash like the test helpers do) if the
// engine lacks it and runs it with its port published on 127.0.0.1; stop removes the container.
func runTestApp(ctx context.Context) (addr, bridgeIP string, stop func(), err error) {
	ref, err := benchTestAppImage(ctx)
	if err != nil {
		return "", "", nil, err
	}
	out, err := exec.CommandContext(ctx, "docker", "run", "-d", "--label", "kiosc.test=true", "-p", "127.0.0.1::8080", ref).Output()
	if err != nil {
		return "", "", nil, fmt.Errorf("docker run %s: %w", ref, err)
	}
	id := strings.TrimSpace(string(out))
	stop = func() { _ = exec.Command("docker", "rm", "-f", id).Run() }
	out, err = exec.CommandContext(ctx, "docker", "port", id, "8080/tcp").Output()
	if err != nil {
		stop()
		return "", "", nil, fmt.Errorf("docker port: %w", err)
	}
	addr = strings.TrimSpace(strings.Split(string(out), "\n")[0])
	out, err = exec.CommandContext(ctx, "docker", "inspect", "-f", "{{.NetworkSettings.Networks.bridge.IPAddress}}", id).Output()
	if err != nil {
		stop()
		return "", "", nil, fmt.Errorf("docker inspect: %w", err)
	}
	bridgeIP = strings.TrimSpace(string(out))
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return addr, bridgeIP, stop, nil
			}
		}
		if time.Now().After(deadline) {
			stop()
			return "", "", nil, errors.New("test app did not answer /health within 30 s")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// dockerProxyPID finds Docker's userland proxy process serving a published host port (0 if there is none, e.g.
// with the userland proxy disabled).
func dockerProxyPID(hostPort string) int {
	dirs, _ := os.ReadDir("/proc")
	for _, d := range dirs {
		pid, err := strconv.Atoi(d.Name())
		if err != nil {
			continue
		}
		cmd, err := os.ReadFile("/proc/" + d.Name() + "/cmdline")
		if err != nil {
			continue
		}
		args := strings.Split(string(cmd), "\x00")
		if len(args) == 0 || !strings.HasSuffix(args[0], "docker-proxy") {
			continue
		}
		for i, a := range args {
			if a == "-host-port" && i+1 < len(args) && args[i+1] == hostPort {
				return pid
			}
		}
	}
	return 0
}
