package docker_test

import (
	"errors"
	"fmt"
	"testing"

	cerrdefs "github.com/containerd/errdefs"

	"github.com/bihealth/kiosc/app/docker"
)

func TestClassifyPull(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want docker.PullFailure
	}{
		{"tag missing on Docker Hub", errors.New(`Error response from daemon: manifest for ubuntu:nosuchtag not found: manifest unknown: manifest unknown`), docker.PullNotFound},
		{"repository missing on a registry", errors.New(`Error response from daemon: repository localhost:5000/x not found: name unknown: The repository with name 'x' does not exist`), docker.PullNotFound},
		{"Docker Hub: missing or private", errors.New(`Error response from daemon: pull access denied for nosuchimage, repository does not exist or may require 'docker login': denied: requested access to the resource is denied`), docker.PullDenied},
		{"credentials needed", errors.New(`Error response from daemon: Head "https://ghcr.io/v2/org/private/manifests/1": unauthorized`), docker.PullDenied},
		{"credentials wrong", errors.New(`Error response from daemon: Get "https://registry.example.org/v2/": unauthorized: incorrect username or password`), docker.PullDenied},
		{"connection refused", errors.New(`Error response from daemon: Get "https://127.0.0.1:1/v2/": dial tcp 127.0.0.1:1: connect: connection refused`), docker.PullUnreachable},
		{"unknown host", errors.New(`Error response from daemon: Get "https://nosuch.example/v2/": dial tcp: lookup nosuch.example on 127.0.0.53:53: no such host`), docker.PullUnreachable},
		{"timeout", errors.New(`Error response from daemon: Get "https://10.255.255.1/v2/": net/http: request canceled while waiting for connection (Client.Timeout exceeded while awaiting headers)`), docker.PullUnreachable},
		{"plain HTTP service", errors.New(`Error response from daemon: Get "https://10.0.0.5:22/v2/": http: server gave HTTP response to HTTPS client`), docker.PullUnreachable},
		{"certificate", errors.New(`Error response from daemon: Get "https://registry.local/v2/": x509: certificate signed by unknown authority`), docker.PullUnreachable},
		{"rate limit", errors.New(`Error response from daemon: toomanyrequests: You have reached your pull rate limit.`), docker.PullFailed},
		{"invalid reference", errors.New(`Error response from daemon: invalid reference format`), docker.PullFailed},
		{"typed: unavailable", fmt.Errorf("registry: %w", cerrdefs.ErrUnavailable), docker.PullUnreachable},
		{"typed: not found", fmt.Errorf("registry: %w", cerrdefs.ErrNotFound), docker.PullNotFound},
		{"no error", nil, docker.PullFailed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := docker.ClassifyPull(tc.err); got != tc.want {
				t.Errorf("ClassifyPull = %d, want %d", got, tc.want)
			}
		})
	}
}

func TestMissingExecutable(t *testing.T) {
	for _, tc := range []struct {
		name string
		msg  string
		want bool
	}{
		{"runc 1.1", `Error response from daemon: OCI runtime create failed: container_linux.go:380: starting container process caused: exec: "/does/not/exist": stat /does/not/exist: no such file or directory: unknown`, true},
		{"runc 1.2", `Error response from daemon: failed to create task for container: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: exec: "/x": stat /x: no such file or directory: unknown`, true},
		{"not in PATH", `exec: "python": executable file not found in $PATH: unknown`, true},
		{"not executable", `unable to start container process: exec /app/run.sh: permission denied: unknown`, true},
		{"port taken", `driver failed programming external connectivity on endpoint x: Bind for 127.0.0.1:8080 failed: port is already allocated`, false},
		{"bind source missing", `invalid mount config for type "bind": bind source path does not exist: /data/x`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := docker.MissingExecutable(errors.New(tc.msg)); got != tc.want {
				t.Errorf("MissingExecutable = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestUnknownUser(t *testing.T) {
	for _, tc := range []struct {
		name string
		msg  string
		want bool
	}{
		{"user", `Error response from daemon: unable to find user bob: no matching entries in passwd file`, true},
		{"group", `Error response from daemon: unable to find group nogroup: no matching entries in group file`, true},
		{"runc", `OCI runtime create failed: runc create failed: unable to start container process: error during container init: no matching entries in passwd file: unknown`, true},
		{"missing executable", `exec: "python": executable file not found in $PATH: unknown`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := docker.UnknownUser(errors.New(tc.msg)); got != tc.want {
				t.Errorf("UnknownUser = %v, want %v", got, tc.want)
			}
		})
	}
}
