package docker

import (
	"strings"

	cerrdefs "github.com/containerd/errdefs"
)

// PullFailure is the cause of a failed pull, told from the engine's error. Callers describe it in their own words:
// the engine's text names hosts, ports and addresses as the Docker host sees them, which turns an image reference
// such as 10.0.0.5:22/x into a probe of the host's network.
type PullFailure int

// Causes of a failed pull.
const (
	// PullFailed is any other cause.
	PullFailed PullFailure = iota
	// PullNotFound: the registry answered that the repository or the tag does not exist.
	PullNotFound
	// PullDenied: the registry refused access, because credentials are needed or wrong (Docker Hub also answers so
	// for repositories that do not exist).
	PullDenied
	// PullUnreachable: the registry could not be reached or spoken to (unknown name, connection refused or reset,
	// timeout, TLS failure).
	PullUnreachable
)

// Markers of each cause in the engine's messages, checked in this order: an unreachable registry never answered, so
// nothing else in the message can be its answer, and Docker Hub's "pull access denied ... repository does not exist
// or may require 'docker login'" is a refusal first.
var pullMarkers = []struct {
	cause   PullFailure
	markers []string
}{
	{PullUnreachable, []string{"no such host", "connection refused", "connection reset", "i/o timeout", "timeout exceeded",
		"handshake timeout", "deadline exceeded", "network is unreachable", "no route to host", "server misbehaving",
		"temporary failure in name resolution", "x509:", "tls:", "server gave http response to https client"}},
	{PullDenied, []string{"pull access denied", "unauthorized", "authentication required", "incorrect username or password",
		"no basic auth credentials", "denied", "forbidden"}},
	{PullNotFound, []string{"manifest unknown", "name unknown", "not found", "does not exist", "no such image"}},
}

// ClassifyPull tells the cause of an error of Pull or ImageExists.
func ClassifyPull(err error) PullFailure {
	if err == nil {
		return PullFailed
	}
	msg := strings.ToLower(err.Error())
	for _, m := range pullMarkers {
		for _, s := range m.markers {
			if strings.Contains(msg, s) {
				return m.cause
			}
		}
	}
	switch {
	case cerrdefs.IsUnauthorized(err) || cerrdefs.IsPermissionDenied(err):
		return PullDenied
	case cerrdefs.IsNotFound(err):
		return PullNotFound
	case cerrdefs.IsUnavailable(err) || cerrdefs.IsDeadlineExceeded(err):
		return PullUnreachable
	}
	return PullFailed
}

// MissingExecutable reports whether a start failed because the command or entrypoint (or the interpreter of a script)
// does not exist in the image or cannot be executed.
func MissingExecutable(err error) bool {
	if err == nil {
		return false
	}
	msg := strings.ToLower(err.Error())
	return strings.Contains(msg, "executable file not found") ||
		(strings.Contains(msg, "exec") && (strings.Contains(msg, "no such file or directory") || strings.Contains(msg, "permission denied")))
}

// UnknownUser reports whether a start failed because the image does not know the user (or group) the container
// is to run as ("unable to find user bob: no matching entries in passwd file").
func UnknownUser(err error) bool {
	if err == nil {
		return false
	}
	msg := strings.ToLower(err.Error())
	return strings.Contains(msg, "unable to find user") || strings.Contains(msg, "unable to find group") ||
		(strings.Contains(msg, "no matching entries in") && (strings.Contains(msg, "passwd") || strings.Contains(msg, "group")))
}
