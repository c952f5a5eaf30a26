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
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// nginxServer is nginx running in the foreground as a reverse proxy to the test app, the yardstick of the proxy
// benchmark: one worker, keepalive connections to the upstream, no response buffering, and the forwarding headers
// kiosc sets (everything kiosc does short of authenticating, authorizing and cleaning headers).
type nginxServer struct {
	base string // http://127.0.0.1:port
	cmd  *exec.Cmd
	dir  string
	// exited is closed when nginx has exited; err is how.
	exited chan struct{}
	err    error
}

// nginxConfig is the configuration the benchmark runs nginx with; prefix is stripped like kiosc's strip_prefix.
const nginxConfig = `# written by kiosc's benchmark
{{user}}
worker_processes 1;
daemon off;
pid {{dir}}/nginx.pid;
error_log {{dir}}/error.log warn;
events {
    worker_connections 4096;
}
http {
    access_log off;
    client_body_temp_path {{dir}}/body;
    proxy_temp_path {{dir}}/proxy;
    fastcgi_temp_path {{dir}}/fastcgi;
    uwsgi_temp_path {{dir}}/uwsgi;
    scgi_temp_path {{dir}}/scgi;
    upstream app {
        server {{upstream}};
        keepalive 128;
    }
    server {
        listen {{listen}};
        location {{prefix}}/ {
            proxy_pass http://app/;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $remote_addr;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header X-Forwarded-Host $http_host;
            proxy_set_header X-Forwarded-Prefix {{prefix}};
            proxy_buffering off;
            proxy_request_buffering off;
        }
    }
}
`

// nginxBinary runs scripts/ensure-nginx.sh (which installs Debian's nginx-light as root on Debian) and returns the
// nginx binary.
func nginxBinary(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "scripts/ensure-nginx.sh").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("scripts/ensure-nginx.sh: %w: %s", err, strings.TrimSpace(string(out)))
	}
	if p, err := exec.LookPath("nginx"); err == nil {
		return p, nil
	}
	if _, err := os.Stat("/usr/sbin/nginx"); err == nil {
		return "/usr/sbin/nginx", nil
	}
	return "", errors.New("nginx is not on the PATH after scripts/ensure-nginx.sh")
}

// startNginx runs nginx on a free loopback port, proxying prefix/ to upstream; stop it with stop.
func startNginx(ctx context.Context, upstream, prefix string) (*nginxServer, error) {
	bin, err := nginxBinary(ctx)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "kiosc-bench-nginx-")
	if err != nil {
		return nil, err
	}
	// The worker runs as nobody when nginx starts as root: it only needs to traverse the directory.
	if err := os.Chmod(dir, 0o755); err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	listen := ln.Addr().String()
	_ = ln.Close()
	userLine := ""
	if os.Geteuid() == 0 {
		userLine = "user nobody;"
		if u, err := user.Lookup("nobody"); err == nil {
			if g, err := user.LookupGroupId(u.Gid); err == nil {
				userLine = "user nobody " + g.Name + ";"
			}
		}
	}
	conf := strings.NewReplacer("{{user}}", userLine, "{{dir}}", dir, "{{upstream}}", upstream, "{{listen}}", listen,
		"{{prefix}}", prefix).Replace(nginxConfig)
	confPath := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o644); err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	cmd := exec.Command(bin, "-p", dir, "-c", confPath, "-e", filepath.Join(dir, "error.log"))
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if err := cmd.Start(); err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("start nginx: %w", err)
	}
	n := &nginxServer{base: "http://" + listen, cmd: cmd, dir: dir, exited: make(chan struct{})}
	go func() { n.err = cmd.Wait(); close(n.exited) }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get(n.base + prefix + "/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return n, nil
			}
		}
		select {
		case <-n.exited:
			log, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			_ = os.RemoveAll(dir)
			return nil, fmt.Errorf("nginx exited: %w: %s%s", n.err, stderr.String(), log)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			n.stop()
			return nil, errors.New("nginx did not answer within 10 s")
		}
	}
}

// stop ends nginx (a fast shutdown, then a kill) and removes its directory.
func (n *nginxServer) stop() {
	_ = n.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-n.exited:
	case <-time.After(5 * time.Second):
		_ = n.cmd.Process.Kill()
		<-n.exited
	}
	_ = os.RemoveAll(n.dir)
}

// cpu is the CPU time nginx's master and worker have used so far.
func (n *nginxServer) cpu() time.Duration {
	total := cpuOf(n.cmd.Process.Pid)
	for _, pid := range childrenOf(n.cmd.Process.Pid) {
		total += cpuOf(pid)
	}
	return total
}

// childrenOf lists the processes whose parent is pid.
func childrenOf(pid int) []int {
	var out []int
	dirs, _ := os.ReadDir("/proc")
	for _, d := range dirs {
		child, err := strconv.Atoi(d.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + d.Name() + "/stat")
		if err != nil {
			continue
		}
		// The parent is the second field after the command name (which may contain spaces).
		f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
		if len(f) >= 2 && f[1] == strconv.Itoa(pid) {
			out = append(out, child)
		}
	}
	return out
}
